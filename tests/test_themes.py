"""Theme rates, KWIC and formulations on the five bundled speeches.

Expected values were established by reading the speeches and counting with
grep on data/raw (see the comments at each table).
"""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from speechtopics import cli
from speechtopics.analysis.themes.formulation_rules import (
    classify_quoted,
    numeral_value,
    word_spans,
)
from speechtopics.analysis.themes.formulations import (
    find_formulations,
    formulation_counts,
    formulation_occurrences,
    formulation_recall,
    formulations_by_speech,
)
from speechtopics.analysis.themes.groups import theme_rates_by_group
from speechtopics.analysis.themes.kwic import kwic, kwic_theme
from speechtopics.analysis.themes.phrases import ThemeMatcher
from speechtopics.analysis.themes.rates import (
    section_outline,
    section_starts,
    term_counts_by_speech,
    theme_by_name,
    theme_positions,
    theme_rates_by_section,
    theme_rates_by_speech,
)
from speechtopics.pipeline.stages import run_stage
from speechtopics.plots.themes import (
    plot_formulations,
    plot_theme_by_group,
    plot_theme_dispersion,
    plot_theme_heatmap,
    plot_theme_section_heatmap,
)
from speechtopics.text.lexicon import load_reference_formulations
from speechtopics.text.tokenize import Tokenizer

DOC_IDS = ["000", "001", "002", "003", "004"]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def documents(corpus):
    return corpus.at_grain("document")


@pytest.fixture(scope="module")
def speech_rates(corpus, documents):
    return theme_rates_by_speech(documents, corpus.themes)


@pytest.fixture(scope="module")
def section_rates(corpus):
    return theme_rates_by_section(
        corpus.at_grain("section"), corpus.themes, section_outline(corpus.units)
    )


@pytest.fixture(scope="module")
def term_counts(corpus, documents):
    return term_counts_by_speech(documents, corpus.speech_texts(), corpus.themes)


@pytest.fixture(scope="module")
def formulation_tables(corpus):
    found = find_formulations(corpus.units, corpus.tokenizer.segment)
    occurrences = formulation_occurrences(
        corpus.units, list(found["formulation"]), corpus.tokenizer.segment
    )
    counts = formulation_counts(found, occurrences)
    return found, counts, formulations_by_speech(counts, corpus.doc_ids)


# --------------------------------------------------------------------------- lexicon


def test_every_theme_term_is_one_token_or_a_phrase_found_in_the_text(corpus):
    """A term the tokenizer splits is counted as a phrase; in the bundled lexicon only one is."""
    split = {
        term
        for theme in corpus.themes
        for term in theme.terms
        if len(term) > 1 and corpus.tokenizer(term) != [term]
    }
    assert split == {"为基层和群众服务"}
    assert ThemeMatcher.build(corpus.themes, corpus.tokenizer).phrase_terms == ["为基层和群众服务"]
    assert "为基层和群众服务" in corpus.speech("000").text


def test_theme_by_name_names_the_themes_on_a_miss(corpus):
    assert theme_by_name(corpus.themes, "参谋助手").name == "参谋助手"
    with pytest.raises(KeyError, match="三服务"):
        theme_by_name(corpus.themes, "不存在的主题")


# --------------------------------------------------------------------------- rates


def test_speech_001_has_the_highest_rate_of_the_literal_term_sanfuwu(term_counts, speech_rates):
    tokens = speech_rates.drop_duplicates("doc_id").set_index("doc_id")["tokens"]
    literal = term_counts[term_counts["term"] == "三服务"].set_index("doc_id")["token_count"]
    rate = literal / tokens * 1000
    assert rate.idxmax() == "001"
    assert rate.drop("001").max() == 0
    theme = speech_rates[speech_rates["theme"] == "三服务"].set_index("doc_id")["rate_per_1k"]
    assert theme.idxmax() == "001"


