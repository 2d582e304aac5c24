"""Candidate rectangles of the site search, their score and the choice of non-overlapping sites.

Candidates are built and tested in whole arrays (one ``contains`` call against the prepared free land);
only the final choice walks the ranked candidates, one step per site chosen plus the skipped ones.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.analyses._geom import to_mu

__all__ = ["MAX_CANDIDATES", "candidates", "choose", "describe_rank"]

#: Above this many grid points × shapes the grid step grows (bounded memory and time).
MAX_CANDIDATES = 200_000
_ANGLES_SQUARE = (0.0, 45.0)
_ANGLES_RECT = (0.0, 45.0, 90.0, 135.0)


def _shapes(area: float, width: float | None) -> list[tuple[float, float]]:
    """(short side, long side) of the candidate shapes: a square, 3:2 and 2:1 rectangles."""
    side = math.sqrt(area)
    if width is not None and width > side:
        return [(width, width)]
    out = [(side, side)]
    for ratio in (1.5, 2.0):
        short = math.sqrt(area / ratio)
        if width is None or short >= width:
            out.append((short, short * ratio))
    return out


def _rectangles(cx, cy, w, h, angle_deg) -> np.ndarray:
    a = np.radians(angle_deg)[:, None]
    dx = np.array([-0.5, 0.5, 0.5, -0.5])[None, :] * w[:, None]
    dy = np.array([-0.5, -0.5, 0.5, 0.5])[None, :] * h[:, None]
    x = cx[:, None] + dx * np.cos(a) - dy * np.sin(a)
    y = cy[:, None] + dx * np.sin(a) + dy * np.cos(a)
    ring = np.stack([x, y], axis=-1)
    return shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))


def candidates(
    free: shapely.Geometry, area: float, width: float | None, step: float | None
) -> gpd.GeoDataFrame:
    """Rectangles of ``area`` wholly inside ``free``, on a grid over its parts large enough.

    Returns columns ``width_m, length_m, angle_deg, free_part_m2`` and the geometry.
    """
    cols: dict[str, list[float]] = {
        "width_m": [],
        "length_m": [],
        "angle_deg": [],
        "free_part_m2": [],
    }
    empty = gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([]))
    shapes = _shapes(area, width)
    need = shapes[0][0] * shapes[0][1]
    parts = np.asarray(shapely.get_parts(free), dtype=object)
    parts = parts[shapely.area(parts) >= need]
    if len(parts) == 0:
        return empty
    step = float(step) if step else shapes[0][0] / 4
    n_shapes = sum(len(_ANGLES_SQUARE if s == t else _ANGLES_RECT) for s, t in shapes)
    cells = float(np.sum(shapely.area(shapely.envelope(parts)))) / step**2
    if cells * n_shapes > MAX_CANDIDATES:
        step *= math.sqrt(cells * n_shapes / MAX_CANDIDATES)
    xs, ys, owner = [], [], []
    for i, b in enumerate(shapely.bounds(parts)):
        gx = np.arange(b[0] + step / 2, b[2], step)
        gy = np.arange(b[1] + step / 2, b[3], step)
        mx, my = np.meshgrid(gx, gy)
        xs.append(mx.ravel())
        ys.append(my.ravel())
        owner.append(np.full(mx.size, i))
    px, py, po = np.concatenate(xs), np.concatenate(ys), np.concatenate(owner)
    inside = shapely.contains_xy(free, px, py)
    px, py, po = px[inside], py[inside], po[inside]
    frames = []
    for short, long in shapes:
        for angle in _ANGLES_SQUARE if short == long else _ANGLES_RECT:
            k = len(px)
            frames.append(
                pd.DataFrame(
                    {
                        "cx": px,
                        "cy": py,
                        "width_m": np.full(k, short),
                        "length_m": np.full(k, long),
                        "angle_deg": np.full(k, angle),
                        "part": po,
                    }
                )
            )
    c = pd.concat(frames, ignore_index=True)
    rects = _rectangles(
        c["cx"].to_numpy(),
        c["cy"].to_numpy(),
        c["length_m"].to_numpy(),
        c["width_m"].to_numpy(),
        c["angle_deg"].to_numpy(),
    )
    shapely.prepare(free)
    ok = shapely.contains(free, rects)
    c = c[ok].reset_index(drop=True)
    c["free_part_m2"] = shapely.area(parts)[c["part"].to_numpy()]
    return gpd.GeoDataFrame(
        c[["width_m", "length_m", "angle_deg", "free_part_m2"]], geometry=rects[ok]
    )


def _nearest(geoms: np.ndarray, targets: np.ndarray, names: np.ndarray):
    if len(targets) == 0 or len(geoms) == 0:
        return np.full(len(geoms), np.inf), np.full(len(geoms), None, dtype=object)
    idx, dist = shapely.STRtree(targets).query_nearest(
        geoms, return_distance=True, all_matches=False
    )
    d = np.full(len(geoms), np.inf)
    nm = np.full(len(geoms), None, dtype=object)
    d[idx[0]] = dist
    nm[idx[0]] = names[idx[1]]
    return d, nm


def choose(cand: gpd.GeoDataFrame, *, roads, near, weights, reach: float, n: int):
    """Score every candidate and choose up to ``n`` without overlap, best first.

    Returns ``(chosen, scored)``: the chosen candidates with their score terms, distances and
    nearest names, and the number of candidates scored.
    """
    geoms = np.asarray(cand.geometry.array, dtype=object)
    if len(geoms) == 0:
        return cand.assign(score=[]), 0
    d_road, road_name = _nearest(geoms, *roads)
    d_near, near_name = _nearest(geoms, *near)
    s_road = np.clip(1 - d_road / reach, 0, 1)
    s_near = np.clip(1 - d_near / reach, 0, 1)
    area, perim = shapely.area(geoms), shapely.length(geoms)
    s_compact = np.clip(16 * area / perim**2, 0, 1)
    total = sum(weights.values()) or 1.0
    score = (
        weights["road"] * s_road + weights["near"] * s_near + weights["compact"] * s_compact
    ) / total
    c = cand.assign(
        score=score,
        score_road=s_road,
        score_near=s_near,
        score_compact=s_compact,
        road_distance_m=d_road,
        road_name=road_name,
        near_distance_m=d_near,
        near_name=near_name,
    )
    centre = shapely.centroid(geoms)
    order = np.lexsort((shapely.get_x(centre), shapely.get_y(centre), -np.round(score, 9)))
    tree = shapely.STRtree(geoms)
    taken = np.zeros(len(geoms), dtype=bool)
    chosen: list[int] = []
    for i in order:
        if taken[i]:
            continue
        chosen.append(int(i))
        if len(chosen) == n:
            break
        hit = tree.query(geoms[i], predicate="intersects")
        inner = shapely.relate_pattern(geoms[i], geoms[hit], "T********")
        taken[hit[inner]] = True
    return c.iloc[chosen].reset_index(drop=True), len(geoms)


def describe_rank(
    sites: gpd.GeoDataFrame, weights: dict[str, float], near_label: str
) -> gpd.GeoDataFrame:
    """Rank, site number, area and the reason for the rank, in English and Chinese."""
    out = sites.copy()
    k = len(out)
    out.insert(0, "rank", np.arange(1, k + 1))
    out.insert(1, "site_id", [f"S{i:02d}" for i in range(1, k + 1)])
    area = shapely.area(np.asarray(out.geometry.array, dtype=object)) if k else np.array([])
    out.insert(2, "area_m2", area)
    out.insert(3, "area_mu", to_mu(area))
    en, zh = [], []
    total = sum(weights.values()) or 1.0
    for row in out.itertuples(index=False):
        terms_en = [
            f"{weights['road'] / total:.2f}×road {row.score_road:.2f} ({_dist(row.road_distance_m)} from {row.road_name or 'no road of the classes scored'})"
        ]
        terms_zh = [
            f"{weights['road'] / total:.2f}×道路{row.score_road:.2f}（距「{row.road_name or '无所选等级道路'}」{_dist(row.road_distance_m)}）"
        ]
        if weights["near"] > 0:
            terms_en.append(
                f"{weights['near'] / total:.2f}×near {row.score_near:.2f} ({_dist(row.near_distance_m)} from {row.near_name} [{near_label}])"
            )
            terms_zh.append(
                f"{weights['near'] / total:.2f}×邻近{row.score_near:.2f}（距「{row.near_name}」{_dist(row.near_distance_m)}）"
            )
        shape = (
            "square" if row.width_m == row.length_m else f"{row.width_m:.0f} × {row.length_m:.0f} m"
        )
        terms_en.append(
            f"{weights['compact'] / total:.2f}×compact {row.score_compact:.2f} ({shape})"
        )
        terms_zh.append(
            f"{weights['compact'] / total:.2f}×紧凑{row.score_compact:.2f}（{'正方形' if shape == 'square' else shape}）"
        )
        en.append(f"rank {row.rank}: score {row.score:.3f} = " + " + ".join(terms_en))
        zh.append(f"第{row.rank}名：评分 {row.score:.3f} = " + " + ".join(terms_zh))
    out["reason"] = en
    out["reason_zh"] = zh
    return out


def _dist(d: float) -> str:
    return "—" if not np.isfinite(d) else f"{d:,.0f} m"
