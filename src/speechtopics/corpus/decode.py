"""Decoding text bytes: BOMs, UTF-8/16, GB18030/GBK and Big5, ranked by how Chinese the result reads.

Binary files are recognised by their magic numbers; files mixing encodings
are diagnosed line by line so the message says where the damage is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..text.clean import count_cjk

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
    nul = data.find(b"\x00")
    if nul >= 0:
        # Text with binary data after the part looked at above (a damaged download,
        # a padded file): say so rather than blame the encoding.
        line = data.count(b"\n", 0, nul) + 1
        raise LoadError(
            f"{file}: binary data (NUL bytes) from line {line} (byte {nul:,}) on; "
            "the file is damaged or not text: copy the speech again or remove the file"
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


class LoadError(Exception):
    """A file that could not be turned into a speech; the message says why."""
