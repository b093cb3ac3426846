"""Theme terms as phrases, and candidate terms suggested from the corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from speechtopics.analysis.themes.phrases import ThemeMatcher
from speechtopics.analysis.themes.rates import (
    term_counts_by_speech,
    theme_positions,
    theme_rates_by_speech,
)
from speechtopics.analysis.themes.suggest import cooccurrence_edges, pmi_scores, suggest_terms
from speechtopics.config import PROJECT_ROOT
from speechtopics.text.lexicon import Theme


@pytest.fixture(scope="module")
def documents(corpus):
    return corpus.at_grain("document")


@pytest.fixture(scope="module")
def matcher(corpus):
    return ThemeMatcher.build(corpus.themes, corpus.tokenizer)


@pytest.fixture(scope="module")
def sentences(corpus):
    return [list(tokens) for tokens in corpus.at_grain("sentence")["tokens"]]


def test_a_split_formulation_counts_for_its_theme_in_000(corpus, documents, matcher):
    # 为基层和群众服务 segments into 为 / 基层 / 和 / 群众 / 服务: it is a phrase term
    assert "为基层和群众服务" in matcher.phrase_terms
    assert corpus.tokenizer("为基层和群众服务") == ["基层", "群众", "服务"]
    counts = term_counts_by_speech(documents, corpus.speech_texts(), corpus.themes, matcher)
    row = counts[(counts["term"] == "为基层和群众服务") & (counts["doc_id"] == "000")].iloc[0]
    # 000 says it twice (line 3 and line 7); no token ever equals it
    assert (row["match"], row["token_count"], row["hits"], row["substring_count"]) == (
        "phrase",
        0,
        2,
        2,
    )
    with_phrases = theme_rates_by_speech(documents, corpus.themes, matcher).set_index(
        ["doc_id", "theme"]
    )
    tokens_only = theme_rates_by_speech(documents, corpus.themes).set_index(["doc_id", "theme"])
    assert (
        with_phrases.loc[("000", "三服务"), "hits"]
        == tokens_only.loc[("000", "三服务"), "hits"] + 2
    )
    # The other speeches do not use it, so nothing else moved.
    moved = (with_phrases["hits"] != tokens_only["hits"]).groupby(level=0).sum()
    assert moved.to_dict() == {"000": 1, "001": 0, "002": 0, "003": 0, "004": 0}


def test_positions_include_phrase_hits(corpus, matcher):
    positions = theme_positions(corpus.units_frame(), corpus.themes, matcher)
    phrase = positions[positions["term"] == "为基层和群众服务"]
    assert list(phrase["doc_id"]) == ["000", "000"]
    assert phrase["relative_position"].between(0, 1).all()
    # Line 3 opens section 一; line 7 is its subsection (三) (cleaning makes the brackets full-width).
    assert list(phrase["section_path"]) == ["一", "一/（三）"]


def test_a_token_inside_a_matched_phrase_is_not_counted_twice(corpus):
    theme = Theme("队伍", "队伍", "", ("加强干部队伍建设", "干部队伍建设", "队伍"))
    matcher = ThemeMatcher.build([theme], corpus.tokenizer)
    assert matcher.phrase_terms == ["加强干部队伍建设"]
    text = "要加强干部队伍建设，干部队伍建设是根本。"
    tokens = corpus.tokenizer(text)
    assert tokens.count("干部队伍建设") == 2
    hits = matcher.hits(tokens, text)
    assert sorted((hit.term, hit.kind) for hit in hits) == [
        ("加强干部队伍建设", "phrase"),
        ("干部队伍建设", "token"),
    ]
    assert matcher.counts(tokens, text) == {"队伍": 2}
    # Without a tokenizer every term is matched as a token, as before.
    assert ThemeMatcher.build([theme]).counts(tokens, text) == {"队伍": 2}


def test_pmi_by_hand():
    # 4 sentences; the anchor 服务 is in 2; 基层 is in 2, both with 服务:
    # PMI = log2((2/4) / ((2/4)(2/4))) = 1; 会议 shares no sentence with it.
    sentences = [["服务", "基层"], ["服务", "基层"], ["会议"], ["会议", "群众"]]
    scores = pmi_scores(sentences, ["服务"]).set_index("word")
    assert scores.loc["基层", "pmi"] == pytest.approx(1.0)
    assert scores.loc["基层", "cooccurrences"] == 2
    assert "会议" not in scores.index


def test_suggestions_come_with_counts_scores_and_example_lines(corpus, sentences):
    theme = next(t for t in corpus.themes if t.name == "三服务")
    table = suggest_terms(theme, sentences, corpus.units, method="pmi", top_n=10)
    assert list(table["rank"]) == list(range(1, 11))
    assert not set(table["candidate"]) & set(theme.terms)
    assert (table["cooccurrences"] >= 3).all() and (table["count"] >= table["cooccurrences"]).all()
    assert table["score"].is_monotonic_decreasing
    for row in table.itertuples():
        assert f"【{row.candidate}】" in row.kwic_1
    again = suggest_terms(theme, sentences, corpus.units, method="pmi", top_n=10)
    pd.testing.assert_frame_equal(table, again)


def test_the_network_links_theme_terms_to_their_neighbours(corpus, sentences):
    theme = next(t for t in corpus.themes if t.name == "三服务")
    edges = cooccurrence_edges(theme, sentences, neighbours=3, min_count=3)
    neighbours = edges[edges["kind"] == "neighbour"]
    assert set(neighbours["source"]) <= set(theme.terms)
    assert not set(neighbours["target"]) & set(theme.terms)
    assert (neighbours["cooccurrences"] >= 3).all()
    assert neighbours.groupby("source").size().max() <= 3


_WORD2VEC_SCRIPT = """
import json, sys
from speechtopics.config import load_settings, default_paths
from speechtopics.corpus.load import load
from speechtopics.analysis.themes.suggest import suggest_in_corpus
settings = load_settings()
paths = default_paths(settings).with_overrides(out=sys.argv[1])
corpus = load(paths, settings)
table = suggest_in_corpus(corpus, settings.updated({"suggest": {"min_count": 2}}), "三服务",
                          method="word2vec", top_n=8)
print(json.dumps(table[["candidate", "score"]].values.tolist(), ensure_ascii=False))
"""


@pytest.mark.slow
def test_word2vec_suggestions_are_deterministic_across_processes(tmp_path):
    """Same corpus and seed, different hash seeds: the same candidates and scores."""
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", _WORD2VEC_SCRIPT, str(tmp_path / hash_seed)],
            capture_output=True,
            text=True,
            env=env,
            cwd=PROJECT_ROOT,
            check=True,
            timeout=600,
        )
        outputs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 8
