"""The ``topics`` stage of a Spark run: MLlib topics, their tables and figures, theme topics on the driver."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ....analysis.topics.describe import topic_word_frame
from ....analysis.topics.select import choose_k, k_summary
from ...stage import StageOutput
from ...stages.topics import TOPIC_MODEL_FILE
from .driver import skipped_message, theme_topics, topic_page
from .outputs import topic_figures
from .topic_tables import (
    doc_topic_frame,
    fitted_topics,
    name_topics,
    section_topic_frame,
    speech_topic_frame,
)
from .topics import (
    SPARK_GRAINS,
    TopicData,
    prepare_topic_data,
    reported_fits,
    sweep_lda,
    topic_units_frame,
)


def _k_values(data: TopicData, settings, output: StageOutput) -> list[int]:
    """The K of the range that the units and vocabulary allow (as the local engine)."""
    most = min(data.n_units, len(data.vocab))
    k_values = [k for k in settings.k_values if 2 <= k <= most]
    dropped = [k for k in settings.k_values if k not in k_values]
    if dropped:
        output.messages.append(
            f"K={', '.join(map(str, dropped))} not fitted: {data.n_units} units and "
            f"{len(data.vocab)} words allow K between 2 and {most}"
        )
    return k_values


def _previous_topic_words(run: Any) -> pd.DataFrame | None:
    path = run.paths.processed / "topic_words.csv"
    return (
        pd.read_csv(path, dtype={"topic": str, "label": str, "word": str})
        if path.exists()
        else None
    )


def _topic_data(run: Any, output: StageOutput) -> TopicData | None:
    """The topic units and their bags of words, or None with a message saying why there are none."""
    settings = run.settings.topics
    if settings.grain not in SPARK_GRAINS:
        output.messages.append(
            f"topics skipped: the Spark engine builds topic units at {', '.join(SPARK_GRAINS)} "
            f"grain, not {settings.grain!r} ([topics] grain)"
        )
        return None
    stored = run.stored.units
    units = topic_units_frame(run.spark, stored, settings.grain, settings.min_unit_tokens)
    grain_units = topic_units_frame(run.spark, stored, settings.grain, 0, merge=False)
    data = prepare_topic_data(run.spark, units, grain_units, settings, run.settings.engine)
    if data is None or data.n_units < 2:
        output.messages.append(
            f"topics skipped: too few {settings.grain} units or words occur in at least "
            f"{settings.no_below} units"
        )
        return None
    return data


def topics_stage(run: Any, previous: dict) -> StageOutput:
    """MLlib LDA topics with the local ``topics`` tables; the seeded theme topics on the driver.

    Tables: ``topic_k_sweep``, ``topic_k_summary``, ``topic_k_choice``,
    ``topic_stability``, ``topic_words``, ``topic_identity``, ``doc_topic``,
    ``speech_topic``, ``section_topic`` (and, when the corpus fits on the
    driver, the ``theme_topic_*`` tables); ``topic_model.npz``.
    """
    settings, engine = run.settings.topics, run.settings.engine
    output = StageOutput()
    data = _topic_data(run, output)
    if data is None:
        return output
    k_values = _k_values(data, settings, output)
    if not k_values:
        output.messages.append("topic models skipped: no K left to fit")
        data.release()
        return output
    scores, sweep_fits = sweep_lda(data, k_values, settings, engine, report=run.say)
    output.tables["topic_k_sweep"] = scores
    output.tables["topic_k_summary"] = k_summary(scores)
    output.tables["topic_k_choice"] = choose_k(scores)
    if not data.n_heldout:
        output.messages.append("held-out perplexity not computed: too few units to hold some out")
    k = int(output.tables["topic_k_choice"]["k"].iloc[0])
    fits = reported_fits(data, k, sweep_fits, settings, engine)
    reported = name_topics(fits, data, run.themes, settings, _previous_topic_words(run))
    output.tables.update(reported.tables)
    output.artifacts[TOPIC_MODEL_FILE] = fitted_topics(reported, data.vocab).to_bytes()
    doc_topic = doc_topic_frame(reported, data, run.loaded.speeches)
    kept = run.outputs.table("doc_topic", doc_topic.drop("order_key", "position"), "topics")
    output.tables["doc_topic"] = kept
    output.tables["speech_topic"] = run.outputs.table(
        "speech_topic",
        speech_topic_frame(doc_topic, run.loaded.speeches, reported.names),
        "topics",
    )
    output.tables["section_topic"] = run.outputs.table(
        "section_topic",
        section_topic_frame(doc_topic, run.stored.units, reported.names),
        "topics",
    )
    output.messages.append(
        f"MLlib online LDA: K={k} from {len(scores)} sweep fits; reported seed {reported.fit.seed}, "
        f"{reported.fit.iterations} iterations, {data.n_units} {settings.grain} units, "
        f"{len(data.vocab)} words"
    )
    if run.keep:
        output.data["doc_topic"] = kept.set_index("unit_id")[reported.names]
        output.data["topic_word"] = topic_word_frame(
            reported.topic_word, data.vocab, reported.names
        )
        output.files["topics_ldavis.html"] = topic_page(
            kept, reported, data.vocab, data.term_frequency
        )
        theme_topics(output, run.driver.corpus, run.settings)
    else:
        output.messages.append(skipped_message("topics", run.n_units, engine.driver_max_units))
    topic_figures(output, run.settings, run.keep)
    data.release()
    return output
