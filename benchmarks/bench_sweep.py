"""One topic-sweep measurement in this (fresh) process: the project's ``sweep_k`` or the naive loop.

Both score the same fits on the same units (bench/xi-jhsjk-paragraphs, the
project's tokenizer, one gensim ``Dictionary`` filtered like the topics
stage, the same held-out split):

* ``sweep`` — :func:`speechtopics.topics.sweep_k` (fits on ``--n-jobs``
  processes, the co-occurrence counts of every coherence measure gathered
  once for all fits);
* ``naive`` — what one writes from gensim's documentation: for each K and
  seed, ``LdaModel(...)`` then ``log_perplexity`` on the held-out units and
  one ``CoherenceModel(model=lda, texts=..., coherence=m)`` per measure,
  one after the other.

Tokenizing and the dictionary are done before the clock starts (they are
the same for both). Prints one JSON line with the seconds and the mean
coherence of every fit, so the parent can check both computed the same numbers.

Run::

    .venv/bin/python benchmarks/bench_sweep.py --method naive --passes 5
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
from _common import emit, read_texts

from speechtopics.config import default_paths, load_settings
from speechtopics.corpus.load import build_tokenizer
from speechtopics.text.lexicon import load_themes

DATASET = "xi-jhsjk-paragraphs"


def _prepare(sample: int, no_below: int, no_above: float):
    from speechtopics.analysis.vectors import build_dictionary

    params = load_settings()
    paths = default_paths(params)
    tokenizer = build_tokenizer(paths, params, load_themes(paths.themes))
    texts = read_texts(DATASET)
    if sample:
        texts = texts[:sample]
    token_lists = [tokens for tokens in tokenizer.tokenize_many(texts) if tokens]
    dictionary = build_dictionary(token_lists, no_below=no_below, no_above=no_above)
    return token_lists, dictionary


def naive_sweep(
    token_lists,
    dictionary,
    k_values,
    seeds,
    passes,
    iterations,
    top_n,
    holdout_fraction,
    split_seed,
    measures,
) -> list[dict]:
    """Sequential fits, each followed by its own perplexity and one ``CoherenceModel`` per measure."""
    from gensim.models import CoherenceModel, LdaModel

    from speechtopics.analysis.topics.fit import holdout_split
    from speechtopics.analysis.vectors import bow_corpus

    bow = bow_corpus(dictionary, token_lists)
    train_index, heldout_index = holdout_split(len(bow), holdout_fraction, split_seed)
    train = [bow[i] for i in train_index]
    heldout = [bow[i] for i in heldout_index]
    rows = []
    for k in k_values:
        for seed in seeds:
            model = LdaModel(
                corpus=train,
                id2word=dictionary,
                num_topics=k,
                passes=passes,
                iterations=iterations,
                chunksize=len(train),
                decay=0.0,
                alpha="symmetric",
                eval_every=None,
                random_state=seed,
                dtype=np.float64,
            )
            row = {
                "k": k,
                "seed": seed,
                "perplexity": float(np.exp(-model.log_perplexity(heldout, total_docs=len(bow)))),
            }
            for measure in measures:
                coherence = CoherenceModel(
                    model=model,
                    texts=token_lists,
                    dictionary=dictionary,
                    coherence=measure,
                    topn=top_n,
                )
                with np.errstate(divide="ignore", invalid="ignore"):
                    row[measure] = float(np.nanmean(coherence.get_coherence_per_topic()))
            rows.append(row)
    return rows


def measure(method: str, k_values, seeds, passes, iterations, top_n, n_jobs, sample) -> dict:
    """Seconds of one sweep by ``method`` and the scores it produced."""
    from speechtopics.analysis.topics.coherence import COHERENCE_MEASURES
    from speechtopics.analysis.topics.engines import FitOptions
    from speechtopics.analysis.topics.select import sweep_k

    logging.getLogger("gensim").setLevel(logging.WARNING)
    holdout_fraction, split_seed, no_below, no_above = 0.2, 20240601, 2, 0.5
    token_lists, dictionary = _prepare(sample, no_below, no_above)
    started = time.perf_counter()
    if method == "sweep":
        table = sweep_k(
            token_lists,
            k_values,
            seeds,
            dictionary=dictionary,
            options=FitOptions(
                engine="gensim", passes=passes, vb_iterations=iterations, tolerance=0.0
            ),
            top_n=top_n,
            holdout_fraction=holdout_fraction,
            split_seed=split_seed,
            measures=COHERENCE_MEASURES,
            n_jobs=n_jobs,
        )
        rows = table[["k", "seed", "perplexity", *COHERENCE_MEASURES]].to_dict("records")
    elif method == "naive":
        rows = naive_sweep(
            token_lists,
            dictionary,
            k_values,
            seeds,
            passes,
            iterations,
            top_n,
            holdout_fraction,
            split_seed,
            COHERENCE_MEASURES,
        )
    else:
        raise ValueError(f"unknown method {method!r}")
    seconds = time.perf_counter() - started
    return {
        "method": method,
        "units": len(token_lists),
        "vocabulary": len(dictionary),
        "fits": len(rows),
        "passes": passes,
        "iterations": iterations,
        "seconds": seconds,
        "rows": [
            {
                key: (int(value) if key in ("k", "seed") else float(value))
                for key, value in row.items()
            }
            for row in rows
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", choices=("sweep", "naive"), required=True)
    parser.add_argument("--k", type=int, nargs="+", default=[5, 10, 15, 20, 25, 30])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--top-n", type=int, default=20)
    parser.add_argument("--n-jobs", type=int, default=2, help="sweep only: worker processes")
    parser.add_argument("--sample", type=int, default=0, help="first N paragraphs only (0 = all)")
    args = parser.parse_args(argv)
    emit(
        measure(
            args.method,
            args.k,
            args.seeds,
            args.passes,
            args.iterations,
            args.top_n,
            args.n_jobs,
            args.sample,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
