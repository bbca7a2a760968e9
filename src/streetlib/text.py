"""Segmentation with the domain dictionary, stopwords, tidy tokens and a token cache.

* :func:`segment` cuts one text with jieba (accurate mode, HMM on) after loading
  ``data/lexicon/user_dict.txt`` once per process; every term there is added with
  a high frequency so policy terms (一网统管, 美丽家园, 生命通道 …) come out whole.
  Stopwords are kept: filtering is :func:`filter_tokens`.
* :func:`tokenize` turns paragraphs into one row per token (``doc_id``, ``para_id``,
  ``position``, ``token``, and ``pos`` when part-of-speech tags are asked for).
* Results are cached on disk per text, keyed by the text and by a hash of the
  dictionary and the jieba version: a second run over unchanged text is a lookup,
  and any change to the dictionary starts a new cache.
* Stopwords come in two documented lists: ``general`` (function words) and
  ``official`` (the boilerplate verbs of official writing: 坚持, 进一步, 加强 …).

jieba's chatter ("Building prefix dict …") is silenced, so notebook outputs stay stable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import jieba
import jieba.posseg
import pandas as pd

from streetlib import config

USER_FREQ = 100_000  # high enough that a dictionary term beats any split of it
PUNCT = re.compile(r"^[\W_]+$")
NUMBER = re.compile(r"^[\d.%]+$")
# jieba's Han-character pattern stops at 〇 (U+3007), so 二〇三五年 would be cut before the
# dictionary is consulted; widen it to include 〇.
jieba.re_han_default = re.compile("([\u4e00-\u9fd5\u3007a-zA-Z0-9+#&._%\\-]+)", re.U)
jieba.setLogLevel(logging.WARNING)


def dictionary_path(root: Path | None = None) -> Path:
    return config.lexicon_dir(root) / "user_dict.txt"


def dictionary_terms(root: Path | None = None) -> list[str]:
    lines = dictionary_path(root).read_text(encoding="utf-8").splitlines()
    return [line.split()[0] for line in lines if line.strip() and not line.startswith("#")]


def dictionary_hash(root: Path | None = None) -> str:
    """Hash of the user dictionary and the jieba version: the cache key's first half."""
    digest = hashlib.sha256(dictionary_path(root).read_bytes())
    digest.update(jieba.__version__.encode())
    return digest.hexdigest()[:16]


@cache
def _tokenizer(dict_hash: str, path: str) -> jieba.Tokenizer:
    """One jieba tokenizer per dictionary version, built once per process."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for term in dictionary_terms(Path(path).parent.parent):
        tokenizer.add_word(term, USER_FREQ, "nz")
    return tokenizer


def tokenizer(root: Path | None = None) -> jieba.Tokenizer:
    return _tokenizer(dictionary_hash(root), str(dictionary_path(root)))


def segment(text: str, *, root: Path | None = None) -> list[str]:
    """Tokens of ``text`` (stopwords and punctuation kept; whitespace dropped)."""
    return [t for t in tokenizer(root).lcut(text) if t.strip()]


def segment_pos(text: str, *, root: Path | None = None) -> list[tuple[str, str]]:
    """``(token, part-of-speech)`` pairs; dictionary terms are tagged ``nz``."""
    pos = jieba.posseg.POSTokenizer(tokenizer(root))
    return [(p.word, p.flag) for p in pos.lcut(text) if p.word.strip()]


@cache
def stopwords(*lists: str, root: Path | None = None) -> frozenset[str]:
    """Union of the named stopword lists (``general``, ``official``) in ``data/lexicon``."""
    words: set[str] = set()
    for name in lists:
        path = config.lexicon_dir(root) / f"stopwords_{name}.txt"
        words |= {
            w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip() and not w.startswith("#")
        }
    return frozenset(words)


def filter_tokens(
    tokens: Iterable[str],
    *,
    stopword_lists: tuple[str, ...] = ("general", "official"),
    drop_punctuation: bool = True,
    drop_numbers: bool = True,
    root: Path | None = None,
) -> list[str]:
    """Drop stopwords of the given lists, punctuation and bare numbers."""
    stop = stopwords(*stopword_lists, root=root)
    return [
        t
        for t in tokens
        if t not in stop and not (drop_punctuation and PUNCT.match(t)) and not (drop_numbers and NUMBER.match(t))
    ]


class TokenCache:
    """Tokens per text on disk, in one JSON file per dictionary hash."""

    def __init__(self, dict_hash: str, folder: Path | None = None, *, pos: bool = False) -> None:
        self.path = (folder or config.cache_dir()) / f"tokens-{'pos-' if pos else ''}{dict_hash}.json"
        self.entries: dict[str, list] = json.loads(self.path.read_text(encoding="utf-8")) if self.path.is_file() else {}
        self.hits = 0
        self.misses = 0
        self._dirty = False

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]

    def get(self, text: str, compute) -> list:
        key = self.key(text)
        if key in self.entries:
            self.hits += 1
            return self.entries[key]
        self.misses += 1
        value = compute(text)
        self.entries[key] = value
        self._dirty = True
        return value

    def save(self) -> None:
        if self._dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.entries, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            tmp.replace(self.path)
            self._dirty = False


def tokenize(
    paragraphs: pd.DataFrame,
    *,
    pos: bool = False,
    use_cache: bool = True,
    cache_folder: Path | None = None,
    root: Path | None = None,
) -> pd.DataFrame:
    """One row per token: ``doc_id``, ``para_id``, ``position``, ``token`` (+ ``pos``).

    Stopwords are kept; see :func:`filter_tokens` or filter the frame.
    """
    compute = (lambda t: [list(p) for p in segment_pos(t, root=root)]) if pos else (lambda t: segment(t, root=root))
    store = TokenCache(dictionary_hash(root), cache_folder, pos=pos) if use_cache else None
    rows = []
    for doc_id, para_id, text in zip(paragraphs["doc_id"], paragraphs["para_id"], paragraphs["text"], strict=True):
        tokens = store.get(text, compute) if store else compute(text)
        for position, token in enumerate(tokens):
            rows.append((doc_id, para_id, position, *token) if pos else (doc_id, para_id, position, token))
    if store:
        store.save()
        tokenize.last_cache = store  # type: ignore[attr-defined]  # exposes hit/miss counts to tests and benchmarks
    columns = ["doc_id", "para_id", "position", "token"] + (["pos"] if pos else [])
    return pd.DataFrame(rows, columns=columns)


def document_term_matrix(tokens: pd.DataFrame, *, by: str = "para_id", min_df: int = 2):
    """A sparse count matrix (rows: ``by`` groups in order of appearance; columns: vocabulary).

    Returns ``(matrix, row_ids, vocabulary)``. Every token is kept whole (no
    ``token_pattern``, which would silently drop one-character words).
    """
    from sklearn.feature_extraction.text import CountVectorizer

    groups = tokens.groupby(by, sort=False)["token"].agg(list)
    vectorizer = CountVectorizer(analyzer=lambda doc: doc, min_df=min_df)
    matrix = vectorizer.fit_transform(groups.tolist())
    return matrix, list(groups.index), list(vectorizer.get_feature_names_out())
