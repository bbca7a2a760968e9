"""Document sets of other streets, added with ``streetlib add PATH --street NAME`` only.

Issue 14, item 8. Two sets run the same checks:

- ``tests/fixtures/devset/``: sixteen development documents (other 街道 and 镇, every table layout and
  header vocabulary, GBK and UTF-8-with-BOM/CRLF files, web chrome, chapters, title blocks, population
  phrasings), which the ingestion rules were written against;
- ``tests/fixtures/holdout/``: a hold-out set the rules were not written for. Its known gaps are listed
  in its ``gaps.toml`` and marked ``xfail(strict=True)``, so a fix turns them into XPASS failures that
  force removing the entry.

Each set's documents are added to its own copy of ``data/`` through the command line, the corpus is
built once per set, and the result is compared with the set's ``expected.toml``, written by hand from
the documents before the code ran (conventions in the fixtures' READMEs). One test per set, document
and aspect, so a failure names all three.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import tomllib
import traceback
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURES, REAL_DATA

from streetlib import config
from streetlib.cli import main

CONTROL = ("\ufeff", "\r")
ALL = "*"  # the `file` of a known gap that concerns a whole set, not one document


@dataclass(frozen=True)
class DocSet:
    """A folder of documents with their hand-written expectations and known gaps."""

    name: str
    folder: Path
    docs: dict[str, dict]  # expectations by file, in expected.toml's order
    gaps: dict[tuple[str, str], str]  # (test name, file or ALL) -> why the check fails today

    @classmethod
    def load(cls, name: str) -> DocSet:
        folder = FIXTURES / name
        documents = tomllib.loads((folder / "expected.toml").read_text(encoding="utf-8"))["documents"]
        gaps_file = folder / "gaps.toml"
        gaps = tomllib.loads(gaps_file.read_text(encoding="utf-8"))["gaps"] if gaps_file.is_file() else []
        return cls(
            name,
            folder,
            {doc["file"]: doc for doc in documents},
            {(gap["test"], gap["file"]): gap["reason"] for gap in gaps},
        )


SETS = {name: DocSet.load(name) for name in ("devset", "holdout")}


PARAMETERS: set[tuple[str, str, str]] = set()  # (set, test, file) of every parameter made


def param(docset: DocSet, test: str, file: str) -> object:
    """One parameter of ``test``, marked with the set's name and, for a known gap, xfail(strict=True)."""
    PARAMETERS.add((docset.name, test, file))
    marks = [getattr(pytest.mark, docset.name)]
    if (test, file) in docset.gaps:
        marks.append(pytest.mark.xfail(strict=True, reason=docset.gaps[test, file]))
    if file == ALL:
        return pytest.param(docset.name, marks=marks, id=docset.name)
    return pytest.param(docset.name, file, marks=marks, id=f"{docset.name}/{file}")


def each_document(key: str | None = None, where: str = "build"):
    """Run the test for every document of every set (only those whose expectations have ``key``:
    in [documents.build], or a list of rows when where='')."""

    def decorate(test):
        params = [
            param(docset, test.__name__, file)
            for docset in SETS.values()
            for file, doc in docset.docs.items()
            if key is None or key in (doc.get(where, {}) if where else doc)
        ]
        return pytest.mark.parametrize(("docset", "file"), params)(test)

    return decorate


def each_set(test):
    """Run the test once for every set."""
    return pytest.mark.parametrize("docset", [param(s, test.__name__, ALL) for s in SETS.values()])(test)


def nfkc(text: object) -> str:
    """Text compared the way a reader compares it: full-width forms folded, outer spaces dropped."""
    return unicodedata.normalize("NFKC", str(text)).strip()


