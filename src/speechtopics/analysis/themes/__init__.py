"""Themes: lexicon rates, keyword in context (KWIC) and formulations (提法)."""
