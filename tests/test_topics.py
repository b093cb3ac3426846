"""Topic models on the five bundled speeches: K sweep, stability, seeded themes, identity, outputs.

Facts used below come from reading the speeches (data/lexicon/FACTS.md):
``三服务`` occurs 13 times, all in 001; 004's top-level headings are
one-line paragraphs (``一、认清一个责任`` …) followed by their body.
"""

from __future__ import annotations

import io
import re
import shutil
import warnings
from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from gensim.corpora import Dictionary
from gensim.models import CoherenceModel

from speechtopics.analysis.topics.align import (
    best_match_jaccard,
    consensus,
    jaccard,
    mean_best_match_jaccard,
    top_words,
)
from speechtopics.analysis.topics.analyse import analyse_topics
from speechtopics.analysis.topics.coherence import (
    coherence_scores,
    count_co_occurrences,
    score_topics,
)
from speechtopics.analysis.topics.describe import frex, speech_topic, topic_labels, topic_word_frame
from speechtopics.analysis.topics.engines import FitOptions
from speechtopics.analysis.topics.ensemble import TopicEnsemble, model_from_lambda, topic_stability
from speechtopics.analysis.topics.fit import holdout_split, topic_units
from speechtopics.analysis.topics.identity import match_topics
from speechtopics.analysis.topics.seeded import fit_seeded, seed_terms
from speechtopics.analysis.topics.select import choose_k, k_summary, sweep_k
from speechtopics.analysis.vectors import bow_corpus, build_dictionary
from speechtopics.config import PROJECT_ROOT
from speechtopics.config.sections import TopicSettings
from speechtopics.corpus.load import load
from speechtopics.pipeline.stages import run_stage
from speechtopics.plots import setup_cjk_font
from speechtopics.plots.topics import (
    plot_theme_topic_prevalence,
    plot_topic_coherence,
    plot_topic_prevalence,
    plot_topic_section_heatmap,
    plot_topic_stability,
    plot_topic_words,
)
from speechtopics.text.lexicon import Theme

DOC_IDS = ["000", "001", "002", "003", "004"]

#: Small settings for the stage fixtures (the defaults are exercised by the slow test and the notebook).
SMALL = {"k_min": 3, "k_max": 4, "seeds": [1, 2], "ensemble_runs": 3, "gibbs_iterations": 200}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def settings(params) -> TopicSettings:
    return params.topics


@pytest.fixture(scope="module")
def units(corpus) -> pd.DataFrame:
    return corpus.at_grain("paragraph")


@pytest.fixture(scope="module")
def training(units, settings) -> pd.DataFrame:
    return topic_units(units, settings.min_unit_tokens)


@pytest.fixture(scope="module")
def dictionary(training, settings) -> Dictionary:
    return build_dictionary(training["tokens"], settings.no_below, settings.no_above)


@pytest.fixture(scope="module")
def small_sweep(training, dictionary, settings) -> pd.DataFrame:
    options = FitOptions.from_settings(settings).scaled(settings.sweep_share)
    return sweep_k(
        training["tokens"],
        [3, 4, 5],
        [1, 2, 3],
        dictionary=dictionary,
        options=options,
        split_seed=7,
    )


@pytest.fixture(scope="module")
def seeded(corpus, training, settings):
    seeded_dictionary = build_dictionary(
        training["tokens"], settings.no_below, settings.no_above, keep=seed_terms(corpus.themes)
    )
    model = fit_seeded(
        bow_corpus(seeded_dictionary, training["tokens"]),
        seeded_dictionary,
        corpus.themes,
        settings.seeds,
        free_topics=settings.free_topics,
        seed_weight=settings.seed_weight,
        runs=settings.seeded_runs,
        options=FitOptions.seeded(settings),
    )
    return model, seeded_dictionary


def _small_params(params):
    return params.updated({"topics": SMALL})


@pytest.fixture(scope="module")
def stage(corpus, params):
    return run_stage("topics", corpus, _small_params(params), {})


# --------------------------------------------------------------------------- units and vocabulary


