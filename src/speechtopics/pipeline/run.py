"""Running the stages: load, then each stage from the cache or computed, outputs switched in at the end.

One run at a time per output folder (a file lock; a second run waits).
Outputs are staged while the run computes and switched in together with
the manifest when it ends (see :mod:`.outputs`), so the folder always
equals the manifest and a failed or killed run leaves the previous outputs
as they were.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock, Timeout

from ..analysis.overview import load_report_table
from ..config import Paths, Settings, as_settings, check_separate_folders, default_paths
from ..corpus.load import load
from ..corpus.metadata import check_group_by
from ..corpus.model import Corpus
from ..io import cache_memory, call_cached, column_kinds, table_csv_bytes
from ..progress import note, reporting
from .cache import compute_stage, corpus_key, stage_key
from .history import previous_snapshot
from .manifest import build_manifest, read_manifest
from .outputs import (
    LOCK_FILE,
    PENDING_FILE,
    OutputError,
    StagedRun,
    clear_staging,
    finish_switch,
)
from .progress import fit_progress
from .stage import PrepareContext, RunSummary, Stage, StageOutput
from .stages import STAGE_NAMES, STAGES, stages_needed, stages_to_run


def write_outputs(
    staged: StagedRun, output: StageOutput, summary: RunSummary, stage: str = "load"
) -> int:
    """Stage a stage's tables and files; returns how many will change on disk."""
    written = 0
    for name, table in output.tables.items():
        written += staged.add(f"processed/{name}.csv", table_csv_bytes(table), stage)
        summary.tables[name] = column_kinds(table)
    for relative, data in output.files.items():
        written += staged.add(f"figures/{relative}", data, stage)
    for name, data in output.artifacts.items():
        written += staged.add(f"processed/{name}", data, stage)
    summary.outputs = dict(staged.outputs)
    return written


def run(
    paths: Paths | None = None,
    settings: Settings | Mapping[str, Any] | None = None,
    stages: Sequence[str] | None = None,
    force: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> RunSummary:
    """Run the pipeline: load, clean, segment, tokenize, then every analysis stage.

    ``[engine] name = "spark"`` runs it on Apache Spark instead
    (:mod:`speechtopics.pipeline.engines.spark.run`), under the same lock and
    with its outputs switched in the same way.

    Parameters
    ----------
    paths : Paths, optional
        Defaults: the project's paths.
    settings : Settings or mapping, optional
        Defaults: ``speechtopics.toml``; a mapping is applied over it and checked.
    stages : sequence of str, optional
        Rerun these stages (ignoring their cached results) and the stages
        that depend on them; upstream stages they need come from the cache.
        By default every stage runs, each reused from the cache when its
        inputs are unchanged.
    force : bool
        Ignore the cache: re-tokenize every speech and recompute every stage.
    progress : bool
        Progress bars.
    echo : callable
        Where progress lines go.

    Returns
    -------
    RunSummary
    """
    settings = as_settings(settings)
    paths = default_paths(settings) if paths is None else paths
    selected = stages_to_run(stages) if stages else []
    check_separate_folders(paths)
    check_group_by(settings, paths.metadata)  # needs metadata.csv: checked before any work
    try:
        paths.processed.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(paths.processed / LOCK_FILE))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            echo(f"another speechtopics run is using {paths.processed}; waiting for it to finish …")
            lock.acquire()
    except OSError as exc:
        raise output_error(exc, paths) from exc
    try:
        finish_switch(paths.processed)  # a run killed while switching its outputs in
        clear_staging(paths)
        with reporting(progress):
            summary = _run_engine(paths, settings, selected, force, progress, echo)
        summary.look_first = str(paths.figures / "index.html")
        return summary
    except OSError as exc:
        raise output_error(exc, paths) from exc
    finally:
        lock.release()


