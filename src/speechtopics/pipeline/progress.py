"""Progress of long steps: fits done / total with an estimate of the time left.

On a terminal a tqdm bar per kind of fit; in a log file (stderr not a
terminal) plain lines at every tenth of the work, so messages never run
into a bar.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..analysis.topics.fit import FIT_PROGRESS


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


class FitProgress:
    """A reporter for :data:`~speechtopics.analysis.topics.fit.FIT_PROGRESS`."""

    def __init__(self, stage: str, echo: Callable[[str], None], terminal: bool) -> None:
        self.stage = stage
        self.echo = echo
        self.terminal = terminal
        self.label: str | None = None
        self.started = 0.0
        self.bar = None
        self.next_line = 0.0

    def _start(self, total: int, label: str) -> None:
        self.close()
        self.label, self.started, self.next_line = label, time.perf_counter(), 0.1
        if self.terminal:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=f"{self.stage}: {label}", unit="fit", leave=False)

    def __call__(self, done: int, total: int, label: str) -> None:
        if label != self.label or done <= 0:
            self._start(total, label)
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
            return
        if done / total >= self.next_line or done == total:
            elapsed = time.perf_counter() - self.started
            left = elapsed / done * (total - done)
            self.echo(
                f"[{self.stage}] {label}: {done}/{total} done in {_minutes(elapsed)}"
                + (f", ≈ {_minutes(left)} left" if done < total else "")
            )
            self.next_line = (int(done / total * 10) + 1) / 10

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@contextmanager
def fit_progress(stage: str, echo: Callable[[str], None] | None) -> Iterator[None]:
    """Report the fits of ``stage`` through ``echo`` (nothing when ``echo`` is None)."""
    if echo is None:
        yield
        return
    reporter = FitProgress(stage, echo, terminal=sys.stderr.isatty())
    token = FIT_PROGRESS.set(reporter)
    try:
        yield
    finally:
        FIT_PROGRESS.reset(token)
        reporter.close()