@pytest.mark.parametrize(
    ("heading_unit", "members"),
    [
        ("004:p004", ["004:p004", "004:p005"]),  # 一、认清一个责任 + its paragraph
        ("004:p013", ["004:p013", "004:p014"]),  # 四、具备四种能力 + 一是要有服务大局的能力…
        ("000:p008", ["000:p008", "000:p009"]),  # 二、加强锻炼,注重培养… + its lead paragraph
        ("003:p001", ["003:p001", "003:p002"]),  # 同志们： (no token) + the opening paragraph
    ],
)
def test_heading_lines_are_read_with_the_paragraph_they_introduce(training, heading_unit, members):
    row = training[training["unit_id"] == heading_unit].iloc[0]
    assert row["unit_ids"] == members


def test_merging_never_crosses_a_top_level_section(training, units):
    section_of = dict(
        zip(units["unit_id"], units["section_path"].str.split("/").str[0], strict=True)
    )
    for members in training["unit_ids"]:
        assert len({section_of[m] for m in members}) == 1, members
    # every paragraph with tokens is in exactly one training unit
    flat = [m for members in training["unit_ids"] for m in members]
    assert len(flat) == len(set(flat))
    assert set(units.loc[units["n_tokens"] > 0, "unit_id"]) <= set(flat)


def test_vocabulary_drops_words_of_one_unit_and_words_everywhere(dictionary, training):
    assert "办公室" not in dictionary.token2id  # in two thirds of the paragraphs
    assert "参谋助手" in dictionary.token2id
    document_frequency = {dictionary[i]: dictionary.dfs[i] for i in dictionary}
    assert min(document_frequency.values()) >= 2
    assert max(document_frequency.values()) <= 0.5 * len(training)


def test_seed_words_stay_in_the_seeded_vocabulary(corpus, training):
    kept = build_dictionary(training["tokens"], 2, 0.5, keep=seed_terms(corpus.themes))
    # 三服务 is only in 001 but in more than one paragraph; 顶层策划师 is in one paragraph only
    assert (
        "顶层策划师" in kept.token2id
        and "顶层策划师" not in build_dictionary(training["tokens"]).token2id
    )


@pytest.mark.parametrize(
    ("n_units", "fraction", "n_heldout"), [(72, 0.2, 14), (10, 0.2, 2), (4, 0.5, 0), (72, 0.0, 0)]
)
def test_holdout_split_is_seeded_and_complete(n_units, fraction, n_heldout):
    train, heldout = holdout_split(n_units, fraction, random_state=3)
    assert len(heldout) == n_heldout
    assert sorted([*train, *heldout]) == list(range(n_units))
    again = holdout_split(n_units, fraction, random_state=3)
    assert np.array_equal(heldout, again[1])


# --------------------------------------------------------------------------- Jaccard, Hungarian, stability


def test_best_match_jaccard_on_a_hand_made_case():
    a = [["参谋", "信息", "调研"], ["队伍", "培养", "人才"], ["落实", "督查", "执行力"]]
    b = [["队伍", "培养", "素质"], ["落实", "督查", "执行力"], ["参谋", "信息", "决策"]]
    matched = best_match_jaccard(a, b)
    assert matched[["topic_a", "topic_b"]].to_numpy().tolist() == [[0, 2], [1, 0], [2, 1]]
    assert matched["jaccard"].tolist() == pytest.approx([0.5, 0.5, 1.0])
    assert mean_best_match_jaccard([a, b]) == pytest.approx(2 / 3)
    # a greedy match would pair b's "参谋 信息 决策" elsewhere; unequal sizes leave topics unmatched (count 0)
    assert mean_best_match_jaccard([a, b[:2]]) == pytest.approx((0.5 + 1.0) / 3)
    assert jaccard(["a", "b"], ["b", "c"]) == pytest.approx(1 / 3)


