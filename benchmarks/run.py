"""Speed and memory benchmarks of speechtopics (``make bench``): one table of ratios against baselines.

Every figure is a median over repeated runs, each run in a fresh process,
and every ratio compares two numbers measured in this same run on this
machine (never a stored number). The corpora are those of
``../shared/corpus/bench``.

Rows (the command behind each row is printed under the table):

1. **Tokenization throughput**, cold: characters per second of the project's
   ``Tokenizer`` (build + ``tokenize_many``) against ``jieba.Tokenizer().lcut``
   and ``rjieba.Jieba().cut`` with the same user words, on identical texts of
   xi-jhsjk-paragraphs and online-shopping-10cats; plus a check that the
   project's segmentation equals jieba's on every one of those texts.
2. **End to end**: ``speechtopics run`` on the bundled speeches, cold (empty
   cache), warm (nothing changed) and after adding one speech.
3. **Topic sweep**: ``topics.sweep_k`` (K = 5…30 step 5, 3 seeds, three
   coherence measures and held-out perplexity for every fit) against the
   naive loop (sequential ``LdaModel`` fits, each followed by its own
   ``CoherenceModel`` per measure) on xi-jhsjk-paragraphs.
4. **Scaling**: tokenize → dictionary → bag of words → one LDA fit
   (K = 10, one pass), streamed from a TSV holding 1×, 2×, 4× and 8× the
   62,774 online-shopping reviews (resampled with replacement, seeded):
   time and peak resident memory of the whole process tree at each size.
5. **Cleaning throughput**: characters per second of ``clean_text`` with the
   rules a run builds, against one ``str.translate`` pass and against
   ``jieba.Tokenizer().lcut`` over the same texts (the bundled speeches,
   xi-speeches-2020, online-shopping-10cats), setup left out; plus what
   ``segment_speech`` (paragraph units) adds per million characters.
6. **A real corpus** (``scale``): cold, warm and add-one runs on the bench corpora.
7. **Spark** (``spark``, needs pyspark and Java): load → tokens → theme rates
   of bench-500 on ``local[2]`` against the local engine (time, CPU, peak
   memory), and the same job on a 10× corpus of the same kind: the driver's
   memory must stay flat (Python driver RSS at 10× ≤ 1.5× at 1×)
   (``benchmarks/bench_spark.py``).
8. **Clustering quality** (its own table, printed last): NMI and ARI, mean ±
   sd over seeds, of ``tfidf_kmeans``, ``lsa_kmeans`` and ``lsa_ward`` on
   thucnews-titles and online-shopping-10cats against their known classes,
   with the chance level and the silhouette against a column-permuted copy
   (``benchmarks/cluster_quality.py``); the best method is the ``[cluster]``
   default.

Run::

    .venv/bin/python benchmarks/run.py                 # everything (about an hour on 2 cores)
    .venv/bin/python benchmarks/run.py --only tokenize scaling --repeat 3
    .venv/bin/python benchmarks/run.py --only clean --repeat 5
    .venv/bin/python benchmarks/run.py --quick         # one repetition, small sweep: a smoke test
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from _common import (
    BENCH_DIR,
    BENCHMARKS_DIR,
    DATASETS,
    PROJECT_ROOT,
    median,
    read_texts,
    run_child,
)

SECTIONS = ("tokenize", "e2e", "sweep", "scaling", "clean", "scale", "spark", "cluster")
SCALING_DATASET = "online-shopping-10cats"


@dataclass
class Row:
    """One line of the result table."""

    name: str
    baseline: str
    measured: str
    ratio: float | None
    target: str
    met: bool | None
    command: str
    ratio_format: str = "{:.2f}×"

    def cells(self) -> list[str]:
        ratio = "—" if self.ratio is None else self.ratio_format.format(self.ratio)
        met = "—" if self.met is None else ("yes" if self.met else "NO")
        return [self.name, self.baseline, self.measured, ratio, self.target, met]


# --------------------------------------------------------------------------- machine


def machine_description() -> list[str]:
    """CPU, cores, memory, Python and library versions, and the load right now."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    libraries = ", ".join(
        f"{name} {version(name)}" for name in ("jieba", "rjieba", "gensim", "numpy", "joblib")
    )
    return [
        f"machine: {cpu}, {psutil.cpu_count(logical=True)} logical cores "
        f"({len(os.sched_getaffinity(0))} usable), {psutil.virtual_memory().total / 2**30:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}",
        f"python {platform.python_version()}; {libraries}",
    ]


