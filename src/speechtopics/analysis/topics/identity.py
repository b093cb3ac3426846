"""Topic identity across runs: Hungarian matching on the Jensen–Shannon distance of topics.

Matched topics keep their previous number and label, new topics get the
next free numbers, previous topics left unmatched are reported as vanished.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import jensenshannon

from .align import _normalise_rows
from .analyse import TopicResults


@dataclass
class TopicMatch:
    """How the topics of a new fit relate to those of a previous one.

    Attributes
    ----------
    mapping : dict
        ``current topic -> previous topic`` (None = a new topic).
    vanished : list
        Previous topics no current topic matches.
    distance : dict
        ``current topic -> Jensen–Shannon distance`` to its previous topic (matched pairs only).
    """

    mapping: dict[Any, Any]
    vanished: list[Any]
    distance: dict[Any, float] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per current topic (``matched`` / ``new``) and per vanished previous topic."""
        rows = [
            {
                "topic": topic,
                "previous_topic": previous,
                "status": "new" if previous is None else "matched",
                "distance": self.distance.get(topic, float("nan")),
            }
            for topic, previous in self.mapping.items()
        ]
        rows += [
            {
                "topic": None,
                "previous_topic": previous,
                "status": "vanished",
                "distance": float("nan"),
            }
            for previous in self.vanished
        ]
        return pd.DataFrame(rows, columns=["topic", "previous_topic", "status", "distance"])


def _as_topic_word_frame(
    topics: pd.DataFrame | np.ndarray, vocab: Sequence[str] | None
) -> pd.DataFrame:
    if isinstance(topics, pd.DataFrame):
        if {"topic", "word", "prob"}.issubset(topics.columns):
            wide = topics.pivot_table(
                index="topic", columns="word", values="prob", aggfunc="sum", sort=False
            )
            return wide.fillna(0.0)
        return topics.astype(float)
    matrix = np.asarray(topics, dtype=float)
    if vocab is None:
        raise ValueError("give the vocabulary (one word per column) with a topic-word array")
    return pd.DataFrame(matrix, columns=list(vocab))


def match_topics(
    previous: pd.DataFrame | np.ndarray,
    current: pd.DataFrame | np.ndarray,
    previous_vocab: Sequence[str] | None = None,
    current_vocab: Sequence[str] | None = None,
    max_distance: float = 0.6,
) -> TopicMatch:
    """Match the topics of a new fit to those of a previous one.

    Both sets are put on the union of their vocabularies (missing words get
    probability 0, rows renormalised); the Jensen–Shannon distance (base 2,
    0 = same distribution, 1 = disjoint words) of every pair is computed and
    the Hungarian assignment minimising the total distance is taken. Pairs
    farther apart than ``max_distance`` are not matched: the current topic
    is new, the previous one vanished.

    Parameters
    ----------
    previous, current : DataFrame or ndarray
        Topic–word distributions: a wide DataFrame (index = topic ids,
        columns = words), a long table with ``topic``, ``word``, ``prob``
        columns (such as ``topic_words.csv``), or an array with its vocabulary.
    previous_vocab, current_vocab : sequence of str, optional
        Words of the columns when passing arrays (topic ids are then 0…K-1).
    max_distance : float
        Largest Jensen–Shannon distance accepted for a match.

    Returns
    -------
    TopicMatch
    """
    before = _as_topic_word_frame(previous, previous_vocab)
    after = _as_topic_word_frame(current, current_vocab)
    words = list(dict.fromkeys([*map(str, before.columns), *map(str, after.columns)]))
    before = before.set_axis([str(c) for c in before.columns], axis=1).reindex(
        columns=words, fill_value=0.0
    )
    after = after.set_axis([str(c) for c in after.columns], axis=1).reindex(
        columns=words, fill_value=0.0
    )
    before_matrix = _normalise_rows(before.to_numpy())
    after_matrix = _normalise_rows(after.to_numpy())
    distances = np.ones((len(after_matrix), len(before_matrix)))
    for i, row in enumerate(after_matrix):
        for j, other in enumerate(before_matrix):
            distances[i, j] = (
                float(jensenshannon(row, other, base=2)) if row.sum() and other.sum() else 1.0
            )
    distances = np.nan_to_num(distances, nan=1.0)
    mapping: dict[Any, Any] = {topic: None for topic in after.index}
    distance: dict[Any, float] = {}
    matched_previous = set()
    if distances.size:
        rows, cols = linear_sum_assignment(distances)
        for i, j in zip(rows, cols, strict=True):
            if distances[i, j] <= max_distance:
                mapping[after.index[i]] = before.index[j]
                distance[after.index[i]] = float(distances[i, j])
                matched_previous.add(j)
    vanished = [topic for j, topic in enumerate(before.index) if j not in matched_previous]
    return TopicMatch(mapping=mapping, vanished=vanished, distance=distance)


