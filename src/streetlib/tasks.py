"""Task tables: ``tasks``, ``task_departments`` and the ``departments`` lexicon.

A task table is a table whose header has a task column (重点任务, 工作项目, …) and a
department column (牵头部门, 责任单位, 配合部门, …), as the header lexicon
``data/lexicon/table_headers.csv`` maps them. Its title comes from the document's
``表N`` title lines:

**Title rule.** The extracted titles are displaced (most sit above the wrong
table, some drifted into a later block), so the k-th task table of a document is
given the title numbered 表k, when the document has as many ``表N`` task-table
titles as task tables; otherwise the title directly above is used. Both the
adjacent and the assigned title go to ``quality_flags`` wherever they differ,
with the evidence: for a quarterly list, how many task names it shares with
each annual list (a quarterly list shares most with its own year's list).

**Scope and year.** From the title (a quarter and a year: quarterly; a year:
annual; 三年 / 五年 / 十四五: three_year / five_year), else from the document's
period in the manifest (one year: annual; three or five years: three_year or
five_year; other spans: multi_year).

**Departments rule.** A department cell is split on ``、`` (and ``,;/``); each name
is resolved through ``data/lexicon/departments.csv``. A name it does not know is
kept with its raw name and an empty department, and flagged once per document
(``department_unknown``). In a 牵头部门 column (``lead``) every unit named is a
lead (joint leads); in a 责任单位 column (``responsible``) the first unit is the
lead and the others co-responsible, following the convention of listing the
lead unit first; every unit of a 配合部门 column (``co``) is a co-department.

**Deadlines.** A 完成时限 cell is kept verbatim (``deadline_raw``) and parsed to
the last day it allows (``deadline``) by the patterns of
``data/lexicon/deadlines.csv`` (2024年6月底, 2024年底, 年内, 三季度 …; the table's
year where the cell names none; of a range, its end; Chinese numerals of a date,
二〇二四年六月, read by :func:`streetlib.numbers.chinese_numeral`). 长期, 每季度 and
the like stay empty, with the raw text kept.

**Categories.** ``category`` is kept as found; ``category_norm`` removes spaces and
maps the documents' synonyms: 党的建设 → 基层党建 (T02 names the group every other
list calls 基层党建) and 城区美化 → 美丽社区 (the Q3/Q4 2021 lists' name for it).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from pathlib import Path

from streetlib import config, reviewed
from streetlib.datasets import DEPARTMENT_KINDS, quality_flag
from streetlib.errors import BuildError, located
from streetlib.numbers import chinese_numeral
from streetlib.stage import DocumentContext, StageResult
from streetlib.tables import Cell, FoundTable, Row, parse_complete_rows

CATEGORY_SYNONYMS = {"党的建设": "基层党建", "城区美化": "美丽社区"}
QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4}
TITLE_NUMBER = re.compile(r"^表(\d+)")
DEPARTMENT_COLUMNS = ("lead", "responsible", "co")
NAME_SEPARATORS = re.compile(r"[、,;/]")
RANGE_SEPARATORS = re.compile(r"[-—~至到]+")
DEADLINE_FILE = "deadlines.csv"
CN_DATE_NUMERAL = re.compile(r"[〇零一二三四五六七八九十]+(?=[年月日])")  # 二〇二四年六月底 -> 2024年6月底
# scope of a plan period by its length in years
SPAN_SCOPES = {1: "annual", 3: "three_year", 5: "five_year"}
TITLE_SPANS = (("三年", "three_year"), ("五年", "five_year"), ("十四五", "five_year"), ("十五五", "five_year"))


def load_departments(lexicon: Path | None = None) -> tuple[list[dict], dict[str, str]]:
    """The departments lexicon as rows, and a map from every name and alias to its canonical name."""
    path = (lexicon or config.lexicon_dir()) / "departments.csv"
    numbered = reviewed.read_lexicon("departments", path.parent)
    rows = [row for _, row in numbered]
    canonical: dict[str, str] = {}
    for i, row in numbered:
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
    return found.kind == "task"


def scope_of(title: str, period: tuple[int, int] | None = None) -> tuple[str, int | None, int | None]:
    """``(scope, year, quarter)`` from a task-table title, else from the document's period."""
    quarter = re.search(r"([一二三四])季度", title)
    year = re.search(r"(?<![-\d—~至到])(\d{4})年(?![-\d—~至到])", title)
    if quarter and year:
        return "quarterly", int(year[1]), QUARTERS[quarter[1]]
    if year:
        return "annual", int(year[1]), None
    named = next((scope for word, scope in TITLE_SPANS if word in title), None)
    if named or period is None:
        return named or "three_year", None, None
    start, end = period
    scope = SPAN_SCOPES.get(end - start + 1, "multi_year")
    return scope, start if scope == "annual" else None, None


