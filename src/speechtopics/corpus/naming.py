"""Names of speeches: file names fit for reports, safe doc_ids and their metadata rows.

The per-file rules of :func:`speechtopics.corpus.files.load_corpus` that do
not read the file; a speech read elsewhere (a Spark task) gets its name,
doc_id and metadata row from these same functions.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from ..io import sha256_hex
from .metadata import METADATA_COLUMNS


def display_name(name: str) -> tuple[str, str | None]:
    """A file name fit for reports, and a note when it had to be repaired.

    File names that are not valid UTF-8 (copied from old GBK archives)
    reach Python with undecodable bytes; they are shown decoded as GB18030
    when that works, else with the bad bytes escaped.

    Returns
    -------
    (name, note)
        ``note`` is ``None`` when the name was fine.
    """
    if not any(0xD800 <= ord(char) <= 0xDFFF for char in name):
        return name, None
    raw = os.fsencode(name)
    try:
        shown = raw.decode("gb18030")
        how = "read as GB18030"
    except UnicodeDecodeError:
        shown = raw.decode("utf-8", errors="backslashreplace")
        how = "undecodable bytes shown as \\x.."
    return (
        shown,
        f"the file name is not UTF-8 ({how}: {shown}); rename the file to keep this name stable",
    )


_UNSAFE_ID_RE = re.compile(r"[\\/\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: Longest doc_id in UTF-8 bytes (it becomes a file name under ``interim/cleaned``).
MAX_DOC_ID_BYTES = 150


def safe_doc_id(candidate: str) -> str:
    """A doc_id that can be used as a file name: no path separators, control characters or leading dots.

    Parameters
    ----------
    candidate : str
        A file stem or a ``doc_id`` cell of ``metadata.csv``.

    Returns
    -------
    str
        ``candidate`` when it is safe, else a repaired form (``a/b`` → ``a_b``;
        over-long ids are cut and end with a short hash).
    """
    safe = _UNSAFE_ID_RE.sub("_", candidate).strip()
    safe = re.sub(r"^\.+", lambda m: "_" * len(m.group(0)), safe)
    if not safe:
        safe = "speech"
    if len(safe.encode("utf-8")) > MAX_DOC_ID_BYTES:
        digest = sha256_hex(candidate)[:8]
        cut = safe.encode("utf-8")[: MAX_DOC_ID_BYTES - 9].decode("utf-8", errors="ignore")
        safe = f"{cut}_{digest}"
    return safe


def unique_doc_id(doc_id: str, suffix: str, used: set[str]) -> str:
    """``doc_id``, or a new id when an earlier speech already has it (``a.txt`` → ``a.docx``, ``a_2`` …).

    Parameters
    ----------
    doc_id : str
        The speech's safe doc_id.
    suffix : str
        Its file's extension without the dot (``""`` when none).
    used : set of str
        Ids of the speeches before it, in file order.
    """
    if doc_id not in used:
        return doc_id
    candidate = f"{doc_id}.{suffix}" if suffix else f"{doc_id}_2"
    number = 1
    while candidate in used:
        number += 1
        candidate = f"{doc_id}_{number}"
    return candidate


def speech_metadata(
    name: str, path: Path, rows_by_file: Mapping[str, Mapping[str, str]]
) -> tuple[str | None, dict[str, str]]:
    """The metadata row of a file (by its relative name, else its base name) with every column.

    Returns
    -------
    (row_key, meta)
        ``row_key`` is the ``file`` cell of the matching row (None when no row
        matches); ``meta`` has every metadata column (``""`` when unknown).
    """
    row_key = name if name in rows_by_file else display_name(path.name)[0]
    row = rows_by_file.get(row_key)
    meta = dict(row or {})
    for column in METADATA_COLUMNS:
        meta.setdefault(column, "")
    return (row_key if row is not None else None), meta


def speech_doc_id(meta: Mapping[str, str], path: Path) -> tuple[str, str | None]:
    """A speech's doc_id (metadata ``doc_id``, else the file stem, made safe) and a warning if repaired.

    Clashes with other speeches are corpus-wide (:func:`unique_doc_id`).
    """
    wanted = meta.get("doc_id") or display_name(path.stem)[0]
    doc_id = safe_doc_id(wanted)
    if doc_id == wanted:
        return doc_id, None
    return doc_id, f"doc_id {wanted!r} cannot be used as a file name; using {doc_id!r}"


def file_name(path: Path, raw_dir: Path) -> tuple[str, str | None]:
    """A file's name relative to the folder of speeches, fit for reports (see :func:`display_name`)."""
    relative = path.relative_to(raw_dir).as_posix() if path.is_relative_to(raw_dir) else path.name
    return display_name(relative)
