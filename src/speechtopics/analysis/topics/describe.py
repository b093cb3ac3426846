"""Describing topics: FREX labels, top-word tables and prevalence by speech and section.

A label is the theme whose terms a topic lifts most above their corpus
share, followed by the topic's best FREX words (harmonic mean of the ranks
of frequency and exclusivity), e.g. ``参谋助手 · 信息/调研/决策``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from gensim.corpora import Dictionary
from gensim.models import LdaModel

from ...text.segment import top_section
from ..vectors import Bow, bow_corpus
from .align import _normalise_rows, top_word_ids
from .ensemble import infer_doc_topic

THEME_LABEL_SEPARATOR = " · "


def frex(topic_word: np.ndarray, weight: float = 0.5) -> np.ndarray:
    """FREX score of every word in every topic.

    The weighted harmonic mean of a word's rank (empirical CDF within the
    topic) by frequency (its probability in the topic) and by exclusivity
    (its probability in the topic over its summed probability in all topics).

    Parameters
    ----------
    topic_word : ndarray, shape (K, V)
        Topic–word probabilities.
    weight : float
        Weight of exclusivity (0.5 = equal weight).

    Returns
    -------
    ndarray, shape (K, V)
        In (0, 1]; high = frequent in the topic and rare elsewhere.
    """
    topic_word = _normalise_rows(topic_word)
    totals = topic_word.sum(axis=0, keepdims=True)
    totals[totals == 0] = 1.0
    exclusivity = topic_word / totals
    n_words = topic_word.shape[1]

    def ecdf(matrix: np.ndarray) -> np.ndarray:
        ranks = pd.DataFrame(matrix.T).rank(method="max").to_numpy().T
        return ranks / n_words

    return 1.0 / (weight / ecdf(exclusivity) + (1.0 - weight) / ecdf(topic_word))


def theme_lift(
    topic_word: np.ndarray, vocab: Sequence[str], themes: Sequence[Any], term_frequency: np.ndarray
) -> pd.DataFrame:
    """Probability mass of each theme's terms in each topic, and its ratio to the terms' corpus share.

    Returns
    -------
    DataFrame
        Rows = topics (0-based), columns = ``(mass | lift, theme)``.
    """
    index = {word: i for i, word in enumerate(vocab)}
    corpus_share = np.asarray(term_frequency, dtype=float)
    corpus_share = corpus_share / corpus_share.sum() if corpus_share.sum() else corpus_share
    topic_word = _normalise_rows(topic_word)
    mass, lift = {}, {}
    for theme in themes:
        ids = [index[term] for term in theme.terms if term in index]
        theme_mass = topic_word[:, ids].sum(axis=1) if ids else np.zeros(topic_word.shape[0])
        share = corpus_share[ids].sum() if ids else 0.0
        mass[theme.name] = theme_mass
        lift[theme.name] = theme_mass / share if share > 0 else np.zeros(topic_word.shape[0])
    return pd.concat({"mass": pd.DataFrame(mass), "lift": pd.DataFrame(lift)}, axis=1)


def topic_labels(
    topic_word: np.ndarray,
    vocab: Sequence[str],
    themes: Sequence[Any] = (),
    term_frequency: np.ndarray | None = None,
    *,
    theme_names: Sequence[str | None] | None = None,
    frex_weight: float = 0.5,
    n_words: int = 3,
    min_mass: float = 0.02,
    min_lift: float = 1.25,
) -> list[str]:
    """Suggested labels: a theme (when one stands out) and the topic's best FREX words.

    Parameters
    ----------
    topic_word : ndarray, shape (K, V)
    vocab : sequence of str
    themes : sequence of Theme
        Theme lexicon; a topic takes the theme whose terms it lifts most above
        their corpus share, if their mass in the topic is at least
        ``min_mass`` and the lift at least ``min_lift``.
    term_frequency : ndarray, optional
        Corpus count of every vocabulary word (for the lift); required with ``themes``.
    theme_names : sequence of (str or None), optional
        Fixed theme per topic (seeded topics); overrides the lexicon match.
    frex_weight, n_words :
        FREX weight and number of words in the label.

    Returns
    -------
    list of str
        E.g. ``参谋助手 · 信息/调研/决策``, or ``信息/调研/决策`` when no theme stands out.
    """
    scores = frex(topic_word, frex_weight)
    best = np.argsort(-scores, axis=1, kind="stable")[:, :n_words]
    words = ["/".join(vocab[i] for i in row) for row in best]
    themes_for_topics: list[str | None] = [None] * topic_word.shape[0]
    if theme_names is not None:
        themes_for_topics = list(theme_names)
    elif themes and term_frequency is not None:
        table = theme_lift(topic_word, vocab, themes, term_frequency)
        for topic in range(topic_word.shape[0]):
            lift = table["lift"].iloc[topic]
            mass = table["mass"].iloc[topic]
            eligible = lift[(mass >= min_mass) & (lift >= min_lift)]
            if len(eligible):
                themes_for_topics[topic] = str(eligible.idxmax())
    return [
        f"{theme}{THEME_LABEL_SEPARATOR}{w}" if theme else w
        for theme, w in zip(themes_for_topics, words, strict=True)
    ]


def term_frequency(dictionary: Dictionary, bow: Sequence[Bow]) -> np.ndarray:
    """Count of every vocabulary word in ``bow``."""
    counts = np.zeros(len(dictionary), dtype=float)
    for doc in bow:
        for word_id, count in doc:
            counts[word_id] += count
    return counts


def topic_words_table(
    topic_word: np.ndarray,
    vocab: Sequence[str],
    names: Sequence[str],
    labels: Sequence[str],
    top_n: int = 20,
    frex_weight: float = 0.5,
) -> pd.DataFrame:
    """The top words of every topic with their probability and FREX score.

    Returns
    -------
    DataFrame
        ``topic``, ``label``, ``rank`` (1 = most probable), ``word``, ``prob``, ``frex``.
    """
    topic_word = _normalise_rows(topic_word)
    scores = frex(topic_word, frex_weight)
    rows = []
    for index, row in enumerate(top_word_ids(topic_word, top_n)):
        for rank, word_id in enumerate(row, start=1):
            rows.append(
                {
                    "topic": names[index],
                    "label": labels[index],
                    "rank": rank,
                    "word": vocab[word_id],
                    "prob": float(topic_word[index, word_id]),
                    "frex": float(scores[index, word_id]),
                }
            )
    return pd.DataFrame(rows, columns=["topic", "label", "rank", "word", "prob", "frex"])


def topic_word_frame(
    topic_word: np.ndarray, vocab: Sequence[str], names: Sequence[str]
) -> pd.DataFrame:
    """Topic–word distributions as a DataFrame: index = topic names, columns = words."""
    return pd.DataFrame(_normalise_rows(topic_word), index=list(names), columns=list(vocab))


def doc_topic_table(
    model: LdaModel,
    units: pd.DataFrame,
    dictionary: Dictionary,
    names: Sequence[str],
    random_state: int = 0,
) -> pd.DataFrame:
    """Topic proportions of every unit that has at least one vocabulary word.

    Parameters
    ----------
    model : LdaModel
    units : DataFrame
        Units of the analysis grain (:meth:`Corpus.at_grain`): ``doc_id``,
        ``unit_id``, ``section_path``, ``tokens``.
    dictionary : Dictionary
    names : sequence of str
        Topic column names.
    random_state : int
        Seed of the inference (see :func:`infer_doc_topic`).

    Returns
    -------
    DataFrame
        ``unit_id``, ``doc_id``, ``section_path``, ``n_tokens`` (vocabulary
        tokens), one column per topic; rows sum to 1.
    """
    bow = bow_corpus(dictionary, units["tokens"])
    lengths = np.array([sum(count for _, count in doc) for doc in bow], dtype=int)
    keep = lengths > 0
    kept_bow = [doc for doc, ok in zip(bow, keep, strict=True) if ok]
    proportions = infer_doc_topic(model, kept_bow, random_state)
    frame = units.loc[keep, ["unit_id", "doc_id", "section_path"]].reset_index(drop=True)
    frame["n_tokens"] = lengths[keep]
    topics = pd.DataFrame(proportions, columns=list(names))
    return pd.concat([frame, topics], axis=1)


def _weighted_mean(frame: pd.DataFrame, keys: list[str], names: Sequence[str]) -> pd.DataFrame:
    weighted = frame[list(names)].mul(frame["n_tokens"], axis=0)
    weighted[keys] = frame[keys]
    weighted["n_tokens"] = frame["n_tokens"]
    weighted["n_units"] = 1
    grouped = weighted.groupby(keys, sort=False)
    sums = grouped[list(names)].sum()
    totals = grouped["n_tokens"].sum()
    result = sums.div(totals.where(totals > 0, 1), axis=0).reset_index()
    result.insert(len(keys), "n_units", grouped["n_units"].sum().to_numpy())
    result.insert(len(keys) + 1, "n_tokens", totals.to_numpy())
    return result


def speech_topic(
    doc_topic: pd.DataFrame, names: Sequence[str], speeches: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Topic prevalence per speech: the token-weighted mean of its units' proportions.

    Parameters
    ----------
    doc_topic : DataFrame
        From :func:`doc_topic_table` (any grain).
    names : sequence of str
        Topic columns.
    speeches : DataFrame, optional
        ``Corpus.speeches_frame()``; adds the ``title``.

    Returns
    -------
    DataFrame
        ``doc_id``, (``title``), ``n_units``, ``n_tokens``, one column per topic; rows sum to 1.
    """
    result = _weighted_mean(doc_topic, ["doc_id"], names).sort_values("doc_id", kind="stable")
    if speeches is not None and "title" in speeches:
        titles = dict(zip(speeches["doc_id"], speeches["title"].fillna(""), strict=True))
        result.insert(1, "title", result["doc_id"].map(titles).fillna(""))
    return result.reset_index(drop=True)


