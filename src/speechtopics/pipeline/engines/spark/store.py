"""The Parquet store of units and tokens: written by one run, reused by the next.

One dataset, ``speeches``, under the store folder (``[engine] store``, by
default ``data/interim/spark``), partitioned by ``tokenizer=<key>``, the key
of the tokenizer and of the text layer's code (as the local token cache).
One row per speech: ``doc_id``, ``clean_sha256`` (of its cleaned text), its
``units`` (every :class:`~speechtopics.text.segment.Unit` field and
``tokens``), its section ``outline`` (top-level sections, headings, reading
order) and its number of top-level ``sections``. A speech and its units are
written by one job, so an interrupted run never leaves units without their
speech; the units are exploded when read.

A run tokenizes only the speeches whose ``(doc_id, clean_sha256)`` is not
yet stored under the current key and appends them; editing the user
dictionary, the stopwords, the ``[tokenize]`` settings or the text code
gives a new key and so a fresh partition. Speeches removed from the corpus
stay in the store (they are never read again); delete the folder to reclaim
the space.
"""

from __future__ import annotations

import functools
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ....corpus.load import token_cache_key
from ....io import sha256_hex
from ....text.tokenize import Tokenizer
from .schemas import TOKENIZED_SCHEMA
from .tasks import pickled_tokenizer, tokenize_partition

DATASET = "speeches"


def store_key(tokenizer: Tokenizer) -> str:
    """The partition value of a tokenizer (16 hex digits of its token cache key)."""
    return sha256_hex(token_cache_key(tokenizer))[:16]


@dataclass
class StoredUnits:
    """The current speeches' units and section outlines, read back from the store.

    Attributes
    ----------
    units : DataFrame
        One row per paragraph unit of the current speeches.
    outlines : DataFrame
        One row per current speech: ``doc_id``, ``clean_sha256``, ``outline``, ``sections``.
    tokenized : int
        Speeches segmented and tokenized in this run.
    reused : int
        Speeches taken from the store.
    key : str
        The tokenizer partition.
    speeches : DataFrame
        One row per current speech: ``doc_id`` and its ``units`` (an array of unit structs).
    """

    units: Any
    outlines: Any
    tokenized: int
    reused: int
    key: str
    speeches: Any = None


def tokenize_speeches(spark, speeches, tokenizer: Tokenizer):
    """Segment and tokenize speeches in Spark tasks: one row per speech with its units and outline."""
    blob = spark.sparkContext.broadcast(pickled_tokenizer(tokenizer))
    rows = speeches.select("doc_id", "clean_sha256", "text").rdd.mapPartitions(
        functools.partial(tokenize_partition, blob=blob)
    )
    return spark.createDataFrame(rows, TOKENIZED_SCHEMA)


def _read_store(spark, store: Path, key: str, wanted):
    """The stored rows of the ``wanted`` speeches (``doc_id``, ``clean_sha256``) under ``key``."""
    from pyspark.sql import functions as F

    stored = spark.read.parquet(str(store / DATASET)).where(F.col("tokenizer") == key)
    stored = stored.drop("tokenizer").join(wanted, ["doc_id", "clean_sha256"], "left_semi")
    return stored.dropDuplicates(["doc_id", "clean_sha256"])


def update_store(
    spark, speeches, tokenizer: Tokenizer, store: Path, speeches_per_task: int, force: bool = False
) -> StoredUnits:
    """Tokenize the speeches the store lacks, append them, and read back the current speeches' units.

    Parameters
    ----------
    speeches : DataFrame
        The run's speeches (``doc_id``, ``clean_sha256``, ``text``).
    store : Path
        The store folder.
    speeches_per_task : int
        Speeches per tokenize task (after a shuffle Spark leaves few, large partitions).
    force : bool
        Drop this tokenizer's partition first: every speech is tokenized again.

    Returns
    -------
    StoredUnits
    """

    from pyspark.sql import functions as F

    key = store_key(tokenizer)
    partition = store / DATASET / f"tokenizer={key}"
    if force:
        shutil.rmtree(partition, ignore_errors=True)
    wanted = speeches.select("doc_id", "clean_sha256")
    todo = speeches
    if partition.exists():
        done = spark.read.parquet(str(store / DATASET)).where(F.col("tokenizer") == key)
        todo = speeches.join(
            done.select("doc_id", "clean_sha256"), ["doc_id", "clean_sha256"], "left_anti"
        )
    count = todo.count()
    if count:
        tasks = max(spark.sparkContext.defaultParallelism, math.ceil(count / speeches_per_task))
        tokenized = tokenize_speeches(spark, todo.repartition(tasks, "doc_id"), tokenizer)
        tokenized.withColumn("tokenizer", F.lit(key)).write.mode("append").partitionBy(
            "tokenizer"
        ).parquet(str(store / DATASET))
    stored = _read_store(spark, store, key, wanted)
    units = stored.select("doc_id", "clean_sha256", F.explode("units").alias("unit")).select(
        "doc_id", "clean_sha256", "unit.*"
    )
    outlines = stored.select("doc_id", "clean_sha256", "outline", "sections")
    total = wanted.count()
    return StoredUnits(
        units,
        outlines,
        tokenized=count,
        reused=total - count,
        key=key,
        speeches=stored.select("doc_id", "units"),
    )


def store_folder(interim: Path, setting: str, project_root: Path) -> Path:
    """The store folder: ``[engine] store`` (relative to the project) or ``<interim>/spark``."""
    if not setting:
        return Path(interim) / "spark"
    folder = Path(setting)
    return folder if folder.is_absolute() else (project_root / folder).resolve()
