"""``streetlib build``: raw texts + manifest -> ``data/processed/*.csv``.

The build runs the stages of :data:`STAGES` (the one registry): each takes one
document's context and returns rows and flags (:mod:`streetlib.stage`). Every
row is validated against its table's spec (:mod:`streetlib.schema`): an unknown
category, a number that does not fit its column, a year out of range or a
repeated key is an error naming the stage, the document and the line.

One bad document never blocks the others: a document whose stage raises a data
error, or writes a value its table refuses, is left out of every table and listed
with all its problems in ``build_problems`` (and on the terminal); the rest
builds. Errors of the manifest, the sources, the lexicons and the reviewed files
still stop the build, with ``processed/`` untouched.

The build is deterministic (rows in each spec's order, fixed CSV dialect, no
timestamps) and atomic: every table is written to a temporary folder beside
``processed/`` and swapped in only when all of them are written.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from streetlib import config, facts, indicators, report, reviewed, structure, tables, tasks
from streetlib.atomic import owning_folder, replacing_folder
from streetlib.clean import Erratum, apply_errata, hidden_characters, load_errata
from streetlib.datasets import MANIFEST_FILE, manifest_text
from streetlib.errors import BuildError, Located, StreetlibError, located
from streetlib.manifest import Corpus, Document, read_corpus
from streetlib.schema import LEXICON, REVIEWED, SPECS, Invalid, TableSpec, quality_flag, validate
from streetlib.stage import CorpusContext, DocumentContext, Lexicon, Stage, StageResult

# The registry. Adding a table type: one stage module with an `extract(ctx) -> StageResult`,
# one line here, its spec in streetlib/schema.py, its lexicon rows, its tests (README: "Adding a table type").
STAGES: tuple[Stage, ...] = (
    Stage("structure", structure.extract, ("regions", "sections", "paragraphs")),
    Stage("tables", tables.extract, ("table_cells",)),
    Stage("tasks", tasks.extract, ("tasks", "task_departments")),
    Stage("indicators", indicators.extract, ("indicators",)),
    Stage("report", report.extract, ("report_tables", "report_figures")),
    Stage("duplicates", structure.extract_duplicates, ("paragraphs",), per_document=False),
    Stage("population", facts.extract, ("population",), per_document=False),
    Stage("checks", report.extract_checks, ("report_checks",), per_document=False),
)
# Stages that leave what later stages read on the context: when they fail, a document's later stages are skipped.
FOUNDATIONS = ("structure", "tables")
EXIT_LEFT_OUT = 3  # `streetlib build` / `check` exit status when documents were left out
PROGRESS_DELAY = 3.0  # seconds a build runs before its progress bar appears


@dataclass
class BuildResult:
    """The tables of a build and the documents it left out (``tables["build_problems"]``)."""

    tables: dict[str, pd.DataFrame]
    left_out: list[str] = field(default_factory=list)

    @property
    def problems(self) -> pd.DataFrame:
        return self.tables["build_problems"]


class Built(dict):
    """The written paths by table name; ``problems`` lists the documents left out (empty if none)."""

    problems: pd.DataFrame


def documents_table(corpus: Corpus, documents: list[Document] | None = None) -> pd.DataFrame:
    """One row per manifest document (or per document of ``documents``), sized on the raw lines."""
    rows = []
    for d in corpus.manifest.documents if documents is None else documents:
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
                "url": source.url,
                "retrieved": source.retrieved.isoformat() if source.retrieved else None,
                "line_start": d.line_start,
                "line_end": d.line_end,
                "n_lines": len(lines),
                "n_chars": sum(len("".join(line.split())) for line in lines),
            }
        )
    return pd.DataFrame(rows, columns=SPECS["documents"].names)


def run_stages(corpus: Corpus, root: Path | None = None, *, progress: bool = False) -> BuildResult:
    """Run every stage over the corpus; return the tables (sorted, validated) and the documents left out.

    Raises
    ------
    BuildError
        For errors no single document owns: a lexicon, reviewed or external file, an
        erratum, or a corpus stage's failure.
    """
    reviewed_dir = config.reviewed_dir(root)
    lexicon_dir = config.lexicon_dir(root)
    for name in REVIEWED:  # refuse a malformed reviewed or lexicon file before anything runs
        reviewed.read(name, root)
    for name in LEXICON:
        reviewed.read_lexicon(name, lexicon_dir)
    errata = load_errata(reviewed_dir)
    lines = apply_errata(corpus, errata, reviewed_dir)
    department_rows, department_names = tasks.load_departments(lexicon_dir)
    lexicon = Lexicon(
        structure.load_boilerplate(lexicon_dir),
        department_rows,
        department_names,
        facts.load_population_patterns(lexicon_dir),
        tables.load_table_headers(lexicon_dir),
        lexicon_dir,
    )
    # corpus order (publication date, then file order) decides which copy of a repeated text is the original
    order = {s.file: (s.published, i) for i, s in enumerate(corpus.manifest.sources)}
    documents = sorted(corpus.manifest.documents, key=lambda d: (order[d.source], d.line_start))
    contexts = {
        d.doc_id: DocumentContext(
            d, lines[d.source][d.line_start - 1 : d.line_end], lines[d.source], lexicon, reviewed_dir
        )
        for d in documents
    }
    by_source: dict[str, list[DocumentContext]] = {}  # one pass, not one scan of every document per document
    for ctx in contexts.values():
        by_source.setdefault(ctx.source, []).append(ctx)
    for ctx in contexts.values():
        ctx.source_tables = _source_tables(by_source[ctx.source])
        ctx.report_source = any(c.doc.doc_type == "research_report" for c in by_source[ctx.source])
    data_root = root or config.data_root()
    results, problems = _run_document_stages(documents, contexts, data_root, progress=progress)
    while True:  # a corpus stage's invalid rows leave their document out: run the corpus stages again without it
        kept = [d for d in documents if d.doc_id not in problems]
        corpus_results, new_problems = _run_corpus_stages(corpus, kept, results, lines, reviewed_dir, lexicon)
        for doc_id, found in new_problems.items():
            problems.setdefault(doc_id, []).extend(found)
        if not new_problems:
            break

    left_out = set(problems)
    out = _collect([r for d in kept for r in results[d.doc_id]], corpus_results)
    source_of = {d.doc_id: d.source for d in documents}
    flags = [
        f
        for f in errata_flags(corpus, errata) + hidden_character_flags(documents, lines)
        if f["doc_id"] not in left_out
    ]
    flags += out["quality_flags"]
    built = {
        "documents": documents_table(corpus, [d for d in corpus.manifest.documents if d.doc_id not in left_out]),
        "departments": pd.DataFrame(department_rows, columns=SPECS["departments"].names),
        "reference_population": reference_population(config.external_dir(root)),
        "quality_flags": pd.DataFrame(flags, columns=SPECS["quality_flags"].names),
        "build_problems": pd.DataFrame(
            [p for d in documents for p in problems.get(d.doc_id, [])], columns=SPECS["build_problems"].names
        ),
    }
    for stage in STAGES:
        for name in stage.tables:
            built[name] = pd.DataFrame(out.get(name, []), columns=SPECS[name].names)
    for name, frame in built.items():
        invalid = validate(SPECS[name], frame.to_dict("records"))
        if invalid:
            first = invalid[0]
            raise BuildError(
                f"table {name!r}, row {first.index + 1} ({first.doc_id or 'no document'}, line {first.line_start}): "
                f"column {first.column}: {first.problem}"
                + (f" (and {len(invalid) - 1} more)" if len(invalid) > 1 else "")
                + ". Check the manifest, lexicon or external file this table comes from."
            )
        built[name] = sort_table(SPECS[name], frame, source_of)
    return BuildResult(dict(sorted(built.items())), [d.doc_id for d in documents if d.doc_id in left_out])


def progress_bar(total: int, *, enabled: bool = True) -> tqdm:
    """A progress bar on stderr for ``total`` steps: only on a terminal, and only once the work has run
    :data:`PROGRESS_DELAY` seconds (a short build prints no bar; a log file gets no carriage returns)."""
    shown = enabled and sys.stderr.isatty()
    return tqdm(
        total=total, desc="[streetlib build]", unit="step", file=sys.stderr, disable=not shown,
        delay=PROGRESS_DELAY, leave=False, dynamic_ncols=True,
    )  # fmt: skip


def _run_document_stages(
    documents: list[Document], contexts: dict[str, DocumentContext], data_root: Path, *, progress: bool = False
) -> tuple[dict[str, list[StageResult]], dict[str, list[dict]]]:
    """Each document stage over every document, in corpus order: results and problems by document."""
    results: dict[str, list[StageResult]] = {d.doc_id: [] for d in documents}
    problems: dict[str, list[dict]] = {}
    stages = [s for s in STAGES if s.per_document]
    with progress_bar(len(stages) * len(documents), enabled=progress) as bar:
        for stage in stages:
            bar.set_postfix_str(stage.name, refresh=False)
            for doc in documents:
                bar.update()
                _run_document_stage(stage, doc, contexts[doc.doc_id], data_root, results, problems)
    return results, problems


def _run_document_stage(
    stage: Stage,
    doc: Document,
    ctx: DocumentContext,
    data_root: Path,
    results: dict[str, list[StageResult]],
    problems: dict[str, list[dict]],
) -> None:
    """One stage over one document: its result into ``results``, or its problems into ``problems``."""
    if any(p["stage"] in FOUNDATIONS for p in problems.get(doc.doc_id, [])):
        return  # later stages would read nothing
    try:
        result = stage.run(ctx)
    except StreetlibError as exc:
        problems.setdefault(doc.doc_id, []).append(_problem(doc, stage.name, exc, data_root))
        return
    except Exception as exc:  # a defect of a stage on this document must not block the others
        problems.setdefault(doc.doc_id, []).append(_defect(doc, stage.name, exc))
        return
    invalid = _invalid(stage, result, partial=True)
    if invalid:
        problems.setdefault(doc.doc_id, []).extend(_invalid_problem(doc, stage.name, i) for i in invalid)
        return
    results[doc.doc_id].append(result)


def _run_corpus_stages(
    corpus: Corpus,
    kept: list[Document],
    results: dict[str, list[StageResult]],
    lines: dict[str, list[str]],
    reviewed_dir: Path,
    lexicon: Lexicon,
) -> tuple[list[StageResult], dict[str, list[dict]]]:
    """The corpus stages over the documents kept so far; their results, and problems by document."""
    collected = _collect([r for d in kept for r in results[d.doc_id]])
    frames = {
        name: pd.DataFrame(collected[name]) if collected.get(name) else pd.DataFrame(columns=SPECS[name].names)
        for stage in STAGES
        for name in stage.tables
    }
    frames["documents"] = documents_table(corpus, kept)
    context = CorpusContext(kept, frames, lines, reviewed_dir, lexicon)
    corpus_results, problems = [], {}
    for stage in (s for s in STAGES if not s.per_document):
        result = stage.run(context)
        for invalid in _invalid(stage, result, partial=False):
            doc = next((d for d in kept if d.doc_id == invalid.doc_id), None)
            if doc is None:
                raise BuildError(f"stage {stage.name!r}: {invalid.table}.{invalid.column}: {invalid.problem}.")
            problems.setdefault(doc.doc_id, []).append(_invalid_problem(doc, stage.name, invalid))
        for name, rows in result.rows.items():
            context.tables[name] = pd.DataFrame(rows) if rows else pd.DataFrame(columns=SPECS[name].names)
        corpus_results.append(result)
    return corpus_results, problems


def _source_tables(same_source: list[DocumentContext]):
    # a table found in a document that is later left out is still where the source has it
    def tables_of_source() -> list:
        return [t for c in same_source for t in c.tables]

    return tables_of_source


def _collect(document_results: list[StageResult], corpus_results: list[StageResult] = ()) -> dict[str, list[dict]]:
    """Rows by table, in order; a corpus stage's rows replace what the document stages wrote to that table."""
    out: dict[str, list[dict]] = {"quality_flags": []}
    for result in document_results:
        for name, rows in result.rows.items():
            out.setdefault(name, []).extend(rows)
        out["quality_flags"].extend(result.flags)
    for result in corpus_results:
        out |= {name: list(rows) for name, rows in result.rows.items()}
        out["quality_flags"].extend(result.flags)
    return out


