"""Text reuse: alignment, formulaic filter, direction, shares, scoring against hand-judged pairs.

Expected values are worked out by hand from the small texts below; the tests on the real corpus
check invariants (a span is verbatim in both paragraphs, shares are fractions, runs repeat).
"""

from __future__ import annotations

import pandas as pd
import pytest

import streetlib
from streetlib import reuse
from streetlib.errors import StreetlibError

COMMON = "全面推进业委会规范化运作评价工作"  # 16 characters


def test_align_finds_the_copied_clause():
    a = f"一是{COMMON}。"
    b = f"我们要{COMMON},确保落实。"
    assert reuse.align(a, b) == [(2, 18, 3, 19, 16)]


def test_align_joins_a_small_edit():
    a = "挂牌成立我区首家社区健康师工作站配备12套健康设备"
    b = "挂牌成立杨浦区首家社区健康师工作站配备12套健康设备"
    # blocks 挂牌成立 (4) and 区首家…健康设备 (20) around 我 / 杨浦: one span over both texts (25 and 26 long)
    assert reuse.align(a, b) == [(0, 25, 0, 26, 24)]


def test_align_ignores_short_common_text():
    assert reuse.align("这是社区养老服务的内容", "他说社区养老服务很好") == []


def test_formulas_and_cited_titles_do_not_count():
    phrases = reuse.formulaic_phrases()
    assert reuse.without_formulas("以习近平新时代中国特色社会主义思想为指导,", phrases) == ""
    assert reuse.without_formulas("根据《安康和美·活力长白行动计划(2021-2023年)》要求", phrases) == "根据要求"
    assert reuse.without_formulas("《安康和美·活力长白行动计划(2021-2023", phrases) == ""  # cut at the span's edge
    assert reuse.without_formulas(COMMON, phrases) == COMMON


def test_meeting_names_are_formulas_by_pattern():
    phrases = reuse.formulaic_phrases()
    assert reuse.without_formulas("十一届市委十次全会、十届区委十一次全会", phrases) == ""
    assert reuse.without_formulas("党的二十大和二十届三中全会", phrases) == "和"


