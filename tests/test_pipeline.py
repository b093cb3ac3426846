"""The pipeline end to end on the bundled speeches (overview stage)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pandas as pd
import pytest

from speechtopics.pipeline.run import run


def _raw_fingerprint(raw):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(raw.iterdir())}


@pytest.mark.slow
def test_overview_table_and_figure(full_run):
    local, summary = full_run
    overview = pd.read_csv(
        local.processed / "corpus_overview.csv", dtype={"doc_id": str, "year": str}
    )
    assert list(overview["doc_id"]) == ["000", "001", "002", "003", "004"]
    assert list(overview["sections"]) == [2, 3, 3, 3, 4]
    row = overview.set_index("doc_id").loc["002"]
    assert row["noise_watermarks"] == 6 and row["noise_forum_junk"] > 500
    assert (local.figures / "corpus_overview.png").stat().st_size > 10_000
    assert b"<svg" in (local.figures / "corpus_overview.svg").read_bytes()[:400]
    assert (local.interim / "cleaned" / "002.txt").read_text(encoding="utf-8").count("老秘网") == 0
    report = pd.read_csv(local.processed / "load_report.csv", dtype=str)
    assert set(report["status"]) == {"loaded"}
    status = {r["stage"]: r["status"] for r in summary.rows}
    assert list(status) == [
        "load",
        "overview",
        "features",
        "themes",
        "topic_models",
        "topics",
        "cluster",
        "compare",
        "suggest",
        "report",
    ]
    # A first run has no previous topics: every topic is new, numbered T1…TK.
    identity = pd.read_csv(local.processed / "topic_identity.csv")
    assert set(identity["status"]) == {"new"}
    assert list(identity["topic"]) == [f"T{i + 1}" for i in range(len(identity))]


@pytest.mark.slow
def test_rerunning_one_stage_recomputes_it_and_its_dependents_only(full_run, params):
    local, _ = full_run
    before = _raw_fingerprint(local.raw)
    # topic_identity.csv compares each run with the previous one, so it is the one table that may change.
    tables = {
        p.name: p.read_bytes()
        for p in local.processed.glob("*.csv")
        if p.name != "topic_identity.csv"
    }
    again = run(local, params, stages=["themes"], progress=False, echo=lambda _: None)
    status = {r["stage"]: r["status"] for r in again.rows}
    assert status == {
        "load": "reused",
        "overview": "reused",
        "features": "reused",
        "themes": "recomputed",
        "topic_models": "reused",
        "topics": "reused",
        "cluster": "reused",
        "compare": "recomputed",
        "suggest": "reused",
        "report": "recomputed",
    }
    # Recomputing from the same inputs gives the same bytes.
    assert {
        p.name: p.read_bytes() for p in local.processed.glob("*.csv") if p.name in tables
    } == tables
    assert _raw_fingerprint(local.raw) == before


@pytest.mark.slow
def test_second_run_recomputes_nothing_and_tables_are_identical(full_run, params):
    paths, first = full_run
    statuses = {row["stage"]: row["status"] for row in first.rows}
    assert all(status == "recomputed" for status in statuses.values()), statuses
    tables = {
        p.name: p.read_bytes()
        for p in paths.processed.glob("*.csv")
        if p.name != "topic_identity.csv"
    }
    figures = {p.name: p.stat().st_mtime_ns for p in paths.figures.glob("*.png")}
    second = run(paths, params, progress=False, echo=lambda _: None)
    assert {row["status"] for row in second.rows} == {"reused"}, second.rows
    # The topics were matched to the previous run's: same numbers, all matched, nothing moved.
    identity = pd.read_csv(paths.processed / "topic_identity.csv")
    assert list(identity["topic"]) == [f"T{i + 1}" for i in range(len(identity))]
    assert set(identity["status"]) == {"matched"} and identity["distance"].max() < 1e-3
    diff = subprocess.run(
        [sys.executable, "-m", "speechtopics.cli", "diff", "--out", str(paths.processed.parent)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "speeches: 5 → 5" in diff and "theme rates: unchanged" in diff and "matched" in diff
    assert "nothing recomputed" in second.format()
    assert {
        p.name: p.read_bytes() for p in paths.processed.glob("*.csv") if p.name in tables
    } == tables
    # Unchanged files are not even rewritten.
    assert {p.name: p.stat().st_mtime_ns for p in paths.figures.glob("*.png")} == figures
    manifest = json.loads((paths.processed / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["speeches"]) == {"000", "001", "002", "003", "004"}
    assert manifest["parameters"]["topics"] == params.to_dict()["topics"]
    assert {"gensim", "jieba", "scikit-learn"} <= set(manifest["libraries"])
    assert manifest["python"].startswith("3.")
    roots = {"processed": paths.processed, "figures": paths.figures, "interim": paths.interim}
    for name, digest in manifest["outputs"].items():
        folder, file = name.split("/", 1)
        path = roots[folder] / file
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, name


@pytest.mark.slow
def test_a_second_run_waits_for_the_lock(full_run, params):
    local, _ = full_run
    lock_file = local.processed / ".speechtopics.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from filelock import FileLock; lock = FileLock(sys.argv[1]); lock.acquire(); "
            "print('locked', flush=True); time.sleep(2); lock.release()",
            str(lock_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    messages: list[str] = []
    run(local, params, stages=["overview"], progress=False, echo=messages.append)
    holder.wait(timeout=30)
    assert any("another speechtopics run" in m and "waiting" in m for m in messages)
    assert (local.processed / "corpus_overview.csv").exists()
