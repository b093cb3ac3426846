"""Files (or a dataset of speeches) → a DataFrame of cleaned speeches and the load report.

Reading and cleaning run in Spark tasks (:func:`.tasks.read_clean_partition`,
the project's :func:`~speechtopics.corpus.files.read_clean_file`); the
corpus-wide steps of the local loader follow as Spark operations: exact
duplicates (the first file in name order keeps the text), doc_id clashes
(renamed as the local loader does, on the few speeches concerned) and the
load report in the local engine's row order.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ....config import EngineSettings, Paths, Settings
from ....corpus.files import start_load
from ....corpus.load import build_cleaner
from ....corpus.metadata import Metadata
from ....corpus.model import LoadReport
from ....corpus.naming import unique_doc_id
from .schemas import SPEECH_FIELDS, spark_schema
from .tasks import LoadJob, clean_records_partition, read_clean_partition

#: Columns of ``load_report.csv`` (as :func:`~speechtopics.analysis.overview.load_report_table`).
REPORT_COLUMNS = ("file", "status", "doc_id", "format", "encoding", "reason")
#: Order of the report's blocks, as the local engine writes them.
BLOCKS = {"loaded": 0, "duplicate": 1, "skipped": 2, "ignored": 3, "warning": 4}


@dataclass
class LoadedSpeeches:
    """The speeches of a run on Spark.

    Attributes
    ----------
    speeches : DataFrame
        Loaded, deduplicated speeches with unique doc_ids (persisted on disk):
        the :data:`~.schemas.SPEECH_FIELDS` columns plus ``clash_note``.
    report : DataFrame
        ``load_report`` rows with the ordering columns ``block``, ``part``,
        ``order_key`` and ``seq``.
    metadata : Metadata
        ``metadata.csv`` as read on the driver.
    counts : dict
        ``files``, ``loaded``, ``skipped``, ``duplicates``.
    messages : list of str
        For the run summary.
    """

    speeches: Any
    report: Any
    metadata: Metadata
    counts: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def _dataset_format(source: str) -> str:
    lowered = source.lower().rstrip("/")
    return "json" if lowered.endswith((".jsonl", ".json", ".ndjson")) else "parquet"


def read_and_clean(spark, paths: Paths, engine: EngineSettings, job: LoadJob, files: list[Path]):
    """Every file (or dataset record) read and cleaned in Spark tasks: one row each, before dedupe.

    ``files`` are those the driver's walk of the folder chose (the ``list``
    reader hands them to the tasks; ``binaryFile`` reads what Spark lists and
    keeps them only).
    """
    schema = spark_schema(SPEECH_FIELDS)
    if engine.source:
        records = spark.read.format(_dataset_format(engine.source)).load(engine.source)
        rows = records.rdd.mapPartitions(functools.partial(clean_records_partition, job=job))
        return spark.createDataFrame(rows, schema)
    if engine.reader == "binaryFile" and files:
        listed = (
            spark.read.format("binaryFile")
            .option("recursiveFileLookup", "true")
            .load(str(paths.raw))
            .select("path", "content")
        )
        pairs = listed.rdd.map(lambda row: (row["path"], row["content"]))
        rows = pairs.mapPartitions(functools.partial(read_clean_partition, job=job))
        return spark.createDataFrame(rows, schema)
    listed = [str(Path(path).absolute()) for path in files]
    slices = max(1, -(-len(listed) // engine.files_per_task))
    pairs = spark.sparkContext.parallelize([(path, None) for path in listed], slices)
    rows = pairs.mapPartitions(functools.partial(read_clean_partition, job=job))
    return spark.createDataFrame(rows, schema)


def _with_copies(everything):
    """Each row with ``copy`` (1 = first file of its cleaned text) and ``duplicate_of``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    same_text = Window.partitionBy("clean_sha256").orderBy("order_key")
    loaded = F.col("status") == "loaded"
    return everything.withColumn(
        "copy", F.when(loaded, F.row_number().over(same_text)).otherwise(F.lit(1))
    ).withColumn(
        "duplicate_of",
        F.when(loaded, F.first("file").over(same_text.rowsBetween(Window.unboundedPreceding, 0))),
    )


