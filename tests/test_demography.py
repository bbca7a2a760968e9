"""Age structure for any street, intervals, district comparison, period order and rents.

Expected values are worked by hand (or quoted from the method's paper) before running.
"""

from __future__ import annotations

import pandas as pd
import pytest

from streetlib import concordance, demography, periods, rent


def figure(street, measure, value, *, basis="unstated", as_of="2021-03-01", line=1, doc="doc_a", unit="人"):
    return {
        "street": street,
        "as_of": pd.Timestamp(as_of),
        "basis": basis,
        "measure": measure,
        "value": value,
        "unit": unit,
        "doc_id": doc,
        "line_start": line,
    }


@pytest.fixture
def population() -> pd.DataFrame:
    return pd.DataFrame(
        [
            figure("甲街道", "total", 1000, basis="hukou", line=10),
            figure("甲街道", "age_60_plus", 400, basis="hukou", line=10),
            figure("甲街道", "age_60_plus", 400, line=20),
            figure("甲街道", "age_80_plus", 100, line=20),
            figure("甲街道", "age_100_plus", 2, line=20),
            figure("甲街道", "living_alone", 40, line=20),
            figure("甲街道", "share_age_60_plus", 40.0, basis="hukou", unit="%", line=10),
            # an older date of the same street, and a second street with bigger numbers
            figure("甲街道", "total", 900, basis="hukou", as_of="2019-12-01", line=5),
            figure("甲街道", "age_60_plus", 300, as_of="2019-12-01", line=5),
            figure("乙街道", "total", 52000, basis="hukou", as_of="2024-12-01", doc="doc_b", line=4),
            figure("乙街道", "age_60_plus", 18200, as_of="2024-12-01", doc="doc_b", line=4),
            figure("乙街道", "age_80_plus", 3100, as_of="2024-12-01", doc="doc_b", line=4),
            figure("丙街道", "age_60_plus", 500, doc="doc_c"),  # ages but no total: no shares
        ]
    )


def test_age_structure_uses_one_street_and_its_latest_date(population: pd.DataFrame) -> None:
    bands = demography.age_structure(population, "甲街道")
    assert bands["band"].tolist() == ["<60", "60-79", "80-99", "100+"]
    assert bands["count"].tolist() == [600, 300, 98, 2]
    assert bands["share"].tolist() == pytest.approx([0.6, 0.3, 0.098, 0.002])
    assert set(bands["street"]) == {"甲街道"} and set(bands["as_of"]) == {pd.Timestamp("2021-03-01")}
    assert bands["counts_basis"].iloc[0] == "hukou/unstated"
    assert bands["lines"].iloc[0] == "doc_a:10, doc_a:20"


def test_age_structure_of_a_second_street_is_not_mixed_with_the_first(population: pd.DataFrame) -> None:
    bands = demography.age_structure(population, "乙街道")
    assert bands["count"].tolist() == [33800, 15100, 3100]
    assert bands["share"].round(4).tolist() == [0.65, 0.2904, 0.0596]
    older = demography.age_structure(population, "甲街道", as_of="2019-12-01")
    assert older["count"].tolist() == [600, 300]


def test_age_structure_refuses_what_it_cannot_do(population: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"丙街道: no date .* 户籍 total"):
        demography.age_structure(population, "丙街道")
    with pytest.raises(ValueError, match="states no population counts"):
        demography.age_structure(population, "丁街道")
    conflicting = pd.concat([population, pd.DataFrame([figure("甲街道", "age_80_plus", 120, line=30)])])
    with pytest.raises(ValueError, match=r"80\+ .* different values \[100.0, 120.0\] .*doc_a line 30"):
        demography.age_structure(conflicting, "甲街道")


def test_age_structures_lists_every_street_that_allows_it(population: pd.DataFrame) -> None:
    every = demography.age_structures(population)
    assert sorted(set(every["street"])) == ["乙街道", "甲街道"]
    # a street with an 实有人口 total only is read on that base, and says so
    actual = pd.DataFrame([figure("丙街道", "total", 2000, basis="actual", doc="doc_c")])
    every = demography.age_structures(pd.concat([population, actual]))
    third = every[every["street"] == "丙街道"]
    assert third["base"].unique().tolist() == ["actual"] and third["count"].tolist() == [1500, 500]


def test_difference_interval_reproduces_newcombe() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, method 10, example 56/70 vs 48/80: +0.0524 to +0.3339
    diff, low, high = demography.difference_interval(56, 70, 48, 80)
    assert diff == pytest.approx(0.2)
    assert (low, high) == pytest.approx((0.0524, 0.3339), abs=1e-4)


