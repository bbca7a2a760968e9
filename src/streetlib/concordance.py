"""Keyword in context, and validation of a dictionary by marking a sample of its matches.

* :func:`kwic` finds the terms of a dictionary in paragraphs or sentences and returns one row per match
  with its provenance (``doc_id``, ``para_id``, ``line_start``/``line_end``) and its left and right
  context. With ``match="token"`` a term counts only where it starts and ends on token boundaries of
  :func:`streetlib.text.segment` (消防 inside the token 消防安全 is not the fire station); with
  ``match="substring"`` every occurrence counts (how ``demography`` counts elderly-care terms).
  Overlapping matches keep the longest term.
* :func:`validation_sample` draws a reproducible sample of matches; :func:`write_marking_sheet` writes
  it to CSV or Excel with an empty ``correct`` column for a person to mark; :func:`read_marks` reads the
  marks back (1/0, y/n, 对/错, 是/否, true/false) and :func:`precision` reports the share marked right
  with a Wilson interval, overall or per term.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from streetlib import config, reviewed, text
from streetlib.coding import CodingSheetError, _read_table, _write_table, split_text
from streetlib.errors import located
from streetlib.schema import LEXICON

MATCHES = ("token", "substring")
TRUE_MARKS = frozenset({"1", "y", "yes", "true", "对", "是", "✓", "right"})
FALSE_MARKS = frozenset({"0", "n", "no", "false", "错", "否", "✗", "wrong"})
SHEET_COLUMNS = (
    "sample_id",
    "doc_id",
    "para_id",
    "line_start",
    "line_end",
    "term",
    "entry",
    "left",
    "keyword",
    "right",
)


def sentences(paragraphs: pd.DataFrame) -> pd.DataFrame:
    """One row per sentence (ends at 。！？；): the paragraph's provenance, ``sentence`` (from 1) and ``text``."""
    provenance = ["doc_id", "para_id", "line_start", "line_end"]
    return split_text(paragraphs, unit="sentence", carry=provenance).rename(columns={"number": "sentence"})


