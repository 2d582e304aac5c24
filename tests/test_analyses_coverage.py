"""Service coverage along the street network: a grid town whose covered residential land is known
exactly, edge (not node) access, the straight-line fallback, life circles and the registry keys."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import townplan_gis as tp
from townplan_gis.analyses import life_circles, park_service_coverage, street_network
from townplan_gis.core.errors import TownPlanError
from townplan_gis.indicators import indicator_info
from townplan_gis.indicators.network import Access

X0, Y0 = 437_000.0, 3_855_000.0
CRS = "EPSG:4546"


def grid_town(*, park=(0, 0, 100, 100), facilities=None, roads=True):
    """Streets every 100 m (x = 0…500, y = 0…400); in each block but the park's (0, 0) a quarter
    60 m × 40 m at (100i + 20 … 100i + 80, 100j + 10 … 100j + 50), households 10·(i + 1).

    A quarter's centre is 30 m from its block's south street and 50 m from the others, so it joins
    the network at (100i + 50, 100j) on that street.
    """
    lines = [shapely.LineString([(X0 + x, Y0), (X0 + x, Y0 + 400)]) for x in range(0, 501, 100)]
    lines += [shapely.LineString([(X0, Y0 + y), (X0 + 500, Y0 + y)]) for y in range(0, 401, 100)]
    quarters, hh = [], []
    for i in range(5):
        for j in range(4):
            if (i, j) != (0, 0):
                quarters.append(
                    shapely.box(
                        X0 + 100 * i + 20, Y0 + 100 * j + 10, X0 + 100 * i + 80, Y0 + 100 * j + 50
                    )
                )
                hh.append(10.0 * (i + 1))
    layers = {
        "residential": gpd.GeoDataFrame(
            {"households": hh, "name": [f"Q{k}" for k in range(len(hh))]},
            geometry=quarters,
            crs=CRS,
        ),
        "green": gpd.GeoDataFrame(
            {"green_class": ["G1"], "name": ["park"]},
            geometry=[shapely.box(X0 + park[0], Y0 + park[1], X0 + park[2], Y0 + park[3])],
            crs=CRS,
        ),
        "builtup": gpd.GeoDataFrame(
            geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 550, Y0 + 450)], crs=CRS
        ),
    }
    if roads:
        layers["roads"] = gpd.GeoDataFrame(
            {"road_class": ["branch"] * len(lines), "redline_width_m": 10.0},
            geometry=lines,
            crs=CRS,
        )
    if facilities is not None:
        layers["facilities"] = facilities
    return tp.Town("grid", layers=layers)


def walk(i, j):
    """Hand-computed walk from quarter (i, j)'s centre to the park block (0, 0) [100 × 100 m, its
    four bounding streets its entrances]: 30 m to the south street, then 50 m to a corner and the
    grid distance from that corner to the park's nearest corner (100, 100)…"""
    if i == 0 and j in (0, 1):
        return 30.0  # the south street is the park's own edge
    node = lambda x, y: max(0, x - 100) + max(0, y - 100)  # noqa: E731
    return 30.0 + 50.0 + min(node(100 * i, 100 * j), node(100 * i + 100, 100 * j))


def test_grid_quarters_covered_exactly():
    town = grid_town()
    c = park_service_coverage(town, entrance_m=0, cell_m=None)
    blocks = [(i, j) for i in range(5) for j in range(4) if (i, j) != (0, 0)]
    expected = np.array([walk(i, j) for i, j in blocks])
    got = c.quarters["distance_m"].to_numpy()
    within = expected <= 500
    np.testing.assert_allclose(got[within], expected[within])
    assert np.isinf(got[~within]).all()
    assert blocks[int(np.flatnonzero(~within)[0])] == (4, 3)  # 30 + 50 + 300 + 200 = 580 m
    assert c.summary["coverage_pct"] == pytest.approx(100 * 18 / 19)
    hh = np.array([10.0 * (i + 1) for i, _ in blocks])
    assert c.summary["households_pct"] == pytest.approx(100 * hh[within].sum() / hh.sum())
    assert c.summary["parks_by_radius"] == {"500 m": 1}
    assert c.summary["method"].startswith("network")
    assert c.blind_spots["name"].tolist() == ["Q18"]
    assert c.blind_spots.geometry.area.sum() == pytest.approx(2400.0)


