"""The stage contract: specs, validation, per-document isolation, strict loaders, reviewed files.

Expected values here were written by hand from the fixtures and the specs, before running the code.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from conftest import add_source, document_entry, record_table, snapshot

import streetlib
from streetlib import build as build_module
from streetlib import config, datasets, manifest, reviewed, schema
from streetlib.build import EXIT_LEFT_OUT, STAGES, build, problems_text
from streetlib.cli import main
from streetlib.errors import BuildError, DataNotBuiltError, located
from streetlib.stage import StageResult

TASKS = "xinhualu_2024_task_list.txt"
NEW = "xinhualu_2024_work_points.txt"
GOOD = document_entry("xinhualu_work_points_2024", NEW, (1, 26), [(1, 26, "plan")])
REPORT = "changbai_research_report_2021"


def broken_task_table(root: Path) -> None:
    """The test task list with row 1's content cell deleted (the row has 2 cells where the header has 3)."""
    text = (Path(__file__).parent / "fixtures" / TASKS).read_text(encoding="utf-8")
    damaged = text.replace("推进两新组织党建全覆盖。 |\n", "")
    n_lines = len(damaged.split("\n")) - 1
    entry = document_entry("xinhualu_tasks_2024", TASKS, (1, n_lines), [(1, n_lines, "plan")], doc_type="annex")
    add_source(root, TASKS, [entry], text=damaged)


# --- the specs ------------------------------------------------------------------------------------


def test_every_vocabulary_is_defined_once() -> None:
    assert manifest.DOC_TYPES is schema.DOC_TYPES and manifest.GENRES is schema.GENRES
    assert datasets.SCHEMAS is schema.SCHEMAS and datasets.REGION_KINDS is schema.REGION_KINDS
    assert schema.SPECS["documents"].column("doc_type").dtype is schema.DOC_TYPES
    assert schema.SPECS["sections"].column("genre").dtype is schema.GENRES


@pytest.mark.parametrize("name", sorted(schema.SPECS))
def test_spec_is_consistent(name: str) -> None:
    spec = schema.SPECS[name]
    assert len(set(spec.names)) == len(spec.names), "a column is listed twice"
    assert set(spec.key) <= set(spec.names)
    assert set(spec.order) <= {*spec.names, "source_file"}
    if spec.extracted:  # provenance on every extracted row
        assert {"doc_id", "line_start", "line_end"} <= set(spec.names)
        assert spec.names.index("line_end") == spec.names.index("line_start") + 1


def test_extracted_tables_include_the_three_that_lacked_line_end() -> None:
    extracted = {n for n, s in schema.SPECS.items() if s.extracted}
    assert {"population", "report_figures", "report_checks", "tasks", "paragraphs"} <= extracted


# --- validation of values ---------------------------------------------------------------------------

YEAR = schema.SPECS["tasks"].column("year")
SCOPE = schema.SPECS["tasks"].column("scope")
SEQ = schema.SPECS["tasks"].column("seq")


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        (SCOPE, "weekly", "'weekly' is not one of three_year, annual, quarterly"),
        (SEQ, 2.5, "2.5 is not a whole number"),
        (SEQ, True, "True is not a number"),
        (SEQ, "二", "'二' is not a number"),
        (YEAR, 10**30, "outside the plausible range 1949..2100"),
        (YEAR, 1900, "outside the plausible range 1949..2100"),
        (schema.SPECS["population"].column("as_of"), "2020-13-01", "is not a date"),
        (schema.SPECS["paragraphs"].column("is_duplicate"), "yes", "is not True or False"),
        (schema.SPECS["tasks"].column("doc_id"), None, "is empty"),
    ],
)
def test_a_bad_value_is_named(column: schema.Column, value: object, problem: str) -> None:
    assert problem in schema.bad_value(column, value)


@pytest.mark.parametrize(
    ("column", "value"),
    [(SCOPE, "annual"), (SCOPE, None), (SEQ, 3), (SEQ, 3.0), (YEAR, 2024), (YEAR, float("nan"))],
)
def test_a_good_value_passes(column: schema.Column, value: object) -> None:
    assert schema.bad_value(column, value) is None


