"""Topic-engine study: speed, convergence, coherence and stability of gensim and tomotopy fits.

The units are the ones the topic stage trains on: the corpus loaded with the
project's pipeline, its paragraph grain, :func:`speechtopics.topics.topic_units`
(short units merged, ``min_unit_tokens``) and
:func:`speechtopics.topics.build_dictionary` (``no_below``, ``no_above``), as
``analyse_topics`` does. ``prepare`` stores them once per corpus in the work
folder; every other command reads them and appends one JSON record per
measurement to ``<work>/results.jsonl`` (and prints it).

Quality figures use the project's own code: ``c_npmi`` of the top-20 words
(:func:`speechtopics.topics.coherence_scores`, reference = all training
units, as ``sweep_k``) and stability = mean best-match top-20 Jaccard across
seeds (:func:`speechtopics.topics.mean_best_match_jaccard`).

Commands (run one at a time, under ``nice``)::

    python benchmarks/engine_study.py prepare --corpus benchmarks/corpora/bench-long
    python benchmarks/engine_study.py gensim-plain --name bench-long --seeds 1 2 3
    python benchmarks/engine_study.py gensim-project --name bench-long --seeds 1 2 3
    python benchmarks/engine_study.py gensim-converge --name bench-long --passes 30 --mode batch
    python benchmarks/engine_study.py tomotopy --name bench-long --seeds 1 2 3 --iters 1000
    python benchmarks/engine_study.py tomotopy-determinism --name bench-long
    python benchmarks/engine_study.py tomotopy-seeded --name bench-long
    python benchmarks/engine_study.py ensemble --name bench-long --runs 3 --seeds 1 2 3
    python benchmarks/engine_study.py coherence-time --name bench-long
"""

from __future__ import annotations

import argparse
import json
import logging
import pickle
import statistics
import sys
import time
from pathlib import Path

import numpy as np

WORK = Path("/tmp/bench-engine")
#: Timings of single-threaded work are CPU seconds of this process: the machine is shared,
#: and the wall time of a fit then depends on what else runs (its ``wall_seconds`` is kept too).
cpu_clock = time.process_time
TOP_N = 20


# --------------------------------------------------------------------------- units


def prepare(corpus_dir: Path, doc_fraction: float, seed: int, name: str) -> dict:
    """Load a speech folder with the project's pipeline and store its topic units."""
    from speechtopics.config import default_paths, load_params
    from speechtopics.pipeline import load
    from speechtopics.topics import TopicSettings, topic_units

    params = load_params()
    settings = TopicSettings.from_params(params)
    paths = default_paths(params).with_overrides(raw=corpus_dir, out=WORK / f"out-{name}")
    started = time.perf_counter()
    corpus = load(paths, params)
    load_seconds = time.perf_counter() - started
    units = corpus.at_grain(settings.grain)
    doc_ids = sorted(units["doc_id"].unique())
    if doc_fraction < 1:
        rng = np.random.default_rng(seed)
        keep = set(rng.choice(doc_ids, size=round(len(doc_ids) * doc_fraction), replace=False))
        units = units[units["doc_id"].isin(keep)].reset_index(drop=True)
    training = topic_units(units, settings.min_unit_tokens)
    data = {
        "token_lists": [list(tokens) for tokens in training["tokens"]],
        "themes": corpus.themes,
        "n_docs": int(units["doc_id"].nunique()),
        "n_paragraphs": len(units),
        "chars": int(units["text"].str.len().sum()),
    }
    with open(WORK / f"{name}.pkl", "wb") as handle:
        pickle.dump(data, handle)
    return {
        "n_docs": data["n_docs"],
        "n_paragraphs": data["n_paragraphs"],
        "n_units": len(data["token_lists"]),
        "chars": data["chars"],
        "tokens": sum(map(len, data["token_lists"])),
        "load_seconds": round(load_seconds, 1),
    }


def read_units(name: str):
    """Token lists, dictionary, bags of words and themes of a prepared corpus."""
    from speechtopics.topics import bow_corpus, build_dictionary

    with open(WORK / f"{name}.pkl", "rb") as handle:
        data = pickle.load(handle)
    dictionary = build_dictionary(data["token_lists"], no_below=2, no_above=0.5)
    bow = bow_corpus(dictionary, data["token_lists"])
    return data["token_lists"], dictionary, bow, data["themes"]


