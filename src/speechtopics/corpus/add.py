"""Adding speeches to the raw folder: copy new files (never overwriting) and append metadata rows."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..io import sha256_hex, write_bytes, write_text
from ..text.clean import CleanResult, count_cjk
from ..text.segment import title_from_text
from .dedupe import NEAR_DUPLICATE_CONTAINMENT, shingle_containment, shingles
from .files import load_corpus, safe_doc_id
from .metadata import METADATA_COLUMNS, read_metadata
from .readers import LoadError, read_speech_file


@dataclass
class AddResult:
    """What happened to one file given to :func:`add_speeches`."""

    source: str
    status: str  # "added" or "refused"
    message: str
    doc_id: str = ""
    file: str = ""


def _append_metadata_row(metadata_path: Path, row: dict[str, str]) -> None:

    if metadata_path.exists():
        existing = metadata_path.read_text(encoding="utf-8-sig")
        if existing and not existing.endswith("\n"):
            existing += "\n"
        header = (
            next(csv.reader(io.StringIO(existing)), list(METADATA_COLUMNS))
            if existing.strip()
            else list(METADATA_COLUMNS)
        )
    else:
        existing, header = "", list(METADATA_COLUMNS)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if not existing.strip():
        writer.writerow(header)
    writer.writerow([row.get(column.strip(), "") for column in header])
    write_text(metadata_path, existing + buffer.getvalue())


def add_speeches(
    sources: Iterable[Path],
    raw_dir: Path,
    metadata_path: Path,
    cleaner: Callable[[str], CleanResult],
    metadata: dict[str, str] | None = None,
) -> list[AddResult]:
    """Copy new speeches into the raw folder and append their metadata rows.

    A file is refused (with the reason) when it cannot be read as a speech,
    when a file of the same name is already in ``raw_dir`` (nothing is ever
    overwritten) or when its cleaned text is the same as a speech already
    there (the message names the twin).

    Parameters
    ----------
    sources : iterable of Path
        Files to add (``.txt``, ``.docx``, ``.html``).
    raw_dir : Path
        The corpus folder.
    metadata_path : Path
        ``metadata.csv`` to append to (created with a header if missing).
    cleaner : callable
        The cleaning function (duplicates are judged on cleaned text).
    metadata : dict, optional
        ``level``, ``year``, ``region``, ``speaker`` (and other columns) for the new rows.

    Returns
    -------
    list of AddResult
    """
    raw_dir = Path(raw_dir)
    metadata = {k: v for k, v in (metadata or {}).items() if v}
    year = metadata.get("year", "")
    if year and not re.fullmatch(r"(19|20)\d\d", year):
        raise ValueError(f"--year {year!r} is not a four-digit year")
    existing, _ = load_corpus(raw_dir, None, cleaner, near_duplicate_threshold=2.0)
    known = {sha256_hex(speech.text): speech.file for speech in existing}
    existing_shingles = [(speech.file, shingles(speech.text)) for speech in existing]
    taken_ids = {speech.doc_id for speech in existing} | set(
        read_metadata(metadata_path).rows_by_file
    )
    results = []
    for source in sources:
        source = Path(source)
        try:
            text, _fmt, _encoding, data = read_speech_file(source)
        except LoadError as exc:
            results.append(AddResult(str(source), "refused", str(exc)))
            continue
        except OSError as exc:
            results.append(
                AddResult(
                    str(source), "refused", f"{source}: could not be read ({exc.strerror or exc})"
                )
            )
            continue
        cleaned = cleaner(text)
        if count_cjk(cleaned.text) == 0:
            results.append(
                AddResult(str(source), "refused", f"{source.name}: no text after cleaning")
            )
            continue
        digest = sha256_hex(cleaned.text)
        if digest in known:
            results.append(
                AddResult(
                    str(source),
                    "refused",
                    f"{source.name}: the same speech is already in the corpus as {known[digest]}",
                )
            )
            continue
        target = raw_dir / source.name
        if target.exists():
            results.append(
                AddResult(
                    str(source),
                    "refused",
                    f"{source.name}: {target} already exists; rename the file to add it",
                )
            )
            continue

        try:
            write_bytes(target, data)
        except OSError as exc:
            results.append(
                AddResult(
                    str(source),
                    "refused",
                    f"{source.name}: cannot write to {raw_dir} ({exc.strerror or exc}); "
                    "check that the folder exists and that you may write to it",
                )
            )
            continue
        doc_id = safe_doc_id(source.stem)
        while doc_id in taken_ids:
            doc_id = f"{doc_id}_"
        taken_ids.add(doc_id)
        row = {
            "doc_id": doc_id,
            "file": source.name,
            "title": title_from_text(cleaned.text),
            **metadata,
        }
        message = f"added as {target}"
        try:
            _append_metadata_row(Path(metadata_path), row)
        except OSError as exc:
            message += (
                f"; but its row could not be appended to {metadata_path} ({exc.strerror or exc}): "
                "add the row by hand"
            )
        new_shingles = shingles(cleaned.text)
        twins = [
            file
            for file, grams in existing_shingles
            if shingle_containment(new_shingles, grams) >= NEAR_DUPLICATE_CONTAINMENT
        ]
        if twins:
            message += f"; note: near-duplicate of {', '.join(twins)}"
        existing_shingles.append((source.name, new_shingles))
        known[digest] = source.name
        results.append(AddResult(str(source), "added", message, doc_id=doc_id, file=source.name))
    return results
