"""The contract of every table: columns, dtypes, vocabularies, keys and sort order.

This module sits at the bottom of the library (it imports nothing from streetlib
but :mod:`streetlib.errors`). Everything that writes or reads a table goes
through the specs below: the build validates every value a stage produces
against its table's spec and sorts by the spec's order, the loaders restore
dtypes from it (and refuse what they cannot restore), the loaders' docstrings
and the export's data dictionary are rendered from it, and the reviewed files of
``data/reviewed/`` are checked against their own specs.

Each vocabulary (document types, genres, scopes, roles, ...) is defined once, here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from streetlib.errors import StreetlibError

# --- vocabularies (each defined once) ---------------------------------------------------------

DOC_TYPES = (
    "action_plan",
    "annex",
    "special_action_plan",
    "research_report",
    "work_summary",
    "work_plan",
    "congress_report",
    "five_year_plan",
)
GENRES = ("plan", "review", "research", "glossary")
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
SCOPES = ("three_year", "annual", "quarterly", "five_year", "multi_year")
ATTRIBUTES = ("binding", "expected")
COLLECTIONS = ("census", "administrative")
POPULATION_BASES = ("all", "actual", "hukou", "resident", "present", "foreign", "migrant", "unstated")
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
FIGURE_KINDS = ("stated", "derived")
VERDICTS = ("holds", "does not hold", "cannot be decided")
# arithmetic: a total, share or mean recomputed from its parts; restatement: one quantity stated
# twice; by_construction: holds because a derived value was chosen to make it hold (one check)
CHECK_KINDS = ("arithmetic", "restatement", "by_construction")
ERRATA_ACTIONS = ("fix", "flag")
CHECK_BOUNDS = ("equal", "at_least")

DOC_ID = r"[a-z][a-z0-9_]*"  # lower-case ASCII, digits and underscores; matched in full (no trailing newline)
# A year in a planning document of a Shanghai street: anything outside is a misread number.
YEARS = (1949, 2100)

Dtype = str | tuple[str, ...]  # "string", "Int64", "float", "date", "bool", or a category order


@dataclass(frozen=True)
class Column:
    """One column: its name, dtype (a tuple is an ordered category), description.

    ``bounds`` is the inclusive range of an ``Int64`` or ``float`` column's values;
    ``required`` columns may not be empty; a ``pattern`` must match a text value in full.
    """

    name: str
    dtype: Dtype
    description: str
    bounds: tuple[float, float] | None = None
    required: bool = False
    pattern: str | None = None  # a text column's values match it in full


@dataclass(frozen=True)
class TableSpec:
    """A table's contract.

    ``key`` columns together identify a row (unique, never empty). ``order`` is
    the sort order of the written file; ``source_file`` in it means the raw file
    of the row's ``doc_id`` where the table has no such column. An empty order
    keeps the rows in the order their stage wrote them. ``extracted`` tables hold
    rows read from documents, so every row carries ``doc_id`` and its raw lines.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    extracted: bool = False

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _provenance(start: str = "First raw line (1-based) of the source file.") -> tuple[Column, Column]:
    return (
        Column("line_start", "Int64", start, bounds=(1, float("inf"))),
        Column("line_end", "Int64", "Last raw line (1-based) of the source file.", bounds=(1, float("inf"))),
    )


PROVENANCE = _provenance()
_DOC = Column("doc_id", "string", "Document id (documents.doc_id).", required=True)

