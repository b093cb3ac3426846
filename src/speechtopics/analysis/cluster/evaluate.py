"""Clustering against known labels (NMI, ARI), for the benchmarks on labelled corpora."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..vectors import tfidf_matrix
from .partition import agreement_scores, cluster_labels
from .spaces import lsa_matrix, single_threaded

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
    silhouettes: bool = False,
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
    silhouettes : bool
        Also score each partition by its mean silhouette, and the same
        method at the same k on a column-permuted copy of the space (the
        no-structure reference of :mod:`.structure`).

    Returns
    -------
    DataFrame
        One row per method: ``method``, ``n_texts``, ``n_terms``, ``k``,
        ``nmi``, ``ari`` and ``nmi_shuffled`` / ``ari_shuffled`` (the same
        clusters scored against a seeded permutation of the labels: the
        chance level); with ``silhouettes``, ``silhouette``,
        ``silhouette_labels`` (of the known classes) and ``silhouette_null``.
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
            space, algorithm = matrix, "kmeans"
        elif method in ("lsa_kmeans", "lsa_ward"):
            if reduced is None:
                reduced = lsa_matrix(matrix, lsa_components, random_state)
            space, algorithm = reduced, method.split("_")[1]
        else:
            raise ValueError(f"method must be one of {EVALUATION_METHODS}, not {method!r}")
        predicted = cluster_labels(space, algorithm, k, random_state, n_init)
        scores = agreement_scores(labels, predicted)
        chance = agreement_scores(shuffled, predicted)
        row = {
            "method": method,
            "n_texts": len(labels),
            "n_terms": len(terms),
            "k": k,
            "nmi": scores["nmi"],
            "ari": scores["ari"],
            "nmi_shuffled": chance["nmi"],
            "ari_shuffled": chance["ari"],
        }
        if silhouettes:
            row.update(_silhouettes(space, algorithm, k, labels, predicted, random_state, n_init))
        rows.append(row)
    return pd.DataFrame(rows)


def _silhouettes(space, algorithm, k, labels, predicted, random_state, n_init) -> dict:
    """Silhouette of the partition, of the known classes and of the no-structure reference."""
    from sklearn.metrics import silhouette_score

    from .structure import null_silhouettes

    null = null_silhouettes(space, algorithm, k, random_state, n_init, n_permutations=1)
    return {
        "silhouette": float(silhouette_score(space, predicted)),
        "silhouette_labels": float(silhouette_score(space, labels)),
        "silhouette_null": float(null[0]),
    }
