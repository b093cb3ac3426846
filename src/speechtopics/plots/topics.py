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

from . import setup_cjk_font, short_label

#: Hatch patterns cycled over topics, so stacked bars stay apart in grey print.
HATCHES = ("", "///", "...", "xxx", "\\\\\\", "+++", "ooo", "---", "|||", "**")

MEASURE_TITLES = {
    "c_npmi": "c_npmi（越高越好）",
    "c_v": "c_v（越高越好）",
    "u_mass": "u_mass（越高越好）",
    "perplexity": "留出困惑度（越低越好）",
    "stability": "种子间前 20 词 Jaccard（越高越好）",
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


def plot_topic_coherence(
    sweep: pd.DataFrame, choice: pd.DataFrame | None = None, summary: pd.DataFrame | None = None
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
        ``topic_k_summary``; its ``votes`` per K fill the last panel.

    Notes
    -----
    Points are the single fits (one per seed), the line joins the medians.
    """
    setup_cjk_font()
    measures = [m for m in MEASURE_TITLES if m in sweep.columns and sweep[m].notna().any()]
    columns = 3
    rows = math.ceil(len(measures) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(12, 3.3 * rows + 0.8), squeeze=False)
    chosen = int(choice["k"].iloc[0]) if choice is not None and len(choice) else None
    k_values = sorted(sweep["k"].unique())
    for ax, measure in zip(axes.flat, measures, strict=False):
        ax.scatter(
            sweep["k"], sweep[measure], s=14, color="0.6", edgecolor="0.3", linewidth=0.4, zorder=2
        )
        median = sweep.groupby("k", sort=True)[measure].median()
        ax.plot(
            median.index,
            median.to_numpy(),
            color="0.1",
            linewidth=1.4,
            marker="o",
            markersize=3,
            zorder=3,
        )
        if chosen is not None:
            ax.axvline(chosen, color="0.2", linestyle="--", linewidth=0.9, zorder=1)
        ax.set_title(MEASURE_TITLES[measure], fontsize=10)
        ax.set_xticks(k_values)
        ax.tick_params(labelsize=8)
        ax.set_xlabel("主题数 K", fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
    spare = list(axes.flat[len(measures) :])
    if spare and summary is not None and "votes" in summary:
        ax = spare.pop(0)
        colours = [
            "0.25" if chosen is not None and int(k) == chosen else "0.7" for k in summary["k"]
        ]
        ax.bar(summary["k"], summary["votes"], color=colours, edgecolor="0.2", linewidth=0.5)
        ax.set_xticks(k_values)
        ax.set_yticks(range(0, int(summary["votes"].max()) + 2))
        ax.tick_params(labelsize=8)
        ax.set_xlabel("主题数 K", fontsize=9)
        ax.set_title("得票数（与最好相差不到一个标准误的指标数）", fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in spare:
        ax.set_visible(False)
    handles = [
        Line2D(
            [],
            [],
            color="0.6",
            marker="o",
            linestyle="",
            markeredgecolor="0.3",
            label="单次拟合（每个种子）",
        ),
        Line2D([], [], color="0.1", marker="o", markersize=3, label="中位数"),
    ]
    if chosen is not None:
        handles.append(Line2D([], [], color="0.2", linestyle="--", label=f"所选 K = {chosen}"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=9, frameon=False)
    fig.suptitle("选择主题数 K：一致性、困惑度与种子间一致性", fontsize=12)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def _stability_panel(ax, table: pd.DataFrame, threshold: float, title: str) -> None:
    y = np.arange(len(table))
    stable = table["stable"].astype(bool).to_numpy()
    bars = ax.barh(
        y,
        table["mean_jaccard"],
        color=np.where(stable, "0.4", "0.85").tolist(),
        edgecolor="0.2",
        linewidth=0.5,
    )
    for bar, ok in zip(bars, stable, strict=True):
        if not ok:
            bar.set_hatch("///")
    ax.scatter(table["min_jaccard"], y, marker="|", s=80, color="0.1", zorder=3)
    ax.scatter(
        table["single_fit_jaccard"],
        y,
        marker="D",
        s=18,
        facecolor="white",
        edgecolor="0.1",
        zorder=4,
    )
    ax.axvline(threshold, color="0.1", linestyle="--", linewidth=0.9)
    ax.set_yticks(y)
    ax.set_yticklabels(
        [_topic_title(t, lab) for t, lab in zip(table["topic"], table["label"], strict=True)],
        fontsize=8,
    )
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xlabel("前 20 词的 Jaccard 相似度", fontsize=9)
    ax.set_title(title, fontsize=10)
    ax.tick_params(axis="x", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)


def plot_topic_stability(
    stability: pd.DataFrame, theme_stability: pd.DataFrame | None = None, threshold: float = 0.6
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

    Notes
    -----
    Bars: mean Jaccard between the ensembles of every pair of seeds (hatched
    and light = below the threshold); ``|``: the worst pair; ◇: what single
    fits reproduce.
    """
    setup_cjk_font()
    panels = [(stability, "LDA 主题（所选 K，集成模型）")]
    if theme_stability is not None and len(theme_stability):
        panels.append((theme_stability, "种子词引导的主题"))
    sizes = [max(len(table), 1) for table, _ in panels]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(9, 0.32 * sum(sizes) + 1.6 * len(panels) + 0.8),
        squeeze=False,
        gridspec_kw={"height_ratios": [size + 2 for size in sizes]},
    )
    for ax, (table, title) in zip(axes.flat, panels, strict=True):
        _stability_panel(ax, table, threshold, title)
    handles = [
        Patch(facecolor="0.4", edgecolor="0.2", label=f"稳定（≥ {threshold:g}）"),
        Patch(facecolor="0.85", edgecolor="0.2", hatch="///", label="不稳定"),
        Line2D([], [], color="0.1", marker="|", linestyle="", markersize=9, label="最差的一对种子"),
        Line2D(
            [],
            [],
            color="0.1",
            marker="D",
            markerfacecolor="white",
            linestyle="",
            markersize=5,
            label="单次拟合之间",
        ),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.suptitle("主题稳定性：不同随机种子得到的主题前 20 词有多一致", fontsize=12)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def plot_topic_prevalence(
    speech_topic: pd.DataFrame, stability: pd.DataFrame | None = None
) -> Figure:
    """Stacked bars: the topic make-up of each speech.

    Parameters
    ----------
    speech_topic : DataFrame
        ``speech_topic``: ``doc_id``, ``title``, ``n_units``, ``n_tokens`` and one
        column per topic (rows sum to 1).
    stability : DataFrame, optional
        ``topic_stability``, for the legend labels (unstable topics marked).
    """
    setup_cjk_font()
    table = speech_topic.sort_values("doc_id", kind="stable").reset_index(drop=True)
    names = _topic_names(table, ("doc_id", "title", "n_units", "n_tokens"))
    labels = _labels(stability)
    unstable = _unstable(stability)
    colours = _topic_colours(len(names))
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(table) + 2.6))
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
            linewidth=0.5,
            label=legend,
        )
        for row, (start, value) in enumerate(zip(left, values, strict=True)):
            if value >= 0.08:
                brightness = sum(colours[index][:3]) / 3
                ax.text(
                    start + value / 2,
                    row,
                    f"{value:.0%}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if brightness < 0.45 else "black",
                    bbox={
                        "boxstyle": "round,pad=0.1",
                        "facecolor": colours[index],
                        "edgecolor": "none",
                    },
                )
        left += values
    ax.set_yticks(y)
    ax.set_yticklabels(
        [
            short_label(d, t)
            for d, t in zip(
                table["doc_id"], table.get("title", [""] * len(table)).fillna(""), strict=True
            )
        ],
        fontsize=9,
    )
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda value, _: f"{value:.0%}"))
    ax.set_xlabel("主题比重（按词数加权）", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        frameon=False,
        title="主题",
        title_fontsize=9,
    )
    ax.set_title("每篇讲话的主题构成", fontsize=12)
    fig.tight_layout()
    return fig