SPECS: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "documents",
            (
                Column("doc_id", "string", "Document id, unique (from the manifest).", pattern=DOC_ID),
                Column("source_file", "string", "Raw file in data/raw/ that holds the document."),
                Column("title", "string", "Title as given in the manifest (Chinese)."),
                Column("street", "string", "Subdistrict (街道), Chinese."),
                Column("street_en", "string", "Subdistrict, English."),
                Column("district", "string", "District (区), Chinese."),
                Column("district_en", "string", "District, English."),
                Column("doc_type", DOC_TYPES, "Kind of document (action_plan, annex, ...).", required=True),
                Column(
                    "genres",
                    "string",
                    "Genres of its parts in order, ';'-separated (plan, review, research, glossary).",
                ),
                Column("year_start", "Int64", "First year the document covers.", bounds=YEARS, required=True),
                Column("year_end", "Int64", "Last year the document covers.", bounds=YEARS, required=True),
                Column("published", "date", "Publication date of the source."),
                Column("publisher", "string", "Publisher of the source."),
                Column(
                    "url",
                    "string",
                    "Original public page of the source (empty if not found: see the url_note).string",
                    "Original public page of the source (empty when not found: the manifest's url_note).",
                ),
                Column("retrieved", "date", "Date the page at url was found to hold the source's text."),
                *PROVENANCE,
                Column("n_lines", "Int64", "Raw lines in the document's range."),
                Column("n_chars", "Int64", "Non-whitespace characters in the document's raw lines."),
            ),
            key=("doc_id",),
            order=("source_file", "line_start"),
        ),
        TableSpec(
            "tasks",
            (
                Column("task_id", "string", "Task id, unique: '<doc_id>:tNN-SS' (table number, sequence number)."),
                Column("doc_id", "string", "Document holding the table.", required=True),
                Column("table_no", "Int64", "Task table number in the document (k-th task table)."),
                Column("table_title", "string", "Title assigned to the table (rule in streetlib.tasks)."),
                Column(
                    "scope",
                    SCOPES,
                    "three_year, annual, quarterly, five_year or multi_year "
                    "(from the title, else the document's period).",
                ),
                Column(
                    "year",
                    "Int64",
                    "Year of an annual or quarterly list; empty for a multi-year list.",
                    bounds=YEARS,
                ),
                Column("quarter", "Int64", "Quarter (1-4) of a quarterly list; empty otherwise.", bounds=(1, 4)),
                Column("category", "string", "Category (类别/版块) cell as found, forward-filled over its group."),
                Column(
                    "category_norm",
                    "string",
                    "Category without spaces, synonyms mapped (党的建设 → 基层党建, 城区美化 → 美丽社区).",
                ),
                Column("seq", "Int64", "Sequence number (序号) within the table."),
                Column("task", "string", "Task (重点任务) cell."),
                Column("content", "string", "Content (主要内容/具体内容) cell; empty for the three-year list."),
                Column("departments_raw", "string", "Lead department cell as found (牵头部门/责任单位/责任部门 …)."),
                Column(
                    "co_departments_raw", "string", "Co-department cell as found (配合部门/协同部门 …); empty if none."
                ),
                Column("deadline_raw", "string", "Deadline cell as found (完成时限/完成时间 …); empty if none."),
                Column(
                    "deadline",
                    "date",
                    "Last day the deadline allows (2024年6月底 → 2024-06-30); "
                    "empty for 长期, 每季度 or an unknown phrasing.",
                ),
                *PROVENANCE,
            ),
            key=("task_id",),
            order=("source_file", "line_start", "task_id"),
            extracted=True,
        ),
        TableSpec(
            "task_departments",
            (
                Column("task_id", "string", "Task id (tasks.task_id)."),
                Column(
                    "department", "string", "Canonical department (departments.department); empty if unknown (flagged)."
                ),
                Column("department_raw", "string", "Name as written in the cell."),
                Column(
                    "position",
                    "Int64",
                    "Position among the names of the row's lead then co cells (1 = first named).",
                    bounds=(1, float("inf")),
                ),
                Column(
                    "role",
                    ROLES,
                    "lead or co (rule in streetlib.tasks: 牵头部门 all lead; 责任单位 first lead; 配合部门 all co).",
                ),
            ),
            key=("task_id", "position"),
            order=("task_id", "position"),
        ),
        TableSpec(
            "departments",
            (
                Column("department", "string", "Canonical name (Chinese)."),
                Column("department_en", "string", "English name."),
                Column(
                    "kind",
                    DEPARTMENT_KINDS,
                    "Kind of body: subdistrict office or centre, dispatched agency, ...",
                    required=True,
                ),
                Column("aliases", "string", "Other names of the same body, ';'-separated."),
                Column("note", "string", "Why the aliases are one body, or why similar names are kept apart."),
            ),
            key=("department",),
            order=("department",),
        ),
        TableSpec(
            "indicators",
            (
                Column("doc_id", "string", "Document holding the indicator table.", required=True),
                Column(
                    "category", "string", "Category (类别) cell, its two lines joined, forward-filled over its group."
                ),
                Column("seq", "Int64", "Sequence number (序号)."),
                Column("indicator", "string", "Indicator (指标) as found, errata applied (unit brackets repaired)."),
                Column("indicator_name", "string", "Indicator without its unit bracket and spaces."),
                Column(
                    "unit",
                    "string",
                    "Unit from the bracket at the end of the name, else the 单位 column; empty if none.",
                ),
                Column(
                    "attribute",
                    ATTRIBUTES,
                    "binding (约束性) or expected (预期性); empty if none or unknown (flagged).",
                ),
                Column("attribute_raw", "string", "属性 as found."),
                Column(
                    "department", "string", "Responsible unit, canonical (departments.department); empty if unknown."
                ),
                Column("department_raw", "string", "责任单位 as found (two-line cells joined)."),
                Column(
                    "baseline_raw", "string", "Baseline (基期值/现状值/2020年 …) as found; empty if the table has none."
                ),
                Column("baseline_value", "float", "Baseline parsed: the number (as targets are parsed)."),
                Column("target_raw", "string", "Target (目标值) as found."),
                Column("target_value", "float", "Target parsed: the number."),
                Column(
                    "target_unit", "string", "Unit of the target: from the target (%, 亿元) or else the name's unit."
                ),
                Column(
                    "target_comparator",
                    "string",
                    "'=' plain, '>=' 不少于 / 以上, '<=' 以内 / 不超过, '~' 约 (streetlib.numbers).",
                ),
                *PROVENANCE,
            ),
            key=("doc_id", "seq"),
            order=("source_file", "line_start", "seq"),
            extracted=True,
        ),
        TableSpec(
            "report_tables",
            (
                Column("doc_id", "string", "Research report the table belongs to.", required=True),
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
            key=("doc_id", "table_id", "row_label", "column"),
            order=("source_file", "line_start", "column"),
            extracted=True,
        ),
        TableSpec(
            "table_cells",
            (
                Column("doc_id", "string", "Document holding the table.", required=True),
                Column("table_id", "string", "Table id: '<doc_id>:tabNN', the NN-th table found in the document."),
                Column("row", "Int64", "Row number (0 = the header row); empty where the rows could not be cut."),
                Column("column", "string", "Canonical column from data/lexicon/table_headers.csv; empty if unknown."),
                Column(
                    "header", "string", "Header cell of the column as found; empty where the rows could not be cut."
                ),
                Column("text", "string", "Cell as found."),
                *PROVENANCE,
            ),
            order=("source_file", "line_start", "table_id"),
            extracted=True,
        ),
        TableSpec(
            "population",
            (
                Column("street", "string", "Subdistrict the figure describes."),
                Column("as_of", "date", "Reference date: 截至YYYY年M月 (first of the month) or the census date."),
                Column("collection", COLLECTIONS, "census or administrative (the subdistrict's own count)."),
                Column(
                    "basis",
                    POPULATION_BASES,
                    "What is counted: hukou (户籍), resident (常住), actual (实有), present, foreign, migrant, "
                    "all, unstated.",
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
                Column("doc_id", "string", "Document stating the figure.", required=True),
                *_provenance("Raw line holding the quote."),
                Column("quote", "string", "The words the figure was read from, verbatim."),
            ),
            order=("street", "as_of", "doc_id", "line_start", "measure", "basis"),
            extracted=True,
        ),
        TableSpec(
            "reference_population",
            (
                Column("region", "string", "上海市 or a district."),
                Column("level", "string", "city or district."),
                Column(
                    "as_of",
                    "date",
                    "Reference date (31 December for the ageing bulletins, 2020-11-01 for the census).",
                ),
                Column(
                    "basis",
                    POPULATION_BASES,
                    "hukou (户籍), resident (常住, census), or unstated where the source names no base.",
                    required=True,
                ),
                Column(
                    "measure",
                    "string",
                    "total, age_60_plus, share_age_60_plus, share_80_plus_of_60_plus, age_100_plus_per_100k, ...",
                ),
                Column("value", "float", "Value in persons, percent or per 100 000 (see unit).", required=True),
                Column("unit", "string", "人, % or per 100 000."),
                Column("value_as_published", "string", "The figure as published (e.g. 1471.16万)."),
                Column("source", "string", "Publisher and title.", required=True),
                Column("url", "string", "Address where it was read, where known."),
                Column(
                    "tier",
                    "string",
                    "A: official site or mainstream media relaying the bulletin; B: a repost agreeing with A.",
                ),
                Column("note", "string", "Remarks."),
            ),
            key=("region", "as_of", "basis", "measure"),
        ),
        TableSpec(
            "report_figures",
            (
                Column("figure", "string", "图N, 表N or 'text' (a number used by a check)."),
                Column("key", "string", "Identifier of the number, unique."),
                Column("label", "string", "What the number is (Chinese)."),
                Column("value", "float", "The number."),
                Column("unit", "string", "Its unit."),
                Column("kind", FIGURE_KINDS, "stated in the text, or derived (a bar the text leaves implicit)."),
                Column(
                    "doc_id",
                    "string",
                    "Document stating the number: a research report, or a document a check compares.",
                    required=True,
                ),
                *_provenance("Raw line of the stated number (the paragraph for rule-read ones); empty for derived."),
                Column("quote", "string", "The words it was read from; empty for derived."),
                Column("note", "string", "How a derived number was computed."),
            ),
            key=("doc_id", "key"),
            extracted=True,
        ),
        TableSpec(
            "report_checks",
            (
                Column(
                    "doc_id",
                    "string",
                    "Document of the claim (a research report, or any document with stated figures).",
                    required=True,
                ),
                Column("claim", "string", "The stated total, share, average or count that is checked."),
                Column(
                    "kind",
                    CHECK_KINDS,
                    "arithmetic: recomputed from its parts; restatement: one quantity stated twice; "
                    "by_construction: holds because a derived value was chosen to make it hold (counted once).",
                ),
                *_provenance("First raw line, in doc_id, of the numbers the check uses."),
                Column("other_doc_id", "string", "The other document, when the check compares two; empty otherwise."),
                Column("other_line_start", "Int64", "First raw line of the numbers used from other_doc_id."),
                Column("other_line_end", "Int64", "Last raw line of the numbers used from other_doc_id."),
                Column("stated", "float", "Value as stated."),
                Column("recomputed", "float", "Value recomputed from its parts (or the other statement)."),
                Column("difference", "float", "stated - recomputed."),
                Column(
                    "verdict",
                    VERDICTS,
                    "holds if equal after rounding to the stated precision (or reaching a stated lower bound); "
                    "cannot be decided when the text does not fix the definition or base the check needs.",
                ),
                Column("reason", "string", "Why it cannot be decided (from the reviewed check); empty otherwise."),
                Column("formula", "string", "How it was recomputed (names are report_figures keys or table values)."),
                Column("note", "string", "Remarks."),
            ),
            key=("doc_id", "claim"),
            extracted=True,
        ),
        TableSpec(
            "sections",
            (
                Column("doc_id", "string", "Document id.", required=True),
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
            key=("section_id",),
            order=("source_file", "line_start", "section_id"),
            extracted=True,
        ),
        TableSpec(
            "paragraphs",
            (
                Column("doc_id", "string", "Document id.", required=True),
                Column("section_id", "string", "Section the paragraph belongs to (empty before the first heading)."),
                Column(
                    "para_id",
                    "string",
                    "Paragraph id, unique: '<doc_id>:pNNNN' in document order; a paragraph joined from parts "
                    "split by extraction keeps its first part's id (the later ids are not used).",
                ),
                Column("genre", GENRES, "Genre of the manifest part holding the paragraph's first line."),
                Column(
                    "text",
                    "string",
                    "Cleaned text: errata applied, canonical punctuation, continuation lines and parts split by "
                    "extraction (flag split_paragraph) joined.",
                ),
                *PROVENANCE,
                Column("n_chars", "Int64", "Characters of text."),
                Column(
                    "dup_share",
                    "float",
                    "Share of its characters in sentences (>= 15 chars) seen earlier in the corpus.",
                    bounds=(0, 1),
                ),
                Column("duplicate_of", "string", "para_id of the earlier paragraph it repeats; empty if original."),
                Column(
                    "is_duplicate",
                    "bool",
                    "Whole text seen before, dup_share >= 0.8, or a near copy (>= 95% of characters, in order) of "
                    "an earlier paragraph: leave out of frequency counts.",
                ),
            ),
            key=("para_id",),
            order=("source_file", "line_start", "para_id"),
            extracted=True,
        ),
        TableSpec(
            "regions",
            (
                Column("doc_id", "string", "Document id.", required=True),
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
            key=("region_id",),
            order=("source_file", "line_start", "region_id"),
            extracted=True,
        ),
        TableSpec(
            "quality_flags",
            (
                Column("doc_id", "string", "Document holding the line (empty if no document covers it)."),
                Column("source_file", "string", "Raw file.", required=True),
                *PROVENANCE,
                Column(
                    "kind",
                    "string",
                    "What was found: erratum_fix, erratum_flag, hidden_characters, duplicate_paragraph, "
                    "split_paragraph, heading_sequence, ...",
                    required=True,
                ),
                Column("found", "string", "Text as found (verbatim for errata)."),
                Column(
                    "replacement",
                    "string",
                    "Replacement applied (errata of action fix); empty when nothing was changed.",
                ),
                Column("note", "string", "Reason or evidence."),
            ),
            order=("source_file", "line_start", "kind", "found"),
        ),
        TableSpec(
            "build_problems",
            (
                Column("doc_id", "string", "Document left out of the build.", required=True),
                Column(
                    "stage",
                    "string",
                    "Build stage that found the problem (structure, tasks, report, ...).",
                    required=True,
                ),
                Column("source_file", "string", "File holding the problem (a raw source or a reviewed file)."),
                *_provenance("Line of that file where the problem is; empty when it has no single line."),
                Column("problem", "string", "What is wrong, in data terms.", required=True),
                Column("remedy", "string", "What to do about it."),
            ),
            order=("doc_id", "stage", "source_file", "line_start"),
        ),
    )
}

# The same specs as plain column tuples (the shape older code and the export use).
SCHEMAS: dict[str, tuple[Column, ...]] = {name: spec.columns for name, spec in SPECS.items()}

# --- reviewed files (data/reviewed/): hand-made, read through streetlib.reviewed ----------------

REVIEWED: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "errata",
            (
                Column("source", "string", "Raw file in data/raw/ (as named in the manifest).", required=True),
                Column("line", "Int64", "1-based raw line holding the text.", bounds=(1, float("inf")), required=True),
                Column("found", "string", "Text as found on that line, verbatim.", required=True),
                Column("replacement", "string", "Replacement (action fix); empty for a flag."),
                Column(
                    "action",
                    ERRATA_ACTIONS,
                    "fix: repair the line; flag: record the defect, change nothing.",
                    required=True,
                ),
                Column("reason", "string", "Why: what the defect is and how the repair was decided.", required=True),
                Column(
                    "occurrences",
                    "Int64",
                    "How often `found` occurs on the line, every one repaired; empty = exactly once.",
                    bounds=(1, 1000),
                ),
            ),
        ),
        TableSpec(
            "report_figures",
            (
                Column(
                    "doc_id",
                    "string",
                    "Document stating the number (documents.doc_id): a research report, or a document a check "
                    "compares.",
                    required=True,
                ),
                Column("figure", "string", "图N, 表N or 'text' (a number used by a check).", required=True),
                Column("key", "string", "Identifier of the number, unique within the report.", required=True),
                Column("label", "string", "What the number is (Chinese).", required=True),
                Column("value", "float", "The number as stated in the quote.", required=True),
                Column("unit", "string", "Its unit."),
                Column("line", "Int64", "1-based raw line of the quote.", bounds=(1, float("inf")), required=True),
                Column("quote", "string", "The words holding the number, verbatim from the line.", required=True),
            ),
            key=("doc_id", "key"),
        ),
        TableSpec(
            "report_checks",
            (
                Column("doc_id", "string", "Research report (documents.doc_id).", required=True),
                Column("claim", "string", "The stated total, share or average, in the report's words.", required=True),
                Column("stated_key", "string", "report_figures key of the stated value.", required=True),
                Column(
                    "formula", "string", "Arithmetic (+ - * / parentheses) over report_figures keys.", required=True
                ),
                Column("decimals", "Int64", "Decimals the report states the value with.", bounds=(0, 6), required=True),
                Column("bound", CHECK_BOUNDS, "equal, or at_least for a stated lower bound (60%以上).", required=True),
                Column("kind", CHECK_KINDS, "arithmetic, restatement or by_construction.", required=True),
                Column(
                    "undecidable_because",
                    "string",
                    "Why the text does not fix the definition or base the check needs; empty if it does.",
                ),
                Column("note", "string", "Remarks."),
            ),
            key=("doc_id", "claim"),
        ),
        TableSpec(
            "reuse_judged_pairs",
            (
                Column("pair", "Int64", "Number of the pair in the sample.", bounds=(1, float("inf")), required=True),
                Column(
                    "stratum",
                    ("low", "mid", "high"),
                    "4-gram containment stratum the pair was drawn from (streetlib.reuse.judging_sample).",
                    required=True,
                ),
                Column(
                    "stratum_pairs",
                    "Int64",
                    "Candidate pairs in that stratum (the sampling weight's numerator).",
                    bounds=(1, float("inf")),
                    required=True,
                ),
                Column("para_a", "string", "paragraphs.para_id of one paragraph.", required=True),
                Column("para_b", "string", "paragraphs.para_id of the other, in another document.", required=True),
                Column(
                    "reused",
                    ("yes", "no"),
                    "yes: the two share a passage of 15 or more characters in the same wording (small edits "
                    "allowed), formulaic phrases and cited titles not counted.",
                    required=True,
                ),
                Column("note", "string", "What is shared, or why not."),
                Column("judged_by", "string", "Who judged (one coder; say so).", required=True),
                Column("judged_on", "string", "Date of judging (YYYY-MM-DD).", required=True),
            ),
            key=("pair",),
        ),
    )
}

