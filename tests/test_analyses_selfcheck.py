"""The control-line self-check (tp.check_lines): hand-computed contacts on tiny geometries, the
matrix, the digitising checks, numbering, and the sample town's findings."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import townplan_gis as tp
from townplan_gis.analyses import check_lines, load_line_matrix
from townplan_gis.analyses.selfcheck import PATCH_COLUMNS, run_check
from townplan_gis.core.errors import DataFileError, SchemaError, TownPlanError

X0, Y0 = 437_000.0, 3_855_000.0


def at(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def lines(*rows, crs="EPSG:4546"):
    """rows of (line_type, zone, geometry); codes C0, C1 …"""
    return gpd.GeoDataFrame(
        {
            "line_type": [r[0] for r in rows],
            "zone": [r[1] for r in rows],
            "code": [f"C{i}" for i in range(len(rows))],
            "name": [f"line {i}" for i in range(len(rows))],
        },
        geometry=[r[2] for r in rows],
        crs=crs,
    )


def one(result):
    assert len(result.patches) == 1, result.table()
    return result.patches.iloc[0]


def test_blue_yellow_overlap_known_area_and_resolution():
    # 20 m × 50 m of a yellow line inside the blue line: 1,000 m² = 1.5 亩, a conflict, blue kept.
    r = check_lines(lines(("blue", None, at(0, 0, 100, 50)), ("yellow", None, at(80, 0, 130, 50))))
    p = one(r)
    assert p["kind"] == "overlap" and p["kind_zh"] == "重叠"
    assert p["severity"] == "conflict" and p["severity_zh"] == "冲突"
    assert p["area_m2"] == pytest.approx(1000.0)
    assert p["area_mu"] == pytest.approx(1.5)
    assert p["pct_of_a"] == pytest.approx(20.0) and p["pct_of_b"] == pytest.approx(40.0)
    assert p["keeps"] == "blue"
    assert "调整「line 1」约 1,000.0 m²（1.50 亩）" in p["resolution_zh"]
    assert p["source"] == "docs/sources.md#yellow-line-2005"
    assert p.geometry.area == pytest.approx(1000.0)
    assert not r.passed
    assert list(r.patches.columns) == [*PATCH_COLUMNS, "geometry"]


def test_road_crossing_a_river_is_a_notice_but_running_into_it_a_conflict():
    crossing = check_lines(
        lines(("red", None, at(0, 20, 200, 30)), ("blue", None, at(90, -100, 110, 100)))
    )
    p = one(crossing)
    assert (p["kind"], p["severity"], p["area_m2"]) == ("crossing", "notice", pytest.approx(200.0))
    assert "建议" not in p["resolution_zh"]  # a bridge: nothing to adjust
    assert crossing.passed  # notices only
    ending = one(
        check_lines(
            lines(("red", None, at(0, 20, 100, 30)), ("blue", None, at(90, -100, 110, 100)))
        )
    )
    assert (ending["kind"], ending["severity"], ending["area_m2"]) == (
        "overlap",
        "conflict",
        pytest.approx(100.0),
    )


def test_containment_is_pressing_on_and_names_the_inner_feature():
    r = check_lines(lines(("blue", None, at(0, 0, 100, 100)), ("yellow", None, at(10, 10, 20, 20))))
    p = one(r)
    assert (p["kind"], p["kind_zh"], p["severity"]) == ("contained", "压占", "conflict")
    assert p["pct_of_b"] == pytest.approx(100.0)


def test_purple_tiers_graded_by_tier():
    core = one(
        check_lines(
            lines(("purple", "core", at(0, 0, 100, 100)), ("red", None, at(-50, 40, 150, 60)))
        )
    )
    assert core["severity"] == "conflict" and core["keeps"] == "purple"
    harmony = one(
        check_lines(
            lines(("purple", "harmony", at(0, 0, 100, 100)), ("red", None, at(-50, 40, 150, 60)))
        )
    )
    assert harmony["severity"] == "notice" and harmony["kind"] == "crossing"


def test_a_purple_line_without_a_tier_is_graded_as_core():
    p = one(
        check_lines(
            lines(("purple", None, at(0, 0, 100, 100)), ("red", None, at(-50, 40, 150, 60)))
        )
    )
    assert p["severity"] == "conflict"


def test_allowed_contacts_are_counted_not_listed():
    # Two roads crossing: a junction, allowed by the matrix.
    r = check_lines(lines(("red", None, at(0, 45, 200, 55)), ("red", None, at(95, 0, 105, 100))))
    assert len(r.patches) == 0 and r.passed
    row = r.pairs.set_index(["side_a", "side_b"]).loc[("red", "red")]
    assert (row["status"], row["contacts"], row["findings"]) == ("allowed", 1, 0)


def test_pairs_table_lists_clear_combinations():
    r = check_lines(lines(("blue", None, at(0, 0, 50, 50)), ("yellow", None, at(500, 0, 550, 50))))
    pairs = r.pairs.set_index(["side_a", "side_b"])
    assert set(pairs.index) == {("blue", "blue"), ("blue", "yellow"), ("yellow", "yellow")}
    assert pairs.loc[("blue", "yellow"), "status"] == "clear"
    assert pairs.loc[("blue", "yellow"), "overlap"] == "conflict"


@pytest.mark.parametrize(
    ("second", "kind", "area", "width"),
    [
        (at(0, 0, 100, 100), "duplicate", 10_000.0, None),
        (at(2, 0, 102, 100), "near_duplicate", 9_800.0, None),
        (at(99.8, 0, 200, 100), "sliver", 20.0, 0.2),
        (at(100.3, 0, 200, 100), "gap", 30.0, 0.3),
    ],
)
def test_digitising_errors_within_a_type(second, kind, area, width):
    r = check_lines(lines(("green", None, at(0, 0, 100, 100)), ("green", None, second)))
    p = one(r)
    assert (p["kind"], p["severity"], p["check"]) == (kind, "check", "within_type")
    assert p["area_m2"] == pytest.approx(area, rel=1e-6)
    if width is not None:
        # 2·area ÷ perimeter of a 100 m strip of width w: w·100 / (100 + w) ≈ w.
        assert p["width_m"] == pytest.approx(width, abs=0.005)


@pytest.mark.parametrize(
    "second",
    [at(101, 0, 200, 100), at(100, 100, 200, 200), at(100, 0, 200, 100), at(100, 0, 200, 50)],
    ids=["gap wider than the tolerance", "corner contact", "shared edge", "L shape"],
)
def test_no_digitising_error_where_there_is_none(second):
    r = check_lines(lines(("green", None, at(0, 0, 100, 100)), ("green", None, second)))
    assert len(r.patches) == 0, r.table()


def test_tolerance_changes_what_is_a_gap():
    pair = lines(("green", None, at(0, 0, 100, 100)), ("green", None, at(101, 0, 200, 100)))
    assert len(check_lines(pair).patches) == 0
    p = one(check_lines(pair, tolerance_m=2.0))
    assert p["kind"] == "gap" and p["area_m2"] == pytest.approx(100.0)


def test_sliver_between_types_is_a_check_not_a_conflict():
    p = one(
        check_lines(
            lines(("green", None, at(0, 0, 100, 100)), ("blue", None, at(99.8, 0, 200, 100)))
        )
    )
    assert (p["kind"], p["severity"], p["check"]) == ("sliver", "check", "between_types")


def test_invalid_and_empty_geometry_reported_and_still_checked():
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    frame = lines(
        ("blue", None, bowtie),
        ("yellow", None, at(40, 40, 60, 60)),
        ("green", None, shapely.Polygon()),
    )
    r = check_lines(frame)
    kinds = r.patches.set_index("kind")
    assert {"invalid", "empty"} <= set(kinds.index)
    assert (
        kinds.loc["invalid", "code_a"] == "C0"
        and "Self-intersection" in kinds.loc["invalid", "resolution_en"]
    )
    assert kinds.loc["empty", "code_a"] == "C2"
    # The repaired bow-tie (two triangles meeting at the centre) still meets the yellow line:
    # 100 m² on each side of the centre, two patches.
    between = r.patches[r.patches["check"] == "between_types"]
    assert between["area_m2"].tolist() == pytest.approx([100.0, 100.0])
    assert set(between["type_b"]) == {"yellow"}
    assert r.lines.loc[0, "n_findings"] == 3


def test_numbering_is_stable_and_keys_survive_reordering():
    frame = lines(
        ("blue", None, at(0, 0, 100, 50)),
        ("yellow", None, at(80, 0, 130, 50)),
        ("purple", "core", at(300, 0, 400, 100)),
        ("red", None, at(250, 40, 450, 60)),
    )
    a, b = check_lines(frame), check_lines(frame)
    pd.testing.assert_frame_equal(a.table(), b.table())
    assert a.patches["patch_id"].tolist() == ["TB-0001", "TB-0002"]
    shuffled = check_lines(frame.iloc[::-1])
    assert set(shuffled.patches["patch_key"]) == set(a.patches["patch_key"])


def test_lines_table_is_aligned_to_the_input():
    frame = lines(
        ("blue", None, at(0, 0, 100, 50)),
        ("yellow", None, at(80, 0, 130, 50)),
        ("green", None, at(500, 0, 600, 50)),
    )
    frame.index = ["a", "b", "c"]
    r = check_lines(frame)
    assert r.lines.index.tolist() == ["a", "b", "c"]
    assert r.lines["n_findings"].tolist() == [1, 1, 0]
    assert r.lines["worst_severity"].tolist() == ["conflict", "conflict", ""]
    assert r.patches["row_a"].tolist() == ["a"] and r.patches["row_b"].tolist() == ["b"]


def test_chinese_names_and_lonlat_input():
    frame = gpd.GeoDataFrame(
        {"类型": ["蓝线", "黄线"], "编号": ["L1", "H1"]},
        geometry=[at(0, 0, 100, 50), at(80, 0, 130, 50)],
        crs="EPSG:4546",
    ).to_crs("EPSG:4490")
    p = one(check_lines(frame))
    assert p["type_a"] == "blue" and p["code_b"] == "H1"
    assert p["area_m2"] == pytest.approx(1000.0, rel=1e-3)


def test_big_polygons_are_cut_without_changing_results():
    river = shapely.buffer(
        shapely.LineString([(X0 + x, Y0 + 30 * np.sin(x / 40)) for x in range(0, 2000, 5)]), 20
    )
    frame = lines(("blue", None, river), ("yellow", None, at(500, -100, 520, 100)))
    a = check_lines(frame, max_vertices=32)
    b = check_lines(frame, max_vertices=100_000)
    assert a.patches["area_m2"].sum() == pytest.approx(b.patches["area_m2"].sum(), rel=1e-9)
    assert a.patches["kind"].tolist() == b.patches["kind"].tolist() == ["crossing"]


def test_three_control_lines_graded_by_the_matrix():
    # The schema does not carry 三区三线 yet: run_check takes any type the matrix knows.
    m = load_line_matrix()
    frame = lines(
        ("eco_redline", None, at(0, 0, 100, 100)),
        ("farmland", None, at(50, 0, 150, 100)),
        ("dev_boundary", None, at(140, 0, 300, 100)),
        ("red", None, at(200, 40, 260, 60)),
    )
    r = run_check(frame, pd.DataFrame(columns=["rows", "detail", "action"]), m, dict(m.tolerance))
    got = r.patches.set_index(["type_a", "type_b"])
    assert got.loc[("eco_redline", "farmland"), "severity"] == "conflict"
    assert got.loc[("eco_redline", "farmland"), "keeps"] == "eco_redline"
    assert got.loc[("eco_redline", "farmland"), "area_m2"] == pytest.approx(5000.0)
    assert got.loc[("farmland", "dev_boundary"), "keeps"] == "farmland"
    assert ("dev_boundary", "red") not in got.index  # roads inside the boundary are allowed


def test_matrix_validation(tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text('[[pair]]\nsides = ["red", "blu"]\noverlap = "conflict"\n', encoding="utf-8")
    with pytest.raises(DataFileError, match=r"'blu'.*did you mean 'blue'"):
        load_line_matrix(bad)
    bad.write_text('[[pair]]\nsides = ["red", "blue"]\noverlap = "forbidden"\n', encoding="utf-8")
    with pytest.raises(DataFileError, match="not one of"):
        load_line_matrix(bad)
    bad.write_text(
        '[[pair]]\nsides = ["red", "blue"]\noverlap = "notice"\nresolution_zh = "x"\n'
        'resolution_en = "x"\nsource = "docs/sources.md#x"\n'
        '[[pair]]\nsides = ["blue", "red"]\noverlap = "notice"\nresolution_zh = "x"\n'
        'resolution_en = "x"\nsource = "docs/sources.md#x"\n',
        encoding="utf-8",
    )
    with pytest.raises(DataFileError, match="both grade"):
        load_line_matrix(bad)
    ok = tmp_path / "tol.toml"
    ok.write_text("[tolerance]\ngap_width_m = 2.0\n", encoding="utf-8")
    assert load_line_matrix(ok).tolerance["gap_width_m"] == 2.0


def test_bad_inputs():
    with pytest.raises(TownPlanError, match="GeoDataFrame or a Town"):
        check_lines([1, 2])
    with pytest.raises(TownPlanError, match="tolerance_m"):
        check_lines(lines(("red", None, at(0, 0, 1, 1))), tolerance_m=-1)
    with pytest.raises(SchemaError, match="line_type"):
        check_lines(lines(("reed", None, at(0, 0, 1, 1))))


def test_sample_town_shows_its_conflicts():
    """Puzhou's lines: a road and the high-voltage corridor in 普救寺's core zone, the sewage
    station's yellow line touching the canal's blue line; no digitising error."""
    r = check_lines(tp.sample_town())
    conflicts = r.patches[r.patches["severity"] == "conflict"]
    found = {(a, b) for a, b in zip(conflicts["code_a"], conflicts["code_b"], strict=True)}
    assert found == {("HX-11", "ZX-1-1"), ("ZX-1-1", "HUX-04"), ("LAN-02", "HUX-02")}
    digitising = ["duplicate", "near_duplicate", "sliver", "gap", "invalid", "empty"]
    assert not r.patches["kind"].isin(digitising).any()
    # Within one type only the zones of two heritage sites overlap (普救寺 is apart; 故城 and 铁牛 meet).
    within = r.patches[r.patches["check"] == "within_type"]
    assert set(within["type_a"]) == {"purple"} and set(within["severity"]) == {"notice"}
    assert r.summary["patches"].sum() == len(r.patches)


def test_a_town_reports_the_geometry_it_repaired_on_reading():
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    town = tp.Town(
        "t",
        layers={
            "control_lines": lines(("green", None, bowtie), ("blue", None, at(500, 0, 600, 100)))
        },
    )
    r = check_lines(town)
    invalid = r.patches[r.patches["kind"] == "invalid"]
    assert invalid["code_a"].tolist() == ["C0"] and invalid["check"].tolist() == ["geometry"]
    assert r.settings["source"] == "town t"


def test_no_lines_is_no_pass():
    """An empty layer has nothing in conflict, but nothing was checked: never reported as passed."""
    empty = lines(("red", None, at(0, 0, 1, 1))).iloc[:0]
    r = check_lines(empty)
    assert len(r.patches) == 0 and r.settings["n_lines"] == 0
    assert not r.passed
