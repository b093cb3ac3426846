"""Settings: one typed object per section, checked completely before any work starts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from speechtopics.config import PARAMS_FILE, load_settings
from speechtopics.config.checks import SettingsError
from speechtopics.config.sections import Settings, TopicSettings
from speechtopics.pipeline.history import settings_changes

BAD_SETTINGS = [
    # (toml text, what the message must say)
    ("[topics]\nk_mx = 6\n", "[topics] k_mx: unknown key; did you mean k_max?"),
    ("[topic]\nk_max = 6\n", "unknown section [topic]; did you mean topics?"),
    (
        "[analysis]\ngrain = 'section'\n",
        "[analysis] grain: unknown key; it moved to [cluster] grain",
    ),
    ("[topics]\nk_max = '8'\n", "[topics] k_max = '8': expected an integer"),
    ("[topics]\npasses = 2.5\n", "[topics] passes = 2.5: expected an integer"),
    (
        "[topics]\nk_min = 9\nk_max = 4\n",
        "[topics] k_min = 9, k_max = 4: k_min must not be greater",
    ),
    ("[topics]\nseeds = []\n", "[topics] seeds = []: give at least one seed"),
    ("[topics]\nseeds = [1, 1]\n", "[topics] seeds = (1, 1): must not repeat a value"),
    ("[topics]\nn_jobs = 0\n", "[topics] n_jobs = 0: must be at least 1"),
    ("[topics]\ngrain = 'chapter'\n", "[topics] grain = 'chapter': expected one of 'document', "),
    ("[cluster]\ngrain = 'chapter'\n", "[cluster] grain = 'chapter': expected one of"),
    (
        "[cluster]\nmap_projection = 'foo'\n",
        "[cluster] map_projection = 'foo': expected one of 'tsne', 'svd'",
    ),
    ("[topics]\nholdout_fraction = 1.0\n", "[topics] holdout_fraction = 1.0: must be less than 1"),
    ("[topics]\npasses = -1\n", "[topics] passes = -1: must be at least 1"),
    ("[cluster]\nsample_units = 40\n", "[cluster] sample_units = 40: must be at least 200"),
    ("[features]\ntop_n = -3\n", "[features] top_n = -3: must be at least 1"),
    ("[clean]\ntraditional_to_simplified = 'false'\n", "expected true or false"),
    (
        "[topics]\nalpha = 'flat'\n",
        "[topics] alpha = 'flat': expected one of 'symmetric', 'asymmetric' or a number",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_SETTINGS, ids=[m for _, m in BAD_SETTINGS])
def test_bad_settings_are_refused_with_file_section_key_and_fix(tmp_path, text, message):
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_every_problem_is_listed_at_once(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("[topics]\nk_mx = 6\npasses = 0\n[features]\ntopn = 3\n", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert (
        len(caught.value.problems) == 2
    )  # unknown keys first; values are checked once keys are known
    assert "did you mean top_n?" in str(caught.value)


def test_the_project_file_matches_the_defaults_it_documents():
    """speechtopics.toml lists every setting; unknown or mistyped keys would have raised."""
    project = load_settings()
    assert project.topics.k_values == list(range(3, 16))
    assert project.cluster.grain == "paragraph"
    assert set(project.to_dict()) == {
        "paths",
        "clean",
        "tokenize",
        "analysis",
        "topics",
        "cluster",
        "themes",
        "features",
        "compare",
        "suggest",
        "figures",
        "engine",
    }
    assert project.figures.width_inches == 7.0
    assert project.figures.formats == ("png", "svg", "pdf")
    assert project.engine.name == "local"  # the default engine needs no Java


def test_figure_widths_are_single_double_or_inches(tmp_path):
    assert Settings.from_dict({"figures": {"width": "single"}}).figures.width_inches == 3.5
    assert Settings.from_dict({"figures": {"width": 5}}).figures.width_inches == 5
    for width, message in (("triple", "one of 'single', 'double' or a number"), (1, "at least 2")):
        with pytest.raises(SettingsError, match=message):
            Settings.from_dict({"figures": {"width": width}})
    with pytest.raises(SettingsError, match="formats"):
        Settings.from_dict({"figures": {"formats": ["png", "gif"]}})


def test_the_engine_section_is_checked_before_spark_starts():
    engine = Settings.from_dict(
        {"engine": {"name": "spark", "master": "spark://host:7077", "driver_memory": "512m"}}
    ).engine
    assert (engine.name, engine.master, engine.driver_memory) == (
        "spark",
        "spark://host:7077",
        "512m",
    )
    for changes, message in (
        ({"name": "dask"}, "one of 'local', 'spark'"),
        ({"reader": "glob"}, "one of 'list', 'binaryFile'"),
        ({"master": " "}, "give a Spark master"),
        ({"driver_memory": "lots"}, "a size such as"),
        ({"files_per_task": 0}, "at least 1"),
        ({"lda_subsampling": 0.0}, "greater than 0"),
        ({"mster": "local[2]"}, "did you mean master?"),
    ):
        with pytest.raises(SettingsError, match=message):
            Settings.from_dict({"engine": changes})


def test_a_mapping_over_the_defaults_is_checked_like_a_file():
    settings = Settings.from_dict({"topics": {"k_max": 8, "seeds": [3, 4]}})
    assert settings.topics.k_max == 8 and settings.topics.seeds == (3, 4)
    assert isinstance(settings.topics, TopicSettings)
    with pytest.raises(SettingsError, match=r"\[topics\] k_mx: unknown key; did you mean k_max\?"):
        Settings.from_dict({"topics": {"k_mx": 8}})


def test_settings_round_trip_through_plain_data():
    settings = Settings.from_dict({"themes": {"group_by": ["level"]}})
    data = json.loads(json.dumps(settings.to_dict()))
    assert Settings.from_dict(data) == settings


def test_the_command_stops_before_any_work_on_a_typo(tmp_path):
    params = tmp_path / "typo.toml"
    params.write_text("[topics]\nk_mx = 6\n", encoding="utf-8")
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "speechtopics.cli",
            "run",
            "--params",
            str(params),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "[topics] k_mx: unknown key; did you mean k_max?" in result.stderr
    assert str(params) in result.stderr
    assert not out.exists()  # nothing loaded, nothing written


def test_a_missing_settings_file_is_a_message(tmp_path):
    with pytest.raises(SettingsError, match="no such settings file"):
        load_settings(tmp_path / "absent.toml")


def test_diff_names_each_changed_setting_on_its_own_line():
    before = Settings().to_dict()
    after = Settings.from_dict({"topics": {"k_max": 8, "passes": 5}}).to_dict()
    assert settings_changes(before, after) == [
        "settings [topics] k_max: 15 → 8",
        "settings [topics] passes: 10 → 5",
    ]


def test_project_settings_file_exists():
    assert PARAMS_FILE.exists()
