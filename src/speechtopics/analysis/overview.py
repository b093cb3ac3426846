"""What the corpus is: the load report, one row per speech, every paragraph unit."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..corpus.model import Corpus, LoadReport
from ..text.segment import top_level_sections


def load_report_table(report: LoadReport) -> pd.DataFrame:
    """One row per file: loaded, skipped or duplicate, with the reason."""
    rows = []
    for row in report.loaded:
        rows.append(
            {
                "file": row["file"],
                "status": "loaded",
                "doc_id": row["doc_id"],
                "format": row["format"],
                "encoding": row["encoding"],
                "reason": "",
            }
        )
    for row in report.duplicates:
        rows.append(
            {
                "file": row["file"],
                "status": "duplicate",
                "doc_id": "",
                "format": "",
                "encoding": "",
                "reason": f"same text as {row['duplicate_of']}",
            }
        )
    for row in report.skipped:
        rows.append(
            {
                "file": row["file"],
                "status": "skipped",
                "doc_id": "",
                "format": "",
                "encoding": "",
                "reason": row["reason"],
            }
        )
    for row in report.ignored:
        rows.append(
            {
                "file": row["file"],
                "status": "ignored",
                "doc_id": "",
                "format": "",
                "encoding": "",
                "reason": row["reason"],
            }
        )
    for row in report.warnings:
        rows.append(
            {
                "file": row["file"],
                "status": "warning",
                "doc_id": "",
                "format": "",
                "encoding": "",
                "reason": row["message"],
            }
        )
    columns = ["file", "status", "doc_id", "format", "encoding", "reason"]
    return pd.DataFrame(rows, columns=columns)


def corpus_overview(corpus: Corpus) -> pd.DataFrame:
    """One row per speech: title, metadata, size before/after cleaning, outline and tokens.

    Columns ``noise_<rule>`` give the characters each cleaning rule removed;
    ``converted_<rule>`` the characters a conversion rule changed.
    """
    units = corpus.units_frame()
    rows = []
    for speech in corpus.speeches:
        doc_units = [unit for unit in corpus.units if unit.doc_id == speech.doc_id]
        body = units[(units["doc_id"] == speech.doc_id) & (units["role"] != "title")]
        row: dict[str, Any] = {
            "doc_id": speech.doc_id,
            "file": speech.file,
            "title": speech.title,
            "level": speech.meta.get("level", ""),
            "region": speech.meta.get("region", ""),
            "year": speech.meta.get("year", ""),
            "format": speech.format,
            "encoding": speech.encoding,
            "chars_raw": len(speech.raw_text),
            "chars_clean": len(speech.text),
            "sections": len(top_level_sections(doc_units)),
            "paragraphs": len(body),
            "tokens": int(body["n_tokens"].sum()) if len(body) else 0,
            "types": len({token for tokens in body["tokens"] for token in tokens})
            if len(body)
            else 0,
        }
        assert speech.clean is not None
        for rule, removed in speech.clean.removed_chars.items():
            if rule in speech.clean.changed_chars:
                row[f"converted_{rule}"] = speech.clean.changed_chars[rule]
            else:
                row[f"noise_{rule}"] = removed
        rows.append(row)
    return pd.DataFrame(rows)


def units_table(corpus: Corpus) -> pd.DataFrame:
    """Paragraph units with outline position and space-joined tokens (for ``units.csv``)."""
    frame = corpus.units_frame()
    if frame.empty:
        return frame
    frame = frame.copy()
    frame["tokens"] = frame["tokens"].map(" ".join)
    return frame
