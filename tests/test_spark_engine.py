"""The Spark engine: `speechtopics run --engine spark --master local[2]` gives the local engine's tables.

One SparkSession for the module (local[2], the JVM's quick compiler) and one
run of the command on the bundled speeches; tokens, theme rates, TF-IDF
keywords and KWIC are compared byte for byte with the local engine's tables
of the same speeches. The tests are skipped, saying what is missing, only
where pyspark or Java cannot be had.
"""

from __future__ import annotations

import contextlib
import io
import pickle
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import RAW_DIR

from speechtopics.analysis.features import feature_tables
from speechtopics.analysis.overview import load_report_table, units_table
from speechtopics.analysis.themes.kwic import kwic, kwic_themes
from speechtopics.analysis.themes.phrases import ThemeMatcher
from speechtopics.analysis.themes.rates import (
    section_outline,
    theme_rates_by_group,
    theme_rates_by_section,
    theme_rates_by_speech,
)
from speechtopics.cli import build_parser, main
from speechtopics.config import default_paths
from speechtopics.corpus.files import load_corpus
from speechtopics.corpus.load import build_cleaner, build_tokenizer
from speechtopics.io import read_table, table_csv_bytes
from speechtopics.pipeline.engines.spark import session as spark_session_module
from speechtopics.pipeline.engines.spark.session import spark_unavailable
from speechtopics.report.index import SECTIONS
from speechtopics.text.lexicon import Theme

#: Small settings for the tests: the quick JVM, a short K sweep, two seeds.
TEST_TOML = """
[engine]
quick_jvm = true
lda_iterations = 10
[topics]
k_min = 2
k_max = 3
seeds = [1, 2]
sweep_seeds = 2
sweep_share = 1.0
"""


# --------------------------------------------------------------------------- without Spark