def _invalid(stage: Stage, result: StageResult, *, partial: bool) -> list[Invalid]:
    """Rows of ``result`` that break their specs (and tables the stage may not write)."""
    out = []
    for name, rows in [*result.rows.items(), ("quality_flags", result.flags)]:
        if name not in SPECS or (name != "quality_flags" and name not in stage.tables):
            raise BuildError(f"stage {stage.name!r} wrote table {name!r}, which its registry line does not name.")
        out += validate(SPECS[name], rows, partial=partial)
    return out


def _problem(doc: Document, stage: str, exc: StreetlibError, data_root: Path) -> dict:
    """A ``build_problems`` row from a stage's error (its message names file, line, problem and fix)."""
    message = exc.args[0] if exc.args else str(exc)
    if not isinstance(message, Located):
        return _problem_row(doc, stage, doc.source, None, None, str(exc), "")
    where = message.where if isinstance(message.where, int) else None
    path = Path(message.path)
    # a raw source is named as in the manifest; another file by its place in the data root (reviewed/…)
    name = path.relative_to(data_root).as_posix() if path.is_relative_to(data_root) else path.name
    return _problem_row(doc, stage, name, where, where, message.problem, message.fix)


def _defect(doc: Document, stage: str, exc: Exception) -> dict:
    """A ``build_problems`` row for an exception that is not a data error (a defect of the stage)."""
    return _problem_row(
        doc,
        stage,
        doc.source,
        None,
        None,
        f"the {stage} stage failed on this document ({type(exc).__name__}: {exc})",
        "This is a defect of streetlib, not of your data: please report it with this document; "
        "the other documents built",
    )


