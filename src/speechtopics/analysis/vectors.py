"""Vectors of analysis units: the one TF-IDF and the one bag-of-words vocabulary.

* **TF-IDF** — scikit-learn's ``TfidfVectorizer`` built by
  :func:`build_tfidf_vectorizer` with the analyzer passed in (no English
  defaults: no ``token_pattern``, no lowercasing). The pipeline feeds it the
  token lists the corpus already holds (:func:`identity_analyzer`), so
  units are never segmented a second time; :func:`fit_tfidf` keeps raw and
  weighted counts per unit, :func:`tfidf_matrix` the L2-normalised rows for
  clustering.
* **Bag of words** — the gensim ``Dictionary`` of a set of units filtered by
  document frequency (:func:`build_dictionary`) and the units as
  ``(word id, count)`` lists (:func:`bow_corpus`), for topic models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from gensim.corpora import Dictionary
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

Bow = list[tuple[int, int]]


def build_dictionary(
    token_lists: Sequence[Sequence[str]],
    no_below: int = 2,
    no_above: float = 0.5,
    keep: Iterable[str] = (),
) -> Dictionary:
    """The gensim vocabulary of a set of units, filtered by document frequency.

    Parameters
    ----------
    token_lists : sequence of list of str
        Tokens per unit (any grain).
    no_below : int
        Keep words found in at least this many units.
    no_above : float
        Keep words found in at most this share of the units.
    keep : iterable of str
        Words kept whatever their frequency (the seed words of the themes).

    Returns
    -------
    Dictionary
        Word ids in a fixed order (gensim assigns them in order of first
        appearance, then compacts them after filtering).
    """
    dictionary = Dictionary(list(tokens) for tokens in token_lists)
    present = [word for word in dict.fromkeys(keep) if word in dictionary.token2id]
    dictionary.filter_extremes(
        no_below=no_below, no_above=no_above, keep_n=None, keep_tokens=present or None
    )
    return dictionary


def bow_corpus(dictionary: Dictionary, token_lists: Sequence[Sequence[str]]) -> list[Bow]:
    """Bag-of-words vectors of the units (words outside ``dictionary`` dropped)."""
    return [dictionary.doc2bow(list(tokens)) for tokens in token_lists]


def vocabulary(dictionary: Dictionary) -> list[str]:
    """The words of ``dictionary`` in id order."""
    return [dictionary[i] for i in range(len(dictionary))]


def identity_analyzer(tokens: Sequence[str]) -> list[str]:
    """Analyzer for scikit-learn vectorizers fed with token lists: the tokens themselves."""
    return list(tokens)


def count_matrix(token_lists: Sequence[Sequence[str]]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Raw counts of pre-tokenized units: units × terms (int64) and the terms, sorted."""
    counter = CountVectorizer(analyzer=identity_analyzer, lowercase=False)
    counts = sparse.csr_matrix(
        counter.fit_transform([list(t) for t in token_lists]), dtype=np.int64
    )
    return counts, counter.get_feature_names_out()


def tfidf_matrix(
    token_lists: Sequence[Sequence[str]], min_df: int | float = 1, sublinear_tf: bool = True
) -> tuple[sparse.csr_matrix, list[str]]:
    """TF-IDF of pre-tokenized texts (any grain), rows L2-normalised.

    Parameters
    ----------
    token_lists : sequence of sequence of str
        One token list per unit (paragraph, speech, headline …).
    min_df : int or float
        Drop terms found in fewer units (int) or a smaller share of units (float).
        An int larger than the number of units is lowered to 1.
    sublinear_tf : bool
        Use ``1 + log(tf)`` instead of raw counts.

    Returns
    -------
    matrix : scipy.sparse.csr_matrix
        Units × terms.
    terms : list of str
        The vocabulary, sorted (column order).
    """
    if isinstance(min_df, int) and min_df > len(token_lists):
        min_df = 1
    vectorizer = build_tfidf_vectorizer(identity_analyzer, sublinear_tf=sublinear_tf, min_df=min_df)
    try:
        matrix = vectorizer.fit_transform(list(token_lists))
    except ValueError:  # empty vocabulary
        return sparse.csr_matrix((len(token_lists), 0)), []
    return matrix.tocsr(), list(vectorizer.get_feature_names_out())


Analyzer = Callable[[str], list[str]]
UNIT_COLUMNS = ("doc_id", "unit_id", "section_path")


