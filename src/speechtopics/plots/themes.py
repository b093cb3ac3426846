"""Figures of the themes stage: theme rates, where themes fall in a speech, formulations.

Every function takes the tables of :mod:`speechtopics.themes` and returns a
matplotlib Figure drawn in greys (readable when printed without colour).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..text.segment import OPENING_SECTION
from . import setup_cjk_font, short_label

RATE_LABEL = "每千词命中数"
KIND_LABELS = {"numbered": "数字提法", "slogan": "口号与成语式提法", "metaphor": "角色比喻"}


def theme_order_by_rate(rates: pd.DataFrame) -> list[str]:
    """Themes from the highest pooled rate to the lowest (ties in table order)."""
    pooled = rates.groupby("theme", sort=False)[["hits", "tokens"]].sum()
    rate = pooled["hits"] / pooled["tokens"].replace(0, np.nan)
    order = list(dict.fromkeys(rates["theme"]))
    return sorted(
        order,
        key=lambda theme: (
            -(rate.get(theme, 0.0) if pd.notna(rate.get(theme)) else 0.0),
            order.index(theme),
        ),
    )


def _annotated_heatmap(
    ax,
    matrix: np.ndarray,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    vmax: float,
    fontsize: float = 8.0,
):
    """Grey heatmap with each cell's value written in it; returns the image."""
    image = ax.imshow(matrix, cmap="Greys", vmin=0, vmax=vmax if vmax > 0 else 1, aspect="auto")
    for (i, j), value in np.ndenumerate(matrix):
        if np.isnan(value):
            text, colour = "–", "0.5"
        else:
            text = f"{value:.1f}"
            colour = "white" if value > 0.55 * vmax else "black"
        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=colour)
    ax.set_xticks(range(len(col_labels)))
    ax.set_xticklabels(col_labels, rotation=40, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(row_labels)))
    ax.set_yticklabels(row_labels)
    ax.set_xticks(np.arange(-0.5, len(col_labels)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(row_labels)), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.0)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return image


def plot_theme_heatmap(
    speech_rates: pd.DataFrame, titles: Mapping[str, str] | None = None
) -> Figure:
    """Speech × theme heatmap of rates per 1,000 tokens, each cell annotated.

    Parameters
    ----------
    speech_rates : DataFrame
        ``theme_rates_by_speech``: ``doc_id``, ``theme``, ``hits``,
        ``tokens``, ``rate_per_1k``.
    titles : mapping, optional
        ``doc_id -> title`` for the row labels.

    Notes
    -----
    Rows are speeches in id order; columns themes from the highest pooled
    rate to the lowest.
    """
    setup_cjk_font()
    titles = titles or {}
    themes = theme_order_by_rate(speech_rates)
    doc_ids = sorted(set(speech_rates["doc_id"]))
    matrix = (
        speech_rates.pivot_table(
            index="doc_id", columns="theme", values="rate_per_1k", aggfunc="first"
        )
        .reindex(index=doc_ids, columns=themes)
        .to_numpy(dtype=float)
    )
    tokens = speech_rates.drop_duplicates("doc_id").set_index("doc_id")["tokens"]
    labels = [f"{short_label(d, titles.get(d, ''))}（{int(tokens.get(d, 0))}词）" for d in doc_ids]
    fig, ax = plt.subplots(figsize=(1.0 + 0.78 * len(themes) + 2.6, 1.6 + 0.5 * len(doc_ids)))
    vmax = float(np.nanmax(matrix)) if np.isfinite(matrix).any() else 1.0
    image = _annotated_heatmap(ax, matrix, labels, themes, vmax)
    bar = fig.colorbar(image, ax=ax, fraction=0.035, pad=0.02)
    bar.set_label(RATE_LABEL)
    ax.set_title("各篇讲话的主题频率（每千词命中主题词数）")
    ax.set_xlabel("主题（按全语料频率从高到低）")
    ax.set_ylabel("讲话")
    fig.tight_layout()
    return fig