def _hand_made_ensemble(seed_words: list[list[list[str]]]) -> TopicEnsemble:
    """An ensemble whose seeds' topics have exactly the given top words (uniform over them)."""
    vocab = sorted({w for seed in seed_words for topic in seed for w in topic})
    dictionary = Dictionary([vocab])
    index = {w: dictionary.token2id[w] for w in vocab}
    matrices = []
    for seed in seed_words:
        matrix = np.full((len(seed), len(vocab)), 1e-6)
        for row, topic in enumerate(seed):
            for rank, word in enumerate(topic):
                matrix[row, index[word]] = 1.0 - rank * 1e-3
        matrices.append(matrix / matrix.sum(axis=1, keepdims=True))
    model = model_from_lambda(
        dictionary, matrices[0] * 100, np.full(len(seed_words[0]), 0.5), None, 0
    )
    return TopicEnsemble(
        model=model,
        dictionary=dictionary,
        names=["T1", "T2"],
        seeds=[1, 2, 3],
        seed_topic_word=matrices,
        run_topic_word=matrices,
        fixed=0,
    )


def test_stability_is_thresholded_on_the_mean_pairwise_jaccard():
    ensemble = _hand_made_ensemble(
        [
            [["a", "b", "c", "d"], ["p", "q", "r", "s"]],
            [["a", "b", "c", "d"], ["p", "q", "x", "y"]],
            [["a", "b", "c", "e"], ["p", "q", "r", "z"]],
        ]
    )
    table = topic_stability(ensemble, ["甲", "乙"], top_n=4, threshold=0.6)
    # T1: pairs 1.0, 0.6, 0.6 -> 0.7333; T2: pairs 2/6, 3/5, 2/6 -> 0.4222
    assert table["mean_jaccard"].tolist() == pytest.approx(
        [(1 + 0.6 + 0.6) / 3, (1 / 3 + 0.6 + 1 / 3) / 3]
    )
    assert table["min_jaccard"].tolist() == pytest.approx([0.6, 1 / 3])
    assert table["stable"].tolist() == [True, False]
    assert topic_stability(ensemble, ["甲", "乙"], top_n=4, threshold=0.74)["stable"].tolist() == [
        False,
        False,
    ]


def test_consensus_aligns_permuted_fits_before_averaging():
    rng = np.random.default_rng(0)
    base = rng.gamma(1.0, 1.0, (4, 30))
    permuted = [base, base[[2, 0, 3, 1]], base[[3, 2, 1, 0]]]
    average, orders = consensus(permuted)
    assert np.allclose(average, base)
    assert [order.tolist() for order in orders] == [[0, 1, 2, 3], [1, 3, 0, 2], [3, 2, 1, 0]]
    # fixed leading topics keep their index even when another order would match better
    _, fixed_orders = consensus([base, base[[1, 0, 3, 2]]], fixed=2)
    assert fixed_orders[1][:2].tolist() == [0, 1] and fixed_orders[1][2:].tolist() == [3, 2]


@pytest.mark.slow
def test_reported_topics_are_stable_with_the_default_settings(corpus, params):
    settings = params.topics
    results = analyse_topics(corpus, replace(settings, k_max=settings.k_min + 2))
    stability = results.tables["topic_stability"]
    assert len(stability) == int(results.tables["topic_k_choice"]["k"].iloc[0])
    assert (stability["mean_jaccard"] > stability["single_fit_jaccard"]).all()
    assert stability["mean_jaccard"].mean() >= settings.stability_threshold
    assert (
        stability["stable"] == (stability["mean_jaccard"] >= settings.stability_threshold)
    ).all()
    # averaging pays: the ensembles agree more than single fits do
    assert stability["mean_jaccard"].mean() > stability["single_fit_jaccard"].mean() + 0.1


# --------------------------------------------------------------------------- choosing K


