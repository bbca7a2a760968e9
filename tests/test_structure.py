"""Clean text and document structure: traceability, outlines, regions, duplicates, flags."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import add_source, document_entry
from hypothesis import example, given, settings
from hypothesis import strategies as st

import streetlib
from streetlib.build import build
from streetlib.clean import apply_errata, load_errata, normalise
from streetlib.manifest import Document, Part, read_corpus
from streetlib.structure import heading_of, load_boilerplate, sections_and_paragraphs, segment_document

BUNDLE = "changbai_2021-2023_action_plan_bundle.txt"


@pytest.fixture(scope="module")
def corpus_lines() -> dict[str, list[str]]:
    corpus = read_corpus()
    return apply_errata(corpus, load_errata())


def outline(doc_id: str, max_level: int = 2) -> str:
    s = streetlib.load_sections()
    s = s[(s["doc_id"] == doc_id) & (s["level"] >= 1) & (s["level"] <= max_level)]
    return " ".join(s["marker"])


CN = "一二三四五六七"


def seq(template: str, n: int) -> str:
    return " ".join(template.format(CN[i]) for i in range(n))


# Outlines as the documents give them (seedmap section 1), written out by hand.
OUTLINES = {
    "changbai_action_plan_2021_2023": "一、 (一) (二) 二、 (一) (二) 三、 四、 " + seq("({})", 6) + " 五、",
    "changbai_sap_party_building": "一、 (一) (二) (三) 二、 (一) (二) 三、 (一) (二) (三) (四)",
    "changbai_sap_usst_community": "一、 (一) (二) (三) 二、 (一) (二) (三) 三、 (一) (二) (三) (四)",
    "changbai_sap_brand": "一、 (一) (二) (三) 二、 (一) (二) (三) (四) 三、 (一) (二) (三)",
    "changbai_research_report_2021": " ".join(
        [
            "一、 (一) (二)",
            "二、 " + seq("({})", 7),
            "三、 " + seq("({})", 7),
            "四、",
            "五、 " + seq("({})", 7),
            "六、 " + seq("({})", 7),
        ]
    ),
    "xinjiangwancheng_congress_report_2023": seq("({})", 6) + " " + seq("({})", 6),
    "changshoulu_work_plan_2022": seq("{}、", 7),
    "changbai_work_summary_2020": seq("({})", 6),
    "gumeilu_five_year_plan_14th": " ".join(
        [
            "一、 (一) (二)",
            "二、 (一) (二)",
            "三、 (一) (二) (三) (四)",
            "四、 " + seq("({})", 7),
            "五、 " + seq("({})", 6),
            "六、 " + seq("({})", 4),
        ]
    ),
}


@pytest.mark.parametrize("doc_id", sorted(OUTLINES))
def test_section_trees_match_the_documents_outlines(doc_id: str) -> None:
    assert outline(doc_id) == OUTLINES[doc_id]


def test_action_plan_items_run_on_across_sections() -> None:
    s = streetlib.load_sections()
    items = s[(s["doc_id"] == "changbai_action_plan_2021_2023") & (s["level"] == 3)]
    assert list(items["number"]) == list(range(1, 19)), "the 18 重点任务 numbered 1-18 across (一)-(六)"
    assert "13、" in set(items["marker"])
    q = streetlib.load_quality_flags()
    assert not ((q["kind"] == "heading_sequence") & (q["doc_id"] == "changbai_action_plan_2021_2023")).any()


def test_parents_are_one_level_up() -> None:
    s = streetlib.load_sections().set_index("section_id")
    children = s[s["parent_id"].notna()]
    parent_levels = s.loc[children["parent_id"], "level"].to_numpy()
    assert (parent_levels < children["level"].to_numpy()).all()
    assert (s.loc[children["parent_id"], "doc_id"].to_numpy() == children["doc_id"].to_numpy()).all()


def test_every_paragraph_traces_to_its_raw_lines(corpus_lines: dict[str, list[str]]) -> None:
    """Raw lines + recorded errata + normalisation reproduce each paragraph (after a run-in heading)."""
    docs = streetlib.load_documents().set_index("doc_id")
    for p in streetlib.load_paragraphs().itertuples():
        source = docs.loc[p.doc_id, "source_file"]
        raw = corpus_lines[source][p.line_start - 1 : p.line_end]
        rebuilt = "".join(normalise(line) for line in raw)
        assert rebuilt.endswith(p.text), p.para_id
        prefix = rebuilt[: len(rebuilt) - len(p.text)]
        if prefix:  # a run-in heading: marker, title and the 。 that ends it
            found = heading_of(prefix + p.text)
            assert found and prefix.endswith("。"), p.para_id


def test_errata_repairs_reach_the_paragraphs() -> None:
    text = "".join(streetlib.load_paragraphs()["text"])
    for e in load_errata():
        if e.action == "fix" and len(e.found) >= 4 and e.found not in e.replacement:
            assert normalise(e.found) not in text, e
    assert "二〇三五年" in text and "二O三五年" not in text


def test_every_non_blank_line_lands_in_exactly_one_region(corpus_lines: dict[str, list[str]]) -> None:
    docs = streetlib.load_documents()
    regions = streetlib.load_regions()
    for doc in docs.itertuples():
        cover: dict[int, list[str]] = {}
        for r in regions[regions["doc_id"] == doc.doc_id].itertuples():
            for line in range(r.line_start, r.line_end + 1):
                cover.setdefault(line, []).append(r.kind)
        for line in range(doc.line_start, doc.line_end + 1):
            kinds = sorted(cover.get(line, []))
            if not normalise(corpus_lines[doc.source_file][line - 1]):
                assert len(kinds) <= 1, (doc.doc_id, line, kinds)  # blank: inside at most one region
            else:
                # a run-in heading shares its line with its paragraph; a title line may carry a date
                assert kinds in (
                    [kinds[0]] if kinds else [None],
                    ["heading", "paragraph"],
                    ["metadata", "title"],
                ), (doc.doc_id, line, kinds)


def test_no_toc_table_cell_or_chrome_in_sections_or_paragraphs() -> None:
    texts = list(streetlib.load_paragraphs()["text"]) + list(streetlib.load_sections()["title"].dropna())
    toc = [pattern for pattern, kind in load_boilerplate() if kind == "toc"]
    assert not [t for t in texts if any(p.search(t) for p in toc)]
    assert not [t for t in texts if t.endswith("|")]
    toolbar = {"读屏专用", "声音开关", "退出服务", "高级搜索"}
    assert not [t for t in texts if t in toolbar or t.startswith("当前位置")]
    assert not [t for t in streetlib.load_sections()["title"] if re.fullmatch(r"[\d.]+(亿元|万元|%)?", t)]


def test_known_boilerplate_and_captions_are_dropped_from_paragraphs() -> None:
    r = streetlib.load_regions()
    gumei = r[r["doc_id"] == "gumeilu_five_year_plan_14th"]
    assert (gumei["kind"] == "toolbar").sum() == 15
    assert set(gumei.loc[gumei["kind"] == "footer", "line_start"]) == {703, 705, 707}
    report = r[r["doc_id"] == "changbai_research_report_2021"]
    assert (report["kind"] == "caption").sum() == 9
    assert (report["kind"] == "toc").sum() == 30


def test_split_titles_are_joined() -> None:
    s = streetlib.load_sections()
    titles = s[s["level"] == 0].set_index(["doc_id", "line_start"])["title"]
    assert titles[("changbai_research_report_2021", 2205)].endswith("创新发展调研报告")
    assert titles[("gumeilu_five_year_plan_14th", 15)].endswith("远景目标纲要》的通知")
    assert titles[("changbai_action_plan_2021_2023", 12)] == "前言"


def test_sentence_broken_across_paragraphs_is_joined() -> None:
    p = streetlib.load_paragraphs().set_index(["doc_id", "line_start"])
    joined = p.loc[("changbai_work_summary_2020", 15)]
    assert joined["line_end"] == 17
    assert "街道积极应对,第一时间成立" in joined["text"]


def test_repeated_paragraphs_are_marked() -> None:
    p = streetlib.load_paragraphs().set_index(["doc_id", "line_start"])
    summary = p.xs("changbai_work_summary_2020")
    for report_line, summary_line in [(2383, 49), (2385, 33), (2386, 53)]:
        row = p.loc[("changbai_research_report_2021", report_line)]
        assert row["is_duplicate"]
        assert row["duplicate_of"] == summary.loc[summary_line, "para_id"]
    originals = streetlib.load_paragraphs()
    assert not originals.loc[originals["doc_id"] == "changbai_action_plan_2021_2023", "is_duplicate"].any()
    flags = streetlib.load_quality_flags()
    assert (flags["kind"] == "duplicate_paragraph").sum() == int(originals["is_duplicate"].sum())


def test_quality_flags_record_every_erratum() -> None:
    flags = streetlib.load_quality_flags()
    errata = load_errata()
    assert ((flags["kind"] == "erratum_fix").sum(), (flags["kind"] == "erratum_flag").sum()) == (
        sum(e.action == "fix" for e in errata),
        sum(e.action == "flag" for e in errata),
    )
    assert flags.loc[flags["kind"] == "erratum_flag", "replacement"].isna().all()


# --- a document written for the tests, through the manifest alone ---------------------------

NEW = "xinhualu_2024_work_points.txt"


def test_a_new_document_in_the_same_style_builds_without_code_changes(data_root: Path) -> None:
    add_source(data_root, NEW, [document_entry("xinhualu_work_points_2024", NEW, (1, 26), [(1, 26, "plan")])])
    build(data_root, progress=False)
    s = streetlib.load_sections(root=data_root)
    s = s[s["doc_id"] == "xinhualu_work_points_2024"]
    assert list(s["title"]) == [
        "新华路街道2024年工作要点",
        "新华路街道2024年工作要点",  # the title split over two lines, joined
        "总体思路",
        "重点工作",
        "加强党建引领",  # run-in heading
        "完善组织体系",
        "提升服务能力",  # 2、 variant, run-in
        "改善民生服务",
        "实施适老化改造100户",
        "新增助餐点2个,覆盖28.5%的老年人",
        "保障措施",
    ]
    assert list(s["level"]) == [0, 0, 1, 1, 2, 3, 3, 2, 4, 4, 1]
    p = streetlib.load_paragraphs(root=data_root)
    p = p[p["doc_id"] == "xinhualu_work_points_2024"].set_index("line_start")
    assert p.loc[16, "text"] == "建立健全街道、片区、居民区三级网络,确保党的组织全覆盖。"
    assert p.loc[14, "text"] == "深化区域化党建,推进“两新”组织覆盖。"
    r = streetlib.load_regions(root=data_root)
    r = r[r["doc_id"] == "xinhualu_work_points_2024"].set_index("line_start")
    assert list(r.loc[[3, 4, 5, 6], "kind"]) == ["toc"] * 4
    assert list(r.loc[[25, 26], "kind"]) == ["metadata", "metadata"]
    flags = streetlib.load_quality_flags(root=data_root)
    assert not (flags["doc_id"] == "xinhualu_work_points_2024").any()


def test_a_heading_sequence_that_skips_is_flagged(data_root: Path) -> None:
    variant = "skip.txt"
    text = (Path(__file__).parent / "fixtures" / NEW).read_text(encoding="utf-8").replace("(二)改善", "(三)改善")
    add_source(
        data_root,
        variant,
        text=text,
        documents=[document_entry("xinhualu_skip", variant, (1, 26), [(1, 26, "plan")])],
    )
    build(data_root, progress=False)
    flags = streetlib.load_quality_flags(root=data_root)
    hit = flags[(flags["doc_id"] == "xinhualu_skip") & (flags["kind"] == "heading_sequence")]
    assert list(hit["line_start"]) == [19]
    assert "number 3 where 2" in hit["note"].iloc[0]


def test_a_document_without_headings_is_all_paragraphs(data_root: Path) -> None:
    text = "街道开展垃圾分类宣传活动。\n\n居民参与率达到90%。\n\n下一步将继续推进。\n"
    add_source(
        data_root,
        "plain.txt",
        text=text,
        documents=[document_entry("plain_notes", "plain.txt", (1, 5), [(1, 5, "review")])],
    )
    build(data_root, progress=False)
    p = streetlib.load_paragraphs(root=data_root)
    assert list(p.loc[p["doc_id"] == "plain_notes", "line_start"]) == [1, 3, 5]
    s = streetlib.load_sections(root=data_root)
    assert not (s["doc_id"] == "plain_notes").any()


def test_a_part_boundary_inside_a_paragraph_is_flagged(data_root: Path) -> None:
    parts = [(1, 16, "review"), (17, 26, "plan")]  # lines 16-17 are one paragraph
    add_source(data_root, NEW, [document_entry("xinhualu_parts", NEW, (1, 26), parts)])
    build(data_root, progress=False)
    flags = streetlib.load_quality_flags(root=data_root)
    hit = flags[(flags["doc_id"] == "xinhualu_parts") & (flags["kind"] == "part_boundary_in_paragraph")]
    assert list(hit["line_start"]) == [16]
    p = streetlib.load_paragraphs(root=data_root).set_index("para_id")
    assert p.loc[p["line_start"] == 16, "genre"].tolist() == ["review"]


# --- properties -----------------------------------------------------------------------------

CJKISH = st.text(
    alphabet=st.sampled_from(
        list("一二三四五六七八九十、。,:;()|.…0123456789 \u00a0\u3000街道党建表图目录“”《》-第章节条—首页>")
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_normalise_never_raises_and_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert "\u00a0" not in once and "，" not in once


@settings(max_examples=150, deadline=None)
@given(st.lists(CJKISH, min_size=1, max_size=25))
@example(["一一、"])  # found by CI: a run of numerals that is no number raised KeyError
def test_segmentation_covers_every_non_blank_line(lines: list[str]) -> None:
    doc = Document(
        doc_id="prop",
        source="prop.txt",
        title="t",
        street="s",
        street_en="s",
        district="d",
        district_en="d",
        doc_type="work_plan",
        year_start=2024,
        year_end=2024,
        line_start=1,
        line_end=len(lines),
        parts=(Part(1, len(lines), "plan"),),
    )
    regions = segment_document(doc, lines, load_boilerplate())
    covered: dict[int, int] = {}
    for r in regions:
        assert 1 <= r.line_start <= r.line_end <= len(lines)
        for line in range(r.line_start, r.line_end + 1):
            covered[line] = covered.get(line, 0) + 1
    for number, line in enumerate(lines, start=1):
        if normalise(line):
            assert covered.get(number, 0) >= 1, (number, line, lines)
    assert all(count <= 2 for count in covered.values())


def test_loaders_restore_categories() -> None:
    p = streetlib.load_paragraphs()
    assert isinstance(p["genre"].dtype, pd.CategoricalDtype)
    assert p["genre"].notna().all()
    assert p["is_duplicate"].dtype == "boolean"


def test_only_well_formed_chinese_numerals_open_a_heading() -> None:
    assert heading_of("二十三、总结")[:3] == (5, "二十三、", 23)  # rank 5: below 部分, 章, 节 and 条
    assert heading_of("(十二)养老")[:3] == (6, "(十二)", 12)
    assert heading_of("十、其他")[:3] == (5, "十、", 10)
    for text in ("一一、", "十十、重复", "三四五、并列", "(一二)"):
        assert heading_of(text) is None, text


# --- chapters, tables of contents, title blocks and web chrome, in hand-written documents -----


def _segment(text: str) -> tuple[list, list[dict], list[dict]]:
    lines = text.split("\n")
    doc = Document(
        doc_id="t",
        source="t.txt",
        title="t",
        street="s",
        street_en="s",
        district="d",
        district_en="d",
        doc_type="work_plan",
        year_start=2024,
        year_end=2024,
        line_start=1,
        line_end=len(lines),
        parts=(Part(1, len(lines), "plan"),),
    )
    regions = segment_document(doc, lines, load_boilerplate())
    sections, paragraphs, _ = sections_and_paragraphs(doc, regions)
    return regions, sections, paragraphs


REGULATION = """上海市某某街道社区服务管理办法
第一章 总则
第一条 为规范社区服务,制定本办法。
第二条 本办法适用于本街道辖区。
第二章 服务管理
第一节 养老服务
第三条 街道应当完善养老服务体系。
一、建设社区食堂
(一)新增助餐点
第二节 为老服务
第四条 街道每年开展为老服务评估。"""


def test_chapters_sections_and_articles_nest_above_the_outline() -> None:
    _, sections, paragraphs = _segment(REGULATION)
    by_line = {s["line_start"]: s for s in sections}
    got = [(s["marker"], s["title"], s["level"], by_line[_line_of(sections, s["parent_id"])]["marker"]
            if s["parent_id"] else None) for s in sections]  # fmt: skip
    assert got == [
        ("", "上海市某某街道社区服务管理办法", 0, None),
        ("第一章", "总则", 1, None),
        ("第一条", "", 3, "第一章"),
        ("第二条", "", 3, "第一章"),
        ("第二章", "服务管理", 1, None),
        ("第一节", "养老服务", 2, "第二章"),
        ("第三条", "", 3, "第一节"),
        ("一、", "建设社区食堂", 4, "第三条"),
        ("(一)", "新增助餐点", 5, "一、"),
        ("第二节", "为老服务", 2, "第二章"),
        ("第四条", "", 3, "第二节"),
    ]
    assert [s["number"] for s in sections[1:]] == [1, 1, 2, 2, 1, 3, 1, 1, 2, 4]
    assert [(p["line_start"], p["text"]) for p in paragraphs] == [
        (3, "为规范社区服务,制定本办法。"),
        (4, "本办法适用于本街道辖区。"),
        (7, "街道应当完善养老服务体系。"),
        (11, "街道每年开展为老服务评估。"),
    ]


def _line_of(sections: list[dict], section_id: str) -> int:
    return next(s["line_start"] for s in sections if s["section_id"] == section_id)


def test_a_plan_with_chapters_only_shifts_its_outline_one_level_down() -> None:
    _, sections, _ = _segment("第一章 发展基础\n一、主要成绩\n(一)党建引领\n第二章 总体要求\n一、指导思想")
    assert [(s["marker"], s["level"]) for s in sections] == [
        ("第一章", 1), ("一、", 2), ("(一)", 3), ("第二章", 1), ("一、", 2)
    ]  # fmt: skip


def test_a_report_in_parts_nests_its_outline_under_each_part() -> None:
    text = "第一部分 2023年工作回顾\n一、经济发展\n(一)招商引资\n第二部分 2024年工作安排\n一、民生保障"
    _, sections, _ = _segment(text)
    assert [(s["marker"], s["title"], s["level"]) for s in sections] == [
        ("第一部分", "2023年工作回顾", 1),
        ("一、", "经济发展", 2),
        ("(一)", "招商引资", 3),
        ("第二部分", "2024年工作安排", 1),
        ("一、", "民生保障", 2),
    ]
    parents = {s["section_id"]: s["marker"] for s in sections}
    assert [parents.get(s["parent_id"]) for s in sections] == [None, "第一部分", "一、", None, "第二部分"]


def test_tables_of_contents_and_page_numbers_are_not_sections() -> None:
    text = """目 录