def _run_engine(
    paths: Paths,
    settings: Settings,
    selected: list[str],
    force: bool,
    progress: bool,
    echo: Callable[[str], None],
) -> RunSummary:
    """The run on ``[engine] name``: this process's stage loop, or Apache Spark."""
    if settings.engine.name == "spark":
        from .engines.spark.run import run_spark

        return run_spark(paths, settings, selected, force, progress, echo)
    return _run_locked(paths, settings, selected, force, progress, echo)


def output_error(exc: OSError, paths: Paths) -> OutputError:
    """An :class:`OutputError` naming the folder a write failed in (disk full, read-only …)."""
    if isinstance(exc, OutputError):
        return exc
    where = Path(exc.filename) if exc.filename else paths.processed
    folder = next(
        (
            root
            for root in (paths.processed, paths.figures, paths.interim)
            if where.is_relative_to(root)
        ),
        where if where.is_dir() else where.parent,
    )
    reason = exc.strerror or str(exc)
    return OutputError(
        exc.errno,
        f"cannot write to {folder} ({reason}); the outputs of the previous run were left "
        "as they were — free some space or choose another --out",
    )


def _load_step(
    paths: Paths,
    settings: Settings,
    force: bool,
    progress: bool,
    summary: RunSummary,
    staged: StagedRun,
) -> Corpus:
    """Load the corpus, stage the cleaned texts and ``load_report.csv``, and report it."""
    t0 = time.perf_counter()
    corpus = load(paths, settings, progress=progress, force=force)
    repaired = corpus.stats.get("cache_entries_repaired", 0)
    summary.add(
        "load",
        "recomputed" if corpus.stats["speeches_tokenized"] else "reused",
        time.perf_counter() - t0,
        f"{len(corpus.speeches)} speeches; tokenized {corpus.stats['speeches_tokenized']}, "
        f"from cache {corpus.stats['speeches_from_cache']}; skipped {len(corpus.report.skipped)}, "
        f"duplicates {len(corpus.report.duplicates)}"
        + (f"; {repaired} cache entries rejected and recomputed" if repaired else ""),
    )
    for row in corpus.report.skipped:
        summary.messages.append(f"skipped {row['file']}: {row['reason']}")
    for row in corpus.report.duplicates:
        summary.messages.append(f"duplicate {row['file']}: same text as {row['duplicate_of']}")
    for row in corpus.report.warnings:
        summary.messages.append(f"warning {row['file']}: {row['message']}")
    summary.messages.extend(f"[load] {problem}" for problem in corpus.cache_problems)
    for speech in corpus.speeches:
        staged.add(f"interim/cleaned/{speech.doc_id}.txt", speech.text.encode("utf-8"), "load")
    write_outputs(
        staged, StageOutput(tables={"load_report": load_report_table(corpus.report)}), summary
    )
    return corpus


def _prepare(
    stage: Stage, context: dict[str, Any], outputs: dict[str, StageOutput], summary: RunSummary
) -> tuple[Any, dict[str, Any]]:
    """Run a stage's prepare hook: its key and data, its tables staged, its messages reported."""
    if stage.prepare is None:
        return None, {}
    hook = stage.prepare(
        PrepareContext(
            outputs,
            context["paths"],
            context["corpus"],
            context["corpus_hash"],
            context["previous"],
            stage.settings_view(context["settings"]),
        )
    )
    prepared = hook.get("key") or None
    summary.prepared[stage.name] = prepared
    tables = {name: pd.DataFrame(rows) for name, rows in hook.get("tables", {}).items()}
    write_outputs(context["staged"], StageOutput(tables=tables), summary, stage.name)
    summary.messages.extend(f"[{stage.name}] {message}" for message in hook.get("messages", []))
    return prepared, hook.get("data", {})


