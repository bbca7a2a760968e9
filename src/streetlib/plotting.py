"""Figures that render Chinese on a fresh machine, in one house style.

Importing this module registers Noto Sans CJK SC (shipped inside the ``mplfonts``
wheel, so no system font or manual step is needed) and applies the house theme.
:func:`save_figure` writes ``figures/<name>.png`` and ``.svg`` reproducibly:
no timestamps or version strings in the files, fixed SVG ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path

import matplotlib as mpl
import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

from streetlib import config, labels
from streetlib.errors import LabelError
from streetlib.labels import check_lang, has_han

FONT_FILE = "NotoSansCJKsc-Regular.otf"
FIGURE_NAME = re.compile(r"^\d\d_[a-z0-9_]+$")
SOURCE_NOTE_GID = "streetlib-source-note"
SOURCE_WORD = {"zh": "资料来源", "en": "Source"}
PALETTE = ("#1b6a8f", "#d9822b", "#3c8d5a", "#b33951", "#6c5b9b", "#8c6d46", "#5f7a87", "#c9a227")


LEGEND_ROWS = 16  # entries per legend column before the legend grows another column


def street_palette(streets: Iterable[str]) -> dict[str, str]:
    """One colour per street, in sorted order, for a corpus of any size.

    Up to eight streets get the house palette. More get HUSL hues (equally spaced, equally saturated)
    in two lightness levels, a dark and a light one taking turns, so neighbours in a legend differ in
    both hue and lightness and colours stay apart as the corpus grows.

    >>> street_palette(["古美路街道", "长寿路街道"])
    {'古美路街道': '#1b6a8f', '长寿路街道': '#d9822b'}
    """
    import seaborn as sns

    names = sorted(set(streets))
    if len(names) <= len(PALETTE):
        return dict(zip(names, PALETTE, strict=False))
    k = -(-len(names) // 2)
    dark = sns.husl_palette(k, l=0.45, s=0.9).as_hex()
    light = sns.husl_palette(k, h=0.01 + 0.5 / k, l=0.75, s=0.9).as_hex()
    colours = [c for pair in zip(dark, light, strict=True) for c in pair]
    return dict(zip(names, colours, strict=False))


def rows_height(n_rows: int, *, per_row: float = 0.32, base: float = 1.2, minimum: float = 3.0) -> float:
    """Figure height (inches) for ``n_rows`` horizontal bars or y-axis labels, never below ``minimum``."""
    return max(minimum, base + per_row * n_rows)


def street_legend(ax, palette: dict[str, str], *, title: str = "街道", loc: str = "lower right") -> None:
    """A legend of coloured patches, one per street: inside the axes (at ``loc``) for up to eight
    streets, outside to the right, in as many columns as needed, for more."""
    from matplotlib.patches import Patch

    handles = [Patch(color=colour, label=street) for street, colour in palette.items()]
    if len(handles) <= len(PALETTE):
        ax.legend(handles=handles, title=title, loc=loc)
    else:
        ncol = -(-len(handles) // LEGEND_ROWS)
        ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(1.01, 1), ncol=ncol, fontsize=8)


def cjk_font_path() -> Path:
    """The bundled CJK font file."""
    return Path(str(files("mplfonts") / "fonts" / FONT_FILE))


def register_cjk_font() -> str:
    """Add the bundled CJK font to matplotlib; return its family name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def use_house_style() -> None:
    """Apply the house theme: CJK font first, light grid, muted palette."""
    family = register_cjk_font()
    mpl.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [family, "DejaVu Sans"],
            "axes.unicode_minus": False,  # the CJK font's hyphen reads better than U+2212
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.color": "#dddddd",
            "grid.linewidth": 0.6,
            "axes.axisbelow": True,
            "axes.titleweight": "normal",  # the bundled CJK font has no bold face
            "axes.titlesize": 13,
            "axes.labelsize": 10,
            "xtick.labelsize": 9,
            "ytick.labelsize": 9,
            "legend.frameon": False,
            "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "svg.hashsalt": "streetlib",  # fixed ids make SVG output byte-reproducible
            "svg.fonttype": "path",
        }
    )


