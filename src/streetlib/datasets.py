"""The processed tables: one loader per table, generated from their specs.

Each table is a CSV in ``data/processed/`` written only by ``streetlib build``.
Its spec in :mod:`streetlib.schema` is the contract: the build validates every
value against it, and the loaders use it to restore what CSV loses (ordered
categoricals, dates, nullable integers), refusing, with the file, the column and
the values, what they cannot restore. The column dictionary in each loader's
docstring is rendered from the same spec.

The build also writes ``processed/MANIFEST`` inside the same swap: the number of
rows and the sha256 of every table. A loader checks both, so a file cut at a row
boundary (a copy interrupted, a disk that filled) or edited by hand is refused
instead of read as a shorter table.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from streetlib import config
from streetlib.errors import DataNotBuiltError, StreetlibError
from streetlib.schema import (  # noqa: F401  (re-exported: older code imports them from here)
    ATTRIBUTES,
    COLLECTIONS,
    DEPARTMENT_KINDS,
    POPULATION_BASES,
    PROVENANCE,
    REGION_KINDS,
    ROLES,
    SCHEMAS,
    SCOPES,
    SPECS,
    Column,
    Dtype,
    quality_flag,
)
from streetlib.schema import column_dictionary as _column_table


def table_names() -> list[str]:
    """Names of every table ``streetlib build`` writes."""
    return sorted(SCHEMAS)


def table_path(name: str, *, root: Path | None = None) -> Path:
    return config.processed_dir(root) / f"{name}.csv"


MANIFEST_FILE = "MANIFEST"
_MANIFEST_HEAD = (
    "# Written by `streetlib build` with the tables: rows and sha256 (of the text with LF line ends) of each.\n"
    "# Loaders refuse a table that disagrees. Never edit: rebuild.\n"
)


def table_digest(data: bytes) -> str:
    """sha256 of a table file's bytes; a checkout that turns LF into CRLF changes nothing."""
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def manifest_text(files: dict[str, tuple[int, bytes]]) -> str:
    """``processed/MANIFEST`` for tables ``name -> (rows, bytes written)``."""
    lines = [f"{name}\t{rows}\t{table_digest(data)}" for name, (rows, data) in sorted(files.items())]
    return _MANIFEST_HEAD + "table\trows\tsha256\n" + "".join(line + "\n" for line in lines)


def _recorded(folder: Path, name: str) -> tuple[int, str]:
    """Rows and sha256 the build recorded for table ``name`` in ``folder/MANIFEST``."""
    path = folder / MANIFEST_FILE
    rebuild = "Run `streetlib build` to write the tables again (or restore data/processed from git)."
    if not path.is_file():
        raise DataNotBuiltError(
            f"{path}: is missing, so {name}.csv cannot be checked as complete. The folder was written by an older "
            f"streetlib or by hand. {rebuild}"
        )
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if fields[0] == name and len(fields) == 3 and fields[1].isdigit():
            return int(fields[1]), fields[2]
    raise DataNotBuiltError(f"{path}: names no table {name!r} (or its line is damaged). {rebuild}")


def load(name: str, *, root: Path | None = None) -> pd.DataFrame:
    """Load a processed table by name, with its dtypes restored.

    Parameters
    ----------
    name
        One of :func:`table_names`.
    root
        Data root to read from (default: :func:`streetlib.config.data_root`).

    Raises
    ------
    StreetlibError
        For an unknown name (the message lists the valid ones) or a table that
        has not been built (the message says to run ``streetlib build``).
    """
    if name not in SCHEMAS:
        raise StreetlibError(f"unknown table {name!r}. Valid names: {', '.join(table_names())}.")
    path = table_path(name, root=root)
    if not path.is_file():
        data = path.parent.parent
        raise DataNotBuiltError(
            f"{path}: table {name!r} has not been built. Run `streetlib --data {data} build` "
            "(`make build` for the project's own data/), or point STREETLIB_DATA at a data folder "
            "that holds processed/."
        )
    rows, digest = _recorded(path.parent, name)
    data = path.read_bytes()
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    if len(frame) != rows or table_digest(data) != digest:
        found = (
            f"has {len(frame)} rows, the build wrote {rows}"
            if len(frame) != rows
            else "differs from what the build wrote"
        )
        raise DataNotBuiltError(
            f"{path}: {found} (processed/{MANIFEST_FILE}): the file was cut short, edited or copied incompletely. "
            "Run `streetlib build` to write it again (or restore data/processed from git)."
        )
    expected = [c.name for c in SCHEMAS[name]]
    if list(frame.columns) != expected:
        raise DataNotBuiltError(
            f"{path}: columns {list(frame.columns)} differ from the schema {expected}. "
            "The file is stale or was edited by hand: run `streetlib build`."
        )
    return restore_dtypes(frame, SCHEMAS[name], path=path)