def test_a_missing_java_or_pyspark_is_named_with_what_to_install(monkeypatch):
    monkeypatch.setattr(spark_session_module.importlib.util, "find_spec", lambda name: None)
    assert "pip install 'speechtopics[spark]'" in spark_unavailable()
    monkeypatch.undo()
    monkeypatch.setattr(spark_session_module.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    if spark_session_module.importlib.util.find_spec("pyspark") is not None:
        assert "openjdk-17-jre-headless" in spark_unavailable()


def test_master_implies_the_spark_engine_and_local_stays_the_default():
    parser = build_parser()
    args = parser.parse_args(["run", "--master", "spark://host:7077"])
    assert args.master == "spark://host:7077" and args.engine is None
    assert parser.parse_args(["run"]).engine is None
    from speechtopics.cli import _engine_settings
    from speechtopics.config import load_settings

    settings = _engine_settings(args, load_settings())
    assert (settings.engine.name, settings.engine.master) == ("spark", "spark://host:7077")
    assert load_settings().engine.name == "local"


def test_a_pickled_tokenizer_tokenizes_alike_in_a_fresh_process(paths, params, tmp_path):
    """What Spark ships to its workers: the tokenizer, its user dictionary inside, no lexicon files."""
    tokenizer = build_tokenizer(paths, params)
    _ = tokenizer.cache_key
    text = "加强办公室干部队伍建设，当好参谋助手，做好三服务工作。"
    blob = tmp_path / "tokenizer.pickle"
    blob.write_bytes(pickle.dumps(tokenizer))
    code = (
        "import pickle, sys; t = pickle.loads(open(sys.argv[1], 'rb').read()); "
        "print(' '.join(t.tokenize(sys.argv[2])))"
    )
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", code, str(blob), text],
        cwd=moved,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == tokenizer.tokenize(text)
    assert "参谋助手" in result.stdout.split()


# --------------------------------------------------------------------------- with Spark


@pytest.fixture(scope="module")
def spark():
    """One local[2] SparkSession for the module (skipped, saying why, without pyspark or Java)."""
    reason = spark_unavailable()
    if reason is not None:
        pytest.skip(reason)
    from speechtopics.config import EngineSettings
    from speechtopics.pipeline.engines.spark.session import spark_session

    engine = EngineSettings(name="spark", master="local[2]", quick_jvm=True, driver_memory="1g")
    with spark_session(engine) as session:
        yield session


@pytest.fixture(scope="module")
def spark_settings(tmp_path_factory, params):
    folder = tmp_path_factory.mktemp("spark_settings")
    toml = folder / "spark.toml"
    toml.write_text(TEST_TOML, encoding="utf-8")
    settings = params.updated(
        {
            "engine": {"name": "spark", "quick_jvm": True, "lda_iterations": 10},
            "topics": {
                "k_min": 2,
                "k_max": 3,
                "seeds": [1, 2],
                "sweep_seeds": 2,
                "sweep_share": 1.0,
            },
        }
    )
    return toml, settings


@pytest.fixture(scope="module")
def spark_run(spark, spark_settings, tmp_path_factory):
    """``speechtopics run --engine spark --master local[2]`` on the bundled speeches."""
    toml, _ = spark_settings
    out = tmp_path_factory.mktemp("spark_run")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        code = main(
            [
                "run",
                "--engine",
                "spark",
                "--master",
                "local[2]",
                "--params",
                str(toml),
                "--out",
                str(out),
            ]
        )
    return out, code, printed.getvalue()


def _csv(out: Path, name: str) -> bytes:
    return (out / "processed" / f"{name}.csv").read_bytes()


@pytest.mark.spark
@pytest.mark.slow
def test_the_run_completes_and_writes_what_the_report_page_reads(spark_run):
    import speechtopics as st

    out, code, printed = spark_run
    assert code == 0, printed
    assert (
        "recomputed: load, overview, features, themes, topics, cluster, compare, suggest, report"
        in printed
    )
    for table in {shown.name for section in SECTIONS for shown in section.tables}:
        assert (out / "processed" / f"{table}.csv").exists(), table
    page = (out / "figures" / "index.html").read_text(encoding="utf-8")
    for figure in ("theme_heatmap", "topic_coherence", "topic_words", "keywords_per_speech"):
        assert (out / "figures" / f"{figure}.png").exists()
        assert f"{figure}.png" in page
    results = st.results(out)
    assert results.manifest["engine"]["name"] == "spark"
    assert set(results["theme_rates_by_speech"]["doc_id"]) == {"000", "001", "002", "003", "004"}
    model = results.topic_model
    assert model.transform([["参谋", "服务", "决策"]]).sum() == pytest.approx(1.0)
    assert results.theme_topic_model is not None  # seeded topics: local code on the driver
    assert "MLlib online LDA" in printed


def _outputs(out: Path) -> dict[str, bytes]:
    """Every file under ``processed/`` and ``figures/`` of a run, by its path."""
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for folder in ("processed", "figures")
        for path in sorted((out / folder).rglob("*"))
        if path.is_file() and path.name != ".speechtopics.lock"
    }


@pytest.mark.spark
@pytest.mark.slow
def test_a_failed_spark_run_leaves_the_previous_outputs_as_they_were(
    spark, spark_run, spark_settings, monkeypatch, tmp_path
):
    """Outputs are staged and switched in with the manifest, as the local engine's are."""
    import speechtopics as st
    from speechtopics.pipeline.engines.spark import run as spark_run_module
    from speechtopics.pipeline.run import run

    out, _, _ = spark_run
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    before = _outputs(copy)
    manifest = st.results(copy).manifest
    assert set(before) >= {f"processed/{name}" for name in ("manifest.json", "load_report.csv")}
    assert {name for name in before if name != "processed/manifest.json"} <= set(
        manifest["outputs"]
    )

    def broken(run, previous):
        raise RuntimeError("a stage failed")

    monkeypatch.setattr(spark_run_module, "topics_stage", broken)
    _, settings = spark_settings
    paths = default_paths(settings).with_overrides(out=copy)
    with pytest.raises(RuntimeError, match="a stage failed"):
        run(paths, settings, progress=False, echo=lambda line: None)
    assert _outputs(copy) == before
    assert not (copy / "interim" / "staging").exists()


