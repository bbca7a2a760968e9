"""Document structure: every raw line of a document becomes part of one region.

Regions are headings, titles, paragraphs, table regions (with their titles and
figure captions) and dropped lines (tables of contents, web chrome, footers and
other metadata). From them come the ``sections`` and ``paragraphs`` tables.

Rules (general, not per document)
---------------------------------
* Headings rank ``第X部分`` › ``第X章`` › ``第X节`` › ``第X条`` › ``一、`` › ``(一)`` ›
  ``1.`` / ``1、`` › ``(1)``, on their own line or run into a paragraph (``1.突出加强党的政治建设。坚持…``:
  the title ends at the first ``。``, the rest is a paragraph; an article ``第X条`` has no
  title, its text is its paragraph). ``1.`` must not be followed by a digit, so table
  cells such as ``28.5亿元`` are not headings. A section's ``level`` is its depth among
  the ranks the document uses: ``一、`` is level 1 in a document without chapters, level
  2 under ``第X章``, level 3 under ``第X章`` and ``第X节``. A heading's parent is the
  nearest earlier heading of a smaller level.
* Titles (level-0 sections, no marker): at the start of a document, the leading
  short lines without a full stop; in the body, short lines with no sentence
  punctuation at all (``前言``, ``2023年主要工作安排``). Consecutive title lines
  (blank lines between allowed) are one title split over several lines; the lines
  of a title block that boilerplate rows recognise (issuing body, document number
  ``〔2023〕12号``, date, a ``——在…上的讲话`` subtitle) are metadata and end a title.
* Tables of contents (boilerplate kind ``toc``): ``目录`` lines and lines ending in dot
  leaders or a ``-12-`` page marker; they begin with heading markers but are not headings.
* Tables: the lines :func:`streetlib.tables.table_line_flags` recognises by their shape
  (pipe cells, row-layout lines, blank-line grids opened by header words of the lexicon
  or by rows numbered 1, 2, …), with pipe cells split over two lines. ``表N`` lines are
  table titles, ``图N`` lines figure captions.
* Boilerplate: the patterns in ``data/lexicon/boilerplate.csv`` (tables of contents,
  web chrome such as breadcrumbs, 【字体:大 中 小】, share and print bars, 上一篇/下一篇,
  accessibility toolbars, footers and ICP lines, title-block metadata), each line kept
  as a region of its kind, never a paragraph. The first row that matches wins; every
  pattern must stay linear-time (no nested unbounded quantifiers).
* Paragraphs: every other line starts a paragraph, except a line that continues
  a sentence the previous line left open (it ended in ``,`` or ``、``).
* Paragraphs split by extraction (corpus stage ``duplicates``, :func:`join_split_paragraphs`): two to
  four consecutive paragraphs of one section (nothing but blank lines between them) are one
  paragraph cut by line breaks when their joined text is a near copy
  (:func:`near_copy_similarity` >= 0.95) of a single paragraph elsewhere in the corpus that holds a
  whole sentence of the first part and one of the last. The shape of the lines is no evidence: a
  list item's body on two lines looks like an item and a paragraph of its own. The joined
  paragraph keeps the ``para_id`` of its first part; the later parts' ids are not used again, so
  no other paragraph's id changes (ids are unique and in document order, not contiguous). A
  ``split_paragraph`` flag cites the lines joined and the paragraph and line of the evidence.
* Duplicates (the same stage, after the joins, :func:`mark_duplicates`): a paragraph whose text
  appeared earlier, whose sentences did (80% of its characters), or that is a near copy of an
  earlier paragraph holding one of its sentences.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path

import pandas as pd

from streetlib import config, reviewed
from streetlib.clean import normalise
from streetlib.datasets import quality_flag
from streetlib.errors import BuildError, located
from streetlib.manifest import Document
from streetlib.numbers import chinese_numeral
from streetlib.stage import CorpusContext, DocumentContext, StageResult
from streetlib.tables import HeaderLexicon, table_line_flags

# a well-formed Chinese numeral 1-99 (一, 十, 十二, 二十, 二十三): "一一、" or "十十、" is no heading marker
_CN = "(?:[二三四五六七八九]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_DIVISION_NUMBER = "[〇零一二两三四五六七八九十百千0-9]{1,6}"
# (rank, pattern): divisions of regulations and long plans rank above the numbered outline
PART, CHAPTER, SECTION, ARTICLE = 1, 2, 3, 4
DIVISION_PATTERNS = (
    (PART, re.compile(rf"^(?P<marker>第(?P<num>{_DIVISION_NUMBER})(?:部分|篇|编))\s?")),
    (CHAPTER, re.compile(rf"^(?P<marker>第(?P<num>{_DIVISION_NUMBER})章)\s?")),
    (SECTION, re.compile(rf"^(?P<marker>第(?P<num>{_DIVISION_NUMBER})节)\s?")),
    (ARTICLE, re.compile(rf"^(?P<marker>第(?P<num>{_DIVISION_NUMBER})条)\s?")),
)
HEADING_PATTERNS = (
    (5, re.compile(rf"^(?P<marker>(?P<num>{_CN})、)")),
    (6, re.compile(rf"^(?P<marker>\((?P<num>{_CN})\))")),
    (7, re.compile(r"^(?P<marker>(?P<num>\d{1,2})[.、])(?![\d.%])")),
    (8, re.compile(r"^(?P<marker>\((?P<num>\d{1,2})\))")),
)
DIVISION_RANKS = (PART, CHAPTER, SECTION, ARTICLE)
MAJOR_RANK = 6  # (一) and above: never a table cell
TITLE_DATE = re.compile(r"^(?P<title>.+?)\s+(?P<date>\d{4}-\d{2}-\d{2})$")
TABLE_TITLE = re.compile(r"^表\d+[:\s]")
CAPTION = re.compile(r"^图\d+\s*\S")
OPEN_SENTENCE_END = (",", "、")
SENTENCE_END = ("。", "!", "?", ";", ":", "”", "…", ")", "》", "|")
BOILERPLATE_KINDS = ("toc", "metadata", "footer", "web_chrome", "toolbar")
MAX_TITLE_CHARS = 60
MAX_BODY_TITLE_CHARS = 40
MAX_CELL_CHARS = 40
MAX_SPLIT_CELL_LINES = 3
MAX_HEADING_CHARS = 80


@dataclass
class Region:
    """A run of raw lines with one role in a document."""

    doc_id: str
    kind: str  # heading, title, paragraph, table, table_title, caption, toc, or a boilerplate kind
    line_start: int
    line_end: int
    text: str
    level: int = 0
    marker: str = ""
    number: int | None = None
    notes: list[str] = field(default_factory=list)


def load_boilerplate(lexicon: Path | None = None) -> list[tuple[re.Pattern[str], str]]:
    """Patterns and kinds of ``boilerplate.csv``, in file order (the first match wins).

    Parameters
    ----------
    lexicon : Path, optional
        The lexicon folder (default: ``config.lexicon_dir()``).

    Raises
    ------
    BuildError
        For an unknown kind or a pattern that does not compile, naming the row.
    """
    path = (lexicon or config.lexicon_dir()) / "boilerplate.csv"
    patterns = []
    for i, row in reviewed.read_lexicon("boilerplate", path.parent):
        if row["kind"] not in BOILERPLATE_KINDS:
            raise BuildError(located(path, i, f"kind {row['kind']!r} is unknown", f"Use one of {BOILERPLATE_KINDS}."))
        try:
            patterns.append((re.compile(row["pattern"]), row["kind"]))
        except re.error as exc:
            raise BuildError(located(path, i, f"bad regular expression ({exc})", "Fix the pattern.")) from exc
    return patterns


def heading_of(text: str) -> tuple[int, str, int, str, str] | None:
    """``(rank, marker, number, title, inline_body)`` if ``text`` opens with a heading.

    Ranks: 1 第X部分 (篇, 编), 2 第X章, 3 第X节, 4 第X条, 5 一、, 6 (一), 7 1. or 1、, 8 (1); the
    section level is the rank among those a document uses (see :func:`segment_document`).
    """
    for rank, pattern in DIVISION_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        num = match["num"]
        number = int(num) if num.isdigit() else chinese_numeral(num)
        if number is None:
            return None
        rest = text[match.end() :].strip()
        if rank == ARTICLE:  # 第三条 街道应当…。: the article's text is its paragraph
            return rank, match["marker"], number, "", rest
        title, stop, body = rest.partition("。")
        return rank, match["marker"], number, (title if stop else rest).strip(), body.strip()
    for level, pattern in HEADING_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        num = match["num"]
        number = int(num) if num.isdigit() else chinese_numeral(num)
        rest = text[match.end() :]
        title, stop, body = rest.partition("。")
        if not stop:
            title, body = rest, ""
        return level, match["marker"], number, title.strip(), body.strip()
    return None


def _is_title_text(text: str, *, at_start: bool) -> bool:
    if heading_of(text) or text.endswith((*OPEN_SENTENCE_END, ";", ":", "。", "|")):
        return False
    if at_start:
        return len(text) <= MAX_TITLE_CHARS and "。" not in text
    return len(text) <= MAX_BODY_TITLE_CHARS and not any(p in text for p in "。,;:!?")


def _is_cell(text: str) -> bool:
    return len(text) <= MAX_CELL_CHARS and "。" not in text and not _is_major_heading(text)


def _is_major_heading(text: str) -> bool:
    found = heading_of(text)
    return bool(found and found[0] <= MAJOR_RANK)


def segment_document(
    doc: Document,
    lines: list[str],
    boilerplate: list[tuple[re.Pattern[str], str]],
    *,
    headers: HeaderLexicon | None = None,
) -> list[Region]:
    """Split a document's (errata-applied) raw lines into regions, in line order.

    Table lines are recognised by their shape (:func:`streetlib.tables.table_line_flags`,
    with the header lexicon ``headers``).
    """
    texts = [normalise(line) for line in lines]
    kinds = _line_kinds(texts, table_line_flags(texts, headers))
    for i, text in enumerate(texts):
        if kinds[i] == "text":
            kinds[i] = next((kind for pattern, kind in boilerplate if pattern.search(text)), "text")
    regions: list[Region] = []
    at_start = True
    i = 0
    while i < len(texts):
        kind, line_no = kinds[i], doc.line_start + i
        if kind == "blank":
            i += 1
        elif kind == "table":
            j = i
            while j + 1 < len(texts) and _continues_table(kinds, j + 1):
                j += 1
            regions.append(Region(doc.doc_id, "table", line_no, doc.line_start + j, ""))
            i = j + 1
            at_start = False
        elif kind != "text":
            regions.append(Region(doc.doc_id, kind, line_no, line_no, texts[i]))
            i += 1
        else:
            i = _segment_text_line(doc, texts, kinds, i, regions, at_start=at_start)
            at_start = at_start and regions[-1].kind in ("title", "toc", "metadata")
    _retitle_tables(regions)
    _levels_from_ranks(regions)
    return regions


def _levels_from_ranks(regions: list[Region]) -> None:
    """Turn heading ranks into levels: the depth among the ranks this document uses.

    Without parts, chapters, sections or articles the outline keeps levels 1 一、 to 4 (1).
    """
    headings = [r for r in regions if r.kind == "heading"]
    absent = [rank for rank in DIVISION_RANKS if rank not in {r.level for r in headings}]
    for r in headings:
        r.level -= sum(rank < r.level for rank in absent)


def _line_kinds(texts: list[str], piped: list[bool]) -> list[str]:
    """Mark blank and table lines; everything else is 'text' for now."""
    kinds = ["blank" if not t else ("table" if p else "text") for t, p in zip(texts, piped, strict=True)]
    # a cell split over lines: short text lines between table lines, closed by a line ending in '|'
    for i in range(1, len(kinds)):
        if kinds[i] == "text" and kinds[i - 1] == "table":
            j = i
            while j < len(kinds) and kinds[j] == "text" and _is_cell(texts[j]) and not TABLE_TITLE.match(texts[j]):
                j += 1
            if j < len(kinds) and kinds[j] == "table" and j - i <= MAX_SPLIT_CELL_LINES:
                kinds[i:j] = ["table"] * (j - i)
    return kinds


def _continues_table(kinds: list[str], j: int) -> bool:
    """A blank line stays inside a table only if another table line follows it."""
    if kinds[j] != "blank":
        return kinds[j] == "table"
    nxt = next((k for k in kinds[j:] if k != "blank"), None)
    return nxt == "table"


def _segment_text_line(
    doc: Document, texts: list[str], kinds: list[str], i: int, regions: list[Region], *, at_start: bool
) -> int:
    """Classify text line ``i`` (and any lines it absorbs); return the next index."""
    text, line_no = texts[i], doc.line_start + i
    if TABLE_TITLE.match(text):
        regions.append(Region(doc.doc_id, "table_title", line_no, line_no, text))
        return i + 1
    if CAPTION.match(text):
        regions.append(Region(doc.doc_id, "caption", line_no, line_no, text))
        return i + 1
    dated = TITLE_DATE.match(text)
    if dated and _is_title_text(dated["title"], at_start=True):
        regions.append(Region(doc.doc_id, "title", line_no, line_no, dated["title"]))
        regions.append(Region(doc.doc_id, "metadata", line_no, line_no, dated["date"], notes=["date on title line"]))
        return i + 1
    heading = heading_of(text)
    if heading:
        level, marker, number, title, body = heading
        region = Region(doc.doc_id, "heading", line_no, line_no, title, level, marker, number)  # level: rank
        if len(title) > MAX_HEADING_CHARS:
            region.notes.append(f"heading title of {len(title)} characters")
        regions.append(region)
        if body:
            return _paragraph(doc, texts, kinds, i, body, regions)
        return i + 1
    if _is_title_text(text, at_start=at_start):
        j, parts = i, [text]
        while True:
            k = next((m for m in range(j + 1, len(texts)) if kinds[m] != "blank"), None)
            if k is None or kinds[k] != "text" or not _is_title_text(texts[k], at_start=at_start):
                break
            if TABLE_TITLE.match(texts[k]) or CAPTION.match(texts[k]):
                break
            j, parts = k, [*parts, texts[k]]
        regions.append(Region(doc.doc_id, "title", line_no, doc.line_start + j, "".join(parts)))
        return j + 1
    return _paragraph(doc, texts, kinds, i, text, regions)


def _paragraph(doc: Document, texts: list[str], kinds: list[str], i: int, text: str, regions: list[Region]) -> int:
    """A paragraph starting at line ``i`` with ``text``; it absorbs continuation lines."""
    j = i
    while text.endswith(OPEN_SENTENCE_END):
        k = next((m for m in range(j + 1, len(texts)) if kinds[m] != "blank"), None)
        if k is None or kinds[k] != "text" or heading_of(texts[k]):
            break
        j, text = k, text + texts[k]
    region = Region(doc.doc_id, "paragraph", doc.line_start + i, doc.line_start + j, text)
    regions.append(region)
    return j + 1


def _retitle_tables(regions: list[Region]) -> None:
    """A title directly followed by a table is that table's title."""
    for a, b in pairwise(regions):
        if a.kind == "title" and b.kind == "table":
            a.kind = "table_title"