def test_grid_cells_place_the_boundary_inside_quarters():
    """20 m cells: a cell is in when its centre's walk is ≤ 500 m. Quarter (3, 3): D = 400 +
    (x − 300) + (y − 300), only the cell centred at (370, 345) is out (515 m, a 20 × 10 m cell);
    quarter (4, 2): D = 400 + (x − 400) + (y − 200), the cell at (470, 245) is out; quarter (4, 3)
    is out whole. The cell at (370, 330) is 30 m from two streets: the shorter walk (500 m) counts."""
    c = park_service_coverage(grid_town(), entrance_m=0, cell_m=20)
    assert c.summary["covered_m2"] == pytest.approx(45_600 - 2_400 - 200 - 200)
    out = c.cells[~c.cells["covered"]]
    assert sorted(out.groupby("quarter")["area_m2"].sum().round(6).items()) == [
        (14, 200.0),
        (17, 200.0),
        (18, 2400.0),
    ]


def test_a_medium_park_counts_300_m():
    # A 60 × 60 m park (3,600 m²) in block (0, 0), entered from roads within 25 m: its bounding
    # streets, 20 m away, are entrances from x = 20 − 15 to 80 + 15 (√(25² − 20²) = 15).
    c = park_service_coverage(grid_town(park=(20, 20, 80, 80)), entrance_m=25, cell_m=None)
    assert c.summary["parks_by_radius"] == {"300 m": 1}
    assert c.parks["radius_m"].tolist() == [300.0]
    d = c.quarters["distance_m"].to_numpy()
    assert np.nanmax(d[np.isfinite(d)]) <= 300 + 1e-6
    # Quarter (1, 0): 30 m + 50 m along the south street from x = 150 back to x = 100, then 5 m
    # to x = 95 where the entrance stretch ends (the buffer's arc is a polygon: to within 0.5 m).
    assert c.quarters["distance_m"].iloc[3] == pytest.approx(85.0, abs=0.5)


def test_a_small_park_counts_nothing():
    c = park_service_coverage(grid_town(park=(30, 30, 70, 70)), cell_m=None)  # 1,600 m²
    assert c.summary["coverage_pct"] == 0.0
    assert "no G1 park" in c.summary["note"]


def test_straight_line_fallback_is_labelled_and_never_less():
    town = grid_town(roads=False)
    c = park_service_coverage(town, cell_m=None)
    assert c.summary["method"].startswith("straight line")
    # Quarter (4, 3)'s centre (450, 330) to the park corner (100, 100): √(350² + 230²) ≈ 418.8 m.
    assert c.quarters["distance_m"].iloc[-1] == pytest.approx(math.hypot(350, 230))
    net = park_service_coverage(grid_town(), cell_m=None)
    assert c.summary["coverage_pct"] >= net.summary["coverage_pct"]
    forced = park_service_coverage(grid_town(), network=False, cell_m=None)
    assert forced.summary["coverage_pct"] == pytest.approx(c.summary["coverage_pct"])


def test_edge_snapping_does_not_invent_access():
    """A house 45 m from a park across open land, on a street that meets the park's street only
    500 m to the south. Its nearest node is the park street's dead end (46 m away): node snapping
    would give it the park at once; joined to its own street it walks round."""
    roads = np.array(
        [
            shapely.LineString([(0, 0), (0, 30)]),  # the park's street, a dead end at (0, 30)
            shapely.LineString([(0, 0), (0, -500), (40, -500), (40, 200)]),  # the house's street
        ],
        dtype=object,
    )
    net = street_network(roads)
    park = np.array([shapely.box(-50, 0, 0, 30)], dtype=object)
    access = net.access(park, entrance_m=0)
    house = np.array([shapely.Point(45, 40)])
    d, conn = net.distances(house, access)
    assert conn[0] == pytest.approx(5.0)
    assert d[0] == pytest.approx(5 + 540 + 40 + 500)
    assert house[0].distance(shapely.Point(0, 30)) < 50  # what node snapping would have used


def test_a_park_set_back_from_its_roads_is_entered_from_all_of_them():
    """Roads 30 m south and 40 m north of a park (entrance 20 m): it is entered from both, across
    its 30 m gap (the north road lies within 30 + 20 m)."""
    net = street_network(
        np.array(
            [
                shapely.LineString([(-500, -30), (600, -30)]),
                shapely.LineString([(-500, 140), (600, 140)]),
            ],
            dtype=object,
        )
    )
    park = np.array([shapely.box(0, 0, 100, 100)], dtype=object)
    access = net.access(park, entrance_m=20)
    assert sorted(access.cost.tolist()) == pytest.approx([30.0, 30.0])
    d, _ = net.distances(np.array([shapely.Point(50, 150)]), access)
    assert d[0] == pytest.approx(10 + 30)  # no detour round the block to the south road


