"""Figures of the clustering: k selection, paragraph map, spread over clusters, speech dendrogram."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
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
)

SPACE_LABELS = {"tfidf": "TF-IDF 空间", "topic": "主题向量空间"}
METHOD_LABELS = {"kmeans": "k-means", "ward": "Ward 层次聚类"}
PROJECTION_LABELS = {"svd": "截断 SVD", "tsne": "t-SNE"}
LINKAGE_LABELS = {"average": "平均连接", "complete": "全连接", "single": "单连接", "ward": "Ward"}
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p")
HATCHES = ("", "//", "..", "xx", "\\\\", "oo", "--", "++", "**", "||", "OO", "/.")
LEFT_OUT = -1
LEFT_OUT_LABEL = "未聚类（词数过少）"
#: Speeches the map's left panel tells apart (markers and greys run out beyond this).
MAX_MAP_SPEECHES = 12


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


def _silhouette_lines(ax, table: pd.DataFrame, style: FigureStyle) -> None:
    styles = {"kmeans": ("o", "-", "0.15"), "ward": ("s", "--", "0.55")}
    for method, group in table.groupby("method", sort=False):
        group = group.sort_values("k")
        marker, linestyle, colour = styles.get(method, ("^", ":", "0.35"))
        ax.plot(
            group["k"],
            group["silhouette"],
            marker=marker,
            linestyle=linestyle,
            color=colour,
            markersize=3,
            label=_method_label(method),
        )
        for row in group[group["chosen"]].itertuples():
            ax.plot(
                [row.k],
                [row.silhouette],
                marker="*",
                markersize=9,
                color=colour,
                markeredgecolor="black",
                linestyle="none",
            )
            ax.annotate(
                f"k={row.k}",
                (row.k, row.silhouette),
                textcoords="offset points",
                xytext=(0, 6 if method == "kmeans" else -11),
                ha="center",
                fontsize=style.small,
            )


@styled
def plot_silhouette(selection: pd.DataFrame, *, style: FigureStyle) -> Figure:
    """Mean silhouette against k, one panel per space, one line per method; the chosen k is starred.

    Parameters
    ----------
    selection : DataFrame
        The ``cluster_k_selection`` table (``space``, ``method``, ``k``,
        ``silhouette``, ``chosen``).
    style : FigureStyle
    """
    spaces = list(dict.fromkeys(selection["space"]))
    columns = style.panel_columns(max(len(spaces), 1), 1.6)
    rows = int(np.ceil(max(len(spaces), 1) / columns))
    fig, axes = new_figure(style, style.height(rows, 2.0, 0.8), rows, columns, squeeze=False)
    for ax, space in zip(axes.flat, spaces, strict=False):
        table = selection[selection["space"] == space]
        _silhouette_lines(ax, table, style)
        ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        low, high = table["silhouette"].min(), table["silhouette"].max()
        pad = max((high - low) * 0.3, 0.005)
        ax.set_ylim(min(low - pad, 0), high + pad)
        ax.set_title(_space_label(space), fontsize=style.font)
        ax.set_xlabel("簇数 k")
        ax.grid(axis="y", color="0.9")
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes.flat[len(spaces) :]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel("平均轮廓系数")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=len(labels),
        frameon=False,
        title="★ = 选定的 k",
        title_fontsize=style.small,
    )
    suptitle(fig, style, "按轮廓系数选择簇数")
    return fig


# --------------------------------------------------------------------------- map


def _map_speeches(ax, table, x, y, titles, style: FigureStyle) -> None:
    doc_ids = sorted(table["doc_id"].unique())
    colours = plt.get_cmap("cividis")(np.linspace(0.0, 0.9, max(len(doc_ids), 1)))
    for i, doc_id in enumerate(doc_ids):
        rows = table[table["doc_id"] == doc_id]
        ax.scatter(
            rows[x],
            rows[y],
            s=12,
            marker=MARKERS[i % len(MARKERS)],
            color=colours[i],
            edgecolors="black",
            linewidths=0.3,
            label=short_label(doc_id, titles.get(doc_id, ""), style.label_chars // 2),
        )
    ax.set_title("按讲话区分", fontsize=style.font)


def _map_clusters(ax, table, x, y, top_terms, space, method, style: FigureStyle) -> None:
    clusters = sorted(table["cluster"].unique())
    colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.95, max(len(clusters), 1)))
    for i, cluster in enumerate(clusters):
        rows = table[table["cluster"] == cluster]
        label = f"{_cluster_label(top_terms, space, method, int(cluster))}（{len(rows)}段）"
        ax.scatter(
            rows[x],
            rows[y],
            s=12,
            marker=MARKERS[i % len(MARKERS)],
            color=colours[i],
            edgecolors="black",
            linewidths=0.3,
            label=fit_text(label, style.width * (0.9 if style.narrow else 0.45), style.small),
        )
    k = int(table["k"].iloc[0]) if len(table) else 0
    ax.set_title(f"按聚类区分（{_method_label(method)}，k={k}）", fontsize=style.font)


def _map_axes(ax, projection: str, style: FigureStyle) -> None:
    name = PROJECTION_LABELS.get(projection, projection)
    ax.set_xlabel(f"{name} 维度 1")
    ax.set_ylabel(f"{name} 维度 2")
    ax.tick_params(labelsize=style.small)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=1 if style.narrow else 2,
        fontsize=style.small,
        frameon=False,
        markerscale=1.2,
    )


@styled
def plot_cluster_map(
    assignments: pd.DataFrame,
    top_terms: pd.DataFrame,
    titles: Mapping[str, str],
    space: str = "tfidf",
    method: str = "kmeans",
    projection: str = "tsne",
    *,
    style: FigureStyle,
) -> Figure:
    """2-D map of the clustered units: by speech and by cluster (marker shapes too).

    Side by side at double-column width, stacked at single. The speech panel
    is left out above 12 speeches (markers and greys run out); the figure
    says so. Units without coordinates (outside the t-SNE sample of a large
    space) are not drawn; a figure note gives how many units the map shows.

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
    style : FigureStyle
    """
    chosen = assignments[(assignments["space"] == space) & (assignments["method"] == method)]
    clustered = chosen[chosen["cluster"] != LEFT_OUT]
    table = clustered.dropna(subset=[f"{projection}_x"])
    x, y = f"{projection}_x", f"{projection}_y"
    by_speech = table["doc_id"].nunique() <= MAX_MAP_SPEECHES
    panels = 2 if by_speech else 1
    rows, columns = (panels, 1) if style.narrow else (1, panels)
    panel = style.width / columns * 0.8
    fig, axes = new_figure(
        style, min(9.0, rows * (panel + 1.4) + 0.5), rows, columns, squeeze=False
    )
    axes = list(axes.flat)
    if by_speech:
        _map_speeches(axes[0], table, x, y, titles, style)
    else:
        add_note(
            fig,
            f"{table['doc_id'].nunique()} 篇讲话，超过 {MAX_MAP_SPEECHES} 篇时不画按讲话区分的子图",
        )
    _map_clusters(axes[-1], table, x, y, top_terms, space, method, style)
    for ax in axes:
        _map_axes(ax, projection, style)
    if 0 < len(table) < len(clustered):
        add_note(
            fig,
            f"图中显示 {len(table):,} 段：共 {len(clustered):,} 段已聚类，"
            "二维投影只对按固定种子抽取的样本计算（[cluster] sample_units）",
        )
    left_out = int((chosen["cluster"] == LEFT_OUT).sum())
    note = f"；{left_out} 段词数过少未聚类" if left_out else ""
    suptitle(
        fig,
        style,
        f"段落二维分布图（{_space_label(space)}，"
        f"{PROJECTION_LABELS.get(projection, projection)} 投影，{len(table)} 段{note}）",
    )
    return fig


# --------------------------------------------------------------------------- spread


def _spread_matrices(spread: pd.DataFrame, space: str, method: str):
    """Shares and counts (speeches × clusters) and the cluster order (left out last)."""
    table = spread[(spread["space"] == space) & (spread["method"] == method)]
    shares = table.pivot(index="doc_id", columns="cluster", values="share").fillna(0.0).sort_index()
    counts = table.pivot(index="doc_id", columns="cluster", values="n_units").fillna(0).sort_index()
    clusters = [c for c in sorted(shares.columns) if c != LEFT_OUT]
    clusters += [LEFT_OUT] if LEFT_OUT in shares.columns else []
    k = int(table.loc[table["cluster"] != LEFT_OUT, "cluster"].max()) if len(table) else 0
    return shares, counts, clusters, k


def _spread_bars(ax, shares, counts, clusters, top_terms, space, method, style) -> list:
    greys = np.linspace(0.35, 0.95, max(len(clusters) - (LEFT_OUT in clusters), 1))
    y = np.arange(len(shares))
    left = np.zeros(len(shares))
    handles = []
    for index, cluster in enumerate(c for c in clusters if c != LEFT_OUT):
        handles.append(
            _spread_segment(
                ax,
                y,
                left,
                shares[cluster],
                counts[cluster],
                str(greys[index]),
                HATCHES[index % len(HATCHES)],
                style,
            )
        )
        handles[-1].set_label(_cluster_label(top_terms, space, method, int(cluster)))
    if LEFT_OUT in clusters:
        handles.append(
            _spread_segment(ax, y, left, shares[LEFT_OUT], counts[LEFT_OUT], "white", "", style)
        )
        handles[-1].set_label(LEFT_OUT_LABEL)
    return handles


def _spread_segment(ax, y, left, share, count, face, hatch, style: FigureStyle) -> Patch:
    values = share.to_numpy()
    ax.barh(y, values, left=left, color=face, hatch=hatch, edgecolor="black", linewidth=0.4)
    minimum = 0.08 if style.narrow else 0.045
    for i, (value, n) in enumerate(zip(values, count.to_numpy(), strict=True)):
        if value >= minimum and n:
            ax.text(
                left[i] + value / 2,
                i,
                str(int(n)),
                ha="center",
                va="center",
                fontsize=style.small,
                bbox={
                    "boxstyle": "round,pad=0.1",
                    "facecolor": "white",
                    "edgecolor": "none",
                    "alpha": 0.85,
                },
            )
    left += values
    return Patch(facecolor=face, hatch=hatch, edgecolor="black", linewidth=0.4)


@styled
def plot_cluster_spread(
    spread: pd.DataFrame,
    top_terms: pd.DataFrame,
    titles: Mapping[str, str],
    space: str = "tfidf",
    method: str = "kmeans",
    *,
    style: FigureStyle,
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
    style : FigureStyle

    Notes
    -----
    At most ``style.max_rows`` speeches (those with most units).
    """
    shares, counts, clusters, k = _spread_matrices(spread, space, method)
    legend_rows = int(np.ceil(len(clusters) / (1 if style.narrow else 2)))
    extra = 1.2 + legend_rows * style.line_height(style.small)
    limit = min(style.max_rows, style.rows_that_fit(style.line_height() * 1.3, extra))
    total = len(shares)
    if total > limit:
        keep = counts.sum(axis=1).nlargest(limit).index.sort_values()
        shares, counts = shares.loc[keep], counts.loc[keep]
    fig, ax = new_figure(style, style.height(len(shares), style.line_height() * 1.3, extra))
    handles = _spread_bars(ax, shares, counts, clusters, top_terms, space, method, style)
    for i, n in enumerate(counts.sum(axis=1).to_numpy()):
        ax.text(1.01, i, f"{int(n)}段", va="center", fontsize=style.small)
    chars = 0 if style.narrow else style.label_chars
    ax.set_yticks(
        np.arange(len(shares)), [short_label(d, titles.get(d, ""), chars) for d in shares.index]
    )
    ax.invert_yaxis()
    ax.set_xlim(0, 1.1)
    ax.set_xticks(np.linspace(0, 1, 6), [f"{int(v * 100)}%" for v in np.linspace(0, 1, 6)])
    ax.set_xlabel("该讲话段落所占比例（格内数字为段落数）")
    ax.spines[["top", "right"]].set_visible(False)
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncol=1 if style.narrow else 2,
        fontsize=style.small,
        frameon=False,
        handleheight=1.2,
    )
    axes_title(
        ax,
        f"各讲话段落在各簇中的分布（{_space_label(space)}，{_method_label(method)}，k={k}）",
        style,
    )
    if len(shares) < total:
        add_note(fig, f"只显示段落最多的 {len(shares)} 篇讲话（共 {total} 篇）")
    return fig


