"""Formulations (提法) found in a corpus, their occurrences, counts by speech and recall."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

import pandas as pd

from ...text.segment import Unit
from .formulation_rules import (
    _CJK,
    _NUMBERED_CLASSIFIED_RE,
    _PAIRED_RE,
    KIND_ORDER,
    NUMERALS,
    QUOTE_PAIRS,
    Mention,
    _heading_texts,
    _numbered_in_body,
    _preceding_list_size,
    _role_frame_nouns,
    classify_quoted,
    numeral_value,
    quoted_spans,
    word_spans,
)


def formulation_mentions(
    units: Iterable[Unit], segment: Callable[[str], list[str]] | None = None
) -> list[Mention]:
    """Every place a formulation rule fires (paragraph grain).

    Parameters
    ----------
    units : iterable of Unit
        Paragraph units; titles are skipped.
    segment : callable, optional
        ``str -> list[str]`` with every word (``corpus.tokenizer.segment``);
        word boundaries keep heads whole (``两种`` + ``精神状态``).

    Returns
    -------
    list of Mention
        In reading order. Rules: quoted phrases (:func:`classify_quoted`);
        numbered phrases in section headings (``四、具备四种能力``); numbered
        phrases whose head recurs as many times in the paragraph as the
        numeral says (``搞好三个结合。…的结合。…相结合。…相结合``:
        ``enumerated``); numbered phrases right after a list with that many
        items (``“把握大局、统筹兼顾、抓好落实、做好表率”的四句话``:
        ``counted list``); paired numbered phrases (``一分部署，九分落实``);
        role nouns after a copula or role verb (``是一个大管家``: ``role
        frame``). Plain ``一是``/``第一`` enumerations never match: a numeral
        needs a measure word and a head, and ordinals are skipped.
    """
    mentions: list[Mention] = []
    for unit in units:
        if unit.role == "title":
            continue
        text = unit.text

        def add(phrase: str, kind: str, evidence: str, unit: Unit = unit) -> None:
            mentions.append(Mention(phrase, kind, evidence, unit.doc_id, unit.unit_id))

        for _start, _end, phrase in quoted_spans(text):
            classified = classify_quoted(phrase)
            if classified is not None:
                add(phrase.strip(), *classified)
        words = word_spans(text, segment)
        headings = _heading_texts(unit)
        for start, end, phrase, value, head in _numbered_in_body(text, words):
            if (
                text[max(0, start - 1) : start] in QUOTE_PAIRS
                and text[end : end + 1] in QUOTE_PAIRS.values()
            ):
                continue  # quoted: classified above
            if any(text.startswith(heading) and end <= len(heading) for heading in headings):
                add(phrase, "numbered", "heading")
                continue
            if value < 2:
                continue
            others = text.count(head) - text.count(phrase) if len(head) >= 2 else 0
            if others >= value:
                add(phrase, "numbered", "enumerated")
            elif _preceding_list_size(text, start) == value:
                add(phrase, "numbered", "counted list")
        for match in _PAIRED_RE.finditer(text):
            if match.group("n1") != match.group("n2") and len(match.group("h1")) == len(
                match.group("h2")
            ):
                add(match.group(), "slogan", "paired")
        for noun in _role_frame_nouns(words):
            add(noun, "metaphor", "role frame")
    return mentions


def _series_mentions(
    candidates: dict[str, tuple[str, set[str]]],
    units: Sequence[Unit],
    segment: Callable[[str], list[str]] | None,
) -> list[Mention]:
    """Unquoted numbered phrases that share measure word and head with an accepted one (八项规定 → 九项规定)."""
    heads: dict[tuple[str, str], set[int]] = defaultdict(set)
    for phrase, (kind, _evidence) in candidates.items():
        match = _NUMBERED_CLASSIFIED_RE.fullmatch(phrase)
        if kind == "numbered" and match:
            value = numeral_value(match.group("num"))
            if value is not None:
                heads[(match.group("cl"), match.group("head"))].add(value)
    found = []
    for unit in units:
        if unit.role == "title":
            continue
        for _start, _end, phrase, value, head in _numbered_in_body(
            unit.text, word_spans(unit.text, segment)
        ):
            match = _NUMBERED_CLASSIFIED_RE.fullmatch(phrase)
            if not match or value < 2 or phrase in candidates:
                continue
            known = heads.get((match.group("cl"), head))
            if known and value not in known:
                found.append(Mention(phrase, "numbered", "series", unit.doc_id, unit.unit_id))
    return found


def find_formulations(
    units: Sequence[Unit],
    segment: Callable[[str], list[str]] | None = None,
    min_saying_speeches: int = 2,
) -> pd.DataFrame:
    """Formulations (提法) found in the text, one row per formulation.

    Parameters
    ----------
    units : sequence of Unit
        Paragraph units of one or more speeches.
    segment : callable, optional
        ``corpus.tokenizer.segment``.
    min_saying_speeches : int
        A quoted saying of 4+ characters that no rule classifies (such as
        ``办公室工作无小事``) counts as a ``slogan`` when it occurs, quoted or
        not, in at least this many speeches.

    Returns
    -------
    DataFrame
        ``formulation``, ``kind`` (``numbered``, ``slogan``, ``metaphor``)
        and ``evidence`` (the rules that accepted it, ``; ``-separated).
        See :func:`formulation_mentions` for the rules; a numbered phrase
        that shares its measure word and head with an accepted one but has
        another numeral is accepted as a ``series`` (``八项规定`` quoted →
        ``九项规定``, ``十一项规定``). Sorted by kind and formulation.
    """
    units = list(units)
    mentions = formulation_mentions(units, segment)
    candidates: dict[str, tuple[str, set[str]]] = {}
    for mention in mentions:
        kind, evidence = candidates.setdefault(mention.formulation, (mention.kind, set()))
        evidence.add(mention.evidence)
    for mention in _series_mentions(candidates, units, segment):
        candidates.setdefault(mention.formulation, (mention.kind, set()))[1].add(mention.evidence)
    # quoted sayings no rule classifies: accepted when they recur across speeches
    texts_by_doc: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        texts_by_doc[unit.doc_id].append(unit)
    sayings = set()
    for unit in units:
        if unit.role == "title":
            continue
        for _start, _end, phrase in quoted_spans(unit.text):
            phrase = phrase.strip()
            if (
                len(phrase) >= 4
                and phrase not in candidates
                and classify_quoted(phrase) is None
                and re.fullmatch(rf"[{_CJK}]+", phrase)
            ):
                sayings.add(phrase)
    for phrase in sorted(sayings):
        speeches = [
            doc_id
            for doc_id, doc_units in texts_by_doc.items()
            if any(phrase in u.text for u in doc_units)
        ]
        if len(speeches) >= min_saying_speeches:
            candidates[phrase] = ("slogan", {f"recurs in {len(speeches)} speeches"})
    rows = [
        {"formulation": phrase, "kind": kind, "evidence": "; ".join(sorted(evidence))}
        for phrase, (kind, evidence) in candidates.items()
    ]
    table = pd.DataFrame(rows, columns=["formulation", "kind", "evidence"])
    if table.empty:
        return table
    table["_kind"] = table["kind"].map({kind: i for i, kind in enumerate(KIND_ORDER)})
    return (
        table.sort_values(["_kind", "formulation"], kind="mergesort")
        .drop(columns="_kind")
        .reset_index(drop=True)
    )


def formulation_occurrences(
    units: Iterable[Unit],
    formulations: Sequence[str],
    segment: Callable[[str], list[str]] | None = None,
    context: int = 12,
) -> pd.DataFrame:
    """Every occurrence of the given formulations, quoted or not (paragraph grain).

    An occurrence counts when the phrase starts and ends on word boundaries
    (``不管部`` inside ``不管部长`` and ``服务部`` inside ``服务部门`` do not)
    or stands inside quotation marks, and, for a phrase opening with a
    numeral, is not an ordinal (``第三个转变`` is not ``三个转变``).
    Occurrences of one phrase may nest inside another (``参谋助手`` inside
    ``第一参谋助手`` counts for both).

    Returns
    -------
    DataFrame
        ``formulation``, ``doc_id``, ``unit_id``, ``section_path``,
        ``char_offset`` (in the cleaned speech text), ``quoted`` and
        ``context`` (``left【phrase】right``); sorted by speech and position.
    """
    columns = [
        "formulation",
        "doc_id",
        "unit_id",
        "section_path",
        "char_offset",
        "quoted",
        "context",
    ]
    phrases = sorted(set(formulations))
    rows = []
    for unit in units:
        if unit.role == "title":
            continue
        text = unit.text
        present = [phrase for phrase in phrases if phrase in text]
        if not present:
            continue
        spans = word_spans(text, segment)
        starts = {start for start, _end, _word in spans}
        ends = {end for _start, end, _word in spans}
        for phrase in present:
            position = text.find(phrase)
            while position >= 0:
                end = position + len(phrase)
                quoted = (
                    text[max(0, position - 1) : position] in QUOTE_PAIRS
                    and text[end : end + 1] in QUOTE_PAIRS.values()
                )
                aligned = position in starts and end in ends
                ordinal = phrase[0] in NUMERALS and text[max(0, position - 1) : position] == "第"
                if (quoted or aligned) and not ordinal:
                    rows.append(
                        {
                            "formulation": phrase,
                            "doc_id": unit.doc_id,
                            "unit_id": unit.unit_id,
                            "section_path": unit.section_path,
                            "char_offset": unit.char_start + position,
                            "quoted": quoted,
                            "context": f"{text[max(0, position - context) : position]}【{phrase}】{text[end : end + context]}",
                        }
                    )
                position = text.find(phrase, position + 1)
    table = pd.DataFrame(rows, columns=columns)
    if table.empty:
        return table
    return table.sort_values(
        ["doc_id", "char_offset", "formulation"], kind="mergesort"
    ).reset_index(drop=True)


def formulation_counts(found: pd.DataFrame, occurrences: pd.DataFrame) -> pd.DataFrame:
    """Formulations per speech: how often, and a first example (speech grain).

    Parameters
    ----------
    found : DataFrame
        :func:`find_formulations`.
    occurrences : DataFrame
        :func:`formulation_occurrences` of the same formulations.

    Returns
    -------
    DataFrame
        ``formulation``, ``kind``, ``evidence``, ``doc_id``, ``count``,
        ``quoted`` (how many of them in quotation marks), ``section_path``
        and ``example`` (context of the first occurrence in the speech).
        One row per formulation and speech it occurs in; sorted by kind,
        number of speeches and total count (both descending), formulation,
        speech.
    """
    columns = [
        "formulation",
        "kind",
        "evidence",
        "doc_id",
        "count",
        "quoted",
        "section_path",
        "example",
    ]
    if found.empty or occurrences.empty:
        return pd.DataFrame(columns=columns)
    grouped = occurrences.groupby(["formulation", "doc_id"], sort=True)
    table = grouped.agg(
        count=("char_offset", "size"),
        quoted=("quoted", "sum"),
        section_path=("section_path", "first"),
        example=("context", "first"),
    ).reset_index()
    table = table.merge(found, on="formulation", how="inner", validate="many_to_one")
    totals = table.groupby("formulation")["count"].transform("sum")
    spread = table.groupby("formulation")["doc_id"].transform("nunique")
    table = table.assign(
        _kind=table["kind"].map({kind: i for i, kind in enumerate(KIND_ORDER)}),
        _total=-totals,
        _spread=-spread,
    )
    table = table.sort_values(
        ["_kind", "_spread", "_total", "formulation", "doc_id"], kind="mergesort"
    )
    table = table.astype({"count": "int64", "quoted": "int64"})
    return table[columns].reset_index(drop=True)


def formulations_by_speech(counts: pd.DataFrame, doc_ids: Sequence[str]) -> pd.DataFrame:
    """Formulation × speech matrix of counts (speech grain).

    Parameters
    ----------
    counts : DataFrame
        :func:`formulation_counts`.
    doc_ids : sequence of str
        The speeches, one column each (zeros where a formulation is absent).

    Returns
    -------
    DataFrame
        ``formulation``, ``kind``, ``n_speeches``, ``total``, then one
        column per speech; rows in the order of ``counts``.
    """
    doc_ids = list(doc_ids)
    columns = ["formulation", "kind", "n_speeches", "total", *doc_ids]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    order = list(dict.fromkeys(counts["formulation"]))
    matrix = counts.pivot_table(
        index="formulation", columns="doc_id", values="count", aggfunc="sum", fill_value=0
    )
    matrix = matrix.reindex(index=order, columns=doc_ids, fill_value=0).astype("int64")
    kinds = counts.drop_duplicates("formulation").set_index("formulation")["kind"]
    table = matrix.reset_index()
    table.columns.name = None
    table.insert(1, "kind", table["formulation"].map(kinds))
    table.insert(2, "n_speeches", (matrix > 0).sum(axis=1).to_numpy())
    table.insert(3, "total", matrix.sum(axis=1).to_numpy())
    return table[columns]


def formulation_recall(
    reference: Sequence[str], counts: pd.DataFrame, texts: Mapping[str, str]
) -> pd.DataFrame:
    """How many formulations of a reference list the rules found, and in which speeches.

    Parameters
    ----------
    reference : sequence of str
        Formulations a reader listed (``formulations.txt``).
    counts : DataFrame
        :func:`formulation_counts`.
    texts : mapping
        ``doc_id -> cleaned text``.

    Returns
    -------
    DataFrame
        One row per reference formulation: ``formulation``, ``in_text``
        (speeches whose cleaned text contains the string, space separated),
        ``found`` (bool), ``kind`` (as found, else ``''``) and
        ``found_in`` (speeches where it was counted). Recall is
        ``found.sum() / (in_text != '').sum()``.
    """
    found_in: dict[str, list[str]] = defaultdict(list)
    kinds: dict[str, str] = {}
    for record in counts.to_dict("records"):
        found_in[record["formulation"]].append(record["doc_id"])
        kinds[record["formulation"]] = record["kind"]
    rows = []
    for phrase in dict.fromkeys(reference):
        rows.append(
            {
                "formulation": phrase,
                "in_text": " ".join(
                    sorted(doc_id for doc_id, text in texts.items() if phrase in text)
                ),
                "found": phrase in kinds,
                "kind": kinds.get(phrase, ""),
                "found_in": " ".join(sorted(found_in.get(phrase, []))),
            }
        )
    return pd.DataFrame(rows, columns=["formulation", "in_text", "found", "kind", "found_in"])