def restore_dtypes(frame: pd.DataFrame, schema: tuple[Column, ...], *, path: object = "table") -> pd.DataFrame:
    """Cast string columns to the schema's dtypes.

    Raises
    ------
    DataNotBuiltError
        Naming ``path``, the column and its bad values when a value cannot be
        restored (an unknown category, a boolean other than True/False, a
        non-number in a numeric column, a date that is not YYYY-MM-DD), instead
        of turning it into a missing value.
    """
    out = {}
    for col in schema:
        values = frame[col.name]
        restored = _restore(values, col.dtype)
        lost = values.notna() & pd.Series(pd.isna(restored), index=values.index)
        if col.dtype == "Int64":
            lost |= values.notna() & (restored % 1 != 0).fillna(False)
        if lost.any():
            bad = sorted(set(values[lost].astype(str)))
            expected = f"one of {', '.join(col.dtype)}" if isinstance(col.dtype, tuple) else _EXPECTED[col.dtype]
            raise DataNotBuiltError(
                f"{path}: column {col.name!r} holds {len(bad)} value(s) it cannot restore "
                f"({', '.join(map(repr, bad[:10]))}); expected {expected}. The file was edited by hand or "
                "written by another version: run `streetlib build`."
            )
        out[col.name] = restored.astype("Int64") if col.dtype == "Int64" else restored
    return pd.DataFrame(out)


def _restore(values: pd.Series, dtype: Dtype):
    """``values`` in ``dtype``; what cannot be restored becomes missing (the caller refuses it)."""
    if isinstance(dtype, tuple):  # unknown categories become missing here, and the caller refuses them
        return pd.Categorical(values.where(values.isin(dtype)), categories=list(dtype), ordered=True)
    if dtype in ("Int64", "float"):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    if dtype == "date":
        return pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    if dtype == "bool":
        return values.map({"True": True, "False": False}).astype("boolean")
    return values.astype("string")


_EXPECTED = {"Int64": "whole numbers", "float": "numbers", "date": "dates YYYY-MM-DD", "bool": "True or False"}


def column_dictionary(name: str) -> str:
    """The numpydoc-style column table of a table, as used in loader docstrings."""
    return _column_table(SCHEMAS[name])


LOADER_PARAMETERS = """

    Parameters
    ----------
    root
        Data root to read from (default: :func:`streetlib.config.data_root`).
"""


