"""Similarity of speeches: cosine of their TF-IDF vectors, all pairs or each speech's nearest."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from .vectors import Analyzer, TfidfFit, fit_tfidf


def cosine_similarity_matrix(fit: TfidfFit) -> pd.DataFrame:
    """Cosine similarity between the units of a fitted grain (square, symmetric).

    Parameters
    ----------
    fit : TfidfFit
        From :func:`fit_tfidf`; at document grain this compares speeches.

    Returns
    -------
    DataFrame
        Units × units, indexed and labelled by ``unit_id`` (the ``doc_id``
        at document grain), in ``fit.units`` order. The diagonal is 1 for
        every unit with at least one term, 0 for an empty unit.
    """
    weights = fit.weights.astype(float)
    norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
    safe = np.where(norms > 0, norms, 1.0)
    normalised = sparse.diags(1.0 / safe) @ weights
    similarity = np.asarray((normalised @ normalised.T).todense())
    similarity = (similarity + similarity.T) / 2.0
    similarity = np.clip(similarity, 0.0, 1.0)
    np.fill_diagonal(similarity, np.where(norms > 0, 1.0, 0.0))
    labels = fit.units["unit_id"] if "unit_id" in fit.units else fit.units.index
    labels = [str(label) for label in labels]
    return pd.DataFrame(
        similarity,
        index=pd.Index(labels, name="doc_id"),
        columns=pd.Index(labels, name="other_doc_id"),
    )


def speech_similarity(
    units: pd.DataFrame, analyzer: Analyzer | None = None, sublinear_tf: bool = False
) -> pd.DataFrame:
    """Cosine similarity of every pair of speeches on their TF-IDF vectors (long form).

    Parameters
    ----------
    units : DataFrame
        Document-grain units (``corpus.at_grain("document")``).
    analyzer : callable, optional
        None: the units' ``tokens``; else tokenize their ``text`` (see :func:`fit_tfidf`).
    sublinear_tf : bool
        See :func:`build_tfidf_vectorizer`.

    Returns
    -------
    DataFrame
        ``doc_id``, ``other_doc_id``, ``cosine``: every ordered pair
        (self-pairs included, 1.0), sorted by both ids.
    """
    matrix = cosine_similarity_matrix(fit_tfidf(units, analyzer, sublinear_tf=sublinear_tf))
    return similarity_long(matrix)


#: Above this many speeches the similarity table lists each speech's nearest ones only.
SIMILARITY_ALL_PAIRS = 500


def nearest_speeches(fit: TfidfFit, neighbours: int, block: int = 1000) -> pd.DataFrame:
    """Each unit's ``neighbours`` most similar others (and itself), for corpora too large for all pairs.

    Computed block by block, never holding the units × units matrix.

    Returns
    -------
    DataFrame
        ``doc_id``, ``other_doc_id``, ``cosine`` (as :func:`similarity_long`), sorted by both ids.
    """
    weights = fit.weights.astype(float)
    norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
    normalised = sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ weights
    labels = np.array([str(label) for label in fit.units["unit_id"]])
    rows = []
    for start in range(0, normalised.shape[0], block):
        chunk = np.clip(
            np.asarray((normalised[start : start + block] @ normalised.T).todense()), 0, 1
        )
        for offset, similarities in enumerate(chunk):
            own = start + offset
            similarities[own] = -1.0
            nearest = np.argsort(-similarities, kind="stable")[:neighbours]
            rows.append((labels[own], labels[own], 1.0 if norms[own] > 0 else 0.0))
            rows.extend((labels[own], labels[j], float(similarities[j])) for j in nearest)
    table = pd.DataFrame(rows, columns=["doc_id", "other_doc_id", "cosine"])
    return table.sort_values(["doc_id", "other_doc_id"], kind="mergesort").reset_index(drop=True)


def similarity_long(matrix: pd.DataFrame) -> pd.DataFrame:
    """A square similarity matrix as rows ``doc_id``, ``other_doc_id``, ``cosine``, sorted."""
    long = matrix.stack().rename("cosine").reset_index()
    long.columns = ["doc_id", "other_doc_id", "cosine"]
    return long.sort_values(["doc_id", "other_doc_id"], kind="mergesort").reset_index(drop=True)


def similarity_wide(similarity: pd.DataFrame) -> pd.DataFrame:
    """The long similarity table as a square matrix (rows and columns sorted by ``doc_id``)."""
    wide = similarity.pivot(index="doc_id", columns="other_doc_id", values="cosine")
    return wide.sort_index().sort_index(axis=1)
