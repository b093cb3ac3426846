"""End-to-end ``speechtopics run`` on the bundled speeches: cold, warm, and after adding one speech.

The command runs on a snapshot of the project taken when the benchmark
starts (``src/``, ``speechtopics.toml``, ``data/lexicon``, ``data/raw``,
``data/metadata.csv``), so that edits made to the working tree while it runs
cannot invalidate the cache between a cold and a warm run. Each repetition
uses its own copy of the speeches and its own output root, and times the
command as a user types it::

    speechtopics run --raw <copy of data/raw> --out <fresh folder>   # cold: empty cache
    speechtopics run --raw <same>             --out <same>           # warm: nothing changed
    cp ../shared/corpus/bench/xi-speeches-2020/docs/<one>.txt <copy of data/raw>/
    speechtopics run --raw <same>             --out <same>           # one speech added

Run alone::

    .venv/bin/python benchmarks/bench_e2e.py --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from _common import BENCH_DIR, PYTHON

from speechtopics.config import PROJECT_ROOT, default_paths, load_settings

#: The speech added in the "one more speech" run (a 2020 work-meeting speech, 同志们：…).
ADDED_SPEECH = BENCH_DIR / "xi-speeches-2020" / "docs" / "xi_2020-03-07_07.txt"
CLI = Path(PYTHON).with_name("speechtopics")


def snapshot_project(destination: Path) -> Path:
    """Copy the code, parameters, lexicons and speeches of the project; returns the copy's root."""
    root = destination / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PROJECT_ROOT / "src", root / "src", ignore=ignore)
    shutil.copy(PROJECT_ROOT / "speechtopics.toml", root / "speechtopics.toml")
    params = load_settings()
    paths = default_paths(params)
    shutil.copytree(paths.lexicon, root / "data" / "lexicon")
    shutil.copytree(paths.raw, root / "data" / "raw")
    if paths.metadata.exists():
        shutil.copy(paths.metadata, root / "data" / "metadata.csv")
    return root


def _run_cli(project: Path, raw: Path, out: Path) -> tuple[float, str]:
    """Seconds of one ``speechtopics run`` (on the snapshot's code) and its printed summary."""
    command = [str(CLI), "run", "--raw", str(raw), "--out", str(out)]
    env = dict(os.environ, PYTHONPATH=str(project / "src"), MPLBACKEND="Agg")
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, cwd=project, env=env)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr[-4000:]}")
    return seconds, completed.stdout


def _recomputed(summary: str) -> str:
    """The ``recomputed: …`` line of a run summary (or the nothing-recomputed line)."""
    for line in summary.splitlines():
        if line.startswith(("recomputed:", "nothing recomputed")):
            return line
    return ""


def measure(repeats: int, scratch: Path) -> list[dict]:
    """Cold, warm and one-added seconds for each repetition."""
    project = snapshot_project(scratch)
    env = dict(os.environ, PYTHONPATH=str(project / "src"))
    imported = subprocess.run(
        [PYTHON, "-c", "import speechtopics; print(speechtopics.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    if not Path(imported).is_relative_to(project):
        raise RuntimeError(f"the snapshot's code is not the one imported ({imported})")
    rows = []
    for repeat in range(repeats):
        raw = scratch / f"raw_{repeat}"
        out = scratch / f"out_{repeat}"
        shutil.copytree(project / "data" / "raw", raw)
        if (project / "data" / "metadata.csv").exists():
            shutil.copy(project / "data" / "metadata.csv", raw / "metadata.csv")
        cold, _ = _run_cli(project, raw, out)
        warm, warm_summary = _run_cli(project, raw, out)
        shutil.copy(ADDED_SPEECH, raw / ADDED_SPEECH.name)
        added, added_summary = _run_cli(project, raw, out)
        rows.append(
            {
                "repeat": repeat,
                "cold_seconds": cold,
                "warm_seconds": warm,
                "added_seconds": added,
                "warm_recomputed": _recomputed(warm_summary),
                "added_recomputed": _recomputed(added_summary),
            }
        )
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(raw, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="speechtopics-e2e-") as scratch:
        for row in measure(args.repeat, Path(scratch)):
            print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
