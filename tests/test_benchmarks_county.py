"""The benchmark counties (benchmarks/county.py) and the plain shapely kernel of bench_county.py.

The speed table of issue #14 is only worth something if every engine computes the same overlaps on a
county that is what the README says it is: these tests pin the peers' layout (deterministic, its
stated make-up) and check the plain kernel against ``tp.review`` pair by pair.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_county
import county

import townplan_gis as tp


def _frame_equal(a, b) -> bool:
    return bool(
        a.drop(columns="geometry").equals(b.drop(columns="geometry"))
        and (shapely.to_wkb(a.geometry.array) == shapely.to_wkb(b.geometry.array)).all()
    )


def test_peers_county_is_deterministic_for_a_seed():
    a = county.make_peers_county(800, seed=7)
    b = county.make_peers_county(800, seed=7)
    c = county.make_peers_county(800, seed=8)
    for kind in ("projects", "control_lines"):
        assert _frame_equal(a[kind], b[kind])
        assert not _frame_equal(a[kind], c[kind])


def test_peers_river_counts_as_stated():
    # 10⁵ × 10⁴: four rivers of 4,000 vertices; 10⁶ × 10⁵ on a √10 wider side: 4·√10 rivers of
    # 4,000·√10 vertices (ceil(√n)·45 m sides: 1,000 / 317); dense: ten times the rivers of 10⁵.
    assert county.peers_river_counts(100_000, 10_000) == (4, 4_000)
    assert county.peers_river_counts(1_000_000, 100_000) == (13, 2 * round(2000 * 1000 / 317))
    assert county.peers_river_counts(1_000_000, 100_000, dense=True) == (40, 4_000)


def test_peers_county_make_up_at_a_tiny_size():
    n = 2_000
    c = county.make_peers_county(n, seed=0)
    p, lines = c["projects"], c["control_lines"]
    assert len(p) == n and len(lines) == n // 10
    assert p.crs == lines.crs == county.CRS

    # Parcels: rectangles with sides 10–60 m.
    xy = shapely.get_coordinates(p.geometry.array).reshape(n, 5, 2)
    sides = np.hypot(*np.moveaxis(np.diff(xy, axis=1), -1, 0))
    assert sides.min() >= 10 - 1e-6 and sides.max() <= 60 + 1e-6
    assert sides.min() < 12 and sides.max() > 58  # the whole range is drawn

    # Rivers: blue, valid, exactly the stated vertices, 120 m wide, crossing the county.
    n_rivers, n_vertices = county.peers_river_counts(n, n // 10)
    nv = shapely.get_num_coordinates(lines.geometry.array)
    rivers = lines[nv > county.PEERS_ZONE_VERTICES + 1]
    assert len(rivers) == n_rivers and (rivers.line_type == "blue").all()
    assert (shapely.get_num_coordinates(rivers.geometry.array) == n_vertices + 1).all()
    assert shapely.is_valid(rivers.geometry.array).all()
    x0, y0, x1, y1 = p.total_bounds
    for g in rivers.geometry:
        length = g.length / 2  # two banks (the flat ends are 2 × 120 m, negligible here)
        assert g.area / length == pytest.approx(2 * county.PEERS_RIVER_BUFFER_M, rel=0.05)
        gx0, gy0, gx1, gy1 = g.bounds
        assert (gx0 < x0 and gx1 > x1) or (gy0 < y0 and gy1 > y1)

    # Zones: round 32-gons 20–300 m across over the five types; red corridors with a road class.
    zones = lines[nv == county.PEERS_ZONE_VERTICES + 1]
    assert set(zones.line_type) == set(county.LINE_TYPES)
    b = shapely.bounds(zones.geometry.array)
    across = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    assert across.min() >= 20 * 0.9 and across.max() <= 300 * 1.1
    assert zones.loc[zones.line_type == "purple", "zone"].isin(["core", "control", "harmony"]).all()
    corridors = lines[nv == 5]
    assert len(corridors) == round(county.PEERS_RED_CORRIDOR_SHARE * len(lines))
    assert (corridors.line_type == "red").all() and corridors.road_class.notna().all()
    assert (p.project_type == "building").mean() > 0.25  # the setback search has work


def test_dense_variant_packs_ten_times_into_the_smaller_square():
    dense = county.make_peers_county(2_000, dense=True)
    small = county.make_peers_county(200)
    assert len(dense["projects"]) == 2_000 and len(dense["control_lines"]) == 200
    # Parcel centres span the same width (the rows are full west–east), up to one grid step of the
    # sparser county.
    w_dense = np.ptp(shapely.get_x(dense["projects"].centroid.array))
    w_small = np.ptp(shapely.get_x(small["projects"].centroid.array))
    assert w_dense == pytest.approx(w_small, abs=county.PEERS_SPACING_M)
    assert w_small > 10 * county.PEERS_SPACING_M


def test_make_layout_names():
    assert len(county.make_layout("county", 300)["projects"]) == 300
    with pytest.raises(ValueError, match="unknown layout"):
        county.make_layout("peer", 300)


def test_shapely_plain_equals_review_pair_by_pair():
    c = county.make_peers_county(2_000, seed=0)
    p, lines = c["projects"], c["control_lines"]
    parcel, line, area = bench_county.plain_overlaps(p.geometry.array, lines.geometry.array)
    plain = pd.Series(
        area,
        index=pd.MultiIndex.from_arrays(
            [p.project_id.to_numpy()[parcel], lines.code.to_numpy()[line]]
        ),
    )
    assert len(bench_county.plain_overlaps([], lines.geometry.array)[0]) == 0
    # The rivers were subdivided: the kernel's pieces really were summed back per line.
    assert plain.index.get_level_values(1).isin(lines.code[lines.line_type == "blue"]).any()

    r = tp.review(p, lines, setbacks=False, progress=False).conflicts
    r = r[r["check"] == "overlap"].set_index(["project_id", "line_id"])["overlap_area_m2"]
    assert r.index.is_unique
    # The review drops overlaps of < 1e-6 m² (edge-contact noise): the pair sets agree above that.
    noise = 1e-5
    assert plain[plain > noise].index.difference(r.index).empty
    assert r[r > noise].index.difference(plain.index).empty
    both = plain.index.intersection(r.index)
    a, b = plain[both], r[both]
    big = a >= 1.0
    assert big.sum() > 3_000
    assert ((a[big] - b[big]).abs() / a[big]).max() < 1e-9
    # Below 1 m² the review's compiled clipping of convex pairs agrees with GEOS to ≈ 2e-8 m².
    assert (a[~big] - b[~big]).abs().max() < 1e-7
    assert abs(a.sum() - b.sum()) / a.sum() < 1e-12


def test_table_ratios_agreement_and_targets():
    base = {"layout": "peers", "parcels": 100_000, "lines": 10_000, "delta_rss_mb": 1.0}
    res = [
        {
            **base,
            "engine": "review",
            "wall_s": 1.0,
            "peak_rss_mb": 500,
            "pairs": 10,
            "area_m2": 5.0,
        },
        {
            **base,
            "engine": "overlay",
            "wall_s": 12.0,
            "peak_rss_mb": 300,
            "pairs": 10,
            "area_m2": 5.0,
        },
        {
            **base,
            "engine": "sedonadb",
            "wall_s": 2.5,
            "peak_rss_mb": 300,
            "pairs": 11,
            "area_m2": 5.0,
        },
        {**base, "engine": "review-reference", "skipped": "not available: no such engine"},
        {
            **base,
            "engine": "floor-cut-2t",
            "wall_s": 2.25,
            "peak_rss_mb": 300,
            "pairs": 10,
            "area_m2": 5.0,
        },
    ]
    out = bench_county.table(res)
    review_row = next(line for line in out.splitlines() if "| review |" in line)
    assert review_row.endswith("| 12.00 |  | 2.50 |")  # × overlay, × PostGIS (not run), × SedonaDB
    assert "DISAGREE" in out and "sedonadb 11 pairs" in out
    assert "| full review ≥ 10× overlay | overlay 12.00 s ÷ review 1.00 s = 12.00 | yes |" in out
    assert "| full review ≥ 3× SedonaDB | sedonadb 2.50 s ÷ review 1.00 s = 2.50 | no |" in out
    assert "reference engine ≥ 4× overlay | review-reference: not available" in out
    # 4× overlay = 3.00 s, of which the plain engine's own intersections take 2.25 s
    assert "| floor-cut-2t 2.25 s; 4× overlay = 3.00 s leaves 0.75 s for the preparation" in out


def test_floor_cut_finds_the_true_pairs_areas_without_cutting_the_parcels_inside():
    c = county.make_peers_county(2_000, seed=0)
    p, lines = c["projects"], c["control_lines"]
    true = bench_county.run_floor(p, lines, threads=1, prepared=bench_county._true_pairs(p, lines))
    cut = bench_county._cut_pairs(p, lines)
    # Fewer pairs to intersect than the true pairs (parcels inside a piece are left out, though the
    # rivers' pieces add pairs), and the same (parcel, line) overlaps once summed, on 1 or 2 threads.
    assert 0 < len(cut[0]) < len(bench_county._true_pairs(p, lines)[0])
    assert len(cut[2][1]) > 1_000  # parcels properly inside a piece
    for threads in (1, 2):
        got = bench_county.run_floor(p, lines, threads=threads, prepared=cut)
        assert got["pairs"] == true["pairs"] > 3_000
        assert abs(got["area_m2"] - true["area_m2"]) / true["area_m2"] < 1e-12


def test_town_boundary_covers_a_tenth_of_the_county():
    c = county.make_peers_county(2_000, seed=0)
    lines = c["control_lines"]
    town = bench_county.town_boundary(lines)
    x0, _, x1, _ = lines.total_bounds
    # a circle of radius 0.18 of the lines' width: π · 0.18² ≈ 10 % of their square, 400 vertices
    assert town.area / ((x1 - x0) * (x1 - x0)) == pytest.approx(np.pi * 0.18**2, rel=1e-3)
    assert len(town.exterior.coords) == 401
    # most projects outside it (13 % inside at 10⁵ parcels, 20 % at this size)
    assert 0.05 < c["projects"].within(town).mean() < 0.25
