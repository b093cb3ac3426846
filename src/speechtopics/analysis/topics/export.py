"""A fitted topic model as data: written by a run, read back without refitting.

:class:`FittedTopics` holds what a reader needs — topic names and labels,
the vocabulary, the topic–word pseudo-counts and priors — and turns them
back into a gensim model for inference (:meth:`FittedTopics.transform`).
Its bytes are a NumPy ``.npz`` archive of plain arrays (no pickles), so
reading a model back can never run code.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from gensim.corpora import Dictionary
from gensim.models import LdaModel

from .describe import topic_word_frame
from .ensemble import TopicEnsemble, infer_doc_topic, model_from_lambda


@dataclass
class FittedTopics:
    """The reported topics of a run, readable without refitting.

    Attributes
    ----------
    names_ : list of str
        Topic names as reported (``T1``…, or theme names and ``F1``…).
    labels_ : list of str
        Topic labels as reported.
    vocab_ : list of str
        Vocabulary in word-id order.
    lambda_ : ndarray, shape (K, V)
        Topic–word pseudo-counts of the averaged model.
    alpha_ : ndarray, shape (K,)
        Document–topic prior.
    eta_ : ndarray, shape (K, V)
        Topic–word prior.
    """

    names_: list[str]
    labels_: list[str]
    vocab_: list[str]
    lambda_: np.ndarray
    alpha_: np.ndarray
    eta_: np.ndarray

    @classmethod
    def from_ensemble(
        cls,
        ensemble: TopicEnsemble,
        order: Sequence[str],
        names: Sequence[str],
        labels: Sequence[str],
    ) -> FittedTopics:
        """The topics of ``ensemble`` in the reported ``order`` (fit names), under reported ``names``."""
        permutation = [ensemble.names.index(name) for name in order]
        model = ensemble.model
        eta = np.broadcast_to(np.asarray(model.eta, dtype=float), model.state.get_lambda().shape)
        return cls(
            names_=list(names),
            labels_=list(labels),
            vocab_=ensemble.vocab,
            lambda_=model.state.get_lambda()[permutation].copy(),
            alpha_=np.asarray(model.alpha, dtype=float)[permutation].copy(),
            eta_=eta[permutation].copy(),
        )

    @property
    def topic_word_(self) -> np.ndarray:
        """Topic–word distributions, shape (K, V)."""
        return self.lambda_ / self.lambda_.sum(axis=1, keepdims=True)

    def topic_word_frame(self) -> pd.DataFrame:
        """Topic–word distributions as a DataFrame: index = topic names, columns = words."""
        return topic_word_frame(self.topic_word_, self.vocab_, self.names_)

    def to_bytes(self) -> bytes:
        """The model as a ``.npz`` archive of plain arrays."""
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            names=np.array(self.names_, dtype=str),
            labels=np.array(self.labels_, dtype=str),
            vocab=np.array(self.vocab_, dtype=str),
            lambda_=self.lambda_,
            alpha=self.alpha_,
            eta=self.eta_,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> FittedTopics:
        """Read :meth:`to_bytes` output back (pickles refused)."""
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return cls(
                names_=[str(name) for name in archive["names"]],
                labels_=[str(label) for label in archive["labels"]],
                vocab_=[str(word) for word in archive["vocab"]],
                lambda_=archive["lambda_"],
                alpha_=archive["alpha"],
                eta_=archive["eta"],
            )

    def model(self) -> LdaModel:
        """A gensim ``LdaModel`` with these topics, ready for inference."""
        dictionary = Dictionary()
        dictionary.token2id = {word: index for index, word in enumerate(self.vocab_)}
        dictionary.id2token = dict(enumerate(self.vocab_))
        return model_from_lambda(dictionary, self.lambda_, self.alpha_, self.eta_, 0)

    def transform(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Topic proportions of units given as token lists (rows sum to 1; empty units all 0).

        Words outside the vocabulary are ignored, as in the run.
        """
        index = {word: i for i, word in enumerate(self.vocab_)}
        bow = []
        for tokens in token_lists:
            counts: dict[int, int] = {}
            for token in tokens:
                if token in index:
                    counts[index[token]] = counts.get(index[token], 0) + 1
            bow.append(sorted(counts.items()))
        proportions = np.zeros((len(bow), len(self.names_)))
        kept = [row for row, doc in enumerate(bow) if doc]
        if kept:
            proportions[kept] = infer_doc_topic(self.model(), [bow[row] for row in kept])
        return proportions
