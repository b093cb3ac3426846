"""Clustering of the bundled speeches' paragraphs and of the speeches themselves.

The k range, seed and TF-IDF settings are the project's (speechtopics.toml
``[cluster]`` and ``[analysis]``); topic vectors come from one small seeded
LDA fit made here, so these tests do not depend on the topics stage.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import bench_path
from scipy import sparse
from scipy.cluster.hierarchy import dendrogram

from speechtopics.analysis.cluster.evaluate import evaluate_against_labels
from speechtopics.analysis.cluster.partition import (
    LEFT_OUT,
    canonical_labels,
    chosen_k,
    cluster_assignments,
    cluster_labels,
    cluster_members,
    cluster_spread,
    cluster_top_terms,
    k_range,
    k_selection,
    k_selection_table,
    ward_tree,
)
from speechtopics.analysis.cluster.sampling import (
    cluster_centroids,
    extend_labels,
    nearest_centroid,
    sample_index,
)
from speechtopics.analysis.cluster.spaces import (
    ClusterSpace,
    build_spaces,
    lda_doc_topic,
    topic_space,
)
from speechtopics.analysis.cluster.speeches import speech_linkage, speech_linkage_table
from speechtopics.analysis.cluster.structure import null_silhouettes
from speechtopics.analysis.vectors import tfidf_matrix
from speechtopics.corpus.load import build_tokenizer
from speechtopics.pipeline.stage import StageOutput
from speechtopics.pipeline.stages import run_stage

SPEECH_PARAGRAPHS = {"000": 13, "001": 16, "002": 14, "003": 36, "004": 18}
# Units too short to cluster with min_tokens = 5: headings and the salutation 同志们：
SHORT_UNITS = [
    "000:p001",
    "002:p002",
    "002:p003",
    "002:p008",
    "003:p001",
    "003:p015",
    "004:p004",
    "004:p006",
    "004:p009",
    "004:p013",
]


@pytest.fixture(scope="module")
def settings(params) -> dict:
    section = params.cluster
    return {
        "k_min": section.k_min,
        "k_max": section.k_max,
        "min_tokens": section.min_tokens,
        "min_df": section.min_df,
        "n_init": section.n_init,
        "seed": params.analysis.seed,
    }


@pytest.fixture(scope="module")
def units(corpus) -> pd.DataFrame:
    return corpus.at_grain("paragraph")


@pytest.fixture(scope="module")
def doc_topic(units, settings) -> pd.DataFrame:
    return lda_doc_topic(
        units,
        num_topics=5,
        random_state=1,
        passes=5,
        iterations=100,
        min_tokens=settings["min_tokens"],
    )


@pytest.fixture(scope="module")
def spaces(units, doc_topic, settings):
    return build_spaces(
        units, doc_topic, min_tokens=settings["min_tokens"], min_df=settings["min_df"]
    )


@pytest.fixture(scope="module")
def selection(spaces, settings) -> pd.DataFrame:
    return k_selection_table(
        spaces, settings["k_min"], settings["k_max"], settings["seed"], settings["n_init"]
    )


@pytest.fixture(scope="module")
def assignments(units, spaces, selection, settings) -> pd.DataFrame:
    return cluster_assignments(
        units, spaces, chosen_k(selection), settings["seed"], settings["n_init"]
    )


@pytest.fixture(scope="module")
def top_terms(spaces, assignments) -> pd.DataFrame:
    return cluster_top_terms(spaces["tfidf"], assignments, top_n=10)


@pytest.fixture(scope="module")
def stage_output(corpus, params, doc_topic) -> StageOutput:
    return run_stage(
        "cluster", corpus, params, {"topics": StageOutput(data={"doc_topic": doc_topic})}
    )


# --------------------------------------------------------------------------- building blocks


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([0, 0, 1, 2, 2, 2], [2, 2, 3, 1, 1, 1]),  # largest cluster first
        ([5, 5, 3, 3], [1, 1, 2, 2]),  # equal sizes: first seen first
        ([7], [1]),
    ],
)
def test_canonical_labels_number_clusters_by_size(labels, expected):
    assert canonical_labels(labels).tolist() == expected


@pytest.mark.parametrize(
    ("k_min", "k_max", "n_units", "expected"),
    [
        (2, 10, 87, list(range(2, 11))),
        (2, 10, 5, [2, 3, 4]),
        (1, 3, 10, [2, 3]),
        (5, 10, 5, []),
        (2, 10, 2, []),
    ],
)
def test_k_range_stays_within_what_silhouette_allows(k_min, k_max, n_units, expected):
    assert k_range(k_min, k_max, n_units) == expected


def test_tfidf_matrix_takes_token_lists_as_they_are():
    matrix, terms = tfidf_matrix(
        [["三服务", "参谋助手", "三服务"], ["三服务", "队伍建设"]], min_df=1
    )
    assert terms == ["三服务", "参谋助手", "队伍建设"]  # no lowercasing, no re-segmentation, sorted
    assert np.allclose(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel(), 1.0)
    # min_df larger than the number of texts falls back to 1 instead of an empty vocabulary
    assert tfidf_matrix([["三服务"], ["参谋助手"]], min_df=5)[1] == ["三服务", "参谋助手"]
    assert tfidf_matrix([["三服务"], ["参谋助手"]], min_df=2)[1] == []


def test_topic_space_is_the_hellinger_embedding_and_drops_units_without_vectors():
    doc_topic = pd.DataFrame({"t1": [0.75, 0.0], "t2": [0.25, 2.0]}, index=["a:p001", "a:p002"])
    space = topic_space(doc_topic, ["a:p002", "a:p009", "a:p001"])
    assert space.unit_ids == ["a:p002", "a:p001"]
    assert np.allclose(space.matrix, [[0.0, 1.0], [np.sqrt(0.75), 0.5]])


def test_short_units_are_left_out_of_both_spaces(units, spaces):
    assert spaces["tfidf"].n_units == len(units) - len(SHORT_UNITS) == 87
    assert spaces["topic"].unit_ids == spaces["tfidf"].unit_ids
    assert not set(SHORT_UNITS) & set(spaces["tfidf"].unit_ids)
    assert (
        "003:p017" in spaces["tfidf"].unit_ids
    )  # （一）树立全局观念，当好服务大局的表率。 has 5 tokens


# --------------------------------------------------------------------------- k selection


def test_silhouette_table_covers_the_k_range_for_every_space_and_method(selection, settings):
    expected = list(range(settings["k_min"], settings["k_max"] + 1))
    for space in ("tfidf", "topic"):
        for method in ("kmeans", "ward"):
            rows = selection[(selection["space"] == space) & (selection["method"] == method)]
            assert rows["k"].tolist() == expected, (space, method)
            assert rows["silhouette"].between(-1, 1).all()
            assert (rows["n_units"] == 87).all()


def test_chosen_k_has_the_highest_silhouette(selection):
    for (space, method), rows in selection.groupby(["space", "method"]):
        chosen = rows[rows["chosen"]]
        assert len(chosen) == 1, (space, method)
        assert chosen["silhouette"].iloc[0] == rows["silhouette"].max()
        assert (
            chosen["k"].iloc[0]
            == rows.loc[rows["silhouette"] == rows["silhouette"].max(), "k"].min()
        )


def test_paragraph_clusters_are_weak_in_tfidf_space(selection):
    """Paragraphs of these speeches share one vocabulary: silhouettes stay near 0, never strongly negative."""
    tfidf = selection[selection["space"] == "tfidf"]
    assert tfidf["silhouette"].max() < 0.2
    assert tfidf["silhouette"].min() > -0.1


# --------------------------------------------------------------------------- assignments


def test_every_paragraph_gets_a_cluster(assignments, units, selection):
    ks = chosen_k(selection)
    assert set(assignments.groupby(["space", "method"]).groups) == set(ks)
    for (space, method), rows in assignments.groupby(["space", "method"]):
        assert rows["unit_id"].tolist() == units["unit_id"].tolist()
        left_out = rows.loc[rows["cluster"] == LEFT_OUT, "unit_id"].tolist()
        assert left_out == SHORT_UNITS
        clustered = rows[rows["cluster"] != LEFT_OUT]
        assert sorted(clustered["cluster"].unique()) == list(range(1, ks[(space, method)] + 1))
        sizes = clustered["cluster"].value_counts().sort_index()
        assert sizes.is_monotonic_decreasing  # cluster 1 is the largest
        assert clustered[["svd_x", "svd_y", "tsne_x", "tsne_y"]].notna().all().all()
        assert rows.loc[rows["cluster"] == LEFT_OUT, ["svd_x", "tsne_x"]].isna().all().all()


def test_same_seed_gives_identical_assignments(units, spaces, settings, assignments):
    selection = k_selection_table(
        spaces, settings["k_min"], settings["k_max"], settings["seed"], settings["n_init"]
    )
    again = cluster_assignments(
        units, spaces, chosen_k(selection), settings["seed"], settings["n_init"]
    )
    pd.testing.assert_frame_equal(again, assignments)
    as_csv = again.to_csv(index=False, float_format="%.6g")
    assert as_csv == assignments.to_csv(index=False, float_format="%.6g")


def test_parallel_headings_cluster_together_under_their_shared_word(assignments, top_terms):
    """001's three headings all name 三服务; 003's four subsection headings all end 当好…的表率."""
    kmeans = assignments[(assignments["space"] == "tfidf") & (assignments["method"] == "kmeans")]
    cluster_of = dict(zip(kmeans["unit_id"], kmeans["cluster"], strict=True))
    for heading_units, word in [
        (["001:p005", "001:p007", "001:p009"], "三服务"),
        (["003:p017", "003:p022", "003:p026", "003:p031"], "表率"),
    ]:
        clusters = {cluster_of[unit_id] for unit_id in heading_units}
        assert len(clusters) == 1, (word, clusters)
        terms = top_terms[
            (top_terms["space"] == "tfidf")
            & (top_terms["method"] == "kmeans")
            & (top_terms["cluster"] == clusters.pop())
        ]
        assert word in terms.sort_values("rank")["term"].head(3).tolist()


def test_top_terms_occur_in_their_clusters_paragraphs(assignments, top_terms, units):
    for (space, method, cluster), terms in top_terms.groupby(["space", "method", "cluster"]):
        members = cluster_members(assignments, units, space, method, cluster)
        tokens = set(units.set_index("unit_id").loc[members["unit_id"], "tokens"].sum())
        assert set(terms["term"]) <= tokens, (space, method, cluster)
        assert len(members) == terms["n_units"].iloc[0]
        assert (terms["score"] > 0).all() and terms["score"].is_monotonic_decreasing


def test_spread_rows_sum_to_each_speechs_paragraph_count(assignments):
    spread = cluster_spread(assignments)
    for (space, method), rows in spread.groupby(["space", "method"]):
        counts = rows.groupby("doc_id")["n_units"].sum().to_dict()
        assert counts == SPEECH_PARAGRAPHS, (space, method)
        assert np.allclose(rows.groupby("doc_id")["share"].sum(), 1.0)
    # 003 (36 paragraphs) has 2 left out: 同志们： and the heading 三、突出工作重点…
    left_out = spread[
        (spread["cluster"] == LEFT_OUT)
        & (spread["space"] == "tfidf")
        & (spread["method"] == "kmeans")
    ]
    assert left_out.set_index("doc_id")["n_units"].to_dict() == {
        "000": 1,
        "001": 0,
        "002": 3,
        "003": 2,
        "004": 4,
    }


# --------------------------------------------------------------------------- speeches


def test_dendrogram_leaves_are_the_five_speeches(corpus):
    documents = corpus.at_grain("document")
    tree = speech_linkage(documents)
    leaves = dendrogram(tree, labels=documents["doc_id"].tolist(), no_plot=True)["ivl"]
    assert sorted(leaves) == ["000", "001", "002", "003", "004"]
    table = speech_linkage_table(tree, documents["doc_id"].tolist())
    assert len(table) == 4
    assert table["n_speeches"].iloc[-1] == 5
    assert table["distance"].is_monotonic_increasing
    assert table["distance"].between(0, 1).all()  # cosine distances of non-negative vectors


# --------------------------------------------------------------------------- stage


def _map_row(output: StageOutput, params) -> tuple[pd.Series, float]:
    """The ``cluster_summary`` row and chosen silhouette of the clustering the map shows."""
    settings = params.cluster
    selection = output.tables["cluster_k_selection"]
    chosen = selection[
        (selection["space"] == settings.map_space)
        & (selection["method"] == settings.map_method)
        & selection["chosen"]
    ]
    summary = output.tables["cluster_summary"]
    row = summary[
        (summary["space"] == settings.map_space) & (summary["method"] == settings.map_method)
    ].iloc[0]
    return row, float(chosen["silhouette"].iloc[0])


@pytest.mark.parametrize(
    ("null_permutations", "threshold_shift", "drawn", "message"),
    [
        # The bundled paragraphs: no structure beyond column-permuted copies, no map.
        (None, None, False, "has no cluster structure"),
        # Without the structure check, the silhouette threshold decides.
        (0, +0.001, False, "cluster map left out: mean silhouette"),
        (0, -0.001, True, None),
    ],
)
def test_the_map_is_drawn_only_with_structure_and_above_the_silhouette_threshold(
    stage_output, corpus, params, doc_topic, null_permutations, threshold_shift, drawn, message
):
    row, silhouette = _map_row(stage_output, params)
    output = stage_output
    if null_permutations is not None:
        changed = params.updated(
            {
                "cluster": {"null_permutations": null_permutations},
                "figures": {"cluster_map_min_silhouette": silhouette + threshold_shift},
            }
        )
        upstream = {"topics": StageOutput(data={"doc_topic": doc_topic})}
        output = run_stage("cluster", corpus, changed, upstream)
    else:
        assert not bool(row["structure"])
    assert ("cluster_map.png" in output.files) == drawn
    if message:
        assert any(message in m for m in output.messages)


def test_stage_writes_its_tables_and_figures(stage_output):
    assert set(stage_output.tables) == {
        "cluster_k_selection",
        "cluster_assignments",
        "cluster_top_terms",
        "cluster_spread",
        "cluster_summary",
        "cluster_speech_linkage",
    }
    for name in ("cluster_silhouette", "cluster_spread", "speech_dendrogram"):
        assert stage_output.files[f"{name}.png"].startswith(b"\x89PNG")
        assert f"{name}.svg" in stage_output.files and f"{name}.pdf" in stage_output.files
    assert not any("skipped" in message for message in stage_output.messages)
    # The default spaces: LSA (the best on the labelled bench corpora) and topic vectors.
    assert set(stage_output.tables["cluster_assignments"]["space"]) == {"lsa", "topic"}
    summary = stage_output.tables["cluster_summary"]
    assert (summary["n_units"] == 87).all() and (summary["n_left_out"] == 10).all()
    assert {"silhouette_null_max", "structure"} <= set(summary.columns)
    assert (summary["silhouette_null_max"] < summary["silhouette"] + 1).all()


def test_stage_without_topic_vectors_still_clusters_the_text(corpus, params):
    output = run_stage("cluster", corpus, params, {"topics": StageOutput()})
    assert any(message.startswith("topic-vector clustering skipped") for message in output.messages)
    assert set(output.tables["cluster_k_selection"]["space"]) == {"lsa"}
    assert set(output.tables["cluster_assignments"]["space"]) == {"lsa"}


@pytest.mark.parametrize(
    ("k_min", "k_max", "tables", "message"),
    [
        (2, 10, True, "lsa: k range cut to 2…4 (5 units)"),
        (5, 10, False, "lsa clustering skipped: 5 document units, too few"),
    ],
)
def test_stage_with_too_few_units_cuts_or_skips(corpus, params, k_min, k_max, tables, message):
    # five units: the speeches
    few = params.updated({"cluster": {"grain": "document", "k_min": k_min, "k_max": k_max}})
    output = run_stage("cluster", corpus, few, {})
    assert any(text.startswith(message) for text in output.messages), output.messages
    assert ("cluster_assignments" in output.tables) is tables
    assert "cluster_speech_linkage" in output.tables  # the dendrogram does not depend on k
    if tables:
        assert output.tables["cluster_k_selection"]["k"].tolist() == [2, 3, 4, 2, 3, 4]


# --------------------------------------------------------------------------- figures


def test_figures_draw_every_glyph(stage_output, selection, assignments, top_terms, corpus):
    from speechtopics.plots.cluster import (
        plot_cluster_map,
        plot_cluster_spread,
        plot_silhouette,
        plot_speech_dendrogram,
    )

    titles = corpus.speech_titles()
    documents = corpus.at_grain("document")
    spread = cluster_spread(assignments)
    figures = {
        "silhouette": lambda: plot_silhouette(selection),
        "map_tsne": lambda: plot_cluster_map(
            assignments, top_terms, titles, "tfidf", "kmeans", "tsne"
        ),
        "map_svd_topic": lambda: plot_cluster_map(
            assignments, top_terms, titles, "topic", "ward", "svd"
        ),
        "spread": lambda: plot_cluster_spread(spread, top_terms, titles, "tfidf", "kmeans"),
        "dendrogram": lambda: plot_speech_dendrogram(
            speech_linkage(documents), documents["doc_id"].tolist(), titles
        ),
    }
    import matplotlib.pyplot as plt

    for name, draw in figures.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig = draw()
            fig.savefig(io.BytesIO(), format="png", dpi=60)
        plt.close(fig)
        missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
        assert not missing, (name, missing)
    labels = [
        t.get_text()
        for t in plot_speech_dendrogram(
            speech_linkage(documents), documents["doc_id"].tolist(), titles
        )
        .axes[0]
        .get_yticklabels()
    ]
    assert sorted(labels) == [
        "000 在办公室会议上的讲话",
        "001 党政机关办公室主任工作会议上的讲话",
        "002",
        "003 在全县办公室系统培训会上的讲话",
        "004 全区办公室主任会议上的讲话",
    ]
    plt.close("all")


# --------------------------------------------------------------------------- known answers


@pytest.mark.bench
def test_headline_clusters_recover_news_categories(paths, params, corpus):
    """2,000 THUCNews headlines, 10 classes: NMI far above the same clusters against shuffled labels."""
    data = bench_path("thucnews-titles", "data.tsv")
    import csv

    headlines = pd.read_csv(
        data, sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE
    )
    assert len(headlines) == 20000 and headlines["label"].nunique() == 10
    sample = headlines.sample(n=2000, random_state=20240601).sort_index()
    tokenizer = build_tokenizer(paths, params, corpus.themes)
    scores = evaluate_against_labels(
        tokenizer.tokenize_many(sample["text"].tolist()),
        sample["label"],
        k=10,
        random_state=20240601,
        methods=["tfidf_kmeans", "lsa_kmeans"],
    )
    scores = scores.set_index("method")
    assert (scores["nmi"] > 0.10).all(), scores
    assert (scores["nmi"] > 5 * scores["nmi_shuffled"]).all(), scores
    assert (scores["nmi_shuffled"] < 0.03).all()
    assert scores.loc["lsa_kmeans", "ari"] > 0.03 > abs(scores.loc["lsa_kmeans", "ari_shuffled"])


def test_near_zero_silhouettes_are_reported_as_no_structure(stage_output):
    """The paragraphs' best LSA silhouette (about 0.02) does not beat permuted copies: no map of k clusters."""
    summary = stage_output.tables["cluster_summary"].set_index(["space", "method"])
    lsa = summary.loc[("lsa", "kmeans")]
    assert lsa["silhouette"] < 0.05 and not lsa["structure"]
    assert lsa["silhouette"] < lsa["silhouette_null_max"] + 0.01
    # Topic vectors of short paragraphs are nearly pure: that is structure, of the topic model.
    assert summary.loc[("topic", "kmeans"), "structure"]
    assert any(
        message.startswith("no cluster structure in lsa/kmeans")
        for message in stage_output.messages
    )


