"""Tokenization: jieba with the domain dictionary, stopwords and filters.

:class:`Tokenizer` owns its segmenter (a ``jieba.Tokenizer`` or, on the fast
path, an ``rjieba.Jieba`` — both load the same user dictionary entries), so
nothing depends on jieba's global state. An instance is a callable
``str -> list[str]`` usable as scikit-learn's ``analyzer=`` and produces
the token lists gensim takes.

Speed: the fast backend is rjieba (jieba-rs) corrected where it differs
from jieba, so that both backends give the same words (``_JiebaCompatible``);
each distinct segmented word is judged by the filters once and the verdict
remembered (the filters are pure functions of the word); and
:meth:`Tokenizer.tokenize_many` / :meth:`Tokenizer.tokenize_iter` can spread
large inputs over worker processes in ordered batches (``n_jobs``). All of
these give exactly the tokens of calling :meth:`Tokenizer.tokenize` on each
text in turn with the jieba backend.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from ..config import TokenizeSettings
from ..io import file_sha256, json_sha256, library_versions, sha256_hex
from .lexicon import UserDictEntry, load_stopwords, load_synonyms, load_userdict

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NUMBER_RE = re.compile(r"^[0-9０-９.,%％零〇一二三四五六七八九十百千万亿两几]+$")
_WORD_RE = re.compile(r"\w", re.UNICODE)

# Where the fast backend's raw output can differ from jieba's (see _JiebaCompatible):
# a run of letters/digits joined by . - _ % + # & (``2-3``, ``qq.com``, ``23.5mm``) …
_JOINED_LATIN_RE = re.compile(r"[a-zA-Z0-9][._%+#&\-]|[._%+#&\-][a-zA-Z0-9]")
# … which jieba splits like this (its HMM fallback; without HMM, letter/digit runs and single characters)
_JIEBA_SKIP_RE = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
_JIEBA_NO_HMM_PIECE_RE = re.compile(r"[a-zA-Z0-9]+|.", re.DOTALL)
_JIEBA_HAN_RE = re.compile(r"[\u4E00-\u9FD5]")
# … and a Han string repeated three times (好好好, 很多很多很多): equally likely routes,
# tie-broken differently. jieba's dictionary repeats units of up to 3 characters (一点儿一点儿).
_CUBE_PERIOD = 4
_POWER_RE = re.compile(r"^(.+?)\1+$", re.DOTALL)


def _han_cube_re(max_period: int) -> re.Pattern[str]:
    """Matches a Han string of 1 … ``max_period`` characters said three times in a row."""
    return re.compile(rf"([\u4E00-\u9FD5]{{1,{max_period}}})\1\1")


_HAN_CUBE_RE = _han_cube_re(_CUBE_PERIOD)
# jieba's blocks (its ``re_han_default``) and what it yields between them one by one
_JIEBA_BLOCK_RE = re.compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+)")
_JIEBA_SEPARATOR_RE = re.compile(r"(\r\n|\s)")
# Ideographs jieba-rs puts in its blocks and jieba does not
_RUST_ONLY_HAN_RE = re.compile("[\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
# A word no text can contain (private-use characters are never part of a jieba block).
_TOTAL_PAD_WORD = "\ue000\ue001"
#: Bumped whenever the tokens of some text change for the same lexicon and settings.
SEGMENTATION_VERSION = 3
#: jieba blocks (runs of Han, letters and digits without punctuation) longer than
#: this are segmented in pieces of this length: jieba's work on one block grows
#: faster than its length (100,000 × 办 took 44 s), and no sentence of the bench
#: corpora has a block longer than 500 characters.
MAX_BLOCK_CHARS = 1000
_LONG_BLOCK_RE = re.compile(
    rf"(?<![\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-])[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]{{{MAX_BLOCK_CHARS + 1},}}"
)


def bounded_pieces(text: str) -> list[str]:
    """``text`` cut so that no jieba block is longer than :data:`MAX_BLOCK_CHARS`.

    Cuts fall only inside over-long blocks, so every other text is returned
    whole and segments exactly as before.
    """
    if len(text) <= MAX_BLOCK_CHARS:
        return [text]
    pieces: list[str] = []
    start = 0
    for match in _LONG_BLOCK_RE.finditer(text):
        if match.start() > start:
            pieces.append(text[start : match.start()])
        block = match.group(0)
        pieces.extend(block[i : i + MAX_BLOCK_CHARS] for i in range(0, len(block), MAX_BLOCK_CHARS))
        start = match.end()
    if not pieces:
        return [text]
    if start < len(text):
        pieces.append(text[start:])
    return pieces


BACKENDS = ("auto", "jieba", "rjieba")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")

#: ``tokenize_many`` starts worker processes on its own only for inputs of at least
#: this many characters and on machines with at least PARALLEL_MIN_CORES cores.
#: A worker costs a fresh interpreter that loads the dictionaries (one to two
#: seconds), and shipping texts and tokens between processes costs a good part of
#: what tokenizing them costs: on 2 shared cores the workers gained nothing
#: (benchmarks/run.py), so there the default stays in-process.
PARALLEL_MIN_CHARS = 5_000_000
PARALLEL_MIN_CORES = 4
#: Characters per batch sent to a worker process.
BATCH_CHARS = 250_000
#: The remembered filter verdicts are dropped when they exceed this many words.
MAX_REMEMBERED_WORDS = 2_000_000


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, else ``os.cpu_count()``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _rjieba_available() -> bool:
    try:
        import rjieba  # noqa: F401
    except ImportError:
        return False
    return True


def _build_jieba(entries: Sequence[UserDictEntry]):
    """A fresh ``jieba.Tokenizer`` with the user dictionary entries added (never the module-level default instance)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    for entry in entries:
        segmenter.add_word(entry.word, entry.freq, entry.pos)
    return segmenter


