"""Property tests of the inputs a user writes or drops in: settings files, Word files, web pages.

* Any settings file (known and unknown sections and keys, values of every
  TOML type) either loads into settings whose every value has its declared
  type and range, or stops with problems that each name the file and the
  section.
* Generated Word documents (paragraphs with comments, processing
  instructions, entity references and nested wrappers) read back as exactly
  their paragraphs' text, or are refused for their nesting.
* Generated web pages (the same pieces, HTML entities, DOCTYPEs with an
  internal subset) keep exactly the Chinese text of their main block.

Runs are derandomized; ``SPEECHTOPICS_FUZZ_EXAMPLES=5000`` searches longer.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import tempfile
import typing
import zipfile
from dataclasses import fields
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from speechtopics.config import Settings, SettingsError, load_settings
from speechtopics.config.checks import _type_ok, check_values, coerce
from speechtopics.corpus.decode import LoadError
from speechtopics.corpus.docx import read_docx
from speechtopics.corpus.html import read_html
from speechtopics.text.clean import cjk_only

_EXAMPLES = int(os.environ.get("SPEECHTOPICS_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=_EXAMPLES or 150,
    deadline=None,
    derandomize=not _EXAMPLES,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def scratch() -> Path:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


# --------------------------------------------------------------------------- settings files

SECTION_FIELDS = {
    section.name: [item.name for item in fields(getattr(Settings(), section.name))]
    for section in fields(Settings)
}
CHOICES = [
    "symmetric",
    "asymmetric",
    "paragraph",
    "document",
    "section",
    "sentence",
    "chapter",
    "tsne",
    "svd",
    "kmeans",
    "ward",
    "chi2",
    "g2",
    "auto",
    "jieba",
    "rjieba",
    "average",
    "level",
    "year",
    "false",
    "",
    ".",
    "data/lexicon",
    "/nonexistent",
]
SCALARS = st.one_of(
    st.integers(-3, 40),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(0, 1.5),
    st.booleans(),
    st.sampled_from(CHOICES),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=8),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(st.integers(-2, 12), max_size=6),
    st.lists(st.sampled_from(["level", "year", "region", "nonexistent", "n"]), max_size=3),
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.sampled_from(["a", "k_max"]), st.integers(0, 5), max_size=2),
)
NAMES = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10)


def _name(draw, known: list[str]) -> str:
    """A known name four times in five, else a made-up one."""
    if known and draw(st.integers(0, 4)):
        return draw(st.sampled_from(known))
    return draw(NAMES)


@st.composite
def settings_tables(draw) -> dict:
    """``{section: {key: value}}`` mixing real and made-up sections and keys."""
    data: dict = {}
    for _ in range(draw(st.integers(0, 3))):
        section = _name(draw, sorted(SECTION_FIELDS))
        values = data.setdefault(section, {})
        for _ in range(draw(st.integers(0, 3))):
            key = _name(draw, SECTION_FIELDS.get(section, []))
            values[key] = draw(_value_for(section, key) if draw(st.integers(0, 4)) else VALUES)
    return data


def _value_for(section: str, key: str) -> st.SearchStrategy:
    """A value close to the key's default (so that many files are valid)."""
    try:
        default = getattr(getattr(Settings(), section), key)
    except AttributeError:
        return VALUES
    if isinstance(default, tuple):
        default = list(default)
    near = [st.just(default)]
    if isinstance(default, int) and not isinstance(default, bool):
        near.append(st.integers(default, default + 5))
    return st.one_of(*near)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):  # a TOML basic string: JSON's escapes without surrogate pairs
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_text(data: dict) -> str:
    lines = []
    for section, values in data.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in values.items())
    return "\n".join(lines) + "\n"


def _check_loaded(settings_: Settings, data: dict) -> None:
    for section, values in data.items():
        current = getattr(settings_, section)
        for key, value in values.items():
            assert getattr(current, key) == coerce(current, key, value)
    for section_field in fields(settings_):
        section = getattr(settings_, section_field.name)
        for item in fields(section):
            annotation = typing.get_type_hints(type(section))[item.name]
            value = getattr(section, item.name)
            assert _type_ok(annotation, list(value) if isinstance(value, tuple) else value)
    assert check_values(settings_, "again") == []
    assert Settings.from_dict(settings_.to_dict()) == settings_


@FUZZ
@given(settings_tables())
def test_any_settings_file_loads_checked_or_names_file_and_section(scratch, data):
    path = scratch / "params.toml"
    path.write_text(toml_text(data), encoding="utf-8")
    try:
        loaded = load_settings(path)
    except SettingsError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.startswith(str(path)), problem
            assert re.search(r"\[[^\]]+\]", problem), problem
        return
    _check_loaded(loaded, data)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(sorted(SECTION_FIELDS)),
        st.dictionaries(
            st.sampled_from(sorted({k for keys in SECTION_FIELDS.values() for k in keys})),
            st.one_of(VALUES, st.none(), st.tuples(st.integers()), st.just(object())),
            max_size=4,
        ),
        max_size=3,
    )
)
def test_settings_from_any_mapping_are_checked_never_crash(data):
    try:
        loaded = Settings.from_dict(data, "notebook")
    except SettingsError as exc:
        assert all(problem.startswith("notebook") for problem in exc.problems)
        return
    _check_loaded(loaded, {s: v for s, v in data.items()})


