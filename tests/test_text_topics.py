"""Segmentation, token cache, topic models and keyness."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

import streetlib
from streetlib import compare, concordance, config, demography, text, topics


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


def test_labels_use_only_supported_terms(small_model_input) -> None:
    matrix, ids, vocab = small_model_input
    model = topics.fit(matrix, vocab, ids, k=3, seed=0)
    supported = topics.supported_terms(matrix, vocab, min_df=8)
    df = np.asarray((matrix > 0).sum(axis=0)).ravel()
    assert supported == {t for t, d in zip(vocab, df, strict=True) if d >= 8}
    label = topics.labels(model, terms=supported)
    assert sorted(label) == [1, 2, 3]
    for text_ in label.values():
        assert set(text_.split("·")) <= supported


def test_coherence_rewards_terms_that_occur_together() -> None:
    vocab = ["a", "b", "c", "d"]
    rows = [[1, 1, 0, 0]] * 5 + [[0, 0, 1, 1]] * 5
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


# --- Ensembles, alignment, choice of k, clustered intervals (expected values worked out by hand) --------------


REFERENCE = np.array(
    [
        [0.7, 0.1, 0.1, 0.1, 0.0, 0.0],
        [0.0, 0.7, 0.1, 0.0, 0.1, 0.1],
        [0.1, 0.0, 0.7, 0.1, 0.0, 0.1],
        [0.0, 0.1, 0.0, 0.1, 0.1, 0.7],
    ]
)


@pytest.mark.parametrize("metric", ["cosine", "jsd"])
def test_align_recovers_a_known_permutation(metric: str) -> None:
    # other's row 0 is reference topic 2, row 1 topic 0, row 2 topic 3, row 3 topic 1
    other = REFERENCE[[2, 0, 3, 1]]
    order, similarity = topics.align(REFERENCE, other, metric=metric)
    assert order.tolist() == [1, 3, 0, 2]
    assert np.allclose(similarity, 1.0)
    assert np.allclose(other[order], REFERENCE)


def test_align_maximises_total_similarity_where_greedy_matching_does_not() -> None:
    # cosines: ref0-other0 0.8, ref0-other1 0.6, ref1-other0 0.95, ref1-other1 0.31. Greedy in row order
    # gives ref0 other0 (total 1.11); the best one-to-one matching is ref0-other1, ref1-other0 (total 1.55).
    reference = np.array([[0.8, 0.0, 0.6], [0.95, 0.0, 0.312]])
    other = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    order, similarity = topics.align(reference, other)
    assert order.tolist() == [1, 0]
    assert similarity == pytest.approx([0.6, 0.95], abs=0.01)


def test_topic_similarity_bounds() -> None:
    disjoint = np.array([[0.5, 0.5, 0.0, 0.0]]), np.array([[0.0, 0.0, 0.5, 0.5]])
    for metric in ("cosine", "jsd"):
        assert topics.topic_similarity(*disjoint, metric=metric)[0, 0] == pytest.approx(0.0)
        assert topics.topic_similarity(REFERENCE, REFERENCE, metric=metric).diagonal() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="metric"):
        topics.topic_similarity(REFERENCE, REFERENCE, metric="euclid")


def test_ensemble_seed_blocks_never_overlap() -> None:
    assert topics.ensemble_seeds(0, 4) == [0, 1, 2, 3]
    assert topics.ensemble_seeds(1, 4) == [4, 5, 6, 7]
    assert topics.ensemble_seeds(1)[0] == topics.ENSEMBLE_SIZE >= topics.CHOICE_FITS


def test_distinctive_terms_list_a_shared_word_once_under_the_topic_that_uses_it_most() -> None:
    # 服务 is the most probable word of both topics; it belongs to topic 2 (0.30 > 0.25). 治理 ties (0.20 each):
    # it goes to the lower-numbered topic. Expected lists, by beta within the topic (equal betas by term):
    # topic 1: 其他 0.20, 治理 0.20, 党建 0.15 (服务 left out); topic 2: 服务 0.30, 企业 0.15, 园区 0.10.
    # A label uses supported terms only: without 其他, topic 1 reads 治理·党建·组织.
    terms = ["服务", "治理", "党建", "组织", "企业", "园区", "其他"]
    beta = np.array(
        [
            [0.25, 0.20, 0.15, 0.10, 0.05, 0.05, 0.20],
            [0.30, 0.20, 0.05, 0.05, 0.15, 0.10, 0.15],
        ]
    )
    ensemble = topics.Ensemble(
        k=2,
        method="lda",
        seeds=[0, 1],
        anchor=beta,
        terms=terms,
        row_ids=["d:p1"],
        doc_ids=["d"],
        betas=np.stack([beta, beta]),
        gammas=np.full((2, 1, 2), 0.5),
        similarity=np.ones((2, 2)),
    )
    model = ensemble.consensus()
    listed = topics.distinctive_terms(model, n=3)
    expected = {1: ["其他", "治理", "党建"], 2: ["服务", "企业", "园区"]}
    assert listed.groupby("topic")["term"].agg(list).to_dict() == expected
    assert listed["rank"].tolist() == [1, 2, 3, 1, 2, 3]
    supported = set(terms) - {"其他"}
    assert topics.labels(model, n=3, terms=supported) == {1: "治理·党建·组织", 2: "服务·企业·园区"}
    summary = ensemble.summary(label_terms=supported, n_terms=3)
    assert summary["terms"].tolist() == ["其他 治理 党建", "服务 企业 园区"]
    # Two models are compared on these lists: in the other model 组织 moves to topic 2 (0.12 > 0.10) and
    # displaces 园区 there; topic 1 keeps its three terms.
    other = beta.copy()
    other[1] = [0.30, 0.20, 0.05, 0.12, 0.15, 0.03, 0.15]
    other_model = topics._tidy("lda", 2, 0, other, np.full((1, 2), 0.5), terms, ["d:p1"], ["d"])
    matched = topics.match_topics(model, other_model, n=3)
    assert matched["topic_b"].tolist() == [1, 2]
    assert matched["terms_b"].tolist() == ["其他 治理 党建", "服务 企业 组织"]
    assert matched["overlap"].tolist() == pytest.approx([1.0, 2 / 3])


def test_identical_fits_are_perfectly_stable(small_model_input) -> None:
    matrix, ids, vocab = small_model_input
    ensemble = topics.fit_ensemble(matrix, vocab, ids, k=3, seeds=[5, 5, 5])
    table = ensemble.stability()
    assert table["stability"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert table["stable"].all() and (table["recurs_in"] == 1.0).all()
    single = topics.fit(matrix, vocab, ids, k=3, seed=5)
    consensus = ensemble.consensus()
    matched = topics.match_topics(single, consensus)
    assert matched["overlap"].tolist() == [1.0, 1.0, 1.0]
    prevalence = consensus.gamma.groupby("topic")["gamma"].mean()
    assert prevalence.is_monotonic_decreasing, "consensus topics are numbered by decreasing prevalence"


def test_an_ensemble_leaves_the_matrix_alone_and_no_fit_decides_its_orientation(small_model_input) -> None:
    matrix, ids, vocab = small_model_input
    before = matrix.copy()
    ensemble = topics.fit_ensemble(matrix, vocab, ids, k=3, seeds=[0, 1, 2])
    # the anchor's NMF once sorted a shared index array in place, silently scrambling the caller's counts
    assert (matrix != before).nnz == 0 and np.array_equal(matrix.indices, before.indices)
    # the same counts stored in another order give the same fits (the cache key and the fit see one canonical form)
    shuffled = matrix.copy()
    for i in range(shuffled.shape[0]):
        lo, hi = shuffled.indptr[i], shuffled.indptr[i + 1]
        shuffled.indices[lo:hi], shuffled.data[lo:hi] = shuffled.indices[lo:hi][::-1], shuffled.data[lo:hi][::-1]
    again = topics.fit_ensemble(shuffled, vocab, ids, k=3, seeds=[0, 1, 2])
    np.testing.assert_array_equal(again.betas, ensemble.betas)
    assert np.allclose(ensemble.anchor.sum(axis=1), 1.0)
    reordered = topics.fit_ensemble(matrix, vocab, ids, k=3, seeds=[2, 0, 1])
    np.testing.assert_allclose(reordered.consensus().beta["beta"], ensemble.consensus().beta["beta"])


def synthetic_corpus(k: int = 3, terms_per_topic: int = 8, docs: int = 150, length: int = 30, seed: int = 0):
    """Paragraphs drawn from k topics with disjoint vocabularies, each paragraph mostly one topic."""
    rng = np.random.default_rng(seed)
    vocab = [f"t{topic}w{w}" for topic in range(k) for w in range(terms_per_topic)]
    rows = []
    for d in range(docs):
        main = d % k
        mix = np.full(k, 0.05 / (k - 1))
        mix[main] = 0.95
        topic_of_token = rng.choice(k, size=length, p=mix)
        words = topic_of_token * terms_per_topic + rng.integers(0, terms_per_topic, size=length)
        rows.append(np.bincount(words, minlength=k * terms_per_topic))
    ids = [f"doc{d // 10}:p{d:04d}" for d in range(docs)]
    return sparse.csr_matrix(np.array(rows)), vocab, ids


def test_choose_k_finds_the_known_number_of_topics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREETLIB_CACHE", str(tmp_path))
    matrix, vocab, ids = synthetic_corpus(k=3)
    table, k, rule = topics.choose_k(matrix, vocab, ids, ks=[2, 3, 4, 5], seeds=[0, 1, 2, 3])
    assert k == 3
    assert rule.startswith("k = 3:") and "perplexity" in rule and "stability" in rule
    assert list(table["k"]) == [2, 3, 4, 5]
    assert {"perplexity", "coherence", "exclusivity", "stability", "stable_share", "mean_rank", "eligible"} <= set(
        table.columns
    )
    at3 = table.set_index("k").loc[3]
    assert at3["stability"] > 0.95 and at3["stable_share"] == 1.0
    # the three true topics come back whole: each consensus topic's top 8 terms are one true topic's vocabulary
    ensemble = topics.fit_ensemble(matrix, vocab, ids, k=3, seeds=[0, 1, 2, 3])
    top = ensemble.consensus().top_terms(8).groupby("topic")["term"].agg(lambda t: {w.split("w")[0] for w in t})
    assert sorted(len(s) for s in top) == [1, 1, 1]
    # so does each anchor topic (no seed enters it), and the distinctive terms are each one topic's words
    terms = np.array(sorted(vocab))
    assert sorted(len({w.split("w")[0] for w in terms[np.argsort(-row)[:8]]}) for row in ensemble.anchor) == [1, 1, 1]
    shown = topics.distinctive_terms(ensemble.consensus(), n=8).groupby("topic")["term"].agg(set)
    assert sorted(len({w.split("w")[0] for w in t}) for t in shown) == [1, 1, 1]


def handmade_ensemble(gammas: list[list[list[float]]], row_ids: list[str]) -> topics.Ensemble:
    gammas_ = np.array(gammas, dtype=float)
    n_fits, _, k = gammas_.shape
    return topics.Ensemble(
        k=k,
        method="lda",
        seeds=list(range(n_fits)),
        anchor=np.full((k, 2), 0.5),
        terms=["a", "b"],
        row_ids=row_ids,
        doc_ids=[r.split(":p")[0] for r in row_ids],
        betas=np.full((n_fits, k, 2), 0.5),
        gammas=gammas_,
        similarity=np.ones((n_fits, k)),
    )


def test_prevalence_resamples_chapters_not_paragraphs() -> None:
    # One document, one chapter, paragraphs that differ: a paragraph bootstrap would give a wide
    # interval; resampling the chapter (the only unit) gives none.
    ids = [f"d1:p{i}" for i in range(4)]
    ensemble = handmade_ensemble([[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]], ids)
    covariates = pd.DataFrame({"para_id": ids, "street": "A", "doc_id": "d1", "chapter_id": "c1"})
    out = topics.prevalence(ensemble, covariates, by="street", clusters=("doc_id", "chapter_id"), n_boot=200)
    assert out["prevalence"].tolist() == pytest.approx([0.5, 0.5])
    assert out["ci_low"].tolist() == pytest.approx([0.5, 0.5]) and out["ci_high"].tolist() == pytest.approx([0.5, 0.5])
    assert out[["documents", "clusters", "paragraphs"]].iloc[0].tolist() == [1, 1, 4]


def test_prevalence_interval_carries_model_uncertainty() -> None:
    # Two fits disagree: topic 1 holds 0.2 of the group in one and 0.6 in the other.
    ids = ["d1:p1", "d1:p2"]
    ensemble = handmade_ensemble([[[0.2, 0.8], [0.2, 0.8]], [[0.6, 0.4], [0.6, 0.4]]], ids)
    covariates = pd.DataFrame({"para_id": ids, "street": "A", "doc_id": "d1", "chapter_id": ["c1", "c2"]})
    out = topics.prevalence(ensemble, covariates, by="street", clusters=("doc_id", "chapter_id"), n_boot=400, seed=3)
    first = out.set_index("topic").loc[1]
    assert first["prevalence"] == pytest.approx(0.4)
    assert first["ci_low"] == pytest.approx(0.2) and first["ci_high"] == pytest.approx(0.6)
    assert np.allclose(out.groupby("street")["prevalence"].sum(), 1.0)


def test_within_between_and_shared_levels() -> None:
    sim = pd.DataFrame([[1.0, 0.6, 0.2], [0.6, 1.0, 0.4], [0.2, 0.4, 1.0]], index=list("abc"), columns=list("abc"))
    street = pd.Series({"a": "X", "b": "X", "c": "Y"})
    table = compare.within_between(sim, street)
    assert table.loc["same", "pairs"] == 1 and table.loc["same", "mean"] == pytest.approx(0.6)
    assert table.loc["different", "pairs"] == 2 and table.loc["different", "mean"] == pytest.approx(0.3)
    design = pd.DataFrame({"street": ["X", "X", "Y", "Z"], "doc_type": ["plan", "annex", "report", "plan"]})
    assert compare.shared_levels(design, "street", "doc_type") == ["plan"]
    assert compare.shared_levels(design.iloc[:3], "street", "doc_type") == []


def test_chapters_are_the_outermost_sections_below_the_root() -> None:
    sections = pd.DataFrame(
        {
            "section_id": ["s0", "s1", "s2", "s3", "s4"],
            "parent_id": [None, "s0", "s1", "s2", "s0"],
            "level": [0, 1, 2, 3, 1],
        }
    )
    assert compare.chapters(sections).to_dict() == {"s0": "s0", "s1": "s1", "s2": "s1", "s3": "s1", "s4": "s4"}


def test_attention_widens_the_interval_by_the_design_effect() -> None:
    # Two chapters of 5 sentences: all hits in one, none in the other. share 0.5; cluster-robust variance
    # 2/1 * (2.5^2 + 2.5^2) / 10^2 = 0.25 against binomial 0.25/10 = 0.025: deff 10, n_eff 1.
    clustered = pd.DataFrame(
        {
            "street": "A",
            "doc_id": "d",
            "chapter_id": ["c1"] * 5 + ["c2"] * 5,
            "text": ["养老服务"] * 5 + ["道路"] * 5,
        }
    )
    out = demography.attention(clustered, ["养老"], by="street").loc["A"]
    assert out[["sentences", "mentioning", "clusters"]].tolist() == [10, 5, 2]
    assert out["share"] == 0.5 and out["deff"] == pytest.approx(10.0) and out["n_eff"] == pytest.approx(1.0)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx(concordance.wilson(0.5, 1.0))
    # Hits spread evenly over chapters: no clustering to correct for, the plain Wilson interval.
    even = clustered.assign(text=["养老服务", "道路"] * 5, chapter_id=["c1", "c1", "c2", "c2", "c3"] * 2)
    plain = demography.attention(even, ["养老"], by="street").loc["A"]
    assert plain["deff"] == 1.0
    assert (plain["ci_low"], plain["ci_high"]) == pytest.approx(concordance.wilson(5, 10))


def test_place_stopwords_come_from_the_names() -> None:
    tokens = ["长白", "新村", "长白新村街道", "杨浦", "社区", "白", "古美路街道"]
    assert text.place_stopwords(["长白新村街道", "杨浦区"], tokens) == {"长白", "新村", "长白新村街道", "杨浦"}
    assert "社区" in text.stopwords("corpus") and "街道" in text.stopwords("corpus")
    assert text.filter_tokens(["长白", "养老", "街道"], stopword_lists=("corpus",), extra={"长白"}) == ["养老"]


def test_seed_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREETLIB_SEED", raising=False)
    assert config.seed() == 0
    monkeypatch.setenv("STREETLIB_SEED", "1")
    assert config.seed() == 1
    monkeypatch.setenv("STREETLIB_SEED", "one")
    with pytest.raises(ValueError, match="STREETLIB_SEED"):
        config.seed()


@pytest.fixture(scope="module")
def two_seeds():
    """Notebook 01's pipeline under base seeds 0 and 1 (ensembles that share no fit)."""
    docs = streetlib.load_documents()
    paragraphs = streetlib.load_paragraphs().merge(docs[["doc_id", "street"]], on="doc_id")
    paragraphs["chapter_id"] = paragraphs["section_id"].map(compare.chapters(streetlib.load_sections()))
    matrix, ids, vocab, _ = topics.corpus_matrix(paragraphs, docs)
    covariates = paragraphs.set_index("para_id").loc[ids].reset_index()
    results = {}
    for base in (0, 1):
        seeds = topics.ensemble_seeds(base)
        _, k, _ = topics.choose_k(matrix, vocab, ids, ks=[2, 3], seeds=seeds[: topics.CHOICE_FITS])
        ensemble = topics.fit_ensemble(matrix, vocab, ids, k=k, seeds=seeds)
        prevalence = topics.prevalence(ensemble, covariates, by="street", clusters=("doc_id", "chapter_id"), seed=base)
        results[base] = (k, ensemble, topics.leading_groups(prevalence, by="street").set_index("topic"))
    (_, ens0, _), (_, ens1, _) = results[0], results[1]
    matched = topics.match_topics(ens0.consensus(), ens1.consensus()).set_index("topic_a")
    stable0 = sorted(ens0.stability().query("stable")["topic"])
    return results, matched, stable0


