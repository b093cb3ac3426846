"""The ``topic_models`` and ``topics`` stages.

``topic_models`` holds every fit (no tables or figures), so that renumbering
topics to match the previous run (the ``topics`` stage's prepare hook,
:func:`prepare_topic_identity`) never refits a model. ``topics`` names,
tabulates and draws the fits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...analysis.topics.analyse import analyse_topics
from ...analysis.topics.describe import term_frequency, topic_word_frame
from ...analysis.topics.ensemble import infer_doc_topic
from ...analysis.topics.export import FittedTopics
from ...analysis.topics.identity import rename_topics, topic_identity
from ...config import Paths
from ...plots.topics import (
    plot_theme_topic_prevalence,
    plot_topic_coherence,
    plot_topic_prevalence,
    plot_topic_section_heatmap,
    plot_topic_stability,
    plot_topic_words,
)
from ...report.ldavis import _name_and_label, ldavis_html
from ..history import read_previous_table
from ..stage import StageInputs, StageOutput

#: Fitted models written beside the tables (read back by :func:`speechtopics.results`).
TOPIC_MODEL_FILE = "topic_model.npz"
THEME_TOPIC_MODEL_FILE = "theme_topic_model.npz"


def topic_models_stage(inputs: StageInputs) -> StageOutput:
    """Every fit of the topic analysis; ``data["results"]`` is the :class:`TopicResults`."""
    return StageOutput(data={"results": analyse_topics(inputs.corpus, inputs.settings.topics)})


def prepare_topic_identity(upstream: Mapping[str, StageOutput], paths: Paths) -> dict[str, Any]:
    """Prepare hook of ``topics``: match the new fits to the previous run's ``topic_words.csv``."""
    models = upstream.get("topic_models")
    results = models.data.get("results") if models is not None else None
    if results is None:
        return {"key": {}, "tables": {}}
    previous, problem = read_previous_table(paths.processed / "topic_words.csv")
    prepared = topic_identity(results, previous)
    if problem:
        prepared["messages"] = [f"{problem}; topics are numbered afresh"]
    return prepared


def topics_stage(inputs: StageInputs) -> StageOutput:
    """The ``topics`` stage: tables, figures and the pyLDAvis page of the topic analysis.

    Takes the fits from the ``topic_models`` stage when given (else fits
    them here) and names the plain LDA topics as ``inputs.prepared["names"]``
    says (see :func:`topic_identity`), so topic numbers and labels stay stable
    across reruns.

    Tables: see :func:`analyse_topics`. Figures: ``topic_coherence``,
    ``topic_stability``, ``topic_prevalence``, ``topic_section_heatmap``,
    ``topic_words``, ``theme_topic_prevalence``; ``topics_ldavis.html``.
    Data for later stages: ``doc_topic`` (indexed by ``unit_id``, one column
    per topic), ``topic_word`` (topics × words) and ``topic_labels``.
    """

    settings, prepared = inputs.settings.topics, inputs.prepared
    models = inputs.upstream.get("topic_models")
    if models is not None and "results" in models.data:
        results = models.data["results"]
    else:
        results = analyse_topics(inputs.corpus, settings)
    if results.lda is not None:
        names = (prepared or {}).get("names") or {name: name for name in results.lda.names}
        results = rename_topics(results, names, (prepared or {}).get("labels", {}))
    output = StageOutput(tables=dict(results.tables), messages=list(results.messages))
    if "topic_k_sweep" in results.tables:
        output.add_figure(
            "topic_coherence",
            plot_topic_coherence(
                results.tables["topic_k_sweep"],
                results.tables["topic_k_choice"],
                results.tables["topic_k_summary"],
            ),
        )
    if results.lda is not None and results.doc_topic is not None:
        ensemble = results.lda
        names = results.reported_names
        permutation = [ensemble.names.index(name) for name in results.reported_order]
        topic_word = ensemble.topic_word[permutation]
        output.data["doc_topic"] = results.doc_topic.set_index("unit_id")[names]
        output.data["topic_word"] = topic_word_frame(topic_word, ensemble.vocab, names)
        output.artifacts[TOPIC_MODEL_FILE] = FittedTopics.from_ensemble(
            ensemble, results.reported_order, names, results.lda_labels
        ).to_bytes()
        output.add_figure(
            "topic_stability",
            plot_topic_stability(
                results.tables["topic_stability"],
                results.tables.get("theme_topic_stability"),
                settings.stability_threshold,
            ),
        )
        output.add_figure(
            "topic_prevalence",
            plot_topic_prevalence(
                results.tables["speech_topic"], results.tables["topic_stability"]
            ),
        )
        output.add_figure(
            "topic_section_heatmap",
            plot_topic_section_heatmap(
                results.tables["section_topic"], results.tables["topic_stability"]
            ),
        )
        output.add_figure(
            "topic_words",
            plot_topic_words(results.tables["topic_words"], results.tables["topic_stability"]),
        )
        if results.training_bow is not None:
            bow = list(results.training_bow)
            output.files["topics_ldavis.html"] = ldavis_html(
                topic_word,
                infer_doc_topic(ensemble.model, bow)[:, permutation],
                [sum(count for _, count in doc) for doc in bow],
                ensemble.vocab,
                term_frequency(ensemble.dictionary, bow),
                labels=[
                    _name_and_label(name, label)
                    for name, label in zip(names, results.lda_labels, strict=True)
                ],
            )
    if results.seeded is not None:
        output.artifacts[THEME_TOPIC_MODEL_FILE] = FittedTopics.from_ensemble(
            results.seeded, results.seeded.names, results.seeded.names, results.seeded_labels
        ).to_bytes()
    if "theme_topic_by_speech" in results.tables:
        output.add_figure(
            "theme_topic_prevalence",
            plot_theme_topic_prevalence(results.tables["theme_topic_by_speech"]),
        )
    return output
