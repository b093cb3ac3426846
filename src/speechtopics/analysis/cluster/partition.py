"""Clustering units into k groups: k-means and Ward, k chosen by silhouette, descriptions.

Cluster numbers run from 1 (the largest cluster) to k; ties in size go to
the cluster whose first unit comes first. Units left out of a space (too
few tokens, no TF-IDF weight, no topic vector) get cluster ``-1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from ...progress import track
from .sampling import extend_labels, sample_index, sample_ward_tree, sampled_rows, tsne_rows
from .spaces import ClusterSpace, single_threaded

METHODS: tuple[str, ...] = ("kmeans", "ward")
PROJECTIONS: tuple[str, ...] = ("svd", "tsne")
LEFT_OUT: int = -1

ASSIGNMENT_COLUMNS = [
    "unit_id",
    "doc_id",
    "section_path",
    "space",
    "method",
    "k",
    "cluster",
    "svd_x",
    "svd_y",
    "tsne_x",
    "tsne_y",
]


def canonical_labels(labels: Sequence[int]) -> np.ndarray:
    """Relabel clusters 1 … k: largest first, ties by first occurrence."""
    labels = np.asarray(labels)
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(values)), key=lambda i: (-counts[i], first[i]))
    mapping = {values[i]: rank + 1 for rank, i in enumerate(order)}
    return np.array([mapping[value] for value in labels], dtype=int)


def ward_tree(matrix: Any, sample_units: int | None = None, random_state: int = 0) -> np.ndarray:
    """Ward linkage matrix (scipy format) of the rows of ``matrix``, or of a seeded sample of them.

    Parameters
    ----------
    matrix : sparse matrix or ndarray
        One row per unit.
    sample_units : int, optional
        Past this many rows, the tree joins the rows of
        :func:`~.sampling.sample_index` only (leaf ``i`` is the ``i``-th
        sampled row); a sparse sample is linked from its Euclidean distances,
        never made dense. ``None``: every row (a dense copy).
    random_state : int
        Seed of the sample.
    """
    from scipy.cluster.hierarchy import linkage

    sample = sample_index(matrix.shape[0], sample_units, random_state)
    if sample is not None:
        return sample_ward_tree(matrix[sample])
    dense = matrix.toarray() if sparse.issparse(matrix) else np.asarray(matrix, dtype=float)
    return linkage(dense, method="ward", metric="euclidean")


@single_threaded
def cluster_labels(
    matrix: Any,
    method: str,
    k: int,
    random_state: int,
    n_init: int = 10,
    tree: np.ndarray | None = None,
    sample_units: int | None = None,
) -> np.ndarray:
    """Cluster the rows of ``matrix`` into ``k`` clusters.

    Parameters
    ----------
    matrix : sparse matrix or ndarray
        One row per unit (any grain).
    method : {"kmeans", "ward"}
    k : int
    random_state : int
        Seed of k-means (Ward is deterministic).
    n_init : int
        k-means restarts; the best (lowest inertia) is kept.
    tree : ndarray, optional
        A precomputed :func:`ward_tree` of ``matrix`` (with the same ``sample_units``).
    sample_units : int, optional
        Past this many rows, Ward clusters a seeded sample (seed
        ``random_state``) and gives every other row the cluster whose
        centroid is nearest (:func:`~.sampling.extend_labels`); k-means
        always clusters every row.

    Returns
    -------
    ndarray of int
        Labels 1 … k (see :func:`canonical_labels`).
    """
    if method == "kmeans":
        from sklearn.cluster import KMeans

        model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state)
        labels = model.fit_predict(matrix)
    elif method == "ward":
        from scipy.cluster.hierarchy import cut_tree

        tree = ward_tree(matrix, sample_units, random_state) if tree is None else tree
        labels = cut_tree(tree, n_clusters=k)[:, 0]
        sample = sample_index(matrix.shape[0], sample_units, random_state)
        if sample is not None:
            labels = extend_labels(matrix, sample, labels)
    else:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    return canonical_labels(labels)


def k_range(k_min: int, k_max: int, n_units: int) -> list[int]:
    """The k worth trying: ``k_min … k_max`` limited to ``2 … n_units - 1`` (silhouette's range)."""
    return list(range(max(int(k_min), 2), min(int(k_max), n_units - 1) + 1))


def _sample_labels(
    space: ClusterSpace,
    method: str,
    k: int,
    random_state: int,
    n_init: int,
    tree: np.ndarray | None,
    sample: np.ndarray | None,
) -> np.ndarray:
    """The labels a silhouette is computed on: every unit's, or the sample's.

    With a sample, Ward's labels are the cut of the sample's own tree
    (no need to place the other units); k-means clusters every unit and
    the sample's labels are picked out.
    """
    if method == "ward" and sample is not None:
        from scipy.cluster.hierarchy import cut_tree

        return cut_tree(tree, n_clusters=k)[:, 0]
    labels = cluster_labels(space.matrix, method, k, random_state, n_init, tree=tree)
    return sampled_rows(labels, sample)


@single_threaded
def k_selection(
    space: ClusterSpace,
    k_min: int,
    k_max: int,
    random_state: int,
    n_init: int = 10,
    methods: Sequence[str] = METHODS,
    sample_units: int | None = None,
) -> pd.DataFrame:
    """Mean silhouette of each method and k in one space (any grain).

    Parameters
    ----------
    sample_units : int, optional
        Past this many units, silhouettes are computed on a seeded sample
        (:func:`~.sampling.sample_index`, seed ``random_state``) and Ward
        clusters that sample only; k-means still clusters every unit.

    Returns
    -------
    DataFrame
        ``space``, ``method``, ``k``, ``silhouette``, ``n_units``, ``chosen``
        (True on the k with the highest silhouette per method; the smallest
        such k on ties). Empty when no k fits the number of units.
    """
    from sklearn.metrics import silhouette_score

    columns = ["space", "method", "k", "silhouette", "n_units", "chosen"]
    sample = sample_index(space.n_units, sample_units, random_state)
    ks = k_range(k_min, k_max, space.n_units if sample is None else len(sample))
    scored = sampled_rows(space.matrix, sample)
    rows = []
    for method in methods:
        tree = (
            ward_tree(space.matrix, sample_units, random_state) if method == "ward" and ks else None
        )
        for k in track(ks, len(ks), f"cluster: {space.name} {method}", "k"):
            labels = _sample_labels(space, method, k, random_state, n_init, tree, sample)
            score = (
                silhouette_score(scored, labels, metric="euclidean")
                if len(set(labels)) > 1
                else np.nan
            )
            rows.append(
                {
                    "space": space.name,
                    "method": method,
                    "k": k,
                    "silhouette": float(score),
                    "n_units": space.n_units,
                }
            )
    table = pd.DataFrame(rows, columns=columns[:-1])
    table["chosen"] = False
    for _, group in table.groupby("method", sort=False):
        scores = group["silhouette"]
        if scores.notna().any():
            table.loc[scores.idxmax(), "chosen"] = True
    return table[columns]


def k_selection_table(
    spaces: dict[str, ClusterSpace],
    k_min: int,
    k_max: int,
    random_state: int,
    n_init: int = 10,
    methods: Sequence[str] = METHODS,
    sample_units: int | None = None,
) -> pd.DataFrame:
    """:func:`k_selection` for every space, stacked (the ``cluster_k_selection`` table)."""
    tables = [
        k_selection(space, k_min, k_max, random_state, n_init, methods, sample_units)
        for space in spaces.values()
    ]
    tables = [table for table in tables if not table.empty]
    if not tables:
        return pd.DataFrame(columns=["space", "method", "k", "silhouette", "n_units", "chosen"])
    return pd.concat(tables, ignore_index=True)


def chosen_k(selection: pd.DataFrame) -> dict[tuple[str, str], int]:
    """``(space, method) -> k`` with the highest silhouette, from a k-selection table."""
    chosen = selection[selection["chosen"]]
    return {(row.space, row.method): int(row.k) for row in chosen.itertuples()}


@single_threaded
def projection_2d(
    matrix: Any, projection: str, random_state: int, sample_units: int | None = None
) -> np.ndarray:
    """2-D coordinates of the rows of ``matrix`` (any grain), for maps.

    Parameters
    ----------
    projection : {"svd", "tsne"}
        ``svd``: TruncatedSVD to two components (the main axes of variation,
        distances roughly kept). ``tsne``: seeded t-SNE (exact gradient up to
        1,000 rows, Barnes–Hut above), initialised from PCA; keeps neighbours,
        not distances.
    random_state : int
    sample_units : int, optional
        Past this many rows, t-SNE maps a seeded sample only
        (:func:`~.sampling.sample_index`; a sparse sample is first reduced to
        :data:`~.sampling.TSNE_DIMENSIONS` by TruncatedSVD) and the other rows get NaN;
        SVD always maps every row.

    Returns
    -------
    ndarray
        ``n_rows × 2``; NaN when there are too few rows or columns.
    """
    n_rows = matrix.shape[0]
    coords = np.full((n_rows, 2), np.nan)
    if n_rows < 3 or matrix.shape[1] < 2:
        return coords
    sample = sample_index(n_rows, sample_units, random_state) if projection == "tsne" else None
    if sample is not None:
        rows = tsne_rows(matrix[sample], random_state)
        coords[sample] = projection_2d(rows, "tsne", random_state)
        return coords
    if projection == "svd":
        from sklearn.decomposition import TruncatedSVD

        if matrix.shape[1] <= 2:
            return np.asarray(matrix.toarray() if sparse.issparse(matrix) else matrix, dtype=float)[
                :, :2
            ]
        return TruncatedSVD(
            n_components=2, algorithm="arpack", random_state=random_state
        ).fit_transform(matrix)
    if projection == "tsne":
        from sklearn.manifold import TSNE

        dense = matrix.toarray() if sparse.issparse(matrix) else np.asarray(matrix, dtype=float)
        perplexity = float(min(30.0, max(2.0, (n_rows - 1) / 3)))
        if perplexity >= n_rows:
            return coords
        model = TSNE(
            n_components=2,
            perplexity=perplexity,
            init="pca",
            random_state=random_state,
            method="exact" if n_rows <= 1000 else "barnes_hut",
        )
        return model.fit_transform(dense)
    raise ValueError(f"projection must be one of {PROJECTIONS}, not {projection!r}")


@single_threaded
def cluster_assignments(
    units: pd.DataFrame,
    spaces: dict[str, ClusterSpace],
    ks: dict[tuple[str, str], int],
    random_state: int,
    n_init: int = 10,
    sample_units: int | None = None,
) -> pd.DataFrame:
    """The cluster of every unit in every space and method, at the chosen k (any grain).

    Parameters
    ----------
    units : DataFrame
        The grain's units (``unit_id``, ``doc_id``, ``section_path``), in corpus order.
    spaces : dict
        From :func:`build_spaces`.
    ks : dict
        ``(space, method) -> k``, e.g. from :func:`chosen_k`.
    sample_units : int, optional
        Past this many units in a space, Ward clusters a seeded sample and
        places the other units by nearest centroid, and t-SNE maps the
        sample only (see :func:`cluster_labels`, :func:`projection_2d`).

    Returns
    -------
    DataFrame
        One row per unit, space and method: ``unit_id``, ``doc_id``,
        ``section_path``, ``space``, ``method``, ``k``, ``cluster`` (1 … k,
        ``-1`` when left out of the space) and the unit's 2-D coordinates in
        that space (``svd_x``, ``svd_y``, ``tsne_x``, ``tsne_y``; NaN when left
        out, and t-SNE's NaN outside the sample).
    """
    frames = []
    for (space_name, method), k in ks.items():
        space = spaces[space_name]
        labels = cluster_labels(
            space.matrix, method, k, random_state, n_init, sample_units=sample_units
        )
        frame = units[["unit_id", "doc_id", "section_path"]].copy()
        frame.insert(3, "space", space_name)
        frame.insert(4, "method", method)
        frame.insert(5, "k", k)
        by_unit = dict(zip(space.unit_ids, labels, strict=True))
        frame["cluster"] = [int(by_unit.get(unit_id, LEFT_OUT)) for unit_id in frame["unit_id"]]
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=ASSIGNMENT_COLUMNS)
    table = pd.concat(frames, ignore_index=True)
    for space_name in dict.fromkeys(space for space, _ in ks):
        space = spaces[space_name]
        rows = table["space"] == space_name
        positions = {unit_id: i for i, unit_id in enumerate(space.unit_ids)}
        index = table.loc[rows, "unit_id"].map(positions)
        for projection in PROJECTIONS:
            coords = projection_2d(space.matrix, projection, random_state, sample_units)
            padded = np.vstack([coords, [np.nan, np.nan]])
            where = index.fillna(len(coords)).astype(int).to_numpy()
            table.loc[rows, f"{projection}_x"] = padded[where, 0]
            table.loc[rows, f"{projection}_y"] = padded[where, 1]
    return table[ASSIGNMENT_COLUMNS]


