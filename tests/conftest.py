"""Shared fixtures: the bundled speeches in data/raw, loaded once per test session.

Outputs and caches of the tests go to temporary folders; the project's own
data/interim, data/processed and figures are never touched by tests.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
# The benchmarks' helpers (streams of large corpora) are tested too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
# The secret that signs cache entries: one for the test session (and the runs it
# starts), never the user's own (~/.config/speechtopics).
os.environ.setdefault(
    "SPEECHTOPICS_SECRET_DIR", tempfile.mkdtemp(prefix="speechtopics-test-secret-")
)

from speechtopics.config import PROJECT_ROOT, default_paths, load_settings  # noqa: E402
from speechtopics.config.paths import Paths  # noqa: E402
from speechtopics.corpus.load import load  # noqa: E402
from speechtopics.corpus.model import Corpus  # noqa: E402

RAW_DIR = PROJECT_ROOT / "data" / "raw"
BENCH_DIR = PROJECT_ROOT.parent / "shared" / "corpus" / "bench"


@pytest.fixture(scope="session")
def params() -> dict:
    """The project's parameters (speechtopics.toml)."""
    return load_settings()


@pytest.fixture(scope="session")
def session_out(tmp_path_factory) -> Path:
    """Output root shared by the session's corpus fixture."""
    return tmp_path_factory.mktemp("out")


@pytest.fixture(scope="session")
def paths(params, session_out) -> Paths:
    """Project paths with raw = data/raw (and data/metadata.csv), outputs in a temporary folder."""
    return replace(
        default_paths(params),
        interim=session_out / "interim",
        processed=session_out / "processed",
        figures=session_out / "figures",
    )


@pytest.fixture(scope="session")
def corpus(paths, params) -> Corpus:
    """The five bundled speeches, loaded, cleaned, segmented and tokenized."""
    return load(paths, params)


def bench_path(*parts: str) -> Path:
    """A path under ../shared/corpus/bench; the test is skipped when it is absent."""
    path = BENCH_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available on this machine")
    return path


@pytest.fixture(scope="session")
def full_run(tmp_path_factory, params):
    """One complete `run` of every stage on the bundled speeches into a temporary output root.

    Returns the paths of that run and its summary.
    """
    from speechtopics.pipeline.run import run

    out = tmp_path_factory.mktemp("full_run")
    run_paths = replace(
        default_paths(params),
        interim=out / "interim",
        processed=out / "processed",
        figures=out / "figures",
    )
    summary = run(run_paths, params, progress=False, echo=lambda _: None)
    return run_paths, summary


#: Topic settings small enough for tests that need fitted topics but not good ones.
FAST_TOPICS = {"k_min": 3, "k_max": 4, "seeds": [1, 2], "ensemble_runs": 2, "passes": 3}


@pytest.fixture(scope="session")
def fast_topic_models(corpus, params):
    """The ``topic_models`` stage's output on the bundled speeches with :data:`FAST_TOPICS`."""
    from speechtopics.pipeline.stages import run_stage

    return run_stage("topic_models", corpus, params.updated({"topics": FAST_TOPICS}))
