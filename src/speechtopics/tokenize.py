"""Tokenization: jieba with the domain dictionary, stopwords and filters.

:class:`Tokenizer` owns its segmenter (a ``jieba.Tokenizer`` or, on the fast
path, an ``rjieba.Jieba`` — both load the same user dictionary entries), so
nothing depends on jieba's global state. An instance is a callable
``str -> list[str]`` usable as scikit-learn's ``analyzer=`` and produces
the token lists gensim takes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .lexicon import UserDictEntry, file_sha256, load_userdict

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NUMBER_RE = re.compile(r"^[0-9０-９.,%％零〇一二三四五六七八九十百千万亿两几]+$")
_WORD_RE = re.compile(r"\w", re.UNICODE)

BACKENDS = ("auto", "jieba", "rjieba")


@dataclass(frozen=True)
class TokenizerSettings:
    """Everything besides the lexicon files that changes the tokens.

    Attributes
    ----------
    min_token_length : int
        Drop tokens shorter than this (2 drops single characters).
    drop_numbers : bool
        Drop numbers (Arabic and Chinese numerals).
    keep_latin : bool
        Keep tokens with no Chinese character (``GDP``); dropped by default.
    keep_pos : tuple of str
        Keep only tokens whose POS tag starts with one of these; empty keeps all.
    use_synonyms : bool
        Apply the synonym map before segmentation.
    hmm : bool
        Let jieba guess unknown words with its HMM.
    """

    min_token_length: int = 2
    drop_numbers: bool = True
    keep_latin: bool = False
    keep_pos: tuple[str, ...] = ()
    use_synonyms: bool = True
    hmm: bool = True


def _rjieba_available() -> bool:
    try:
        import rjieba  # noqa: F401
    except ImportError:
        return False
    return True


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
    settings : TokenizerSettings
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
    settings: TokenizerSettings = field(default_factory=TokenizerSettings)
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

    # ------------------------------------------------------------------ set-up

    @classmethod
    def from_lexicon(
        cls,
        lexicon_dir: Path,
        settings: TokenizerSettings | None = None,
        backend: str = "auto",
        keep: Iterable[str] = (),
    ) -> Tokenizer:
        """Build a tokenizer from a lexicon folder (``userdict.txt``, ``stopwords.txt``, ``synonyms.txt``).

        Parameters
        ----------
        keep : iterable of str
            Words never treated as stopwords (the theme terms).
        """
        from .lexicon import load_stopwords, load_synonyms

        lexicon_dir = Path(lexicon_dir)
        return cls(
            userdict_path=lexicon_dir / "userdict.txt",
            stopwords=load_stopwords(lexicon_dir / "stopwords.txt", keep=frozenset(keep)),
            synonyms=load_synonyms(lexicon_dir / "synonyms.txt"),
            settings=settings or TokenizerSettings(),
            backend=backend,
        )

    def _build_segmenter(self):
        if self.backend == "rjieba":
            import rjieba

            segmenter = rjieba.Jieba()
            for entry in self._entries:
                segmenter.add_word(entry.word, entry.freq, entry.pos)
            return segmenter
        import jieba

        jieba.setLogLevel(logging.WARNING)
        segmenter = jieba.Tokenizer()
        segmenter.initialize()
        for entry in self._entries:
            segmenter.add_word(entry.word, entry.freq, entry.pos)
        return segmenter

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
                "stopwords": hashlib.sha256("\n".join(sorted(self.stopwords)).encode()).hexdigest(),
                "synonyms": sorted(self.synonyms.items()),
                "settings": asdict(self.settings),
                "backend": self.backend,
            }
            self._cache_key = hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        return self._cache_key

    # ------------------------------------------------------------------ work

    def apply_synonyms(self, text: str) -> str:
        """Replace each synonym variant with its canonical form."""
        if self._synonym_re is None:
            return text
        return self._synonym_re.sub(lambda m: self.synonyms[m.group(0)], text)

    def segment(self, text: str) -> list[str]:
        """Every word jieba produces, unfiltered (punctuation and spaces included)."""
        text = self.apply_synonyms(text)
        if self.backend == "rjieba":
            return list(self.segmenter.cut(text, self.settings.hmm))
        return list(self.segmenter.cut(text, HMM=self.settings.hmm))

    def tag(self, text: str) -> list[tuple[str, str]]:
        """Words with their part-of-speech tags."""
        text = self.apply_synonyms(text)
        if self.backend == "rjieba":
            return [(word, pos) for word, pos in self.segmenter.tag(text, self.settings.hmm)]
        if self._pos_segmenter is None:
            import jieba.posseg

            self._pos_segmenter = jieba.posseg.POSTokenizer(self.segmenter)
        return [(pair.word, pair.flag) for pair in self._pos_segmenter.cut(text, HMM=self.settings.hmm)]

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
        """Filtered tokens of ``text``."""
        if self.settings.keep_pos:
            prefixes = self.settings.keep_pos
            return [
                word.strip()
                for word, pos in self.tag(text)
                if pos.startswith(prefixes) and self.keep_token(word.strip())
            ]
        return [word.strip() for word in self.segment(text) if self.keep_token(word.strip())]

    __call__ = tokenize

    def tokenize_many(self, texts: Sequence[str]) -> list[list[str]]:
        """Filtered tokens of each text."""
        return [self.tokenize(text) for text in texts]

    def __deepcopy__(self, memo: dict) -> Tokenizer:
        # Settings never change after construction: copies (scikit-learn's
        # clone) can share the instance and its loaded dictionary.
        return self

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_segmenter"] = None
        state["_pos_segmenter"] = None
        return state

    def __repr__(self) -> str:
        return (
            f"Tokenizer(backend={self.backend!r}, userdict={str(self.userdict_path)!r}, "
            f"entries={len(self._entries)}, stopwords={len(self.stopwords)}, settings={self.settings})"
        )
