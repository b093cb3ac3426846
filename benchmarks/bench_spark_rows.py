"""The ``spark`` rows of ``benchmarks/run.py``: ratios of the Spark engine measured in one run.

The jobs are :mod:`bench_spark`'s; skipped with a row saying why when Spark
cannot run here (no pyspark or no Java).
"""

from __future__ import annotations

from collections.abc import Callable

from _common import median

COMMAND = "benchmarks/bench_spark.py {job} --raw <corpus> --work <new folder>"


def _mb(value: float) -> str:
    return f"{value:,.0f} MiB"


def _unavailable_row(row_type, reason: str):
    return [row_type("spark: skipped", "—", reason, None, "—", None, "make setup-spark")]


def spark_rows(repeats: int, progress: Callable[[str], None], row_type) -> list:
    """Rows: bench-500 on local[2] against the local engine; 10× against 1× on Spark."""
    from bench_spark import measure

    from speechtopics.pipeline.engines.spark.session import spark_unavailable

    reason = spark_unavailable()
    if reason is not None:
        return _unavailable_row(row_type, reason)
    measured = measure(repeats, progress)
    local, spark, x10 = measured["local"], measured["spark"], measured["spark10"]

    def med(results, key):
        return median([r.report[key] for r in results])

    def peak(results, kind):
        return median([r.report["peak_rss_mb"][kind] for r in results])

    size = spark[0].report
    label = f"bench-500 ({size['speeches']} speeches, {size['chars'] / 1e6:.1f} M chars, {size['units']:,} units)"
    big = x10[0].report
    label10 = f"10× ({big['speeches']:,} speeches, {big['chars'] / 1e6:.1f} M chars, {big['units']:,} units)"
    local_cmd, spark_cmd = (
        COMMAND.format(job="local"),
        COMMAND.format(job="spark") + " --driver-memory 512m",
    )
    rows = [
        row_type(
            f"spark {label}: tokenize + themes, local[2] wall / local engine",
            f"{med(local, 'seconds'):.0f} s",
            f"{med(spark, 'seconds'):.0f} s",
            med(spark, "seconds") / med(local, "seconds"),
            "—",
            None,
            f"{spark_cmd}; {local_cmd}",
        ),
        row_type(
            f"spark {label}: CPU seconds of the process tree, local[2] / local engine",
            f"{med(local, 'cpu_seconds'):.0f} s",
            f"{med(spark, 'cpu_seconds'):.0f} s",
            med(spark, "cpu_seconds") / med(local, "cpu_seconds"),
            "—",
            None,
            f"{spark_cmd}; {local_cmd}",
        ),
        row_type(
            f"spark {label}: peak RSS of the process tree, local[2] / local engine",
            _mb(peak(local, "tree")),
            _mb(peak(spark, "tree")),
            peak(spark, "tree") / peak(local, "tree"),
            "—",
            None,
            f"{spark_cmd}; {local_cmd}",
        ),
        row_type(
            f"spark {label10}: Python driver peak RSS / bench-500's",
            _mb(peak(spark, "driver_python")),
            _mb(peak(x10, "driver_python")),
            peak(x10, "driver_python") / peak(spark, "driver_python"),
            "≤ 1.5×",
            peak(x10, "driver_python") <= 1.5 * peak(spark, "driver_python"),
            spark_cmd + " (10×: once)",
        ),
        row_type(
            f"spark {label10}: JVM (driver and executors, 512m heap) peak RSS / bench-500's",
            _mb(peak(spark, "jvm")),
            _mb(peak(x10, "jvm")),
            peak(x10, "jvm") / peak(spark, "jvm"),
            "≤ 1.5×",
            peak(x10, "jvm") <= 1.5 * peak(spark, "jvm"),
            spark_cmd + " (10×: once)",
        ),
        row_type(
            f"spark {label10}: wall and CPU time / bench-500's",
            f"{med(spark, 'seconds'):.0f} s, {med(spark, 'cpu_seconds'):.0f} CPU s",
            f"{med(x10, 'seconds'):.0f} s, {med(x10, 'cpu_seconds'):.0f} CPU s",
            med(x10, "cpu_seconds") / med(spark, "cpu_seconds"),
            "—",
            None,
            spark_cmd + " (10×: once)",
        ),
    ]
    return rows
