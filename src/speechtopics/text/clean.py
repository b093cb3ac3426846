"""Cleaning: small ``str -> str`` rules composed into a pipeline.

Each rule removes or repairs one kind of web noise. :func:`clean_text` runs
the rules in order and reports, per rule, how many characters it removed
(and, for conversion rules, how many it changed). Only the watermark rule
ever deletes a Chinese character, and only the characters of a listed
watermark.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

CleaningFunction = Callable[[str], str]

_MAX_PASSES = 5

#: CJK ideographs (basic block, extension A, compatibility ideographs).
CJK_CHARS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: Chinese / full-width punctuation that sits between CJK characters.
CJK_PUNCT = r"\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2014\u2018\u2019\u201c\u201d\u2026\u00b7"

_CJK_CHAR_RE = re.compile(f"[{CJK_CHARS}]")

# Forum anti-scraping junk: four or more short fragments of printable ASCII
# separated by spaces, e.g. ``1 D& E# O6 C: P9 c& k M$ d- E; o``.
_JUNK_RUN_RE = re.compile(r"(?<![!-~])[!-~]{1,3}(?:[ \t]+[!-~]{1,3}){3,}")
_ASCII_PUNCT_RE = re.compile(r"[!-/:-@\[-`{-~]")
# A lone fragment of ASCII punctuation left at the end of a line (`` |``).
_TRAILING_PUNCT_FRAGMENT_RE = re.compile(r"(?<=\s)[!-/:-@\[-`{-~]{1,3}[ \t]*$", re.MULTILINE)

# Entity names that survive in web copies, with or without their ``&``.
_ENTITY_NAMES = (
    "nbsp|ensp|emsp|thinsp|mdash|ndash|hellip|middot|bull|ldquo|rdquo|lsquo|rsquo|"
    "laquo|raquo|quot|amp|lt|gt|apos|copy|reg|trade|times|divide|deg|yen|sect|para"
)
_ENTITY_RE = re.compile(rf"&?(?:{_ENTITY_NAMES});|&#[0-9]{{1,7}};|&#[xX][0-9a-fA-F]{{1,6}};")

_HSPACE = r"[ \t\u00a0\u3000\u2002-\u200b\u202f\u205f\ufeff]"
_SPACE_BETWEEN_CJK_RE = re.compile(
    rf"(?<=[{CJK_CHARS}{CJK_PUNCT}]){_HSPACE}+(?=[{CJK_CHARS}{CJK_PUNCT}0-9A-Za-z])"
    rf"|(?<=[0-9A-Za-z]){_HSPACE}+(?=[{CJK_CHARS}{CJK_PUNCT}])"
)
_LINE_EDGE_SPACE_RE = re.compile(rf"^{_HSPACE}+|{_HSPACE}+$", re.MULTILINE)
_INNER_SPACE_RUN_RE = re.compile(rf"{_HSPACE}{{2,}}")
_BLANK_LINES_RE = re.compile(r"\n{2,}")

# ASCII punctuation between Chinese characters becomes its Chinese form.
_ASCII_TO_CJK_PUNCT = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"}
_ASCII_PUNCT_IN_CJK_RE = re.compile(
    rf"(?<=[{CJK_CHARS}{CJK_PUNCT}])([,;:!?])|([,;:!?])(?=[{CJK_CHARS}])"
)


def count_cjk(text: str) -> int:
    """Number of CJK ideographs in ``text``."""
    return len(_CJK_CHAR_RE.findall(text))


def cjk_only(text: str) -> str:
    """The CJK ideographs of ``text``, in order."""
    return "".join(_CJK_CHAR_RE.findall(text))


def normalize_newlines(text: str) -> str:
    """Turn ``\\r\\n`` and ``\\r`` (and Unicode line separators) into ``\\n``."""
    return (
        text.replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\u2028", "\n")
        .replace("\u2029", "\n")
    )


def fix_html_entities(text: str) -> str:
    """Decode HTML entity residue, including entities that lost their ``&``.

    ``6月9mdash;10日`` becomes ``6月9—10日``; ``&nbsp;`` becomes a space
    (removed later with the other spaces inside Chinese text).
    """

    def decode(match: re.Match[str]) -> str:
        entity = match.group(0)
        if not entity.startswith("&"):
            entity = "&" + entity
        decoded = html.unescape(entity)
        return " " if decoded == "\u00a0" else decoded

    return _ENTITY_RE.sub(decode, text)


def _is_junk_run(run: str) -> bool:
    fragments = run.split()
    non_numeric = sum(1 for fragment in fragments if not fragment.isdigit())
    with_punct = sum(1 for fragment in fragments if _ASCII_PUNCT_RE.search(fragment))
    if non_numeric < 2:
        return False
    return len(fragments) >= 5 or with_punct >= 1


def remove_forum_junk(text: str) -> str:
    """Remove runs of short ASCII fragments injected by forum anti-scraping.

    A run is four or more fragments of one to three printable ASCII
    characters separated by spaces (five or more, or four with one holding
    punctuation; a run of plain numbers is kept), e.g. ``1 D& E# O6 C: P9 c& k M$ d- E; o``. Runs glued in
    front of a sentence (``… Y# g刚才``) go too; Chinese text is never touched.
    """

    def drop(match: re.Match[str]) -> str:
        return "" if _is_junk_run(match.group(0)) else match.group(0)

    return _TRAILING_PUNCT_FRAGMENT_RE.sub("", _JUNK_RUN_RE.sub(drop, text))


def make_watermark_remover(watermarks: Iterable[str]) -> CleaningFunction:
    """Build a rule that deletes each listed watermark wherever it occurs.

    Parameters
    ----------
    watermarks : iterable of str
        Site names and boilerplate phrases (``data/lexicon/noise.txt``).
        Longer entries are removed first.
    """
    ordered = sorted({w for w in watermarks if w}, key=len, reverse=True)
    if not ordered:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(w) for w in ordered))

    def remove_watermarks(text: str) -> str:
        # Removing one watermark can join the halves of another; repeat.
        previous = None
        while previous != text:
            previous, text = text, pattern.sub("", text)
        return text

    return remove_watermarks


def fullwidth_ascii_to_halfwidth(text: str) -> str:
    """Normalise full-width letters and digits (Ａ, ０) to ASCII; punctuation stays."""
    out = []
    for char in text:
        code = ord(char)
        if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
            out.append(chr(code - 0xFEE0))
        else:
            out.append(char)
    return "".join(out)


def remove_control_characters(text: str) -> str:
    """Drop control and format characters (zero-width spaces, BOMs), lone surrogates and private-use code points.

    Newlines and tabs stay. Code points this Python's Unicode database does
    not know (category ``Cn``) also stay: they may be characters of a newer
    Unicode version (rare ideographs), and cleaning never deletes text it
    cannot name.
    """
    return "".join(
        char
        for char in text
        if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co")
    )


def normalize_whitespace(text: str) -> str:
    """Remove spaces inside Chinese text, edge spaces of lines and blank lines.

    ``办公室 干部 的 素质`` becomes ``办公室干部的素质``; a space between two
    Latin words stays (one space).
    """
    text = _LINE_EDGE_SPACE_RE.sub("", text)
    text = _SPACE_BETWEEN_CJK_RE.sub("", text)
    text = _INNER_SPACE_RUN_RE.sub(" ", text)
    text = _BLANK_LINES_RE.sub("\n", text)
    return text.strip("\n")


def chinese_punctuation(text: str) -> str:
    """Use Chinese punctuation where ASCII ``, ; : ! ? ( )`` stand between Chinese characters."""

    def swap(match: re.Match[str]) -> str:
        char = match.group(1) or match.group(2)
        return _ASCII_TO_CJK_PUNCT[char]

    return _ASCII_PUNCT_IN_CJK_RE.sub(swap, text)


@lru_cache(maxsize=1)
def _opencc_t2s():  # pragma: no cover - trivial wrapper
    import opencc

    return opencc.OpenCC("t2s")


def traditional_to_simplified(text: str) -> str:
    """Convert traditional characters to simplified with OpenCC (``t2s``)."""
    return _opencc_t2s().convert(text)


@dataclass(frozen=True)
class CleaningRule:
    """One named cleaning step."""

    name: str
    function: CleaningFunction
    #: True for rules that convert characters rather than remove them.
    converts: bool = False


@dataclass
class CleanResult:
    """Cleaned text of one speech and what each rule did to it.

    Attributes
    ----------
    text : str
        The cleaned text.
    removed_chars : dict
        Characters removed by each rule (``len(before) - len(after)``).
    changed_chars : dict
        For conversion rules: characters changed in place.
    """

    text: str
    removed_chars: dict[str, int] = field(default_factory=dict)
    changed_chars: dict[str, int] = field(default_factory=dict)


def default_rules(
    watermarks: Sequence[str] = (),
    traditional_to_simplified_enabled: bool = True,
) -> list[CleaningRule]:
    """The project's cleaning pipeline, in order.

    Parameters
    ----------
    watermarks : sequence of str
        Site watermarks to delete (from ``data/lexicon/noise.txt``).
    traditional_to_simplified_enabled : bool
        Add the OpenCC traditional → simplified conversion.
    """
    rules = [
        CleaningRule("newlines", normalize_newlines),
        CleaningRule("control_chars", remove_control_characters),
        CleaningRule("html_entities", fix_html_entities),
        CleaningRule("forum_junk", remove_forum_junk),
        CleaningRule("watermarks", make_watermark_remover(watermarks)),
        CleaningRule("fullwidth_ascii", fullwidth_ascii_to_halfwidth, converts=True),
        CleaningRule("whitespace", normalize_whitespace),
        CleaningRule("punctuation", chinese_punctuation, converts=True),
    ]
    if traditional_to_simplified_enabled:
        rules.append(
            CleaningRule("traditional_to_simplified", traditional_to_simplified, converts=True)
        )
    return rules


def _count_changed(before: str, after: str) -> int:
    if len(before) == len(after):
        return sum(1 for a, b in zip(before, after, strict=True) if a != b)
    return abs(len(before) - len(after))


def clean_text(text: str, rules: Sequence[CleaningRule]) -> CleanResult:
    """Run the cleaning rules in order and report what each one did.

    Parameters
    ----------
    text : str
        Raw text of one speech.
    rules : sequence of CleaningRule
        Usually :func:`default_rules`.

    Returns
    -------
    CleanResult
    """
    result = CleanResult(
        text=text,
        removed_chars={rule.name: 0 for rule in rules},
        changed_chars={rule.name: 0 for rule in rules if rule.converts},
    )
    # A rule can expose noise to an earlier one (junk glued to a watermark,
    # spaces freed by an entity), so passes repeat until nothing changes;
    # this makes cleaning idempotent.
    for _ in range(_MAX_PASSES):
        start_of_pass = result.text
        for rule in rules:
            before = result.text
            after = rule.function(before)
            result.removed_chars[rule.name] += max(len(before) - len(after), 0)
            if rule.converts:
                result.changed_chars[rule.name] += _count_changed(before, after)
            result.text = after
        if result.text == start_of_pass:
            break
    return result
