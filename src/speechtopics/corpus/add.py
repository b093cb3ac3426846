"""Adding speeches to the raw folder: copy new files (never overwriting) and append metadata rows.

All or nothing: every accepted file is copied and its row appended to
``metadata.csv`` in that file's own encoding (its byte-order mark and line
endings kept), or — when a copy or the metadata cannot be written — no file
is left behind and nothing is appended.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..io import sha256_hex, write_bytes
from ..text.clean import CleanResult, count_cjk
from ..text.segment import title_from_text
from .decode import _BOMS, LoadError, decode_bytes
from .dedupe import NEAR_DUPLICATE_CONTAINMENT, shingle_containment, shingles
from .files import load_corpus
from .metadata import METADATA_COLUMNS, read_metadata
from .naming import safe_doc_id
from .readers import read_speech_file


@dataclass
class AddResult:
    """What happened to one file given to :func:`add_speeches`."""

    source: str
    status: str  # "added" or "refused"
    message: str
    doc_id: str = ""
    file: str = ""


@dataclass
class _Accepted:
    """A file that passed every check, waiting to be copied."""

    source: Path
    target: Path
    data: bytes
    row: dict[str, str]
    message: str


@dataclass
class _Corpus:
    """What the raw folder holds already: texts by hash, shingles and ids in use."""

    known: dict[str, str]
    shingles: list[tuple[str, frozenset[str]]]
    taken_ids: set[str] = field(default_factory=set)


class MetadataFile:
    """``metadata.csv`` as it is on disk: bytes, encoding, byte-order mark, line ending and header."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.data = self.path.read_bytes() if self.path.exists() else b""
        self.bom = next((bom for bom, _ in _BOMS if self.data.startswith(bom)), b"")
        if self.data:
            decoded = decode_bytes(self.data, self.path.name)
            self.encoding, text = decoded.encoding.replace("-sig", ""), decoded.text
        else:
            self.encoding, text = "utf-8", ""
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.ends_with_newline = text.endswith(("\n", "\r"))
        self.has_header = bool(text.strip())
        first = next(csv.reader(io.StringIO(text)), []) if self.has_header else []
        self.header = first or list(METADATA_COLUMNS)

    def appended(self, rows: list[dict[str, str]]) -> bytes:
        """The file's bytes with ``rows`` appended in its own encoding.

        Raises
        ------
        LoadError
            A row cannot be written in the file's encoding (the message says how to fix it).
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator=self.newline)
        if not self.has_header:
            writer.writerow(self.header)
        for row in rows:
            writer.writerow([row.get(column.strip(), "") for column in self.header])
        text = buffer.getvalue()
        if self.data and not self.ends_with_newline:
            text = self.newline + text
        try:
            return self.data + text.encode(self.encoding)
        except (UnicodeEncodeError, LookupError) as exc:
            raise LoadError(
                f"{self.path}: the new rows cannot be written in its encoding {self.encoding} "
                f"({exc}); re-save metadata.csv as UTF-8 and add again"
            ) from exc


def _refusal(source: Path, raw_dir: Path, state: _Corpus, cleaner) -> tuple[str, object]:
    """Why ``source`` cannot be added (``""`` when it can), with what was read."""
    if source.name.startswith("."):
        return (
            f"{source.name}: a hidden file (its name starts with '.'); the loader does not "
            "load hidden files, so rename it to add it",
            None,
        )
    try:
        text, _fmt, _encoding, data = read_speech_file(source)
    except LoadError as exc:
        return str(exc), None
    except OSError as exc:
        return f"{source}: could not be read ({exc.strerror or exc})", None
    cleaned = cleaner(text)
    if count_cjk(cleaned.text) == 0:
        return f"{source.name}: no text after cleaning", None
    digest = sha256_hex(cleaned.text)
    if digest in state.known:
        return (
            f"{source.name}: the same speech is already in the corpus as {state.known[digest]}",
            None,
        )
    target = raw_dir / source.name
    if target.exists():
        return f"{source.name}: {target} already exists; rename the file to add it", None
    return "", (data, cleaned)


def _accept(
    source: Path, raw_dir: Path, state: _Corpus, read: tuple, metadata: dict[str, str]
) -> _Accepted:
    data, cleaned = read
    doc_id = safe_doc_id(source.stem)
    while doc_id in state.taken_ids:
        doc_id = f"{doc_id}_"
    state.taken_ids.add(doc_id)
    row = {
        "doc_id": doc_id,
        "file": source.name,
        "title": title_from_text(cleaned.text),
        **metadata,
    }
    target = raw_dir / source.name
    message = f"added as {target}"
    new_shingles = shingles(cleaned.text)
    twins = [
        file
        for file, grams in state.shingles
        if shingle_containment(new_shingles, grams) >= NEAR_DUPLICATE_CONTAINMENT
    ]
    if twins:
        message += f"; note: near-duplicate of {', '.join(twins)}"
    state.shingles.append((source.name, new_shingles))
    state.known[sha256_hex(cleaned.text)] = source.name
    return _Accepted(source, target, data, row, message)


def _copy_all(accepted: list[_Accepted], metadata_path: Path, raw_dir: Path) -> str:
    """Copy every accepted file and append their rows; on any failure undo the copies.

    Returns
    -------
    str
        ``""`` when everything was written, else why nothing was.
    """
    copied: list[Path] = []
    try:
        new_metadata = MetadataFile(metadata_path).appended([item.row for item in accepted])
        for item in accepted:
            write_bytes(item.target, item.data)
            copied.append(item.target)
        write_bytes(metadata_path, new_metadata)
    except LoadError as exc:
        problem = str(exc)
    except OSError as exc:
        where = (
            raw_dir if not copied or Path(exc.filename or "").parent == raw_dir else metadata_path
        )
        problem = (
            f"cannot write to {where} ({exc.strerror or exc}); "
            "check that the folder exists and that you may write to it"
        )
    else:
        return ""
    for path in copied:
        path.unlink(missing_ok=True)
    return problem


def add_speeches(
    sources: Iterable[Path],
    raw_dir: Path,
    metadata_path: Path,
    cleaner: Callable[[str], CleanResult],
    metadata: dict[str, str] | None = None,
) -> list[AddResult]:
    """Copy new speeches into the raw folder and append their metadata rows.

    A file is refused (with the reason) when it cannot be read as a speech,
    is hidden, when a file of the same name is already in ``raw_dir``
    (nothing is ever overwritten) or when its cleaned text is the same as a
    speech already there (the message names the twin). The accepted files
    are added all together or — if a copy or ``metadata.csv`` cannot be
    written — not at all.

    Parameters
    ----------
    sources : iterable of Path
        Files to add (``.txt``, ``.docx``, ``.html``).
    raw_dir : Path
        The corpus folder.
    metadata_path : Path
        ``metadata.csv`` to append to (created with a header if missing),
        written in its own encoding.
    cleaner : callable
        The cleaning function (duplicates are judged on cleaned text).
    metadata : dict, optional
        ``level``, ``year``, ``region``, ``speaker`` (and other columns) for the new rows.

    Returns
    -------
    list of AddResult
    """
    raw_dir, metadata_path = Path(raw_dir), Path(metadata_path)
    sources = [Path(source) for source in sources]
    metadata = {k: v for k, v in (metadata or {}).items() if v}
    year = metadata.get("year", "")
    if year and not re.fullmatch(r"(19|20)\d\d", year):
        raise ValueError(f"--year {year!r} is not a four-digit year")
    existing, _ = load_corpus(raw_dir, None, cleaner, near_duplicate_threshold=2.0)
    state = _Corpus(
        known={sha256_hex(speech.text): speech.file for speech in existing},
        shingles=[(speech.file, shingles(speech.text)) for speech in existing],
        taken_ids={speech.doc_id for speech in existing}
        | {row["doc_id"] for row in read_metadata(metadata_path).rows_by_file.values()},
    )
    results: list[AddResult] = []
    accepted: list[_Accepted] = []
    for source in sources:
        problem, read = _refusal(source, raw_dir, state, cleaner)
        if problem:
            results.append(AddResult(str(source), "refused", problem))
        else:
            accepted.append(_accept(source, raw_dir, state, read, metadata))
    problem = _copy_all(accepted, metadata_path, raw_dir) if accepted else ""
    for item in accepted:
        if problem:
            results.append(AddResult(str(item.source), "refused", f"{item.source.name}: {problem}"))
        else:
            results.append(
                AddResult(
                    str(item.source), "added", item.message, item.row["doc_id"], item.source.name
                )
            )
    order = {str(source): number for number, source in enumerate(sources)}
    return sorted(results, key=lambda result: order.get(result.source, 0))