# --- sections and paragraphs -----------------------------------------------------------


def sections_and_paragraphs(doc: Document, regions: list[Region]) -> tuple[list[dict], list[dict], list[dict]]:
    """Rows of ``sections``, ``paragraphs`` and their quality flags for one document."""
    sections: list[dict] = []
    paragraphs: list[dict] = []
    flags: list[dict] = []
    open_by_level: dict[int, dict] = {}
    open_title: dict | None = None  # a part title (not the document's first title) parents what follows
    current: dict | None = None
    span_end = _span_ends([r for r in regions if r.kind in ("heading", "title")], doc)
    seen_title = False
    for region in regions:
        if region.kind == "toc":
            open_title = None
        if region.kind in ("heading", "title"):
            level = region.level
            parent = None
            if region.kind == "heading":
                parent = next((open_by_level[lv] for lv in range(level - 1, 0, -1) if lv in open_by_level), open_title)
            row = {
                "doc_id": doc.doc_id,
                "section_id": f"{doc.doc_id}:s{len(sections) + 1:03d}",
                "parent_id": parent["section_id"] if parent else None,
                "level": level,
                "marker": region.marker,
                "number": region.number,
                "title": region.text,
                "genre": doc.genre_of(region.line_start),
                "line_start": region.line_start,
                "line_end": region.line_end,
                "span_end": span_end[id(region)],
            }
            sections.append(row)
            if region.kind == "heading":
                open_by_level = {lv: s for lv, s in open_by_level.items() if lv < level}
                open_by_level[level] = row
            else:
                open_by_level = {}
                open_title = row if seen_title else None  # the document's first title parents nothing
                seen_title = True
            current = row
            for note in region.notes:
                flags.append(_flag(doc, region, "long_heading", region.text[:40], note))
        elif region.kind == "paragraph":
            genres = {doc.genre_of(line) for line in range(region.line_start, region.line_end + 1)}
            if len(genres) > 1:
                flags.append(
                    _flag(
                        doc,
                        region,
                        "part_boundary_in_paragraph",
                        region.text[:40],
                        f"a manifest part boundary falls inside this paragraph ({sorted(genres)}); "
                        "the genre of its first line is used",
                    )
                )
            if not region.text.endswith(SENTENCE_END):
                flags.append(
                    _flag(
                        doc,
                        region,
                        "unterminated_paragraph",
                        region.text[-20:],
                        "paragraph ends without punctuation",
                    )
                )
            paragraphs.append(
                {
                    "doc_id": doc.doc_id,
                    "section_id": current["section_id"] if current else None,
                    "para_id": f"{doc.doc_id}:p{len(paragraphs) + 1:04d}",
                    "genre": doc.genre_of(region.line_start),
                    "text": region.text,
                    "line_start": region.line_start,
                    "line_end": region.line_end,
                    "n_chars": len(region.text),
                }
            )
    flags.extend(_sequence_flags(doc, sections))
    return sections, paragraphs, flags