def quality(topic_sets: list[list[list[str]]], token_lists) -> dict:
    """Mean c_npmi per fit (median and range over fits) and the stability across fits."""
    from speechtopics.topics import coherence_scores, mean_best_match_jaccard

    scores = coherence_scores(topic_sets, token_lists, ["c_npmi"])
    per_fit = [float(np.nanmean(score["c_npmi"])) for score in scores]
    return {
        "c_npmi_median": round(statistics.median(per_fit), 4),
        "c_npmi_min": round(min(per_fit), 4),
        "c_npmi_max": round(max(per_fit), 4),
        "stability": round(mean_best_match_jaccard(topic_sets), 4) if len(topic_sets) > 1 else None,
    }


def top_words_of(topic_word: np.ndarray, vocab: list[str]) -> list[list[str]]:
    from speechtopics.topics import top_words

    return top_words(topic_word, vocab, TOP_N)


# --------------------------------------------------------------------------- gensim


def gensim_plain(name: str, k: int, seeds: list[int], passes: int) -> dict:
    """gensim ``LdaModel`` with its defaults (online, chunksize 2000, 50 iterations)."""
    from gensim.models import LdaModel
    from threadpoolctl import threadpool_limits

    from speechtopics.topics import vocabulary

    token_lists, dictionary, bow, _ = read_units(name)
    seconds, topic_sets = [], []
    for seed in seeds:
        started = cpu_clock()
        with threadpool_limits(1):
            model = LdaModel(
                bow, id2word=dictionary, num_topics=k, passes=passes, random_state=seed
            )
        seconds.append(cpu_clock() - started)
        topic_sets.append(top_words_of(model.get_topics(), vocabulary(dictionary)))
    return {"seconds": [round(s, 2) for s in seconds], **quality(topic_sets, token_lists)}


def gensim_project(
    name: str, k: int, seeds: list[int], passes: int, iterations: int, eta: float | None
) -> dict:
    """The project's :func:`fit_lda` (one batch chunk, ``passes``, ``iterations``; ``eta`` None = 1/K)."""
    from speechtopics.topics import fit_lda, vocabulary

    token_lists, dictionary, bow, _ = read_units(name)
    seconds, topic_sets = [], []
    for seed in seeds:
        started = cpu_clock()
        model = fit_lda(bow, dictionary, k, seed, passes=passes, iterations=iterations, eta=eta)
        seconds.append(cpu_clock() - started)
        topic_sets.append(top_words_of(model.get_topics(), vocabulary(dictionary)))
    return {"seconds": [round(s, 2) for s in seconds], **quality(topic_sets, token_lists)}


def gensim_converge(name: str, k: int, seed: int, passes: int, mode: str, iterations: int) -> dict:
    """Per pass: held-out perplexity (20 % split), top words, c_npmi and Jaccard to the last pass.

    ``mode``: ``batch`` = the project's fit_lda settings (one chunk, gensim's
    decaying step ``(1 + 2 pass)^-0.5``); ``batch-rho1`` = one chunk with
    ``decay`` ≈ 0 (plain batch variational Bayes, every M-step replaces the
    topics); ``online`` = gensim's default chunksize 2000.
    """
    from gensim.models import LdaModel
    from gensim.models.callbacks import Metric
    from threadpoolctl import threadpool_limits

    from speechtopics.topics import holdout_split, jaccard, perplexity, vocabulary

    token_lists, dictionary, bow, _ = read_units(name)
    train_index, heldout_index = holdout_split(len(bow), 0.2, 20240601)
    train = [bow[i] for i in train_index]
    heldout = [bow[i] for i in heldout_index]
    vocab = vocabulary(dictionary)
    records: list[dict] = []
    clock = {"last": cpu_clock(), "fit": 0.0}

    class PassRecorder(Metric):
        logger, viz_env, title = None, None, "pass"

        def get_value(self, **kwargs):
            clock["fit"] += cpu_clock() - clock["last"]
            model = kwargs["model"]
            records.append(
                {
                    "pass": len(records) + 1,
                    "fit_seconds": round(clock["fit"], 2),
                    "perplexity": round(perplexity(model, heldout, len(bow)), 2),
                    "topics": top_words_of(model.get_topics(), vocab),
                }
            )
            clock["last"] = cpu_clock()
            return 0.0

    options = {"chunksize": 2000} if mode == "online" else {"chunksize": len(train)}
    if mode == "batch-rho1":
        options["decay"] = 1e-9
    with threadpool_limits(1):
        LdaModel(
            train,
            id2word=dictionary,
            num_topics=k,
            passes=passes,
            iterations=iterations,
            random_state=seed,
            eval_every=None,
            dtype=np.float64,
            callbacks=[PassRecorder()],
            **options,
        )
    from speechtopics.topics import coherence_scores

    scores = coherence_scores([r["topics"] for r in records], token_lists, ["c_npmi"])
    final = records[-1]["topics"]
    for record, score in zip(records, scores, strict=True):
        record["c_npmi"] = round(float(np.nanmean(score["c_npmi"])), 4)
        matched = [max(jaccard(t, f) for f in final) for t in record.pop("topics")]
        record["jaccard_to_last"] = round(float(np.mean(matched)), 3)
    return {"mode": mode, "per_pass": records}


