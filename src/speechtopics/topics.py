"""Topic models: choosing K, stability, seeded (theme) topics and topic identity.

The analysis runs on the units of one grain (``[topics] grain``; paragraphs
by default, since five speeches are far too few documents for LDA):

1. **Units and vocabulary** (:func:`topic_units`, :func:`build_dictionary`).
   Units shorter than ``min_unit_tokens`` (heading lines such as
   ``三、经受住三个考验``) are merged into the next unit of the same speech and
   top-level section, so that a heading is read with its body. The gensim
   ``Dictionary`` keeps words found in at least ``no_below`` units (a word
   seen in one unit co-occurs with nothing: it only adds noise) and in at
   most ``no_above`` of them (``办公室`` is in two thirds of the paragraphs
   and says nothing about any topic). Topic proportions are then inferred
   for every unit of the grain (:func:`doc_topic_table`).
2. **Choosing K** (:func:`sweep_k`, :func:`choose_k`). For every K in
   ``k_min..k_max`` and every seed, one ``LdaModel`` is fitted on the units
   left after holding out a seeded fraction (the same units for every K and
   seed). Each fit is scored by three coherence measures of its top words on
   all units (``c_npmi``, ``c_v``, ``u_mass``, as gensim's ``CoherenceModel``
   defines them) and by the perplexity of the held-out units. The fits run on
   ``n_jobs`` processes (joblib), each single-threaded and seeded, so the
   table does not depend on scheduling or on the number of workers; the
   texts are then counted ONE time per measure for the union of all fits'
   top words (:func:`count_co_occurrences`) and every fit is scored from
   those counts (:func:`score_topics`). Each coherence
   measure and the agreement of top words across seeds vote for the K within
   one standard error of their best; the K with most votes is reported, with
   the numbers behind it.
3. **Stability** (:func:`fit_ensemble`, :func:`topic_stability`). On about a
   hundred paragraphs one LDA fit is one of many equally good local optima:
   another seed reproduces the top-20 words of its topics at a mean Jaccard
   of only ~0.3. The topics reported are therefore ensemble topics: for each
   seed, ``ensemble_runs`` fits are aligned to each other (Hungarian matching
   on cosine similarity of their topic–word distributions) and averaged; the
   seeds' ensembles are then aligned and averaged into the reported model. A
   topic's stability is the mean Jaccard of its top-20 words between the
   independent ensembles of every pair of seeds (what another seed would
   report), next to the same figure for single fits; topics below
   ``stability_threshold`` are flagged.
4. **Seeded topics** (:func:`theme_eta`, :func:`guided_sstats`,
   :func:`fit_seeded`). Keyword-assisted LDA as in keyATM / guided LDA: one
   topic per theme of ``themes.toml`` whose topic–word prior ``eta`` adds
   ``seed_weight`` pseudo-counts to the theme's seed words, plus
   ``free_topics`` topics for what the themes do not cover; the fit starts
   each unit in the themes whose seed words it contains.
5. **Labels** (:func:`topic_labels`): the theme whose terms a topic lifts most
   above their corpus share, followed by the topic's best FREX words
   (harmonic mean of the ranks of frequency and exclusivity), e.g.
   ``参谋助手 · 信息/调研/决策``.
6. **Identity across runs** (:func:`match_topics`): Hungarian matching of two
   sets of topics on the Jensen–Shannon distance of their word
   distributions.

Every function takes data and returns data; :func:`run_stage` assembles the
tables, figures and the offline pyLDAvis page of the pipeline's ``topics``
stage.
"""

from __future__ import annotations

import html
import itertools
import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from gensim.corpora import Dictionary
from gensim.models import LdaModel
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import jensenshannon

COHERENCE_MEASURES: tuple[str, ...] = ("c_npmi", "c_v", "u_mass")
OPENING_SECTION = "引言"
THEME_LABEL_SEPARATOR = " · "

Bow = list[tuple[int, int]]


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class TopicSettings:
    """Parameters of the topic analysis (the ``[topics]`` section).

    Attributes
    ----------
    grain : str
        Analysis units: ``paragraph`` (default), ``section``, ``sentence`` or ``document``.
    k_min, k_max : int
        Range of K swept.
    seeds : tuple of int
        Seeds: one fit per (K, seed) in the sweep, one ensemble per seed for stability.
    passes, iterations : int
        gensim ``LdaModel`` passes over the units and E-step iterations per unit.
    top_n : int
        Top words per topic for coherence, stability and the ``topic_words`` table.
    stability_threshold : float
        Topics whose mean top-``top_n`` Jaccard across seeds is below this are flagged unstable.
    no_below : int
        Keep words found in at least this many units.
    no_above : float
        Keep words found in at most this share of the units.
    min_unit_tokens : int
        Units with fewer tokens are merged into the next unit of the same speech (0 = no merging).
    holdout_fraction : float
        Share of units held out for perplexity in the sweep.
    split_seed : int
        Seed of the held-out split (the same split for every K and seed).
    ensemble_runs : int
        Fits averaged into one seed's ensemble (1 = single fits).
    alpha : str or float
        Document–topic prior: ``symmetric``, ``asymmetric`` or a number.
    free_topics : int
        Seeded model: topics without seed words, besides one per theme.
    seed_weight : float
        Seeded model: pseudo-count added to a theme's seed words in its topic's ``eta``.
    seeded_runs : int
        Seeded model: fits averaged per seed (its lexicon-guided start makes one enough).
    frex_weight : float
        Weight of exclusivity (vs frequency) in FREX.
    label_words : int
        FREX words in a topic label.
    n_jobs : int
        Worker processes for the fits.
    """

    grain: str = "paragraph"
    k_min: int = 3
    k_max: int = 15
    seeds: tuple[int, ...] = (1, 2, 3, 4, 5)
    passes: int = 20
    iterations: int = 400
    top_n: int = 20
    stability_threshold: float = 0.6
    no_below: int = 2
    no_above: float = 0.5
    min_unit_tokens: int = 20
    holdout_fraction: float = 0.2
    split_seed: int = 20240601
    ensemble_runs: int = 20
    alpha: str | float = "symmetric"
    free_topics: int = 3
    seed_weight: float = 2.0
    seeded_runs: int = 1
    frex_weight: float = 0.5
    label_words: int = 3
    n_jobs: int = 2

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> TopicSettings:
        """Settings from the full parameter dict (its ``[topics]`` section) or from that section itself."""
        section = params.get("topics", params)
        known = {name for name in cls.__dataclass_fields__}
        values = {key: value for key, value in section.items() if key in known}
        if "seeds" in values:
            values["seeds"] = tuple(int(seed) for seed in values["seeds"])
        return cls(**values)

    @property
    def k_values(self) -> list[int]:
        """The K swept: ``k_min..k_max``."""
        return list(range(int(self.k_min), int(self.k_max) + 1))

    @property
    def fit_options(self) -> dict[str, Any]:
        """Keyword arguments every fit shares (``passes``, ``iterations``, ``alpha``, ``n_jobs``)."""
        return {
            "passes": self.passes,
            "iterations": self.iterations,
            "alpha": self.alpha,
            "n_jobs": self.n_jobs,
        }


# --------------------------------------------------------------------------- units and vocabulary


def topic_units(units: pd.DataFrame, min_tokens: int = 20) -> pd.DataFrame:
    """Training units: short units merged into a neighbour in the same top-level section.

    Parameters
    ----------
    units : DataFrame
        Units of one grain (:meth:`Corpus.at_grain`): ``doc_id``, ``unit_id``,
        ``section_path``, ``tokens`` (paragraph grain by default).
    min_tokens : int
        A unit with fewer tokens (a heading line, a one-line transition) is
        carried into the following unit of the same speech and top-level
        section (a heading is read with the paragraph it introduces); a short
        unit that ends its section joins the previous unit of that section,
        or stays alone. 0 keeps every non-empty unit as it is.

    Returns
    -------
    DataFrame
        ``doc_id``, ``unit_id`` (the first member), ``section_path`` (of the
        first member), ``unit_ids`` (members), ``tokens``, ``n_tokens``; units
        without tokens are left out.
    """
    rows: list[dict[str, Any]] = []
    carry: dict[str, Any] | None = None

    def block(doc_id: str, section_path: str) -> tuple[str, str]:
        return doc_id, top_section(section_path)

    def flush_into_previous(pending: dict[str, Any]) -> None:
        if rows and block(rows[-1]["doc_id"], rows[-1]["section_path"]) == pending["block"]:
            rows[-1]["unit_ids"].extend(pending["unit_ids"])
            rows[-1]["tokens"].extend(pending["tokens"])
        else:
            rows.append(pending)

    for unit in units.itertuples(index=False):
        tokens = list(unit.tokens)
        here = block(unit.doc_id, unit.section_path)
        if carry is not None and carry["block"] != here:
            flush_into_previous(carry)
            carry = None
        if carry is None:
            current = {
                "doc_id": unit.doc_id,
                "unit_id": unit.unit_id,
                "section_path": unit.section_path,
                "unit_ids": [unit.unit_id],
                "tokens": tokens,
                "block": here,
            }
        else:
            current = carry
            current["unit_ids"].append(unit.unit_id)
            current["tokens"].extend(tokens)
        if len(current["tokens"]) < min_tokens:
            carry = current
            continue
        carry = None
        rows.append(current)
    if carry is not None:
        flush_into_previous(carry)
    frame = pd.DataFrame(rows, columns=["doc_id", "unit_id", "section_path", "unit_ids", "tokens"])
    frame["n_tokens"] = frame["tokens"].map(len)
    return frame[frame["n_tokens"] > 0].reset_index(drop=True)


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


