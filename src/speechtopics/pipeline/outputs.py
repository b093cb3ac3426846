"""Writing a run's outputs so that the folder always equals the manifest.

A run never writes into ``processed/``, ``figures/`` or ``interim/cleaned/``
while it computes: every output whose bytes differ from the file in place is
written to a staging folder (``interim/staging/<run>/``). At the end the run
*switches in*: it writes a journal (``processed/.manifest.pending.json``:
the new manifest, the staged files and the outputs of the last run that this
run did not produce), moves the staged files into place, removes the stale
outputs, writes ``manifest.json`` and deletes the journal. A run that fails
or is killed before the switch leaves every output of the previous run (and
``processed/previous/``) as it was; one killed during the switch leaves the
journal, and the next run — or the next reader — finishes the switch first.
Files the tool never listed in a manifest (``figures/notebooks/`` …) are
never touched.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ..config import Paths
from ..io import file_sha256, sha256_hex, write_bytes, write_json
from .manifest import MANIFEST_FILE

#: The journal of a switch in progress (beside the manifest it will become).
PENDING_FILE = ".manifest.pending.json"
LOCK_FILE = ".speechtopics.lock"
STAGING_DIR = "staging"
#: Output names start with the folder they go to.
ROOTS = ("processed", "figures", "interim")


class OutputError(OSError):
    """Outputs could not be written; the message names the folder, and previous outputs are intact."""


def output_root(paths: Paths, name: str) -> Path:
    """The final path of an output named ``processed/x.csv``, ``figures/x.png`` or ``interim/…``."""
    root, _, relative = name.partition("/")
    if root not in ROOTS or not relative:
        raise ValueError(f"an output name must start with {', '.join(ROOTS)}: {name!r}")
    return getattr(paths, root) / relative


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _move_into_place(source: Path, target: Path) -> None:
    """Rename ``source`` onto ``target`` (a copy then an atomic rename across file systems)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        write_bytes(target, source.read_bytes())
        source.unlink()


