"""The manifest: what a run read, with which settings and code, and what it wrote.

``data/processed/manifest.json`` records the corpus and per-speech hashes,
the settings, the lexicon files' hashes, library versions, start and end
time, every stage's status, the hash of every output and, per table, the
kind of each column (so :func:`speechtopics.results` reads ``doc_id`` back
as text and ``year`` as integers).
"""

from __future__ import annotations

import json
import platform
import sys
from datetime import UTC, datetime

from ..config import VERSION, Paths, Settings
from ..corpus.model import Corpus
from ..io import file_sha256, library_versions, write_json
from .cache import LIBRARIES, corpus_key
from .stage import RunSummary

MANIFEST_FILE = "manifest.json"
#: Lexicon files recorded in the manifest (attributes of :class:`~speechtopics.config.Paths`).
LEXICON_FILES = ("userdict", "stopwords", "themes", "noise", "synonyms", "formulations")


def build_manifest(
    paths: Paths, settings: Settings, corpus: Corpus, summary: RunSummary, started: datetime
) -> dict:
    """The manifest of a finished run: what it read, with what, and every output it holds.

    ``outputs`` lists every file of the run with its sha256 (the folder holds
    exactly these); ``produced_by`` names the stage each came from.
    """
    speeches = {
        speech.doc_id: {"file": speech.file, "sha256": speech.sha256} for speech in corpus.speeches
    }
    return build_manifest_record(paths, settings, corpus_key(corpus), speeches, summary, started)


def build_manifest_record(
    paths: Paths,
    settings: Settings,
    corpus_hash: str,
    speeches: dict[str, dict[str, str]],
    summary: RunSummary,
    started: datetime,
    extra: dict | None = None,
) -> dict:
    """The manifest from its parts (a run whose corpus is not in memory: the Spark engine).

    ``extra`` keys are added as they are (e.g. ``engine``: where a Spark run computed).
    """
    return {
        "speechtopics_version": VERSION,
        "python": platform.python_version(),
        "platform": sys.platform,
        "libraries": library_versions(LIBRARIES),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "corpus_hash": corpus_hash,
        "speeches": speeches,
        "parameters": settings.to_dict(),
        "lexicon": {name: file_sha256(getattr(paths, name)) for name in LEXICON_FILES},
        "stages": summary.rows,
        "outputs": dict(sorted(summary.outputs.items())),
        "produced_by": dict(sorted(summary.produced_by.items())),
        "tables": dict(sorted(summary.tables.items())),
        "prepared": dict(sorted(summary.prepared.items())),
        **(extra or {}),
    }


def write_manifest(
    paths: Paths, settings: Settings, corpus: Corpus, summary: RunSummary, started: datetime
) -> None:
    """Write ``manifest.json`` for a finished run (outside the staged switch; see :mod:`.outputs`)."""
    write_json(
        paths.processed / MANIFEST_FILE, build_manifest(paths, settings, corpus, summary, started)
    )


def read_manifest(paths: Paths) -> dict:
    """The last run's manifest (empty when there is none or it cannot be read)."""
    try:
        return json.loads((paths.processed / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
