"""Themes: lexicon rates, keyword in context (KWIC) and formulations (提法).

Three tools that quanteda-style dictionary analysis puts first:

* **Theme rates.** A theme (``themes.toml``) is a list of terms. A *hit* is a
  token (from the project's tokenizer, stopwords removed) that equals one of
  the theme's terms exactly. Longer terms win inside the tokenizer (the user
  dictionary makes ``干部队伍建设`` one token), so every term is listed
  separately and a token is never counted twice for one theme. The rate is
  hits per 1,000 tokens of the same unit (speech, section, metadata group).
  Titles are left out, like every analysis unit of :meth:`Corpus.at_grain`.
* **KWIC.** Every literal occurrence of a term or phrase in the cleaned text,
  with its left and right context inside the paragraph.
* **Formulations.** The numbered slogans (``三服务``, ``四个表率``,
  ``三严三实``), quoted set phrases (``新跨越、进十强``) and role metaphors
  (``参谋部``, ``润滑油``, ``大管家``) that structure this genre, found from
  the text by rules (see :func:`find_formulations`) rather than from a list.

Every function takes data and returns a DataFrame, so a notebook can call
any of them on any subset of speeches.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .lexicon import Theme, load_word_list
from .segment import Unit

MISSING_GROUP = "未注明"
"""Group label for speeches whose metadata cell is empty."""

LEVEL_ORDER = ("省", "市", "区", "县", "乡", "镇")
"""Administrative levels in display order; other values follow in Unicode order."""

KWIC_COLUMNS = [
    "doc_id",
    "unit_id",
    "paragraph_index",
    "section_path",
    "char_offset",
    "left",
    "keyword",
    "right",
    "theme",
]

RATE_COLUMNS = ["hits", "tokens", "rate_per_1k"]

# --------------------------------------------------------------------------- theme rates


def theme_lexicon_table(themes: Sequence[Theme]) -> pd.DataFrame:
    """The theme lexicon as a table: ``theme``, ``label``, ``definition``, ``n_terms``, ``terms`` (、-joined)."""
    rows = [
        {
            "theme": theme.name,
            "label": theme.label,
            "definition": theme.definition,
            "n_terms": len(theme.terms),
            "terms": "、".join(theme.terms),
        }
        for theme in themes
    ]
    return pd.DataFrame(rows, columns=["theme", "label", "definition", "n_terms", "terms"])


def theme_by_name(themes: Sequence[Theme], name: str) -> Theme:
    """The theme whose name or label is ``name``.

    Raises
    ------
    KeyError
        Naming the themes there are.
    """
    for theme in themes:
        if name in (theme.name, theme.label):
            return theme
    raise KeyError(f"no theme {name!r}; themes are {', '.join(theme.name for theme in themes)}")


def speech_titles(speeches: Iterable[Any]) -> dict[str, str]:
    """``doc_id -> title`` of loaded speeches (for figure labels)."""
    return {speech.doc_id: speech.title for speech in speeches}


def speech_texts(speeches: Iterable[Any]) -> dict[str, str]:
    """``doc_id -> cleaned text`` of loaded speeches."""
    return {speech.doc_id: speech.text for speech in speeches}


def term_theme_index(themes: Sequence[Theme]) -> dict[str, tuple[str, ...]]:
    """Which themes each term belongs to.

    Parameters
    ----------
    themes : sequence of Theme

    Returns
    -------
    dict
        ``term -> theme names`` in the order of ``themes``. A term listed
        under two themes counts for both.
    """
    index: dict[str, list[str]] = defaultdict(list)
    for theme in themes:
        for term in theme.terms:
            if theme.name not in index[term]:
                index[term].append(theme.name)
    return {term: tuple(names) for term, names in index.items()}


def theme_hit_counts(tokens: Iterable[str], themes: Sequence[Theme]) -> dict[str, int]:
    """Theme hits in one token list (any grain).

    A hit is a token equal to one of the theme's terms.

    Parameters
    ----------
    tokens : iterable of str
        Filtered tokens of one unit.
    themes : sequence of Theme

    Returns
    -------
    dict
        ``theme name -> hits`` for every theme (zeros included).
    """
    index = term_theme_index(themes)
    counts = {theme.name: 0 for theme in themes}
    for token in tokens:
        for name in index.get(token, ()):
            counts[name] += 1
    return counts


def theme_rates(
    units: pd.DataFrame, themes: Sequence[Theme], keys: Sequence[str] = ("doc_id",)
) -> pd.DataFrame:
    """Theme hits and rates per 1,000 tokens, one row per unit × theme.

    Parameters
    ----------
    units : DataFrame
        Analysis units at any grain (from :meth:`Corpus.at_grain`): the
        ``keys`` columns and ``tokens`` (list of str).
    themes : sequence of Theme
    keys : sequence of str
        Columns identifying a unit, copied to the result.

    Returns
    -------
    DataFrame
        ``keys``, ``theme``, ``hits`` (tokens equal to a theme term),
        ``tokens`` (all tokens of the unit) and ``rate_per_1k`` (hits per
        1,000 tokens; NaN for a unit without tokens). Units in input order,
        themes in lexicon order.
    """
    rows = []
    for record in units.to_dict("records"):
        tokens = list(record["tokens"])
        counts = theme_hit_counts(tokens, themes)
        for theme in themes:
            hits = counts[theme.name]
            row = {key: record[key] for key in keys}
            row.update(
                theme=theme.name,
                hits=hits,
                tokens=len(tokens),
                rate_per_1k=hits / len(tokens) * 1000 if tokens else np.nan,
            )
            rows.append(row)
    columns = [*keys, "theme", *RATE_COLUMNS]
    return pd.DataFrame(rows, columns=columns).astype(
        {"hits": "int64", "tokens": "int64", "rate_per_1k": "float64"}
    )


def theme_rates_by_speech(documents: pd.DataFrame, themes: Sequence[Theme]) -> pd.DataFrame:
    """Theme rates per speech (document grain).

    Parameters
    ----------
    documents : DataFrame
        ``corpus.at_grain("document")``: one row per speech, titles left out.
    themes : sequence of Theme

    Returns
    -------
    DataFrame
        ``doc_id``, ``theme``, ``hits``, ``tokens``, ``rate_per_1k``;
        sorted by speech, themes in lexicon order.
    """
    table = theme_rates(documents, themes, keys=("doc_id",))
    return _sort_by_theme_order(table, themes, ["doc_id"])


def section_outline(units: Sequence[Unit]) -> pd.DataFrame:
    """The top-level sections of every speech with their headings (section grain).

    Parameters
    ----------
    units : sequence of Unit
        Paragraph units (titles are skipped).

    Returns
    -------
    DataFrame
        ``doc_id``, ``section_path`` (the top-level label, ``''`` for the
        opening remarks before the first heading), ``section_heading``
        (``开场`` for the opening remarks) and ``section_order`` (0-based
        reading order within the speech).
    """
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    order: Counter[str] = Counter()
    for unit in units:
        if unit.role == "title":
            continue
        labels = [
            (unit.h1_label, unit.h1_heading),
            (unit.h2_label, unit.h2_heading),
            (unit.h3_label, unit.h3_heading),
        ]
        present = [(label, heading) for label, heading in labels if label]
        path, heading = present[0] if present else ("", "开场")
        key = (unit.doc_id, path)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "doc_id": unit.doc_id,
                "section_path": path,
                "section_heading": _strip_label(heading),
                "section_order": order[unit.doc_id],
            }
        )
        order[unit.doc_id] += 1
    return pd.DataFrame(
        rows, columns=["doc_id", "section_path", "section_heading", "section_order"]
    )


_HEADING_NUMBER_RE = re.compile(
    r"^(?:[（(][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、．.]"
    r"|第[一二三四五六七八九十]{1,3}[，,、：:]|[一二三四五六七八九十]{1,3}是[，,、：:]?"
    r"|首先|其次|再次|然后|最后)[，,、：: ]*"
)


def _strip_label(heading: str) -> str:
    """A heading without its numbering (``二、紧紧围绕…`` → ``紧紧围绕…``) and final full stop."""
    text = _HEADING_NUMBER_RE.sub("", heading).rstrip("。！？!?；;")
    return text or heading


def theme_rates_by_section(
    sections: pd.DataFrame, themes: Sequence[Theme], outline: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Theme rates per top-level section (section grain).

    Parameters
    ----------
    sections : DataFrame
        ``corpus.at_grain("section")``.
    themes : sequence of Theme
    outline : DataFrame, optional
        :func:`section_outline` of the same units, adding each section's
        heading and reading order.

    Returns
    -------
    DataFrame
        ``doc_id``, ``section_path``, ``section_heading``, ``section_order``,
        ``theme``, ``hits``, ``tokens``, ``rate_per_1k``; sections in reading
        order within each speech.
    """
    table = theme_rates(sections, themes, keys=("doc_id", "section_path"))
    if outline is None or outline.empty:
        table.insert(2, "section_heading", "")
        order: dict[tuple[str, str], int] = {}
        within: Counter[str] = Counter()
        for key in zip(sections["doc_id"], sections["section_path"], strict=True):
            if key not in order:
                order[key] = within[key[0]]
                within[key[0]] += 1
        table.insert(
            3,
            "section_order",
            [order[(d, s)] for d, s in zip(table["doc_id"], table["section_path"], strict=True)],
        )
    else:
        table = table.merge(
            outline, on=["doc_id", "section_path"], how="left", validate="many_to_one"
        )
        table["section_heading"] = table["section_heading"].fillna("")
        table["section_order"] = table["section_order"].fillna(-1).astype("int64")
    columns = ["doc_id", "section_path", "section_heading", "section_order", "theme", *RATE_COLUMNS]
    return _sort_by_theme_order(table[columns], themes, ["doc_id", "section_order"])


