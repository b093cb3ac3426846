"""Over the ``year`` column: a fitted curve with its band, and the terms that rose or fell most.

Nothing is estimated unless the speeches cover at least ``min_years``
distinct known years; with fewer, the functions return an empty table and
:func:`years_note` says how many years there are. Speeches without a known
year are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from scipy import stats as scipy_stats

from ..vectors import count_matrix
from .effects import year_basis

CURVE_COLUMNS = ["measure", "year", "fitted", "ci_low", "ci_high", "n_speeches"]
TERM_TREND_COLUMNS = [
    "term",
    "count",
    "n_speeches_using",
    "slope_per_year",
    "se",
    "ci_low",
    "ci_high",
    "t",
    "p",
    "q",
    "rate_early_per_1k",
    "rate_late_per_1k",
    "log2_ratio",
    "direction",
]


def distinct_years(years: pd.Series) -> list[int]:
    """The distinct known years, ascending."""
    return sorted(int(y) for y in years.dropna().unique())


def years_note(years: pd.Series, min_years: int) -> str:
    """Why there is no trend (``""`` when there are enough distinct years)."""
    distinct = distinct_years(years)
    if len(distinct) >= min_years:
        return ""
    listed = ", ".join(map(str, distinct)) or "none"
    return (
        f"too few years for a trend: {len(distinct)} distinct known year(s) ({listed}), "
        f"at least min_years {min_years} are needed"
    )


def year_curve(
    values: pd.DataFrame,
    years: pd.Series,
    *,
    year_term: str = "linear",
    ci_level: float = 0.95,
    min_years: int = 5,
) -> pd.DataFrame:
    """Each measure's fitted level per year with its band (speech grain).

    ``value ~ year`` (linear, or a cubic B-spline with 3 df) by least
    squares over the speeches with a known year, HC3 standard errors; the
    band is the ``ci_level`` interval of the fitted mean at every whole
    year from the first to the last.

    Parameters
    ----------
    values : DataFrame
        Index ``doc_id``, one column per measure.
    years : Series
        ``doc_id -> year`` (NaN when unknown).
    year_term, ci_level, min_years

    Returns
    -------
    DataFrame
        ``measure``, ``year``, ``fitted``, ``ci_low``, ``ci_high``,
        ``n_speeches``; empty with fewer than ``min_years`` distinct years.
    """
    import statsmodels.api as sm

    known = years.reindex(values.index).dropna()
    if years_note(known, min_years):
        return pd.DataFrame(columns=CURVE_COLUMNS)
    grid_years = np.arange(int(known.min()), int(known.max()) + 1)
    both = pd.concat([known, pd.Series(grid_years.astype(float))], ignore_index=True)
    basis = year_basis(both, year_term)
    basis.insert(0, "const", 1.0)
    fit_rows, grid_rows = basis.iloc[: len(known)], basis.iloc[len(known) :]
    frames = []
    for measure in values.columns:
        y = values.loc[known.index, measure].to_numpy(dtype=float)
        keep = ~np.isnan(y)
        with np.errstate(all="ignore"):
            fit = sm.OLS(y[keep], fit_rows.to_numpy()[keep]).fit(cov_type="HC3")
            prediction = fit.get_prediction(grid_rows.to_numpy())
            low, high = prediction.conf_int(alpha=1.0 - ci_level).T
        frames.append(
            pd.DataFrame(
                {
                    "measure": measure,
                    "year": grid_years,
                    "fitted": prediction.predicted_mean,
                    "ci_low": low,
                    "ci_high": high,
                    "n_speeches": int(keep.sum()),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[CURVE_COLUMNS]


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """False-discovery-rate q-values of p-values (Benjamini–Hochberg step-up)."""
    p = np.asarray(p_values, dtype=float)
    n = len(p)
    if n == 0:
        return p
    order = np.argsort(p, kind="mergesort")
    ranked = p[order] * n / np.arange(1, n + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(ranked, 1.0)
    return q


def _rates_per_1k(
    token_lists: Sequence[Sequence[str]], min_count: int
) -> tuple[sparse.csr_matrix, list[str], np.ndarray]:
    """Term rates per 1,000 tokens of each text (rows), for terms used at least ``min_count`` times."""
    if not any(token_lists):
        return (
            sparse.csc_matrix((len(token_lists), 0)),
            [],
            sparse.csr_matrix((len(token_lists), 0)),
        )
    counts, vocabulary = count_matrix(token_lists)
    terms = [str(term) for term in vocabulary]
    totals = np.asarray([len(tokens) for tokens in token_lists], dtype=float)
    keep = np.flatnonzero(np.asarray(counts.sum(axis=0)).ravel() >= min_count)
    counts = counts[:, keep]
    scale = sparse.diags(1000.0 / np.where(totals > 0, totals, 1.0))
    return (scale @ counts).tocsc(), [terms[i] for i in keep], counts


def term_trends(
    documents: pd.DataFrame,
    years: pd.Series,
    *,
    min_count: int = 10,
    min_years: int = 5,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Which terms rose or fell most over the years (speech grain).

    For every term used at least ``min_count`` times by the speeches with a
    known year: the least-squares slope of its rate per 1,000 tokens on
    the year across speeches (each speech one observation), with an HC3
    standard error, a t-test and Benjamini–Hochberg q-values over all the
    terms tested; and, as a plain effect size, the log2 ratio of its pooled
    rate in the years after the median year to the years before it (a zero
    count taken as 0.5; see :func:`early_late_split`). The slope and the
    ratio can disagree when use peaks in the middle years.

    Parameters
    ----------
    documents : DataFrame
        ``doc_id`` and ``tokens`` per speech (``corpus.at_grain("document")``).
    years : Series
        ``doc_id -> year`` (NaN when unknown).
    min_count, min_years, ci_level

    Returns
    -------
    DataFrame
        ``term``, ``count``, ``n_speeches_using``, ``slope_per_year``,
        ``se``, ``ci_low``, ``ci_high``, ``t``, ``p``, ``q``,
        ``rate_early_per_1k``, ``rate_late_per_1k``, ``log2_ratio``,
        ``direction`` (``rising``/``falling`` by the slope's sign); sorted by
        ``t`` descending (rising first, falling last). Empty with fewer than
        ``min_years`` distinct years.
    """
    dated = documents.assign(_year=documents["doc_id"].map(years)).dropna(subset=["_year"])
    if years_note(dated.set_index("doc_id")["_year"], min_years) or dated.empty:
        return pd.DataFrame(columns=TERM_TREND_COLUMNS)
    token_lists = [list(tokens) for tokens in dated["tokens"]]
    rates, terms, counts = _rates_per_1k(token_lists, min_count)
    if not terms:
        return pd.DataFrame(columns=TERM_TREND_COLUMNS)
    year = dated["_year"].to_numpy(dtype=float)
    n = len(year)
    centred = year - year.mean()
    sxx = float(centred @ centred)
    dense = rates.toarray()
    slope = centred @ dense / sxx
    residuals = dense - dense.mean(axis=0) - np.outer(centred, slope)
    leverage = 1.0 / n + centred**2 / sxx
    adjusted = residuals / (1.0 - np.minimum(leverage, 1 - 1e-12))[:, None]
    se = np.sqrt((centred[:, None] ** 2 * adjusted**2).sum(axis=0)) / sxx
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, slope / se, 0.0)
    critical = scipy_stats.t.ppf(0.5 + ci_level / 2.0, n - 2)
    p = 2.0 * scipy_stats.t.sf(np.abs(t), n - 2)
    table = pd.DataFrame(
        {
            "term": terms,
            "count": np.asarray(counts.sum(axis=0)).ravel().astype(np.int64),
            "n_speeches_using": np.asarray((counts > 0).sum(axis=0)).ravel().astype(np.int64),
            "slope_per_year": slope,
            "se": se,
            "ci_low": slope - critical * se,
            "ci_high": slope + critical * se,
            "t": t,
            "p": p,
            "q": benjamini_hochberg(p),
        }
    )
    table = pd.concat([table, _early_late(counts, token_lists, year)], axis=1)
    table["direction"] = np.where(table["slope_per_year"] >= 0, "rising", "falling")
    table = table.sort_values(["t", "term"], ascending=[False, True], kind="mergesort")
    return table.reset_index(drop=True)[TERM_TREND_COLUMNS]


