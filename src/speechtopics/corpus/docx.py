"""Reading Word ``.docx`` files: paragraph text in document order, with bounded work.

The main document part is streamed out of the zip archive and parsed
incrementally, so the work stays in proportion to what is read: the
unpacked bytes are counted while they stream (a small archive that unpacks
to gigabytes is refused after the first :data:`MAX_DOCX_XML_BYTES`), and the
collected text is counted as it grows. Comments, processing instructions
and entity references inside a paragraph are skipped; entities are never
expanded and no DTD or network resource is loaded.
"""

from __future__ import annotations

import io
import re
import zipfile

from .decode import LoadError, _looks_binary

#: Refuse a .docx whose zip members declare more than this unpacked (a zip bomb
#: or a document full of images), checked before anything is unpacked.
MAX_DOCX_UNPACKED_BYTES = 200 * 1024 * 1024
#: Refuse a .docx whose main document part unpacks to more than this, counted
#: while it streams (declared sizes can lie).
MAX_DOCX_XML_BYTES = 32 * 1024 * 1024
#: Refuse a .docx with more text than this (characters), counted while reading.
MAX_DOCX_TEXT_CHARS = 20 * 1024 * 1024
#: Refuse a .docx with more paragraphs than this (no speech has that many).
MAX_DOCX_PARAGRAPHS = 500_000

_DEFAULT_MAIN_PART = "word/document.xml"
_RELATIONSHIPS_PART = "_rels/.rels"
_TARGET_RE = re.compile(rb"<[^>]*Type=\"[^\"]*/officeDocument\"[^>]*>")
_TARGET_ATTRIBUTE_RE = re.compile(rb"Target=\"([^\"]+)\"")


class _CountingReader(io.RawIOBase):
    """A read-only stream that raises :class:`LoadError` once more than ``limit`` bytes passed."""

    def __init__(self, stream, limit: int, file: str) -> None:
        self._stream = stream
        self._limit = limit
        self._file = file
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(min(size, 1 << 20) if size and size > 0 else 1 << 20)
        self.count += len(chunk)
        if self.count > self._limit:
            raise LoadError(
                f"{self._file}: its document unpacks to more than "
                f"{self._limit // 2**20} MiB (stopped reading there); save the text as .txt"
            )
        return chunk


def _check_archive(data: bytes, file: str) -> zipfile.ZipFile:
    """The zip archive of a .docx, after the checks that need no unpacking."""
    if not data.startswith(b"PK"):
        what = _looks_binary(data)
        if what is not None:
            raise LoadError(f"{file}: not a .docx but {what}")
        raise LoadError(
            f"{file}: not a .docx (no zip archive inside); perhaps a text file: rename it to .txt"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise LoadError(
            f"{file}: not a readable .docx (broken or truncated zip: {exc}); re-save it from Word"
        ) from exc
    if unpacked > MAX_DOCX_UNPACKED_BYTES:
        raise LoadError(
            f"{file}: unpacks to {unpacked / 1e6:.0f} MB, more than the "
            f"{MAX_DOCX_UNPACKED_BYTES // 2**20} MiB a speech may take (not read); save the text as .txt"
        )
    return archive


def _main_part(archive: zipfile.ZipFile) -> str:
    """Name of the main document part (from the package relationships; ``word/document.xml`` by default)."""
    names = set(archive.namelist())
    if _RELATIONSHIPS_PART in names and archive.getinfo(_RELATIONSHIPS_PART).file_size < 1 << 20:
        relationships = archive.read(_RELATIONSHIPS_PART)
        match = _TARGET_RE.search(relationships)
        target = _TARGET_ATTRIBUTE_RE.search(match.group(0)) if match else None
        if target is not None:
            name = target.group(1).decode("utf-8", errors="replace").lstrip("/")
            if name in names:
                return name
    return _DEFAULT_MAIN_PART


def _local_name(tag: object) -> str:
    """Local name of an element tag; ``""`` for comments, processing instructions and entities."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text_of(text_element) -> str:
    """Text of one ``<w:t>``: its own text and what follows each child (entity references are skipped)."""
    parts = [text_element.text or ""]
    parts.extend(child.tail or "" for child in text_element)
    return "".join(parts)


def _paragraph_text(paragraph) -> str:
    return "".join(_text_of(node) for node in paragraph.iter() if _local_name(node.tag) == "t")


def _inside_paragraph(element) -> bool:
    return any(_local_name(parent.tag) == "p" for parent in element.iterancestors())


def _paragraphs(stream, file: str) -> list[str]:
    """Text of every outermost ``<w:p>`` of a streamed main document part, in document order."""
    from lxml import etree

    lines: list[str] = []
    characters = 0
    events = etree.iterparse(
        stream,
        events=("end",),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    for _event, element in events:
        if _inside_paragraph(element):
            continue  # read with the paragraph that holds it (a text box)
        if _local_name(element.tag) == "p":
            line = _paragraph_text(element)
            characters += len(line)
            if characters > MAX_DOCX_TEXT_CHARS or len(lines) >= MAX_DOCX_PARAGRAPHS:
                raise LoadError(
                    f"{file}: more than {MAX_DOCX_TEXT_CHARS // 2**20} Mi characters or "
                    f"{MAX_DOCX_PARAGRAPHS:,} paragraphs of text (stopped reading there); "
                    "split it into one file per speech"
                )
            lines.append(line)
        # Everything inside this element has been read (end events come children
        # first): drop it and its earlier siblings so memory stays bounded.
        element.clear(keep_tail=True)
        while element.getprevious() is not None:
            del element.getparent()[0]
    return lines


def read_docx(data: bytes, file: str = "<docx>") -> str:
    """Text of a Word ``.docx`` file: paragraphs (table cells included) in document order.

    Raises
    ------
    LoadError
        Not a zip archive, a broken archive or document, or more than the
        limits above (the message names the limit).
    """
    from lxml import etree

    archive = _check_archive(data, file)
    name = _main_part(archive)
    try:
        with archive.open(name) as member:
            lines = _paragraphs(_CountingReader(member, MAX_DOCX_XML_BYTES, file), file)
    except KeyError as exc:
        raise LoadError(
            f"{file}: not a readable .docx (no {name} inside); re-save it from Word"
        ) from exc
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise LoadError(
            f"{file}: not a readable .docx (broken or truncated zip: {exc}); re-save it from Word"
        ) from exc
    except etree.XMLSyntaxError as exc:
        raise LoadError(
            f"{file}: not a readable .docx (its document is not well-formed XML: {exc}); "
            "re-save it from Word"
        ) from exc
    return "\n".join(line for line in lines if line.strip())
