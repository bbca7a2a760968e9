"""Tables: tasks, departments, indicators and report tables against the source and its map."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import add_source, document_entry, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

import streetlib
from streetlib import config
from streetlib.build import build, check_report, problems_text
from streetlib.clean import apply_errata, load_errata, normalise
from streetlib.errors import BuildError, StreetlibError
from streetlib.indicators import indicator_rows, parse_target
from streetlib.manifest import read_corpus
from streetlib.tables import (
    Table,
    blank_line_cells,
    column_of,
    document_tables,
    is_row_line,
    load_table_headers,
    parse_complete_rows,
    parse_rows,
    pipe_cells,
    row_line_cells,
    split_tables,
    table_cell_rows,
    table_line_flags,
)
from streetlib.tasks import parse_deadline, scope_of, task_tables

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
    # the flag cites the title line above the table (327), the table's lines (328-436) are in its note
    flag = displaced.set_index("line_start").loc[327]
    assert "2022" in flag["replacement"] and flag["note"].startswith("the table at lines 328-436")


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
        ("0.5万元以内", (0.5, "万元", "<=")),
        ("约1.2万人", (1.2, "万人", "~")),
        ("达到95%", (95.0, "%", "=")),
        ("９８％", (98.0, "%", "=")),
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
    "row with a missing cell": (
        ("推进两新组织党建全覆盖。 |\n", ""),
        ["row 1 has 2 cells", "the header has 3"],
    ),
    "sequence number that jumps": (("3 |\n建设", "5 |\n建设"), ["after row 2", "sequence number jumps"]),
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
    assert after.pop("MANIFEST") != before.pop("MANIFEST")  # it records build_problems' rows and checksum
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
            "序号 | 工作项目 | 牵头部门",
            "1 | a | 党建办",
            "索引号 | 1 | 发布机构 | 2",
            "| |",
            "x | y",
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
    regions = [SimpleNamespace(kind="table", line_start=1, line_end=max(1, len(lines)))]
    with contextlib.suppress(StreetlibError):  # every layout, and the generic cells of what no stage reads
        table_cell_rows("p", "prop.txt", document_tables("p", "prop.txt", regions, lines, 1))


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
    assert isinstance(table, Table) and table.columns == ["category", "seq", "task", "responsible"]


def test_loaders_restore_table_dtypes() -> None:
    tasks = streetlib.load_tasks()
    assert isinstance(tasks["scope"].dtype, pd.CategoricalDtype) and tasks["scope"].notna().all()
    assert str(tasks["quarter"].dtype) == "Int64"


# --- the header lexicon, the layouts and the generic tables (expectations written by hand) ----


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("工作项目", "task"), ("重点任务", "task"), ("任务", "task"), ("项目", "task"),
        ("具体内容", "content"), ("主要内容", "content"), ("工作内容", "content"), ("工作措施", "content"),
        ("牵头部门", "lead"), ("牵头单位", "lead"), ("责任单位", "responsible"), ("责任部门", "responsible"),
        ("配合部门", "co"), ("协同部门", "co"), ("配合单位", "co"), ("协办单位", "co"),
        ("完成时限", "deadline"), ("完成时间", "deadline"), ("时间节点", "deadline"), ("时间安排", "deadline"),
        ("基期值", "baseline"), ("现状值", "baseline"), ("2020年", "baseline"),
        ("目标值", "target"), ("十四五目标值", "target"), ("2025年目标", "target"),
        ("单位", "unit"), ("指标属性", "attribute"), ("属性", "attribute"), ("序号", "seq"),
        ("类别", "category"), ("版块", "category"), ("领域", "category"), ("指标", "indicator"),
        ("指标名称", "indicator"), ("年份", "year"), ("索引号", "index_no"), ("发布机构", "publisher"),
        ("科目", None), ("2020", None), ("基期值(2020年)", "baseline"), ("目标值(2025年)", "target"),
        ("建筑面积(m²)", "area_m2"),
    ],
)  # fmt: skip
def test_header_words_map_through_the_lexicon(header: str, column: str | None) -> None:
    assert column_of(header) == column


def test_a_bad_lexicon_row_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "table_headers.csv").write_text(
        "header,column,table_kind,note\n序号,seq,any,\n工作项目,task,tasks,\n", encoding="utf-8"
    )
    with pytest.raises(BuildError, match=r"table_headers.csv:3: table_kind 'tasks' is unknown"):
        load_table_headers(tmp_path)


def test_row_layout_reader_strips_outer_bars_skips_rules_and_joins_wrapped_cells() -> None:
    rows = row_line_cells(["| 序号 | 任务 |", "|---|---|", "", "1 | 建设", "助餐点"], 5)
    assert [[(c.text, c.line, c.last_line) for c in row] for row in rows] == [
        [("序号", 5, 5), ("任务", 5, 5)],
        [("1", 8, 8), ("建设助餐点", 8, 9)],
    ]
    assert is_row_line("序号 | 工作项目") and not is_row_line("党建办 |") and not is_row_line("|")


def test_an_unknown_header_word_is_kept_as_its_own_column_when_the_shape_confirms_it() -> None:
    lines = [
        "序号 |",
        "重点任务 |",
        "联络人 |",
        "责任单位 |",
        "1 |",
        "a |",
        "x |",
        "党建办 |",
        "2 |",
        "b |",
        "y |",
        "自治办 |",
    ]
    (table,) = split_tables(pipe_cells(lines, 1), "t.txt")
    assert table.columns == ["seq", "task", "联络人", "responsible"] and table.unknown == ["联络人"]
    rows = parse_complete_rows(table, layout="pipe")
    assert [(r.key.text, r.values["联络人"].text, r.values["responsible"].text) for r in rows] == [
        ("1", "x", "党建办"),
        ("2", "y", "自治办"),
    ]


def test_table_lines_are_recognised_by_shape_and_header_words() -> None:
    texts = ["重点任务分解", "", "序号", "", "工作项目", "", "牵头部门", "", "1", "", "建设助餐点", "", "服务办", ""]
    texts += ["一、保障措施", "加强组织领导。", "a | b", "", "c | d", "党建办 |"]
    assert table_line_flags(texts) == [False, False] + [True, False] * 6 + [False, False, True, False, True, True]
    assert table_line_flags(["正文。", "网站地图 | 联系我们", "版权所有"]) == [False] * 3, "a lone row line is no grid"
    assert table_line_flags(["序号", "加强组织领导,推进各项工作。"]) == [False, False], "a header word alone is no grid"


def test_a_blank_line_grid_ends_where_the_blank_line_rhythm_or_a_heading_ends() -> None:
    grid = ["序号", "", "重点任务", "", "牵头部门", "", "1", "", "建设助餐点", "", "服务办", ""]
    signed = [*grid, "江湾镇街道办事处", "2023年5月12日"]
    assert table_line_flags(signed) == [True, False] * 6 + [False, False]
    chapter = [*grid, "第三章 主要任务", "", "一、推动产业转型升级"]
    assert table_line_flags(chapter) == [True, False] * 6 + [False, False, False]


def test_a_grid_under_a_table_title_is_found_by_shape_alone() -> None:
    texts = ["表1 社区公共服务设施覆盖情况", "", "设施类型", "", "数量(处)", "", "覆盖居民区(个)", "", "社区食堂"]
    texts += ["", "4", "", "15", "", "三、存在问题"]
    assert table_line_flags(texts) == [False, False] + [True, False] * 6 + [False]
    assert table_line_flags(["表1 人口", "", "常住人口5万人,户籍人口3万人。", "", "a", "", "b"]) == [False] * 7


def test_a_short_line_right_above_a_table_is_its_title() -> None:
    lines = ["附件:新华路街道2024年重点任务清单", "序号 | 重点任务 | 牵头部门", "1 | 建设助餐点 | 服务办"]
    regions = [
        SimpleNamespace(kind="paragraph", line_start=1, line_end=1, text=lines[0]),
        SimpleNamespace(kind="table", line_start=2, line_end=3),
    ]
    (found,) = document_tables("d", "s.txt", regions, lines, 1)
    assert (found.adjacent_title, found.adjacent_title_line) == (lines[0], 1)
    tasks, _, flags = task_tables("d", "s.txt", [found], [], {"服务办": "服务办"})
    assert [(t["scope"], t["year"], t["table_title"]) for t in tasks] == [("annual", 2024, lines[0])]
    assert flags == [], "a title found above the table is no displaced title"


def test_columns_a_stage_does_not_read_are_kept_as_cells_and_flagged() -> None:
    lines = ["序号 | 工作项目 | 牵头部门 | 目标值 | 备注", "1 | 建设助餐点 | 服务办 | 2个 | 新建"]
    (found,) = document_tables("d", "s.txt", [SimpleNamespace(kind="table", line_start=7, line_end=8)], lines, 7)
    assert (found.kind, found.layout, found.table_id) == ("task", "row", "d:tab01")
    rows, flags = table_cell_rows("d", "s.txt", [found])
    assert [(r["row"], r["column"], r["header"], r["text"], r["line_start"]) for r in rows] == [
        (1, "target", "目标值", "2个", 8),
        (1, None, "备注", "新建", 8),
    ]
    assert [(f["kind"], f["found"], f["line_start"]) for f in flags] == [
        ("table_column_unread", "目标值", 7),
        ("table_header_unknown", "备注", 7),
    ]


def test_a_second_column_of_one_kind_is_kept_apart_not_merged() -> None:
    lines = ["序号 | 指标 | 2020年 | 2021年 | 目标值", "1 | 社区食堂数量(个) | 3 | 4 | 5"]
    (found,) = document_tables("d", "s.txt", [SimpleNamespace(kind="table", line_start=1, line_end=2)], lines, 1)
    (row,), _ = indicator_rows("d", "s.txt", [found], {})
    assert (row["baseline_raw"], row["target_raw"], row["unit"]) == ("3", "5", "个")
    rows, flags = table_cell_rows("d", "s.txt", [found])
    assert [(r["row"], r["column"], r["header"], r["text"]) for r in rows] == [(1, None, "2021年", "4")]
    assert [(f["kind"], f["found"]) for f in flags] == [("table_column_unread", "2021年")]


def test_a_report_table_outside_a_research_report_is_kept_as_cells() -> None:
    lines = ["年份 | 总项目数 | 总金额", "2021 | 2 | 10"]
    (found,) = document_tables("d", "s.txt", [SimpleNamespace(kind="table", line_start=1, line_end=2)], lines, 1)
    rows, flags = table_cell_rows("d", "s.txt", [found])
    assert found.kind == "report" and [r["text"] for r in rows] == ["年份", "总项目数", "总金额", "2021", "2", "10"]
    assert [f["kind"] for f in flags] == ["table_not_parsed"] and "research report" in flags[0]["note"]
    assert table_cell_rows("d", "s.txt", [found], read_by_report=True) == ([], [])


def test_a_task_or_indicator_header_without_rows_is_a_flag() -> None:
    lines = ["序号 | 工作项目 | 牵头部门", "", "序号 | 指标 | 目标值"]
    regions = [
        SimpleNamespace(kind="table", line_start=1, line_end=1),
        SimpleNamespace(kind="table", line_start=3, line_end=3),
    ]
    found = document_tables("d", "s.txt", regions, lines, 1)
    assert [f.kind for f in found] == ["task", "indicator"]
    tasks, links, flags = task_tables("d", "s.txt", found, [], {})
    rows, indicator_flags = indicator_rows("d", "s.txt", found, {})
    assert tasks == links == rows == []
    assert [(f["kind"], f["line_start"]) for f in flags + indicator_flags] == [
        ("table_without_rows", 1),
        ("table_without_rows", 3),
    ]


def test_numbering_that_restarts_within_a_table_keeps_task_ids_unique() -> None:
    lines = ["类别 | 序号 | 重点任务 | 牵头部门", "党建 | 1 | a | 党建办", "| 2 | b | 党建办", "民生 | 1 | c | 服务办"]
    (found,) = document_tables("d", "s.txt", [SimpleNamespace(kind="table", line_start=1, line_end=4)], lines, 1)
    tasks, _, flags = task_tables("d", "s.txt", [found], [], {"党建办": "党建办", "服务办": "服务办"})
    assert [(t["task_id"], t["seq"], t["category"]) for t in tasks] == [
        ("d:t01-01", 1, "党建"),
        ("d:t01-02", 2, "党建"),
        ("d:t01-03", 1, "民生"),
    ]
    assert [(f["kind"], f["line_start"]) for f in flags] == [("task_seq_repeated", 4)]


def test_cells_without_a_header_are_a_table_without_columns() -> None:
    (table,) = split_tables(pipe_cells(["甲 |", "乙 |"], 3), "t.txt")
    assert table.columns == [] and [c.text for c in table.cells] == ["甲", "乙"] and table.line_start == 3


@pytest.mark.parametrize(
    ("title", "period", "expected"),
    [
        ("表2:长白新村街道2021年重点工作任务表(三季度)", (2021, 2023), ("quarterly", 2021, 3)),
        ("表1:安康和美·活力长白行动计划(2021-2023年)三年总任务清单", (2021, 2023), ("three_year", None, None)),
        ("表1:新华路街道2024年工作要点", None, ("annual", 2024, None)),
        ("重点任务清单", (2024, 2024), ("annual", 2024, None)),
        ("重点任务分解", (2021, 2025), ("five_year", None, None)),
        ("十四五重点任务", (2020, 2023), ("five_year", None, None)),
        ("重点任务", (2022, 2023), ("multi_year", None, None)),
        ("重点任务", None, ("three_year", None, None)),
    ],
)
def test_scope_and_year_come_from_the_title_else_the_period(title: str, period, expected: tuple) -> None:
    assert scope_of(title, period) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="0123456789年月日底末内前上下半第一二三四季度〇十-至长期", max_size=14),
    st.none() | st.integers(0, 3000),
)
def test_any_deadline_text_gives_a_date_or_nothing(raw: str, year: int | None) -> None:
    parsed = parse_deadline(raw, year)
    assert parsed is None or isinstance(parsed, dt.date)


@pytest.mark.parametrize(
    ("raw", "year", "expected"),
    [
        ("2024年6月底", None, dt.date(2024, 6, 30)),
        ("2024年底", None, dt.date(2024, 12, 31)),
        ("2024年", None, dt.date(2024, 12, 31)),
        ("2024年6月30日", None, dt.date(2024, 6, 30)),
        ("2024年12月31日前", None, dt.date(2024, 12, 31)),
        ("2025年2月", None, dt.date(2025, 2, 28)),
        ("9月", 2024, dt.date(2024, 9, 30)),
        ("年内", 2024, dt.date(2024, 12, 31)),
        ("年内", None, None),
        ("2024年上半年", None, dt.date(2024, 6, 30)),
        ("三季度", 2023, dt.date(2023, 9, 30)),
        ("2024年第一季度", None, dt.date(2024, 3, 31)),
        ("2024年3月-6月", None, dt.date(2024, 6, 30)),
        ("二〇二四年六月底", None, dt.date(2024, 6, 30)),
        ("十二月", 2024, dt.date(2024, 12, 31)),
        ("长期", 2024, None),
        ("每季度", 2024, None),
        ("持续推进", 2024, None),
        ("全年", 2024, None),
        ("0000年6月", None, None),
        ("2月30日", 2024, None),
    ],
)
def test_deadlines_parse_to_the_last_day_they_allow(raw: str, year: int | None, expected) -> None:
    assert parse_deadline(raw, year) == expected


WEB_PAGE = """新华路街道2024年重点工作任务分解

