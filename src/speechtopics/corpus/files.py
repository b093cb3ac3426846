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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..io import json_sha256, sha256_hex, source_hash
from ..progress import track
from ..text.clean import CleanResult, count_cjk
from ..text.segment import title_from_text
from .dedupe import NEAR_DUPLICATE_CONTAINMENT, find_near_duplicates
from .metadata import METADATA_COLUMNS, Metadata, read_metadata
from .model import LoadReport, Speech
from .readers import MAX_FILE_BYTES, LoadError, SpeechFile, check_speech_file, read_speech_bytes

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


def _unique_doc_id(doc_id: str, suffix: str, used: set[str]) -> str:
    if doc_id not in used:
        return doc_id
    candidate = f"{doc_id}.{suffix}" if suffix else f"{doc_id}_2"
    number = 1
    while candidate in used:
        number += 1
        candidate = f"{doc_id}_{number}"
    return candidate


#: Source files whose code decides what reading and cleaning a file gives (part of the read cache key).
READ_CODE = (
    "corpus/readers.py",
    "corpus/docx.py",
    "corpus/html.py",
    "corpus/decode.py",
    "text/clean.py",
)


class ReadCache:
    """Reading and cleaning results of speech files, kept by content in a signed cache.

    The key is the file's bytes, its extension, the reading and cleaning
    code and the cleaner's own key, so every command that loads the corpus
    reads and cleans a file once, and a refused file is refused at once.

    Parameters
    ----------
    memory : SignedMemory
        The project's cache (:func:`speechtopics.io.cache_memory`).
    cleaner_key : str
        What the cleaner depends on (noise list, settings).
    """

    NAMESPACE = "speechtopics.corpus.files.read"

    def __init__(self, memory: Any, cleaner_key: str) -> None:
        self.store = memory.store
        self.cleaner_key = cleaner_key
        self.stats = {"files_read": 0, "files_from_cache": 0}
        self.problems: list[str] = []

    def key(self, data: bytes, suffix: str) -> str:
        return json_sha256(
            [sha256_hex(data), suffix, source_hash(READ_CODE), self.cleaner_key, MAX_FILE_BYTES]
        )

    def get(self, key: str) -> Any:
        status, value, problem = self.store.load(self.NAMESPACE, key)
        if status == "rejected":
            self.problems.append(f"cache entry of a file rejected: {problem}; read again")
        if status == "hit":
            self.stats["files_from_cache"] += 1
            return value
        self.stats["files_read"] += 1
        return None

    def put(self, key: str, value: Any) -> None:
        problem = self.store.store(self.NAMESPACE, key, value)
        if problem:
            self.problems.append(f"reading result not cached: {problem}")


def _read_bytes(path: Path) -> bytes:
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
    path: Path, cleaner: Callable[[str], CleanResult], cache: ReadCache | None = None
) -> tuple[SpeechFile, CleanResult]:
    """Read, decode and clean one file, through the read cache when given.

    Raises
    ------
    LoadError
        The file cannot be used; any error while reading it is turned into
        one (naming the error), so one file never stops a load.
    OSError
        The file could not be opened or read.
    """
    data = _read_bytes(path)
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

    def name_of(self, path: Path) -> str:
        relative = (
            path.relative_to(self.raw_dir).as_posix()
            if path.is_relative_to(self.raw_dir)
            else path.name
        )
        name, note = display_name(relative)
        if note is not None:
            self.warn(name, note)
        return name

    def metadata_row(self, name: str, path: Path) -> dict[str, str]:
        rows = self.metadata.rows_by_file
        row_key = name if name in rows else display_name(path.name)[0]
        row = rows.get(row_key)
        if row is not None:
            self.matched_rows.add(row_key)
        meta = dict(row or {})
        for column in METADATA_COLUMNS:
            meta.setdefault(column, "")
        return meta

    def doc_id(self, name: str, path: Path, meta: dict[str, str]) -> str:
        wanted = meta.get("doc_id") or display_name(path.stem)[0]
        doc_id = safe_doc_id(wanted)
        if doc_id != wanted:
            self.warn(name, f"doc_id {wanted!r} cannot be used as a file name; using {doc_id!r}")
        if doc_id in self.used_ids:
            doc_id = _unique_doc_id(doc_id, path.suffix.lstrip(".").lower(), self.used_ids)
            self.warn(name, f"another speech already has this doc_id; using {doc_id}")
        self.used_ids.add(doc_id)
        return doc_id

    def admit(self, path: Path, name: str, read: SpeechFile, cleaned: CleanResult) -> None:
        """Add a read file as a speech, or report it as empty or a duplicate."""
        if count_cjk(cleaned.text) == 0:
            reason = "no text after cleaning (no Chinese characters left); check the file's content"
            if read.notes:
                reason = f"{reason} ({'; '.join(read.notes)})"
            self.report.skipped.append({"file": name, "reason": reason})
            return
        for note in read.notes:
            self.warn(name, note)
        clean_hash = sha256_hex(cleaned.text)
        if clean_hash in self.seen_clean:
            self.report.duplicates.append(
                {"file": name, "duplicate_of": self.seen_clean[clean_hash]}
            )
            return
        self.seen_clean[clean_hash] = name
        meta = self.metadata_row(name, path)
        doc_id = self.doc_id(name, path, meta)
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
        self.speeches.append(speech)
        converted = cleaned.changed_chars.get("traditional_to_simplified", 0)
        if converted:
            self.warn(
                name, f"traditional characters converted to simplified ({converted} characters)"
            )
        self.report.loaded.append(
            {
                "doc_id": doc_id,
                "file": name,
                "format": read.format,
                "encoding": read.encoding,
                "sha256": speech.sha256,
                "title": title,
                "chars_raw": len(read.text),
                "chars_clean": len(cleaned.text),
                "traditional_converted": converted,
            }
        )

    def flag_near_duplicates(self, threshold: float) -> None:
        if threshold > 1:
            return
        pairs = find_near_duplicates([(s.file, s.text) for s in self.speeches], threshold)
        for pair in pairs:
            self.report.near_duplicates.append(pair)
            self.warn(
                pair["file"],
                f"near-duplicate of {pair['near_duplicate_of']} "
                f"({pair['containment']:.0%} of the shorter text's 5-character shingles shared); "
                "both are loaded: remove one if they are the same speech",
            )

    def flag_unmatched_rows(self, metadata_path: Path | None) -> None:
        for file, row_number in self.metadata.row_numbers.items():
            if file not in self.matched_rows:
                self.warn(
                    str(metadata_path),
                    f"{metadata_path} row {row_number}: metadata row for {file}, "
                    f"but no such file in {self.raw_dir} (or it was skipped or a duplicate)",
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
        name = loading.name_of(path)
        try:
            read, cleaned = read_file(path, cleaner, cache)
        except LoadError as exc:
            loading.report.skipped.append({"file": name, "reason": str(exc).split(": ", 1)[-1]})
            continue
        except OSError as exc:
            loading.report.skipped.append(
                {"file": name, "reason": f"could not be read ({exc.strerror or exc})"}
            )
            continue
        loading.admit(path, name, read, cleaned)
    loading.flag_near_duplicates(near_duplicate_threshold)
    if files is None:
        loading.flag_unmatched_rows(metadata_path)
    return loading.speeches, loading.report
