"""Readers for tables flattened one cell per line, in the two layouts of the sources.

* **Pipe layout** (PDF extraction): every cell is one line ``<text> |``; a lone
  ``|`` line is the empty remainder of a vertically merged cell; a cell split
  over two lines ends with the lone bar (``生活品质`` / ``|``).
* **Blank-line layout** (web page): every cell is one line and cells are
  separated by blank lines; an NBSP-only line is an empty cell; a cell may span
  two lines (``平安办`` / ``(人口办)``; a bracketed line continues the cell above).

Both readers return :class:`Cell` objects carrying their raw line. :func:`split_tables`
finds headers (a run of known column names), and :func:`parse_rows` cuts the
cells after a header into rows at each row key (the next 序号, or a year), with
the merged category cell of a group forward-filled. Anything that does not fit
raises a :class:`BuildError` naming the source, the line and what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from streetlib.clean import normalise
from streetlib.errors import BuildError, located
from streetlib.stage import DocumentContext, StageResult

# Header text -> canonical column. A header cell may be damaged ("年份 内容": a diagonal
# corner cell) or split over two lines ("十四五" / "目标值"); both are repaired by rule.
COLUMN_NAMES = {
    "类别": "category",
    "版块": "category",
    "序号": "seq",
    "重点任务": "task",
    "指标": "indicator",
    "主要内容": "content",
    "具体内容": "content",
    "牵头部门": "departments",
    "责任单位": "departments",
    "属性": "attribute",
    "目标值": "target",
    "十四五目标值": "target",
    "商铺地址": "address",
    "建筑面积(m²)": "area_m2",
    "租金(元/月)": "rent_yuan_month",
    "每平方租金(元/月)": "rent_per_m2_yuan_month",
    "年份": "year",
    "5万元以下项目数及金额": "small_projects",
    "公开招标项目数及金额": "tendered_projects",
    "总项目数": "total_projects",
    "总金额": "total_amount",
}
HEADER_START = frozenset({"category", "seq", "year"})
ROW_KEYS = ("seq", "year")
MIN_HEADER_CELLS = 3


@dataclass(frozen=True)
class Cell:
    text: str
    line: int  # raw line (1-based) where the cell starts
    line_end: int = 0

    @property
    def last_line(self) -> int:
        return self.line_end or self.line


@dataclass
class Table:
    """A header and the cells that follow it, up to the next header."""

    source: str
    columns: list[str]
    header: list[Cell]
    cells: list[Cell]
    notes: list[tuple[int, str, str]] = field(default_factory=list)  # (line, found, note)

    @property
    def line_start(self) -> int:
        return self.header[0].line

    @property
    def line_end(self) -> int:
        return (self.cells or self.header)[-1].last_line


@dataclass
class Row:
    key: Cell
    category: Cell | None
    values: dict[str, Cell]

    @property
    def line_start(self) -> int:
        return min([self.key.line, *(c.line for c in self.values.values())])

    @property
    def line_end(self) -> int:
        return max([self.key.last_line, *(c.last_line for c in self.values.values())])


def pipe_cells(lines: list[str], first_line: int) -> list[Cell]:
    """Cells of the pipe layout; ``lines[0]`` is raw line ``first_line``.

    Lines without a bar are the start of a cell split over lines: they join the
    next line that ends with a bar, or are closed by a lone bar.
    """
    cells: list[Cell] = []
    pending: tuple[str, int] | None = None
    for offset, raw in enumerate(lines):
        line_no, text = first_line + offset, normalise(raw)
        if not text:
            continue
        if text == "|":  # lone bar: closes a split cell, or is the rest of a merged cell
            if pending:
                cells.append(Cell(pending[0], pending[1], line_no))
                pending = None
        elif text.endswith("|"):
            start, prefix = (pending[1], pending[0]) if pending else (line_no, "")
            cells.append(Cell(prefix + text[:-1].strip(), start, line_no if pending else 0))
            pending = None
        else:
            pending = (pending[0] + text, pending[1]) if pending else (text, line_no)
    if pending:
        cells.append(Cell(pending[0], pending[1], first_line + len(lines) - 1))
    return cells


def blank_line_cells(lines: list[str], first_line: int) -> list[Cell]:
    """Cells of the blank-line layout; NBSP-only lines are empty cells."""
    cells: list[Cell] = []
    for offset, raw in enumerate(lines):
        if raw == "" or (raw.strip() == "" and "\u00a0" not in raw):
            continue
        text, line_no = normalise(raw), first_line + offset
        if text.startswith("(") and text.endswith(")") and cells and cells[-1].text:
            prev = cells.pop()  # a bracketed line continues the cell above: 平安办 / (人口办)
            cells.append(Cell(prev.text + text, prev.line, line_no))
        else:
            cells.append(Cell(text, line_no))
    return cells


def column_of(text: str) -> str | None:
    return COLUMN_NAMES.get(text.replace(" ", ""))


def split_tables(cells: list[Cell], source: str) -> list[Table]:
    """Split a stream of cells into tables at each header (a run of column names)."""
    starts = []
    i = 0
    while i < len(cells):
        header, notes, end = _read_header(cells, i)
        if header and column_of(cells[i].text.split(" ")[0]) in HEADER_START:
            starts.append((i, header, notes, end))
            i = end
        else:
            i += 1
    if starts and starts[0][0] > 0:
        stray = cells[0]
        raise BuildError(
            located(
                source,
                stray.line,
                f"{starts[0][0]} cells ({stray.text[:20]!r}…) come before the first table header",
                "A table has no header: restore it, or record the damage in data/raw/errata.csv.",
            )
        )
    tables = []
    for k, (_, header, notes, end) in enumerate(starts):
        stop = starts[k + 1][0] if k + 1 < len(starts) else len(cells)
        columns = [col for col, _ in header]
        tables.append(Table(source, columns, [c for _, c in header], cells[end:stop], notes))
    return tables


def _read_header(cells: list[Cell], i: int) -> tuple[list[tuple[str, Cell]], list[tuple[int, str, str]], int]:
    """Column names starting at ``cells[i]``; repairs split and damaged header cells."""
    header: list[tuple[str, Cell]] = []
    notes: list[tuple[int, str, str]] = []
    j = i
    while j < len(cells):
        text = cells[j].text
        column = column_of(text)
        if column is None and j + 1 < len(cells) and column_of(text + cells[j + 1].text):
            column = column_of(text + cells[j + 1].text)  # a header cell split over two lines
            notes.append((cells[j].line, f"{text} / {cells[j + 1].text}", "header cell split over two lines"))
            header.append((column, Cell(text + cells[j + 1].text, cells[j].line, cells[j + 1].line)))
            j += 2
            continue
        if column is None and " " in text and column_of(text.split(" ")[0]) and not header:
            column = column_of(text.split(" ")[0])  # diagonal corner cell "年份 内容"
            notes.append((cells[j].line, text, f"damaged header cell read as {text.split(' ')[0]}"))
        if column is None or column in {c for c, _ in header}:
            break
        header.append((column, cells[j]))
        j += 1
    if len(header) < MIN_HEADER_CELLS:
        return [], [], i
    return header, notes, j


def parse_rows(table: Table, *, layout: str) -> tuple[list[Row], list[Cell]]:
    """Rows of a table and the trailing cells after its last row (a summary row, say).

    A row starts at its key cell (序号 = the next expected integer, or a four-digit
    year) and holds one cell per remaining column. Cells between the last value
    of a row and the next key belong to the next group's category cell (pipe
    layout: one cell; blank-line layout: fragments joined, empty cells dropped).
    """
    key = next((c for c in ROW_KEYS if c in table.columns), None)
    if key is None:
        raise BuildError(
            located(
                table.source,
                table.line_start,
                "table header has no 序号 or 年份 column",
                "Check the header cells.",
            )
        )
    value_columns = [c for c in table.columns if c not in ("category", key)]
    has_category = "category" in table.columns
    # blank-line layout: empty (NBSP) cells are remainders of merged cells or stray spacers
    cells = [c for c in table.cells if c.text] if layout == "blank" else list(table.cells)

    def is_key(cell: Cell, expected: int) -> bool:
        return cell.text == str(expected) if key == "seq" else bool(re.fullmatch(r"(19|20)\d{2}", cell.text))

    rows: list[Row] = []
    expected = 1
    category: Cell | None = None
    i = 0
    pending: list[Cell] = []
    while i < len(cells):
        if not is_key(cells[i], expected):
            pending.append(cells[i])
            i += 1
            continue
        if pending:
            category = _category(pending, table, has_category, rows, layout)
        pending = []
        j = i + 1
        while j < len(cells) and not is_key(cells[j], expected + 1 if key == "seq" else 0):
            j += 1
        body = cells[i + 1 : j]
        if len(body) < len(value_columns):
            raise BuildError(
                located(
                    table.source,
                    cells[i].line,
                    f"row {cells[i].text} has {len(body)} cells, the header has {len(value_columns)} "
                    f"({', '.join(value_columns)})",
                    "A cell is missing or a sequence number jumps: add the row to data/raw/errata.csv "
                    "as a flag and fix the table, or check the header.",
                )
            )
        values = dict(zip(value_columns, body[: len(value_columns)], strict=True))
        if has_category and category is None:
            raise BuildError(
                located(table.source, cells[i].line, f"row {cells[i].text} has no category", "Check the table.")
            )
        rows.append(Row(cells[i], category, values))
        pending = body[len(value_columns) :]
        expected += 1
        i = j
    if not rows:
        raise BuildError(located(table.source, table.line_start, "table has a header but no rows", "Check the table."))
    return rows, pending


def parse_complete_rows(table: Table, *, layout: str) -> list[Row]:
    """:func:`parse_rows` for tables that end with their last row: trailing cells are an error."""
    rows, trailing = parse_rows(table, layout=layout)
    if trailing:
        raise BuildError(
            located(
                table.source,
                trailing[0].line,
                f"{len(trailing)} cells ({trailing[0].text[:15]!r}…) after row {rows[-1].key.text}, the last row found",
                "A sequence number jumps or the table has extra cells: check the numbering from this line.",
            )
        )
    return rows


def _category(pending: list[Cell], table: Table, has_category: bool, rows: list[Row], layout: str) -> Cell:
    if not has_category:
        at = pending[0].line
        raise BuildError(
            located(
                table.source,
                at,
                f"{len(pending)} cells ({pending[0].text!r}…) do not fit the row before them",
                "A cell is missing or a sequence number jumps; check the row above this line.",
            )
        )
    if layout == "pipe" and len(pending) != 1:
        raise BuildError(
            located(
                table.source,
                pending[0].line,
                f"{len(pending)} cells between rows where one category cell was expected "
                f"({', '.join(c.text[:10] for c in pending)})",
                "A row has an extra cell or a sequence number jumps; check these lines.",
            )
        )
    return Cell("".join(c.text for c in pending), pending[0].line, pending[-1].last_line)


@dataclass
class FoundTable:
    """A table found in a document, with its layout and the title line right above it."""

    doc_id: str
    table: Table
    layout: str
    adjacent_title: str | None
    adjacent_title_line: int | None


def document_tables(doc_id: str, source: str, regions: list, lines: list[str], first_line: int) -> list[FoundTable]:
    """Every table in a document's ``table`` regions, in line order.

    ``regions`` are the document's :class:`streetlib.structure.Region` objects,
    ``lines`` its raw lines (errata applied), ``lines[0]`` being raw line ``first_line``.
    """
    found: list[FoundTable] = []
    previous = None
    for region in regions:
        if region.kind == "table":
            chunk = lines[region.line_start - first_line : region.line_end - first_line + 1]
            piped = any(line.rstrip().endswith("|") for line in chunk)
            layout = "pipe" if piped else "blank"
            cells = (pipe_cells if piped else blank_line_cells)(chunk, region.line_start)
            tables = split_tables(cells, source)
            if not tables:
                raise BuildError(
                    located(
                        source,
                        region.line_start,
                        "table region has no header (a run of column names such as 类别 / 序号 / 重点任务)",
                        "Add the header cells' names to streetlib.tables.COLUMN_NAMES if they are new, "
                        "or record the damage in data/raw/errata.csv.",
                    )
                )
            for k, table in enumerate(tables):
                title = previous if (k == 0 and previous is not None and previous.kind == "table_title") else None
                found.append(
                    FoundTable(
                        doc_id,
                        table,
                        layout,
                        title.text if title else None,
                        title.line_start if title else None,
                    )
                )
        previous = region
    return found


def extract(ctx: DocumentContext) -> StageResult:
    """Stage: find the document's tables by shape and leave them on ``ctx`` (rows come from later stages)."""
    ctx.tables = document_tables(ctx.doc_id, ctx.source, ctx.regions, ctx.lines, ctx.doc.line_start)
    return StageResult()
