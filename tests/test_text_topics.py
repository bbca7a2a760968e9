"""Segmentation, token cache, topic models and keyness."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import streetlib
from streetlib import compare, config, text, topics


def test_domain_terms_come_out_whole() -> None:
    terms = [t for t in text.dictionary_terms()]
    assert len(terms) >= 176
    split = [t for t in terms if text.segment(t) != [t]]
    assert split == []
    sentence = "深入贯彻党的十九大精神,推进一网统管和“美丽家园”建设,保障生命通道,到二〇三五年基本实现。"
    tokens = text.segment(sentence)
    for term in ("一网统管", "美丽家园", "生命通道", "二〇三五年", "深入贯彻"):
        assert term in tokens


def test_terms_stay_whole_in_the_corpus_unless_another_term_claims_the_span() -> None:
    """Each occurrence is a token, or overlaps a token that is itself a dictionary term
    (长馨睦邻小厨 holds 睦邻小厨; 深入贯彻 and 贯彻落实 compete for 深入贯彻落实)."""
    terms = set(text.dictionary_terms())
    for para in streetlib.load_paragraphs()["text"].head(150):
        tokens = [t for t in text.tokenizer().lcut(para)]
        spans, start = [], 0
        for tok in tokens:
            spans.append((start, start + len(tok), tok))
            start += len(tok)
        for term in terms:
            begin = para.find(term)
            while begin >= 0:
                end = begin + len(term)
                claimed = [tok for a, b, tok in spans if a < end and b > begin and tok in terms]
                assert claimed, (term, para[max(0, begin - 5) : end + 5])
                begin = para.find(term, begin + 1)


def test_stopwords_go_and_lists_are_separate() -> None:
    tokens = text.segment("我们要坚持进一步加强社区的睦邻中心建设。")
    assert "的" in tokens and "坚持" in tokens, "segment keeps stopwords"
    assert text.filter_tokens(tokens) == ["社区", "睦邻中心"]
    assert "坚持" in text.filter_tokens(tokens, stopword_lists=("general",))
    assert not text.stopwords("general") & {"睦邻中心", "一网统管"}


def test_cache_is_used_on_a_second_run_and_invalidated_by_a_dictionary_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paragraphs = streetlib.load_paragraphs().head(20)
    first = text.tokenize(paragraphs, cache_folder=tmp_path)
    assert text.tokenize.last_cache.misses == 20
    second = text.tokenize(paragraphs, cache_folder=tmp_path)
    assert text.tokenize.last_cache.hits == 20 and text.tokenize.last_cache.misses == 0
    pd.testing.assert_frame_equal(first, second)
    root = tmp_path / "data"
    shutil.copytree(config.PROJECT_ROOT / "data" / "lexicon", root / "lexicon")
    with (root / "lexicon" / "user_dict.txt").open("a", encoding="utf-8") as handle:
        handle.write("社区治理\n")
    text.tokenize(paragraphs, cache_folder=tmp_path, root=root)
    assert text.tokenize.last_cache.misses == 20, "a changed dictionary must not reuse old tokens"


def test_tokens_are_tidy_and_deterministic() -> None:
    paragraphs = streetlib.load_paragraphs().head(5)
    tokens = text.tokenize(paragraphs, use_cache=False)
    assert list(tokens.columns) == ["doc_id", "para_id", "position", "token"]
    again = text.tokenize(paragraphs, use_cache=False)
    pd.testing.assert_frame_equal(tokens, again)
    with_pos = text.tokenize(paragraphs.head(1), pos=True, use_cache=False)
    assert "pos" in with_pos.columns and with_pos["pos"].notna().all()


@pytest.fixture(scope="module")
def small_model_input():
    paragraphs = streetlib.load_paragraphs()
    paragraphs = paragraphs[~paragraphs["is_duplicate"]].head(120)
    tokens = text.tokenize(paragraphs)
    tokens = tokens[tokens["token"].isin(set(text.filter_tokens(tokens["token"].unique())))]
    return text.document_term_matrix(tokens, min_df=2)


@pytest.mark.parametrize("method", ["lda", "nmf"])
def test_beta_and_gamma_sum_to_one_and_same_seed_same_model(small_model_input, method: str) -> None:
    matrix, ids, vocab = small_model_input
    model = topics.fit(matrix, vocab, ids, k=4, method=method, seed=3)
    assert np.allclose(model.beta.groupby("topic")["beta"].sum(), 1.0)
    assert np.allclose(model.gamma.groupby("para_id")["gamma"].sum(), 1.0)
    assert list(model.gamma.columns) == ["doc_id", "para_id", "topic", "gamma"]
    assert list(model.beta.columns) == ["topic", "term", "beta"]
    again = topics.fit(matrix, vocab, ids, k=4, method=method, seed=3)
    pd.testing.assert_frame_equal(model.beta, again.beta)
    pd.testing.assert_frame_equal(model.gamma, again.gamma)


def test_diagnostics_and_labels(small_model_input) -> None:
    matrix, ids, vocab = small_model_input
    diag = topics.diagnostics(matrix, vocab, ids, ks=[3, 5], seeds=[0, 1])
    assert list(diag["k"]) == [3, 5]
    assert diag["coherence"].between(-1, 1).all() and diag["stability"].between(0, 1).all()
    model = topics.fit(matrix, vocab, ids, k=3, seed=0)
    assert len(topics.labels(model)) == 3
    covariates = pd.DataFrame({"para_id": ids, "half": ["a" if i % 2 else "b" for i in range(len(ids))]})
    prev = topics.prevalence(model.gamma, covariates, by="half", n_boot=200, seed=0)
    assert np.allclose(prev.groupby("half")["prevalence"].sum(), 1.0)
    assert (prev["ci_low"] <= prev["prevalence"]).all() and (prev["prevalence"] <= prev["ci_high"]).all()


def test_coherence_rewards_terms_that_occur_together() -> None:
    vocab = ["a", "b", "c", "d"]
    rows = [[1, 1, 0, 0]] * 5 + [[0, 0, 1, 1]] * 5
    from scipy import sparse

    matrix = sparse.csr_matrix(np.array(rows))
    good = topics.TopicModel(
        "lda",
        2,
        0,
        pd.DataFrame({"topic": [1] * 4 + [2] * 4, "term": vocab * 2, "beta": [0.5, 0.5, 0, 0, 0, 0, 0.5, 0.5]}),
        pd.DataFrame(),
    )
    bad = topics.TopicModel(
        "lda",
        2,
        0,
        pd.DataFrame({"topic": [1] * 4 + [2] * 4, "term": vocab * 2, "beta": [0.5, 0, 0.5, 0, 0, 0.5, 0, 0.5]}),
        pd.DataFrame(),
    )
    assert topics.coherence(good, matrix, vocab, n=2) == pytest.approx(1.0)
    assert topics.coherence(bad, matrix, vocab, n=2) == pytest.approx(-1.0)


def test_keyness_known_answer() -> None:
    tokens = pd.DataFrame(
        {"group": ["x"] * 10 + ["y"] * 10, "token": ["养老"] * 5 + ["社区"] * 5 + ["党建"] * 5 + ["社区"] * 5}
    )
    key = compare.keyness(tokens, group="group", target="x", min_count=1).set_index("term")
    assert key.loc["社区", "g2"] == pytest.approx(0.0)
    # 养老: 5 of 10 in x, 0 of 10 in y: G2 = 2 * 5 * ln(5 / 2.5) = 10 ln 2
    assert key.loc["养老", "g2"] == pytest.approx(10 * np.log(2))
    assert key.loc["党建", "g2"] == pytest.approx(-10 * np.log(2))
    assert key.index[0] == "养老" and key.loc["养老", "log_ratio"] > 0


def test_similarity_is_symmetric_with_unit_diagonal() -> None:
    tokens = pd.DataFrame({"doc_id": ["a", "a", "b", "b", "c"], "token": ["养老", "社区", "养老", "社区", "党建"]})
    sim = compare.similarity(tokens)
    assert np.allclose(np.diag(sim), 1.0) and np.allclose(sim, sim.T)
    assert sim.loc["a", "b"] == pytest.approx(1.0) and sim.loc["a", "c"] == pytest.approx(0.0)
