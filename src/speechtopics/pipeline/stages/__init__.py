"""The stages of a run, in order, declared with what each reads.

Every stage is a plain callable; its declaration says which settings
sections and lexicon files it reads and which stages' outputs it takes,
and the cache key of the stage covers exactly those (plus the corpus and
the package's code).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...config import SETTINGS_SECTIONS, Paths, Settings, default_paths
from ...corpus.model import Corpus
from ..stage import Stage, StageOutput
from .cluster import cluster_stage
from .compare import compare_stage, suggest_stage
from .features import features_stage
from .overview import overview_stage
from .report import report_stage
from .themes import themes_stage
from .topics import (
    prepare_topic_identity,
    prepare_warm_start,
    topic_models_stage,
    topics_stage,
)

STAGES: tuple[Stage, ...] = (
    Stage("overview", overview_stage, settings=("figures",), needs_tokens=False),
    Stage("features", features_stage, settings=("analysis", "features", "figures")),
    Stage(
        "themes",
        themes_stage,
        settings=("themes", "compare", "figures"),
        lexicon=("formulations",),
    ),
    Stage("topic_models", topic_models_stage, settings=("topics",), prepare=prepare_warm_start),
    Stage(
        "topics",
        topics_stage,
        settings=("topics", "figures"),
        depends=("topic_models",),
        lexicon=("topic_labels",),
        prepare=prepare_topic_identity,
    ),
    Stage(
        "cluster",
        cluster_stage,
        settings=("analysis", "cluster", "topics", "figures"),
        depends=("topics",),
    ),
    Stage(
        "compare",
        compare_stage,
        settings=("analysis", "compare", "figures"),
        depends=("themes", "topics"),
    ),
    Stage("suggest", suggest_stage, settings=("analysis", "suggest", "figures")),
    Stage(
        "report",
        report_stage,
        settings=SETTINGS_SECTIONS,
        depends=("overview", "features", "themes", "topics", "cluster", "compare", "suggest"),
        needs_tokens=False,
    ),
)
STAGE_NAMES: tuple[str, ...] = tuple(stage.name for stage in STAGES)
STAGE_BY_NAME: dict[str, Stage] = {stage.name: stage for stage in STAGES}


def stages_to_run(selected: list[str] | tuple[str, ...] | None) -> list[str]:
    """The selected stages and every stage that depends on them, in pipeline order."""
    if not selected:
        return list(STAGE_NAMES)
    unknown = [name for name in selected if name not in STAGE_NAMES]
    if unknown:
        raise ValueError(
            f"unknown stage(s) {', '.join(unknown)}; choose from {', '.join(STAGE_NAMES)}"
        )
    chosen = set(selected)
    for stage in STAGES:
        if chosen.intersection(stage.depends):
            chosen.add(stage.name)
    return [name for name in STAGE_NAMES if name in chosen]


def stages_needed(rerun: list[str] | tuple[str, ...]) -> list[str]:
    """Stages to rerun plus the upstream stages whose outputs they take (in pipeline order)."""
    needed = set(rerun)
    for stage in reversed(STAGES):
        if stage.name in needed:
            needed.update(stage.depends)
    return [name for name in STAGE_NAMES if name in needed]


def run_stage(
    name: str,
    corpus: Corpus,
    settings: Settings,
    upstream: Mapping[str, StageOutput] | None = None,
    paths: Paths | None = None,
    prepared: dict[str, Any] | None = None,
) -> StageOutput:
    """Run one stage outside the pipeline (no cache, nothing written), e.g. in a test.

    Parameters
    ----------
    name : str
        A stage of :data:`STAGES`.
    corpus, settings :
        The loaded corpus and the run's settings.
    upstream : mapping, optional
        Outputs of the stages it depends on (missing ones are treated as skipped).
    paths : Paths, optional
        Where its declared lexicon files are (default: the project's).
    prepared : dict, optional
        What the stage's prepare hook would pass.
    """
    stage = STAGE_BY_NAME[name]
    paths = default_paths(settings) if paths is None else paths
    inputs = stage.inputs(corpus, settings, upstream or {}, paths, prepared)
    return stage.function(inputs).render_figures()