def lexicon_terms(name: str, *, aliases: str | None = None, root: Path | None = None) -> dict[str, str]:
    """Surface form → dictionary entry, from ``data/lexicon/NAME.csv``.

    The entry column is the file's first column; ``aliases`` names a column of ``;``-separated other
    names of the same entry (``departments.csv``: 城运 and 城市运行管理中心 → 城运中心).
    """
    if name in LEXICON:  # a lexicon of the project: header and rows checked
        entry = LEXICON[name].names[0]
        records = [row for _, row in reviewed.read_lexicon(name, config.lexicon_dir(root))]
    else:
        with (config.lexicon_dir(root) / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            entry = reader.fieldnames[0] if reader.fieldnames else "term"
            records = list(reader)
    terms: dict[str, str] = {}
    for record in records:
        forms = [record[entry]] + ((record.get(aliases) or "").split(";") if aliases else [])
        for form in (f.strip() for f in forms):
            if form:
                terms.setdefault(form, record[entry])
    return terms


def token_boundaries(sentence: str, *, root: Path | None = None) -> set[int]:
    """Character offsets where a token of :func:`streetlib.text.segment` starts or ends."""
    bounds = {0, len(sentence)}
    cursor = 0
    for token in text.segment(sentence, root=root):
        at = sentence.find(token, cursor)
        if at < 0:  # the segmenter normalised something; keep the offsets found so far
            continue
        bounds.update((at, at + len(token)))
        cursor = at + len(token)
    return bounds


def kwic(
    units: pd.DataFrame,
    terms: Mapping[str, str] | Sequence[str],
    *,
    match: str = "token",
    window: int = 20,
    root: Path | None = None,
) -> pd.DataFrame:
    """Keyword in context: one row per match of a term in the ``text`` of ``units``.

    Parameters
    ----------
    units
        Paragraphs (``load_paragraphs()``) or :func:`sentences`; their other columns are carried along.
    terms
        The dictionary: surface forms, or a mapping surface form → entry (aliases of one entry).
    match
        ``token`` (term boundaries on token boundaries) or ``substring``.
    window
        Characters of context kept on each side.

    Returns
    -------
    DataFrame
        ``doc_id``, ``para_id`` (and ``sentence`` if the units have it), ``line_start``, ``line_end``,
        ``term`` (surface form found), ``entry``, ``start``, ``end`` (offsets in the unit's text),
        ``left``, ``keyword``, ``right`` and ``token_match`` (whether the match is on token boundaries).
    """
    if match not in MATCHES:
        raise ValueError(f"match must be one of {', '.join(MATCHES)}, not {match!r}")
    entries = dict(terms) if isinstance(terms, Mapping) else {t: t for t in terms}
    forms = sorted(entries, key=lambda t: (-len(t), t))
    carried = [c for c in ("doc_id", "para_id", "sentence", "line_start", "line_end") if c in units]
    rows = []
    for record in units[[*carried, "text"]].to_dict("records"):
        body = str(record["text"])
        found = []
        for form in forms:
            at = body.find(form)
            while at >= 0:
                found.append((at, at + len(form), form))
                at = body.find(form, at + 1)
        if not found:
            continue
        bounds = token_boundaries(body, root=root)
        kept: list[tuple[int, int, str]] = []
        for start, end, form in sorted(found, key=lambda m: (m[0], -(m[1] - m[0]))):
            on_tokens = start in bounds and end in bounds
            if match == "token" and not on_tokens:
                continue
            if kept and start < kept[-1][1]:  # overlaps a longer (or earlier) match already kept
                continue
            kept.append((start, end, form))
            rows.append(
                {c: record[c] for c in carried}
                | {
                    "term": form,
                    "entry": entries[form],
                    "start": start,
                    "end": end,
                    "left": body[max(0, start - window) : start],
                    "keyword": form,
                    "right": body[end : end + window],
                    "token_match": on_tokens,
                }
            )
    columns = [*carried, "term", "entry", "start", "end", "left", "keyword", "right", "token_match"]
    return pd.DataFrame(rows, columns=columns)


def validation_sample(matches: pd.DataFrame, n: int, *, seed: int = 0) -> pd.DataFrame:
    """A simple random sample of ``n`` matches (all of them if fewer), in corpus order, numbered ``sample_id``.

    Every match has the same chance, so the share marked right estimates the dictionary's precision
    over its matches (frequent terms weigh more, as they do in any count built on the dictionary).
    """
    rng = np.random.default_rng(seed)
    take = min(n, len(matches))
    chosen = np.sort(rng.choice(len(matches), size=take, replace=False))
    sample = matches.iloc[chosen].reset_index(drop=True)
    return sample.assign(sample_id=np.arange(1, take + 1))


def write_marking_sheet(sample: pd.DataFrame, path: Path, *, coder: str = "") -> Path:
    """Write the sample for marking: the match with its context, ``coder`` and empty ``correct`` and ``note``.

    The file (``.csv`` or ``.xlsx``) is replaced only when complete; formula-like text is escaped.
    """
    columns = [c for c in SHEET_COLUMNS if c in sample]
    sheet = sample[columns].assign(coder=coder, correct="", note="")
    _write_table(sheet, Path(path))
    return Path(path)


def read_marks(path: Path) -> pd.DataFrame:
    """Read a marked sheet: ``correct`` becomes True/False, or missing where left blank.

    Raises
    ------
    CodingSheetError
        Naming the file, row and column of a mark that is none of 1/0, y/n, 对/错, 是/否, true/false.
    """
    path = Path(path)
    frame = _read_table(path)
    if "correct" not in frame:
        raise CodingSheetError(located(path, None, "has no column correct", "Use the sheet write_marking_sheet wrote."))
    marks = []
    for index, value in frame["correct"].items():
        word = "" if pd.isna(value) else str(value).strip().lower()
        if word in TRUE_MARKS:
            marks.append(True)
        elif word in FALSE_MARKS:
            marks.append(False)
        elif word == "":
            marks.append(pd.NA)
        else:
            raise CodingSheetError(
                located(path, f"row {int(index) + 2}, column correct", f"unknown mark {value!r}", "Write 1 or 0.")
            )
    return frame.assign(correct=pd.array(marks, dtype="boolean"))


def wilson(successes: float, n: float, *, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (NaN, NaN when ``n`` is 0)."""
    if n <= 0:
        return (np.nan, np.nan)
    z = stats.norm.ppf(1 - (1 - level) / 2)
    p = successes / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    low = 0.0 if successes <= 0 else max(0.0, centre - half)  # the bound is exactly 0 (or 1) there
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return (float(low), float(high))


def precision(marks: pd.DataFrame, *, by: str | None = None, level: float = 0.95) -> pd.DataFrame:
    """Share of marked matches that are right, with a Wilson interval.

    Returns
    -------
    DataFrame
        (``by``,) ``marked``, ``right``, ``unmarked`` (blank marks, left out and counted), ``precision``,
        ``ci_low``, ``ci_high``; one row overall when ``by`` is None.
    """
    groups = [("all", marks)] if by is None else list(marks.groupby(by, sort=True))
    rows = []
    for key, group in groups:
        marked = group["correct"].dropna()
        right = int(marked.sum())
        low, high = wilson(right, len(marked), level=level)
        row = {} if by is None else {by: key}
        rows.append(
            row
            | {
                "marked": len(marked),
                "right": right,
                "unmarked": int(group["correct"].isna().sum()),
                "precision": right / len(marked) if len(marked) else np.nan,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return pd.DataFrame(rows)
