"""Theme rates: hits of a theme's terms per 1,000 tokens, by speech, section and metadata group.

A theme (``themes.toml``) is a list of terms. A *hit* is a token (from the
project's tokenizer, stopwords removed) that equals one of the theme's terms
exactly. Longer terms win inside the tokenizer (the user dictionary makes
``干部队伍建设`` one token), so a token is never counted twice for one theme.
A term the tokenizer splits into several words (``为基层和群众服务``) is
counted where its text occurs instead, without counting again a token hit
of the same theme inside it (see :mod:`.phrases`; pass a
:class:`~.phrases.ThemeMatcher` built with the tokenizer). Titles are left
out, like every analysis unit of
:meth:`~speechtopics.corpus.model.Corpus.at_grain`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...text.lexicon import Theme
from ...text.segment import OPENING_SECTION, Unit
from .groups import (
    LEVEL_ORDER,
    MISSING_GROUP,
    RATE_COLUMNS,
    comparable_groups,
    group_sort_key,
    theme_rates_by_group,
)
from .phrases import ThemeMatcher

__all__ = [
    "LEVEL_ORDER",
    "MISSING_GROUP",
    "RATE_COLUMNS",
    "comparable_groups",
    "group_sort_key",
    "theme_rates_by_group",
]


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


def theme_hit_counts(
    tokens: Iterable[str],
    themes: Sequence[Theme],
    text: str = "",
    matcher: ThemeMatcher | None = None,
) -> dict[str, int]:
    """Theme hits in one unit (any grain).

    A hit is a token equal to one of the theme's terms or, with a
    ``matcher`` built with the tokenizer and the unit's ``text``, an
    occurrence of a phrase term (see :mod:`.phrases`).

    Parameters
    ----------
    tokens : iterable of str
        Filtered tokens of one unit.
    themes : sequence of Theme
    text : str
        The unit's cleaned text (for phrase terms).
    matcher : ThemeMatcher, optional
        Default: every term matched as a token.

    Returns
    -------
    dict
        ``theme name -> hits`` for every theme (zeros included).
    """
    matcher = matcher or ThemeMatcher.build(themes)
    return matcher.counts(list(tokens), text)


def theme_rates(
    units: pd.DataFrame,
    themes: Sequence[Theme],
    keys: Sequence[str] = ("doc_id",),
    matcher: ThemeMatcher | None = None,
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
    matcher : ThemeMatcher, optional
        Built with the tokenizer, phrase terms are counted in the units'
        ``text`` column too (default: tokens only).

    Returns
    -------
    DataFrame
        ``keys``, ``theme``, ``hits`` (tokens equal to a theme term, and
        phrase occurrences),
        ``tokens`` (all tokens of the unit) and ``rate_per_1k`` (hits per
        1,000 tokens; NaN for a unit without tokens). Units in input order,
        themes in lexicon order.
    """
    matcher = matcher or ThemeMatcher.build(themes)
    rows = []
    for record in units.to_dict("records"):
        tokens = list(record["tokens"])
        counts = matcher.counts(tokens, str(record.get("text") or ""))
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


