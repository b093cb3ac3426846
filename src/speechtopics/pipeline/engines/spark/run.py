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
compare   —                                                      every table and figure
suggest   —                                                      every table and figure
report    ``index.html`` and the font subset                     the workbook
========  =====================================================  ==================================

"Fits" means at most ``[engine] driver_max_units`` paragraph units; larger
corpora skip the driver column and the run summary says so. Every stage is
recomputed (Spark has no stage cache), but the tokens come from the Parquet
store (:mod:`.store`): only new or changed speeches are tokenized.

Outputs are staged and switched in together with the manifest, as the local
engine's are (:mod:`speechtopics.pipeline.outputs`): a Spark run that fails
or is killed leaves the previous run's outputs as they were.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from ....config import PROJECT_ROOT, SETTINGS_SECTIONS, Paths, Settings
from ....corpus.load import build_tokenizer
from ....corpus.metadata import METADATA_COLUMNS
from ....io import library_versions
from ....plots import FigureStyle
from ....plots.corpus import plot_corpus_overview
from ....report.workbook import WORKBOOK_FILE
from ....text.lexicon import load_themes
from ...cache import LIBRARIES
from ...history import previous_snapshot
from ...manifest import build_manifest_record, read_manifest
from ...outputs import PENDING_FILE, StagedRun
from ...stage import RunSummary, StageOutput
from ...stages.report import report_output
from ...stages.themes import theme_group_figure
from . import tables
from .driver import DriverCorpus, collect_corpus, driver_stage, near_duplicates, skipped_message
from .load import LoadedSpeeches, load_speeches, ordered_report, unmatched_rows, warning_rows
from .outputs import Outputs
from .session import spark_session
from .store import StoredUnits, store_folder, update_store
from .tasks import pickled_tokenizer
from .topic_run import topics_stage

#: Load-report lines of each kind repeated in the run summary (the rest are in ``load_report.csv``).
SUMMARY_LOAD_LINES = 50
#: Stages that run only on the driver, with the stages whose outputs they take.
DRIVER_STAGES = {"cluster": ("topics",), "compare": ("themes", "topics"), "suggest": ()}


@dataclass
class SparkRun:
    """What the steps of a Spark run share."""

    spark: Any
    paths: Paths
    settings: Settings
    summary: RunSummary
    say: Callable[[str], None]
    staged: StagedRun
    loaded: LoadedSpeeches | None = None
    stored: StoredUnits | None = None
    themes: list | None = None
    tokenizer: Any = None
    outputs: Outputs | None = None
    driver: DriverCorpus | None = None
    n_units: int = 0
    load_report: Any = None

    @property
    def keep(self) -> bool:
        """Whether the corpus fits on the driver."""
        return self.driver is not None

    @property
    def style(self) -> FigureStyle:
        return FigureStyle.from_settings(self.settings.figures)


