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
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clean import CleanResult, cjk_only, count_cjk

TEXT_SUFFIXES = {".txt", ".text"}
DOCX_SUFFIXES = {".docx"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | DOCX_SUFFIXES | HTML_SUFFIXES
#: Files the loader passes over silently (not speeches).
IGNORED_NAMES = {"metadata.csv", ".gitkeep", ".DS_Store", "README.md", "Thumbs.db"}

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

#: Refuse single files larger than this (bytes); the message says how to split them.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Refuse a .docx whose zip members unpack to more than this (a zip bomb or
#: a document full of images), checked before the document is parsed.
MAX_DOCX_UNPACKED_BYTES = 200 * 1024 * 1024

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
        near-duplicates, converted traditional characters, truncated files).
    near_duplicates : list of dict
        ``{"file", "near_duplicate_of", "containment"}`` for loaded speeches
        that share most of their text with an earlier one (both stay loaded;
        each pair is also in ``warnings``).
    """

    loaded: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    near_duplicates: list[dict[str, Any]] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        """The report as plain data (the ``ingest --json`` object)."""
        return {
            "loaded": self.loaded,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "warnings": self.warnings,
            "near_duplicates": self.near_duplicates,
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
        if (
            0x4E00 <= code <= 0x9FFF
            or char.isascii()
            or 0x3000 <= code <= 0x303F
            or 0xFF00 <= code <= 0xFFEF
        ):
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


@dataclass
class DecodedText:
    """Text decoded from bytes, with what was noticed on the way.

    Attributes
    ----------
    text : str
        The decoded text.
    encoding : str
        The encoding used (``utf-8``, ``utf-8-sig``, ``gb18030``, ``big5``,
        ``utf-16-le`` …).
    notes : list of str
        Things the user should know (e.g. the file ends in the middle of a
        character and its last bytes were left out).
    """

    text: str
    encoding: str
    notes: list[str] = field(default_factory=list)


#: Byte-order marks, longest first (a UTF-32 LE mark starts with the UTF-16 LE one).
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
#: The longest incomplete character a truncated file can end with, in bytes.
_MAX_INCOMPLETE_TAIL = 3
#: A line needs this many Chinese characters before its own score is trusted.
_LINE_MIN_CJK = 8
#: Whole-text score (share of Chinese-looking characters + share of common
#: characters of the encoding) a GB18030 or Big5 reading must reach.
_ENCODING_SCORE_MIN = 1.5
#: Score below which a single line of an otherwise good reading is garbage.
_LINE_SCORE_MIN = 1.2
#: A line with at least this many private-use or kana characters (and at
#: least one in ten of its characters) is garbage.
_LINE_GARBAGE_MIN = 3


def _decode_allowing_truncation(data: bytes, encoding: str) -> tuple[str, int]:
    """Strictly decode ``data``; a file cut inside its last character loses only that character.

    Returns
    -------
    (text, dropped_bytes)

    Raises
    ------
    UnicodeDecodeError
        Anywhere but in the last few bytes.
    """
    try:
        return data.decode(encoding), 0
    except UnicodeDecodeError as exc:
        if exc.end < len(data) or len(data) - exc.start > _MAX_INCOMPLETE_TAIL or exc.start == 0:
            raise
        return data[: exc.start].decode(encoding), len(data) - exc.start


def _truncation_note(dropped: int) -> list[str]:
    if not dropped:
        return []
    return [
        f"the file ends in the middle of a character (an incomplete download or copy?); "
        f"its last {dropped} byte(s) were left out"
    ]


def _encoding_share(text: str, encoding: str) -> float:
    return _simplified_share(text) if encoding == "gb18030" else _big5_share(text)


def _garbage_chars(line: str) -> int:
    """Characters a Chinese speech never has but mis-decoded bytes often give.

    Private-use code points (user-defined byte ranges of GBK/Big5) and
    Japanese kana (the kana rows of GBK).
    """
    return sum(1 for char in line if 0xE000 <= ord(char) <= 0xF8FF or 0x3040 <= ord(char) <= 0x30FF)


def _line_is_garbage(line: str, encoding: str) -> bool:
    garbage = _garbage_chars(line)
    if garbage >= _LINE_GARBAGE_MIN and garbage * 10 >= len(line.strip()):
        return True
    if count_cjk(line) < _LINE_MIN_CJK:
        return False
    return _cjk_quality(line) + _encoding_share(line, encoding) < _LINE_SCORE_MIN


def _bad_lines(text: str, encoding: str) -> list[int]:
    """1-based numbers of lines that read as garbage in a GB18030/Big5 decoding."""
    return [
        number
        for number, line in enumerate(text.split("\n"), start=1)
        if _line_is_garbage(line, encoding)
    ]


def _format_lines(numbers: list[int], limit: int = 5) -> str:
    shown = ", ".join(str(n) for n in numbers[:limit])
    more = f" and {len(numbers) - limit} more" if len(numbers) > limit else ""
    return f"line{'s' if len(numbers) > 1 else ''} {shown}{more}"


def _mixed_encoding_diagnosis(data: bytes) -> str | None:
    """Name the lines that break a mostly single-encoding file, if it is one.

    Each line with non-ASCII bytes is decoded on its own as UTF-8, GB18030
    and Big5; when one encoding reads most of them, the lines it cannot read
    are named.
    """
    lines = data.split(b"\n")
    non_ascii = [
        number for number, line in enumerate(lines, start=1) if any(byte > 0x7F for byte in line)
    ]
    if len(non_ascii) < 2:
        return None
    best: tuple[int, str, list[int]] | None = None
    for encoding in ("utf-8", "gb18030", "big5"):
        failing = []
        for number in non_ascii:
            try:
                line = lines[number - 1].decode(encoding)
            except UnicodeDecodeError:
                failing.append(number)
                continue
            if encoding != "utf-8" and _line_is_garbage(line, encoding):
                failing.append(number)
        if best is None or len(failing) < len(best[2]):
            best = (len(failing), encoding, failing)
    assert best is not None
    _, encoding, failing = best
    if not failing or len(failing) * 2 > len(non_ascii):
        return None
    name = {"utf-8": "UTF-8", "gb18030": "GB18030/GBK", "big5": "Big5"}[encoding]
    return (
        f"mixed encodings: the text is {name} except {_format_lines(failing)}, which "
        f"{'is' if len(failing) == 1 else 'are'} in another encoding; re-save the whole file as UTF-8"
    )


def decode_bytes(data: bytes, file: str = "<bytes>") -> DecodedText:
    """Decode the bytes of a text file, detecting its encoding.

    Tries, in order: a byte-order mark (UTF-8, UTF-16 and UTF-32, LE/BE),
    strict UTF-8, UTF-16 without a BOM, then GB18030 and Big5 (ranked by how
    Chinese the result reads, and refused when single lines read as garbage,
    the mark of a file pasted together from two encodings), then
    charset-normalizer for anything else. A file that ends in the middle of
    a multi-byte character (an interrupted download) loses only that
    character, and a note says so.

    Parameters
    ----------
    data : bytes
        Raw file content.
    file : str
        Name used in error messages.

    Returns
    -------
    DecodedText

    Raises
    ------
    LoadError
        Binary content, mixed encodings (the message names the lines), or no
        encoding decodes it reliably.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text, dropped = _decode_allowing_truncation(
                    data[len(bom) :], encoding.replace("-sig", "")
                )
            except UnicodeDecodeError as exc:
                line = data[: len(bom) + exc.start].count(b"\n") + 1
                raise LoadError(
                    f"{file}: starts with a {encoding.upper()} byte-order mark but line {line} does not decode "
                    f"as {encoding.upper()} (mixed or damaged encoding); re-save it as UTF-8"
                ) from exc
            return DecodedText(text, encoding, _truncation_note(dropped))
    binary = _looks_binary(data)
    if binary is not None and b"\x00" in data[:8192]:
        # Could still be UTF-16 without a BOM.
        for encoding in ("utf-16-le", "utf-16-be"):
            try:
                text, dropped = _decode_allowing_truncation(data, encoding)
            except UnicodeDecodeError:
                continue
            if _cjk_quality(text) > 0.95 and count_cjk(text) > 0:
                return DecodedText(text, encoding, _truncation_note(dropped))
    if binary is not None:
        raise LoadError(
            f"{file}: this is {binary}, not text; convert it to .txt or .docx, or remove it"
        )
    try:
        text, dropped = _decode_allowing_truncation(data, "utf-8")
        return DecodedText(text, "utf-8", _truncation_note(dropped))
    except UnicodeDecodeError:
        pass
    candidates: list[tuple[float, str, str, int]] = []
    for encoding in ("gb18030", "big5"):
        try:
            text, dropped = _decode_allowing_truncation(data, encoding)
        except UnicodeDecodeError:
            continue
        score = _cjk_quality(text) + _encoding_share(text, encoding)
        candidates.append((score, encoding, text, dropped))
    if candidates:
        score, encoding, text, dropped = max(candidates)
        if score >= _ENCODING_SCORE_MIN:
            bad = _bad_lines(text, encoding)
            if not bad:
                return DecodedText(text, encoding, _truncation_note(dropped))
            raise LoadError(
                f"{file}: mixed encodings: the text reads as {encoding.upper()} except "
                f"{_format_lines(bad)}, which {'decodes' if len(bad) == 1 else 'decode'} to garbage; "
                "re-save the whole file as UTF-8"
            )
    diagnosis = _mixed_encoding_diagnosis(data)
    if diagnosis is not None:
        raise LoadError(f"{file}: {diagnosis}")
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and best.chaos < 0.2:
        text = str(best)
        if _cjk_quality(text) > 0.9:
            return DecodedText(text, best.encoding)
    raise LoadError(
        f"{file}: could not be decoded reliably as UTF-8, GB18030/GBK, Big5 or UTF-16 "
        "(mixed or unknown encoding); re-save it as UTF-8"
    )


