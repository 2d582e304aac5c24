"""Geometry helpers shared by every layer (townplan_gis.core.geometry)."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import (
    GeometryCollection,
    LinearRing,
    LineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
    box,
)

from townplan_gis.core.geometry import parts_of

_KINDS = [
    None,
    Polygon(),
    Point(),
    MultiPolygon(),
    GeometryCollection(),
    box(0, 0, 1, 1),
    LineString([(0, 0), (2, 1)]),
    LinearRing([(0, 0), (1, 0), (1, 1), (0, 0)]),
    Point(3, 4),
    MultiPoint([(1, 1), (2, 2)]),
    MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 1)]),
    GeometryCollection([Point(0, 0), box(5, 5, 6, 6), MultiPoint([(7, 7), (8, 8)])]),
]


def test_parts_of_opens_multi_parts_and_passes_single_parts_on():
    geoms = np.array([box(0, 0, 1, 1), MultiPolygon([box(2, 0, 3, 1), box(4, 0, 5, 1)]), None])
    got, index = parts_of(geoms)
    assert index.tolist() == [0, 1, 1]
    assert got[0] is geoms[0]  # the same object, not a copy
    assert shapely.area(got).tolist() == [1.0, 1.0, 1.0]
    assert shapely.bounds(got[2]).tolist() == [4.0, 0.0, 5.0, 1.0]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, len(_KINDS) - 1), max_size=20))
def test_parts_of_equals_get_parts(picks):
    geoms = np.array([_KINDS[i] for i in picks] + [None], dtype=object)[:-1]
    want, want_index = shapely.get_parts(geoms, return_index=True)
    got, index = parts_of(geoms)
    assert index.tolist() == want_index.tolist()
    assert len(got) == len(want)
    assert all(shapely.equals_exact(got, want, tolerance=0).tolist() or [True])
    assert shapely.get_type_id(got).tolist() == shapely.get_type_id(want).tolist()
