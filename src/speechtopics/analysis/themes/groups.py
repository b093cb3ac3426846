"""Theme rates per metadata group (level, year …): pooled over the group's speeches.

One speech is a speech, not a group: :func:`comparable_groups` keeps the
groups with enough speeches to be compared as groups.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

MISSING_GROUP = "未注明"
"""Group label for speeches whose metadata cell is empty."""

LEVEL_ORDER = ("省", "市", "区", "县", "乡", "镇")
"""Administrative levels in display order; other values follow in Unicode order."""

RATE_COLUMNS = ["hits", "tokens", "rate_per_1k"]


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


def comparable_groups(
    group_rates: pd.DataFrame, min_group_size: int = 3
) -> tuple[pd.DataFrame, str]:
    """The rows of :func:`theme_rates_by_group` that may be compared as groups, and a note.

    A group needs at least ``min_group_size`` speeches, and a grouping at
    least two such groups; one speech is a speech, not a group.

    Returns
    -------
    (DataFrame, str)
        The rows kept, and a sentence naming the groups left out (``""`` when none).
    """
    large = group_rates["n_speeches"] >= min_group_size
    counts = group_rates[large].groupby("group_by")["group"].nunique()
    kept = group_rates[large & group_rates["group_by"].map(counts).fillna(0).ge(2)]
    left = group_rates.drop(kept.index).drop_duplicates(["group_by", "group"])
    if left.empty:
        return kept, ""
    listed = "、".join(
        f"{g} {n} 篇" for g, n in zip(left["group"], left["n_speeches"], strict=True)
    )
    note = f"未画出（不足 {min_group_size} 篇，或该分组不足两个可比的组）：{listed}"
    return kept, note
