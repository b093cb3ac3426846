"""Building a :class:`~speechtopics.corpus.model.Corpus` from a folder of speeches.

Load (read, decode, clean, dedupe) → segment into paragraph units →
tokenize, with the token lists of each speech cached on disk under
``data/interim/cache``. The cache key of a speech is its unit texts, the
tokenizer's key (lexicon files and settings) and the source of the text
layer that computes tokens, so editing the user dictionary, a setting or
the tokenizer's code re-tokenizes, and nothing else does.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from ..config import Paths, Settings, as_settings, check_separate_folders, default_paths
from ..io import cache_memory, call_cached, json_sha256, source_hash
from ..progress import track
from ..text.clean import CleanResult, clean_text, default_rules
from ..text.lexicon import Theme, load_themes, load_word_list
from ..text.segment import Unit, segment_speech
from ..text.tokenize import Tokenizer
from .files import load_corpus
from .model import Corpus
from .readcache import ReadCache

#: Source folders whose code decides the tokens (see :func:`token_cache_key`).
TOKEN_CODE = ("config", "io.py", "text")


@lru_cache(maxsize=8)
def _cleaning_rules(watermarks: tuple[str, ...], traditional_to_simplified: bool) -> list:
    """The rules of a cleaner, built once per process (a Spark worker unpickles many cleaners)."""
    return default_rules(
        watermarks=list(watermarks), traditional_to_simplified_enabled=traditional_to_simplified
    )


class Cleaner:
    """The cleaning function of a run (``str -> CleanResult``) and the key of what it depends on.

    Picklable by its parameters (the rules are rebuilt where it is unpickled),
    so the same cleaning runs in worker processes and Spark tasks.

    Parameters
    ----------
    watermarks : list of str
        The noise list (``noise.txt``).
    traditional_to_simplified : bool
        The ``[clean]`` setting.
    """

    def __init__(self, watermarks: Sequence[str], traditional_to_simplified: bool) -> None:
        self.watermarks = tuple(watermarks)
        self.traditional_to_simplified = traditional_to_simplified
        self.rules = _cleaning_rules(self.watermarks, traditional_to_simplified)
        self.cache_key = json_sha256(
            {
                "watermarks": list(self.watermarks),
                "traditional_to_simplified": traditional_to_simplified,
            }
        )

    def __reduce__(self) -> tuple:
        return (Cleaner, (self.watermarks, self.traditional_to_simplified))

    def __call__(self, text: str) -> CleanResult:
        return clean_text(text, self.rules)


def build_cleaner(paths: Paths, settings: Settings) -> Cleaner:
    """The cleaning function for a run: default rules with the noise list from the lexicon."""
    return Cleaner(load_word_list(paths.noise), settings.clean.traditional_to_simplified)


def build_tokenizer(paths: Paths, settings: Settings, themes: Sequence[Theme] = ()) -> Tokenizer:
    """The project's tokenizer: lexicon folder and ``[tokenize]`` settings.

    Theme terms are never dropped as stopwords.
    """
    keep = {term for theme in themes for term in theme.terms}
    return Tokenizer.from_lexicon(paths.lexicon, settings=settings.tokenize, keep=keep)


def token_cache_key(tokenizer: Tokenizer) -> str:
    """Key of cached token lists: the tokenizer's key and the code of the layers it runs."""
    return f"{tokenizer.cache_key}:{source_hash(TOKEN_CODE)}"


def _tokenize_texts(texts: list[str], cache_key: str, tokenizer: Tokenizer) -> list[list[str]]:
    """Token lists of ``texts`` (the cached unit of work: one speech's units)."""
    return tokenizer.tokenize_many(texts)


def tokenize_units(
    units: Sequence[Unit],
    tokenizer: Tokenizer,
    paths: Paths,
    progress: bool,
    force: bool,
    problems: list[str] | None = None,
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Token lists of every unit, one cache entry per speech.

    Parameters
    ----------
    problems : list of str, optional
        Receives a line for each cache entry rejected (and recomputed) or not stored.

    Returns
    -------
    (tokens, stats)
        ``unit_id -> tokens`` and counts of speeches tokenized, reused and repaired.
    """
    cached = cache_memory(paths.cache).cache(_tokenize_texts, ignore=["tokenizer"])
    key = token_cache_key(tokenizer)
    tokens: dict[str, list[str]] = {}
    stats = {"speeches_tokenized": 0, "speeches_from_cache": 0}
    by_doc: dict[str, list[Unit]] = {}
    for unit in units:
        by_doc.setdefault(unit.doc_id, []).append(unit)
    items = track(
        list(by_doc.values()), len(by_doc), "tokenize", "speech", enabled=progress or None
    )
    for doc_units in items:
        texts = [unit.text for unit in doc_units]
        doc_tokens, status = call_cached(cached, texts, key, tokenizer, force=force)
        stats["speeches_from_cache" if status == "reused" else "speeches_tokenized"] += 1
        if status == "repaired":
            stats["cache_entries_repaired"] = stats.get("cache_entries_repaired", 0) + 1
        if cached.problem and problems is not None:
            problems.append(f"tokens of {doc_units[0].doc_id}: {cached.problem}")
        for unit, unit_tokens in zip(doc_units, doc_tokens, strict=True):
            tokens[unit.unit_id] = unit_tokens
    return tokens, stats


#: Why a speech without tokens is left out of the analyses that need them.
NO_TOKENS_MESSAGE = (
    "no tokens after filtering (every word is a stopword, a number, too short or not "
    "Chinese); kept in the overview, left out of keywords, themes, topics and clusters"
)


def flag_speeches_without_tokens(corpus: Corpus) -> None:
    """Add a load-report warning for every speech that has no token."""
    files = {speech.doc_id: speech.file for speech in corpus.speeches}
    for doc_id, count in corpus.token_counts().items():
        if count == 0:
            corpus.report.warnings.append({"file": files[doc_id], "message": NO_TOKENS_MESSAGE})


def load(
    paths: Paths | None = None,
    settings: Settings | None = None,
    progress: bool = False,
    force: bool = False,
) -> Corpus:
    """Load, clean, segment and tokenize a folder of speeches.

    Parameters
    ----------
    paths : Paths, optional
        Defaults to the project's paths (``data/raw`` …).
    settings : Settings, optional
        Defaults to ``speechtopics.toml``.
    progress : bool
        Show progress bars.
    force : bool
        Re-tokenize every speech even when its tokens are cached.

    Returns
    -------
    Corpus
    """
    settings = as_settings(settings)
    paths = default_paths(settings) if paths is None else paths
    check_separate_folders(paths)
    themes = load_themes(paths.themes)
    cleaner = build_cleaner(paths, settings)
    read_cache = ReadCache(cache_memory(paths.cache), cleaner.cache_key) if not force else None
    speeches, report = load_corpus(
        paths.raw, paths.metadata, cleaner, progress=progress, cache=read_cache
    )
    units: list[Unit] = []
    for speech in speeches:
        units.extend(segment_speech(speech.doc_id, speech.text))
    tokenizer = build_tokenizer(paths, settings, themes)
    problems = read_cache.problems if read_cache is not None else []
    tokens, stats = tokenize_units(units, tokenizer, paths, progress, force, problems)
    if read_cache is not None:
        stats.update(read_cache.stats)
    corpus = Corpus(
        speeches=speeches,
        report=report,
        units=units,
        tokens=tokens,
        tokenizer=tokenizer,
        themes=themes,
        stats=stats,
        cache_problems=problems,
    )
    flag_speeches_without_tokens(corpus)
    return corpus