# --------------------------------------------------------------------------- dendrogram


def _zoom_dendrogram(ax, tree: np.ndarray) -> str:
    """Zoom the distance axis when every merge is far from 0; returns a note for the label."""
    heights = np.asarray(tree)[:, 2] if len(tree) else np.zeros(1)
    low, high = float(heights.min()), float(heights.max())
    if low > 0.5 * high:
        span = max(high - low, 0.02 * high, 1e-9)
        ax.set_xlim(high + 0.15 * span, max(low - span, 0.0))
        return "；横轴不从 0 开始"
    return ""


@styled
def plot_speech_dendrogram(
    tree: np.ndarray,
    doc_ids: Sequence[str],
    titles: Mapping[str, str],
    linkage_method: str = "average",
    *,
    style: FigureStyle,
) -> Figure:
    """Dendrogram of the speeches (document grain), leaves labelled ``doc_id`` + title.

    Above ``style.max_rows`` speeches the tree is cut to its last
    ``max_rows`` merges (leaves show how many speeches they hold).

    Parameters
    ----------
    tree : ndarray
        scipy linkage matrix from :func:`speechtopics.analysis.cluster.speeches.speech_linkage`.
    doc_ids : sequence of str
        Leaf order of ``tree``.
    titles : mapping
        ``doc_id -> title``.
    linkage_method : str
        Names the distance on the axis label.
    style : FigureStyle
    """
    from scipy.cluster.hierarchy import dendrogram

    chars = 8 if style.narrow else 18
    labels = [short_label(doc_id, titles.get(doc_id, ""), width=chars) for doc_id in doc_ids]
    truncate = len(doc_ids) > style.max_rows
    leaves = style.max_rows if truncate else len(doc_ids)
    fig, ax = new_figure(style, style.height(leaves, style.line_height() * 1.4, 1.1))
    dendrogram(
        tree,
        labels=labels,
        orientation="left",
        ax=ax,
        color_threshold=0,
        above_threshold_color="0.2",
        leaf_font_size=style.font,
        truncate_mode="lastp" if truncate else None,
        p=leaves,
    )
    distance = "欧氏距离（L2 归一化 TF-IDF）" if linkage_method == "ward" else "余弦距离（TF-IDF）"
    note = _zoom_dendrogram(ax, tree)
    ax.set_xlabel(f"{distance}，{LINKAGE_LABELS.get(linkage_method, linkage_method)}{note}")
    ax.tick_params(axis="x", labelsize=style.small)
    axes_title(ax, "讲话之间的层次聚类", style)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.grid(axis="x", color="0.9")
    if truncate:
        add_note(
            fig, f"{len(doc_ids)} 篇讲话，树只画到最后 {leaves} 个分支（括号内为其中的讲话数）"
        )
    return fig