def _span_ends(heads: list[Region], doc: Document) -> dict[int, int]:
    """Last line of each section (by ``id`` of its heading or title): the line before the next heading
    of the same or a higher rank, the next title, or (for a title) the next heading of any rank.

    One backward pass with a stack of the headings that may still close an earlier one (the next
    smaller-or-equal level), so a document with many headings takes linear time.
    """
    ends: dict[int, int] = {}
    closers: list[Region] = []  # later headings, the nearest on top; their levels rise towards the top
    for head in reversed(heads):
        if head.kind == "title":
            ends[id(head)] = closers[-1].line_start - 1 if closers else doc.line_end
            closers.clear()  # a title closes everything before it: no later heading is reached past it
        else:
            while closers and closers[-1].kind != "title" and closers[-1].level > head.level:
                closers.pop()
            ends[id(head)] = closers[-1].line_start - 1 if closers else doc.line_end
        closers.append(head)
    return ends


def _sequence_flags(doc: Document, sections: list[dict]) -> list[dict]:
    """Flag numbering that skips or repeats among sibling headings.

    Numbering may restart at 1 under each parent or run on from the previous
    group of the same level (the action plan numbers its items 1-18 across sections).
    """
    flags = []
    last_by_level: dict[int, int] = {}
    last_parent_by_level: dict[int, object] = {}
    for s in sections:
        level, number = s["level"], s["number"]
        if level == 0 or number is None:
            if level == 0:
                last_by_level.clear()
                last_parent_by_level.clear()
            continue
        previous = last_by_level.get(level)
        same_group = last_parent_by_level.get(level, "none") == s["parent_id"]
        if previous is None:
            ok = number == 1
        elif same_group:
            ok = number == previous + 1
        else:
            ok = number in (1, previous + 1)
        if not ok:
            expected = "1" if previous is None else f"{previous + 1}" + ("" if same_group else " or 1")
            flags.append(
                quality_flag(
                    doc.doc_id,
                    doc.source,
                    s["line_start"],
                    s["line_end"],
                    "heading_sequence",
                    f"{s['marker']}{s['title'][:30]}",
                    f"heading number {number} where {expected} was expected",
                )
            )
        last_by_level[level] = number
        last_parent_by_level[level] = s["parent_id"]
    return flags


