"""Topic coherence (``c_npmi``, ``c_v``, ``u_mass`` as gensim's ``CoherenceModel`` defines them).

The texts are counted once per measure for the union of all fits' top words
(:func:`count_co_occurrences`) and every fit is scored from those counts
(:func:`score_topics`): the same values as gensim, checked by the tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

COHERENCE_MEASURES: tuple[str, ...] = ("c_npmi", "c_v", "u_mass")


#: Sliding-window sizes of gensim's ``CoherenceModel`` (its defaults); ``u_mass`` counts whole units.
COHERENCE_WINDOWS: dict[str, int | None] = {"c_npmi": 10, "c_v": 110, "u_mass": None}

#: gensim's smoothing constant of the direct confirmation measures.
COHERENCE_EPSILON = 1e-12


@dataclass
class CoherenceCounts:
    """Word and co-occurrence counts for coherence, gathered once for many fits.

    Attributes
    ----------
    words : list of str
        The counted words (the union of all fits' top words).
    counts : dict
        ``measure -> (co-occurrence matrix, number of windows or units)``;
        the matrix is words × words, occurrences on its diagonal.
    """

    words: list[str]
    counts: dict[str, tuple[np.ndarray, int]]

    @property
    def index(self) -> dict[str, int]:
        return {word: i for i, word in enumerate(self.words)}


def _window_membership(ids: np.ndarray, window_size: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Which counted words each sliding window of one text holds, as gensim counts them.

    gensim's ``WordOccurrenceAccumulator`` slides a window over the text and,
    from one window to the next, drops the word that left on the left and
    adds the word that entered on the right, without checking whether the
    dropped word still occurs in the window. A word is therefore counted in a
    window when the last such event up to that window (drops before adds at
    the same step; the first window holds all its words) added it. A text
    not longer than the window is one window; an empty text is one empty
    window.

    Parameters
    ----------
    ids : ndarray of int
        Per token, the index of its word among the counted words, or -1.
    window_size : int

    Returns
    -------
    (members, words, n_windows)
        Boolean windows × words matrix, the counted words it covers, and the
        number of windows of the text.
    """
    length = len(ids)
    positions = np.flatnonzero(ids >= 0)
    words, columns = np.unique(ids[positions], return_inverse=True)
    if length <= window_size:
        return np.ones((1 if len(words) else 0, len(words)), dtype=bool), words, 1
    n_windows = length - window_size + 1
    events = np.zeros((n_windows, len(words)), dtype=np.int8)
    removed_at = positions + 1
    keep = removed_at < n_windows
    events[removed_at[keep], columns[keep]] = -1
    events[np.maximum(0, positions - window_size + 1), columns] = 1
    last = np.where(events != 0, np.arange(n_windows)[:, None], 0)
    np.maximum.accumulate(last, axis=0, out=last)
    members = np.take_along_axis(events, last, axis=0) == 1
    return members, words, n_windows


def _sliding_window_counts(
    id_lists: Sequence[np.ndarray], n_words: int, window_size: int
) -> tuple[np.ndarray, int]:
    """Co-occurrence counts of the counted words in sliding windows over all texts (see :func:`_window_membership`)."""
    matrix = np.zeros((n_words, n_words), dtype=np.int64)
    n_windows = 0
    for ids in id_lists:
        members, words, windows = _window_membership(ids, window_size)
        n_windows += windows
        if len(words):
            block = members.astype(np.int64)
            matrix[np.ix_(words, words)] += block.T @ block
    return matrix, n_windows


def _document_counts(id_lists: Sequence[np.ndarray], n_words: int) -> tuple[np.ndarray, int]:
    """Co-occurrence counts of the counted words in whole units (gensim's boolean document estimate)."""
    matrix = np.zeros((n_words, n_words), dtype=np.int64)
    for ids in id_lists:
        words = np.unique(ids[ids >= 0])
        matrix[np.ix_(words, words)] += 1
    return matrix, len(id_lists)


def count_co_occurrences(
    texts: Sequence[Sequence[str]],
    words: Iterable[str],
    measures: Sequence[str] = COHERENCE_MEASURES,
) -> CoherenceCounts:
    """Count the words of all fits' topics once per measure, in one pass over the texts each.

    Gives the counts gensim's ``CoherenceModel`` estimates (boolean sliding
    windows of 10 tokens for ``c_npmi``, 110 for ``c_v``; boolean units for
    ``u_mass``) for every word at once, with array operations instead of
    gensim's per-window Python loop, whose cost grows with the square of the
    number of counted words in a window.

    Parameters
    ----------
    texts : sequence of list of str
        Reference units (tokens), any grain.
    words : iterable of str
        Words to count (the union of the top words to score).
    measures : sequence of str
        Among ``c_npmi``, ``c_v``, ``u_mass``.

    Returns
    -------
    CoherenceCounts
    """
    unknown = [measure for measure in measures if measure not in COHERENCE_WINDOWS]
    if unknown:
        raise ValueError(
            f"unsupported coherence measure(s) {unknown}; choose from {list(COHERENCE_WINDOWS)}"
        )
    words = sorted(set(words))
    index = {word: i for i, word in enumerate(words)}
    id_lists = [
        np.fromiter((index.get(token, -1) for token in text), dtype=np.int64) for text in texts
    ]
    counts: dict[str, tuple[np.ndarray, int]] = {}
    for measure in measures:
        window = COHERENCE_WINDOWS[measure]
        counts[measure] = (
            _document_counts(id_lists, len(words))
            if window is None
            else _sliding_window_counts(id_lists, len(words), window)
        )
    return CoherenceCounts(words=words, counts=counts)


def _npmi(block: np.ndarray, n_windows: int) -> np.ndarray:
    """gensim's normalised log-ratio (NPMI) of every pair of words of a count block (diagonal included)."""
    joint = block / n_windows
    single = np.diag(block) / n_windows
    smoothed = joint + COHERENCE_EPSILON
    return np.log(smoothed / np.outer(single, single)) / -np.log(smoothed)


def score_topics(
    counts: CoherenceCounts, topics: Sequence[Sequence[str]]
) -> dict[str, list[float]]:
    """Coherence of each topic (its top words, best first) under every measure of ``counts``.

    The formulas are gensim's: ``c_npmi`` averages the NPMI of every ordered
    pair of top words (``s_one_one`` segmentation); ``c_v`` averages the
    cosine between each word's NPMI vector and the topic's summed vector
    (``s_one_set``, gamma = 1); ``u_mass`` averages ``log((D(w_i, w_j) / D +
    ε) / (D(w_j) / D))`` over pairs where ``w_j`` ranks above ``w_i``
    (``s_one_pre``). The tests check the values against ``CoherenceModel``.
    """
    index = counts.index
    scores: dict[str, list[float]] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for measure, (matrix, n_windows) in counts.counts.items():
            values = []
            for topic in topics:
                ids = [index[word] for word in topic]
                block = matrix[np.ix_(ids, ids)].astype(float)
                n = len(ids)
                if measure == "u_mass":
                    occurrences = np.diag(block)
                    ratio = np.log(
                        (block / n_windows + COHERENCE_EPSILON) / (occurrences[None, :] / n_windows)
                    )
                    ratio[:, occurrences == 0] = 0.0
                    lower = np.tril(np.ones((n, n), dtype=bool), k=-1)
                    values.append(float(np.mean(ratio[lower])) if lower.any() else float("nan"))
                    continue
                # Words that never occur in the texts (a sample may miss rare top words)
                # have no NPMI: the topic is scored on the words that occur.
                present = np.diag(block) > 0
                npmi = _npmi(block[np.ix_(present, present)], n_windows)
                n = int(present.sum())
                if n < 2:
                    values.append(float("nan"))
                elif measure == "c_npmi":
                    values.append(float(np.mean(npmi[~np.eye(n, dtype=bool)])))
                else:
                    topic_vector = npmi.sum(axis=0)
                    norms = np.sqrt((npmi**2).sum(axis=1)) * np.sqrt((topic_vector**2).sum())
                    values.append(float(np.mean((npmi @ topic_vector) / norms)))
            scores[measure] = values
    return scores


def coherence_scores(
    topic_sets: Sequence[Sequence[Sequence[str]]],
    texts: Sequence[Sequence[str]],
    measures: Sequence[str] = COHERENCE_MEASURES,
) -> list[dict[str, list[float]]]:
    """Coherence of every topic of several fits, counting the texts once per measure.

    Parameters
    ----------
    topic_sets : sequence of (list of list of str)
        Per fit, the top words of each topic (best first).
    texts : sequence of list of str
        Reference units (tokens).
    measures : sequence of str
        Among ``c_npmi``, ``c_v``, ``u_mass``.

    Returns
    -------
    list of dict
        Per fit, ``measure -> coherence of each topic``; equal to gensim's
        ``CoherenceModel(topics=…, texts=texts, coherence=measure).get_coherence_per_topic()``.
    """
    if not topic_sets:
        return []
    words = {word for topics in topic_sets for topic in topics for word in topic}
    counts = count_co_occurrences(texts, words, measures)
    return [score_topics(counts, topics) for topics in topic_sets]
