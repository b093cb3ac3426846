"""Where a run computes: the local engine (this Python process) or Apache Spark.

``[engine] name`` (or ``speechtopics run --engine``) chooses. The local
engine is :func:`speechtopics.pipeline.run.run`'s own stage loop; the Spark
engine (:mod:`.spark`) runs the same code inside Spark tasks and writes the
same tables. Nothing below the pipeline layer imports pyspark: it is an
optional dependency (``pip install 'speechtopics[spark]'``).
"""

from __future__ import annotations

ENGINES: tuple[str, ...] = ("local", "spark")
