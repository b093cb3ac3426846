"""Findings and caveats of the report, written from the result tables.

Every function takes the run's tables (``name -> DataFrame``) and returns
:class:`Findings`: two or three sentences saying what the numbers show
(“001 uses 三服务 at 15.0 per 1,000 tokens, 2.0 times any other speech”) and
the caveats where the data are too thin to lean on (one-speech groups, a
chosen K at the edge of the range, silhouettes near zero). Nothing here
draws or writes; the page (:mod:`speechtopics.report.index`) lays them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.themes.rates import MISSING_GROUP
from ..plots import GROUPING_NAMES

Tables = Mapping[str, pd.DataFrame]

#: Speeches shorter than this (tokens after stopwords) get a caveat: their rates swing.
SHORT_SPEECH_TOKENS = 300
#: Fewer speeches than this: comparisons describe these speeches only.
FEW_SPEECHES = 10
#: Mean silhouettes below this count as "no clear groups".
WEAK_SILHOUETTE = 0.1
#: Fewer topic-model units than this: topics are rough.
FEW_TOPIC_UNITS = 200
#: Groups of speeches without the metadata value (their caveat is the missing metadata).
UNNAMED_GROUPS = (MISSING_GROUP, "")
SPACE_NAMES = {"tfidf": "TF-IDF 空间", "topic": "主题向量空间"}
MEASURE_NAMES = {
    "c_npmi": "c_npmi",
    "c_v": "c_v",
    "u_mass": "u_mass",
    "perplexity": "留出困惑度",
    "stability": "种子间一致性",
}


@dataclass
class Findings:
    """What a section of the report says: findings first, then caveats."""

    sentences: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    key: str = ""

    @property
    def headline(self) -> str:
        """The one sentence for the page's key findings (``key``, else the first sentence)."""
        return self.key or (self.sentences[0] if self.sentences else "")


def _ids(values) -> str:
    return "、".join(str(v) for v in values)


# --------------------------------------------------------------------------- corpus


def corpus_findings(tables: Tables) -> Findings:
    """Size of the corpus, the longest and shortest speech, noise removed, metadata."""
    found = Findings()
    overview = tables.get("corpus_overview")
    if overview is None or overview.empty:
        return found
    tokens = overview.set_index("doc_id")["tokens"].astype(int)
    found.sentences.append(
        f"语料共 {len(overview)} 篇讲话、{int(overview['paragraphs'].sum())} 个段落、"
        f"{int(tokens.sum()):,} 个词（去停用词后）；最长的是 {tokens.idxmax()}（{tokens.max():,} 词），"
        f"最短的是 {tokens.idxmin()}（{tokens.min():,} 词）。"
    )
    raw = overview["chars_raw"].astype(float)
    removed = (raw - overview["chars_clean"].astype(float)).clip(lower=0)
    if removed.sum() > 0:
        share = removed / raw.replace(0, np.nan)
        worst = int(share.fillna(0).to_numpy().argmax())
        found.sentences.append(
            f"清洗去掉了 {removed.sum() / raw.sum():.0%} 的字符（网页噪声、水印、乱码），"
            f"最多的是 {overview['doc_id'].iloc[worst]}（{share.iloc[worst]:.0%}）。"
        )
    found.sentences.extend(_metadata_sentence(overview))
    found.caveats.extend(_corpus_caveats(overview, tokens))
    return found


def _metadata_sentence(overview: pd.DataFrame) -> list[str]:
    parts = []
    if "level" in overview:
        levels = overview["level"].fillna("").astype(str)
        counts = levels[levels != ""].value_counts()
        if len(counts):
            parts.append("层级：" + "、".join(f"{name} {n} 篇" for name, n in counts.items()))
    if "year" in overview:
        years = pd.to_numeric(overview["year"], errors="coerce").dropna().astype(int)
        if len(years):
            span = (
                str(years.min()) if years.min() == years.max() else f"{years.min()}–{years.max()}"
            )
            parts.append(f"年份 {span}")
    return ["；".join(parts) + "。"] if parts else []