def _flag(doc: Document, region: Region, kind: str, found: str, note: str) -> dict:
    return quality_flag(doc.doc_id, doc.source, region.line_start, region.line_end, kind, found, note)


# --- paragraphs split by extraction, and duplicates -------------------------------------

SENTENCE_SPLIT = re.compile(r"(?<=[。!?;])")
MIN_SENTENCE_CHARS = 15
DUPLICATE_SHARE = 0.8
NEAR_COPY_SIMILARITY = 0.95
MAX_SPLIT_PARTS = 4  # a paragraph cut by more line breaks than this is not looked for


def near_copy_similarity(a: str, b: str) -> float:
    """Share of the characters two texts have in common, in order (``difflib``'s ratio), 0 to 1.

    Below :data:`NEAR_COPY_SIMILARITY` the cheap upper bounds answer 0.0, so unlike texts cost
    little; texts of very different length are never near copies.
    """
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < NEAR_COPY_SIMILARITY or matcher.quick_ratio() < NEAR_COPY_SIMILARITY:
        return 0.0
    return matcher.ratio()


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _long_sentences(key: str) -> list[str]:
    return [s for s in SENTENCE_SPLIT.split(key) if len(s) >= MIN_SENTENCE_CHARS]


@dataclass(frozen=True)
class Split:
    """Consecutive paragraphs of one document that are one paragraph cut by extraction, and the evidence."""

    doc_id: str
    para_ids: tuple[str, ...]  # the parts, in order; the joined paragraph keeps the first id
    line_start: int
    line_end: int
    evidence: str  # para_id of the paragraph elsewhere holding their joined text
    evidence_line: int  # its first raw line
    similarity: float  # near_copy_similarity of the joined text and the evidence


