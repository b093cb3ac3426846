"""What runs inside Spark's Python workers: the project's own code, one partition at a time.

Every function here is a ``mapPartitions`` body. They call the package's
readers, cleaning rules, segmentation, tokenizer, KWIC and topic units; Spark
only hands them rows. Nothing here imports pyspark: rows come in as
``pyspark.sql.Row`` objects (read like mappings) and leave as plain tuples
in the order of the schemas in :mod:`.schemas`.

The functions are imported by reference by the workers (the package must be
installed on every executor), so the worker cache below survives from task to
task in a reused Python worker: the tokenizer's dictionary is built once per
worker, not once per task.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ....analysis.themes.kwic import kwic
from ....analysis.themes.phrases import ThemeMatcher
from ....analysis.themes.rates import (
    section_outline,
    theme_rates_by_section,
    theme_rates_by_speech,
)
from ....analysis.topics.fit import topic_units
from ....corpus.files import file_speech, loaded_row, read_clean_file, traditional_note
from ....corpus.load import Cleaner
from ....corpus.metadata import METADATA_COLUMNS
from ....corpus.model import Corpus, LoadReport
from ....corpus.naming import speech_doc_id, speech_metadata
from ....io import sha256_hex
from ....text.clean import count_cjk
from ....text.lexicon import Theme
from ....text.segment import Unit, segment_speech, title_from_text, top_level_sections
from ....text.tokenize import Tokenizer
from .schemas import UNIT_FIELDS

#: Per Python worker: unpickled tokenizers by the hash of their bytes.
_WORKER_CACHE: dict[str, Tokenizer] = {}
#: Per Python worker: theme matchers by the hash of the tokenizer's bytes and the themes.
_MATCHERS: dict[tuple[str, tuple[Theme, ...]], ThemeMatcher] = {}


@dataclass(frozen=True)
class LoadJob:
    """What a task needs to read and clean speeches (small and picklable).

    Attributes
    ----------
    raw_dir : str
        The folder of speeches (file names are reported relative to it).
    cleaner : Cleaner
        The run's cleaning rules.
    rows_by_file : dict
        ``metadata.csv`` rows by their ``file`` cell.
    files : frozenset of str, optional
        Names (relative to ``raw_dir``) of the files the driver's walk of the
        folder chose to read; files Spark lists beyond them (hidden files,
        ``metadata.csv``, links) are passed over, as the local loader does.
    """

    raw_dir: str
    cleaner: Cleaner
    rows_by_file: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    files: frozenset[str] | None = None


def order_key(raw_dir: str, path: str) -> bytes:
    """Sort key of a file that orders like the local loader's sorted list of paths.

    The path's parts joined by a zero byte (it sorts below every other
    character, so the bytes compare like the list of parts).
    """
    parts = _relative(raw_dir, path).parts
    return b"\x00".join(os.fsencode(part) for part in parts)


def _skipped(name: str, key: bytes, notes: list[str], reason: str) -> tuple:
    return (name, key, "skipped", reason, notes) + (None,) * 16


def read_clean_one(path_text: str, data: bytes | None, job: LoadJob) -> tuple:
    """One file → one row of :data:`~.schemas.SPEECH_FIELDS`: a loaded speech or a skipped file.

    The per-file steps of :func:`~speechtopics.corpus.files.load_corpus`, by
    its own functions (read with the same limits, clean, the no-Chinese
    check, metadata row, doc_id, title, the ``loaded`` row); duplicates and
    doc_id clashes are corpus-wide and found by Spark afterwards.
    """
    path = Path(_local(path_text))
    key = order_key(job.raw_dir, str(path))
    file = read_clean_file(path, Path(job.raw_dir), job.cleaner, data)
    if file.reason:
        return _skipped(file.name, key, file.notes, file.reason)
    row_key, meta = speech_metadata(file.name, path, job.rows_by_file)
    doc_id, repaired = speech_doc_id(meta, path)
    speech = file_speech(file, meta, doc_id)
    loaded = loaded_row(speech)
    return (
        file.name,
        key,
        "loaded",
        "",
        file.notes,
        row_key,
        doc_id,
        repaired,
        path.suffix.lstrip(".").lower(),
        speech.format,
        speech.encoding,
        speech.sha256,
        speech.title,
        json.dumps(meta, ensure_ascii=False, sort_keys=True),
        loaded["chars_raw"],
        loaded["chars_clean"],
        sha256_hex(speech.text),
        json.dumps(speech.clean.removed_chars),
        json.dumps(speech.clean.changed_chars),
        traditional_note(speech.clean),
        speech.text,
    )


def _local(path: str) -> str:
    """A local path from Spark's ``file:`` URL (or the path itself)."""
    return path.removeprefix("file://").removeprefix("file:")


