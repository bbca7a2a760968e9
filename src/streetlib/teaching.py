"""Teaching material: trace a number to its raw line, and the students' copy of notebook 05.

* :func:`raw_lines` shows the lines of a source file exactly as received (before errata and
  normalisation), with the quality flags (errata) recorded on them: the last step of tracing
  a number from a table back to the document.
* :func:`student_version` removes the worked solutions (cells tagged ``solution``) and all
  outputs from a notebook; :func:`write_student_version` writes it, by default from
  ``notebooks/05_teaching_case.ipynb`` to ``teaching/05_teaching_case_student.ipynb``
  (``streetlib teaching``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from streetlib import config, datasets
from streetlib.atomic import replacing_file
from streetlib.errors import StreetlibError
from streetlib.manifest import load_manifest, read_source

SOLUTION_TAG = "solution"
CASE_NOTEBOOK = config.PROJECT_ROOT / "notebooks" / "05_teaching_case.ipynb"
STUDENT_NOTEBOOK = config.PROJECT_ROOT / "teaching" / "05_teaching_case_student.ipynb"
STUDENT_NOTE = (
    "*解答不在本文件中,课后由教师发放。* · *The worked solutions are not in this file; "
    "your lecturer hands them out after class.*"
)


def raw_lines(doc_id: str, start: int, end: int | None = None, *, root: Path | None = None) -> pd.DataFrame:
    """Lines ``start``..``end`` of the raw file a document comes from, as received, with their flags.

    Returns
    -------
    DataFrame with ``line``, ``raw`` (the text in ``data/raw``) and ``flags`` (the kinds and
    notes of quality flags on that line, e.g. an erratum and its replacement; empty if none).

    Raises
    ------
    ValueError
        If the document is unknown or the lines are outside its file.
    """
    documents = datasets.load_documents(root=root).set_index("doc_id")
    if doc_id not in documents.index:
        raise ValueError(f"no document {doc_id!r} in the documents table")
    file = documents.loc[doc_id, "source_file"]
    raw = config.raw_dir(root)
    source = next(s for s in load_manifest(raw).sources if s.file == file)
    lines = read_source(source, raw)
    end = start if end is None else end
    if not 1 <= start <= end <= len(lines):
        raise ValueError(f"{file} has lines 1-{len(lines)}; lines {start}-{end} do not exist")
    flags = datasets.load_quality_flags(root=root)
    flags = flags[flags["source_file"] == file]
    rows = []
    for number in range(start, end + 1):
        here = flags[(flags["line_start"] <= number) & (flags["line_end"] >= number)]
        notes = [
            f"{f.kind}: {f.found!s} → {f.replacement!s}" if pd.notna(f.replacement) else f"{f.kind}: {f.found!s}"
            for f in here.itertuples()
        ]
        rows.append({"line": number, "raw": lines[number - 1], "flags": "; ".join(notes)})
    return pd.DataFrame(rows)


def student_version(notebook):
    """A copy of ``notebook`` (an ``nbformat`` node) without solution cells and without outputs.

    Cells tagged ``solution`` are removed and one note says where the solutions are;
    every code cell loses its outputs and execution count, so students run it themselves.

    Raises
    ------
    ValueError
        If the notebook has no cell tagged ``solution`` (nothing would be held back).
    """
    import nbformat

    copy = nbformat.reads(nbformat.writes(notebook), as_version=4)
    kept = [c for c in copy.cells if SOLUTION_TAG not in c.get("metadata", {}).get("tags", [])]
    if len(kept) == len(copy.cells):
        raise ValueError("no cell is tagged 'solution': the students' copy would hold the answers")
    for cell in kept:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    kept.append(nbformat.v4.new_markdown_cell(STUDENT_NOTE, id="student-note"))
    copy.cells = kept
    return copy


def write_student_version(source: Path | None = None, target: Path | None = None) -> Path:
    """Write the students' copy of ``source`` (default notebook 05) to ``target`` (default
    ``teaching/05_teaching_case_student.ipynb``), atomically, and return ``target``."""
    source = source or CASE_NOTEBOOK
    target = target or STUDENT_NOTEBOOK
    try:
        import nbformat
    except ImportError as exc:  # the notebooks extra is not installed
        raise StreetlibError(
            "writing the students' notebook needs nbformat: pip install 'streetlib[notebooks]'"
        ) from exc
    if not source.is_file():
        raise StreetlibError(f"{source}: no such notebook; run this from a clone of the project")
    try:
        student = student_version(nbformat.read(source, as_version=4))
    except ValueError as exc:
        raise StreetlibError(f"{source}: {exc}. Tag the worked solutions 'solution'.") from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    with replacing_file(target) as tmp:
        nbformat.write(student, tmp)
    return target
