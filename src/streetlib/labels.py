"""Labels in Chinese or English, from the glossary in ``data/lexicon/``.

Figures and tables keep the documents' Chinese; ``lang="en"`` translates every label
through ``data/lexicon/glossary.csv`` (categories, streets, districts, roads, document
types, report labels) and ``departments.csv``. A label is translated whole when the
glossary has it, otherwise term by term (longest first: ``延吉东路(图们路-松花江路)`` →
``Yanji East Road (Tumen Road-Songhuajiang Road)``). Anything still Chinese raises
:class:`~streetlib.errors.LabelError`, so no English figure shows an untranslated label.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pandas as pd

from streetlib import config, reviewed
from streetlib.errors import LabelError

LANGUAGES = ("zh", "en")
HAN = re.compile(r"[\u3007\u3400-\u9fff\uf900-\ufaff]")
# full-width punctuation that may remain between translated terms
PUNCTUATION = str.maketrans({"、": ", ", "，": ", ", "（": " (", "）": ")", "：": ": ", "；": "; ", "。": ". "})

Text = str | Mapping[str, str]


def glossary(*, root: Path | None = None) -> dict[str, str]:
    """Chinese → English: ``glossary.csv``, the departments lexicon (names and aliases), and the
    street and district names the manifest gives in English (so a new street needs no glossary row)."""
    return dict(_glossary(config.lexicon_dir(root), config.raw_dir(root) / config.MANIFEST_NAME))


@cache
def _glossary(lexicon: Path, manifest: Path) -> tuple[tuple[str, str], ...]:
    pairs = {row["zh"]: row["en"] for _, row in reviewed.read_lexicon("glossary", lexicon)}
    for _, row in reviewed.read_lexicon("departments", lexicon):
        for name in [row["department"], *filter(None, row["aliases"].split(";"))]:
            pairs.setdefault(name.strip(), row["department_en"])
    if manifest.is_file():
        with manifest.open("rb") as handle:
            documents = tomllib.load(handle).get("documents", [])
        for doc in documents:
            for key in ("street", "district"):
                if isinstance(doc.get(key), str) and isinstance(doc.get(f"{key}_en"), str):
                    pairs.setdefault(doc[key], doc[f"{key}_en"])
    return tuple(pairs.items())


def has_han(text: str) -> bool:
    """Whether ``text`` holds a Chinese character."""
    return bool(HAN.search(text))


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, not {lang!r}")
    return lang


def translate(label: object, lang: str = "en", *, labels: Mapping[str, str] | None = None) -> str:
    """``label`` in ``lang``: unchanged for ``"zh"``, from the glossary for ``"en"``.

    Raises
    ------
    LabelError
        For ``"en"``, when Chinese remains after the glossary is applied.
    """
    text = str(label)
    if check_lang(lang) == "zh" or not has_han(text):
        return text
    labels = labels if labels is not None else glossary()
    if text in labels:
        return labels[text]
    pattern = _term_pattern(tuple(sorted(labels, key=len, reverse=True)))
    english = pattern.sub(lambda m: f" {labels[m.group(0)]} ", text).translate(PUNCTUATION)
    english = re.sub(r"\s*([-/])\s*", r"\1", english)
    english = re.sub(r"\s+", " ", re.sub(r"\s+([),.;:])|(\()\s+", r"\1\2", english)).strip()
    english = re.sub(r"(\w)\(", r"\1 (", english)
    if has_han(english):
        raise LabelError(
            f"no English label for {text!r} (left untranslated: {''.join(HAN.findall(english))!r}). "
            "Add it, or the terms it is made of, to data/lexicon/glossary.csv."
        )
    return english


@cache
def _term_pattern(terms: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(map(re.escape, terms)))


def text(value: Text, lang: str = "zh") -> str:
    """A figure text given as ``{"zh": …, "en": …}``, or one string translated by the glossary."""
    if isinstance(value, Mapping):
        return value[check_lang(lang)]
    return translate(value, lang)


def relabel(data: pd.DataFrame | pd.Series, lang: str = "en") -> pd.DataFrame | pd.Series:
    """``data`` with its index (and columns) translated into ``lang``; raises LabelError on a gap."""
    if check_lang(lang) == "zh":
        return data
    labels = glossary()
    missing = []

    def english(label: object) -> object:
        try:
            return translate(label, lang, labels=labels) if isinstance(label, str) else label
        except LabelError:
            missing.append(label)
            return label

    out = data.rename(index=english)
    if isinstance(out, pd.DataFrame):
        out = out.rename(columns=english)
    if missing:
        raise LabelError(
            f"no English label for {sorted(set(missing))}: add them to data/lexicon/glossary.csv "
            "(departments: data/lexicon/departments.csv)."
        )
    return out
