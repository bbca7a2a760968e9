"""Damaged input: one clear error naming the file, the entry or line and what to do;
``data/processed`` untouched.

Damage inside tables (missing cell, jumping sequence; and, as flags rather than errors, an unknown
department or a table without header) is in ``test_tables.py``; a heading sequence that skips (a flag,
not an error) in ``test_structure.py``;
a notebook run against data that was never built in ``test_notebooks.py``; property tests
(arbitrary text raises only streetlib errors) next to each reader.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURES, add_source, document_entry, set_manifest_sha, set_source_field, snapshot

import streetlib
from streetlib import config, reviewed
from streetlib.build import build
from streetlib.cli import main
from streetlib.errors import BuildError, DataNotBuiltError, ManifestError, SourceError, StreetlibError
from streetlib.inference import load_gazetteer
from streetlib.labels import glossary
from streetlib.report import CHECK_FILE, FIGURE_FILE
from streetlib.schema import LEXICON

PLAN = "changshoulu_2022_work_plan.txt"
BUNDLE = "changbai_2021-2023_action_plan_bundle.txt"


def edit_manifest(old: str, new: str, count: int = 1) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / "raw" / config.MANIFEST_NAME
        text = path.read_text(encoding="utf-8")
        assert text.count(old) >= count, f"{old!r} not in manifest"
        path.write_text(text.replace(old, new, count), encoding="utf-8")

    return apply


def rewrite_source(transform: Callable[[bytes], bytes], *, record_sha: bool = True) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / "raw" / PLAN
        data = transform(path.read_bytes())
        path.write_bytes(data)
        if record_sha:
            set_manifest_sha(root, PLAN, data)

    return apply


def append_row(name: str, row: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        with (root / "reviewed" / name).open("a", encoding="utf-8") as handle:
            handle.write(row + "\n")

    return apply


def edit_reviewed(name: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / "reviewed" / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} not once in {name}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return apply


def append_figure_claim(row: str) -> Callable[[Path], None]:
    return append_row(FIGURE_FILE, row)


def append_erratum(row: str) -> Callable[[Path], None]:
    return append_row(config.ERRATA_NAME, row)


def to_gbk(data: bytes) -> bytes:
    return data.decode("utf-8").encode("gb18030")


CASES = {
    "missing source": (
        lambda root: (root / "raw" / PLAN).unlink(),
        SourceError,
        [PLAN, "does not exist", "Copy the raw file"],
    ),
    "sha256 mismatch": (
        rewrite_source(lambda b: b + "补".encode(), record_sha=False),
        SourceError,
        [PLAN, "sha256", "never edited"],
    ),
    "GBK-encoded file": (
        rewrite_source(to_gbk),
        SourceError,
        [PLAN, "not valid utf-8", 'encoding = "gb18030"'],
    ),
    "UTF-8 byte-order mark": (
        rewrite_source(lambda b: b"\xef\xbb\xbf" + b),
        SourceError,
        [PLAN, ":1", "byte-order mark", "utf-8-sig"],
    ),
    "CRLF line ends": (
        rewrite_source(lambda b: b.replace(b"\n", b"\r\n")),
        SourceError,
        [PLAN, ":1", "CRLF", 'newline = "crlf"'],
    ),
    "truncated inside a character": (
        rewrite_source(lambda b: b[: b.index("慈善超市".encode()) + 4]),
        SourceError,
        [PLAN, "ends inside a character", "looks truncated", "Restore the complete file"],
    ),
    "truncated at a line end": (
        rewrite_source(lambda b: b"\n".join(b.split(b"\n")[:40]) + b"\n"),
        ManifestError,
        ["manifest.toml", "changshoulu_work_plan_2022", "past the end", "40 lines", "truncated"],
    ),
    "figure claim with no number": (
        append_figure_claim(
            "changbai_research_report_2021,图1,fig1_blank,年纳税总额,,亿元,2253,企业年纳税总额为2.3亿元"
        ),
        BuildError,
        ["report_figures.csv:", "column 'value' is empty", "Fill it in"],
    ),
    "erratum that does not match its line": (
        append_erratum(f"{BUNDLE},51,不在这一行的文字,替换,fix,test,"),
        BuildError,
        ["errata.csv:", "不在这一行的文字", "line 51", "verbatim"],
    ),
    "erratum that occurs more often than it says": (
        edit_reviewed(
            config.ERRATA_NAME, "业委会 (homeowners' committee) mistyped,3", "业委会 (homeowners' committee) mistyped,"
        ),
        BuildError,
        ["errata.csv:34", "'业务会' occurs 3 times on line 2350", "says once", "`occurrences`"],
    ),
    "erratum that occurs less often than it says": (
        append_erratum(f"{BUNDLE},56,的归属感,的归属,fix,test,2"),
        BuildError,
        ["errata.csv:", "'的归属感' occurs 1 times on line 56", "says 2 times"],
    ),
    "check formula with a division by zero": (
        append_row(
            CHECK_FILE, 'changbai_research_report_2021,zero,fig1_total_tax,"fig1_total_tax / 0",1,equal,arithmetic,,'
        ),
        BuildError,
        ["report_checks.csv:", "'fig1_total_tax / 0'", "divides by zero"],
    ),
    "check formula cut short": (
        append_row(
            CHECK_FILE, 'changbai_research_report_2021,cut,fig1_total_tax,"fig1_total_tax +",1,equal,arithmetic,,'
        ),
        BuildError,
        ["report_checks.csv:", "not a complete expression"],
    ),
    "check formula that overflows": (
        append_row(CHECK_FILE, "changbai_research_report_2021,huge,fig1_total_tax,1e308 * 10,1,equal,arithmetic,,"),
        BuildError,
        ["report_checks.csv:", "no finite value"],
    ),
    "check formula with a boolean": (
        append_row(CHECK_FILE, "changbai_research_report_2021,bool,fig1_total_tax,True,1,equal,arithmetic,,"),
        BuildError,
        ["report_checks.csv:", "'True'", "not a number"],
    ),
    "check with a bad decimals": (
        append_row(CHECK_FILE, "changbai_research_report_2021,dec,fig1_total_tax,fig1_total_tax,-1,equal,arithmetic,,"),
        BuildError,
        ["report_checks.csv:", "'decimals'", "outside 0..6"],
    ),
    "empty file": (
        rewrite_source(lambda b: b""),
        SourceError,
        [PLAN, "empty"],
    ),
    "duplicate doc_id": (
        edit_manifest('doc_id = "changbai_sap_brand"', 'doc_id = "changbai_sap_usst_community"'),
        ManifestError,
        ["manifest.toml", "changbai_sap_usst_community", "used twice"],
    ),
    "part range outside its source": (
        edit_manifest(
            "line_end = 57\nparts = [{ line_start = 1, line_end = 57,",
            "line_end = 70\nparts = [{ line_start = 1, line_end = 70,",
        ),
        ManifestError,
        ["manifest.toml", "changshoulu_work_plan_2022", "past the end", "57 lines"],
    ),
    "field of the wrong type": (
        edit_manifest("year_start = 2022", 'year_start = "2022"'),
        ManifestError,
        ["manifest.toml", "changshoulu_work_plan_2022", "year_start", "must be of type int"],
    ),
    "missing field": (
        edit_manifest('district = "普陀区"\n', ""),
        ManifestError,
        ["manifest.toml", "changshoulu_work_plan_2022", "'district' is missing"],
    ),
    "unknown doc_type": (
        edit_manifest('doc_type = "work_plan"', 'doc_type = "workplan"'),
        ManifestError,
        ["manifest.toml", "changshoulu_work_plan_2022", "doc_type 'workplan'", "work_plan"],
    ),
    "parts with a gap": (
        edit_manifest("{ line_start = 33, line_end = 49,", "{ line_start = 34, line_end = 49,"),
        ManifestError,
        ["manifest.toml", "xinjiangwancheng_congress_report_2023", "part 2", "do not continue from line 33"],
    ),
    "overlapping documents": (
        edit_manifest("line_start = 2116\nline_end = 2166", "line_start = 2110\nline_end = 2166"),
        ManifestError,
        ["manifest.toml", "overlap"],
    ),
    "malformed TOML": (
        edit_manifest("\n[[documents]]\n", "\n[[documents]\n"),
        ManifestError,
        ["manifest.toml", "not valid TOML"],
    ),
    "date written as a string": (
        edit_manifest("published = 2022-06-10", 'published = "2022-06-10"'),
        ManifestError,
        ["manifest.toml", PLAN, "published", "unquoted"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gives_a_clear_error_and_keeps_processed(built_root: Path, case: str) -> None:
    damage, error, fragments = CASES[case]
    before = snapshot(config.processed_dir(built_root))
    damage(built_root)
    with pytest.raises(error) as caught:
        build(built_root, progress=False)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in: {message}"
    assert snapshot(config.processed_dir(built_root)) == before
    assert not list(built_root.glob(".processed-*"))


def test_gbk_source_builds_once_its_encoding_is_declared(built_root: Path) -> None:
    before = snapshot(config.processed_dir(built_root))
    rewrite_source(to_gbk)(built_root)
    set_source_field(built_root, PLAN, "encoding", '"gb18030"')
    build(built_root, progress=False)
    after = snapshot(config.processed_dir(built_root))
    assert after == before, "the same text in another declared encoding must give the same tables"


def test_crlf_source_builds_once_declared(built_root: Path) -> None:
    before = snapshot(config.processed_dir(built_root))
    rewrite_source(lambda b: b.replace(b"\n", b"\r\n"))(built_root)
    set_source_field(built_root, PLAN, "newline", '"crlf"')
    build(built_root, progress=False)
    assert snapshot(config.processed_dir(built_root)) == before


def test_every_error_is_a_streetlib_error() -> None:
    for _, error, _ in CASES.values():
        assert issubclass(error, StreetlibError)


def test_error_messages_name_file_and_remedy(data_root: Path) -> None:
    rewrite_source(to_gbk)(data_root)
    with pytest.raises(SourceError) as caught:
        build(data_root, progress=False)
    assert re.match(rf".*{re.escape(PLAN)}:\d+: ", str(caught.value))


def test_an_erratum_repairing_several_occurrences_says_so(built_root: Path) -> None:
    flags = pd.read_csv(config.processed_dir(built_root) / "quality_flags.csv", dtype=str, keep_default_na=False)
    repaired = flags[(flags["kind"] == "erratum_fix") & (flags["line_start"] == "2350")]
    assert list(repaired["found"]) == ["业务会"]
    assert repaired["note"].iloc[0].endswith("(3 occurrences on the line, all repaired)")
    lines = (config.processed_dir(built_root) / "quality_flags.csv").read_text(encoding="utf-8")
    assert "occurrences on the line" in lines


LEXICON_FILES = sorted(LEXICON)


@pytest.mark.parametrize("name", LEXICON_FILES)
def test_a_lexicon_saved_with_a_byte_order_mark_reads_the_same(data_root: Path, name: str) -> None:
    path = data_root / "lexicon" / f"{name}.csv"
    plain = reviewed.read_lexicon(name, path.parent)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert reviewed.read_lexicon(name, path.parent) == plain
    assert plain and plain[0][0] == 2


@pytest.mark.parametrize("name", LEXICON_FILES)
def test_a_lexicon_saved_as_gb18030_is_named_with_what_to_do(data_root: Path, name: str) -> None:
    path = data_root / "lexicon" / f"{name}.csv"
    text = path.read_text(encoding="utf-8")
    assert any(ord(c) > 127 for c in text)
    path.write_bytes(text.encode("gb18030"))
    with pytest.raises(BuildError) as caught:
        reviewed.read_lexicon(name, path.parent)
    message = str(caught.value)
    assert f"{name}.csv:" in message and "GB18030" in message and "CSV UTF-8" in message


@pytest.mark.parametrize("name", LEXICON_FILES)
def test_a_lexicon_row_with_an_extra_field_is_named(data_root: Path, name: str) -> None:
    path = data_root / "lexicon" / f"{name}.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    width = len(lines[0].split(","))
    lines.insert(2, ",".join(["x"] * (width + 1)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        reviewed.read_lexicon(name, path.parent)
    assert f"{name}.csv:3: has {width + 1} fields, the header has {width}" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "old", "new", "fragments"),
    [
        ("departments", "department,department_en,kind", "name,department_en,kind", [":1", "missing ['department']"]),
        ("departments", ",subdistrict_office,", ",office,", ["'kind': 'office' is not one of subdistrict_office"]),
        ("doc_types", ",plan,0", ",plan,zero", ["'years_after': 'zero' is not a whole number"]),
        ("gazetteer", ",310101002,", ",31010100x,", ["'code': '31010100x' does not match"]),
    ],
)
def test_a_damaged_lexicon_stops_the_build_with_file_row_and_column(
    built_root: Path, name: str, old: str, new: str, fragments: list[str]
) -> None:
    before = snapshot(config.processed_dir(built_root))
    path = built_root / "lexicon" / f"{name}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(built_root, progress=False)
    for fragment in [f"lexicon/{name}.csv:", *fragments]:
        assert fragment in str(caught.value), str(caught.value)
    assert snapshot(config.processed_dir(built_root)) == before


def test_the_glossary_and_gazetteer_readers_name_a_bad_row(data_root: Path) -> None:
    path = data_root / "lexicon" / "gazetteer.csv"
    path.write_text(path.read_text(encoding="utf-8") + "新街道,New,街道,某区\n", encoding="utf-8")
    with pytest.raises(BuildError, match=r"gazetteer.csv:\d+: has 4 fields, the header has 7"):
        load_gazetteer(path.parent)
    (data_root / "lexicon" / "glossary.csv").write_bytes("zh,en,kind\n养老,Elderly care\n".encode("gb18030"))
    with pytest.raises(BuildError, match=r"glossary.csv:2: is saved in GB18030"):
        glossary(root=data_root)


def test_reference_population_saved_by_excel(data_root: Path) -> None:
    path = data_root / "external" / "reference_population.csv"
    original = path.read_bytes()
    path.write_bytes(b"\xef\xbb\xbf" + original)
    build(data_root, progress=False)
    before = snapshot(config.processed_dir(data_root))
    path.write_bytes(original.decode("utf-8").encode("gb18030"))
    with pytest.raises(BuildError, match=r"reference_population.csv:\d+: is saved in GB18030.*CSV UTF-8"):
        build(data_root, progress=False)
    assert snapshot(config.processed_dir(data_root)) == before


HIDDEN_TEXT = (
    "新华路街道2024年工作计划\n"
    "一、总体要求\u200b\n"
    "坚持党建引领,推进社区治理。\n"
    "二、重点任\x00务\n"
    "推进养老服务\u202e设施建设。\n"
    "三、执\u2f8f保障\n"  # KANGXI RADICAL WALK for 行
    "加强组织领导,落实责任。\n"
)


def test_hidden_characters_never_reach_analysis_text_and_are_flagged(data_root: Path) -> None:
    entry = document_entry("xinhualu_hidden_2024", "hidden_2024.txt", (1, 7), [(1, 7, "plan")])
    add_source(data_root, "hidden_2024.txt", [entry], text=HIDDEN_TEXT)
    build(data_root, progress=False)
    processed = config.processed_dir(data_root)
    for path in processed.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        for char in "\x00\u200b\u202e\u2f8f":
            assert char not in text, f"U+{ord(char):04X} in {path.name}"
    sections = pd.read_csv(processed / "sections.csv", dtype=str, keep_default_na=False)
    titles = set(sections.loc[sections["doc_id"] == "xinhualu_hidden_2024", "title"])
    assert {"总体要求", "重点任务", "执行保障"} <= titles, titles
    flags = pd.read_csv(processed / "quality_flags.csv", dtype=str, keep_default_na=False)
    hidden = flags[flags["kind"] == "hidden_characters"]
    assert list(
        zip(hidden["source_file"], hidden["line_start"], hidden["line_end"], hidden["doc_id"], strict=True)
    ) == [
        ("hidden_2024.txt", "2", "2", "xinhualu_hidden_2024"),
        ("hidden_2024.txt", "4", "4", "xinhualu_hidden_2024"),
        ("hidden_2024.txt", "5", "5", "xinhualu_hidden_2024"),
        ("hidden_2024.txt", "6", "6", "xinhualu_hidden_2024"),
    ]
    assert list(hidden["found"]) == ["U+200B", "U+0000", "U+202E", "U+2F8F→行"]


def test_a_table_cut_at_a_row_boundary_is_refused(built_root: Path) -> None:
    path = config.processed_dir(built_root) / "tasks.csv"
    lines = path.read_bytes().split(b"\n")
    assert len(lines) > 100
    path.write_bytes(b"\n".join(lines[:50]) + b"\n")  # header and 49 whole rows
    with pytest.raises(DataNotBuiltError) as caught:
        streetlib.load_tasks(root=built_root)
    message = str(caught.value)
    assert "tasks.csv: has 49 rows, the build wrote 257" in message and "streetlib build" in message


def test_a_table_edited_by_hand_is_refused_and_a_crlf_checkout_is_not(built_root: Path) -> None:
    path = config.processed_dir(built_root) / "documents.csv"
    original = path.read_bytes()
    path.write_bytes(original.replace(b"\n", b"\r\n"))
    assert len(streetlib.load_documents(root=built_root)) == 11
    path.write_bytes(original.replace(b"2022", b"2023", 1))
    with pytest.raises(DataNotBuiltError, match=r"documents.csv: differs from what the build wrote"):
        streetlib.load_documents(root=built_root)


def test_tables_without_their_manifest_are_refused(built_root: Path) -> None:
    (config.processed_dir(built_root) / "MANIFEST").unlink()
    with pytest.raises(DataNotBuiltError, match=r"MANIFEST: is missing, so documents.csv cannot be checked"):
        streetlib.load_documents(root=built_root)


# -- environment faults: a read-only data root, a full disk ------------------------------------------------------


def read_only(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every write under ``root`` fail as on a read-only file system (root can write through chmod)."""
    import builtins
    import io as io_module
    import os

    def refuse(path: object) -> None:
        if Path(os.fspath(path)).resolve().is_relative_to(root.resolve()):
            raise OSError(errno.EROFS, "Read-only file system", os.fspath(path))

    real_open, real_os_open, real_mkdir = builtins.open, os.open, os.mkdir
    real_rename, real_replace = os.rename, os.replace

    def opener(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and any(c in mode for c in "wax+"):
            refuse(file)
        return real_open(file, mode, *args, **kwargs)

    def os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(path)
        return real_os_open(path, flags, *args, **kwargs)

    def mkdir(path, *args, **kwargs):
        refuse(path)
        return real_mkdir(path, *args, **kwargs)

    def rename(src, dst, *args, **kwargs):
        refuse(dst)
        return real_rename(src, dst, *args, **kwargs)

    def replace(src, dst, *args, **kwargs):
        refuse(dst)
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", opener)
    monkeypatch.setattr(io_module, "open", opener)
    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(os, "rename", rename)
    monkeypatch.setattr(os, "replace", replace)


def test_build_on_a_read_only_data_root_is_a_clear_error(
    built_root: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    before = snapshot(built_root)
    read_only(built_root, monkeypatch)
    assert main(["--data", str(built_root), "build"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "could not be written (Read-only file system)" in err, err
    assert str(built_root) in err and "Check the folder's permissions" in err
    monkeypatch.undo()
    assert snapshot(built_root) == before


def test_add_on_a_read_only_data_root_is_a_clear_error(
    data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    new = tmp_path / "hongmeilu_plan.txt"
    new.write_text((FIXTURES / "hongmeilu_2025_work_plan.txt").read_text(encoding="utf-8"), encoding="utf-8")
    before = snapshot(data_root)
    read_only(data_root, monkeypatch)
    code = main(["--data", str(data_root), "add", str(new), "--street", "虹梅路街道", "--published", "2025-01-20"])
    err = capsys.readouterr().err
    monkeypatch.undo()
    assert code == 1 and "Traceback" not in err
    assert "could not add hongmeilu_plan.txt (Read-only file system)" in err and "Nothing was changed" in err, err
    assert snapshot(data_root) == before


def test_a_full_disk_during_add_is_a_clear_error(
    data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    new = tmp_path / "hongmeilu_plan.txt"
    new.write_text((FIXTURES / "hongmeilu_2025_work_plan.txt").read_text(encoding="utf-8"), encoding="utf-8")
    before = snapshot(data_root)

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("shutil.copyfileobj", full)
    code = main(["--data", str(data_root), "add", str(new), "--street", "虹梅路街道", "--published", "2025-01-20"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "could not add hongmeilu_plan.txt (No space left on device)" in err and "free disk space" in err, err
    assert snapshot(data_root) == before
    assert not list(data_root.glob(".streetlib-add-*"))