def test_access_of_points_and_the_same_edge():
    net = street_network(np.array([shapely.LineString([(0, 0), (1000, 0)])], dtype=object))
    school = np.array([shapely.Point(400, 30)], dtype=object)
    access = net.access(school, entrance_m=20)
    assert isinstance(access, Access)
    assert access.cost.tolist() == pytest.approx([30.0]) and access.t0.tolist() == pytest.approx(
        [400.0]
    )
    d, _ = net.distances(np.array([shapely.Point(450, -10)]), access)
    assert d[0] == pytest.approx(10 + 50 + 30)  # along its own edge, not round a node


@settings(max_examples=25, deadline=None)
@given(
    px=st.floats(0, 480),
    py=st.floats(0, 380),
    size=st.floats(20, 100),
)
def test_network_coverage_never_exceeds_straight_line(px, py, size):
    town = grid_town(park=(px, py, px + size, py + size))
    net = park_service_coverage(town, cell_m=None)
    straight = park_service_coverage(town, network=False, cell_m=None)
    assert net.summary["covered_m2"] <= straight.summary["covered_m2"] + 1e-6


def test_life_circles_by_category():
    fac = gpd.GeoDataFrame(
        {
            "facility_type": ["school", "school", "market"],
            "name": ["中心小学", "阳光幼儿园", "菜市场"],
        },
        geometry=[
            shapely.Point(X0 + 250, Y0 + 105),
            shapely.Point(X0 + 450, Y0 + 395),
            shapely.Point(X0 + 150, Y0 + 5),
        ],
        crs=CRS,
    )
    lc = life_circles(grid_town(facilities=fac), cell_m=None).set_index("category")
    assert lc.loc["primary_school", "facilities"] == 1 and lc.loc["kindergarten", "facilities"] == 1
    assert lc.loc["middle_school", "facilities"] == 0
    assert (
        lc.loc["middle_school", "covered_pct"] == 0.0
        and "no middle school" in lc.loc["middle_school", "note"]
    )
    assert lc.loc["kindergarten", "radius_m"] == 300.0
    # Kindergarten at (450, 395), 5 m from the street y = 400: quarter (4, 3) [centre (450, 330)]
    # walks 30 m to y = 300, then 50 + 100 + 50 + 5 = 205 m round the block: 235 m ≤ 300 m;
    # quarter (3, 3) walks 30 + 50 (to x = 400) + 100 + 50 + 5 = 235 m; the others are beyond.
    assert lc.loc["kindergarten", "covered_m2"] == pytest.approx(2 * 2400.0)
    assert lc.loc["park", "facilities"] == 1  # the park of 100 × 100 m = 1 ha counts (≥ 1 ha)
    assert (lc["method"].str.startswith("network")).all()


def test_registry_and_town_indicators_carry_the_keys():
    info = indicator_info("park_service_coverage_pct")
    assert info.unit == "%" and info.name_zh == "公园绿地服务半径覆盖率"
    assert indicator_info("life_circle_kindergarten_households_pct").unit == "%"
    table = tp.town_indicators(grid_town()).set_index("key")
    assert table.loc["park_service_coverage_pct", "value"] == pytest.approx(
        park_service_coverage(grid_town()).summary["coverage_pct"]
    )
    assert "walked along the roads" in table.loc["park_service_coverage_pct", "note"]
    town = tp.sample_town()
    row = tp.town_indicators(town).set_index("key").loc["park_service_coverage_pct"]
    assert 0 <= row["value"] <= 100


def test_no_residential_layer_is_nan_not_zero():
    town = tp.Town(
        "empty",
        layers={
            "builtup": gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + 10, Y0 + 10)], crs=CRS)
        },
    )
    table = tp.town_indicators(town).set_index("key")
    assert math.isnan(table.loc["park_service_coverage_pct", "value"])
    assert "no residential layer" in table.loc["park_service_coverage_pct", "note"]


def test_bad_options():
    with pytest.raises(TownPlanError, match="entrance_m"):
        park_service_coverage(grid_town(), entrance_m=-5)
    with pytest.raises(TownPlanError, match="cell_m"):
        park_service_coverage(grid_town(), cell_m=0)