def test_a_bad_pattern_names_file_and_line(tmp_path):
    (tmp_path / "lexicon").mkdir()
    (tmp_path / "lexicon" / "formulaic_phrases.txt").write_text("# phrases\n人民城市\nre:[unclosed\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"formulaic_phrases.txt, line 3: 're:\[unclosed'"):
        reuse.formulaic_phrases(root=tmp_path)


def test_clauses_join_back():
    text = "一是加强管理,提升服务;二是完善机制。三是"
    assert "".join(c for _, c in reuse.clauses(text)) == text
    assert [o for o, _ in reuse.clauses(text)] == [0, 7, 12, 19]


@pytest.fixture
def corpus() -> tuple[pd.DataFrame, pd.DataFrame]:
    documents = pd.DataFrame(
        {
            "doc_id": ["later", "earlier", "other"],
            "published": pd.to_datetime(["2021-08-31", "2021-04-02", "2021-08-31"]),
            "year_start": [2021, 2020, 2021],
        }
    )
    paragraphs = pd.DataFrame(
        {
            "doc_id": ["earlier", "later", "other", "other"],
            "para_id": ["earlier:p1", "later:p1", "other:p1", "other:p2"],
            "text": [
                f"二是{COMMON},提高居民满意度。",
                f"明年将{COMMON},并加强培训。",
                "以习近平新时代中国特色社会主义思想为指导,做好工作。",
                "完全无关的一段话,讲的是道路交通的整治与停车管理问题。",
            ],
            "line_start": [5, 40, 7, 9],
            "line_end": [5, 41, 7, 9],
        }
    )
    return paragraphs, documents


def test_shared_passages_direction_lines_and_text(corpus):
    paragraphs, documents = corpus
    spans = reuse.shared_passages(paragraphs, documents)
    copied = spans[~spans["formulaic"]]
    assert len(copied) == 1
    row = copied.iloc[0]
    assert (row["source_doc_id"], row["target_doc_id"]) == ("earlier", "later")  # published first
    assert (row["source_line_start"], row["source_line_end"], row["target_line_start"]) == (5, 5, 40)
    assert row["text"].strip(",") == COMMON and row["target_text"].strip(",") == COMMON
    assert row["score"] == 1.0 and not row["same_date"]
    assert list(spans.columns) == reuse.SPAN_COLUMNS


def test_a_formula_shared_is_kept_but_flagged():
    documents = pd.DataFrame(
        {"doc_id": ["x", "y"], "published": pd.to_datetime(["2021-01-01"] * 2), "year_start": 2021}
    )
    formula = "以习近平新时代中国特色社会主义思想为指导,"
    paragraphs = pd.DataFrame(
        {
            "doc_id": ["x", "y"],
            "para_id": ["x:p1", "y:p1"],
            "text": [formula + "加快城市更新。", formula + "做好为老服务。"],
            "line_start": [1, 1],
            "line_end": [1, 1],
        }
    )
    spans = reuse.shared_passages(paragraphs, documents)
    assert len(spans) == 1 and spans["formulaic"].all() and spans["same_date"].all()
    shares = reuse.reuse_shares(spans, paragraphs)
    assert shares["shared_chars"].tolist() == [0, 0]  # formulas are not reuse
    with_formulas = reuse.reuse_shares(spans, paragraphs, include_formulaic=True)
    # the formula, 20 characters, and the comma after it
    assert with_formulas.loc[with_formulas["other_doc_id"] == "(any)", "shared_chars"].tolist() == [21, 21]


def test_shares_by_hand(corpus):
    paragraphs, documents = corpus
    spans = reuse.shared_passages(paragraphs, documents)
    shares = reuse.reuse_shares(spans, paragraphs).set_index(["doc_id", "other_doc_id"])
    span = spans[~spans["formulaic"]].iloc[0]
    n_later = len(paragraphs.loc[1, "text"])
    assert shares.loc[("later", "earlier"), "shared_chars"] == span["target_end"] - span["target_start"]
    assert shares.loc[("later", "earlier"), "n_chars"] == n_later
    assert shares.loc[("later", "(any)"), "share"] == round((span["target_end"] - span["target_start"]) / n_later, 4)
    assert shares.loc[("other", "(any)"), "shared_chars"] == 0  # every document has its (any) row


def test_scores_weight_each_stratum():
    judged = pd.DataFrame(
        {
            "pair": [1, 2, 3, 4],
            "stratum": ["high", "high", "low", "low"],
            "stratum_pairs": [10, 10, 100, 100],
            "para_a": ["a1", "a2", "a3", "a4"],
            "para_b": ["b1", "b2", "b3", "b4"],
            "reused": ["yes", "yes", "no", "yes"],
        }
    )
    spans = pd.DataFrame(
        {
            "source_para_id": ["a1", "b3", "a2"],
            "target_para_id": ["b1", "a3", "b2"],
            "formulaic": [False, False, True],  # a2–b2 only through a formula: not flagged
        }
    )
    pairs, scores = reuse.score_against_judged(spans, judged)
    assert pairs["flagged"].tolist() == [True, False, True, False]
    # weights: high 10/2 = 5 each, low 100/2 = 50 each; tp = 5 (pair 1), fp = 50 (pair 3), fn = 5 + 50 (pairs 2, 4)
    assert scores["precision"] == round(5 / 55, 4)
    assert scores["recall"] == round(5 / 60, 4)
    assert (scores["tp"], scores["fp"], scores["fn"], scores["tn"]) == (1, 1, 2, 0)


@pytest.fixture(scope="module")
def real() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    paragraphs, documents = streetlib.load_paragraphs(), streetlib.load_documents()
    return paragraphs, documents, reuse.shared_passages(paragraphs, documents)


def test_real_spans_are_verbatim_in_both_paragraphs(real):
    paragraphs, _, spans = real
    text = paragraphs.set_index("para_id")["text"]
    assert len(spans) > 0
    for row in spans.itertuples():
        assert text[row.source_para_id][row.source_start : row.source_end] == row.text
        assert text[row.target_para_id][row.target_start : row.target_end] == row.target_text
        assert row.source_doc_id != row.target_doc_id
    assert spans["score"].between(0, 1).all() and (spans["matched"] >= 15).all()


def test_real_shares_are_fractions_and_runs_repeat(real):
    paragraphs, documents, spans = real
    shares = reuse.reuse_shares(spans, paragraphs)
    assert shares["share"].between(0, 1).all()
    assert set(shares.loc[shares["other_doc_id"] == "(any)", "doc_id"]) == set(paragraphs["doc_id"])
    pd.testing.assert_frame_equal(spans, reuse.shared_passages(paragraphs, documents))


def test_judged_sample_was_drawn_by_the_sampling_rule(real):
    """The reviewed pairs are the ones judging_sample draws from today's paragraphs (else: draw and judge anew)."""
    paragraphs = real[0]
    judged = reuse.load_judged_pairs()
    drawn = reuse.judging_sample(paragraphs)
    columns = ["pair", "stratum", "stratum_pairs", "para_a", "para_b"]
    pd.testing.assert_frame_equal(judged[columns], drawn[columns])
    assert set(judged["reused"]) <= {"yes", "no"} and judged["judged_by"].str.contains("one coder").all()


def test_a_bad_judgement_is_a_clear_error(tmp_path):
    (tmp_path / "reviewed").mkdir()
    good = (streetlib.config.reviewed_dir() / "reuse_judged_pairs.csv").read_text(encoding="utf-8")
    bad = good.replace(",no,", ",maybe,", 1)
    (tmp_path / "reviewed" / "reuse_judged_pairs.csv").write_text(bad, encoding="utf-8")
    with pytest.raises(StreetlibError) as caught:
        reuse.load_judged_pairs(root=tmp_path)
    message = str(caught.value)
    assert "reuse_judged_pairs.csv" in message and "reused" in message and "maybe" in message


def test_no_shared_text_gives_an_empty_table_and_zero_shares():
    documents = pd.DataFrame(
        {"doc_id": ["a", "b"], "published": pd.to_datetime(["2021-01-01"] * 2), "year_start": 2021}
    )
    paragraphs = pd.DataFrame(
        {
            "doc_id": ["a", "b"],
            "para_id": ["a:1", "b:1"],
            "text": ["完全不同的第一段文字内容。", "另外一个毫无关系的句子在这里。"],
            "line_start": [1, 1],
            "line_end": [1, 1],
        }
    )
    spans = reuse.shared_passages(paragraphs, documents)
    assert spans.empty and list(spans.columns) == reuse.SPAN_COLUMNS
    shares = reuse.reuse_shares(spans, paragraphs)
    assert shares.values.tolist() == [["a", "(any)", 13, 0, 0.0], ["b", "(any)", 15, 0, 0.0]]
