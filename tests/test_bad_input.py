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
import pyogrio
import pytest
from shapely.geometry import LineString, Point, box

import townplan_gis as tp
from townplan_gis.errors import ValueRangeError


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


# --- indicators and ranking -----------------------------------------------------------------------


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
        geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10)],
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
        geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10)],
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
