"""Coordinate plausibility: a layer's numbers against its declared CRS (check_coordinates).

Geometries are small boxes near the sample town Puzhou (110.32°E, 34.83°N). In EPSG:4546 (CGCS2000
3-degree Gauss-Krüger CM 111°E, zone 37) that point is x ≈ 437 795 m, y ≈ 3 855 944 m; its
zone-prefixed twin EPSG:4525 writes the same easting as 37 437 795. The plausible box of EPSG:4546
is its area of use (109.5–112.5°E, 18.11–45.11°N) widened by 3°, i.e. 106.5–115.5°E: x from about
16 km to 984 km, y from about 1 671 km to 5 340 km (pyproj transform_bounds).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import townplan_gis as tp
from townplan_gis.core.crs import MARGIN_DEG, check_coordinates

X0, Y0 = 437_000.0, 3_855_000.0  # metres in EPSG:4546, 800 m south-west of Puzhou's centre


def B(x0, y0, x1, y1, dx=X0, dy=Y0):
    return shapely.box(dx + x0, dy + y0, dx + x1, dy + y1)


def layer(geoms, crs="EPSG:4546", index=None, **cols):
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs, index=index)


def refused(gdf, *needles, name="projects"):
    with pytest.raises(tp.CRSError) as exc:
        check_coordinates(gdf, layer=name)
    msg = str(exc.value)
    assert "\n" not in msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    return msg


# --- what passes -------------------------------------------------------------------------------------
def test_clean_layers_pass_unchanged():
    gdf = layer([B(0, 0, 100, 100), B(500, 500, 600, 600)])
    out, repairs = check_coordinates(gdf, layer="projects")
    assert out is gdf and repairs == []
    lonlat = layer([shapely.box(110.32, 34.83, 110.33, 34.84)], crs="EPSG:4490")
    assert check_coordinates(lonlat, layer="green")[1] == []
    prefixed = layer([B(0, 0, 100, 100, dx=37e6 + X0)], crs="EPSG:4525")
    assert check_coordinates(prefixed, layer="roads")[1] == []


def test_empty_no_crs_null_and_nonfinite_pass_through():
    empty = layer([], crs="EPSG:4546")
    assert check_coordinates(empty, layer="projects")[0] is empty
    no_crs = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)])
    assert check_coordinates(no_crs, layer="projects")[0] is no_crs
    # A null and an empty geometry, and a line whose stray vertex is NaN: the geometry checks
    # deal with those, this one looks at the rest.
    nan_line = shapely.LineString([(1e12, 3.8e6), (np.nan, np.nan)])
    gdf = layer([None, shapely.Polygon(), nan_line, B(0, 0, 10, 10)])
    out, repairs = check_coordinates(gdf, layer="projects")
    assert out is gdf and repairs == []


def test_not_a_geodataframe_is_a_schema_error():
    with pytest.raises(tp.SchemaError, match="layer 'projects' must be a GeoDataFrame"):
        check_coordinates(pd.DataFrame({"a": [1]}), layer="projects")


def test_sample_towns_pass():
    for town in [tp.sample_town(), *tp.sample_towns()]:
        assert "zone_prefix_removed" not in set(town.repairs["action"])
        for kind, gdf in town.layers.items():
            out, repairs = check_coordinates(gdf, layer=kind)
            assert out is gdf and repairs == []


def test_a_town_beyond_the_zone_edge_passes_far_beyond_is_refused():
    # 113.9°E is 2.9° east of the central meridian 111°E: 1.4° past the zone edge (112.5°E), inside
    # the 3° margin (115.5°E). 117°E is 6° off the meridian and 1.5° beyond the margin.
    to_gk = pyproj.Transformer.from_crs(4490, 4546, always_xy=True)
    x, y = to_gk.transform(113.9, 34.8)
    near = layer([shapely.box(x, y, x + 100, y + 100)])
    assert check_coordinates(near, layer="builtup")[1] == []
    x, y = to_gk.transform(117.0, 34.8)
    far = layer([shapely.box(x, y, x + 100, y + 100)])
    refused(far, "outside the area of use", f"{MARGIN_DEG:g}° margin", "about 117.00°E 34.80°N")


# --- the zone prefix ---------------------------------------------------------------------------------
def test_matching_zone_prefix_is_removed_row_for_row():
    clean = layer(
        [B(0, 0, 100, 100), B(200, 0, 300, 50), B(0, 300, 40, 340)],
        index=["a", "b", "c"],
        project_type=["building"] * 3,
    )
    # Rows a and c carry zone 37's prefix (x + 37 000 000), row b is clean.
    geoms = list(clean.geometry)
    geoms[0] = shapely.transform(geoms[0], lambda c: c + np.array([37e6, 0]))
    geoms[2] = shapely.transform(geoms[2], lambda c: c + np.array([37e6, 0]))
    dirty = clean.set_geometry(geoms)
    before = dirty.copy()
    out, repairs = check_coordinates(dirty, layer="projects")
    assert len(out) == len(dirty) == 3
    assert list(out.index) == ["a", "b", "c"]
    assert out.geometry.geom_equals_exact(clean.geometry, tolerance=0).all()
    assert out.crs == dirty.crs
    assert dirty.geometry.geom_equals_exact(before.geometry, tolerance=0).all()  # not in place
    (rep,) = repairs
    assert (rep.layer, rep.action, rep.rows) == ("projects", "zone_prefix_removed", ["a", "c"])
    assert "37,000,000 subtracted" in rep.detail and "EPSG:4525" in rep.detail


def test_six_degree_prefix_with_the_same_meridian_is_removed():
    # 6-degree zone 19 has its central meridian at 6·19 − 3 = 111°E, as 3-degree zone 37.
    out, (rep,) = check_coordinates(layer([B(0, 0, 10, 10, dx=19e6 + X0)]), layer="roads")
    assert out.total_bounds.tolist() == [X0, Y0, X0 + 10, Y0 + 10]
    assert "prefix 19" in rep.detail and "EPSG:4497" in rep.detail


def test_prefix_removal_keeps_z():
    pz = shapely.Point(37e6 + X0, Y0, 12.5)
    out, _ = check_coordinates(layer([pz]), layer="facilities")
    assert out.geometry.iloc[0].equals_exact(shapely.Point(X0, Y0, 12.5), 0)
    assert out.geometry.iloc[0].has_z


def test_prefix_removed_in_another_datum():
    # Xian 1980 / 3-degree GK CM 111E (EPSG:2382); its prefixed twin is EPSG:2361.
    out, (rep,) = check_coordinates(
        layer([B(0, 0, 10, 10, dx=37e6 + X0)], crs="EPSG:2382"), layer="roads"
    )
    assert out.total_bounds[0] == X0
    assert "EPSG:2361" in rep.detail


def test_non_matching_prefix_is_refused():
    msg = refused(
        layer([B(0, 0, 10, 10), B(0, 0, 10, 10, dx=38e6 + X0)]),
        "layer 'projects'",
        "rows [1] (1 of 2 features)",
        "8 digits starting with 38",
        "x 38,437,000 to 38,437,010",
        "EPSG:4526 (CGCS2000 / 3-degree Gauss-Kruger zone 38)",
        "subtract 38,000,000",
        "EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)",
        "central meridian at 111°E",
    )
    assert msg.startswith("layer 'projects': coordinates do not fit the declared CRS EPSG:4546")


def test_prefixed_crs_without_prefix_is_refused():
    refused(
        layer([B(0, 0, 10, 10)], crs="EPSG:4525"),
        "without the zone prefix 37",
        "declare EPSG:4546 (CGCS2000 / 3-degree Gauss-Kruger CM 111E)",
        "add 37,000,000",
    )


# --- lon/lat, metres, swapped axes, huge ---------------------------------------------------------------
def test_lonlat_declared_as_gauss_krueger():
    refused(
        layer([shapely.box(117.0, 30.0, 117.01, 30.01)], crs="EPSG:4547"),
        "look like longitude/latitude",
        "x 117 to 117.01, y 30 to 30.01",
        "declare EPSG:4490",
    )


def test_lonlat_outside_china_declared_projected_suggests_wgs84():
    refused(
        layer([shapely.box(4.36, 52.0, 4.37, 52.01)], crs="EPSG:32631"),
        "look like longitude/latitude",
        "declare EPSG:4326",
    )


def test_metres_declared_as_degrees():
    refused(
        layer([B(0, 0, 100, 100)], crs="EPSG:4490"),
        "projected numbers (metres), not degrees",
        "x 437,000 to 437,100",
        "EPSG:4534–4554",
    )
    refused(
        layer([B(0, 0, 100, 100, dx=37e6 + X0)], crs="EPSG:4326"),
        "not degrees",
        "8 digits starting with 37",
        "declare EPSG:4525",
    )


def test_swapped_axes_projected():
    swapped = layer([shapely.box(Y0, X0, Y0 + 100, X0 + 100)])
    refused(swapped, "swapped axes (northing, easting)", "x 3,855,000 to 3,855,100", "swap x and y")
    # A survey table: X = northing, Y = zone-prefixed easting.
    table = layer([shapely.box(Y0, 37e6 + X0, Y0 + 100, 37e6 + X0 + 100)])
    refused(table, "swapped axes", "y eastings of 8 digits starting with 37", "swap x and y")


def test_swapped_axes_geographic():
    latlon = layer([shapely.box(34.83, 110.32, 34.84, 110.33)], crs="EPSG:4490")
    refused(latlon, "swapped axes (latitude, longitude)", "x 34.83 to 34.84", "keep EPSG:4490")
    in_metres = layer([shapely.box(Y0, X0, Y0 + 10, X0 + 10)], crs="EPSG:4490")
    refused(in_metres, "not degrees, with swapped axes (northing, easting)")


def test_huge_and_far_off_coordinates():
    refused(layer([B(0, 0, 10, 10, dx=1e12)]), "outside the area of use", "x 1e+12")
    # 2 000 km east of the central meridian: no zone of China is that wide.
    refused(layer([B(0, 0, 10, 10, dx=X0 + 2e6)]), "outside the area of use", "x 2,437,000")


def test_every_mistake_of_a_layer_is_listed():
    gdf = layer(
        [B(0, 0, 10, 10), shapely.box(117.0, 30.0, 117.01, 30.01), B(0, 0, 10, 10, dx=38e6 + X0)],
        index=[10, 11, 12],
    )
    msg = refused(gdf, "rows [11] (1 of 3 features)", "rows [12] (1 of 3 features)")
    assert msg.index("starting with 38") < msg.index("longitude/latitude")


def test_source_named_from_read_layer(tmp_path):
    path = tmp_path / "sites.gpkg"
    layer([shapely.box(117.0, 30.0, 117.01, 30.01)], project_type=["building"]).to_file(path)
    gdf, _ = tp.read_layer(path)
    refused(gdf, f"(file {path})")


# --- in the Town and the review ------------------------------------------------------------------------
RED = layer([B(0, 0, 200, 30)], line_type=["red"], name=["西厢大街"], road_class=["arterial"])


def projects(*geoms, crs="EPSG:4546"):
    n = len(geoms)
    return layer(
        geoms, crs=crs, project_id=[f"P{i}" for i in range(n)], project_type=["building"] * n
    )


def prefixed(gdf, zone=37):
    return gdf.set_geometry(
        shapely.transform(gdf.geometry.array, lambda c: c + np.array([zone * 1e6, 0]))
    )


def test_prefix_repair_reviews_exactly_as_clean_data():
    # P0 (20 × 40 m) overlaps the arterial red line on 20 × 20 = 400 m²; P1 is 470 m away.
    clean = projects(B(50, 10, 70, 50), B(50, 500, 70, 520))
    fixed = tp.review(prefixed(clean), RED)
    plain = tp.review(clean, RED)
    assert fixed.projects["verdict"].tolist() == plain.projects["verdict"].tolist()
    assert fixed.projects["verdict"].iloc[0] in ("review", "reject")
    assert fixed.conflicts["overlap_area_m2"].tolist() == [400.0]
    pd.testing.assert_frame_equal(
        fixed.conflicts.drop(columns="geometry"), plain.conflicts.drop(columns="geometry")
    )
    assert len(fixed.projects) == 2
    rep = fixed.repairs
    assert rep["action"].tolist() == ["zone_prefix_removed"]
    assert rep["rows"].iloc[0] == [0, 1] and rep["layer"].iloc[0] == "projects"


def test_town_records_the_prefix_and_reviews_as_clean():
    clean = projects(B(50, 10, 70, 50), B(50, 500, 70, 520))
    town = tp.Town("蒲州镇", layers={"projects": prefixed(clean), "control_lines": RED})
    rep = town.repairs
    assert rep.loc[rep["action"] == "zone_prefix_removed", "rows"].tolist() == [[0, 1]]
    assert len(town.projects) == 2
    plain = tp.Town("蒲州镇", layers={"projects": clean, "control_lines": RED})
    assert (
        tp.review(town).projects["verdict"].tolist()
        == tp.review(plain).projects["verdict"].tolist()
    )


def test_review_refuses_mislabelled_control_lines():
    lonlat = RED.to_crs(4490).set_crs(4546, allow_override=True)
    with pytest.raises(tp.CRSError, match=r"layer 'control_lines'.*longitude/latitude"):
        tp.review(projects(B(50, 10, 70, 50)), lonlat)


def test_town_refuses_before_reprojecting():
    # Metres declared as degrees used to be reprojected to infinity, then reported as empty.
    bad = projects(B(50, 10, 70, 50), crs="EPSG:4490")
    with pytest.raises(tp.CRSError, match=r"layer 'projects'.*not degrees"):
        tp.Town("t", layers={"projects": bad, "control_lines": RED})


def test_town_keeps_projects_with_nan_vertices_and_records_them():
    nan_site = shapely.Polygon([(X0, Y0), (X0 + 10, Y0), (X0 + 10, np.nan), (X0, Y0 + 10)])
    gdf = projects(B(50, 10, 70, 50), nan_site, B(0, 100, 10, 110))
    town = tp.Town("t", layers={"projects": gdf, "control_lines": RED})
    assert len(town.projects) == 3
    rep = town.repairs
    assert rep.loc[rep["action"] == "nonfinite_vertices", "rows"].tolist() == [[1]]
    # Kept as it is: make_valid would have collapsed it and hidden why it cannot be reviewed.
    assert np.isnan(shapely.get_coordinates(town.projects.geometry.iloc[1])).any()
    assert "make_valid" not in set(rep["action"])


@pytest.mark.parametrize("kind", ["control_lines", "green", "roads"])
def test_town_refuses_nan_vertices_in_other_layers(kind):
    geoms = [B(0, 0, 10, 10), shapely.LineString([(X0, Y0), (np.inf, Y0)])]
    if kind == "roads":
        geoms[0] = shapely.LineString([(X0, Y0), (X0 + 100, Y0)])
        gdf = layer(geoms, road_class=["branch", "branch"], width_m=[8.0, 8.0])
    elif kind == "green":
        geoms[1] = shapely.Polygon([(X0, Y0), (X0 + 9, Y0), (X0, np.nan)])
        gdf = layer(geoms, green_class=["park", "park"])
    else:
        geoms[1] = shapely.Polygon([(X0, Y0), (X0 + 9, Y0), (X0, np.nan)])
        gdf = layer(geoms, line_type=["green", "green"])
    with pytest.raises(tp.GeometryError) as exc:
        tp.Town("t", layers={kind: gdf})
    msg = str(exc.value)
    assert f"layer '{kind}'" in msg and "rows [1] (1 of 2 features)" in msg
    assert "NaN or infinite" in msg and "Fix:" in msg
    assert isinstance(exc.value, tp.SchemaError)


# --- the property of issue 13 --------------------------------------------------------------------------
MISTAKES = ["other_prefix", "lonlat", "metres_as_degrees", "swapped", "huge", "same_prefix"]


def _mislabel(gdf: gpd.GeoDataFrame, mistake: str, zone: int, power: int, gk: int):
    g = gdf.geometry.array
    if mistake == "other_prefix":
        return prefixed(gdf, zone)
    if mistake == "same_prefix":
        return prefixed(gdf, 37)
    if mistake == "lonlat":
        return gdf.to_crs(4490).set_crs(gk, allow_override=True)
    if mistake == "metres_as_degrees":
        return gdf.set_crs(4490 if power % 2 else 4326, allow_override=True)
    if mistake == "swapped":
        return gdf.set_geometry(shapely.transform(g, lambda c: c[:, ::-1]))
    return gdf.set_geometry(shapely.transform(g, lambda c: c * 10.0**power))


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    mistake=st.sampled_from(MISTAKES),
    zone=st.sampled_from([z for z in [*range(13, 24), *range(25, 46)] if z not in (19, 37)]),
    power=st.integers(3, 7),
    gk=st.integers(4534, 4554),
    ox=st.floats(0.0, 190.0),
    oy=st.floats(0.0, 20.0),
    size=st.tuples(st.floats(5.0, 10.0), st.floats(5.0, 10.0)),
    grow=st.tuples(*[st.floats(0.0, 30.0)] * 4),
)
def test_a_mislabelled_project_never_passes(mistake, zone, power, gk, ox, oy, size, grow):
    # The project overlaps the 200 × 30 m red line on a box of at least 5 × 5 m at (ox, oy), far
    # above the sliver tolerance (1 m², 0.1 % of at most 70 × 70 m, 0.5 m inward buffer), and
    # reaches up to 30 m beyond it on each side: on clean data it is never 'pass'.
    ow, oh = size
    left, right, down, up = grow
    site = projects(B(ox - left, oy - down, ox + ow + right, oy + oh + up))
    clean = tp.review(site, RED).projects["verdict"].iloc[0]
    assert clean != "pass"
    try:
        verdict = tp.review(_mislabel(site, mistake, zone, power, gk), RED).projects["verdict"]
    except tp.CRSError as exc:
        assert mistake != "same_prefix", exc
        return
    assert mistake == "same_prefix"  # the one mistake that is repaired, not refused
    assert verdict.iloc[0] == clean