def _heatmap(
    ax,
    values: np.ndarray,
    cmap: str = "Greys",
    vmax: float | None = None,
    annotate_min: float = 0.15,
):
    vmax = float(np.nanmax(values)) if vmax is None and values.size else (vmax or 1.0)
    image = ax.imshow(
        values, aspect="auto", cmap=cmap, vmin=0, vmax=vmax or 1.0, interpolation="nearest"
    )
    for (row, column), value in np.ndenumerate(values):
        if value >= annotate_min:
            ax.text(
                column,
                row,
                f"{value:.0%}",
                ha="center",
                va="center",
                fontsize=6.5,
                color="white" if value > 0.55 * (vmax or 1.0) else "black",
            )
    return image


def plot_topic_section_heatmap(
    section_topic: pd.DataFrame, stability: pd.DataFrame | None = None
) -> Figure:
    """Heatmap of topic proportions per top-level section of each speech.

    Parameters
    ----------
    section_topic : DataFrame
        ``section_topic``: ``doc_id``, ``section``, ``heading``, ``n_units``,
        ``n_tokens`` and one column per topic, in reading order.
    stability : DataFrame, optional
        ``topic_stability``, for column labels (unstable topics marked ``*``).
    """
    setup_cjk_font()
    names = _topic_names(section_topic, ("doc_id", "section", "heading", "n_units", "n_tokens"))
    labels = _labels(stability)
    unstable = _unstable(stability)
    values = section_topic[names].to_numpy(dtype=float)
    row_labels = []
    for doc_id, section, heading in zip(
        section_topic["doc_id"],
        section_topic["section"],
        section_topic.get("heading", pd.Series([""] * len(section_topic))).fillna(""),
        strict=True,
    ):
        text = str(heading).split("、", 1)[-1] if heading else ""
        text = text if len(text) <= 16 else text[:15] + "…"
        row_labels.append(f"{doc_id} {section} {text}".rstrip())
    fig, ax = plt.subplots(
        figsize=(max(7.0, 0.75 * len(names) + 5.0), 0.3 * len(section_topic) + 2.8)
    )
    image = _heatmap(ax, values, vmax=1.0)
    ax.set_yticks(np.arange(len(row_labels)))
    ax.set_yticklabels(row_labels, fontsize=8)
    ax.set_xticks(np.arange(len(names)))
    ax.set_xticklabels(
        [_topic_title(n, labels.get(n, "")) + ("*" if n in unstable else "") for n in names],
        rotation=55,
        ha="right",
        fontsize=8,
    )
    ax.set_xlabel("主题（* = 不稳定）" if unstable else "主题", fontsize=9)
    ax.set_ylabel("讲话与一级小节（按讲话顺序）", fontsize=9)
    colorbar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    colorbar.ax.tick_params(labelsize=7)
    colorbar.set_label("主题比重", fontsize=8)
    ax.set_title("各小节的主题比重", fontsize=12)
    fig.tight_layout()
    return fig


