"""Figures of the compare and suggest stages: group means with intervals, trends, networks.

Every function takes result tables of :mod:`speechtopics.analysis.compare`
or :mod:`speechtopics.analysis.themes.suggest` and returns a matplotlib
Figure drawn in greys, laid out for ``style.width`` (see
:class:`~speechtopics.plots.FigureStyle`). Groups without an interval
(fewer speeches than ``min_group_size``) are never drawn as groups: they
are named in a note under the figure instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from . import (
    GROUPING_NAMES,
    FigureStyle,
    add_note,
    axes_title,
    fit_text,
    new_figure,
    styled,
    suptitle,
    wrap_text,
)


@styled
def note_figure(title: str, note: str, *, style: FigureStyle) -> Figure:
    """A figure that says why there is nothing to draw (too few speeches, too few years)."""
    fig, ax = new_figure(style, 1.6)
    ax.axis("off")
    ax.text(
        0.5,
        0.7,
        wrap_text(title, style.width * 0.9, style.title),
        ha="center",
        va="center",
        fontsize=style.title,
    )
    ax.text(
        0.5,
        0.3,
        wrap_text(note, style.width * 0.9, style.small),
        ha="center",
        va="center",
        fontsize=style.small,
        color="0.3",
    )
    return fig


def _panel_grid(style: FigureStyle, n_panels: int, panel_height: float):
    """A figure ``style.width`` wide with ``n_panels`` axes in rows (spare axes hidden).

    Panels beyond ``style.max_panels`` are not drawn; the caller notes it.
    """
    n_panels = max(1, min(n_panels, style.max_panels))
    columns = style.panel_columns(n_panels)
    rows = int(np.ceil(n_panels / columns))
    height = style.height(rows, panel_height, 0.8)
    fig, axes = new_figure(style, height, rows, columns, squeeze=False)
    for index, ax in enumerate(axes.flat):
        if index >= n_panels:
            ax.axis("off")
    return fig, list(axes.flat)[:n_panels]


def _label(measure: str, labels: Mapping[str, str] | None) -> str:
    return (labels or {}).get(measure, measure)


def _panel_title(ax, title: str, style: FigureStyle, columns: int) -> None:
    """A panel's title cut to the width of one of ``columns`` panels."""
    width = style.width / columns
    axes_title(ax, fit_text(title, width, style.font), style, width)


def _panels_cut(fig: Figure, measures: list[str], style: FigureStyle) -> list[str]:
    """The measures that get a panel; a note names how many were left out."""
    if len(measures) > style.max_panels:
        add_note(fig, f"只画出前 {style.max_panels} 项（共 {len(measures)} 项），其余见表格")
    return measures[: style.max_panels]