def _jieba_dictionary_freqs(words: set[str]) -> dict[str, int]:
    """Frequencies of ``words`` in jieba's main dictionary (``jieba/dict.txt``); empty without jieba.

    The file is found without importing jieba (whose import loads its HMM tables).
    """
    if not words:
        return {}
    from importlib.util import find_spec

    spec = find_spec("jieba")
    if spec is None or spec.origin is None:
        return {}
    dictionary = Path(spec.origin).with_name("dict.txt")
    try:
        data = b"\n" + dictionary.read_bytes()
    except OSError:
        return {}
    freqs: dict[str, int] = {}
    for word in words:
        key = b"\n" + word.encode("utf-8") + b" "
        start = data.find(key)
        if start >= 0:
            freq = re.match(rb"\d+", data[start + len(key) : start + len(key) + 24])
            if freq is not None:
                freqs[word] = int(freq.group(0))
    return freqs


class _JiebaCompatible:
    """rjieba (jieba-rs) made to segment exactly like jieba with the same dictionary.

    Three differences of the raw fast segmenter are corrected:

    1. *Dictionary total.* jieba's ``add_word`` adds a user word's frequency
       to the dictionary total without taking off the frequency the word
       already had; jieba-rs replaces it. The totals then differ by the old
       frequencies of user words already in the dictionary, which changes
       some routes (``启动时`` vs ``启动|时``). A padding word no text can
       contain, carrying that difference, makes the totals equal.
    2. *Joined letters and digits.* jieba-rs keeps ``2-3``, ``qq.com`` or
       ``23.5mm`` whole where jieba splits them (``2|-|3``). Such words are
       split again by jieba's own rule for unknown non-Han runs.
    3. *Ties.* In a Han string repeated three times (``好好好``) several
       routes are equally likely and the two break the tie differently; the
       block holding one is segmented by jieba itself (built on first need).
    4. *Rare ideographs.* jieba-rs counts CJK extension and compatibility
       ideographs (``㐀``, ``﨑``) as Han, jieba does not: a text holding one is
       cut block by block as jieba cuts it, those characters standing alone.

    Parameters
    ----------
    entries : sequence of UserDictEntry
        The user dictionary, added in order.
    hmm : bool
        Let the segmenter guess unknown words with its HMM.
    """

    def __init__(self, entries: Sequence[UserDictEntry], hmm: bool = True) -> None:
        import rjieba

        self.hmm = hmm
        self._entries = list(entries)
        self._reference = None
        rust = rjieba.Jieba()
        present = {entry.word for entry in entries if rust.has_word(entry.word)}
        dictionary_freqs = _jieba_dictionary_freqs(present)
        current: dict[str, int] = {}
        total_difference = 0
        for entry in entries:
            total_difference += current.get(entry.word, dictionary_freqs.get(entry.word, 0))
            current[entry.word] = rust.add_word(entry.word, entry.freq, entry.pos)
        if total_difference:
            rust.add_word(_TOTAL_PAD_WORD, total_difference, None)
        self.rust = rust
        # a user word repeating a longer unit (一小撮一小撮) widens the tie check
        periods = [_CUBE_PERIOD]
        for entry in entries:
            power = _POWER_RE.match(entry.word)
            if power is not None:
                periods.append(len(power.group(1)))
        self._cube_re = _HAN_CUBE_RE if max(periods) == _CUBE_PERIOD else _han_cube_re(max(periods))

    @property
    def reference(self):
        """jieba itself with the same entries, built when a text first needs it (once per process)."""
        if self._reference is None:
            self._reference = _shared_jieba(tuple(self._entries))
        return self._reference

    def cut(self, text: str) -> list[str]:
        """Words of ``text``, exactly as ``jieba.Tokenizer.lcut(text, HMM=hmm)`` gives them."""
        if self._cube_re.search(text) is None and _RUST_ONLY_HAN_RE.search(text) is None:
            return self._cut_block(text)
        # jieba cuts each run of its Han/letter characters (a block) on its own
        # and yields the characters between blocks one by one
        words: list[str] = []
        for piece in _JIEBA_BLOCK_RE.split(text):
            if not piece:
                continue
            if _JIEBA_BLOCK_RE.fullmatch(piece) is None:
                for part in _JIEBA_SEPARATOR_RE.split(piece):
                    if _JIEBA_SEPARATOR_RE.fullmatch(part):
                        words.append(part)
                    else:
                        words.extend(part)
            elif self._cube_re.search(piece) is not None:
                words.extend(self.reference.cut(piece, HMM=self.hmm))
            else:
                words.extend(self._cut_block(piece))
        return words

    def _cut_block(self, text: str) -> list[str]:
        """rjieba's words of a text without repeated Han strings, joined letters split like jieba's."""
        words = self.rust.cut(text, self.hmm)
        if _JOINED_LATIN_RE.search(text) is None:
            return words
        has_word = self.rust.has_word
        fixed: list[str] = []
        for word in words:
            if (
                len(word) > 1
                and _JIEBA_HAN_RE.search(word) is None
                and not has_word(word)
                and (self.hmm is False or _JIEBA_SKIP_RE.fullmatch(word) is None)
                and _JOINED_LATIN_RE.search(word) is not None
            ):
                if self.hmm:
                    fixed.extend(piece for piece in _JIEBA_SKIP_RE.split(word) if piece)
                else:
                    fixed.extend(_JIEBA_NO_HMM_PIECE_RE.findall(word))
            else:
                fixed.append(word)
        return fixed


