"""Indicator tables (``indicators``): the 古美路 十四五 outline's 主要指标 table.

An indicator table is a table whose header has 序号, 指标, 属性 and a target
column. Each row keeps the indicator name as found and adds its unit (the
bracket at the end of the name: ``(%)``, ``(个)``, ``(亿元)``; an empty bracket
is a missing unit), the attribute in English (约束性 → binding, 预期性 →
expected), the responsible unit resolved through the departments lexicon, and
the target both as found and parsed into value, unit and comparator:

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

from streetlib.datasets import quality_flag
from streetlib.errors import BuildError, located
from streetlib.stage import DocumentContext, StageResult
from streetlib.tables import FoundTable, parse_complete_rows
from streetlib.tasks import header_flags

ATTRIBUTES = {"约束性": "binding", "预期性": "expected"}
INDICATOR_COLUMNS = {"seq", "indicator", "attribute", "target"}
NAME_UNIT = re.compile(r"\s*\(([^()]*)\)\s*$")
TARGET = re.compile(
    r"^(?P<lower>不少于|不低于|达到)?(?P<value>\d+(?:\.\d+)?)(?P<unit>%|亿元|万元|个|户|人)?(?P<upper>以上|以内)?$"
)


def parse_target(raw: str) -> tuple[float | None, str | None, str | None]:
    """``(value, unit, comparator)`` of a target string; ``(None, None, None)`` if unparsable."""
    match = TARGET.match(raw.replace(" ", ""))
    if not match:
        return None, None, None
    comparator = ">=" if match["lower"] in ("不少于", "不低于") or match["upper"] == "以上" else "="
    if match["upper"] == "以内":
        comparator = "<="
    return float(match["value"]), match["unit"], comparator


def indicator_rows(
    doc_id: str, source: str, found: list[FoundTable], departments: dict[str, str]
) -> tuple[list[dict], list[dict]]:
    rows_out, flags = [], []
    for f in found:
        if not set(f.table.columns) >= INDICATOR_COLUMNS:
            continue
        flags += header_flags(doc_id, source, f)
        for row in parse_complete_rows(f.table, layout=f.layout):
            name = row.values["indicator"].text
            unit_match = NAME_UNIT.search(name)
            unit = unit_match[1] if unit_match and unit_match[1] else None
            if unit_match and not unit_match[1]:
                flags.append(_flag(doc_id, source, row.values["indicator"], "indicator_unit_missing", name))
            attribute_raw = row.values["attribute"].text
            if attribute_raw not in ATTRIBUTES:
                raise BuildError(
                    located(
                        source,
                        row.values["attribute"].line,
                        f"attribute {attribute_raw!r} is neither 约束性 nor 预期性",
                        "Check the row's cells.",
                    )
                )
            unit_cell = row.values.get("departments")
            department_raw = unit_cell.text if unit_cell else None
            if department_raw is not None and department_raw not in departments:
                raise BuildError(
                    located(
                        source,
                        unit_cell.line,
                        f"unknown department {department_raw!r}",
                        "Add it (or an alias) to data/lexicon/departments.csv.",
                    )
                )
            target_raw = row.values["target"].text
            value, target_unit, comparator = parse_target(target_raw)
            if value is None:
                flags.append(_flag(doc_id, source, row.values["target"], "indicator_target_unparsed", target_raw))
            rows_out.append(
                {
                    "doc_id": doc_id,
                    "category": row.category.text if row.category else None,
                    "seq": int(row.key.text),
                    "indicator": name,
                    "indicator_name": NAME_UNIT.sub("", name).replace(" ", ""),
                    "unit": unit,
                    "attribute": ATTRIBUTES[attribute_raw],
                    "attribute_raw": attribute_raw,
                    "department": departments.get(department_raw) if department_raw else None,
                    "department_raw": department_raw,
                    "target_raw": target_raw,
                    "target_value": value,
                    "target_unit": target_unit or unit,
                    "target_comparator": comparator,
                    "line_start": row.line_start,
                    "line_end": row.line_end,
                }
            )
    return rows_out, flags


def _flag(doc_id: str, source: str, cell, kind: str, found: str) -> dict:
    notes = {
        "indicator_unit_missing": "the unit bracket is empty; the unit is left missing",
        "indicator_target_unparsed": "target kept as found; no value parsed",
    }
    return quality_flag(doc_id, source, cell.line, cell.last_line, kind, found, notes[kind])


def extract(ctx: DocumentContext) -> StageResult:
    """Stage: rows of ``indicators`` from the document's indicator tables."""
    rows, flags = indicator_rows(ctx.doc_id, ctx.source, ctx.tables, ctx.lexicon.department_names)
    return StageResult({"indicators": rows}, flags)
