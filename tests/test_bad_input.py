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
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Point, box

import townplan_gis as tp
from townplan_gis.core.errors import DataFileError, ValueRangeError
from townplan_gis.fiveline.rules import load_rules


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

# Puzhou's neighbourhood in EPSG:4546 (CGCS2000 3-degree GK CM 111E, zone 37), metres.
_GX, _GY = 437_000.0, 3_855_000.0


def _box(x0, y0, x1, y1, dx=_GX, dy=_GY):
    return shapely.box(dx + x0, dy + y0, dx + x1, dy + y1)


def _red(crs="EPSG:4546", geom=None):
    return gpd.GeoDataFrame(
        {"line_type": ["red"], "name": ["西厢大街"], "road_class": ["arterial"]},
        geometry=[geom or _box(0, 0, 200, 30)],
        crs=crs,
    )


def _sites(*geoms, crs="EPSG:4546"):
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"project_id": [f"P{i}" for i in range(n)], "project_type": ["building"] * n},
        geometry=list(geoms),
        crs=crs,
    )


def _builtup(geom, crs):
    return gpd.GeoDataFrame({"name": ["建成区"]}, geometry=[geom], crs=crs)


def _gpkg(tmp_path, **layers) -> Path:
    """A GeoPackage town with these layers, as a planning office would hand it over."""
    path = tmp_path / "town.gpkg"
    for kind, gdf in layers.items():
        gdf.to_file(path, layer=kind)
    return path


def _crs_error(path, *needles, **kwargs) -> str:
    with pytest.raises(tp.CRSError) as exc:
        tp.read_town(path, **kwargs)
    msg = str(exc.value)
    for needle in needles:
        assert needle in msg, (needle, msg)
    return msg


def _lonlat_as_4547():
    # The case: longitude/latitude numbers declared as EPSG:4547 (GK CM 114E) gave a
    # built-up area of 1e-10 km², exit 0.
    return _builtup(shapely.box(117.0, 30.0, 117.02, 30.02), "EPSG:4547")


def test_crs_zone_prefix_of_the_declared_zone_is_removed_and_recorded(tmp_path):
    # Eastings 37 437 050: the zone-37 prefix in a layer declared as EPSG:4546 (zone 37, CM form).
    # Before: the project on the red line passed with "no conflict".
    clean = _sites(_box(50, 10, 70, 50), _box(50, 500, 70, 520))
    dirty = _sites(_box(50, 10, 70, 50, dx=37e6 + _GX), _box(50, 500, 70, 520, dx=37e6 + _GX))
    town = tp.read_town(_gpkg(tmp_path, projects=dirty, control_lines=_red()))
    rep = town.repairs.set_index("action")
    assert rep.loc["zone_prefix_removed", "rows"] == [0, 1]
    assert "37,000,000 subtracted" in rep.loc["zone_prefix_removed", "detail"]
    assert len(town.projects) == len(dirty) == 2
    verdicts = tp.review(town).projects["verdict"].tolist()
    plain = tp.review(tp.Town("t", layers={"projects": clean, "control_lines": _red()}))
    assert verdicts == plain.projects["verdict"].tolist()
    assert verdicts[0] in ("review", "reject")


def test_crs_zone_prefix_of_another_zone_is_refused(tmp_path):
    lines = _red(geom=_box(0, 0, 200, 30, dx=38e6 + _GX))
    path = _gpkg(tmp_path, projects=_sites(_box(50, 10, 70, 50)), control_lines=lines)
    _crs_error(
        path,
        "layer 'control_lines'",
        f"file {path}, layer 'control_lines'",
        "rows [0] (1 of 1 features)",
        "eastings of 8 digits starting with 38",
        "EPSG:4526",
        "subtract 38,000,000",
        "EPSG:4547",
    )


def test_crs_prefixed_crs_without_prefix_is_refused(tmp_path):
    path = _gpkg(tmp_path, boundary=_builtup(_box(0, 0, 3000, 3000), "EPSG:4525"))
    _crs_error(path, "layer 'boundary'", "without the zone prefix 37", "declare EPSG:4546")


def test_crs_lonlat_declared_as_gauss_krueger_is_refused(tmp_path):
    path = _gpkg(tmp_path, builtup=_lonlat_as_4547())
    _crs_error(
        path,
        "layer 'builtup'",
        "EPSG:4547",
        "look like longitude/latitude",
        "x 117 to 117.02",
        "declare EPSG:4490",
    )


def test_crs_metres_declared_as_degrees_is_refused(tmp_path):
    # Before: reprojected to infinity, then "a geometry repair" and "layer missing or empty".
    roads = gpd.GeoDataFrame(
        {"road_class": ["arterial"], "width_m": [24.0]},
        geometry=[shapely.LineString([(_GX, _GY), (_GX + 500, _GY)])],
        crs="EPSG:4490",
    )
    _crs_error(
        _gpkg(tmp_path, roads=roads),
        "layer 'roads'",
        "projected numbers (metres), not degrees",
        "x 437,000 to 437,500",
        "EPSG:4534–4554",
    )


def test_crs_swapped_northing_easting_is_refused(tmp_path):
    swapped = _sites(shapely.box(_GY + 10, _GX + 50, _GY + 50, _GX + 70))
    _crs_error(
        _gpkg(tmp_path, projects=swapped, control_lines=_red()),
        "layer 'projects'",
        "swapped axes (northing, easting)",
        "x 3,855,010 to 3,855,050",
        "swap x and y",
    )


def test_crs_swapped_latitude_longitude_is_refused(tmp_path):
    green = gpd.GeoDataFrame(
        {"green_class": ["park"]}, geometry=[shapely.box(34.83, 110.32, 34.84, 110.33)], crs=4490
    )
    _crs_error(
        _gpkg(tmp_path, green=green),
        "layer 'green'",
        "swapped axes (latitude, longitude)",
        "x 34.83 to 34.84",
        "longitude first",
    )


def test_crs_huge_coordinates_are_refused(tmp_path):
    path = _gpkg(tmp_path, boundary=_builtup(_box(0, 0, 10, 10, dx=1e12), "EPSG:4546"))
    _crs_error(path, "layer 'boundary'", "outside the area of use", "x 1e+12", "Fix: declare")


def test_crs_zone_2000_km_off_its_meridian_is_refused(tmp_path):
    path = _gpkg(tmp_path, builtup=_builtup(_box(0, 0, 10, 10, dx=_GX + 2e6), "EPSG:4546"))
    _crs_error(path, "layer 'builtup'", "outside the area of use", "about 131.")


def test_crs_wrongly_assumed_crs_is_refused(tmp_path):
    # A shapefile without .prj in GK metres; the planner assumes EPSG:4490.
    folder = tmp_path / "town"
    folder.mkdir()
    _builtup(_box(0, 0, 800, 800), None).to_file(folder / "builtup.shp")
    assert not (folder / "builtup.prj").exists()
    msg = _crs_error(folder, "layer 'builtup'", "not degrees", assume_crs="EPSG:4490")
    assert "builtup.shp" in msg
    town = tp.read_town(folder, assume_crs="EPSG:4546")
    assert town.area_km2("builtup") == pytest.approx(0.64)


def test_crs_nonfinite_vertex_in_a_control_line_is_refused(tmp_path):
    # Before: the NaN emptied the line and the project on it passed.
    nan_line = shapely.Polygon([(_GX, _GY), (_GX + 200, _GY), (_GX + 200, np.nan), (_GX, _GY + 30)])
    lines = _red(geom=nan_line)
    with pytest.raises(tp.GeometryError) as exc:
        tp.Town("t", layers={"projects": _sites(_box(50, 10, 70, 50)), "control_lines": lines})
    msg = str(exc.value)
    for needle in (
        "layer 'control_lines'",
        "rows [0] = 西厢大街 (1 of 1 features)",
        "NaN or infinite",
        "Fix:",
    ):
        assert needle in msg


def test_crs_nonfinite_vertex_in_a_project_is_kept_and_recorded():
    nan_site = shapely.Polygon([(_GX, _GY), (_GX + 10, _GY), (_GX + 10, np.inf), (_GX, _GY + 10)])
    town = tp.Town("t", layers={"projects": _sites(_box(50, 10, 70, 50), nan_site)})
    rep = town.repairs.set_index("action")
    assert rep.loc["nonfinite_vertices", "rows"] == [1]
    assert len(town.projects) == 2


def test_crs_review_api_refuses_mislabelled_projects():
    # Through the API, without a Town: the review checks the coordinates itself.
    lonlat = _sites(_box(50, 10, 70, 50)).to_crs(4490).set_crs(4546, allow_override=True)
    with pytest.raises(tp.CRSError, match="layer 'projects'"):
        tp.review(lonlat, _red())


def test_crs_analysis_crs_of_nonsense_is_a_crs_error():
    # transform_bounds of such numbers gives inf: no bare pyproj error, no zone chosen from it.
    bad = _builtup(_box(0, 0, 10, 10, dx=1e12), "EPSG:4546")
    with pytest.raises(tp.CRSError, match="not a place on Earth"):
        tp.analysis_crs(bad)


