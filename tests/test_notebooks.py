"""The notebooks on data other than the committed build.

A partner's workflow, end to end: ``streetlib add`` a document of another street (with a
heading outline, population figures and a short task table), ``streetlib build``, and every
notebook runs on it (``STREETLIB_DATA``) without a code change; and a notebook pointed at a
data folder that was never built stops at its first load with a message that says what to run.
Figures go to a temporary folder (``STREETLIB_FIGURES``): the committed ones stay as they are.

Fast to re-run: one new-street data folder is built per session and shared by pytest-xdist's workers
(the first builds it under a lock, the others wait for it), and the notebooks' model and token caches
live in ``.cache/test-notebooks``, kept between runs: their entries are keyed by every input (matrix,
parameters, library versions, dictionary), so a changed input is refitted and an unchanged one is read.
Each notebook is its own test class, so ``pytest -n 2 --dist loadscope`` spreads them over two workers.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import FIXTURES, REAL_DATA, snapshot
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import streetlib
from streetlib import atomic, config, datasets
from streetlib.cli import main

NOTEBOOKS = sorted((config.PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NEW_FILE = "hongmeilu_2025_work_plan.txt"
NEW_DOC = "hongmeilu_2025_work_plan"
NEW_STREET = "虹梅路街道"
ADD = [
    "--street", NEW_STREET, "--street-en", "Hongmei Road Subdistrict", "--district", "徐汇区",
    "--district-en", "Xuhui District", "--doc-type", "work_plan", "--published", "2025-01-20",
    "--publisher", "虹梅路街道办事处", "--title", "虹梅路街道2025年工作计划", "--years", "2025",
]  # fmt: skip
MODEL_CACHE = config.PROJECT_ROOT / ".cache" / "test-notebooks"  # kept between runs; keyed by inputs
# notebooks that compare streets must show the new one; 04 (the 长白新村 report) and 05 (a fixed case) need only run
COMPARES_STREETS = {"00_corpus_overview", "01_topic_models", "02_age_structure", "03_task_coverage"}


def execute(
    path: Path, monkeypatch: pytest.MonkeyPatch, data: Path, out: Path, cache: Path = MODEL_CACHE
) -> nbformat.NotebookNode:
    """Run a notebook in a fresh kernel against ``data``, writing figures under ``out``; models cached in ``cache``."""
    monkeypatch.setenv("STREETLIB_DATA", str(data))
    monkeypatch.setenv("STREETLIB_FIGURES", str(out / "figures"))
    monkeypatch.setenv("STREETLIB_CACHE", str(cache))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": path.parent}})
    client.execute()
    return notebook


def output_text(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            for key in ("text/plain", "text/html"):
                parts.append(output.get("data", {}).get(key, ""))
    return "\n".join(parts)


def cell_output(notebook: nbformat.NotebookNode, marker: str) -> str:
    """The text output of the one code cell whose source contains ``marker``."""
    (cell,) = [c for c in notebook.cells if c.cell_type == "code" and marker in c.source]
    return output_text(nbformat.v4.new_notebook(cells=[cell]))


def with_parameters(path: Path, **values: str) -> Path:
    """A copy of a notebook whose parameters cell sets ``values`` (as papermill would)."""
    notebook = nbformat.read(path, as_version=4)
    (cell,) = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    cell.source += "".join(f"\n{name} = {value!r}" for name, value in values.items())
    return notebook


def build_new_street(root: Path) -> Path:
    """A copy of data/ at ``root`` with a new street's document added and built through the command line."""
    for sub in ("raw", "reviewed", "lexicon", "external", "codebooks"):  # codebooks: notebook 06
        shutil.copytree(REAL_DATA / sub, root / sub)
    download = root.parent / NEW_FILE
    shutil.copy(FIXTURES / NEW_FILE, download)
    assert main(["--data", str(root), "add", str(download), *ADD]) == 0
    assert main(["--data", str(root), "check"]) == 0
    assert main(["--data", str(root), "build"]) == 0
    return root


@pytest.fixture(scope="session")
def new_street_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One new-street data folder for the session; under pytest-xdist, one for all workers."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return build_new_street(tmp_path_factory.mktemp("new_street") / "data")
    shared = tmp_path_factory.getbasetemp().parent / "new_street"  # the run's folder, above each worker's own
    with atomic.owning_folder(shared, wait=900):
        if not (shared / "built").is_file():
            build_new_street(shared / "data")
            (shared / "built").touch()
    return shared / "data"


