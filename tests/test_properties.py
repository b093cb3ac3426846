"""Property tests: cleaning, segmentation, tokenization and the readers on any input.

Strings are drawn from all of Unicode (lone surrogates included where a
reader could meet them) mixed with the pieces the rules act on — the
watermark, HTML entities, forum junk, headings, full-width and traditional
characters — so that the rules meet each other. Runs are derandomized (the
same examples on every machine); set ``SPEECHTOPICS_FUZZ_EXAMPLES=5000`` to
search longer with fresh random examples.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from speechtopics.config import PROJECT_ROOT
from speechtopics.corpus.decode import DecodedText, LoadError, decode_bytes
from speechtopics.corpus.dedupe import find_near_duplicates
from speechtopics.corpus.metadata import read_metadata
from speechtopics.corpus.naming import MAX_DOC_ID_BYTES, safe_doc_id
from speechtopics.corpus.readers import read_html
from speechtopics.text.clean import cjk_only, clean_text, count_cjk, default_rules
from speechtopics.text.lexicon import (
    LexiconError,
    load_synonyms,
    load_themes,
    load_userdict,
    load_word_list,
)
from speechtopics.text.segment import GRAINS, group_units, segment_speech
from speechtopics.text.tokenize import Tokenizer

LEXICON = PROJECT_ROOT / "data" / "lexicon"
NOISE = load_word_list(LEXICON / "noise.txt")

_EXAMPLES = int(os.environ.get("SPEECHTOPICS_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=_EXAMPLES or 150,
    deadline=None,
    derandomize=not _EXAMPLES,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: What the cleaning and segmentation rules act on, as pieces to mix with random text.
PIECES = [
    "老秘网",
    "老",
    "秘网",
    "&nbsp;",
    "nbsp;",
    "mdash;",
    "&mdash;",
    "&#20826;",
    "&#x653F;",
    "&amp;",
    "&",
    "#",
    ";",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\u3000",
    "\u00a0",
    "\u200b",
    "\ufeff",
    "\x00",
    "\u2028",
    "1 D& E# O6 C: P9 c& k M$ d- E; o",
    "~! T' B8",
    " |",
    "a",
    "Z",
    "0",
    "9",
    "!",
    "?",
    ",",
    ";",
    ":",
    "(",
    ")",
    "，",
    "。",
    "；",
    "！",
    "？",
    "“",
    "”",
    "…",
    "、",
    "：",
    "一、",
    "二、",
    "（一）",
    "(二)",
    "一是",
    "第一，",
    "首先，",
    "同志们：",
    "办公室",
    "参谋助手",
    "三服务",
    "队伍建设",
    "在办公室会议上的讲话",
    "辦公室",
    "參謀",
    "薴",
    "Ａ",
    "１",
    "\ufa6e",
    "\U00020000",
    "\ue000",
]
ANY_CHAR = st.characters(exclude_categories=())  # every code point, lone surrogates included
TEXT_CHAR = st.characters(
    exclude_categories=("Cs",)
)  # what a decoded file can hold (no lone surrogates)


def texts(
    chars: st.SearchStrategy[str] = TEXT_CHAR, max_pieces: int = 40
) -> st.SearchStrategy[str]:
    """Strings mixing random characters with the pieces the rules act on."""
    piece = st.one_of(st.sampled_from(PIECES), st.text(chars, min_size=1, max_size=6))
    return st.lists(piece, max_size=max_pieces).map("".join)


PROJECT_RULES = default_rules(NOISE)
NO_TARGET_RULES = default_rules((), traditional_to_simplified_enabled=False)


def is_subsequence(small: str, large: str) -> bool:
    iterator = iter(large)
    return all(char in iterator for char in small)


# --------------------------------------------------------------------------- cleaning


@FUZZ
@given(texts(ANY_CHAR))
def test_cleaning_never_raises_and_leaves_no_control_characters(text):
    result = clean_text(text, PROJECT_RULES)
    assert isinstance(result.text, str)
    assert not any(0xD800 <= ord(char) <= 0xDFFF for char in result.text)
    assert "\x00" not in result.text and "\r" not in result.text and "\ufeff" not in result.text
    assert all(count >= 0 for count in result.removed_chars.values())
    result.text.encode("utf-8")  # always writable


@FUZZ
@given(texts())
def test_cleaning_is_idempotent(text):
    once = clean_text(text, PROJECT_RULES).text
    assert clean_text(once, PROJECT_RULES).text == once


@FUZZ
@given(texts())
def test_cleaning_keeps_every_chinese_character_no_rule_targets(text):
    """Without a watermark list and conversion, no rule deletes a CJK character.

    Entities like ``&#20826;`` can add one; nothing takes one away.
    """
    cleaned = clean_text(text, NO_TARGET_RULES).text
    if "#" in text:
        assert is_subsequence(cjk_only(text), cjk_only(cleaned))
    else:
        assert cjk_only(cleaned) == cjk_only(text)


def count_ideographs(text: str) -> int:
    """CJK ideographs of every block, the supplementary planes' extensions included."""
    return count_cjk(text) + sum(1 for char in text if 0x20000 <= ord(char) <= 0x3FFFF)


