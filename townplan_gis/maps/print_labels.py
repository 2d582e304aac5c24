"""Labels of the print plan: road names along the roads and project ids on the projects, never
overlapping.

Each label has a few candidate positions, tried in order of preference; a position is taken when the
label's box, measured by the renderer, lies inside the map frame and clear of every label already
placed and of the scale bar and north arrow. A label with no free position is left out and listed in
:attr:`Placement.dropped` (the title block names the project ids among them), never drawn on top of
another. Labels are placed in order of importance: project ids (worst verdict first), then roads by
class and length.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.text import Text
from matplotlib.transforms import Bbox

__all__ = ["Candidate", "Placement", "place_labels", "project_candidates", "road_candidates"]

_ROAD_RANK = {"expressway": 0, "arterial": 1, "secondary": 2, "branch": 3, "lane": 4}
_ALONG = (0.5, 0.3, 0.7, 0.15, 0.85)
_VERDICT_RANK = {"reject": 0, "review": 1, "not_checked": 2, "invalid": 3, "pass": 4}


@dataclass
class Candidate:
    """One label: its text, what it names, its candidate anchors and how it is drawn."""

    text: str
    kind: str  # "project" or "road"
    anchors: list[tuple[float, float, float]]  # (x, y, rotation in degrees), map units
    rank: tuple[float, ...]
    length_m: float = 0.0  # roads: length of the drawn piece, so a name never outruns its road
    style: dict[str, Any] = field(default_factory=dict)


@dataclass
class Placement:
    """What :func:`place_labels` drew and what it left out."""

    placed: list[Any] = field(default_factory=list)  # matplotlib Text artists
    dropped: list[Candidate] = field(default_factory=list)

    def boxes(self, renderer: Any) -> list[Bbox]:
        return [t.get_window_extent(renderer) for t in self.placed]


def _upright(angle: float) -> float:
    a = (angle + 180.0) % 360.0 - 180.0
    if a > 90:
        a -= 180
    elif a <= -90:
        a += 180
    return a


def _rect(extent: Any) -> tuple[float, float, float, float]:
    """``extent`` widened by 1 m on each side: a layer of one straight road or one point has a box
    of zero height or width, which GEOS refuses to clip by."""
    x0, y0, x1, y1 = (float(v) for v in extent)
    return x0 - 1.0, y0 - 1.0, x1 + 1.0, y1 + 1.0


def road_candidates(roads: gpd.GeoDataFrame, extent: Any) -> list[Candidate]:
    """One candidate per road name: along the longest piece of that road inside ``extent``."""
    if "name" not in roads or not len(roads):
        return []
    named = roads[roads["name"].notna() & (roads["name"].astype(str).str.strip() != "")]
    if not len(named):
        return []
    clipped = shapely.clip_by_rect(named.geometry.array, *_rect(extent))
    out = []
    frame = gpd.GeoDataFrame(
        {"name": named["name"].astype(str).to_numpy(), "geometry": clipped}, crs=roads.crs
    )
    klass = (
        named["road_class"].astype(str).to_numpy()
        if "road_class" in named
        else np.full(len(named), "")
    )
    frame["rank"] = [_ROAD_RANK.get(k, 5) for k in klass]
    for name, part in frame.groupby("name", sort=False):
        merged = shapely.line_merge(shapely.union_all(part.geometry.array))
        pieces = [
            g for g in shapely.get_parts(merged) if g.geom_type == "LineString" and g.length > 0
        ]
        if not pieces:
            continue
        line = max(pieces, key=lambda g: g.length)
        anchors = []
        for f in (0.5, 0.35, 0.65, 0.2, 0.8):
            p = line.interpolate(f, normalized=True)
            step = min(15.0, line.length / 10)
            a = line.interpolate(max(line.project(p) - step, 0))
            b = line.interpolate(min(line.project(p) + step, line.length))
            angle = math.degrees(math.atan2(b.y - a.y, b.x - a.x))
            anchors.append((p.x, p.y, _upright(angle)))
        rank = (1.0, float(part["rank"].min()), -line.length)
        out.append(Candidate(str(name), "road", anchors, rank, length_m=line.length))
    return out


def project_candidates(
    projects: gpd.GeoDataFrame, extent: Any, *, id_column: str = "project_id"
) -> list[Candidate]:
    """One candidate per project inside ``extent``: on the project, then just beside it."""
    if id_column not in projects or not len(projects):
        return []
    geoms = projects.geometry.array
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    extent = _rect(extent)
    inside = ok & shapely.intersects(geoms, shapely.box(*extent))
    out = []
    verdicts = projects["verdict"].astype(str) if "verdict" in projects else None
    for i in np.flatnonzero(inside):
        g = shapely.clip_by_rect(geoms[i], *extent)
        if g.is_empty:
            continue
        # Several anchors along a line or a group of points: the middle one is often taken by the
        # label of the project that shares the street.
        if g.geom_type in ("LineString", "MultiLineString"):
            line = max(shapely.get_parts(g), key=lambda q: q.length)
            pts = [line.interpolate(f, normalized=True) for f in _ALONG]
            anchors = [(p.x, p.y, 0.0) for p in pts]
        elif g.geom_type == "MultiPoint":
            xy = shapely.get_coordinates(g)
            centred = xy - xy.mean(axis=0)
            axis = np.linalg.svd(centred, full_matrices=False)[2][0] if len(xy) > 1 else [1, 0]
            along = centred @ np.asarray(axis)
            order = np.argsort(along)
            picks = [order[min(int(f * len(order)), len(order) - 1)] for f in _ALONG]
            anchors = [(float(xy[i, 0]), float(xy[i, 1]), 0.0) for i in picks]
        else:
            p = g.point_on_surface()
            anchors = [(p.x, p.y, 0.0)]
        rank_v = _VERDICT_RANK.get(verdicts.iloc[i], 5) if verdicts is not None else 5
        text = str(projects[id_column].iloc[i])
        out.append(Candidate(text, "project", anchors, (0.0, rank_v, 0.0)))
    return out


# Offsets (points) tried around a project's anchor: on it, then above, right, below, left, diagonals.
# Past 12 points a thin leader line ties the label to its project.
_OFFSETS = [
    (0, 0),
    (0, 9),
    (9, 0),
    (0, -9),
    (-9, 0),
    (9, 9),
    (-9, 9),
    (9, -9),
    (-9, -9),
    (0, 18),
    (0, -18),
    (20, 14),
    (-20, 14),
    (20, -14),
    (-20, -14),
    (0, 28),
    (0, -28),
    (30, 0),
    (-30, 0),
]
_LEADER = {"arrowstyle": "-", "color": "#444444", "linewidth": 0.5, "shrinkA": 0, "shrinkB": 1.5}


def _crosses(anchor: Any, box: Bbox, taken: Sequence[Bbox]) -> bool:
    """Whether the leader from ``anchor`` to the centre of ``box`` crosses a placed label."""
    seg = shapely.LineString([tuple(anchor), (box.x0 + box.width / 2, box.y0 + box.height / 2)])
    return any(seg.intersects(shapely.box(b.x0, b.y0, b.x1, b.y1)) for b in taken)


def place_labels(
    ax: Axes,
    candidates: Sequence[Candidate],
    *,
    obstacles: Sequence[Bbox] = (),
    fontsize: float = 7.0,
    text_kw: dict[str, Any] | None = None,
) -> Placement:
    """Draw the candidates without overlaps; see the module docstring for the rules."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer).shrunk(0.995, 0.995)
    taken: list[Bbox] = [b.padded(2) for b in obstacles]
    result = Placement()
    kw = dict(text_kw or {})
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    for c in sorted(candidates, key=lambda c: c.rank):
        is_project = c.kind == "project"
        style = dict(
            fontsize=fontsize * (1.05 if is_project else 0.95),
            color="#111111" if is_project else "#3a3a3a",
            fontweight="bold" if is_project else "normal",
            ha="center",
            va="center",
            zorder=40 if is_project else 35,
            clip_on=True,
            **kw,
        )
        offsets = _OFFSETS if is_project else [(0, 0)]
        chosen = None
        for x, y, rot in c.anchors:
            for dx, dy in offsets:
                lead: dict[str, Any] = {"arrowprops": _LEADER} if math.hypot(dx, dy) > 12 else {}
                t = ax.annotate(
                    c.text,
                    (x, y),
                    xytext=(dx, dy),
                    textcoords="offset points",
                    rotation=rot,
                    rotation_mode="anchor",
                    **lead,
                    **style,
                )
                # The text's own box; a leader is checked separately as a segment.
                t.update_positions(renderer)
                box = Text.get_window_extent(t, renderer)
                fits = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
                if fits and lead:
                    fits = not _crosses(ax.transData.transform((x, y)), box, taken)
                if fits and not is_project:
                    # A road name no longer than its road on paper (in display pixels).
                    along = math.hypot(box.width, box.height) if rot else box.width
                    px_per_m = (
                        ax.transData.transform([(1, 0)])[0][0]
                        - ax.transData.transform([(0, 0)])[0][0]
                    )
                    fits = along <= c.length_m * abs(px_per_m) * 0.95
                if fits and not any(box.overlaps(b) for b in taken):
                    chosen = t
                    taken.append(box.padded(1.5))
                    break
                t.remove()
            if chosen is not None:
                break
        if chosen is None:
            result.dropped.append(c)
        else:
            chosen.set_gid(f"label-{c.kind}")
            result.placed.append(chosen)
            # The white halo is a second text under the label: a label with path effects is drawn
            # as outlines, and the PDF would lose its text.
            ax.annotate(
                c.text,
                chosen.xy,
                xytext=chosen.xyann,
                textcoords="offset points",
                rotation=chosen.get_rotation(),
                rotation_mode="anchor",
                **{
                    **style,
                    "color": "white",
                    "zorder": style["zorder"] - 0.5,
                    "path_effects": halo,
                },
            )
    return result
