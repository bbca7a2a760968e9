"""Population facts, official reference figures and the demography helpers."""

from __future__ import annotations

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
from streetlib.facts import population_facts
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
    with pytest.raises(BuildError, match=r"reference_population.csv:\d+: row has no source"):
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


def test_attention_share_known_answer_and_seeded_interval() -> None:
    paragraphs = pd.DataFrame(
        {"street": ["a"] * 4 + ["b"] * 2, "text": ["养老服务", "道路", "为老助餐", "绿化", "党建", "治理"]}
    )
    first = demography.attention_share(paragraphs, ["养老", "为老"], by="street", n_boot=500, seed=1)
    assert first.loc["a", ["paragraphs", "mentioning", "share"]].tolist() == [4, 2, 0.5]
    assert first.loc["b", ["share", "ci_low", "ci_high"]].tolist() == [0.0, 0.0, 0.0]
    assert 0.0 <= first.loc["a", "ci_low"] <= 0.5 <= first.loc["a", "ci_high"] <= 1.0
    again = demography.attention_share(paragraphs, ["养老", "为老"], by="street", n_boot=500, seed=1)
    pd.testing.assert_frame_equal(first, again)
    assert demography.mentions(["老年人", "青年"], ["老年"]).tolist() == [True, False]
    assert isinstance(demography.mentions([], ["x"]), np.ndarray)
