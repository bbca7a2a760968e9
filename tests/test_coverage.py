"""Coverage functions on hand-made tables, and their totals against the real ones."""

from __future__ import annotations

import pandas as pd
import pytest

import streetlib
from streetlib import coverage

TASKS = pd.DataFrame(
    {
        "task_id": ["p1", "p2", "a1", "a2", "q1", "q2"],
        "table_no": [1, 1, 2, 2, 3, 3],
        "table_title": ["三年", "三年", "2021", "2021", "2021Q3", "2021Q3"],
        "scope": ["three_year", "three_year", "annual", "annual", "quarterly", "quarterly"],
        "year": [None, None, 2021, 2021, 2021, 2021],
        "quarter": [None, None, None, None, 3, 3],
        "category_norm": ["党建", "民生", "党建", "民生", "党建", "民生"],
        "seq": [1, 2, 1, 2, 1, 2],
        "task": ["加强组织建设", "改善居住环境", "加强组织建设", "完善社区服务", "组织建设加强", "改善居住条件"],
    }
)
LINKS = pd.DataFrame(
    {
        "task_id": ["p1", "p2", "a1", "a1", "a2", "q1", "q2", "q2"],
        "department": ["甲", "乙", "甲", "丙", "乙", "丙", "乙", "甲"],
        "role": ["lead", "lead", "lead", "co", "lead", "lead", "lead", "co"],
    }
)


def test_responsibility_matrix_counts_task_rows() -> None:
    m = coverage.responsibility_matrix(TASKS, LINKS)
    assert m.loc["甲"].to_dict() == {"党建": 2, "民生": 1}
    lead = coverage.responsibility_matrix(TASKS, LINKS, role="lead", scope="annual")
    assert lead.to_dict() == {"党建": {"乙": 0, "甲": 1}, "民生": {"乙": 1, "甲": 0}}
    share = coverage.responsibility_matrix(TASKS, LINKS, share=True)
    assert share.loc["甲", "党建"] == pytest.approx(2 / 3)


def test_timeline_concentration_and_pairs() -> None:
    assert coverage.department_timeline(TASKS, LINKS).to_dict() == {"2021Q3": {"丙": 1, "乙": 1, "甲": 1}}
    conc = coverage.concentration(TASKS, LINKS).set_index("table_no")
    assert conc.loc[2, "top_share"] == 0.5 and conc.loc[2, "herfindahl"] == 0.5
    assert coverage.gini([1, 1, 1]) == pytest.approx(0.0)
    assert coverage.gini([0, 0, 3]) == pytest.approx(2 / 3)
    pairs = coverage.co_responsibility(LINKS)
    assert pairs.values.tolist() == [["丙", "甲", 1], ["乙", "甲", 1]]


def test_follow_through_by_name_then_similarity() -> None:
    matches = coverage.follow_through_matches(TASKS, LINKS, threshold=0.5).set_index(["task_id", "table_no"])
    assert matches.loc[("p1", 2), "match"] == "name"
    assert matches.loc[("p1", 3), "match"] == "similarity"  # 组织建设加强 shares most bigrams
    assert matches.loc[("p2", 2), "match"] == "none"  # 完善社区服务 is another task
    assert matches.loc[("p2", 3), "candidate"] == "改善居住条件"
    assert matches.loc[("p1", 3), "same_departments"] is False  # 甲 led it; 丙 carries the quarterly row
    summary = coverage.follow_through(TASKS, LINKS).set_index("task_id")
    assert summary.loc["p1", ["annual_lists", "quarterly_lists", "matched_by"]].tolist() == [
        1,
        1,
        "name and similarity",
    ]
    assert summary.loc["p2", "matched_by"] == "similarity"
    assert coverage.bigram_cosine("abc", "abc") == pytest.approx(1.0)
    assert coverage.bigram_cosine("ab", "cd") == 0.0


def test_department_mentions_match_longest_alias_once() -> None:
    deps = pd.DataFrame({"department": ["城管中队", "党建办"], "aliases": ["城管;城管执法中队", None]})
    paragraphs = pd.DataFrame({"street": ["s", "s", "t"], "text": ["城管执法中队和城管", "党建办", "无"]})
    out = coverage.department_mentions(paragraphs, deps)
    assert out.to_dict() == {"s": {"党建办": 1, "城管中队": 2}}


def test_matrix_totals_equal_the_tables() -> None:
    tasks, links = streetlib.load_tasks(), streetlib.load_task_departments()
    assert coverage.responsibility_matrix(tasks, links).to_numpy().sum() == len(links)
    lead = coverage.responsibility_matrix(tasks, links, role="lead", scope="quarterly")
    merged = links.merge(tasks, on="task_id")
    assert lead.to_numpy().sum() == ((merged["role"] == "lead") & (merged["scope"] == "quarterly")).sum()
    assert coverage.department_timeline(tasks, links).to_numpy().sum() == (merged["scope"] == "quarterly").sum()
    follow = coverage.follow_through(tasks, links)
    assert len(follow) == 18 and follow["matched_by"].notna().all()
    assert (follow["annual_lists"] >= 1).all()