@functools.lru_cache(maxsize=8)
def _deadline_patterns(path: Path) -> tuple[tuple[re.Pattern[str], str, str], ...]:
    out = []
    for i, row in reviewed.read_lexicon(path.stem, path.parent):
        try:
            out.append((re.compile(row["pattern"]), row["month"], row["day"]))
        except re.error as exc:
            raise BuildError(located(path, i, f"bad regular expression ({exc})", "Fix the pattern.")) from exc
    return tuple(out)


def load_deadline_patterns(lexicon: Path | None = None) -> tuple[tuple[re.Pattern[str], str, str], ...]:
    """The deadline patterns of ``data/lexicon/deadlines.csv``: ``(pattern, month, day)``."""
    return _deadline_patterns((lexicon or config.lexicon_dir()) / DEADLINE_FILE)


def parse_deadline(raw: str, year: int | None = None, *, lexicon: Path | None = None) -> dt.date | None:
    """The last day a deadline cell allows, or ``None`` (长期, 每季度, an unknown phrasing, no year known).

    ``year`` is the table's year, used when the cell names none. Of a range
    (``2024年3月-6月``) the end counts, in the year of its start if it names none.
    """
    text = CN_DATE_NUMERAL.sub(lambda m: str(chinese_numeral(m[0]) or m[0]), raw.replace(" ", ""))
    parts = [p for p in RANGE_SEPARATORS.split(text) if p]
    if not parts:
        return None
    stated = re.match(r"(\d{4})年", parts[0])
    year = int(stated[1]) if stated else year
    for pattern, month, day in load_deadline_patterns(lexicon):
        match = pattern.fullmatch(parts[-1])
        if not match:
            continue
        groups = match.groupdict()
        at_year = int(groups["year"]) if groups.get("year") else year
        at_month = int(month or groups.get("month") or 0)
        if at_year is None or not 1 <= at_year <= 9999 or not 1 <= at_month <= 12:
            return None
        last = calendar.monthrange(at_year, at_month)[1]
        at_day = last if day == "end" else int(day or groups.get("day") or 0)
        return dt.date(at_year, at_month, at_day) if 1 <= at_day <= last else None
    return None


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
    *,
    period: tuple[int, int] | None = None,
    lexicon: Path | None = None,
) -> tuple[list[dict], list[dict], list[dict]]:
    """Rows of ``tasks``, ``task_departments`` and quality flags for one document.

    ``period`` is the document's ``(year_start, year_end)`` from the manifest, used
    for the scope and year of a table whose title names neither; ``lexicon`` the
    folder of ``deadlines.csv``.
    """
    found = [f for f in found if is_task_table(f)]
    flags = [_no_rows_flag(doc_id, source, f) for f in found if not f.table.cells]
    found = [f for f in found if f.table.cells]
    if not found:
        return [], [], flags
    assigned = assign_titles(found, titles)
    tasks, links = [], []
    unknown: dict[str, list[int]] = {}
    parsed = [parse_complete_rows(f.table, layout=f.layout) for f in found]
    names = [{r.values["task"].text for r in rows} for rows in parsed]
    for table_no, (f, (title, rule), rows) in enumerate(zip(found, assigned, parsed, strict=True), start=1):
        scope, year, quarter = scope_of(title, period)
        flags += header_flags(doc_id, source, f)
        if (f.adjacent_title or "") != title:
            # the flag cites the line of what it quotes: the title above the table, else the table itself
            quoted = (f.adjacent_title_line,) * 2 if f.adjacent_title else (f.table.line_start, f.table.line_end)
            flags.append(
                quality_flag(
                    doc_id,
                    source,
                    *quoted,
                    "table_title_displaced",
                    f.adjacent_title or "(no title above the table)",
                    f"the table at lines {f.table.line_start}-{f.table.line_end} is assigned by {rule}: {title}. "
                    f"{_evidence(table_no, scope, names, found, assigned)}",
                    replacement=title,
                )
            )
        used: set[int] = set()
        for number, row in enumerate(rows, start=1):
            seq = int(row.key.text) if row.key.text.isdigit() else number
            if seq in used:  # numbering restarts within the table (per group): the id takes the row's position
                flags.append(
                    quality_flag(
                        doc_id,
                        source,
                        row.line_start,
                        row.line_end,
                        "task_seq_repeated",
                        row.key.text,
                        f"序号 {row.key.text} repeats in the table; the task id uses the row's position ({number})",
                    )
                )
            task_id = f"{doc_id}:t{table_no:02d}-{(number if seq in used else seq):02d}"
            used.add(seq)
            category = row.category.text if row.category else ""
            deadline = row.values.get("deadline")
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
                    "seq": seq,
                    "task": row.values["task"].text,
                    "content": _text(row.values.get("content")),
                    "departments_raw": _text(row.values.get("lead") or row.values.get("responsible")),
                    "co_departments_raw": _text(row.values.get("co")),
                    "deadline_raw": _text(deadline),
                    "deadline": parse_deadline(deadline.text, year, lexicon=lexicon) if deadline else None,
                    "line_start": row.line_start,
                    "line_end": row.line_end,
                }
            )
            row_links = _departments(task_id, row, departments, unknown)
            if not row_links:
                flags.append(
                    quality_flag(
                        doc_id,
                        source,
                        row.line_start,
                        row.line_end,
                        "task_without_department",
                        row.values["task"].text[:40],
                        "the row names no department; the task is kept without one",
                    )
                )
            links += row_links
    flags += [
        quality_flag(
            doc_id,
            source,
            lines[0],
            lines[0],
            "department_unknown",
            name,
            f"not in data/lexicon/departments.csv (named in {len(lines)} cell(s), lines "
            f"{', '.join(map(str, lines))}); kept with its raw name and no department. Add it, or an alias, "
            "with a note on which body it is",
        )
        for name, lines in unknown.items()
    ]
    return tasks, links, flags


