"""Loading a folder of speeches: files to :class:`~speechtopics.corpus.model.Speech` objects.

Files are only ever read. Each speech gets a stable ``doc_id``, the sha256
of its raw bytes, the detected format and encoding, its metadata row and its
raw and cleaned text. Files that cannot be used are reported with the reason
in a :class:`~speechtopics.corpus.model.LoadReport`; the others still load.
Exact duplicates (same cleaned text) load once; near-duplicates are flagged.

The per-file steps (:func:`read_clean_file`, :func:`file_speech`,
:func:`loaded_row`, with :mod:`.naming` for names, doc_ids and metadata
rows) are what :func:`load_corpus` itself runs, so a loader that reads the
files elsewhere (the Spark engine's tasks) gets the same speeches and rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..io import sha256_hex
from ..progress import track
from ..text.clean import CleanResult, count_cjk
from ..text.segment import title_from_text
from .dedupe import NEAR_DUPLICATE_CONTAINMENT, find_near_duplicates
from .metadata import Metadata, read_metadata
from .model import LoadReport, Speech
from .naming import display_name, file_name, speech_doc_id, speech_metadata, unique_doc_id
from .readcache import ReadCache
from .readers import (
    MAX_FILE_BYTES,
    LoadError,
    SpeechFile,
    check_speech_data,
    check_speech_file,
    read_speech_bytes,
)

#: Files under the raw folder that are not speeches, with what they are (listed as ignored).
IGNORED_NAMES = {
    "metadata.csv": "the metadata table (read as metadata, not as a speech)",
    ".gitkeep": "a placeholder that keeps the folder in git",
    ".DS_Store": "a macOS folder-settings file",
    "README.md": "a read-me file",
    "Thumbs.db": "a Windows thumbnail cache",
}
#: Why a hidden file or folder is not loaded (the same rule as ``speechtopics add``).
HIDDEN_REASON = "hidden (its name starts with '.'); not loaded: rename it to load it"


@dataclass
class RawFiles:
    """What is under a raw folder: the files to read, and a row for everything else.

    Attributes
    ----------
    files : list of Path
        Candidate speech files, in a stable order.
    ignored : list of dict
        ``{"file", "reason"}``: hidden files, the metadata table and other non-speeches.
    skipped : list of dict
        ``{"file", "reason"}``: folders that could not be read, links that lead
        outside the folder or nowhere, and entries that are not regular files.
    """

    files: list[Path] = field(default_factory=list)
    ignored: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


def _relative(path: Path, raw_dir: Path) -> str:
    return display_name(path.relative_to(raw_dir).as_posix())[0]


def _link_problem(path: Path, root: Path) -> str | None:
    """Why a symbolic link is not followed (``None`` for a link to a file inside the folder)."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "a broken symbolic link (it points to nothing); remove it"
    if not target.is_relative_to(root):
        return (
            f"a symbolic link to {target}, outside the folder of speeches; not followed "
            "(copy the file in instead)"
        )
    if target.is_dir():
        return "a symbolic link to a folder inside the folder of speeches (read there once)"
    return None


def _classify(entry: os.DirEntry, raw_dir: Path, root: Path, found: RawFiles) -> Path | None:
    """Sort one folder entry into ``found``; returns a sub-folder to walk into."""
    path = Path(entry.path)
    name = _relative(path, raw_dir)
    hidden = entry.name.startswith(".")
    if entry.is_symlink():
        problem = _link_problem(path, root)
        if problem is not None:
            rows = found.ignored if "read there once" in problem else found.skipped
            rows.append({"file": name, "reason": problem})
            return None
    if entry.is_dir():
        if hidden:
            found.ignored.append({"file": f"{name}/", "reason": f"a folder {HIDDEN_REASON}"})
            return None
        return path
    if entry.name in IGNORED_NAMES:
        found.ignored.append({"file": name, "reason": IGNORED_NAMES[entry.name]})
    elif hidden:
        found.ignored.append({"file": name, "reason": HIDDEN_REASON})
    elif not entry.is_file():
        found.skipped.append(
            {"file": name, "reason": "not a regular file (a pipe, socket or device)"}
        )
    else:
        found.files.append(path)
    return None


