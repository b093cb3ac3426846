"""Topic labels the researcher chooses (data/lexicon/topic_labels.toml) reach every output."""

from __future__ import annotations

import shutil
from dataclasses import replace

import matplotlib.pyplot as plt
import pytest
from conftest import FAST_TOPICS

from speechtopics.analysis.topics.export import FittedTopics
from speechtopics.analysis.topics.identity import topic_identity
from speechtopics.pipeline.cache import stage_key
from speechtopics.pipeline.stages import STAGE_BY_NAME
from speechtopics.pipeline.stages.topics import TOPIC_MODEL_FILE
from speechtopics.report.index import build_index_html
from speechtopics.text.lexicon import LexiconError, load_topic_labels

LABEL = "队伍建设（自定）"
GONE = "一个消失的主题"


@pytest.fixture(scope="module")
def labelled_paths(paths, tmp_path_factory):
    lexicon = tmp_path_factory.mktemp("lexicon")
    for source in paths.lexicon.iterdir():
        shutil.copy(source, lexicon / source.name)
    (lexicon / "topic_labels.toml").write_text(
        f'# mine\nT1 = "{LABEL}"\nT9 = "{GONE}"\n', encoding="utf-8"
    )
    return replace(paths, lexicon=lexicon)


@pytest.fixture(scope="module")
def labelled(corpus, params, labelled_paths, fast_topic_models):
    settings = params.updated({"topics": FAST_TOPICS})
    stage = STAGE_BY_NAME["topics"]
    inputs = stage.inputs(corpus, settings, {"topic_models": fast_topic_models}, labelled_paths)
    output = stage.function(inputs)
    figures = {name: fig for name, fig, _ in output.pending_figures()}
    yield output, figures
    plt.close("all")


def _texts(fig) -> str:
    fig.canvas.draw()
    return " ".join(t.get_text().replace("\n", "") for t in fig.findobj(plt.Text))


def test_a_chosen_label_is_in_the_tables_the_figures_the_topic_page_and_the_model(labelled):
    output, figures = labelled
    stability = output.tables["topic_stability"].set_index("topic")
    assert stability.loc["T1", "label"] == LABEL
    assert stability.loc["T1", "auto_label"] != LABEL and stability.loc["T1", "auto_label"]
    assert (stability.drop(index="T1")["label"] == stability.drop(index="T1")["auto_label"]).all()
    words = output.tables["topic_words"]
    assert set(words.loc[words["topic"] == "T1", "label"]) == {LABEL}
    for name in ("topic_words", "topic_prevalence", "topic_stability", "topic_section_heatmap"):
        assert LABEL in _texts(figures[name]), name
    assert LABEL in output.files["topics_ldavis.html"].decode("utf-8")
    model = FittedTopics.from_bytes(output.artifacts[TOPIC_MODEL_FILE])
    assert model.labels_[model.names_.index("T1")] == LABEL


def test_a_label_whose_topic_vanished_stays_and_is_reported(labelled):
    output, _ = labelled
    assert output.data["unused_topic_labels"] == {"T9": GONE}
    assert any("T9" in m and GONE in m for m in output.messages)
    page = build_index_html({"title": "t", "parameters": {}}, {"topics": output})
    assert LABEL in page
    assert f"topic_labels.toml 给 T9 起了标签“{GONE}”" in page


def test_the_labels_file_is_part_of_the_topics_stage_key(params, labelled_paths, tmp_path):
    spec = STAGE_BY_NAME["topics"]
    assert "topic_labels" in spec.lexicon
    before = stage_key(spec, "corpus", params, labelled_paths, {})
    moved = replace(labelled_paths, lexicon=tmp_path)
    shutil.copytree(labelled_paths.lexicon, tmp_path, dirs_exist_ok=True)
    assert stage_key(spec, "corpus", params, moved, {}) == before
    (tmp_path / "topic_labels.toml").write_text('T1 = "另一个标签"\n', encoding="utf-8")
    assert stage_key(spec, "corpus", params, moved, {}) != before


def test_matching_uses_the_automatic_labels_so_a_deleted_label_goes_back(
    labelled, fast_topic_models
):
    output, _ = labelled
    previous = output.tables["topic_words"]
    results = fast_topic_models.data["results"]
    identity = topic_identity(results, previous)
    kept = identity["key"]["labels"]
    assert LABEL not in kept.values()
    rows = topic_identity(results, previous, {"T1": LABEL})["tables"]["topic_identity"]
    assert {row["label"] for row in rows if row["topic"] == "T1"} == {LABEL}


def test_the_shipped_labels_file_sets_no_label_and_bad_files_name_the_line(paths, tmp_path):
    assert load_topic_labels(paths.topic_labels) == {}
    assert load_topic_labels(tmp_path / "absent.toml") == {}
    bad = tmp_path / "topic_labels.toml"
    bad.write_text('T1 = "好"\ntopic2 = "坏"\n', encoding="utf-8")
    with pytest.raises(LexiconError, match=r"line 2: 'topic2' is not a topic number"):
        load_topic_labels(bad)
    bad.write_text('T1 = ""\n', encoding="utf-8")
    with pytest.raises(LexiconError, match="line 1"):
        load_topic_labels(bad)
