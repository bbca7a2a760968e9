"""Rules that let documents of other streets in without code (issue 14, the hold-out gaps).

Every example is written by hand for these tests (none is a line of the hold-out set), and every expected
value was written before the code ran.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd
import pytest

from streetlib import config, inference
from streetlib.clean import normalise
from streetlib.facts import population_facts
from streetlib.indicators import indicator_rows
from streetlib.structure import load_boilerplate
from streetlib.tables import (
    blank_line_cells,
    document_tables,
    keyed_grid,
    load_table_headers,
    split_tables,
    table_cell_rows,
    table_kind,
    table_line_flags,
)
from streetlib.tasks import parse_deadline, task_tables

# --- 1. a blank-line grid is found by its shape, whatever its words -------------------------------------------

# header words no lexicon row knows; a body cell that is a whole sentence; a heading after the grid
GRID = [
    "附表 村内小微工程安排",  # 0: a title, not a 表N title
    "",
    "编次",  # 2
    "",
    "事项",
    "",
    "做法",
    "",
    "联系人",
    "",
    "1",  # 10
    "",
    "修缮凉亭",
    "",
    "更换座椅和顶棚，新增照明2处。",
    "",
    "老李",
    "",
    "2",  # 18
    "",
    "疏通水沟",
    "",
    "清淤300米。",
    "",
    "老王",  # 24
    "",
    "三、其他事项",
    "由村委会统筹。",
]


def test_a_blank_line_grid_of_unknown_words_is_found_by_its_shape() -> None:
    grid = keyed_grid(GRID, 2)
    assert grid is not None and (grid.width, grid.n_rows) == (4, 2)
    flags = table_line_flags(GRID)
    assert [k for k, flag in enumerate(flags) if flag] == list(range(2, 25, 2)), "every cell, the sentence too"


@pytest.mark.parametrize(
    "lines",
    [
        ["说明", "", "要求", "", "范围", "", "1", "", "a", "", "b", "", "c"],  # one row only: no grid
        ["甲", "", "乙", "", "丙", "", "1", "", "a", "", "b", "", "3", "", "c", "", "d"],  # 1 then 3: no rhythm
        ["第一句话很长,不是表头。", "", "乙", "", "1", "", "a", "", "2", "", "b"],  # a sentence is no header cell
    ],
)
def test_short_lines_without_a_numbered_rhythm_are_no_grid(lines: list[str]) -> None:
    assert keyed_grid(lines, 0) is None


def test_a_grid_found_by_shape_is_kept_as_cells_with_a_flag_when_its_words_are_unknown() -> None:
    (table,) = split_tables(blank_line_cells(GRID[2:25], 3), "g.txt")
    assert table.columns == ["seq", "事项", "做法", "联系人"] and table.unknown == ["事项", "做法", "联系人"]
    assert table_kind(table) == "other"
    (found,) = document_tables("g", "g.txt", [SimpleNamespace(kind="table", line_start=3, line_end=25)], GRID[2:25], 3)
    rows, flags = table_cell_rows("g", "g.txt", [found])
    header = ["编次", "事项", "做法", "联系人"]
    body = ["1", "修缮凉亭", "更换座椅和顶棚,新增照明2处。", "老李", "2", "疏通水沟", "清淤300米。", "老王"]
    assert [r["text"] for r in rows] == header + body
    assert [(f["kind"], f["line_start"], f["line_end"]) for f in flags] == [("table_not_parsed", 3, 25)]


def test_a_grid_found_by_shape_with_known_words_is_read_as_a_task_table() -> None:
    lines = ["序号", "", "民生项目", "", "实施内容", "", "负责单位", "", "1", "", "建口袋公园", "", "新建1处。"]
    lines += ["", "管理办", "", "2", "", "修步道", "", "贯通800米。", "", "城运中心"]
    (found,) = document_tables("g", "g.txt", [SimpleNamespace(kind="table", line_start=1, line_end=23)], lines, 1)
    assert found.kind == "task" and found.table.columns == ["seq", "task", "content", "responsible"]
    tasks, links, _ = task_tables("g", "g.txt", [found], [], {"城运中心": "城运中心"}, period=(2025, 2025))
    assert [(t["seq"], t["task"], t["content"]) for t in tasks] == [
        (1, "建口袋公园", "新建1处。"),
        (2, "修步道", "贯通800米。"),
    ]
    assert [(link["department_raw"], link["department"]) for link in links] == [
        ("管理办", None),
        ("城运中心", "城运中心"),
    ]


# --- 2. a header row spanning two lines -----------------------------------------------------------------------


def test_a_header_row_spanning_two_lines_is_joined() -> None:
    lines = [
        "序号 | 主要 | 牵头 | 完成",
        " | 任务 | 部门 | 期限",
        "1 | 修缮凉亭 | 管理办 | 9月底前",
        "2 | 疏通水沟 | 城运中心 | 2025年第四季度",
    ]
    (found,) = document_tables("h", "h.txt", [SimpleNamespace(kind="table", line_start=5, line_end=8)], lines, 5)
    assert found.kind == "task" and found.table.columns == ["seq", "task", "lead", "deadline"]
    assert [(c.text, c.line, c.last_line) for c in found.table.header] == [
        ("序号", 5, 6),
        ("主要任务", 5, 6),
        ("牵头部门", 5, 6),
        ("完成期限", 5, 6),
    ]
    tasks, _, flags = task_tables("h", "h.txt", [found], [], {"管理办": "管理办"}, period=(2025, 2025))
    assert [(t["seq"], t["line_start"], t["task"], t["deadline"]) for t in tasks] == [
        (1, 7, "修缮凉亭", dt.date(2025, 9, 30)),
        (2, 8, "疏通水沟", dt.date(2025, 12, 31)),
    ]
    assert [f["kind"] for f in flags if f["kind"] == "table_header_repaired"] == ["table_header_repaired"]


def test_a_row_whose_first_cell_is_empty_is_a_merged_category_not_a_header_line() -> None:
    lines = ["类别 | 序号 | 重点任务 | 牵头部门", "环境 | 1 | 修步道 | 管理办", " | 2 | 建公园 | 管理办"]
    (found,) = document_tables("h", "h.txt", [SimpleNamespace(kind="table", line_start=1, line_end=3)], lines, 1)
    assert [c.text for c in found.table.header] == ["类别", "序号", "重点任务", "牵头部门"]
    tasks, _, _ = task_tables("h", "h.txt", [found], [], {"管理办": "管理办"})
    assert [(t["seq"], t["category"]) for t in tasks] == [(1, "环境"), (2, "环境")]


# --- 3. header words: synonyms and patterns as data; an unknown word does not stop a table ----------------------


@pytest.mark.parametrize(
    ("word", "column"),
    [
        ("责任处室", "responsible"),
        ("协作单位", "co"),
        ("预计完成日期", "deadline"),
        ("实施内容", "content"),
        ("2019年基数", "baseline"),
        ("基期值(2020年)", "baseline"),
        ("年均增速", "growth"),
        ("包干领导", "leader"),  # people, not departments
        ("责任领导", "leader"),
        ("负责领导", None),
        ("联络人", None),
    ],
)
def test_header_words_map_through_the_lexicon_patterns(word: str, column: str | None) -> None:
    headers = load_table_headers(config.PROJECT_ROOT / "data" / "lexicon")
    assert headers.column(word) == column


def test_an_unknown_column_does_not_stop_a_task_table() -> None:
    lines = ["工作任务 | 联络人 | 责任主体 | 完成节点", "建睦邻点 | 老李 | 自治办、服务办 | 年底前"]
    (found,) = document_tables("u", "u.txt", [SimpleNamespace(kind="table", line_start=1, line_end=2)], lines, 1)
    assert found.kind == "task"
    departments = {"自治办": "自治办", "服务办": "服务办"}
    tasks, links, _ = task_tables("u", "u.txt", [found], [], departments, period=(2025, 2025))
    assert [(t["seq"], t["task"], t["deadline"]) for t in tasks] == [(1, "建睦邻点", dt.date(2025, 12, 31))]
    assert [(link["department"], link["role"]) for link in links] == [("自治办", "lead"), ("服务办", "co")]
    rows, flags = table_cell_rows("u", "u.txt", [found])
    assert [(r["header"], r["text"]) for r in rows] == [("联络人", "老李")]
    assert [(f["kind"], f["found"]) for f in flags] == [("table_header_unknown", "联络人")]


def test_an_indicator_table_reads_its_baseline_and_keeps_the_growth_column() -> None:
    lines = ["序号 | 指标 | 单位 | 2019年基数 | 2025年目标 | 年均增长", "1 | 社区食堂 | 个 | 2 | 6 | 20%"]
    (found,) = document_tables("i", "i.txt", [SimpleNamespace(kind="table", line_start=1, line_end=2)], lines, 1)
    (row,), _ = indicator_rows("i", "i.txt", [found], {})
    assert (row["baseline_raw"], row["target_raw"], row["unit"]) == ("2", "6", "个")
    rows, flags = table_cell_rows("i", "i.txt", [found])
    assert [(r["column"], r["text"]) for r in rows] == [("growth", "20%")]
    assert [(f["kind"], f["found"]) for f in flags] == [("table_column_unread", "年均增长")]


# --- 4. a count's basis from its sentence ---------------------------------------------------------------------


def _population(text: str) -> set[tuple[str, str, float]]:
    paragraphs = pd.DataFrame(
        [{"doc_id": "d", "para_id": "d:p1", "text": text, "line_start": 1, "line_end": 1, "is_duplicate": False}]
    )
    documents = pd.DataFrame([{"doc_id": "d", "street": "测试镇", "source_file": "f"}])
    rows, _ = population_facts(paragraphs, documents, {"f": [text]})
    return {(r["basis"], r["measure"], r["value"]) for r in rows}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "全镇65岁及以上居民4,120人,占常住人口的21.5%;其中90周岁以上老人300人。",
            {
                ("resident", "age_65_plus", 4120.0),
                ("resident", "share_age_65_plus", 21.5),
                ("resident", "age_90_plus", 300.0),
            },
        ),
        (
            "全镇80岁以上老人1,500人,占户籍人口的6.1%。",
            {("hukou", "age_80_plus", 1500.0), ("hukou", "share_age_80_plus", 6.1)},
        ),
        ("全镇65岁及以上居民4,120人。", {("unstated", "age_65_plus", 4120.0)}),  # no base named: stays unstated
    ],
)
def test_a_count_takes_the_basis_of_the_share_its_sentence_states(text: str, expected: set) -> None:
    assert _population(normalise(text)) == expected


# --- 5. web chrome -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "chrome"),
    [
        ("【字体:默认 大 中 小】【分享】【打印本页】", True),
        ("[打印] [关闭窗口]", True),
        ("【字号：大 中 小】", True),
        ("【典型案例】社区食堂让老人吃得放心", False),
        ("【打印】社区食堂", False),
    ],
)
def test_bracketed_toolbars_are_chrome(line: str, chrome: bool) -> None:
    kinds = [kind for pattern, kind in load_boilerplate() if pattern.search(normalise(line))]
    assert bool(kinds) == chrome and set(kinds) <= {"web_chrome"}


# --- 6. add: document type, publication date and title -------------------------------------------------------------

TERMS = inference.load_doc_types(config.PROJECT_ROOT / "data" / "lexicon")


@pytest.mark.parametrize(
    ("title", "doc_type"),
    [
        ("某某镇2025年民生项目推进计划", "work_plan"),
        ("某某街道2025年为民办实事项目实施计划", "work_plan"),
        ("某某街道社区微更新实施方案", "action_plan"),
        ("某某街道2025年党建工作要点", "work_plan"),
        ("某某街道垃圾分类专项行动实施方案", "special_action_plan"),  # the more specific word wins
    ],
)
def test_doc_type_words(title: str, doc_type: str) -> None:
    assert inference.infer_doc_type(title, TERMS).doc_type == doc_type


def test_the_cover_month_beats_a_reference_date_in_a_sentence() -> None:
    lines = ["某某镇养老服务调研报告", "某某镇课题组", "2025年5月", "", "截至2024年12月31日,全镇户籍人口5万人。"]
    assert inference.infer_published(lines) == inference.Fact(dt.date(2025, 5, 1), "line 3 (month only: day 1 written)")


def test_a_signature_date_beats_an_event_date_in_a_sentence() -> None:
    lines = ["某某街道2025年工作计划", "2025年1月8日,街道召开工作会议,部署全年任务。", *["正文。"] * 50]
    lines += ["某某街道办事处", "2025年1月20日"]
    assert inference.infer_published(lines) == inference.Fact(dt.date(2025, 1, 20), f"line {len(lines)}")


def test_a_reference_date_alone_is_no_publication_date() -> None:
    assert inference.infer_published(["某某街道人口概况", "截至2024年12月31日,街道常住人口3万人。"]) is None


def test_a_page_metadata_row_is_never_the_title() -> None:
    lines = ["标　　题： | 某某街道2025年工作要点 | ||", "发布机构： | 某某街道办事处 |", "", "某某街道2025年工作要点"]
    assert inference.infer_title(lines, TERMS) == inference.Fact("某某街道2025年工作要点", "line 4")


# --- deadlines ending in 前 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9月底前", dt.date(2025, 9, 30)),
        ("2026年3月底前", dt.date(2026, 3, 31)),
        ("年底前", dt.date(2025, 12, 31)),
        ("第二季度末前", dt.date(2025, 6, 30)),
        ("2026年前", None),  # before the year begins or ends: not a date
        ("汛期前", None),
    ],
)
def test_a_deadline_ending_in_qian_is_the_same_date(raw: str, expected: dt.date | None) -> None:
    assert parse_deadline(raw, 2025) == expected


def test_an_unknown_word_early_in_a_blank_line_header_does_not_stop_the_table() -> None:
    cells = ["序号", "联络人", "重点任务", "牵头部门", "1", "老李", "修步道", "管理办", "2", "老王", "建公园", "服务办"]
    lines = [line for cell in cells for line in (cell, "")][:-1]
    assert table_line_flags(lines) == [bool(line) for line in lines]
    (found,) = document_tables("b", "b.txt", [SimpleNamespace(kind="table", line_start=1, line_end=23)], lines, 1)
    assert found.kind == "task" and found.table.columns == ["seq", "联络人", "task", "lead"]
    tasks, _, _ = task_tables("b", "b.txt", [found], [], {"管理办": "管理办", "服务办": "服务办"})
    assert [(t["seq"], t["task"], t["departments_raw"]) for t in tasks] == [
        (1, "修步道", "管理办"),
        (2, "建公园", "服务办"),
    ]
    rows, flags = table_cell_rows("b", "b.txt", [found])
    assert [(r["row"], r["text"]) for r in rows] == [(1, "老李"), (2, "老王")]
    assert [(f["kind"], f["found"]) for f in flags] == [("table_header_unknown", "联络人")]
