"""The HTML reports in a real browser: Debian's Chromium, headless, driven by chromedriver.

``make test`` installs chromium, chromium-driver and fonts-noto-cjk with apt where the machine
lacks them (``make browser``); where that is impossible the tests are skipped with that reason.
A report passes when it loads as UTF-8, every figure is decoded with a real size, there are as
many figures as the notebook has image outputs, and Chinese text is drawn with a CJK font (the
glyphs Chromium laid out, from the DevTools protocol), not as empty boxes.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from streetlib import config

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
REPORTS = config.REPORTS_DIR
NOTEBOOKS = sorted((config.PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# families able to draw Han characters (Noto/Source Han, WenQuanYi, Droid fallback, AR PL, …)
CJK_FONT = re.compile(r"CJK|Han|WenQuanYi|Droid Sans Fallback|AR PL|Hei|Song|Ming|Kai", re.IGNORECASE)
# closed network: no background connections (they are refused, many at a time, and slow the start)
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="headless Chromium is not installed: `make browser` installs Debian's chromium and chromium-driver "
    "with apt, which needs root (or sudo) and apt-get; on this machine it could not",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("DOM.enable", {})
    driver.execute_cdp_cmd("CSS.enable", {})
    yield driver
    driver.quit()


def open_page(driver, path: Path) -> None:
    assert path.is_file(), f"{path} is missing: run `make reports`"
    driver.get(path.resolve().as_uri())
    state = driver.execute_script("return [document.readyState, document.characterSet]")
    assert state == ["complete", "UTF-8"], state


def han_glyphs(driver, limit: int = 12) -> list[tuple[str, int, int]]:
    """For up to ``limit`` elements with Chinese in their own text: (text, Han characters, CJK glyphs drawn)."""
    marked = driver.execute_script(
        """
        const han = /[\\u4e00-\\u9fff]/g;
        const own = e => Array.from(e.childNodes).filter(n => n.nodeType === 3).map(n => n.data).join('');
        const found = Array.from(document.querySelectorAll('h1,h2,h3,p,li,td,th,a'))
            .filter(e => (own(e).match(han) || []).length > 0).slice(0, arguments[0]);
        found.forEach((e, i) => e.setAttribute('data-han-check', i));
        return found.map(e => [own(e).slice(0, 40), (own(e).match(han) || []).length]);
        """,
        limit,
    )
    root = driver.execute_cdp_cmd("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    out = []
    for i, (text, count) in enumerate(marked):
        node = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": f'[data-han-check="{i}"]'})
        fonts = driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
        drawn = sum(f["glyphCount"] for f in fonts if CJK_FONT.search(f["familyName"]))
        out.append((text, count, drawn))
    return out


def image_outputs(notebook: Path) -> int:
    cells = nbformat.read(notebook, as_version=4).cells
    return sum("image/png" in o.get("data", {}) for c in cells for o in c.get("outputs", []))


def test_the_index_links_every_report_and_each_link_opens(browser) -> None:
    open_page(browser, REPORTS / "index.html")
    links = browser.execute_script("return Array.from(document.links).map(a => [a.textContent, a.href])")
    targets = sorted(Path(href.removeprefix("file://")).name for _, href in links if href.endswith(".html"))
    assert targets == sorted(f"{nb.stem}.html" for nb in NOTEBOOKS)
    assert all(text.strip() for text, _ in links)
    for text, href in links:
        browser.get(href)
        assert browser.execute_script("return document.readyState") == "complete", text
        assert browser.title, f"{href} has no title"


def page_problems(driver, expected_images: int) -> list[str]:
    """What is wrong with the open page: missing or broken figures, mis-decoded or undrawn Chinese."""
    problems = []
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
    )
    if len(images) != expected_images:
        problems.append(f"{len(images)} images, expected {expected_images}")
    broken = [i for i, (complete, width, height) in enumerate(images) if not (complete and width > 1 and height > 1)]
    if broken:
        problems.append(f"images {broken} did not load")
    text = driver.execute_script("return document.body.innerText")
    if "\ufffd" in text:
        problems.append("replacement characters: text was decoded wrongly")
    if "Traceback" in text:
        problems.append("an executed cell failed")
    checked = han_glyphs(driver)
    if not checked:
        problems.append("no Chinese text")
    problems += [f"{t!r}: {n} Han characters, {d} drawn with a CJK font" for t, n, d in checked if d < n]
    return problems


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_report_shows_its_figures_and_readable_chinese(browser, notebook: Path) -> None:
    open_page(browser, REPORTS / f"{notebook.stem}.html")
    expected = image_outputs(notebook)
    assert expected > 0
    assert page_problems(browser, expected) == []


def test_the_page_check_finds_broken_figures_and_bad_text(browser, tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        '<html><head><meta charset="utf-8"><title>t</title></head><body>'
        '<p>长白新村 \ufffd</p><img src="data:image/png;base64,AAAA"><img src="missing.png"></body></html>',
        encoding="utf-8",
    )
    open_page(browser, page)
    problems = page_problems(browser, 3)
    assert problems[:3] == [
        "2 images, expected 3",
        "images [0, 1] did not load",
        "replacement characters: text was decoded wrongly",
    ]