def save_figure(fig: Figure, name: str, *, lang: str = "zh", directory: Path | None = None) -> list[Path]:
    """Write ``fig`` as ``<name>.png`` and ``<name>.svg``; return the paths.

    Parameters
    ----------
    fig
        The figure to save.
    name
        ``NN_name``: the notebook number and a snake_case name, e.g. ``"00_timeline"``.
    lang
        ``"en"`` refuses (before writing anything) a figure that still shows Chinese.
    directory
        Where to write (default: ``$STREETLIB_FIGURES`` or the project's ``figures/``).
    """
    if not FIGURE_NAME.match(name):
        raise ValueError(f"figure name {name!r} must look like '00_corpus_timeline' (NN_ + snake_case).")
    check_language(fig, lang)
    directory = directory or config.figures_dir()
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext, metadata in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        path = directory / f"{name}.{ext}"
        fig.savefig(path, format=ext, metadata=metadata)
        paths.append(path)
    return paths


use_house_style()


def figure_texts(fig: Figure) -> list[str]:
    """Every visible non-empty text of a figure: titles, labels, tick labels, legends, notes."""
    fig.canvas.draw()  # tick labels exist only once the figure is drawn
    found = []
    for artist in fig.findobj(Text):
        if artist.get_visible() and artist.get_text().strip():
            found.append(artist.get_text())
    return found


def check_language(fig: Figure, lang: str) -> None:
    """Raise LabelError if an English figure (``lang="en"``) shows any Chinese text."""
    if check_lang(lang) == "zh":
        return
    chinese = sorted({t for t in figure_texts(fig) if has_han(t)})
    if chinese:
        raise LabelError(
            f"an English figure would show untranslated labels {chinese}: add them to "
            'data/lexicon/glossary.csv or pass the text as {"zh": ..., "en": ...}.'
        )


def bar_chart(
    values: pd.Series,
    *,
    title: labels.Text,
    xlabel: labels.Text,
    derived: Iterable[str] = (),
    note: labels.Text | None = None,
    color: str = PALETTE[0],
    lang: str = "zh",
) -> Figure:
    """A horizontal bar chart of a labelled series, largest on top.

    Bars named in ``derived`` (numbers the source leaves implicit) are hatched and
    lighter, so a redrawn figure shows what was read and what was inferred. Texts are
    strings (translated by the glossary for ``lang="en"``) or ``{"zh": …, "en": …}``.
    """
    import matplotlib.pyplot as plt

    derived = {labels.translate(d, lang) for d in derived}
    ordered = labels.relabel(values, lang).sort_values()
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(ordered) + 1.4))
    bars = ax.barh(ordered.index.astype(str), ordered.to_numpy(), color=color)
    for bar, label in zip(bars, ordered.index, strict=True):
        if label in derived:
            bar.set_alpha(0.45)
            bar.set_hatch("//")
        ax.annotate(
            f"{bar.get_width():g}",
            xy=(bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            zorder=4,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6},  # reference lines pass behind the number
        )
    ax.set_xlabel(labels.text(xlabel, lang))
    ax.set_title(labels.text(title, lang))
    ax.set_xlim(0, ordered.max() * 1.15)
    if note:
        add_note(ax, labels.text(note, lang))
    check_language(fig, lang)
    return fig


def heatmap(
    matrix: pd.DataFrame,
    *,
    title: labels.Text,
    xlabel: labels.Text = "",
    ylabel: labels.Text = "",
    fmt: str = "d",
    cmap: str = "Blues",
    ax=None,
    lang: str = "zh",
) -> Figure:
    """An annotated heatmap of a labelled matrix (rows and columns translated for ``lang="en"``)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    matrix = labels.relabel(matrix, lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.75 * matrix.shape[1], 1.2 + 0.4 * matrix.shape[0]))
    sns.heatmap(matrix, annot=True, fmt=fmt, cmap=cmap, cbar=False, ax=ax)
    ax.set_title(labels.text(title, lang))
    ax.set_xlabel(labels.text(xlabel, lang))
    ax.set_ylabel(labels.text(ylabel, lang))
    check_language(ax.figure, lang)
    return ax.figure


def add_note(ax, note: str) -> None:
    """A small grey note under an axes' x label (kept inside the saved figure by the tight bbox)."""
    ax.annotate(
        note,
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -36),
        textcoords="offset points",
        fontsize=7.5,
        color="#555555",
        ha="left",
        va="top",
    )


