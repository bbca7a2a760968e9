"""``streetlib export``: the processed tables for colleagues who use Excel or plain CSV.

The workbook holds one sheet per table, a ``data_dictionary`` sheet (table,
column, type, meaning: from the same schemas the loaders use) and a ``sources``
sheet (the raw sources with publisher and date, and the official reference
figures' sources). Chinese text is stored as text, so Excel shows it intact;
CSV files are written as UTF-8 with a byte-order mark, which Excel needs to
detect UTF-8.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from streetlib.datasets import SCHEMAS, load, table_names
from streetlib.manifest import load_manifest

DICTIONARY_SHEET = "data_dictionary"
SOURCES_SHEET = "sources"


def data_dictionary() -> pd.DataFrame:
    rows = []
    for name in table_names():
        for column in SCHEMAS[name]:
            kind = "category: " + ", ".join(column.dtype) if isinstance(column.dtype, tuple) else column.dtype
            rows.append({"table": name, "column": column.name, "type": kind, "meaning": column.description})
    return pd.DataFrame(rows)


def sources(*, root: Path | None = None) -> pd.DataFrame:
    """Citations: every raw source, and every official source behind reference_population."""
    manifest = load_manifest(None if root is None else root / "raw")
    raw = pd.DataFrame(
        [
            {
                "kind": "document source",
                "source": s.file,
                "publisher": s.publisher,
                "published": s.published.isoformat(),
                "where": s.published_in,
                "url": s.url,
            }
            for s in manifest.sources
        ]
    )
    reference = load("reference_population", root=root)[["source", "url", "tier"]].drop_duplicates()
    official = pd.DataFrame(
        {
            "kind": "official statistics (tier " + reference["tier"] + ")",
            "source": reference["source"],
            "publisher": reference["source"],
            "published": "",
            "where": "",
            "url": reference["url"].fillna(""),
        }
    )
    return pd.concat([raw, official], ignore_index=True)


def export_xlsx(path: Path, *, root: Path | None = None) -> Path:
    """Write every processed table, the data dictionary and the sources to one workbook."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name in table_names():
            _for_excel(load(name, root=root)).to_excel(writer, sheet_name=name, index=False)
        data_dictionary().to_excel(writer, sheet_name=DICTIONARY_SHEET, index=False)
        sources(root=root).to_excel(writer, sheet_name=SOURCES_SHEET, index=False)
    return path


def export_csv(folder: Path, *, root: Path | None = None) -> list[Path]:
    """Write every table, the data dictionary and the sources as UTF-8 (with BOM) CSV files."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = {name: load(name, root=root) for name in table_names()}
    frames |= {DICTIONARY_SHEET: data_dictionary(), SOURCES_SHEET: sources(root=root)}
    paths = []
    for name, frame in frames.items():
        target = folder / f"{name}.csv"
        frame.to_csv(target, index=False, encoding="utf-8-sig", lineterminator="\n")
        paths.append(target)
    return paths


def _for_excel(frame: pd.DataFrame) -> pd.DataFrame:
    """Plain object columns: Excel has no categorical or nullable types."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype("string")
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out.astype(object).where(out.notna(), None)
