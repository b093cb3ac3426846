"""Analysis layer: pure functions and estimators over a corpus and settings (no file I/O, no figures)."""