# --- lexicon files (data/lexicon/): rules as data, read through streetlib.reviewed ----------------
# Vocabularies a loader owns (boilerplate kinds, table kinds, rule kinds) are checked by that loader.

_NOTE = Column("note", "string", "Remarks.")
LEXICON: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "boilerplate",
            (
                Column("pattern", "string", "Regular expression matching a boilerplate line.", required=True),
                Column("kind", "string", "toc, metadata, footer, web_chrome or toolbar.", required=True),
                _NOTE,
            ),
        ),
        TableSpec(
            "deadlines",
            (
                Column("pattern", "string", "Regular expression a deadline cell matches in full.", required=True),
                Column("month", "Int64", "Month of the deadline when the pattern names none.", bounds=(1, 12)),
                Column("day", "string", "Day of the deadline, or end (the month's last day).", pattern=r"\d{1,2}|end"),
                _NOTE,
            ),
        ),
        TableSpec(
            "departments",
            (
                Column("department", "string", "Canonical name of the body.", required=True),
                Column("department_en", "string", "English name.", required=True),
                Column("kind", DEPARTMENT_KINDS, "Kind of body.", required=True),
                Column("aliases", "string", "Other names, separated by ';'."),
                _NOTE,
            ),
            key=("department",),
        ),
        TableSpec(
            "doc_types",
            (
                Column("term", "string", "Title word naming a document type.", required=True),
                Column("doc_type", DOC_TYPES, "The document type it names.", required=True),
                Column("genre", GENRES, "plan, review, research or glossary.", required=True),
                Column("years_after", "Int64", "Plan years beyond the period reviewed.", bounds=(0, 10)),
            ),
            key=("term",),
        ),
        TableSpec(
            "elderly_terms",
            (Column("term", "string", "A word marking attention to older people.", required=True), _NOTE),
            key=("term",),
        ),
        TableSpec(
            "gazetteer",
            (
                Column("street", "string", "Name of the 街道, 镇 or 乡.", required=True),
                Column("street_en", "string", "English name.", required=True),
                Column("kind", ("街道", "镇", "乡"), "街道, 镇 or 乡.", required=True),
                Column("district", "string", "District (区).", required=True),
                Column("district_en", "string", "English name of the district.", required=True),
                Column("code", "string", "Statistical division code.", pattern=r"\d{9,12}"),
                Column("source", "string", "Where the row was read."),
            ),
            key=("street",),
        ),
        TableSpec(
            "glossary",
            (
                Column("zh", "string", "Chinese label.", required=True),
                Column("en", "string", "English label.", required=True),
                Column("kind", "string", "What the label names (category, street, road ...)."),
            ),
            key=("zh",),
        ),
        TableSpec(
            "population_patterns",
            (
                Column("kind", "string", "Rule kind (count, share, link, lead, context, date ...).", required=True),
                Column("pattern", "string", "Regular expression.", required=True),
                Column("basis", "string", "Population basis of a count or share rule."),
                Column("measure", "string", "Measure of a count or share rule."),
                Column("as_of", "string", "Reference date the rule implies."),
                _NOTE,
            ),
        ),
        TableSpec(
            "table_headers",
            (
                Column("header", "string", "Header word, or a regular expression starting with ^.", required=True),
                Column("column", "string", "Canonical column.", required=True, pattern=r"[a-z][a-z0-9_]*"),
                Column("table_kind", "string", "task, indicator, report, page_metadata or any.", required=True),
                _NOTE,
            ),
        ),
    )
}


