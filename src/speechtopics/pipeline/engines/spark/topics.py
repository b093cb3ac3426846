"""Topics on Spark: MLlib's online LDA on the project's topic units, K chosen by its coherence.

1. Topic units: the package's ``Corpus.at_grain`` and ``topic_units`` run per
   speech in Spark tasks (short units merged as the local engine merges them).
2. Vocabulary: words in at least ``[topics] no_below`` units and at most
   ``no_above`` of them (as ``build_dictionary``), in term order, counted by
   Spark; bags of words by MLlib's ``CountVectorizerModel``.
3. K: the package's coarse-to-fine search (:func:`~speechtopics.analysis.topics.select.search_k`);
   every fit is scored by the package's coherence measures on a sample of
   units brought to the driver, held-out perplexity (MLlib's bound) and the
   agreement of top words across seeds, and K is chosen by
   :func:`~speechtopics.analysis.topics.select.choose_k`.
4. Reported topics: one fit per ``[topics] seeds`` at that K; the first
   seed's is reported, the others give each topic's stability.

What MLlib allows as priors (``pyspark.ml.clustering.LDA``): a document–topic
prior ``docConcentration`` that may be one value or one per topic (an
asymmetric alpha, online optimizer only), and a topic–word prior
``topicConcentration`` that is one number for every topic and word. There is
no per-word prior and no way to start from given topics, so the seeded
theme topics (the lexicon's seed words as a topic–word prior) are fitted by
the local engine's code on the driver, when the corpus fits there.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ....analysis.topics.align import top_words
from ....analysis.topics.coherence import COHERENCE_MEASURES, coherence_scores
from ....analysis.topics.select import search_k
from ....config import EngineSettings, TopicSettings
from .schemas import TOPIC_UNIT_SCHEMA, UNIT_FIELDS
from .tasks import topic_units_partition

#: Grains the Spark engine builds topic units at (sentences are segmented on demand locally).
SPARK_GRAINS = ("paragraph", "section", "document")


@dataclass
class LdaFit:
    """One MLlib LDA fit: its model and what the sweep scores."""

    k: int
    seed: int
    iterations: int
    model: Any
    topics: list[list[str]]
    perplexity: float


@dataclass
class TopicData:
    """The topic units of a run, their bags of words and what scoring needs.

    Attributes
    ----------
    units : DataFrame
        Topic units with ``features`` (bags of words), ``n_tokens`` (vocabulary
        tokens) and ``heldout``; units without a vocabulary word left out.
    train, heldout : DataFrame
        Fixed partitions (a seed gives the same topics on every run).
    grain_units : DataFrame
        Every unit of the grain (not merged) with a vocabulary word, with
        ``features`` and ``n_tokens``: the units ``doc_topic`` describes.
    vocab : list of str
    term_frequency : ndarray
        Count of every vocabulary word in the topic units.
    sample : list of list of str
        Tokens of the units the coherence is measured on.
    n_units : int
        Topic units with a vocabulary word.
    """

    units: Any
    train: Any
    heldout: Any
    grain_units: Any
    vocab: list[str]
    term_frequency: np.ndarray
    sample: list[list[str]]
    n_units: int
    n_heldout: int = 0
    cached: list[Any] = field(default_factory=list)

    def release(self) -> None:
        """Drop the cached partitions."""
        for frame in self.cached:
            frame.unpersist()


def topic_units_frame(spark, units, grain: str, min_tokens: int, merge: bool = True):
    """The project's topic units of every speech (``doc_id``, ``unit_id``, ``section_path``, ``tokens``, ``position``).

    ``merge``: the training units (short units merged); else every unit of the grain.
    """
    from pyspark.sql import functions as F

    fields = ["paragraph_index", *[name for name in UNIT_FIELDS if name != "paragraph_index"]]
    speeches = units.groupBy("doc_id").agg(
        F.array_sort(F.collect_list(F.struct(*fields))).alias("units")
    )
    rows = speeches.rdd.mapPartitions(
        functools.partial(topic_units_partition, grain=grain, min_tokens=min_tokens, merge=merge)
    )
    return spark.createDataFrame(rows, TOPIC_UNIT_SCHEMA)


def vocabulary(topic_units, no_below: int, no_above: float) -> tuple[list[str], np.ndarray]:
    """Words in at least ``no_below`` units and at most ``no_above`` of them, in term order, with counts."""
    from pyspark.sql import functions as F

    n_units = topic_units.count()
    most = int(no_above * n_units)
    words = (
        topic_units.select("unit_id", F.explode("tokens").alias("term"))
        .groupBy("term")
        .agg(F.countDistinct("unit_id").alias("df"), F.count(F.lit(1)).alias("count"))
        .where((F.col("df") >= no_below) & (F.col("df") <= most))
        .orderBy("term")
        .collect()
    )
    return [row["term"] for row in words], np.array([row["count"] for row in words], dtype=float)


def _hash_order(column: str, seed: int):
    from pyspark.sql import functions as F

    return F.xxhash64(F.col(column), F.lit(seed))


def _bags(model, units):
    """Bags of words and vocabulary tokens of units; those without a vocabulary word left out."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    total = F.aggregate(vector_to_array("features"), F.lit(0.0), lambda acc, value: acc + value)
    bags = model.transform(units).withColumn("n_tokens", total.cast("long"))
    return bags.where(F.col("n_tokens") > 0)


