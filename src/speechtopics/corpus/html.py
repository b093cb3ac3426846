"""Reading web pages: the main text of an ``.html`` file, with bounded work.

The page is parsed once (lxml's HTML parser: no network, no entity
expansion beyond HTML's own) and every step after that is one pass over the
elements: Chinese characters are counted bottom-up, the main block is the
one holding most of them, and its text is collected with an explicit stack,
so 50,000 sibling ``<div>``s cost what 50,000 paragraphs cost. Pages nested
deeper than the parser's limit (:data:`MAX_HTML_DEPTH` elements) are
refused rather than read in part.
"""

from __future__ import annotations

import re

from ..text.clean import count_cjk
from .decode import DecodedText, LoadError, decode_bytes

#: Elements whose content is never speech text.
HTML_DROP_TAGS = frozenset(
    {
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
    }
)
#: Elements that start and end a line of text.
HTML_BLOCK_TAGS = frozenset(
    {
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
    }
)
#: Deepest nesting of elements read (the HTML parser's own limit); deeper pages are refused.
MAX_HTML_DEPTH = 255
#: A main block must hold at least this share of the page's Chinese characters.
MAIN_BLOCK_SHARE = 0.6

_CHARSET_RE = re.compile(r"charset=[\"']?([a-z0-9_\-]+)")
# A DOCTYPE with an internal subset (``<!DOCTYPE html [ <!ENTITY …> ]>``): HTML
# parsers end it at the first ``>`` and show the rest (``]>``) as text.
_DOCTYPE_SUBSET_RE = re.compile(r"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# An XML declaration (XHTML): lxml refuses text that carries its own encoding.
_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def decode_page(data: bytes, file: str) -> DecodedText:
    """Text of a page's bytes.

    Bytes that are valid UTF-8 are read as UTF-8 whatever charset the page
    declares; otherwise the declared charset is used when it decodes, else
    the detection of :func:`decode_bytes`. A byte-order mark outranks both.
    """
    head = data[:4096].decode("ascii", errors="ignore").lower()
    match = _CHARSET_RE.search(head)
    if data.startswith(_BOMS):
        match = None
    elif match and not data.isascii():
        # Pages re-saved by a browser or editor keep their old charset declaration.
        try:
            return DecodedText(data.decode("utf-8"), "utf-8")
        except UnicodeDecodeError:
            pass
    if match:
        declared = match.group(1)
        declared = {"gb2312": "gb18030", "gbk": "gb18030"}.get(declared, declared)
        try:
            return DecodedText(data.decode(declared), declared)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(data, file)


def _tag(element) -> str:
    """Lower-case tag name; ``""`` for comments, processing instructions and entities."""
    return element.tag.lower() if isinstance(element.tag, str) else ""


def parse_page(text: str, file: str):
    """The page's element tree (``<html>`` root), refusing pages nested too deep to read whole.

    Raises
    ------
    LoadError
        Nesting deeper than :data:`MAX_HTML_DEPTH`.
    """
    from lxml import etree

    head = _XML_DECLARATION_RE.sub("", text[:65536], count=1)
    text = _DOCTYPE_SUBSET_RE.sub("", head, count=1) + text[65536:]
    text = text.replace("\x00", "")
    if not text.strip():
        return None
    parser = etree.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, recover=True, huge_tree=False
    )
    try:
        root = etree.fromstring(text, parser)
    except (ValueError, etree.LxmlError) as exc:
        raise LoadError(f"{file}: not a readable web page ({exc}); save the text as .txt") from exc
    for entry in parser.error_log:
        if "depth" in entry.message.lower():
            raise LoadError(
                f"{file}: elements nested more than {MAX_HTML_DEPTH} deep (line {entry.line}); "
                "not a page that can be read whole: save the speech's text as .txt"
            )
        if entry.type_name == "ERR_RESOURCE_LIMIT":
            raise LoadError(
                f"{file}: too large to read whole ({entry.message.strip()}, line {entry.line}); "
                "save the speech's text as .txt"
            )
    return root


def _cjk_counts(root) -> dict:
    """Chinese characters under each element (its text, its children's and their tails), dropped elements as 0."""
    counts: dict = {}
    for element in reversed(list(root.iter())):
        if _tag(element) in HTML_DROP_TAGS or not _tag(element):
            counts[element] = 0
            continue
        total = count_cjk(element.text or "")
        for child in element:
            total += counts.get(child, 0) + count_cjk(child.tail or "")
        counts[element] = total
    return counts


def _visible(body) -> list:
    """Elements of ``body`` outside dropped elements (scripts, menus …), in document order."""
    found = []
    stack = [body]
    while stack:
        element = stack.pop()
        if _tag(element) in HTML_DROP_TAGS or not _tag(element):
            continue
        found.append(element)
        stack.extend(reversed(element))
    return found


def _main_block(root, counts: dict):
    """The ``<article>``/``<main>`` (else ``<div>``) holding most Chinese, if it holds most of the page's."""
    body = next((e for e in root.iter() if _tag(e) == "body"), root)
    total = counts.get(body, 0)
    visible = _visible(body)[1:]
    wanted = (
        ("article", "main") if any(_tag(e) in ("article", "main") for e in visible) else ("div",)
    )
    best, best_count = body, 0
    for element in visible:
        if _tag(element) in wanted and counts[element] > best_count:
            best, best_count = element, counts[element]
    if best is not body and best_count < MAIN_BLOCK_SHARE * total:
        return body
    return best


def block_text(element) -> str:
    """Text of ``element`` with a line break around every block element; dropped elements left out.

    One pass with an explicit stack (no recursion, whatever the nesting).
    """
    pieces: list[str] = []
    stack: list[tuple[object, bool]] = [(element, False)]
    while stack:
        node, closing = stack.pop()
        tag = _tag(node)
        if closing:
            if tag in HTML_BLOCK_TAGS:
                pieces.append("\n")
            if node is not element and node.tail:
                pieces.append(node.tail)
            continue
        if tag in HTML_DROP_TAGS or not tag:
            if node is not element and node.tail:
                pieces.append(node.tail)
            continue
        if tag in HTML_BLOCK_TAGS:
            pieces.append("\n")
        if node.text:
            pieces.append(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return "".join(pieces)


def read_html(data: bytes, file: str = "<html>") -> DecodedText:
    """Main text of an HTML page: no scripts, styles, menus or tags.

    The element with the most Chinese text among ``<article>``, ``<main>``
    (else the page's ``<div>`` blocks) is taken as the main text when it
    holds most of the page's Chinese; otherwise the whole ``<body>``.

    Returns
    -------
    DecodedText
        The main text (``''`` for a page without body text, with a note),
        the encoding and notes.

    Raises
    ------
    LoadError
        Undecodable bytes, or nesting deeper than :data:`MAX_HTML_DEPTH`.
    """
    decoded = decode_page(data, file)
    notes = list(decoded.notes)
    root = parse_page(decoded.text, file)
    body_text = ""
    if root is not None:
        best = _main_block(root, _cjk_counts(root))
        lines = [line.strip() for line in block_text(best).split("\n")]
        body_text = "\n".join(line for line in lines if line)
    if not body_text:
        notes.append("the page has no body text (only markup, scripts or menus)")
    return DecodedText(body_text, decoded.encoding, notes)
