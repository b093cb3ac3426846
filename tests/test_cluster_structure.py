"""Silhouette k-selection is honest: clusters in data without groups are called arbitrary."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.preprocessing import normalize

from speechtopics.analysis.cluster.partition import k_selection
from speechtopics.analysis.cluster.spaces import ClusterSpace
from speechtopics.analysis.cluster.structure import (
    has_structure,
    null_silhouettes,
    permuted_columns,
    structure_table,
)


def _space(matrix) -> ClusterSpace:
    return ClusterSpace("lsa", [f"u{i}" for i in range(matrix.shape[0])], matrix, [])


def _structure(matrix) -> pd.Series:
    space = _space(matrix)
    selection = k_selection(space, 2, 8, random_state=1, n_init=4, methods=("kmeans",))
    table = structure_table({"lsa": space}, selection, 1, n_init=4, n_permutations=3, margin=0.01)
    return table.iloc[0]


def test_separated_groups_have_structure():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1, (4, 20))
    points = np.vstack([centre + rng.normal(0, 0.3, (40, 20)) for centre in centres])
    row = _structure(normalize(points))
    assert row["k"] == 4 and row["structure"]
    assert row["silhouette"] > row["silhouette_null_max"] + 0.1


def test_noise_has_no_structure_whatever_k_the_silhouette_picks():
    rng = np.random.default_rng(0)
    row = _structure(normalize(rng.normal(0, 1, (160, 20))))
    assert not row["structure"]
    assert 2 <= row["k"] <= 8  # a k is still chosen; it is just not called structure


def test_permuting_columns_keeps_each_column_and_breaks_rows():
    rng = np.random.default_rng(3)
    dense = rng.random((30, 6))
    shuffled = permuted_columns(dense, np.random.default_rng(1))
    assert np.allclose(np.sort(shuffled, axis=0), np.sort(dense, axis=0))
    assert not np.allclose(shuffled, dense)
    counts = sparse.random(40, 25, density=0.2, random_state=2, format="csr")
    tfidf = normalize(counts)
    permuted = permuted_columns(tfidf, np.random.default_rng(1))
    assert (permuted.getnnz(axis=0) == tfidf.getnnz(axis=0)).all()
    nonzero = permuted.getnnz(axis=1) > 0
    norms = np.sqrt(np.asarray(permuted.multiply(permuted).sum(axis=1)).ravel())
    assert np.allclose(norms[nonzero], 1.0)


def test_the_reference_is_seeded():
    rng = np.random.default_rng(5)
    matrix = normalize(rng.normal(0, 1, (50, 8)))
    first = null_silhouettes(matrix, "kmeans", 3, 7, n_init=2, n_permutations=2)
    assert np.array_equal(
        first, null_silhouettes(matrix, "kmeans", 3, 7, n_init=2, n_permutations=2)
    )
    assert has_structure(0.5, first, 0.01) and not has_structure(float(first.max()), first, 0.0)
