"""Hardening, round 2: runs, settings, the cache and the command line.

Each test builds the situation of the issue (a setting, a planted cache
entry, a killed or failing run, a folder of speeches) and checks what the
tool must do. Tests that run the whole pipeline are marked ``slow`` and use
parameters that keep a run short.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from test_faults import ReadOnlyGuard, fingerprint

from speechtopics.cli import main
from speechtopics.config import PROJECT_ROOT, SettingsError, default_paths, load_settings
from speechtopics.corpus.add import add_speeches
from speechtopics.corpus.load import NO_TOKENS_MESSAGE, build_cleaner, load
from speechtopics.io import SignedCache, cache_memory, call_cached
from speechtopics.pipeline import outputs as outputs_module
from speechtopics.pipeline.cache import stage_cache_entry
from speechtopics.pipeline.outputs import PENDING_FILE, OutputError
from speechtopics.pipeline.run import run
from speechtopics.pipeline.stages import run_stage

RAW = PROJECT_ROOT / "data" / "raw"
LEXICON = PROJECT_ROOT / "data" / "lexicon"
SPEECH = "办公室工作无小事，要当好参谋助手，做好三服务工作。"
FAST = {
    "topics": {
        "k_min": 2,
        "k_max": 3,
        "seeds": [1, 2],
        "passes": 2,
        "iterations": 50,
        "ensemble_runs": 2,
    }
}


def raw_with(tmp_path: Path, prefixes: str = "34", name: str = "raw") -> Path:
    """A folder with the bundled speeches whose numbers are in ``prefixes``."""
    raw = tmp_path / name
    raw.mkdir()
    for prefix in prefixes:
        (path,) = RAW.glob(f"00{prefix}_*.txt")
        shutil.copy(path, raw)
    return raw


def on_disk(out: Path) -> set[str]:
    """Output files of a run folder, named as the manifest names them (notebooks' figures left out)."""
    found = set()
    for root in ("processed", "figures", "interim/cleaned"):
        for path in (out / root).rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                found.add(path.relative_to(out).as_posix())
    return {name for name in found if not name.startswith("figures/notebooks/")} - {
        "processed/manifest.json"
    }


def manifest_of(out: Path) -> dict:
    return json.loads((out / "processed" / "manifest.json").read_text(encoding="utf-8"))


def assert_folder_equals_manifest(out: Path) -> dict:
    manifest = manifest_of(out)
    assert on_disk(out) == set(manifest["outputs"])
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
    return manifest


# --------------------------------------------------------------------------- item 2: no tokens

NO_TOKEN_SPEECHES = {
    "stopwords_only.txt": "同志们：\n我们要进一步切实。",
    "combining_marks.txt": "".join(char + "\u0301" for char in SPEECH),
}


def test_speeches_without_tokens_are_reported_and_left_out_of_token_analyses(tmp_path, params):
    raw = raw_with(tmp_path, "234")
    for name, text in NO_TOKEN_SPEECHES.items():
        (raw / name).write_text(text, encoding="utf-8")
    paths = default_paths(params).with_overrides(raw=raw, out=tmp_path / "out")
    corpus = load(paths, params)
    counts = corpus.token_counts()
    empty = sorted(doc_id for doc_id, count in counts.items() if count == 0)
    assert empty == ["combining_marks", "stopwords_only"]
    warned = {row["file"] for row in corpus.report.warnings if row["message"] == NO_TOKENS_MESSAGE}
    assert warned == set(NO_TOKEN_SPEECHES)
    assert corpus.with_tokens().doc_ids == [d for d in corpus.doc_ids if d not in empty]
    # The speech dendrogram (cosine distance of a zero vector) no longer fails.
    output = run_stage("cluster", corpus, params, {}, paths)
    leaves = set(output.tables["cluster_speech_linkage"][["left", "right"]].to_numpy().ravel())
    assert not leaves & set(empty)
    overview = run_stage("overview", corpus, params, {}, paths)
    assert set(empty) <= set(overview.tables["corpus_overview"]["doc_id"])


@pytest.mark.slow
def test_a_run_with_speeches_without_tokens_completes_and_says_why(tmp_path, params):
    raw = raw_with(tmp_path, "34")
    for name, text in NO_TOKEN_SPEECHES.items():
        (raw / name).write_text(text, encoding="utf-8")
    settings = params.updated(FAST)
    paths = default_paths(settings).with_overrides(raw=raw, out=tmp_path / "out")
    summary = run(paths, settings, progress=False, echo=lambda _: None)
    assert {row["status"] for row in summary.rows} == {"recomputed"}
    for name in NO_TOKEN_SPEECHES:
        assert f"warning {name}: {NO_TOKENS_MESSAGE}" in summary.messages
    rates = pd.read_csv(paths.processed / "theme_rates_by_speech.csv", dtype={"doc_id": str})
    assert set(rates["doc_id"]) == {"003_f74e14f4d453d186", "004_9e5568bb09b9a10f"}
    assert rates.select_dtypes("number").notna().all().all()
    report = pd.read_csv(paths.processed / "load_report.csv", keep_default_na=False)
    assert (report["reason"] == NO_TOKENS_MESSAGE).sum() == 2
    assert_folder_equals_manifest(tmp_path / "out")


# --------------------------------------------------------------------------- item 3: settings


def test_a_lexicon_path_that_does_not_exist_stops_with_file_section_key(tmp_path):
    params = tmp_path / "mine.toml"
    params.write_text('[paths]\nlexicon = "/nonexistent"\n', encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(params)
    assert str(caught.value) == (
        f"{params} [paths] lexicon = '/nonexistent': no such folder (/nonexistent does not "
        "exist); give the folder of userdict.txt, stopwords.txt, themes.toml, noise.txt, "
        "synonyms.txt"
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[paths]\nraw = "no/such/folder"\n', "[paths] raw = 'no/such/folder': no such folder"),
        ('[paths]\nmetadata = "data/raw"\n', "no such file ("),
        ('[paths]\nlexicon = "data/metadata.csv"\n', "metadata.csv is a file"),
    ],
)
def test_paths_that_must_exist(tmp_path, toml, message):
    params = tmp_path / "mine.toml"
    params.write_text(toml, encoding="utf-8")
    with pytest.raises(SettingsError, match=None) as caught:
        load_settings(params)
    assert message in str(caught.value) and str(params) in str(caught.value)


def test_group_by_a_column_nobody_has_stops_the_run_before_any_work(tmp_path, capsys):
    params = tmp_path / "mine.toml"
    params.write_text('[themes]\ngroup_by = ["level", "province"]\n', encoding="utf-8")
    raw = raw_with(tmp_path, "4")
    (raw / "metadata.csv").write_text("doc_id,file,level,decade\na,a.txt,区,2010s\n", "utf-8")
    out = tmp_path / "out"
    code = main(["run", "--raw", str(raw), "--out", str(out), "--params", str(params)])
    err = capsys.readouterr().err
    assert code == 2
    assert (
        f"{params} [themes] group_by = ['level', 'province']: no column 'province' in "
        f"{raw / 'metadata.csv'}; columns are doc_id, file, title, level, region, year, speaker, "
        "source, notes, decade"
    ) in err
    assert not out.exists()
    # An extra column of metadata.csv is a column like any other.
    params.write_text('[themes]\ngroup_by = ["decade"]\n', encoding="utf-8")
    settings = load_settings(params)
    from speechtopics.corpus.metadata import check_group_by

    check_group_by(settings, raw / "metadata.csv")


def test_a_userdict_frequency_beyond_64_bits_is_a_message(tmp_path, capsys):
    lexicon = tmp_path / "lexicon"
    shutil.copytree(LEXICON, lexicon)
    with (lexicon / "userdict.txt").open("a", encoding="utf-8") as handle:
        handle.write("参谋长 18446744073709551616 n\n")
    params = tmp_path / "mine.toml"
    params.write_text(f'[paths]\nlexicon = "{lexicon}"\n', encoding="utf-8")
    code = main(["tokens", "参谋长好", "--params", str(params), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1
    assert "userdict.txt, line" in err and "frequency 18446744073709551616 is larger than" in err
    assert "Traceback" not in err


def test_a_missing_params_file_is_a_message_from_the_command(tmp_path, capsys):
    code = main(["ingest", "--params", str(tmp_path / "absent.toml")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{tmp_path / 'absent.toml'}: no such settings file" in err


# --------------------------------------------------------------------------- item 6: --out inside --raw


@pytest.mark.parametrize("inside", [".", "out", "sub/deeper"])
def test_out_equal_to_or_inside_raw_is_refused(tmp_path, capsys, inside):
    raw = raw_with(tmp_path, "4")
    before = fingerprint(raw)
    out = (raw / inside).resolve()
    for command in (["run"], ["ingest"]):
        code = main([*command, "--raw", str(raw), "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2
        assert "is inside the folder of speeches" in err and "choose another --out" in err
    assert fingerprint(raw) == before
    assert not (raw / "out").exists() and not (raw / "interim").exists()


# --------------------------------------------------------------------------- item 7: add


def _gbk_metadata(
    raw: Path, bom: bytes = b"", encoding: str = "gbk", newline: str = "\r\n"
) -> Path:
    path = raw / "metadata.csv"
    text = newline.join(
        [
            "doc_id,file,title,level,region,year,speaker,source,notes",
            "a,a.txt,全区会议讲话,区,常德,2015,,,",
        ]
    )
    path.write_bytes(bom + (text + newline).encode(encoding))
    return path


# metadata.csv as found: (bom, encoding, newline)
METADATA_FORMS = [
    (b"", "gbk", "\r\n"),
    (b"\xef\xbb\xbf", "utf-8", "\r\n"),
    (b"", "utf-8", "\n"),
    (b"\xff\xfe", "utf-16-le", "\r\n"),
]


@pytest.mark.parametrize(("bom", "encoding", "newline"), METADATA_FORMS)
def test_add_appends_rows_in_the_metadata_files_own_encoding(tmp_path, bom, encoding, newline):
    raw = raw_with(tmp_path, "4")
    (raw / "004_9e5568bb09b9a10f.txt").rename(raw / "a.txt")
    metadata = _gbk_metadata(raw, bom, encoding, newline)
    before = metadata.read_bytes()
    new1, new2 = tmp_path / "new1.txt", tmp_path / "new2.txt"
    shutil.copy(next(RAW.glob("003_*.txt")), new1)
    shutil.copy(next(RAW.glob("002_*.txt")), new2)
    cleaner = build_cleaner(default_paths(), load_settings())
    results = add_speeches([new1, new2], raw, metadata, cleaner, {"level": "县"})
    assert [r.status for r in results] == ["added", "added"]
    after = metadata.read_bytes()
    assert after.startswith(before)  # the old bytes, BOM included, untouched
    added = after[len(before) :].decode(encoding)
    lines = added.split(newline)
    assert lines[0].startswith("new1,new1.txt,") and lines[0].endswith(",县,,,,,")
    assert lines[1].startswith("new2,new2.txt,") and lines[2] == ""
    assert (raw / "new1.txt").exists() and (raw / "new2.txt").exists()


def test_add_is_all_or_nothing_when_the_metadata_cannot_take_the_rows(tmp_path):
    raw = raw_with(tmp_path, "4")
    metadata = raw / "metadata.csv"
    metadata.write_bytes(
        (
            "doc_id,file,title,level,region\na,a.txt,在全區辦公室主任會議上的講話,區,常德市鼎城區\n"
            "b,b.txt,關於加強機關作風建設的幾點意見,縣,臺灣\n"
        ).encode("big5")
    )
    before = fingerprint(raw)
    new = tmp_path / "办公室讲话_𠀀.txt"  # a name Big5 cannot write
    shutil.copy(next(RAW.glob("003_*.txt")), new)
    cleaner = build_cleaner(default_paths(), load_settings())
    (result,) = add_speeches([new], raw, metadata, cleaner)
    assert result.status == "refused"
    assert "cannot be written in its encoding big5" in result.message
    assert fingerprint(raw) == before  # no file copied without its row


def test_add_refuses_hidden_files_like_the_loader_ignores_them(tmp_path):
    raw = raw_with(tmp_path, "4")
    hidden = tmp_path / ".x.txt"
    shutil.copy(next(RAW.glob("003_*.txt")), hidden)
    cleaner = build_cleaner(default_paths(), load_settings())
    (result,) = add_speeches([hidden], raw, raw / "metadata.csv", cleaner)
    assert result.status == "refused" and "hidden file" in result.message
    assert not (raw / ".x.txt").exists() and not (raw / "metadata.csv").exists()


# --------------------------------------------------------------------------- item 8: the cache


def _planted_pickle(marker: Path) -> bytes:
    import pickle

    class Plant:
        def __reduce__(self):
            return (Path.write_text, (marker, "the cache ran this"))

    return pickle.dumps(Plant())


def test_a_planted_pickle_never_runs(tmp_path):
    memory = cache_memory(tmp_path / "cache")

    def square(x: int) -> int:
        return x * x

    cached = memory.cache(square)
    assert call_cached(cached, 7) == (49, "recomputed")
    entry = memory.store.entry_path(cached.namespace, cached.key(7))
    marker = tmp_path / "ran.txt"
    plants = [
        _planted_pickle(marker),  # a bare pickle, as joblib wrote them
        entry.read_bytes()[:54] + _planted_pickle(marker),  # our header, a forged body
        b"speechtopics-cache-v1\n" + b"\x00" * 32 + _planted_pickle(marker),
    ]
    for plant in plants:
        entry.write_bytes(plant)
        output, status = call_cached(cached, 7)
        assert (output, status) == (49, "repaired")
        assert "rejected" in cached.problem
        assert not marker.exists()
        assert call_cached(cached, 7) == (49, "reused")  # replaced by a sound entry


def test_an_entry_signed_with_another_secret_is_rejected(tmp_path, monkeypatch):
    memory = cache_memory(tmp_path / "cache")
    cached = memory.cache(len)
    call_cached(cached, "abc")
    other = SignedCache(tmp_path / "cache")
    other.secret = b"another user's secret, 32 bytes!"
    status, value, problem = other.load(cached.namespace, cached.key("abc"))
    assert (status, value) == ("rejected", None)
    assert "signature does not match" in problem


def test_the_secret_lives_outside_the_project_and_only_its_owner_reads_it(tmp_path):
    from speechtopics.io import secret_folder

    folder = secret_folder()
    assert not folder.resolve().is_relative_to(PROJECT_ROOT)
    SignedCache(tmp_path / "cache")
    mode = (folder / "cache-secret").stat().st_mode & 0o777
    assert mode == 0o600


@pytest.mark.slow
def test_a_tampered_stage_entry_is_recomputed_and_the_summary_says_so(tmp_path, params):
    raw = raw_with(tmp_path, "34")
    settings = params.updated(FAST)
    paths = default_paths(settings).with_overrides(raw=raw, out=tmp_path / "out")
    run(paths, settings, progress=False, echo=lambda _: None)
    manifest = manifest_of(tmp_path / "out")
    keys = {row["stage"]: row["key"] for row in manifest["stages"] if "key" in row}
    marker = tmp_path / "ran.txt"
    stage_cache_entry(paths, "overview", keys["overview"]).write_bytes(_planted_pickle(marker))
    themes = stage_cache_entry(paths, "themes", keys["themes"])
    themes.unlink()
    themes.mkdir()  # a folder where the entry belongs
    summary = run(paths, settings, progress=False, echo=lambda _: None)
    status = {row["stage"]: row["status"] for row in summary.rows}
    assert status["overview"] == "repaired" and status["themes"] == "repaired"
    assert status["features"] == "reused"
    assert not marker.exists()
    text = summary.format()
    assert "recomputed: overview, themes" in text
    assert "nothing recomputed" not in text
    assert any("[themes] cache entry" in m and "IsADirectoryError" in m for m in summary.messages)
    again = run(paths, settings, progress=False, echo=lambda _: None)
    assert "nothing recomputed: every stage came from the cache" in again.format()
    assert_folder_equals_manifest(tmp_path / "out")


# --------------------------------------------------------------------------- items 4 and 5: the folder equals the manifest


@pytest.mark.slow
def test_outputs_a_run_no_longer_produces_are_removed(tmp_path, params):
    raw = raw_with(tmp_path, "234")
    settings = params.updated({**FAST, "figures": {"wordclouds": True}})  # a figure per speech
    out = tmp_path / "out"
    paths = default_paths(settings).with_overrides(raw=raw, out=out)
    run(paths, settings, progress=False, echo=lambda _: None)
    first = assert_folder_equals_manifest(out)
    (path_002,) = raw.glob("002_*.txt")
    doc_002 = path_002.stem
    assert f"figures/wordcloud_{doc_002}.png" in first["outputs"]
    assert f"interim/cleaned/{doc_002}.txt" in first["outputs"]
    assert "processed/theme_rates_by_speech.csv" in first["outputs"]
    notebook_figure = out / "figures" / "notebooks" / "mine.png"
    notebook_figure.parent.mkdir(parents=True)
    notebook_figure.write_bytes(b"a figure a notebook saved")
    # A removed speech and a lexicon without themes: their outputs must go.
    path_002.unlink()
    lexicon = tmp_path / "lexicon"
    shutil.copytree(LEXICON, lexicon)
    (lexicon / "themes.toml").write_text("", encoding="utf-8")
    no_themes = replace(paths, lexicon=lexicon)
    summary = run(no_themes, settings, progress=False, echo=lambda _: None)
    second = assert_folder_equals_manifest(out)
    gone = set(first["outputs"]) - set(second["outputs"])
    assert f"figures/wordcloud_{doc_002}.png" in gone
    assert f"interim/cleaned/{doc_002}.txt" in gone
    assert "processed/theme_rates_by_speech.csv" in gone
    assert not (out / "processed" / "theme_rates_by_speech.csv").exists()
    assert any(message.startswith("removed ") for message in summary.messages)
    assert notebook_figure.exists()  # never listed by a manifest: never touched
    previous = json.loads((out / "processed/previous/manifest.json").read_text(encoding="utf-8"))
    assert previous["outputs"] == first["outputs"]  # previous/ holds the run before, whole
    assert previous["finished"] != second["finished"]
    # --stage reruns one stage; the other stages' outputs stay, listed as before.
    run(no_themes, settings, stages=["cluster"], progress=False, echo=lambda _: None)
    third = assert_folder_equals_manifest(out)

    def current(manifest: dict) -> set[str]:
        return {name for name in manifest["outputs"] if not name.startswith("processed/previous/")}

    assert current(third) == current(second)
    assert third["produced_by"]["processed/keyness.csv"] == "features"


@pytest.mark.slow
def test_a_failing_run_changes_no_output_and_not_previous(tmp_path, params, monkeypatch):
    raw = raw_with(tmp_path, "34")
    settings = params.updated(FAST)
    out = tmp_path / "out"
    paths = default_paths(settings).with_overrides(raw=raw, out=out)
    run(paths, settings, progress=False, echo=lambda _: None)
    run(paths, settings.updated({"topics": {"seeds": [1, 3]}}), progress=False, echo=lambda _: None)
    before = {name: (out / name).read_bytes() for name in on_disk(out)}
    before_manifest = (out / "processed" / "manifest.json").read_bytes()
    assert any(name.startswith("processed/previous/") for name in before)

    import speechtopics.pipeline.stages.cluster as cluster_module

    def failing(*args, **kwargs):
        raise RuntimeError("the cluster stage failed")

    monkeypatch.setattr(cluster_module, "speech_linkage", failing)
    changed = settings.updated({"topics": {"seeds": [2, 3]}})
    with pytest.raises(RuntimeError, match="the cluster stage failed"):
        run(paths, changed, force=True, progress=False, echo=lambda _: None)
    after = {name: (out / name).read_bytes() for name in on_disk(out)}
    assert after == before  # topic tables, previous/ and all
    assert (out / "processed" / "manifest.json").read_bytes() == before_manifest
    assert not (out / "interim" / "staging").exists()


@pytest.mark.slow
def test_a_switch_killed_half_way_is_finished_by_the_next_reader(tmp_path, params, monkeypatch):
    import speechtopics as st

    raw = raw_with(tmp_path, "34")
    settings = params.updated(FAST)
    out = tmp_path / "out"
    paths = default_paths(settings).with_overrides(raw=raw, out=out)
    run(paths, settings, progress=False, echo=lambda _: None)
    original = outputs_module.finish_switch
    monkeypatch.setattr(outputs_module, "finish_switch", lambda processed: False)  # "killed"
    changed = settings.updated({"topics": {"seeds": [1, 3]}, "features": {"top_n": 9}})
    run(paths, changed, progress=False, echo=lambda _: None)
    assert (out / "processed" / PENDING_FILE).exists()
    # Half the staged files moved in, as a kill in the middle of the switch leaves them.
    journal = json.loads((out / "processed" / PENDING_FILE).read_text(encoding="utf-8"))
    for source, target, _name in journal["moves"][: len(journal["moves"]) // 2]:
        outputs_module._move_into_place(Path(source), Path(target))
    monkeypatch.setattr(outputs_module, "finish_switch", original)
    results = st.results(out)  # the reader finishes the switch before reading
    assert not (out / "processed" / PENDING_FILE).exists()
    manifest = assert_folder_equals_manifest(out)
    assert manifest["parameters"]["features"]["top_n"] == 9
    assert results.manifest == manifest


# --------------------------------------------------------------------------- item 11: output folders that fail


def test_a_read_only_out_is_a_message_naming_the_folder(tmp_path, params, monkeypatch, capsys):
    raw = raw_with(tmp_path, "4")
    out = tmp_path / "out"
    out.mkdir()
    ReadOnlyGuard(out, monkeypatch)
    code = main(["run", "--raw", str(raw), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"cannot write to {out / 'processed'} (Permission denied)" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_a_full_disk_is_a_message_and_previous_outputs_stay(tmp_path, params, monkeypatch, capsys):
    raw = raw_with(tmp_path, "34")
    out = tmp_path / "out"
    fast = tmp_path / "fast.toml"
    fast.write_text(
        "[topics]\nk_min = 2\nk_max = 3\nseeds = [1, 2]\npasses = 2\niterations = 50\n"
        "ensemble_runs = 2\n",
        encoding="utf-8",
    )
    assert main(["run", "--raw", str(raw), "--out", str(out), "--params", str(fast)]) == 0
    before = {name: (out / name).read_bytes() for name in on_disk(out)}
    import speechtopics.io as io_module

    original = io_module._atomic_write

    def full_disk(path, write):
        if "staging" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return original(path, write)

    monkeypatch.setattr(io_module, "_atomic_write", full_disk)
    fast.write_text(fast.read_text(encoding="utf-8") + "[features]\ntop_n = 9\n", encoding="utf-8")
    capsys.readouterr()
    code = main(["run", "--raw", str(raw), "--out", str(out), "--params", str(fast)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"cannot write to {out / 'interim'} (No space left on device)" in err
    assert "the outputs of the previous run were left as they were" in err
    assert {name: (out / name).read_bytes() for name in on_disk(out)} == before


def test_output_error_names_the_folder(tmp_path):
    paths = default_paths().with_overrides(raw=tmp_path / "raw", out=tmp_path / "out")
    from speechtopics.pipeline.run import output_error

    error = output_error(
        OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out/figures/x.png")), paths
    )
    assert isinstance(error, OutputError)
    assert str(error.strerror).startswith(
        f"cannot write to {tmp_path / 'out' / 'figures'} (No space"
    )


# --------------------------------------------------------------------------- item 11: the command line


@pytest.mark.parametrize(
    "command", [["ingest"], ["kwic", "参谋助手"], ["tokens", SPEECH * 200]], ids=lambda c: c[0]
)
def test_piping_into_head_ends_quietly(tmp_path, command):
    raw = raw_with(tmp_path, "234")
    shell = (
        f"{sys.executable} -m speechtopics.cli {' '.join(command)} --raw {raw} "
        f"--out {tmp_path / 'out'} | head -n 1"
    )
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True, timeout=300
    )
    assert "BrokenPipeError" not in result.stderr and "Traceback" not in result.stderr
    assert result.stdout.count("\n") == 1


def test_kwic_window_zero_means_zero(tmp_path, capsys):
    raw = raw_with(tmp_path, "4")
    out = str(tmp_path / "out")
    assert main(["kwic", "参谋助手", "--window", "0", "--raw", str(raw), "--out", out]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("【参谋助手】")
    assert all(line.endswith("【参谋助手】") for line in lines[:-1])
    assert main(["kwic", "参谋助手", "--window", "-1", "--raw", str(raw), "--out", out]) == 2
    assert "window must be 0 or more" in capsys.readouterr().err


def test_a_doc_id_with_a_hash_keeps_its_figure_links(tmp_path):
    from speechtopics.pipeline.stage import StageOutput
    from speechtopics.report.index import build_index_html

    output = StageOutput(files={"wordcloud_a#1 b.png": b"", "wordcloud_a#1 b.svg": b""})
    page = build_index_html({"speeches": {}}, {"features": output})
    assert "src='wordcloud_a%231%20b.png'" in page
    assert "href='wordcloud_a%231%20b.svg'" in page
    assert "wordcloud_a#1 b.png'" not in page


@pytest.mark.slow
def test_a_topic_words_table_resaved_as_gbk_is_read_or_named(tmp_path, params):
    raw = raw_with(tmp_path, "34")
    settings = params.updated(FAST)
    out = tmp_path / "out"
    paths = default_paths(settings).with_overrides(raw=raw, out=out)
    run(paths, settings, progress=False, echo=lambda _: None)
    words = out / "processed" / "topic_words.csv"
    text = words.read_text(encoding="utf-8")
    words.write_bytes(text.encode("gbk"))  # opened in a spreadsheet and saved again
    summary = run(
        paths, settings.updated({"topics": {"seeds": [1, 3]}}), progress=False, echo=lambda _: None
    )
    status = {row["stage"]: row["status"] for row in summary.rows}
    assert status["topics"] == "recomputed"
    identity = pd.read_csv(out / "processed" / "topic_identity.csv")
    assert set(identity["status"]) <= {"matched", "new", "vanished"}
    assert "matched" in set(identity["status"])  # the GBK table was read as the previous run's
    # A table no encoding reads is named, and the run still completes.
    words.write_bytes(b"\x81\x30" * 3 + b"\xff\xfe\x00garbage\x00")
    summary = run(
        paths, settings.updated({"topics": {"seeds": [2, 3]}}), progress=False, echo=lambda _: None
    )
    assert any(
        str(words) in message and "could not be read" in message for message in summary.messages
    )


def test_environment_is_left_alone():
    assert os.environ.get("SPEECHTOPICS_SECRET_DIR")  # set by conftest for the whole session
