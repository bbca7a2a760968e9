"""The memory-lean paths give what the one-shot ones give (their memory is measured in benchmarks/run.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

import streetlib
from streetlib import text, topics


@pytest.fixture(scope="module")
def paragraphs() -> pd.DataFrame:
    p = streetlib.load_paragraphs()
    return p.loc[~p["is_duplicate"].astype(bool), ["doc_id", "para_id", "text"]].reset_index(drop=True)


def one_shot(paragraphs: pd.DataFrame, *, by: str = "para_id", min_df: int = 2, **filters):
    tokens = text.content_tokens(text.tokenize(paragraphs, use_cache=False), **filters)
    return text.document_term_matrix(tokens, by=by, min_df=min_df)


def assert_same_layout(streamed, expected) -> None:
    """Same rows, terms, values, dtypes and order of stored entries (CountVectorizer leaves a row's entries in
    order of the terms' first appearance, not sorted): what a fit sees is identical, to the last bit."""
    (a, rows_a, terms_a), (b, rows_b, terms_b) = streamed, expected
    assert rows_a == rows_b
    assert terms_a == terms_b
    assert a.shape == b.shape and a.format == b.format == "csr"
    for part in ("data", "indices", "indptr"):
        assert getattr(a, part).dtype == getattr(b, part).dtype, part
        assert np.array_equal(getattr(a, part), getattr(b, part)), part


def test_the_streamed_matrix_is_the_one_shot_matrix_with_workers(paragraphs: pd.DataFrame) -> None:
    streamed = text.count_matrix(paragraphs, n_jobs=2, workers="always", use_cache=False)
    assert_same_layout(streamed, one_shot(paragraphs))


def test_the_streamed_matrix_follows_every_option(paragraphs: pd.DataFrame) -> None:
    filters = {"stopword_lists": ("general", "official", "corpus"), "extra": ("社区", "居民"), "drop_numbers": False}
    for by, min_df in (("doc_id", 1), ("doc_id", 3), ("para_id", 5)):
        streamed = text.count_matrix(paragraphs, by=by, min_df=min_df, use_cache=False, **filters)
        assert_same_layout(streamed, one_shot(paragraphs, by=by, min_df=min_df, **filters))


def test_the_streamed_matrix_known_answer() -> None:
    paragraphs = pd.DataFrame(
        {
            "doc_id": ["a", "a", "b", "b"],
            "para_id": ["a:p1", "a:p2", "b:p1", "b:p2"],
            "text": ["cherry apple cherry", "的 。", "apple cherry banana", "banana"],
        }
    )
    matrix, rows, terms = text.count_matrix(paragraphs, min_df=1, use_cache=False)
    assert rows == ["a:p1", "b:p1", "b:p2"]  # a:p2 has only a stopword and punctuation: no row
    assert terms == ["apple", "banana", "cherry"]
    assert matrix.toarray().tolist() == [[1, 0, 2], [1, 1, 1], [0, 1, 0]]
    # a row's entries in order of the terms' first appearance in the corpus (cherry, apple, banana), as CountVectorizer
    assert matrix.indices.tolist() == [2, 0, 2, 0, 1, 1]
    assert_same_layout((matrix, rows, terms), one_shot(paragraphs, min_df=1))
    matrix, rows, terms = text.count_matrix(paragraphs, by="doc_id", min_df=2, use_cache=False)
    assert (rows, terms, matrix.toarray().tolist()) == (["a", "b"], ["apple", "cherry"], [[1, 2], [1, 1]])


def test_the_streamed_matrix_says_when_nothing_is_left() -> None:
    paragraphs = pd.DataFrame({"doc_id": ["a", "b"], "para_id": ["a:p1", "b:p1"], "text": ["的 。", "apple"]})
    with pytest.raises(ValueError, match="no terms remain"):
        text.count_matrix(paragraphs, min_df=2, use_cache=False)
    with pytest.raises(ValueError, match="empty vocabulary"):
        text.count_matrix(paragraphs.iloc[:1], min_df=1, use_cache=False)


def test_the_streamed_matrix_shares_the_token_cache(paragraphs: pd.DataFrame, tmp_path: Path, monkeypatch) -> None:
    some = paragraphs.iloc[:60]
    first = text.count_matrix(some, cache_folder=tmp_path)
    assert_same_layout(first, one_shot(some))
    text.tokenize(some, cache_folder=tmp_path)
    assert text.tokenize.last_cache.misses == 0  # what count_matrix stored is what tokenize reads

    def no_segmenting(*args, **kwargs):
        raise AssertionError("a warm cache segments nothing")

    monkeypatch.setattr(text, "_segmented_chunks", no_segmenting)
    assert_same_layout(text.count_matrix(some, cache_folder=tmp_path), first)


def test_tidy_frames_share_the_names_and_keep_their_types() -> None:
    row_ids = ["d1:p1", "d1:p2"]
    model = topics._tidy("nmf", 2, 0, np.array([[0.75, 0.25], [0.5, 0.5]]), np.eye(2), ["x", "y"], row_ids, ["d1"] * 2)
    assert model.beta["term"].tolist() == ["x", "y", "x", "y"]
    assert model.gamma["para_id"].tolist() == ["d1:p1", "d1:p1", "d1:p2", "d1:p2"]
    assert model.gamma["para_id"].iloc[2] is model.gamma["para_id"].iloc[3] is row_ids[1]  # not a string per row
    numbered = topics._tidy("nmf", 2, 0, np.ones((2, 2)) / 2, np.eye(2), ["x", "y"], [7, 8], [1, 1])
    assert numbered.gamma["para_id"].tolist() == [7, 7, 8, 8]
    assert numbered.gamma["para_id"].dtype == np.int64


def dense_split(matrix: sparse.csr_matrix, rng: np.random.Generator):
    """The dense implementation heldout_perplexity had before (the reference)."""
    first, second = np.zeros(matrix.shape), np.zeros(matrix.shape)
    for i in range(matrix.shape[0]):
        row = matrix.getrow(i)
        tokens = rng.permutation(np.repeat(row.indices, row.data.astype(int)))
        half = len(tokens) // 2
        np.add.at(first[i], tokens[:half], 1)
        np.add.at(second[i], tokens[half:], 1)
    return sparse.csr_matrix(first), sparse.csr_matrix(second)


def test_the_sparse_token_split_deals_as_the_dense_one_did(paragraphs: pd.DataFrame) -> None:
    matrix = one_shot(paragraphs)[0][:120]  # CountVectorizer's layout: entries not sorted within a row
    for seed in (0, 7):
        sparse_halves = topics._split_tokens(matrix, np.random.default_rng(seed))
        dense_halves = dense_split(matrix, np.random.default_rng(seed))
        for a, b in zip(sparse_halves, dense_halves, strict=True):
            for part in ("data", "indices", "indptr"):  # identical arrays: the model cache keys do not move
                assert getattr(a, part).dtype == getattr(b, part).dtype
                assert np.array_equal(getattr(a, part), getattr(b, part))
    first, second = sparse_halves
    assert (first + second != matrix).nnz == 0
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    assert np.array_equal(np.asarray(first.sum(axis=1)).ravel(), sizes // 2)


def test_heldout_perplexity_is_the_dense_formula(paragraphs: pd.DataFrame, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("STREETLIB_CACHE", str(tmp_path))
    matrix = one_shot(paragraphs, min_df=3)[0].astype(float)
    test_rows = np.arange(0, matrix.shape[0], 10)
    value = topics.heldout_perplexity(matrix, k=3, seed=1, test_rows=test_rows, max_iter=5)
    from sklearn.decomposition import LatentDirichletAllocation

    mask = np.zeros(matrix.shape[0], dtype=bool)
    mask[test_rows] = True
    observed, scored = dense_split(sparse.csr_matrix(matrix)[mask], np.random.default_rng(1))
    model = LatentDirichletAllocation(n_components=3, random_state=1, learning_method="batch", max_iter=5)
    model.fit(matrix[~mask])
    probability = model.transform(observed) @ (model.components_ / model.components_.sum(axis=1, keepdims=True))
    dense = scored.toarray()
    expected = np.exp(-(dense * np.log(np.where(dense > 0, probability, 1.0))).sum() / dense.sum())
    assert value == pytest.approx(expected, rel=1e-12)
