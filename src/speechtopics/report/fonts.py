"""The subset of the packaged CJK font that travels with the report pages."""

from __future__ import annotations

import io
from collections.abc import Iterable

from ..plots import cjk_font_path

#: The CJK font shipped beside the report pages (a subset of the packaged
#: Noto Sans CJK SC holding only the characters the pages use), so Chinese
#: renders on machines without a Chinese system font.
REPORT_FONT_FILE = "speechtopics-cjk.otf"
REPORT_FONT_FAMILY = "speechtopics CJK"
FONT_FACE_CSS = f"@font-face {{ font-family: '{REPORT_FONT_FAMILY}'; src: url('{REPORT_FONT_FILE}') format('opentype'); }}"


def subset_cjk_font(texts: Iterable[str]) -> bytes:
    """The packaged CJK font cut down to the characters of ``texts`` (OpenType bytes).

    Subsetting keeps the report folder small (a few hundred KB instead of
    16 MB) and deterministic for the same pages.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    characters = "".join(sorted(set("".join(texts)) | set("0123456789")))
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