def load_text() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def _progress(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def _script(name: str) -> str:
    return str(BENCHMARKS_DIR / name)


def _mchars(value: float) -> str:
    return f"{value / 1e6:.2f} M chars/s"


# --------------------------------------------------------------------------- 1. tokenization


def bench_tokenize(repeats: int) -> list[Row]:
    """Cold tokenization throughput of the three contenders on both corpora; segmentation identity.

    Two figures per contender from the same runs: characters per second of
    the whole cold run (dictionary load included) and of the segmenting alone.
    """
    rows: list[Row] = []
    contenders = ("project", "jieba", "rjieba")
    for dataset in ("xi-jhsjk-paragraphs", "online-shopping-10cats"):
        total: dict[str, list[float]] = {name: [] for name in contenders}
        working: dict[str, list[float]] = {name: [] for name in contenders}
        for repeat in range(repeats):
            for contender in contenders:
                _progress(f"tokenize {dataset} {contender} ({repeat + 1}/{repeats})")
                report = run_child(
                    [_script("bench_tokenize.py"), "--dataset", dataset, "--contender", contender]
                ).report
                total[contender].append(report["chars_per_second"])
                working[contender].append(
                    report["chars"] / (report["seconds"] - report["setup_seconds"])
                )
        command = (
            f"benchmarks/bench_tokenize.py --dataset {dataset} --contender project|jieba|rjieba"
        )
        for label, speeds, target in (
            ("cold, dictionary load included", total, 5.0),
            ("segmenting only", working, None),
        ):
            project, jieba_speed, rjieba_speed = (median(speeds[name]) for name in contenders)
            rows.append(
                Row(
                    f"tokenize {dataset} ({label}): Tokenizer vs jieba.lcut",
                    _mchars(jieba_speed),
                    _mchars(project),
                    project / jieba_speed,
                    "≥ 5×" if target else "—",
                    project / jieba_speed >= target if target else None,
                    command,
                )
            )
            rows.append(
                Row(
                    f"tokenize {dataset} ({label}): Tokenizer vs raw rjieba",
                    _mchars(rjieba_speed),
                    _mchars(project),
                    project / rjieba_speed,
                    "—",
                    None,
                    command,
                )
            )
    rows.append(segmentation_identity_row())
    return rows


def segmentation_identity_row() -> Row:
    """Every text of both corpora segmented by the project's fast backend and by jieba: how many differ."""
    from speechtopics.config import PROJECT_ROOT
    from speechtopics.text.tokenize import Tokenizer

    _progress("segmentation identity on every text of both corpora")
    lexicon = PROJECT_ROOT / "data" / "lexicon"
    fast = Tokenizer.from_lexicon(lexicon, backend="rjieba")
    slow = Tokenizer.from_lexicon(lexicon, backend="jieba")
    texts = [text for dataset in DATASETS for text in read_texts(dataset)]
    differing = sum(1 for text in texts if fast.segment(text) != slow.segment(text))
    return Row(
        "segmentation = jieba's (both corpora, every text)",
        f"jieba: {len(texts):,} texts",
        f"{differing} differ",
        None,
        "0 differ",
        differing == 0,
        "benchmarks/run.py (segmentation_identity_row); tests/test_speed_paths.py",
    )


# --------------------------------------------------------------------------- 2. end to end


def bench_e2e(repeats: int) -> list[Row]:
    """Cold, warm and one-more-speech ``speechtopics run`` on the bundled corpus."""
    from bench_e2e import ADDED_SPEECH
    from bench_e2e import measure as measure_e2e

    _progress(f"end to end: {repeats} × (cold, warm, one speech added)")
    with tempfile.TemporaryDirectory(prefix="speechtopics-e2e-") as scratch:
        runs = measure_e2e(repeats, Path(scratch))
    cold = median([run["cold_seconds"] for run in runs])
    warm = median([run["warm_seconds"] for run in runs])
    added = median([run["added_seconds"] for run in runs])
    warm_notes = sorted({run["warm_recomputed"] for run in runs})
    added_notes = sorted({run["added_recomputed"] for run in runs})
    command = "speechtopics run --raw <copy of data/raw> --out <folder>"
    return [
        Row(
            "speechtopics run, cold (bundled 5 speeches)",
            "—",
            f"{cold:.1f} s",
            None,
            "—",
            None,
            f"{command}  (fresh --out)",
        ),
        Row(
            "speechtopics run, warm / cold",
            f"{cold:.1f} s",
            f"{warm:.1f} s",
            warm / cold,
            "≤ 0.10",
            warm / cold <= 0.10,
            f"{command}  (same --out again; {'; '.join(warm_notes)})",
        ),
        Row(
            "speechtopics run, one speech added / cold",
            f"{cold:.1f} s",
            f"{added:.1f} s",
            added / cold,
            "—",
            None,
            f"{command}  (after copying {ADDED_SPEECH.name}; {'; '.join(added_notes)})",
        ),
    ]


# --------------------------------------------------------------------------- 3. topic sweep


def bench_sweep(
    repeats: int, passes: int, iterations: int, k_values: list[int], seeds: list[int]
) -> list[Row]:
    """``sweep_k`` against the naive loop, same fits, same scores."""
    seconds: dict[str, list[float]] = {"naive": [], "sweep": []}
    scores: dict[str, list[dict]] = {}
    common = [
        "--passes",
        str(passes),
        "--iterations",
        str(iterations),
        "--k",
        *map(str, k_values),
        "--seeds",
        *map(str, seeds),
    ]
    for repeat in range(repeats):
        for method in ("naive", "sweep"):
            _progress(f"topic sweep {method} ({repeat + 1}/{repeats})")
            result = run_child([_script("bench_sweep.py"), "--method", method, *common])
            seconds[method].append(result.report["seconds"])
            scores[method] = result.report["rows"]
    naive, sweep = median(seconds["naive"]), median(seconds["sweep"])
    largest_difference = max(
        abs(a[key] - b[key])
        for a, b in zip(scores["naive"], scores["sweep"], strict=True)
        for key in a
        if key not in ("k", "seed")
    )
    fits = len(k_values) * len(seeds)
    return [
        Row(
            f"topic sweep, {fits} fits (K {k_values[0]}…{k_values[-1]}, {len(seeds)} seeds): sweep_k / naive",
            f"{naive:.1f} s",
            f"{sweep:.1f} s",
            sweep / naive,
            "≤ 0.60",
            sweep / naive <= 0.60,
            f"benchmarks/bench_sweep.py --method naive|sweep {' '.join(common)}  "
            f"(largest difference of a score between the two: {largest_difference:.2g})",
        ),
    ]


# --------------------------------------------------------------------------- 4. scaling


def bench_scaling(repeats: int, factors: list[int], k: int, n_jobs: int) -> list[Row]:
    """Time and peak RSS of the streamed tokenize → dictionary → bow → LDA chain at each size."""
    from streams import iter_tsv_column, resample_texts, write_tsv_texts

    source = list(iter_tsv_column(DATASETS[SCALING_DATASET], "text"))
    times: dict[int, list[float]] = {factor: [] for factor in factors}
    rss: dict[int, list[float]] = {factor: [] for factor in factors}
    reports: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="speechtopics-scaling-") as scratch:
        files = {}
        for factor in factors:
            files[factor] = Path(scratch) / f"shopping_x{factor}.tsv"
            write_tsv_texts(
                resample_texts(source, factor, random_state=20240601 + factor), files[factor]
            )
        del source
        for repeat in range(repeats):
            for factor in factors:
                _progress(f"scaling {factor}× ({repeat + 1}/{repeats})")
                result = run_child(
                    [
                        _script("bench_scaling.py"),
                        "--tsv",
                        str(files[factor]),
                        "--k",
                        str(k),
                        "--n-jobs",
                        str(n_jobs),
                    ],
                    interval=0.05,
                )
                times[factor].append(result.report["work_seconds"])
                rss[factor].append(result.peak_rss_bytes)
                reports[factor] = result.report
    base = factors[0]
    base_time, base_rss = median(times[base]), median(rss[base])
    command = f"benchmarks/bench_scaling.py --tsv <{SCALING_DATASET} resampled ×N> --k {k} --n-jobs {n_jobs}"
    rows = [
        Row(
            f"scaling {base}×: {reports[base]['units']:,} units, {reports[base]['chars'] / 1e6:.1f} M chars, "
            f"vocabulary {reports[base]['vocabulary']:,}",
            "—",
            f"{base_time:.1f} s, {base_rss / 2**20:.0f} MiB",
            None,
            "—",
            None,
            command,
        )
    ]
    for factor in factors[1:]:
        time_ratio = median(times[factor]) / base_time
        rss_ratio = median(rss[factor]) / base_rss
        last = factor == factors[-1]
        details = (
            f"{reports[factor]['units']:,} units, {reports[factor]['chars'] / 1e6:.1f} M chars, "
            f"vocabulary {reports[factor]['vocabulary']:,}"
        )
        rows.append(
            Row(
                f"scaling {factor}× time / {base}× ({details})",
                f"{base_time:.1f} s",
                f"{median(times[factor]):.1f} s",
                time_ratio,
                f"≤ {factor * 9 / 8:g}×" if last else "—",
                time_ratio <= factor * 9 / 8 if last else None,
                command,
            )
        )
        rows.append(
            Row(
                f"scaling {factor}× peak RSS / {base}×",
                f"{base_rss / 2**20:.0f} MiB",
                f"{median(rss[factor]) / 2**20:.0f} MiB",
                rss_ratio,
                "≤ 2.5×" if last else "—",
                rss_ratio <= 2.5 if last else None,
                command,
            )
        )
    stages = reports[factors[-1]]
    rows.append(
        Row(
            f"scaling {factors[-1]}×: seconds by step (last repetition)",
            "—",
            f"tokenize {stages['tokenize_seconds']:.1f}, dictionary {stages['dictionary_seconds']:.1f}, "
            f"bow {stages['bow_seconds']:.1f}, LDA {stages['lda_seconds']:.1f}",
            None,
            "—",
            None,
            command,
        )
    )
    return rows


