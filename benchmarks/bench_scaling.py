"""One scaling measurement in this (fresh) process: stream a TSV through tokens, dictionary, bags of words and one LDA fit.

Steps, each streaming (nothing holds the whole corpus):

1. tokenize the ``text`` column with the project's tokenizer, in ordered
   parallel batches, into a token file (one unit per line);
2. build a gensim ``Dictionary`` in one pass over the token file, then
   ``filter_extremes(no_below, no_above)``;
3. fit one ``LdaModel`` (K topics, one pass, ``chunksize`` units per update)
   on a :class:`~speechtopics.stream.BowStream` over the token file.

Prints one JSON line: seconds per step, units, characters, vocabulary and
this process's peak RSS (``ru_maxrss``). The parent measures the peak RSS of
the whole process tree (workers included) from outside.

Run::

    .venv/bin/python benchmarks/bench_scaling.py --tsv /tmp/x8.tsv --k 10
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from _common import emit, self_max_rss_bytes
from streams import BowStream, iter_tsv_column, write_token_file

from speechtopics.analysis.vectors import build_dictionary
from speechtopics.config import default_paths, load_settings
from speechtopics.corpus.load import build_tokenizer
from speechtopics.text.lexicon import load_themes


def measure(
    tsv: Path,
    k: int,
    seed: int,
    n_jobs: int,
    chunksize: int,
    no_below: int,
    no_above: float,
) -> dict:
    """Seconds of each streaming step on ``tsv`` and the counts behind them."""
    from gensim.models import LdaModel

    logging.getLogger("gensim").setLevel(logging.WARNING)
    params = load_settings()
    paths = default_paths(params)
    chars = 0

    def texts():
        nonlocal chars
        for text in iter_tsv_column(tsv, "text"):
            chars += len(text)
            yield text

    with tempfile.TemporaryDirectory(prefix="speechtopics-scaling-") as scratch:
        t0 = time.perf_counter()
        tokenizer = build_tokenizer(paths, params, load_themes(paths.themes))
        token_file = write_token_file(
            texts(), tokenizer, Path(scratch) / "tokens.txt", n_jobs=n_jobs
        )
        t1 = time.perf_counter()
        dictionary = build_dictionary(token_file, no_below=no_below, no_above=no_above)
        t2 = time.perf_counter()
        bow = BowStream(token_file, dictionary)
        n_bow_tokens = sum(count for document in bow for _, count in document)
        t3 = time.perf_counter()
        model = LdaModel(
            corpus=bow,
            id2word=dictionary,
            num_topics=k,
            passes=1,
            chunksize=chunksize,
            eval_every=None,
            random_state=seed,
        )
        t4 = time.perf_counter()
        units = len(token_file)
    return {
        "tsv": str(tsv),
        "units": units,
        "chars": chars,
        "vocabulary": len(dictionary),
        "bow_tokens": n_bow_tokens,
        "topics": model.num_topics,
        "tokenize_seconds": t1 - t0,
        "dictionary_seconds": t2 - t1,
        "bow_seconds": t3 - t2,
        "lda_seconds": t4 - t3,
        "work_seconds": t4 - t0,
        "max_rss_bytes": self_max_rss_bytes(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tsv", type=Path, required=True, help="TSV with a text column")
    parser.add_argument("--k", type=int, default=10, help="topics of the LDA fit")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--n-jobs", type=int, default=-1, help="tokenizer worker processes (-1: all cores)"
    )
    parser.add_argument("--chunksize", type=int, default=2000, help="units per LDA update")
    parser.add_argument("--no-below", type=int, default=5)
    parser.add_argument("--no-above", type=float, default=0.5)
    args = parser.parse_args(argv)
    emit(
        measure(
            args.tsv, args.k, args.seed, args.n_jobs, args.chunksize, args.no_below, args.no_above
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
