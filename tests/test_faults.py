"""Faults: killed runs, corrupted caches, a read-only raw folder, too little text.

The kill test runs ``speechtopics run`` as a subprocess on a copy of the
bundled speeches, kills it (SIGKILL) at each stage and in the middle of
writing outputs, and checks after every kill that the raw folder is
byte-identical and every output of the previous complete run is still
there and readable, before a last run completes. Tests that run the whole
pipeline are marked ``slow``.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from speechtopics.cli import main
from speechtopics.config import PROJECT_ROOT, default_paths, load_settings
from speechtopics.corpus.load import load
from speechtopics.pipeline.cache import stage_cache_entry
from speechtopics.pipeline.run import run
from speechtopics.pipeline.stages import STAGE_NAMES

RAW = PROJECT_ROOT / "data" / "raw"
METADATA = PROJECT_ROOT / "data" / "metadata.csv"

#: Parameters that keep a full run short (few topic models); each later
#: run changes outputs of every analysis stage so that files are rewritten.
FAST_PARAMS = """
[topics]
k_min = 2
k_max = 4
seeds = [1, 2]
passes = 2
iterations = 50
"""
CHANGED_PARAMS = [
    FAST_PARAMS.replace("[1, 2]", "[1, 3]")
    + "[analysis]\nseed = 7\n[features]\ntop_n = 12\n[themes]\nkwic_window = 12\n",
    FAST_PARAMS.replace("[1, 2]", "[2, 3]")
    + "[analysis]\nseed = 11\n[features]\ntop_n = 10\n[themes]\nkwic_window = 10\n",
]


def fingerprint(folder: Path) -> dict[str, str]:
    """sha256 of every file under a folder, by relative path."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def copy_raw(target: Path) -> Path:
    """The bundled speeches and their metadata in a folder of their own."""
    shutil.copytree(RAW, target)
    shutil.copy(METADATA, target / "metadata.csv")
    return target


