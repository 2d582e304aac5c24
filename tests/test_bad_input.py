"""The bad-input battery: every way a planner's messy data could make townplan_gis lie, and its outcome.

Each case asserts its exact outcome: the exception class and what its message names (file, layer,
column, rows, the fix), or the repair recorded in ``town.repairs`` with feature counts in = out.
The CLI cases run ``townplan`` in a subprocess and assert exit code 2, a one-line message on stderr
and no traceback.

Sections, one per area: coordinates and CRS; review completeness and geometry; indicators and
ranking; files, schemas, rules, standards and ``town.toml``; outputs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import townplan_gis as tp


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m townplan_gis.cli`` with ``args`` in a subprocess, as a user would."""
    env = {**os.environ, "TOWNPLAN_PROGRESS": "0"}
    return subprocess.run(
        [sys.executable, "-m", "townplan_gis.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def assert_exit2(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit code 2, one line on stderr, no traceback, and every needle in that line; returns it."""
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], err[-2000:])
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def test_battery_helpers_see_a_missing_file(tmp_path):
    line = assert_exit2(run_cli("info", tmp_path / "missing.gpkg"), "missing.gpkg", "not found")
    assert line.startswith("townplan: error:")
    assert tp.TownPlanError  # the public base class every case below raises


# --- coordinates and CRS --------------------------------------------------------------------------


# --- review completeness and geometry -------------------------------------------------------------
# Tiny layers in EPSG:4546 (metres): one 100 m strip per line type, west to east (red x 0..20,
# green 100..200, purple core 300..400, blue 500..600, yellow 700..800); the town x −100..1000.
_RX, _RY = 500_000.0, 3_850_000.0
_STRIPS = (
    ("red", None, 0),
    ("green", None, 100),
    ("purple", "core", 300),
    ("blue", None, 500),
    ("yellow", None, 700),
)


def _rbox(x0, y0, x1, y1):
    from shapely.geometry import box

    return box(_RX + x0, _RY + y0, _RX + x1, _RY + y1)


def _rlines(**geoms):
    """The five strips; ``geoms`` replaces a strip's geometry by line type."""
    import geopandas as gpd

    rows = [
        {
            "line_type": lt,
            "zone": zone,
            "code": f"{lt.upper()}-1",
            "name": f"{lt} strip",
            "geometry": geoms.get(lt, _rbox(x, 0, x + (20 if lt == "red" else 100), 100)),
        }
        for lt, zone, x in _STRIPS
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4546")


def _rprojects(*rows):
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {"project_id": [f"P{i}" for i in range(len(rows))], "project_type": [t for t, _ in rows]},
        geometry=[g for _, g in rows],
        crs="EPSG:4546",
    )


def _rtown():
    return _rbox(-100, -100, 1000, 300)


def _nan_strip():
    from shapely.geometry import Polygon

    return Polygon(
        [(_RX + 300, _RY), (_RX + 400, _RY), (_RX + 400, float("nan")), (_RX + 300, _RY + 100)]
    )


def test_review_nan_vertex_in_a_control_line_is_refused_naming_it():
    import pytest

    with pytest.raises(tp.SchemaError) as err:
        tp.review(_rprojects(("park", _rbox(810, 0, 820, 10))), _rlines(purple=_nan_strip()))
    msg = str(err.value)
    assert "layer 'control_lines'" in msg and "NaN or infinite coordinates" in msg
    assert "rows 2 (purple, code 'PURPLE-1', name 'purple strip')" in msg and "Fix:" in msg


def test_review_infinite_vertex_in_a_control_line_is_refused():
    import pytest
    from shapely.geometry import Polygon

    inf = Polygon([(_RX, _RY), (_RX + 20, _RY), (_RX + 20, float("inf")), (_RX, _RY + 100)])
    with pytest.raises(tp.SchemaError, match=r"rows 0 \(red, code 'RED-1', name 'red strip'\)"):
        tp.review(_rprojects(("park", _rbox(810, 0, 820, 10))), _rlines(red=inf))


