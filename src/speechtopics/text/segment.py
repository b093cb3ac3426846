"""Segmentation: a speech's outline, paragraphs and sentences.

Speeches of this genre are outlined with numbered headings:

* level 1 — ``一、`` … ``十、`` (top-level sections);
* level 2 — ``（一）`` / ``(一)``;
* level 3 — inline enumerations that open a paragraph: ``一是``/``二是``,
  ``第一，``/``第一,``, ``首先``/``其次``/``再次``/``最后``.

The levels have a fixed rank, so a speech that only uses ``第一，`` has
those as its top-level sections. A marker counts only where it opens a
paragraph (a line of the cleaned text). Each :class:`Unit` carries its
section path (``二/（一）/一是``), the heading of each level, its paragraph
and sentence index and its text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

CN_NUMERALS = "一二三四五六七八九十"
_NUM = f"[{CN_NUMERALS}]{{1,3}}"

_LEVEL_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^(?P<label>{_NUM})[、．.](?P<rest>.*)$")),
    (2, re.compile(rf"^[（(](?P<label>{_NUM})[)）][、，,．.]?(?P<rest>.*)$")),
    (3, re.compile(rf"^(?P<label>{_NUM}是)[，,、：:]?(?P<rest>.+)$")),
    (3, re.compile(rf"^(?P<label>第{_NUM})[，,、：:](?P<rest>.+)$")),
    (3, re.compile(r"^(?P<label>首先|其次|再次|然后|最后)[，,、：:](?P<rest>.+)$")),
)

# The last character of a sentence: an end mark not followed by a closing
# quote, bracket or another end mark, or a closing quote or bracket right
# after an end mark. The pattern opens with a character class, so the regex
# engine skips the other characters in C.
_SENTENCE_LAST_CHAR_RE = re.compile(
    r"[。！？!?；;…”’」』）)]"
    r"(?:(?<=[。！？!?；;…])(?![”’」』）)\"'。！？!?；;…])|(?<=[。！？!?；;][”’」』）)]))"
)
_HEADING_END_RE = re.compile(r"[。！？!?]")

GRAINS = ("document", "section", "paragraph", "sentence")

OPENING_SECTION = "引言"

_TITLE_RE = re.compile(r"(讲话|发言|报告|致辞|讲稿|意见|总结)$")


#: Lines a web copy puts above a speech (source, date, author, font-size links).
_WEB_META_RE = re.compile(
    r"^(?:来源|稿源|出处|发布时间|发布日期|发稿时间|作者|编辑|责任编辑|浏览次数|点击数|阅读次数|字体)\s*[:：]|^【字体"
)


def title_from_text(text: str) -> str:
    """The first line when it reads as a title (short, no sentence end), else ``''``.

    Lines a web page puts above the speech (``来源：…``, ``发布时间：…``) are passed over.
    """
    for line in text.split("\n"):
        line = line.strip()
        if not line or _WEB_META_RE.match(line):
            continue
        if (
            len(line) <= 40
            and not re.search(r"[。！？；;!?，,：:]$", line)
            and (_TITLE_RE.search(line) or len(line) <= 30)
            and not re.match(r"^[一二三四五六七八九十]+、|^[（(][一二三四五六七八九十]+[)）]", line)
        ):
            return line
        return ""
    return ""


@dataclass(frozen=True)
class Unit:
    """A piece of a speech at paragraph or sentence grain.

    Attributes
    ----------
    doc_id : str
        The speech.
    unit_id : str
        ``doc_id:p012`` (paragraph) or ``doc_id:p012s03`` (sentence).
    section_path : str
        Labels of the enclosing headings, e.g. ``二/（一）/一是``; ``''`` before the first heading.
    h1_label, h2_label, h3_label : str
        Label at each level (``二``, ``（一）``, ``一是``) or ``''``.
    h1_heading, h2_heading, h3_heading : str
        Heading text at each level (first sentence of the heading paragraph).
    paragraph_index : int
        0-based index of the paragraph in the speech.
    sentence_index : int
        0-based index within the paragraph; -1 for a paragraph unit.
    role : str
        ``title``, ``heading`` (a paragraph that is only a heading) or ``body``.
    char_start : int
        Offset of the unit in the cleaned text (for dispersion plots).
    text : str
        The text.
    """

    doc_id: str
    unit_id: str
    section_path: str
    h1_label: str
    h1_heading: str
    h2_label: str
    h2_heading: str
    h3_label: str
    h3_heading: str
    paragraph_index: int
    sentence_index: int
    role: str
    char_start: int
    text: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def match_heading(paragraph: str) -> tuple[int, str, str] | None:
    """The heading level, label and heading text a paragraph opens with, if any.

    Parameters
    ----------
    paragraph : str
        One line of cleaned text.

    Returns
    -------
    (level, label, heading) or None
        ``heading`` is the first sentence (or the whole line when it has no
        sentence end). Parentheses in level-2 labels are normalised to
        full-width: ``(一)`` → ``（一）``.
    """
    for level, pattern in _LEVEL_PATTERNS:
        match = pattern.match(paragraph)
        if not match:
            continue
        label = match.group("label")
        if level == 2:
            label = f"（{label}）"
        end = _HEADING_END_RE.search(paragraph)
        heading = paragraph[: end.end()] if end else paragraph
        return level, label, heading
    return None


def split_sentences(paragraph: str) -> list[str]:
    """Split a paragraph after ``。！？；…`` (keeping closing quotes with their sentence)."""
    ends = [match.end() for match in _SENTENCE_LAST_CHAR_RE.finditer(paragraph)]
    starts = [0, *ends]
    parts = [
        paragraph[start:end]
        for start, end in zip(starts, [*ends, len(paragraph)], strict=True)
        if start < end
    ]
    return parts or [paragraph]


def segment_speech(doc_id: str, text: str, grain: str = "paragraph") -> list[Unit]:
    """Split a cleaned speech into units carrying their place in the outline.

    Parameters
    ----------
    doc_id : str
        The speech's id.
    text : str
        Cleaned text: one paragraph per line.
    grain : {"paragraph", "sentence"}
        Paragraph units or sentence units.

    Returns
    -------
    list of Unit
        In reading order. Concatenating their texts gives back every
        non-space character of ``text``.
    """
    if grain not in ("paragraph", "sentence"):
        raise ValueError(f"segment_speech grain must be 'paragraph' or 'sentence', not {grain!r}")
    lines = text.split("\n")
    # A title needs a body: a text of one paragraph is all body.
    title = title_from_text(text) if sum(1 for line in lines if line.strip()) > 1 else ""
    labels = ["", "", ""]
    headings = ["", "", ""]
    used_levels: set[int] = set()
    units: list[Unit] = []
    offset = 0
    paragraph_index = 0
    title_done = False
    for line in lines:
        start = offset
        offset += len(line) + 1
        paragraph = line.strip()
        if not paragraph:
            continue
        role = "body"
        if not title_done and title and paragraph == title and paragraph_index == 0:
            role = "title"
        else:
            found = match_heading(paragraph)
            if found is not None:
                level, label, heading = found
                used_levels.add(level)
                labels[level - 1] = label
                headings[level - 1] = heading
                for deeper in range(level, 3):
                    labels[deeper] = ""
                    headings[deeper] = ""
                if heading == paragraph and len(paragraph) <= 60:
                    role = "heading"
        title_done = True
        path = "/".join(label for label in labels if label)
        common = dict(
            doc_id=doc_id,
            section_path=path if role != "title" else "",
            h1_label=labels[0] if role != "title" else "",
            h1_heading=headings[0] if role != "title" else "",
            h2_label=labels[1] if role != "title" else "",
            h2_heading=headings[1] if role != "title" else "",
            h3_label=labels[2] if role != "title" else "",
            h3_heading=headings[2] if role != "title" else "",
            paragraph_index=paragraph_index,
            role=role,
        )
        if grain == "paragraph":
            units.append(
                Unit(
                    unit_id=f"{doc_id}:p{paragraph_index:03d}",
                    sentence_index=-1,
                    char_start=start + line.index(paragraph),
                    text=paragraph,
                    **common,
                )
            )
        else:
            position = start + line.index(paragraph)
            for sentence_index, sentence in enumerate(split_sentences(paragraph)):
                units.append(
                    Unit(
                        unit_id=f"{doc_id}:p{paragraph_index:03d}s{sentence_index:02d}",
                        sentence_index=sentence_index,
                        char_start=position,
                        text=sentence,
                        **common,
                    )
                )
                position += len(sentence)
        paragraph_index += 1
    return units


@dataclass(frozen=True)
class OutlineNode:
    """A heading in a speech's outline."""

    level: int
    label: str
    heading: str
    path: str
    paragraphs: int


