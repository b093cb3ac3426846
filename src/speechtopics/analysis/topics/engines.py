"""Topic-model engines: one seeded LDA fit, as topic–word pseudo-counts and a prior.

Two engines fit the same model:

* ``tomotopy`` (default) — collapsed Gibbs sampling in C++. On the bench
  corpora it needs 3–8× less CPU per fit than gensim's variational Bayes and
  gives higher NPMI coherence and more reproducible topics (measured in
  ``make bench``). One worker per fit, so a fit depends on its seed alone
  and the fits of an ensemble run in parallel across processes.
* ``gensim`` — batch variational Bayes (``LdaModel`` with the whole corpus in
  one chunk and a step size of 1, so each pass is a full M-step). It keeps
  a topic–word prior per word and a start from given counts, which the
  seeded theme topics need.

Both stop early: tomotopy when the log-likelihood per word gains less than
``tolerance`` over ``check_every`` iterations, gensim when the topics move
less than ``tolerance`` (mean absolute change of the topic–word
distributions) in a pass. Every fit returns the same thing —
:class:`LdaFit`: ``lambda_`` (K × V Dirichlet parameters of the topics, the
prior included) and ``alpha_`` — so alignment, averaging and inference
(a gensim model built from ``lambda_``) do not depend on the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from gensim.corpora import Dictionary
from gensim.models import LdaModel

from ...config import TopicSettings
from ..vectors import Bow

ENGINES = ("tomotopy", "gensim")
#: gensim's step-size decay for the seeded topics (its own default).
SEEDED_DECAY = 0.5


@dataclass(frozen=True)
class FitOptions:
    """How to fit one LDA model (the settings every fit of an analysis shares).

    Attributes
    ----------
    engine : {"tomotopy", "gensim"}
    iterations : int
        tomotopy: most Gibbs iterations over the units.
    passes : int
        gensim: most passes (full M-steps) over the units.
    vb_iterations : int
        gensim: most E-step iterations per unit and pass.
    alpha : str or float
        Document–topic prior: ``symmetric`` (1/K), ``asymmetric`` (learned) or a number.
    tolerance : float
        Early stop (see the module docstring).
    check_every : int
        tomotopy: iterations between two convergence checks.
    decay : float
        gensim: each pass moves the topics by a step ``(1 + pass)^-decay``
        towards the pass's estimate; 0 = full steps (batch variational
        Bayes). Seeded topics use gensim's 0.5, so the start guided by the
        seed words keeps its weight for several passes.
    """

    engine: str = TopicSettings.engine
    iterations: int = TopicSettings.gibbs_iterations
    passes: int = TopicSettings.passes
    vb_iterations: int = TopicSettings.iterations
    alpha: str | float = TopicSettings.alpha
    tolerance: float = TopicSettings.tolerance
    check_every: int = 50
    decay: float = 0.0

    @classmethod
    def from_settings(cls, settings: TopicSettings) -> FitOptions:
        """The options of the sweep and the reported models from the ``[topics]`` settings."""
        return cls(
            engine=settings.engine,
            iterations=settings.gibbs_iterations,
            passes=settings.passes,
            vb_iterations=settings.iterations,
            alpha=settings.alpha,
            tolerance=settings.tolerance,
        )

    @classmethod
    def seeded(cls, settings: TopicSettings) -> FitOptions:
        """The options of the seeded theme topics: gensim, with the guided start kept (decay 0.5)."""
        return replace(cls.from_settings(settings), engine="gensim", decay=SEEDED_DECAY)

    def scaled(self, share: float) -> FitOptions:
        """The same options with ``share`` of the iterations and passes (a cheaper search)."""
        return replace(
            self,
            iterations=max(self.check_every, int(round(self.iterations * share))),
            passes=max(2, int(round(self.passes * share))),
        )


@dataclass
class LdaFit:
    """One fitted LDA model, engine-independent.

    Attributes
    ----------
    lambda_ : ndarray, shape (K, V)
        Dirichlet parameters of the topics (expected counts plus the prior).
    alpha_ : ndarray, shape (K,)
        Document–topic prior.
    heldout_perplexity_ : float
        Perplexity of the held-out units (NaN when none were given).
    iterations_ : int
        Iterations (tomotopy) or passes (gensim) actually run.
    """

    lambda_: np.ndarray
    alpha_: np.ndarray
    heldout_perplexity_: float = float("nan")
    iterations_: int = 0


def _symmetric_alpha(alpha: str | float, k: int) -> float | None:
    """A fixed symmetric prior, or None when the engine should learn it."""
    if alpha == "asymmetric":
        return None
    if alpha == "symmetric":
        return 1.0 / k
    return float(alpha)


def _words(bow: Bow, vocab: Sequence[str]) -> list[str]:
    return [vocab[word_id] for word_id, count in bow for _ in range(int(count))]


def _fit_tomotopy(
    train: Sequence[Bow],
    heldout: Sequence[Bow],
    dictionary: Dictionary,
    k: int,
    random_state: int,
    options: FitOptions,
    eta: float,
    prior: np.ndarray | None = None,
) -> LdaFit:
    """A tomotopy Gibbs fit on the training units (one worker; deterministic for a seed).

    ``prior`` (K × V pseudo-counts) is added to the topic–word prior of each
    word as tomotopy's per-word priors: the fit starts out pulled towards
    those topics (a warm start from a previous run).
    """
    import tomotopy as tp

    vocab = [dictionary[i] for i in range(len(dictionary))]
    fixed_alpha = _symmetric_alpha(options.alpha, k)
    model = tp.LDAModel(
        k=k,
        alpha=fixed_alpha if fixed_alpha is not None else 0.1,
        eta=eta,
        seed=int(random_state),
    )
    model.optim_interval = 0 if fixed_alpha is not None else 10
    for bow in train:
        words = _words(bow, vocab)
        if words:
            model.add_doc(words)
    if prior is not None:
        for word_id in np.flatnonzero(prior.sum(axis=0) > 0):
            model.set_word_prior(vocab[word_id], (eta + prior[:, word_id]).tolist())
    done, previous = 0, None
    while done < options.iterations:
        step = min(options.check_every, options.iterations - done)
        model.train(step, workers=1)
        done += step
        current = model.ll_per_word
        if previous is not None and current - previous < options.tolerance:
            break
        previous = current
    index = np.array([dictionary.token2id[word] for word in model.used_vocabs])
    lambda_ = np.full((k, len(vocab)), float(eta))
    word_prior = np.full((k, len(index)), float(eta))
    if prior is not None:
        word_prior += prior[:, index]
    counts = np.array([model.get_count_by_topics()], dtype=float).reshape(k, 1)
    distribution = np.array([model.get_topic_word_dist(topic) for topic in range(k)])
    lambda_[:, index] = distribution * (counts + word_prior.sum(axis=1, keepdims=True))
    perplexity = _tomotopy_perplexity(model, heldout, vocab) if heldout else float("nan")
    return LdaFit(lambda_, np.asarray(model.alpha, dtype=float), perplexity, done)


def _tomotopy_perplexity(model, heldout: Sequence[Bow], vocab: Sequence[str]) -> float:
    """``exp(-log-likelihood per word)`` of the held-out units under the fitted topics."""
    documents = [model.make_doc(_words(bow, vocab)) for bow in heldout]
    documents = [doc for doc in documents if len(doc.words)]
    if not documents:
        return float("nan")
    _, log_likelihood = model.infer(documents, iterations=100, workers=1, together=False)
    words = sum(len(doc.words) for doc in documents)
    return float(np.exp(-float(np.sum(log_likelihood)) / words))


def gensim_model(
    dictionary: Dictionary,
    k: int,
    random_state: int,
    options: FitOptions,
    eta: np.ndarray | float | None,
    n_units: int,
) -> LdaModel:
    """An unfitted gensim model, the whole corpus in one chunk (step size: see ``decay``)."""
    alpha = options.alpha
    if isinstance(alpha, str) and alpha not in ("symmetric", "asymmetric"):
        alpha = float(alpha)
    return LdaModel(
        corpus=None,
        id2word=dictionary,
        num_topics=k,
        iterations=options.vb_iterations,
        chunksize=max(1, n_units),
        alpha=alpha,
        eta=eta,
        decay=options.decay,
        eval_every=None,
        random_state=int(random_state),
        dtype=np.float64,
    )


def _fit_gensim(
    train: Sequence[Bow],
    heldout: Sequence[Bow],
    dictionary: Dictionary,
    k: int,
    random_state: int,
    options: FitOptions,
    eta: np.ndarray | float | None,
    init_sstats: np.ndarray | None,
) -> LdaFit:
    """A gensim batch-VB fit, stopped when the topics stop moving."""
    from threadpoolctl import threadpool_limits

    train = list(train)
    model = gensim_model(dictionary, k, random_state, options, eta, len(train))
    if init_sstats is not None:
        start = model.random_state.gamma(100.0, 1.0 / 100.0, model.state.sstats.shape)
        model.state.sstats[...] = np.asarray(init_sstats, dtype=float) + start
        model.sync_state()
    done = 0
    with threadpool_limits(1):
        previous = model.get_topics()
        while train and done < options.passes:
            # One pass per call, as pass ``done`` of a single ``update(passes=...)`` call
            # would run it: the same step size and the counts scaled to the corpus once.
            model.offset = 1.0 if done == 0 else 2.0
            model.state.numdocs = 0
            model.update(train, passes=1, chunksize=max(1, len(train)), eval_every=None)
            done += 1
            current = model.get_topics()
            if np.abs(current - previous).sum(axis=1).mean() < options.tolerance:
                break
            previous = current
        perplexity = float("nan")
        words = sum(count for bow in heldout for _, count in bow)
        if heldout and words:
            bound = model.log_perplexity(list(heldout), total_docs=len(train) + len(heldout))
            perplexity = float(np.exp(-bound))
    return LdaFit(
        model.state.get_lambda().copy(),
        np.asarray(model.alpha, dtype=float).copy(),
        perplexity,
        done,
    )


def fit_lda_once(
    train: Sequence[Bow],
    dictionary: Dictionary,
    k: int,
    random_state: int,
    options: FitOptions,
    *,
    heldout: Sequence[Bow] = (),
    eta: np.ndarray | float | None = None,
    init_sstats: np.ndarray | None = None,
    prior: np.ndarray | None = None,
) -> LdaFit:
    """One seeded LDA fit with the chosen engine.

    Parameters
    ----------
    train : sequence of bag-of-words
        Training units.
    dictionary : Dictionary
        Vocabulary (word ids of ``train``).
    k : int
        Number of topics.
    random_state : int
        Seed of the fit.
    options : FitOptions
    heldout : sequence of bag-of-words
        Units scored for perplexity (not trained on).
    eta : ndarray, float or None
        Topic–word prior: a number (both engines; None = 1/K) or a K × V
        matrix and ``init_sstats`` starting counts (gensim only: seeded topics).
    prior : ndarray, optional
        K × V pseudo-counts added to the topic–word prior (a warm start from
        previous topics; both engines).

    Returns
    -------
    LdaFit
    """
    if options.engine not in ENGINES:
        raise ValueError(f"unknown topic engine {options.engine!r}; choose one of {ENGINES}")
    matrix_prior = isinstance(eta, np.ndarray) and eta.ndim == 2
    if options.engine == "gensim" or matrix_prior or init_sstats is not None:
        if prior is not None:
            base = eta if matrix_prior else np.full(prior.shape, 1.0 / k if eta is None else eta)
            eta = base + prior
        return _fit_gensim(train, heldout, dictionary, k, random_state, options, eta, init_sstats)
    scalar_eta = 1.0 / k if eta is None else float(eta)
    return _fit_tomotopy(train, heldout, dictionary, k, random_state, options, scalar_eta, prior)


#: The default options (``[topics]`` defaults), and the same on gensim (seeded topics need it).
DEFAULT_FIT = FitOptions()
GENSIM_FIT = FitOptions(engine="gensim", decay=SEEDED_DECAY)
