"""Every figure of a run is laid out for its printed width, with text of 6 pt or more.

The stages are run on the bundled speeches at ``[figures] width = "single"``
(3.5 in) and ``"double"`` (7 in); each figure they make is drawn and every
text element drawn is read back: its size at print size (the figure placed
at the chosen width) and whether it lies inside the figure. Long figures
must stay within a page and say what they left out.
"""

from __future__ import annotations

import io
from unittest.mock import patch

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import FAST_TOPICS
from matplotlib.text import Text
from PIL import Image

from speechtopics.pipeline.stages import STAGE_BY_NAME
from speechtopics.plots import (
    MAX_HEIGHT_IN,
    MIN_FONT_PT,
    FigureStyle,
    figure_bytes,
    figure_notes,
    wrap_text,
)

EVERY_FIGURE = {
    "corpus_overview",
    "keywords_per_speech",
    "keyness",
    "similarity_heatmap",
    "theme_heatmap",
    "theme_section_heatmap",
    "theme_by_group",
    "theme_dispersion",
    "formulations",
    "topic_coherence",
    "topic_stability",
    "topic_prevalence",
    "topic_section_heatmap",
    "topic_words",
    "theme_topic_prevalence",
    "cluster_silhouette",
    "cluster_map",
    "cluster_spread",
    "speech_dendrogram",
}


def drawn_texts(fig) -> list[tuple[str, float, object, float]]:
    """``(text, font size, window extent, rotation)`` of every text element a draw draws."""
    drawn = []
    original = Text.draw

    def record(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append(
                (
                    self.get_text(),
                    self.get_fontsize(),
                    self.get_window_extent(renderer),
                    self.get_rotation(),
                )
            )

    with patch.object(Text, "draw", record):
        fig.canvas.draw()
    return drawn


def text_problems(fig, width: float) -> list[str]:
    """Texts smaller than 6 pt when the figure is printed ``width`` inches wide, or outside it."""
    fig_width, fig_height = fig.get_size_inches()
    scale = width / fig_width
    right, top = fig_width * fig.dpi, fig_height * fig.dpi
    problems = []
    for text, size, box, _ in drawn_texts(fig):
        if size * scale < MIN_FONT_PT - 1e-6:
            problems.append(f"{text[:20]!r} is {size * scale:.1f} pt")
        if box.x0 < -1 or box.y0 < -1 or box.x1 > right + 1 or box.y1 > top + 1:
            problems.append(f"{text[:20]!r} sticks out of the figure")
    return problems


def overlapping_texts(fig, share: float = 0.3) -> list[str]:
    """Pairs of horizontal texts whose boxes overlap by more than ``share`` of the smaller one."""
    texts = [t for t in drawn_texts(fig) if t[3] % 180 == 0]
    pairs = []
    for i, (a_text, _, a, _) in enumerate(texts):
        for b_text, _, b, _ in texts[i + 1 :]:
            w = min(a.x1, b.x1) - max(a.x0, b.x0)
            h = min(a.y1, b.y1) - max(a.y0, b.y0)
            smaller = min(a.width * a.height, b.width * b.height) or 1.0
            if w > 0 and h > 0 and w * h / smaller > share:
                pairs.append(f"{a_text[:12]!r} / {b_text[:12]!r}")
    return pairs


def _figures_of_a_run(corpus, params, paths, topic_models, width: str) -> dict:
    """``name -> (Figure, style)`` of every figure the stages make at ``width``."""
    settings = params.updated(
        {
            "topics": FAST_TOPICS,
            "figures": {"width": width, "wordclouds": True, "cluster_map_min_silhouette": -1.0},
            # No structure check: the map is drawn whatever the bundled paragraphs show.
            "cluster": {"null_permutations": 0},
        }
    )
    upstream = {"topic_models": topic_models}
    figures = {}
    for name in ("overview", "features", "themes", "topics", "cluster", "compare", "suggest"):
        stage = STAGE_BY_NAME[name]
        output = stage.function(stage.inputs(corpus, settings, upstream, paths))
        upstream[name] = output
        figures.update({n: (fig, style) for n, fig, style in output.pending_figures()})
    return figures


@pytest.fixture(scope="module", params=["single", "double"])
def run_figures(request, corpus, params, paths, fast_topic_models):
    figures = _figures_of_a_run(corpus, params, paths, fast_topic_models, request.param)
    yield request.param, figures
    plt.close("all")


def test_every_figure_is_made(run_figures):
    _, figures = run_figures
    assert EVERY_FIGURE <= set(figures)
    assert {n for n in figures if n.startswith("wordcloud_")} == {
        f"wordcloud_{d}" for d in ("000", "001", "002", "003", "004")
    }


def test_every_figure_is_its_printed_width_with_text_of_6_pt_or_more(run_figures):
    width_name, figures = run_figures
    width = {"single": 3.5, "double": 7.0}[width_name]
    problems = {}
    for name, (fig, style) in figures.items():
        assert style.width == width
        fig_width, fig_height = fig.get_size_inches()
        assert fig_width == pytest.approx(width), name
        assert fig_height <= MAX_HEIGHT_IN + 1e-6, (name, fig_height)
        found = text_problems(fig, width) + overlapping_texts(fig)
        if found:
            problems[name] = found[:5]
        texts = drawn_texts(fig)
        assert texts, f"{name} draws no text"
        assert min(size for _, size, _, _ in texts) >= MIN_FONT_PT
    assert problems == {}


def test_saved_files_keep_the_width_that_was_asked_for(run_figures):
    width_name, figures = run_figures
    width = {"single": 3.5, "double": 7.0}[width_name]
    for name in ("formulations", "topic_prevalence", "theme_dispersion"):
        fig, _ = figures[name]
        png = Image.open(io.BytesIO(figure_bytes(fig, "png", dpi=100)))
        assert png.size[0] == round(width * 100), name
        pdf = figure_bytes(fig, "pdf")
        assert b"/FontFile2" in pdf and b"/Type3" not in pdf, (
            f"{name}: fonts not embedded as TrueType"
        )


def test_a_capped_figure_says_what_it_left_out(run_figures):
    _, figures = run_figures
    fig, style = figures["formulations"]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) <= style.max_rows
    assert any("90" in note for note in figure_notes(fig))
    assert "90 个中的前" in fig.axes[0].get_title()


