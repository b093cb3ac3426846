"""The corpus as plain data: speeches, their units and tokens, and the load report.

Nothing here reads files or settings: :mod:`speechtopics.corpus.load`
builds a :class:`Corpus`; the analyses read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from ..text.clean import CleanResult
from ..text.lexicon import Theme
from ..text.segment import Unit, format_outline, group_units, outline, segment_speech
from ..text.tokenize import Tokenizer


@dataclass
class Speech:
    """One speech as loaded from ``data/raw``.

    Attributes
    ----------
    doc_id : str
        Stable identifier: the metadata ``doc_id`` when a row names the file,
        else the file name without its extension.
    file : str
        File name relative to the raw folder.
    format : str
        ``txt``, ``docx`` or ``html``.
    encoding : str
        Detected text encoding (``utf-8``, ``gb18030`` …; ``docx`` for Word files).
    sha256 : str
        Hash of the raw bytes.
    title : str
        From metadata, else the first line when it reads as a title, else empty.
    meta : dict
        The metadata row (empty strings for unknown cells).
    raw_text : str
        Decoded text before cleaning.
    clean : CleanResult or None
        Cleaned text and the per-rule report, once cleaned.
    """

    doc_id: str
    file: str
    format: str
    encoding: str
    sha256: str
    title: str
    meta: dict[str, str]
    raw_text: str
    clean: CleanResult | None = None

    @property
    def text(self) -> str:
        """Cleaned text (raw text if not cleaned yet)."""
        return self.clean.text if self.clean is not None else self.raw_text


@dataclass
class LoadReport:
    """What a load did with each file.

    Attributes
    ----------
    loaded : list of dict
        One row per loaded speech.
    skipped : list of dict
        ``{"file", "reason"}`` for each file that could not be used.
    duplicates : list of dict
        ``{"file", "duplicate_of"}`` for exact duplicates (same cleaned text).
    warnings : list of dict
        ``{"file", "message"}``: loaded, but worth a look (metadata problems,
        near-duplicates, converted traditional characters, truncated files).
    near_duplicates : list of dict
        ``{"file", "near_duplicate_of", "containment"}`` for loaded speeches
        that share most of their text with an earlier one (both stay loaded;
        each pair is also in ``warnings``).
    ignored : list of dict
        ``{"file", "reason"}`` for entries of the folder that are not
        speeches (hidden files, the metadata table, placeholders), so that
        every file under the folder has a row.
    """

    loaded: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    near_duplicates: list[dict[str, Any]] = field(default_factory=list)
    ignored: list[dict[str, str]] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        """The report as plain data (the ``ingest --json`` object)."""
        return {
            "loaded": self.loaded,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "warnings": self.warnings,
            "near_duplicates": self.near_duplicates,
            "ignored": self.ignored,
        }


@dataclass
class Corpus:
    """Everything the analyses need, in memory.

    Attributes
    ----------
    speeches : list of Speech
        Loaded, cleaned, deduplicated speeches.
    report : LoadReport
        What happened to every file.
    units : list of Unit
        Paragraph units of every speech, titles included (``role == 'title'``).
    tokens : dict
        ``unit_id -> list of tokens`` for every paragraph unit.
    tokenizer : Tokenizer
        The tokenizer that produced the tokens.
    themes : list of Theme
        Themes from ``themes.toml``.
    stats : dict
        Counts of speeches tokenized and reused from the cache.
    cache_problems : list of str
        Cache entries that failed their check (and were recomputed) or could not be stored.
    """

    speeches: list[Speech]
    report: LoadReport
    units: list[Unit]
    tokens: dict[str, list[str]]
    tokenizer: Tokenizer
    themes: list[Theme]
    stats: dict[str, int] = field(default_factory=dict)
    cache_problems: list[str] = field(default_factory=list)

    @property
    def doc_ids(self) -> list[str]:
        return [speech.doc_id for speech in self.speeches]

    def token_counts(self) -> dict[str, int]:
        """``doc_id -> tokens`` of every speech (paragraph units, titles included)."""
        counts = dict.fromkeys(self.doc_ids, 0)
        for unit in self.units:
            counts[unit.doc_id] = counts.get(unit.doc_id, 0) + len(
                self.tokens.get(unit.unit_id, [])
            )
        return counts

    def with_tokens(self) -> Corpus:
        """The corpus without the speeches that have no token (for the analyses that need tokens).

        Returns ``self`` when every speech has tokens; the load report
        (which says which speeches were left out and why) is shared.
        """
        empty = {doc_id for doc_id, count in self.token_counts().items() if count == 0}
        if not empty:
            return self
        units = [unit for unit in self.units if unit.doc_id not in empty]
        return replace(
            self,
            speeches=[speech for speech in self.speeches if speech.doc_id not in empty],
            units=units,
            tokens={unit.unit_id: self.tokens.get(unit.unit_id, []) for unit in units},
        )

    def speech_titles(self) -> dict[str, str]:
        """``doc_id -> title`` of every speech (``""`` when a speech has none), for labels."""
        return {speech.doc_id: speech.title or "" for speech in self.speeches}

    def speech_texts(self) -> dict[str, str]:
        """``doc_id -> cleaned text`` of every speech."""
        return {speech.doc_id: speech.text for speech in self.speeches}

    def speech(self, doc_id: str) -> Speech:
        """The speech with this id."""
        for speech in self.speeches:
            if speech.doc_id == doc_id:
                return speech
        raise KeyError(f"no speech {doc_id!r}; known: {', '.join(self.doc_ids)}")

    def outline_text(self, doc_id: str) -> str:
        """A speech's id, title and file, then its section tree as indented lines."""
        speech = self.speech(doc_id)
        units = [unit for unit in self.units if unit.doc_id == speech.doc_id]
        header = f"{speech.doc_id}  {speech.title or '(no title)'}  [{speech.file}]"
        return header + "\n" + format_outline(outline(units))

    def theme_terms(self, name: str) -> list[str]:
        """The terms of the theme called ``name`` (its key or its label in ``themes.toml``)."""
        for theme in self.themes:
            if name in (theme.name, theme.label):
                return list(theme.terms)
        known = ", ".join(theme.name for theme in self.themes)
        raise KeyError(f"no theme {name!r}; themes are {known}")

    def speeches_frame(self) -> pd.DataFrame:
        """One row per speech: id, file, title and metadata."""
        rows = []
        for speech in self.speeches:
            row = {"doc_id": speech.doc_id, "file": speech.file, "title": speech.title}
            for key, value in speech.meta.items():
                if key not in row:
                    row[key] = value
            rows.append(row)
        return pd.DataFrame(rows)

    def units_frame(self) -> pd.DataFrame:
        """Paragraph units with their outline position and tokens."""
        frame = pd.DataFrame([unit.to_dict() for unit in self.units])
        if frame.empty:
            return frame
        frame["tokens"] = [self.tokens.get(unit_id, []) for unit_id in frame["unit_id"]]
        frame["n_tokens"] = frame["tokens"].map(len)
        return frame

    def at_grain(self, grain: str) -> pd.DataFrame:
        """Analysis units at a grain with their tokens.

        Parameters
        ----------
        grain : {"document", "section", "paragraph", "sentence"}
            ``section`` is the top-level section; sentence units are
            segmented and tokenized on demand with :attr:`tokenizer`.

        Returns
        -------
        DataFrame
            ``doc_id``, ``unit_id``, ``section_path``, ``text``, ``tokens``,
            ``n_tokens``; titles left out.
        """
        if grain == "sentence":
            sentence_units = [
                unit
                for speech in self.speeches
                for unit in segment_speech(speech.doc_id, speech.text, grain="sentence")
            ]
            groups = group_units(sentence_units, "sentence")
            token_lists = self.tokenizer.tokenize_many([str(group["text"]) for group in groups])
        else:
            groups = group_units(self.units, grain)
            token_lists = [
                [token for unit_id in group["unit_ids"] for token in self.tokens.get(unit_id, [])]
                for group in groups
            ]
        frame = pd.DataFrame(
            [
                {key: group[key] for key in ("doc_id", "unit_id", "section_path", "text")}
                for group in groups
            ]
        )
        if frame.empty:
            return pd.DataFrame(
                columns=["doc_id", "unit_id", "section_path", "text", "tokens", "n_tokens"]
            )
        frame["tokens"] = token_lists
        frame["n_tokens"] = frame["tokens"].map(len)
        return frame