def _clash_renames(spark, speeches) -> Any:
    """New doc_ids for speeches whose doc_id an earlier speech (in file order) already has.

    Only the speeches that can take part in a clash (same doc_id, or an id
    starting with a clashing id and ``.`` or ``_``) are brought to the driver;
    the local loader's rule (:func:`~speechtopics.corpus.files.unique_doc_id`)
    renames them in file order. Returns a DataFrame ``file``, ``new_doc_id``,
    ``clash_note`` (empty when nothing clashes).
    """
    from pyspark.sql import functions as F

    schema = "file string, new_doc_id string, clash_note string"
    clashing = speeches.groupBy("doc_id").count().where("count > 1").select("doc_id").collect()
    if not clashing:
        return spark.createDataFrame([], schema)
    ids = spark.createDataFrame([(row["doc_id"],) for row in clashing], "clash string")
    related = speeches.join(
        F.broadcast(ids),
        (F.col("doc_id") == F.col("clash"))
        | F.col("doc_id").startswith(F.concat(F.col("clash"), F.lit(".")))
        | F.col("doc_id").startswith(F.concat(F.col("clash"), F.lit("_"))),
    )
    rows = related.select("file", "order_key", "doc_id", "suffix").distinct().collect()
    used: set[str] = set()
    renames = []
    for row in sorted(rows, key=lambda r: bytes(r["order_key"])):
        doc_id = row["doc_id"]
        if doc_id in used:
            doc_id = unique_doc_id(doc_id, row["suffix"], used)
            note = f"another speech already has this doc_id; using {doc_id}"
            renames.append((row["file"], doc_id, note))
        used.add(doc_id)
    return spark.createDataFrame(renames, schema)


def _report_rows(ranked, speeches, driver_warnings):
    """The load report as a DataFrame with ordering columns (blocks as the local engine orders them)."""
    from pyspark.sql import functions as F

    empty = F.lit("")

    def row(status, doc_id, fmt, encoding, reason, part=0, seq=None):
        return [
            F.col("file").alias("file"),
            F.lit(status).alias("status"),
            doc_id.alias("doc_id"),
            fmt.alias("format"),
            encoding.alias("encoding"),
            reason.alias("reason"),
            F.lit(BLOCKS[status]).alias("block"),
            F.lit(part).alias("part"),
            F.col("order_key"),
            (F.lit(0) if seq is None else seq).cast("int").alias("seq"),
        ]

    loaded = speeches.select(
        *row("loaded", F.col("doc_id"), F.col("format"), F.col("encoding"), empty)
    )
    duplicates = ranked.where("copy > 1").select(
        *row("duplicate", empty, empty, empty, F.concat(F.lit("same text as "), "duplicate_of"))
    )
    skipped = ranked.where("status = 'skipped'").select(
        *row("skipped", empty, empty, empty, F.col("reason"))
    )
    notes = ranked.select("file", "order_key", F.posexplode("notes").alias("seq", "reason"))
    per_file = [
        notes.select(*row("warning", empty, empty, empty, F.col("reason"), 1, F.col("seq")))
    ]
    for seq, column in enumerate(("doc_id_note", "clash_note", "traditional_note"), start=1000):
        noted = speeches.where(F.col(column).isNotNull())
        per_file.append(
            noted.select(*row("warning", empty, empty, empty, F.col(column), 1, F.lit(seq)))
        )
    table = loaded.unionByName(duplicates).unionByName(skipped)
    for part in per_file:
        table = table.unionByName(part)
    return table.unionByName(driver_warnings)


