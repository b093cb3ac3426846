"""Cleaning's fast paths: frozen real inputs → outputs, triggers that never miss, the plan cache.

The rules run as compiled patterns, and :func:`~speechtopics.text.clean.clean_text`
skips rules whose trigger finds nothing. ``CASES`` pins what cleaning does to
real lines (the bundled speeches, online-shopping-10cats reviews that take
three to five passes) and to made-up mixtures of the noise the rules handle:
the cleaned text and every nonzero count by rule. The expected values were
produced by the character-by-character implementation these fast paths
replaced; they include its limits, e.g. a run of ASCII commas after a Chinese
character is converted one comma per pass, five passes at most.
"""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from speechtopics.config import PROJECT_ROOT
from speechtopics.text import clean
from speechtopics.text.clean import (
    CleaningRule,
    clean_text,
    default_rules,
    scan_removed_code_points,
)
from speechtopics.text.lexicon import load_word_list

NOISE = load_word_list(PROJECT_ROOT / "data" / "lexicon" / "noise.txt")
RULES = default_rules(NOISE)

# input, cleaned text, nonzero removed_chars, nonzero changed_chars
CASES = [
    (
        "二、加强锻炼,注重培养,打造一支精干高效的办公室干部队伍",
        "二、加强锻炼，注重培养，打造一支精干高效的办公室干部队伍",
        {},
        {"punctuation": 2},
    ),
    (
        '下面,我就如何做好新时期的办公室工作,强调三点意见。 / Z& h" Y7 \\6 f1 X* d) w',
        "下面，我就如何做好新时期的办公室工作，强调三点意见。",
        {"forum_junk": 24, "whitespace": 1},
        {"punctuation": 2},
    ),
    (
        "- \\1 d( t& \\9 W+ h6 t4 l一、要树立从事办公室工作的职业自豪感 , ?# S, [8 v$ g) e) d4 a# X",
        "一、要树立从事办公室工作的职业自豪感",
        {"forum_junk": 51, "whitespace": 1},
        {},
    ),
    (
        "4 E4 ?* G7 o. T) U二、要 牢牢把握办公室工作的几个重点",
        "二、要牢牢把握办公室工作的几个重点",
        {"forum_junk": 18, "whitespace": 1},
        {},
    ),
    (
        '$ y; m" D9 s8 [. Y+ u此外,要切实提高办文办会办事效率,继续抓好机要、保密以及办公室所联系的信访接待等各项工作,为全县经济建设和社会发展提供更优质的服务。',
        "此外，要切实提高办文办会办事效率，继续抓好机要、保密以及办公室所联系的信访接待等各项工作，为全县经济建设和社会发展提供更优质的服务。",
        {"forum_junk": 21},
        {"punctuation": 3},
    ),
    (
        "2 x' ^1 B1 N+ o) `0 y8 H! F三、要十分重视办公室的干部队伍建设 7 w2 c9 R- H4 d",
        "三、要十分重视办公室的干部队伍建设",
        {"forum_junk": 42, "whitespace": 1},
        {},
    ),
    ("! Y) @9 r: N: J4 b I7 c+ p3 X0 u) b7 |", "", {"forum_junk": 38}, {}),
    (
        "相继印发了《党政机关公文处理工作条例》等7个重要文件;6月9mdash;10日，中央再次召开全国党委秘书长会议，把今年作",
        "相继印发了《党政机关公文处理工作条例》等7个重要文件；6月9—10日，中央再次召开全国党委秘书长会议，把今年作",
        {"html_entities": 5},
        {"punctuation": 1},
    ),
    (
        "”,是一个出人才的地方。这几年,省、市一些单位从我老秘网县的办公室系统选拔了多名“笔杆子”。每次的干",
        "”，是一个出人才的地方。这几年，省、市一些单位从我县的办公室系统选拔了多名“笔杆子”。每次的干",
        {"watermarks": 3},
        {"punctuation": 2},
    ),
    (
        "等方面的知识。要常上网。每天要浏览人民网、新浪网等老秘网,了解时事,掌握信息。要向领导学习。“领导永",
        "等方面的知识。要常上网。每天要浏览人民网、新浪网等，了解时事，掌握信息。要向领导学习。“领导永",
        {"watermarks": 3},
        {"punctuation": 2},
    ),
    (
        "    三要加强队伍建设。要坚持从思想政治教育入手，切实增强干部职工的政治观念、大局观念、法治观念，严守党的政治纪律和政",
        "三要加强队伍建设。要坚持从思想政治教育入手，切实增强干部职工的政治观念、大局观念、法治观念，严守党的政治纪律和政",
        {"whitespace": 4},
        {},
    ),
    (
        "（四）大有作为。办公室工作虽然辛苦，但能锻炼人、成就人。在办公室工作，接触面广，信息量大，综合协调能力、文字综合能力、督",
        "（四）大有作为。办公室工作虽然辛苦，但能锻炼人、成就人。在办公室工作，接触面广，信息量大，综合协调能力、文字综合能力、督",
        {},
        {},
    ),
    (
        "这套书是我买的最失败的一套,自已拿到书就觉得里面确实有点乱,色彩也不是很鲜艳的那种,可能外国文化和中国文化还是有很大差异吧!反正孩子就是根本都不愿意翻!不知道其它的宝宝对这本书的反映如何??",
        "这套书是我买的最失败的一套，自已拿到书就觉得里面确实有点乱，色彩也不是很鲜艳的那种，可能外国文化和中国文化还是有很大差异吧！反正孩子就是根本都不愿意翻！不知道其它的宝宝对这本书的反映如何？？",
        {},
        {"punctuation": 7},
    ),
    (
        "原註是英文的,為何不可留下英文呢,有十有英不是更好嗎? 全部都是簡體字,圖畫也不見得吸引,將會送給別人",
        "原注是英文的，为何不可留下英文呢，有十有英不是更好吗？全部都是简体字，图画也不见得吸引，将会送给别人",
        {"whitespace": 1},
        {"punctuation": 5, "traditional_to_simplified": 12},
    ),
    (
        "令人潸然泪下的好书.太值得拥有了.当当不错,能及时改正不足,^_^,继续支持!!!",
        "令人潸然泪下的好书.太值得拥有了.当当不错，能及时改正不足，^_^，继续支持！！！",
        {},
        {"punctuation": 6},
    ),
    (
        "新颖的教学方法,但对于我这种英语白痴来说,任何方法都是无益的!!!",
        "新颖的教学方法，但对于我这种英语白痴来说，任何方法都是无益的！！！",
        {},
        {"punctuation": 5},
    ),
    (
        "在这本书中,根本看不到什么是爱///没什么感觉,就是觉得教女孩们都变得势力和目的性很强,,,让女孩们都变得太物质了,教人都变得虚荣,,,,,,,",
        "在这本书中，根本看不到什么是爱///没什么感觉，就是觉得教女孩们都变得势力和目的性很强，，，让女孩们都变得太物质了，教人都变得虚荣，，，，，,,",
        {},
        {"punctuation": 11},
    ),
    (
        "当当网中到底有没有这本书啊?????为什么要留下钱而不发书?????这这真让人扫兴!!!!!!",
        "当当网中到底有没有这本书啊？？？？？为什么要留下钱而不发书？？？？？这这真让人扫兴！！！！！!",
        {},
        {"punctuation": 15},
    ),
    ("&amp;nbsp;", "&", {"html_entities": 8, "whitespace": 1}, {}),
    ("办文&amp;amp;nbsp;办会", "办文&& 办会", {"html_entities": 11}, {}),
    ("&#20826;&#x653F;&#0;&#99999999;", "党政�&#99999999;", {"html_entities": 17}, {}),
    ("6月9mdash;10日ldquo;三服务rdquo;", "6月9—10日“三服务”", {"html_entities": 15}, {}),
    (
        "中\u3000 文\xa0\xa0,ok\r\n\r\n  \u3000下一段 |\n",
        "中文 ,ok\n下一段",
        {"newlines": 2, "forum_junk": 1, "whitespace": 9},
        {},
    ),
    ("好,,,,,,,,", "好，，，，，,,,", {}, {"punctuation": 5}),
    ("真的?!!很好", "真的？！！很好", {}, {"punctuation": 3}),
    ("\U000e0020中\U000f0001文\u200b字\ufeff", "中文字", {"control_chars": 4}, {}),
    ("２０２０年ＧＤＰ增长ｘ", "2020年GDP增长x", {}, {"fullwidth_ascii": 8}),
    ("辦公室工作要為領導服務", "办公室工作要为领导服务", {}, {"traditional_to_simplified": 5}),
    ("1 2 3 4 5 a", "1 2 3 4 5 a", {}, {}),
    ("Q! R@ S# T$ 刚才", "刚才", {"forum_junk": 11, "whitespace": 1}, {}),
    ("the State Council 国务院 ,GDP", "the State Council国务院 ,GDP", {"whitespace": 1}, {}),
    ("老老秘网秘网县", "县", {"watermarks": 6}, {}),
    ("\u2028第一段\u2029第二段\r第三段", "第一段\n第二段\n第三段", {"whitespace": 1}, {}),
]