def join_split_paragraphs(paragraphs: pd.DataFrame, regions: pd.DataFrame) -> tuple[pd.DataFrame, list[Split]]:
    """Join the runs of paragraphs that extraction split, by the evidence of a copy elsewhere.

    A run of 2 to :data:`MAX_SPLIT_PARTS` consecutive paragraphs of one document, in one section and
    genre, with no region between them (blank lines only), is one paragraph when their joined text
    is a near copy (:func:`near_copy_similarity` >= :data:`NEAR_COPY_SIMILARITY`) of a single
    paragraph elsewhere in the corpus (another document or the same one) holding a whole sentence
    (>= :data:`MIN_SENTENCE_CHARS` characters) of the first part and one of the last. Of the runs
    starting at a paragraph the most similar one is joined, scanning in corpus order; the evidence is
    the earliest paragraph of the most similar text.

    Parameters
    ----------
    paragraphs : DataFrame
        ``doc_id, section_id, para_id, genre, text, line_start, line_end`` (plus any columns),
        in corpus order.
    regions : DataFrame
        ``doc_id, kind, line_start`` of every region, each document's in document order.

    Returns
    -------
    (DataFrame, list of Split)
        The paragraphs with each run joined into the row of its first part (text concatenated,
        ``line_end`` and ``n_chars`` of the whole; the later parts' rows and ids dropped), and the runs.
    """
    ids = paragraphs["para_id"].tolist()
    keys = [_key(t) for t in paragraphs["text"]]
    holders: dict[str, set[str]] = {}  # sentence -> the distinct texts holding it
    for key in dict.fromkeys(keys):
        for sentence in _long_sentences(key):
            holders.setdefault(sentence, set()).add(key)
    first_at: dict[str, int] = {}
    for n, key in enumerate(keys):
        first_at.setdefault(key, n)
    follows = _continues_previous(paragraphs, regions)
    holding: dict[str, frozenset[str]] = {}
    matches: dict[tuple[str, ...], tuple[float, str] | None] = {}  # by the parts' texts: many copies, one look

    def holding_of(key: str) -> frozenset[str]:  # the other texts holding a sentence of ``key``
        if key not in holding:
            holding[key] = frozenset().union(*(holders[s] for s in _long_sentences(key))) - {key}
        return holding[key]

    def match(parts: tuple[str, ...]) -> tuple[float, str] | None:
        if parts not in matches:
            joined = "".join(parts)
            found = [
                (near_copy_similarity(joined, other), -first_at[other], other)
                for other in holding_of(parts[0]) & holding_of(parts[-1])
                if other not in parts
            ]
            best = max(found, default=None)
            matches[parts] = (best[0], best[2]) if best and best[0] >= NEAR_COPY_SIMILARITY else None
        return matches[parts]

    splits, n = [], 0
    while n < len(ids):
        best = None
        for last in range(n + 1, min(n + MAX_SPLIT_PARTS, len(ids))):
            if not follows[last]:
                break
            found = match(tuple(keys[n : last + 1]))
            if found and (best is None or found[0] > best[1]):
                best = (last, *found)
        if best is None:
            n += 1
            continue
        last, similarity, evidence = best
        at = first_at[evidence]
        splits.append(
            Split(
                paragraphs["doc_id"].iat[n],
                tuple(ids[n : last + 1]),
                int(paragraphs["line_start"].iat[n]),
                int(paragraphs["line_end"].iat[last]),
                ids[at],
                int(paragraphs["line_start"].iat[at]),
                round(similarity, 4),
            )
        )
        n = last + 1
    joined_into = {p: split for split in splits for p in split.para_ids[1:]}
    splits = [  # evidence that is itself a later part of a join is cited as the joined paragraph
        replace(s, evidence=joined_into[s.evidence].para_ids[0], evidence_line=joined_into[s.evidence].line_start)
        if s.evidence in joined_into
        else s
        for s in splits
    ]
    return _joined(paragraphs, splits), splits


