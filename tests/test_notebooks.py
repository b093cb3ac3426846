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

# notebook, parameter overrides (kept small so the suite stays quick), figures it must write
NOTEBOOKS = [
    ("01_corpus_overview", {}, ["corpus_overview.png", "corpus_overview.svg"]),
    (
        "02_keywords_tfidf",
        {},
        [
            "keywords_per_speech.png",
            "keyness.png",
            "similarity_heatmap.png",
            "wordcloud_000.png",
            "wordcloud_004.png",
        ],
    ),
    (
        "03_topics_lda",
        {"k_min": 3, "k_max": 6, "seeds": [1, 2, 3]},
        [
            "topic_coherence.png",
            "topic_stability.png",
            "topic_prevalence.png",
            "topic_section_heatmap.png",
            "topic_words.png",
            "theme_topic_prevalence.png",
            "topics_ldavis.html",
        ],
    ),
    (
        "04_themes",
        {},
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
            "cluster_map.png",
            "cluster_spread.png",
            "speech_dendrogram.png",
        ],
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "overrides", "figures"), NOTEBOOKS, ids=[row[0] for row in NOTEBOOKS]
)
def test_notebook_runs_and_writes_its_figures(name, overrides, figures, tmp_path):
    source = NOTEBOOK_DIR / f"{name}.py"
    assert source.exists(), f"{source} is missing"
    notebook = jupytext.read(source)
    tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name} must have exactly one cell tagged 'parameters'"
    executable = tmp_path / f"{name}.ipynb"
    nbformat.write(notebook, executable)
    out_dir = tmp_path / "out"
    papermill.execute_notebook(
        str(executable),
        str(tmp_path / f"{name}.out.ipynb"),
        parameters={"out_dir": str(out_dir), **overrides},
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    written = out_dir / "figures" / "notebooks"
    missing = [figure for figure in figures if not (written / figure).exists()]
    assert not missing, (
        f"{name} did not write {missing}; it wrote {sorted(p.name for p in written.glob('*'))}"
    )
    for figure in figures:
        assert (written / figure).stat().st_size > 1000


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
