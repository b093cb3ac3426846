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


def table_csv_bytes(table: pd.DataFrame, header: bool = True) -> bytes:
    """The project's CSV form of a table: UTF-8, no index, floats to six significant digits.

    ``header=False`` gives the rows only: a table written in pieces is the
    first piece with its header and the others without.
    """
    text = table.to_csv(index=False, header=header, float_format="%.6g", lineterminator="\n")
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


#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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

#: First bytes of every cache entry (format version included).
CACHE_ENTRY_MAGIC = b"speechtopics-cache-v1\n"
_DIGEST_BYTES = 32
#: Where the secret that signs cache entries is kept (overridden by this variable).
SECRET_DIR_VARIABLE = "SPEECHTOPICS_SECRET_DIR"


def secret_folder() -> Path:
    """Folder of the user's cache secret: ``$SPEECHTOPICS_SECRET_DIR``, else ``~/.config/speechtopics``."""
    if os.environ.get(SECRET_DIR_VARIABLE):
        return Path(os.environ[SECRET_DIR_VARIABLE])
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "speechtopics"


@cache
def _secret_at(folder: Path) -> tuple[bytes, str | None]:
    path = folder / "cache-secret"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(handle, "w") as file:
                file.write(os.urandom(32).hex())
        secret = bytes.fromhex(path.read_text(encoding="ascii").strip())
        if len(secret) < 16:
            raise ValueError("shorter than 16 bytes")
        return secret, None
    except (OSError, ValueError) as exc:
        return os.urandom(32), (
            f"the cache secret {path} could not be kept ({exc}); cache entries are "
            "trusted only within this process"
        )


def cache_secret() -> tuple[bytes, str | None]:
    """The user's secret that signs cache entries, and a problem when it could not be kept.

    It lives outside every project (see :func:`secret_folder`), readable by
    its owner only, so a cache folder copied, shared or planted from
    elsewhere never verifies.
    """
    return _secret_at(secret_folder().resolve())


