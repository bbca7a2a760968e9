"""Scaled corpora for the benchmarks: real paragraphs, resampled and perturbed.

A corpus of ``factor`` × the real one (by characters) is drawn from the plan, review and
research paragraphs with a seeded generator. Each drawn paragraph is perturbed so that no
two copies are the same text (which would make the token cache unrealistically warm and
the vocabulary unrealistically small): its sentences are rotated, a sentence of another
paragraph is appended, its numbers are replaced by other numbers, and one street name is
swapped for another.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

import streetlib

STREETS = ["长白新村", "新江湾城", "长寿路", "古美路", "新华路", "虹梅路", "殷行", "五角场", "控江路", "大桥"]
SENTENCE = re.compile(r"[^。;]+[。;]?")
NUMBER = re.compile(r"\d+")


def real_paragraphs() -> pd.DataFrame:
    p = streetlib.load_paragraphs()
    return p.loc[~p["is_duplicate"].astype(bool), ["doc_id", "para_id", "text"]].reset_index(drop=True)


def scaled_corpus(factor: float, *, seed: int = 20261121) -> pd.DataFrame:
    """Paragraphs (``doc_id``, ``para_id``, ``text``) totalling about ``factor`` × the real corpus."""
    real = real_paragraphs()
    if factor == 1:
        return real
    rng = np.random.default_rng(seed)
    target = factor * real["text"].str.len().sum()
    rows, size, n = [], 0, 0
    while size < target:
        source = real.iloc[int(rng.integers(len(real)))]
        other = real["text"].iloc[int(rng.integers(len(real)))]
        text = perturb(source["text"], other, rng)
        doc = f"{source['doc_id']}_x{n // 500:04d}"
        rows.append((doc, f"{doc}:p{n:06d}", text))
        size += len(text)
        n += 1
    return pd.DataFrame(rows, columns=["doc_id", "para_id", "text"])


def perturb(text: str, other: str, rng: np.random.Generator) -> str:
    sentences = SENTENCE.findall(text) or [text]
    shift = int(rng.integers(len(sentences)))
    borrowed = SENTENCE.findall(other) or [other]
    text = "".join(sentences[shift:] + sentences[:shift]) + borrowed[int(rng.integers(len(borrowed)))]
    text = NUMBER.sub(lambda m: str(int(rng.integers(1, 10 ** len(m.group(0))))), text)
    for street in STREETS:
        if street in text:
            return text.replace(street, STREETS[int(rng.integers(len(STREETS)))], 1)
    return text