@styled
def plot_group_means(
    group_means: pd.DataFrame,
    by: str,
    *,
    value_label: str = "每千词命中数",
    measure_labels: Mapping[str, str] | None = None,
    style: FigureStyle,
) -> Figure:
    """Point-and-interval plot of each measure by group (one panel per measure).

    Parameters
    ----------
    group_means : DataFrame
        :func:`~speechtopics.analysis.compare.effects.group_means`
        (``by``, ``group``, ``measure``, ``n_speeches``, ``mean``,
        ``ci_low``, ``ci_high``).
    by : str
        The grouping drawn (``level``, ``year`` …).
    value_label : str
        Axis label of the values.
    measure_labels : mapping, optional
        ``measure -> panel title``.
    style : FigureStyle

    Returns
    -------
    Figure
        With fewer than two groups that have an interval, a figure that
        says so and names the groups: single speeches are not compared.
    """
    table = group_means[group_means["by"] == by]
    with_interval = table[table["ci_low"].notna()]
    groups = list(dict.fromkeys(with_interval["group"]))[: style.max_rows]
    name = GROUPING_NAMES.get(by, by)
    if len(groups) < 2:
        return note_figure(
            f"按{name}分组：可比较的组不足两个，不作比较",
            _left_out_note(table, groups),
            style=style,
        )
    measures = list(dict.fromkeys(table["measure"]))
    fig, axes = _panel_grid(style, len(measures), 0.55 + style.line_height() * len(groups))
    measures = _panels_cut(fig, measures, style)
    sizes = with_interval.drop_duplicates("group").set_index("group")["n_speeches"]
    columns = style.panel_columns(len(measures))
    for index, (ax, measure) in enumerate(zip(axes, measures, strict=True)):
        part = with_interval[with_interval["measure"] == measure].set_index("group").loc[groups]
        ys = np.arange(len(groups))
        ax.hlines(ys, part["ci_low"], part["ci_high"], color="0.35", linewidth=1.2)
        ax.plot(part["mean"], ys, "o", color="black", markersize=3)
        ax.set_yticks(ys)
        first = index % columns == 0
        ax.set_yticklabels([f"{g}（{int(sizes[g])}篇）" for g in groups] if first else [])
        ax.set_ylim(len(groups) - 0.5, -0.5)
        _panel_title(ax, _label(measure, measure_labels), style, columns)
        ax.grid(axis="x", color="0.9", linewidth=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlabel(value_label)
    suptitle(fig, style, f"按{name}分组的均值与 95% 区间（每篇讲话一个观测，按讲话自助抽样）")
    add_note(fig, _left_out_note(table, groups))
    return fig


def _left_out_note(table: pd.DataFrame, drawn: Sequence[str]) -> str:
    """The groups not drawn, with their sizes (they have too few speeches for an interval)."""
    rest = table[~table["group"].isin(drawn)].drop_duplicates("group")
    if rest.empty:
        return "每组至少有 min_group_size 篇讲话。"
    listed = "、".join(
        f"{g} {int(n)} 篇" for g, n in zip(rest["group"], rest["n_speeches"], strict=True)
    )
    return f"未画出（篇数不足，不作为组比较，也不给区间）：{listed}"


@styled
def plot_year_trend(
    speech_values: pd.DataFrame,
    years: pd.Series,
    curve: pd.DataFrame,
    year_means: pd.DataFrame | None = None,
    *,
    value_label: str = "每千词命中数",
    measure_labels: Mapping[str, str] | None = None,
    style: FigureStyle,
) -> Figure:
    """Each measure over the years: speeches as dots, the fitted curve with its band.

    Parameters
    ----------
    speech_values : DataFrame
        Index ``doc_id``, one column per measure.
    years : Series
        ``doc_id -> year`` (NaN when unknown; such speeches are not drawn).
    curve : DataFrame
        :func:`~speechtopics.analysis.compare.trends.year_curve`.
    year_means : DataFrame, optional
        Group means by ``year``; years with an interval are drawn as a
        point and a bar over the speeches.
    value_label, measure_labels, style
        As in :func:`plot_group_means`.
    """
    measures = list(dict.fromkeys(curve["measure"]))
    fig, axes = _panel_grid(style, len(measures), 1.6)
    measures = _panels_cut(fig, measures, style)
    columns = style.panel_columns(len(measures))
    known = years.reindex(speech_values.index).dropna()
    for index, (ax, measure) in enumerate(zip(axes, measures, strict=True)):
        band = curve[curve["measure"] == measure]
        ax.fill_between(band["year"], band["ci_low"], band["ci_high"], color="0.85", linewidth=0)
        ax.plot(band["year"], band["fitted"], color="black", linewidth=1.0)
        ax.plot(
            known.to_numpy(),
            speech_values.loc[known.index, measure].to_numpy(),
            ".",
            color="0.55",
            markersize=2.5,
        )
        if year_means is not None and not year_means.empty:
            part = year_means[(year_means["measure"] == measure) & year_means["ci_low"].notna()]
            xs = pd.to_numeric(part["group"], errors="coerce")
            ax.vlines(xs, part["ci_low"], part["ci_high"], color="black", linewidth=0.8)
            ax.plot(xs, part["mean"], "s", color="black", markersize=2.5)
        _panel_title(ax, _label(measure, measure_labels), style, columns)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        if index % columns == 0:
            ax.set_ylabel(value_label)
        ax.spines[["top", "right"]].set_visible(False)
    suptitle(fig, style, "随年份的变化：灰点 = 单篇讲话，黑线与灰带 = 拟合值及 95% 区间")
    return fig


@styled
def plot_term_trends(term_trends: pd.DataFrame, top_n: int = 15, *, style: FigureStyle) -> Figure:
    """The terms that rose and fell most: slope per year with its 95% interval (two panels).

    Parameters
    ----------
    term_trends : DataFrame
        :func:`~speechtopics.analysis.compare.trends.term_trends` (sorted by ``t``).
    top_n : int
        Terms per panel (at most ``style.max_rows``).
    style : FigureStyle
    """
    top_n = min(top_n, style.max_rows)
    rising = term_trends[term_trends["slope_per_year"] > 0].head(top_n)
    falling = term_trends[term_trends["slope_per_year"] < 0].tail(top_n).iloc[::-1]
    rows = max(len(rising), len(falling), 1)
    fig, axes = new_figure(style, style.height(rows, extra=1.0), 1, 2, squeeze=False)
    for ax, part, title in (
        (axes[0, 0], rising, "上升最明显的词"),
        (axes[0, 1], falling, "下降最明显的词"),
    ):
        ys = np.arange(len(part))
        ax.hlines(ys, part["ci_low"], part["ci_high"], color="0.4", linewidth=1.0)
        ax.plot(part["slope_per_year"], ys, "o", color="black", markersize=3)
        ax.axvline(0, color="0.6", linewidth=0.8)
        ax.set_yticks(ys)
        ax.set_yticklabels(
            [f"{t}（q={q:.2g}）" for t, q in zip(part["term"], part["q"], strict=True)]
        )
        ax.set_ylim(rows - 0.5, -0.5)
        axes_title(ax, title, style, style.width / 2)
        ax.set_xlabel("每年变化（每千词）")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=3))
        ax.spines[["top", "right"]].set_visible(False)
    suptitle(fig, style, "用词随年份的趋势（每篇讲话一个观测；q = 多重比较校正后的显著性）")
    return fig


