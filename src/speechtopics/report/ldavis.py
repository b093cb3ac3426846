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
    import pyLDAvis
    from pyLDAvis import urls

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
        )
        data = prepared.to_json()
    import os

    d3 = _ldavis_asset(os.path.basename(urls.D3_LOCAL))
    ldavis = _ldavis_asset(os.path.basename(urls.LDAVIS_LOCAL))
    css = _ldavis_asset(os.path.basename(urls.LDAVIS_CSS_LOCAL))
    data_script = _inline_script(data.replace("</", "<\\/"))
    legend = "".join(
        f"<li>主题 {i + 1}：{html.escape(label)}</li>" for i, label in enumerate(labels)
    )

    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
{css}
{FONT_FACE_CSS}
body, text {{ font-family: "{REPORT_FONT_FAMILY}", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }}
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
    return page.encode("utf-8")


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
