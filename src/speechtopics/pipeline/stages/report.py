"""The ``report`` stage: ``figures/index.html`` and the font subset its pages need."""

from __future__ import annotations

from dataclasses import asdict

from ...config import SETTINGS_SECTIONS
from ...io import library_versions
from ...report.fonts import REPORT_FONT_FILE, subset_cjk_font
from ...report.index import build_index_html
from ..cache import LIBRARIES, corpus_key
from ..stage import StageInputs, StageOutput


def report_stage(inputs: StageInputs) -> StageOutput:
    """``index.html`` from this run's tables and figures, and the CJK font subset."""
    corpus, upstream = inputs.corpus, inputs.upstream

    summary = {
        "title": f"speechtopics 报告：{len(corpus.speeches)} 篇讲话",
        "corpus_hash": corpus_key(corpus),
        "speeches": {s.doc_id: {"file": s.file, "sha256": s.sha256} for s in corpus.speeches},
        "parameters": {name: asdict(getattr(inputs.settings, name)) for name in SETTINGS_SECTIONS},
        "libraries": library_versions(LIBRARIES),
    }
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
    return output