def spec(name: str) -> TableSpec:
    """The spec of a processed table; an unknown name gets an error listing the valid ones."""
    if name not in SPECS:
        raise StreetlibError(f"unknown table {name!r}. Valid names: {', '.join(sorted(SPECS))}.")
    return SPECS[name]


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


def column_dictionary(columns: tuple[Column, ...]) -> str:
    """A numpydoc-style table of columns: name, description, dtype."""
    width = max(len(c.name) for c in columns)
    rule = f"{'=' * width} {'=' * 60}"
    rows = [rule, f"{'Column':<{width}} Description", rule]
    for c in columns:
        kind = "category" if isinstance(c.dtype, tuple) else c.dtype
        rows.append(f"{c.name:<{width}} {c.description} [{kind}]")
    rows.append(rule)
    return "\n".join(rows)


# --- validation of the rows a stage writes ------------------------------------------------------


@dataclass(frozen=True)
class Invalid:
    """A value that breaks its table's spec: the row (its index and raw lines), the column, why."""

    table: str
    index: int
    column: str
    problem: str
    line_start: int | None = None
    line_end: int | None = None
    doc_id: str | None = None


def is_missing(value: object) -> bool:
    """None, NaN, pandas' NA or NaT (a value CSV writes as an empty cell)."""
    return value is None or value != value or type(value).__name__ in ("NAType", "NaTType")


