"""`streetlib reproduce` and `streetlib lab` on a small project of their own (one short notebook)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import nbformat
import pytest

from streetlib import reproduce as rp
from streetlib.cli import main
from streetlib.reproduce import DETERMINISM, Project, ReproduceError, reproduce

CELL = (
    "import os, streetlib\n"
    'print(len(streetlib.load_documents()), os.environ["PYTHONHASHSEED"], os.environ["OMP_NUM_THREADS"])'
)


def write_notebook(path: Path, code: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# A tiny notebook\n\n街道规划"), nbformat.v4.new_code_cell(code)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


@pytest.fixture
def project(data_root: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A project folder: a copy of the data, one notebook, figures and cache inside it."""
    root = data_root.parent
    write_notebook(root / "notebooks" / "00_tiny.ipynb", CELL)
    for name in DETERMINISM:  # reproduce pins them; monkeypatch puts the old values back afterwards
        monkeypatch.setenv(name, "7")
    monkeypatch.setenv("STREETLIB_DATA", str(data_root))
    monkeypatch.setenv("STREETLIB_FIGURES", str(root / "figures"))
    monkeypatch.setenv("STREETLIB_CACHE", str(root / ".cache" / "streetlib"))
    return Project(root, data_root)


def outputs(notebook: Path) -> str:
    cells = nbformat.read(notebook, as_version=4).cells
    return "".join(o.get("text", "") for c in cells for o in c.get("outputs", []))


def test_reproduce_runs_a_notebook_once_and_again_only_when_something_changed(project: Project) -> None:
    notebook = project.root / "notebooks" / "00_tiny.ipynb"
    assert reproduce(project, log=lambda _: None) == {"00_tiny.ipynb": "ran"}
    # 11 documents in the built data; the kernel got the pinned hash seed and thread count
    assert outputs(notebook) == "11 0 1\n"
    assert "execution" not in nbformat.read(notebook, as_version=4).cells[1].metadata, "no timing metadata"
    report = project.reports / "00_tiny.html"
    assert "A tiny notebook" in report.read_text(encoding="utf-8")
    assert 'href="00_tiny.html"' in (project.reports / "index.html").read_text(encoding="utf-8")
    assert project.state_file.is_file()

    assert reproduce(project, log=lambda _: None) == {"00_tiny.ipynb": "up to date"}
    with (project.data / "lexicon" / "stopwords_general.txt").open("a", encoding="utf-8") as f:
        f.write("新词\n")
    assert reproduce(project, log=lambda _: None) == {"00_tiny.ipynb": "ran"}, "an input changed"
    report.unlink()
    assert reproduce(project, log=lambda _: None) == {"00_tiny.ipynb": "ran"}, "an output is missing"
    assert report.is_file()
    assert reproduce(project, force=True, log=lambda _: None) == {"00_tiny.ipynb": "ran"}
    write_notebook(notebook, CELL + "\nprint('changed')")
    assert reproduce(project, log=lambda _: None) == {"00_tiny.ipynb": "ran"}, "a cell changed"
    assert outputs(notebook) == "11 0 1\nchanged\n"


def test_a_failing_cell_stops_with_the_notebook_named(project: Project) -> None:
    write_notebook(project.root / "notebooks" / "01_broken.ipynb", "1 / 0")
    with pytest.raises(ReproduceError) as error:
        reproduce(project, log=lambda _: None)
    assert "01_broken.ipynb" in str(error.value) and "ZeroDivisionError" in str(error.value)


def test_the_command_line_reproduces_the_project_it_is_run_in(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("STREETLIB_DATA")
    monkeypatch.chdir(project.root / "notebooks")
    assert main(["reproduce"]) == 0
    assert "1 notebooks executed, 0 up to date" in capsys.readouterr().out
    assert (project.data / "processed" / "documents.csv").is_file(), "it built the data first"
    assert main(["reproduce"]) == 0
    assert "0 notebooks executed, 1 up to date" in capsys.readouterr().out


def test_lab_starts_jupyterlab_in_the_notebooks_folder_with_pinned_threads(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = {}

    def call(command: list[str], cwd: Path) -> int:
        started.update(command=command, cwd=cwd, env=dict(os.environ))
        return 0

    monkeypatch.setattr(subprocess, "call", call)
    monkeypatch.chdir(project.root)
    assert main(["lab", "--no-browser"]) == 0
    assert started["command"][1:3] == ["-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={project.root / 'notebooks'}" in started["command"]
    assert started["command"][-1] == "--no-browser"
    assert {k: started["env"][k] for k in DETERMINISM} == DETERMINISM


def test_lab_without_jupyterlab_says_which_layer_to_install(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = rp.importlib.util.find_spec
    monkeypatch.setattr(rp.importlib.util, "find_spec", lambda name: None if name == "jupyterlab" else real(name))
    monkeypatch.chdir(project.root)
    assert main(["lab"]) == 1
    err = capsys.readouterr().err
    assert 'pip install -e ".[notebooks]"' in err and "Traceback" not in err
