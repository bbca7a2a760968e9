"""Bilingual figures: every label a figure can show has an English form, or the figure refuses."""

from __future__ import annotations

import inspect
from functools import cache

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from conftest import add_source, document_entry

import streetlib
from streetlib import coverage, labels, plotting
from streetlib.errors import LabelError


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@cache
def figure_labels() -> dict[str, list[str]]:
    """Every Chinese label the library's figures draw from the processed tables."""
    docs = streetlib.load_documents()
    tasks = streetlib.load_tasks()
    figures = streetlib.load_report_figures()
    tables = streetlib.load_report_tables()
    bars = figures[
        figures["figure"].isin([f"图{n}" for n in range(2, 8)])
        & ~figures["key"].str.contains(r"_share$|_total|_implied", regex=True)
    ]
    return {
        "departments": sorted(streetlib.load_task_departments()["department"].unique()),
        "indicator units": sorted(streetlib.load_indicators()["department"].dropna().unique()),
        "categories": sorted(tasks["category_norm"].dropna().unique()),
        "streets": sorted(docs["street"].unique()),
        "districts": sorted(docs["district"].unique()),
        "report bars": sorted(bars["label"].unique()),
        "rent addresses": sorted(tables.loc[tables["column"] == "address", "value_raw"].dropna().unique()),
    }


@pytest.mark.parametrize("kind", sorted(figure_labels()))
def test_every_label_a_figure_can_show_has_an_english_form(kind: str) -> None:
    for label in figure_labels()[kind]:
        english = labels.translate(label, "en")
        assert english and not labels.has_han(english), (label, english)


def test_labels_are_whole_or_composed_from_glossary_terms() -> None:
    assert labels.translate("党建办", "en") == "Party Building Office"
    assert labels.translate("党建办", "zh") == "党建办"
    assert labels.translate("延吉东路(图们路-松花江路)", "en") == "Yanji East Road (Tumen Road-Songhuajiang Road)"
    assert labels.translate("控江路/图们路", "en") == "Kongjiang Road/Tumen Road"
    assert labels.translate("2021Q3", "en") == "2021Q3"


def test_an_unknown_label_names_the_glossary() -> None:
    with pytest.raises(LabelError, match=r"'未知部门'.*glossary\.csv"):
        labels.translate("未知部门", "en")
    with pytest.raises(LabelError, match=r"\['未知'\]"):
        labels.relabel(pd.DataFrame({"未知": [1]}, index=["党建办"]), "en")
    with pytest.raises(ValueError, match="lang"):
        labels.translate("党建办", "fr")


def test_relabel_translates_a_responsibility_matrix() -> None:
    tasks, links = streetlib.load_tasks(), streetlib.load_task_departments()
    matrix = coverage.responsibility_matrix(tasks, links)
    english = labels.relabel(matrix, "en")
    assert "Party Building Office" in english.index and "Party building" in english.columns
    assert not any(labels.has_han(str(x)) for x in [*english.index, *english.columns])
    assert labels.relabel(matrix, "zh") is matrix
    assert english.to_numpy().tolist() == matrix.to_numpy().tolist()


FIGURE_FUNCTIONS = [
    f
    for name, f in inspect.getmembers(plotting, inspect.isfunction)
    if f.__module__ == plotting.__name__ and inspect.signature(f).return_annotation in ("Figure", plotting.Figure)
]


def test_every_figure_function_takes_lang() -> None:
    assert {f.__name__ for f in FIGURE_FUNCTIONS} >= {"bar_chart", "heatmap"}
    for function in FIGURE_FUNCTIONS:
        parameter = inspect.signature(function).parameters.get("lang")
        assert parameter is not None and parameter.default == "zh", function.__name__


def test_english_figures_show_no_chinese() -> None:
    streets = pd.Series({"长白新村街道": 3, "古美路街道": 5})
    fig = plotting.bar_chart(
        streets, title={"zh": "街道", "en": "Streets"}, xlabel={"zh": "数", "en": "Count"}, lang="en"
    )
    texts = plotting.figure_texts(fig)
    assert {"Changbai Xincun Subdistrict", "Gumei Road Subdistrict", "Streets", "Count"} <= set(texts)
    assert not any(labels.has_han(t) for t in texts)
    tasks, links = streetlib.load_tasks(), streetlib.load_task_departments()
    matrix = coverage.responsibility_matrix(tasks, links)
    fig = plotting.heatmap(matrix, title={"zh": "部门", "en": "Departments"}, lang="en")
    assert not any(labels.has_han(t) for t in plotting.figure_texts(fig))


def test_an_english_figure_with_an_untranslated_label_fails(tmp_path) -> None:
    with pytest.raises(LabelError, match="未知路"):
        plotting.bar_chart(pd.Series({"未知路": 1}), title="t", xlabel="x", lang="en")
    with pytest.raises(LabelError, match="只有中文的标题"):
        plotting.bar_chart(pd.Series({"党建办": 1}), title="只有中文的标题", xlabel="x", lang="en")
    fig, ax = plt.subplots()
    ax.set_title("中文标题")
    with pytest.raises(LabelError, match="中文标题"):
        plotting.save_figure(fig, "99_check", lang="en", directory=tmp_path)
    assert not list(tmp_path.iterdir()), "nothing is written for a refused figure"
    plotting.save_figure(fig, "99_check", lang="zh", directory=tmp_path)
    assert len(list(tmp_path.iterdir())) == 2


def test_a_new_street_is_translated_from_its_manifest_entry(data_root) -> None:
    entry = document_entry("hongmei", "hm.txt", (1, 1), [(1, 1, "plan")], street="虹梅路街道", street_en="Hongmei Rd")
    add_source(data_root, "hm.txt", [entry], text="虹梅路街道工作计划\n")
    english = labels.glossary(root=data_root)
    assert english["虹梅路街道"] == "Hongmei Rd" and english["长宁区"] == "Changning District"
    assert "虹梅路街道" not in labels.glossary()
