"""Figures of the corpus itself."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from . import FigureStyle, add_note, new_figure, short_label, styled, suptitle


def thousands(value: float, _position: int = 0) -> str:
    """Axis numbers as ``12k`` above 10,000 (short tick labels at single-column width)."""
    if abs(value) >= 10000:
        return f"{value / 1000:.0f}k"
    return f"{value:,.0f}"


@styled
def plot_corpus_overview(overview: pd.DataFrame, *, style: FigureStyle) -> Figure:
    """Per speech: characters (kept text and removed noise), paragraphs and tokens.

    Up to ``style.max_rows`` speeches get one bar each; a larger corpus is
    drawn as three histograms (speeches by length, paragraphs and tokens),
    and the figure says so.

    Parameters
    ----------
    overview : DataFrame
        The corpus overview table (``doc_id``, ``title``, ``chars_raw``,
        ``chars_clean``, ``sections``, ``paragraphs``, ``tokens``).
    style : FigureStyle
        Printed width and font sizes.
    """
    table = overview.sort_values("doc_id")
    limit = min(style.max_rows, style.rows_that_fit(style.line_height() * 1.3, 1.4))
    if len(table) > limit:
        return _overview_histograms(table, style)
    labels = [
        short_label(d, t, style.label_chars)
        for d, t in zip(table["doc_id"], table["title"].fillna(""), strict=True)
    ]
    height = style.height(len(table), style.line_height() * 1.3, 1.4)
    fig, axes = new_figure(style, height, 1, 3, sharey=True)
    y = range(len(table))
    removed = (table["chars_raw"] - table["chars_clean"]).clip(lower=0)
    axes[0].barh(y, table["chars_clean"], color="0.35", label="清洗后")
    axes[0].barh(y, removed, left=table["chars_clean"], color="0.8", hatch="//", label="噪声")
    axes[1].barh(y, table["paragraphs"], color="0.45")
    for i, sections in enumerate(table["sections"]):
        axes[1].text(
            table["paragraphs"].iloc[i], i, f" {sections}节", va="center", fontsize=style.small
        )
    axes[1].set_xlim(0, table["paragraphs"].max() * 1.45)
    axes[2].barh(y, table["tokens"], color="0.55")
    titles = ("字符数", "段落数（节数）", "词数") if style.narrow else _WIDE_TITLES
    for ax, title in zip(axes, titles, strict=True):
        ax.set_title(title, fontsize=style.font)
        ax.xaxis.set_major_locator(MaxNLocator(3 if style.narrow else 4))
        ax.xaxis.set_major_formatter(FuncFormatter(thousands))
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_yticks(list(y))
    axes[0].set_yticklabels(labels)
    axes[0].invert_yaxis()
    fig.legend(
        *axes[0].get_legend_handles_labels(),
        loc="outside lower center",
        ncol=2,
        frameon=False,
        fontsize=style.small,
    )
    suptitle(fig, style, "语料概览：每篇讲话的篇幅与结构")
    return fig


_WIDE_TITLES = ("字符数（清洗前后）", "段落数（标注一级小节数）", "词数（去停用词后）")


def _overview_histograms(table: pd.DataFrame, style: FigureStyle) -> Figure:
    """Three histograms over the speeches: characters kept, paragraphs, tokens."""
    fig, axes = new_figure(style, 2.4 if style.narrow else 2.6, 1, 3, sharey=True)
    columns = (("chars_clean", "清洗后字符数"), ("paragraphs", "段落数"), ("tokens", "词数"))
    for ax, (column, title) in zip(axes, columns, strict=True):
        ax.hist(table[column].astype(float), bins=20, color="0.45", edgecolor="white")
        ax.set_title(title, fontsize=style.font)
        ax.xaxis.set_major_locator(MaxNLocator(3))
        ax.xaxis.set_major_formatter(FuncFormatter(thousands))
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_ylabel("讲话数")
    suptitle(fig, style, f"语料概览：{len(table)} 篇讲话的篇幅分布")
    add_note(fig, f"{len(table)} 篇讲话超过每图 {style.max_rows} 行的上限，改为分布直方图")
    return fig
