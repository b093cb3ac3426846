"""The training units of the topic models, the held-out split and the pool that runs fits.

Units shorter than ``min_unit_tokens`` (heading lines such as
``三、经受住三个考验``) are merged into the next unit of the same speech and
top-level section (:func:`topic_units`), so that a heading is read with its body.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

from ...text.segment import top_section


def topic_units(units: pd.DataFrame, min_tokens: int = 20) -> pd.DataFrame:
    """Training units: short units merged into a neighbour in the same top-level section.

    Parameters
    ----------
    units : DataFrame
        Units of one grain (:meth:`Corpus.at_grain`): ``doc_id``, ``unit_id``,
        ``section_path``, ``tokens`` (paragraph grain by default).
    min_tokens : int
        A unit with fewer tokens (a heading line, a one-line transition) is
        carried into the following unit of the same speech and top-level
        section (a heading is read with the paragraph it introduces); a short
        unit that ends its section joins the previous unit of that section,
        or stays alone. 0 keeps every non-empty unit as it is.

    Returns
    -------
    DataFrame
        ``doc_id``, ``unit_id`` (the first member), ``section_path`` (of the
        first member), ``unit_ids`` (members), ``tokens``, ``n_tokens``; units
        without tokens are left out.
    """
    rows: list[dict[str, Any]] = []
    carry: dict[str, Any] | None = None

    def block(doc_id: str, section_path: str) -> tuple[str, str]:
        return doc_id, top_section(section_path)

    def flush_into_previous(pending: dict[str, Any]) -> None:
        if rows and block(rows[-1]["doc_id"], rows[-1]["section_path"]) == pending["block"]:
            rows[-1]["unit_ids"].extend(pending["unit_ids"])
            rows[-1]["tokens"].extend(pending["tokens"])
        else:
            rows.append(pending)

    for unit in units.itertuples(index=False):
        tokens = list(unit.tokens)
        here = block(unit.doc_id, unit.section_path)
        if carry is not None and carry["block"] != here:
            flush_into_previous(carry)
            carry = None
        if carry is None:
            current = {
                "doc_id": unit.doc_id,
                "unit_id": unit.unit_id,
                "section_path": unit.section_path,
                "unit_ids": [unit.unit_id],
                "tokens": tokens,
                "block": here,
            }
        else:
            current = carry
            current["unit_ids"].append(unit.unit_id)
            current["tokens"].extend(tokens)
        if len(current["tokens"]) < min_tokens:
            carry = current
            continue
        carry = None
        rows.append(current)
    if carry is not None:
        flush_into_previous(carry)
    frame = pd.DataFrame(rows, columns=["doc_id", "unit_id", "section_path", "unit_ids", "tokens"])
    frame["n_tokens"] = frame["tokens"].map(len)
    return frame[frame["n_tokens"] > 0].reset_index(drop=True)


def holdout_split(
    n_units: int, fraction: float, random_state: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of training and held-out units, drawn with ``random_state``.

    Returns
    -------
    (train, heldout) : tuple of ndarray
        Sorted indices; ``heldout`` is empty when ``fraction`` is 0 or there
        are fewer than 5 units.
    """
    n_heldout = int(round(n_units * fraction)) if fraction > 0 and n_units >= 5 else 0
    order = np.random.default_rng(random_state).permutation(n_units)
    return np.sort(order[n_heldout:]), np.sort(order[:n_heldout])


#: Called as ``report(done, total, label)`` as fits finish. Analyses print nothing
#: themselves: the pipeline (or a notebook) sets a reporter here to show progress.
FIT_PROGRESS: ContextVar[Callable[[int, int, str], None] | None] = ContextVar(
    "fit_progress", default=None
)


def parallel_map(
    tasks: list[tuple],
    function: Callable[..., Any],
    n_jobs: int,
    label: str = "fits",
    weights: Sequence[int] | None = None,
) -> list:
    """Run ``function(*task)`` for every task, in order, on ``n_jobs`` processes.

    Parameters
    ----------
    label : str
        What the tasks are, for the progress reporter (:data:`FIT_PROGRESS`).
    weights : sequence of int, optional
        Fits per task (default 1 each), so progress counts fits, not tasks.
    """
    report = FIT_PROGRESS.get()
    weights = list(weights) if weights is not None else [1] * len(tasks)
    total = sum(weights)
    if n_jobs == 1 or len(tasks) <= 1:
        outputs = (function(*task) for task in tasks)
    else:
        from joblib import Parallel, delayed

        outputs = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator")(
            delayed(function)(*task) for task in tasks
        )
    results, done = [], 0
    for output, weight in zip(outputs, weights, strict=True):
        results.append(output)
        done += weight
        if report is not None:
            report(done, total, label)
    return results
