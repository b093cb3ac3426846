"""The ``topic_models`` and ``topics`` stages.

``topic_models`` holds every fit (no tables or figures), so that renumbering
topics to match the previous run (the ``topics`` stage's prepare hook,
:func:`prepare_topic_identity`) never refits a model. ``topics`` names,
tabulates and draws the fits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ...analysis.topics.analyse import TopicResults, analyse_topics
from ...analysis.topics.describe import term_frequency, topic_word_frame
from ...analysis.topics.ensemble import infer_doc_topic
from ...analysis.topics.export import FittedTopics
from ...analysis.topics.identity import apply_topic_labels, rename_topics, topic_identity
from ...analysis.topics.warm import SWEEP_TABLES, WarmStart
from ...io import file_sha256, sha256_hex
from ...plots import FigureStyle
from ...plots.topics import (
    plot_theme_topic_prevalence,
    plot_topic_coherence,
    plot_topic_prevalence,
    plot_topic_section_heatmap,
    plot_topic_stability,
    plot_topic_words,
)
from ...report.ldavis import _name_and_label, ldavis_html
from ...text.lexicon import load_topic_labels
from ..history import read_previous_table
from ..stage import PrepareContext, StageInputs, StageOutput

#: Fitted models written beside the tables (read back by :func:`speechtopics.results`).
TOPIC_MODEL_FILE = "topic_model.npz"
THEME_TOPIC_MODEL_FILE = "theme_topic_model.npz"


def topic_models_stage(inputs: StageInputs) -> StageOutput:
    """Every fit of the topic analysis; ``data["results"]`` is the :class:`TopicResults`.

    Starts from the previous run's topics when its prepare hook
    (:func:`prepare_warm_start`) found them usable.
    """
    warm = inputs.prepared_data.get("warm")
    results = analyse_topics(inputs.corpus, inputs.settings.topics, warm)
    return StageOutput(data={"results": results})


def _changed_speeches(previous: Mapping[str, Any], corpus) -> int:
    """Speeches added, removed or changed since the previous run (by file hash)."""
    before = {doc: row.get("sha256") for doc, row in previous.get("speeches", {}).items()}
    now = {speech.doc_id: speech.sha256 for speech in corpus.speeches}
    return sum(1 for doc in set(before) | set(now) if before.get(doc) != now.get(doc))


def _read_warm_start(processed: Path, changed: int, total: int) -> tuple[dict, WarmStart] | None:
    """The previous run's models and K-search tables, with the key naming them."""
    model_path = processed / TOPIC_MODEL_FILE
    tables = {name: processed / f"{name}.csv" for name in SWEEP_TABLES}
    if not model_path.exists() or not all(path.exists() for path in tables.values()):
        return None
    model_bytes = model_path.read_bytes()
    theme_path = processed / THEME_TOPIC_MODEL_FILE
    theme_bytes = theme_path.read_bytes() if theme_path.exists() else None
    sweep = {name: read_previous_table(path)[0] for name, path in tables.items()}
    if any(table is None for table in sweep.values()):
        return None  # a table no encoding reads: the K search starts afresh
    key = {
        "warm_from": sha256_hex(model_bytes),
        "theme_from": sha256_hex(theme_bytes) if theme_bytes else None,
        "sweep": [file_sha256(path) for path in tables.values()],
        "changed": changed,
    }
    warm = WarmStart(
        k=int(sweep["topic_k_choice"]["k"].iloc[0]),
        topics=FittedTopics.from_bytes(model_bytes),
        theme_topics=FittedTopics.from_bytes(theme_bytes) if theme_bytes else None,
        sweep_tables=sweep,
        changed=changed,
        total=total,
    )
    return key, warm


def prepare_warm_start(context: PrepareContext) -> dict[str, Any]:
    """Prepare hook of ``topic_models``: start from the previous run's topics when little changed.

    Nothing changed since the previous run: the same key as then (its result
    is in the cache). Speeches changed, but together with the changes since
    the last full fit at most ``[topics] refit_above`` of them, and the
    ``[topics]`` settings are the same: a warm start. Otherwise a full fit.
    """
    previous = context.previous
    if not previous:
        return {}
    if (previous.get("engine") or {}).get("name", "local") != "local":
        return {"messages": ["topics fitted from scratch: the previous run used another engine"]}
    earlier = (previous.get("prepared") or {}).get("topic_models")
    if previous.get("corpus_hash") == context.corpus_hash:
        return {"key": earlier}
    settings = context.settings.topics
    if previous.get("parameters", {}).get("topics") != json.loads(json.dumps(asdict(settings))):
        return {"messages": ["topics fitted from scratch: the [topics] settings changed"]}
    total = len(context.corpus.speeches)
    changed = _changed_speeches(previous, context.corpus) + (earlier or {}).get("changed", 0)
    if changed > settings.refit_above * total:
        return {
            "messages": [
                f"topics fitted from scratch: {changed} of {total} speeches added, changed or "
                f"removed since the last full fit ({changed / max(1, total):.0%} > "
                f"[topics] refit_above = {settings.refit_above:.0%})"
            ]
        }
    found = _read_warm_start(context.paths.processed, changed, total)
    if found is None:
        return {}
    key, warm = found
    return {"key": key, "data": {"warm": warm}}


