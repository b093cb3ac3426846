"""What a stage is: its inputs, its output and its declaration.

A stage is a plain callable ``function(inputs) -> StageOutput`` declared by
a :class:`Stage` with the settings sections and lexicon files it reads and
the stages whose output it takes. The declaration is enforced: a stage sees
its settings through a :class:`SettingsView` and its lexicon files through a
:class:`LexiconFiles` that refuse anything undeclared, so everything a stage
can read is in its cache key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from ..config import Paths, Settings
from ..corpus.model import Corpus
from ..plots import FIGURE_FORMATS, figure_bytes


@dataclass
class StageOutput:
    """What one stage produced: tables, files (figures as bytes) and data for later stages.

    Attributes
    ----------
    tables : dict
        ``name -> DataFrame``, written to ``data/processed/name.csv``.
    files : dict
        ``relative path under figures/ -> bytes`` (PNG, SVG, HTML).
    artifacts : dict
        ``file name under processed/ -> bytes`` (fitted models as ``.npz``).
    data : dict
        Picklable values later stages take (matrices, fitted models …).
    messages : list of str
        Notes for the run summary (an analysis skipped and why).
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    artifacts: dict[str, bytes] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def add_figure(self, name: str, fig) -> None:
        """Render a matplotlib figure to PNG (300 dpi) and SVG bytes under ``name``."""
        for fmt in FIGURE_FORMATS:
            self.files[f"{name}.{fmt}"] = figure_bytes(fig, fmt)
        plt.close(fig)


class SettingsView:
    """The settings sections one stage declared; any other section raises ``AttributeError``."""

    def __init__(self, settings: Settings, sections: tuple[str, ...], stage: str) -> None:
        self._settings = settings
        self._sections = sections
        self._stage = stage

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._sections:
            raise AttributeError(
                f"stage {self._stage!r} reads [{name}] without declaring it "
                f"(declared: {', '.join(self._sections) or 'none'}); add it to the Stage's settings"
            )
        return getattr(self._settings, name)

    def key(self) -> dict[str, Any]:
        """The declared sections as plain data (part of the stage's cache key)."""
        return {name: asdict(getattr(self._settings, name)) for name in self._sections}


class LexiconFiles:
    """Paths of the lexicon files one stage declared (``formulations`` …); others raise."""

    def __init__(self, paths: Paths, names: tuple[str, ...], stage: str) -> None:
        self._paths = paths
        self._names = names
        self._stage = stage

    def path(self, name: str) -> Path:
        """The file ``name`` (a :class:`~speechtopics.config.Paths` attribute)."""
        if name not in self._names:
            raise KeyError(
                f"stage {self._stage!r} reads lexicon file {name!r} without declaring it"
            )
        return getattr(self._paths, name)


@dataclass(frozen=True)
class StageInputs:
    """Everything a stage may read.

    Attributes
    ----------
    corpus : Corpus
    settings : SettingsView
        The declared settings sections.
    upstream : mapping
        ``stage name -> StageOutput`` of the declared upstream stages.
    lexicon : LexiconFiles
        The declared lexicon files.
    prepared : dict or None
        The result of the stage's ``prepare`` hook.
    """

    corpus: Corpus
    settings: SettingsView
    upstream: Mapping[str, StageOutput]
    lexicon: LexiconFiles
    prepared: dict[str, Any] | None = None


@dataclass(frozen=True)
class Stage:
    """A stage of the pipeline.

    Attributes
    ----------
    name : str
    function : callable
        ``StageInputs -> StageOutput``.
    settings : tuple of str
        Settings sections it reads.
    depends : tuple of str
        Stages whose output it takes (they run first).
    lexicon : tuple of str
        Lexicon files it reads directly (``formulations`` …).
    prepare : callable, optional
        ``(upstream, paths) -> {"key": JSON-able, "tables": {name: rows}}``,
        run before the stage on every run (outside the cache): its ``key``
        joins the stage's cache key and is passed as ``inputs.prepared``.
        The topics stage uses it to match new topics to the previous run's.
    needs_tokens : bool
        The stage sees only the speeches that have tokens (a speech whose
        every word was filtered out is left out, with a warning in the load
        report); ``False`` for stages that describe every loaded speech.
    """

    name: str
    function: Callable[[StageInputs], StageOutput]
    settings: tuple[str, ...] = ()
    depends: tuple[str, ...] = ()
    lexicon: tuple[str, ...] = ()
    prepare: Callable[[Mapping[str, StageOutput], Paths], dict[str, Any]] | None = None
    needs_tokens: bool = True

    def settings_view(self, settings: Settings) -> SettingsView:
        """The declared settings sections of ``settings``."""
        return SettingsView(settings, self.settings, self.name)

    def inputs(
        self,
        corpus: Corpus,
        settings: Settings,
        upstream: Mapping[str, StageOutput],
        paths: Paths,
        prepared: dict[str, Any] | None = None,
    ) -> StageInputs:
        """The inputs this stage is allowed to see."""
        return StageInputs(
            corpus=corpus.with_tokens() if self.needs_tokens else corpus,
            settings=self.settings_view(settings),
            upstream={name: upstream[name] for name in self.depends if name in upstream},
            lexicon=LexiconFiles(paths, self.lexicon, self.name),
            prepared=prepared,
        )


@dataclass
class RunSummary:
    """What a run did: per stage, reused or recomputed, and how long it took."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    produced_by: dict[str, str] = field(default_factory=dict)

    def add(self, stage: str, status: str, seconds: float, detail: str = "", key: str = "") -> None:
        row = {"stage": stage, "status": status, "seconds": round(seconds, 2), "detail": detail}
        if key:
            row["key"] = key  # the stage's cache key, recorded in the manifest
        self.rows.append(row)

    def format(self) -> str:
        lines = ["stage       status      seconds  detail"]
        for row in self.rows:
            lines.append(
                f"{row['stage']:<11} {row['status']:<11} {row['seconds']:>7.2f}  {row['detail']}"
            )
        recomputed = [r["stage"] for r in self.rows if r["status"] in ("recomputed", "repaired")]
        if recomputed:
            lines.append(f"recomputed: {', '.join(recomputed)}")
        else:
            lines.append("nothing recomputed: every stage came from the cache")
        lines.extend(self.messages)
        return "\n".join(lines)
