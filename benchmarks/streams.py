"""Streaming corpora for the benchmarks: texts, token lists and bags of words never all in memory.

The scaling benchmark runs the project's tokenizer and a gensim model over
re-iterable streams, gensim-style, on corpora far larger than a folder of
speeches (the pipeline itself holds a corpus in memory; beyond one machine
it runs on Spark, see ``docs/scaling.md``):

1. :func:`iter_tsv_column` / :func:`iter_lines` read texts lazily from a file;
2. :func:`write_token_file` tokenizes them once (in ordered parallel batches)
   into a :class:`TokenFile`, one unit per line, tokens separated by spaces;
3. ``speechtopics.analysis.vectors.build_dictionary`` makes a gensim
   ``Dictionary`` in one pass over it;
4. :class:`BowStream` yields each unit's bag of words for ``LdaModel``
   (``chunksize`` bounds what the model holds), pass after pass.

Memory then depends on the vocabulary and the model, not on the number of
units. Each function works at whatever grain the file holds (a review, a
paragraph, a speech per line).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from speechtopics.text.tokenize import BATCH_CHARS, Tokenizer

TOKEN_SEPARATOR = " "


def iter_lines(path: Path) -> Iterator[str]:
    """Each line of a UTF-8 text file without its line ending (one unit per line).

    Parameters
    ----------
    path : Path
        A file with one text per line (``paragraphs.txt``).
    """
    with Path(path).open(encoding="utf-8", newline="") as handle:
        for line in handle:
            yield line.rstrip("\r\n")


def iter_tsv_column(path: Path, column: str = "text") -> Iterator[str]:
    """The values of one column of a tab-separated file with a header row, read lazily.

    Fields are unquoted (``csv.QUOTE_NONE``): a quote mark is text, as in the
    bench corpora, whose texts hold no tab or newline.

    Parameters
    ----------
    path : Path
        UTF-8 TSV whose first row names the columns.
    column : str
        Column to read (``text``).

    Raises
    ------
    KeyError
        If the header has no such column.
    """
    csv.field_size_limit(sys.maxsize)
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if column not in header:
            raise KeyError(f"{path}: no column {column!r}; columns are {', '.join(header)}")
        index = header.index(column)
        for row in reader:
            yield row[index] if index < len(row) else ""


def resample_texts(texts: Iterable[str], factor: float, random_state: int) -> Iterator[str]:
    """Draw ``round(factor * n)`` texts with replacement (seeded), streaming the draws.

    Only the source texts are held (once); the resampled corpus, which may
    be many times larger, is yielded one text at a time.

    Parameters
    ----------
    texts : iterable of str
        Source units (reviews, paragraphs).
    factor : float
        Size of the result relative to the source (8 gives eight times as many units).
    random_state : int
        Seed of the draws (``numpy.random.default_rng``).
    """
    source = list(texts)
    if not source:
        return
    rng = np.random.default_rng(random_state)
    total = int(round(factor * len(source)))
    block = 65_536
    for start in range(0, total, block):
        for index in rng.integers(0, len(source), size=min(block, total - start)):
            yield source[index]


def write_tsv_texts(texts: Iterable[str], path: Path, column: str = "text") -> int:
    """Write texts as a one-column TSV (header ``column``) that :func:`iter_tsv_column` reads back.

    Tabs and line breaks inside a text become spaces. Returns the number of rows.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(column + "\n")
        for text in texts:
            handle.write(text.replace("\t", " ").replace("\r", " ").replace("\n", " ") + "\n")
            count += 1
    return count


class TokenFile:
    """Token lists stored one unit per line, re-iterable like a gensim corpus.

    Parameters
    ----------
    path : Path
        UTF-8 file: tokens separated by single spaces, one unit per line (an
        empty line is a unit without tokens).
    n_units : int, optional
        Number of lines, when known (saves a counting pass for ``len``).
    """

    def __init__(self, path: Path, n_units: int | None = None) -> None:
        self.path = Path(path)
        self._n_units = n_units

    def __iter__(self) -> Iterator[list[str]]:
        with self.path.open(encoding="utf-8", newline="\n") as handle:
            for line in handle:
                line = line.rstrip("\n")
                yield line.split(TOKEN_SEPARATOR) if line else []

    def __len__(self) -> int:
        if self._n_units is None:
            with self.path.open("rb") as handle:
                self._n_units = sum(1 for _ in handle)
        return self._n_units

    def __repr__(self) -> str:
        return f"TokenFile({str(self.path)!r}, n_units={self._n_units})"


def write_token_file(
    texts: Iterable[str],
    tokenizer: Tokenizer,
    path: Path,
    n_jobs: int = 1,
    batch_chars: int = BATCH_CHARS,
) -> TokenFile:
    """Tokenize a stream of texts once and store the tokens, one unit per line.

    Parameters
    ----------
    texts : iterable of str
        Units at any grain, read lazily.
    tokenizer : Tokenizer
        The project's tokenizer.
    path : Path
        Where the token file goes.
    n_jobs : int
        Worker processes for tokenizing (``-1``: every available core);
        the order of the units is kept.
    batch_chars : int
        Characters per batch handed to a worker.

    Returns
    -------
    TokenFile

    Raises
    ------
    ValueError
        If a token holds a space or a line break (it could not be read back).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for tokens in tokenizer.tokenize_iter(texts, n_jobs=n_jobs, batch_chars=batch_chars):
            line = TOKEN_SEPARATOR.join(tokens)
            if line.count(TOKEN_SEPARATOR) != max(len(tokens) - 1, 0) or "\n" in line:
                raise ValueError(f"unit {count}: a token holds a space or line break: {tokens!r}")
            handle.write(line + "\n")
            count += 1
    return TokenFile(path, n_units=count)


class BowStream:
    """Bags of words of a re-iterable token stream, one unit at a time (gensim corpus protocol).

    Parameters
    ----------
    token_lists : re-iterable of list of str
        A :class:`TokenFile`, a list of token lists …
    dictionary : gensim.corpora.Dictionary
        Maps tokens to ids; unknown tokens are left out.
    """

    def __init__(self, token_lists: Iterable[list[str]], dictionary) -> None:
        self.token_lists = token_lists
        self.dictionary = dictionary

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        doc2bow = self.dictionary.doc2bow
        for tokens in self.token_lists:
            yield doc2bow(tokens)

    def __len__(self) -> int:
        return len(self.token_lists)  # type: ignore[arg-type]


__all__ = [
    "BowStream",
    "TokenFile",
    "iter_lines",
    "iter_tsv_column",
    "resample_texts",
    "write_token_file",
    "write_tsv_texts",
]
