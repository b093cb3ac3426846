"""The public API: load a corpus, run the analysis, read a run's results.

Three lines in a notebook::

    import speechtopics as st
    st.run()                                   # what `make report` does
    r = st.results()                           # the last run's tables and models
    r["theme_rates_by_speech"].head()

Every function takes the same folders as the command line: ``raw`` (the
speeches; ``raw/metadata.csv`` when present) and ``out`` (the root of
``interim/``, ``processed/`` and ``figures/``), both defaulting to the
project's; ``settings`` is a settings file, a
:class:`~speechtopics.config.Settings` or a mapping such as
``{"topics": {"k_max": 8}}`` applied over ``speechtopics.toml``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .analysis.compare.effects import topic_values
from .analysis.compare.groups import GroupComparison, compare_in_corpus, doc_ids_of_group
from .analysis.themes.kwic import kwic
from .analysis.themes.suggest import suggest_in_corpus
from .analysis.topics.export import FittedTopics
from .analysis.topics.identity import match_topics
from .config import Paths, Settings, as_settings, default_paths, load_settings
from .corpus.load import load as load_corpus
from .corpus.model import Corpus
from .io import read_table, read_workbook
from .pipeline.manifest import MANIFEST_FILE
from .pipeline.outputs import finish_switch_for_reader
from .pipeline.run import run as run_pipeline
from .pipeline.stage import RunSummary
from .pipeline.stages.topics import THEME_TOPIC_MODEL_FILE, TOPIC_MODEL_FILE
from .report.workbook import README_SHEET, WORKBOOK_FILE

__all__ = [
    "Results",
    "compare",
    "kwic",
    "load",
    "match_topics",
    "paths",
    "results",
    "run",
    "settings",
    "suggest",
]

SettingsLike = Settings | Mapping[str, Any] | str | Path | None


def settings(source: SettingsLike = None) -> Settings:
    """The settings of a run: the project's, a file's, or a mapping applied over the project's."""
    if isinstance(source, str | Path):
        return load_settings(Path(source))
    return as_settings(source)


def paths(
    raw: str | Path | None = None, out: str | Path | None = None, settings: SettingsLike = None
) -> Paths:
    """The folders of a run (``None`` = the project's)."""
    return default_paths(_settings(settings)).with_overrides(
        raw=Path(raw) if raw else None, out=Path(out) if out else None
    )


def load(
    raw: str | Path | None = None,
    out: str | Path | None = None,
    settings: SettingsLike = None,
    progress: bool = False,
) -> Corpus:
    """Load, clean, segment and tokenize the speeches (token lists cached under ``out``).

    Returns
    -------
    Corpus
        Speeches, paragraph units with their tokens, the load report.
    """
    chosen = _settings(settings)
    return load_corpus(paths(raw, out, chosen), chosen, progress=progress)


def run(
    raw: str | Path | None = None,
    out: str | Path | None = None,
    settings: SettingsLike = None,
    stages: Sequence[str] | None = None,
    force: bool = False,
    progress: bool = True,
) -> RunSummary:
    """Run every stage (what ``make report`` does) and return the summary."""
    chosen = _settings(settings)
    return run_pipeline(
        paths(raw, out, chosen), chosen, stages=stages, force=force, progress=progress
    )


class Results(Mapping[str, pd.DataFrame]):
    """The tables and fitted models of the last run in an output folder.

    A mapping ``table name -> DataFrame`` (read on first use, with the
    column types the run recorded: ``doc_id`` stays ``"000"``, ``year`` is
    an integer or missing), plus the manifest and the topic models.
    """

    def __init__(self, processed: Path, figures: Path) -> None:
        self.processed = Path(processed)
        self.figures = Path(figures)
        finish_switch_for_reader(self.processed)  # a run killed while switching its outputs in
        manifest_path = self.processed / MANIFEST_FILE
        if not manifest_path.exists():
            raise FileNotFoundError(
                f"{manifest_path}: no finished run here; run `make report` "
                "(or speechtopics.run()) first"
            )
        self.manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
        self._kinds: dict[str, dict[str, str]] = self.manifest.get("tables", {})
        self._tables: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._kinds:
            raise KeyError(f"no table {name!r} in this run; tables: {', '.join(self)}")
        if name not in self._tables:
            self._tables[name] = read_table(self.processed / f"{name}.csv", self._kinds[name])
        return self._tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._kinds))

    def __len__(self) -> int:
        return len(self._kinds)

    def __repr__(self) -> str:
        return f"Results({self.processed}: {len(self)} tables)"

    @property
    def settings(self) -> Settings:
        """The settings the run used."""
        return Settings.from_dict(self.manifest["parameters"], f"{MANIFEST_FILE} parameters")

    def _model(self, name: str) -> FittedTopics | None:
        path = self.processed / name
        return FittedTopics.from_bytes(path.read_bytes()) if path.exists() else None

    @property
    def topic_model(self) -> FittedTopics | None:
        """The reported topics (names and labels as in the tables), or None if none were fitted."""
        return self._model(TOPIC_MODEL_FILE)

    @property
    def theme_topic_model(self) -> FittedTopics | None:
        """The seeded theme topics, or None if none were fitted."""
        return self._model(THEME_TOPIC_MODEL_FILE)

    @property
    def workbook_path(self) -> Path:
        """The Excel workbook of the key tables (``speechtopics_results.xlsx``)."""
        return self.processed / WORKBOOK_FILE

    def workbook(self) -> dict[str, pd.DataFrame]:
        """The workbook's tables by table name, with the column types the run recorded.

        Each sheet reads back as ``self[table]`` does: ``doc_id`` stays ``"000"``.
        (``pandas.read_excel`` alone turns ``"000"`` into 0, as ``read_csv`` does;
        give it ``dtype={"doc_id": str}``.)
        """
        names = read_workbook(self.workbook_path)[README_SHEET]
        sheet_to_table = dict(zip(names["sheet"], names["table"], strict=True))
        kinds = {sheet: self._kinds.get(table, {}) for sheet, table in sheet_to_table.items()}
        sheets = read_workbook(self.workbook_path, kinds)
        return {sheet_to_table[s]: table for s, table in sheets.items() if s in sheet_to_table}

    def figure(self, name: str, fmt: str = "png") -> Path:
        """Path of a figure of the run (``figure("theme_heatmap")``)."""
        return self.figures / f"{name}.{fmt}"


