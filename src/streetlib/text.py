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
* Stopwords come in documented lists: ``general`` (function words), ``official``
  (the boilerplate verbs of official writing: 坚持, 进一步, 加强 …) and ``corpus``
  (administrative units and generic planning words of these documents: 街道, 社区, 重点 …);
  :func:`place_stopwords` adds the streets' and districts' own names (长白, 新村, 古美 …).
* :func:`document_term_matrix` counts a token frame; :func:`count_matrix` gives the same matrix
  straight from the paragraphs, never holding their tokens as Python strings (for large corpora).

jieba's chatter ("Building prefix dict …") is silenced, so notebook outputs stay stable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import re
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

import jieba
import jieba.posseg
import numpy as np
import pandas as pd
from tqdm import tqdm

from streetlib import config

if TYPE_CHECKING:
    from scipy import sparse

USER_FREQ = 100_000  # high enough that a dictionary term beats any split of it
PUNCT = re.compile(r"^[\W_]+$")
NUMBER = re.compile(r"^[\d.%]+$")
# jieba's Han-character pattern stops at 〇 (U+3007), so 二〇三五年 would be cut before the
# dictionary is consulted; widen it to include 〇.
jieba.re_han_default = re.compile("([\u4e00-\u9fd5\u3007a-zA-Z0-9+#&._%\\-]+)", re.U)
jieba.setLogLevel(logging.WARNING)


TOKEN_SEP, TAG_SEP = "\x1f", "\x1e"  # ASCII unit/record separators: never inside a jieba token
BACKENDS = ("jieba", "jieba_fast", "rjieba")  # jieba is the default and makes every committed output


def dictionary_path(root: Path | None = None) -> Path:
    return config.lexicon_dir(root) / "user_dict.txt"


def dictionary_terms(root: Path | None = None) -> list[str]:
    return list(segmenter(root).terms)


def dictionary_hash(root: Path | None = None) -> str:
    """Hash of the user dictionary and the jieba version: the cache key's first half."""
    return segmenter(root).key


@dataclass(frozen=True)
class Segmenter:
    """A picklable segmentation function: the dictionary travels with it, so worker
    processes and cluster nodes need no data folder. Each process builds its engine once."""

    terms: tuple[str, ...]
    key: str
    backend: str = "jieba"

    def __call__(self, text: str) -> list[str]:
        return [t for t in _engine(self.key, self.backend, self.terms).lcut(text) if t.strip()]

    def pos(self, text: str) -> list[tuple[str, str]]:
        if self.backend != "jieba":
            raise ValueError("part-of-speech tags come from the jieba backend only")
        tagger = _tagger(self.key, self.terms)
        return [(p.word, p.flag) for p in tagger.lcut(text) if p.word.strip()]


def segmenter(root: Path | None = None, *, backend: str = "jieba") -> Segmenter:
    """The segmenter for ``root``'s dictionary (re-read only when the file changes)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    path = dictionary_path(root)
    stat = path.stat()
    return _segmenter(str(path), stat.st_mtime_ns, stat.st_size, backend)


@cache
def _segmenter(path: str, mtime_ns: int, size: int, backend: str) -> Segmenter:
    data = Path(path).read_bytes()
    digest = hashlib.sha256(data)
    digest.update(jieba.__version__.encode())
    terms = [line.split()[0] for line in data.decode("utf-8").splitlines() if line.strip() and not line.startswith("#")]
    return Segmenter(tuple(terms), digest.hexdigest()[:16], backend)


class _RustEngine:
    """rjieba behind jieba's ``lcut``."""

    def __init__(self) -> None:
        import rjieba

        self.engine = rjieba.Jieba()

    def add_word(self, term: str, freq: int, tag: str) -> None:
        self.engine.add_word(term, freq, tag)

    def lcut(self, text: str) -> list[str]:
        return self.engine.cut(text)


