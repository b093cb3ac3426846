"""Loading a folder of speeches: files to :class:`~speechtopics.corpus.model.Speech` objects.

Files are only ever read. Each speech gets a stable ``doc_id``, the sha256
of its raw bytes, the detected format and encoding, its metadata row and its
raw and cleaned text. Files that cannot be used are reported with the reason
in a :class:`~speechtopics.corpus.model.LoadReport`; the others still load.
Exact duplicates (same cleaned text) load once; near-duplicates are flagged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..io import sha256_hex
from ..text.clean import CleanResult, count_cjk
from ..text.segment import title_from_text
from .dedupe import NEAR_DUPLICATE_CONTAINMENT, find_near_duplicates
from .metadata import METADATA_COLUMNS, Metadata, read_metadata
from .model import LoadReport, Speech
from .readers import LoadError, SpeechFile, read_speech, read_speech_bytes

#: Files the loader passes over silently (not speeches).
IGNORED_NAMES = {"metadata.csv", ".gitkeep", ".DS_Store", "README.md", "Thumbs.db"}


def iter_speech_files(raw_dir: Path) -> list[Path]:
    """Files under ``raw_dir`` (recursively) in a stable order, hidden files and metadata excluded."""
    return [
        path
        for path in sorted(raw_dir.rglob("*"))
        if path.is_file() and is_speech_file(path.relative_to(raw_dir))
    ]


def is_speech_file(relative: Path) -> bool:
    """Whether a file (path relative to the folder of speeches) is read as a speech.

    Hidden files and folders and :data:`IGNORED_NAMES` are not.
    """
    if relative.name in IGNORED_NAMES:
        return False
    return not any(part.startswith(".") for part in relative.parts)


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


@dataclass
class FileRead:
    """One file read and cleaned: what the corpus-wide steps (duplicates, doc_id clashes) start from.

    Attributes
    ----------
    name : str
        File name relative to the folder of speeches, fit for reports.
    notes : list of str
        Warnings about the file (a name that is not UTF-8, a truncated file …), in report order.
    read : SpeechFile or None
        What was read (None when the file is skipped).
    cleaned : CleanResult or None
        The cleaned text (None when the file is skipped).
    reason : str
        Why the file is skipped (``""`` when it is not).
    """

    name: str
    notes: list[str] = field(default_factory=list)
    read: SpeechFile | None = None
    cleaned: CleanResult | None = None
    reason: str = ""


def read_clean_file(
    path: Path,
    raw_dir: Path,
    cleaner: Callable[[str], CleanResult],
    data: bytes | None = None,
) -> FileRead:
    """Read and clean one speech file (the per-file part of :func:`load_corpus`).

    Parameters
    ----------
    path : Path
        The file.
    raw_dir : Path
        The folder of speeches (names are reported relative to it).
    cleaner : callable
        ``str -> CleanResult``.
    data : bytes, optional
        The file's bytes when someone else read them (Spark's ``binaryFile``);
        by default the file is opened here.

    Returns
    -------
    FileRead
        With ``reason`` set when the file cannot be used.
    """
    relative = path.relative_to(raw_dir).as_posix() if path.is_relative_to(raw_dir) else path.name
    name, name_note = display_name(relative)
    result = FileRead(name=name, notes=[name_note] if name_note is not None else [])
    try:
        read = read_speech(path) if data is None else read_speech_bytes(path.name, data)
    except LoadError as exc:
        result.reason = str(exc).split(": ", 1)[-1]
        return result
    except OSError as exc:
        result.reason = f"could not be read ({exc.strerror or exc})"
        return result
    cleaned = cleaner(read.text)
    if count_cjk(cleaned.text) == 0:
        reason = "no text after cleaning (no Chinese characters left); check the file's content"
        if read.notes:
            reason = f"{reason} ({'; '.join(read.notes)})"
        result.reason = reason
        return result
    result.notes.extend(read.notes)
    result.read, result.cleaned = read, cleaned
    return result


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
    """A speech's doc_id (metadata ``doc_id``, else the file stem, made safe) and a warning if repaired."""
    wanted = meta.get("doc_id") or display_name(path.stem)[0]
    doc_id = safe_doc_id(wanted)
    if doc_id == wanted:
        return doc_id, None
    return doc_id, f"doc_id {wanted!r} cannot be used as a file name; using {doc_id!r}"


def traditional_note(cleaned: CleanResult) -> str | None:
    """The load warning for a speech whose traditional characters were converted (None if none were)."""
    converted = cleaned.changed_chars.get("traditional_to_simplified", 0)
    if not converted:
        return None
    return f"traditional characters converted to simplified ({converted} characters)"


def unmatched_metadata_warnings(
    metadata: Metadata, metadata_path: Path | None, raw_dir: Path, matched_rows: set[str]
) -> list[dict[str, str]]:
    """One warning per metadata row that names no loaded speech."""
    return [
        {
            "file": str(metadata_path),
            "message": f"{metadata_path} row {row_number}: metadata row for {file}, "
            f"but no such file in {raw_dir} (or it was skipped or a duplicate)",
        }
        for file, row_number in metadata.row_numbers.items()
        if file not in matched_rows
    ]


