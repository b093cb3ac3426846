"""Comparing topics: top words, Jaccard, cosine alignment and the consensus of several fits."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment


def top_word_ids(topic_word: np.ndarray, n: int) -> np.ndarray:
    """Ids of the ``n`` most probable words of each topic (ties broken by word id).

    Parameters
    ----------
    topic_word : ndarray, shape (K, V)
    n : int

    Returns
    -------
    ndarray, shape (K, min(n, V))
    """
    order = np.argsort(-np.asarray(topic_word), axis=1, kind="stable")
    return order[:, : min(n, order.shape[1])]


def top_words(topic_word: np.ndarray, vocab: Sequence[str], n: int) -> list[list[str]]:
    """The ``n`` most probable words of each topic, best first."""
    return [[vocab[i] for i in row] for row in top_word_ids(topic_word, n)]


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """Jaccard similarity of two word sets (1 = same words)."""
    set_a, set_b = set(a), set(b)
    union = set_a | set_b
    return len(set_a & set_b) / len(union) if union else 1.0


def jaccard_matrix(
    topics_a: Sequence[Iterable[str]], topics_b: Sequence[Iterable[str]]
) -> np.ndarray:
    """Jaccard similarity of every topic of ``a`` with every topic of ``b`` (top-word sets)."""
    sets_b = [set(topic) for topic in topics_b]
    return np.array(
        [[jaccard(topic, other) for other in sets_b] for topic in topics_a], dtype=float
    ).reshape(len(topics_a), len(sets_b))


def best_match_jaccard(
    topics_a: Sequence[Iterable[str]], topics_b: Sequence[Iterable[str]]
) -> pd.DataFrame:
    """One-to-one matching of two topic sets that maximises the total Jaccard of their top words.

    Hungarian matching (``scipy.optimize.linear_sum_assignment``); with sets
    of different sizes, the extra topics stay unmatched.

    Parameters
    ----------
    topics_a, topics_b : sequence of word collections
        Top words per topic of two fits.

    Returns
    -------
    DataFrame
        ``topic_a``, ``topic_b`` (0-based indices), ``jaccard``; one row per
        matched pair, by ``topic_a``.
    """
    similarity = jaccard_matrix(topics_a, topics_b)
    if similarity.size == 0:
        return pd.DataFrame({"topic_a": [], "topic_b": [], "jaccard": []})
    rows, cols = linear_sum_assignment(-similarity)
    return pd.DataFrame({"topic_a": rows, "topic_b": cols, "jaccard": similarity[rows, cols]})


def mean_best_match_jaccard(fits: Sequence[Sequence[Iterable[str]]]) -> float:
    """Mean over every pair of fits of their mean best-match Jaccard (unmatched topics count 0)."""
    values = []
    for a, b in itertools.combinations(range(len(fits)), 2):
        matched = best_match_jaccard(fits[a], fits[b])
        size = max(len(fits[a]), len(fits[b]))
        values.append(matched["jaccard"].sum() / size if size else 1.0)
    return float(np.mean(values)) if values else float("nan")


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=float)
    totals = matrix.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0
    return matrix / totals


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of ``a`` with every row of ``b``."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    norm_a = np.linalg.norm(a, axis=1, keepdims=True)
    norm_b = np.linalg.norm(b, axis=1, keepdims=True)
    norm_a[norm_a == 0] = 1.0
    norm_b[norm_b == 0] = 1.0
    return (a / norm_a) @ (b / norm_b).T


def align_to(reference: np.ndarray, topic_word: np.ndarray, fixed: int = 0) -> np.ndarray:
    """The permutation of ``topic_word``'s topics that best matches ``reference`` (same K).

    Parameters
    ----------
    reference, topic_word : ndarray, shape (K, V)
        Topic–word weights (normalised or not).
    fixed : int
        The first ``fixed`` topics keep their place (seeded theme topics);
        the others are matched by Hungarian assignment on cosine similarity.

    Returns
    -------
    ndarray of int
        ``order`` such that ``topic_word[order]`` lines up with ``reference``.
    """
    k = reference.shape[0]
    order = np.arange(k)
    if k - fixed > 1:
        similarity = cosine_matrix(
            _normalise_rows(reference[fixed:]), _normalise_rows(topic_word[fixed:])
        )
        rows, cols = linear_sum_assignment(-similarity)
        order[fixed + rows] = fixed + cols
    return order


def consensus(
    matrices: Sequence[np.ndarray], fixed: int = 0, rounds: int = 2
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Average of several fits' topics after aligning them to each other.

    The fit most similar to all others (mean matched cosine) is the first
    reference; every fit is aligned to it and the aligned fits are averaged;
    the alignment is then repeated ``rounds`` times against the average.

    Parameters
    ----------
    matrices : sequence of ndarray, shape (K, V)
        ``lambda`` (topic–word pseudo-counts) of each fit.
    fixed : int
        Leading topics whose identity is fixed (seeded themes).
    rounds : int
        Re-alignments against the running average.

    Returns
    -------
    (average, orders)
        The averaged matrix and, per fit, the permutation that aligned it.
    """
    matrices = [np.asarray(matrix, dtype=float) for matrix in matrices]
    if len(matrices) == 1:
        return matrices[0].copy(), [np.arange(matrices[0].shape[0])]
    normalised = [_normalise_rows(matrix) for matrix in matrices]
    scores = np.zeros(len(matrices))
    for a, b in itertools.combinations(range(len(matrices)), 2):
        order = align_to(normalised[a], normalised[b], fixed)
        similarity = float(
            np.mean(
                np.sum(
                    normalised[a]
                    / np.linalg.norm(normalised[a], axis=1, keepdims=True)
                    * normalised[b][order]
                    / np.linalg.norm(normalised[b][order], axis=1, keepdims=True),
                    axis=1,
                )
            )
        )
        scores[a] += similarity
        scores[b] += similarity
    reference = normalised[int(np.argmax(scores))]
    orders: list[np.ndarray] = []
    average = matrices[0]
    for _ in range(rounds + 1):
        orders = [align_to(reference, matrix, fixed) for matrix in normalised]
        average = np.mean(
            [matrix[order] for matrix, order in zip(matrices, orders, strict=True)], axis=0
        )
        reference = _normalise_rows(average)
    return average, orders
