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
  thousand vertices, the case that dominates intersection cost (tech notes) — and small ponds;
* purple lines (紫线, ~5 %): heritage sites, a core zone and a control zone around it;
* yellow lines (黄线, ~10 %): utility corridors 1–3 km long.

Everything is drawn from ``numpy.random.default_rng(seed)`` and built with vectorised shapely 2
constructors, so a size and a seed give the same county on every machine (10⁶ parcels in ~10 s).

Run ``python benchmarks/county.py 100000 --out county.gpkg`` to write one to a GeoPackage.
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
    ap.add_argument(
        "--out", type=Path, help="write a GeoPackage with layers projects, control_lines"
    )
    args = ap.parse_args(argv)
    county = make_county(args.parcels, n_lines=args.lines, seed=args.seed)
    print(describe(county).to_string(index=False))
    if args.out:
        for kind, gdf in county.items():
            gdf.to_file(args.out, layer=kind, driver="GPKG")


if __name__ == "__main__":
    main()