@pytest.fixture(scope="module")
def local_tables(corpus, params):
    """The local engine's identity tables of the bundled speeches, as CSV bytes.

    Theme hits are counted with the tokenizer's theme matcher, as the local
    ``themes`` stage counts them (phrase terms found in the text).
    """
    themes, window = corpus.themes, params.themes.kwic_window
    matcher = ThemeMatcher.build(themes, corpus.tokenizer)
    assert matcher.phrase_terms  # the bundled lexicon has a phrase term: the test covers it
    by_speech = theme_rates_by_speech(corpus.at_grain("document"), themes, matcher)
    features = feature_tables(corpus, params.features).tables
    tables = {
        "units": units_table(corpus),
        "theme_rates_by_speech": by_speech,
        "theme_rates_by_section": theme_rates_by_section(
            corpus.at_grain("section"), themes, section_outline(corpus.units), matcher
        ),
        "theme_rates_by_group": theme_rates_by_group(
            by_speech, corpus.speeches_frame(), params.themes.group_by
        ),
        "theme_kwic": kwic_themes(corpus.units, themes, window=window),
        "keywords_by_speech": features["keywords_by_speech"],
        "keywords_by_section": features["keywords_by_section"],
        "load_report": load_report_table(corpus.report),
    }
    return {name: table_csv_bytes(table) for name, table in tables.items()}


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize(
    "table",
    [
        "units",  # every unit's text, outline position and tokens
        "theme_rates_by_speech",
        "theme_rates_by_section",
        "theme_rates_by_group",
        "theme_kwic",
        "load_report",
    ],
)
def test_tokens_theme_rates_and_kwic_are_the_local_engines(spark_run, local_tables, table):
    out, _, _ = spark_run
    assert _csv(out, table) == local_tables[table]


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("table", ["keywords_by_speech", "keywords_by_section"])
def test_tfidf_keywords_are_the_local_engines(spark_run, local_tables, table, tmp_path):
    """Same terms, ranks, counts and document frequencies; weights equal to the last bits."""
    out, _, _ = spark_run
    mine = read_table(out / "processed" / f"{table}.csv")
    local_path = tmp_path / "local.csv"
    local_path.write_bytes(local_tables[table])
    theirs = read_table(local_path)
    exact = [c for c in theirs.columns if c != "tfidf"]
    assert mine[exact].equals(theirs[exact])
    assert np.allclose(mine["tfidf"], theirs["tfidf"], rtol=0, atol=1e-12)
    assert _csv(out, table) == local_tables[table]  # at the six digits the CSV keeps


@pytest.mark.spark
@pytest.mark.slow
def test_kwic_of_one_term_on_spark_is_the_local_kwic(spark, spark_run, corpus, params):
    from speechtopics.pipeline.engines.spark.tables import kwic_frame

    out, _, _ = spark_run
    units = spark.read.parquet(str(out / "interim" / "spark" / "speeches"))
    rows = units.selectExpr("doc_id", "clean_sha256", "explode(units) as u").select("doc_id", "u.*")
    term = Theme(name="", label="", definition="", terms=("参谋助手",))
    window = params.themes.kwic_window
    mine = kwic_frame(spark, rows, [term], window).toPandas()
    local = kwic(corpus.units, ["参谋助手"], window=window)
    assert len(local) > 5
    assert table_csv_bytes(mine) == table_csv_bytes(local)


@pytest.mark.spark
@pytest.mark.slow
def test_the_store_is_reused_and_only_new_speeches_are_tokenized(
    spark, spark_run, params, tmp_path
):
    from speechtopics.pipeline.engines.spark.load import load_speeches
    from speechtopics.pipeline.engines.spark.store import update_store

    out, _, _ = spark_run
    store = tmp_path / "store"
    shutil.copytree(out / "interim" / "spark", store)
    raw = tmp_path / "raw"
    shutil.copytree(RAW_DIR, raw)
    paths = replace(default_paths(params), raw=raw)
    tokenizer = build_tokenizer(paths, params, _themes(paths))
    loaded = load_speeches(spark, paths, params)
    again = update_store(spark, loaded.speeches, tokenizer, store, 16)
    assert (again.tokenized, again.reused) == (0, 5)
    (raw / "new_speech.txt").write_text(
        "在全市办公室工作会议上的讲话\n同志们：\n一、当好参谋助手\n要做好三服务，加强队伍建设。\n",
        encoding="utf-8",
    )
    loaded = load_speeches(spark, paths, params)
    grown = update_store(spark, loaded.speeches, tokenizer, store, 16)
    assert (grown.tokenized, grown.reused) == (1, 5)
    assert grown.units.where("doc_id = 'new_speech'").count() == 4
    changed = params.updated({"tokenize": {"min_token_length": 1}})
    other = update_store(
        spark, loaded.speeches, build_tokenizer(paths, changed, _themes(paths)), store, 16
    )
    assert other.key != grown.key and (other.tokenized, other.reused) == (6, 0)