def _continues_previous(paragraphs: pd.DataFrame, regions: pd.DataFrame) -> list[bool]:
    """For each paragraph: does it directly follow the previous one (same document, section and genre, no region
    between them)?"""
    after: set[tuple[str, int]] = set()  # (doc_id, line_start) of a paragraph region right after another
    previous = (None, None)
    for doc_id, kind, start in zip(regions["doc_id"], regions["kind"], regions["line_start"].astype(int), strict=True):
        if kind == "paragraph" and previous == (doc_id, "paragraph"):
            after.add((doc_id, start))
        previous = (doc_id, kind)
    docs, sections, genres = (paragraphs[c].tolist() for c in ("doc_id", "section_id", "genre"))
    starts = paragraphs["line_start"].astype(int).tolist()
    return [
        n > 0
        and (docs[n], starts[n]) in after
        and docs[n] == docs[n - 1]
        and sections[n] == sections[n - 1]
        and genres[n] == genres[n - 1]
        for n in range(len(docs))
    ]


def _joined(paragraphs: pd.DataFrame, splits: list[Split]) -> pd.DataFrame:
    if not splits:
        return paragraphs
    out = paragraphs.set_index("para_id", drop=False)
    for split in splits:
        text = "".join(out.loc[list(split.para_ids), "text"])
        first = split.para_ids[0]
        out.loc[first, ["text", "line_end"]] = [text, split.line_end]
        if "n_chars" in out:
            out.loc[first, "n_chars"] = len(text)
    dropped = {p for split in splits for p in split.para_ids[1:]}
    return out[~out.index.isin(dropped)].reset_index(drop=True)