def _sort_by_theme_order(
    table: pd.DataFrame, themes: Sequence[Theme], keys: list[str]
) -> pd.DataFrame:
    rank = {theme.name: i for i, theme in enumerate(themes)}
    table = table.assign(_theme_rank=table["theme"].map(rank))
    table = table.sort_values([*keys, "_theme_rank"], kind="mergesort").drop(columns="_theme_rank")
    return table.reset_index(drop=True)


def group_sort_key(group_by: str, value: str) -> tuple[int, float, str]:
    """Display order of a metadata group: known levels, years ascending, missing last."""
    if value == MISSING_GROUP:
        return (2, 0.0, value)
    if group_by == "level" and value in LEVEL_ORDER:
        return (0, float(LEVEL_ORDER.index(value)), value)
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def theme_rates_by_group(
    speech_rates: pd.DataFrame, speeches: pd.DataFrame, group_by: Sequence[str] = ("level", "year")
) -> pd.DataFrame:
    """Theme rates per metadata group (speeches pooled).

    Parameters
    ----------
    speech_rates : DataFrame
        :func:`theme_rates_by_speech`.
    speeches : DataFrame
        ``corpus.speeches_frame()``: ``doc_id`` and the metadata columns.
    group_by : sequence of str
        Metadata columns to group by (``level``, ``year``, ``region`` …);
        a column the metadata lacks is skipped.

    Returns
    -------
    DataFrame
        ``group_by`` (the column), ``group`` (its value; ``未注明`` when the
        cell is empty), ``theme``, ``n_speeches``, ``doc_ids`` (space
        separated), ``hits`` and ``tokens`` (sums over the group's speeches),
        ``rate_per_1k`` (pooled: summed hits per 1,000 summed tokens) and
        ``mean_speech_rate_per_1k`` (mean of the speeches' own rates, each
        speech weighted equally). Groups in display order (levels 省 市 区
        县, years ascending, missing last), themes in the order of
        ``speech_rates``.
    """
    columns = [
        "group_by",
        "group",
        "theme",
        "n_speeches",
        "doc_ids",
        *RATE_COLUMNS,
        "mean_speech_rate_per_1k",
    ]
    theme_order = list(dict.fromkeys(speech_rates["theme"]))
    rows = []
    for column in group_by:
        if column not in speeches.columns:
            continue
        values = speeches.set_index("doc_id")[column].fillna("").astype(str).str.strip()
        labelled = values.where(values != "", MISSING_GROUP)
        rates = speech_rates.assign(group=speech_rates["doc_id"].map(labelled))
        groups = sorted(
            set(rates["group"].dropna()), key=lambda value: group_sort_key(column, value)
        )
        for group in groups:
            members = rates[rates["group"] == group]
            doc_ids = sorted(set(members["doc_id"]))
            for theme in theme_order:
                part = members[members["theme"] == theme]
                hits = int(part["hits"].sum())
                tokens = int(part["tokens"].sum())
                rows.append(
                    {
                        "group_by": column,
                        "group": group,
                        "theme": theme,
                        "n_speeches": len(doc_ids),
                        "doc_ids": " ".join(doc_ids),
                        "hits": hits,
                        "tokens": tokens,
                        "rate_per_1k": hits / tokens * 1000 if tokens else np.nan,
                        "mean_speech_rate_per_1k": float(part["rate_per_1k"].mean())
                        if len(part)
                        else np.nan,
                    }
                )
    return pd.DataFrame(rows, columns=columns)


