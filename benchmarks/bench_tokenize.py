"""One tokenization measurement, cold, in this (fresh) process; prints one JSON line.

Contenders, all on the same texts and the same user dictionary entries
(``data/lexicon/userdict.txt`` as the project parses it):

* ``project`` — the project's :class:`~speechtopics.tokenize.Tokenizer` as a
  run builds it (``speechtopics.toml``: fast backend, synonyms, stopwords,
  filters), ``tokenize_many`` with its default worker choice;
* ``jieba``   — ``lcut`` of a fresh ``jieba.Tokenizer`` (the function behind
  ``jieba.lcut``) with the user words added, HMM on;
* ``rjieba``  — ``cut`` of a fresh ``rjieba.Jieba`` with the user words added, HMM on.

"Cold" means nothing is reused: the time runs from building the segmenter
(dictionary load, user words, worker start) to holding every text's words.

Run::

    .venv/bin/python benchmarks/bench_tokenize.py --dataset xi-jhsjk-paragraphs --contender project
"""

from __future__ import annotations

import argparse
import logging
import time

from _common import DATASETS, emit, read_texts

from speechtopics.config import default_paths, load_settings
from speechtopics.corpus.load import build_tokenizer
from speechtopics.text.lexicon import load_themes, load_userdict

CONTENDERS = ("project", "jieba", "rjieba")


def measure(dataset: str, contender: str, n_jobs: int | None = None) -> dict:
    """Seconds to build ``contender`` and segment every text of ``dataset``, with counts."""
    texts = read_texts(dataset)
    chars = sum(map(len, texts))
    params = load_settings()
    paths = default_paths(params)
    entries = load_userdict(paths.userdict)
    started = time.perf_counter()
    if contender == "project":
        tokenizer = build_tokenizer(paths, params, load_themes(paths.themes))
        tokenizer.segmenter  # noqa: B018 - the dictionary load is part of the cold time
        ready = time.perf_counter()
        result = tokenizer.tokenize_many(texts, n_jobs=n_jobs)
        backend = tokenizer.backend
    elif contender == "jieba":
        import jieba

        jieba.setLogLevel(logging.WARNING)
        segmenter = jieba.Tokenizer()
        segmenter.initialize()
        for entry in entries:
            segmenter.add_word(entry.word, entry.freq, entry.pos)
        ready = time.perf_counter()
        result = [segmenter.lcut(text, HMM=True) for text in texts]
        backend = "jieba"
    elif contender == "rjieba":
        import rjieba

        segmenter = rjieba.Jieba()
        for entry in entries:
            segmenter.add_word(entry.word, entry.freq, entry.pos)
        ready = time.perf_counter()
        result = [segmenter.cut(text, True) for text in texts]
        backend = "rjieba"
    else:
        raise ValueError(f"unknown contender {contender!r}; choose from {CONTENDERS}")
    finished = time.perf_counter()
    return {
        "dataset": dataset,
        "contender": contender,
        "backend": backend,
        "texts": len(texts),
        "chars": chars,
        "words": sum(map(len, result)),
        "setup_seconds": ready - started,
        "seconds": finished - started,
        "chars_per_second": chars / (finished - started),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), required=True)
    parser.add_argument("--contender", choices=CONTENDERS, required=True)
    parser.add_argument("--n-jobs", type=int, default=None, help="project only: worker processes")
    args = parser.parse_args(argv)
    emit(measure(args.dataset, args.contender, args.n_jobs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