def write_params(path: Path, *sections: str) -> Path:
    path.write_text("\n".join(sections), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- reading outputs back


def check_readable(path: Path) -> None:
    """Fail unless a table or figure parses completely."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        pd.read_csv(io.BytesIO(data))
    elif suffix == ".json":
        json.loads(data)
    elif suffix == ".png":
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            image.load()
    elif suffix == ".svg":
        ET.fromstring(data)
    elif suffix in (".html", ".htm"):
        assert data.rstrip().lower().endswith(b"</html>"), f"{path} is cut short"
    elif suffix == ".txt":
        data.decode("utf-8")


def output_files(out: Path) -> dict[str, Path]:
    """Final-name files a run writes: tables, manifest, figures (temporary files left out)."""
    files = {}
    for folder in (out / "processed", out / "figures"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files[path.relative_to(out).as_posix()] = path
    return files


def check_outputs_intact(out: Path, previous: dict[str, bytes]) -> int:
    """Every output of the previous complete run is there, readable, and either unchanged or replaced whole.

    Returns
    -------
    int
        How many files were replaced by the interrupted run.
    """
    now = output_files(out)
    missing = sorted(set(previous) - set(now))
    assert not missing, f"outputs of the previous run lost: {missing}"
    replaced = 0
    for name, path in now.items():
        if name in previous and path.read_bytes() == previous[name]:
            continue
        check_readable(path)
        replaced += 1
    return replaced


def check_manifest_matches_disk(out: Path) -> None:
    manifest = json.loads((out / "processed" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"], "the manifest lists no outputs"
    for name, digest in manifest["outputs"].items():
        path = out / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, (
            f"{name} is not what the manifest says"
        )


# --------------------------------------------------------------------------- running the command


class RunProcess:
    """``speechtopics run`` as a subprocess in its own process group, stderr collected line by line."""

    def __init__(self, raw: Path, out: Path, params: Path):
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "speechtopics.cli",
                "run",
                "--raw",
                str(raw),
                "--out",
                str(out),
                "--params",
                str(params),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        self.stderr: list[str] = []
        self.stdout = b""
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        self._out_reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._out_reader.start()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for raw_line in self.process.stderr:
            self.stderr.append(raw_line.decode("utf-8", errors="replace"))

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        self.stdout = self.process.stdout.read()

    def wait_for(self, needle: str, timeout: float = 900) -> None:
        """Block until ``needle`` appears on stderr; fail if the run ends or time runs out first."""
        deadline = time.monotonic() + timeout
        while not any(needle in line for line in list(self.stderr)):
            if self.process.poll() is not None:
                self._reader.join(5)
                if any(needle in line for line in self.stderr):
                    return
                pytest.fail(
                    f"run ended (code {self.process.returncode}) before {needle!r}:\n{''.join(self.stderr)[-3000:]}"
                )
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"no {needle!r} within {timeout} s")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL the run and everything it started."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(60)
        self._reader.join(10)
        self._out_reader.join(10)

    def finish(self, timeout: float = 1800) -> int:
        code = self.process.wait(timeout)
        self._reader.join(10)
        self._out_reader.join(10)
        return code


def run_to_end(raw: Path, out: Path, params: Path) -> RunProcess:
    process = RunProcess(raw, out, params)
    code = process.finish()
    assert code == 0, f"run failed ({code}):\n{''.join(process.stderr)[-5000:]}"
    return process


def kill_when_outputs_change(process: RunProcess, out: Path, timeout: float = 900) -> None:
    """Kill the run the moment one of its tables or figures changes on disk (in the middle of writing)."""
    folders = (out / "processed", out / "figures")

    def state() -> dict[str, tuple[int, int]]:
        seen = {}
        for folder in folders:
            for entry in folder.iterdir():
                if (
                    entry.is_file()
                    and entry.suffix != ".lock"
                    and not entry.name.startswith(".manifest")
                ):
                    stat = entry.stat()
                    seen[entry.name] = (stat.st_mtime_ns, stat.st_size)
        return seen

    before = state()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if state() != before:
                break
        except FileNotFoundError:  # a temporary file renamed while we looked: a write is under way
            break
        if process.process.poll() is not None:
            pytest.fail("the run ended before writing anything")
        time.sleep(0.002)
    else:
        process.kill()
        pytest.fail("no output changed in time")
    process.kill()


def stage_status(summary: str) -> dict[str, str]:
    """``stage -> status`` from the summary a run prints."""
    status = {}
    for line in summary.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("load", *STAGE_NAMES):
            status[parts[0]] = parts[1]
    return status


def tables_and_figures(files: dict[str, bytes]) -> dict[str, bytes]:
    """Outputs that identical runs must reproduce byte for byte.

    Left out: the manifest and its snapshot (they hold times) and
    ``topic_identity.csv``, which compares each run with the one before it.
    """
    return {
        name: data
        for name, data in files.items()
        if name not in ("processed/manifest.json", "processed/topic_identity.csv")
        and not name.startswith("processed/previous/")
    }


# --------------------------------------------------------------------------- the kill test


@pytest.mark.slow
def test_killed_runs_leave_raw_and_previous_outputs_intact(tmp_path):
    raw = copy_raw(tmp_path / "raw")
    os.chmod(raw, 0o555)  # read-only (root ignores the bits; the fingerprint check does not)
    raw_before = fingerprint(raw)
    out = tmp_path / "out"
    base = write_params(tmp_path / "base.toml", FAST_PARAMS)

    first = run_to_end(raw, out, base)
    status = stage_status(first.stdout.decode("utf-8"))
    available = [name for name in STAGE_NAMES if status.get(name) not in (None, "unavailable")]
    assert "overview" in available and "report" in available
    previous = {name: path.read_bytes() for name, path in output_files(out).items()}
    assert "processed/manifest.json" in previous and any(name.endswith(".png") for name in previous)
    for path in output_files(out).values():
        check_readable(path)

    # A corrupted cache entry (truncated) is recomputed, not trusted: same tables, byte for byte.
    truncated = 0
    run_paths = default_paths(load_settings(base)).with_overrides(raw=raw, out=out)
    manifest = json.loads((out / "processed" / "manifest.json").read_text(encoding="utf-8"))
    entries = token_cache_entries(run_paths.cache) + [
        stage_cache_entry(run_paths, row["stage"], row["key"])
        for row in manifest["stages"]
        if row["stage"] in ("overview", "themes")
    ]
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])
        truncated += 1
    assert truncated >= 7  # five speeches' tokens and two stages
    run_to_end(raw, out, base)
    rerun = {name: path.read_bytes() for name, path in output_files(out).items()}
    assert tables_and_figures(rerun) == tables_and_figures(previous)
    previous = rerun

    # Killed right after each stage starts computing.
    changed = write_params(tmp_path / "changed.toml", CHANGED_PARAMS[0])
    killed_at = []
    for stage in available:
        if stage == "overview":  # its parameters do not change: it comes from the cache
            continue
        process = RunProcess(raw, out, changed)
        process.wait_for(f"[{stage}] computing")
        process.kill()
        killed_at.append(stage)
        assert fingerprint(raw) == raw_before, f"data/raw changed by a run killed at {stage}"
        check_outputs_intact(out, previous)
    assert len(killed_at) >= 3

    # Killed in the middle of writing a stage's tables and figures.
    changed_again = write_params(tmp_path / "changed_again.toml", CHANGED_PARAMS[1])
    before_kill = {name: path.read_bytes() for name, path in output_files(out).items()}
    process = RunProcess(raw, out, changed_again)
    kill_when_outputs_change(process, out)
    assert fingerprint(raw) == raw_before
    check_outputs_intact(out, previous)
    replaced = check_outputs_intact(out, before_kill)
    temporaries = [p.name for p in (out / "processed").iterdir() if p.name.endswith(".tmp")] + [
        p.name for p in (out / "figures").rglob("*.tmp")
    ]
    assert replaced or temporaries, "the run was not killed while writing"
    print(
        f"killed after the start of {killed_at}; mid-write kill: {replaced} files replaced whole, "
        f"{len(temporaries)} temporary files left"
    )

    # The next run completes, and what it wrote is what its manifest says.
    run_to_end(raw, out, changed_again)
    assert fingerprint(raw) == raw_before
    check_outputs_intact(out, previous)
    check_manifest_matches_disk(out)
    # Its cache is sound: a repeat reuses every stage.
    again = run_to_end(raw, out, changed_again).stdout.decode("utf-8")
    assert "nothing recomputed: every stage came from the cache" in again
    os.chmod(raw, 0o755)


# --------------------------------------------------------------------------- corrupted token cache


def token_cache_entries(cache: Path) -> list[Path]:
    """The token cache's entries (one per speech)."""
    return sorted((cache / "speechtopics.corpus.load._tokenize_texts").rglob("*.pkl"))


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda data: data[: len(data) // 2],
        lambda data: b"",
        lambda data: b"\x80\x04garbage" * 16,
    ],
    ids=["truncated", "emptied", "garbage"],
)
def test_corrupted_token_cache_is_recomputed_not_trusted(tmp_path, paths, params, corrupt):
    local = replace(
        paths,
        interim=tmp_path / "interim",
        processed=tmp_path / "processed",
        figures=tmp_path / "figures",
    )
    first = load(local, params)
    entries = token_cache_entries(local.cache)
    assert len(entries) == 5
    for entry in entries:
        entry.write_bytes(corrupt(entry.read_bytes()))
    second = load(local, params)
    assert second.tokens == first.tokens
    assert second.stats["cache_entries_repaired"] == 5
    assert len(second.cache_problems) == 5 and "rejected" in second.cache_problems[0]
    # The recomputed entries are sound again.
    for entry in token_cache_entries(local.cache):
        assert entry.stat().st_size > 1000
    third = load(local, params)
    assert third.tokens == first.tokens and third.stats["speeches_from_cache"] == 5