def plot_theme_section_heatmap(section_rates: pd.DataFrame, heading_width: int = 12) -> Figure:
    """Section × theme heatmap of rates per 1,000 tokens (top-level sections in reading order).

    Parameters
    ----------
    section_rates : DataFrame
        ``theme_rates_by_section``: ``doc_id``, ``section_path``,
        ``section_heading``, ``section_order``, ``theme``, ``tokens``,
        ``rate_per_1k``.
    heading_width : int
        Characters of the heading kept in a row label.
    """
    setup_cjk_font()
    themes = theme_order_by_rate(section_rates)
    sections = (
        section_rates.drop_duplicates(["doc_id", "section_path"])
        .sort_values(["doc_id", "section_order"], kind="mergesort")
        .reset_index(drop=True)
    )
    keys = list(zip(sections["doc_id"], sections["section_path"], strict=True))
    pivot = section_rates.pivot_table(
        index=["doc_id", "section_path"], columns="theme", values="rate_per_1k", aggfunc="first"
    )
    matrix = pivot.reindex(index=pd.MultiIndex.from_tuples(keys), columns=themes).to_numpy(
        dtype=float
    )
    labels = []
    for record in sections.to_dict("records"):
        heading = record["section_heading"] or ""
        if len(heading) > heading_width:
            heading = heading[: heading_width - 1] + "…"
        label = record["section_path"] or OPENING_SECTION
        heading_part = "" if heading == label else f" {heading}"
        labels.append(f"{record['doc_id']} · {label}{heading_part}（{int(record['tokens'])}词）")
    fig, ax = plt.subplots(figsize=(1.0 + 0.78 * len(themes) + 3.4, 1.6 + 0.34 * len(keys)))
    vmax = float(np.nanmax(matrix)) if np.isfinite(matrix).any() else 1.0
    image = _annotated_heatmap(ax, matrix, labels, themes, vmax, fontsize=6.5)
    doc_ids = sections["doc_id"].tolist()
    for i in range(1, len(doc_ids)):
        if doc_ids[i] != doc_ids[i - 1]:
            ax.axhline(i - 0.5, color="black", linewidth=1.2)
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    bar.set_label(RATE_LABEL)
    ax.set_title("各讲话一级小节的主题频率（每千词）")
    ax.set_xlabel("主题（按全语料频率从高到低）")
    ax.set_ylabel("讲话 · 一级小节（按讲话内顺序）")
    fig.tight_layout()
    return fig


def plot_theme_by_group(group_rates: pd.DataFrame, note: str = "") -> Figure:
    """Theme rates per metadata group: one annotated heatmap panel per grouping (level, year …).

    Parameters
    ----------
    group_rates : DataFrame
        ``theme_rates_by_group``: ``group_by``, ``group``, ``theme``,
        ``n_speeches``, ``hits``, ``tokens``, ``rate_per_1k`` (pooled).
        Groups keep the table's order.
    note : str
        A line written under the figure (which groups were left out).
    """
    setup_cjk_font()
    names = {"level": "行政层级", "year": "年份", "region": "地区"}
    groupings = list(dict.fromkeys(group_rates["group_by"]))
    themes = theme_order_by_rate(group_rates[group_rates["group_by"] == groupings[0]])
    sizes = [group_rates.loc[group_rates["group_by"] == g, "group"].nunique() for g in groupings]
    vmax = (
        float(np.nanmax(group_rates["rate_per_1k"].to_numpy(dtype=float)))
        if len(group_rates)
        else 1.0
    )
    fig, axes = plt.subplots(
        len(groupings),
        1,
        figsize=(1.0 + 0.78 * len(themes) + 2.4, 1.9 + 0.5 * sum(sizes) + 0.5 * len(groupings)),
        gridspec_kw={"height_ratios": sizes},
        squeeze=False,
    )
    image = None
    for ax, grouping in zip(axes[:, 0], groupings, strict=True):
        part = group_rates[group_rates["group_by"] == grouping]
        groups = list(dict.fromkeys(part["group"]))
        matrix = (
            part.pivot_table(index="group", columns="theme", values="rate_per_1k", aggfunc="first")
            .reindex(index=groups, columns=themes)
            .to_numpy(dtype=float)
        )
        info = part.drop_duplicates("group").set_index("group")
        labels = [
            f"{g}（{int(info.loc[g, 'n_speeches'])}篇，{int(info.loc[g, 'tokens'])}词）"
            for g in groups
        ]
        image = _annotated_heatmap(ax, matrix, labels, themes, vmax)
        ax.set_ylabel(names.get(grouping, grouping))
        ax.set_title(f"按{names.get(grouping, grouping)}", fontsize=10, loc="left")
        if ax is not axes[-1, 0]:
            ax.set_xticklabels([])
    axes[-1, 0].set_xlabel("主题（按全语料频率从高到低）")
    if image is not None:
        bar = fig.colorbar(image, ax=list(axes[:, 0]), fraction=0.03, pad=0.02)
        bar.set_label(RATE_LABEL + "（组内合并）")
    fig.suptitle("不同层级与年份讲话的主题频率")
    if note:
        fig.text(0.5, 0.0, note, ha="center", va="top", fontsize=7, color="0.3")
    return fig


