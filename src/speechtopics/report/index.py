"""``figures/index.html``: the report page — key tables, every figure with a caption, provenance."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import pandas as pd

from .fonts import FONT_FACE_CSS, REPORT_FONT_FAMILY

#: One sentence per figure saying how to read it (``{doc_id}`` figures share one).
CAPTIONS: dict[str, str] = {
    "corpus_overview": "每篇讲话的篇幅与结构：左图阴影部分是清洗掉的网页噪声，中图为段落数（右端标注一级小节数），右图为去停用词后的词数。",
    "keywords_per_speech": "每篇讲话 TF-IDF 最高的关键词：条越长，该词越是这篇讲话区别于其他讲话的用词。",
    "keyness": "每篇讲话相对其余讲话的关键性（keyness）：统计量越大，该词在这篇讲话中越显著地多用。",
    "similarity_heatmap": "讲话之间的余弦相似度（TF-IDF）：颜色越深，两篇讲话用词越接近。",
    "wordcloud": "这篇讲话的词云：字越大，词频越高（已去停用词）。",
    "theme_heatmap": "每篇讲话各主题的出现率（每千词）：颜色越深，该主题在这篇讲话中着墨越多。",
    "theme_section_heatmap": "各一级小节的主题出现率（每千词）：看每个主题集中在讲话的哪一部分。",
    "theme_by_group": "按行政层级与年份分组的主题出现率（每千词）：比较市、县、区讲话的侧重。",
    "theme_dispersion": "主题在讲话中的位置（从开头 0 到结尾 1）：每条竖线是一次出现，看主题集中还是贯穿全篇。",
    "formulations": "每篇讲话使用的提法（编号口号与比喻性角色定位）：有标记处表示该讲话使用了这一提法。",
    "topic_coherence": "不同主题数 K 的一致性（coherence）：点为各随机种子，线为中位数；选 K 的理由见主题表。",
    "topic_stability": "所选 K 下各主题在不同随机种子间的稳定性（Hungarian 匹配后前 20 词的 Jaccard）：低于阈值的主题被标为不稳定。",
    "topic_prevalence": "每篇讲话的主题构成：每根条按主题比例堆叠。",
    "topic_section_heatmap": "各小节的主题比例：颜色越深，该主题在该小节越突出。",
    "topic_words": "每个主题概率最高的词：主题标签由主题词典与 FREX（高频且专属）词给出。",
    "theme_topic_prevalence": "种子词引导的主题模型中各主题在每篇讲话的比重：比较三服务、参谋助手、队伍建设等主题。",
    "cluster_silhouette": "不同聚类数 k 的轮廓系数：越高，段落分组越清楚；取最高点为所选 k。",
    "cluster_map": "段落的二维投影：左按讲话着色，右按聚类着色；相近的点用词相近。",
    "cluster_spread": "每篇讲话的段落在各聚类中的分布：看哪些讲话共享同一类内容。",
    "speech_dendrogram": "讲话的层次聚类树：越早合并的讲话越相似。",
}

#: Tables shown on the page, in order: (stage, table, heading, columns or None for all, row limit).
KEY_TABLES: tuple[tuple[str, str, str, tuple[str, ...] | None, int], ...] = (
    (
        "overview",
        "corpus_overview",
        "语料概览",
        (
            "doc_id",
            "title",
            "level",
            "region",
            "year",
            "chars_raw",
            "chars_clean",
            "sections",
            "paragraphs",
            "tokens",
        ),
        200,
    ),
    ("features", "keywords_by_speech", "每篇讲话的关键词（TF-IDF 前 10）", None, 10),
    ("themes", "theme_rates_by_speech", "主题 × 讲话（每千词）", None, 0),
    ("topics", "topic_k_choice", "主题数的选择", None, 20),
    ("topics", "topic_stability", "主题稳定性", None, 50),
    ("themes", "formulations_by_speech", "提法 × 讲话", None, 200),
)


def caption_for(figure_name: str) -> str:
    """The reading guide for a figure (``wordcloud_003`` uses ``wordcloud``)."""
    if figure_name in CAPTIONS:
        return CAPTIONS[figure_name]
    base = re.sub(r"_[^_]+$", "", figure_name)
    return CAPTIONS.get(base, "")


def _table_html(table: pd.DataFrame, columns: tuple[str, ...] | None, limit: int, name: str) -> str:
    if columns is not None:
        table = table[[c for c in columns if c in table.columns]]
    if name == "keywords_by_speech" and {"doc_id", "rank", "term"} <= set(table.columns):
        table = table[table["rank"] <= limit].pivot_table(
            index="rank", columns="doc_id", values="term", aggfunc="first"
        )
        table.columns.name = None
        table = table.reset_index()
    elif name == "theme_rates_by_speech" and {"doc_id", "theme", "rate_per_1k"} <= set(
        table.columns
    ):
        table = table.pivot_table(
            index="theme", columns="doc_id", values="rate_per_1k", aggfunc="first"
        ).round(2)
        table.columns.name = None
        table = table.reset_index()
    elif limit:
        table = table.head(limit)
    return table.to_html(
        index=False, border=0, classes="table", na_rep="", float_format=lambda x: f"{x:.3g}"
    )


def build_index_html(
    corpus_summary: Mapping[str, Any],
    outputs: Mapping[str, Any],
) -> str:
    """The report page.

    Parameters
    ----------
    corpus_summary : mapping
        ``title``, ``corpus_hash``, ``speeches`` (doc_id → file, sha256),
        ``parameters`` and ``libraries`` (name → version).
    outputs : mapping
        Stage name → :class:`~speechtopics.pipeline.StageOutput` of this run.

    Returns
    -------
    str
        HTML (UTF-8) referring to figures by relative file name.
    """
    sections: list[str] = []
    sections.append("<h2 id='tables'>主要表格</h2>")
    for stage, name, heading, columns, limit in KEY_TABLES:
        output = outputs.get(stage)
        if output is None or name not in output.tables:
            continue
        sections.append(f"<h3>{html.escape(heading)} <small>({html.escape(name)}.csv)</small></h3>")
        sections.append(_table_html(output.tables[name], columns, limit, name))

    sections.append("<h2 id='figures'>图</h2>")
    for stage, output in outputs.items():
        figure_names = sorted({f.rsplit(".", 1)[0] for f in output.files if f.endswith(".png")})
        for figure in figure_names:
            caption = caption_for(figure)
            link = html.escape(quote(figure))  # a doc_id with '#', '?' or '%' stays a file name
            sections.append(
                "<figure>"
                f"<a href='{link}.svg'><img src='{link}.png' alt='{html.escape(figure)}'></a>"
                f"<figcaption><b>{html.escape(figure)}</b>（{html.escape(stage)}）：{html.escape(caption)} "
                f"<a href='{link}.svg'>SVG</a> · <a href='{link}.png'>PNG</a></figcaption>"
                "</figure>"
            )
    ldavis = [
        name for output in outputs.values() for name in output.files if name.endswith("ldavis.html")
    ]
    if ldavis:
        sections.append("<h2 id='ldavis'>交互式主题视图（pyLDAvis）</h2>")
        sections.append(
            "<p>左侧圆圈为主题（面积为比重，距离为相似度），右侧为所选主题的词；λ 调节按频率或按专属性排序。</p>"
            f"<iframe src='{html.escape(ldavis[0])}' title='pyLDAvis'></iframe>"
        )

    sections.append("<h2 id='manifest'>运行信息</h2>")
    speeches = corpus_summary.get("speeches", {})
    rows = "".join(
        f"<tr><td>{html.escape(doc_id)}</td><td>{html.escape(info['file'])}</td><td><code>{info['sha256'][:16]}</code></td></tr>"
        for doc_id, info in speeches.items()
    )
    sections.append(
        f"<p>语料哈希 <code>{html.escape(str(corpus_summary.get('corpus_hash', ''))[:16])}</code>，"
        f"{len(speeches)} 篇讲话。完整记录见 <code>data/processed/manifest.json</code>。</p>"
        f"<table class='table'><tr><th>doc_id</th><th>文件</th><th>sha256</th></tr>{rows}</table>"
    )
    libraries = corpus_summary.get("libraries", {})
    sections.append(
        "<p>"
        + "，".join(f"{html.escape(k)} {html.escape(str(v))}" for k, v in libraries.items())
        + "</p>"
    )
    topics = corpus_summary.get("parameters", {}).get("topics", {})
    if topics:
        sections.append(
            "<p>主题模型参数："
            + "，".join(f"{html.escape(k)} = {html.escape(str(v))}" for k, v in topics.items())
            + "</p>"
        )

    title = html.escape(str(corpus_summary.get("title", "speechtopics 报告")))
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{FONT_FACE_CSS}
body {{ font-family: "{REPORT_FONT_FAMILY}", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.6; }}
h1, h2 {{ border-bottom: 1px solid #ccc; padding-bottom: .2em; }}
nav a {{ margin-right: 1em; }}
figure {{ margin: 1.5em 0; }}
figure img {{ max-width: 100%; border: 1px solid #eee; }}
figcaption {{ font-size: .92em; color: #444; }}
table.table {{ border-collapse: collapse; font-size: .85em; margin: .5em 0 1.5em; }}
table.table th, table.table td {{ border: 1px solid #ddd; padding: .2em .5em; text-align: left; vertical-align: top; }}
iframe {{ width: 100%; height: 900px; border: 1px solid #ddd; }}
small {{ color: #777; font-weight: normal; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>办公室工作会议讲话的主题比较：关键词、主题模型、主题词典、提法与聚类。每张图下的说明告诉你如何读图；点击图片打开矢量版（SVG）。</p>
<nav><a href="#tables">表格</a><a href="#figures">图</a><a href="#ldavis">主题视图</a><a href="#manifest">运行信息</a></nav>
{chr(10).join(sections)}
</body>
</html>
"""
