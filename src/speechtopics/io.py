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
from collections.abc import Callable, Iterable, Mapping
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


def write_table_chunks(path: Path, chunks: Iterable[pd.DataFrame]) -> tuple[str, dict, bool]:
    """Write a table given in pieces as one CSV (the bytes :func:`table_csv_bytes` gives the whole).

    Written atomically, and not at all when the file already holds the same
    bytes; only one piece is in memory at a time.

    Parameters
    ----------
    path : Path
    chunks : iterable of DataFrame
        Consecutive rows, same columns and dtypes (at least one, possibly empty).

    Returns
    -------
    (sha256, kinds, written)
        Hash of the bytes, :func:`column_kinds` of the first piece, whether the file was written.
    """
    path = Path(path)
    digest = hashlib.sha256()
    kinds: dict[str, str] = {}

    def write(temporary: Path) -> None:
        nonlocal kinds
        with temporary.open("wb") as handle:
            for number, chunk in enumerate(chunks):
                if number == 0:
                    kinds = column_kinds(chunk)
                text = chunk.to_csv(
                    index=False, header=number == 0, float_format="%.6g", lineterminator="\n"
                )
                data = text.encode("utf-8")
                digest.update(data)
                handle.write(data)

    temporary = path.with_name(f".{path.name}.chunks.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write(temporary)
        same = path.exists() and file_sha256(path) == digest.hexdigest()
        if same:
            temporary.unlink()
        else:
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return digest.hexdigest(), kinds, not same


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
    default_text = {"doc_id", "unit_id", "file", "title", "section_path", "topic", "label"}
    dtype = {name: str for name in set(text_columns) | default_text}
    table = pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""])
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
