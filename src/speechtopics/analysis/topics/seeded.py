"""Seeded (theme) topics: keyword-assisted LDA with the theme lexicon as a topic–word prior.

One topic per theme of ``themes.toml`` whose prior ``eta`` adds
``seed_weight`` pseudo-counts to the theme's seed words, plus
``free_topics`` topics for what the themes do not cover; the fit starts
each unit in the themes whose seed words it contains.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gensim.corpora import Dictionary

from ..vectors import Bow
from .engines import GENSIM_FIT, FitOptions
from .ensemble import TopicEnsemble, fit_ensemble, infer_doc_topic, set_fitted_attributes


def theme_eta(
    themes: Sequence[Any],
    dictionary: Dictionary,
    free_topics: int = 3,
    seed_weight: float = 1.0,
    base: float | None = None,
) -> tuple[np.ndarray, list[str], list[Any]]:
    """Topic–word prior of keyword-assisted LDA: one topic per theme, plus free topics.

    Parameters
    ----------
    themes : sequence of Theme
        ``corpus.themes`` (name, terms).
    dictionary : Dictionary
        Vocabulary; themes with no term in it get no topic.
    free_topics : int
        Topics without seed words, after the theme topics.
    seed_weight : float
        Pseudo-count added to each seed word in its theme's topic.
    base : float, optional
        Prior of every other (topic, word) cell; default ``1 / n_topics`` (gensim's default).

    Returns
    -------
    (eta, names, kept)
        ``eta`` of shape (n_topics, V); topic names (theme names, then
        ``F1``…); the themes that got a topic.
    """
    kept = [theme for theme in themes if any(term in dictionary.token2id for term in theme.terms)]
    n_topics = len(kept) + int(free_topics)
    base = 1.0 / max(1, n_topics) if base is None else float(base)
    eta = np.full((n_topics, len(dictionary)), base, dtype=float)
    for index, theme in enumerate(kept):
        for term in theme.terms:
            if term in dictionary.token2id:
                eta[index, dictionary.token2id[term]] += seed_weight
    names = [theme.name for theme in kept] + [f"F{i + 1}" for i in range(int(free_topics))]
    return eta, names, kept


def seed_terms(themes: Sequence[Any]) -> list[str]:
    """Every seed term of the themes, in lexicon order, without repeats."""
    return list(dict.fromkeys(term for theme in themes for term in theme.terms))


def guided_sstats(
    bow: Sequence[Bow],
    dictionary: Dictionary,
    themes: Sequence[Any],
    free_topics: int = 3,
    free_weight: float = 1.0,
    baseline: float = 0.01,
) -> np.ndarray:
    """Starting topic–word counts of seeded LDA, guided by where the seed words occur.

    Guided LDA starts seed words in their theme's topic; here every token of
    a unit starts spread over the topics in proportion to the unit's seed
    words of each theme, plus ``free_weight`` for each free topic (a unit
    with no seed word starts wholly in the free topics) and ``baseline`` for
    every topic. Without this start, which theme topic the many non-seed
    words join is left to the random start: on the bundled speeches the
    theme topics' prevalence per speech then correlates at about 0 from one
    seed to the next.

    Parameters
    ----------
    bow : sequence of bag-of-words
        Training units (any grain).
    dictionary : Dictionary
        Vocabulary.
    themes : sequence of Theme
        The themes that got a topic (in topic order).
    free_topics, free_weight, baseline : see above.

    Returns
    -------
    ndarray, shape (len(themes) + free_topics, V)
    """
    n_topics = len(themes) + int(free_topics)
    counts = np.zeros((len(bow), len(dictionary)))
    for row, doc in enumerate(bow):
        for word_id, count in doc:
            counts[row, word_id] = count
    start = np.full((len(bow), n_topics), float(baseline))
    start[:, len(themes) :] += float(free_weight)
    for index, theme in enumerate(themes):
        ids = sorted(
            {dictionary.token2id[term] for term in theme.terms if term in dictionary.token2id}
        )
        if ids:
            start[:, index] += counts[:, ids].sum(axis=1)
    start /= start.sum(axis=1, keepdims=True)
    return start.T @ counts


def fit_seeded(
    bow: Sequence[Bow],
    dictionary: Dictionary,
    themes: Sequence[Any],
    seeds: Sequence[int],
    *,
    free_topics: int = 3,
    seed_weight: float = 1.0,
    guided: bool = True,
    start: np.ndarray | None = None,
    runs: int = 1,
    options: FitOptions = GENSIM_FIT,
    n_jobs: int = 2,
) -> TopicEnsemble | None:
    """Seeded (keyword-assisted) LDA: theme topics anchored by their seed words, plus free topics.

    Parameters
    ----------
    bow, dictionary :
        Training units and vocabulary (keep the theme terms in it: see
        :func:`build_dictionary`'s ``keep``).
    themes : sequence of Theme
        Themes whose terms seed one topic each.
    seeds, runs :
        One ensemble of ``runs`` fits per seed (see :func:`fit_ensemble`).
    free_topics, seed_weight :
        See :func:`theme_eta`.
    guided : bool
        Start from :func:`guided_sstats` (else from gensim's random start).
    start : ndarray, optional
        K × V topic–word counts to start from instead (a previous run's theme
        topics mapped to this vocabulary: a warm start).

    Returns
    -------
    TopicEnsemble or None
        Topics named after their theme (then ``F1``…); None when no theme term is in the vocabulary.
    """
    eta, names, kept = theme_eta(
        themes, dictionary, free_topics=free_topics, seed_weight=seed_weight
    )
    if not kept:
        return None
    if start is None and guided:
        start = guided_sstats(bow, dictionary, kept, free_topics)
    return fit_ensemble(
        bow,
        dictionary,
        len(names),
        seeds,
        runs,
        options=options,
        eta=eta,
        init_sstats=start,
        fixed=len(kept),
        names=names,
        order_by_prevalence=True,
        n_jobs=n_jobs,
    )


class SeededLda:
    """Seeded (theme) topics: one topic per theme anchored by its terms, plus free topics.

    Parameters
    ----------
    themes : sequence of Theme
        Themes whose terms seed one topic each.
    random_states : sequence of int
        One ensemble per random state.
    free_topics, seed_weight, runs, options, n_jobs :
        See :func:`fit_seeded`.
    top_n, stability_threshold :
        As for :class:`~speechtopics.analysis.topics.ensemble.EnsembleLda`.

    Attributes
    ----------
    ensemble_, topic_word_, names_, vocab_, stability_ :
        As for :class:`~speechtopics.analysis.topics.ensemble.EnsembleLda`;
        topics are named after their theme, then ``F1``….
    """

    def __init__(
        self,
        themes: Sequence[Any],
        random_states: Sequence[int],
        *,
        free_topics: int,
        seed_weight: float,
        runs: int,
        options: FitOptions,
        top_n: int,
        stability_threshold: float,
        n_jobs: int,
    ) -> None:
        self.themes = themes
        self.random_states = random_states
        self.free_topics = free_topics
        self.seed_weight = seed_weight
        self.runs = runs
        self.options = options
        self.top_n = top_n
        self.stability_threshold = stability_threshold
        self.n_jobs = n_jobs

    def fit(
        self, bow: Sequence[Bow], dictionary: Dictionary, start: np.ndarray | None = None
    ) -> SeededLda:
        """Fit on the training units (the vocabulary must keep the theme terms).

        ``start``: K × V counts to start from instead of the guided start (warm start).

        Raises
        ------
        ValueError
            When no theme term is in the vocabulary.
        """
        ensemble = fit_seeded(
            bow,
            dictionary,
            self.themes,
            self.random_states,
            free_topics=self.free_topics,
            seed_weight=self.seed_weight,
            start=start,
            runs=self.runs,
            options=self.options,
            n_jobs=self.n_jobs,
        )
        if ensemble is None:
            raise ValueError("no theme term occurs in the units")
        self.ensemble_ = ensemble
        set_fitted_attributes(self)
        return self

    def transform(self, bow: Sequence[Bow]) -> np.ndarray:
        """Topic proportions of units (rows sum to 1), inferred with a fixed random state."""
        return infer_doc_topic(self.ensemble_.model, bow)