# --------------------------------------------------------------------------- Word documents

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_TEXT = st.text(
    st.characters(
        exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff", include_characters="\t"
    )
    | st.sampled_from("办公室参谋助手三服务，。"),
    max_size=12,
)


@st.composite
def docx_paragraph(draw) -> tuple[str, str, int]:
    """``(xml, expected text, deepest wrapper nesting)`` of one ``<w:p>``."""
    parts, expected, deepest = [], [], 0
    for kind in draw(
        st.lists(st.sampled_from(["run", "comment", "pi", "entity", "nested"]), max_size=6)
    ):
        if kind == "run":
            text = draw(XML_TEXT)
            parts.append(f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>')
            expected.append(text)
        elif kind == "comment":
            parts.append(f"<!--{draw(XML_TEXT).replace('-', '')}-->")
        elif kind == "pi":
            parts.append(f"<?mso-{draw(NAMES)} {escape(draw(XML_TEXT)).replace('?', '')}?>")
        elif kind == "entity":
            text = draw(XML_TEXT)
            parts.append(f"<w:r><w:t>&org;{escape(text)}</w:t></w:r>")
            expected.append(text)  # entity references are never expanded
        else:
            depth = draw(st.one_of(st.integers(1, 30), st.integers(260, 2000)))
            text = draw(XML_TEXT)
            run = f"<w:r><w:t>{escape(text)}</w:t></w:r>"
            parts.append("<w:smartTag>" * depth + run + "</w:smartTag>" * depth)
            expected.append(text)
            deepest = max(deepest, depth)
    return f"<w:p>{''.join(parts)}</w:p>", "".join(expected), deepest


def docx_bytes(paragraph_xml: list[str], doctype: bool) -> bytes:
    subset = '<!DOCTYPE w:document [<!ENTITY org "办公厅">]>' if doctype else ""
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?>{subset}<w:document xmlns:w="{W}"><w:body>'
        + "".join(paragraph_xml)
        + "</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", document.encode("utf-8"))
    return buffer.getvalue()


@FUZZ
@given(st.lists(docx_paragraph(), max_size=8))
def test_word_documents_read_as_their_paragraphs_or_are_refused_for_nesting(paragraphs):
    uses_entity = any("&org;" in xml for xml, _, _ in paragraphs)
    data = docx_bytes([xml for xml, _, _ in paragraphs], doctype=uses_entity)
    deepest = max((depth for _, _, depth in paragraphs), default=0)
    try:
        text = read_docx(data, "x.docx")
    except LoadError as exc:
        assert deepest > 200, exc
        assert str(exc).startswith("x.docx: ")
        return
    assert deepest < 260
    expected = [line for _, line, _ in paragraphs]
    assert text == "\n".join(line for line in expected if line.strip())


# --------------------------------------------------------------------------- web pages

HTML_ENTITIES = {"&nbsp;": "\xa0", "&amp;": "&", "&lt;": "<", "&#20826;": "党", "&#x653F;": "政"}


@st.composite
def page_piece(draw) -> tuple[str, str, int]:
    """``(html, text it stands for, nesting)`` of one piece of a page's main block."""
    kind = draw(st.sampled_from(["text", "comment", "pi", "entity", "nested", "script"]))
    if kind == "text":
        text = draw(XML_TEXT)
        return f"<p>{escape(text)}</p>", text, 0
    if kind == "comment":
        return f"<!--{draw(XML_TEXT).replace('-', '').replace('>', '')}-->", "", 0
    if kind == "pi":
        return f"<?php {escape(draw(XML_TEXT)).replace('>', '').replace('?', '')} ?>", "", 0
    if kind == "entity":
        entity = draw(st.sampled_from(sorted(HTML_ENTITIES)))
        return f"<span>{entity}</span>", HTML_ENTITIES[entity], 0
    if kind == "script":
        return f"<script>var s = '{draw(st.sampled_from(['导航', '广告']))}';</script>", "", 0
    depth = draw(st.one_of(st.integers(1, 40), st.integers(300, 3000)))
    text = draw(XML_TEXT)
    return "<div>" * depth + f"<p>{escape(text)}</p>" + "</div>" * depth, text, depth


@FUZZ
@given(st.lists(page_piece(), max_size=10), st.booleans())
def test_web_pages_keep_their_main_text_or_are_refused_for_nesting(pieces, doctype):
    head = '<!DOCTYPE html [<!ENTITY org "办公厅">]>' if doctype else "<!DOCTYPE html>"
    page = (
        f"{head}<html><head><meta charset='utf-8'><title>标题</title></head><body>"
        "<nav>首页 导航</nav><article>"
        + "".join(html for html, _, _ in pieces)
        + "</article><footer>版权所有</footer></body></html>"
    )
    deepest = max((depth for _, _, depth in pieces), default=0)
    try:
        read = read_html(page.encode("utf-8"), "x.html")
    except LoadError as exc:
        assert deepest > 200, exc
        assert "nested more than 255 deep" in str(exc)
        return
    assert deepest < 300
    assert not read.text.startswith("]>")
    assert cjk_only(read.text) == cjk_only("".join(text for _, text, _ in pieces))