def read_clean_partition(rows: Iterable[tuple[str, Any]], job: LoadJob) -> Iterator[tuple]:
    """``mapPartitions`` body: ``(path, bytes or None)`` pairs → speech rows.

    The bytes come from Spark's ``binaryFile`` reader (which lists every
    file: those the driver's walk did not choose are passed over here);
    ``None`` means the task opens the file itself.
    """
    for path, content in rows:
        if job.files is not None:
            relative = _relative(job.raw_dir, _local(path)).as_posix()
            if relative not in job.files:
                continue
        yield read_clean_one(path, None if content is None else bytes(content), job)


def _relative(raw_dir: str, path: str) -> Path:
    return Path(path).relative_to(raw_dir) if Path(path).is_relative_to(raw_dir) else Path(path)


def clean_record_one(record: Mapping[str, Any], job: LoadJob) -> tuple:
    """One record of a speeches dataset (``doc_id``, ``text``, optional ``file``, ``title``, metadata).

    The text is already decoded; cleaning, the no-Chinese check, the safe
    doc_id and the title rule are those of a file (format ``table``).
    """
    name = str(record.get("file") or record["doc_id"])
    key = name.encode("utf-8")
    text = str(record.get("text") or "")
    cleaned = job.cleaner(text)
    if count_cjk(cleaned.text) == 0:
        reason = "no text after cleaning (no Chinese characters left); check the record's text"
        return _skipped(name, key, [], reason)
    meta = {column: str(record.get(column) or "") for column in METADATA_COLUMNS}
    meta["doc_id"] = str(record["doc_id"])
    doc_id, repaired = speech_doc_id(meta, Path(name))
    return (
        name,
        key,
        "loaded",
        "",
        [],
        None,
        doc_id,
        repaired,
        "",
        "table",
        "utf-8",
        sha256_hex(text),
        meta.get("title") or title_from_text(cleaned.text),
        json.dumps(meta, ensure_ascii=False, sort_keys=True),
        len(text),
        len(cleaned.text),
        sha256_hex(cleaned.text),
        json.dumps(cleaned.removed_chars),
        json.dumps(cleaned.changed_chars),
        traditional_note(cleaned),
        cleaned.text,
    )


def clean_records_partition(rows: Iterable[Any], job: LoadJob) -> Iterator[tuple]:
    """``mapPartitions`` body for a Parquet or JSON-lines dataset of speeches."""
    for row in rows:
        yield clean_record_one(row.asDict(), job)


# --------------------------------------------------------------------------- tokens


def pickled_tokenizer(tokenizer: Tokenizer) -> bytes:
    """The tokenizer as bytes for the workers: settings, stopwords, synonyms, user-dictionary entries.

    Its cache key is computed first (on the driver, where the lexicon files
    are), so the workers never look for those files.
    """
    _ = tokenizer.cache_key
    return pickle.dumps(tokenizer)


def worker_tokenizer(blob: bytes) -> Tokenizer:
    """The tokenizer in ``blob``, unpickled once per Python worker and kept (segmenter included)."""
    key = hashlib.sha256(blob).hexdigest()
    tokenizer = _WORKER_CACHE.get(key)
    if tokenizer is None:
        tokenizer = pickle.loads(blob)
        _WORKER_CACHE[key] = tokenizer
    return tokenizer


def segment_tokenize_one(doc_id: str, text: str, tokenizer: Tokenizer) -> tuple[list, list, int]:
    """Units with tokens, section outline and number of top-level sections of one cleaned speech."""
    units = segment_speech(doc_id, text)
    token_lists = tokenizer.tokenize_many([unit.text for unit in units], n_jobs=1)
    unit_rows = [
        tuple(getattr(unit, name) for name in UNIT_FIELDS[:-1]) + (tokens,)
        for unit, tokens in zip(units, token_lists, strict=True)
    ]
    outline_rows = [
        (str(row.section_path), str(row.section_heading), int(row.section_order))
        for row in section_outline(units).itertuples(index=False)
    ]
    return unit_rows, outline_rows, len(top_level_sections(units))


def tokenize_partition(rows: Iterable[Any], blob: Any) -> Iterator[tuple]:
    """``mapPartitions`` body: speeches → rows of :data:`~.schemas.TOKENIZED_SCHEMA`.

    ``blob`` is a Spark broadcast of :func:`pickled_tokenizer`'s bytes.
    """
    tokenizer = worker_tokenizer(blob.value)
    for row in rows:
        units, outline, sections = segment_tokenize_one(row["doc_id"], row["text"], tokenizer)
        yield (row["doc_id"], row["clean_sha256"], units, outline, sections)


