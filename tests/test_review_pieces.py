"""Building blocks of the review: rectangles, threaded splits, subdivision, chunk sizes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import affinity

import townplan_gis as tp
from townplan_gis.fiveline.pieces import (
    aggregate_pieces,
    clip_to_boxes,
    grouped_union,
    split_map,
    subdivide,
)
from townplan_gis.fiveline.run import auto_chunk_size

CRS = "EPSG:4546"


def test_a_box_line_gives_the_same_areas_in_both_engines():
    # The same box as 4 corners and with an extra vertex on an edge; projects crossing, inside,
    # along an edge and around a corner: the accelerated and the reference engine agree, and with
    # the hand-computed areas.
    x0, y0, x1, y1 = 500_000, 3_850_000, 500_100, 3_850_060
    box = shapely.box(x0, y0, x1, y1)
    general = shapely.Polygon([(x0, y0), (x1, y0), (x1, 3_850_030), (x1, y1), (x0, y1)])
    sites = [
        shapely.box(500_090, 3_850_010, 500_120, 3_850_020),
        shapely.box(500_010, 3_850_010, 500_020, 3_850_020),
        shapely.box(500_100, 3_850_010, 500_120, 3_850_020),
        affinity.rotate(shapely.box(499_990, 3_850_050, 500_010, 3_850_070), 20),
    ]
    projects = gpd.GeoDataFrame({"project_type": ["building"] * 4}, geometry=sites, crs=CRS)

    def areas(line, engine):
        lines = gpd.GeoDataFrame({"line_type": ["green"]}, geometry=[line], crs=CRS)
        r = tp.review(projects, lines, setbacks=False, engine=engine)
        return r.projects["green_overlap_m2"].to_numpy()

    fast, slow = areas(box, "threads"), areas(general, "reference")
    # Both engines clip in floating point, in their own order: equal to 1e-9 relative.
    np.testing.assert_allclose(fast, slow, rtol=1e-9)
    np.testing.assert_allclose(areas(general, "threads"), areas(box, "reference"), rtol=1e-9)
    # Crossing the east edge x 500,090..500,100 × 10 m: 100 m²; inside: 10 × 10 m; along the
    # edge: 0; the rotated corner: its part inside the box, by shapely directly.
    assert fast[0] == pytest.approx(100.0, rel=1e-12) and fast[1] == 100.0 and fast[2] == 0.0
    assert fast[3] == pytest.approx(sites[3].intersection(box).area, rel=1e-9)
    assert 0 < fast[3] < 400.0


def test_split_map_matches_one_call():
    geoms = shapely.buffer(shapely.points(np.arange(50.0), 0), 0.7)
    one = shapely.area(geoms)
    parts = split_map(shapely.area, 2, geoms)
    assert len(parts) == 2
    np.testing.assert_array_equal(np.concatenate(parts), one)
    assert len(split_map(shapely.area, 2, geoms[:3])) == 1  # too few to split


def test_subdivide_halves_across_the_longer_side():
    # An 8 × 2 m box with a vertex every metre has 21 coordinates; with at most 12 it is cut once,
    # at x = 4, into two 4 × 2 m boxes (clipping drops the collinear vertices: 5 coordinates each),
    # which are axis-aligned rectangles. A 1 m square under the limit passes through untouched.
    long_box = shapely.segmentize(shapely.box(0, 0, 8, 2), 1)
    small = shapely.box(0, 0, 1, 1)
    assert shapely.get_num_coordinates(long_box) == 21
    pieces, owner = subdivide(np.array([long_box, small], dtype=object), max_vertices=12)
    assert owner.tolist() == [1, 0, 0]
    assert pieces[0] is small
    assert shapely.bounds(pieces[1:]).tolist() == [[0, 0, 4, 2], [4, 0, 8, 2]]
    assert shapely.area(pieces[1:]).tolist() == [8.0, 8.0]
    assert shapely.get_num_coordinates(pieces[1:]).tolist() == [5, 5]


def test_clip_to_boxes_keeps_the_polygonal_part():
    geoms = np.array(
        [shapely.box(0, 0, 10, 10), shapely.LineString([(0, 0), (10, 10)]), shapely.box(0, 0, 1, 1)]
    )
    bounds = np.array([[5, 5, 20, 20], [0, 0, 5, 5], [5, 5, 6, 6]])
    out = clip_to_boxes(geoms, bounds)
    # the 5 × 5 m corner; a line has no polygonal part; a disjoint box clips to nothing
    assert shapely.area(out).tolist() == [25.0, 0.0, 0.0]
    assert shapely.bounds(out[0]).tolist() == [5, 5, 10, 10]
    assert shapely.is_empty(out[1:]).all()


def test_grouped_union_of_singles_pairs_and_larger_groups():
    def unit(x):
        return shapely.box(x, 0, x + 1, 1)

    geoms = np.array(
        [unit(0)]  # group 0: one square, 1 m²
        + [shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1)]  # group 1: overlap on x 1..2 → 3 m²
        + [unit(x) for x in range(5)]  # group 2: five squares in a row → 5 m²
        + [unit(10)] * 3,  # group 4: the same square three times → 1 m²; group 3 is empty
        dtype=object,
    )
    group = np.array([0, 1, 2, 1, 2, 2, 2, 2, 4, 4, 4])
    geoms = geoms[[0, 1, 3, 2, 4, 5, 6, 7, 8, 9, 10]]  # interleave the groups
    out = grouped_union(geoms, group, 5)
    assert out[3] is None
    assert shapely.area(out[[0, 1, 2, 4]]).tolist() == [1.0, 3.0, 5.0, 1.0]
    assert shapely.bounds(out[2]).tolist() == [0, 0, 5, 1]


def test_aggregate_pieces_merges_rows_per_project_and_line():
    # Rows (project row, line): (1, 0) twice — two halves of one overlap — then (0, 2) and (1, 1).
    row, line = np.array([1, 0, 1, 1]), np.array([0, 2, 0, 1])
    geom = np.array(
        [
            shapely.box(0, 0, 1, 1),
            shapely.box(5, 5, 6, 6),
            shapely.box(1, 0, 2, 1),
            shapely.box(9, 9, 10, 10),
        ]
    )
    measure = np.array([1.0, 1.0, 1.0, 1.0])
    r, li, merged, total = aggregate_pieces(row, line, geom, measure, 3)
    assert r.tolist() == [0, 1, 1] and li.tolist() == [2, 0, 1]
    assert total.tolist() == [1.0, 2.0, 1.0]
    assert shapely.bounds(merged[1]).tolist() == [0, 0, 2, 1]
    assert shapely.area(merged).tolist() == [1.0, 2.0, 1.0]


def test_threaded_subdivision_equals_serial():
    t = np.linspace(0, 60, 400)
    river = shapely.LineString(np.column_stack([t * 50, 80 * np.sin(t)])).buffer(20)
    small = shapely.box(0, 0, 10, 10)
    geoms = np.array([small, river, small, river], dtype=object)
    a, oa = subdivide(geoms, max_vertices=64)
    b, ob = subdivide(geoms, max_vertices=64, n_jobs=2)
    assert sorted(oa.tolist()) == sorted(ob.tolist())
    for k in range(4):
        assert np.isclose(shapely.area(a[oa == k]).sum(), shapely.area(geoms[k]))
        assert np.isclose(shapely.area(b[ob == k]).sum(), shapely.area(geoms[k]))


def test_auto_chunk_size():
    assert auto_chunk_size(26, 2) == 2_000  # one chunk: no threads for a town's projects
    assert auto_chunk_size(100_000, 2) == 12_500  # 8 chunks, 4 per thread
    assert auto_chunk_size(1_000_000, 2) == 20_000  # bounded memory
    assert auto_chunk_size(30_000, 4) == 2_000