def bad_value(column: Column, value: object) -> str | None:
    """Why ``value`` (as a stage wrote it) does not fit ``column``, or None if it does."""
    if is_missing(value):
        return "is empty" if column.required else None
    kind = type(value).__name__
    if isinstance(column.dtype, tuple):
        return None if value in column.dtype else f"{value!r} is not one of {', '.join(column.dtype)}"
    if column.dtype in ("Int64", "float"):
        numeric = isinstance(value, int | float | str) or kind.startswith(("int", "float"))  # numpy scalars too
        if isinstance(value, bool) or not numeric:
            return f"{value!r} is not a number"
        try:  # text read from a reviewed or external CSV counts if it is a number as written
            number = float(value)
        except ValueError:
            return f"{value!r} is not a number"
        if column.dtype == "Int64" and not number.is_integer():
            return f"{value!r} is not a whole number"
        if abs(number) == float("inf"):
            return f"{value!r} is not a finite number"
        if column.bounds and not column.bounds[0] <= number <= column.bounds[1]:
            return f"{value!r} is outside the plausible range {column.bounds[0]:g}..{column.bounds[1]:g}"
        return None
    if column.dtype == "bool":
        ok = isinstance(value, bool) or kind == "bool_" or value in ("True", "False")
        return None if ok else f"{value!r} is not True or False"
    if column.dtype == "date":
        text = value.isoformat() if hasattr(value, "isoformat") else value
        if not (isinstance(text, str) and _is_iso_date(text[:10]) and len(text) in (10, 19)):
            return f"{value!r} is not a date YYYY-MM-DD"
        return None
    if not isinstance(value, str):
        return f"{value!r} is not text"
    if column.pattern and not re.fullmatch(column.pattern, value):
        return f"{value!r} does not match {column.pattern}"
    return None


