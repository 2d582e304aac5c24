"""Buildable land of parcels (tp.buildable_land): hand-computed remainders, strict and relaxed
setbacks, the minimum width, invariants (buildable ⊆ parcel) and bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import townplan_gis as tp
from townplan_gis.analyses import buildable_items, buildable_land
from townplan_gis.core.errors import CRSError, GeometryTypeError, TownPlanError

X0, Y0 = 437_000.0, 3_855_000.0
CRS = "EPSG:4546"


def at(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def frame(geoms, **cols):
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=CRS)


ROAD = dict(line_type=["red"], road_class=["arterial"])


def test_parcel_beside_a_main_road():
    """100 × 50 m parcel; the road's red line takes its southern 10 m; a building keeps 8 m from
    it (relaxed, the rule file) or 12 m (strict, large public buildings): 100 × 32 and 100 × 28."""
    lines = frame([at(0, -20, 100, 10)], **ROAD)
    b = buildable_land(frame([at(0, 0, 100, 50)]), lines, widest=True).iloc[0]
    assert b["gross_m2"] == pytest.approx(5000.0) and b["gross_mu"] == pytest.approx(7.5)
    assert b["taken_red_m2"] == pytest.approx(1000.0)
    assert b["setback_red_m2"] == pytest.approx(800.0)
    assert b["setback_red_strict_m2"] == pytest.approx(1200.0)
    assert b["excluded_m2"] == pytest.approx(1800.0)
    assert b["buildable_m2"] == pytest.approx(3200.0) and b["buildable_mu"] == pytest.approx(4.8)
    assert b["buildable_strict_m2"] == pytest.approx(2800.0)
    assert b["widest_m"] == pytest.approx(32.0, abs=0.1)
    assert b["widest_strict_m"] == pytest.approx(28.0, abs=0.1)
    assert b["usable_m2"] == pytest.approx(3200.0) and bool(b["buildable"])
    assert b.geometry.equals_exact(
        at(0, 18, 100, 50).normalize(), 1e-6
    ) or b.geometry.normalize().equals(at(0, 18, 100, 50).normalize())
    assert b["geometry_strict"].area == pytest.approx(2800.0)


def test_a_three_metre_strip_is_not_buildable():
    # Parcel 10 … 21 m north of the red line's edge at 10 m: the 8 m setback leaves 18 … 21 m.
    b = buildable_land(
        frame([at(0, 10, 100, 21)]), frame([at(0, -20, 100, 10)], **ROAD), widest=True
    ).iloc[0]
    assert b["buildable_m2"] == pytest.approx(300.0)
    assert b["widest_m"] == pytest.approx(3.0, abs=0.1)
    assert b["usable_m2"] == 0.0 and not b["buildable"]
    assert "narrower than 10 m" in b["note"]
    wide_enough = buildable_land(
        frame([at(0, 10, 100, 21)]), frame([at(0, -20, 100, 10)], **ROAD), min_width_m=2.9
    ).iloc[0]
    assert wide_enough["usable_m2"] == pytest.approx(300.0) and wide_enough["buildable"]


def test_every_part_kept_and_tiers_graded_by_the_rules():
    """A green line cuts the parcel in two (both parts kept); a purple harmony zone is a notice for
    a building (its land is reported but stays buildable); a purple control zone is review
    (taken)."""
    lines = frame(
        [at(45, -10, 55, 60), at(0, 0, 20, 50), at(80, 0, 100, 50)],
        line_type=["green", "purple", "purple"],
        zone=[None, "harmony", "control"],
    )
    b = buildable_land(frame([at(0, 0, 100, 50)]), lines).iloc[0]
    assert b["taken_green_m2"] == pytest.approx(500.0)
    assert b["taken_purple_harmony_m2"] == pytest.approx(1000.0)
    assert b["taken_purple_control_m2"] == pytest.approx(1000.0)
    assert b["buildable_m2"] == pytest.approx(5000 - 500 - 1000)
    assert b["n_parts"] == 2
    assert (
        "purple_harmony" not in b["excluded_classes"] and "purple_control" in b["excluded_classes"]
    )
    # A park is reviewed, not forbidden, inside a green line: for a park the green land is taken
    # all the same (review needs the procedure), the harmony zone still not.
    park = buildable_land(frame([at(0, 0, 100, 50)]), lines, project_type="park").iloc[0]
    assert "green" in park["excluded_classes"] and park["setback_red_m2"] == 0.0


def test_overlapping_lines_of_one_type_count_once():
    lines = frame([at(0, 0, 60, 50), at(40, 0, 100, 50)], line_type=["green", "green"])
    b = buildable_land(frame([at(0, 0, 100, 50)]), lines).iloc[0]
    assert b["taken_green_m2"] == pytest.approx(5000.0)
    assert b["buildable_m2"] == pytest.approx(0.0)


def test_blue_setback_and_own_setback_column():
    lines = frame([at(-50, 0, 0, 50)], line_type=["blue"])
    b = buildable_land(frame([at(0, 0, 100, 50)]), lines).iloc[0]
    assert b["setback_blue_m2"] == pytest.approx(500.0)  # 10 m from a river blue line
    own = frame([at(0, -20, 100, 0)], line_type=["red"], road_class=["arterial"], setback_m=[3.0])
    b = buildable_land(frame([at(0, 0, 100, 50)]), own).iloc[0]
    assert b["setback_red_m2"] == pytest.approx(300.0)
    assert b["setback_red_strict_m2"] == pytest.approx(300.0)  # the plan fixed it: no range


def test_setbacks_only_for_buildings_and_can_be_switched_off():
    lines = frame([at(0, -20, 100, 10)], **ROAD)
    parcel = frame([at(0, 0, 100, 50)])
    assert buildable_land(parcel, lines, setbacks=False).iloc[0]["buildable_m2"] == pytest.approx(
        4000.0
    )
    road = buildable_land(parcel, lines, project_type="greening").iloc[0]
    assert road["setback_red_m2"] == 0.0 and road["buildable_m2"] == pytest.approx(4000.0)


def test_aligned_to_the_input_and_the_tidy_table():
    parcels = frame([at(0, 0, 100, 50), shapely.Polygon(), at(200, 0, 300, 50)])
    parcels.index = ["p1", "p2", "p3"]
    b = buildable_land(parcels, frame([at(0, -20, 100, 10)], **ROAD))
    assert b.index.tolist() == ["p1", "p2", "p3"]
    assert np.isnan(b.loc["p2", "gross_m2"]) and "no geometry" in b.loc["p2", "note"]
    assert b.loc["p3", "buildable_m2"] == pytest.approx(5000.0)
    long = buildable_items(b)
    row = long[
        (long["parcel"] == "p1") & (long["item"] == "buildable") & (long["variant"] == "strict")
    ]
    assert row["area_m2"].item() == pytest.approx(2800.0)


def test_town_lines_take_road_classes_from_the_roads():
    town = tp.sample_town()
    parcels = gpd.GeoDataFrame(
        geometry=[town.builtup.geometry.iloc[0].centroid.buffer(150)], crs=town.crs
    )
    from_town = buildable_land(parcels, town).iloc[0]
    bare = buildable_land(parcels, town.control_lines).iloc[0]
    # Without the road classes every red line is kept 5 m from (red_default); with them the main
    # roads keep 8 m: never less land taken.
    assert from_town["setback_red_m2"] >= bare["setback_red_m2"]
    assert from_town["buildable_m2"] <= from_town["gross_m2"]


@settings(max_examples=40, deadline=None)
@given(
    x=st.floats(-60, 60),
    y=st.floats(-60, 60),
    w=st.floats(5, 120),
    h=st.floats(5, 120),
    angle=st.floats(0, 90),
    kind=st.sampled_from(["red", "green", "blue", "yellow"]),
)
def test_buildable_is_inside_the_parcel_and_off_the_lines(x, y, w, h, angle, kind):
    parcel = shapely.affinity.rotate(at(0, 0, 80, 60), angle)
    line = at(x, y, x + w, y + h)
    lines = frame([line], line_type=[kind], road_class=["branch" if kind == "red" else None])
    b = buildable_land(frame([parcel]), lines).iloc[0]
    assert "widest_m" not in b.index  # measured only when asked
    relaxed, strict = b.geometry, b["geometry_strict"]
    assert relaxed.difference(parcel).area < 1e-6
    assert strict.difference(relaxed).area < 1e-6
    assert relaxed.intersection(line).area < 1e-6
    assert b["buildable_m2"] <= b["gross_m2"] + 1e-6
    assert b["usable_m2"] <= b["buildable_m2"] + 1e-6


def test_bad_input():
    lines = frame([at(0, -20, 100, 10)], **ROAD)
    with pytest.raises(GeometryTypeError, match=r"rows \[0\]"):
        buildable_land(frame([shapely.LineString([(X0, Y0), (X0 + 1, Y0)])]), lines)
    with pytest.raises(CRSError, match="no CRS"):
        buildable_land(gpd.GeoDataFrame(geometry=[at(0, 0, 1, 1)]), lines)
    with pytest.raises(TownPlanError, match="did you mean 'building'"):
        buildable_land(frame([at(0, 0, 1, 1)]), lines, project_type="buildin")
    with pytest.raises(TownPlanError, match="min_width_m"):
        buildable_land(frame([at(0, 0, 1, 1)]), lines, min_width_m=-1)
    with pytest.raises(TownPlanError, match="GeoDataFrame"):
        buildable_land([at(0, 0, 1, 1)], lines)
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    b = buildable_land(frame([bowtie]), frame([at(500, 500, 600, 600)], **ROAD)).iloc[0]
    assert "repaired" in b["note"] and b["gross_m2"] == pytest.approx(5000.0)
    assert np.isfinite(b["buildable_m2"])