def prepare_topic_identity(context: PrepareContext) -> dict[str, Any]:
    """Prepare hook of ``topics``: match the new fits to the previous run's ``topic_words.csv``."""
    models = context.upstream.get("topic_models")
    results = models.data.get("results") if models is not None else None
    if results is None:
        return {"key": {}, "tables": {}}
    previous, problem = read_previous_table(context.paths.processed / "topic_words.csv")
    prepared = topic_identity(results, previous, load_topic_labels(context.paths.topic_labels))
    if problem:
        prepared["messages"] = [f"{problem}; topics are numbered afresh"]
    return prepared


def _named_results(inputs: StageInputs) -> tuple[TopicResults, dict[str, str]]:
    """The fits, renamed as the identity match says and labelled as ``topic_labels.toml`` says.

    Returns the results and the chosen labels of topics this run does not have.
    """
    settings, prepared = inputs.settings.topics, inputs.prepared or {}
    models = inputs.upstream.get("topic_models")
    if models is not None and "results" in models.data:
        results = models.data["results"]
    else:
        results = analyse_topics(inputs.corpus, settings)
    if results.lda is None:
        return results, {}
    names = prepared.get("names") or {name: name for name in results.lda.names}
    results = rename_topics(results, names, prepared.get("labels", {}))
    return apply_topic_labels(results, load_topic_labels(inputs.lexicon.path("topic_labels")))


def _reported_topics(
    output: StageOutput, results: TopicResults, settings, style: FigureStyle
) -> None:
    """Data, model file, figures and topic page of the reported (ensemble) topics."""
    ensemble = results.lda
    names = results.reported_names
    permutation = [ensemble.names.index(name) for name in results.reported_order]
    topic_word = ensemble.topic_word[permutation]
    output.data["doc_topic"] = results.doc_topic.set_index("unit_id")[names]
    output.data["topic_word"] = topic_word_frame(topic_word, ensemble.vocab, names)
    output.artifacts[TOPIC_MODEL_FILE] = FittedTopics.from_ensemble(
        ensemble, results.reported_order, names, results.lda_labels
    ).to_bytes()
    tables, stability = results.tables, results.tables["topic_stability"]
    threshold = settings.stability_threshold
    figures = {
        "topic_stability": lambda: plot_topic_stability(
            stability, tables.get("theme_topic_stability"), threshold, style=style
        ),
        "topic_prevalence": lambda: plot_topic_prevalence(
            tables["speech_topic"], stability, style=style
        ),
        "topic_section_heatmap": lambda: plot_topic_section_heatmap(
            tables["section_topic"], stability, style=style
        ),
        "topic_words": lambda: plot_topic_words(tables["topic_words"], stability, style=style),
    }
    for name, draw in figures.items():
        output.add_figure(name, draw(), style)
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


def topics_stage(inputs: StageInputs) -> StageOutput:
    """The ``topics`` stage: tables, figures and the pyLDAvis page of the topic analysis.

    Takes the fits from the ``topic_models`` stage when given (else fits
    them here) and names the plain LDA topics as ``inputs.prepared["names"]``
    says (see :func:`topic_identity`), so topic numbers and labels stay stable
    across reruns; labels in ``topic_labels.toml`` replace the automatic ones.

    Tables: see :func:`analyse_topics`. Figures: ``topic_coherence``,
    ``topic_stability``, ``topic_prevalence``, ``topic_section_heatmap``,
    ``topic_words``, ``theme_topic_prevalence``; ``topics_ldavis.html``.
    Data for later stages: ``doc_topic`` (indexed by ``unit_id``, one column
    per topic), ``topic_word`` (topics × words) and ``unused_topic_labels``;
    the fitted models as ``topic_model.npz`` and ``theme_topic_model.npz``
    beside the tables.
    """
    settings = inputs.settings.topics
    style = FigureStyle.from_settings(inputs.settings.figures)
    results, unused = _named_results(inputs)
    output = StageOutput(tables=dict(results.tables), messages=list(results.messages))
    for name, label in unused.items():
        output.messages.append(
            f"topic_labels.toml: {name} = “{label}” is not used: this run has no topic {name} "
            "(it vanished or was never fitted); the label stays in the file"
        )
    output.data["unused_topic_labels"] = unused
    if "topic_k_sweep" in results.tables:
        figure = plot_topic_coherence(
            results.tables["topic_k_sweep"],
            results.tables["topic_k_choice"],
            results.tables["topic_k_summary"],
            style=style,
        )
        output.add_figure("topic_coherence", figure, style)
    if results.lda is not None and results.doc_topic is not None:
        _reported_topics(output, results, settings, style)
    if results.seeded is not None:
        output.artifacts[THEME_TOPIC_MODEL_FILE] = FittedTopics.from_ensemble(
            results.seeded, results.seeded.names, results.seeded.names, results.seeded_labels
        ).to_bytes()
    if "theme_topic_by_speech" in results.tables:
        figure = plot_theme_topic_prevalence(results.tables["theme_topic_by_speech"], style=style)
        output.add_figure("theme_topic_prevalence", figure, style)
    return output
