"""Tables: tasks, departments, indicators and report tables against the source and its map."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import add_source, document_entry, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

import streetlib
from streetlib import config
from streetlib.build import build, problems_text
from streetlib.clean import apply_errata, load_errata, normalise
from streetlib.errors import StreetlibError
from streetlib.indicators import parse_target
from streetlib.manifest import read_corpus
from streetlib.tables import Table, blank_line_cells, parse_rows, pipe_cells, split_tables

# Rows per task table and per-department task counts, as counted in the seedmap (section 2.1).
ROWS_PER_TABLE = [18, 20, 21, 18] + [18] * 10
DEPARTMENT_TASKS = {
    "党建办": 64, "自治办": 48, "管理办": 41, "服务办": 40, "平安办": 35, "营商办": 30, "宣文办": 20,
    "城管中队": 13, "派出所": 5, "消防": 5, "房管办": 4, "司法所": 2, "安监所": 2, "公安": 1, "工会": 1,
    "监察办": 1, "课题专班": 1,
}  # fmt: skip


@pytest.fixture(scope="module")
def raw_lines() -> dict[str, list[str]]:
    return apply_errata(read_corpus(), load_errata())


def source_of(doc_id: str) -> str:
    docs = streetlib.load_documents().set_index("doc_id")
    return docs.loc[doc_id, "source_file"]


def on_lines(raw: list[str], start: int, end: int, value: str) -> bool:
    """``value`` appears verbatim (after normalisation) on raw lines start..end joined."""
    return normalise(value) in "".join(normalise(line) for line in raw[start - 1 : end])


def test_all_257_task_rows_in_14_tables() -> None:
    tasks = streetlib.load_tasks()
    assert tasks.groupby("table_no").size().tolist() == ROWS_PER_TABLE
    assert tasks["task_id"].is_unique


def test_sequence_numbers_are_contiguous_within_each_table() -> None:
    for _, group in streetlib.load_tasks().groupby("table_no"):
        assert group["seq"].tolist() == list(range(1, len(group) + 1))


def test_every_task_has_a_category_and_a_normalised_one() -> None:
    tasks = streetlib.load_tasks()
    assert tasks["category"].notna().all()
    assert set(tasks["category_norm"]) == {
        "基层党建",
        "公共安全",
        "健康服务",
        "生活品质",
        "美丽社区",
        "社区活力",
    }
    assert "基层 党建" in set(tasks["category"]), "the category is kept as found"
    assert set(tasks.loc[tasks["category"] == "城区美化", "table_no"]) == {5, 6}


def test_quarterly_lists_cover_2021q3_to_2023q4_without_gap_or_duplicate() -> None:
    tasks = streetlib.load_tasks()
    quarters = tasks[tasks["scope"] == "quarterly"].drop_duplicates("table_no")[["year", "quarter"]]
    assert list(map(tuple, quarters.to_numpy().tolist())) == [
        (2021, 3), (2021, 4), (2022, 1), (2022, 2), (2022, 3), (2022, 4), (2023, 1), (2023, 2), (2023, 3), (2023, 4)
    ]  # fmt: skip
    annual = tasks[tasks["scope"] == "annual"].drop_duplicates("table_no")["year"].tolist()
    assert annual == [2021, 2022, 2023]
    assert (tasks["scope"] == "three_year").sum() == 18


def test_every_task_cell_is_on_its_cited_lines(raw_lines: dict[str, list[str]]) -> None:
    raw = raw_lines[source_of("changbai_action_plan_task_lists")]
    for t in streetlib.load_tasks().itertuples():
        for value in (t.task, t.departments_raw, str(t.seq)) + ((t.content,) if isinstance(t.content, str) else ()):
            assert on_lines(raw, t.line_start, t.line_end, value), (t.task_id, value)


def test_displaced_titles_are_assigned_by_order_and_flagged() -> None:
    flags = streetlib.load_quality_flags()
    displaced = flags[flags["kind"] == "table_title_displaced"]
    assert len(displaced) == 13, "every task table but 表1 has a missing or wrong title above it"
    tasks = streetlib.load_tasks().drop_duplicates("table_no").set_index("table_no")
    assert tasks.loc[3, "table_title"].endswith("2022年重点任务清单")  # adjacent title says 2021
    assert "2022" in displaced.set_index("line_start").loc[328, "replacement"]


def test_every_department_resolves_and_counts_match_the_map() -> None:
    links = streetlib.load_task_departments()
    known = set(streetlib.load_departments()["department"])
    assert set(links["department"]) <= known
    assert links.groupby("department")["task_id"].nunique().to_dict() == DEPARTMENT_TASKS
    assert (links.groupby("task_id").size() > 1).sum() == 55
    assert links.groupby("task_id").size().max() == 3


def test_roles_follow_the_stated_rule() -> None:
    links = streetlib.load_task_departments().merge(streetlib.load_tasks()[["task_id", "table_no"]])
    three_year = links[links["table_no"] == 1]
    assert (three_year["role"] == "lead").all(), "牵头部门: every unit named is a lead"
    others = links[links["table_no"] > 1]
    assert ((others["position"] == 1) == (others["role"] == "lead")).all()


def test_department_aliases_are_unique_and_documented() -> None:
    deps = streetlib.load_departments()
    names = [*deps["department"], *[a for row in deps["aliases"].dropna() for a in row.split(";")]]
    assert len(names) == len(set(names))
    merged = deps[deps["aliases"].notna() & deps["aliases"].str.contains("城管|安监|房办", regex=True)]
    assert merged["note"].notna().all(), "every merge of distinct spellings says why"


def test_37_indicators_with_attributes_and_targets(raw_lines: dict[str, list[str]]) -> None:
    ind = streetlib.load_indicators()
    assert ind["seq"].tolist() == list(range(1, 38))
    assert ind["attribute"].value_counts().to_dict() == {"binding": 19, "expected": 18}
    assert ind.groupby("category", sort=False).size().to_dict() == {
        "公共管理": 8, "公共服务": 7, "公共安全": 6, "基层党建": 4,
        "自治共治": 7, "文明创建": 2, "经济发展": 2, "人才队伍": 1,
    }  # fmt: skip
    assert ind["department"].notna().all()
    assert set(ind.loc[ind["department_raw"] == "平安办(人口办)", "seq"]) == {6, 7, 8}
    assert ind.loc[ind["seq"] == 5, "unit"].item() == "%", "(% repaired to (%)"
    assert ind.loc[ind["seq"] == 36, "indicator"].item() == "五年税收总额(亿元)", "name split over two lines"
    raw = raw_lines[source_of("gumeilu_five_year_plan_14th")]
    for row in ind.itertuples():
        assert on_lines(raw, row.line_start, row.line_end, row.target_raw), row.seq


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("100%", (100.0, "%", "=")),
        ("90%以上", (90.0, "%", ">=")),
        ("不少于2", (2.0, None, ">=")),
        ("28.5亿元", (28.5, "亿元", "=")),
        ("6000", (6000.0, None, "=")),
        ("若干", (None, None, None)),
    ],
)
def test_targets_parse(raw: str, expected: tuple) -> None:
    assert parse_target(raw) == expected


def test_rent_table_has_nine_shops_and_missing_values_are_not_zero(raw_lines: dict[str, list[str]]) -> None:
    rt = streetlib.load_report_tables()
    rent = rt[(rt["table_id"] == "表1") & ~rt["is_summary"]]
    wide = rent.pivot(index="row_label", columns="column", values="value")
    assert len(wide) == 9
    assert wide.loc["9", ["rent_yuan_month", "rent_per_m2_yuan_month"]].isna().all()
    assert wide.loc["8", "rent_per_m2_yuan_month"] == 733.33
    summary = rt[rt["is_summary"]]
    assert summary[["row_label", "value"]].values.tolist() == [["平均租金", 318.36]]
    raw = raw_lines[source_of("changbai_research_report_2021")]
    for row in rt.itertuples():
        assert on_lines(raw, row.line_start, row.line_end, row.value_raw), row


def test_services_table_is_read_once_and_its_2020_row_flagged() -> None:
    rt = streetlib.load_report_tables()
    services = rt[rt["table_id"] == "表2"]
    assert services["line_start"].between(2355, 2379).all(), "the copy under its own title"
    assert sorted(services["row_label"].unique()) == ["2018", "2019", "2020", "2021"]
    flags = streetlib.load_quality_flags()
    assert (flags["kind"] == "duplicate_table").sum() == 25
    bad = flags[flags["kind"] == "report_table_inconsistent"]
    assert bad["line_start"].tolist() == [2370]
    assert (
        services.loc[(services["row_label"] == "2020") & (services["column"] == "tendered_count"), "value"].item() == 29
    )


# --- a task table written for the tests, through the manifest alone -------------------------

TASKS = "xinhualu_2024_task_list.txt"
ENTRY = document_entry("xinhualu_tasks_2024", TASKS, (1, 29), [(1, 29, "plan")], doc_type="annex")


def test_a_new_task_table_builds_without_code_changes(data_root: Path) -> None:
    add_source(data_root, TASKS, [ENTRY])
    build(data_root, progress=False)
    tasks = streetlib.load_tasks(root=data_root)
    new = tasks[tasks["doc_id"] == "xinhualu_tasks_2024"]
    assert new[["seq", "category", "task"]].values.tolist() == [
        [1, "党建引领", "深化区域化党建"],
        [2, "党建引领", "加强队伍建设"],
        [3, "为老服务", "建设助餐点"],  # category split over two lines
        [4, "为老服务", "推进适老化改造"],
    ]
    assert new["scope"].unique().tolist() == ["annual"] and new["year"].unique().tolist() == [2024]
    links = streetlib.load_task_departments(root=data_root)
    links = links[links["task_id"].str.startswith("xinhualu_tasks_2024")]
    assert links[["department", "role"]].values.tolist() == [
        ["党建办", "lead"], ["党建办", "lead"], ["自治办", "co"],
        ["服务办", "lead"], ["服务办", "lead"], ["管理办", "co"],
    ]  # fmt: skip


BAD_TABLES = {
    "unknown department": (
        ("服务办、管理办 |", "服务办、街道办 |"),
        ["unknown department '街道办'", ":29", "departments.csv"],
    ),
    "row with a missing cell": (
        ("推进两新组织党建全覆盖。 |\n", ""),
        ["row 1 has 2 cells", "the header has 3"],
    ),
    "sequence number that jumps": (("3 |\n建设", "5 |\n建设"), ["after row 2", "sequence number jumps"]),
    "table with no header": (("类别 |\n序号 |\n重点任务 |\n主要内容 |\n责任单位 |\n", ""), ["no header"]),
}


@pytest.mark.parametrize("case", sorted(BAD_TABLES))
def test_a_bad_task_table_leaves_its_document_out_with_a_clear_message(data_root: Path, case: str) -> None:
    (old, new), fragments = BAD_TABLES[case]
    build(data_root, progress=False)
    before = snapshot(config.processed_dir(data_root))
    text = (Path(__file__).parent / "fixtures" / TASKS).read_text(encoding="utf-8")
    assert old in text
    damaged = text.replace(old, new)
    n_lines = len(damaged.split("\n")) - 1
    entry = ENTRY.replace("line_end = 29", f"line_end = {n_lines}")
    add_source(data_root, TASKS, [entry], text=damaged)
    problems = build(data_root, progress=False).problems  # the damaged document is left out, the rest builds
    assert problems["doc_id"].unique().tolist() == ["xinhualu_tasks_2024"]
    message = problems_text(problems)
    assert TASKS in message
    for fragment in fragments:
        assert fragment in message, message
    after = snapshot(config.processed_dir(data_root))
    assert after.pop("build_problems.csv") != before.pop("build_problems.csv")
    assert after == before


# --- readers on arbitrary input ------------------------------------------------------------

CELLISH = st.lists(
    st.sampled_from(
        [
            "类别 |",
            "序号 |",
            "重点任务 |",
            "责任单位 |",
            "1 |",
            "2 |",
            "|",
            "党建办 |",
            "生活品质",
            "\u00a0",
            "",
            "x |",
        ]
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(CELLISH)
def test_readers_raise_only_streetlib_errors(lines: list[str]) -> None:
    for reader in (pipe_cells, blank_line_cells):
        cells = reader(lines, 1)
        assert all(1 <= c.line <= max(1, len(lines)) for c in cells)
        try:
            for table in split_tables(cells, "prop.txt"):
                parse_rows(table, layout="pipe")
        except StreetlibError:
            pass


def test_parse_rows_forward_fills_categories() -> None:
    lines = [
        "类别 |",
        "序号 |",
        "重点任务 |",
        "责任单位 |",
        "甲 |",
        "1 |",
        "a |",
        "党建办 |",
        "2 |",
        "b |",
        "自治办 |",
        "|",
        "乙 |",
        "3 |",
        "c |",
        "服务办 |",
    ]
    (table,) = split_tables(pipe_cells(lines, 10), "t.txt")
    rows, trailing = parse_rows(table, layout="pipe")
    assert [(r.key.text, r.category.text, r.values["task"].text) for r in rows] == [
        ("1", "甲", "a"),
        ("2", "甲", "b"),
        ("3", "乙", "c"),
    ]
    assert trailing == [] and rows[0].key.line == 15
    assert isinstance(table, Table) and table.columns == ["category", "seq", "task", "departments"]


def test_loaders_restore_table_dtypes() -> None:
    tasks = streetlib.load_tasks()
    assert isinstance(tasks["scope"].dtype, pd.CategoricalDtype) and tasks["scope"].notna().all()
    assert str(tasks["quarter"].dtype) == "Int64"
