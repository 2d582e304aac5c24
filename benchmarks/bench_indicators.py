"""Benchmark: every indicator of one synthetic town with 10,000 road segments and 5,000 green polygons.

Goal (issue 3): ``tp.town_indicators(town)`` under 1 s on this machine. The baseline run side by side is the
straightforward formulation — one ``union_all`` per indicator over the whole layer, no tiling, no shared
intermediate results — so the ratio shows what the exclusive-area kernel, the cell coverage and the
two threads buy. Also times 200 Puzhou-sized towns (a county) to keep the per-call overhead visible.
Wall times depend on the machine's load (printed); CPU time is the steadier figure.

Run: ``python benchmarks/bench_indicators.py [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import geopandas as gpd
import numpy as np
import shapely

import townplan_gis as tp

CRS = "EPSG:4545"  # CGCS2000 3-degree GK CM 108E (Xianyang)
X0, Y0 = 500_000.0, 3_800_000.0


def synthetic_town(
    n_roads: int = 10_000, n_green: int = 5_000, *, seed: int = 0, name: str = "synthetic"
) -> tp.Town:
    """A grid town: streets split at every crossing into ``n_roads`` segments, ``n_green`` parks."""
    rng = np.random.default_rng(seed)
    k = int(np.ceil(np.sqrt(n_roads / 2))) + 1  # k lines each way, k-1 segments per line
    spacing = 100.0
    # Survey noise per node, so segments meeting at a node share its coordinates (as real data do).
    nodes = np.stack(np.meshgrid(np.arange(k), np.arange(k), indexing="ij"), -1) * spacing
    nodes = nodes + rng.normal(0, 0.5, nodes.shape) + (X0, Y0)
    coords = []
    for i in range(k):
        for j in range(k - 1):
            coords.append([nodes[j, i], nodes[j + 1, i]])
            coords.append([nodes[i, j], nodes[i, j + 1]])
    coords = np.asarray(coords[:n_roads])
    lines = shapely.linestrings(coords)
    street = np.arange(n_roads) // (2 * (k - 1))
    cls = np.where(street % 10 == 0, "arterial", np.where(street % 3 == 0, "secondary", "branch"))
    width = np.select([cls == "arterial", cls == "secondary"], [24.0, 16.0], 10.0)
    roads = gpd.GeoDataFrame(
        {
            "road_class": cls,
            "redline_width_m": width,
            "carriageway_width_m": width * 0.6,
            "surface": np.where(rng.random(n_roads) < 0.9, "paved", "unpaved"),
            "lit": rng.random(n_roads) < 0.7,
        },
        geometry=lines,
        crs=CRS,
    )
    extent = (k - 1) * spacing
    cx = X0 + rng.uniform(0, extent, n_green)
    cy = Y0 + rng.uniform(0, extent, n_green)
    green = gpd.GeoDataFrame(
        {"green_class": rng.choice(["G1", "G2", "XG", "EG"], n_green)},
        geometry=shapely.buffer(shapely.points(cx, cy), rng.uniform(5, 35, n_green), quad_segs=4),
        crs=CRS,
    )
    builtup = gpd.GeoDataFrame(
        geometry=[shapely.box(X0 + 50, Y0 + 50, X0 + extent - 50, Y0 + extent - 50)], crs=CRS
    )
    trees = gpd.GeoDataFrame(
        {"crown_diameter_m": rng.uniform(4, 8, 2_000)},
        geometry=shapely.points(
            X0 + rng.uniform(0, extent, 2_000), Y0 + rng.uniform(0, extent, 2_000)
        ),
        crs=CRS,
    )
    quarters = gpd.GeoDataFrame(
        {"households": rng.integers(50, 400, 100).astype(float)},
        geometry=[
            shapely.box(X0 + x + 10, Y0 + y + 10, X0 + x + 90, Y0 + y + 90)
            for x, y in rng.integers(0, k - 1, (100, 2)) * spacing
        ],
        crs=CRS,
    )
    facilities = gpd.GeoDataFrame(
        {"facility_type": rng.choice(["public_toilet", "garbage_point", "market"], 300)},
        geometry=shapely.points(X0 + rng.uniform(0, extent, 300), Y0 + rng.uniform(0, extent, 300)),
        crs=CRS,
    )
    return tp.Town(
        name,
        layers={
            "builtup": builtup,
            "roads": roads,
            "green": green,
            "canopy": trees,
            "residential": quarters,
            "facilities": facilities,
        },
        population=extent**2 / 100.0,
        statistics={"water_supply_coverage_pct": 96.0},
        crs=CRS,
    )


def baseline(town: tp.Town) -> dict[str, float]:
    """The naive formulation: one full union per indicator, nothing shared."""
    bu = shapely.union_all(town.builtup.geometry.array)
    r, g = town.roads, town.green
    lines = np.asarray(r.geometry.array)
    out = {"length": shapely.intersection(shapely.union_all(lines), bu).length}
    red = shapely.buffer(lines, r["redline_width_m"].to_numpy() / 2, cap_style="flat")
    out["road_area"] = shapely.intersection(shapely.union_all(red), bu).area
    paved = (r["surface"] == "paved").to_numpy()
    out["paved_area"] = shapely.intersection(shapely.union_all(red[paved]), bu).area
    cw = shapely.buffer(
        lines[paved], r["carriageway_width_m"].to_numpy()[paved] / 2, cap_style="flat"
    )
    out["carriageway"] = shapely.intersection(shapely.union_all(cw), bu).area
    out["coverage"] = shapely.intersection(
        shapely.union_all(shapely.buffer(lines, 150, quad_segs=4)), bu
    ).area
    gg = np.asarray(g.geometry.array)
    land = g["green_class"].isin(["G1", "G2", "G3", "XG"]).to_numpy()
    trees = shapely.buffer(
        np.asarray(town.canopy.geometry.array), town.canopy["crown_diameter_m"].to_numpy() / 2
    )
    out["coverage_green"] = shapely.intersection(
        shapely.union_all(np.concatenate([gg, trees])), bu
    ).area
    out["green_land"] = shapely.intersection(shapely.union_all(gg[land]), bu).area
    out["park"] = shapely.intersection(
        shapely.union_all(gg[(g["green_class"] == "G1").to_numpy()]), bu
    ).area
    return out


def _time(fn, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds (CPU counts both threads of a parallel run)."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def county(n: int) -> list[tp.Town]:
    """``n`` copies of the Puzhou sample (about 2 km², 12,600 people) on a 6 km grid."""
    base = tp.sample_town()
    towns = []
    for i in range(n):
        dx, dy = (i % 20) * 6000.0, (i // 20) * 6000.0
        layers = {k: g.set_geometry(g.geometry.translate(dx, dy)) for k, g in base.layers.items()}
        towns.append(
            tp.Town(
                f"镇{i:03d}",
                layers=layers,
                population=base.population * (0.5 + i / n),
                statistics=base.statistics,
                crs=base.crs,
            )
        )
    return towns


def critical_path(town: tp.Town) -> dict[str, float]:
    """CPU seconds of each part tp.town_indicators(town) runs, measured one at a time on one thread."""
    from townplan_gis.indicators import _common, green, lighting, roads

    clip = _common.builtup_geometry(town.builtup)
    r = town.roads
    jobs = {
        "red-line surfaces": lambda: roads._redline_chain(r, clip, None),
        "carriageway": lambda: roads._carriageway_result(r, clip, None),
        "coverage": lambda: roads._coverage_result(r, clip, 150.0),
        "green": lambda: green._green_chain(town.green, town.canopy, clip, None),
        "length": lambda: roads._road_length_result(r, clip),
        "paving": lambda: roads._paving_length_result(r, clip),
        "lighting": lambda: lighting._lighting_result(
            r, None, clip, reach_m=25.0, trunk_classes=roads.TRUNK_CLASSES
        ),
    }
    return {k: _time(f, 3)[1] for k, f in jobs.items()}


def max_thread(parts: dict[str, float]) -> float:
    """The two workers take the four heavy parts (longest first); the caller does the rest."""
    workers = [0.0, 0.0]
    heavy = ("red-line surfaces", "carriageway", "coverage", "green")
    for cost in sorted((parts[k] for k in heavy), reverse=True):
        workers[workers.index(min(workers))] += cost
    caller = sum(v for k, v in parts.items() if k not in heavy)
    return max(*workers, caller)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--towns", type=int, default=200)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    town = synthetic_town()
    print(f"{town}")
    t_ind, c_ind = _time(town.indicators, args.repeat)
    t_base, c_base = _time(lambda: baseline(town), args.repeat)
    print(
        f"tp.town_indicators(town) (all {len(tp.town_indicators(town))} keys): {t_ind:.3f} s wall, "
        f"{c_ind:.3f} s CPU  [goal < 1 s]"
    )
    print(
        f"baseline (naive unions, 8 quantities only):      {t_base:.3f} s wall, {c_base:.3f} s CPU"
    )
    print(f"ratio baseline / indicators: {t_base / t_ind:.2f}x wall, {c_base / c_ind:.2f}x CPU")
    parts = critical_path(town)
    print(
        "CPU per part (s): "
        + ", ".join(f"{k} {v:.3f}" for k, v in parts.items())
        + f"; on two idle cores the longest thread would take about {max_thread(parts):.2f} s"
    )
    towns = county(args.towns)
    t_cty, c_cty = _time(lambda: [tp.town_indicators(t) for t in towns], 1)
    print(
        f"indicators of {args.towns} Puzhou-sized towns: {t_cty:.2f} s wall, {c_cty:.2f} s CPU "
        f"({1000 * t_cty / args.towns:.0f} ms per town)"
    )
    t_rank, _ = _time(lambda: tp.assess_many(towns, "ezhou-2017", progress=False), 1)
    print(f"assess_many ranking of {args.towns} towns against ezhou-2017: {t_rank:.2f} s wall")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
