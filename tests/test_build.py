"""The build: deterministic, atomic, and the committed tables are what it writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REAL_DATA, snapshot

from streetlib import config, load_documents
from streetlib.build import build
from streetlib.errors import ManifestError
from streetlib.manifest import read_corpus


def test_two_builds_are_byte_identical(data_root: Path) -> None:
    build(data_root, progress=False)
    first = snapshot(config.processed_dir(data_root))
    build(data_root, progress=False)
    assert snapshot(config.processed_dir(data_root)) == first
    assert first, "the build wrote nothing"


def test_committed_processed_tables_match_a_fresh_build(data_root: Path) -> None:
    build(data_root, progress=False)
    fresh = snapshot(config.processed_dir(data_root))
    committed = snapshot(REAL_DATA / "processed")
    assert sorted(committed) == sorted(fresh), "run `make build` and commit data/processed"
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert not stale, f"data/processed is stale for {stale}: run `make build` and commit"


def test_build_leaves_no_staging_folders(data_root: Path) -> None:
    build(data_root, progress=False)
    build(data_root, progress=False)
    assert not list(data_root.glob(".processed-*"))


def test_documents_contract(data_root: Path) -> None:
    build(data_root, progress=False)
    docs = load_documents(root=data_root)
    corpus = read_corpus(config.raw_dir(data_root))
    assert len(docs) >= 9
    assert docs["doc_id"].is_unique
    for row in docs.itertuples():
        n_lines = len(corpus.lines[row.source_file])
        assert 1 <= row.line_start <= row.line_end <= n_lines, row.doc_id
        assert row.n_lines == row.line_end - row.line_start + 1
    # documents of one source never overlap
    for _, group in docs.sort_values("line_start").groupby("source_file"):
        assert (group["line_start"].iloc[1:].to_numpy() > group["line_end"].iloc[:-1].to_numpy()).all()
    # every manifest document, every street
    assert set(docs["street"]) == {"长白新村街道", "新江湾城街道", "长寿路街道", "古美路街道"}
    # a source's url and its retrieval date are recorded together, or both left empty (with a url_note)
    assert docs.drop(columns=["url", "retrieved"]).notna().all().all()
    assert (docs["url"].notna() == docs["retrieved"].notna()).all()


# --- the swap: interrupts, leftovers, permissions, links, locks ------------------------------------


def test_a_retired_set_left_by_a_kill_is_restored_before_anything_else(data_root: Path) -> None:
    build(data_root, progress=False)
    processed = config.processed_dir(data_root)
    before = snapshot(processed)
    processed.rename(data_root / ".processed-old")  # killed between the two renames of the swap
    (data_root / ".processed-new-stale").mkdir()
    manifest = data_root / "raw" / config.MANIFEST_NAME
    manifest.write_text(manifest.read_text(encoding="utf-8") + "\n[[documents]\n", encoding="utf-8")
    with pytest.raises(ManifestError):
        build(data_root, progress=False)
    assert snapshot(processed) == before
    assert not list(data_root.glob(".processed-*"))


# Interrupts, kills, locks, permissions and links of the swap: tests/test_swap.py.
