"""Clustering quality on texts with known classes: which space and method recover them best.

Datasets (``../shared/corpus/bench``, columns ``id``, ``label``, ``split``,
``text``): ``thucnews-titles`` (20,000 news headlines, 10 classes) and
``online-shopping-10cats`` (62,774 product reviews, 10 categories). For
every dataset and seed, a sample of ``--sample`` texts drawn with that seed
is tokenized with the project tokenizer (lexicon and settings from
``speechtopics.toml``) and clustered into k = number of classes groups by

* ``tfidf_kmeans`` — k-means on the sparse TF-IDF rows;
* ``lsa_kmeans``   — TF-IDF → TruncatedSVD(``--lsa-components``) → L2-normalised → k-means;
* ``lsa_ward``     — the same reduced rows, Ward linkage (skipped above
  ``--ward-max`` texts: its memory grows with the square of the count).

Printed per dataset and method: NMI and ARI against the labels, mean ± sd
over the seeds, next to the same clusters scored against shuffled labels
(chance, measured in the same run); the mean silhouette of the partition,
of the known classes, and of the same method on a column-permuted copy of
the space (no structure; see ``speechtopics.analysis.cluster.structure``).
The best method per dataset (highest mean NMI) is marked.

Run::

    .venv/bin/python benchmarks/cluster_quality.py                    # 5 seeds × 10,000 texts
    .venv/bin/python benchmarks/cluster_quality.py --seeds 1 2 --sample 1000
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
DATASETS = ("thucnews-titles", "online-shopping-10cats")
SCORES = ("nmi", "ari", "nmi_shuffled", "ari_shuffled", "silhouette", "silhouette_null")


def read_labelled(path: Path) -> pd.DataFrame:
    """A labelled bench table (``id``, ``label``, ``split``, ``text``), every field a string."""
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE)
    return table[table["text"].str.strip() != ""].reset_index(drop=True)


def measure_dataset(name: str, args: argparse.Namespace, tokenizer) -> pd.DataFrame:
    """One row per seed and method: the scores of :func:`evaluate_against_labels` and seconds."""
    texts = read_labelled(BENCH_DIR / name / "data.tsv")
    samples = {
        seed: texts.sample(n=min(args.sample, len(texts)), random_state=seed).sort_index()
        for seed in args.seeds
    }
    wanted = sorted(set().union(*(sample.index for sample in samples.values())))
    tokens = dict(
        zip(wanted, tokenizer.tokenize_many(texts.loc[wanted, "text"].tolist()), strict=True)
    )
    methods = [m for m in EVALUATION_METHODS if m != "lsa_ward" or args.sample <= args.ward_max]
    rows = []
    for seed, sample in samples.items():
        for method in methods:
            started = time.perf_counter()
            table = evaluate_against_labels(
                [tokens[i] for i in sample.index],
                sample["label"],
                k=sample["label"].nunique(),
                random_state=seed,
                n_init=args.n_init,
                lsa_components=args.lsa_components,
                methods=[method],
                silhouettes=True,
            )
            table.insert(0, "seed", seed)
            table.insert(0, "dataset", name)
            table["seconds"] = time.perf_counter() - started
            rows.append(table)
    return pd.concat(rows, ignore_index=True)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean ± sd over seeds per dataset and method; ``best`` marks the highest mean NMI."""
    grouped = results.groupby(["dataset", "method"], sort=False)
    summary = grouped[list(SCORES)].agg(["mean", "std"])
    summary.columns = [f"{score}_{stat}" for score, stat in summary.columns]
    summary["seeds"] = grouped.size()
    summary["seconds"] = grouped["seconds"].median()
    summary = summary.reset_index()
    best = summary.groupby("dataset")["nmi_mean"].transform("max")
    summary["best"] = summary["nmi_mean"] == best
    return summary


def format_summary(summary: pd.DataFrame) -> str:
    """The summary as text: ``mean ± sd`` cells."""
    lines = []
    header = (
        f"{'dataset':<24}{'method':<14}{'NMI':>16}{'ARI':>16}{'NMI chance':>12}"
        f"{'silhouette':>18}{'null':>8}{'s/seed':>8}"
    )
    lines.append(header)
    for row in summary.itertuples(index=False):
        lines.append(
            f"{row.dataset:<24}{row.method:<14}"
            f"{row.nmi_mean:>9.3f} ± {row.nmi_std:.3f}{row.ari_mean:>9.3f} ± {row.ari_std:.3f}"
            f"{row.nmi_shuffled_mean:>12.3f}{row.silhouette_mean:>11.3f} ± {row.silhouette_std:.3f}"
            f"{row.silhouette_null_mean:>8.3f}{row.seconds:>8.1f}{'  ← best' if row.best else ''}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--sample", type=int, default=10000, help="texts per seed")
    parser.add_argument("--n-init", type=int, default=10, help="k-means restarts")
    parser.add_argument("--lsa-components", type=int, default=100, help="TruncatedSVD dimensions")
    parser.add_argument(
        "--ward-max", type=int, default=10000, help="skip Ward above this many texts per sample"
    )
    parser.add_argument("--csv", type=Path, help="also write every seed's scores to this file")
    args = parser.parse_args(argv)

    missing = [name for name in args.datasets if not (BENCH_DIR / name / "data.tsv").exists()]
    if missing:
        print(f"{', '.join(missing)} not under {BENCH_DIR}; nothing to measure", file=sys.stderr)
        return 1
    params = load_settings()
    paths = default_paths(params)
    tokenizer = build_tokenizer(paths, params, load_themes(paths.themes))
    started = time.perf_counter()
    results = pd.concat(
        [measure_dataset(name, args, tokenizer) for name in args.datasets], ignore_index=True
    )
    if args.csv:
        results.to_csv(args.csv, index=False)
    print(
        f"clustering quality: {len(args.seeds)} seeds × {args.sample} texts per dataset, "
        f"k = number of classes, LSA {args.lsa_components} dimensions, tokenizer "
        f"{tokenizer.backend}; {(time.perf_counter() - started) / 60:.1f} min"
    )
    print(format_summary(summarise(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
