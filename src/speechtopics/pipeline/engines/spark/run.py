"""A run on Spark: ``speechtopics run --engine spark [--master URL]``.

The same stages and outputs as the local engine (table names and columns,
figures, ``index.html``, ``manifest.json``), computed where they can be:

========  =====================================================  ==================================
stage     on Spark                                               on the driver, if the corpus fits
========  =====================================================  ==================================
load      read, clean, dedupe, doc_ids, ``load_report``          near-duplicate check
overview  ``units``, ``corpus_overview``                         its figure
features  ``keywords_by_speech``, ``keywords_by_section``        keyness, similarity, word clouds
themes    rates by speech, section and group, ``theme_kwic``     term counts, positions, formulations
topics    MLlib LDA: K sweep, topics, stability, prevalence      seeded theme topics, topic page
cluster   —                                                      every table and figure
========  =====================================================  ==================================

"Fits" means at most ``[engine] driver_max_units`` paragraph units; larger
corpora skip the driver column and the run summary says so. Every stage is
recomputed (Spark has no stage cache), but the tokens come from the Parquet
store (:mod:`.store`): only new or changed speeches are tokenized.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from ....config import PROJECT_ROOT, Paths, Settings
from ....corpus.load import build_tokenizer
from ....corpus.metadata import METADATA_COLUMNS
from ....io import library_versions, write_if_changed
from ....report.fonts import REPORT_FONT_FILE, subset_cjk_font
from ....report.index import build_index_html
from ....text.lexicon import load_themes
from ...cache import LIBRARIES
from ...history import snapshot_previous_run
from ...manifest import read_manifest, write_manifest_record
from ...stage import RunSummary, StageOutput
from . import tables
from .driver import DriverCorpus, collect_corpus, driver_stage, near_duplicates, skipped_message
from .load import LoadedSpeeches, load_speeches, ordered_report, unmatched_rows, warning_rows
from .outputs import Outputs, group_figure, overview_figures
from .session import spark_session
from .store import StoredUnits, store_folder, update_store
from .topic_run import topics_stage

#: Load-report lines repeated in the run summary (the rest are in ``load_report.csv``).
SUMMARY_LOAD_LINES = 50


@dataclass
class SparkRun:
    """What the steps of a Spark run share."""

    spark: Any
    paths: Paths
    settings: Settings
    summary: RunSummary
    say: Callable[[str], None]
    loaded: LoadedSpeeches | None = None
    stored: StoredUnits | None = None
    themes: list | None = None
    outputs: Outputs | None = None
    driver: DriverCorpus | None = None
    n_units: int = 0

    @property
    def keep(self) -> bool:
        """Whether the corpus fits on the driver."""
        return self.driver is not None


def _timed(run: SparkRun, stage: str, step: Callable[[], StageOutput | None]) -> StageOutput | None:
    """Run one stage's step, write its outputs and add its row to the summary."""
    run.say(f"[{stage}] computing …")
    started = time.perf_counter()
    output = step()
    if output is None:
        return None
    written = run.outputs.stage(output)
    run.summary.messages.extend(f"[{stage}] {message}" for message in output.messages)
    where = "Spark and driver" if run.keep and stage != "overview" else "Spark"
    run.summary.add(
        stage,
        "recomputed",
        time.perf_counter() - started,
        f"{where}: {len(output.tables)} tables, {len(output.files)} files, {written} written",
    )
    return output


def _load(run: SparkRun, force: bool) -> None:
    """Load and tokenize (store reused), decide whether the corpus fits on the driver."""
    paths, settings = run.paths, run.settings
    started = time.perf_counter()
    run.loaded = load_speeches(run.spark, paths, settings)
    run.themes = load_themes(paths.themes)
    tokenizer = build_tokenizer(paths, settings, run.themes)
    store = store_folder(paths.interim, settings.engine.store, PROJECT_ROOT)
    run.stored = update_store(
        run.spark, run.loaded.speeches, tokenizer, store, settings.engine.speeches_per_task, force
    )
    run.n_units = run.stored.units.count()
    if run.n_units <= settings.engine.driver_max_units and run.loaded.counts["loaded"]:
        run.driver = collect_corpus(run.loaded.speeches, run.stored.units, tokenizer, run.themes)
    run.outputs = Outputs(paths, run.summary, keep=run.keep)
    _load_report(run)
    counts, stored = run.loaded.counts, run.stored
    run.summary.add(
        "load",
        "recomputed" if stored.tokenized else "reused",
        time.perf_counter() - started,
        f"{counts['loaded']} speeches; tokenized {stored.tokenized}, from store {stored.reused}; "
        f"skipped {counts['skipped']}, duplicates {counts['duplicates']} (Spark, {paths.raw})",
    )