def cluster_top_terms(
    tfidf: ClusterSpace, assignments: pd.DataFrame, top_n: int = 10
) -> pd.DataFrame:
    """The terms that set each cluster apart, for clusters of any space (any grain).

    A term's score in a cluster is its mean TF-IDF weight in the cluster's
    units minus its mean weight in the other clustered units, so a word
    common to every paragraph (办公室) ranks low everywhere.

    Parameters
    ----------
    tfidf : ClusterSpace
        The TF-IDF space (clusters of the topic space are described by the
        TF-IDF rows of their units too).
    assignments : DataFrame
        From :func:`cluster_assignments`.
    top_n : int
        Terms per cluster (only terms with a positive score).

    Returns
    -------
    DataFrame
        ``space``, ``method``, ``cluster``, ``n_units``, ``rank`` (1 = most
        distinctive), ``term``, ``score``, ``weight_in``, ``weight_out``.
    """
    columns = [
        "space",
        "method",
        "cluster",
        "n_units",
        "rank",
        "term",
        "score",
        "weight_in",
        "weight_out",
    ]
    rows = []
    positions = {unit_id: i for i, unit_id in enumerate(tfidf.unit_ids)}
    matrix = (
        tfidf.matrix.tocsr() if sparse.issparse(tfidf.matrix) else sparse.csr_matrix(tfidf.matrix)
    )
    terms = np.asarray(tfidf.terms, dtype=object)
    for (space, method), group in assignments.groupby(["space", "method"], sort=False):
        clustered = group[(group["cluster"] != LEFT_OUT) & group["unit_id"].isin(positions)]
        if clustered.empty or not len(terms):
            continue
        index = clustered["unit_id"].map(positions).to_numpy()
        labels = clustered["cluster"].to_numpy()
        sub = matrix[index]
        for cluster in sorted(set(labels)):
            inside = labels == cluster
            weight_in = np.asarray(sub[inside].mean(axis=0)).ravel()
            weight_out = (
                np.asarray(sub[~inside].mean(axis=0)).ravel()
                if (~inside).any()
                else np.zeros_like(weight_in)
            )
            score = weight_in - weight_out
            order = np.lexsort((terms, -score))  # highest score first, ties by term
            order = [i for i in order if score[i] > 0][:top_n]
            for rank, i in enumerate(order, start=1):
                rows.append(
                    {
                        "space": space,
                        "method": method,
                        "cluster": int(cluster),
                        "n_units": int(inside.sum()),
                        "rank": rank,
                        "term": terms[i],
                        "score": float(score[i]),
                        "weight_in": float(weight_in[i]),
                        "weight_out": float(weight_out[i]),
                    }
                )
    return pd.DataFrame(rows, columns=columns)