def _invalid_problem(doc: Document, stage: str, invalid: Invalid) -> dict:
    return _problem_row(
        doc,
        stage,
        doc.source,
        invalid.line_start,
        invalid.line_end,
        f"{invalid.table}.{invalid.column}: {invalid.problem}",
        "The value read from this line does not fit the table: correct the line through data/reviewed/errata.csv, "
        "or, if the value is right, extend the vocabulary or range in streetlib/schema.py",
    )


def _problem_row(doc, stage, source_file, line_start, line_end, problem, remedy) -> dict:
    return {
        "doc_id": doc.doc_id,
        "stage": stage,
        "source_file": source_file,
        "line_start": line_start,
        "line_end": line_end,
        "problem": problem,
        "remedy": remedy,
    }


def sort_table(spec: TableSpec, frame: pd.DataFrame, source_of: dict[str, str]) -> pd.DataFrame:
    """Rows in the spec's order (``source_file`` of a table without that column: its document's source)."""
    if not spec.order:
        return frame.reset_index(drop=True)
    helper = "source_file" in spec.order and "source_file" not in frame.columns
    sortable = frame.assign(source_file=frame["doc_id"].map(source_of)) if helper else frame
    na = "first" if spec.name == "quality_flags" else "last"  # flags without a line lead their file
    out = sortable.sort_values(list(spec.order), kind="stable", na_position=na)
    return (out.drop(columns="source_file") if helper else out).reset_index(drop=True)


