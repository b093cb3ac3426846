"""Large spaces: the quadratic parts of clustering on a seeded sample of the units.

Silhouettes, Ward trees, the structure check and t-SNE cost time and
memory quadratic in the number of units. Past ``sample_units`` units they
work on a seeded sample instead (:func:`sample_index`): the same rows for
every call with the same number of units and seed. k-means still clusters
every unit; Ward clusters the sample and gives every other unit the Ward
cluster whose centroid is nearest (:func:`extend_labels`). Nothing here
turns the whole matrix dense.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

DISTANCE_BLOCK: int = 512
"""Rows per block when filling a condensed distance vector from a sparse sample."""
TSNE_DIMENSIONS: int = 50
"""Columns a sparse sample is reduced to before t-SNE (see :func:`tsne_rows`)."""


def sample_index(n_rows: int, sample_units: int | None, random_state: int) -> np.ndarray | None:
    """The rows a quadratic computation works on: a seeded sample, or ``None`` for all rows.

    Parameters
    ----------
    n_rows : int
        Units in the space.
    sample_units : int or None
        Largest number of rows used whole; ``None`` never samples.
    random_state : int
        Seed of the draw.

    Returns
    -------
    ndarray of int or None
        ``sample_units`` row indices drawn without replacement, sorted (so
        the sample keeps corpus order); ``None`` when ``n_rows`` does not
        exceed ``sample_units``.
    """
    if sample_units is None or n_rows <= int(sample_units):
        return None
    rng = np.random.default_rng(int(random_state))
    return np.sort(rng.choice(n_rows, size=int(sample_units), replace=False))


def sampled_rows(matrix: Any, sample: np.ndarray | None) -> Any:
    """The rows of ``matrix`` in ``sample`` (all of ``matrix`` when ``sample`` is ``None``)."""
    return matrix if sample is None else matrix[sample]


def squared_norms(matrix: Any) -> np.ndarray:
    """Squared Euclidean norm of every row (sparse or dense, no dense copy)."""
    if sparse.issparse(matrix):
        return np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=float).ravel()
    dense = np.asarray(matrix, dtype=float)
    return np.einsum("ij,ij->i", dense, dense)


def condensed_distances(matrix: Any) -> np.ndarray:
    """Euclidean distances between the rows of a sparse matrix, in scipy's condensed form.

    Filled block by block from inner products, so only the condensed vector
    (``n (n - 1) / 2`` values) and one block of inner products are held at a
    time; the rows are never made dense.
    """
    rows = sparse.csr_matrix(matrix, dtype=float)
    n_rows = rows.shape[0]
    norms = squared_norms(rows)
    condensed = np.empty(n_rows * (n_rows - 1) // 2)
    position = 0
    for start in range(0, n_rows, DISTANCE_BLOCK):
        stop = min(start + DISTANCE_BLOCK, n_rows)
        inner = (rows[start:stop] @ rows[start:].T).toarray()
        for offset, row in enumerate(range(start, stop)):
            products = inner[offset, offset + 1 :]
            squares = norms[row] + norms[row + 1 :] - 2.0 * products
            condensed[position : position + len(squares)] = np.sqrt(np.clip(squares, 0.0, None))
            position += len(squares)
    return condensed


def sample_ward_tree(rows: Any) -> np.ndarray:
    """Ward linkage matrix (scipy format) of a sample's rows.

    Sparse rows are linked from their Euclidean distances
    (:func:`condensed_distances`), never made dense; dense rows directly.
    """
    from scipy.cluster.hierarchy import linkage

    if sparse.issparse(rows):
        return linkage(condensed_distances(rows), method="ward")
    return linkage(np.asarray(rows, dtype=float), method="ward", metric="euclidean")


def cluster_centroids(matrix: Any, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean row of every cluster.

    Parameters
    ----------
    matrix : sparse matrix or ndarray
        One row per labelled unit.
    labels : ndarray
        The units' clusters.

    Returns
    -------
    values : ndarray
        The distinct labels, sorted.
    centroids : ndarray
        ``len(values) × n_columns``, dense; row ``i`` is the mean of the rows labelled ``values[i]``.
    """
    labels = np.asarray(labels)
    values, codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
    indicator = sparse.csr_matrix(
        (np.ones(len(labels)), (codes, np.arange(len(labels)))),
        shape=(len(values), len(labels)),
    )
    sums = indicator @ matrix
    sums = sums.toarray() if sparse.issparse(sums) else np.asarray(sums, dtype=float)
    return values, sums / counts[:, None]


def nearest_centroid(matrix: Any, centroids: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid (Euclidean) of every row; ties go to the first centroid."""
    cross = matrix @ centroids.T
    cross = cross.toarray() if sparse.issparse(cross) else np.asarray(cross, dtype=float)
    distances = (
        squared_norms(matrix)[:, None] - 2.0 * cross + np.einsum("ij,ij->i", centroids, centroids)
    )
    return np.argmin(distances, axis=1)


def extend_labels(matrix: Any, sample: np.ndarray, sample_labels: np.ndarray) -> np.ndarray:
    """Labels for every row: the sample keeps its own, the others get the nearest sample centroid.

    Parameters
    ----------
    matrix : sparse matrix or ndarray
        All units.
    sample : ndarray of int
        Row indices of the clustered sample.
    sample_labels : ndarray
        The sample's clusters, in the order of ``sample``.

    Returns
    -------
    ndarray
        One label per row of ``matrix``.
    """
    sample_labels = np.asarray(sample_labels)
    values, centroids = cluster_centroids(matrix[sample], sample_labels)
    labels = np.empty(matrix.shape[0], dtype=sample_labels.dtype)
    labels[sample] = sample_labels
    rest = np.setdiff1d(np.arange(matrix.shape[0]), sample, assume_unique=True)
    if len(rest):
        labels[rest] = values[nearest_centroid(matrix[rest], centroids)]
    return labels


def tsne_rows(matrix: Any, random_state: int) -> Any:
    """A sparse sample with many columns reduced by TruncatedSVD to :data:`TSNE_DIMENSIONS` for t-SNE.

    t-SNE works on dense rows; a sample of TF-IDF rows over a large
    vocabulary would be a large dense copy. Dense rows are returned as they are.
    """
    if not sparse.issparse(matrix) or matrix.shape[1] <= TSNE_DIMENSIONS:
        return matrix
    from sklearn.decomposition import TruncatedSVD

    return TruncatedSVD(
        n_components=TSNE_DIMENSIONS, algorithm="randomized", random_state=random_state
    ).fit_transform(matrix)


def sample_message(n_units: int, sample_units: int, grain: str = "paragraph") -> str:
    """The run summary's sentence for a space clustered on a sample."""
    return (
        f"cluster: {n_units:,} {grain} units; silhouettes, Ward, the structure check and the "
        f"t-SNE map use a seeded sample of {int(sample_units):,} (set [cluster] sample_units)"
    )