def decode_text(data: bytes, file: str = "<bytes>") -> tuple[str, str]:
    """Decode the bytes of a text file: ``(text, encoding)``.

    See :func:`decode_bytes` (which also returns the notes) for the
    detection rules.

    Raises
    ------
    LoadError
        Binary content, mixed encodings, or no encoding decodes it reliably.
    """
    decoded = decode_bytes(data, file)
    return decoded.text, decoded.encoding


def read_docx(data: bytes, file: str = "<docx>") -> str:
    """Text of a Word ``.docx`` file: paragraphs (and table cells) in document order."""
    from docx import Document

    if not data.startswith(b"PK"):
        what = _looks_binary(data)
        if what is not None:
            raise LoadError(f"{file}: not a .docx but {what}")
        raise LoadError(
            f"{file}: not a .docx (no zip archive inside); perhaps a text file: rename it to .txt"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LoadError(
            f"{file}: not a readable .docx (broken or truncated zip: {exc}); re-save it from Word"
        ) from exc
    if unpacked > MAX_DOCX_UNPACKED_BYTES:
        raise LoadError(
            f"{file}: unpacks to {unpacked / 1e6:.0f} MB, more than the {MAX_DOCX_UNPACKED_BYTES // 2**20} MiB "
            "a speech may take (not read); save the text as .txt"
        )
    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(
            f"{file}: not a readable .docx (broken or truncated zip: {exc}); re-save it from Word"
        ) from exc
    except Exception as exc:  # python-docx raises several package errors
        raise LoadError(
            f"{file}: not a readable .docx ({type(exc).__name__}: {exc}); re-save it from Word"
        ) from exc
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(
                "".join(node.text or "" for node in child.iter() if node.tag.endswith("}t"))
            )
        elif tag == "tbl":
            for cell_paragraph in child.iter():
                if cell_paragraph.tag.endswith("}p"):
                    lines.append(
                        "".join(
                            node.text or ""
                            for node in cell_paragraph.iter()
                            if node.tag.endswith("}t")
                        )
                    )
    return "\n".join(line for line in lines if line.strip())


_HTML_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "menu",
    "iframe",
    "svg",
    "button",
    "select",
    "template",
)
_HTML_BLOCK_TAGS = (
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "section",
    "article",
    "blockquote",
    "pre",
    "td",
)


