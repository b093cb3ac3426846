"""Writing a Spark run's outputs: tables streamed to CSV, figures drawn from the result tables.

Outputs are staged with the run and switched in with its manifest, as the
local engine's are (:class:`~speechtopics.pipeline.outputs.StagedRun`): a
Spark run that fails leaves the previous outputs as they were. A Spark
table is streamed in chunks of rows (``toLocalIterator``), so the driver
holds one chunk at a time whatever the corpus size; the bytes are those the
local engine writes for the same table. When the corpus fits on the
driver, the whole table is kept for the figures and the report page;
otherwise only its first rows (the report page shows a preview).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from ....config import Settings
from ....io import column_kinds, table_csv_bytes
from ....plots import FigureStyle
from ....plots.topics import (
    plot_topic_coherence,
    plot_topic_prevalence,
    plot_topic_section_heatmap,
    plot_topic_stability,
    plot_topic_words,
)
from ...outputs import StagedRun
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
    """Where a Spark run's outputs go (staged until the switch), and the record of what it wrote."""

    staged: StagedRun
    summary: RunSummary
    keep: bool

    def table(self, name: str, table, stage: str) -> pd.DataFrame:
        """Stage ``processed/<name>.csv`` from a Spark or pandas table; return it (or its first rows)."""
        output = f"processed/{name}.csv"
        if isinstance(table, pd.DataFrame):
            self.staged.add(output, table_csv_bytes(table), stage)
            self.summary.tables[name] = column_kinds(table)
            return table
        kept: list[pd.DataFrame] = []
        kinds: dict[str, str] = {}

        def pieces() -> Iterator[bytes]:
            held = 0
            for number, chunk in enumerate(spark_chunks(table)):
                if number == 0:
                    kinds.update(column_kinds(chunk))
                if self.keep or held < PREVIEW_ROWS:
                    kept.append(chunk if self.keep else chunk.head(PREVIEW_ROWS - held))
                    held += len(kept[-1])
                yield table_csv_bytes(chunk, header=number == 0)

        self.staged.add_pieces(output, pieces(), stage)
        self.summary.tables[name] = kinds
        return pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0]

    def stage(self, output: StageOutput, stage: str) -> int:
        """Stage a stage's pandas tables, figures (rendered here) and files; how many will change."""
        output.render_figures()
        written = 0
        for name, table in output.tables.items():
            if f"processed/{name}.csv" not in self.staged.outputs:
                self.table(name, table, stage)
                written += 1
        for relative, data in output.files.items():
            written += self.staged.add(f"figures/{relative}", data, stage)
        for name, data in output.artifacts.items():
            written += self.staged.add(f"processed/{name}", data, stage)
        self.summary.outputs = dict(self.staged.outputs)
        return written


def topic_figures(output: StageOutput, settings: Settings, keep: bool) -> None:
    """The topic figures from the topic tables (per-speech ones only when the corpus fits)."""
    tables = output.tables
    style = FigureStyle.from_settings(settings.figures)
    if "topic_k_sweep" in tables:
        figure = plot_topic_coherence(
            tables["topic_k_sweep"],
            tables["topic_k_choice"],
            tables["topic_k_summary"],
            style=style,
        )
        output.add_figure("topic_coherence", figure, style)
    stability = tables.get("topic_stability")
    if stability is None:
        return
    threshold = settings.topics.stability_threshold
    figures = {
        "topic_stability": lambda: plot_topic_stability(
            stability, tables.get("theme_topic_stability"), threshold, style=style
        ),
        "topic_words": lambda: plot_topic_words(tables["topic_words"], stability, style=style),
    }
    if keep:
        figures["topic_prevalence"] = lambda: plot_topic_prevalence(
            tables["speech_topic"], stability, style=style
        )
        figures["topic_section_heatmap"] = lambda: plot_topic_section_heatmap(
            tables["section_topic"], stability, style=style
        )
    for name, draw in figures.items():
        output.add_figure(name, draw(), style)
