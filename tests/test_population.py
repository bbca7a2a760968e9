"""Population facts, official reference figures and the demography helpers."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import snapshot

import streetlib
from streetlib import config, demography
from streetlib.build import build
from streetlib.clean import apply_errata, load_errata
from streetlib.errors import BuildError
from streetlib.facts import load_population_patterns, population_facts
from streetlib.manifest import read_corpus

# Every population stock the five sources state (seedmap section 3), written out by hand.
EXPECTED = {
    ("administrative", "all", "total", 71317.0),
    ("administrative", "hukou", "total", 60133.0),
    ("administrative", "foreign", "total", 287.0),
    ("administrative", "migrant", "total", 10897.0),
    ("administrative", "resident", "total", None),
    ("administrative", "hukou", "age_60_plus", 23221.0),
    ("administrative", "unstated", "age_60_plus", 23221.0),
    ("administrative", "unstated", "age_80_plus", 3914.0),
    ("administrative", "unstated", "age_90_plus", 735.0),
    ("administrative", "unstated", "age_100_plus", 11.0),
    ("administrative", "unstated", "living_alone", 1423.0),
    ("administrative", "hukou", "share_age_60_plus", 40.0),
    ("administrative", "unstated", "share_age_60_plus", 39.0),
    ("census", "hukou", "total", 60273.0),
    ("census", "present", "total", 76821.0),
}


def test_every_stated_figure_is_extracted_and_nothing_else() -> None:
    pop = streetlib.load_population()
    got = {(r.collection, r.basis, r.measure, None if pd.isna(r.value) else r.value) for r in pop.itertuples()}
    assert got == EXPECTED
    assert set(pop["street"]) == {"长白新村街道"}


def test_quotes_are_verbatim_on_their_lines() -> None:
    lines = apply_errata(read_corpus(), load_errata())
    docs = streetlib.load_documents().set_index("doc_id")
    for r in streetlib.load_population().itertuples():
        assert r.quote in lines[docs.loc[r.doc_id, "source_file"]][r.line_start - 1], r
        if not pd.isna(r.value):
            assert f"{r.value:g}" in r.quote


def test_blank_figure_is_missing_and_flagged() -> None:
    pop = streetlib.load_population()
    resident = pop[(pop["basis"] == "resident")]
    assert resident["value"].isna().all() and resident["quote"].tolist() == ["常住人口人"]
    flags = streetlib.load_quality_flags()
    assert flags.loc[flags["kind"] == "population_figure_missing", "line_start"].tolist() == [2247]


def test_stated_shares_are_kept_and_recomputed_on_the_hukou_base() -> None:
    shares = streetlib.load_population().query("measure == 'share_age_60_plus'")
    assert sorted(shares["value"]) == [39.0, 40.0]
    assert (shares["recomputed"] == round(100 * 23221 / 60133, 2)).all()
    assert shares.loc[shares["value"] == 40.0, "qualifier"].item() == "将近"


def test_rules_read_another_streets_paragraph() -> None:
    text = (
        "截至2022年12月,辖区总人口为52000人,其中户籍人口45000人,常住人口50100人。"
        "60岁以上老年人15000人,其中80岁以上老年人2000人,独居老人300人,老年人口比例为33%。"
        "全年登记来沪人员800人次。"
    )
    paragraphs = pd.DataFrame(
        [{"doc_id": "d", "para_id": "d:p1", "text": text, "line_start": 3, "line_end": 3, "is_duplicate": False}]
    )
    documents = pd.DataFrame([{"doc_id": "d", "street": "测试街道", "source_file": "f"}])
    rows, flags = population_facts(paragraphs, documents, {"f": ["", "", text]})
    got = {(r["basis"], r["measure"], r["value"]) for r in rows}
    assert got == {
        ("all", "total", 52000.0),
        ("hukou", "total", 45000.0),
        ("resident", "total", 50100.0),
        ("unstated", "age_60_plus", 15000.0),
        ("unstated", "age_80_plus", 2000.0),
        ("unstated", "living_alone", 300.0),
        ("unstated", "share_age_60_plus", 33.0),
    }
    assert {r["as_of"] for r in rows} == {"2022-12-01"} and not flags
    share = next(r for r in rows if r["measure"] == "share_age_60_plus")
    assert share["recomputed"] == round(100 * 15000 / 45000, 2)


def _facts(*texts: str, raw: list[str] | None = None) -> tuple[list[dict], list[dict]]:
    """Run the rules over one paragraph per text (line i + 1), raw lines = ``raw`` or the texts."""
    paragraphs = pd.DataFrame(
        [
            {"doc_id": "d", "para_id": f"d:p{i}", "text": t, "line_start": i, "line_end": i, "is_duplicate": False}
            for i, t in enumerate(texts, start=1)
        ]
    )
    documents = pd.DataFrame([{"doc_id": "d", "street": "测试街道", "source_file": "f"}])
    return population_facts(paragraphs, documents, {"f": raw or list(texts)})


# (sentence, {(basis, measure, value, unit, qualifier)}): how other streets' documents phrase their figures.
PHRASINGS = [
    (
        "全街道实有人口约7.4万人,其中户籍人口4.96万人,来沪人员2.1万余人,境外人员356人。",
        {
            ("actual", "total", 74000.0, "人", "约"),  # 实有人口, as the source names it
            ("hukou", "total", 49600.0, "人", None),
            ("migrant", "total", 21000.0, "人", "余"),
            ("foreign", "total", 356.0, "人", None),
        },
    ),
    (
        "辖区60岁及以上老人2,316人,占比38.6%;80周岁以上老人512人。",
        {
            ("unstated", "age_60_plus", 2316.0, "人", None),
            ("unstated", "share_age_60_plus", 38.6, "%", None),
            ("unstated", "age_80_plus", 512.0, "人", None),
        },
    ),
    (
        "纯老家庭1200户,独居老人300余人,65岁以上老年人口7800人,百岁老人12人。",
        {
            ("unstated", "pure_elderly_households", 1200.0, "户", None),
            ("unstated", "living_alone", 300.0, "人", "余"),
            ("unstated", "age_65_plus", 7800.0, "人", None),
            ("unstated", "age_100_plus", 12.0, "人", None),
        },
    ),
    ("常住人口为5.2万人,老龄化率为35.2%。", {("resident", "total", 52000.0, "人", None),
                                      ("unstated", "share_age_60_plus", 35.2, "%", None)}),
    (
        "户籍人口中,60岁以上老人1.8万人,占户籍人口的百分之三十九。",
        {("hukou", "age_60_plus", 18000.0, "人", None), ("hukou", "share_age_60_plus", 39.0, "%", None)},
    ),
    ("全街道有2316名独居老人,外来人口数量超过2万人。", {("unstated", "living_alone", 2316.0, "人", None),
                                               ("migrant", "total", 20000.0, "人", "超过")}),
    ("辖区老人三千七百人。", {("unstated", "age_60_plus", 3700.0, "人", None)}),
    (
        # "户籍人口…,其中" and "户籍人口中" name the base of the whole sentence, across its ";"
        "街道户籍人口5.47万人,其中60岁及以上老年人2.26万人,占户籍人口的41.3%;80周岁以上高龄老人4,105人,纯老家庭2,870户。",
        {
            ("hukou", "total", 54700.0, "人", None),
            ("hukou", "age_60_plus", 22600.0, "人", None),
            ("hukou", "share_age_60_plus", 41.3, "%", None),
            ("hukou", "age_80_plus", 4105.0, "人", None),
            ("hukou", "pure_elderly_households", 2870.0, "户", None),
        },
    ),
    (
        "户籍人口中,60岁及以上老年人2.03万人;90岁以上老年人893人;高龄老人4620人。",
        {
            ("hukou", "age_60_plus", 20300.0, "人", None),
            ("hukou", "age_90_plus", 893.0, "人", None),
            ("hukou", "age_80_plus", 4620.0, "人", None),
        },
    ),
    ("户籍人口 52000 人,常住人口: 6.1 万人。", {("hukou", "total", 52000.0, "人", None),
                                        ("resident", "total", 61000.0, "人", None)}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), PHRASINGS)
def test_phrasings_of_other_streets(text: str, expected: set) -> None:
    rows, flags = _facts(text)
    assert {(r["basis"], r["measure"], r["value"], r["unit"], r["qualifier"]) for r in rows} == expected
    assert not flags
    for r in rows:
        assert r["quote"] in text and r["line_start"] == 1


def test_full_width_figures_are_quoted_as_written() -> None:
    raw = "２０２１年３月,街道常住人口为５２０００人,其中６０岁以上老人１８，３１２人。"
    cleaned = "2021年3月,街道常住人口为52000人,其中60岁以上老人18,312人。"
    rows, _ = _facts(cleaned, raw=[raw])
    assert [(r["measure"], r["value"], r["quote"], r["as_of"]) for r in rows] == [
        ("total", 52000.0, "常住人口为５２０００人", "2021-03-01"),
        ("age_60_plus", 18312.0, "６０岁以上老人１８，３１２人", "2021-03-01"),
    ]
    assert all(r["quote"] in raw for r in rows)


@pytest.mark.parametrize(
    ("text", "as_of", "collection"),
    [
        ("截至2023年底,户籍人口5000人。", "2023-12-31", "administrative"),
        ("截至2022年末,户籍人口5000人。", "2022-12-31", "administrative"),
        ("截至2022年12月31日,户籍人口5000人。", "2022-12-31", "administrative"),
        ("截至2021年3月,户籍人口5000人。", "2021-03-01", "administrative"),
        ("2021年3月街道开展排摸,户籍人口5000人。", "2021-03-01", "administrative"),
        ("第七次全国人口普查显示,户籍人口5000人。", "2020-11-01", "census"),
        ("户籍人口5000人。", None, "administrative"),
        ("2024年底前完成排摸,户籍人口5000人。", None, "administrative"),  # a deadline, not a reference date
    ],
)
def test_reference_dates(text: str, as_of: str | None, collection: str) -> None:
    rows, _ = _facts(text)
    assert [(r["as_of"], r["collection"]) for r in rows] == [(as_of, collection)]


def test_a_missed_figure_is_flagged_and_a_flow_is_not() -> None:
    missed = "辖区老年群体规模约2.3万人。"  # a population word and a count, but no label the rules know
    flow = "全年服务老人3000人次,登记来沪人员800人。"
    service = "为500名老人提供助餐服务。"  # a number before its label without 有: not read, but shown for review
    rows, flags = _facts(missed, flow, service)
    assert rows == []
    assert [(f["kind"], f["line_start"], f["found"]) for f in flags] == [
        ("population_unparsed", 1, missed),
        ("population_unparsed", 3, service),
    ]
    assert "约2.3万人" in flags[0]["note"] and "population_patterns.csv" in flags[0]["note"]


@pytest.mark.parametrize(
    "text",
    ["1,2" * 10000, "户籍人口1人次," * 3000, "60岁以上老人" * 4000, "有1名老人," * 5000, "老人1人,登记" * 3000],
    ids=lambda t: t[:6],
)
def test_long_paragraphs_take_linear_time(text: str) -> None:
    started = time.perf_counter()
    _facts(text)
    assert time.perf_counter() - started < 2.0


def test_a_bad_pattern_row_names_its_line(tmp_path: Path) -> None:
    lexicon = tmp_path / "lexicon"
    lexicon.mkdir()
    good = (config.PROJECT_ROOT / "data" / "lexicon" / "population_patterns.csv").read_text(encoding="utf-8")
    (lexicon / "population_patterns.csv").write_text(good + "count,常住(人口,resident,total,,\n", encoding="utf-8")
    n = good.count("\n") + 1
    with pytest.raises(BuildError, match=rf"population_patterns.csv:{n}: bad regular expression"):
        load_population_patterns(lexicon)
    (lexicon / "population_patterns.csv").write_text(good + "label,常住人口,resident,total,,\n", encoding="utf-8")
    with pytest.raises(BuildError, match=rf"population_patterns.csv:{n}: kind 'label' is unknown"):
        load_population_patterns(lexicon)


def test_reference_rows_all_carry_a_source() -> None:
    ref = streetlib.load_reference_population()
    assert ref["source"].str.strip().str.len().gt(0).all()
    assert set(ref["basis"]) <= {"hukou", "resident", "unstated"}  # as each source states it
    shanghai_2020 = ref[(ref["region"] == "上海市") & (ref["as_of"] == "2020-12-31")].set_index("measure")["value"]
    assert shanghai_2020["share_age_60_plus"] == 36.1
    assert round(100 * shanghai_2020["age_60_plus"] / shanghai_2020["total"], 1) == 36.1


def test_a_reference_row_without_source_stops_the_build(data_root: Path) -> None:
    build(data_root, progress=False)
    before = snapshot(config.processed_dir(data_root))
    path = data_root / "external" / "reference_population.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.append("杨浦区,district,2020-11-01,resident,share_age_60_plus,30,%,30%,,,B,\n")
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(BuildError, match=r"reference_population.csv:\d+: column 'source' is empty"):
        build(data_root, progress=False)
    assert snapshot(config.processed_dir(data_root)) == before


def test_age_bands_are_disjoint_and_sum_to_the_total() -> None:
    bands = demography.age_bands({60: 30, 80: 10, 100: 1}, 100)
    assert bands["band"].tolist() == ["<60", "60-79", "80-99", "100+"]
    assert bands["count"].tolist() == [70, 20, 9, 1]
    assert bands["share"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="not nested"):
        demography.age_bands({60: 10, 80: 20}, 100)


def test_ageing_indicators() -> None:
    out = demography.ageing_indicators(total=1000, age_60_plus=400, age_80_plus=100, age_100_plus=1, living_alone=40)
    assert out == {
        "ageing_rate_pct": 40.0,
        "oldest_old_share_pct": 25.0,
        "centenarians_per_100k": 100.0,
        "living_alone_rate_pct": 10.0,
    }


def test_mentions_marks_texts_naming_any_term() -> None:
    assert demography.mentions(["老年人", "青年"], ["老年"]).tolist() == [True, False]
    assert isinstance(demography.mentions([], ["x"]), np.ndarray)
