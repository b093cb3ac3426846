"""Loading speeches from a folder: formats, encodings, metadata, hashing, dedupe.

Files are only ever read. Each speech becomes a :class:`Speech` with a
stable ``doc_id``, the sha256 of its raw bytes, the detected format and
encoding, its metadata row and its raw text. Files that cannot be used are
reported with the reason in a :class:`LoadReport`; the others still load.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clean import CleanResult, count_cjk

TEXT_SUFFIXES = {".txt", ".text"}
DOCX_SUFFIXES = {".docx"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | DOCX_SUFFIXES | HTML_SUFFIXES
#: Files the loader passes over silently (not speeches).
IGNORED_NAMES = {"metadata.csv", ".gitkeep", ".DS_Store", "README.md", "Thumbs.db"}

METADATA_COLUMNS = ("doc_id", "file", "title", "level", "region", "year", "speaker", "source", "notes")

#: Refuse single files larger than this (bytes); the message says how to split them.
MAX_FILE_BYTES = 20 * 1024 * 1024

_BINARY_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a zip archive (perhaps a .docx or .xlsx saved with the wrong extension)",
    b"\xd0\xcf\x11\xe0": "an old Microsoft Office document (.doc/.xls); save it as .docx",
    b"\x7fELF": "a program",
    b"{\\rtf": "an RTF document; save it as .docx or .txt",
}

_TITLE_RE = re.compile(r"(讲话|发言|报告|致辞|讲稿|意见|总结)$")


class LoadError(Exception):
    """A file that could not be turned into a speech; the message says why."""


@dataclass
class Speech:
    """One speech as loaded from ``data/raw``.

    Attributes
    ----------
    doc_id : str
        Stable identifier: the metadata ``doc_id`` when a row names the file,
        else the file name without its extension.
    file : str
        File name relative to the raw folder.
    format : str
        ``txt``, ``docx`` or ``html``.
    encoding : str
        Detected text encoding (``utf-8``, ``gb18030`` …; ``docx`` for Word files).
    sha256 : str
        Hash of the raw bytes.
    title : str
        From metadata, else the first line when it reads as a title, else empty.
    meta : dict
        The metadata row (empty strings for unknown cells).
    raw_text : str
        Decoded text before cleaning.
    clean : CleanResult or None
        Cleaned text and the per-rule report, once cleaned.
    """

    doc_id: str
    file: str
    format: str
    encoding: str
    sha256: str
    title: str
    meta: dict[str, str]
    raw_text: str
    clean: CleanResult | None = None

    @property
    def text(self) -> str:
        """Cleaned text (raw text if not cleaned yet)."""
        return self.clean.text if self.clean is not None else self.raw_text


@dataclass
class LoadReport:
    """What a load did with each file.

    Attributes
    ----------
    loaded : list of dict
        One row per loaded speech.
    skipped : list of dict
        ``{"file", "reason"}`` for each file that could not be used.
    duplicates : list of dict
        ``{"file", "duplicate_of"}`` for exact duplicates (same cleaned text).
    warnings : list of dict
        ``{"file", "message"}``: loaded, but worth a look (metadata problems,
        near-duplicates, converted traditional characters).
    """

    loaded: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        """The report as plain data (the ``ingest --json`` object)."""
        return {
            "loaded": self.loaded,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "warnings": self.warnings,
        }


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """Hex sha256 of ``text`` encoded as UTF-8."""
    return sha256_bytes(text.encode("utf-8"))


# --------------------------------------------------------------------------- decoding


def _looks_binary(data: bytes) -> str | None:
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            return what
    head = data[:8192]
    if b"\x00" in head:
        # UTF-16 text has NULs in every other byte; other text never does.
        even_nuls = head[0::2].count(0)
        odd_nuls = head[1::2].count(0)
        half = max(len(head) // 2, 1)
        if max(even_nuls, odd_nuls) / half < 0.2 or min(even_nuls, odd_nuls) / half > 0.2:
            return "binary data (NUL bytes)"
    return None


def _cjk_quality(text: str) -> float:
    """Share of characters that are common in Chinese text (for ranking decodings)."""
    if not text:
        return 0.0
    good = 0
    for char in text:
        code = ord(char)
        if 0x4E00 <= code <= 0x9FFF or char.isascii() or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF:
            good += 1
        elif 0x2000 <= code <= 0x206F:
            good += 1
    return good / len(text)


def _simplified_share(text: str) -> float:
    """Share of CJK characters that GB2312 can encode (common simplified Chinese)."""
    chars = [c for c in text if 0x4E00 <= ord(c) <= 0x9FFF]
    if not chars:
        return 0.0
    ok = 0
    for char in chars:
        try:
            char.encode("gb2312")
            ok += 1
        except UnicodeEncodeError:
            pass
    return ok / len(chars)


def _big5_share(text: str) -> float:
    chars = [c for c in text if 0x4E00 <= ord(c) <= 0x9FFF]
    if not chars:
        return 0.0
    ok = 0
    for char in chars:
        try:
            char.encode("big5")
            ok += 1
        except UnicodeEncodeError:
            pass
    return ok / len(chars)


def decode_text(data: bytes, file: str = "<bytes>") -> tuple[str, str]:
    """Decode the bytes of a text file, detecting its encoding.

    Tries, in order: a byte-order mark (UTF-8, UTF-16 LE/BE), strict UTF-8,
    UTF-16 without a BOM, then GB18030 and Big5 (ranked by how Chinese the
    result reads), then charset-normalizer for anything else.

    Parameters
    ----------
    data : bytes
        Raw file content.
    file : str
        Name used in error messages.

    Returns
    -------
    (text, encoding)

    Raises
    ------
    LoadError
        Binary content, or no encoding decodes it reliably.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        encoding = "utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be"
        try:
            return data[2:].decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise LoadError(f"{file}: starts with a UTF-16 mark but does not decode as UTF-16 ({exc})") from exc
    binary = _looks_binary(data)
    if binary is not None and b"\x00" in data[:8192]:
        # Could still be UTF-16 without a BOM.
        for encoding in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if _cjk_quality(text) > 0.95 and count_cjk(text) > 0:
                return text, encoding
    if binary is not None:
        raise LoadError(f"{file}: this is {binary}, not text; convert it to .txt or .docx, or remove it")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates: list[tuple[float, str, str]] = []
    for encoding in ("gb18030", "big5"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        quality = _cjk_quality(text)
        share = _simplified_share(text) if encoding == "gb18030" else _big5_share(text)
        candidates.append((quality + share, encoding, text))
    if candidates:
        score, encoding, text = max(candidates)
        if score >= 1.5:
            return text, encoding
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and best.chaos < 0.2:
        text = str(best)
        if _cjk_quality(text) > 0.9:
            return text, best.encoding
    raise LoadError(
        f"{file}: could not be decoded reliably as UTF-8, GB18030/GBK, Big5 or UTF-16 "
        "(mixed or unknown encoding); re-save it as UTF-8"
    )


def read_docx(data: bytes, file: str = "<docx>") -> str:
    """Text of a Word ``.docx`` file: paragraphs (and table cells) in document order."""
    from docx import Document

    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(f"{file}: not a readable .docx (broken or truncated zip: {exc}); re-save it from Word") from exc
    except Exception as exc:  # python-docx raises several package errors
        raise LoadError(f"{file}: not a readable .docx ({type(exc).__name__}: {exc}); re-save it from Word") from exc
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append("".join(node.text or "" for node in child.iter() if node.tag.endswith("}t")))
        elif tag == "tbl":
            for cell_paragraph in child.iter():
                if cell_paragraph.tag.endswith("}p"):
                    lines.append(
                        "".join(node.text or "" for node in cell_paragraph.iter() if node.tag.endswith("}t"))
                    )
    return "\n".join(line for line in lines if line.strip())


_HTML_DROP_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "menu", "iframe", "svg", "button", "select", "template")
_HTML_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "blockquote", "pre", "td")


