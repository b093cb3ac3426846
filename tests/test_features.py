"""TF-IDF keywords, keyness and similarity on the five bundled speeches.

Expected counts come from the speeches themselves (data/lexicon/FACTS.md:
三服务 is said 13 times in 001 and nowhere else; 参谋助手 4/2/0/1/2 …).
"""

from __future__ import annotations

import io
import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency
from sklearn.metrics.pairwise import cosine_similarity

from speechtopics.analysis.features import (
    feature_tables,
    keyness,
    keyness_by_speech,
    keyness_statistics,
    keywords_by_section,
    keywords_by_speech,
    top_keyness,
    word_frequencies,
)
from speechtopics.analysis.similarity import (
    cosine_similarity_matrix,
    nearest_speeches,
    similarity_long,
    similarity_wide,
    speech_similarity,
)
from speechtopics.analysis.vectors import build_tfidf_vectorizer, fit_tfidf
from speechtopics.pipeline.stages import run_stage
from speechtopics.plots import setup_cjk_font
from speechtopics.plots.features import (
    plot_keyness,
    plot_keywords_per_speech,
    plot_similarity_heatmap,
    plot_wordcloud,
)

DOC_IDS = ["000", "001", "002", "003", "004"]


@pytest.fixture(scope="module")
def documents(corpus) -> pd.DataFrame:
    return corpus.at_grain("document")


@pytest.fixture(scope="module")
def sections(corpus) -> pd.DataFrame:
    return corpus.at_grain("section")


@pytest.fixture(scope="module")
def document_fit(documents, corpus):
    return fit_tfidf(documents, corpus.tokenizer, sublinear_tf=True)


@pytest.fixture(scope="module")
def speech_keyness(documents) -> pd.DataFrame:
    return keyness_by_speech(documents)


@pytest.fixture(scope="module")
def titles(corpus) -> dict[str, str]:
    return corpus.speech_titles()


def _count_row(fit, term: str) -> list[int]:
    return fit.counts[:, fit.term_index(term)].toarray().ravel().tolist()


# --------------------------------------------------------------------------- the vectorizer


def test_vectorizer_is_built_on_the_project_tokenizer(corpus):
    vectorizer = build_tfidf_vectorizer(corpus.tokenizer)
    assert vectorizer.analyzer is corpus.tokenizer
    assert vectorizer.lowercase is False
    assert vectorizer.token_pattern is None
    text = "同志们，办公室要当好参谋助手，做好“三服务”工作。"
    assert vectorizer.build_analyzer()(text) == corpus.tokenizer(text)


@pytest.mark.parametrize(
    ("term", "counts_by_speech"),
    [
        ("三服务", [0, 13, 0, 0, 0]),
        ("参谋助手", [4, 2, 0, 1, 2]),
        ("队伍建设", [2, 2, 0, 1, 0]),
        ("干部队伍建设", [2, 2, 2, 0, 0]),
    ],
)
def test_domain_terms_are_whole_features_with_their_counts(document_fit, term, counts_by_speech):
    assert document_fit.units["doc_id"].tolist() == DOC_IDS
    assert term in set(document_fit.terms)
    assert _count_row(document_fit, term) == counts_by_speech


@pytest.mark.parametrize("absent", ["同志们", "我们", "一个", "的", "了"])
def test_stopwords_and_single_characters_are_not_features(document_fit, absent):
    assert absent not in set(document_fit.terms)


def test_every_feature_is_a_chinese_word_of_two_or_more_characters(document_fit):
    bad = [
        term
        for term in document_fit.terms
        if len(term) < 2 or not any("\u4e00" <= ch <= "\u9fff" for ch in term)
    ]
    assert bad == []