# --------------------------------------------------------------------------- read-only raw folder


class ReadOnlyGuard:
    """Make every write under a folder fail as it would in a read-only folder, and record the attempts.

    The tests run as root in CI, where permission bits are not enforced, so
    the file-system calls that create, change or remove files are wrapped.
    """

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch):
        self.folder = os.path.realpath(folder)
        self.attempts: list[str] = []
        import builtins
        import io as io_module

        original_open = builtins.open
        original_os_open = os.open

        def guarded_open(file, mode="r", *args, **kwargs):
            if isinstance(file, (str, bytes, os.PathLike)) and any(flag in mode for flag in "wax+"):
                self._check(file, f"open({mode!r})")
            return original_open(file, mode, *args, **kwargs)

        def guarded_os_open(path, flags, *args, **kwargs):
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC):
                self._check(path, "os.open")
            return original_os_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", guarded_open)
        monkeypatch.setattr(io_module, "open", guarded_open)
        monkeypatch.setattr(os, "open", guarded_os_open)
        for name in (
            "replace",
            "rename",
            "remove",
            "unlink",
            "mkdir",
            "rmdir",
            "chmod",
            "utime",
            "truncate",
        ):
            original = getattr(os, name)
            monkeypatch.setattr(os, name, self._wrap(original, name))

    def _inside(self, path) -> bool:
        if isinstance(path, int):
            return False
        real = os.path.realpath(os.fsdecode(path))
        return real == self.folder or real.startswith(self.folder + os.sep)

    def _check(self, path, what: str) -> None:
        if self._inside(path):
            self.attempts.append(f"{what} {os.fsdecode(path)}")
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))

    def _wrap(self, original, name: str):
        def guarded(path, *args, **kwargs):
            if name == "mkdir" and not isinstance(path, int) and os.path.isdir(path):
                raise FileExistsError(
                    errno.EEXIST, "File exists", os.fsdecode(path)
                )  # what the OS says first
            self._check(path, name)
            if name in ("replace", "rename") and args:
                self._check(args[0], name)
            return original(path, *args, **kwargs)

        return guarded


