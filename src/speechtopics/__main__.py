"""``python -m speechtopics`` and ``spark-submit …/speechtopics/__main__.py run --engine spark``.

spark-submit needs a ``.py`` file to run; this one is the command line.
"""

from speechtopics.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