def test_a_repeated_key_is_named_with_its_line() -> None:
    row = {"task_id": "d:t01-01", "doc_id": "d", "line_start": 5, "line_end": 6}
    invalid = schema.validate(schema.SPECS["tasks"], [row, row | {"line_start": 9, "line_end": 9}], partial=True)
    assert [(i.column, i.line_start) for i in invalid] == [("task_id", 9)]
    assert "repeats row 1" in invalid[0].problem


# --- one bad document never blocks the others -----------------------------------------------------


def test_a_broken_table_leaves_its_document_out_and_the_rest_builds(data_root: Path, capsys) -> None:
    add_source(data_root, NEW, [GOOD])
    broken_task_table(data_root)
    assert main(["--data", str(data_root), "build"]) == EXIT_LEFT_OUT
    err = capsys.readouterr().err
    assert "xinhualu_tasks_2024" in err and f"{TASKS}:" in err and "the header has 3" in err
    docs = streetlib.load_documents(root=data_root)
    assert "xinhualu_work_points_2024" in set(docs["doc_id"]) and len(docs) == 12  # 11 + the good one
    assert "xinhualu_tasks_2024" not in set(docs["doc_id"])
    for name in ("tasks", "regions", "sections", "paragraphs", "quality_flags"):
        assert not (streetlib.load(name, root=data_root)["doc_id"] == "xinhualu_tasks_2024").any(), name
    problems = streetlib.load_build_problems(root=data_root)
    assert problems[["doc_id", "stage", "source_file"]].values.tolist() == [["xinhualu_tasks_2024", "tasks", TASKS]]
    assert problems["line_start"].iloc[0] == 10  # the row's sequence number "1 |"
    assert "Check" in problems["remedy"].iloc[0] or "errata" in problems["remedy"].iloc[0]