class SignedCache:
    """Results kept on disk by key, each entry signed and verified before it is read.

    An entry is ``CACHE_ENTRY_MAGIC``, an HMAC-SHA256 (keyed with
    :func:`cache_secret`) of its namespace, key and payload, then the
    payload (a pickle). The signature is checked before anything is
    unpickled, so an entry altered, truncated, copied from another machine
    or planted by someone else is rejected and recomputed, never loaded.

    Parameters
    ----------
    folder : Path
        The cache folder (``data/interim/cache``).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.secret, self.secret_problem = cache_secret()

    def entry_path(self, namespace: str, key: str) -> Path:
        """File of an entry: ``folder/namespace/ab/abcdef….pkl``."""
        return self.folder / namespace / key[:2] / f"{key}.pkl"

    def _signature(self, namespace: str, key: str, payload: bytes) -> bytes:
        import hmac

        message = hmac.new(self.secret, digestmod="sha256")
        message.update(f"{namespace}\n{key}\n".encode())
        message.update(payload)
        return message.digest()

    def contains(self, namespace: str, key: str) -> bool:
        """Whether an entry file exists (it may still fail its check when read)."""
        return self.entry_path(namespace, key).is_file()

    def load(self, namespace: str, key: str) -> tuple[str, Any, str]:
        """``(status, value, problem)``: ``hit`` with the value, ``miss``, or ``rejected`` with why.

        Never unpickles an entry whose signature does not verify.
        """
        import hmac
        import pickle

        path = self.entry_path(namespace, key)
        if not path.exists() and not path.is_symlink():
            return "miss", None, ""
        try:
            data = path.read_bytes()
        except OSError as exc:
            return (
                "rejected",
                None,
                f"could not be read ({type(exc).__name__}: {exc.strerror or exc})",
            )
        head = len(CACHE_ENTRY_MAGIC) + _DIGEST_BYTES
        if not data.startswith(CACHE_ENTRY_MAGIC) or len(data) < head:
            return "rejected", None, "not an entry written by this tool (damaged or foreign)"
        signature, payload = data[len(CACHE_ENTRY_MAGIC) : head], data[head:]
        if not hmac.compare_digest(signature, self._signature(namespace, key, payload)):
            return (
                "rejected",
                None,
                "its signature does not match (altered, truncated, or written by another user or machine)",
            )
        try:
            return "hit", pickle.loads(payload), ""
        except Exception as exc:  # signed by us, but unreadable by this version of a library
            return "rejected", None, f"could not be read back ({type(exc).__name__}: {exc})"

    def store(self, namespace: str, key: str, value: Any) -> str:
        """Write an entry atomically; returns ``""`` or the problem that kept it from being stored."""
        import pickle
        import shutil

        path = self.entry_path(namespace, key)
        try:
            payload = pickle.dumps(value, protocol=5)
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.exists():  # a folder (or anything else) where the entry belongs
                shutil.rmtree(path)
            signature = self._signature(namespace, key, payload)
            write_bytes(path, CACHE_ENTRY_MAGIC + signature + payload)
        except Exception as exc:
            return f"could not be stored ({type(exc).__name__}: {exc})"
        return ""


class CachedFunction:
    """A function whose results are kept in a :class:`SignedCache`, keyed by its arguments.

    Arguments named in ``ignore`` are passed on but not part of the key
    (the caller's key argument covers what they hold).
    """

    def __init__(self, store: SignedCache, function: Callable, ignore: tuple[str, ...] = ()):
        import inspect

        self.store = store
        self.function = function
        self.namespace = f"{function.__module__}.{function.__qualname__}"
        self._names = list(inspect.signature(function).parameters)
        self._ignore = set(ignore)
        #: Why the last entry looked up was rejected or not stored (``""`` when fine).
        self.problem = ""

    def key(self, *args: Any) -> str:
        """Key of a call: hash of the arguments not ignored."""
        import joblib

        kept = [
            arg for name, arg in zip(self._names, args, strict=False) if name not in self._ignore
        ]
        return joblib.hash(kept)

    def check_call_in_cache(self, *args: Any) -> bool:
        return self.store.contains(self.namespace, self.key(*args))

    def call(self, *args: Any) -> tuple[Any, str]:
        """Compute and store; ``(output, problem storing it)``."""
        output = self.function(*args)
        return output, self.store.store(self.namespace, self.key(*args), output)

    def __call__(self, *args: Any) -> Any:
        return call_cached(self, *args)[0]


class SignedMemory:
    """The cache of a project folder: ``memory.cache(function, ignore=[...])`` as with joblib."""

    def __init__(self, folder: Path) -> None:
        self.store = SignedCache(folder)

    def cache(self, function: Callable, ignore: list[str] | tuple[str, ...] = ()) -> CachedFunction:
        return CachedFunction(self.store, function, tuple(ignore))


def cache_memory(folder: Path) -> SignedMemory:
    """The signed cache under ``folder`` (``data/interim/cache``).

    Entries of the pickle cache of earlier versions (``joblib/``), which
    were loaded unchecked, are removed.
    """
    import shutil

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # a read-only output folder: every entry then says it could not be stored
    legacy = folder / "joblib"
    if legacy.is_dir() and not legacy.is_symlink():
        shutil.rmtree(legacy, ignore_errors=True)
    return SignedMemory(folder)


def call_cached(memorized: CachedFunction, *args: Any, force: bool = False) -> tuple[Any, str]:
    """Call a cached function and say where the result came from.

    Returns
    -------
    (output, status)
        ``status`` is ``reused`` (a verified entry), ``recomputed`` (no entry,
        or ``force``) or ``repaired`` (an entry failed its check — altered,
        truncated, foreign or unreadable — and was recomputed and replaced;
        ``memorized.problem`` says why).
    """
    memorized.problem = ""
    key = memorized.key(*args)
    status = "recomputed"
    if not force:
        found, output, problem = memorized.store.load(memorized.namespace, key)
        if found == "hit":
            return output, "reused"
        if found == "rejected":
            status = "repaired"
            memorized.problem = f"cache entry {memorized.store.entry_path(memorized.namespace, key)} rejected: {problem}; recomputed"
    output, stored = memorized.call(*args)
    if stored:
        memorized.problem = "; ".join(
            filter(None, [memorized.problem, f"result not cached: {stored}"])
        )
    return output, status


# --------------------------------------------------------------------------- Excel

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
