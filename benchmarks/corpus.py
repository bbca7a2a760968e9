"""Scaled corpora whose vocabulary grows like a real one's (Heaps' law), for the benchmarks.

Resampling the real paragraphs keeps the vocabulary at the real corpus's few thousand terms however
large the corpus, which flatters the matrix and the topic models. A real corpus ten times larger has
several times the vocabulary: the real paragraphs' own prefixes grow as V ∝ N^β with β ≈ 0.6
(:func:`heaps` measures it). So a scaled paragraph is a real paragraph, re-segmented and rebuilt with:

* a share of its content words (two or more Han characters) replaced by *new terms*: words of jieba's
  general dictionary the real corpus never uses, drawn by a Zipf distribution over their frequency
  rank (a Zipf exponent ``a`` gives a vocabulary growing as N^(1/a): ``a`` = 1/β of the real corpus);
* its sentences rotated and its numbers redrawn, so no two paragraphs are the same text (the token
  cache would otherwise be unrealistically warm).

Everything is seeded: the same factor gives the same corpus. ``run.py`` reports each scale's vocabulary
beside the real corpus's own curve.
"""

from __future__ import annotations

import math
import re
from functools import cache

import jieba
import numpy as np
import pandas as pd

import streetlib
from streetlib import text

HAN = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
NUMBER = re.compile(r"\d+")
SENTENCE_END = {"。", ";", "；", "!", "?", "！", "？"}
NEW_TERM_SHARE = 0.15  # of the content words in a scaled paragraph
SHIFT = (
    1000.0  # Zipf-Mandelbrot shift: chosen so that the 10× corpus's vocabulary lies on the real corpus's Heaps curve
)


def real_paragraphs() -> pd.DataFrame:
    p = streetlib.load_paragraphs()
    return p.loc[~p["is_duplicate"].astype(bool), ["doc_id", "para_id", "text"]].reset_index(drop=True)


@cache
def _real_tokens() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(tokens) for tokens in text.segment_many(real_paragraphs()["text"].tolist()))


def heaps(tokens: list[list[str]] | None = None) -> dict:
    """β and the curve of the real corpus (or ``tokens``): distinct tokens in its first 10 %, 25 %, 50 %, 100 %."""
    flat = [t for paragraph in (tokens or _real_tokens()) for t in paragraph]
    curve = [(int(len(flat) * f), len(set(flat[: int(len(flat) * f)]))) for f in (0.1, 0.25, 0.5, 1.0)]
    (n0, v0), (n1, v1) = curve[0], curve[-1]
    return {"beta": round(math.log(v1 / v0) / math.log(n1 / n0), 3), "curve": curve}


@cache
def _new_terms() -> tuple[str, ...]:
    """jieba's dictionary nouns of 2-4 Han characters that the real corpus does not use, most frequent first."""
    known = {t for paragraph in _real_tokens() for t in paragraph}
    words = []
    with open(jieba.get_dict_file().name, encoding="utf-8") as handle:
        for line in handle:
            word, freq, tag = line.split()[:3]
            if tag.startswith("n") and HAN.match(word) and word not in known:  # nouns and names
                words.append((-int(freq), word))
    return tuple(word for _, word in sorted(words))


def scaled_corpus(factor: float, *, seed: int = 20261121, share: float = NEW_TERM_SHARE) -> pd.DataFrame:
    """Paragraphs (``doc_id``, ``para_id``, ``text``) totalling about ``factor`` × the real corpus's characters."""
    real = real_paragraphs()
    if factor == 1:
        return real
    tokens = _real_tokens()
    lexicon = _new_terms()
    zipf_a = 1 / heaps()["beta"]
    rng = np.random.default_rng(seed)
    target = factor * real["text"].str.len().sum()
    rows, size, n = [], 0, 0
    while size < target:
        i = int(rng.integers(len(real)))
        paragraph = rebuild(tokens[i], rng, lexicon, zipf_a, share)
        doc = f"{real['doc_id'].iloc[i]}_x{n // 500:04d}"
        rows.append((doc, f"{doc}:p{n:06d}", paragraph))
        size += len(paragraph)
        n += 1
    return pd.DataFrame(rows, columns=["doc_id", "para_id", "text"])


def rebuild(tokens: tuple[str, ...], rng: np.random.Generator, lexicon: tuple[str, ...], zipf_a: float, share: float):
    """One real paragraph's tokens as a new paragraph: sentences rotated, new terms in, numbers redrawn."""
    sentences, current = [], []
    for token in tokens:
        current.append(token)
        if token in SENTENCE_END:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    shift = int(rng.integers(len(sentences))) if sentences else 0
    words = [t for sentence in sentences[shift:] + sentences[:shift] for t in sentence]
    content = [j for j, t in enumerate(words) if HAN.match(t)]
    chosen = [j for j in content if rng.random() < share]
    ranks = zipf_mandelbrot(rng, zipf_a, len(chosen))
    for j, rank in zip(chosen, ranks, strict=True):
        words[j] = lexicon[int(rank) % len(lexicon)]
    joined = "".join(words)
    return NUMBER.sub(lambda m: str(int(rng.integers(1, 10 ** len(m.group(0))))), joined)


def zipf_mandelbrot(rng: np.random.Generator, a: float, size: int, shift: float | None = None) -> np.ndarray:
    """Ranks from 0 with P(rank ≥ r) = (1 + r/shift)^-(a-1): Zipf's law with exponent ``a`` in the tail and a
    flattened head (Mandelbrot's shift), so the most frequent new words do not crowd out the rest."""
    shift = SHIFT if shift is None else shift
    u = rng.random(size)
    return np.floor(shift * ((1 - u) ** (-1 / (a - 1)) - 1)).astype(np.int64)
