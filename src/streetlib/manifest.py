"""Read and validate ``data/raw/manifest.toml`` and the raw sources it lists.

The manifest is the reviewed record of what each raw file holds: per source its
file, sha256, encoding, publisher and publication date; per logical document its
id, title, street, district, type, period, line range in the source and the
genre of each part. Every check here fails with a :class:`ManifestError` or
:class:`SourceError` whose message names the file, the entry and what to do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from streetlib import config
from streetlib.errors import ManifestError, SourceError, located

DOC_TYPES = (
    "action_plan",
    "annex",
    "special_action_plan",
    "research_report",
    "work_summary",
    "work_plan",
    "congress_report",
    "five_year_plan",
)
GENRES = ("plan", "review", "research", "glossary")
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


def load_manifest(raw: Path | None = None) -> Manifest:
    """Parse and validate the manifest in ``raw`` (default: the data root's raw/)."""
    raw = raw or config.raw_dir()
    path = raw / config.MANIFEST_NAME
    if not path.is_file():
        raise ManifestError(located(path, None, "no manifest found", "Create it (see README, 'Add a document')."))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
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


def add_document(args, *, root: Path | None = None) -> str:
    """Copy a raw file into ``raw/`` and append its source and document entries to the manifest.

    The new entries are validated with the rest of the manifest; if anything is
    wrong the manifest and ``raw/`` are restored and the error is raised.
    Returns the new doc_id.
    """
    import shutil

    raw = config.raw_dir(root)
    source = Path(args.path)
    if not source.is_file():
        raise SourceError(located(source, None, "no such file", "Give the path of the raw text."))
    target = raw / source.name
    if target.exists():
        raise SourceError(
            located(
                target, None, "a raw file of that name exists", "Rename the new file; raw files are never replaced."
            )
        )
    years = [int(y) for y in str(args.years).split("-")]
    doc_id = args.doc_id or re.sub(r"[^a-z0-9]+", "_", source.stem.lower()).strip("_") or "new_document"
    if not doc_id[0].isalpha():
        doc_id = f"doc_{doc_id}"
    data = source.read_bytes()
    text = _decode(source, data, "utf-8")
    n_lines = len(text.split("\n")) - (1 if text.endswith("\n") else 0)
    entry = (
        f'\n[[sources]]\nfile = "{source.name}"\nsha256 = "{hashlib.sha256(data).hexdigest()}"\nencoding = "utf-8"\n'
        f'publisher = "{args.publisher}"\npublished = {dt.date.fromisoformat(args.published).isoformat()}\n'
        f'published_in = ""\nurl = ""\nnote = "added by streetlib add; review the document entry below"\n'
        f'\n[[documents]]\ndoc_id = "{doc_id}"\nsource = "{source.name}"\ntitle = "{args.title}"\n'
        f'street = "{args.street}"\nstreet_en = "{args.street_en}"\ndistrict = "{args.district}"\n'
        f'district_en = "{args.district_en}"\ndoc_type = "{args.doc_type}"\n'
        f"year_start = {years[0]}\nyear_end = {years[-1]}\nline_start = 1\nline_end = {n_lines}\n"
        f'parts = [{{ line_start = 1, line_end = {n_lines}, genre = "{args.genre}" }}]\n'
    )
    manifest = raw / config.MANIFEST_NAME
    before = manifest.read_text(encoding="utf-8")
    shutil.copyfile(source, target)
    try:
        manifest.write_text(before + entry, encoding="utf-8")
        read_corpus(raw)
    except BaseException:
        manifest.write_text(before, encoding="utf-8")
        target.unlink()
        raise
    return doc_id
