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

import ast
import math
import re
from collections.abc import Collection
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path

import pandas as pd

from streetlib.datasets import quality_flag
from streetlib.errors import BuildError, located
from streetlib.reviewed import read_file
from streetlib.schema import CHECK_KINDS
from streetlib.stage import CorpusContext, DocumentContext, StageResult
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
                    quality_flag(
                        f.doc_id,
                        source,
                        f.table.line_start,
                        f.table.line_end,
                        "duplicate_table",
                        f.table.header[0].text,
                        f"byte-identical copy of the table at line {kept.table.line_start}; not read again",
                    )
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
    if compound or (column in PART_COLUMNS and cell.text in MISSING):
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
                quality_flag(
                    doc_id,
                    source,
                    row.line_start,
                    row.line_end,
                    "report_table_inconsistent",
                    " | ".join(row.values[c].text for c in (*PART_COLUMNS, "total_projects", "total_amount")),
                    f"{row.key.text}: parts add up to {count}个/{amount:g}万元, the row states "
                    f"{stated[0]}个/{stated[1]:g}万元; kept as found (the totals imply the 公开招标 cell should read "
                    f"{stated[0] - int(parts[0]['count'])}个/{stated[1] - float(parts[0]['amount']):g}万元)",
                )
            )
    return flags


# --- figures and checks ------------------------------------------------------------------

FIGURE_FILE = "report_figures.csv"
CHECK_FILE = "report_checks.csv"
DISTRIBUTION_CAPTION = re.compile(r"^(图\d+)\s*(?P<what>.+?)企业街道分布$")
# a street segment starts after a delimiter: 延吉东路(图们路-松花江路) in "其次是延吉东路(…)"
SEGMENT = re.compile(r"(?:^|[,、和是])(?P<segment>[^,、和是()]{2,5}路\([^()]*\))")
TOTAL_IN = re.compile(r"在(?P<total>\d+)家")
COUNT = re.compile(r"(?P<count>\d+)家")


def _reviewed_rows(path: Path, doc_ids: str | Collection[str]):
    """``(row number in the file, row)`` of a reviewed CSV's rows for ``doc_ids`` (row 1 is the header)."""
    doc_ids = {doc_ids} if isinstance(doc_ids, str) else set(doc_ids)
    for row_no, row in read_file(path):
        if row["doc_id"] in doc_ids:
            yield row_no, row


def stated_figures(path: Path, lines: list[str], doc_id: str) -> list[dict]:
    """The reviewed file of stated numbers, each checked against its line.

    Raises
    ------
    BuildError
        If a quote is not on its raw line, or the value is not in its quote.
    """
    rows = []
    for row_no, row in _reviewed_rows(path, doc_id):
        try:
            value = float(row["value"])
            line = int(row["line"])
        except (TypeError, ValueError):
            raise BuildError(
                located(
                    path,
                    row_no,
                    f"claim {row['key']!r} has no number (value {row['value']!r}, line {row['line']!r})",
                    "Give the number as stated in the quote and the raw line it is on.",
                )
            ) from None
        if not 1 <= line <= len(lines) or row["quote"] not in lines[line - 1]:
            raise BuildError(
                located(path, row_no, f"quote {row['quote']!r} is not on line {line}", "Quote the line verbatim.")
            )
        if f"{value:g}" not in row["quote"].replace(",", ""):
            raise BuildError(
                located(path, row_no, f"value {row['value']} is not in its quote", "Fix the value or the quote.")
            )
        rows.append(
            {
                "figure": row["figure"],
                "key": row["key"],
                "label": row["label"],
                "value": value,
                "unit": row["unit"],
                "kind": "stated",
                "doc_id": doc_id,
                "line_start": line,
                "quote": row["quote"],
                "note": None,
            }
        )
    return rows


