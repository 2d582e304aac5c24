"""Green, facility, land and residential indicators against hand-computed values."""

from __future__ import annotations

import math

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from indicator_helpers import box, gdf, line, point, square_km

from townplan_gis.core.errors import CRSError, MissingColumnError, TownPlanError
from townplan_gis.indicators import (
    built_up_area_km2,
    canopy_geometries,
    construction_land_grade,
    construction_land_per_capita_m2,
    facility_counts,
    green_coverage_pct,
    green_land_ratio_pct,
    household_service_coverage_pct,
    households_served,
    park_count,
    park_green_area_m2,
    park_green_per_capita_m2,
    residential_quarters,
)

# A crown polygon is a 16-gon (quad_segs=4) inscribed in the crown circle: area 8·r²·sin(π/8).
POLY16 = 8 * math.sin(2 * math.pi / 16)


# --- green ------------------------------------------------------------------------------------------------
def test_layers_in_degrees_are_refused():
    # The same parks in longitude/latitude would give "areas" in square degrees.
    green = gdf([box(0, 0, 100, 100)], green_class=["G1"]).to_crs(4326)
    with pytest.raises(CRSError, match=r"degrees.*reproject"):
        park_green_area_m2(green)
    with pytest.raises(CRSError, match="EPSG:4326"):
        green_land_ratio_pct(green, square_km())


def test_overlapping_green_counted_once():
    # Two 100 × 100 parks overlapping by 50 × 100: union 15 000 m² of 1 km² → 1.5 %.
    green = gdf([box(0, 0, 100, 100), box(50, 0, 150, 100)], green_class=["G1", "G1"])
    assert green_land_ratio_pct(green, square_km()) == pytest.approx(1.5)
    assert green_coverage_pct(green, square_km()) == pytest.approx(1.5)
    assert park_green_area_m2(green) == pytest.approx(15_000.0)


def test_green_outside_builtup_is_clipped():
    # A 200 × 100 park straddling the east edge: 100 × 100 inside → 1 %.
    green = gdf([box(900, 0, 1100, 100)], green_class=["G1"])
    assert green_land_ratio_pct(green, square_km()) == pytest.approx(1.0)
    assert park_green_area_m2(green, square_km()) == pytest.approx(10_000.0)
    assert park_green_area_m2(green) == pytest.approx(20_000.0)


def test_coverage_adds_canopy_and_regional_green_but_land_ratio_does_not():
    # G2 100 × 100 (10 000) + EG 100 × 100 (10 000) + a tree of crown 10 m in the open (16-gon of
    # radius 5) + a tree inside the G2 (counted once). Green land = G2 only = 1 %.
    green = gdf([box(0, 0, 100, 100), box(300, 300, 400, 400)], green_class=["G2", "EG"])
    trees = gdf([point(600, 600), point(50, 50)], crown_diameter_m=[10.0, 10.0])
    tree_area = POLY16 * 25
    assert green_land_ratio_pct(green, square_km()) == pytest.approx(1.0)
    expected = 100 * (20_000 + tree_area) / 1e6
    assert green_coverage_pct(green, square_km(), trees) == pytest.approx(expected, rel=1e-9)


def test_canopy_points_without_crown_are_left_out_unless_defaulted():
    trees = gdf([point(0, 0), point(100, 0)], crown_diameter_m=[4.0, float("nan")])
    geoms = canopy_geometries(trees)
    assert geoms.area.iloc[0] == pytest.approx(POLY16 * 4)
    assert geoms.iloc[1].is_empty
    with_default = canopy_geometries(trees, default_crown_diameter_m=6.0)
    assert with_default.area.iloc[1] == pytest.approx(POLY16 * 9)


def test_canopy_polygons_are_kept_as_drawn():
    trees = gdf([box(0, 0, 10, 10)], crown_diameter_m=[float("nan")])
    assert canopy_geometries(trees).area.iloc[0] == pytest.approx(100.0)