def cluster_term_lists(
    top_terms: pd.DataFrame, space: str, method: str, n_terms: int = 8
) -> pd.DataFrame:
    """One row per cluster of one clustering: ``cluster``, ``n_units``, ``terms`` (space-joined, best first)."""
    chosen = top_terms[(top_terms["space"] == space) & (top_terms["method"] == method)]
    rows = [
        {
            "cluster": int(cluster),
            "n_units": int(group["n_units"].iloc[0]),
            "terms": " ".join(group.sort_values("rank")["term"].head(n_terms)),
        }
        for cluster, group in chosen.groupby("cluster")
    ]
    return pd.DataFrame(rows, columns=["cluster", "n_units", "terms"])


def cluster_members(
    assignments: pd.DataFrame, units: pd.DataFrame, space: str, method: str, cluster: int
) -> pd.DataFrame:
    """The units of one cluster with their text (grain of the assignments), in corpus order.

    Returns
    -------
    DataFrame
        ``unit_id``, ``doc_id``, ``section_path``, ``text``.
    """
    chosen = assignments[
        (assignments["space"] == space)
        & (assignments["method"] == method)
        & (assignments["cluster"] == cluster)
    ]
    texts = units.set_index("unit_id")["text"]
    members = chosen[["unit_id", "doc_id", "section_path"]].reset_index(drop=True)
    members["text"] = members["unit_id"].map(texts)
    return members


