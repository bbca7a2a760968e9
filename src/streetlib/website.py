"""One static site of every executed notebook: MkDocs with the Material theme and mkdocs-jupyter.

The site renders the committed outputs (execution off), with a navigation entry per notebook, a
page of the sources with their addresses, and full-text search that segments Chinese (Material's
search plugin with ``lang: zh`` uses jieba). The MkDocs project is generated under
``<project>/.cache/site-src`` and built into ``<project>/site`` (gitignored: it is derived from the
committed notebooks). Pages use relative links (``use_directory_urls: false``), so the site opens
from the file system; search needs it served (``python -m http.server -d site``), since browsers do
not let a page opened from a file load the search index.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

from streetlib.errors import StreetlibError
from streetlib.reproduce import Project

SITE_NAME = "streetlib · 上海街道规划文本分析"
SITE_EXTRA = 'pip install -e ".[site]" -c requirements/site.lock'


class SiteError(StreetlibError):
    """The site could not be built."""


def notebook_title(path: Path) -> str:
    """The notebook's ``#`` title (its first markdown heading), else its file name."""
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def _index_page(notebooks: list[Path]) -> str:
    items = "\n".join(f"- [{notebook_title(nb)}]({nb.name})" for nb in notebooks)
    return (
        f"# {SITE_NAME}\n\n"
        "Comparative analysis of Shanghai subdistrict (街道) planning documents: the executed notebooks of "
        "streetlib, with their committed outputs. 上海街道规划文本的比较分析:以下为已执行的笔记本及其输出。\n\n"
        f"{items}\n\n"
        "The documents analysed, with their publishers and original pages: [Sources 资料来源](sources.md).\n"
    )


def _link(url: str) -> str:
    from urllib.parse import urlparse

    return f"[{urlparse(url).netloc}]({url})" if url.startswith("http") else ""


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]


def _sources_page(data: Path) -> str:
    """The documents' sources (publisher, date, original page, retrieval date) and the official statistics'."""
    from streetlib.export import sources

    frame = sources(root=data)
    documents = frame[frame["kind"] == "document source"]
    official = frame[frame["kind"] != "document source"]
    rows, notes = [], []
    for row in documents.itertuples():
        page = _link(row.url)
        if not page and row.url:  # "(none: why)": the reason goes below the table
            notes.append(f"- `{row.source}`: {row.url.removeprefix('(none: ').removesuffix(')')}")
            page = "未找到 not found (see below)"
        rows.append([f"`{row.source}`", row.publisher, row.published, page, row.retrieved])
    header = ["文本 source file", "发布者 publisher", "发布日期 published", "原文 page", "访问日期 retrieved"]
    lines = ["# 资料来源 Sources", "", "## 文本 The documents", "", *_table(header, rows), "", *notes, ""]
    rows = [
        [row.source, row.kind.removeprefix("official statistics (tier ").rstrip(")"), _link(row.url)]
        for row in official.itertuples()
    ]
    lines += ["## 官方统计 Official statistics", "", *_table(["来源 source", "tier", "原文 page"], rows)]
    return "\n".join(lines) + "\n"


def site_config(notebooks: list[Path], site_dir: Path) -> dict:
    """The MkDocs configuration (written as JSON, which YAML reads)."""
    return {
        "site_name": SITE_NAME,
        "docs_dir": "docs",
        "site_dir": str(site_dir),
        "use_directory_urls": False,
        "theme": {
            "name": "material",
            "language": "zh",
            "font": False,  # no web fonts from the network: the reader's CJK fonts draw the text
            "features": ["navigation.sections", "navigation.top", "search.highlight"],
        },
        "plugins": [
            {"search": {"lang": ["zh", "en"]}},
            {"mkdocs-jupyter": {"execute": False, "include": ["*.ipynb"], "ignore_h1_titles": True, "cache": False}},
        ],
        "nav": [
            {"首页 Home": "index.md"},
            *({notebook_title(nb): nb.name} for nb in notebooks),
            {"资料来源 Sources": "sources.md"},
        ],
    }


def build_site(project: Project, site_dir: Path | None = None) -> Path:
    """Build the static site of the project's notebooks into ``site_dir`` (default ``<project>/site``)."""
    missing = [name for name in ("mkdocs", "material", "mkdocs_jupyter") if importlib.util.find_spec(name) is None]
    if missing:
        raise SiteError(
            f"building the site needs {', '.join(missing)}, which this Python ({sys.executable}) lacks. "
            f"Install the site layer, from the project folder: {SITE_EXTRA}"
        )
    site_dir = (site_dir or project.root / "site").resolve()
    source = project.root / ".cache" / "site-src"
    shutil.rmtree(source, ignore_errors=True)
    (source / "docs").mkdir(parents=True)
    notebooks = project.notebooks
    for notebook in notebooks:
        shutil.copy2(notebook, source / "docs" / notebook.name)
    (source / "docs" / "index.md").write_text(_index_page(notebooks), encoding="utf-8")
    (source / "docs" / "sources.md").write_text(_sources_page(project.data), encoding="utf-8")
    config_file = source / "mkdocs.yml"
    config_file.write_text(json.dumps(site_config(notebooks, site_dir), ensure_ascii=False, indent=1), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "--clean", "--config-file", str(config_file)],
        cwd=source,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SiteError(f"mkdocs could not build the site from {config_file}:\n{done.stderr.strip()}")
    return site_dir
