"""Theme rates: hits of a theme's terms per 1,000 tokens, by speech, section and metadata group.

A theme (``themes.toml``) is a list of terms. A *hit* is a token (from the
project's tokenizer, stopwords removed) that equals one of the theme's terms
exactly. Longer terms win inside the tokenizer (the user dictionary makes
``干部队伍建设`` one token), so a token is never counted twice for one theme.
Titles are left out, like every analysis unit of
:meth:`~speechtopics.corpus.model.Corpus.at_grain`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...text.lexicon import Theme
from ...text.segment import OPENING_SECTION, Unit

MISSING_GROUP = "未注明"
"""Group label for speeches whose metadata cell is empty."""

LEVEL_ORDER = ("省", "市", "区", "县", "乡", "镇")
"""Administrative levels in display order; other values follow in Unicode order."""

RATE_COLUMNS = ["hits", "tokens", "rate_per_1k"]


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
        (``引言``, :data:`OPENING_SECTION`, for the opening remarks) and ``section_order`` (0-based
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
        path, heading = present[0] if present else ("", OPENING_SECTION)
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
