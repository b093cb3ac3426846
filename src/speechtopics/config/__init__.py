"""Paths and settings: the one place where defaults live, typed and checked.

Every path is rooted at the project folder found from this file, never at
the current working directory, so the package behaves the same from a
notebook, the shell or a test.

Settings come from ``speechtopics.toml`` (and an optional second file whose
values override it). Each ``[section]`` becomes one frozen dataclass below;
its field defaults are the only defaults in the package. Reading a file
checks it completely before any work starts: an unknown section or key, a
value of the wrong type, out of range or not among the allowed choices
stops the run with a message naming the file, the section, the key, the
value and what is allowed (with the closest valid key for a typo).
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .checks import SettingsError, check_paths
from .paths import Paths, PathsError, check_separate_folders
from .sections import (
    SETTINGS_SECTIONS,
    AnalysisSettings,
    CleanSettings,
    ClusterSettings,
    CompareSettings,
    EngineSettings,
    FeatureSettings,
    FigureSettings,
    Grain,
    PathSettings,
    Settings,
    SuggestSettings,
    ThemeSettings,
    TokenizeSettings,
    TopicSettings,
)

__all__ = [
    "PARAMS_FILE",
    "PROJECT_ROOT",
    "SETTINGS_SECTIONS",
    "VERSION",
    "AnalysisSettings",
    "CleanSettings",
    "ClusterSettings",
    "CompareSettings",
    "EngineSettings",
    "FeatureSettings",
    "FigureSettings",
    "Grain",
    "PathSettings",
    "Paths",
    "PathsError",
    "Settings",
    "SettingsError",
    "SuggestSettings",
    "ThemeSettings",
    "TokenizeSettings",
    "TopicSettings",
    "as_settings",
    "check_separate_folders",
    "default_paths",
    "load_settings",
    "notebook_paths",
]

VERSION = "0.1.0"
PROJECT_ROOT: Path = Path(__file__).resolve().parents[3]
PARAMS_FILE: Path = PROJECT_ROOT / "speechtopics.toml"


# --------------------------------------------------------------------------- reading files


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with Path(path).open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(
            [f"{path}: no such settings file; check the path given to --params"]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError([f"{path}: not valid TOML ({exc}); fix the line it names"]) from None


def _updated(settings: Settings, changes: dict[str, Any], source: str) -> Settings:
    """``settings.updated`` plus the check that the paths it sets exist."""
    settings = settings.updated(changes, source)
    problems = check_paths(settings, changes, source, PROJECT_ROOT)
    if problems:
        raise SettingsError(problems)
    return settings


def load_settings(path: Path | None = None) -> Settings:
    """Read and check the settings of a run.

    Parameters
    ----------
    path : Path, optional
        A TOML file whose values override the project's ``speechtopics.toml``.

    Returns
    -------
    Settings

    Raises
    ------
    SettingsError
        If a file is missing or not valid TOML, or any key or value is wrong
        (every problem is listed, each naming the file, section and key).
    """
    settings = Settings()
    if PARAMS_FILE.exists():
        settings = _updated(settings, _read_toml(PARAMS_FILE), PARAMS_FILE.name)
    if path is not None and Path(path).resolve() != PARAMS_FILE:
        settings = _updated(settings, _read_toml(Path(path)), str(path))
    return settings


def as_settings(settings: Settings | Mapping[str, Any] | None) -> Settings:
    """``settings`` itself, the project's settings for None, or a mapping applied over the project's."""
    if settings is None:
        return load_settings()
    if isinstance(settings, Settings):
        return settings
    return _updated(load_settings(), copy.deepcopy(dict(settings)), "parameters")


def default_paths(settings: Settings | None = None) -> Paths:
    """Project paths from the ``[paths]`` settings, rooted at the project folder."""
    section = (load_settings() if settings is None else settings).paths
    return Paths(
        **{
            name: (PROJECT_ROOT / getattr(section, name)).resolve()
            for name in Paths.__dataclass_fields__
        }
    )


def notebook_paths(raw_dir: str = "", out_dir: str = "") -> Paths:
    """Paths for a notebook's ``raw_dir`` / ``out_dir`` parameters (``""`` = the project's)."""
    return default_paths().with_overrides(
        raw=Path(raw_dir) if raw_dir else None, out=Path(out_dir) if out_dir else None
    )
