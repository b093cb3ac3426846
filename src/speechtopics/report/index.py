"""``figures/index.html``: the report page, read top to bottom as findings.

Reading order: what the corpus is → the theme comparison → keywords and
keyness → topics → formulations → clusters → provenance, with the group
comparisons after the themes and the lexicon candidates after the formulations. Each section opens
with two or three sentences written from the numbers
(:mod:`speechtopics.report.findings`), then its figures (each with a
caption saying how to read it and what a capped figure left out), then
“注意” where the data are thin, then its tables collapsed with Chinese
headers. A table of contents and a short list of the key findings come
first. The page works offline (figures by relative file name, the CJK font
subset beside it).

Sections find their tables and figures by name in whatever stage made
them, so outputs of later stages (``theme_effects`` … of a comparison
stage) appear as soon as they exist.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pandas as pd

from . import findings as F
from .fonts import FONT_FACE_CSS, REPORT_FONT_FAMILY
from .tables import table_details, table_html, wide

#: How to read each figure (``wordcloud_003`` uses ``wordcloud``).
CAPTIONS: dict[str, str] = {
    "corpus_overview": "每篇讲话的篇幅与结构：左为字符数（浅色斜线为清洗掉的网页噪声），中为段落数（右端为一级小节数），右为去停用词后的词数。",
    "theme_heatmap": "每篇讲话各主题的频率（每千词命中主题词的次数）：颜色越深，该主题在这篇讲话中着墨越多；列按全语料频率从高到低。",
    "theme_effects": "组间效应及其区间：点为估计值，线为区间；区间不含 0 的差异才值得解读。",
    "topic_effects": "主题比重的组间效应及其区间：点为估计值，线为区间。",
    "theme_by_group": "按层级、年份分组合并的主题频率（每千词）：一组只有一篇讲话时，组间差异就是讲话间的差异。",
    "theme_section_heatmap": "各一级小节的主题频率（每千词）：看每个主题集中在讲话的哪一部分。",
    "theme_dispersion": "主题词在讲话中的位置（0 为开头，1 为结尾）：每条竖线是一次出现，灰白相间的底色是一级小节。",
    "keywords_per_speech": "每篇讲话 TF-IDF 最高的关键词：条越长，越是这篇讲话区别于其他讲话的用词；斜线条为只在本篇出现的词，条末数字为次数。",
    "keyness": "每篇讲话相对其余讲话显著多用的词（χ² 关键性）：条末为本篇次数/其余讲话次数；浅色点纹为不显著（p ≥ 0.05）。",
    "similarity_heatmap": "讲话之间的余弦相似度（TF-IDF）：颜色越深，两篇讲话用词越接近。",
    "wordcloud": "这篇讲话的词云：字越大，词频越高（已去停用词）；只作示意，比较请看关键词图。",
    "topic_coherence": "不同主题数 K 的一致性、留出困惑度和种子间一致性：点为各随机种子，线为中位数，虚线为所选 K；最后一格为各 K 的得票。",
    "topic_stability": "所选 K 下各主题在不同随机种子间的稳定性（前 20 词的 Jaccard）：低于虚线的主题被标为不稳定，不宜解读。",
    "topic_words": "每个主题概率最高的词；标题为主题编号和标签（主题词典中的主题 · FREX 词，或 topic_labels.toml 中的标签）。",
    "topic_prevalence": "每篇讲话的主题构成：每根条按主题比重堆叠（按词数加权）。",
    "topic_section_heatmap": "各一级小节的主题比重：颜色越深，该主题在该小节越突出。",
    "theme_topic_prevalence": "种子词引导的主题模型中，主题词典各主题在每篇讲话中的比重。",
    "formulations": "每篇讲话使用的提法：点的面积随次数增大，数字为次数（大于 1 时）；按类别、共用讲话数排序。",
    "cluster_silhouette": "不同簇数 k 的平均轮廓系数：越高，段落分组越清楚；星号为所选 k。接近 0 表示段落并不成组。",
    "cluster_map": "段落的二维投影：左按讲话着色，右按簇着色；相近的点用词相近。",
    "cluster_spread": "每篇讲话的段落落在各簇中的比例：看哪些讲话共享同一类内容。",
    "speech_dendrogram": "讲话的层次聚类树：越早（越靠左）合并的讲话用词越相似。",
    "theme_means_by": "按元数据分组的主题出现率均值（每千词）与 95% 区间：区间来自按讲话的自助抽样（每篇讲话是一个观测）；区间重叠很多时，组间差异可能只是讲话之间的差异。篇数不足的组不画出。",
    "topic_means_by": "按元数据分组的主题模型主题占比均值与 95% 区间（按讲话自助抽样）；篇数不足的组不画出。",
    "theme_year_trend": "主题出现率随年份的变化：灰点是单篇讲话，黑线与灰带是拟合值及其 95% 区间；只在已知年份足够多时绘制。",
    "topic_year_trend": "主题模型主题占比随年份的变化：灰点是单篇讲话，黑线与灰带是拟合值及其 95% 区间。",
    "term_trends": "用词随年份上升或下降最明显的词：点为每年变化（每千词），线为 95% 区间；q 值已做多重比较校正，q 大于 0.05 的趋势可能只是噪声。",
    "theme_network": "主题词的共现网络：深色为主题词，浅色为与之同句共现最强（PMI）的词；可据此补充主题词表（见 theme_suggestions.csv，不会自动写入）。",
}


def caption_for(figure_name: str) -> str:
    """The reading guide for a figure (``wordcloud_003`` uses ``wordcloud``)."""
    if figure_name in CAPTIONS:
        return CAPTIONS[figure_name]
    base = figure_name
    while "_" in base:
        base = base.rsplit("_", 1)[0]
        if base in CAPTIONS:
            return CAPTIONS[base]
    return "本次运行生成的图；数据见同名表格。"


# --------------------------------------------------------------------------- what a run made


@dataclass
class RunOutputs:
    """Tables, figures and notes of a run, found by name whatever stage made them."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    @classmethod
    def collect(cls, outputs: Mapping[str, Any]) -> RunOutputs:
        """From ``stage name -> StageOutput``."""
        run = cls()
        for stage, output in outputs.items():
            run.tables.update(output.tables)
            run.notes.update(getattr(output, "figure_notes", {}) or {})
            run.data.update(output.data)
            run.messages.extend(f"[{stage}] {m}" for m in output.messages)
            for name in output.files:
                stem, _, fmt = name.rpartition(".")
                if fmt in ("png", "svg", "pdf"):
                    run.figures.setdefault(stem, []).append(fmt)
                elif fmt == "html":
                    run.pages.append(name)
        return run