def test_review_control_line_without_geometry_is_refused():
    import pytest

    lines = _rlines()
    lines.loc[3, "geometry"] = None
    with pytest.raises(tp.SchemaError, match=r"1 line\(s\) have no geometry .* rows 3 \(blue"):
        tp.review(_rprojects(("park", _rbox(810, 0, 820, 10))), lines)


def test_review_all_null_control_lines_are_refused_not_read_as_no_line():
    import pytest

    lines = _rlines()
    lines["geometry"] = None
    with pytest.raises(tp.SchemaError, match=r"5 line\(s\) have no geometry"):
        tp.review(_rprojects(("building", _rbox(150, 10, 160, 20))), lines)


def test_review_empty_control_lines_never_pass():
    prj = _rprojects(("building", _rbox(150, 10, 160, 20)), ("park", _rbox(0, 0, 5, 5)))
    r = tp.review(prj, _rlines().iloc[:0], coverage=_rtown())
    assert len(r.projects) == len(prj)  # feature counts in = out
    assert r.projects["verdict"].tolist() == ["not_checked", "not_checked"]
    assert (
        "not checked against red (红线), green (绿线), purple (紫线)"
        in r.projects["reason"].iloc[0]
    )


def test_review_project_30_km_away_is_not_checked():
    prj = _rprojects(("park", _rbox(810, 0, 820, 10)), ("park", _rbox(30_000, 0, 30_010, 10)))
    r = tp.review(prj, _rlines(), coverage=_rtown())
    assert len(r.projects) == 2
    assert r.projects["verdict"].tolist() == ["pass", "not_checked"]
    assert r.projects["outside_coverage_pct"].tolist() == [0.0, 100.0]
    assert r.projects["reason"].iloc[1] == (
        "not checked: outside the review coverage: 100.0 m² (100.0 % of project)"
    )


def test_review_nan_vertex_project_is_invalid_and_recorded():
    from shapely.geometry import Polygon

    bad = Polygon(
        [(_RX + 150, _RY), (_RX + 160, _RY), (_RX + 160, float("nan")), (_RX + 150, _RY + 9)]
    )
    prj = _rprojects(("building", bad), ("building", _rbox(150, 10, 160, 20)))
    r = tp.review(prj, _rlines(), coverage=_rtown())
    assert len(r.projects) == 2
    assert r.projects["verdict"].tolist() == ["invalid", "reject"]
    assert r.projects["reason"].iloc[0] == "NaN or infinite coordinates in the geometry"
    rep = r.repairs[r.repairs["action"] == "nonfinite_geometry"]
    assert rep["layer"].tolist() == ["projects"] and rep["rows"].tolist() == [[0]]


def test_review_collection_road_part_through_purple_core_is_not_dropped():
    import pytest
    from shapely.geometry import GeometryCollection, LineString

    road = LineString([(_RX + 310, _RY + 45), (_RX + 330, _RY + 45)])
    site = _rbox(250, 40, 260, 50)
    prj = _rprojects(("road", GeometryCollection([site, road])), ("road", site))
    r = tp.review(prj, _rlines(), coverage=_rtown())
    assert r.projects["verdict"].tolist() == ["reject", "pass"]
    assert r.projects["purple_overlap_length_m"].iloc[0] == pytest.approx(20.0)
    assert r.repairs.loc[r.repairs["action"] == "collection_parts", "rows"].tolist() == [[0]]


def test_review_z_values_dropped_with_a_record():
    from shapely.geometry import Polygon

    z = Polygon([(_RX + x, _RY + y, 12.0) for x, y in ((810, 0), (820, 0), (820, 10), (810, 10))])
    r = tp.review(
        _rprojects(("park", z), ("park", _rbox(830, 0, 840, 10))), _rlines(), coverage=_rtown()
    )
    rep = r.repairs[r.repairs["action"] == "dropped_z"]
    assert rep["rows"].tolist() == [[0]] and "Z coordinates dropped" in rep["detail"].iloc[0]
    assert r.projects["verdict"].tolist() == ["pass", "pass"]