# --------------------------------------------------------------------------- large spaces: a seeded sample

SMALL_SAMPLE = 40  # below the setting's floor of 200, set past the check to sample the 87 units


@pytest.fixture(scope="module")
def sampled_runs(corpus, params, doc_topic) -> list[StageOutput]:
    """Two stage runs on every space with ``sample_units`` = 40 (of 87 clustered units)."""
    section = replace(params.cluster, sample_units=SMALL_SAMPLE, spaces=("lsa", "tfidf", "topic"))
    small = replace(params, cluster=section)
    upstream = {"topics": StageOutput(data={"doc_topic": doc_topic})}
    return [run_stage("cluster", corpus, small, upstream) for _ in range(2)]


def test_a_sampled_run_says_so_and_repeats_exactly(sampled_runs):
    first, second = sampled_runs
    assert set(first.tables) == set(second.tables)
    for name, table in first.tables.items():
        pd.testing.assert_frame_equal(table, second.tables[name], obj=name)
    assert first.messages == second.messages
    assert (
        "cluster: 87 paragraph units; silhouettes, Ward, the structure check and the t-SNE map "
        "use a seeded sample of 40 (set [cluster] sample_units)"
    ) in first.messages
    assert (first.tables["cluster_k_selection"]["n_units"] == 87).all()


