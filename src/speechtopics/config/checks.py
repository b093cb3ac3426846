"""Checking settings: unknown keys (with the closest valid one), types, ranges, cross-key rules."""

from __future__ import annotations

import difflib
import math
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, Literal


class SettingsError(ValueError):
    """Settings that cannot be used; one line per problem, each naming file, section and key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --------------------------------------------------------------------------- checking

#: Keys that moved, with where they live now (a helpful message instead of "unknown").
MOVED_KEYS = {("analysis", "grain"): "[cluster] grain (clustering) and [topics] grain (topics)"}


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else f"; known: {', '.join(choices)}"


def _field_types(section_type: type) -> dict[str, Any]:
    return typing.get_type_hints(section_type)


def _describe(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(repr(choice) for choice in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(annotation))
    if origin is tuple:
        return f"a list of {_describe(typing.get_args(annotation)[0])}"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(
        annotation, str(annotation)
    )


def _type_ok(annotation: Any, value: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return any(
            value == choice and type(value) is type(choice)
            for choice in typing.get_args(annotation)
        )
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(arg, value) for arg in typing.get_args(annotation))
    if origin is tuple:
        item = typing.get_args(annotation)[0]
        return isinstance(value, list | tuple) and all(_type_ok(item, v) for v in value)
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if annotation is str:
        return isinstance(value, str)
    return False


def check_keys_and_types(settings: Any, changes: Mapping[str, Any], source: str) -> list[str]:
    """Problems with the sections, keys and value types of ``changes`` to ``settings``."""
    problems = []
    section_names = [section.name for section in fields(settings)]
    for section, values in changes.items():
        if section not in section_names:
            problems.append(
                f"{source}: unknown section [{section}]{_suggest(section, section_names)}"
            )
            continue
        if not isinstance(values, Mapping):
            problems.append(f"{source}: [{section}] must be a table of key = value lines")
            continue
        types_ = _field_types(type(getattr(settings, section)))
        for key, value in values.items():
            where = f"{source} [{section}] {key}"
            if key not in types_:
                moved = MOVED_KEYS.get((section, key))
                hint = f"; it moved to {moved}" if moved else _suggest(key, list(types_))
                problems.append(f"{where}: unknown key{hint}")
            elif not _type_ok(types_[key], value):
                problems.append(f"{where} = {value!r}: expected {_describe(types_[key])}")
    return problems


def coerce(section: Any, key: str, value: Any) -> Any:
    """``value`` as the field ``key`` of ``section`` holds it (lists as tuples, whole numbers as floats)."""
    annotation = _field_types(type(section))[key]
    if isinstance(value, list):
        return tuple(value)
    if annotation is float and isinstance(value, int):
        return float(value)
    return value


def _range_problem(meta: Mapping[str, Any], value: Any) -> str | None:
    items = value if isinstance(value, tuple) else (value,)
    numbers = [v for v in items if isinstance(v, int | float) and not isinstance(v, bool)]
    for number in numbers:
        if meta.get("min") is not None and number < meta["min"]:
            return f"must be at least {meta['min']}"
        if meta.get("above") is not None and number <= meta["above"]:
            return f"must be greater than {meta['above']}"
        if meta.get("below") is not None and number >= meta["below"]:
            return f"must be less than {meta['below']}"
        if meta.get("max") is not None and number > meta["max"]:
            return f"must be at most {meta['max']}"
    if meta.get("distinct") and len(set(items)) != len(items):
        return "must not repeat a value (each seed gives one independent fit)"
    return None


def check_values(settings: Any, source: str) -> list[str]:
    """Ranges of every value, then the rules that tie two keys together."""
    problems = []
    for section_field in fields(settings):
        section = getattr(settings, section_field.name)
        for item in fields(section):
            value = getattr(section, item.name)
            problem = _range_problem(item.metadata, value)
            if problem:
                problems.append(
                    f"{source} [{section_field.name}] {item.name} = {value!r}: {problem}"
                )
    for name in ("topics", "cluster"):
        section = getattr(settings, name)
        if section.k_min > section.k_max:
            problems.append(
                f"{source} [{name}] k_min = {section.k_min}, k_max = {section.k_max}: "
                "k_min must not be greater than k_max"
            )
    if settings.topics.seeds and settings.topics.sweep_seeds > len(settings.topics.seeds):
        problems.append(
            f"{source} [topics] sweep_seeds = {settings.topics.sweep_seeds}: at most the "
            f"{len(settings.topics.seeds)} seeds given in [topics] seeds"
        )
    if not settings.topics.seeds:
        problems.append(
            f"{source} [topics] seeds = []: give at least one seed, e.g. seeds = [1, 2, 3]"
        )
    min_df = settings.cluster.min_df
    if isinstance(min_df, float) and min_df > 1:
        problems.append(
            f"{source} [cluster] min_df = {min_df!r}: a share must be at most 1.0 "
            "(or give a whole number of units)"
        )
    cluster = settings.cluster
    if cluster.map_space not in cluster.spaces:
        problems.append(
            f"{source} [cluster] map_space = {cluster.map_space!r}: the map shows a clustered "
            f"space; choose one of spaces = {list(cluster.spaces)} or add it there"
        )
    if not settings.compare.by:
        problems.append(f'{source} [compare] by = []: give at least one column, e.g. ["level"]')
    alpha = settings.topics.alpha
    if not isinstance(alpha, str) and alpha <= 0:
        problems.append(f"{source} [topics] alpha = {alpha!r}: a number must be greater than 0")
    problems.extend(check_engine(settings.engine, source))
    return problems


#: A JVM heap size as Spark reads it: a whole number with an optional unit (no unit: MiB).
_MEMORY_RE = re.compile(r"[1-9][0-9]*[kmgt]?", re.IGNORECASE)


def check_engine(engine: Any, source: str) -> list[str]:
    """Problems with ``[engine]``: a Spark master URL and a driver heap Spark can use."""
    problems = []
    if not engine.master.strip():
        problems.append(
            f'{source} [engine] master = "": give a Spark master, e.g. "local[2]" '
            'or "spark://host:7077"'
        )
    if not _MEMORY_RE.fullmatch(engine.driver_memory):
        problems.append(
            f"{source} [engine] driver_memory = {engine.driver_memory!r}: expected a size "
            'such as "1g" or "512m"'
        )
    return problems


#: ``[paths]`` keys that must name something that exists: key -> (kind, what it should hold).
EXISTING_PATHS = {
    "raw": ("folder", "the speeches (.txt, .docx, .html)"),
    "lexicon": ("folder", "userdict.txt, stopwords.txt, themes.toml, noise.txt, synonyms.txt"),
    "metadata": ("file", "one row per speech (doc_id,file,title,level,…)"),
}


def check_paths(settings: Any, changes: Mapping[str, Any], source: str, root: Path) -> list[str]:
    """Problems with the ``[paths]`` that ``changes`` set: each must exist (relative to ``root``)."""
    problems = []
    given = changes.get("paths") or {}
    for key, (kind, holds) in EXISTING_PATHS.items():
        if key not in given:
            continue
        value = getattr(settings.paths, key)
        path = (root / value).resolve()
        exists = path.is_dir() if kind == "folder" else path.is_file()
        if not exists:
            found = (
                "is a file"
                if path.is_file()
                else "is a folder"
                if path.is_dir()
                else "does not exist"
            )
            problems.append(
                f"{source} [paths] {key} = {value!r}: no such {kind} ({path} {found}); "
                f"give the {kind} of {holds}"
            )
    return problems