def read_html(data: bytes, file: str = "<html>") -> tuple[str, str]:
    """Main text of an HTML page: no scripts, styles, menus or tags.

    The element with the most Chinese text among ``<article>``, ``<main>``
    and the page's ``<div>`` blocks is taken as the main text when it holds
    most of the page's Chinese; otherwise the whole ``<body>``.

    Returns
    -------
    (text, encoding)
    """
    from bs4 import BeautifulSoup

    head = data[:4096].decode("ascii", errors="ignore").lower()
    match = re.search(r"charset=[\"']?([a-z0-9_\-]+)", head)
    encoding = None
    if match:
        declared = match.group(1)
        declared = {"gb2312": "gb18030", "gbk": "gb18030"}.get(declared, declared)
        try:
            text = data.decode(declared)
            encoding = declared
        except (LookupError, UnicodeDecodeError):
            encoding = None
    if encoding is None:
        text, encoding = decode_text(data, file)
    soup = BeautifulSoup(text, "lxml")
    for tag in soup(list(_HTML_DROP_TAGS)):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    body = soup.body or soup
    total = count_cjk(body.get_text())
    best = body
    candidates = body.find_all(["article", "main"]) or body.find_all("div")
    best_count = 0
    for candidate in candidates:
        n = count_cjk(candidate.get_text())
        if n > best_count:
            best, best_count = candidate, n
    if best is not body and best_count < 0.6 * total:
        best = body
    for block in best.find_all(list(_HTML_BLOCK_TAGS)):
        block.insert_before("\n")
        block.insert_after("\n")
    lines = [line.strip() for line in best.get_text().split("\n")]
    return "\n".join(line for line in lines if line), encoding


