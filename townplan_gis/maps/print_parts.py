"""Parts of the print plan (:mod:`townplan_gis.maps.print_plan`): paper, scale, the map's styles in
matplotlib terms, the scale bar, the north arrow, the CRS and date as a Chinese plan states them.

The web map's styles (``townplan_gis/data/styles.toml``, Leaflet path options in screen pixels) are
converted here, so a planner who changes a colour or dash changes both maps. One screen pixel is drawn
as 0.6 pt on paper: thinner than the 0.75 pt of a 96-dpi pixel, because a plan at 1:5,000 carries more
detail per centimetre than a screen at zoom 16.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import numpy as np
import pyproj
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.patches import Polygon as MplPolygon
from matplotlib.patches import Rectangle

from townplan_gis.core.errors import TownPlanError

__all__ = [
    "NICE_SCALES",
    "PAPER_MM",
    "crs_text",
    "date_text",
    "draw_north_arrow",
    "draw_scale_bar",
    "mpl_style",
    "nice_scale",
    "paper_size_mm",
    "scale_bar_length",
]

#: ISO 216 A-series sheets, (long side, short side) in mm.
PAPER_MM = {
    "A0": (1189, 841),
    "A1": (841, 594),
    "A2": (594, 420),
    "A3": (420, 297),
    "A4": (297, 210),
}

#: Round scales (1:N) a sheet is drawn at: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8 × 10^k from 1:500.
NICE_SCALES = tuple(
    int(m * 10**k)
    for k in range(2, 7)
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8)
    if m * 10**k >= 500
)

PX_PT = 0.6  # one Leaflet pixel on paper, in points


def paper_size_mm(paper: str, orientation: str) -> tuple[float, float]:
    """(width, height) of the sheet in mm."""
    key = str(paper).upper()
    if key not in PAPER_MM:
        raise TownPlanError(
            f"paper must be one of {', '.join(PAPER_MM)}, got {paper!r}. Fix: e.g. paper='A3'."
        )
    if orientation not in ("landscape", "portrait"):
        raise TownPlanError(f"orientation must be 'landscape' or 'portrait', got {orientation!r}.")
    long, short = PAPER_MM[key]
    return (long, short) if orientation == "landscape" else (short, long)


def nice_scale(ground_m: tuple[float, float], paper_mm: tuple[float, float]) -> int:
    """The smallest round scale 1:N (:data:`NICE_SCALES`) at which ``ground_m`` (width, height)
    fits ``paper_mm``."""
    need = max(ground_m[0] * 1000 / paper_mm[0], ground_m[1] * 1000 / paper_mm[1])
    for n in NICE_SCALES:
        if n >= need:
            return n
    return int(10 ** math.ceil(math.log10(need)))


def scale_bar_length(map_width_m: float) -> tuple[float, int]:
    """A round bar length (1, 2 or 5 × 10^k m) near a fifth of the map width, and its segments."""
    raw = map_width_m / 5
    step = 10 ** math.floor(math.log10(raw))
    length = max(s * step for s in (1, 2, 5) if s * step <= raw)
    segments = 5 if str(int(length / step)) == "5" else 4
    return float(length), segments


def _dashes(dash: Any, width_pt: float) -> Any:
    if not dash:
        return "solid"
    parts = [float(p) for p in str(dash).replace(",", " ").split()]
    if len(parts) % 2:
        parts *= 2
    # matplotlib scales a dash pattern by the line width; the style gives it in pixels.
    return (0, tuple(max(p * PX_PT / max(width_pt, 0.1), 0.5) for p in parts))


def mpl_style(style: dict[str, Any], geometry: str) -> dict[str, Any]:
    """matplotlib keyword arguments for one style class drawn as ``polygon``, ``line`` or ``point``."""
    colour = style.get("color", "#3388ff")
    edge = to_rgba(colour, float(style.get("opacity", 1.0)))
    width = float(style.get("weight", 2.0)) * PX_PT
    dashes = _dashes(style.get("dashArray"), width)
    if geometry == "line":
        return {"color": edge, "linewidth": width, "linestyle": dashes, "capstyle": "round"}
    fill = to_rgba(style.get("fillColor", colour), float(style.get("fillOpacity", 0.2)))
    if geometry == "point":
        diameter = 2 * float(style.get("radius", 5)) * PX_PT
        return {
            "color": to_rgba(style.get("fillColor", colour), 1.0),
            "edgecolor": edge,
            "linewidth": min(width, 0.8),
            "markersize": diameter**2,
        }
    return {"facecolor": fill, "edgecolor": edge, "linewidth": width, "linestyle": dashes}


def crs_text(crs: pyproj.CRS, lang: str = "zh") -> str:
    """The coordinate system as a plan's title block states it."""
    epsg = crs.to_epsg()
    code = f"EPSG:{epsg}" if epsg else "no EPSG code"
    name = crs.name
    if lang != "zh":
        return f"{name} ({code})"
    datum = "2000国家大地坐标系（CGCS2000）" if "CGCS2000" in name else name.split(" / ")[0]
    proj = ""
    if "Gauss-Kruger" in name:
        band = "3度带" if "3-degree" in name else "6度带"
        proj = f"{band}高斯-克吕格投影"
        cm = next((p for p in name.split() if p.endswith("E") and p[:-1].isdigit()), None)
        if "CM" in name and cm:
            proj += f"，中央经线{cm[:-1]}°E"
        elif "zone" in name:
            proj += f"，第{name.rsplit('zone', 1)[1].strip()}带（坐标加带号）"
    elif "UTM" in name:
        proj = f"UTM投影 {name.rsplit('zone', 1)[-1].strip()}带"
    code_zh = f"EPSG:{epsg}" if epsg else "无EPSG代码"
    return f"{datum}{'，' + proj if proj else ''}（{code_zh}）"