def ensemble(
    name: str, k: int, seeds: list[int], runs: int, passes: int, iterations: int, n_jobs: int
) -> dict:
    """The project's :func:`fit_ensemble`: stability across the seeds' ensembles, c_npmi of each."""
    from speechtopics.topics import fit_ensemble, mean_best_match_jaccard

    token_lists, dictionary, bow, _ = read_units(name)
    started = cpu_clock()
    result = fit_ensemble(
        bow,
        dictionary,
        k,
        seeds,
        runs,
        passes=passes,
        iterations=iterations,
        n_jobs=n_jobs,
    )
    seconds = cpu_clock() - started
    vocab = result.vocab
    topic_sets = [top_words_of(matrix, vocab) for matrix in result.seed_topic_word]
    single = [top_words_of(m, vocab) for m in result.run_topic_word[::runs]]
    return {
        "seconds": round(seconds, 1),
        **quality(topic_sets, token_lists),
        "single_fit_stability": round(mean_best_match_jaccard(single), 4),
    }


# --------------------------------------------------------------------------- tomotopy


def tomotopy_model(token_lists, vocab: set[str], k: int, seed: int, **options):
    """A tomotopy ``LDAModel`` holding the units restricted to the project's vocabulary."""
    import tomotopy as tp

    model = tp.LDAModel(k=k, seed=seed, **options)
    for tokens in token_lists:
        words = [token for token in tokens if token in vocab]
        if words:
            model.add_doc(words)
    return model


def tomotopy_topic_word(model) -> np.ndarray:
    return np.array([model.get_topic_word_dist(t) for t in range(model.k)])


def tomotopy_train(
    name: str,
    k: int,
    seeds: list[int],
    iters: int,
    every: int,
    workers: int,
    alpha: float | None,
    eta: float | None = None,
) -> dict:
    """tomotopy fits: time, ll_per_word every ``every`` iterations, quality at each checkpoint.

    Each curve point is ``(iterations, cpu seconds, wall seconds, ll_per_word)``.
    """
    token_lists, dictionary, _, _ = read_units(name)
    vocab = set(dictionary.token2id)
    options = {} if alpha is None else {"alpha": alpha}
    if eta is not None:
        options["eta"] = eta
    curves, checkpoints = [], {}
    for seed in seeds:
        model = tomotopy_model(token_lists, vocab, k, seed, **options)
        curve, elapsed, cpu = [], 0.0, 0.0
        for done in range(every, iters + 1, every):
            started, cpu_started = time.perf_counter(), cpu_clock()
            model.train(every, workers=workers)
            elapsed += time.perf_counter() - started
            cpu += cpu_clock() - cpu_started
            curve.append((done, round(cpu, 2), round(elapsed, 2), round(model.ll_per_word, 4)))
            if done in (100, 200, 500, 1000, 2000) or done == iters:
                words = list(model.used_vocabs)
                topics = top_words_of(tomotopy_topic_word(model), words)
                checkpoints.setdefault(done, []).append(topics)
        curves.append(curve)
    per_checkpoint = {
        str(done): quality(topic_sets, token_lists) for done, topic_sets in checkpoints.items()
    }
    return {
        "workers": workers,
        "alpha": alpha,
        "eta": eta,
        "curves": curves,
        "quality": per_checkpoint,
    }