def test_topic_findings_survive_a_change_of_seed(two_seeds) -> None:
    """The same k (of the two k the diagnostics ever rank first), the same number of stable topics, matched
    topics nearly identical (cosine of consensus beta >= 0.9), and the same written findings: which street leads
    each stable topic where its lead is clear, and whether it is."""
    results, matched, stable0 = two_seeds
    (k0, _, lead0), (k1, ens1, lead1) = results[0], results[1]
    assert k0 == k1
    stable1 = set(ens1.stability().query("stable")["topic"])
    assert stable0 and len(stable0) == len(stable1)
    for topic in stable0:
        partner = matched.loc[topic, "topic_b"]
        assert partner in stable1
        assert matched.loc[topic, "similarity"] >= 0.9
        assert lead0.loc[topic, "clear"] == lead1.loc[partner, "clear"]
        if lead0.loc[topic, "clear"]:
            assert lead0.loc[topic, "leader"] == lead1.loc[partner, "leader"]


def test_stable_topics_share_eight_of_ten_top_terms_across_seeds(two_seeds) -> None:
    """Issue 15: the ten terms each stable topic is shown by (its distinctive terms) overlap by at least 80%."""
    _, matched, stable0 = two_seeds
    assert (matched.loc[stable0, "overlap"] >= 0.8).all(), matched.loc[stable0, ["overlap", "terms_a", "terms_b"]]


def test_prevalence_figure_has_a_panel_per_topic_and_n_beside_every_point() -> None:
    from streetlib import plotting

    ids = ["d1:p1", "d1:p2", "d2:p1"]
    ensemble = handmade_ensemble([[[0.2, 0.8], [0.4, 0.6], [0.9, 0.1]]], ids)
    covariates = pd.DataFrame(
        {"para_id": ids, "street": ["A", "A", "B"], "doc_id": ["d1", "d1", "d2"], "chapter_id": ["c1", "c2", "c3"]}
    )
    table = topics.prevalence(ensemble, covariates, by="street", clusters=("doc_id", "chapter_id"), n_boot=50)
    fig = topics.prevalence_figure(table, by="street", groups=["A", "B"], topic_labels={2: "x·y"}, title="t")
    texts = plotting.figure_texts(fig)
    assert len(fig.axes) == 1 and "T2 x·y" in texts
    assert "1 doc · 2 ch · 2 para" in texts and "1 doc · 1 ch · 1 para" in texts
