"""The hand-made reviewed files of ``data/reviewed/``, read through one reader.

``errata.csv`` (repairs and flags of raw lines), ``report_figures.csv`` (numbers a
research report states, each quoted from its line) and ``report_checks.csv``
(claims to recompute) are edited by people, often in Excel. :func:`read` accepts
UTF-8 with or without a byte-order mark, names GB18030 and other encodings,
checks the header, the field count of every row and every value against the
file's spec in :data:`streetlib.schema.REVIEWED`, and reports every problem of
the file at once, each with its row and column. A missing file means no rows.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from streetlib import config
from streetlib.errors import BuildError, located
from streetlib.schema import LEXICON, REVIEWED, Column, TableSpec

SAVE_AS_UTF8 = 'Open it in Excel and save it again as "CSV UTF-8 (Comma delimited)" (CSV UTF-8(逗号分隔))'
PURPOSE = {
    "errata": "Each repair of a raw line (`fix`) or defect recorded without repair (`flag`). The build refuses an "
    "erratum whose `found` text is not on its line and records every erratum in `quality_flags`.",
    "report_figures": "Numbers a research report states, each with the words holding it (`quote`) and its raw "
    "line; the build refuses a quote that is not on its line or a value not in its quote.",
    "report_checks": "Stated totals, shares and averages of a research report, each recomputed from "
    "`report_figures` keys by `formula` and compared at the stated precision (`report_checks` table).",
    "reuse_judged_pairs": "Paragraph pairs of two documents judged by hand for shared text, drawn by "
    "`streetlib.reuse.judging_sample` and judged before the reuse method was run; notebook 07 scores the method "
    "against them (precision and recall, weighted by stratum).",
}
MAX_LISTED = 20  # problems listed in one message; the count says how many more


def path_of(name: str, root: Path | None = None) -> Path:
    """``data/reviewed/<name>.csv`` under the data root."""
    return config.reviewed_dir(root) / f"{name}.csv"


def read(name: str, root: Path | None = None) -> list[tuple[int, dict[str, str]]]:
    """Rows of the reviewed file ``name`` (see :data:`streetlib.schema.REVIEWED`) as ``(row, values)``.

    ``row`` is the file's row number (the header is row 1); values are the cells
    as text, ``""`` for an empty cell.

    Raises
    ------
    BuildError
        Naming the file, the row and the column of every problem: an encoding other
        than UTF-8, a wrong header, a row with more or fewer fields than the header,
        an empty required cell, a value that is not a number, not a known category or
        out of range, a key used twice.
    """
    return read_file(path_of(name, root))


def read_file(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows of a reviewed file given by path; its spec is the one named by the file's stem."""
    if path.stem not in REVIEWED:
        raise BuildError(located(path, None, "is not a reviewed file", f"Reviewed files are {', '.join(REVIEWED)}."))
    return read_csv(path, REVIEWED[path.stem])


def read_lexicon(name: str, lexicon: Path | None = None) -> list[tuple[int, dict[str, str]]]:
    """Rows of the lexicon file ``data/lexicon/<name>.csv`` (see :data:`streetlib.schema.LEXICON`), checked
    like a reviewed file.

    Parameters
    ----------
    name : str
        The file's stem (``departments``, ``boilerplate`` ...).
    lexicon : Path, optional
        The lexicon folder (default: ``config.lexicon_dir()``).

    Raises
    ------
    BuildError
        As :func:`read`; and for a missing file (the rules are part of the project).
    """
    path = (lexicon or config.lexicon_dir()) / f"{name}.csv"
    if not path.is_file():
        raise BuildError(located(path, None, "the lexicon file is missing", "Restore it from the repository."))
    return read_csv(path, LEXICON[name])


