"""Command line: ``streetlib build | info``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from streetlib import __version__, config
from streetlib.build import build
from streetlib.datasets import load, table_names
from streetlib.errors import StreetlibError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="streetlib", description=__doc__)
    parser.add_argument("--version", action="version", version=f"streetlib {__version__}")
    parser.add_argument("--data", type=Path, help="data root (default: $STREETLIB_DATA or <project>/data)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="rebuild data/processed from data/raw (deterministic, atomic)")
    sub.add_parser("info", help="list the processed tables and their sizes")
    args = parser.parse_args(argv)
    root = args.data.resolve() if args.data else None
    try:
        if args.command == "build":
            build(root)
        elif args.command == "info":
            info(root)
    except StreetlibError as exc:
        print(f"streetlib {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0


def info(root: Path | None) -> None:
    print(f"streetlib {__version__}; data root {root or config.data_root()}")
    for name in table_names():
        frame = load(name, root=root)
        print(f"  {name:<24} {len(frame):>6} rows x {frame.shape[1]} columns")