@styled
def plot_cooccurrence_network(
    edges: pd.DataFrame,
    theme: str,
    counts: Mapping[str, int] | None = None,
    seed: int = 0,
    *,
    style: FigureStyle,
) -> Figure:
    """A theme's terms and their strongest co-occurring words as a network (networkx layout).

    Parameters
    ----------
    edges : DataFrame
        :func:`~speechtopics.analysis.themes.suggest.cooccurrence_edges` of one theme.
    theme : str
        Its name (title).
    counts : mapping, optional
        ``word -> corpus count``; node size grows with it.
    seed : int
        Seed of the spring layout.
    style : FigureStyle
    """
    import networkx as nx

    graph = nx.Graph()
    terms = set(edges.loc[edges["kind"] == "term", ["source", "target"]].to_numpy().ravel())
    terms |= set(edges.loc[edges["kind"] == "neighbour", "source"])
    for record in edges.to_dict("records"):
        graph.add_edge(record["source"], record["target"], weight=float(record["cooccurrences"]))
    fig, ax = new_figure(style, min(style.width * 0.85, 6.0))
    ax.axis("off")
    if graph.number_of_nodes() == 0:
        ax.text(0.5, 0.5, "语料中没有这个主题的共现词", ha="center", va="center")
        axes_title(ax, f"主题“{theme}”的共现网络", style)
        return fig
    layout = nx.spring_layout(graph, seed=seed, weight="weight")
    counts = counts or {}
    scale = style.width / 7.0
    sizes = [scale * (40 + 15 * np.sqrt(counts.get(node, 1))) for node in graph.nodes]
    colours = ["0.25" if node in terms else "0.8" for node in graph.nodes]
    widths = [0.3 + 0.5 * np.log1p(data["weight"]) for *_, data in graph.edges(data=True)]
    nx.draw_networkx_edges(graph, layout, ax=ax, width=widths, edge_color="0.6")
    nx.draw_networkx_nodes(graph, layout, ax=ax, node_size=sizes, node_color=colours)
    suptitle(
        fig,
        style,
        f"主题“{theme}”的共现网络（深色 = 主题词，浅色 = 同句共现最强的词；线宽 ∝ 共现句数）",
    )
    order = sorted(graph.nodes, key=lambda node: (node not in terms, -counts.get(node, 0), node))
    hidden = _label_without_overlap(fig, ax, [(node, *layout[node]) for node in order], style)
    if hidden:
        add_note(fig, f"{hidden} 个词的标签与更常见的词重叠，未标出（见 theme_network_edges 表）")
    return fig


def _label_without_overlap(fig: Figure, ax, labels: list[tuple[str, float, float]], style) -> int:
    """Write ``(text, x, y)`` labels in order, hiding each one that would overlap one written.

    Returns
    -------
    int
        How many labels were hidden.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    placed, hidden = [], 0
    for text, x, y in labels:
        label = ax.text(x, y + 0.045, text, ha="center", va="bottom", fontsize=style.small)
        box = label.get_window_extent(renderer).expanded(1.05, 1.1)
        if any(box.overlaps(other) for other in placed):
            label.remove()
            hidden += 1
        else:
            placed.append(box)
    return hidden
