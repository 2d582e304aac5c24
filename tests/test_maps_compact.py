"""Compact map layers (townplan_gis.maps.compact): encoding by hand values, and the plan_map switch.

The browser side is in ``test_maps_compact_browser.py``; ``small_county`` here feeds both.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiPoint, MultiPolygon, Point, Polygon, box

import townplan_gis as tp
from townplan_gis.core.crs import shift_to_gcj02
from townplan_gis.core.errors import TownPlanError
from townplan_gis.maps.compact import (
    COMPACT_THRESHOLD,
    CompactLayer,
    decode_payload,
    display_columns,
    drawn_layers,
    encode_layer,
)
from townplan_gis.maps.compact_geometry import varints as _varints
from townplan_gis.maps.layers import LeafletGeoJson, display_frame, to_display
from townplan_gis.maps.popups import popup_fields

CRS = "EPSG:4546"  # CGCS2000 3-degree GK CM 111E, Puzhou's zone
X0, Y0 = 438_000.0, 3_856_000.0  # about 110.32 E, 34.83 N


def small_county(n_side: int = 40, *, seed: int = 1) -> dict[str, gpd.GeoDataFrame]:
    """``n_side²`` parcels 30–50 m on a 60 m grid, the five lines across them, one sub-metre sliver.

    The green sliver ``G-SLIVER`` overlaps parcel ``P00000`` (the south-west corner) by 0.4 m × 0.4 m:
    far below a pixel at the initial zoom, it must still be drawn as a marker.
    """
    rng = np.random.default_rng(seed)
    n = n_side * n_side
    k = np.arange(n)
    cx = X0 + (k % n_side) * 60.0
    cy = Y0 + (k // n_side) * 60.0
    half_w, half_h = rng.uniform(15, 25, n), rng.uniform(15, 25, n)
    parcels = shapely.box(cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    projects = gpd.GeoDataFrame(
        {
            "project_id": [f"P{i:05d}" for i in k],
            "name": [f"地块{i}" for i in k],
            "project_type": rng.choice(["building", "renovation", "road", "park"], n),
            "investment_wan_yuan": np.round(rng.lognormal(4, 1, n), 1),
            "status": "planned",
        },
        geometry=parcels,
        crs=CRS,
    )
    extent = n_side * 60.0
    x00, y00 = X0 - 25 - half_w[0], Y0 - 25 - half_h[0]
    rows = [
        ("red", None, box(X0 - 60, Y0 + extent / 3, X0 + extent, Y0 + extent / 3 + 18)),
        ("red", None, box(X0 + extent / 2, Y0 - 60, X0 + extent / 2 + 14, Y0 + extent)),
        ("green", None, box(X0 + 200, Y0 + 900, X0 + 500, Y0 + 1200)),
        ("purple", "core", box(X0 + 1500, Y0 + 1500, X0 + 1700, Y0 + 1700)),
        (
            "purple",
            "control",
            box(X0 + 1400, Y0 + 1400, X0 + 1800, Y0 + 1800).difference(
                box(X0 + 1500, Y0 + 1500, X0 + 1700, Y0 + 1700)
            ),
        ),
        (
            "blue",
            None,
            LineString([(X0 - 100, Y0 + 300), (X0 + extent, Y0 + extent - 200)]).buffer(25),
        ),
        ("yellow", None, box(X0 + 2000, Y0 - 60, X0 + 2012, Y0 + extent)),
    ]
    names = ["R-1", "R-2", "G-PARK", "Z-CORE", "Z-CONTROL", "B-RIVER", "Y-1"]
    # The sliver reaches 0.4 m into parcel P00000's south-west corner.
    sw = projects.geometry.iloc[0].bounds
    rows.append(("green", None, box(sw[0] - 5, sw[1] - 5, sw[0] + 0.4, sw[1] + 0.4)))
    names.append("G-SLIVER")
    del x00, y00
    lines = gpd.GeoDataFrame(
        {
            "line_type": [r[0] for r in rows],
            "zone": [r[1] for r in rows],
            "name": names,
            "code": names,
        },
        geometry=[r[2] for r in rows],
        crs=CRS,
    )
    return {"projects": projects, "control_lines": lines}


def county_map(n_side: int = 40, **kw):
    """A county, its real review, and its compact plan map."""
    layers = small_county(n_side)
    town = tp.Town("县域", layers=layers)
    review = tp.review(layers["projects"], layers["control_lines"])
    m = tp.plan_map(town, review=review, basemap="none", renderer="compact", **kw)
    return town, review, m


def payloads(m) -> dict[str, str]:
    """Layer id → payload of each compact layer of a map."""
    out = {}
    for child in m._children.values():
        if isinstance(child, CompactLayer):
            out[json.loads(child.options_js)["id"]] = child.payload
    return out


# --- encoding, by hand ------------------------------------------------------------------------------


def test_varints_hand_values():
    # LEB128: 7 bits per byte, low group first, high bit = more bytes follow.
    assert _varints(np.array([0, 1, 127, 128, 300, 16384])) == bytes(
        [0x00, 0x01, 0x7F, 0x80, 0x01, 0xAC, 0x02, 0x80, 0x80, 0x01]
    )
    assert _varints(np.array([2**35])) == bytes([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
    assert _varints(np.array([], dtype=np.uint64)) == b""


def _geo(geoms, crs="EPSG:4326"):
    return gpd.GeoSeries(geoms, crs=crs)


def test_encoding_by_hand_rings_closed_implicitly_and_oriented():
    # A square with a square hole, both given clockwise/anticlockwise the "wrong" way round.
    outer = [(110.0, 34.0), (110.0, 34.001), (110.001, 34.001), (110.001, 34.0)]  # clockwise
    hole = [(110.0002, 34.0002), (110.0004, 34.0002), (110.0004, 34.0004), (110.0002, 34.0004)]
    poly = Polygon(outer, [hole])
    geoms = _geo([poly, Point(110.0005, 34.0005), LineString([(110.0, 34.0), (110.002, 34.003)])])
    text = encode_layer(
        geoms,
        np.array([0, 1, 2]),
        pd.DataFrame({"a": ["x", None, "x"]}),
        precision=6,
    )
    d = decode_payload(text)
    assert d["n"] == 3
    assert d["npaths"] == [2, 1, 1]
    assert d["path_types"] == [2, 2, 0, 1]  # ring, ring, point, line
    assert d["path_vertices"] == [4, 4, 1, 2]  # closing vertices dropped
    ll = d["lonlat"]
    ring, hole_ll = ll[0:4], ll[4:8]

    def signed_area(r):
        x, y = r[:, 0], r[:, 1]
        return 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)

    assert signed_area(ring) > 0  # exterior anticlockwise
    assert signed_area(hole_ll) < 0  # hole clockwise
    assert sorted(map(tuple, ring.round(6).tolist())) == sorted(outer)
    assert tuple(ll[8]) == pytest.approx((110.0005, 34.0005), abs=1e-9)
    np.testing.assert_allclose(ll[9:], [[110.0, 34.0], [110.002, 34.003]], rtol=0, atol=1e-9)
    assert d["cls"] == [0, 1, 2]
    assert d["columns"] == [["x", None, "x"]]


def test_encoding_layout_header_sections_and_delta_coding():
    geoms = _geo([Point(110.000001, 34.000002), Point(110.000004, 34.000001)])
    text = encode_layer(geoms, np.array([0, 0]), pd.DataFrame({"v": ["一", "二"]}), precision=6)
    raw = zlib.decompress(base64.b64decode(text.text), -15)
    assert raw[:4] == b"TPC1"
    (hlen,) = struct.unpack("<I", raw[4:8])
    assert (8 + hlen) % 4 == 0
    h = json.loads(raw[8 : 8 + hlen])
    # Origin = minimum integer coordinate: x 110000001, y 34000001.
    assert (h["ox"], h["oy"], h["scale"]) == (110_000_001, 34_000_001, 10**6)
    off, ln = h["sections"]["coords"]
    base = 8 + hlen
    # Path 1 starts at (0, 1) from the origin; path 2 at (+3, -1) from path 1's first vertex.
    # zigzag: 0→0, 1→2, 3→6, -1→1.
    assert raw[base + off : base + off + ln] == bytes([0, 2, 6, 1])
    col = h["cols"][0]
    assert col["n"] == 3
    lens = raw[base + col["lens"][0] : base + col["lens"][0] + col["lens"][1]]
    assert list(lens) == [0, 2, 2]  # missing, then one UTF-16 unit each (+1)
    text = raw[base + col["text"][0] : base + col["text"][0] + col["text"][1]]
    assert zlib.decompress(text, -15) == "一二".encode()  # deflated apart: inflated on first use


def test_non_bmp_and_markup_strings_round_trip():
    values = pd.DataFrame({"v": ["𠀋村 <b>&", "a\u2028b", None]})
    text = encode_layer(_geo([Point(110, 34)] * 3), np.zeros(3, int), values)
    assert decode_payload(text)["columns"] == [["𠀋村 <b>&", "a\u2028b", None]]
    # base64 only: nothing in the page can close a script or open a tag.
    assert re.fullmatch(r"[A-Za-z0-9+/=]+", text.text)


def test_nonfinite_coordinates_refused_with_rows():
    geoms = gpd.GeoSeries(
        [Point(110, 34), Point(110, float("nan"))], index=["a", "b"], crs="EPSG:4326"
    )
    with pytest.raises(TownPlanError, match=r"'demo'.*\['b'\].*NaN or infinite"):
        encode_layer(geoms, np.zeros(2, int), pd.DataFrame({"v": [1, 2]}), layer="demo")


def test_misaligned_inputs_refused():
    with pytest.raises(TownPlanError, match="aligned"):
        encode_layer(_geo([Point(110, 34)]), np.zeros(2, int), pd.DataFrame({"v": [1]}))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-179, 179, allow_nan=False), st.floats(-80, 80, allow_nan=False)),
        min_size=1,
        max_size=30,
    ),
    st.integers(3, 7),
)
def test_points_and_lines_round_trip_exactly_at_any_precision(coords, precision):
    geoms = _geo([Point(c) for c in coords] + ([LineString(coords)] if len(coords) > 1 else []))
    rounded = shapely.transform(geoms.array, lambda c: np.round(c, precision))
    text = encode_layer(
        _geo(rounded),
        np.zeros(len(geoms), int),
        pd.DataFrame(index=range(len(geoms))),
        precision=precision,
    )
    d = decode_payload(text)
    expected = shapely.get_coordinates(rounded)
    np.testing.assert_allclose(d["lonlat"], expected, rtol=0, atol=10.0 ** -(precision + 3))


# --- popup columns: the same strings as the GeoJSON overlays ---------------------------------------


def test_display_columns_equal_display_frame_on_a_real_review():
    layers = small_county(12)
    review = tp.review(layers["projects"], layers["control_lines"])
    for kind, frame in (("verdicts", review.projects), ("conflicts", review.conflicts)):
        for lang in ("zh", "en"):
            fields, _tip = popup_fields(kind, lang)
            expected = display_frame(frame, fields, lang=lang)
            coded = display_columns(frame, fields, lang=lang)
            for (column, *_), (table, codes) in zip(fields, coded, strict=True):
                got = [table[c] for c in codes]
                assert got == expected[column].tolist(), (kind, lang, column)


def test_display_columns_hand_values_share_one_entry_per_shown_text():
    df = pd.DataFrame({"a": [1.04, 1.0, np.nan, 0.0], "b": [True, False, None, True]})
    coded = display_columns(df, [("a", "A", "num1+"), ("b", "B", "bool")], lang="zh")
    (ta, ca), (tb, cb) = coded
    assert ta == [None, "1.0"]  # 1.04 and 1.0 both show "1.0"; 0 hidden by "+"; NaN missing
    assert ca.tolist() == [1, 1, 0, 0]
    assert [tb[c] for c in cb] == ["是", "否", None, "是"]


# --- plan_map picks the renderer --------------------------------------------------------------------


def test_plan_map_switches_to_compact_above_the_threshold():
    layers = small_county(8)  # 64 parcels + 8 lines
    town = tp.Town("县域", layers=layers)
    kinds = lambda m: {type(c) for c in m._children.values()}  # noqa: E731
    assert CompactLayer not in kinds(tp.plan_map(town, basemap="none"))
    assert LeafletGeoJson in kinds(tp.plan_map(town, basemap="none"))
    m = tp.plan_map(town, basemap="none", compact_threshold=50)
    assert CompactLayer in kinds(m) and LeafletGeoJson not in kinds(m)
    assert CompactLayer in kinds(tp.plan_map(town, basemap="none", renderer="compact"))
    big = tp.plan_map(town, basemap="none", renderer="geojson", compact_threshold=1)
    assert CompactLayer not in kinds(big)
    assert COMPACT_THRESHOLD == 5_000
    with pytest.raises(TownPlanError, match="renderer must be"):
        tp.plan_map(town, basemap="none", renderer="tiles")


def test_review_conflicts_count_towards_the_threshold():
    layers = small_county(8)
    town = tp.Town("县域", layers=layers)
    review = tp.review(layers["projects"], layers["control_lines"])
    n = len(layers["projects"]) + len(layers["control_lines"])
    assert len(review.conflicts) > 0
    m = tp.plan_map(town, review=review, basemap="none", compact_threshold=n)
    assert any(isinstance(c, CompactLayer) for c in m._children.values())


def test_compact_map_layers_hold_every_feature_and_the_rounded_coordinates():
    town, review, m = county_map(10)
    p = payloads(m)
    assert set(p) == {"control_lines", "verdicts", "conflicts"}
    for kind, frame in (
        ("control_lines", town.control_lines),
        ("verdicts", review.projects),
        ("conflicts", review.conflicts),
    ):
        d = decode_payload(p[kind])
        shown = to_display(frame)
        assert d["n"] == len(shown)
        # Every vertex of the GeoJSON overlay, less each ring's closing one.
        expected = shapely.get_coordinates(shown.array)
        parts = shapely.get_parts(shown.array)
        polys = parts[shapely.get_type_id(parts) == 3]
        n_rings = len(polys) + int(shapely.get_num_interior_rings(polys).sum())
        assert len(d["lonlat"]) == len(expected) - n_rings
        got = {tuple(v) for v in np.round(d["lonlat"], 6).tolist()}
        assert got == {tuple(v) for v in np.round(expected, 6).tolist()}


def test_gaode_basemap_shifts_compact_layers_too():
    layers = small_county(6)
    town = tp.Town("县域", layers=layers)
    plain = decode_payload(
        payloads(tp.plan_map(town, basemap="none", renderer="compact"))["projects"]
    )
    shifted = decode_payload(
        payloads(tp.plan_map(town, basemap="gaode", renderer="compact"))["projects"]
    )
    gcj = shift_to_gcj02(to_display(town.projects))
    first = shapely.get_coordinates(gcj.array[:1])
    np.testing.assert_allclose(
        np.sort(shifted["lonlat"][:4], axis=0), np.sort(first[:4], axis=0), atol=1.1e-6
    )
    # Eastern China: GCJ-02 moves a point by hundreds of metres (≈ 0.001–0.007°).
    offset = np.abs(shifted["lonlat"] - plain["lonlat"]).max()
    assert 0.0005 < offset < 0.01


def test_compact_page_is_self_contained_and_smaller():
    town, review, m = county_map(40)
    page = tp.maps.render_html(m, offline=True)
    assert "fflate" in page and "townplan.compact(" in page
    assert not re.search(r"<script[^>]+src=[\"']https?:", page)
    assert not re.search(r"<link[^>]+href=[\"']https?:", page)
    assert all(p in page for p in payloads(m).values())
    geojson = tp.plan_map(town, review=review, basemap="none", renderer="geojson")
    geojson_data = sum(
        len(c.data) for c in geojson._children.values() if isinstance(c, LeafletGeoJson)
    )
    compact_data = sum(len(p) for p in payloads(m).values())
    assert compact_data < geojson_data / 4


def test_hostile_strings_never_reach_the_page_as_markup():
    layers = small_county(5)
    evil = '</script><script>window.__pwned=1</script><img src=x onerror="x()">'
    layers["projects"].loc[0, "name"] = evil
    town = tp.Town("县域", layers=layers)
    page = tp.maps.render_html(tp.plan_map(town, basemap="none", renderer="compact"))
    assert evil not in page and "__pwned" not in page
    d = decode_payload(payloads(tp.plan_map(town, basemap="none", renderer="compact"))["projects"])
    assert evil in d["columns"][1]  # the name column carries the text itself, escaped at display


def test_caller_frames_not_modified():
    layers = small_county(5)
    before = {k: v.copy() for k, v in layers.items()}
    town = tp.Town("县域", layers=layers)
    review = tp.review(layers["projects"], layers["control_lines"])
    conflicts = review.conflicts.copy()
    tp.plan_map(town, review=review, basemap="gaode", renderer="compact", simplify_m=1.0)
    for k, v in layers.items():
        pd.testing.assert_frame_equal(v, before[k])
    pd.testing.assert_frame_equal(review.conflicts, conflicts)


def test_multipolygon_and_multipoint_features_keep_all_parts():
    geoms = _geo(
        [
            MultiPolygon([box(110, 34, 110.001, 34.001), box(110.002, 34, 110.003, 34.001)]),
            MultiPoint([(110.01, 34.01), (110.02, 34.02)]),
        ]
    )
    d = decode_payload(encode_layer(geoms, np.zeros(2, int), pd.DataFrame(index=[0, 1])))
    assert d["npaths"] == [2, 2]
    assert d["path_types"] == [2, 2, 0, 0]
    assert d["path_vertices"] == [4, 4, 1, 1]


# --- findings only, and the command line ------------------------------------------------------------


def test_findings_only_draws_every_conflict_and_the_projects_that_do_not_pass():
    layers = small_county(12)
    town = tp.Town("县域", layers=layers)
    review = tp.review(layers["projects"], layers["control_lines"])
    full = dict((i, n) for i, _name, n in drawn_layers(tp.plan_map(town, review=review)))
    m = tp.plan_map(town, review=review, basemap="none", findings_only=True)
    got = {i: (name, n) for i, name, n in drawn_layers(m)}
    not_passing = int((review.projects["verdict"] != "pass").sum())
    assert 0 < not_passing < len(review.projects)
    assert got["verdicts"] == ("项目审查结论(仅未通过)", not_passing)
    assert got["conflicts"][1] == full["conflicts"] == len(review.conflicts)
    d = decode_payload(
        payloads(tp.plan_map(town, review=review, findings_only=True, renderer="compact"))[
            "verdicts"
        ]
    )
    ids = set(d["columns"][0])
    assert ids == set(review.projects.loc[review.projects["verdict"] != "pass", "project_id"])
    en = tp.plan_map(town, review=review, basemap="none", findings_only=True, lang="en")
    assert ("verdicts", "Project verdicts (not passing only)") in {
        (i, nm) for i, nm, _n in drawn_layers(en)
    }
    with pytest.raises(TownPlanError, match="pass review="):
        tp.plan_map(town, basemap="none", findings_only=True)


def test_cli_map_says_what_it_drew_and_what_it_left_out(tmp_path):
    from test_bad_input import assert_exit2, run_cli

    layers = small_county(12)
    gpkg = tmp_path / "county.gpkg"
    for kind, gdf in layers.items():
        gdf.to_file(gpkg, layer=kind, driver="GPKG")
    review = tp.review(layers["projects"], layers["control_lines"])
    passing = int((review.projects["verdict"] == "pass").sum())
    out = tmp_path / "m.html"
    proc = run_cli("map", gpkg, "--review", "--basemap", "none", "--findings-only", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "drawn (compact layers)" not in proc.stdout  # 144 parcels: GeoJSON layers
    assert f"项目审查结论(仅未通过) {len(review.projects) - passing:,}" in proc.stdout
    assert f"冲突（项目×控制线） {len(review.conflicts):,}" in proc.stdout
    assert f"not drawn: {passing:,} passing projects (--findings-only)" in proc.stdout
    proc = run_cli("map", gpkg, "--basemap", "none", "--renderer", "compact", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "drawn (compact layers): 五线 8 · 建设项目 144" in proc.stdout
    assert_exit2(
        run_cli("map", gpkg, "--findings-only", "--out", out), "--findings-only", "--review"
    )
