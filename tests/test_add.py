"""``streetlib add PATH --street NAME``: what it reads from a document, what it writes, and that a
failed add changes nothing.

Every expected value below was written from the fixture texts by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import os
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURES, snapshot

import streetlib
from streetlib import config, inference, manifest
from streetlib.cli import main
from streetlib.errors import SourceError

HONGMEI = (FIXTURES / "hongmeilu_2025_work_plan.txt").read_text(encoding="utf-8")
# the fixture with a signature, as documents end: issuing body, then the date in Chinese numerals
SIGNED = HONGMEI.rstrip("\n") + "\n\n虹梅路街道办事处\n二〇二五年一月二十日\n"


def manifest_entries(root: Path) -> tuple[dict, dict]:
    """The last [[sources]] and [[documents]] entries of ``root``'s manifest."""
    data = tomllib.loads((root / "raw" / config.MANIFEST_NAME).read_text(encoding="utf-8"))
    return data["sources"][-1], data["documents"][-1]


# -- reading dates, periods and encodings -------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["2024-02-20", "2024/02/20", "2024.2.20", "2024年2月20日", "2024 年 2 月 20 日", "二〇二四年二月二十日"]
)
def test_every_usual_date_form_is_read(text: str) -> None:
    assert inference.parse_date(text) == dt.date(2024, 2, 20)


@pytest.mark.parametrize("text", ["tomorrow", "2024-02-30", "2024-13-01", "20240220x", "2024年2月"])
def test_a_date_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        inference.parse_date(text)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2024", (2024, 2024)),
        ("2024年", (2024, 2024)),
        ("2021-2025", (2021, 2025)),
        ("2021—2025", (2021, 2025)),
        ("2021–2023年", (2021, 2023)),
        ("2021~2025", (2021, 2025)),
        ("2021至2025年", (2021, 2025)),
        ("十四五", (2021, 2025)),
        ("十三五", (2016, 2020)),
    ],
)
def test_every_usual_period_form_is_read(text: str, period: tuple[int, int]) -> None:
    assert inference.parse_years(text) == period


@pytest.mark.parametrize("text", ["2025-2021", "abc", "24", "2024/02/20", "五五五"])
def test_a_period_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"period|before it starts"):
        inference.parse_years(text)


def test_periods_in_titles() -> None:
    title = "闵行区古美路街道国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要"
    assert inference.find_period(title) == (2021, 2025)
    assert inference.find_period("安康和美·活力长白行动计划(2021-2023年)") == (2021, 2023)
    assert inference.find_period("二〇三五年远景目标") is None  # 三五 is not a five-year plan
    assert inference.find_period("2020年工作总结") == (2020, 2020)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("街道工作计划\n第二行\n".encode(), ("utf-8", "lf")),
        (b"\xef\xbb\xbf" + "街道工作计划\r\n第二行\r\n".encode(), ("utf-8-sig", "crlf")),
        ("街道工作计划\r\n第二行\r\n".encode("gb18030"), ("gb18030", "crlf")),
        ("街道工作计划\n第二行\n".encode("gbk"), ("gb18030", "lf")),
        ("街道工作计划\n".encode("utf-16"), ("utf-16", "lf")),
    ],
)
def test_encoding_and_line_ends_are_detected(data: bytes, expected: tuple[str, str]) -> None:
    assert inference.detect_encoding(Path("x.txt"), data) == expected


def test_lone_carriage_returns_and_binary_files_are_refused() -> None:
    with pytest.raises(SourceError, match="carriage returns"):
        inference.detect_encoding(Path("x.txt"), "第一行\r第二行\n".encode())
    with pytest.raises(SourceError, match=r"x\.doc: is neither"):
        inference.detect_encoding(Path("x.doc"), bytes(range(128, 256)) * 4)


# -- the gazetteer ------------------------------------------------------------------------------


