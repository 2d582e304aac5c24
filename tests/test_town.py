"""The Town container: CRS handling, repairs, immutability of the caller's data."""

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Polygon, box

import townplan_gis as tp

LONLAT = "EPSG:4490"


def lonlat_roads():
    return gpd.GeoDataFrame(
        {"road_class": ["arterial"]},
        geometry=[LineString([(110.30, 34.80), (110.31, 34.80)])],
        crs=LONLAT,
    )


def test_layers_are_reprojected_to_gk_zone_and_caller_untouched():
    roads = lonlat_roads()
    town = tp.Town("t", layers={"roads": roads})
    assert town.crs.to_epsg() == 4546
    assert town.roads.crs.to_epsg() == 4546
    assert roads.crs.to_epsg() == 4490  # caller's frame unchanged
    # 0.01° of longitude at 34.8° N ≈ 914.5 m on the CGCS2000 ellipsoid
    assert town.roads.length.iloc[0] == pytest.approx(914.5, abs=1.0)
    assert "reprojected" in town.repairs["action"].tolist()


def test_missing_crs_refused_with_fix():
    roads = lonlat_roads().set_crs(None, allow_override=True)
    with pytest.raises(tp.CRSError, match="assume_crs"):
        tp.Town("t", layers={"roads": roads})
    town = tp.Town("t", layers={"roads": roads}, assume_crs=LONLAT)
    assert town.crs.to_epsg() == 4546
    rep = town.repairs
    assert rep.loc[rep.action == "assumed_crs", "layer"].tolist() == ["roads"]


def test_invalid_geometry_repaired_and_recorded():
    x, y = 436000, 3855000  # inside EPSG:4546's zone, so the analysis CRS is the data's own
    bowtie = Polygon([(x, y), (x + 10, y + 10), (x + 10, y), (x, y + 10)])
    green = gpd.GeoDataFrame(
        {"green_class": ["G1", "G1"]},
        geometry=[box(x + 20, y, x + 30, y + 10), bowtie],
        crs=4546,
        index=[7, 9],
    )
    town = tp.Town("t", layers={"green": green})
    assert town.green.is_valid.all()
    # a bow-tie is two triangles of 25 m² each
    assert town.green.area.loc[9] == pytest.approx(50.0)
    rep = town.repairs
    row = rep[rep.action == "make_valid"].iloc[0]
    assert row.layer == "green" and row.rows == [9] and "Self-intersection" in row.detail
    assert not green.geometry.loc[[9]].is_valid.any()  # caller's frame unchanged


def test_empty_geometry_reported_not_dropped():
    green = gpd.GeoDataFrame(
        {"green_class": ["G1", "G2"]},
        geometry=[box(436000, 3855000, 436001, 3855001), None],
        crs=4546,
    )
    town = tp.Town("t", layers={"green": green})
    assert len(town.green) == 2
    rep = town.repairs
    assert rep.loc[rep.action == "empty_geometry", "rows"].iloc[0] == [1]


def test_missing_layer_message_and_has():
    town = tp.Town("t", layers={"roads": lonlat_roads()})
    assert town.has("roads") and not town.has("green")
    with pytest.raises(tp.MissingLayerError, match="no 'green' layer"):
        _ = town.green
    assert len(town.layer("green", empty_ok=True)) == 0


def test_unknown_kind_and_bad_population():
    with pytest.raises(tp.MissingLayerError, match="Accepted kinds"):
        tp.Town("t", layers={"buildings": lonlat_roads()})
    with pytest.raises(tp.DataFileError, match="population"):
        tp.Town("t", layers={"roads": lonlat_roads()}, population="many")
    with pytest.raises(tp.DataFileError, match="percentage"):
        tp.Town("t", layers={"roads": lonlat_roads()}, statistics={"gas_coverage_pct": 160})


def test_with_layer_returns_new_town():
    town = tp.Town("t", layers={"roads": lonlat_roads()})
    green = gpd.GeoDataFrame(
        {"green_class": ["G1"]}, geometry=[box(436000, 3852000, 436100, 3852100)], crs=4546
    )
    town2 = town.with_layer("green", green)
    assert town2.has("green") and not town.has("green")
    assert town2.crs == town.crs


def test_summary_and_repr():
    town = tp.Town("蒲州镇", layers={"roads": lonlat_roads()}, population=12600)
    s = town.summary()
    assert (
        s.loc[0, "layer"] == "roads"
        and s.loc[0, "features"] == 1
        and s.loc[0, "crs"] == "EPSG:4546"
    )
    assert "12,600" in repr(town) and "roads=1" in repr(town)


def test_sample_town_is_illustrative_and_complete():
    town = tp.sample_town()
    assert town.name == "蒲州镇"
    assert town.metadata["illustrative"] is True
    assert {"builtup", "roads", "green", "control_lines", "projects"} <= set(town.layers)
    assert set(town.control_lines.line_type) == {"red", "green", "purple", "blue", "yellow"}
    assert set(town.control_lines.zone.dropna()) == {"core", "control", "harmony"}
    assert 2.0 <= town.builtup.area.sum() / 1e6 <= 2.5
    # P08, the eco-park, is 80 亩 exactly (1 亩 = 10000/15 m²)
    eco = town.projects.set_index("project_id").geometry["P08"]
    assert eco.area / (10000 / 15) == pytest.approx(80.0, abs=1e-3)
