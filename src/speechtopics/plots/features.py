"""Figures of keywords, keyness, speech similarity and word clouds."""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..analysis.features import similarity_wide, top_keyness
from . import cjk_font_path, setup_cjk_font, short_label

PANEL_COLUMNS = 3


def _panel_grid(
    n_panels: int, panel_height: float, panel_width: float = 4.2
) -> tuple[Figure, np.ndarray]:
    """A figure with one panel per item, ``PANEL_COLUMNS`` wide; unused panels hidden."""
    columns = min(PANEL_COLUMNS, max(n_panels, 1))
    rows = max(math.ceil(n_panels / columns), 1)
    fig, axes = plt.subplots(
        rows, columns, figsize=(panel_width * columns, panel_height * rows + 0.9), squeeze=False
    )
    for ax in axes.flat[n_panels:]:
        ax.set_visible(False)
    return fig, axes


def _label(doc_id: str, titles: Mapping[str, str] | None) -> str:
    return short_label(doc_id, (titles or {}).get(doc_id, "") or "", width=16)


def plot_keywords_per_speech(
    keywords: pd.DataFrame, titles: Mapping[str, str] | None = None, top_n: int | None = None
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
        Keywords per panel (default: all rows of the table).

    Notes
    -----
    Hatched bars are terms that occur in this speech only
    (``document_frequency == 1``); the number after each bar is the term's
    count in the speech.
    """
    setup_cjk_font()
    doc_ids = sorted(keywords["doc_id"].unique())
    per_panel = int(top_n or keywords.groupby("doc_id").size().max() if len(keywords) else 1)
    fig, axes = _panel_grid(len(doc_ids), 0.27 * per_panel + 0.8)
    x_max = float(keywords["tfidf"].max()) if len(keywords) else 1.0
    for ax, doc_id in zip(axes.flat, doc_ids, strict=False):
        rows = keywords[keywords["doc_id"] == doc_id].sort_values("rank").head(per_panel)
        y = np.arange(len(rows))
        unique = (rows["document_frequency"] == 1).to_numpy()
        bars = ax.barh(
            y,
            rows["tfidf"],
            color=np.where(unique, "0.80", "0.45").tolist(),
            edgecolor="0.2",
            linewidth=0.4,
        )
        for bar, is_unique in zip(bars, unique, strict=True):
            if is_unique:
                bar.set_hatch("///")
        for position, (value, count) in enumerate(zip(rows["tfidf"], rows["count"], strict=True)):
            ax.text(
                value + x_max * 0.01,
                position,
                str(int(count)),
                va="center",
                fontsize=7,
                color="0.25",
            )
        ax.set_yticks(y)
        ax.set_yticklabels(rows["term"], fontsize=9)
        ax.invert_yaxis()
        ax.set_xlim(0, x_max * 1.15)
        ax.set_title(_label(doc_id, titles), fontsize=10)
        ax.set_xlabel("TF-IDF 权重", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    legend = [
        Patch(facecolor="0.45", edgecolor="0.2", label="多篇讲话共有的词"),
        Patch(facecolor="0.80", edgecolor="0.2", hatch="///", label="仅本篇出现的词"),
    ]
    fig.legend(handles=legend, loc="upper right", fontsize=8, frameon=False, ncol=2)
    fig.suptitle("各篇讲话的 TF-IDF 关键词（条末数字为词频）", x=0.02, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def plot_keyness(
    keyness_table: pd.DataFrame,
    titles: Mapping[str, str] | None = None,
    top_n: int = 15,
    measure: str = "chi2",
    alpha: float = 0.05,
) -> Figure:
    """Small multiples: for each speech, the terms with the strongest positive keyness against the rest.

    Parameters
    ----------
    keyness_table : DataFrame
        ``keyness`` table (:func:`speechtopics.features.keyness_by_speech`).
    titles : mapping, optional
        ``doc_id -> title`` for the panel titles.
    top_n : int
        Terms per speech.
    measure : {"chi2", "g2"}
        Statistic on the x axis.
    alpha : float
        Bars with ``p`` (or ``p_g2``) at or above this are drawn light and hatched.

    Notes
    -----
    The label after each bar gives the term's count in the speech and in
    all the other speeches together (``13 / 0``).
    """

    setup_cjk_font()
    top = top_keyness(keyness_table, top_n, measure)
    doc_ids = sorted(keyness_table["doc_id"].unique())
    p_column = "p" if measure == "chi2" else "p_g2"
    axis_label = "χ²（Yates 校正）" if measure == "chi2" else "G²（对数似然）"
    fig, axes = _panel_grid(len(doc_ids), 0.27 * top_n + 0.8)
    x_max = float(top[measure].max()) if len(top) else 1.0
    for ax, doc_id in zip(axes.flat, doc_ids, strict=False):
        rows = top[top["doc_id"] == doc_id]
        y = np.arange(len(rows))
        weak = (rows[p_column] >= alpha).to_numpy()
        bars = ax.barh(
            y,
            rows[measure],
            color=np.where(weak, "0.85", "0.35").tolist(),
            edgecolor="0.2",
            linewidth=0.4,
        )
        for bar, is_weak in zip(bars, weak, strict=True):
            if is_weak:
                bar.set_hatch("..")
        for position, (value, n_target, n_reference) in enumerate(
            zip(rows[measure], rows["n_target"], rows["n_reference"], strict=True)
        ):
            ax.text(
                value + x_max * 0.01,
                position,
                f"{int(n_target)} / {int(n_reference)}",
                va="center",
                fontsize=7,
                color="0.25",
            )
        ax.set_yticks(y)
        ax.set_yticklabels(rows["term"], fontsize=9)
        ax.invert_yaxis()
        ax.set_xlim(0, x_max * 1.22)
        ax.set_title(_label(doc_id, titles), fontsize=10)
        ax.set_xlabel(axis_label, fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
        if not len(rows):
            ax.text(0.5, 0.5, "没有正向关键性词", transform=ax.transAxes, ha="center", va="center")
    legend = [
        Patch(facecolor="0.35", edgecolor="0.2", label=f"p < {alpha:g}"),
        Patch(facecolor="0.85", edgecolor="0.2", hatch="..", label=f"p ≥ {alpha:g}"),
    ]
    fig.legend(handles=legend, loc="upper right", fontsize=8, frameon=False, ncol=2)
    fig.suptitle(
        "关键性：每篇讲话相对其余讲话显著多用的词（条末：本篇次数 / 其余次数）", x=0.02, ha="left"
    )
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def plot_similarity_heatmap(
    similarity: pd.DataFrame, titles: Mapping[str, str] | None = None
) -> Figure:
    """Speech × speech cosine similarity of TF-IDF vectors, every cell annotated.

    The grey scale spans the off-diagonal values only (the diagonal, always
    1, is left white), so differences between pairs stay visible.

    Parameters
    ----------
    similarity : DataFrame
        ``speech_similarity`` (long: ``doc_id``, ``other_doc_id``,
        ``cosine``).
    titles : mapping, optional
        ``doc_id -> title`` for the axis labels.
    """

    setup_cjk_font()
    matrix = similarity_wide(similarity)
    n = len(matrix)
    values = matrix.to_numpy(dtype=float)
    off_diagonal = ~np.eye(n, dtype=bool)
    shown = np.ma.masked_array(values, mask=~off_diagonal)
    if off_diagonal.any():
        low = math.floor(float(values[off_diagonal].min()) * 20) / 20
        high = max(math.ceil(float(values[off_diagonal].max()) * 20) / 20, low + 0.05)
    else:
        low, high = 0.0, 1.0
    labels = [_label(doc_id, titles) for doc_id in matrix.index]
    size = min(max(4.5, 0.75 * n + 3.0), 14.0)
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    colour_map = plt.get_cmap("Greys").with_extremes(bad="white")
    image = ax.imshow(shown, cmap=colour_map, vmin=low, vmax=high)
    if n <= 25:
        middle = (low + high) / 2
        for i in range(n):
            for j in range(n):
                value = float(values[i, j])
                ax.text(
                    j,
                    i,
                    f"{value:.2f}",
                    ha="center",
                    va="center",
                    fontsize=9 if n <= 10 else 6,
                    color="white" if i != j and value > middle else "black",
                )
    ax.set_xticks(range(n))
    ax.set_xticklabels(labels, rotation=40, ha="right", fontsize=9 if n <= 10 else 6)
    ax.set_yticks(range(n))
    ax.set_yticklabels(labels, fontsize=9 if n <= 10 else 6)
    colorbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    colorbar.set_label("余弦相似度（对角线不着色）")
    ax.set_title("讲话之间的相似度（TF-IDF 向量的余弦）")
    fig.tight_layout()
    return fig


def _grey_by_size(max_font_size: float):
    """A word-cloud colour function: larger words darker (prints in grey)."""

    def colour(word, font_size, position, orientation, random_state=None, **kwargs) -> str:
        share = min(float(font_size) / max(max_font_size, 1.0), 1.0)
        level = int(round(150 - 130 * share))
        return f"rgb({level}, {level}, {level})"

    return colour


def plot_wordcloud(
    frequencies: Mapping[str, int],
    doc_id: str,
    title: str = "",
    max_words: int = 100,
    random_state: int = 0,
    width: int = 1000,
    height: int = 620,
) -> Figure:
    """A word cloud of one speech's token frequencies, drawn into a matplotlib figure.

    Parameters
    ----------
    frequencies : mapping
        ``term -> count`` of the speech (:func:`speechtopics.features.word_frequencies`).
    doc_id, title : str
        For the figure title.
    max_words : int
        Most frequent terms shown.
    random_state : int
        Seed of the layout: the same seed gives the same picture.
    width, height : int
        Canvas size in pixels.

    Notes
    -----
    Word size follows frequency (``relative_scaling=0.5``); darker means
    larger. Words are laid out horizontally, in the project's CJK font.
    """
    from wordcloud import WordCloud

    setup_cjk_font()
    fig, ax = plt.subplots(figsize=(8, 8 * height / width + 0.5))
    ax.set_axis_off()
    ax.set_title(
        f"词云：{_label(doc_id, {doc_id: title})}（按词频，前 {max_words} 词）", fontsize=11
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
    fig.tight_layout()
    return fig
