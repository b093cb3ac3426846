"""Every notebook runs top to bottom on the bundled speeches and writes the figures it promises.

Each notebook is the jupytext ``py:percent`` source in notebooks/, executed
with papermill (parameters injected after its ``parameters`` cell) into a
temporary output folder. Its figures go to ``<out>/figures/notebooks/``.
"""

from __future__ import annotations

import jupytext
import nbformat
import papermill
import pytest

from speechtopics.config import PROJECT_ROOT

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"

# notebook, parameter overrides, figures of the run it must show
NOTEBOOKS = [
    ("01_corpus_overview", {"doc_id": "002"}, ["corpus_overview.png"]),
    (
        "02_keywords_tfidf",
        {},
        ["keywords_per_speech.png", "keyness.png", "similarity_heatmap.png"],
    ),
    (
        "03_topics_lda",
        {},
        [
            "topic_coherence.png",
            "topic_stability.png",
            "topic_prevalence.png",
            "topic_section_heatmap.png",
            "topic_words.png",
            "theme_topic_prevalence.png",
        ],
    ),
    (
        "04_themes",
        {"kwic_docs": ["000"]},
        [
            "theme_heatmap.png",
            "theme_section_heatmap.png",
            "theme_by_group.png",
            "theme_dispersion.png",
            "formulations.png",
        ],
    ),
    (
        "05_clusters",
        {},
        [
            "cluster_silhouette.png",
            "cluster_spread.png",
            "speech_dendrogram.png",
        ],
    ),
    (
        "06_compare",
        {"suggest_method": "pmi"},
        [
            "theme_means_by_level.png",
            "theme_year_trend.png",
            "term_trends.png",
            "theme_network_01.png",
        ],
    ),
]


#: Settings of the notebook tests' run: the project's, with a quick topic sweep.
QUICK_SETTINGS = """
[topics]
k_min = 3
k_max = 6
seeds = [1, 2, 3]
ensemble_runs = 3
"""


@pytest.fixture(scope="module")
def notebook_run(tmp_path_factory):
    """One pipeline run the notebooks read (they must reuse it, not refit)."""
    from speechtopics.api import run

    root = tmp_path_factory.mktemp("notebooks")
    params_file = root / "quick.toml"
    params_file.write_text(QUICK_SETTINGS, encoding="utf-8")
    run(out=root / "out", settings=params_file, progress=False)
    return root / "out", params_file


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "overrides", "figures"), NOTEBOOKS, ids=[row[0] for row in NOTEBOOKS]
)
def test_notebook_shows_the_runs_results_without_refitting(
    name, overrides, figures, notebook_run, tmp_path
):
    out_dir, params_file = notebook_run
    source = NOTEBOOK_DIR / f"{name}.py"
    notebook = jupytext.read(source)
    tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name} must have exactly one cell tagged 'parameters'"
    executable = tmp_path / f"{name}.ipynb"
    nbformat.write(notebook, executable)
    executed = papermill.execute_notebook(
        str(executable),
        str(tmp_path / f"{name}.out.ipynb"),
        parameters={"out_dir": str(out_dir), "params_file": str(params_file), **overrides},
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    printed = "".join(
        output.get("text", "")
        for cell in executed["cells"]
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )
    assert "nothing recomputed" in printed, f"{name} recomputed part of the run: {printed[:500]}"
    shown = [
        output
        for cell in executed["cells"]
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(shown) >= len(figures)
    missing = [figure for figure in figures if not (out_dir / "figures" / figure).exists()]
    assert not missing, f"the run has no {missing}"


def test_notebooks_use_only_the_public_api():
    for source in sorted(NOTEBOOK_DIR.glob("*.py")):
        imports = [
            line.strip()
            for line in source.read_text(encoding="utf-8").splitlines()
            if line.startswith(("import ", "from "))
        ]
        assert "import speechtopics as st" in imports, source.name
        assert set(imports) <= {"import speechtopics as st", "from IPython.display import Image"}, (
            f"{source.name} imports {imports}"
        )


def test_notebooks_are_thin_and_paired():
    """Every notebook source is a py:percent file with a parameters cell of literals and no function definitions."""
    sources = sorted(NOTEBOOK_DIR.glob("*.py"))
    assert [p.stem for p in sources] == [row[0] for row in NOTEBOOKS]
    for source in sources:
        text = source.read_text(encoding="utf-8")
        assert "format_name: percent" in text, f"{source.name} is not a jupytext percent file"
        assert "\ndef " not in text and "\nclass " not in text, (
            f"{source.name} defines logic; move it to the package"
        )
        notebook = jupytext.read(source)
        parameters = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
        for line in parameters.source.splitlines():
            line = line.split("#")[0].strip()
            if line:
                name, _, value = line.partition("=")
                compile(value.strip(), "<parameter>", "eval")
                assert "(" not in value or value.strip().startswith("("), (
                    f"{source.name}: parameter {name} is not a literal"
                )
