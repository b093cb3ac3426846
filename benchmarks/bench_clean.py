"""One cleaning measurement in this (fresh) process; prints one JSON line.

Contenders, all on the same texts (every text of a corpus, the corpus
repeated until it holds at least ``--min-chars`` characters):

* ``clean``     — :func:`~speechtopics.text.clean.clean_text` with the rules a run
  builds (``corpus.load.build_cleaner``: default rules, the noise list,
  traditional → simplified); the report also gives the time of
  :func:`~speechtopics.text.segment.segment_speech` (paragraph units) on the
  cleaned texts;
* ``translate`` — one ``str.translate`` pass per text (full-width digits and
  letters to ASCII): one pass in C over every character, a floor for any
  cleaning;
* ``jieba``     — ``lcut`` of a fresh ``jieba.Tokenizer`` (HMM on): what
  segmenting the same text costs.

Setup (rule compilation, the OpenCC and jieba dictionaries) is left out of
the timed loop and reported apart. Times are CPU seconds of this process
(``time.process_time``): the work is single-threaded, and CPU time does not
grow when other jobs share the machine, where wall time does. Corpora: ``data-raw`` (the bundled
speeches), ``xi-speeches-2020`` (whole speeches) and
``online-shopping-10cats`` (short reviews), from ``../shared/corpus/bench``.

Run::

    .venv/bin/python benchmarks/bench_clean.py --dataset online-shopping-10cats --contender clean
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from pathlib import Path

from _common import BENCH_DIR, emit, read_texts

from speechtopics.config import PROJECT_ROOT, default_paths, load_settings

CONTENDERS = ("clean", "translate", "jieba")
CLEAN_DATASETS = ("data-raw", "xi-speeches-2020", "online-shopping-10cats")
_FULLWIDTH_TO_ASCII = {
    code: code - 0xFEE0
    for first, last in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for code in range(first, last + 1)
}


def _folder_texts(folder: Path) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.txt"))]


def corpus_texts(dataset: str, min_chars: int) -> list[str]:
    """The texts of ``dataset``, repeated (whole) until they hold ``min_chars`` characters."""
    if dataset == "data-raw":
        texts = _folder_texts(PROJECT_ROOT / "data" / "raw")
    elif dataset == "xi-speeches-2020":
        texts = _folder_texts(BENCH_DIR / "xi-speeches-2020" / "docs")
    else:
        texts = read_texts(dataset)
    chars = sum(map(len, texts))
    return texts * max(1, math.ceil(min_chars / chars))


def _timed(function, texts: list[str]) -> tuple[list, float]:
    """Results of ``function`` on every text and the CPU seconds they took."""
    started = time.process_time()
    results = [function(text) for text in texts]
    return results, time.process_time() - started


def measure(dataset: str, contender: str, min_chars: int) -> dict:
    """Seconds to run ``contender`` over every text of ``dataset`` (setup apart), with counts."""
    texts = corpus_texts(dataset, min_chars)
    chars = sum(map(len, texts))
    report: dict = {"dataset": dataset, "contender": contender, "texts": len(texts), "chars": chars}
    started = time.perf_counter()
    if contender == "clean":
        from speechtopics.corpus.load import build_cleaner
        from speechtopics.text.segment import segment_speech

        params = load_settings()
        cleaner = build_cleaner(default_paths(params), params)
        cleaner(texts[0])  # compiles the rules' patterns and loads OpenCC
        report["setup_seconds"] = time.perf_counter() - started
        results, report["seconds"] = _timed(cleaner, texts)
        cleaned = [result.text for result in results]
        report["removed_chars"] = chars - sum(map(len, cleaned))
        units, report["segment_seconds"] = _timed(
            lambda text: segment_speech("doc", text, "paragraph"), cleaned
        )
        report["cleaned_chars"] = sum(map(len, cleaned))
        report["units"] = sum(map(len, units))
    elif contender == "translate":
        report["setup_seconds"] = 0.0
        _, report["seconds"] = _timed(lambda text: text.translate(_FULLWIDTH_TO_ASCII), texts)
    elif contender == "jieba":
        import jieba

        jieba.setLogLevel(logging.WARNING)
        segmenter = jieba.Tokenizer()
        segmenter.initialize()
        report["setup_seconds"] = time.perf_counter() - started
        words, report["seconds"] = _timed(lambda text: segmenter.lcut(text, HMM=True), texts)
        report["words"] = sum(map(len, words))
    else:
        raise ValueError(f"unknown contender {contender!r}; choose from {CONTENDERS}")
    report["chars_per_second"] = chars / report["seconds"]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=CLEAN_DATASETS, required=True)
    parser.add_argument("--contender", choices=CONTENDERS, required=True)
    parser.add_argument(
        "--min-chars",
        type=int,
        default=2_000_000,
        help="repeat a small corpus until it holds this many characters",
    )
    args = parser.parse_args(argv)
    emit(measure(args.dataset, args.contender, args.min_chars))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
