"""The whole topic analysis of a corpus: units, vocabulary, K, ensemble, seeded topics, tables.

The analysis runs on the units of one grain (``[topics] grain``; paragraphs
by default, since a handful of speeches are far too few documents for LDA):

1. training units and vocabulary (:func:`topic_units`, :func:`build_dictionary`);
2. K chosen by a seeded sweep (:class:`KSweep`);
3. the reported topics: ensembles at that K and their stability across
   seeds (:class:`EnsembleLda`), labelled by theme lift and FREX words;
4. seeded theme topics (:class:`SeededLda`);
5. prevalence by unit, speech and section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from gensim.corpora import Dictionary

from ...config import TopicSettings
from ...corpus.model import Corpus
from ..vectors import Bow, bow_corpus, build_dictionary, vocabulary
from .describe import (
    doc_topic_table,
    section_headings,
    section_topic,
    speech_topic,
    term_frequency,
    topic_labels,
    topic_words_table,
)
from .engines import FitOptions
from .ensemble import EnsembleLda, TopicEnsemble
from .fit import topic_units
from .seeded import SeededLda, seed_terms, theme_eta
from .select import KSweep
from .warm import WarmStart, mapped_rows, warm_prior


@dataclass
class TopicResults:
    """Everything the topics stage computes (tables, models, messages)."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    lda: TopicEnsemble | None = None
    seeded: TopicEnsemble | None = None
    lda_labels: list[str] = field(default_factory=list)
    seeded_labels: list[str] = field(default_factory=list)
    doc_topic: pd.DataFrame | None = None
    training_bow: list[Bow] | None = None
    #: Reported names of the plain LDA topics and, for each, the fit name behind it (set by rename_topics).
    reported_names: list[str] = field(default_factory=list)
    reported_order: list[str] = field(default_factory=list)


@dataclass
class _Training:
    """The units one grain gives the topic models."""

    units: pd.DataFrame
    token_lists: list[list[str]]
    dictionary: Dictionary
    bow: list[Bow]


def _training_units(corpus: Corpus, settings: TopicSettings, results: TopicResults):
    """Units, vocabulary and bags of words, or None (with a message) when too few."""
    units = corpus.at_grain(settings.grain)
    training = topic_units(units, settings.min_unit_tokens)
    token_lists = list(training["tokens"])
    if len(token_lists) < 2:
        results.messages.append(
            f"topics skipped: only {len(token_lists)} {settings.grain} unit(s) with tokens"
        )
        return None
    dictionary = build_dictionary(token_lists, settings.no_below, settings.no_above)
    if len(dictionary) < 2:
        results.messages.append(
            f"topics skipped: only {len(dictionary)} word(s) occur in at least "
            f"{settings.no_below} of the {len(token_lists)} units"
        )
        return None
    return _Training(units, token_lists, dictionary, bow_corpus(dictionary, token_lists))


def _k_values(training: _Training, settings: TopicSettings, results: TopicResults) -> list[int]:
    """The K of the range that the units and vocabulary allow."""
    n_units = sum(1 for doc in training.bow if doc)
    most = min(n_units, len(training.dictionary))
    k_values = [k for k in settings.k_values if 2 <= k <= most]
    dropped = [k for k in settings.k_values if k not in k_values]
    if dropped:
        results.messages.append(
            f"K={', '.join(map(str, dropped))} not fitted: {n_units} units and "
            f"{len(training.dictionary)} words allow K between 2 and {most}"
        )
    return k_values


def _fit_options(settings: TopicSettings, seeded: bool = False) -> dict:
    """Keyword arguments of the ensemble estimators: seeds, fit options, workers."""
    options = FitOptions.seeded(settings) if seeded else FitOptions.from_settings(settings)
    return {"random_states": settings.seeds, "options": options, "n_jobs": settings.n_jobs}


def _stability_options(settings: TopicSettings) -> dict:
    return {"top_n": settings.top_n, "stability_threshold": settings.stability_threshold}