def _load_report(run: SparkRun) -> None:
    """``load_report.csv`` (near-duplicates checked on the driver when the corpus fits there)."""
    spark, loaded = run.spark, run.loaded
    report = loaded.report
    if run.keep:
        report = report.unionByName(warning_rows(spark, near_duplicates(run.driver.corpus), 2))
        for speech in run.driver.corpus.speeches:
            write_if_changed(
                run.paths.cleaned / f"{speech.doc_id}.txt", speech.text.encode("utf-8")
            )
    else:
        run.summary.messages.append(
            "[load] "
            + skipped_message("load", run.n_units, run.settings.engine.driver_max_units)
            + "; cleaned texts are in the Spark store, not in interim/cleaned"
        )
    report = report.unionByName(warning_rows(spark, unmatched_rows(loaded, run.paths), 3))
    ordered = ordered_report(report)
    run.outputs.table("load_report", ordered)
    notes = ordered.where("status != 'loaded'").limit(SUMMARY_LOAD_LINES + 1).collect()
    for row in notes[:SUMMARY_LOAD_LINES]:
        reason = row["reason"]
        prefix = {"duplicate": "duplicate", "skipped": "skipped", "warning": "warning"}[
            row["status"]
        ]
        separator = " " if row["status"] == "duplicate" else ": "
        run.summary.messages.append(f"{prefix} {row['file']}{separator}{reason}")
    if len(notes) > SUMMARY_LOAD_LINES:
        run.summary.messages.append("… more lines in load_report.csv")


def _overview(run: SparkRun) -> StageOutput:
    stored, speeches = run.stored, run.loaded.speeches
    output = StageOutput()
    output.tables["corpus_overview"] = run.outputs.table(
        "corpus_overview", tables.corpus_overview(speeches, stored.units, stored.outlines)
    )
    output.tables["units"] = run.outputs.table("units", tables.units_table(stored.units, speeches))
    overview_figures(output, run.keep)
    return output


def _features(run: SparkRun) -> StageOutput:
    units, speeches = run.stored.units, run.loaded.speeches
    options = run.settings.features
    output = StageOutput()
    for name, build in (
        ("keywords_by_speech", tables.keywords_by_speech),
        ("keywords_by_section", tables.keywords_by_section),
    ):
        frame = build(units, speeches, options.top_n, options.sublinear_tf)
        output.tables[name] = run.outputs.table(name, frame)
    return _with_driver(run, "features", output)


def _with_driver(run: SparkRun, stage: str, output: StageOutput, upstream=None) -> StageOutput:
    """The stage's driver-side analyses added (or a message saying why they were skipped)."""
    if not run.keep:
        output.messages.append(
            skipped_message(stage, run.n_units, run.settings.engine.driver_max_units)
        )
        return output
    merged = driver_stage(
        stage, run.driver.corpus, run.settings, run.paths, output, upstream=upstream
    )
    merged.messages.append(
        f"{_driver_part(stage)}: the local engine's code on the driver "
        f"({run.n_units} paragraph units ≤ [engine] driver_max_units)"
    )
    return merged


def _driver_part(stage: str) -> str:
    from .driver import DRIVER_ONLY

    return DRIVER_ONLY[stage]


def _known_group_columns(run: SparkRun) -> list[str]:
    """``[themes] group_by`` columns the metadata has (the local engine skips the others)."""
    known = set(METADATA_COLUMNS) | {
        key for row in run.loaded.metadata.rows_by_file.values() for key in row
    }
    return [column for column in run.settings.themes.group_by if column in known]


def _themes(run: SparkRun) -> StageOutput:
    spark, units, speeches = run.spark, run.stored.units, run.loaded.speeches
    output = StageOutput()
    if not run.themes:
        output.messages.append("theme analysis skipped because themes.toml has no themes")
        return _with_driver(run, "themes", output)
    terms = tables.theme_terms_frame(spark, run.themes)
    by_speech = tables.theme_rates_by_speech(units, terms)
    output.tables["theme_rates_by_speech"] = run.outputs.table("theme_rates_by_speech", by_speech)
    output.tables["theme_rates_by_section"] = run.outputs.table(
        "theme_rates_by_section", tables.theme_rates_by_section(units, run.stored.outlines, terms)
    )
    output.tables["theme_rates_by_group"] = run.outputs.table(
        "theme_rates_by_group",
        tables.theme_rates_by_group(
            by_speech, speeches, _known_group_columns(run), [theme.name for theme in run.themes]
        ),
    )
    window = run.settings.themes.kwic_window
    output.tables["theme_kwic"] = run.outputs.table(
        "theme_kwic", tables.kwic_frame(spark, units, run.themes, window)
    )
    if not run.keep:
        group_figure(output)
    return _with_driver(run, "themes", output)