def term_counts_by_speech(
    documents: pd.DataFrame, texts: Mapping[str, str], themes: Sequence[Theme]
) -> pd.DataFrame:
    """Every theme term × speech: how often it is a token and how often the string occurs.

    Parameters
    ----------
    documents : DataFrame
        ``corpus.at_grain("document")`` (tokens of the body, titles left out).
    texts : mapping
        ``doc_id -> cleaned text`` (``speech.text``, title included).
    themes : sequence of Theme

    Returns
    -------
    DataFrame
        ``theme``, ``term``, ``doc_id``, ``token_count`` (tokens equal to the
        term: what the theme rates count) and ``substring_count`` (literal,
        non-overlapping occurrences in the cleaned text: what ``grep -o``
        finds, including occurrences inside longer words such as ``队伍`` in
        ``干部队伍建设``). Themes and terms in lexicon order, speeches sorted.
    """
    token_counts = {row["doc_id"]: Counter(row["tokens"]) for row in documents.to_dict("records")}
    doc_ids = sorted(set(token_counts) | set(texts))
    rows = []
    for theme in themes:
        for term in theme.terms:
            for doc_id in doc_ids:
                rows.append(
                    {
                        "theme": theme.name,
                        "term": term,
                        "doc_id": doc_id,
                        "token_count": int(token_counts.get(doc_id, Counter())[term]),
                        "substring_count": texts.get(doc_id, "").count(term),
                    }
                )
    return pd.DataFrame(rows, columns=["theme", "term", "doc_id", "token_count", "substring_count"])