# term, token counts per speech, literal (grep -o) counts per speech: FACTS (c) and grep on data/raw
TERM_COUNTS = [
    ("三服务", [0, 13, 0, 0, 0], [0, 13, 0, 0, 0]),
    ("参谋助手", [4, 2, 0, 1, 2], [4, 2, 0, 1, 2]),
    ("队伍建设", [2, 2, 0, 1, 0], [4, 4, 2, 1, 0]),
    ("干部队伍建设", [2, 2, 2, 0, 0], [2, 2, 2, 0, 0]),
    ("三严三实", [0, 0, 0, 0, 3], [0, 0, 0, 0, 3]),
    ("智囊", [0, 0, 0, 0, 0], [0, 0, 1, 0, 0]),  # only inside 智囊团
]


@pytest.mark.parametrize(
    ("term", "tokens", "literal"), TERM_COUNTS, ids=[row[0] for row in TERM_COUNTS]
)
def test_term_counts_by_speech(term_counts, term, tokens, literal):
    rows = term_counts[term_counts["term"] == term].set_index("doc_id").reindex(DOC_IDS)
    assert rows["token_count"].tolist() == tokens
    assert rows["substring_count"].tolist() == literal


def test_canmou_zhushou_occurs_in_every_speech_but_002(term_counts, corpus):
    rows = term_counts[term_counts["term"] == "参谋助手"]
    assert sorted(rows.loc[rows["token_count"] > 0, "doc_id"]) == ["000", "001", "003", "004"]
    table = kwic(corpus.units, "参谋助手")
    assert sorted(set(table["doc_id"])) == ["000", "001", "003", "004"]


def test_rate_is_hits_per_thousand_tokens_of_the_speech_body(speech_rates, documents):
    tokens = documents.set_index("doc_id")["n_tokens"]
    assert (speech_rates["tokens"] == speech_rates["doc_id"].map(tokens)).all()
    expected = speech_rates["hits"] / speech_rates["tokens"] * 1000
    assert (speech_rates["rate_per_1k"] - expected).abs().max() < 1e-12
    # 001: 23 tokens of 三服务 terms (三服务 ×13, 为领导服务, 为基层服务, 为群众服务, 服务领导,
    # 服务基层 ×2, 服务群众 ×3, 服务意识)
    row = speech_rates[
        (speech_rates["doc_id"] == "001") & (speech_rates["theme"] == "三服务")
    ].iloc[0]
    assert row["hits"] == 23


def test_section_hits_add_up_to_speech_hits(section_rates, speech_rates):
    summed = section_rates.groupby(["doc_id", "theme"])[["hits", "tokens"]].sum()
    per_speech = speech_rates.set_index(["doc_id", "theme"])[["hits", "tokens"]]
    pd.testing.assert_frame_equal(summed.sort_index(), per_speech.sort_index())


# speech, its top-level sections in reading order ('' = opening remarks), first heading
SECTIONS = [
    ("000", ["一", "二"], "认真履行好办公室主任的职责"),
    ("001", ["", "一", "二", "三"], "引言"),
    ("002", ["", "一", "二", "三"], "引言"),
    ("003", ["", "一", "二", "三"], "引言"),
    ("004", ["", "一", "二", "三", "四"], "引言"),
]


@pytest.mark.parametrize(
    ("doc_id", "section_paths", "first_heading"), SECTIONS, ids=[row[0] for row in SECTIONS]
)
def test_sections_in_reading_order_with_headings(
    section_rates, doc_id, section_paths, first_heading
):
    sections = section_rates[section_rates["doc_id"] == doc_id].drop_duplicates("section_path")
    assert sections["section_path"].tolist() == section_paths
    assert sections["section_heading"].iloc[0] == first_heading


def test_section_order_without_an_outline_counts_within_each_speech(corpus, section_rates):
    plain = theme_rates_by_section(corpus.at_grain("section"), corpus.themes)
    assert plain["section_order"].tolist() == section_rates["section_order"].tolist()
    assert plain["hits"].tolist() == section_rates["hits"].tolist()


def test_section_headings_lose_their_numbering(section_rates):
    headings = section_rates[section_rates["doc_id"] == "004"].drop_duplicates("section_path")
    assert headings["section_heading"].tolist() == [
        "引言",
        "认清一个责任",
        "保持好两种精神状态",
        "经受住三个考验",
        "具备四种能力",
    ]


