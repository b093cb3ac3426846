"""Reading one speech file: ``.txt`` (any common Chinese encoding), ``.docx`` and ``.html``.

Size limits are checked before a file is parsed; a file that cannot be used
raises :class:`~speechtopics.corpus.decode.LoadError` naming the reason.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..text.clean import count_cjk
from .decode import DecodedText, LoadError, _looks_binary, decode_bytes

TEXT_SUFFIXES = {".txt", ".text"}
DOCX_SUFFIXES = {".docx"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | DOCX_SUFFIXES | HTML_SUFFIXES

#: Refuse single files larger than this (bytes); the message says how to split them.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Refuse a .docx whose zip members unpack to more than this (a zip bomb or
#: a document full of images), checked before the document is parsed.
MAX_DOCX_UNPACKED_BYTES = 200 * 1024 * 1024


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
    _check_suffix(path.name)
    size = path.stat().st_size
    _check_size(path.name, size)
    return size


def _check_suffix(name: str) -> None:
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(
            f"{name}: unknown extension {suffix or '(none)'}; speeches must be "
            ".txt, .docx, .html or .htm"
        )


def _check_size(name: str, size: int) -> None:
    if size == 0:
        raise LoadError(f"{name}: empty file (0 bytes); remove it or copy the speech again")
    if size > MAX_FILE_BYTES:
        raise LoadError(
            f"{name}: {size / 1e6:.0f} MB is larger than the {MAX_FILE_BYTES // 2**20} MiB "
            "a single speech may be (the file was not read); split it into one file per speech"
        )


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
    with path.open("rb") as handle:
        data = handle.read(min(size, MAX_FILE_BYTES) + 1)
    if len(data) > size:  # grew after the size check
        raise LoadError(
            f"{path.name}: the file changed while it was read; load again when it is complete"
        )
    return parse_speech_bytes(path.name, data)


def read_speech_bytes(name: str, data: bytes) -> SpeechFile:
    """Read one speech file from its bytes (read by someone else, e.g. Spark's ``binaryFile``).

    The same checks and readers as :func:`read_speech`, on bytes.

    Parameters
    ----------
    name : str
        The file's name (its extension chooses the reader; messages name it).
    data : bytes
        The whole file.

    Raises
    ------
    LoadError
        Unknown extension, empty, too large, binary or undecodable file.
    """
    _check_suffix(name)
    _check_size(name, len(data))
    return parse_speech_bytes(name, data)


def parse_speech_bytes(name: str, data: bytes) -> SpeechFile:
    """The text of a checked speech file's bytes: ``.docx``, ``.html`` or text in any encoding."""
    suffix = Path(name).suffix.lower()
    if suffix in DOCX_SUFFIXES:
        return SpeechFile(read_docx(data, name), "docx", "docx", data)
    if suffix in HTML_SUFFIXES:
        page = read_html(data, name)
        return SpeechFile(page.text, "html", page.encoding, data, page.notes)
    decoded = decode_bytes(data, name)
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
