"""Candidate terms for a theme, found in the corpus itself, and the theme's co-occurrence network.

A theme's lexicon was written by reading a few speeches; the corpus can
suggest what it misses. Two ways, both over sentences (token lists):

* ``word2vec`` — the nearest neighbours of the theme's terms in a Word2Vec
  model trained on the corpus (skip-gram, seeded, one worker thread, so the
  same corpus gives the same model). Embeddings need a lot of text; on a
  small corpus their neighbours are noise.
* ``pmi`` — words that share sentences with the theme's terms more often
  than chance: pointwise mutual information
  ``log2(P(word, theme) / (P(word) P(theme)))`` over sentences, where
  "theme" means "at least one of the theme's terms". Works on a handful of
  speeches.

Every candidate comes with its corpus count, its score and example lines
(KWIC) so that a researcher can accept or reject it; nothing is written to
``themes.toml``.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ...config import Settings
from ...corpus.model import Corpus
from ...text.lexicon import Theme
from ...text.segment import Unit
from .kwic import kwic
from .rates import theme_by_name

SUGGESTION_COLUMNS = [
    "theme",
    "rank",
    "candidate",
    "count",
    "score",
    "method",
    "cooccurrences",
    "kwic_1",
    "kwic_2",
]
EDGE_COLUMNS = ["theme", "source", "target", "cooccurrences", "pmi", "kind"]
METHODS = ("auto", "word2vec", "pmi")


def stable_hash(text: str) -> int:
    """A hash of a string that is the same in every process (Word2Vec's ``hashfxn``)."""
    return zlib.crc32(str(text).encode("utf-8"))


def sentence_frequencies(sentences: Sequence[Sequence[str]]) -> Counter[str]:
    """In how many sentences each word occurs."""
    frequencies: Counter[str] = Counter()
    for tokens in sentences:
        frequencies.update(set(tokens))
    return frequencies


def pmi_scores(
    sentences: Sequence[Sequence[str]],
    anchors: Iterable[str],
    frequencies: Counter[str] | None = None,
) -> pd.DataFrame:
    """Sentence co-occurrence of every word with a set of anchor words (sentence grain).

    Parameters
    ----------
    sentences : sequence of token lists
    anchors : iterable of str
        The words co-occurrence is measured with (a theme's terms, or one term).
    frequencies : Counter, optional
        :func:`sentence_frequencies` of ``sentences`` (computed when absent).

    Returns
    -------
    DataFrame
        ``word``, ``sentences`` (sentences holding the word),
        ``cooccurrences`` (those that also hold an anchor) and ``pmi``
        (log2; anchors themselves left out). Unsorted.
    """
    anchors = set(anchors)
    frequencies = frequencies if frequencies is not None else sentence_frequencies(sentences)
    joint: Counter[str] = Counter()
    anchored = 0
    for tokens in sentences:
        words = set(tokens)
        if words & anchors:
            anchored += 1
            joint.update(words - anchors)
    n = len(sentences)
    words = sorted(joint)
    together = np.array([joint[w] for w in words], dtype=float)
    alone = np.array([frequencies[w] for w in words], dtype=float)
    with np.errstate(divide="ignore"):
        pmi = np.log2(together * n / (alone * max(anchored, 1)))
    return pd.DataFrame(
        {"word": words, "sentences": alone.astype(np.int64), "cooccurrences": together, "pmi": pmi}
    ).astype({"cooccurrences": "int64"})


def pmi_candidates(
    sentences: Sequence[Sequence[str]],
    terms: Sequence[str],
    *,
    min_count: int = 3,
    top_n: int = 20,
) -> pd.DataFrame:
    """Candidates by PMI with the theme's terms: ``candidate``, ``score`` (PMI), ``cooccurrences``.

    Only words sharing at least ``min_count`` sentences with the theme are
    kept (PMI overrates rare words); ties go to the more frequent co-occurrence.
    """
    scores = pmi_scores(sentences, terms)
    scores = scores[scores["cooccurrences"] >= min_count]
    scores = scores.sort_values(
        ["pmi", "cooccurrences", "word"], ascending=[False, False, True], kind="mergesort"
    ).head(top_n)
    return pd.DataFrame(
        {
            "candidate": scores["word"].to_numpy(),
            "score": scores["pmi"].to_numpy(),
            "cooccurrences": scores["cooccurrences"].to_numpy(),
        }
    )


def train_word2vec(
    sentences: Sequence[Sequence[str]],
    *,
    seed: int,
    vector_size: int = 100,
    window: int = 5,
    epochs: int = 10,
    min_count: int = 3,
):
    """A skip-gram Word2Vec model of the corpus: seeded, one worker, so it is deterministic."""
    from gensim.models import Word2Vec

    return Word2Vec(
        sentences=[list(tokens) for tokens in sentences],
        vector_size=vector_size,
        window=window,
        min_count=min_count,
        sg=1,
        workers=1,
        seed=seed,
        epochs=epochs,
        hashfxn=stable_hash,
    )


def word2vec_candidates(model, terms: Sequence[str], *, top_n: int = 20) -> pd.DataFrame:
    """Nearest neighbours of the mean of the theme's terms: ``candidate``, ``score`` (cosine)."""
    present = [term for term in terms if term in model.wv.key_to_index]
    if not present:
        return pd.DataFrame(columns=["candidate", "score"])
    wanted = top_n + len(terms)
    neighbours = model.wv.most_similar(positive=present, topn=wanted)
    rows = [(word, float(score)) for word, score in neighbours if word not in set(terms)]
    return pd.DataFrame(rows[:top_n], columns=["candidate", "score"])


def example_lines(
    units: Sequence[Unit],
    candidate: str,
    terms: Sequence[str],
    lines: int = 2,
    window: int = 15,
    unit_tokens: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """``doc_id: left【candidate】right`` lines.

    Lines from paragraphs where the candidate is a token come first (with
    ``unit_tokens``; the string may also sit inside a longer word, 紧【紧抓】),
    then those with a theme term nearby, then one per speech in turn.
    """
    found = kwic(units, candidate, window=window)
    if found.empty:
        return []
    context = (found["left"] + found["right"]).astype(str)
    near = context.map(lambda text: any(term in text for term in terms))
    if unit_tokens is None:
        as_token = pd.Series(True, index=found.index)
    else:
        as_token = found["unit_id"].map(lambda u: candidate in unit_tokens.get(u, ()))
    found = found.assign(
        _word=~as_token.astype(bool), _near=~near, _nth=found.groupby("doc_id").cumcount()
    )
    found = found.sort_values(["_word", "_near", "_nth", "doc_id", "char_offset"], kind="mergesort")
    return [
        f"{row.doc_id}: {row.left}【{row.keyword}】{row.right}"
        for row in found.head(lines).itertuples()
    ]


def choose_method(method: str, n_tokens: int, word2vec_min_tokens: int) -> str:
    """``word2vec`` or ``pmi``: ``auto`` trusts embeddings from ``word2vec_min_tokens`` tokens on."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if method == "auto":
        return "word2vec" if n_tokens >= word2vec_min_tokens else "pmi"
    return method


def suggest_terms(
    theme: Theme,
    sentences: Sequence[Sequence[str]],
    units: Sequence[Unit],
    *,
    method: str = "auto",
    seed: int = 0,
    top_n: int = 20,
    min_count: int = 3,
    word2vec_min_tokens: int = 200000,
    vector_size: int = 100,
    window: int = 5,
    epochs: int = 10,
    kwic_window: int = 15,
    model=None,
    unit_tokens: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Candidate terms for one theme from the corpus (sentence grain), with example lines.

    Parameters
    ----------
    theme : Theme
    sentences : sequence of token lists
        The corpus's sentences (``corpus.at_grain("sentence")["tokens"]``).
    units : sequence of Unit
        Paragraph units (``corpus.units``), for the example lines.
    method : {"auto", "word2vec", "pmi"}
        See the module notes; ``auto`` picks ``word2vec`` from
        ``word2vec_min_tokens`` tokens on.
    seed, vector_size, window, epochs
        Word2Vec's seed and shape (one worker thread: deterministic).
    top_n, min_count
        Candidates returned; a candidate must occur at least ``min_count``
        times (and, for PMI, share that many sentences with the theme).
    kwic_window : int
        Characters of context in the example lines.
    model : gensim Word2Vec, optional
        A model already trained on ``sentences`` (several themes share one).
    unit_tokens : mapping, optional
        ``unit_id -> tokens`` (``corpus.tokens``): example lines where the
        candidate is a word of its own come first.

    Returns
    -------
    DataFrame
        ``theme``, ``rank``, ``candidate``, ``count`` (tokens in the
        corpus), ``score`` (PMI in bits, or cosine similarity), ``method``,
        ``cooccurrences`` (sentences shared with the theme's terms),
        ``kwic_1``, ``kwic_2``. Terms already in the theme are never suggested.
    """
    counts = Counter(token for tokens in sentences for token in tokens)
    chosen = choose_method(method, sum(counts.values()), word2vec_min_tokens)
    terms = list(theme.terms)
    if chosen == "pmi":
        found = pmi_candidates(sentences, terms, min_count=min_count, top_n=top_n)
    else:
        if model is None:
            model = train_word2vec(
                sentences,
                seed=seed,
                vector_size=vector_size,
                window=window,
                epochs=epochs,
                min_count=min_count,
            )
        found = word2vec_candidates(model, terms, top_n=top_n)
        shared = pmi_scores(sentences, terms).set_index("word")["cooccurrences"]
        found["cooccurrences"] = found["candidate"].map(shared).fillna(0).astype("int64")
    rows = []
    for rank, record in enumerate(found.to_dict("records"), start=1):
        lines = example_lines(units, record["candidate"], terms, 2, kwic_window, unit_tokens) + [
            "",
            "",
        ]
        rows.append(
            {
                "theme": theme.name,
                "rank": rank,
                "candidate": record["candidate"],
                "count": int(counts[record["candidate"]]),
                "score": float(record["score"]),
                "method": chosen,
                "cooccurrences": int(record["cooccurrences"]),
                "kwic_1": lines[0],
                "kwic_2": lines[1],
            }
        )
    return pd.DataFrame(rows, columns=SUGGESTION_COLUMNS)


def cooccurrence_edges(
    theme: Theme,
    sentences: Sequence[Sequence[str]],
    *,
    neighbours: int = 3,
    min_count: int = 3,
    max_terms: int = 12,
) -> pd.DataFrame:
    """The theme's co-occurrence network as edges (sentence grain).

    The ``max_terms`` most frequent of the theme's terms found in the
    corpus are linked to each other where they share a sentence
    (``kind = "term"``), and each to its ``neighbours`` strongest other
    words by PMI among those sharing at least ``min_count`` sentences with
    it (``kind = "neighbour"``).

    Returns
    -------
    DataFrame
        ``theme``, ``source``, ``target``, ``cooccurrences``, ``pmi``, ``kind``.
    """
    frequencies = sentence_frequencies(sentences)
    present = [term for term in theme.terms if frequencies[term] > 0]
    present = sorted(present, key=lambda t: (-frequencies[t], theme.terms.index(t)))[:max_terms]
    own = set(theme.terms)
    rows, seen = [], set()
    for term in present:
        scores = pmi_scores(sentences, [term], frequencies)
        linked = scores[scores["word"].isin(present)]
        for record in linked.to_dict("records"):
            pair = tuple(sorted((term, record["word"])))
            if pair not in seen:
                seen.add(pair)
                rows.append((theme.name, *pair, record["cooccurrences"], record["pmi"], "term"))
        others = scores[~scores["word"].isin(own) & (scores["cooccurrences"] >= min_count)]
        others = others.sort_values(
            ["pmi", "cooccurrences", "word"], ascending=[False, False, True], kind="mergesort"
        )
        for record in others.head(neighbours).to_dict("records"):
            rows.append(
                (
                    theme.name,
                    term,
                    record["word"],
                    record["cooccurrences"],
                    record["pmi"],
                    "neighbour",
                )
            )
    return pd.DataFrame(rows, columns=EDGE_COLUMNS)


def suggest_in_corpus(
    corpus: Corpus,
    settings: Settings,
    theme_name: str,
    method: str | None = None,
    top_n: int | None = None,
) -> pd.DataFrame:
    """:func:`suggest_terms` for the theme named ``theme_name`` (name or label) of a loaded corpus.

    Settings used: ``[suggest]`` and ``[analysis] seed``, ``[themes] kwic_window``;
    ``method`` and ``top_n`` override ``[suggest]``.
    """
    theme = theme_by_name(corpus.themes, theme_name)
    section = settings.suggest
    sentences = [list(tokens) for tokens in corpus.at_grain("sentence")["tokens"]]
    return suggest_terms(
        theme,
        sentences,
        corpus.units,
        method=method or section.method,
        seed=settings.analysis.seed,
        top_n=top_n or section.top_n,
        min_count=section.min_count,
        word2vec_min_tokens=section.word2vec_min_tokens,
        vector_size=section.vector_size,
        window=section.window,
        epochs=section.epochs,
        kwic_window=settings.themes.kwic_window,
        unit_tokens=corpus.tokens,
    )
