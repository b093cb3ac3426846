"""Choosing K: a sweep of seeded fits scored by coherence, held-out perplexity and agreement.

Each coherence measure and the agreement of top words across seeds vote
for the K within one standard error of their best; the K with most votes
is reported, with the numbers behind it (:func:`choose_k`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from gensim.corpora import Dictionary

from ..vectors import Bow, bow_corpus, build_dictionary, vocabulary
from .align import mean_best_match_jaccard, top_words
from .coherence import COHERENCE_MEASURES, coherence_scores
from .engines import DEFAULT_FIT, FitOptions, fit_lda_once
from .fit import holdout_split, parallel_map


def _sweep_fits(
    train: list[Bow],
    heldout: list[Bow],
    dictionary: Dictionary,
    grid: list[tuple[int, int]],
    options: FitOptions,
    top_n: int,
) -> list[tuple[int, int, list[list[str]], float]]:
    """Worker of :func:`sweep_k`: fit every (K, seed) of ``grid``.

    Returns, per fit, ``(k, seed, top words of each topic, held-out perplexity)``.
    """
    vocab = vocabulary(dictionary)
    results = []
    for k, seed in grid:
        fit = fit_lda_once(train, dictionary, k, seed, options, heldout=heldout)
        results.append((k, seed, top_words(fit.lambda_, vocab, top_n), fit.heldout_perplexity_))
    return results


def sweep_k(
    token_lists: Sequence[Sequence[str]],
    k_values: Sequence[int],
    seeds: Sequence[int],
    *,
    dictionary: Dictionary | None = None,
    options: FitOptions = DEFAULT_FIT,
    top_n: int = 20,
    holdout_fraction: float = 0.2,
    split_seed: int = 0,
    no_below: int = 2,
    no_above: float = 0.5,
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
    options : FitOptions
        Engine, iterations and prior of every fit.
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
            options,
            top_n,
        )
        for start in range(n_chunks)
    ]
    fitted = sorted(
        (
            result
            for chunk in parallel_map(
                tasks, _sweep_fits, n_jobs, "K sweep fits", [len(task[3]) for task in tasks]
            )
            for result in chunk
        ),
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


def coarse_grid(k_values: Sequence[int], points: int) -> list[int]:
    """About ``points`` K spread evenly over ``k_values`` (ends included); all of them if ``points`` ≤ 0."""
    k_values = sorted(k_values)
    if points <= 0 or len(k_values) <= points:
        return list(k_values)
    positions = np.linspace(0, len(k_values) - 1, points).round().astype(int)
    return sorted({k_values[i] for i in positions})


def refinement(
    k_values: Sequence[int], fitted: Sequence[int], best: int, most: int = 4
) -> list[int]:
    """The K not yet fitted between ``best``'s fitted neighbours, nearest ``best`` first (at most ``most``)."""
    below = [k for k in fitted if k < best]
    above = [k for k in fitted if k > best]
    lower = max(below) if below else min(k_values) - 1
    upper = min(above) if above else max(k_values) + 1
    candidates = [k for k in k_values if lower < k < upper and k not in fitted]
    return sorted(sorted(candidates, key=lambda k: (abs(k - best), k))[:most])


#: Rounds of refinement after the coarse grid (each fits the K around the current best).
MAX_REFINEMENTS = 3


def search_k(
    k_values: Sequence[int],
    grid_points: int,
    sweep: Callable[[list[int], int], pd.DataFrame],
) -> pd.DataFrame:
    """The coarse-to-fine search of K, whatever fits the models.

    ``sweep(ks, search_round)`` fits and scores every K of ``ks`` (one row per
    K and seed, as :func:`sweep_k`, plus ``round``); first about
    ``grid_points`` K spread over ``k_values``, then, while the best K (by
    :func:`choose_k`) has unfitted K between it and its fitted neighbours,
    those (at most :data:`MAX_REFINEMENTS` rounds).

    Returns
    -------
    DataFrame
        Every round's rows, sorted by K and seed.
    """
    fitted = coarse_grid(k_values, grid_points)
    scores = sweep(fitted, 1)
    for search_round in range(2, 2 + MAX_REFINEMENTS):
        finer = refinement(k_values, fitted, int(choose_k(scores)["k"].iloc[0]))
        if not finer:
            break
        scores = pd.concat([scores, sweep(finer, search_round)])
        fitted = sorted({*fitted, *finer})
    return scores.sort_values(["k", "seed"], kind="stable").reset_index(drop=True)


class KSweep:
    """Choose the number of topics K: a coarse-to-fine seeded sweep, scored and voted on.

    First about ``grid_points`` K spread over ``k_values`` are fitted; then,
    while the best K (by the vote of :func:`choose_k` over every fit so far)
    has unfitted K between it and its fitted neighbours, those are fitted
    (at most :data:`MAX_REFINEMENTS` rounds). Each fit uses ``options`` (a cheaper share of the reported
    models' iterations is usual).

    Parameters
    ----------
    k_values : sequence of int
        Numbers of topics allowed.
    random_states : sequence of int
        One fit per (K, random state).
    grid_points : int
        K of the first round (0 = every K in one round).
    top_n, holdout_fraction, split_random_state, options, n_jobs :
        See :func:`sweep_k`.

    Attributes
    ----------
    scores_ : DataFrame
        One row per (K, seed): coherence, perplexity, stability (:func:`sweep_k`)
        and ``round`` (1 = the coarse grid, 2… = refinements).
    summary_ : DataFrame
        Per K: means, standard deviations, ranks and votes (:func:`k_summary`).
    choice_ : DataFrame
        The K reported and why (:func:`choose_k`).
    k_ : int
        The chosen K.
    """

    def __init__(
        self,
        k_values: Sequence[int],
        random_states: Sequence[int],
        *,
        grid_points: int,
        top_n: int,
        holdout_fraction: float,
        split_random_state: int,
        options: FitOptions,
        n_jobs: int,
    ) -> None:
        self.k_values = k_values
        self.random_states = random_states
        self.grid_points = grid_points
        self.top_n = top_n
        self.holdout_fraction = holdout_fraction
        self.split_random_state = split_random_state
        self.options = options
        self.n_jobs = n_jobs

    def _sweep(self, token_lists, dictionary, k_values: list[int], search_round: int):
        scores = sweep_k(
            token_lists,
            k_values,
            self.random_states,
            dictionary=dictionary,
            options=self.options,
            top_n=self.top_n,
            holdout_fraction=self.holdout_fraction,
            split_seed=self.split_random_state,
            n_jobs=self.n_jobs,
        )
        scores["round"] = search_round
        return scores

    def fit(self, token_lists: Sequence[Sequence[str]], dictionary: Dictionary) -> KSweep:
        """Fit and score the coarse grid, then the K around its best."""
        scores = search_k(
            self.k_values,
            self.grid_points,
            lambda ks, search_round: self._sweep(token_lists, dictionary, ks, search_round),
        )
        self.scores_ = scores
        self.summary_ = k_summary(self.scores_)
        self.choice_ = choose_k(self.scores_)
        self.k_ = int(self.choice_["k"].iloc[0])
        return self
