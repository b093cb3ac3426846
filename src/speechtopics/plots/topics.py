"""Figures of the topic models: choosing K, stability, prevalence, top words and theme topics."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from . import (
    FigureStyle,
    add_note,
    axes_title,
    fit_text,
    new_figure,
    short_label,
    styled,
    suptitle,
    wrap_text,
)

#: Hatch patterns cycled over topics, so stacked bars stay apart in grey print.
HATCHES = ("", "///", "...", "xxx", "\\\\\\", "+++", "ooo", "---", "|||", "**")
SPEECH_KEYS = ("doc_id", "title", "n_units", "n_tokens")

MEASURE_TITLES = {
    "c_npmi": "c_npmi（越高越好）",
    "c_v": "c_v（越高越好）",
    "u_mass": "u_mass（越高越好）",
    "perplexity": "留出困惑度（越低越好）",
    "stability": "种子间 Jaccard（越高越好）",
}


def _topic_names(table: pd.DataFrame, reserved: Sequence[str]) -> list[str]:
    """Topic columns of a wide prevalence table: every column that is not a key."""
    return [column for column in table.columns if column not in reserved]


def _unstable(stability: pd.DataFrame | None) -> set[str]:
    if stability is None or "stable" not in stability:
        return set()
    return set(stability.loc[~stability["stable"].astype(bool), "topic"].astype(str))


def _labels(stability: pd.DataFrame | None) -> dict[str, str]:
    if stability is None or "label" not in stability:
        return {}
    return dict(zip(stability["topic"].astype(str), stability["label"].astype(str), strict=True))


def _topic_title(topic: str, label: str) -> str:
    """``T1 label``; a label that already starts with the topic name (seeded themes) stands alone."""
    topic, label = str(topic), str(label or "")
    if not label:
        return topic
    return label if label.split(" ")[0] == topic else f"{topic} {label}"


def _topic_colours(n: int) -> list:
    """Colours from light to dark on cividis (readable in grey), one per topic."""
    cmap = plt.get_cmap("cividis")
    if n == 1:
        return [cmap(0.5)]
    return [cmap(0.95 - 0.85 * i / (n - 1)) for i in range(n)]


def _speech_rows(table: pd.DataFrame, style: FigureStyle, extra: float) -> pd.DataFrame:
    """Speeches of a wide per-speech table in id order, cut to what one figure shows."""
    table = table.sort_values("doc_id", kind="stable").reset_index(drop=True)
    limit = min(style.max_rows, style.rows_that_fit(style.line_height() * 1.3, extra))
    if len(table) > limit:
        table = table.nlargest(limit, "n_tokens").sort_values("doc_id", kind="stable")
    return table.reset_index(drop=True)


def _speech_labels(table: pd.DataFrame, style: FigureStyle) -> list[str]:
    titles = table["title"].fillna("") if "title" in table else [""] * len(table)
    chars = 0 if style.narrow else style.label_chars
    return [short_label(d, t, chars) for d, t in zip(table["doc_id"], titles, strict=True)]


# --------------------------------------------------------------------------- choosing K


def _measure_panel(ax, sweep: pd.DataFrame, measure: str, chosen, style: FigureStyle) -> None:
    ax.scatter(sweep["k"], sweep[measure], s=8, color="0.6", edgecolor="0.3", linewidth=0.3)
    median = sweep.groupby("k", sort=True)[measure].median()
    ax.plot(median.index, median.to_numpy(), color="0.1", marker="o", markersize=2.5)
    if chosen is not None:
        ax.axvline(chosen, color="0.2", linestyle="--", linewidth=0.8, zorder=1)
    ax.set_title(MEASURE_TITLES[measure], fontsize=style.font)
    ax.yaxis.set_major_locator(MaxNLocator(4))


def _votes_panel(ax, summary: pd.DataFrame, chosen, style: FigureStyle) -> None:
    colours = ["0.25" if chosen is not None and int(k) == chosen else "0.7" for k in summary["k"]]
    ax.bar(summary["k"], summary["votes"], color=colours, edgecolor="0.2", linewidth=0.4)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("得票数", fontsize=style.font)


def _k_legend(fig: Figure, chosen, style: FigureStyle) -> None:
    handles = [
        Line2D(
            [], [], color="0.6", marker="o", linestyle="", markeredgecolor="0.3", label="单次拟合"
        ),
        Line2D([], [], color="0.1", marker="o", markersize=3, label="中位数"),
    ]
    if chosen is not None:
        handles.append(Line2D([], [], color="0.2", linestyle="--", label=f"所选 K = {chosen}"))
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncol=len(handles),
        fontsize=style.small,
        frameon=False,
        title="横轴：主题数 K",
        title_fontsize=style.small,
    )


@styled
def plot_topic_coherence(
    sweep: pd.DataFrame,
    choice: pd.DataFrame | None = None,
    summary: pd.DataFrame | None = None,
    *,
    style: FigureStyle,
) -> Figure:
    """Coherence, held-out perplexity and agreement across seeds against K.

    Parameters
    ----------
    sweep : DataFrame
        ``topic_k_sweep``: ``k``, ``seed``, ``c_npmi``, ``c_v``, ``u_mass``,
        ``perplexity``, ``stability`` (one row per fit).
    choice : DataFrame, optional
        ``topic_k_choice``; the chosen K is marked by a dashed line.
    summary : DataFrame, optional
        ``topic_k_summary``; its ``votes`` per K (measures within one standard
        error of the best) fill the last panel.
    style : FigureStyle

    Notes
    -----
    Points are the single fits (one per seed), the line joins the medians.
    """
    measures = [m for m in MEASURE_TITLES if m in sweep.columns and sweep[m].notna().any()]
    panels = len(measures) + (summary is not None and "votes" in summary)
    columns = style.panel_columns(max(panels, 1), 1.6 if style.narrow else 2.2)
    rows = math.ceil(panels / columns)
    fig, axes = new_figure(style, style.height(rows, 1.55, 0.9), rows, columns, squeeze=False)
    chosen = int(choice["k"].iloc[0]) if choice is not None and len(choice) else None
    for ax, measure in zip(axes.flat, measures, strict=False):
        _measure_panel(ax, sweep, measure, chosen, style)
    if panels > len(measures):
        _votes_panel(axes.flat[len(measures)], summary, chosen, style)
    for ax in axes.flat[:panels]:
        ax.xaxis.set_major_locator(MaxNLocator(5 if style.narrow else 7, integer=True))
        ax.tick_params(labelsize=style.small)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes.flat[panels:]:
        ax.set_visible(False)
    _k_legend(fig, chosen, style)
    suptitle(fig, style, "选择主题数 K：一致性、困惑度与种子间一致性")
    return fig


# --------------------------------------------------------------------------- stability


def _stability_panel(ax, table: pd.DataFrame, threshold: float, title: str, style) -> None:
    y = np.arange(len(table))
    stable = table["stable"].astype(bool).to_numpy()
    bars = ax.barh(
        y,
        table["mean_jaccard"],
        color=np.where(stable, "0.4", "0.85").tolist(),
        edgecolor="0.2",
        linewidth=0.4,
    )
    for bar, ok in zip(bars, stable, strict=True):
        if not ok:
            bar.set_hatch("///")
    ax.scatter(table["min_jaccard"], y, marker="|", s=40, color="0.1", zorder=3)
    ax.scatter(
        table["single_fit_jaccard"],
        y,
        marker="D",
        s=9,
        facecolor="white",
        edgecolor="0.1",
        zorder=4,
    )
    ax.axvline(threshold, color="0.1", linestyle="--", linewidth=0.8)
    label_width = style.width * (0.42 if style.narrow else 0.35)
    labels = [
        fit_text(_topic_title(t, lab), label_width, style.font)
        for t, lab in zip(table["topic"], table["label"], strict=True)
    ]
    ax.set_yticks(y, labels)
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_title(title, fontsize=style.font)
    ax.spines[["top", "right"]].set_visible(False)


def _stability_legend(fig: Figure, threshold: float, style: FigureStyle) -> None:
    handles = [
        Patch(facecolor="0.4", edgecolor="0.2", label=f"稳定（≥ {threshold:g}）"),
        Patch(facecolor="0.85", edgecolor="0.2", hatch="///", label="不稳定"),
        Line2D([], [], color="0.1", marker="|", linestyle="", markersize=7, label="最差一对种子"),
        Line2D(
            [],
            [],
            color="0.1",
            marker="D",
            markerfacecolor="white",
            linestyle="",
            markersize=4,
            label="单次拟合之间",
        ),
    ]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncol=2 if style.narrow else 4,
        fontsize=style.small,
        frameon=False,
    )


@styled
def plot_topic_stability(
    stability: pd.DataFrame,
    theme_stability: pd.DataFrame | None = None,
    threshold: float = 0.6,
    *,
    style: FigureStyle,
) -> Figure:
    """How well each topic is reproduced across seeds (one panel per model).

    Parameters
    ----------
    stability : DataFrame
        ``topic_stability``: ``topic``, ``label``, ``mean_jaccard``,
        ``min_jaccard``, ``single_fit_jaccard``, ``stable``.
    theme_stability : DataFrame, optional
        The same for the seeded theme topics (second panel).
    threshold : float
        Stability threshold (dashed line).
    style : FigureStyle

    Notes
    -----
    Bars: mean Jaccard between the ensembles of every pair of seeds (hatched
    and light = below the threshold); ``|``: the worst pair; ◇: what single
    fits reproduce.
    """
    panels = [(stability, "LDA 主题（所选 K，集成模型）")]
    if theme_stability is not None and len(theme_stability):
        panels.append((theme_stability, "种子词引导的主题"))
    sizes = [max(len(table), 1) + 2 for table, _ in panels]
    fig, axes = new_figure(
        style,
        style.height(sum(sizes), style.line_height() * 1.1, 1.2),
        len(panels),
        1,
        squeeze=False,
        gridspec_kw={"height_ratios": sizes},
    )
    for ax, (table, title) in zip(axes.flat, panels, strict=True):
        _stability_panel(ax, table, threshold, title, style)
    axes.flat[-1].set_xlabel("前 20 词的 Jaccard 相似度")
    _stability_legend(fig, threshold, style)
    suptitle(fig, style, "主题稳定性：不同随机种子得到的主题前 20 词有多一致")
    return fig


# --------------------------------------------------------------------------- prevalence


def _stacked_bars(ax, table: pd.DataFrame, names, labels, unstable, style: FigureStyle) -> None:
    colours = _topic_colours(len(names))
    y = np.arange(len(table))
    left = np.zeros(len(table))
    for index, name in enumerate(names):
        values = table[name].to_numpy(dtype=float)
        legend = _topic_title(name, labels.get(name, "")) + (
            "（不稳定）" if name in unstable else ""
        )
        ax.barh(
            y,
            values,
            left=left,
            color=colours[index],
            hatch=HATCHES[index % len(HATCHES)],
            edgecolor="0.25",
            linewidth=0.4,
            label=legend,
        )
        _share_labels(ax, left, values, colours[index], style)
        left += values


def _share_labels(ax, left, values, colour, style: FigureStyle) -> None:
    """``48%`` inside every segment wide enough to hold it."""
    minimum = 0.12 if style.narrow else 0.08
    for row, (start, value) in enumerate(zip(left, values, strict=True)):
        if value >= minimum:
            ax.text(
                start + value / 2,
                row,
                f"{value:.0%}",
                ha="center",
                va="center",
                fontsize=style.small,
                color="white" if sum(colour[:3]) / 3 < 0.45 else "black",
                bbox={"boxstyle": "round,pad=0.1", "facecolor": colour, "edgecolor": "none"},
            )


@styled
def plot_topic_prevalence(
    speech_topic: pd.DataFrame, stability: pd.DataFrame | None = None, *, style: FigureStyle
) -> Figure:
    """Stacked bars: the topic make-up of each speech.

    Parameters
    ----------
    speech_topic : DataFrame
        ``speech_topic``: ``doc_id``, ``title``, ``n_units``, ``n_tokens`` and one
        column per topic (rows sum to 1).
    stability : DataFrame, optional
        ``topic_stability``, for the legend labels (unstable topics marked).
    style : FigureStyle

    Notes
    -----
    At most ``style.max_rows`` speeches (the longest, in id order); the
    figure says how many were left out.
    """
    names = _topic_names(speech_topic, SPEECH_KEYS)
    legend_rows = len(names) if style.narrow else 0
    table = _speech_rows(speech_topic, style, 1.2 + legend_rows * style.line_height(style.small))
    fig, ax = new_figure(
        style, style.height(len(table) + legend_rows * 0.8, style.line_height() * 1.3, 1.2)
    )
    _stacked_bars(ax, table, names, _labels(stability), _unstable(stability), style)
    ax.set_yticks(np.arange(len(table)), _speech_labels(table, style))
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda value, _: f"{value:.0%}"))
    ax.set_xlabel("主题比重（按词数加权）")
    ax.spines[["top", "right"]].set_visible(False)
    if style.narrow:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=1, frameon=False)
    else:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="主题")
    axes_title(ax, "每篇讲话的主题构成", style)
    if len(table) < len(speech_topic):
        add_note(fig, f"只显示词数最多的 {len(table)} 篇讲话（共 {len(speech_topic)} 篇）")
    return fig


def _heatmap(ax, values: np.ndarray, style: FigureStyle, vmax=None, annotate_min=0.15):
    vmax = float(np.nanmax(values)) if vmax is None and values.size else (vmax or 1.0)
    image = ax.imshow(
        values, aspect="auto", cmap="Greys", vmin=0, vmax=vmax or 1.0, interpolation="nearest"
    )
    for (row, column), value in np.ndenumerate(values):
        if value >= annotate_min:
            ax.text(
                column,
                row,
                f"{value:.0%}",
                ha="center",
                va="center",
                fontsize=style.small,
                color="white" if value > 0.55 * (vmax or 1.0) else "black",
            )
    return image


def _share_colorbar(fig: Figure, image, ax, style: FigureStyle) -> None:
    colorbar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, aspect=30)
    colorbar.ax.tick_params(labelsize=style.small)
    colorbar.set_label("主题比重", fontsize=style.font)


def _section_row_labels(section_topic: pd.DataFrame, style: FigureStyle) -> list[str]:
    headings = section_topic.get("heading", pd.Series([""] * len(section_topic))).fillna("")
    labels = []
    for doc_id, section, heading in zip(
        section_topic["doc_id"], section_topic["section"], headings, strict=True
    ):
        text = "" if style.narrow or not heading else str(heading).split("、", 1)[-1]
        text = text if len(text) <= 14 else text[:13] + "…"
        labels.append(f"{doc_id} {section} {text}".rstrip())
    return labels


@styled
def plot_topic_section_heatmap(
    section_topic: pd.DataFrame, stability: pd.DataFrame | None = None, *, style: FigureStyle
) -> Figure:
    """Heatmap of topic proportions per top-level section of each speech.

    Parameters
    ----------
    section_topic : DataFrame
        ``section_topic``: ``doc_id``, ``section``, ``heading``, ``n_units``,
        ``n_tokens`` and one column per topic, in reading order.
    stability : DataFrame, optional
        ``topic_stability``, for column labels (unstable topics marked ``*``).
    style : FigureStyle

    Notes
    -----
    At most ``style.max_rows`` sections (those of the first speeches).
    """
    names = _topic_names(section_topic, ("doc_id", "section", "heading", "n_units", "n_tokens"))
    labels, unstable = _labels(stability), _unstable(stability)
    limit = min(style.max_rows, style.rows_that_fit(extra=2.2))
    shown = section_topic.head(limit)
    fig, ax = new_figure(style, style.height(len(shown), style.line_height() * 1.15, 2.2))
    image = _heatmap(ax, shown[names].to_numpy(dtype=float), style, vmax=1.0)
    ax.set_yticks(np.arange(len(shown)), _section_row_labels(shown, style))
    column_width = 1.1 if style.narrow else 1.7
    columns = [
        fit_text(
            _topic_title(n, "" if style.narrow else labels.get(n, "")), column_width, style.font
        )
        + ("*" if n in unstable else "")
        for n in names
    ]
    ax.set_xticks(
        np.arange(len(names)),
        columns,
        rotation=90 if style.narrow else 40,
        ha="center" if style.narrow else "right",
        rotation_mode="default" if style.narrow else "anchor",
    )
    ax.set_xlabel("主题（* = 不稳定）" if unstable else "主题")
    _share_colorbar(fig, image, ax, style)
    axes_title(ax, "各小节的主题比重", style)
    if len(shown) < len(section_topic):
        add_note(fig, f"只显示前 {len(shown)} 个小节（共 {len(section_topic)} 个）")
    return fig


# --------------------------------------------------------------------------- words


def _words_panel(ax, words: pd.DataFrame, is_unstable: bool, x_max: float) -> None:
    y = np.arange(len(words))
    ax.barh(
        y,
        words["prob"],
        color="0.85" if is_unstable else "0.45",
        edgecolor="0.25",
        linewidth=0.4,
        hatch="///" if is_unstable else "",
    )
    ax.set_yticks(y, words["word"])
    ax.invert_yaxis()
    ax.set_xlim(0, x_max * 1.05)
    ax.xaxis.set_major_locator(MaxNLocator(2))
    ax.spines[["top", "right"]].set_visible(False)


@styled
def plot_topic_words(
    topic_words: pd.DataFrame,
    stability: pd.DataFrame | None = None,
    n_words: int = 10,
    *,
    style: FigureStyle,
) -> Figure:
    """Small multiples: the most probable words of each topic.

    Parameters
    ----------
    topic_words : DataFrame
        ``topic_words``: ``topic``, ``label``, ``rank``, ``word``, ``prob``, ``frex``.
    stability : DataFrame, optional
        ``topic_stability``; unstable topics are drawn light and hatched.
    n_words : int
        Words per topic.
    style : FigureStyle

    Notes
    -----
    At most ``style.max_panels`` topics and what fits a page (the figure says so).
    """
    topics = list(dict.fromkeys(topic_words["topic"]))
    unstable = _unstable(stability)
    columns = style.panel_columns(max(len(topics), 1), 1.6 if style.narrow else 1.7)
    panel_height = n_words * style.line_height() + 0.55
    fit = style.rows_that_fit(panel_height, 0.7) * columns
    shown = topics[: min(len(topics), style.max_panels, fit)]
    rows = max(1, math.ceil(len(shown) / columns))
    fig, axes = new_figure(
        style, style.height(rows, panel_height, 0.7), rows, columns, squeeze=False
    )
    x_max = float(topic_words["prob"].max()) if len(topic_words) else 1.0
    title_width = 0.72 * style.width / columns
    for ax, topic in zip(axes.flat, shown, strict=False):
        words = topic_words[topic_words["topic"] == topic].sort_values("rank").head(n_words)
        _words_panel(ax, words, topic in unstable, x_max)
        label = str(words["label"].iloc[0]) if len(words) else ""
        title = _topic_title(topic, label) + ("（不稳定）" if topic in unstable else "")
        ax.set_title(wrap_text(title, title_width, style.small, max_lines=2), fontsize=style.small)
        ax.tick_params(axis="x", labelsize=style.small)
    for ax in axes.flat[len(shown) :]:
        ax.set_visible(False)
    fig.supxlabel("词在主题中的概率", fontsize=style.font)
    suptitle(fig, style, "每个主题概率最高的词")
    if len(shown) < len(topics):
        add_note(fig, f"只显示前 {len(shown)} 个主题（共 {len(topics)} 个，见 topic_words.csv）")
    return fig


@styled
def plot_theme_topic_prevalence(by_speech: pd.DataFrame, *, style: FigureStyle) -> Figure:
    """Heatmap: the share of each seeded theme topic in each speech.

    Parameters
    ----------
    by_speech : DataFrame
        ``theme_topic_by_speech``: ``doc_id``, ``title``, ``n_units``,
        ``n_tokens`` and one column per seeded topic (themes, then free topics ``F1``…).
    style : FigureStyle
    """
    names = _topic_names(by_speech, SPEECH_KEYS)
    table = _speech_rows(by_speech, style, 2.0)
    fig, ax = new_figure(style, style.height(len(table), style.line_height() * 1.3, 2.0))
    values = table[names].to_numpy(dtype=float)
    label_width = 0.5 if style.narrow else 2.0
    legible = (style.width - label_width - 0.8) / max(len(names), 1) >= 0.2
    image = _heatmap(ax, values, style, annotate_min=0.05 if legible else 2.0)
    free = [n if not n.startswith("F") or len(n) > 3 else f"{n}（自由）" for n in names]
    ax.set_xticks(
        np.arange(len(names)),
        free,
        rotation=90 if style.narrow else 45,
        ha="center" if style.narrow else "right",
        rotation_mode="default" if style.narrow else "anchor",
    )
    ax.set_yticks(np.arange(len(table)), _speech_labels(table, style))
    ax.set_xlabel("主题词典中的主题（F = 自由主题）")
    _share_colorbar(fig, image, ax, style)
    axes_title(ax, "各篇讲话中主题词典各主题的比重（种子词引导的 LDA）", style)
    if len(table) < len(by_speech):
        add_note(fig, f"只显示词数最多的 {len(table)} 篇讲话（共 {len(by_speech)} 篇）")
    return fig


__all__ = [
    "plot_theme_topic_prevalence",
    "plot_topic_coherence",
    "plot_topic_prevalence",
    "plot_topic_section_heatmap",
    "plot_topic_stability",
    "plot_topic_words",
]