@cache
def _engine(key: str, backend: str, terms: tuple[str, ...]):
    """One engine per dictionary version and backend, built once per process."""
    if backend == "jieba":
        engine = jieba.Tokenizer()
        engine.initialize()
    elif backend == "jieba_fast":
        import jieba_fast

        jieba_fast.setLogLevel(logging.WARNING)
        jieba_fast.re_han_default = jieba.re_han_default  # the same 〇 fix as jieba's
        engine = jieba_fast.Tokenizer()
        engine.initialize()
    else:
        engine = _RustEngine()
    for term in terms:
        engine.add_word(term, USER_FREQ, "nz")
    return engine


@cache
def _tagger(key: str, terms: tuple[str, ...]) -> jieba.posseg.POSTokenizer:
    """One tagger per engine: a POSTokenizer takes the user words' tags (nz) from its
    tokenizer on first use and empties that table, so a second tagger would not see them."""
    return jieba.posseg.POSTokenizer(_engine(key, "jieba", terms))


def tokenizer(root: Path | None = None) -> jieba.Tokenizer:
    """The jieba tokenizer with the user dictionary (built once per process)."""
    seg = segmenter(root)
    return _engine(seg.key, seg.backend, seg.terms)


def segment(text: str, *, root: Path | None = None) -> list[str]:
    """Tokens of ``text`` (stopwords and punctuation kept; whitespace dropped)."""
    return segmenter(root)(text)


def segment_pos(text: str, *, root: Path | None = None) -> list[tuple[str, str]]:
    """``(token, part-of-speech)`` pairs; dictionary terms are tagged ``nz``."""
    return segmenter(root).pos(text)


# Worker processes are forked where fork is the platform's default (Linux): a forked worker inherits this
# process's built engine. Elsewhere they are spawned and import streetlib and load the dictionary first.
START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"
# What a worker must save before it pays, from benchmarks/run.py (2-core machine): a forked worker starts in
# 0.01-0.02 s, but with its round trips a two-process run of 0.14 s of work (the real corpus) took 1.14× the
# serial time, so forked workers wait for 0.3 s of remaining work; a spawned one starts in 0.6-0.8 s.
# Workers start only when this process's own measured rate says the rest of the input takes longer.
WORKER_STARTUP_S = {"fork": 0.3, "spawn": 0.8}


def segment_many(
    texts: Sequence[str],
    *,
    n_jobs: int = 1,
    chunk_chars: int | None = None,
    pos: bool = False,
    backend: str = "jieba",
    progress: bool = False,
    workers: str = "auto",
    root: Path | None = None,
) -> list[list]:
    """Segment many texts with up to ``n_jobs`` processes (this one included); same result as serially.

    This process segments chunks of about ``chunk_chars`` characters (default: an eighth of each
    process's share, between 2,000 and 50,000) from the end of the input while
    ``n_jobs - 1`` worker processes take them from the front; a chunk a worker has not finished when
    this process reaches it is segmented here, so waiting on a slow or busy worker never makes a call
    slower than serial. With ``workers="auto"`` the workers start only when this process, having timed
    its own chunks, expects the rest to take longer than a worker's start-up (:data:`WORKER_STARTUP_S`;
    nothing when they are already running), and only as many as there are idle cores (by the load
    average): small inputs and busy machines stay serial. ``workers="always"`` starts ``n_jobs - 1``
    regardless (tests, benchmarks). Workers stay alive for later calls.
    """
    seg = segmenter(root, backend=backend)
    chunks = _chunk_plan(texts, n_jobs, chunk_chars)
    results: list[list | None] = [None] * len(chunks)
    with tqdm(total=len(texts), disable=not progress, desc="segmenting", unit="text") as bar:
        for index, result in _segmented_chunks(chunks, seg.pos if pos else seg, n_jobs, workers, bar):
            results[index] = _decode(result)
    return [tokens for chunk in results for tokens in chunk]  # type: ignore[union-attr]