def read_speech_file(path: Path) -> tuple[str, str, str, bytes]:
    """Read one speech file.

    Returns
    -------
    (text, format, encoding, raw_bytes)

    Raises
    ------
    LoadError
        Unknown extension, empty, too large, binary or undecodable file.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(
            f"{path.name}: unknown extension {suffix or '(none)'}; speeches must be "
            ".txt, .docx, .html or .htm"
        )
    size = path.stat().st_size
    if size == 0:
        raise LoadError(f"{path.name}: empty file (0 bytes); remove it or copy the speech again")
    if size > MAX_FILE_BYTES:
        raise LoadError(
            f"{path.name}: {size / 1e6:.0f} MB is larger than the {MAX_FILE_BYTES // 2**20} MiB "
            "a single speech may be; split it into one file per speech"
        )
    data = path.read_bytes()
    if suffix in DOCX_SUFFIXES:
        return read_docx(data, path.name), "docx", "docx", data
    if suffix in HTML_SUFFIXES:
        text, encoding = read_html(data, path.name)
        return text, "html", encoding, data
    text, encoding = decode_text(data, path.name)
    return text, "txt", encoding, data


# --------------------------------------------------------------------------- metadata


@dataclass
class Metadata:
    """Rows of ``metadata.csv`` by file name, plus problems found while reading it."""

    rows_by_file: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def read_metadata(path: Path) -> Metadata:
    """Read ``metadata.csv``; never raises for bad rows.

    Problems (missing or extra columns, duplicate rows, a malformed year, a
    row without a file name) are collected as messages naming the row; the
    usable rows are kept.
    """
    metadata = Metadata()
    if not path.exists():
        return metadata
    try:
        text, _ = decode_text(path.read_bytes(), path.name)
    except LoadError as exc:
        metadata.problems.append(f"{path}: {exc}")
        return metadata
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in ("file",) if c not in columns]
    if missing:
        metadata.problems.append(
            f"{path}: no 'file' column, so rows cannot be matched to speeches; "
            f"the header must include {', '.join(METADATA_COLUMNS)}"
        )
        return metadata
    absent = [c for c in METADATA_COLUMNS if c not in columns]
    if absent:
        metadata.problems.append(f"{path}: missing column(s) {', '.join(absent)}; those cells are treated as empty")
    extra = [c for c in columns if c not in METADATA_COLUMNS]
    if extra:
        metadata.problems.append(f"{path}: extra column(s) {', '.join(extra)} kept as metadata")
    for line_number, row in enumerate(reader, start=2):
        clean_row = {(k or "").strip(): (v or "").strip() if isinstance(v, str) else "" for k, v in row.items() if k}
        for column in METADATA_COLUMNS:
            clean_row.setdefault(column, "")
        file = clean_row["file"]
        if not file:
            metadata.problems.append(f"{path} row {line_number}: empty 'file' cell; row ignored")
            continue
        year = clean_row["year"]
        if year and not re.fullmatch(r"(19|20)\d\d", year):
            metadata.problems.append(
                f"{path} row {line_number}: year {year!r} is not a four-digit year; left empty"
            )
            clean_row["year"] = ""
        if file in metadata.rows_by_file:
            metadata.problems.append(
                f"{path} row {line_number}: a second row for {file}; the first row is used"
            )
            continue
        metadata.rows_by_file[file] = clean_row
    return metadata


def title_from_text(text: str) -> str:
    """The first line when it reads as a title (short, no sentence end), else ``''``."""
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if len(line) <= 40 and not re.search(r"[。！？；;!?，,：:]$", line) and (
            _TITLE_RE.search(line) or len(line) <= 30
        ) and not re.match(r"^[一二三四五六七八九十]+、|^[（(][一二三四五六七八九十]+[)）]", line):
            return line
        return ""
    return ""


# --------------------------------------------------------------------------- corpus


def iter_speech_files(raw_dir: Path) -> list[Path]:
    """Files under ``raw_dir`` (recursively) in a stable order, hidden files and metadata excluded."""
    files = []
    for path in sorted(raw_dir.rglob("*")):
        if not path.is_file() or path.name in IGNORED_NAMES:
            continue
        if any(part.startswith(".") for part in path.relative_to(raw_dir).parts):
            continue
        files.append(path)
    return files


def load_corpus(
    raw_dir: Path,
    metadata_path: Path | None,
    cleaner: Callable[[str], CleanResult],
    files: Iterable[Path] | None = None,
    progress: bool = False,
) -> tuple[list[Speech], LoadReport]:
    """Load, clean and deduplicate every speech in a folder.

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
    paths = list(files) if files is not None else iter_speech_files(raw_dir)
    if progress:
        from tqdm.auto import tqdm

        paths = tqdm(paths, desc="load", unit="file", leave=False)
    speeches: list[Speech] = []
    seen_clean: dict[str, str] = {}
    used_ids: set[str] = set()
    for path in paths:
        name = path.relative_to(raw_dir).as_posix() if path.is_relative_to(raw_dir) else path.name
        try:
            text, fmt, encoding, data = read_speech_file(path)
        except LoadError as exc:
            report.skipped.append({"file": name, "reason": str(exc).split(": ", 1)[-1]})
            continue
        except OSError as exc:
            report.skipped.append({"file": name, "reason": f"could not be read ({exc.strerror or exc})"})
            continue
        cleaned = cleaner(text)
        if count_cjk(cleaned.text) == 0:
            report.skipped.append(
                {"file": name, "reason": "no text after cleaning (no Chinese characters left); check the file's content"}
            )
            continue
        clean_hash = sha256_text(cleaned.text)
        if clean_hash in seen_clean:
            report.duplicates.append({"file": name, "duplicate_of": seen_clean[clean_hash]})
            continue
        seen_clean[clean_hash] = name
        meta = dict(metadata.rows_by_file.get(name) or metadata.rows_by_file.get(path.name) or {})
        for column in METADATA_COLUMNS:
            meta.setdefault(column, "")
        doc_id = meta.get("doc_id") or path.stem
        if doc_id in used_ids:
            doc_id = f"{doc_id}.{path.suffix.lstrip('.').lower()}"
            report.warnings.append(
                {"file": name, "message": f"another speech already has this doc_id; using {doc_id}"}
            )
        used_ids.add(doc_id)
        title = meta.get("title") or title_from_text(cleaned.text)
        speech = Speech(
            doc_id=doc_id,
            file=name,
            format=fmt,
            encoding=encoding,
            sha256=sha256_bytes(data),
            title=title,
            meta=meta,
            raw_text=text,
            clean=cleaned,
        )
        speeches.append(speech)
        converted = cleaned.changed_chars.get("traditional_to_simplified", 0)
        if converted:
            report.warnings.append(
                {"file": name, "message": f"traditional characters converted to simplified ({converted} characters)"}
            )
        report.loaded.append(
            {
                "doc_id": doc_id,
                "file": name,
                "format": fmt,
                "encoding": encoding,
                "sha256": speech.sha256,
                "title": title,
                "chars_raw": len(text),
                "chars_clean": len(cleaned.text),
                "traditional_converted": converted,
            }
        )
    known = {row["file"] for row in report.loaded} | {row["file"] for row in report.skipped} | {
        row["file"] for row in report.duplicates
    }
    for file in metadata.rows_by_file:
        if file not in known and files is None:
            report.warnings.append(
                {"file": str(metadata_path), "message": f"metadata row for {file}, but no such file in {raw_dir}"}
            )
    return speeches, report


