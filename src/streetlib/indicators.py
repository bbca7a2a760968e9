"""Indicator tables (``indicators``), such as the 古美路 十四五 outline's 主要指标 table.

An indicator table is a table whose header has an indicator column (指标,
指标名称) and a target or baseline column (目标值, 基期值, 现状值, 2020年 …), as the
header lexicon ``data/lexicon/table_headers.csv`` maps them. Each row keeps the
indicator name as found and adds its unit (the bracket at the end of the name:
``(%)``, ``(个)``, ``(亿元)``, else a 单位 column; an empty bracket is a missing
unit), the attribute in English (约束性 → binding, 预期性 → expected; anything
else is kept raw and flagged), the responsible unit resolved through the
departments lexicon (an unknown one is kept raw and flagged), the baseline
as found and parsed, and the target both as found and parsed into value, unit
and comparator:

==============  =====  ======  ==========
target_raw      value  unit    comparator
==============  =====  ======  ==========
``100%``        100    %       =
``90%以上``     90     %       >=
``不少于2``     2      (name)  >=
``28.5亿元``    28.5   亿元    =
``6000``        6000   (name)  =
==============  =====  ======  ==========
"""

from __future__ import annotations

import re
from decimal import Decimal

from streetlib.datasets import quality_flag
from streetlib.numbers import MULTIPLIERS, parse_number
from streetlib.stage import DocumentContext, StageResult
from streetlib.tables import FoundTable, parse_complete_rows
from streetlib.tasks import header_flags

ATTRIBUTES = {"约束性": "binding", "预期性": "expected"}
NAME_UNIT = re.compile(r"\s*\(([^()]*)\)\s*$")
WRITTEN_MULTIPLIER = re.compile("万亿|亿|万")  # kept in the unit as written
LEAD_WORDS = ("达到",)  # a target phrased as 达到95%: a plain target


def parse_target(raw: str) -> tuple[float | None, str | None, str | None]:
    """``(value, unit, comparator)`` of a target or baseline; ``(None, None, None)`` if unparsable.

    Read by :func:`streetlib.numbers.parse_number`, but the value stays in the unit as
    written (``28.5亿元`` is 28.5 in 亿元), so that it reads like the document.
    """
    text = raw.replace(" ", "")
    number = parse_number(next((text[len(w) :] for w in LEAD_WORDS if text.startswith(w)), text))
    if number is None:
        return None, None, None
    written = WRITTEN_MULTIPLIER.search(number.text)
    if written and any(ch.isdigit() for ch in number.text):
        value = float(Decimal(str(number.value)) / MULTIPLIERS[written[0]])
        return value, written[0] + (number.unit or ""), number.comparator
    return number.value, number.unit, number.comparator


def indicator_rows(
    doc_id: str, source: str, found: list[FoundTable], departments: dict[str, str]
) -> tuple[list[dict], list[dict]]:
    """Rows of ``indicators`` and quality flags for one document's indicator tables."""
    rows_out, flags = [], []
    for f in found:
        if f.kind != "indicator":
            continue
        if not f.table.cells:
            flags.append(
                quality_flag(
                    doc_id,
                    source,
                    f.table.line_start,
                    f.table.line_end,
                    "table_without_rows",
                    " | ".join(c.text for c in f.table.header)[:60],
                    "a task or indicator table header with no rows after it; check the table",
                )
            )
            continue
        flags += header_flags(doc_id, source, f)
        for number, row in enumerate(parse_complete_rows(f.table, layout=f.layout), start=1):
            name = row.values["indicator"].text
            unit_match = NAME_UNIT.search(name)
            unit = unit_match[1] if unit_match and unit_match[1] else None
            if unit_match and not unit_match[1]:
                flags.append(_flag(doc_id, source, row.values["indicator"], "indicator_unit_missing", name))
            unit = unit or _text(row.values.get("unit"))
            attribute_raw = _text(row.values.get("attribute"))
            if attribute_raw is not None and attribute_raw not in ATTRIBUTES:
                flags.append(
                    _flag(doc_id, source, row.values["attribute"], "indicator_attribute_unknown", attribute_raw)
                )
            unit_cell = row.values.get("responsible") or row.values.get("lead")
            department_raw = _text(unit_cell)
            if department_raw is not None and department_raw not in departments:
                flags.append(_flag(doc_id, source, unit_cell, "department_unknown", department_raw))
            target_raw = _text(row.values.get("target"))
            value, target_unit, comparator = parse_target(target_raw) if target_raw else (None, None, None)
            if target_raw and value is None:
                flags.append(_flag(doc_id, source, row.values["target"], "indicator_target_unparsed", target_raw))
            baseline_raw = _text(row.values.get("baseline"))
            baseline_value = parse_target(baseline_raw)[0] if baseline_raw else None
            if baseline_raw and baseline_value is None:
                flags.append(_flag(doc_id, source, row.values["baseline"], "indicator_baseline_unparsed", baseline_raw))
            rows_out.append(
                {
                    "doc_id": doc_id,
                    "category": row.category.text if row.category else None,
                    "seq": int(row.key.text) if row.key.text.isdigit() else number,
                    "indicator": name,
                    "indicator_name": NAME_UNIT.sub("", name).replace(" ", ""),
                    "unit": unit,
                    "attribute": ATTRIBUTES.get(attribute_raw or ""),
                    "attribute_raw": attribute_raw,
                    "department": departments.get(department_raw) if department_raw else None,
                    "department_raw": department_raw,
                    "baseline_raw": baseline_raw,
                    "baseline_value": baseline_value,
                    "target_raw": target_raw,
                    "target_value": value,
                    "target_unit": target_unit or unit,
                    "target_comparator": comparator,
                    "line_start": row.line_start,
                    "line_end": row.line_end,
                }
            )
    return rows_out, flags


def _text(cell) -> str | None:
    return cell.text if cell is not None and cell.text else None


def _flag(doc_id: str, source: str, cell, kind: str, found: str) -> dict:
    notes = {
        "indicator_unit_missing": "the unit bracket is empty; the unit is left missing",
        "indicator_target_unparsed": "target kept as found; no value parsed",
        "indicator_baseline_unparsed": "baseline kept as found; no value parsed",
        "indicator_attribute_unknown": "属性 is neither 约束性 nor 预期性; kept as found, attribute left empty",
        "department_unknown": "not in data/lexicon/departments.csv; kept with its raw name and no department. "
        "Add it, or an alias, with a note on which body it is",
    }
    return quality_flag(doc_id, source, cell.line, cell.last_line, kind, found, notes[kind])


def extract(ctx: DocumentContext) -> StageResult:
    """Stage: rows of ``indicators`` from the document's indicator tables."""
    rows, flags = indicator_rows(ctx.doc_id, ctx.source, ctx.tables, ctx.lexicon.department_names)
    return StageResult({"indicators": rows}, flags)