# --------------------------------------------------------------------------- 5. cleaning

CLEAN_TARGET_CHARS_PER_SECOND = 5e6


def bench_clean(repeats: int) -> list[Row]:
    """Cleaning throughput against a ``str.translate`` pass and ``jieba.lcut``; segmenting cost."""
    from bench_clean import CLEAN_DATASETS, CONTENDERS

    rows: list[Row] = []
    for dataset in CLEAN_DATASETS:
        speeds: dict[str, list[float]] = {name: [] for name in CONTENDERS}
        segment_cost: list[float] = []
        for repeat in range(repeats):
            for contender in CONTENDERS:
                _progress(f"clean {dataset} {contender} ({repeat + 1}/{repeats})")
                report = run_child(
                    [_script("bench_clean.py"), "--dataset", dataset, "--contender", contender]
                ).report
                speeds[contender].append(report["chars_per_second"])
                if contender == "clean":
                    segment_cost.append(report["segment_seconds"] / report["chars"] * 1e6)
        clean, translate, jieba_speed = (median(speeds[name]) for name in CONTENDERS)
        command = f"benchmarks/bench_clean.py --dataset {dataset} --contender clean|translate|jieba"
        rows += [
            Row(
                f"clean {dataset}: clean_text vs jieba.lcut (target: ≥ 5 M chars/s)",
                _mchars(jieba_speed),
                _mchars(clean),
                clean / jieba_speed,
                "≥ 5 M chars/s",
                clean >= CLEAN_TARGET_CHARS_PER_SECOND,
                command,
            ),
            Row(
                f"clean {dataset}: clean_text vs one str.translate pass",
                _mchars(translate),
                _mchars(clean),
                clean / translate,
                "—",
                None,
                command,
            ),
            Row(
                f"segment_speech {dataset} (paragraphs): seconds per M chars / clean_text's",
                f"{1e6 / clean:.3f} s",
                f"{median(segment_cost):.3f} s",
                median(segment_cost) * clean / 1e6,
                "—",
                None,
                command,
            ),
        ]
    return rows