def read_html(data: bytes, file: str = "<html>") -> DecodedText:
    """Main text of an HTML page: no scripts, styles, menus or tags.

    The element with the most Chinese text among ``<article>``, ``<main>``
    and the page's ``<div>`` blocks is taken as the main text when it holds
    most of the page's Chinese; otherwise the whole ``<body>``. Bytes that
    are valid UTF-8 are read as UTF-8 whatever charset the page declares;
    otherwise the declared charset is used when it decodes, else the
    detection of :func:`decode_bytes`.

    Returns
    -------
    DecodedText
        The main text (``''`` for a page without body text, with a note),
        the encoding and notes.
    """
    from bs4 import BeautifulSoup

    head = data[:4096].decode("ascii", errors="ignore").lower()
    match = re.search(r"charset=[\"']?([a-z0-9_\-]+)", head)
    encoding = None
    notes: list[str] = []
    if (
        data.startswith(b"\xef\xbb\xbf")
        or data.startswith(b"\xff\xfe")
        or data.startswith(b"\xfe\xff")
    ):
        match = None  # a byte-order mark outranks the declared charset
    elif match and not data.isascii():
        # Non-ASCII bytes that decode as UTF-8 are UTF-8 (pages re-saved by a
        # browser or editor keep their old charset declaration).
        try:
            text = data.decode("utf-8")
            encoding = "utf-8"
            match = None
        except UnicodeDecodeError:
            pass
    if match:
        declared = match.group(1)
        declared = {"gb2312": "gb18030", "gbk": "gb18030"}.get(declared, declared)
        try:
            text = data.decode(declared)
            encoding = declared
        except (LookupError, UnicodeDecodeError):
            encoding = None
    if encoding is None:
        decoded = decode_bytes(data, file)
        text, encoding, notes = decoded.text, decoded.encoding, decoded.notes
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
    body_text = "\n".join(line for line in lines if line)
    if not body_text:
        notes.append("the page has no body text (only markup, scripts or menus)")
    return DecodedText(body_text, encoding, notes)