def near_duplicate_warnings(pairs: Iterable[dict]) -> list[dict[str, str]]:
    """One load warning per near-duplicate pair (:func:`find_near_duplicates`)."""
    return [
        {
            "file": pair["file"],
            "message": f"near-duplicate of {pair['near_duplicate_of']} "
            f"({pair['containment']:.0%} of the shorter text's 5-character shingles shared); "
            "both are loaded: remove one if they are the same speech",
        }
        for pair in pairs
    ]


def load_corpus(
    raw_dir: Path,
    metadata_path: Path | None,
    cleaner: Callable[[str], CleanResult],
    files: Iterable[Path] | None = None,
    progress: bool = False,
    near_duplicate_threshold: float = NEAR_DUPLICATE_CONTAINMENT,
) -> tuple[list[Speech], LoadReport]:
    """Load, clean and deduplicate every speech in a folder.

    Files are only ever opened for reading. Each file ends up in exactly one
    of the report's ``loaded``, ``skipped`` (with the reason) or
    ``duplicates`` lists; near-duplicates are loaded and flagged with their
    twin in ``near_duplicates`` and ``warnings``.

    Parameters
    ----------
    raw_dir : Path
        Folder of speeches (read only).
    metadata_path : Path or None
        ``metadata.csv``; missing is fine.
    cleaner : callable
        ``str -> CleanResult``, usually ``lambda t: clean_text(t, rules)``.
    files : iterable of Path, optional
        Restrict to these files (default: every file in ``raw_dir``).
    progress : bool
        Show a progress bar.
    near_duplicate_threshold : float
        Shingle containment from which two loaded speeches are flagged as
        near-duplicates (see :func:`find_near_duplicates`); above 1 turns
        the check off.

    Returns
    -------
    (speeches, report)
        Speeches in file-name order; the report lists what was loaded,
        skipped (with the reason), deduplicated and warned about.
    """
    raw_dir = Path(raw_dir)
    report = LoadReport()
    metadata = read_metadata(metadata_path) if metadata_path is not None else Metadata()
    for problem in metadata.problems:
        report.warnings.append({"file": str(metadata_path), "message": problem})
    if files is None and not raw_dir.is_dir():
        report.warnings.append(
            {
                "file": str(raw_dir),
                "message": f"the folder of speeches {raw_dir} does not exist (or is not a folder)",
            }
        )
    paths = list(files) if files is not None else iter_speech_files(raw_dir)
    if progress:
        from tqdm.auto import tqdm

        paths = tqdm(paths, desc="load", unit="file", leave=False)
    speeches: list[Speech] = []
    seen_clean: dict[str, str] = {}
    used_ids: set[str] = set()
    matched_rows: set[str] = set()
    for path in paths:
        file = read_clean_file(path, raw_dir, cleaner)
        name = file.name
        report.warnings.extend({"file": name, "message": note} for note in file.notes)
        if file.reason:
            report.skipped.append({"file": name, "reason": file.reason})
            continue
        read, cleaned = file.read, file.cleaned
        clean_hash = sha256_hex(cleaned.text)
        if clean_hash in seen_clean:
            report.duplicates.append({"file": name, "duplicate_of": seen_clean[clean_hash]})
            continue
        seen_clean[clean_hash] = name
        row_key, meta = speech_metadata(name, path, metadata.rows_by_file)
        if row_key is not None:
            matched_rows.add(row_key)
        doc_id, repaired = speech_doc_id(meta, path)
        if repaired is not None:
            report.warnings.append({"file": name, "message": repaired})
        if doc_id in used_ids:
            doc_id = unique_doc_id(doc_id, path.suffix.lstrip(".").lower(), used_ids)
            report.warnings.append(
                {"file": name, "message": f"another speech already has this doc_id; using {doc_id}"}
            )
        used_ids.add(doc_id)
        title = meta.get("title") or title_from_text(cleaned.text)
        speech = Speech(
            doc_id=doc_id,
            file=name,
            format=read.format,
            encoding=read.encoding,
            sha256=sha256_hex(read.data),
            title=title,
            meta=meta,
            raw_text=read.text,
            clean=cleaned,
        )
        speeches.append(speech)
        converted = traditional_note(cleaned)
        if converted is not None:
            report.warnings.append({"file": name, "message": converted})
        report.loaded.append(
            {
                "doc_id": doc_id,
                "file": name,
                "format": read.format,
                "encoding": read.encoding,
                "sha256": speech.sha256,
                "title": title,
                "chars_raw": len(read.text),
                "chars_clean": len(cleaned.text),
                "traditional_converted": cleaned.changed_chars.get("traditional_to_simplified", 0),
            }
        )
    if near_duplicate_threshold <= 1:
        pairs = find_near_duplicates(
            [(speech.file, speech.text) for speech in speeches], near_duplicate_threshold
        )
        report.near_duplicates.extend(pairs)
        report.warnings.extend(near_duplicate_warnings(pairs))
    if files is None:
        report.warnings.extend(
            unmatched_metadata_warnings(metadata, metadata_path, raw_dir, matched_rows)
        )
    return speeches, report