第一章 总则 -1-
第二章 服务管理 - 3 -
一、建设社区食堂……………5
二、完善为老服务·········12
第一章 总则
街道统筹推进社区服务。
- 2 -
第二章 服务管理
一、建设社区食堂"""
    regions, sections, paragraphs = _segment(text)
    kinds = {r.line_start: r.kind for r in regions}
    assert [kinds[n] for n in range(1, 6)] == ["toc"] * 5
    assert kinds[8] == "footer"
    assert [(s["marker"], s["line_start"]) for s in sections] == [("第一章", 6), ("第二章", 9), ("一、", 10)]
    assert [p["text"] for p in paragraphs] == ["街道统筹推进社区服务。"]


def test_a_title_block_is_split_into_title_and_metadata() -> None:
    notice = """中共新华路街道工作委员会
新华路街道办事处
关于印发《新华路街道2024年工作要点》的通知
新街委〔2024〕3号
各居民区、各科室:
现将《新华路街道2024年工作要点》印发给你们,请认真贯彻落实。
新华路街道办事处
2024年2月1日"""
    regions, sections, _ = _segment(notice)
    assert [(r.line_start, r.kind) for r in regions] == [
        (1, "metadata"),
        (2, "metadata"),
        (3, "title"),
        (4, "metadata"),
        (5, "paragraph"),
        (6, "paragraph"),
        (7, "metadata"),
        (8, "metadata"),
    ]
    assert [s["title"] for s in sections] == ["关于印发《新华路街道2024年工作要点》的通知"]
    speech = """凝心聚力 奋发有为 全力推动街道高质量发展