@pytest.fixture
def read_only_raw(tmp_path, monkeypatch):
    raw = copy_raw(tmp_path / "raw")
    before = fingerprint(raw)
    os.chmod(raw, 0o555)
    guard = ReadOnlyGuard(raw, monkeypatch)
    yield raw, guard
    monkeypatch.undo()
    os.chmod(raw, 0o755)
    assert fingerprint(raw) == before, "the raw folder changed"


def test_loading_never_writes_to_raw(read_only_raw, tmp_path, params, capsys):
    raw, guard = read_only_raw
    paths = default_paths(params).with_overrides(raw=raw, out=tmp_path / "out")
    corpus = load(paths, params)
    assert corpus.doc_ids == ["000", "001", "002", "003", "004"]
    assert main(["ingest", "--raw", str(raw), "--out", str(tmp_path / "out2")]) == 0
    assert "loaded    004_9e5568bb09b9a10f.txt" in capsys.readouterr().out
    assert guard.attempts == []


def test_add_into_a_read_only_raw_folder_fails_clearly(read_only_raw, tmp_path, capsys):
    raw, guard = read_only_raw
    new = tmp_path / "new_speech.txt"
    new.write_text(
        "在全市秘书长会议上的讲话\n同志们：\n办公室工作无小事，要当好参谋助手，做好三服务工作。",
        encoding="utf-8",
    )
    code = main(
        ["add", str(new), "--raw", str(raw), "--out", str(tmp_path / "out"), "--year", "2016"]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert f"refused  new_speech.txt: cannot write to {raw} (Permission denied)" in out
    assert guard.attempts  # it tried, and was told no
    assert not (raw / "new_speech.txt").exists()


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores permission bits"
)
def test_read_only_raw_folder_for_real(
    tmp_path, params, capsys
):  # pragma: no cover - runs as a normal user
    raw = copy_raw(tmp_path / "raw")
    os.chmod(raw, 0o555)
    try:
        paths = default_paths(params).with_overrides(raw=raw, out=tmp_path / "out")
        assert len(load(paths, params).speeches) == 5
        new = tmp_path / "new.txt"
        new.write_text("办公室工作无小事，要当好参谋助手。", encoding="utf-8")
        assert main(["add", str(new), "--raw", str(raw), "--out", str(tmp_path / "out")]) == 1
        assert "Permission denied" in capsys.readouterr().out
    finally:
        os.chmod(raw, 0o755)


# --------------------------------------------------------------------------- too little text


