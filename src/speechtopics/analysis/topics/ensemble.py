"""Ensemble topics and their stability across seeds.

On about a hundred paragraphs one LDA fit is one of many equally good local
optima: another seed reproduces the top-20 words of its topics at a mean
Jaccard of only ~0.3. The topics reported are therefore ensemble topics:
for each seed, ``runs`` fits are aligned to each other (Hungarian matching
on cosine similarity of their topic–word distributions) and averaged; the
seeds' ensembles are then aligned and averaged into the reported model. A
topic's stability is the mean Jaccard of its top-20 words between the
independent ensembles of every pair of seeds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from gensim.corpora import Dictionary
from gensim.models import LdaModel

from ..vectors import Bow, vocabulary
from .align import _normalise_rows, align_to, consensus, jaccard, top_words
from .engines import DEFAULT_FIT, FitOptions, fit_lda_once
from .fit import parallel_map


def _ensemble_fit(
    bow: list[Bow],
    dictionary: Dictionary,
    k: int,
    random_state: int,
    options: FitOptions,
    eta: np.ndarray | None,
    init_sstats: np.ndarray | None,
    prior: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Worker of :func:`fit_ensemble`: one fit's ``lambda`` (topic–word pseudo-counts) and ``alpha``."""
    fit = fit_lda_once(
        bow, dictionary, k, random_state, options, eta=eta, init_sstats=init_sstats, prior=prior
    )
    return fit.lambda_, fit.alpha_


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
    random_state: int,
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
        random_state=random_state,
        dtype=np.float64,
    )
    model.state.sstats[...] = np.asarray(topic_lambda, dtype=float) - model.eta
    model.sync_state()
    return model


def _seed_consensus(
    lambdas: list[np.ndarray], alphas: list[np.ndarray], n_seeds: int, fixed: int
) -> tuple[list[np.ndarray], list[np.ndarray], list[list[np.ndarray]]]:
    """Per seed (consecutive blocks of fits), the aligned average of its fits' topics and priors.

    Returns
    -------
    (seed_lambdas, seed_alphas, run_orders)
        Averaged pseudo-counts and ``alpha`` per seed, and each fit's topic order.
    """
    runs = len(lambdas) // max(1, n_seeds)
    seed_lambdas, seed_alphas, run_orders = [], [], []
    for index in range(n_seeds):
        block = slice(index * runs, (index + 1) * runs)
        average, orders = consensus(lambdas[block], fixed=fixed)
        seed_lambdas.append(average)
        seed_alphas.append(
            np.mean([a[o] for a, o in zip(alphas[block], orders, strict=True)], axis=0)
        )
        run_orders.append(orders)
    return seed_lambdas, seed_alphas, run_orders


def _prevalence_order(model: LdaModel, bow: Sequence[Bow], fixed: int) -> np.ndarray:
    """Topic order: the first ``fixed`` topics in place, the others by their share of the tokens."""
    permutation = np.arange(model.num_topics)
    shares = corpus_topic_share(model, bow)
    free = np.arange(fixed, model.num_topics)
    permutation[fixed:] = free[np.argsort(-shares[fixed:], kind="stable")]
    return permutation