def reference_population(external: Path) -> pd.DataFrame:
    """Official figures from ``data/external/reference_population.csv``, checked row by row."""
    path = external / "reference_population.csv"
    spec = SPECS["reference_population"]
    if not path.is_file():
        raise BuildError(located(path, None, "does not exist", "Restore it from the repository (data/external/)"))
    rows = reviewed.read_csv(path, spec)  # header, field count, categories, numbers and sources checked
    for i, row in rows:
        published = row["value_as_published"].rstrip("%")
        factor = 10_000 if published.endswith("万") else 1
        try:
            stated = float(published.rstrip("万")) * factor
        except ValueError:
            stated = None
        if stated is None or abs(stated - float(row["value"])) > 1e-6 * max(1.0, float(row["value"])):
            raise BuildError(
                located(path, i, f"value {row['value']} does not match {row['value_as_published']}", "Fix one of them")
            )
    return pd.DataFrame([{k: v or None for k, v in row.items()} for _, row in rows], columns=spec.names)


def errata_flags(corpus: Corpus, errata: list[Erratum]) -> list[dict]:
    """One quality flag per erratum: repairs applied and defects flagged."""
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for d in corpus.manifest.documents:
        spans.setdefault(d.source, []).append((d.line_start, d.line_end, d.doc_id))
    return [
        quality_flag(
            _doc_at(spans.get(e.source, []), e.line),
            e.source,
            e.line,
            e.line,
            f"erratum_{e.action}",
            e.found,
            _erratum_note(e),
            replacement=e.replacement if e.action == "fix" else None,
        )
        for e in errata
    ]


def hidden_character_flags(documents: list[Document], lines: dict[str, list[str]]) -> list[dict]:
    """One quality flag per raw line of a document where normalisation removed an invisible character
    (zero-width, bidirectional control, NUL) or replaced a look-alike radical: the analysis text differs
    from what the file holds there."""
    flags = []
    for d in documents:
        for number in range(d.line_start, d.line_end + 1):
            hidden = hidden_characters(lines[d.source][number - 1])
            if hidden:
                note = "removed (invisible) or replaced (look-alike radical) in the analysis text"
                flags.append(quality_flag(d.doc_id, d.source, number, number, "hidden_characters", hidden, note))
    return flags


def _erratum_note(e: Erratum) -> str:
    """The erratum's reason, with how many occurrences it covers when more than one."""
    if e.occurrences == 1:
        return e.reason
    return f"{e.reason} ({e.occurrences} occurrences on the line, all {'repaired' if e.action == 'fix' else 'flagged'})"


def _doc_at(spans: list[tuple[int, int, str]], line: int) -> str | None:
    """The document of a source whose line range holds ``line`` (a source holds few documents)."""
    return next((doc_id for start, end, doc_id in spans if start <= line <= end), None)