def early_late_split(year: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Speeches before and after the median year (boolean masks).

    Speeches of the median year itself are left out, so that a year holding
    many speeches does not decide both sides; when a side would be empty
    (the median is the first or the last year), the median year joins the
    other side.
    """
    middle = np.median(year)
    early, late = year < middle, year > middle
    if not early.any():
        early = year <= middle
    if not late.any():
        late = year >= middle
    return early, late


def _early_late(counts, token_lists: Sequence[Sequence[str]], year: np.ndarray) -> pd.DataFrame:
    """Pooled rates per 1k before and after the median year, and their log2 ratio."""
    early, late = early_late_split(year)
    totals = np.asarray([len(tokens) for tokens in token_lists], dtype=float)
    counts = sparse.csr_matrix(counts)
    early_counts = np.asarray(counts[early].sum(axis=0)).ravel()
    late_counts = np.asarray(counts[late].sum(axis=0)).ravel()
    early_total = max(totals[early].sum(), 1.0)
    late_total = max(totals[late].sum(), 1.0)
    early_rate = np.where(early_counts > 0, early_counts, 0.5) / early_total
    late_rate = np.where(late_counts > 0, late_counts, 0.5) / late_total
    return pd.DataFrame(
        {
            "rate_early_per_1k": 1000.0 * early_counts / early_total,
            "rate_late_per_1k": 1000.0 * late_counts / late_total,
            "log2_ratio": np.log2(late_rate / early_rate),
        }
    )