def _themes(paths):
    from speechtopics.text.lexicon import load_themes

    return load_themes(paths.themes)


def _odd_folder(folder: Path) -> Path:
    """Speeches with every kind of trouble the loader reports."""
    shutil.copy(RAW_DIR / sorted(p.name for p in RAW_DIR.glob("*.txt"))[0], folder / "a.txt")
    shutil.copy(folder / "a.txt", folder / "b_copy.txt")  # an exact duplicate
    (folder / "empty.txt").write_bytes(b"")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4 not a speech")
    (folder / "gbk.txt").write_bytes(
        "关于加强办公室工作的讲话\n要当好参谋助手。\n".encode("gb18030")
    )
    (folder / "a.html").write_text(
        "<html><body><p>办公室工作讲话</p><p>狠抓落实，做好服务。</p></body></html>",
        encoding="utf-8",
    )
    (folder / ".hidden.txt").write_text("不读", encoding="utf-8")
    (folder / "latin.txt").write_text("no chinese here", encoding="utf-8")
    return folder


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("reader", ["list", "binaryFile"])
def test_the_load_report_is_the_local_loaders(spark, params, tmp_path, reader):
    from speechtopics.pipeline.engines.spark.load import (
        load_speeches,
        ordered_report,
        unmatched_rows,
        warning_rows,
    )

    raw = _odd_folder(tmp_path)
    paths = replace(default_paths(params), raw=raw, metadata=raw / "metadata.csv")
    settings = params.updated({"engine": {"reader": reader}})
    _, local = load_corpus(raw, paths.metadata, build_cleaner(paths, settings))
    loaded = load_speeches(spark, paths, settings)
    report = loaded.report.unionByName(warning_rows(spark, unmatched_rows(loaded, paths), 3))
    mine = ordered_report(report).toPandas().to_dict("records")
    expected = load_report_table(local).to_dict("records")
    skipped = 3
    if reader == "binaryFile":  # Spark's file sources pass over empty files
        expected = [row for row in expected if row["file"] != "empty.txt"]
        skipped = 2
    assert mine == expected
    assert loaded.counts == {"loaded": 3, "duplicates": 1, "skipped": skipped}
    assert any(row["reason"].endswith("using a.txt") for row in mine)  # a doc_id clash renamed


@pytest.mark.spark
@pytest.mark.slow
def test_mllib_topics_are_reproducible_and_k_is_chosen_in_range(spark, spark_run, spark_settings):
    """The same seed on the same, fixed partitions gives the same topics as the run reported."""
    from speechtopics.analysis.topics.export import FittedTopics
    from speechtopics.pipeline.engines.spark.topics import (
        fit_lda,
        prepare_topic_data,
        topic_units_frame,
    )

    out, _, _ = spark_run
    _, settings = spark_settings
    sweep = read_table(out / "processed" / "topic_k_sweep.csv")
    assert sorted(set(zip(sweep["k"], sweep["seed"], strict=True))) == [
        (2, 1),
        (2, 2),
        (3, 1),
        (3, 2),
    ]
    k = int(read_table(out / "processed" / "topic_k_choice.csv")["k"].iloc[0])
    assert k in (2, 3)
    stored = spark.read.parquet(str(out / "interim" / "spark" / "speeches"))
    units = stored.selectExpr("doc_id", "explode(units) as u").select("doc_id", "u.*")
    topics = settings.topics
    data = prepare_topic_data(
        spark,
        topic_units_frame(spark, units, "paragraph", topics.min_unit_tokens),
        topic_units_frame(spark, units, "paragraph", 0, merge=False),
        topics,
        settings.engine,
    )
    refit = fit_lda(
        data, k, topics.seeds[0], settings.engine.lda_iterations, topics, settings.engine
    )
    reported = FittedTopics.from_bytes((out / "processed" / "topic_model.npz").read_bytes())
    pseudo_counts = np.asarray(refit.model.topicsMatrix().toArray()).T
    order = np.argsort(-pseudo_counts.sum(axis=1), kind="stable")
    assert reported.vocab_ == data.vocab
    assert np.array_equal(pseudo_counts[order], reported.lambda_)
    data.release()