def test_review_absent_type_present_in_the_data_is_refused():
    import pytest

    with pytest.raises(tp.SchemaError, match=r"\['blue'\] are declared absent .* rows \[3\]. Fix:"):
        tp.review(_rprojects(("park", _rbox(810, 0, 820, 10))), _rlines(), absent=["blue"])


def test_review_unknown_absent_type_is_refused():
    import pytest

    with pytest.raises(tp.SchemaError, match=r"unknown line type\(s\) \['violet'\]. Accepted"):
        tp.review(_rprojects(("park", _rbox(810, 0, 820, 10))), _rlines(), absent=["violet"])


def test_review_coverage_that_is_no_polygon_is_refused():
    import pytest
    from shapely.geometry import LineString

    prj = _rprojects(("park", _rbox(810, 0, 820, 10)))
    line = LineString([(_RX, _RY), (_RX + 900, _RY)])
    with pytest.raises(tp.SchemaError, match="coverage has no polygon of positive area"):
        tp.review(prj, _rlines(), coverage=line)
    with pytest.raises(tp.SchemaError, match="coverage must be a polygon"):
        tp.review(prj, _rlines(), coverage="town boundary")


def test_review_coverage_with_nan_vertex_is_refused():
    import pytest

    with pytest.raises(
        tp.SchemaError, match=r"coverage: NaN or infinite coordinates in rows \[0\]"
    ):
        tp.review(_rprojects(("park", _rbox(810, 0, 820, 10))), _rlines(), coverage=_nan_strip())


def test_rules_setback_graded_notice_is_refused(tmp_path):
    import pytest

    f = tmp_path / "lax.toml"
    f.write_text('[setbacks.red]\ngrade = "notice"\n', encoding="utf-8")
    with pytest.raises(
        tp.DataFileError, match=r"lax.toml: \[setbacks.red\] grade 'notice' is not one of"
    ):
        tp.load_rules(f)


def test_rules_infinite_nearest_search_is_refused(tmp_path):
    import pytest

    f = tmp_path / "far.toml"
    f.write_text("[checks]\nnearest_search_m = inf\n", encoding="utf-8")
    with pytest.raises(tp.DataFileError, match=r"far.toml: \[checks\] nearest_search_m = inf"):
        tp.load_rules(f)


def _nan_line_town(tmp_path):
    """A town GeoPackage whose purple strip has a NaN vertex (written directly, as a CAD export
    would), with a project in the town."""
    import pyogrio

    path = tmp_path / "nan_line.gpkg"
    pyogrio.write_dataframe(_rlines(purple=_nan_strip()), path, layer="control_lines")
    pyogrio.write_dataframe(_rprojects(("park", _rbox(810, 0, 820, 10))), path, layer="projects")
    return path


def test_cli_review_town_with_nan_control_line_exit_2(tmp_path):
    path = _nan_line_town(tmp_path)
    line = assert_exit2(
        run_cli("review", path, "--out", tmp_path / "out"), "control_lines", "rows 2"
    )
    assert "PURPLE-1" in line


def test_cli_report_town_with_nan_control_line_exit_2(tmp_path):
    path = _nan_line_town(tmp_path)
    assert_exit2(run_cli("report", path, "--out", tmp_path / "out", "--standard", "none"), "rows 2")


def test_cli_review_town_toml_with_unknown_absent_type_exit_2(tmp_path):
    import pyogrio

    folder = tmp_path / "town"
    folder.mkdir()
    pyogrio.write_dataframe(_rlines(), folder / "control_lines.gpkg")
    pyogrio.write_dataframe(_rprojects(("park", _rbox(810, 0, 820, 10))), folder / "projects.gpkg")
    (folder / "town.toml").write_text('absent_line_types = ["pink"]\n', encoding="utf-8")
    assert_exit2(
        run_cli("review", folder, "--out", tmp_path / "out"), "absent_line_types", "'pink'"
    )


# --- indicators and ranking -----------------------------------------------------------------------


# --- files, schemas, rules, standards and town.toml -----------------------------------------------


# --- outputs ----------------------------------------------------------------------------------------
