"""Corpus layer: reading speech files, the corpus model, loading with the token cache, adding speeches."""
