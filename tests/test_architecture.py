"""The shape of the package: one-way layers, small modules, a cache key that cannot go stale."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import speechtopics.io as io_module
from speechtopics.config import PROJECT_ROOT
from speechtopics.pipeline.cache import stage_key
from speechtopics.pipeline.stages import STAGE_BY_NAME

PACKAGE = PROJECT_ROOT / "src" / "speechtopics"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(PROJECT_ROOT / "pyproject.toml"), "--no-cache"],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layers_contract_holds():
    result = _lint_imports(PROJECT_ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.slow
def test_a_wrong_way_import_breaks_the_contract(tmp_path):
    """The check can fail: the text layer importing the pipeline is reported."""
    copy = tmp_path / "src" / "speechtopics"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    clean = copy / "text" / "clean.py"
    clean.write_text(
        clean.read_text(encoding="utf-8")
        + "\n\ndef _up():\n    from ..pipeline import run  # noqa\n",
        encoding="utf-8",
    )
    result = _lint_imports(tmp_path / "src")
    assert result.returncode != 0
    assert "speechtopics.text is not allowed to import speechtopics.pipeline" in result.stdout


def _python_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _python_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_are_small_enough_to_read_in_one_sitting(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 600


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function without its docstring."""
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        lines -= first.end_lineno - first.lineno + 1
    return lines


@pytest.mark.parametrize("path", _python_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_functions_fit_on_a_screen_or_say_why_not(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _code_lines(node) > 80:
            doc = ast.get_docstring(node) or ""
            assert "long because" in doc.lower(), f"{node.name}: {_code_lines(node)} lines of code"


# --------------------------------------------------------------------------- the cache key


@pytest.fixture
def package_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the package's source that the code hash reads instead of the installed one."""
    copy = tmp_path / "speechtopics"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(io_module, "PACKAGE_DIR", copy)
    io_module.source_hash.cache_clear()
    yield copy
    io_module.source_hash.cache_clear()


@pytest.mark.parametrize(
    ("stage", "module"),
    [
        ("overview", "plots/corpus.py"),  # a stage's figures module
        ("topics", "report/ldavis.py"),  # the topic page's constants
        ("themes", "text/segment.py"),  # heading patterns and section names
        ("themes", "text/lexicon.py"),  # how themes are read
        ("cluster", "analysis/vectors.py"),  # the TF-IDF it clusters on
        ("report", "io.py"),
    ],
)
def test_touching_a_module_a_stage_runs_changes_its_key(package_copy, params, paths, stage, module):
    spec = STAGE_BY_NAME[stage]
    before = stage_key(spec, "corpus", params, paths, {})
    target = package_copy / module
    target.write_text(target.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    io_module.source_hash.cache_clear()
    after = stage_key(spec, "corpus", params, paths, {})
    assert before != after


def test_a_stage_key_covers_its_settings_and_nothing_else(params, paths):
    spec = STAGE_BY_NAME["features"]
    base = stage_key(spec, "corpus", params, paths, {})
    changed = params.updated({"features": {"top_n": 7}})
    unrelated = params.updated({"topics": {"k_max": 7}})
    assert stage_key(spec, "corpus", changed, paths, {}) != base
    assert stage_key(spec, "corpus", unrelated, paths, {}) == base


def test_a_stage_cannot_read_a_settings_section_it_did_not_declare(corpus, params, paths):
    inputs = STAGE_BY_NAME["features"].inputs(corpus, params, {}, paths)
    assert inputs.settings.features.top_n == params.features.top_n
    with pytest.raises(AttributeError, match=r"reads \[topics\] without declaring it"):
        inputs.settings.topics  # noqa: B018
    with pytest.raises(KeyError, match="without declaring it"):
        inputs.lexicon.path("formulations")


@pytest.mark.slow
def test_a_run_after_a_code_edit_recomputes_and_a_run_without_one_reuses(
    package_copy, params, tmp_path
):
    from speechtopics.config import default_paths
    from speechtopics.pipeline.run import run

    raw = tmp_path / "raw"
    raw.mkdir()
    for source in sorted((PROJECT_ROOT / "data" / "raw").glob("00[12]_*.txt")):
        shutil.copy(source, raw)
    run_paths = default_paths(params).with_overrides(raw=raw, out=tmp_path / "out")
    fast = params.updated(
        {"topics": {"k_min": 2, "k_max": 3, "seeds": [1, 2], "ensemble_runs": 2, "passes": 2}}
    )

    def statuses() -> dict[str, str]:
        summary = run(run_paths, fast, progress=False, echo=lambda _: None)
        return {row["stage"]: row["status"] for row in summary.rows if row["stage"] != "load"}

    first = statuses()
    assert set(first.values()) == {"recomputed"}
    assert set(statuses().values()) == {"reused"}
    target = package_copy / "plots" / "corpus.py"
    target.write_text(target.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    io_module.source_hash.cache_clear()
    assert set(statuses().values()) == {"recomputed"}
