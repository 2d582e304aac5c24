"""The Town container: CRS handling, repairs, immutability of the caller's data."""

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Polygon, box

import townplan_gis as tp
from townplan_gis.core.datafiles import load_toml

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


def test_with_layer_normalises_only_the_new_layer(monkeypatch):
    x, y = 436000, 3855000
    bowtie = Polygon([(x, y), (x + 10, y + 10), (x + 10, y), (x, y + 10)])
    green = gpd.GeoDataFrame({"绿地类型": ["公园"]}, geometry=[bowtie], crs=4546)
    town = tp.Town("t", layers={"roads": lonlat_roads(), "green": green}, population=100)
    kept = town.repairs
    calls = []
    real = tp.core.town.normalize_layer

    def counting(gdf, kind, **kwargs):
        calls.append(kind)
        return real(gdf, kind, **kwargs)

    monkeypatch.setattr(tp.core.town, "normalize_layer", counting)
    builtup = gpd.GeoDataFrame(
        {"名称": ["建成区"]}, geometry=[box(x, y, x + 1000, y + 2000)], crs=4546
    )
    town2 = town.with_layer("builtup", builtup)
    assert calls == ["builtup"]  # the roads and green layers were not normalised again
    assert town2.roads is town.roads and town2.green is town.green
    assert town2.builtup.crs == town.crs and town2.builtup["name"].tolist() == ["建成区"]
    assert town2.area_km2("builtup") == pytest.approx(2.0)  # 1 km × 2 km
    rep = town2.repairs
    # the other layers keep their repairs (rename, reprojection, make_valid), in their order
    pd.testing.assert_frame_equal(rep[rep.layer != "builtup"].reset_index(drop=True), kept)
    assert rep.loc[rep.layer == "builtup", "action"].tolist() == ["renamed_columns"]
    assert town2.population == 100 and town.layers.keys() == {"roads", "green"}


def test_with_layer_replacing_a_layer_drops_only_its_repairs():
    x, y = 436000, 3855000
    bowtie = Polygon([(x, y), (x + 10, y + 10), (x + 10, y), (x, y + 10)])
    green = gpd.GeoDataFrame({"green_class": ["G1"]}, geometry=[bowtie], crs=4546)
    town = tp.Town("t", layers={"roads": lonlat_roads(), "green": green})
    clean = gpd.GeoDataFrame({"green_class": ["G2"]}, geometry=[box(x, y, x + 1, y + 1)], crs=4546)
    town2 = town.with_layer("green", clean)
    assert "make_valid" in town.repairs["action"].tolist()
    assert town2.repairs["layer"].tolist() == ["roads"]  # the bow-tie's repair went with it
    assert town2.green["green_class"].tolist() == ["G2"]


