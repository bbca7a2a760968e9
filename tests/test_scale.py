"""Parallel, distributed and cached segmentation give the serial result (speed is in benchmarks/)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import streetlib
from streetlib import config, scale, text


@pytest.fixture(scope="module")
def paragraphs():
    return streetlib.load_paragraphs()[["doc_id", "para_id", "text"]]


def serial_matrix(paragraphs, min_df: int = 2):
    tokens = text.content_tokens(text.tokenize(paragraphs, use_cache=False))
    return text.document_term_matrix(tokens, by="para_id", min_df=min_df)


def test_worker_processes_give_the_serial_tokens(paragraphs) -> None:
    texts = paragraphs["text"].tolist()
    serial = text.segment_many(texts)
    assert serial == [text.segment(t) for t in texts]
    parallel = text.segment_many(texts, n_jobs=2, chunk_chars=20_000, workers="always")
    assert parallel == serial
    assert text.segment_many(texts[:40], n_jobs=2, pos=True, chunk_chars=2_000, workers="always") == [
        text.segment_pos(t) for t in texts[:40]
    ]


class NeverDelivers:
    """An executor whose workers never finish a chunk (a worker still starting, or a busy machine)."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, function, *args):
        from concurrent.futures import Future

        self.submitted += 1
        return Future()


def test_chunks_a_worker_has_not_finished_are_segmented_here(paragraphs, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = paragraphs["text"].head(60).tolist()
    stuck = NeverDelivers()
    monkeypatch.setattr(text, "_executor", lambda n_workers: stuck)
    assert text.segment_many(texts, n_jobs=2, chunk_chars=1_000, workers="always") == text.segment_many(texts)
    assert stuck.submitted >= 2, "chunks were handed to the worker, and taken back"


def test_small_inputs_and_busy_machines_start_no_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(n_workers):
        raise AssertionError("a worker was started for a few milliseconds of work")

    monkeypatch.setattr(text, "_executor", refuse)
    monkeypatch.setattr(text, "_EXECUTORS", {})
    texts = ["推进一网统管,完善生命通道。"] * 20
    assert text.segment_many(texts, n_jobs=2, chunk_chars=30) == [text.segment(t) for t in texts]
    monkeypatch.setattr(text, "_free_cores", lambda: 0)  # a busy machine: a worker would only take others' time
    assert text.segment_many(texts * 2000, n_jobs=2) == [text.segment(t) for t in texts * 2000]
    with pytest.raises(ValueError, match="workers"):
        text.segment_many(texts, workers="sometimes")


def test_tokenize_in_parallel_equals_serial(paragraphs, tmp_path: Path) -> None:
    serial = text.tokenize(paragraphs, use_cache=False)
    parallel = text.tokenize(paragraphs, n_jobs=2, cache_folder=tmp_path)  # workers only if they would win
    assert parallel.equals(serial)


def test_the_segmenter_is_picklable_and_carries_its_dictionary() -> None:
    import pickle

    segmenter = text.segmenter()
    copy = pickle.loads(pickle.dumps(segmenter))
    assert copy == segmenter and "一网统管" in copy.terms
    assert copy("推进一网统管") == text.segment("推进一网统管")


def test_dask_two_pass_matrix_equals_the_serial_one(paragraphs) -> None:
    distributed = pytest.importorskip("distributed")
    expected, expected_ids, expected_vocabulary = serial_matrix(paragraphs)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        matrix, ids, vocabulary = scale.document_term_matrix(paragraphs, scheduler=client, npartitions=7)
    assert vocabulary == expected_vocabulary
    assert ids == expected_ids
    assert matrix.shape == expected.shape and (matrix != expected).nnz == 0


def test_dask_local_schedulers_agree(paragraphs) -> None:
    sample = paragraphs.head(60)
    expected = serial_matrix(sample)
    for scheduler in ("sync", "threads"):
        matrix, ids, vocabulary = scale.document_term_matrix(sample, scheduler=scheduler, npartitions=4)
        assert (ids, vocabulary) == expected[1:]
        assert np.array_equal(matrix.toarray(), expected[0].toarray())


def test_a_warm_cache_segments_nothing_and_a_dictionary_change_invalidates_it(
    paragraphs, data_root: Path, tmp_path: Path
) -> None:
    shutil.copytree(config.PROJECT_ROOT / "data" / "processed", data_root / "processed")
    first = text.tokenize(paragraphs, cache_folder=tmp_path, root=data_root)
    assert text.tokenize.last_cache.misses == paragraphs["text"].nunique()
    again = text.tokenize(paragraphs, cache_folder=tmp_path, root=data_root)
    assert text.tokenize.last_cache.misses == 0 and again.equals(first)
    with (data_root / "lexicon" / "user_dict.txt").open("a", encoding="utf-8") as handle:
        handle.write("治理现代化\n")
    changed = text.tokenize(paragraphs, cache_folder=tmp_path, root=data_root)
    assert text.tokenize.last_cache.misses == paragraphs["text"].nunique()
    assert "治理现代化" in set(changed["token"])


def test_dictionary_terms_keep_their_tag_on_every_call() -> None:
    """jieba's POSTokenizer consumes the user-word tag table on first use; one tagger per engine."""
    sentence = "完成第七次人口普查,推进一网统管。"
    first, second = text.segment_pos(sentence), text.segment_pos(sentence)
    assert first == second
    assert ("一网统管", "nz") in second


def test_token_comparison_known_answers() -> None:
    hyphenated = text._compare_tokens(["2021", "-", "2023", "年"], ["2021-2023", "年"])
    assert hyphenated == (1, [("2021 / - / 2023", "2021-2023")])
    assert text._compare_tokens(["ab", "c"], ["a", "bc"]) == (0, [("ab / c", "a / bc")])
    assert text._compare_tokens(["a", "b"], ["a", "b"]) == (2, [])
    assert text._compare_tokens(["a"], ["b"]) == (0, [("a", "b")])


@pytest.mark.parametrize("backend", ["jieba_fast", "rjieba"])
def test_agreement_report_of_a_fast_backend(paragraphs, backend: str) -> None:
    pytest.importorskip(backend)
    texts = paragraphs["text"].head(80).tolist()
    summary, spans = text.agreement(texts, backend)
    assert summary["jieba_tokens"] == sum(len(text.segment(t)) for t in texts)
    assert (
        summary["agreeing_tokens"] + spans["jieba"].str.count(" / ").add(1).mul(spans["count"]).sum()
        == (summary["jieba_tokens"])
    )
    if backend == "jieba_fast":  # jieba's algorithm in C: the same tokens
        assert summary["token_agreement"] == 1.0 and spans.empty


def test_a_cached_topic_model_equals_a_fresh_fit(paragraphs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streetlib import topics

    monkeypatch.setenv("STREETLIB_CACHE", str(tmp_path))
    matrix, ids, vocabulary = serial_matrix(paragraphs.head(120))
    fresh = topics.fit(matrix, vocabulary, ids, k=4, seed=3, cache=False)
    first = topics.fit(matrix, vocabulary, ids, k=4, seed=3)
    assert list((tmp_path / "models").rglob("output.pkl")), "the fit was stored"
    again = topics.fit(matrix, vocabulary, ids, k=4, seed=3)
    for model in (first, again):
        assert model.beta.equals(fresh.beta) and model.gamma.equals(fresh.gamma)
    other = topics.fit(matrix, vocabulary, ids, k=4, seed=4)
    assert not other.beta.equals(fresh.beta), "another seed is another entry"