def _corpus_caveats(overview: pd.DataFrame, tokens: pd.Series) -> list[str]:
    caveats = []
    if len(overview) < FEW_SPEECHES:
        caveats.append(
            f"只有 {len(overview)} 篇讲话：讲话之间的比较只描述这几篇，不能推到其他讲话。"
        )
    short = tokens[tokens < SHORT_SPEECH_TOKENS]
    if len(short):
        caveats.append(
            f"{_ids(short.index)} 不到 {SHORT_SPEECH_TOKENS} 个词：其比率和主题比重随几个词就会变。"
        )
    for column, name in (("level", "层级"), ("year", "年份")):
        if column in overview:
            missing = overview.loc[overview[column].fillna("").astype(str) == "", "doc_id"]
            if len(missing):
                caveats.append(f"{_ids(missing)} 没有{name}，不进入按{name}的比较。")
    return caveats


# --------------------------------------------------------------------------- themes


def theme_findings(tables: Tables) -> Findings:
    """The most and least used theme, the themes one speech stands out on, thin groups."""
    found = Findings()
    rates = tables.get("theme_rates_by_speech")
    if rates is None or rates.empty:
        return found
    pooled = rates.groupby("theme", sort=False)[["hits", "tokens"]].sum()
    pooled_rate = (pooled["hits"] / pooled["tokens"].replace(0, np.nan) * 1000).dropna()
    if len(pooled_rate):
        found.sentences.append(
            f"全部讲话合计，最常出现的主题是“{pooled_rate.idxmax()}”（每千词 {pooled_rate.max():.1f} 次），"
            f"最少的是“{pooled_rate.idxmin()}”（{pooled_rate.min():.1f} 次）。"
        )
    standouts = _standout_sentences(rates)
    found.sentences.extend(standouts)
    found.key = standouts[0] if standouts else ""
    unused = pooled.index[pooled["hits"] == 0]
    if len(unused):
        found.caveats.append(f"主题“{'”“'.join(unused)}”在所有讲话中都没有出现。")
    found.caveats.extend(_group_caveats(tables.get("theme_rates_by_group")))
    return found


def _standout_sentences(rates: pd.DataFrame, most: int = 2) -> list[str]:
    """Themes where one speech's rate is far above every other speech's."""
    standouts = []
    for theme, part in rates.groupby("theme", sort=False):
        ordered = part.sort_values("rate_per_1k", ascending=False, kind="stable")
        if len(ordered) < 2 or ordered["rate_per_1k"].iloc[0] <= 0:
            continue
        top, second = ordered.iloc[0], ordered.iloc[1]
        ratio = top["rate_per_1k"] / second["rate_per_1k"] if second["rate_per_1k"] > 0 else np.inf
        standouts.append((ratio, theme, top, second))
    standouts = sorted((s for s in standouts if s[0] >= 1.5), key=lambda s: -s[0])[:most]
    sentences = []
    for ratio, theme, top, second in standouts:
        if np.isinf(ratio):
            sentences.append(
                f"只有 {top['doc_id']} 用到“{theme}”的词（每千词 {top['rate_per_1k']:.1f} 次）。"
            )
        else:
            sentences.append(
                f"{top['doc_id']} 使用“{theme}”每千词 {top['rate_per_1k']:.1f} 次，是其余讲话中最高者"
                f"（{second['doc_id']}，{second['rate_per_1k']:.1f}）的 {ratio:.1f} 倍。"
            )
    return sentences


def _group_caveats(groups: pd.DataFrame | None) -> list[str]:
    if groups is None or groups.empty:
        return []
    caveats = []
    sizes = groups.drop_duplicates(["group_by", "group"])
    for grouping, part in sizes.groupby("group_by", sort=False):
        named = part[~part["group"].astype(str).isin(UNNAMED_GROUPS)]
        single = named.loc[named["n_speeches"].astype(int) == 1, "group"].astype(str).tolist()
        if single:
            name = GROUPING_NAMES.get(grouping, grouping)
            caveats.append(
                f"按{name}分组时，{_ids(single)} 各只有 1 篇讲话：这些组之间的差异就是单篇讲话之间的差异。"
            )
    return caveats