def test_counts_agree_with_the_cached_unit_tokens(document_fit, documents):
    # the vectorizer re-tokenizes the texts; it must see exactly the corpus tokens
    for row, tokens in enumerate(documents["tokens"]):
        assert int(document_fit.counts[row].sum()) == len(tokens)
    assert _count_row(document_fit, "办公室") == [
        tokens.count("办公室") for tokens in documents["tokens"]
    ]


# --------------------------------------------------------------------------- keywords


@pytest.mark.parametrize("sublinear_tf", [True, False])
def test_sanfuwu_is_a_top_keyword_of_001_only(documents, corpus, sublinear_tf):
    table = keywords_by_speech(documents, corpus.tokenizer, top_n=15, sublinear_tf=sublinear_tf)
    row = table[(table["doc_id"] == "001") & (table["term"] == "三服务")]
    assert len(row) == 1
    assert int(row["count"].iloc[0]) == 13
    assert int(row["document_frequency"].iloc[0]) == 1
    assert int(row["rank"].iloc[0]) <= 10
    assert set(table.loc[table["term"] == "三服务", "doc_id"]) == {"001"}


def test_keywords_by_speech_are_ranked_by_weight(documents, corpus):
    table = keywords_by_speech(documents, corpus.tokenizer, top_n=12)
    assert list(table.columns) == ["doc_id", "rank", "term", "tfidf", "count", "document_frequency"]
    assert sorted(table["doc_id"].unique()) == DOC_IDS
    for _, group in table.groupby("doc_id"):
        assert group["rank"].tolist() == list(range(1, 13))
        assert group["tfidf"].is_monotonic_decreasing
        assert group["term"].is_unique
        assert (group["count"] >= 1).all()


def test_keywords_by_section_cover_every_section(sections, corpus):
    table = keywords_by_section(sections, corpus.tokenizer, top_n=5)
    expected = sections.loc[sections["n_tokens"] > 0, "unit_id"].tolist()
    assert table["unit_id"].unique().tolist() == expected
    assert {"doc_id", "unit_id", "section_path", "rank", "term", "tfidf", "count"} <= set(
        table.columns
    )
    opening = table[table["unit_id"] == "001:引言"]
    assert set(opening["section_path"]) == {""}
    # every keyword of a section occurs in that section's tokens as often as stated
    tokens_by_unit = dict(zip(sections["unit_id"], sections["tokens"], strict=True))
    for unit_id, term, count in zip(table["unit_id"], table["term"], table["count"], strict=True):
        assert tokens_by_unit[unit_id].count(term) == count


def test_keywords_are_deterministic(documents, sections, corpus):
    first = keywords_by_section(sections, corpus.tokenizer, top_n=15).to_csv(float_format="%.6g")
    second = keywords_by_section(sections, corpus.tokenizer, top_n=15).to_csv(float_format="%.6g")
    assert first == second


# --------------------------------------------------------------------------- keyness


def test_keyness_of_a_hand_computed_two_by_two_table():
    # target: 3 × a in 10 tokens; reference: 7 × a in 9 tokens → [[3, 7], [7, 2]], N = 19.
    # Yates: 19 (|3·2 − 7·7| − 19/2)² / (10 · 9 · 10 · 9) = 19 · 33.5² / 8100
    # plain: 19 · 43² / 8100;  G² = 2 Σ O ln(O/E) with E = 100/19, 90/19, 90/19, 81/19
    stats = keyness_statistics(np.array([3]), np.array([7]), 10, 9, yates=True).iloc[0]
    assert stats["chi2"] == pytest.approx(-2.632438271604938, rel=1e-12)
    assert stats["g2"] == pytest.approx(-4.534939332256226, rel=1e-12)
    assert stats["log_ratio"] == pytest.approx(math.log2(0.3 / (7 / 9)), rel=1e-12)
    assert stats["direction"] == "reference"
    plain = keyness_statistics(np.array([3]), np.array([7]), 10, 9, yates=False).iloc[0]
    assert plain["chi2"] == pytest.approx(-4.33716049382716, rel=1e-12)
    mirrored = keyness_statistics(np.array([7]), np.array([3]), 9, 10, yates=True).iloc[0]
    assert mirrored["chi2"] == pytest.approx(2.632438271604938, rel=1e-12)
    assert mirrored["direction"] == "target"