# --------------------------------------------------------------------------- 6. a real corpus

CORPORA_DIR = BENCHMARKS_DIR / "corpora"
GIB = 1024**3


def _bench_corpus(name: str) -> Path:
    """A corpus of ``benchmarks/build_corpora.py`` (built first when missing)."""
    if not (CORPORA_DIR / name).exists():
        _progress("building the bench corpora (benchmarks/build_corpora.py)")
        subprocess.run(
            [sys.executable, _script("build_corpora.py"), "--out", str(CORPORA_DIR)],
            check=True,
            cwd=PROJECT_ROOT,
        )
    return CORPORA_DIR / name


def _scale_step(*args: str):
    return run_child([_script("bench_scale.py"), *args])


def _mean_stability(out: Path) -> float:
    import pandas as pd

    return float(pd.read_csv(out / "processed" / "topic_stability.csv")["mean_jaccard"].mean())


def _cold_and_plain(name: str, scratch: Path, repeats: int) -> dict:
    """Cold runs of a bench corpus and the plain gensim fit on its paragraphs."""
    raw = scratch / f"{name}-raw"
    if not raw.exists():
        shutil.copytree(_bench_corpus(name), raw)
    colds, outs = [], []
    for index in range(repeats):
        out = scratch / f"{name}-out-{index}"
        _progress(f"{name}: cold run {index + 1}/{repeats}")
        colds.append(_scale_step("run", "--raw", str(raw), "--out", str(out)))
        outs.append(out)
    plain = [
        _scale_step("plain-fit", "--raw", str(raw), "--out", str(outs[0]), "--k", "10")
        for _ in range(repeats)
    ]
    return {"raw": raw, "out": outs[0], "colds": colds, "plain": plain}