def test_sweep_has_every_k_and_seed(small_sweep):
    assert list(zip(small_sweep["k"], small_sweep["seed"], strict=True)) == [
        (k, seed) for k in (3, 4, 5) for seed in (1, 2, 3)
    ]
    assert list(small_sweep.columns) == [
        "k",
        "seed",
        "c_npmi",
        "c_v",
        "u_mass",
        "perplexity",
        "stability",
    ]
    assert small_sweep[["c_npmi", "c_v", "u_mass", "perplexity", "stability"]].notna().all().all()
    assert (small_sweep["c_npmi"].between(-1, 1)).all() and (small_sweep["c_v"].between(0, 1)).all()
    assert (small_sweep["u_mass"] < 0).all() and (small_sweep["perplexity"] > 1).all()
    assert (small_sweep["stability"].between(0, 1)).all()


def test_chosen_k_is_in_the_range_and_the_reason_gives_the_measures(small_sweep):
    choice = choose_k(small_sweep)
    k = int(choice["k"].iloc[0])
    assert 3 <= k <= 5
    reason = choice["reason"].iloc[0]
    assert reason.startswith(f"K={k}")
    for measure in ("c_npmi", "c_v", "u_mass", "困惑度"):
        assert measure in reason
    mean_npmi = small_sweep.loc[small_sweep["k"] == k, "c_npmi"].mean()
    assert f"{mean_npmi:.3f}" in reason


def test_k_choice_counts_votes_within_one_standard_error():
    # c_npmi: K=4 best, K=3 within one SE; c_v and u_mass: K=6 best alone; stability: K=3 best alone
    rows = []
    values = {
        3: (-0.26, 0.30, -6.0, 0.40),
        4: (-0.25, 0.31, -5.0, 0.30),
        5: (-0.40, 0.32, -4.0, 0.20),
        6: (-0.40, 0.50, -1.0, 0.20),
    }
    for k, (npmi, cv, umass, stability) in values.items():
        for seed, noise in zip((1, 2), (-0.01, 0.01), strict=True):
            rows.append(
                {
                    "k": k,
                    "seed": seed,
                    "c_npmi": npmi + noise,
                    "c_v": cv + noise,
                    "u_mass": umass + noise,
                    "perplexity": 100.0 * k,
                    "stability": stability + noise,
                }
            )
    sweep = pd.DataFrame(rows)
    summary = k_summary(sweep)
    assert summary.set_index("k")["votes"].to_dict() == {3: 2, 4: 1, 5: 0, 6: 2}
    choice = choose_k(sweep)
    assert int(choice["k"].iloc[0]) == 3  # tie with K=6, smaller K wins
    assert "平票" in choice["reason"].iloc[0]


def _gensim_coherence(topics, texts, dictionary, measure, top_n):
    return CoherenceModel(
        topics=topics,
        texts=texts,
        dictionary=dictionary,
        coherence=measure,
        topn=top_n,
        processes=1,
    ).get_coherence_per_topic()


def test_one_pass_coherence_equals_one_coherence_model_per_fit(training, dictionary):
    vocab = [dictionary[i] for i in range(len(dictionary))]
    rng = np.random.default_rng(1)
    topic_sets = [
        top_words(rng.dirichlet(np.full(len(vocab), 0.05), size=k), vocab, 10) for k in (3, 4)
    ]
    texts = [list(tokens) for tokens in training["tokens"]]
    shared = coherence_scores(topic_sets, texts)
    for topics, scores in zip(topic_sets, shared, strict=True):
        for measure in ("c_npmi", "c_v", "u_mass"):
            naive = _gensim_coherence(topics, texts, dictionary, measure, 10)
            assert scores[measure] == pytest.approx(naive, rel=1e-9, abs=1e-12), measure


def test_window_counts_follow_gensim_on_repeated_words():
    # words repeated inside a window, texts shorter than, equal to and longer than the windows
    rng = np.random.default_rng(5)
    words = ["甲", "乙", "丙", "丁", "戊", "己"]
    texts = [
        list(rng.choice(words, size=n, p=[0.3, 0.3, 0.1, 0.1, 0.1, 0.1]))
        for n in (3, 10, 11, 40, 150)
    ]
    texts.append([])
    dictionary = Dictionary(texts)
    topics = [["甲", "乙", "丙"], ["丁", "戊", "己", "甲"]]
    counts = count_co_occurrences(texts, words)
    assert (
        counts.counts["c_npmi"][1] == 1 + 1 + 2 + 31 + 141 + 1
    )  # windows of 10 tokens, empty text included
    scores = score_topics(counts, topics)
    for measure in ("c_npmi", "c_v", "u_mass"):
        naive = _gensim_coherence(topics, texts, dictionary, measure, 4)
        assert scores[measure] == pytest.approx(naive, rel=1e-9, abs=1e-12), measure


