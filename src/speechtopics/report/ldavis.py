"""The offline pyLDAvis page of the reported topics (scripts and styles inlined)."""

from __future__ import annotations

import html
import warnings
from collections.abc import Sequence
from importlib import resources

import numpy as np

from ..analysis.topics.align import _normalise_rows
from ..analysis.topics.describe import term_frequency
from ..analysis.topics.ensemble import TopicEnsemble, infer_doc_topic
from ..analysis.vectors import Bow
from .fonts import FONT_FACE_CSS, REPORT_FONT_FAMILY

LDAVIS_ELEMENT_ID = "ldavis_topics"


def _ldavis_asset(name: str) -> str:
    return (resources.files("pyLDAvis") / "js" / name).read_text(encoding="utf-8")


def _inline_script(code: str) -> str:
    return code.replace("</script", "<\\/script")


#: English labels of the LDAvis script and their Chinese versions (JavaScript source).
LDAVIS_LABELS: tuple[tuple[str, str], ...] = (
    ('"Marginal topic distribution"', '"主题的边际分布"'),
    ('"Intertopic Distance Map (via multidimensional scaling)"', '"主题间距离图（多维尺度分析）"'),
    ('"Overall term frequency"', '"词在全部语料中的频数"'),
    ('"Estimated term frequency within the selected topic"', '"词在所选主题中的估计频数"'),
    (
        '"1. saliency(term w) = frequency(w) * [sum_t p(t | w) * log(p(t | w)/p(t))] '
        'for topics t; see Chuang et. al (2012)"',
        '"1. 显著度(w) = 频数(w) × Σt p(t|w)·log(p(t|w)/p(t))"',
    ),
    (
        '"2. relevance(term w | topic t) = \\u03BB * p(w | t) + (1 - \\u03BB) * p(w | t)/p(w); '
        'see Sievert & Shirley (2014)"',
        '"2. 相关度(w|t) = λ·p(w|t) + (1 − λ)·p(w|t)/p(w)"',
    ),
    ('"Top-" + R + " Most Salient Terms"', '"最显著的前 " + R + " 个词"'),
    (
        '"Top-" + R + " Most Relevant Terms for Topic " + topics + " (" + Freq + "% of tokens)"',
        '"主题 " + topics + " 最相关的前 " + R + " 个词（占全部词的 " + Freq + "%）"',
    ),
    (
        '"Conditional topic distribution given term = \'" + term.innerHTML + "\'"',
        '"含词“" + term.innerHTML + "”的主题分布"',
    ),
    ('"Selected Topic: <span id=\'"', '"所选主题：<span id=\'"'),
    ('"Previous Topic"', '"上一个主题"'),
    ('"Next Topic"', '"下一个主题"'),
    ('"Clear Topic"', '"清除选择"'),
    ('"Slide to adjust relevance metric:"', '"拖动滑块调整相关度 λ："'),
)

#: Padding of the intertopic map computed from the largest circle, so no circle is cut off.
_CIRCLE_PADDING = """
        var circleRadiusMax = d3.max(mdsData, function(d) {
            return Math.sqrt((d.Freq/100)*mdswidth*mdsheight*circle_prop/Math.PI);
        }) + 6;
        var circlePad = Math.max(0.05, circleRadiusMax / Math.max(mdswidth - 2 * circleRadiusMax, 1));
"""


def localised_ldavis_script(code: str) -> str:
    """The LDAvis script with Chinese labels in the report's font and a map padded for its largest circle.

    Labels the installed pyLDAvis version does not have are left as they are.
    """
    for english, chinese in LDAVIS_LABELS:
        code = code.replace(english, chinese)
    code = code.replace(
        "font-family: sans-serif", f"font-family: '{REPORT_FONT_FAMILY}', sans-serif"
    )
    anchor = "var xrange = d3.extent(mdsData"
    if anchor in code and "xpad = 0.05" in code and "ypad = 0.05" in code:
        code = code.replace(anchor, _CIRCLE_PADDING + "        " + anchor, 1)
        code = code.replace("xpad = 0.05", "xpad = circlePad", 1)
        code = code.replace("ypad = 0.05", "ypad = circlePad", 1)
    return code