def test_overlapping_intervals_do_not_mean_no_difference() -> None:
    # 60/100 vs 45/100: separate Wilson intervals overlap, the difference interval excludes 0
    a, b = concordance.wilson(60, 100), concordance.wilson(45, 100)
    assert a[0] < b[1]
    assert demography.difference_interval(60, 100, 45, 100)[1] > 0


def test_poisson_interval_exact() -> None:
    # Garwood limits from tables of the Poisson mean: x=0 -> (0, 3.689), x=11 -> (5.491, 19.68)
    assert demography.poisson_interval(0) == pytest.approx((0.0, 3.6889), abs=1e-4)
    assert demography.poisson_interval(11) == pytest.approx((5.4912, 19.682), abs=1e-3)
    with pytest.raises(ValueError):
        demography.poisson_interval(2.5)


def test_ageing_profile_names_measures_like_the_reference(population: pd.DataFrame) -> None:
    profile = demography.ageing_profile(population, "甲街道").set_index("measure")
    assert profile.loc["share_age_60_plus", "value"] == pytest.approx(40.0)
    assert profile.loc["share_80_plus_of_60_plus", "value"] == pytest.approx(25.0)
    assert profile.loc["share_living_alone_of_60_plus", "value"] == pytest.approx(10.0)
    cent = profile.loc["age_100_plus_per_100k"]
    assert cent["value"] == pytest.approx(200.0)
    # 2 people: exact Poisson (0.2422, 7.2247) per 1000 -> per 100 000
    assert (cent["ci_low"], cent["ci_high"]) == pytest.approx((24.22, 722.47), abs=0.01)
    assert cent["method"] == "exact Poisson"


def test_compare_with_reference_says_untested_without_an_official_figure(population: pd.DataFrame) -> None:
    profile = demography.ageing_profile(population, "甲街道")
    reference = pd.DataFrame(
        [
            {"region": "上海市", "basis": "hukou", "measure": "share_age_60_plus", "value": "36.1",
             "as_of": "2020-12-31", "source": "bulletin 2020"},
            {"region": "上海市", "basis": "hukou", "measure": "share_age_60_plus", "value": "30.0",
             "as_of": "2015-12-31", "source": "bulletin 2015"},
            {"region": "上海市", "basis": "hukou", "measure": "age_100_plus_per_100k", "value": "20.8",
             "as_of": "2020-12-31", "source": "bulletin 2020"},
            {"region": "某区", "basis": "resident", "measure": "share_age_60_plus", "value": "20.0",
             "as_of": "2020-11-01", "source": "census"},
        ]
    )  # fmt: skip
    table = demography.compare_with_reference(profile, reference, ["某区", "上海市"]).set_index(["measure", "region"])
    sixty = table.loc[("share_age_60_plus", "上海市")]
    assert sixty["reference_value"] == 36.1 and sixty["verdict"] == "higher"  # nearest date, 40% with n=1000
    # a census (常住) figure is not a 户籍 reference: the district claim stays untested
    assert table.loc[("share_age_60_plus", "某区"), "verdict"] == "untested"
    assert pd.isna(table.loc[("share_age_60_plus", "某区"), "reference_value"])
    # 2 centenarians in 1000: 200 per 100 000, interval (24.2, 722.5) lies above 20.8
    assert table.loc[("age_100_plus_per_100k", "上海市"), "verdict"] == "higher"
    one = pd.DataFrame([{"measure": "age_100_plus_per_100k", "value": 18.3, "ci_low": 9.1, "ci_high": 32.7,
                         "as_of": pd.Timestamp("2021-03-01")}])  # fmt: skip
    assert demography.compare_with_reference(one, reference, ["上海市"])["verdict"].item() == "not distinguishable"


def test_the_real_district_claim_is_untested_and_the_log_says_what_was_searched() -> None:
    import streetlib

    profile = demography.ageing_profile(streetlib.load_population(), "长白新村街道")
    table = demography.compare_with_reference(profile, streetlib.load_reference_population(), ["杨浦区"])
    assert set(table["verdict"]) == {"untested"}
    log = demography.search_log()
    assert {"query", "corpus", "result"} <= set(log.columns) and len(log) >= 5