@pytest.mark.parametrize("engine", ["tomotopy", "gensim"])
def test_sweep_does_not_depend_on_the_number_of_workers(training, dictionary, engine):
    options = FitOptions(engine=engine, iterations=100, passes=3, vb_iterations=50)
    kwargs = dict(dictionary=dictionary, options=options)
    one = sweep_k(training["tokens"], [3], [1, 2], n_jobs=1, **kwargs)
    two = sweep_k(training["tokens"], [3], [1, 2], n_jobs=2, **kwargs)
    pd.testing.assert_frame_equal(one, two, check_exact=True)


# --------------------------------------------------------------------------- seeded theme topics


def test_seeded_topic_puts_its_seed_words_at_the_top(seeded, corpus):
    model, _ = seeded
    theme = next(t for t in corpus.themes if t.name == "参谋助手")
    index = model.names.index("参谋助手")
    top10 = top_words(model.topic_word, model.vocab, 10)[index]
    assert "参谋助手" in top10 and "信息" in top10
    assert len(set(top10) & set(theme.terms)) >= 3
    ids = [model.dictionary.token2id[t] for t in theme.terms if t in model.dictionary.token2id]
    seed_mass = model.topic_word[:, ids].sum(axis=1)
    assert int(np.argmax(seed_mass)) == index
    assert seed_mass[index] > 3 * np.delete(seed_mass, index).max()


def test_seeded_topics_are_named_after_their_themes(seeded, corpus):
    model, _ = seeded
    assert model.names[: model.fixed] == [t.name for t in corpus.themes]
    assert model.names[model.fixed :] == ["F1", "F2", "F3"]
    assert model.theme_of[: model.fixed] == model.names[: model.fixed]


def test_three_services_topic_is_highest_in_001(seeded, units, corpus):
    from speechtopics.analysis.topics.describe import doc_topic_table

    model, seeded_dictionary = seeded
    doc_topic = doc_topic_table(model.model, units, seeded_dictionary, model.names)
    by_speech = speech_topic(doc_topic, model.names).set_index("doc_id")
    assert by_speech["三服务"].idxmax() == "001"  # the only speech that says 三服务 (13 times)
    assert np.allclose(by_speech[model.names].sum(axis=1), 1.0)


def test_seeded_theme_topics_are_stable_across_seeds(seeded, settings):
    model, _ = seeded
    labels = topic_labels(model.topic_word, model.vocab, theme_names=model.theme_of)
    table = topic_stability(model, labels, settings.top_n, settings.stability_threshold)
    themes = table.iloc[: model.fixed]
    assert themes["stable"].all(), themes[["topic", "mean_jaccard"]]
    assert labels[model.names.index("参谋助手")].startswith("参谋助手 · ")


# --------------------------------------------------------------------------- labels


def test_frex_prefers_frequent_and_exclusive_words():
    topic_word = np.array(
        [
            [0.50, 0.30, 0.10, 0.10],  # word 0 frequent and exclusive, word 1 frequent but shared
            [0.05, 0.41, 0.10, 0.44],  # word 3 more frequent and more exclusive than word 1
        ]
    )
    scores = frex(topic_word, weight=0.5)
    assert int(np.argmax(scores[0])) == 0
    assert scores[0, 0] > scores[0, 1] and scores[1, 3] > scores[1, 1]
    assert np.all((scores > 0) & (scores <= 1))


