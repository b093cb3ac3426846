"""Writing a Spark run's outputs: tables streamed to CSV, figures drawn from the result tables.

A Spark table is written in chunks of rows (``toLocalIterator``), so the
driver holds one chunk at a time whatever the corpus size; the bytes are
those the local engine writes for the same table. When the corpus fits on
the driver, the whole table is kept for the figures and the report page;
otherwise only its first rows (the report page shows a preview).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from ....config import Paths, Settings
from ....io import column_kinds, sha256_hex, table_csv_bytes, write_if_changed, write_table_chunks
from ....plots.corpus import plot_corpus_overview
from ....plots.themes import plot_theme_by_group
from ....plots.topics import (
    plot_topic_coherence,
    plot_topic_prevalence,
    plot_topic_section_heatmap,
    plot_topic_stability,
    plot_topic_words,
)
from ...stage import RunSummary, StageOutput

#: Rows kept in memory for the report page when the corpus does not fit on the driver.
PREVIEW_ROWS = 200
#: Rows per chunk when a Spark table is streamed to CSV.
CHUNK_ROWS = 20_000

_DTYPES = {
    "bigint": "int64",
    "int": "int64",
    "smallint": "int64",
    "double": "float64",
    "float": "float64",
}


def _chunk(rows: list, columns: list[str], kinds: dict[str, str]) -> pd.DataFrame:
    """Rows of a Spark table as a DataFrame with the local engine's dtypes."""
    frame = pd.DataFrame.from_records([tuple(row) for row in rows], columns=columns)
    for column, kind in kinds.items():
        dtype = _DTYPES.get(kind)
        if dtype == "int64" and frame[column].isna().any():
            dtype = "Int64"
        if dtype == "float64":
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        elif dtype is not None:
            frame[column] = frame[column].astype(dtype)
        elif kind == "boolean":
            frame[column] = frame[column].astype(bool)
    return frame


def spark_chunks(table, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """A Spark table's rows in order, as DataFrames of ``chunk_rows`` rows (at least one, maybe empty)."""
    columns = list(table.columns)
    kinds = {field.name: field.dataType.simpleString() for field in table.schema.fields}
    rows: list = []
    sent = False
    for row in table.toLocalIterator(prefetchPartitions=False):
        rows.append(row)
        if len(rows) >= chunk_rows:
            yield _chunk(rows, columns, kinds)
            rows, sent = [], True
    if rows or not sent:
        yield _chunk(rows, columns, kinds)


@dataclass
class Outputs:
    """Where a Spark run writes, and the record of what it wrote (for the manifest)."""

    paths: Paths
    summary: RunSummary
    keep: bool

    def table(self, name: str, table) -> pd.DataFrame:
        """Write ``processed/<name>.csv`` from a Spark or pandas table; return it (or its first rows)."""
        path = self.paths.processed / f"{name}.csv"
        if isinstance(table, pd.DataFrame):
            data = table_csv_bytes(table)
            write_if_changed(path, data)
            self.summary.outputs[f"processed/{name}.csv"] = sha256_hex(data)
            self.summary.tables[name] = column_kinds(table)
            return table
        kept: list[pd.DataFrame] = []

        def chunks() -> Iterator[pd.DataFrame]:
            held = 0
            for chunk in spark_chunks(table):
                if self.keep or held < PREVIEW_ROWS:
                    kept.append(chunk if self.keep else chunk.head(PREVIEW_ROWS - held))
                    held += len(kept[-1])
                yield chunk

        digest, kinds, _ = write_table_chunks(path, chunks())
        self.summary.outputs[f"processed/{name}.csv"] = digest
        self.summary.tables[name] = kinds
        return pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0]

    def stage(self, output: StageOutput) -> int:
        """Write a stage's pandas tables, figures and files (as the local engine's ``write_outputs``)."""
        written = 0
        for name, table in output.tables.items():
            if f"processed/{name}.csv" not in self.summary.outputs:
                self.table(name, table)
                written += 1
        for relative, data in output.files.items():
            written += write_if_changed(self.paths.figures / relative, data)
            self.summary.outputs[f"figures/{relative}"] = sha256_hex(data)
        for name, data in output.artifacts.items():
            written += write_if_changed(self.paths.processed / name, data)
            self.summary.outputs[f"processed/{name}"] = sha256_hex(data)
        return written


def overview_figures(output: StageOutput, keep: bool) -> None:
    """``corpus_overview`` (one bar per speech: only when the corpus fits on the driver)."""
    overview = output.tables.get("corpus_overview")
    if keep and overview is not None and len(overview):
        output.add_figure("corpus_overview", plot_corpus_overview(overview))


def group_figure(output: StageOutput) -> None:
    """``theme_by_group`` from the pooled rates (small whatever the corpus)."""
    by_group = output.tables.get("theme_rates_by_group")
    if by_group is not None and not by_group.empty:
        output.add_figure("theme_by_group", plot_theme_by_group(by_group))


def topic_figures(output: StageOutput, settings: Settings, keep: bool) -> None:
    """The topic figures from the topic tables (per-speech ones only when the corpus fits)."""
    tables = output.tables
    if "topic_k_sweep" in tables:
        output.add_figure(
            "topic_coherence",
            plot_topic_coherence(
                tables["topic_k_sweep"], tables["topic_k_choice"], tables["topic_k_summary"]
            ),
        )
    stability = tables.get("topic_stability")
    if stability is None:
        return
    output.add_figure(
        "topic_stability",
        plot_topic_stability(stability, None, settings.topics.stability_threshold),
    )
    output.add_figure("topic_words", plot_topic_words(tables["topic_words"], stability))
    if keep:
        output.add_figure(
            "topic_prevalence", plot_topic_prevalence(tables["speech_topic"], stability)
        )
        output.add_figure(
            "topic_section_heatmap", plot_topic_section_heatmap(tables["section_topic"], stability)
        )
