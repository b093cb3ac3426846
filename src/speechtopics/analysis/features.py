"""Keywords, keyness and similarity of speeches.

* **TF-IDF keywords** of each speech and each top-level section
  (:mod:`speechtopics.analysis.vectors`).
* **Keyness** — each speech (the target) against all the others (the
  reference), one 2×2 contingency table per term, scored with Pearson's χ²
  (Yates-corrected by default) and the log-likelihood G², both signed:
  positive when the term is more frequent in the target than expected.
* **Similarity** — cosine similarity between the speeches' TF-IDF vectors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import chi2 as chi2_distribution

from ..config import FeatureSettings
from ..corpus.model import Corpus
from .similarity import (
    SIMILARITY_ALL_PAIRS,
    cosine_similarity_matrix,
    nearest_speeches,
    similarity_long,
)
from .vectors import UNIT_COLUMNS, Analyzer, TfidfFit, count_matrix, fit_tfidf

KEYNESS_MEASURES = ("chi2", "g2")


def top_keywords(fit: TfidfFit, top_n: int = 15) -> pd.DataFrame:
    """The ``top_n`` highest-weighted terms of every unit of a fitted grain.

    Ties are broken by the raw count (higher first), then by the term.

    Parameters
    ----------
    fit : TfidfFit
        From :func:`fit_tfidf` at any grain (document → per speech,
        section → per top-level section).
    top_n : int
        Keywords per unit.

    Returns
    -------
    DataFrame
        One row per unit and keyword: the unit columns of ``fit.units``
        (``doc_id``, ``unit_id``, ``section_path`` where present), ``rank``
        (1 = highest), ``term``, ``tfidf``, ``count`` (occurrences in the
        unit) and ``document_frequency`` (units of the grain containing the
        term: 1 = only this unit uses it).
    """
    unit_columns = [column for column in UNIT_COLUMNS if column in fit.units.columns]
    document_frequency = fit.document_frequency
    rows: list[dict[str, Any]] = []
    for row_index in range(fit.weights.shape[0]):
        weight_row = fit.weights.getrow(row_index)
        columns = weight_row.indices
        if len(columns) == 0:
            continue
        weight_values = weight_row.data
        count_values = np.asarray(fit.counts[row_index, columns].todense()).ravel()
        terms = fit.terms[columns]
        order = np.lexsort((terms, -count_values, -weight_values))[:top_n]
        unit = fit.units.iloc[row_index]
        for rank, position in enumerate(order, start=1):
            row = {column: unit[column] for column in unit_columns}
            row.update(
                rank=rank,
                term=str(terms[position]),
                tfidf=float(weight_values[position]),
                count=int(count_values[position]),
                document_frequency=int(document_frequency[columns[position]]),
            )
            rows.append(row)
    columns_out = [*unit_columns, "rank", "term", "tfidf", "count", "document_frequency"]
    return pd.DataFrame(rows, columns=columns_out)


def keywords_by_speech(
    units: pd.DataFrame,
    analyzer: Analyzer | None = None,
    top_n: int = 15,
    sublinear_tf: bool = False,
) -> pd.DataFrame:
    """Top TF-IDF keywords of each speech, with the speeches as the documents.

    Parameters
    ----------
    units : DataFrame
        Document-grain units (``corpus.at_grain("document")``).
    analyzer : callable, optional
        None: the units' ``tokens``; else tokenize their ``text`` (see :func:`fit_tfidf`).
    top_n : int
        Keywords per speech.
    sublinear_tf : bool
        See :func:`build_tfidf_vectorizer`.

    Returns
    -------
    DataFrame
        ``doc_id``, ``rank``, ``term``, ``tfidf``, ``count``,
        ``document_frequency`` (speeches containing the term).
    """
    fit = fit_tfidf(units, analyzer, sublinear_tf=sublinear_tf)
    table = top_keywords(fit, top_n)
    return table.drop(columns=[c for c in ("unit_id", "section_path") if c in table.columns])


def keywords_by_section(
    units: pd.DataFrame,
    analyzer: Analyzer | None = None,
    top_n: int = 15,
    sublinear_tf: bool = False,
) -> pd.DataFrame:
    """Top TF-IDF keywords of each top-level section, with all sections of all speeches as the documents.

    Parameters
    ----------
    units : DataFrame
        Section-grain units (``corpus.at_grain("section")``); the opening
        remarks before the first heading have ``section_path == ""``.
    analyzer : callable, optional
        None: the units' ``tokens``; else tokenize their ``text`` (see :func:`fit_tfidf`).
    top_n : int
        Keywords per section.
    sublinear_tf : bool
        See :func:`build_tfidf_vectorizer`.

    Returns
    -------
    DataFrame
        ``doc_id``, ``unit_id``, ``section_path``, ``rank``, ``term``,
        ``tfidf``, ``count``, ``document_frequency`` (sections containing
        the term).
    """
    return top_keywords(fit_tfidf(units, analyzer, sublinear_tf=sublinear_tf), top_n)


def term_counts(token_lists: Iterable[Sequence[str]]) -> Counter[str]:
    """Occurrences of every token over several units (any grain)."""
    counts: Counter[str] = Counter()
    for tokens in token_lists:
        counts.update(tokens)
    return counts


def keyness_statistics(
    n_target: np.ndarray,
    n_reference: np.ndarray,
    total_target: int,
    total_reference: int,
    yates: bool = True,
) -> pd.DataFrame:
    """Signed χ² and G² of 2×2 tables (term / other terms × target / reference).

    For a term with ``a`` occurrences in the target and ``b`` in the
    reference, the table is ``[[a, b], [total_target - a, total_reference - b]]``
    with ``N`` tokens in all and expected counts ``E = row sum × column sum / N``.

    * ``chi2 = Σ (|O − E| − y)² / E`` where, with ``yates``, each observed
      count moves half a unit towards its expected count but never past it
      (``y = min(0.5, |O − E|)``, as ``scipy.stats.chi2_contingency`` and R's
      ``chisq.test`` do); otherwise ``y = 0``.
    * ``g2 = 2 Σ O ln(O / E)`` (Dunning's log-likelihood; ``0 ln 0 = 0``,
      no continuity correction).

    Both are signed: positive when the term is relatively more frequent in
    the target (``a > E``), negative when it is less frequent. ``p`` and ``p_g2`` come from
    the χ² distribution with one degree of freedom.

    Parameters
    ----------
    n_target, n_reference : array of int
        Occurrences of each term in the target and the reference.
    total_target, total_reference : int
        Tokens in the target and the reference.
    yates : bool
        Apply Yates' continuity correction to χ².

    Returns
    -------
    DataFrame
        ``chi2``, ``p``, ``g2``, ``p_g2``, ``log_ratio`` (log2 of the ratio
        of relative frequencies, a zero count taken as 0.5) and
        ``direction`` (``target``, ``reference`` or ``neither`` when the
        relative frequencies are equal), in input order.
    """
    a = np.asarray(n_target, dtype=float)
    b = np.asarray(n_reference, dtype=float)
    c = float(total_target) - a
    d = float(total_reference) - b
    observed = np.stack([a, b, c, d])
    n = a + b + c + d
    row_term = a + b
    row_other = c + d
    expected = np.stack(
        [
            row_term * float(total_target) / n,
            row_term * float(total_reference) / n,
            row_other * float(total_target) / n,
            row_other * float(total_reference) / n,
        ]
    )
    deviation = np.abs(observed - expected)
    correction = np.minimum(0.5, deviation) if yates else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2_unsigned = np.where(expected > 0, (deviation - correction) ** 2 / expected, 0.0).sum(
            axis=0
        )
        log_terms = np.where(observed > 0, observed * np.log(observed / expected), 0.0)
    g2_unsigned = np.maximum(2.0 * log_terms.sum(axis=0), 0.0)
    # a > E exactly when a / total_target > b / total_reference (compared without rounding)
    sign = np.sign(a * float(total_reference) - b * float(total_target))
    rate_target = np.where(a > 0, a, 0.5) / max(float(total_target), 1.0)
    rate_reference = np.where(b > 0, b, 0.5) / max(float(total_reference), 1.0)
    return pd.DataFrame(
        {
            "chi2": np.where(chi2_unsigned > 0, sign * chi2_unsigned, 0.0),
            "p": chi2_distribution.sf(chi2_unsigned, 1),
            "g2": np.where(g2_unsigned > 0, sign * g2_unsigned, 0.0),
            "p_g2": chi2_distribution.sf(g2_unsigned, 1),
            "log_ratio": np.log2(rate_target / rate_reference),
            "direction": np.select(
                [sign > 0, sign < 0], ["target", "reference"], default="neither"
            ),
        }
    )


def keyness(
    units: pd.DataFrame,
    target: str | Sequence[str],
    *,
    yates: bool = True,
    measure: str = "chi2",
    min_count: int = 1,
) -> pd.DataFrame:
    """Keyness of every term: target speeches against all other speeches.

    Parameters
    ----------
    units : DataFrame
        Units of any grain with ``doc_id`` and ``tokens`` (counts are summed
        per speech, so the grain does not change the result).
    target : str or sequence of str
        ``doc_id`` of the target speech, or several (e.g. all county-level
        speeches); every other speech in ``units`` is the reference.
    yates : bool
        Yates-corrected χ² (see :func:`keyness_statistics`).
    measure : {"chi2", "g2"}
        The statistic the rows are sorted by (descending).
    min_count : int
        Keep terms occurring at least this often in target and reference together.

    Returns
    -------
    DataFrame
        One row per term: ``term``, ``n_target``, ``n_reference``,
        ``total_target``, ``total_reference``, ``rate_target_per_1k``,
        ``rate_reference_per_1k``, ``chi2``, ``p``, ``g2``, ``p_g2``,
        ``log_ratio``, ``direction`` (``target`` when the term is relatively
        more frequent in the target, ``reference`` when less). Sorted by
        ``measure`` descending, then term.

    Raises
    ------
    ValueError
        If the target is empty, unknown, or covers every speech.
    """
    if measure not in KEYNESS_MEASURES:
        raise ValueError(f"measure must be one of {KEYNESS_MEASURES}, not {measure!r}")
    targets = {target} if isinstance(target, str) else set(target)
    doc_ids = set(units["doc_id"])
    if not targets or not targets <= doc_ids:
        raise ValueError(f"target {sorted(targets)} not among the speeches {sorted(doc_ids)}")
    if targets == doc_ids:
        raise ValueError("the target cannot be every speech: nothing is left for the reference")
    in_target = units["doc_id"].isin(targets)
    target_counts = term_counts(units.loc[in_target, "tokens"])
    reference_counts = term_counts(units.loc[~in_target, "tokens"])
    terms = sorted(set(target_counts) | set(reference_counts))
    n_target = np.array([target_counts.get(term, 0) for term in terms], dtype=np.int64)
    n_reference = np.array([reference_counts.get(term, 0) for term in terms], dtype=np.int64)
    table = _keyness_table(np.asarray(terms, dtype=object), n_target, n_reference, yates)
    table = table[table["n_target"] + table["n_reference"] >= min_count]
    table = table.sort_values([measure, "term"], ascending=[False, True], kind="mergesort")
    return table.reset_index(drop=True)


#: Above this many speeches × terms, each speech's keyness rows keep the terms it
#: uses and its ``avoided_rows`` most avoided ones (the table would not fit otherwise).
KEYNESS_FULL_CELLS = 1_000_000


def _speech_term_counts(units: pd.DataFrame) -> tuple[list[str], np.ndarray, sparse.csr_matrix]:
    """Speeches (sorted), terms (sorted) and their counts, one row per speech."""
    per_speech = units.groupby("doc_id", sort=True)["tokens"].agg(
        lambda lists: [token for tokens in lists for token in tokens]
    )
    counts, terms = count_matrix(per_speech.tolist())
    return list(per_speech.index), terms, counts


def _speech_keyness(
    terms: np.ndarray, n_target: np.ndarray, totals: np.ndarray, yates: bool
) -> pd.DataFrame:
    """The :func:`keyness` table of one speech from its counts and the corpus totals."""
    return _keyness_table(terms, n_target, totals - n_target, yates)


def _keyness_table(
    terms: np.ndarray, n_target: np.ndarray, n_reference: np.ndarray, yates: bool
) -> pd.DataFrame:
    """Counts, rates and keyness statistics of ``terms`` in a target against a reference."""
    total_target, total_reference = int(n_target.sum()), int(n_reference.sum())
    table = pd.DataFrame(
        {
            "term": terms,
            "n_target": n_target,
            "n_reference": n_reference,
            "total_target": total_target,
            "total_reference": total_reference,
            "rate_target_per_1k": 1000.0 * n_target / max(total_target, 1),
            "rate_reference_per_1k": 1000.0 * n_reference / max(total_reference, 1),
        }
    )
    statistics = keyness_statistics(
        n_target, n_reference, total_target, total_reference, yates=yates
    )
    return pd.concat([table, statistics], axis=1)


def keyness_by_speech(
    units: pd.DataFrame,
    *,
    yates: bool = True,
    measure: str = "chi2",
    min_count: int = 1,
    avoided_rows: int = 15,
) -> pd.DataFrame:
    """Keyness of every term for each speech against the rest of the corpus.

    The same numbers as :func:`keyness` with each speech as the target,
    computed from one speech × term count matrix.

    Parameters
    ----------
    units : DataFrame
        Units of any grain with ``doc_id`` and ``tokens``.
    yates, measure, min_count
        See :func:`keyness`.
    avoided_rows : int
        On large corpora (more than :data:`KEYNESS_FULL_CELLS` speeches ×
        terms) a speech keeps the rows of the terms it uses and of its this
        many most avoided terms.

    Returns
    -------
    DataFrame
        :func:`keyness` per speech with ``doc_id`` first, speeches in
        ``doc_id`` order, each sorted by ``measure`` descending. Empty when
        there are fewer than two speeches.
    """
    if measure not in KEYNESS_MEASURES:
        raise ValueError(f"measure must be one of {KEYNESS_MEASURES}, not {measure!r}")
    doc_ids, terms, counts = _speech_term_counts(units)
    if len(doc_ids) < 2:
        return pd.DataFrame(
            columns=["doc_id", "term", "n_target", "n_reference", "chi2", "p", "g2", "p_g2"]
        )
    totals = np.asarray(counts.sum(axis=0)).ravel()
    bounded = len(doc_ids) * len(terms) > KEYNESS_FULL_CELLS
    tables = []
    for row, doc_id in enumerate(doc_ids):
        table = _speech_keyness(terms, counts[row].toarray().ravel(), totals, yates)
        table = table[table["n_target"] + table["n_reference"] >= min_count]
        table = table.sort_values([measure, "term"], ascending=[False, True], kind="mergesort")
        if bounded:
            used = table["n_target"] > 0
            table = pd.concat([table[used], table[~used].tail(avoided_rows)])
        table.insert(0, "doc_id", doc_id)
        tables.append(table.reset_index(drop=True))
    return pd.concat(tables, ignore_index=True)


def top_keyness(
    keyness_table: pd.DataFrame, top_n: int = 15, measure: str = "chi2"
) -> pd.DataFrame:
    """The ``top_n`` terms of each speech with the strongest positive keyness.

    Parameters
    ----------
    keyness_table : DataFrame
        From :func:`keyness_by_speech`.
    top_n : int
        Terms per speech.
    measure : {"chi2", "g2"}
        The statistic to rank by.

    Returns
    -------
    DataFrame
        The rows of ``keyness_table`` with ``measure > 0``, at most ``top_n``
        per ``doc_id``, strongest first, with a ``rank`` column.
    """
    positive = keyness_table[keyness_table[measure] > 0]
    positive = positive.sort_values(
        ["doc_id", measure, "term"], ascending=[True, False, True], kind="mergesort"
    )
    top = positive.groupby("doc_id", sort=True).head(top_n).copy()
    top.insert(1, "rank", top.groupby("doc_id").cumcount() + 1)
    return top.reset_index(drop=True)


def word_frequencies(units: pd.DataFrame, doc_id: str) -> dict[str, int]:
    """Token counts of one speech, most frequent first (ties by term).

    Parameters
    ----------
    units : DataFrame
        Units of any grain with ``doc_id`` and ``tokens``.
    doc_id : str
        The speech.
    """
    counts = term_counts(units.loc[units["doc_id"] == doc_id, "tokens"])
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@dataclass
class FeatureResults:
    """The ``features`` tables of a corpus, plus what the figures and later stages need.

    Attributes
    ----------
    tables : dict
        ``keywords_by_speech``, ``keywords_by_section`` and, with two
        speeches or more, ``keyness`` and ``speech_similarity``.
    documents : DataFrame
        Document-grain units with at least one token.
    document_fit : TfidfFit or None
        TF-IDF of the speeches (``None`` when no speech has a token).
    messages : list of str
        Analyses skipped, and why.
    """

    tables: dict[str, pd.DataFrame]
    documents: pd.DataFrame
    document_fit: TfidfFit | None
    messages: list[str]


def feature_tables(corpus: Corpus, options: FeatureSettings) -> FeatureResults:
    """Every table of the ``features`` stage (no figures).

    Parameters
    ----------
    corpus : Corpus
        The loaded corpus; speeches are the documents (document grain),
        top-level sections the units of ``keywords_by_section``.
    options : FeatureSettings
        The ``[features]`` settings.

    Returns
    -------
    FeatureResults
    """
    documents = corpus.at_grain("document")
    documents = documents[documents["n_tokens"] > 0].reset_index(drop=True)
    results = FeatureResults(tables={}, documents=documents, document_fit=None, messages=[])
    if documents.empty:
        results.messages.append("features skipped: no speech has any token left after tokenization")
        return results
    document_fit = fit_tfidf(documents, sublinear_tf=options.sublinear_tf)
    results.document_fit = document_fit
    sections = corpus.at_grain("section")
    sections = sections[sections["n_tokens"] > 0].reset_index(drop=True)
    results.tables["keywords_by_speech"] = top_keywords(document_fit, options.top_n).drop(
        columns=["unit_id", "section_path"]
    )
    results.tables["keywords_by_section"] = keywords_by_section(
        sections, top_n=options.top_n, sublinear_tf=options.sublinear_tf
    )
    if len(documents) >= 2:
        results.tables["keyness"] = keyness_by_speech(
            documents,
            yates=options.keyness_yates,
            measure=options.keyness_measure,
            min_count=options.keyness_min_count,
        )
        if len(documents) > SIMILARITY_ALL_PAIRS:
            results.tables["speech_similarity"] = nearest_speeches(document_fit, options.top_n)
            results.messages.append(
                f"speech similarity: each speech's {options.top_n} nearest of {len(documents)} "
                f"(all pairs would be {len(documents) ** 2:,} rows)"
            )
        else:
            results.tables["speech_similarity"] = similarity_long(
                cosine_similarity_matrix(document_fit)
            )
    else:
        results.messages.append(
            "keyness and speech similarity skipped: they need at least two speeches"
        )
    return results
