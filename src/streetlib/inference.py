"""What a new raw document says about itself, for ``streetlib add`` to propose a manifest entry.

Everything here reads bytes or lines and returns proposals with their evidence (the line or the
lexicon row they came from); nothing writes. The words that name a document type are data
(``data/lexicon/doc_types.csv``), the districts and English names of Shanghai's 街道 and 镇 too
(``data/lexicon/gazetteer.csv``). Dates and periods are read in the forms Chinese government
documents use: 2024年2月20日, 2024-02-20, 2024/02/20, 二〇二四年二月二十日; 2021-2023年, 2021—2025,
十四五, a single year.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from streetlib import reviewed
from streetlib.errors import SourceError, located

HEAD_LINES = 40  # a title block and its metadata sit in the first lines of a file (after any web chrome)
TAIL_LINES = 12  # a signature (issuing body, date) sits in the last lines

DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "〇○零一二三四五六七八九十"
DASHES = "-—–~～至到"

_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
    re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"),
    re.compile(rf"([{_CN}]{{4}})年([{_CN}]{{1,3}})月([{_CN}]{{1,3}})日"),
)
_RANGE = re.compile(rf"(?<!\d)((?:19|20)\d{{2}})\s*年?\s*[{DASHES}]+\s*((?:19|20)\d{{2}})(?!\d)")
# 十四五, “十四五”, 第十四个五年规划; not the 三五 of 二〇三五年
_FIVE_YEAR = re.compile(
    r"(?<![〇○零\d一二三四五六七八九])第?([一二三四五六七八九十]{1,3})(?:个五年|五(?=规划|时期|期间|”|\"|$))"
)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
# a line that is only a year and month (2021年3月, (二〇二三年九月)): a title block's date without a day
_MONTH_LINE = re.compile(rf"^[(（]?\s*((?:19|20)\d{{2}}|[{_CN}]{{4}})\s*年\s*(\d{{1,2}}|[{_CN}]{{1,3}})\s*月\s*[)）]?$")
_QUOTED = re.compile(r"《([^《》]+)》")
_TITLE_ISSUER = re.compile(r"([\u4e00-\u9fff]{2,40}?(?:街道办事处|镇人民政府|乡人民政府))")
_ISSUER = re.compile(r"^[\u4e00-\u9fff()()、]{2,40}(?:办事处|人民政府|委员会|工作委员会|党工委|课题组|街道|镇)$")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_PROSE = re.compile(r"[。，,；;]")
# a reference date of a statistic (截至2023年12月31日, 截止到2023年底): never a publication date
_REFERENCE_DATE = re.compile(r"截[至止]到?\s*\S{0,16}?日")
# a page-metadata row (名　　称: | … | ||): label cells, never a title
_METADATA_ROW = re.compile(r"[:：]\s*\|")


@dataclass(frozen=True)
class Fact:
    """One proposed value and where it came from (``"line 3"``, ``"title"``, ``"gazetteer"``, ``"given"``)."""

    value: object
    evidence: str


def chinese_numeral(text: str) -> int | None:
    """A Chinese numeral 0-99 (十四 → 14, 二十 → 20, 四 → 4), or None if it is not one."""
    if not text or any(ch not in DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return DIGITS[text] if len(text) == 1 else None
    tens, _, units = text.partition("十")
    if len(tens) > 1 or len(units) > 1:
        return None
    return (DIGITS[tens] if tens else 1) * 10 + (DIGITS[units] if units else 0)


def _cn_year(text: str) -> int | None:
    return int("".join(str(DIGITS[ch]) for ch in text)) if all(ch in DIGITS for ch in text) else None


def find_date(text: str) -> dt.date | None:
    """The first calendar date written in ``text`` (day precision), or None."""
    found: list[tuple[int, dt.date]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            parts = m.groups()
            if parts[0].isdigit():
                y, mo, d = (int(p) for p in parts)
            else:
                y, mo, d = _cn_year(parts[0]), chinese_numeral(parts[1]), chinese_numeral(parts[2])
                if None in (y, mo, d):
                    continue
            try:
                found.append((m.start(), dt.date(y, mo, d)))
            except ValueError:
                continue
    return min(found)[1] if found else None


def parse_date(text: str) -> dt.date:
    """A date given on the command line, in any form :func:`find_date` reads; ValueError otherwise."""
    value = text.strip()
    date = find_date(value)
    if date is None or not re.fullmatch(r"[\d\s年月日\-/.〇○零一二三四五六七八九十]+", value):
        raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD (2024-02-20), 2024/02/20 or 2024年2月20日")
    return date


def five_year_period(n: int) -> tuple[int, int]:
    """The years of the n-th national five-year plan (14 → 2021-2025); from the 3rd plan on they follow
    each other from 1966 (the 1st ran 1953-1957, the 2nd 1958-1962)."""
    start = 1953 + 5 * (n - 1) if n <= 2 else 1966 + 5 * (n - 3)
    return start, start + 4


def find_period(text: str) -> tuple[int, int] | None:
    """The period a text names: a year range (2021-2023年, 2021—2025), a five-year plan (十四五), a year."""
    if m := _RANGE.search(text):
        start, end = int(m.group(1)), int(m.group(2))
        return (start, end) if start <= end else None
    for m in _FIVE_YEAR.finditer(text):
        n = chinese_numeral(m.group(1))
        if n and 3 <= n <= 30:
            return five_year_period(n)
    if m := _YEAR.search(text):
        return int(m.group(1)), int(m.group(1))
    return None


def parse_years(text: str) -> tuple[int, int]:
    """A period given on the command line (2024, 2021-2025, 2021—2025, 十四五); ValueError otherwise."""
    value = re.sub(r"\s+", "", text)
    if m := re.fullmatch(r"((?:19|20)\d{2})年?", value):
        return int(m.group(1)), int(m.group(1))
    if m := re.fullmatch(rf"((?:19|20)\d{{2}})年?[{DASHES}]+((?:19|20)\d{{2}})年?", value):
        start, end = int(m.group(1)), int(m.group(2))
        if start > end:
            raise ValueError(f"{text!r} ends before it starts; write the earlier year first (2021-2025)")
        return start, end
    if (m := _FIVE_YEAR.fullmatch(value.removesuffix("规划"))) and 3 <= (chinese_numeral(m.group(1)) or 0) <= 30:
        return five_year_period(chinese_numeral(m.group(1)) or 0)
    raise ValueError(f"{text!r} is not a period; write a year (2024), a range (2021-2025; any dash) or 十四五")


# -- encoding and line ends ---------------------------------------------------------------------


def detect_encoding(path: Path, data: bytes) -> tuple[str, str]:
    """The encoding (utf-8, utf-8-sig, utf-16, gb18030) and line ends (lf, crlf) of a raw file.

    GBK is a subset of GB18030, so a GBK file is recorded as gb18030. A file that is none of these,
    or has lone carriage returns, is refused with what to do.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    for candidate in (encoding, "gb18030") if encoding == "utf-8" else (encoding,):
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        if candidate == "gb18030" and len(_HAN.findall(text)) < 0.1 * max(1, sum(not c.isspace() for c in text)):
            break  # decodes, but as noise: not a Chinese GB text
        crlf = text.count("\r\n")
        if text.count("\r") != crlf:
            raise SourceError(
                located(
                    path,
                    None,
                    "has carriage returns that do not end lines (old Mac line ends?)",
                    "Re-save it with LF or CRLF line ends.",
                )
            )
        return candidate, "crlf" if crlf else "lf"
    raise SourceError(
        located(
            path,
            None,
            "is neither UTF-8 (with or without BOM), UTF-16 nor GB18030/GBK text",
            "Re-export the document as UTF-8 text (a .txt, not a .doc or .pdf).",
        )
    )


