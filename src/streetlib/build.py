"""``streetlib build``: raw texts + manifest -> ``data/processed/*.csv``.

The build is deterministic (rows in a fixed order, fixed CSV dialect, no
timestamps) and atomic: every table is written to a temporary folder beside
``processed/`` and swapped in only when all stages have succeeded, so a failed
build leaves the previous tables untouched.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from streetlib import config
from streetlib.atomic import owning_folder, replacing_folder
from streetlib.clean import Erratum, apply_errata, load_errata
from streetlib.datasets import SCHEMAS, quality_flag
from streetlib.errors import BuildError, located
from streetlib.facts import load_population_patterns, population_facts
from streetlib.indicators import indicator_rows
from streetlib.manifest import Corpus, read_corpus
from streetlib.report import (
    CHECK_FILE,
    FIGURE_FILE,
    derived_figures,
    distribution_figures,
    report_tables,
    run_checks,
    stated_figures,
)
from streetlib.structure import load_boilerplate, mark_duplicates, sections_and_paragraphs, segment_document
from streetlib.tables import document_tables
from streetlib.tasks import load_departments, task_tables


def documents_table(corpus: Corpus) -> pd.DataFrame:
    """One row per manifest document, with its size measured on the raw lines."""
    rows = []
    for d in corpus.manifest.documents:
        source = corpus.manifest.source(d.source)
        lines = corpus.document_lines(d)
        rows.append(
            {
                "doc_id": d.doc_id,
                "source_file": d.source,
                "title": d.title,
                "street": d.street,
                "street_en": d.street_en,
                "district": d.district,
                "district_en": d.district_en,
                "doc_type": d.doc_type,
                "genres": ";".join(dict.fromkeys(p.genre for p in d.parts)),
                "year_start": d.year_start,
                "year_end": d.year_end,
                "published": source.published.isoformat(),
                "publisher": source.publisher,
                "line_start": d.line_start,
                "line_end": d.line_end,
                "n_lines": len(lines),
                "n_chars": sum(len("".join(line.split())) for line in lines),
            }
        )
    return pd.DataFrame(rows).sort_values(["source_file", "line_start"], kind="stable").reset_index(drop=True)


def build_tables(corpus: Corpus, raw: Path, lexicon: Path, external: Path) -> dict[str, pd.DataFrame]:
    """Run every stage; return the tables by name."""
    errata = load_errata(raw)
    lines = apply_errata(corpus, errata, raw)
    boilerplate = load_boilerplate(lexicon)
    # corpus order (publication date, then file order) decides which copy of a repeated text is the original
    order = {s.file: (s.published, i) for i, s in enumerate(corpus.manifest.sources)}
    documents = sorted(corpus.manifest.documents, key=lambda d: (order[d.source], d.line_start))
    department_rows, department_names = load_departments(lexicon)
    regions, sections, paragraphs, flags = [], [], [], errata_flags(corpus, errata)
    tasks, task_links, indicators, report_rows = [], [], [], []
    found_by_source: dict[str, list] = {}
    report_docs = []
    for doc in documents:
        doc_lines = lines[doc.source][doc.line_start - 1 : doc.line_end]
        doc_regions = segment_document(doc, doc_lines, boilerplate)
        doc_sections, doc_paragraphs, doc_flags = sections_and_paragraphs(doc, doc_regions)
        found = document_tables(doc.doc_id, doc.source, doc_regions, doc_lines, doc.line_start)
        titles = [(r.line_start, r.text) for r in doc_regions if r.kind == "table_title"]
        doc_tasks, doc_links, table_flags = task_tables(doc.doc_id, doc.source, found, titles, department_names)
        doc_indicators, indicator_flags = indicator_rows(doc.doc_id, doc.source, found, department_names)
        tasks += doc_tasks
        task_links += doc_links
        indicators += doc_indicators
        doc_flags += table_flags + indicator_flags
        found_by_source.setdefault(doc.source, []).extend(found)
        if doc.doc_type == "research_report":
            report_docs.append((doc, titles, doc_regions))
        regions += [
            {
                "doc_id": r.doc_id,
                "region_id": f"{r.doc_id}:r{k:04d}",
                "kind": r.kind,
                "line_start": r.line_start,
                "line_end": r.line_end,
                "text": r.text or None,
            }
            for k, r in enumerate(doc_regions, start=1)
        ]
        sections += doc_sections
        paragraphs += doc_paragraphs
        flags += doc_flags
    figures, checks = [], []
    for doc, titles, doc_regions in report_docs:
        moved = {r.title_line: (r.line_start, r.line_end) for r in doc.relocated_tables}
        doc_rows, doc_flags = report_tables(doc.doc_id, doc.source, titles, moved, found_by_source[doc.source])
        report_rows += doc_rows
        flags += doc_flags
        stated = (
            stated_figures(raw / FIGURE_FILE, lines[doc.source], doc.doc_id) if (raw / FIGURE_FILE).is_file() else []
        )
        distributions, distribution_flags = distribution_figures(doc_regions, doc.doc_id, doc.source, lines[doc.source])
        stated += distributions
        flags += distribution_flags
        derived, env = derived_figures(stated, doc_rows, doc.doc_id)
        figures += stated + derived
        if (raw / CHECK_FILE).is_file():
            doc_checks = run_checks(raw / CHECK_FILE, env, stated, doc.doc_id)
            checks += doc_checks
            flags += [
                quality_flag(
                    doc.doc_id,
                    doc.source,
                    c["line_start"],
                    c["line_start"],
                    "report_claim_inconsistent",
                    f"{c['stated']:g}",
                    f"{c['claim']}: recomputed {c['recomputed']:g} ({c['formula']})",
                )
                for c in doc_checks
                if c["verdict"] != "holds"
            ]
    paragraph_table = mark_duplicates(pd.DataFrame(paragraphs))
    flags += duplicate_flags(paragraph_table, corpus)
    document_table = documents_table(corpus)
    population, population_flags = population_facts(
        paragraph_table, document_table, lines, patterns=load_population_patterns(lexicon)
    )
    flags += population_flags
    by_line = ["source_file", "line_start"]
    source_of = {d.doc_id: d.source for d in corpus.manifest.documents}
    return {
        "documents": document_table,
        "population": pd.DataFrame(population, columns=[c.name for c in SCHEMAS["population"]])
        .sort_values(["street", "as_of", "doc_id", "line_start", "measure", "basis"], kind="stable")
        .reset_index(drop=True),
        "reference_population": reference_population(external),
        "departments": pd.DataFrame(department_rows).sort_values("department", kind="stable").reset_index(drop=True),
        "tasks": _sorted(pd.DataFrame(tasks, columns=[c.name for c in SCHEMAS["tasks"]]), source_of, "task_id"),
        "task_departments": pd.DataFrame(task_links, columns=[c.name for c in SCHEMAS["task_departments"]]),
        "indicators": _sorted(
            pd.DataFrame(indicators, columns=[c.name for c in SCHEMAS["indicators"]]), source_of, "seq"
        ),
        "report_figures": pd.DataFrame(figures, columns=[c.name for c in SCHEMAS["report_figures"]]),
        "report_checks": pd.DataFrame(checks, columns=[c.name for c in SCHEMAS["report_checks"]]),
        "report_tables": _sorted(
            pd.DataFrame(report_rows, columns=[c.name for c in SCHEMAS["report_tables"]]), source_of, "column"
        ),
        "regions": _sorted(pd.DataFrame(regions), source_of, "region_id"),
        "sections": _sorted(pd.DataFrame(sections), source_of, "section_id"),
        "paragraphs": _sorted(paragraph_table, source_of, "para_id"),
        "quality_flags": pd.DataFrame(flags)
        .sort_values([*by_line, "kind", "found"], kind="stable", na_position="first")
        .reset_index(drop=True)[[c.name for c in SCHEMAS["quality_flags"]]],
    }


def reference_population(external: Path) -> pd.DataFrame:
    """Official figures from ``data/external/reference_population.csv``, checked row by row."""
    path = external / "reference_population.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    expected = [c.name for c in SCHEMAS["reference_population"]]
    if list(frame.columns) != expected:
        raise BuildError(located(path, 1, f"columns {list(frame.columns)}", f"Use {expected}."))
    for i, row in enumerate(frame.itertuples(), start=2):
        if not isinstance(row.source, str) or not row.source.strip():
            raise BuildError(
                located(path, i, "row has no source", "Every official figure needs its publisher and title.")
            )
        published = str(row.value_as_published).rstrip("%")
        factor = 10_000 if published.endswith("万") else 1
        if abs(float(published.rstrip("万")) * factor - float(row.value)) > 1e-6 * max(1.0, float(row.value)):
            raise BuildError(
                located(path, i, f"value {row.value} does not match {row.value_as_published}", "Fix one of them.")
            )
    return frame


def _sorted(frame: pd.DataFrame, source_of: dict[str, str], key: str) -> pd.DataFrame:
    """Rows in file order: source file, then line, then id."""
    return (
        frame.assign(_source=frame["doc_id"].map(source_of))
        .sort_values(["_source", "line_start", key], kind="stable")
        .drop(columns="_source")
        .reset_index(drop=True)
    )


def errata_flags(corpus: Corpus, errata: list[Erratum]) -> list[dict]:
    """One quality flag per erratum: repairs applied and defects flagged."""
    return [
        quality_flag(
            _doc_at(corpus, e.source, e.line),
            e.source,
            e.line,
            e.line,
            f"erratum_{e.action}",
            e.found,
            e.reason,
            replacement=e.replacement if e.action == "fix" else None,
        )
        for e in errata
    ]


def duplicate_flags(paragraphs: pd.DataFrame, corpus: Corpus) -> list[dict]:
    source_of = {d.doc_id: d.source for d in corpus.manifest.documents}
    dups = paragraphs[paragraphs["is_duplicate"]]
    return [
        quality_flag(
            row.doc_id,
            source_of[row.doc_id],
            row.line_start,
            row.line_end,
            "duplicate_paragraph",
            row.text[:40],
            f"repeats {row.duplicate_of} ({row.dup_share:.0%} of its characters in earlier sentences)",
        )
        for row in dups.itertuples()
    ]


def _doc_at(corpus: Corpus, source: str, line: int) -> str | None:
    return next(
        (d.doc_id for d in corpus.manifest.documents if d.source == source and d.line_start <= line <= d.line_end),
        None,
    )


def build(root: Path | None = None, *, progress: bool = True) -> dict[str, Path]:
    """Rebuild ``processed/`` under the data root; return the written paths."""

    def say(message: str) -> None:
        if progress:
            print(f"[streetlib build] {message}", file=sys.stderr, flush=True)

    # The lock spans the whole build: two builds in one data root would race on processed/.
    with _writing(config.processed_dir(root)), owning_folder(config.processed_dir(root)) as out:
        raw = config.raw_dir(root)
        say(f"reading manifest and sources in {raw}")
        corpus = read_corpus(raw)
        say(f"{len(corpus.manifest.sources)} sources, {len(corpus.manifest.documents)} documents")
        tables = build_tables(corpus, raw, config.lexicon_dir(root), config.external_dir(root))
        for name, frame in tables.items():
            check_schema(name, frame)
            say(f"{name}: {len(frame)} rows")
        write_tables(tables, out)
    say(f"wrote {len(tables)} tables to {out}")
    return {name: out / f"{name}.csv" for name in tables}


@contextlib.contextmanager
def _writing(out: Path) -> Iterator[None]:
    """File-system failures (read-only folder, full disk) as an error naming the place and the fix."""
    try:
        yield
    except OSError as exc:
        raise BuildError(
            located(
                exc.filename or out,
                None,
                f"could not be written ({exc.strerror or exc})",
                f"Check the folder's permissions and the free disk space; {out} is unchanged.",
            )
        ) from exc


def check_schema(name: str, frame: pd.DataFrame) -> None:
    expected = [c.name for c in SCHEMAS[name]]
    if list(frame.columns) != expected:
        raise BuildError(f"table {name!r}: columns {list(frame.columns)} differ from its schema {expected}.")


def write_tables(tables: dict[str, pd.DataFrame], out: Path) -> None:
    """Write every table to a fresh folder, then swap it in for ``out`` (see :func:`atomic.replacing_folder`)."""
    with replacing_folder(out) as staging:
        for name, frame in sorted(tables.items()):
            frame.to_csv(staging / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")


def check_report(root: Path | None = None) -> str:
    """What a build would find, per document, computed in memory (nothing is written)."""
    raw = config.raw_dir(root)
    corpus = read_corpus(raw)
    tables = build_tables(corpus, raw, config.lexicon_dir(root), config.external_dir(root))
    counts = pd.DataFrame({"doc_id": [d.doc_id for d in corpus.manifest.documents]}).set_index("doc_id")
    for name, label in [
        ("sections", "sections"),
        ("paragraphs", "paragraphs"),
        ("tasks", "task rows"),
        ("indicators", "indicators"),
        ("report_tables", "report cells"),
        ("population", "population figures"),
        ("quality_flags", "flags"),
    ]:
        counts[label] = tables[name].groupby("doc_id").size().reindex(counts.index, fill_value=0)
    flags = tables["quality_flags"]
    kinds = flags.groupby("kind").size().sort_values(ascending=False)
    lines = [
        f"{len(corpus.manifest.sources)} sources, {len(counts)} documents: the manifest and sources are valid.",
        "",
    ]
    lines.append(counts.to_string())
    lines += ["", "quality flags by kind:", kinds.to_string()]
    return "\n".join(lines)
