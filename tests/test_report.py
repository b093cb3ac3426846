"""figures/index.html: complete, offline, and rendered without errors in headless Chromium."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def test_index_lists_every_figure_with_a_caption_and_loads_nothing_remote(full_run):
    paths, _ = full_run
    page = (paths.figures / "index.html").read_text(encoding="utf-8")
    pngs = sorted(p.name for p in paths.figures.glob("*.png"))
    assert len(pngs) >= 15
    for png in pngs:
        assert f"src='{png}'" in page, f"{png} is not on the report page"
    captions = re.findall(r"<figcaption><b>([^<]+)</b>（[^）]+）：([^<]*)", page)
    assert len(captions) == len(pngs)
    assert all(text.strip() for _, text in captions), "a figure has no caption"
    assert not re.search(r"""(src|href)\s*=\s*['"]?https?://""", page)
    ldavis = paths.figures / "topics_ldavis.html"
    assert "topics_ldavis.html" in page and ldavis.exists()
    assert not re.search(
        r"""<script[^>]+src\s*=\s*['"]?https?://""", ldavis.read_text(encoding="utf-8")
    )
    for heading in ("主要表格", "语料概览", "主题 × 讲话", "运行信息"):
        assert heading in page


@pytest.mark.browser
@pytest.mark.slow
def test_report_renders_in_headless_chromium(full_run, tmp_path):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            "headless Chromium is not installed (.ci/run installs chromium and chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    paths, _ = full_run
    site = tmp_path / "site"
    shutil.copytree(paths.figures, site)
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
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(60)
        driver.get((site / "index.html").as_uri())
        driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
        broken = driver.execute_script(
            "return Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
        )
        assert broken == []
        assert driver.execute_script("return document.images.length") >= 15
        headings = driver.execute_script(
            "return Array.from(document.querySelectorAll('h1,h2,h3')).map(h => h.textContent)"
        )
        assert any("speechtopics 报告" in h for h in headings)
        for heading in ("主要表格", "图", "运行信息"):
            assert heading in headings
        # The pyLDAvis page inside the iframe draws its SVG without the network.
        driver.switch_to.frame(driver.find_element("css selector", "iframe"))
        svg_count = driver.execute_script("return document.querySelectorAll('svg').length")
        assert svg_count >= 1
        driver.switch_to.default_content()
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == [], errors
        screenshot = tmp_path / "report.png"
        driver.save_screenshot(str(screenshot))
        assert screenshot.stat().st_size > 10_000
    finally:
        driver.quit()
