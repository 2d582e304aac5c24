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
# Section imports sit here, not in the block above, so that the sections' branches merge cleanly.
import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402

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
    verdicts = town.review().projects["verdict"].tolist()
    plain = tp.Town("t", layers={"projects": clean, "control_lines": _red()}).review()
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
        "rows [0] (1 of 1 features)",
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


# --- indicators and ranking -----------------------------------------------------------------------


# --- files, schemas, rules, standards and town.toml -----------------------------------------------


# --- outputs ----------------------------------------------------------------------------------------