@FUZZ
@given(texts())
def test_traditional_conversion_changes_characters_but_never_drops_them(text):
    # One character for one (some go to extension blocks: 鐩 → 𬭼).
    assume("#" not in text)
    converted = clean_text(text, default_rules((), traditional_to_simplified_enabled=True)).text
    assert count_ideographs(converted) == count_ideographs(text)


# --------------------------------------------------------------------------- segmentation


def _check_units_cover(text: str) -> None:
    for grain in ("paragraph", "sentence"):
        units = segment_speech("d", text, grain=grain)
        assert cjk_only("".join(unit.text for unit in units)) == cjk_only(text)
        for unit in units:
            assert (
                unit.text and text[unit.char_start : unit.char_start + len(unit.text)] == unit.text
            )
        if text.strip():
            assert any(unit.role != "title" for unit in units)  # a text is never all title
        for grouping in GRAINS:
            groups = group_units(units, grouping)
            body = [unit for unit in units if unit.role != "title"]
            assert sum(len(group["unit_ids"]) for group in groups) == len(body)


@FUZZ
@given(texts())
def test_segmentation_covers_the_cleaned_text(text):
    _check_units_cover(clean_text(text, PROJECT_RULES).text)


@FUZZ
@given(texts(ANY_CHAR))
def test_segmentation_never_raises_on_uncleaned_text(text):
    _check_units_cover(text)


# --------------------------------------------------------------------------- tokenization


@pytest.fixture(scope="module", params=["rjieba", "jieba"])
def tokenizer(request) -> Tokenizer:
    return Tokenizer.from_lexicon(LEXICON, backend=request.param)


def _check_tokens(tokenizer: Tokenizer, text: str) -> None:
    tokens = tokenizer(text)
    for token in tokens:
        assert token and token == token.strip()
        assert len(token) >= tokenizer.settings.min_token_length
        assert token not in tokenizer.stopwords
        assert count_cjk(token) > 0


@FUZZ
@given(text=texts())
def test_tokenizer_never_raises_on_any_text(tokenizer, text):
    _check_tokens(tokenizer, text)


@FUZZ
@given(text=texts(ANY_CHAR))
def test_tokenizer_never_raises_on_cleaned_text_of_any_input(tokenizer, text):
    _check_tokens(tokenizer, clean_text(text, PROJECT_RULES).text)


# --------------------------------------------------------------------------- readers

BYTE_PREFIXES = [
    b"",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\xff\xfe\x00\x00",
    b"\x00\x00\xfe\xff",
    b"%PDF",
    b"PK\x03\x04",
]
CHINESE_BYTES = st.sampled_from(
    [
        piece.encode(encoding, errors="ignore")
        for piece in ("办公室工作无小事。", "辦公室", "一、认清一个责任\n")
        for encoding in ("utf-8", "gb18030", "big5", "utf-16-le")
    ]
)