def mark_duplicates(paragraphs: pd.DataFrame) -> pd.DataFrame:
    """Add ``duplicate_of``, ``dup_share`` and ``is_duplicate`` (rows in corpus order).

    ``dup_share`` is the share of a paragraph's characters in sentences (of at
    least 15 characters) that appeared earlier in the corpus; a paragraph is a
    duplicate if its whole text appeared before, ``dup_share`` >= 0.8, or it is a near
    copy (:func:`near_copy_similarity` >= 0.95) of an earlier paragraph holding one of
    its repeated sentences.
    """
    seen_text: dict[str, str] = {}
    text_of: dict[str, str] = {}
    seen_sentence: dict[str, str] = {}
    duplicate_of, shares = [], []
    for para_id, text in zip(paragraphs["para_id"], paragraphs["text"], strict=True):
        key = _key(text)
        text_of[para_id] = key
        first = seen_text.setdefault(key, para_id)
        sentences = _long_sentences(key)
        repeated = [s for s in sentences if s in seen_sentence]
        share = sum(map(len, repeated)) / max(1, len(key))
        if first != para_id:
            origin = first
        elif share >= DUPLICATE_SHARE:
            origin = seen_sentence[repeated[0]]
        else:  # a near copy of a paragraph that holds one of its sentences?
            holders = dict.fromkeys(seen_sentence[s] for s in repeated)
            origin = next((p for p in holders if near_copy_similarity(key, text_of[p]) >= NEAR_COPY_SIMILARITY), None)
        for s in sentences:
            seen_sentence.setdefault(s, para_id)
        duplicate_of.append(origin)
        shares.append(1.0 if first != para_id else round(share, 4))
    out = paragraphs.copy()
    out["dup_share"] = shares
    out["duplicate_of"] = duplicate_of
    out["is_duplicate"] = out["duplicate_of"].notna()
    return out


