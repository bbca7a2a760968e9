"""Command line: ``streetlib build | check | info | export | add | reproduce | lab``."""

from __future__ import annotations

import argparse
import os
import sys
import unicodedata
import warnings
from pathlib import Path

from streetlib import __version__, config
from streetlib.build import EXIT_LEFT_OUT, build, check_report
from streetlib.datasets import load, table_names
from streetlib.errors import StreetlibError
from streetlib.export import export_csv, export_xlsx, write_report_index
from streetlib.manifest import ADD_FIELDS, Added, add_document
from streetlib.rexport import write_r_export


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="streetlib", description=__doc__)
    parser.add_argument("--version", action="version", version=f"streetlib {__version__}")
    parser.add_argument(
        "--data",
        type=Path,
        help="data folder (default: $STREETLIB_DATA, else the nearest data/ with raw/manifest.toml at or above "
        "the working directory)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "build",
        help="rebuild data/processed from data/raw (deterministic, atomic); "
        f"exit status {EXIT_LEFT_OUT} if a document was left out (see build_problems)",
    )
    sub.add_parser("info", help="list the processed tables and their sizes")
    sub.add_parser("check", help="report what a build would find, per document, without writing anything")
    export = sub.add_parser("export", help="write every table with a data dictionary, for Excel or CSV users")
    export.add_argument("--xlsx", type=Path, help="workbook to write")
    export.add_argument("--csv", type=Path, help="folder to write CSV files into")
    export.add_argument("--r", type=Path, help="folder for the document-term matrix of quanteda/stm (see README)")
    index = sub.add_parser("index-reports", help="write reports/index.html linking every notebook report")
    index.add_argument("folder", type=Path, nargs="?", help="default: <project>/reports")
    run = sub.add_parser(
        "reproduce",
        help="build, execute the notebooks whose cells or inputs changed, write figures/ and reports/ (and the site)",
    )
    run.add_argument("--force", action="store_true", help="execute every notebook, changed or not")
    run.add_argument("--site", action="store_true", help="also build the static site into site/")
    run.add_argument("--jobs", type=int, default=1, help="notebooks executed at a time (default 1)")
    sub.add_parser("lab", help="start JupyterLab in notebooks/ (further arguments go to JupyterLab, e.g. --no-browser)")
    sub.add_parser("teaching", help="write teaching/05_teaching_case_student.ipynb (notebook 05 without solutions)")
    add = sub.add_parser(
        "add",
        help="copy a raw document into data/raw and add a manifest entry for review",
        description="Copy a raw document into data/raw and append a manifest entry. Only the street is needed: "
        "encoding, line ends, title, document type, publication date, issuing body and period are read from the "
        "text, district and English names from the manifest or data/lexicon/gazetteer.csv; every option overrides "
        "what was read.",
    )
    add.add_argument("path", type=Path, help="the raw text as received (UTF-8, UTF-8 with BOM, GB18030/GBK)")
    add.add_argument("--street", required=True, help="e.g. 新华路街道 or 张江镇")
    add.add_argument("--street-en", help="e.g. 'Xinhua Road Subdistrict' (default: gazetteer)")
    add.add_argument("--district", help="e.g. 长宁区 (default: gazetteer)")
    add.add_argument("--district-en", help="e.g. 'Changning District' (default: gazetteer)")
    add.add_argument("--doc-type", help="action_plan, work_plan, work_summary, ... (default: from the title)")
    add.add_argument("--published", help="2024-02-20, 2024/02/20 or 2024年2月20日 (default: from the text)")
    add.add_argument("--publisher", help="issuing body (default: from the text)")
    add.add_argument("--title", help="default: the first line naming a document type")
    add.add_argument("--years", help="period covered: 2024, 2021-2025 (any dash) or 十四五 (default: from the title)")
    add.add_argument("--genre", help="plan, review, research or glossary (default: from the document type)")
    add.add_argument("--doc-id", help="default: the file name, or <street>_<year>_<doc_type>")
    add.add_argument("--url", help="where the document was downloaded from")
    add.add_argument("--retrieved", help="when it was downloaded (a date)")
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "lab":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    root = args.data.resolve() if args.data else None
    if root is not None and args.command in ("reproduce", "lab"):
        os.environ[config.DATA_ENV] = str(root)  # the notebook kernels read this data too
    try:
        if args.command == "build":
            if not build(root).problems.empty:
                return EXIT_LEFT_OUT
        elif args.command == "info":
            info(root)
        elif args.command == "check":
            text, complete = check_report(root)
            print(text)
            if not complete:
                return EXIT_LEFT_OUT
        elif args.command == "export":
            if not (args.xlsx or args.csv or args.r):
                parser.error("export needs --xlsx PATH, --csv DIR or --r DIR")
            if args.xlsx:
                with warnings.catch_warnings(record=True) as notes:
                    warnings.simplefilter("always")
                    print(f"wrote {export_xlsx(args.xlsx, root=root)}")
                for note in notes:
                    print(f"streetlib export: note: {note.message}", file=sys.stderr)
            if args.csv:
                print(f"wrote {len(export_csv(args.csv, root=root))} files to {args.csv}")
            if args.r:
                print(f"wrote {len(write_r_export(args.r, root=root))} files to {args.r}")
        elif args.command == "index-reports":
            print(f"wrote {write_report_index(args.folder or config.reports_dir())}")
        elif args.command == "reproduce":
            run_reproduce(root, force=args.force, site=args.site, jobs=args.jobs)
        elif args.command == "lab":
            return lab_command([a for a in extra if a != "--"])
        elif args.command == "teaching":
            from streetlib.teaching import write_student_version

            print(f"wrote {write_student_version()}")
        elif args.command == "add":
            given = {key: getattr(args, key) for key in ADD_FIELDS}
            print(describe_added(add_document(args.path, args.street, root=root, **given)))
    except StreetlibError as exc:
        print(f"streetlib {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0


def run_reproduce(root: Path | None, *, force: bool, site: bool, jobs: int) -> None:
    from streetlib.reproduce import Project, reproduce
    from streetlib.website import build_site

    project = Project(config.project_root(), root or config.data_root())
    status = reproduce(project, force=force, jobs=jobs, log=lambda line: print(f"[streetlib reproduce] {line}"))
    ran = sum(value == "ran" for value in status.values())
    print(
        f"[streetlib reproduce] {ran} notebooks executed, {len(status) - ran} up to date; reports in {project.reports}"
    )
    if site:
        print(f"[streetlib reproduce] site written to {build_site(project)}")


def lab_command(arguments: list[str]) -> int:
    from streetlib.reproduce import lab

    return lab(config.project_root(), arguments)


def info(root: Path | None) -> None:
    print(f"streetlib {__version__}; data root {root or config.data_root()}")
    for name in table_names():
        frame = load(name, root=root)
        print(f"  {name:<24} {len(frame):>6} rows x {frame.shape[1]} columns")


def describe_added(added: Added) -> str:
    """What ``add`` wrote, one field a line with where its value came from, for review."""
    received = f", received as {added.received_as}" if added.received_as else ""
    lines = [f"added {added.doc_id}: data/raw/{added.file}{received}"]
    order = ("encoding", "newline", "title", "doc_type", "genre", "published", "publisher", "years", "street",
             "street_en", "district", "district_en", "doc_id", "url", "retrieved")  # fmt: skip
    for key in order:
        if key in added.facts:
            fact = added.facts[key]
            value = "-".join(map(str, fact.value)) if isinstance(fact.value, tuple) else str(fact.value)
            if key == "years" and fact.value[0] == fact.value[1]:  # type: ignore[index]
                value = str(fact.value[0])  # type: ignore[index]
            pad = 40 - sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in value)
            lines.append(f"  {key:<12} {value}{' ' * max(1, pad)} {fact.evidence}")
    lines.append(
        "Review the new entries at the end of data/raw/manifest.toml (split a file holding several documents, "
        "mark review parts), then run `streetlib check` and `streetlib build`."
    )
    return "\n".join(lines)
