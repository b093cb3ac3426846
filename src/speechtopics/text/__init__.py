"""Text layer: cleaning, outline segmentation, tokenization and the lexicon files."""