@pytest.mark.parametrize(
    ("space", "method"),
    [(space, method) for space in ("lsa", "tfidf", "topic") for method in ("kmeans", "ward")],
)
def test_a_sampled_run_clusters_every_unit_and_maps_only_the_sample(
    sampled_runs, spaces, params, space, method
):
    assignments = sampled_runs[0].tables["cluster_assignments"]
    rows = assignments[(assignments["space"] == space) & (assignments["method"] == method)]
    assert rows.loc[rows["cluster"] == LEFT_OUT, "unit_id"].tolist() == SHORT_UNITS
    clustered = rows[rows["cluster"] != LEFT_OUT]
    assert sorted(clustered["cluster"].unique()) == list(range(1, rows["k"].iloc[0] + 1))
    assert clustered[["svd_x", "svd_y"]].notna().all().all()  # SVD maps every unit
    unit_ids = spaces["tfidf"].unit_ids
    sample = sample_index(len(unit_ids), SMALL_SAMPLE, params.analysis.seed)
    mapped = clustered[clustered["tsne_x"].notna()]
    assert mapped["unit_id"].tolist() == [unit_ids[i] for i in sample]
    assert clustered["tsne_y"].isna().sum() == len(unit_ids) - SMALL_SAMPLE


def test_the_map_of_a_sampled_run_says_how_many_units_it_shows(sampled_runs, corpus):
    from speechtopics.plots import figure_notes
    from speechtopics.plots.cluster import plot_cluster_map

    output = sampled_runs[0]
    figure = plot_cluster_map(
        output.tables["cluster_assignments"],
        output.tables["cluster_top_terms"],
        corpus.speech_titles(),
        "topic",
        "kmeans",
        "tsne",
    )
    assert any(note.startswith("图中显示 40 段：共 87 段已聚类") for note in figure_notes(figure))
    import matplotlib.pyplot as plt

    plt.close(figure)