def distribution_figures(regions: list, doc_id: str, source: str, lines: list[str]) -> tuple[list[dict], list[dict]]:
    """Street-segment counts behind the "图N …企业街道分布" figures, by rule; and flags.

    The numbers are in the paragraph right before the caption: each sentence
    lists one or more segments (``延吉东路(图们路-松花江路)``) and ends with their
    count (``共有19家``, ``各8家``, ``均为7家``); ``在75家…企业中`` gives the total. The
    segments the text does not locate become a derived "未列出" bar. A caption
    whose paragraph gives no count is flagged ``figure_without_numbers``.
    """
    rows: list[dict] = []
    flags: list[dict] = []
    for before, caption in pairwise(regions):
        match = DISTRIBUTION_CAPTION.match(caption.text or "") if caption.kind == "caption" else None
        if not match or before.kind != "paragraph":
            continue
        figure = match.group(1)
        total = None
        listed = 0
        found = len(rows)
        for sentence in re.split(r"[。]", before.text):
            if total is None and TOTAL_IN.search(sentence):
                total = int(TOTAL_IN.search(sentence)["total"])
                sentence = sentence[TOTAL_IN.search(sentence).end() :]
            segments = SEGMENT.findall(sentence)
            counts = COUNT.findall(sentence)
            if not segments or not counts:
                continue
            line = _line_of(sentence, before, lines)
            for segment in segments:
                value = int(counts[-1])
                listed += value
                rows.append(_figure_row(figure, f"{figure}_{segment}", segment, value, doc_id, line, sentence))
        if total is not None:
            quote = TOTAL_IN.search(before.text).group(0)
            line = _line_of(quote, before, lines)
            rows.append(_figure_row(figure, f"{figure}_total", f"{match['what']}企业合计", total, doc_id, line, quote))
            rows.append(
                _figure_row(
                    figure, f"{figure}_unlisted", "未列出路段", total - listed, doc_id, None, None, derived=True
                )
            )
        if len(rows) == found:
            flags.append(
                quality_flag(
                    doc_id,
                    source,
                    caption.line_start,
                    caption.line_end,
                    "figure_without_numbers",
                    caption.text,
                    f"the paragraph before {figure} (lines {before.line_start}-{before.line_end}) gives no "
                    "segment count or total, so the figure cannot be redrawn from the text",
                )
            )
    return rows, flags


def _line_of(text: str, region, lines: list[str]) -> int:
    """The raw line of a paragraph that holds ``text`` (the paragraph's first line if none does)."""
    return next((n for n in range(region.line_start, region.line_end + 1) if text in lines[n - 1]), region.line_start)


def _figure_row(figure, key, label, value, doc_id, line, quote, *, derived: bool = False) -> dict:
    return {
        "figure": figure,
        "key": key,
        "label": label,
        "value": float(value),
        "unit": "家",
        "kind": "derived" if derived else "stated",
        "doc_id": doc_id,
        "line_start": line,
        "quote": quote,
        "note": "total minus the segments the text names" if derived else None,
    }


def implied_total(shares: dict[float, float], *, low: int, high: int, decimals: int = 1) -> list[int]:
    """Every whole total in [low, high] for which count / total rounds to each stated percentage."""
    return [
        n
        for n in range(low, high + 1)
        if all(_round(100 * count / n, decimals) == pct for count, pct in shares.items())
    ]


