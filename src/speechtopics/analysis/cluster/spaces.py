"""The vector spaces units are clustered in.

* ``tfidf`` — TF-IDF of the units' token lists, rows L2-normalised;
* ``topic`` — document–topic proportions from the topics stage, mapped to
  their square roots (the Hellinger embedding).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from scipy import sparse

from ..vectors import tfidf_matrix

SPACES: tuple[str, ...] = ("tfidf", "topic")


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


def lsa_space(tfidf: ClusterSpace, n_components: int, random_state: int) -> ClusterSpace:
    """The LSA space: the TF-IDF rows reduced by TruncatedSVD and L2-normalised (:func:`lsa_matrix`).

    Fewer dimensions than units and terms are kept (``min(units, terms) - 1`` at most).
    """
    if tfidf.n_units < 3 or not tfidf.terms:
        return ClusterSpace("lsa", [], np.zeros((0, 1)), [])
    reduced = lsa_matrix(tfidf.matrix, n_components, random_state)
    dimensions = [f"lsa_{i + 1}" for i in range(reduced.shape[1])]
    return ClusterSpace("lsa", list(tfidf.unit_ids), reduced, dimensions)


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
    lsa_components: int = 0,
    random_state: int = 0,
) -> dict[str, ClusterSpace]:
    """The spaces to cluster a grain's units in.

    ``tfidf`` always (it also describes the clusters of every space),
    ``lsa`` when ``lsa_components`` is positive, ``topic`` when
    ``doc_topic`` is given. The LSA and topic spaces hold the units of the
    TF-IDF space (those with a topic vector, for the topic space), so the
    spaces cluster the same paragraphs where they can.
    """
    spaces = {
        "tfidf": tfidf_space(units, min_tokens=min_tokens, min_df=min_df, sublinear_tf=sublinear_tf)
    }
    if lsa_components > 0:
        spaces["lsa"] = lsa_space(spaces["tfidf"], lsa_components, random_state)
    if doc_topic is not None and not doc_topic.empty:
        spaces["topic"] = topic_space(doc_topic, spaces["tfidf"].unit_ids)
    return spaces
