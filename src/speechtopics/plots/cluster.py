"""Figures of the clustering: k selection, paragraph map, spread over clusters, speech dendrogram."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from . import setup_cjk_font, short_label

SPACE_LABELS = {"tfidf": "TF-IDF 空间", "topic": "主题向量空间"}
METHOD_LABELS = {"kmeans": "k-means", "ward": "Ward 层次聚类"}
PROJECTION_LABELS = {"svd": "截断 SVD", "tsne": "t-SNE"}
LINKAGE_LABELS = {"average": "平均连接", "complete": "全连接", "single": "单连接", "ward": "Ward"}
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p")
HATCHES = ("", "//", "..", "xx", "\\\\", "oo", "--", "++", "**", "||", "OO", "/.")
LEFT_OUT = -1
LEFT_OUT_LABEL = "未聚类（词数过少）"


def _space_label(space: str) -> str:
    return SPACE_LABELS.get(space, space)


def _method_label(method: str) -> str:
    return METHOD_LABELS.get(method, method)


def _cluster_label(
    top_terms: pd.DataFrame, space: str, method: str, cluster: int, n_terms: int = 3
) -> str:
    if cluster == LEFT_OUT:
        return LEFT_OUT_LABEL
    rows = top_terms[
        (top_terms["space"] == space)
        & (top_terms["method"] == method)
        & (top_terms["cluster"] == cluster)
    ].sort_values("rank")
    words = " ".join(rows["term"].head(n_terms))
    return f"簇{cluster} · {words}" if words else f"簇{cluster}"


def plot_silhouette(selection: pd.DataFrame) -> Figure:
    """Mean silhouette against k, one panel per space, one line per method; the chosen k is starred.

    Parameters
    ----------
    selection : DataFrame
        The ``cluster_k_selection`` table (``space``, ``method``, ``k``,
        ``silhouette``, ``chosen``).
    """
    setup_cjk_font()
    spaces = list(dict.fromkeys(selection["space"]))
    fig, axes = plt.subplots(
        1, max(len(spaces), 1), figsize=(5.2 * max(len(spaces), 1), 4.2), squeeze=False
    )
    styles = {"kmeans": ("o", "-", "0.15"), "ward": ("s", "--", "0.55")}
    for ax, space in zip(axes[0], spaces, strict=False):
        table = selection[selection["space"] == space]
        for method, group in table.groupby("method", sort=False):
            group = group.sort_values("k")
            marker, linestyle, colour = styles.get(method, ("^", ":", "0.35"))
            ax.plot(
                group["k"],
                group["silhouette"],
                marker=marker,
                linestyle=linestyle,
                color=colour,
                markersize=5,
                label=_method_label(method),
            )
            best = group[group["chosen"]]
            for row in best.itertuples():
                ax.plot(
                    [row.k],
                    [row.silhouette],
                    marker="*",
                    markersize=15,
                    color=colour,
                    markeredgecolor="black",
                    linestyle="none",
                )
                ax.annotate(
                    f"k={row.k}",
                    (row.k, row.silhouette),
                    textcoords="offset points",
                    xytext=(0, 9 if method == "kmeans" else -16),
                    ha="center",
                    fontsize=8,
                )
        ks = sorted(table["k"].unique())
        ax.set_xticks(ks)
        low, high = table["silhouette"].min(), table["silhouette"].max()
        pad = max((high - low) * 0.25, 0.005)
        ax.set_ylim(min(low - pad, 0), high + pad)
        ax.set_title(_space_label(space))
        ax.set_xlabel("簇数 k")
        ax.set_ylabel("平均轮廓系数")
        ax.grid(axis="y", color="0.9")
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(fontsize=8, loc="best", title="★ = 选定的 k", title_fontsize=8)
    fig.suptitle("按轮廓系数选择簇数")
    fig.tight_layout()
    return fig


def plot_cluster_map(
    assignments: pd.DataFrame,
    top_terms: pd.DataFrame,
    titles: Mapping[str, str],
    space: str = "tfidf",
    method: str = "kmeans",
    projection: str = "tsne",
) -> Figure:
    """2-D map of the clustered units: left coloured by speech, right by cluster (marker shapes too).

    Parameters
    ----------
    assignments : DataFrame
        The ``cluster_assignments`` table.
    top_terms : DataFrame
        The ``cluster_top_terms`` table (names the clusters in the legend).
    titles : mapping
        ``doc_id -> title`` for the speech legend.
    space, method : str
        Which clustering to show.
    projection : {"tsne", "svd"}
        Which coordinates to use.
    """
    setup_cjk_font()
    table = assignments[
        (assignments["space"] == space)
        & (assignments["method"] == method)
        & (assignments["cluster"] != LEFT_OUT)
    ].dropna(subset=[f"{projection}_x"])
    x, y = f"{projection}_x", f"{projection}_y"
    fig, axes = plt.subplots(1, 2, figsize=(13, 7.2))
    doc_ids = sorted(table["doc_id"].unique())
    doc_colours = plt.get_cmap("cividis")(np.linspace(0.0, 0.9, max(len(doc_ids), 1)))
    for i, doc_id in enumerate(doc_ids):
        rows = table[table["doc_id"] == doc_id]
        axes[0].scatter(
            rows[x],
            rows[y],
            s=36,
            marker=MARKERS[i % len(MARKERS)],
            color=doc_colours[i],
            edgecolors="black",
            linewidths=0.4,
            label=short_label(doc_id, titles.get(doc_id, "")),
        )
    clusters = sorted(table["cluster"].unique())
    cluster_colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.95, max(len(clusters), 1)))
    for i, cluster in enumerate(clusters):
        rows = table[table["cluster"] == cluster]
        axes[1].scatter(
            rows[x],
            rows[y],
            s=36,
            marker=MARKERS[i % len(MARKERS)],
            color=cluster_colours[i],
            edgecolors="black",
            linewidths=0.4,
            label=f"{_cluster_label(top_terms, space, method, int(cluster))}（{len(rows)}段）",
        )
    k = int(table["k"].iloc[0]) if len(table) else 0
    axes[0].set_title("按讲话区分")
    axes[1].set_title(f"按聚类区分（{_method_label(method)}，k={k}）")
    for ax in axes:
        ax.set_xlabel(f"{PROJECTION_LABELS.get(projection, projection)} 维度 1")
        ax.set_ylabel(f"{PROJECTION_LABELS.get(projection, projection)} 维度 2")
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8, frameon=False)
    left_out = int(
        (
            (assignments["space"] == space)
            & (assignments["method"] == method)
            & (assignments["cluster"] == LEFT_OUT)
        ).sum()
    )
    note = f"；{left_out} 段词数过少未聚类" if left_out else ""
    fig.suptitle(
        f"段落二维分布图（{_space_label(space)}，{PROJECTION_LABELS.get(projection, projection)} 投影，"
        f"{len(table)} 段{note}）"
    )
    fig.tight_layout()
    return fig


def plot_cluster_spread(
    spread: pd.DataFrame,
    top_terms: pd.DataFrame,
    titles: Mapping[str, str],
    space: str = "tfidf",
    method: str = "kmeans",
) -> Figure:
    """Stacked bars: the share of each speech's units in each cluster (counts written inside).

    Parameters
    ----------
    spread : DataFrame
        The ``cluster_spread`` table.
    top_terms : DataFrame
        The ``cluster_top_terms`` table (names the clusters in the legend).
    titles : mapping
        ``doc_id -> title`` for the axis labels.
    space, method : str
        Which clustering to show.
    """
    setup_cjk_font()
    table = spread[(spread["space"] == space) & (spread["method"] == method)]
    shares = table.pivot(index="doc_id", columns="cluster", values="share").fillna(0.0).sort_index()
    counts = table.pivot(index="doc_id", columns="cluster", values="n_units").fillna(0).sort_index()
    clusters = [c for c in sorted(shares.columns) if c != LEFT_OUT] + (
        [LEFT_OUT] if LEFT_OUT in shares.columns else []
    )
    doc_ids = list(shares.index)
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(doc_ids) + 3.2))
    greys = np.linspace(0.35, 0.95, max(len(clusters) - (LEFT_OUT in clusters), 1))
    y = np.arange(len(doc_ids))
    left = np.zeros(len(doc_ids))
    handles = []
    grey_index = 0
    for cluster in clusters:
        if cluster == LEFT_OUT:
            face, hatch = "white", ""
        else:
            face, hatch = str(greys[grey_index]), HATCHES[grey_index % len(HATCHES)]
            grey_index += 1
        values = shares[cluster].to_numpy()
        ax.barh(y, values, left=left, color=face, hatch=hatch, edgecolor="black", linewidth=0.5)
        for i, (value, count) in enumerate(zip(values, counts[cluster].to_numpy(), strict=True)):
            if value >= 0.045 and count:
                ax.text(
                    left[i] + value / 2,
                    i,
                    str(int(count)),
                    ha="center",
                    va="center",
                    fontsize=8,
                    bbox={
                        "boxstyle": "round,pad=0.15",
                        "facecolor": "white",
                        "edgecolor": "none",
                        "alpha": 0.85,
                    },
                )
        left += values
        handles.append(
            Patch(
                facecolor=face,
                hatch=hatch,
                edgecolor="black",
                linewidth=0.5,
                label=_cluster_label(top_terms, space, method, int(cluster)),
            )
        )
    totals = counts.sum(axis=1).to_numpy()
    for i, total in enumerate(totals):
        ax.text(1.01, i, f"{int(total)} 段", va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels([short_label(doc_id, titles.get(doc_id, "")) for doc_id in doc_ids])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.08)
    ax.set_xticks(np.linspace(0, 1, 6))
    ax.set_xticklabels([f"{int(v * 100)}%" for v in np.linspace(0, 1, 6)])
    ax.set_xlabel("该讲话段落所占比例（格内数字为段落数）")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=3,
        fontsize=8,
        frameon=False,
        handleheight=1.4,
    )
    k = int(table.loc[table["cluster"] != LEFT_OUT, "cluster"].max()) if len(table) else 0
    ax.set_title(
        f"各讲话段落在各簇中的分布（{_space_label(space)}，{_method_label(method)}，k={k}）"
    )
    fig.tight_layout()
    return fig


def plot_speech_dendrogram(
    tree: np.ndarray,
    doc_ids: Sequence[str],
    titles: Mapping[str, str],
    linkage_method: str = "average",
) -> Figure:
    """Dendrogram of the speeches (document grain), leaves labelled ``doc_id`` + title.

    Parameters
    ----------
    tree : ndarray
        scipy linkage matrix from :func:`speechtopics.cluster.speech_linkage`.
    doc_ids : sequence of str
        Leaf order of ``tree``.
    titles : mapping
        ``doc_id -> title``.
    linkage_method : str
        Names the distance on the axis label.
    """
    from scipy.cluster.hierarchy import dendrogram

    setup_cjk_font()
    labels = [short_label(doc_id, titles.get(doc_id, ""), width=18) for doc_id in doc_ids]
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(doc_ids) + 2.2))
    dendrogram(
        tree,
        labels=labels,
        orientation="left",
        ax=ax,
        color_threshold=0,
        above_threshold_color="0.2",
        leaf_font_size=10,
    )
    distance = "欧氏距离（L2 归一化 TF-IDF）" if linkage_method == "ward" else "余弦距离（TF-IDF）"
    note = ""
    heights = np.asarray(tree)[:, 2] if len(tree) else np.zeros(1)
    low, high = float(heights.min()), float(heights.max())
    if low > 0.5 * high:  # every merge far from 0: zoom so the merge order is visible
        span = max(high - low, 0.02 * high, 1e-9)
        ax.set_xlim(high + 0.15 * span, max(low - span, 0.0))
        note = "；横轴不从 0 开始"
    ax.set_xlabel(f"{distance}，{LINKAGE_LABELS.get(linkage_method, linkage_method)}{note}")
    ax.set_title("讲话之间的层次聚类")
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.grid(axis="x", color="0.9")
    fig.tight_layout()
    return fig