_EFFECT_COLUMNS = ("estimate", "effect", "difference", "coef")
_INTERVAL_COLUMNS = (("ci_low", "ci_high"), ("lower", "upper"), ("conf_low", "conf_high"))


def effect_findings(tables: Tables) -> Findings:
    """Effects with intervals (``theme_effects``, ``topic_effects``): how many intervals exclude 0."""
    found = Findings()
    found.sentences.extend(_group_size_sentences(tables.get("theme_group_means")))
    for name, what in (("theme_effects", "主题词频率"), ("topic_effects", "主题比重")):
        table = tables.get(name)
        if table is None or table.empty:
            continue
        effect = next((c for c in _EFFECT_COLUMNS if c in table), None)
        interval = next((pair for pair in _INTERVAL_COLUMNS if set(pair) <= set(table)), None)
        if effect is None or interval is None:
            found.sentences.append(f"{what}的组间效应见下表（{name}.csv）。")
            continue
        estimated = table[table[effect].notna() & table[interval[0]].notna()]
        if estimated.empty:
            found.caveats.append(
                f"{what}没有估计组间效应：每组的讲话太少或已知年份太少（原因见 compare_notes）。"
            )
            continue
        low = estimated[interval[0]].astype(float)
        high = estimated[interval[1]].astype(float)
        clear = (low > 0) | (high < 0)
        found.sentences.append(
            f"{what}的 {len(estimated)} 个组间效应中，{int(clear.sum())} 个的区间不含 0。"
        )
        if not clear.any():
            found.caveats.append(f"{what}的效应区间都含 0：数据不足以说明组间有差别。")
    return found


def _group_size_sentences(group_means: pd.DataFrame | None) -> list[str]:
    """The speeches per group of each grouping: what every comparison rests on."""
    if group_means is None or group_means.empty:
        return []
    sizes = group_means.drop_duplicates(["by", "group"])
    return [
        f"按{GROUPING_NAMES.get(by, by)}分组的讲话篇数："
        + "、".join(
            f"{g} {int(n)} 篇" for g, n in zip(part["group"], part["n_speeches"], strict=True)
        )
        + "。"
        for by, part in sizes.groupby("by", sort=False)
    ]


def suggestion_findings(tables: Tables) -> Findings:
    """How many candidate terms were listed per theme, by which method; the top one of each."""
    found = Findings()
    table = tables.get("theme_suggestions")
    if table is None or table.empty:
        return found
    methods = "、".join(sorted(set(table["method"].astype(str))))
    found.sentences.append(
        f"为 {table['theme'].nunique()} 个主题各列出至多 {int(table['rank'].max())} 个候选词"
        f"（方法：{methods}），没有写入 themes.toml：逐一看例句后再决定是否加入。"
    )
    first = table[table["rank"] == 1].head(8)
    if len(first):
        found.sentences.append(
            "各主题的首选候选词："
            + "；".join(f"{r.theme}“{r.candidate}”" for r in first.itertuples())
            + "。"
        )
    return found


# --------------------------------------------------------------------------- keywords


def keyword_findings(tables: Tables, min_count: int = 1) -> Findings:
    """The most distinctive word of each speech and the most and least similar pair."""
    found = Findings()
    keyness = tables.get("keyness")
    if keyness is not None and not keyness.empty:
        kept = keyness[(keyness["chi2"] > 0) & (keyness["n_target"] >= min_count)]
        kept = kept[kept["p"] < 0.05] if "p" in kept else kept
        top = (
            kept.sort_values(["doc_id", "chi2"], ascending=[True, False]).groupby("doc_id").head(1)
        )
        if len(top):
            found.sentences.append(
                "各篇最显著多用的词（本篇次数/其余讲话次数）："
                + "；".join(
                    f"{r.doc_id}“{r.term}”（{int(r.n_target)}/{int(r.n_reference)}）"
                    for r in top.head(8).itertuples()
                )
                + ("……" if len(top) > 8 else "")
                + "。"
            )
    similarity = tables.get("speech_similarity")
    if similarity is not None and not similarity.empty:
        pairs = similarity[similarity["doc_id"] < similarity["other_doc_id"]]
        if len(pairs):
            high = pairs.loc[pairs["cosine"].idxmax()]
            low = pairs.loc[pairs["cosine"].idxmin()]
            found.sentences.append(
                f"用词最接近的是 {high['doc_id']} 与 {high['other_doc_id']}（余弦 {high['cosine']:.2f}），"
                f"最不接近的是 {low['doc_id']} 与 {low['other_doc_id']}（{low['cosine']:.2f}）。"
            )
    return found


