"""Figures: every plotting function returns a matplotlib Figure.

One submodule per analysis (``plots.corpus``, ``plots.features``,
``plots.themes``, ``plots.topics``, ``plots.cluster``); this module holds
what they share. Chinese text renders with the Noto Sans CJK SC font shipped inside the
``mplfonts`` package, registered with matplotlib's font manager here (no
system font install). :func:`save_figure` writes PNG (300 dpi) and SVG
under stable, content-named files.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import matplotlib

if os.environ.get("MPLBACKEND") is None and not os.environ.get("DISPLAY"):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..io import write_bytes  # noqa: E402

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
CJK_FONT_FAMILY = "Noto Sans CJK SC"
FIGURE_FORMATS = ("png", "svg")
PNG_DPI = 300


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
    matplotlib.rcParams["figure.dpi"] = 100
    matplotlib.rcParams["savefig.bbox"] = "tight"
    return family


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure rendered as PNG (300 dpi) or SVG bytes, with no date or software stamp."""
    import io

    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buffer, format=fmt, dpi=PNG_DPI if fmt == "png" else None, metadata=metadata)
    return buffer.getvalue()


def save_figure(
    fig: Figure,
    folder: Path,
    name: str,
    formats: tuple[str, ...] = FIGURE_FORMATS,
    close: bool = False,
) -> list[Path]:
    """Write a figure as ``folder/name.png`` (300 dpi) and ``folder/name.svg``, atomically.

    The SVG carries no date, so the same figure gives the same bytes. The
    figure stays open (a notebook shows it) unless ``close``.

    Returns
    -------
    list of Path
        The files written.
    """
    written = [
        write_bytes(Path(folder) / f"{name}.{fmt}", figure_bytes(fig, fmt)) for fmt in formats
    ]
    if close:
        plt.close(fig)
    return written


def short_label(doc_id: str, title: str = "", width: int = 14) -> str:
    """``doc_id`` plus the start of the title, for axis labels."""
    if not title:
        return doc_id
    title = title if len(title) <= width else title[: width - 1] + "…"
    return f"{doc_id} {title}"