# group_by, group, speeches pooled (metadata.csv)
GROUPS = [
    ("level", "市", "001"),
    ("level", "区", "004"),
    ("level", "县", "002 003"),
    ("level", "未注明", "000"),
    ("year", "2008", "002"),
    ("year", "2012", "001"),
    ("year", "2015", "004"),
    ("year", "未注明", "000 003"),
]


def test_groups_in_display_order(corpus, speech_rates):
    table = theme_rates_by_group(speech_rates, corpus.speeches_frame(), ["level", "year"])
    groups = table.drop_duplicates(["group_by", "group"])
    assert list(zip(groups["group_by"], groups["group"], groups["doc_ids"], strict=True)) == GROUPS


def test_group_rates_pool_hits_and_tokens(corpus, speech_rates):
    table = theme_rates_by_group(speech_rates, corpus.speeches_frame(), ["level"])
    county = table[(table["group"] == "县") & (table["theme"] == "队伍建设")].iloc[0]
    members = speech_rates[
        speech_rates["doc_id"].isin(["002", "003"]) & (speech_rates["theme"] == "队伍建设")
    ]
    assert county["hits"] == members["hits"].sum()
    assert county["tokens"] == members["tokens"].sum()
    assert county["rate_per_1k"] == pytest.approx(
        members["hits"].sum() / members["tokens"].sum() * 1000
    )
    assert county["mean_speech_rate_per_1k"] == pytest.approx(members["rate_per_1k"].mean())


def test_theme_positions_match_hits_and_lie_inside_the_speech(corpus, speech_rates):
    positions = theme_positions(corpus.units_frame(), corpus.themes)
    counted = positions.groupby(["doc_id", "theme"]).size()
    hits = speech_rates.set_index(["doc_id", "theme"])["hits"]
    assert (counted.reindex(hits.index, fill_value=0) == hits).all()
    assert positions["relative_position"].between(0, 1, inclusive="neither").all()
    # 队伍建设 is a theme of the last section of 000 (二、…打造一支精干高效的办公室干部队伍)
    team = positions[(positions["doc_id"] == "000") & (positions["theme"] == "队伍建设")]
    assert (team["section_path"].str.startswith("二")).mean() > 0.9


def test_section_starts_are_increasing(corpus):
    starts = section_starts(corpus.units_frame())
    for _doc_id, rows in starts.groupby("doc_id"):
        assert rows["relative_position"].is_monotonic_increasing
    assert starts[starts["doc_id"] == "004"]["section_path"].tolist() == [
        "",
        "一",
        "二",
        "三",
        "四",
    ]


def test_rate_tables_are_deterministic(corpus, documents):
    first = theme_rates_by_speech(documents, corpus.themes).to_csv(index=False)
    second = theme_rates_by_speech(corpus.at_grain("document"), corpus.themes).to_csv(index=False)
    assert first == second


# --------------------------------------------------------------------------- KWIC


def test_kwic_of_watermark_finds_nothing(corpus):
    """老秘网 is removed by cleaning (it was twice in 002)."""
    assert kwic(corpus.units, "老秘网").empty


# term, window, speech, left, keyword, right: exact contexts read in the cleaned text
KWIC_CONTEXTS = [
    ("三个转变", 5, "002", "重点突出“", "三个转变", "”。"),  # the paragraph ends after ”。
    (
        "一分部署，九分落实",
        3,
        "004",
        "。说，",
        "一分部署，九分落实",
        "。落实",
    ),  # a leader's name was cut before 说
    ("门难进、脸难看", 4, "000", "决杜绝“", "门难进、脸难看", "、话难听"),
    ("不该看的不看", 6, "004", "好职责，做到", "不该看的不看", "，不该问的不"),
]


@pytest.mark.parametrize(
    ("term", "window", "doc_id", "left", "keyword", "right"),
    KWIC_CONTEXTS,
    ids=[row[0] for row in KWIC_CONTEXTS],
)
def test_kwic_of_a_phrase_returns_the_exact_context(
    corpus, term, window, doc_id, left, keyword, right
):
    table = kwic(corpus.units, term, window=window, doc_ids=[doc_id])
    assert len(table) >= 1
    first = table.iloc[0]
    assert (first["left"], first["keyword"], first["right"]) == (left, keyword, right)