@dataclass
class SpeechFile:
    """What was read from one speech file.

    Attributes
    ----------
    text : str
        Decoded text (before cleaning).
    format : str
        ``txt``, ``docx`` or ``html``.
    encoding : str
        Detected encoding (``docx`` for Word files).
    data : bytes
        The raw bytes (hashed; never changed).
    notes : list of str
        Warnings for the load report (truncated file, page without body text).
    """

    text: str
    format: str
    encoding: str
    data: bytes
    notes: list[str] = field(default_factory=list)


def check_speech_file(path: Path) -> int:
    """Check a file's extension and size before anything reads it.

    Returns
    -------
    int
        The size in bytes.

    Raises
    ------
    LoadError
        Unknown extension, empty or too large file (the content is never read).
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
            "a single speech may be (the file was not read); split it into one file per speech"
        )
    return size


def read_speech(path: Path) -> SpeechFile:
    """Read one speech file (``.txt`` in any common Chinese encoding, ``.docx``, ``.html``).

    The size is checked before the file is opened, so a huge file is refused
    without being read into memory.

    Raises
    ------
    LoadError
        Unknown extension, empty, too large, binary or undecodable file.
    OSError
        The file could not be read.
    """
    size = check_speech_file(path)
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        data = handle.read(min(size, MAX_FILE_BYTES) + 1)
    if len(data) > size:  # grew after the size check
        raise LoadError(
            f"{path.name}: the file changed while it was read; load again when it is complete"
        )
    if suffix in DOCX_SUFFIXES:
        return SpeechFile(read_docx(data, path.name), "docx", "docx", data)
    if suffix in HTML_SUFFIXES:
        page = read_html(data, path.name)
        return SpeechFile(page.text, "html", page.encoding, data, page.notes)
    decoded = decode_bytes(data, path.name)
    return SpeechFile(decoded.text, "txt", decoded.encoding, data, decoded.notes)


def read_speech_file(path: Path) -> tuple[str, str, str, bytes]:
    """Read one speech file: ``(text, format, encoding, raw_bytes)``.

    See :func:`read_speech`, which also returns the notes.

    Raises
    ------
    LoadError
        Unknown extension, empty, too large, binary or undecodable file.
    """
    result = read_speech(path)
    return result.text, result.format, result.encoding, result.data


# --------------------------------------------------------------------------- metadata


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


#: Lines a web copy puts above a speech (source, date, author, font-size links).
_WEB_META_RE = re.compile(
    r"^(?:来源|稿源|出处|发布时间|发布日期|发稿时间|作者|编辑|责任编辑|浏览次数|点击数|阅读次数|字体)\s*[:：]|^【字体"
)


def title_from_text(text: str) -> str:
    """The first line when it reads as a title (short, no sentence end), else ``''``.

    Lines a web page puts above the speech (``来源：…``, ``发布时间：…``) are passed over.
    """
    for line in text.split("\n"):
        line = line.strip()
        if not line or _WEB_META_RE.match(line):
            continue
        if (
            len(line) <= 40
            and not re.search(r"[。！？；;!?，,：:]$", line)
            and (_TITLE_RE.search(line) or len(line) <= 30)
            and not re.match(r"^[一二三四五六七八九十]+、|^[（(][一二三四五六七八九十]+[)）]", line)
        ):
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
        digest = sha256_text(candidate)[:8]
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


# --------------------------------------------------------------------------- near-duplicates

#: Length of the character shingles compared for near-duplicates.
SHINGLE_SIZE = 5
#: Two speeches are near-duplicates when this share of the shorter one's
#: shingles also occurs in the other.
NEAR_DUPLICATE_CONTAINMENT = 0.9


def shingles(text: str, size: int = SHINGLE_SIZE) -> frozenset[str]:
    """Character ``size``-grams of the Chinese characters of a text (document grain).

    Punctuation, spacing, digits and Latin letters are ignored, so the same
    speech copied from two sites (different punctuation or line breaks)
    gives the same shingles. A text shorter than ``size`` is one shingle.
    """
    chars = cjk_only(text)
    if not chars:
        return frozenset()
    if len(chars) <= size:
        return frozenset([chars])
    return frozenset(chars[i : i + size] for i in range(len(chars) - size + 1))


def shingle_containment(first: frozenset[str], second: frozenset[str]) -> float:
    """Share of the smaller set's shingles found in the other (0 for an empty set)."""
    smaller = min(len(first), len(second))
    if smaller == 0:
        return 0.0
    return len(first & second) / smaller