def term_count_matrix(
    term_counts: pd.DataFrame, theme: str | None = None, count: str = "token_count"
) -> pd.DataFrame:
    """Term × speech counts of one theme (or all), from :func:`term_counts_by_speech`.

    Parameters
    ----------
    term_counts : DataFrame
        :func:`term_counts_by_speech`.
    theme : str, optional
        Only this theme's terms.
    count : {"token_count", "substring_count"}
        Which count to show.

    Returns
    -------
    DataFrame
        Index ``theme``, ``term`` (lexicon order); one column per speech and
        ``total``.
    """
    table = term_counts if theme is None else term_counts[term_counts["theme"] == theme]
    keys = list(dict.fromkeys(zip(table["theme"], table["term"], strict=True)))
    matrix = table.pivot_table(
        index=["theme", "term"], columns="doc_id", values=count, aggfunc="sum", fill_value=0
    )
    matrix = matrix.reindex(
        pd.MultiIndex.from_tuples(keys, names=["theme", "term"]) if keys else matrix.index
    )
    matrix.columns.name = None
    matrix["total"] = matrix.sum(axis=1)
    return matrix.astype("int64")


def theme_positions(paragraphs: pd.DataFrame, themes: Sequence[Theme]) -> pd.DataFrame:
    """Where each theme hit falls in its speech (token grain).

    Parameters
    ----------
    paragraphs : DataFrame
        ``corpus.units_frame()``: paragraph units in reading order with
        ``doc_id``, ``unit_id``, ``section_path``, ``role`` and ``tokens``.
    themes : sequence of Theme

    Returns
    -------
    DataFrame
        One row per hit: ``doc_id``, ``theme``, ``term``, ``unit_id``,
        ``section_path``, ``token_index`` (0-based among the speech's body
        tokens), ``n_tokens`` (body tokens of the speech) and
        ``relative_position`` (``(token_index + 0.5) / n_tokens``, 0 = start,
        1 = end). Titles left out.
    """
    columns = [
        "doc_id",
        "theme",
        "term",
        "unit_id",
        "section_path",
        "token_index",
        "n_tokens",
        "relative_position",
    ]
    index = term_theme_index(themes)
    rows = []
    for doc_id, body in _body_by_doc(paragraphs):
        total = int(sum(len(tokens) for tokens in body["tokens"]))
        position = 0
        for record in body.to_dict("records"):
            for token in record["tokens"]:
                for name in index.get(token, ()):
                    rows.append(
                        {
                            "doc_id": doc_id,
                            "theme": name,
                            "term": token,
                            "unit_id": record["unit_id"],
                            "section_path": record["section_path"],
                            "token_index": position,
                            "n_tokens": total,
                            "relative_position": (position + 0.5) / total,
                        }
                    )
                position += 1
    table = pd.DataFrame(rows, columns=columns)
    rank = {theme.name: i for i, theme in enumerate(themes)}
    table = table.assign(_rank=table["theme"].map(rank)).sort_values(
        ["doc_id", "_rank", "token_index"], kind="mergesort"
    )
    return table.drop(columns="_rank").reset_index(drop=True)


