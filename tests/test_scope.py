"""streetlib.scope: streets an analysis leaves out are named with the reason, never dropped silently."""

from __future__ import annotations

import pandas as pd
import pytest

from streetlib import scope

DOCS = pd.DataFrame(
    {
        "doc_id": ["changbai_plan", "changbai_sap", "gumeilu_plan", "zhenru_plan", "anting_plan"],
        "street": ["长白新村街道", "长白新村街道", "古美路街道", "真如镇街道", "安亭镇"],
    }
)


def test_a_street_with_one_analysed_document_is_covered_and_the_others_are_named_in_order() -> None:
    left = scope.not_analysed(DOCS, ["changbai_sap", "gumeilu_plan"], reason="all paragraphs are duplicates")
    assert list(left.columns) == ["street", "documents", "reason"]
    assert left["street"].tolist() == ["安亭镇", "真如镇街道"]  # sorted by street (code point order)
    assert left["documents"].tolist() == ["anting_plan", "zhenru_plan"]
    assert set(left["reason"]) == {"all paragraphs are duplicates"}


def test_a_street_left_out_lists_all_its_documents() -> None:
    left = scope.not_analysed(DOCS, ["gumeilu_plan"], reason="x")
    assert left.set_index("street").loc["长白新村街道", "documents"] == "changbai_plan;changbai_sap"


def test_nothing_left_out_is_an_empty_table_with_the_columns() -> None:
    left = scope.not_analysed(DOCS, DOCS["doc_id"], reason="x")
    assert left.empty and list(left.columns) == ["street", "documents", "reason"]


def test_an_analysed_document_missing_from_the_documents_table_is_an_error() -> None:
    with pytest.raises(ValueError, match="not_in_the_corpus"):
        scope.not_analysed(DOCS, ["gumeilu_plan", "not_in_the_corpus"], reason="x")


def test_describe_names_every_street_left_out_with_the_reason() -> None:
    line = scope.describe(DOCS, ["changbai_plan", "changbai_sap"], reason="no plan paragraphs")
    assert line == (
        "analysed: 1 of 4 streets (2 documents): 长白新村街道; "
        "not analysed (no plan paragraphs): 古美路街道, 安亭镇, 真如镇街道"
    )
    assert scope.describe(DOCS, DOCS["doc_id"], reason="x") == (
        "analysed: 4 of 4 streets (5 documents): 古美路街道, 安亭镇, 真如镇街道, 长白新村街道; every street analysed"
    )