def _text(cell: Cell | None) -> str | None:
    return cell.text if cell is not None and cell.text else None


def _no_rows_flag(doc_id: str, source: str, found: FoundTable) -> dict:
    return quality_flag(
        doc_id,
        source,
        found.table.line_start,
        found.table.line_end,
        "table_without_rows",
        " | ".join(c.text for c in found.table.header)[:60],
        "a task or indicator table header with no rows after it; check the table",
    )


def _departments(task_id: str, row: Row, canonical: dict[str, str], unknown: dict[str, list[int]]) -> list[dict]:
    """Links of a row's department cells, in order: lead or responsible column, then co column.

    Unknown names are linked with an empty department and collected in ``unknown`` (name -> lines).
    """
    out = []
    for column in DEPARTMENT_COLUMNS:
        cell = row.values.get(column)
        if cell is None:
            continue
        names = [n.strip() for n in NAME_SEPARATORS.split(cell.text) if n.strip()]
        for k, name in enumerate(names, start=1):
            if name not in canonical:
                unknown.setdefault(name, []).append(cell.line)
            role = "co" if column == "co" or (column == "responsible" and k > 1) else "lead"
            out.append(
                {
                    "task_id": task_id,
                    "department": canonical.get(name),
                    "department_raw": name,
                    "position": len(out) + 1,
                    "role": role,
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
        quality_flag(doc_id, source, first, last, "table_header_repaired", text, note)
        for first, last, text, note in found.table.notes
    ]


def extract(ctx: DocumentContext) -> StageResult:
    """Stage: rows of ``tasks`` and ``task_departments`` from the document's task tables."""
    tasks, links, flags = task_tables(
        ctx.doc_id,
        ctx.source,
        ctx.tables,
        ctx.table_titles,
        ctx.lexicon.department_names,
        period=(ctx.doc.year_start, ctx.doc.year_end),
        lexicon=ctx.lexicon.folder,
    )
    return StageResult({"tasks": tasks, "task_departments": links}, flags)