@pytest.mark.parametrize(
    ("labels", "years_first", "expected"),
    [
        (["2022Q1", "2021", "2021Q4", "2022", "2021Q3"], False, ["2021", "2021Q3", "2021Q4", "2022", "2022Q1"]),
        (["2022Q1", "2021", "2021Q4", "2022", "2021Q3"], True, ["2021", "2022", "2021Q3", "2021Q4", "2022Q1"]),
        (["2023Q1", "2022Q4", "2022Q4"], False, ["2022Q4", "2023Q1"]),
    ],
)
def test_order_periods(labels: list[str], years_first: bool, expected: list[str]) -> None:
    assert periods.order_periods(labels, years_first=years_first) == expected


def test_period_labels_round_trip_and_bad_labels_are_refused() -> None:
    assert periods.period_label(2021, 3) == "2021Q3" and periods.period_label(2022) == "2022"
    with pytest.raises(ValueError, match="'2021年三季度'"):
        periods.period_key("2021年三季度")


def rent_table(rows: list[tuple[str, float, float | None, float | None]], stated: float | None = None) -> pd.DataFrame:
    cells = []
    for i, (address, area, rent_month, rate) in enumerate(rows, start=1):
        for column, raw, value in [
            ("address", address, None),
            ("area_m2", str(area), area),
            ("rent_yuan_month", "面议" if rent_month is None else str(rent_month), rent_month),
            ("rent_per_m2_yuan_month", "——" if rate is None else str(rate), rate),
        ]:
            cells.append(
                {"doc_id": "r", "table_id": "表1", "row_label": str(i), "column": column, "value_raw": raw,
                 "value": value, "is_summary": False, "line_start": 100 + 5 * i, "line_end": 100 + 5 * i}
            )  # fmt: skip
    if stated is not None:
        cells.append(
            {"doc_id": "r", "table_id": "表1", "row_label": "平均", "column": "rent_per_m2_yuan_month",
             "value_raw": str(stated), "value": stated, "is_summary": True, "line_start": 200, "line_end": 200}
        )  # fmt: skip
    return pd.DataFrame(cells)


def test_rent_by_address_plain_and_weighted() -> None:
    table = rent_table(
        [("A路", 100, 10000, 100.0), ("B路", 20, 8000, 400.0), ("A路", 50, 10000, 200.0), ("A路", 300, None, None)],
        stated=233.33,
    )
    by = rent.rent_by_address(table, "表1")
    assert by.index.tolist() == ["A路", "B路"]
    assert by.loc["A路", "shops"] == 3 and by.loc["A路", "priced"] == 2
    assert by.loc["A路", "mean_rate"] == pytest.approx(150.0)  # (100 + 200) / 2
    assert by.loc["A路", "weighted_rate"] == pytest.approx(20000 / 150)  # 133.33
    assert by.loc["A路", "lines"] == "105-120"
    summary = rent.rent_summary(table, "表1")
    assert summary["plain_mean"] == pytest.approx(700 / 3)
    assert summary["area_weighted"] == pytest.approx(28000 / 170)
    assert summary["stated_average"] == 233.33 and summary["priced"] == 3 and summary["shops"] == 4


def test_rent_table_missing_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no rows of rent table 表9"):
        rent.rent_by_address(rent_table([("A路", 1, 1, 1.0)]), "表9")


def test_mention_shares_counts_paragraphs_and_documents() -> None:
    paragraphs = pd.DataFrame(
        {
            "street": ["甲", "甲", "甲", "甲", "乙"],
            "doc_id": ["d1", "d1", "d2", "d2", "d3"],
            "text": ["养老服务", "党建引领", "为老助餐", "安全", "消防"],
        }
    )
    table = demography.mention_shares(paragraphs, ["养老", "为老"], by="street")
    assert table.loc["甲", ["documents", "paragraphs", "mentioning"]].tolist() == [2, 4, 2]
    assert table.loc["甲", "share"] == 0.5
    assert (table.loc["乙", "ci_low"], table.loc["乙", "ci_high"]) == pytest.approx((0.0, 0.79346), abs=1e-5)


def test_pairwise_differences_reads_the_difference_interval() -> None:
    shares = pd.DataFrame({"doc": ["x", "y", "z"], "share": [0.6, 0.45, 0.5], "n_eff": [100, 100, 100]})
    table = demography.pairwise_differences(shares, label="doc")
    assert list(zip(table["a"], table["b"], strict=True)) == [("x", "y"), ("x", "z"), ("y", "z")]
    first = table.iloc[0]
    assert first["difference"] == pytest.approx(0.15)
    # the 60/100 vs 45/100 case above: overlapping own intervals, difference interval above 0
    assert bool(first["excludes_zero"]) and first["ci_low"] > 0
    assert not table.iloc[1]["excludes_zero"] and not table.iloc[2]["excludes_zero"]
