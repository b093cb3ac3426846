"""The ``spark`` benchmarks: the Spark engine against the local engine, and at 10× the size.

Child steps (one measured job each, reported as one JSON line)::

    bench_spark.py local --raw DIR --work DIR
    bench_spark.py spark --raw DIR --work DIR [--master local[2]] [--driver-memory 512m]

Both run load → clean → segment → tokenize → theme rates by speech and by
section, and write the two rate tables as CSV. ``local`` is the local
engine (``corpus.load.load``, its near-duplicate check included, then the
rate functions); ``spark`` is the Spark engine's own steps (load, Parquet
store, rate aggregations, tables streamed to CSV: nothing is collected).
Each job samples its own process tree every 0.1 s and reports the peak RSS
of the Python driver, the JVM and the Python workers, and the CPU seconds
of the whole tree.

:func:`spark_rows` (``benchmarks/run.py --only spark``) builds bench-500
(``build_corpora.py``) and a 10× corpus of the same kind (5,000 documents
drawn by the same script with the same seed, in a temporary folder), and
reports ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

import psutil
from _common import BENCHMARKS_DIR, emit, run_child


class TreeSampler:
    """Peak RSS of this process, its JVM and its Python workers; CPU seconds of the whole tree."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peaks = {"driver_python": 0, "jvm": 0, "python_workers": 0, "tree": 0}
        self.cpu: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        sizes = dict.fromkeys(self.peaks, 0)
        for member in [me, *me.children(recursive=True)]:
            try:
                rss, name, times = member.memory_info().rss, member.name(), member.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            self.cpu[member.pid] = times.user + times.system
            sizes["tree"] += rss
            kind = "driver_python" if member.pid == me.pid else "jvm" if "java" in name else None
            sizes[kind or "python_workers"] += rss
        for key, value in sizes.items():
            self.peaks[key] = max(self.peaks[key], value)

    def _run(self) -> None:
        while not self._done.is_set():
            self._sample()
            self._done.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._sample()
        self._done.set()
        self._thread.join()

    def report(self) -> dict:
        return {
            "peak_rss_mb": {key: round(value / 2**20) for key, value in self.peaks.items()},
            "cpu_seconds": round(sum(self.cpu.values()), 1),
        }


def job_local(raw: Path, work: Path) -> dict:
    from dataclasses import replace

    from speechtopics.analysis.themes.phrases import ThemeMatcher
    from speechtopics.analysis.themes.rates import (
        section_outline,
        theme_rates_by_section,
        theme_rates_by_speech,
    )
    from speechtopics.config import default_paths, load_settings
    from speechtopics.corpus.load import load
    from speechtopics.io import table_csv_bytes, write_bytes

    settings = load_settings()
    paths = replace(
        default_paths(settings).with_overrides(raw=raw, out=work), metadata=raw / "metadata.csv"
    )
    times = {}
    started = time.perf_counter()
    corpus = load(paths, settings)
    times["load_tokenize"] = time.perf_counter() - started
    started = time.perf_counter()
    matcher = ThemeMatcher.build(corpus.themes, corpus.tokenizer)
    by_speech = theme_rates_by_speech(corpus.at_grain("document"), corpus.themes, matcher)
    by_section = theme_rates_by_section(
        corpus.at_grain("section"), corpus.themes, section_outline(corpus.units), matcher
    )
    write_bytes(work / "theme_rates_by_speech.csv", table_csv_bytes(by_speech))
    write_bytes(work / "theme_rates_by_section.csv", table_csv_bytes(by_section))
    times["themes"] = time.perf_counter() - started
    return {
        "speeches": len(corpus.speeches),
        "units": len(corpus.units),
        "tokens": int(sum(len(t) for t in corpus.tokens.values())),
        "chars": int(sum(len(s.text) for s in corpus.speeches)),
        **{key: round(value, 2) for key, value in times.items()},
    }


