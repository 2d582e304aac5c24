"""Building blocks of the review: rectangles, threaded splits, subdivision, chunk sizes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely import affinity

import townplan_gis as tp
from townplan_gis.review.engine import auto_chunk_size
from townplan_gis.review.pieces import axis_rectangles, split_map, subdivide

CRS = "EPSG:4546"


def test_axis_rectangles():
    box = shapely.box(0, 0, 4, 2)
    geoms = np.array(
        [
            box,
            shapely.box(0, 0, 4, 2, ccw=False),
            affinity.rotate(box, 30),
            shapely.Polygon([(0, 0), (4, 0), (3, 2), (1, 2)]),  # trapezoid: 5 coordinates
            box.difference(shapely.box(1, 0.5, 2, 1.5)),  # a hole
            shapely.Polygon([(0, 0), (2, 0), (4, 0), (4, 2), (0, 2)]),  # 6 coordinates
            shapely.Point(0, 0).buffer(1),
            None,
            shapely.Polygon(),
        ],
        dtype=object,
    )
    assert axis_rectangles(geoms).tolist() == [True, True] + [False] * 7


def test_rectangle_clip_equals_general_intersection():
    # The same box as a 4-corner rectangle (fast clip) and with an extra vertex on an edge
    # (general intersection); projects crossing, inside, along an edge and around a corner.
    x0, y0, x1, y1 = 500_000, 3_850_000, 500_100, 3_850_060
    box = shapely.box(x0, y0, x1, y1)
    general = shapely.Polygon([(x0, y0), (x1, y0), (x1, 3_850_030), (x1, y1), (x0, y1)])
    assert axis_rectangles(np.array([box, general])).tolist() == [True, False]
    sites = [
        shapely.box(500_090, 3_850_010, 500_120, 3_850_020),
        shapely.box(500_010, 3_850_010, 500_020, 3_850_020),
        shapely.box(500_100, 3_850_010, 500_120, 3_850_020),
        affinity.rotate(shapely.box(499_990, 3_850_050, 500_010, 3_850_070), 20),
    ]
    projects = gpd.GeoDataFrame({"project_type": ["building"] * 4}, geometry=sites, crs=CRS)

    def areas(line):
        lines = gpd.GeoDataFrame({"line_type": ["green"]}, geometry=[line], crs=CRS)
        r = tp.review(projects, lines, setbacks=False)
        return r.projects["green_overlap_m2"].to_numpy()

    fast, slow = areas(box), areas(general)
    np.testing.assert_allclose(fast, slow, rtol=1e-12)
    assert fast[0] == 100.0 and fast[1] == 100.0 and fast[2] == 0.0 and fast[3] > 0


def test_split_map_matches_one_call():
    geoms = shapely.buffer(shapely.points(np.arange(50.0), 0), 0.7)
    one = shapely.area(geoms)
    parts = split_map(shapely.area, 2, geoms)
    assert len(parts) == 2
    np.testing.assert_array_equal(np.concatenate(parts), one)
    assert len(split_map(shapely.area, 2, geoms[:3])) == 1  # too few to split


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