def section_headings(units: Iterable[Any]) -> dict[tuple[str, str], str]:
    """``(doc_id, top-level label) -> heading`` from paragraph units (``Corpus.units``)."""
    headings: dict[tuple[str, str], str] = {}
    for unit in units:
        if unit.role == "title" or not unit.section_path:
            continue
        label = unit.section_path.split("/")[0]
        heading = next(
            (
                text
                for level_label, text in (
                    (unit.h1_label, unit.h1_heading),
                    (unit.h2_label, unit.h2_heading),
                    (unit.h3_label, unit.h3_heading),
                )
                if level_label == label
            ),
            "",
        )
        headings.setdefault((unit.doc_id, label), heading)
    return headings


def section_topic(
    doc_topic: pd.DataFrame,
    names: Sequence[str],
    headings: dict[tuple[str, str], str] | None = None,
) -> pd.DataFrame:
    """Topic prevalence per top-level section of each speech (token-weighted).

    Parameters
    ----------
    doc_topic : DataFrame
        From :func:`doc_topic_table`.
    names : sequence of str
        Topic columns.
    headings : dict, optional
        From :func:`section_headings`; adds the ``heading`` column.

    Returns
    -------
    DataFrame
        ``doc_id``, ``section`` (``一``…, ``引言`` = opening remarks), (``heading``),
        ``n_units``, ``n_tokens``, one column per topic; in reading order.
    """
    frame = doc_topic.copy()
    frame["section"] = frame["section_path"].map(top_section)
    result = _weighted_mean(frame, ["doc_id", "section"], names)
    if headings is not None:
        result.insert(
            2,
            "heading",
            [
                headings.get((d, s), "")
                for d, s in zip(result["doc_id"], result["section"], strict=True)
            ],
        )
    return result.reset_index(drop=True)
