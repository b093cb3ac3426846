"""Tables on the report page: Chinese column headers, collapsed under their figure."""

from __future__ import annotations

import html

import pandas as pd

#: Chinese header of every column the report shows (the code name stays in a tooltip).
COLUMN_LABELS: dict[str, str] = {
    "doc_id": "讲话编号",
    "other_doc_id": "另一篇讲话",
    "title": "标题",
    "file": "文件",
    "level": "层级",
    "region": "地区",
    "year": "年份",
    "speaker": "讲话人",
    "chars_raw": "原始字符数",
    "chars_clean": "清洗后字符数",
    "sections": "一级小节数",
    "paragraphs": "段落数",
    "tokens": "词数",
    "types": "不同词数",
    "theme": "主题",
    "group_by": "分组依据",
    "group": "组",
    "n_speeches": "讲话数",
    "doc_ids": "讲话",
    "hits": "命中次数",
    "rate_per_1k": "每千词命中",
    "mean_speech_rate_per_1k": "各篇每千词的均值",
    "rank": "名次",
    "term": "词",
    "tfidf": "TF-IDF 权重",
    "count": "次数",
    "document_frequency": "出现的讲话数",
    "n_target": "本篇次数",
    "n_reference": "其余讲话次数",
    "chi2": "χ²",
    "p": "p 值",
    "g2": "G²",
    "p_g2": "p 值（G²）",
    "log_ratio": "对数比",
    "cosine": "余弦相似度",
    "k": "K",
    "reason": "理由",
    "votes": "得票",
    "n_measures": "指标数",
    "n_k": "试过的 K 数",
    "c_npmi": "c_npmi",
    "c_v": "c_v",
    "u_mass": "u_mass",
    "perplexity": "困惑度",
    "stability": "种子间一致性",
    "topic": "主题编号",
    "label": "标签",
    "auto_label": "自动标签",
    "mean_jaccard": "平均 Jaccard",
    "min_jaccard": "最差一对种子",
    "single_fit_jaccard": "单次拟合之间",
    "stable": "稳定",
    "n_seeds": "种子数",
    "runs_per_seed": "每个种子的拟合数",
    "word": "词",
    "prob": "概率",
    "frex": "FREX",
    "n_units": "段落数",
    "n_tokens": "词数",
    "formulation": "提法",
    "kind": "类别",
    "total": "总次数",
    "space": "向量空间",
    "method": "方法",
    "silhouette": "平均轮廓系数",
    "n_left_out": "未聚类段落",
    "nmi_speech": "与讲话的 NMI",
    "ari_speech": "与讲话的 ARI",
    "nmi_section": "与小节的 NMI",
    "previous_topic": "上次的编号",
    "status": "状态",
    "distance": "距离",
    "estimate": "估计值",
    "effect": "效应",
    "difference": "差异",
    "std_error": "标准误",
    "ci_low": "区间下限",
    "ci_high": "区间上限",
    "lower": "区间下限",
    "upper": "区间上限",
    "p_value": "p 值",
    "term_group": "比较项",
}


def column_label(name: str) -> str:
    """The Chinese header of a column (its own name when none is known)."""
    return COLUMN_LABELS.get(str(name), str(name))


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return html.escape(str(value))


def table_html(table: pd.DataFrame) -> str:
    """A plain HTML table with Chinese headers (code names as tooltips)."""
    head = "".join(
        f"<th title='{html.escape(str(c))}'>{html.escape(column_label(c))}</th>"
        for c in table.columns
    )
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in record) + "</tr>"
        for record in table.itertuples(index=False, name=None)
    )
    return f"<table class='table'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def table_details(table: pd.DataFrame, caption: str, source: str, limit: int = 200) -> str:
    """The table collapsed under a ``<details>`` summary naming it, its size and its CSV file.

    At most ``limit`` rows are shown; the summary says how many there are.
    """
    shown = table.head(limit)
    size = (
        f"{len(table)} 行"
        if len(shown) == len(table)
        else f"前 {len(shown)} 行，共 {len(table)} 行"
    )
    return (
        "<details class='table'>"
        f"<summary>表：{html.escape(caption)}（{size}；<code>{html.escape(source)}</code>）</summary>"
        f"{table_html(shown)}</details>"
    )


def wide(table: pd.DataFrame, index: str, columns: str, values: str) -> pd.DataFrame:
    """A long table as ``index`` × ``columns`` (first value of each cell), index as a column."""
    pivot = table.pivot_table(index=index, columns=columns, values=values, aggfunc="first")
    pivot = pivot.reindex(index=list(dict.fromkeys(table[index])))
    pivot.columns.name = None
    return pivot.reset_index()
