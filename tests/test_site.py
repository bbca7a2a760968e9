"""The static site of the notebooks: its configuration, and the built pages in headless Chromium.

Like the reports (tests/test_browser.py): every notebook page loads as UTF-8, shows as many decoded
figures as the notebook has image outputs, and draws its Chinese with a CJK font; the site also has a
navigation entry per notebook, a search box, a sources page with the addresses, and, served over HTTP,
a search that finds a Chinese word.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
from test_browser import CHROMEDRIVER, CHROMIUM, browser, image_outputs, open_page, page_problems  # noqa: F401

from streetlib import config
from streetlib.reproduce import Project
from streetlib.website import build_site, notebook_title, site_config

NOTEBOOKS = sorted((config.PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
needs_chromium = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="headless Chromium is not installed (`make browser`)"
)


def test_the_site_renders_committed_outputs_with_a_page_per_notebook_and_chinese_search() -> None:
    settings = site_config(NOTEBOOKS, Path("site"))
    plugin = next(p["mkdocs-jupyter"] for p in settings["plugins"] if "mkdocs-jupyter" in p)
    assert plugin["execute"] is False, "the site shows the committed outputs, it never runs a notebook"
    search = next(p["search"] for p in settings["plugins"] if "search" in p)
    assert "zh" in search["lang"]
    pages = [next(iter(entry.values())) for entry in settings["nav"]]
    assert pages == ["index.md", *(nb.name for nb in NOTEBOOKS), "sources.md"]
    assert settings["use_directory_urls"] is False, "pages open from the file system"
    assert notebook_title(NOTEBOOKS[0]).startswith("00 ")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs_jupyter")
    return build_site(Project(config.PROJECT_ROOT, config.PROJECT_ROOT / "data"), tmp_path_factory.mktemp("site"))


def test_the_site_has_an_index_a_page_per_notebook_and_a_search_index(site: Path) -> None:
    assert (site / "index.html").is_file() and (site / "sources.html").is_file()
    for notebook in NOTEBOOKS:
        assert (site / f"{notebook.stem}.html").is_file(), notebook.name
    index = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "\\u200b" in index or "\u200b" in index, "Chinese text is segmented into words for search"


@needs_chromium
def test_the_index_navigates_to_every_notebook(browser, site: Path) -> None:  # noqa: F811
    open_page(browser, site / "index.html")
    links = browser.execute_script("return Array.from(document.querySelectorAll('nav a')).map(a => a.href)")
    for notebook in NOTEBOOKS:
        assert any(href.endswith(f"/{notebook.stem}.html") for href in links), notebook.name
    assert browser.execute_script("return document.querySelectorAll('input.md-search__input').length") == 1


@needs_chromium
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_page_shows_its_figures_and_readable_chinese(browser, site: Path, notebook: Path) -> None:  # noqa: F811
    open_page(browser, site / f"{notebook.stem}.html")
    expected = image_outputs(notebook)
    assert expected > 0
    assert page_problems(browser, expected) == []


@needs_chromium
def test_the_sources_page_links_the_original_pages(browser, site: Path) -> None:  # noqa: F811
    open_page(browser, site / "sources.html")
    hrefs = browser.execute_script("return Array.from(document.links).map(a => a.href)")
    assert "http://www.shpt.gov.cn/csjd/gljhgh-ghjhzhzwzfwj2021/20221206/877221.html" in hrefs
    assert page_problems(browser, 0) == []


@needs_chromium
def test_served_over_http_the_search_finds_a_chinese_word(browser, site: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.get(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        browser.find_element(By.CSS_SELECTOR, "label.md-search__icon, label[for='__search']").click()
        box = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
        box.send_keys("养老")
        results = WebDriverWait(browser, 20).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, ".md-search-result__item") or None
        )
        assert len(results) >= 1
    finally:
        server.shutdown()