def source_note(fig: Figure, source: str, n: str | int | None = None, *, lang: str = "zh") -> None:
    """Draw one "资料来源: …; n = …" line ("Source: …; n = …" in English) at the figure's foot.

    The line is anchored at draw time just below everything else the figure draws (axes with
    their tick and axis labels, notes, figure legends), so it never overprints them, even when
    labels change after the call; the tight bounding box of :func:`save_figure` keeps it inside
    the saved file. Calling it again replaces the line: one source line per figure.

    Parameters
    ----------
    fig
        The figure to annotate.
    source
        Documents and lines, or the official source, e.g. ``"长白新村 2021–2023 行动计划, 行 120–380"``.
    n
        What the figure counts, e.g. ``257`` or ``"257 行, 96 项任务"``; left out when ``None``.
    lang
        ``"zh"`` or ``"en"`` (the word before the colon). An English figure refuses Chinese text
        when saved, so give it an English ``source``.
    """
    word = SOURCE_WORD[check_lang(lang)]
    line = f"{word}: {source}" if n is None else f"{word}: {source}; n = {n}"
    for old in [a for a in fig.artists if a.get_gid() == SOURCE_NOTE_GID]:
        old.remove()
    note = Annotation(
        line,
        xy=(0, 0),
        xycoords=lambda renderer: _drawn_area(fig, renderer),
        xytext=(0, -6),
        textcoords="offset points",
        fontsize=7.5,
        color="#555555",
        ha="left",
        va="top",
        annotation_clip=False,
    )
    note.set_gid(SOURCE_NOTE_GID)
    fig.add_artist(note)


def _drawn_area(fig: Figure, renderer) -> Bbox:
    """The display-space box around the figure's axes (with labels) and its other texts and legends."""
    boxes = [ax.get_tightbbox(renderer) for ax in fig.axes if ax.get_visible()]
    for artist in [*fig.texts, *fig.legends, *fig.artists]:
        if artist.get_gid() != SOURCE_NOTE_GID and artist.get_visible():
            boxes.append(artist.get_window_extent(renderer))
    boxes = [b for b in boxes if b is not None and b.width > 0]
    return Bbox.union(boxes) if boxes else fig.bbox


def reference_line(ax, value: float, label: str, *, linestyle: str = "--", axis: str = "x") -> None:
    """A labelled reference line (in the legend, with its value), drawn behind bars' value labels.

    Two reference lines close together stay readable because their labels are in the legend,
    not written beside the lines where they would overprint each other or the bars.
    """
    draw = ax.axvline if axis == "x" else ax.axhline
    draw(value, color="#333333", linestyle=linestyle, linewidth=1, zorder=3, label=f"{label}: {value:g}")
    ax.legend(loc="lower right", fontsize=8, framealpha=0.9, frameon=True, edgecolor="none")


def bilingual(zh: str) -> str:
    """``"中文 · English"``: a figure title in both languages, the English from the glossary."""
    return f"{zh} · {labels.translate(zh, 'en')}"


def source_lines(rows: pd.DataFrame, *, lang: str = "zh") -> str:
    """Documents and raw lines of the rows a figure draws: ``"doc_id 行 12, 15; other_doc 行 3–40"``.

    ``rows`` needs ``doc_id`` and ``line_start`` (``line_end`` when present). Up to four distinct lines
    are listed; more are given as a range.
    """
    word = {"zh": "行", "en": "lines"}[check_lang(lang)]
    parts = []
    for doc_id, group in rows.groupby("doc_id", sort=True):
        ends = group["line_end"] if "line_end" in group else group["line_start"]
        lines = sorted({int(x) for x in pd.concat([group["line_start"], ends]).dropna()})
        if not lines:
            parts.append(str(doc_id))
        elif len(lines) <= 4:
            parts.append(f"{doc_id} {word} {', '.join(map(str, lines))}")
        else:
            parts.append(f"{doc_id} {word} {lines[0]}–{lines[-1]}")
    return "; ".join(parts)


def colour_legend(ax, colours: dict[str, str], *, title: str | None = None, loc: str = "lower right") -> None:
    """A legend with one coloured patch per label, for bars coloured by group.

    Built from explicit patches: legend entries taken from empty bar containers (``ax.barh([], [],
    color=c, label=…)``) all show the colour cycle's first colour, so a four-street legend reads as one.
    """
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(facecolor=c, label=label) for label, c in colours.items()], title=title, loc=loc)