def section_starts(paragraphs: pd.DataFrame) -> pd.DataFrame:
    """Where each top-level section starts, on the same token scale as :func:`theme_positions`.

    Parameters
    ----------
    paragraphs : DataFrame
        ``corpus.units_frame()``.

    Returns
    -------
    DataFrame
        ``doc_id``, ``section_path`` (top-level label, ``''`` for opening
        remarks), ``token_index`` and ``relative_position`` of the section's
        first token (``token_index / n_tokens``).
    """
    rows = []
    for doc_id, body in _body_by_doc(paragraphs):
        total = int(sum(len(tokens) for tokens in body["tokens"]))
        position = 0
        current = None
        for record in body.to_dict("records"):
            top = record["section_path"].split("/")[0] if record["section_path"] else ""
            if top != current:
                rows.append(
                    {
                        "doc_id": doc_id,
                        "section_path": top,
                        "token_index": position,
                        "relative_position": position / total if total else 0.0,
                    }
                )
                current = top
            position += len(record["tokens"])
    return pd.DataFrame(
        rows, columns=["doc_id", "section_path", "token_index", "relative_position"]
    )


def _body_by_doc(paragraphs: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    if paragraphs.empty:
        return []
    body = paragraphs[paragraphs["role"] != "title"]
    return [(doc_id, body[body["doc_id"] == doc_id]) for doc_id in sorted(set(body["doc_id"]))]


def theme_rate_matrix(rates: pd.DataFrame, index: str | Sequence[str] = "doc_id") -> pd.DataFrame:
    """A long rate table as a matrix: rows = ``index``, columns = themes (in table order)."""
    themes = list(dict.fromkeys(rates["theme"]))
    matrix = rates.pivot_table(
        index=index,
        columns="theme",
        values="rate_per_1k",
        aggfunc="first",
        sort=False,
        dropna=False,
    )
    return matrix[themes]


# --------------------------------------------------------------------------- KWIC


def kwic(
    units: Iterable[Unit],
    terms: str | Sequence[str],
    window: int = 15,
    doc_ids: Sequence[str] | None = None,
    theme: str = "",
) -> pd.DataFrame:
    """Keyword in context: every occurrence of the terms in the cleaned text.

    Matching is literal substring matching inside each paragraph, so phrases
    and words that the tokenizer splits are found too. Where terms overlap,
    the leftmost match wins and, at one position, the longest term
    (``干部队伍建设`` is reported once, not again as ``队伍建设``).

    Parameters
    ----------
    units : iterable of Unit
        Paragraph units (``corpus.units``); titles are searched too.
    terms : str or sequence of str
        Words or phrases.
    window : int
        Characters of context on each side, cut at the paragraph's edges.
    doc_ids : sequence of str, optional
        Only these speeches.
    theme : str
        Copied to the ``theme`` column (see :func:`kwic_theme`).

    Returns
    -------
    DataFrame
        ``doc_id``, ``unit_id``, ``paragraph_index``, ``section_path``,
        ``char_offset`` (of the keyword in the cleaned speech text),
        ``left``, ``keyword``, ``right``, ``theme``; sorted by speech and
        position.

    Raises
    ------
    ValueError
        If ``doc_ids`` names a speech that is not among ``units``, or
        ``window`` is negative.
    """
    if window < 0:
        raise ValueError(f"window must be 0 or more characters, not {window}")
    units = list(units)
    if isinstance(terms, str):
        terms = [terms]
    wanted = sorted(
        {term.strip() for term in terms if term and term.strip()}, key=lambda t: (-len(t), t)
    )
    if doc_ids is not None:
        known = {unit.doc_id for unit in units}
        unknown = [doc_id for doc_id in doc_ids if doc_id not in known]
        if unknown:
            raise ValueError(f"no speech {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        selected = set(doc_ids)
        units = [unit for unit in units if unit.doc_id in selected]
    if not wanted:
        return pd.DataFrame(columns=KWIC_COLUMNS)
    pattern = re.compile("|".join(re.escape(term) for term in wanted))
    rows = []
    for unit in units:
        text = unit.text
        for match in pattern.finditer(text):
            start, end = match.span()
            rows.append(
                {
                    "doc_id": unit.doc_id,
                    "unit_id": unit.unit_id,
                    "paragraph_index": unit.paragraph_index,
                    "section_path": unit.section_path,
                    "char_offset": unit.char_start + start,
                    "left": text[max(0, start - window) : start],
                    "keyword": match.group(),
                    "right": text[end : end + window],
                    "theme": theme,
                }
            )
    table = pd.DataFrame(rows, columns=KWIC_COLUMNS)
    if table.empty:
        return table
    table = table.sort_values(["doc_id", "char_offset"], kind="mergesort").reset_index(drop=True)
    return table.astype({"paragraph_index": "int64", "char_offset": "int64"})


def kwic_theme(
    units: Iterable[Unit], theme: Theme, window: int = 15, doc_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """KWIC of every term of one theme (see :func:`kwic`), the theme named in the ``theme`` column."""
    return kwic(units, list(theme.terms), window=window, doc_ids=doc_ids, theme=theme.name)


def kwic_themes(
    units: Iterable[Unit],
    themes: Sequence[Theme],
    window: int = 15,
    doc_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """KWIC of every theme, one block per theme in lexicon order (paragraph grain)."""
    units = list(units)
    tables = [kwic_theme(units, theme, window=window, doc_ids=doc_ids) for theme in themes]
    tables = [table for table in tables if not table.empty]
    if not tables:
        return pd.DataFrame(columns=KWIC_COLUMNS)
    return pd.concat(tables, ignore_index=True)


# --------------------------------------------------------------------------- formulations

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


def load_reference_formulations(path: Path) -> list[str]:
    """The reference list ``data/lexicon/formulations.txt`` (one formulation a line, ``#`` comments)."""
    return load_word_list(path)


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


# --------------------------------------------------------------------------- stage


def run_stage(corpus, params: dict[str, Any], upstream: dict[str, Any]):
    """The ``themes`` stage: rate tables, KWIC of every theme, formulations and their figures.

    Tables: ``theme_rates_by_speech``, ``theme_rates_by_section``,
    ``theme_rates_by_group``, ``term_counts_by_speech``, ``theme_positions``,
    ``theme_kwic``, ``formulations``, ``formulations_by_speech`` and, when
    ``data/lexicon/formulations.txt`` exists, ``formulation_recall``.
    Figures: ``theme_heatmap``, ``theme_section_heatmap``, ``theme_by_group``,
    ``theme_dispersion``, ``formulations``.
    """
    from .pipeline import StageOutput
    from .plots.themes import (
        plot_formulations,
        plot_theme_by_group,
        plot_theme_dispersion,
        plot_theme_heatmap,
        plot_theme_section_heatmap,
    )

    section = params.get("themes", {})
    window = int(section.get("kwic_window", 15))
    group_by = list(section.get("group_by", ["level", "year"]))
    context = int(section.get("formulation_context", 12))
    min_saying = int(section.get("min_saying_speeches", 2))
    max_rows = int(section.get("formulations_max_rows", 60))

    output = StageOutput()
    themes = corpus.themes
    if not themes:
        output.messages.append("theme analysis skipped because themes.toml has no themes")
    titles = speech_titles(corpus.speeches)
    texts = speech_texts(corpus.speeches)
    doc_ids = sorted(texts)
    segment = corpus.tokenizer.segment

    if themes:
        documents = corpus.at_grain("document")
        sections = corpus.at_grain("section")
        paragraphs = corpus.units_frame()
        by_speech = theme_rates_by_speech(documents, themes)
        by_section = theme_rates_by_section(sections, themes, section_outline(corpus.units))
        by_group = theme_rates_by_group(by_speech, corpus.speeches_frame(), group_by)
        positions = theme_positions(paragraphs, themes)
        starts = section_starts(paragraphs)
        output.tables["theme_rates_by_speech"] = by_speech
        output.tables["theme_rates_by_section"] = by_section
        output.tables["theme_rates_by_group"] = by_group
        output.tables["term_counts_by_speech"] = term_counts_by_speech(documents, texts, themes)
        output.tables["theme_positions"] = positions
        output.tables["theme_kwic"] = kwic_themes(corpus.units, themes, window=window)
        output.data["doc_theme_rate"] = theme_rate_matrix(by_speech)
        output.add_figure("theme_heatmap", plot_theme_heatmap(by_speech, titles))
        output.add_figure("theme_section_heatmap", plot_theme_section_heatmap(by_section))
        if not by_group.empty:
            output.add_figure("theme_by_group", plot_theme_by_group(by_group))
        output.add_figure(
            "theme_dispersion",
            plot_theme_dispersion(positions, starts, titles, [t.name for t in themes]),
        )

    found = find_formulations(corpus.units, segment, min_saying_speeches=min_saying)
    occurrences = formulation_occurrences(
        corpus.units, list(found["formulation"]), segment, context=context
    )
    counts = formulation_counts(found, occurrences)
    matrix = formulations_by_speech(counts, doc_ids)
    output.tables["formulations"] = counts
    output.tables["formulations_by_speech"] = matrix
    if matrix.empty:
        output.messages.append("formulations figure skipped because no formulation was found")
    else:
        output.add_figure("formulations", plot_formulations(matrix, titles, max_rows=max_rows))
    reference_path = Path(corpus.paths.lexicon) / "formulations.txt"
    if reference_path.exists():
        recall = formulation_recall(load_reference_formulations(reference_path), counts, texts)
        output.tables["formulation_recall"] = recall
        in_text = recall[recall["in_text"] != ""]
        if len(in_text):
            output.messages.append(
                f"formulations: {int(in_text['found'].sum())} of {len(in_text)} reference formulations "
                f"in the text found ({in_text['found'].mean():.0%}); {len(found)} found in all"
            )
    return output