@pytest.mark.parametrize("command", ["info", "indicators", "review", "map", "report", "assess"])
def test_crs_cli_mislabelled_layer_exits_2(tmp_path, command):
    path = _gpkg(
        tmp_path,
        builtup=_lonlat_as_4547(),
        projects=_sites(_box(50, 10, 70, 50)),
        control_lines=_red(),
    )
    args = [command, path] + (["--standard", "ezhou-2017"] if command == "assess" else [])
    proc = run_cli(*args, cwd=tmp_path)
    assert_exit2(proc, "layer 'builtup'", "town.gpkg", "longitude/latitude", "EPSG:4490")


def test_crs_cli_review_projects_file_swapped_exits_2(tmp_path):
    town = _gpkg(tmp_path, projects=_sites(_box(50, 10, 70, 50)), control_lines=_red())
    bad = tmp_path / "sites.gpkg"
    _sites(shapely.box(_GY + 10, _GX + 50, _GY + 50, _GX + 70)).to_file(bad, layer="sites")
    proc = run_cli("review", town, "--projects", bad, "--out", tmp_path / "out", cwd=tmp_path)
    assert_exit2(proc, "layer 'projects'", "sites.gpkg", "swapped axes", "swap x and y")


def test_crs_cli_nonfinite_control_line_exits_2(tmp_path):
    inf_line = shapely.Polygon([(_GX, _GY), (_GX + 200, _GY), (np.inf, _GY + 30)])
    path = _gpkg(tmp_path, projects=_sites(_box(50, 10, 70, 50)), control_lines=_red(geom=inf_line))
    proc = run_cli("review", path, "--out", tmp_path / "out", cwd=tmp_path)
    assert_exit2(proc, "layer 'control_lines'", "NaN or infinite", "rows [0]")


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


def test_review_nan_z_on_a_valid_footprint_is_invalid_and_recorded():
    # The review reads the vertices of a project only where GEOS finds it invalid or where it has
    # a z: a footprint valid in 2-D with a NaN height must still be found.
    from shapely.geometry import Polygon

    z = Polygon([(_RX + x, _RY + y, h) for (x, y), h in zip(
        ((150, 0), (160, 0), (160, 9), (150, 9)), (3.0, float("nan"), 3.0, 3.0), strict=True
    )])  # fmt: skip
    prj = _rprojects(("building", z), ("building", _rbox(150, 10, 160, 20)))
    r = tp.review(prj, _rlines(), coverage=_rtown())
    assert r.projects["verdict"].tolist() == ["invalid", "reject"]
    rep = r.repairs[r.repairs["action"] == "nonfinite_geometry"]
    assert rep["rows"].tolist() == [[0]]


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
        run_cli("review", path, "--out", tmp_path / "out"), "control_lines", "rows [2]"
    )
    assert "PURPLE-1" in line


def test_cli_report_town_with_nan_control_line_exit_2(tmp_path):
    path = _nan_line_town(tmp_path)
    assert_exit2(
        run_cli("report", path, "--out", tmp_path / "out", "--standard", "none"), "rows [2]"
    )


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
# Standard and rule files are validated against their schema: each bad file below raises exactly
# DataFileError, whose one-line message starts with the file and names the section/key, the value and
# the fix or the closest accepted spelling. Counts follow the built-up area; rankings break ties.
_STD_HEAD = '[standard]\nname = "bad"\n'
_TARGET = (
    '[[targets]]\nkey = "park_count"\ncomparator = ">="\nthreshold = 1\nunit = "count"\n'
    'source = "鄂州 2017"\n'
)
_STANDARD_CASES = {
    "misspelt section": (
        '[standrad]\nname = "bad"\n' + _TARGET,
        "unknown key 'standrad' (did you mean 'standard'?) in the top level",
    ),
    "misspelt target field": (
        _STD_HEAD + _TARGET.replace("threshold =", "thresold ="),
        "unknown key 'thresold' (did you mean 'threshold'?) in target #1 (key 'park_count')",
    ),
    "misspelt indicator key": (
        _STD_HEAD + _TARGET.replace('"park_count"', '"park_cout"'),
        "target #1 (key 'park_cout'): unknown indicator key 'park_cout' (did you mean 'park_count'?)",
    ),
    "weight inf": (
        _STD_HEAD + _TARGET + "weight = inf\n",
        "target #1 (key 'park_count'): weight must be a finite number, got inf",
    ),
    "threshold inf with >=": (
        _STD_HEAD + _TARGET.replace("threshold = 1", "threshold = inf"),
        "target #1 (key 'park_count'): threshold must be a finite number, got inf",
    ),
    "threshold text": (
        _STD_HEAD + _TARGET.replace("threshold = 1", 'threshold = "x"'),
        "target #1 (key 'park_count'): threshold must be a finite number, got 'x'",
    ),
    "between reversed": (
        _STD_HEAD
        + _TARGET.replace('">="', '"between"').replace("threshold = 1", "threshold = [5, 1]"),
        "threshold [5, 1] is reversed (low > high) for 'between'. Fix: write [1, 5]",
    ),
    "unknown comparator": (
        _STD_HEAD + _TARGET.replace('">="', '"=>"'),
        "comparator '=>' is not one of ['>=', '>', '<=', '<', '==', 'between', "
        "'between_left_open'] (did you mean '>='?)",
    ),
    "weight zero": (
        _STD_HEAD + _TARGET + "weight = 0\n",
        "target #1 (key 'park_count'): weight must be > 0, got 0",
    ),
    "extends a misspelt standard": (
        'extends = "ezhou-2071"\n' + _STD_HEAD,
        "extends = 'ezhou-2071' names no standard (did you mean 'ezhou-2017'?)",
    ),
    "override of a figure without its source": (
        'extends = "ezhou-2017"\n'
        + _STD_HEAD
        + '[[targets]]\nkey = "道路硬化率"\ncomparator = "≥"\nthreshold = 95\n',
        "changes the comparator, threshold of 'paving_rate_pct' in ezhou-2017 but gives no source",
    ),
    "printed unit of another indicator": (
        _STD_HEAD + _TARGET.replace('unit = "count"', 'unit = "m²/人"'),
        "unit 'm²/人' does not match the indicator's unit 'count' (written 个 or count)",
    ),
}


@pytest.mark.parametrize("case", list(_STANDARD_CASES))
def test_bad_standard_file(tmp_path, case):
    text, message = _STANDARD_CASES[case]
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(tp.TownPlanError) as info:
        tp.load_standard(path)
    assert type(info.value) is DataFileError
    assert str(info.value).startswith(f"{path.resolve()}: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


_RULE_CASES = {
    "misspelt section [tolerence]": (
        "[tolerence]\nmin_area_m2 = 5\n",
        "unknown key 'tolerence' (did you mean 'tolerance'?) in the top level ([section] names)",
    ),
    "min_area in [tolerance]": (
        "[tolerance]\nmin_area = 5\n",
        "unknown key 'min_area' (did you mean 'min_area_m2'?) in [tolerance]",
    ),
    "misspelt road class of a setback": (
        "[setbacks.distance_m]\narterail = 10\n",
        "unknown key 'arterail' (did you mean 'arterial'?) in [setbacks.distance_m]",
    ),
    "infinite tolerance": (
        "[tolerance]\nmin_area_m2 = inf\n",
        "[tolerance] min_area_m2 = inf must be a finite number ≥ 0",
    ),
    "setback as text": (
        '[setbacks.distance_m]\nblue = "10 m"\n',
        "[setbacks.distance_m] blue = '10 m' must be a number, like the default 10.0",
    ),
}


@pytest.mark.parametrize("case", list(_RULE_CASES))
def test_bad_rule_file(tmp_path, case):
    text, message = _RULE_CASES[case]
    path = tmp_path / "bad_rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(tp.TownPlanError) as info:
        load_rules(path)
    assert type(info.value) is DataFileError
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)


def test_review_overrides_with_a_misspelt_key_are_refused():
    lines = gpd.GeoDataFrame(
        {"line_type": ["green"]}, geometry=[_box(0, 0, 10, 10)], crs="EPSG:4546"
    )
    projects = lines.assign(project_type="park")
    with pytest.raises(
        DataFileError, match=r"unknown key 'min_aera_m2' \(did you mean 'min_area_m2'\?\)"
    ):
        tp.review(projects, lines, tolerance={"min_aera_m2": 5})
    with pytest.raises(
        DataFileError, match=r"unknown key 'arterail' \(did you mean 'arterial'\?\)"
    ):
        tp.review(projects, lines, setback_m={"arterail": 10})


def test_park_far_outside_the_built_up_area_is_not_counted_and_fails():
    # 1 km² built-up area; the only park 5 km east of it. Before: park_count 1 → "pass".
    X0, Y0 = 500_000.0, 3_800_000.0
    builtup = gpd.GeoDataFrame(
        geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)], crs="EPSG:4545"
    )
    far = shapely.box(X0 + 6000, Y0, X0 + 6100, Y0 + 100)
    edge = shapely.box(X0 + 950, Y0, X0 + 1050, Y0 + 100)
    for parks, count, status in (([far], 0, "fail"), ([far, edge], 1, "pass")):
        green = gpd.GeoDataFrame(
            {"green_class": ["G1"] * len(parks)}, geometry=parks, crs="EPSG:4545"
        )
        town = tp.Town("远园镇", layers={"builtup": builtup, "green": green})
        table = tp.town_indicators(town).set_index("key")
        assert table.loc["park_count", "value"] == count
        assert (
            "1 G1 feature(s) outside the built-up area not counted"
            in table.loc["park_count", "note"]
        )
        card = tp.assess(town, "ezhou-2017").set_index("key")
        assert card.loc["park_count", "status"] == status