@pytest.mark.notebooks
def test_the_new_document_reaches_every_table(new_street_data: Path) -> None:
    expected = {"documents", "regions", "sections", "paragraphs", "tasks", "population"}
    for name in datasets.table_names():
        table = streetlib.load(name, root=new_street_data)
        if name in expected:
            assert (table["doc_id"] == NEW_DOC).any(), name
    links = streetlib.load_task_departments(root=new_street_data)
    assert links["task_id"].str.startswith(f"{NEW_DOC}:").sum() == 6
    tasks = streetlib.load_tasks(root=new_street_data)
    assert tasks.loc[tasks["doc_id"] == NEW_DOC, "task"].tolist() == [
        "深化区域化党建",
        "推进两新组织覆盖",
        "新增社区食堂",
        "推进垃圾分类",
    ]
    population = streetlib.load_population(root=new_street_data)
    new = population[population["doc_id"] == NEW_DOC].set_index("measure")["value"]
    assert new.to_dict() == {"total": 52000, "age_60_plus": 18200, "age_80_plus": 3100}


def runs_on_a_new_street(path: Path, data: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    figures_before = snapshot(config.FIGURES_DIR)
    notebook = execute(path, monkeypatch, data, out)
    if path.stem in COMPARES_STREETS:
        assert NEW_STREET in output_text(notebook) or NEW_DOC in output_text(notebook), path.stem
    if path.stem in ("02_age_structure", "05_teaching_case"):
        # the case street keeps its own numbers, and the new street's bands are listed beside it, not mixed in
        case = cell_output(notebook, "demography.age_structure(population, CASE_STREET)")
        assert "36912" in case and "19307" in case and NEW_STREET not in case
        every = cell_output(notebook, "demography.age_structures(population)")
        assert NEW_STREET in every and all(n in every for n in ("33800", "15100", "3100", "65.0", "29.0", "6.0"))
    assert list((out / "figures").glob(f"{path.stem[:2]}_*.png")), "figures go to STREETLIB_FIGURES"
    assert snapshot(config.FIGURES_DIR) == figures_before, "the committed figures are untouched"


def notebook_class(path: Path) -> type:
    """A test class for one notebook. ``pytest -n 2 --dist loadscope`` hands out one class (or module) at a
    time, so each notebook is its own unit of work, while nbval's cells of one notebook stay together."""

    @pytest.mark.notebooks
    class Notebook:
        def test_runs_on_a_new_street(
            self, new_street_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
        ) -> None:
            runs_on_a_new_street(path, new_street_data, tmp_path, monkeypatch)

    Notebook.__name__ = Notebook.__qualname__ = f"TestNotebook{path.stem.split('_')[0]}"
    return Notebook


for _path in NOTEBOOKS:  # TestNotebook00, TestNotebook01, …
    globals()[f"TestNotebook{_path.stem.split('_')[0]}"] = notebook_class(_path)


@pytest.mark.notebooks
def test_a_notebook_on_unbuilt_data_says_what_to_run(
    data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CellExecutionError) as caught:
        execute(NOTEBOOKS[0], monkeypatch, data_root, tmp_path, cache=tmp_path / "cache")
    message = str(caught.value)
    assert "DataNotBuiltError" in message and "has not been built" in message
    assert f"streetlib --data {data_root} build" in message
    assert not (tmp_path / "figures").exists()


@pytest.mark.notebooks
def test_the_teaching_case_shows_the_new_street_when_it_is_the_case(
    new_street_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config.PROJECT_ROOT / "notebooks" / "05_teaching_case.ipynb"
    copy = tmp_path / path.name
    nbformat.write(with_parameters(path, CASE_STREET=NEW_STREET), copy)
    notebook = execute(copy, monkeypatch, new_street_data, tmp_path)
    # 户籍 52000, 60+ 18200, 80+ 3100 (fixture line 4): bands 33800 / 15100 / 3100 = 65.0% / 29.0% / 6.0%
    case = cell_output(notebook, "demography.age_structure(population, CASE_STREET)")
    for number in ("33800", "15100", "3100", "65.0", "29.0", "6.0", "2024-12-01"):
        assert number in case, number
    assert "长白新村街道" not in case and "36912" not in case
    # the district of the new street (徐汇区) has no official figure: untested; Shanghai 2022 (36.8%) is the nearest
    comparison = cell_output(notebook, "demography.compare_with_reference(profile")
    assert "徐汇区" in comparison and "untested" in comparison and "36.8" in comparison