def _speed_rows(name: str, measured: dict, rss_target: bool) -> list[Row]:
    cold = median([c.wall_seconds for c in measured["colds"]])
    plain = median([p.report["seconds"] for p in measured["plain"]])
    peak = max(c.peak_rss_bytes for c in measured["colds"])
    command = f"speechtopics run --raw benchmarks/corpora/{name} --out <new folder>"
    rows = [
        Row(
            f"cold run on {name} / one plain gensim fit (K = 10, 10 passes)",
            f"{plain:.1f} s",
            f"{cold:.1f} s",
            cold / plain,
            "≤ 10×",
            cold / plain <= 10,
            f"{command}; plain fit: benchmarks/bench_scale.py plain-fit (same paragraph units)",
        )
    ]
    if rss_target:
        rows.append(
            Row(
                f"cold run on {name}: peak RSS (process tree)",
                "—",
                f"{peak / GIB:.2f} GiB",
                None,
                "≤ 4 GiB",
                peak <= 4 * GIB,
                command,
            )
        )
    return rows


def _incremental_rows(measured: dict) -> list[Row]:
    raw, out = measured["raw"], measured["out"]
    cold = median([c.wall_seconds for c in measured["colds"]])
    warm = _scale_step("run", "--raw", str(raw), "--out", str(out))
    added_file = sorted((PROJECT_ROOT / "data" / "raw").glob("000_*.txt"))[0]
    shutil.copy(added_file, raw / added_file.name)
    added = _scale_step("run", "--raw", str(raw), "--out", str(out))
    (raw / added_file.name).unlink()
    command = "speechtopics run --raw <copy of bench-long> --out <the cold run's folder>"
    return [
        Row(
            "warm rerun / cold (bench-long)",
            f"{cold:.1f} s",
            f"{warm.wall_seconds:.1f} s",
            warm.wall_seconds / cold,
            "≤ 5%",
            warm.wall_seconds / cold <= 0.05,
            f"{command} (again; recomputed: {', '.join(warm.report['recomputed']) or 'nothing'})",
            "{:.1%}",
        ),
        Row(
            "one speech added, rerun / cold (bench-long)",
            f"{cold:.1f} s",
            f"{added.wall_seconds:.1f} s",
            added.wall_seconds / cold,
            "≤ 25%",
            added.wall_seconds / cold <= 0.25,
            f"{command} (after adding {added_file.name})",
            "{:.1%}",
        ),
    ]


