"""The title block (图签) and legend (图例) of the print plan, drawn in their own axes.

Text is wrapped by display width (a CJK character counts two columns) to the block's width, and the
font shrinks until everything fits, so nothing runs off the sheet or over the map frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from townplan_gis.core.reprs import display_width
from townplan_gis.maps.print_parts import mpl_style
from townplan_gis.maps.styles import StyleClass

__all__ = ["BlockFit", "LegendEntry", "draw_legend", "draw_title_block", "fit_title_block", "wrap"]

_PT_MM = 25.4 / 72


@dataclass(frozen=True)
class LegendEntry:
    """One drawn layer in the legend: its name, geometry kind and the classes drawn."""

    name: str
    geometry: str  # polygon, line or point
    classes: Sequence[StyleClass]


_NO_LINE_START = set("、，。；：？！）」』】》〉…%,.;:)")


def _word(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "-_.:/()")


def _break_at(line: str, ch: str) -> int:
    """Where to cut ``line`` before ``ch``: its end, unless that splits a Latin word or an id
    (``P07-8``), then after the last space or CJK character, or -1 when there is none."""
    if not (line and _word(line[-1]) and _word(ch)):
        return len(line)
    for k in range(len(line) - 1, 0, -1):
        if not (_word(line[k - 1]) and _word(line[k])):
            return k
    return -1


def wrap(text: str, columns: int) -> list[str]:
    """Lines of at most ``columns`` display columns (a CJK character counts two). Breaks between CJK
    characters or at spaces, never inside a Latin word or an id such as ``P07-8`` (unless it is
    longer than a line), and closing punctuation never starts a line."""
    lines: list[str] = []
    for para in str(text).split("\n"):
        line = ""
        for ch in para:
            # Closing punctuation never starts a line (Chinese line-breaking rule): it may overhang.
            if display_width(line + ch) > columns and ch not in _NO_LINE_START:
                cut = _break_at(line, ch)
                if cut < max(1, columns // 4):
                    cut = len(line)
                lines.append(line[:cut].rstrip())
                line = line[cut:].lstrip()
                if ch == " ":
                    continue
            line += ch
        lines.append(line)
    return lines


def _columns(width_mm: float, fontsize: float) -> int:
    # A CJK character is about one em wide: two columns per em.
    return max(8, int(width_mm / (fontsize * _PT_MM) * 2 * 0.92))


@dataclass(frozen=True)
class BlockFit:
    """How the title block fits: font size, wrapped lines, label column width and height (mm)."""

    fontsize: float
    title_lines: list[str]
    cells: list[list[str]]
    label_mm: float
    band_mm: float
    line_mm: float
    height_mm: float


def fit_title_block(
    title: str,
    rows: Sequence[tuple[str, str]],
    *,
    width_mm: float,
    max_height_mm: float,
    fontsize: float,
) -> BlockFit:
    """Wrap the block's text to ``width_mm``, shrinking the font until it fits ``max_height_mm``."""
    fs = fontsize
    while True:
        label_mm = max(display_width(k) for k, _v in rows) * fs * _PT_MM / 2 + 4
        line_mm = fs * _PT_MM * 1.45
        t_lines = wrap(title, _columns(width_mm - 4, fs * 1.35))
        band = len(t_lines) * line_mm * 1.35 + 3
        cells = [wrap(v, _columns(width_mm - label_mm - 3, fs)) for _k, v in rows]
        need = band + sum(len(c) * line_mm + 1.6 for c in cells) + 0.8
        if need <= max_height_mm or fs <= 4.5:
            return BlockFit(fs, t_lines, cells, label_mm, band, line_mm, need)
        fs -= 0.25


