"""Topic models: choosing K, ensembles and stability, seeded (theme) topics, labels and identity."""
