"""GeoPackage and folder round trips, GBK shapefiles, DXF, error paths."""

import os

import geopandas as gpd
import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import LineString, Point, Polygon, box

import townplan_gis as tp
from townplan_gis.io.files import detect_encoding, read_layer


def small_town():
    roads = gpd.GeoDataFrame(
        {
            "道路等级": ["主干路", "巷路"],
            "红线宽度": [24, 6],
            "路灯": ["是", None],
            "备注": ["x", "y"],
        },
        geometry=[
            LineString([(110.30, 34.80), (110.31, 34.80)]),
            LineString([(110.30, 34.80), (110.30, 34.81)]),
        ],
        crs=4490,
        index=[10, 20],
    )
    green = gpd.GeoDataFrame(
        {"类型": ["公园绿地"]}, geometry=[box(110.301, 34.801, 110.302, 34.802)], crs=4490
    )
    return tp.Town(
        "蒲州镇",
        layers={"roads": roads, "green": green},
        population=12600,
        statistics={"gas_coverage_pct": 42.0},
        metadata={"illustrative": True, "source": "test"},
    )


def assert_towns_equal(a, b):
    assert (a.name, a.population, a.statistics, a.metadata) == (
        b.name,
        b.population,
        b.statistics,
        b.metadata,
    )
    assert a.crs == b.crs
    assert set(a.layers) == set(b.layers)
    for kind in a.layers:
        assert_geodataframe_equal(a.layers[kind], b.layers[kind], check_like=False)


@pytest.mark.parametrize("target", ["town.gpkg", "town_folder"])
def test_round_trip_is_lossless(tmp_path, target):
    town = small_town()
    tp.write_town(town, tmp_path / target)
    back = tp.read_town(tmp_path / target)
    assert_towns_equal(town, back)
    assert back.roads.index.tolist() == [10, 20]
    assert back.roads["lit"].iloc[0] == True  # noqa: E712 (nullable boolean)
    assert back.roads["lit"].isna().tolist() == [False, True]
    # the history of repairs travels with the data
    assert "renamed_columns" in back.repairs["action"].tolist()


def test_folder_with_town_toml_and_chinese_file_names(tmp_path):
    roads = gpd.GeoDataFrame(
        {"道路等级": ["主干路"]}, geometry=[LineString([(110.3, 34.8), (110.31, 34.8)])], crs=4490
    )
    pyogrio.write_dataframe(roads, tmp_path / "道路.geojson")
    (tmp_path / "town.toml").write_text(
        'name = "窑店镇"\npopulation = 9000\n[statistics]\nwater_supply_coverage_pct = 96\n',
        encoding="utf-8",
    )
    town = tp.read_town(tmp_path)
    assert town.name == "窑店镇" and town.population == 9000
    assert town.statistics == {"water_supply_coverage_pct": 96.0}
    assert town.roads.road_class.tolist() == ["arterial"]
    assert "renamed_layer" in town.repairs["action"].tolist()


def test_bad_town_toml(tmp_path):
    roads = gpd.GeoDataFrame(
        {"road_class": ["lane"]}, geometry=[LineString([(110.3, 34.8), (110.31, 34.8)])], crs=4490
    )
    pyogrio.write_dataframe(roads, tmp_path / "roads.geojson")
    (tmp_path / "town.toml").write_text("populaton = 5\n", encoding="utf-8")
    with pytest.raises(tp.DataFileError, match="populaton"):
        tp.read_town(tmp_path)
    (tmp_path / "town.toml").write_text("name = \n", encoding="utf-8")
    with pytest.raises(tp.DataFileError, match="not valid TOML"):
        tp.read_town(tmp_path)


def test_empty_folder_and_missing_path(tmp_path):
    with pytest.raises(tp.DataFileError, match="no layer files"):
        tp.read_town(tmp_path)
    with pytest.raises(tp.DataFileError, match="no such file"):
        tp.read_town(tmp_path / "nope.shp")


def write_gbk_shapefile(folder, cpg):
    gdf = gpd.GeoDataFrame(
        {"名称": ["西厢大街", "中山路"], "道路等级": ["主干路", "次干路"]},
        geometry=[
            LineString([(110.30, 34.80), (110.31, 34.80)]),
            LineString([(110.30, 34.80), (110.30, 34.81)]),
        ],
        crs=4490,
    )
    pyogrio.write_dataframe(gdf, folder / "roads.shp", encoding="GBK")
    cpg_path = folder / "roads.cpg"
    if cpg is None:
        os.remove(cpg_path)
    else:
        cpg_path.write_text(cpg)
    return folder / "roads.shp"


@pytest.mark.parametrize("cpg", ["GBK", "936", None, "ANSI 936", "UTF-8"])
def test_gbk_shapefile_read_correctly_whatever_the_cpg(tmp_path, cpg):
    path = write_gbk_shapefile(tmp_path, cpg)
    gdf, info = read_layer(path)
    assert list(gdf.columns[:2]) == ["名称", "道路等级"]
    assert gdf["名称"].tolist() == ["西厢大街", "中山路"]
    assert info["encoding"] == "gb18030"
    if cpg == "UTF-8":
        assert "wrong" in info["note"]