# --------------------------------------------------------------------------- KWIC and topic units


def unit_from_row(row: Any) -> Unit:
    """A :class:`~speechtopics.text.segment.Unit` from a stored unit row."""
    return Unit(doc_id=row["doc_id"], **{name: row[name] for name in UNIT_FIELDS[:-1]})


def kwic_partition(rows: Iterable[Any], themes: Sequence[Theme], window: int) -> Iterator[tuple]:
    """``mapPartitions`` body: unit rows → the project's KWIC rows of every theme, with its rank."""
    units = [unit_from_row(row) for row in rows]
    for rank, theme in enumerate(themes):
        table = kwic(units, list(theme.terms), window=window, theme=theme.name)
        for record in table.itertuples(index=False):
            yield (rank, *record)


def worker_matcher(blob: bytes, themes: Sequence[Theme]) -> ThemeMatcher:
    """The themes compiled with the tokenizer in ``blob`` (phrase terms included), once per worker."""
    key = (hashlib.sha256(blob).hexdigest(), tuple(themes))
    matcher = _MATCHERS.get(key)
    if matcher is None:
        matcher = ThemeMatcher.build(themes, worker_tokenizer(blob))
        _MATCHERS[key] = matcher
    return matcher


def _speech_units(row: Any) -> tuple[list[Unit], dict[str, list[str]]]:
    """The units and tokens of one stored speech row (``doc_id``, ``units``)."""
    units = [unit_from_row({"doc_id": row["doc_id"], **unit.asDict()}) for unit in row["units"]]
    tokens = {unit["unit_id"]: list(unit["tokens"]) for unit in row["units"]}
    return units, tokens


def theme_rates_partition(
    rows: Iterable[Any], blob: Any, themes: Sequence[Theme], grain: str
) -> Iterator[tuple]:
    """``mapPartitions`` body: one row per speech → that speech's rows of the package's theme rates.

    ``grain`` is ``document`` (:func:`~speechtopics.analysis.themes.rates.theme_rates_by_speech`)
    or ``section`` (``theme_rates_by_section`` with the speech's outline), with the
    theme matcher the local ``themes`` stage builds (phrase terms counted in the
    text). Each row starts with its position in the speech's table; a rate of
    a unit without tokens is NULL (NaN once collected).
    """
    matcher = worker_matcher(blob.value, themes)
    for row in rows:
        units, tokens = _speech_units(row)
        corpus = speech_corpus(units, tokens)
        if grain == "document":
            table = theme_rates_by_speech(corpus.at_grain("document"), themes, matcher)
        else:
            frame = corpus.at_grain("section")
            table = theme_rates_by_section(frame, themes, section_outline(units), matcher)
        for position, record in enumerate(table.itertuples(index=False)):
            values = [None if isinstance(v, float) and v != v else v for v in record]
            yield (position, *values)


def speech_corpus(units: Sequence[Unit], tokens: Mapping[str, list[str]]) -> Corpus:
    """A :class:`~speechtopics.corpus.model.Corpus` of units and tokens only (for ``at_grain``)."""
    return Corpus(
        speeches=[],
        report=LoadReport(),
        units=list(units),
        tokens=dict(tokens),
        tokenizer=Tokenizer(),
        themes=[],
    )


def topic_units_partition(
    rows: Iterable[Any], grain: str, min_tokens: int, merge: bool = True
) -> Iterator[tuple]:
    """``mapPartitions`` body: one row per speech (its units) → the project's topic units.

    Each speech's units are grouped at ``grain`` by
    :meth:`~speechtopics.corpus.model.Corpus.at_grain` and, with ``merge``,
    short ones merged by :func:`~speechtopics.analysis.topics.fit.topic_units`
    (the training units); without it, every unit of the grain (the units
    ``doc_topic`` describes), as the local engine does.
    """
    for row in rows:
        units, tokens = _speech_units(row)
        frame = speech_corpus(units, tokens).at_grain(grain)
        if frame.empty:
            continue
        columns = ["doc_id", "unit_id", "section_path", "tokens"]
        chosen = topic_units(frame[columns], min_tokens) if merge else frame[columns]
        for position, record in enumerate(chosen.itertuples(index=False)):
            yield (
                record.doc_id,
                record.unit_id,
                record.section_path,
                list(record.tokens),
                position,
            )