@pytest.mark.parametrize(("text", "expected", "removed", "changed"), CASES)
def test_clean_text_on_frozen_inputs(text, expected, removed, changed):
    result = clean_text(text, RULES)
    assert result.text == expected
    assert {name: n for name, n in result.removed_chars.items() if n} == removed
    assert {name: n for name, n in result.changed_chars.items() if n} == changed
    assert list(result.removed_chars) == [rule.name for rule in RULES]
    assert list(result.changed_chars) == [rule.name for rule in RULES if rule.converts]


def test_removed_code_point_table_matches_unicodedata():
    stored = clean._REMOVED_RANGES_BY_UNICODE_VERSION.get(unicodedata.unidata_version)
    if stored is None:
        pytest.skip(f"no stored table for Unicode {unicodedata.unidata_version}: it is scanned")
    assert stored == scan_removed_code_points()


def test_control_characters_beyond_the_basic_plane():
    text = "\U000e0020中\U000f0001文\U0010fffd字\U00020000\U0001f600\U000e0100"
    # Tag space and private use go; an ideograph, an emoji and a variation selector stay.
    assert clean.remove_control_characters(text) == "中文字\U00020000\U0001f600\U000e0100"


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("abc", "abc", 0),
        ("a,b", "a，b", 1),
        ("，" * 600, "，" * 599 + ",", 1),
        ("中" * 300 + "\ud800" * 300, "中" * 300 + "\udfff" * 300, 300),
        ("abc", "a", 2),
    ],
)
def test_count_changed_short_and_long_texts(before, after, expected):
    assert clean._count_changed(before, after) == expected


