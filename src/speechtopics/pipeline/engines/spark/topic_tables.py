"""The topic tables of a Spark run: names, labels, stability, words and prevalence of the MLlib topics.

Same names and columns as the local ``topics`` stage: ``topic_k_sweep``,
``topic_k_summary``, ``topic_k_choice``, ``topic_stability``,
``topic_words``, ``doc_topic``, ``speech_topic``, ``section_topic`` and
``topic_identity``, plus the model file ``topic_model.npz``. Labels, FREX
words, stability and the matching to the previous run's topics are the
package's functions; the per-unit proportions are MLlib's and the
prevalence per speech and section is a Spark aggregation.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from ....analysis.topics.align import best_match_jaccard, jaccard, top_words
from ....analysis.topics.describe import topic_labels, topic_words_table
from ....analysis.topics.export import FittedTopics
from ....analysis.topics.identity import topic_identity
from ....config import TopicSettings
from ....text.segment import OPENING_SECTION
from .tables import with_speech_order
from .topics import LdaFit, TopicData


@dataclass
class ReportedTopics:
    """The reported MLlib topics, named and labelled.

    Attributes
    ----------
    names : list of str
        Reported names (``T1``… by prevalence, or the previous run's numbers).
    labels : list of str
    order : ndarray
        Topic index of the fit behind each reported name.
    topic_word : ndarray, shape (K, V)
        Rows normalised, in reported order.
    fit : LdaFit
    tables : dict
        ``topic_stability``, ``topic_words``, ``topic_identity`` (pandas).
    """

    names: list[str]
    labels: list[str]
    order: np.ndarray
    topic_word: np.ndarray
    fit: LdaFit
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _topic_word(fit: LdaFit) -> np.ndarray:
    """The fit's topic–word pseudo-counts (``lambda``), shape (K, V)."""
    return np.asarray(fit.model.topicsMatrix().toArray(), dtype=float).T


def stability_table(
    fits: list[LdaFit], order: np.ndarray, names, labels, vocab, settings: TopicSettings
) -> pd.DataFrame:
    """``topic_stability``: each reported topic's top-word Jaccard with its best match in every other seed.

    The first fit is the reported one; one fit per seed, so ``single_fit_jaccard``
    equals ``mean_jaccard`` and ``runs_per_seed`` is 1.
    """
    words = [top_words(_topic_word(fit), vocab, settings.top_n) for fit in fits]
    matched = [[words[0][topic] for topic in order]]
    for other in words[1:]:
        pairs = best_match_jaccard(matched[0], other)
        partner = dict(zip(pairs["topic_a"], pairs["topic_b"], strict=True))
        matched.append([other[partner[i]] if i in partner else [] for i in range(len(order))])
    rows = []
    for index, (name, label) in enumerate(zip(names, labels, strict=True)):
        pairs = [jaccard(a[index], b[index]) for a, b in itertools.combinations(matched, 2)]
        mean_value = float(np.mean(pairs)) if pairs else float("nan")
        rows.append(
            {
                "topic": name,
                "label": label,
                "mean_jaccard": mean_value,
                "min_jaccard": float(np.min(pairs)) if pairs else float("nan"),
                "single_fit_jaccard": mean_value,
                "stable": bool(mean_value >= settings.stability_threshold) if pairs else False,
                "n_seeds": len(fits),
                "runs_per_seed": 1,
            }
        )
    return pd.DataFrame(rows)


def name_topics(
    fits: list[LdaFit],
    data: TopicData,
    themes,
    settings: TopicSettings,
    previous: pd.DataFrame | None,
) -> ReportedTopics:
    """Name, label and describe the first fit's topics; match them to the previous run's.

    Topics are numbered by their share of the corpus (``T1`` the largest), as
    the local engine numbers them, then renamed to the previous run's numbers
    where :func:`~speechtopics.analysis.topics.identity.topic_identity` matches them.
    """
    fit = fits[0]
    pseudo_counts = _topic_word(fit)
    order = np.argsort(-pseudo_counts.sum(axis=1), kind="stable")
    topic_word = pseudo_counts[order] / pseudo_counts[order].sum(axis=1, keepdims=True)
    fresh = [f"T{i + 1}" for i in range(len(order))]
    labels = topic_labels(
        topic_word,
        data.vocab,
        themes,
        data.term_frequency,
        frex_weight=settings.frex_weight,
        n_words=settings.label_words,
    )
    words = topic_words_table(
        topic_word, data.vocab, fresh, labels, settings.top_n, settings.frex_weight
    )
    fitted = SimpleNamespace(
        lda=SimpleNamespace(names=fresh), lda_labels=labels, tables={"topic_words": words}
    )
    identity = topic_identity(fitted, previous)
    renamed = identity["key"].get("names") or {name: name for name in fresh}
    kept = identity["key"].get("labels", {})
    names = [renamed[name] for name in fresh]
    labels = [kept.get(name, label) for name, label in zip(names, labels, strict=True)]
    reported = ReportedTopics(names, labels, order, topic_word, fit)
    reported.tables["topic_words"] = topic_words_table(
        topic_word, data.vocab, names, labels, settings.top_n, settings.frex_weight
    )
    reported.tables["topic_stability"] = stability_table(
        fits, order, names, labels, data.vocab, settings
    )
    reported.tables["topic_identity"] = pd.DataFrame(
        identity["tables"]["topic_identity"],
        columns=["topic", "label", "previous_topic", "status", "distance"],
    )
    return reported


def doc_topic_frame(reported: ReportedTopics, data: TopicData, speeches):
    """``doc_topic``: every topic unit's proportions (MLlib's inference), in speech and reading order."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    proportions = reported.fit.model.transform(data.grain_units).withColumn(
        "p", vector_to_array("topicDistribution")
    )
    topics = [
        F.col("p")[int(index)].alias(name)
        for name, index in zip(reported.names, reported.order, strict=True)
    ]
    return (
        with_speech_order(proportions, speeches)
        .orderBy("order_key", "position")
        .select("unit_id", "doc_id", "section_path", "n_tokens", *topics, "order_key", "position")
    )


def _weighted(frame, keys: list[str], names: list[str]):
    from pyspark.sql import functions as F

    sums = [F.sum(F.col(name) * F.col("n_tokens")).alias(name) for name in names]
    grouped = frame.groupBy(*keys).agg(
        F.count(F.lit(1)).cast("long").alias("n_units"),
        F.sum("n_tokens").cast("long").alias("n_tokens"),
        F.min(F.struct("order_key", "position")).alias("first"),
        *sums,
    )
    total = F.when(F.col("n_tokens") > 0, F.col("n_tokens")).otherwise(F.lit(1))
    return grouped.select(
        *keys, "n_units", "n_tokens", "first", *[(F.col(n) / total).alias(n) for n in names]
    )


def speech_topic_frame(doc_topic, speeches, names: list[str]):
    """``speech_topic``: token-weighted topic shares per speech, sorted by ``doc_id``."""
    titles = speeches.select("doc_id", "title")
    return (
        _weighted(doc_topic, ["doc_id"], names)
        .join(titles, "doc_id", "left")
        .fillna("", ["title"])
        .orderBy("doc_id")
        .select("doc_id", "title", "n_units", "n_tokens", *names)
    )


def section_topic_frame(doc_topic, units, names: list[str]):
    """``section_topic``: token-weighted topic shares per top-level section, in reading order."""
    from pyspark.sql import functions as F

    label = F.split(F.col("section_path"), "/").getItem(0)
    with_section = doc_topic.withColumn(
        "section", F.when(F.col("section_path") == "", F.lit(OPENING_SECTION)).otherwise(label)
    )
    heading_of = F.coalesce(
        *[
            F.when(F.col(f"h{level}_label") == F.col("section"), F.col(f"h{level}_heading"))
            for level in (1, 2, 3)
        ],
        F.lit(""),
    )
    headings = (
        units.where((F.col("role") != "title") & (F.col("section_path") != ""))
        .withColumn("section", label)
        .groupBy("doc_id", "section")
        .agg(F.min_by(heading_of, "paragraph_index").alias("heading"))
    )
    return (
        _weighted(with_section, ["doc_id", "section"], names)
        .join(headings, ["doc_id", "section"], "left")
        .fillna("", ["heading"])
        .orderBy("first")
        .select("doc_id", "section", "heading", "n_units", "n_tokens", *names)
    )


def fitted_topics(reported: ReportedTopics, vocab: list[str]) -> FittedTopics:
    """The reported topics as ``topic_model.npz`` (MLlib's ``lambda``, alpha and eta)."""
    model = reported.fit.model
    pseudo_counts = _topic_word(reported.fit)[reported.order]
    alpha = np.asarray(model.estimatedDocConcentration().toArray(), dtype=float)
    alpha = np.broadcast_to(alpha, (len(reported.order),))[reported.order].copy()
    eta = np.full(pseudo_counts.shape, float(model._call_java("getEffectiveTopicConcentration")))
    return FittedTopics(
        names_=list(reported.names),
        labels_=list(reported.labels),
        vocab_=list(vocab),
        lambda_=pseudo_counts.copy(),
        alpha_=alpha,
        eta_=eta,
    )


def topic_description(reported: ReportedTopics) -> dict[str, Any]:
    """What the run summary says about the reported topics."""
    return {
        "k": len(reported.names),
        "seed": reported.fit.seed,
        "iterations": reported.fit.iterations,
    }
