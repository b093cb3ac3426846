"""Cleaning: small ``str -> str`` rules composed into a pipeline.

Each rule removes or repairs one kind of web noise. :func:`clean_text` runs
the rules in order and reports, per rule, how many characters it removed
(and, for conversion rules, how many it changed). Only the watermark rule
ever deletes a Chinese character, and only the characters of a listed
watermark.

Speed: every rule is a few compiled regular expressions (each opening with
a character class, so that the regex engine skips the rest of the text in C)
and cheap ``in`` tests; no rule loops over characters in Python. A rule may
carry a :class:`Trigger`, the places where it can change a text; the
triggers of consecutive rules are searched as one pattern, and when it finds
nothing those rules are skipped, which makes the pass that confirms the
fixed point nearly free.
"""

from __future__ import annotations

import html
import operator
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

_NON_CJK_RUN_RE = re.compile(f"[^{CJK_CHARS}][^{CJK_CHARS}]*")

# Forum anti-scraping junk: four or more short fragments of printable ASCII
# separated by spaces, e.g. ``1 D& E# O6 C: P9 c& k M$ d- E; o``. The first
# fragment must not follow printable ASCII (checked after its first character
# so that the pattern opens with a character class).
_JUNK_RUN_RE = re.compile(r"[!-~](?<![!-~][!-~])[!-~]{0,2}(?:[ \t]+[!-~]{1,3}){3,}")
_ASCII_PUNCT = r"[!-/:-@\[-`{-~]"
_ASCII_PUNCT_RE = re.compile(_ASCII_PUNCT)
# A lone fragment of ASCII punctuation after whitespace at the end of a line (`` |``).
_TRAILING_PUNCT_FRAGMENT = rf"(?<=\s{_ASCII_PUNCT}){_ASCII_PUNCT}{{0,2}}[ \t]*(?m:$)"
_TRAILING_PUNCT_FRAGMENT_RE = re.compile(_ASCII_PUNCT + _TRAILING_PUNCT_FRAGMENT)

# Entity names that survive in web copies, with or without their ``&``.
_ENTITY_NAMES = (
    "nbsp|ensp|emsp|thinsp|mdash|ndash|hellip|middot|bull|ldquo|rdquo|lsquo|rsquo|"
    "laquo|raquo|quot|amp|lt|gt|apos|copy|reg|trade|times|divide|deg|yen|sect|para"
)


def _entity_pattern() -> str:
    """``&?(?:names);|&#[0-9]{1,7};|&#[xX][0-9a-fA-F]{1,6};``, opening with a character class.

    At most one alternative can match at a position (no name followed by
    ``;`` starts another), so regrouping the names by first letter keeps
    every match.
    """
    rests: dict[str, list[str]] = {}
    for name in _ENTITY_NAMES.split("|"):
        rests.setdefault(name[0], []).append(name[1:])
    bare = "|".join(f"(?<={first})(?:{'|'.join(rest)});" for first, rest in sorted(rests.items()))
    with_ampersand = rf"(?:{_ENTITY_NAMES});|#[0-9]{{1,7}};|#[xX][0-9a-fA-F]{{1,6}};"
    return f"[&{''.join(sorted(rests))}](?:(?<=&)(?:{with_ampersand})|{bare})"


_ENTITY_RE = re.compile(_entity_pattern())

_HSPACE_CHARS = r" \t\u00a0\u3000\u2002-\u200b\u202f\u205f\ufeff"
_HSPACE = f"[{_HSPACE_CHARS}]"
_HSPACE_RE = re.compile(_HSPACE)
_CJK_OR_PUNCT = f"[{CJK_CHARS}{CJK_PUNCT}]"
# Each pattern opens with one space character and checks what precedes it by
# looking back over it; the matches are those of ``(?<=X)H+(?=Y)``.
_SPACE_BETWEEN_CJK = (
    rf"(?<={_CJK_OR_PUNCT}{_HSPACE}){_HSPACE}*(?=[{CJK_CHARS}{CJK_PUNCT}0-9A-Za-z])"
    rf"|(?<=[0-9A-Za-z]{_HSPACE}){_HSPACE}*(?={_CJK_OR_PUNCT})"
)
_SPACE_BETWEEN_CJK_RE = re.compile(f"{_HSPACE}(?:{_SPACE_BETWEEN_CJK})")
_AT_LINE_START = rf"(?<![^\n]{_HSPACE})"
_LINE_EDGE_SPACE_RE = re.compile(rf"{_HSPACE}(?:{_AT_LINE_START}{_HSPACE}*|{_HSPACE}*(?m:$))")
_INNER_SPACE_RUN_RE = re.compile(f"{_HSPACE}{_HSPACE}+")
_BLANK_LINES_RE = re.compile(r"\n\n+")

