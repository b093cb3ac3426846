"""Paths and parameters, in one place.

Every path is rooted at the project folder found from this file, never at
the current working directory, so the package behaves the same from a
notebook, the shell or a test. Parameters come from ``speechtopics.toml``.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT: Path = Path(__file__).resolve().parents[2]
PARAMS_FILE: Path = PROJECT_ROOT / "speechtopics.toml"


@dataclass(frozen=True)
class Paths:
    """Where a run reads its input and writes its output.

    Attributes
    ----------
    raw : Path
        Folder of input speeches (never written).
    metadata : Path
        ``metadata.csv`` describing the speeches (may not exist).
    interim : Path
        Cleaned text and caches.
    processed : Path
        Result tables (CSV, JSON).
    figures : Path
        Figures (PNG, SVG) and ``index.html``.
    lexicon : Path
        User dictionary, stopwords, themes and noise lists.
    """

    raw: Path
    metadata: Path
    interim: Path
    processed: Path
    figures: Path
    lexicon: Path

    @property
    def cache(self) -> Path:
        """Folder of the on-disk cache (token lists, fitted models)."""
        return self.interim / "cache"

    @property
    def cleaned(self) -> Path:
        """Folder of cleaned speech texts, one UTF-8 file per speech."""
        return self.interim / "cleaned"

    @property
    def userdict(self) -> Path:
        return self.lexicon / "userdict.txt"

    @property
    def stopwords(self) -> Path:
        return self.lexicon / "stopwords.txt"

    @property
    def themes(self) -> Path:
        return self.lexicon / "themes.toml"

    @property
    def noise(self) -> Path:
        return self.lexicon / "noise.txt"

    @property
    def synonyms(self) -> Path:
        return self.lexicon / "synonyms.txt"

    @property
    def formulations(self) -> Path:
        return self.lexicon / "formulations.txt"

    def with_overrides(self, raw: Path | None = None, out: Path | None = None) -> Paths:
        """Return paths for another folder of speeches and/or another output root.

        Parameters
        ----------
        raw : Path, optional
            Folder of speeches; its ``metadata.csv`` is used when present.
        out : Path, optional
            Output root; ``interim/``, ``processed/`` and ``figures/`` go below it.
        """
        paths = self
        if raw is not None:
            raw = Path(raw).resolve()
            paths = replace(paths, raw=raw, metadata=raw / "metadata.csv")
        if out is not None:
            out = Path(out).resolve()
            paths = replace(
                paths,
                interim=out / "interim",
                processed=out / "processed",
                figures=out / "figures",
            )
        return paths


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc}); fix the line it names") from exc


def load_params(path: Path | None = None) -> dict[str, Any]:
    """Read analysis parameters.

    Parameters
    ----------
    path : Path, optional
        A TOML file whose values override the project's ``speechtopics.toml``
        (which holds every parameter with its default).

    Returns
    -------
    dict
        Nested parameters by section (``paths``, ``tokenize``, ``topics`` ...).

    Raises
    ------
    ValueError
        If a file is not valid TOML (the message names the file).
    """
    params = _read_toml(PARAMS_FILE)
    if path is not None and Path(path).resolve() != PARAMS_FILE:
        params = _merge(params, _read_toml(Path(path)))
    return params


def default_paths(params: dict[str, Any] | None = None) -> Paths:
    """Project paths from the ``[paths]`` section, rooted at the project folder."""
    params = load_params() if params is None else params
    section = params["paths"]
    return Paths(
        **{name: (PROJECT_ROOT / section[name]).resolve() for name in Paths.__dataclass_fields__}
    )


def notebook_paths(raw_dir: str = "", out_dir: str = "") -> Paths:
    """Paths for a notebook's ``raw_dir`` / ``out_dir`` parameters (``""`` = the project's)."""
    return default_paths().with_overrides(
        raw=Path(raw_dir) if raw_dir else None, out=Path(out_dir) if out_dir else None
    )
