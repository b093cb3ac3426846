"""Figures of keywords, keyness, speech similarity and word clouds."""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..analysis.features import top_keyness
from ..analysis.similarity import similarity_wide
from . import (
    FigureStyle,
    add_note,
    axes_title,
    cjk_font_path,
    fit_text,
    new_figure,
    short_label,
    styled,
    suptitle,
)

#: Narrowest panel of a small-multiple figure (inches).
MIN_PANEL_WIDTH = 1.6


def _panel_grid(
    style: FigureStyle, n_panels: int, rows_per_panel: int
) -> tuple[Figure, np.ndarray, int]:
    """A figure with one bar panel per item, as many columns as the width holds.

    Returns the figure, its axes (unused ones hidden) and how many panels
    fit (at most ``style.max_panels`` and at most what fits in a page's height).
    """
    columns = style.panel_columns(max(n_panels, 1), MIN_PANEL_WIDTH if style.narrow else 2.2)
    panel_height = rows_per_panel * style.line_height() + 0.45
    fit = max(1, int(style.rows_that_fit(panel_height, 0.8)) * columns)
    shown = max(1, min(n_panels, style.max_panels, fit))
    rows = max(math.ceil(shown / columns), 1)
    fig, axes = new_figure(
        style, style.height(rows, panel_height, 0.8), rows, columns, squeeze=False
    )
    for ax in axes.flat[shown:]:
        ax.set_visible(False)
    return fig, axes, shown


def _panel_notes(shown: int, total: int) -> list[str]:
    return [f"只显示前 {shown} 篇讲话（按编号；共 {total} 篇）"] if shown < total else []


def _label(doc_id: str, titles: Mapping[str, str] | None, style: FigureStyle) -> str:
    return short_label(doc_id, (titles or {}).get(doc_id, "") or "", width=style.label_chars + 2)


def _bar_panel(ax, rows: pd.DataFrame, value: str, light: np.ndarray, hatch: str, x_max: float):
    """Horizontal bars of ``rows[value]`` (top row first), light and hatched where ``light``."""
    y = np.arange(len(rows))
    bars = ax.barh(
        y,
        rows[value],
        color=np.where(light, "0.82", "0.4").tolist(),
        edgecolor="0.2",
        linewidth=0.4,
    )
    for bar, is_light in zip(bars, light, strict=True):
        if is_light:
            bar.set_hatch(hatch)
    ax.set_yticks(y)
    ax.set_yticklabels(rows["term"])
    ax.invert_yaxis()
    ax.set_xlim(0, x_max * 1.3)
    ax.xaxis.set_major_locator(MaxNLocator(3))
    ax.spines[["top", "right"]].set_visible(False)


def _end_labels(ax, values, labels, x_max: float, style: FigureStyle) -> None:
    for position, (value, text) in enumerate(zip(values, labels, strict=True)):
        ax.text(
            value + x_max * 0.02, position, text, va="center", fontsize=style.small, color="0.25"
        )


def _panel_title(ax, text: str, style: FigureStyle, panel_width: float) -> None:
    ax.set_title(fit_text(text, panel_width, style.font), fontsize=style.font)


def _legend_below(fig: Figure, handles: list, title: str, style: FigureStyle) -> None:
    """The figure's legend under the panels, titled with what the x axes measure."""
    fig.legend(
        handles=handles,
        loc="outside lower center",
        fontsize=style.small,
        title=title,
        title_fontsize=style.small,
        frameon=False,
        ncol=len(handles),
    )


def _panel_width(style: FigureStyle, axes: np.ndarray) -> float:
    return style.width / axes.shape[1] - 0.15