def outline(units: Sequence[Unit]) -> list[OutlineNode]:
    """The section tree of one speech, as a flat list in reading order.

    Parameters
    ----------
    units : sequence of Unit
        Paragraph units of one speech (from :func:`segment_speech`).
    """
    nodes: list[OutlineNode] = []
    counts: dict[str, int] = {}
    order: list[tuple[int, str, str, str]] = []
    for unit in units:
        if unit.role == "title" or unit.sentence_index > 0:
            continue
        for level, (label, heading) in enumerate(
            (
                (unit.h1_label, unit.h1_heading),
                (unit.h2_label, unit.h2_heading),
                (unit.h3_label, unit.h3_heading),
            ),
            start=1,
        ):
            if not label:
                continue
            parts = [unit.h1_label, unit.h2_label, unit.h3_label][:level]
            path = "/".join(p for p in parts if p)
            if path not in counts:
                counts[path] = 0
                order.append((level, label, heading, path))
            counts[path] += 1
    for level, label, heading, path in order:
        nodes.append(
            OutlineNode(
                level=level, label=label, heading=heading, path=path, paragraphs=counts[path]
            )
        )
    return nodes


def top_level_sections(units: Sequence[Unit]) -> list[OutlineNode]:
    """Outline nodes at the highest heading level the speech uses."""
    nodes = outline(units)
    if not nodes:
        return []
    top = min(node.level for node in nodes)
    return [node for node in nodes if node.level == top]