def driver_rows(spark, rows: list[dict[str, str]], status: str, part: int):
    """Report rows made on the driver (``file`` and ``reason`` or ``message``), in their order.

    Warnings: metadata problems and a missing folder (part 0), near-duplicates
    (2), unmatched metadata rows (3); skipped: entries of the folder the walk
    could not use (part -1, before the files that failed to read); ignored.
    """
    return spark.createDataFrame(
        [
            (
                row["file"],
                status,
                "",
                "",
                "",
                row.get("reason", row.get("message", "")),
                BLOCKS[status],
                part,
                b"",
                seq,
            )
            for seq, row in enumerate(rows)
        ],
        "file string, status string, doc_id string, format string, encoding string, "
        "reason string, block int, part int, order_key binary, seq int",
    )


def warning_rows(spark, rows: list[tuple[str, str]], part: int):
    """Warnings made on the driver as ``(file, message)`` pairs (see :func:`driver_rows`)."""
    return driver_rows(spark, [{"file": f, "message": m} for f, m in rows], "warning", part)


def _walk_rows(spark, walked: LoadReport):
    """What the local loader reports before it reads a file: warnings, walk-skipped and ignored rows."""
    return (
        driver_rows(spark, walked.warnings, "warning", 0)
        .unionByName(driver_rows(spark, walked.skipped, "skipped", -1))
        .unionByName(driver_rows(spark, walked.ignored, "ignored", 0))
    )


def load_speeches(spark, paths: Paths, settings: Settings) -> LoadedSpeeches:
    """Read, clean and deduplicate the speeches in Spark; the load report as the local engine writes it.

    The driver walks the folder and reads ``metadata.csv`` as the local
    loader does (:func:`~speechtopics.corpus.files.start_load`); the files
    are read in Spark tasks.

    Returns
    -------
    LoadedSpeeches
        ``speeches`` is persisted on disk: later steps read it several times.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    engine = settings.engine
    metadata, walked, files = start_load(paths.raw, paths.metadata, walk=not engine.source)
    job = LoadJob(
        raw_dir=str(Path(paths.raw).absolute()),
        cleaner=build_cleaner(paths, settings),
        rows_by_file=metadata.rows_by_file,
        files=(
            frozenset(path.relative_to(paths.raw).as_posix() for path in files)
            if engine.reader == "binaryFile"
            else None
        ),
    )
    ranked = _with_copies(read_and_clean(spark, paths, engine, job, files))
    ranked = ranked.persist(StorageLevel.DISK_ONLY)
    first = ranked.where("status = 'loaded' and copy = 1").drop("copy", "duplicate_of")
    renames = _clash_renames(spark, first)
    speeches = (
        first.join(F.broadcast(renames), "file", "left")
        .withColumn("doc_id", F.coalesce("new_doc_id", "doc_id"))
        .drop("new_doc_id")
        .persist(StorageLevel.DISK_ONLY)
    )
    report = _report_rows(ranked, speeches, _walk_rows(spark, walked))
    counts = {
        row["status"]: row["count"]
        for row in report.where("block < 3").groupBy("status").count().collect()
    }
    loaded = LoadedSpeeches(speeches, report, metadata)
    loaded.counts = {
        "loaded": counts.get("loaded", 0),
        "duplicates": counts.get("duplicate", 0),
        "skipped": counts.get("skipped", 0),
    }
    ranked.unpersist()
    return loaded


def unmatched_rows(loaded: LoadedSpeeches, paths: Paths) -> list[tuple[str, str]]:
    """Metadata rows naming no loaded speech (the local loader's warning, checked on the driver)."""
    from ....corpus.files import unmatched_metadata_warnings

    matched = {
        row["row_key"]
        for row in loaded.speeches.where("row_key is not null")
        .select("row_key")
        .distinct()
        .collect()
    }
    warnings = unmatched_metadata_warnings(loaded.metadata, paths.metadata, paths.raw, matched)
    return [(row["file"], row["message"]) for row in warnings]


def ordered_report(report):
    """The report rows in the local engine's order, with its columns only."""
    return report.orderBy("block", "part", "order_key", "seq").select(*REPORT_COLUMNS)