@styled
def plot_keywords_per_speech(
    keywords: pd.DataFrame,
    titles: Mapping[str, str] | None = None,
    top_n: int | None = None,
    *,
    style: FigureStyle,
) -> Figure:
    """Small multiples: the top TF-IDF keywords of each speech as horizontal bars.

    Parameters
    ----------
    keywords : DataFrame
        ``keywords_by_speech`` (document grain): ``doc_id``, ``rank``,
        ``term``, ``tfidf``, ``count``, ``document_frequency``.
    titles : mapping, optional
        ``doc_id -> title`` for the panel titles.
    top_n : int, optional
        Keywords per panel (default: all rows of the table; at most 10 at
        single-column width).
    style : FigureStyle

    Notes
    -----
    Hatched bars are terms that occur in this speech only
    (``document_frequency == 1``); the number after each bar is the term's
    count in the speech. At most ``style.max_panels`` speeches are drawn
    (the first by ``doc_id``), and the figure says so.
    """
    doc_ids = sorted(keywords["doc_id"].unique())
    per_panel = int(top_n or (keywords.groupby("doc_id").size().max() if len(keywords) else 1))
    if style.narrow:
        per_panel = min(per_panel, 10)
    fig, axes, shown = _panel_grid(style, len(doc_ids), per_panel)
    notes = _panel_notes(shown, len(doc_ids))
    x_max = float(keywords["tfidf"].max()) if len(keywords) else 1.0
    width = _panel_width(style, axes)
    for ax, doc_id in zip(axes.flat, doc_ids[:shown], strict=False):
        rows = keywords[keywords["doc_id"] == doc_id].sort_values("rank").head(per_panel)
        unique = (rows["document_frequency"] == 1).to_numpy()
        _bar_panel(ax, rows, "tfidf", unique, "///", x_max)
        _end_labels(ax, rows["tfidf"], [str(int(c)) for c in rows["count"]], x_max, style)
        _panel_title(ax, _label(doc_id, titles, style), style, width)
    legend = [
        Patch(facecolor="0.4", edgecolor="0.2", label="多篇共有"),
        Patch(facecolor="0.82", edgecolor="0.2", hatch="///", label="仅本篇"),
    ]
    _legend_below(fig, legend, "TF-IDF 权重；条末数字为词频", style)
    suptitle(fig, style, f"各篇讲话的 TF-IDF 关键词（前 {per_panel} 个）")
    for note in notes:
        add_note(fig, note)
    return fig


@styled
def plot_keyness(
    keyness_table: pd.DataFrame,
    titles: Mapping[str, str] | None = None,
    top_n: int = 15,
    measure: str = "chi2",
    alpha: float = 0.05,
    min_count: int = 1,
    *,
    style: FigureStyle,
) -> Figure:
    """Small multiples: for each speech, the terms with the strongest positive keyness against the rest.

    Parameters
    ----------
    keyness_table : DataFrame
        ``keyness`` table (:func:`speechtopics.analysis.features.keyness_by_speech`).
    titles : mapping, optional
        ``doc_id -> title`` for the panel titles.
    top_n : int
        Terms per speech (at most 10 at single-column width).
    measure : {"chi2", "g2"}
        Statistic on the x axis.
    alpha : float
        Bars with ``p`` (or ``p_g2``) at or above this are drawn light and hatched.
    min_count : int
        Terms the speech uses fewer times than this are left out (a word said
        twice can top a χ² list by being absent elsewhere).
    style : FigureStyle

    Notes
    -----
    The label after each bar gives the term's count in the speech and in
    all the other speeches together (``13 / 0``).
    """
    if style.narrow:
        top_n = min(top_n, 10)
    top = top_keyness(keyness_table[keyness_table["n_target"] >= min_count], top_n, measure)
    doc_ids = sorted(keyness_table["doc_id"].unique())
    p_column = "p" if measure == "chi2" else "p_g2"
    fig, axes, shown = _panel_grid(style, len(doc_ids), top_n)
    notes = _panel_notes(shown, len(doc_ids))
    if min_count > 1:
        notes.append(f"不含本篇出现少于 {min_count} 次的词")
    x_max = float(top[measure].max()) if len(top) else 1.0
    width = _panel_width(style, axes)
    for ax, doc_id in zip(axes.flat, doc_ids[:shown], strict=False):
        rows = top[top["doc_id"] == doc_id]
        weak = (rows[p_column] >= alpha).to_numpy()
        _bar_panel(ax, rows, measure, weak, "..", x_max)
        counts = [
            f"{int(a)}/{int(b)}" for a, b in zip(rows["n_target"], rows["n_reference"], strict=True)
        ]
        _end_labels(ax, rows[measure], counts, x_max, style)
        _panel_title(ax, _label(doc_id, titles, style), style, width)
        if not len(rows):
            ax.text(0.5, 0.5, "没有正向关键性词", transform=ax.transAxes, ha="center", va="center")
    legend = [
        Patch(facecolor="0.4", edgecolor="0.2", label=f"p < {alpha:g}"),
        Patch(facecolor="0.82", edgecolor="0.2", hatch="..", label=f"p ≥ {alpha:g}"),
    ]
    axis_label = "χ²（Yates 校正）" if measure == "chi2" else "G²（对数似然）"
    _legend_below(fig, legend, f"横轴：{axis_label}；条末：本篇次数/其余次数", style)
    suptitle(fig, style, "关键性：每篇讲话相对其余讲话显著多用的词")
    for note in notes:
        add_note(fig, note)
    return fig


def _similarity_colour_range(values: np.ndarray, off_diagonal: np.ndarray) -> tuple[float, float]:
    if not off_diagonal.any():
        return 0.0, 1.0
    low = math.floor(float(values[off_diagonal].min()) * 20) / 20
    high = max(math.ceil(float(values[off_diagonal].max()) * 20) / 20, low + 0.05)
    return low, high


