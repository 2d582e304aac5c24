"""Basemaps and the GCJ-02 display shift (townplan_gis.maps.basemaps, townplan_gis.core.crs)."""

from __future__ import annotations

import json
import re

import numpy as np
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from maps_helpers import tiny_town

import townplan_gis as tp
from townplan_gis.core.crs import gcj02_to_wgs84, wgs84_to_gcj02
from townplan_gis.maps import BasemapError, basemap_datum, tianditu_tile_url
from townplan_gis.maps.offline import render_html

GEOD = pyproj.Geod(ellps="WGS84")


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_gcj02_reference_pair_within_1m():
    # Published pair (eviltransform test vectors; docs/sources.md#gcj-02).
    lon, lat = wgs84_to_gcj02(120.0, 30.0)
    assert metres(lon, lat, 120.00466044559735, 29.997534331696095) < 1.0


def test_gcj02_shift_size_in_eastern_china():
    # Gaode tiles are 100–700 m off WGS 84 in China (docs/sources.md#gcj-02).
    lon, lat = wgs84_to_gcj02(120.0, 30.0)
    assert 100 < metres(120.0, 30.0, lon, lat) < 700


@settings(max_examples=200, deadline=None)
@given(st.floats(73.5, 134.5), st.floats(18.5, 53.5))
def test_gcj02_inverse_round_trip_within_half_metre(lon, lat):
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    w_lon, w_lat = gcj02_to_wgs84(g_lon, g_lat)
    assert metres(lon, lat, w_lon, w_lat) < 0.5


@pytest.mark.parametrize("lon,lat", [(2.35, 48.85), (-74.0, 40.7), (151.2, -33.9), (139.7, 35.7)])
def test_points_outside_china_unchanged(lon, lat):
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    assert (float(g_lon), float(g_lat)) == (lon, lat)


def test_basemap_names_and_datums():
    assert set(tp.BASEMAPS) >= {
        "osm",
        "cartodb",
        "esri-imagery",
        "tianditu-vec",
        "tianditu-img",
        "gaode",
        "gaode-satellite",
        "none",
    }
    assert basemap_datum("gaode") == "gcj02"
    assert basemap_datum("amap") == "gcj02"
    assert basemap_datum("tianditu-img") == "wgs84"  # Tianditu tiles are unshifted
    assert basemap_datum("tiles/{z}/{x}/{y}.png") == "wgs84"
    with pytest.raises(BasemapError, match="unknown basemap 'google'"):
        basemap_datum("google")


def test_tianditu_key_from_argument_or_environment(monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    monkeypatch.delenv("TIANDITU_URL", raising=False)
    with pytest.raises(BasemapError, match="TIANDITU_KEY"):
        tianditu_tile_url("vec")
    url = tianditu_tile_url("vec", key="abc")
    assert url.startswith("https://t{s}.tianditu.gov.cn/vec_w/wmts?")
    assert (
        "LAYER=vec" in url and "tk=abc" in url and "TILEMATRIX={z}&TILEROW={y}&TILECOL={x}" in url
    )
    monkeypatch.setenv("TIANDITU_KEY", "envkey")
    monkeypatch.setenv("TIANDITU_URL", "http://10.0.0.5/tdt/")
    assert tianditu_tile_url("cia") == (
        "http://10.0.0.5/tdt/cia_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cia"
        "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=envkey"
    )


def test_tianditu_map_has_base_and_label_layers():
    m = tp.plan_map(
        tiny_town(), basemap="tianditu-img", tianditu_key="k1", tianditu_url="http://node"
    )
    html = render_html(m)
    assert "http://node/img_w/wmts" in html and "http://node/cia_w/wmts" in html


def _coords(html: str, layer_id: str) -> np.ndarray:
    """All coordinates of one townplan layer in the page, decoded from integers to degrees."""
    end = html.index(', {"id":"' + layer_id + '"')
    start = html.rindex("townplan.layer(", 0, end) + len("townplan.layer(")
    data = json.loads(html[start:end])
    opts = json.loads(html[end + 2 : html.index(");", end)])
    pts = []

    def walk(c):
        if isinstance(c[0], (int, float)):
            pts.append(c)
        else:
            for x in c:
                walk(x)

    for f in data["features"]:
        walk(f["geometry"]["coordinates"])
    ints = np.array(pts)
    assert np.all(ints == np.round(ints))  # integer offsets
    return (ints + np.array([opts["ox"], opts["oy"]])) / opts["scale"]


def test_gaode_shifts_every_overlay_vertex_and_the_view():
    town = tiny_town()
    plain = render_html(tp.plan_map(town, basemap="none"))
    shifted = render_html(tp.plan_map(town, basemap="gaode"))
    for layer in ("roads", "control_lines", "facilities", "boundary"):
        a, b = _coords(plain, layer), _coords(shifted, layer)
        expect = np.column_stack(wgs84_to_gcj02(a[:, 0], a[:, 1]))
        # Both are rounded to 6 decimals (≈0.1 m) after the shift.
        assert np.abs(b - expect).max() < 2e-6
        assert metres(a[:, 0], a[:, 1], b[:, 0], b[:, 1]).min() > 100
    bounds_plain = re.search(r"fitBounds\(\s*\[\[([\d.]+), ([\d.]+)\]", plain).groups()
    bounds_gcj = re.search(r"fitBounds\(\s*\[\[([\d.]+), ([\d.]+)\]", shifted).groups()
    s, w = map(float, bounds_plain)
    gw, gs = wgs84_to_gcj02(w, s)
    assert float(bounds_gcj[0]) == pytest.approx(gs, abs=1e-5)
    assert float(bounds_gcj[1]) == pytest.approx(gw, abs=1e-5)
    assert "autonavi.com" in shifted