def _timed(run: SparkRun, stage: str, step: Callable[[], StageOutput | None]) -> StageOutput | None:
    """Run one stage's step, stage its outputs and add its row to the summary."""
    run.say(f"[{stage}] computing …")
    started = time.perf_counter()
    output = step()
    if output is None:
        return None
    written = run.outputs.stage(output, stage)
    run.summary.messages.extend(f"[{stage}] {message}" for message in output.messages)
    run.summary.thin.extend(output.data.get("thin", []))
    where = "Spark and driver" if run.keep and stage != "overview" else "Spark"
    if stage in DRIVER_STAGES:
        where = "driver"
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
    tokenizer = run.tokenizer = build_tokenizer(paths, settings, run.themes)
    store = store_folder(paths.interim, settings.engine.store, PROJECT_ROOT)
    run.stored = update_store(
        run.spark, run.loaded.speeches, tokenizer, store, settings.engine.speeches_per_task, force
    )
    run.n_units = run.stored.units.count()
    if run.n_units <= settings.engine.driver_max_units and run.loaded.counts["loaded"]:
        run.driver = collect_corpus(run.loaded.speeches, run.stored.units, tokenizer, run.themes)
    run.outputs = Outputs(run.staged, run.summary, keep=run.keep)
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
    """``load_report.csv`` and the cleaned texts (near-duplicates checked on the driver when it fits)."""
    spark, loaded = run.spark, run.loaded
    report = loaded.report
    if run.keep:
        report = report.unionByName(warning_rows(spark, near_duplicates(run.driver.corpus), 2))
        for speech in run.driver.corpus.speeches:
            run.staged.add(
                f"interim/cleaned/{speech.doc_id}.txt", speech.text.encode("utf-8"), "load"
            )
    elif run.loaded.counts["loaded"]:
        run.summary.messages.append(
            "[load] "
            + skipped_message("load", run.n_units, run.settings.engine.driver_max_units)
            + "; cleaned texts are in the Spark store, not in interim/cleaned"
        )
    report = report.unionByName(warning_rows(spark, unmatched_rows(loaded, run.paths), 3))
    ordered = ordered_report(report)
    run.load_report = run.outputs.table("load_report", ordered, "load")
    for status, prefix in (
        ("skipped", "skipped"),
        ("duplicate", "duplicate"),
        ("warning", "warning"),
    ):
        rows = ordered.where(f"status = '{status}'").limit(SUMMARY_LOAD_LINES + 1).collect()
        for row in rows[:SUMMARY_LOAD_LINES]:
            run.summary.messages.append(f"{prefix} {row['file']}: {row['reason']}")
        if len(rows) > SUMMARY_LOAD_LINES:
            run.summary.messages.append(f"… more {status} lines in load_report.csv")


def _overview(run: SparkRun) -> StageOutput:
    stored, speeches = run.stored, run.loaded.speeches
    output = StageOutput()
    overview = run.outputs.table(
        "corpus_overview",
        tables.corpus_overview(speeches, stored.units, stored.outlines),
        "overview",
    )
    output.tables["corpus_overview"] = overview
    output.tables["units"] = run.outputs.table(
        "units", tables.units_table(stored.units, speeches), "overview"
    )
    if run.keep and len(overview):  # one bar per speech: only with the whole table
        style = run.style
        output.add_figure("corpus_overview", plot_corpus_overview(overview, style=style), style)
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
        output.tables[name] = run.outputs.table(name, frame, "features")
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
    blob = spark.sparkContext.broadcast(pickled_tokenizer(run.tokenizer))
    stored = run.stored.speeches
    by_speech = tables.theme_rates_by_speech(spark, stored, run.themes, blob)
    output.tables["theme_rates_by_speech"] = run.outputs.table(
        "theme_rates_by_speech", by_speech, "themes"
    )
    output.tables["theme_rates_by_section"] = run.outputs.table(
        "theme_rates_by_section",
        tables.theme_rates_by_section(spark, stored, run.themes, blob),
        "themes",
    )
    by_group = tables.theme_rates_by_group(
        by_speech, speeches, _known_group_columns(run), [theme.name for theme in run.themes]
    )
    output.tables["theme_rates_by_group"] = run.outputs.table(
        "theme_rates_by_group", by_group, "themes"
    )
    window = run.settings.themes.kwic_window
    output.tables["theme_kwic"] = run.outputs.table(
        "theme_kwic", tables.kwic_frame(spark, units, run.themes, window), "themes"
    )
    if not run.keep:
        group_rows = output.tables["theme_rates_by_group"]
        min_size = run.settings.compare.min_group_size
        theme_group_figure(output, group_rows, min_size, run.style)
    return _with_driver(run, "themes", output)


def _driver_only(run: SparkRun, stage: str, outputs: dict[str, StageOutput]) -> None:
    """A stage with no Spark counterpart: the local code on the driver, or skipped with the reason."""
    if run.keep:
        upstream = {name: outputs[name] for name in DRIVER_STAGES[stage] if name in outputs}
        outputs[stage] = _timed(
            run, stage, lambda: _with_driver(run, stage, StageOutput(), upstream)
        )
        return
    run.summary.add(stage, "skipped", 0.0, "driver only; the corpus does not fit there")
    run.summary.messages.append(
        f"[{stage}] " + skipped_message(stage, run.n_units, run.settings.engine.driver_max_units)
    )