@styled
def plot_similarity_heatmap(
    similarity: pd.DataFrame, titles: Mapping[str, str] | None = None, *, style: FigureStyle
) -> Figure:
    """Speech × speech cosine similarity of TF-IDF vectors, cells annotated while they are legible.

    The grey scale spans the off-diagonal values only (the diagonal, always
    1, is left white), so differences between pairs stay visible. Above
    ``style.max_rows`` speeches the axes carry no labels (the figure says so).

    Parameters
    ----------
    similarity : DataFrame
        ``speech_similarity`` (long: ``doc_id``, ``other_doc_id``, ``cosine``).
    titles : mapping, optional
        ``doc_id -> title`` for the axis labels.
    style : FigureStyle
    """
    matrix = similarity_wide(similarity)
    n = len(matrix)
    values = matrix.to_numpy(dtype=float)
    off_diagonal = ~np.eye(n, dtype=bool)
    low, high = _similarity_colour_range(values, off_diagonal)
    fig, ax = new_figure(style, min(style.width * 0.82, 7.5))
    colour_map = plt.get_cmap("Greys").with_extremes(bad="white")
    image = ax.imshow(
        np.ma.masked_array(values, mask=~off_diagonal), cmap=colour_map, vmin=low, vmax=high
    )
    cell = (style.width * 0.6) / max(n, 1)
    if cell >= 0.3:
        middle = (low + high) / 2
        for (i, j), value in np.ndenumerate(values):
            colour = "white" if i != j and value > middle else "black"
            ax.text(
                j, i, f"{value:.2f}", ha="center", va="center", fontsize=style.small, color=colour
            )
    if n <= style.max_rows:
        labels = [_label(doc_id, titles, style) if n <= 12 else doc_id for doc_id in matrix.index]
        size = style.font if n <= 12 else style.small
        ax.set_xticks(
            range(n), labels, rotation=40, ha="right", rotation_mode="anchor", fontsize=size
        )
        ax.set_yticks(range(n), labels, fontsize=size)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
        add_note(
            fig, f"{n} 篇讲话，超过 {style.max_rows} 篇时不标讲话编号（见 speech_similarity.csv）"
        )
    colorbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.02, shrink=0.8)
    colorbar.set_label("余弦相似度（对角线不着色）", fontsize=style.font)
    axes_title(ax, "讲话之间的相似度（TF-IDF 余弦）", style)
    return fig


def _grey_by_size(max_font_size: float):
    """A word-cloud colour function: larger words darker (prints in grey)."""

    def colour(word, font_size, position, orientation, random_state=None, **kwargs) -> str:
        share = min(float(font_size) / max(max_font_size, 1.0), 1.0)
        level = int(round(150 - 130 * share))
        return f"rgb({level}, {level}, {level})"

    return colour


@styled
def plot_wordcloud(
    frequencies: Mapping[str, int],
    doc_id: str,
    title: str = "",
    max_words: int = 100,
    random_state: int = 0,
    width: int = 1000,
    height: int = 620,
    *,
    style: FigureStyle,
) -> Figure:
    """A word cloud of one speech's token frequencies, drawn into a matplotlib figure.

    Off by default in the pipeline (``[figures] wordclouds``): word size
    mixes frequency with word length and layout, so a cloud is decoration,
    not a measurement; the keyword and keyness bars say the same with numbers.

    Parameters
    ----------
    frequencies : mapping
        ``term -> count`` of the speech (:func:`speechtopics.analysis.features.word_frequencies`).
    doc_id, title : str
        For the figure title.
    max_words : int
        Most frequent terms shown.
    random_state : int
        Seed of the layout: the same seed gives the same picture.
    width, height : int
        Canvas size in pixels.
    style : FigureStyle

    Notes
    -----
    Word size follows frequency (``relative_scaling=0.5``); darker means
    larger. Words are laid out horizontally, in the project's CJK font.
    """
    from wordcloud import WordCloud

    fig, ax = new_figure(style, style.width * height / width + 0.35)
    ax.set_axis_off()
    label = _label(doc_id, {doc_id: title}, style)
    ax.set_title(
        fit_text(f"词云：{label}（前 {max_words} 词）", style.width * 0.95, style.title),
        fontsize=style.title,
    )
    if not frequencies:
        ax.text(0.5, 0.5, "没有可显示的词", ha="center", va="center", transform=ax.transAxes)
        return fig
    cloud = WordCloud(
        font_path=str(cjk_font_path()),
        width=width,
        height=height,
        background_color="white",
        max_words=max_words,
        prefer_horizontal=1.0,
        relative_scaling=0.5,
        random_state=random_state,
        margin=4,
        collocations=False,
    )
    cloud.generate_from_frequencies(dict(frequencies))
    largest = max((font_size for (_, font_size, _, _, _) in cloud.layout_), default=1)
    cloud.recolor(color_func=_grey_by_size(largest), random_state=random_state)
    ax.imshow(cloud.to_array(), interpolation="bilinear")
    return fig
