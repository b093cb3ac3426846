"""The ``compare`` and ``suggest`` stages: metadata comparisons with intervals, lexicon growth."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from ...analysis.compare.effects import (
    group_labels,
    group_means_by,
    known_years,
    prevalence_effects,
    theme_values,
    topic_values,
)
from ...analysis.compare.trends import term_trends, year_curve, years_note
from ...analysis.themes.suggest import (
    choose_method,
    cooccurrence_edges,
    suggest_terms,
    train_word2vec,
)
from ...plots import FigureStyle
from ...plots.compare import (
    note_figure,
    plot_cooccurrence_network,
    plot_group_means,
    plot_term_trends,
    plot_year_trend,
)
from ..stage import StageInputs, StageOutput

NOTE_COLUMNS = ["analysis", "note"]


def _measure_sets(inputs: StageInputs) -> list[tuple[str, pd.DataFrame, dict[str, str], str]]:
    """``(kind, values, labels, value label)`` of the theme rates and topic shares at hand."""
    sets = []
    themes = inputs.upstream.get("themes")
    if themes is not None and "theme_rates_by_speech" in themes.tables:
        sets.append(
            ("theme", theme_values(themes.tables["theme_rates_by_speech"]), {}, "每千词命中数")
        )
    topics = inputs.upstream.get("topics")
    if topics is not None and "speech_topic" in topics.tables:
        stability = topics.tables.get("topic_stability", pd.DataFrame())
        labels = {}
        if {"topic", "label"} <= set(stability.columns):
            labels = {
                t: f"{t} {label}"
                for t, label in zip(stability["topic"], stability["label"], strict=True)
            }
        sets.append(("topic", topic_values(topics.tables["speech_topic"]), labels, "占讲话的比例"))
    return sets


def _group_notes(speeches: pd.DataFrame, by: list[str], min_group_size: int) -> list[list[str]]:
    """One note per grouping whose groups are too small to compare."""
    notes = []
    for column in by:
        if column not in speeches.columns:
            notes.append([f"groups by {column}", f"the metadata has no {column} column"])
            continue
        sizes = group_labels(speeches, column).value_counts()
        large = int((sizes >= min_group_size).sum())
        if large < 2:
            listed = ", ".join(f"{group} {int(n)}" for group, n in sizes.items())
            notes.append(
                [
                    f"groups by {column}",
                    f"{large} {column} group(s) with at least {min_group_size} speeches "
                    f"(speeches per group: {listed}); no comparison with intervals is drawn",
                ]
            )
    return notes


def compare_stage(inputs: StageInputs) -> StageOutput:
    """The ``compare`` stage: group means with bootstrap intervals, regressions, trends.

    Tables (``kind`` = ``theme`` and, when topics were fitted, ``topic``):
    ``{kind}_group_means``, ``{kind}_effects``, ``{kind}_year_trend``,
    ``term_trends`` and ``compare_notes`` (where the data is too thin, and
    why). Figures: ``{kind}_means_by_{column}`` per grouping,
    ``{kind}_year_trend`` and ``term_trends``; where the data is too thin
    (fewer than two groups of ``min_group_size`` speeches, fewer than
    ``min_years`` distinct years) the figure says so instead of drawing.
    """
    corpus, section = inputs.corpus, inputs.settings.compare
    seed = inputs.settings.analysis.seed
    by = list(section.by)
    output = StageOutput()
    style = FigureStyle.from_settings(inputs.settings.figures)
    speeches = corpus.speeches_frame()
    years = known_years(speeches)
    notes = _group_notes(speeches, by, section.min_group_size)
    no_trend = years_note(years, section.min_years)
    if no_trend:
        notes.append(["trends over years", no_trend])
    boot = {
        "n_boot": section.n_boot,
        "seed": seed,
        "ci_level": section.ci_level,
        "min_group_size": section.min_group_size,
    }
    for kind, values, labels, value_label in _measure_sets(inputs):
        means = group_means_by(values, speeches, by, **boot)
        output.tables[f"{kind}_group_means"] = means
        output.tables[f"{kind}_effects"] = prevalence_effects(
            values,
            speeches,
            by,
            min_group_size=section.min_group_size,
            min_years=section.min_years,
            year_term=section.year_term,
            ci_level=section.ci_level,
        )
        for column in by:
            figure = plot_group_means(
                means, column, value_label=value_label, measure_labels=labels, style=style
            )
            output.add_figure(f"{kind}_means_by_{column}", figure, style)
        curve = year_curve(
            values,
            years,
            year_term=section.year_term,
            ci_level=section.ci_level,
            min_years=section.min_years,
        )
        output.tables[f"{kind}_year_trend"] = curve
        if curve.empty:
            output.add_figure(
                f"{kind}_year_trend",
                note_figure("不画趋势：已知年份太少", no_trend, style=style),
                style,
            )
        else:
            year_means = means[means["by"] == "year"] if "year" in by else None
            output.add_figure(
                f"{kind}_year_trend",
                plot_year_trend(
                    values,
                    years,
                    curve,
                    year_means,
                    value_label=value_label,
                    measure_labels=labels,
                    style=style,
                ),
                style,
            )
    _term_trends(output, corpus, years, section, no_trend, style)
    output.tables["compare_notes"] = pd.DataFrame(notes, columns=NOTE_COLUMNS)
    for analysis, note in notes:
        output.messages.append(f"{analysis}: {note}")
    return output


def _term_trends(output: StageOutput, corpus, years, section, no_trend: str, style) -> None:
    """``term_trends`` and its figure (a note when there are too few known years)."""
    trends = term_trends(
        corpus.at_grain("document"),
        years,
        min_count=section.trend_min_count,
        min_years=section.min_years,
        ci_level=section.ci_level,
    )
    output.tables["term_trends"] = trends
    if trends.empty:
        figure = note_figure("不列用词趋势：已知年份太少", no_trend, style=style)
    else:
        figure = plot_term_trends(trends, section.top_n, style=style)
    output.add_figure("term_trends", figure, style)


def suggest_stage(inputs: StageInputs) -> StageOutput:
    """The ``suggest`` stage: candidate terms for every theme and their co-occurrence networks.

    Tables: ``theme_suggestions`` (see
    :func:`~speechtopics.analysis.themes.suggest.suggest_terms`; nothing is
    added to ``themes.toml``) and ``theme_network_edges``. Figures:
    ``theme_network_NN`` (NN = the theme's place in ``themes.toml``, from 01).
    """
    corpus, section = inputs.corpus, inputs.settings.suggest
    seed = inputs.settings.analysis.seed
    output = StageOutput()
    style = FigureStyle.from_settings(inputs.settings.figures)
    if not corpus.themes:
        output.messages.append("suggestions skipped because themes.toml has no themes")
        return output
    sentences = [list(tokens) for tokens in corpus.at_grain("sentence")["tokens"]]
    counts = Counter(token for tokens in sentences for token in tokens)
    method = choose_method(section.method, sum(counts.values()), section.word2vec_min_tokens)
    options = {
        "seed": seed,
        "vector_size": section.vector_size,
        "window": section.window,
        "epochs": section.epochs,
        "min_count": section.min_count,
    }
    model = train_word2vec(sentences, **options) if method == "word2vec" else None
    tables, edges = [], []
    for number, theme in enumerate(corpus.themes, start=1):
        tables.append(
            suggest_terms(
                theme,
                sentences,
                corpus.units,
                method=method,
                top_n=section.top_n,
                model=model,
                unit_tokens=corpus.tokens,
                **options,
            )
        )
        theme_edges = cooccurrence_edges(
            theme, sentences, neighbours=section.network_neighbours, min_count=section.min_count
        )
        edges.append(theme_edges)
        output.add_figure(
            f"theme_network_{number:02d}",
            plot_cooccurrence_network(theme_edges, theme.name, counts, seed=seed, style=style),
            style,
        )
    output.tables["theme_suggestions"] = pd.concat(tables, ignore_index=True)
    output.tables["theme_network_edges"] = pd.concat(edges, ignore_index=True)
    output.messages.append(
        f"candidate terms by {method} over {len(sentences)} sentences "
        f"({sum(counts.values())} tokens); review theme_suggestions.csv, nothing was added "
        "to themes.toml"
    )
    return output
