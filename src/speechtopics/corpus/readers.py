"""Reading one speech file: ``.txt`` (any common Chinese encoding), ``.docx`` and ``.html``.

Size limits are checked before a file is parsed and the work on what is
read stays bounded (see :mod:`.docx` and :mod:`.html`); a file that cannot
be used raises :class:`~speechtopics.corpus.decode.LoadError` naming the
reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .decode import DecodedText, LoadError, decode_bytes
from .docx import MAX_DOCX_UNPACKED_BYTES, read_docx
from .html import read_html

__all__ = [
    "MAX_DOCX_UNPACKED_BYTES",
    "MAX_FILE_BYTES",
    "MAX_CHAR_RUN",
    "MAX_LINE_CHARS",
    "SUPPORTED_SUFFIXES",
    "DecodedText",
    "LoadError",
    "SpeechFile",
    "check_speech_file",
    "read_docx",
    "read_html",
    "read_speech",
    "read_speech_file",
]

TEXT_SUFFIXES = {".txt", ".text"}
DOCX_SUFFIXES = {".docx"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | DOCX_SUFFIXES | HTML_SUFFIXES

#: Refuse single files larger than this (bytes); the message says how to split them.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Refuse a speech with a line (paragraph) longer than this many characters: the
#: longest paragraph of the bench corpora has about 11,000; a longer line is a
#: dump without line breaks, whose analysis would cost minutes and gigabytes.
MAX_LINE_CHARS = 100_000
#: Refuse a speech with a run of one character repeated more than this many times
#: (the longest run in the bench corpora is 262 × ！); such a run is not text and
#: costs the segmenter time out of all proportion.
MAX_CHAR_RUN = 5_000
# A run of one non-space character, matched only from where the run starts
# (the lookarounds keep the scan linear).
_CHAR_RUN_RE = re.compile(rf"(?:(?<=(.))(?!\1)|^)(\S)\2{{{MAX_CHAR_RUN},}}", re.DOTALL)


def check_line_lengths(text: str, file: str) -> None:
    """Refuse text with a line longer than :data:`MAX_LINE_CHARS` (found without splitting the text).

    Raises
    ------
    LoadError
        Naming the line, its length and the limit.
    """
    if len(text) <= MAX_LINE_CHARS:
        return
    start = 0
    number = 1
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if end - start > MAX_LINE_CHARS:
            raise LoadError(
                f"{file}: line {number} has {end - start:,} characters, more than the "
                f"{MAX_LINE_CHARS:,} a paragraph may have (not analysed); "
                "put the speech's paragraphs on lines of their own"
            )
        start = end + 1
        number += 1


def check_character_runs(text: str, file: str) -> None:
    """Refuse text with one character repeated more than :data:`MAX_CHAR_RUN` times in a row.

    Raises
    ------
    LoadError
        Naming the character, the length of the run and its line.
    """
    match = _CHAR_RUN_RE.search(text)
    if match is None:
        return
    line = text.count("\n", 0, match.start(2)) + 1
    raise LoadError(
        f"{file}: line {line} repeats {match.group(2)!r} {len(match.group(0)):,} times in a row, "
        f"more than the {MAX_CHAR_RUN:,} text can have (not analysed); remove the run"
    )


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


def check_speech_data(name: str, data: bytes) -> None:
    """The checks of :func:`check_speech_file` on bytes read elsewhere (Spark's ``binaryFile``).

    Raises
    ------
    LoadError
        Unknown extension, empty or too large file.
    """
    _check_suffix(name)
    _check_size(name, len(data))


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
    return read_speech_bytes(data, path.suffix.lower(), path.name)


def read_speech_bytes(data: bytes, suffix: str, file: str) -> SpeechFile:
    """A speech from the bytes of a file with this extension (``.txt``, ``.docx``, ``.html``).

    Raises
    ------
    LoadError
        Binary, undecodable or broken content, or beyond a limit.
    """
    try:
        if suffix in DOCX_SUFFIXES:
            read = SpeechFile(read_docx(data, file), "docx", "docx", data)
        elif suffix in HTML_SUFFIXES:
            page = read_html(data, file)
            read = SpeechFile(page.text, "html", page.encoding, data, page.notes)
        else:
            decoded = decode_bytes(data, file)
            read = SpeechFile(decoded.text, "txt", decoded.encoding, data, decoded.notes)
    except LoadError:
        raise
    except Exception as exc:  # a reader's bug or an input no check foresaw: this file only
        raise LoadError(
            f"{file}: could not be read ({type(exc).__name__}: {exc}); "
            "the other files still load — please report this file"
        ) from exc
    check_line_lengths(read.text, file)
    check_character_runs(read.text, file)
    return read


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