def _report(
    run: SparkRun, stage_outputs: dict[str, StageOutput], corpus_hash: str, speeches
) -> None:
    """``index.html``, the font subset and (when the corpus fits) the workbook, as the local stage."""
    summary = {
        "title": f"speechtopics 报告：{len(speeches)} 篇讲话",
        "corpus_hash": corpus_hash,
        "speeches": speeches,
        "parameters": {name: asdict(getattr(run.settings, name)) for name in SETTINGS_SECTIONS},
        "libraries": library_versions(LIBRARIES),
        "tables": {"load_report": stage_outputs["load"].tables["load_report"]},
    }
    if run.keep:
        summary["workbook"] = f"data/processed/{WORKBOOK_FILE}"
    shown = {name: output for name, output in stage_outputs.items() if name != "load"}
    _timed(run, "report", lambda: report_output(summary, shown, workbook=run.keep))


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
    for stage in DRIVER_STAGES:
        _driver_only(run, stage, outputs)
    return outputs


def _run_on_spark(run: SparkRun, force: bool, previous: dict, started: datetime) -> dict[str, Any]:
    """Every stage of the run on Spark, its outputs staged; returns the run's manifest."""
    run.say(f"[load] reading and tokenizing on Spark ({run.spark.sparkContext.master}) …")
    _load(run, force)
    load_output = StageOutput(tables={"load_report": run.load_report})
    if run.loaded.counts["loaded"]:
        outputs = _analyse(run, previous)
        corpus_hash, speeches = speech_record(run, run.stored.key)
        _report(run, {"load": load_output, **outputs}, corpus_hash, speeches)
    else:
        corpus_hash, speeches = speech_record(run, run.stored.key)
        run.summary.messages.append(
            f"no speech could be loaded from {run.paths.raw}; nothing to analyse"
        )
    summary = run.summary
    summary.outputs = dict(run.staged.outputs)
    summary.produced_by = dict(run.staged.produced_by)
    engine = {
        "name": "spark",
        "master": run.spark.sparkContext.master,
        "spark": run.spark.version,
        "driver_stages": run.keep,
    }
    return build_manifest_record(
        run.paths, run.settings, corpus_hash, speeches, summary, started, {"engine": engine}
    )


def run_spark(
    paths: Paths,
    settings: Settings,
    stages: Sequence[str] | None = None,
    force: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> RunSummary:
    """Run every stage on Spark (see the module docstring) and switch in the local engine's outputs.

    Parameters
    ----------
    paths, settings :
        As for :func:`speechtopics.pipeline.run.run` (which holds the run lock
        and calls this); ``settings.engine`` says where Spark runs.
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
    staged = StagedRun(paths, f"{started:%Y%m%dT%H%M%S}-{os.getpid()}")
    if stages:
        summary.messages.append(
            "the Spark engine recomputes every stage (--stage is for the local engine); "
            "tokens come from its store"
        )
    say = echo if progress else (lambda _line: None)
    try:
        for name, data in previous_snapshot(paths).items():
            staged.add(name, data, "previous")
        with spark_session(settings.engine) as spark:
            run = SparkRun(spark, paths, settings, summary, say, staged)
            manifest = _run_on_spark(run, force, previous, started)
        removed = staged.stale()
        if removed:
            summary.messages.append(
                f"removed {len(removed)} output(s) of the last run that this run did not produce: "
                + ", ".join(removed[:8])
                + (" …" if len(removed) > 8 else "")
            )
        staged.switch_in(manifest)
    except BaseException:
        if not (paths.processed / PENDING_FILE).exists():
            staged.discard()
        raise
    return summary
