"""Command line: build, info, check, export, add."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURES, snapshot

import streetlib
from streetlib import config, datasets
from streetlib.cli import main
from streetlib.export import DICTIONARY_SHEET, SOURCES_SHEET

ADD = [
    "--street", "新华路街道", "--street-en", "Xinhua Road Subdistrict", "--district", "长宁区",
    "--district-en", "Changning District", "--doc-type", "work_plan", "--published", "2024-02-01",
    "--publisher", "新华路街道办事处", "--title", "新华路街道2024年工作要点", "--years", "2024",
]  # fmt: skip


def test_build_info_and_check(data_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(data_root), "build"]) == 0
    assert main(["--data", str(data_root), "info"]) == 0
    assert "tasks" in capsys.readouterr().out
    before = snapshot(config.processed_dir(data_root))
    assert main(["--data", str(data_root), "check"]) == 0
    out = capsys.readouterr().out
    assert "11 documents" in out and "gumeilu_five_year_plan_14th" in out
    assert snapshot(config.processed_dir(data_root)) == before, "check writes nothing"


def test_a_build_error_exits_nonzero_with_the_message(data_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (data_root / "raw" / "changshoulu_2022_work_plan.txt").unlink()
    assert main(["--data", str(data_root), "build"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_xlsx_export_round_trips_to_the_same_tables(tmp_path: Path) -> None:
    path = tmp_path / "streetlib.xlsx"
    assert main(["export", "--xlsx", str(path)]) == 0
    sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False, na_values=[""])
    assert set(sheets) == {*datasets.table_names(), DICTIONARY_SHEET, SOURCES_SHEET}
    for name in datasets.table_names():
        schema = datasets.SCHEMAS[name]
        frame = sheets[name]
        for column in schema:  # Excel stores numbers as numbers; read them back as the CSV would
            if column.dtype == "bool":
                frame[column.name] = frame[column.name].str.capitalize()
        restored = datasets.restore_dtypes(frame, schema)
        pd.testing.assert_frame_equal(restored, streetlib.load(name), check_exact=False, rtol=1e-12)
    assert "长白新村街道" in set(sheets["documents"]["street"])
    dictionary = sheets[DICTIONARY_SHEET]
    assert len(dictionary) == sum(len(s) for s in datasets.SCHEMAS.values())
    assert sheets[SOURCES_SHEET]["source"].notna().all()


def test_csv_export_is_utf8_with_bom(tmp_path: Path) -> None:
    assert main(["export", "--csv", str(tmp_path / "csv")]) == 0
    data = (tmp_path / "csv" / "documents.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "长白新村街道".encode() in data


def test_add_puts_a_new_document_through_every_table_loader(data_root: Path, tmp_path: Path) -> None:
    new = tmp_path / "xinhualu_2024_work_points.txt"
    new.write_bytes((FIXTURES / "xinhualu_2024_work_points.txt").read_bytes())
    assert main(["--data", str(data_root), "add", str(new), *ADD]) == 0
    assert (data_root / "raw" / new.name).read_bytes() == new.read_bytes()
    assert main(["--data", str(data_root), "build"]) == 0
    docs = streetlib.load_documents(root=data_root)
    assert "xinhualu_2024_work_points" in set(docs["doc_id"])
    paragraphs = streetlib.load_paragraphs(root=data_root)
    assert (paragraphs["doc_id"] == "xinhualu_2024_work_points").sum() >= 4
    for name in datasets.table_names():
        streetlib.load(name, root=data_root)


def test_add_refuses_to_replace_a_raw_file_and_leaves_the_manifest(data_root: Path, capsys) -> None:
    manifest = (data_root / "raw" / config.MANIFEST_NAME).read_bytes()
    existing = data_root / "raw" / "changshoulu_2022_work_plan.txt"
    assert main(["--data", str(data_root), "add", str(existing), *ADD]) == 1
    assert "never replaced" in capsys.readouterr().err
    bad = data_root.parent / "bad.txt"
    bad.write_text("x\n", encoding="utf-8")
    args = [a if a != "work_plan" else "workplan" for a in ADD]
    assert main(["--data", str(data_root), "add", str(bad), *args]) == 1
    assert (data_root / "raw" / config.MANIFEST_NAME).read_bytes() == manifest
    assert not (data_root / "raw" / "bad.txt").exists()


def test_report_index_links_every_notebook_report(tmp_path: Path) -> None:
    (tmp_path / "00_a.html").write_text("<h1 id='x'>00 · 语料概览<a>¶</a></h1>", encoding="utf-8")
    (tmp_path / "01_b.html").write_text("<p>no title</p>", encoding="utf-8")
    assert main(["index-reports", str(tmp_path)]) == 0
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert '<a href="00_a.html">00 · 语料概览</a>' in page and '<a href="01_b.html">01_b</a>' in page
    assert '<meta charset="utf-8">' in page