def holdout_split(n_units: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of training and held-out units, drawn with ``seed``.

    Returns
    -------
    (train, heldout) : tuple of ndarray
        Sorted indices; ``heldout`` is empty when ``fraction`` is 0 or there
        are fewer than 5 units.
    """
    n_heldout = int(round(n_units * fraction)) if fraction > 0 and n_units >= 5 else 0
    order = np.random.default_rng(seed).permutation(n_units)
    return np.sort(order[n_heldout:]), np.sort(order[:n_heldout])


# --------------------------------------------------------------------------- fitting


def _alpha_argument(alpha: str | float) -> str | float:
    if isinstance(alpha, str):
        try:
            return float(alpha)
        except ValueError:
            return alpha
    return float(alpha)


def fit_lda(
    bow: Sequence[Bow],
    dictionary: Dictionary,
    num_topics: int,
    seed: int,
    passes: int = 20,
    iterations: int = 400,
    alpha: str | float = "symmetric",
    eta: np.ndarray | float | None = None,
    init_sstats: np.ndarray | None = None,
) -> LdaModel:
    """One gensim ``LdaModel`` fit, seeded and in batch-sized chunks.

    Parameters
    ----------
    bow : sequence of bag-of-words
        Training units (any grain).
    dictionary : Dictionary
        Vocabulary.
    num_topics : int
        K.
    seed : int
        ``random_state`` of the fit.
    passes, iterations : int
        Passes over the units; E-step iterations per unit.
    alpha : str or float
        Document–topic prior.
    eta : ndarray, float or None
        Topic–word prior (``K × V`` for seeded topics); None = gensim's ``1/K``.
    init_sstats : ndarray, optional
        Starting topic–word counts (``K × V``, see :func:`guided_sstats`);
        gensim's random start (Gamma(100, 1/100) per cell, drawn with
        ``seed``) is added to them. None = gensim's random start alone.

    Returns
    -------
    LdaModel
    """
    from threadpoolctl import threadpool_limits

    settings = dict(
        id2word=dictionary,
        num_topics=num_topics,
        iterations=iterations,
        chunksize=max(1, len(bow)),
        alpha=_alpha_argument(alpha),
        eta=eta,
        eval_every=None,
        random_state=seed,
        dtype=np.float64,
    )
    with threadpool_limits(1):
        if init_sstats is None:
            return LdaModel(corpus=list(bow), passes=passes, **settings)
        model = LdaModel(corpus=None, **settings)
        model.state.sstats[...] = np.asarray(init_sstats, dtype=float) + model.random_state.gamma(
            100.0, 1.0 / 100.0, model.state.sstats.shape
        )
        model.sync_state()
        if bow:
            model.update(list(bow), passes=passes, chunksize=max(1, len(bow)), eval_every=None)
        return model


def perplexity(model: LdaModel, heldout: Sequence[Bow], total_docs: int) -> float:
    """Held-out perplexity ``exp(-bound per word)`` (lower is better).

    ``bound`` is gensim's variational lower bound of the log-likelihood
    (natural log) of the held-out units, with the topic–word term counted
    once for a corpus of ``total_docs`` units.
    """
    if not heldout or sum(count for bow in heldout for _, count in bow) == 0:
        return float("nan")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        bound = model.log_perplexity(list(heldout), total_docs=total_docs)
    return float(np.exp(-bound))


def _sweep_fits(
    train: list[Bow],
    heldout: list[Bow],
    dictionary: Dictionary,
    grid: list[tuple[int, int]],
    passes: int,
    iterations: int,
    alpha: str | float,
    total_docs: int,
    top_n: int,
) -> list[tuple[int, int, list[list[str]], float]]:
    """Worker of :func:`sweep_k`: fit every (K, seed) of ``grid``.

    Returns, per fit, ``(k, seed, top words of each topic, held-out perplexity)``.
    """
    vocab = vocabulary(dictionary)
    results = []
    for k, seed in grid:
        model = fit_lda(
            train, dictionary, k, seed, passes=passes, iterations=iterations, alpha=alpha
        )
        results.append(
            (
                k,
                seed,
                top_words(model.get_topics(), vocab, top_n),
                perplexity(model, heldout, total_docs),
            )
        )
    return results


def _ensemble_fit(
    bow: list[Bow],
    dictionary: Dictionary,
    k: int,
    seed: int,
    passes: int,
    iterations: int,
    alpha: str | float,
    eta: np.ndarray | None,
    init_sstats: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Worker of :func:`fit_ensemble`: one fit's ``lambda`` (topic–word pseudo-counts) and ``alpha``."""
    model = fit_lda(
        bow,
        dictionary,
        k,
        seed,
        passes=passes,
        iterations=iterations,
        alpha=alpha,
        eta=eta,
        init_sstats=init_sstats,
    )
    return model.state.get_lambda().copy(), np.asarray(model.alpha, dtype=float).copy()


def _parallel(tasks: list[tuple], function, n_jobs: int) -> list:
    """Run ``function(*task)`` for every task, in order, on ``n_jobs`` processes."""
    if n_jobs == 1 or len(tasks) <= 1:
        return [function(*task) for task in tasks]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs, backend="loky")(delayed(function)(*task) for task in tasks)


# --------------------------------------------------------------------------- top words, Jaccard, alignment


def top_word_ids(topic_word: np.ndarray, n: int) -> np.ndarray:
    """Ids of the ``n`` most probable words of each topic (ties broken by word id).

    Parameters
    ----------
    topic_word : ndarray, shape (K, V)
    n : int

    Returns
    -------
    ndarray, shape (K, min(n, V))
    """
    order = np.argsort(-np.asarray(topic_word), axis=1, kind="stable")
    return order[:, : min(n, order.shape[1])]


def top_words(topic_word: np.ndarray, vocab: Sequence[str], n: int) -> list[list[str]]:
    """The ``n`` most probable words of each topic, best first."""
    return [[vocab[i] for i in row] for row in top_word_ids(topic_word, n)]


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """Jaccard similarity of two word sets (1 = same words)."""
    set_a, set_b = set(a), set(b)
    union = set_a | set_b
    return len(set_a & set_b) / len(union) if union else 1.0


def jaccard_matrix(
    topics_a: Sequence[Iterable[str]], topics_b: Sequence[Iterable[str]]
) -> np.ndarray:
    """Jaccard similarity of every topic of ``a`` with every topic of ``b`` (top-word sets)."""
    sets_b = [set(topic) for topic in topics_b]
    return np.array(
        [[jaccard(topic, other) for other in sets_b] for topic in topics_a], dtype=float
    ).reshape(len(topics_a), len(sets_b))


def best_match_jaccard(
    topics_a: Sequence[Iterable[str]], topics_b: Sequence[Iterable[str]]
) -> pd.DataFrame:
    """One-to-one matching of two topic sets that maximises the total Jaccard of their top words.

    Hungarian matching (``scipy.optimize.linear_sum_assignment``); with sets
    of different sizes, the extra topics stay unmatched.

    Parameters
    ----------
    topics_a, topics_b : sequence of word collections
        Top words per topic of two fits.

    Returns
    -------
    DataFrame
        ``topic_a``, ``topic_b`` (0-based indices), ``jaccard``; one row per
        matched pair, by ``topic_a``.
    """
    similarity = jaccard_matrix(topics_a, topics_b)
    if similarity.size == 0:
        return pd.DataFrame({"topic_a": [], "topic_b": [], "jaccard": []})
    rows, cols = linear_sum_assignment(-similarity)
    return pd.DataFrame({"topic_a": rows, "topic_b": cols, "jaccard": similarity[rows, cols]})


def mean_best_match_jaccard(fits: Sequence[Sequence[Iterable[str]]]) -> float:
    """Mean over every pair of fits of their mean best-match Jaccard (unmatched topics count 0)."""
    values = []
    for a, b in itertools.combinations(range(len(fits)), 2):
        matched = best_match_jaccard(fits[a], fits[b])
        size = max(len(fits[a]), len(fits[b]))
        values.append(matched["jaccard"].sum() / size if size else 1.0)
    return float(np.mean(values)) if values else float("nan")


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=float)
    totals = matrix.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0
    return matrix / totals


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of ``a`` with every row of ``b``."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    norm_a = np.linalg.norm(a, axis=1, keepdims=True)
    norm_b = np.linalg.norm(b, axis=1, keepdims=True)
    norm_a[norm_a == 0] = 1.0
    norm_b[norm_b == 0] = 1.0
    return (a / norm_a) @ (b / norm_b).T


def align_to(reference: np.ndarray, topic_word: np.ndarray, fixed: int = 0) -> np.ndarray:
    """The permutation of ``topic_word``'s topics that best matches ``reference`` (same K).

    Parameters
    ----------
    reference, topic_word : ndarray, shape (K, V)
        Topic–word weights (normalised or not).
    fixed : int
        The first ``fixed`` topics keep their place (seeded theme topics);
        the others are matched by Hungarian assignment on cosine similarity.

    Returns
    -------
    ndarray of int
        ``order`` such that ``topic_word[order]`` lines up with ``reference``.
    """
    k = reference.shape[0]
    order = np.arange(k)
    if k - fixed > 1:
        similarity = cosine_matrix(
            _normalise_rows(reference[fixed:]), _normalise_rows(topic_word[fixed:])
        )
        rows, cols = linear_sum_assignment(-similarity)
        order[fixed + rows] = fixed + cols
    return order


