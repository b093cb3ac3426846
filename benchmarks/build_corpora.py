"""Build the benchmark corpora from the shared bench material (deterministic, one seed).

Reads ``../shared/corpus/bench`` (``xi-jhsjk-paragraphs/paragraphs.txt`` and
``xi-speeches-2020/``) and writes three speech folders, each loadable with
``speechtopics run --raw DIR`` (``DIR/*.txt`` plus ``DIR/metadata.csv``):

``bench-long``
    The jhsjk paragraphs grouped in file order into documents of about
    ``--doc-chars`` characters (one paragraph per line), plus every text of
    xi-speeches-2020 that is not a near-duplicate of another (the source's
    ``near_duplicate_of`` column). About 100 documents, 1.2 M characters.
``bench-500``
    ``--n-resampled`` documents of about ``--doc-chars`` characters, each made
    of paragraphs drawn with replacement from the pooled paragraphs of both
    sources (about 10 M characters). Repeated paragraphs are expected.
``bench-short500``
    ``--n-short`` one-paragraph speeches: jhsjk paragraphs of at least
    ``--short-min-chars`` characters drawn without replacement.

Metadata honesty
----------------
* ``year``: xi-speeches-2020 texts get their publication year (2020; one of
  them republishes a 2018 speech). The jhsjk paragraphs carry no dates, so
  their documents, and every resampled or short document, get a **synthetic
  year drawn with the seed** (2013–2022); ``source`` and ``notes`` say so.
  Trends over these years are a null test: any "trend" found is noise.
* ``level``: every text comes from the national leader's speech database,
  so ``中央`` is true of all of them (and constant).
* ``group``: an extra, **synthetic** categorical column (``synthetic-A`` …
  ``synthetic-C``, drawn with the seed) for the comparison features; it means
  nothing, so group differences on it are also a null test.
* ``speaker`` and ``region`` are left empty.

Run::

    .venv/bin/python benchmarks/build_corpora.py [--out benchmarks/corpora] [--seed 20240601]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

BENCHMARKS_DIR = Path(__file__).resolve().parent
BENCH_DIR = BENCHMARKS_DIR.parent.parent / "shared" / "corpus" / "bench"
DEFAULT_OUT = BENCHMARKS_DIR / "corpora"
CORPORA = ("bench-long", "bench-500", "bench-short500")
METADATA_COLUMNS = (
    "doc_id",
    "file",
    "title",
    "level",
    "region",
    "year",
    "speaker",
    "source",
    "notes",
    "group",
)
LEVEL = "中央"
SYNTHETIC_YEARS = tuple(range(2013, 2023))
SYNTHETIC_GROUPS = ("synthetic-A", "synthetic-B", "synthetic-C")
SYNTHETIC_NOTE = (
    "year and group are SYNTHETIC (drawn with seed {seed}); the text has no date, "
    "so trends or group differences on them are a null test"
)


def read_jhsjk_paragraphs(bench_dir: Path) -> list[str]:
    """The jhsjk paragraphs in file order (one per non-empty line)."""
    path = bench_dir / "xi-jhsjk-paragraphs" / "paragraphs.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def read_unique_speeches_2020(bench_dir: Path) -> list[dict[str, str]]:
    """xi-speeches-2020 rows (``doc_id``, ``date``, ``text``) that are no near-duplicate of another."""
    folder = bench_dir / "xi-speeches-2020"
    with open(folder / "metadata.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    speeches = []
    for row in rows:
        if row["near_duplicate_of"].strip():
            continue
        text = (folder / row["file"]).read_text(encoding="utf-8").strip()
        speeches.append({"doc_id": row["doc_id"], "date": row["date"], "text": text})
    return speeches


def group_in_order(paragraphs: list[str], doc_chars: int) -> list[tuple[int, int]]:
    """``(start, end)`` paragraph ranges, in order, each closed once it reaches ``doc_chars``."""
    ranges, start, size = [], 0, 0
    for index, paragraph in enumerate(paragraphs):
        size += len(paragraph)
        if size >= doc_chars:
            ranges.append((start, index + 1))
            start, size = index + 1, 0
    if start < len(paragraphs):
        ranges.append((start, len(paragraphs)))
    return ranges


def synthetic_fields(rng: random.Random, seed: int) -> dict[str, str]:
    """Year, group and the note that marks them synthetic."""
    return {
        "year": str(rng.choice(SYNTHETIC_YEARS)),
        "group": rng.choice(SYNTHETIC_GROUPS),
        "notes": SYNTHETIC_NOTE.format(seed=seed),
    }


def long_documents(bench_dir: Path, doc_chars: int, seed: int) -> list[dict[str, str]]:
    """bench-long: in-order jhsjk documents plus the unique 2020 speeches."""
    rng = random.Random(f"{seed}-bench-long")
    paragraphs = read_jhsjk_paragraphs(bench_dir)
    documents = []
    for number, (start, end) in enumerate(group_in_order(paragraphs, doc_chars)):
        documents.append(
            {
                "doc_id": f"jhsjk_{number:03d}",
                "title": f"jhsjk 段落 {start + 1}–{end}",
                "source": f"xi-jhsjk-paragraphs lines {start + 1}-{end} (file order); year synthetic",
                "text": "\n".join(paragraphs[start:end]),
                **synthetic_fields(rng, seed),
            }
        )
    for speech in read_unique_speeches_2020(bench_dir):
        documents.append(
            {
                "doc_id": f"y2020_{speech['doc_id']}",
                "title": "",
                "year": speech["date"][:4],
                "group": rng.choice(SYNTHETIC_GROUPS),
                "source": f"xi-speeches-2020 {speech['doc_id']} (published {speech['date']})",
                "notes": f"year = publication year; group is SYNTHETIC (drawn with seed {seed})",
                "text": speech["text"],
            }
        )
    return documents


def pooled_paragraphs(bench_dir: Path) -> list[str]:
    """Every jhsjk paragraph and every line of the unique 2020 speeches."""
    pool = read_jhsjk_paragraphs(bench_dir)
    for speech in read_unique_speeches_2020(bench_dir):
        pool.extend(line.strip() for line in speech["text"].splitlines() if line.strip())
    return pool


def resampled_documents(
    bench_dir: Path, n_documents: int, doc_chars: int, seed: int
) -> list[dict[str, str]]:
    """bench-500: documents of paragraphs drawn with replacement from the pooled paragraphs."""
    rng = random.Random(f"{seed}-bench-500")
    pool = pooled_paragraphs(bench_dir)
    documents = []
    for number in range(n_documents):
        lines, size = [], 0
        while size < doc_chars:
            paragraph = pool[rng.randrange(len(pool))]
            lines.append(paragraph)
            size += len(paragraph)
        documents.append(
            {
                "doc_id": f"resampled_{number:03d}",
                "title": f"重抽样文档 {number + 1}",
                "source": "paragraphs drawn with replacement from xi-jhsjk-paragraphs "
                "and xi-speeches-2020 (unique texts); year synthetic",
                "text": "\n".join(lines),
                **synthetic_fields(rng, seed),
            }
        )
    return documents


def short_documents(
    bench_dir: Path, n_documents: int, min_chars: int, seed: int
) -> list[dict[str, str]]:
    """bench-short500: one jhsjk paragraph per speech, drawn without replacement."""
    rng = random.Random(f"{seed}-bench-short500")
    paragraphs = read_jhsjk_paragraphs(bench_dir)
    candidates = [index for index, text in enumerate(paragraphs) if len(text) >= min_chars]
    chosen = sorted(rng.sample(candidates, min(n_documents, len(candidates))))
    return [
        {
            "doc_id": f"short_{number:03d}",
            "title": f"jhsjk 段落 {index + 1}",
            "source": f"xi-jhsjk-paragraphs line {index + 1}; year synthetic",
            "text": paragraphs[index],
            **synthetic_fields(rng, seed),
        }
        for number, index in enumerate(chosen)
    ]


def write_corpus(folder: Path, documents: list[dict[str, str]]) -> tuple[int, int]:
    """Write ``<doc_id>.txt`` files and ``metadata.csv``; return (documents, characters).

    Stale ``*.txt`` files and ``metadata.csv`` of an earlier build in ``folder`` are removed first.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for stale in [*folder.glob("*.txt"), folder / "metadata.csv"]:
        stale.unlink(missing_ok=True)
    rows = []
    for document in documents:
        name = f"{document['doc_id']}.txt"
        (folder / name).write_text(document["text"] + "\n", encoding="utf-8", newline="\n")
        row = {column: document.get(column, "") for column in METADATA_COLUMNS}
        row.update(file=name, level=LEVEL)
        rows.append(row)
    with open(folder / "metadata.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=METADATA_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(documents), sum(len(document["text"]) for document in documents)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--bench", type=Path, default=BENCH_DIR, help="shared bench material")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--doc-chars", type=int, default=20_000)
    parser.add_argument("--n-resampled", type=int, default=500)
    parser.add_argument("--n-short", type=int, default=500)
    parser.add_argument("--short-min-chars", type=int, default=50)
    parser.add_argument("--only", choices=CORPORA, action="append", help="build only these")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    builders = {
        "bench-long": lambda: long_documents(args.bench, args.doc_chars, args.seed),
        "bench-500": lambda: resampled_documents(
            args.bench, args.n_resampled, args.doc_chars, args.seed
        ),
        "bench-short500": lambda: short_documents(
            args.bench, args.n_short, args.short_min_chars, args.seed
        ),
    }
    built = {}
    for name in args.only or CORPORA:
        documents, chars = write_corpus(args.out / name, builders[name]())
        print(f"{name:15s} {documents:5d} docs {chars:>11,d} chars  -> {args.out / name}")
        built[name] = {"documents": documents, "chars": chars}
    # Last line: a JSON report, as every child step of benchmarks/run.py ends.
    print(json.dumps(built))


if __name__ == "__main__":
    main()