# --------------------------------------------------------------------------- triggers

MESSY_PIECES = [
    "老秘网", "秘网", "&nbsp;", "nbsp;", "mdash;", "&amp;nbsp;", "&#20826;", "&#x653F;", "&#0;",
    " ", "  ", "\t", "\n", "\n\n", "\r\n", "\r", "\u3000", "\u00a0", "\u200b", "\ufeff",
    "\x00", "\u2028", "\U000e0020", "\U000f0001", "\U00020000",
    "1 D& E# O6 C: P9 c& k M$ d- E; o", "Q! R@ S# T$", "1 2 3 4 5", " |", " ~!",
    "a", "Z", "0", "!", "?", ",", ";", ":", "(", ")", ",,,,", "?!!",
    "，", "。", "！", "“", "”", "一、", "（一）", "办公室", "辦公室", "參謀", "Ａ", "１", "ｘ",
    "the State Council", "GDP", "增长",
]  # fmt: skip
MESSY = st.lists(
    st.one_of(st.sampled_from(MESSY_PIECES), st.text(min_size=1, max_size=4)), max_size=40
).map("".join)
TRIGGER_FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
UNTRIGGERED = [dataclasses.replace(rule, trigger=None) for rule in RULES]


@TRIGGER_FUZZ
@given(MESSY)
def test_a_rule_changes_nothing_where_its_trigger_finds_nothing(text):
    for rule in RULES:
        if rule.trigger is None:
            continue
        if not rule.trigger.chars or clean._trigger_pattern([rule.trigger]).search(text) is None:
            assert rule.function(text) == text, rule.name


@TRIGGER_FUZZ
@given(MESSY)
def test_skipping_rules_by_trigger_gives_what_running_every_rule_gives(text):
    fast = clean_text(text, RULES)
    every_rule = clean_text(text, UNTRIGGERED)
    assert (fast.text, fast.removed_chars, fast.changed_chars) == (
        every_rule.text,
        every_rule.removed_chars,
        every_rule.changed_chars,
    )


def test_plan_follows_a_rule_list_changed_in_place():
    rules = default_rules(NOISE, traditional_to_simplified_enabled=False)
    assert clean_text("今天,我", rules).text == "今天，我"
    rules.pop()  # punctuation
    assert clean_text("今天,我", rules).text == "今天,我"
    rules.append(CleaningRule("upper", str.upper))
    assert clean_text("ok,好", rules).text == "OK,好"


def test_rules_without_triggers_still_run():
    rules = [CleaningRule("strip", str.strip), CleaningRule("upper", str.upper, converts=True)]
    result = clean_text("  ab  ", rules)
    assert result.text == "AB"
    assert result.removed_chars == {"strip": 4, "upper": 0}
    assert result.changed_chars == {"upper": 2}