def find_near_duplicates(
    texts: Sequence[tuple[str, str]],
    threshold: float = NEAR_DUPLICATE_CONTAINMENT,
    size: int = SHINGLE_SIZE,
) -> list[dict[str, Any]]:
    """Pairs of texts that are mostly the same (document grain).

    Parameters
    ----------
    texts : sequence of (name, text)
        In load order; the later file of a pair is reported with the earlier
        one as its twin.
    threshold : float
        Minimum shingle containment (shared shingles over the shingles of
        the shorter text).
    size : int
        Shingle length in Chinese characters.

    Returns
    -------
    list of dict
        ``{"file", "near_duplicate_of", "containment"}``, one per pair, in
        load order of ``file`` then of its twin.
    """
    if len(texts) < 2:
        return []
    import numpy as np
    from scipy import sparse

    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    sizes = np.zeros(len(texts), dtype=np.int64)
    for row, (_name, text) in enumerate(texts):
        grams = shingles(text, size)
        sizes[row] = len(grams)
        for gram in sorted(grams):
            rows.append(row)
            cols.append(vocabulary.setdefault(gram, len(vocabulary)))
    if not vocabulary:
        return []
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=(len(texts), len(vocabulary))
    )
    shared = (matrix @ matrix.T).tocoo()
    pairs: list[dict[str, Any]] = []
    for first, second, count in zip(shared.row, shared.col, shared.data, strict=True):
        if first >= second:
            continue
        smaller = min(sizes[first], sizes[second])
        containment = float(count) / float(smaller) if smaller else 0.0
        if containment >= threshold:
            pairs.append(
                {
                    "file": texts[second][0],
                    "near_duplicate_of": texts[first][0],
                    "containment": containment,
                    "_order": (int(second), int(first)),
                }
            )
    pairs.sort(key=lambda pair: pair["_order"])
    for pair in pairs:
        del pair["_order"]
    return pairs


# --------------------------------------------------------------------------- loading a folder