def draw_title_block(
    ax: Axes,
    fit: BlockFit,
    *,
    rows: Sequence[tuple[str, str]],
    width_mm: float,
    text_kw: dict[str, Any],
) -> None:
    """Draw the block: the title in a band on top, then one ruled row per (label, value)."""
    height_mm = fit.height_mm
    fs, line_mm, label_w = fit.fontsize, fit.line_mm, fit.label_mm
    ax.set_axis_off()
    ax.set_xlim(0, width_mm)
    ax.set_ylim(0, height_mm)
    ax.add_patch(_box(0, 0, width_mm, height_mm, lw=1.2))
    y = height_mm - 1.5
    for line in fit.title_lines:
        ax.text(
            width_mm / 2,
            y,
            line,
            ha="center",
            va="top",
            fontsize=fs * 1.35,
            fontweight="bold",
            **text_kw,
        )
        y -= line_mm * 1.35
    y = height_mm - fit.band_mm
    ax.plot([0, width_mm], [y, y], color="#111111", linewidth=0.9)
    ax.plot([label_w, label_w], [0, y], color="#111111", linewidth=0.5)
    for (key, _v), cell in zip(rows, fit.cells, strict=True):
        top = y
        ax.text(1.5, top - 0.8, key, ha="left", va="top", fontsize=fs, color="#333333", **text_kw)
        for i, line in enumerate(cell):
            ax.text(
                label_w + 1.5,
                top - 0.8 - i * line_mm,
                line,
                ha="left",
                va="top",
                fontsize=fs,
                **text_kw,
            )
        y = top - len(cell) * line_mm - 1.6
        if y > 1.0:
            ax.plot([0, width_mm], [y, y], color="#111111", linewidth=0.4)


def _box(x: float, y: float, w: float, h: float, *, lw: float) -> Patch:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor="white", edgecolor="#111111", linewidth=lw)


def _handle(geometry: str, style: dict[str, Any]) -> Any:
    kw = mpl_style(style, geometry)
    if geometry == "line":
        return Line2D(
            [],
            [],
            color=kw["color"],
            linewidth=max(kw["linewidth"], 0.8),
            linestyle=kw["linestyle"],
        )
    if geometry == "point":
        size = max(kw["markersize"] ** 0.5, 3.5)
        return Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=size,
            markerfacecolor=kw["color"],
            markeredgecolor=kw["edgecolor"],
            markeredgewidth=0.6,
        )
    return Patch(
        facecolor=kw["facecolor"],
        edgecolor=kw["edgecolor"],
        linewidth=min(kw["linewidth"], 1.6),
        linestyle=kw["linestyle"],
    )


def draw_legend(
    ax: Axes,
    entries: Sequence[LegendEntry],
    *,
    title: str,
    fontsize: float,
    text_kw: dict[str, Any],
) -> Any:
    """A legend of every drawn class, each layer under its name in bold; more columns, then a
    smaller font, until it fits its axes. Returns the matplotlib Legend."""
    ax.set_axis_off()
    handles: list[Any] = []
    labels: list[str] = []
    heads: list[int] = []
    for e in entries:
        single = len(e.classes) == 1 and e.classes[0].label in ("", e.name)
        if single:
            handles.append(_handle(e.geometry, e.classes[0].style))
            labels.append(e.name)
            continue
        heads.append(len(labels))
        handles.append(Line2D([], [], linestyle="none"))
        labels.append(e.name)
        for c in e.classes:
            handles.append(_handle(e.geometry, c.style))
            labels.append(c.label)
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    box = ax.get_window_extent(renderer)
    fs = fontsize
    legend = None
    for ncol in (1, 2, 3, 1, 2, 3, 3, 3):
        if legend is not None:
            legend.remove()
        legend = ax.legend(
            handles,
            labels,
            loc="upper left",
            ncol=ncol,
            frameon=False,
            fontsize=fs,
            title=title,
            title_fontsize=fs * 1.2,
            alignment="left",
            handlelength=2.2,
            handleheight=1.0,
            borderaxespad=0.2,
            columnspacing=1.0,
            labelspacing=0.35,
            prop={"family": text_kw.get("fontfamily"), "size": fs},
        )
        legend.get_title().set_fontweight("bold")
        legend.get_title().set_fontfamily(text_kw.get("fontfamily") or "DejaVu Sans")
        for i in heads:
            legend.get_texts()[i].set_fontweight("bold")
        ext = legend.get_window_extent(renderer)
        if ext.height <= box.height and ext.width <= box.width:
            break
        if ncol == 3:
            fs *= 0.85
    return legend
