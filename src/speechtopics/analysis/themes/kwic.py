"""Keyword in context: every literal occurrence of a term in the cleaned text, with its context."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd

from ...text.lexicon import Theme
from ...text.segment import Unit

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