def test_park_green_per_capita_and_missing_population():
    # 20 000 m² of G1 (plus 10 000 m² of XG) for 5 000 people → 4.0 m²/person.
    green = gdf([box(0, 0, 200, 100), box(500, 500, 600, 600)], green_class=["G1", "XG"])
    assert park_green_per_capita_m2(green, 5000, square_km()) == pytest.approx(4.0)
    assert math.isnan(park_green_per_capita_m2(green, None))
    assert math.isnan(park_green_per_capita_m2(green, 0))
    assert math.isnan(park_green_per_capita_m2(green, float("nan")))
    assert math.isnan(park_green_per_capita_m2(green, -5000))
    assert park_count(green) == 1


def test_green_class_missing_is_a_clear_error_and_pd_na_is_not_green_land():
    bare = gdf([box(0, 0, 100, 100)], 类型=["G1"])
    for call in (
        lambda: green_land_ratio_pct(bare, square_km()),
        lambda: green_coverage_pct(bare, square_km()),
        lambda: park_count(bare),
        lambda: residential_quarters(gdf([box(0, 0, 100, 100)], households=[1.0]), bare),
    ):
        with pytest.raises(MissingColumnError, match=r"'green'.*'green_class'.*绿地类型"):
            call()
    # A "string" column with a missing class: the G1 box counts, the unclassified one does not.
    green = gdf([box(0, 0, 100, 100), box(500, 500, 600, 600)], green_class=["G1", None])
    green["green_class"] = green["green_class"].astype("string")
    assert park_count(green) == 1
    assert green_land_ratio_pct(green, square_km()) == pytest.approx(1.0)
    assert green_coverage_pct(green, square_km()) == pytest.approx(2.0)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-200, 1100),
            st.floats(-200, 1100),
            st.floats(1, 300),
            st.floats(1, 300),
            st.sampled_from(["G1", "G2", "G3", "XG", "EG"]),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_green_land_ratio_never_exceeds_coverage(rects):
    green = gdf(
        [box(x, y, x + w, y + h) for x, y, w, h, _ in rects], green_class=[c for *_, c in rects]
    )
    ratio = green_land_ratio_pct(green, square_km())
    cover = green_coverage_pct(green, square_km())
    assert 0 <= ratio <= cover + 1e-9 <= 100 + 1e-9


def test_park_count_follows_the_built_up_area():
    # In the 1 km² built-up area: A inside, B straddling the east edge (half inside), C 5 km out,
    # D touching the east edge from outside (0 m² inside), E a G2 inside (not a park).
    green = gdf(
        [
            box(100, 100, 200, 200),
            box(950, 300, 1050, 400),
            box(6000, 0, 6100, 100),
            box(1000, 600, 1100, 700),
            box(300, 300, 400, 400),
        ],
        green_class=["G1", "G1", "G1", "G1", "G2"],
    )
    bu = square_km()
    assert park_count(green, bu) == 2  # A and B: the scope of the park area
    assert park_green_area_m2(green, bu) == pytest.approx(10_000 + 5_000)
    assert park_count(green) == 4  # no built-up area given: every G1 feature
    outside = gdf([box(6000, 0, 6100, 100)], green_class=["G1"])
    assert park_count(outside, bu) == 0 and park_green_area_m2(outside, bu) == 0.0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-300, 1200),
            st.integers(-300, 1200),
            st.integers(1, 300),
            st.integers(1, 300),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_a_park_counts_exactly_when_it_adds_area(rects):
    # Integer corners hit the edge cases: parks touching the built-up edge from outside add 0 m² and
    # are not counted; any park with area inside is counted once.
    bu = square_km()
    parks = [box(x, y, x + w, y + h) for x, y, w, h in rects]
    for p in parks:
        one = gdf([p], green_class=["G1"])
        assert park_count(one, bu) == int(park_green_area_m2(one, bu) > 0)
    every = gdf(parks, green_class=["G1"] * len(parks))
    inside = sum(park_green_area_m2(gdf([p], green_class=["G1"]), bu) > 0 for p in parks)
    assert park_count(every, bu) == inside <= park_count(every)