索引号 | 2024-00123 | 发布机构 | 新华路街道办事处
生成日期 | 2024-02-20 | 主题分类 | 综合政务

表1:新华路街道2024年重点工作任务分解表
序号 | 工作项目 | 具体内容 | 牵头部门 | 配合部门 | 完成时限
1 | 深化区域化党建 | 推进两新组织党建全覆盖。 | 党建办 | 自治办、服务办 | 2024年6月底
2 | 建设助餐点 | 新增助餐点2个。 | 服务办 | 管理办 | 年内
3 | 推进适老化改造 | 完成100户改造。 | 服务办、管理办 | 社区基金会 | 长期

表2:主要指标
| 序号 | 指标名称 | 单位 | 基期值 | 目标值 | 指标属性 | 责任部门 |
|---|---|---|---|---|---|---|
| 1 | 社区食堂数量 | 个 | 3 | 不少于5 | 预期性 | 服务办 |
| 2 | 垃圾分类达标率 | % | 90% | 95%以上 | 约束性 | 管理办 |

表3:2024年部门预算
科目 | 预算数 | 上年数
一般公共服务 | 1200 | 1100

表4:新华路街道2024年三季度重点任务
序号 |
重点任务 |
责任部门 |
完成时间 |
1 |
建设助餐点 |
服务办、管理办 |
2024年9月 |
2 |
推进适老化改造 |
管理办 |
三季度 |