def test_gbk_shapefile_without_cpg_into_a_town_records_the_encoding(tmp_path):
    write_gbk_shapefile(tmp_path, None)
    town = tp.read_town(tmp_path)
    assert town.roads.name.tolist() == ["西厢大街", "中山路"]
    assert town.roads.road_class.tolist() == ["arterial", "secondary"]
    rep = town.repairs
    assert "gb18030" in rep.loc[rep.action == "encoding", "detail"].iloc[0]


def test_shapefile_without_prj_needs_assumed_crs(tmp_path):
    write_gbk_shapefile(tmp_path, "GBK")
    os.remove(tmp_path / "roads.prj")
    with pytest.raises(tp.CRSError, match="assume_crs"):
        tp.read_town(tmp_path)
    town = tp.read_town(tmp_path, assume_crs="EPSG:4490")
    assert town.crs.to_epsg() == 4546


def test_utf8_shapefile_and_forced_encoding(tmp_path):
    gdf = gpd.GeoDataFrame({"名称": ["鹳雀楼"]}, geometry=[Point(110.3, 34.8)], crs=4490)
    pyogrio.write_dataframe(gdf, tmp_path / "h.shp", encoding="UTF-8")
    out, info = read_layer(tmp_path / "h.shp")
    assert out["名称"].tolist() == ["鹳雀楼"] and info["encoding"] == "utf-8"
    out, info = read_layer(tmp_path / "h.shp", encoding="UTF-8")
    assert out["名称"].tolist() == ["鹳雀楼"] and info["detected"] is False


def test_detect_encoding():
    assert detect_encoding(["西厢".encode("gbk")]) == "gb18030"
    assert detect_encoding(["西厢".encode()]) == "utf-8"
    assert detect_encoding([b"abc"]) == "utf-8"
    with pytest.raises(tp.EncodingError):
        detect_encoding([b"\x81"], declared=None)


def test_dxf_closed_polylines_read_as_polygons(tmp_path):
    x, y = 436000, 3855000  # CGCS2000 GK CM 111E, as CAD drawings in Puzhou would be
    ring = LineString([(x, y), (x + 100, y), (x + 100, y + 50), (x, y + 50), (x, y)])
    gdf = gpd.GeoDataFrame({"Layer": ["GREEN"]}, geometry=[ring])
    pyogrio.write_dataframe(gdf, tmp_path / "green.dxf", driver="DXF")
    layer, _ = read_layer(tmp_path / "green.dxf")
    layer = layer.assign(green_class="G1")
    town = tp.Town("t", layers={"green": layer}, assume_crs="EPSG:4546")
    assert town.green.geometry.iloc[0].geom_type == "Polygon"
    assert town.green.area.iloc[0] == pytest.approx(5000.0)
    assert "polygonized" in town.repairs["action"].tolist()


@pytest.mark.parametrize("target", ["town.gpkg", "town_folder"])
def test_name_and_population_override_the_stored_ones(tmp_path, target):
    tp.write_town(small_town(), tmp_path / target)
    town = tp.read_town(tmp_path / target, name="永济市蒲州镇", population=13000)
    assert town.name == "永济市蒲州镇" and town.population == 13000


def test_files_that_are_not_layer_kinds_are_recorded_not_silently_skipped(tmp_path):
    roads = gpd.GeoDataFrame(
        {"road_class": ["lane"]}, geometry=[LineString([(110.3, 34.8), (110.31, 34.8)])], crs=4490
    )
    pyogrio.write_dataframe(roads, tmp_path / "roads.geojson")
    pyogrio.write_dataframe(roads, tmp_path / "buildings.geojson")
    town = tp.read_town(tmp_path)
    rep = town.repairs
    row = rep[rep.action == "ignored_layer"].iloc[0]
    assert row.layer == "buildings" and "buildings.geojson" in row.detail and "roads" in row.detail


def town_with_standing_repairs():
    """Roads with one class missing (width given) and a green layer with an empty and a bowtie row."""
    roads = gpd.GeoDataFrame(
        {"道路等级": ["主干路", None], "红线宽度": [24, 12]},
        geometry=[
            LineString([(110.30, 34.80), (110.31, 34.80)]),
            LineString([(110.30, 34.80), (110.30, 34.81)]),
        ],
        crs=4490,
        index=[10, 20],
    )
    bowtie = Polygon([(110.301, 34.801), (110.302, 34.802), (110.302, 34.801), (110.301, 34.802)])
    green = gpd.GeoDataFrame(
        {"类型": ["公园绿地", "公园绿地", "防护绿地"]},
        geometry=[box(110.301, 34.801, 110.302, 34.802), Polygon(), bowtie],
        crs=4490,
    )
    return tp.Town("蒲州镇", layers={"roads": roads, "green": green})


def repair_keys(town):
    return sorted((r.layer, r.action, tuple(r.rows)) for r in town.repairs.itertuples(index=False))