# --- facilities -----------------------------------------------------------------------------------------
def test_facility_counts_follow_the_built_up_area_except_utility_plants():
    f = gdf(
        [
            point(500, 500),  # parking inside
            point(6000, 0),  # parking 5 km out
            point(1000, 500),  # parking on the edge: counts
            box(1000, 0, 1100, 100),  # market touching the edge from outside: 0 m² inside
            line((900, 50), (1100, 50)),  # commercial street straddling the edge
            point(3000, 3000),  # landfill outside: township-wide
            point(-400, 500),  # sewage plant outside: township-wide
        ],
        facility_type=[
            "parking",
            "parking",
            "parking",
            "market",
            "commercial_street",
            "landfill",
            "sewage_plant",
        ],
    )
    counts = facility_counts(f, square_km())
    assert counts[
        ["parking", "market", "commercial_street", "landfill", "sewage_plant"]
    ].tolist() == [
        2,
        0,
        1,
        1,
        1,
    ]
    strict = facility_counts(f, square_km(), township_wide=())
    assert strict["landfill"] == 0 and strict["sewage_plant"] == 0
    everything = facility_counts(f)
    assert everything["parking"] == 3 and everything["market"] == 1


def test_facility_counts_include_zeros():
    f = gdf(
        [point(0, 0), point(1, 1), point(2, 2)],
        facility_type=["public_toilet", "public_toilet", "market"],
    )
    counts = facility_counts(f)
    assert counts["public_toilet"] == 2 and counts["market"] == 1
    assert counts["landfill"] == 0


def test_household_service_coverage():
    # Quarter A (100 households) 0..100 squares, quarter B (300 households) far east. A toilet at
    # (300, 50) is 250 m from A's representative point (50, 50) and 650 m from B's → 100 / 400 = 25 %.
    quarters = gdf(
        [box(0, 0, 100, 100), box(900, 0, 1000, 100)], households=[100.0, 300.0], name=["A", "B"]
    )
    f = gdf([point(300, 50)], facility_type=["public_toilet"])
    served = households_served(quarters, f, "public_toilet", radius_m=500)
    assert served.tolist() == [True, False]
    assert household_service_coverage_pct(quarters, f, "public_toilet") == pytest.approx(25.0)
    assert household_service_coverage_pct(
        quarters, f, "public_toilet", radius_m=700
    ) == pytest.approx(100.0)
    # No garbage point at all: truly nobody served (the layer exists).
    assert household_service_coverage_pct(quarters, f, "garbage_point") == 0.0
    with pytest.raises(TownPlanError, match="radius"):
        household_service_coverage_pct(quarters, f, "clinic")


def test_service_coverage_notes_quarters_it_cannot_place():
    # A third quarter (100 households) has no geometry: it stays in the total, is not served, and the
    # note says so: 100 / 500 = 20 %.
    from townplan_gis.indicators.facilities import _service_results

    quarters = gdf(
        [box(0, 0, 100, 100), box(900, 0, 1000, 100), None], households=[100.0, 300.0, 100.0]
    )
    f = gdf([point(300, 50)], facility_type=["public_toilet"])
    res = _service_results(quarters, f, {"public_toilet": 500.0})["public_toilet"]
    assert res.value == pytest.approx(20.0)
    assert "1 quarter(s) without a geometry" in res.note


# --- land and residential -------------------------------------------------------------------------------
def test_built_up_area_and_per_capita_land():
    # Two overlapping squares: 1 km² ∪ a 0.5 × 1 km strip half overlapping → 1.25 km².
    bu = gdf([box(0, 0, 1000, 1000), box(750, 0, 1250, 1000)])
    assert built_up_area_km2(bu) == pytest.approx(1.25)
    assert construction_land_per_capita_m2(bu, 12_500) == pytest.approx(100.0)
    assert math.isnan(construction_land_per_capita_m2(bu, None))
    # An empty built-up layer has no land to share: NaN, not a fake 0 m²/person.
    empty = gdf([shapely.Polygon()])
    assert built_up_area_km2(empty) == 0.0
    assert math.isnan(construction_land_per_capita_m2(empty, 12_500))


