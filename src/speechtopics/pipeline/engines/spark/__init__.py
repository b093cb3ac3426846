"""The Spark engine: ``speechtopics run --engine spark [--master URL]``.

The project's own code runs inside Spark tasks — reading and cleaning
(:mod:`speechtopics.corpus.files`), outline segmentation and the
:class:`~speechtopics.text.tokenize.Tokenizer` (shipped pickled, with its
user dictionary inside), KWIC and topic units — and Spark does the counting
(DataFrame aggregations) and the topic model (MLlib's online LDA).

Modules: :mod:`.session` (starting Spark), :mod:`.tasks` (what runs in the
Python workers), :mod:`.load` (files → speeches, duplicates, load report),
:mod:`.store` (Parquet store of units and tokens, reused by the next run),
:mod:`.tables` (units, overview, theme rates, KWIC, TF-IDF keywords),
:mod:`.topics` (MLlib LDA, K chosen by the project's coherence),
:mod:`.driver` (the analyses Spark does not run, on the driver when the
corpus fits there) and :mod:`.run` (the run: outputs, report, manifest).
pyspark is imported only inside functions, so importing this package never
needs it.
"""

from __future__ import annotations
