"""Figures render Chinese without missing glyphs and are saved reproducibly."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from streetlib import plotting

LABELS = ["长白新村街道", "新江湾城街道", "长寿路街道", "古美路街道"]


def chinese_figure():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(LABELS, [3, 1, 1, 1])
    ax.set_title("文档数量(按街道)· 一网统管、“美丽家园”")
    ax.set_xlabel("街道")
    ax.set_ylabel("数量 −1")
    return fig


def test_chinese_labels_render_without_missing_glyphs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with warnings.catch_warnings(), caplog.at_level("WARNING", logger="matplotlib"):
        warnings.simplefilter("error")  # a missing glyph is a UserWarning from matplotlib
        fig = chinese_figure()
        plotting.save_figure(fig, "99_glyph_check", directory=tmp_path)
    plt.close(fig)
    assert not [r.getMessage() for r in caplog.records if "findfont" in r.getMessage()]


def test_missing_glyphs_are_detected_without_the_cjk_font(tmp_path: Path) -> None:
    """The check above can fail: DejaVu Sans alone has no CJK glyphs."""
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        fig = chinese_figure()
        with pytest.warns(UserWarning, match="missing from font"):
            fig.savefig(tmp_path / "x.png")
    plt.close(fig)


def test_save_figure_is_byte_reproducible(tmp_path: Path) -> None:
    outputs = []
    for run in ("a", "b"):
        fig = chinese_figure()
        paths = plotting.save_figure(fig, "99_repro", directory=tmp_path / run)
        plt.close(fig)
        outputs.append({p.name: p.read_bytes() for p in paths})
    assert sorted(outputs[0]) == ["99_repro.png", "99_repro.svg"]
    assert outputs[0] == outputs[1]
    assert b"<dc:date>" not in outputs[0]["99_repro.svg"]


def test_figure_name_must_carry_the_notebook_number(tmp_path: Path) -> None:
    fig = chinese_figure()
    with pytest.raises(ValueError, match="NN_"):
        plotting.save_figure(fig, "timeline", directory=tmp_path)
    plt.close(fig)
