"""Provenance: every flag cites the raw lines of what it quotes; paragraphs split by extraction are joined."""

from __future__ import annotations

import pandas as pd
import pytest

import streetlib
from streetlib import config
from streetlib.clean import normalise
from streetlib.manifest import Document, Part
from streetlib.structure import (
    DUPLICATE_SHARE,
    load_boilerplate,
    mark_duplicates,
    near_copy_similarity,
    segment_document,
)


@pytest.fixture(scope="module")
def flags() -> pd.DataFrame:
    return pd.read_csv(config.processed_dir() / "quality_flags.csv", dtype=str, keep_default_na=False)


def _lines(source: str) -> list[str]:
    return (config.raw_dir() / source).read_text(encoding="utf-8").split("\n")


def test_every_flag_quotes_text_found_on_the_lines_it_cites(flags: pd.DataFrame) -> None:
    lines = {source: _lines(source) for source in flags["source_file"].unique()}
    wrong = []
    for flag in flags.itertuples():
        assert flag.line_start and flag.line_end, flag
        cited = lines[flag.source_file][int(flag.line_start) - 1 : int(flag.line_end)]
        raw, clean = "".join(cited), "".join(normalise(line) for line in cited).replace(" ", "")
        if flag.kind == "hidden_characters" or (flag.found.startswith("(") and flag.found.endswith(")")):
            continue  # names characters (U+200B), or says there is nothing to quote
        parts = flag.found.split(" / ") if flag.kind == "table_header_repaired" else [flag.found]
        if not all(p in raw or p.replace(" ", "") in clean for p in parts):
            wrong.append((flag.kind, flag.line_start, flag.line_end, flag.found))
    assert wrong == []


def test_a_displaced_title_flag_cites_the_title_line_and_names_the_table(flags: pd.DataFrame) -> None:
    displaced = flags[(flags["kind"] == "table_title_displaced") & flags["found"].str.startswith("表")]
    assert len(displaced) == 7
    lines = _lines("changbai_2021-2023_action_plan_bundle.txt")
    for flag in displaced.itertuples():
        assert flag.line_start == flag.line_end
        assert lines[int(flag.line_start) - 1].startswith(flag.found[:3])
        assert "the table at lines " in flag.note
    first = displaced.iloc[0]
    assert (first["line_start"], first["found"][:3]) == ("327", "表2:")
    assert first["note"].startswith("the table at lines 328-436 is assigned by order")


def test_report_checks_carry_their_lines() -> None:
    checks = streetlib.load_report_checks()
    assert checks["line_start"].notna().all() and checks["line_end"].notna().all()


# --- a paragraph split by extraction is joined; its copy elsewhere is a duplicate ------------------------------


def test_the_split_item_of_the_action_plan_is_one_paragraph_and_its_copy_a_duplicate() -> None:
    paragraphs = streetlib.load_paragraphs().set_index("para_id")
    plan = paragraphs[paragraphs["doc_id"] == "changbai_action_plan_2021_2023"]
    item = plan[plan["line_start"] == 79].iloc[0]
    assert item["line_end"] == 80
    assert item["text"].startswith("深入加强与辖区第一康复医院分院") and "隐忧。定期组织开展护工护理员" in item["text"]
    assert not (plan["line_start"] == 80).any()
    copy = paragraphs[(paragraphs["doc_id"] == "changbai_sap_brand") & (paragraphs["line_start"] == 2180)].iloc[0]
    assert copy["is_duplicate"] and copy["duplicate_of"] == item.name


def _document(lines: list[str]):
    return Document(
        doc_id="d", source="d.txt", title="t", street="s", street_en="s", district="d", district_en="d",
        doc_type="work_plan", year_start=2024, year_end=2024, line_start=1, line_end=len(lines),
        parts=(Part(1, len(lines), "plan"),),
    )  # fmt: skip


def _paragraph_lines(lines: list[str]) -> list[tuple[int, int]]:
    regions = segment_document(_document(lines), lines, load_boilerplate())
    return [(r.line_start, r.line_end) for r in regions if r.kind == "paragraph"]


ITEM_1 = "(1)建设健康服务载体。升级街道社区健康师工作站,服务能力再提升。"
ITEM_2 = "(2)打造健康服务新模式。深入加强与医疗单位合作,消除居民健康隐忧。"
REST = "定期组织开展护工护理员职业技能大赛,有效提升养老服务水平。"
NEXT = "(四)不断改善社区民生"


@pytest.mark.parametrize(
    ("lines", "paragraphs"),
    [
        ([ITEM_1, ITEM_2, REST, NEXT], [(1, 1), (2, 3)]),  # one unmarked line between an item and a heading
        ([ITEM_1, ITEM_2, REST], [(1, 1), (2, 3)]),  # ... or the document's end
        ([ITEM_1, REST, ITEM_2], [(1, 2), (3, 3)]),  # the first item: its next sibling has an inline body
        ([ITEM_1, ITEM_2, "", REST, NEXT], [(1, 1), (2, 2), (4, 4)]),  # a blank line is a paragraph break
        ([ITEM_1, ITEM_2, REST, REST, NEXT], [(1, 1), (2, 2), (3, 3), (4, 4)]),  # two unmarked lines
        (["(1)建设健康服务载体", ITEM_2, REST, NEXT], [(2, 2), (3, 3)]),  # the sibling has no inline body
        ([NEXT, ITEM_2, REST, "表1 重点任务"], [(2, 2), (3, 3)]),  # no sibling item; a table title follows
    ],
)
def test_an_item_body_cut_by_a_line_break_is_joined_by_its_shape(lines: list[str], paragraphs) -> None:
    assert _paragraph_lines(lines) == paragraphs


def test_a_near_copy_is_a_duplicate_and_a_rewrite_is_not() -> None:
    shared = "深入加强与辖区医院合作,开展联合义诊、健康护理等惠民服务。"
    original = shared + "充分发挥居民健康自我管理小组作用,提高居民慢病管理能力。"
    near = original.replace("自我管理", "自治管理")  # one sentence differs by a character
    rewrite = shared + "今年将新建两处社区卫生服务站点,并扩大家庭医生签约覆盖面。"
    frame = pd.DataFrame({"para_id": ["a:p1", "b:p1", "c:p1"], "text": [original, near, rewrite]})
    marked = mark_duplicates(frame).set_index("para_id")
    assert marked.loc["b:p1", "duplicate_of"] == "a:p1" and marked.loc["b:p1", "dup_share"] < DUPLICATE_SHARE
    assert not marked.loc["c:p1", "is_duplicate"] and not marked.loc["a:p1", "is_duplicate"]
    assert near_copy_similarity(original, near) > 0.98 > near_copy_similarity(original, rewrite)