def theme_rates_by_speech(
    documents: pd.DataFrame, themes: Sequence[Theme], matcher: ThemeMatcher | None = None
) -> pd.DataFrame:
    """Theme rates per speech (document grain).

    Parameters
    ----------
    documents : DataFrame
        ``corpus.at_grain("document")``: one row per speech, titles left out.
    themes : sequence of Theme
    matcher : ThemeMatcher, optional
        See :func:`theme_rates`.

    Returns
    -------
    DataFrame
        ``doc_id``, ``theme``, ``hits``, ``tokens``, ``rate_per_1k``;
        sorted by speech, themes in lexicon order.
    """
    table = theme_rates(documents, themes, keys=("doc_id",), matcher=matcher)
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
    sections: pd.DataFrame,
    themes: Sequence[Theme],
    outline: pd.DataFrame | None = None,
    matcher: ThemeMatcher | None = None,
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
    matcher : ThemeMatcher, optional
        See :func:`theme_rates`.

    Returns
    -------
    DataFrame
        ``doc_id``, ``section_path``, ``section_heading``, ``section_order``,
        ``theme``, ``hits``, ``tokens``, ``rate_per_1k``; sections in reading
        order within each speech.
    """
    table = theme_rates(sections, themes, keys=("doc_id", "section_path"), matcher=matcher)
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


def term_counts_by_speech(
    documents: pd.DataFrame,
    texts: Mapping[str, str],
    themes: Sequence[Theme],
    matcher: ThemeMatcher | None = None,
) -> pd.DataFrame:
    """Every theme term × speech: how often it is a token, a hit and a string in the text.

    Parameters
    ----------
    documents : DataFrame
        ``corpus.at_grain("document")`` (tokens and text of the body, titles left out).
    texts : mapping
        ``doc_id -> cleaned text`` (``speech.text``, title included).
    themes : sequence of Theme
    matcher : ThemeMatcher, optional
        See :func:`theme_rates` (default: every term matched as a token).

    Returns
    -------
    DataFrame
        ``theme``, ``term``, ``match`` (``token`` or ``phrase``: how the
        rates count it), ``doc_id``, ``token_count`` (tokens equal to the
        term), ``hits`` (what the theme rates count for this term: token
        hits, or phrase occurrences in the body; a token inside a phrase of
        its theme is counted once, for the phrase) and ``substring_count``
        (literal, non-overlapping occurrences in the cleaned text: what
        ``grep -o`` finds, including occurrences inside longer words such
        as ``队伍`` in ``干部队伍建设``). Themes and terms in lexicon order,
        speeches sorted.
    """
    matcher = matcher or ThemeMatcher.build(themes)
    token_counts: dict[str, Counter[str]] = {}
    hit_counts: dict[str, Counter[tuple[str, str]]] = {}
    for row in documents.to_dict("records"):
        tokens = list(row["tokens"])
        token_counts[row["doc_id"]] = Counter(tokens)
        hit_counts[row["doc_id"]] = matcher.term_counts(tokens, str(row.get("text") or ""))
    doc_ids = sorted(set(token_counts) | set(texts))
    rows = []
    for theme in themes:
        for term in theme.terms:
            match = "phrase" if term in matcher.phrase_pieces else "token"
            for doc_id in doc_ids:
                rows.append(
                    {
                        "theme": theme.name,
                        "term": term,
                        "match": match,
                        "doc_id": doc_id,
                        "token_count": int(token_counts.get(doc_id, Counter())[term]),
                        "hits": int(hit_counts.get(doc_id, Counter())[(theme.name, term)]),
                        "substring_count": texts.get(doc_id, "").count(term),
                    }
                )
    columns = ["theme", "term", "match", "doc_id", "token_count", "hits", "substring_count"]
    return pd.DataFrame(rows, columns=columns)


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
    count : {"token_count", "hits", "substring_count"}
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


def theme_positions(
    paragraphs: pd.DataFrame, themes: Sequence[Theme], matcher: ThemeMatcher | None = None
) -> pd.DataFrame:
    """Where each theme hit falls in its speech (token grain).

    Parameters
    ----------
    paragraphs : DataFrame
        ``corpus.units_frame()``: paragraph units in reading order with
        ``doc_id``, ``unit_id``, ``section_path``, ``role``, ``text`` and ``tokens``.
    themes : sequence of Theme
    matcher : ThemeMatcher, optional
        See :func:`theme_rates`; a phrase hit's token index is estimated
        from its place in the paragraph's text.

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
    matcher = matcher or ThemeMatcher.build(themes)
    rows = []
    for doc_id, body in _body_by_doc(paragraphs):
        total = int(sum(len(tokens) for tokens in body["tokens"]))
        position = 0
        for record in body.to_dict("records"):
            tokens = list(record["tokens"])
            for hit in matcher.hits(tokens, str(record.get("text") or "")):
                index = position + min(hit.token_index, max(len(tokens) - 1, 0))
                rows.append(
                    {
                        "doc_id": doc_id,
                        "theme": hit.theme,
                        "term": hit.term,
                        "unit_id": record["unit_id"],
                        "section_path": record["section_path"],
                        "token_index": index,
                        "n_tokens": total,
                        "relative_position": (index + 0.5) / total if total else 0.5,
                    }
                )
            position += len(tokens)
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
