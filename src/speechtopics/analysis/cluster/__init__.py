"""Clustering of analysis units (paragraphs by default) and of whole speeches."""
