"""Segmentation: the outline of each bundled speech matches what a reader sees."""

from __future__ import annotations

import pytest

from speechtopics.text.clean import cjk_only
from speechtopics.text.segment import (
    group_units,
    match_heading,
    outline,
    segment_speech,
    split_sentences,
    top_level_sections,
)

# doc_id, top-level headings as a reader sees them
TOP_LEVEL = [
    (
        "000",
        [
            "一、认真履行好办公室主任的职责",
            "二、加强锻炼，注重培养，打造一支精干高效的办公室干部队伍",
        ],
    ),
    ("001", ["一、", "二、", "三、"]),
    (
        "002",
        [
            "一、要树立从事办公室工作的职业自豪感",
            "二、要牢牢把握办公室工作的几个重点",
            "三、要十分重视办公室的干部队伍建设",
        ],
    ),
    (
        "003",
        [
            "一、把握工作特性，增强做好办公室工作的政治自觉和行动自觉",
            "二、突出问题导向，查找补齐工作短板",
            "三、突出工作重点，提升办公室工作科学化水平",
        ],
    ),
    (
        "004",
        ["一、认清一个责任", "二、保持好两种精神状态", "三、经受住三个考验", "四、具备四种能力"],
    ),
]


def doc_units(corpus, doc_id):
    return [unit for unit in corpus.units if unit.doc_id == doc_id]


@pytest.mark.parametrize(("doc_id", "headings"), TOP_LEVEL, ids=[row[0] for row in TOP_LEVEL])
def test_top_level_sections(corpus, doc_id, headings):
    sections = top_level_sections(doc_units(corpus, doc_id))
    assert len(sections) == len(headings)
    for node, expected in zip(sections, headings, strict=True):
        assert node.heading.startswith(expected)


# doc_id, section path, heading at that path
SUBSECTIONS = [
    ("000", "一/（一）", "(一)要服务于决策，发挥办公室参谋助手作用。"),
    ("000", "二/四是", "四是要加强作风建设，培养良好的思想作风和工作作风。"),
    ("001", "三/二是", "二是要始终加强班子队伍建设。"),
    ("002", "三/第二", "第二，要不断提高办公室干部的素质。"),
    ("003", "三/（三）/二是", "二是提高办会质量。"),
    ("003", "二/（一）", "（一）解决业务不精的问题。"),
    ("004", "四/四是", "四是要有综合协调能力。"),
]


@pytest.mark.parametrize(("doc_id", "path", "heading"), SUBSECTIONS)
def test_subsection_paths_and_headings(corpus, doc_id, path, heading):
    nodes = {node.path: node for node in outline(doc_units(corpus, doc_id))}
    assert nodes[path].heading == heading


def test_inline_enumerations_are_not_sections(corpus):
    # 001's opening paragraph lists three reasons with 一是，二是，三是 inside it.
    paths = {node.path for node in outline(doc_units(corpus, "001"))}
    assert not any(path.endswith("是") and path.count("/") == 0 for path in paths)
    # 002's 一是/二是/三是 under section 一 stand inside one paragraph.
    assert not any(
        path.startswith("一/") for path in {node.path for node in outline(doc_units(corpus, "002"))}
    )


def test_units_carry_outline_position(corpus):
    unit = next(u for u in doc_units(corpus, "003") if u.text.startswith("二是提高办会质量"))
    assert unit.section_path == "三/（三）/二是"
    assert (unit.h1_label, unit.h2_label, unit.h3_label) == ("三", "（三）", "二是")
    assert unit.h1_heading == "三、突出工作重点，提升办公室工作科学化水平"
    assert unit.h2_heading == "（三）注重科学管理，当好高效运转的表率。"
    opening = doc_units(corpus, "003")[1]
    assert opening.section_path == "" and opening.role == "body"
    assert doc_units(corpus, "003")[0].role == "title"


@pytest.mark.parametrize("doc_id", ["000", "001", "002", "003", "004"])
def test_units_cover_the_text(corpus, doc_id):
    speech = corpus.speech(doc_id)
    for grain in ("paragraph", "sentence"):
        units = segment_speech(doc_id, speech.text, grain=grain)
        assert cjk_only("".join(u.text for u in units)) == cjk_only(speech.text)
        for unit in units:
            assert speech.text[unit.char_start : unit.char_start + len(unit.text)] == unit.text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("一、认清一个责任", (1, "一", "一、认清一个责任")),
        (
            "(一)要服务于决策，发挥办公室参谋助手作用。办公室的工作",
            (2, "（一）", "(一)要服务于决策，发挥办公室参谋助手作用。"),
        ),
        ("（四）大有作为。办公室工作虽然辛苦", (2, "（四）", "（四）大有作为。")),
        (
            "一是用科学的理论武装全体干部职工，提高政治思想理论水平。办",
            (3, "一是", "一是用科学的理论武装全体干部职工，提高政治思想理论水平。"),
        ),
        (
            "第三，要进一步改进办公室工作的作风。“办公室",
            (3, "第三", "第三，要进一步改进办公室工作的作风。"),
        ),
        ("首先，要提高认识。其次", (3, "首先", "首先，要提高认识。")),
        ("第一次全体会议", None),
        ("同志们：", None),
    ],
)
def test_match_heading(line, expected):
    assert match_heading(line) == expected


def test_split_sentences_keeps_closing_quotes():
    assert split_sentences("“办公室工作无小事。”是否具有严谨的作风？决定效率！") == [
        "“办公室工作无小事。”",
        "是否具有严谨的作风？",
        "决定效率！",
    ]


@pytest.mark.parametrize(
    ("paragraph", "sentences"),
    [
        ("我们要坚持……不断前进。", ["我们要坚持……", "不断前进。"]),
        ("他说：“好！”。然后", ["他说：“好！”", "。", "然后"]),
        ("（一）要提高认识；二要加强学习", ["（一）要提高认识；", "二要加强学习"]),
        ("Is it ok?Yes!", ["Is it ok?", "Yes!"]),
        ("没有句末标点", ["没有句末标点"]),
        ("a。）。b", ["a。）", "。", "b"]),
        ('好!"对"', ['好!"对"']),
        ("", [""]),
    ],
)
def test_split_sentences_edges(paragraph, sentences):
    assert split_sentences(paragraph) == sentences


@pytest.mark.parametrize(
    ("grain", "count"), [("document", 5), ("section", 5 + 15 - 1), ("paragraph", None)]
)
def test_grains(corpus, grain, count):
    groups = group_units(corpus.units, grain)
    body = [u for u in corpus.units if u.role != "title"]
    if count is None:
        assert len(groups) == len(body)
    else:
        # 15 top-level sections plus an opening section in every speech but 000.
        assert len(groups) == count
    assert sum(len(g["unit_ids"]) for g in groups) == len(body)
