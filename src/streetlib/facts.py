"""Population facts (``population``): every population figure the documents state.

The phrasings are data, in ``data/lexicon/population_patterns.csv`` (one rule a row,
``kind,pattern,basis,measure,as_of,note``); the numbers are read by :mod:`streetlib.numbers`
(``约7.4万人``, ``2,316人``, ``３９１４人``, ``百分之三十九``). Within each sentence of a
non-duplicate paragraph:

* a **count** is a ``count`` label with a number of people after it (``户籍人口60133人``,
  ``实有人口约7.4万人``, ``60岁及以上老人2,316人``, ``纯老家庭1200户``), a few ``link`` words
  allowed between (为, 共有, 达 …), or a number just before it (``2316名独居老人``). A label
  followed directly by 人 (``常住人口人``) is a figure the source left blank: it is kept as
  a missing value and flagged ``population_figure_missing``, never read as zero;
* a **share** is a ``share`` label with a percentage after it (``老年人口比例为39%``,
  ``占户籍人口的38.6%``), kept as stated with its qualifier (将近) and recomputed on the 户籍
  base the documents imply; a count right after it (``…40%,为23221人``) is kept too;
  ``share_{previous}`` is a share of the figure just stated (``2316人,占比38.6%``);
* the **date** is the first ``date`` or ``census`` rule that matches the paragraph, in file
  order (``截至2021年3月`` -> 2021-03-01, ``截至2022年末`` -> 2022-12-31, 第七次人口普查 ->
  2020-11-01); ``collection`` is ``census`` when a census gave the date;
* the **basis** is what the number counts (``hukou``, ``resident``, ``present``, ``foreign``,
  ``migrant``, ``all``); figures of basis ``unstated`` take the basis of a ``context`` rule
  found in the sentence (``户籍人口中`` -> hukou).

A sentence that has a population ``word`` and a count of people or a share, yet yields no
row, is flagged ``population_unparsed`` (unless a ``not_a_stock`` rule says it is a flow,
such as 人次 or 登记), so ``check`` shows what the rules missed. The quote is the raw text
(full-width digits as written) on the line the row cites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from streetlib import config, reviewed
from streetlib.datasets import quality_flag
from streetlib.errors import BuildError, located
from streetlib.numbers import Number, find_numbers, parse_number
from streetlib.stage import CorpusContext, StageResult

PATTERNS_FILE = "population_patterns.csv"
PATTERN_COLUMNS = ["kind", "pattern", "basis", "measure", "as_of", "note"]
RULE_KINDS = ("count", "share", "link", "lead", "context", "date", "census", "word", "not_a_stock")
PEOPLE_UNITS = ("人", "名", "位")
HOUSEHOLD_UNITS = ("户", "个", "家")
SENTENCE = re.compile(r"[^。!?]*[。!?]?")  # ; stays inside: 户籍人口中,60岁…;80岁… shares its context
CLAUSE_ENDS = ",;。"
BLANK = re.compile(r"人(?=[,。;、)]|$)")
MAX_FOUND_CHARS = 120
LEAD_WINDOW = 8  # characters before a number searched for a lead word


@dataclass(frozen=True)
class Rule:
    """One row of ``population_patterns.csv``."""

    kind: str
    pattern: re.Pattern[str]
    basis: str
    measure: str
    as_of: str
    row: int


@dataclass(frozen=True)
class _Figure:
    basis: str
    measure: str
    value: float | None
    unit: str
    qualifier: str | None
    quote: str


def load_population_patterns(lexicon: Path | None = None) -> list[Rule]:
    """Read and check ``population_patterns.csv``.

    Parameters
    ----------
    lexicon : Path, optional
        The lexicon folder (default: ``config.lexicon_dir()``).

    Returns
    -------
    list of Rule
        In file order (the order decides between date rules).

    Raises
    ------
    BuildError
        For a wrong header, an unknown kind or a pattern that does not compile, naming the row.
    """
    path = (lexicon or config.lexicon_dir()) / PATTERNS_FILE
    rules = []
    for i, row in reviewed.read_lexicon(path.stem, path.parent):
        if row["kind"] not in RULE_KINDS:
            raise BuildError(located(path, i, f"kind {row['kind']!r} is unknown", f"Use one of {RULE_KINDS}."))
        if row["kind"] in ("count", "share") and not (row["basis"] and row["measure"]):
            raise BuildError(located(path, i, f"a {row['kind']} rule needs a basis and a measure", "Fill them in."))
        try:
            pattern = re.compile(row["pattern"])
        except re.error as exc:
            raise BuildError(located(path, i, f"bad regular expression ({exc})", "Fix the pattern.")) from exc
        rules.append(Rule(row["kind"], pattern, row["basis"], row["measure"], row["as_of"], i))
    return rules


def population_facts(
    paragraphs: pd.DataFrame,
    documents: pd.DataFrame,
    lines: dict[str, list[str]],
    *,
    patterns: list[Rule] | None = None,
) -> tuple[list[dict], list[dict]]:
    """Rows of ``population`` and quality flags, from non-duplicate paragraphs.

    Parameters
    ----------
    paragraphs : DataFrame
        ``doc_id, text, line_start, line_end, is_duplicate`` of every paragraph.
    documents : DataFrame
        ``doc_id, street, source_file``.
    lines : dict
        Raw lines (errata applied) of each source file, for the quotes.
    patterns : list of Rule, optional
        The rules (default: :func:`load_population_patterns`).
    """
    rules = patterns if patterns is not None else load_population_patterns()
    link, lead = _words(rules, "link"), _words(rules, "lead")
    street_of = documents.set_index("doc_id")["street"].to_dict()
    source_of = documents.set_index("doc_id")["source_file"].to_dict()
    rows, flags = [], []
    for p in paragraphs[~paragraphs["is_duplicate"].astype(bool)].itertuples():
        as_of, collection = _reference_date(p.text, rules)
        raw = lines[source_of[p.doc_id]]
        for sentence in filter(None, SENTENCE.findall(p.text)):
            figures = _figures(sentence, rules, link, lead)
            for f in figures:
                line, quote = _locate(f.quote, raw, p.line_start, p.line_end)
                rows.append(
                    {
                        "street": street_of[p.doc_id],
                        "as_of": as_of,
                        "collection": collection,
                        "basis": f.basis,
                        "measure": f.measure,
                        "value": f.value,
                        "unit": f.unit,
                        "qualifier": f.qualifier,
                        "recomputed": None,
                        "recomputed_base": None,
                        "doc_id": p.doc_id,
                        "line_start": line,
                        "line_end": line,
                        "quote": quote,
                    }
                )
                if f.value is None:
                    note = "the figure is blank in the source: kept as missing, not zero"
                    flags.append(_flag(p, source_of, line, quote, "population_figure_missing", note))
            missed = None if figures else _unparsed(sentence, rules)
            if missed is not None:
                line, _ = _locate(missed.text, raw, p.line_start, p.line_end)
                note = (
                    f"names a population and states {missed.text}, but no rule of {PATTERNS_FILE} reads it: "
                    "add the phrasing there if it is a population figure"
                )
                flags.append(_flag(p, source_of, line, sentence[:MAX_FOUND_CHARS], "population_unparsed", note))
    return _recompute_shares(rows), flags


def _figures(sentence: str, rules: list[Rule], link: re.Pattern[str], lead: re.Pattern[str]) -> list[_Figure]:
    """Every count and share in one sentence, labels tried left to right, longest first."""
    numbers = {n.start: n for n in find_numbers(sentence)}
    # a number just before its label counts only after a lead word: 有2316名独居老人, not 为500名老人提供
    ending = {n.end: n for n in numbers.values() if lead.search(sentence, max(0, n.start - LEAD_WINDOW), n.start)}
    context = next((r.basis for r in rules if r.kind == "context" and r.pattern.search(sentence)), None)
    labels = sorted(
        ((m, r) for r in rules if r.kind in ("count", "share") for m in r.pattern.finditer(sentence) if m.group(0)),
        key=lambda mr: (mr[0].start(), -len(mr[0].group(0))),
    )
    figures: list[_Figure] = []
    taken_until, previous = 0, None
    for m, rule in labels:
        if m.start() < taken_until:
            continue
        after = link.match(sentence, m.end()).end()
        if rule.kind == "count":
            found = _count(sentence, m, rule, numbers.get(after), ending, after, taken_until)
        else:
            found = _share(sentence, m, rule, numbers, after, link, previous, rules)
        if found is None or _is_flow(sentence, m.start(), found[1], rules):
            continue
        figs, end = found
        for f in figs:
            basis = f.basis
            if basis == "unstated" and context:
                basis = context
            figures.append(_Figure(basis, f.measure, f.value, f.unit, f.qualifier, f.quote))
        previous = figures[-1]
        taken_until = end
    return figures


def _count(sentence, m, rule, number, ending, after, taken_until) -> tuple[list[_Figure], int] | None:
    households = rule.measure.endswith("households")
    measure = _measure(rule, m, None)
    if measure is None:
        return None
    unit = "户" if households else "人"
    if number is not None and _counts(number, households):
        quote = sentence[m.start() : number.end]
        return [_Figure(rule.basis, measure, number.value, unit, number.qualifier, quote)], number.end
    if number is None and not households and BLANK.match(sentence, after):
        return [_Figure(rule.basis, measure, None, unit, None, sentence[m.start() : after + 1])], after + 1
    before = ending.get(m.start() - 1 if sentence[m.start() - 1 : m.start()] == "的" else m.start())
    if before is not None and before.start >= taken_until and _counts(before, households):
        quote = sentence[before.start : m.end()]
        return [_Figure(rule.basis, measure, before.value, unit, before.qualifier, quote)], m.end()
    return None


def _share(sentence, m, rule, numbers, after, link, previous, rules) -> tuple[list[_Figure], int] | None:
    number = numbers.get(after)
    if number is None or number.unit != "%":
        return None
    measure = _measure(rule, m, previous)
    if measure is None:
        return None
    base = m.groupdict().get("base")
    basis = rule.basis
    if base:
        basis = next((r.basis for r in rules if r.kind == "count" and r.pattern.fullmatch(base)), basis)
    figures = [_Figure(basis, measure, number.value, "%", number.qualifier, "")]
    end = number.end
    # "…占比将近40%,为23221人": the count the share was taken of, stated right after it.
    then = end + (sentence[end : end + 1] == ",")
    then = link.match(sentence, then).end()
    count = numbers.get(then)
    if then > end and count is not None and _counts(count, households=False) and measure.startswith("share_"):
        figures.append(_Figure(basis, measure.removeprefix("share_"), count.value, "人", count.qualifier, ""))
        end = count.end
    quote = sentence[m.start() : end]
    return [_Figure(f.basis, f.measure, f.value, f.unit, f.qualifier, quote) for f in figures], end


def _measure(rule: Rule, m: re.Match[str], previous: _Figure | None) -> str | None:
    fields = {}
    if "{age}" in rule.measure:
        age = parse_number(m["age"] or "")
        if age is None:
            return None
        fields["age"] = f"{age.value:g}"
    if "{previous}" in rule.measure:
        if previous is None or previous.unit != "人":
            return None
        fields["previous"] = previous.measure
    return rule.measure.format(**fields)


def _counts(number: Number, households: bool) -> bool:
    """A number of people (or households): 2316人, 7.4万人, 300名, 7.4万 (a multiplier, no unit)."""
    units = HOUSEHOLD_UNITS if households else PEOPLE_UNITS
    return number.unit in units or (number.unit is None and any(x in number.text for x in "万亿"))


def _words(rules: list[Rule], kind: str) -> re.Pattern[str]:
    """``link`` words: up to two between a label and its number (spaces allowed: text from PDF);
    ``lead`` words: right before a number."""
    words = "|".join(f"(?:{r.pattern.pattern})" for r in rules if r.kind == kind)
    if kind == "link":
        return re.compile(f"(?: ?(?:{words})){{0,2}} ?" if words else " ?")
    return re.compile(f"(?:{words})$" if words else "(?!)")


def _reference_date(text: str, rules: list[Rule]) -> tuple[str | None, str]:
    """The first date or census rule (in file order) that matches the paragraph."""
    for rule in rules:
        if rule.kind not in ("date", "census"):
            continue
        m = rule.pattern.search(text)
        if m is None:
            continue
        if rule.kind == "census":
            return rule.as_of, "census"
        parts = m.groupdict()
        if rule.as_of:  # a fixed month-day: 年底 -> 12-31
            return f"{parts['year']}-{rule.as_of}", "administrative"
        month, day = int(parts.get("month") or 1), int(parts.get("day") or 1)
        return f"{parts['year']}-{month:02d}-{day:02d}", "administrative"
    return None, "administrative"


def _unparsed(sentence: str, rules: list[Rule]) -> Number | None:
    """The first count of people or share in a sentence that names a population, if any."""
    if not any(r.pattern.search(sentence) for r in rules if r.kind == "word"):
        return None
    # Arabic digits only: a Chinese numeral before 人 or 位 is mostly a name (四人小组, 三位一体).
    return next(
        (
            n
            for n in find_numbers(sentence)
            if _has_digit(n)
            and (n.unit == "%" or _counts(n, households=False))
            and not _is_flow(sentence, n.start, n.end, rules)
        ),
        None,
    )


def _is_flow(sentence: str, start: int, end: int, rules: list[Rule]) -> bool:
    """Whether the clause around ``sentence[start:end]`` has a ``not_a_stock`` word (登记来沪人员800人)."""
    left = max(sentence.rfind(c, 0, start) for c in CLAUSE_ENDS) + 1
    right = min((i for i in (sentence.find(c, end) for c in CLAUSE_ENDS) if i >= 0), default=len(sentence))
    clause = sentence[left:right]
    return any(r.pattern.search(clause) for r in rules if r.kind == "not_a_stock")


def _has_digit(number: Number) -> bool:
    return any(c.isdigit() for c in number.text)


def _locate(quote: str, raw: list[str], first: int, last: int) -> tuple[int, str]:
    """The raw line holding ``quote`` and the quote as written there (full-width forms, spaces)."""
    pattern = re.compile(r"\s*".join(_either_width(c) for c in quote if not c.isspace()))
    for n in range(first, last + 1):
        m = pattern.search(raw[n - 1])
        if m:
            return n, m.group(0)
    return first, quote


def _either_width(c: str) -> str:
    wide = chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else None
    return f"[{re.escape(c)}{re.escape(wide)}]" if wide else re.escape(c)


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


def _flag(p, source_of, line: int, found: str, kind: str, note: str) -> dict:
    return quality_flag(p.doc_id, source_of[p.doc_id], line, line, kind, found, note)


def extract(ctx: CorpusContext) -> StageResult:
    """Corpus stage: ``population`` from the non-duplicate paragraphs (a quote sits on one raw line)."""
    rows, flags = population_facts(
        ctx.tables["paragraphs"], ctx.tables["documents"], ctx.lines, patterns=ctx.lexicon.population_patterns
    )
    return StageResult({"population": rows}, flags)