def results(out: str | Path | None = None) -> Results:
    """The last run's tables and fitted models (nothing is refitted).

    Parameters
    ----------
    out : path, optional
        The run's output root (``--out``); default the project's ``data/`` and ``figures/``.
    """
    run_paths = paths(out=out)
    return Results(run_paths.processed, run_paths.figures)


def _as_ids(value: str | Sequence[str]) -> list[str]:
    """``"001,002"`` or ``["001", "002"]`` as a list of doc_ids."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value]


def _run_topic_values(run_paths: Paths) -> pd.DataFrame | None:
    """Topic shares per speech from the last run in ``run_paths`` (None without a run or topics)."""
    table = run_paths.processed / "speech_topic.csv"
    return topic_values(read_table(table)) if table.exists() else None


def compare(
    a: str | Sequence[str],
    b: str | Sequence[str],
    by: str | None = None,
    raw: str | Path | None = None,
    out: str | Path | None = None,
    settings: SettingsLike = None,
) -> GroupComparison:
    """Compare two groups of speeches: keyness, theme rates and topic shares with intervals.

    Parameters
    ----------
    a, b : str or sequence of str
        With ``by``: two values of that metadata column (``compare("县", "市",
        by="level")``). Without: two sets of doc_ids (``["001", "002"]`` or
        ``"001,002"``).
    by : str, optional
        A metadata column (``level``, ``year``, ``region`` …).
    raw, out, settings
        As for :func:`run`; topic shares come from the last run in ``out``, if any.

    Returns
    -------
    GroupComparison
        ``.keyness`` (A as target), ``.themes`` and ``.topics`` (means and the
        difference A − B with bootstrap intervals over speeches),
        ``.examples`` (KWIC lines of the top terms of each side), ``.notes``;
        ``.top_terms("a")``. Groups smaller than ``[compare] min_group_size``
        get no interval.
    """
    chosen = _settings(settings)
    run_paths = paths(raw, out, chosen)
    corpus = load_corpus(run_paths, chosen)
    speeches = corpus.speeches_frame()
    if by:
        ids_a, ids_b = (
            doc_ids_of_group(speeches, by, str(a)),
            doc_ids_of_group(speeches, by, str(b)),
        )
        label_a, label_b = f"{by}={a}", f"{by}={b}"
    else:
        ids_a, ids_b = _as_ids(a), _as_ids(b)
        label_a, label_b = ",".join(ids_a), ",".join(ids_b)
    return compare_in_corpus(
        corpus,
        chosen,
        ids_a,
        ids_b,
        label_a=label_a,
        label_b=label_b,
        topic_values=_run_topic_values(run_paths),
    )


def suggest(
    theme: str,
    raw: str | Path | None = None,
    out: str | Path | None = None,
    settings: SettingsLike = None,
    method: str | None = None,
    top_n: int | None = None,
) -> pd.DataFrame:
    """Candidate terms for a theme from the corpus, each with its count, score and two KWIC lines.

    Nothing is added to ``themes.toml``: the table is for a researcher to
    accept or reject. ``method`` (``auto``, ``word2vec``, ``pmi``) and
    ``top_n`` override ``[suggest]``; see
    :func:`~speechtopics.analysis.themes.suggest.suggest_terms`.
    """
    chosen = _settings(settings)
    corpus = load_corpus(paths(raw, out, chosen), chosen)
    return suggest_in_corpus(corpus, chosen, theme, method=method, top_n=top_n)


#: ``settings`` under another name, for functions whose argument of that name hides it.
_settings = settings
