"""Per-speech values by metadata group: bootstrap intervals and a regression on the metadata.

The *values* are one number per speech and measure: a theme's rate per
1,000 tokens (``theme_rates_by_speech``) or a topic's share of the speech
(``speech_topic``). Everything here takes the speech as the sampling unit:

* a group's mean is the plain mean of its speeches' values (every speech
  weighs the same), and its interval is the percentile interval of the
  means of ``n_boot`` resamples of the group's speeches, drawn with
  replacement (paragraphs are never resampled: they are not independent);
* groups with fewer than ``min_group_size`` speeches get no interval, and
  the table says why — one speech is a speech, not a group;
* :func:`prevalence_effects` regresses the values on the metadata (one
  categorical term per grouping column, and a linear or spline term in
  ``year``), like stm's ``estimateEffect``, with heteroskedasticity-robust
  (HC3) intervals.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..themes.rates import MISSING_GROUP, group_sort_key, theme_rate_matrix

YEAR_COLUMN = "year"
GROUP_MEAN_COLUMNS = [
    "by",
    "group",
    "measure",
    "n_speeches",
    "mean",
    "se",
    "ci_low",
    "ci_high",
    "doc_ids",
    "note",
]
EFFECT_COLUMNS = [
    "measure",
    "variable",
    "term",
    "reference",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p",
    "n_speeches",
    "n_group",
    "note",
]


# --------------------------------------------------------------------------- values and groups


def theme_values(speech_rates: pd.DataFrame) -> pd.DataFrame:
    """``theme_rates_by_speech`` as values: index ``doc_id``, one column per theme (rate per 1k)."""
    matrix = theme_rate_matrix(speech_rates)
    matrix.columns.name = None
    return matrix.astype(float)


def topic_values(speech_topic: pd.DataFrame) -> pd.DataFrame:
    """``speech_topic`` as values: index ``doc_id``, one column per topic (share of the speech)."""
    meta = {"doc_id", "title", "n_units", "n_tokens"}
    columns = [c for c in speech_topic.columns if c not in meta]
    return speech_topic.set_index("doc_id")[columns].astype(float)


def group_labels(speeches: pd.DataFrame, column: str) -> pd.Series:
    """``doc_id -> group`` of one metadata column (``未注明`` when the cell is empty).

    Whole-number floats (a year read as ``2012.0``) are written ``2012``.
    """
    raw = speeches.set_index("doc_id")[column] if column in speeches else pd.Series(dtype=object)

    def label(value) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return MISSING_GROUP
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        return text if text and text.lower() not in ("nan", "<na>", "none") else MISSING_GROUP

    return raw.map(label).astype(str)


def known_years(speeches: pd.DataFrame, column: str = YEAR_COLUMN) -> pd.Series:
    """``doc_id -> year`` as a float, NaN where the year is missing or not a number."""
    if column not in speeches:
        return pd.Series(np.nan, index=speeches["doc_id"], dtype=float)
    years = pd.to_numeric(speeches.set_index("doc_id")[column], errors="coerce")
    return years.astype(float)


def thin_groups_note(sizes: pd.Series, min_group_size: int) -> str:
    """``市 1, 县 2`` — the groups below ``min_group_size`` with their sizes (for notes)."""
    small = sizes[sizes < min_group_size]
    return ", ".join(f"{group} {int(n)}" for group, n in small.items())


# --------------------------------------------------------------------------- bootstrap


def group_rng(seed: int, *labels: str) -> np.random.Generator:
    """A generator seeded by ``seed`` and the group's labels.

    Each group draws from its own stream, so adding a speech to one group
    leaves the intervals of the other groups unchanged.
    """
    keys = [int(seed)] + [zlib.crc32(str(label).encode("utf-8")) for label in labels]
    return np.random.default_rng(keys)


def bootstrap_mean_draws(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n_boot`` resamples of the rows of ``values`` (speeches drawn with replacement).

    Parameters
    ----------
    values : ndarray
        ``n_speeches × n_measures``.
    n_boot : int
    rng : numpy Generator

    Returns
    -------
    ndarray
        ``n_boot × n_measures``. A resample is drawn as multinomial counts
        of the speeches, so the cost is one ``n_boot × n`` matrix product.
    """
    values = np.asarray(values, dtype=float)
    n = values.shape[0]
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot)
    return counts @ values / n