def walk_raw(raw_dir: Path) -> RawFiles:
    """Everything under ``raw_dir``: files to read, and a reason for every other entry.

    Sub-folders are walked (a folder that cannot be read gets a row);
    symbolic links are followed only to files inside ``raw_dir``.
    """
    raw_dir = Path(raw_dir)
    root = raw_dir.resolve()
    found = RawFiles()
    folders = [raw_dir]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError as exc:
            name = "." if folder == raw_dir else f"{_relative(folder, raw_dir)}/"
            found.skipped.append(
                {
                    "file": name,
                    "reason": f"a folder that could not be read ({exc.strerror or exc}); "
                    "its files were not loaded",
                }
            )
            continue
        for entry in entries:
            sub_folder = _classify(entry, raw_dir, root, found)
            if sub_folder is not None:
                folders.append(sub_folder)
    found.files.sort()
    return found


def iter_speech_files(raw_dir: Path) -> list[Path]:
    """Candidate speech files under ``raw_dir`` (recursively) in a stable order (see :func:`walk_raw`)."""
    return walk_raw(raw_dir).files


def _read_bytes(path: Path, data: bytes | None = None) -> bytes:
    """The file's bytes, checked before they are read (or ``data`` read elsewhere, checked alike)."""
    if data is not None:
        check_speech_data(path.name, data)
        return data
    size = check_speech_file(path)
    with path.open("rb") as handle:
        data = handle.read(min(size, MAX_FILE_BYTES) + 1)
    if len(data) > size:  # grew after the size check
        raise LoadError(
            f"{path.name}: the file changed while it was read; load again when it is complete"
        )
    return data


def _read_and_clean(
    data: bytes, suffix: str, file: str, cleaner: Callable[[str], CleanResult]
) -> tuple[SpeechFile, CleanResult]:
    read = read_speech_bytes(data, suffix, file)
    return read, cleaner(read.text)


def read_file(
    path: Path,
    cleaner: Callable[[str], CleanResult],
    cache: ReadCache | None = None,
    data: bytes | None = None,
) -> tuple[SpeechFile, CleanResult]:
    """Read, decode and clean one file, through the read cache when given.

    ``data`` is the file's bytes when someone else read them (Spark's
    ``binaryFile``); they get the same checks as a file opened here.

    Raises
    ------
    LoadError
        The file cannot be used; any error while reading it is turned into
        one (naming the error), so one file never stops a load.
    OSError
        The file could not be opened or read.
    """
    data = _read_bytes(path, data)
    suffix = path.suffix.lower()
    key = cache.key(data, suffix) if cache is not None else ""
    found = cache.get(key) if cache is not None else None
    if found is not None:
        if found[0] == "refused":
            raise LoadError(f"{path.name}: {found[1]}")
        _, (text, fmt, encoding, notes), cleaned = found
        return SpeechFile(text, fmt, encoding, data, list(notes)), cleaned
    try:
        read, cleaned = _read_and_clean(data, suffix, path.name, cleaner)
    except LoadError as exc:
        if cache is not None:
            cache.put(key, ("refused", str(exc).split(": ", 1)[-1]))
        raise
    except Exception as exc:  # a reader's bug or an input no check foresaw
        raise LoadError(
            f"{path.name}: could not be read ({type(exc).__name__}: {exc}); "
            "the other files still load — please report this file"
        ) from exc
    if cache is not None:
        cache.put(key, ("read", (read.text, read.format, read.encoding, read.notes), cleaned))
    return read, cleaned


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
    cache: ReadCache | None = None,
) -> FileRead:
    """Read and clean one speech file: the per-file part of :func:`load_corpus`.

    Parameters
    ----------
    path : Path
        The file.
    raw_dir : Path
        The folder of speeches (names are reported relative to it).
    cleaner : callable
        ``str -> CleanResult``.
    data : bytes, optional
        The file's bytes when someone else read them (Spark's ``binaryFile``).
    cache : ReadCache, optional
        Reuse the reading and cleaning of files read before.

    Returns
    -------
    FileRead
        With ``reason`` set when the file cannot be used (it is then skipped).
    """
    name, name_note = file_name(path, raw_dir)
    result = FileRead(name=name, notes=[name_note] if name_note is not None else [])
    try:
        read, cleaned = read_file(path, cleaner, cache, data)
    except LoadError as exc:
        result.reason = str(exc).split(": ", 1)[-1]
        return result
    except OSError as exc:
        result.reason = f"could not be read ({exc.strerror or exc})"
        return result
    if count_cjk(cleaned.text) == 0:
        reason = "no text after cleaning (no Chinese characters left); check the file's content"
        if read.notes:
            reason = f"{reason} ({'; '.join(read.notes)})"
        result.reason = reason
        return result
    result.notes.extend(read.notes)
    result.read, result.cleaned = read, cleaned
    return result


