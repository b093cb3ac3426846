"""The local engine's tables as Spark aggregations: units, overview, theme rates, KWIC, keywords.

Same names, columns and row order as the local stages (the tests compare
them): ``units``, ``corpus_overview``, ``theme_rates_by_speech``,
``theme_rates_by_section``, ``theme_rates_by_group``, ``theme_kwic``,
``keywords_by_speech`` and ``keywords_by_section``. Counting is Spark's;
the rules (what a hit is, KWIC matching, the section a unit belongs to, the
display order of groups) are the package's. A rate of a unit without tokens
is NULL in Spark (so ``avg`` skips it as pandas' ``mean`` skips NaN) and
NaN once collected.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence

import pandas as pd

from ....analysis.themes.kwic import KWIC_COLUMNS
from ....analysis.themes.rates import MISSING_GROUP, group_sort_key
from ....text.lexicon import Theme
from ....text.segment import OPENING_SECTION
from .schemas import KWIC_SCHEMA, SECTION_RATES_SCHEMA, SPEECH_RATES_SCHEMA, UNIT_FIELDS
from .tasks import kwic_partition, theme_rates_partition

#: Columns of ``units.csv`` (``Unit`` fields, space-joined tokens, their number).
UNITS_COLUMNS = ("doc_id", *UNIT_FIELDS, "n_tokens")


def _body(units):
    from pyspark.sql import functions as F

    return units.where(F.col("role") != "title")


def _top_section():
    """The top-level section of a unit: its first heading label (``''`` before the first heading)."""
    from pyspark.sql import functions as F

    return F.coalesce(
        *[F.when(F.col(f"h{level}_label") != "", F.col(f"h{level}_label")) for level in (1, 2, 3)],
        F.lit(""),
    )


def with_speech_order(frame, speeches):
    """``frame`` with its speech's ``order_key`` (the file order the local engine keeps)."""
    return frame.join(speeches.select("doc_id", "order_key"), "doc_id")


def units_table(units, speeches):
    """``units``: every paragraph unit in speech and reading order, tokens joined by spaces."""
    from pyspark.sql import functions as F

    ordered = with_speech_order(units, speeches).orderBy("order_key", "paragraph_index")
    return ordered.select(
        "doc_id",
        *UNIT_FIELDS[:-1],
        F.array_join("tokens", " ").alias("tokens"),
        F.size("tokens").cast("long").alias("n_tokens"),
    )


def cleaning_columns(speeches) -> list[tuple[str, str]]:
    """``(rule, column)`` of every cleaning rule: ``noise_<rule>``, or ``converted_<rule>`` for conversions."""
    first = speeches.select("removed_json", "changed_json").first()
    if first is None:
        return []
    changed = json.loads(first["changed_json"])
    return [
        (rule, f"converted_{rule}" if rule in changed else f"noise_{rule}")
        for rule in json.loads(first["removed_json"])
    ]


def corpus_overview(speeches, units, outlines):
    """``corpus_overview``: per speech, metadata, size before and after cleaning, outline and tokens."""
    from pyspark.sql import functions as F

    body = (
        _body(units)
        .groupBy("doc_id")
        .agg(
            F.count(F.lit(1)).alias("paragraphs"),
            F.sum(F.size("tokens")).cast("long").alias("tokens"),
            F.size(F.array_distinct(F.flatten(F.collect_list("tokens"))))
            .cast("long")
            .alias("types"),
        )
    )
    removed = F.from_json("removed_json", "map<string, long>")
    changed = F.from_json("changed_json", "map<string, long>")
    rules = [
        (changed if column.startswith("converted_") else removed)[rule].alias(column)
        for rule, column in cleaning_columns(speeches)
    ]
    meta = [
        F.coalesce(F.get_json_object("meta_json", f"$.{key}"), F.lit("")).alias(key)
        for key in ("level", "region", "year")
    ]
    table = (
        speeches.join(outlines.select("doc_id", "sections"), "doc_id", "left")
        .join(body, "doc_id", "left")
        .fillna(0, ["sections", "paragraphs", "tokens", "types"])
    )
    return table.orderBy("order_key").select(
        "doc_id",
        "file",
        "title",
        *meta,
        "format",
        "encoding",
        "chars_raw",
        "chars_clean",
        F.col("sections").cast("long").alias("sections"),
        "paragraphs",
        "tokens",
        "types",
        *rules,
    )