@pytest.mark.parametrize("target", ["town.gpkg", "town_folder"])
def test_round_trip_records_each_repair_once(tmp_path, target):
    town = town_with_standing_repairs()
    before = repair_keys(town)
    # what the town recorded: both the re-derivable state and the one-off changes
    assert ("roads", "filled_unknown", (20,)) in before
    assert ("green", "empty_geometry", (1,)) in before
    assert ("green", "make_valid", (2,)) in before
    tp.write_town(town, tmp_path / target)
    back = tp.read_town(tmp_path / target)
    # once each: the read re-derives filled_unknown and empty_geometry from the stored data and
    # the saved copies are not added again; renames and make_valid come from the saved history.
    assert repair_keys(back) == before
    again = tp.read_town(tmp_path / target)
    tp.write_town(again, tmp_path / ("2" + target))
    assert repair_keys(tp.read_town(tmp_path / ("2" + target))) == before


def test_saved_state_repair_dropped_once_the_data_is_fixed(tmp_path):
    tp.write_town(town_with_standing_repairs(), tmp_path / "town")
    # the planner fills the missing class in the stored roads file
    roads, _ = read_layer(tmp_path / "town" / "roads.gpkg")
    roads["road_class"] = ["arterial", "branch"]
    pyogrio.write_dataframe(roads, tmp_path / "town" / "roads.gpkg")
    back = tp.read_town(tmp_path / "town")
    actions = back.repairs["action"].tolist()
    assert "filled_unknown" not in actions  # the saved record is stale, not carried over
    assert actions.count("empty_geometry") == 1 and "renamed_columns" in actions


def test_utf8_field_name_cut_by_the_10_byte_limit_is_read_and_noted(tmp_path):
    roads = gpd.GeoDataFrame(
        {"道路等级": ["主干路"]}, geometry=[LineString([(110.3, 34.8), (110.31, 34.8)])], crs=4490
    )
    # GDAL cuts the 12-byte UTF-8 name to 10 bytes, inside 级 (and warns about it)
    with pytest.warns(RuntimeWarning):
        pyogrio.write_dataframe(roads, tmp_path / "roads.shp", encoding="UTF-8")
    gdf, info = read_layer(tmp_path / "roads.shp")
    assert list(gdf.columns) == ["道路等", "geometry"] and gdf["道路等"].tolist() == ["主干路"]
    assert info["encoding"] == "utf-8" and "10-byte limit" in info["note"]


def test_read_layer_refuses_a_folder_and_bad_encoding_names(tmp_path):
    with pytest.raises(tp.DataFileError, match="is a folder, not a layer file"):
        read_layer(tmp_path)
    path = tmp_path / "r.geojson"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=4546).to_file(path)
    with pytest.raises(tp.EncodingError, match="unknown text encoding 'klingon'"):
        read_layer(path, encoding="klingon")
    assert read_layer(path, encoding="utf-8")[0]["a"].tolist() == [1]


def test_bad_json_in_the_town_table_names_table_and_key(tmp_path):
    import sqlite3

    path = tp.write_town(small_town(), tmp_path / "t.gpkg")
    con = sqlite3.connect(path)
    con.execute("UPDATE townplan_town SET value = '{oops' WHERE key = 'statistics'")
    con.commit()
    con.close()
    with pytest.raises(tp.DataFileError, match="table 'townplan_town', key 'statistics'"):
        tp.read_town(path)


def test_gpkg_town_table_values_checked_like_town_toml(tmp_path):
    import sqlite3

    path = tp.write_town(small_town(), tmp_path / "t.gpkg")
    con = sqlite3.connect(path)
    con.execute("UPDATE townplan_town SET value = 'true' WHERE key = 'population'")
    con.commit()
    con.close()
    with pytest.raises(tp.DataFileError, match=r"t\.gpkg: population must be a number"):
        tp.read_town(path)


def test_gpkg_integrity_check_runs_once_per_file_version(tmp_path, monkeypatch):
    from townplan_gis.io import vector

    path = tp.write_town(small_town(), tmp_path / "t.gpkg")
    vector._gpkg_problem.cache_clear()
    tp.read_town(path)
    first = vector._gpkg_problem.cache_info()
    assert first.misses == 1 and first.hits >= 2  # the town table and each layer reuse it


def test_forced_encoding_with_cut_field_names_is_still_recorded(tmp_path):
    water = gpd.GeoDataFrame(
        {"水体描述": ["护城河"]}, geometry=[box(110.30, 34.80, 110.31, 34.81)], crs=4490
    )
    with pytest.warns(RuntimeWarning):
        pyogrio.write_dataframe(water, tmp_path / "water.shp", encoding="UTF-8")
    town = tp.read_town(tmp_path, encoding="utf-8")
    assert town.water["水体描"].tolist() == ["护城河"]
    rep = town.repairs
    (note,) = rep.loc[rep.action == "encoding", "detail"]
    assert note.startswith("water.shp: field names ['水体描'] were cut")
