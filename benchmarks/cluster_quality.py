"""Clustering quality on text with known classes: THUCNews headlines (10 classes).

Reads ``../shared/corpus/bench/thucnews-titles/data.tsv`` (columns ``id``,
``label``, ``split``, ``text``; 20,000 headlines, 2,000 per class), tokenizes
the headlines with the project tokenizer (lexicon and settings from
``speechtopics.toml``), clusters them into k = 10 groups and prints NMI and
ARI against the labels for each method, next to the same clusters scored
against shuffled labels (the chance level measured in the same run):

* ``tfidf_kmeans`` — k-means on the sparse TF-IDF rows;
* ``lsa_kmeans``   — TF-IDF → TruncatedSVD(100) → L2-normalised → k-means;
* ``lsa_ward``     — the same reduced rows, Ward linkage (skipped above
  ``--ward-max`` texts: its memory grows with the square of the count).

Run::

    .venv/bin/python benchmarks/cluster_quality.py              # all 20,000
    .venv/bin/python benchmarks/cluster_quality.py --sample 2000
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import pandas as pd

from speechtopics.analysis.cluster.evaluate import EVALUATION_METHODS, evaluate_against_labels
from speechtopics.config import PROJECT_ROOT, default_paths, load_settings
from speechtopics.corpus.load import build_tokenizer
from speechtopics.text.lexicon import load_themes

BENCH_DIR = PROJECT_ROOT.parent / "shared" / "corpus" / "bench"
DATA = BENCH_DIR / "thucnews-titles" / "data.tsv"


def read_headlines(path: Path) -> pd.DataFrame:
    """The labelled headlines (``id``, ``label``, ``split``, ``text``), every field a string."""
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sample", type=int, default=0, help="cluster a seeded sample of N headlines (0 = all)"
    )
    parser.add_argument(
        "--seed", type=int, default=20240601, help="seed of the sample, k-means, SVD and shuffle"
    )
    parser.add_argument("--k", type=int, default=10, help="number of clusters")
    parser.add_argument("--n-init", type=int, default=10, help="k-means restarts")
    parser.add_argument("--lsa-components", type=int, default=100, help="TruncatedSVD dimensions")
    parser.add_argument(
        "--ward-max", type=int, default=20000, help="skip Ward above this many headlines"
    )
    args = parser.parse_args(argv)

    if not DATA.exists():
        print(f"{DATA} is not available on this machine; nothing to measure", file=sys.stderr)
        return 1
    headlines = read_headlines(DATA)
    if 0 < args.sample < len(headlines):
        headlines = headlines.sample(n=args.sample, random_state=args.seed).sort_index()

    params = load_settings()
    paths = default_paths(params)
    tokenizer = build_tokenizer(paths, params, load_themes(paths.themes))
    t0 = time.perf_counter()
    token_lists = tokenizer.tokenize_many(headlines["text"].tolist())
    tokenize_seconds = time.perf_counter() - t0
    empty = sum(1 for tokens in token_lists if not tokens)

    methods = [m for m in EVALUATION_METHODS if m != "lsa_ward" or len(headlines) <= args.ward_max]
    rows = []
    for method in methods:
        t0 = time.perf_counter()
        table = evaluate_against_labels(
            token_lists,
            headlines["label"],
            k=args.k,
            random_state=args.seed,
            n_init=args.n_init,
            lsa_components=args.lsa_components,
            methods=[method],
        )
        table["seconds"] = time.perf_counter() - t0
        rows.append(table)
    result = pd.concat(rows, ignore_index=True)

    print(
        f"thucnews-titles: {len(headlines)} headlines, {headlines['label'].nunique()} classes, "
        f"k = {args.k}, seed {args.seed}; tokenizer backend {tokenizer.backend}, "
        f"{tokenize_seconds:.1f} s; {empty} headline(s) with no token left"
    )
    print(result.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if len(methods) < len(EVALUATION_METHODS):
        print(f"lsa_ward skipped: {len(headlines)} headlines > --ward-max {args.ward_max}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