def consensus(
    matrices: Sequence[np.ndarray], fixed: int = 0, rounds: int = 2
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Average of several fits' topics after aligning them to each other.

    The fit most similar to all others (mean matched cosine) is the first
    reference; every fit is aligned to it and the aligned fits are averaged;
    the alignment is then repeated ``rounds`` times against the average.

    Parameters
    ----------
    matrices : sequence of ndarray, shape (K, V)
        ``lambda`` (topic–word pseudo-counts) of each fit.
    fixed : int
        Leading topics whose identity is fixed (seeded themes).
    rounds : int
        Re-alignments against the running average.

    Returns
    -------
    (average, orders)
        The averaged matrix and, per fit, the permutation that aligned it.
    """
    matrices = [np.asarray(matrix, dtype=float) for matrix in matrices]
    if len(matrices) == 1:
        return matrices[0].copy(), [np.arange(matrices[0].shape[0])]
    normalised = [_normalise_rows(matrix) for matrix in matrices]
    scores = np.zeros(len(matrices))
    for a, b in itertools.combinations(range(len(matrices)), 2):
        order = align_to(normalised[a], normalised[b], fixed)
        similarity = float(
            np.mean(
                np.sum(
                    normalised[a]
                    / np.linalg.norm(normalised[a], axis=1, keepdims=True)
                    * normalised[b][order]
                    / np.linalg.norm(normalised[b][order], axis=1, keepdims=True),
                    axis=1,
                )
            )
        )
        scores[a] += similarity
        scores[b] += similarity
    reference = normalised[int(np.argmax(scores))]
    orders: list[np.ndarray] = []
    average = matrices[0]
    for _ in range(rounds + 1):
        orders = [align_to(reference, matrix, fixed) for matrix in normalised]
        average = np.mean(
            [matrix[order] for matrix, order in zip(matrices, orders, strict=True)], axis=0
        )
        reference = _normalise_rows(average)
    return average, orders


# --------------------------------------------------------------------------- coherence

#: Sliding-window sizes of gensim's ``CoherenceModel`` (its defaults); ``u_mass`` counts whole units.
COHERENCE_WINDOWS: dict[str, int | None] = {"c_npmi": 10, "c_v": 110, "u_mass": None}

#: gensim's smoothing constant of the direct confirmation measures.
COHERENCE_EPSILON = 1e-12


@dataclass
class CoherenceCounts:
    """Word and co-occurrence counts for coherence, gathered once for many fits.

    Attributes
    ----------
    words : list of str
        The counted words (the union of all fits' top words).
    counts : dict
        ``measure -> (co-occurrence matrix, number of windows or units)``;
        the matrix is words × words, occurrences on its diagonal.
    """

    words: list[str]
    counts: dict[str, tuple[np.ndarray, int]]

    @property
    def index(self) -> dict[str, int]:
        return {word: i for i, word in enumerate(self.words)}


def _window_membership(ids: np.ndarray, window_size: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Which counted words each sliding window of one text holds, as gensim counts them.

    gensim's ``WordOccurrenceAccumulator`` slides a window over the text and,
    from one window to the next, drops the word that left on the left and
    adds the word that entered on the right, without checking whether the
    dropped word still occurs in the window. A word is therefore counted in a
    window when the last such event up to that window (drops before adds at
    the same step; the first window holds all its words) added it. A text
    not longer than the window is one window; an empty text is one empty
    window.

    Parameters
    ----------
    ids : ndarray of int
        Per token, the index of its word among the counted words, or -1.
    window_size : int

    Returns
    -------
    (members, words, n_windows)
        Boolean windows × words matrix, the counted words it covers, and the
        number of windows of the text.
    """
    length = len(ids)
    positions = np.flatnonzero(ids >= 0)
    words, columns = np.unique(ids[positions], return_inverse=True)
    if length <= window_size:
        return np.ones((1 if len(words) else 0, len(words)), dtype=bool), words, 1
    n_windows = length - window_size + 1
    events = np.zeros((n_windows, len(words)), dtype=np.int8)
    removed_at = positions + 1
    keep = removed_at < n_windows
    events[removed_at[keep], columns[keep]] = -1
    events[np.maximum(0, positions - window_size + 1), columns] = 1
    last = np.where(events != 0, np.arange(n_windows)[:, None], 0)
    np.maximum.accumulate(last, axis=0, out=last)
    members = np.take_along_axis(events, last, axis=0) == 1
    return members, words, n_windows


def _sliding_window_counts(
    id_lists: Sequence[np.ndarray], n_words: int, window_size: int
) -> tuple[np.ndarray, int]:
    """Co-occurrence counts of the counted words in sliding windows over all texts (see :func:`_window_membership`)."""
    matrix = np.zeros((n_words, n_words), dtype=np.int64)
    n_windows = 0
    for ids in id_lists:
        members, words, windows = _window_membership(ids, window_size)
        n_windows += windows
        if len(words):
            block = members.astype(np.int64)
            matrix[np.ix_(words, words)] += block.T @ block
    return matrix, n_windows


def _document_counts(id_lists: Sequence[np.ndarray], n_words: int) -> tuple[np.ndarray, int]:
    """Co-occurrence counts of the counted words in whole units (gensim's boolean document estimate)."""
    matrix = np.zeros((n_words, n_words), dtype=np.int64)
    for ids in id_lists:
        words = np.unique(ids[ids >= 0])
        matrix[np.ix_(words, words)] += 1
    return matrix, len(id_lists)


def count_co_occurrences(
    texts: Sequence[Sequence[str]],
    words: Iterable[str],
    measures: Sequence[str] = COHERENCE_MEASURES,
) -> CoherenceCounts:
    """Count the words of all fits' topics once per measure, in one pass over the texts each.

    Gives the counts gensim's ``CoherenceModel`` estimates (boolean sliding
    windows of 10 tokens for ``c_npmi``, 110 for ``c_v``; boolean units for
    ``u_mass``) for every word at once, with array operations instead of
    gensim's per-window Python loop, whose cost grows with the square of the
    number of counted words in a window.

    Parameters
    ----------
    texts : sequence of list of str
        Reference units (tokens), any grain.
    words : iterable of str
        Words to count (the union of the top words to score).
    measures : sequence of str
        Among ``c_npmi``, ``c_v``, ``u_mass``.

    Returns
    -------
    CoherenceCounts
    """
    unknown = [measure for measure in measures if measure not in COHERENCE_WINDOWS]
    if unknown:
        raise ValueError(
            f"unsupported coherence measure(s) {unknown}; choose from {list(COHERENCE_WINDOWS)}"
        )
    words = sorted(set(words))
    index = {word: i for i, word in enumerate(words)}
    id_lists = [
        np.fromiter((index.get(token, -1) for token in text), dtype=np.int64) for text in texts
    ]
    counts: dict[str, tuple[np.ndarray, int]] = {}
    for measure in measures:
        window = COHERENCE_WINDOWS[measure]
        counts[measure] = (
            _document_counts(id_lists, len(words))
            if window is None
            else _sliding_window_counts(id_lists, len(words), window)
        )
    return CoherenceCounts(words=words, counts=counts)


def _npmi(block: np.ndarray, n_windows: int) -> np.ndarray:
    """gensim's normalised log-ratio (NPMI) of every pair of words of a count block (diagonal included)."""
    joint = block / n_windows
    single = np.diag(block) / n_windows
    smoothed = joint + COHERENCE_EPSILON
    return np.log(smoothed / np.outer(single, single)) / -np.log(smoothed)


def score_topics(
    counts: CoherenceCounts, topics: Sequence[Sequence[str]]
) -> dict[str, list[float]]:
    """Coherence of each topic (its top words, best first) under every measure of ``counts``.

    The formulas are gensim's: ``c_npmi`` averages the NPMI of every ordered
    pair of top words (``s_one_one`` segmentation); ``c_v`` averages the
    cosine between each word's NPMI vector and the topic's summed vector
    (``s_one_set``, gamma = 1); ``u_mass`` averages ``log((D(w_i, w_j) / D +
    ε) / (D(w_j) / D))`` over pairs where ``w_j`` ranks above ``w_i``
    (``s_one_pre``). The tests check the values against ``CoherenceModel``.
    """
    index = counts.index
    scores: dict[str, list[float]] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for measure, (matrix, n_windows) in counts.counts.items():
            values = []
            for topic in topics:
                ids = [index[word] for word in topic]
                block = matrix[np.ix_(ids, ids)].astype(float)
                n = len(ids)
                if measure == "u_mass":
                    occurrences = np.diag(block)
                    ratio = np.log(
                        (block / n_windows + COHERENCE_EPSILON) / (occurrences[None, :] / n_windows)
                    )
                    ratio[:, occurrences == 0] = 0.0
                    lower = np.tril(np.ones((n, n), dtype=bool), k=-1)
                    values.append(float(np.mean(ratio[lower])) if lower.any() else float("nan"))
                    continue
                npmi = _npmi(block, n_windows)
                if measure == "c_npmi":
                    values.append(
                        float(np.mean(npmi[~np.eye(n, dtype=bool)])) if n > 1 else float("nan")
                    )
                else:
                    topic_vector = npmi.sum(axis=0)
                    norms = np.sqrt((npmi**2).sum(axis=1)) * np.sqrt((topic_vector**2).sum())
                    values.append(float(np.mean((npmi @ topic_vector) / norms)))
            scores[measure] = values
    return scores


def coherence_scores(
    topic_sets: Sequence[Sequence[Sequence[str]]],
    texts: Sequence[Sequence[str]],
    measures: Sequence[str] = COHERENCE_MEASURES,
) -> list[dict[str, list[float]]]:
    """Coherence of every topic of several fits, counting the texts once per measure.

    Parameters
    ----------
    topic_sets : sequence of (list of list of str)
        Per fit, the top words of each topic (best first).
    texts : sequence of list of str
        Reference units (tokens).
    measures : sequence of str
        Among ``c_npmi``, ``c_v``, ``u_mass``.

    Returns
    -------
    list of dict
        Per fit, ``measure -> coherence of each topic``; equal to gensim's
        ``CoherenceModel(topics=…, texts=texts, coherence=measure).get_coherence_per_topic()``.
    """
    if not topic_sets:
        return []
    words = {word for topics in topic_sets for topic in topics for word in topic}
    counts = count_co_occurrences(texts, words, measures)
    return [score_topics(counts, topics) for topics in topic_sets]


# --------------------------------------------------------------------------- choosing K


def sweep_k(
    token_lists: Sequence[Sequence[str]],
    k_values: Sequence[int],
    seeds: Sequence[int],
    *,
    dictionary: Dictionary | None = None,
    passes: int = 20,
    iterations: int = 400,
    top_n: int = 20,
    holdout_fraction: float = 0.2,
    split_seed: int = 0,
    no_below: int = 2,
    no_above: float = 0.5,
    alpha: str | float = "symmetric",
    measures: Sequence[str] = COHERENCE_MEASURES,
    n_jobs: int = 2,
) -> pd.DataFrame:
    """Fit one LDA per (K, seed) and score it: coherence, held-out perplexity, agreement across seeds.

    The naive equivalent is, for each K and seed, ``LdaModel(train, K,
    random_state=seed, …)`` followed by one ``CoherenceModel(model=…,
    texts=token_lists, coherence=m)`` per measure, each reading the texts
    again. Here the fits run on ``n_jobs`` processes, then the texts are
    counted once per measure for the union of all fits' top words
    (:func:`count_co_occurrences`) and every fit is scored from those counts
    (:func:`score_topics`): the same values, checked by the tests.

    Parameters
    ----------
    token_lists : sequence of list of str
        Tokens of the training units (paragraph grain by default).
    k_values : sequence of int
        Numbers of topics to try.
    seeds : sequence of int
        ``random_state`` of the fits.
    dictionary : Dictionary, optional
        Vocabulary; built with ``no_below`` / ``no_above`` when omitted.
    passes, iterations, alpha :
        LDA settings (see :func:`fit_lda`).
    top_n : int
        Top words scored by coherence and compared across seeds.
    holdout_fraction, split_seed :
        Units held out for perplexity (one split, drawn with ``split_seed``,
        for every fit); coherence is measured on all units.
    measures : sequence of str
        Coherence measures.
    n_jobs : int
        Worker processes; the table is the same for any value.

    Returns
    -------
    DataFrame
        One row per (K, seed), sorted: ``k``, ``seed``, one column per
        measure (mean over topics), ``perplexity`` and ``stability`` (mean
        best-match Jaccard of this fit's top words with each other seed's fit
        at the same K).
    """
    token_lists = [list(tokens) for tokens in token_lists]
    if dictionary is None:
        dictionary = build_dictionary(token_lists, no_below=no_below, no_above=no_above)
    bow = bow_corpus(dictionary, token_lists)
    train_index, heldout_index = holdout_split(len(bow), holdout_fraction, split_seed)
    train = [bow[i] for i in train_index]
    heldout = [bow[i] for i in heldout_index]
    grid = sorted({(int(k), int(seed)) for k in k_values for seed in seeds})
    # a few interleaved chunks per worker, so that every worker gets fits of every K
    n_chunks = max(1, min(len(grid), 4 * max(1, n_jobs)))
    tasks = [
        (
            train,
            heldout,
            dictionary,
            grid[start::n_chunks],
            passes,
            iterations,
            alpha,
            len(bow),
            top_n,
        )
        for start in range(n_chunks)
    ]
    fitted = sorted(
        (result for chunk in _parallel(tasks, _sweep_fits, n_jobs) for result in chunk),
        key=lambda result: (result[0], result[1]),
    )
    scores = coherence_scores([topics for _, _, topics, _ in fitted], token_lists, measures)
    topics_of = {(k, seed): topics for k, seed, topics, _ in fitted}
    rows = []
    for (k, seed, topics, held_out_perplexity), score in zip(fitted, scores, strict=True):
        row: dict[str, Any] = {"k": k, "seed": seed}
        for measure in measures:
            row[measure] = float(np.nanmean(score[measure])) if score[measure] else float("nan")
        row["perplexity"] = held_out_perplexity
        others = [other for (k2, seed2), other in topics_of.items() if k2 == k and seed2 != seed]
        row["stability"] = (
            float(np.mean([mean_best_match_jaccard([topics, other]) for other in others]))
            if others
            else float("nan")
        )
        rows.append(row)
    columns = ["k", "seed", *measures, "perplexity", "stability"]
    return pd.DataFrame(rows, columns=columns)


#: Measures that vote on K (high is better for all four); perplexity is reported only.
K_VOTE_MEASURES: tuple[str, ...] = (*COHERENCE_MEASURES, "stability")

MEASURE_NAMES_ZH = {
    "c_npmi": "c_npmi",
    "c_v": "c_v",
    "u_mass": "u_mass",
    "stability": "种子间一致性",
    "perplexity": "留出困惑度",
}


def k_summary(sweep: pd.DataFrame, measures: Sequence[str] = K_VOTE_MEASURES) -> pd.DataFrame:
    """Per K: mean, standard deviation and rank of every measure over seeds, and the votes of ``measures``.

    A measure votes for every K whose mean is within one standard error
    (sd / sqrt(seeds)) of the best mean (the one-standard-error rule: K that
    the seeds cannot tell apart from the best). ``perplexity`` (lower is
    better) is ranked but does not vote.

    Returns
    -------
    DataFrame
        One row per K, sorted by K: ``k``, ``n_seeds``, ``<m>``, ``<m>_sd``,
        ``<m>_rank`` (1 = best) per measure, ``<m>_vote`` per voting measure, ``votes``.
    """
    scored = [m for m in (*COHERENCE_MEASURES, "perplexity", "stability") if m in sweep.columns]
    grouped = sweep.groupby("k", sort=True)
    summary = pd.DataFrame({"k": sorted(sweep["k"].unique())})
    summary["n_seeds"] = grouped.size().to_numpy()
    for measure in scored:
        summary[measure] = grouped[measure].mean().to_numpy()
        summary[f"{measure}_sd"] = grouped[measure].std(ddof=1).to_numpy()
    for measure in scored:
        ascending = measure == "perplexity"
        summary[f"{measure}_rank"] = summary[measure].rank(
            ascending=ascending, method="min", na_option="bottom"
        )
    voting = [m for m in measures if m in summary.columns and summary[m].notna().any()]
    for measure in voting:
        best = summary[measure].idxmax()
        standard_error = summary.loc[best, f"{measure}_sd"] / math.sqrt(
            summary.loc[best, "n_seeds"]
        )
        standard_error = 0.0 if math.isnan(standard_error) else float(standard_error)
        summary[f"{measure}_vote"] = summary[measure] >= summary.loc[best, measure] - standard_error
    summary["votes"] = (
        summary[[f"{m}_vote" for m in voting]].sum(axis=1).astype(int) if voting else 0
    )
    return summary


def choose_k(sweep: pd.DataFrame, measures: Sequence[str] = K_VOTE_MEASURES) -> pd.DataFrame:
    """The K to report and why.

    Rule: each of ``measures`` (by default the three coherence measures and
    the agreement of top words across seeds) votes for the K whose mean over
    seeds is within one standard error of its best (see :func:`k_summary`);
    the K with most votes wins, ties going to the smaller K (fewer topics are
    easier to reproduce and to read). Held-out perplexity is reported, not
    used: on this few units it rewards the smallest models and does not
    track how readable the topics are.

    Returns
    -------
    DataFrame
        One row: ``k``, ``reason`` (in words, with the numbers), ``votes``,
        ``n_measures``, the mean of every measure at that K, ``n_k`` (Ks compared).
    """
    summary = k_summary(sweep, measures)
    voting = [m for m in measures if f"{m}_vote" in summary.columns]
    ordered = summary.sort_values(["votes", "k"], ascending=[False, True], kind="stable")
    best = ordered.iloc[0]
    k = int(best["k"])
    n_k = len(summary)

    def describe(measure: str) -> str:
        return (
            f"{MEASURE_NAMES_ZH[measure]} {best[measure]:.3f}（第 {int(best[f'{measure}_rank'])} 名"
            + (
                ""
                if measure == "perplexity" or best.get(f"{measure}_vote", False)
                else "，不在最佳一个标准误内"
            )
            + "）"
        )

    reason = (
        f"K={k}：在 K={int(summary['k'].min())}…{int(summary['k'].max())} 的 {n_k} 个取值中，"
        f"它在 {len(voting)} 项指标（{'、'.join(MEASURE_NAMES_ZH[m] for m in voting)}，各 {int(best['n_seeds'])} "
        f"个种子的均值）中的 {int(best['votes'])} 项上最好或与最好相差不到一个标准误，票数最多"
        + ("（平票时取较小的 K）" if (summary["votes"] == best["votes"]).sum() > 1 else "")
        + "："
        + "，".join(describe(m) for m in voting)
    )
    if "perplexity" in summary and not math.isnan(best["perplexity"]):
        reason += f"；{describe('perplexity')}，仅供参考"
    reason += "。"
    if len(ordered) > 1:
        runner_up = ordered.iloc[1]
        supporters = [MEASURE_NAMES_ZH[m] for m in voting if bool(runner_up[f"{m}_vote"])]
        reason += (
            f"其次是 K={int(runner_up['k'])}（{int(runner_up['votes'])} 票"
            + (f"：{'、'.join(supporters)}" if supporters else "")
            + "）。"
        )
    row: dict[str, Any] = {
        "k": k,
        "reason": reason,
        "votes": int(best["votes"]),
        "n_measures": len(voting),
        "n_k": n_k,
    }
    for measure in (*COHERENCE_MEASURES, "perplexity", "stability"):
        if measure in summary:
            row[measure] = float(best[measure])
    return pd.DataFrame([row])


# --------------------------------------------------------------------------- ensembles and stability


@dataclass
class TopicEnsemble:
    """An ensemble topic model: seeded fits aligned and averaged.

    Attributes
    ----------
    model : LdaModel
        The averaged model (usable for inference like any gensim model).
    dictionary : Dictionary
        Its vocabulary.
    names : list of str
        Topic names (``T1``…, or theme names and ``F1``… for seeded topics).
    seeds : list of int
        One ensemble per seed.
    seed_topic_word : list of ndarray
        Per seed, its ensemble's topic–word distributions, aligned to ``model``.
    run_topic_word : list of ndarray
        Every single fit's topic–word distributions, aligned to ``model``.
    fixed : int
        Leading topics whose identity is fixed by their seed words.
    """

    model: LdaModel
    dictionary: Dictionary
    names: list[str]
    seeds: list[int]
    seed_topic_word: list[np.ndarray]
    run_topic_word: list[np.ndarray]
    fixed: int = 0

    @property
    def topic_word(self) -> np.ndarray:
        """Topic–word distributions of the averaged model, shape (K, V)."""
        return self.model.get_topics()

    @property
    def vocab(self) -> list[str]:
        """The vocabulary in word-id order."""
        return vocabulary(self.dictionary)

    @property
    def theme_of(self) -> list[str | None]:
        """Per topic, the theme anchoring it (seeded topics) or None (free topics)."""
        return [name if index < self.fixed else None for index, name in enumerate(self.names)]


def run_seed(seed: int, run: int) -> int:
    """``random_state`` of fit ``run`` of the ensemble of ``seed`` (``seed * 1000 + run``)."""
    return int(seed) * 1000 + int(run)


def model_from_lambda(
    dictionary: Dictionary,
    topic_lambda: np.ndarray,
    alpha: np.ndarray,
    eta: np.ndarray | float | None,
    seed: int,
    iterations: int = 400,
) -> LdaModel:
    """A gensim ``LdaModel`` whose topics are given by ``topic_lambda`` (pseudo-counts), ready for inference."""
    num_topics = topic_lambda.shape[0]
    model = LdaModel(
        id2word=dictionary,
        num_topics=num_topics,
        alpha=np.asarray(alpha, dtype=float),
        eta=eta,
        iterations=iterations,
        random_state=seed,
        dtype=np.float64,
    )
    model.state.sstats[...] = np.asarray(topic_lambda, dtype=float) - model.eta
    model.sync_state()
    return model


def fit_ensemble(
    bow: Sequence[Bow],
    dictionary: Dictionary,
    num_topics: int,
    seeds: Sequence[int],
    runs: int = 20,
    *,
    passes: int = 20,
    iterations: int = 400,
    alpha: str | float = "symmetric",
    eta: np.ndarray | None = None,
    init_sstats: np.ndarray | None = None,
    fixed: int = 0,
    names: Sequence[str] | None = None,
    order_by_prevalence: bool = True,
    n_jobs: int = 2,
) -> TopicEnsemble:
    """Ensemble LDA: per seed, ``runs`` fits aligned and averaged; the seeds' ensembles averaged in turn.

    Parameters
    ----------
    bow : sequence of bag-of-words
        Training units (all of them; paragraph grain by default).
    dictionary : Dictionary
        Vocabulary.
    num_topics : int
        K.
    seeds : sequence of int
        One ensemble per seed; fit ``r`` of seed ``s`` uses ``random_state = s * 1000 + r``.
    runs : int
        Fits per seed.
    passes, iterations, alpha, eta, init_sstats :
        LDA settings (see :func:`fit_lda`).
    fixed : int
        The first ``fixed`` topics are anchored by ``eta`` (seeded themes)
        and keep their index; the others are aligned by Hungarian matching.
    names : sequence of str, optional
        Topic names; default ``T1``… in order of prevalence.
    order_by_prevalence : bool
        Number the free topics by their share of the training tokens, largest first.
    n_jobs : int
        Worker processes.

    Returns
    -------
    TopicEnsemble
    """
    if runs < 1 or runs > 1000:
        raise ValueError(f"runs must be between 1 and 1000, not {runs}")
    seeds = [int(seed) for seed in seeds]
    bow = list(bow)
    tasks = [
        (
            bow,
            dictionary,
            num_topics,
            run_seed(seed, run),
            passes,
            iterations,
            alpha,
            eta,
            init_sstats,
        )
        for seed in seeds
        for run in range(runs)
    ]
    fitted = _parallel(tasks, _ensemble_fit, n_jobs)
    lambdas = [topic_lambda for topic_lambda, _ in fitted]
    alphas = [run_alpha for _, run_alpha in fitted]
    seed_lambdas: list[np.ndarray] = []
    seed_alphas: list[np.ndarray] = []
    run_orders: list[list[np.ndarray]] = []
    for index in range(len(seeds)):
        block = slice(index * runs, (index + 1) * runs)
        average, orders = consensus(lambdas[block], fixed=fixed)
        seed_lambdas.append(average)
        seed_alphas.append(
            np.mean([a[o] for a, o in zip(alphas[block], orders, strict=True)], axis=0)
        )
        run_orders.append(orders)
    final, seed_orders = consensus(seed_lambdas, fixed=fixed)
    final_alpha = np.mean([a[o] for a, o in zip(seed_alphas, seed_orders, strict=True)], axis=0)
    model = model_from_lambda(
        dictionary, final, final_alpha, eta, seeds[0] if seeds else 0, iterations
    )
    permutation = np.arange(num_topics)
    if order_by_prevalence and num_topics - fixed > 1:
        shares = corpus_topic_share(model, bow)
        free = np.arange(fixed, num_topics)
        permutation[fixed:] = free[np.argsort(-shares[fixed:], kind="stable")]
        if not np.array_equal(permutation, np.arange(num_topics)):
            eta_sorted = eta[permutation] if isinstance(eta, np.ndarray) and eta.ndim == 2 else eta
            model = model_from_lambda(
                dictionary,
                final[permutation],
                final_alpha[permutation],
                eta_sorted,
                seeds[0] if seeds else 0,
                iterations,
            )
    topic_word = model.get_topics()
    seed_topic_word = []
    for seed_lambda, order in zip(seed_lambdas, seed_orders, strict=True):
        seed_topic_word.append(_normalise_rows(seed_lambda[order][permutation]))
    run_topic_word = []
    for index in range(len(seeds)):
        for run, order in enumerate(run_orders[index]):
            aligned = _normalise_rows(lambdas[index * runs + run][order])
            # align to the final topics directly (the block's own order may differ from the final one)
            run_topic_word.append(aligned[align_to(topic_word, aligned, fixed)])
    if names is None:
        names = [f"T{i + 1}" for i in range(num_topics)]
    return TopicEnsemble(
        model=model,
        dictionary=dictionary,
        names=list(names),
        seeds=seeds,
        seed_topic_word=seed_topic_word,
        run_topic_word=run_topic_word,
        fixed=fixed,
    )


def corpus_topic_share(model: LdaModel, bow: Sequence[Bow]) -> np.ndarray:
    """Share of all tokens of ``bow`` assigned to each topic (token-weighted mean of unit proportions)."""
    proportions = infer_doc_topic(model, bow)
    lengths = np.array([sum(count for _, count in doc) for doc in bow], dtype=float)
    if lengths.sum() == 0:
        return np.full(model.num_topics, 1.0 / model.num_topics)
    return (proportions * lengths[:, None]).sum(axis=0) / lengths.sum()


def infer_doc_topic(model: LdaModel, bow: Sequence[Bow], seed: int = 0) -> np.ndarray:
    """Topic proportions of each unit (rows sum to 1), inferred with a fixed random state.

    Parameters
    ----------
    model : LdaModel
    bow : sequence of bag-of-words
        Units of any grain.
    seed : int
        Seed of the variational initialisation (reset before every call, so
        the same units always get the same proportions).

    Returns
    -------
    ndarray, shape (n_units, K)
    """
    if not bow:
        return np.zeros((0, model.num_topics))
    from threadpoolctl import threadpool_limits

    model.random_state = np.random.RandomState(seed)
    with threadpool_limits(1):
        gamma, _ = model.inference(list(bow))
    return _normalise_rows(gamma)


def topic_stability(
    ensemble: TopicEnsemble, labels: Sequence[str], top_n: int = 20, threshold: float = 0.6
) -> pd.DataFrame:
    """How well each reported topic is reproduced across seeds.

    ``mean_jaccard``: for every pair of seeds, the Jaccard similarity of the
    topic's top-``top_n`` words in the two seeds' independent ensembles
    (each matched to the reported topic by Hungarian assignment), averaged
    over the pairs; ``min_jaccard`` the worst pair. ``single_fit_jaccard``:
    the same between single fits (every pair of fits), what one LDA fit
    would reproduce. ``stable`` = ``mean_jaccard >= threshold``.

    Returns
    -------
    DataFrame
        ``topic``, ``label``, ``mean_jaccard``, ``min_jaccard``,
        ``single_fit_jaccard``, ``stable``, ``n_seeds``, ``runs_per_seed``.
    """
    vocab = ensemble.vocab
    seed_words = [top_words(matrix, vocab, top_n) for matrix in ensemble.seed_topic_word]
    run_words = [top_words(matrix, vocab, top_n) for matrix in ensemble.run_topic_word]
    runs_per_seed = len(ensemble.run_topic_word) // max(1, len(ensemble.seeds))
    rows = []
    for index, (name, label) in enumerate(zip(ensemble.names, labels, strict=True)):
        pairs = [jaccard(a[index], b[index]) for a, b in itertools.combinations(seed_words, 2)]
        run_pairs = [jaccard(a[index], b[index]) for a, b in itertools.combinations(run_words, 2)]
        mean_value = float(np.mean(pairs)) if pairs else float("nan")
        rows.append(
            {
                "topic": name,
                "label": label,
                "mean_jaccard": mean_value,
                "min_jaccard": float(np.min(pairs)) if pairs else float("nan"),
                "single_fit_jaccard": float(np.mean(run_pairs)) if run_pairs else float("nan"),
                "stable": bool(mean_value >= threshold) if pairs else False,
                "n_seeds": len(ensemble.seeds),
                "runs_per_seed": runs_per_seed,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- seeded topics


def theme_eta(
    themes: Sequence[Any],
    dictionary: Dictionary,
    free_topics: int = 3,
    seed_weight: float = 1.0,
    base: float | None = None,
) -> tuple[np.ndarray, list[str], list[Any]]:
    """Topic–word prior of keyword-assisted LDA: one topic per theme, plus free topics.

    Parameters
    ----------
    themes : sequence of Theme
        ``corpus.themes`` (name, terms).
    dictionary : Dictionary
        Vocabulary; themes with no term in it get no topic.
    free_topics : int
        Topics without seed words, after the theme topics.
    seed_weight : float
        Pseudo-count added to each seed word in its theme's topic.
    base : float, optional
        Prior of every other (topic, word) cell; default ``1 / n_topics`` (gensim's default).

    Returns
    -------
    (eta, names, kept)
        ``eta`` of shape (n_topics, V); topic names (theme names, then
        ``F1``…); the themes that got a topic.
    """
    kept = [theme for theme in themes if any(term in dictionary.token2id for term in theme.terms)]
    n_topics = len(kept) + int(free_topics)
    base = 1.0 / max(1, n_topics) if base is None else float(base)
    eta = np.full((n_topics, len(dictionary)), base, dtype=float)
    for index, theme in enumerate(kept):
        for term in theme.terms:
            if term in dictionary.token2id:
                eta[index, dictionary.token2id[term]] += seed_weight
    names = [theme.name for theme in kept] + [f"F{i + 1}" for i in range(int(free_topics))]
    return eta, names, kept


def seed_terms(themes: Sequence[Any]) -> list[str]:
    """Every seed term of the themes, in lexicon order, without repeats."""
    return list(dict.fromkeys(term for theme in themes for term in theme.terms))


def guided_sstats(
    bow: Sequence[Bow],
    dictionary: Dictionary,
    themes: Sequence[Any],
    free_topics: int = 3,
    free_weight: float = 1.0,
    baseline: float = 0.01,
) -> np.ndarray:
    """Starting topic–word counts of seeded LDA, guided by where the seed words occur.

    Guided LDA starts seed words in their theme's topic; here every token of
    a unit starts spread over the topics in proportion to the unit's seed
    words of each theme, plus ``free_weight`` for each free topic (a unit
    with no seed word starts wholly in the free topics) and ``baseline`` for
    every topic. Without this start, which theme topic the many non-seed
    words join is left to the random start: on the bundled speeches the
    theme topics' prevalence per speech then correlates at about 0 from one
    seed to the next.

    Parameters
    ----------
    bow : sequence of bag-of-words
        Training units (any grain).
    dictionary : Dictionary
        Vocabulary.
    themes : sequence of Theme
        The themes that got a topic (in topic order).
    free_topics, free_weight, baseline : see above.

    Returns
    -------
    ndarray, shape (len(themes) + free_topics, V)
    """
    n_topics = len(themes) + int(free_topics)
    counts = np.zeros((len(bow), len(dictionary)))
    for row, doc in enumerate(bow):
        for word_id, count in doc:
            counts[row, word_id] = count
    start = np.full((len(bow), n_topics), float(baseline))
    start[:, len(themes) :] += float(free_weight)
    for index, theme in enumerate(themes):
        ids = sorted(
            {dictionary.token2id[term] for term in theme.terms if term in dictionary.token2id}
        )
        if ids:
            start[:, index] += counts[:, ids].sum(axis=1)
    start /= start.sum(axis=1, keepdims=True)
    return start.T @ counts


def fit_seeded(
    bow: Sequence[Bow],
    dictionary: Dictionary,
    themes: Sequence[Any],
    seeds: Sequence[int],
    *,
    free_topics: int = 3,
    seed_weight: float = 1.0,
    guided: bool = True,
    runs: int = 1,
    passes: int = 20,
    iterations: int = 400,
    alpha: str | float = "symmetric",
    n_jobs: int = 2,
) -> TopicEnsemble | None:
    """Seeded (keyword-assisted) LDA: theme topics anchored by their seed words, plus free topics.

    Parameters
    ----------
    bow, dictionary :
        Training units and vocabulary (keep the theme terms in it: see
        :func:`build_dictionary`'s ``keep``).
    themes : sequence of Theme
        Themes whose terms seed one topic each.
    seeds, runs :
        One ensemble of ``runs`` fits per seed (see :func:`fit_ensemble`).
    free_topics, seed_weight :
        See :func:`theme_eta`.
    guided : bool
        Start from :func:`guided_sstats` (else from gensim's random start).

    Returns
    -------
    TopicEnsemble or None
        Topics named after their theme (then ``F1``…); None when no theme term is in the vocabulary.
    """
    eta, names, kept = theme_eta(
        themes, dictionary, free_topics=free_topics, seed_weight=seed_weight
    )
    if not kept:
        return None
    start = guided_sstats(bow, dictionary, kept, free_topics) if guided else None
    return fit_ensemble(
        bow,
        dictionary,
        len(names),
        seeds,
        runs,
        passes=passes,
        iterations=iterations,
        alpha=alpha,
        eta=eta,
        init_sstats=start,
        fixed=len(kept),
        names=names,
        order_by_prevalence=True,
        n_jobs=n_jobs,
    )


# --------------------------------------------------------------------------- labels and words


def frex(topic_word: np.ndarray, weight: float = 0.5) -> np.ndarray:
    """FREX score of every word in every topic.

    The weighted harmonic mean of a word's rank (empirical CDF within the
    topic) by frequency (its probability in the topic) and by exclusivity
    (its probability in the topic over its summed probability in all topics).

    Parameters
    ----------
    topic_word : ndarray, shape (K, V)
        Topic–word probabilities.
    weight : float
        Weight of exclusivity (0.5 = equal weight).

    Returns
    -------
    ndarray, shape (K, V)
        In (0, 1]; high = frequent in the topic and rare elsewhere.
    """
    topic_word = _normalise_rows(topic_word)
    totals = topic_word.sum(axis=0, keepdims=True)
    totals[totals == 0] = 1.0
    exclusivity = topic_word / totals
    n_words = topic_word.shape[1]

    def ecdf(matrix: np.ndarray) -> np.ndarray:
        ranks = pd.DataFrame(matrix.T).rank(method="max").to_numpy().T
        return ranks / n_words

    return 1.0 / (weight / ecdf(exclusivity) + (1.0 - weight) / ecdf(topic_word))


def theme_lift(
    topic_word: np.ndarray, vocab: Sequence[str], themes: Sequence[Any], term_frequency: np.ndarray
) -> pd.DataFrame:
    """Probability mass of each theme's terms in each topic, and its ratio to the terms' corpus share.

    Returns
    -------
    DataFrame
        Rows = topics (0-based), columns = ``(mass | lift, theme)``.
    """
    index = {word: i for i, word in enumerate(vocab)}
    corpus_share = np.asarray(term_frequency, dtype=float)
    corpus_share = corpus_share / corpus_share.sum() if corpus_share.sum() else corpus_share
    topic_word = _normalise_rows(topic_word)
    mass, lift = {}, {}
    for theme in themes:
        ids = [index[term] for term in theme.terms if term in index]
        theme_mass = topic_word[:, ids].sum(axis=1) if ids else np.zeros(topic_word.shape[0])
        share = corpus_share[ids].sum() if ids else 0.0
        mass[theme.name] = theme_mass
        lift[theme.name] = theme_mass / share if share > 0 else np.zeros(topic_word.shape[0])
    return pd.concat({"mass": pd.DataFrame(mass), "lift": pd.DataFrame(lift)}, axis=1)


def topic_labels(
    topic_word: np.ndarray,
    vocab: Sequence[str],
    themes: Sequence[Any] = (),
    term_frequency: np.ndarray | None = None,
    *,
    theme_names: Sequence[str | None] | None = None,
    frex_weight: float = 0.5,
    n_words: int = 3,
    min_mass: float = 0.02,
    min_lift: float = 1.25,
) -> list[str]:
    """Suggested labels: a theme (when one stands out) and the topic's best FREX words.

    Parameters
    ----------
    topic_word : ndarray, shape (K, V)
    vocab : sequence of str
    themes : sequence of Theme
        Theme lexicon; a topic takes the theme whose terms it lifts most above
        their corpus share, if their mass in the topic is at least
        ``min_mass`` and the lift at least ``min_lift``.
    term_frequency : ndarray, optional
        Corpus count of every vocabulary word (for the lift); required with ``themes``.
    theme_names : sequence of (str or None), optional
        Fixed theme per topic (seeded topics); overrides the lexicon match.
    frex_weight, n_words :
        FREX weight and number of words in the label.

    Returns
    -------
    list of str
        E.g. ``参谋助手 · 信息/调研/决策``, or ``信息/调研/决策`` when no theme stands out.
    """
    scores = frex(topic_word, frex_weight)
    best = np.argsort(-scores, axis=1, kind="stable")[:, :n_words]
    words = ["/".join(vocab[i] for i in row) for row in best]
    themes_for_topics: list[str | None] = [None] * topic_word.shape[0]
    if theme_names is not None:
        themes_for_topics = list(theme_names)
    elif themes and term_frequency is not None:
        table = theme_lift(topic_word, vocab, themes, term_frequency)
        for topic in range(topic_word.shape[0]):
            lift = table["lift"].iloc[topic]
            mass = table["mass"].iloc[topic]
            eligible = lift[(mass >= min_mass) & (lift >= min_lift)]
            if len(eligible):
                themes_for_topics[topic] = str(eligible.idxmax())
    return [
        f"{theme}{THEME_LABEL_SEPARATOR}{w}" if theme else w
        for theme, w in zip(themes_for_topics, words, strict=True)
    ]


def term_frequency(dictionary: Dictionary, bow: Sequence[Bow]) -> np.ndarray:
    """Count of every vocabulary word in ``bow``."""
    counts = np.zeros(len(dictionary), dtype=float)
    for doc in bow:
        for word_id, count in doc:
            counts[word_id] += count
    return counts


def topic_words_table(
    topic_word: np.ndarray,
    vocab: Sequence[str],
    names: Sequence[str],
    labels: Sequence[str],
    top_n: int = 20,
    frex_weight: float = 0.5,
) -> pd.DataFrame:
    """The top words of every topic with their probability and FREX score.

    Returns
    -------
    DataFrame
        ``topic``, ``label``, ``rank`` (1 = most probable), ``word``, ``prob``, ``frex``.
    """
    topic_word = _normalise_rows(topic_word)
    scores = frex(topic_word, frex_weight)
    rows = []
    for index, row in enumerate(top_word_ids(topic_word, top_n)):
        for rank, word_id in enumerate(row, start=1):
            rows.append(
                {
                    "topic": names[index],
                    "label": labels[index],
                    "rank": rank,
                    "word": vocab[word_id],
                    "prob": float(topic_word[index, word_id]),
                    "frex": float(scores[index, word_id]),
                }
            )
    return pd.DataFrame(rows, columns=["topic", "label", "rank", "word", "prob", "frex"])


def topic_word_frame(
    topic_word: np.ndarray, vocab: Sequence[str], names: Sequence[str]
) -> pd.DataFrame:
    """Topic–word distributions as a DataFrame: index = topic names, columns = words."""
    return pd.DataFrame(_normalise_rows(topic_word), index=list(names), columns=list(vocab))


# --------------------------------------------------------------------------- prevalence tables


def doc_topic_table(
    model: LdaModel,
    units: pd.DataFrame,
    dictionary: Dictionary,
    names: Sequence[str],
    seed: int = 0,
) -> pd.DataFrame:
    """Topic proportions of every unit that has at least one vocabulary word.

    Parameters
    ----------
    model : LdaModel
    units : DataFrame
        Units of the analysis grain (:meth:`Corpus.at_grain`): ``doc_id``,
        ``unit_id``, ``section_path``, ``tokens``.
    dictionary : Dictionary
    names : sequence of str
        Topic column names.
    seed : int
        Seed of the inference (see :func:`infer_doc_topic`).

    Returns
    -------
    DataFrame
        ``unit_id``, ``doc_id``, ``section_path``, ``n_tokens`` (vocabulary
        tokens), one column per topic; rows sum to 1.
    """
    bow = bow_corpus(dictionary, units["tokens"])
    lengths = np.array([sum(count for _, count in doc) for doc in bow], dtype=int)
    keep = lengths > 0
    kept_bow = [doc for doc, ok in zip(bow, keep, strict=True) if ok]
    proportions = infer_doc_topic(model, kept_bow, seed)
    frame = units.loc[keep, ["unit_id", "doc_id", "section_path"]].reset_index(drop=True)
    frame["n_tokens"] = lengths[keep]
    topics = pd.DataFrame(proportions, columns=list(names))
    return pd.concat([frame, topics], axis=1)


def _weighted_mean(frame: pd.DataFrame, keys: list[str], names: Sequence[str]) -> pd.DataFrame:
    weighted = frame[list(names)].mul(frame["n_tokens"], axis=0)
    weighted[keys] = frame[keys]
    weighted["n_tokens"] = frame["n_tokens"]
    weighted["n_units"] = 1
    grouped = weighted.groupby(keys, sort=False)
    sums = grouped[list(names)].sum()
    totals = grouped["n_tokens"].sum()
    result = sums.div(totals.where(totals > 0, 1), axis=0).reset_index()
    result.insert(len(keys), "n_units", grouped["n_units"].sum().to_numpy())
    result.insert(len(keys) + 1, "n_tokens", totals.to_numpy())
    return result


def speech_topic(
    doc_topic: pd.DataFrame, names: Sequence[str], speeches: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Topic prevalence per speech: the token-weighted mean of its units' proportions.

    Parameters
    ----------
    doc_topic : DataFrame
        From :func:`doc_topic_table` (any grain).
    names : sequence of str
        Topic columns.
    speeches : DataFrame, optional
        ``Corpus.speeches_frame()``; adds the ``title``.

    Returns
    -------
    DataFrame
        ``doc_id``, (``title``), ``n_units``, ``n_tokens``, one column per topic; rows sum to 1.
    """
    result = _weighted_mean(doc_topic, ["doc_id"], names).sort_values("doc_id", kind="stable")
    if speeches is not None and "title" in speeches:
        titles = dict(zip(speeches["doc_id"], speeches["title"].fillna(""), strict=True))
        result.insert(1, "title", result["doc_id"].map(titles).fillna(""))
    return result.reset_index(drop=True)


def top_section(section_path: str) -> str:
    """The top-level section of a section path (``二/（一）`` → ``二``; ``''`` → ``引言``)."""
    return section_path.split("/")[0] if section_path else OPENING_SECTION


def section_headings(units: Iterable[Any]) -> dict[tuple[str, str], str]:
    """``(doc_id, top-level label) -> heading`` from paragraph units (``Corpus.units``)."""
    headings: dict[tuple[str, str], str] = {}
    for unit in units:
        if unit.role == "title" or not unit.section_path:
            continue
        label = unit.section_path.split("/")[0]
        heading = next(
            (
                text
                for level_label, text in (
                    (unit.h1_label, unit.h1_heading),
                    (unit.h2_label, unit.h2_heading),
                    (unit.h3_label, unit.h3_heading),
                )
                if level_label == label
            ),
            "",
        )
        headings.setdefault((unit.doc_id, label), heading)
    return headings


def section_topic(
    doc_topic: pd.DataFrame,
    names: Sequence[str],
    headings: dict[tuple[str, str], str] | None = None,
) -> pd.DataFrame:
    """Topic prevalence per top-level section of each speech (token-weighted).

    Parameters
    ----------
    doc_topic : DataFrame
        From :func:`doc_topic_table`.
    names : sequence of str
        Topic columns.
    headings : dict, optional
        From :func:`section_headings`; adds the ``heading`` column.

    Returns
    -------
    DataFrame
        ``doc_id``, ``section`` (``一``…, ``引言`` = opening remarks), (``heading``),
        ``n_units``, ``n_tokens``, one column per topic; in reading order.
    """
    frame = doc_topic.copy()
    frame["section"] = frame["section_path"].map(top_section)
    result = _weighted_mean(frame, ["doc_id", "section"], names)
    if headings is not None:
        result.insert(
            2,
            "heading",
            [
                headings.get((d, s), "")
                for d, s in zip(result["doc_id"], result["section"], strict=True)
            ],
        )
    return result.reset_index(drop=True)


# --------------------------------------------------------------------------- topic identity


@dataclass
class TopicMatch:
    """How the topics of a new fit relate to those of a previous one.

    Attributes
    ----------
    mapping : dict
        ``current topic -> previous topic`` (None = a new topic).
    vanished : list
        Previous topics no current topic matches.
    distance : dict
        ``current topic -> Jensen–Shannon distance`` to its previous topic (matched pairs only).
    """

    mapping: dict[Any, Any]
    vanished: list[Any]
    distance: dict[Any, float] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per current topic (``matched`` / ``new``) and per vanished previous topic."""
        rows = [
            {
                "topic": topic,
                "previous_topic": previous,
                "status": "new" if previous is None else "matched",
                "distance": self.distance.get(topic, float("nan")),
            }
            for topic, previous in self.mapping.items()
        ]
        rows += [
            {
                "topic": None,
                "previous_topic": previous,
                "status": "vanished",
                "distance": float("nan"),
            }
            for previous in self.vanished
        ]
        return pd.DataFrame(rows, columns=["topic", "previous_topic", "status", "distance"])


def _as_topic_word_frame(
    topics: pd.DataFrame | np.ndarray, vocab: Sequence[str] | None
) -> pd.DataFrame:
    if isinstance(topics, pd.DataFrame):
        if {"topic", "word", "prob"}.issubset(topics.columns):
            wide = topics.pivot_table(
                index="topic", columns="word", values="prob", aggfunc="sum", sort=False
            )
            return wide.fillna(0.0)
        return topics.astype(float)
    matrix = np.asarray(topics, dtype=float)
    if vocab is None:
        raise ValueError("give the vocabulary (one word per column) with a topic-word array")
    return pd.DataFrame(matrix, columns=list(vocab))


def match_topics(
    previous: pd.DataFrame | np.ndarray,
    current: pd.DataFrame | np.ndarray,
    previous_vocab: Sequence[str] | None = None,
    current_vocab: Sequence[str] | None = None,
    max_distance: float = 0.6,
) -> TopicMatch:
    """Match the topics of a new fit to those of a previous one.

    Both sets are put on the union of their vocabularies (missing words get
    probability 0, rows renormalised); the Jensen–Shannon distance (base 2,
    0 = same distribution, 1 = disjoint words) of every pair is computed and
    the Hungarian assignment minimising the total distance is taken. Pairs
    farther apart than ``max_distance`` are not matched: the current topic
    is new, the previous one vanished.

    Parameters
    ----------
    previous, current : DataFrame or ndarray
        Topic–word distributions: a wide DataFrame (index = topic ids,
        columns = words), a long table with ``topic``, ``word``, ``prob``
        columns (such as ``topic_words.csv``), or an array with its vocabulary.
    previous_vocab, current_vocab : sequence of str, optional
        Words of the columns when passing arrays (topic ids are then 0…K-1).
    max_distance : float
        Largest Jensen–Shannon distance accepted for a match.

    Returns
    -------
    TopicMatch
    """
    before = _as_topic_word_frame(previous, previous_vocab)
    after = _as_topic_word_frame(current, current_vocab)
    words = list(dict.fromkeys([*map(str, before.columns), *map(str, after.columns)]))
    before = before.set_axis([str(c) for c in before.columns], axis=1).reindex(
        columns=words, fill_value=0.0
    )
    after = after.set_axis([str(c) for c in after.columns], axis=1).reindex(
        columns=words, fill_value=0.0
    )
    before_matrix = _normalise_rows(before.to_numpy())
    after_matrix = _normalise_rows(after.to_numpy())
    distances = np.ones((len(after_matrix), len(before_matrix)))
    for i, row in enumerate(after_matrix):
        for j, other in enumerate(before_matrix):
            distances[i, j] = (
                float(jensenshannon(row, other, base=2)) if row.sum() and other.sum() else 1.0
            )
    distances = np.nan_to_num(distances, nan=1.0)
    mapping: dict[Any, Any] = {topic: None for topic in after.index}
    distance: dict[Any, float] = {}
    matched_previous = set()
    if distances.size:
        rows, cols = linear_sum_assignment(distances)
        for i, j in zip(rows, cols, strict=True):
            if distances[i, j] <= max_distance:
                mapping[after.index[i]] = before.index[j]
                distance[after.index[i]] = float(distances[i, j])
                matched_previous.add(j)
    vanished = [topic for j, topic in enumerate(before.index) if j not in matched_previous]
    return TopicMatch(mapping=mapping, vanished=vanished, distance=distance)


# --------------------------------------------------------------------------- pyLDAvis page

LDAVIS_ELEMENT_ID = "ldavis_topics"


def _ldavis_asset(name: str) -> str:
    return (resources.files("pyLDAvis") / "js" / name).read_text(encoding="utf-8")


def _inline_script(code: str) -> str:
    return code.replace("</script", "<\\/script")


def ldavis_html(
    topic_word: np.ndarray,
    doc_topic: np.ndarray,
    doc_lengths: Sequence[int],
    vocab: Sequence[str],
    term_frequency: Sequence[float],
    labels: Sequence[str] = (),
    title: str = "主题模型（pyLDAvis）",
    relevant_terms: int = 30,
) -> bytes:
    """A self-contained pyLDAvis page: d3, LDAvis JS and CSS inlined from the pyLDAvis package.

    The page loads nothing from the network (pyLDAvis's own HTML links them
    from a CDN). Topics keep their numbering (``T1`` is topic 1 in the page).

    Parameters
    ----------
    topic_word : ndarray, shape (K, V)
    doc_topic : ndarray, shape (n_units, K)
        Rows sum to 1.
    doc_lengths : sequence of int
        Tokens of each unit.
    vocab : sequence of str
    term_frequency : sequence of float
        Corpus count of each word.
    labels : sequence of str
        One label per topic, listed above the chart.
    title : str
        Page title.
    relevant_terms : int
        Words shown per topic.

    Returns
    -------
    bytes
        UTF-8 HTML.
    """
    import pyLDAvis
    from pyLDAvis import urls

    keep = np.asarray(term_frequency, dtype=float) > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = pyLDAvis.prepare(
            topic_term_dists=_normalise_rows(np.asarray(topic_word)[:, keep]),
            doc_topic_dists=_normalise_rows(doc_topic),
            doc_lengths=list(doc_lengths),
            vocab=[word for word, ok in zip(vocab, keep, strict=True) if ok],
            term_frequency=np.asarray(term_frequency, dtype=float)[keep],
            R=min(relevant_terms, int(keep.sum())),
            sort_topics=False,
            n_jobs=1,
            start_index=1,
        )
        data = prepared.to_json()
    import os

    d3 = _ldavis_asset(os.path.basename(urls.D3_LOCAL))
    ldavis = _ldavis_asset(os.path.basename(urls.LDAVIS_LOCAL))
    css = _ldavis_asset(os.path.basename(urls.LDAVIS_CSS_LOCAL))
    data_script = _inline_script(data.replace("</", "<\\/"))
    legend = "".join(
        f"<li>主题 {i + 1}：{html.escape(label)}</li>" for i, label in enumerate(labels)
    )
    from .report import FONT_FACE_CSS, REPORT_FONT_FAMILY

    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
{css}
{FONT_FACE_CSS}
body, text {{ font-family: "{REPORT_FONT_FAMILY}", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }}
body {{ margin: 1em; }}
</style>
<script>
{_inline_script(d3)}
</script>
<script>
{_inline_script(ldavis)}
</script>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p>左图：每个圆是一个主题，面积为其在语料中的比重，距离近的主题用词相近。右图：所选主题最相关的词；
调节 λ（1 = 按主题内概率排序，接近 0 = 按该主题的专属程度排序）。</p>
<ol>{legend}</ol>
<div id="{LDAVIS_ELEMENT_ID}" style="background-color:white;"></div>
<script>
var ldavisData = {data_script};
new LDAvis("#{LDAVIS_ELEMENT_ID}", ldavisData);
</script>
</body>
</html>
"""
    return page.encode("utf-8")


def ldavis_page(
    ensemble: TopicEnsemble,
    bow: Sequence[Bow],
    labels: Sequence[str] = (),
    title: str = "主题模型（pyLDAvis）",
) -> bytes:
    """The offline pyLDAvis page of an ensemble model on its training units (see :func:`ldavis_html`)."""
    bow = list(bow)
    return ldavis_html(
        ensemble.topic_word,
        infer_doc_topic(ensemble.model, bow),
        [sum(count for _, count in doc) for doc in bow],
        ensemble.vocab,
        term_frequency(ensemble.dictionary, bow),
        labels=[
            _name_and_label(name, label)
            for name, label in zip(ensemble.names, labels, strict=False)
        ],
        title=title,
    )


def _name_and_label(name: str, label: str) -> str:
    return label if label.split(" ")[0] == name else f"{name} {label}"


# --------------------------------------------------------------------------- the whole analysis


@dataclass
class TopicResults:
    """Everything the topics stage computes (tables, models, messages)."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    lda: TopicEnsemble | None = None
    seeded: TopicEnsemble | None = None
    lda_labels: list[str] = field(default_factory=list)
    seeded_labels: list[str] = field(default_factory=list)
    doc_topic: pd.DataFrame | None = None
    training_bow: list[Bow] | None = None
    #: Reported names of the plain LDA topics and, for each, the fit name behind it (set by rename_topics).
    reported_names: list[str] = field(default_factory=list)
    reported_order: list[str] = field(default_factory=list)


def analyse_topics(corpus: Any, settings: TopicSettings) -> TopicResults:
    """Run the whole topic analysis on a corpus.

    Parameters
    ----------
    corpus : Corpus
        Loaded speeches (``corpus.at_grain``, ``corpus.themes``, ``corpus.units``).
    settings : TopicSettings

    Returns
    -------
    TopicResults
        Tables ``topic_k_sweep``, ``topic_k_summary``, ``topic_k_choice``,
        ``topic_stability``, ``topic_words``, ``doc_topic``, ``speech_topic``,
        ``section_topic``, ``theme_topic_words``, ``theme_topic_stability``,
        ``theme_topic_by_speech``, ``theme_topic_by_section``; the models;
        the pyLDAvis page; and messages for what was skipped.
    """
    results = TopicResults()
    units = corpus.at_grain(settings.grain)
    training = topic_units(units, settings.min_unit_tokens)
    token_lists = list(training["tokens"])
    if len(token_lists) < 2:
        results.messages.append(
            f"topics skipped: only {len(token_lists)} {settings.grain} unit(s) with tokens"
        )
        return results
    dictionary = build_dictionary(token_lists, settings.no_below, settings.no_above)
    if len(dictionary) < 2:
        results.messages.append(
            f"topics skipped: only {len(dictionary)} word(s) occur in at least "
            f"{settings.no_below} of the {len(token_lists)} units"
        )
        return results
    bow = bow_corpus(dictionary, token_lists)
    n_units = sum(1 for doc in bow if doc)
    k_values = [k for k in settings.k_values if 2 <= k <= min(n_units, len(dictionary))]
    dropped = [k for k in settings.k_values if k not in k_values]
    if dropped:
        results.messages.append(
            f"K={', '.join(map(str, dropped))} not fitted: {n_units} units and "
            f"{len(dictionary)} words allow K between 2 and {min(n_units, len(dictionary))}"
        )
    if not k_values or not settings.seeds:
        results.messages.append("topic models skipped: no K (or no seed) left to fit")
        return results
    sweep = sweep_k(
        token_lists,
        k_values,
        settings.seeds,
        dictionary=dictionary,
        top_n=settings.top_n,
        holdout_fraction=settings.holdout_fraction,
        split_seed=settings.split_seed,
        **settings.fit_options,
    )
    results.tables["topic_k_sweep"] = sweep
    results.tables["topic_k_summary"] = k_summary(sweep)
    choice = choose_k(sweep)
    results.tables["topic_k_choice"] = choice
    k = int(choice["k"].iloc[0])
    if sweep["perplexity"].isna().all():
        results.messages.append("held-out perplexity not computed: too few units to hold some out")

    vocab = vocabulary(dictionary)
    frequency = term_frequency(dictionary, bow)
    ensemble = fit_ensemble(
        bow, dictionary, k, settings.seeds, settings.ensemble_runs, **settings.fit_options
    )
    labels = topic_labels(
        ensemble.topic_word,
        vocab,
        corpus.themes,
        frequency,
        frex_weight=settings.frex_weight,
        n_words=settings.label_words,
    )
    results.lda, results.lda_labels = ensemble, labels
    results.tables["topic_stability"] = topic_stability(
        ensemble, labels, settings.top_n, settings.stability_threshold
    )
    results.tables["topic_words"] = topic_words_table(
        ensemble.topic_word, vocab, ensemble.names, labels, settings.top_n, settings.frex_weight
    )
    doc_topic = doc_topic_table(ensemble.model, units, dictionary, ensemble.names)
    results.doc_topic = doc_topic
    results.tables["doc_topic"] = doc_topic
    speeches = corpus.speeches_frame()
    headings = section_headings(corpus.units)
    results.tables["speech_topic"] = speech_topic(doc_topic, ensemble.names, speeches)
    results.tables["section_topic"] = section_topic(doc_topic, ensemble.names, headings)
    skipped_units = len(units) - len(doc_topic)
    if skipped_units:
        results.messages.append(
            f"doc_topic leaves out {skipped_units} unit(s) with no word of the topic vocabulary"
        )
    results.training_bow = bow

    if corpus.themes:
        seeded_dictionary = build_dictionary(
            token_lists, settings.no_below, settings.no_above, keep=seed_terms(corpus.themes)
        )
        seeded_bow = bow_corpus(seeded_dictionary, token_lists)
        seeded = fit_seeded(
            seeded_bow,
            seeded_dictionary,
            corpus.themes,
            settings.seeds,
            free_topics=settings.free_topics,
            seed_weight=settings.seed_weight,
            runs=settings.seeded_runs,
            **settings.fit_options,
        )
        if seeded is None:
            results.messages.append("seeded topics skipped: no theme term occurs in the units")
        else:
            missing = [theme.name for theme in corpus.themes if theme.name not in seeded.names]
            if missing:
                results.messages.append(
                    f"themes without a topic (none of their terms occurs): {', '.join(missing)}"
                )
            seeded_vocab = vocabulary(seeded_dictionary)
            seeded_labels = topic_labels(
                seeded.topic_word,
                seeded_vocab,
                theme_names=seeded.theme_of,
                frex_weight=settings.frex_weight,
                n_words=settings.label_words,
            )
            results.seeded, results.seeded_labels = seeded, seeded_labels
            results.tables["theme_topic_words"] = topic_words_table(
                seeded.topic_word,
                seeded_vocab,
                seeded.names,
                seeded_labels,
                settings.top_n,
                settings.frex_weight,
            )
            results.tables["theme_topic_stability"] = topic_stability(
                seeded, seeded_labels, settings.top_n, settings.stability_threshold
            )
            theme_doc_topic = doc_topic_table(seeded.model, units, seeded_dictionary, seeded.names)
            results.tables["theme_topic_by_speech"] = speech_topic(
                theme_doc_topic, seeded.names, speeches
            )
            results.tables["theme_topic_by_section"] = section_topic(
                theme_doc_topic, seeded.names, headings
            )
    else:
        results.messages.append("seeded topics skipped: themes.toml has no themes")
    return results


# --------------------------------------------------------------------------- stages and topic identity


def fit_stage(corpus: Any, params: dict[str, Any], upstream: dict[str, Any]):
    """The ``topic_models`` stage: every fit of the topic analysis (no tables or figures).

    Its output's ``data["results"]`` is the :class:`TopicResults` that the
    ``topics`` stage names, tabulates and draws. Keeping the fits in a stage
    of their own means that renumbering topics to match the previous run
    never refits a model.
    """
    from .pipeline import StageOutput

    results = analyse_topics(corpus, TopicSettings.from_params(params))
    return StageOutput(data={"results": results})


def _topic_number(name: str) -> int | None:
    match = re.fullmatch(r"T(\d+)", str(name))
    return int(match.group(1)) if match else None


def topic_identity(upstream: dict[str, Any], paths: Any) -> dict[str, Any]:
    """Match this run's topics to the previous run's (the ``topics`` stage's prepare hook).

    The previous run's ``topic_words.csv`` (top words with probabilities)
    is matched to the same table of the new fit with :func:`match_topics`.
    Matched topics keep their previous number and label; new topics get the
    next free numbers; previous topics left unmatched are reported as vanished.

    Returns
    -------
    dict
        ``key``: ``{"names": {fit name: reported name}, "labels": {reported
        name: kept label}}`` (only labels that differ from the fresh ones),
        which joins the stage's cache key; ``tables``: ``{"topic_identity":
        rows}`` (topic, label, previous_topic, status, distance).
    """
    models = upstream.get("topic_models")
    results = models.data.get("results") if models is not None else None
    if results is None or results.lda is None:
        return {"key": {}, "tables": {}}
    ensemble = results.lda
    fresh_labels = dict(zip(ensemble.names, results.lda_labels, strict=True))
    previous_path = paths.processed / "topic_words.csv"
    previous = pd.read_csv(previous_path) if previous_path.exists() else None
    if previous is None or not {"topic", "word", "prob"} <= set(previous.columns) or previous.empty:
        rows = [
            {
                "topic": name,
                "label": fresh_labels[name],
                "previous_topic": "",
                "status": "new",
                "distance": None,
            }
            for name in ensemble.names
        ]
        return {
            "key": {"names": {name: name for name in ensemble.names}, "labels": {}},
            "tables": {"topic_identity": rows},
        }
    # Both sides as the same top-word table, so they are truncated alike.
    match = match_topics(previous, results.tables["topic_words"])
    previous_labels = (
        previous.groupby("topic", sort=False)["label"].first().astype(str).to_dict()
        if "label" in previous
        else {}
    )
    next_number = (
        max((n for n in map(_topic_number, previous["topic"].unique()) if n), default=0) + 1
    )
    names: dict[str, str] = {}
    kept_labels: dict[str, str] = {}
    rows = []
    for name in ensemble.names:
        previous_name = match.mapping.get(name)
        if previous_name is None:
            new_name = f"T{next_number}"
            next_number += 1
            names[name] = new_name
            rows.append(
                {
                    "topic": new_name,
                    "label": fresh_labels[name],
                    "previous_topic": "",
                    "status": "new",
                    "distance": None,
                }
            )
            continue
        previous_name = str(previous_name)
        names[name] = previous_name
        label = previous_labels.get(previous_name, fresh_labels[name])
        if label != fresh_labels[name]:
            kept_labels[previous_name] = label
        rows.append(
            {
                "topic": previous_name,
                "label": label,
                "previous_topic": previous_name,
                "status": "matched",
                "distance": float(match.distance.get(name, float("nan"))),
            }
        )
    for previous_name in match.vanished:
        rows.append(
            {
                "topic": str(previous_name),
                "label": previous_labels.get(str(previous_name), ""),
                "previous_topic": str(previous_name),
                "status": "vanished",
                "distance": None,
            }
        )
    return {"key": {"names": names, "labels": kept_labels}, "tables": {"topic_identity": rows}}


def _reported_order(names: dict[str, str]) -> list[str]:
    """Fit names ordered by the number of the name they are reported under."""
    return sorted(
        names, key=lambda fit_name: (_topic_number(names[fit_name]) or 0, names[fit_name])
    )


def rename_topics(
    results: TopicResults, names: dict[str, str], labels: dict[str, str]
) -> TopicResults:
    """Results with the plain LDA topics renamed (and reordered) as the identity match says.

    Parameters
    ----------
    results : TopicResults
    names : dict
        Fit name (``T1``…) → reported name.
    labels : dict
        Reported name → label to show instead of the fresh one.
    """
    if results.lda is None or not names:
        return results
    order = _reported_order(names)
    new_names = [names[name] for name in order]
    fresh = dict(zip(results.lda.names, results.lda_labels, strict=True))
    label_of = {names[name]: labels.get(names[name], fresh[name]) for name in order}
    tables = dict(results.tables)
    for table_name in ("topic_stability", "topic_words"):
        if table_name in tables:
            table = tables[table_name].copy()
            table["topic"] = table["topic"].map(names)
            if "label" in table:
                table["label"] = table["topic"].map(label_of)
            table["_order"] = table["topic"].map({name: i for i, name in enumerate(new_names)})
            tables[table_name] = (
                table.sort_values("_order", kind="stable")
                .drop(columns="_order")
                .reset_index(drop=True)
            )
    for table_name in ("doc_topic", "speech_topic", "section_topic"):
        if table_name in tables:
            table = tables[table_name].rename(columns=names)
            other = [c for c in table.columns if c not in new_names]
            tables[table_name] = table[other + new_names]
    renamed = TopicResults(**{**results.__dict__})
    renamed.tables = tables
    renamed.lda_labels = [label_of[name] for name in new_names]
    if results.doc_topic is not None:
        renamed.doc_topic = tables["doc_topic"]
    renamed.reported_names = new_names
    renamed.reported_order = order
    return renamed


def run_stage(
    corpus: Any,
    params: dict[str, Any],
    upstream: dict[str, Any],
    prepared: dict[str, Any] | None = None,
):
    """The ``topics`` stage: tables, figures and the pyLDAvis page of the topic analysis.

    Takes the fits from the ``topic_models`` stage when given (else fits
    them here) and names the plain LDA topics as ``prepared["names"]`` says
    (see :func:`topic_identity`), so topic numbers and labels stay stable
    across reruns.

    Tables: see :func:`analyse_topics`. Figures: ``topic_coherence``,
    ``topic_stability``, ``topic_prevalence``, ``topic_section_heatmap``,
    ``topic_words``, ``theme_topic_prevalence``; ``topics_ldavis.html``.
    Data for later stages: ``doc_topic`` (indexed by ``unit_id``, one column
    per topic), ``topic_word`` (topics × words) and ``topic_labels``.
    """
    from .pipeline import StageOutput
    from .plots.topics import (
        plot_theme_topic_prevalence,
        plot_topic_coherence,
        plot_topic_prevalence,
        plot_topic_section_heatmap,
        plot_topic_stability,
        plot_topic_words,
    )

    settings = TopicSettings.from_params(params)
    models = upstream.get("topic_models")
    if models is not None and "results" in models.data:
        results = models.data["results"]
    else:
        results = analyse_topics(corpus, settings)
    if results.lda is not None:
        names = (prepared or {}).get("names") or {name: name for name in results.lda.names}
        results = rename_topics(results, names, (prepared or {}).get("labels", {}))
    output = StageOutput(tables=dict(results.tables), messages=list(results.messages))
    if "topic_k_sweep" in results.tables:
        output.add_figure(
            "topic_coherence",
            plot_topic_coherence(
                results.tables["topic_k_sweep"],
                results.tables["topic_k_choice"],
                results.tables["topic_k_summary"],
            ),
        )
    if results.lda is not None and results.doc_topic is not None:
        ensemble = results.lda
        names = results.reported_names
        permutation = [ensemble.names.index(name) for name in results.reported_order]
        topic_word = ensemble.topic_word[permutation]
        output.data["doc_topic"] = results.doc_topic.set_index("unit_id")[names]
        output.data["topic_word"] = topic_word_frame(topic_word, ensemble.vocab, names)
        output.data["topic_labels"] = dict(zip(names, results.lda_labels, strict=True))
        output.add_figure(
            "topic_stability",
            plot_topic_stability(
                results.tables["topic_stability"],
                results.tables.get("theme_topic_stability"),
                settings.stability_threshold,
            ),
        )
        output.add_figure(
            "topic_prevalence",
            plot_topic_prevalence(
                results.tables["speech_topic"], results.tables["topic_stability"]
            ),
        )
        output.add_figure(
            "topic_section_heatmap",
            plot_topic_section_heatmap(
                results.tables["section_topic"], results.tables["topic_stability"]
            ),
        )
        output.add_figure(
            "topic_words",
            plot_topic_words(results.tables["topic_words"], results.tables["topic_stability"]),
        )
        if results.training_bow is not None:
            bow = list(results.training_bow)
            output.files["topics_ldavis.html"] = ldavis_html(
                topic_word,
                infer_doc_topic(ensemble.model, bow)[:, permutation],
                [sum(count for _, count in doc) for doc in bow],
                ensemble.vocab,
                term_frequency(ensemble.dictionary, bow),
                labels=[
                    _name_and_label(name, label)
                    for name, label in zip(names, results.lda_labels, strict=True)
                ],
            )
    if "theme_topic_by_speech" in results.tables:
        output.add_figure(
            "theme_topic_prevalence",
            plot_theme_topic_prevalence(results.tables["theme_topic_by_speech"]),
        )
    return output


__all__ = [
    "COHERENCE_MEASURES",
    "TopicEnsemble",
    "TopicMatch",
    "TopicResults",
    "TopicSettings",
    "analyse_topics",
    "best_match_jaccard",
    "bow_corpus",
    "build_dictionary",
    "choose_k",
    "CoherenceCounts",
    "coherence_scores",
    "count_co_occurrences",
    "consensus",
    "doc_topic_table",
    "fit_ensemble",
    "fit_stage",
    "rename_topics",
    "topic_identity",
    "fit_lda",
    "fit_seeded",
    "frex",
    "guided_sstats",
    "holdout_split",
    "infer_doc_topic",
    "jaccard",
    "jaccard_matrix",
    "K_VOTE_MEASURES",
    "k_summary",
    "ldavis_html",
    "ldavis_page",
    "match_topics",
    "mean_best_match_jaccard",
    "run_stage",
    "section_headings",
    "score_topics",
    "section_topic",
    "seed_terms",
    "speech_topic",
    "sweep_k",
    "theme_eta",
    "topic_labels",
    "topic_stability",
    "topic_units",
    "topic_word_frame",
    "top_words",
    "topic_words_table",
    "term_frequency",
    "top_word_ids",
    "vocabulary",
]
