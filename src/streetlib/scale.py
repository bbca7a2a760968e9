"""Segmentation and counting on a Dask cluster, with the same result as one process.

:func:`document_term_matrix` takes paragraphs and a Dask scheduler (a ``distributed.Client``
for a cluster, or ``"processes"`` / ``"sync"`` locally) and returns what
:func:`streetlib.text.document_term_matrix` returns for the same filtered tokens:

1. every partition segments its paragraphs with a :class:`~streetlib.text.Segmenter` (the
   dictionary travels with the task, so workers need no data folder) and drops stopwords,
   punctuation and numbers; the tokens are kept on the workers (``persist``);
2. **pass one** counts document frequencies per partition and merges them: the vocabulary is
   the terms in at least ``min_df`` paragraphs, sorted (no hashing, so topics keep their words);
3. **pass two** counts each partition's paragraphs against that fixed vocabulary into a sparse
   block; the blocks are stacked in paragraph order.

On a real cluster: ``Client("tcp://scheduler:8786")`` and pass it as ``scheduler``; the workers
need streetlib and its dependencies installed (the same ``requirements/scale.lock`` layer), nothing else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from streetlib import text


def document_term_matrix(
    paragraphs: pd.DataFrame,
    *,
    scheduler: object = "processes",
    npartitions: int | None = None,
    min_df: int = 2,
    stopword_lists: tuple[str, ...] = ("general", "official"),
    backend: str = "jieba",
) -> tuple[sparse.csr_matrix, list[str], list[str]]:
    """``(matrix, para_ids, vocabulary)`` of filtered tokens, computed by Dask in two passes."""
    import dask
    import dask.bag as db

    segmenter = text.segmenter(backend=backend)
    stop = text.stopwords(*stopword_lists)
    records = list(zip(paragraphs["para_id"], paragraphs["text"], strict=True))
    npartitions = npartitions or max(1, min(len(records), 64))
    bag = db.from_sequence(records, npartitions=npartitions)
    get = getattr(scheduler, "get", scheduler)  # a distributed Client, or a local scheduler's name
    with dask.config.set(scheduler=get):
        tokens = bag.map(_tokens, segmenter, stop).filter(lambda row: len(row[1]) > 0).persist()
        frequencies = tokens.map_partitions(_document_frequencies).fold(_merge, initial=Counter()).compute()
        vocabulary = sorted(term for term, df in frequencies.items() if df >= min_df)
        index = {term: i for i, term in enumerate(vocabulary)}
        blocks = tokens.map_partitions(_count_block, index).compute()
    ids = [para_id for block in blocks[0::2] for para_id in block]
    matrices = blocks[1::2]
    matrix = sparse.vstack(matrices, format="csr") if matrices else sparse.csr_matrix((0, len(vocabulary)))
    return matrix.astype(np.int64), ids, vocabulary


def _tokens(record: tuple[str, str], segmenter: text.Segmenter, stop: frozenset[str]) -> tuple[str, list[str]]:
    para_id, content = record
    return para_id, text.drop_tokens(segmenter(content), stop)


def _document_frequencies(rows: Sequence[tuple[str, list[str]]]) -> list[Counter]:
    return [Counter(term for _, tokens in rows for term in set(tokens))]


def _merge(a: Counter, b: Counter) -> Counter:
    return a + b


def _count_block(rows: Sequence[tuple[str, list[str]]], index: dict[str, int]) -> list:
    """``[para_ids, csr block]`` for one partition (a list, so a bag can concatenate the pairs)."""
    data, columns, pointers = [], [], [0]
    for _, tokens in rows:
        counts = Counter(index[t] for t in tokens if t in index)
        for column in sorted(counts):
            columns.append(column)
            data.append(counts[column])
        pointers.append(len(columns))
    block = sparse.csr_matrix((data, columns, pointers), shape=(len(rows), len(index)), dtype=np.int64)
    return [[para_id for para_id, _ in rows], block]
