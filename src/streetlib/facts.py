"""Population facts (``population``): every population figure the documents state.

Extraction is by rules over paragraph text, not by line number:

* a **count** is a population label followed by a number and 人
  (``户籍人口60133人``, ``80岁以上老年人3914人``, ``独自居住老人1423人``); a label
  followed directly by 人 (``常住人口人``) is a figure the source left blank: it is
  kept as a missing value and flagged, never read as zero;
* a **share** is ``老年人(口)占比/比例`` followed by a percentage, kept as stated
  (with its qualifier, e.g. 将近) and recomputed on the base the document implies
  (the 户籍 population of the same street and date) and on the total;
* the **date** is the ``截至YYYY年M月`` of the same paragraph, or the reference
  date of a census the paragraph names (第七次人口普查: 2020-11-01);
* the **basis** is what the number counts: ``hukou`` (户籍), ``resident`` (常住),
  ``present`` (现有人口, census), ``foreign`` (境外常住), ``migrant`` (外来), ``all``
  (总人口), or ``unstated`` for age groups whose sentence names no base;
* ``collection`` says how it was counted: ``census`` or ``administrative``.

Flows (登记, 隔离, 人次) are not population stocks and are not extracted.
Paragraphs marked as duplicates are skipped, so a repeated figure counts once.
"""

from __future__ import annotations

import re

import pandas as pd

from streetlib.datasets import quality_flag
from streetlib.stage import CorpusContext, StageResult

LABELS = {  # longest first: 境外常住人口 before 常住人口
    "境外常住人口": ("foreign", "total"),
    "常住人口": ("resident", "total"),
    "户籍人口": ("hukou", "total"),
    "外来人口": ("migrant", "total"),
    "现有人口": ("present", "total"),
    "总人口": ("all", "total"),
    "独自居住老人": ("unstated", "living_alone"),
    "独居老人": ("unstated", "living_alone"),
}
AGE_LABEL = r"(?P<age>\d{2,3})岁以上(?:老年人|老人)?"
COUNT = re.compile(
    r"(?P<label>" + "|".join(sorted(LABELS, key=len, reverse=True)) + r"|" + AGE_LABEL + r")(?:为|共)?(?P<value>\d*)人"
)
SHARE = re.compile(
    r"老年人口?(?:占比|比例)为?(?P<qualifier>将近|接近|约|超过|近)?(?P<value>\d+(?:\.\d+)?)%(?:,为(?P<count>\d+)人)?"
)
AS_OF = re.compile(r"截至(?P<year>\d{4})年(?P<month>\d{1,2})月")
CENSUSES = {"第七次人口普查": "2020-11-01", "七人普": "2020-11-01", "第六次人口普查": "2010-11-01"}
SENTENCE = re.compile(r"[^。;]*[。;]?")


def population_facts(
    paragraphs: pd.DataFrame, documents: pd.DataFrame, lines: dict[str, list[str]]
) -> tuple[list[dict], list[dict]]:
    """Rows of ``population`` and quality flags, from non-duplicate paragraphs."""
    street_of = documents.set_index("doc_id")["street"].to_dict()
    source_of = documents.set_index("doc_id")["source_file"].to_dict()
    rows, flags = [], []
    for p in paragraphs[~paragraphs["is_duplicate"].astype(bool)].itertuples():
        census = next((date for name, date in CENSUSES.items() if name in p.text), None)
        dated = AS_OF.search(p.text)
        as_of = f"{dated['year']}-{int(dated['month']):02d}-01" if dated else census
        collection = "census" if census and not dated else "administrative"
        raw = lines[source_of[p.doc_id]]
        for sentence in filter(None, SENTENCE.findall(p.text)):
            hukou_context = "户籍人口中" in sentence
            for m in COUNT.finditer(sentence):
                if m["age"]:
                    basis, measure = ("hukou" if hukou_context else "unstated"), f"age_{m['age']}_plus"
                else:
                    basis, measure = LABELS[m["label"]]
                    if measure == "living_alone" and hukou_context:
                        basis = "hukou"
                row = _row(p, street_of, raw, as_of, collection, basis, measure, m.group(0), m["value"] or None, "人")
                rows.append(row)
                if not m["value"]:
                    flags.append(
                        _flag(
                            p,
                            source_of,
                            row["line_start"],
                            m.group(0),
                            "the figure is blank in the source: kept as missing, not zero",
                        )
                    )
            for m in SHARE.finditer(sentence):
                basis = "hukou" if hukou_context else "unstated"
                row = _row(
                    p, street_of, raw, as_of, collection, basis, "share_age_60_plus", m.group(0), m["value"], "%"
                )
                row["qualifier"] = m["qualifier"]
                rows.append(row)
                if m["count"]:
                    rows.append(
                        _row(p, street_of, raw, as_of, collection, "hukou", "age_60_plus", m.group(0), m["count"], "人")
                    )
    return _recompute_shares(rows), flags


def _row(p, street_of, raw, as_of, collection, basis, measure, quote, value, unit) -> dict:
    line = next(
        (n for n in range(p.line_start, p.line_end + 1) if quote in raw[n - 1]),
        p.line_start,
    )
    return {
        "street": street_of[p.doc_id],
        "as_of": as_of,
        "collection": collection,
        "basis": basis,
        "measure": measure,
        "value": float(value) if value else None,
        "unit": unit,
        "qualifier": None,
        "recomputed": None,
        "recomputed_base": None,
        "doc_id": p.doc_id,
        "line_start": line,
        "quote": quote,
    }


def _recompute_shares(rows: list[dict]) -> list[dict]:
    """Recompute each stated share of 60+ on the 户籍 total of the same street and date.

    The 户籍 base is the one the documents name (``户籍人口中老年人占比``); the
    notebook sets the share on the total population beside it.
    """
    counts = {(r["street"], r["as_of"], r["basis"], r["measure"]): r["value"] for r in rows if r["unit"] == "人"}
    for r in rows:
        if r["measure"] != "share_age_60_plus":
            continue
        key = (r["street"], r["as_of"])
        older = counts.get((*key, "hukou", "age_60_plus")) or counts.get((*key, "unstated", "age_60_plus"))
        base = counts.get((*key, "hukou", "total"))
        if older and base:
            r["recomputed"], r["recomputed_base"] = round(100 * older / base, 2), "户籍人口"
    return rows


def _flag(p, source_of, line: int, found: str, note: str) -> dict:
    return quality_flag(p.doc_id, source_of[p.doc_id], line, line, "population_figure_missing", found, note)


def extract(ctx: CorpusContext) -> StageResult:
    """Corpus stage: ``population`` from the non-duplicate paragraphs (a quote sits on one raw line)."""
    rows, flags = population_facts(ctx.tables["paragraphs"], ctx.tables["documents"], ctx.lines)
    rows = [{**row, "line_end": row.get("line_end", row["line_start"])} for row in rows]
    return StageResult({"population": rows}, flags)
