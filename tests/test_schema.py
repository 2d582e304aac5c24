"""Alias mapping, value domains and every schema error path."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, MultiPoint, Point, Polygon, box

import townplan_gis as tp
from townplan_gis.core.errors import MissingValueError
from townplan_gis.core.schema import layer_kind, normalize_layer, rename_columns

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


def test_missing_vocabulary_value_is_reported_as_missing_not_unknown():
    gdf = gpd.GeoDataFrame(
        {"road_class": ["arterial", float("nan"), "  ", "高速公路"]},
        geometry=[LineString([(0, i), (100, i)]) for i in range(4)],
        crs=CRS,
        index=[10, 11, 12, 13],
    )
    with pytest.raises(MissingValueError) as err:
        normalize_layer(gdf, "roads")
    msg = str(err.value)
    assert err.value.rows == [11, 12]  # NaN and blank text are both missing values
    assert "missing value(s) in rows [11, 12]" in msg
    assert "nan" not in msg.lower().split("also")[0]  # never "unknown value [nan]"
    assert (
        "Fix: fill these rows with one of ['arterial', 'branch', 'expressway', 'lane', 'secondary']"
        in msg
    )
    assert "redline_width_m" in msg  # the other way out for a road
    # the truly unknown value is reported on its own
    assert err.value.values == ["高速公路"] and err.value.unknown_rows == [13]
    assert "unknown value(s) ['高速公路'] in rows [13]" in msg
    assert isinstance(err.value, tp.UnknownValueError)  # callers catching that keep working


def test_missing_value_error_is_public_in_the_error_family():
    from townplan_gis.core import errors
    from townplan_gis.core.schema import values

    assert tp.MissingValueError is errors.MissingValueError is values.MissingValueError
    assert "MissingValueError" in tp.__all__ and "MissingValueError" in errors.__all__
    assert issubclass(MissingValueError, tp.UnknownValueError)
    assert issubclass(MissingValueError, tp.TownPlanError)
    err = MissingValueError(
        "roads",
        "road_class",
        rows=list(range(12)),
        accepted=["lane", "arterial"],
        stand_in="redline_width_m",
    )
    assert (err.layer, err.column, err.values, err.unknown_rows) == ("roads", "road_class", [], [])
    assert str(err) == (
        "layer 'roads', column 'road_class': missing value(s) in rows "
        "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9 … and 2 more]; the column is required (it may be empty "
        "only where 'redline_width_m' is given). Fix: fill these rows with one of "
        "['arterial', 'lane'] (Chinese aliases are accepted too, see "
        "townplan_gis/data/aliases.toml), or give these rows a 'redline_width_m'."
    )


def test_missing_green_class_names_rows_and_fix():
    gdf = gpd.GeoDataFrame(
        {"green_class": [None, "G1"]}, geometry=[box(0, 0, 1, 1), box(2, 0, 3, 1)], crs=CRS
    )
    with pytest.raises(MissingValueError, match=r"'green_class': missing value\(s\) in rows \[0\]"):
        normalize_layer(gdf, "green")


def test_road_without_class_column_accepted_when_widths_given():
    gdf = roads(红线宽度=["24m", 12.0], 名称=["西厢大街", "南巷"])
    out, repairs = normalize_layer(gdf, "roads")
    assert out["road_class"].tolist() == [None, None]
    assert out["redline_width_m"].tolist() == [24.0, 12.0]
    filled = [r for r in repairs if r.action == "filled_unknown"]
    assert len(filled) == 1 and filled[0].layer == "roads" and filled[0].rows == [0, 1]
    assert "road_class" in filled[0].detail and "道路等级" in filled[0].detail


def test_road_class_may_be_empty_only_where_the_width_is_given():
    ok = roads(road_class=["arterial", None], redline_width_m=[None, 10.0])
    out, repairs = normalize_layer(ok, "roads")
    assert out["road_class"].tolist() == ["arterial", None]
    assert [(r.action, r.rows) for r in repairs] == [("filled_unknown", [1])]
    bad = roads(road_class=[None, "branch"], redline_width_m=[None, None])
    with pytest.raises(MissingValueError, match=r"rows \[0\]"):
        normalize_layer(bad, "roads")


def test_road_without_class_column_and_a_width_missing_is_refused():
    gdf = roads(redline_width_m=[24.0, None])
    with pytest.raises(tp.MissingColumnError) as err:
        normalize_layer(gdf, "roads")
    msg = str(err.value)
    assert "'road_class' is missing" in msg and "道路等级" in msg
    # the columns the planner gave, not the ones normalize_layer adds
    assert "Columns present: ['redline_width_m']" in msg


def test_road_area_indicator_works_without_road_class():
    from townplan_gis.indicators import road_area_m2

    gdf = roads(redline_width_m=[20.0, 10.0])
    out, _ = normalize_layer(gdf, "roads")
    # Flat ends: [0, 100] × [-10, 10] (2000 m²) and [-5, 5] × [0, 100] (1000 m²) overlap on
    # [0, 5] × [0, 10] (50 m²), counted once.
    assert road_area_m2(out) == pytest.approx(2000.0 + 1000.0 - 50.0)


def test_rename_columns_is_public_and_pure():
    gdf = roads(道路等级=["主干路", "巷路"], ROAD_CLASS=["x", "y"])
    before = gdf.copy()
    renames, canonical = rename_columns(gdf.drop(columns="ROAD_CLASS"), "roads")
    assert renames == {"道路等级": "road_class"} and "redline_width_m" in canonical
    pd.testing.assert_frame_equal(gdf, before)


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
    assert "missing value(s)" in str(err.value)
    accepted = str(err.value).split("one of ")[1]
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


def test_collection_whose_first_row_has_no_polygon_part():
    # keep_dimension used to raise "Index 0 is missing" when the first collection had no part of
    # the dimension kept.
    lines_only = GeometryCollection([LineString([(0, 0), (5, 0)])])
    square = GeometryCollection([box(0, 0, 10, 10)])
    gdf = gpd.GeoDataFrame({"green_class": ["G1", "G2"]}, geometry=[lines_only, square], crs=CRS)
    out, repairs = normalize_layer(gdf, "green")
    assert out.geometry.iloc[0].is_empty and out.geometry.iloc[0].geom_type == "Polygon"
    assert out.geometry.iloc[1].area == pytest.approx(100.0)
    (rep,) = repairs
    assert rep.rows == [0, 1]
    assert "row 0: no allowed part, kept as empty, dropped 1 LineString" in rep.detail


def test_collections_in_multi_type_layer_reduced_and_recorded():
    # canopy allows polygons and points: a collection keeps its polygons (the highest dimension
    # present), one without a polygon keeps its points; lines are never allowed.
    crowns = GeometryCollection(
        [box(0, 0, 4, 4), box(10, 0, 13, 3), LineString([(0, 0), (9, 9)]), Point(20, 20)]
    )
    trees = GeometryCollection([MultiPoint([(0, 0), (5, 5)]), LineString([(0, 0), (1, 1)])])
    gdf = gpd.GeoDataFrame(
        {"crown_diameter_m": [None, 4.0, 5.0]},
        geometry=[crowns, Point(1, 1), trees],
        crs=CRS,
        index=["a", "b", "c"],
    )
    out, repairs = normalize_layer(gdf, "canopy")
    assert out.geometry.loc["a"].geom_type == "MultiPolygon"
    assert out.geometry.loc["a"].area == pytest.approx(16.0 + 9.0)
    assert out.geometry.loc["b"].equals(Point(1, 1))  # not a collection: untouched
    assert out.geometry.loc["c"].geom_type == "MultiPoint"
    assert len(shapely.get_parts(out.geometry.loc["c"])) == 2
    (rep,) = [r for r in repairs if r.action == "extracted_parts"]
    assert rep.layer == "canopy" and rep.rows == ["a", "c"]
    assert "row a: kept Polygons, dropped 1 Point, 1 LineString" in rep.detail
    assert "row c: kept Points, dropped 1 LineString" in rep.detail
    assert not (out.geom_type == "GeometryCollection").any()
    assert gdf.geometry.loc["a"].geom_type == "GeometryCollection"  # caller's frame unchanged


def test_collection_in_projects_layer_is_kept_whole():
    # A project that is a site plus its road: the review checks every part (none is dropped).
    road_works = GeometryCollection([LineString([(0, 0), (30, 40)]), Point(100, 100)])
    gdf = gpd.GeoDataFrame({"project_type": ["road"]}, geometry=[road_works], crs=CRS)
    out, repairs = normalize_layer(gdf, "projects")
    assert out.geometry.iloc[0].equals(road_works)
    assert [r.action for r in repairs] == []


def test_width_bounds_are_exact():
    from townplan_gis.core.schema import MAX_ROAD_WIDTH_M

    assert MAX_ROAD_WIDTH_M == 200.0
    ok, _ = normalize_layer(
        roads(road_class=["lane", "lane"], redline_width_m=[0.5, 200.0]), "roads"
    )
    assert ok["redline_width_m"].tolist() == [0.5, 200.0]
    with pytest.raises(tp.SchemaError) as err:
        normalize_layer(roads(road_class=["lane", "lane"], redline_width_m=[12.0, 200.5]), "roads")
    assert str(err.value).startswith(
        "layer 'roads', column 'redline_width_m': value(s) [200.5] in rows [1] are out of range: "
        "Red-line width must be a finite number > 0 m and ≤ 200 m. Fix: correct these values (a "
        "value above 200 m is a typo or a unit error, e.g. centimetres typed as metres)"
    )


def test_overflowing_number_text_is_infinite_and_refused():
    gdf = roads(road_class=["lane", "lane"], 车行道宽度=["6m", "1e400"])
    with pytest.raises(
        tp.SchemaError, match=r"column '车行道宽度' \(read as 'carriageway_width_m'"
    ):
        normalize_layer(gdf, "roads")


def test_empty_widths_stay_missing_not_refused():
    out, _ = normalize_layer(
        roads(road_class=["lane", "lane"], redline_width_m=[None, 6.0]), "roads"
    )
    assert out["redline_width_m"].isna().tolist() == [True, False]


def test_alias_candidates_tie_goes_to_the_alias_order():
    # 类型 comes before type in the alias table; both hold green classes
    gdf = gpd.GeoDataFrame(
        {"type": ["G2"], "类型": ["公园绿地"]}, geometry=[box(0, 0, 1, 1)], crs=CRS
    )
    out, repairs = normalize_layer(gdf, "green")
    assert out["green_class"].tolist() == ["G1"] and out["type"].tolist() == ["G2"]
    assert [r.detail for r in repairs if r.action == "renamed_columns"] == ["类型→green_class"]


def test_alias_candidate_with_more_known_values_wins():
    gdf = gpd.GeoDataFrame(
        {"类型": ["building", "polygon"], "类别": ["建筑", "道路"]},
        geometry=[box(0, 0, 1, 1), box(2, 0, 3, 1)],
        crs=CRS,
    )
    renames, _ = rename_columns(gdf, "projects")
    assert renames["类别"] == "project_type" and "类型" not in renames


def test_rename_repairs_is_one_record_per_layer():
    from townplan_gis.core.schema import rename_repairs

    assert rename_repairs("roads", {}) == []
    (rep,) = rename_repairs("roads", {"道路等级": "road_class", "红线宽度": "redline_width_m"})
    assert (rep.layer, rep.action, rep.rows) == ("roads", "renamed_columns", [])
    assert rep.detail == "道路等级→road_class, 红线宽度→redline_width_m"


def test_duplicate_ids_after_number_ids_are_text():
    gdf = gpd.GeoDataFrame(
        {"project_id": [1001.0, 1001.0, None, None], "project_type": ["road"] * 4},
        geometry=[box(i, 0, i + 0.5, 1) for i in range(4)],
        crs=CRS,
    )
    out, repairs = normalize_layer(gdf, "projects")
    (dup,) = [r for r in repairs if r.action == "duplicate_ids"]
    # rows 2 and 3 have no id: missing ids are not duplicates
    assert dup.rows == [0, 1] and "'1001' (rows 0, 1)" in dup.detail
    assert out["project_id"].tolist()[:2] == ["1001", "1001"] and out["project_id"][2:].isna().all()


def test_text_columns_become_str_or_none_and_whole_floats_integers():
    import numpy as np

    from townplan_gis.core.schema.values import _as_text

    assert _as_text(pd.Series(["a", None, np.nan], dtype=object)).tolist() == ["a", None, None]
    arrow = _as_text(pd.Series(["x", None], dtype="string"))
    assert arrow.dtype == object and arrow.tolist() == ["x", None]
    assert _as_text(pd.Series([12.0, 2.5], dtype=object)).tolist() == ["12", "2.5"]
    assert _as_text(pd.Series(["A", 7], dtype=object)).tolist() == ["A", "7"]
