"""Clustering of analysis units (paragraphs by default) and of whole speeches.

Two vector spaces, two methods:

* ``tfidf`` — TF-IDF of the units' token lists, rows L2-normalised;
* ``topic`` — document–topic proportions from the topics stage, mapped to
  their square roots (the Hellinger embedding: Euclidean distance between
  square-root vectors is √2 times the Hellinger distance between the
  distributions);
* ``kmeans`` — k-means, seeded, with a fixed number of restarts;
* ``ward`` — agglomerative clustering with Ward linkage (one tree, cut at each k).

The number of clusters is chosen per space and method as the k with the
highest mean silhouette over ``[cluster] k_min … k_max`` (Euclidean distance,
the distance both methods minimise; on L2-normalised TF-IDF rows it is a
monotone function of cosine distance).

TF-IDF is built from the token lists the corpus already holds, through an
identity analyzer, not by passing the tokenizer as ``analyzer=``: the tokens
were produced once by the project tokenizer and cached, every stage sees the
same ones, and the units are not segmented a second time. Texts that have no
token lists yet (the benchmark headlines) are tokenized with the project
tokenizer first and then take the same path.

Cluster numbers run from 1 (the largest cluster) to k; ties in size go to
the cluster whose first unit comes first. Units left out of a space (too
few tokens, no TF-IDF weight, no topic vector) get cluster ``-1``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from scipy import sparse

SPACES: tuple[str, ...] = ("tfidf", "topic")
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


_F = TypeVar("_F", bound=Callable[..., Any])


def single_threaded(function: _F) -> _F:
    """Run ``function`` with BLAS and OpenMP limited to one thread.

    k-means, SVD, t-SNE and silhouettes then sum in the same order on every
    machine, so the same seed gives the same numbers whatever the core
    count; at this corpus size one thread is also faster (no oversubscribed
    thread pools).
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------- vector spaces


def identity_analyzer(tokens: Sequence[str]) -> list[str]:
    """Analyzer for scikit-learn vectorizers fed with token lists: the tokens themselves."""
    return list(tokens)


@dataclass
class ClusterSpace:
    """Vectors of the units clustered in one space.

    Attributes
    ----------
    name : str
        ``tfidf`` or ``topic``.
    unit_ids : list of str
        The units, in corpus order; row ``i`` of ``matrix`` is ``unit_ids[i]``.
    matrix : scipy.sparse matrix or ndarray
        One row per unit (TF-IDF rows L2-normalised; topic rows square-rooted).
    terms : list of str
        Column names: the vocabulary (``tfidf``) or the topic names (``topic``).
    """

    name: str
    unit_ids: list[str]
    matrix: Any
    terms: list[str]

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    def dense(self) -> np.ndarray:
        """The matrix as a dense float array."""
        return (
            self.matrix.toarray()
            if sparse.issparse(self.matrix)
            else np.asarray(self.matrix, dtype=float)
        )


