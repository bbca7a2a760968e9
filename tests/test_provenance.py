"""Provenance: every flag cites the raw lines of what it quotes; paragraphs split by extraction are joined."""

from __future__ import annotations

import pandas as pd
import pytest

import streetlib
from streetlib import config
from streetlib.clean import normalise
from streetlib.structure import DUPLICATE_SHARE, mark_duplicates, near_copy_similarity


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


# --- a copy is a duplicate however either copy breaks the text into paragraphs ---------------------------------


def test_the_copy_of_an_item_split_in_two_is_a_duplicate_of_both_halves(flags: pd.DataFrame) -> None:
    paragraphs = streetlib.load_paragraphs()
    plan = paragraphs[paragraphs["doc_id"] == "changbai_action_plan_2021_2023"].set_index("line_start")
    # lines 79-80 of the bundle: one item of the action plan, cut in two by a line break ...
    assert plan.loc[79, "text"].endswith("消除居民健康隐忧。") and plan.loc[80, "text"].startswith("定期组织开展")
    # ... copied as one line (with two characters changed) into the brand plan at line 2180
    copy = paragraphs[(paragraphs["doc_id"] == "changbai_sap_brand") & (paragraphs["line_start"] == 2180)].iloc[0]
    assert copy["is_duplicate"] and copy["duplicate_of"] == plan.loc[79, "para_id"]
    assert copy["dup_share"] < DUPLICATE_SHARE  # its sentences alone do not make it a duplicate
    flag = flags[(flags["kind"] == "duplicate_paragraph") & (flags["line_start"] == "2180")]
    assert (
        flag["note"]
        .iloc[0]
        .startswith(
            f"a near copy of {plan.loc[79, 'para_id']} to {plan.loc[80, 'para_id']} (99.4% of its characters the same"
        )
    )


SHARED = "深入加强与辖区医院合作,开展联合义诊、健康护理等惠民服务。"
OWN = "充分发挥居民健康自我管理小组作用,提高居民慢病管理能力。定期组织开展护工护理员职业技能大赛。"


def _marked(texts: list[tuple[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"para_id": [p for p, _ in texts], "doc_id": [p.split(":")[0] for p, _ in texts], "text": [t for _, t in texts]}
    )
    return mark_duplicates(frame).set_index("para_id")


def test_a_near_copy_is_a_duplicate_and_a_rewrite_is_not() -> None:
    original = SHARED + OWN
    near = original.replace("自我管理", "自治管理")  # one sentence differs by a character
    rewrite = SHARED + "今年将新建两处社区卫生服务站点,并扩大家庭医生签约覆盖面。"
    marked = _marked([("a:p1", original), ("b:p1", near), ("c:p1", rewrite)])
    assert marked.loc["b:p1", "duplicate_of"] == "a:p1" and marked.loc["b:p1", "dup_share"] < DUPLICATE_SHARE
    assert not marked.loc["c:p1", "is_duplicate"] and not marked.loc["a:p1", "is_duplicate"]
    assert marked.attrs["near_copies"] == {"b:p1": ("a:p1", pytest.approx(0.98, abs=0.02))}
    assert near_copy_similarity(original, near) > 0.98 > near_copy_similarity(original, rewrite)


def test_a_near_copy_may_join_paragraphs_the_original_keeps_apart() -> None:
    marked = _marked(
        [("a:p1", SHARED), ("a:p2", OWN), ("a:p3", "其他内容。"), ("b:p1", SHARED + OWN.replace("自我", "自治"))]
    )
    assert marked.loc["b:p1", "duplicate_of"] == "a:p1"
    assert marked.attrs["near_copies"]["b:p1"][0] == "a:p2"
    # the halves in two documents are no run of one document's paragraphs
    marked = _marked([("a:p1", SHARED), ("c:p1", OWN), ("b:p1", SHARED + OWN.replace("自我", "自治"))])
    assert not marked.loc["b:p1", "is_duplicate"]