def test_labels_name_the_theme_a_topic_lifts():
    vocab = ["参谋", "信息", "调研", "干部", "培养", "会议"]
    themes = [
        Theme("参谋助手", "参谋助手", "", ("参谋", "信息", "调研")),
        Theme("队伍建设", "队伍建设", "", ("干部", "培养")),
    ]
    topic_word = np.array(
        [
            [0.35, 0.30, 0.25, 0.02, 0.03, 0.05],
            [0.02, 0.03, 0.05, 0.45, 0.40, 0.05],
            [0.15, 0.15, 0.15, 0.15, 0.15, 0.25],
        ]
    )
    frequency = np.array([10, 10, 10, 10, 10, 10])
    labels = topic_labels(topic_word, vocab, themes, frequency, n_words=2)
    assert labels[0].startswith("参谋助手 · ") and labels[1].startswith("队伍建设 · ")
    # no theme stands out: words only (调研 is the least shared of the tied words)
    assert labels[2] == "会议/调研"
    assert labels[1].split(" · ")[1] == "干部/培养"


# --------------------------------------------------------------------------- topic identity


def test_match_topics_recovers_a_permutation(stage):
    current = stage.data["topic_word"]
    permutation = list(reversed(range(len(current))))
    old_names = [f"old_{i}" for i in range(len(current))]
    previous = current.iloc[permutation].set_axis(old_names)
    shuffled_words = previous[list(reversed(previous.columns))]
    match = match_topics(shuffled_words, current)
    assert match.mapping == {
        name: old_names[permutation.index(i)] for i, name in enumerate(current.index)
    }
    assert match.vanished == []
    assert all(distance < 1e-6 for distance in match.distance.values())


def test_match_topics_reports_new_and_vanished_topics():
    vocab = ["参谋", "信息", "干部", "培养", "落实", "督查"]
    previous = np.array([[0.5, 0.5, 0, 0, 0, 0], [0, 0, 0.5, 0.5, 0, 0]])
    current = np.array([[0, 0, 0.45, 0.45, 0.1, 0], [0, 0, 0, 0, 0.5, 0.5]])
    match = match_topics(previous, current, vocab, vocab, max_distance=0.6)
    assert match.mapping == {0: 1, 1: None}
    assert match.vanished == [0]
    assert 0 < match.distance[0] < 0.6
    table = match.table()
    assert table["status"].tolist() == ["matched", "new", "vanished"]


def test_match_topics_reads_the_topic_words_table(stage):
    words = stage.tables["topic_words"]
    match = match_topics(words, words.sort_values("word"))
    assert match.mapping == {name: name for name in words["topic"].unique()}
    # vocabularies that only partly overlap are put on their union
    shifted = words.assign(word=words["word"].where(words["rank"] > 1, "新词"))
    assert match_topics(words, shifted).mapping == {name: name for name in words["topic"].unique()}


# --------------------------------------------------------------------------- the stage


def test_stage_writes_every_table_figure_and_page(stage):
    for table in (
        "topic_k_sweep",
        "topic_k_choice",
        "topic_stability",
        "topic_words",
        "doc_topic",
        "speech_topic",
        "section_topic",
        "theme_topic_by_speech",
        "theme_topic_by_section",
    ):
        assert table in stage.tables and len(stage.tables[table]), table
    for figure in (
        "topic_coherence",
        "topic_stability",
        "topic_prevalence",
        "topic_section_heatmap",
        "topic_words",
        "theme_topic_prevalence",
    ):
        assert f"{figure}.png" in stage.files and f"{figure}.svg" in stage.files, figure
    assert "topics_ldavis.html" in stage.files
    assert stage.tables["topic_k_sweep"][["k", "seed"]].drop_duplicates().shape[0] == 4
    assert list(stage.tables["topic_words"].columns) == [
        "topic",
        "label",
        "rank",
        "word",
        "prob",
        "frex",
    ]


