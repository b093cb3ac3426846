"""Growing a corpus: start the topic models from the previous run's instead of from scratch.

When a few speeches are added (or changed, or removed) the topics of the
previous run are still a good answer. A rerun then keeps the previous K
(no sweep), fits one model per seed pulled towards the previous topics (their
word distributions as extra prior pseudo-counts, ``warm_weight`` of a
topic's share of the tokens), and starts the seeded theme topics from the
previous theme topics. Topic identities are kept by the usual matching.
Above ``[topics] refit_above`` of the speeches changed, everything is
refitted. The pipeline decides and says which it did, with the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from gensim.corpora import Dictionary

from .export import FittedTopics

#: Tables of the K search a warm start carries over from the previous run.
SWEEP_TABLES = ("topic_k_sweep", "topic_k_summary", "topic_k_choice")


@dataclass
class WarmStart:
    """What a rerun takes from the previous run.

    Attributes
    ----------
    k : int
        The previous run's K.
    topics : FittedTopics
        Its reported topics.
    theme_topics : FittedTopics or None
        Its seeded theme topics.
    sweep_tables : dict
        Its K-search tables (:data:`SWEEP_TABLES`), reported again.
    changed, total : int
        Speeches added, changed or removed; speeches now.
    """

    k: int
    topics: FittedTopics
    theme_topics: FittedTopics | None
    sweep_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    changed: int = 0
    total: int = 0

    def describe(self, refit_above: float) -> str:
        """One line for the run summary."""
        share = self.changed / max(1, self.total)
        return (
            f"topics started from the previous run (K = {self.k} kept): {self.changed} of "
            f"{self.total} speeches added, changed or removed ({share:.0%}); "
            f"a full refit happens above {refit_above:.0%}"
        )


def mapped_rows(topics: FittedTopics, dictionary: Dictionary, names: list[str] | None = None):
    """The topics' ``lambda_`` rows on ``dictionary``'s word ids (words it lacks: 0).

    Parameters
    ----------
    names : list of str, optional
        Rows in this order (by topic name); all of them in their order when None.
    """
    rows = (
        list(range(len(topics.names_)))
        if names is None
        else [topics.names_.index(n) for n in names]
    )
    mapped = np.zeros((len(rows), len(dictionary)))
    columns = [
        (old, dictionary.token2id[word])
        for old, word in enumerate(topics.vocab_)
        if word in dictionary.token2id
    ]
    if columns:
        old_ids, new_ids = (np.array(ids) for ids in zip(*columns, strict=True))
        mapped[:, new_ids] = topics.lambda_[np.ix_(rows, old_ids)]
    return mapped


def warm_prior(
    topics: FittedTopics, dictionary: Dictionary, tokens: int, weight: float
) -> np.ndarray:
    """K × V prior pseudo-counts pulling each topic towards a previous topic.

    Each previous topic's word distribution (on this vocabulary) times
    ``weight`` × tokens / K: the prior weighs as much as ``weight`` of an
    average topic's share of the training tokens.
    """
    mapped = mapped_rows(topics, dictionary)
    totals = mapped.sum(axis=1, keepdims=True)
    distributions = np.divide(mapped, totals, out=np.zeros_like(mapped), where=totals > 0)
    return distributions * weight * tokens / max(1, len(topics.names_))
