"""Clean raw lines: reviewed errata (data), then generic normalisation (code).

Canonical punctuation
---------------------
All five sources were extracted with the five "ASCII twins" ``, ( ) : ;`` in
place of the full-width ``，（）：；`` while ``、。“”《》—…`` stayed full-width.
streetlib keeps that convention as its canonical form for analysis text: full-
width ASCII variants (U+FF01-FF5E, e.g. ``，`` ``（`` ``：`` and full-width
digits) become ASCII, the ideographic space and NBSP become a space, and every
other character is kept. A new document typed with full-width punctuation thus
reads like the existing ones, and the heading and table rules need one form only.
Runs of spaces collapse to one; a space between two CJK characters is kept
(slogan halves such as ``党建引领 凝心聚力`` are separated that way on purpose),
except in a letter-spaced two-character title (``前 言``).

The raw text stays recoverable: every cleaned unit carries its raw line range,
and ``normalise(apply_errata(raw line))`` reproduces it.

Hidden characters
-----------------
Zero-width spaces, bidirectional controls, NUL and other control characters are
removed; Kangxi and supplementary radicals and compatibility ideographs (which
PDF extraction yields for ordinary characters) become the ideograph they stand
for. :func:`hidden_characters` names what was changed, for a quality flag.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from streetlib import config
from streetlib.errors import BuildError, located
from streetlib.manifest import Corpus
from streetlib.reviewed import read_file
from streetlib.schema import REVIEWED

ERRATA_COLUMNS = REVIEWED["errata"].names

# Full-width ASCII variants -> ASCII; NBSP and ideographic space -> space.
_WIDTH_MAP = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x00A0: 0x20, 0x3000: 0x20}
# Invisible characters (zero-width, bidirectional controls, C0/C1 controls but tab, BOM) are removed:
# they change what a pattern or a duplicate check sees without changing what a reader sees.
INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Look-alike radicals (Kangxi U+2F00-2FD5, CJK Radicals Supplement U+2E80-2EFF) and compatibility
# ideographs (U+F900-FAFF) become the ideograph they stand for: PDF extraction produces them for
# ordinary characters (⾏ for 行, ⻓ for 长). Their NFKC form where Unicode gives one; the simplified
# supplement radicals have none, so they are listed. NFKC is not applied to the whole line: it
# would also turn ㎡ into m2 and ① into 1.
_SUPPLEMENT_RADICALS = dict(
    zip("⻄⻅⻆⻉⻓⻔⻘⻚⻛⻜⻝⻢⻥⻦⻨⻩⻬⻰⺠", "西见角贝长门青页风飞食马鱼鸟麦黄齐龙民", strict=True)
)
_LOOKALIKE = {
    cp: unicodedata.normalize("NFKC", chr(cp))
    for block in (range(0x2E80, 0x2F00), range(0x2F00, 0x2FD6), range(0xF900, 0xFB00))
    for cp in block
    if unicodedata.normalize("NFKC", chr(cp)) != chr(cp)
} | {ord(radical): ideograph for radical, ideograph in _SUPPLEMENT_RADICALS.items()}
_SPACES = re.compile(r"[ \t]+")
_SPACED_PAIR = re.compile(r"^([\u4e00-\u9fff]) ([\u4e00-\u9fff])$")


@dataclass(frozen=True)
class Erratum:
    """One reviewed repair (``fix``) or a defect recorded without repair (``flag``)."""

    source: str
    line: int
    found: str
    replacement: str
    action: str
    reason: str
    row: int  # line of errata.csv, for error messages
    occurrences: int = 1  # how often `found` is on the line (all repaired); stated in the file when not 1


def load_errata(reviewed: Path | None = None) -> list[Erratum]:
    """Read ``data/reviewed/errata.csv`` (absent file = no errata) through :func:`streetlib.reviewed.read_file`."""
    path = (reviewed or config.reviewed_dir()) / config.ERRATA_NAME
    errata = []
    for row_no, row in read_file(path):
        if row["action"] == "fix" and row["replacement"] == row["found"]:
            raise BuildError(located(path, row_no, "replacement equals found", "Drop the row."))
        given = {k: row[k] for k in ERRATA_COLUMNS if k not in ("line", "occurrences")}
        occurrences = int(row["occurrences"]) if row["occurrences"].strip() else 1
        errata.append(Erratum(**given, line=int(row["line"]), row=row_no, occurrences=occurrences))
    return errata


def apply_errata(corpus: Corpus, errata: list[Erratum], reviewed: Path | None = None) -> dict[str, list[str]]:
    """Return every source's lines with the ``fix`` errata applied, in file order.

    Raises
    ------
    BuildError
        For an erratum whose source is unknown, whose line is out of range or
        whose found text is not on its line (after earlier errata of that line), or occurs there
        another number of times than its ``occurrences`` (empty: once) says.
    """
    path = (reviewed or config.reviewed_dir()) / config.ERRATA_NAME
    lines = {file: list(src) for file, src in corpus.lines.items()}
    for e in errata:
        if e.source not in lines:
            raise BuildError(
                located(path, e.row, f"source {e.source!r} is not in the manifest", "Fix the source name.")
            )
        if not 1 <= e.line <= len(lines[e.source]):
            raise BuildError(located(path, e.row, f"line {e.line} is outside {e.source}", "Fix the line number."))
        current = lines[e.source][e.line - 1]
        if e.found not in current:
            raise BuildError(
                located(
                    path,
                    e.row,
                    f"{e.found!r} is not on line {e.line} of {e.source} (the line reads {current[:60]!r}…)",
                    "Errata must quote the raw line verbatim: correct `found` or the line number.",
                )
            )
        found = current.count(e.found)
        if found != e.occurrences:
            said = "once (occurrences empty)" if e.occurrences == 1 else f"{e.occurrences} times (occurrences)"
            raise BuildError(
                located(
                    path,
                    e.row,
                    f"{e.found!r} occurs {found} times on line {e.line} of {e.source}, the erratum says {said}",
                    "Quote more of the line so that `found` is unique, or set `occurrences` to the number of "
                    "occurrences to repair them all.",
                )
            )
        if e.action == "fix":
            lines[e.source][e.line - 1] = current.replace(e.found, e.replacement)
    return lines


def normalise(text: str) -> str:
    """Canonical form of one line of text (see the module docstring)."""
    text = _SPACES.sub(" ", INVISIBLE.sub("", text).translate(_WIDTH_MAP).translate(_LOOKALIKE)).strip()
    return _SPACED_PAIR.sub(r"\1\2", text)


def hidden_characters(text: str) -> str:
    """What :func:`normalise` removes or replaces that a reader cannot see, e.g. ``'U+200B, U+2F8F→行'``.

    Empty when the line has none; the build records a non-empty answer as a quality flag.
    """
    found = [f"U+{ord(c):04X}" for c in INVISIBLE.findall(text)]
    found += [f"U+{ord(c):04X}→{_LOOKALIKE[ord(c)]}" for c in text if ord(c) in _LOOKALIKE]
    return ", ".join(dict.fromkeys(found))