def percentile_interval(draws: np.ndarray, ci_level: float) -> tuple[np.ndarray, np.ndarray]:
    """The central ``ci_level`` percentile interval of bootstrap draws (per column)."""
    tail = (1.0 - ci_level) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail], axis=0)
    return low, high


def group_means(
    values: pd.DataFrame,
    labels: pd.Series,
    by: str,
    *,
    n_boot: int,
    seed: int,
    ci_level: float = 0.95,
    min_group_size: int = 3,
) -> pd.DataFrame:
    """Mean value of every group and measure, with a bootstrap interval over speeches.

    Parameters
    ----------
    values : DataFrame
        Index ``doc_id``, one column per measure (:func:`theme_values`,
        :func:`topic_values`); speeches with a missing value are left out.
    labels : Series
        ``doc_id -> group`` (:func:`group_labels`).
    by : str
        Name of the grouping (written to the ``by`` column; orders the groups).
    n_boot, seed, ci_level, min_group_size
        Resamples, seed, coverage, and the size below which a group gets no interval.

    Returns
    -------
    DataFrame
        ``by``, ``group``, ``measure``, ``n_speeches``, ``mean`` (of the
        speeches' values), ``se`` (standard deviation of the bootstrap
        means), ``ci_low``, ``ci_high`` (NaN for a group below
        ``min_group_size``), ``doc_ids`` (space separated) and ``note``
        (why there is no interval, else empty). Groups in display order,
        measures in column order.
    """
    complete = values.dropna()
    labels = labels.reindex(complete.index).fillna(MISSING_GROUP)
    groups = sorted(set(labels), key=lambda value: group_sort_key(by, value))
    measures = list(complete.columns)
    frames = []
    for group in groups:
        members = complete[labels == group]
        n = len(members)
        block = pd.DataFrame(
            {
                "by": by,
                "group": group,
                "measure": measures,
                "n_speeches": n,
                "mean": members.mean(axis=0).to_numpy(),
                "se": np.nan,
                "ci_low": np.nan,
                "ci_high": np.nan,
                "doc_ids": " ".join(sorted(members.index)),
                "note": "",
            }
        )
        if n >= min_group_size:
            draws = bootstrap_mean_draws(members.to_numpy(), n_boot, group_rng(seed, by, group))
            low, high = percentile_interval(draws, ci_level)
            block["se"], block["ci_low"], block["ci_high"] = draws.std(axis=0, ddof=1), low, high
        else:
            block["note"] = (
                f"{n} speech{'es' if n != 1 else ''} < min_group_size {min_group_size}: "
                "no interval; not compared as a group"
            )
        frames.append(block)
    if not frames:
        return pd.DataFrame(columns=GROUP_MEAN_COLUMNS)
    table = pd.concat(frames, ignore_index=True)
    return table.astype({"n_speeches": "int64"})[GROUP_MEAN_COLUMNS]


def group_means_by(
    values: pd.DataFrame,
    speeches: pd.DataFrame,
    by: Sequence[str],
    **options,
) -> pd.DataFrame:
    """:func:`group_means` for every metadata column in ``by`` the speeches have, stacked."""
    tables = [
        group_means(values, group_labels(speeches, column), column, **options)
        for column in by
        if column in speeches.columns
    ]
    tables = [table for table in tables if not table.empty]
    if not tables:
        return pd.DataFrame(columns=GROUP_MEAN_COLUMNS)
    return pd.concat(tables, ignore_index=True)