# --------------------------------------------------------------------------- theme rates


def _theme_rates(spark, speeches, themes: Sequence[Theme], blob, grain: str, schema: str):
    """The package's theme rates of every stored speech (``doc_id``, ``units``), in Spark tasks."""
    rows = speeches.select("doc_id", "units").rdd.mapPartitions(
        functools.partial(theme_rates_partition, blob=blob, themes=list(themes), grain=grain)
    )
    return spark.createDataFrame(rows, schema)


def theme_rates_by_speech(spark, speeches, themes: Sequence[Theme], blob):
    """``theme_rates_by_speech``: ``doc_id``, ``theme``, ``hits``, ``tokens``, ``rate_per_1k``.

    ``speeches`` are the stored speeches (one row each, with their units);
    ``blob`` is a broadcast of the pickled tokenizer (phrase terms are found
    with it, as the local ``themes`` stage does).
    """
    rates = _theme_rates(spark, speeches, themes, blob, "document", SPEECH_RATES_SCHEMA)
    return rates.orderBy("doc_id", "position").drop("position")


def theme_rates_by_section(spark, speeches, themes: Sequence[Theme], blob):
    """``theme_rates_by_section``: per top-level section, with its heading and reading order."""
    rates = _theme_rates(spark, speeches, themes, blob, "section", SECTION_RATES_SCHEMA)
    return rates.orderBy("doc_id", "position").drop("position")


def theme_rates_by_group(
    speech_rates, speeches, group_by: Sequence[str], theme_order: Sequence[str]
):
    """``theme_rates_by_group`` (speeches pooled per metadata group), in the local display order.

    The aggregation is Spark's; its rows (groups × themes) are collected and
    ordered with the package's :func:`group_sort_key`.
    """
    from pyspark.sql import functions as F

    meta = speeches.select("doc_id", "meta_json")
    parts = []
    for column in group_by:
        value = F.trim(F.coalesce(F.get_json_object("meta_json", f"$.{column}"), F.lit("")))
        labelled = meta.select(
            "doc_id", F.when(value == "", MISSING_GROUP).otherwise(value).alias("group")
        )
        parts.append(
            speech_rates.join(labelled, "doc_id")
            .groupBy("group", "theme")
            .agg(
                F.countDistinct("doc_id").alias("n_speeches"),
                F.array_join(F.array_sort(F.collect_set("doc_id")), " ").alias("doc_ids"),
                F.sum("hits").alias("hits"),
                F.sum("tokens").alias("tokens"),
                F.avg("rate_per_1k").alias("mean_speech_rate_per_1k"),
            )
            .withColumn("group_by", F.lit(column))
        )
    columns = ["group_by", "group", "theme", "n_speeches", "doc_ids", "hits", "tokens"]
    rows = [row.asDict() for part in parts for row in part.collect()]
    table = pd.DataFrame(rows, columns=[*columns, "mean_speech_rate_per_1k"])
    tokens = table["tokens"].astype("int64")
    table["rate_per_1k"] = (table["hits"] / tokens.where(tokens > 0) * 1000).astype("float64")
    rank = {name: index for index, name in enumerate(theme_order)}
    position = {column: index for index, column in enumerate(group_by)}
    keys = [
        (position[c], group_sort_key(c, g), rank.get(t, len(rank)))
        for c, g, t in zip(table["group_by"], table["group"], table["theme"], strict=True)
    ]
    table = table.iloc[sorted(range(len(table)), key=keys.__getitem__)].reset_index(drop=True)
    table = table.astype({"n_speeches": "int64", "hits": "int64", "tokens": "int64"})
    table["mean_speech_rate_per_1k"] = table["mean_speech_rate_per_1k"].astype("float64")
    return table[[*columns, "rate_per_1k", "mean_speech_rate_per_1k"]]


