"""Figures of the themes stage: theme rates, where themes fall in a speech, formulations.

Every function takes the tables of :mod:`speechtopics.analysis.themes` and
returns a matplotlib Figure drawn in greys (readable when printed without
colour), laid out for ``style.width``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..text.segment import OPENING_SECTION
from . import (
    GROUPING_NAMES,
    FigureStyle,
    add_note,
    axes_title,
    fit_text,
    new_figure,
    short_label,
    styled,
    suptitle,
)

RATE_LABEL = "每千词命中数"
KIND_LABELS = {"numbered": "数字提法", "slogan": "口号与成语式提法", "metaphor": "角色比喻"}
THEME_AXIS = "主题（按全语料频率从高到低）"


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
    style: FigureStyle,
    annotate: bool = True,
):
    """Grey heatmap with each cell's value written in it (when ``annotate``); returns the image."""
    image = ax.imshow(matrix, cmap="Greys", vmin=0, vmax=vmax if vmax > 0 else 1, aspect="auto")
    if annotate:
        for (i, j), value in np.ndenumerate(matrix):
            if np.isnan(value):
                text, colour = "–", "0.5"
            else:
                text = f"{value:.0f}" if value >= 10 else f"{value:.1f}"
                colour = "white" if value > 0.55 * vmax else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=style.small, color=colour)
    rotation = 90 if style.narrow or len(col_labels) > 12 else 40
    ax.set_xticks(
        range(len(col_labels)),
        col_labels,
        rotation=rotation,
        ha="right" if rotation != 90 else "center",
        rotation_mode="anchor" if rotation != 90 else "default",
    )
    ax.set_yticks(range(len(row_labels)), row_labels)
    ax.set_xticks(np.arange(-0.5, len(col_labels)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(row_labels)), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return image


def _colorbar(fig: Figure, image, axes, label: str, style: FigureStyle) -> None:
    bar = fig.colorbar(image, ax=axes, fraction=0.04, pad=0.02, aspect=30)
    bar.set_label(label, fontsize=style.font)
    bar.ax.tick_params(labelsize=style.small)


def _cells_fit(style: FigureStyle, n_columns: int, label_width: float) -> bool:
    """Whether a value (``31.6``) fits in a cell of a heatmap with ``n_columns`` columns."""
    return (style.width - label_width - 0.7) / max(n_columns, 1) >= 0.17


def _row_cap(style: FigureStyle, n_rows: int, extra: float) -> int:
    return min(n_rows, style.max_rows, style.rows_that_fit(extra=extra))


@styled
def plot_theme_heatmap(
    speech_rates: pd.DataFrame, titles: Mapping[str, str] | None = None, *, style: FigureStyle
) -> Figure:
    """Speech × theme heatmap of rates per 1,000 tokens, each cell annotated.

    Parameters
    ----------
    speech_rates : DataFrame
        ``theme_rates_by_speech``: ``doc_id``, ``theme``, ``hits``,
        ``tokens``, ``rate_per_1k``.
    titles : mapping, optional
        ``doc_id -> title`` for the row labels.
    style : FigureStyle

    Notes
    -----
    Rows are speeches in id order (at most ``style.max_rows``: the longest
    speeches are kept when there are more); columns themes from the highest
    pooled rate to the lowest.
    """
    titles = titles or {}
    themes = theme_order_by_rate(speech_rates)
    tokens = speech_rates.drop_duplicates("doc_id").set_index("doc_id")["tokens"]
    all_ids = sorted(set(speech_rates["doc_id"]))
    extra = 1.6 if style.narrow else 1.4
    doc_ids = all_ids
    if len(all_ids) > _row_cap(style, len(all_ids), extra):
        keep = _row_cap(style, len(all_ids), extra)
        doc_ids = sorted(tokens.sort_values(ascending=False, kind="stable").index[:keep])
    matrix = (
        speech_rates.pivot_table(
            index="doc_id", columns="theme", values="rate_per_1k", aggfunc="first"
        )
        .reindex(index=doc_ids, columns=themes)
        .to_numpy(dtype=float)
    )
    chars = 0 if style.narrow else style.label_chars
    labels = [
        f"{short_label(d, titles.get(d, ''), chars)}（{int(tokens.get(d, 0))}词）" for d in doc_ids
    ]
    fig, ax = new_figure(style, style.height(len(doc_ids), style.line_height() * 1.25, extra))
    vmax = float(np.nanmax(matrix)) if np.isfinite(matrix).any() else 1.0
    label_width = 0.8 if style.narrow else 2.0
    image = _annotated_heatmap(
        ax, matrix, labels, themes, vmax, style, _cells_fit(style, len(themes), label_width)
    )
    _colorbar(fig, image, ax, RATE_LABEL, style)
    axes_title(ax, "各篇讲话的主题频率（每千词命中主题词数）", style)
    ax.set_xlabel(THEME_AXIS)
    if len(doc_ids) < len(all_ids):
        add_note(fig, f"只显示词数最多的 {len(doc_ids)} 篇讲话（共 {len(all_ids)} 篇）")
    return fig


def _section_labels(sections: pd.DataFrame, heading_width: int, style: FigureStyle) -> list[str]:
    labels = []
    for record in sections.to_dict("records"):
        label = record["section_path"] or OPENING_SECTION
        heading = record["section_heading"] or ""
        if style.narrow:
            heading = ""
        elif len(heading) > heading_width:
            heading = heading[: heading_width - 1] + "…"
        heading_part = "" if heading in ("", label) else f" {heading}"
        labels.append(f"{record['doc_id']}·{label}{heading_part}（{int(record['tokens'])}词）")
    return labels


@styled
def plot_theme_section_heatmap(
    section_rates: pd.DataFrame, heading_width: int = 12, *, style: FigureStyle
) -> Figure:
    """Section × theme heatmap of rates per 1,000 tokens (top-level sections in reading order).

    Parameters
    ----------
    section_rates : DataFrame
        ``theme_rates_by_section``: ``doc_id``, ``section_path``,
        ``section_heading``, ``section_order``, ``theme``, ``tokens``,
        ``rate_per_1k``.
    heading_width : int
        Characters of the heading kept in a row label (none at single-column width).
    style : FigureStyle

    Notes
    -----
    At most ``style.max_rows`` sections (those of the first speeches by id);
    the figure says how many were left out.
    """
    themes = theme_order_by_rate(section_rates)
    sections = (
        section_rates.drop_duplicates(["doc_id", "section_path"])
        .sort_values(["doc_id", "section_order"], kind="mergesort")
        .reset_index(drop=True)
    )
    total = len(sections)
    extra = 1.6 if style.narrow else 1.4
    sections = sections.head(_row_cap(style, total, extra))
    keys = list(zip(sections["doc_id"], sections["section_path"], strict=True))
    pivot = section_rates.pivot_table(
        index=["doc_id", "section_path"], columns="theme", values="rate_per_1k", aggfunc="first"
    )
    matrix = pivot.reindex(index=pd.MultiIndex.from_tuples(keys), columns=themes).to_numpy(
        dtype=float
    )
    labels = _section_labels(sections, heading_width, style)
    fig, ax = new_figure(style, style.height(len(keys), style.line_height() * 1.15, extra))
    vmax = float(np.nanmax(matrix)) if np.isfinite(matrix).any() else 1.0
    label_width = 1.2 if style.narrow else 2.4
    image = _annotated_heatmap(
        ax, matrix, labels, themes, vmax, style, _cells_fit(style, len(themes), label_width)
    )
    doc_ids = sections["doc_id"].tolist()
    for i in range(1, len(doc_ids)):
        if doc_ids[i] != doc_ids[i - 1]:
            ax.axhline(i - 0.5, color="black", linewidth=1.0)
    _colorbar(fig, image, ax, RATE_LABEL, style)
    axes_title(ax, "各讲话一级小节的主题频率（每千词）", style)
    ax.set_xlabel(THEME_AXIS)
    if len(sections) < total:
        add_note(fig, f"只显示前 {len(sections)} 个小节（共 {total} 个，按讲话编号）")
    return fig


def _group_panel(ax, part: pd.DataFrame, themes, vmax, style: FigureStyle, annotate: bool):
    groups = list(dict.fromkeys(part["group"]))
    matrix = (
        part.pivot_table(index="group", columns="theme", values="rate_per_1k", aggfunc="first")
        .reindex(index=groups, columns=themes)
        .to_numpy(dtype=float)
    )
    info = part.drop_duplicates("group").set_index("group")
    labels = [f"{g}（{int(info.loc[g, 'n_speeches'])}篇）" for g in groups]
    return _annotated_heatmap(ax, matrix, labels, themes, vmax, style, annotate)


@styled
def plot_theme_by_group(group_rates: pd.DataFrame, note: str = "", *, style: FigureStyle) -> Figure:
    """Theme rates per metadata group: one annotated heatmap panel per grouping (level, year …).

    Parameters
    ----------
    group_rates : DataFrame
        ``theme_rates_by_group``: ``group_by``, ``group``, ``theme``,
        ``n_speeches``, ``hits``, ``tokens``, ``rate_per_1k`` (pooled).
        Groups keep the table's order; at most ``style.max_rows`` per grouping.
    note : str
        A line written under the figure (which groups were left out).
    style : FigureStyle
    """
    groupings = list(dict.fromkeys(group_rates["group_by"]))
    themes = theme_order_by_rate(group_rates[group_rates["group_by"] == groupings[0]])
    parts, cut = [], []
    for grouping in groupings:
        part = group_rates[group_rates["group_by"] == grouping]
        groups = list(dict.fromkeys(part["group"]))
        if len(groups) > style.max_rows:
            cut.append(
                f"{GROUPING_NAMES.get(grouping, grouping)}只显示前 {style.max_rows} 组（共 {len(groups)} 组）"
            )
            part = part[part["group"].isin(groups[: style.max_rows])]
        parts.append((grouping, part))
    sizes = [part["group"].nunique() for _, part in parts]
    vmax = (
        float(np.nanmax(group_rates["rate_per_1k"].to_numpy(dtype=float)))
        if len(group_rates)
        else 1.0
    )
    height = style.height(sum(sizes) + 1.6 * len(parts), style.line_height() * 1.25, 1.4)
    fig, axes = new_figure(
        style, height, len(parts), 1, squeeze=False, gridspec_kw={"height_ratios": sizes}
    )
    annotate = _cells_fit(style, len(themes), 1.0 if style.narrow else 1.6)
    image = None
    for ax, (grouping, part) in zip(axes[:, 0], parts, strict=True):
        image = _group_panel(ax, part, themes, vmax, style, annotate)
        ax.set_ylabel(GROUPING_NAMES.get(grouping, grouping))
        if ax is not axes[-1, 0]:
            ax.set_xticklabels([])
    axes[-1, 0].set_xlabel(THEME_AXIS)
    if image is not None:
        _colorbar(fig, image, list(axes[:, 0]), RATE_LABEL + "（组内合并）", style)
    names = "与".join(GROUPING_NAMES.get(g, g) for g in groupings)
    suptitle(fig, style, f"按{names}分组的主题频率")
    for line in [*cut, *([note] if note else [])]:
        add_note(fig, line)
    return fig


def _dispersion_rows(style: FigureStyle, n_docs: int, panel_rows: int) -> tuple[int, float, bool]:
    """Speeches shown per panel, the height of one speech row, and whether rows are labelled."""
    available = (9.0 - 1.2) / panel_rows - 0.45
    labelled = style.line_height(style.small)
    row = min(labelled, available / max(n_docs, 1))
    row = max(row, 0.03)
    shown = min(n_docs, int(available // row))
    return shown, row, row >= labelled * 0.95


def _dispersion_panel(ax, part, doc_ids, spans, index, columns, label_rows: bool, style):
    for row, doc_id in enumerate(doc_ids):
        for number, (left, right) in enumerate(spans[doc_id]):
            if number % 2 == 1:
                ax.fill_between([left, right], row - 0.45, row + 0.45, color="0.9", linewidth=0)
        hits = part.loc[part["doc_id"] == doc_id, "relative_position"].to_numpy(dtype=float)
        ax.vlines(hits, row - 0.32, row + 0.32, color="black", linewidth=0.6)
    ax.set_ylim(len(doc_ids) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
    if label_rows and index % columns == 0:
        ax.set_yticks(range(len(doc_ids)), doc_ids, fontsize=style.small)
    else:
        ax.set_yticks([])
    ax.spines[["top", "right"]].set_visible(False)


@styled
def plot_theme_dispersion(
    positions: pd.DataFrame,
    starts: pd.DataFrame,
    titles: Mapping[str, str] | None = None,
    themes: Sequence[str] | None = None,
    columns: int | None = None,
    *,
    style: FigureStyle,
) -> Figure:
    """Dispersion (x-ray) plot: where in each speech each theme's terms occur.

    One small panel per theme; in each, one row per speech and a vertical
    tick per hit at its relative position (0 = first token, 1 = last).
    Alternating grey bands mark the top-level sections. With many speeches
    the rows get thinner (unlabelled) and at most what fits is drawn.

    Parameters
    ----------
    positions : DataFrame
        ``theme_positions``: ``doc_id``, ``theme``, ``relative_position``.
    starts : DataFrame
        ``section_starts``: ``doc_id``, ``section_path``, ``relative_position``.
    titles : mapping, optional
        ``doc_id -> title`` (unused in the figure; the report lists the titles).
    themes : sequence of str, optional
        Panel order (default: the order in ``positions``).
    columns : int, optional
        Panels per row (default: what the width holds).
    style : FigureStyle
    """
    themes = list(themes) if themes is not None else list(dict.fromkeys(positions["theme"]))
    all_docs = sorted(set(starts["doc_id"]) | set(positions["doc_id"]))
    columns = columns or style.panel_columns(max(len(themes), 1), 1.6 if style.narrow else 1.7)
    panel_rows = max(1, int(np.ceil(len(themes) / columns)))
    shown, row_height, label_rows = _dispersion_rows(style, len(all_docs), panel_rows)
    doc_ids = all_docs[:shown]
    height = style.height(panel_rows, len(doc_ids) * row_height + 0.45, 1.2)
    fig, axes = new_figure(style, height, panel_rows, columns, sharex=True, squeeze=False)
    spans = _section_spans(starts, doc_ids)
    panel_width = style.width / columns - 0.1
    for index, ax in enumerate(axes.flat):
        if index >= len(themes):
            ax.axis("off")
            continue
        part = positions[positions["theme"] == themes[index]]
        _dispersion_panel(ax, part, doc_ids, spans, index, columns, label_rows, style)
        title = fit_text(f"{themes[index]}（{len(part)}次）", panel_width, style.font)
        ax.set_title(title, fontsize=style.font)
    fig.supxlabel("在讲话中的相对位置（0 = 开头，1 = 结尾）", fontsize=style.font)
    suptitle(fig, style, "主题词在各篇讲话中的位置（竖线 = 一次命中；灰白相间 = 一级小节）")
    if not label_rows:
        add_note(fig, "讲话较多，每行一篇、按编号排列，不逐行标注")
    if shown < len(all_docs):
        add_note(fig, f"只显示前 {shown} 篇讲话（共 {len(all_docs)} 篇，按编号）")
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


def _formulation_dots(ax, shown: pd.DataFrame, doc_ids: list[str], style: FigureStyle) -> None:
    counts = shown[doc_ids].to_numpy(dtype=float)
    ys, xs = np.nonzero(counts)
    values = counts[ys, xs]
    ax.scatter(xs, ys, s=10 * np.sqrt(values), color="black", zorder=3, linewidths=0)
    if len(doc_ids) <= 12:
        for x, y, value in zip(xs, ys, values, strict=True):
            if value > 1:
                ax.text(x + 0.18, y, f"{int(value)}", va="center", ha="left", fontsize=style.small)
    kinds = shown["kind"].tolist()
    for i in range(1, len(kinds)):
        if kinds[i] != kinds[i - 1]:
            ax.axhline(i - 0.5, color="0.4", linewidth=0.7)


def _formulation_kind_labels(ax, kinds: list[str], n_columns: int, style: FigureStyle) -> None:
    for kind in dict.fromkeys(kinds):
        rows = [i for i, k in enumerate(kinds) if k == kind]
        ax.text(
            n_columns - 0.45,
            (rows[0] + rows[-1]) / 2,
            fit_text(KIND_LABELS.get(kind, kind), len(rows) * style.line_height(), style.small),
            rotation=270,
            va="center",
            ha="left",
            fontsize=style.small,
            color="0.3",
        )


@styled
def plot_formulations(
    matrix: pd.DataFrame,
    titles: Mapping[str, str] | None = None,
    max_rows: int = 100,
    *,
    style: FigureStyle,
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
        At most this many formulations (and at most ``style.max_rows`` and
        what fits a page); those used by most speeches and most often are kept.
    style : FigureStyle

    Notes
    -----
    Dot area grows with the count, written next to the dot when above 1.
    Rows are grouped by kind; within a kind, formulations shared by more
    speeches come first, then by the first speech that uses them. Columns:
    at most what the width holds (the first speeches by id).
    """
    titles = titles or {}
    all_docs = [
        c for c in matrix.columns if c not in ("formulation", "kind", "n_speeches", "total")
    ]
    label_width = 1.3 if style.narrow else 1.8
    doc_ids = all_docs[: max(1, int((style.width - label_width - 0.4) // 0.16))]
    limit = min(max_rows, style.max_rows, style.rows_that_fit(extra=1.6))
    shown = matrix
    if len(matrix) > limit:
        shown = matrix.sort_values(["n_speeches", "total"], ascending=False, kind="mergesort")
        shown = shown.head(limit)
    shown = formulation_row_order(shown, doc_ids)
    fig, ax = new_figure(style, style.height(len(shown), extra=1.6))
    _formulation_dots(ax, shown, doc_ids, style)
    _formulation_kind_labels(ax, shown["kind"].tolist(), len(doc_ids), style)
    ax.set_yticks(
        range(len(shown)), [fit_text(f, label_width, style.font) for f in shown["formulation"]]
    )
    few = len(doc_ids) <= (4 if style.narrow else 8)
    ax.set_xticks(
        range(len(doc_ids)),
        [short_label(d, titles.get(d, ""), 6) if few else d for d in doc_ids],
        rotation=90 if not few else 35,
        ha="right" if few else "center",
        rotation_mode="anchor" if few else "default",
        fontsize=style.font if few else style.small,
    )
    ax.set_xlim(-0.6, len(doc_ids) - 0.2)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.grid(color="0.88", linewidth=0.5, zorder=0)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    suffix = (
        f"（{len(matrix)} 个中的前 {len(shown)} 个）"
        if len(shown) < len(matrix)
        else f"（共 {len(shown)} 个）"
    )
    axes_title(ax, f"各篇讲话使用的提法{suffix}", style)
    ax.set_xlabel("讲话（点面积 ∝ 次数，数字为次数 > 1）")
    if len(shown) < len(matrix):
        add_note(
            fig,
            f"只显示最常用的 {len(shown)} 个提法（共 {len(matrix)} 个，见 formulations_by_speech.csv）",
        )
    if len(doc_ids) < len(all_docs):
        add_note(fig, f"只显示前 {len(doc_ids)} 篇讲话（共 {len(all_docs)} 篇）")
    return fig
