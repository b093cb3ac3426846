"""Figures of the corpus itself."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from . import setup_cjk_font, short_label


def plot_corpus_overview(overview: pd.DataFrame) -> Figure:
    """Bars per speech: characters after cleaning, split into kept text and removed noise.

    Parameters
    ----------
    overview : DataFrame
        The corpus overview table (``doc_id``, ``title``, ``chars_raw``,
        ``chars_clean``, ``sections``, ``paragraphs``, ``tokens``).
    """
    setup_cjk_font()
    table = overview.sort_values("doc_id")
    labels = [
        short_label(d, t) for d, t in zip(table["doc_id"], table["title"].fillna(""), strict=True)
    ]
    fig, axes = plt.subplots(1, 3, figsize=(12, 0.6 * len(table) + 2.2), sharey=True)
    y = range(len(table))
    removed = (table["chars_raw"] - table["chars_clean"]).clip(lower=0)
    axes[0].barh(y, table["chars_clean"], color="0.35", label="清洗后字符")
    axes[0].barh(
        y, removed, left=table["chars_clean"], color="0.75", hatch="//", label="清除的噪声"
    )
    axes[0].set_title("字符数（清洗前后）")
    axes[0].legend(loc="lower right", fontsize=8)
    axes[1].barh(y, table["paragraphs"], color="0.45")
    for i, sections in enumerate(table["sections"]):
        axes[1].text(table["paragraphs"].iloc[i], i, f"  {sections}节", va="center", fontsize=8)
    axes[1].set_title("段落数（标注一级小节数）")
    axes[1].set_xlim(0, table["paragraphs"].max() * 1.3)
    axes[2].barh(y, table["tokens"], color="0.55")
    axes[2].set_title("词数（去停用词后）")
    axes[0].set_yticks(list(y))
    axes[0].set_yticklabels(labels)
    axes[0].invert_yaxis()
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle("语料概览：每篇讲话的篇幅与结构")
    fig.tight_layout()
    return fig
