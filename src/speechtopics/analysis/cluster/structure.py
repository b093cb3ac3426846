"""Is there cluster structure at all? The best silhouette against a no-structure reference.

The highest mean silhouette over k always picks *some* k, even in data
with no groups: in high-dimensional, sparse text vectors silhouettes sit
near zero whether or not the texts fall into groups, so a fixed cut-off
says little. The reference here is the same data with every column
permuted on its own (each term keeps its distribution over the units, but
which terms occur together is random), clustered by the same method at the
same k: a partition of data with no co-occurrence structure. The data has
cluster structure when its silhouette clears every reference silhouette by
a margin; otherwise the clusters are an arbitrary partition and are
reported as such.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from .partition import cluster_labels
from .sampling import sample_index, sample_ward_tree, sampled_rows
from .spaces import single_threaded


def permuted_columns(matrix: Any, rng: np.random.Generator) -> Any:
    """``matrix`` with the values of each column shuffled over the rows (rows re-normalised).

    Sparse matrices keep their number of non-zeros per column; rows are
    L2-normalised again when the input's were (TF-IDF and LSA rows).
    """
    if sparse.issparse(matrix):
        columns = sparse.csc_matrix(matrix, copy=True)
        n_rows = columns.shape[0]
        for j in range(columns.shape[1]):
            start, end = columns.indptr[j], columns.indptr[j + 1]
            columns.indices[start:end] = rng.choice(n_rows, end - start, replace=False)
        shuffled = columns.tocsr()
        shuffled.sort_indices()
    else:
        dense = np.asarray(matrix, dtype=float)
        shuffled = np.column_stack([rng.permutation(dense[:, j]) for j in range(dense.shape[1])])
    if _unit_rows(matrix):
        from sklearn.preprocessing import normalize

        shuffled = normalize(shuffled)
    return shuffled


def _unit_rows(matrix: Any) -> bool:
    rows = matrix[: min(matrix.shape[0], 50)]
    squares = rows.multiply(rows).sum(axis=1) if sparse.issparse(rows) else (rows**2).sum(axis=1)
    return bool(np.allclose(np.asarray(squares).ravel(), 1.0, atol=1e-6))


@single_threaded
def null_silhouettes(
    matrix: Any,
    method: str,
    k: int,
    random_state: int,
    n_init: int = 10,
    n_permutations: int = 3,
    sample_units: int | None = None,
) -> np.ndarray:
    """Silhouettes of ``method`` at ``k`` on ``n_permutations`` column-permuted copies of ``matrix``.

    Past ``sample_units`` rows, the copies are made of, clustered on and
    scored on the seeded sample of :func:`~.sampling.sample_index` (seed
    ``random_state``) only.
    """
    from sklearn.metrics import silhouette_score

    sample = sample_index(matrix.shape[0], sample_units, random_state)
    matrix = sampled_rows(matrix, sample)
    rng = np.random.default_rng([int(random_state), int(k), len(method)])
    scores = []
    for _ in range(n_permutations):
        shuffled = permuted_columns(matrix, rng)
        tree = sample_ward_tree(shuffled) if method == "ward" and sample is not None else None
        labels = cluster_labels(shuffled, method, k, random_state, n_init, tree=tree)
        scores.append(silhouette_score(shuffled, labels) if len(set(labels)) > 1 else float("nan"))
    return np.asarray(scores, dtype=float)


def has_structure(silhouette: float, null: np.ndarray, margin: float) -> bool:
    """Whether ``silhouette`` exceeds the highest reference silhouette by more than ``margin``."""
    null = np.asarray(null, dtype=float)
    if not np.isfinite(silhouette) or not np.isfinite(null).any():
        return False
    return bool(silhouette > np.nanmax(null) + margin)


STRUCTURE_COLUMNS = ["space", "method", "k", "silhouette", "silhouette_null_max", "structure"]


def structure_table(
    spaces: dict[str, Any],
    selection: pd.DataFrame,
    random_state: int,
    n_init: int = 10,
    n_permutations: int = 3,
    margin: float = 0.01,
    sample_units: int | None = None,
) -> pd.DataFrame:
    """For every clustering at its chosen k: its silhouette against the no-structure reference.

    Parameters
    ----------
    spaces : dict
        ``name -> ClusterSpace`` (from :func:`~.spaces.build_spaces`).
    selection : DataFrame
        :func:`~.partition.k_selection_table` (``chosen`` marks each clustering's k).
    random_state, n_init
        As for the clustering.
    n_permutations : int
        Column-permuted copies clustered (0: no reference; ``structure`` is then true).
    margin : float
        See :func:`has_structure`.
    sample_units : int, optional
        Past this many units, the reference is computed on a seeded sample
        (see :func:`null_silhouettes`).

    Returns
    -------
    DataFrame
        ``space``, ``method``, ``k``, ``silhouette``, ``silhouette_null_max``
        (the highest reference silhouette; NaN without permutations) and
        ``structure`` (bool).
    """
    rows = []
    for row in selection[selection["chosen"]].itertuples(index=False):
        null = (
            null_silhouettes(
                spaces[row.space].matrix,
                row.method,
                int(row.k),
                random_state,
                n_init,
                n_permutations,
                sample_units,
            )
            if n_permutations
            else np.array([np.nan])
        )
        top = float(np.nanmax(null)) if np.isfinite(null).any() else float("nan")
        rows.append(
            {
                "space": row.space,
                "method": row.method,
                "k": int(row.k),
                "silhouette": float(row.silhouette),
                "silhouette_null_max": top,
                "structure": has_structure(row.silhouette, null, margin)
                if n_permutations
                else True,
            }
        )
    return pd.DataFrame(rows, columns=STRUCTURE_COLUMNS)