def test_doc_topic_rows_sum_to_one_and_feed_the_clustering(stage, units):
    doc_topic = stage.tables["doc_topic"]
    names = [c for c in doc_topic.columns if re.fullmatch(r"T\d+", c)]
    assert np.allclose(doc_topic[names].sum(axis=1), 1.0)
    assert (doc_topic[names] >= 0).all().all()
    data = stage.data["doc_topic"]
    assert data.index.name == "unit_id" and list(data.columns) == names
    # every paragraph with a vocabulary word, in reading order; 003:p001 (同志们：) has none
    assert data.index.is_unique and "003:p001" not in data.index
    assert list(data.index) == [u for u in units["unit_id"] if u in set(data.index)]
    assert len(data) == len(units) - 1


@pytest.mark.parametrize("table", ["speech_topic", "theme_topic_by_speech"])
def test_speech_prevalence_rows_sum_to_one(stage, table):
    frame = stage.tables[table]
    names = [c for c in frame.columns if c not in ("doc_id", "title", "n_units", "n_tokens")]
    assert frame["doc_id"].tolist() == DOC_IDS
    assert np.allclose(frame[names].sum(axis=1), 1.0)


def test_section_table_follows_the_outline(stage):
    sections = stage.tables["section_topic"]
    assert sections.loc[sections["doc_id"] == "004", "section"].tolist() == [
        "引言",
        "一",
        "二",
        "三",
        "四",
    ]
    headings = sections.set_index(["doc_id", "section"])["heading"]
    assert headings[("004", "一")] == "一、认清一个责任"
    assert sections.groupby("doc_id")["n_tokens"].sum().to_dict() == (
        stage.tables["speech_topic"].set_index("doc_id")["n_tokens"].to_dict()
    )


