"""Reading ``metadata.csv``: one row per speech, any common encoding, problems reported by row."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings, SettingsError
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
    columns : list of str
        The known columns and the header's extra ones (empty when unread).
    """

    rows_by_file: dict[str, dict[str, str]] = field(default_factory=dict)
    row_numbers: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)


#: ``metadata.csv`` larger than this is not read (a speech table is a few kB).
MAX_METADATA_BYTES = 20 * 1024 * 1024


def _metadata_text(path: Path, metadata: Metadata) -> str | None:
    """The decoded text of ``metadata.csv``, or ``None`` (with the problem recorded)."""
    try:
        size = path.stat().st_size
        if size > MAX_METADATA_BYTES:
            metadata.problems.append(
                f"{path}: {size / 1e6:.0f} MB is too large for a metadata table (not read); "
                "it should hold one row per speech"
            )
            return None
        return decode_bytes(path.read_bytes(), path.name).text
    except LoadError as exc:
        metadata.problems.append(f"{path}: {str(exc).split(': ', 1)[-1]}; metadata not used")
    except OSError as exc:
        metadata.problems.append(
            f"{path}: could not be read ({exc.strerror or exc}); metadata not used"
        )
    return None


def _header(path: Path, reader, metadata: Metadata) -> list[str] | None:
    """Column names of the header row (known names in their canonical spelling), or ``None``."""
    try:
        header = next(reader, [])
    except csv.Error as exc:
        metadata.problems.append(
            f"{path} row 1: not a readable CSV header ({exc}); metadata not used"
        )
        return None
    known = {column.lower(): column for column in METADATA_COLUMNS}
    columns = [known.get(cell.strip().lower(), cell.strip()) for cell in header]
    if "file" not in columns:
        metadata.problems.append(
            f"{path} row 1: no 'file' column, so rows cannot be matched to speeches; "
            f"the header must include {', '.join(METADATA_COLUMNS)}"
        )
        return None
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
    metadata.columns = [c for c in dict.fromkeys([*METADATA_COLUMNS, *columns]) if c]
    return columns


def _row(cells: list[str], columns: list[str], where: str, metadata: Metadata) -> dict | None:
    """One data row as ``column -> cell`` (``None`` when it is ignored, with the problem recorded)."""
    if len(cells) > len(columns):
        metadata.problems.append(
            f"{where}: {len(cells)} cells but {len(columns)} columns; "
            "the cells beyond the header are ignored"
        )
    row: dict[str, str] = {}
    for column, cell in zip(columns, cells, strict=False):
        if column and column not in row:
            row[column] = cell.strip()
    for column in (*columns, *METADATA_COLUMNS):
        if column:
            row.setdefault(column, "")
    row["file"] = row["file"].replace("\\", "/")
    if not row["file"]:
        metadata.problems.append(f"{where}: empty 'file' cell; row ignored")
        return None
    year = row["year"]
    if year and not re.fullmatch(r"(19|20)\d\d", year):
        metadata.problems.append(f"{where}: year {year!r} is not a four-digit year; left empty")
        row["year"] = ""
    return row


def _add_row(row: dict, row_number: int, where: str, metadata: Metadata, doc_ids: dict) -> None:
    """Keep a row unless its file already has one; note a doc_id used twice."""
    file = row["file"]
    if file in metadata.rows_by_file:
        metadata.problems.append(
            f"{where}: a second row for {file} (first in row "
            f"{metadata.row_numbers[file]}); the first row is used"
        )
        return
    doc_id = row["doc_id"]
    if doc_id and doc_id in doc_ids:
        first_row, first_file = doc_ids[doc_id]
        metadata.problems.append(
            f"{where}: doc_id {doc_id!r} is already used by row {first_row} "
            f"({first_file}); {file} gets another id"
        )
    elif doc_id:
        doc_ids[doc_id] = (row_number, file)
    metadata.rows_by_file[file] = row
    metadata.row_numbers[file] = row_number


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
    text = _metadata_text(path, metadata)
    if text is None:
        return metadata
    reader = csv.reader(io.StringIO(text))
    columns = _header(path, reader, metadata)
    if columns is None:
        return metadata
    doc_ids: dict[str, tuple[int, str]] = {}
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
        where = f"{path} row {row_number}"
        row = _row(cells, columns, where, metadata)
        if row is not None:
            _add_row(row, row_number, where, metadata, doc_ids)
    return metadata


#: Columns every speech has besides its metadata row (see ``Corpus.speeches_frame``).
SPEECH_COLUMNS = ("doc_id", "file", "title")


def metadata_columns(path: Path | None) -> list[str]:
    """Columns a grouping can use: the known metadata columns and any extra column of ``path``."""
    columns = list(dict.fromkeys((*SPEECH_COLUMNS, *METADATA_COLUMNS)))
    if path is None or not Path(path).exists():
        return columns
    extra = read_metadata(Path(path)).columns
    return columns + [column for column in extra if column not in columns]


def check_group_by(settings: Settings, metadata_path: Path | None) -> None:
    """Refuse ``[themes] group_by`` columns that neither ``metadata.csv`` nor the speeches have.

    Raises
    ------
    SettingsError
        Naming the settings file, the key, the unknown column and the columns there are.
    """
    columns = metadata_columns(metadata_path)
    unknown = [column for column in settings.themes.group_by if column not in columns]
    if unknown:
        source = settings.source_of("themes", "group_by")
        where = metadata_path if metadata_path is not None else "the speeches"
        raise SettingsError(
            [
                f"{source} [themes] group_by = {list(settings.themes.group_by)!r}: "
                f"no column {', '.join(repr(c) for c in unknown)} in {where}; "
                f"columns are {', '.join(columns)}"
            ]
        )