# --------------------------------------------------------------------------- many speeches


def _many_speeches(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "doc_id": [f"{i:03d}" for i in range(n)],
            "title": [f"第{i}次办公室工作会议上的讲话" for i in range(n)],
            "chars_raw": rng.integers(2000, 9000, n),
            "sections": rng.integers(1, 6, n),
            "paragraphs": rng.integers(5, 40, n),
            "tokens": rng.integers(300, 3000, n),
        }
    ).assign(chars_clean=lambda t: t["chars_raw"] - 100)


@pytest.mark.parametrize("width", ["single", "double"])
def test_figures_with_a_row_per_speech_stay_within_a_page(width):
    from speechtopics.config.sections import FigureSettings
    from speechtopics.plots.cluster import plot_cluster_spread, plot_speech_dendrogram
    from speechtopics.plots.corpus import plot_corpus_overview
    from speechtopics.plots.themes import plot_theme_heatmap
    from speechtopics.plots.topics import plot_topic_prevalence

    style = FigureStyle.from_settings(FigureSettings(width=width))
    overview = _many_speeches(300)
    ids = overview["doc_id"].tolist()
    rng = np.random.default_rng(1)
    shares = rng.dirichlet(np.ones(4), len(ids))
    speech_topic = overview[["doc_id", "title"]].assign(n_units=10, n_tokens=overview["tokens"])
    speech_topic[["T1", "T2", "T3", "T4"]] = shares
    rates = pd.DataFrame(
        [
            {
                "doc_id": d,
                "theme": t,
                "hits": 3,
                "tokens": 1000,
                "rate_per_1k": float(rng.random() * 20),
            }
            for d in ids
            for t in ("三服务", "参谋助手", "队伍建设")
        ]
    )
    spread = pd.DataFrame(
        [
            {
                "space": "tfidf",
                "method": "kmeans",
                "doc_id": d,
                "cluster": c,
                "n_units": 5,
                "share": 0.5,
            }
            for d in ids
            for c in (1, 2)
        ]
    )
    top_terms = pd.DataFrame(columns=["space", "method", "cluster", "rank", "term"])
    from scipy.cluster.hierarchy import linkage

    tree = linkage(rng.random((len(ids), 3)), "average")
    figures = {
        "corpus_overview": plot_corpus_overview(overview, style=style),
        "theme_heatmap": plot_theme_heatmap(
            rates, dict(zip(ids, overview["title"], strict=True)), style=style
        ),
        "topic_prevalence": plot_topic_prevalence(speech_topic, style=style),
        "cluster_spread": plot_cluster_spread(spread, top_terms, {}, style=style),
        "speech_dendrogram": plot_speech_dendrogram(tree, ids, {}, style=style),
    }
    for name, fig in figures.items():
        assert fig.get_size_inches()[1] <= MAX_HEIGHT_IN + 1e-6, name
        assert figure_notes(fig), f"{name} does not say that it shows part of 300 speeches"
        assert text_problems(fig, style.width) == [], name
        plt.close(fig)


def test_long_titles_are_wrapped_to_the_width():
    from speechtopics.plots import text_width

    text = "关键性：每篇讲话相对其余讲话显著多用的词（条末：本篇次数 / 其余次数）"
    lines = wrap_text(text, 3.3, 8.0).split("\n")
    assert len(lines) == 2
    assert all(text_width(line, 8.0) <= 3.3 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
