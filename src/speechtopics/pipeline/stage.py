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
from ..plots import FigureStyle, figure_bytes, figure_notes
from ..progress import track


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
    figure_notes : dict
        ``figure name -> notes`` for its caption (what a capped figure left out).
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    artifacts: dict[str, bytes] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    figure_notes: dict[str, list[str]] = field(default_factory=dict)
    _figures: list[tuple[str, Any, FigureStyle]] = field(default_factory=list, repr=False)

    def add_figure(self, name: str, fig, style: FigureStyle | None = None) -> None:
        """Queue a matplotlib figure for :meth:`render_figures` under ``name``.

        The notes the figure carries (rows cut, panels left out) are kept in
        ``figure_notes[name]`` for the report's captions.
        """
        self._figures.append((name, fig, style or FigureStyle()))
        notes = figure_notes(fig)
        if notes:
            self.figure_notes[name] = notes

    def pending_figures(self) -> list[tuple[str, Any, FigureStyle]]:
        """The figures queued and not rendered yet: ``(name, Figure, style)``."""
        return list(self._figures)

    def render_figures(self) -> StageOutput:
        """Render the queued figures to their style's formats (PNG, SVG, PDF) and close them.

        From :data:`PARALLEL_FIGURES` figures on, :data:`FIGURE_PROCESSES`
        processes render them (embedding the CJK font in a PDF is the
        slowest step of most stages); the bytes are the same either way.
        """
        queued, self._figures = self._figures, []
        jobs = [(fig, style.formats, style.dpi) for _, fig, style in queued]
        if len(queued) >= PARALLEL_FIGURES and FIGURE_PROCESSES > 1:
            from joblib import Parallel, delayed

            rendered = Parallel(n_jobs=FIGURE_PROCESSES, return_as="generator")(
                delayed(_figure_files)(*job) for job in jobs
            )
        else:
            rendered = (_figure_files(*job) for job in jobs)
        for (name, fig, _), files in zip(
            queued, track(rendered, len(queued), "figures", "figure"), strict=True
        ):
            self.files.update({f"{name}.{fmt}": data for fmt, data in files.items()})
            plt.close(fig)
        return self


#: Processes that render a stage's figures, from PARALLEL_FIGURES figures on.
FIGURE_PROCESSES = 2
PARALLEL_FIGURES = 4


def _figure_files(fig, formats: tuple[str, ...], dpi: int) -> dict[str, bytes]:
    """``format -> bytes`` of one figure (run in a worker process: the figure is closed there)."""
    files = {fmt: figure_bytes(fig, fmt, dpi) for fmt in formats}
    plt.close(fig)
    return files


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
        The ``key`` of the stage's ``prepare`` hook.
    prepared_data : dict
        The ``data`` of the stage's ``prepare`` hook.
    """

    corpus: Corpus
    settings: SettingsView
    upstream: Mapping[str, StageOutput]
    lexicon: LexiconFiles
    prepared: dict[str, Any] | None = None
    prepared_data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PrepareContext:
    """What a stage's prepare hook may read, before the stage's cache key is made.

    Attributes
    ----------
    upstream : mapping
        Outputs of the stages run so far.
    paths : Paths
        The run's folders (the previous run's outputs are in ``paths.processed``).
    corpus : Corpus
    corpus_hash : str
        Key of the corpus (:func:`~speechtopics.pipeline.cache.corpus_key`).
    previous : mapping
        The previous run's manifest (empty on a first run).
    settings : SettingsView
        The stage's declared settings.
    """

    upstream: Mapping[str, StageOutput]
    paths: Paths
    corpus: Corpus
    corpus_hash: str
    previous: Mapping[str, Any]
    settings: SettingsView


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
        ``PrepareContext -> {"key": JSON-able, "tables": {name: rows},
        "data": {...}}``, run before the stage on every run (outside the
        cache): its ``key`` joins the stage's cache key and is passed as
        ``inputs.prepared``; ``data`` (not in the key: the key must name what
        it holds) as ``inputs.prepared_data``. The topic stages use it to
        start from and match the previous run's topics.
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
    prepare: Callable[[PrepareContext], dict[str, Any]] | None = None
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
        prepared_data: dict[str, Any] | None = None,
    ) -> StageInputs:
        """The inputs this stage is allowed to see."""
        return StageInputs(
            corpus=corpus.with_tokens() if self.needs_tokens else corpus,
            settings=self.settings_view(settings),
            upstream={name: upstream[name] for name in self.depends if name in upstream},
            lexicon=LexiconFiles(paths, self.lexicon, self.name),
            prepared=prepared,
            prepared_data=prepared_data or {},
        )


@dataclass
class RunSummary:
    """What a run did: per stage, reused or recomputed, and how long it took.

    ``look_first`` is the report page; ``thin`` the places where the data
    are too thin to trust a result (the report stage's caveats).
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    prepared: dict[str, Any] = field(default_factory=dict)
    look_first: str = ""
    thin: list[str] = field(default_factory=list)
    produced_by: dict[str, str] = field(default_factory=dict)

    def add(self, stage: str, status: str, seconds: float, detail: str = "", key: str = "") -> None:
        row = {"stage": stage, "status": status, "seconds": round(seconds, 2), "detail": detail}
        if key:
            row["key"] = key  # the stage's cache key, recorded in the manifest
        self.rows.append(row)

    @property
    def recomputed(self) -> list[str]:
        """Stages (and ``load``) computed in this run rather than taken from the cache."""
        return [r["stage"] for r in self.rows if r["status"] in ("recomputed", "repaired")]

    def headline(self) -> str:
        """One line: what was recomputed, or that everything came from the cache."""
        if self.recomputed:
            return f"recomputed: {', '.join(self.recomputed)}"
        return "nothing recomputed: every stage came from the cache"

    def format(self) -> str:
        """The summary table, the headline, then the messages."""
        lines = ["stage       status      seconds  detail"]
        for row in self.rows:
            lines.append(
                f"{row['stage']:<11} {row['status']:<11} {row['seconds']:>7.2f}  {row['detail']}"
            )
        lines.append(self.headline())
        lines.extend(self.messages)
        if self.thin:
            lines.append("where the data are thin:")
            lines.extend(f"  - {caveat}" for caveat in self.thin)
        if self.look_first:
            lines.append(f"look first at {self.look_first}")
        return "\n".join(lines)
