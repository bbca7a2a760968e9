"""The processed tables: their schemas and one loader per table.

Each table is a CSV in ``data/processed/`` written only by ``streetlib build``.
Its schema below is the contract: the build refuses to write a table whose
columns differ from it, and the loaders use it to restore what CSV loses
(ordered categoricals, dates, nullable integers). The column dictionary in each
loader's docstring is rendered from the same schema.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from streetlib import config
from streetlib.errors import DataNotBuiltError, StreetlibError
from streetlib.manifest import DOC_TYPES, GENRES

REGION_KINDS = (
    "title",
    "heading",
    "paragraph",
    "table",
    "table_title",
    "caption",
    "toc",
    "metadata",
    "footer",
    "web_chrome",
    "toolbar",
)
Dtype = str | tuple[str, ...]  # "string", "Int64", "float", "date", "bool", or category order


@dataclass(frozen=True)
class Column:
    name: str
    dtype: Dtype
    description: str


PROVENANCE = (
    Column("line_start", "Int64", "First raw line (1-based) of the source file."),
    Column("line_end", "Int64", "Last raw line (1-based) of the source file."),
)

SCHEMAS: dict[str, tuple[Column, ...]] = {
    "documents": (
        Column("doc_id", "string", "Document id, unique (from the manifest)."),
        Column("source_file", "string", "Raw file in data/raw/ that holds the document."),
        Column("title", "string", "Title as given in the manifest (Chinese)."),
        Column("street", "string", "Subdistrict (街道), Chinese."),
        Column("street_en", "string", "Subdistrict, English."),
        Column("district", "string", "District (区), Chinese."),
        Column("district_en", "string", "District, English."),
        Column("doc_type", DOC_TYPES, "Kind of document (action_plan, annex, ...)."),
        Column(
            "genres",
            "string",
            "Genres of its parts in order, ';'-separated (plan, review, research, glossary).",
        ),
        Column("year_start", "Int64", "First year the document covers."),
        Column("year_end", "Int64", "Last year the document covers."),
        Column("published", "date", "Publication date of the source."),
        Column("publisher", "string", "Publisher of the source."),
        Column("url", "string", "Original public page of the source (empty when not found: see the manifest)."),
        Column("retrieved", "date", "Date the page at url was found to hold the source's text."),
        *PROVENANCE,
        Column("n_lines", "Int64", "Raw lines in the document's range."),
        Column("n_chars", "Int64", "Non-whitespace characters in the document's raw lines."),
    ),
}

SCOPES = ("three_year", "annual", "quarterly")
ATTRIBUTES = ("binding", "expected")
COLLECTIONS = ("census", "administrative")
POPULATION_BASES = ("all", "hukou", "resident", "present", "foreign", "migrant", "unstated")
ROLES = ("lead", "co")
DEPARTMENT_KINDS = (
    "subdistrict_office",
    "subdistrict_centre",
    "dispatched_agency",
    "district_body",
    "mass_organisation",
    "residents_committee",
    "ad_hoc_group",
)

SCHEMAS |= {
    "tasks": (
        Column("task_id", "string", "Task id, unique: '<doc_id>:tNN-SS' (table number, sequence number)."),
        Column("doc_id", "string", "Document holding the table."),
        Column("table_no", "Int64", "Task table number in the document (k-th task table)."),
        Column("table_title", "string", "Title assigned to the table (rule in streetlib.tasks)."),
        Column("scope", SCOPES, "three_year, annual or quarterly (from the title)."),
        Column("year", "Int64", "Year of an annual or quarterly list; empty for the three-year list."),
        Column("quarter", "Int64", "Quarter (1-4) of a quarterly list; empty otherwise."),
        Column("category", "string", "Category (类别/版块) cell as found, forward-filled over its group."),
        Column(
            "category_norm",
            "string",
            "Category without spaces, synonyms mapped (党的建设 → 基层党建, 城区美化 → 美丽社区).",
        ),
        Column("seq", "Int64", "Sequence number (序号) within the table."),
        Column("task", "string", "Task (重点任务) cell."),
        Column("content", "string", "Content (主要内容/具体内容) cell; empty for the three-year list."),
        Column("departments_raw", "string", "Department cell as found (牵头部门/责任单位)."),
        *PROVENANCE,
    ),
    "task_departments": (
        Column("task_id", "string", "Task id (tasks.task_id)."),
        Column("department", "string", "Canonical department (departments.department)."),
        Column("department_raw", "string", "Name as written in the cell."),
        Column("position", "Int64", "Position in the cell (1 = first named)."),
        Column("role", ROLES, "lead or co (rule in streetlib.tasks: 牵头部门 all lead; 责任单位 first lead)."),
    ),
    "departments": (
        Column("department", "string", "Canonical name (Chinese)."),
        Column("department_en", "string", "English name."),
        Column("kind", DEPARTMENT_KINDS, "Kind of body: subdistrict office or centre, dispatched agency, ..."),
        Column("aliases", "string", "Other names of the same body, ';'-separated."),
        Column("note", "string", "Why the aliases are one body, or why similar names are kept apart."),
    ),
    "indicators": (
        Column("doc_id", "string", "Document holding the indicator table."),
        Column("category", "string", "Category (类别) cell, its two lines joined, forward-filled over its group."),
        Column("seq", "Int64", "Sequence number (序号)."),
        Column("indicator", "string", "Indicator (指标) as found, errata applied (unit brackets repaired)."),
        Column("indicator_name", "string", "Indicator without its unit bracket and spaces."),
        Column("unit", "string", "Unit from the bracket at the end of the name; empty if none or empty bracket."),
        Column("attribute", ATTRIBUTES, "binding (约束性) or expected (预期性)."),
        Column("attribute_raw", "string", "属性 as found."),
        Column("department", "string", "Responsible unit, canonical (departments.department)."),
        Column("department_raw", "string", "责任单位 as found (two-line cells joined)."),
        Column("target_raw", "string", "Target (目标值) as found."),
        Column("target_value", "float", "Target parsed: the number."),
        Column("target_unit", "string", "Unit of the target: from the target (%, 亿元) or else the name's unit."),
        Column("target_comparator", "string", "'=' for a plain target, '>=' for 不少于 / 以上."),
        *PROVENANCE,
    ),
    "report_tables": (
        Column("doc_id", "string", "Research report the table belongs to."),
        Column("table_id", "string", "表N as numbered in the report."),
        Column("table_title", "string", "Title after 表N."),
        Column("row_label", "string", "Row key as found: 序号, year, or a summary label (平均租金)."),
        Column("column", "string", "Column (canonical; compound cells split into *_count and *_amount)."),
        Column("value_raw", "string", "Cell as found, verbatim on its line."),
        Column("value", "float", "Parsed number; empty for text and for 面议 / —— / 不详 (missing, not zero)."),
        Column("unit", "string", "Unit of value (m², 元/月, 元/m²/月, 个, 万元)."),
        Column("is_summary", "bool", "A summary row after the numbered rows, kept apart."),
        *PROVENANCE,
    ),
    "population": (
        Column("street", "string", "Subdistrict the figure describes."),
        Column("as_of", "date", "Reference date: 截至YYYY年M月 (first of the month) or the census date."),
        Column("collection", COLLECTIONS, "census or administrative (the subdistrict's own count)."),
        Column(
            "basis", POPULATION_BASES, "What is counted: hukou, resident, present, foreign, migrant, all, unstated."
        ),
        Column(
            "measure",
            "string",
            "total, age_60_plus, age_80_plus, age_90_plus, age_100_plus, living_alone, share_age_60_plus.",
        ),
        Column("value", "float", "The figure as stated; empty where the source leaves it blank (never zero)."),
        Column("unit", "string", "人 or %."),
        Column("qualifier", "string", "Qualifier of a stated share (将近, 约, 超过)."),
        Column("recomputed", "float", "A stated share recomputed from the counts (percent)."),
        Column("recomputed_base", "string", "Denominator of the recomputed share (户籍人口)."),
        Column("doc_id", "string", "Document stating the figure."),
        Column("line_start", "Int64", "Raw line holding the quote."),
        Column("quote", "string", "The words the figure was read from, verbatim."),
    ),
    "reference_population": (
        Column("region", "string", "上海市 or a district."),
        Column("level", "string", "city or district."),
        Column("as_of", "date", "Reference date (31 December for the ageing bulletins, 2020-11-01 for the census)."),
        Column("basis", POPULATION_BASES, "hukou (户籍) or resident (常住, census)."),
        Column(
            "measure",
            "string",
            "total, age_60_plus, share_age_60_plus, share_80_plus_of_60_plus, age_100_plus_per_100k, ...",
        ),
        Column("value", "float", "Value in persons, percent or per 100 000 (see unit)."),
        Column("unit", "string", "人, % or per 100 000."),
        Column("value_as_published", "string", "The figure as published (e.g. 1471.16万)."),
        Column("source", "string", "Publisher and title."),
        Column("url", "string", "Address where it was read, where known."),
        Column(
            "tier", "string", "A: official site or mainstream media relaying the bulletin; B: a repost agreeing with A."
        ),
        Column("note", "string", "Remarks."),
    ),
    "report_figures": (
        Column("figure", "string", "图N, 表N or 'text' (a number used by a check)."),
        Column("key", "string", "Identifier of the number, unique."),
        Column("label", "string", "What the number is (Chinese)."),
        Column("value", "float", "The number."),
        Column("unit", "string", "Its unit."),
        Column("kind", ("stated", "derived"), "stated in the text, or derived (a bar the text leaves implicit)."),
        Column("doc_id", "string", "Research report."),
        Column(
            "line_start",
            "Int64",
            "Raw line of the stated number (the paragraph for rule-read ones); empty for derived.",
        ),
        Column("quote", "string", "The words it was read from; empty for derived."),
        Column("note", "string", "How a derived number was computed."),
    ),
    "report_checks": (
        Column("doc_id", "string", "Research report."),
        Column("claim", "string", "The stated total, share or average that is checked."),
        Column("line_start", "Int64", "Raw line of the stated value."),
        Column("stated", "float", "Value as stated."),
        Column("recomputed", "float", "Value recomputed from its parts."),
        Column("difference", "float", "stated - recomputed."),
        Column("verdict", ("holds", "does not hold"), "holds if equal after rounding to the stated precision."),
        Column("formula", "string", "How it was recomputed (names are report_figures keys or table values)."),
        Column("note", "string", "Remarks."),
    ),
    "sections": (
        Column("doc_id", "string", "Document id."),
        Column("section_id", "string", "Section id, unique: '<doc_id>:sNNN' in document order."),
        Column(
            "parent_id",
            "string",
            "Enclosing section (the nearest earlier heading of a smaller level); empty at top.",
        ),
        Column("level", "Int64", "0 title (no marker), 1 一、, 2 (一), 3 1. or 1、, 4 (1)."),
        Column("marker", "string", "Heading marker as found (一、, (一), 1., 13、, (1)); empty for titles."),
        Column("number", "Int64", "The marker's number (一 = 1); empty for titles."),
        Column("title", "string", "Heading text, cleaned; for a run-in heading, the text before the first 。."),
        Column("genre", GENRES, "Genre of the manifest part holding the heading."),
        *PROVENANCE,
        Column(
            "span_end",
            "Int64",
            "Last raw line of the section's content (before the next heading of its rank).",
        ),
    ),
    "paragraphs": (
        Column("doc_id", "string", "Document id."),
        Column("section_id", "string", "Section the paragraph belongs to (empty before the first heading)."),
        Column("para_id", "string", "Paragraph id, unique: '<doc_id>:pNNNN' in document order."),
        Column("genre", GENRES, "Genre of the manifest part holding the paragraph's first line."),
        Column(
            "text",
            "string",
            "Cleaned text: errata applied, canonical punctuation, continuation lines joined.",
        ),
        *PROVENANCE,
        Column("n_chars", "Int64", "Characters of text."),
        Column(
            "dup_share",
            "float",
            "Share of its characters in sentences (>= 15 chars) seen earlier in the corpus.",
        ),
        Column("duplicate_of", "string", "para_id of the earlier paragraph it repeats; empty if original."),
        Column(
            "is_duplicate",
            "bool",
            "Whole text seen before, or dup_share >= 0.8: leave out of frequency counts.",
        ),
    ),
    "regions": (
        Column("doc_id", "string", "Document id."),
        Column("region_id", "string", "Region id, unique: '<doc_id>:rNNNN'."),
        Column(
            "kind",
            REGION_KINDS,
            "Role of the lines: heading, title, paragraph, table, ..., or dropped boilerplate.",
        ),
        *PROVENANCE,
        Column(
            "text",
            "string",
            "Cleaned text of titles, headings, captions, TOC and boilerplate (metadata); empty for tables.",
        ),
    ),
    "quality_flags": (
        Column("doc_id", "string", "Document holding the line (empty if no document covers it)."),
        Column("source_file", "string", "Raw file."),
        *PROVENANCE,
        Column(
            "kind",
            "string",
            "What was found: erratum_fix, erratum_flag, duplicate_paragraph, heading_sequence, ...",
        ),
        Column("found", "string", "Text as found (verbatim for errata)."),
        Column(
            "replacement",
            "string",
            "Replacement applied (errata of action fix); empty when nothing was changed.",
        ),
        Column("note", "string", "Reason or evidence."),
    ),
}


def quality_flag(
    doc_id: str | None,
    source_file: str,
    line_start: int | None,
    line_end: int | None,
    kind: str,
    found: str,
    note: str,
    replacement: str | None = None,
) -> dict:
    """One row of ``quality_flags`` (every stage builds its flags through this)."""
    return {
        "doc_id": doc_id,
        "source_file": source_file,
        "line_start": line_start,
        "line_end": line_end,
        "kind": kind,
        "found": found,
        "replacement": replacement,
        "note": note,
    }


def table_names() -> list[str]:
    """Names of every table ``streetlib build`` writes."""
    return sorted(SCHEMAS)


def table_path(name: str, *, root: Path | None = None) -> Path:
    return config.processed_dir(root) / f"{name}.csv"


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
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    expected = [c.name for c in SCHEMAS[name]]
    if list(frame.columns) != expected:
        raise DataNotBuiltError(
            f"{path}: columns {list(frame.columns)} differ from the schema {expected}. "
            "The file is stale or was edited by hand: run `streetlib build`."
        )
    return restore_dtypes(frame, SCHEMAS[name])


def restore_dtypes(frame: pd.DataFrame, schema: tuple[Column, ...]) -> pd.DataFrame:
    """Cast string columns to the schema's dtypes."""
    out = {}
    for col in schema:
        values = frame[col.name]
        if isinstance(col.dtype, tuple):
            out[col.name] = pd.Categorical(values, categories=list(col.dtype), ordered=True)
        elif col.dtype == "Int64":
            out[col.name] = pd.to_numeric(values).astype("Int64")
        elif col.dtype == "float":
            out[col.name] = pd.to_numeric(values).astype("float64")
        elif col.dtype == "date":
            out[col.name] = pd.to_datetime(values, format="%Y-%m-%d")
        elif col.dtype == "bool":
            out[col.name] = values.map({"True": True, "False": False}).astype("boolean")
        else:
            out[col.name] = values.astype("string")
    return pd.DataFrame(out)


def column_dictionary(name: str) -> str:
    """The numpydoc-style column table of a table, as used in loader docstrings."""
    schema = SCHEMAS[name]
    width = max(len(c.name) for c in schema)
    rule = f"{'=' * width} {'=' * 60}"
    rows = [rule, f"{'Column':<{width}} Description", rule]
    for c in schema:
        kind = "category" if isinstance(c.dtype, tuple) else c.dtype
        rows.append(f"{c.name:<{width}} {c.description} [{kind}]")
    rows.append(rule)
    return "\n".join(rows)


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

    Errata come from ``data/raw/errata.csv``; other stages add duplicates,
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

    图1-图3 and 图8 come from a reviewed file (``data/raw/report_figures.csv``, every
    quote verified on its line); 图4-图7 are read by rule from the paragraph before
    each caption. Derived rows are the bars a faithful figure needs that the text
    leaves implicit (其他, 未列出).
    """
    return load("report_figures", root=root)


@_documented("report_checks")
def load_report_checks(*, root: Path | None = None) -> pd.DataFrame:
    """Every stated total, share and average of the report, recomputed from its parts."""
    return load("report_checks", root=root)