def _round(x: float, decimals: int) -> float:
    return float(Decimal(str(x)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def derived_figures(
    stated: list[dict], report_rows: list[dict], doc_id: str
) -> tuple[list[dict], dict[str, float], dict[str, tuple[int, int]]]:
    """Bars a faithful figure needs that the text leaves implicit, the values the checks use, and
    the raw lines (first, last) each value was read from."""
    value = {r["key"]: r["value"] for r in stated}
    env = dict(value)
    where = {r["key"]: (r["line_start"], r["line_start"]) for r in stated if r["line_start"] is not None}
    table = pd.DataFrame(report_rows)
    derived = []
    shop_columns = {"area_m2", "rent_yuan_month", "rent_per_m2_yuan_month"}
    # the rent table as the report prints it; a table read with other columns gives no derived values
    if not table.empty and shop_columns <= set(table.loc[table["table_id"] == "表1", "column"]):
        shops = table[(table["table_id"] == "表1") & ~table["is_summary"]].pivot(
            index="row_label", columns="column", values="value"
        )
        address = table[(table["table_id"] == "表1") & (table["column"] == "address")].set_index("row_label")[
            "value_raw"
        ]
        priced = shops.dropna(subset=["rent_yuan_month"])
        table1 = table[(table["table_id"] == "表1") & ~table["is_summary"]]
        table1_lines = (int(table1["line_start"].min()), int(table1["line_end"].max()))
        where |= dict.fromkeys(
            ["sum_area_priced", "sum_rent_priced", "mean_rate_priced", "max_rate_priced"], table1_lines
        )
        env |= {
            "sum_area_priced": float(priced["area_m2"].sum()),
            "sum_rent_priced": float(priced["rent_yuan_month"].sum()),
            "mean_rate_priced": float(priced["rent_per_m2_yuan_month"].mean()),
            "max_rate_priced": float(priced["rent_per_m2_yuan_month"].max()),
        }
        for street, group in priced.groupby(address.reindex(priced.index)):
            env[f"mean_rate_{street}"] = float(group["rent_per_m2_yuan_month"].mean())
            where[f"mean_rate_{street}"] = table1_lines
        summary = table[table["is_summary"]]
        if len(summary):
            env["table1_summary_rate"] = float(summary["value"].iloc[0])
            where["table1_summary_rate"] = (int(summary["line_start"].iloc[0]), int(summary["line_end"].iloc[0]))
        services = table[table["table_id"] == "表2"]
        for row in services.itertuples():
            env[f"table2_{row.row_label}_{row.column}"] = row.value
            where[f"table2_{row.row_label}_{row.column}"] = (int(row.line_start), int(row.line_end))
    if {"fig1_service", "fig2_trade", "fig2_tech", "fig2_culture"} <= set(value):
        other = value["fig1_service"] - value["fig2_trade"] - value["fig2_tech"] - value["fig2_culture"]
        derived.append(
            _derived(
                "图2",
                "fig2_other",
                "其他(物流、传媒、医疗、投资等)",
                other,
                "家",
                doc_id,
                "47 service firms minus the itemised ones",
            )
        )
    shares = {
        value[k]: value[f"{k}_share"]
        for k in ("fig3_catering", "fig3_grocery", "fig3_hardware", "fig3_clothing", "fig3_massage", "fig3_supermarket")
        if k in value
    }
    if shares and "fig3_total" in value:
        candidates = implied_total(shares, low=int(value["fig3_total"]), high=2 * int(value["fig3_total"]))
        if len(candidates) == 1:
            n = candidates[0]
            env["implied_fig3_total"] = n
            share_lines = [where[f"{k}_share"] for k in ("fig3_catering", "fig3_supermarket") if f"{k}_share" in where]
            where["implied_fig3_total"] = (min(a for a, _ in share_lines), max(b for _, b in share_lines))
            listed = sum(value[k] for k in value if k.startswith("fig3_") and not k.endswith(("_share", "_total")))
            derived.append(
                _derived(
                    "图3",
                    "fig3_implied_total",
                    "企业总数(由各占比推算)",
                    n,
                    "家",
                    doc_id,
                    "the only whole total that reproduces all stated shares",
                )
            )
            derived.append(
                _derived(
                    "图3",
                    "fig3_other",
                    "其他类别(未列出)",
                    n - listed,
                    "家",
                    doc_id,
                    "implied total minus the listed classes (美容美发 included)",
                )
            )
    return derived, env, where


def _derived(figure, key, label, value, unit, doc_id, note) -> dict:
    return {
        "figure": figure,
        "key": key,
        "label": label,
        "value": float(value),
        "unit": unit,
        "kind": "derived",
        "doc_id": doc_id,
        "line_start": None,
        "quote": None,
        "note": note,
    }


def run_checks(
    path: Path, env: dict[str, float], where: dict[str, tuple[str, int, int]], doc_ids: Collection[str]
) -> list[dict]:
    """Evaluate the reviewed checks of the documents ``doc_ids``, in file order: claim, stated value,
    recomputed value, verdict.

    ``env`` holds every number a check may name (stated figures of any document, values derived
    from the report's tables) and ``where`` the document and raw lines each was read from. The
    verdict is ``holds`` when the recomputed value equals the stated one at its stated precision
    (or reaches it, for a stated lower bound), ``does not hold`` otherwise, and ``cannot be decided``
    when the reviewed row says why the text does not fix the definition or base the check needs.

    Raises
    ------
    BuildError
        Naming the file and row, if a check names an unknown number or an unknown kind, compares more
        than two documents, or its formula is not arithmetic, divides by zero or has no finite value.
    """
    rows = []
    for row_no, row in _reviewed_rows(path, doc_ids):
        doc_id = row["doc_id"]
        try:
            names = [row["stated_key"], *_names(row["formula"])]
            stated_value = env[row["stated_key"]]
            recomputed = _evaluate(row["formula"], env)
        except KeyError as exc:
            raise BuildError(
                located(path, row_no, f"unknown name {exc.args[0]!r} in the check", "Use a key of report_figures.")
            ) from None
        except FormulaError as exc:
            raise BuildError(
                located(
                    path,
                    row_no,
                    f"column 'formula': {row['formula']!r} {exc}",
                    "Write arithmetic (numbers, report_figures keys, + - * /, parentheses) whose value is finite.",
                )
            ) from None
        if row["kind"] not in CHECK_KINDS:
            raise BuildError(located(path, row_no, f"unknown kind {row['kind']!r}", f"Use one of {CHECK_KINDS}."))
        own, other = _check_lines(names, where, doc_id)
        if len(other) > 1:
            raise BuildError(
                located(path, row_no, f"the check uses numbers of {sorted(other)}", "Compare at most two documents.")
            )
        decimals = int(row["decimals"])
        tolerance = 0.5 * 10**-decimals + 1e-9
        if row["bound"] == "at_least":  # "60%以上": a lower bound
            holds = recomputed >= stated_value - tolerance
        else:
            holds = abs(_round(recomputed, decimals) - stated_value) <= tolerance
        undecidable = row["undecidable_because"].strip()
        other_doc, other_lines = next(iter(other.items()), (None, [None]))
        rows.append(
            {
                "doc_id": doc_id,
                "claim": row["claim"],
                "kind": row["kind"],
                "line_start": min(own, default=None),
                "line_end": max(own, default=None),
                "other_doc_id": other_doc,
                "other_line_start": min(other_lines),
                "other_line_end": max(other_lines),
                "stated": stated_value,
                "recomputed": round(recomputed, 4),
                "difference": round(stated_value - recomputed, 4),
                "verdict": "cannot be decided" if undecidable else ("holds" if holds else "does not hold"),
                "reason": undecidable or None,
                "formula": row["formula"],
                "note": row["note"] or None,
            }
        )
    return rows


class FormulaError(ValueError):
    """A check's formula is not arithmetic over named values, or has no finite value."""


def _parse(formula: str) -> ast.expr:
    try:
        return ast.parse(formula.strip(), mode="eval").body
    except SyntaxError:
        raise FormulaError("is not a complete expression") from None


def _names(formula: str) -> list[str]:
    return [n.id for n in ast.walk(_parse(formula)) if isinstance(n, ast.Name)]


def _check_lines(
    names: list[str], where: dict[str, tuple[str, int, int]], doc_id: str
) -> tuple[list[int], dict[str, list[int]]]:
    """Raw lines of the numbers a check uses: those of ``doc_id``, and those of other documents."""
    own: list[int] = []
    other: dict[str, list[int]] = {}
    for name in names:
        if name in where:
            doc, first, last = where[name]
            (own if doc == doc_id else other.setdefault(doc, [])).extend([first, last])
    return own, other


def _evaluate(formula: str, env: dict[str, float]) -> float:
    """Arithmetic over named values: numbers, names, + - * /, unary minus and parentheses only.

    Raises
    ------
    FormulaError
        For anything else (a boolean, a call, an incomplete expression), a division by
        zero or a value that is not finite (``1e308 * 10``).
    KeyError
        For a name not in ``env``.
    """
    operations = {ast.Add: float.__add__, ast.Sub: float.__sub__, ast.Mult: float.__mul__, ast.Div: float.__truediv__}

    def value(n: ast.AST) -> float:
        if isinstance(n, ast.BinOp) and type(n.op) in operations:
            a, b = value(n.left), value(n.right)
            if isinstance(n.op, ast.Div) and b == 0:
                raise FormulaError(f"divides by zero ({ast.unparse(n.right)} is 0)")
            out = operations[type(n.op)](a, b)
        elif isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            out = -value(n.operand) if isinstance(n.op, ast.USub) else value(n.operand)
        elif isinstance(n, ast.Name) and n.id not in ("True", "False", "None"):
            out = float(env[n.id])
        elif isinstance(n, ast.Constant) and type(n.value) in (int, float):  # bool is an int: refused
            out = float(n.value)
        else:
            raise FormulaError(f"holds {ast.unparse(n)!r}, which is not a number, a key or + - * /")
        if not math.isfinite(out):
            raise FormulaError(f"has no finite value ({ast.unparse(n)} gives {out})")
        return out

    return value(_parse(formula))


def extract(ctx: DocumentContext) -> StageResult:
    """Stage: a research report's tables and the numbers behind its figures; for any other document,
    the numbers the reviewed file states for it (a check may compare them with the report's)."""
    doc_id, source = ctx.doc_id, ctx.source
    stated = stated_figures(ctx.reviewed / FIGURE_FILE, ctx.source_lines, doc_id)
    if ctx.doc.doc_type != "research_report":
        return StageResult({"report_figures": _one_line(stated)})
    moved = {r.title_line: (r.line_start, r.line_end) for r in ctx.doc.relocated_tables}
    # only tables of the report kind (the header lexicon's table_kind)
    found = [f for f in ctx.source_tables() if f.kind == "report"]
    tables, flags = report_tables(doc_id, source, ctx.table_titles, moved, found)
    distributions, distribution_flags = distribution_figures(ctx.regions, doc_id, source, ctx.source_lines)
    stated += distributions
    flags += distribution_flags
    derived, _, _ = derived_figures(stated, tables, doc_id)
    return StageResult({"report_tables": tables, "report_figures": _one_line(stated + derived)}, flags)


def extract_checks(ctx: CorpusContext) -> StageResult:
    """Corpus stage: every reviewed check, over the numbers of all documents (a check may compare two)."""
    figures = _records(ctx.tables["report_figures"])
    tables = _records(ctx.tables["report_tables"])
    env: dict[str, float] = {}  # every number a check may name, with the document and lines it was read from
    where: dict[str, tuple[str, int, int]] = {}
    for doc in sorted(ctx.documents, key=lambda d: d.doc_type != "research_report"):
        stated = [r for r in figures if r["doc_id"] == doc.doc_id and r["kind"] == "stated"]
        if doc.doc_type == "research_report":
            rows = [r for r in tables if r["doc_id"] == doc.doc_id]
            _, doc_env, doc_where = derived_figures(stated, rows, doc.doc_id)
        else:
            doc_env = {r["key"]: r["value"] for r in stated}
            doc_where = {r["key"]: (r["line_start"], r["line_start"]) for r in stated}
        env |= doc_env
        where |= {key: (doc.doc_id, *(int(n) for n in span)) for key, span in doc_where.items()}
    checks = run_checks(ctx.reviewed / CHECK_FILE, env, where, [d.doc_id for d in ctx.documents])
    source_of = {d.doc_id: d.source for d in ctx.documents}
    flags = [
        quality_flag(
            c["doc_id"],
            source_of[c["doc_id"]],
            c["line_start"],
            c["line_end"],
            "report_claim_inconsistent" if c["verdict"] == "does not hold" else "report_claim_undecided",
            f"{c['stated']:g}",
            f"{c['claim']}: recomputed {c['recomputed']:g} ({c['formula']})"
            + (
                f"; other document {c['other_doc_id']}, lines {c['other_line_start']}-{c['other_line_end']}"
                if c["other_doc_id"]
                else ""
            )
            + (f"; cannot be decided: {c['reason']}" if c["reason"] else ""),
        )
        for c in checks
        if c["verdict"] != "holds"
    ]
    return StageResult({"report_checks": checks}, flags)


def _one_line(rows: list[dict]) -> list[dict]:
    """A stated number sits on one raw line."""
    return [{**row, "line_end": row.get("line_end", row["line_start"])} for row in rows]


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with None, not NaN, for empty cells (as the stages wrote them)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
