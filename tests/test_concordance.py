"""Keyword in context on token boundaries, marking sheets and precision."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import streetlib
from streetlib import concordance as cc
from streetlib import text
from streetlib.coding import CodingSheetError

SENTENCE = "加强消防安全,消防站和消防救援站"


def _units(sentence: str = SENTENCE) -> pd.DataFrame:
    return pd.DataFrame({"doc_id": ["d"], "para_id": ["d:p1"], "line_start": [7], "line_end": [8], "text": [sentence]})


def test_token_match_ignores_a_term_inside_a_longer_token(monkeypatch):
    tokens = ["加强", "消防安全", ",", "消防站", "和", "消防", "救援", "站"]
    monkeypatch.setattr(text, "segment", lambda s, root=None: tokens)
    found = cc.kwic(_units(), ["消防"], match="token", window=3)
    assert list(found["start"]) == [11]  # only the token 消防 of 消防救援站
    row = found.iloc[0]
    assert (row["left"], row["keyword"], row["right"]) == ("防站和", "消防", "救援站")
    assert (row["doc_id"], row["para_id"], row["line_start"], row["line_end"]) == ("d", "d:p1", 7, 8)
    substring = cc.kwic(_units(), ["消防"], match="substring")
    assert list(substring["start"]) == [2, 7, 11]
    assert list(substring["token_match"]) == [False, False, True]


def test_token_match_with_the_project_segmenter():
    # 消防安全 comes out as one token, so the fire station (消防) is not found inside it.
    assert "消防安全" in text.segment("加强消防安全")
    assert cc.kwic(_units("加强消防安全"), ["消防"], match="token").empty


def test_a_term_split_over_tokens_still_matches_on_their_boundaries(monkeypatch):
    monkeypatch.setattr(text, "segment", lambda s, root=None: ["申请", "长护", "险", "服务"])
    found = cc.kwic(_units("申请长护险服务"), ["长护险"], match="token")
    assert list(found["term"]) == ["长护险"]


def test_overlapping_terms_keep_the_longest_and_map_aliases(monkeypatch):
    monkeypatch.setattr(text, "segment", lambda s, root=None: ["城运中心", "和", "城运"])
    found = cc.kwic(_units("城运中心和城运"), {"城运": "城运中心", "城运中心": "城运中心"}, match="substring")
    assert list(found["term"]) == ["城运中心", "城运"]
    assert list(found["entry"]) == ["城运中心", "城运中心"]


def test_lexicon_terms_read_notes_with_commas():
    elderly = cc.lexicon_terms("elderly_terms")
    assert len(elderly) == 16 and elderly["养老"] == "养老" and all(k == v for k, v in elderly.items())
    departments = cc.lexicon_terms("departments", aliases="aliases")
    assert departments["城运"] == "城运中心" and departments["受理中心"] == "社区事务受理服务中心"


def test_sentences_keep_paragraph_provenance():
    paragraphs = _units("第一句。第二句;第三句")
    out = cc.sentences(paragraphs)
    assert list(out["text"]) == ["第一句。", "第二句;", "第三句"]
    assert list(out["sentence"]) == [1, 2, 3] and out["line_start"].eq(7).all()


def test_validation_sample_is_reproducible():
    matches = pd.DataFrame({"term": list("abcdefghij"), "left": "", "keyword": list("abcdefghij"), "right": ""})
    first = cc.validation_sample(matches, 4, seed=2)
    assert first.equals(cc.validation_sample(matches, 4, seed=2))
    assert list(first["sample_id"]) == [1, 2, 3, 4]
    assert len(cc.validation_sample(matches, 50)) == 10


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_marks_round_trip_and_bad_marks(tmp_path, suffix):
    sample = pd.DataFrame({"sample_id": [1, 2, 3, 4], "term": "消防", "left": "-", "keyword": "消防", "right": ""})
    path = cc.write_marking_sheet(sample, tmp_path / f"marks{suffix}", coder="A")
    sheet = pd.read_csv(path, dtype=str) if suffix == ".csv" else pd.read_excel(path, dtype=str)
    sheet["correct"] = ["1", "错", "", "y"]
    sheet.to_csv(path, index=False) if suffix == ".csv" else sheet.to_excel(path, index=False)
    marks = cc.read_marks(path)
    assert marks["correct"].tolist()[:2] == [True, False] and pd.isna(marks["correct"].iloc[2])
    assert marks["left"].iloc[0] == "-"  # escaped as '- in the file, read back as written
    summary = cc.precision(marks).iloc[0]
    assert (summary["marked"], summary["right"], summary["unmarked"]) == (3, 2, 1)
    sheet["correct"] = ["1", "maybe", "", "y"]
    sheet.to_csv(path, index=False) if suffix == ".csv" else sheet.to_excel(path, index=False)
    with pytest.raises(CodingSheetError, match=rf"marks{suffix}:row 3, column correct: unknown mark 'maybe'"):
        cc.read_marks(path)


def test_wilson_interval_known_values():
    low, high = cc.wilson(8, 10)  # Wilson (1927) score interval, z = 1.96: 0.490 – 0.943
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    assert cc.wilson(60, 60)[1] == 1.0 and cc.wilson(0, 5)[0] == 0.0
    assert all(math.isnan(bound) for bound in cc.wilson(0, 0))  # no marks, no interval


def test_the_maintainers_marks_match_the_corpus():
    sentences = cc.sentences(streetlib.load_paragraphs())
    for name in ("elderly_terms", "departments"):
        marks = cc.read_marks(streetlib.config.reviewed_dir() / "coding" / f"concordance_{name}.csv")
        assert marks["correct"].notna().all()
        assert marks["coder"].nunique() == 1 and "one coder" in marks["coder"].iloc[0]
        assert (marks["keyword"] == marks["term"]).all()
        by_para = sentences.groupby("para_id")["text"].agg("".join)
        for row in marks.itertuples():
            context = f"{row.left if isinstance(row.left, str) else ''}{row.keyword}"
            assert context in by_para[row.para_id], (name, row.sample_id)
