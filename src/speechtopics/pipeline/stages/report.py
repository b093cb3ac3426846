"""The ``report`` stage: ``figures/index.html``, the font subset its pages need, the workbook."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from ...analysis.overview import load_report_table
from ...config import SETTINGS_SECTIONS
from ...io import library_versions
from ...report.fonts import REPORT_FONT_FILE, subset_cjk_font
from ...report.index import build_index_html, report_caveats
from ...report.workbook import WORKBOOK_FILE, workbook_bytes
from ..cache import LIBRARIES, corpus_key
from ..stage import StageInputs, StageOutput


def report_stage(inputs: StageInputs) -> StageOutput:
    """``index.html`` from this run's tables and figures, the CJK font subset and the workbook.

    Files: ``index.html``, ``speechtopics-cjk.otf`` (every character the
    report and topic pages can show). Artifact: ``speechtopics_results.xlsx``.
    Data: ``thin`` (the page's caveats, for the run summary).
    """
    corpus, upstream = inputs.corpus, inputs.upstream
    summary = {
        "title": f"speechtopics 报告：{len(corpus.speeches)} 篇讲话",
        "corpus_hash": corpus_key(corpus),
        "speeches": {s.doc_id: {"file": s.file, "sha256": s.sha256} for s in corpus.speeches},
        "parameters": {name: asdict(getattr(inputs.settings, name)) for name in SETTINGS_SECTIONS},
        "libraries": library_versions(LIBRARIES),
        "workbook": f"data/processed/{WORKBOOK_FILE}",
        "tables": {"load_report": load_report_table(corpus.report)},
    }
    return report_output(summary, upstream)


def report_output(
    summary: dict[str, Any], upstream: Mapping[str, StageOutput], workbook: bool = True
) -> StageOutput:
    """The report stage's files, workbook and caveats from a run summary and the stages' outputs.

    ``summary`` is what :func:`~speechtopics.report.index.build_index_html`
    reads (a run whose corpus is not in memory, on Spark, gives its own);
    without ``workbook`` no workbook is written (the tables at hand are previews).
    """
    output = StageOutput()
    page = build_index_html(summary, upstream)
    output.files["index.html"] = page.encode("utf-8")
    pages = [page] + [
        data.decode("utf-8", errors="ignore")
        for stage_output in upstream.values()
        for name, data in stage_output.files.items()
        if name.endswith(".html")
    ]
    output.files[REPORT_FONT_FILE] = subset_cjk_font(pages)
    if workbook:
        tables = dict(summary["tables"])
        tables.update({n: table for out in upstream.values() for n, table in out.tables.items()})
        output.artifacts[WORKBOOK_FILE] = workbook_bytes(tables)
    output.data["thin"] = report_caveats(summary, upstream)
    return output
