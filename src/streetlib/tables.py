"""Tables recognised by their shape and understood through the header lexicon.

Three layouts of flattened tables are read, whatever their words:

* **Pipe layout** (PDF extraction): every cell is one line ``<text> |``; a lone
  ``|`` line is the empty remainder of a vertically merged cell; a cell split
  over two lines ends with the lone bar (``生活品质`` / ``|``).
* **Blank-line layout** (web page): every cell is one line and cells are
  separated by blank lines; an NBSP-only line is an empty cell; a cell may span
  two lines (``平安办`` / ``(人口办)``; a bracketed line continues the cell above).
* **Row layout** (web page, markdown): one row per line, cells separated by
  `` | `` (outer bars optional); the first line is the header; an empty
  category cell is a merged cell.

:func:`table_line_flags` tells the structure stage which lines are table lines:
pipe cells, row-layout lines that come in pairs or more, and blank-line grids
(two header words of the lexicon, or six short cells under a ``表N`` title, up to
the first heading, long sentence or break in the blank-line rhythm; or, whatever
the words, a header of N short cells followed by rows numbered 1, 2, … every N
cells: :func:`keyed_grid`, whose header is then read by shape too).
A row-layout header whose cells continue on the next line (``重点 | 牵头`` over
`` | 项目 | 领导``) is joined into one header (:func:`_joined_header`).

Header words map to canonical columns through ``data/lexicon/table_headers.csv``
(header, column, table_kind, note); a word the lexicon does not know is kept as
its own column and flagged, never an error. In the cell-per-line layouts
:func:`split_tables` finds headers (a run of known column names, extended by
shape over unknown cells up to the first row key), and :func:`parse_rows` cuts
the cells after a header into rows at each row key (the next 序号, or a year),
with the merged category cell of a group forward-filled. A table region without
a header, and every table that is neither a task nor an indicator table (page
metadata, a budget), is kept cell by cell in ``table_cells`` with a flag saying
why (:func:`table_cell_rows`). A row that does not fit its header raises a
:class:`BuildError` naming the source, the line and what to do.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from streetlib import config, reviewed
from streetlib.clean import normalise
from streetlib.datasets import quality_flag
from streetlib.errors import BuildError, StreetlibError, located
from streetlib.stage import DocumentContext, StageResult

HEADER_FILE = "table_headers.csv"
TABLE_KINDS = ("task", "indicator", "report", "page_metadata", "any")
HEADER_START = frozenset({"category", "seq", "year"})
ROW_KEYS = ("seq", "year")
MIN_HEADER_CELLS = 3
MIN_METADATA_HEADERS = 2
YEAR_CELL = re.compile(r"(19|20)\d{2}")
# the row layout: a line with at least one inner bar ("a | b", "| a | b |")
ROW_LINE = re.compile(r"\S\s*\|\s*\S")
MAX_CELL_CHARS = 40
# a grid found by its shape alone (keyed_grid): header cells are words, body cells at most a sentence or two
MAX_HEADER_CHARS = 12
MAX_GRID_CELL_CHARS = 120
MAX_GRID_COLUMNS = 12
MAX_GRID_ROWS = 200
MIN_TITLED_GRID_CELLS = 6
MAX_TITLE_CHARS = 60
TRAILING_BRACKET = re.compile(r"\([^()]*\)$")
# a heading (一、, (一), 第一章, 第一节) ends a blank-line grid
MAJOR_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}、|\([一二三四五六七八九十]{1,3}\)|第[一二三四五六七八九十百\d]{1,4}[章节条部分篇])"
)
TABLE_TITLE_LINE = re.compile(r"^表\s*\d+[:\s]")
HEADER_TWO_LINES = "header row spanning two lines, its cells joined"


@dataclass(frozen=True)
class HeaderLexicon:
    """Header words -> ``(column, table_kind)``: exact words, then regular expressions (rows starting ``^``)."""

    words: dict[str, tuple[str, str]]
    patterns: tuple[tuple[re.Pattern[str], str, str], ...] = ()

    def lookup(self, text: str) -> tuple[str, str] | None:
        """``(column, table_kind)`` of a header word; a trailing bracket (基期值(2020年)) is tried without it."""
        key = text.replace(" ", "")
        for word in dict.fromkeys([key, TRAILING_BRACKET.sub("", key)]):
            if word in self.words:
                return self.words[word]
            found = next(((column, kind) for pattern, column, kind in self.patterns if pattern.search(word)), None)
            if found:
                return found
        return None

    def column(self, text: str) -> str | None:
        found = self.lookup(text)
        return found[0] if found else None


@functools.lru_cache(maxsize=8)
def _read_headers(path: Path, stamp: float) -> HeaderLexicon:
    words: dict[str, tuple[str, str]] = {}
    patterns = []
    for i, row in reviewed.read_lexicon(path.stem, path.parent):
        header, column, kind = (row.get(k, "") or "" for k in ("header", "column", "table_kind"))
        if not header or not re.fullmatch(r"[a-z][a-z0-9_]*", column):
            raise BuildError(
                located(path, i, f"row {header!r} -> {column!r} is incomplete", "Give a header and a column.")
            )
        if kind not in TABLE_KINDS:
            raise BuildError(located(path, i, f"table_kind {kind!r} is unknown", f"Use one of {TABLE_KINDS}."))
        if header.startswith("^"):
            try:
                patterns.append((re.compile(header), column, kind))
            except re.error as exc:
                raise BuildError(located(path, i, f"bad regular expression ({exc})", "Fix the pattern.")) from exc
        elif words.setdefault(header, (column, kind)) != (column, kind):
            raise BuildError(
                located(path, i, f"{header!r} already maps to {words[header][0]!r}", "Map a word to one column.")
            )
    return HeaderLexicon(words, tuple(patterns))


def load_table_headers(lexicon: Path | None = None) -> HeaderLexicon:
    """The header lexicon ``data/lexicon/table_headers.csv`` (checked row by row)."""
    path = (lexicon or config.lexicon_dir()) / HEADER_FILE
    if not path.is_file():
        raise BuildError(located(path, None, "the header lexicon is missing", "Restore it from the repository."))
    return _read_headers(path, path.stat().st_mtime)


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
    """A header and the cells that follow it, up to the next header.

    ``columns`` are canonical names; a header word the lexicon does not know is
    its own column name (the word itself) and is listed in ``unknown``.
    """

    source: str
    columns: list[str]
    header: list[Cell]
    cells: list[Cell]
    notes: list[tuple[int, int, str, str]] = field(default_factory=list)  # (first line, last line, found, note)
    unknown: list[str] = field(default_factory=list)

    @property
    def line_start(self) -> int:
        return (self.header or self.cells)[0].line

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


def is_row_line(line: str) -> bool:
    """A line of the row layout: cells separated by an inner bar (``序号 | 工作项目 | …``)."""
    return bool(ROW_LINE.search(line))


def table_line_flags(texts: list[str], headers: HeaderLexicon | None = None) -> list[bool]:
    """Which lines (normalised text) are table lines, by their shape.

    A pipe-layout cell (ends in ``|``) or a row-layout line (:func:`is_row_line`) next
    to another one (blank lines between allowed); and a blank-line grid: a header word of a row key or category column
    followed by another header word, then short cells (blank lines between
    allowed) up to the first line that is no cell.
    """
    headers = headers or load_table_headers()
    rows = [is_row_line(t) for t in texts]
    nonblank = [k for k, t in enumerate(texts) if t]
    # a row-layout grid has a header and a row: a lone 'a | b' line (网站地图 | 联系我们) is no table
    paired = {k for pair in pairwise(nonblank) if rows[pair[0]] and rows[pair[1]] for k in pair}
    flags = [t.endswith("|") or k in paired for k, t in enumerate(texts)]
    i = 0
    while i < len(texts):
        titled = bool(TABLE_TITLE_LINE.match(texts[i]))
        start = next((k for k in range(i + 1, len(texts)) if texts[k]), len(texts)) if titled else i
        by_shape = start < len(texts) and not flags[start] and keyed_grid(texts, start) is not None
        if by_shape or (
            start < len(texts) and not flags[start] and _starts_blank_grid(texts, start, headers, titled=titled)
        ):
            i = start
            while i < len(texts) and not flags[i] and (not texts[i] or _is_cell_text(texts[i])):
                if texts[i] and i > start and i + 1 < len(texts) and texts[i + 1] and not texts[i + 1].startswith("("):
                    break  # two lines with no blank between: the blank-line rhythm ends (a signature, a heading)
                flags[i] = bool(texts[i])
                i += 1
            # a grid whose rows are numbered 1, 2, 3 … at a fixed number of cells extends over every row, even
            # over a cell that is a sentence (建设内容: 新建…1家。)
            if grid := keyed_grid(texts, start):
                for k in grid.lines:
                    flags[k] = True
                i = max(i, grid.lines[-1] + 1)
        i += 1
    return flags


@dataclass(frozen=True)
class KeyedGrid:
    """A blank-line grid recognised by its shape alone: a header of ``width`` short cells, then rows of
    ``width`` cells each opening with the row key 1, 2, 3 …; ``lines`` are the indices of its cell lines."""

    width: int
    n_rows: int
    lines: tuple[int, ...]


def keyed_grid(texts: list[str], start: int) -> KeyedGrid | None:
    """The blank-line grid starting at ``texts[start]`` by shape, whatever its words, or ``None``.

    The cells are the non-blank lines from ``start`` while blank lines separate them (a bracketed line
    continues its cell) and no heading or over-long line interrupts them. The grid is there when the
    first ``width`` cells are short header cells (no full stop) and the cells that follow are at least
    two rows numbered 1, 2, … every ``width`` cells (``MIN_HEADER_CELLS`` ≤ ``width`` ≤ ``MAX_GRID_COLUMNS``).
    """
    head = [texts[c[0]] for c in _blank_rhythm(texts, start, limit=MAX_GRID_COLUMNS + 1)]
    width = head.index("1") if "1" in head else 0
    if not MIN_HEADER_CELLS <= width <= MAX_GRID_COLUMNS or not all(map(_is_header_shape, head[:width])):
        return None
    cells = _blank_rhythm(texts, start, limit=(MAX_GRID_COLUMNS + 1) * MAX_GRID_ROWS)
    n_rows = 0
    while (width + 1) * (n_rows + 1) <= len(cells) and texts[cells[width * (n_rows + 1)][0]] == str(n_rows + 1):
        n_rows += 1
    if n_rows < 2:
        return None
    return KeyedGrid(width, n_rows, tuple(k for cell in cells[: width * (n_rows + 1)] for k in cell))


def _blank_rhythm(texts: list[str], start: int, *, limit: int) -> list[list[int]]:
    """The cells (their line indices) from ``start`` that keep the blank-line rhythm (see :func:`keyed_grid`)."""
    cells: list[list[int]] = []
    k = start
    while k < len(texts):
        text = texts[k]
        if not text:
            k += 1
            continue
        if cells and k == cells[-1][-1] + 1:
            if not text.startswith("("):
                break  # two lines with no blank between: the rhythm ends
            cells[-1].append(k)  # a bracketed line continues the cell above: 平安办 / (人口办)
        elif len(cells) == limit or not _is_grid_cell(text):
            break
        else:
            cells.append([k])
        k += 1
    return cells


def _is_grid_cell(text: str) -> bool:
    """A cell of a grid found by shape: not a heading, an over-long paragraph or a line of another layout."""
    return len(text) <= MAX_GRID_CELL_CHARS and not (
        MAJOR_HEADING.match(text) or is_row_line(text) or text.endswith("|")
    )


def _is_header_shape(text: str) -> bool:
    return 0 < len(text) <= MAX_HEADER_CHARS and not any(p in text for p in "。,;:")


def _starts_blank_grid(texts: list[str], i: int, headers: HeaderLexicon, *, titled: bool) -> bool:
    """A blank-line grid starts here: two header words, or (under a 表N title) a run of short cells."""
    cells = [t for t in texts[i : i + 2 * MIN_TITLED_GRID_CELLS + 1] if t]
    if titled:
        run = cells[:MIN_TITLED_GRID_CELLS]
        blank_between = all(not t for t in texts[i + 1 : i + 2 * MIN_TITLED_GRID_CELLS : 2])
        return len(run) == MIN_TITLED_GRID_CELLS and all(map(_is_cell_text, run)) and blank_between
    if headers.column(texts[i]) not in HEADER_START or len(cells) < 2:
        return False
    return headers.column(cells[1]) is not None and _is_cell_text(cells[1])


def _is_cell_text(text: str) -> bool:
    return len(text) <= MAX_CELL_CHARS and "。" not in text and not MAJOR_HEADING.match(text)


def row_line_cells(lines: list[str], first_line: int) -> list[list[Cell]]:
    """Rows of the row layout, one list of cells per line; outer bars are optional.

    A line that opens with a bar but does not end with one starts with an empty cell.

    A line without a bar continues the last cell of the row above (a wrapped cell).
    """
    rows: list[list[Cell]] = []
    for offset, raw in enumerate(lines):
        text, line_no = normalise(raw), first_line + offset
        if not text or set(text) <= set("|-: "):  # blank, or a markdown rule |---|---|
            continue
        if "|" not in text and rows:
            last = rows[-1][-1]
            rows[-1][-1] = Cell(last.text + text, last.line, line_no)
            continue
        # outer bars are dropped (| a | b |, a | b |); a bar that only opens the line is an empty first cell
        # (| 2 | b: a merged category cell)
        inner = text[1:] if text.startswith("|") and text.endswith("|") else text
        parts = inner.removesuffix("|").split("|")
        rows.append([Cell(part.strip(), line_no) for part in parts])
    return rows


def column_of(text: str, headers: HeaderLexicon | None = None) -> str | None:
    """Canonical column of a header word, or ``None`` if the lexicon does not know it."""
    return (headers or load_table_headers()).column(text)


def split_tables(cells: list[Cell], source: str, headers: HeaderLexicon | None = None) -> list[Table]:
    """Split a stream of cells into tables at each header (a run of column names).

    Cells before the first header are returned as a table without a header
    (``columns == []``), to be kept as cells and flagged.
    """
    headers = headers or load_table_headers()
    starts = []
    i = 0
    while i < len(cells):
        header, notes, end = _read_header(cells, i, headers)
        if header and headers.column(cells[i].text.split(" ")[0]) in HEADER_START:
            starts.append((i, header, notes, end))
            i = end
        else:
            i += 1
    if not starts and (shaped := _shape_header(cells, headers)):
        starts.append(shaped)
    tables = []
    if not starts or starts[0][0] > 0:
        tables.append(Table(source, [], [], cells[: starts[0][0] if starts else len(cells)]))
    for k, (_, header, notes, end) in enumerate(starts):
        stop = starts[k + 1][0] if k + 1 < len(starts) else len(cells)
        columns = [col for col, _ in header]
        unknown = [col for col, c in header if col == c.text or col.startswith(f"{c.text}@")]
        tables.append(Table(source, columns, [c for _, c in header], cells[end:stop], notes, unknown))
    return [t for t in tables if t.header or t.cells]


def _shape_header(
    cells: list[Cell], headers: HeaderLexicon
) -> tuple[int, list[tuple[str, Cell]], list[tuple[int, str, str]], int] | None:
    """A header found by shape when its words are not all known (see :func:`keyed_grid`): the cells before
    the first row key ``1``, when every row that follows has as many cells. The first column holds the row
    keys (its word read as 序号); an unknown word names its own column."""
    texts = [c.text for c in cells if c.text]
    width = texts.index("1") if "1" in texts else 0
    if not MIN_HEADER_CELLS <= width <= MAX_GRID_COLUMNS or not all(map(_is_header_shape, texts[:width])):
        return None
    if len(texts) < 2 * (width + 1) or texts[2 * width] != "2":
        return None
    header: list[tuple[str, Cell]] = []
    for position, cell in enumerate([c for c in cells if c.text][:width], start=1):
        name = "seq" if position == 1 else headers.column(cell.text) or cell.text
        header.append((f"{cell.text}@{position}" if name in {n for n, _ in header} else name, cell))
    first = cells.index(next(c for c in cells if c.text == "1"))
    return 0, header, [(cells[0].line, cells[0].text, "header found by shape (rows numbered 1, 2, …)")], first


def _read_header(
    cells: list[Cell], i: int, headers: HeaderLexicon
) -> tuple[list[tuple[str, Cell]], list[tuple[int, str, str]], int]:
    """Column names starting at ``cells[i]``; repairs split and damaged header cells.

    By shape, the header then extends over unknown short cells up to the first
    row key (the cell ``1``, or a year), less the first category cell when the
    header has a category column.
    """
    header: list[tuple[str, Cell]] = []
    notes: list[tuple[int, int, str, str]] = []
    j = i
    while j < len(cells):
        text = cells[j].text
        column = headers.column(text)
        if column is None and j + 1 < len(cells) and headers.column(text + cells[j + 1].text):
            column = headers.column(text + cells[j + 1].text)  # a header cell split over two lines
            split = f"{text} / {cells[j + 1].text}"
            notes.append((cells[j].line, cells[j + 1].last_line, split, "header cell split over two lines"))
            header.append((column, Cell(text + cells[j + 1].text, cells[j].line, cells[j + 1].line)))
            j += 2
            continue
        if column is None and " " in text and headers.column(text.split(" ")[0]) and not header:
            column = headers.column(text.split(" ")[0])  # diagonal corner cell "年份 内容"
            notes.append((cells[j].line, cells[j].last_line, text, f"damaged header cell read as {text.split(' ')[0]}"))
        if column is None or column in {c for c, _ in header}:
            break
        header.append((column, cells[j]))
        j += 1
    extra = _unknown_header_cells(cells, j, header, headers) if len(header) >= 2 else []
    if len(header) + len(extra) < MIN_HEADER_CELLS:
        return [], [], i
    return header + extra, notes, j + len(extra)


def _unknown_header_cells(
    cells: list[Cell], j: int, header: list[tuple[str, Cell]], headers: HeaderLexicon
) -> list[tuple[str, Cell]]:
    """Header cells after the first unknown word: the short cells before the first row key.

    Taken only when the shape confirms them: the first row (key ``1`` or a year up
    to the next key) has one cell per value column of the extended header.
    """
    columns = {c for c, _ in header}
    key_column = next((c for c in ROW_KEYS if c in columns), None)
    if key_column is None:
        return []
    keys = [k for k in range(j, len(cells)) if _is_key_text(cells[k].text, key_column, 1)]
    if not keys:
        return []
    first = keys[0]
    extra = cells[j:first][: -1 if "category" in columns else None]
    named = [(headers.column(c.text) or c.text, c) for c in extra]
    if not extra or any(not c.text or len(c.text) > 12 or col in columns for col, c in named):
        return []
    n_values = len(header) + len(extra) - 1 - ("category" in columns)
    following = next((k for k in range(first + 1, len(cells)) if _is_key_text(cells[k].text, key_column, 2)), None)
    width = (following if following is not None else first + 1 + n_values) - first - 1
    if width - n_values not in ((0, 1) if "category" in columns else (0,)):
        return []
    return named


def _is_key_text(text: str, key_column: str, number: int) -> bool:
    return text == str(number) if key_column == "seq" else bool(YEAR_CELL.fullmatch(text))


def parse_rows(table: Table, *, layout: str) -> tuple[list[Row], list[Cell]]:
    """Rows of a table and the trailing cells after its last row (a summary row, say).

    A row starts at its key cell (序号 = the next expected integer, or a four-digit
    year) and holds one cell per remaining column. Cells between the last value
    of a row and the next key belong to the next group's category cell (pipe
    layout: one cell; blank-line layout: fragments joined, empty cells dropped).
    In the row layout a row is a line.
    """
    if layout == "row":
        return _parse_line_rows(table), []
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
        return cell.text == str(expected) if key == "seq" else bool(YEAR_CELL.fullmatch(cell.text))

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


def _parse_line_rows(table: Table) -> list[Row]:
    """Rows of the row layout: one line each; an empty category cell continues the group above."""
    by_line: dict[int, list[Cell]] = {}
    for cell in table.cells:
        by_line.setdefault(cell.line, []).append(cell)
    key_column = next((c for c in ROW_KEYS if c in table.columns), None)
    rows: list[Row] = []
    category: Cell | None = None
    for cells in by_line.values():
        if len(cells) != len(table.columns):
            raise BuildError(
                located(
                    table.source,
                    cells[0].line,
                    f"row has {len(cells)} cells, the header has {len(table.columns)} ({', '.join(table.columns)})",
                    "A cell or a bar is missing: fix the row in data/raw/errata.csv, or check the header.",
                )
            )
        values = dict(zip(table.columns, cells, strict=True))
        if "category" in values:
            found = values.pop("category")
            category = found if found.text else category
        key = values.pop(key_column) if key_column else Cell(str(len(rows) + 1), cells[0].line)
        rows.append(Row(key, category, values))
    if not rows:
        raise BuildError(located(table.source, table.line_start, "table has a header but no rows", "Check the table."))
    return rows


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
    """A table found in a document, with its layout, its kind and the title line right above it.

    ``kind`` is ``task``, ``indicator``, ``report`` or ``page_metadata`` (from the
    header lexicon), ``other`` for a header of no known kind, ``no_header``.
    """

    doc_id: str
    table: Table
    layout: str
    adjacent_title: str | None
    adjacent_title_line: int | None
    kind: str = "other"
    table_id: str = ""


def table_kind(table: Table, headers: HeaderLexicon | None = None) -> str:
    """What a table is, from its columns and the kinds of its header words (see :class:`FoundTable`)."""
    headers = headers or load_table_headers()
    columns = set(table.columns)
    if not table.header:
        return "no_header"
    if "task" in columns and columns & {"lead", "responsible", "co"}:
        return "task"
    if "indicator" in columns and columns & {"target", "baseline"}:
        return "indicator"
    kinds = [found[1] for found in map(headers.lookup, (c.text for c in table.header)) if found]
    if kinds.count("page_metadata") >= MIN_METADATA_HEADERS:
        return "page_metadata"
    if "report" in kinds:
        return "report"
    return "other"


def document_tables(
    doc_id: str,
    source: str,
    regions: list,
    lines: list[str],
    first_line: int,
    *,
    headers: HeaderLexicon | None = None,
) -> list[FoundTable]:
    """Every table in a document's ``table`` regions, in line order.

    ``regions`` are the document's :class:`streetlib.structure.Region` objects,
    ``lines`` its raw lines (errata applied), ``lines[0]`` being raw line ``first_line``.
    A region without a header is returned as a table of kind ``no_header``.
    """
    headers = headers or load_table_headers()
    found: list[FoundTable] = []
    previous = None
    for region in regions:
        if region.kind == "table":
            chunk = lines[region.line_start - first_line : region.line_end - first_line + 1]
            for k, (table, layout) in enumerate(_region_tables(chunk, region.line_start, source, headers)):
                title = previous if k == 0 and _is_title_above(previous, region) else None
                found.append(
                    FoundTable(
                        doc_id,
                        table,
                        layout,
                        title.text if title else None,
                        title.line_start if title else None,
                        table_kind(table, headers),
                        f"{doc_id}:tab{len(found) + 1:02d}",
                    )
                )
        previous = region
    return found


def _is_title_above(previous, region) -> bool:
    """A table title region, or a short line without a full stop right above the table (附件:…任务清单)."""
    if previous is None:
        return False
    if previous.kind == "table_title":
        return True
    return (
        previous.kind in ("title", "paragraph")
        and previous.line_end == region.line_start - 1
        and len(previous.text) <= MAX_TITLE_CHARS
        and "。" not in previous.text
    )


def _region_tables(chunk: list[str], first_line: int, source: str, headers: HeaderLexicon) -> list[tuple[Table, str]]:
    texts = [line for line in chunk if line.strip()]
    if texts and sum(map(is_row_line, texts)) * 2 > len(texts):
        return [(t, "row") for t in _row_tables(row_line_cells(chunk, first_line), source, headers)]
    piped = any(line.rstrip().endswith("|") for line in chunk)
    cells = (pipe_cells if piped else blank_line_cells)(chunk, first_line)
    return [(t, "pipe" if piped else "blank") for t in split_tables(cells, source, headers)]


def _row_tables(rows: list[list[Cell]], source: str, headers: HeaderLexicon) -> list[Table]:
    """Tables of the row layout: a header line, then its rows; a new header line starts a new table."""
    tables: list[Table] = []
    rows = list(rows)
    notes: list[tuple[int, str, str]] = []
    for k in range(len(rows) - 1, 0, -1):  # a header row whose cells continue on the next line: one header
        if joined := _joined_header(rows[k - 1], rows[k], headers):
            notes.append((rows[k - 1][0].line, " / ".join(f"{a.text}+{b.text}" for a, b in joined), HEADER_TWO_LINES))
            rows[k - 1 : k + 1] = [[Cell(a.text + b.text, a.line, b.line) for a, b in joined]]
    for row in rows:
        known = [headers.column(c.text) for c in row]
        n_known = sum(k is not None for k in known)
        if not tables or (n_known >= MIN_METADATA_HEADERS and n_known * 2 > len(row) and not row[0].text.isdigit()):
            columns: list[str] = []
            unknown: list[str] = []
            for position, (k, c) in enumerate(zip(known, row, strict=True), start=1):
                name = k or c.text
                if name in columns:  # a second 2021年 baseline, or two empty header cells: kept apart, not read
                    name = f"{c.text}@{position}"
                columns.append(name)
                if k is None:
                    unknown.append(name)
            own = [n for n in notes if n[0] == row[0].line]
            tables.append(Table(source, columns, list(row), [], own, unknown))
        else:
            tables[-1].cells.extend(row)
    return tables


def _joined_header(upper: list[Cell], lower: list[Cell], headers: HeaderLexicon) -> list[tuple[Cell, Cell]] | None:
    """The cells of a header row spanning two lines (``重点 | 牵头`` over `` | 项目 | 领导``), paired, or ``None``.

    By shape: the lower line has as many cells, no row key (its first cell is empty), only short cells, and
    joining each cell to the one above it makes more header words known to the lexicon than the upper line has,
    and at least half of them.
    """
    if len(upper) != len(lower) or lower[0].text or not all(_is_header_shape(c.text) for c in lower if c.text):
        return None
    alone = sum(headers.column(c.text) is not None for c in upper)
    joined = sum(headers.column(a.text + b.text) is not None for a, b in zip(upper, lower, strict=True))
    return list(zip(upper, lower, strict=True)) if joined > alone and 2 * joined >= len(upper) else None


# the columns the task and indicator stages read; cells of any other column go to table_cells
READ = {
    "task": frozenset({"category", "seq", "task", "content", "lead", "responsible", "co", "deadline"}),
    "indicator": frozenset(
        {"category", "seq", "indicator", "unit", "attribute", "lead", "responsible", "baseline", "target"}
    ),
}
TABLE_CELL_COLUMNS = ("doc_id", "table_id", "row", "column", "header", "text", "line_start", "line_end")
NOT_PARSED = {
    "page_metadata": "page metadata of a web page (header words of kind page_metadata in data/lexicon/{file}); "
    "kept in table_cells",
    "other": "neither a task nor an indicator table; kept in table_cells. If it is one, map its header words "
    "in data/lexicon/{file}",
    "report": "a table with a report's header words outside a research report; kept in table_cells",
    "no_header": "no header row was recognised (no run of known header words); kept in table_cells. Add the "
    "header words to data/lexicon/{file} if they are new, or record the damage in data/raw/errata.csv",
}


def table_cell_rows(
    doc_id: str, source: str, found: list[FoundTable], *, read_by_report: bool = False
) -> tuple[list[dict], list[dict]]:
    """Rows of ``table_cells`` and flags for what the task and indicator stages do not read.

    Kept, with a ``table_not_parsed`` flag saying why: every table of kind
    ``page_metadata``, ``other`` or ``no_header``, and of kind ``report`` unless the
    document is a research report (``read_by_report``: the report stage reads it).
    Kept too: the cells of a task or indicator table's columns that its stage does
    not read, with one flag per column (``table_header_unknown`` for a word the
    lexicon does not know, ``table_column_unread`` for a known one, 目标值 in a task list).
    """
    rows: list[dict] = []
    flags: list[dict] = []
    for f in found:
        table = f.table
        if f.kind in ("task", "indicator"):
            unread = [(col, c) for col, c in zip(table.columns, table.header, strict=True) if col not in READ[f.kind]]
            flags += [_unread_flag(doc_id, source, f, col, cell) for col, cell in unread]
            if unread:
                rows += _all_cells(f, only={col for col, _ in unread})
        elif f.kind in NOT_PARSED and not (f.kind == "report" and read_by_report):
            found_text = " | ".join(c.text for c in (table.header or table.cells[:4]))
            flags.append(
                quality_flag(
                    doc_id,
                    source,
                    table.line_start,
                    table.line_end,
                    "table_not_parsed",
                    found_text[:60],
                    f"{f.table_id}: " + NOT_PARSED[f.kind].format(file=HEADER_FILE),
                )
            )
            rows += _all_cells(f)
    return rows, flags


def _unread_flag(doc_id: str, source: str, found: FoundTable, column: str, cell: Cell) -> dict:
    if column in found.table.unknown:
        kind, what = "table_header_unknown", f"header word not in data/lexicon/{HEADER_FILE}"
        fix = "Map it to a column there to read it"
    else:
        kind, what = (
            "table_column_unread",
            f"the {found.kind} stage does not read this column (or a second one like it)",
        )
        fix = "Extend the stage if the column matters"
    note = f"{what}; its cells are kept in table_cells ({found.table_id}). {fix}"
    return quality_flag(doc_id, source, cell.line, cell.last_line, kind, cell.text, note)


def _all_cells(found: FoundTable, only: set[str] | None = None) -> list[dict]:
    """Every cell of a table: the header as row 0, then the rows when they can be cut, else the cells in order.

    With ``only``, the body cells of those columns alone.
    """
    table = found.table
    out = [] if only else [_cell_row(found, 0, k, c) for k, c in enumerate(table.header)]
    try:
        rows, trailing = parse_rows(table, layout=found.layout) if table.header else ([], table.cells)
    except StreetlibError:
        rows, trailing = [], table.cells
    key = next((c for c in ROW_KEYS if c in table.columns), None)
    previous = None
    for number, row in enumerate(rows, start=1):
        cells = [(key, row.key)] if key else []
        if row.category is not None and row.category is not previous:  # a merged cell is listed once
            cells.append(("category", row.category))
        previous = row.category
        cells += list(row.values.items())
        for column, cell in sorted(cells, key=lambda cc: table.columns.index(cc[0])):
            if only is None or column in only:
                out.append(_cell_row(found, number, table.columns.index(column), cell))
    out += [_cell_row(found, None, None, c) for c in trailing if c.text and only is None]
    return out


def _cell_row(found: FoundTable, row: int | None, index: int | None, cell: Cell) -> dict:
    """A ``table_cells`` row; ``index`` is the cell's column position (``None`` where rows could not be cut)."""
    name = found.table.columns[index] if index is not None else None
    understood = name is not None and name not in found.table.unknown and "@" not in name
    return {
        "doc_id": found.doc_id,
        "table_id": found.table_id,
        "row": row,
        "column": name if understood else None,
        "header": found.table.header[index].text if index is not None else None,
        "text": cell.text,
        "line_start": cell.line,
        "line_end": cell.last_line,
    }


def extract(ctx: DocumentContext) -> StageResult:
    """Stage: find the document's tables by shape and leave them on ``ctx`` for the task, indicator and
    report stages; keep what none of them reads in ``table_cells``, flagged."""
    headers = ctx.lexicon.table_headers
    ctx.tables = document_tables(ctx.doc_id, ctx.source, ctx.regions, ctx.lines, ctx.doc.line_start, headers=headers)
    cells, flags = table_cell_rows(ctx.doc_id, ctx.source, ctx.tables, read_by_report=ctx.report_source)
    return StageResult({"table_cells": cells}, flags)