def test_area_km2_computed_once_and_refreshed_for_a_new_frame(monkeypatch):
    x, y = 436000, 3855000
    builtup = gpd.GeoDataFrame(
        geometry=[box(x, y, x + 1000, y + 1000), box(x + 500, y, x + 1500, y + 1000)], crs=4546
    )
    town = tp.Town("t", layers={"builtup": builtup}, population=1000)
    assert town.area_km2("builtup") == pytest.approx(1.5)  # overlap counted once
    assert math.isnan(town.area_km2("boundary"))
    calls = []
    real = gpd.GeoSeries.union_all

    def counting(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(gpd.GeoSeries, "union_all", counting)
    assert town.area_km2("builtup") == pytest.approx(1.5)
    assert calls == []  # cached
    town.layers["builtup"] = town.builtup.iloc[:1]
    assert town.area_km2("builtup") == pytest.approx(1.0) and calls == [1]


def test_indicators_hand_over_the_built_up_area(monkeypatch):
    x, y = 436000, 3855000
    builtup = gpd.GeoDataFrame(geometry=[box(x, y, x + 2000, y + 1000)], crs=4546)
    town = tp.Town("t", layers={"builtup": builtup}, population=1000)
    ind = tp.town_indicators(town).set_index("key")
    assert ind.loc["built_up_area_km2", "value"] == pytest.approx(2.0)
    monkeypatch.setattr(
        gpd.GeoSeries, "union_all", lambda *a, **k: pytest.fail("built-up area dissolved again")
    )
    assert town.area_km2("builtup") == pytest.approx(2.0)


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
    assert set(town.control_lines.line_type) == {
        "red",
        "green",
        "purple",
        "blue",
        "yellow",
        "eco_redline",
        "farmland",
        "dev_boundary",
    }  # the five lines and 三区三线
    assert set(town.control_lines.zone.dropna()) == {"core", "control", "harmony"}
    assert 2.0 <= town.builtup.area.sum() / 1e6 <= 2.5
    # P08, the eco-park, is 80 亩 exactly (1 亩 = 10000/15 m²)
    eco = town.projects.set_index("project_id").geometry["P08"]
    assert eco.area / (10000 / 15) == pytest.approx(80.0, abs=1e-3)


def test_population_forms_accepted_and_refused():
    import numpy as np

    roads = lonlat_roads()
    assert tp.Town("t", layers={"roads": roads}, population="12,600").population == 12600.0
    assert tp.Town("t", layers={"roads": roads}, population=np.int64(900)).population == 900.0
    assert tp.Town("t", layers={"roads": roads}, population=None).population is None
    for bad in (True, np.bool_(True), float("inf"), -1, "many", [100], float("nan")):
        with pytest.raises(tp.DataFileError, match="population"):
            tp.Town("t", layers={"roads": roads}, population=bad)


def test_statistics_validation():
    roads = lonlat_roads()
    stats = pd.Series({"gas_coverage_pct": 55.0, "x_pct": "7"})
    town = tp.Town("t", layers={"roads": roads}, statistics=stats)
    assert town.statistics == {"gas_coverage_pct": 55.0, "x_pct": 7.0}  # unregistered kept
    cases = [
        ("x", "must be a table of numbers"),
        ({"gas_coverage_pct": True}, "Write 1 for yes and 0 for no"),
        ({"gas_coverage_pct": None}, "must be a number, got None"),
        ({"gas_coverage_pct": float("inf")}, "is not a finite number"),
        ({1: 5.0}, "keys must be names"),
        ({"greening_plan_adopted": 0.5}, "is a flag"),
        ({"scattered_homestead_approvals": -2}, "is a count"),
    ]
    for stats, needle in cases:
        with pytest.raises(tp.DataFileError, match=needle):
            tp.Town("t", layers={"roads": roads}, statistics=stats)
    # the growth rate may be negative or above 100 %
    growth = tp.Town("t", layers={"roads": roads}, statistics={"population_growth_pct": -3})
    assert growth.statistics == {"population_growth_pct": -3.0}


def test_name_metadata_and_crs_arguments_checked():
    roads = lonlat_roads()
    with pytest.raises(tp.DataFileError, match="non-empty text"):
        tp.Town("  ", layers={"roads": roads})
    with pytest.raises(tp.DataFileError, match="metadata must be a table"):
        tp.Town("t", layers={"roads": roads}, metadata=["a"])
    with pytest.raises(tp.CRSError, match="assume_crs 'EPSG:99999' is not a coordinate reference"):
        tp.Town("t", layers={"roads": roads}, assume_crs="EPSG:99999")
    with pytest.raises(tp.CRSError, match="crs True is not"):
        tp.Town("t", layers={"roads": roads}, crs=True)
    assert tp.Town("t", layers={"roads": roads}, crs=4546).crs.to_epsg() == 4546


# --- absent_line_types: control-line types the town has none of -------------------------------------------
def _lines(line_type="red"):
    return gpd.GeoDataFrame(
        {"line_type": [line_type], "name": ["L"]},
        geometry=[box(500_000, 3_850_000, 500_100, 3_850_100)],
        crs="EPSG:4546",
    )


def test_absent_line_types_validated_and_canonical():
    town = tp.Town("t", layers={"control_lines": _lines()}, absent_line_types=["黄线", "purple"])
    assert town.absent_line_types == ["purple", "yellow"]  # LINE_TYPES order, canonical
    assert tp.Town("t", layers={"control_lines": _lines()}).absent_line_types == []
    with pytest.raises(
        tp.DataFileError, match=r"absent_line_types: unknown line type\(s\) \['pink'\]"
    ):
        tp.Town("t", absent_line_types=["pink"])
    with pytest.raises(tp.DataFileError, match="must be a list of line types"):
        tp.Town("t", absent_line_types=5)


def test_absent_line_type_present_in_the_lines_is_an_error():
    with pytest.raises(tp.DataFileError, match=r"\['red'\] are declared absent .* rows \[0\]"):
        tp.Town("t", layers={"control_lines": _lines("red")}, absent_line_types=["red"])
    town = tp.Town("t", layers={"control_lines": _lines("green")}, absent_line_types=["red"])
    with pytest.raises(tp.DataFileError, match="declared absent"):
        town.with_layer("control_lines", _lines("red"))
    assert town.with_layer("control_lines", _lines("blue")).absent_line_types == ["red"]


@pytest.mark.parametrize("target", ["t.gpkg", "folder"])
def test_absent_line_types_kept_through_write_and_read(tmp_path, target):
    town = tp.Town("t", layers={"control_lines": _lines()}, absent_line_types=["purple"])
    path = tp.write_town(town, tmp_path / target)
    assert tp.read_town(path).absent_line_types == ["purple"]
    if target == "folder":
        saved = load_toml(path / "town.toml")
        assert saved["absent_line_types"] == ["purple"]
        # Written by hand in town.toml, a misspelt type is refused with the accepted ones.
        (path / "town.toml").write_text('absent_line_types = ["puple"]\n', encoding="utf-8")
        with pytest.raises(tp.DataFileError, match=r"\['puple'\]. Accepted: \['red'"):
            tp.read_town(path)
