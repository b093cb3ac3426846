"""The ``themes`` stage: theme rates, KWIC, formulations and their figures."""

from __future__ import annotations

from ...analysis.themes.formulations import (
    find_formulations,
    formulation_counts,
    formulation_occurrences,
    formulation_recall,
    formulations_by_speech,
)
from ...analysis.themes.kwic import kwic_themes
from ...analysis.themes.phrases import ThemeMatcher
from ...analysis.themes.rates import (
    comparable_groups,
    section_outline,
    section_starts,
    term_counts_by_speech,
    theme_positions,
    theme_rates_by_group,
    theme_rates_by_section,
    theme_rates_by_speech,
)
from ...plots import FigureStyle
from ...plots.compare import note_figure
from ...plots.themes import (
    plot_formulations,
    plot_theme_by_group,
    plot_theme_dispersion,
    plot_theme_heatmap,
    plot_theme_section_heatmap,
)
from ...text.lexicon import load_reference_formulations
from ..stage import StageInputs, StageOutput


def themes_stage(inputs: StageInputs) -> StageOutput:
    """The ``themes`` stage: rate tables, KWIC of every theme, formulations and their figures.

    Tables: ``theme_rates_by_speech``, ``theme_rates_by_section``,
    ``theme_rates_by_group``, ``term_counts_by_speech``, ``theme_positions``,
    ``theme_kwic``, ``formulations``, ``formulations_by_speech`` and, when
    ``data/lexicon/formulations.txt`` exists, ``formulation_recall``.
    Figures: ``theme_heatmap``, ``theme_section_heatmap``, ``theme_by_group``,
    ``theme_dispersion``, ``formulations``.
    """

    corpus, section = inputs.corpus, inputs.settings.themes
    window = section.kwic_window
    group_by = list(section.group_by)

    output = StageOutput()
    style = FigureStyle.from_settings(inputs.settings.figures)
    themes = corpus.themes
    if not themes:
        output.messages.append("theme analysis skipped because themes.toml has no themes")
    titles = corpus.speech_titles()
    texts = corpus.speech_texts()
    if themes:
        documents = corpus.at_grain("document")
        sections = corpus.at_grain("section")
        paragraphs = corpus.units_frame()
        matcher = ThemeMatcher.build(themes, corpus.tokenizer)
        by_speech = theme_rates_by_speech(documents, themes, matcher)
        by_section = theme_rates_by_section(
            sections, themes, section_outline(corpus.units), matcher
        )
        by_group = theme_rates_by_group(by_speech, corpus.speeches_frame(), group_by)
        positions = theme_positions(paragraphs, themes, matcher)
        starts = section_starts(paragraphs)
        output.tables["theme_rates_by_speech"] = by_speech
        output.tables["theme_rates_by_section"] = by_section
        output.tables["theme_rates_by_group"] = by_group
        output.tables["term_counts_by_speech"] = term_counts_by_speech(
            documents, texts, themes, matcher
        )
        output.tables["theme_positions"] = positions
        output.tables["theme_kwic"] = kwic_themes(corpus.units, themes, window=window)
        output.add_figure(
            "theme_heatmap", plot_theme_heatmap(by_speech, titles, style=style), style
        )
        output.add_figure(
            "theme_section_heatmap", plot_theme_section_heatmap(by_section, style=style), style
        )
        theme_group_figure(output, by_group, inputs.settings.compare.min_group_size, style)
        output.add_figure(
            "theme_dispersion",
            plot_theme_dispersion(positions, starts, titles, [t.name for t in themes], style=style),
            style,
        )

    _formulations(output, inputs, style)
    return output


def theme_group_figure(
    output: StageOutput, by_group, min_group_size: int, style: FigureStyle
) -> None:
    """The ``theme_by_group`` figure of the comparable groups (a note when there are none)."""
    drawn, note = comparable_groups(by_group, min_group_size)
    if drawn.empty:
        output.messages.append(f"theme_by_group: no group to compare; {note}")
        figure = note_figure("按层级与年份分组：可比较的组不足两个，不作比较", note, style=style)
    else:
        figure = plot_theme_by_group(drawn, note, style=style)
    output.add_figure("theme_by_group", figure, style)


def _formulations(output: StageOutput, inputs: StageInputs, style: FigureStyle) -> None:
    """Formulation tables, their figure and, with a reference list, the recall of it."""
    corpus, section = inputs.corpus, inputs.settings.themes
    segment = corpus.tokenizer.segment
    texts = corpus.speech_texts()
    found = find_formulations(
        corpus.units, segment, min_saying_speeches=section.min_saying_speeches
    )
    occurrences = formulation_occurrences(
        corpus.units, list(found["formulation"]), segment, context=section.formulation_context
    )
    counts = formulation_counts(found, occurrences)
    matrix = formulations_by_speech(counts, sorted(texts))
    output.tables["formulations"] = counts
    output.tables["formulations_by_speech"] = matrix
    if matrix.empty:
        output.messages.append("formulations figure skipped because no formulation was found")
    else:
        figure = plot_formulations(
            matrix, corpus.speech_titles(), max_rows=section.formulations_max_rows, style=style
        )
        output.add_figure("formulations", figure, style)
    reference_path = inputs.lexicon.path("formulations")
    if reference_path.exists():
        recall = formulation_recall(load_reference_formulations(reference_path), counts, texts)
        output.tables["formulation_recall"] = recall
        in_text = recall[recall["in_text"] != ""]
        if len(in_text):
            output.messages.append(
                f"formulations: {int(in_text['found'].sum())} of {len(in_text)} reference formulations "
                f"in the text found ({in_text['found'].mean():.0%}); {len(found)} found in all"
            )