# --------------------------------------------------------------------------- tables shown


def _columns(*names: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda table: table[[c for c in names if c in table.columns]]


def _theme_matrix(table: pd.DataFrame) -> pd.DataFrame:
    return wide(table, "theme", "doc_id", "rate_per_1k").round(1)


def _top_keywords(table: pd.DataFrame) -> pd.DataFrame:
    return wide(table[table["rank"] <= 10], "rank", "doc_id", "term")


def _top_keyness(table: pd.DataFrame) -> pd.DataFrame:
    positive = table[table["chi2"] > 0].sort_values(["doc_id", "chi2"], ascending=[True, False])
    columns = ["doc_id", "term", "n_target", "n_reference", "chi2", "p"]
    return positive.groupby("doc_id").head(10)[[c for c in columns if c in positive]]


def _top_topic_words(table: pd.DataFrame) -> pd.DataFrame:
    return wide(table[table["rank"] <= 10], "rank", "topic", "word")


@dataclass(frozen=True)
class Shown:
    """A table shown in a section: name, caption, how it is cut down, row limit."""

    name: str
    caption: str
    prepare: Callable[[pd.DataFrame], pd.DataFrame] = lambda table: table
    limit: int = 200


@dataclass(frozen=True)
class Section:
    """A section of the page: its figures and tables by name, and what it finds."""

    key: str
    heading: str
    figures: tuple[str, ...]
    tables: tuple[Shown, ...]
    findings: Callable[[RunOutputs, Mapping[str, Any]], F.Findings]


def _settings(parameters: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    return parameters.get(section, {}) or {}


SECTIONS: tuple[Section, ...] = (
    Section(
        "corpus",
        "语料：有哪些讲话",
        ("corpus_overview",),
        (
            Shown(
                "corpus_overview",
                "语料概览",
                _columns(
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
            ),
        ),
        lambda run, p: F.corpus_findings(run.tables),
    ),
    Section(
        "themes",
        "主题比较：各篇讲话谈什么、谈多少",
        (
            "theme_heatmap",
            "theme_by_group",
            "theme_section_heatmap",
            "theme_dispersion",
        ),
        (
            Shown("theme_rates_by_speech", "主题 × 讲话（每千词）", _theme_matrix),
            Shown(
                "theme_rates_by_group",
                "按组合并的主题频率",
                _columns("group_by", "group", "theme", "n_speeches", "rate_per_1k"),
            ),
        ),
        lambda run, p: F.theme_findings(run.tables),
    ),
    Section(
        "compare",
        "组间比较：层级、年份之间的差别及其区间",
        (
            "theme_means_by_*",
            "topic_means_by_*",
            "theme_year_trend",
            "topic_year_trend",
            "term_trends",
        ),
        (
            Shown("theme_effects", "主题词频率的组间效应与区间"),
            Shown("topic_effects", "主题比重的组间效应与区间"),
            Shown("compare_notes", "数据不足、未作比较之处"),
        ),
        lambda run, p: F.effect_findings(run.tables),
    ),
    Section(
        "keywords",
        "关键词与关键性：各篇讲话的独特用词",
        ("keywords_per_speech", "keyness", "similarity_heatmap", "wordcloud_*"),
        (
            Shown("keywords_by_speech", "每篇讲话的关键词（TF-IDF 前 10）", _top_keywords),
            Shown("keyness", "每篇讲话的关键性词（前 10）", _top_keyness),
        ),
        lambda run, p: F.keyword_findings(
            run.tables, int(_settings(p, "figures").get("keyness_min_count", 1))
        ),
    ),
    Section(
        "topics",
        "主题模型：数据里自己浮现的主题",
        (
            "topic_words",
            "topic_prevalence",
            "topic_coherence",
            "topic_stability",
            "topic_section_heatmap",
            "theme_topic_prevalence",
        ),
        (
            Shown("topic_k_choice", "主题数的选择", _columns("k", "votes", "n_measures", "reason")),
            Shown(
                "topic_stability",
                "主题与稳定性",
                _columns("topic", "label", "mean_jaccard", "min_jaccard", "stable"),
            ),
            Shown("topic_words", "每个主题的前 10 个词", _top_topic_words),
            Shown("speech_topic", "每篇讲话的主题构成"),
            Shown(
                "topic_identity",
                "主题编号与上次运行的对应",
                _columns("topic", "label", "previous_topic", "status", "distance"),
            ),
        ),
        lambda run, p: F.topic_findings(
            run.tables, _settings(p, "topics"), run.data.get("unused_topic_labels", {})
        ),
    ),
    Section(
        "formulations",
        "提法：讲话共用哪些说法",
        ("formulations",),
        (Shown("formulations_by_speech", "提法 × 讲话"),),
        lambda run, p: F.formulation_findings(run.tables),
    ),
    Section(
        "lexicon",
        "词表扩充：主题词表之外的候选词",
        ("theme_network_*",),
        (
            Shown(
                "theme_suggestions",
                "各主题的候选词（未写入 themes.toml）",
                _columns("theme", "rank", "candidate", "count", "score", "method", "kwic_1"),
            ),
        ),
        lambda run, p: F.suggestion_findings(run.tables),
    ),
    Section(
        "clusters",
        "段落聚类：讲话内容能否分组",
        ("cluster_silhouette", "cluster_map", "cluster_spread", "speech_dendrogram"),
        (Shown("cluster_summary", "聚类概况"),),
        lambda run, p: F.cluster_findings(run.tables),
    ),
)


def _merged(*parts: F.Findings) -> F.Findings:
    merged = F.Findings()
    for part in parts:
        merged.sentences.extend(part.sentences)
        merged.caveats.extend(part.caveats)
    return merged


# --------------------------------------------------------------------------- blocks


def _matching(run: RunOutputs, patterns: tuple[str, ...]) -> list[str]:
    """Figure names of the run in the order of ``patterns`` (``name*`` matches a prefix)."""
    names: list[str] = []
    for pattern in patterns:
        if pattern.endswith("*"):
            names.extend(sorted(n for n in run.figures if n.startswith(pattern[:-1])))
        elif pattern in run.figures:
            names.append(pattern)
    return list(dict.fromkeys(names))


def figure_html(name: str, number: int, run: RunOutputs) -> str:
    """A figure: the PNG (linking to the vector file), its caption, notes and downloads.

    Links quote the file name, so a doc_id with ``#``, ``?`` or ``%`` stays a file name.
    """
    formats = run.figures.get(name, [])
    vector = "svg" if "svg" in formats else ("pdf" if "pdf" in formats else "png")
    link = html.escape(quote(name))
    notes = "".join(
        f"<span class='note'>{html.escape(n)}。</span>" for n in run.notes.get(name, [])
    )
    files = " · ".join(
        f"<a href='{link}.{fmt}'>{fmt.upper()}</a>"
        for fmt in ("pdf", "svg", "png")
        if fmt in formats
    )
    image = f"{link}.png" if "png" in formats else f"{link}.{vector}"
    return (
        f"<figure id='fig-{html.escape(name)}' data-figure='{html.escape(name)}'>"
        f"<a href='{link}.{vector}'><img src='{image}' alt='{html.escape(caption_for(name))}'></a>"
        f"<figcaption><b>图 {number}</b> {html.escape(caption_for(name))}{notes}"
        f"<span class='files'>{files} · <code>{html.escape(name)}</code></span></figcaption>"
        "</figure>"
    )


def _findings_html(found: F.Findings) -> tuple[str, str]:
    sentences = "".join(f"<p class='finding'>{html.escape(s)}</p>" for s in found.sentences)
    caveats = ""
    if found.caveats:
        items = "".join(f"<li>{html.escape(c)}</li>" for c in found.caveats)
        caveats = f"<div class='caveats'><b>注意：数据偏薄之处</b><ul>{items}</ul></div>"
    return sentences, caveats


def _tables_html(section: Section, run: RunOutputs) -> str:
    blocks = []
    for shown in section.tables:
        table = run.tables.get(shown.name)
        if table is None or table.empty:
            continue
        try:
            prepared = shown.prepare(table)
        except (KeyError, ValueError, TypeError):
            prepared = table
        blocks.append(table_details(prepared, shown.caption, f"{shown.name}.csv", shown.limit))
    return "".join(blocks)


def section_html(
    section: Section, run: RunOutputs, parameters: Mapping[str, Any], first_figure: int
) -> tuple[str, F.Findings, int]:
    """One section's HTML, its findings and how many figures it numbered."""
    found = section.findings(run, parameters)
    names = _matching(run, section.figures)
    if not names and not found.sentences:
        return "", found, 0
    sentences, caveats = _findings_html(found)
    figures = "".join(figure_html(n, first_figure + i, run) for i, n in enumerate(names))
    extra = _section_extra(section.key, run)
    body = f"{sentences}{figures}{extra}{caveats}{_tables_html(section, run)}"
    heading = f"<h2 id='{section.key}'>{html.escape(section.heading)}</h2>"
    return f"<section>{heading}{body}</section>", found, len(names)


def _section_extra(key: str, run: RunOutputs) -> str:
    """The topic page (topics) and what a section left out of its figures (clusters)."""
    if key == "topics":
        ldavis = [page for page in run.pages if page.endswith("ldavis.html")]
        if ldavis:
            page = html.escape(ldavis[0])
            return (
                "<h3 id='ldavis'>交互式主题视图</h3>"
                "<p>左侧每个圆是一个主题（面积为比重，距离近的主题用词相近），右侧为所选主题最相关的词；"
                f"λ 调节按频率还是按专属程度排序。<a href='{page}'>在新页面打开</a>。</p>"
                f"<iframe src='{page}' title='交互式主题视图'></iframe>"
            )
    if key == "clusters":
        left_out = [m for m in run.messages if "cluster map left out" in m]
        if left_out:
            return (
                "<p class='note'>段落二维分布图未画出：所选聚类的平均轮廓系数低于 "
                "[figures] cluster_map_min_silhouette，这时的“分组”只是噪声。</p>"
            )
    return ""


# --------------------------------------------------------------------------- provenance


def _provenance_html(summary: Mapping[str, Any], run: RunOutputs) -> str:
    """Corpus hash, files, libraries, parameters, the workbook and skipped files."""
    speeches = summary.get("speeches", {})
    files = pd.DataFrame(
        [
            {"doc_id": doc_id, "file": info["file"], "sha256": info["sha256"][:16]}
            for doc_id, info in speeches.items()
        ]
    )
    parameters = pd.DataFrame(
        [
            {"节": section, "参数": key, "值": str(value)}
            for section, values in summary.get("parameters", {}).items()
            for key, value in (values or {}).items()
        ]
    )
    libraries = "，".join(
        f"{html.escape(k)} {html.escape(str(v))}" for k, v in summary.get("libraries", {}).items()
    )
    parts = [
        "<h2 id='provenance'>运行信息</h2>",
        f"<p>语料哈希 <code>{html.escape(str(summary.get('corpus_hash', ''))[:16])}</code>，"
        f"{len(speeches)} 篇讲话。全部表格在 <code>data/processed/</code>（CSV，UTF-8），"
        f"也合在一个 Excel 工作簿 <code>{html.escape(str(summary.get('workbook', '')))}</code> 中"
        "（doc_id 为文本）；完整记录见 <code>data/processed/manifest.json</code>。</p>",
        f"<p>库版本：{libraries}</p>",
    ]
    skipped = run.tables.get("load_report")
    if skipped is not None and "status" in skipped:
        skipped = skipped[skipped["status"].astype(str) != "loaded"]
        if len(skipped):
            parts.append(table_details(skipped, "未能载入或重复的文件", "load_report.csv"))
    if len(files):
        parts.append(table_details(files, "讲话文件与哈希", "manifest.json"))
    if len(parameters):
        parts.append(table_details(parameters, "本次运行的参数", "speechtopics.toml", 500))
    return "".join(parts)


# --------------------------------------------------------------------------- page

STYLE = f"""
{FONT_FACE_CSS}
body {{ font-family: "{REPORT_FONT_FAMILY}", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
       "Microsoft YaHei", sans-serif; max-width: 960px; margin: 1.2em auto; padding: 0 1em;
       color: #222; line-height: 1.6; }}
h1 {{ font-size: 1.5em; margin: 0 0 .2em; }}
h2 {{ border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }}
nav.toc {{ font-size: .92em; margin: .4em 0 .8em; }}
nav.toc a {{ margin-right: 1em; white-space: nowrap; }}
.key {{ background: #f6f6f2; border-left: 4px solid #888; padding: .3em .8em; font-size: .92em; }}
.key ul {{ margin: .2em 0; padding-left: 1.2em; }}
p.finding {{ margin: .4em 0; }}
figure {{ margin: 1em 0 1.6em; }}
figure img {{ max-width: 100%; border: 1px solid #eee; }}
figcaption {{ font-size: .9em; color: #444; }}
figcaption .note {{ color: #8a4b00; margin-left: .3em; }}
figcaption .files {{ display: block; color: #777; }}
p.note {{ color: #8a4b00; font-size: .92em; }}
.caveats {{ background: #fff7e6; border-left: 4px solid #d19a2a; padding: .3em .8em; margin: 1em 0; font-size: .92em; }}
.caveats ul {{ margin: .2em 0; padding-left: 1.2em; }}
details.table {{ margin: .4em 0; }}
details.table summary {{ cursor: pointer; color: #333; }}
table.table {{ border-collapse: collapse; font-size: .85em; margin: .5em 0 1em; }}
table.table th, table.table td {{ border: 1px solid #ddd; padding: .2em .5em; text-align: left; vertical-align: top; }}
iframe {{ width: 100%; height: 900px; border: 1px solid #ddd; }}
"""


def _key_findings(found: list[tuple[Section, F.Findings]]) -> str:
    items = "".join(
        f"<li><a href='#{section.key}'>{html.escape(section.heading.split('：')[0])}</a>："
        f"{html.escape(findings.headline)}</li>"
        for section, findings in found
        if findings.headline
    )
    caveats = sum(len(findings.caveats) for _, findings in found)
    note = f"<p>各节的“注意”列出数据偏薄之处（共 {caveats} 处）。</p>" if caveats else ""
    return f"<div class='key'><b>要点</b><ul>{items}</ul>{note}</div>" if items else ""


def report_caveats(summary: Mapping[str, Any], outputs: Mapping[str, Any]) -> list[str]:
    """Every caveat the page shows (for the run summary's “where the data are thin”)."""
    run = RunOutputs.collect(outputs)
    parameters = summary.get("parameters", {})
    return [c for section in SECTIONS for c in section.findings(run, parameters).caveats]


def build_index_html(corpus_summary: Mapping[str, Any], outputs: Mapping[str, Any]) -> str:
    """The report page.

    Parameters
    ----------
    corpus_summary : mapping
        ``title``, ``corpus_hash``, ``speeches`` (doc_id → file, sha256),
        ``parameters`` (every settings section), ``libraries`` (name →
        version), ``workbook`` (where the Excel workbook is) and ``tables``
        (tables no stage output holds, such as ``load_report``).
    outputs : mapping
        Stage name → :class:`~speechtopics.pipeline.StageOutput` of this run.

    Returns
    -------
    str
        HTML (UTF-8) referring to figures by relative file name.
    """
    run = RunOutputs.collect(outputs)
    run.tables.update(corpus_summary.get("tables", {}))
    parameters = corpus_summary.get("parameters", {})
    blocks, found, number = [], [], 1
    for section in SECTIONS:
        block, section_found, figures = section_html(section, run, parameters, number)
        if block:
            blocks.append(block)
            found.append((section, section_found))
            number += figures
    shown = {n for s in SECTIONS for n in _matching(run, s.figures)}
    rest = [n for n in sorted(run.figures) if n not in shown]
    if rest:
        figures = "".join(figure_html(n, number + i, run) for i, n in enumerate(rest))
        blocks.append(f"<section><h2 id='more'>其他图</h2>{figures}</section>")
    blocks.append(f"<section>{_provenance_html(corpus_summary, run)}</section>")
    toc = "".join(
        f"<a href='#{s.key}'>{html.escape(s.heading.split('：')[0])}</a>" for s, _ in found
    )
    toc += "<a href='#more'>其他图</a>" if rest else ""
    toc += "<a href='#provenance'>运行信息</a>"
    title = html.escape(str(corpus_summary.get("title", "speechtopics 报告")))
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{title}</h1>
<nav class="toc">{toc}</nav>
{_key_findings(found)}
{chr(10).join(blocks)}
</body>
</html>
"""


__all__ = [
    "CAPTIONS",
    "SECTIONS",
    "build_index_html",
    "caption_for",
    "report_caveats",
    "table_html",
]
