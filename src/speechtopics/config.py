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

_DEFAULT_PARAMS: dict[str, Any] = {
    "paths": {
        "raw": "data/raw",
        "metadata": "data/metadata.csv",
        "interim": "data/interim",
        "processed": "data/processed",
        "figures": "figures",
        "lexicon": "data/lexicon",
    },
    "clean": {"traditional_to_simplified": True},
    "tokenize": {
        "backend": "auto",
        "min_token_length": 2,
        "drop_numbers": True,
        "keep_pos": [],
        "use_synonyms": True,
    },
    "analysis": {"grain": "paragraph", "seed": 20240601},
    "topics": {
        "grain": "paragraph",
        "k_min": 3,
        "k_max": 15,
        "seeds": [1, 2, 3, 4, 5],
        "passes": 20,
        "iterations": 400,
        "top_n": 20,
        "stability_threshold": 0.6,
    },
    "cluster": {"k_min": 2, "k_max": 10},
    "themes": {"kwic_window": 15},
}


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


def load_params(path: Path | None = None) -> dict[str, Any]:
    """Read analysis parameters, filling defaults for anything left out.

    Parameters
    ----------
    path : Path, optional
        A TOML file; defaults to the project's ``speechtopics.toml``.

    Returns
    -------
    dict
        Nested parameters by section (``paths``, ``tokenize``, ``topics`` ...).

    Raises
    ------
    ValueError
        If the file is not valid TOML (the message names the file).
    """
    path = PARAMS_FILE if path is None else Path(path)
    if not path.exists():
        return copy.deepcopy(_DEFAULT_PARAMS)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc}); fix the line it names") from exc
    return _merge(_DEFAULT_PARAMS, data)


def default_paths(params: dict[str, Any] | None = None) -> Paths:
    """Project paths from the ``[paths]`` section, rooted at the project folder."""
    params = load_params() if params is None else params
    section = params["paths"]
    return Paths(**{name: (PROJECT_ROOT / section[name]).resolve() for name in Paths.__dataclass_fields__})
