"""A synthetic county for benchmarks: parcels (projects) and the five control lines, deterministic.

``make_county(100_000)`` gives 10⁵ parcels and 10⁴ control-line features on a square county in
CGCS2000 / 3-degree GK CM 111E (EPSG:4546, Puzhou's zone), laid out so that the expensive cases of
real data are present in realistic proportions:

* parcels: rotated rectangles 25–55 m on a jittered 70 m grid (density ≈ 200 per km², a rural county
  with its towns), project types as a county's annual list;
* red lines (道路红线, ~55 %): road corridors 200–1,500 m long and 12–40 m wide, with road class;
* green lines (绿线, ~20 %): parks as irregular 24-gon blobs 40–200 m across, plus a few long
  meandering green belts (thousands of vertices);
* blue lines (蓝线): rivers as long meandering polygons across the whole county — each several
  thousand vertices, the case that dominates intersection cost (docs/engineering.md#overlaps-two-cores) — and small ponds;
* purple lines (紫线, ~5 %): heritage sites, a core zone and a control zone around it;
* yellow lines (黄线, ~10 %): utility corridors 1–3 km long.

A second layout, ``make_peers_county`` (``--layout peers``), is the county of issue #14 on which
tp.review is measured against the engines a user would pick instead: parcels 10–60 m under round
zones 20–300 m across spread over the five line types, 10 % road corridors, and four rivers of 4,000
vertices 120 m wide (at 10⁵ parcels × 10⁴ polygons; the same density at every size). Its dense variant
(``--layout peers-dense``) packs ten times the parcels and lines into the same square: the
memory-bound case.

Everything is drawn from ``numpy.random.default_rng(seed)`` and built with vectorised shapely 2
constructors, so a size and a seed give the same county on every machine (10⁶ parcels in ~10 s).

Run ``python benchmarks/county.py 100000 [--layout peers] --out county.gpkg`` to write one to a
GeoPackage.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

CRS = "EPSG:4546"
CENTRE = (500_000.0, 3_860_000.0)
PARCEL_SPACING_M = 70.0
PROJECT_TYPES = np.array(
    [
        "building",
        "renovation",
        "road",
        "park",
        "agriculture",
        "infrastructure",
        "greening",
        "utility",
    ]
)
PROJECT_WEIGHTS = np.array([0.35, 0.15, 0.08, 0.06, 0.14, 0.1, 0.07, 0.05])
ROAD_CLASSES = np.array(["arterial", "secondary", "branch", "lane"])


def _rectangles(rng, cx, cy, w, h, angle) -> np.ndarray:
    """Rotated rectangles centred on (cx, cy), as one shapely.polygons call."""
    dx = np.array([-0.5, 0.5, 0.5, -0.5])[None, :] * w[:, None]
    dy = np.array([-0.5, -0.5, 0.5, 0.5])[None, :] * h[:, None]
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    x = cx[:, None] + dx * c - dy * s
    y = cy[:, None] + dx * s + dy * c
    coords = np.stack([x, y], axis=-1)
    coords = np.concatenate([coords, coords[:, :1]], axis=1)
    return shapely.polygons(coords)


def _blobs(rng, cx, cy, r, *, k: int = 24, roughness: float = 0.3) -> np.ndarray:
    """Irregular star-shaped k-gons (parks, heritage cores, ponds)."""
    t = np.linspace(0, 2 * np.pi, k, endpoint=False)[None, :]
    rad = r[:, None] * (1 + roughness * (rng.random((len(r), k)) - 0.5))
    coords = np.stack([cx[:, None] + rad * np.cos(t), cy[:, None] + rad * np.sin(t)], axis=-1)
    coords = np.concatenate([coords, coords[:, :1]], axis=1)
    return shapely.polygons(coords)


def _corridors(rng, n, half, length, width) -> np.ndarray:
    """Straight corridors (roads, utility lines): flat-capped buffers of random segments."""
    x0 = CENTRE[0] + rng.uniform(-half, half, n)
    y0 = CENTRE[1] + rng.uniform(-half, half, n)
    # Roads mostly follow the grid of the plain, with some diagonals.
    ang = np.where(rng.random(n) < 0.7, rng.integers(0, 2, n) * np.pi / 2, rng.uniform(0, np.pi, n))
    ang = ang + rng.normal(0, 0.03, n)
    x1, y1 = x0 + length * np.cos(ang), y0 + length * np.sin(ang)
    lines = shapely.linestrings(np.stack([np.stack([x0, y0], -1), np.stack([x1, y1], -1)], axis=1))
    return shapely.buffer(lines, width / 2, cap_style="flat")


def _meanders(rng, n, half, *, step_m: float, width) -> np.ndarray:
    """Long meandering polygons crossing the county (rivers, green belts): thousands of vertices."""
    out = np.empty(n, dtype=object)
    n_steps = max(50, int(2.4 * half / step_m))
    for i in range(n):
        # Enter on the west edge, wander east with a smoothly drifting heading.
        y_start = CENTRE[1] + rng.uniform(-0.8, 0.8) * half
        heading = np.cumsum(rng.normal(0, 0.08, n_steps))
        heading = 0.9 * np.sin(np.cumsum(rng.normal(0, 0.05, n_steps))) + 0.3 * np.tanh(heading)
        x = CENTRE[0] - 1.1 * half + np.cumsum(step_m * np.cos(heading))
        y = y_start + np.cumsum(step_m * np.sin(heading))
        line = shapely.linestrings(np.stack([x, y], -1))
        out[i] = shapely.buffer(line, width[i] / 2, quad_segs=2)
    return out


def make_county(
    n_parcels: int,
    *,
    n_lines: int | None = None,
    seed: int = 0,
) -> dict[str, gpd.GeoDataFrame]:
    """Parcels and control lines of a synthetic county.

    Parameters
    ----------
    n_parcels : int
        Number of parcels (projects): 10⁴, 10⁵, 10⁶ in the benchmark.
    n_lines : int, optional
        Number of control-line features; default ``n_parcels // 10``.
    seed : int, default 0

    Returns
    -------
    dict
        ``{"projects": GeoDataFrame, "control_lines": GeoDataFrame}`` in EPSG:4546, with the
        canonical columns (projects: ``project_id, name, project_type, investment_wan_yuan, status``;
        control lines: ``line_type, zone, name, code, source, road_class``).
    """
    rng = np.random.default_rng(seed)
    n_lines = max(10, n_parcels // 10) if n_lines is None else n_lines
    side = math.ceil(math.sqrt(n_parcels))
    half = side * PARCEL_SPACING_M / 2

    # -- parcels -----------------------------------------------------------------------------------
    k = np.arange(n_parcels)
    gx = (k % side - side / 2 + 0.5) * PARCEL_SPACING_M
    gy = (k // side - side / 2 + 0.5) * PARCEL_SPACING_M
    cx = CENTRE[0] + gx + rng.uniform(-8, 8, n_parcels)
    cy = CENTRE[1] + gy + rng.uniform(-8, 8, n_parcels)
    w, h = rng.uniform(25, 55, n_parcels), rng.uniform(25, 55, n_parcels)
    parcels = _rectangles(rng, cx, cy, w, h, rng.normal(0, 0.25, n_parcels))
    projects = gpd.GeoDataFrame(
        {
            "project_id": pd.Series([f"P{i:07d}" for i in k], dtype=object),
            "name": pd.Series([f"地块{i}" for i in k], dtype=object),
            "project_type": rng.choice(PROJECT_TYPES, n_parcels, p=PROJECT_WEIGHTS).astype(object),
            "investment_wan_yuan": np.round(rng.lognormal(4, 1, n_parcels), 1),
            "status": "planned",
        },
        geometry=gpd.GeoSeries(parcels, crs=CRS),
    )

    # -- control lines -----------------------------------------------------------------------------
    n_rivers = max(2, n_lines // 2500)
    n_belts = max(1, n_lines // 5000)
    n_heritage_sites = max(1, n_lines // 40)  # two features each
    n_yellow = max(1, n_lines // 10)
    n_parks = max(1, n_lines // 5)
    n_ponds = max(1, n_lines // 20)
    n_red = max(
        1, n_lines - n_rivers - n_belts - 2 * n_heritage_sites - n_yellow - n_parks - n_ponds
    )

    road_class = rng.choice(ROAD_CLASSES, n_red, p=[0.15, 0.25, 0.4, 0.2])
    width = np.select(
        [road_class == "arterial", road_class == "secondary", road_class == "branch"],
        [rng.uniform(30, 40, n_red), rng.uniform(20, 30, n_red), rng.uniform(12, 20, n_red)],
        rng.uniform(7, 12, n_red),
    )
    red = _corridors(rng, n_red, half, rng.uniform(200, 1500, n_red), width)
    yellow = _corridors(
        rng, n_yellow, half, rng.uniform(1000, 3000, n_yellow), rng.uniform(10, 30, n_yellow)
    )

    def anywhere(n):
        return (
            CENTRE[0] + rng.uniform(-half, half, n),
            CENTRE[1] + rng.uniform(-half, half, n),
        )

    parks = _blobs(rng, *anywhere(n_parks), rng.uniform(20, 100, n_parks))
    belts = _meanders(rng, n_belts, half, step_m=25.0, width=rng.uniform(40, 80, n_belts))
    ponds = _blobs(rng, *anywhere(n_ponds), rng.uniform(15, 60, n_ponds), roughness=0.5)
    rivers = _meanders(rng, n_rivers, half, step_m=20.0, width=rng.uniform(30, 120, n_rivers))
    hx, hy = anywhere(n_heritage_sites)
    cores = _blobs(rng, hx, hy, rng.uniform(25, 75, n_heritage_sites), k=16)
    controls = shapely.difference(shapely.buffer(cores, 100.0, quad_segs=4), cores)

    parts = [
        ("red", red, None),
        ("yellow", yellow, None),
        ("green", parks, None),
        ("green", belts, None),
        ("blue", rivers, None),
        ("blue", ponds, None),
        ("purple", cores, "core"),
        ("purple", controls, "control"),
    ]
    geoms = np.concatenate([p[1] for p in parts])
    line_type = np.concatenate([[p[0]] * len(p[1]) for p in parts]).astype(object)
    zone = np.concatenate([[p[2]] * len(p[1]) for p in parts]).astype(object)
    rc = np.full(len(geoms), None, dtype=object)
    rc[: len(red)] = road_class
    code = np.array([f"{t[0].upper()}{i:06d}" for i, t in enumerate(line_type)], dtype=object)
    lines = gpd.GeoDataFrame(
        {
            "line_type": line_type,
            "zone": zone,
            "name": code,
            "code": code,
            "source": "synthetic",
            "road_class": rc,
        },
        geometry=gpd.GeoSeries(geoms, crs=CRS),
    )
    return {"projects": projects, "control_lines": lines}


# -- the peers' county -------------------------------------------------------------------------------
#
# The layout on which issue #14 measures tp.review against the engines a user would pick instead
# (geopandas.overlay, PostGIS, DuckDB spatial, SedonaDB, a plain shapely kernel): small parcels under
# many round zones, with four long rivers. At 10⁵ parcels × 10⁴ control polygons a point of the county
# lies in 1.2 of them on average and a parcel overlaps 2.0 (2.0·10⁵ intersecting pairs).

LAYOUTS = ("county", "peers", "peers-dense")
PEERS_SPACING_M = 45.0  # parcel grid: 10⁵ parcels on a 14.3 km square
PEERS_REF_PARCELS = 100_000  # the size at which the rivers are exactly as stated below
PEERS_RIVERS = 4  # rivers at 10⁵ parcels × 10⁴ lines
PEERS_RIVER_VERTICES = 4_000  # vertices of each river polygon at 10⁵ parcels
PEERS_RIVER_BUFFER_M = 60.0  # banks this far either side of the centreline (120 m wide)
PEERS_PARCEL_M = (10.0, 60.0)  # parcel sides
PEERS_ZONE_DIAMETER_M = (20.0, 300.0)
PEERS_ZONE_VERTICES = 32
PEERS_RED_CORRIDOR_SHARE = 0.10  # of the control polygons: road red lines, for the setback search
DENSE_FACTOR = 10  # peers-dense: n parcels and n/10 lines in the square of the n/10-parcel county
LINE_TYPES = np.array(["red", "green", "purple", "blue", "yellow"])
PURPLE_ZONES = np.array(["core", "control", "harmony"])


def _grid_side_m(n_parcels: int, spacing_m: float = PEERS_SPACING_M) -> float:
    return math.ceil(math.sqrt(n_parcels)) * spacing_m


def peers_river_counts(n_parcels: int, n_lines: int, *, dense: bool = False) -> tuple[int, int]:
    """Number of rivers and vertices per river polygon of :func:`make_peers_county`.

    Rivers keep their vertex spacing and their length per control-line feature whatever the size:
    vertices scale with the county's side, the count with the lines per unit of side. At 10⁵ parcels
    × 10⁴ lines: 4 rivers of 4,000 vertices; at 10⁶ × 10⁵ (side × √10): 13 of 12,618; in the dense
    10⁶ × 10⁵ (the 10⁵ county's square): 40 of 4,000.
    """
    side = _grid_side_m(n_parcels // DENSE_FACTOR if dense else n_parcels)
    scale = side / _grid_side_m(PEERS_REF_PARCELS)
    n_rivers = max(2, round(PEERS_RIVERS * n_lines / (PEERS_REF_PARCELS // 10) / scale))
    n_vertices = 2 * max(50, round(PEERS_RIVER_VERTICES / 2 * scale))
    return n_rivers, n_vertices


def _banked_rivers(rng, n: int, half: float, n_vertices: int, buffer_m: float) -> np.ndarray:
    """``n`` rivers crossing a square of half-side ``half``: polygons of exactly ``n_vertices``.

    A smooth centreline (meanders 1.5–4 km long, a slow random drift, heading within ±1.2 rad of
    the crossing direction) with its two banks ``buffer_m`` either side along the normals, joined
    by flat ends. Its bends are wide (radius ≥ ≈ 250 m ≫ ``buffer_m``), so the banks never fold and
    the polygon is valid by construction; a flat-capped ``shapely.buffer`` would give the same shape
    but an unpredictable number of vertices (GEOS simplifies the offset curves).
    """
    m = n_vertices // 2
    span = 2.2 * half  # enters and leaves 0.1·half outside the county
    u = np.linspace(0.0, 1.0, m - 1)[None, :] * 2.4 * half  # ≈ metres along the river
    wavelength = rng.uniform(1500.0, 4000.0, (n, 1))
    amplitude = rng.uniform(0.4, 0.9, (n, 1))
    phase = rng.uniform(0.0, 2 * np.pi, (n, 1))
    drift = 0.25 * np.tanh(np.cumsum(rng.normal(0.0, 0.01, (n, m - 1)), axis=1))
    # Heading of each of the m − 1 segments; the step makes every river span the county exactly.
    heading = np.clip(amplitude * np.sin(2 * np.pi * u / wavelength + phase) + drift, -1.2, 1.2)
    step = span / np.cos(heading).sum(axis=1, keepdims=True)
    zero = np.zeros((n, 1))
    a = -span / 2 + np.concatenate([zero, np.cumsum(step * np.cos(heading), axis=1)], axis=1)
    b = np.concatenate([zero, np.cumsum(step * np.sin(heading), axis=1)], axis=1)
    b = b - b.mean(axis=1, keepdims=True) + rng.uniform(-0.7, 0.7, (n, 1)) * half
    # Banks along each vertex's normal: the bisector of its two segments (the end ones their own).
    at = np.concatenate(
        [heading[:, :1], (heading[:, 1:] + heading[:, :-1]) / 2, heading[:, -1:]], 1
    )
    na, nb = -np.sin(at) * buffer_m, np.cos(at) * buffer_m
    ring_a = np.concatenate([a + na, (a - na)[:, ::-1], (a + na)[:, :1]], axis=1)
    ring_b = np.concatenate([b + nb, (b - nb)[:, ::-1], (b + nb)[:, :1]], axis=1)
    # Even rivers run west–east, odd ones south–north.
    east = (np.arange(n) % 2 == 0)[:, None]
    x = CENTRE[0] + np.where(east, ring_a, ring_b)
    y = CENTRE[1] + np.where(east, ring_b, ring_a)
    rivers = shapely.polygons(np.stack([x, y], axis=-1))
    if not shapely.is_valid(rivers).all():  # guards the construction above, whatever the seed
        raise RuntimeError("a generated river folds on itself; the meander bounds are too tight")
    return rivers


def make_peers_county(
    n_parcels: int,
    *,
    n_lines: int | None = None,
    seed: int = 0,
    dense: bool = False,
) -> dict[str, gpd.GeoDataFrame]:
    """The peers' county: parcels 10–60 m under round zones 20–300 m across and four rivers.

    * parcels: rotated rectangles with sides 10–60 m on a jittered 45 m grid (10⁵ parcels on a
      14.3 km square; 10⁶ on a square √10 as wide: same density), project types as
      :func:`make_county`'s (35 % buildings, so the setback search has work);
    * control polygons (default ``n_parcels // 10``): round star-shaped 32-gons 20–300 m across
      spread evenly over the five line types (purple ones with a core / control / harmony tier),
      10 % road red lines (corridors 200–1,500 m long, 7–40 m wide by road class) and the rivers
      (blue) of :func:`peers_river_counts`: at 10⁵ × 10⁴ four rivers of 4,000 vertices, banks 60 m
      either side of the centreline.

    ``dense=True`` packs ``n_parcels`` and ``n_lines`` into the square of the ``n_parcels // 10``
    county: ten times the parcels and lines per km². At 10⁶ × 10⁵ in the 10⁵ county's square a point
    lies under 12 control polygons on average (99th percentile 21) and there are ≈ 2·10⁷
    intersecting (parcel, polygon) pairs: the memory-bound case of issue #14.

    Parameters
    ----------
    n_parcels : int
    n_lines : int, optional
        Control-line features; default ``n_parcels // 10``.
    seed : int, default 0
    dense : bool, default False

    Returns
    -------
    dict
        ``{"projects": GeoDataFrame, "control_lines": GeoDataFrame}`` in EPSG:4546 with the columns of
        :func:`make_county`.
    """
    rng = np.random.default_rng(seed)
    n_lines = max(10, n_parcels // 10) if n_lines is None else n_lines
    per_row = math.ceil(math.sqrt(n_parcels))
    side = _grid_side_m(n_parcels // DENSE_FACTOR) if dense else _grid_side_m(n_parcels)
    half = side / 2
    spacing = side / per_row

    # -- parcels -----------------------------------------------------------------------------------
    k = np.arange(n_parcels)
    cx = CENTRE[0] + (k % per_row - per_row / 2 + 0.5) * spacing
    cy = CENTRE[1] + (k // per_row - per_row / 2 + 0.5) * spacing
    cx = cx + rng.uniform(-0.2, 0.2, n_parcels) * spacing
    cy = cy + rng.uniform(-0.2, 0.2, n_parcels) * spacing
    w, h = rng.uniform(*PEERS_PARCEL_M, n_parcels), rng.uniform(*PEERS_PARCEL_M, n_parcels)
    parcels = _rectangles(rng, cx, cy, w, h, rng.normal(0, 0.25, n_parcels))
    projects = gpd.GeoDataFrame(
        {
            "project_id": pd.Series([f"P{i:07d}" for i in k], dtype=object),
            "name": pd.Series([f"地块{i}" for i in k], dtype=object),
            "project_type": rng.choice(PROJECT_TYPES, n_parcels, p=PROJECT_WEIGHTS).astype(object),
            "investment_wan_yuan": np.round(rng.lognormal(4, 1, n_parcels), 1),
            "status": "planned",
        },
        geometry=gpd.GeoSeries(parcels, crs=CRS),
    )

    # -- control lines -----------------------------------------------------------------------------
    n_rivers, river_vertices = peers_river_counts(n_parcels, n_lines, dense=dense)
    n_red = max(1, round(PEERS_RED_CORRIDOR_SHARE * n_lines))
    n_zones = n_lines - n_rivers - n_red
    if n_zones < 1:
        raise ValueError(
            f"{n_lines} control lines leave no room for zones beside {n_rivers} rivers"
        )

    road_class = rng.choice(ROAD_CLASSES, n_red, p=[0.15, 0.25, 0.4, 0.2])
    width = np.select(
        [road_class == "arterial", road_class == "secondary", road_class == "branch"],
        [rng.uniform(30, 40, n_red), rng.uniform(20, 30, n_red), rng.uniform(12, 20, n_red)],
        rng.uniform(7, 12, n_red),
    )
    red = _corridors(rng, n_red, half, rng.uniform(200, 1500, n_red), width)
    zx = CENTRE[0] + rng.uniform(-half, half, n_zones)
    zy = CENTRE[1] + rng.uniform(-half, half, n_zones)
    radius = rng.uniform(*PEERS_ZONE_DIAMETER_M, n_zones) / 2
    zones = _blobs(rng, zx, zy, radius, k=PEERS_ZONE_VERTICES, roughness=0.2)
    zone_type = rng.choice(LINE_TYPES, n_zones)
    tier = np.where(zone_type == "purple", rng.choice(PURPLE_ZONES, n_zones), None)
    rivers = _banked_rivers(rng, n_rivers, half, river_vertices, PEERS_RIVER_BUFFER_M)

    geoms = np.concatenate([red, zones, rivers])
    line_type = np.concatenate([["red"] * n_red, zone_type, ["blue"] * n_rivers]).astype(object)
    zone = np.concatenate([[None] * n_red, tier, [None] * n_rivers]).astype(object)
    rc = np.full(len(geoms), None, dtype=object)
    rc[:n_red] = road_class
    code = np.array([f"{t[0].upper()}{i:07d}" for i, t in enumerate(line_type)], dtype=object)
    lines = gpd.GeoDataFrame(
        {
            "line_type": line_type,
            "zone": zone,
            "name": code,
            "code": code,
            "source": "synthetic",
            "road_class": rc,
        },
        geometry=gpd.GeoSeries(geoms, crs=CRS),
    )
    return {"projects": projects, "control_lines": lines}


def make_layout(
    layout: str, n_parcels: int, *, n_lines: int | None = None, seed: int = 0
) -> dict[str, gpd.GeoDataFrame]:
    """One of :data:`LAYOUTS` by name: ``county`` (:func:`make_county`), ``peers`` or
    ``peers-dense`` (:func:`make_peers_county`)."""
    if layout == "county":
        return make_county(n_parcels, n_lines=n_lines, seed=seed)
    if layout in ("peers", "peers-dense"):
        return make_peers_county(
            n_parcels, n_lines=n_lines, seed=seed, dense=layout == "peers-dense"
        )
    raise ValueError(f"unknown layout {layout!r}; use one of {', '.join(LAYOUTS)}")


def describe(county: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Feature and vertex counts per layer and line type (what the benchmark table reports)."""
    rows = []
    p = county["projects"]
    rows.append(
        ("projects", "parcel", len(p), int(shapely.get_num_coordinates(p.geometry.array).sum()))
    )
    cl = county["control_lines"]
    for lt, g in cl.groupby("line_type"):
        nv = shapely.get_num_coordinates(np.asarray(g.geometry.array))
        rows.append(("control_lines", lt, len(g), int(nv.sum())))
        rows.append(("control_lines", f"{lt} (max vertices)", 1, int(nv.max())))
    return pd.DataFrame(rows, columns=["layer", "kind", "features", "vertices"])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("parcels", type=int, help="number of parcels, e.g. 100000")
    ap.add_argument(
        "--lines", type=int, default=None, help="control-line features (default parcels/10)"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layout", choices=LAYOUTS, default="county")
    ap.add_argument(
        "--out", type=Path, help="write a GeoPackage with layers projects, control_lines"
    )
    args = ap.parse_args(argv)
    county = make_layout(args.layout, args.parcels, n_lines=args.lines, seed=args.seed)
    print(describe(county).to_string(index=False))
    if args.out:
        for kind, gdf in county.items():
            gdf.to_file(args.out, layer=kind, driver="GPKG")


if __name__ == "__main__":
    main()
