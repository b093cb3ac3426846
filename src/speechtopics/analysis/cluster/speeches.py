"""Clustering whole speeches: the dendrogram of their TF-IDF vectors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..vectors import tfidf_matrix


def speech_linkage(
    documents: pd.DataFrame, method: str = "average", sublinear_tf: bool = True
) -> np.ndarray:
    """Hierarchical clustering of whole speeches (document grain).

    Parameters
    ----------
    documents : DataFrame
        ``Corpus.at_grain("document")`` (``doc_id``, ``tokens``), one row per speech.
    method : {"average", "complete", "single", "ward"}
        Linkage. ``average``/``complete``/``single`` use cosine distance
        between TF-IDF vectors; ``ward`` Euclidean distance between the
        L2-normalised vectors.

    Returns
    -------
    ndarray
        scipy linkage matrix; leaf ``i`` is ``documents.iloc[i]``.
    """
    from scipy.cluster.hierarchy import linkage

    matrix, _ = tfidf_matrix(documents["tokens"].tolist(), min_df=1, sublinear_tf=sublinear_tf)
    dense = matrix.toarray()
    if method == "ward":
        return linkage(dense, method="ward", metric="euclidean")
    return linkage(dense, method=method, metric="cosine")


def speech_linkage_table(tree: np.ndarray, doc_ids: Sequence[str]) -> pd.DataFrame:
    """The merges of a speech dendrogram: ``step``, ``node``, ``left``, ``right``, ``distance``, ``n_speeches``.

    Leaves are named by ``doc_id``, merged groups ``node_<n>`` (scipy numbering).
    """
    n = len(doc_ids)

    def name(index: float) -> str:
        index = int(index)
        return str(doc_ids[index]) if index < n else f"node_{index}"

    rows = [
        {
            "step": step + 1,
            "node": f"node_{n + step}",
            "left": name(left),
            "right": name(right),
            "distance": float(distance),
            "n_speeches": int(size),
        }
        for step, (left, right, distance, size) in enumerate(tree)
    ]
    return pd.DataFrame(rows, columns=["step", "node", "left", "right", "distance", "n_speeches"])
