"""Provenance: every flag cites the raw lines of what it quotes; every check carries its lines; a paragraph
split by extraction is joined (its copy elsewhere is the evidence) and keeps the id of its first part."""

from __future__ import annotations

import pandas as pd
import pytest

import streetlib
from streetlib import config
from streetlib.clean import normalise
from streetlib.manifest import Document, Part
from streetlib.structure import (
    DUPLICATE_SHARE,
    join_split_paragraphs,
    load_boilerplate,
    mark_duplicates,
    near_copy_similarity,
    sections_and_paragraphs,
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


# --- a paragraph split by extraction is joined when its text is one paragraph elsewhere ------------------------

BUNDLE = "changbai_2021-2023_action_plan_bundle.txt"
PLAN = "changbai_action_plan_2021_2023"


def test_the_split_item_of_the_action_plan_is_one_paragraph_with_the_id_of_its_first_part() -> None:
    plan = streetlib.load_paragraphs().query("doc_id == @PLAN").set_index("para_id")
    raw = _lines(BUNDLE)
    item = plan.loc[f"{PLAN}:p0034"]
    assert (item["line_start"], item["line_end"]) == (79, 80)
    # line 79 is the heading (2)多措并举打造健康服务新模式。 run into its body; line 80 goes on without a marker
    body_79 = normalise(raw[78]).removeprefix("(2)多措并举打造健康服务新模式。")
    assert item["text"] == body_79 + normalise(raw[79])
    assert item["n_chars"] == len(item["text"])
    assert f"{PLAN}:p0035" not in plan.index  # the second part's id is not used again
    assert (plan.loc[f"{PLAN}:p0036", "line_start"], plan.loc[f"{PLAN}:p0053", "line_start"]) == (83, 104)


def test_the_join_is_flagged_with_the_lines_it_joins_and_the_line_of_its_evidence(flags: pd.DataFrame) -> None:
    joins = flags[flags["kind"] == "split_paragraph"]
    assert list(zip(joins["source_file"], joins["line_start"], joins["line_end"], strict=True)) == [
        (BUNDLE, "79", "80")
    ]
    note = joins["note"].iloc[0]
    assert "changbai_sap_brand:p0007" in note and "line 2180" in note and f"{PLAN}:p0035" in note
    assert "隐忧。定期组织" in joins["found"].iloc[0]  # the quote spans the break


def test_the_copies_in_the_special_action_plan_are_duplicates_of_the_plan() -> None:
    p = streetlib.load_paragraphs().set_index(["doc_id", "line_start"])
    # line 2180 copies the joined item with two small edits (自我管理 -> 自治管理, 服务的能力 -> 服务能力);
    # line 2192 copies the plan's line 104 with its last clause reworded
    for copy_line, original in [(2180, f"{PLAN}:p0034"), (2192, f"{PLAN}:p0053")]:
        copy = p.loc[("changbai_sap_brand", copy_line)]
        assert copy["is_duplicate"] and copy["duplicate_of"] == original, copy_line
        assert copy["dup_share"] < DUPLICATE_SHARE  # its whole sentences alone would not make it one


# a small corpus written by hand: an item whose body goes on over a second line, and copies of it
ITEM = "(1)打造健康服务新模式。深入加强与辖区医院合作,定期推出联合义诊、健康护理等惠民服务。"
REST = (
    "定期组织开展护工护理员职业技能大赛,有效提升辖区养老服务水平。"
    "充分发挥居民健康自管小组作用,提高居民慢病自我管理能力。"
)
NEXT = "(2)推进睦邻家园建设。持续深化房前屋后净化、绿化、美化工程,打造宜居美丽的社区环境。"
BODY = "深入加强与辖区医院合作,定期推出联合义诊、健康护理等惠民服务。"
COPY = "1.打造健康服务新模式。" + BODY + REST.replace("自我管理", "自治管理")  # one character changed
PLAN_LINES = ["某某街道2024年工作计划", ITEM, REST, NEXT]


def _corpus(*documents: tuple[str, list[str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Paragraphs and regions of hand-written documents (one source each), as the structure stage makes them."""
    paragraphs, regions = [], []
    for doc_id, lines in documents:
        doc = Document(
            doc_id=doc_id, source=f"{doc_id}.txt", title="t", street="s", street_en="s", district="d",
            district_en="d", doc_type="work_plan", year_start=2024, year_end=2024, line_start=1,
            line_end=len(lines), parts=(Part(1, len(lines), "plan"),),
        )  # fmt: skip
        found = segment_document(doc, lines, load_boilerplate())
        paragraphs += sections_and_paragraphs(doc, found)[1]
        regions += [{"doc_id": doc_id, "kind": r.kind, "line_start": r.line_start} for r in found]
    return pd.DataFrame(paragraphs), pd.DataFrame(regions)


def _lines_of(paragraphs: pd.DataFrame, doc_id: str) -> list[tuple[str, int, int]]:
    rows = paragraphs[paragraphs["doc_id"] == doc_id]
    return list(zip(rows["para_id"], rows["line_start"], rows["line_end"], strict=True))


def test_a_split_is_joined_when_its_text_is_one_paragraph_elsewhere() -> None:
    paragraphs, regions = _corpus(("a", PLAN_LINES), ("b", ["专项行动", COPY]))
    joined, splits = join_split_paragraphs(paragraphs, regions)
    assert _lines_of(joined, "a") == [("a:p0001", 2, 3), ("a:p0003", 4, 4)]  # a:p0002 is not used again
    assert joined.set_index("para_id").loc["a:p0001", "text"] == BODY + REST
    assert joined.set_index("para_id").loc["a:p0001", "n_chars"] == len(BODY + REST)
    assert _lines_of(joined, "b") == [("b:p0001", 2, 2)]
    [split] = splits
    assert (split.doc_id, split.para_ids, split.line_start, split.line_end) == ("a", ("a:p0001", "a:p0002"), 2, 3)
    # 90 characters each, one differs: 2 * 89 / 180 of them matched in order
    assert (split.evidence, split.evidence_line, split.similarity) == ("b:p0001", 2, round(89 / 90, 4))
    marked = mark_duplicates(joined).set_index("para_id")
    assert marked.loc["b:p0001", "duplicate_of"] == "a:p0001"  # the copy is now a near copy of one paragraph
    assert marked.loc["b:p0001", "dup_share"] < DUPLICATE_SHARE


def test_the_evidence_may_come_first_in_the_corpus() -> None:
    joined, splits = join_split_paragraphs(*_corpus(("b", ["专项行动", COPY]), ("a", PLAN_LINES)))
    assert _lines_of(joined, "a") == [("a:p0001", 2, 3), ("a:p0003", 4, 4)] and len(splits) == 1
    assert mark_duplicates(joined).set_index("para_id").loc["a:p0001", "duplicate_of"] == "b:p0001"


@pytest.mark.parametrize(
    "other",
    [
        [],  # no other document: a genuine two-paragraph item stays two paragraphs
        ["专项行动", "1.打造健康服务新模式。" + BODY],  # a copy of the first part alone
        ["专项行动", "1.打造健康服务新模式。" + REST],  # ... or of the second
        # both parts inside a longer paragraph: their text is part of it, not it
        ["专项行动", BODY + REST + "今年将新建两处社区卫生服务站点,并扩大家庭医生签约覆盖面,让居民就近享受服务。" * 2],
        # the copy keeps them apart too
        ["专项行动", "1.打造健康服务新模式。" + BODY, REST.replace("自我管理", "自治管理")],
    ],
)
def test_no_join_without_a_single_paragraph_holding_both_parts(other: list[str]) -> None:
    documents = [("a", PLAN_LINES), ("b", other)] if other else [("a", PLAN_LINES)]
    joined, splits = join_split_paragraphs(*_corpus(*documents))
    assert _lines_of(joined, "a") == [("a:p0001", 2, 2), ("a:p0002", 3, 3), ("a:p0003", 4, 4)] and splits == []


def test_a_heading_between_two_paragraphs_is_a_real_break_whatever_the_evidence() -> None:
    lines = ["某某街道2024年工作计划", ITEM, "(2)完善为老服务", REST]
    joined, splits = join_split_paragraphs(*_corpus(("a", lines), ("b", ["专项行动", COPY])))
    assert _lines_of(joined, "a") == [("a:p0001", 2, 2), ("a:p0002", 4, 4)] and splits == []


GOVERN = "理顺居民区党组织与社区治理各主体间的关系,打造四位一体同心圆。"
REVIEW = "全面推进业委会规范化运作评价工作,力争实现规范化运作达标率达到百分之百。"
SMALL = "聚焦群众的操心事、烦心事、揪心事,因地制宜推出一批三微治理项目。"


def test_a_three_way_split_with_its_evidence_in_the_same_document() -> None:
    lines = [
        "某某街道2024年工作计划",
        "(1)加强社区治理。" + GOVERN,
        REVIEW,
        "",  # a blank line between two parts is no heading, table or other region
        SMALL,
        "(2)附录",
        # the same text as one paragraph; the middle sentence has 达标率达到100%, so no part but the first
        # and the last shares a whole sentence with it
        GOVERN + REVIEW.replace("百分之百", "100%") + SMALL,
        "(3)其他。" + NEXT[3:],
    ]
    joined, splits = join_split_paragraphs(*_corpus(("a", lines)))
    assert _lines_of(joined, "a") == [("a:p0001", 2, 5), ("a:p0004", 7, 7), ("a:p0005", 8, 8)]
    assert joined.set_index("para_id").loc["a:p0001", "text"] == GOVERN + REVIEW + SMALL
    [split] = splits
    assert split.para_ids == ("a:p0001", "a:p0002", "a:p0003") and (split.evidence, split.evidence_line) == (
        "a:p0004",
        7,
    )


def test_a_near_copy_is_a_duplicate_and_a_rewrite_is_not() -> None:
    original = BODY + REST
    near = original.replace("自我管理", "自治管理")  # one character differs
    rewrite = BODY + "今年将新建两处社区卫生服务站点,并扩大家庭医生签约覆盖面,让居民就近享受服务。"
    frame = pd.DataFrame({"para_id": ["a:p1", "b:p1", "c:p1"], "text": [original, near, rewrite]})
    marked = mark_duplicates(frame).set_index("para_id")
    assert marked.loc["b:p1", "duplicate_of"] == "a:p1" and marked.loc["b:p1", "dup_share"] < DUPLICATE_SHARE
    assert not marked.loc["c:p1", "is_duplicate"] and not marked.loc["a:p1", "is_duplicate"]
    assert near_copy_similarity(original, near) == pytest.approx(89 / 90)  # 90 characters, one differs
    assert near_copy_similarity(original, rewrite) == 0.0  # below 0.95 the cheap bounds answer
