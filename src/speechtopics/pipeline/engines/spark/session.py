"""Starting Spark for a run: what is missing, the session's settings, stopping it again.

pyspark is an optional dependency (``pip install 'speechtopics[spark]'``)
and Spark 4 needs Java 17 or 21 (Debian: ``openjdk-17-jre-headless``);
:func:`spark_unavailable` says which is missing before anything starts.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ....config import EngineSettings

#: JVM options of ``[engine] quick_jvm``: the C1 compiler only and the serial collector.
QUICK_JVM_OPTIONS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"

PYSPARK_MISSING = (
    "pyspark is not installed: pip install 'speechtopics[spark]' (or make setup-spark)"
)
JAVA_MISSING = (
    "Java is not installed (Spark 4 needs Java 17 or 21; on Debian or Ubuntu: "
    "apt-get install openjdk-17-jre-headless)"
)


class SparkUnavailable(ValueError):
    """Spark cannot run here (pyspark or Java missing); the message says what to install."""


def spark_unavailable() -> str | None:
    """Why Spark cannot start on this machine, or None when it can."""
    if importlib.util.find_spec("pyspark") is None:
        return PYSPARK_MISSING
    java_home = os.environ.get("JAVA_HOME", "")
    if shutil.which("java") is None and not (java_home and os.path.isdir(java_home)):
        return JAVA_MISSING
    return None


def describe_spark() -> str:
    """One line for ``make setup``: whether the Spark engine can run here, else what to install."""
    reason = spark_unavailable()
    if reason is not None:
        return f"Spark engine (optional): not available: {reason}"
    from importlib.metadata import version

    java = shutil.which("java") or os.path.join(os.environ.get("JAVA_HOME", ""), "bin", "java")
    return f"Spark engine (optional): ready (pyspark {version('pyspark')}, Java at {java})"


def session_options(engine: EngineSettings) -> dict[str, str]:
    """The Spark settings of a run (``spark-submit --conf`` and ``spark-defaults.conf`` still apply).

    The web UI is off, timestamps are UTC, Python workers are reused (so a
    worker builds the tokenizer's dictionary once), Arrow is off (the engine
    moves rows, not pandas frames) and shuffles use ``shuffle_partitions``.
    """
    options = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.python.worker.reuse": "true",
        "spark.sql.execution.arrow.pyspark.enabled": "false",
        "spark.sql.shuffle.partitions": str(engine.shuffle_partitions),
        "spark.driver.memory": engine.driver_memory,
    }
    if engine.quick_jvm:
        options["spark.driver.extraJavaOptions"] = QUICK_JVM_OPTIONS
        options["spark.executor.extraJavaOptions"] = QUICK_JVM_OPTIONS
    return options


def submitted() -> bool:
    """True when ``spark-submit`` started this process (its ``--master`` then decides)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


@contextmanager
def spark_session(engine: EngineSettings, app: str = "speechtopics") -> Iterator[Any]:
    """A SparkSession for a run, stopped at the end unless it was already running.

    A session already running in this process (a notebook's, the tests' shared
    one, or ``spark-submit``'s) is used as it is, master included.

    Raises
    ------
    SparkUnavailable
        pyspark or Java is missing.
    """
    reason = spark_unavailable()
    if reason is not None:
        raise SparkUnavailable(reason)
    from pyspark.sql import SparkSession

    existing = SparkSession.getActiveSession()
    if engine.master.startswith("local"):
        # Python workers must run this interpreter (the one with the package);
        # SparkContext reads PYSPARK_PYTHON, not the spark.pyspark.python setting.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app)
    if existing is None and not submitted():
        builder = builder.master(engine.master)
    for key, value in session_options(engine).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        if existing is None:
            spark.stop()


if __name__ == "__main__":  # ``python -m speechtopics.pipeline.engines.spark.session``
    print(describe_spark())