def _quality_rows(measured: dict) -> list[Row]:
    out = measured["out"]
    stability = _mean_stability(out)
    k = measured["plain"][0].report["reported_k"]
    same_k = _scale_step(
        "plain-fit", "--raw", str(measured["raw"]), "--out", str(out), "--k", str(k)
    ).report
    return [
        Row(
            "reported topics on bench-long: stability (mean top-20 Jaccard across seeds)",
            "—",
            f"{stability:.2f}",
            None,
            "≥ 0.6",
            stability >= 0.6,
            "topic_stability.csv of the cold run (mean of mean_jaccard over topics)",
        ),
        Row(
            f"NPMI of the reported topics vs a plain gensim fit at the same K = {k}",
            f"{same_k['plain_npmi']:.3f}",
            f"{same_k['reported_npmi']:.3f}",
            same_k["reported_npmi"] - same_k["plain_npmi"],
            "higher",
            same_k["reported_npmi"] > same_k["plain_npmi"],
            "benchmarks/bench_scale.py plain-fit --k K: c_npmi of top 20 on the same units",
            "{:+.3f}",
        ),
    ]


def _tokens_file_rows(scratch: Path, repeats: int) -> list[Row]:
    path = scratch / "reviews.txt"
    path.write_text("\n".join(read_texts("online-shopping-10cats")), encoding="utf-8")
    ours = median(
        [_scale_step("tokens-file", "--file", str(path)).report["seconds"] for _ in range(repeats)]
    )
    jieba = median(
        [_scale_step("jieba-lcut", "--file", str(path)).report["seconds"] for _ in range(repeats)]
    )
    size = path.stat().st_size / 1e6
    return [
        Row(
            f"clean + segment + filter ({size:.1f} MB of reviews) vs plain jieba.lcut",
            f"{jieba:.1f} s",
            f"{ours:.1f} s",
            jieba / ours,
            "≥ 5×",
            jieba / ours >= 5,
            "speechtopics tokens --file reviews.txt vs jieba.Tokenizer().lcut per line",
        )
    ]


def _many_speeches_row(scratch: Path) -> list[Row]:
    raw = _bench_corpus("bench-short500")
    result = _scale_step("run", "--raw", str(raw), "--out", str(scratch / "short-out"))
    minutes = result.wall_seconds / 60
    return [
        Row(
            "500 one-paragraph speeches, cold run: time and peak RSS",
            "—",
            f"{minutes:.1f} min, {result.peak_rss_bytes / GIB:.2f} GiB",
            None,
            "minutes; ≤ 4 GiB",
            minutes < 10 and result.peak_rss_bytes <= 4 * GIB,
            "speechtopics run --raw benchmarks/corpora/bench-short500 --out <new folder>",
        )
    ]


def bench_scale(repeats: int, large: bool) -> list[Row]:
    """The real-corpus targets: bench-long (and bench-500), incremental reruns, quality, speed."""
    with tempfile.TemporaryDirectory(prefix="speechtopics-scale-") as folder:
        scratch = Path(folder)
        long_run = _cold_and_plain("bench-long", scratch, repeats)
        rows = _speed_rows("bench-long", long_run, rss_target=False)
        quality = _quality_rows(long_run)  # of the cold run, before the reruns change its folder
        rows += _incremental_rows(long_run)
        rows += quality
        if large:
            rows += _speed_rows("bench-500", _cold_and_plain("bench-500", scratch, 1), True)
        rows += _many_speeches_row(scratch)
        rows += _tokens_file_rows(scratch, repeats)
    return rows


# --------------------------------------------------------------------------- table