def tfidf_matrix(
    token_lists: Sequence[Sequence[str]], min_df: int | float = 1, sublinear_tf: bool = True
) -> tuple[sparse.csr_matrix, list[str]]:
    """TF-IDF of pre-tokenized texts (any grain), rows L2-normalised.

    Parameters
    ----------
    token_lists : sequence of sequence of str
        One token list per unit (paragraph, speech, headline …).
    min_df : int or float
        Drop terms found in fewer units (int) or a smaller share of units (float).
        An int larger than the number of units is lowered to 1.
    sublinear_tf : bool
        Use ``1 + log(tf)`` instead of raw counts.

    Returns
    -------
    matrix : scipy.sparse.csr_matrix
        Units × terms.
    terms : list of str
        The vocabulary, sorted (column order).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    if isinstance(min_df, int) and min_df > len(token_lists):
        min_df = 1
    vectorizer = TfidfVectorizer(
        analyzer=identity_analyzer,
        lowercase=False,
        min_df=min_df,
        sublinear_tf=sublinear_tf,
        norm="l2",
    )
    try:
        matrix = vectorizer.fit_transform(list(token_lists))
    except ValueError:  # empty vocabulary
        return sparse.csr_matrix((len(token_lists), 0)), []
    return matrix.tocsr(), list(vectorizer.get_feature_names_out())


def clusterable_units(units: pd.DataFrame, min_tokens: int = 1) -> pd.DataFrame:
    """Units with at least ``min_tokens`` tokens (any grain), in corpus order.

    Headings and salutations (``同志们：``) carry a handful of tokens and no
    content of their own; they are left out of clustering by ``min_tokens``.
    """
    return units[units["n_tokens"] >= max(int(min_tokens), 1)].reset_index(drop=True)


def tfidf_space(
    units: pd.DataFrame, min_tokens: int = 1, min_df: int | float = 1, sublinear_tf: bool = True
) -> ClusterSpace:
    """The TF-IDF space of a grain's units.

    Parameters
    ----------
    units : DataFrame
        ``Corpus.at_grain(...)`` (``unit_id``, ``tokens``, ``n_tokens``).
    min_tokens : int
        Units with fewer tokens are left out.
    min_df, sublinear_tf
        See :func:`tfidf_matrix`.

    Returns
    -------
    ClusterSpace
        Units whose TF-IDF row is all zero (every token below ``min_df``) are left out.
    """
    kept = clusterable_units(units, min_tokens)
    matrix, terms = tfidf_matrix(kept["tokens"].tolist(), min_df=min_df, sublinear_tf=sublinear_tf)
    nonzero = (
        np.asarray(matrix.getnnz(axis=1) > 0)
        if matrix.shape[1]
        else np.zeros(len(kept), dtype=bool)
    )
    return ClusterSpace(
        "tfidf", kept.loc[nonzero, "unit_id"].tolist(), matrix[np.flatnonzero(nonzero)], terms
    )


def topic_space(doc_topic: pd.DataFrame, unit_ids: Iterable[str]) -> ClusterSpace:
    """The topic space: Hellinger embedding of document–topic proportions.

    Parameters
    ----------
    doc_topic : DataFrame
        Indexed by ``unit_id``, one column per topic, rows of proportions.
    unit_ids : iterable of str
        The units to keep, in this order (those without a row are left out).

    Returns
    -------
    ClusterSpace
        Rows ``sqrt(p / sum(p))``.
    """
    wanted = [unit_id for unit_id in unit_ids if unit_id in doc_topic.index]
    values = (
        doc_topic.loc[wanted].to_numpy(dtype=float) if wanted else np.zeros((0, doc_topic.shape[1]))
    )
    values = np.clip(values, 0.0, None)
    totals = values.sum(axis=1, keepdims=True)
    keep = totals[:, 0] > 0
    proportions = values[keep] / totals[keep]
    return ClusterSpace(
        "topic",
        [u for u, k in zip(wanted, keep, strict=True) if k],
        np.sqrt(proportions),
        [str(c) for c in doc_topic.columns],
    )


@single_threaded
def lda_doc_topic(
    units: pd.DataFrame,
    num_topics: int,
    random_state: int,
    passes: int = 10,
    iterations: int = 200,
    min_tokens: int = 1,
) -> pd.DataFrame:
    """Document–topic proportions of one seeded gensim LDA fit (any grain).

    For clustering in topic space when the topics stage's ``doc_topic`` is
    not at hand (a notebook on a subset, the tests). The pipeline uses the
    topics stage's output instead.

    Returns
    -------
    DataFrame
        Indexed by ``unit_id``; columns ``topic_1`` … ``topic_K``; rows sum to 1.
    """
    from gensim.corpora import Dictionary
    from gensim.models import LdaModel

    kept = clusterable_units(units, min_tokens)
    texts = kept["tokens"].tolist()
    dictionary = Dictionary(texts)
    bows = [dictionary.doc2bow(text) for text in texts]
    model = LdaModel(
        bows,
        id2word=dictionary,
        num_topics=num_topics,
        random_state=random_state,
        passes=passes,
        iterations=iterations,
        alpha="auto",
        eta="auto",
    )
    proportions = np.zeros((len(bows), num_topics))
    for row, bow in enumerate(bows):
        for topic, weight in model.get_document_topics(bow, minimum_probability=0.0):
            proportions[row, topic] = weight
    proportions /= proportions.sum(axis=1, keepdims=True)
    return pd.DataFrame(
        proportions,
        index=pd.Index(kept["unit_id"], name="unit_id"),
        columns=[f"topic_{i + 1}" for i in range(num_topics)],
    )


def build_spaces(
    units: pd.DataFrame,
    doc_topic: pd.DataFrame | None = None,
    min_tokens: int = 1,
    min_df: int | float = 1,
    sublinear_tf: bool = True,
) -> dict[str, ClusterSpace]:
    """The spaces to cluster a grain's units in: ``tfidf`` always, ``topic`` when ``doc_topic`` is given.

    The topic space holds the units of the TF-IDF space that have a topic
    vector, so the two spaces cluster the same paragraphs where they can.
    """
    spaces = {
        "tfidf": tfidf_space(units, min_tokens=min_tokens, min_df=min_df, sublinear_tf=sublinear_tf)
    }
    if doc_topic is not None and not doc_topic.empty:
        spaces["topic"] = topic_space(doc_topic, spaces["tfidf"].unit_ids)
    return spaces


# --------------------------------------------------------------------------- clustering


def canonical_labels(labels: Sequence[int]) -> np.ndarray:
    """Relabel clusters 1 … k: largest first, ties by first occurrence."""
    labels = np.asarray(labels)
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(values)), key=lambda i: (-counts[i], first[i]))
    mapping = {values[i]: rank + 1 for rank, i in enumerate(order)}
    return np.array([mapping[value] for value in labels], dtype=int)


def ward_tree(matrix: Any) -> np.ndarray:
    """Ward linkage matrix (scipy format) of the rows of ``matrix`` (dense copy)."""
    from scipy.cluster.hierarchy import linkage

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
        A precomputed :func:`ward_tree` of ``matrix``.

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

        tree = ward_tree(matrix) if tree is None else tree
        labels = cut_tree(tree, n_clusters=k)[:, 0]
    else:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    return canonical_labels(labels)


def k_range(k_min: int, k_max: int, n_units: int) -> list[int]:
    """The k worth trying: ``k_min … k_max`` limited to ``2 … n_units - 1`` (silhouette's range)."""
    return list(range(max(int(k_min), 2), min(int(k_max), n_units - 1) + 1))


@single_threaded
def k_selection(
    space: ClusterSpace,
    k_min: int,
    k_max: int,
    random_state: int,
    n_init: int = 10,
    methods: Sequence[str] = METHODS,
) -> pd.DataFrame:
    """Mean silhouette of each method and k in one space (any grain).

    Returns
    -------
    DataFrame
        ``space``, ``method``, ``k``, ``silhouette``, ``n_units``, ``chosen``
        (True on the k with the highest silhouette per method; the smallest
        such k on ties). Empty when no k fits the number of units.
    """
    from sklearn.metrics import silhouette_score

    columns = ["space", "method", "k", "silhouette", "n_units", "chosen"]
    ks = k_range(k_min, k_max, space.n_units)
    rows = []
    for method in methods:
        tree = ward_tree(space.matrix) if method == "ward" and ks else None
        for k in ks:
            labels = cluster_labels(space.matrix, method, k, random_state, n_init, tree=tree)
            score = (
                silhouette_score(space.matrix, labels, metric="euclidean")
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
) -> pd.DataFrame:
    """:func:`k_selection` for every space, stacked (the ``cluster_k_selection`` table)."""
    tables = [
        k_selection(space, k_min, k_max, random_state, n_init, methods) for space in spaces.values()
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
def projection_2d(matrix: Any, projection: str, random_state: int) -> np.ndarray:
    """2-D coordinates of the rows of ``matrix`` (any grain), for maps.

    Parameters
    ----------
    projection : {"svd", "tsne"}
        ``svd``: TruncatedSVD to two components (the main axes of variation,
        distances roughly kept). ``tsne``: seeded t-SNE (exact gradient up to
        2,000 rows, Barnes–Hut above), initialised from PCA; keeps neighbours,
        not distances.
    random_state : int

    Returns
    -------
    ndarray
        ``n_rows × 2``; NaN when there are too few rows or columns.
    """
    n_rows = matrix.shape[0]
    coords = np.full((n_rows, 2), np.nan)
    if n_rows < 3 or matrix.shape[1] < 2:
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
            method="exact" if n_rows <= 2000 else "barnes_hut",
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

    Returns
    -------
    DataFrame
        One row per unit, space and method: ``unit_id``, ``doc_id``,
        ``section_path``, ``space``, ``method``, ``k``, ``cluster`` (1 … k,
        ``-1`` when left out of the space) and the unit's 2-D coordinates in
        that space (``svd_x``, ``svd_y``, ``tsne_x``, ``tsne_y``; NaN when left out).
    """
    frames = []
    for (space_name, method), k in ks.items():
        space = spaces[space_name]
        labels = cluster_labels(space.matrix, method, k, random_state, n_init)
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
            coords = projection_2d(space.matrix, projection, random_state)
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


def speech_titles(speeches: pd.DataFrame) -> dict[str, str]:
    """``doc_id -> title`` ('' when a speech has none) from ``Corpus.speeches_frame()``."""
    if speeches.empty:
        return {}
    return dict(zip(speeches["doc_id"], speeches["title"].fillna("").astype(str), strict=True))


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


# --------------------------------------------------------------------------- speeches


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


# --------------------------------------------------------------------------- stage


def _settings(params: dict[str, Any]) -> dict[str, Any]:
    section = params.get("cluster", {})
    return {
        "k_min": int(section.get("k_min", 2)),
        "k_max": int(section.get("k_max", 10)),
        "min_tokens": int(section.get("min_tokens", 1)),
        "min_df": section.get("min_df", 1),
        "sublinear_tf": bool(section.get("sublinear_tf", True)),
        "n_init": int(section.get("n_init", 10)),
        "top_n": int(section.get("top_n", 10)),
        "map_space": str(section.get("map_space", "tfidf")),
        "map_method": str(section.get("map_method", "kmeans")),
        "map_projection": str(section.get("map_projection", "tsne")),
        "dendrogram_linkage": str(section.get("dendrogram_linkage", "average")),
        "seed": int(params["analysis"]["seed"]),
        "grain": params["analysis"]["grain"],
    }


def _upstream_doc_topic(upstream: dict[str, Any]) -> pd.DataFrame | None:
    topics = upstream.get("topics")
    doc_topic = getattr(topics, "data", {}).get("doc_topic") if topics is not None else None
    if not isinstance(doc_topic, pd.DataFrame) or doc_topic.empty:
        return None
    if "unit_id" in doc_topic.columns:
        doc_topic = doc_topic.set_index("unit_id")
    doc_topic = doc_topic.select_dtypes("number")
    return doc_topic if not doc_topic.empty else None


def run_stage(corpus, params: dict[str, Any], upstream: dict[str, Any]):
    """The ``cluster`` stage: paragraph clusters in TF-IDF and topic space, and the speech dendrogram.

    Tables: ``cluster_k_selection``, ``cluster_assignments``,
    ``cluster_top_terms``, ``cluster_spread``, ``cluster_summary``,
    ``cluster_speech_linkage``. Figures: ``cluster_silhouette``,
    ``cluster_map``, ``cluster_spread``, ``speech_dendrogram``.
    """
    from .pipeline import StageOutput
    from .plots import cluster as plots

    output = StageOutput()
    settings = _settings(params)
    seed = settings["seed"]
    titles = speech_titles(corpus.speeches_frame())

    documents = corpus.at_grain("document")
    if len(documents) >= 2:
        tree = speech_linkage(documents, settings["dendrogram_linkage"], settings["sublinear_tf"])
        doc_ids = documents["doc_id"].tolist()
        output.tables["cluster_speech_linkage"] = speech_linkage_table(tree, doc_ids)
        output.data["speech_linkage"] = tree
        output.add_figure(
            "speech_dendrogram",
            plots.plot_speech_dendrogram(
                tree, doc_ids, titles, linkage_method=settings["dendrogram_linkage"]
            ),
        )
    else:
        output.messages.append(
            f"speech dendrogram skipped: {len(documents)} speech(es), it needs at least 2"
        )

    units = corpus.at_grain(settings["grain"])
    doc_topic = _upstream_doc_topic(upstream)
    if doc_topic is None:
        output.messages.append(
            "topic-vector clustering skipped: the topics stage gave no doc_topic; "
            "TF-IDF clustering only"
        )
    spaces = build_spaces(
        units, doc_topic, settings["min_tokens"], settings["min_df"], settings["sublinear_tf"]
    )
    if "topic" in spaces and spaces["topic"].n_units < spaces["tfidf"].n_units:
        output.messages.append(
            f"topic space: {spaces['tfidf'].n_units - spaces['topic'].n_units} unit(s) have no topic vector "
            f"(topics grain {params.get('topics', {}).get('grain', '?')!r}, clustering grain "
            f"{settings['grain']!r}); they get cluster -1 there"
        )
    left_out = len(units) - spaces["tfidf"].n_units
    if left_out:
        output.messages.append(
            f"{left_out} of {len(units)} {settings['grain']} units left out of clustering "
            f"(fewer than {settings['min_tokens']} tokens or no term above min_df); cluster -1"
        )
    for name in list(spaces):
        space = spaces[name]
        ks = k_range(settings["k_min"], settings["k_max"], space.n_units)
        if not ks:
            output.messages.append(
                f"{name} clustering skipped: {space.n_units} {settings['grain']} units, too few for "
                f"k = {settings['k_min']}…{settings['k_max']} (silhouette needs k ≤ units − 1)"
            )
            del spaces[name]
        elif ks[-1] < settings["k_max"]:
            output.messages.append(
                f"{name}: k range cut to {ks[0]}…{ks[-1]} ({space.n_units} units)"
            )
    if not spaces:
        return output

    selection = k_selection_table(
        spaces, settings["k_min"], settings["k_max"], seed, settings["n_init"]
    )
    assignments = cluster_assignments(units, spaces, chosen_k(selection), seed, settings["n_init"])
    top_terms = cluster_top_terms(spaces["tfidf"], assignments, settings["top_n"])
    spread = cluster_spread(assignments)
    output.tables["cluster_k_selection"] = selection
    output.tables["cluster_assignments"] = assignments
    output.tables["cluster_top_terms"] = top_terms
    output.tables["cluster_spread"] = spread
    output.tables["cluster_summary"] = cluster_summary(assignments, selection)
    output.data["assignments"] = assignments

    map_space = settings["map_space"] if settings["map_space"] in spaces else "tfidf"
    map_method = settings["map_method"]
    output.add_figure("cluster_silhouette", plots.plot_silhouette(selection))
    output.add_figure(
        "cluster_map",
        plots.plot_cluster_map(
            assignments,
            top_terms,
            titles,
            space=map_space,
            method=map_method,
            projection=settings["map_projection"],
        ),
    )
    output.add_figure(
        "cluster_spread",
        plots.plot_cluster_spread(spread, top_terms, titles, space=map_space, method=map_method),
    )
    return output


__all__ = [
    "ClusterSpace",
    "agreement_scores",
    "build_spaces",
    "canonical_labels",
    "chosen_k",
    "cluster_assignments",
    "cluster_labels",
    "cluster_members",
    "cluster_spread",
    "cluster_summary",
    "cluster_term_lists",
    "cluster_top_terms",
    "evaluate_against_labels",
    "identity_analyzer",
    "k_range",
    "k_selection",
    "k_selection_table",
    "lda_doc_topic",
    "lsa_matrix",
    "projection_2d",
    "run_stage",
    "speech_linkage",
    "speech_linkage_table",
    "speech_titles",
    "spread_matrix",
    "tfidf_matrix",
    "tfidf_space",
    "topic_space",
]
