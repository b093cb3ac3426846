"""Figures of the compare and suggest stages: group means with intervals, trends, networks.

Every function takes result tables of :mod:`speechtopics.analysis.compare`
or :mod:`speechtopics.analysis.themes.suggest` and returns a matplotlib
Figure drawn in greys. Groups without an interval (fewer speeches than
``min_group_size``) are never drawn as groups: they are named in a note
under the figure instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from . import setup_cjk_font

GROUPING_NAMES = {"level": "行政层级", "year": "年份", "region": "地区", "speaker": "讲话人"}


def note_figure(title: str, note: str, width: float = 8.0) -> Figure:
    """A figure that says why there is nothing to draw (too few speeches, too few years)."""
    setup_cjk_font()
    fig, ax = plt.subplots(figsize=(width, 1.8))
    ax.axis("off")
    ax.text(0.5, 0.62, title, ha="center", va="center", fontsize=12)
    ax.text(0.5, 0.3, note, ha="center", va="center", fontsize=9, color="0.3", wrap=True)
    return fig


def _panel_grid(n_panels: int, columns: int, width: float, height: float):
    """A figure with ``n_panels`` axes in rows of ``columns`` (spare axes hidden)."""
    columns = max(1, min(columns, n_panels))
    rows = int(np.ceil(n_panels / columns)) if n_panels else 1
    setup_cjk_font()
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows), squeeze=False)
    for index, ax in enumerate(axes.flat):
        if index >= n_panels:
            ax.axis("off")
    return fig, list(axes.flat)[:n_panels]


def _label(measure: str, labels: Mapping[str, str] | None) -> str:
    return (labels or {}).get(measure, measure)


def plot_group_means(
    group_means: pd.DataFrame,
    by: str,
    *,
    value_label: str = "每千词命中数",
    measure_labels: Mapping[str, str] | None = None,
    columns: int = 4,
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
    columns : int
        Panels per row.

    Returns
    -------
    Figure
        With fewer than two groups that have an interval, a figure that
        says so and names the groups: single speeches are not compared.
    """
    table = group_means[group_means["by"] == by]
    with_interval = table[table["ci_low"].notna()]
    groups = list(dict.fromkeys(with_interval["group"]))
    name = GROUPING_NAMES.get(by, by)
    if len(groups) < 2:
        return note_figure(
            f"按{name}分组：可比较的组不足两个，不作比较", _left_out_note(table, groups)
        )
    measures = list(dict.fromkeys(table["measure"]))
    fig, axes = _panel_grid(len(measures), columns, 3.0, 0.9 + 0.32 * len(groups))
    sizes = with_interval.drop_duplicates("group").set_index("group")["n_speeches"]
    for ax, measure in zip(axes, measures, strict=True):
        part = with_interval[with_interval["measure"] == measure].set_index("group").loc[groups]
        ys = np.arange(len(groups))
        ax.hlines(ys, part["ci_low"], part["ci_high"], color="0.35", linewidth=1.4)
        ax.plot(part["mean"], ys, "o", color="black", markersize=4)
        ax.set_yticks(ys)
        ax.set_yticklabels([f"{g}（{int(sizes[g])}篇）" for g in groups], fontsize=8)
        ax.set_ylim(len(groups) - 0.5, -0.5)
        ax.set_title(_label(measure, measure_labels), fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", color="0.9", linewidth=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlabel(value_label, fontsize=7)
    fig.suptitle(f"按{name}分组的均值与 95% 区间（每篇讲话一个观测，按讲话自助抽样）", fontsize=11)
    fig.text(
        0.5, 0.0, _left_out_note(table, groups), ha="center", va="top", fontsize=7, color="0.3"
    )
    fig.tight_layout(rect=(0, 0.02, 1, 0.96))
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


def plot_year_trend(
    speech_values: pd.DataFrame,
    years: pd.Series,
    curve: pd.DataFrame,
    year_means: pd.DataFrame | None = None,
    *,
    value_label: str = "每千词命中数",
    measure_labels: Mapping[str, str] | None = None,
    columns: int = 4,
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
    value_label, measure_labels, columns
        As in :func:`plot_group_means`.
    """
    measures = list(dict.fromkeys(curve["measure"]))
    fig, axes = _panel_grid(len(measures), columns, 3.0, 2.3)
    known = years.reindex(speech_values.index).dropna()
    for ax, measure in zip(axes, measures, strict=True):
        band = curve[curve["measure"] == measure]
        ax.fill_between(band["year"], band["ci_low"], band["ci_high"], color="0.85", linewidth=0)
        ax.plot(band["year"], band["fitted"], color="black", linewidth=1.2)
        ax.plot(
            known.to_numpy(),
            speech_values.loc[known.index, measure].to_numpy(),
            ".",
            color="0.55",
            markersize=3,
        )
        if year_means is not None and not year_means.empty:
            part = year_means[(year_means["measure"] == measure) & year_means["ci_low"].notna()]
            xs = pd.to_numeric(part["group"], errors="coerce")
            ax.vlines(xs, part["ci_low"], part["ci_high"], color="black", linewidth=0.8)
            ax.plot(xs, part["mean"], "s", color="black", markersize=3)
        ax.set_title(_label(measure, measure_labels), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_ylabel(value_label, fontsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle("随年份的变化：灰点 = 单篇讲话，黑线与灰带 = 拟合值及 95% 区间", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def plot_term_trends(term_trends: pd.DataFrame, top_n: int = 15) -> Figure:
    """The terms that rose and fell most: slope per year with its 95% interval (two panels).

    Parameters
    ----------
    term_trends : DataFrame
        :func:`~speechtopics.analysis.compare.trends.term_trends` (sorted by ``t``).
    top_n : int
        Terms per panel.
    """
    rising = term_trends[term_trends["slope_per_year"] > 0].head(top_n)
    falling = term_trends[term_trends["slope_per_year"] < 0].tail(top_n).iloc[::-1]
    rows = max(len(rising), len(falling), 1)
    setup_cjk_font()
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 1.2 + 0.28 * rows), squeeze=False)
    for ax, part, title in (
        (axes[0, 0], rising, "上升最明显的词"),
        (axes[0, 1], falling, "下降最明显的词"),
    ):
        ys = np.arange(len(part))
        ax.hlines(ys, part["ci_low"], part["ci_high"], color="0.4", linewidth=1.2)
        ax.plot(part["slope_per_year"], ys, "o", color="black", markersize=4)
        ax.axvline(0, color="0.6", linewidth=0.8)
        ax.set_yticks(ys)
        ax.set_yticklabels(
            [f"{t}（q={q:.2g}）" for t, q in zip(part["term"], part["q"], strict=True)], fontsize=8
        )
        ax.set_ylim(rows - 0.5, -0.5)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("每年变化（每千词）", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle("用词随年份的趋势（每篇讲话一个观测；q = 多重比较校正后的显著性）", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def plot_cooccurrence_network(
    edges: pd.DataFrame, theme: str, counts: Mapping[str, int] | None = None, seed: int = 0
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
    """
    import networkx as nx

    setup_cjk_font()
    graph = nx.Graph()
    terms = set(edges.loc[edges["kind"] == "term", ["source", "target"]].to_numpy().ravel())
    terms |= set(edges.loc[edges["kind"] == "neighbour", "source"])
    for record in edges.to_dict("records"):
        graph.add_edge(record["source"], record["target"], weight=float(record["cooccurrences"]))
    fig, ax = plt.subplots(figsize=(7.0, 6.0))
    ax.axis("off")
    if graph.number_of_nodes() == 0:
        ax.text(0.5, 0.5, "语料中没有这个主题的共现词", ha="center", va="center")
        ax.set_title(f"主题“{theme}”的共现网络")
        return fig
    layout = nx.spring_layout(graph, seed=seed, weight="weight")
    counts = counts or {}
    sizes = [80 + 25 * np.sqrt(counts.get(node, 1)) for node in graph.nodes]
    colours = ["0.25" if node in terms else "0.8" for node in graph.nodes]
    widths = [0.4 + 0.6 * np.log1p(data["weight"]) for *_, data in graph.edges(data=True)]
    nx.draw_networkx_edges(graph, layout, ax=ax, width=widths, edge_color="0.6")
    nx.draw_networkx_nodes(graph, layout, ax=ax, node_size=sizes, node_color=colours)
    for node, (x, y) in layout.items():
        ax.text(x, y + 0.045, node, ha="center", va="bottom", fontsize=8)
    ax.set_title(
        f"主题“{theme}”的共现网络（深色 = 主题词，浅色 = 同句共现最强的词；线宽 ∝ 共现句数）",
        fontsize=10,
    )
    return fig