def test_kwic_offsets_point_into_the_cleaned_text(corpus):
    texts = corpus.speech_texts()
    table = kwic(corpus.units, ["参谋助手", "三服务", "办公室工作无小事"], window=10)
    for row in table.itertuples(index=False):
        text = texts[row.doc_id]
        assert text[row.char_offset : row.char_offset + len(row.keyword)] == row.keyword
        assert text[row.char_offset - len(row.left) : row.char_offset] == row.left
    assert list(table.columns[:8]) == [
        "doc_id",
        "unit_id",
        "paragraph_index",
        "section_path",
        "char_offset",
        "left",
        "keyword",
        "right",
    ]
    keys = list(zip(table["doc_id"], table["char_offset"], strict=True))
    assert keys == sorted(keys)


def test_kwic_rows_equal_literal_counts(corpus, term_counts):
    for term in ["参谋助手", "队伍建设", "落实", "政治"]:
        table = kwic(corpus.units, term)
        literal = (
            term_counts[term_counts["term"] == term].groupby("doc_id")["substring_count"].sum()
        )
        assert (
            table.groupby("doc_id").size().reindex(literal.index, fill_value=0).tolist()
            == literal.tolist()
        )


def test_kwic_reports_the_longest_term_once(corpus):
    table = kwic(corpus.units, ["队伍建设", "干部队伍建设"], doc_ids=["002"])
    assert table["keyword"].tolist() == ["干部队伍建设", "干部队伍建设"]


def test_kwic_theme_names_the_theme_and_filters_speeches(corpus):
    theme = theme_by_name(corpus.themes, "三服务")
    table = kwic_theme(corpus.units, theme, window=8, doc_ids=["002"])
    assert set(table["theme"]) == {"三服务"}
    assert table["keyword"].tolist() == ["服务领导", "服务基层", "服务群众"]


def test_kwic_rejects_an_unknown_speech(corpus):
    with pytest.raises(ValueError, match="no speech 999"):
        kwic(corpus.units, "参谋助手", doc_ids=["999"])


