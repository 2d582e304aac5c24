"""Site search (tp.find_sites): sites clear of every constraint, ranked by the stated score, reviewed,
with the 选址 summary; property tests on the sample town; bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import townplan_gis as tp
from townplan_gis.analyses import find_sites
from townplan_gis.core.errors import MissingLayerError, TownPlanError

X0, Y0 = 437_000.0, 3_855_000.0
CRS = "EPSG:4546"


def at(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def small_town(**extra):
    """Built-up area 400 × 300 m; an arterial road along its south edge (red line y 0…20, setback
    8 m); a river's blue line over x 300…400 (setback 10 m). Free land: x 0…290, y 28…300."""
    layers = {
        "boundary": gpd.GeoDataFrame(geometry=[at(-100, -100, 500, 400)], crs=CRS),
        "builtup": gpd.GeoDataFrame(geometry=[at(0, 0, 400, 300)], crs=CRS),
        "roads": gpd.GeoDataFrame(
            {"road_class": ["arterial"], "redline_width_m": [20.0], "name": ["大街"]},
            geometry=[shapely.LineString([(X0 - 100, Y0 + 10), (X0 + 500, Y0 + 10)])],
            crs=CRS,
        ),
        "control_lines": gpd.GeoDataFrame(
            {"line_type": ["red", "blue"], "code": ["HX-1", "LAN-1"]},
            geometry=[at(-100, 0, 500, 20), at(300, -100, 400, 400)],
            crs=CRS,
        ),
        **extra,
    }
    return tp.Town("test", layers=layers, absent_line_types=["green", "purple", "yellow"])


def test_sites_clear_of_lines_setbacks_and_each_other():
    r = find_sites(small_town(), area_m2=2500, n=4)
    sites = r.sites
    assert len(sites) == 4 and sites["rank"].tolist() == [1, 2, 3, 4]
    assert sites["area_m2"].to_numpy() == pytest.approx(2500.0)
    assert sites["area_mu"].to_numpy() == pytest.approx(3.75)
    red, blue = at(-100, 0, 500, 20), at(300, -100, 400, 400)
    for g in sites.geometry:
        assert g.distance(red) >= 8 - 1e-6 and g.distance(blue) >= 10 - 1e-6
        assert g.within(at(0, 0, 400, 300))
    geoms = list(sites.geometry)
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            assert geoms[i].intersection(geoms[j]).area < 1e-6
    assert (np.diff(sites["score"].to_numpy()) <= 1e-12).all()
    assert sites["verdict"].tolist() == ["pass"] * 4 and sites["passes_review"].all()
    # The best site hugs the road's setback band: the nearest the score allows.
    best = sites.iloc[0]
    assert 18.0 <= best["road_distance_m"] <= 18.0 + 12.5 and best["road_name"] == "大街"
    assert best["reason"].startswith("rank 1: score") and "大街" in best["reason_zh"]


def test_score_is_the_stated_formula():
    r = find_sites(small_town(), area_m2=2500, n=3)
    s = r.sites
    expected = (
        0.5 * np.clip(1 - s["road_distance_m"] / 500, 0, 1) + 0.2 * s["score_compact"]
    ) / 0.7
    np.testing.assert_allclose(s["score"], expected)
    square = s[s["width_m"] == s["length_m"]]
    np.testing.assert_allclose(square["score_compact"], 1.0)


def test_near_pulls_the_sites_towards_it():
    fac = gpd.GeoDataFrame(
        {"facility_type": ["school"], "name": ["小学"]},
        geometry=[shapely.Point(X0 + 150, Y0 + 290)],
        crs=CRS,
    )
    plain = find_sites(small_town(facilities=fac), area_m2=2500, n=1, occupied=())
    near = find_sites(
        small_town(facilities=fac),
        area_m2=2500,
        n=1,
        near="school",
        weights={"road": 0.1},
        occupied=(),
    )
    school = shapely.Point(X0 + 150, Y0 + 290)
    assert near.sites.geometry.iloc[0].distance(school) < plain.sites.geometry.iloc[0].distance(
        school
    )
    assert near.sites["near_name"].iloc[0] == "小学"


def test_constraints_summary_lists_every_check():
    r = find_sites(small_town(), area_m2=2500, n=2)
    c = r.constraints.set_index("constraint")
    assert {"red", "blue", "setback red", "setback blue", "roads"} <= set(c.index)
    assert (
        c.loc[["red", "blue", "setback red", "setback blue", "roads"], "status"] == "clear"
    ).all()
    assert c.loc["setback red", "setback_m"] == 8.0 and c.loc["setback blue", "setback_m"] == 10.0
    assert c.loc["red", "grade"] == "forbidden"
    assert r.review is not None and len(r.review.projects) >= 2
    assert r.settings["area_mu"] == pytest.approx(3.75)
    assert r.settings["refused_by_review"] == [] and r.settings["reviewed"] >= 2


def test_min_width_and_no_room():
    r = find_sites(small_town(), area_m2=2500, min_width_m=60, n=2)
    assert (r.sites["width_m"] >= 60).all() and (r.sites["area_m2"] >= 3600 - 1e-6).all()
    none = find_sites(small_town(), area_m2=200_000, n=2)
    assert len(none.sites) == 0 and none.settings["candidates"] == 0


@settings(max_examples=8, deadline=None)
@given(area=st.floats(2_000, 40_000), ptype=st.sampled_from(["building", "park", "agriculture"]))
def test_sample_town_sites_never_touch_a_forbidden_line(area, ptype):
    town = tp.sample_town()
    r = find_sites(town, area_m2=area, project_type=ptype, n=3)
    lines = town.control_lines
    from townplan_gis.fiveline import load_rules

    rules = load_rules()
    forbidden = [
        g
        for g, t, z in zip(lines.geometry, lines["line_type"], lines["zone"], strict=True)
        if rules.resolve(t, z, ptype).grade in ("forbidden", "review") and t != "dev_boundary"
    ]
    # A development boundary constrains the land outside it: a building site lies inside it.
    dev = shapely.union_all(list(lines.geometry[lines["line_type"] == "dev_boundary"]))
    for site in r.sites.geometry:
        assert all(site.intersection(f).area < 1e-6 for f in forbidden)
        if rules.resolve("dev_boundary", None, ptype).grade in ("forbidden", "review"):
            assert site.difference(dev).area < 1e-6
    assert set(r.sites["verdict"]) <= {"pass"}


def test_bad_input():
    town = small_town()
    with pytest.raises(TownPlanError, match="area_m2"):
        find_sites(town, area_m2=0)
    with pytest.raises(TownPlanError, match="did you mean 'building'"):
        find_sites(town, area_m2=100, project_type="buildng")
    with pytest.raises(TownPlanError, match="unknown weight"):
        find_sites(town, area_m2=100, weights={"roads": 1})
    with pytest.raises(TownPlanError, match="needs a Town"):
        find_sites(town.control_lines, area_m2=100)
    with pytest.raises(MissingLayerError, match="development boundary"):
        find_sites(town, area_m2=100, within="dev_boundary")
    with pytest.raises(TownPlanError, match="no facilities of type"):
        find_sites(
            small_town(
                facilities=gpd.GeoDataFrame(
                    {"facility_type": ["market"]}, geometry=[shapely.Point(X0, Y0)], crs=CRS
                )
            ),
            area_m2=100,
            near="school",
        )
    with pytest.raises(TownPlanError, match="occupied"):
        find_sites(town, area_m2=100, occupied=("houses",))