def split_lines(text: str) -> list[str]:
    """Physical lines as the build numbers them (CRLF read as one line end)."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# -- lexicon files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DocTypeTerm:
    term: str
    doc_type: str
    genre: str
    years_after: int  # plan years beyond the period reviewed (a work report reviews a year and plans the next)


def load_doc_types(lexicon: Path | None = None) -> list[DocTypeTerm]:
    """The title words naming a document type, most specific first (``data/lexicon/doc_types.csv``)."""
    return [
        DocTypeTerm(r["term"], r["doc_type"], r["genre"], int(r["years_after"] or 0))
        for _, r in reviewed.read_lexicon("doc_types", lexicon)
    ]


@dataclass(frozen=True)
class PageLabels:
    publisher: tuple[str, ...]  # labels whose value names the issuing body (发布机构, 来源 …)
    every: frozenset[str]  # every label of a web page's metadata block (索引号, 发布日期 …)


def load_page_labels(lexicon: Path | None = None) -> PageLabels:
    """The labels of a government web page's metadata block: the plain (not ``^``) header words of
    kind ``page_metadata`` in ``data/lexicon/table_headers.csv``, the same words the table stage reads."""
    rows = [r for _, r in reviewed.read_lexicon("table_headers", lexicon) if r["table_kind"] == "page_metadata"]
    words = [r for r in rows if not r["header"].startswith("^")]
    publisher = tuple(r["header"] for r in words if r["column"] == "publisher")
    return PageLabels(publisher, frozenset(r["header"] for r in words))


@dataclass(frozen=True)
class Place:
    street: str
    street_en: str
    district: str
    district_en: str


def load_gazetteer(lexicon: Path | None = None) -> dict[str, Place]:
    """Shanghai's 街道, 镇 and 乡 by name (``data/lexicon/gazetteer.csv``)."""
    return {
        r["street"]: Place(r["street"], r["street_en"], r["district"], r["district_en"])
        for _, r in reviewed.read_lexicon("gazetteer", lexicon)
    }


