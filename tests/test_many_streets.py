"""A corpus of many streets: colours, sizes and legends adapt, and every notebook shows every street.

The 30-street corpus is made the way a research group would make it: copies of a small fixture
document, each rewritten for one real street of the gazetteer, added with the short form
``streetlib add PATH --street NAME`` and built once; every notebook then runs on it and must show
each street, or name it among the streets it cannot analyse (``streetlib.scope``).
"""

from __future__ import annotations

import csv
import re
import shutil
import time
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pytest
from conftest import FIXTURES, REAL_DATA
from matplotlib.colors import to_rgb
from nbclient import NotebookClient

import streetlib
from streetlib import config, plotting
from streetlib.cli import main

N_NEW = 30
NOTEBOOKS = sorted((config.PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ORIGINAL_STREETS = ("古美路街道", "新江湾城街道", "长寿路街道", "长白新村街道")
# The notebook runs on the 34-street corpus are marked slow: together they take minutes (notebook 01 alone 241 s
# with a cold model cache, a fresh clone; 6-25 s each once .cache/streetlib holds the fits) and run every notebook a
# third time, after nbval (the committed build) and tests/test_notebooks.py (a new street added, the same contract
# on one street). `make test` leaves them out; CI (.ci/run) runs them, and so does `pytest -m slow`.
# Notebook 02's elderly-attention section drops the streets whose paragraphs are all duplicates without naming
# them; the notebook is being edited on the demography branch.
NOT_YET: dict[str, str] = {}  # notebook stem -> why it does not yet name every street it leaves out


def test_the_house_palette_serves_up_to_eight_streets_in_sorted_order() -> None:
    palette = plotting.street_palette(["长寿路街道", "古美路街道", "长寿路街道"])
    assert palette == {"古美路街道": plotting.PALETTE[0], "长寿路街道": plotting.PALETTE[1]}
    eight = plotting.street_palette(f"街道{i}" for i in range(8))
    assert list(eight.values()) == list(plotting.PALETTE)


@pytest.mark.parametrize("n", [9, 30, 60])
def test_more_streets_than_house_colours_get_distinct_colours(n: int) -> None:
    palette = plotting.street_palette(f"街道{i:02d}" for i in range(n))
    assert list(palette) == [f"街道{i:02d}" for i in range(n)]
    assert len(set(palette.values())) == n
    rgb = [to_rgb(c) for c in palette.values()]
    closest = min(
        sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5 for i, a in enumerate(rgb) for b in rgb[i + 1 :]
    )
    assert closest > 0.02  # no two streets drawn in colours the eye cannot tell apart at n <= 60


def test_figure_height_grows_with_rows_above_its_minimum() -> None:
    assert plotting.rows_height(1, minimum=4.8) == 4.8
    assert plotting.rows_height(11, minimum=4.8) == 4.8  # 1.2 + 0.32 * 11 = 4.72: today's corpus keeps its size
    assert plotting.rows_height(40) == pytest.approx(1.2 + 0.32 * 40)


def test_the_legend_moves_outside_and_gains_columns_for_many_streets() -> None:
    fig, ax = plt.subplots()
    plotting.street_legend(ax, plotting.street_palette(["甲街道", "乙街道"]))
    assert ax.get_legend()._loc == 4  # lower right, inside
    fig2, ax2 = plt.subplots()
    plotting.street_legend(ax2, plotting.street_palette(f"街道{i:02d}" for i in range(34)))
    legend = ax2.get_legend()
    assert len(legend.get_texts()) == 34 and legend._ncols == 3  # 16 entries a column
    plt.close(fig)
    plt.close(fig2)


def gazetteer_streets(n: int) -> list[dict[str, str]]:
    """``n`` streets spread over the gazetteer (every k-th row), none already in the corpus."""
    with (REAL_DATA / "lexicon" / "gazetteer.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["street"] not in {"长白新村街道", "新江湾城街道", "长寿路街道"}]
    step = len(rows) // n
    return rows[::step][:n]


@pytest.fixture(scope="module")
def thirty_streets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, str]]]:
    root = tmp_path_factory.mktemp("thirty") / "data"
    for sub in sorted(p.name for p in REAL_DATA.iterdir() if p.is_dir() and p.name != "processed"):
        shutil.copytree(REAL_DATA / sub, root / sub)  # raw, reviewed, lexicon, external, codebooks
    template = (FIXTURES / "hongmeilu_2025_work_plan.txt").read_text(encoding="utf-8")
    streets = gazetteer_streets(N_NEW)
    for row in streets:
        name = row["street"]
        text = template.replace("虹梅路街道", name).rstrip("\n") + f"\n\n{name}办事处\n2025年1月20日\n"
        download = root.parent / f"{name}2025年工作计划.txt"
        download.write_text(text, encoding="utf-8")
        assert main(["--data", str(root), "add", str(download), "--street", name]) == 0
    assert main(["--data", str(root), "build"]) == 0
    return root, streets


def test_every_added_street_is_built_with_its_gazetteer_facts(thirty_streets) -> None:
    root, streets = thirty_streets
    docs = streetlib.load_documents(root=root)
    assert docs["street"].nunique() == 4 + N_NEW
    assert len({r["district"] for r in streets}) >= 10  # the sample spans the city
    for row in streets:
        doc = docs.loc[docs["street"] == row["street"]].iloc[0]
        assert (doc["district"], doc["street_en"], doc["doc_type"]) == (row["district"], row["street_en"], "work_plan")


def notebook_param(path: Path):
    marks = [pytest.mark.slow]
    if path.stem in NOT_YET:
        marks.append(pytest.mark.xfail(reason=NOT_YET[path.stem]))
    return pytest.param(path, marks=marks, id=path.stem)


def shown_text(notebook) -> str:
    """Everything a notebook's outputs show as text (streams, plain text and HTML of tables)."""
    return "\n".join(
        str(output.get("text", ""))
        + str(output.get("data", {}).get("text/plain", ""))
        + str(output.get("data", {}).get("text/html", ""))
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )


@pytest.mark.parametrize("path", [notebook_param(p) for p in NOTEBOOKS])
def test_every_notebook_runs_on_thirty_streets_and_shows_or_names_every_street(
    thirty_streets, path: Path, monkeypatch, tmp_path
) -> None:
    root, streets = thirty_streets
    figures = tmp_path / "figures"
    monkeypatch.setenv("STREETLIB_DATA", str(root))
    monkeypatch.setenv("STREETLIB_FIGURES", str(figures))
    # the persistent cache: models fitted on this corpus are reused by the next run (keys are the data, not paths)
    monkeypatch.setenv("STREETLIB_CACHE", str(config.PROJECT_ROOT / ".cache" / "streetlib"))
    notebook = nbformat.read(path, as_version=4)
    started = time.monotonic()
    NotebookClient(
        notebook, timeout=1200, kernel_name="python3", resources={"metadata": {"path": path.parent}}
    ).execute()
    print(f"{path.stem}: {time.monotonic() - started:.0f} s on {len(streets) + len(ORIGINAL_STREETS)} streets")
    shown = shown_text(notebook)
    missing = [s for s in [*ORIGINAL_STREETS, *(r["street"] for r in streets)] if s not in shown]
    assert not missing, f"{path.name} neither shows nor names {missing}"
    saved = re.findall(
        r"save_figure\(fig, \"(\w+)\"", "".join(c.source for c in notebook.cells if c.cell_type == "code")
    )
    assert [name for name in saved if not (figures / f"{name}.png").is_file()] == []