def test_folder_where_nothing_loads(tmp_path, params):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "empty.txt").write_bytes(b"")
    (raw / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (raw / "junk.txt").write_text("1 D& E# O6 C: P9 c& k M$ d- E; o\n", encoding="utf-8")
    paths = default_paths(params).with_overrides(raw=raw, out=tmp_path / "out")
    summary = run(paths, params, progress=False, echo=lambda _: None)
    assert summary.messages[-1] == f"no speech could be loaded from {raw}; nothing to analyse"
    report = pd.read_csv(paths.processed / "load_report.csv", dtype=str).set_index("file")
    assert report.loc["empty.txt", "reason"].startswith("empty file")
    assert "PNG" in report.loc["image.txt", "reason"]
    assert report.loc["junk.txt", "reason"].startswith("no text after cleaning")
    assert main(["run", "--raw", str(raw), "--out", str(tmp_path / "out")]) == 1


TINY_SPEECH = "同志们：\n今天召开办公室工作会议，总结工作，部署任务。\n一、要当好参谋助手，做好三服务工作，加强队伍建设。"


@pytest.mark.slow
def test_one_speech_of_three_paragraphs_runs_and_says_what_was_skipped(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "tiny.txt").write_text(TINY_SPEECH, encoding="utf-8")
    params_file = write_params(
        tmp_path / "params.toml",
        FAST_PARAMS.replace("k_min = 2", "k_min = 5").replace("k_max = 4", "k_max = 8"),
        "[cluster]\nk_min = 4\nk_max = 6\n",
    )
    params = load_settings(params_file)
    paths = default_paths(params).with_overrides(raw=raw, out=tmp_path / "out")
    guard = ReadOnlyGuard(raw, monkeypatch)
    summary = run(paths, params, progress=False, echo=lambda _: None)
    assert guard.attempts == []
    status = {row["stage"]: row["status"] for row in summary.rows}
    assert status["load"] == "recomputed"
    for stage in STAGE_NAMES:
        assert status.get(stage) in ("recomputed", "unavailable"), f"{stage}: {status.get(stage)}"
    # Each analysis that cannot work on one speech of three paragraphs says so.
    skipped = [message for message in summary.messages if "skipped" in message or "need" in message]
    assert skipped, summary.format()
    overview = pd.read_csv(paths.processed / "corpus_overview.csv")
    assert list(overview["paragraphs"]) == [3]
    units = pd.read_csv(paths.processed / "units.csv")
    assert len(units) == 3
    assert (paths.processed / "manifest.json").exists()


@pytest.mark.slow
def test_messy_folder_end_to_end(tmp_path):
    """Good, bad, duplicated, traditional and oddly named files in one folder: a run completes."""
    from opencc import OpenCC

    raw = tmp_path / "raw"
    raw.mkdir()
    (path_004,) = RAW.glob("004_*.txt")
    text_004 = path_004.read_text(encoding="utf-8")
    (path_003,) = RAW.glob("003_*.txt")
    shutil.copy(path_003, raw / "全县 培训会.txt")
    (raw / "a.txt").write_text(text_004, encoding="utf-8")
    (raw / "b_copy.txt").write_bytes(b"\xef\xbb\xbf" + text_004.encode("utf-8"))  # exact duplicate
    (raw / "c_site.txt").write_bytes(
        ("来源：某网\n" + text_004 + "\n责任编辑：某某").encode("gbk")
    )  # near-duplicate
    (path_000,) = RAW.glob("000_*.txt")
    traditional = OpenCC("s2t").convert(path_000.read_text(encoding="utf-8"))
    (raw / "d_big5.txt").write_bytes(traditional.encode("big5", errors="ignore"))
    with open(os.fsencode(raw) + b"/" + "讲话".encode("gbk") + b".txt", "wb") as handle:
        handle.write(next(RAW.glob("001_*.txt")).read_bytes())
    (raw / "e.pdf.txt").write_bytes(b"%PDF-1.7\n")
    (raw / "f.docx").write_bytes(b"PK\x03\x04 broken")
    (raw / "g.html").write_text("<html><body><script>x()</script></body></html>", encoding="utf-8")
    (raw / "metadata.csv").write_text(
        "doc_id,file,title,level,region,year,speaker,source,notes\n../x,a.txt,,区,,2015,,,\n,missing.txt,,,,,,,\n",
        encoding="utf-8",
    )
    before = fingerprint(raw)
    out = tmp_path / "out"
    params_file = write_params(tmp_path / "params.toml", FAST_PARAMS)
    process = run_to_end(raw, out, params_file)
    assert fingerprint(raw) == before
    report = pd.read_csv(out / "processed" / "load_report.csv", dtype=str, keep_default_na=False)
    status = {(row.file, row.status) for row in report.itertuples()}
    for expected in [
        ("a.txt", "loaded"),
        ("b_copy.txt", "duplicate"),
        ("c_site.txt", "loaded"),
        ("d_big5.txt", "loaded"),
        ("讲话.txt", "loaded"),
        ("全县 培训会.txt", "loaded"),
        ("e.pdf.txt", "skipped"),
        ("f.docx", "skipped"),
        ("g.html", "skipped"),
        ("c_site.txt", "warning"),
        ("d_big5.txt", "warning"),
        ("讲话.txt", "warning"),
    ]:
        assert expected in status, expected
    reasons = " | ".join(report["reason"])
    assert "near-duplicate of a.txt" in reasons and "traditional characters converted" in reasons
    assert "row 3: metadata row for missing.txt" in reasons
    overview = pd.read_csv(out / "processed" / "corpus_overview.csv", dtype=str)
    assert sorted(overview["doc_id"]) == ["___x", "c_site", "d_big5", "全县 培训会", "讲话"]
    for path in output_files(out).values():
        check_readable(path)
    assert "skipped e.pdf.txt" in process.stdout.decode("utf-8")