def test_functions_do_not_modify_input():
    green = gdf([box(0, 0, 100, 100), box(50, 0, 150, 100)], green_class=["G1", "XG"])
    trees = gdf([point(600, 600), point(700, 700)], crown_diameter_m=[10.0, float("nan")])
    quarters = gdf([box(0, 0, 200, 200)], households=[150.0], name=["Q"])
    f = gdf([point(300, 50)], facility_type=["public_toilet"])
    bu = square_km()
    frames = {"green": green, "canopy": trees, "residential": quarters, "facilities": f, "bu": bu}
    before = {k: v.copy() for k, v in frames.items()}
    green_coverage_pct(green, bu, trees, default_crown_diameter_m=4.0)
    green_land_ratio_pct(green, bu)
    park_green_per_capita_m2(green, 1000, bu)
    park_count(green)
    canopy_geometries(trees)
    built_up_area_km2(bu)
    construction_land_per_capita_m2(bu, 1000)
    residential_quarters(quarters, green)
    facility_counts(f)
    household_service_coverage_pct(quarters, f, "public_toilet")
    for k, v in frames.items():
        assert v.equals(before[k]), k


def test_missing_households_or_facility_type_is_a_clear_error():
    with pytest.raises(MissingColumnError, match=r"'residential'.*'households'"):
        residential_quarters(gdf([box(0, 0, 100, 100)], hh=[1.0]))
    with pytest.raises(MissingColumnError, match=r"'facilities'.*'facility_type'"):
        facility_counts(gdf([point(0, 0)], kind=["toilet"]))


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        (60.0, math.nan),
        (60.01, 1),
        (80.0, 1),
        (80.01, 2),
        (100.0, 2),
        (140.0, 4),
        (140.5, math.nan),
    ],
)
def test_gb50188_grades(value, grade):
    got = construction_land_grade(value)
    assert (math.isnan(got) and math.isnan(grade)) or got == grade


def test_residential_quarters_model_test():
    # Q1: 100 × 100 = 10 000 m², 120 households, XG 40 × 80 = 3 200 m² plus a G1 box 20..60 × 80..100
    # (800 m², touching the XG box) → 4 000 m² = 40 % → qualifies.
    # Q2: 90 households (< 100) with 50 % green → does not.
    # Q3: 300 households, EG (not green land) only → 0 %.
    quarters = gdf(
        [box(0, 0, 100, 100), box(200, 0, 300, 100), box(400, 0, 500, 100)],
        households=[120.0, 90.0, 300.0],
        name=["Q1", "Q2", "Q3"],
    )
    quarters.index = [7, 8, 9]
    green = gdf(
        [box(0, 0, 40, 80), box(20, 80, 60, 100), box(200, 0, 250, 100), box(400, 0, 500, 100)],
        green_class=["XG", "G1", "XG", "EG"],
    )
    q = residential_quarters(quarters, green)
    assert q.index.tolist() == [7, 8, 9]
    assert q["green_m2"].tolist() == pytest.approx([4000.0, 5000.0, 0.0])
    assert q["green_ratio_pct"].tolist() == pytest.approx([40.0, 50.0, 0.0])
    assert q["qualifies"].tolist() == [True, False, False]
    strict = residential_quarters(quarters, green, min_green_pct=45)
    assert strict["qualifies"].tolist() == [False, False, False]


def test_residential_green_overlaps_counted_once():
    # Two identical XG boxes of 50 × 100 in a 100 × 100 quarter → 50 %, not 100 %.
    quarters = gdf([box(0, 0, 100, 100)], households=[200.0])
    green = gdf([box(0, 0, 50, 100), box(0, 0, 50, 100)], green_class=["XG", "XG"])
    assert residential_quarters(quarters, green)["green_ratio_pct"].iloc[0] == pytest.approx(50.0)
