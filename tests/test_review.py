"""Hand-computed tests of the five-line review: grades, tiers, setbacks, slivers, geometry kinds.

Geometries are axis-aligned boxes in EPSG:4546 (metres) so every expected area and length can be
worked out on paper; each test says how.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

import townplan_gis as tp
from townplan_gis.core.errors import CRSError, DataFileError, MissingColumnError, TownPlanError
from townplan_gis.core.schema import LINE_TYPES, normalize_layer

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 3_850_000.0  # a plausible GK position, so that nothing depends on the origin


def B(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def lines(*rows):
    """rows: (line_type, zone, geometry[, extra dict])."""
    recs = []
    for i, r in enumerate(rows):
        rec = {"line_type": r[0], "zone": r[1], "name": f"L{i}", "code": f"C{i}", "geometry": r[2]}
        if len(r) > 3:
            rec.update(r[3])
        recs.append(rec)
    return gpd.GeoDataFrame(recs, geometry="geometry", crs=CRS)


def projects(*rows, index=None):
    """rows: (project_type, geometry)."""
    return gpd.GeoDataFrame(
        {
            "project_id": [f"P{i}" for i in range(len(rows))],
            "name": [f"project {i}" for i in range(len(rows))],
            "project_type": [r[0] for r in rows],
        },
        geometry=[r[1] for r in rows],
        crs=CRS,
        index=index,
    )


# Around every test geometry: the review's coverage in the grading tests.
AREA = box(X0 - 10_000, Y0 - 10_000, X0 + 10_000, Y0 + 10_000)


def review(prj, lyr, **kwargs):
    """``tp.review`` with a coverage around the whole test area and the line types a test's layer
    lacks declared absent: these tests check grades, measures and texts; completeness (coverage,
    absent types, ``not_checked``) is tested in test_review_completeness.py."""
    have = set(normalize_layer(lyr, "control_lines", allow_empty=True)[0]["line_type"])
    absent = [t for t in LINE_TYPES if t not in have]
    return tp.review(prj, lyr, **{"coverage": AREA, "absent": absent, **kwargs})


def one(result, pid="P0"):
    rows = result.for_project(pid)
    assert len(rows) == 1, rows
    return rows.iloc[0]


# --- compatibility-first grading ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line_type", "zone", "project_type", "grade", "verdict"),
    [
        ("red", None, "building", "forbidden", "reject"),
        ("red", None, "road", "review", "review"),
        ("red", None, "utility", "review", "review"),
        ("green", None, "building", "forbidden", "reject"),
        ("green", None, "park", "review", "review"),
        ("green", None, "greening", "review", "review"),
        ("blue", None, "building", "forbidden", "reject"),
        ("blue", None, "water", "review", "review"),
        ("yellow", None, "building", "forbidden", "reject"),
        ("yellow", None, "infrastructure", "review", "review"),
        ("purple", "core", "building", "forbidden", "reject"),
        ("purple", "core", "heritage", "review", "review"),
        ("purple", "core", "infrastructure", "review", "review"),
        ("purple", "control", "building", "review", "review"),
        ("purple", "control", "heritage", "review", "review"),
        ("purple", "harmony", "building", "notice", "pass"),
        ("purple", None, "building", "forbidden", "reject"),  # no tier → core (strictest)
    ],
)
def test_grade_by_line_zone_and_project_type(line_type, zone, project_type, grade, verdict):
    # Project 10×10 m inside a 100×100 m line: overlap 100 m², 100 % of the project, 1 % of the line.
    r = review(
        projects((project_type, B(10, 10, 20, 20))), lines((line_type, zone, B(0, 0, 100, 100)))
    )
    row = one(r)
    assert row["grade"] == grade
    assert row["overlap_area_m2"] == pytest.approx(100.0)
    assert row["overlap_area_mu"] == pytest.approx(100.0 * 15 / 10000)
    assert row["pct_of_project"] == pytest.approx(100.0)
    assert row["pct_of_line"] == pytest.approx(1.0)
    assert not row["ignored"]
    assert row["clause"] and row["procedure"] and row["clause_en"] and row["procedure_en"]
    assert r.projects["verdict"].iloc[0] == verdict
    assert r.projects["worst_grade"].iloc[0] == grade
    assert r.projects[f"{line_type}_overlap_m2"].iloc[0] == pytest.approx(100.0)


def test_clauses_cite_the_regulations():
    cases = {
        ("red", None): "城市道路管理条例",
        ("green", None): "城市绿线管理办法》第十一条",
        ("purple", "core"): "城市紫线管理办法》第十三条",
        ("blue", None): "城市蓝线管理办法",
        ("yellow", None): "城市黄线管理办法",
    }
    for (lt, zone), cite in cases.items():
        r = review(projects(("building", B(0, 0, 10, 10))), lines((lt, zone, B(0, 0, 50, 50))))
        assert cite in one(r)["clause"]


def test_verdict_takes_the_worst_grade_and_lists_notices():
    # Building over a purple harmony zone (notice) and a green line (forbidden) → reject;
    # building over harmony only → pass, the notice is still listed.
    lyr = lines(("purple", "harmony", B(0, 0, 100, 100)), ("green", None, B(50, 0, 100, 100)))
    r = review(projects(("building", B(40, 10, 60, 20)), ("building", B(0, 0, 10, 10))), lyr)
    assert r.projects["verdict"].tolist() == ["reject", "pass"]
    assert r.projects["n_conflicts"].tolist() == [2, 1]
    assert r.projects["reason"].iloc[0].startswith("forbidden:")
    assert "notice: inside 紫线 (harmony)" in r.projects["reason"].iloc[1]


# --- geometry kinds ------------------------------------------------------------------------------------
def test_line_project_overlap_length():
    # A 100 m pipe crossing a 20 m wide red line at right angles: 20 m inside, 20 % of its length.
    pipe = LineString([(X0 - 40, Y0 + 50), (X0 + 60, Y0 + 50)])
    r = review(projects(("utility", pipe)), lines(("red", None, B(0, 0, 20, 100))))
    row = one(r)
    assert row["overlap_length_m"] == pytest.approx(20.0)
    assert row["overlap_area_m2"] == 0.0
    assert row["pct_of_project"] == pytest.approx(20.0)
    assert np.isnan(row["pct_of_line"])
    assert row["grade"] == "review"
    assert r.projects["red_overlap_length_m"].iloc[0] == pytest.approx(20.0)


def test_line_along_an_edge_is_not_an_overlap():
    # The pipe runs exactly on the line polygon's left edge (x = 0) and then outside: edge contact only.
    pipe = LineString([(X0, Y0 + 10), (X0, Y0 + 90), (X0 - 30, Y0 + 90)])
    r = review(projects(("utility", pipe)), lines(("green", None, B(0, 0, 50, 100))))
    assert len(r.conflicts) == 0
    assert r.projects["verdict"].iloc[0] == "pass"


def test_line_partly_along_edge_counts_only_the_interior_part():
    # 40 m along the bottom edge (y = 0), then 30 m straight up into the polygon: 30 m overlap.
    pipe = LineString([(X0 + 10, Y0), (X0 + 50, Y0), (X0 + 50, Y0 + 30)])
    r = review(projects(("utility", pipe)), lines(("green", None, B(0, 0, 100, 100))))
    assert one(r)["overlap_length_m"] == pytest.approx(30.0)


def test_point_projects_inside_on_boundary_and_outside():
    lyr = lines(("red", None, B(0, 0, 20, 100)))
    pts = projects(
        ("lighting", Point(X0 + 10, Y0 + 50)),  # inside → review
        ("lighting", Point(X0 + 20, Y0 + 50)),  # on the edge → no overlap
        ("building", Point(X0 + 5, Y0 + 5)),  # a kiosk inside → forbidden
        ("lighting", Point(X0 + 50, Y0 + 50)),  # outside
    )
    r = review(pts, lyr, setbacks=False)
    assert r.projects["verdict"].tolist() == ["review", "pass", "reject", "pass"]
    assert one(r, "P0")["pct_of_project"] == 100.0


def test_edge_touching_polygons_do_not_overlap():
    # Shares the whole edge x = 100 with the green line, and a corner with the purple core.
    lyr = lines(("green", None, B(0, 0, 100, 100)), ("purple", "core", B(200, 100, 300, 200)))
    r = review(projects(("park", B(100, 0, 200, 100))), lyr)
    assert len(r.conflicts) == 0
    assert r.projects["verdict"].iloc[0] == "pass"
    assert r.projects["green_overlap_m2"].iloc[0] == 0.0


def test_overlapping_line_polygons_of_one_type_count_once():
    # Two green polygons overlap on x 40..60; the project (x 30..70, y 0..10) meets both:
    # rows 30..60 → 300 m² and 40..70 → 300 m²; the union x 30..70 → 400 m², not 600.
    lyr = lines(("green", None, B(0, 0, 60, 100)), ("green", None, B(40, 0, 100, 100)))
    r = review(projects(("building", B(30, 0, 70, 10))), lyr)
    assert sorted(r.conflicts["overlap_area_m2"].round(6)) == [300.0, 300.0]
    assert r.projects["green_overlap_m2"].iloc[0] == pytest.approx(400.0)
    assert r.projects["n_conflicts"].iloc[0] == 2


def test_line_project_overlapping_polygons_count_once():
    # A 100 m line through both overlapping polygons: 60 + 60 m per row, union 100 m.
    lyr = lines(("red", None, B(0, 0, 60, 10)), ("red", None, B(40, 0, 100, 10)))
    pipe = LineString([(X0, Y0 + 5), (X0 + 100, Y0 + 5)])
    r = review(projects(("road", pipe)), lyr)
    assert sorted(r.conflicts["overlap_length_m"].round(6)) == [60.0, 60.0]
    assert r.projects["red_overlap_length_m"].iloc[0] == pytest.approx(100.0)


# --- setbacks ---------------------------------------------------------------------------------------------
def test_setback_main_road_with_measured_distance():
    # Arterial red line x ≤ 20; building from x = 25: 5 m away, 8 m required → review (a
    # shortfall must be adjusted or justified, never a pass); the band (x 20..28) covers x 25..28
    # of the 10 m tall building → 30 m².
    lyr = lines(("red", None, B(0, 0, 20, 100), {"road_class": "arterial"}))
    r = review(projects(("building", B(25, 10, 35, 20))), lyr)
    row = one(r)
    assert row["check"] == "setback"
    assert row["grade"] == "review"
    assert row["distance_m"] == pytest.approx(5.0)
    assert row["overlap_area_m2"] == pytest.approx(30.0, rel=1e-6)
    assert "5.00 m from 红线" in row["reason"] and "8 m required" in row["reason"]
    assert r.projects["verdict"].iloc[0] == "review"
    assert r.projects["red_overlap_m2"].iloc[0] == 0.0  # a setback band is not an overlap


@pytest.mark.parametrize(
    ("road_class", "gap", "found"),
    [
        ("arterial", 7.9, True),
        ("arterial", 8.1, False),
        ("secondary", 7.0, True),
        ("branch", 4.0, True),
        ("branch", 6.0, False),
        ("lane", 4.9, True),
        (None, 4.5, True),  # unknown class → red_default 5 m
        (None, 5.5, False),
    ],
)
def test_setback_distance_by_road_class(road_class, gap, found):
    lyr = lines(("red", None, B(0, 0, 20, 100), {"road_class": road_class}))
    r = review(projects(("building", B(20 + gap, 10, 40, 20))), lyr)
    assert (len(r.conflicts) == 1) is found


def test_setback_blue_line_and_overrides():
    lyr = lines(("blue", None, B(0, 0, 20, 100)))
    near = projects(("building", B(27, 10, 40, 20)))  # 7 m from the river, 10 m required
    assert one(review(near, lyr))["distance_m"] == pytest.approx(7.0)
    assert len(review(near, lyr, setback_m={"blue": 6}).conflicts) == 0
    # A per-line setback_m column wins over the table.
    own = lines(("blue", None, B(0, 0, 20, 100), {"setback_m": 5.0}))
    assert len(review(near, own).conflicts) == 0
    # Only buildings by default; a park at 7 m is not a setback finding.
    assert len(review(projects(("park", B(27, 10, 40, 20))), lyr).conflicts) == 0
    assert len(review(near, lyr, setbacks=False).conflicts) == 0


def test_setback_search_reaches_each_line_by_its_own_distance():
    # The setback search meets a line's pieces by their boxes grown by that line's own setback:
    # a building 9 m from a river (10 m required) is found although the nearer road (5 m
    # required, branch class) reaches only 5 m; 6 m from the road it is not found for the road.
    lyr = lines(
        ("red", None, B(0, 0, 20, 100), {"road_class": "branch"}),
        ("blue", None, B(35, 0, 55, 100)),
    )
    r = review(projects(("building", B(26, 10, 26.5, 20))), lyr)
    assert r.conflicts["line_type"].tolist() == ["blue"]
    assert r.conflicts["distance_m"].tolist() == [pytest.approx(8.5)]


def test_setback_grade_from_the_rule_file_never_notice(tmp_path):
    # grade = "forbidden" makes a shortfall a rejection; "notice" (a pass) is refused.
    f = tmp_path / "rules.toml"
    f.write_text('[setbacks.red]\ngrade = "forbidden"\n', encoding="utf-8")
    lyr = lines(("red", None, B(0, 0, 20, 100), {"road_class": "arterial"}))
    r = review(projects(("building", B(22, 10, 30, 20))), lyr, rules=f)
    assert one(r)["grade"] == "forbidden" and r.projects["verdict"].tolist() == ["reject"]
    f.write_text('[setbacks.blue]\ngrade = "notice"\n', encoding="utf-8")
    with pytest.raises(DataFileError, match=r"setbacks.blue.*never passes"):
        review(projects(("building", B(22, 10, 30, 20))), lyr, rules=f)


def test_no_setback_finding_when_the_building_overlaps_the_line():
    lyr = lines(("red", None, B(0, 0, 20, 100), {"road_class": "arterial"}))
    r = review(projects(("building", B(15, 10, 30, 20))), lyr)
    assert r.conflicts["check"].tolist() == ["overlap"]
    assert one(r)["grade"] == "forbidden"


def test_edge_touching_building_gets_a_setback_at_distance_zero():
    lyr = lines(("red", None, B(0, 0, 20, 100), {"road_class": "branch"}))
    r = review(projects(("building", B(20, 10, 30, 20))), lyr)
    row = one(r)
    assert row["check"] == "setback" and row["distance_m"] == 0.0
    assert row["overlap_area_m2"] == pytest.approx(50.0)  # band x 20..25 × 10 m


def test_setback_band_leaves_out_the_part_inside_the_line():
    # The building reaches 0.05 m into the branch road (0.5 m², a sliver: ignored), so it still
    # gets a setback finding; its geometry is the part in the band x 20..25 only: 5 × 10 m, not
    # the 50.5 m² of the building within 5 m of the line's inside.
    lyr = lines(("red", None, B(0, 0, 20, 100), {"road_class": "branch"}))
    r = review(projects(("building", B(19.95, 10, 30, 20))), lyr)
    c = r.conflicts.set_index("check")
    assert c.loc["overlap", "ignored"] and c.loc["overlap", "overlap_area_m2"] == pytest.approx(0.5)
    assert c.loc["setback", "distance_m"] == 0.0
    assert c.loc["setback", "overlap_area_m2"] == pytest.approx(50.0)
    band = r.conflicts.geometry[r.conflicts["check"] == "setback"].iloc[0]
    assert band.bounds[0] == pytest.approx(X0 + 20) and band.bounds[2] == pytest.approx(X0 + 25)


# --- slivers --------------------------------------------------------------------------------------------
def test_sliver_below_one_square_metre_is_ignored():
    # Overlap 0.9 m × 1 m = 0.9 m² < max(1, 0.1 % × 100) = 1 m² → ignored, notice, verdict pass.
    lyr = lines(("green", None, B(0, 0, 100, 100)))
    r = review(
        projects(
            (
                "building",
                Polygon(
                    [
                        (X0 + 99.1, Y0 + 10),
                        (X0 + 109.1, Y0 + 10),
                        (X0 + 109.1, Y0 + 11),
                        (X0 + 99.1, Y0 + 11),
                    ]
                ),
            )
        ),
        lyr,
        setbacks=False,
    )
    row = one(r)
    assert row["ignored"] and row["grade"] == "notice"
    assert row["overlap_area_m2"] == pytest.approx(0.9)
    assert row["reason"].startswith("sliver")
    assert r.projects["verdict"].iloc[0] == "pass"
    assert r.projects["n_conflicts"].iloc[0] == 0 and r.projects["n_ignored"].iloc[0] == 1
    assert r.projects["green_overlap_m2"].iloc[0] == pytest.approx(0.9)


def test_sliver_by_share_of_project():
    # Project 100×100 = 10,000 m²; overlap 3×3 = 9 m² ≥ 1 m² but < 0.1 % × 10,000 = 10 m²; not thin.
    lyr = lines(("green", None, B(97, 97, 200, 200)))
    r = review(projects(("building", B(0, 0, 100, 100))), lyr)
    row = one(r)
    assert row["ignored"] and "10.00 m²" in row["reason"]
    # With the share threshold lowered to 0.05 % (5 m²) it is a real conflict.
    r2 = review(
        projects(("building", B(0, 0, 100, 100))), lyr, tolerance={"min_pct_of_project": 0.05}
    )
    assert not one(r2)["ignored"] and one(r2)["grade"] == "forbidden"


@pytest.mark.parametrize(("width", "thin"), [(0.8, True), (1.2, False)])
def test_sliver_by_inward_buffer(width, thin):
    # A strip `width` wide and 50 m long (40 or 60 m², well above the area thresholds of a
    # 100×50 m project): under a 0.5 m inward buffer it vanishes iff width < 1 m.
    lyr = lines(("green", None, B(0, 0, 100, 100)))
    site = projects(("building", B(100 - width, 0, 200 - width, 50)))
    row = one(review(site, lyr, setbacks=False))
    assert bool(row["ignored"]) is thin
    if thin:
        assert "inward buffer" in row["reason"]


@pytest.mark.parametrize(("line_type", "zone"), [("blue", None), ("purple", "core")])
def test_sliver_tolerance_never_applies_to_blue_and_purple_core(line_type, zone):
    lyr = lines((line_type, zone, B(0, 0, 100, 100)))
    r = review(projects(("building", B(99.5, 10, 110, 11))), lyr, setbacks=False)  # 0.5 m²
    row = one(r)
    assert not row["ignored"] and row["grade"] == "forbidden"
    assert "never applied" in row["reason"]
    assert r.projects["verdict"].iloc[0] == "reject"


def test_sliver_applies_to_purple_control():
    lyr = lines(("purple", "control", B(0, 0, 100, 100)))
    assert one(review(projects(("building", B(99.5, 10, 110, 11))), lyr))["ignored"]


def test_line_sliver_by_length():
    # 0.3 m of a 100 m pipe inside a green line: < max(0.5 m, 0.1 % × 100 m) → ignored.
    pipe = LineString([(X0 + 99.7, Y0 + 5), (X0 + 199.7, Y0 + 5)])
    row = one(review(projects(("utility", pipe)), lines(("green", None, B(0, 0, 100, 100)))))
    assert row["ignored"] and row["overlap_length_m"] == pytest.approx(0.3)


# --- invalid, empty, aliases, CRS, inputs untouched ------------------------------------------------------------
def test_invalid_and_empty_projects_are_kept_with_their_reason():
    bowtie = Polygon(
        [(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)]
    )  # self-intersecting
    df = gpd.GeoDataFrame(
        {"project_type": ["building", "building", "building", "magic", None]},
        geometry=[bowtie, None, Polygon(), B(0, 0, 1, 1), B(0, 0, 1, 1)],
        crs=CRS,
        index=["a", "b", "c", "d", "e"],
    )
    r = review(df, lines(("green", None, B(0, 0, 100, 100))))
    p = r.projects
    assert list(p.index) == ["a", "b", "c", "d", "e"]
    assert p["project_id"].tolist() == [
        "a",
        "b",
        "c",
        "d",
        "e",
    ]  # no project_id column → index label
    assert p["project_type"].tolist()[:3] == ["building"] * 3
    assert p["verdict"].tolist() == ["reject", "invalid", "invalid", "invalid", "invalid"]
    # The bow-tie is repaired into two triangles of 25 m² each: 50 m² inside the green line.
    assert p.loc["a", "green_overlap_m2"] == pytest.approx(50.0)
    assert "geometry repaired" in p.loc["a", "reason"]
    assert "empty" in p.loc["b", "reason"] and "empty" in p.loc["c", "reason"]
    assert "unknown project_type 'magic'" in p.loc["d", "reason"]
    assert "missing" in p.loc["e", "reason"]
    assert (r.repairs["action"] == "make_valid").any()


def test_empty_inputs():
    # No lines, all five types declared absent (by the helper) and a coverage: a pass. Without
    # the declaration it is not_checked (test_review_completeness.py).
    empty_lines = lines(("green", None, B(0, 0, 1, 1))).iloc[:0]
    r = review(projects(("building", B(0, 0, 10, 10))), empty_lines)
    assert r.projects["verdict"].tolist() == ["pass"]
    r2 = review(
        projects(("building", B(0, 0, 10, 10))).iloc[:0], lines(("green", None, B(0, 0, 1, 1)))
    )
    assert len(r2.projects) == 0 and len(r2.conflicts) == 0
    assert int(r2.summary.query("table == 'verdict'")["count"].sum()) == 0


def test_chinese_aliases_are_understood():
    lyr = gpd.GeoDataFrame(
        {"类型": ["绿线"], "名称": ["公园"]}, geometry=[B(0, 0, 100, 100)], crs=CRS
    )
    prj = gpd.GeoDataFrame(
        {"项目编号": ["X1"], "项目类型": ["公园"]}, geometry=[B(0, 0, 10, 10)], crs=CRS
    )
    r = review(prj, lyr)
    row = one(r, "X1")
    assert row["grade"] == "review" and row["line_name"] == "公园"


def test_inputs_are_not_modified():
    lyr = lines(("green", None, B(0, 0, 100, 100)), ("red", None, B(200, 0, 220, 100)))
    bowtie = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    prj = projects(("building", bowtie), ("building", B(222, 0, 230, 10)))
    before_l, before_p = lyr.copy(), prj.copy()
    review(prj, lyr)
    pd.testing.assert_frame_equal(
        pd.DataFrame(lyr.drop(columns="geometry")), pd.DataFrame(before_l.drop(columns="geometry"))
    )
    pd.testing.assert_frame_equal(
        pd.DataFrame(prj.drop(columns="geometry")), pd.DataFrame(before_p.drop(columns="geometry"))
    )
    assert lyr.geometry.geom_equals_exact(before_l.geometry, 0).all()
    assert prj.geometry.geom_equals_exact(before_p.geometry, 0).all()
    assert not prj.geometry.is_valid.iloc[0]  # still the caller's bow-tie
    # Nor are the caller's geometry objects prepared: a prepared geometry builds its indexes lazily
    # and without a lock, so a later threaded review sharing them crashed (segfault in CI).
    review(prj, lyr, setback_m={"red_default": 5.0})
    assert not shapely.is_prepared(np.asarray(lyr.geometry.array)).any()
    assert not shapely.is_prepared(np.asarray(prj.geometry.array)).any()


def test_reprojects_and_requires_crs():
    lyr = lines(("green", None, B(0, 0, 100, 100)))
    prj = projects(("building", B(10, 10, 20, 20))).to_crs(4490)
    r = review(prj, lyr)
    assert one(r)["overlap_area_m2"] == pytest.approx(100.0, rel=1e-6)
    assert r.settings["crs"] == "EPSG:4546"
    with pytest.raises(CRSError, match="projects"):
        review(prj.set_crs(None, allow_override=True), lyr)


def test_never_measures_in_web_mercator():
    # Both layers in EPSG:3857: the review measures in the GK zone instead (a 100 m × 100 m green
    # line around the project's true size), so the overlap is the true 100 m², not 100 × 1/cos²φ.
    lyr = lines(("green", None, B(0, 0, 100, 100))).to_crs(3857)
    prj = projects(("building", B(10, 10, 20, 20))).to_crs(3857)
    r = review(prj, lyr)
    assert r.settings["crs"] == "EPSG:4546"
    assert one(r)["overlap_area_m2"] == pytest.approx(100.0, rel=1e-4)


def test_projects_without_type_column_is_bad_input():
    prj = gpd.GeoDataFrame({"name": ["x"]}, geometry=[B(0, 0, 1, 1)], crs=CRS)
    with pytest.raises(MissingColumnError, match="project_type"):
        review(prj, lines(("green", None, B(0, 0, 100, 100))))


# --- engine, subdivision, settings --------------------------------------------------------------------------
def _river(n=4000):
    """A wavy river 2 km long and 40 m wide with about n vertices (far above max_vertices)."""
    x = np.linspace(0, 2000, n // 2)
    centre = LineString(np.column_stack([X0 + x, Y0 + 300 + 60 * np.sin(x / 80)]))
    return centre.buffer(20, cap_style="flat")


def _grid(n=20, size=60.0, step=100.0):
    return [
        B(i * step, j * step, i * step + size, j * step + size) for i in range(n) for j in range(7)
    ]


def test_subdivision_and_chunks_give_the_same_result():
    lyr = lines(
        ("blue", None, _river()),
        ("green", None, B(300, 0, 900, 700)),
        ("purple", "control", B(0, 250, 2000, 350)),
    )
    prj = projects(*[("building", g) for g in _grid()])
    ref = review(prj, lyr, max_vertices=10**9, engine="serial", chunk_size=10**6, setbacks=False)
    fast = review(prj, lyr, max_vertices=32, chunk_size=7, n_jobs=2, setbacks=False)

    def key(r):
        return r.conflicts.set_index(["project_id", "line_id"])["overlap_area_m2"].sort_index()

    pd.testing.assert_series_equal(key(ref), key(fast), rtol=1e-9, atol=1e-6)
    assert (ref.conflicts["line_type"] == "blue").sum() > 5
    cols = [c for c in ref.projects.columns if c.endswith("_m2")]
    pd.testing.assert_frame_equal(
        pd.DataFrame(ref.projects[cols]), pd.DataFrame(fast.projects[cols]), atol=1e-6
    )
    # Pieces are re-aggregated: one row per project × line, with the merged geometry.
    geo_area = fast.conflicts.geometry.area.to_numpy()
    assert np.allclose(geo_area, fast.conflicts["overlap_area_m2"], atol=1e-6)


def test_progress_callback_and_settings():
    calls = []
    lyr = lines(("green", None, B(0, 0, 100, 100)))
    prj = projects(*[("building", B(i, 0, i + 1, 1)) for i in range(10)])
    r = review(prj, lyr, chunk_size=3, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (10, 10) and len(calls) == 4
    s = r.settings
    assert s["crs"] == "EPSG:4546" and s["rules"] == "default" and s["rules_version"]
    assert s["tolerance"]["min_area_m2"] == 1.0 and s["tolerance"]["inward_buffer_m"] == 0.5
    assert s["townplan_gis_version"] == tp.__version__
    assert "Review" in repr(r)


def test_dask_engine_dispatch():
    import importlib.util

    lyr = lines(("green", None, B(0, 0, 100, 100)))
    prj = projects(("building", B(0, 0, 10, 10)))
    if importlib.util.find_spec("townplan_gis.fiveline.dask") is None:
        with pytest.raises(TownPlanError, match="dask"):
            review(prj, lyr, engine="dask")
    with pytest.raises(TownPlanError, match="engine"):
        review(prj, lyr, engine="spark")


def test_summary_counts():
    lyr = lines(("green", None, B(0, 0, 100, 100)), ("red", None, B(200, 0, 220, 100)))
    prj = projects(
        ("building", B(0, 0, 10, 10)), ("road", B(200, 0, 210, 10)), ("park", B(500, 0, 510, 10))
    )
    s = review(prj, lyr).summary
    v = s[s["table"] == "verdict"].set_index("verdict")["count"]
    assert v.to_dict() == {"pass": 1, "review": 1, "reject": 1, "not_checked": 0, "invalid": 0}
    c = s[s["table"] == "conflicts"].set_index(["line_type", "grade"])
    assert c.loc[("green", "forbidden"), "count"] == 1
    assert c.loc[("red", "review"), "overlap_area_m2"] == pytest.approx(100.0)


def test_to_files_writes_bom_csv_and_gpkg(tmp_path):
    lyr = lines(
        ("green", None, B(0, 0, 100, 100)),
        ("red", None, B(200, 0, 220, 100), {"road_class": "branch"}),
    )
    prj = projects(
        ("building", B(0, 0, 10, 10)),
        ("building", B(222, 0, 230, 10)),
        ("utility", LineString([(X0 + 150, Y0 + 5), (X0 + 250, Y0 + 5)])),
    )
    r = review(prj, lyr)
    paths = r.to_files(tmp_path)
    assert set(paths) == {
        "conflicts.gpkg",
        "conflicts.csv",
        "projects.csv",
        "checks.csv",
        "evidence.json",
    }
    raw = (tmp_path / "projects.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(tmp_path / "conflicts.csv", encoding="utf-8-sig")
    assert len(back) == len(r.conflicts) and "绿线" in " ".join(back["reason"])
    g = gpd.read_file(tmp_path / "conflicts.gpkg", layer="conflicts")
    assert len(g) == len(r.conflicts)
    assert len(gpd.read_file(tmp_path / "conflicts.gpkg", layer="projects")) == 3


def test_grid_shapely_check_of_big_overlap():
    # Sanity check against shapely directly on the river: the total blue overlap of a grid.
    river = _river()
    prj = projects(*[("building", g) for g in _grid()])
    r = review(prj, lines(("blue", None, river)), max_vertices=64, setbacks=False)
    expected = shapely.area(shapely.intersection(np.asarray(prj.geometry.array), river)).sum()
    assert r.conflicts["overlap_area_m2"].sum() == pytest.approx(expected, rel=1e-9)


def test_z_coordinates_are_dropped():
    prj = projects(
        (
            "building",
            Polygon([(X0 + x, Y0 + y, 5.0) for x, y in [(10, 10), (20, 10), (20, 20), (10, 20)]]),
        )
    )
    r = review(prj, lines(("green", None, B(0, 0, 100, 100))))
    assert one(r)["overlap_area_m2"] == pytest.approx(100.0)
    # Dropping Z is a change to the caller's data: recorded, with the row.
    (rep,) = r.repairs[r.repairs["action"] == "dropped_z"].itertuples()
    assert rep.layer == "projects" and rep.rows == [0]


def test_review_chunk_is_the_unit_of_work():
    # What another engine does: prepare once, map review_chunk over chunks, concatenate.
    import pyproj

    from townplan_gis.fiveline import chunk, load_rules
    from townplan_gis.fiveline import lines as lines_mod
    from townplan_gis.fiveline.prepare import prepare_lines_frame, prepare_projects

    lyr = lines(
        ("green", None, B(0, 0, 100, 100)),
        ("red", None, B(150, 0, 170, 100), {"road_class": "branch"}),
    )
    prj = projects(*[("building", B(10 * i, 5, 10 * i + 8, 15)) for i in range(20)])
    crs = pyproj.CRS(CRS)
    rules = load_rules()
    prepared_lines = lines_mod.prepare_lines(prepare_lines_frame(lyr, crs)[0], rules)
    chunk_input, _ = prepare_projects(prj, crs)
    parts = [
        chunk.review_chunk(chunk_input.iloc[i : i + 6], prepared_lines, rules)
        for i in range(0, 20, 6)
    ]
    rows = pd.concat(parts, ignore_index=True)
    ref = review(prj, lyr).conflicts
    key = ["project_id", "line_id", "check"]
    got = rows.sort_values(key)[[*key, "overlap_area_m2", "grade"]].reset_index(drop=True)
    want = ref.sort_values(key)[[*key, "overlap_area_m2", "grade"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert {"_pos", "_line"} <= set(rows.columns)


def test_review_rows_join_to_the_review_chunk_frame():
    # The engines keep each chunk as typed rows (positions and codes, texts looked up once) and
    # join them once.
    import pyproj

    from townplan_gis.fiveline import chunk, load_rules
    from townplan_gis.fiveline import lines as lines_mod
    from townplan_gis.fiveline.conflicts import conflicts_frame
    from townplan_gis.fiveline.prepare import prepare_lines_frame, prepare_projects
    from townplan_gis.fiveline.rows import Rows

    lyr = lines(
        ("green", None, B(0, 0, 100, 100)),
        ("red", None, B(150, 0, 170, 100), {"road_class": "branch"}),
    )
    prj = projects(*[("building", B(10 * i, 5, 10 * i + 8, 15)) for i in range(20)])
    crs = pyproj.CRS(CRS)
    rules = load_rules()
    prepared_lines = lines_mod.prepare_lines(prepare_lines_frame(lyr, crs)[0], rules)
    chunk_input, _ = prepare_projects(prj, crs)
    blocks = [
        chunk.review_rows(chunk_input.iloc[i : i + 7], prepared_lines, rules)
        for i in range(0, 20, 7)
    ]
    joined = conflicts_frame(Rows.concat(blocks), chunk_input, prepared_lines)
    whole = chunk.review_chunk(chunk_input, prepared_lines, rules)
    pd.testing.assert_frame_equal(joined, whole.drop(columns=["_pos", "_line"]))
    assert joined["line_type"].dtype == object
    # Setbacks (branch road: 5 m): P14 ends 2 m before the red line, P17 starts on its edge.
    sb = joined[joined["check"] == "setback"]
    assert dict(zip(sb["project_id"], sb["distance_m"], strict=True)) == {"P14": 2.0, "P17": 0.0}
    # P10–P13 (x = 100–138 m) touch nothing and are ≥ 12 m from the red line: no rows at all.
    assert len(chunk.review_rows(chunk_input.iloc[10:14], prepared_lines, rules)) == 0
    assert conflicts_frame(Rows.empty(), chunk_input, prepared_lines).empty


def test_setback_distances_and_zones():
    from townplan_gis.fiveline import lines as lines_mod
    from townplan_gis.fiveline import load_rules

    frame = pd.DataFrame(
        {
            "line_type": ["red", "red", "red", "blue", "green", "red"],
            "road_class": ["arterial", None, "lane", None, None, "branch"],
            "setback_m": [None, None, 12.0, None, 3.0, 0.0],
        }
    )
    d = lines_mod.setback_distances(frame, load_rules())
    # arterial 8 m; no class → red_default 5 m; a line's own 12 m wins; blue 10 m; green has
    # none (its own 3 m does not count); 0 m means no setback.
    np.testing.assert_array_equal(d, [8.0, 5.0, 12.0, 10.0, np.nan, np.nan])
    # Without road_class and setback_m columns: the table's defaults.
    only_type = lines_mod.setback_distances(frame[["line_type"]].iloc[3:5], load_rules())
    np.testing.assert_array_equal(only_type, [10.0, np.nan])

    geoms = np.array([B(0, 0, 10, 10), B(100, 0, 110, 10)], dtype=object)
    zones, zone_line, tree, d_max = lines_mod.setback_zones(geoms, np.array([5.0, np.nan]))
    assert zone_line.tolist() == [0] and d_max == 5.0 and len(tree) == 1
    # buffer(square, 5): 10² + 4·10·5 + π·5² = 378.54 m², less the chord error of the 8-segment
    # quarter circles (π·25 · (1 − sin(π/16)/(π/16)) ≈ 0.5 m²).
    assert shapely.area(zones[0]) == pytest.approx(100 + 200 + np.pi * 25, abs=0.6)
    assert lines_mod.setback_zones(geoms, np.array([np.nan, np.nan])) is None


@given(st.lists(st.integers(-50, 50), max_size=60), st.lists(st.integers(-50, 50), max_size=30))
def test_setback_isin_equals_numpy(keys, table):
    from townplan_gis.fiveline.setbacks import _isin

    k, t = np.array(keys, dtype=np.int64), np.array(table, dtype=np.int64)
    assert (_isin(k, t) == np.isin(k, t)).all()
