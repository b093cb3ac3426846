"""Two groups of speeches side by side: keyness, measures with intervals, example lines.

Group A is the *target* of the keyness (terms with a positive χ²/G² are
relatively more frequent in A) and the first side of every difference
(``mean_a − mean_b``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...config import Settings
from ...corpus.model import Corpus
from ...text.segment import Unit
from ..features import keyness
from ..themes.kwic import kwic
from ..themes.phrases import ThemeMatcher
from ..themes.rates import theme_rates_by_speech
from .effects import difference_interval, group_labels, group_rng
from .effects import theme_values as theme_value_table

MEASURE_COMPARISON_COLUMNS = [
    "measure",
    "n_a",
    "n_b",
    "mean_a",
    "mean_b",
    "difference",
    "se",
    "ci_low",
    "ci_high",
    "note",
]
EXAMPLE_COLUMNS = ["side", "term", "doc_id", "section_path", "left", "keyword", "right"]


@dataclass
class GroupComparison:
    """Group A against group B.

    Attributes
    ----------
    label_a, label_b : str
        Names of the groups (``level=县`` or the doc_ids).
    doc_ids_a, doc_ids_b : list of str
    keyness : DataFrame
        :func:`~speechtopics.analysis.features.keyness` of A (target)
        against B (reference), on the speeches of A and B only.
    themes : DataFrame
        Theme rates per 1,000 tokens, A against B (see :func:`compare_measures`).
    topics : DataFrame
        Topic shares, A against B (empty when there are no topics).
    examples : DataFrame
        KWIC lines of the top distinguishing terms of each side: ``side``
        (``a``/``b``), ``term``, ``doc_id``, ``section_path``, ``left``,
        ``keyword``, ``right``.
    notes : list of str
        What could not be estimated and why.
    """

    label_a: str
    label_b: str
    doc_ids_a: list[str]
    doc_ids_b: list[str]
    keyness: pd.DataFrame
    themes: pd.DataFrame
    topics: pd.DataFrame = field(default_factory=pd.DataFrame)
    examples: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    def top_terms(self, side: str = "a", top_n: int = 15, measure: str = "chi2") -> pd.DataFrame:
        """The terms most characteristic of one side (``a`` or ``b``), strongest first."""
        direction = "target" if side == "a" else "reference"
        rows = self.keyness[self.keyness["direction"] == direction].copy()
        rows["_strength"] = rows[measure].abs()
        rows = rows.sort_values(["_strength", "term"], ascending=[False, True], kind="mergesort")
        return rows.drop(columns="_strength").head(top_n).reset_index(drop=True)


def compare_measures(
    values: pd.DataFrame,
    doc_ids_a: Sequence[str],
    doc_ids_b: Sequence[str],
    *,
    n_boot: int,
    seed: int,
    ci_level: float = 0.95,
    min_group_size: int = 3,
) -> pd.DataFrame:
    """Mean of each measure in A and B and the difference ``A − B`` with a bootstrap interval.

    Each group's speeches are resampled on their own (the speech is the
    sampling unit). Without ``min_group_size`` speeches on both sides the
    difference gets no interval and the note says so.

    Parameters
    ----------
    values : DataFrame
        Index ``doc_id``, one column per measure.
    doc_ids_a, doc_ids_b : sequence of str
    n_boot, seed, ci_level, min_group_size

    Returns
    -------
    DataFrame
        ``measure``, ``n_a``, ``n_b``, ``mean_a``, ``mean_b``,
        ``difference``, ``se``, ``ci_low``, ``ci_high``, ``note``.
    """
    side_a = values.reindex([d for d in doc_ids_a if d in values.index]).dropna()
    side_b = values.reindex([d for d in doc_ids_b if d in values.index]).dropna()
    table = pd.DataFrame(
        {
            "measure": list(values.columns),
            "n_a": len(side_a),
            "n_b": len(side_b),
            "mean_a": side_a.mean(axis=0).to_numpy(),
            "mean_b": side_b.mean(axis=0).to_numpy(),
        }
    )
    table["difference"] = table["mean_a"] - table["mean_b"]
    table["se"] = table["ci_low"] = table["ci_high"] = np.nan
    table["note"] = ""
    smallest = min(len(side_a), len(side_b))
    if smallest >= min_group_size:
        se, low, high = difference_interval(
            side_a.to_numpy(),
            side_b.to_numpy(),
            n_boot=n_boot,
            rng_a=group_rng(seed, "a", *sorted(side_a.index)),
            rng_b=group_rng(seed, "b", *sorted(side_b.index)),
            ci_level=ci_level,
        )
        table["se"], table["ci_low"], table["ci_high"] = se, low, high
    else:
        table["note"] = (
            f"a side has {smallest} speech(es) < min_group_size {min_group_size}: "
            "no interval; the difference is between speeches, not groups"
        )
    return table[MEASURE_COMPARISON_COLUMNS]


def distinguishing_examples(
    units: Iterable[Unit],
    comparison_keyness: pd.DataFrame,
    doc_ids_a: Sequence[str],
    doc_ids_b: Sequence[str],
    *,
    top_n: int = 5,
    lines: int = 2,
    window: int = 15,
    measure: str = "chi2",
) -> pd.DataFrame:
    """KWIC lines of the top ``top_n`` terms of each side, from that side's speeches.

    Up to ``lines`` lines per term, from as many different speeches as
    possible (the first occurrence in each speech, speeches in id order).
    """
    units = list(units)
    rows = []
    for side, direction, doc_ids in (("a", "target", doc_ids_a), ("b", "reference", doc_ids_b)):
        part = comparison_keyness[comparison_keyness["direction"] == direction]
        part = part.assign(_strength=part[measure].abs()).sort_values(
            ["_strength", "term"], ascending=[False, True], kind="mergesort"
        )
        for term in part["term"].head(top_n):
            found = kwic(units, term, window=window, doc_ids=list(doc_ids))
            picked = spread_lines(found, lines)
            for record in picked.to_dict("records"):
                rows.append({"side": side, "term": term, **record})
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=EXAMPLE_COLUMNS)
    return table[EXAMPLE_COLUMNS]


def spread_lines(found: pd.DataFrame, lines: int) -> pd.DataFrame:
    """Up to ``lines`` KWIC rows, first one per speech, then the next ones, in speech order."""
    if found.empty or lines <= 0:
        return found.head(0)
    ranked = found.assign(_nth=found.groupby("doc_id").cumcount())
    ranked = ranked.sort_values(["_nth", "doc_id", "char_offset"], kind="mergesort")
    return ranked.head(lines).drop(columns="_nth")


def compare_groups(
    documents: pd.DataFrame,
    units: Sequence[Unit],
    doc_ids_a: Sequence[str],
    doc_ids_b: Sequence[str],
    *,
    theme_values: pd.DataFrame,
    topic_values: pd.DataFrame | None = None,
    label_a: str = "A",
    label_b: str = "B",
    n_boot: int = 2000,
    seed: int = 0,
    ci_level: float = 0.95,
    min_group_size: int = 3,
    top_n: int = 15,
    kwic_lines: int = 2,
    window: int = 15,
    yates: bool = True,
    measure: str = "chi2",
) -> GroupComparison:
    """Compare speeches ``doc_ids_a`` with ``doc_ids_b`` (speech grain).

    Parameters
    ----------
    documents : DataFrame
        ``doc_id`` and ``tokens`` (``corpus.at_grain("document")``).
    units : sequence of Unit
        Paragraph units (``corpus.units``) for the example lines.
    doc_ids_a, doc_ids_b : sequence of str
        Two disjoint, non-empty sets of speeches.
    theme_values, topic_values : DataFrame
        Index ``doc_id``, one column per theme / topic.
    label_a, label_b : str
    n_boot, seed, ci_level, min_group_size
        See :func:`compare_measures`.
    top_n, kwic_lines, window
        Terms per side with example lines, lines per term, characters of context.
    yates, measure
        See :func:`~speechtopics.analysis.features.keyness`.

    Raises
    ------
    ValueError
        A side is empty, names an unknown speech, or the sides overlap.
    """
    known = set(documents["doc_id"])
    a, b = list(dict.fromkeys(doc_ids_a)), list(dict.fromkeys(doc_ids_b))
    for name, side in (("A", a), ("B", b)):
        if not side:
            raise ValueError(f"group {name} has no speech")
        unknown = sorted(set(side) - known)
        if unknown:
            raise ValueError(f"group {name}: no speech {', '.join(unknown)}")
    if set(a) & set(b):
        raise ValueError(f"the groups share {', '.join(sorted(set(a) & set(b)))}")
    both = documents[documents["doc_id"].isin(set(a) | set(b))]
    key = keyness(both, a, yates=yates, measure=measure)
    options = {
        "n_boot": n_boot,
        "seed": seed,
        "ci_level": ci_level,
        "min_group_size": min_group_size,
    }
    themes = compare_measures(theme_values, a, b, **options)
    topics = (
        compare_measures(topic_values, a, b, **options)
        if topic_values is not None and not topic_values.empty
        else pd.DataFrame(columns=MEASURE_COMPARISON_COLUMNS)
    )
    examples = distinguishing_examples(
        units, key, a, b, top_n=top_n, lines=kwic_lines, window=window, measure=measure
    )
    notes = []
    if min(len(a), len(b)) < min_group_size:
        notes.append(
            f"{label_a}: {len(a)} speech(es), {label_b}: {len(b)}; with fewer than "
            f"{min_group_size} on a side the rates are compared without intervals"
        )
    return GroupComparison(label_a, label_b, a, b, key, themes, topics, examples, notes)


def doc_ids_of_group(speeches: pd.DataFrame, by: str, group: str) -> list[str]:
    """The speeches whose metadata column ``by`` is ``group`` (``未注明`` = empty cell).

    Raises
    ------
    ValueError
        The column is missing, or no speech is in that group (the message
        lists the groups there are).
    """
    if by not in speeches.columns:
        raise ValueError(f"the metadata has no column {by!r}; columns: {', '.join(speeches)}")
    labels = group_labels(speeches, by)
    members = sorted(labels.index[labels == str(group)])
    if not members:
        sizes = labels.value_counts()
        listed = ", ".join(f"{g} ({int(n)})" for g, n in sizes.items())
        raise ValueError(f"no speech has {by} = {group!r}; groups: {listed}")
    return members


def compare_in_corpus(
    corpus: Corpus,
    settings: Settings,
    doc_ids_a: Sequence[str],
    doc_ids_b: Sequence[str],
    *,
    label_a: str = "A",
    label_b: str = "B",
    topic_values: pd.DataFrame | None = None,
) -> GroupComparison:
    """:func:`compare_groups` on a loaded corpus with the run's settings.

    Theme rates are counted here (tokens and phrases, as the themes stage
    does); topic shares are taken from ``topic_values`` when given (the
    ``speech_topic`` table of a run). Settings used: ``[compare]`` (n_boot,
    ci_level, min_group_size, top_n, kwic_lines), ``[analysis] seed``,
    ``[features]`` keyness options and ``[themes] kwic_window``.
    """
    documents = corpus.at_grain("document")
    matcher = ThemeMatcher.build(corpus.themes, corpus.tokenizer)
    rates = theme_rates_by_speech(documents, corpus.themes, matcher)
    section = settings.compare
    return compare_groups(
        documents,
        corpus.units,
        doc_ids_a,
        doc_ids_b,
        theme_values=theme_value_table(rates),
        topic_values=topic_values,
        label_a=label_a,
        label_b=label_b,
        n_boot=section.n_boot,
        seed=settings.analysis.seed,
        ci_level=section.ci_level,
        min_group_size=section.min_group_size,
        top_n=section.top_n,
        kwic_lines=section.kwic_lines,
        window=settings.themes.kwic_window,
        yates=settings.features.keyness_yates,
        measure=settings.features.keyness_measure,
    )
