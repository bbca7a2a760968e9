"""The research report's figures and checks."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import add_source, document_entry

import streetlib
from streetlib import config
from streetlib.build import build
from streetlib.clean import apply_errata, load_errata
from streetlib.errors import BuildError
from streetlib.manifest import read_corpus
from streetlib.report import implied_total, run_checks


def test_every_stated_number_is_quoted_verbatim_on_its_line() -> None:
    lines = apply_errata(read_corpus(), load_errata())
    source_of = streetlib.load_documents().set_index("doc_id")["source_file"]
    figures = streetlib.load_report_figures()
    stated = figures[figures["kind"] == "stated"]
    assert stated["quote"].notna().all()
    assert {"changbai_work_summary_2020", "gumeilu_five_year_plan_14th"} <= set(stated["doc_id"])
    for row in stated.itertuples():
        assert row.quote in lines[source_of[row.doc_id]][row.line_start - 1], row.key
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
    assert {c for c in failing if c.startswith("表2")} == {"表2 2020年项目数合计", "表2 2020年金额合计"}
    assert any("群众活动团队" in c for c in failing)
    assert any("军工路以西" in c for c in failing)
    mean = checks[checks["claim"].str.contains("mean of the 8")].iloc[0]
    assert mean["verdict"] == "holds" and mean["recomputed"] == 318.36
    flags = streetlib.load_quality_flags()
    assert (flags["kind"] == "report_claim_inconsistent").sum() == len(failing)
    undecided = checks[checks["verdict"] == "cannot be decided"]
    assert (flags["kind"] == "report_claim_undecided").sum() == len(undecided)


def test_every_stated_share_and_total_of_figures_1_3_8_is_checked() -> None:
    figures = streetlib.load_report_figures()
    checks = pd.read_csv(config.reviewed_dir() / "report_checks.csv")
    checked = set(checks["stated_key"])
    for key in figures.loc[figures["key"].str.endswith("_share"), "key"]:
        # 图3's shares are checked together, through the one total they imply (by construction)
        assert key in checked or key.startswith("fig3_"), key
    assert "implied_fig3_total" in set(checks["formula"])
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


def test_three_verdicts_and_the_undecidable_checks_say_why() -> None:
    checks = streetlib.load_report_checks()
    assert set(checks["verdict"]) == {"holds", "does not hold", "cannot be decided"}
    undecided = checks[checks["verdict"] == "cannot be decided"]
    assert (
        undecided["reason"].notna().all()
        and checks.loc[checks["verdict"] != "cannot be decided", "reason"].isna().all()
    )
    waste = checks[checks["claim"].str.contains("达标率81%")].iloc[0]
    assert waste["verdict"] == "cannot be decided" and "base" in waste["reason"]
    assert round(waste["recomputed"], 1) == 75.6  # 34 / 45, shown although not decisive
    weighted = checks[checks["claim"].str.contains("area-weighted")].iloc[0]
    assert weighted["verdict"] == "cannot be decided" and weighted["recomputed"] == pytest.approx(
        163500 / 575, abs=1e-4
    )


def test_the_seven_figure_3_shares_are_one_check_by_construction() -> None:
    checks = streetlib.load_report_checks()
    fig3 = checks[checks["claim"].str.startswith("图3")]
    assert len(fig3) == 1
    row = fig3.iloc[0]
    assert (row["kind"], row["verdict"], row["stated"], row["recomputed"]) == ("by_construction", "holds", 400, 453)
    assert (checks["kind"] == "by_construction").sum() == 1


# the seven inconsistencies of issue 15, read on the raw lines: words of the claim, doc, lines, other, verdict
SEVEN = [
    ("46个小区", "changbai_research_report_2021", (2405, 2434), None, "does not hold"),
    ("1000余具", "changbai_research_report_2021", (2389, 2434), None, "does not hold"),
    ("7家睦邻中心", "changbai_research_report_2021", (2381, 2396), None, "does not hold"),
    (
        "划线率已超80%",
        "changbai_research_report_2021",
        (2389, 2389),
        ("changbai_work_summary_2020", 25),
        "cannot be decided",
    ),
    ("排摸38轮", "changbai_research_report_2021", (2440, 2440), ("changbai_work_summary_2020", 23), "does not hold"),
    ("250万以上", "gumeilu_five_year_plan_14th", (69, 69), None, "cannot be decided"),
    ("万源城公园", "gumeilu_five_year_plan_14th", (649, 649), None, "does not hold"),
]


@pytest.mark.parametrize(("words", "doc_id", "lines", "other", "verdict"), SEVEN)
def test_the_seven_source_inconsistencies_are_checked_with_their_lines(words, doc_id, lines, other, verdict) -> None:
    checks = streetlib.load_report_checks()
    found = checks[checks["claim"].str.contains(words, regex=False)]
    assert len(found) == 1
    row = found.iloc[0]
    assert (row["doc_id"], row["line_start"], row["line_end"], row["verdict"]) == (doc_id, *lines, verdict)
    if other:
        assert (row["other_doc_id"], row["other_line_start"], row["other_line_end"]) == (other[0], other[1], other[1])
    else:
        assert pd.isna(row["other_doc_id"])


def test_every_check_carries_its_lines() -> None:
    checks = streetlib.load_report_checks()
    assert checks["line_start"].notna().all() and checks["line_end"].notna().all()
    assert (checks["line_start"] <= checks["line_end"]).all()


def write_checks(path, rows: list[str]) -> None:
    header = "doc_id,claim,stated_key,formula,decimals,bound,kind,undecidable_because,note"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def test_a_check_without_a_stated_base_cannot_be_decided(tmp_path) -> None:
    env = {"rate": 81.0, "passed": 34.0, "compounds": 45.0, "a": 7.0, "b": 7.0}
    where = {
        "rate": ("d", 10, 10),
        "passed": ("d", 10, 10),
        "compounds": ("d", 3, 3),
        "a": ("d", 4, 4),
        "b": ("e", 9, 9),
    }
    write_checks(
        tmp_path / "a/report_checks.csv",
        [
            "d,rate on 45,rate,100 * passed / compounds,0,equal,arithmetic,,",
            "d,rate without base,rate,100 * passed / compounds,0,equal,arithmetic,the text names no base,",
            "d,a against b,a,b,0,equal,restatement,,",
            "x,another document's check,a,b,0,equal,restatement,,",
        ],
    )
    rows = run_checks(tmp_path / "a/report_checks.csv", env, where, ["d"])
    assert [r["verdict"] for r in rows] == ["does not hold", "cannot be decided", "holds"]
    assert rows[1]["reason"] == "the text names no base" and rows[0]["reason"] is None
    assert (rows[0]["line_start"], rows[0]["line_end"], rows[0]["other_doc_id"]) == (3, 10, None)
    assert (rows[2]["line_start"], rows[2]["other_doc_id"], rows[2]["other_line_start"]) == (4, "e", 9)


def test_a_check_of_an_unknown_kind_or_three_documents_is_refused(tmp_path) -> None:
    env = {"a": 1.0, "b": 1.0, "c": 1.0}
    where = {"a": ("d", 1, 1), "b": ("e", 2, 2), "c": ("f", 3, 3)}
    write_checks(tmp_path / "kind/report_checks.csv", ["d,x,a,b,0,equal,guess,,"])
    with pytest.raises(BuildError, match=r"kind/report_checks.csv:2: column 'kind': 'guess' is not one of arithmetic"):
        run_checks(tmp_path / "kind/report_checks.csv", env, where, ["d"])
    write_checks(tmp_path / "three/report_checks.csv", ["d,x,a,b + c,0,equal,restatement,,"])
    with pytest.raises(BuildError, match="at most two documents"):
        run_checks(tmp_path / "three/report_checks.csv", env, where, ["d"])


def test_unary_minus_is_arithmetic(tmp_path) -> None:
    env = {"a": 5.0, "b": 2.0}
    where = {"a": ("d", 1, 1), "b": ("d", 2, 2)}
    write_checks(
        tmp_path / "minus/report_checks.csv",
        ["d,minus,a,-b + 7,0,equal,arithmetic,,", "d,plus,a,+a,0,equal,restatement,,"],
    )
    rows = run_checks(tmp_path / "minus/report_checks.csv", env, where, ["d"])
    assert [(r["recomputed"], r["verdict"]) for r in rows] == [(5.0, "holds"), (5.0, "holds")]


@pytest.mark.parametrize(
    ("formula", "words"),
    [
        ("1 +", "not a complete expression"),
        ("1e308 * 10", "no finite value"),
        ("a / (b - 2)", "divides by zero"),
        ("a / 0", "divides by zero"),
        ("True", "not a number"),
        ("a * False", "not a number"),
        ("a ** 2", "not a number"),
        ("abs(a)", "not a number"),
    ],
)
def test_a_bad_formula_is_an_error_naming_file_and_row(tmp_path, formula: str, words: str) -> None:
    env = {"a": 5.0, "b": 2.0}
    where = {"a": ("d", 1, 1), "b": ("d", 2, 2)}
    path = tmp_path / "bad/report_checks.csv"
    write_checks(path, ["d,fine,a,a,0,equal,restatement,,", f'd,bad,a,"{formula}",0,equal,arithmetic,,'])
    with pytest.raises(BuildError) as caught:
        run_checks(path, env, where, ["d"])
    message = str(caught.value)
    assert f"bad/report_checks.csv:3: column 'formula': {formula!r}" in message and words in message


@pytest.mark.parametrize("decimals", ["-1", "1.5", "x", "99"])
def test_a_bad_decimals_is_an_error_naming_file_and_row(tmp_path, decimals: str) -> None:
    path = tmp_path / "dec/report_checks.csv"
    write_checks(path, [f"d,bad,a,a,{decimals},equal,restatement,,"])
    with pytest.raises(BuildError, match=r"dec/report_checks.csv:2: column 'decimals'"):
        run_checks(path, {"a": 1.0}, {"a": ("d", 1, 1)}, ["d"])