def test_all_failing_towns_do_not_all_rank_first():
    # national-2016 (density ≥ 8 km/km², road area ratio ≥ 15 %): three towns, every target failed.
    # Each has n roads of 1 km × 20 m in 1 km²: relative gaps (8 − n)/8 + (15 − 2n)/15.
    def town(name, n):
        X0, Y0 = 500_000.0, 3_800_000.0
        roads = gpd.GeoDataFrame(
            {"road_class": ["branch"] * n, "redline_width_m": [20.0] * n},
            geometry=[
                shapely.LineString([(X0, Y0 + 100 * (i + 1)), (X0 + 1000, Y0 + 100 * (i + 1))])
                for i in range(n)
            ],
            crs="EPSG:4545",
        )
        bu = gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)], crs="EPSG:4545")
        return tp.Town(name, layers={"builtup": bu, "roads": roads})

    ranked = tp.assess_many(
        [town("甲", 2), town("乙", 6), town("丙", 4)], "national-2016", progress=False
    )
    assert ranked["score"].tolist() == [0, 0, 0]
    assert ranked["town"].tolist() == ["乙", "丙", "甲"]
    assert ranked["rank"].tolist() == [1, 2, 3]
    assert ranked["relative_gap_sum"].tolist() == pytest.approx(
        [2 / 8 + 3 / 15, 4 / 8 + 7 / 15, 6 / 8 + 11 / 15]
    )
    assert set(ranked["tie_break"]) == {"relative_gap_sum"}


def test_cli_assess_with_a_bad_standard_exits_2(tmp_path):
    town = tp.sample_path("weicheng") / "weicheng.gpkg"
    bad = tmp_path / "bad.toml"
    bad.write_text(_STD_HEAD + _TARGET.replace("threshold =", "thresold ="), encoding="utf-8")
    assert_exit2(
        run_cli("assess", town, "--standard", bad),
        str(bad.resolve()),
        "unknown key 'thresold' (did you mean 'threshold'?)",
    )
    inf = tmp_path / "inf.toml"
    inf.write_text(_STD_HEAD + _TARGET + "weight = inf\n", encoding="utf-8")
    assert_exit2(
        run_cli("assess", town, town, "--standard", inf, "--no-progress"),
        str(inf.resolve()),
        "weight must be a finite number, got inf",
    )


def test_cli_review_with_a_bad_rule_file_exits_2(tmp_path):
    bad = tmp_path / "bad_rules.toml"
    bad.write_text("[tolerence]\nmin_area_m2 = 5\n", encoding="utf-8")
    assert_exit2(
        run_cli("review", tp.sample_path(), "--rules", bad, "--out", tmp_path / "out"),
        str(bad),
        "unknown key 'tolerence' (did you mean 'tolerance'?)",
    )


# --- files, schemas, rules, standards and town.toml -----------------------------------------------
# Near 蒲州镇 in CGCS2000 lon/lat; read into EPSG:4546 like the sample town.
ROAD_A = LineString([(110.300, 34.800), (110.310, 34.800)])
ROAD_B = LineString([(110.300, 34.800), (110.300, 34.810)])


def _roads_folder(folder: Path, **columns) -> Path:
    """A folder town with one roads.geojson (two roads) and the given columns."""
    folder.mkdir(parents=True, exist_ok=True)
    cols = {"道路等级": ["主干路", "支路"], **columns}
    roads = gpd.GeoDataFrame(cols, geometry=[ROAD_A, ROAD_B], crs=4490)
    pyogrio.write_dataframe(roads, folder / "roads.geojson")
    return folder