def read_csv(path: Path, spec: TableSpec) -> list[tuple[int, dict[str, str]]]:
    """Rows of any hand-made CSV (reviewed, external) checked against ``spec``; a missing file means no rows."""
    if not path.is_file():
        return []
    records = list(csv.reader(io.StringIO(_decode(path), newline="")))
    header = records[0] if records else []
    if header != spec.names:
        missing = [c for c in spec.names if c not in header]
        extra = [c for c in header if c not in spec.names]
        detail = f"missing {missing}" if missing else f"unexpected {extra}" if extra else "columns in another order"
        raise BuildError(located(path, 1, f"header is {header} ({detail})", f"Use the columns {spec.names}"))
    rows, problems = [], []
    for row_no, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank line
        if len(record) != len(header):
            problems.append(
                (
                    row_no,
                    f"has {len(record)} fields, the header has {len(header)}",
                    'A cell holding a comma must be quoted ("a, b"); Excel does this when it saves as CSV',
                )
            )
            continue
        values = dict(zip(header, record, strict=True))
        problems += [(row_no, p, fix) for p, fix in _check_row(spec, values)]
        rows.append((row_no, values))
    problems += _duplicate_keys(spec, rows)
    if len(problems) == 1:
        row, problem, fix = problems[0]
        raise BuildError(located(path, row, problem, fix))
    if problems:
        listed = "; ".join(f"row {row}: {problem}. {fix}" for row, problem, fix in problems[:MAX_LISTED])
        more = f", {len(problems) - MAX_LISTED} more not listed" if len(problems) > MAX_LISTED else ""
        raise BuildError(located(path, problems[0][0], f"{len(problems)} problems{more}: {listed}", "Correct them"))
    return rows


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")  # Excel's "CSV UTF-8" writes a byte-order mark
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            data.decode("gb18030")
            encoding = "GB18030/GBK (Excel's plain CSV on Chinese Windows)"
        except UnicodeDecodeError:
            encoding = "an encoding other than UTF-8"
        raise BuildError(located(path, line, f"is saved in {encoding}, not UTF-8", SAVE_AS_UTF8)) from None


def _check_row(spec: TableSpec, values: dict[str, str]) -> list[tuple[str, str]]:
    out = []
    for column in spec.columns:
        text = values[column.name]
        if not text.strip():
            if column.required:
                out.append((f"column {column.name!r} is empty", f"Fill it in ({column.description})"))
            continue
        problem = _bad_value(column, text)
        if problem:
            out.append((f"column {column.name!r}: {problem}", f"Expected: {column.description}"))
    return out


def _bad_value(column: Column, text: str) -> str | None:
    """Why ``text`` is not a value of ``column``, or None."""
    if isinstance(column.dtype, tuple):
        return None if text in column.dtype else f"{text!r} is not one of {', '.join(column.dtype)}"
    if column.pattern and not re.fullmatch(column.pattern, text):
        return f"{text!r} does not match {column.pattern}"
    if column.dtype in ("Int64", "float"):
        try:
            number = int(text) if column.dtype == "Int64" else float(text)
        except ValueError:
            kind = "a whole number" if column.dtype == "Int64" else "a number"
            return f"{text!r} is not {kind}"
        if number != number or abs(number) == float("inf"):
            return f"{text!r} is not a finite number"
        if column.bounds and not column.bounds[0] <= number <= column.bounds[1]:
            return f"{text} is outside {column.bounds[0]:g}..{column.bounds[1]:g}"
    return None


def _duplicate_keys(spec: TableSpec, rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, str, str]]:
    if not spec.key:
        return []
    first: dict[tuple[str, ...], int] = {}
    out = []
    for row_no, values in rows:
        key = tuple(values[c] for c in spec.key)
        if key in first:
            out.append(
                (
                    row_no,
                    f"{dict(zip(spec.key, key, strict=True))} is used again (first in row {first[key]})",
                    "Each key may appear once: merge or rename the rows",
                )
            )
        first.setdefault(key, row_no)
    return out


def data_dictionary() -> str:
    """``data/reviewed/README.md``: what each reviewed file holds, column by column."""
    out = [
        "# data/reviewed/",
        "",
        "Hand-made, reviewed files the build reads (never written by code). Save them as UTF-8",
        '("CSV UTF-8" in Excel); `streetlib build` checks the header, the field count of every row and every',
        "value, and names the file, row and column of any problem. This page is generated from",
        "`streetlib.schema.REVIEWED` (`python -m streetlib.reviewed` prints it; a test keeps it in step).",
    ]
    for name, spec in REVIEWED.items():
        out += ["", f"## {name}.csv", "", PURPOSE[name], ""]
        if spec.key:
            out += [f"Key (unique): {', '.join(spec.key)}.", ""]
        out += ["| column | type | required | description |", "|---|---|---|---|"]
        for c in spec.columns:
            kind = " / ".join(c.dtype) if isinstance(c.dtype, tuple) else c.dtype
            out.append(f"| {c.name} | {kind} | {'yes' if c.required else ''} | {c.description} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(data_dictionary(), end="")
