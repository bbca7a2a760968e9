"""Read and validate ``data/raw/manifest.toml`` and the raw sources it lists.

The manifest is the reviewed record of what each raw file holds: per source its
file, sha256, encoding, publisher and publication date; per logical document its
id, title, street, district, type, period, line range in the source and the
genre of each part. Every check here fails with a :class:`ManifestError` or
:class:`SourceError` whose message names the file, the entry and what to do.

:func:`add_document` (``streetlib add``) is the one writer: it appends a new source and
document entry, read from the text by :mod:`streetlib.inference`, and never rewrites the
entries already there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import shutil
import tempfile
import tomllib
import unicodedata
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import tomli_w

from streetlib import config
from streetlib.errors import ManifestError, SourceError, located
from streetlib.inference import (
    Fact,
    Place,
    close_names,
    detect_encoding,
    find_place,
    infer_doc_type,
    infer_period,
    infer_published,
    infer_publisher,
    infer_title,
    load_doc_types,
    load_gazetteer,
    load_page_labels,
    parse_date,
    parse_years,
    propose_doc_id,
    split_lines,
    usable_stem,
)
from streetlib.schema import DOC_TYPES, GENRES

ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16")
NEWLINES = ("lf", "crlf")

DOC_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")

# field name -> (required, python type); `published` is a TOML date.
SOURCE_FIELDS: dict[str, tuple[bool, type]] = {
    "file": (True, str),
    "sha256": (True, str),
    "publisher": (True, str),
    "published": (True, dt.date),
    "encoding": (False, str),
    "newline": (False, str),
    "received_as": (False, str),
    "published_in": (False, str),
    "url": (False, str),
    "url_note": (False, str),
    "retrieved": (False, dt.date),
    "note": (False, str),
}
DOCUMENT_FIELDS: dict[str, tuple[bool, type]] = {
    "doc_id": (True, str),
    "source": (True, str),
    "title": (True, str),
    "street": (True, str),
    "street_en": (True, str),
    "district": (True, str),
    "district_en": (True, str),
    "doc_type": (True, str),
    "year_start": (True, int),
    "year_end": (True, int),
    "line_start": (True, int),
    "line_end": (True, int),
    "parts": (True, list),
    "relocated_tables": (False, list),
    "note": (False, str),
}
RELOCATION_FIELDS: dict[str, tuple[bool, type]] = {
    "title_line": (True, int),
    "line_start": (True, int),
    "line_end": (True, int),
    "note": (False, str),
}
PART_FIELDS: dict[str, tuple[bool, type]] = {
    "line_start": (True, int),
    "line_end": (True, int),
    "genre": (True, str),
}


@dataclass(frozen=True)
class Source:
    """One raw file, as the manifest records it."""

    file: str
    sha256: str
    publisher: str
    published: dt.date
    encoding: str = "utf-8"
    newline: str = "lf"
    received_as: str = ""
    published_in: str = ""
    url: str = ""
    url_note: str = ""
    retrieved: dt.date | None = None
    note: str = ""


@dataclass(frozen=True)
class Part:
    """A stretch of a document with one genre (plan, review, ...)."""

    line_start: int
    line_end: int
    genre: str


@dataclass(frozen=True)
class Relocation:
    """A table whose title is in the document but whose cells sit elsewhere in the source."""

    title_line: int
    line_start: int
    line_end: int
    note: str = ""


@dataclass(frozen=True)
class Document:
    """One logical document: a line range of a source, tiled by its parts."""

    doc_id: str
    source: str
    title: str
    street: str
    street_en: str
    district: str
    district_en: str
    doc_type: str
    year_start: int
    year_end: int
    line_start: int
    line_end: int
    parts: tuple[Part, ...]
    relocated_tables: tuple[Relocation, ...] = ()
    note: str = ""

    def genre_of(self, line: int) -> str:
        """The genre of the part holding raw line ``line``."""
        for part in self.parts:
            if part.line_start <= line <= part.line_end:
                return part.genre
        raise ValueError(f"line {line} is outside document {self.doc_id}")


@dataclass(frozen=True)
class Manifest:
    path: Path
    sources: tuple[Source, ...]
    documents: tuple[Document, ...]

    def source(self, file: str) -> Source:
        return next(s for s in self.sources if s.file == file)


def load_manifest(raw: Path | None = None, *, text: str | None = None) -> Manifest:
    """Parse and validate the manifest in ``raw`` (default: the data root's raw/).

    ``text`` validates a manifest's contents before they are written (``streetlib add``).
    """
    raw = raw or config.raw_dir()
    path = raw / config.MANIFEST_NAME
    if text is None and not path.is_file():
        raise ManifestError(located(path, None, "no manifest found", "Create it (see README, 'Add a document')."))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8") if text is None else text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(located(path, None, f"not valid TOML ({exc})", "Fix the syntax and rebuild.")) from exc

    unknown = sorted(set(data) - {"sources", "documents"})
    if unknown:
        raise ManifestError(
            located(path, None, f"unknown top-level keys {unknown}", "Use [[sources]] and [[documents]] only.")
        )
    sources = tuple(
        Source(**_fields(path, f"[[sources]] entry {i}", entry, SOURCE_FIELDS))
        for i, entry in enumerate(_entries(path, data, "sources"), start=1)
    )
    documents = tuple(_document(path, i, entry) for i, entry in enumerate(_entries(path, data, "documents"), start=1))
    _check_sources(path, sources)
    _check_documents(path, sources, documents)
    return Manifest(path, sources, documents)


def _entries(path: Path, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    entries = data.get(key)
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise ManifestError(located(path, None, f"needs at least one [[{key}]] table", f"Add a [[{key}]] entry."))
    return entries


def _fields(path: Path, where: str, entry: dict[str, Any], spec: dict[str, tuple[bool, type]]) -> dict[str, Any]:
    """Check an entry's keys and types against ``spec``; return the known fields."""
    name = entry.get("doc_id") or entry.get("file")
    label = f"{where} ({name!r})" if isinstance(name, str) else where
    for key in entry:
        if key not in spec:
            raise ManifestError(located(path, label, f"unknown field {key!r}", f"Valid fields: {', '.join(spec)}."))
    for key, (required, kind) in spec.items():
        if key not in entry:
            if required:
                raise ManifestError(
                    located(path, label, f"field {key!r} is missing", f"Add {key} = <{kind.__name__}>.")
                )
            continue
        value = entry[key]
        # bool is an int subclass and datetime a date subclass: refuse both explicitly.
        wrong = (
            not isinstance(value, kind)
            or (kind is int and isinstance(value, bool))
            or (kind is dt.date and isinstance(value, dt.datetime))
        )
        if wrong:
            raise ManifestError(
                located(
                    path,
                    label,
                    f"field {key!r} must be of type {kind.__name__}, got {type(value).__name__} {value!r}",
                    "Fix the value (dates are written unquoted: 2021-08-31; numbers without quotes).",
                )
            )
    return dict(entry)


def _document(path: Path, index: int, entry: dict[str, Any]) -> Document:
    where = f"[[documents]] entry {index}"
    fields = _fields(path, where, entry, DOCUMENT_FIELDS)
    label = f"{where} ({fields['doc_id']!r})"
    parts = []
    for j, part in enumerate(fields.pop("parts"), start=1):
        if not isinstance(part, dict):
            raise ManifestError(
                located(path, label, f"part {j} is not a table", "Write parts as { line_start, line_end, genre }.")
            )
        parts.append(Part(**_fields(path, f"{label} part {j}", part, PART_FIELDS)))
    moved = []
    for j, entry in enumerate(fields.pop("relocated_tables", []), start=1):
        if not isinstance(entry, dict):
            raise ManifestError(
                located(
                    path,
                    label,
                    f"relocated table {j} is not a table",
                    "Write { title_line, line_start, line_end }.",
                )
            )
        moved.append(Relocation(**_fields(path, f"{label} relocated table {j}", entry, RELOCATION_FIELDS)))
    return Document(parts=tuple(parts), relocated_tables=tuple(moved), **fields)


def _check_sources(path: Path, sources: tuple[Source, ...]) -> None:
    seen: set[str] = set()
    for s in sources:
        label = f"source {s.file!r}"
        if s.file in seen:
            raise ManifestError(located(path, label, "listed twice", "Keep one [[sources]] entry per file."))
        seen.add(s.file)
        if "/" in s.file or "\\" in s.file:
            raise ManifestError(located(path, label, "file must be a bare name", "Put the file in data/raw/."))
        if not SHA256_PATTERN.match(s.sha256):
            raise ManifestError(
                located(
                    path,
                    label,
                    f"sha256 {s.sha256!r} is not 64 lowercase hex digits",
                    "Run `sha256sum` on the file.",
                )
            )
        if s.encoding not in ENCODINGS:
            raise ManifestError(
                located(path, label, f"encoding {s.encoding!r} is not supported", f"Use one of {ENCODINGS}.")
            )
        if s.newline not in NEWLINES:
            raise ManifestError(located(path, label, f"newline {s.newline!r} is unknown", f"Use one of {NEWLINES}."))


def _check_documents(path: Path, sources: tuple[Source, ...], documents: tuple[Document, ...]) -> None:
    files = {s.file for s in sources}
    seen: set[str] = set()
    for d in documents:
        label = f"document {d.doc_id!r}"
        if not DOC_ID_PATTERN.match(d.doc_id):
            raise ManifestError(
                located(
                    path,
                    label,
                    "doc_id must be lowercase ASCII snake_case",
                    "Rename it, e.g. street_type_year.",
                )
            )
        if d.doc_id in seen:
            raise ManifestError(located(path, label, "doc_id is used twice", "Give each document its own doc_id."))
        seen.add(d.doc_id)
        if d.source not in files:
            raise ManifestError(
                located(
                    path,
                    label,
                    f"source {d.source!r} has no [[sources]] entry",
                    "Add the source or fix the name.",
                )
            )
        if d.doc_type not in DOC_TYPES:
            raise ManifestError(
                located(path, label, f"doc_type {d.doc_type!r} is unknown", f"Use one of: {', '.join(DOC_TYPES)}.")
            )
        if d.year_start > d.year_end:
            raise ManifestError(located(path, label, "year_start is after year_end", "Fix the period."))
        if not 1 <= d.line_start <= d.line_end:
            raise ManifestError(
                located(path, label, f"line range {d.line_start}-{d.line_end} is empty or not 1-based", "Fix it.")
            )
        _check_parts(path, label, d)
    by_source: dict[str, list[Document]] = {}
    for d in documents:
        by_source.setdefault(d.source, []).append(d)
    for docs in by_source.values():
        docs.sort(key=lambda d: d.line_start)
        for a, b in pairwise(docs):
            if b.line_start <= a.line_end:
                raise ManifestError(
                    located(
                        path,
                        f"document {b.doc_id!r}",
                        f"lines {b.line_start}-{b.line_end} overlap document {a.doc_id!r} "
                        f"({a.line_start}-{a.line_end})",
                        "A raw line belongs to one document at most: fix the ranges.",
                    )
                )


def _check_parts(path: Path, label: str, d: Document) -> None:
    expected = d.line_start
    for j, p in enumerate(d.parts, start=1):
        if p.genre not in GENRES:
            raise ManifestError(
                located(
                    path,
                    f"{label} part {j}",
                    f"genre {p.genre!r} is unknown",
                    f"Use one of: {', '.join(GENRES)}.",
                )
            )
        if p.line_start != expected or p.line_end < p.line_start:
            raise ManifestError(
                located(
                    path,
                    f"{label} part {j}",
                    f"lines {p.line_start}-{p.line_end} do not continue from line {expected}",
                    "Parts must tile the document's range in order, without gap or overlap.",
                )
            )
        expected = p.line_end + 1
    if expected != d.line_end + 1:
        raise ManifestError(
            located(
                path,
                label,
                f"parts end at line {expected - 1}, the document at {d.line_end}",
                "Make them agree.",
            )
        )


def read_source(source: Source, raw: Path | None = None) -> list[str]:
    """The lines of a raw source (1-based line k is element k-1), after every check.

    Checks, in order: the file exists and is not empty, its sha256 matches the
    manifest, it decodes with the declared encoding (and if not, which encoding
    it looks like), its line ends are the declared ones.
    """
    raw = raw or config.raw_dir()
    path = raw / source.file
    manifest = raw / config.MANIFEST_NAME
    label = f"source {source.file!r}"
    if not path.is_file():
        raise SourceError(
            located(manifest, label, f"{path} does not exist", "Copy the raw file into data/raw/ or fix `file`.")
        )
    data = path.read_bytes()
    if not data.strip():
        raise SourceError(
            located(path, None, "the file is empty", "Re-export the document; an empty file cannot be a source.")
        )
    digest = hashlib.sha256(data).hexdigest()
    if digest != source.sha256 and _line_ends_only(data, source.sha256):
        raise SourceError(
            located(
                path,
                None,
                f"sha256 is {digest}, the manifest records {source.sha256}: the file differs only by its line "
                "ends (CRLF instead of LF), which Git converts on checkout when core.autocrlf is set",
                "Fix the checkout, not the file: run `git config core.autocrlf false`, then "
                f"`git rm --cached -r data/raw && git checkout -- data/raw` (or re-download {source.file} "
                "unchanged). The repository's .gitattributes keeps data/raw/ byte-exact in new clones.",
            )
        )
    if digest != source.sha256:
        raise SourceError(
            located(
                path,
                None,
                f"sha256 is {digest}, the manifest records {source.sha256}",
                "Raw files are never edited: restore the file as received, or, for a new version, "
                "review it and record its sha256 in data/raw/manifest.toml.",
            )
        )
    text = _decode(path, data, source.encoding)
    if "\r" in text:
        if source.newline != "crlf":
            line = text[: text.index("\r")].count("\n") + 1
            raise SourceError(
                located(
                    path,
                    line,
                    "has Windows (CRLF) line ends",
                    'Declare newline = "crlf" in its manifest entry.',
                )
            )
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return lines


def _line_ends_only(data: bytes, expected: str) -> bool:
    """True when ``data`` with its line ends converted (CRLF to LF, or LF to CRLF) has the expected sha256."""
    if b"\r\n" in data:
        return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest() == expected
    return hashlib.sha256(data.replace(b"\n", b"\r\n")).hexdigest() == expected


def _decode(path: Path, data: bytes, encoding: str) -> str:
    if encoding == "utf-8" and data.startswith(b"\xef\xbb\xbf"):
        raise SourceError(
            located(
                path,
                1,
                "starts with a UTF-8 byte-order mark",
                'Declare encoding = "utf-8-sig" in its manifest entry.',
            )
        )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        if exc.reason == "unexpected end of data":  # a download or copy cut short inside a character
            raise SourceError(
                located(
                    path,
                    line,
                    f"ends inside a character (byte {exc.start} of {len(data)}): the file looks truncated",
                    "Restore the complete file as received, then review it and record its sha256.",
                )
            ) from exc
        guess = guess_encoding(data)
        hint = (
            f'it decodes as {guess}: if that is right, declare encoding = "{guess}" in its manifest entry '
            "(the raw file stays as received)"
            if guess and guess != encoding
            else "re-export the document as UTF-8"
        )
        raise SourceError(
            located(path, line, f"is not valid {encoding} (byte {exc.start})", hint[0].upper() + hint[1:] + ".")
        ) from exc


def guess_encoding(data: bytes) -> str | None:
    """Name the encoding a Chinese text file most plausibly uses, or None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for candidate in ("utf-8", "gb18030"):
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        han = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
        if han >= 0.1 * max(1, sum(not ch.isspace() for ch in text)):
            return candidate
    return None


@dataclass(frozen=True)
class Corpus:
    """The validated manifest and the lines of every source it lists."""

    manifest: Manifest
    lines: dict[str, list[str]]

    def document_lines(self, doc: Document) -> list[str]:
        """The raw lines of ``doc``; element k is raw line ``doc.line_start + k``."""
        return self.lines[doc.source][doc.line_start - 1 : doc.line_end]


def read_corpus(raw: Path | None = None) -> Corpus:
    """Load the manifest, read every source and check each document fits its source."""
    raw = raw or config.raw_dir()
    manifest = load_manifest(raw)
    lines = {s.file: read_source(s, raw) for s in manifest.sources}
    for d in manifest.documents:
        n = len(lines[d.source])
        for r in d.relocated_tables:
            if not (d.line_start <= r.title_line <= d.line_end and 1 <= r.line_start <= r.line_end <= n):
                raise ManifestError(
                    located(
                        manifest.path,
                        f"document {d.doc_id!r}",
                        f"relocated table (title line {r.title_line}, lines {r.line_start}-{r.line_end}) "
                        f"is outside the document or its source ({n} lines)",
                        "Fix title_line/line_start/line_end.",
                    )
                )
        if d.line_end > n:
            raise ManifestError(
                located(
                    manifest.path,
                    f"document {d.doc_id!r}",
                    f"line range {d.line_start}-{d.line_end} runs past the end of {d.source} ({n} lines)",
                    "Fix line_start/line_end (and its parts) to lie inside the source; if the file was "
                    "cut short (truncated), restore the complete file.",
                )
            )
    return Corpus(manifest, lines)


# -- streetlib add ------------------------------------------------------------------------------

ADD_NOTE = "added by streetlib add: review every field, split the file into documents and mark review parts"


@dataclass(frozen=True)
class Added:
    """What ``streetlib add`` wrote: the new doc_id, the file in raw/ and every field with its evidence."""

    doc_id: str
    file: str
    received_as: str
    facts: dict[str, Fact]


def add_document(path: Path, street: str, *, root: Path | None = None, **given: str | None) -> Added:
    """Copy a raw file into ``raw/`` and append a [[sources]] and a [[documents]] entry to the manifest.

    Every field not ``given`` (street_en, district, district_en, doc_type, published, publisher,
    title, years, genre, doc_id, url, retrieved) is read from the text (see
    :mod:`streetlib.inference`), the street's existing manifest entries or the gazetteer. The
    entries are validated with the rest of the manifest before anything is written; the raw copy
    and the new manifest are written to a temporary folder in the data root, synced, then moved
    into place with ``os.replace``: a failed add (bad input, a full disk, an interrupt) leaves
    ``raw/`` and the manifest exactly as they were.

    Parameters
    ----------
    path
        The raw text as received (UTF-8 with or without BOM, UTF-16, GB18030/GBK; LF or CRLF).
    street
        The street's name as the gazetteer or the manifest writes it, e.g. ``新华路街道``.
    root
        Data root (default: :func:`streetlib.config.data_root`).
    **given
        Overrides, as the command line gives them (strings).

    Returns
    -------
    Added
        The doc_id, the file name in raw/, and each field's value with where it came from.
    """
    raw = config.raw_dir(root)
    lexicon = config.lexicon_dir(root)
    path = Path(path)
    unknown = sorted(set(given) - set(ADD_FIELDS))
    if unknown:
        raise TypeError(f"add_document got unknown fields {unknown}")
    given = {k: v for k, v in given.items() if v not in (None, "")}
    if not path.is_file():
        raise SourceError(located(path, None, "no such file", "Give the path of the raw text."))
    data = path.read_bytes()
    if not data.strip():
        raise SourceError(located(path, None, "the file is empty", "Give the document's text."))
    encoding, newline = detect_encoding(path, data)
    # inference reads canonical text (full-width digits and ASCII as ASCII); the raw file is kept as it is
    lines = [unicodedata.normalize("NFKC", line) for line in split_lines(data.decode(encoding))]
    manifest = load_manifest(raw)
    facts = _infer_fields(path, street, lines, manifest, lexicon, given)
    facts["encoding"] = Fact(encoding, "detected")
    facts["newline"] = Fact(newline, "detected")

    doc_id = str(facts["doc_id"].value)
    file = path.name if usable_stem(path.stem) else f"{doc_id}{path.suffix or '.txt'}"
    target = raw / file
    listed = any(s.file == file for s in manifest.sources)
    if target.exists() and not listed and target.read_bytes() == data:
        raise SourceError(
            located(
                target,
                None,
                "this very file is in raw/ but not in the manifest (an add interrupted between its two moves?)",
                "Delete it from raw/ and run add again.",
            )
        )
    if target.exists() or listed:
        raise SourceError(
            located(
                target, None, "a raw file of that name exists", "Rename the new file; raw files are never replaced."
            )
        )
    source_entry, document_entry = _new_entries(file, path.name, data, len(lines), facts)
    before = manifest.path.read_bytes()
    text = before.decode("utf-8")
    text += ("" if text.endswith("\n") else "\n") + "\n" + tomli_w.dumps({"sources": [source_entry]})
    text += "\n" + tomli_w.dumps({"documents": [document_entry]})
    load_manifest(raw, text=text)  # the whole manifest, with the new entries, before anything is written
    _commit(path, target, manifest.path, text, Source(**source_entry))
    return Added(doc_id, file, path.name if file != path.name else "", facts)


ADD_FIELDS = (
    "street_en",
    "district",
    "district_en",
    "doc_type",
    "published",
    "publisher",
    "title",
    "years",
    "genre",
    "doc_id",
    "url",
    "retrieved",
)


def _bad_argument(flag: str, problem: str) -> ManifestError:
    return ManifestError(f"--{flag.replace('_', '-')}: {problem}")


def _infer_fields(
    path: Path, street: str, lines: list[str], manifest: Manifest, lexicon: Path, given: dict[str, str]
) -> dict[str, Fact]:
    """Every manifest field of a new document: given, else read from the text, the manifest or the gazetteer."""
    facts: dict[str, Fact] = {"street": Fact(street, "given")}
    for key, value in given.items():
        facts[key] = Fact(value, "given")

    # place: the street's own manifest entries first (reviewed), then the gazetteer
    known = {d.street: Place(d.street, d.street_en, d.district, d.district_en) for d in manifest.documents}
    try:
        place, where = find_place(street, known), "manifest"
        if place is None:
            place, where = find_place(street, load_gazetteer(lexicon)), "gazetteer"
    except ValueError as exc:
        raise _bad_argument("street", str(exc)) from None
    if place is not None and place.street.startswith(street) and place.street != street:  # 新华路 → 新华路街道
        facts["street"] = Fact(place.street, f"{where} ({street})")
    for key in ("street_en", "district", "district_en"):
        if key not in facts and place is not None:
            evidence = where if place.street == street else f"{where} ({place.street})"
            facts[key] = Fact(getattr(place, key), evidence)
    missing = [k for k in ("street_en", "district", "district_en") if k not in facts]
    if missing:
        near = close_names(street, {**load_gazetteer(lexicon), **known})
        hint = f" Did you mean {', '.join(near)}?" if near else ""
        raise ManifestError(
            located(
                lexicon / "gazetteer.csv",
                None,
                f"{street!r} is neither in the gazetteer nor in the manifest",
                f"Check the name (as in 新华路街道 or 张江镇).{hint} Or give "
                + ", ".join(f"--{k.replace('_', '-')}" for k in missing)
                + ".",
            )
        )

    terms = load_doc_types(lexicon)
    if "title" not in facts:
        title = infer_title(lines, terms)
        if title is None:
            raise ManifestError(located(path, None, "no title found in the first lines", "Give --title."))
        facts["title"] = title
    title = str(facts["title"].value)

    term = infer_doc_type(title, terms)
    if "doc_type" in facts:
        if facts["doc_type"].value not in DOC_TYPES:
            raise _bad_argument("doc_type", f"{facts['doc_type'].value!r} is not one of {', '.join(DOC_TYPES)}")
        term = next((t for t in terms if t.doc_type == facts["doc_type"].value), None)
    elif term is not None:
        facts["doc_type"] = Fact(term.doc_type, f"title word {term.term} (doc_types.csv)")
    else:
        raise ManifestError(
            located(
                path,
                None,
                f"the title {title!r} has no word of data/lexicon/doc_types.csv",
                f"Give --doc-type (one of {', '.join(DOC_TYPES)}), or add the title word to doc_types.csv.",
            )
        )
    if "genre" in facts:
        if facts["genre"].value not in GENRES:
            raise _bad_argument("genre", f"{facts['genre'].value!r} is not one of {', '.join(GENRES)}")
    else:
        facts["genre"] = Fact(term.genre if term else "plan", "document type" if term else "default")

    for key in ("published", "retrieved"):
        if key in facts:
            try:
                facts[key] = Fact(parse_date(str(facts[key].value)), "given")
            except ValueError as exc:
                raise _bad_argument(key, str(exc)) from None
    if "published" not in facts:
        published = infer_published(lines)
        if published is None:
            raise ManifestError(
                located(path, None, "no publication date found in its first or last lines", "Give --published.")
            )
        facts["published"] = published
    if "publisher" not in facts:
        facts["publisher"] = infer_publisher(lines, street, title, load_page_labels(lexicon)) or Fact(
            street, "assumed (no issuing body in the text)"
        )
    if "years" in facts:
        try:
            facts["years"] = Fact(parse_years(str(facts["years"].value)), "given")
        except ValueError as exc:
            raise _bad_argument("years", str(exc)) from None
    else:
        period = infer_period(title, lines, facts["published"].value)  # type: ignore[arg-type]
        period = period or Fact((facts["published"].value.year,) * 2, "publication year")  # type: ignore[attr-defined]
        start, end = period.value  # type: ignore[misc]
        if term is not None and term.years_after:
            period = Fact((start, end + term.years_after), f"{period.evidence}, + {term.years_after} plan year")
        facts["years"] = period
    if "url" in facts and not re.match(r"^https?://\S+$", str(facts["url"].value)):
        raise _bad_argument("url", f"{facts['url'].value!r} is not an http(s) address")

    taken = {d.doc_id for d in manifest.documents}
    if "doc_id" in facts:
        doc_id = str(facts["doc_id"].value)
        if not DOC_ID_PATTERN.match(doc_id):
            raise _bad_argument("doc_id", f"{doc_id!r} must be lowercase ASCII snake_case, e.g. xinhua_road_2024")
        if doc_id in taken:
            raise _bad_argument("doc_id", f"{doc_id!r} is already in the manifest; choose another")
    elif (stem := usable_stem(path.stem)) and stem not in taken:
        facts["doc_id"] = Fact(stem, "file name")
    else:
        years = facts["years"].value
        doc_id = propose_doc_id(str(facts["street_en"].value), years, str(facts["doc_type"].value), taken)  # type: ignore[arg-type]
        facts["doc_id"] = Fact(doc_id, "street_en, year and doc_type")
    return facts


def _new_entries(
    file: str, received_as: str, data: bytes, n_lines: int, facts: dict[str, Fact]
) -> tuple[dict[str, Any], dict[str, Any]]:
    value = {key: fact.value for key, fact in facts.items()}
    source: dict[str, Any] = {"file": file}
    if received_as != file:
        source["received_as"] = received_as
    source |= {
        "sha256": hashlib.sha256(data).hexdigest(),
        "encoding": value["encoding"],
        "newline": value["newline"],
        "publisher": value["publisher"],
        "published": value["published"],
    }
    source |= {key: value[key] for key in ("url", "retrieved") if key in value}
    source["note"] = ADD_NOTE
    start, end = value["years"]
    document = {
        "doc_id": value["doc_id"],
        "source": file,
        "title": value["title"],
        "street": value["street"],
        "street_en": value["street_en"],
        "district": value["district"],
        "district_en": value["district_en"],
        "doc_type": value["doc_type"],
        "year_start": start,
        "year_end": end,
        "line_start": 1,
        "line_end": n_lines,
        "parts": [{"line_start": 1, "line_end": n_lines, "genre": value["genre"]}],
    }
    return source, document


def _copy_durably(source: Path, target: Path) -> None:
    with source.open("rb") as src, target.open("xb") as dst:
        shutil.copyfileobj(src, dst)
        dst.flush()
        os.fsync(dst.fileno())


def _write_durably(target: Path, text: str) -> None:
    with target.open("xb") as dst:
        dst.write(text.encode("utf-8"))
        dst.flush()
        os.fsync(dst.fileno())


def _sync_dir(folder: Path) -> None:
    if hasattr(os, "O_DIRECTORY"):  # POSIX: make the renames themselves durable
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _commit(path: Path, target: Path, manifest: Path, text: str, source: Source) -> None:
    """Write the raw copy and the new manifest beside the data, check the copy, then move both in.

    Until the first ``os.replace`` nothing under raw/ has changed; if the manifest cannot be moved
    in after the raw copy, the copy is removed again.
    """
    raw = target.parent
    work: Path | None = None
    moved = False
    try:
        work = Path(tempfile.mkdtemp(prefix=".streetlib-add-", dir=raw.parent))
        _copy_durably(path, work / target.name)
        read_source(source, work)  # the copy is whole: sha256, encoding, line ends as recorded
        _write_durably(work / manifest.name, text)
        if target.exists():
            raise SourceError(located(target, None, "appeared during add", "Run add again."))
        os.replace(work / target.name, target)
        moved = True
        os.replace(work / manifest.name, manifest)
        moved = False
    except OSError as exc:
        raise ManifestError(
            located(
                raw,
                None,
                f"could not add {path.name} ({exc.strerror or exc})",
                "Nothing was changed: free disk space or fix permissions, then run add again.",
            )
        ) from None
    finally:
        if moved:  # the manifest did not follow the raw copy: take the copy back out
            target.unlink(missing_ok=True)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    with contextlib.suppress(OSError):  # both files are in place; syncing the folder only hastens durability
        _sync_dir(raw)