def test_check_lists_every_problem_of_every_document_and_writes_nothing(built_root: Path, capsys) -> None:
    before = snapshot(config.processed_dir(built_root))
    broken_task_table(built_root)
    # a second document with its own problem: a report quote that is not on its line
    with (built_root / "reviewed" / "report_figures.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"{REPORT},图1,fig1_moved,年纳税总额,2.3,亿元,2254,企业年纳税总额为2.3亿元\n")
    assert main(["--data", str(built_root), "check"]) == EXIT_LEFT_OUT
    out = capsys.readouterr().out
    assert "2 document(s) left out" in out and out.count("LEFT OUT") == 2
    assert "xinhualu_tasks_2024" in out and f"{TASKS}:10" in out
    assert REPORT in out and "report_figures.csv:" in out and "is not on line 2254" in out
    assert snapshot(config.processed_dir(built_root)) == before


def test_a_report_quote_off_its_line_leaves_only_the_report_out(data_root: Path) -> None:
    with (data_root / "reviewed" / "report_figures.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"{REPORT},图1,fig1_moved,年纳税总额,2.3,亿元,9999,企业年纳税总额为2.3亿元\n")
    problems = build(data_root, progress=False).problems
    assert problems[["doc_id", "stage", "source_file"]].values.tolist() == [
        [REPORT, "report", "reviewed/report_figures.csv"]
    ]
    assert problems["line_start"].iloc[0] == 86  # the appended row: header + 84 rows + this one
    assert "verbatim" in problems["remedy"].iloc[0]
    assert len(streetlib.load_documents(root=data_root)) == 10
    assert REPORT not in set(streetlib.load_report_figures(root=data_root)["doc_id"])


def test_a_value_outside_its_spec_leaves_the_document_out(data_root: Path, monkeypatch) -> None:
    tasks_stage = next(s for s in STAGES if s.name == "tasks")

    def weekly(ctx) -> StageResult:
        result = tasks_stage.run(ctx)
        for row in result.rows.get("tasks", []):
            row["scope"] = "weekly"
        return result

    stages = tuple(dataclasses.replace(s, run=weekly) if s is tasks_stage else s for s in STAGES)
    monkeypatch.setattr(build_module, "STAGES", stages)
    problems = build(data_root, progress=False).problems
    assert problems["doc_id"].unique().tolist() == ["changbai_action_plan_task_lists"]
    assert (problems["stage"] == "tasks").all()
    assert problems["problem"].str.contains("tasks.scope: 'weekly' is not one of").all()
    assert problems["line_start"].notna().all()  # each names the line of its row
    assert "changbai_action_plan_task_lists" not in set(streetlib.load_documents(root=data_root)["doc_id"])


def test_a_manifest_year_out_of_range_stops_the_build(data_root: Path) -> None:
    path = data_root / "raw" / config.MANIFEST_NAME
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("year_end = 2022", "year_end = 20220", 1), encoding="utf-8")
    with pytest.raises(BuildError, match="year_end: 20220 is outside the plausible range"):
        build(data_root, progress=False)
    assert not config.processed_dir(data_root).exists()


def test_problems_text_is_empty_when_everything_built(data_root: Path) -> None:
    assert build(data_root, progress=False).problems.empty
    assert problems_text(streetlib.load_build_problems(root=data_root)) == ""


# --- loaders refuse what they cannot restore ------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "column", "old", "new", "bad"),
    [
        ("documents", "doc_type", ",work_plan,", ",workplan,", "'workplan'"),
        ("paragraphs", "is_duplicate", ",False\n", ",Nein\n", "'Nein'"),
        ("tasks", "seq", ",基层党建,基层党建,1,", ",基层党建,基层党建,一,", "'一'"),
    ],
)
def test_loaders_refuse_values_they_cannot_restore(built_root: Path, table, column, old, new, bad) -> None:
    path = datasets.table_path(table, root=built_root)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    record_table(built_root, table)  # past the manifest's check, to reach the value check
    with pytest.raises(DataNotBuiltError) as caught:
        streetlib.load(table, root=built_root)
    for fragment in (f"{table}.csv", f"column {column!r}", bad, "run `streetlib build`"):
        assert fragment in str(caught.value), str(caught.value)


# --- reviewed files: one reader ---------------------------------------------------------------


def test_reviewed_files_live_in_data_reviewed_not_raw() -> None:
    for name in schema.REVIEWED:
        assert (config.reviewed_dir() / f"{name}.csv").is_file()
        assert not (config.raw_dir() / f"{name}.csv").exists()


def test_reviewed_readme_is_the_generated_data_dictionary() -> None:
    assert (config.reviewed_dir() / "README.md").read_text(encoding="utf-8") == reviewed.data_dictionary()


def test_a_byte_order_mark_is_accepted(data_root: Path) -> None:
    path = data_root / "reviewed" / "errata.csv"
    plain = reviewed.read("errata", data_root)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert reviewed.read("errata", data_root) == plain
    assert len(plain) == 97 and plain[0][0] == 2