def build_tfidf_vectorizer(
    analyzer: Analyzer,
    *,
    sublinear_tf: bool = False,
    min_df: int | float = 1,
    max_df: int | float = 1.0,
    norm: str | None = "l2",
    smooth_idf: bool = True,
) -> TfidfVectorizer:
    """A TF-IDF vectorizer that tokenizes with ``analyzer`` and nothing else.

    Parameters
    ----------
    analyzer : callable
        ``str -> list[str]``; the project's tokenizer (``corpus.tokenizer``).
        Its tokens are the features as they are: no lowercasing, no
        ``token_pattern``, no n-grams added.
    sublinear_tf : bool
        Use ``1 + log(tf)`` instead of the raw count.
    min_df, max_df : int or float
        Drop terms in fewer / more units than this (count or proportion).
    norm : {"l2", "l1", None}
        Row normalisation; with ``"l2"`` the dot product of two rows is their
        cosine similarity.
    smooth_idf : bool
        ``idf = ln((1 + n) / (1 + df)) + 1`` (scikit-learn's default) instead
        of ``ln(n / df) + 1``.

    Returns
    -------
    TfidfVectorizer
        Unfitted.
    """
    return TfidfVectorizer(
        analyzer=analyzer,
        lowercase=False,
        token_pattern=None,
        sublinear_tf=sublinear_tf,
        min_df=min_df,
        max_df=max_df,
        norm=norm,
        smooth_idf=smooth_idf,
    )


@dataclass
class TfidfFit:
    """A TF-IDF model fitted on the units of one grain.

    Attributes
    ----------
    vectorizer : TfidfVectorizer
        The fitted vectorizer (``vocabulary_``, ``idf_``).
    units : DataFrame
        One row per unit, in matrix row order: ``doc_id``, ``unit_id``,
        ``section_path`` (those present in the input) and ``n_tokens``
        (tokens of the unit that are features; all of them when ``min_df``
        and ``max_df`` drop nothing).
    terms : ndarray of str
        Feature names, in matrix column order (sorted).
    weights : scipy.sparse.csr_matrix
        Units × terms TF-IDF weights.
    counts : scipy.sparse.csr_matrix
        Units × terms raw counts of the same terms.
    """

    vectorizer: TfidfVectorizer
    units: pd.DataFrame
    terms: np.ndarray
    weights: sparse.csr_matrix
    counts: sparse.csr_matrix

    @property
    def document_frequency(self) -> np.ndarray:
        """Number of units each term occurs in."""
        return np.asarray((self.counts > 0).sum(axis=0)).ravel()

    def term_index(self, term: str) -> int:
        """Column of ``term`` (``KeyError`` if it is not a feature)."""
        return int(self.vectorizer.vocabulary_[term])


def fit_tfidf(
    units: pd.DataFrame,
    analyzer: Analyzer | None = None,
    *,
    sublinear_tf: bool = False,
    min_df: int | float = 1,
    max_df: int | float = 1.0,
) -> TfidfFit:
    """Fit TF-IDF on the texts of analysis units.

    Parameters
    ----------
    units : DataFrame
        Units of one grain, e.g. ``corpus.at_grain("document")`` (one row
        per speech) or ``corpus.at_grain("section")`` (one row per top-level
        section), with their ``tokens``.
    analyzer : callable, optional
        None (the pipeline's way): the units' ``tokens`` are the features,
        as the corpus cached them. Given (``corpus.tokenizer``): the units'
        ``text`` is tokenized by it instead, for texts without token lists.
    sublinear_tf, min_df, max_df
        See :func:`build_tfidf_vectorizer`.

    Returns
    -------
    TfidfFit
        Weights and raw counts per unit and term.

    Raises
    ------
    ValueError
        If the units have no token at all (scikit-learn: empty vocabulary).
    """
    if analyzer is None:
        analyzer, texts = identity_analyzer, [list(tokens) for tokens in units["tokens"]]
    else:
        texts = units["text"].astype(str).tolist()
    vectorizer = build_tfidf_vectorizer(
        analyzer, sublinear_tf=sublinear_tf, min_df=min_df, max_df=max_df
    )
    weights = sparse.csr_matrix(vectorizer.fit_transform(texts))
    counter = CountVectorizer(
        analyzer=analyzer, lowercase=False, token_pattern=None, vocabulary=vectorizer.vocabulary_
    )
    counts = sparse.csr_matrix(counter.transform(texts))
    unit_columns = [column for column in UNIT_COLUMNS if column in units.columns]
    frame = units[unit_columns].reset_index(drop=True).copy()
    frame["n_tokens"] = np.asarray(counts.sum(axis=1)).ravel()
    return TfidfFit(
        vectorizer=vectorizer,
        units=frame,
        terms=vectorizer.get_feature_names_out(),
        weights=weights,
        counts=counts,
    )