def _truncated_sample(tmp_path: Path) -> Path:
    data = tp.sample_path().read_bytes()
    bad = tmp_path / "puzhou_truncated.gpkg"
    bad.write_bytes(data[: len(data) // 2])  # an interrupted copy
    return bad


def _gpkg_without_layers(tmp_path: Path) -> Path:
    path = tmp_path / "empty.gpkg"
    pyogrio.write_dataframe(gpd.pd.DataFrame({"a": [1]}), path, layer="notes")
    con = sqlite3.connect(path)
    con.execute("DROP TABLE notes")
    con.execute("DELETE FROM gpkg_contents")
    con.commit()
    con.close()
    return path


def _gbk_shapefile(folder: Path, cpg: str | None, *, encoding: str = "GBK") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    roads = gpd.GeoDataFrame(
        {"名称": ["西厢大街", "中山路"], "等级": ["主干路", "次干路"]},
        geometry=[ROAD_A, ROAD_B],
        crs=4490,
    )
    pyogrio.write_dataframe(roads, folder / "roads.shp", encoding=encoding)
    if cpg is None:
        (folder / "roads.cpg").unlink()
    else:
        (folder / "roads.cpg").write_text(cpg)
    return folder / "roads.shp"


def test_type_column_holding_geometry_types_names_the_source_column():
    lines = gpd.GeoDataFrame(
        {"type": ["multipolygon", "multipolygon"]},
        geometry=[_box(0, 0, 10, 10), _box(20, 0, 30, 10)],
        crs=4546,
    )
    with pytest.raises(tp.UnknownValueError) as err:
        tp.Town("t", layers={"control_lines": lines})
    msg = str(err.value)
    assert "layer 'control_lines', column 'type' (read as 'line_type'" in msg
    assert "unknown value(s) ['multipolygon'] in rows [0, 1]" in msg
    assert "rename it in the file" in msg and "'red'" in msg
    assert err.value.column == "line_type" and err.value.source_column == "type"


def test_type_and_linetype_columns_take_the_one_holding_line_types():
    lines = gpd.GeoDataFrame(
        {"type": ["multipolygon", "multipolygon"], "linetype": ["红线", "紫线"]},
        geometry=[_box(0, 0, 10, 10), _box(20, 0, 30, 10)],
        crs=4546,
    )
    town = tp.Town("t", layers={"control_lines": lines})
    assert town.control_lines["line_type"].tolist() == ["red", "purple"]
    assert town.control_lines["type"].tolist() == ["multipolygon", "multipolygon"]  # kept
    rep = town.repairs.set_index("action").loc["renamed_columns"]
    assert rep["layer"] == "control_lines" and rep["detail"] == "linetype→line_type"
    assert len(town.control_lines) == len(lines)


@pytest.mark.parametrize(
    ("kind", "column", "value", "canonical"),
    [
        ("green", "type", "公园", "green_class"),
        ("facilities", "type", "公厕", "facility_type"),
        ("control_lines", "type", "红线", "line_type"),
        ("projects", "type", "道路", "project_type"),
        ("streetlights", "type", "LED", "kind"),
        ("roads", "道路等级", "主干路", "road_class"),
        ("residential", "户数", 120, "households"),
    ],
)
def test_every_alias_rename_is_recorded_in_town_repairs(kind, column, value, canonical):
    geom = {"roads": ROAD_A, "streetlights": Point(110.3, 34.8), "facilities": Point(110.3, 34.8)}
    layer = gpd.GeoDataFrame(
        {column: [value]}, geometry=[geom.get(kind, box(110.3, 34.8, 110.301, 34.801))], crs=4490
    )
    town = tp.Town("t", layers={kind: layer})
    rep = town.repairs
    renamed = rep[(rep.layer == kind) & (rep.action == "renamed_columns")]
    assert renamed["detail"].tolist() == [f"{column}→{canonical}"]
    assert canonical in town.layers[kind].columns and len(town.layers[kind]) == 1


def test_renamed_width_column_out_of_range_names_file_column_and_rows():
    roads = gpd.GeoDataFrame(
        {"道路等级": ["主干路"] * 5, "红线宽度": [-24.0, 0.0, 1e6, float("inf"), 12.0]},
        geometry=[ROAD_A] * 5,
        crs=4490,
    )
    with pytest.raises(ValueRangeError) as err:
        tp.Town("t", layers={"roads": roads})
    msg = str(err.value)
    assert "layer 'roads', column '红线宽度' (read as 'redline_width_m'" in msg
    assert "[-24.0, 0.0, 1000000.0, inf] in rows [0, 1, 2, 3]" in msg
    assert "> 0 m and ≤ 200 m" in msg and "leave the cell empty" in msg
    assert err.value.rows == [0, 1, 2, 3] and isinstance(err.value, tp.SchemaError)


@pytest.mark.parametrize(
    ("kind", "column", "values", "bound"),
    [
        ("roads", "carriageway_width_m", [-7.0, 7.0], "> 0 m and ≤ 200 m"),
        ("residential", "households", [-3.0, 120.0], "≥ 0"),
        ("canopy", "crown_diameter_m", [0.0, 5.0], "> 0 m"),
        ("projects", "investment_wan_yuan", [float("inf"), 10.0], "≥ 0 万元"),
    ],
)
def test_other_numbers_out_of_range_are_refused(kind, column, values, bound):
    geoms = {
        "roads": [ROAD_A, ROAD_B],
        "canopy": [Point(110.3, 34.8), Point(110.301, 34.8)],
    }.get(kind, [box(110.3, 34.8, 110.301, 34.801), box(110.302, 34.8, 110.303, 34.801)])
    extra = {"roads": {"road_class": ["branch"] * 2}, "projects": {"project_type": ["road"] * 2}}
    layer = gpd.GeoDataFrame({column: values, **extra.get(kind, {})}, geometry=geoms, crs=4490)
    with pytest.raises(ValueRangeError) as err:
        tp.Town("t", layers={kind: layer})
    assert f"layer '{kind}', column '{column}'" in str(err.value)
    assert "in rows [0] are out of range" in str(err.value) and bound in str(err.value)


def test_duplicate_project_ids_are_recorded_and_kept():
    projects = gpd.GeoDataFrame(
        {"项目编号": ["P1", "P2", "P1", "P3", "P2"], "类型": ["道路"] * 5},
        geometry=[box(110.3 + i / 1000, 34.8, 110.3005 + i / 1000, 34.8005) for i in range(5)],
        crs=4490,
    )
    town = tp.Town("t", layers={"projects": projects})
    assert town.projects["project_id"].tolist() == ["P1", "P2", "P1", "P3", "P2"]
    rep = town.repairs
    (dup,) = rep[rep.action == "duplicate_ids"].itertuples()
    assert dup.layer == "projects" and dup.rows == [0, 1, 2, 4] and dup.count == 4
    assert "'P1' (rows 0, 2); 'P2' (rows 1, 4)" in dup.detail and "Fix:" in dup.detail
    assert len(town.projects) == len(projects)


def test_truncated_geopackage_is_a_data_file_error(tmp_path):
    bad = _truncated_sample(tmp_path)
    with pytest.raises(tp.DataFileError) as err:
        tp.read_town(bad)
    msg = str(err.value)
    assert msg.startswith(f"{bad}: the file is corrupt or truncated")
    assert "Fix: copy the file again" in msg


def test_corrupt_page_gdal_would_read_silently_is_caught(tmp_path):
    # A damaged page in the middle of the file: GDAL reads such a file without complaint (the
    # damage lands in data it does not validate); SQLite's integrity check does not.
    data = bytearray(tp.sample_path().read_bytes())
    data[40960 : 40960 + 4096] = bytes(range(256)) * 16
    bad = tmp_path / "damaged.gpkg"
    bad.write_bytes(bytes(data))
    with pytest.raises(tp.DataFileError, match=r"damaged\.gpkg: the file is corrupt"):
        tp.read_layer(bad, layer="roads")


def test_geopackage_without_layers(tmp_path):
    path = _gpkg_without_layers(tmp_path)
    with pytest.raises(tp.DataFileError) as err:
        tp.read_town(path)
    assert str(err.value) == (
        f"{path}: the file is a GeoPackage with no layers. Fix: write at least one layer into it "
        f"(roads, control_lines …)."
    )


def test_geopackage_of_non_town_layers_is_refused(tmp_path):
    path = tmp_path / "other.gpkg"
    pyogrio.write_dataframe(
        gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=4546), path, layer="buildings"
    )
    with pytest.raises(tp.DataFileError, match=r"no town layers: its layers \['buildings'\]"):
        tp.read_town(path)


def test_text_file_renamed_gpkg_is_not_a_geopackage(tmp_path):
    path = tmp_path / "notes.gpkg"
    path.write_text("roads: see the CAD drawing\n", encoding="utf-8")
    with pytest.raises(tp.DataFileError, match="not an SQLite database"):
        tp.read_town(path)


def test_unclosed_ring_in_geojson_names_file_and_feature(tmp_path):
    folder = tmp_path / "town"
    folder.mkdir()
    ring_ok = "[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]"
    ring_open = "[[20, 0], [30, 0], [30, 10], [20, 10]]"
    (folder / "control_lines.geojson").write_text(
        '{"type": "FeatureCollection", "features": ['
        f'{{"type": "Feature", "properties": {{"line_type": "red"}}, '
        f'"geometry": {{"type": "Polygon", "coordinates": [{ring_ok}]}}}}, '
        f'{{"type": "Feature", "properties": {{"line_type": "blue"}}, '
        f'"geometry": {{"type": "Polygon", "coordinates": [{ring_open}]}}}}]}}',
        encoding="utf-8",
    )
    with pytest.raises(tp.DataFileError) as err:
        tp.read_town(folder, assume_crs="EPSG:4546")
    msg = str(err.value)
    assert msg.startswith(f"{folder / 'control_lines.geojson'}: features [1] (0-based")
    assert "not closed" in msg and "Fix: close the rings" in msg


def test_missing_layer_in_a_file_lists_the_layers(tmp_path):
    with pytest.raises(tp.DataFileError) as err:
        tp.read_layer(tp.sample_path(), layer="nope")
    msg = str(err.value)
    assert "has no layer 'nope'" in msg and "'projects'" in msg and "--projects-layer" in msg


def test_forced_utf8_on_gbk_shapefile_names_field_and_suggests_gbk(tmp_path):
    shp = _gbk_shapefile(tmp_path / "gbk", "GBK")
    with pytest.raises(tp.EncodingError) as err:
        tp.read_layer(shp, encoding="utf-8")
    msg = str(err.value)
    assert msg.startswith(f"{shp}: the text is not utf-8 (forced with encoding='utf-8'")
    assert "field name '名称'" in msg and "encoding='gbk'" in msg
    gdf, _ = tp.read_layer(shp, encoding="gbk")  # the suggested encoding works
    assert gdf["名称"].tolist() == ["西厢大街", "中山路"]


def test_unknown_encoding_name(tmp_path):
    shp = _gbk_shapefile(tmp_path / "gbk", "GBK")
    with pytest.raises(tp.EncodingError, match="unknown text encoding 'gbkk'"):
        tp.read_layer(shp, encoding="gbkk")


def test_gbk_cpg_over_utf8_text_is_read_as_utf8_and_recorded(tmp_path):
    folder = tmp_path / "town"
    _gbk_shapefile(folder, "GBK", encoding="UTF-8")
    town = tp.read_town(folder)
    assert town.roads["name"].tolist() == ["西厢大街", "中山路"]  # not 瑗垮帰澶ц
    assert town.roads["road_class"].tolist() == ["arterial", "secondary"] and len(town.roads) == 2
    rep = town.repairs
    (note,) = rep.loc[rep.action == "encoding", "detail"]
    assert "the .cpg is wrong: it says GBK, but the text is UTF-8" in note


def test_utf8_cpg_over_gbk_bytes_is_read_as_gbk_and_recorded(tmp_path):
    folder = tmp_path / "town"
    _gbk_shapefile(folder, "UTF-8")
    town = tp.read_town(folder)
    assert town.roads["name"].tolist() == ["西厢大街", "中山路"] and len(town.roads) == 2
    rep = town.repairs
    (note,) = rep.loc[rep.action == "encoding", "detail"]
    assert "the .cpg is wrong: the text is not UTF-8; read as gb18030" in note


def test_gbk_cpg_over_too_little_utf8_text_is_refused_as_ambiguous(tmp_path):
    folder = tmp_path / "short"
    folder.mkdir()
    roads = gpd.GeoDataFrame({"name": ["中", "a"]}, geometry=[ROAD_A, ROAD_B], crs=4490)
    pyogrio.write_dataframe(roads, folder / "roads.shp", encoding="UTF-8")
    (folder / "roads.cpg").write_text("GBK")
    with pytest.raises(tp.EncodingError) as err:
        tp.read_layer(folder / "roads.shp")
    msg = str(err.value)
    assert "the .cpg says GBK but the text is also valid UTF-8" in msg
    assert "'中' in UTF-8" in msg and "encoding='utf-8'" in msg


@pytest.mark.parametrize(
    ("toml", "needles"),
    [
        ('statistics = "x"', ["'statistics' must be a table", "[statistics] section"]),
        ("metadata = 5", ["'metadata' must be a table, got 5 (int)"]),
        ("crs = 12", ["crs = 12 is not a coordinate reference system", 'crs = "EPSG:4546"']),
        ("assume_crs = true", ["'assume_crs' must be an EPSG code as text"]),
        ("population = true", ["population must be a number of residents, got True (bool)"]),
        ('population = "many"', ["population must be a number of residents, got 'many'"]),
        ("population = -5", ["population must be a finite number ≥ 0, got -5"]),
        ("population = nan", ["population is NaN", "leave it out"]),
        ("population = inf", ["population must be a finite number ≥ 0, got inf"]),
        ("name = 5", ["'name' must be non-empty text"]),
        ("popluation = 12600", ["unknown key 'popluation' (did you mean 'population'?)"]),
        ("[statistcs]\ngas_coverage_pct = 50", ["(did you mean 'statistics'?)"]),
        (
            "[statistics]\ngas_coverage_pct = true",
            ["'gas_coverage_pct' must be a number", "1 for yes"],
        ),
        ("[statistics]\ngas_coverage_pct = nan", ["'gas_coverage_pct' = nan is not a finite"]),
        ("[statistics]\ngreening_plan_adopted = 2", ["is a flag: write 1 (adopted) or 0"]),
        ("[statistics]\nwell_equipped_streets_count = -1", ["is a count and must be ≥ 0"]),
        ('absent_line_types = "purple"', ["'absent_line_types' must be a list of line types"]),
        ("repairs = 5", ["'repairs' is the record townplan_gis writes"]),
    ],
)
def test_bad_town_toml_names_the_file_and_key(tmp_path, toml, needles):
    folder = _roads_folder(tmp_path / "town")
    (folder / "town.toml").write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(tp.DataFileError) as err:
        tp.read_town(folder)
    msg = str(err.value)
    assert msg.startswith(f"{folder / 'town.toml'}: ")
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_town_toml_accepts_absent_line_types_and_a_good_population(tmp_path):
    folder = _roads_folder(tmp_path / "town")
    (folder / "town.toml").write_text(
        'population = 12600\nabsent_line_types = ["purple"]\n', encoding="utf-8"
    )
    town = tp.read_town(folder)
    assert town.population == 12600.0 and len(town.roads) == 2


def test_town_arguments_refused_through_the_api():
    roads = gpd.GeoDataFrame({"road_class": ["lane"]}, geometry=[ROAD_A], crs=4490)
    with pytest.raises(tp.DataFileError, match="got True"):
        tp.Town("t", layers={"roads": roads}, population=True)
    with pytest.raises(tp.DataFileError, match="population is NaN"):
        tp.Town("t", layers={"roads": roads}, population=float("nan"))
    with pytest.raises(tp.DataFileError, match="metadata must be a table"):
        tp.Town("t", layers={"roads": roads}, metadata=5)
    with pytest.raises(tp.CRSError, match="crs 12 is not a coordinate reference system"):
        tp.Town("t", layers={"roads": roads}, crs=12)


# CLI: each bad input that reaches the command exits 2 with one line naming the problem.
def test_cli_corrupt_geopackage(tmp_path):
    bad = _truncated_sample(tmp_path)
    assert_exit2(run_cli("info", bad), str(bad), "corrupt or truncated", "Fix:")


def test_cli_geopackage_without_layers(tmp_path):
    path = _gpkg_without_layers(tmp_path)
    assert_exit2(run_cli("info", path), str(path), "GeoPackage with no layers")


def test_cli_bad_town_toml(tmp_path):
    folder = _roads_folder(tmp_path / "town")
    (folder / "town.toml").write_text("population = true\n", encoding="utf-8")
    assert_exit2(run_cli("indicators", folder), "town.toml", "got True (bool)")


def test_cli_projects_layer_missing(tmp_path):
    sample = tp.sample_path()
    proc = run_cli(
        "review", sample, "--projects", sample, "--projects-layer", "nope", "--out", tmp_path / "o"
    )
    assert_exit2(proc, "has no layer 'nope'", "Layers in the file:")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", ["review", "report", "demo", "map"])
def test_cli_out_naming_an_existing_file(tmp_path, command):
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me", encoding="utf-8")
    args = [command] + ([] if command == "demo" else [tp.sample_path()]) + ["--out", existing]
    line = assert_exit2(run_cli(*args), f"--out {existing}", "Fix:")
    assert "existing file" in line
    assert existing.read_text(encoding="utf-8") == "keep me"


def test_cli_map_out_naming_the_input_town(tmp_path):
    town = tmp_path / "puzhou.gpkg"
    shutil.copy(tp.sample_path(), town)
    before = town.read_bytes()
    assert_exit2(run_cli("map", town, "--out", town), "is the input town")
    assert town.read_bytes() == before


def test_cli_forced_utf8_on_gbk_data(tmp_path):
    _gbk_shapefile(tmp_path / "town", "GBK")
    assert_exit2(
        run_cli("info", tmp_path / "town", "--encoding", "utf-8"),
        "roads.shp: the text is not utf-8",
        "encoding='gbk'",
    )


def test_cli_negative_road_width(tmp_path):
    folder = _roads_folder(tmp_path / "town", 红线宽度=[-24.0, 12.0])
    assert_exit2(
        run_cli("indicators", folder),
        "layer 'roads'",
        "column '红线宽度' (read as 'redline_width_m'",
        "[-24.0] in rows [0]",
    )


# --- outputs ----------------------------------------------------------------------------------------
# Hostile project ids and names (tests/output_helpers.py): formula-like texts, a control character,
# ids that clash once file-safe, a 300-character Chinese id, one id used twice. Each is written safely:
# nothing evaluated, nothing lost, every change recorded.


_OUTPUTS: dict = {}


def _outputs_review():
    """The hostile town and its review, built once (no test changes them)."""
    if not _OUTPUTS:
        from output_helpers import hostile_town

        town = hostile_town()
        _OUTPUTS["town"] = (town, tp.review(town))
    return _OUTPUTS["town"]


def _sheet(path, title):
    import openpyxl

    ws = openpyxl.load_workbook(path)[title]
    return {
        (ws.cell(row=r, column=1).value, ws.cell(row=r, column=2).value): r
        for r in range(2, ws.max_row + 1)
    }, ws


def test_outputs_formula_id_is_a_string_cell_in_the_workbook(tmp_path):
    _, rv = _outputs_review()
    path = tp.to_excel(tmp_path / "w.xlsx", review=rv, lang="en")
    rows, ws = _sheet(path, "Projects")
    cell = ws.cell(row=next(r for (i, _), r in rows.items() if i == "=1+1"), column=1)
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+1", "s", True)


def test_outputs_hyperlink_name_is_a_string_cell_with_no_formula_in_the_file(tmp_path):
    import zipfile

    from output_helpers import HYPERLINK

    _, rv = _outputs_review()
    path = tp.to_excel(tmp_path / "w.xlsx", review=rv, lang="en")
    rows, ws = _sheet(path, "Projects")
    cell = ws.cell(row=next(r for (_, n), r in rows.items() if n == HYPERLINK), column=2)
    assert (cell.value, cell.data_type) == (HYPERLINK, "s")
    with zipfile.ZipFile(path) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not [x for x in sheets if "<f>" in x or "<f " in x]


def test_outputs_csv_cells_starting_a_formula_get_a_quote(tmp_path):
    import csv

    _, rv = _outputs_review()
    paths = rv.to_files(tmp_path / "r")
    with open(paths["projects.csv"], encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["project_id"] for r in rows][:2] == ["'=1+1", "'-5"]
    assert rows[0]["project_name"] == '\'=HYPERLINK("http://x","y")'
    assert rows[2]["project_id"] == "A/1" and rows[3]["project_id"] == "A_1"  # others as they are
    with open(paths["conflicts.csv"], encoding="utf-8-sig", newline="") as f:
        assert {r["project_id"] for r in csv.DictReader(f)} >= {"'=1+1"}
    assert rv.projects["project_id"].iloc[0] == "=1+1"  # the review itself is unchanged


def test_outputs_text_minus_5_is_escaped_the_number_minus_5_is_not(tmp_path):
    import csv

    import pandas as pd

    from townplan_gis.pipeline import write_csv

    df = pd.DataFrame({"key": ["-5", "gap"], "value": [-5, -5.5]})
    with open(write_csv(df, tmp_path / "x.csv"), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["key", "value"], ["'-5", "-5.0"], ["gap", "-5.5"]]
    assert df.loc[0, "key"] == "-5"


def test_outputs_control_character_removed_from_the_workbook_and_recorded(tmp_path, caplog):
    import logging

    _, rv = _outputs_review()
    with caplog.at_level(logging.WARNING):
        path = tp.to_excel(tmp_path / "w.xlsx", review=rv, lang="en")  # openpyxl raised before
    rows, _ = _sheet(path, "Projects")
    (ref,) = [f"B{r}" for (_, n), r in rows.items() if n == "泵站一号"]
    method = {r[0]: r[1] for r in _sheet(path, "Method")[1].iter_rows(values_only=True)}
    assert (
        f"removed U+0007 (Excel cannot store control characters): {ref}"
        in method["written copy: Projects · Project"]
    )
    assert any("U+0007" in r.getMessage() and ref in r.getMessage() for r in caplog.records)


def _outputs_opinions(tmp_path_factory):
    """The hostile review's opinions, written once (English)."""
    if "opinions" not in _OUTPUTS:
        from townplan_gis.deliverables import write_opinions

        town, rv = _outputs_review()
        out = tmp_path_factory.mktemp("opinions")
        _OUTPUTS["opinions"] = (out, write_opinions(rv, out, town=town, lang="en"))
    return _OUTPUTS["opinions"]


def test_outputs_ids_that_clash_when_file_safe_get_three_files(tmp_path_factory):
    out, index = _outputs_opinions(tmp_path_factory)
    files = dict(zip(index["project_id"], index["file"], strict=False))
    trio = [files["A/1"], files["A_1"], files["A:1"]]
    assert len(set(trio)) == 3 and files["A_1"] == "A_1.html"
    for pid, name in zip(["A/1", "A_1", "A:1"], trio, strict=True):
        assert f"<td>{pid}</td>" in (out / name).read_text("utf-8")


def test_outputs_300_character_chinese_id_gets_a_short_file_name(tmp_path_factory):
    from output_helpers import LONG_ID

    out, index = _outputs_opinions(tmp_path_factory)
    assert len(LONG_ID) == 300 and len(LONG_ID.encode()) == 900
    (name,) = index.loc[index["project_id"] == LONG_ID, "file"]
    assert len(name.encode("utf-8")) <= 255 and (out / name).is_file()
    assert name.startswith(LONG_ID[:50])


def test_outputs_repeated_id_two_files_and_a_warning(tmp_path, caplog):
    import logging

    import pytest

    from townplan_gis.deliverables import write_opinions

    town, rv = _outputs_review()
    with caplog.at_level(logging.WARNING):
        index = write_opinions(rv, tmp_path / "op", town=town, verdicts=["not_checked"])
    p7 = index[index["project_id"] == "P7"]
    assert len(p7) == 2 and p7["file"].nunique() == 2 and p7["n_same_id"].tolist() == [2, 2]
    assert all((tmp_path / "op" / f).is_file() for f in p7["file"])
    (msg,) = [r.getMessage() for r in caplog.records if "'P7'" in r.getMessage()]
    assert "used by 2 projects (rows [6, 7])" in msg and "own id" in msg
    with pytest.raises(tp.TownPlanError, match="position="):
        tp.project_opinion(rv, "P7")


def test_outputs_two_renders_give_identical_bytes(tmp_path):
    from output_helpers import hostile_town

    pages = [
        tp.save_map(
            tp.plan_map(hostile_town(), basemap="none"), tmp_path / f"{i}.html"
        ).read_bytes()
        for i in range(2)
    ]
    assert pages[0] == pages[1]


def test_outputs_cli_report_and_review_on_hostile_ids(tmp_path):
    import csv

    import openpyxl
    from output_helpers import PROJECTS, hostile_town

    town_path = tp.write_town(hostile_town(), tmp_path / "hostile.gpkg")
    out = tmp_path / "out"
    proc = run_cli(
        "report", town_path, "--out", out, "--standard", "none", "--basemap", "none",
        "--opinions", "all", "--lang", "en",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert "project_id 'P7' is used by 2 projects" in proc.stderr  # the warning reaches the user
    assert "U+0007" in proc.stderr
    opinions = sorted(p.name for p in (out / "opinions").iterdir())
    assert len(opinions) == len(PROJECTS) + 1 and "index.csv" in opinions
    assert max(len(n.encode()) for n in opinions) <= 255
    ws = openpyxl.load_workbook(out / "workbook.xlsx")["Projects"]
    ids = {
        ws.cell(row=r, column=1).value: ws.cell(row=r, column=1) for r in range(2, ws.max_row + 1)
    }
    assert ids["=1+1"].data_type == "s"
    # townplan review: exit 3 (a project is rejected), the CSV safe
    proc = run_cli("review", town_path, "--out", tmp_path / "rv")
    assert proc.returncode == 3 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    with open(tmp_path / "rv" / "projects.csv", encoding="utf-8-sig", newline="") as f:
        assert next(csv.DictReader(f))["project_id"] == "'=1+1"


# --- print plan, web map and fonts (issue #16, plan) ---------------------------------------------
def test_print_plan_refuses_what_it_cannot_print(tmp_path):
    from maps_helpers import tiny_town

    town = tiny_town()
    src = tmp_path / "tiny.gpkg"
    tp.write_town(town, src)
    # an output that is not a print format, or a folder: named with the fix
    assert_exit2(run_cli("map", src, "--print", "A3", "--out", tmp_path / "plan.docx"),
                 "plan.docx", ".pdf, .png, .svg", "Fix")  # fmt: skip
    assert_exit2(run_cli("map", src, "--print", "A3", "--out", tmp_path), "is a folder", "Fix")
    # print options without --print
    assert_exit2(run_cli("map", src, "--extent", "town"), "--print")
    # a paper size the sheet does not know
    with pytest.raises(tp.TownPlanError, match="paper must be one of A0, A1, A2, A3, A4"):
        tp.plan_figure(town, paper="letter")
    # the built-up frame of a town without a built-up layer: refused, not silently the township
    del town.layers["builtup"]
    with pytest.raises(tp.MissingLayerError, match=r"no 'builtup' layer.*extent='town'"):
        tp.plan_figure(town)
    src2 = tmp_path / "nobuiltup.gpkg"
    tp.write_town(town, src2)
    assert_exit2(run_cli("map", src2, "--print", "A4", "--extent", "builtup", "--out",
                         tmp_path / "p.pdf"), "builtup", "extent='town'")  # fmt: skip
    # the CLI default says which frame it took
    proc = run_cli("map", src2, "--print", "A4", "--out", tmp_path / "p.pdf")
    assert proc.returncode == 0 and "the town has no builtup layer" in proc.stdout


def test_web_map_refuses_an_unknown_first_view():
    from maps_helpers import tiny_town

    with pytest.raises(tp.TownPlanError, match="view must be 'builtup', 'town' or 'data'"):
        tp.plan_map(tiny_town(), basemap="none", view="everything")


# --- report: PDF printing and the standard's region (issue #16) ---------------------------------------
def test_report_pdf_without_a_browser_is_bad_input(tmp_path, monkeypatch):
    monkeypatch.setenv("TOWNPLAN_CHROMIUM", str(tmp_path / "no-such-browser"))
    proc = run_cli("report", tp.sample_path(), "--out", tmp_path / "out", "--pdf")
    assert_exit2(proc, "TOWNPLAN_CHROMIUM", "no-such-browser", "Fix:")
    assert not (tmp_path / "out").exists()  # refused before any work


def test_write_pdf_names_the_missing_browser(tmp_path, monkeypatch):
    from townplan_gis.core.errors import TownPlanError
    from townplan_gis.deliverables.pages import write_pdf

    monkeypatch.setenv("TOWNPLAN_CHROMIUM", "")
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium, chrome or edge on it
    with pytest.raises(TownPlanError, match=r"none was found.*apt install chromium"):
        write_pdf("<p>x</p>", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


# --- pipeline and command line --------------------------------------------------------------------
def test_pipeline_refuses_a_scorecard_of_another_standard():
    from report_helpers import tiny_town

    town = tiny_town()
    card = tp.assess(town, "ezhou-2017")
    # the report and workbook would name weicheng-2017 over Ezhou's scores
    with pytest.raises(tp.TownPlanError, match=r"against 'ezhou-2017'.*'weicheng-2017'"):
        tp.Pipeline(town, standard="weicheng-2017", scorecard=card)
    assert tp.Pipeline(town, standard="ezhou-2017", scorecard=card).scorecard is card


def test_pipeline_refuses_a_review_that_is_not_one():
    from report_helpers import tiny_town

    town = tiny_town()
    with pytest.raises(tp.TownPlanError, match="review= takes a Review"):
        tp.Pipeline(town, review="yes")


def test_report_opinions_asked_for_a_town_without_review_says_none_were_written(tmp_path):
    from report_helpers import tiny_town

    town = tiny_town()
    bare = tp.Town(
        "无项目镇", layers={"boundary": town.boundary, "roads": town.roads}, crs=town.crs
    )
    tp.write_town(bare, tmp_path / "bare.gpkg")
    out = tmp_path / "out"
    proc = run_cli("report", tmp_path / "bare.gpkg", "--out", out, "--opinions", "all")
    assert proc.returncode == 0, proc.stderr
    assert "no opinion written, the deliverables have no review" in proc.stderr
    assert "'projects' layer" in proc.stderr and not (out / "opinions").exists()


# --- programme: investment, progress, acceptance, before/after ------------------------------------------
def _programme_table(**columns) -> gpd.GeoDataFrame:
    n = len(next(iter(columns.values())))
    base = {"项目编号": [f"P{i}" for i in range(n)], "项目类型": ["道路"] * n, **columns}
    return gpd.GeoDataFrame(
        base, geometry=[Point(437_000 + 10 * i, 3_855_000) for i in range(n)], crs="EPSG:4546"
    )


@pytest.mark.parametrize(
    ("column", "canonical", "values", "rows", "bound"),
    [
        ("投资", "investment_wan_yuan", [100.0, -5.0], [1], "≥ 0 万元"),
        ("上级补助", "funding_subsidy_wan_yuan", [-1.0, 10.0], [0], "≥ 0 万元"),
        ("工程总投资", "item_total_wan_yuan", [-2700.0, 2700.0], [0], "≥ 0 万元"),
        ("完成进度", "completion_pct", [120.0, 50.0], [0], "≥ 0 % and ≤ 100 %"),
    ],
)
def test_programme_numbers_out_of_range_are_refused(column, canonical, values, rows, bound):
    from townplan_gis.construction import programme

    with pytest.raises(ValueRangeError) as err:
        programme(_programme_table(**{column: values}))
    msg = str(err.value)
    assert f"layer 'projects', column '{column}' (read as '{canonical}'" in msg
    assert f"in rows {rows}" in msg and bound in msg


def test_programme_unknown_stage_is_refused_with_the_stages():
    from townplan_gis.construction import programme

    with pytest.raises(tp.UnknownValueError) as err:
        programme(_programme_table(建设阶段=["实施", "竣工决算"]))
    msg = str(err.value)
    assert "column '建设阶段' (read as 'stage'" in msg and "['竣工决算'] in rows [1]" in msg
    assert "['acceptance', 'implementation', 'selected', 'showcase']" in msg


def test_programme_deadline_before_start_is_refused():
    from townplan_gis.construction import programme

    table = _programme_table(
        开工时间=["2017-10-31", "2017-03-01"], 完工期限=["2017-03-01", "2017-10-31"]
    )
    with pytest.raises(ValueRangeError) as err:
        programme(table)
    msg = str(err.value)
    assert "layer 'projects', column 'deadline': value(s) ['2017-03-01'] in rows [0]" in msg
    assert "start → deadline: 2017-10-31 → 2017-03-01" in msg and "typo" in msg


def test_programme_unreadable_dates_and_as_of_are_refused():
    from townplan_gis.construction import programme

    with pytest.raises(
        tp.SchemaError,
        match=r"column 'deadline': value\(s\) \['10月底'\] in rows \[1\] are not dates",
    ):
        programme(_programme_table(完工期限=["2017-10-31", "10月底"]))
    with pytest.raises(tp.TownPlanError, match="as_of 'soon' is not a date"):
        programme(_programme_table(投资=[1.0]), as_of="soon")


def test_progress_snapshot_from_another_town_is_refused():
    from townplan_gis.construction import progress

    def town(name: str) -> tp.Town:
        return tp.Town(name, layers={"projects": _programme_table(完成进度=[50.0])})

    with pytest.raises(tp.TownPlanError) as err:
        progress({"2017-10-13": town("蒲州镇"), "2017-10-20": town("窑店镇")})
    assert "the snapshots are of different towns: {'2017-10-20': '窑店镇'} besides '蒲州镇'" in str(
        err.value
    )
    other = _programme_table(完成进度=[50.0]).assign(项目编号=["Q1"])
    with pytest.raises(
        tp.TownPlanError,
        match="snapshot 2017-10-20 shares no project_id with the snapshot of 2017-10-13",
    ):
        progress({"2017-10-13": _programme_table(完成进度=[40.0]), "2017-10-20": other})


def test_progress_snapshots_that_cannot_be_followed_are_refused():
    from townplan_gis.construction import progress

    week = _programme_table(完成进度=[40.0, 50.0])
    with pytest.raises(tp.TownPlanError, match=r"more than one snapshot dated \['2017-10-20'\]"):
        progress([("2017-10-20", week), ("2017年10月20日", week)])
    with pytest.raises(tp.TownPlanError, match=r"projects without project_id in rows \[1\]"):
        progress({"2017-10-20": week.assign(项目编号=["P0", None])})
    with pytest.raises(
        tp.TownPlanError, match=r"project_id \['P0'\] used by more than one project"
    ):
        progress({"2017-10-20": week.assign(项目编号=["P0", "P0"])})
    with pytest.raises(tp.TownPlanError, match="no snapshots given"):
        progress({})


def test_acceptance_fund_and_rules_file_are_checked(tmp_path):
    from importlib import resources

    from townplan_gis.construction import acceptance, load_programme_rules

    towns = tp.sample_towns("weicheng")[:1]
    with pytest.raises(
        tp.TownPlanError, match=r"not a whole number of payment units of 0\.01 万元"
    ):
        acceptance(towns, "weicheng-2017", fund_wan_yuan=1200.005)
    text = resources.files("townplan_gis.data").joinpath("programme.toml").read_text("utf-8")
    bad = tmp_path / "programme.toml"
    bad.write_text(text.replace("office_share_pct =", "office_share =", 1), encoding="utf-8")
    with pytest.raises(
        DataFileError, match="unknown key 'office_share' \\(did you mean 'office_share_pct'\\?\\)"
    ):
        load_programme_rules(bad)
    bad.write_text(text.replace('code = "showcase"', 'code = "observe"'), encoding="utf-8")
    with pytest.raises(
        DataFileError,
        match="stage code 'observe' is not a value of the projects layer's 'stage' column",
    ):
        load_programme_rules(bad)
    bad.write_text(text.replace('weight = "equal"', 'weight = "equals"'), encoding="utf-8")
    with pytest.raises(DataFileError, match="weight 'equals' is not one of"):
        load_programme_rules(bad)
    bad.write_text(
        text.replace("office_share_pct = 1.0", "office_share_pct = 120.0"), encoding="utf-8"
    )
    with pytest.raises(
        DataFileError,
        match=r"'office_share_pct' must be a finite number between 0 and 100, got 120\.0",
    ):
        load_programme_rules(bad)
    with pytest.raises(DataFileError, match="programme rule file not found"):
        load_programme_rules(tmp_path / "missing.toml")


# --- imports: OpenStreetMap extracts and CAD drawings (issue #15) ---------------------------------
def test_osm_bounds_that_are_no_lonlat_box_are_refused(tmp_path):
    path = tmp_path / "bad_bounds.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6"><bounds minlat="34.9" minlon="110.3" '
        'maxlat="34.8" maxlon="110.4"/><node id="1" lat="34.85" lon="110.35"/></osm>',
        encoding="utf-8",
    )
    with pytest.raises(DataFileError, match=r"bad_bounds.osm: its bounds .* not a box in lon/lat"):
        tp.io.read_osm(path)


def test_osm_width_of_a_million_metres_is_not_a_road_width(tmp_path):
    # A typo (1e6) must not become a road covering the town: left empty, recorded with the way.
    path = tmp_path / "wide.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<bounds minlat="34.80" minlon="110.30" maxlat="34.82" maxlon="110.33"/>'
        '<node id="1" lat="34.81" lon="110.31"/><node id="2" lat="34.81" lon="110.32"/>'
        '<way id="3"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/>'
        '<tag k="width" v="1000000"/></way></osm>',
        encoding="utf-8",
    )
    town = tp.io.read_osm(path)
    assert town.roads["carriageway_width_m"].isna().all()
    unread = town.repairs[town.repairs["action"] == "osm_width_unread"]
    assert unread["count"].tolist() == [1] and "way/3: width='1000000'" in unread["detail"].iloc[0]


def test_dxf_in_local_drawing_coordinates_is_refused_under_a_gk_crs(tmp_path):
    # A drawing in local coordinates (0…100 m) said to be CGCS2000 GK would land in the sea west
    # of Africa: the coordinate check refuses it rather than reviewing against the wrong place.
    import ezdxf

    doc = ezdxf.new("R2010")
    doc.layers.add("蓝线")
    doc.modelspace().add_lwpolyline(
        [(0, 0), (100, 0), (100, 50), (0, 50)], close=True, dxfattribs={"layer": "蓝线"}
    )
    doc.saveas(tmp_path / "local.dxf")
    with pytest.raises(tp.CRSError, match=r"local\.dxf"):
        tp.io.read_dxf_lines(tmp_path / "local.dxf", crs="EPSG:4546")


def test_a_land_use_code_that_lost_its_leading_zero_is_invalid_not_guessed():
    # 07 (居住用地) read from a number column becomes 7: refused with the accepted types, never
    # taken for another class.
    projects = gpd.GeoDataFrame(
        {"project_type": ["7", "07"]},
        geometry=[box(500_000, 3_850_000, 500_010, 3_850_010)] * 2,
        crs="EPSG:4546",
    )
    r = tp.review(projects, projects.iloc[:0].assign(line_type=[]), coverage=box(0, 0, 1e7, 1e7),
                  absent=["red", "green", "purple", "blue", "yellow"])  # fmt: skip
    assert r.projects["verdict"].tolist() == ["invalid", "pass"]
    assert "unknown project_type '7'" in r.projects["reason"].iloc[0]
    assert "residential" in r.projects["reason"].iloc[0]


def _cad_town(tmp_path):
    from test_io_dxf import COVERAGE, CRS, draw

    town = tp.Town(
        "图纸镇",
        layers={"boundary": gpd.GeoDataFrame({"name": ["镇域"]}, geometry=[COVERAGE], crs=CRS)},
    )
    tp.write_town(town, tmp_path / "town.gpkg")
    return tmp_path / "town.gpkg", draw(tmp_path / "plan.dxf")


def test_cli_review_of_a_drawing_without_crs_or_with_an_unknown_type_exits_2(tmp_path):
    town, plan = _cad_town(tmp_path)
    out = tmp_path / "out"
    proc = run_cli("review", town, "--projects", plan, "--project-type", "住宅", "--out", out)
    assert_exit2(proc, "plan.dxf", "carries no coordinate reference system", "--crs")
    proc = run_cli("review", town, "--lines", plan, "--out", out)
    assert_exit2(proc, "plan.dxf", "--crs EPSG:4546")
    proc = run_cli(
        "review", town, "--projects", plan, "--project-type", "宫殿", "--crs", "EPSG:4546",
        "--out", out,
    )  # fmt: skip
    assert_exit2(proc, "宫殿", "building")
    proc = run_cli(
        "review", town, "--projects", plan, "--project-type", "住宅", "--crs", "EPSG:4546",
        "--lines", plan, "--families", "five,four", "--out", out,
    )  # fmt: skip
    assert_exit2(proc, "four", "三区三线")
    proc = run_cli("review", town, "--project-type", "住宅", "--out", out)
    assert_exit2(proc, "--project-type", "DXF")


def test_cli_import_osm_refuses_a_folder_or_other_file_as_out(tmp_path):
    path = tmp_path / "a.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6"><bounds minlat="34.8" minlon="110.3" '
        'maxlat="34.81" maxlon="110.31"/></osm>',
        encoding="utf-8",
    )
    assert_exit2(run_cli("import-osm", path, "--out", tmp_path / "town.csv"), "--out", ".gpkg")
    assert_exit2(
        run_cli("import-osm", tmp_path / "missing.osm", "--out", tmp_path / "t.gpkg"),
        "missing.osm",
    )