——在2024年街道工作会议上的讲话
街道党工委书记 张三
(2024年1月10日)
二〇二四年一月十日
同志们:"""
    regions, sections, _ = _segment(speech)
    assert [r.kind for r in regions] == ["title", "metadata", "metadata", "metadata", "metadata", "paragraph"]
    assert [s["title"] for s in sections] == ["凝心聚力 奋发有为 全力推动街道高质量发展"]


def test_a_title_split_over_two_lines_is_still_one_title() -> None:
    _, sections, _ = _segment("新华路街道\n2024年工作要点\n一、总体思路")
    assert [s["title"] for s in sections] == ["新华路街道2024年工作要点", "总体思路"]


WEB_PAGE = """首页 > 政务公开 > 规划计划
当前位置:首页 » 信息公开
【字体:大 中 小】 【打印本页】 【关闭窗口】
分享到:微信 微博
虹梅路街道2025年工作计划
发布时间:2025-01-15 来源:虹梅路街道办事处 浏览次数:1234
一、基本情况
街道常住人口约7.4万人。
打印本页 关闭窗口
上一篇:虹梅路街道2024年工作总结
下一篇:虹梅路街道开展垃圾分类宣传
扫一扫在手机打开当前页
网站地图 | 联系我们
主办单位:上海市徐汇区虹梅路街道办事处
版权所有 © 2025 上海市徐汇区人民政府
沪ICP备12345678号-1 沪公网安备31010402000000号
网站标识码3101040001"""


def test_web_chrome_never_reaches_paragraphs_or_sections() -> None:
    regions, sections, paragraphs = _segment(WEB_PAGE)
    assert [p["text"] for p in paragraphs] == ["街道常住人口约7.4万人。"]
    assert [s["title"] for s in sections] == ["虹梅路街道2025年工作计划", "基本情况"]
    kinds = {r.line_start: r.kind for r in regions}
    assert {n for n, k in kinds.items() if k == "web_chrome"} == {1, 2, 3, 4, 9, 10, 11, 12, 13}
    assert {n for n, k in kinds.items() if k == "footer"} == {14, 15, 16, 17}
    assert kinds[6] == "metadata"


ADVERSARIAL = ["." * 30000, "…" * 30000, "·" * 30000, "-" * 30000, "1" * 30000, "首页 >" * 5000,
               "——在" * 10000, "【打印】" * 7500, "委员会" * 10000, "a " * 15000, "." * 29999 + "x"]  # fmt: skip


@pytest.mark.parametrize("line", ADVERSARIAL, ids=lambda s: f"{s[:4]}x{len(s)}")
def test_boilerplate_patterns_are_linear_time(line: str) -> None:
    started = time.perf_counter()
    for pattern, _ in load_boilerplate():
        pattern.search(line)
    assert time.perf_counter() - started < 0.5


def _plain_document(n_lines: int) -> Document:
    return Document(
        doc_id="many",
        source="many.txt",
        title="t",
        street="s",
        street_en="s",
        district="d",
        district_en="d",
        doc_type="work_plan",
        year_start=2024,
        year_end=2024,
        line_start=1,
        line_end=n_lines,
        parts=(Part(1, n_lines, "plan"),),
    )


def _span_end_by_definition(heads: list, doc: Document) -> list[int]:
    """The section-span rule written out: the line before the next heading of the same or a higher rank."""
    ends = []
    for i, region in enumerate(heads):
        after = heads[i + 1 :]
        close = next((h for h in after if region.kind == "title" or h.kind == "title" or h.level <= region.level), None)
        ends.append(close.line_start - 1 if close else doc.line_end)
    return ends


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.just("title"), st.integers(min_value=1, max_value=5)), min_size=1, max_size=40))
def test_section_spans_follow_the_rule(kinds: list) -> None:
    from streetlib.structure import Region, _span_ends

    doc = _plain_document(2 * len(kinds) + 3)
    heads = [
        Region("many", "title", 2 * i + 1, 2 * i + 1, "t")
        if k == "title"
        else Region("many", "heading", 2 * i + 1, 2 * i + 1, "h", k)
        for i, k in enumerate(kinds)
    ]
    ends = _span_ends(heads, doc)
    assert [ends[id(h)] for h in heads] == _span_end_by_definition(heads, doc)


def test_sections_of_a_document_with_many_headings_take_linear_time() -> None:
    # 20 000 chapters each with one subsection: a pairwise scan makes 2 * 10^8 comparisons (minutes)
    lines = []
    for n in range(1, 10_001):
        lines += [f"第{n}章 总则", "(一)目标", "推进工作。"]
    doc = _plain_document(len(lines))
    regions = segment_document(doc, lines, load_boilerplate())
    start = time.perf_counter()
    sections, _, _ = sections_and_paragraphs(doc, regions)
    elapsed = time.perf_counter() - start
    assert len(sections) == 20_000
    assert sections[0]["span_end"] == 3 and sections[1]["span_end"] == 3 and sections[-1]["span_end"] == len(lines)
    assert elapsed < 10, f"{elapsed:.1f} s for 20 000 headings"
