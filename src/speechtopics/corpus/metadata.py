"""Reading ``metadata.csv``: one row per speech, any common encoding, problems reported by row."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from .decode import decode_bytes
from .readers import LoadError

METADATA_COLUMNS = (
    "doc_id",
    "file",
    "title",
    "level",
    "region",
    "year",
    "speaker",
    "source",
    "notes",
)


@dataclass
class Metadata:
    """Rows of ``metadata.csv`` by file name, plus problems found while reading it.

    Attributes
    ----------
    rows_by_file : dict
        ``file -> row`` (every known column present, ``''`` when empty).
    row_numbers : dict
        ``file -> row number`` as a spreadsheet shows it (the header is row 1).
    problems : list of str
        One message per problem, naming the file and the row.
    """

    rows_by_file: dict[str, dict[str, str]] = field(default_factory=dict)
    row_numbers: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


#: ``metadata.csv`` larger than this is not read (a speech table is a few kB).
MAX_METADATA_BYTES = 20 * 1024 * 1024


def read_metadata(path: Path) -> Metadata:
    """Read ``metadata.csv``; never raises for bad rows.

    Problems (missing or extra columns, duplicate rows or doc_ids, a
    malformed year, a row without a file name, cells beyond the header, a
    broken quote) are collected as messages naming the row; the usable rows
    are kept. Column names are matched without regard to case or spaces;
    the file may be UTF-8 (with or without BOM), GBK or any encoding
    :func:`decode_bytes` detects.
    """
    metadata = Metadata()
    path = Path(path)
    if not path.exists():
        return metadata
    try:
        size = path.stat().st_size
        if size > MAX_METADATA_BYTES:
            metadata.problems.append(
                f"{path}: {size / 1e6:.0f} MB is too large for a metadata table (not read); "
                "it should hold one row per speech"
            )
            return metadata
        text = decode_bytes(path.read_bytes(), path.name).text
    except LoadError as exc:
        metadata.problems.append(f"{path}: {str(exc).split(': ', 1)[-1]}; metadata not used")
        return metadata
    except OSError as exc:
        metadata.problems.append(
            f"{path}: could not be read ({exc.strerror or exc}); metadata not used"
        )
        return metadata
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, [])
    except csv.Error as exc:
        metadata.problems.append(
            f"{path} row 1: not a readable CSV header ({exc}); metadata not used"
        )
        return metadata
    known = {column.lower(): column for column in METADATA_COLUMNS}
    columns = [known.get(cell.strip().lower(), cell.strip()) for cell in header]
    if "file" not in columns:
        metadata.problems.append(
            f"{path} row 1: no 'file' column, so rows cannot be matched to speeches; "
            f"the header must include {', '.join(METADATA_COLUMNS)}"
        )
        return metadata
    repeated = sorted({column for column in columns if column and columns.count(column) > 1})
    if repeated:
        metadata.problems.append(
            f"{path} row 1: column(s) {', '.join(repeated)} appear more than once; the first is used"
        )
    absent = [c for c in METADATA_COLUMNS if c not in columns]
    if absent:
        metadata.problems.append(
            f"{path}: missing column(s) {', '.join(absent)}; those cells are treated as empty"
        )
    extra = [c for c in columns if c and c not in METADATA_COLUMNS]
    if extra:
        metadata.problems.append(f"{path}: extra column(s) {', '.join(extra)} kept as metadata")
    doc_id_rows: dict[str, tuple[int, str]] = {}
    row_number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            metadata.problems.append(
                f"{path} row {row_number + 1}: not readable as CSV ({exc}); this and later rows ignored"
            )
            break
        row_number += 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns):
            metadata.problems.append(
                f"{path} row {row_number}: {len(cells)} cells but {len(columns)} columns; "
                "the cells beyond the header are ignored"
            )
        clean_row: dict[str, str] = {}
        for column, cell in zip(columns, cells, strict=False):
            if column and column not in clean_row:
                clean_row[column] = cell.strip()
        for column in columns:
            if column:
                clean_row.setdefault(column, "")
        for column in METADATA_COLUMNS:
            clean_row.setdefault(column, "")
        file = clean_row["file"].replace("\\", "/")
        clean_row["file"] = file
        if not file:
            metadata.problems.append(f"{path} row {row_number}: empty 'file' cell; row ignored")
            continue
        year = clean_row["year"]
        if year and not re.fullmatch(r"(19|20)\d\d", year):
            metadata.problems.append(
                f"{path} row {row_number}: year {year!r} is not a four-digit year; left empty"
            )
            clean_row["year"] = ""
        if file in metadata.rows_by_file:
            metadata.problems.append(
                f"{path} row {row_number}: a second row for {file} (first in row "
                f"{metadata.row_numbers[file]}); the first row is used"
            )
            continue
        doc_id = clean_row["doc_id"]
        if doc_id and doc_id in doc_id_rows:
            first_row, first_file = doc_id_rows[doc_id]
            metadata.problems.append(
                f"{path} row {row_number}: doc_id {doc_id!r} is already used by row {first_row} "
                f"({first_file}); {file} gets another id"
            )
        elif doc_id:
            doc_id_rows[doc_id] = (row_number, file)
        metadata.rows_by_file[file] = clean_row
        metadata.row_numbers[file] = row_number
    return metadata