def extract(ctx: DocumentContext) -> StageResult:
    """Stage: the document's regions (left on ``ctx`` for later stages), sections, paragraphs and flags."""
    ctx.regions = segment_document(ctx.doc, ctx.lines, ctx.lexicon.boilerplate, headers=ctx.lexicon.table_headers)
    sections, paragraphs, flags = sections_and_paragraphs(ctx.doc, ctx.regions)
    regions = [
        {
            "doc_id": r.doc_id,
            "region_id": f"{r.doc_id}:r{k:04d}",
            "kind": r.kind,
            "line_start": r.line_start,
            "line_end": r.line_end,
            "text": r.text or None,
        }
        for k, r in enumerate(ctx.regions, start=1)
    ]
    return StageResult({"regions": regions, "sections": sections, "paragraphs": paragraphs}, flags)


def extract_duplicates(ctx: CorpusContext) -> StageResult:
    """Corpus stage: join the paragraphs extraction split, then mark repeated ones (corpus order decides the
    original); flag each join and each duplicate."""
    paragraphs, splits = join_split_paragraphs(ctx.tables["paragraphs"], ctx.tables["regions"])
    paragraphs = mark_duplicates(paragraphs)
    source_of = {d.doc_id: d.source for d in ctx.documents}
    as_extracted = ctx.tables["paragraphs"].set_index("para_id")
    flags = [_split_flag(split, as_extracted, source_of) for split in splits]
    text_of = dict(zip(paragraphs["para_id"], paragraphs["text"].map(_key), strict=True))
    flags += [
        quality_flag(
            row.doc_id,
            source_of[row.doc_id],
            row.line_start,
            row.line_end,
            "duplicate_paragraph",
            row.text[:40],
            f"repeats {row.duplicate_of} ({row.dup_share:.0%} of its characters in earlier sentences)"
            if row.dup_share >= DUPLICATE_SHARE
            else f"a near copy of {row.duplicate_of} "
            f"({near_copy_similarity(text_of[row.para_id], text_of[row.duplicate_of]):.1%} of its characters "
            f"the same, in order; {row.dup_share:.0%} in earlier sentences)",
        )
        for row in paragraphs[paragraphs["is_duplicate"]].itertuples()
    ]
    return StageResult({"paragraphs": paragraphs.to_dict("records")}, flags)


def _split_flag(split: Split, by_id: pd.DataFrame, source_of: dict[str, str]) -> dict:
    """The ``split_paragraph`` flag of a join: the lines joined, quoting across the first break, and the evidence.

    ``by_id`` are the paragraphs as extracted (before the joins), indexed by ``para_id``.
    """
    where = f"{source_of[by_id.loc[split.evidence, 'doc_id']]} line {split.evidence_line}"
    first, second = (by_id.loc[p, "text"] for p in split.para_ids[:2])
    return quality_flag(
        split.doc_id,
        source_of[split.doc_id],
        split.line_start,
        split.line_end,
        "split_paragraph",
        first[-12:] + second[:12],
        f"one paragraph cut by extraction ({' + '.join(split.para_ids)}), joined as {split.para_ids[0]}: "
        f"its text is one paragraph at {where} ({split.evidence}, {split.similarity:.1%} of its characters "
        "the same, in order)",
    )
