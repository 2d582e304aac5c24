"""The record a review rests on (townplan_gis.fiveline.evidence): layer hashes and their WKB."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import townplan_gis.fiveline.evidence as ev
from townplan_gis.fiveline.evidence import hash_layers, layer_sha256, wkb_plain, wkb_stream

_SHAPES = [
    None,
    "POLYGON EMPTY",
    "POLYGON ((0 0, 4 0, 4 3, 0 0))",
    "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 3 2, 3 3, 2 2))",
    "POLYGON Z ((0 0 1, 4 0 2, 4 3 3, 0 0 1))",
    "POLYGON M ((0 0 1, 4 0 2, 4 3 3, 0 0 1))",
    "POLYGON ((0 0, NaN 0, 4 3, 0 0))",
    "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))",
    "LINESTRING (0 0, 3 4)",
    "POINT (1 2)",
    "POINT EMPTY",
    "GEOMETRYCOLLECTION (POINT (1 1), POLYGON ((0 0, 1 0, 1 1, 0 0)))",
]
with warnings.catch_warnings():  # the NaN vertex
    warnings.simplefilter("ignore", RuntimeWarning)
    _GEOMS = [None if s is None else shapely.from_wkt(s) for s in _SHAPES]


def _digest(lengths: np.ndarray, batches) -> tuple[list[int], bytes]:
    return lengths.tolist(), b"".join(batches)


def test_polygon_wkb_by_hand():
    lengths, batches = wkb_stream(np.array([shapely.box(0, 0, 1, 2), None], dtype=object))
    data = b"".join(batches)
    assert lengths.tolist() == [13 + 16 * 5, 0]
    assert data[:13] == bytes([1, 3, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0])
    assert np.frombuffer(data[13:], "<f8").tolist() == [1, 0, 1, 2, 0, 2, 0, 0, 1, 0]


# The geometries wkb_stream writes itself: nulls and 2-D polygons without holes (NaN included).
_SIMPLE = [0, 2, 6]


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.lists(st.sampled_from(_SIMPLE), max_size=40),
        st.lists(st.integers(0, len(_GEOMS) - 1), max_size=40),
    ),
    st.lists(st.floats(-1e7, 1e7, allow_nan=False), min_size=2, max_size=2),
    st.integers(1, 7),
)
def test_wkb_stream_equals_to_wkb(picks, shift, batch):
    # Layers of polygons and nulls (written from coordinates) and layers mixing every kind (handed
    # to to_wkb), in batches of a few geometries, so that batch edges and batches of nulls only
    # are exercised.
    geoms = np.array([_GEOMS[i] for i in picks] + [None], dtype=object)[:-1]
    geoms = shapely.transform(geoms, lambda xy: xy + np.array(shift))
    old = ev._BATCH
    ev._BATCH = batch
    try:
        assert _digest(*wkb_stream(geoms)) == _digest(*wkb_plain(geoms))
    finally:
        ev._BATCH = old


def test_layer_hash_changes_with_a_vertex():
    a = gpd.GeoDataFrame({"k": [1, 2]}, geometry=[shapely.box(0, 0, 1, 1), None], crs=4546)
    b = a.copy()
    b.loc[0, "geometry"] = shapely.box(0, 0, 1, 1.000001)
    assert layer_sha256(a) == layer_sha256(a.copy())
    assert layer_sha256(a) != layer_sha256(b)
    # The same content as a GeoSeries without the attribute column hashes differently.
    assert layer_sha256(a.geometry) != layer_sha256(a)


def test_hash_layers_in_a_thread_of_its_own():
    a = gpd.GeoDataFrame({"k": [1]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4546)
    got = hash_layers({"projects": a, "lines": a.iloc[:0]}).result()
    assert [(r["layer"], r["features"]) for r in got] == [("projects", 1), ("lines", 0)]
    assert got[0]["sha256"] == layer_sha256(a)


def test_hash_layers_passes_on_errors():
    with pytest.raises(TypeError):
        hash_layers({"bad": object()}).result()  # type: ignore[dict-item]