def test_cli_kwic_for_one_speech(tmp_path, capsys):
    status = cli.main(["kwic", "参谋助手", "--doc", "000", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0
    lines = out.strip().splitlines()
    assert lines[-1] == "4 occurrences"
    assert all(line.split()[0] == "000" and "【参谋助手】" in line for line in lines[:-1])
    assert "发挥好【参谋助手】作用" in out


# --------------------------------------------------------------------------- formulations

# the formulations named in the issue, with the speeches that use them (FACTS (d) and grep;
# 000's second 三个转变 is the ordinal 第三个转变; 001's 不管部 is inside 不管部长)
ISSUE_FORMULATIONS = [
    ("三服务", {"001": 13}),
    ("三个转变", {"000": 1, "002": 1}),
    ("四个表率", {"003": 1}),
    ("五个坚持", {"003": 1, "004": 1}),
    ("三严三实", {"004": 3}),
    ("两个务必", {"000": 1}),
    ("八项规定", {"003": 1, "004": 1}),
    ("四个能力", {"001": 1}),
    ("参谋部", {"002": 2, "003": 1}),
    ("司令部", {"002": 1, "003": 1}),
    ("不管部", {"002": 1}),
    ("加油站", {"000": 1}),
    ("润滑油", {"000": 1}),
    ("大管家", {"004": 1}),
]


@pytest.mark.parametrize(
    ("formulation", "expected"), ISSUE_FORMULATIONS, ids=[row[0] for row in ISSUE_FORMULATIONS]
)
def test_issue_formulations_found_with_their_speeches(formulation_tables, formulation, expected):
    _found, counts, _matrix = formulation_tables
    rows = counts[counts["formulation"] == formulation]
    assert dict(zip(rows["doc_id"], rows["count"], strict=True)) == expected


# formulation, kind, evidence: how the rules accept the less obvious ones
FORMULATION_KINDS = [
    ("三服务", "numbered", "quoted"),
    ("十二字", "numbered", "quoted"),
    ("一岗双责", "numbered", "quoted"),
    ("四种能力", "numbered", "heading"),
    ("两种精神状态", "numbered", "heading"),
    ("三个结合", "numbered", "enumerated"),
    ("三个严禁", "numbered", "enumerated"),
    ("四句话", "numbered", "counted list"),
    ("十一项规定", "numbered", "series"),
    ("讲大局、强责任、提能力、抓落实", "slogan", "quoted"),
    ("一分部署，九分落实", "slogan", "paired"),
    ("办公室工作无小事", "slogan", "recurs in 3 speeches"),
    ("落实年", "slogan", "quoted"),
    ("顶层策划师", "metaphor", "quoted"),
    ("智囊团", "metaphor", "role frame"),
    ("一把锁", "metaphor", "role frame"),
]


@pytest.mark.parametrize(
    ("formulation", "kind", "evidence"),
    FORMULATION_KINDS,
    ids=[row[0] for row in FORMULATION_KINDS],
)
def test_formulation_kind_and_evidence(formulation_tables, formulation, kind, evidence):
    found, _counts, _matrix = formulation_tables
    row = found[found["formulation"] == formulation]
    assert len(row) == 1
    assert row.iloc[0]["kind"] == kind
    assert evidence in row.iloc[0]["evidence"].split("; ")


# numbered phrases and quotations that are not formulations
NOT_FORMULATIONS = [
    "三点意见",  # 讲三点意见 (001, 002): announces the outline
    "三个背景",  # 主要有三个背景：一是，… (001)
    "三个方面",  # 讲三个方面的意见 (003)
    "四个关键词",  # 用以下四个关键词来形容 (003)
    "两个区县",
    "一个单位",
    "十二五",  # a plan period, quoted in 001
    "学习，学习，再学习",  # a quoted saying
    "审美疲劳",
    "服务",  # 就是“服务”两个字
    "一是",
    "第一",
]


def test_enumerations_and_plain_quotations_are_not_formulations(formulation_tables):
    found, _counts, _matrix = formulation_tables
    assert not set(NOT_FORMULATIONS) & set(found["formulation"])


def test_formulation_matrix_counts_every_speech(formulation_tables):
    _found, counts, matrix = formulation_tables
    assert list(matrix.columns) == ["formulation", "kind", "n_speeches", "total", *DOC_IDS]
    row = matrix[matrix["formulation"] == "办公室工作无小事"].iloc[0]
    assert [row[d] for d in DOC_IDS] == [0, 0, 1, 1, 1]
    assert row["n_speeches"] == 3
    assert matrix["total"].sum() == counts["count"].sum()


def test_recall_against_the_reference_list(corpus, paths, formulation_tables):
    _found, counts, _matrix = formulation_tables
    reference = load_reference_formulations(paths.formulations)
    recall = formulation_recall(reference, counts, corpus.speech_texts())
    in_text = recall[recall["in_text"] != ""]
    assert len(in_text) == len(recall)  # every reference formulation occurs in the cleaned text
    assert in_text["found"].mean() >= 0.9
    # found only where the string is: the rules never put a formulation in the wrong speech
    for row in recall[recall["found"]].itertuples(index=False):
        assert set(row.found_in.split()) <= set(row.in_text.split())


def test_rules_work_without_the_domain_dictionary(corpus):
    """The rules read the text: a plain jieba segmentation finds the issue's formulations too."""
    plain = Tokenizer(userdict_path=None, backend="jieba")
    found = find_formulations(corpus.units, plain.segment)
    occurrences = formulation_occurrences(corpus.units, list(found["formulation"]), plain.segment)
    counts = formulation_counts(found, occurrences)
    for formulation, expected in ISSUE_FORMULATIONS:
        rows = counts[counts["formulation"] == formulation]
        assert dict(zip(rows["doc_id"], rows["count"], strict=True)) == expected, formulation


# quoted phrase → (kind, evidence) or None
QUOTED = [
    ("三服务", ("numbered", "quoted")),
    ("四风", ("numbered", "quoted")),
    ("三去一降一补", ("numbered", "quoted")),
    ("双过半", ("numbered", "quoted")),
    ("十二五", None),
    ("三人行必有我师", None),
    ("参谋部", ("metaphor", "quoted")),
    ("一潭活水", ("metaphor", "quoted")),
    ("关键在人", None),
    ("新跨越、进十强", ("slogan", "quoted")),
    ("学习，学习，再学习", None),
    ("政治上的红人、工作上的忙人、生活上的穷人、家庭上的罪人、身体上的病人", None),
    ("上情", None),
]


@pytest.mark.parametrize(("phrase", "expected"), QUOTED, ids=[row[0] for row in QUOTED])
def test_classify_quoted(phrase, expected):
    assert classify_quoted(phrase) == expected


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("三", 3), ("两", 2), ("十", 10), ("十一", 11), ("二十", 20), ("双", 2), ("是", None)],
)
def test_numeral_value(numeral, value):
    assert numeral_value(numeral) == value