def _chunk_plan(texts: Sequence[str], n_jobs: int, chunk_chars: int | None) -> list[list[str]]:
    """The input cut into chunks of about ``chunk_chars`` characters (default: eight chunks a process, so little
    is left over at the end and round trips are few)."""
    if chunk_chars is None:
        processes = max(_n_workers(n_jobs) + 1, 1)
        chunk_chars = max(2_000, min(50_000, sum(map(len, texts)) // (8 * processes)))
    return list(_chunks(texts, chunk_chars))


def _n_workers(n_jobs: int) -> int:
    return (os.cpu_count() or 1) - 1 if n_jobs < 0 else n_jobs - 1


def _segmented_chunks(
    chunks: list[list[str]], function, n_jobs: int, workers: str, bar: tqdm, *, joined: bool = False
) -> Iterator[tuple[int, list | str]]:
    """``(chunk index, result)`` for every chunk, in the order they are done (see :func:`segment_many`).

    A result is a list of token lists or, for a worker's chunk of plain tokens, one joined string
    (:func:`_segment_chunk`); ``joined=True`` makes this process's own chunks joined strings too, so that
    no chunk's tokens outlive it as millions of small strings.
    """
    if workers not in ("auto", "always"):
        raise ValueError(f"workers must be 'auto' or 'always', not {workers!r}")
    n_workers = _n_workers(n_jobs)
    pending: dict[int, Future] = {}
    front, back = 0, len(chunks)
    collected: set[int] = set()  # chunks a worker delivered ahead of this process reaching them
    executor = None

    def here(chunk: list[str]) -> list | str:
        return _segment_chunk(function, chunk) if joined else [function(t) for t in chunk]

    function("。")  # build the engine first: its load is no part of the rate timed below
    done_chars, done_s, worker_delivered = 0, 0.0, False
    while back > 0:
        back -= 1
        if back in collected:
            continue
        if back in pending:  # a worker's chunk: take its result if it is ready, else do it here
            future = pending.pop(back)
            if future.done() or (future.running() and worker_delivered):  # a proven worker finishes sooner
                result = future.result()
            else:  # still queued, or its worker is starting: a queued one is dropped, a running one wasted
                future.cancel()
                result = here(chunks[back])
            bar.update(len(chunks[back]))
            yield back, result
            continue
        started = time.process_time()  # CPU time: a rate that other processes' load does not distort
        result = here(chunks[back])
        done_s += time.process_time() - started
        done_chars += sum(map(len, chunks[back]))
        bar.update(len(chunks[back]))
        if executor is None and n_workers > 0 and front < back:
            remaining_s = sum(len(t) for chunk in chunks[front:back] for t in chunk) * done_s / max(done_chars, 1)
            if workers == "always":
                executor = _executor(n_workers)
            elif remaining_s > _startup_estimate(n_workers) and _free_cores() >= 1:
                n_workers = min(n_workers, _free_cores())
                executor = _executor(n_workers)
        if executor is not None:
            for index in [i for i, f in pending.items() if f.done()]:
                collected.add(index)
                bar.update(len(chunks[index]))
                worker_delivered = True
                yield index, pending.pop(index).result()
            while len(pending) < 2 * n_workers and front < back:  # two chunks queued per worker
                pending[front] = executor.submit(_segment_chunk, function, chunks[front])
                front += 1
        yield back, result  # this process's chunk, after the workers have their next ones


_EXECUTORS: dict[int, ProcessPoolExecutor] = {}  # this process's workers, by their number


def _free_cores() -> int:
    """Cores no process is using (this one's cores less the 1-minute load average, which counts this process):
    a worker on a busy core takes time from this process and other users instead of adding its own."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average: assume the cores are free
        return cores - 1
    return max(0, int(cores - max(load, 1.0) + 0.5))


def _startup_estimate(n_workers: int) -> float:
    """Seconds before ``n_workers`` workers help: none when they are already running."""
    return 0.0 if n_workers in _EXECUTORS else WORKER_STARTUP_S[START_METHOD]


def _executor(n_workers: int) -> ProcessPoolExecutor:
    if n_workers not in _EXECUTORS:
        for other in _EXECUTORS.values():
            other.shutdown(wait=False, cancel_futures=True)
        _EXECUTORS.clear()
        context = multiprocessing.get_context(START_METHOD)
        _EXECUTORS[n_workers] = ProcessPoolExecutor(max_workers=n_workers, mp_context=context)
    return _EXECUTORS[n_workers]


def _decode(result: list | str) -> list[list]:
    if isinstance(result, str):
        return [joined.split(TOKEN_SEP) if joined else [] for joined in result.split(TAG_SEP)]
    return result


def agreement(
    texts: Sequence[str], backend: str, *, n_jobs: int = 1, root: Path | None = None
) -> tuple[dict, pd.DataFrame]:
    """How far ``backend`` agrees with jieba on ``texts``: a summary and the differing spans.

    A token agrees when the backend produces the same token at the same place. The
    spans table has one row per distinct disagreement (jieba's tokens, the backend's
    tokens over the same characters) with how often it occurs, most frequent first.
    """
    reference = segment_many(texts, n_jobs=n_jobs, root=root)
    candidate = segment_many(texts, n_jobs=n_jobs, backend=backend, root=root)
    agreeing = 0
    spans: Counter = Counter()
    for ref, cand in zip(reference, candidate, strict=True):
        same, differing = _compare_tokens(ref, cand)
        agreeing += same
        spans.update(differing)
    n_ref = sum(map(len, reference))
    summary = {
        "backend": backend,
        "texts": len(texts),
        "characters": sum(map(len, texts)),
        "jieba_tokens": n_ref,
        "backend_tokens": sum(map(len, candidate)),
        "agreeing_tokens": agreeing,
        "token_agreement": agreeing / n_ref if n_ref else 1.0,
        "identical_texts": sum(r == c for r, c in zip(reference, candidate, strict=True)),
    }
    table = pd.DataFrame([(r, c, n) for (r, c), n in spans.items()], columns=["jieba", backend, "count"]).sort_values(
        ["count", "jieba"], ascending=[False, True], ignore_index=True
    )
    return summary, table


def _compare_tokens(ref: list[str], cand: list[str]) -> tuple[int, list[tuple[str, str]]]:
    """Tokens at the same character span in both, and the differing stretches between them."""
    if "".join(ref) != "".join(cand):  # the backend changed the text itself: all of it differs
        return 0, [(" / ".join(ref), " / ".join(cand))]
    same, differing = 0, []
    i = j = pos_ref = pos_cand = 0
    start_i = start_j = 0
    while i < len(ref) or j < len(cand):
        if pos_ref == pos_cand and i < len(ref) and j < len(cand) and ref[i] == cand[j]:
            if (start_i, start_j) != (i, j):
                differing.append((" / ".join(ref[start_i:i]), " / ".join(cand[start_j:j])))
            same += 1
            pos_ref += len(ref[i])
            pos_cand += len(cand[j])
            i += 1
            j += 1
            start_i, start_j = i, j
        elif j >= len(cand) or (i < len(ref) and pos_ref <= pos_cand):
            pos_ref += len(ref[i])
            i += 1
        else:
            pos_cand += len(cand[j])
            j += 1
    if (start_i, start_j) != (len(ref), len(cand)):
        differing.append((" / ".join(ref[start_i:]), " / ".join(cand[start_j:])))
    return same, differing


def _segment_chunk(function, texts: list[str]) -> list[list] | str:
    """A chunk's tokens; plain tokens travel back as one joined string (pickling millions of
    small strings costs as much as segmenting them)."""
    results = [function(t) for t in texts]
    if isinstance(function, Segmenter):
        return TAG_SEP.join(TOKEN_SEP.join(tokens) for tokens in results)
    return results


def _chunks(texts: Sequence[str], chunk_chars: int):
    chunk: list[str] = []
    size = 0
    for text in texts:
        chunk.append(text)
        size += len(text)
        if size >= chunk_chars:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


@cache
def stopwords(*lists: str, root: Path | None = None) -> frozenset[str]:
    """Union of the named stopword lists (``general``, ``official``, ``corpus``) in ``data/lexicon``."""
    words: set[str] = set()
    for name in lists:
        path = config.lexicon_dir(root) / f"stopwords_{name}.txt"
        words |= {
            w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip() and not w.startswith("#")
        }
    return frozenset(words)


ADMIN_SUFFIXES = ("街道", "镇", "区", "市")  # what a place name ends with; the stem before it is the name proper


def place_stopwords(names: Iterable[str], tokens: Iterable[str]) -> frozenset[str]:
    """The ``tokens`` that name one of the places in ``names`` (streets, districts).

    A token names a place when it is a piece of two or more characters of the place's name without its
    administrative suffix (长白新村街道 → 长白新村: 长白, 新村, 长白新村), or contains that whole name
    (长白新村街道). Derived from the documents table, so a new street needs no edit to a word list.
    """
    stems = set()
    for name in names:
        stem = str(name)
        for suffix in ADMIN_SUFFIXES:
            if stem.endswith(suffix) and len(stem) > len(suffix) + 1:
                stem = stem[: -len(suffix)]
                break
        stems.add(stem)
    return frozenset(t for t in tokens if len(t) >= 2 and any(t in stem or stem in t for stem in stems))


def filter_tokens(
    tokens: Iterable[str],
    *,
    stopword_lists: tuple[str, ...] = ("general", "official"),
    extra: Iterable[str] = (),
    drop_punctuation: bool = True,
    drop_numbers: bool = True,
    root: Path | None = None,
) -> list[str]:
    """Drop stopwords of the given lists and the ``extra`` words, punctuation and bare numbers."""
    stop = stopwords(*stopword_lists, root=root) | frozenset(extra)
    return drop_tokens(tokens, stop, drop_punctuation=drop_punctuation, drop_numbers=drop_numbers)


def content_tokens(tokens: pd.DataFrame, **options) -> pd.DataFrame:
    """The rows of a :func:`tokenize` frame whose token survives :func:`filter_tokens` (same options)."""
    keep = set(filter_tokens(tokens["token"].unique(), **options))
    return tokens[tokens["token"].isin(keep)]


def drop_tokens(
    tokens: Iterable[str], stop: frozenset[str], *, drop_punctuation: bool = True, drop_numbers: bool = True
) -> list[str]:
    """:func:`filter_tokens` with the stopword set given (picklable, for worker processes)."""
    return [
        t
        for t in tokens
        if t not in stop and not (drop_punctuation and PUNCT.match(t)) and not (drop_numbers and NUMBER.match(t))
    ]


class TokenCache:
    """Tokens per text on disk, in one JSON file per dictionary hash.

    Each text's tokens are stored as one separator-joined string: parsing a few
    thousand strings is far cheaper than millions of one-token JSON strings.
    """

    def __init__(self, dict_hash: str, folder: Path | None = None, *, pos: bool = False) -> None:
        self.pos = pos
        self.path = (folder or config.cache_dir()) / f"tokens-v2-{'pos-' if pos else ''}{dict_hash}.json"
        self.entries: dict[str, str] = json.loads(self.path.read_text(encoding="utf-8")) if self.path.is_file() else {}
        self.hits = 0
        self.misses = 0
        self._dirty = False

    def has(self, text: str) -> bool:
        return self.key(text) in self.entries

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]

    def get(self, text: str, compute) -> list:
        key = self.key(text)
        if key in self.entries:
            self.hits += 1
            return self._decode(self.entries[key])
        self.misses += 1
        value = compute(text)
        self.entries[key] = self._encode(value)
        self._dirty = True
        return value

    def _encode(self, tokens: list) -> str:
        return TOKEN_SEP.join(TAG_SEP.join(t) if self.pos else t for t in tokens)

    def _decode(self, joined: str) -> list:
        tokens = _split(joined)
        return [tuple(t.split(TAG_SEP)) for t in tokens] if self.pos else tokens

    def joined(self, texts: Iterable[str]) -> dict[str, str]:
        """The stored, still joined, tokens of those ``texts`` the cache holds (:func:`count_matrix` reads them so)."""
        return {t: self.entries[key] for t in texts if (key := self.key(t)) in self.entries}

    def add_joined(self, joined: dict[str, str]) -> None:
        """Store already joined tokens by text (plain tokens only)."""
        self.entries |= {self.key(t): tokens for t, tokens in joined.items()}
        self._dirty = self._dirty or bool(joined)

    def save(self) -> None:
        if self._dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")  # notebooks may save at the same time
            tmp.write_text(json.dumps(self.entries, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            tmp.replace(self.path)
            self._dirty = False


def tokenize(
    paragraphs: pd.DataFrame,
    *,
    pos: bool = False,
    use_cache: bool = True,
    cache_folder: Path | None = None,
    n_jobs: int = 1,
    workers: str = "auto",
    progress: bool = False,
    root: Path | None = None,
) -> pd.DataFrame:
    """One row per token: ``doc_id``, ``para_id``, ``position``, ``token`` (+ ``pos``).

    Texts the cache holds are looked up; the rest are segmented (with up to ``n_jobs``
    processes and ``workers`` as in :func:`segment_many`) and added to it. Stopwords are kept; see
    :func:`filter_tokens` or filter the frame.
    """
    texts = paragraphs["text"].tolist()
    store = TokenCache(dictionary_hash(root), cache_folder, pos=pos) if use_cache else None
    missing = list(dict.fromkeys(t for t in texts if store is None or not store.has(t)))
    segmented = segment_many(missing, n_jobs=n_jobs, pos=pos, workers=workers, progress=progress, root=root)
    computed = dict(zip(missing, segmented, strict=True))
    per_text = [store.get(t, computed.__getitem__) if store else computed[t] for t in texts]
    lengths = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    flat = list(chain.from_iterable(per_text))
    columns = {
        "doc_id": np.repeat(paragraphs["doc_id"].to_numpy(dtype=object), lengths),
        "para_id": np.repeat(paragraphs["para_id"].to_numpy(dtype=object), lengths),
        "position": np.arange(len(flat), dtype=np.int64) - starts,
    }
    if pos:
        columns["token"] = [t[0] for t in flat]
        columns["pos"] = [t[1] for t in flat]
    else:
        columns["token"] = flat
    if store:
        store.save()
        tokenize.last_cache = store  # type: ignore[attr-defined]  # exposes hit/miss counts to tests and benchmarks
    return pd.DataFrame(columns)


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


def count_matrix(
    paragraphs: pd.DataFrame,
    *,
    by: str = "para_id",
    min_df: int = 2,
    n_jobs: int = 1,
    workers: str = "auto",
    use_cache: bool = True,
    cache_folder: Path | None = None,
    stopword_lists: tuple[str, ...] = ("general", "official"),
    extra: Iterable[str] = (),
    drop_punctuation: bool = True,
    drop_numbers: bool = True,
    root: Path | None = None,
) -> tuple[sparse.csr_matrix, list[str], list[str]]:
    """What ``document_term_matrix(content_tokens(tokenize(paragraphs), **filters), by=by, min_df=min_df)``
    returns, built without the token frame: for a large corpus, a fraction of the memory.

    Each chunk of segmented text is kept as one joined string per paragraph (from the token cache or the
    workers, :func:`segment_many`), and the paragraphs are then read in order, every token replaced by an
    integer id (a term is kept or dropped by :func:`filter_tokens` with the same filters once, when first seen),
    so the tokens never exist all at once as Python strings. Term ids follow first appearance, as
    CountVectorizer's do, so the matrix is the same to its layout (values, dtype, order of the stored
    entries) whenever each ``by`` group's paragraphs are adjacent, as a paragraph's or a document's are.
    Paragraphs whose ``by`` is missing are left out, as a groupby leaves them out.

    Parameters
    ----------
    paragraphs
        ``text`` and the ``by`` column, one row per paragraph.
    n_jobs, workers
        Processes for the texts not in the token cache, as in :func:`segment_many`.
    use_cache, cache_folder
        The token cache, as in :func:`tokenize`: cached texts are read from it, new ones added.
    stopword_lists, extra, drop_punctuation, drop_numbers
        What is dropped, as in :func:`filter_tokens`.

    Returns
    -------
    (matrix, row_ids, vocabulary)
        As :func:`document_term_matrix`: rows are the ``by`` groups with at least one kept token, in order of
        appearance; columns the terms in at least ``min_df`` rows, sorted.
    """
    from scipy import sparse  # not at import: the build does not need it

    paragraphs = paragraphs[paragraphs[by].notna()]
    texts = paragraphs["text"].tolist()
    joined = _joined_tokens(texts, n_jobs, workers, use_cache, cache_folder, root)
    stop = stopwords(*stopword_lists, root=root) | frozenset(extra)
    term_ids = _TermIds(
        lambda token: bool(drop_tokens([token], stop, drop_punctuation=drop_punctuation, drop_numbers=drop_numbers))
    )
    ids = array("i")  # the kept tokens' term ids, paragraph after paragraph
    lengths = np.empty(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        before = len(ids)
        ids.extend(filter(_DROPPED.__ne__, map(term_ids.__getitem__, _split(joined[text]))))
        lengths[i] = len(ids) - before
    del joined
    if not term_ids.terms:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    has_tokens = lengths > 0
    codes, row_ids = pd.factorize(paragraphs[by].to_numpy(dtype=object)[has_tokens])  # order of appearance
    row_of_text = np.zeros(len(texts), dtype=np.int64)
    row_of_text[has_tokens] = codes
    n_terms = len(term_ids.terms)
    cells = row_of_text[np.repeat(np.arange(len(texts), dtype=np.int32), lengths)]  # a token's row …
    cells *= n_terms
    cells += np.frombuffer(ids, dtype=np.int32)  # … and term: sorted, a row's terms in order of first appearance
    del ids
    cells, counts = np.unique(cells, return_counts=True)
    rows, columns = np.divmod(cells, n_terms)
    document_frequency = np.bincount(columns, minlength=n_terms)
    kept_terms = np.flatnonzero(document_frequency >= min_df)
    if len(kept_terms) == 0:
        raise ValueError("After pruning, no terms remain. Try a lower min_df.")
    vocabulary = sorted(term_ids.terms[j] for j in kept_terms)
    position = {term: i for i, term in enumerate(vocabulary)}
    new_column = np.full(n_terms, -1, dtype=np.int64)
    new_column[kept_terms] = [position[term_ids.terms[j]] for j in kept_terms]
    stored = new_column[columns] >= 0
    indptr = np.zeros(len(row_ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[stored], minlength=len(row_ids)), out=indptr[1:])
    index_type = np.int32 if len(counts) <= np.iinfo(np.int32).max else np.int64
    matrix = sparse.csr_matrix(
        (counts[stored].astype(np.int64), new_column[columns[stored]].astype(index_type), indptr.astype(index_type)),
        shape=(len(row_ids), len(vocabulary)),
    )
    return matrix, list(row_ids), vocabulary


_DROPPED = -1


class _TermIds(dict):
    """Token → integer id, assigned in order of first appearance; :data:`_DROPPED` for a token the filter drops."""

    def __init__(self, keep: Callable[[str], bool]) -> None:
        super().__init__()
        self.keep = keep
        self.terms: list[str] = []

    def __missing__(self, token: str) -> int:
        value = len(self.terms) if self.keep(token) else _DROPPED
        if value >= 0:
            self.terms.append(token)
        self[token] = value
        return value


def _split(joined: str) -> list[str]:
    return joined.split(TOKEN_SEP) if joined else []


def _joined_tokens(texts, n_jobs, workers, use_cache, cache_folder, root) -> dict[str, str]:
    """Each distinct text's tokens as one ``TOKEN_SEP``-joined string: from the token cache, else segmented
    (the new ones added to the cache)."""
    store = TokenCache(dictionary_hash(root), cache_folder) if use_cache else None
    distinct = list(dict.fromkeys(texts))
    joined = store.joined(distinct) if store is not None else {}
    missing = [t for t in distinct if t not in joined]
    if not missing:  # all in the cache: not even the dictionary is loaded
        return joined
    chunks = _chunk_plan(missing, n_jobs, None)
    with tqdm(total=len(missing), disable=True) as bar:
        for index, result in _segmented_chunks(chunks, segmenter(root), n_jobs, workers, bar, joined=True):
            joined |= zip(chunks[index], result.split(TAG_SEP), strict=True)
    if store is not None:
        store.add_joined({t: joined[t] for t in missing})
        store.save()
    return joined
