"""The subset of the packaged CJK font that travels with the report pages."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable

from ..plots import cjk_font_path

#: The CJK font shipped beside the report pages (a subset of the packaged
#: Noto Sans CJK SC holding only the characters the pages can show), so
#: Chinese renders on machines without a Chinese system font.
REPORT_FONT_FILE = "speechtopics-cjk.otf"
REPORT_FONT_FAMILY = "speechtopics CJK"
FONT_FACE_CSS = f"@font-face {{ font-family: '{REPORT_FONT_FAMILY}'; src: url('{REPORT_FONT_FILE}') format('opentype'); }}"

_ESCAPES = re.compile(r"(?:\\u[0-9a-fA-F]{4})+")
_ENTITIES = re.compile(r"&#?[0-9A-Za-z]+;?")


def _decode_escapes(match: re.Match) -> str:
    """``\\u79d8\\u4e66`` (JSON and JavaScript escapes, surrogate pairs joined) as text."""
    units = match.group(0).encode("ascii").decode("unicode_escape")
    return units.encode("utf-16", "surrogatepass").decode("utf-16", errors="ignore")


def displayable_text(page: str) -> str:
    """Every character a page can show: its text, HTML entities and ``\\uXXXX`` escapes decoded.

    pyLDAvis stores its words escaped in the page's JSON data (``"\\u79d8"``),
    and scripts write labels with escapes (``\\u03BB``); those characters are
    drawn too, so they must be in the font.
    """
    decoded = _ESCAPES.sub(_decode_escapes, page)
    entities = "".join(html.unescape(entity) for entity in _ENTITIES.findall(page))
    return decoded + entities


def subset_cjk_font(texts: Iterable[str]) -> bytes:
    """The packaged CJK font cut down to the characters ``texts`` can show (OpenType bytes).

    Each text is a whole page (see :func:`displayable_text`). Subsetting
    keeps the report folder small (a few hundred KB instead of 16 MB) and
    deterministic for the same pages.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    shown = "".join(displayable_text(text) for text in texts)
    characters = "".join(sorted(set(shown) | set("0123456789")))
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = TTFont(str(cjk_font_path()), recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()