def spread_matrix(
    spread: pd.DataFrame, space: str, method: str, value: str = "n_units"
) -> pd.DataFrame:
    """Speech × cluster table of one clustering (``value``: ``n_units`` or ``share``)."""
    chosen = spread[(spread["space"] == space) & (spread["method"] == method)]
    return (
        chosen.pivot(index="doc_id", columns="cluster", values=value)
        .sort_index()
        .sort_index(axis=1)
    )


def cluster_spread(assignments: pd.DataFrame) -> pd.DataFrame:
    """How each speech's units spread over the clusters (grain of the assignments).

    Returns
    -------
    DataFrame
        One row per space, method, speech and cluster (every cluster, zeros
        included; ``-1`` = units left out, only when there are any):
        ``space``, ``method``, ``doc_id``, ``cluster``, ``n_units``,
        ``share`` (of the speech's units; a speech's rows sum to 1).
    """
    columns = ["space", "method", "doc_id", "cluster", "n_units", "share"]
    frames = []
    for (space, method), group in assignments.groupby(["space", "method"], sort=False):
        counts = pd.crosstab(group["doc_id"], group["cluster"]).sort_index().sort_index(axis=1)
        long = counts.stack().rename("n_units").reset_index()
        long["share"] = long["n_units"] / long.groupby("doc_id")["n_units"].transform("sum")
        long.insert(0, "space", space)
        long.insert(1, "method", method)
        frames.append(long)
    if not frames:
        return pd.DataFrame(columns=columns)
    table = pd.concat(frames, ignore_index=True)
    table["cluster"] = table["cluster"].astype(int)
    table["n_units"] = table["n_units"].astype(int)
    return table[columns]


