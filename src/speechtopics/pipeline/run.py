"""Running the stages: load, then each stage from the cache or computed, outputs written safely.

One run at a time per output folder (a file lock; a second run waits).
Outputs are written atomically and only when their bytes changed; the
manifest records what every file is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from filelock import FileLock, Timeout

from ..analysis.overview import load_report_table
from ..config import Paths, Settings, as_settings, default_paths
from ..corpus.load import load
from ..corpus.model import Corpus
from ..io import (
    cache_memory,
    call_cached,
    column_kinds,
    sha256_hex,
    table_csv_bytes,
    write_if_changed,
)
from .cache import compute_stage, corpus_key, stage_key
from .history import snapshot_previous_run
from .manifest import read_manifest, write_manifest
from .progress import fit_progress
from .stage import PrepareContext, RunSummary, StageOutput
from .stages import STAGE_NAMES, STAGES, stages_needed, stages_to_run


def write_outputs(paths: Paths, output: StageOutput, summary: RunSummary) -> int:
    """Write a stage's tables and files, skipping files whose bytes did not change."""
    written = 0
    for name, table in output.tables.items():
        data = table_csv_bytes(table)
        written += write_if_changed(paths.processed / f"{name}.csv", data)
        summary.outputs[f"processed/{name}.csv"] = sha256_hex(data)
        summary.tables[name] = column_kinds(table)
    for relative, data in output.files.items():
        written += write_if_changed(paths.figures / relative, data)
        summary.outputs[f"figures/{relative}"] = sha256_hex(data)
    for name, data in output.artifacts.items():
        written += write_if_changed(paths.processed / name, data)
        summary.outputs[f"processed/{name}"] = sha256_hex(data)
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
        ``[engine] name = "spark"`` runs on Apache Spark instead
        (:mod:`speechtopics.pipeline.engines.spark.run`).
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
    paths.processed.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(paths.processed / ".speechtopics.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        echo(f"another speechtopics run is using {paths.processed}; waiting for it to finish …")
        lock.acquire()
    try:
        if settings.engine.name == "spark":
            from .engines.spark.run import run_spark

            return run_spark(paths, settings, selected, force, progress, echo)
        return _run_locked(paths, settings, selected, force, progress, echo)
    finally:
        lock.release()


def _load_step(
    paths: Paths, settings: Settings, force: bool, progress: bool, summary: RunSummary
) -> Corpus:
    """Load the corpus, write the cleaned texts and ``load_report.csv``, and report it."""
    t0 = time.perf_counter()
    corpus = load(paths, settings, progress=progress, force=force)
    summary.add(
        "load",
        "recomputed" if corpus.stats["speeches_tokenized"] else "reused",
        time.perf_counter() - t0,
        f"{len(corpus.speeches)} speeches; tokenized {corpus.stats['speeches_tokenized']}, "
        f"from cache {corpus.stats['speeches_from_cache']}; skipped {len(corpus.report.skipped)}, "
        f"duplicates {len(corpus.report.duplicates)}",
    )
    for row in corpus.report.skipped:
        summary.messages.append(f"skipped {row['file']}: {row['reason']}")
    for row in corpus.report.duplicates:
        summary.messages.append(f"duplicate {row['file']}: same text as {row['duplicate_of']}")
    for row in corpus.report.warnings:
        summary.messages.append(f"warning {row['file']}: {row['message']}")
    for speech in corpus.speeches:
        write_if_changed(paths.cleaned / f"{speech.doc_id}.txt", speech.text.encode("utf-8"))
    write_outputs(
        paths, StageOutput(tables={"load_report": load_report_table(corpus.report)}), summary
    )
    return corpus


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
    snapshot_previous_run(paths)
    corpus = _load_step(paths, settings, force, progress, summary)
    if not corpus.speeches:
        summary.messages.append(f"no speech could be loaded from {paths.raw}; nothing to analyse")
        return summary
    cached_stage = cache_memory(paths.cache).cache(compute_stage, ignore=["stage", "inputs"])
    corpus_hash = corpus_key(corpus)
    rerun = set(selected)
    needed = set(stages_needed(selected)) if selected else set(STAGE_NAMES)
    keys: dict[str, str] = {}
    outputs: dict[str, StageOutput] = {}
    chosen = [stage for stage in STAGES if stage.name in needed]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(chosen), desc="stages", unit="stage", leave=False)
    for stage in chosen:
        if bar is not None:
            bar.set_postfix_str(stage.name)
            bar.update(0)
        t_stage = time.perf_counter()
        prepared, prepared_data = None, {}
        if stage.prepare is not None:
            context = PrepareContext(
                outputs, paths, corpus, corpus_hash, previous, stage.settings_view(settings)
            )
            hook = stage.prepare(context)
            prepared, prepared_data = hook.get("key") or None, hook.get("data", {})
            summary.prepared[stage.name] = prepared
            summary.messages.extend(f"[{stage.name}] {line}" for line in hook.get("messages", []))
            write_outputs(
                paths,
                StageOutput(
                    tables={
                        name: pd.DataFrame(rows) for name, rows in hook.get("tables", {}).items()
                    }
                ),
                summary,
            )
        key = stage_key(stage, corpus_hash, settings, paths, keys, prepared)
        keys[stage.name] = key
        inputs = stage.inputs(corpus, settings, outputs, paths, prepared, prepared_data)
        args = (stage.name, key, stage, inputs)
        recompute = stage.name in rerun or (force and not selected)
        if progress and (recompute or not cached_stage.check_call_in_cache(*args)):
            echo(f"[{stage.name}] computing …")
        with fit_progress(stage.name, echo if progress else None):
            output, status = call_cached(cached_stage, *args, force=recompute)
        outputs[stage.name] = output
        written = write_outputs(paths, output, summary)
        summary.messages.extend(f"[{stage.name}] {message}" for message in output.messages)
        summary.add(
            stage.name,
            status,
            time.perf_counter() - t_stage,
            f"{len(output.tables)} tables, {len(output.files)} files, {written} written",
        )
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    write_manifest(paths, settings, corpus, summary, started)
    return summary