def prepare_topic_data(
    spark, topic_units, grain_units, settings: TopicSettings, engine: EngineSettings
) -> TopicData | None:
    """Vocabulary, bags of words, the held-out split and the coherence sample; None when too few."""
    from pyspark import StorageLevel
    from pyspark.ml.feature import CountVectorizerModel
    from pyspark.sql import functions as F

    vocab, frequency = vocabulary(topic_units, settings.no_below, settings.no_above)
    if len(vocab) < 2:
        return None
    model = CountVectorizerModel.from_vocabulary(vocab, inputCol="tokens", outputCol="features")
    bags = _bags(model, topic_units)
    n_units = bags.count()
    share = settings.holdout_fraction if n_units >= 5 else 0.0
    bucket = F.pmod(_hash_order("unit_id", settings.split_seed), F.lit(10_000))
    bags = bags.withColumn("heldout", bucket < int(round(share * 10_000)))
    fixed = bags.repartition(engine.lda_partitions, "unit_id").sortWithinPartitions("unit_id")
    fixed = fixed.persist(StorageLevel.DISK_ONLY)
    train, heldout = fixed.where(~F.col("heldout")), fixed.where(F.col("heldout"))
    sample = (
        topic_units.orderBy(_hash_order("unit_id", settings.split_seed), "unit_id")
        .limit(engine.coherence_sample)
        .select("tokens")
        .collect()
    )
    return TopicData(
        units=fixed,
        train=train,
        heldout=heldout,
        grain_units=_bags(model, grain_units),
        vocab=vocab,
        term_frequency=frequency,
        sample=[list(row["tokens"]) for row in sample],
        n_units=n_units,
        n_heldout=heldout.count(),
        cached=[fixed],
    )


def doc_concentration(alpha: str | float, k: int) -> list[float] | None:
    """MLlib's ``docConcentration`` for ``[topics] alpha`` (None = MLlib's default, 1/K each).

    ``asymmetric`` is gensim's: ``1 / (i + sqrt(K))`` normalised to sum 1.
    """
    if alpha == "symmetric":
        return None
    if alpha == "asymmetric":
        values = np.array([1.0 / (i + math.sqrt(k)) for i in range(k)])
        return list(values / values.sum())
    return [float(alpha)]


def fit_lda(data: TopicData, k: int, seed: int, iterations: int, settings, engine) -> LdaFit:
    """One online LDA fit on the training units, with its top words and held-out perplexity."""
    from pyspark.ml.clustering import LDA

    lda = LDA(
        k=int(k),
        seed=int(seed),
        maxIter=int(iterations),
        optimizer="online",
        subsamplingRate=engine.lda_subsampling,
        optimizeDocConcentration=False,
        featuresCol="features",
    )
    alpha = doc_concentration(settings.alpha, k)
    if alpha is not None:
        lda.setDocConcentration(alpha)
    model = lda.fit(data.train)
    topic_word = np.asarray(model.topicsMatrix().toArray()).T
    perplexity = math.exp(model.logPerplexity(data.heldout)) if data.n_heldout else float("nan")
    return LdaFit(
        k, seed, iterations, model, top_words(topic_word, data.vocab, settings.top_n), perplexity
    )


def _score(fits: list[LdaFit], data: TopicData, search_round: int) -> pd.DataFrame:
    """The sweep rows of ``fits``: coherence on the sample, perplexity, agreement across seeds."""
    from ....analysis.topics.align import mean_best_match_jaccard

    scores = coherence_scores([fit.topics for fit in fits], data.sample, COHERENCE_MEASURES)
    rows = []
    for fit, score in zip(fits, scores, strict=True):
        row: dict[str, Any] = {"k": fit.k, "seed": fit.seed}
        for measure in COHERENCE_MEASURES:
            row[measure] = float(np.nanmean(score[measure])) if score[measure] else float("nan")
        row["perplexity"] = fit.perplexity
        others = [other.topics for other in fits if other.k == fit.k and other.seed != fit.seed]
        row["stability"] = (
            float(np.mean([mean_best_match_jaccard([fit.topics, other]) for other in others]))
            if others
            else float("nan")
        )
        row["round"] = search_round
        rows.append(row)
    return pd.DataFrame(
        rows, columns=["k", "seed", *COHERENCE_MEASURES, "perplexity", "stability", "round"]
    )


def sweep_lda(
    data: TopicData,
    k_values: list[int],
    settings: TopicSettings,
    engine: EngineSettings,
    report=None,
):
    """The K sweep: MLlib fits scored by the package's measures; every fit kept for reuse.

    Returns
    -------
    (scores, fits)
        ``scores`` as the local ``topic_k_sweep``; ``fits`` by ``(k, seed)``.
    """
    seeds = list(settings.seeds[: settings.sweep_seeds])
    iterations = max(1, round(settings.sweep_share * engine.lda_iterations))
    fits: dict[tuple[int, int], LdaFit] = {}

    def sweep(ks: list[int], search_round: int) -> pd.DataFrame:
        done = []
        for k in ks:
            for seed in seeds:
                fits[(k, seed)] = fit_lda(data, k, seed, iterations, settings, engine)
                done.append(fits[(k, seed)])
                if report is not None:
                    report(f"K sweep: K={k}, seed {seed} fitted ({len(fits)} fits)")
        return _score(done, data, search_round)

    return search_k(k_values, settings.sweep_points, sweep), fits


def reported_fits(data: TopicData, k: int, sweep_fits: dict, settings, engine) -> list[LdaFit]:
    """One fit per ``[topics] seeds`` at K (sweep fits with the full iterations are reused)."""
    fits = []
    for seed in settings.seeds:
        found = sweep_fits.get((k, seed))
        if found is not None and found.iterations == engine.lda_iterations:
            fits.append(found)
        else:
            fits.append(fit_lda(data, k, seed, engine.lda_iterations, settings, engine))
    return fits