@dataclass
class Run:
    """What the command line did: one ``add`` per document, then one build."""

    root: Path
    docs: dict[str, dict]
    adds: dict[str, subprocess.CompletedProcess]
    build: subprocess.CompletedProcess

    def table(self, name: str) -> pd.DataFrame:
        path = self.root / "processed" / f"{name}.csv"
        if not path.is_file():
            pytest.fail(f"the build wrote no {name}.csv")
        return pd.read_csv(path, dtype=str, keep_default_na=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        folder = self.root / "processed"
        return {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(folder.glob("*.csv"))}

    def doc_id(self, file: str) -> str:
        documents = self.table("documents")
        ids = documents.loc[documents["source_file"] == file, "doc_id"].tolist()
        if len(ids) != 1:
            add = self.adds[file]
            pytest.fail(
                f"{file}: {len(ids)} documents built from it (expected 1).\n"
                f"add exit {add.returncode}: {add.stdout}{add.stderr}\n"
                f"build exit {self.build.returncode}: {self.build.stderr[-1500:]}"
            )
        return ids[0]

    def rows(self, name: str, file: str) -> pd.DataFrame:
        table = self.table(name)
        return table[table["doc_id"] == self.doc_id(file)]


def streetlib(*args: str) -> subprocess.CompletedProcess:
    """``streetlib ARGS`` run through the command line's entry point in this process, its exit status and output
    captured as a child process's would be (an uncaught exception becomes the traceback a child prints, exit 1).
    In-process because a child pays the interpreter and import start-up, about 1.5 s, for each of ~30 documents."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code if isinstance(exit_.code, int) else 1
        except Exception:  # reported as a child process would report it
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess(["streetlib", *args], code, out.getvalue(), err.getvalue())


def add_and_build(docset: DocSet, base: Path) -> Run:
    """data/ copied (without processed/) into ``base``, every document of the set added by its street alone,
    built once."""
    root = base / "data"
    for sub in sorted(p for p in REAL_DATA.iterdir() if p.is_dir() and p.name != "processed"):
        shutil.copytree(sub, root / sub.name)
    downloads = base / "downloads"
    downloads.mkdir()
    adds = {}
    for file, doc in docset.docs.items():
        path = downloads / file
        shutil.copyfile(docset.folder / file, path)
        adds[file] = streetlib("--data", str(root), "add", str(path), "--street", doc["street"])
    return Run(root, docset.docs, adds, streetlib("--data", str(root), "build"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Each set's run, made the first time a test asks for it."""
    return {}


@pytest.fixture
def run(runs: dict[str, Run], docset: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    if docset not in runs:
        runs[docset] = add_and_build(SETS[docset], tmp_path_factory.mktemp(docset))
    return runs[docset]


def raw_lines(run: Run, file: str) -> list[str]:
    """The raw file's lines, decoded as its manifest entry says (the build's own view of line numbers)."""
    source = manifest_entries(run, file)[0]
    text = (run.root / "raw" / file).read_bytes().decode(source.get("encoding", "utf-8"))
    return text.replace("\r\n", "\n").split("\n")


def manifest_entries(run: Run, file: str) -> tuple[dict, list[dict]]:
    """The [[sources]] entry of ``file`` and its [[documents]] entries, as ``add`` wrote them."""
    manifest = tomllib.loads((run.root / "raw" / config.MANIFEST_NAME).read_text(encoding="utf-8"))
    sources = [s for s in manifest.get("sources", []) if s["file"] == file]
    if len(sources) != 1:
        pytest.fail(f"{file}: {len(sources)} [[sources]] entries in the manifest (expected 1)")
    return sources[0], [d for d in manifest.get("documents", []) if d["source"] == file]


def line_of(value: str) -> int:
    return int(float(value))


# ---------------------------------------------------------------------------------------------- add


@each_document()
def test_add_infers_the_manifest_entry(run: Run, file: str) -> None:
    add, want = run.adds[file], run.docs[file]["add"]
    assert add.returncode == 0, f"`streetlib add {file} --street {run.docs[file]['street']}` failed:\n{add.stderr}"
    assert "Traceback" not in add.stderr
    source, documents = manifest_entries(run, file)
    assert len(documents) == 1, f"{len(documents)} document entries for {file}"
    entry = documents[0]
    problems = []

    def expect(what: str, got: object, allowed: object) -> None:
        options = allowed if isinstance(allowed, list) else [allowed]
        if got not in options:
            problems.append(f"{what}: got {got!r}, expected {' or '.join(map(repr, options))}")

    expect("street", entry.get("street"), run.docs[file]["street"])
    expect("district", entry.get("district"), want["district"])
    expect("doc_type", entry.get("doc_type"), want["doc_type"])
    expect("title", entry.get("title"), want["title"])
    expect("encoding", source.get("encoding", "utf-8"), want["encoding"])
    expect("newline", source.get("newline", "lf"), want["newline"])
    published = str(source.get("published", ""))
    allowed = want["published"] if isinstance(want["published"], list) else [want["published"]]
    if not any(published == p or (len(p) == 7 and published.startswith(p + "-")) for p in allowed):
        problems.append(f"published: got {published!r}, expected {' or '.join(allowed)}")
    years = [entry.get("year_start"), entry.get("year_end")]
    allowed_years = want["years"] if isinstance(want["years"][0], list) else [want["years"]]
    expect("years", years, allowed_years)
    assert not problems, f"{file}:\n" + "\n".join(problems)


# -------------------------------------------------------------------------------------------- build


@each_set
def test_the_build_takes_every_document(run: Run) -> None:
    assert run.build.returncode == 0, (
        f"build exit {run.build.returncode}:\n{run.build.stdout[-3000:]}{run.build.stderr}"
    )
    documents = run.table("documents")
    assert not set(run.docs) - set(documents["source_file"]), "documents of the set missing from `documents`"


@each_document()
def test_tasks_count(run: Run, file: str) -> None:
    tasks = run.rows("tasks", file)
    assert len(tasks) == run.docs[file]["build"]["n_tasks"], tasks[["seq", "task", "line_start"]].to_string()


@each_document("tasks", where="")
def test_task_rows(run: Run, file: str) -> None:
    want_doc = run.docs[file]
    tasks = run.rows("tasks", file)
    links = run.table("task_departments")
    problems = []
    for column in ("deadline_raw", "deadline"):
        if column not in tasks.columns:
            problems.append(f"tasks has no {column!r} column")
    for want in want_doc["tasks"]:
        found = tasks[tasks["line_start"].map(line_of) == want["line"]] if len(tasks) else tasks
        if len(found) != 1:
            problems.append(f"seq {want['seq']}: {len(found)} task rows start on line {want['line']}")
            continue
        row = found.iloc[0]
        label = f"seq {want['seq']} (line {want['line']})"
        for key, column in (("seq", "seq"), ("task", "task"), ("content", "content"), ("category", "category")):
            if key in want and nfkc(row.get(column, "")) != nfkc(want[key]):
                problems.append(f"{label}: {column} {row.get(column)!r}, expected {want[key]!r}")
        for key in ("scope", "year"):
            if key in want_doc["build"] and nfkc(row.get(key, "")) != str(want_doc["build"][key]):
                problems.append(f"{label}: {key} {row.get(key)!r}, expected {want_doc['build'][key]!r}")
        for key in ("deadline_raw", "deadline"):
            if key in want and key in tasks.columns and nfkc(row[key]) != want[key]:
                problems.append(f"{label}: {key} {row[key]!r}, expected {want[key]!r}")
        mine = links[links["task_id"] == row["task_id"]].sort_values("position", key=lambda s: s.astype(int))
        names = [d or raw for d, raw in zip(mine["department"], mine["department_raw"], strict=True)]
        if "departments" in want and names != want["departments"]:
            problems.append(f"{label}: departments {names}, expected {want['departments']}")
        for role in ("lead", "co"):
            if role in want:
                got = [n for n, r in zip(names, mine["role"], strict=True) if r == role]
                if got != want[role]:
                    problems.append(f"{label}: {role} {got}, expected {want[role]}")
    assert not problems, f"{file}:\n" + "\n".join(problems)


@each_document("unknown_departments")
def test_unknown_departments_kept_raw_and_flagged(run: Run, file: str) -> None:
    doc_id = run.doc_id(file)
    links = run.table("task_departments")
    raw_names = set(links.loc[links["task_id"].str.startswith(f"{doc_id}:"), "department_raw"])
    flags = run.table("quality_flags")
    flags = flags[flags["doc_id"] == doc_id]
    flagged = " ".join(flags["found"]) + " " + " ".join(flags["note"])
    problems = []
    for name in run.docs[file]["build"]["unknown_departments"]:
        if name not in raw_names:
            problems.append(f"{name}: not kept in task_departments.department_raw")
        if name not in flagged:
            problems.append(f"{name}: no quality flag of the document names it")
    assert not problems, f"{file}:\n" + "\n".join(problems)


@each_document()
def test_indicators(run: Run, file: str) -> None:
    want_doc = run.docs[file]
    indicators = run.rows("indicators", file)
    assert len(indicators) == want_doc["build"]["n_indicators"], indicators.to_string()
    baseline = next((c for c in ("baseline_value", "baseline") if c in indicators.columns), None)
    problems = [] if baseline or not want_doc.get("indicators") else ["indicators has no baseline column"]
    for want in want_doc.get("indicators", []):
        found = indicators[indicators["line_start"].map(line_of) == want["line"]]
        if len(found) != 1:
            problems.append(f"seq {want['seq']}: {len(found)} indicator rows start on line {want['line']}")
            continue
        row = found.iloc[0]
        checks = {
            "seq": (row["seq"], str(want["seq"])),
            "indicator_name": (nfkc(row["indicator_name"]), want["name"]),
            "unit": (nfkc(row["unit"]), want["unit"]),
            "attribute": (row["attribute"], want["attribute"]),
            "target_value": (float(row["target_value"] or "nan"), float(want["target"])),
        }
        if baseline:
            checks[baseline] = (float(row[baseline] or "nan"), float(want["baseline"]))
        if "category" in want:
            checks["category"] = (nfkc(row["category"]), want["category"])
        problems += [
            f"seq {want['seq']}: {k} {got!r}, expected {exp!r}" for k, (got, exp) in checks.items() if got != exp
        ]
    assert not problems, f"{file}:\n" + "\n".join(problems)


@each_document("population", where="")
def test_population_figures(run: Run, file: str) -> None:
    population = run.rows("population", file)
    problems = []
    for want in run.docs[file]["population"]:
        label = f"line {want['line']} {want.get('basis', '*')}/{want['measure']} = {want['value']}"
        found = population[
            (population["line_start"].map(line_of) == want["line"])
            & (population["measure"] == want["measure"])
            & ((population["basis"] == want["basis"]) if "basis" in want else True)
        ]
        found = found[(pd.to_numeric(found["value"], errors="coerce") - want["value"]).abs() < 1e-6]
        if len(found) != 1:
            problems.append(f"{label}: {len(found)} rows")
            continue
        row = found.iloc[0]
        for key in ("unit", "qualifier", "as_of"):
            if key in want and nfkc(row[key])[: len(want[key])] != want[key]:
                problems.append(f"{label}: {key} {row[key]!r}, expected {want[key]!r}")
    assert not problems, f"{file}:\n" + "\n".join(problems) + "\n\nrows found:\n" + population.to_string()


@each_document()
def test_extracted_text_is_on_its_cited_lines(run: Run, file: str) -> None:
    """Every quote and task cell of the document can be found on the raw lines its row cites."""
    lines = [nfkc(line) for line in raw_lines(run, file)]
    problems = []
    for row in run.rows("population", file).itertuples():
        if nfkc(row.quote) not in lines[line_of(row.line_start) - 1]:
            problems.append(f"population {row.quote!r} is not on line {row.line_start}")
    for row in run.rows("tasks", file).itertuples():
        span = "\n".join(lines[line_of(row.line_start) - 1 : line_of(row.line_end)])
        if nfkc(row.task) not in span:
            problems.append(f"task {row.task!r} is not on lines {row.line_start}-{row.line_end}")
    assert not problems, f"{file}:\n" + "\n".join(problems)


# --------------------------------------------------------------------------------------- structure


def heading_matches(section: pd.Series, want: str) -> bool:
    """'一、基本情况' matches marker 一、 + title 基本情况; a marker alone ('第一条') checks the marker only."""
    marker, title = nfkc(section["marker"]), nfkc(section["title"])
    want = nfkc(want)
    if marker and want == marker:
        return True
    return (marker + title).replace(" ", "") == want.replace(" ", "")


@each_document("outline")
def test_headings_nest(run: Run, file: str) -> None:
    sections = run.rows("sections", file).reset_index(drop=True)
    by_id = sections.set_index("section_id")
    problems, matched, start = [], [], 0
    for entry in run.docs[file]["build"]["outline"]:
        depth, want = (len(entry) - len(entry.lstrip(" "))) // 2, entry.strip()
        hits = [i for i in range(start, len(sections)) if heading_matches(sections.iloc[i], want)]
        if not hits:
            problems.append(f"{want!r}: no such heading (after the previous one)")
            matched.append((depth, None))
            continue
        i = hits[0]
        start = i + 1
        parent = next((m for d, m in reversed(matched) if d < depth), None) if depth else None
        matched.append((depth, sections.iloc[i]["section_id"]))
        got_parent = sections.iloc[i]["parent_id"]
        if depth and parent is not None and got_parent != parent:
            name = f"{by_id.loc[got_parent, 'marker']}{by_id.loc[got_parent, 'title']}" if got_parent else "none"
            problems.append(f"{want!r}: parent is {name!r}, expected the heading above it in the outline")
        if not depth:
            ancestor = got_parent
            while ancestor:
                if by_id.loc[ancestor, "marker"]:
                    problems.append(f"{want!r}: is nested under {by_id.loc[ancestor, 'marker']}, expected top level")
                    break
                ancestor = by_id.loc[ancestor, "parent_id"]
    assert not problems, f"{file}:\n" + "\n".join(problems)


@each_document("no_sections_in")
def test_table_of_contents_is_not_headings(run: Run, file: str) -> None:
    first, last = run.docs[file]["build"]["no_sections_in"]
    sections = run.rows("sections", file)
    inside = sections[sections["line_start"].map(line_of).between(first, last)]
    assert inside.empty, f"{file}: headings made of table-of-contents lines:\n{inside[['marker', 'title']]}"


@each_document("chrome")
def test_no_chrome_in_paragraphs(run: Run, file: str) -> None:
    texts = run.rows("paragraphs", file)["text"].tolist()
    found = []
    for chrome in run.docs[file]["build"]["chrome"]:
        # a byte-order mark or a carriage return is looked for as is; words after folding full-width forms
        hit = any(chrome in t for t in texts) if chrome in CONTROL else any(nfkc(chrome) in nfkc(t) for t in texts)
        if hit:
            found.append(chrome)
    assert not found, f"{file}: page chrome in paragraphs: {found}"


@each_document("not_paragraphs")
def test_title_block_is_not_text(run: Run, file: str) -> None:
    texts = {nfkc(t) for t in run.rows("paragraphs", file)["text"]}
    found = [line for line in run.docs[file]["build"]["not_paragraphs"] if nfkc(line) in texts]
    assert not found, f"{file}: title-block lines kept as paragraphs: {found}"


# ----------------------------------------------------------------------------------- generic tables


@each_document("generic_tables", where="")
def test_generic_tables_kept_and_flagged(run: Run, file: str) -> None:
    doc_id = run.doc_id(file)
    tables = run.tables()
    problems = []
    for want in run.docs[file]["generic_tables"]:
        first, last = want["first"], want["last"]
        label = f"{want['why']} table on lines {first}-{last}"
        for name in ("tasks", "indicators"):
            rows = tables[name][tables[name]["doc_id"] == doc_id]
            if rows["line_start"].map(line_of).between(first, last).any():
                problems.append(f"{label}: became {name} rows")
        cells: set[str] = set()
        for name, table in tables.items():
            if name not in ("paragraphs", "sections") and "doc_id" in table.columns:
                mine = table[table["doc_id"] == doc_id]
                cells |= {nfkc(v) for column in mine.columns for v in mine[column]}
        missing = [c for c in want["cells"] if nfkc(c) not in cells]
        if missing:
            problems.append(f"{label}: cells not kept in any table: {missing}")
        flags = tables["quality_flags"]
        flags = flags[(flags["doc_id"] == doc_id) & (flags["line_start"] != "")]
        if not flags["line_start"].map(line_of).between(first, last).any():
            problems.append(f"{label}: no quality flag on its lines says why it was not parsed")
    assert not problems, f"{file}:\n" + "\n".join(problems)


def test_every_known_gap_names_a_check_that_runs() -> None:
    """A gap whose test or document was renamed or removed would silently stop being checked."""
    stale = [
        f"{docset.name}/gaps.toml: test {test!r}, file {file!r}"
        for docset in SETS.values()
        for test, file in docset.gaps
        if (docset.name, test, file) not in PARAMETERS
    ]
    assert not stale, "known gaps that match no test parameter:\n" + "\n".join(stale)