def plot_theme_dispersion(
    positions: pd.DataFrame,
    starts: pd.DataFrame,
    titles: Mapping[str, str] | None = None,
    themes: Sequence[str] | None = None,
    columns: int = 3,
) -> Figure:
    """Dispersion (x-ray) plot: where in each speech each theme's terms occur.

    One small panel per theme; in each, one row per speech and a vertical
    tick per hit at its relative position (0 = first token, 1 = last).
    Short grey bars mark where top-level sections start.

    Parameters
    ----------
    positions : DataFrame
        ``theme_positions``: ``doc_id``, ``theme``, ``relative_position``.
    starts : DataFrame
        ``section_starts``: ``doc_id``, ``section_path``, ``relative_position``.
    titles : mapping, optional
        ``doc_id -> title``.
    themes : sequence of str, optional
        Panel order (default: the order in ``positions``).
    columns : int
        Panels per row.
    """
    setup_cjk_font()
    titles = titles or {}
    themes = list(themes) if themes is not None else list(dict.fromkeys(positions["theme"]))
    doc_ids = sorted(set(starts["doc_id"]) | set(positions["doc_id"]))
    rows = max(1, int(np.ceil(len(themes) / columns)))
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(4.0 * columns, 0.3 * len(doc_ids) * rows + 1.0 * rows + 0.8),
        sharex=True,
        squeeze=False,
    )
    spans = _section_spans(starts, doc_ids)
    for index, ax in enumerate(axes.flat):
        if index >= len(themes):
            ax.axis("off")
            continue
        theme = themes[index]
        part = positions[positions["theme"] == theme]
        for row, doc_id in enumerate(doc_ids):
            for number, (left, right) in enumerate(spans[doc_id]):
                if number % 2 == 1:
                    ax.fill_between(
                        [left, right], row - 0.45, row + 0.45, color="0.92", linewidth=0
                    )
            hits = part.loc[part["doc_id"] == doc_id, "relative_position"].to_numpy(dtype=float)
            ax.vlines(hits, row - 0.32, row + 0.32, color="black", linewidth=0.7)
        ax.set_ylim(len(doc_ids) - 0.5, -0.5)
        ax.set_xlim(0, 1)
        ax.set_yticks(range(len(doc_ids)))
        ax.set_yticklabels(doc_ids if index % columns == 0 else [], fontsize=8)
        ax.set_title(f"{theme}（{len(part)}次）", fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    for column in range(columns):
        used = [row for row in range(rows) if row * columns + column < len(themes)]
        if used:
            ax = axes[used[-1], column]
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.set_xlabel("在讲话中的相对位置（0 = 开头，1 = 结尾）", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("讲话", fontsize=8)
    legend = "；".join(short_label(d, titles.get(d, ""), width=12) for d in doc_ids)
    fig.suptitle(
        "主题词在各篇讲话中的分布（竖线 = 一次命中；白灰相间的底色 = 一级小节）", fontsize=11
    )
    fig.text(0.5, 0.005, legend, ha="center", va="bottom", fontsize=7, color="0.3")
    fig.tight_layout(rect=(0, 0.025, 1, 0.97))
    return fig


def _section_spans(
    starts: pd.DataFrame, doc_ids: Sequence[str]
) -> dict[str, list[tuple[float, float]]]:
    """``doc_id -> [(start, end), …]`` of the top-level sections on the 0–1 scale."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for doc_id in doc_ids:
        points = sorted(starts.loc[starts["doc_id"] == doc_id, "relative_position"].astype(float))
        if not points or points[0] > 0:
            points = [0.0, *points]
        spans[doc_id] = list(zip(points, [*points[1:], 1.0], strict=True))
    return spans


def formulation_row_order(matrix: pd.DataFrame, doc_ids: Sequence[str]) -> pd.DataFrame:
    """Rows of ``formulations_by_speech`` in display order.

    By kind (numbered, slogans, metaphors), then shared by more speeches
    first, then by the first speech that uses it, then by total count
    (descending) and the formulation itself.
    """
    kind_rank = {kind: i for i, kind in enumerate(KIND_LABELS)}
    present = matrix[list(doc_ids)].to_numpy() > 0
    first = np.where(present.any(axis=1), present.argmax(axis=1), len(doc_ids))
    ordered = matrix.assign(
        _kind=matrix["kind"].map(kind_rank).fillna(len(kind_rank)),
        _spread=-matrix["n_speeches"].astype(int),
        _first=first,
        _total=-matrix["total"].astype(int),
    )
    ordered = ordered.sort_values(
        ["_kind", "_spread", "_first", "_total", "formulation"], kind="mergesort"
    )
    return ordered.drop(columns=["_kind", "_spread", "_first", "_total"]).reset_index(drop=True)


def plot_formulations(
    matrix: pd.DataFrame, titles: Mapping[str, str] | None = None, max_rows: int = 100
) -> Figure:
    """Dot matrix: which speech uses which formulation, and how often.

    Parameters
    ----------
    matrix : DataFrame
        ``formulations_by_speech``: ``formulation``, ``kind``,
        ``n_speeches``, ``total`` and one count column per speech.
    titles : mapping, optional
        ``doc_id -> title`` for the column labels.
    max_rows : int
        At most this many formulations (those used by most speeches and
        most often are kept).

    Notes
    -----
    Dot area grows with the count, written next to the dot when above 1.
    Rows are grouped by kind; within a kind, formulations shared by more
    speeches come first, then by the first speech that uses them.
    """
    setup_cjk_font()
    titles = titles or {}
    doc_ids = [c for c in matrix.columns if c not in ("formulation", "kind", "n_speeches", "total")]
    shown = matrix
    if len(matrix) > max_rows:
        shown = matrix.sort_values(["n_speeches", "total"], ascending=False, kind="mergesort").head(
            max_rows
        )
    shown = formulation_row_order(shown, doc_ids)
    counts = shown[doc_ids].to_numpy(dtype=float)
    height = 1.8 + 0.2 * len(shown)
    fig, ax = plt.subplots(figsize=(3.2 + 1.05 * len(doc_ids), height))
    ys, xs = np.nonzero(counts)
    values = counts[ys, xs]
    ax.scatter(xs, ys, s=22 * np.sqrt(values), color="black", zorder=3)
    for x, y, value in zip(xs, ys, values, strict=True):
        if value > 1:
            ax.text(x + 0.16, y, f"{int(value)}", va="center", ha="left", fontsize=6.5)
    kinds = shown["kind"].tolist()
    for i in range(1, len(kinds)):
        if kinds[i] != kinds[i - 1]:
            ax.axhline(i - 0.5, color="0.4", linewidth=0.8)
    for kind in dict.fromkeys(kinds):
        rows = [i for i, k in enumerate(kinds) if k == kind]
        ax.text(
            len(doc_ids) - 0.45,
            (rows[0] + rows[-1]) / 2,
            KIND_LABELS.get(kind, kind),
            rotation=270,
            va="center",
            ha="left",
            fontsize=8,
            color="0.3",
        )
    ax.set_yticks(range(len(shown)))
    ax.set_yticklabels(shown["formulation"].tolist(), fontsize=7)
    ax.set_xticks(range(len(doc_ids)))
    ax.set_xticklabels(
        [short_label(d, titles.get(d, ""), width=8) for d in doc_ids],
        rotation=35,
        ha="right",
        rotation_mode="anchor",
        fontsize=8,
    )
    ax.set_xlim(-0.6, len(doc_ids) - 0.5)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.grid(color="0.88", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    suffix = (
        f"（{len(matrix)} 个中的前 {len(shown)} 个）"
        if len(shown) < len(matrix)
        else f"（共 {len(shown)} 个）"
    )
    ax.set_title(f"各篇讲话使用的提法{suffix}", fontsize=11)
    ax.set_xlabel("讲话（点面积 ∝ 次数，数字为次数 > 1）")
    ax.set_ylabel("提法（按类别、共用讲话数、首次出现的讲话排序）")
    fig.tight_layout()
    return fig
