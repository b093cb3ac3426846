"""Figures: every plotting function returns a matplotlib Figure laid out for a printed width.

One submodule per analysis (``plots.corpus``, ``plots.features``,
``plots.themes``, ``plots.topics``, ``plots.cluster``); this module holds
what they share:

- the CJK font: Noto Sans CJK SC shipped inside the ``mplfonts`` package,
  registered with matplotlib's font manager (no system font install);
- :class:`FigureStyle`: the printed width (``[figures] width``), the font
  sizes that keep every text element at 6 pt or more at that width, and the
  row and panel caps of long figures. Plot functions take ``style=`` and
  lay out for ``style.width`` with constrained layout; they never grow past
  it (files are saved without a tight bounding box, so the file is the
  width that was asked for);
- :func:`figure_bytes` / :func:`save_figure`: PNG, SVG (text as paths) and
  PDF (fonts embedded as TrueType), without dates, so the same figure gives
  the same bytes;
- notes a figure carries for its caption (rows cut, panels left out):
  :func:`add_note`, :func:`figure_notes`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import matplotlib

if os.environ.get("MPLBACKEND") is None and not os.environ.get("DISPLAY"):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..config import FigureSettings  # noqa: E402
from ..io import write_bytes  # noqa: E402

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
CJK_FONT_FAMILY = "Noto Sans CJK SC"
FIGURE_FORMATS = ("png", "svg", "pdf")
PNG_DPI = 300
#: Smallest text allowed at print size (points).
MIN_FONT_PT = 6.0
#: Tallest figure (inches): a page's text block less room for the caption.
MAX_HEIGHT_IN = 9.0
NOTES_ATTRIBUTE = "speechtopics_notes"
#: Chinese names of the metadata columns speeches are grouped by (axis labels, sentences).
GROUPING_NAMES = {"level": "行政层级", "year": "年份", "region": "地区", "speaker": "讲话人"}

F = TypeVar("F", bound=Callable[..., Figure])


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """Path of the packaged CJK font file (from the ``mplfonts`` package)."""
    path = Path(str(resources.files("mplfonts") / "fonts" / CJK_FONT_FILE))
    if not path.exists():  # pragma: no cover - depends on the installed package
        raise FileNotFoundError(
            f"{path}: the CJK font is missing; reinstall the project (pip install -e .) to get mplfonts"
        )
    return path


@lru_cache(maxsize=1)
def setup_cjk_font() -> str:
    """Register the packaged CJK font and make it matplotlib's default.

    Returns
    -------
    str
        The font family name now first in ``font.sans-serif``.
    """
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["svg.fonttype"] = "path"
    matplotlib.rcParams["svg.hashsalt"] = "speechtopics"
    matplotlib.rcParams["pdf.fonttype"] = 42
    matplotlib.rcParams["figure.dpi"] = 100
    matplotlib.rcParams["savefig.bbox"] = None
    return family


# --------------------------------------------------------------------------- style


@dataclass(frozen=True)
class FigureStyle:
    """How a figure is laid out: printed width, font sizes, caps on rows and panels.

    Attributes
    ----------
    width : float
        Printed width in inches; the figure is exactly this wide.
    font, small, title : float
        Body text (tick labels, axis labels), annotations and legends, titles (points).
    max_rows, max_panels : int
        Rows and small panels one figure shows (more are cut, with a note).
    formats : tuple of str
        Files written per figure.
    dpi : int
        PNG resolution.
    """

    width: float = 7.0
    font: float = 8.0
    small: float = 6.5
    title: float = 9.0
    max_rows: int = 40
    max_panels: int = 12
    formats: tuple[str, ...] = FIGURE_FORMATS
    dpi: int = PNG_DPI

    @classmethod
    def from_settings(cls, settings: FigureSettings | None = None) -> FigureStyle:
        """The style of a ``[figures]`` section (default: the section's defaults, double width)."""
        settings = settings or FigureSettings()
        width = float(settings.width_inches)
        narrow = width < 5.0
        return cls(
            width=width,
            font=7.0 if narrow else 8.0,
            small=6.0 if narrow else 6.5,
            title=8.0 if narrow else 9.0,
            max_rows=int(settings.max_rows),
            max_panels=int(settings.max_panels),
            formats=tuple(settings.formats),
            dpi=int(settings.dpi),
        )

    @property
    def narrow(self) -> bool:
        """Single-column (under 5 inches): fewer panels per row, shorter labels."""
        return self.width < 5.0

    @property
    def label_chars(self) -> int:
        """Characters of a speech title kept in an axis label."""
        return 6 if self.narrow else 14

    def line_height(self, size: float | None = None) -> float:
        """Height in inches of one row of text of ``size`` points (with spacing)."""
        return (size or self.font) * 1.55 / 72.0

    def height(self, rows: float, per_row: float | None = None, extra: float = 1.0) -> float:
        """Figure height for ``rows`` rows of ``per_row`` inches plus ``extra``, at most a page."""
        per_row = self.line_height() if per_row is None else per_row
        return float(min(MAX_HEIGHT_IN, max(1.6, rows * per_row + extra)))

    def rows_that_fit(self, per_row: float | None = None, extra: float = 1.0) -> int:
        """How many rows of ``per_row`` inches fit in the tallest figure."""
        per_row = self.line_height() if per_row is None else per_row
        return max(1, int((MAX_HEIGHT_IN - extra) // per_row))

    def panel_columns(self, n_panels: int, min_panel_width: float = 2.2) -> int:
        """Panels per row: as many of at least ``min_panel_width`` inches as the width holds."""
        return max(1, min(n_panels, int(self.width // min_panel_width)))

    def rc(self) -> dict[str, Any]:
        """rcParams of this style (applied while a figure is built)."""
        return {
            "font.size": self.font,
            "axes.titlesize": self.title,
            "axes.labelsize": self.font,
            "xtick.labelsize": self.font,
            "ytick.labelsize": self.font,
            "legend.fontsize": self.small,
            "legend.title_fontsize": self.font,
            "figure.titlesize": self.title,
            "figure.labelsize": self.font,
            "axes.linewidth": 0.6,
            "lines.linewidth": 1.0,
            "patch.linewidth": 0.5,
            "hatch.linewidth": 0.5,
            "xtick.major.width": 0.6,
            "ytick.major.width": 0.6,
            "xtick.major.size": 2.5,
            "ytick.major.size": 2.5,
            "figure.constrained_layout.use": True,
            "figure.constrained_layout.h_pad": 0.03,
            "figure.constrained_layout.w_pad": 0.03,
            "savefig.bbox": None,
        }


def styled(function: F) -> F:
    """Decorator of plot functions: fills ``style=`` and builds the figure under its rcParams.

    The figure gets constrained layout, the style's font sizes for every text
    element created without an explicit size, and keeps its width.
    """

    @functools.wraps(function)
    def wrapper(*args, style: FigureStyle | None = None, **kwargs):
        style = style or FigureStyle()
        setup_cjk_font()
        with plt.rc_context(style.rc()):
            fig = function(*args, style=style, **kwargs)
        fig.set_size_inches(style.width, fig.get_size_inches()[1])
        return fig

    return wrapper  # type: ignore[return-value]


def new_figure(
    style: FigureStyle, height: float, nrows: int = 1, ncols: int = 1, **kwargs
) -> tuple[Figure, Any]:
    """A figure ``style.width`` wide and ``height`` tall with ``nrows`` × ``ncols`` axes."""
    return plt.subplots(nrows, ncols, figsize=(style.width, height), **kwargs)


# --------------------------------------------------------------------------- text


@lru_cache(maxsize=20000)
def text_width(text: str, size: float) -> float:
    """Width in inches of one line of ``text`` at ``size`` points in the CJK font."""
    from matplotlib.textpath import TextToPath

    setup_cjk_font()
    prop = font_manager.FontProperties(family=CJK_FONT_FAMILY, size=size)
    width, _, _ = TextToPath().get_text_width_height_descent(text, prop, ismath=False)
    return width / 72.0


_BREAK_AFTER = "，、；：。）)」/· "


def wrap_text(text: str, width: float, size: float, max_lines: int = 4) -> str:
    """``text`` broken into lines no wider than ``width`` inches at ``size`` points.

    Chinese has no spaces, so lines break between any two characters,
    preferring a break after punctuation in the last third of the line.
    """
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines:
        if text_width(rest, size) <= width:
            lines.append(rest)
            rest = ""
            break
        cut = 1
        while cut < len(rest) and text_width(rest[: cut + 1], size) <= width:
            cut += 1
        soft = max((rest.rfind(c, 0, cut) for c in _BREAK_AFTER), default=-1)
        if soft >= cut * 2 // 3:
            cut = soft + 1
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        lines[-1] = fit_text(lines[-1] + rest, width, size)
    return "\n".join(lines)


def fit_text(text: str, width: float, size: float) -> str:
    """``text`` cut with ``…`` so that it is no wider than ``width`` inches at ``size`` points."""
    if text_width(text, size) <= width:
        return text
    keep = len(text)
    while keep > 1 and text_width(text[:keep] + "…", size) > width:
        keep -= 1
    return text[:keep] + "…"


def short_label(doc_id: str, title: str = "", width: int = 14) -> str:
    """``doc_id`` plus the start of the title, for axis labels."""
    if not title or width <= 0:
        return doc_id
    title = title if len(title) <= width else title[: width - 1] + "…"
    return f"{doc_id} {title}"


def suptitle(fig: Figure, style: FigureStyle, text: str, **kwargs) -> None:
    """A figure title wrapped to the figure's width."""
    fig.suptitle(wrap_text(text, style.width * 0.96, style.title), fontsize=style.title, **kwargs)


def axes_title(ax, text: str, style: FigureStyle, width: float | None = None) -> None:
    """An axes title wrapped to ``width`` inches (default: most of the figure's width)."""
    ax.set_title(wrap_text(text, width or style.width * 0.8, style.title), fontsize=style.title)


# --------------------------------------------------------------------------- notes


def add_note(fig: Figure, note: str) -> None:
    """Attach a note for the figure's caption (rows cut, panels left out …)."""
    notes = getattr(fig, NOTES_ATTRIBUTE, [])
    setattr(fig, NOTES_ATTRIBUTE, [*notes, note])


def figure_notes(fig: Figure) -> list[str]:
    """The notes :func:`add_note` attached."""
    return list(getattr(fig, NOTES_ATTRIBUTE, []))


# --------------------------------------------------------------------------- files


def figure_bytes(fig: Figure, fmt: str, dpi: int = PNG_DPI) -> bytes:
    """The figure as PNG, SVG or PDF bytes, exactly its size, with no date or software stamp.

    PDF embeds the fonts (TrueType subsets); SVG draws text as paths.
    """
    import io

    setup_cjk_font()
    buffer = io.BytesIO()
    metadata = {
        "png": {"Software": None},
        "svg": {"Date": None},
        "pdf": {"CreationDate": None, "Producer": None, "Creator": None},
    }.get(fmt, {})
    with plt.rc_context({"pdf.fonttype": 42, "svg.fonttype": "path"}):
        fig.savefig(
            buffer,
            format=fmt,
            dpi=dpi if fmt == "png" else None,
            metadata=metadata,
            bbox_inches=None,
        )
    return buffer.getvalue()


def save_figure(
    fig: Figure,
    folder: Path,
    name: str,
    formats: tuple[str, ...] = FIGURE_FORMATS,
    close: bool = False,
    dpi: int = PNG_DPI,
) -> list[Path]:
    """Write a figure as ``folder/name.png`` (``dpi``), ``.svg`` and ``.pdf``, atomically.

    The figure stays open (a notebook shows it) unless ``close``.

    Returns
    -------
    list of Path
        The files written.
    """
    written = [
        write_bytes(Path(folder) / f"{name}.{fmt}", figure_bytes(fig, fmt, dpi)) for fmt in formats
    ]
    if close:
        plt.close(fig)
    return written
