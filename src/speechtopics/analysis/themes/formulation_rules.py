"""The rules that recognise formulations (提法): numbered slogans, quoted phrases, role metaphors.

The numbered slogans (``三服务``, ``四个表率``, ``三严三实``), quoted set
phrases (``新跨越、进十强``) and role metaphors (``参谋部``, ``润滑油``,
``大管家``) that structure this genre are found from the text by these
rules rather than from a list.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ...text.segment import Unit

NUMERALS = "一二两三四五六七八九十"
"""Chinese numerals that open a numbered formulation."""

CLASSIFIERS = "个项种条点大句字"
"""Measure words between the numeral and the head (三个转变, 八项规定, 四种能力, 四句话)."""

ROLE_SUFFIXES = frozenset("部站油筒脑手师员长室梯团炉池地子水哨院库机锋人家锁所兵器线纽")
"""Last characters of role metaphors: organs (参谋部), places (加油站, 哨所), tools and
materials (润滑油, 一把锁, 发动机), people (大管家, 综合协调员, 急先锋), lines (底线)."""

ROLE_FRAMES = frozenset(
    {
        "是",
        "就是",
        "既是",
        "也是",
        "又是",
        "都是",
        "还是",
        "不仅是",
        "即",
        "当好",
        "做好",
        "当",
        "做",
        "甘当",
        "甘为",
        "充当",
        "作为",
        "比喻为",
        "称为",
    }
)
"""Words after which an unquoted noun is read as a role (办公室主任是一个大管家, 即司令部、参谋部)."""

ROLE_QUANTIFIERS = frozenset({"一个", "一把", "一名", "一位", "一支", "一座", "一面", "一道"})

GENERIC_ROLE_NOUNS = frozenset(
    {
        "办公室",
        "一员",
        "人员",
        "成员",
        "工作人员",
        "干部",
        "科室",
        "处室",
        "大家",
        "国家",
        "全部",
        "内部",
        "外部",
        "别人",
        "他人",
        "个人",
        "本人",
        "家人",
        "主人",
        "同志",
    }
)
"""Nouns with a role suffix that are literal, not metaphors (是办公室的一员)."""

FUNCTION_CHARS = frozenset("的是在了着过要把被就都也而之")
"""Characters that mark a clause rather than a name inside a quoted phrase (“关键在人”)."""

QUOTE_PAIRS = {"“": "”", "「": "」", "『": "』"}
_QUOTED_RE = re.compile(r"“([^“”\n]{1,40})”|「([^「」\n]{1,40})」|『([^『』\n]{1,40})』")
_CJK = "\u4e00-\u9fff"
_SEPARATOR_RE = re.compile(r"[、，,；;]")
_NUMBERED_CLASSIFIED_RE = re.compile(
    rf"(?P<num>[{NUMERALS}]{{1,3}})(?P<cl>[{CLASSIFIERS}])(?P<head>[{_CJK}]{{1,4}})"
)
_NUMBERED_BARE_RE = re.compile(
    rf"(?P<num>[{NUMERALS}双]{{1,3}})(?P<head>[^{NUMERALS}双个\W\d][{_CJK}]{{0,2}})"
)
_ALTERNATING_RE = re.compile(
    rf"[{NUMERALS}双][^{NUMERALS}双\W\d](?:[{NUMERALS}双][^{NUMERALS}双\W\d]){{1,2}}"
)
_PAIRED_RE = re.compile(
    rf"(?P<n1>[{NUMERALS}])(?P<cl>[{_CJK}])(?P<h1>[{_CJK}]{{1,3}})[，,、](?P<n2>[{NUMERALS}])(?P=cl)(?P<h2>[{_CJK}]{{1,3}})"
)
_BODY_NUMBERED_RE = re.compile(
    rf"(?<![第每{NUMERALS}])(?P<num>[{NUMERALS}]{{1,3}})(?P<cl>[{CLASSIFIERS}])"
)

KIND_ORDER = ("numbered", "slogan", "metaphor")

_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "双": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def numeral_value(numeral: str) -> int | None:
    """Value of a Chinese numeral up to 99 (``十一`` → 11, ``两`` → 2, ``双`` → 2); None if not one."""
    if not numeral:
        return None
    if "十" in numeral:
        tens, _, units = numeral.partition("十")
        if "十" in units or (tens and tens not in _DIGITS) or (units and units not in _DIGITS):
            return None
        return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[units] if units else 0)
    if len(numeral) == 1 and numeral in _DIGITS:
        return _DIGITS[numeral]
    return None


@dataclass(frozen=True)
class Mention:
    """One place where a rule found a formulation.

    Attributes
    ----------
    formulation : str
        The formulation as written.
    kind : str
        ``numbered``, ``slogan`` or ``metaphor``.
    evidence : str
        The rule that accepted it (``quoted``, ``heading``, ``enumerated``,
        ``counted list``, ``series``, ``paired``, ``role frame``, ``recurs``).
    doc_id, unit_id : str
        Where.
    """

    formulation: str
    kind: str
    evidence: str
    doc_id: str
    unit_id: str


def classify_quoted(phrase: str) -> tuple[str, str] | None:
    """Kind of a quoted phrase, or None if the quotation is not a formulation.

    Rules (the phrase is what stands between “ and ”):

    * ``numbered`` — a numeral of 2 or more, an optional measure word and a
      short head (``三服务``, ``四风``, ``四个表率``, ``十二字``, ``双过半``),
      or numerals alternating with single characters (``三严三实``,
      ``一岗双责``, ``三去一降一补``). A phrase of numerals only
      (``十二五``) is not one.
    * ``slogan`` — 2 to 4 parallel parts of equal length (2–7 characters)
      separated by ``、`` or ``，`` (``讲大局、强责任、提能力、抓落实``), or a
      campaign name ending in 年 (``落实年``).
    * ``metaphor`` — a 2–6 character name ending in a role character
      (:data:`ROLE_SUFFIXES`: ``参谋部``, ``加油站``, ``润滑油``, ``顶层策划师``)
      that contains no clause particle (:data:`FUNCTION_CHARS`; so not
      ``关键在人``).

    Longer quotations, single words and sayings are rejected here; a quoted
    saying of 4 or more characters that recurs in several speeches is
    accepted later by :func:`find_formulations`.
    """
    phrase = phrase.strip()
    if not phrase or not re.fullmatch(rf"[{_CJK}、，,；;]+", phrase):
        return None
    if _SEPARATOR_RE.search(phrase):
        parts = [part for part in _SEPARATOR_RE.split(phrase)]
        lengths = {len(part) for part in parts}
        if 2 <= len(parts) <= 4 and len(lengths) == 1 and 2 <= lengths.pop() <= 7:
            return ("slogan", "quoted")
        return None
    if _ALTERNATING_RE.fullmatch(phrase):
        return ("numbered", "quoted")
    for regex in (_NUMBERED_CLASSIFIED_RE, _NUMBERED_BARE_RE):
        match = regex.fullmatch(phrase)
        if match:
            value = numeral_value(match.group("num"))
            if value is not None and value >= 2:
                return ("numbered", "quoted")
    if 3 <= len(phrase) <= 5 and phrase.endswith("年") and not FUNCTION_CHARS.intersection(phrase):
        return ("slogan", "quoted")
    if (
        2 <= len(phrase) <= 6
        and phrase[-1] in ROLE_SUFFIXES
        and not FUNCTION_CHARS.intersection(phrase)
    ):
        return ("metaphor", "quoted")
    return None


def quoted_spans(text: str) -> list[tuple[int, int, str]]:
    """Quotations in a paragraph: ``(start, end, phrase)`` of the text between the marks."""
    spans = []
    for match in _QUOTED_RE.finditer(text):
        group = next(i for i in (1, 2, 3) if match.group(i) is not None)
        spans.append((match.start(group), match.end(group), match.group(group)))
    return spans


def word_spans(text: str, segment: Callable[[str], list[str]] | None) -> list[tuple[int, int, str]]:
    """Words of a paragraph with their character offsets in ``text``.

    Parameters
    ----------
    text : str
        One paragraph.
    segment : callable, optional
        ``str -> list[str]`` giving every word (``corpus.tokenizer.segment``).
        When its words do not join back to ``text`` (the tokenizer's synonym
        map rewrote ``办公厅`` to ``办公室``), word boundaries are carried
        back to ``text`` through a character alignment; boundaries inside a
        rewritten stretch are dropped. Without ``segment`` every character
        is a word.

    Returns
    -------
    list of (start, end, word)
        Covering ``text`` without gaps; ``word == text[start:end]``.
    """
    words = segment(text) if segment is not None else None
    if not words:
        return [(i, i + 1, char) for i, char in enumerate(text)]
    boundaries = [0]
    for word in words:
        boundaries.append(boundaries[-1] + len(word))
    joined = "".join(words)
    if joined != text:
        mapping = _alignment_map(joined, text)
        boundaries = [mapping[b] for b in boundaries if b in mapping]
        if not boundaries or boundaries[0] != 0:
            boundaries.insert(0, 0)
        if boundaries[-1] != len(text):
            boundaries.append(len(text))
    spans = []
    for start, end in zip(boundaries, boundaries[1:], strict=False):
        if end > start:
            spans.append((start, end, text[start:end]))
    return spans


def _alignment_map(source: str, target: str) -> dict[int, int]:
    """Offsets of ``source`` that have an exact counterpart in ``target`` (equal stretches and their edges)."""
    from difflib import SequenceMatcher

    mapping: dict[int, int] = {}
    matcher = SequenceMatcher(None, source, target, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1 + 1):
                mapping[i1 + k] = j1 + k
        else:
            mapping.setdefault(i1, j1)
            mapping[i2] = j2
    return mapping


def _heading_texts(unit: Unit) -> list[str]:
    headings = []
    if unit.role == "heading":
        headings.append(unit.text)
    for heading in (unit.h1_heading, unit.h2_heading, unit.h3_heading):
        if heading and unit.text.startswith(heading) and heading not in headings:
            headings.append(heading)
    return headings


def _numbered_in_body(
    text: str, words: list[tuple[int, int, str]]
) -> list[tuple[int, int, str, int, str]]:
    """Unquoted ``numeral + measure word + head`` phrases aligned to words.

    Returns ``(start, end, phrase, value, head)``. The head is the rest of
    the word holding the measure word (``三个结合`` as one word) or else the
    next word (``三个`` + ``考验``). Ordinals (``第三个``) and ``每一个`` are skipped.
    """
    starts = {start: i for i, (start, _end, _word) in enumerate(words)}
    found = []
    for match in _BODY_NUMBERED_RE.finditer(text):
        start = match.start()
        if start not in starts:
            continue
        value = numeral_value(match.group("num"))
        if value is None:
            continue
        cl_end = match.end()
        i = starts[start]
        # the word that holds the measure word
        j = i
        while j < len(words) and words[j][1] < cl_end:
            j += 1
        if j >= len(words):
            continue
        w_start, w_end, _word = words[j]
        if w_end > cl_end:
            end = w_end
        elif j + 1 < len(words):
            end = words[j + 1][1]
        else:
            continue
        phrase = text[start:end]
        head = text[cl_end:end]
        if not head or not re.fullmatch(rf"[{_CJK}]{{1,4}}", head) or head[0] in NUMERALS:
            continue
        found.append((start, end, phrase, value, head))
    return found


def _preceding_list_size(text: str, start: int) -> int:
    """Number of items in the list right before ``start`` (a quotation or a 、-list), 0 if none."""
    before = text[:start]
    if before.endswith("的"):
        before = before[:-1]
    if before.endswith("”"):
        opening = before.rfind("“")
        if opening < 0:
            return 0
        content = before[opening + 1 : -1]
        return len(_SEPARATOR_RE.split(content))
    clause = re.split(r"[，。；：！？“”,;:!?]", before)[-1]
    return len(clause.split("、")) if "、" in clause else 0


def _role_frame_nouns(words: list[tuple[int, int, str]]) -> list[str]:
    """Unquoted role nouns after a copula or role verb (是一个大管家, 当好参谋助手, 即司令部、参谋部).

    After a frame word, the clause (up to ，。；： or a quotation mark, at most
    14 words) is split into items at 、 和 与 及. An item yields its noun
    when the noun ends in a role character and is the item's first word
    (after an optional quantifier such as 一个), or follows the item's last
    的 with at most one modifier word in between. Items with aspect
    particles (了 着 过) are verbal clauses and skipped.
    """
    found = []
    texts = [word for _s, _e, word in words]
    for i, word in enumerate(texts):
        if word not in ROLE_FRAMES:
            continue
        clause: list[str] = []
        for following in texts[i + 1 : i + 15]:
            if following in {
                "，",
                "。",
                "；",
                "：",
                "！",
                "？",
                "“",
                "”",
                ",",
                ";",
                ":",
                "!",
                "?",
                "（",
                "(",
                "《",
            }:
                break
            clause.append(following)
        items: list[list[str]] = [[]]
        for following in clause:
            if following in {"、", "和", "与", "及"}:
                items.append([])
            else:
                items[-1].append(following)
        for item in items:
            if not item or any(word in {"了", "着", "过"} for word in item):
                continue
            noun = item[-1]
            if not re.fullmatch(rf"[{_CJK}]{{2,6}}", noun) or noun[-1] not in ROLE_SUFFIXES:
                continue
            if noun in GENERIC_ROLE_NOUNS:
                continue
            before = item[:-1]
            if before and before[0] in ROLE_QUANTIFIERS:
                before = before[1:]
            if "的" in before:
                after_de = before[len(before) - before[::-1].index("的") :]
                if len(after_de) > 1:
                    continue
            elif before:
                continue
            found.append(noun)
    return found
