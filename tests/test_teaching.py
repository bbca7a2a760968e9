"""Teaching material: tracing raw lines, and the students' copy of notebook 05 (no solutions, and it runs)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from streetlib import teaching
from streetlib.cli import main


def small_notebook() -> nbformat.NotebookNode:
    shown = new_code_cell(
        "x = 1\nx", id="a", outputs=[new_output("execute_result", {"text/plain": "1"}, execution_count=1)]
    )
    shown.execution_count = 1
    return new_notebook(
        cells=[
            new_markdown_cell("✏️ Exercise: what is x?", id="e"),
            shown,
            new_code_cell("answer = x + 1", id="s", metadata={"tags": ["solution"]}),
            new_markdown_cell("**Solution.** 2", id="t", metadata={"tags": ["solution", "other"]}),
        ]
    )


def test_student_version_drops_solutions_and_outputs() -> None:
    student = teaching.student_version(small_notebook())
    assert [c.id for c in student.cells] == ["e", "a", "student-note"]
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    assert "answer" not in nbformat.writes(student) and "**Solution.**" not in nbformat.writes(student)


def test_student_version_refuses_a_notebook_without_tagged_solutions() -> None:
    notebook = small_notebook()
    notebook.cells = notebook.cells[:2]
    with pytest.raises(ValueError, match="no cell is tagged 'solution'"):
        teaching.student_version(notebook)


def test_the_case_notebook_holds_its_solutions_back(tmp_path: Path) -> None:
    target = teaching.write_student_version(target=tmp_path / "student.ipynb")
    teacher = nbformat.read(teaching.CASE_NOTEBOOK, as_version=4)
    student = nbformat.read(target, as_version=4)
    solutions = [c for c in teacher.cells if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 8, "every exercise has a worked solution in the lecturer's version"
    text = nbformat.writes(student)
    for cell in solutions:
        assert cell.source not in text
    exercises = [c for c in student.cells if c.cell_type == "markdown" and "✏️ **练习" in c.source]
    assert len(exercises) == 4
    assert any("parameters" in c.metadata.get("tags", []) for c in student.cells)
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")


def test_the_committed_student_copy_is_up_to_date(tmp_path: Path) -> None:
    fresh = nbformat.read(teaching.write_student_version(target=tmp_path / "s.ipynb"), as_version=4)
    committed = nbformat.read(teaching.STUDENT_NOTEBOOK, as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in fresh.cells], "run `make teaching`"


def test_the_student_copy_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREETLIB_FIGURES", str(tmp_path / "figures"))
    monkeypatch.setenv("STREETLIB_CACHE", str(tmp_path / "cache"))
    student = nbformat.read(teaching.write_student_version(target=tmp_path / "s.ipynb"), as_version=4)
    # run where students run it: in the project's teaching/ folder (the data folder is found from there)
    where = {"metadata": {"path": teaching.STUDENT_NOTEBOOK.parent}}
    NotebookClient(student, timeout=300, kernel_name="python3", resources=where).execute()
    assert list((tmp_path / "figures").glob("05_*.png"))


def test_streetlib_teaching_writes_the_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(teaching, "STUDENT_NOTEBOOK", tmp_path / "teaching" / "student.ipynb")
    assert main(["teaching"]) == 0
    assert (tmp_path / "teaching" / "student.ipynb").is_file()
    assert "wrote" in capsys.readouterr().out


def test_raw_lines_show_the_text_as_received_with_its_erratum() -> None:
    lines = teaching.raw_lines("changbai_research_report_2021", 1484, 1487)
    assert lines["line"].tolist() == [1484, 1485, 1486, 1487]
    assert lines["raw"].iloc[0].startswith("延吉中路/ 靖宇南路")  # the raw text keeps the stray space
    assert "erratum_fix" in lines["flags"].iloc[0] and "延吉中路/靖宇南路" in lines["flags"].iloc[0]
    assert lines["raw"].iloc[3].startswith("400.00") and "erratum" not in lines["flags"].iloc[3]
    with pytest.raises(ValueError, match="lines 1-"):
        teaching.raw_lines("changbai_research_report_2021", 0)
    with pytest.raises(ValueError, match="no document 'nope'"):
        teaching.raw_lines("nope", 1)