def _topic_number(name: str) -> int | None:
    match = re.fullmatch(r"T(\d+)", str(name))
    return int(match.group(1)) if match else None


def topic_identity(
    results: TopicResults,
    previous: pd.DataFrame | None,
    chosen_labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Match this run's topics to the previous run's.

    ``previous`` is the previous run's ``topic_words`` table (top words with probabilities), which
    is matched to the same table of the new fit with :func:`match_topics`.
    Matched topics keep their previous number and label; new topics get the
    next free numbers; previous topics left unmatched are reported as vanished.
    The previous labels are the automatic ones (``auto_label`` when the
    researcher's labels replaced them), so a label deleted from
    ``topic_labels.toml`` goes back to the automatic one; ``chosen_labels``
    (``topic_labels.toml``) are what the ``label`` column of the identity table shows.

    Returns
    -------
    dict
        ``key``: ``{"names": {fit name: reported name}, "labels": {reported
        name: kept label}}`` (only labels that differ from the fresh ones),
        which joins the stage's cache key; ``tables``: ``{"topic_identity":
        rows}`` (topic, label, previous_topic, status, distance).
    """
    if results.lda is None:
        return {"key": {}, "tables": {}}
    ensemble = results.lda
    fresh_labels = dict(zip(ensemble.names, results.lda_labels, strict=True))
    if previous is None or not {"topic", "word", "prob"} <= set(previous.columns) or previous.empty:
        rows = [_identity_row(name, fresh_labels[name], "", "new") for name in ensemble.names]
        return {
            "key": {"names": {name: name for name in ensemble.names}, "labels": {}},
            "tables": {"topic_identity": _with_chosen_labels(rows, chosen_labels)},
        }
    # Both sides as the same top-word table, so they are truncated alike.
    match = match_topics(previous, results.tables["topic_words"])
    label_column = "auto_label" if "auto_label" in previous else "label"
    previous_labels = (
        previous.groupby("topic", sort=False)[label_column].first().astype(str).to_dict()
        if label_column in previous
        else {}
    )
    next_number = (
        max((n for n in map(_topic_number, previous["topic"].unique()) if n), default=0) + 1
    )
    names: dict[str, str] = {}
    kept_labels: dict[str, str] = {}
    rows = []
    for name in ensemble.names:
        previous_name = match.mapping.get(name)
        if previous_name is None:
            new_name = f"T{next_number}"
            next_number += 1
            names[name] = new_name
            rows.append(_identity_row(new_name, fresh_labels[name], "", "new"))
            continue
        previous_name = str(previous_name)
        names[name] = previous_name
        label = previous_labels.get(previous_name, fresh_labels[name])
        if label != fresh_labels[name]:
            kept_labels[previous_name] = label
        distance = float(match.distance.get(name, float("nan")))
        rows.append(_identity_row(previous_name, label, previous_name, "matched", distance))
    for previous_name in match.vanished:
        name = str(previous_name)
        rows.append(_identity_row(name, previous_labels.get(name, ""), name, "vanished"))
    return {
        "key": {"names": names, "labels": kept_labels},
        "tables": {"topic_identity": _with_chosen_labels(rows, chosen_labels)},
    }


def _identity_row(
    topic: str, label: str, previous: str, status: str, distance: float | None = None
) -> dict[str, Any]:
    return {
        "topic": topic,
        "label": label,
        "previous_topic": previous,
        "status": status,
        "distance": distance,
    }


def _with_chosen_labels(rows: list[dict], chosen: Mapping[str, str] | None) -> list[dict]:
    """Identity rows with the researcher's label where ``topic_labels.toml`` gives one."""
    if not chosen:
        return rows
    return [{**row, "label": chosen.get(str(row["topic"]), row["label"])} for row in rows]


def _reported_order(names: dict[str, str]) -> list[str]:
    """Fit names ordered by the number of the name they are reported under."""
    return sorted(
        names, key=lambda fit_name: (_topic_number(names[fit_name]) or 0, names[fit_name])
    )


def rename_topics(
    results: TopicResults, names: dict[str, str], labels: dict[str, str]
) -> TopicResults:
    """Results with the plain LDA topics renamed (and reordered) as the identity match says.

    Parameters
    ----------
    results : TopicResults
    names : dict
        Fit name (``T1``…) → reported name.
    labels : dict
        Reported name → label to show instead of the fresh one.
    """
    if results.lda is None or not names:
        return results
    order = _reported_order(names)
    new_names = [names[name] for name in order]
    fresh = dict(zip(results.lda.names, results.lda_labels, strict=True))
    label_of = {names[name]: labels.get(names[name], fresh[name]) for name in order}
    tables = dict(results.tables)
    for table_name in ("topic_stability", "topic_words"):
        if table_name in tables:
            table = tables[table_name].copy()
            table["topic"] = table["topic"].map(names)
            if "label" in table:
                table["label"] = table["topic"].map(label_of)
            table["_order"] = table["topic"].map({name: i for i, name in enumerate(new_names)})
            tables[table_name] = (
                table.sort_values("_order", kind="stable")
                .drop(columns="_order")
                .reset_index(drop=True)
            )
    for table_name in ("doc_topic", "speech_topic", "section_topic"):
        if table_name in tables:
            table = tables[table_name].rename(columns=names)
            other = [c for c in table.columns if c not in new_names]
            tables[table_name] = table[other + new_names]
    renamed = TopicResults(**{**results.__dict__})
    renamed.tables = tables
    renamed.lda_labels = [label_of[name] for name in new_names]
    if results.doc_topic is not None:
        renamed.doc_topic = tables["doc_topic"]
    renamed.reported_names = new_names
    renamed.reported_order = order
    return renamed


def apply_topic_labels(
    results: TopicResults, chosen: Mapping[str, str]
) -> tuple[TopicResults, dict[str, str]]:
    """Results with the researcher's labels (``topic_labels.toml``) on the plain LDA topics.

    The ``label`` of ``topic_stability`` and ``topic_words`` (and the labels
    of the fitted model) become the chosen ones; the automatic labels move to
    an ``auto_label`` column, which the next run matches topics by. Without
    a chosen label for any current topic the results are returned unchanged.

    Parameters
    ----------
    results : TopicResults
        After :func:`rename_topics` (labels are keyed by reported topic numbers).
    chosen : mapping
        ``topic number -> label``.

    Returns
    -------
    (TopicResults, dict)
        The labelled results and the chosen labels no current topic has
        (``{"T7": "label"}``: a topic that vanished or was never fitted).
    """
    if results.lda is None:
        return results, dict(chosen)
    names = results.reported_names or list(results.lda.names)
    applied = {name: chosen[name] for name in names if name in chosen}
    unused = {name: label for name, label in chosen.items() if name not in applied}
    if not applied:
        return results, unused
    tables = dict(results.tables)
    for table_name in ("topic_stability", "topic_words"):
        if table_name in tables and "label" in tables[table_name]:
            table = tables[table_name].copy()
            automatic = table["label"].astype(str)
            table["label"] = [
                applied.get(str(t), a) for t, a in zip(table["topic"], automatic, strict=True)
            ]
            table.insert(table.columns.get_loc("label") + 1, "auto_label", automatic)
            tables[table_name] = table
    labelled = TopicResults(**{**results.__dict__})
    labelled.tables = tables
    labelled.lda_labels = [
        applied.get(name, label) for name, label in zip(names, results.lda_labels, strict=True)
    ]
    return labelled, unused