def test_yates_never_moves_an_observed_count_past_its_expected_count():
    # a = 5 of 100 vs b = 5 of 101: |O − E| < 0.5 in every cell, so corrected chi² is 0
    stats = keyness_statistics(np.array([5]), np.array([5]), 100, 101, yates=True).iloc[0]
    assert stats["chi2"] == 0.0
    assert stats["p"] == pytest.approx(1.0)


def test_sanfuwu_has_strong_positive_keyness_for_001(speech_keyness):
    row = speech_keyness[
        (speech_keyness["doc_id"] == "001") & (speech_keyness["term"] == "三服务")
    ].iloc[0]
    assert (row["n_target"], row["n_reference"]) == (13, 0)
    assert row["chi2"] > 20 and row["g2"] > 20
    assert row["p"] < 1e-5 and row["p_g2"] < 1e-5
    assert row["direction"] == "target"
    top_001 = speech_keyness[speech_keyness["doc_id"] == "001"].head(5)["term"].tolist()
    assert "三服务" in top_001
    others = speech_keyness[
        (speech_keyness["doc_id"] != "001") & (speech_keyness["term"] == "三服务")
    ]
    assert len(others) == 4
    assert (others["chi2"] <= 0).all() and set(others["direction"]) == {"reference"}
    assert set(others["n_reference"]) == {13}


def test_keyness_of_sanfuwu_matches_the_hand_formula_on_the_real_counts(speech_keyness):
    row = speech_keyness[
        (speech_keyness["doc_id"] == "001") & (speech_keyness["term"] == "三服务")
    ].iloc[0]
    a, b = 13, 0
    c, d = int(row["total_target"]) - a, int(row["total_reference"]) - b
    n = a + b + c + d
    by_hand = n * (abs(a * d - b * c) - n / 2) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    assert row["chi2"] == pytest.approx(by_hand, rel=1e-10)
    assert row["chi2"] == pytest.approx(
        chi2_contingency([[a, b], [c, d]], correction=True).statistic, rel=1e-10
    )