def date_text(when: _dt.datetime, lang: str = "zh") -> str:
    """``2026年12月7日`` in Chinese, ``7 December 2026`` in English."""
    if lang == "zh":
        return f"{when.year}年{when.month}月{when.day}日"
    return f"{when.day} {when:%B} {when.year}"


def draw_scale_bar(
    ax: Axes,
    *,
    width_m: float,
    x0: float,
    y0: float,
    height: float,
    fontsize: float,
    **text_kw: Any,
) -> list[Any]:
    """An alternating black and white bar with metre (or km) ticks, at ``(x0, y0)`` in map units.

    Returns the artists, whose extents the label placement keeps clear.
    """
    length, n = scale_bar_length(width_m)
    unit, div = ("km", 1000.0) if length >= 2000 else ("m", 1.0)
    seg = length / n
    artists: list[Any] = []
    for i in range(n):
        colour = "#111111" if i % 2 == 0 else "#ffffff"
        r = Rectangle(
            (x0 + i * seg, y0),
            seg,
            height,
            facecolor=colour,
            edgecolor="#111111",
            linewidth=0.6,
            zorder=30,
        )
        ax.add_patch(r)
        artists.append(r)
    marks = [0.0, length / 2, length] if n == 4 else [0.0, length]
    for v in marks:
        label = f"{v / div:g}" + (f" {unit}" if v == length else "")
        artists.append(
            ax.text(
                x0 + v,
                y0 + height * 1.6,
                label,
                ha="center",
                va="bottom",
                fontsize=fontsize,
                zorder=30,
                **text_kw,
            )
        )
    return [backdrop(ax, artists), *artists]


def backdrop(ax: Axes, artists: list[Any], pad_px: float = 4.0) -> Rectangle:
    """A white panel behind ``artists`` so a scale bar or arrow reads over any fill."""
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    boxes = [a.get_window_extent(renderer) for a in artists]
    x0 = min(b.x0 for b in boxes) - pad_px
    y0 = min(b.y0 for b in boxes) - pad_px
    x1 = max(b.x1 for b in boxes) + pad_px
    y1 = max(b.y1 for b in boxes) + pad_px
    inv = ax.transAxes.inverted()
    (ax0, ay0), (ax1, ay1) = inv.transform([(x0, y0), (x1, y1)])
    r = Rectangle(
        (ax0, ay0),
        ax1 - ax0,
        ay1 - ay0,
        transform=ax.transAxes,
        facecolor="white",
        edgecolor="#888888",
        linewidth=0.4,
        alpha=0.9,
        zorder=29,
    )
    ax.add_patch(r)
    return r


def grid_convergence_deg(crs: pyproj.CRS, x: float, y: float) -> float:
    """Angle from grid north to true north at (x, y), in degrees (positive: true north lies to the
    east of grid north), measured by projecting a point 0.001° further north."""
    to_geo = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    to_map = pyproj.Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
    lon, lat = to_geo.transform(x, y)
    x2, y2 = to_map.transform(lon, lat + 0.001)
    return math.degrees(math.atan2(x2 - x, y2 - y))


def draw_north_arrow(
    ax: Axes,
    *,
    xy: tuple[float, float],
    size: float,
    rotation_deg: float = 0.0,
    fontsize: float = 10.0,
    **text_kw: Any,
) -> list[Any]:
    """A half-filled arrow pointing to true north with an ``N``, centred at ``xy`` (axes fraction).

    ``size`` is the arrow's height as a fraction of the axes height; ``rotation_deg`` turns it
    clockwise from grid north (the grid convergence of a Gauss-Krüger map, under a degree in a town).
    """
    bbox = ax.get_window_extent()
    aspect = bbox.height / bbox.width  # axes fractions are not square
    h = size
    w = size * 0.32 * aspect
    t = math.radians(-rotation_deg)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])

    def place(pts: list[tuple[float, float]]) -> np.ndarray:
        p = np.array(pts, dtype=float)
        p[:, 0] /= aspect  # rotate in a square frame, then back to axes fractions
        p = p @ rot.T
        p[:, 0] *= aspect
        return p + np.array(xy)

    tip, base_l, base_r, notch = (0.0, h / 2), (-w, -h / 2), (w, -h / 2), (0.0, -h / 4)
    left = MplPolygon(
        place([tip, base_l, notch]),
        closed=True,
        transform=ax.transAxes,
        facecolor="#111111",
        edgecolor="#111111",
        linewidth=0.8,
        zorder=30,
    )
    right = MplPolygon(
        place([tip, notch, base_r]),
        closed=True,
        transform=ax.transAxes,
        facecolor="#ffffff",
        edgecolor="#111111",
        linewidth=0.8,
        zorder=30,
    )
    ax.add_patch(left)
    ax.add_patch(right)
    n_xy = place([(0.0, h / 2 + h * 0.08)])[0]
    label = ax.text(
        n_xy[0],
        n_xy[1],
        "N",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=fontsize,
        fontweight="bold",
        zorder=30,
        **text_kw,
    )
    return [backdrop(ax, [left, right, label]), left, right, label]
