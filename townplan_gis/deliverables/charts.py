"""Charts of the report: each indicator against its target, and a small static map of one project.

Rendered with matplotlib's object API (``Figure`` + Agg canvas, no pyplot state, safe in threads and
notebooks) to PNG bytes that the HTML embeds as ``data:`` URIs. Chinese labels are drawn in the CJK font
:func:`townplan_gis.core.fonts.cjk_font` finds (Debian ``fonts-noto-cjk``); without one a Chinese chart
raises :class:`~townplan_gis.core.fonts.FontMissingError` naming the fix instead of coming out in English.
"""

from __future__ import annotations

import io
import logging
import math
from typing import Any

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from townplan_gis.core.fonts import cjk_font, font_family
from townplan_gis.core.reprs import (
    COLOURS,
    comparator_symbol,
    display_width,
    fmt_number,
    unit_label,
)

__all__ = ["cjk_font", "indicator_charts", "png_data_uri", "project_map_png"]

log = logging.getLogger(__name__)


def _figure(w_in: float, h_in: float) -> Figure:
    fig = Figure(figsize=(w_in, h_in), dpi=110)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure, *, tight: bool = True) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight" if tight else None)
    return buf.getvalue()


def _shorten(text: str, width: int) -> str:
    """Cut a title to ``width`` display columns (CJK characters count 2), ending with …."""
    if display_width(text) <= width:
        return text
    out = ""
    for ch in text:
        if display_width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def png_data_uri(png: bytes) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _font_kw(lang: str = "zh") -> dict[str, Any]:
    return {"fontfamily": font_family(lang)}


def indicator_charts(
    table: pd.DataFrame, *, lang: str = "zh", per_figure: int = 12, ncols: int = 3
) -> list[bytes]:
    """Small multiples, one panel per indicator with a numeric target: the value as a bar, the target
    as a dashed line, coloured by status. Each figure holds ``per_figure`` panels (one A4 page).

    Parameters
    ----------
    table : DataFrame
        From :func:`townplan_gis.deliverables.tables.scorecard_table` (``name``, ``value``, ``target``,
        ``comparator``, ``status``, ``unit``).

    Returns
    -------
    list of bytes
        PNG images (empty when no indicator has a numeric target and value).
    """
    use_zh = lang == "zh"
    rows = table[pd.to_numeric(table["target"], errors="coerce").notna()]
    if not len(rows):
        return []
    images = []
    for start in range(0, len(rows), per_figure):
        chunk = rows.iloc[start : start + per_figure]
        nrows = math.ceil(len(chunk) / ncols)
        fig = _figure(7.2, 1.25 * nrows + 0.2)
        kw = _font_kw(lang)
        for i, (_, r) in enumerate(chunk.iterrows()):
            ax = fig.add_subplot(nrows, ncols, i + 1)
            target = float(r["target"])
            value = pd.to_numeric(pd.Series([r["value"]]), errors="coerce").iloc[0]
            colour = COLOURS["status"].get(str(r["status"]), "#6e7781")
            name = r["name_zh"] if use_zh else r["name_en"]
            unit = unit_label(r.get("unit"), "zh" if use_zh else "en")
            title = f"{name} ({unit})" if unit else str(name)
            ax.set_title(_shorten(title, 34), fontsize=7.5, **kw)
            if pd.notna(value):
                ax.barh([0], [value], color=colour, height=0.6)
                ax.text(value, 0, " " + fmt_number(value, r.get("unit")), va="center", fontsize=7)
            else:
                ax.text(0.5, 0.5, "无数据" if use_zh else "no data", transform=ax.transAxes,
                        ha="center", va="center", fontsize=7, color="#6e7781", **kw)  # fmt: skip
            ax.axvline(target, color="#222", linestyle="--", linewidth=1)
            ax.text(target, 0.5, f"{comparator_symbol(r['comparator'])} {fmt_number(target, r.get('unit'))}",
                    fontsize=6.5, ha="center", va="bottom", color="#222", **kw,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})  # fmt: skip
            hi = max(target, value if pd.notna(value) else 0) * 1.3 or 1.0
            # a little room left of zero so a target of 0 (e.g. "≤ 0 approvals") stays readable
            ax.set_xlim(min(0, value if pd.notna(value) else 0) - 0.06 * hi, hi)
            ax.set_ylim(-0.6, 0.9)
            ax.set_yticks([])
            ax.tick_params(axis="x", labelsize=6)
            ax.xaxis.set_major_locator(MaxNLocator(4))
            for side in ("top", "right", "left"):
                ax.spines[side].set_visible(False)
        # A fixed grid instead of tight_layout: the layout search cost seconds per page of panels.
        fig.subplots_adjust(left=0.02, right=0.97, bottom=0.2 / fig.get_figheight() + 0.04,
                            top=1 - 0.3 / fig.get_figheight(), wspace=0.18, hspace=1.05)  # fmt: skip
        images.append(_png(fig, tight=False))
    return images


