"""Child process of the ``scale`` benchmarks: one measured step, reported as one JSON line.

Steps::

    bench_scale.py run --raw DIR --out DIR            # speechtopics.run(), cold or warm
    bench_scale.py plain-fit --raw DIR --out DIR --k 10 [--passes 10]
    bench_scale.py tokens-file --file PATH            # what `speechtopics tokens --file` does
    bench_scale.py jieba-lcut --file PATH             # plain jieba.lcut on the same lines

``plain-fit`` times one plain gensim ``LdaModel`` (defaults, ``passes``
passes, seed 1) on the paragraph units the run's topic models see (read
from the run's token cache, so loading is not timed), and reports the NPMI
of its top-20 words and of the run's reported topics (``topic_words.csv``)
on the same units.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import time
from pathlib import Path

import pandas as pd
from _common import emit


def step_run(raw: Path, out: Path) -> dict:
    import speechtopics as st

    started = time.perf_counter()
    summary = st.run(raw, out, progress=False)
    return {"seconds": time.perf_counter() - started, "recomputed": summary.recomputed}


def _training_units(raw: Path, out: Path):
    import speechtopics as st
    from speechtopics.analysis.topics.fit import topic_units
    from speechtopics.analysis.vectors import bow_corpus, build_dictionary

    settings = st.settings().topics
    corpus = st.load(raw, out)
    units = topic_units(corpus.at_grain(settings.grain), settings.min_unit_tokens)
    token_lists = list(units["tokens"])
    dictionary = build_dictionary(token_lists, settings.no_below, settings.no_above)
    return token_lists, dictionary, bow_corpus(dictionary, token_lists)


def _npmi(topics: list[list[str]], token_lists) -> float:
    from speechtopics.analysis.topics.coherence import coherence_scores

    scores = coherence_scores([topics], token_lists, ["c_npmi"])[0]["c_npmi"]
    return float(pd.Series(scores).mean())


def step_plain_fit(raw: Path, out: Path, k: int, passes: int) -> dict:
    from gensim.models import LdaModel

    from speechtopics.analysis.topics.align import top_words
    from speechtopics.analysis.vectors import vocabulary

    logging.getLogger("gensim").setLevel(logging.WARNING)
    token_lists, dictionary, bow = _training_units(raw, out)
    started = time.perf_counter()
    model = LdaModel(bow, id2word=dictionary, num_topics=k, passes=passes, random_state=1)
    seconds = time.perf_counter() - started
    reported = pd.read_csv(out / "processed" / "topic_words.csv")
    reported_topics = [
        list(group.sort_values("rank")["word"].astype(str))[:20]
        for _, group in reported.groupby("topic", sort=False)
    ]
    plain_topics = top_words(model.get_topics(), vocabulary(dictionary), 20)
    return {
        "seconds": seconds,
        "k": k,
        "units": len(bow),
        "plain_npmi": _npmi(plain_topics, token_lists),
        "reported_k": len(reported_topics),
        "reported_npmi": _npmi(reported_topics, token_lists),
    }


def step_tokens_file(path: Path) -> dict:
    from speechtopics.cli import main

    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as sink:
        main(["tokens", "--file", str(path)])
    return {"seconds": time.perf_counter() - started, "output_chars": len(sink.getvalue())}


def step_jieba_lcut(path: Path) -> dict:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    lines = path.read_text(encoding="utf-8").split("\n")
    started = time.perf_counter()
    tokenizer = jieba.Tokenizer()
    words = sum(len(tokenizer.lcut(line)) for line in lines)
    return {"seconds": time.perf_counter() - started, "words": words}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["run", "plain-fit", "tokens-file", "jieba-lcut"])
    parser.add_argument("--raw", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--passes", type=int, default=10)
    args = parser.parse_args()
    if args.step == "run":
        emit(step_run(args.raw, args.out))
    elif args.step == "plain-fit":
        emit(step_plain_fit(args.raw, args.out, args.k, args.passes))
    elif args.step == "tokens-file":
        emit(step_tokens_file(args.file))
    else:
        emit(step_jieba_lcut(args.file))


if __name__ == "__main__":
    main()
