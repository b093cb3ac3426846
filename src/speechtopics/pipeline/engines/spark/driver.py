"""The analyses Spark does not run, on the driver, when the corpus fits there.

Keyness, speech similarity, word clouds, formulations, theme positions and
term counts, the seeded theme topics, the topic page and the clustering
have no Spark counterpart. When the corpus has at most ``[engine]
driver_max_units`` paragraph units, the Spark-built corpus is brought to the
driver as a :class:`~speechtopics.corpus.model.Corpus` and the local
engine's own stages compute them; the tables Spark computed are kept from
Spark. Larger corpora skip them, and the run summary says which and why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ....analysis.topics.analyse import analyse_theme_topics
from ....analysis.topics.export import FittedTopics
from ....config import Paths, Settings
from ....corpus.dedupe import NEAR_DUPLICATE_CONTAINMENT, find_near_duplicates
from ....corpus.files import near_duplicate_warnings
from ....corpus.model import Corpus, LoadReport, Speech
from ....plots import FigureStyle
from ....plots.topics import plot_theme_topic_prevalence
from ....report.ldavis import _name_and_label, ldavis_html
from ....text.clean import CleanResult
from ....text.lexicon import Theme
from ....text.segment import Unit
from ....text.tokenize import Tokenizer
from ...stage import StageOutput
from ...stages import run_stage
from ...stages.topics import THEME_TOPIC_MODEL_FILE
from .schemas import UNIT_FIELDS

#: What each local stage adds on the driver (for the run summary when it is skipped).
DRIVER_ONLY = {
    "features": "keyness, speech_similarity and the word clouds",
    "themes": "term_counts_by_speech, theme_positions, the formulations and the theme figures",
    "topics": "the seeded theme topics (theme_topic_*), the topic page and the per-speech topic figures",
    "cluster": "every clustering table and figure",
    "compare": "the group comparisons, trends and their figures",
    "suggest": "the candidate theme terms and co-occurrence networks",
    "load": "the near-duplicate check",
}


@dataclass
class DriverCorpus:
    """The Spark-built corpus on the driver, and what it holds."""

    corpus: Corpus
    units: int


def collect_corpus(speeches, units, tokenizer: Tokenizer, themes: list[Theme]) -> DriverCorpus:
    """The speeches and units of a Spark run as a local :class:`Corpus` (file and reading order).

    Raw texts are not kept by the Spark engine (``corpus_overview`` has their
    length): the speeches carry their cleaned text and what each cleaning
    rule did; the load report is the Spark run's ``load_report`` table.
    """
    speech_rows = speeches.orderBy("order_key").collect()
    built = [
        Speech(
            doc_id=row["doc_id"],
            file=row["file"],
            format=row["format"],
            encoding=row["encoding"],
            sha256=row["sha256"],
            title=row["title"],
            meta=json.loads(row["meta_json"]),
            raw_text="",
            clean=CleanResult(
                row["text"], json.loads(row["removed_json"]), json.loads(row["changed_json"])
            ),
        )
        for row in speech_rows
    ]
    rank = {row["doc_id"]: index for index, row in enumerate(speech_rows)}
    unit_rows = sorted(units.collect(), key=lambda r: (rank[r["doc_id"]], r["paragraph_index"]))
    unit_list = [
        Unit(doc_id=row["doc_id"], **{name: row[name] for name in UNIT_FIELDS[:-1]})
        for row in unit_rows
    ]
    tokens = {row["unit_id"]: list(row["tokens"]) for row in unit_rows}
    corpus = Corpus(
        speeches=built,
        report=LoadReport(),
        units=unit_list,
        tokens=tokens,
        tokenizer=tokenizer,
        themes=list(themes),
    )
    return DriverCorpus(corpus, len(unit_list))


def near_duplicates(corpus: Corpus) -> list[tuple[str, str]]:
    """The local loader's near-duplicate warnings for the corpus (file, message)."""
    pairs = find_near_duplicates(
        [(speech.file, speech.text) for speech in corpus.speeches], NEAR_DUPLICATE_CONTAINMENT
    )
    return [(row["file"], row["message"]) for row in near_duplicate_warnings(pairs)]


def driver_stage(
    name: str,
    corpus: Corpus,
    settings: Settings,
    paths: Paths,
    spark_output: StageOutput,
    upstream=None,
) -> StageOutput:
    """The local stage ``name`` on the driver's corpus, with the tables Spark computed kept from Spark."""
    spark_output.render_figures()
    output = run_stage(name, corpus, settings, upstream or {}, paths)
    output.tables.update(spark_output.tables)
    output.artifacts.update(spark_output.artifacts)
    output.data.update(spark_output.data)
    output.messages[:0] = spark_output.messages
    for file, data in spark_output.files.items():
        output.files.setdefault(file, data)
    return output


def theme_topics(output: StageOutput, corpus: Corpus, settings: Settings) -> None:
    """Add the seeded theme topics (the local engine's code) to the topics output."""
    results = analyse_theme_topics(corpus, settings.topics)
    output.messages.extend(results.messages)
    output.tables.update(results.tables)
    if results.seeded is not None:
        output.artifacts[THEME_TOPIC_MODEL_FILE] = FittedTopics.from_ensemble(
            results.seeded, results.seeded.names, results.seeded.names, results.seeded_labels
        ).to_bytes()
    if "theme_topic_by_speech" in results.tables:
        style = FigureStyle.from_settings(settings.figures)
        figure = plot_theme_topic_prevalence(results.tables["theme_topic_by_speech"], style=style)
        output.add_figure("theme_topic_prevalence", figure, style)


def topic_page(
    doc_topic: pd.DataFrame, reported: Any, vocab: list[str], term_frequency: np.ndarray
) -> bytes:
    """The pyLDAvis page of the MLlib topics (every topic unit's proportions, on the driver)."""
    names = list(reported.names)
    return ldavis_html(
        reported.topic_word,
        doc_topic[names].to_numpy(dtype=float),
        doc_topic["n_tokens"].astype(int).tolist(),
        vocab,
        term_frequency,
        labels=[
            _name_and_label(name, label) for name, label in zip(names, reported.labels, strict=True)
        ],
    )


def skipped_message(stage: str, units: int, limit: int) -> str:
    """Why a stage's driver-side analyses were not run."""
    return (
        f"{DRIVER_ONLY[stage]} skipped: the local engine computes them on one machine, and this "
        f"corpus has {units} paragraph units (more than [engine] driver_max_units = {limit})"
    )
