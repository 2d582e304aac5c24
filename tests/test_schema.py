"""Alias mapping, value domains and every schema error path."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import GeometryCollection, LineString, Point, Polygon, box

import townplan_gis as tp
from townplan_gis.schema import layer_kind, normalize_layer

CRS = "EPSG:4546"


def roads(**cols):
    geoms = [LineString([(0, 0), (100, 0)]), LineString([(0, 0), (0, 100)])]
    return gpd.GeoDataFrame(cols, geometry=geoms[: len(next(iter(cols.values())))], crs=CRS)


def test_chinese_columns_and_values_are_mapped():
    gdf = roads(
        道路等级=["主干路", "巷路"],
        红线宽度=["24m", "6米"],
        路面=["沥青", "土路"],
        路灯=["是", "否"],
        名称=["西厢大街", "南巷"],
    )
    out, repairs = normalize_layer(gdf, "roads")
    assert out["road_class"].tolist() == ["arterial", "lane"]
    assert out["redline_width_m"].tolist() == [24.0, 6.0]
    assert out["surface"].tolist() == ["paved", "unpaved"]
    assert out["lit"].tolist() == [True, False]
    assert out["name"].tolist() == ["西厢大街", "南巷"]
    assert repairs[0].action == "renamed_columns" and "道路等级→road_class" in repairs[0].detail


def test_caller_frame_is_not_modified():
    gdf = roads(道路等级=["主干路", "支路"])
    before = gdf.copy()
    normalize_layer(gdf, "roads")
    pd.testing.assert_frame_equal(gdf, before)


def test_extra_columns_kept_missing_optional_added_geometry_last():
    gdf = roads(road_class=["branch", "secondary"], 备注=["a", "b"])
    out, _ = normalize_layer(gdf, "roads")
    assert out["备注"].tolist() == ["a", "b"]
    assert out["carriageway_width_m"].isna().all()
    assert out.columns[-1] == "geometry"


def test_english_case_and_space_insensitive():
    gdf = roads(ROAD_CLASS=[" Main ", "Alley"])
    out, _ = normalize_layer(gdf, "roads")
    assert out["road_class"].tolist() == ["arterial", "lane"]


def test_same_alias_means_different_columns_per_layer():
    pts = [Point(0, 0)]
    fac, _ = normalize_layer(
        gpd.GeoDataFrame({"类型": ["公厕"]}, geometry=pts, crs=CRS), "facilities"
    )
    lines, _ = normalize_layer(
        gpd.GeoDataFrame({"类型": ["紫线"]}, geometry=[box(0, 0, 1, 1)], crs=CRS), "control_lines"
    )
    assert fac["facility_type"].tolist() == ["public_toilet"]
    assert lines["line_type"].tolist() == ["purple"]


def test_unknown_value_names_layer_column_rows_and_accepted():
    gdf = roads(道路等级=["主干路", "高速公路"])
    with pytest.raises(tp.UnknownValueError) as err:
        normalize_layer(gdf, "roads")
    msg = str(err.value)
    assert "'roads'" in msg and "'road_class'" in msg and "高速公路" in msg and "[1]" in msg
    assert "arterial" in msg and "lane" in msg
    assert isinstance(err.value, tp.TownPlanError)


def test_required_value_missing_is_an_error():
    gdf = roads(road_class=["arterial", None])
    with pytest.raises(tp.UnknownValueError, match=r"rows \[1\]"):
        normalize_layer(gdf, "roads")


def test_missing_required_column_lists_aliases():
    gdf = roads(名称=["a", "b"])
    with pytest.raises(tp.MissingColumnError) as err:
        normalize_layer(gdf, "roads")
    msg = str(err.value)
    assert (
        "road_class" in msg and "道路等级" in msg and "名称" not in msg.split("Columns present")[0]
    )


def test_non_numeric_width_is_an_error():
    gdf = roads(road_class=["arterial", "branch"], redline_width_m=["24", "wide"])
    with pytest.raises(tp.SchemaError, match=r"redline_width_m.*wide.*\[1\]"):
        normalize_layer(gdf, "roads")


def test_empty_layer_error_and_allow_empty():
    gdf = gpd.GeoDataFrame({"road_class": []}, geometry=[], crs=CRS)
    with pytest.raises(tp.EmptyLayerError, match="allow_empty=True"):
        normalize_layer(gdf, "roads")
    out, _ = normalize_layer(gdf, "roads", allow_empty=True)
    assert len(out) == 0


def test_wrong_geometry_type_is_an_error():
    gdf = gpd.GeoDataFrame(
        {"green_class": ["G1"]}, geometry=[LineString([(0, 0), (1, 1)])], crs=CRS
    )
    with pytest.raises(tp.GeometryTypeError, match="LineString"):
        normalize_layer(gdf, "green")


def test_closed_cad_polylines_become_polygons_and_are_recorded():
    ring = LineString([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)])
    gdf = gpd.GeoDataFrame({"green_class": ["G1"]}, geometry=[ring], crs=CRS)
    out, repairs = normalize_layer(gdf, "green")
    assert out.geometry.iloc[0].geom_type == "Polygon"
    assert out.geometry.iloc[0].area == pytest.approx(100.0)
    assert [r.action for r in repairs] == ["polygonized"] and repairs[0].rows == [0]


def test_z_dropped_and_recorded():
    gdf = gpd.GeoDataFrame(
        {"green_class": ["G2"]}, geometry=[Polygon([(0, 0, 5), (1, 0, 5), (1, 1, 5)])], crs=CRS
    )
    out, repairs = normalize_layer(gdf, "green")
    assert not out.geometry.has_z.any()
    assert "dropped_z" in [r.action for r in repairs]


def test_layer_kind_aliases():
    assert layer_kind("道路") == "roads"
    assert layer_kind("五线") == "control_lines"
    assert layer_kind("Roads") == "roads"
    assert layer_kind("buildings") is None


def test_gpkg_boolean_as_integer_is_understood():
    gdf = roads(road_class=["arterial", "branch"], lit=[1.0, float("nan")])
    out, _ = normalize_layer(gdf, "roads")
    assert out["lit"].dtype == "boolean"
    assert out["lit"].iloc[0] == True  # noqa: E712 (pandas' nullable boolean, not a Python bool)
    assert pd.isna(out["lit"].iloc[1])


def test_missing_free_text_value_lists_each_accepted_value_once():
    gdf = gpd.GeoDataFrame(
        {"facility_type": ["school", None]}, geometry=[Point(0, 0), Point(1, 1)], crs=CRS
    )
    with pytest.raises(tp.UnknownValueError, match=r"rows \[1\]") as err:
        normalize_layer(gdf, "facilities")
    accepted = str(err.value).split("Accepted values: ")[1]
    # every canonical facility type once, not once per alias
    assert accepted.count("'school'") == 1 and accepted.count("'clinic'") == 1


def test_geometry_collection_reduced_to_its_polygon_parts():
    mixed = GeometryCollection([box(0, 0, 10, 10), LineString([(20, 0), (30, 0)])])
    gdf = gpd.GeoDataFrame(
        {"green_class": ["G1", "G2"]}, geometry=[box(0, 0, 1, 1), mixed], crs=CRS
    )
    out, repairs = normalize_layer(gdf, "green")
    assert out.geometry.iloc[1].geom_type == "MultiPolygon"
    assert out.geometry.iloc[1].area == pytest.approx(100.0)  # the 10 m × 10 m square only
    assert [(r.action, r.rows) for r in repairs] == [("extracted_parts", [1])]
    assert gdf.geometry.iloc[1].geom_type == "GeometryCollection"  # caller's frame unchanged