def job_spark(raw: Path, work: Path, master: str, driver_memory: str) -> dict:
    from dataclasses import replace

    from speechtopics.config import default_paths, load_settings
    from speechtopics.corpus.load import build_tokenizer
    from speechtopics.pipeline.engines.spark import tables
    from speechtopics.pipeline.engines.spark.load import load_speeches
    from speechtopics.pipeline.engines.spark.outputs import Outputs
    from speechtopics.pipeline.engines.spark.session import spark_session
    from speechtopics.pipeline.engines.spark.store import update_store
    from speechtopics.pipeline.engines.spark.tasks import pickled_tokenizer
    from speechtopics.pipeline.outputs import StagedRun
    from speechtopics.pipeline.stage import RunSummary
    from speechtopics.text.lexicon import load_themes

    settings = load_settings().updated(
        {
            "engine": {
                "name": "spark",
                "master": master,
                "driver_memory": driver_memory,
                "quick_jvm": True,
            }
        }
    )
    paths = replace(
        default_paths(settings).with_overrides(raw=raw, out=work), metadata=raw / "metadata.csv"
    )
    times = {}
    started = time.perf_counter()
    with spark_session(settings.engine) as spark:
        times["session"] = time.perf_counter() - started
        started = time.perf_counter()
        loaded = load_speeches(spark, paths, settings)
        themes = load_themes(paths.themes)
        tokenizer = build_tokenizer(paths, settings, themes)
        stored = update_store(
            spark, loaded.speeches, tokenizer, work / "store", settings.engine.speeches_per_task
        )
        times["load_tokenize"] = time.perf_counter() - started
        started = time.perf_counter()
        staged = StagedRun(paths, "bench")
        outputs = Outputs(staged, RunSummary(), keep=False)
        blob = spark.sparkContext.broadcast(pickled_tokenizer(tokenizer))
        outputs.table(
            "theme_rates_by_speech",
            tables.theme_rates_by_speech(spark, stored.speeches, themes, blob),
            "themes",
        )
        outputs.table(
            "theme_rates_by_section",
            tables.theme_rates_by_section(spark, stored.speeches, themes, blob),
            "themes",
        )
        times["themes"] = time.perf_counter() - started
        staged.discard()
        stats = stored.units.selectExpr("count(*) as units", "sum(size(tokens)) as tokens").first()
        chars = loaded.speeches.selectExpr("sum(chars_clean) as chars").first()["chars"]
        return {
            "master": master,
            "driver_memory": driver_memory,
            "speeches": loaded.counts["loaded"],
            "tokenized": stored.tokenized,
            "units": stats["units"],
            "tokens": stats["tokens"],
            "chars": int(chars),
            **{key: round(value, 2) for key, value in times.items()},
        }


# --------------------------------------------------------------------------- parent side


def _corpus(folder: Path, n_documents: int) -> Path:
    """A corpus of ``build_corpora.py``'s resampled kind with ``n_documents`` documents."""
    if not (folder / "bench-500").exists():
        run_child(
            [
                str(BENCHMARKS_DIR / "build_corpora.py"),
                "--out",
                str(folder),
                "--only",
                "bench-500",
                "--n-resampled",
                str(n_documents),
            ]
        )
    return folder / "bench-500"


def _job(kind: str, raw: Path, scratch: Path, *extra: str):
    work = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=scratch))
    try:
        return run_child(
            [
                str(BENCHMARKS_DIR / "bench_spark.py"),
                kind,
                "--raw",
                str(raw),
                "--work",
                str(work),
                *extra,
            ],
            interval=0.1,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(repeats: int, progress) -> dict:
    """bench-500 on both engines (``repeats`` times each) and the 10× corpus on Spark (once)."""
    scratch = Path(tempfile.mkdtemp(prefix="speechtopics-spark-bench-"))
    try:
        x1 = BENCHMARKS_DIR / "corpora" / "bench-500"
        if not x1.exists():
            x1 = _corpus(scratch / "x1", 500)
        x10 = _corpus(scratch / "x10", 5000)
        measured = {"local": [], "spark": [], "spark10": []}
        for repeat in range(repeats):
            progress(f"spark: bench-500, local engine ({repeat + 1}/{repeats})")
            measured["local"].append(_job("local", x1, scratch))
            progress(f"spark: bench-500, Spark local[2] ({repeat + 1}/{repeats})")
            measured["spark"].append(_job("spark", x1, scratch, "--driver-memory", "512m"))
        progress("spark: 10× bench-500 (5,000 documents), Spark local[2]")
        measured["spark10"].append(_job("spark", x10, scratch, "--driver-memory", "512m"))
        return measured
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("job", choices=["local", "spark"])
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="512m")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with TreeSampler() as sampler:
        if args.job == "local":
            report = job_local(args.raw, args.work)
        else:
            report = job_spark(args.raw, args.work, args.master, args.driver_memory)
    report["job"] = args.job
    report["seconds"] = round(time.perf_counter() - started, 2)
    report.update(sampler.report())
    emit(report)


if __name__ == "__main__":
    main()
