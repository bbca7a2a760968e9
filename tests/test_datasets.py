"""Loaders: names, dtypes, documented columns, helpful errors."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import record_table

import streetlib
from streetlib import datasets
from streetlib.errors import DataNotBuiltError, StreetlibError

LOADERS = {name: getattr(streetlib, f"load_{name}") for name in datasets.table_names()}


def documented_columns(func) -> list[str]:
    """Column names listed in a loader's numpydoc 'Columns' table."""
    table = func.__doc__.split("Columns\n    -------\n", 1)[1]
    rows = [line.strip() for line in table.splitlines() if line.strip() and not line.strip().startswith("=")]
    return [row.split()[0] for row in rows[1:]]


def test_unknown_table_lists_valid_names() -> None:
    with pytest.raises(StreetlibError) as caught:
        streetlib.load("document")
    for name in datasets.table_names():
        assert name in str(caught.value)


def test_unbuilt_data_root_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DataNotBuiltError, match=r"streetlib --data \S+ build"):
        streetlib.load_documents(root=tmp_path)


@pytest.mark.parametrize("name", datasets.table_names())
def test_documented_columns_are_the_csv_columns(name: str) -> None:
    header = datasets.table_path(name).read_text(encoding="utf-8").split("\n", 1)[0].split(",")
    assert documented_columns(LOADERS[name]) == header


@pytest.mark.parametrize("name", datasets.table_names())
def test_load_by_name_equals_named_loader(name: str) -> None:
    pd.testing.assert_frame_equal(streetlib.load(name), LOADERS[name]())


def test_documents_dtypes_are_restored() -> None:
    docs = streetlib.load_documents()
    assert isinstance(docs["doc_type"].dtype, pd.CategoricalDtype)
    assert docs["doc_type"].cat.ordered
    assert list(docs["doc_type"].cat.categories) == list(streetlib.manifest.DOC_TYPES)
    assert pd.api.types.is_datetime64_any_dtype(docs["published"])
    assert str(docs["line_start"].dtype) == "Int64"
    assert docs["doc_type"].notna().all(), "a doc_type outside the category order was lost"


def test_stale_columns_are_refused(built_root: Path) -> None:
    path = datasets.table_path("documents", root=built_root)
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^doc_id,", "id,", text), encoding="utf-8")
    record_table(built_root, "documents")
    with pytest.raises(DataNotBuiltError, match="differ from the schema"):
        streetlib.load_documents(root=built_root)


def test_streetlib_data_overrides_the_root(built_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = datasets.table_path("documents", root=built_root)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:3]), encoding="utf-8")
    record_table(built_root, "documents")
    monkeypatch.setenv("STREETLIB_DATA", str(built_root))
    assert len(streetlib.load_documents()) == 2
