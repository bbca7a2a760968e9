"""Task tables: ``tasks``, ``task_departments`` and the ``departments`` lexicon.

A task table is a table whose header has 序号, 重点任务 and a department column
(牵头部门 or 责任单位). Its title comes from the document's ``表N`` title lines:

**Title rule.** The extracted titles are displaced (most sit above the wrong
table, some drifted into a later block), so the k-th task table of a document is
given the title numbered 表k, when the document has as many ``表N`` task-table
titles as task tables; otherwise the title directly above is used. Both the
adjacent and the assigned title go to ``quality_flags`` wherever they differ,
with the evidence: for a quarterly list, how many task names it shares with
each annual list (a quarterly list shares most with its own year's list).

**Departments rule.** A department cell is split on ``、``; each name must be a
known department or alias in ``data/lexicon/departments.csv`` (else the build
stops, naming it and its line). In a 牵头部门 column every unit named is a lead
(joint leads); in a 责任单位 column the first unit is the lead and the others
co-responsible, following the convention of listing the lead unit first.

**Categories.** ``category`` is kept as found; ``category_norm`` removes spaces and
maps the documents' synonyms: 党的建设 → 基层党建 (T02 names the group every other
list calls 基层党建) and 城区美化 → 美丽社区 (the Q3/Q4 2021 lists' name for it).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from streetlib import config
from streetlib.datasets import DEPARTMENT_KINDS, quality_flag
from streetlib.errors import BuildError, located
from streetlib.stage import DocumentContext, StageResult
from streetlib.tables import FoundTable, Row, parse_complete_rows

CATEGORY_SYNONYMS = {"党的建设": "基层党建", "城区美化": "美丽社区"}
QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4}
TITLE_NUMBER = re.compile(r"^表(\d+)")
TASK_COLUMNS = {"seq", "task", "departments"}


def load_departments(lexicon: Path | None = None) -> tuple[list[dict], dict[str, str]]:
    """The departments lexicon as rows, and a map from every name and alias to its canonical name."""
    path = (lexicon or config.lexicon_dir()) / "departments.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    canonical: dict[str, str] = {}
    for i, row in enumerate(rows, start=2):
        if row["kind"] not in DEPARTMENT_KINDS:
            raise BuildError(located(path, i, f"kind {row['kind']!r} is unknown", f"Use one of {DEPARTMENT_KINDS}."))
        for name in [row["department"], *filter(None, row["aliases"].split(";"))]:
            if canonical.setdefault(name, row["department"]) != row["department"]:
                raise BuildError(
                    located(
                        path,
                        i,
                        f"{name!r} already names {canonical[name]!r}",
                        "A name may map to one body only.",
                    )
                )
    return rows, canonical


def is_task_table(found: FoundTable) -> bool:
    return set(found.table.columns) >= TASK_COLUMNS


def scope_of(title: str) -> tuple[str, int | None, int | None]:
    """``(scope, year, quarter)`` from a task-table title."""
    quarter = re.search(r"([一二三四])季度", title)
    year = re.search(r"(?<![-\d])(\d{4})年(?=重点|度)", title)
    if quarter and year:
        return "quarterly", int(year[1]), QUARTERS[quarter[1]]
    if year:
        return "annual", int(year[1]), None
    return "three_year", None, None


def assign_titles(found: list[FoundTable], titles: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """``(assigned title, rule)`` for each task table (see the module docstring)."""
    numbered = sorted((int(TITLE_NUMBER.match(t)[1]), t) for _, t in titles if TITLE_NUMBER.match(t))
    if [n for n, _ in numbered] == list(range(1, len(found) + 1)):
        return [(t, "order") for _, t in numbered]
    return [(f.adjacent_title or "", "adjacent") for f in found]


def task_tables(
    doc_id: str,
    source: str,
    found: list[FoundTable],
    titles: list[tuple[int, str]],
    departments: dict[str, str],
) -> tuple[list[dict], list[dict], list[dict]]:
    """Rows of ``tasks``, ``task_departments`` and quality flags for one document."""
    found = [f for f in found if is_task_table(f)]
    if not found:
        return [], [], []
    assigned = assign_titles(found, titles)
    tasks, links, flags = [], [], []
    parsed = [parse_complete_rows(f.table, layout=f.layout) for f in found]
    names = [{r.values["task"].text for r in rows} for rows in parsed]
    for table_no, (f, (title, rule), rows) in enumerate(zip(found, assigned, parsed, strict=True), start=1):
        scope, year, quarter = scope_of(title)
        flags += header_flags(doc_id, source, f)
        if f.adjacent_title != title:
            flags.append(
                quality_flag(
                    doc_id,
                    source,
                    f.table.line_start,
                    f.table.line_end,
                    "table_title_displaced",
                    f.adjacent_title or "(no title above the table)",
                    f"assigned by {rule}: {title}. {_evidence(table_no, scope, names, found, assigned)}",
                    replacement=title,
                )
            )
        lead_column = f.table.header[f.table.columns.index("departments")].text == "牵头部门"
        for row in rows:
            task_id = f"{doc_id}:t{table_no:02d}-{int(row.key.text):02d}"
            content = row.values.get("content")
            category = row.category.text if row.category else ""
            tasks.append(
                {
                    "task_id": task_id,
                    "doc_id": doc_id,
                    "table_no": table_no,
                    "table_title": title,
                    "scope": scope,
                    "year": year,
                    "quarter": quarter,
                    "category": category,
                    "category_norm": CATEGORY_SYNONYMS.get(category.replace(" ", ""), category.replace(" ", "")),
                    "seq": int(row.key.text),
                    "task": row.values["task"].text,
                    "content": content.text if content else None,
                    "departments_raw": row.values["departments"].text,
                    "line_start": row.line_start,
                    "line_end": row.line_end,
                }
            )
            links += _departments(task_id, row, departments, source, lead_column=lead_column)
    return tasks, links, flags


def _departments(task_id: str, row: Row, canonical: dict[str, str], source: str, *, lead_column: bool) -> list[dict]:
    cell = row.values["departments"]
    names = [n.strip() for n in cell.text.split("、") if n.strip()]
    if not names:
        raise BuildError(located(source, cell.line, f"row {row.key.text} names no department", "Check the cell."))
    out = []
    for position, name in enumerate(names, start=1):
        if name not in canonical:
            raise BuildError(
                located(
                    source,
                    cell.line,
                    f"unknown department {name!r}",
                    "Add it (or an alias) to data/lexicon/departments.csv with a note on which body it is.",
                )
            )
        out.append(
            {
                "task_id": task_id,
                "department": canonical[name],
                "department_raw": name,
                "position": position,
                "role": "lead" if lead_column or position == 1 else "co",
            }
        )
    return out


def _evidence(table_no: int, scope: str, names: list[set[str]], found: list, assigned: list) -> str:
    """Task names the table shares with each annual list."""
    if scope != "quarterly":
        return "Order of the tables matches the order of the titles."
    shares = []
    for k, (title, _) in enumerate(assigned):
        kind, year, _ = scope_of(title)
        if kind == "annual":
            shares.append(f"{year}: {len(names[table_no - 1] & names[k])}")
    return f"Task names shared with the annual lists: {', '.join(shares)} of {len(names[table_no - 1])}."


def header_flags(doc_id: str, source: str, found: FoundTable) -> list[dict]:
    """One flag per header cell the reader repaired (split over two lines, or damaged)."""
    return [
        quality_flag(doc_id, source, line, line, "table_header_repaired", text, note)
        for line, text, note in found.table.notes
    ]


def extract(ctx: DocumentContext) -> StageResult:
    """Stage: rows of ``tasks`` and ``task_departments`` from the document's task tables."""
    tasks, links, flags = task_tables(
        ctx.doc_id, ctx.source, ctx.tables, ctx.table_titles, ctx.lexicon.department_names
    )
    return StageResult({"tasks": tasks, "task_departments": links}, flags)