表1:新华路街道重点任务
序号

重点任务

责任部门

完成时限

1

建设助餐点

服务办、管理办

12月31日前

重点任务分解

序号

工作项目

具体内容

牵头部门

配合部门

完成时限

1

建设助餐点

新增助餐点2个

服务办

管理办、党建办

2025年底
"""
PAGE = "xinhualu_2024_web_tables.txt"
PAGE_DOCS = [
    document_entry("xinhualu_web_2024", PAGE, (1, 34), [(1, 34, "plan")]),
    document_entry("xinhualu_blank_2024", PAGE, (36, 51), [(36, 51, "plan")], doc_type="annex"),
    document_entry(
        "plan_blank_2021_2025",
        PAGE,
        (53, 77),
        [(53, 77, "plan")],
        doc_type="five_year_plan",
        year_start=2021,
        year_end=2025,
    ),
]


@pytest.fixture
def web_build(data_root: Path) -> Path:
    assert len(WEB_PAGE.splitlines()) == 77
    add_source(data_root, PAGE, PAGE_DOCS, text=WEB_PAGE)
    build(data_root, progress=False)
    return data_root


def test_task_tables_in_every_layout_keep_co_departments_and_deadlines(web_build: Path) -> None:
    tasks = streetlib.load_tasks(root=web_build).set_index("task_id")
    web = tasks.loc[tasks["doc_id"] == "xinhualu_web_2024"]
    columns = ["table_no", "seq", "task", "departments_raw", "co_departments_raw", "deadline_raw", "scope", "year"]
    assert web[columns].astype(object).where(web[columns].notna(), None).values.tolist() == [
        [1, 1, "深化区域化党建", "党建办", "自治办、服务办", "2024年6月底", "annual", 2024],
        [1, 2, "建设助餐点", "服务办", "管理办", "年内", "annual", 2024],
        [1, 3, "推进适老化改造", "服务办、管理办", "社区基金会", "长期", "annual", 2024],
        [2, 1, "建设助餐点", "服务办、管理办", None, "2024年9月", "quarterly", 2024],
        [2, 2, "推进适老化改造", "管理办", None, "三季度", "quarterly", 2024],
    ]
    assert web["deadline"].tolist()[:2] == [pd.Timestamp("2024-06-30"), pd.Timestamp("2024-12-31")]
    assert pd.isna(web["deadline"].iloc[2]) and web["deadline"].iloc[3:].tolist() == [pd.Timestamp("2024-09-30")] * 2
    assert web.loc["xinhualu_web_2024:t01-01", "content"] == "推进两新组织党建全覆盖。"
    assert web.loc["xinhualu_web_2024:t02-01", "quarter"] == 3
    assert web[["line_start", "line_end"]].values.tolist() == [[8, 8], [9, 9], [10, 10], [27, 30], [31, 34]]
    blank = tasks.loc["xinhualu_blank_2024:t01-01"]
    assert (blank["task"], blank["departments_raw"], blank["deadline"]) == (
        "建设助餐点",
        "服务办、管理办",
        pd.Timestamp("2024-12-31"),
    )
    assert (blank["scope"], blank["year"]) == ("annual", 2024), "no year in the title: the manifest period"
    plan = tasks.loc["plan_blank_2021_2025:t01-01"]
    assert plan[["task", "content", "departments_raw", "co_departments_raw", "deadline_raw"]].tolist() == [
        "建设助餐点",
        "新增助餐点2个",
        "服务办",
        "管理办、党建办",
        "2025年底",
    ]
    assert (plan["deadline"], plan["scope"], plan["line_start"], plan["line_end"]) == (
        pd.Timestamp("2025-12-31"),
        "five_year",
        67,
        77,
    )
    assert pd.isna(plan["year"]), "a five-year list has no year"


def test_roles_follow_the_header_words_and_unknown_departments_are_kept_and_flagged(web_build: Path) -> None:
    links = streetlib.load_task_departments(root=web_build)
    links = links[links["task_id"].str.startswith("xinhualu_")].astype(object)
    links = links.where(links.notna(), None)
    assert links[["task_id", "department", "department_raw", "position", "role"]].values.tolist() == [
        ["xinhualu_blank_2024:t01-01", "服务办", "服务办", 1, "lead"],  # the spec's order: task_id, position
        ["xinhualu_blank_2024:t01-01", "管理办", "管理办", 2, "co"],
        ["xinhualu_web_2024:t01-01", "党建办", "党建办", 1, "lead"],
        ["xinhualu_web_2024:t01-01", "自治办", "自治办", 2, "co"],
        ["xinhualu_web_2024:t01-01", "服务办", "服务办", 3, "co"],
        ["xinhualu_web_2024:t01-02", "服务办", "服务办", 1, "lead"],
        ["xinhualu_web_2024:t01-02", "管理办", "管理办", 2, "co"],
        ["xinhualu_web_2024:t01-03", "服务办", "服务办", 1, "lead"],
        ["xinhualu_web_2024:t01-03", "管理办", "管理办", 2, "lead"],
        ["xinhualu_web_2024:t01-03", None, "社区基金会", 3, "co"],
        ["xinhualu_web_2024:t02-01", "服务办", "服务办", 1, "lead"],
        ["xinhualu_web_2024:t02-01", "管理办", "管理办", 2, "co"],
        ["xinhualu_web_2024:t02-02", "管理办", "管理办", 1, "lead"],
    ]
    flags = streetlib.load_quality_flags(root=web_build)
    unknown = flags[flags["kind"] == "department_unknown"]
    assert unknown[["doc_id", "found", "line_start"]].values.tolist() == [["xinhualu_web_2024", "社区基金会", 10]]
    assert "社区基金会" in check_report(web_build)[0].split("unknown departments")[1]


def test_an_indicator_table_keeps_units_baselines_and_targets(web_build: Path) -> None:
    ind = streetlib.load_indicators(root=web_build)
    ind = ind[ind["doc_id"] == "xinhualu_web_2024"]
    columns = ["seq", "indicator", "unit", "attribute", "department", "baseline_raw", "baseline_value"]
    columns += ["target_raw", "target_value", "target_unit", "target_comparator", "line_start"]
    assert ind[columns].astype(object).values.tolist() == [
        [1, "社区食堂数量", "个", "expected", "服务办", "3", 3.0, "不少于5", 5.0, "个", ">=", 15],
        [2, "垃圾分类达标率", "%", "binding", "管理办", "90%", 90.0, "95%以上", 95.0, "%", ">=", 16],
    ]


def test_page_metadata_and_other_tables_are_kept_as_cells_and_flagged(web_build: Path) -> None:
    cells = streetlib.load_table_cells(root=web_build)
    meta = cells[cells["table_id"] == "xinhualu_web_2024:tab01"].astype(object)
    meta = meta.where(meta.notna(), None)
    assert meta[["row", "column", "header", "text", "line_start"]].values.tolist() == [
        [0, "index_no", "索引号", "索引号", 3],
        [0, None, "2024-00123", "2024-00123", 3],
        [0, "publisher", "发布机构", "发布机构", 3],
        [0, None, "新华路街道办事处", "新华路街道办事处", 3],
        [1, "index_no", "索引号", "生成日期", 4],
        [1, None, "2024-00123", "2024-02-20", 4],
        [1, "publisher", "发布机构", "主题分类", 4],
        [1, None, "新华路街道办事处", "综合政务", 4],
    ]
    budget = cells[cells["table_id"] == "xinhualu_web_2024:tab04"]
    assert budget[["row", "text"]].values.tolist() == [
        [0, "科目"], [0, "预算数"], [0, "上年数"], [1, "一般公共服务"], [1, "1200"], [1, "1100"]
    ]  # fmt: skip
    assert set(cells["table_id"]) == {"xinhualu_web_2024:tab01", "xinhualu_web_2024:tab04"}
    flags = streetlib.load_quality_flags(root=web_build)
    not_parsed = flags[flags["kind"] == "table_not_parsed"].set_index("line_start")
    assert sorted(not_parsed.index) == [3, 19]
    assert "page metadata" in not_parsed.loc[3, "note"] and "neither a task nor" in not_parsed.loc[19, "note"]
    assert not (flags["kind"] == "table_header_unknown").any()


def test_an_unknown_department_no_longer_stops_the_build(data_root: Path) -> None:
    text = (Path(__file__).parent / "fixtures" / TASKS).read_text(encoding="utf-8")
    add_source(data_root, TASKS, [ENTRY], text=text.replace("服务办、管理办 |", "服务办、街道办 |"))
    build(data_root, progress=False)
    links = streetlib.load_task_departments(root=data_root)
    row = links[links["department_raw"] == "街道办"]
    assert row[["task_id", "position", "role"]].values.tolist() == [["xinhualu_tasks_2024:t01-04", 2, "co"]]
    assert row["department"].isna().all()
    flags = streetlib.load_quality_flags(root=data_root)
    assert flags.loc[flags["kind"] == "department_unknown", ["found", "line_start"]].values.tolist() == [["街道办", 29]]


def test_a_table_without_header_is_kept_as_cells_not_an_error(data_root: Path) -> None:
    text = (Path(__file__).parent / "fixtures" / TASKS).read_text(encoding="utf-8")
    damaged = text.replace("类别 |\n序号 |\n重点任务 |\n主要内容 |\n责任单位 |\n", "")
    entry = ENTRY.replace("line_end = 29", f"line_end = {len(damaged.splitlines())}")
    add_source(data_root, TASKS, [entry], text=damaged)
    build(data_root, progress=False)
    assert not streetlib.load_tasks(root=data_root)["doc_id"].eq("xinhualu_tasks_2024").any()
    cells = streetlib.load_table_cells(root=data_root)
    assert cells["text"].tolist()[:3] == ["党建引领", "1", "深化区域化党建"] and cells["row"].isna().all()
    flags = streetlib.load_quality_flags(root=data_root)
    (note,) = flags.loc[flags["kind"] == "table_not_parsed", "note"]
    assert "no header" in note and "table_headers.csv" in note
