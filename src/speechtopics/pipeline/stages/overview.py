"""The ``overview`` stage: what the corpus is (one row per speech, every paragraph unit)."""

from __future__ import annotations

from ...analysis.overview import corpus_overview, units_table
from ...plots import FigureStyle
from ...plots.corpus import plot_corpus_overview
from ..stage import StageInputs, StageOutput


def overview_stage(inputs: StageInputs) -> StageOutput:
    """Tables ``corpus_overview`` and ``units``; figure ``corpus_overview``."""
    output = StageOutput()
    overview = corpus_overview(inputs.corpus)
    output.tables["corpus_overview"] = overview
    output.tables["units"] = units_table(inputs.corpus)
    if len(overview):
        style = FigureStyle.from_settings(inputs.settings.figures)
        output.add_figure("corpus_overview", plot_corpus_overview(overview, style=style), style)
    return output