def _report(
    run: SparkRun, stage_outputs: dict[str, StageOutput], corpus_hash: str, speeches
) -> None:
    """``index.html`` and the font subset, from this run's outputs (as the local ``report`` stage)."""
    started = time.perf_counter()
    summary = {
        "title": f"speechtopics 报告：{len(speeches)} 篇讲话",
        "corpus_hash": corpus_hash,
        "speeches": speeches,
        "parameters": {
            name: asdict(getattr(run.settings, name)) for name in run.settings.to_dict()
        },
        "libraries": library_versions(LIBRARIES),
    }
    output = StageOutput()
    page = build_index_html(summary, stage_outputs)
    output.files["index.html"] = page.encode("utf-8")
    pages = [page] + [
        data.decode("utf-8", errors="ignore")
        for stage_output in stage_outputs.values()
        for name, data in stage_output.files.items()
        if name.endswith(".html")
    ]
    output.files[REPORT_FONT_FILE] = subset_cjk_font(pages)
    written = run.outputs.stage(output)
    run.summary.add(
        "report", "recomputed", time.perf_counter() - started, f"driver: 2 files, {written} written"
    )


def speech_record(run: SparkRun, tokenizer_key: str) -> tuple[str, dict[str, dict[str, str]]]:
    """The corpus hash of a Spark run and ``doc_id -> {file, sha256}``, streamed from Spark.

    The hash covers the tokenizer partition, the themes and, per speech in
    file order, its doc_id, title, metadata and cleaned-text hash.
    """
    digest = hashlib.sha256(f"spark:{tokenizer_key}".encode())
    digest.update(
        json.dumps(
            [[t.name, t.label, list(t.terms)] for t in run.themes], ensure_ascii=False
        ).encode()
    )
    speeches: dict[str, dict[str, str]] = {}
    ordered = run.loaded.speeches.orderBy("order_key").select(
        "doc_id", "file", "sha256", "title", "meta_json", "clean_sha256"
    )
    for row in ordered.toLocalIterator(prefetchPartitions=False):
        digest.update(
            json.dumps(
                [row["doc_id"], row["title"], row["meta_json"], row["clean_sha256"]],
                ensure_ascii=False,
            ).encode()
        )
        speeches[row["doc_id"]] = {"file": row["file"], "sha256": row["sha256"]}
    return f"spark:{digest.hexdigest()}", speeches


def _analyse(run: SparkRun, previous: dict) -> dict[str, StageOutput]:
    """Every stage after ``load``, in the local engine's order."""
    outputs: dict[str, StageOutput] = {}
    outputs["overview"] = _timed(run, "overview", lambda: _overview(run))
    outputs["features"] = _timed(run, "features", lambda: _features(run))
    outputs["themes"] = _timed(run, "themes", lambda: _themes(run))
    outputs["topics"] = _timed(run, "topics", lambda: topics_stage(run, previous))
    if run.keep:
        outputs["cluster"] = _timed(
            run,
            "cluster",
            lambda: _with_driver(run, "cluster", StageOutput(), {"topics": outputs["topics"]}),
        )
    else:
        run.summary.add("cluster", "skipped", 0.0, "driver only; the corpus does not fit there")
        run.summary.messages.append(
            "[cluster] "
            + skipped_message("cluster", run.n_units, run.settings.engine.driver_max_units)
        )
    return outputs


def run_spark(
    paths: Paths,
    settings: Settings,
    stages: Sequence[str] | None = None,
    force: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> RunSummary:
    """Run every stage on Spark (see the module docstring) and write the local engine's outputs.

    Parameters
    ----------
    paths, settings :
        As for :func:`speechtopics.pipeline.run.run`; ``settings.engine`` says
        where Spark runs.
    stages : sequence of str, optional
        Accepted for the command line's sake: the Spark engine recomputes every
        stage (it has no stage cache); the store keeps the tokens.
    force : bool
        Tokenize every speech again (the store's partition is rebuilt).
    progress : bool
        Print a line as each stage starts.
    echo : callable
        Where those lines go.

    Returns
    -------
    RunSummary
    """
    summary = RunSummary()
    started = datetime.now(UTC)
    previous = read_manifest(paths)
    snapshot_previous_run(paths)
    if stages:
        summary.messages.append(
            "the Spark engine recomputes every stage (--stage is for the local engine); "
            "tokens come from its store"
        )
    say = echo if progress else (lambda _line: None)
    with spark_session(settings.engine) as spark:
        run = SparkRun(spark, paths, settings, summary, say)
        say(f"[load] reading and tokenizing on Spark ({spark.sparkContext.master}) …")
        _load(run, force)
        if not run.loaded.counts["loaded"]:
            summary.messages.append(
                f"no speech could be loaded from {paths.raw}; nothing to analyse"
            )
            return summary
        outputs = _analyse(run, previous)
        corpus_hash, speeches = speech_record(run, run.stored.key)
        _report(run, outputs, corpus_hash, speeches)
        engine = {"name": "spark", "master": spark.sparkContext.master, "spark": spark.version}
        engine["driver_stages"] = run.keep
        write_manifest_record(
            paths, settings, corpus_hash, speeches, summary, started, {"engine": engine}
        )
    return summary
