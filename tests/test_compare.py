"""Comparing speeches by metadata: bootstrap over speeches, regressions, trends, two groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from speechtopics.analysis.compare.effects import (
    bootstrap_mean_draws,
    group_labels,
    group_means,
    group_means_by,
    known_years,
    percentile_interval,
    prevalence_effects,
    theme_values,
)
from speechtopics.analysis.compare.groups import compare_groups, doc_ids_of_group
from speechtopics.analysis.compare.trends import (
    benjamini_hochberg,
    early_late_split,
    term_trends,
    year_curve,
)
from speechtopics.analysis.features import keyness
from speechtopics.analysis.themes.phrases import ThemeMatcher
from speechtopics.analysis.themes.rates import theme_rates_by_speech
from speechtopics.plots.compare import plot_group_means


@pytest.fixture(scope="module")
def documents(corpus):
    return corpus.at_grain("document")


@pytest.fixture(scope="module")
def bundled_values(corpus, documents):
    matcher = ThemeMatcher.build(corpus.themes, corpus.tokenizer)
    return theme_values(theme_rates_by_speech(documents, corpus.themes, matcher))


# --------------------------------------------------------------------------- the bootstrap


class _FixedCounts:
    """A stand-in generator whose multinomial draws are given (to check the arithmetic)."""

    def __init__(self, counts):
        self.counts = np.asarray(counts)

    def multinomial(self, n, pvals, size):
        assert n == len(pvals) and size == len(self.counts)
        return self.counts


def test_a_resample_mean_is_the_mean_of_the_drawn_speeches():
    # Values of three speeches; resample 1 takes speech 0 twice and speech 2 once,
    # resample 2 takes speech 1 three times: means (1+1+3)/3 and 2, by hand.
    values = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    draws = bootstrap_mean_draws(values, 2, _FixedCounts([[2, 0, 1], [0, 3, 0]]))
    assert draws == pytest.approx(np.array([[5 / 3, 50 / 3], [2.0, 20.0]]))


def test_the_bootstrap_matches_the_hand_computed_distribution():
    # Two speeches with rates 0 and 10: a resample of two speeches has mean 0, 5 or 10
    # with probabilities 1/4, 1/2, 1/4, so the bootstrap standard error is
    # sqrt(((0-5)^2 + (10-5)^2) / 2 / 2) = sqrt(12.5) and the 95% interval is [0, 10].
    values = pd.DataFrame({"rate": [0.0, 10.0]}, index=["a", "b"])
    labels = pd.Series("g", index=values.index)
    table = group_means(values, labels, "level", n_boot=4000, seed=7, min_group_size=2)
    row = table.iloc[0]
    assert row["mean"] == 5.0
    assert row["se"] == pytest.approx(np.sqrt(12.5), rel=0.05)
    assert (row["ci_low"], row["ci_high"]) == (0.0, 10.0)
    draws = bootstrap_mean_draws(values.to_numpy(), 4000, np.random.default_rng(7))
    shares = pd.Series(draws[:, 0]).value_counts(normalize=True).sort_index()
    assert list(shares.index) == [0.0, 5.0, 10.0]
    assert shares.to_numpy() == pytest.approx([0.25, 0.5, 0.25], abs=0.03)


def test_the_percentile_interval_of_three_speeches():
    # Rates 1, 2, 3: a resample's mean is 1 with probability 1/27 (> 2.5%), 3 likewise,
    # so the 95% percentile interval is [1, 3]; the standard error is sqrt((2/3) / 3).
    values = np.array([[1.0], [2.0], [3.0]])
    draws = bootstrap_mean_draws(values, 4000, np.random.default_rng(1))
    low, high = percentile_interval(draws, 0.95)
    assert (low[0], high[0]) == (1.0, 3.0)
    assert draws.std(ddof=1) == pytest.approx(np.sqrt(2 / 9), rel=0.05)


def test_the_bootstrap_is_seeded_and_each_group_has_its_own_stream():
    values = pd.DataFrame({"rate": np.arange(12.0)}, index=[f"d{i}" for i in range(12)])
    labels = pd.Series(["a"] * 6 + ["b"] * 6, index=values.index)
    first = group_means(values, labels, "level", n_boot=500, seed=3)
    again = group_means(values, labels, "level", n_boot=500, seed=3)
    pd.testing.assert_frame_equal(first, again)
    # Dropping a speech of group b leaves group a's interval as it was.
    fewer = group_means(values.drop("d11"), labels.drop("d11"), "level", n_boot=500, seed=3)
    pd.testing.assert_frame_equal(first.iloc[[0]], fewer.iloc[[0]])


# --------------------------------------------------------------------------- thin groups


def test_a_one_speech_group_gets_no_interval(corpus, bundled_values):
    speeches = corpus.speeches_frame()
    table = group_means_by(bundled_values, speeches, ["level"], n_boot=200, seed=1)
    city = table[table["group"] == "市"]
    assert (city["n_speeches"] == 1).all()
    assert city["ci_low"].isna().all() and city["ci_high"].isna().all()
    assert city["note"].str.contains("no interval; not compared as a group").all()
    # The county group (002, 003) has two speeches: below the default of 3, no interval either.
    county = table[table["group"] == "县"]
    assert (county["n_speeches"] == 2).all() and county["ci_low"].isna().all()
    # And the figure says so instead of comparing them: text, no data drawn.
    figure = plot_group_means(table, "level")
    (axes,) = figure.axes
    texts = " ".join(text.get_text().replace("\n", "") for text in axes.texts)
    assert not axes.lines and not axes.collections
    assert "不作比较" in texts and "市 1 篇" in texts


def test_the_regression_says_why_it_fits_nothing_on_five_speeches(corpus, bundled_values):
    table = prevalence_effects(bundled_values, corpus.speeches_frame(), ["level", "year"])
    assert table["estimate"].isna().all()
    notes = " ".join(table["note"])
    assert "3 distinct known years (2008, 2012, 2015)" in notes
    assert "fewer than two level groups with at least min_group_size 3" in notes


def test_the_regression_recovers_a_known_effect_with_an_interval():
    rng = np.random.default_rng(0)
    doc_ids = [f"d{i:02d}" for i in range(40)]
    level = np.array(["市"] * 20 + ["县"] * 20)
    year = np.tile(np.arange(2010, 2020), 4)
    value = 5.0 + 3.0 * (level == "县") + 0.5 * (year - 2010) + rng.normal(0, 0.5, 40)
    speeches = pd.DataFrame({"doc_id": doc_ids, "level": level, "year": year})
    values = pd.DataFrame({"三服务": value}, index=doc_ids)
    table = prevalence_effects(values, speeches, ["level", "year"]).set_index("variable")
    county, per_year = table.loc["level"], table.loc["year"]
    # Both levels have 20 speeches; the tie goes to the first in display order (市).
    assert county["term"] == "县" and county["reference"] == "市"
    assert county["ci_low"] < 3.0 < county["ci_high"]
    assert per_year["ci_low"] < 0.5 < per_year["ci_high"]
    assert per_year["n_speeches"] == 40 and county["n_group"] == 20
    curve = year_curve(values, speeches.set_index("doc_id")["year"].astype(float))
    assert list(curve["year"]) == list(range(2010, 2020))
    assert (curve["ci_low"] < curve["fitted"]).all() and (curve["fitted"] < curve["ci_high"]).all()


def test_trends_need_enough_years(corpus, documents, bundled_values):
    years = known_years(corpus.speeches_frame())
    assert year_curve(bundled_values, years).empty
    assert term_trends(documents, years).empty


def test_term_trends_find_a_rising_word():
    years = pd.Series({f"d{i}": 2010.0 + i for i in range(8)})
    documents = pd.DataFrame(
        {
            "doc_id": list(years.index),
            "tokens": [["改革"] * (1 + 2 * i) + ["工作"] * 20 for i in range(8)],
        }
    )
    table = term_trends(documents, years, min_count=5)
    top = table.iloc[0]
    assert top["term"] == "改革" and top["direction"] == "rising"
    assert top["ci_low"] > 0 and top["log2_ratio"] > 1
    assert table.iloc[-1]["term"] == "工作" and table.iloc[-1]["slope_per_year"] < 0


def test_the_median_year_sides_with_neither_half():
    early, late = early_late_split(np.array([2010, 2012, 2012, 2012, 2014]))
    assert early.tolist() == [True, False, False, False, False]
    assert late.tolist() == [False, False, False, False, True]
    early, late = early_late_split(np.array([2020, 2020, 2021]))
    assert early.tolist() == [True, True, False] and late.tolist() == [False, False, True]


def test_benjamini_hochberg_by_hand():
    # p = 0.01, 0.04, 0.03 (n = 3): ranked 0.01·3/1, 0.03·3/2, 0.04·3/3 = 0.03, 0.045, 0.04 → monotone 0.03, 0.04, 0.04
    assert benjamini_hochberg(np.array([0.01, 0.04, 0.03])) == pytest.approx([0.03, 0.04, 0.04])


# --------------------------------------------------------------------------- two groups


def test_compare_gives_the_keyness_of_the_existing_function(corpus, documents, bundled_values):
    county = doc_ids_of_group(corpus.speeches_frame(), "level", "县")
    assert county == ["002", "003"]
    comparison = compare_groups(
        documents, corpus.units, county, ["001"], theme_values=bundled_values, n_boot=200
    )
    expected = keyness(documents[documents["doc_id"].isin(["001", "002", "003"])], county)
    pd.testing.assert_frame_equal(comparison.keyness, expected)
    # With two speeches against one there are rates but no interval of the difference.
    assert comparison.themes["ci_low"].isna().all()
    assert comparison.themes["note"].str.contains("between speeches, not groups").all()
    assert comparison.notes
    # Example lines come from the side whose term it is.
    examples = comparison.examples
    assert set(examples.loc[examples["side"] == "a", "doc_id"]) <= {"002", "003"}
    assert set(examples.loc[examples["side"] == "b", "doc_id"]) <= {"001"}
    top = comparison.top_terms("a", 3)
    assert (top["direction"] == "target").all() and len(top) == 3


def test_compare_refuses_overlapping_or_unknown_groups(corpus, documents, bundled_values):
    with pytest.raises(ValueError, match="share 001"):
        compare_groups(
            documents, corpus.units, ["001"], ["001", "002"], theme_values=bundled_values
        )
    with pytest.raises(ValueError, match="no speech 999"):
        compare_groups(documents, corpus.units, ["999"], ["002"], theme_values=bundled_values)
    with pytest.raises(ValueError, match="groups: "):
        doc_ids_of_group(corpus.speeches_frame(), "level", "省")


def test_group_labels_read_years_as_whole_numbers(corpus):
    labels = group_labels(corpus.speeches_frame(), "year")
    assert labels["001"] == "2012" and labels["000"] == "未注明"


# --------------------------------------------------------------------------- command line


def test_the_compare_command_by_level(capsys, tmp_path):
    from speechtopics.cli import main

    assert main(["compare", "--by", "level", "县", "市", "--out", str(tmp_path), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "A = level=县: 2 speech(es) (002 003)" in out
    assert "B = level=市: 1 speech(es) (001)" in out
    assert "between speeches" in out or "without intervals" in out
    assert "terms relatively more frequent in A (level=县):" in out
    assert "县政府" in out and "【" in out


def test_the_compare_command_by_doc_ids_and_its_usage_errors(capsys, tmp_path):
    from speechtopics.cli import main

    out_dir = str(tmp_path)
    assert main(["compare", "--docs", "000,001", "--vs", "002", "--out", out_dir]) == 0
    assert "A = 000,001: 2 speech(es)" in capsys.readouterr().out
    assert main(["compare", "--by", "level", "县", "--out", out_dir]) == 2
    assert main(["compare", "--by", "level", "县", "省", "--out", out_dir]) == 2
    assert "no speech has level = '省'" in capsys.readouterr().err


def test_the_suggest_command(capsys, tmp_path):
    from speechtopics.cli import main

    assert main(["suggest", "三服务", "--method", "pmi", "--top", "5", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "candidates for 三服务 by pmi" in out and "nothing was added to themes.toml" in out
    assert out.count("【") >= 5
    assert main(["suggest", "不存在", "--out", str(tmp_path)]) == 2


def test_the_public_functions(tmp_path):
    import speechtopics as st

    assert {"compare", "suggest"} <= set(st.__all__)
    comparison = st.compare("县", "市", by="level", out=tmp_path)
    assert (comparison.label_a, comparison.doc_ids_a, comparison.doc_ids_b) == (
        "level=县",
        ["002", "003"],
        ["001"],
    )
    assert comparison.topics.empty  # no run in tmp_path: no topic shares to compare
    by_ids = st.compare("002,003", ["001"], out=tmp_path)
    pd.testing.assert_frame_equal(by_ids.keyness, comparison.keyness)
    table = st.suggest("三服务", out=tmp_path, method="pmi", top_n=3)
    assert list(table["rank"]) == [1, 2, 3] and (table["method"] == "pmi").all()