def read_manifest(processed: Path) -> dict[str, Any]:
    """The manifest in ``processed`` (``{}`` when there is none or it cannot be read)."""
    try:
        return json.loads((Path(processed) / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class StagedRun:
    """The outputs of one run, staged until :meth:`switch_in`.

    Parameters
    ----------
    paths : Paths
        The run's folders.
    run_id : str
        Names the staging folder.
    """

    def __init__(self, paths: Paths, run_id: str) -> None:
        self.paths = paths
        self.staging = paths.interim / STAGING_DIR / run_id
        self.previous = read_manifest(paths.processed)
        #: ``name -> sha256`` of every output of this run.
        self.outputs: dict[str, str] = {}
        #: ``name -> stage`` that produced it.
        self.produced_by: dict[str, str] = {}
        #: ``name -> staged file`` of outputs whose bytes differ from the file in place.
        self.staged: dict[str, Path] = {}

    def add(self, name: str, data: bytes, stage: str) -> bool:
        """Record an output; stage it unless the file in place already holds these bytes.

        Returns
        -------
        bool
            True when the output will change on disk at the switch.
        """
        target = output_root(self.paths, name)
        self.outputs[name] = sha256_hex(data)
        self.produced_by[name] = stage
        if _same_bytes(target, data):
            self.staged.pop(name, None)
            return False
        staged = self.staging / name
        write_bytes(staged, data)
        self.staged[name] = staged
        return True

    def add_pieces(self, name: str, pieces: Iterable[bytes], stage: str) -> bool:
        """Record an output given in pieces (a table streamed from Spark), one piece in memory at a time.

        Returns
        -------
        bool
            True when the output will change on disk at the switch.
        """
        target = output_root(self.paths, name)
        staged = self.staging / name
        staged.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with staged.open("wb") as handle:
            for piece in pieces:
                digest.update(piece)
                handle.write(piece)
        self.outputs[name] = digest.hexdigest()
        self.produced_by[name] = stage
        if target.is_file() and file_sha256(target) == self.outputs[name]:
            staged.unlink()
            self.staged.pop(name, None)
            return False
        self.staged[name] = staged
        return True

    def carry_over(self, ran: set[str], every_stage: bool) -> dict[str, dict[str, str]]:
        """Keep the outputs of the last run's stages that did not run now (``--stage``).

        Parameters
        ----------
        ran : set of str
            Stages (and ``load``) this run produced outputs for.
        every_stage : bool
            This run ran every stage: nothing of the last run is kept unless produced again.

        Returns
        -------
        dict
            The column kinds of the tables carried over (from the last manifest).
        """
        producers = self.previous.get("produced_by", {})
        kinds = {}
        for name, digest in self.previous.get("outputs", {}).items():
            if name in self.outputs:
                continue
            stage = producers.get(name)
            keep = stage not in ran if stage is not None else not every_stage
            if not keep or not output_root(self.paths, name).is_file():
                continue
            self.outputs[name] = digest
            self.produced_by[name] = stage or "unknown"
            table = Path(name).stem
            if (
                name.count("/") == 1
                and name.startswith("processed/")
                and table in self.previous.get("tables", {})
            ):
                kinds[table] = self.previous["tables"][table]
        return kinds

    def stale(self) -> list[str]:
        """Outputs of the last run that this run did not produce (removed at the switch)."""
        return sorted(set(self.previous.get("outputs", {})) - set(self.outputs))

    def switch_in(self, manifest: dict[str, Any]) -> None:
        """Move the staged outputs into place, remove stale ones and write the manifest.

        The journal written first lets :func:`finish_switch` complete a
        switch that was interrupted.
        """
        journal = {
            "manifest": manifest,
            "staging": str(self.staging),
            "moves": [
                [str(path), str(output_root(self.paths, name)), name]
                for name, path in self.staged.items()
            ],
            "remove": [str(output_root(self.paths, name)) for name in self.stale()],
        }
        write_json(self.paths.processed / PENDING_FILE, journal)
        finish_switch(self.paths.processed)

    def discard(self) -> None:
        """Remove the staging folder (a run that failed before its switch)."""
        _remove_staging(self.staging)


def finish_switch(processed: Path) -> bool:
    """Complete a switch whose journal is in ``processed`` (idempotent; call it under the run lock).

    Returns
    -------
    bool
        True when there was a switch to finish.
    """
    pending = Path(processed) / PENDING_FILE
    if not pending.exists():
        return False
    journal = json.loads(pending.read_text(encoding="utf-8"))
    manifest = journal["manifest"]
    for source, target, name in journal["moves"]:
        if Path(source).exists():
            _move_into_place(Path(source), Path(target))
        elif not Path(target).is_file():  # the staged file is gone: say the output is missing
            manifest["outputs"].pop(name, None)
            manifest.setdefault("incomplete", []).append(name)
    for stale in journal["remove"]:
        Path(stale).unlink(missing_ok=True)
    write_json(Path(processed) / MANIFEST_FILE, manifest)
    pending.unlink()
    _remove_staging(Path(journal["staging"]))
    return True


def _remove_staging(staging: Path) -> None:
    """Remove a run's staging folder, and the folder of staging folders once it is empty."""
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.parent.rmdir()
    except OSError:
        pass


def clear_staging(paths: Paths) -> None:
    """Remove staging folders of runs that ended before their switch (under the run lock)."""
    folder = paths.interim / STAGING_DIR
    if folder.is_dir() and not (paths.processed / PENDING_FILE).exists():
        shutil.rmtree(folder, ignore_errors=True)


def finish_switch_for_reader(processed: Path, timeout: float = 120) -> None:
    """Before reading a run's outputs: finish an interrupted switch, or wait for one under way.

    Raises
    ------
    TimeoutError
        Another run held the folder for ``timeout`` seconds while a switch was pending.
    """
    processed = Path(processed)
    if not (processed / PENDING_FILE).exists():
        return
    lock = FileLock(str(processed / LOCK_FILE))
    started = time.monotonic()
    try:
        with lock.acquire(timeout=timeout):
            finish_switch(processed)
    except Timeout as exc:
        raise TimeoutError(
            f"{processed}: a run is switching its outputs in and held the folder for "
            f"{time.monotonic() - started:.0f} s; read the results when it has finished"
        ) from exc
