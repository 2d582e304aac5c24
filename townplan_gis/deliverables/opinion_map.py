"""The location map of a review opinion (位置示意图): the site, the control lines near it in their
colours, the overlaps hatched, a metric scale bar and a north arrow.

Drawn fast enough for a county's opinions at once (``benchmarks/bench_opinions.py``): one matplotlib
``Figure`` per thread is kept and reused (its artists removed after each map), the shapes go in as a
few ``PathCollection``/``LineCollection`` artists built straight from shapely coordinates (no
GeoPandas plotting, no ``tight`` bounding box), and the PNG is encoded by Pillow with light
compression. A new figure per project cost most of the 0.65 s an opinion took before.
"""

from __future__ import annotations

import io
import math
import threading
from typing import Any

import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Polygon as MplPolygon
from matplotlib.patches import Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Affine2D, IdentityTransform
from PIL import Image

from townplan_gis.core.reprs import COLOURS
from townplan_gis.deliverables.charts import cjk_font

__all__ = ["SIZE_PX", "site_box", "site_map_png"]

# The map is square, SIZE_PX pixels a side (about 9 cm at the 150 dpi it prints with).
SIZE_PX = 520
_DPI = 130
_local = threading.local()
# A point project's marker: a disc of 1.7 pt radius (sizes are in points², as in scatter), small
# enough that a row of street lamps does not hide the street.
_DOT = MplPath.unit_circle().transformed(Affine2D().scale(0.5))


def _canvas() -> tuple[Figure, Any, FigureCanvasAgg]:
    """This thread's figure, axes and canvas, made once and reused for every map."""
    held = getattr(_local, "canvas", None)
    if held is None:
        fig = Figure(figsize=(SIZE_PX / _DPI, SIZE_PX / _DPI), dpi=_DPI)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal", adjustable="box")
        for spine in ax.spines.values():
            spine.set_linewidth(0.8)
        held = _local.canvas = (fig, ax, canvas)
    return held


def site_box(geom: Any) -> tuple[float, float, float, float]:
    """The square frame of a site's map: the site with at least 150 m (or its own size) around it."""
    minx, miny, maxx, maxy = shapely.bounds(geom) if geom is not None else (np.nan,) * 4
    if not all(map(math.isfinite, (minx, miny, maxx, maxy))):
        return (0.0, 0.0, 1.0, 1.0)
    half = max(maxx - minx, maxy - miny) / 2 + max(maxx - minx, maxy - miny, 150.0)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return (cx - half, cy - half, cx + half, cy + half)