def cluster_summary(assignments: pd.DataFrame, selection: pd.DataFrame) -> pd.DataFrame:
    """One row per space and method: chosen k, its silhouette, and how far clusters follow speeches.

    ``nmi_speech`` / ``ari_speech`` compare the clusters with the speech each
    unit comes from: near 1, clusters are speeches (style, occasion); near 0,
    clusters cut across speeches (shared themes). ``nmi_section`` does the
    same for top-level sections within speeches (``doc_id`` + first label of
    ``section_path``).
    """
    columns = [
        "space",
        "method",
        "k",
        "silhouette",
        "n_units",
        "n_left_out",
        "nmi_speech",
        "ari_speech",
        "nmi_section",
    ]
    rows = []
    chosen = selection[selection["chosen"]].set_index(["space", "method"])
    for (space, method), group in assignments.groupby(["space", "method"], sort=False):
        clustered = group[group["cluster"] != LEFT_OUT]
        sections = clustered["doc_id"] + "/" + clustered["section_path"].str.split("/").str[0]
        speech_scores = agreement_scores(clustered["doc_id"], clustered["cluster"])
        rows.append(
            {
                "space": space,
                "method": method,
                "k": int(group["k"].iloc[0]),
                "silhouette": float(chosen.loc[(space, method), "silhouette"])
                if (space, method) in chosen.index
                else np.nan,
                "n_units": len(clustered),
                "n_left_out": int((group["cluster"] == LEFT_OUT).sum()),
                "nmi_speech": speech_scores["nmi"],
                "ari_speech": speech_scores["ari"],
                "nmi_section": agreement_scores(sections, clustered["cluster"])["nmi"],
            }
        )
    return pd.DataFrame(rows, columns=columns)


def agreement_scores(labels_true: Sequence[Any], labels_pred: Sequence[Any]) -> dict[str, float]:
    """NMI (arithmetic mean normalisation) and adjusted Rand index of two labelings of the same items."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels_true, labels_pred = list(labels_true), list(labels_pred)
    if not labels_true:
        return {"nmi": float("nan"), "ari": float("nan")}
    return {
        "nmi": float(normalized_mutual_info_score(labels_true, labels_pred)),
        "ari": float(adjusted_rand_score(labels_true, labels_pred)),
    }