def tomotopy_determinism(name: str, k: int, seed: int, iters: int) -> dict:
    """Largest topic–word difference between repeated runs and across workers / parallel schemes."""
    import tomotopy as tp

    token_lists, dictionary, _, _ = read_units(name)
    vocab = set(dictionary.token2id)
    schemes = {"default": tp.ParallelScheme.DEFAULT, "partition": tp.ParallelScheme.PARTITION}
    schemes["copy_merge"] = tp.ParallelScheme.COPY_MERGE
    variants = {f"w1_{run}": (1, schemes["default"]) for run in "ab"}
    for label, scheme in schemes.items():
        variants.update({f"w2_{label}_{run}": (2, scheme) for run in "ab"})
    matrices, seconds, words = {}, {}, {}
    for label, (workers, scheme) in variants.items():
        model = tomotopy_model(token_lists, vocab, k, seed)
        started = time.perf_counter()
        model.train(iters, workers=workers, parallel=scheme)
        seconds[label] = round(time.perf_counter() - started, 2)
        matrices[label] = tomotopy_topic_word(model)
        words[label] = top_words_of(matrices[label], list(model.used_vocabs))
    from speechtopics.topics import mean_best_match_jaccard

    pairs = [("w1_a", "w1_b")] + [(f"w2_{label}_a", f"w2_{label}_b") for label in schemes]
    pairs += [("w1_a", f"w2_{label}_a") for label in schemes]
    return {
        "seconds": seconds,
        "max_abs_diff": {
            f"{a} vs {b}": float(np.abs(matrices[a] - matrices[b]).max()) for a, b in pairs
        },
        "top20_jaccard": {
            f"{a} vs {b}": round(mean_best_match_jaccard([words[a], words[b]]), 3) for a, b in pairs
        },
    }


def tomotopy_seeded(
    name: str, seeds: list[int], iters: int, free: int, weight: float, other: float
) -> dict:
    """Seeded topics with ``set_word_prior``: one topic per theme plus free topics.

    Each theme term present in the vocabulary gets prior ``weight`` in its
    theme's topic and ``other`` elsewhere (tomotopy's default eta is 0.01).
    Reports how many seed terms reach their topic's top 20, c_npmi and
    stability of the theme topics (fixed order, so compared index by index).
    """

    token_lists, dictionary, _, themes = read_units(name)
    vocab = set(dictionary.token2id)
    kept = [theme for theme in themes if any(term in vocab for term in theme.terms)]
    k = len(kept) + free
    theme_topics, seconds = [], []
    for seed in seeds:
        model = tomotopy_model(token_lists, vocab, k, seed)
        for index, theme in enumerate(kept):
            for term in theme.terms:
                if term in vocab:
                    prior = [other] * k
                    prior[index] = weight
                    model.set_word_prior(term, prior)
        started = cpu_clock()
        model.train(iters, workers=1)
        seconds.append(round(cpu_clock() - started, 2))
        theme_topics.append(top_words_of(tomotopy_topic_word(model), list(model.used_vocabs)))
    return {
        "k": k,
        "seconds": seconds,
        **seeded_summary(kept, theme_topics, token_lists),
        "example": {theme.name: theme_topics[0][i][:8] for i, theme in enumerate(kept)},
    }


def seeded_summary(kept, theme_topics, token_lists) -> dict:
    """Seed terms in each theme topic's top 20, same-index Jaccard across seeds, c_npmi, stability."""
    from speechtopics.topics import jaccard

    hits = [
        sum(term in topics[i] for term in theme.terms)
        for topics in theme_topics
        for i, theme in enumerate(kept)
    ]
    same_topic = [
        float(np.mean([jaccard(a[i], b[i]) for i in range(len(kept))]))
        for n, a in enumerate(theme_topics)
        for b in theme_topics[n + 1 :]
    ]
    return {
        "themes": len(kept),
        "seed_terms_in_top20_per_theme_topic": round(float(np.mean(hits)), 2),
        "theme_topic_jaccard_same_index": round(float(np.mean(same_topic)), 3),
        **quality(theme_topics, token_lists),
    }