def _documented(name: str) -> Callable[[Callable[..., pd.DataFrame]], Callable[..., pd.DataFrame]]:
    """Append the shared ``root`` parameter and the table's column dictionary to a loader's docstring."""

    def decorate(func: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        table = "\n".join("    " + line for line in column_dictionary(name).splitlines())
        func.__doc__ = (func.__doc__ or "").rstrip() + LOADER_PARAMETERS + "\n    Columns\n    -------\n" + table + "\n"
        return func

    return decorate


@_documented("documents")
def load_documents(*, root: Path | None = None) -> pd.DataFrame:
    """One row per logical document of the corpus.

    A raw source can hold several documents (the 长白新村 bundle holds the
    action plan, two annexes, three 专项行动 and a research report); the
    manifest records their line ranges. ``doc_type`` and dates are restored.
    """
    return load("documents", root=root)


@_documented("sections")
def load_sections(*, root: Path | None = None) -> pd.DataFrame:
    """One row per heading (marker headings) or title (level 0), in document order.

    Headings follow the hierarchy 一、 › (一) › 1. › (1); titles are unnumbered
    lines such as 前言 or a part title. A run-in heading
    (``1.突出加强党的政治建设。坚持…``) shares its line with a paragraph.
    """
    return load("sections", root=root)


@_documented("paragraphs")
def load_paragraphs(*, root: Path | None = None) -> pd.DataFrame:
    """One row per paragraph: the unit of text analysis.

    Table regions, headings, titles, captions, tables of contents and boilerplate
    are not paragraphs. Repeated paragraphs are kept but marked
    (``is_duplicate``) so frequency analyses can leave them out.
    """
    return load("paragraphs", root=root)


@_documented("regions")
def load_regions(*, root: Path | None = None) -> pd.DataFrame:
    """Every non-blank raw line of every document, by role (the build's line map).

    Dropped lines (TOC, web chrome, toolbars, footers, dates and document
    numbers) are kept here as metadata with their text.
    """
    return load("regions", root=root)


@_documented("quality_flags")
def load_quality_flags(*, root: Path | None = None) -> pd.DataFrame:
    """Every repair applied and every defect or inconsistency found, one row each.

    Errata come from ``data/reviewed/errata.csv``; other stages add duplicates,
    heading-sequence gaps, unterminated paragraphs and the like.
    """
    return load("quality_flags", root=root)


@_documented("tasks")
def load_tasks(*, root: Path | None = None) -> pd.DataFrame:
    """One row per row of a task table (the 长白新村 annex: 14 tables, 257 rows).

    Titles are assigned by order because the extracted ones are displaced; the
    adjacent and assigned titles and the evidence are in ``quality_flags``.
    """
    return load("tasks", root=root)


@_documented("task_departments")
def load_task_departments(*, root: Path | None = None) -> pd.DataFrame:
    """One row per (task, department) named in a task's department cell."""
    return load("task_departments", root=root)


@_documented("departments")
def load_departments(*, root: Path | None = None) -> pd.DataFrame:
    """The departments lexicon (``data/lexicon/departments.csv``): canonical names and aliases."""
    return load("departments", root=root)


@_documented("indicators")
def load_indicators(*, root: Path | None = None) -> pd.DataFrame:
    """One row per row of an indicator table (the 古美路 十四五 outline's 37 indicators).

    Targets are kept as found and parsed into value, unit and comparator; the
    responsible unit is resolved through the departments lexicon.
    """
    return load("indicators", root=root)


@_documented("report_tables")
def load_report_tables(*, root: Path | None = None) -> pd.DataFrame:
    """The research report's tables, long: one row per (table row, column).

    表1 is the shop rent table (9 shops + the stated average), 表2 the purchased
    social-organisation services by year. Use ``pivot`` on ``row_label`` and
    ``column`` for the wide form.
    """
    return load("report_tables", root=root)


@_documented("table_cells")
def load_table_cells(*, root: Path | None = None) -> pd.DataFrame:
    """Tables kept cell by cell because no stage reads them (page metadata, a budget, a table without header).

    One row per cell, the header as row 0; the ``table_not_parsed`` flag in
    ``quality_flags`` says why each table was not read. Cells of header words the
    lexicon does not know, in task and indicator tables, are kept here too.
    """
    return load("table_cells", root=root)


@_documented("population")
def load_population(*, root: Path | None = None) -> pd.DataFrame:
    """One row per population or age figure a document states.

    Extracted by rules (see :mod:`streetlib.facts`); each row carries its
    verbatim quote and line. Bases and dates differ between rows: never pool a
    census figure with an administrative one.
    """
    return load("population", root=root)


@_documented("reference_population")
def load_reference_population(*, root: Path | None = None) -> pd.DataFrame:
    """Official Shanghai population and ageing figures (``data/external``), each with its source."""
    return load("reference_population", root=root)


@_documented("report_figures")
def load_report_figures(*, root: Path | None = None) -> pd.DataFrame:
    """The numbers behind the research report's figures, stated and derived.

    图1-图3 and 图8 come from a reviewed file (``data/reviewed/report_figures.csv``, every
    quote verified on its line); 图4-图7 are read by rule from the paragraph before
    each caption. Derived rows are the bars a faithful figure needs that the text
    leaves implicit (其他, 未列出).
    """
    return load("report_figures", root=root)


@_documented("report_checks")
def load_report_checks(*, root: Path | None = None) -> pd.DataFrame:
    """Every stated total, share and average of the report, recomputed from its parts."""
    return load("report_checks", root=root)


@_documented("build_problems")
def load_build_problems(*, root: Path | None = None) -> pd.DataFrame:
    """Every document the last build left out, with each of its problems and what to do.

    Empty when every document built. A document whose stage found data it
    refuses (a table with a missing cell, a quote not on its line, ...) is left
    out of every other table; the rest of the corpus builds.
    """
    return load("build_problems", root=root)
