"""Shared helpers of the benchmarks: bench data paths, child processes, peak memory, medians.

Every measurement runs in a fresh child process (``python benchmarks/<job>.py
... --json``) so that caches, loaded dictionaries and worker pools of one
measurement never help the next. The parent samples the resident memory of
the child and all of its descendants (worker processes included) and keeps
the peak of their sum.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from speechtopics.config import PROJECT_ROOT

BENCH_DIR = PROJECT_ROOT.parent / "shared" / "corpus" / "bench"
BENCHMARKS_DIR = Path(__file__).resolve().parent
PYTHON = sys.executable

DATASETS = {
    "xi-jhsjk-paragraphs": BENCH_DIR / "xi-jhsjk-paragraphs" / "paragraphs.txt",
    "online-shopping-10cats": BENCH_DIR / "online-shopping-10cats" / "data.tsv",
}


def read_texts(name: str) -> list[str]:
    """Every text of a bench corpus, in file order (one paragraph or review each)."""
    from streams import iter_lines, iter_tsv_column

    path = DATASETS[name]
    if path.suffix == ".tsv":
        return list(iter_tsv_column(path, "text"))
    return list(iter_lines(path))


@dataclass
class ChildResult:
    """What a child process reported (its JSON line), its wall time and the peak RSS of its tree."""

    report: dict
    wall_seconds: float
    peak_rss_bytes: int


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def run_child(args: list[str], interval: float = 0.02, env: dict | None = None) -> ChildResult:
    """Run ``python <args>`` and return its last stdout line parsed as JSON.

    Parameters
    ----------
    args : list of str
        Script and its arguments.
    interval : float
        Seconds between two samples of the process tree's resident memory.

    Raises
    ------
    RuntimeError
        If the child fails (its stderr is included).
    """
    child_env = dict(os.environ)
    child_env.setdefault("MPLBACKEND", "Agg")
    if env:
        child_env.update(env)
    started = time.perf_counter()
    process = subprocess.Popen(
        [PYTHON, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env,
        cwd=PROJECT_ROOT,
    )
    watched = psutil.Process(process.pid)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(watched))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({process.returncode}):\n{stderr[-4000:]}")
    lines = [line for line in stdout.splitlines() if line.strip()]
    report = json.loads(lines[-1]) if lines else {}
    return ChildResult(report=report, wall_seconds=wall, peak_rss_bytes=peak)


def median(values: list[float]) -> float:
    """Median of the repetitions."""
    return float(statistics.median(values))


def emit(report: dict) -> None:
    """Print a child's result as its last stdout line (what :func:`run_child` reads)."""
    sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def self_max_rss_bytes() -> int:
    """Peak resident memory of this process (``getrusage`` ``ru_maxrss``, kB on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