def name_variants(street: str) -> list[str]:
    """Spellings under which a street may be listed: as given, with 街道/镇/乡 added (新华路, 江湾镇 for
    江湾镇街道), with or without 路 before 街道 (古美路街道 / 古美街道)."""
    names = [street]
    if not street.endswith("街道"):  # 江湾镇 may be the 江湾镇街道
        names.append(street + "街道")
    if not street.endswith(("街道", "镇", "乡")):
        names += [street + "镇", street + "乡"]
    for name in list(names):
        if name.endswith("路街道"):
            names.append(name[:-3] + "街道")
        elif name.endswith("街道"):
            names.append(name[:-2] + "路街道")
    return list(dict.fromkeys(names))


def find_place(street: str, known: dict[str, Place]) -> Place | None:
    """The place ``street`` names in ``known`` (exactly, else under one variant spelling), or None.

    Raises
    ------
    ValueError
        When the name is not listed as given and its variants name several places (虹桥: 虹桥街道, 虹桥镇).
    """
    if street in known:
        return known[street]
    hits = list(dict.fromkeys(known[n] for n in name_variants(street) if n in known))
    if len(hits) > 1:
        names = ", ".join(f"{h.street} ({h.district})" for h in hits)
        raise ValueError(f"{street!r} may be any of {names}; give the full name")
    return hits[0] if hits else None


def close_names(street: str, known: dict[str, Place], n: int = 3) -> list[str]:
    return difflib.get_close_matches(street, list(known), n=n, cutoff=0.5)


# -- the text's own facts -----------------------------------------------------------------------


def _clean_title(line: str) -> str:
    title = line.strip()
    for pattern in _DATE_PATTERNS:  # a web page's title line often ends with its date
        title = pattern.sub("", title).strip()
    title = re.sub(r"(?:发布时间|发布日期|日期)\s*[:：]?\s*$", "", title).strip()
    if title.startswith("《") and title.endswith("》"):
        title = title[1:-1]
    return title


def infer_doc_type(title: str, terms: list[DocTypeTerm]) -> DocTypeTerm | None:
    """The first lexicon row whose term the title contains."""
    return next((t for t in terms if t.term in title), None)


def infer_title(lines: list[str], terms: list[DocTypeTerm]) -> Fact | None:
    """The first line of the head that names a document type (the 《quoted》 title of an issuing notice,
    关于印发《…》的通知, rather than the notice); else the first line that reads as a title. A page-metadata
    row (``名称: | … |``) is never a title: its value repeats the title with a label and separators."""
    head = [
        (i, line.strip())
        for i, line in enumerate(lines[:HEAD_LINES], start=1)
        if line.strip() and not _METADATA_ROW.search(line)
    ]
    for i, line in head:
        quoted = [q for q in _QUOTED.findall(line) if infer_doc_type(q, terms)]
        title = quoted[0] if quoted else _clean_title(line)
        if 4 <= len(title) <= 80 and infer_doc_type(title, terms) and not title.endswith(("。", ";", ",")):
            return Fact(title, f"line {i}")
    for i, line in head:
        title = _clean_title(line)
        if len(_HAN.findall(title)) >= 4 and len(title) <= 60 and not re.search(r"[。;,:]", title):
            return Fact(title, f"line {i}")
    return None


def month_line(line: str) -> dt.date | None:
    """The first day of the month a line consisting of a year and month names (2021年3月), or None."""
    if not (m := _MONTH_LINE.match(line.strip())):
        return None
    year = int(m.group(1)) if m.group(1).isdigit() else _cn_year(m.group(1))
    month = int(m.group(2)) if m.group(2).isdigit() else chinese_numeral(m.group(2))
    return dt.date(year, month, 1) if year and month and 1 <= month <= 12 else None


def is_prose(line: str) -> bool:
    """A line of running text (a sentence with a comma or full stop): its dates are events or reference
    dates (截至2023年12月31日), not the document's publication date."""
    return bool(_PROSE.search(line))


