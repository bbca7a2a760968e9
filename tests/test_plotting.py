"""Figures render Chinese without missing glyphs and are saved reproducibly."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
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


def rotated_label_figure():
    """Long rotated Chinese tick labels: a note at a fixed position would overprint them."""
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(LABELS, [3, 1, 1, 1])
    ax.set_xlabel("街道")
    plt.setp(ax.get_xticklabels(), rotation=90)
    return fig, ax


def foot_clashes(fig, note) -> list[str]:
    """Tick labels and axis labels whose drawn box intersects the note's box."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = note.get_window_extent(renderer)
    clashes = []
    for ax in fig.axes:
        for label in [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.xaxis.label, ax.yaxis.label]:
            if label.get_text() and label.get_window_extent(renderer).overlaps(box):
                clashes.append(label.get_text())
    return clashes


def the_note(fig):
    notes = [t for t in fig.artists if t.get_gid() == plotting.SOURCE_NOTE_GID]
    assert len(notes) == 1
    return notes[0]


def test_source_note_text_in_both_languages() -> None:
    fig, _ = rotated_label_figure()
    plotting.source_note(fig, "长白新村 2021–2023 行动计划, 行 120–380", 257)
    assert the_note(fig).get_text() == "资料来源: 长白新村 2021–2023 行动计划, 行 120–380; n = 257"
    plotting.source_note(fig, "Changbai 2021-2023 action plan, lines 120-380", "257 rows, 96 tasks", lang="en")
    assert the_note(fig).get_text() == "Source: Changbai 2021-2023 action plan, lines 120-380; n = 257 rows, 96 tasks"
    plotting.source_note(fig, "上海市统计局")
    assert the_note(fig).get_text() == "资料来源: 上海市统计局"  # no n given, none shown
    with pytest.raises(ValueError, match="lang"):
        plotting.source_note(fig, "x", lang="fr")
    plt.close(fig)


def test_source_note_sits_below_tick_labels_inside_the_saved_figure(tmp_path: Path) -> None:
    fig, ax = rotated_label_figure()
    plotting.source_note(fig, "长白新村 2021–2023 行动计划, 行 120–380", 257)
    note = the_note(fig)
    assert foot_clashes(fig, note) == []
    renderer = fig.canvas.get_renderer()
    box = note.get_window_extent(renderer)
    assert box.y1 < ax.get_tightbbox(renderer).y0  # under every axes label, not beside them
    saved = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)  # what bbox="tight" writes
    assert saved.x0 <= box.x0 and box.x1 <= saved.x1 and saved.y0 <= box.y0 and box.y1 <= saved.y1
    plt.close(fig)


def test_source_note_follows_labels_changed_after_the_call() -> None:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(LABELS, [3, 1, 1, 1])
    plotting.source_note(fig, "长白新村", 4)
    ax.set_xlabel("街道\n(第二行)")
    plt.setp(ax.get_xticklabels(), rotation=90)
    assert foot_clashes(fig, the_note(fig)) == []
    plt.close(fig)


def test_overlap_check_can_fail() -> None:
    """A note drawn at a fixed spot in the figure's corner does overprint the rotated labels."""
    fig, _ = rotated_label_figure()
    naive = fig.text(0.5, 0.05, "资料来源: 长白新村 2021–2023 行动计划; n = 257", ha="center", fontsize=7.5)
    assert foot_clashes(fig, naive)
    plt.close(fig)


def test_source_note_renders_chinese_without_missing_glyphs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with warnings.catch_warnings(), caplog.at_level("WARNING", logger="matplotlib"):
        warnings.simplefilter("error")
        fig, _ = rotated_label_figure()
        plotting.source_note(fig, "长白新村街道 · 古美路街道“十四五”规划, 行 69、649", "2 份文件")
        plotting.save_figure(fig, "99_source_note", directory=tmp_path)
    plt.close(fig)
    assert not [r.getMessage() for r in caplog.records if "findfont" in r.getMessage()]


def test_source_lines_name_documents_and_lines() -> None:
    rows = pd.DataFrame(
        {
            "doc_id": ["report", "report", "summary", "plan", "plan", "plan"],
            "line_start": [2389, 2434, 25, 152, 155, 159],
            "line_end": [2389, 2434, 25, 154, 157, 161],
        }
    )
    assert plotting.source_lines(rows) == "plan 行 152–161; report 行 2389, 2434; summary 行 25"
    assert plotting.source_lines(rows.iloc[:2], lang="en") == "report lines 2389, 2434"


def test_reference_lines_are_labelled_in_the_legend_not_on_the_bars() -> None:
    fig = plotting.bar_chart(pd.Series({"甲路": 300.0, "乙路": 210.0}), title="租金", xlabel="元")
    ax = fig.axes[0]
    plotting.reference_line(ax, 318.36, "报告平均")
    plotting.reference_line(ax, 284.35, "按面积加权", linestyle=":")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["报告平均: 318.36", "按面积加权: 284.35"]
    values = [t for t in ax.texts if t.get_text() == "300"]
    assert values and values[0].get_bbox_patch().get_facecolor()[:3] == (1.0, 1.0, 1.0)  # the line passes behind
    plt.close(fig)


def test_bilingual_titles_come_from_the_glossary() -> None:
    assert plotting.bilingual("基层党建") == "基层党建 · Party building"


def test_colour_legend_shows_each_group_in_its_colour() -> None:
    fig, ax = plt.subplots()
    colours = {
        "长白新村街道": plotting.PALETTE[0],
        "古美路街道": plotting.PALETTE[1],
        "长寿路街道": plotting.PALETTE[2],
    }
    ax.barh(["a", "b", "c"], [1, 2, 3], color=list(colours.values()))
    plotting.colour_legend(ax, colours, title="街道")
    legend = ax.get_legend()
    shown = [matplotlib.colors.to_hex(h.get_facecolor()) for h in legend.legend_handles]
    assert [t.get_text() for t in legend.get_texts()] == list(colours)
    assert shown == [c.lower() for c in colours.values()]
    plt.close(fig)
