"""What a pass means: coverage, the five line types, the evidence table, collections, NaN vertices,
setbacks, and one review path for every way of reviewing a town.

Geometries are axis-aligned boxes in EPSG:4546 (metres) at a plausible Gauss-Krüger position, so every
expected area, length and distance is worked out on paper in the comment next to it.
"""

from __future__ import annotations

import json
import logging
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import GeometryCollection, LineString, Point, Polygon, box

import townplan_gis as tp
from townplan_gis.core.errors import SchemaError
from townplan_gis.core.geometry import keep_dimension
from townplan_gis.core.schema import LINE_TYPES
from townplan_gis.core.schema.spec import LINE_FAMILIES
from townplan_gis.fiveline.coverage import outside_parts

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 3_850_000.0
NAN = float("nan")


def B(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def P(x, y):
    return (X0 + x, Y0 + y)


# One disjoint 100 m tall strip per line type, west to east: red x 0..20 (an arterial road), green
# x 100..200, purple core x 300..400, blue x 500..600, yellow x 700..800. The coverage (the "town")
# is x −100..1000, y −100..300.
STRIPS = {
    "red": ((0, 0, 20, 100), None, {"road_class": "arterial"}),
    "green": ((100, 0, 200, 100), None, {}),
    "purple": ((300, 0, 400, 100), "core", {}),
    "blue": ((500, 0, 600, 100), None, {}),
    "yellow": ((700, 0, 800, 100), None, {}),
}
TOWN = B(-100, -100, 1000, 300)


def five(*, without=()):
    recs = []
    for lt, (xy, zone, extra) in STRIPS.items():
        if lt in without:
            continue
        recs.append(
            {
                "line_type": lt,
                "zone": zone,
                "name": f"{lt} strip",
                "code": f"{lt.upper()}-1",
                **extra,
                "geometry": B(*xy),
            }
        )
    return gpd.GeoDataFrame(recs, geometry="geometry", crs=CRS)


def projects(*rows):
    """rows: (project_type, geometry)."""
    return gpd.GeoDataFrame(
        {
            "project_id": [f"P{i}" for i in range(len(rows))],
            "name": [f"project {i}" for i in range(len(rows))],
            "project_type": [r[0] for r in rows],
        },
        geometry=[r[1] for r in rows],
        crs=CRS,
    )


def verdict(r, pid="P0"):
    return r.projects.set_index("project_id").loc[pid]


def check(r, pid, line_type):
    c = r.checks
    return c[(c["project_id"] == pid) & (c.index.get_level_values("line_type") == line_type)].iloc[
        0
    ]


# --- coverage -----------------------------------------------------------------------------------------
def test_project_half_outside_the_coverage_is_not_checked_with_50_pct():
    # Park x 900..1100 × y 0..100 = 20,000 m²; the town ends at x = 1000: 100 × 100 = 10,000 m²
    # (50 %) outside. It overlaps no line, but only half of it was checked.
    r = tp.review(projects(("park", B(900, 0, 1100, 100))), five(), coverage=TOWN)
    row = verdict(r)
    assert row["verdict"] == "not_checked"
    assert row["outside_coverage_pct"] == pytest.approx(50.0)
    assert (
        row["reason"] == "not checked: outside the review coverage: 10000.0 m² (50.0 % of project)"
    )
    assert row["reason_zh"] == "未完成审查：超出审查范围：10000.0 m²（占项目 50.0 %）"
    assert "无冲突" not in row["reason_zh"] and "no conflict" not in row["reason"]


def test_line_and_point_projects_outside_the_coverage():
    # A pipe from x 950 to 1050: 50 m of its 100 m (50 %) outside; a lamp at x 1200: outside.
    pipe = LineString([P(950, 200), P(1050, 200)])
    r = tp.review(
        projects(
            ("utility", pipe), ("lighting", Point(P(1200, 200))), ("lighting", Point(P(900, 200)))
        ),
        five(),
        coverage=TOWN,
    )
    assert r.projects["verdict"].tolist() == ["not_checked", "not_checked", "pass"]
    assert r.projects["outside_coverage_pct"].tolist() == pytest.approx([50.0, 100.0, 0.0])
    assert "50.0 m (50.0 % of project)" in verdict(r, "P0")["reason"]
    assert "1 point(s) (100.0 % of project)" in verdict(r, "P1")["reason"]
    assert "超出审查范围：1 个点（占项目 100.0 %）" in verdict(r, "P1")["reason_zh"]


def test_parts_outside_the_coverage_by_hand():
    # A site x 950..1050 × y 0..100 with a lamp at x 1200 (outside) and one at x 900 (inside):
    # 100 × 50 = 5,000 m² of its 10,000 m² outside (50 %), and a point outside. Two lamps, one
    # outside: 1 of 2 points (50 %). A park like the site, no points: no point named.
    from shapely.geometry import MultiPoint

    site = GeometryCollection([B(950, 0, 1050, 100), Point(P(1200, 50)), Point(P(900, 50))])
    lamps = MultiPoint([P(1200, 50), P(900, 50)])
    r = tp.review(
        projects(("building", site), ("lighting", lamps), ("park", B(950, 150, 1050, 250))),
        five(),
        coverage=TOWN,
    )
    assert r.projects["verdict"].tolist() == ["not_checked"] * 3
    assert r.projects["outside_coverage_pct"].tolist() == [50.0, 50.0, 50.0]
    assert r.projects["reason"].tolist() == [
        "not checked: outside the review coverage: 5000.0 m² (50.0 % of project); points of it",
        "not checked: outside the review coverage: 1 point(s) (50.0 % of project)",
        "not checked: outside the review coverage: 5000.0 m² (50.0 % of project)",
    ]
    assert r.projects["reason_zh"].tolist() == [
        "未完成审查：超出审查范围：5000.0 m²（占项目 50.0 %）；点状部分",
        "未完成审查：超出审查范围：1 个点（占项目 50.0 %）",
        "未完成审查：超出审查范围：5000.0 m²（占项目 50.0 %）",
    ]


def test_projects_far_outside_the_coverage_are_wholly_outside():
    # A park 2 km east of the town (100 × 200 m = 20,000 m²), a pipe 300 m long and a lamp beyond it,
    # and a site with its access road (a collection: 50 × 40 m = 2,000 m² and 60 m): all outside.
    site = GeometryCollection([B(3000, 0, 3050, 40), LineString([P(3050, 20), P(3110, 20)])])
    r = tp.review(
        projects(
            ("park", B(3000, 100, 3100, 300)),
            ("utility", LineString([P(3000, -50), P(3300, -50)])),
            ("lighting", Point(P(3500, 0))),
            ("building", site),
        ),
        five(),
        coverage=TOWN,
    )
    assert r.projects["verdict"].tolist() == ["not_checked"] * 4
    assert r.projects["outside_coverage_pct"].tolist() == [100.0] * 4
    reasons = r.projects["reason"].tolist()
    assert reasons[0].endswith("outside the review coverage: 20000.0 m² (100.0 % of project)")
    assert reasons[1].endswith("outside the review coverage: 300.0 m (100.0 % of project)")
    assert reasons[3].endswith(
        "outside the review coverage: 2000.0 m² (100.0 % of project); its line part 60.0 m"
    )


_coord = st.floats(-400, 1400, allow_nan=False)


@st.composite
def _geometries(draw):
    """Boxes, lines, points, multi-parts and collections inside, across and outside TOWN."""
    kind = draw(st.sampled_from(["box", "line", "point", "multi", "collection"]))
    x, y = draw(_coord), draw(_coord)
    w, h = draw(st.floats(0.5, 300)), draw(st.floats(0.5, 300))
    if kind == "box":
        return B(x, y, x + w, y + h)
    if kind == "line":
        return LineString([P(x, y), P(x + w, y + h / 3)])
    if kind == "point":
        return Point(P(x, y))
    if kind == "multi":
        return shapely.multipolygons([B(x, y, x + w, y + h), B(x + w + 5, y, x + 2 * w + 5, y + h)])
    return GeometryCollection([B(x, y, x + w, y + h), LineString([P(x + w, y), P(x + 2 * w, y)])])


@settings(max_examples=60, deadline=None)
@given(st.lists(_geometries(), min_size=1, max_size=12))
def test_outside_parts_equal_the_difference(geoms):
    g = np.array(geoms, dtype=object)
    cover = box(*TOWN.bounds)
    shapely.prepare(cover)
    fast, plain = outside_parts(g, cover), shapely.difference(g, cover)
    for dim, measure in ((2, shapely.area), (1, shapely.length)):
        a, b = measure(keep_dimension(fast, dim)), measure(keep_dimension(plain, dim))
        assert np.allclose(a, b, rtol=1e-12, atol=1e-9)
    # Those that do not meet the coverage are passed on as they are: no difference computed.
    away = ~shapely.intersects(cover, g)
    assert all(f is x for f, x in zip(fast[away], g[away], strict=True))
    assert shapely.equals(plain[away], g[away]).all()


def test_edge_of_the_coverage_and_float_noise_are_inside():
    # A project sharing the town's edge is inside; so is one poking 1e-7 m (1e-6 m² over 10 m)
    # beyond it: float noise below the noise_m2 tolerance.
    r = tp.review(
        projects(("park", B(990, 0, 1000, 10)), ("park", B(990, 20, 1000 + 1e-8, 30))),
        five(),
        coverage=TOWN,
    )
    assert r.projects["verdict"].tolist() == ["pass", "pass"]
    assert r.projects["outside_coverage_pct"].tolist() == [0.0, 0.0]


def test_without_coverage_the_lines_convex_hull_with_a_warning(caplog):
    # Hull of the five strips: x 0..800, y 0..100. A park 30 km east is wholly outside it.
    with caplog.at_level(logging.WARNING, logger="townplan_gis.fiveline"):
        r = tp.review(
            projects(("park", B(810, 0, 820, 10)), ("park", B(30_000, 0, 30_010, 10))), five()
        )
    assert "convex hull of the 5 control lines" in caplog.text
    assert r.settings["coverage"] == "convex hull of the control lines (no coverage given)"
    assert r.evidence["coverage"]["area_m2"] == pytest.approx(800 * 100)
    assert r.projects["verdict"].tolist() == ["not_checked", "not_checked"]
    assert r.projects["outside_coverage_pct"].tolist() == [100.0, 100.0]


def test_coverage_layer_in_another_crs_is_reprojected():
    town = gpd.GeoDataFrame(geometry=[TOWN], crs=CRS).to_crs("EPSG:4490")
    r = tp.review(projects(("park", B(900, 0, 1100, 100))), five(), coverage=town)
    assert verdict(r)["outside_coverage_pct"] == pytest.approx(50.0, abs=1e-3)
    assert r.evidence["coverage"]["source"] == "given (GeoDataFrame)"


# --- the five line types ----------------------------------------------------------------------------------
def test_all_five_present_pass_with_the_evidence_rows():
    # A park x 810..820: 10 m east of the yellow strip (x ≤ 800), 210 m from blue, farther from
    # the rest; nothing overlaps. Search distance 50 m: yellow 10.0 m, the others none within.
    r = tp.review(projects(("park", B(810, 20, 820, 30))), five(), coverage=TOWN)
    row = verdict(r)
    assert row["verdict"] == "pass" and row["reason"] == "no conflict"
    rows = r.checks.xs(0, level=0)
    assert list(rows.index) == list(LINE_FAMILIES["five"])
    assert rows["status"].tolist() == ["checked"] * 5
    assert rows["features_found"].tolist() == [0, 0, 0, 0, 0]
    near = rows["nearest_distance_m"]
    assert near["yellow"] == pytest.approx(10.0)
    assert near[["red", "green", "purple", "blue"]].isna().all()


def test_features_found_and_nearest_distance_by_hand():
    # P0 building in green (x 150..160): green 1 feature, distance 0. P1 building 6 m east of the
    # arterial red strip (x 26..36, 8 m required): red 1 feature (a setback finding) at 6.0 m.
    # P1's green strip starts at x 100: 64 m, beyond the 50 m search.
    r = tp.review(
        projects(("building", B(150, 40, 160, 60)), ("building", B(26, 10, 36, 20))),
        five(),
        coverage=TOWN,
    )
    g0 = check(r, "P0", "green")
    assert (g0["status"], g0["features_found"], g0["nearest_distance_m"]) == ("checked", 1, 0.0)
    r1 = check(r, "P1", "red")
    assert r1["features_found"] == 1 and r1["nearest_distance_m"] == pytest.approx(6.0)
    assert check(r, "P1", "green")["features_found"] == 0
    assert math.isnan(check(r, "P1", "green")["nearest_distance_m"])
    assert check(r, "P0", "red")["features_found"] == 0


def test_four_present_and_one_declared_absent_pass():
    r = tp.review(
        projects(("park", B(810, 20, 820, 30))),
        five(without=["purple"]),
        coverage=TOWN,
        absent=["紫线"],  # a Chinese name is understood
    )
    assert verdict(r)["verdict"] == "pass"
    purple = check(r, "P0", "purple")
    assert purple["status"] == "declared_absent" and purple["features_found"] == 0
    assert math.isnan(purple["nearest_distance_m"])
    assert r.settings["line_types"]["declared_absent"] == ["purple"]
    assert r.evidence["line_types"]["purple"] == {"status": "declared_absent", "features": 0}


def test_four_present_one_neither_is_not_checked_naming_the_type():
    r = tp.review(projects(("park", B(810, 20, 820, 30))), five(without=["purple"]), coverage=TOWN)
    row = verdict(r)
    assert row["verdict"] == "not_checked"
    assert row["reason"].startswith("not checked: not checked against purple (紫线): not in the")
    assert "未核对紫线" in row["reason_zh"]
    assert check(r, "P0", "purple")["status"] == "not_in_data"
    assert r.settings["line_types"]["not_in_data"] == ["purple"]


def test_a_forbidden_conflict_is_reject_even_when_incomplete():
    # A building in the green strip, no purple data: reject (the conflict is real), and the
    # incompleteness is said too.
    r = tp.review(
        projects(("building", B(150, 40, 160, 60))), five(without=["purple"]), coverage=TOWN
    )
    row = verdict(r)
    assert row["verdict"] == "reject"
    assert row["reason"].startswith("forbidden: inside 绿线")
    assert "; also not checked: not checked against purple" in row["reason"]
    assert "；另未完成审查：未核对紫线" in row["reason_zh"]


def test_review_findings_with_an_incomplete_check_are_not_checked():
    r = tp.review(projects(("park", B(150, 40, 160, 60))), five(without=["yellow"]), coverage=TOWN)
    row = verdict(r)
    assert row["verdict"] == "not_checked"
    assert row["reason"].startswith("not checked: not checked against yellow (黄线)")
    assert "; review: inside 绿线 'green strip'" in row["reason"]


def test_empty_lines_layer_leaves_every_project_not_checked():
    empty = five().iloc[:0]
    prj = projects(("park", B(810, 20, 820, 30)), ("building", B(0, 0, 10, 10)))
    r = tp.review(prj, empty, coverage=TOWN)
    assert r.projects["verdict"].tolist() == ["not_checked", "not_checked"]
    assert (
        "red (红线), green (绿线), purple (紫线), blue (蓝线), yellow (黄线)"
        in verdict(r)["reason"]
    )
    assert (r.checks["status"] == "not_in_data").all()
    # Without a coverage either: no area is covered at all.
    bare = tp.review(prj, empty)
    assert bare.projects["verdict"].tolist() == ["not_checked", "not_checked"]
    assert "no review coverage" in verdict(bare)["reason"]
    # All five declared absent, inside the town: that is a complete check.
    declared = tp.review(prj, empty, coverage=TOWN, absent=list(LINE_TYPES))
    assert declared.projects["verdict"].tolist() == ["pass", "pass"]


def test_declared_absent_but_present_is_an_error():
    with pytest.raises(SchemaError, match=r"\['green'\] are declared absent .* rows \[1\]"):
        tp.review(projects(("park", B(810, 20, 820, 30))), five(), coverage=TOWN, absent=["green"])


def test_unknown_absent_type_is_an_error():
    with pytest.raises(SchemaError, match=r"unknown line type\(s\) \['pink'\]"):
        tp.review(projects(("park", B(810, 20, 820, 30))), five(), absent=["pink"])


# --- geometry ----------------------------------------------------------------------------------------------
def test_collection_line_part_through_the_purple_core_is_graded():
    # A site (10 m × 10 m at x 250..260, between green and purple) plus a 20 m road from x 310 to
    # 330 inside the purple core (x 300..400): the road part is a forbidden 20 m overlap.
    site = B(250, 40, 260, 50)
    road = LineString([P(310, 45), P(330, 45)])
    r = tp.review(projects(("road", GeometryCollection([site, road]))), five(), coverage=TOWN)
    row = verdict(r)
    assert row["verdict"] == "reject"
    (c,) = r.conflicts.itertuples()
    assert (c.line_type, c.grade) == ("purple", "forbidden")
    assert c.overlap_length_m == pytest.approx(20.0) and c.overlap_area_m2 == 0.0
    assert c.pct_of_project == pytest.approx(100.0)  # of the road part
    assert row["purple_overlap_length_m"] == pytest.approx(20.0)
    assert row["purple_overlap_m2"] == 0.0
    assert "20.0 m (100.0 % of project)" in c.reason
    assert (r.repairs["action"] == "collection_parts").any()


def test_collection_area_and_length_both_counted():
    # Site x 350..360 inside the core (100 m²) and the same 20 m road: two rows, one project.
    coll = GeometryCollection([B(350, 40, 360, 50), LineString([P(310, 45), P(330, 45)])])
    r = tp.review(projects(("heritage", coll)), five(), coverage=TOWN)
    assert len(r.conflicts) == 2 and set(r.conflicts["project_id"]) == {"P0"}
    row = verdict(r)
    assert row["purple_overlap_m2"] == pytest.approx(100.0)
    assert row["purple_overlap_length_m"] == pytest.approx(20.0)
    assert row["verdict"] == "review"  # heritage works in a core zone: review
    assert check(r, "P0", "purple")["features_found"] == 1  # one line, found twice


def test_nan_vertex_project_is_invalid_and_the_others_are_reviewed():
    bad = Polygon([P(150, 40), P(160, 40), (X0 + 160, NAN), P(150, 60)])
    r = tp.review(
        projects(("building", bad), ("building", B(150, 40, 160, 60))), five(), coverage=TOWN
    )
    assert r.projects["verdict"].tolist() == ["invalid", "reject"]
    assert "NaN or infinite coordinates" in verdict(r)["reason"]
    assert "输入无效：NaN or infinite coordinates" in verdict(r)["reason_zh"]
    (rep,) = r.repairs[r.repairs["action"] == "nonfinite_geometry"].itertuples()
    assert rep.rows == [0]
    assert (r.checks.xs(0, level=0)["status"] == "project_invalid").all()
    assert r.checks.xs(0, level=0)["features_found"].isna().all()


@pytest.mark.parametrize("bad", [NAN, math.inf])
def test_control_line_with_nan_or_inf_vertex_is_refused_naming_it(bad):
    lines = five()
    lines.loc[2, "geometry"] = Polygon([P(300, 0), P(400, 0), (X0 + 400, bad), P(300, 100)])
    with pytest.raises(SchemaError) as err:
        tp.review(projects(("park", B(810, 20, 820, 30))), lines, coverage=TOWN)
    msg = str(err.value)
    assert "NaN or infinite coordinates" in msg
    assert "rows 2 (purple, code 'PURPLE-1', name 'purple strip')" in msg


def test_control_line_without_geometry_is_refused():
    lines = five()
    lines.loc[4, "geometry"] = None
    with pytest.raises(SchemaError, match=r"have no geometry .* rows 4 \(yellow, code 'YELLOW-1'"):
        tp.review(projects(("park", B(810, 20, 820, 30))), lines, coverage=TOWN)


# --- setbacks ------------------------------------------------------------------------------------------
def test_building_6_m_from_an_arterial_red_line_needs_review():
    # Red strip x ≤ 20 (arterial, 8 m required); building from x = 26: 6 m away.
    r = tp.review(projects(("building", B(26, 10, 36, 20))), five(), coverage=TOWN)
    row = verdict(r)
    assert row["verdict"] == "review"
    assert row["reason"] == (
        "review: building 6.00 m from 红线 'red strip' (arterial); setback 8 m required"
    )
    assert row["reason_zh"] == "需审批：建筑距红线「red strip」（主干路） 6.00 m，应退让 8 m"
    for text in (row["reason"], row["reason_zh"]):
        assert "no conflict" not in text and "无冲突" not in text


def test_notice_only_pass_says_notices_only():
    # A building in a purple harmony zone (notice): a pass that says what it is.
    lines = five()
    lines.loc[2, "zone"] = "harmony"
    r = tp.review(projects(("building", B(350, 40, 360, 50))), lines, coverage=TOWN)
    row = verdict(r)
    assert row["verdict"] == "pass"
    assert row["reason"].startswith("notices only: notice: inside 紫线 (harmony)")
    assert row["reason_zh"].startswith("仅提示事项：提示：")


# --- evidence ---------------------------------------------------------------------------------------------
def test_evidence_hashes_are_stable_and_change_with_the_data(tmp_path):
    prj = projects(("park", B(810, 20, 820, 30)))
    a = tp.review(prj, five(), coverage=TOWN).evidence
    b = tp.review(prj.copy(), five(), coverage=TOWN).evidence
    assert [s["sha256"] for s in a["sources"]] == [s["sha256"] for s in b["sources"]]
    assert a["sources"][0] == {
        "layer": "projects",
        "features": 1,
        "sha256": a["sources"][0]["sha256"],
    }
    moved = prj.copy()
    moved["geometry"] = moved.translate(xoff=0.001)
    c = tp.review(moved, five(), coverage=TOWN).evidence
    assert c["sources"][0]["sha256"] != a["sources"][0]["sha256"]
    assert c["sources"][1]["sha256"] == a["sources"][1]["sha256"]
    renamed = prj.assign(name=["another name"])
    assert (
        tp.review(renamed, five(), coverage=TOWN).evidence["sources"][0]["sha256"]
        != (a["sources"][0]["sha256"])
    )
    # The generation time is ISO 8601 with its UTC offset; the rule file is named with its hash.
    assert pd.Timestamp(a["generated"]).tzinfo is not None
    assert a["files"][0]["version"] and len(a["files"][0]["sha256"]) == 64
    assert a["analysis_crs"] == "EPSG:4546" and a["tolerance"]["noise_m2"] == 1e-6


def test_user_rule_file_is_hashed(tmp_path):
    import hashlib

    f = tmp_path / "rules.toml"
    f.write_text("[tolerance]\nmin_area_m2 = 2.0\n", encoding="utf-8")
    ev = tp.review(projects(("park", B(810, 20, 820, 30))), five(), coverage=TOWN, rules=f).evidence
    assert ev["files"][0]["rules"] == str(f)
    assert ev["files"][0]["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()


def test_to_files_writes_the_checks_and_the_evidence(tmp_path):
    r = tp.review(
        projects(("park", B(810, 20, 820, 30)), ("building", B(150, 40, 160, 60))),
        five(),
        coverage=TOWN,
    )
    paths = r.to_files(tmp_path)
    checks = pd.read_csv(paths["checks.csv"], encoding="utf-8-sig")
    assert len(checks) == 2 * 5
    assert checks.columns.tolist() == [
        "project",
        "line_type",
        "project_id",
        "status",
        "features_found",
        "nearest_distance_m",
    ]
    assert (
        checks.loc[
            (checks["project_id"] == "P1") & (checks["line_type"] == "green"), "features_found"
        ].item()
        == 1
    )
    ev = json.loads(paths["evidence.json"].read_text("utf-8"))
    assert ev["sources"][0]["sha256"] == r.evidence["sources"][0]["sha256"]
    layer = gpd.read_file(paths["conflicts.gpkg"], layer="checks")
    assert len(layer) == 10


def test_checks_are_identical_on_every_engine():
    lines = five()
    rng = np.random.default_rng(3)
    xs = rng.uniform(-50, 950, 60)
    ys = rng.uniform(-50, 250, 60)
    prj = projects(*[("building", B(x, y, x + 12, y + 9)) for x, y in zip(xs, ys, strict=True)])
    serial = tp.review(prj, lines, coverage=TOWN, engine="serial", chunk_size=10**6)
    threads = tp.review(prj, lines, coverage=TOWN, engine="threads", chunk_size=7, n_jobs=2)
    pd.testing.assert_frame_equal(serial.checks, threads.checks)
    pd.testing.assert_frame_equal(
        pd.DataFrame(serial.projects.drop(columns="geometry")),
        pd.DataFrame(threads.projects.drop(columns="geometry")),
    )
    pytest.importorskip("dask")
    dask = tp.review(prj, lines, coverage=TOWN, engine="dask", chunk_size=11)
    pd.testing.assert_frame_equal(serial.checks, dask.checks)
    assert dask.projects["verdict"].tolist() == serial.projects["verdict"].tolist()


# --- towns ----------------------------------------------------------------------------------------------------
def test_town_review_uses_boundary_and_absent_line_types():
    town = tp.Town(
        "t",
        layers={
            "boundary": gpd.GeoDataFrame(geometry=[TOWN], crs=CRS),
            "control_lines": five(without=["purple"]),
            "projects": projects(("park", B(810, 20, 820, 30)), ("park", B(900, 0, 1100, 100))),
        },
        absent_line_types=["purple"],
    )
    r = tp.review(town)
    assert r.projects["verdict"].tolist() == ["pass", "not_checked"]
    assert r.settings["coverage"] == "town boundary (layer 'boundary' of t)"
    assert check(r, "P0", "purple")["status"] == "declared_absent"
    # An explicit absent= replaces the town's declaration.
    assert tp.review(town, absent=[]).projects["verdict"].tolist() == ["not_checked"] * 2


# --- one review path ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def blank_class_town():
    """The sample town with the red lines' road_class blanked: setbacks then depend on the road
    class the review takes from the roads, which every path must do alike."""
    town = tp.sample_town()
    lines = town.control_lines.copy()
    lines["road_class"] = None
    return town.with_layer("control_lines", lines)


def _signature(review):
    conflicts = review.conflicts
    rows = sorted(
        zip(
            conflicts["project_id"],
            conflicts["line_id"],
            conflicts["check"],
            conflicts["grade"],
            conflicts["distance_m"].round(6),
            strict=True,
        )
    )
    return rows, dict(zip(review.projects["project_id"], review.projects["verdict"], strict=True))


def test_every_path_gives_the_same_conflicts_and_verdicts(blank_class_town, tmp_path, monkeypatch):
    import importlib

    from townplan_gis.cli import main
    from townplan_gis.cli.maps import map_review

    engine = importlib.import_module("townplan_gis.fiveline.engine")

    ref = tp.review(blank_class_town)
    setbacks = ref.conflicts[ref.conflicts["check"] == "setback"]
    # The farm-stay 6 m from the arterial tourist road (8 m required) is found, like the one by
    # the canal (7.65 m; and the village house P12, 6.04 m): the red line's class comes from the
    # roads on every path.
    assert sorted(setbacks["distance_m"].round(2)) == [6.0, 6.04, 7.65]
    expected = _signature(ref)

    # Every review, whatever path it came by, is assembled by engine.build_review once.
    calls = []
    real = engine.build_review

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out)
        return out

    monkeypatch.setattr(engine, "build_review", spy)
    tp.report(blank_class_town, review=True, map=False)
    assert [_signature(c) for c in calls] == [expected]
    calls.clear()
    assert _signature(map_review(blank_class_town)) == expected  # townplan map --review, demo

    path = tmp_path / "t.gpkg"
    tp.write_town(blank_class_town, path)
    assert main(["review", str(path), "--out", str(tmp_path / "r")]) == 3
    assert main(["report", str(path), "--out", str(tmp_path / "p"), "--standard", "none"]) == 0
    # map_review above, then `townplan review` and `townplan report`: one review each, all alike.
    assert [_signature(c) for c in calls] == [expected] * 3
    csv = pd.read_csv(tmp_path / "r" / "projects.csv", encoding="utf-8-sig", dtype=str)
    assert dict(zip(csv["project_id"], csv["verdict"], strict=True)) == expected[1]


def test_a_pickled_review_keeps_its_evidence():
    import pickle

    r = tp.review(projects(("park", B(810, 20, 820, 30))), five(), coverage=TOWN)
    back = pickle.loads(pickle.dumps(r))
    pd.testing.assert_frame_equal(back.checks, r.checks)
    assert back.checks.xs(0, level=0).loc["yellow", "nearest_distance_m"] == pytest.approx(10.0)
    assert back.evidence == r.evidence


def test_report_workbook_and_opinion_show_the_checks_and_the_evidence(tmp_path):
    import openpyxl

    town = tp.Town(
        "t",
        layers={
            "boundary": gpd.GeoDataFrame(geometry=[TOWN], crs=CRS),
            "control_lines": five(),
            "projects": projects(("park", B(810, 20, 820, 30)), ("park", B(5000, 0, 5010, 10))),
        },
    )
    r = tp.review(town)
    sha = r.evidence["sources"][0]["sha256"]
    page = tp.report(town, review=r, map=False, lang="zh")
    assert 'id="completeness"' in page and 'data-line-type="purple"' in page
    assert sha in page and "未完成审查" in page
    book = tp.to_excel(tmp_path / "w.xlsx", review=r, lang="en")
    wb = openpyxl.load_workbook(book)
    checks = list(wb["Checks"].values)
    assert checks[0] == (
        "Project ID",
        "Control line",
        "Check",
        "Features found",
        "Nearest distance (m)",
    )
    assert len(checks) == 1 + 2 * 5
    assert ("P0", "yellow line (infrastructure)", "checked", 0, 10.0) in checks
    evidence = dict(wb["Evidence"].values)
    assert evidence["sources.projects.sha256"] == sha
    far = tp.project_opinion(r, "P1", town=town, lang="zh")
    assert "未完成审查" in far and "超出审查范围" in far and sha in far
    assert "未发现冲突不代表没有冲突" in far and "没有冲突。" not in far
    near = tp.project_opinion(r, "P0", town=town, lang="en")
    assert "What was checked" in near and "does not conflict" in near  # nothing found at all


def test_findings_read_the_incompleteness_texts_and_never_pass_without_one():
    import pyarrow as pa

    from townplan_gis.fiveline.findings import project_findings
    from townplan_gis.fiveline.rows import Rows

    # Three projects without a finding: complete (""), outside the coverage, and one whose text is
    # missing altogether (a null: not a statement that the check is complete).
    why = pa.array(["", "outside the review coverage: 5.0 m² (50.0 % of project)", None])
    zh = pa.array(["", "超出审查范围：5.0 m²（占项目 50.0 %）", None])
    frame = pd.DataFrame(
        {
            "_pos": [0, 1, 2],
            "_invalid": ["", "", ""],
            "_repaired": ["", "", ""],
            # dictionary-encoded as mark_incomplete writes them, the null kept (it writes "")
            "_incomplete": pd.arrays.ArrowExtensionArray(why.dictionary_encode()),
            "_incomplete_zh": pd.arrays.ArrowExtensionArray(zh.dictionary_encode()),
        }
    )
    out = project_findings(Rows.empty(), frame)
    assert out["verdict"].tolist() == ["pass", "not_checked", "not_checked"]
    assert out["reason"].tolist()[:2] == [
        "no conflict",
        "not checked: outside the review coverage: 5.0 m² (50.0 % of project)",
    ]
    assert out["reason_zh"].tolist()[1] == "未完成审查：超出审查范围：5.0 m²（占项目 50.0 %）"