def load_corpus(
    raw_dir: Path,
    metadata_path: Path | None,
    cleaner: Callable[[str], CleanResult],
    files: Iterable[Path] | None = None,
    progress: bool = False,
    near_duplicate_threshold: float = NEAR_DUPLICATE_CONTAINMENT,
) -> tuple[list[Speech], LoadReport]:
    """Load, clean and deduplicate every speech in a folder.

    Files are only ever opened for reading. Each file ends up in exactly one
    of the report's ``loaded``, ``skipped`` (with the reason) or
    ``duplicates`` lists; near-duplicates are loaded and flagged with their
    twin in ``near_duplicates`` and ``warnings``.

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
    if files is None and not raw_dir.is_dir():
        report.warnings.append(
            {
                "file": str(raw_dir),
                "message": f"the folder of speeches {raw_dir} does not exist (or is not a folder)",
            }
        )
    paths = list(files) if files is not None else iter_speech_files(raw_dir)
    if progress:
        from tqdm.auto import tqdm

        paths = tqdm(paths, desc="load", unit="file", leave=False)
    speeches: list[Speech] = []
    seen_clean: dict[str, str] = {}
    used_ids: set[str] = set()
    matched_rows: set[str] = set()
    for path in paths:
        relative = (
            path.relative_to(raw_dir).as_posix() if path.is_relative_to(raw_dir) else path.name
        )
        name, name_note = display_name(relative)
        if name_note is not None:
            report.warnings.append({"file": name, "message": name_note})
        try:
            read = read_speech(path)
        except LoadError as exc:
            report.skipped.append({"file": name, "reason": str(exc).split(": ", 1)[-1]})
            continue
        except OSError as exc:
            report.skipped.append(
                {"file": name, "reason": f"could not be read ({exc.strerror or exc})"}
            )
            continue
        cleaned = cleaner(read.text)
        if count_cjk(cleaned.text) == 0:
            reason = "no text after cleaning (no Chinese characters left); check the file's content"
            if read.notes:
                reason = f"{reason} ({'; '.join(read.notes)})"
            report.skipped.append({"file": name, "reason": reason})
            continue
        for note in read.notes:
            report.warnings.append({"file": name, "message": note})
        clean_hash = sha256_text(cleaned.text)
        if clean_hash in seen_clean:
            report.duplicates.append({"file": name, "duplicate_of": seen_clean[clean_hash]})
            continue
        seen_clean[clean_hash] = name
        row_key = name if name in metadata.rows_by_file else display_name(path.name)[0]
        row = metadata.rows_by_file.get(row_key)
        if row is not None:
            matched_rows.add(row_key)
        meta = dict(row or {})
        for column in METADATA_COLUMNS:
            meta.setdefault(column, "")
        wanted = meta.get("doc_id") or display_name(path.stem)[0]
        doc_id = safe_doc_id(wanted)
        if doc_id != wanted:
            report.warnings.append(
                {
                    "file": name,
                    "message": f"doc_id {wanted!r} cannot be used as a file name; using {doc_id!r}",
                }
            )
        if doc_id in used_ids:
            doc_id = _unique_doc_id(doc_id, path.suffix.lstrip(".").lower(), used_ids)
            report.warnings.append(
                {"file": name, "message": f"another speech already has this doc_id; using {doc_id}"}
            )
        used_ids.add(doc_id)
        title = meta.get("title") or title_from_text(cleaned.text)
        speech = Speech(
            doc_id=doc_id,
            file=name,
            format=read.format,
            encoding=read.encoding,
            sha256=sha256_bytes(read.data),
            title=title,
            meta=meta,
            raw_text=read.text,
            clean=cleaned,
        )
        speeches.append(speech)
        converted = cleaned.changed_chars.get("traditional_to_simplified", 0)
        if converted:
            report.warnings.append(
                {
                    "file": name,
                    "message": f"traditional characters converted to simplified ({converted} characters)",
                }
            )
        report.loaded.append(
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
    if near_duplicate_threshold <= 1:
        pairs = find_near_duplicates(
            [(speech.file, speech.text) for speech in speeches], near_duplicate_threshold
        )
        for pair in pairs:
            report.near_duplicates.append(pair)
            report.warnings.append(
                {
                    "file": pair["file"],
                    "message": f"near-duplicate of {pair['near_duplicate_of']} "
                    f"({pair['containment']:.0%} of the shorter text's 5-character shingles shared); "
                    "both are loaded: remove one if they are the same speech",
                }
            )
    if files is None:
        for file, row_number in metadata.row_numbers.items():
            if file not in matched_rows:
                report.warnings.append(
                    {
                        "file": str(metadata_path),
                        "message": f"{metadata_path} row {row_number}: metadata row for {file}, "
                        f"but no such file in {raw_dir} (or it was skipped or a duplicate)",
                    }
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
    known = {sha256_text(speech.text): speech.file for speech in existing}
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
        digest = sha256_text(cleaned.text)
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
        from .io import write_bytes

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
