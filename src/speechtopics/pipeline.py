"""Running every stage, with caching, safe writes and a summary.

Data flows one way: ``data/raw`` → load and clean → segment → tokenize →
analyses → ``data/processed`` tables and ``figures/``. :func:`load` builds
the in-memory :class:`Corpus` that notebooks use; :func:`run` runs the
stages and writes their outputs.

Caching uses ``joblib.Memory`` under ``data/interim/cache``: token lists per
speech keyed by the speech's unit texts and the tokenizer's cache key
(lexicon files, settings); each analysis stage keyed by the hash of its
inputs, its parameters and its upstream stages. A corrupted cache entry is
detected by joblib on load and recomputed.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import platform
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from .clean import CleanResult, clean_text, default_rules
from .config import Paths, default_paths, load_params
from .corpus import LoadReport, Speech, load_corpus
from .io import file_hash, write_json, write_table, write_text
from .lexicon import Theme, file_sha256, load_themes, load_word_list
from .segment import Unit, group_units, segment_speech, top_level_sections
from .tokenize import Tokenizer, TokenizerSettings

# --------------------------------------------------------------------------- building blocks


def build_cleaner(paths: Paths, params: dict[str, Any]) -> Callable[[str], CleanResult]:
    """The cleaning function for a run: default rules with the noise list from the lexicon."""
    rules = default_rules(
        watermarks=load_word_list(paths.noise),
        traditional_to_simplified_enabled=bool(params["clean"]["traditional_to_simplified"]),
    )
    return lambda text: clean_text(text, rules)


def tokenizer_settings(params: dict[str, Any]) -> TokenizerSettings:
    """Tokenizer settings from the ``[tokenize]`` parameters."""
    section = params["tokenize"]
    return TokenizerSettings(
        min_token_length=int(section["min_token_length"]),
        drop_numbers=bool(section["drop_numbers"]),
        keep_latin=bool(section.get("keep_latin", False)),
        keep_pos=tuple(section.get("keep_pos") or ()),
        use_synonyms=bool(section["use_synonyms"]),
    )


def build_tokenizer(
    paths: Paths, params: dict[str, Any], themes: Sequence[Theme] = ()
) -> Tokenizer:
    """The project's tokenizer: lexicon folder, settings and backend from the parameters.

    Theme terms are never dropped as stopwords.
    """
    keep = {term for theme in themes for term in theme.terms}
    return Tokenizer.from_lexicon(
        paths.lexicon,
        settings=tokenizer_settings(params),
        backend=params["tokenize"]["backend"],
        keep=keep,
    )


def cache_memory(paths: Paths):
    """The ``joblib.Memory`` of a run (under ``data/interim/cache``)."""
    from joblib import Memory

    paths.cache.mkdir(parents=True, exist_ok=True)
    return Memory(location=str(paths.cache), verbose=0)


def call_cached(memorized, *args, force: bool = False) -> tuple[Any, str]:
    """Call a ``joblib.Memory``-cached function and say where the result came from.

    Returns
    -------
    (output, status)
        ``status`` is ``reused`` (loaded from the cache), ``recomputed``
        (not cached, or ``force``) or ``repaired`` (a cache entry that could
        not be loaded — truncated or corrupted — was recomputed and replaced).
    """
    if force:
        output, _ = memorized.call(*args)
        return output, "recomputed"
    in_cache = memorized.check_call_in_cache(*args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        output = memorized(*args)
    for warning in caught:
        if "Exception while loading results" not in str(warning.message):
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    if any("Exception while loading results" in str(w.message) for w in caught):
        return output, "repaired"
    return output, "reused" if in_cache else "recomputed"


def _tokenize_texts(texts: list[str], cache_key: str, tokenizer: Tokenizer) -> list[list[str]]:
    """Token lists of ``texts`` (the cached unit of work: one speech's units)."""
    return tokenizer.tokenize_many(texts)


# --------------------------------------------------------------------------- corpus


@dataclass
class Corpus:
    """Everything the analyses need, in memory.

    Attributes
    ----------
    speeches : list of Speech
        Loaded, cleaned, deduplicated speeches.
    report : LoadReport
        What happened to every file.
    units : list of Unit
        Paragraph units of every speech, titles included (``role == 'title'``).
    tokens : dict
        ``unit_id -> list of tokens`` for every paragraph unit.
    tokenizer : Tokenizer
        The tokenizer that produced the tokens.
    themes : list of Theme
        Themes from ``themes.toml``.
    stats : dict
        Counts of speeches tokenized and reused from the cache.
    """

    speeches: list[Speech]
    report: LoadReport
    units: list[Unit]
    tokens: dict[str, list[str]]
    tokenizer: Tokenizer
    themes: list[Theme]
    paths: Paths
    params: dict[str, Any]
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def doc_ids(self) -> list[str]:
        return [speech.doc_id for speech in self.speeches]

    def speech(self, doc_id: str) -> Speech:
        """The speech with this id."""
        for speech in self.speeches:
            if speech.doc_id == doc_id:
                return speech
        raise KeyError(f"no speech {doc_id!r}; known: {', '.join(self.doc_ids)}")

    def speeches_frame(self) -> pd.DataFrame:
        """One row per speech: id, file, title and metadata."""
        rows = []
        for speech in self.speeches:
            row = {"doc_id": speech.doc_id, "file": speech.file, "title": speech.title}
            for key, value in speech.meta.items():
                if key not in row:
                    row[key] = value
            rows.append(row)
        return pd.DataFrame(rows)

    def units_frame(self) -> pd.DataFrame:
        """Paragraph units with their outline position and tokens."""
        frame = pd.DataFrame([unit.to_dict() for unit in self.units])
        if frame.empty:
            return frame
        frame["tokens"] = [self.tokens.get(unit_id, []) for unit_id in frame["unit_id"]]
        frame["n_tokens"] = frame["tokens"].map(len)
        return frame

    def at_grain(self, grain: str | None = None) -> pd.DataFrame:
        """Analysis units at a grain with their tokens.

        Parameters
        ----------
        grain : {"document", "section", "paragraph", "sentence"}, optional
            Defaults to ``[analysis] grain``. ``section`` is the top-level
            section; sentence units are tokenized on demand (cached).

        Returns
        -------
        DataFrame
            ``doc_id``, ``unit_id``, ``section_path``, ``text``, ``tokens``,
            ``n_tokens``; titles left out.
        """
        grain = grain or self.params["analysis"]["grain"]
        if grain == "sentence":
            sentence_units = [
                unit
                for speech in self.speeches
                for unit in segment_speech(speech.doc_id, speech.text, grain="sentence")
            ]
            groups = group_units(sentence_units, "sentence")
            token_lists = _tokenize_grouped(self, groups)
        else:
            groups = group_units(self.units, grain)
            token_lists = [
                [token for unit_id in group["unit_ids"] for token in self.tokens.get(unit_id, [])]
                for group in groups
            ]
        frame = pd.DataFrame(
            [
                {key: group[key] for key in ("doc_id", "unit_id", "section_path", "text")}
                for group in groups
            ]
        )
        if frame.empty:
            return pd.DataFrame(
                columns=["doc_id", "unit_id", "section_path", "text", "tokens", "n_tokens"]
            )
        frame["tokens"] = token_lists
        frame["n_tokens"] = frame["tokens"].map(len)
        return frame


def _tokenize_grouped(corpus: Corpus, groups: list[dict[str, Any]]) -> list[list[str]]:
    memory = cache_memory(corpus.paths)
    cached = memory.cache(_tokenize_texts, ignore=["tokenizer"])
    by_doc: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        by_doc.setdefault(group["doc_id"], []).append(index)
    result: list[list[str]] = [[] for _ in groups]
    for indices in by_doc.values():
        texts = [groups[i]["text"] for i in indices]
        doc_tokens, _ = call_cached(cached, texts, corpus.tokenizer.cache_key, corpus.tokenizer)
        for i, tokens in zip(indices, doc_tokens, strict=True):
            result[i] = tokens
    return result


def load(
    paths: Paths | None = None,
    params: dict[str, Any] | None = None,
    progress: bool = False,
    force: bool = False,
) -> Corpus:
    """Load, clean, segment and tokenize a folder of speeches.

    Parameters
    ----------
    paths : Paths, optional
        Defaults to the project's paths (``data/raw`` …).
    params : dict, optional
        Defaults to ``speechtopics.toml``.
    progress : bool
        Show progress bars.
    force : bool
        Re-tokenize every speech even when its tokens are cached.

    Returns
    -------
    Corpus
    """
    params = load_params() if params is None else params
    paths = default_paths(params) if paths is None else paths
    themes = load_themes(paths.themes)
    speeches, report = load_corpus(
        paths.raw, paths.metadata, build_cleaner(paths, params), progress=progress
    )
    units: list[Unit] = []
    for speech in speeches:
        units.extend(segment_speech(speech.doc_id, speech.text))
    tokenizer = build_tokenizer(paths, params, themes)
    memory = cache_memory(paths)
    cached = memory.cache(_tokenize_texts, ignore=["tokenizer"])
    tokens: dict[str, list[str]] = {}
    stats = {"speeches_tokenized": 0, "speeches_from_cache": 0}
    by_doc: dict[str, list[Unit]] = {}
    for unit in units:
        by_doc.setdefault(unit.doc_id, []).append(unit)
    items = list(by_doc.items())
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(items, desc="tokenize", unit="speech", leave=False)
    for _doc_id, doc_units in items:
        texts = [unit.text for unit in doc_units]
        doc_tokens, status = call_cached(cached, texts, tokenizer.cache_key, tokenizer, force=force)
        stats["speeches_from_cache" if status == "reused" else "speeches_tokenized"] += 1
        if status == "repaired":
            stats["cache_entries_repaired"] = stats.get("cache_entries_repaired", 0) + 1
        for unit, unit_tokens in zip(doc_units, doc_tokens, strict=True):
            tokens[unit.unit_id] = unit_tokens
    return Corpus(
        speeches=speeches,
        report=report,
        units=units,
        tokens=tokens,
        tokenizer=tokenizer,
        themes=themes,
        paths=paths,
        params=params,
        stats=stats,
    )


# --------------------------------------------------------------------------- tables


def load_report_table(report: LoadReport) -> pd.DataFrame:
    """One row per file: loaded, skipped or duplicate, with the reason."""
    rows = []
    for row in report.loaded:
        rows.append(
            {
                "file": row["file"],
                "status": "loaded",
                "doc_id": row["doc_id"],
                "format": row["format"],
                "encoding": row["encoding"],
                "reason": "",
            }
        )
    for row in report.duplicates:
        rows.append(
            {
                "file": row["file"],
                "status": "duplicate",
                "doc_id": "",
                "format": "",
                "encoding": "",
                "reason": f"same text as {row['duplicate_of']}",
            }
        )
    for row in report.skipped:
        rows.append(
            {
                "file": row["file"],
                "status": "skipped",
                "doc_id": "",
                "format": "",
                "encoding": "",
                "reason": row["reason"],
            }
        )
    for row in report.warnings:
        rows.append(
            {
                "file": row["file"],
                "status": "warning",
                "doc_id": "",
                "format": "",
                "encoding": "",
                "reason": row["message"],
            }
        )
    columns = ["file", "status", "doc_id", "format", "encoding", "reason"]
    return pd.DataFrame(rows, columns=columns)


def corpus_overview(corpus: Corpus) -> pd.DataFrame:
    """One row per speech: title, metadata, size before/after cleaning, outline and tokens.

    Columns ``noise_<rule>`` give the characters each cleaning rule removed;
    ``converted_<rule>`` the characters a conversion rule changed.
    """
    units = corpus.units_frame()
    rows = []
    for speech in corpus.speeches:
        doc_units = [unit for unit in corpus.units if unit.doc_id == speech.doc_id]
        body = units[(units["doc_id"] == speech.doc_id) & (units["role"] != "title")]
        row: dict[str, Any] = {
            "doc_id": speech.doc_id,
            "file": speech.file,
            "title": speech.title,
            "level": speech.meta.get("level", ""),
            "region": speech.meta.get("region", ""),
            "year": speech.meta.get("year", ""),
            "format": speech.format,
            "encoding": speech.encoding,
            "chars_raw": len(speech.raw_text),
            "chars_clean": len(speech.text),
            "sections": len(top_level_sections(doc_units)),
            "paragraphs": len(body),
            "tokens": int(body["n_tokens"].sum()) if len(body) else 0,
            "types": len({token for tokens in body["tokens"] for token in tokens})
            if len(body)
            else 0,
        }
        assert speech.clean is not None
        for rule, removed in speech.clean.removed_chars.items():
            if rule in speech.clean.changed_chars:
                row[f"converted_{rule}"] = speech.clean.changed_chars[rule]
            else:
                row[f"noise_{rule}"] = removed
        rows.append(row)
    return pd.DataFrame(rows)


def units_table(corpus: Corpus) -> pd.DataFrame:
    """Paragraph units with outline position and space-joined tokens (for ``units.csv``)."""
    frame = corpus.units_frame()
    if frame.empty:
        return frame
    frame = frame.copy()
    frame["tokens"] = frame["tokens"].map(" ".join)
    return frame


# --------------------------------------------------------------------------- stages


@dataclass
class StageOutput:
    """What one stage produced: tables, files (figures as bytes) and data for later stages.

    Attributes
    ----------
    tables : dict
        ``name -> DataFrame``, written to ``data/processed/name.csv``.
    files : dict
        ``relative path under figures/ -> bytes`` (PNG, SVG, HTML).
    data : dict
        Picklable values later stages need (matrices, fitted labels …).
    messages : list of str
        Notes for the run summary (an analysis skipped and why).
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def add_figure(self, name: str, fig) -> None:
        """Render a matplotlib figure to PNG (300 dpi) and SVG bytes under ``name``."""
        import matplotlib.pyplot as plt

        from .plots import FIGURE_FORMATS, figure_bytes

        for fmt in FIGURE_FORMATS:
            self.files[f"{name}.{fmt}"] = figure_bytes(fig, fmt)
        plt.close(fig)


@dataclass(frozen=True)
class StageSpec:
    """A stage: its name, its function, the parameter sections and stages it depends on.

    ``function`` is ``"module:attr"`` taking ``(corpus, params, upstream)``
    and returning a :class:`StageOutput`. ``prepare``, when set, is a
    ``"module:attr"`` taking ``(upstream, paths)`` and returning a small
    JSON-able dict computed before the stage on every run (outside the
    cache): it joins the stage's cache key and is passed to the stage as
    ``prepared=``. The topics stage uses it to match new topics to the
    previous run's, so topic numbers stay stable across reruns.
    """

    name: str
    function: str
    params: tuple[str, ...] = ()
    depends: tuple[str, ...] = ()
    uses_lexicon: tuple[str, ...] = ()
    prepare: str | None = None


def _overview_stage(
    corpus: Corpus, params: dict[str, Any], upstream: dict[str, StageOutput]
) -> StageOutput:
    from .plots.corpus import plot_corpus_overview

    output = StageOutput()
    overview = corpus_overview(corpus)
    output.tables["corpus_overview"] = overview
    output.tables["units"] = units_table(corpus)
    if len(overview):
        output.add_figure("corpus_overview", plot_corpus_overview(overview))
    return output


STAGES: tuple[StageSpec, ...] = (
    StageSpec("overview", "speechtopics.pipeline:_overview_stage"),
    StageSpec("features", "speechtopics.features:run_stage", params=("analysis", "features")),
    StageSpec(
        "themes",
        "speechtopics.themes:run_stage",
        params=("analysis", "themes"),
        uses_lexicon=("themes", "formulations"),
    ),
    StageSpec(
        "topic_models",
        "speechtopics.topics:fit_stage",
        params=("topics",),
        uses_lexicon=("themes",),
    ),
    StageSpec(
        "topics",
        "speechtopics.topics:run_stage",
        params=("topics",),
        depends=("topic_models",),
        prepare="speechtopics.topics:topic_identity",
    ),
    StageSpec(
        "cluster",
        "speechtopics.cluster:run_stage",
        params=("analysis", "cluster"),
        depends=("topics",),
    ),
    StageSpec(
        "report",
        "speechtopics.report:run_stage",
        params=("topics",),
        depends=("overview", "features", "themes", "topics", "cluster"),
    ),
)
STAGE_NAMES = tuple(spec.name for spec in STAGES)


def _resolve(function: str) -> Callable[..., StageOutput] | None:
    module_name, attr = function.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    return getattr(module, attr, None)


def corpus_key(corpus: Corpus) -> str:
    """Hash of what the analyses see: units, tokens, metadata and tokenizer."""
    digest = hashlib.sha256()
    digest.update(corpus.tokenizer.cache_key.encode())
    for speech in corpus.speeches:
        digest.update(
            json.dumps(
                [speech.doc_id, speech.title, sorted(speech.meta.items())], ensure_ascii=False
            ).encode()
        )
    for unit in corpus.units:
        digest.update(
            json.dumps(
                [unit.to_dict(), corpus.tokens.get(unit.unit_id, [])], ensure_ascii=False
            ).encode()
        )
    return digest.hexdigest()


def _source_hash(function: str) -> str:
    """Hash of a stage's code: its module and its figures module."""
    module_name = function.split(":")[0]
    module = importlib.import_module(module_name)
    plots_dir = Path(__file__).with_name("plots")
    files = [
        Path(module.__file__),
        plots_dir / "__init__.py",
        plots_dir / f"{module_name.rsplit('.', 1)[-1]}.py",
    ]
    digest = hashlib.sha256()
    for path in files:
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def stage_key(
    spec: StageSpec,
    corpus_hash: str,
    params: dict[str, Any],
    paths: Paths,
    upstream_keys: dict[str, str],
) -> str:
    """Cache key of a stage: corpus, its parameters, lexicon files, code and upstream stages."""
    payload = {
        "stage": spec.name,
        "corpus": corpus_hash,
        "params": {section: params.get(section) for section in spec.params},
        "lexicon": {name: file_sha256(getattr(paths, name)) for name in spec.uses_lexicon},
        "code": _source_hash(spec.function),
        "upstream": {name: upstream_keys.get(name, "unavailable") for name in spec.depends},
        "version": __version__,
    }
    return hashlib.sha256(
        json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode()
    ).hexdigest()


def _compute_stage(
    name: str,
    key: str,
    function: str,
    corpus: Corpus,
    params: dict[str, Any],
    upstream: dict[str, StageOutput],
    prepared: dict[str, Any] | None = None,
) -> StageOutput:
    """Run one stage (cached by ``name`` and ``key`` only)."""
    stage_function = _resolve(function)
    assert stage_function is not None
    if prepared is None:
        return stage_function(corpus, params, upstream)
    return stage_function(corpus, params, upstream, prepared=prepared)


def stages_to_run(selected: Sequence[str] | None) -> list[str]:
    """The selected stages and every stage that depends on them, in pipeline order."""
    if not selected:
        return list(STAGE_NAMES)
    unknown = [name for name in selected if name not in STAGE_NAMES]
    if unknown:
        raise ValueError(
            f"unknown stage(s) {', '.join(unknown)}; choose from {', '.join(STAGE_NAMES)}"
        )
    chosen = set(selected)
    for spec in STAGES:
        if chosen.intersection(spec.depends):
            chosen.add(spec.name)
    return [name for name in STAGE_NAMES if name in chosen]


def stages_needed(rerun: Sequence[str]) -> list[str]:
    """Stages to rerun plus the upstream stages whose outputs they take (in pipeline order)."""
    needed = set(rerun)
    for spec in reversed(STAGES):
        if spec.name in needed:
            needed.update(spec.depends)
    return [name for name in STAGE_NAMES if name in needed]


@dataclass
class RunSummary:
    """What a run did: per stage, reused or recomputed, and how long it took."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    def add(self, stage: str, status: str, seconds: float, detail: str = "") -> None:
        self.rows.append(
            {"stage": stage, "status": status, "seconds": round(seconds, 2), "detail": detail}
        )

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


def _write_outputs(paths: Paths, output: StageOutput, summary: RunSummary) -> int:
    """Write a stage's tables and files, skipping files whose bytes did not change."""
    written = 0
    for name, table in output.tables.items():
        target = paths.processed / f"{name}.csv"
        text = table.to_csv(index=False, float_format="%.6g", lineterminator="\n")
        written += _write_if_changed(target, text.encode("utf-8"))
        summary.outputs[f"processed/{name}.csv"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    for relative, data in output.files.items():
        target = paths.figures / relative
        written += _write_if_changed(target, data)
        summary.outputs[f"figures/{relative}"] = hashlib.sha256(data).hexdigest()
    return written


def _write_if_changed(target: Path, data: bytes) -> int:
    from .io import write_bytes

    if target.exists() and target.stat().st_size == len(data) and target.read_bytes() == data:
        return 0
    write_bytes(target, data)
    return 1


def run(
    paths: Paths | None = None,
    params: dict[str, Any] | None = None,
    stages: Sequence[str] | None = None,
    force: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> RunSummary:
    """Run the pipeline: load, clean, segment, tokenize, then every analysis stage.

    Parameters
    ----------
    paths, params : optional
        Defaults: the project's paths and ``speechtopics.toml``.
    stages : sequence of str, optional
        Rerun these stages (ignoring their cached results) and the stages
        that depend on them; upstream stages they need come from the cache.
        By default every stage runs, each reused from the cache when its
        inputs are unchanged.
    force : bool
        Ignore the cache: re-tokenize every speech and recompute every stage.
    progress : bool
        Progress bars.
    echo : callable
        Where progress lines go.

    Returns
    -------
    RunSummary
    """
    from filelock import FileLock, Timeout

    params = load_params() if params is None else params
    paths = default_paths(params) if paths is None else paths
    paths.processed.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(paths.processed / ".speechtopics.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        echo(f"another speechtopics run is using {paths.processed}; waiting for it to finish …")
        lock.acquire()
    try:
        return _run_locked(paths, params, stages, force, progress, echo)
    finally:
        lock.release()


def _run_locked(
    paths: Paths,
    params: dict[str, Any],
    stages: Sequence[str] | None,
    force: bool,
    progress: bool,
    echo: Callable[[str], None],
) -> RunSummary:
    from .history import snapshot_previous_run

    summary = RunSummary()
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    snapshot_previous_run(paths)
    corpus = load(paths, params, progress=progress, force=force)
    summary.add(
        "load",
        "recomputed" if corpus.stats["speeches_tokenized"] else "reused",
        time.perf_counter() - t0,
        f"{len(corpus.speeches)} speeches; tokenized {corpus.stats['speeches_tokenized']}, "
        f"from cache {corpus.stats['speeches_from_cache']}; skipped {len(corpus.report.skipped)}, "
        f"duplicates {len(corpus.report.duplicates)}",
    )
    for row in corpus.report.skipped:
        summary.messages.append(f"skipped {row['file']}: {row['reason']}")
    for row in corpus.report.duplicates:
        summary.messages.append(f"duplicate {row['file']}: same text as {row['duplicate_of']}")
    for row in corpus.report.warnings:
        summary.messages.append(f"warning {row['file']}: {row['message']}")
    for speech in corpus.speeches:
        _write_if_changed(paths.cleaned / f"{speech.doc_id}.txt", speech.text.encode("utf-8"))
    load_table = load_report_table(corpus.report)
    _write_if_changed(
        paths.processed / "load_report.csv",
        load_table.to_csv(index=False, lineterminator="\n").encode("utf-8"),
    )
    if not corpus.speeches:
        summary.messages.append(f"no speech could be loaded from {paths.raw}; nothing to analyse")
        return summary

    memory = cache_memory(paths)
    cached_stage = memory.cache(
        _compute_stage, ignore=["function", "corpus", "params", "upstream", "prepared"]
    )
    corpus_hash = corpus_key(corpus)
    rerun = set(stages_to_run(stages)) if stages else set()
    needed = set(stages_needed(sorted(rerun))) if stages else set(STAGE_NAMES)
    keys: dict[str, str] = {}
    outputs: dict[str, StageOutput] = {}
    specs = [spec for spec in STAGES if spec.name in needed]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(specs), desc="stages", unit="stage", leave=False)
    for spec in specs:
        if bar is not None:
            bar.set_postfix_str(spec.name)
            bar.update(0)
        if _resolve(spec.function) is None:
            summary.add(spec.name, "unavailable", 0.0, "module not installed")
            continue
        t_stage = time.perf_counter()
        key = stage_key(spec, corpus_hash, params, paths, keys)
        prepared = None
        if spec.prepare is not None:
            hook = _resolve(spec.prepare)(outputs, paths)
            prepared = hook.get("key") or None
            key = hashlib.sha256(
                (
                    key + json.dumps(prepared, ensure_ascii=False, sort_keys=True, default=str)
                ).encode()
            ).hexdigest()
            _write_outputs(
                paths,
                StageOutput(
                    tables={
                        name: pd.DataFrame(rows) for name, rows in hook.get("tables", {}).items()
                    }
                ),
                summary,
            )
        keys[spec.name] = key
        args = (spec.name, key, spec.function, corpus, params, outputs, prepared)
        recompute = spec.name in rerun or (force and not stages)
        if progress and (recompute or not cached_stage.check_call_in_cache(*args)):
            echo(f"[{spec.name}] computing …")
        output, status = call_cached(cached_stage, *args, force=recompute)
        outputs[spec.name] = output
        written = _write_outputs(paths, output, summary)
        summary.messages.extend(f"[{spec.name}] {message}" for message in output.messages)
        summary.add(
            spec.name,
            status,
            time.perf_counter() - t_stage,
            f"{len(output.tables)} tables, {len(output.files)} files, {written} written",
        )
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    _write_manifest(paths, params, corpus, summary, started)
    return summary


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in (
        "jieba",
        "rjieba",
        "gensim",
        "scikit-learn",
        "numpy",
        "scipy",
        "pandas",
        "matplotlib",
        "wordcloud",
        "pyLDAvis",
        "opencc",
        "joblib",
    ):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _write_manifest(
    paths: Paths, params: dict[str, Any], corpus: Corpus, summary: RunSummary, started: datetime
) -> None:
    manifest = {
        "speechtopics_version": __version__,
        "python": platform.python_version(),
        "platform": sys.platform,
        "libraries": library_versions(),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "corpus_hash": corpus_key(corpus),
        "speeches": {
            speech.doc_id: {"file": speech.file, "sha256": speech.sha256}
            for speech in corpus.speeches
        },
        "parameters": params,
        "lexicon": {
            name: file_sha256(getattr(paths, name))
            for name in ("userdict", "stopwords", "themes", "noise", "synonyms", "formulations")
        },
        "stages": summary.rows,
        "outputs": dict(sorted(summary.outputs.items())),
    }
    write_json(paths.processed / "manifest.json", manifest)


__all__ = [
    "Corpus",
    "RunSummary",
    "StageOutput",
    "build_tokenizer",
    "corpus_overview",
    "load",
    "run",
    "file_hash",
    "write_table",
    "write_text",
    "CleanResult",
]