def file_speech(file: FileRead, meta: dict[str, str], doc_id: str) -> Speech:
    """The :class:`Speech` of a file read and cleaned, with its metadata row and final doc_id."""
    read, cleaned = file.read, file.cleaned
    return Speech(
        doc_id=doc_id,
        file=file.name,
        format=read.format,
        encoding=read.encoding,
        sha256=sha256_hex(read.data),
        title=meta.get("title") or title_from_text(cleaned.text),
        meta=meta,
        raw_text=read.text,
        clean=cleaned,
    )


def loaded_row(speech: Speech) -> dict[str, Any]:
    """The ``loaded`` row of the load report for a speech."""
    return {
        "doc_id": speech.doc_id,
        "file": speech.file,
        "format": speech.format,
        "encoding": speech.encoding,
        "sha256": speech.sha256,
        "title": speech.title,
        "chars_raw": len(speech.raw_text),
        "chars_clean": len(speech.text),
        "traditional_converted": speech.clean.changed_chars.get("traditional_to_simplified", 0),
    }


def traditional_note(cleaned: CleanResult) -> str | None:
    """The load warning for a speech whose traditional characters were converted (None if none were)."""
    converted = cleaned.changed_chars.get("traditional_to_simplified", 0)
    if not converted:
        return None
    return f"traditional characters converted to simplified ({converted} characters)"


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


def unmatched_metadata_warnings(
    metadata: Metadata, metadata_path: Path | None, raw_dir: Path, matched_rows: set[str]
) -> list[dict[str, str]]:
    """One load warning per metadata row that names no loaded speech."""
    return [
        {
            "file": str(metadata_path),
            "message": f"{metadata_path} row {row_number}: metadata row for {file}, "
            f"but no such file in {raw_dir} (or it was skipped or a duplicate)",
        }
        for file, row_number in metadata.row_numbers.items()
        if file not in matched_rows
    ]


class _Loading:
    """The state of one load: report, speeches, ids and metadata rows used so far."""

    def __init__(self, raw_dir: Path, metadata: Metadata) -> None:
        self.raw_dir = raw_dir
        self.metadata = metadata
        self.report = LoadReport()
        self.speeches: list[Speech] = []
        self.seen_clean: dict[str, str] = {}
        self.used_ids: set[str] = set()
        self.matched_rows: set[str] = set()

    def warn(self, file: str, message: str) -> None:
        self.report.warnings.append({"file": file, "message": message})

    def add(self, path: Path, file: FileRead) -> None:
        """Add a file read by :func:`read_clean_file`: a speech, a duplicate or a skipped file."""
        for note in file.notes:
            self.warn(file.name, note)
        if file.reason:
            self.report.skipped.append({"file": file.name, "reason": file.reason})
            return
        self.admit(path, file)

    def doc_id(self, name: str, path: Path, meta: dict[str, str]) -> str:
        doc_id, repaired = speech_doc_id(meta, path)
        if repaired is not None:
            self.warn(name, repaired)
        if doc_id in self.used_ids:
            doc_id = unique_doc_id(doc_id, path.suffix.lstrip(".").lower(), self.used_ids)
            self.warn(name, f"another speech already has this doc_id; using {doc_id}")
        self.used_ids.add(doc_id)
        return doc_id

    def admit(self, path: Path, file: FileRead) -> None:
        """Add a file with Chinese text as a speech, or report it as a duplicate."""
        name = file.name
        clean_hash = sha256_hex(file.cleaned.text)
        if clean_hash in self.seen_clean:
            self.report.duplicates.append(
                {"file": name, "duplicate_of": self.seen_clean[clean_hash]}
            )
            return
        self.seen_clean[clean_hash] = name
        row_key, meta = speech_metadata(name, path, self.metadata.rows_by_file)
        if row_key is not None:
            self.matched_rows.add(row_key)
        speech = file_speech(file, meta, self.doc_id(name, path, meta))
        self.speeches.append(speech)
        converted = traditional_note(file.cleaned)
        if converted is not None:
            self.warn(name, converted)
        self.report.loaded.append(loaded_row(speech))

    def flag_near_duplicates(self, threshold: float) -> None:
        if threshold > 1:
            return
        pairs = find_near_duplicates([(s.file, s.text) for s in self.speeches], threshold)
        self.report.near_duplicates.extend(pairs)
        self.report.warnings.extend(near_duplicate_warnings(pairs))

    def flag_unmatched_rows(self, metadata_path: Path | None) -> None:
        self.report.warnings.extend(
            unmatched_metadata_warnings(
                self.metadata, metadata_path, self.raw_dir, self.matched_rows
            )
        )


