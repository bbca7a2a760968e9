"""Topic-model engines give the same tidy tables; the default engine per corpus size; the engine-free perplexity."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

import streetlib
from streetlib import engines, text


@pytest.fixture(scope="module")
def corpus():
    paragraphs = streetlib.load_paragraphs().head(150)
    tokens = text.content_tokens(text.tokenize(paragraphs, use_cache=False))
    matrix, ids, vocabulary = text.document_term_matrix(tokens, min_df=2)
    return matrix, ids, vocabulary


@pytest.mark.parametrize("engine", engines.ENGINES)
def test_every_engine_gives_tidy_distributions(corpus, engine: str) -> None:
    if engine.startswith("tomotopy"):
        pytest.importorskip("tomotopy")
    matrix, ids, vocabulary = corpus
    metadata = [i.split(":p")[0] for i in ids]
    model = engines.fit(matrix, vocabulary, ids, k=4, seed=2, engine=engine, metadata=metadata, cache=False)
    assert model.k == 4
    assert np.allclose(model.beta.groupby("topic")["beta"].sum(), 1.0)
    assert np.allclose(model.gamma.groupby("para_id")["gamma"].sum(), 1.0)
    assert len(model.beta) == 4 * len(vocabulary) and len(model.gamma) == 4 * len(ids)
    assert engines.beta_array(model, vocabulary).shape == (4, len(vocabulary))


def test_tomotopy_is_deterministic_for_a_seed(corpus) -> None:
    pytest.importorskip("tomotopy")
    matrix, ids, vocabulary = corpus
    first = engines.fit(matrix, vocabulary, ids, k=3, seed=5, engine="tomotopy-lda")
    again = engines.fit(matrix, vocabulary, ids, k=3, seed=5, engine="tomotopy-lda")
    assert first.beta.equals(again.beta) and first.gamma.equals(again.gamma)


def test_the_default_engine_follows_corpus_size() -> None:
    assert engines.default_engine(453) == "lda-batch"
    assert engines.default_engine(engines.BATCH_LDA_MAX_ROWS) == "lda-batch"
    assert engines.default_engine(engines.BATCH_LDA_MAX_ROWS + 1) == "nmf"


def test_bad_engine_requests_say_what_is_wrong(corpus) -> None:
    matrix, ids, vocabulary = corpus
    with pytest.raises(ValueError, match="engine must be"):
        engines.fit(matrix, vocabulary, ids, k=2, seed=0, engine="lsa")
    with pytest.raises(ValueError, match="metadata"):
        engines.fit(matrix, vocabulary, ids, k=2, seed=0, engine="tomotopy-dmr")


def test_halves_deal_every_token_once() -> None:
    matrix = sparse.csr_matrix(np.array([[3, 0, 2], [0, 1, 0], [0, 0, 0]]))
    first, second = engines.split_halves(matrix, seed=4)
    assert ((first + second) != matrix).nnz == 0
    assert np.asarray(first.sum(axis=1)).ravel().tolist() == [2, 0, 0]  # floor(5/2), floor(1/2), 0


def test_completion_perplexity_known_answers() -> None:
    # one topic, uniform over 5 terms: every scored token has probability 1/5, whatever the rows
    uniform = np.full((1, 5), 0.2)
    rows = sparse.csr_matrix(np.array([[2, 1, 0, 3, 2], [1, 1, 1, 1, 1]]))
    assert engines.completion_perplexity(uniform, rows) == pytest.approx(5.0)
    # two topics, each uniform over its own 2 terms; each row is one topic's: its first half reveals the
    # topic, so the second half's tokens have probability close to 1/2 (perplexity just above 2)
    disjoint = np.array([[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]])
    rows = sparse.csr_matrix(np.array([[6, 6, 0, 0], [0, 0, 5, 7]]))
    value = engines.completion_perplexity(disjoint, rows)
    assert 2.0 < value < 2.05