def gensim_seeded(name: str, seeds: list[int], passes: int, free: int, weight: float) -> dict:
    """The project's :func:`fit_seeded` (one fit per seed), scored like :func:`tomotopy_seeded`."""
    from speechtopics.topics import bow_corpus, build_dictionary, fit_seeded, seed_terms

    token_lists, _, _, themes = read_units(name)
    dictionary = build_dictionary(token_lists, 2, 0.5, keep=seed_terms(themes))
    bow = bow_corpus(dictionary, token_lists)
    started = cpu_clock()
    seeded = fit_seeded(
        bow,
        dictionary,
        themes,
        seeds,
        free_topics=free,
        seed_weight=weight,
        passes=passes,
        n_jobs=1,
    )
    seconds = cpu_clock() - started
    kept = [theme for theme in themes if theme.name in seeded.names]
    theme_topics = [top_words_of(matrix, seeded.vocab) for matrix in seeded.seed_topic_word]
    return {"seconds": round(seconds, 1), **seeded_summary(kept, theme_topics, token_lists)}


def ensemble_fits(name: str, engine: str, k: int, seeds: list[int], runs: int, fit: dict):
    """Per seed, ``runs`` fits' topic–word matrices (``random_state = seed * 1000 + run``)."""
    from speechtopics.topics import _ensemble_fit, run_seed, vocabulary

    token_lists, dictionary, bow, _ = read_units(name)
    matrices: dict[int, list[np.ndarray]] = {seed: [] for seed in seeds}
    seconds, vocab = [], vocabulary(dictionary)
    known = set(vocab)
    for seed in seeds:
        for run in range(runs):
            started = cpu_clock()
            if engine == "gensim":
                topic_lambda, _ = _ensemble_fit(
                    bow,
                    dictionary,
                    k,
                    run_seed(seed, run),
                    fit["passes"],
                    fit["iterations"],
                    "symmetric",
                    None,
                    None,
                )
                matrices[seed].append(topic_lambda)
            else:
                model = tomotopy_model(token_lists, known, k, run_seed(seed, run))
                model.train(fit["iters"], workers=1)
                matrices[seed].append(tomotopy_topic_word(model))
                engine_vocab = list(model.used_vocabs)
                if len(seconds) and engine_vocab != vocab:
                    raise RuntimeError("tomotopy word order differs between fits")
                vocab = engine_vocab
            seconds.append(cpu_clock() - started)
    return token_lists, vocab, matrices, seconds


def ensemble_curve(
    name: str, engine: str, k: int, seeds: list[int], runs_list: list[int], fit: dict
) -> dict:
    """Stability across seeds and c_npmi of per-seed ensembles of 1, 3, 5 … fits.

    Each seed's ensemble is :func:`speechtopics.topics.consensus` of its first
    ``R`` fits, which is what :func:`fit_ensemble` with ``runs = R`` computes per
    seed (gensim fits are its own ``_ensemble_fit``); the fits are made once
    for the largest ``R``.
    """
    from speechtopics.topics import consensus

    token_lists, vocab, matrices, seconds = ensemble_fits(
        name, engine, k, seeds, max(runs_list), fit
    )
    by_runs = {}
    for runs in runs_list:
        averages = [consensus(matrices[seed][:runs])[0] for seed in seeds]
        by_runs[str(runs)] = quality([top_words_of(m, vocab) for m in averages], token_lists)
    return {
        "engine": engine,
        "fit": fit,
        "fits": len(seconds),
        "fit_seconds_median": round(statistics.median(seconds), 2),
        "by_runs": by_runs,
    }


# --------------------------------------------------------------------------- coherence cost


