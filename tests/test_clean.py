"""Cleaning rules on the real noise of the bundled speeches."""

from __future__ import annotations

import re

import pytest

from speechtopics.config import PROJECT_ROOT
from speechtopics.text.clean import (
    chinese_punctuation,
    cjk_only,
    clean_text,
    default_rules,
    fix_html_entities,
    fullwidth_ascii_to_halfwidth,
    make_watermark_remover,
    normalize_whitespace,
    remove_forum_junk,
)
from speechtopics.text.lexicon import load_word_list

RAW = PROJECT_ROOT / "data" / "raw"
NOISE = load_word_list(PROJECT_ROOT / "data" / "lexicon" / "noise.txt")


def raw_text(prefix: str) -> str:
    (path,) = RAW.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def cleaned(prefix: str) -> str:
    return clean_text(raw_text(prefix), default_rules(NOISE)).text


# rule, input taken from the speeches, expected output
RULE_CASES = [
    (remove_forum_junk, "1 D& E# O6 C: P9 c& k M$ d- E; o", ""),
    (remove_forum_junk, '; l/ D" M4 l" w) w! v办公室作为领导决策的', "办公室作为领导决策的"),
    (remove_forum_junk, "~! T' B8 `! w. B6 j\" b0 A) Y# g刚才,玉祥同志", "刚才,玉祥同志"),
    (remove_forum_junk, '强调三点意见。 / Z& h" Y7 \\6 f1 X* d) w', "强调三点意见。 "),
    (remove_forum_junk, "有奔头。0 A/ e8 x% o- d4 I2 n6 Y0 y", "有奔头。"),
    (
        remove_forum_junk,
        "会议还表彰了2007年度办公室工作先进单位",
        "会议还表彰了2007年度办公室工作先进单位",
    ),
    (remove_forum_junk, "做出新的贡献! |", "做出新的贡献! "),
    (fix_html_entities, "6月9mdash;10日", "6月9—10日"),
    (fix_html_entities, "办文&amp;办会&nbsp;办事", "办文&办会 办事"),
    (fix_html_entities, "&ldquo;三服务&rdquo;", "“三服务”"),
    (fix_html_entities, "&#20826;&#x653F;", "党政"),
    (make_watermark_remover(NOISE), "从我老秘网县的办公室系统选拔了", "从我县的办公室系统选拔了"),
    (
        normalize_whitespace,
        "第二,要不断提高办公室 干部 的 素质。",
        "第二,要不断提高办公室干部的素质。",
    ),
    (
        normalize_whitespace,
        "\u3000\u3000办公室工作\u3000\n\n\n  （一）解决业务不精的问题。",
        "办公室工作\n（一）解决业务不精的问题。",
    ),
    (normalize_whitespace, "the State Council 国务院", "the State Council国务院"),
    (
        fullwidth_ascii_to_halfwidth,
        "２０１４年５月，ＸＸＸ书记，“三服务”。",
        "2014年5月，XXX书记，“三服务”。",
    ),
    (chinese_punctuation, "今天,我是带着感谢;刚才!", "今天，我是带着感谢；刚才！"),
]


@pytest.mark.parametrize(("rule", "text", "expected"), RULE_CASES)
def test_rule_on_real_noise(rule, text, expected):
    assert rule(text) == expected


def test_002_junk_gone_and_every_chinese_sentence_kept():
    raw = raw_text("002")
    text = cleaned("002")
    # No run of short ASCII fragments survives anywhere.
    assert not re.search(r"[!-~]{1,3}(?: [!-~]{1,3}){3,}", text)
    assert "D& E# O6" not in text and 'M4 l"' not in text
    # Every Chinese character of the raw text is still there, in order,
    # except the watermark's.
    assert cjk_only(text) == cjk_only(raw).replace("老秘网", "")
    # Headings glued behind junk now open their paragraph.
    lines = text.split("\n")
    for heading in (
        "一、要树立从事办公室工作的职业自豪感",
        "二、要牢牢把握办公室工作的几个重点",
        "三、要十分重视办公室的干部队伍建设",
    ):
        assert heading in lines


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_cleaning_drops_no_chinese_character_outside_noise_rules(prefix):
    raw = raw_text(prefix)
    assert cjk_only(cleaned(prefix)) == cjk_only(raw).replace("老秘网", "")


def test_001_entity_fixed():
    text = cleaned("001")
    assert "6月9—10日" in text
    assert "mdash" not in text


def test_watermark_nowhere_after_cleaning():
    for prefix in ("000", "001", "002", "003", "004"):
        assert "老秘网" not in cleaned(prefix)
    assert "老秘网" in raw_text("002")


def test_report_counts_characters_removed_per_rule():
    result = clean_text(raw_text("002"), default_rules(NOISE))
    assert result.removed_chars["watermarks"] == 2 * len("老秘网")
    assert result.removed_chars["forum_junk"] > 500
    assert result.removed_chars["html_entities"] == 0
    result_001 = clean_text(raw_text("001"), default_rules(NOISE))
    assert result_001.removed_chars["html_entities"] == len("mdash;") - 1
    assert result_001.removed_chars["forum_junk"] == 0


def test_traditional_to_simplified_is_optional_and_reported():
    text = "辦公室工作要為領導服務，當好參謀助手。"
    on = clean_text(text, default_rules(traditional_to_simplified_enabled=True))
    off = clean_text(text, default_rules(traditional_to_simplified_enabled=False))
    assert on.text == "办公室工作要为领导服务，当好参谋助手。"
    assert on.changed_chars["traditional_to_simplified"] == 8  # 辦為領導務當參謀
    assert off.text == text
    assert "traditional_to_simplified" not in off.changed_chars


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_cleaning_is_idempotent_on_the_speeches(prefix):
    once = cleaned(prefix)
    assert clean_text(once, default_rules(NOISE)).text == once


def test_raw_files_are_not_modified_by_cleaning():
    before = {path.name: path.read_bytes() for path in RAW.glob("*.txt")}
    for prefix in ("000", "001", "002", "003", "004"):
        cleaned(prefix)
    assert {path.name: path.read_bytes() for path in RAW.glob("*.txt")} == before