def problems_text(problems: pd.DataFrame) -> str:
    """The documents left out and every problem of each, for the terminal."""
    if problems.empty:
        return ""
    out = [f"{problems['doc_id'].nunique()} document(s) left out of the build (see build_problems):"]
    for doc_id, group in problems.groupby("doc_id", sort=False):
        out.append(f"  {doc_id}:")
        for p in group.itertuples():
            place = p.source_file if pd.isna(p.line_start) else f"{p.source_file}:{int(p.line_start)}"
            out.append(f"    [{p.stage}] {place}: {p.problem}. {p.remedy}".rstrip())
    return "\n".join(out)


def build(root: Path | None = None, *, progress: bool = True) -> Built:
    """Rebuild ``processed/`` under the data root; return the written paths.

    A document whose data a stage refuses is left out and listed in
    ``build_problems`` (``result.problems``); the rest builds.

    Raises
    ------
    StreetlibError
        For a manifest, source, lexicon, reviewed-file or environment error: nothing is written.
    """

    def say(message: str) -> None:
        if progress:
            print(f"[streetlib build] {message}", file=sys.stderr, flush=True)

    raw = config.raw_dir(root)
    try:
        # The lock spans the whole build: two builds in one data root would race on processed/.
        with owning_folder(config.processed_dir(root)) as out:
            say(f"reading manifest and sources in {raw}")
            corpus = read_corpus(raw)
            say(f"{len(corpus.manifest.sources)} sources, {len(corpus.manifest.documents)} documents")
            result = run_stages(corpus, root, progress=progress)
            for name, frame in result.tables.items():
                say(f"{name}: {len(frame)} rows")
            write_tables(result.tables, out)
    except OSError as exc:  # read-only folder, full disk, ...: an environment fault, not a defect
        raise BuildError(
            located(
                exc.filename or config.processed_dir(root),
                None,
                f"could not be written ({exc.strerror or exc})",
                "Check the folder's permissions and the free disk space; data/processed was left as it was",
            )
        ) from None
    say(f"wrote {len(result.tables)} tables to {out}")
    if result.left_out:
        print(problems_text(result.problems), file=sys.stderr, flush=True)
    built = Built({name: out / f"{name}.csv" for name in result.tables})
    built.problems = result.problems
    return built


def write_tables(tables: dict[str, pd.DataFrame], out: Path) -> None:
    """Write every table and ``MANIFEST`` (rows, sha256) to a fresh folder, then swap it in for ``out``
    (:func:`atomic.replacing_folder`)."""
    written = {}
    with replacing_folder(out) as staging:
        for name, frame in sorted(tables.items()):
            whole = [c.name for c in SPECS[name].columns if c.dtype == "Int64"]
            # whole numbers are written as such (2253, not 2253.0) also in a column with empty cells
            frame = frame.assign(**{c: pd.to_numeric(frame[c]).astype("Int64") for c in whole})
            frame.to_csv(staging / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")
            written[name] = (len(frame), (staging / f"{name}.csv").read_bytes())
        # inside the swap: the tables and their row counts and checksums are replaced together
        (staging / MANIFEST_FILE).write_text(manifest_text(written), encoding="utf-8", newline="\n")


def check_report(root: Path | None = None) -> tuple[str, bool]:
    """What a build would find, per document, computed in memory (nothing is written).

    Returns the report and whether every document would build.
    """
    corpus = read_corpus(config.raw_dir(root))
    result = run_stages(corpus, root)
    built = result.tables
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
        counts[label] = built[name].groupby("doc_id").size().reindex(counts.index, fill_value=0)
    counts["status"] = ["LEFT OUT" if doc_id in result.left_out else "ok" for doc_id in counts.index]
    kinds = built["quality_flags"].groupby("kind").size().sort_values(ascending=False)
    lines = [
        f"{len(corpus.manifest.sources)} sources, {len(counts)} documents: the manifest and sources are valid.",
        "",
        counts.to_string(),
        "",
        "quality flags by kind:",
        kinds.to_string(),
    ]
    flags = built["quality_flags"]
    unknown = flags[flags["kind"] == "department_unknown"]
    if len(unknown):
        lines += ["", f"unknown departments ({unknown['found'].nunique()}; add them to data/lexicon/departments.csv):"]
        lines += [f"  {row.found}  ({row.doc_id}, {row.source_file}:{row.line_start})" for row in unknown.itertuples()]
    if result.left_out:
        lines += ["", problems_text(result.problems)]
    return "\n".join(lines), not result.left_out
