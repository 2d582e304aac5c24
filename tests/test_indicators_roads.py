"""Road indicators against hand-computed values on tiny geometries (all in metres)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from indicator_helpers import box, gdf, line, point, roads, square_km

from townplan_gis.core.errors import TownPlanError
from townplan_gis.indicators import (
    _geom,
    internal_road_mask,
    main_road_lighting_pct,
    paving_rate_pct,
    road_area_m2,
    road_area_ratio_pct,
    road_coverage_pct,
    road_length_km,
    road_network_density_km_per_km2,
    road_surfaces,
)
from townplan_gis.indicators._geom import (
    buffer_union_area,
    covered_length,
    exclusive_areas,
    union_area,
)
from townplan_gis.indicators.lighting import _lighting_result
from townplan_gis.indicators.road_area import _carriageway_result, _redline_chain
from townplan_gis.indicators.roads import TRUNK_CLASSES as TRUNK

# Area of a 16-vertex polygon inscribed in a circle of radius r (a buffer with quad_segs=4):
# (n/2)·r²·sin(2π/n) with n = 16.
POLY16 = 8 * math.sin(2 * math.pi / 16)


def grid8() -> list:
    """Four east–west and four north–south 1 km roads across the 1 km² square: 8 km."""
    ys = (125, 375, 625, 875)
    return [line((0, y), (1000, y)) for y in ys] + [line((x, 0), (x, 1000)) for x in ys]


# --- length and density ------------------------------------------------------------------------------
def test_density_8km_in_1km2_is_8():
    # 8 roads × 1 km inside 1 km² → 8.0 km/km² (the example).
    r = roads(grid8())
    assert road_length_km(r, square_km()) == pytest.approx(8.0)
    assert road_network_density_km_per_km2(r, square_km()) == pytest.approx(8.0)


def test_road_half_outside_counts_half():
    # A 1 km road from x = 500 to x = 1500: only 500 m lie inside the square.
    r = roads([line((500, 500), (1500, 500))])
    assert road_length_km(r, square_km()) == pytest.approx(0.5)
    assert road_network_density_km_per_km2(r, square_km()) == pytest.approx(0.5)


def test_coincident_duplicates_counted_once():
    # The same 1 km road digitised twice, plus a 400 m stretch overlapping it: still 1 km.
    r = roads(
        [line((0, 500), (1000, 500)), line((0, 500), (1000, 500)), line((300, 500), (700, 500))]
    )
    assert road_length_km(r, square_km()) == pytest.approx(1.0)


def test_density_without_builtup_area_is_nan():
    r = roads(grid8())
    empty = gdf([shapely.Polygon()])
    assert math.isnan(road_network_density_km_per_km2(r, empty))


def test_internal_roads_excluded_by_option():
    # Quarter 200..400 × 200..400. An internal lane (250..350 at y=300) is excluded; a road along the
    # quarter's edge (y = 200) and a road crossing outside are public.
    quarter = gdf([box(200, 200, 400, 400)], households=[120.0])
    r = roads(
        [
            line((250, 300), (350, 300)),  # internal, 100 m
            line((200, 200), (400, 200)),  # along the edge, 200 m
            line((0, 600), (1000, 600)),  # elsewhere, 1000 m
            line((199.5, 300), (400.5, 300)),  # touches both edges with 0.5 m overshoot: internal
        ]
    )
    mask = internal_road_mask(r, quarter)
    assert mask.tolist() == [True, False, False, True]
    assert road_length_km(r, square_km(), residential=quarter) == pytest.approx(1.2)
    with_internal = road_length_km(r, square_km(), residential=quarter, exclude_internal=False)
    # 100 + 200 + 1000 + 201 m, minus the 100 m where the two internal ones coincide → 1.401 km.
    assert with_internal == pytest.approx(1.401)


def test_internal_mask_keeps_index_and_handles_empty_geometry():
    r = roads([line((250, 300), (350, 300)), shapely.LineString()])
    r.index = [10, 20]
    mask = internal_road_mask(r, gdf([box(200, 200, 400, 400)], households=[1.0]))
    assert mask.index.tolist() == [10, 20]
    assert mask.tolist() == [True, False]


# --- road area ------------------------------------------------------------------------------------------
def test_road_surface_has_flat_ends():
    # 100 m × 10 m road: exactly 1000 m²; a round cap would add π·5² = 78.5 m².
    r = roads([line((0, 0), (100, 0))], redline_width_m=[10.0])
    surf = road_surfaces(r)
    assert surf.area.iloc[0] == pytest.approx(1000.0)


def test_road_surface_of_a_bend_is_mitred_and_matches_road_area():
    # L-shaped road (0,0)→(100,0)→(100,100), 10 m wide: [0,105]×[−5,5] ∪ [95,105]×[−5,100] =
    # 1050 + 1050 − 100 = 2000 m² (length × width). A round join would cut 25 − 25π/4 ≈ 5.4 m² off the
    # outer corner. road_surfaces and road_area_m2 measure the same polygons.
    r = roads([line((0, 0), (100, 0), (100, 100))], redline_width_m=[10.0])
    assert road_surfaces(r).area.iloc[0] == pytest.approx(2000.0)
    assert road_area_m2(r) == pytest.approx(2000.0)


def test_unknown_variant_or_measure_is_refused():
    r = roads([line((0, 0), (100, 0))], redline_width_m=[10.0])
    with pytest.raises(TownPlanError, match="variant must be one of"):
        road_area_m2(r, variant="red-line")
    with pytest.raises(TownPlanError, match="variant must be one of"):
        road_surfaces(r, variant="Carriageway")
    with pytest.raises(TownPlanError, match="by must be one of"):
        paving_rate_pct(r, by="areas")


def test_crossing_counted_once_in_road_area():
    # Two 20 m wide, 1 km roads crossing in the middle: 2 × 20 000 − 20 × 20 = 39 600 m².
    r = roads(
        [line((0, 500), (1000, 500)), line((500, 0), (500, 1000))], redline_width_m=[20.0, 20.0]
    )
    assert road_area_m2(r, square_km()) == pytest.approx(39_600.0)
    # Road area ratio: 39 600 / 1 000 000 = 3.96 %.
    assert road_area_ratio_pct(r, square_km()) == pytest.approx(3.96)


def test_road_area_half_outside_counts_half():
    # 1 km × 10 m road, half outside the square → 5 000 m² inside, 10 000 m² unclipped.
    r = roads([line((500, 500), (1500, 500))], redline_width_m=[10.0])
    assert road_area_m2(r, square_km()) == pytest.approx(5000.0)
    assert road_area_m2(r) == pytest.approx(10_000.0)


def test_missing_width_uses_class_default_and_says_so():
    # A branch road without width gets the GB 50188 lower bound, 10 m: 1 km × 10 m = 10 000 m².
    r = roads([line((0, 500), (1000, 500))], redline_width_m=[np.nan])
    areas, note, _ = _redline_chain(r, shapely.box(*square_km().total_bounds), None)
    assert areas[2] == pytest.approx(10_000.0)
    assert "class default" in note
    # Without defaults the width is unknown: NaN, never 0.
    assert math.isnan(road_area_m2(r, square_km(), default_widths={}))


def test_carriageway_variant_counts_paved_roads_only():
    # Paved road 1 km × 7 m carriageway = 7 000 m²; the unpaved one is not counted.
    r = roads(
        [line((0, 300), (1000, 300)), line((0, 700), (1000, 700))],
        redline_width_m=[12.0, 12.0],
        carriageway_width_m=[7.0, 7.0],
        surface=["paved", "unpaved"],
    )
    assert road_area_m2(r, square_km(), variant="carriageway") == pytest.approx(7000.0)


def test_carriageway_without_widths_or_surface_is_nan_with_reason():
    r = roads([line((0, 300), (1000, 300))], surface=["paved"])
    res = _carriageway_result(r, None, None)
    assert math.isnan(res.value) and "carriageway width" in res.note
    r2 = roads([line((0, 300), (1000, 300))], carriageway_width_m=[7.0])
    res2 = _carriageway_result(r2, None, None)
    assert math.isnan(res2.value) and "surface" in res2.note


# --- paving ------------------------------------------------------------------------------------------------
def test_paving_rate_by_length_and_area():
    # 3 paved roads (1 km each) and 1 unpaved: 75 % by length. Widths 10, 10, 10 (paved) and
    # 30 (unpaved), parallel so no overlaps: by area 30 000 / 60 000 = 50 %.
    r = roads(
        [line((0, y), (1000, y)) for y in (100, 300, 500, 800)],
        redline_width_m=[10.0, 10.0, 10.0, 30.0],
        surface=["paved", "paved", "paved", "unpaved"],
    )
    assert paving_rate_pct(r, square_km()) == pytest.approx(75.0)
    assert paving_rate_pct(r, square_km(), by="area") == pytest.approx(50.0)


def test_paving_rate_leaves_unknown_surface_out_and_nan_when_none_known():
    r = roads(
        [line((0, y), (1000, y)) for y in (100, 300, 500)],
        surface=["paved", "unpaved", None],
    )
    assert paving_rate_pct(r, square_km()) == pytest.approx(50.0)
    assert math.isnan(paving_rate_pct(roads([line((0, 1), (9, 1))], surface=[None])))
    # A pandas "string" column (missing = pd.NA) gives the same 1 km paved of 2 km known.
    r["surface"] = r["surface"].astype("string")
    assert paving_rate_pct(r, square_km()) == pytest.approx(50.0)


# --- coverage ----------------------------------------------------------------------------------------------
def test_coverage_of_a_road_along_the_edge():
    # A road on the southern edge serves a 150 m band: 150 000 m² of 1 km² → 15 %.
    r = roads([line((-500, 0), (1500, 0))])
    assert road_coverage_pct(r, square_km()) == pytest.approx(15.0)


def test_coverage_of_a_road_ending_inside():
    # Road from (0, 500) to (500, 500): a 500 × 300 rectangle plus the round end at (500, 500), a half
    # 16-gon of radius 150 (the west end's half disk lies outside the square).
    expected = 500 * 300 + POLY16 * 150**2 / 2
    r = roads([line((0, 500), (500, 500))])
    assert road_coverage_pct(r, square_km()) == pytest.approx(100 * expected / 1e6, rel=1e-9)
    # Within 0.5 % of the true circle value.
    assert expected == pytest.approx(150_000 + math.pi * 150**2 / 2, rel=5e-3)


def test_coverage_distance_is_an_option():
    r = roads([line((-500, 0), (1500, 0))])
    assert road_coverage_pct(r, square_km(), distance_m=300) == pytest.approx(30.0)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(*[st.floats(-200, 1200, allow_nan=False)] * 4), min_size=1, max_size=30),
    st.floats(20, 300),
)
def test_cell_coverage_equals_plain_union(segments, d):
    # The cell classification must give the area of the plain union of buffers, clipped. Up to
    # _DIRECT_MAX lines the function *is* the plain union, so force the cell path.
    lines = np.array([line((a, b), (c, e)) for a, b, c, e in segments], dtype=object)
    lines = lines[shapely.length(lines) > 0]
    if len(lines) == 0:
        return
    clip = shapely.Polygon(
        [(500_000 + x, 3_800_000 + y) for x, y in [(0, 0), (1000, 100), (900, 900), (100, 700)]]
    )
    plain = shapely.intersection(
        shapely.union_all(shapely.buffer(lines, d, quad_segs=4)), clip
    ).area
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_geom, "_DIRECT_MAX", 0)
        cells = buffer_union_area(lines, d, clip)
    # Equal up to floating noise (pieces are unioned cell by cell).
    assert cells == pytest.approx(plain, rel=1e-5, abs=1e-3)


def test_cell_coverage_of_many_short_lines_per_edge_cell():
    # 400 short roads scattered over 10 km × 10 km with d = 5 m: cells (22.4 m) are larger than the
    # buffers, so each edge cell is cut by its own few buffers (the pairwise branch), not one union.
    rng = np.random.default_rng(0)
    lines = np.array(
        [line((x, y), (x + 3, y + 2)) for x, y in rng.uniform(0, 10_000, (400, 2))], dtype=object
    )
    clip = box(0, 0, 10_000, 10_000)
    plain = shapely.intersection(
        shapely.union_all(shapely.buffer(lines, 5, quad_segs=4)), clip
    ).area
    assert len(lines) > _geom._DIRECT_MAX
    assert buffer_union_area(lines, 5, clip) == pytest.approx(plain, rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 900), st.floats(0, 900), st.floats(1, 200), st.floats(1, 200)),
        min_size=1,
        max_size=40,
    )
)
def test_exclusive_areas_sum_to_union_area(rects):
    geoms = np.array([box(x, y, x + w, y + h) for x, y, w, h in rects], dtype=object)
    assert exclusive_areas(geoms).sum() == pytest.approx(shapely.union_all(geoms).area, rel=1e-9)
    assert union_area(geoms, clip=box(100, 100, 600, 600)) == pytest.approx(
        shapely.intersection(shapely.union_all(geoms), box(100, 100, 600, 600)).area, rel=1e-9
    )


def test_exclusive_areas_with_many_earlier_neighbours():
    # 30 boxes 100 × 100 shifted by 1 m: box i meets all i earlier ones, so past 16 neighbours it is
    # differenced against their union in one step. Union = 129 × 100 = 12 900 m²; box 0 keeps
    # 10 000 m² and every later box adds a 1 × 100 m strip.
    geoms = np.array([box(i, 0, i + 100, 100) for i in range(30)], dtype=object)
    areas = exclusive_areas(geoms)
    assert areas[0] == pytest.approx(10_000.0)
    assert areas[1:].tolist() == pytest.approx([100.0] * 29)
    assert union_area(geoms, clip=box(0, 0, 50, 100)) == pytest.approx(5_000.0)


# --- lighting ----------------------------------------------------------------------------------------------
def test_main_road_lighting_by_flag_and_by_street_light():
    # Two 1 km arterials: the first flagged lit (1000 m); the second has no flag and one street light
    # at its middle reaching 25 m each way (50 m). A lit branch road does not count. (1000 + 50) / 2000.
    r = roads(
        [line((0, 300), (1000, 300)), line((0, 700), (1000, 700)), line((500, 0), (500, 1000))],
        road_class=["arterial", "arterial", "branch"],
        lit=[True, None, True],
    )
    lights = gdf([point(500, 700)], kind=["LED"])
    assert main_road_lighting_pct(r, square_km(), lights) == pytest.approx(52.5)
    assert main_road_lighting_pct(r, square_km(), lights, reach_m=100) == pytest.approx(60.0)


def test_lighting_without_data_or_trunk_roads_is_nan_with_reason():
    r = roads([line((0, 300), (1000, 300))], road_class=["arterial"], lit=[None])
    res = _lighting_result(r, None, None, reach_m=25, trunk_classes=("arterial",))
    assert math.isnan(res.value) and "no lighting data" in res.note
    r2 = roads([line((0, 300), (1000, 300))], lit=[True])
    res2 = _lighting_result(r2, None, None, reach_m=25, trunk_classes=("arterial", "secondary"))
    assert math.isnan(res2.value) and "no trunk roads" in res2.note


def test_functions_do_not_modify_input():
    r = roads(
        grid8(),
        road_class=["arterial"] * 4 + ["branch"] * 4,
        redline_width_m=[20.0] * 7 + [np.nan],
        surface=["paved"] * 7 + [None],
        lit=[True, None] * 4,
    )
    bu, quarter = square_km(), gdf([box(200, 200, 400, 400)], households=[120.0])
    lights = gdf([point(500, 125)], kind=["LED"])
    frames = {"roads": r, "builtup": bu, "residential": quarter, "streetlights": lights}
    before = {k: (v.copy(), v.crs) for k, v in frames.items()}
    road_length_km(r, bu, residential=quarter)
    road_network_density_km_per_km2(r, bu, residential=quarter)
    internal_road_mask(r, quarter)
    road_surfaces(r)
    road_area_m2(r, bu)
    road_area_m2(r, bu, variant="carriageway", default_widths={"branch": 7.0})
    road_area_ratio_pct(r, bu)
    paving_rate_pct(r, bu)
    paving_rate_pct(r, bu, by="area")
    road_coverage_pct(r, bu, residential=quarter)
    main_road_lighting_pct(r, bu, lights)
    for k, v in frames.items():
        assert v.equals(before[k][0]) and v.crs == before[k][1], k


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 500), st.floats(0, 500)), min_size=2, max_size=8),
    st.lists(st.tuples(st.floats(-50, 550), st.floats(-50, 550)), min_size=1, max_size=20),
    st.floats(1, 80),
)
def test_covered_length_matches_fine_buffers(vertices, lights, reach):
    # Exact intervals on true circles versus the intersection with finely segmented buffers.
    road = line(*vertices)
    if road.length == 0:
        return
    pts = np.array([point(x, y) for x, y in lights], dtype=object)
    fine = shapely.intersection(
        road, shapely.union_all(shapely.buffer(pts, reach, quad_segs=256))
    ).length
    got = covered_length(road, pts, reach)
    assert got == pytest.approx(fine, rel=1e-3, abs=1e-3 * max(1.0, road.length))


def test_lighting_leaves_out_roads_of_unknown_class_and_says_which():
    # a: arterial lit (1000 m); b: secondary not lit (1000 m); c: no class, inside the square, lit;
    # d: no class, outside the square. Classified trunk: 1000 / 2000 = 50 %.
    r = roads(
        [
            line((0, 300), (1000, 300)),
            line((0, 700), (1000, 700)),
            line((500, 0), (500, 1000)),
            line((2000, 0), (3000, 0)),
        ],
        road_class=["arterial", "secondary", None, None],
        lit=[True, False, True, None],
    )
    r.index = ["a", "b", "c", "d"]
    res = _lighting_result(r, None, square_km().union_all(), reach_m=25, trunk_classes=TRUNK)
    assert res.value == pytest.approx(50.0)
    # only c can change the value inside the built-up area
    assert "1 road(s) without road_class (道路等级) in rows [c] are left out" in res.note
    assert "the value covers only the classified roads" in res.note
    assert "Fix: fill road_class (道路等级" in res.note
    assert main_road_lighting_pct(r, square_km()) == pytest.approx(50.0)
    whole = _lighting_result(r, None, None, reach_m=25, trunk_classes=TRUNK)
    assert whole.value == pytest.approx(50.0)
    assert "2 road(s) without road_class (道路等级) in rows [c, d]" in whole.note


def test_lighting_nan_when_every_road_lacks_its_class():
    r = roads(
        [line((0, 300), (1000, 300)), line((0, 700), (1000, 700))],
        road_class=[None, None],
        lit=[True, False],
    )
    res = _lighting_result(r, None, None, reach_m=25, trunk_classes=TRUNK)
    assert math.isnan(res.value)
    assert res.note.startswith("road_class (道路等级) is missing for all 2 road(s)")
    assert "trunk roads (arterial, secondary) cannot be identified" in res.note
    assert "Fix: fill road_class (道路等级" in res.note
    assert "no trunk roads" not in res.note  # not the misleading reason
    bare = r.drop(columns="road_class")  # a bare frame without the column says the same
    assert _lighting_result(bare, None, None, reach_m=25, trunk_classes=TRUNK).note == res.note
    assert math.isnan(main_road_lighting_pct(r))


def test_lighting_without_classified_trunk_roads_names_the_unclassified_rows():
    lines = [line((0, 100 * i), (1000, 100 * i)) for i in range(8)]
    r = roads(lines, road_class=["branch"] + [None] * 7, lit=[True] * 8)
    res = _lighting_result(r, None, None, reach_m=25, trunk_classes=TRUNK)
    assert math.isnan(res.value)
    assert res.note == (
        "no trunk roads (arterial, secondary); 7 road(s) without road_class (道路等级) in rows "
        "[1, 2, 3, 4, 5 … and 2 more] are left out: the value covers only the classified roads. "
        "Fix: fill road_class (道路等级, e.g. 主干路 / 次干路) in the roads layer"
    )


def test_road_area_note_names_roads_without_width_or_class():
    # 0: arterial, no width → 24 m default (24 000 m²); 1: neither width nor class → left out;
    # 2: no class but 10 m wide (10 000 m²).
    r = roads(
        [line((0, 300), (1000, 300)), line((0, 500), (1000, 500)), line((0, 700), (1000, 700))],
        road_class=["arterial", None, None],
        redline_width_m=[np.nan, np.nan, 10.0],
    )
    areas, note, usable = _redline_chain(r, None, None)
    assert usable and areas[2] == pytest.approx(24_000.0 + 10_000.0)
    assert note == (
        "1 road(s) without a red-line width used the class default (arterial); 1 road(s) (1.00 km) "
        "without a red-line width left out, 1 of them also without road_class (道路等级) so no "
        "class default applies (rows [1]). Fix: fill the width or road_class"
    )
