"""Provenance: every flag cites the raw lines of what it quotes; every check carries its lines."""

from __future__ import annotations

import pandas as pd
import pytest

import streetlib
from streetlib import config
from streetlib.clean import normalise


@pytest.fixture(scope="module")
def flags() -> pd.DataFrame:
    return pd.read_csv(config.processed_dir() / "quality_flags.csv", dtype=str, keep_default_na=False)


def _lines(source: str) -> list[str]:
    return (config.raw_dir() / source).read_text(encoding="utf-8").split("\n")


def test_every_flag_quotes_text_found_on_the_lines_it_cites(flags: pd.DataFrame) -> None:
    lines = {source: _lines(source) for source in flags["source_file"].unique()}
    wrong = []
    for flag in flags.itertuples():
        assert flag.line_start and flag.line_end, flag
        cited = lines[flag.source_file][int(flag.line_start) - 1 : int(flag.line_end)]
        raw, clean = "".join(cited), "".join(normalise(line) for line in cited).replace(" ", "")
        if flag.kind == "hidden_characters" or (flag.found.startswith("(") and flag.found.endswith(")")):
            continue  # names characters (U+200B), or says there is nothing to quote
        parts = flag.found.split(" / ") if flag.kind == "table_header_repaired" else [flag.found]
        if not all(p in raw or p.replace(" ", "") in clean for p in parts):
            wrong.append((flag.kind, flag.line_start, flag.line_end, flag.found))
    assert wrong == []


def test_a_displaced_title_flag_cites_the_title_line_and_names_the_table(flags: pd.DataFrame) -> None:
    displaced = flags[(flags["kind"] == "table_title_displaced") & flags["found"].str.startswith("表")]
    assert len(displaced) == 7
    lines = _lines("changbai_2021-2023_action_plan_bundle.txt")
    for flag in displaced.itertuples():
        assert flag.line_start == flag.line_end
        assert lines[int(flag.line_start) - 1].startswith(flag.found[:3])
        assert "the table at lines " in flag.note
    first = displaced.iloc[0]
    assert (first["line_start"], first["found"][:3]) == ("327", "表2:")
    assert first["note"].startswith("the table at lines 328-436 is assigned by order")


def test_report_checks_carry_their_lines() -> None:
    checks = streetlib.load_report_checks()
    assert checks["line_start"].notna().all() and checks["line_end"].notna().all()
