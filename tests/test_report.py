"""The research report's figures and checks."""

from __future__ import annotations

import pandas as pd
from conftest import add_source, document_entry

import streetlib
from streetlib import config
from streetlib.build import build
from streetlib.clean import apply_errata, load_errata
from streetlib.manifest import read_corpus
from streetlib.report import implied_total


def test_every_stated_number_is_quoted_verbatim_on_its_line() -> None:
    lines = apply_errata(read_corpus(), load_errata())["changbai_2021-2023_action_plan_bundle.txt"]
    figures = streetlib.load_report_figures()
    stated = figures[figures["kind"] == "stated"]
    assert stated["quote"].notna().all()
    for row in stated.itertuples():
        assert row.quote in lines[row.line_start - 1], row.key
        assert f"{row.value:g}" in row.quote.replace(",", ""), row.key
    assert figures["key"].is_unique


def test_figures_one_to_eight_are_all_there_with_derived_bars() -> None:
    figures = streetlib.load_report_figures()
    assert {f"图{n}" for n in range(1, 9)} <= set(figures["figure"])
    derived = figures[figures["kind"] == "derived"].set_index("key")["value"]
    assert derived["fig2_other"] == 47 - 9 - 9 - 3
    assert derived["fig3_implied_total"] == 453
    assert derived["fig3_other"] == 453 - (75 + 71 + 47 + 33 + 31 + 19 + 31 + 29)
    unlisted = figures[figures["key"].str.endswith("_unlisted")].set_index("figure")["value"].to_dict()
    assert unlisted == {"图4": 18, "图5": 16, "图6": 9, "图7": 1}


def test_implied_total_is_unique_for_the_stated_shares() -> None:
    shares = {75: 16.6, 71: 15.7, 47: 10.4, 33: 7.3, 31: 6.8, 29: 6.4}
    assert implied_total(shares, low=400, high=800) == [453]
    assert implied_total({1: 50.0}, low=1, high=3) == [2]


def test_checks_cover_the_known_inconsistencies() -> None:
    checks = streetlib.load_report_checks()
    failing = set(checks.loc[checks["verdict"] == "does not hold", "claim"])
    assert {c for c in failing if "2020" in c} == {"表2 2020年项目数合计", "表2 2020年金额合计"}
    assert any("群众活动团队" in c for c in failing)
    assert any("军工路以西" in c for c in failing)
    assert any("area-weighted" in c for c in failing)
    mean = checks[checks["claim"].str.contains("mean of the 8")].iloc[0]
    assert mean["verdict"] == "holds" and mean["recomputed"] == 318.36
    flags = streetlib.load_quality_flags()
    assert (flags["kind"] == "report_claim_inconsistent").sum() == len(failing)


def test_every_stated_share_and_total_of_figures_1_3_8_is_checked() -> None:
    figures = streetlib.load_report_figures()
    checks = pd.read_csv(config.reviewed_dir() / "report_checks.csv")
    checked = set(checks["stated_key"])
    for key in figures.loc[figures["key"].str.endswith("_share"), "key"]:
        assert key in checked, key
    for key in ["fig8_area", "fig8_rent", "fig8_mean_rate", "fig8_tumen_rate", "fig8_yanji_rate", "fig1_firms"]:
        assert key in checked


NEW_REPORT = """新华路街道商业调研报告

一、商业分布

在20家餐饮企业中,番禺路(新华路-淮海西路)共有9家。其次是法华镇路(番禺路-定西路)、定西路(延安西路-新华路)各4家。

图1 餐饮类企业街道分布

五金店铺沿街分布较散,本次调研未能逐一统计。

图2 五金类企业街道分布
"""


def test_a_new_report_gets_its_distribution_figures_and_a_flag_for_a_figure_without_numbers(data_root) -> None:
    entry = document_entry(
        "xinhualu_report_2024", "xinhualu_report.txt", (1, 11), [(1, 11, "research")], doc_type="research_report"
    )
    add_source(data_root, "xinhualu_report.txt", [entry], text=NEW_REPORT)
    build(data_root, progress=False)
    figures = streetlib.load_report_figures(root=data_root)
    new = figures[figures["doc_id"] == "xinhualu_report_2024"].set_index("label")
    assert new.loc["番禺路(新华路-淮海西路)", "value"] == 9
    assert new.loc["法华镇路(番禺路-定西路)", "value"] == new.loc["定西路(延安西路-新华路)", "value"] == 4
    assert new.loc["餐饮类企业合计", "value"] == 20 and new.loc["未列出路段", "value"] == 3
    assert (new["line_start"].dropna() == 5).all()
    flags = streetlib.load_quality_flags(root=data_root)
    flagged = flags[(flags["doc_id"] == "xinhualu_report_2024") & (flags["kind"] == "figure_without_numbers")]
    assert flagged["line_start"].tolist() == [11]
    assert "图2" in flagged["note"].iloc[0]