def difference_interval(
    values_a: np.ndarray,
    values_b: np.ndarray,
    *,
    n_boot: int,
    rng_a: np.random.Generator,
    rng_b: np.random.Generator,
    ci_level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bootstrap of the difference of two groups' means (each group resampled on its own).

    Returns
    -------
    (se, low, high) : ndarrays, one value per measure
    """
    draws = bootstrap_mean_draws(values_a, n_boot, rng_a) - bootstrap_mean_draws(
        values_b, n_boot, rng_b
    )
    low, high = percentile_interval(draws, ci_level)
    return draws.std(axis=0, ddof=1), low, high


# --------------------------------------------------------------------------- regression


def _categorical_block(
    labels: pd.Series, column: str, min_group_size: int
) -> tuple[pd.DataFrame, list[dict], str]:
    """Dummy columns of one grouping (groups of at least ``min_group_size``; reference = largest).

    Returns the dummies (index ``doc_id``; speeches of small or missing
    groups get NaN, so they drop out of the fit), one note row per group
    left out, and the reference group (``""`` when fewer than two groups remain).
    """
    sizes = labels[labels != MISSING_GROUP].value_counts()
    ordered = sorted(sizes.index, key=lambda g: (-sizes[g], group_sort_key(column, g)))
    kept = [g for g in ordered if sizes[g] >= min_group_size]
    notes = [
        {
            "variable": column,
            "term": group,
            "n_group": int(sizes[group]),
            "note": f"{int(sizes[group])} speech(es) < min_group_size {min_group_size}: "
            "left out of the regression",
        }
        for group in ordered
        if group not in kept
    ]
    if len(kept) < 2:
        return pd.DataFrame(index=labels.index), notes, ""
    reference = kept[0]
    inside = labels.isin(kept)
    dummies = pd.DataFrame(
        {f"{column}={g}": (labels == g).astype(float) for g in kept[1:]}, index=labels.index
    )
    return dummies.where(inside, np.nan), notes, reference


def year_basis(years: pd.Series, year_term: str) -> pd.DataFrame:
    """The year columns of the design: centred ``year`` or a cubic B-spline basis (3 df)."""
    known = years.dropna()
    if year_term == "spline":
        from patsy import dmatrix

        basis = dmatrix("bs(year, df=3) - 1", {"year": known.to_numpy()}, return_type="dataframe")
        basis.index = known.index
        basis.columns = [f"year_spline_{i + 1}" for i in range(basis.shape[1])]
        return basis.reindex(years.index)
    return pd.DataFrame({"year": years - known.mean()}, index=years.index)


def effects_design(
    speeches: pd.DataFrame,
    by: Sequence[str],
    *,
    min_group_size: int = 3,
    min_years: int = 5,
    year_term: str = "linear",
) -> tuple[pd.DataFrame, list[dict], dict[str, str]]:
    """The regression's design matrix from the metadata.

    Parameters
    ----------
    speeches : DataFrame
        ``doc_id`` and the metadata columns.
    by : sequence of str
        Grouping columns; ``year`` becomes a numeric term, every other
        column a categorical one.
    min_group_size, min_years, year_term
        See :func:`prevalence_effects`.

    Returns
    -------
    design : DataFrame
        Index ``doc_id`` (speeches with every term known), ``const`` and one
        column per term; empty when no term can be estimated.
    notes : list of dict
        One row per term or group left out, and why.
    references : dict
        ``column -> reference group`` of every categorical term kept.
    """
    blocks, notes, references = [], [], {}
    for column in by:
        if column not in speeches.columns:
            continue
        if column == YEAR_COLUMN:
            years = known_years(speeches, column)
            distinct = sorted(int(y) for y in years.dropna().unique())
            if len(distinct) >= min_years:
                blocks.append(year_basis(years, year_term))
            else:
                notes.append(
                    {
                        "variable": column,
                        "term": "per year",
                        "n_group": int(years.notna().sum()),
                        "note": f"{len(distinct)} distinct known years "
                        f"({', '.join(map(str, distinct)) or 'none'}); a year term needs "
                        f"at least min_years {min_years}",
                    }
                )
            continue
        dummies, left_out, reference = _categorical_block(
            group_labels(speeches, column), column, min_group_size
        )
        notes.extend(left_out)
        if reference:
            blocks.append(dummies)
            references[column] = reference
        else:
            notes.append(
                {
                    "variable": column,
                    "term": "",
                    "n_group": 0,
                    "note": f"fewer than two {column} groups with at least "
                    f"min_group_size {min_group_size} speeches: no {column} term",
                }
            )
    if not blocks:
        return pd.DataFrame(), notes, references
    design = pd.concat(blocks, axis=1).dropna()
    design.insert(0, "const", 1.0)
    return design, notes, references


def _term_of(column: str, references: dict[str, str]) -> tuple[str, str, str]:
    """``(variable, term, reference)`` of a design column (``level=县``, ``year``, ``year_spline_2``)."""
    if "=" in column:
        variable, term = column.split("=", 1)
        return variable, term, references.get(variable, "")
    if column == YEAR_COLUMN:
        return YEAR_COLUMN, "per year", ""
    return YEAR_COLUMN, column.replace("year_", ""), ""


def prevalence_effects(
    values: pd.DataFrame,
    speeches: pd.DataFrame,
    by: Sequence[str],
    *,
    min_group_size: int = 3,
    min_years: int = 5,
    year_term: str = "linear",
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Each measure regressed on the metadata, like stm's ``estimateEffect`` (speech grain).

    ``value ~ C(column) + … + year`` by ordinary least squares, one fit per
    measure, with HC3 (heteroskedasticity-robust) standard errors. Only
    groups with at least ``min_group_size`` speeches enter; the reference of
    a categorical term is its largest group; ``year`` is centred (linear) or
    a cubic B-spline with 3 df (``year_term = "spline"``) and enters only
    with at least ``min_years`` distinct known years. Speeches missing any
    term are left out of the fit.

    Parameters
    ----------
    values : DataFrame
        Index ``doc_id``, one column per measure.
    speeches : DataFrame
        ``doc_id`` and the metadata columns.
    by : sequence of str
    min_group_size, min_years, year_term, ci_level

    Returns
    -------
    DataFrame
        ``measure``, ``variable``, ``term`` (a group, ``per year`` or a
        spline column), ``reference``, ``estimate`` (difference from the
        reference group, or change per year, in the measure's unit), ``se``,
        ``ci_low``, ``ci_high``, ``p``, ``n_speeches`` (in the fit),
        ``n_group`` (speeches in the group, or with a known year) and
        ``note``. Terms or groups that could not be estimated have a row
        with NaN values and a note saying why (for every measure).
    """
    import statsmodels.api as sm

    design, notes, references = effects_design(
        speeches, by, min_group_size=min_group_size, min_years=min_years, year_term=year_term
    )
    rows: list[dict] = []
    for measure in values.columns:
        rows.extend({"measure": measure, "reference": "", **note} for note in notes)
        if design.empty:
            continue
        y = values[measure].reindex(design.index)
        keep = y.notna()
        X, y = design[keep], y[keep]
        if len(y) - X.shape[1] < 2:
            rows.append(
                {
                    "measure": measure,
                    "variable": "",
                    "term": "",
                    "reference": "",
                    "n_group": len(y),
                    "note": f"{len(y)} speeches for {X.shape[1]} parameters: too few to fit",
                }
            )
            continue
        with np.errstate(all="ignore"):
            fit = sm.OLS(y.to_numpy(), X.to_numpy()).fit(cov_type="HC3")
            bounds = fit.conf_int(alpha=1.0 - ci_level)
        for i, column in enumerate(X.columns):
            if column == "const":
                continue
            variable, term, reference = _term_of(column, references)
            rows.append(
                {
                    "measure": measure,
                    "variable": variable,
                    "term": term,
                    "reference": reference,
                    "estimate": float(fit.params[i]),
                    "se": float(fit.bse[i]),
                    "ci_low": float(bounds[i, 0]),
                    "ci_high": float(bounds[i, 1]),
                    "p": float(fit.pvalues[i]),
                    "n_speeches": len(y),
                    "n_group": int(X[column].sum()) if "=" in column else len(y),
                    "note": "",
                }
            )
    table = pd.DataFrame(rows, columns=EFFECT_COLUMNS)
    return table.astype({"n_speeches": "Int64", "n_group": "Int64"})


def ordered_groups(table: pd.DataFrame, by: str) -> list[str]:
    """The groups of one grouping in a group-means table, in display order."""
    groups = table.loc[table["by"] == by, "group"].astype(str).unique()
    return sorted(groups, key=lambda value: group_sort_key(by, value))
