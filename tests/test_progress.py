"""Progress: a bar with counts and ETA on a terminal, plain lines in a log, messages kept apart."""

from __future__ import annotations

import io
import re

import pytest

from speechtopics import progress
from speechtopics.analysis.topics.fit import parallel_map
from speechtopics.pipeline.stage import RunSummary


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def eager(monkeypatch):
    """Plain lines from the first item on (the quiet start and gaps set to zero)."""
    monkeypatch.setattr(progress, "PLAIN_QUIET", 0.0)
    monkeypatch.setattr(progress, "PLAIN_MIN_GAP", 0.0)


def test_a_log_gets_plain_lines_with_counts_and_time_left(eager):
    log = io.StringIO()
    with progress.reporting(True, log):
        items = list(progress.track(range(20), desc="topics: K sweep", unit="fit"))
    assert items == list(range(20))
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert re.fullmatch(r"topics: K sweep: 2/20 fit, 0:00 elapsed, about 0:00 left", lines[0])
    assert lines[-1].startswith("topics: K sweep: 20/20 fit done in ")
    assert len(lines) == 10


def test_a_quick_loop_writes_nothing_and_no_report_means_no_output():
    log = io.StringIO()
    with progress.reporting(True, log):
        assert list(progress.track(range(5), desc="quick")) == [0, 1, 2, 3, 4]
    with progress.reporting(False, log):
        assert list(progress.track(range(5), desc="off")) == [0, 1, 2, 3, 4]
    assert log.getvalue() == ""


def test_a_terminal_gets_a_bar_and_a_message_on_its_own_line():
    screen = Terminal()
    with progress.reporting(True, screen):
        for i in progress.track(range(3), desc="figures", unit="figure"):
            if i == 1:
                progress.note("[topics] computing …")
    out = screen.getvalue()
    assert "\r" in out and "figures:" in out and "0/3" in out
    assert re.search(r"(^|[\r\n])\[topics\] computing …\n", out)


def _double(x: int) -> int:
    return x * 2


def test_topic_fits_report_their_progress_in_a_log():
    from speechtopics.pipeline.progress import fit_progress

    lines: list[str] = []
    with fit_progress("topic_models", lines.append):
        results = parallel_map([(i,) for i in range(4)], _double, n_jobs=1, label="ensemble fits")
    assert results == [0, 2, 4, 6]
    assert lines[-1].startswith("[topic_models] ensemble fits: 4/4 done in")
    assert all("\r" not in line for line in lines)


def test_the_run_summary_ends_with_what_was_thin_and_where_to_look_first():
    summary = RunSummary()
    summary.add("load", "recomputed", 1.0, "5 speeches")
    summary.thin = ["只有 5 篇讲话"]
    summary.look_first = "/x/figures/index.html"
    lines = summary.format().splitlines()
    assert lines[-3:] == [
        "where the data are thin:",
        "  - 只有 5 篇讲话",
        "look first at /x/figures/index.html",
    ]
