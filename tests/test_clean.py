"""Normalisation of hidden characters: invisible controls removed, look-alike radicals mapped."""

from __future__ import annotations

import pytest

from streetlib.clean import hidden_characters, normalise


@pytest.mark.parametrize(
    ("raw", "clean", "hidden"),
    [
        ("社区\u200b治理", "社区治理", "U+200B"),  # zero-width space
        ("\u202e推进\u202c工作", "推进工作", "U+202E, U+202C"),  # right-to-left override and pop
        ("加强\x00党建", "加强党建", "U+0000"),  # NUL
        ("\ufeff一、总体要求", "一、总体要求", "U+FEFF"),  # a BOM inside the text
        ("\u2f8f动计划", "行动计划", "U+2F8F→行"),  # Kangxi radical 行 from a PDF
        ("\u2ed8色社区", "青色社区", "U+2ED8→青"),  # CJK radicals supplement
        ("\uf900号楼", "豈号楼", "U+F900→豈"),  # compatibility ideograph
        ("面积10万㎡, 占比38.6%", "面积10万㎡, 占比38.6%", ""),  # ㎡ stays (NFKC would make it m2)
        ("①加装电梯 m²", "①加装电梯 m²", ""),  # circled digits and superscripts stay
        ("党建引领 凝心聚力", "党建引领 凝心聚力", ""),  # the visible space is kept
    ],
)
def test_hidden_characters_are_removed_or_mapped_and_named(raw: str, clean: str, hidden: str) -> None:
    assert normalise(raw) == clean
    assert hidden_characters(raw) == hidden


def test_normalise_is_idempotent_on_hidden_characters() -> None:
    raw = "\u200e\u2066长白\u2069新村\u2f8f\x7f"
    assert normalise(normalise(raw)) == normalise(raw) == "长白新村行"
    assert hidden_characters(normalise(raw)) == ""