def infer_published(lines: list[str]) -> Fact | None:
    """The document's own date, in this order: the first full date of a head line that is not prose (a
    cover, 发布时间 or metadata line), the last full date of the tail (a signature), a year-and-month line
    of the head (its first day, said in the evidence), and only then a full date in a sentence of the head
    that is not a reference date (截至…)."""
    head = list(enumerate(lines[:HEAD_LINES], start=1))
    for i, line in head:
        if not is_prose(line) and (date := find_date(line)):
            return Fact(date, f"line {i}")
    start = max(HEAD_LINES, len(lines) - TAIL_LINES)
    for i in range(len(lines), start, -1):
        if date := find_date(lines[i - 1]):
            return Fact(date, f"line {i}")
    for i, line in head:
        if date := month_line(line):
            return Fact(date, f"line {i} (month only: day 1 written)")
    for i, line in head:
        if date := find_date(_REFERENCE_DATE.sub("", line)):
            return Fact(date, f"line {i}")
    return None


def infer_publisher(lines: list[str], street: str, title: str = "", labels: PageLabels | None = None) -> Fact | None:
    """A labelled source (来源: …, 发布机构: …) in the head, else an issuing body on a line of its own
    in the head or the signature, else one named in the title (…街道办事处2023年工作计划), else None.

    ``labels``: the page-metadata labels (default: :func:`load_page_labels` of the project's lexicon)."""
    labels = labels or load_page_labels()
    labelled = re.compile(rf"(?:{'|'.join(map(re.escape, labels.publisher))})\s*[:：]\s*([^\s:：|]+)")
    for i, line in enumerate(lines[:HEAD_LINES], start=1):
        if found := _labelled_cell(line, lines[i] if i < len(lines) else "", labels):
            return Fact(found[0], f"line {i + found[1]}")
        if m := labelled.search(line):
            return Fact(m.group(1), f"line {i}")
    short = street.removesuffix("街道").removesuffix("镇")
    numbered = list(enumerate(lines, start=1))
    candidates = numbered[:HEAD_LINES] + numbered[max(HEAD_LINES, len(lines) - TAIL_LINES) :][::-1]
    for i, line in candidates:
        text = re.sub(r"\s+", "", line)
        if _ISSUER.match(text) and short in text and text != street:
            return Fact(text, f"line {i}")
    m = _TITLE_ISSUER.search(re.sub(r"\d{4}年", " ", title))
    return Fact(m.group(1), "title") if m and short in m.group(1) else None


def _labelled_cell(line: str, following: str, labels: PageLabels) -> tuple[str, int] | None:
    """The value of a publisher label in a page's metadata table: the next cell (发布机构 | X |), or the
    cell below it when the labels form a header row (索引号 | 发布机构 | … over a row of values).
    Returns the value and 0 or 1 (its line relative to ``line``)."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) < 2:
        return None
    below = [c.strip() for c in following.strip().strip("|").split("|")]
    for j, cell in enumerate(cells):
        if cell not in labels.publisher:
            continue
        if j + 1 < len(cells) and cells[j + 1] and cells[j + 1] not in labels.every:
            return cells[j + 1], 0
        if len(below) == len(cells) and below[j]:
            return below[j], 1
    return None


def infer_period(title: str, lines: list[str], published: dt.date | None) -> Fact | None:
    """The period of the title, else the first one named in the head, else the publication year."""
    if period := find_period(title):
        return Fact(period, "title")
    for i, line in enumerate(lines[:HEAD_LINES], start=1):
        if _DATE_PATTERNS[0].search(line) or _DATE_PATTERNS[1].search(line) or month_line(line):
            continue  # a publication date is not a period
        if period := find_period(line):
            return Fact(period, f"line {i}")
    if published:
        return Fact((published.year, published.year), "publication year")
    return None


# -- doc_id -------------------------------------------------------------------------------------


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def usable_stem(stem: str) -> str | None:
    """The file name as a doc_id if it says something, else None: ASCII, not a download hash, and
    naming a year (…_2024_…) or at least two words (gumeilu_five_year_plan); not ``download`` or ``1``."""
    if not stem.isascii():
        return None
    name = slug(stem)
    words = re.findall(r"[a-z]{3,}", name)
    if not re.match(r"^[a-z]", name) or re.search(r"[0-9a-f]{8,}", name):
        return None
    return name if words and (re.search(r"(?:19|20)\d{2}", name) or len(words) >= 2) else None


def propose_doc_id(street_en: str, years: tuple[int, int], doc_type: str, taken: set[str]) -> str:
    """``<street>_<year(s)>_<doc_type>`` from the English street name (xinhua_road_2024_work_plan)."""
    words = re.sub(r"\b(Subdistrict|Town|Township|Street)\b", "", street_en)
    period = str(years[0]) if years[0] == years[1] else f"{years[0]}_{years[1]}"
    base = f"{slug(words) or 'street'}_{period}_{doc_type}"
    doc_id, n = base, 2
    while doc_id in taken:
        doc_id, n = f"{base}_{n}", n + 1
    return doc_id