def ldavis_html(
    topic_word: np.ndarray,
    doc_topic: np.ndarray,
    doc_lengths: Sequence[int],
    vocab: Sequence[str],
    term_frequency: Sequence[float],
    labels: Sequence[str] = (),
    title: str = "主题模型（pyLDAvis）",
    relevant_terms: int = 30,
) -> bytes:
    """A self-contained pyLDAvis page: d3, LDAvis JS and CSS inlined from the pyLDAvis package.

    The page loads nothing from the network (pyLDAvis's own HTML links them
    from a CDN). Topics keep their numbering (``T1`` is topic 1 in the page).

    Parameters
    ----------
    topic_word : ndarray, shape (K, V)
    doc_topic : ndarray, shape (n_units, K)
        Rows sum to 1.
    doc_lengths : sequence of int
        Tokens of each unit.
    vocab : sequence of str
    term_frequency : sequence of float
        Corpus count of each word.
    labels : sequence of str
        One label per topic, listed above the chart.
    title : str
        Page title.
    relevant_terms : int
        Words shown per topic.

    Returns
    -------
    bytes
        UTF-8 HTML.
    """
    data = _prepared_json(topic_word, doc_topic, doc_lengths, vocab, term_frequency, relevant_terms)
    return _page_html(data, labels, title).encode("utf-8")


def _prepared_json(topic_word, doc_topic, doc_lengths, vocab, term_frequency, relevant_terms):
    """pyLDAvis's data for the page (JSON text), topics in their own order, axes in Chinese."""
    import pyLDAvis

    keep = np.asarray(term_frequency, dtype=float) > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = pyLDAvis.prepare(
            topic_term_dists=_normalise_rows(np.asarray(topic_word)[:, keep]),
            doc_topic_dists=_normalise_rows(doc_topic),
            doc_lengths=list(doc_lengths),
            vocab=[word for word, ok in zip(vocab, keep, strict=True) if ok],
            term_frequency=np.asarray(term_frequency, dtype=float)[keep],
            R=min(relevant_terms, int(keep.sum())),
            sort_topics=False,
            n_jobs=1,
            start_index=1,
            plot_opts={"xlab": "主成分 1", "ylab": "主成分 2"},
        )
        return prepared.to_json()


def _page_html(data: str, labels: Sequence[str], title: str) -> str:
    """The page around pyLDAvis's data: scripts and styles inlined, labels listed above."""
    import os

    from pyLDAvis import urls

    d3 = _ldavis_asset(os.path.basename(urls.D3_LOCAL))
    ldavis = localised_ldavis_script(_ldavis_asset(os.path.basename(urls.LDAVIS_LOCAL)))
    css = _ldavis_asset(os.path.basename(urls.LDAVIS_CSS_LOCAL)).replace(
        "font-family: sans-serif", f"font-family: '{REPORT_FONT_FAMILY}', sans-serif"
    )
    data_script = _inline_script(data.replace("</", "<\\/"))
    legend = "".join(
        f"<li>主题 {i + 1}：{html.escape(label)}</li>" for i, label in enumerate(labels)
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
{css}
{FONT_FACE_CSS}
body, text, input, button {{ font-family: "{REPORT_FONT_FAMILY}", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }}
body {{ margin: 1em; }}
</style>
<script>
{_inline_script(d3)}
</script>
<script>
{_inline_script(ldavis)}
</script>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p>左图：每个圆是一个主题，面积为其在语料中的比重，距离近的主题用词相近。右图：所选主题最相关的词；
调节 λ（1 = 按主题内概率排序，接近 0 = 按该主题的专属程度排序）。</p>
<ol>{legend}</ol>
<div id="{LDAVIS_ELEMENT_ID}" style="background-color:white;"></div>
<script>
var ldavisData = {data_script};
new LDAvis("#{LDAVIS_ELEMENT_ID}", ldavisData);
</script>
</body>
</html>
"""


def ldavis_page(
    ensemble: TopicEnsemble,
    bow: Sequence[Bow],
    labels: Sequence[str] = (),
    title: str = "主题模型（pyLDAvis）",
) -> bytes:
    """The offline pyLDAvis page of an ensemble model on its training units (see :func:`ldavis_html`)."""
    bow = list(bow)
    return ldavis_html(
        ensemble.topic_word,
        infer_doc_topic(ensemble.model, bow),
        [sum(count for _, count in doc) for doc in bow],
        ensemble.vocab,
        term_frequency(ensemble.dictionary, bow),
        labels=[
            _name_and_label(name, label)
            for name, label in zip(ensemble.names, labels, strict=False)
        ],
        title=title,
    )


def _name_and_label(name: str, label: str) -> str:
    return label if label.split(" ")[0] == name else f"{name} {label}"