@lru_cache(maxsize=4)
def _shared_jieba(entries: tuple[UserDictEntry, ...]):
    """One jieba reference segmenter per user dictionary in a process (loading it takes half a second)."""
    return _build_jieba(entries)


class _Verdicts(dict):
    """Segmented word -> the token it becomes (``""`` when the filters drop it).

    A missing word is judged by :meth:`Tokenizer.keep_token` on first sight;
    the filters depend on the word alone, so remembering the verdict changes
    no result. Forgets everything past :data:`MAX_REMEMBERED_WORDS` words.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        super().__init__()
        self._keep_token = tokenizer.keep_token

    def __missing__(self, word: str) -> str:
        if len(self) >= MAX_REMEMBERED_WORDS:
            self.clear()
        stripped = word.strip()
        token = stripped if self._keep_token(stripped) else ""
        self[word] = token
        return token


@dataclass
class Tokenizer:
    """Chinese tokenizer owning its own segmenter.

    Parameters
    ----------
    userdict_path : Path or None
        jieba user dictionary, loaded by absolute path.
    stopwords : frozenset of str
        Tokens to drop.
    synonyms : mapping
        ``variant -> canonical`` text replacements applied before segmenting.
    settings : TokenizeSettings
        Filters.
    backend : {"auto", "jieba", "rjieba"}
        ``auto`` takes rjieba when installed (same segmentation as jieba,
        checked by the tests), else jieba.

    Examples
    --------
    >>> tok = Tokenizer.from_paths(paths)                      # doctest: +SKIP
    >>> TfidfVectorizer(analyzer=tok)                          # doctest: +SKIP
    """

    userdict_path: Path | None = None
    stopwords: frozenset[str] = frozenset()
    synonyms: Mapping[str, str] = field(default_factory=dict)
    settings: TokenizeSettings = field(default_factory=TokenizeSettings)
    backend: str = "auto"

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, not {self.backend!r}")
        if self.backend == "auto":
            self.backend = "rjieba" if _rjieba_available() else "jieba"
        if self.userdict_path is not None:
            self.userdict_path = Path(self.userdict_path).resolve()
        self._entries: list[UserDictEntry] = (
            load_userdict(self.userdict_path) if self.userdict_path is not None else []
        )
        self._segmenter = None
        self._pos_segmenter = None
        self._synonym_re = (
            re.compile("|".join(re.escape(v) for v in sorted(self.synonyms, key=len, reverse=True)))
            if self.synonyms and self.settings.use_synonyms
            else None
        )
        self._cache_key: str | None = None
        self._verdicts = _Verdicts(self)

    # ------------------------------------------------------------------ set-up

    @classmethod
    def from_lexicon(
        cls,
        lexicon_dir: Path,
        settings: TokenizeSettings | None = None,
        backend: str | None = None,
        keep: Iterable[str] = (),
    ) -> Tokenizer:
        """Build a tokenizer from a lexicon folder (``userdict.txt``, ``stopwords.txt``, ``synonyms.txt``).

        Parameters
        ----------
        keep : iterable of str
            Words never treated as stopwords (the theme terms).
        """

        lexicon_dir = Path(lexicon_dir)
        return cls(
            userdict_path=lexicon_dir / "userdict.txt",
            stopwords=load_stopwords(lexicon_dir / "stopwords.txt", keep=frozenset(keep)),
            synonyms=load_synonyms(lexicon_dir / "synonyms.txt"),
            settings=settings or TokenizeSettings(),
            backend=backend or (settings or TokenizeSettings()).backend,
        )

    def _build_segmenter(self):
        if self.backend == "rjieba":
            return _JiebaCompatible(self._entries, hmm=self.settings.hmm)
        return _build_jieba(self._entries)

    @property
    def segmenter(self):
        """The owned segmenter, built on first use."""
        if self._segmenter is None:
            self._segmenter = self._build_segmenter()
        return self._segmenter

    @property
    def cache_key(self) -> str:
        """Hash of the user dictionary, stopwords, synonyms, settings and backend.

        Token lists cached under this key are valid exactly as long as none
        of these change.
        """
        if self._cache_key is None:
            payload = {
                "userdict": file_sha256(self.userdict_path) if self.userdict_path else "none",
                "stopwords": sha256_hex("\n".join(sorted(self.stopwords))),
                "synonyms": sorted(self.synonyms.items()),
                "settings": asdict(self.settings),
                "backend": self.backend,
                "segmentation": SEGMENTATION_VERSION,
                "libraries": library_versions(("jieba", "rjieba", "opencc")),
            }
            self._cache_key = json_sha256(payload)
        return self._cache_key

    # ------------------------------------------------------------------ work

    def apply_synonyms(self, text: str) -> str:
        """Replace each synonym variant with its canonical form (and lone surrogates with U+FFFD)."""
        if _SURROGATE_RE.search(text):
            # Undecodable bytes smuggled in as surrogates (e.g. from a shell argument) cannot be encoded.
            text = _SURROGATE_RE.sub("\ufffd", text)
        if self._synonym_re is None:
            return text
        return self._synonym_re.sub(lambda m: self.synonyms[m.group(0)], text)

    def segment(self, text: str) -> list[str]:
        """Every word jieba produces, unfiltered (punctuation and spaces included)."""
        text = self.apply_synonyms(text)
        words: list[str] = []
        for piece in bounded_pieces(text):
            if self.backend == "rjieba":
                words.extend(self.segmenter.cut(piece))
            else:
                words.extend(self.segmenter.cut(piece, HMM=self.settings.hmm))
        return words

    def tag(self, text: str) -> list[tuple[str, str]]:
        """Words with their part-of-speech tags, as ``jieba.posseg`` gives them.

        The POS tagger guesses unknown words with its own HMM, so it is
        jieba's on both backends (rjieba's tagger segments and tags
        differently); POS filtering therefore runs at jieba's speed.
        """
        text = self.apply_synonyms(text)
        if self._pos_segmenter is None:
            import jieba.posseg

            # posseg moves the user words' tags out of the segmenter it wraps: give it its own
            jieba_segmenter = (
                _build_jieba(self._entries) if self.backend == "rjieba" else self.segmenter
            )
            self._pos_segmenter = jieba.posseg.POSTokenizer(jieba_segmenter)
        return [
            (pair.word, pair.flag)
            for piece in bounded_pieces(text)
            for pair in self._pos_segmenter.cut(piece, HMM=self.settings.hmm)
        ]

    def keep_token(self, token: str) -> bool:
        """Whether a segmented word survives the filters (stopwords, length, numbers, punctuation)."""
        settings = self.settings
        if not token or not _WORD_RE.search(token):
            return False
        if len(token) < settings.min_token_length:
            return False
        if token in self.stopwords:
            return False
        has_cjk = _CJK_RE.search(token) is not None
        if settings.drop_numbers and _NUMBER_RE.match(token):
            return False
        if not has_cjk and not settings.keep_latin:
            return False
        return True

    def tokenize(self, text: str) -> list[str]:
        """Filtered tokens of ``text`` (one text: a paragraph, a section or a speech)."""
        verdicts = self._verdicts
        if self.settings.keep_pos:
            prefixes = self.settings.keep_pos
            return [
                token
                for word, pos in self.tag(text)
                if pos.startswith(prefixes) and (token := verdicts[word])
            ]
        return list(filter(None, map(verdicts.__getitem__, self.segment(text))))

    __call__ = tokenize

    def tokenize_many(self, texts: Sequence[str], n_jobs: int | None = None) -> list[list[str]]:
        """Filtered tokens of each text, in the order of ``texts``.

        Parameters
        ----------
        texts : sequence of str
            Texts at any grain (paragraphs, speeches, reviews).
        n_jobs : int, optional
            Worker processes. ``None`` uses every available core when there
            are at least :data:`PARALLEL_MIN_CORES` of them and the texts
            hold at least :data:`PARALLEL_MIN_CHARS` characters, and this
            process otherwise; ``1`` never starts a worker.

        Returns
        -------
        list of list of str
            Exactly ``[self.tokenize(text) for text in texts]``.
        """
        if n_jobs is None:
            n_jobs = 1
            cores = available_cores()
            if cores >= PARALLEL_MIN_CORES:
                total = 0
                for text in texts:
                    total += len(text)
                    if total >= PARALLEL_MIN_CHARS:
                        n_jobs = cores
                        break
        return list(self.tokenize_iter(texts, n_jobs=n_jobs))

    def tokenize_iter(
        self, texts: Iterable[str], n_jobs: int = 1, batch_chars: int = BATCH_CHARS
    ) -> Iterator[list[str]]:
        """Stream the filtered tokens of each text, in order, holding only a few batches at once.

        Parameters
        ----------
        texts : iterable of str
            Texts at any grain; read lazily, so a file can be streamed.
        n_jobs : int
            Worker processes (``1``: tokenize here; ``-1``: every available core).
        batch_chars : int
            Characters per batch handed to a worker.

        Yields
        ------
        list of str
            The tokens of each text, exactly as :meth:`tokenize` gives them.
        """
        if n_jobs < 0:
            n_jobs = available_cores()
        if n_jobs <= 1:
            for text in texts:
                yield self.tokenize(text)
            return
        from joblib import Parallel, delayed

        _ = self.cache_key  # computed once here, shipped to the workers with the settings
        parallel = Parallel(
            n_jobs=n_jobs, backend="loky", return_as="generator", pre_dispatch=f"{2 * n_jobs}"
        )
        for batch_tokens in parallel(
            delayed(_tokenize_batch)(self, batch) for batch in _batches(texts, batch_chars)
        ):
            yield from batch_tokens

    def __deepcopy__(self, memo: dict) -> Tokenizer:
        # Settings never change after construction: copies (scikit-learn's
        # clone) can share the instance and its loaded dictionary.
        return self

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_segmenter"] = None
        state["_pos_segmenter"] = None
        del state["_verdicts"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._verdicts = _Verdicts(self)

    def __repr__(self) -> str:
        return (
            f"Tokenizer(backend={self.backend!r}, userdict={str(self.userdict_path)!r}, "
            f"entries={len(self._entries)}, stopwords={len(self.stopwords)}, settings={self.settings})"
        )


def _batches(texts: Iterable[str], batch_chars: int) -> Iterator[list[str]]:
    """Consecutive lists of texts holding about ``batch_chars`` characters each."""
    batch: list[str] = []
    size = 0
    for text in texts:
        batch.append(text)
        size += len(text)
        if size >= batch_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


#: In a worker process: tokenizers by cache key, each with its segmenter built once.
_WORKER_TOKENIZERS: dict[str, Tokenizer] = {}


def _tokenize_batch(tokenizer: Tokenizer, texts: list[str]) -> list[list[str]]:
    """Tokenize one batch in a worker, reusing the worker's tokenizer with the same cache key."""
    own = _WORKER_TOKENIZERS.setdefault(tokenizer.cache_key, tokenizer)
    return [own.tokenize(text) for text in texts]