# --------------------------------------------------------------------------- adding speeches


@dataclass
class AddResult:
    """What happened to one file given to :func:`add_speeches`."""

    source: str
    status: str  # "added" or "refused"
    message: str
    doc_id: str = ""
    file: str = ""


def _append_metadata_row(metadata_path: Path, row: dict[str, str]) -> None:
    from .io import write_text

    if metadata_path.exists():
        existing = metadata_path.read_text(encoding="utf-8-sig")
        if existing and not existing.endswith("\n"):
            existing += "\n"
        header = next(csv.reader(io.StringIO(existing)), list(METADATA_COLUMNS)) if existing.strip() else list(METADATA_COLUMNS)
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
    existing, _ = load_corpus(raw_dir, None, cleaner)
    known = {sha256_text(speech.text): speech.file for speech in existing}
    taken_ids = {speech.doc_id for speech in existing} | set(read_metadata(metadata_path).rows_by_file)
    results = []
    for source in sources:
        source = Path(source)
        try:
            text, _fmt, _encoding, data = read_speech_file(source)
        except (LoadError, OSError) as exc:
            results.append(AddResult(str(source), "refused", str(exc)))
            continue
        cleaned = cleaner(text)
        if count_cjk(cleaned.text) == 0:
            results.append(AddResult(str(source), "refused", f"{source.name}: no text after cleaning"))
            continue
        digest = sha256_text(cleaned.text)
        if digest in known:
            results.append(
                AddResult(str(source), "refused", f"{source.name}: the same speech is already in the corpus as {known[digest]}")
            )
            continue
        target = raw_dir / source.name
        if target.exists():
            results.append(
                AddResult(str(source), "refused", f"{source.name}: {target} already exists; rename the file to add it")
            )
            continue
        from .io import write_bytes

        try:
            write_bytes(target, data)
        except OSError as exc:
            results.append(
                AddResult(str(source), "refused", f"cannot write to {raw_dir} ({exc.strerror or exc}); check its permissions")
            )
            continue
        doc_id = source.stem
        while doc_id in taken_ids:
            doc_id = f"{doc_id}_"
        taken_ids.add(doc_id)
        row = {"doc_id": doc_id, "file": source.name, "title": title_from_text(cleaned.text), **metadata}
        _append_metadata_row(Path(metadata_path), row)
        known[digest] = source.name
        results.append(AddResult(str(source), "added", f"added as {target}", doc_id=doc_id, file=source.name))
    return results