def _start(raw_dir: Path, metadata_path: Path | None, walk: bool) -> tuple[_Loading, list[Path]]:
    """The loading state with metadata problems and the raw folder's entries reported."""
    metadata = read_metadata(metadata_path) if metadata_path is not None else Metadata()
    loading = _Loading(raw_dir, metadata)
    for problem in metadata.problems:
        loading.warn(str(metadata_path), problem)
    if not walk:
        return loading, []
    if not raw_dir.is_dir():
        loading.warn(
            str(raw_dir), f"the folder of speeches {raw_dir} does not exist (or is not a folder)"
        )
        return loading, []
    found = walk_raw(raw_dir)
    loading.report.ignored.extend(found.ignored)
    loading.report.skipped.extend(found.skipped)
    return loading, found.files


def start_load(
    raw_dir: Path, metadata_path: Path | None, walk: bool = True
) -> tuple[Metadata, LoadReport, list[Path]]:
    """What a load knows before it reads a file (for loaders that read the files elsewhere).

    Returns
    -------
    (metadata, report, files)
        ``metadata.csv``; a report holding its problems (warnings), a missing
        folder (warning), and the folder's ignored and skipped entries; the
        files to read, in file order (none when ``walk`` is false).
    """
    loading, files = _start(Path(raw_dir), metadata_path, walk)
    return loading.metadata, loading.report, files


def load_corpus(
    raw_dir: Path,
    metadata_path: Path | None,
    cleaner: Callable[[str], CleanResult],
    files: Iterable[Path] | None = None,
    progress: bool = False,
    near_duplicate_threshold: float = NEAR_DUPLICATE_CONTAINMENT,
    cache: ReadCache | None = None,
) -> tuple[list[Speech], LoadReport]:
    """Load, clean and deduplicate every speech in a folder.

    Files are only ever opened for reading. Every entry under the folder
    gets one row: ``loaded``, ``skipped`` (with the reason), ``duplicates``
    or ``ignored`` (hidden files, the metadata table); near-duplicates are
    loaded and flagged with their twin in ``near_duplicates`` and
    ``warnings``. An error while reading one file skips that file only.

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
    cache : ReadCache, optional
        Reuse the reading and cleaning of files read before.

    Returns
    -------
    (speeches, report)
        Speeches in file-name order; the report lists what was loaded,
        skipped (with the reason), deduplicated, ignored and warned about.
    """
    raw_dir = Path(raw_dir)
    loading, walked = _start(raw_dir, metadata_path, walk=files is None)
    paths = list(files) if files is not None else walked
    paths = track(paths, len(paths), "load", "file", enabled=progress or None)
    for path in paths:
        loading.add(path, read_clean_file(path, raw_dir, cleaner, cache=cache))
    loading.flag_near_duplicates(near_duplicate_threshold)
    if files is None:
        loading.flag_unmatched_rows(metadata_path)
    return loading.speeches, loading.report