def test_ldavis_page_works_offline(stage):
    page = stage.files["topics_ldavis.html"].decode("utf-8")
    sources = re.findall(
        r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?([^\"'\s>]+)", page, re.I
    )
    assert [s for s in sources if re.match(r"(https?:)?//", s)] == []
    assert (
        "LDAvis_load_lib" not in page and "cdn.jsdelivr" not in page and "d3js.org/d3" not in page
    )
    # the LDAvis code itself is inline
    assert "function LDAvis" in page or "LDAvis = function" in page
    assert "d3" in page and 'new LDAvis("#ldavis_topics"' in page
    assert page.count("<script>") == 3


def test_same_corpus_and_parameters_give_identical_tables(stage, corpus, params):
    again = run_stage("topics", corpus, _small_params(params), {})
    assert again.tables.keys() == stage.tables.keys()
    for name, table in stage.tables.items():
        first = table.to_csv(index=False, float_format="%.6g", lineterminator="\n")
        second = again.tables[name].to_csv(index=False, float_format="%.6g", lineterminator="\n")
        assert first == second, name
    assert again.files["topics_ldavis.html"] == stage.files["topics_ldavis.html"]


def test_too_little_data_is_skipped_with_a_message(tmp_path, paths, params):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "tiny.txt").write_text("在会议上的讲话\n同志们：今天开会。\n", encoding="utf-8")
    tiny_paths = replace(
        paths,
        raw=raw,
        metadata=raw / "metadata.csv",
        interim=tmp_path / "interim",
        processed=tmp_path / "processed",
        figures=tmp_path / "figures",
    )
    tiny = load(tiny_paths, params)
    output = run_stage("topics", tiny, _small_params(params), {})
    assert output.tables == {} and output.files == {}
    assert output.messages and output.messages[0].startswith("topics skipped")


def test_k_beyond_the_number_of_units_is_not_fitted(corpus, params):
    section_params = params.updated(
        {
            "topics": {
                **SMALL,
                "grain": "document",
                "min_unit_tokens": 0,
                "k_min": 3,
                "k_max": 7,
                "no_above": 1.0,
            }
        }
    )
    results = analyse_topics(corpus, section_params.topics)
    assert sorted(results.tables["topic_k_sweep"]["k"].unique()) == [3, 4, 5]
    assert any("K=6, 7 not fitted" in message for message in results.messages)


# --------------------------------------------------------------------------- figures


def _draw(fig) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png", dpi=40)
    plt.close(fig)
    return [str(warning.message) for warning in caught]


def test_missing_glyphs_would_be_noticed():
    setup_cjk_font()
    fig, ax = plt.subplots()
    ax.set_title("\U0001f600")
    assert any("missing from" in message for message in _draw(fig))


def test_every_figure_draws_without_missing_glyphs(stage):
    tables = stage.tables
    figures = {
        "topic_coherence": plot_topic_coherence(
            tables["topic_k_sweep"], tables["topic_k_choice"], tables["topic_k_summary"]
        ),
        "topic_stability": plot_topic_stability(
            tables["topic_stability"], tables["theme_topic_stability"], 0.6
        ),
        "topic_prevalence": plot_topic_prevalence(
            tables["speech_topic"], tables["topic_stability"]
        ),
        "topic_section_heatmap": plot_topic_section_heatmap(
            tables["section_topic"], tables["topic_stability"]
        ),
        "topic_words": plot_topic_words(tables["topic_words"], tables["topic_stability"]),
        "theme_topic_prevalence": plot_theme_topic_prevalence(tables["theme_topic_by_speech"]),
    }
    for name, fig in figures.items():
        missing = [message for message in _draw(fig) if "missing from" in message]
        assert missing == [], f"{name}: {missing}"


def test_topic_word_frame_is_a_distribution_per_topic(stage):
    frame = stage.data["topic_word"]
    assert list(frame.index) == ["T1", "T2", "T3"] or list(frame.index) == ["T1", "T2", "T3", "T4"]
    assert np.allclose(frame.sum(axis=1), 1.0)
    again = topic_word_frame(frame.to_numpy() * 3, list(frame.columns), list(frame.index))
    assert list(again.index) == list(frame.index) and list(again.columns) == list(frame.columns)
    assert np.allclose(again.to_numpy(), frame.to_numpy(), rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- growing corpus


@pytest.mark.slow
def test_adding_a_speech_starts_from_the_previous_topics(tmp_path, params):
    from speechtopics.config import default_paths
    from speechtopics.pipeline.run import run

    raw = tmp_path / "raw"
    raw.mkdir()
    sources = sorted((PROJECT_ROOT / "data" / "raw").glob("*.txt"))
    for source in sources[:4]:
        shutil.copy(source, raw)
    paths = default_paths(params).with_overrides(raw=raw, out=tmp_path / "out")
    quick = params.updated({"topics": {**SMALL, "refit_above": 0.25}})

    def run_once():
        summary = run(paths, quick, progress=False, echo=lambda _: None)
        status = {row["stage"]: row["status"] for row in summary.rows}
        return summary, status

    first, _ = run_once()
    choice = (paths.processed / "topic_k_choice.csv").read_bytes()
    shutil.copy(sources[4], raw)  # one speech of five: 20 % ≤ refit_above
    grown, status = run_once()
    assert status["topic_models"] == "recomputed"
    assert any("topics started from the previous run" in m for m in grown.messages)
    assert (paths.processed / "topic_k_choice.csv").read_bytes() == choice  # K kept
    identity = pd.read_csv(paths.processed / "topic_identity.csv")
    assert (identity["status"] == "matched").all()
    _, again = run_once()  # nothing changed since: everything from the cache
    assert set(again.values()) <= {"reused"}
    for source in sources[:2]:  # two more changed since the last full fit: above the share
        (raw / source.name).unlink()
    shrunk, _ = run_once()
    assert any("topics fitted from scratch" in m for m in shrunk.messages)


@pytest.mark.parametrize("measure", ["c_npmi", "c_v"])
def test_a_top_word_the_texts_never_use_leaves_the_score_of_the_others(measure):
    # A coherence sample can miss a rare top word: it must not make the score infinite.
    texts = [["办公室", "参谋", "助手", "服务"], ["办公室", "服务", "基层"], ["参谋", "服务"]] * 4
    topic = ["办公室", "服务", "参谋"]
    (with_absent,) = coherence_scores([[[*topic, "从未出现"]]], texts, [measure])
    (without,) = coherence_scores([[topic]], texts, [measure])
    assert np.isfinite(with_absent[measure][0])
    assert with_absent[measure][0] == pytest.approx(without[measure][0])
