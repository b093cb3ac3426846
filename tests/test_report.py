"""figures/index.html: findings in reading order, every figure captioned, offline, full CJK coverage.

Also the workbook of key tables and the topic page; the browser tests run
both pages in headless Chromium.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SECTION_ORDER = [
    "corpus",
    "themes",
    "compare",
    "keywords",
    "topics",
    "formulations",
    "lexicon",
    "clusters",
    "provenance",
]


@pytest.fixture(scope="module")
def page(full_run) -> str:
    paths, _ = full_run
    return (paths.figures / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def results(full_run):
    from speechtopics.api import Results

    paths, _ = full_run
    return Results(paths.processed, paths.figures)


def test_every_figure_is_on_the_page_with_a_caption_and_nothing_loads_remotely(full_run, page):
    paths, _ = full_run
    pngs = sorted(p.stem for p in paths.figures.glob("*.png"))
    assert len(pngs) >= 15
    figures = dict(
        re.findall(
            r"<figure id='[^']+' data-figure='([^']+)'>.*?<figcaption>(.*?)</figcaption>", page
        )
    )
    assert sorted(figures) == pngs
    for name, caption in figures.items():
        text = re.sub(r"<[^>]+>", "", caption)
        assert re.match(r"图 \d+ \S", text) and len(text) > 20, (name, text)
        for fmt in ("pdf", "svg", "png"):
            assert f"href='{name}.{fmt}'" in caption and (paths.figures / f"{name}.{fmt}").exists()
    assert not re.search(r"""(src|href)\s*=\s*['"]?https?://""", page)
    ldavis = paths.figures / "topics_ldavis.html"
    assert "topics_ldavis.html" in page and ldavis.exists()
    assert not re.search(
        r"""<script[^>]+src\s*=\s*['"]?https?://""", ldavis.read_text(encoding="utf-8")
    )


def test_sections_come_in_reading_order_with_a_table_of_contents(page):
    ids = re.findall(r"<h2 id='([^']+)'>", page)
    assert ids == SECTION_ORDER
    toc = re.search(r"<nav class=\"toc\">(.*?)</nav>", page).group(1)
    assert re.findall(r"href='#([^']+)'", toc) == SECTION_ORDER
    figures = re.findall(r"data-figure='([^']+)'", page)
    assert figures.index("corpus_overview") < figures.index("theme_heatmap")
    assert figures.index("theme_heatmap") < figures.index("keywords_per_speech")
    assert figures.index("keyness") < figures.index("topic_words") < figures.index("formulations")
    assert figures.index("formulations") < figures.index("cluster_silhouette")


def test_each_section_opens_with_findings_then_figure_then_collapsed_tables(page):
    for section in re.findall(r"<section>(.*?)</section>", page, flags=re.S)[:6]:
        first_finding = section.find("<p class='finding'>")
        first_figure = section.find("<figure")
        first_table = section.find("<details")
        assert 0 < first_finding < first_figure, section[:80]
        if first_table >= 0:
            assert first_figure < first_table
    assert "<table class='table'>" not in page.split("<details", 1)[0]
    tables = re.findall(r"<details class='table'>.*?</details>", page, flags=re.S)
    assert len(tables) >= 8
    headers = set(re.findall(r"<th title='([^']+)'>([^<]+)</th>", page))
    assert ("doc_id", "讲话编号") in headers and ("chars_raw", "原始字符数") in headers
    assert ("mean_jaccard", "平均 Jaccard") in headers


def test_findings_are_written_from_the_numbers(page, results):
    rates = results["theme_rates_by_speech"]
    standouts = []
    for theme, part in rates.groupby("theme"):
        ordered = part.sort_values("rate_per_1k", ascending=False)
        top, second = ordered.iloc[0], ordered.iloc[1]
        standouts.append((top["rate_per_1k"] / second["rate_per_1k"], theme, top, second))
    ratio, theme, top, second = max(standouts, key=lambda s: s[0])
    sentence = (
        f"{top['doc_id']} 使用“{theme}”每千词 {top['rate_per_1k']:.1f} 次，是其余讲话中最高者"
        f"（{second['doc_id']}，{second['rate_per_1k']:.1f}）的 {ratio:.1f} 倍。"
    )
    assert sentence in html.unescape(page)
    # The bundled speeches: 003 speaks of 办文办会办事 2.5 times as often as any other.
    assert (top["doc_id"], theme) == ("003", "办文办会办事") and ratio > 2
    overview = results["corpus_overview"]
    assert f"语料共 {len(overview)} 篇讲话" in page
    choice = results["topic_k_choice"]
    assert f"选出 K = {int(choice['k'].iloc[0])}" in page


def test_caveats_appear_where_the_data_are_thin(page, results, full_run):
    _, summary = full_run
    text = html.unescape(page)
    assert "只有 5 篇讲话" in text
    groups = results["theme_rates_by_group"].drop_duplicates(["group_by", "group"])
    if (groups["n_speeches"] == 1).any():
        assert "各只有 1 篇讲话" in text
    sweep_ks = sorted(results["topic_k_sweep"]["k"].unique())
    k = int(results["topic_k_choice"]["k"].iloc[0])
    if k in (sweep_ks[0], sweep_ks[-1]):
        assert f"所选 K = {k} 是所试范围" in text
    clusters = results["cluster_summary"]
    weak = clusters[clusters["silhouette"] < 0.1]
    for row in weak.itertuples():
        assert f"轮廓系数 {row.silhouette:.3f} 接近 0" in text
    assert summary.thin and all(caveat in text for caveat in summary.thin)
    assert summary.format().splitlines()[-1].startswith("look first at ")
    assert summary.format().splitlines()[-1].endswith("index.html")


def test_the_cluster_map_is_drawn_only_when_the_clustering_has_structure(full_run, results):
    paths, summary = full_run
    threshold = results.settings.figures.cluster_map_min_silhouette
    chosen = results["cluster_k_selection"]
    space, method = results.settings.cluster.map_space, results.settings.cluster.map_method
    row = chosen[(chosen["space"] == space) & (chosen["method"] == method) & chosen["chosen"]]
    summary_table = results["cluster_summary"]
    structure = summary_table[
        (summary_table["space"] == space) & (summary_table["method"] == method)
    ]["structure"].iloc[0]
    drawn = (paths.figures / "cluster_map.png").exists()
    assert drawn == (bool(structure) and float(row["silhouette"].iloc[0]) >= threshold)
    if not drawn:
        assert any("cluster map left out" in m for m in summary.messages)


# --------------------------------------------------------------------------- CJK glyphs


def _cjk(text: str) -> set[str]:
    return {
        c
        for c in text
        if "\u3000" <= c <= "\u303f"
        or "\u3400" <= c <= "\u4dbf"
        or "\u4e00" <= c <= "\u9fff"
        or "\uf900" <= c <= "\ufaff"
        or "\uff00" <= c <= "\uffef"
    }


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def test_the_shipped_font_has_a_glyph_for_every_character_either_page_can_show(full_run):
    from fontTools.ttLib import TTFont

    paths, _ = full_run
    index = (paths.figures / "index.html").read_text(encoding="utf-8")
    topic_page = (paths.figures / "topics_ldavis.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r"var ldavisData = (\{.*?\});\n", topic_page, flags=re.S).group(1))
    in_data = _cjk("".join(_strings(data)))
    escaped = _cjk("".join(chr(int(h, 16)) for h in re.findall(r"\\u([0-9a-fA-F]{4})", topic_page)))
    literal = _cjk(html.unescape(index)) | _cjk(html.unescape(topic_page))
    assert in_data - literal, "the topic data holds no character the pages lack literally"
    shown = literal | in_data | escaped
    cmap = TTFont(str(paths.figures / "speechtopics-cjk.otf")).getBestCmap()
    missing = sorted(c for c in shown if ord(c) not in cmap)
    assert missing == [], "".join(missing)
    assert len(shown) > 500


def test_the_topic_page_speaks_chinese(full_run):
    paths, _ = full_run
    page = (paths.figures / "topics_ldavis.html").read_text(encoding="utf-8")
    for label in ("主题间距离图", "上一个主题", "下一个主题", "拖动滑块调整相关度"):
        assert label in page
    data = json.loads(re.search(r"var ldavisData = (\{.*?\});\n", page, flags=re.S).group(1))
    assert data["plot.opts"] == {"xlab": "主成分 1", "ylab": "主成分 2"}
    assert "font-family: sans-serif" not in page
    assert "Intertopic Distance Map" not in page and "Previous Topic" not in page
    assert "circlePad" in page


# --------------------------------------------------------------------------- workbook


def test_the_workbook_holds_the_key_tables_with_doc_id_as_text(results):
    import openpyxl

    from speechtopics.report.workbook import README_SHEET

    path = results.workbook_path
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == README_SHEET and "语料概览" in book.sheetnames
    sheet = book["语料概览"]
    header = [cell.value for cell in sheet[1]]
    doc_ids = [row[header.index("doc_id")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert doc_ids == ["000", "001", "002", "003", "004"]
    assert all(sheet.cell(row=r, column=1).data_type == "s" for r in range(2, 7))
    read = pd.read_excel(path, sheet_name="语料概览", dtype={"doc_id": str})
    assert read["doc_id"].tolist() == doc_ids
    tables = results.workbook()
    assert {"corpus_overview", "theme_rates_by_speech", "topic_words", "speech_topic"} <= set(
        tables
    )
    for name, table in tables.items():
        pd.testing.assert_frame_equal(table, results[name], check_dtype=True, obj=name)


@pytest.mark.parametrize(
    ("doc_ids", "max_rows", "expected_rows"),
    [
        (["a", "a", "b", "b"], 10, [0, 1, 2, 3]),  # short: every row
        (["a", "a", "a", "b", "b", "b"], 4, [0, 1, 3, 4]),  # the first 2 rows of each speech
        (["a", "a", "b", "c"], 2, [0, 2, 3]),  # at least one row of every speech
    ],
)
def test_long_tables_keep_the_first_rows_of_every_speech_in_the_workbook(
    doc_ids, max_rows, expected_rows
):
    from speechtopics.report.workbook import README_SHEET, sheet_rows, workbook_sheets

    table = pd.DataFrame({"doc_id": doc_ids, "term": [f"t{i}" for i in range(len(doc_ids))]})
    assert sheet_rows(table, max_rows).index.tolist() == expected_rows
    readme = workbook_sheets({"keyness": table}, max_rows)[README_SHEET]
    assert readme[["rows", "rows_shown"]].values.tolist() == [[len(doc_ids), len(expected_rows)]]
    assert ("完整内容见 CSV" in readme["what"].iloc[0]) == (len(expected_rows) < len(doc_ids))


def test_workbook_cells_that_could_start_a_formula_stay_text():
    import io

    import openpyxl

    from speechtopics.io import table_xlsx_bytes

    table = pd.DataFrame(
        {"doc_id": ["000", "001", "002", "003"], "text": ["=1+1", "+x", "-cmd", "@SUM(A1)"]}
    )
    data = table_xlsx_bytes({"t": table})
    assert data == table_xlsx_bytes({"t": table})
    sheet = openpyxl.load_workbook(io.BytesIO(data))["t"]
    cells = [sheet.cell(row=r, column=2) for r in range(2, 6)]
    assert [c.value for c in cells] == table["text"].tolist()
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


# --------------------------------------------------------------------------- browser


#: Elements whose own text holds Chinese but whose font does not start with the shipped one.
WITHOUT_REPORT_FONT = """
return Array.from(document.querySelectorAll('body *')).filter(function (el) {
    var own = Array.from(el.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join('');
    return /[\u3400-\u9fff\uff00-\uffef]/.test(own)
        && getComputedStyle(el).fontFamily.split(',')[0].indexOf('speechtopics CJK') < 0;
}).map(el => el.tagName + ': ' + el.textContent.slice(0, 20));
"""


def _chromium(tmp_path, size: str = "1400,1000"):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            "headless Chromium is not installed (.ci/run installs chromium and chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--allow-file-access-from-files",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={size}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


@pytest.mark.browser
@pytest.mark.slow
def test_report_renders_in_headless_chromium_with_a_figure_on_the_first_screen(full_run, tmp_path):
    import numpy as np
    from PIL import Image

    paths, _ = full_run
    site = tmp_path / "site"
    shutil.copytree(paths.figures, site)
    driver = _chromium(tmp_path)
    try:
        driver.set_page_load_timeout(60)
        driver.get((site / "index.html").as_uri())
        first = driver.execute_script(
            "var i = document.querySelector('figure img'); var r = i.getBoundingClientRect();"
            "return [i.complete && i.naturalWidth > 0, r.top, r.left, r.width, window.innerHeight,"
            " window.devicePixelRatio]"
        )
        loaded, top, left, width, screen, ratio = first
        assert loaded and top < screen - 150, first
        screenshot = tmp_path / "report_top.png"
        driver.save_screenshot(str(screenshot))
        shot = np.asarray(Image.open(screenshot).convert("L"), dtype=float)
        visible = shot[
            int(top * ratio) : int(screen * ratio), int(left * ratio) : int((left + width) * ratio)
        ]
        assert visible.std() > 20, "the first screen shows no figure"
        assert driver.execute_script(
            "return document.fonts.check('16px \"speechtopics CJK\"', '讲话')"
        )
        assert driver.execute_script(WITHOUT_REPORT_FONT) == []
        driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
        broken = driver.execute_script(
            "return Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
        )
        assert broken == []
        assert driver.execute_script("return document.images.length") >= 15
        headings = driver.execute_script(
            "return Array.from(document.querySelectorAll('h1,h2')).map(h => h.textContent)"
        )
        assert any("speechtopics 报告" in h for h in headings) and "运行信息" in headings
        driver.switch_to.frame(driver.find_element("css selector", "iframe"))
        assert driver.execute_script("return document.querySelectorAll('svg').length") >= 1
        driver.switch_to.default_content()
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == [], errors
    finally:
        driver.quit()


@pytest.mark.browser
@pytest.mark.slow
def test_topic_page_draws_every_circle_whole_in_chinese(full_run, tmp_path):
    paths, _ = full_run
    site = tmp_path / "site"
    shutil.copytree(paths.figures, site)
    driver = _chromium(tmp_path)
    try:
        driver.get((site / "topics_ldavis.html").as_uri())
        texts = driver.execute_script(
            "return Array.from(document.querySelectorAll('svg text')).map(t => t.textContent)"
        )
        assert "主题间距离图（多维尺度分析）" in texts
        outside = driver.execute_script(
            """
            var svgs = Array.from(document.querySelectorAll('svg')).map(s => s.getBoundingClientRect());
            var svg = svgs.sort((a, b) => b.width * b.height - a.width * a.height)[0];
            return Array.from(document.querySelectorAll('circle.dot')).map(function (c) {
                var r = c.getBoundingClientRect();
                return [r.left - svg.left, r.top - svg.top, svg.right - r.right, svg.bottom - r.bottom];
            }).filter(function (gaps) { return Math.min.apply(null, gaps) < 0; });
            """
        )
        assert outside == []
        assert driver.execute_script("return document.querySelectorAll('circle.dot').length") >= 2
        assert driver.execute_script(WITHOUT_REPORT_FONT) == []
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == [], errors
    finally:
        driver.quit()