# --- planning analyses: line self-check, buildable land, site search, service coverage -------------


def _analysis_lines(**cols):
    base = {"line_type": ["blue", "yellow"], "code": ["L1", "H1"]}
    return gpd.GeoDataFrame(
        {**base, **cols},
        geometry=[
            box(437_000, 3_855_000, 437_100, 3_855_050),
            box(437_080, 3_855_000, 437_130, 3_855_050),
        ],
        crs="EPSG:4546",
    )


def test_check_lines_without_crs_names_the_layer_and_the_fix():
    from townplan_gis.analyses import check_lines

    lines = _analysis_lines().set_crs(None, allow_override=True)
    with pytest.raises(tp.CRSError, match=r"layer 'control_lines' has no CRS.*Fix"):
        check_lines(lines)


def test_check_lines_unknown_line_type_names_rows_and_accepted_values():
    from townplan_gis.analyses import check_lines

    lines = _analysis_lines(line_type=["blue", "紫色线"])
    with pytest.raises(tp.UnknownValueError, match=r"紫色线") as err:
        check_lines(lines)
    assert "line_type" in str(err.value) and "[1]" in str(err.value)


def test_line_matrix_file_errors_name_the_file_and_entry(tmp_path):
    from townplan_gis.analyses import check_lines

    bad = tmp_path / "matrix.toml"
    bad.write_text('[[pair]]\nsides = ["red", "blue"]\noverlap = "conflict"\n', encoding="utf-8")
    with pytest.raises(DataFileError, match=r"matrix\.toml: \[\[pair\]\] #1: missing"):
        check_lines(_analysis_lines(), matrix=bad)
    bad.write_text("[tolerance]\ngap_width_m = -1\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"gap_width_m = -1 must be ≥ 0"):
        check_lines(_analysis_lines(), matrix=bad)


def test_buildable_land_refuses_line_parcels_by_row():
    from townplan_gis.analyses import buildable_land

    parcels = gpd.GeoDataFrame(
        geometry=[
            box(437_000, 3_855_000, 437_010, 3_855_010),
            LineString([(437_000, 3_855_000), (437_010, 3_855_000)]),
        ],
        crs="EPSG:4546",
    )
    with pytest.raises(tp.GeometryTypeError, match=r"parcels: rows \[1\] are not polygons"):
        buildable_land(parcels, _analysis_lines())


def test_buildable_land_keeps_an_empty_parcel_and_says_so():
    from townplan_gis.analyses import buildable_land

    parcels = gpd.GeoDataFrame(
        geometry=[box(437_000, 3_855_200, 437_010, 3_855_210), None], crs="EPSG:4546"
    )
    out = buildable_land(parcels, _analysis_lines())
    assert len(out) == 2 and out["gross_m2"].iloc[0] == pytest.approx(100.0)
    assert np.isnan(out["gross_m2"].iloc[1]) and np.isnan(out["buildable_m2"].iloc[1])
    assert "no geometry" in out["note"].iloc[1] and not out["buildable"].iloc[1]


def test_find_sites_without_a_search_area_names_the_layer():
    from townplan_gis.analyses import find_sites

    town = tp.Town("no builtup", layers={"control_lines": _analysis_lines()})
    with pytest.raises(tp.MissingLayerError, match=r"no 'builtup' layer to search in"):
        find_sites(town, area_m2=1000)


def test_service_coverage_without_roads_is_labelled_straight_line():
    from townplan_gis.analyses import park_service_coverage

    town = tp.sample_town()
    town = tp.Town(town.name, layers={k: v for k, v in town.layers.items() if k != "roads"})
    result = park_service_coverage(town)
    assert result.summary["method"].startswith("straight line")
    row = tp.town_indicators(town).set_index("key").loc["park_service_coverage_pct"]
    assert "straight-line distance (no roads)" in row["note"]


def test_analysis_commands_name_what_is_missing(tmp_path):
    """The three analysis commands: a town without lines, parcels without a CRS, a search area the
    town lacks; each exit 2 with one line naming the layer or the fix."""
    town = tp.sample_town()
    bare = tp.Town("无控制线镇", layers={"boundary": town.boundary, "roads": town.roads})
    tp.write_town(bare, tmp_path / "bare.gpkg")
    assert_exit2(run_cli("check-lines", tmp_path / "bare.gpkg"), "control_lines", "Fix")
    parcels = tmp_path / "parcels.shp"  # no .prj: a shapefile without a CRS
    gpd.GeoDataFrame(geometry=[box(437_000, 3_855_000, 437_050, 3_855_050)]).to_file(parcels)
    assert_exit2(run_cli("buildable", parcels, "--town", tp.sample_path()), "CRS")
    # The sample has a development boundary (三区三线): a town without one is refused.
    five = town.control_lines[town.control_lines["line_type"] != "dev_boundary"]
    tp.write_town(town.with_layer("control_lines", five), tmp_path / "no_dev.gpkg")
    assert_exit2(
        run_cli(
            "find-sites", tmp_path / "no_dev.gpkg", "--area-m2", "5000", "--project-type",
            "building", "--within", "dev_boundary",
        ),
        "dev_boundary",
    )  # fmt: skip


# --- review opinions: office, template, selection (#16) ---------------------------------------------------
def test_opinion_office_file_with_a_typo_or_a_bad_pattern_is_refused(tmp_path):
    from townplan_gis.deliverables.opinion_office import load_office

    bad = tmp_path / "office.toml"
    bad.write_text('authorty = "某县规划局"\nnumber_pattern = "某规〔{year}〕{seq}号"\n', "utf-8")
    with pytest.raises(DataFileError, match=r"office.toml.*'authorty'.*did you mean 'authority'"):
        load_office(bad)
    bad.write_text(
        'authority = "某县规划局"\nnumber_pattern = "某规〔{year}〕{serial}号"\n', "utf-8"
    )
    with pytest.raises(DataFileError, match=r"uses \['serial'\]; the fields are"):
        load_office(bad)
    # a pattern without {seq} or {project_id} would give every opinion the same number
    bad.write_text('authority = "某县规划局"\nnumber_pattern = "某规〔{year}〕号"\n', "utf-8")
    with pytest.raises(DataFileError, match="gives every opinion the same number"):
        load_office(bad)
    bad.write_text('authority = ""\nnumber_pattern = "{seq}"\n', "utf-8")
    with pytest.raises(DataFileError, match="'authority' must be non-empty text"):
        load_office(bad)
    bad.write_text('authority = "某局"\nnumber_pattern = "{seq}"\nplaceholder = "no"\n', "utf-8")
    with pytest.raises(DataFileError, match="placeholder must be true or false"):
        load_office(bad)


def test_opinion_template_without_the_styles_is_refused(tmp_path):
    from docx import Document

    from townplan_gis.deliverables.opinion_docx import opinion_docx
    from townplan_gis.deliverables.opinion_office import load_office

    Document().save(str(tmp_path / "plain.docx"))  # Word's default: no Op* styles
    content = {"lang": "zh", "office": load_office()}
    with pytest.raises(tp.TownPlanError, match=r"plain.docx lacks the style\(s\) \['OpAuthority'"):
        opinion_docx(content, template=tmp_path / "plain.docx")
    (tmp_path / "not.docx").write_text("not a zip", "utf-8")
    with pytest.raises(tp.TownPlanError, match=r"not a Word \.docx file"):
        opinion_docx(content, template=tmp_path / "not.docx")


def test_opinion_unknown_format_and_workers_are_refused(tmp_path):
    from townplan_gis.deliverables import write_opinions

    town = tp.sample_town()
    rv = tp.review(town)
    with pytest.raises(tp.TownPlanError, match=r"format must be one of \('html', 'docx', 'pdf'\)"):
        write_opinions(rv, tmp_path / "op", format="odt")
    with pytest.raises(tp.TownPlanError, match="workers must be a whole number"):
        write_opinions(rv, tmp_path / "op", projects=["P01"], workers=0)


def test_cli_report_opinions_of_an_unknown_id_fail_before_writing(tmp_path):
    out = tmp_path / "out"
    proc = run_cli("report", tp.sample_path(), "--out", out, "--opinions", "P01,P99")
    assert_exit2(proc, "--opinions: no project ['P99']", "P01")
    assert not (out / "report.html").exists()
    bad = tmp_path / "office.toml"
    bad.write_text('authority = "某局"\n', "utf-8")
    proc = run_cli("report", tp.sample_path(), "--out", out, "--opinions", "P01", "--office", bad)
    assert_exit2(proc, "office.toml", "'number_pattern' must be non-empty text")
