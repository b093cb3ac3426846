"""Comparing a run with the previous one.

When a run switches its outputs in, the previous run's manifest and key
tables go to ``data/processed/previous/``. ``speechtopics diff`` compares
them with the current ones: speeches added, removed or changed, parameters
changed, theme rates that moved most, topics new, vanished or shifted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..config import Paths

#: Tables kept from the previous run for comparison.
SNAPSHOT_TABLES = (
    "corpus_overview.csv",
    "theme_rates_by_speech.csv",
    "topic_words.csv",
    "topic_identity.csv",
)
PREVIOUS_DIR = "previous"


def previous_snapshot(paths: Paths) -> dict[str, bytes]:
    """The last run's manifest and key tables, as outputs under ``processed/previous/``.

    The run stages them with its own outputs, so ``previous/`` changes only
    when a run completes (a failed or killed run leaves it as it was).

    Returns
    -------
    dict
        ``"processed/previous/<file>" -> bytes``; empty when there was no previous run.
    """
    if not (paths.processed / "manifest.json").is_file():
        return {}
    snapshot = {}
    for name in ("manifest.json", *SNAPSHOT_TABLES):
        source = paths.processed / name
        if source.is_file():
            snapshot[f"processed/{PREVIOUS_DIR}/{name}"] = source.read_bytes()
    return snapshot


def read_previous_table(path: Path) -> tuple[pd.DataFrame | None, str]:
    """A table of an earlier run, in whatever encoding a spreadsheet re-saved it.

    Returns
    -------
    (table, problem)
        ``(None, "")`` when the file does not exist; ``(None, why)`` when it
        cannot be read (the problem names the file).
    """
    import io

    from ..corpus.decode import LoadError, decode_bytes

    path = Path(path)
    if not path.is_file():
        return None, ""
    try:
        text = decode_bytes(path.read_bytes(), path.name).text
        return pd.read_csv(io.StringIO(text), dtype={"doc_id": str}), ""
    except (LoadError, OSError, ValueError, pd.errors.ParserError) as exc:
        return None, f"{path} could not be read ({exc}); it was left out"


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _read_table(path: Path) -> pd.DataFrame | None:
    return read_previous_table(path)[0]


def theme_rate_changes(
    previous: pd.DataFrame | None, current: pd.DataFrame | None, top: int = 10
) -> pd.DataFrame:
    """Theme rates per 1,000 tokens (speech × theme) that moved most between two runs."""
    columns = ["doc_id", "theme", "rate_previous", "rate_current", "change"]
    if previous is None or current is None or "rate_per_1k" not in current.columns:
        return pd.DataFrame(columns=columns)
    merged = previous[["doc_id", "theme", "rate_per_1k"]].merge(
        current[["doc_id", "theme", "rate_per_1k"]],
        on=["doc_id", "theme"],
        how="outer",
        suffixes=("_previous", "_current"),
    )
    merged = merged.rename(
        columns={"rate_per_1k_previous": "rate_previous", "rate_per_1k_current": "rate_current"}
    )
    merged["change"] = merged["rate_current"].fillna(0) - merged["rate_previous"].fillna(0)
    merged = merged[merged["change"].abs() > 1e-9]
    order = merged["change"].abs().sort_values(ascending=False, kind="stable").index
    return merged.loc[order, columns].head(top).reset_index(drop=True)


def settings_changes(before: dict, after: dict) -> list[str]:
    """One line per setting that changed: ``settings [topics] k_max: 15 → 8``."""
    lines = []
    for section in sorted(set(before) | set(after)):
        old, new = before.get(section) or {}, after.get(section) or {}
        if not isinstance(old, dict) or not isinstance(new, dict):
            old, new = {"(section)": old}, {"(section)": new}
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                lines.append(
                    f"settings [{section}] {key}: {old.get(key, '(not set)')} → {new.get(key, '(not set)')}"
                )
    return lines


def describe_changes(paths: Paths) -> str:
    """What changed between the previous run and the last one, as text."""
    from .outputs import finish_switch_for_reader

    finish_switch_for_reader(paths.processed)
    previous_dir = paths.processed / PREVIOUS_DIR
    current = _read_json(paths.processed / "manifest.json")
    previous = _read_json(previous_dir / "manifest.json")
    if not current:
        return f"no run yet in {paths.processed}; run `speechtopics run` (or make report) first"
    if not previous:
        return "this is the first run: nothing to compare with"
    lines = [
        f"previous run {previous.get('finished', '?')} → last run {current.get('finished', '?')}"
    ]
    before, after = previous.get("speeches", {}), current.get("speeches", {})
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(
        d for d in set(before) & set(after) if before[d].get("sha256") != after[d].get("sha256")
    )
    lines.append(f"speeches: {len(before)} → {len(after)}")
    for doc_id in added:
        lines.append(f"  + {doc_id}  {after[doc_id].get('file', '')}")
    for doc_id in removed:
        lines.append(f"  - {doc_id}  {before[doc_id].get('file', '')}")
    for doc_id in changed:
        lines.append(f"  ~ {doc_id}  {after[doc_id].get('file', '')} (file changed)")
    lines.extend(settings_changes(previous.get("parameters", {}), current.get("parameters", {})))
    for name in sorted(set(previous.get("lexicon", {})) | set(current.get("lexicon", {}))):
        if previous.get("lexicon", {}).get(name) != current.get("lexicon", {}).get(name):
            lines.append(f"lexicon {name} changed")

    moves = theme_rate_changes(
        _read_table(previous_dir / "theme_rates_by_speech.csv"),
        _read_table(paths.processed / "theme_rates_by_speech.csv"),
    )
    if len(moves):
        lines.append("theme rates that moved most (per 1,000 tokens):")
        for row in moves.itertuples(index=False):
            before_rate = "—" if pd.isna(row.rate_previous) else f"{row.rate_previous:.2f}"
            after_rate = "—" if pd.isna(row.rate_current) else f"{row.rate_current:.2f}"
            lines.append(
                f"  {row.doc_id:>8} {row.theme:<8} {before_rate:>7} → {after_rate:>7}  ({row.change:+.2f})"
            )
    else:
        lines.append("theme rates: unchanged")

    identity = _read_table(paths.processed / "topic_identity.csv")
    if identity is not None and len(identity):
        status = identity["status"].value_counts().to_dict()
        lines.append(
            "topics: " + ", ".join(f"{count} {name}" for name, count in sorted(status.items()))
        )
        for row in identity.itertuples(index=False):
            if row.status == "new":
                lines.append(f"  new      topic {row.topic}: {row.label}")
            elif row.status == "vanished":
                lines.append(f"  vanished topic {row.topic}: {row.label}")
            elif row.status == "matched" and row.distance > 0.05:
                lines.append(
                    f"  shifted  topic {row.topic}: {row.label} (moved {row.distance:.3f})"
                )
    return "\n".join(lines)