def kwic_frame(spark, units, themes: Sequence[Theme], window: int):
    """``theme_kwic``: the package's KWIC run per partition, sorted by theme, speech and offset."""
    rows = units.select("doc_id", *UNIT_FIELDS[:-1]).rdd.mapPartitions(
        functools.partial(kwic_partition, themes=list(themes), window=window)
    )
    return (
        spark.createDataFrame(rows, KWIC_SCHEMA)
        .orderBy("theme_rank", "doc_id", "char_offset")
        .select(*KWIC_COLUMNS)
    )


# --------------------------------------------------------------------------- keywords


def _term_counts(units, keys: list[str]):
    """``keys``, ``term``, ``count``: body tokens of every unit of ``keys`` (titles left out)."""
    from pyspark.sql import functions as F

    return (
        _body(units)
        .select(*keys, F.explode("tokens").alias("term"))
        .groupBy(*keys, "term")
        .agg(F.count(F.lit(1)).cast("long").alias("count"))
    )


def _tfidf_top(counts, keys: list[str], top_n: int, sublinear_tf: bool):
    """scikit-learn's TF-IDF (smooth idf, l2 norm) of the units of ``keys``, top ``top_n`` per unit.

    ``idf = ln((1 + n) / (1 + df)) + 1`` with ``n`` the units that have a
    token; ``tf = 1 + ln(count)`` when ``sublinear_tf``; ranked by weight,
    then count (higher first), then term. The squares of the l2 norm are
    summed in term order, as scikit-learn's columns are, so every run gives
    the same weights.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    n_units = counts.select(*keys).distinct().agg(F.count(F.lit(1)).alias("n"))
    frequency = counts.groupBy("term").agg(
        F.count(F.lit(1)).cast("long").alias("document_frequency")
    )
    tf = F.log(F.col("count")) + 1.0 if sublinear_tf else F.col("count").cast("double")
    idf = F.log((F.col("n") + 1.0) / (F.col("document_frequency") + 1.0)) + 1.0
    weighted = (
        counts.join(frequency, "term").crossJoin(F.broadcast(n_units)).withColumn("raw", tf * idf)
    )
    squares = weighted.groupBy(*keys).agg(
        F.aggregate(
            F.array_sort(F.collect_list(F.struct("term", "raw"))),
            F.lit(0.0),
            lambda total, item: total + item["raw"] * item["raw"],
        ).alias("sum_squares")
    )
    ranked = Window.partitionBy(*keys).orderBy(F.col("tfidf").desc(), F.col("count").desc(), "term")
    return (
        weighted.join(squares, keys)
        .withColumn("tfidf", F.col("raw") / F.sqrt("sum_squares"))
        .withColumn("rank", F.row_number().over(ranked).cast("long"))
        .where(F.col("rank") <= top_n)
    )


def keywords_by_speech(units, speeches, top_n: int, sublinear_tf: bool):
    """``keywords_by_speech``: the top TF-IDF terms of every speech, speeches as the documents."""
    top = _tfidf_top(_term_counts(units, ["doc_id"]), ["doc_id"], top_n, sublinear_tf)
    return (
        with_speech_order(top, speeches)
        .orderBy("order_key", "rank")
        .select("doc_id", "rank", "term", "tfidf", "count", "document_frequency")
    )


def keywords_by_section(units, speeches, top_n: int, sublinear_tf: bool):
    """``keywords_by_section``: the top TF-IDF terms of every top-level section, sections as the documents."""
    from pyspark.sql import functions as F

    sections = units.withColumn("section_path", _top_section())
    counts = _term_counts(sections, ["doc_id", "section_path"])
    top = _tfidf_top(counts, ["doc_id", "section_path"], top_n, sublinear_tf)
    starts = (
        _body(sections)
        .groupBy("doc_id", "section_path")
        .agg(F.min("paragraph_index").alias("start"))
    )
    unit_id = F.concat(
        "doc_id",
        F.lit(":"),
        F.when(F.col("section_path") == "", F.lit(OPENING_SECTION)).otherwise(
            F.col("section_path")
        ),
    )
    return (
        with_speech_order(top.join(starts, ["doc_id", "section_path"]), speeches)
        .orderBy("order_key", "start", "rank")
        .select(
            "doc_id",
            unit_id.alias("unit_id"),
            "section_path",
            "rank",
            "term",
            "tfidf",
            "count",
            "document_frequency",
        )
    )