def _is_iso_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def validate(spec: TableSpec, rows: list[dict], *, partial: bool = False) -> list[Invalid]:
    """Every value of ``rows`` that breaks ``spec``, and every repeated key.

    ``partial`` rows may lack columns a later stage adds (a document's paragraphs
    before the corpus marks duplicates); complete rows must have exactly the
    spec's columns.
    """
    out = []
    names = set(spec.names)
    seen: dict[tuple, int] = {}
    for index, row in enumerate(rows):
        where = {
            "line_start": _int_or_none(row.get("line_start")),
            "line_end": _int_or_none(row.get("line_end")),
            "doc_id": row.get("doc_id") if isinstance(row.get("doc_id"), str) else None,
        }
        extra = sorted(set(row) - names)
        missing = [] if partial else [c for c in spec.names if c not in row]
        if extra or missing:
            out.append(
                Invalid(
                    spec.name,
                    index,
                    ", ".join(extra + missing),
                    f"columns {extra} are not in the spec, {missing} are missing",
                    **where,
                )
            )
        for column in spec.columns:
            if column.name in row:
                problem = bad_value(column, row[column.name])
                if problem:
                    out.append(Invalid(spec.name, index, column.name, problem, **where))
        if spec.key and all(c in row for c in spec.key):
            key = tuple(row[c] for c in spec.key)
            if any(is_missing(k) for k in key):
                out.append(Invalid(spec.name, index, ", ".join(spec.key), "a key column is empty", **where))
                continue
            if key in seen:
                out.append(
                    Invalid(
                        spec.name,
                        index,
                        ", ".join(spec.key),
                        f"key {dict(zip(spec.key, key, strict=True))} repeats row {seen[key] + 1}",
                        **where,
                    )
                )
            seen.setdefault(key, index)
    return out


def _int_or_none(value: object) -> int | None:
    return None if is_missing(value) or isinstance(value, str) else int(value)