def test_word_spans_follow_the_original_text_when_synonyms_rewrite_it(corpus):
    """The synonym map rewrites 办公厅 to 办公室; spans must still index the original paragraph."""
    unit = next(u for u in corpus.units if u.doc_id == "004" and "省委办公厅" in u.text)
    spans = word_spans(unit.text, corpus.tokenizer.segment)
    assert "".join(word for _s, _e, word in spans) == unit.text
    assert all(unit.text[s:e] == word for s, e, word in spans)
    assert any(word == "大管家" for _s, _e, word in spans)


# --------------------------------------------------------------------------- figures and stage


def test_figures_draw_without_missing_glyphs(
    corpus, speech_rates, section_rates, formulation_tables
):
    titles = corpus.speech_titles()
    group_rates = theme_rates_by_group(speech_rates, corpus.speeches_frame())
    paragraphs = corpus.units_frame()
    positions = theme_positions(paragraphs, corpus.themes)
    _found, _counts, matrix = formulation_tables
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figures = [
            plot_theme_heatmap(speech_rates, titles),
            plot_theme_section_heatmap(section_rates),
            plot_theme_by_group(group_rates),
            plot_theme_dispersion(
                positions, section_starts(paragraphs), titles, [t.name for t in corpus.themes]
            ),
            plot_formulations(matrix, titles),
        ]
        for figure in figures:
            figure.canvas.draw()
    for figure in figures:
        plt.close(figure)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing


def test_formulations_figure_keeps_the_most_shared_rows(corpus, formulation_tables):
    _found, _counts, matrix = formulation_tables
    figure = plot_formulations(matrix, corpus.speech_titles(), max_rows=10)
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    plt.close(figure)
    assert len(labels) == 10
    assert "办公室工作无小事" in labels and "参谋助手" in labels


@pytest.fixture(scope="module")
def stage_output(corpus, params):
    return run_stage("themes", corpus, params, {})


def test_stage_writes_every_table_and_figure(stage_output):
    assert set(stage_output.tables) == {
        "theme_rates_by_speech",
        "theme_rates_by_section",
        "theme_rates_by_group",
        "term_counts_by_speech",
        "theme_positions",
        "theme_kwic",
        "formulations",
        "formulations_by_speech",
        "formulation_recall",
    }
    names = {name.rsplit(".", 1)[0] for name in stage_output.files}
    assert names == {
        "theme_heatmap",
        "theme_section_heatmap",
        "theme_by_group",
        "theme_dispersion",
        "formulations",
    }
    # No level or year has three speeches: the group figure says so instead of comparing them.
    assert any(
        message.startswith("theme_by_group: no group to compare") and "市 1 篇" in message
        for message in stage_output.messages
    )
    assert list(stage_output.tables["theme_rates_by_speech"].columns) == [
        "doc_id",
        "theme",
        "hits",
        "tokens",
        "rate_per_1k",
    ]
    assert list(stage_output.tables["theme_rates_by_group"].columns[:3]) == [
        "group_by",
        "group",
        "theme",
    ]
    assert any("reference formulations" in message for message in stage_output.messages)


@pytest.mark.slow
def test_stage_tables_are_byte_identical_on_a_rerun(corpus, params, stage_output):
    again = run_stage("themes", corpus, params, {})
    for name, table in stage_output.tables.items():
        first = table.to_csv(index=False, float_format="%.6g", lineterminator="\n")
        second = again.tables[name].to_csv(index=False, float_format="%.6g", lineterminator="\n")
        assert first == second, name
