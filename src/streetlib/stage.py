"""The stage contract: what a build stage takes and returns.

A **document stage** is a function ``DocumentContext -> StageResult``: it reads one
document (its cleaned lines, and what earlier stages left on the context, such
as its regions and tables) and returns rows by table name plus quality flags.
A **corpus stage** takes a :class:`CorpusContext` (every document that built,
and the tables so far) for what needs the whole corpus (duplicates, facts that
skip duplicates). ``streetlib.build.STAGES`` lists them; the build runs them,
validates every row against :mod:`streetlib.schema` and leaves out a document
whose stage raised a :class:`~streetlib.errors.StreetlibError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from streetlib.manifest import Document
    from streetlib.structure import Region
    from streetlib.tables import FoundTable


@dataclass
class Lexicon:
    """The reviewed word lists a stage may use (read once per build)."""

    boilerplate: list = field(default_factory=list)
    department_rows: list[dict] = field(default_factory=list)
    department_names: dict[str, str] = field(default_factory=dict)
    population_patterns: list = field(default_factory=list)
    table_headers: Any = None  # tables.HeaderLexicon
    folder: Path | None = None  # the lexicon folder, for lists a stage reads itself (deadlines)


@dataclass
class DocumentContext:
    """One document as the stages see it.

    ``lines`` are the document's raw lines with errata applied (``lines[0]`` is raw
    line ``doc.line_start``); ``source_lines`` the whole source's. ``regions`` and
    ``tables`` are filled by the structure and tables stages for later ones;
    ``source_tables`` returns the tables found in every document of the same
    source (a report's table can sit in another document of its source).
    """

    doc: Document
    lines: list[str]
    source_lines: list[str]
    lexicon: Lexicon
    reviewed: Path
    regions: list[Region] = field(default_factory=list)
    tables: list[FoundTable] = field(default_factory=list)
    source_tables: Callable[[], list[FoundTable]] = list
    report_source: bool = False  # the source holds a research report (its stage reads report tables anywhere in it)

    @property
    def doc_id(self) -> str:
        return self.doc.doc_id

    @property
    def source(self) -> str:
        return self.doc.source

    @property
    def table_titles(self) -> list[tuple[int, str]]:
        """``(line, text)`` of every table title region."""
        return [(r.line_start, r.text) for r in self.regions if r.kind == "table_title"]


@dataclass
class CorpusContext:
    """The documents that built, and the tables the document stages produced (in corpus order)."""

    documents: list[Document]
    tables: dict[str, pd.DataFrame]
    lines: dict[str, list[str]]
    reviewed: Path
    lexicon: Lexicon = field(default_factory=Lexicon)


@dataclass
class StageResult:
    """Rows by table name, and quality flags (rows of ``quality_flags``)."""

    rows: dict[str, list[dict]] = field(default_factory=dict)
    flags: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Stage:
    """A named step of the build: ``run(context) -> StageResult``, writing ``tables``.

    ``per_document`` stages run once per document (in corpus order, each stage
    over every document before the next stage); the others once over the corpus.
    A corpus stage's rows replace the table's rows from earlier stages.
    """

    name: str
    run: Callable[[Any], StageResult]
    tables: tuple[str, ...] = ()
    per_document: bool = True