@pytest.mark.parametrize(
    ("n_rows", "sample_units", "expected"),
    [
        (87, 5000, None),  # at or below the setting: every row, as before
        (87, 87, None),
        (10, 4, [3, 4, 6, 9]),  # past it: sorted, drawn with the seed
    ],
)
def test_sample_index_is_all_rows_or_a_sorted_seeded_draw(n_rows, sample_units, expected):
    sample = sample_index(n_rows, sample_units, random_state=1)
    assert (sample if sample is None else sample.tolist()) == expected
    if sample is not None:
        assert sample.tolist() == sample_index(n_rows, sample_units, random_state=1).tolist()


@pytest.mark.parametrize("as_sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize(
    ("rows", "sample", "sample_labels", "expected"),
    [
        # Two groups on a line: 0.2 joins the group near 0, 0.9 the group near 1.
        (
            [[0, 0], [0.1, 0], [1, 0], [1.1, 0], [0.2, 0], [0.9, 0]],
            [0, 1, 2, 3],
            [1, 1, 2, 2],
            [1, 1, 2, 2, 1, 2],
        ),
        # Halfway between two centroids: the first (lowest) label.
        ([[0, 0], [2, 0], [1, 0]], [0, 1], [5, 7], [5, 7, 5]),
        # Sampled rows keep their own cluster even nearer another centroid.
        ([[0, 0], [0.9, 0], [1, 0], [1, 1]], [0, 1, 2], [1, 1, 2], [1, 1, 2, 2]),
    ],
)
def test_units_outside_the_sample_join_the_nearest_ward_centroid(
    rows, sample, sample_labels, expected, as_sparse
):
    matrix = sparse.csr_matrix(rows, dtype=float) if as_sparse else np.asarray(rows, dtype=float)
    labels = extend_labels(matrix, np.asarray(sample), np.asarray(sample_labels))
    assert labels.tolist() == expected