def format_table(rows: list[Row]) -> str:
    """A Markdown table: row, baseline, measured, ratio, target, met?"""
    header = ["row", "baseline", "measured", "ratio", "target", "met?"]
    cells = [header, *[row.cells() for row in rows]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]

    def line(values: list[str]) -> str:
        return (
            "| "
            + " | ".join(value.ljust(width) for value, width in zip(values, widths, strict=True))
            + " |"
        )

    return "\n".join(
        [
            line(header),
            "|" + "|".join("-" * (width + 2) for width in widths) + "|",
            *[line(row.cells()) for row in rows],
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="sections to run"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="repetitions of each measurement (median)"
    )
    parser.add_argument(
        "--e2e-repeat", type=int, help="repetitions of the end-to-end runs (default --repeat)"
    )
    parser.add_argument(
        "--sweep-repeat", type=int, help="repetitions of the topic sweep (default --repeat)"
    )
    parser.add_argument(
        "--scaling-repeat", type=int, help="repetitions of the scaling runs (default --repeat)"
    )
    parser.add_argument("--sweep-passes", type=int, default=2, help="LDA passes of every sweep fit")
    parser.add_argument(
        "--sweep-iterations", type=int, default=50, help="E-step iterations of every sweep fit"
    )
    parser.add_argument(
        "--scale-repeat", type=int, help="repetitions of the bench-long runs (default --repeat)"
    )
    parser.add_argument(
        "--spark-repeat",
        type=int,
        help="repetitions of the bench-500 Spark runs (default --repeat)",
    )
    parser.add_argument("--scaling-factors", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument(
        "--scaling-n-jobs", type=int, default=1, help="tokenizer processes in the scaling runs"
    )
    parser.add_argument(
        "--quick", action="store_true", help="one repetition and a 4-fit sweep (smoke test)"
    )
    parser.add_argument(
        "--cluster-quality",
        action="store_true",
        help="same as adding 'cluster' to --only (clustering NMI/ARI on the labelled corpora)",
    )
    args = parser.parse_args(argv)
    if not BENCH_DIR.exists():
        sys.stderr.write(f"{BENCH_DIR} is missing: the benchmarks need the bench corpora\n")
        return 1
    repeat = 1 if args.quick else args.repeat
    k_values, seeds = ([5, 30], [1, 2]) if args.quick else ([5, 10, 15, 20, 25, 30], [1, 2, 3])
    started = time.perf_counter()
    lines = [*machine_description(), f"before: {load_text()}"]
    rows: list[Row] = []
    if "tokenize" in args.only:
        rows += bench_tokenize(repeat)
    if "e2e" in args.only:
        rows += bench_e2e(args.e2e_repeat or repeat)
    if "sweep" in args.only:
        rows += bench_sweep(
            args.sweep_repeat or repeat, args.sweep_passes, args.sweep_iterations, k_values, seeds
        )
    if "scaling" in args.only:
        rows += bench_scaling(
            args.scaling_repeat or repeat, args.scaling_factors, k=10, n_jobs=args.scaling_n_jobs
        )
    if "clean" in args.only:
        rows += bench_clean(repeat)
    if "scale" in args.only:
        rows += bench_scale(args.scale_repeat or repeat, large=not args.quick)
    if "spark" in args.only:
        from bench_spark_rows import spark_rows

        rows += spark_rows(args.spark_repeat or repeat, _progress, Row)
    lines.append(
        f"after: {load_text()}; {(time.perf_counter() - started) / 60:.1f} min; medians of "
        f"{repeat} repetition(s) unless the command says otherwise"
    )
    print("\n".join(lines))
    print()
    print(format_table(rows))
    print()
    print("commands behind the rows:")
    for row in rows:
        print(f"- {row.name}: {row.command}")
    if "cluster" in args.only or args.cluster_quality:
        print()
        print(cluster_quality_report(args.quick))
    return 0


def cluster_quality_report(quick: bool) -> str:
    """The table of ``benchmarks/cluster_quality.py`` (2 seeds × 1,000 texts with ``--quick``)."""
    import subprocess

    command = [sys.executable, _script("cluster_quality.py")]
    if quick:
        command += ["--seeds", "1", "2", "--sample", "1000"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    shown = " ".join(["benchmarks/cluster_quality.py", *command[2:]])
    if result.returncode != 0:
        return f"clustering quality: {shown} failed:\n{result.stderr.strip()[-2000:]}"
    return f"{result.stdout.rstrip()}\ncommand: {shown}"


if __name__ == "__main__":
    raise SystemExit(main())