def byte_strings() -> st.SearchStrategy[bytes]:
    body = st.lists(st.one_of(st.binary(max_size=12), CHINESE_BYTES), max_size=20).map(b"".join)
    return st.tuples(st.sampled_from(BYTE_PREFIXES), body).map(b"".join)


@FUZZ
@given(byte_strings())
def test_decoder_returns_text_or_says_why_not(data):
    try:
        decoded = decode_bytes(data, "x.txt")
    except LoadError as exc:
        assert str(exc).startswith("x.txt: ")
        return
    assert isinstance(decoded, DecodedText) and isinstance(decoded.text, str)
    clean_text(decoded.text, PROJECT_RULES)


@FUZZ
@given(
    st.one_of(
        byte_strings(), texts().map(lambda t: f"<html><body><p>{t}</p></body></html>".encode())
    )
)
def test_html_reader_returns_text_or_says_why_not(data):
    try:
        page = read_html(data, "x.html")
    except LoadError:
        return
    assert isinstance(page.text, str)


@pytest.fixture(scope="module")
def scratch() -> Path:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


CSV_PIECES = st.sampled_from(
    [
        "doc_id,file,title,level,region,year,speaker,source,notes\n",
        "file,year\n",
        "a.txt",
        ",",
        "\n",
        '"',
        '""',
        "2015",
        "二〇一五",
        "县",
        "\r\n",
        "\x00",
        ";",
        "\t",
    ]
)


@FUZZ
@given(st.lists(st.one_of(CSV_PIECES, st.text(TEXT_CHAR, max_size=5)), max_size=30).map("".join))
def test_metadata_reader_never_raises(scratch, text):
    path = scratch / "metadata.csv"
    path.write_text(text, encoding="utf-8")
    metadata = read_metadata(path)
    for file, row in metadata.rows_by_file.items():
        assert file and row["file"] == file
        assert row["year"] == "" or (len(row["year"]) == 4 and row["year"].isdigit())
        assert metadata.row_numbers[file] >= 2


LOADERS = [load_userdict, load_word_list, load_synonyms, load_themes]


@FUZZ
@given(
    st.one_of(byte_strings(), texts().map(lambda t: t.encode("utf-8"))), st.sampled_from(LOADERS)
)
def test_lexicon_loaders_return_or_name_the_file(scratch, data, loader):
    path = scratch / "lexicon.txt"
    path.write_bytes(data)
    try:
        loader(path)
    except LexiconError as exc:
        assert str(path) in str(exc)


@FUZZ
@given(st.text(ANY_CHAR, max_size=300))
def test_doc_ids_are_always_safe_file_names(candidate):
    doc_id = safe_doc_id(candidate)
    assert doc_id and not doc_id.startswith(".")
    assert "/" not in doc_id and "\\" not in doc_id
    assert not any(ord(char) < 0x20 or 0xD800 <= ord(char) <= 0xDFFF for char in doc_id)
    assert len(doc_id.encode("utf-8")) <= MAX_DOC_ID_BYTES
    assert safe_doc_id(doc_id) == doc_id


@FUZZ
@given(st.lists(texts(max_pieces=15), min_size=1, max_size=5))
def test_near_duplicates_pair_each_text_with_its_copy(contents):
    named = [(f"t{i}", text) for i, text in enumerate(contents)]
    copies = named + [(f"copy{i}", text) for i, text in enumerate(contents)]
    pairs = {(pair["file"], pair["near_duplicate_of"]) for pair in find_near_duplicates(copies)}
    for i, text in enumerate(contents):
        assert ((f"copy{i}", f"t{i}") in pairs) == (count_cjk(text) > 0)
    assert all(0.9 <= pair["containment"] <= 1.0 for pair in find_near_duplicates(copies))
