"""One LDA fit (gensim, seeded, single-threaded), held-out perplexity and the training units.

Units shorter than ``min_unit_tokens`` (heading lines such as
``三、经受住三个考验``) are merged into the next unit of the same speech and
top-level section (:func:`topic_units`), so that a heading is read with its body.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from gensim.corpora import Dictionary
from gensim.models import LdaModel

from ...progress import track
from ...text.segment import top_section
from ..vectors import Bow


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


def holdout_split(
    n_units: int, fraction: float, random_state: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of training and held-out units, drawn with ``random_state``.

    Returns
    -------
    (train, heldout) : tuple of ndarray
        Sorted indices; ``heldout`` is empty when ``fraction`` is 0 or there
        are fewer than 5 units.
    """
    n_heldout = int(round(n_units * fraction)) if fraction > 0 and n_units >= 5 else 0
    order = np.random.default_rng(random_state).permutation(n_units)
    return np.sort(order[n_heldout:]), np.sort(order[:n_heldout])


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
    random_state: int,
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
    random_state : int
        Seed of the fit.
    passes, iterations : int
        Passes over the units; E-step iterations per unit.
    alpha : str or float
        Document–topic prior.
    eta : ndarray, float or None
        Topic–word prior (``K × V`` for seeded topics); None = gensim's ``1/K``.
    init_sstats : ndarray, optional
        Starting topic–word counts (``K × V``, see :func:`guided_sstats`);
        gensim's random start (Gamma(100, 1/100) per cell, drawn with
        ``random_state``) is added to them. None = gensim's random start alone.

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
        random_state=random_state,
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


#: What a progress report calls the tasks of each parallel step (by task function).
_TASK_NAMES = {"_sweep_fits": "topics: K sweep", "_ensemble_fit": "topics: ensemble fits"}


def _parallel(tasks: list[tuple], function, n_jobs: int) -> list:
    """Run ``function(*task)`` for every task, in order, on ``n_jobs`` processes (progress reported)."""
    desc = _TASK_NAMES.get(function.__name__, f"topics: {function.__name__.strip('_')}")
    if n_jobs == 1 or len(tasks) <= 1:
        return [function(*task) for task in track(tasks, len(tasks), desc, "task")]
    from joblib import Parallel, delayed

    runner = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator")
    results = runner(delayed(function)(*task) for task in tasks)
    return list(track(results, len(tasks), desc, "task"))
