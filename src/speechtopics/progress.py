"""Progress of long steps: a bar with counts and ETA on a terminal, plain lines in a log.

A run turns progress on with :func:`reporting`; every step that can take
more than a few seconds (loading, tokenizing, topic fits, clustering,
drawing figures) wraps its loop in :func:`track`. When the stream is a
terminal, :func:`track` draws a ``tqdm`` bar; otherwise (a log file, CI) it
writes a plain line at the start, about every tenth of the way (at most
every few seconds) and at the end, so messages never run into a bar.
:func:`note` writes a message without breaking a bar that is being drawn.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO, TypeVar

T = TypeVar("T")

_STATE: dict[str, Any] = {"enabled": False, "stream": None, "bars": 0}
#: Plain progress lines: none during the first PLAIN_QUIET seconds of a loop, then at
#: most one every PLAIN_MIN_GAP seconds and at least one every PLAIN_INTERVAL seconds.
PLAIN_QUIET = 3.0
PLAIN_MIN_GAP = 2.0
PLAIN_INTERVAL = 30.0


@contextmanager
def reporting(enabled: bool = True, stream: TextIO | None = None) -> Iterator[None]:
    """Turn progress reports on (or off) for the steps run inside the block."""
    previous = dict(_STATE)
    _STATE.update(enabled=enabled, stream=stream)
    try:
        yield
    finally:
        _STATE.update(previous)


def _stream() -> TextIO:
    return _STATE["stream"] or sys.stderr


def is_terminal(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (default: the progress stream) is an interactive terminal."""
    stream = stream or _stream()
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _plain(iterable: Iterable[T], total: int | None, desc: str, unit: str) -> Iterator[T]:
    """Plain progress lines: none for a loop done within a few seconds, else about one per
    tenth of the way (at most one every :data:`PLAIN_MIN_GAP` seconds, at least one every
    :data:`PLAIN_INTERVAL` seconds) and a closing line."""
    stream = _stream()
    start = last = time.monotonic()
    size = f"/{total}" if total else ""
    step = max(1, (total or 10) // 10)
    done, printed = 0, False
    for done, item in enumerate(iterable, start=1):
        yield item
        now = time.monotonic()
        if (total and done >= total) or now - start < PLAIN_QUIET:
            continue
        if (done % step == 0 and now - last >= PLAIN_MIN_GAP) or now - last >= PLAIN_INTERVAL:
            last, printed = now, True
            elapsed = now - start
            eta = f", about {_clock(elapsed / done * (total - done))} left" if total else ""
            stream.write(f"{desc}: {done}{size} {unit}, {_clock(elapsed)} elapsed{eta}\n")
            stream.flush()
    if printed or time.monotonic() - start >= PLAIN_QUIET:
        stream.write(f"{desc}: {done}{size} {unit} done in {_clock(time.monotonic() - start)}\n")
        stream.flush()


def _bar(iterable: Iterable[T], total: int | None, desc: str, unit: str) -> Iterator[T]:
    from tqdm.auto import tqdm

    _STATE["bars"] += 1
    try:
        yield from tqdm(
            iterable,
            total=total,
            desc=desc,
            unit=unit,
            file=_stream(),
            leave=False,
            mininterval=0.5,
        )
    finally:
        _STATE["bars"] -= 1


def track(
    iterable: Iterable[T],
    total: int | None = None,
    desc: str = "",
    unit: str = "step",
    enabled: bool | None = None,
) -> Iterable[T]:
    """``iterable`` with its progress reported (a bar on a terminal, plain lines otherwise).

    Parameters
    ----------
    iterable : iterable
    total : int, optional
        Number of items (default: ``len(iterable)`` when it has one).
    desc, unit : str
        What is counted (``"topic fits"``, ``"fit"``).
    enabled : bool, optional
        Report even outside :func:`reporting` (True) or never (False);
        default: as the enclosing :func:`reporting` says.
    """
    if enabled is None:
        enabled = bool(_STATE["enabled"])
    if not enabled:
        return iterable
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    if is_terminal():
        return _bar(iterable, total, desc, unit)
    return _plain(iterable, total, desc, unit)


def note(message: str, echo: Callable[[str], None] | None = None) -> None:
    """Write a message (through ``echo`` when given) without breaking a progress bar being drawn."""
    if _STATE["bars"] and is_terminal():
        from tqdm.auto import tqdm

        tqdm.write(message, file=_stream())
    elif echo is not None:
        echo(message)
    else:
        _stream().write(message + "\n")
        _stream().flush()