def plot_topic_words(
    topic_words: pd.DataFrame, stability: pd.DataFrame | None = None, n_words: int = 10
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
    """
    setup_cjk_font()
    topics = list(dict.fromkeys(topic_words["topic"]))
    unstable = _unstable(stability)
    columns = min(4 if len(topics) > 9 else 3, max(1, len(topics)))
    rows = max(1, math.ceil(len(topics) / columns))
    fig, axes = plt.subplots(
        rows, columns, figsize=(3.6 * columns, (0.24 * n_words + 0.9) * rows + 0.6), squeeze=False
    )
    x_max = float(topic_words["prob"].max()) if len(topic_words) else 1.0
    for ax, topic in zip(axes.flat, topics, strict=False):
        words = topic_words[topic_words["topic"] == topic].sort_values("rank").head(n_words)
        y = np.arange(len(words))
        is_unstable = topic in unstable
        ax.barh(
            y,
            words["prob"],
            color="0.85" if is_unstable else "0.45",
            edgecolor="0.25",
            linewidth=0.4,
            hatch="///" if is_unstable else "",
        )
        ax.set_yticks(y)
        ax.set_yticklabels(words["word"], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, x_max * 1.05)
        ax.tick_params(axis="x", labelsize=6.5)
        label = str(words["label"].iloc[0]) if len(words) else ""
        title = _topic_title(topic, label) + ("（不稳定）" if is_unstable else "")
        ax.set_title(title, fontsize=8.5)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes.flat[len(topics) :]:
        ax.set_visible(False)
    fig.supxlabel("词在主题中的概率", fontsize=9)
    fig.suptitle("每个主题概率最高的词", fontsize=12)
    fig.tight_layout()
    return fig


def plot_theme_topic_prevalence(by_speech: pd.DataFrame) -> Figure:
    """Heatmap: the share of each seeded theme topic in each speech.

    Parameters
    ----------
    by_speech : DataFrame
        ``theme_topic_by_speech``: ``doc_id``, ``title``, ``n_units``,
        ``n_tokens`` and one column per seeded topic (themes, then free topics ``F1``…).
    """
    setup_cjk_font()
    table = by_speech.sort_values("doc_id", kind="stable").reset_index(drop=True)
    names = _topic_names(table, ("doc_id", "title", "n_units", "n_tokens"))
    values = table[names].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(max(8.0, 0.62 * len(names) + 4.5), 0.5 * len(table) + 2.6))
    image = _heatmap(ax, values, annotate_min=0.01)
    ax.set_xticks(np.arange(len(names)))
    ax.set_xticklabels(
        [
            name if not name.startswith("F") or len(name) > 3 else f"{name}（自由主题）"
            for name in names
        ],
        rotation=45,
        ha="right",
        fontsize=9,
    )
    ax.set_yticks(np.arange(len(table)))
    ax.set_yticklabels(
        [
            short_label(d, t)
            for d, t in zip(
                table["doc_id"], table.get("title", [""] * len(table)).fillna(""), strict=True
            )
        ],
        fontsize=9,
    )
    ax.set_xlabel("种子词引导的主题（主题词典中的主题，其后为自由主题）", fontsize=9)
    colorbar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    colorbar.ax.tick_params(labelsize=7)
    colorbar.set_label("主题比重", fontsize=8)
    ax.set_title("各篇讲话中主题词典各主题的比重（种子词引导的 LDA）", fontsize=12)
    fig.tight_layout()
    return fig


__all__ = [
    "plot_theme_topic_prevalence",
    "plot_topic_coherence",
    "plot_topic_prevalence",
    "plot_topic_section_heatmap",
    "plot_topic_stability",
    "plot_topic_words",
]
