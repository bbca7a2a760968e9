"""Command line: ``streetlib build | info``."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from streetlib import __version__, config
from streetlib.build import build, check_report
from streetlib.datasets import load, table_names
from streetlib.errors import StreetlibError
from streetlib.export import export_csv, export_xlsx, write_report_index
from streetlib.manifest import add_document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="streetlib", description=__doc__)
    parser.add_argument("--version", action="version", version=f"streetlib {__version__}")
    parser.add_argument("--data", type=Path, help="data root (default: $STREETLIB_DATA or <project>/data)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="rebuild data/processed from data/raw (deterministic, atomic)")
    sub.add_parser("info", help="list the processed tables and their sizes")
    sub.add_parser("check", help="report what a build would find, per document, without writing anything")
    export = sub.add_parser("export", help="write every table with a data dictionary, for Excel or CSV users")
    export.add_argument("--xlsx", type=Path, help="workbook to write")
    export.add_argument("--csv", type=Path, help="folder to write CSV files into")
    index = sub.add_parser("index-reports", help="write reports/index.html linking every notebook report")
    index.add_argument("folder", type=Path, nargs="?", default=config.REPORTS_DIR)
    sub.add_parser("teaching", help="write teaching/05_teaching_case_student.ipynb (notebook 05 without solutions)")
    add = sub.add_parser("add", help="copy a raw document into data/raw and add a manifest entry for review")
    add.add_argument("path", type=Path)
    add.add_argument("--street", required=True, help="e.g. 新华路街道")
    add.add_argument("--street-en", required=True, help="e.g. 'Xinhua Road Subdistrict'")
    add.add_argument("--district", required=True, help="e.g. 长宁区")
    add.add_argument("--district-en", required=True, help="e.g. 'Changning District'")
    add.add_argument("--doc-type", required=True, help="action_plan, work_plan, work_summary, ...")
    add.add_argument("--published", required=True, help="YYYY-MM-DD")
    add.add_argument("--publisher", required=True)
    add.add_argument("--title", required=True)
    add.add_argument("--years", required=True, help="period covered, e.g. 2024 or 2021-2025")
    add.add_argument("--genre", default="plan", help="genre of the whole text (edit parts in the manifest after)")
    add.add_argument("--doc-id", help="default: derived from the file name")
    args = parser.parse_args(argv)
    root = args.data.resolve() if args.data else None
    try:
        if args.command == "build":
            build(root)
        elif args.command == "info":
            info(root)
        elif args.command == "check":
            print(check_report(root))
        elif args.command == "export":
            if not (args.xlsx or args.csv):
                parser.error("export needs --xlsx PATH or --csv DIR")
            if args.xlsx:
                with warnings.catch_warnings(record=True) as notes:
                    warnings.simplefilter("always")
                    print(f"wrote {export_xlsx(args.xlsx, root=root)}")
                for note in notes:
                    print(f"streetlib export: note: {note.message}", file=sys.stderr)
            if args.csv:
                print(f"wrote {len(export_csv(args.csv, root=root))} files to {args.csv}")
        elif args.command == "index-reports":
            print(f"wrote {write_report_index(args.folder)}")
        elif args.command == "teaching":
            from streetlib.teaching import write_student_version

            print(f"wrote {write_student_version()}")
        elif args.command == "add":
            entry = add_document(args, root=root)
            print(f"added {entry} to the manifest; review it, then run `streetlib check` and `make build`.")
    except StreetlibError as exc:
        print(f"streetlib {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0


def info(root: Path | None) -> None:
    print(f"streetlib {__version__}; data root {root or config.data_root()}")
    for name in table_names():
        frame = load(name, root=root)
        print(f"  {name:<24} {len(frame):>6} rows x {frame.shape[1]} columns")
