"""Benchmark: ``tp.review`` versus ``geopandas.overlay`` + ``groupby`` on 10⁵ parcels × 10⁴ control polygons.

Synthetic, deterministic data (seed 0) in EPSG:4546 over about 9.6 km × 9.6 km:

* ``--parcels`` (default 100,000) parcels, jittered quadrilaterals of about 25 m × 25 m on a grid;
* ``--lines`` (default 10,000) control polygons of the five types: discs and boxes of 20–150 m, many
  overlapping each other, plus ``--rivers`` (default 12) large complex polygons — wavy rivers and green
  belts crossing the whole area with about 8,000–16,000 vertices each, the case that dominates a naive
  intersection (docs/engineering.md#overlaps-two-cores).

Compared, on the same data, in the same process, alternately:

``overlay``  ``geopandas.overlay(parcels, lines, how="intersection")`` → area → ``groupby`` per
             (project, line): what an analyst writes by hand; one thread.
``review``   ``tp.review(parcels, lines, setbacks=False)`` — the whole engine (rule grading, slivers,
             reasons, per-type totals), default ``engine="threads"``, ``n_jobs=2``.
``review+setbacks``  the same with setback findings (every parcel is a building), for information.

Each engine is timed until it holds its result per (project, line) pair: overlay with its ``groupby``
(without it, overlay has one row per overlap piece, not per pair), the review with its ``Review``
(already one row per pair). Reshaping the review's rows into the same Series for the comparison is
not timed. The areas per (project, line) pair must agree (same pairs above 1e-6 m², relative difference
below 1e-7); the script exits with status 1 otherwise. Each engine is timed ``--repeat`` times; the best and
the spread (max − min) are reported, because other jobs share the 2 cores; the process CPU time
(summed over threads) is reported too, being far less sensitive to that load. Ratio = best overlay /
best review.

Run: ``python benchmarks/bench_review.py [--parcels 100000] [--lines 10000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import townplan_gis as tp

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 3_850_000.0
TYPES = np.array(["red", "green", "purple", "blue", "yellow"])


def parcels(n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    side = int(np.ceil(np.sqrt(n)))
    i, j = np.divmod(np.arange(n), side)
    x, y = X0 + j * 30.0, Y0 + i * 30.0
    w = rng.uniform(18, 28, (n, 4))
    corners = np.stack(
        [
            np.column_stack([x, y]),
            np.column_stack([x + w[:, 0], y + rng.normal(0, 1, n)]),
            np.column_stack([x + w[:, 1], y + w[:, 2]]),
            np.column_stack([x + rng.normal(0, 1, n), y + w[:, 3]]),
        ],
        axis=1,
    )
    ring = np.concatenate([corners, corners[:, :1]], axis=1)
    geoms = shapely.polygons(ring)
    return gpd.GeoDataFrame(
        {"project_id": [f"P{k}" for k in range(n)], "project_type": "building"},
        geometry=geoms,
        crs=CRS,
    )


def river(rng: np.random.Generator, extent: float, n_vertices: int, width: float):
    """A wavy band crossing the area with about ``n_vertices`` vertices."""
    t = np.linspace(0, 1, n_vertices // 2)
    horizontal = rng.random() < 0.5
    a = t * extent
    b = (
        rng.uniform(0.1, 0.9) * extent
        + 300 * np.sin(a / rng.uniform(300, 900))
        + rng.normal(0, 2, len(t)).cumsum() * 0.5
    )
    xy = np.column_stack([a, b] if horizontal else [b, a]) + np.array([X0, Y0])
    return shapely.LineString(xy).buffer(width / 2, cap_style="flat", quad_segs=2)


def control_lines(
    n: int, n_rivers: int, extent: float, rng: np.random.Generator, river_points: int = 0
) -> gpd.GeoDataFrame:
    k = n - n_rivers
    cx, cy = X0 + rng.uniform(0, extent, k), Y0 + rng.uniform(0, extent, k)
    r = rng.uniform(20, 150, k)
    disc = shapely.buffer(shapely.points(cx, cy), r, quad_segs=4)
    boxes = shapely.box(cx - r, cy - r * 0.6, cx + r, cy + r * 0.6)
    small = np.where(rng.random(k) < 0.5, disc, boxes)
    big = [
        river(rng, extent, river_points or int(rng.uniform(8000, 16000)), rng.uniform(40, 160))
        for _ in range(n_rivers)
    ]
    types = np.concatenate(
        [rng.choice(TYPES, k), np.where(np.arange(n_rivers) % 2 == 0, "blue", "green")]
    )
    zones = np.where(types == "purple", rng.choice(["core", "control", "harmony"], n), None)
    return gpd.GeoDataFrame(
        {"line_type": types, "zone": zones, "code": [f"L{k}" for k in range(n)]},
        geometry=np.concatenate([small, np.asarray(big, dtype=object)]),
        crs=CRS,
    )


def run_overlay(p: gpd.GeoDataFrame, lines: gpd.GeoDataFrame) -> pd.Series:
    ov = gpd.overlay(p[["project_id", "geometry"]], lines[["code", "geometry"]], how="intersection")
    ov["area"] = ov.area
    return ov.groupby(["project_id", "code"])["area"].sum()


def run_review(p, lines, **kw) -> tp.Review:
    return tp.review(p, lines, progress=False, **kw)


def review_areas(r) -> pd.Series:
    """The review's overlap area per (project, line), for the comparison (not timed: the Review
    already holds one row per pair; this only reshapes it like the overlay's groupby result)."""
    c = r.conflicts[r.conflicts["check"] == "overlap"]
    return c.set_index(["project_id", "line_id"])["overlap_area_m2"].rename_axis(
        ["project_id", "code"]
    )