def coherence_time(name: str, k: int, n_fits: int, repeats: int, iters: int) -> dict:
    """Seconds of coherence scoring of ``n_fits`` tomotopy fits' top 20 (c_npmi alone, all three).

    Also reports the CPU seconds of those ``iters``-iteration tomotopy fits.
    """
    from speechtopics.topics import coherence_scores

    token_lists, dictionary, _, _ = read_units(name)
    vocab = set(dictionary.token2id)
    topic_sets, train_seconds = [], []
    for seed in range(1, n_fits + 1):
        model = tomotopy_model(token_lists, vocab, k, seed)
        started = cpu_clock()
        model.train(iters, workers=1)
        train_seconds.append(cpu_clock() - started)
        topic_sets.append(top_words_of(tomotopy_topic_word(model), list(model.used_vocabs)))
    timings = {}
    for measures in (["c_npmi"], ["c_npmi", "c_v", "u_mass"]):
        values = []
        for _ in range(repeats):
            started = cpu_clock()
            coherence_scores(topic_sets, token_lists, measures)
            values.append(cpu_clock() - started)
        timings["+".join(measures)] = round(statistics.median(values), 2)
    return {
        "n_fits": n_fits,
        "k": k,
        "median_seconds": timings,
        "n_units": len(token_lists),
        "tokens_in_vocabulary": int(model.num_words),
        "tomotopy_iters": iters,
        "tomotopy_train_seconds_median": round(statistics.median(train_seconds), 2),
    }


# --------------------------------------------------------------------------- command line


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--name")
    parser.add_argument("--doc-fraction", type=float, default=1.0)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--passes", type=int, default=None)
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--mode", default="batch")
    parser.add_argument("--iters", type=int, default=1000)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--alpha", type=float, default=None)
    parser.add_argument("--eta", type=float, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--runs-list", type=int, nargs="+", default=[1, 3, 5])
    parser.add_argument("--engine", choices=["gensim", "tomotopy"], default="tomotopy")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--free", type=int, default=3)
    parser.add_argument("--weight", type=float, default=1.0)
    parser.add_argument("--other-prior", type=float, default=0.01)
    parser.add_argument("--n-fits", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    return parser.parse_args()


def run(args: argparse.Namespace) -> dict:
    name = args.name or (args.corpus.name if args.corpus else None)
    commands = {
        "prepare": lambda: prepare(args.corpus, args.doc_fraction, 20240601, name),
        "gensim-plain": lambda: gensim_plain(name, args.k, args.seeds, args.passes or 10),
        "gensim-project": lambda: gensim_project(
            name, args.k, args.seeds, args.passes or 20, args.iterations, args.eta
        ),
        "gensim-converge": lambda: gensim_converge(
            name, args.k, args.seeds[0], args.passes or 30, args.mode, args.iterations
        ),
        "ensemble": lambda: ensemble(
            name, args.k, args.seeds, args.runs, args.passes or 20, args.iterations, args.n_jobs
        ),
        "tomotopy": lambda: tomotopy_train(
            name, args.k, args.seeds, args.iters, args.every, args.workers, args.alpha, args.eta
        ),
        "tomotopy-determinism": lambda: tomotopy_determinism(
            name, args.k, args.seeds[0], args.iters
        ),
        "gensim-seeded": lambda: gensim_seeded(
            name, args.seeds, args.passes or 20, args.free, args.weight
        ),
        "tomotopy-seeded": lambda: tomotopy_seeded(
            name, args.seeds, args.iters, args.free, args.weight, args.other_prior
        ),
        "ensemble-curve": lambda: ensemble_curve(
            name,
            args.engine,
            args.k,
            args.seeds,
            args.runs_list,
            {"passes": args.passes or 20, "iterations": args.iterations}
            if args.engine == "gensim"
            else {"iters": args.iters},
        ),
        "coherence-time": lambda: coherence_time(
            name, args.k, args.n_fits, args.repeats, args.iters
        ),
    }
    return commands[args.command]()


def main() -> None:
    logging.getLogger("gensim").setLevel(logging.WARNING)
    args = parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = run(args)
    record = {
        "command": " ".join(sys.argv[1:]),
        "wall_seconds": round(time.perf_counter() - started, 1),
        **result,
    }
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    record["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
    line = json.dumps(record, ensure_ascii=False)
    with open(WORK / "results.jsonl", "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