def fit_ensemble(
    bow: Sequence[Bow],
    dictionary: Dictionary,
    num_topics: int,
    seeds: Sequence[int],
    runs: int = 20,
    *,
    options: FitOptions = DEFAULT_FIT,
    eta: np.ndarray | None = None,
    init_sstats: np.ndarray | None = None,
    prior: np.ndarray | None = None,
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
    options : FitOptions
        Engine, iterations and prior of every fit.
    eta, init_sstats :
        Topic–word prior matrix and starting counts (seeded topics; gensim).
    prior : ndarray, optional
        K × V pseudo-counts added to every fit's topic–word prior (warm start).
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
            options,
            eta,
            init_sstats,
            prior,
        )
        for seed in seeds
        for run in range(runs)
    ]
    fitted = parallel_map(
        tasks, _ensemble_fit, n_jobs, "ensemble fits" if fixed == 0 else "seeded fits"
    )
    lambdas = [topic_lambda for topic_lambda, _ in fitted]
    alphas = [run_alpha for _, run_alpha in fitted]
    seed_lambdas, seed_alphas, run_orders = _seed_consensus(lambdas, alphas, len(seeds), fixed)
    final, seed_orders = consensus(seed_lambdas, fixed=fixed)
    final_alpha = np.mean([a[o] for a, o in zip(seed_alphas, seed_orders, strict=True)], axis=0)
    model = model_from_lambda(
        dictionary, final, final_alpha, eta, seeds[0] if seeds else 0, options.vb_iterations
    )
    permutation = np.arange(num_topics)
    if order_by_prevalence and num_topics - fixed > 1:
        permutation = _prevalence_order(model, bow, fixed)
        if not np.array_equal(permutation, np.arange(num_topics)):
            eta_sorted = eta[permutation] if isinstance(eta, np.ndarray) and eta.ndim == 2 else eta
            model = model_from_lambda(
                dictionary,
                final[permutation],
                final_alpha[permutation],
                eta_sorted,
                seeds[0] if seeds else 0,
                options.vb_iterations,
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


def infer_doc_topic(model: LdaModel, bow: Sequence[Bow], random_state: int = 0) -> np.ndarray:
    """Topic proportions of each unit (rows sum to 1), inferred with a fixed random state.

    Parameters
    ----------
    model : LdaModel
    bow : sequence of bag-of-words
        Units of any grain.
    random_state : int
        Seed of the variational initialisation (reset before every call, so
        the same units always get the same proportions).

    Returns
    -------
    ndarray, shape (n_units, K)
    """
    if not bow:
        return np.zeros((0, model.num_topics))
    from threadpoolctl import threadpool_limits

    model.random_state = np.random.RandomState(random_state)
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


class EnsembleLda:
    """Ensemble LDA at one K with its stability across seeds (scikit-learn style).

    Parameters
    ----------
    n_topics : int
        K.
    random_states : sequence of int
        One ensemble per random state (see :func:`fit_ensemble`).
    runs, options, n_jobs :
        See :func:`fit_ensemble`.
    top_n, stability_threshold :
        Top words compared across seeds and the mean Jaccard a stable topic reaches.

    Attributes
    ----------
    ensemble_ : TopicEnsemble
        The fitted ensemble (averaged gensim model, per-seed and per-fit topics).
    topic_word_ : ndarray, shape (K, V)
        Topic–word distributions.
    names_ : list of str
        Topic names ``T1``… in order of prevalence.
    vocab_ : list of str
        The vocabulary in word-id order.
    stability_ : DataFrame
        Per topic: mean and minimum top-word Jaccard across seeds, single-fit
        Jaccard, ``stable`` (:func:`topic_stability`; ``label`` = the name).
    """

    def __init__(
        self,
        n_topics: int,
        random_states: Sequence[int],
        *,
        runs: int,
        options: FitOptions,
        top_n: int,
        stability_threshold: float,
        n_jobs: int,
    ) -> None:
        self.n_topics = n_topics
        self.random_states = random_states
        self.runs = runs
        self.options = options
        self.top_n = top_n
        self.stability_threshold = stability_threshold
        self.n_jobs = n_jobs

    def fit(
        self, bow: Sequence[Bow], dictionary: Dictionary, prior: np.ndarray | None = None
    ) -> EnsembleLda:
        """Fit the ensembles on the training units (``prior``: K × V warm-start pseudo-counts)."""
        self.ensemble_ = fit_ensemble(
            bow,
            dictionary,
            self.n_topics,
            self.random_states,
            self.runs,
            options=self.options,
            prior=prior,
            n_jobs=self.n_jobs,
        )
        set_fitted_attributes(self)
        return self

    def transform(self, bow: Sequence[Bow]) -> np.ndarray:
        """Topic proportions of units (rows sum to 1), inferred with a fixed random state."""
        return infer_doc_topic(self.ensemble_.model, bow)


def set_fitted_attributes(estimator: Any) -> None:
    """Learned attributes of a fitted ensemble estimator, from its ``ensemble_``."""
    ensemble = estimator.ensemble_
    estimator.topic_word_ = ensemble.topic_word
    estimator.names_ = list(ensemble.names)
    estimator.vocab_ = ensemble.vocab
    estimator.stability_ = topic_stability(
        ensemble, ensemble.names, estimator.top_n, estimator.stability_threshold
    )