def test_keyness_agrees_with_scipy_on_many_real_terms(speech_keyness):
    table = speech_keyness[speech_keyness["doc_id"] == "003"]
    sample = pd.concat(
        [table.head(40), table.iloc[len(table) // 2 : len(table) // 2 + 40], table.tail(40)]
    )
    for row in sample.itertuples():
        observed = [
            [row.n_target, row.n_reference],
            [row.total_target - row.n_target, row.total_reference - row.n_reference],
        ]
        chi2 = chi2_contingency(observed, correction=True).statistic
        g2 = chi2_contingency(observed, correction=False, lambda_="log-likelihood").statistic
        assert abs(row.chi2) == pytest.approx(chi2, rel=1e-9, abs=1e-12), row.term
        assert abs(row.g2) == pytest.approx(g2, rel=1e-9, abs=1e-9), row.term


def test_keyness_table_layout_and_order(speech_keyness, documents):
    assert sorted(speech_keyness["doc_id"].unique()) == DOC_IDS
    for column in (
        "doc_id",
        "term",
        "n_target",
        "n_reference",
        "chi2",
        "p",
        "g2",
        "p_g2",
        "direction",
    ):
        assert column in speech_keyness.columns
    vocabulary = {token for tokens in documents["tokens"] for token in tokens}
    for doc_id, group in speech_keyness.groupby("doc_id"):
        assert set(group["term"]) == vocabulary
        assert group["chi2"].is_monotonic_decreasing
        tokens = documents.loc[documents["doc_id"] == doc_id, "tokens"].iloc[0]
        assert int(group["n_target"].sum()) == len(tokens) == int(group["total_target"].iloc[0])
    more_in_target = speech_keyness["rate_target_per_1k"] > speech_keyness["rate_reference_per_1k"]
    assert (more_in_target == (speech_keyness["direction"] == "target")).all()
    assert (speech_keyness.loc[speech_keyness["chi2"] > 0, "direction"] == "target").all()
    assert (speech_keyness.loc[speech_keyness["chi2"] < 0, "direction"] == "reference").all()
    # Yates: a term barely off its expected count gets chi² 0 but keeps its direction
    assert (speech_keyness.loc[speech_keyness["chi2"] == 0, "direction"] != "neither").any()
    assert speech_keyness["p"].between(0, 1).all()


def test_keyness_of_a_group_pools_its_speeches(documents):
    table = keyness(documents, ["002", "003"])
    row = table[table["term"] == "参谋助手"].iloc[0]
    assert (row["n_target"], row["n_reference"]) == (0 + 1, 4 + 2 + 2)
    sizes = dict(zip(documents["doc_id"], documents["n_tokens"], strict=True))
    assert row["total_target"] == sizes["002"] + sizes["003"]


def test_keyness_rejects_targets_it_cannot_compare(documents):
    with pytest.raises(ValueError, match="not among"):
        keyness(documents, "999")
    with pytest.raises(ValueError, match="every speech"):
        keyness(documents, DOC_IDS)
    assert keyness_by_speech(documents[documents["doc_id"] == "001"]).empty


def test_keyness_min_count_drops_rare_words_only(documents):
    every_word = keyness(documents, "001")
    frequent = keyness(documents, "001", min_count=3)
    assert (frequent["n_target"] + frequent["n_reference"] >= 3).all()
    kept = every_word[every_word["n_target"] + every_word["n_reference"] >= 3]
    assert frequent["term"].tolist() == kept["term"].tolist()
    assert len(frequent) < len(every_word)


def test_keyness_sorted_by_g2_on_request(documents):
    table = keyness(documents, "004", measure="g2")
    assert table["g2"].is_monotonic_decreasing
    with pytest.raises(ValueError):
        keyness(documents, "004", measure="pmi")


# --------------------------------------------------------------------------- similarity


def test_similarity_is_symmetric_with_ones_on_the_diagonal(document_fit):
    matrix = cosine_similarity_matrix(document_fit)
    values = matrix.to_numpy()
    assert list(matrix.index) == DOC_IDS == list(matrix.columns)
    assert np.array_equal(values, values.T)
    assert np.array_equal(np.diag(values), np.ones(5))
    off_diagonal = values[~np.eye(5, dtype=bool)]
    assert ((off_diagonal > 0) & (off_diagonal < 1)).all()
    assert values == pytest.approx(cosine_similarity(document_fit.weights), abs=1e-12)


def test_speech_similarity_long_table(documents, corpus):
    table = speech_similarity(documents, corpus.tokenizer, sublinear_tf=True)
    assert list(table.columns) == ["doc_id", "other_doc_id", "cosine"]
    assert len(table) == 25
    wide = similarity_wide(table)
    assert list(wide.index) == DOC_IDS
    assert np.array_equal(wide.to_numpy(), wide.to_numpy().T)
    again = speech_similarity(documents, corpus.tokenizer, sublinear_tf=True)
    assert table.to_csv(float_format="%.6g") == again.to_csv(float_format="%.6g")


# --------------------------------------------------------------------------- word clouds and figures


def test_word_frequencies_of_a_speech(documents):
    frequencies = word_frequencies(documents, "001")
    assert frequencies["三服务"] == 13
    counts = list(frequencies.values())
    assert counts == sorted(counts, reverse=True)
    assert "三服务" not in word_frequencies(documents, "000")


def _draw(fig) -> list[str]:
    """Render a figure and return the warning messages raised on the way."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png", dpi=40)
    plt.close(fig)
    return [str(warning.message) for warning in caught]


def test_missing_glyphs_are_detected_at_all():
    # control: the check below would notice a character the font lacks
    setup_cjk_font()
    fig, ax = plt.subplots()
    ax.set_title("\U0001f600")
    assert any("missing from" in message for message in _draw(fig))


def test_every_figure_draws_without_missing_glyphs(documents, corpus, speech_keyness, titles):
    keywords = keywords_by_speech(documents, corpus.tokenizer, top_n=15, sublinear_tf=True)
    similarity = similarity_long(cosine_similarity_matrix(fit_tfidf(documents, corpus.tokenizer)))
    figures = {
        "keywords_per_speech": plot_keywords_per_speech(keywords, titles),
        "keyness": plot_keyness(speech_keyness, titles, top_n=15),
        "keyness_g2": plot_keyness(speech_keyness, titles, top_n=15, measure="g2"),
        "similarity_heatmap": plot_similarity_heatmap(similarity, titles),
        "wordcloud_001": plot_wordcloud(
            word_frequencies(documents, "001"), "001", titles["001"], random_state=1
        ),
    }
    for name, fig in figures.items():
        missing = [message for message in _draw(fig) if "missing from" in message]
        assert missing == [], f"{name}: {missing}"


def test_small_multiples_have_one_panel_per_speech(documents, corpus, speech_keyness, titles):
    keywords = keywords_by_speech(documents, corpus.tokenizer, top_n=15)
    for fig in (
        plot_keywords_per_speech(keywords, titles),
        plot_keyness(speech_keyness, titles, top_n=15),
    ):
        visible = [ax for ax in fig.axes if ax.get_visible()]
        assert [ax.get_title()[:3] for ax in visible] == DOC_IDS
        assert all(len(ax.get_yticklabels()) == 15 for ax in visible)
        plt.close(fig)
    fig = plot_keyness(speech_keyness, titles, top_n=15)
    panel_001 = next(ax for ax in fig.axes if ax.get_title().startswith("001"))
    assert "三服务" in [label.get_text() for label in panel_001.get_yticklabels()]
    plt.close(fig)


def test_word_cloud_is_deterministic_for_a_seed(documents):
    frequencies = word_frequencies(documents, "004")

    def pixels(seed: int) -> np.ndarray:
        fig = plot_wordcloud(frequencies, "004", random_state=seed, width=400, height=250)
        image = fig.axes[0].get_images()[0].get_array()
        plt.close(fig)
        return np.asarray(image)

    assert np.array_equal(pixels(7), pixels(7))
    assert not np.array_equal(pixels(7), pixels(8))


def test_top_keyness_keeps_positive_terms_only(speech_keyness):
    top = top_keyness(speech_keyness, top_n=10)
    assert (top["chi2"] > 0).all()
    assert top.groupby("doc_id").size().max() <= 10
    assert (
        top.groupby("doc_id")["rank"]
        .apply(lambda ranks: ranks.tolist() == list(range(1, len(ranks) + 1)))
        .all()
    )


# --------------------------------------------------------------------------- the stage


@pytest.fixture(scope="module")
def stage_output(corpus, params):
    return run_stage("features", corpus, params, {})


@pytest.mark.slow
def test_stage_writes_every_table_and_figure(stage_output):
    assert set(stage_output.tables) == {
        "keywords_by_speech",
        "keywords_by_section",
        "keyness",
        "speech_similarity",
    }
    expected = {"keywords_per_speech", "keyness", "similarity_heatmap"}
    assert {name.rsplit(".", 1)[0] for name in stage_output.files} == expected
    formats = ("png", "svg", "pdf")
    assert all(f"{name}.{fmt}" in stage_output.files for name in expected for fmt in formats)
    assert stage_output.tables["keywords_by_speech"]["doc_id"].unique().tolist() == DOC_IDS
    assert stage_output.messages == []


def test_word_clouds_are_drawn_only_when_asked_for(corpus, params):
    settings = params.updated({"figures": {"wordclouds": True, "formats": ["png"]}})
    output = run_stage("features", corpus, settings, {})
    clouds = {name for name in output.files if name.startswith("wordcloud_")}
    assert clouds == {f"wordcloud_{d}.png" for d in DOC_IDS}


def test_stage_tables_equal_the_functions_with_the_same_parameters(
    documents, sections, corpus, params
):
    options = params.features
    results = feature_tables(corpus, options)
    assert results.messages == []
    expected = {
        "keywords_by_speech": keywords_by_speech(
            documents, corpus.tokenizer, options.top_n, options.sublinear_tf
        ),
        "keywords_by_section": keywords_by_section(
            sections, corpus.tokenizer, options.top_n, options.sublinear_tf
        ),
        "keyness": keyness_by_speech(
            documents,
            yates=options.keyness_yates,
            measure=options.keyness_measure,
            min_count=options.keyness_min_count,
        ),
        "speech_similarity": speech_similarity(documents, corpus.tokenizer, options.sublinear_tf),
    }
    assert set(results.tables) == set(expected)
    again = feature_tables(corpus, options)
    for name, table in expected.items():
        written = results.tables[name].to_csv(index=False, float_format="%.6g", lineterminator="\n")
        assert written == table.to_csv(index=False, float_format="%.6g", lineterminator="\n"), name
        assert written == again.tables[name].to_csv(
            index=False, float_format="%.6g", lineterminator="\n"
        ), name


def test_stage_reports_when_there_is_only_one_speech(corpus, params):
    from dataclasses import replace

    single = replace(
        corpus,
        speeches=[corpus.speech("004")],
        units=[unit for unit in corpus.units if unit.doc_id == "004"],
    )
    results = feature_tables(single, params.features)
    assert set(results.tables) == {"keywords_by_speech", "keywords_by_section"}
    assert any("at least two speeches" in message for message in results.messages)


def test_keyness_by_speech_is_keyness_with_each_speech_as_target(documents):
    table = keyness_by_speech(documents)
    for doc_id in DOC_IDS:
        one = keyness(documents, doc_id).reset_index(drop=True)
        mine = table[table["doc_id"] == doc_id].drop(columns="doc_id").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, one, check_exact=True)


def test_a_large_corpus_keeps_used_and_most_avoided_terms(documents, monkeypatch):
    import speechtopics.analysis.features as features_module

    full = keyness_by_speech(documents)
    monkeypatch.setattr(features_module, "KEYNESS_FULL_CELLS", 10)
    bounded = keyness_by_speech(documents, avoided_rows=3)
    for doc_id in DOC_IDS:
        rows = bounded[bounded["doc_id"] == doc_id]
        used = full[(full["doc_id"] == doc_id) & (full["n_target"] > 0)]
        assert rows["term"].head(len(used)).tolist() == used["term"].tolist()
        assert (rows["n_target"] == 0).sum() == 3


def test_nearest_speeches_are_the_all_pairs_table_cut_to_the_nearest(documents):
    fit = fit_tfidf(documents, sublinear_tf=True)
    full = similarity_long(cosine_similarity_matrix(fit))
    near = nearest_speeches(fit, 2, block=2)
    assert len(near) == len(DOC_IDS) * 3
    merged = near.merge(full, on=["doc_id", "other_doc_id"], suffixes=("", "_all"))
    assert len(merged) == len(near) and (merged["cosine"] == merged["cosine_all"]).all()
    for doc_id in DOC_IDS:
        others = full[(full["doc_id"] == doc_id) & (full["other_doc_id"] != doc_id)]
        best = set(others.nlargest(2, "cosine")["other_doc_id"])
        assert best <= set(near.loc[near["doc_id"] == doc_id, "other_doc_id"])