@pytest.mark.parametrize("space_name", ["tfidf", "topic"])
def test_nearest_centroid_gives_sampled_units_their_own_ward_cluster(spaces, space_name, params):
    from scipy.cluster.hierarchy import cut_tree

    space = spaces[space_name]
    seed = params.analysis.seed
    rows = space.matrix[sample_index(space.n_units, SMALL_SAMPLE, seed)]
    tree = ward_tree(space.matrix, SMALL_SAMPLE, seed)
    assert tree.shape == (SMALL_SAMPLE - 1, 4)
    for k in range(2, 11):
        labels = cut_tree(tree, n_clusters=k)[:, 0]
        values, centroids = cluster_centroids(rows, labels)
        agreement = np.mean(values[nearest_centroid(rows, centroids)] == labels)
        assert agreement >= 0.9, (space_name, k, agreement)


def test_a_large_sparse_space_clusters_on_a_sample_without_a_dense_copy():
    """30,000 sparse rows, 2,000 sampled: a dense copy would take 480 MB; memory stays far below."""
    import tracemalloc

    from sklearn.preprocessing import normalize

    matrix = normalize(
        sparse.random(30_000, 2_000, density=0.004, format="csr", random_state=7)
        + sparse.eye(30_000, 2_000, format="csr")  # no empty rows
    )
    space = ClusterSpace("tfidf", [f"u{i}" for i in range(30_000)], matrix, [])
    tracemalloc.start()
    try:
        tree = ward_tree(matrix, sample_units=2_000, random_state=3)
        ward = cluster_labels(matrix, "ward", 4, 3, tree=tree, sample_units=2_000)
        selection = k_selection(space, 2, 3, 3, n_init=1, sample_units=2_000)
        null = null_silhouettes(
            matrix, "ward", 3, 3, n_init=1, n_permutations=1, sample_units=2_000
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert tree.shape == (1_999, 4)
    assert len(ward) == 30_000 and set(ward) == {1, 2, 3, 4}
    assert selection["silhouette"].between(-1, 1).all() and len(selection) == 4
    assert np.isfinite(null).all()
    assert peak < 150 * 2**20, f"peak {peak / 2**20:.0f} MB"