def _run_stage(
    stage: Stage,
    context: dict[str, Any],
    outputs: dict[str, StageOutput],
    keys: dict[str, str],
    summary: RunSummary,
) -> None:
    """Run one stage (from the cache when its key is known), stage its outputs and report it."""
    paths, staged, cached_stage = context["paths"], context["staged"], context["cached_stage"]
    t_stage = time.perf_counter()
    prepared, prepared_data = _prepare(stage, context, outputs, summary)
    key = stage_key(stage, context["corpus_hash"], context["settings"], paths, keys, prepared)
    keys[stage.name] = key
    inputs = stage.inputs(
        context["corpus"], context["settings"], outputs, paths, prepared, prepared_data
    )
    args = (stage.name, key, stage, inputs)
    recompute = stage.name in context["rerun"] or context["force_all"]
    echo = context["echo"]
    if context["progress"] and (recompute or not cached_stage.check_call_in_cache(*args)):
        note(f"[{stage.name}] computing … (stage {context['number']} of {context['of']})", echo)
    with fit_progress(stage.name, echo if context["progress"] else None):
        output, status = call_cached(cached_stage, *args, force=recompute)
    if cached_stage.problem:
        summary.messages.append(f"[{stage.name}] {cached_stage.problem}")
    outputs[stage.name] = output
    written = write_outputs(staged, output, summary, stage.name)
    summary.messages.extend(f"[{stage.name}] {message}" for message in output.messages)
    summary.add(
        stage.name,
        status,
        time.perf_counter() - t_stage,
        f"{len(output.tables)} tables, {len(output.files)} files, {written} written",
        key=key,
    )
    summary.thin.extend(output.data.get("thin", []))


def _run_stages(
    corpus: Corpus, context: dict[str, Any], selected: list[str], summary: RunSummary
) -> set[str]:
    """Run the needed stages in order; returns their names."""
    needed = set(stages_needed(selected)) if selected else set(STAGE_NAMES)
    chosen = [stage for stage in STAGES if stage.name in needed]
    keys: dict[str, str] = {}
    outputs: dict[str, StageOutput] = {}
    context["of"] = len(chosen)
    for number, stage in enumerate(chosen, start=1):
        context["number"] = number
        _run_stage(stage, context, outputs, keys, summary)
    return {stage.name for stage in chosen}


def _run_locked(
    paths: Paths,
    settings: Settings,
    selected: list[str],
    force: bool,
    progress: bool,
    echo: Callable[[str], None],
) -> RunSummary:
    summary = RunSummary()
    started = datetime.now(UTC)
    previous = read_manifest(paths)
    staged = StagedRun(paths, f"{started:%Y%m%dT%H%M%S}-{os.getpid()}")
    try:
        for name, data in previous_snapshot(paths).items():
            staged.add(name, data, "previous")
        corpus = _load_step(paths, settings, force, progress, summary, staged)
        ran = {"load", "previous"}
        if corpus.speeches:
            context = {
                "paths": paths,
                "settings": settings,
                "corpus": corpus,
                "corpus_hash": corpus_key(corpus),
                "staged": staged,
                "cached_stage": cache_memory(paths.cache).cache(
                    compute_stage, ignore=["stage", "inputs"]
                ),
                "rerun": set(selected),
                "force_all": force and not selected,
                "progress": progress,
                "echo": echo,
                "previous": previous,
            }
            ran |= _run_stages(corpus, context, selected, summary)
        summary.tables.update(staged.carry_over(ran, every_stage=not selected))
        summary.outputs = dict(staged.outputs)
        summary.produced_by = dict(staged.produced_by)
        removed = staged.stale()
        if removed:
            summary.messages.append(
                f"removed {len(removed)} output(s) of the last run that this run did not produce: "
                + ", ".join(removed[:8])
                + (" …" if len(removed) > 8 else "")
            )
        staged.switch_in(build_manifest(paths, settings, corpus, summary, started))
    except BaseException:
        if not (paths.processed / PENDING_FILE).exists():
            staged.discard()
        raise
    if not corpus.speeches:
        summary.messages.append(f"no speech could be loaded from {paths.raw}; nothing to analyse")
    return summary