# ASCII punctuation between Chinese characters becomes its Chinese form.
_ASCII_TO_CJK_PUNCT = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"}
_PUNCT_IN_CJK = rf"(?<={_CJK_OR_PUNCT}[,;:!?])|(?=[{CJK_CHARS}])"
_ASCII_PUNCT_IN_CJK_RE = re.compile(rf"[,;:!?](?:{_PUNCT_IN_CJK})")

_FULLWIDTH_ALNUM = r"\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
_FULLWIDTH_ALNUM_RUN_RE = re.compile(f"[{_FULLWIDTH_ALNUM}][{_FULLWIDTH_ALNUM}]*")
_FULLWIDTH_TO_ASCII = {
    code: code - 0xFEE0
    for first, last in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for code in range(first, last + 1)
}

#: Code points :func:`remove_control_characters` drops (categories Cc, Cf,
#: Cs, Co except ``\n`` and ``\t``), by version of Python's Unicode database;
#: tests/test_clean_speed_paths.py checks the entry of the running version
#: against ``unicodedata``. Other versions are scanned once.
_REMOVED_RANGES_BY_UNICODE_VERSION = {
    "14.0.0": (
        (0x0000, 0x0008), (0x000B, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD),
        (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
        (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F),
        (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F), (0xD800, 0xF8FF),
        (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
        (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
        (0xE0020, 0xE007F), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD),
    ),
}  # fmt: skip


def scan_removed_code_points() -> tuple[tuple[int, int], ...]:
    """Ranges of the code points that are control, format, surrogate or private-use characters.

    ``\\n`` and ``\\t`` are left out. Scans all of Unicode with ``unicodedata``
    (a fraction of a second).
    """
    ranges: list[list[int]] = []
    for code in range(0x110000):
        if code in (0x09, 0x0A) or unicodedata.category(chr(code)) not in ("Cc", "Cf", "Cs", "Co"):
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return tuple((first, last) for first, last in ranges)


_FIRST_ASTRAL = 0x10000
_ASTRAL_RE = re.compile(r"[\U00010000-\U0010ffff]")


def _removed_ranges() -> tuple[tuple[int, int], ...]:
    ranges = _REMOVED_RANGES_BY_UNICODE_VERSION.get(unicodedata.unidata_version)
    return scan_removed_code_points() if ranges is None else ranges


def _class_body(ranges: Iterable[tuple[int, int]]) -> str:
    return "".join(rf"\U{first:08x}-\U{last:08x}" for first, last in ranges)


@lru_cache(maxsize=1)
def _removed_chars_res() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Patterns of the removed characters below U+10000 and above.

    Two patterns, because a character class holding ranges beyond U+FFFF is
    checked range by range (several times slower) and most texts have no
    character there.
    """
    ranges = _removed_ranges()
    low = _class_body(
        (first, min(last, _FIRST_ASTRAL - 1)) for first, last in ranges if first < _FIRST_ASTRAL
    )
    high = _class_body(
        (max(first, _FIRST_ASTRAL), last) for first, last in ranges if last >= _FIRST_ASTRAL
    )
    return re.compile(f"[{low}][{low}]*"), re.compile(f"[{high}][{high}]*")


def count_cjk(text: str) -> int:
    """Number of CJK ideographs in ``text``."""
    return len(cjk_only(text))


def cjk_only(text: str) -> str:
    """The CJK ideographs of ``text``, in order."""
    return _NON_CJK_RUN_RE.sub("", text)


def normalize_newlines(text: str) -> str:
    """Turn ``\\r\\n`` and ``\\r`` (and Unicode line separators) into ``\\n``."""
    return (
        text.replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\u2028", "\n")
        .replace("\u2029", "\n")
    )


def _decode_entity(match: re.Match[str]) -> str:
    entity = match.group(0)
    if not entity.startswith("&"):
        entity = "&" + entity
    decoded = html.unescape(entity)
    return " " if decoded == "\u00a0" else decoded


def fix_html_entities(text: str) -> str:
    """Decode HTML entity residue, including entities that lost their ``&``.

    ``6月9mdash;10日`` becomes ``6月9—10日``; ``&nbsp;`` becomes a space
    (removed later with the other spaces inside Chinese text).
    """
    if ";" not in text:
        return text
    return _ENTITY_RE.sub(_decode_entity, text)


def _is_junk_run(run: str) -> bool:
    fragments = run.split()
    non_numeric = sum(1 for fragment in fragments if not fragment.isdigit())
    with_punct = sum(1 for fragment in fragments if _ASCII_PUNCT_RE.search(fragment))
    if non_numeric < 2:
        return False
    return len(fragments) >= 5 or with_punct >= 1


def _drop_junk_run(match: re.Match[str]) -> str:
    return "" if _is_junk_run(match.group(0)) else match.group(0)


def remove_forum_junk(text: str) -> str:
    """Remove runs of short ASCII fragments injected by forum anti-scraping.

    A run is four or more fragments of one to three printable ASCII
    characters separated by spaces (five or more, or four with one holding
    punctuation; a run of plain numbers is kept), e.g. ``1 D& E# O6 C: P9 c& k M$ d- E; o``. Runs glued in
    front of a sentence (``… Y# g刚才``) go too; Chinese text is never touched.
    """
    if " " in text or "\t" in text:
        text = _JUNK_RUN_RE.sub(_drop_junk_run, text)
    return _TRAILING_PUNCT_FRAGMENT_RE.sub("", text)


def _distinct_watermarks(watermarks: Iterable[str]) -> list[str]:
    return sorted({w for w in watermarks if w}, key=len, reverse=True)


def make_watermark_remover(watermarks: Iterable[str]) -> CleaningFunction:
    """Build a rule that deletes each listed watermark wherever it occurs.

    Parameters
    ----------
    watermarks : iterable of str
        Site names and boilerplate phrases (``data/lexicon/noise.txt``).
        Longer entries are removed first.
    """
    ordered = _distinct_watermarks(watermarks)
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


def _to_halfwidth(match: re.Match[str]) -> str:
    return match.group(0).translate(_FULLWIDTH_TO_ASCII)


def fullwidth_ascii_to_halfwidth(text: str) -> str:
    """Normalise full-width letters and digits (Ａ, ０) to ASCII; punctuation stays."""
    return _FULLWIDTH_ALNUM_RUN_RE.sub(_to_halfwidth, text)


def remove_control_characters(text: str) -> str:
    """Drop control and format characters (zero-width spaces, BOMs), lone surrogates and private-use code points.

    Newlines and tabs stay. Code points this Python's Unicode database does
    not know (category ``Cn``) also stay: they may be characters of a newer
    Unicode version (rare ideographs), and cleaning never deletes text it
    cannot name.
    """
    below, beyond = _removed_chars_res()
    text = below.sub("", text)
    if _ASTRAL_RE.search(text) is None:
        return text
    return beyond.sub("", text)


def normalize_whitespace(text: str) -> str:
    """Remove spaces inside Chinese text, edge spaces of lines and blank lines.

    ``办公室 干部 的 素质`` becomes ``办公室干部的素质``; a space between two
    Latin words stays (one space).
    """
    if _HSPACE_RE.search(text) is not None:
        text = _LINE_EDGE_SPACE_RE.sub("", text)
        text = _SPACE_BETWEEN_CJK_RE.sub("", text)
        text = _INNER_SPACE_RUN_RE.sub(" ", text)
    if "\n\n" in text:
        text = _BLANK_LINES_RE.sub("\n", text)
    return text.strip("\n")


def _swap_punct(match: re.Match[str]) -> str:
    return _ASCII_TO_CJK_PUNCT[match.group(0)]


def chinese_punctuation(text: str) -> str:
    """Use Chinese punctuation where ASCII ``, ; : ! ? ( )`` stand between Chinese characters."""
    return _ASCII_PUNCT_IN_CJK_RE.sub(_swap_punct, text)


@lru_cache(maxsize=1)
def _opencc_t2s():  # pragma: no cover - trivial wrapper
    import opencc

    return opencc.OpenCC("t2s")


def traditional_to_simplified(text: str) -> str:
    """Convert traditional characters to simplified with OpenCC (``t2s``)."""
    return _opencc_t2s().convert(text)


@dataclass(frozen=True)
class Trigger:
    """Where a cleaning rule can change a text.

    A rule leaves alone every text in which no character of ``chars`` is
    followed by a match of ``after``, so :func:`clean_text` skips it there.
    A trigger may find places the rule leaves alone, never miss one it changes.

    Attributes
    ----------
    chars : str
        Body of a regular-expression character class (``"\\r\\u2028"``),
        not starting with ``^``; ``""`` for a rule that changes nothing.
    after : str
        Regular expression that must match right after that character (it
        may look back over it); ``""`` when the character alone is enough.
    """

    chars: str
    after: str = ""


def watermark_trigger(watermarks: Iterable[str]) -> Trigger:
    """The :class:`Trigger` of :func:`make_watermark_remover`: the watermarks themselves."""
    ordered = _distinct_watermarks(watermarks)
    firsts = "".join(sorted({re.escape(w[0]) for w in ordered}))
    after = "|".join(f"(?<={re.escape(w[0])}){re.escape(w[1:])}" for w in ordered)
    return Trigger(firsts, after)


NEWLINES_TRIGGER = Trigger(r"\r\u2028\u2029")
HTML_ENTITIES_TRIGGER = Trigger(";", r"(?<=[0-9A-Za-z];)")
FORUM_JUNK_TRIGGER = Trigger(
    r" \t!-/:-@\[-`{-~",
    r"(?<=[!-~][ \t])[ \t]*[!-~]{1,3}(?:[ \t]+[!-~]{1,3}){2,}|" + _TRAILING_PUNCT_FRAGMENT,
)
FULLWIDTH_TRIGGER = Trigger(_FULLWIDTH_ALNUM)
WHITESPACE_TRIGGER = Trigger(
    _HSPACE_CHARS + r"\n",
    r"(?<=\n)(?:(?<![\s\S]\n)|(?=\n)|\Z)"
    rf"|(?<={_HSPACE})(?:{_AT_LINE_START}|(?={_HSPACE})|{_HSPACE}*(?m:$)|{_SPACE_BETWEEN_CJK})",
)
PUNCTUATION_TRIGGER = Trigger(",;:!?", _PUNCT_IN_CJK)


def control_chars_trigger() -> Trigger:
    """The :class:`Trigger` of :func:`remove_control_characters`: its characters below U+10000, any beyond."""
    below = [
        (first, min(last, _FIRST_ASTRAL - 1))
        for first, last in _removed_ranges()
        if first < _FIRST_ASTRAL
    ]
    return Trigger(_class_body([*below, (_FIRST_ASTRAL, 0x10FFFF)]))


@dataclass(frozen=True)
class CleaningRule:
    """One named cleaning step."""

    name: str
    function: CleaningFunction
    #: True for rules that convert characters rather than remove them.
    converts: bool = False
    #: Where the rule can change a text; ``None``: anywhere (always run).
    trigger: Trigger | None = None


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
        CleaningRule("newlines", normalize_newlines, trigger=NEWLINES_TRIGGER),
        CleaningRule("control_chars", remove_control_characters, trigger=control_chars_trigger()),
        CleaningRule("html_entities", fix_html_entities, trigger=HTML_ENTITIES_TRIGGER),
        CleaningRule("forum_junk", remove_forum_junk, trigger=FORUM_JUNK_TRIGGER),
        CleaningRule(
            "watermarks", make_watermark_remover(watermarks), trigger=watermark_trigger(watermarks)
        ),
        CleaningRule(
            "fullwidth_ascii",
            fullwidth_ascii_to_halfwidth,
            converts=True,
            trigger=FULLWIDTH_TRIGGER,
        ),
        CleaningRule("whitespace", normalize_whitespace, trigger=WHITESPACE_TRIGGER),
        CleaningRule(
            "punctuation", chinese_punctuation, converts=True, trigger=PUNCTUATION_TRIGGER
        ),
    ]
    if traditional_to_simplified_enabled:
        rules.append(
            CleaningRule("traditional_to_simplified", traditional_to_simplified, converts=True)
        )
    return rules


# --------------------------------------------------------------------------- running the rules

#: A rule as a pass runs it: name, function, converts.
_Member = tuple[str, CleaningFunction, bool]


@dataclass(frozen=True)
class _Step:
    """Consecutive rules with triggers under their joint trigger, or one rule without a trigger."""

    joint: re.Pattern[str] | None
    members: tuple[_Member, ...]


@dataclass(frozen=True)
class _Plan:
    """The steps of a pass, and zeroed counts by rule name to copy for each text."""

    steps: tuple[_Step, ...]
    no_removed: dict[str, int]
    no_changed: dict[str, int]


def _trigger_pattern(triggers: Sequence[Trigger]) -> re.Pattern[str]:
    """One pattern that finds a place of any of ``triggers``; it opens with a character class."""
    first = "|".join(f"[{trigger.chars}]" for trigger in triggers)
    if not any(trigger.after for trigger in triggers):
        return re.compile(f"(?:{first})")
    after = "|".join(f"(?<=[{t.chars}])(?:{t.after})" for t in triggers)
    return re.compile(f"(?:{first})(?:{after})")


def _plan(rules: Sequence[CleaningRule]) -> _Plan:
    """Group consecutive rules with triggers; leave out rules that change nothing."""
    steps: list[_Step] = []
    group: list[CleaningRule] = []

    def close_group() -> None:
        if group:
            triggers = [rule.trigger for rule in group if rule.trigger is not None]
            members = tuple((rule.name, rule.function, rule.converts) for rule in group)
            steps.append(_Step(_trigger_pattern(triggers), members))
            group.clear()

    for rule in rules:
        if rule.trigger is None:
            close_group()
            steps.append(_Step(None, ((rule.name, rule.function, rule.converts),)))
        elif rule.trigger.chars:
            group.append(rule)
    close_group()
    no_removed = {rule.name: 0 for rule in rules}
    no_changed = {rule.name: 0 for rule in rules if rule.converts}
    return _Plan(tuple(steps), no_removed, no_changed)


_PLANS: dict[int, tuple[Sequence[CleaningRule], tuple[CleaningRule, ...], _Plan]] = {}
_PLANS_KEPT = 16


def _plan_for(rules: Sequence[CleaningRule]) -> _Plan:
    """The plan of ``rules``, remembered for the last few rule lists (by identity and content)."""
    snapshot = tuple(rules)
    cached = _PLANS.get(id(rules))
    if cached is not None and cached[0] is rules and cached[1] == snapshot:
        return cached[2]
    plan = _plan(snapshot)
    if len(_PLANS) >= _PLANS_KEPT:
        del _PLANS[next(iter(_PLANS))]
    _PLANS[id(rules)] = (rules, snapshot, plan)
    return plan


_LONG_TEXT = 512


def _count_changed(before: str, after: str) -> int:
    if len(before) != len(after):
        return abs(len(before) - len(after))
    if before == after:
        return 0
    if len(before) < _LONG_TEXT:
        return sum(map(operator.ne, before, after))
    import numpy as np

    codes_before = np.frombuffer(before.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    codes_after = np.frombuffer(after.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    return int(np.count_nonzero(codes_before != codes_after))


def _tally(
    removed: dict[str, int],
    changed: dict[str, int],
    member: _Member,
    before: str,
    after: str,
) -> None:
    """Add what one rule did to ``before`` to the counts of its name."""
    name, _, converts = member
    removed[name] += max(len(before) - len(after), 0)
    if converts:
        changed[name] += _count_changed(before, after)


def _run_group(step: _Step, text: str, removed: dict[str, int], changed: dict[str, int]) -> str:
    """Run the rules of a step with a joint trigger on ``text`` (it found a place)."""
    for member in step.members:
        after = member[1](text)
        if after is not text and after != text:
            _tally(removed, changed, member, text, after)
            text = after
    return text


def clean_text(text: str, rules: Sequence[CleaningRule]) -> CleanResult:
    """Run the cleaning rules in order and report what each one did.

    Parameters
    ----------
    text : str
        Raw text of one speech.
    rules : sequence of CleaningRule
        Usually :func:`default_rules`. Rule functions must be pure (same
        input, same output): a rule is skipped where its trigger finds
        nothing, and a rule without a trigger is not called again on the
        text it was last given.

    Returns
    -------
    CleanResult
    """
    plan = _plan_for(rules)
    removed = plan.no_removed.copy()
    changed = plan.no_changed.copy()
    last_call: dict[int, tuple[str, str]] = {}
    # A rule can expose noise to an earlier one (junk glued to a watermark,
    # spaces freed by an entity), so passes repeat until nothing changes;
    # this makes cleaning idempotent.
    for _ in range(_MAX_PASSES):
        start_of_pass = text
        for index, step in enumerate(plan.steps):
            if step.joint is not None:
                if step.joint.search(text) is not None:
                    text = _run_group(step, text, removed, changed)
                continue
            member = step.members[0]
            seen = last_call.get(index)
            after = seen[1] if seen is not None and seen[0] == text else member[1](text)
            last_call[index] = (text, after)
            if after is not text and after != text:
                _tally(removed, changed, member, text, after)
                text = after
        if text == start_of_pass:
            break
    return CleanResult(text, removed, changed)
