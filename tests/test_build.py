"""The build: deterministic, atomic, and the committed tables are what it writes."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
from conftest import REAL_DATA, snapshot

import streetlib.build as build_module
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


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("terminal", "delay", "shown"), [(True, 0.0, True), (False, 0.0, False), (True, 60.0, False)])
def test_a_progress_bar_shows_on_a_terminal_once_the_build_runs_long(
    data_root: Path, monkeypatch: pytest.MonkeyPatch, terminal: bool, delay: float, shown: bool
) -> None:
    err = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(build_module, "PROGRESS_DELAY", delay)
    build(data_root)
    text = err.getvalue()
    assert "[streetlib build] wrote 16 tables" in text  # the plain lines are printed either way
    n_docs = 11
    bar = re.findall(r"\[streetlib build\]: +\d+%.*?(\d+)/(\d+)", text)
    assert bool(bar) == shown, text[-500:]
    if shown:
        stages = sum(s.per_document for s in build_module.STAGES)
        assert bar[-1][1] == str(stages * n_docs)  # one step per document stage and document


def test_no_progress_bar_when_progress_is_off(data_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(build_module, "PROGRESS_DELAY", 0.0)
    build(data_root, progress=False)
    assert err.getvalue() == ""