@pytest.mark.parametrize(
    ("damage", "fragments"),
    [
        (
            lambda t: t.replace('"the 常住人口 figure is missing: a missing value, not zero"', "missing, not zero"),
            ["errata.csv:28", "has 8 fields, the header has 7", "must be quoted"],
        ),
        (lambda t: t.replace("source,line,", "file,line,", 1), ["errata.csv:1", "missing ['source']"]),
        (lambda t: t.replace(",fix,", ",repair,", 1), ["errata.csv:2", "'action'", "'repair' is not one of fix, flag"]),
        (lambda t: t.replace(",50,", ",五十,", 1), ["errata.csv:2", "'line'", "'五十' is not a whole number"]),
    ],
)
def test_a_damaged_reviewed_file_is_refused_with_row_and_column(data_root: Path, damage, fragments) -> None:
    path = data_root / "reviewed" / "errata.csv"
    text = path.read_text(encoding="utf-8")
    assert damage(text) != text
    path.write_text(damage(text), encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(data_root, progress=False)
    for fragment in fragments:
        assert fragment in str(caught.value), str(caught.value)


def test_gb18030_is_named_with_what_to_do(data_root: Path) -> None:
    path = data_root / "reviewed" / "report_checks.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    with pytest.raises(BuildError) as caught:
        reviewed.read("report_checks", data_root)
    assert "report_checks.csv:2" in str(caught.value) and "GB18030" in str(caught.value)
    assert "CSV UTF-8" in str(caught.value)


def test_a_repeated_figure_key_is_refused(data_root: Path) -> None:
    path = data_root / "reviewed" / "report_figures.csv"
    first = path.read_text(encoding="utf-8").splitlines()[1]
    with path.open("a", encoding="utf-8") as handle:
        handle.write(first + "\n")
    with pytest.raises(BuildError, match=r"report_figures.csv:86: .*'key': 'fig1_total_tax'.*first in row 2"):
        reviewed.read("report_figures", data_root)


def test_every_problem_of_a_reviewed_file_is_listed_at_once(data_root: Path) -> None:
    path = data_root / "reviewed" / "errata.csv"
    text = path.read_text(encoding="utf-8").replace(",fix,", ",repair,")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BuildError, match=r"errata.csv:2: \d+ problems, \d+ more not listed: row 2: "):
        reviewed.read("errata", data_root)


def test_loaded_frames_keep_their_dtypes_with_build_problems() -> None:
    problems = streetlib.load_build_problems()
    assert list(problems.columns) == schema.SPECS["build_problems"].names
    assert str(problems["line_start"].dtype) == "Int64"
    assert isinstance(problems, pd.DataFrame)


def test_a_build_where_every_document_fails_still_writes_every_table(data_root: Path, monkeypatch) -> None:
    def refuse(ctx) -> StageResult:
        raise BuildError(located(ctx.source, ctx.doc.line_start, "test refusal", "Nothing to do"))

    stages = tuple(dataclasses.replace(s, run=refuse) if s.name == "structure" else s for s in STAGES)
    monkeypatch.setattr(build_module, "STAGES", stages)
    problems = build(data_root, progress=False).problems
    assert len(problems) == 11 and (problems["stage"] == "structure").all()  # one per document, nothing later
    assert set(streetlib.table_names()) == {p.stem for p in config.processed_dir(data_root).glob("*.csv")}
    assert streetlib.load_documents(root=data_root).empty and streetlib.load_paragraphs(root=data_root).empty
    assert len(streetlib.load_departments(root=data_root)) > 0


def test_a_doc_id_with_a_trailing_newline_is_refused(data_root: Path) -> None:
    path = data_root / "raw" / config.MANIFEST_NAME
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('doc_id = "changbai_sap_brand"', 'doc_id = "changbai_sap_brand\\n"'), encoding="utf-8")
    with pytest.raises(BuildError, match=r"doc_id: 'changbai_sap_brand\\n' does not match"):
        build(data_root, progress=False)


def test_reference_population_is_read_through_the_same_reader(data_root: Path) -> None:
    path = data_root / "external" / "reference_population.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b",hukou,", b",household,", 1))
    with pytest.raises(BuildError, match=r"reference_population.csv:2: column 'basis': 'household' is not one of"):
        build(data_root, progress=False)


def test_stage_vocabularies_point_into_the_schema() -> None:
    from streetlib import indicators, structure

    assert set(structure.BOILERPLATE_KINDS) <= set(schema.REGION_KINDS)
    assert set(indicators.ATTRIBUTES.values()) <= set(schema.ATTRIBUTES)


def test_every_registered_table_has_a_spec_and_a_loader() -> None:
    written = {name for stage in STAGES for name in stage.tables}
    assert written <= set(schema.SPECS)
    assert {n for n, s in schema.SPECS.items() if s.extracted} <= written
    for name in schema.SPECS:
        assert callable(getattr(streetlib, f"load_{name}")), name
