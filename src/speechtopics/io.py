"""Files: atomic writes, the one hash helper, the table format and the on-disk cache.

Every generated file goes to a temporary name and is then renamed, so an
interrupted run never leaves a half-written table or figure: the previous
version stays in place until the new one is complete. Tables are UTF-8 CSV
with floats at six significant digits (byte-identical across runs and
machines).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

PACKAGE_DIR = Path(__file__).resolve().parent

# --------------------------------------------------------------------------- hashes


def sha256_hex(data: bytes | str) -> str:
    """Hex sha256 of ``data`` (text is hashed as UTF-8)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes (``'absent'`` when the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return "absent"
    return sha256_hex(path.read_bytes())


def json_sha256(data: Any) -> str:
    """Hex sha256 of ``data`` as canonical JSON (keys sorted; non-JSON values as ``str``)."""
    return sha256_hex(json.dumps(data, ensure_ascii=False, sort_keys=True, default=str))


@cache
def source_hash(parts: tuple[str, ...] = ("",)) -> str:
    """Hash of the package's source files under ``parts`` (paths relative to the package).

    ``("",)`` is the whole package: every ``.py`` file, in path order.
    """
    digest = hashlib.sha256()
    files: set[Path] = set()
    for part in parts:
        target = PACKAGE_DIR / part
        files.update(target.rglob("*.py") if target.is_dir() else [target])
    for path in sorted(files):
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def library_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Installed versions of the named distributions (``'not installed'`` when absent)."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in names:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


# --------------------------------------------------------------------------- atomic writes


def _atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        write(temporary_path)
        os.chmod(temporary_path, 0o644)
        os.replace(temporary_path, path)
    except BaseException:
        temporary_path.unlink(missing_ok=True)
        raise
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return _atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented UTF-8 JSON (keys sorted) atomically."""
    return write_text(
        path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"
    )


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless the file already holds exactly these bytes.

    Returns
    -------
    bool
        True when the file was written.
    """
    path = Path(path)
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    write_bytes(path, data)
    return True


# --------------------------------------------------------------------------- tables

#: How a column is read back (see :func:`column_kinds` and :func:`read_table`).
COLUMN_KINDS = ("text", "integer", "number", "boolean")


def table_csv_bytes(table: pd.DataFrame) -> bytes:
    """The project's CSV form of a table: UTF-8, no index, floats to six significant digits."""
    text = table.to_csv(index=False, float_format="%.6g", lineterminator="\n")
    return text.encode("utf-8")


def column_kinds(table: pd.DataFrame) -> dict[str, str]:
    """``column -> kind`` (text, integer, number, boolean) of a table, to read it back alike.

    A ``year`` column is read as integers (missing allowed) when every
    non-empty value is a whole number.
    """
    kinds = {}
    for name in table.columns:
        series = table[name]
        if pd.api.types.is_bool_dtype(series):
            kinds[str(name)] = "boolean"
        elif pd.api.types.is_integer_dtype(series):
            kinds[str(name)] = "integer"
        elif pd.api.types.is_float_dtype(series):
            kinds[str(name)] = "number"
        else:
            kinds[str(name)] = "text"
        if str(name) == "year" and kinds[str(name)] == "text":
            values = series.dropna().astype(str)
            values = values[values != ""]
            if values.str.fullmatch(r"-?\d+").all():
                kinds[str(name)] = "integer"
    return kinds


def read_table(path: Path, kinds: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read a CSV table written by :func:`table_csv_bytes` with the right dtypes.

    Parameters
    ----------
    path : Path
    kinds : mapping, optional
        ``column -> kind`` from :func:`column_kinds`. Without it, ``doc_id``,
        ``unit_id`` and every column pandas would read as text stay text
        (so ``"000"`` stays ``"000"``).

    Returns
    -------
    DataFrame
        Text columns as ``str`` with ``""`` for empty cells; integer columns
        as ``Int64`` (missing allowed); numbers as ``float64``; booleans as
        ``boolean``.
    """
    kinds = dict(kinds or {})
    text_columns = [name for name, kind in kinds.items() if kind == "text"]
    dtype = {name: str for name in set(text_columns) | DEFAULT_TEXT_COLUMNS}
    table = pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""])
    return _typed(table, kinds)


#: Columns read as text when no kinds are recorded (identifiers that look like numbers).
DEFAULT_TEXT_COLUMNS = frozenset(
    {"doc_id", "unit_id", "file", "title", "section_path", "topic", "label"}
)


def _typed(table: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """``table`` with each column converted to its recorded kind (see :func:`read_table`)."""
    default_text = DEFAULT_TEXT_COLUMNS
    for name in table.columns:
        kind = kinds.get(name)
        if kind == "text" or (kind is None and name in default_text):
            table[name] = table[name].fillna("").astype(str)
        elif kind == "integer":
            table[name] = pd.to_numeric(table[name]).astype("Int64")
        elif kind == "number":
            table[name] = pd.to_numeric(table[name]).astype("float64")
        elif kind == "boolean":
            table[name] = table[name].map({"True": True, "False": False, True: True, False: False})
            table[name] = table[name].astype("boolean")
    return table


# --------------------------------------------------------------------------- cache


def cache_memory(folder: Path):
    """The ``joblib.Memory`` under ``folder`` (``data/interim/cache``)."""
    from joblib import Memory

    Path(folder).mkdir(parents=True, exist_ok=True)
    return Memory(location=str(folder), verbose=0)


def call_cached(memorized, *args, force: bool = False) -> tuple[Any, str]:
    """Call a ``joblib.Memory``-cached function and say where the result came from.

    Returns
    -------
    (output, status)
        ``status`` is ``reused`` (loaded from the cache), ``recomputed``
        (not cached, or ``force``) or ``repaired`` (a cache entry that could
        not be loaded — truncated or corrupted — was recomputed and replaced).
    """
    if force:
        output, _ = memorized.call(*args)
        return output, "recomputed"
    in_cache = memorized.check_call_in_cache(*args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        output = memorized(*args)
    for warning in caught:
        if "Exception while loading results" not in str(warning.message):
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    if any("Exception while loading results" in str(w.message) for w in caught):
        return output, "repaired"
    return output, "reused" if in_cache else "recomputed"


# --------------------------------------------------------------------------- Excel

#: Characters that make a spreadsheet read a cell as a formula (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Fixed timestamp of the workbook's parts, so the same tables give the same bytes.
_WORKBOOK_TIME = (2000, 1, 1, 0, 0, 0)


def _sheet_value(sheet, value: Any, kind: str) -> Any:
    """One cell's value with the column's kind; text that could start a formula stays text.

    Returns None for a missing value, a plain value for numbers and
    booleans, and a write-only cell for text (marked as text, with Excel's
    quote prefix when it starts like a formula).
    """
    import math

    from openpyxl.cell import WriteOnlyCell

    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if kind != "text" and isinstance(value, str) and not value.strip():
        return None
    if kind == "boolean":
        return bool(value)
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    text = str(value)
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def _write_sheet(sheet, table: pd.DataFrame) -> None:
    kinds = column_kinds(table)
    sheet.freeze_panes = "A2"
    sheet.append([_sheet_value(sheet, str(name), "text") for name in table.columns])
    column_kinds_in_order = [kinds[str(name)] for name in table.columns]
    for record in table.itertuples(index=False, name=None):
        sheet.append(
            [
                _sheet_value(sheet, value, kind)
                for value, kind in zip(record, column_kinds_in_order, strict=True)
            ]
        )


def _fixed_zip_times(data: bytes) -> bytes:
    """The same zip with every entry dated :data:`_WORKBOOK_TIME` (deterministic bytes)."""
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_WORKBOOK_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return buffer.getvalue()


def table_xlsx_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An Excel workbook (``.xlsx``) of tables, one sheet each, as bytes.

    Cells keep their column's kind (:func:`column_kinds`): text stays text
    (``doc_id`` ``"000"`` is not turned into 0), integers, numbers and
    booleans stay what they are, missing values are empty cells. Text
    starting with ``= + - @`` (or a tab) is stored as text with Excel's
    quote prefix, so it is never run as a formula. The same tables give
    the same bytes.

    Parameters
    ----------
    sheets : mapping
        ``sheet name -> table`` (names of at most 31 characters, no ``[]:*?/\\``).
    """
    import datetime as dt
    import io

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, table in sheets.items():
        _write_sheet(workbook.create_sheet(title=name), table)
    stamp = dt.datetime(*_WORKBOOK_TIME)
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.properties.creator = "speechtopics"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _fixed_zip_times(buffer.getvalue())


def _cell_kinds(table: pd.DataFrame) -> dict[str, str]:
    """Kinds of the columns of a sheet read as Python objects (text wins over numbers)."""
    kinds = {}
    for name in table.columns:
        values = [v for v in table[name].tolist() if not (v is None or v != v)]
        if any(isinstance(v, str) for v in values):
            kinds[str(name)] = "text"
        elif values and all(isinstance(v, bool) for v in values):
            kinds[str(name)] = "boolean"
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            kinds[str(name)] = "integer"
        else:
            kinds[str(name)] = "number"
    return kinds


def read_workbook(
    path: Path, kinds: Mapping[str, Mapping[str, str]] | None = None
) -> dict[str, pd.DataFrame]:
    """The sheets of a workbook written by :func:`table_xlsx_bytes` with the right dtypes.

    Parameters
    ----------
    path : Path
    kinds : mapping, optional
        ``sheet name -> {column -> kind}`` (the manifest's ``tables`` keyed by
        sheet); text columns are read as text whatever the kinds say.

    Returns
    -------
    dict
        ``sheet name -> DataFrame``, typed as :func:`read_table` types a CSV table.
    """
    sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    typed = {}
    for name, table in sheets.items():
        recorded = {**_cell_kinds(table), **((kinds or {}).get(name) or {})}
        typed[name] = _typed(table, recorded)
    return typed
