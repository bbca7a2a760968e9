"""Damaged input: one clear error naming the file, the entry or line and what to do;
``data/processed`` untouched.

Damage inside tables (missing cell, jumping sequence; and, as flags rather than errors, an unknown
department or a table without header) is in ``test_tables.py``; a heading sequence that skips (a flag,
not an error) in ``test_structure.py``;
a notebook run against data that was never built in ``test_notebooks.py``; property tests
(arbitrary text raises only streetlib errors) next to each reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import set_manifest_sha, set_source_field, snapshot

from streetlib import config
from streetlib.build import build
from streetlib.errors import BuildError, ManifestError, SourceError, StreetlibError
from streetlib.report import FIGURE_FILE

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
        append_erratum(f"{BUNDLE},51,不在这一行的文字,替换,fix,test"),
        BuildError,
        ["errata.csv:", "不在这一行的文字", "line 51", "verbatim"],
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
def test_bad_input_gives_a_clear_error_and_keeps_processed(data_root: Path, case: str) -> None:
    damage, error, fragments = CASES[case]
    build(data_root, progress=False)
    before = snapshot(config.processed_dir(data_root))
    damage(data_root)
    with pytest.raises(error) as caught:
        build(data_root, progress=False)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in: {message}"
    assert snapshot(config.processed_dir(data_root)) == before
    assert not list(data_root.glob(".processed-*"))


def test_gbk_source_builds_once_its_encoding_is_declared(data_root: Path) -> None:
    build(data_root, progress=False)
    before = snapshot(config.processed_dir(data_root))
    rewrite_source(to_gbk)(data_root)
    set_source_field(data_root, PLAN, "encoding", '"gb18030"')
    build(data_root, progress=False)
    after = snapshot(config.processed_dir(data_root))
    assert after == before, "the same text in another declared encoding must give the same tables"


def test_crlf_source_builds_once_declared(data_root: Path) -> None:
    build(data_root, progress=False)
    before = snapshot(config.processed_dir(data_root))
    rewrite_source(lambda b: b.replace(b"\n", b"\r\n"))(data_root)
    set_source_field(data_root, PLAN, "newline", '"crlf"')
    build(data_root, progress=False)
    assert snapshot(config.processed_dir(data_root)) == before


def test_every_error_is_a_streetlib_error() -> None:
    for _, error, _ in CASES.values():
        assert issubclass(error, StreetlibError)


def test_error_messages_name_file_and_remedy(data_root: Path) -> None:
    rewrite_source(to_gbk)(data_root)
    with pytest.raises(SourceError) as caught:
        build(data_root, progress=False)
    assert re.match(rf".*{re.escape(PLAN)}:\d+: ", str(caught.value))