# --------------------------------------------------------------------------- topics


def topic_findings(
    tables: Tables, settings: Mapping[str, Any], unused_labels: Mapping[str, str]
) -> Findings:
    """The chosen K and why, how many topics are stable, the largest topic; caveats on K."""
    found = Findings()
    choice, stability = tables.get("topic_k_choice"), tables.get("topic_stability")
    if choice is None or choice.empty:
        return found
    k = int(choice["k"].iloc[0])
    sweep = tables.get("topic_k_sweep")
    ks = sorted(sweep["k"].unique()) if sweep is not None else [k]
    found.sentences.append(
        f"在 K = {ks[0]}–{ks[-1]} 中选出 K = {k}：{int(choice['votes'].iloc[0])} / "
        f"{int(choice['n_measures'].iloc[0])} 项指标在 K = {k} 时最好或与最好相差不到一个标准误。"
    )
    if stability is not None and len(stability):
        stable = stability["stable"].astype(bool)
        threshold = settings.get("stability_threshold", 0.6)
        found.sentences.append(
            f"{int(stable.sum())} / {len(stability)} 个主题在 {int(stability['n_seeds'].iloc[0])} 个随机种子间稳定"
            f"（前 20 词的 Jaccard ≥ {threshold:g}）。"
        )
        if (~stable).any():
            found.caveats.append(
                f"{_ids(stability.loc[~stable, 'topic'])} 不稳定：换一个随机种子就换了样，不宜解读。"
            )
    largest = _largest_topic(tables.get("speech_topic"), stability)
    found.sentences.extend(largest)
    found.key = f"K = {k}；" + largest[0] if largest else ""
    found.caveats.extend(_k_caveats(k, ks, tables.get("topic_k_summary")))
    doc_topic = tables.get("doc_topic")
    if doc_topic is not None and 0 < len(doc_topic) < FEW_TOPIC_UNITS:
        found.caveats.append(
            f"主题模型只在 {len(doc_topic)} 个段落上拟合：主题是粗线条的，细分主题需要更多讲话。"
        )
    for name, label in unused_labels.items():
        found.caveats.append(
            f"topic_labels.toml 给 {name} 起了标签“{label}”，但本次没有主题 {name}（已消失或未拟合）；标签仍留在文件中。"
        )
    return found


def _largest_topic(speech_topic: pd.DataFrame | None, stability) -> list[str]:
    if speech_topic is None or speech_topic.empty:
        return []
    names = [c for c in speech_topic.columns if c not in ("doc_id", "title", "n_units", "n_tokens")]
    weights = speech_topic["n_tokens"].astype(float)
    shares = (speech_topic[names].astype(float).mul(weights, axis=0)).sum() / max(weights.sum(), 1)
    labels = (
        dict(zip(stability["topic"], stability["label"], strict=True))
        if stability is not None
        else {}
    )
    largest = shares.idxmax()
    values = speech_topic.set_index("doc_id")[names].astype(float)
    row, column = np.unravel_index(np.nanargmax(values.to_numpy()), values.shape)
    return [
        f"最大的主题是 {largest}“{labels.get(largest, '')}”，占全部词的 {shares.max():.0%}；"
        f"单篇中比重最高的是 {names[column]} 在 {values.index[row]} 中（{values.iloc[row, column]:.0%}）。"
    ]