def project_map_png(
    project: Any,
    *,
    conflicts: Any = None,
    lines: Any = None,
    lang: str = "zh",
    size_in: float = 4.2,
) -> bytes:
    """A small static map of one project: nearby control lines in their colours, the project outline,
    the conflict overlaps hatched, and a scale bar. All inputs in the same metric CRS.

    Parameters
    ----------
    project : GeoDataFrame
        The project's row(s).
    conflicts : GeoDataFrame, optional
        The project's conflict rows (geometry = the overlap).
    lines : GeoDataFrame, optional
        Control lines (``line_type``); only those near the project are drawn.
    """
    fig = _figure(size_in, size_in)
    ax = fig.add_subplot(1, 1, 1)
    geom = project.geometry
    minx, miny, maxx, maxy = geom.total_bounds
    if not all(map(math.isfinite, (minx, miny, maxx, maxy))):
        minx = miny = 0.0
        maxx = maxy = 1.0
    # Enough surroundings to read the site: at least 150 m around it, or its own size.
    pad = max(maxx - minx, maxy - miny, 150.0)
    box = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    if lines is not None and len(lines):
        near = lines.cx[box[0] : box[2], box[1] : box[3]]
        for lt, part in near.groupby("line_type"):
            colour = COLOURS["line_type"].get(str(lt), "#888")
            part.plot(ax=ax, facecolor=colour, edgecolor=colour, alpha=0.25, linewidth=0.8)
    if conflicts is not None and len(conflicts):
        real = (
            conflicts[~conflicts["ignored"].fillna(False).astype(bool)]
            if "ignored" in conflicts
            else conflicts
        )
        real = real[~real.geometry.is_empty & real.geometry.notna()]
        for grade, part in real.groupby("grade"):
            colour = COLOURS["grade"].get(str(grade), "#c62828")
            part.plot(ax=ax, facecolor="none", edgecolor=colour, hatch="////", linewidth=1.2)
    geom_types = set(geom.geom_type.dropna())
    if geom_types & {"Polygon", "MultiPolygon"}:
        project.plot(ax=ax, facecolor="none", edgecolor="#111", linewidth=1.6)
    else:
        project.plot(ax=ax, color="#111", linewidth=2.0, markersize=14)
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    # Scale bar: a round length near a quarter of the frame width.
    width = box[2] - box[0]
    raw = width / 4
    step = 10 ** math.floor(math.log10(raw))
    length = max(s * step for s in (1, 2, 5) if s * step <= raw)
    x0, y0 = box[0] + width * 0.05, box[1] + (box[3] - box[1]) * 0.05
    ax.plot([x0, x0 + length], [y0, y0], color="#111", linewidth=2.5)
    ax.text(x0 + length / 2, y0, f"{length:,.0f} m", ha="center", va="bottom", fontsize=7)
    ax.annotate(
        "N", xy=(0.94, 0.93), xycoords="axes fraction", ha="center", fontsize=9, fontweight="bold"
    )
    ax.annotate("", xy=(0.94, 0.92), xytext=(0.94, 0.82), xycoords="axes fraction",
                arrowprops={"arrowstyle": "-|>", "color": "#111"})  # fmt: skip
    return _png(fig)