def format_outline(nodes: Iterable[OutlineNode]) -> str:
    """The outline as indented text, one heading per line."""
    nodes = list(nodes)
    if not nodes:
        return "(no headings)"
    top = min(node.level for node in nodes)
    lines = []
    for node in nodes:
        indent = "  " * (node.level - top)
        lines.append(f"{indent}{node.heading}  [{node.path}; {node.paragraphs} paragraphs]")
    return "\n".join(lines)


def section_key(unit: Unit, depth: int = 1) -> str:
    """The section a unit belongs to, cut to ``depth`` levels (``''`` for the opening remarks)."""
    labels = [unit.h1_label, unit.h2_label, unit.h3_label]
    present = [label for label in labels if label]
    return "/".join(present[:depth])


def group_units(units: Sequence[Unit], grain: str) -> list[dict[str, object]]:
    """Join paragraph units into analysis units at a grain.

    Parameters
    ----------
    units : sequence of Unit
        Paragraph (or sentence) units of one or more speeches, titles included.
    grain : {"document", "section", "paragraph", "sentence"}
        ``section`` is the top-level section; the opening remarks before the
        first heading form a section with an empty path.

    Returns
    -------
    list of dict
        ``doc_id``, ``unit_id``, ``section_path``, ``unit_ids`` (members) and
        ``text`` (members joined by newlines), in reading order. Titles are left out.
    """
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}; choose one of {', '.join(GRAINS)}")
    body = [unit for unit in units if unit.role != "title"]
    if grain in ("paragraph", "sentence"):
        return [
            {
                "doc_id": unit.doc_id,
                "unit_id": unit.unit_id,
                "section_path": unit.section_path,
                "unit_ids": [unit.unit_id],
                "text": unit.text,
            }
            for unit in body
        ]
    groups: dict[tuple[str, str], dict[str, object]] = {}
    for unit in body:
        key = (unit.doc_id, section_key(unit) if grain == "section" else "")
        if key not in groups:
            unit_id = (
                unit.doc_id if grain == "document" else f"{unit.doc_id}:{key[1] or OPENING_SECTION}"
            )
            groups[key] = {
                "doc_id": unit.doc_id,
                "unit_id": unit_id,
                "section_path": key[1],
                "unit_ids": [],
                "text": [],
            }
        groups[key]["unit_ids"].append(unit.unit_id)  # type: ignore[union-attr]
        groups[key]["text"].append(unit.text)  # type: ignore[union-attr]
    for group in groups.values():
        group["text"] = "\n".join(group["text"])  # type: ignore[arg-type]
    return list(groups.values())


def top_section(section_path: str) -> str:
    """The top-level section of a section path (``二/（一）`` → ``二``; ``''`` → ``引言``)."""
    return section_path.split("/")[0] if section_path else OPENING_SECTION
