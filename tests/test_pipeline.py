"""The pipeline end to end on the bundled speeches (overview stage)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pandas as pd

from speechtopics.pipeline import run


def _raw_fingerprint(raw):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(raw.iterdir())}


def test_overview_table_and_figure_then_warm_rerun(tmp_path, paths, params):
    local = replace(paths, interim=tmp_path / "interim", processed=tmp_path / "processed", figures=tmp_path / "figures")
    before = _raw_fingerprint(paths.raw)
    summary = run(local, params, stages=["overview"], progress=False, echo=lambda _: None)
    overview = pd.read_csv(local.processed / "corpus_overview.csv", dtype={"doc_id": str, "year": str})
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
    assert status["load"] == status["overview"] == "recomputed"
    tables = {p.name: p.read_bytes() for p in local.processed.glob("*.csv")}

    # Rerunning the stage recomputes it from cached tokens and gives the same bytes.
    again = run(local, params, stages=["overview"], progress=False, echo=lambda _: None)
    load_row, overview_row = again.rows[:2]
    assert load_row["status"] == "reused" and "tokenized 0" in load_row["detail"]
    assert overview_row["status"] == "recomputed"
    for name, data in tables.items():
        assert (local.processed / name).read_bytes() == data, f"{name} changed between identical runs"
    assert _raw_fingerprint(paths.raw) == before