def _labelled_stability(stability: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    table = stability.copy()
    table["label"] = labels
    return table


def _choose_k(training: _Training, k_values, settings: TopicSettings, results) -> int:
    sweep = KSweep(
        k_values,
        settings.seeds[: settings.sweep_seeds],
        grid_points=settings.sweep_points,
        top_n=settings.top_n,
        holdout_fraction=settings.holdout_fraction,
        split_random_state=settings.split_seed,
        options=FitOptions.from_settings(settings).scaled(settings.sweep_share),
        n_jobs=settings.n_jobs,
    ).fit(training.token_lists, training.dictionary)
    results.tables["topic_k_sweep"] = sweep.scores_
    results.tables["topic_k_summary"] = sweep.summary_
    results.tables["topic_k_choice"] = sweep.choice_
    if sweep.scores_["perplexity"].isna().all():
        results.messages.append("held-out perplexity not computed: too few units to hold some out")
    return sweep.k_


def _report_topics(
    corpus: Corpus, training: _Training, k: int, settings, results, warm: WarmStart | None
) -> None:
    """The reported (ensemble) topics at K: labels, stability, words and prevalence."""
    tokens = sum(count for doc in training.bow for _, count in doc)
    prior = None
    if warm is not None:
        prior = warm_prior(warm.topics, training.dictionary, tokens, settings.warm_weight)
    model = EnsembleLda(
        k,
        runs=1 if warm is not None else settings.runs_per_seed(tokens),
        **_fit_options(settings),
        **_stability_options(settings),
    ).fit(training.bow, training.dictionary, prior=prior)
    labels = topic_labels(
        model.topic_word_,
        model.vocab_,
        corpus.themes,
        term_frequency(training.dictionary, training.bow),
        frex_weight=settings.frex_weight,
        n_words=settings.label_words,
    )
    results.lda, results.lda_labels = model.ensemble_, labels
    results.tables["topic_stability"] = _labelled_stability(model.stability_, labels)
    results.tables["topic_words"] = topic_words_table(
        model.topic_word_, model.vocab_, model.names_, labels, settings.top_n, settings.frex_weight
    )
    doc_topic = doc_topic_table(
        model.ensemble_.model, training.units, training.dictionary, model.names_
    )
    results.doc_topic = doc_topic
    results.tables["doc_topic"] = doc_topic
    speeches = corpus.speeches_frame()
    headings = section_headings(corpus.units)
    results.tables["speech_topic"] = speech_topic(doc_topic, model.names_, speeches)
    results.tables["section_topic"] = section_topic(doc_topic, model.names_, headings)
    skipped_units = len(training.units) - len(doc_topic)
    if skipped_units:
        results.messages.append(
            f"doc_topic leaves out {skipped_units} unit(s) with no word of the topic vocabulary"
        )
    results.training_bow = training.bow


def _seeded_start(warm: WarmStart | None, corpus: Corpus, dictionary, settings):
    """The previous theme topics as starting counts, when they are the same topics."""
    if warm is None or warm.theme_topics is None:
        return None
    _, names, _ = theme_eta(
        corpus.themes,
        dictionary,
        free_topics=settings.free_topics,
        seed_weight=settings.seed_weight,
    )
    if names != warm.theme_topics.names_:
        return None
    return mapped_rows(warm.theme_topics, dictionary)


def _seeded_topics(
    corpus: Corpus, training: _Training, settings, results, warm: WarmStart | None
) -> None:
    """Theme topics anchored by the lexicon, with their words, stability and prevalence."""
    dictionary = build_dictionary(
        training.token_lists, settings.no_below, settings.no_above, keep=seed_terms(corpus.themes)
    )
    start = _seeded_start(warm, corpus, dictionary, settings)
    model = SeededLda(
        corpus.themes,
        free_topics=settings.free_topics,
        seed_weight=settings.seed_weight,
        runs=settings.seeded_runs,
        **_fit_options(settings, seeded=True),
        **_stability_options(settings),
    )
    try:
        model.fit(bow_corpus(dictionary, training.token_lists), dictionary, start=start)
    except ValueError:
        results.messages.append("seeded topics skipped: no theme term occurs in the units")
        return
    missing = [theme.name for theme in corpus.themes if theme.name not in model.names_]
    if missing:
        results.messages.append(
            f"themes without a topic (none of their terms occurs): {', '.join(missing)}"
        )
    labels = topic_labels(
        model.topic_word_,
        vocabulary(dictionary),
        theme_names=model.ensemble_.theme_of,
        frex_weight=settings.frex_weight,
        n_words=settings.label_words,
    )
    results.seeded, results.seeded_labels = model.ensemble_, labels
    results.tables["theme_topic_words"] = topic_words_table(
        model.topic_word_, model.vocab_, model.names_, labels, settings.top_n, settings.frex_weight
    )
    results.tables["theme_topic_stability"] = _labelled_stability(model.stability_, labels)
    doc_topic = doc_topic_table(model.ensemble_.model, training.units, dictionary, model.names_)
    speeches = corpus.speeches_frame()
    headings = section_headings(corpus.units)
    results.tables["theme_topic_by_speech"] = speech_topic(doc_topic, model.names_, speeches)
    results.tables["theme_topic_by_section"] = section_topic(doc_topic, model.names_, headings)


def analyse_topics(
    corpus: Corpus, settings: TopicSettings, warm: WarmStart | None = None
) -> TopicResults:
    """Run the whole topic analysis on a corpus.

    Parameters
    ----------
    corpus : Corpus
        Loaded speeches (``corpus.at_grain``, ``corpus.themes``, ``corpus.units``).
    settings : TopicSettings
    warm : WarmStart, optional
        The previous run's models, when the corpus changed little: K is kept
        and the fits start from the previous topics (see :mod:`.warm`).

    Returns
    -------
    TopicResults
        Tables ``topic_k_sweep``, ``topic_k_summary``, ``topic_k_choice``,
        ``topic_stability``, ``topic_words``, ``doc_topic``, ``speech_topic``,
        ``section_topic``, ``theme_topic_words``, ``theme_topic_stability``,
        ``theme_topic_by_speech``, ``theme_topic_by_section``; the models;
        and messages for what was skipped.
    """
    results = TopicResults()
    training = _training_units(corpus, settings, results)
    if training is None:
        return results
    k_values = _k_values(training, settings, results)
    if not k_values or not settings.seeds:
        results.messages.append("topic models skipped: no K (or no seed) left to fit")
        return results
    if warm is not None and warm.k in k_values:
        results.tables.update(warm.sweep_tables)
        results.messages.append(warm.describe(settings.refit_above))
        k = warm.k
    else:
        warm = None
        k = _choose_k(training, k_values, settings, results)
    _report_topics(corpus, training, k, settings, results, warm)
    if corpus.themes:
        _seeded_topics(corpus, training, settings, results, warm)
    else:
        results.messages.append("seeded topics skipped: themes.toml has no themes")
    return results


def analyse_theme_topics(corpus: Corpus, settings: TopicSettings) -> TopicResults:
    """Only the seeded theme topics of a corpus (step 4), for engines that fit the plain topics elsewhere.

    Returns
    -------
    TopicResults
        ``seeded`` and ``seeded_labels``; tables ``theme_topic_words``,
        ``theme_topic_stability``, ``theme_topic_by_speech``,
        ``theme_topic_by_section``; messages for what was skipped.
    """
    results = TopicResults()
    training = _training_units(corpus, settings, results)
    if training is None:
        return results
    if corpus.themes:
        _seeded_topics(corpus, training, settings, results, None)
    else:
        results.messages.append("seeded topics skipped: themes.toml has no themes")
    return results