def _polygon_path(geoms: Any) -> MplPath | None:
    """One compound path of every polygon ring in ``geoms`` (holes drawn as holes)."""
    polys = shapely.get_parts(np.asarray(geoms, dtype=object))
    polys = polys[shapely.get_type_id(polys) == 3]
    if not len(polys):
        return None
    verts, codes = [], []
    for poly in polys:
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)
            if len(xy) < 3:
                continue
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0], c[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    return MplPath(np.concatenate(verts), np.concatenate(codes)) if verts else None


def _segments(geoms: Any) -> list[np.ndarray]:
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    lines = parts[np.isin(shapely.get_type_id(parts), (1, 2))]
    return [np.asarray(g.coords) for g in lines]


def _points(geoms: Any) -> np.ndarray:
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    pts = parts[shapely.get_type_id(parts) == 0]
    return shapely.get_coordinates(pts) if len(pts) else np.empty((0, 2))


def _add_shapes(ax: Any, geoms: Any, *, face: str, edge: str, width: float, alpha: float = 1.0,
                hatch: str | None = None, z: float = 1) -> None:  # fmt: skip
    path = _polygon_path(geoms)
    if path is not None:
        ax.add_collection(
            PathCollection([path], facecolors=[face], edgecolors=[edge], linewidths=[width],
                           alpha=alpha, hatch=hatch, zorder=z),
            autolim=False,  # the frame is set from the site; no data limits to track
        )  # fmt: skip
    segs = _segments(geoms)
    if segs:
        ax.add_collection(
            LineCollection(segs, colors=[edge], linewidths=[width * 1.6], zorder=z), autolim=False
        )
    pts = _points(geoms)
    if len(pts):
        dots = PathCollection(
            [_DOT],
            sizes=[12.0],
            offsets=pts,
            offset_transform=ax.transData,
            facecolors=[edge],
            zorder=z + 0.5,
        )
        # As scatter does: marker sizes in points, placed at data offsets.
        ax.add_collection(dots, autolim=False)
        dots.set_transform(IdentityTransform())  # fmt: skip


def _scale_bar(ax: Any, box: tuple[float, float, float, float], zh: bool, font: dict) -> None:
    """Two alternating black and white halves of a round length near a quarter of the frame."""
    width = box[2] - box[0]
    raw = width / 4
    step = 10 ** math.floor(math.log10(raw))
    length = max(s * step for s in (1, 2, 5) if s * step <= raw)
    x0, y0 = box[0] + width * 0.05, box[1] + width * 0.05
    h = width * 0.012
    for i, fill in enumerate(("#111111", "#ffffff")):
        ax.add_artist(Rectangle((x0 + i * length / 2, y0), length / 2, h, facecolor=fill,
                                edgecolor="#111111", linewidth=0.8, zorder=5))  # fmt: skip
    unit = "米" if zh else "m"
    for x, words in ((x0, "0"), (x0 + length, f"{length:,.0f} {unit}")):
        ax.text(x, y0 + h * 1.6, words, ha="center", va="bottom", fontsize=7, zorder=5, **font)


def _north_arrow(ax: Any, box: tuple[float, float, float, float], zh: bool, font: dict) -> None:
    width = box[2] - box[0]
    x, y = box[2] - width * 0.08, box[3] - width * 0.16
    s = width * 0.035
    for side, fill in ((-1, "#111111"), (1, "#ffffff")):
        ax.add_artist(MplPolygon([(x + side * s / 2, y), (x, y + s * 1.8), (x, y + s * 0.5)],
                                 closed=True, facecolor=fill, edgecolor="#111111", linewidth=0.6,
                                 zorder=5))  # fmt: skip
    ax.text(x, y + s * 2.0, "北" if zh else "N", ha="center", va="bottom", fontsize=9,
            fontweight="bold", zorder=5, **font)  # fmt: skip


def site_map_png(
    site: Any,
    *,
    lines: Any = None,
    line_types: Any = None,
    overlaps: Any = None,
    grades: Any = None,
    lang: str = "zh",
) -> bytes:
    """The location map of one site as PNG bytes (``SIZE_PX`` square).

    Parameters
    ----------
    site : shapely geometry
        The project, in a metric CRS (metres).
    lines, line_types : sequences, optional
        The control lines near the site and their types (``red``, ``green`` …), same CRS.
    overlaps, grades : sequences, optional
        The project's counted findings (the overlap or the part in a setback band) and their grades.
    lang : {"zh", "en"}
        The words of the scale bar and the north arrow.
    """
    _, ax, canvas = _canvas()
    zh = lang == "zh"
    name = cjk_font()
    font = {"fontfamily": [name, "DejaVu Sans"]} if (zh and name) else {}
    box = site_box(site)
    try:
        if lines is not None and len(lines):
            types = np.asarray(line_types, dtype=object)
            geoms = np.asarray(lines, dtype=object)
            for lt in dict.fromkeys(types.tolist()):
                colour = COLOURS["line_type"].get(str(lt), "#888888")
                _add_shapes(ax, geoms[types == lt], face=colour, edge=colour, width=0.9,
                            alpha=0.3, z=1)  # fmt: skip
        if overlaps is not None and len(overlaps):
            g = np.asarray(grades, dtype=object)
            geoms = np.asarray(overlaps, dtype=object)
            for grade in dict.fromkeys(g.tolist()):
                colour = COLOURS["grade"].get(str(grade), "#c62828")
                _add_shapes(ax, geoms[g == grade], face="none", edge=colour, width=1.2,
                            hatch="////", z=2)  # fmt: skip
        if site is not None and not shapely.is_empty(site):
            _add_shapes(ax, [site], face="none", edge="#111111", width=1.8, z=3)
        ax.set_xlim(box[0], box[2])
        ax.set_ylim(box[1], box[3])
        _scale_bar(ax, box, zh, font)
        _north_arrow(ax, box, zh, font)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        buf = io.BytesIO()
        Image.fromarray(rgba[..., :3]).save(buf, format="PNG", compress_level=1)
        return buf.getvalue()
    finally:
        # The figure is reused: take this map's artists off it, whatever happened.
        for artist in [*ax.collections, *ax.patches, *ax.lines, *ax.texts, *ax.artists]:
            artist.remove()
