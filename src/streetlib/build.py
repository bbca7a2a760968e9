"""``streetlib build``: raw texts + manifest -> ``data/processed/*.csv``.

The build is deterministic (rows in a fixed order, fixed CSV dialect, no
timestamps) and atomic: every table is written to a temporary folder beside
``processed/`` and swapped in only when all stages have succeeded, so a failed
build leaves the previous tables untouched.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

from streetlib import config
from streetlib.datasets import SCHEMAS
from streetlib.errors import BuildError
from streetlib.manifest import Corpus, read_corpus


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
    return pd.DataFrame(rows).sort_values(["source_file", "line_start"], kind="stable")


def build_tables(corpus: Corpus) -> dict[str, pd.DataFrame]:
    """Run every stage; return the tables by name."""
    return {"documents": documents_table(corpus)}


def build(root: Path | None = None, *, progress: bool = True) -> dict[str, Path]:
    """Rebuild ``processed/`` under the data root; return the written paths."""

    def say(message: str) -> None:
        if progress:
            print(f"[streetlib build] {message}", file=sys.stderr, flush=True)

    raw = config.raw_dir(root)
    say(f"reading manifest and sources in {raw}")
    corpus = read_corpus(raw)
    say(f"{len(corpus.manifest.sources)} sources, {len(corpus.manifest.documents)} documents")
    tables = build_tables(corpus)
    for name, frame in tables.items():
        check_schema(name, frame)
        say(f"{name}: {len(frame)} rows")
    out = config.processed_dir(root)
    write_tables(tables, out)
    say(f"wrote {len(tables)} tables to {out}")
    return {name: out / f"{name}.csv" for name in tables}


def check_schema(name: str, frame: pd.DataFrame) -> None:
    expected = [c.name for c in SCHEMAS[name]]
    if list(frame.columns) != expected:
        raise BuildError(f"table {name!r}: columns {list(frame.columns)} differ from its schema {expected}.")


def write_tables(tables: dict[str, pd.DataFrame], out: Path) -> None:
    """Write every table to a fresh folder, then swap it in for ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".processed-new-", dir=out.parent))
    try:
        for name, frame in sorted(tables.items()):
            frame.to_csv(staging / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")
        retired = out.parent / ".processed-old"
        if retired.exists():
            shutil.rmtree(retired)
        if out.exists():
            out.rename(retired)
        staging.rename(out)
        if retired.exists():
            shutil.rmtree(retired)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
