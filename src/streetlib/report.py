"""Research-report tables (``report_tables``), read from the report's ``表N`` titles.

Each ``表N`` title line of a research report is followed by its table, unless
the manifest records that the table sits elsewhere in the source
(``relocated_tables`` of the document: the 长白新村 report's 表1 was extracted
into the annex's misplaced block). Copies of a table elsewhere in the source
are flagged as ``duplicate_table`` and not read again.

The table is kept long: one row per (table row, column) with the cell as found
(``value_raw``, verbatim from the cited line) and parsed (``value``, ``unit``).
Compound cells ``4个/19.5万元`` become a count and an amount; ``面议``, ``——`` and
``不详`` are missing values, never zero. Rows after the last numbered row (the
rent table's 平均租金) are kept with ``is_summary``. A row whose parts do not add
up to its stated total is flagged ``report_table_inconsistent``, not repaired.
"""

from __future__ import annotations

import re

from streetlib.tables import Cell, FoundTable, parse_rows
from streetlib.tasks import header_flags

MISSING = frozenset({"面议", "——", "—", "不详", "-", ""})
NUMBER = re.compile(r"^(?P<value>\d+(?:\.\d+)?)(?P<unit>个|万元|元|m²|%)?$")
COMPOUND = re.compile(r"^(?P<count>\d+)个/(?P<amount>\d+(?:\.\d+)?)万元$")
# column -> (unit of a plain number, English label)
UNITS = {
    "area_m2": "m²",
    "rent_yuan_month": "元/月",
    "rent_per_m2_yuan_month": "元/m²/月",
}
PART_COLUMNS = ("small_projects", "tendered_projects")
TITLE_ID = re.compile(r"^(表\d+)")


def report_tables(
    doc_id: str,
    source: str,
    titles: list[tuple[int, str]],
    relocations: dict[int, tuple[int, int]],
    source_tables: list[FoundTable],
) -> tuple[list[dict], list[dict]]:
    """Long rows of every ``表N`` table of a report, and quality flags."""
    rows, flags, used = [], [], []
    for title_line, title in titles:
        table_id = TITLE_ID.match(title)
        if not table_id:
            continue
        if title_line in relocations:
            start, _ = relocations[title_line]
            found = next((f for f in source_tables if f.table.line_start == start), None)
        else:
            found = next((f for f in source_tables if f.table.line_start > title_line), None)
        if found is None:
            continue
        used.append(found)
        flags += header_flags(doc_id, source, found)
        rows += _long_rows(doc_id, table_id[1], title.split(" ", 1)[-1], found)
        flags += _consistency_flags(doc_id, source, found)
    for f in source_tables:
        for kept in used:
            if f is not kept and _cells(f) == _cells(kept):
                flags.append(
                    {
                        "doc_id": f.doc_id,
                        "source_file": source,
                        "line_start": f.table.line_start,
                        "line_end": f.table.line_end,
                        "kind": "duplicate_table",
                        "found": f.table.header[0].text,
                        "replacement": None,
                        "note": f"byte-identical copy of the table at line {kept.table.line_start}; not read again",
                    }
                )
    return rows, flags


def _cells(found: FoundTable) -> list[str]:
    return [c.text for c in found.table.header + found.table.cells]


def _long_rows(doc_id: str, table_id: str, title: str, found: FoundTable) -> list[dict]:
    table_rows, trailing = parse_rows(found.table, layout=found.layout)
    out = []
    for row in table_rows:
        for column, cell in row.values.items():
            out += _values(doc_id, table_id, title, row.key.text, column, cell, is_summary=False)
    for label, value in zip(trailing[::2], trailing[1::2], strict=False):
        column = found.table.columns[-1]
        out += _values(doc_id, table_id, title, label.text, column, value, is_summary=True)
    return out


def _values(
    doc_id: str, table_id: str, title: str, label: str, column: str, cell: Cell, *, is_summary: bool
) -> list[dict]:
    base = {
        "doc_id": doc_id,
        "table_id": table_id,
        "table_title": title,
        "row_label": label,
        "is_summary": is_summary,
        "line_start": cell.line,
        "line_end": cell.last_line,
    }
    compound = COMPOUND.match(cell.text)
    if compound or (column.endswith("_projects") and cell.text in MISSING and column in PART_COLUMNS):
        stem = column.removesuffix("_projects")
        count = float(compound["count"]) if compound else None
        amount = float(compound["amount"]) if compound else None
        return [
            base | {"column": f"{stem}_count", "value_raw": cell.text, "value": count, "unit": "个"},
            base | {"column": f"{stem}_amount", "value_raw": cell.text, "value": amount, "unit": "万元"},
        ]
    number = NUMBER.match(cell.text)
    if column == "address" or (not number and cell.text not in MISSING):
        return [base | {"column": column, "value_raw": cell.text, "value": None, "unit": None}]
    unit = (number["unit"] if number else None) or UNITS.get(column)
    name = {"total_projects": "total_count", "total_amount": "total_amount"}.get(column, column)
    return [
        base
        | {
            "column": name,
            "value_raw": cell.text,
            "value": float(number["value"]) if number else None,
            "unit": unit,
        }
    ]


def _consistency_flags(doc_id: str, source: str, found: FoundTable) -> list[dict]:
    """Rows whose parts (≤5万 + 公开招标) do not add up to the stated totals."""
    if not set(PART_COLUMNS) <= set(found.table.columns):
        return []
    flags = []
    rows, _ = parse_rows(found.table, layout=found.layout)
    for row in rows:
        parts = [COMPOUND.match(row.values[c].text) for c in PART_COLUMNS]
        total_count = NUMBER.match(row.values["total_projects"].text)
        total_amount = NUMBER.match(row.values["total_amount"].text)
        if not all(parts) or not total_count or not total_amount:
            continue
        count = sum(int(p["count"]) for p in parts)
        amount = round(sum(float(p["amount"]) for p in parts), 2)
        stated = (int(total_count["value"]), float(total_amount["value"]))
        if (count, amount) != stated:
            flags.append(
                {
                    "doc_id": doc_id,
                    "source_file": source,
                    "line_start": row.line_start,
                    "line_end": row.line_end,
                    "kind": "report_table_inconsistent",
                    "found": " | ".join(row.values[c].text for c in (*PART_COLUMNS, "total_projects", "total_amount")),
                    "replacement": None,
                    "note": f"{row.key.text}: parts add up to {count}个/{amount:g}万元, the row states "
                    f"{stated[0]}个/{stated[1]:g}万元; kept as found (the totals imply the 公开招标 cell should read "
                    f"{stated[0] - int(parts[0]['count'])}个/{stated[1] - float(parts[0]['amount']):g}万元)",
                }
            )
    return flags