def compare(a: pd.Series, b: pd.Series, floor: float = 1e-6) -> tuple[bool, str]:
    a, b = a[a > floor].sort_index(), b[b > floor].sort_index()
    only_a, only_b = a.index.difference(b.index), b.index.difference(a.index)
    common = a.index.intersection(b.index)
    rel = (a[common] - b[common]).abs() / a[common].clip(lower=1.0)
    ok = len(only_a) == 0 and len(only_b) == 0 and float(rel.max() if len(rel) else 0) < 1e-7
    msg = (
        f"pairs: overlay {len(a):,}, review {len(b):,}, only-overlay {len(only_a)}, only-review "
        f"{len(only_b)}; total area overlay {a.sum():,.3f} m², review {b.sum():,.3f} m²; "
        f"max relative difference {float(rel.max() if len(rel) else 0):.2e}"
    )
    return ok, msg


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(fn, *args, **kw):
    """Wall time and process CPU time (all threads) of one call."""
    c, t = _cpu(), time.perf_counter()
    out = fn(*args, **kw)
    return (time.perf_counter() - t, _cpu() - c), out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--lines", type=int, default=10_000)
    ap.add_argument("--rivers", type=int, default=12)
    ap.add_argument(
        "--river-points",
        type=int,
        default=0,
        help="centreline points per river (default: 8,000–16,000 at random); for sensitivity runs",
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-setbacks", action="store_true")
    ap.add_argument(
        "--engine",
        choices=["threads", "reference"],
        default="threads",
        help="the review engine: the default accelerated one, or the plain reference engine (GEOS "
        "for every pair), to measure what the accelerator contributes on this data",
    )
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    p = parcels(args.parcels, rng)
    extent = float(np.ceil(np.sqrt(args.parcels))) * 30.0
    lines = control_lines(args.lines, args.rivers, extent, rng, args.river_points)
    nv = shapely.get_num_coordinates(lines.geometry.array)
    print(
        f"{len(p):,} parcels × {len(lines):,} control polygons ({args.rivers} large: "
        f"{int(nv[-args.rivers :].min()):,}–{int(nv[-args.rivers :].max()):,} vertices), "
        f"extent {extent / 1000:.1f} km"
    )
    times: dict[str, list[float]] = {"overlay": [], "review": [], "review+setbacks": []}
    cpu: dict[str, list[float]] = {k: [] for k in times}
    ref = got = None
    for k in range(args.repeat):
        eng = {"engine": args.engine}
        runs = [
            ("overlay", run_overlay, {}),
            ("review", run_review, {"setbacks": False, **eng}),
        ]
        if not args.skip_setbacks:
            runs.append(("review+setbacks", run_review, eng))
        for name, fn, kw in runs:
            (wall, used), out = timed(fn, p, lines, **kw)
            times[name].append(wall)
            cpu[name].append(used)
            if name == "overlay":
                ref = out
            elif name == "review":
                got = review_areas(out)
        print(
            f"  run {k + 1}: "
            + ", ".join(
                f"{e} {v[-1]:.2f} s (cpu {cpu[e][-1]:.2f} s)" for e, v in times.items() if v
            ),
            flush=True,
        )
    ok, msg = compare(ref, got)
    print("agreement:", "OK" if ok else "MISMATCH", "—", msg)
    print(f"{'engine':<18}{'best s':>9}{'median s':>10}{'spread s':>10}{'best cpu s':>12}")
    for e, v in times.items():
        if v:
            print(
                f"{e:<18}{min(v):>9.2f}{statistics.median(v):>10.2f}{max(v) - min(v):>10.2f}"
                f"{min(cpu[e]):>12.2f}"
            )
    best_ratio = min(times["overlay"]) / min(times["review"])
    worst_ratio = max(times["overlay"]) / max(times["review"])
    cpu_ratio = min(cpu["overlay"]) / min(cpu["review"])
    print(
        f"ratio overlay / review: wall best-vs-best {best_ratio:.1f}×, worst-vs-worst "
        f"{worst_ratio:.1f}×; CPU time (all threads) {cpu_ratio:.1f}× (target ≥ 10×)"
    )
    load = os.getloadavg()
    print(
        f"load average during the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
