"""``streetlib export``: the processed tables for colleagues who use Excel or plain CSV.

The workbook holds one sheet per table, a ``data_dictionary`` sheet (table,
column, type, meaning: from the same schemas the loaders use) and a ``sources``
sheet (the raw sources with publisher and date, and the official reference
figures' sources). Chinese text is stored as text, so Excel shows it intact;
CSV files are written as UTF-8 with a byte-order mark, which Excel needs to
detect UTF-8.
"""

from __future__ import annotations

import contextlib
import html
import re
import urllib.parse
import warnings
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from streetlib.atomic import replacing_file, replacing_files
from streetlib.datasets import SCHEMAS, load, table_names
from streetlib.errors import StreetlibError, located
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
                "url": s.url or f"(none: {s.url_note})",
                "retrieved": s.retrieved.isoformat() if s.retrieved else "",
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
            "retrieved": "",
        }
    )
    return pd.concat([raw, official], ignore_index=True)


def export_xlsx(path: Path, *, root: Path | None = None) -> Path:
    """Write every processed table, the data dictionary and the sources to one workbook.

    Every text cell is stored as text, so no formula can be created from the data (a raw line
    starting with ``=`` stays the text it was); characters XML cannot hold (control characters)
    are removed, with a warning naming the table and the count. The workbook is written beside
    ``path`` and replaces it only when complete: a failed export leaves an earlier one intact.
    """
    frames = _frames(root)
    target = _writable_file(path, ".xlsx")
    workbook = openpyxl.Workbook(write_only=True)
    removed: dict[str, int] = {}
    for name, frame in frames.items():
        sheet = workbook.create_sheet(name)
        sheet.append(list(frame.columns))
        for row in _for_excel(frame).itertuples(index=False):
            sheet.append([_excel_cell(sheet, value, name, removed) for value in row])
    with _writing(target), replacing_file(target) as temporary:
        workbook.save(temporary)
    _report_removed(removed)
    return path


def export_csv(folder: Path, *, root: Path | None = None) -> list[Path]:
    """Write every table, the data dictionary and the sources as UTF-8 (with BOM) CSV files.

    A text cell that a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return, and is not a plain number) gets a leading ``'``, the
    spreadsheet convention for "this is text" (:data:`FORMULA_ESCAPE`). All files are written
    to a folder beside ``folder`` and moved in only when every one is complete.
    """
    frames = _frames(root)
    if folder.exists() and not folder.is_dir():
        raise ExportError(located(folder, None, "is a file, not a folder", "Give a folder for --csv."))
    paths = []
    with _writing(folder), replacing_files(folder) as staging:
        for name, frame in frames.items():
            _escaped(frame).to_csv(staging / f"{name}.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
            paths.append(folder / f"{name}.csv")
    return paths


class ExportError(StreetlibError):
    """An export could not be written; the previous export is left as it was."""


# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_ESCAPE = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def _frames(root: Path | None) -> dict[str, pd.DataFrame]:
    """Every table to export, loaded before anything is written (an unbuilt root fails here)."""
    frames = {name: load(name, root=root) for name in table_names()}
    return frames | {DICTIONARY_SHEET: data_dictionary(), SOURCES_SHEET: sources(root=root)}


def _writable_file(path: Path, suffix: str) -> Path:
    if path.is_dir():
        raise ExportError(located(path, None, "is a folder", f"Give a file name ending in {suffix}."))
    if not path.parent.is_dir():
        raise ExportError(located(path.parent, None, "does not exist", "Create the folder or choose another path."))
    return path


@contextlib.contextmanager
def _writing(target: Path) -> Iterator[None]:
    """Turn file-system failures into an error naming the target and what to do."""
    try:
        yield
    except PermissionError as exc:
        raise ExportError(
            located(target, None, f"cannot be written ({exc.strerror})", "Choose a folder you can write to.")
        ) from exc
    except OSError as exc:
        problem = f"could not be written ({exc.strerror or exc})"
        fix = "Free disk space or choose another place; an earlier export there is unchanged."
        raise ExportError(located(target, None, problem, fix)) from exc


def _excel_cell(sheet, value: object, table: str, removed: dict[str, int]) -> object:
    if not isinstance(value, str):
        return value
    clean = ILLEGAL_CHARACTERS_RE.sub("", value)
    if clean != value:
        removed[table] = removed.get(table, 0) + len(value) - len(clean)
    cell = WriteOnlyCell(sheet, value=clean)
    cell.data_type = "s"  # openpyxl would store a string starting with "=" as a formula
    return cell


def _report_removed(removed: dict[str, int]) -> None:
    for table, count in sorted(removed.items()):
        warnings.warn(
            f"{table}: removed {count} control character(s) that an xlsx file cannot hold "
            "(the CSV export and data/processed keep them)",
            stacklevel=3,
        )


def _escaped(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(escape_formula, na_action="ignore")
    return out


def escape_formula(value: object) -> object:
    """``value`` as text a spreadsheet shows and never evaluates: a string that starts like a formula
    (``= + - @``, tab, carriage return) and is not a plain number gets :data:`FORMULA_ESCAPE` in front."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return FORMULA_ESCAPE + value
    return value


def unescape_formula(value: object) -> object:
    """The inverse of :func:`escape_formula`, for sheets read back (a coder's sheet keeps its text as written)."""
    if isinstance(value, str) and value.startswith(FORMULA_ESCAPE) and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _for_excel(frame: pd.DataFrame) -> pd.DataFrame:
    """Plain object columns: Excel has no categorical or nullable types."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype("string")
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out.astype(object).where(out.notna(), None)


def write_report_index(folder: Path) -> Path:
    """``index.html`` linking every executed notebook's HTML report in ``folder``, with its title."""
    if not folder.is_dir():
        raise ExportError(
            located(folder, None, "is not a folder of reports", "Run `make reports` (or `streetlib reproduce`) first.")
        )
    items = []
    for report in sorted(folder.glob("[0-9][0-9]_*.html")):
        text = report.read_text(encoding="utf-8", errors="replace")
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S)
        title = html.unescape(re.sub(r"<[^>]+>", "", heading.group(1))).replace("¶", "").strip() if heading else ""
        href = html.escape(urllib.parse.quote(report.name), quote=True)
        items.append(f'    <li><a href="{href}">{html.escape(title or report.stem)}</a></li>')
    page = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="zh-CN">',
            '<head><meta charset="utf-8"><title>streetlib reports</title></head>',
            "<body>",
            "  <h1>streetlib · 街道规划文本分析 reports</h1>",
            "  <p>The executed notebooks, regenerated by <code>make reproduce</code>.</p>",
            "  <ul>",
            *items,
            "  </ul>",
            "</body>",
            "</html>",
            "",
        ]
    )
    target = folder / "index.html"
    with _writing(target), replacing_file(target) as temporary:
        temporary.write_text(page, encoding="utf-8", newline="\n")
    return target