def test_gazetteer_covers_the_16_districts_and_the_corpus_streets() -> None:
    with (config.PROJECT_ROOT / "data" / "lexicon" / "gazetteer.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len({r["district"] for r in rows}) == 16
    assert {r["kind"] for r in rows} == {"街道", "镇", "乡"}
    assert len({r["street"] for r in rows}) == len(rows)
    assert all(r["source"] == "nbs2023" and len(r["code"]) == 9 for r in rows)
    places = inference.load_gazetteer(config.PROJECT_ROOT / "data" / "lexicon")
    for street, district, english in [
        ("长白新村街道", "杨浦区", "Changbai Xincun Subdistrict"),
        ("新江湾城街道", "杨浦区", "Xinjiangwancheng Subdistrict"),
        ("长寿路街道", "普陀区", "Changshou Road Subdistrict"),
        ("古美路街道", "闵行区", "Gumei Subdistrict"),  # listed as 古美街道
        ("新华路", "长宁区", "Xinhua Road Subdistrict"),
        ("张江镇", "浦东新区", "Zhangjiang Town"),
        ("江湾镇", "虹口区", "Jiangwanzhen Subdistrict"),  # a 街道 named after a former town
        ("九亭", "松江区", "Jiuting Town"),
    ]:
        place = inference.find_place(street, places)
        assert place is not None and (place.district, place.street_en) == (district, english), street


# -- add, end to end ----------------------------------------------------------------------------


def test_the_short_form_reads_a_gbk_crlf_file_and_it_builds(data_root: Path, tmp_path: Path, capsys) -> None:
    new = tmp_path / "hongmeilu_2025_work_plan.txt"
    new.write_bytes(SIGNED.replace("\n", "\r\n").encode("gb18030"))
    assert main(["--data", str(data_root), "add", str(new), "--street", "虹梅路街道"]) == 0
    out = capsys.readouterr().out
    assert "hongmeilu_2025_work_plan" in out and "gazetteer" in out and "line 38" in out
    source, doc = manifest_entries(data_root)
    assert source["file"] == new.name and (data_root / "raw" / new.name).read_bytes() == new.read_bytes()
    assert (source["encoding"], source["newline"]) == ("gb18030", "crlf")
    assert (source["publisher"], source["published"]) == ("虹梅路街道办事处", dt.date(2025, 1, 20))
    expected = {
        "doc_id": "hongmeilu_2025_work_plan",
        "source": "hongmeilu_2025_work_plan.txt",
        "title": "虹梅路街道2025年工作计划",
        "street": "虹梅路街道",
        "street_en": "Hongmei Road Subdistrict",
        "district": "徐汇区",
        "district_en": "Xuhui District",
        "doc_type": "work_plan",
        "year_start": 2025,
        "year_end": 2025,
        "line_start": 1,
        "line_end": 39,
        "parts": [{"line_start": 1, "line_end": 39, "genre": "plan"}],
    }
    assert doc == expected
    assert main(["--data", str(data_root), "build"]) == 0
    paragraphs = streetlib.load_paragraphs(root=data_root)
    assert paragraphs.loc[paragraphs["doc_id"] == "hongmeilu_2025_work_plan", "text"].str.contains("社区食堂").any()


def test_a_bom_crlf_copy_builds_to_the_same_paragraphs_as_the_plain_file(data_root: Path, tmp_path: Path) -> None:
    plain, bom = tmp_path / "plain_copy.txt", tmp_path / "bom_copy.txt"
    plain.write_text(HONGMEI, encoding="utf-8")
    bom.write_bytes(b"\xef\xbb\xbf" + HONGMEI.replace("\n", "\r\n").encode("utf-8"))
    for path in (plain, bom):
        assert (
            main(["--data", str(data_root), "add", str(path), "--street", "虹梅路街道", "--published", "2025-01-20"])
            == 0
        )
    assert manifest_entries(data_root)[0]["encoding"] == "utf-8-sig"
    assert main(["--data", str(data_root), "build"]) == 0
    paragraphs = streetlib.load_paragraphs(root=data_root)
    texts = [paragraphs.loc[paragraphs["doc_id"] == d, "text"].tolist() for d in ("plain_copy", "bom_copy")]
    assert texts[0] == texts[1] and len(texts[0]) == 5  # 基本情况, three 重点工作 items, 保障措施


def test_a_file_name_that_says_nothing_gets_a_doc_id_from_the_street(data_root: Path, tmp_path: Path) -> None:
    new = tmp_path / "新华路街道2024年工作要点.txt"
    new.write_bytes((FIXTURES / "xinhualu_2024_work_points.txt").read_bytes())
    assert main(["--data", str(data_root), "add", str(new), "--street", "新华路"]) == 0
    source, doc = manifest_entries(data_root)
    assert doc["doc_id"] == "xinhua_road_2024_work_plan" and doc["street"] == "新华路街道"
    assert source["file"] == "xinhua_road_2024_work_plan.txt" and source["received_as"] == new.name
    assert (doc["doc_type"], doc["year_start"], source["published"]) == ("work_plan", 2024, dt.date(2024, 2, 1))
    hashed = tmp_path / "003_25c7536eee0aaaa1.txt"  # a download's hash is not a name either
    hashed.write_text(SIGNED.replace("2025", "2026"), encoding="utf-8")
    assert main(["--data", str(data_root), "add", str(hashed), "--street", "虹梅路街道"]) == 0
    assert manifest_entries(data_root)[1]["doc_id"] == "hongmei_road_2026_work_plan"


def test_overrides_win_and_a_quoted_title_round_trips(data_root: Path, tmp_path: Path) -> None:
    before = (data_root / "raw" / config.MANIFEST_NAME).read_bytes()
    new = tmp_path / "hongmeilu_plan.txt"
    new.write_text(SIGNED, encoding="utf-8")
    title = '虹梅路街道"美好社区"2025年工作计划 \\ 修订'
    args = ["--street", "虹梅路街道", "--title", title, "--published", "2024/02/20", "--years", "2021—2025"]
    args += ["--doc-type", "action_plan", "--genre", "review", "--district-en", "Xuhui", "--doc-id", "hm_plan"]
    args += ["--url", "https://www.xuhui.gov.cn/x.html", "--retrieved", "2025年3月1日", "--publisher", "某单位"]
    assert main(["--data", str(data_root), "add", str(new), *args]) == 0
    after = (data_root / "raw" / config.MANIFEST_NAME).read_bytes()
    assert after.startswith(before)  # comments and layout of the existing entries are kept
    source, doc = manifest_entries(data_root)
    assert doc["title"] == title and doc["doc_id"] == "hm_plan" and doc["district_en"] == "Xuhui"
    assert (doc["year_start"], doc["year_end"], doc["doc_type"]) == (2021, 2025, "action_plan")
    assert doc["parts"][0]["genre"] == "review"
    assert (source["published"], source["retrieved"]) == (dt.date(2024, 2, 20), dt.date(2025, 3, 1))
    assert (source["url"], source["publisher"]) == ("https://www.xuhui.gov.cn/x.html", "某单位")
    loaded = manifest.load_manifest(data_root / "raw")
    assert loaded.documents[-1].title == title and loaded.sources[-1].retrieved == dt.date(2025, 3, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--published", "tomorrow"], "--published: 'tomorrow' is not a date"),
        (["--years", "2025-2021"], "--years: '2025-2021' ends before it starts"),
        (["--years", "soon"], "--years: 'soon' is not a period"),
        (["--doc-type", "workplan"], "--doc-type: 'workplan' is not one of"),
        (["--genre", "poem"], "--genre: 'poem' is not one of"),
        (["--doc-id", "Hongmei Plan"], "--doc-id: 'Hongmei Plan' must be lowercase"),
        (["--doc-id", "changshoulu_work_plan_2022"], "is already in the manifest"),
        (["--url", "www.example"], "--url: 'www.example' is not an http"),
        (["--street", "虹梅街道x"], "neither in the gazetteer nor in the manifest"),
        (["--street", "虹桥"], "--street: '虹桥' may be any of 虹桥街道 (长宁区), 虹桥镇 (闵行区)"),
    ],
)
def test_bad_arguments_get_a_message_and_change_nothing(
    data_root: Path, tmp_path: Path, capsys, args: list[str], message: str
) -> None:
    new = tmp_path / "hongmeilu_plan.txt"
    new.write_text(SIGNED, encoding="utf-8")
    before = snapshot(data_root)
    street = [] if "--street" in args else ["--street", "虹梅路街道"]
    assert main(["--data", str(data_root), "add", str(new), *street, *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("streetlib add: error:") and message in err and "Traceback" not in err
    assert snapshot(data_root) == before


def test_an_unknown_street_is_answered_with_near_names(data_root: Path, tmp_path: Path, capsys) -> None:
    new = tmp_path / "hongmeilu_plan.txt"
    new.write_text(SIGNED, encoding="utf-8")
    assert main(["--data", str(data_root), "add", str(new), "--street", "虹梅街道办"]) == 1
    assert "Did you mean 虹梅路街道" in capsys.readouterr().err


def test_a_text_without_date_or_type_asks_for_the_flag(data_root: Path, tmp_path: Path, capsys) -> None:
    new = tmp_path / "hongmeilu_plan.txt"
    new.write_text(HONGMEI, encoding="utf-8")  # no date anywhere
    assert main(["--data", str(data_root), "add", str(new), "--street", "虹梅路街道"]) == 1
    assert "no publication date found" in capsys.readouterr().err
    new.write_text("虹梅路街道会议纪要\n一、会议内容\n", encoding="utf-8")
    assert main(["--data", str(data_root), "add", str(new), "--street", "虹梅路街道", "--published", "2025-01-01"]) == 1
    assert "Give --doc-type" in capsys.readouterr().err


# -- a failed add changes nothing -------------------------------------------------------------


def _fail(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(
    "step", ["temporary folder", "copy", "manifest write", "raw move", "manifest move", "interrupt"]
)
def test_a_failure_at_any_step_leaves_raw_and_manifest_as_they_were(
    data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, step: str
) -> None:
    new = tmp_path / "hongmeilu_plan.txt"
    new.write_text(SIGNED, encoding="utf-8")
    before = snapshot(data_root)
    real_replace = os.replace
    moves: list[str] = []

    def replace(src, dst):
        moves.append(str(dst))
        if (step == "raw move" and len(moves) == 1) or (step == "manifest move" and len(moves) == 2):
            _fail()
        return real_replace(src, dst)

    def interrupt(*_args, **_kwargs):
        raise KeyboardInterrupt

    if step == "temporary folder":
        monkeypatch.setattr(manifest.tempfile, "mkdtemp", _fail)
    elif step == "copy":
        monkeypatch.setattr(manifest, "_copy_durably", _fail)
    elif step == "manifest write":
        monkeypatch.setattr(manifest, "_write_durably", _fail)
    elif step == "interrupt":
        monkeypatch.setattr(manifest, "_write_durably", interrupt)
    else:
        monkeypatch.setattr(manifest.os, "replace", replace)
    argv = ["--data", str(data_root), "add", str(new), "--street", "虹梅路街道"]
    if step == "interrupt":
        with pytest.raises(KeyboardInterrupt):
            main(argv)
    else:
        assert main(argv) == 1
        assert "No space left on device" in capsys.readouterr().err
    if step == "manifest move":
        assert moves[0].endswith("hongmeilu_plan.txt")  # the raw copy was in place, and is gone again
    assert snapshot(data_root) == before  # no raw copy, no manifest change, no temporary folder left


def test_the_existing_notebook_fixture_flags_still_work(data_root: Path, tmp_path: Path) -> None:
    # the long form of the README before this change: every fact given
    new = tmp_path / "xinhualu_2024_work_points.txt"
    new.write_bytes((FIXTURES / "xinhualu_2024_work_points.txt").read_bytes())
    args = ["--street", "新华路街道", "--street-en", "Xinhua Road Subdistrict", "--district", "长宁区"]
    args += ["--district-en", "Changning District", "--doc-type", "work_plan", "--published", "2024-02-01"]
    args += ["--publisher", "新华路街道办事处", "--title", "新华路街道2024年工作要点", "--years", "2024"]
    assert main(["--data", str(data_root), "add", str(new), *args]) == 0
    assert main(["--data", str(data_root), "build"]) == 0
    docs = pd.read_csv(config.processed_dir(data_root) / "documents.csv")
    assert "xinhualu_2024_work_points" in set(docs["doc_id"])


# -- reading a title block ----------------------------------------------------------------------

TERMS = inference.load_doc_types(config.PROJECT_ROOT / "data" / "lexicon")


def test_doc_types_lexicon_uses_the_manifest_vocabularies() -> None:
    assert {t.doc_type for t in TERMS} <= set(manifest.DOC_TYPES)
    assert {t.genre for t in TERMS} <= set(manifest.GENRES)
    assert inference.infer_doc_type("某街道“红色引擎”专项行动计划", TERMS).doc_type == "special_action_plan"


def test_title_block_of_an_issuing_notice_with_a_month_date() -> None:
    lines = [
        "当前位置:首页 > 政务公开 > 规划计划",
        "关于印发《某某街道社区生活圈建设行动计划(2023-2025年)》的通知",
        "某某街道办事处",
        "(二〇二三年四月)",
        "一、总体要求",
        "截至2022年底,街道常住人口约5万人。",
    ]
    title = inference.infer_title(lines, TERMS)
    assert title == inference.Fact("某某街道社区生活圈建设行动计划(2023-2025年)", "line 2")
    assert inference.infer_published(lines) == inference.Fact(dt.date(2023, 4, 1), "line 4 (month only: day 1 written)")
    assert inference.infer_publisher(lines, "某某街道") == inference.Fact("某某街道办事处", "line 3")
    assert inference.infer_period(title.value, lines, None) == inference.Fact((2023, 2025), "title")


def test_publisher_from_a_metadata_table_in_either_layout() -> None:
    header_row = [
        "索引号 | 发布机构 | 生成日期 | 文号",
        "1131/2023-00012 | 杨浦区某某街道办事处 | 2023-02-16 | 某办〔2023〕5号",
    ]
    assert inference.infer_publisher(header_row, "某某街道") == inference.Fact("杨浦区某某街道办事处", "line 2")
    pairs = ["索引号 | 1131/2024-00031 | 发布机构 | 某某街道 |", "公开类别 | 主动公开 | 发布时间 | 2024-02-23 |"]
    assert inference.infer_publisher(pairs, "某某街道") == inference.Fact("某某街道", "line 1")
    assert inference.infer_publisher(["某某镇人民政府2022年工作总结"], "某某镇", "某某镇人民政府2022年工作总结") == (
        inference.Fact("某某镇人民政府", "title")  # the issuer named in the title, not a line of its own
    )


def test_publisher_labels_are_the_table_lexicon_words(tmp_path: Path) -> None:
    """The labels are data: a label added to table_headers.csv (kind page_metadata, column publisher) is read."""
    labels = inference.load_page_labels()
    assert {"发布机构", "来源"} <= set(labels.publisher) and {"索引号", "发布时间"} <= labels.every
    line = ["编发单位:某某街道办事处"]
    assert inference.infer_publisher(line, "某某街道") is None
    lexicon = tmp_path / "lexicon"
    shutil.copytree(config.lexicon_dir(), lexicon)
    with (lexicon / "table_headers.csv").open("a", encoding="utf-8") as handle:
        handle.write("编发单位,publisher,page_metadata,\n")
    wider = inference.load_page_labels(lexicon)
    assert inference.infer_publisher(line, "某某街道", labels=wider) == inference.Fact("某某街道办事处", "line 1")


def test_a_work_report_reviews_its_year_and_plans_the_next(data_root: Path, tmp_path: Path) -> None:
    new = tmp_path / "report.txt"
    text = "某镇政府工作报告\n——在某镇人民代表大会上\n(２０２４年１月１８日)\n\n"
    text += "２０２３年工作回顾\n过去一年,全镇稳中有进。\n"  # full-width digits, as downloads have them
    new.write_text(text.replace("某镇", "高境镇"), encoding="utf-8")
    assert main(["--data", str(data_root), "add", str(new), "--street", "高境镇"]) == 0
    source, doc = manifest_entries(data_root)
    assert (doc["doc_type"], doc["year_start"], doc["year_end"]) == ("congress_report", 2023, 2024)
    assert source["published"] == dt.date(2024, 1, 18)
    assert doc["title"] == "高境镇政府工作报告" and doc["district"] == "宝山区"


@pytest.mark.parametrize(
    ("stem", "usable"),
    [
        ("hongmeilu_2025_work_plan", "hongmeilu_2025_work_plan"),
        ("Gumeilu 14th Five-Year Plan", "gumeilu_14th_five_year_plan"),
        ("plain_copy", "plain_copy"),
        ("download", None),
        ("1", None),
        ("003_25c7536eee0aaaa1", None),
        ("新华路街道2024年工作要点", None),
    ],
)
def test_which_file_names_make_a_doc_id(stem: str, usable: str | None) -> None:
    assert inference.usable_stem(stem) == usable


def test_a_file_left_by_an_interrupted_add_is_named_as_such(data_root: Path, tmp_path: Path, capsys) -> None:
    new = tmp_path / "hongmeilu_plan.txt"
    new.write_text(SIGNED, encoding="utf-8")
    (data_root / "raw" / new.name).write_bytes(new.read_bytes())  # a kill between the raw and the manifest move
    assert main(["--data", str(data_root), "add", str(new), "--street", "虹梅路街道"]) == 1
    assert "not in the manifest" in capsys.readouterr().err
