"""Clustering against known labels (NMI, ARI), for the benchmarks on labelled corpora."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..vectors import tfidf_matrix
from .partition import agreement_scores, cluster_labels
from .spaces import single_threaded


@single_threaded
def lsa_matrix(matrix: Any, n_components: int, random_state: int) -> np.ndarray:
    """TruncatedSVD of a TF-IDF matrix, rows L2-normalised again (latent semantic analysis; any grain).

    ``n_components`` is lowered to ``min(n_rows, n_columns) - 1`` when larger.
    """
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    n_components = max(1, min(int(n_components), min(matrix.shape) - 1))
    reduced = TruncatedSVD(
        n_components=n_components, algorithm="randomized", n_iter=7, random_state=random_state
    ).fit_transform(matrix)
    return normalize(reduced)


EVALUATION_METHODS: tuple[str, ...] = ("tfidf_kmeans", "lsa_kmeans", "lsa_ward")


@single_threaded
def evaluate_against_labels(
    token_lists: Sequence[Sequence[str]],
    labels: Sequence[Any],
    k: int,
    random_state: int,
    n_init: int = 10,
    min_df: int | float = 2,
    lsa_components: int = 100,
    methods: Sequence[str] = EVALUATION_METHODS,
) -> pd.DataFrame:
    """How well clustering recovers known classes of texts (any grain; e.g. labelled headlines).

    Parameters
    ----------
    token_lists : sequence of sequence of str
        Tokenized texts (the project tokenizer's output).
    labels : sequence
        The known class of each text.
    k : int
        Number of clusters (usually the number of classes).
    random_state : int
        Seed of k-means, TruncatedSVD and the label shuffle.
    n_init : int
        k-means restarts.
    min_df : int or float
        TF-IDF vocabulary cut-off.
    lsa_components : int
        Dimensions kept by TruncatedSVD for the ``lsa_*`` methods.
    methods : sequence of str
        ``tfidf_kmeans`` (k-means on the sparse TF-IDF rows), ``lsa_kmeans``
        (TF-IDF → TruncatedSVD → L2-normalised → k-means), ``lsa_ward`` (the
        same reduced rows, Ward linkage; memory grows with the square of the
        number of texts).

    Returns
    -------
    DataFrame
        One row per method: ``method``, ``n_texts``, ``n_terms``, ``k``,
        ``nmi``, ``ari`` and ``nmi_shuffled`` / ``ari_shuffled`` (the same
        clusters scored against a seeded permutation of the labels: the
        chance level).
    """
    matrix, terms = tfidf_matrix(token_lists, min_df=min_df, sublinear_tf=True)
    labels = list(labels)
    shuffled = list(
        np.random.default_rng(random_state).permutation(np.asarray(labels, dtype=object))
    )
    reduced = None
    rows = []
    for method in methods:
        if method == "tfidf_kmeans":
            predicted = cluster_labels(matrix, "kmeans", k, random_state, n_init)
        elif method in ("lsa_kmeans", "lsa_ward"):
            if reduced is None:
                reduced = lsa_matrix(matrix, lsa_components, random_state)
            predicted = cluster_labels(reduced, method.split("_")[1], k, random_state, n_init)
        else:
            raise ValueError(f"method must be one of {EVALUATION_METHODS}, not {method!r}")
        scores = agreement_scores(labels, predicted)
        chance = agreement_scores(shuffled, predicted)
        rows.append(
            {
                "method": method,
                "n_texts": len(labels),
                "n_terms": len(terms),
                "k": k,
                "nmi": scores["nmi"],
                "ari": scores["ari"],
                "nmi_shuffled": chance["nmi"],
                "ari_shuffled": chance["ari"],
            }
        )
    return pd.DataFrame(rows)