def _k_caveats(k: int, ks: list[int], summary: pd.DataFrame | None) -> list[str]:
    caveats = []
    if len(ks) > 1 and k in (ks[0], ks[-1]):
        edge = "下限" if k == ks[0] else "上限"
        other = "更少" if k == ks[0] else "更多"
        caveats.append(
            f"所选 K = {k} 是所试范围（{ks[0]}–{ks[-1]}）的{edge}：{other}的主题没有试过，也许更合适。"
        )
    if summary is not None and len(summary):
        row = summary[summary["k"].astype(int) == k]
        for measure, name in MEASURE_NAMES.items():
            column = f"{measure}_rank"
            if len(row) and column in row and int(row[column].iloc[0]) == len(summary):
                caveats.append(f"按 {name} 指标，K = {k} 在 {len(summary)} 个取值中排最后。")
    return caveats


# --------------------------------------------------------------------------- formulations


def formulation_findings(tables: Tables) -> Findings:
    """How many formulations, how many shared, the most shared and the most repeated."""
    found = Findings()
    matrix = tables.get("formulations_by_speech")
    if matrix is None or matrix.empty:
        return found
    doc_ids = [c for c in matrix.columns if c not in ("formulation", "kind", "n_speeches", "total")]
    shared = matrix[matrix["n_speeches"].astype(int) >= 2]
    widest = matrix.sort_values(["n_speeches", "total"], ascending=False, kind="stable").iloc[0]
    found.sentences.append(
        f"共找到 {len(matrix)} 个提法，{len(shared)} 个被两篇及以上讲话共用；"
        f"共用最广的是“{widest['formulation']}”（{int(widest['n_speeches'])} 篇）。"
    )
    counts = matrix.set_index("formulation")[doc_ids].astype(float)
    if counts.size:
        row, column = np.unravel_index(np.nanargmax(counts.to_numpy()), counts.shape)
        found.sentences.append(
            f"单篇用得最多的是 {doc_ids[column]} 的“{counts.index[row]}”（{int(counts.iloc[row, column])} 次）。"
        )
    recall = tables.get("formulation_recall")
    if recall is not None and len(recall):
        in_text = recall[recall["in_text"].astype(str) != ""]
        if len(in_text):
            found.sentences.append(
                f"对照 formulations.txt 中文本里出现的 {len(in_text)} 个参考提法，"
                f"找到 {int(in_text['found'].astype(bool).sum())} 个。"
            )
    if len(matrix) and len(shared) / len(matrix) < 0.3:
        found.caveats.append(
            f"{1 - len(shared) / len(matrix):.0%} 的提法只出现在一篇讲话中：它们多是各篇自己的说法，"
            "比较讲话时以共用的提法为主。"
        )
    return found


# --------------------------------------------------------------------------- clusters


def cluster_findings(tables: Tables) -> Findings:
    """The chosen k and silhouette of each clustering; caveats where the groups are not clear."""
    found = Findings()
    summary = tables.get("cluster_summary")
    if summary is None or summary.empty:
        return found
    for space, part in summary.groupby("space", sort=False):
        parts = [
            f"{r.method} 选出 k = {int(r.k)}（平均轮廓系数 {r.silhouette:.3f}）"
            for r in part.itertuples()
        ]
        found.sentences.append(f"{SPACE_NAMES.get(space, space)}：" + "，".join(parts) + "。")
    best = summary.loc[summary["silhouette"].idxmax()]
    found.key = (
        f"最清楚的分组在{SPACE_NAMES.get(best['space'], best['space'])}（{best['method']}，"
        f"k = {int(best['k'])}，轮廓系数 {best['silhouette']:.3f}）。"
    )
    for r in summary.itertuples():
        if r.silhouette < WEAK_SILHOUETTE:
            found.caveats.append(
                f"{SPACE_NAMES.get(r.space, r.space)}的 {r.method} 轮廓系数 {r.silhouette:.3f} 接近 0："
                "段落没有分成清楚的组，这些簇只是对连续变化的一种切分。"
            )
    return found
