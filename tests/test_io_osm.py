"""tp.read_osm: a Town from an OpenStreetMap extract drawn in the test (tests/osm_helpers.py).

The extract has ways crossing its bounds, a multipolygon relation with an island, administrative
boundary relations, Chinese names in name and name:zh, and a feature of every kind the mapping
skips. Every expected class, width and count below is read off the drawing by hand; the road
density is checked against an independent computation straight from the XML.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from osm_helpers import BOUNDS, OSMBuilder, rect, town_extract

import townplan_gis as tp
from townplan_gis.core.errors import DataFileError
from townplan_gis.io import read_osm
from townplan_gis.io.osm_read import parse_other_tags, read_bounds
from townplan_gis.io.osm_roads import parse_width_m

# The town boundary drawn in osm_helpers (admin_level 8), cut to the bounds at 110.33 E.
REGION = shapely.intersection(shapely.box(110.301, 34.8005, 110.332, 34.8195), shapely.box(*BOUNDS))
BUILTUP_LONLAT = shapely.Polygon(rect(110.303, 34.803, 110.3265, 34.8175))


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    b, ids = town_extract()
    path = b.write(tmp_path_factory.mktemp("osm") / "town.osm")
    return b, ids, path


@pytest.fixture(scope="module")
def builtup_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bu") / "builtup.geojson"
    gpd.GeoDataFrame({"名称": ["建成区"]}, geometry=[BUILTUP_LONLAT], crs="EPSG:4326").to_file(path)
    return path


@pytest.fixture(scope="module")
def town(extract, builtup_file):
    return read_osm(extract[2], boundary="蒲州镇", builtup=builtup_file)


def _ref(kind, i):
    return f"{kind}/{i}"


def _repairs(town, layer, action=None):
    r = town.repairs
    r = r[r["layer"] == layer]
    return r if action is None else r[r["action"] == action]


# --- the layers and their classes ------------------------------------------------------------------
def test_roads_classes_widths_surfaces_and_lighting(town, extract):
    _, ids, _ = extract
    roads = town.roads.set_index("osm_ref")
    expected = {
        "primary": ("arterial", 14.0, "paved", True),  # 4 lanes × 3.5 m
        "secondary": ("secondary", 12.0, "paved", None),  # width "12 m"
        "tertiary": ("branch", 9.5, None, None),  # width "9,5"; no surface tag
        "residential": ("branch", None, "unpaved", False),  # compacted
        "unclassified": ("branch", None, "unpaved", None),  # grass; width "wide" unreadable
        "living_street": ("lane", None, "paved", None),  # paving_stones;asphalt: both paved
        "service": ("lane", None, None, None),  # alley; tartan is no road surface
        "trunk_link": ("arterial", None, None, None),  # a link takes its parent's class
        "motorway": ("expressway", 15.0, None, None),  # 4 lanes × 3.75 m
    }
    assert sorted(roads.index) == sorted(_ref("way", ids[k]) for k in expected)
    for key, (cls, width, surface, lit) in expected.items():
        row = roads.loc[_ref("way", ids[key])]
        assert row["road_class"] == cls, key
        assert (
            math.isnan(row["carriageway_width_m"])
            if width is None
            else row["carriageway_width_m"] == pytest.approx(width)
        ), key
        assert row["surface"] == surface, key
        assert pd.isna(row["lit"]) if lit is None else row["lit"] == lit, key
        assert math.isnan(row["redline_width_m"])  # OSM has no red lines
    # Names: name:zh first (普救路, not "Pujiu Road"), else name.
    assert roads.loc[_ref("way", ids["secondary"]), "name"] == "普救路"
    assert roads.loc[_ref("way", ids["primary"]), "name"] == "西厢大街"


def test_ways_crossing_the_bounds_are_cut_to_the_boundary_within_them(town, extract):
    _, ids, _ = extract
    roads = town.roads.to_crs("EPSG:4326").set_index("osm_ref")
    # The motorway runs 110.295–110.335: cut to the boundary's west edge and the bounds' east edge.
    w, _, e, _ = roads.loc[_ref("way", ids["motorway"])].geometry.bounds
    assert w == pytest.approx(110.301, abs=1e-9) and e == pytest.approx(110.33, abs=1e-9)
    # The primary starts west of the bounds (110.295): it now starts at the boundary (110.301).
    assert roads.loc[_ref("way", ids["primary"])].geometry.bounds[0] == pytest.approx(
        110.301, abs=1e-9
    )
    cut = _repairs(town, "roads", "osm_clipped")
    assert len(cut) == 1 and cut["count"].iloc[0] == 2  # motorway and primary
    # A road wholly outside is not in the layer, and counted as skipped.
    assert _ref("way", ids["outside_road"]) not in roads.index
    skipped = _repairs(town, "roads", "osm_skipped")["detail"]
    assert skipped.str.contains(
        f"outside the boundary within the extract's bounds \\(way/{ids['outside_road']}\\)"
    ).any()
    # The boundary itself is cut at the bounds (it reached past 110.33), and recorded.
    b = town.boundary.to_crs("EPSG:4326").geometry.iloc[0]
    assert b.bounds[2] == pytest.approx(110.33, abs=1e-9)
    assert len(_repairs(town, "boundary", "osm_boundary_cut")) == 1


def test_green_water_heritage_facilities_lights_quarters(town, extract):
    _, ids, _ = extract
    green = town.green.set_index("osm_ref")
    assert green["green_class"].to_dict() == {
        _ref("way", ids["park"]): "G1",
        _ref("way", ids["grass"]): "XG",
    }
    assert green.loc[_ref("way", ids["park"]), "name"] == "铁牛公园"
    water = town.water.set_index("osm_ref")
    assert set(water.index) == {_ref("relation", ids["lake"]), _ref("way", ids["river"])}
    lake = water.loc[_ref("relation", ids["lake"])].geometry
    assert (
        len(lake.interiors if lake.geom_type == "Polygon" else lake.geoms[0].interiors) == 1
    )  # the island
    # The river: a 20 m band (no width tag), cut at the boundary's north edge (34.8195).
    river = water.loc[_ref("way", ids["river"])].geometry
    length_m = pyproj.Geod(ellps="GRS80").inv(110.3275, 34.805, 110.3275, 34.8195)[2]
    assert river.area == pytest.approx(20 * length_m, rel=1e-3)
    heritage = town.heritage.set_index("osm_ref")
    assert sorted(heritage.index) == sorted(
        [_ref("way", ids["ruins"]), _ref("node", ids["temple"])]
    )
    assert heritage.loc[_ref("way", ids["ruins"]), "grade"] == "全国重点文物保护单位"
    assert pd.isna(heritage.loc[_ref("node", ids["temple"]), "grade"])  # no level, no title
    fac = town.facilities.set_index("osm_ref")["facility_type"].to_dict()
    assert fac == {
        _ref("node", ids["market"]): "market",
        _ref("node", ids["toilets"]): "public_toilet",
        _ref("node", ids["shop"]): "other",
        _ref("way", ids["school"]): "school",
    }
    assert sorted(town.streetlights["osm_ref"]) == sorted(_ref("node", i) for i in ids["lamps"])
    assert town.residential["name"].tolist() == ["西厢苑"]
    assert town.residential["households"].isna().all()


def test_every_layer_counts_read_as_kept_plus_skipped(town):
    expected = {
        # 14 highway ways: 9 kept; footway, construction, highway=road, parking aisle, one outside.
        "roads": (14, 9, 5),
        "green": (4, 2, 2),  # park node (no area), farmland
        "water": (3, 2, 1),  # the dam
        "heritage": (3, 2, 1),  # city walls drawn as a line
        "facilities": (6, 4, 2),  # bus stop, a toilet outside the boundary
        "streetlights": (5, 5, 0),
        "residential": (2, 1, 1),  # the unnamed neighbourhood
    }
    for layer, (read, kept, skipped) in expected.items():
        counts = _repairs(town, layer, "osm_counts")["detail"]
        assert len(counts) == 1, layer
        assert counts.iloc[0].startswith(
            f"{read} OSM feature(s) read = {kept} kept + {skipped} skipped"
        ), counts.iloc[0]
        assert len(town.layers[layer]) == kept, layer
        n_skipped = (
            _repairs(town, layer, "osm_skipped")["detail"].str.extract(r"^(\d+) OSM")[0].astype(int)
        )
        assert n_skipped.sum() == skipped, layer


def test_every_kept_feature_has_its_mapping_recorded(town):
    for layer in (
        "roads",
        "green",
        "water",
        "heritage",
        "facilities",
        "streetlights",
        "residential",
    ):
        mapped = _repairs(town, layer, "osm_mapped")
        rows = sorted(r for rs in mapped["rows"] for r in rs)
        assert rows == list(town.layers[layer].index), layer  # each row once, by one mapping
        assert mapped["detail"].str.contains(": ").all()  # with its reason
    roads = _repairs(town, "roads")
    # Widths: 2 from the width tag, 2 from lanes, 1 unreadable, 4 without any.
    width = roads[roads["action"].str.startswith("osm_width")].set_index("action")["count"]
    assert width.groupby(level=0).sum().to_dict() == {
        "osm_width": 4,
        "osm_width_unread": 1,
        "osm_width_missing": 4,
    }
    assert "tartan" in roads[roads["action"] == "osm_surface_unknown"]["detail"].iloc[0]
    assert len(roads[roads["action"] == "osm_redline"]) == 1


def test_road_density_equals_an_independent_shapely_computation(town, extract):
    """Done-when of issue #15: union, clip, divide, straight from the XML, to 1e-9 relative."""
    _, _, path = extract
    root = ET.parse(path).getroot()
    nodes = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    kept = {"primary", "secondary", "tertiary", "residential", "unclassified", "living_street",
            "service", "trunk_link", "motorway"}  # fmt: skip
    lines = []
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if tags.get("highway") in kept and tags.get("service") != "parking_aisle":
            lines.append(shapely.LineString([nodes[nd.get("ref")] for nd in way.iter("nd")]))
    clipped = shapely.intersection(np.array(lines, dtype=object), REGION)
    to_m = pyproj.Transformer.from_crs("EPSG:4326", town.crs, always_xy=True)
    metric = shapely.transform(
        clipped, lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1]))
    )
    builtup = shapely.transform(
        BUILTUP_LONLAT, lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1]))
    )
    length_km = shapely.intersection(shapely.union_all(metric), builtup).length / 1000
    expected = length_km / (builtup.area / 1e6)
    ind = tp.town_indicators(town).set_index("key")
    got = ind.loc["road_network_density_km_per_km2", "value"]
    assert got == pytest.approx(expected, rel=1e-9)
    assert 1 < expected < 30  # a real network, not an empty clip


# --- boundary, population, built-up --------------------------------------------------------------
def test_boundary_by_admin_level_and_refusals(extract):
    _, _, path = extract
    town = read_osm(path, boundary=8)
    assert town.name == "蒲州镇" and town.boundary["admin_level"].tolist() == ["8"]
    with pytest.raises(
        DataFileError, match=r"no administrative boundary with name '蒲州'.*蒲州镇 \(admin_level 8"
    ):
        read_osm(path, boundary="蒲州")
    with pytest.raises(DataFileError, match="no administrative boundary with admin_level 9"):
        read_osm(path, boundary="9")


def test_no_boundary_lists_the_admin_areas_and_clips_to_the_bounds(extract):
    _, ids, path = extract
    town = read_osm(path)
    assert not town.has("boundary")
    note = _repairs(town, "boundary", "osm_boundary")["detail"].iloc[0]
    assert "蒲州镇 (admin_level 8" in note and "永济市 (admin_level 6" in note
    w, _, e, _ = (
        town.roads.to_crs("EPSG:4326")
        .set_index("osm_ref")
        .loc[_ref("way", ids["motorway"])]
        .geometry.bounds
    )
    assert (w, e) == pytest.approx((110.30, 110.33), abs=1e-9)
    assert town.metadata["osm_clip"] == "the extract's bounds"


def test_population_from_the_place_node_recorded_as_such(town, extract):
    _, ids, path = extract
    # 12,600 from the town's place node; the village node lies outside the boundary.
    assert town.population == 12600
    source = town.metadata["population_source"]
    assert f"node/{ids['place']}" in source and "户籍" in source
    given = read_osm(path, boundary="蒲州镇", population=9000)
    assert given.population == 9000 and given.metadata["population_source"] == "given"
    # Without a boundary the bounds decide: the village node (110.34 E) lies outside them.
    assert read_osm(path).population == 12600


def test_population_left_unknown_when_several_place_nodes_compete(tmp_path):
    b = OSMBuilder()
    b.way([(110.31, 34.81), (110.32, 34.81)], highway="primary")
    b.node(110.311, 34.811, place="village", name="甲村", population="800")
    b.node(110.315, 34.815, place="village", name="乙村", population="1,200")
    town = read_osm(b.write(tmp_path / "two.osm"))
    assert town.population is None
    note = _repairs(town, "osm", "osm_population")["detail"].iloc[0]
    assert "甲村" in note and "乙村" in note and "pass population=" in note


def test_builtup_estimate_is_labelled_and_never_the_boundary(extract):
    _, _, path = extract
    town = read_osm(path, boundary="蒲州镇")
    assert town.metadata["builtup_estimated"] is True
    assert "ESTIMATE" in town.metadata["builtup_source"]
    est = _repairs(town, "builtup", "estimated")
    assert len(est) == 1 and "ESTIMATE" in est["detail"].iloc[0]
    # The lone farmstead is a piece under 2 ha: left out, and said so.
    assert "1 piece(s) under 2 ha left out" in est["detail"].iloc[0]
    builtup = town.dissolved("builtup")
    boundary = town.dissolved("boundary")
    assert 0 < builtup.area < 0.5 * boundary.area
    assert not builtup.equals(boundary)


def test_given_builtup_is_not_an_estimate(town):
    assert town.metadata["builtup_estimated"] is False
    assert town.area_km2("builtup") == pytest.approx(
        gpd.GeoSeries([BUILTUP_LONLAT], crs="EPSG:4326").to_crs(town.crs).area.iloc[0] / 1e6
    )


# --- PBF, tags, widths, overrides ------------------------------------------------------------------
def test_pbf_gives_the_same_town_as_xml(extract, tmp_path, builtup_file, town):
    osmium = pytest.importorskip("osmium")
    _, _, path = extract
    pbf = tmp_path / "town.osm.pbf"
    reader = osmium.io.Reader(str(path))
    header = reader.header()
    reader.close()
    writer = osmium.SimpleWriter(str(pbf), header=header)
    for obj in osmium.FileProcessor(str(path)):
        writer.add(obj)
    writer.close()
    assert read_bounds(pbf).equals_exact(shapely.box(*BOUNDS), 1e-9)
    from_pbf = read_osm(pbf, boundary="蒲州镇", builtup=builtup_file)
    for layer in ("roads", "green", "water", "heritage", "facilities", "streetlights"):
        a = from_pbf.layers[layer].sort_values("osm_ref").reset_index(drop=True)
        b = town.layers[layer].sort_values("osm_ref").reset_index(drop=True)
        assert a.drop(columns="geometry").equals(b.drop(columns="geometry")), layer
        assert np.allclose(shapely.area(a.geometry.array) + shapely.length(a.geometry.array),
                           shapely.area(b.geometry.array) + shapely.length(b.geometry.array), rtol=1e-7)  # fmt: skip


def test_other_tags_hstore_parsing_with_escapes_and_nulls():
    s = pd.Series(
        [
            '"a"=>"1","b"=>"x => \\"y\\", z","name:zh"=>"西厢"',
            None,
            '"a"=>NULL,"c"=>"back\\\\slash"',
        ],
        index=[10, 11, 12],
    )
    got = parse_other_tags(s, ["a", "b", "c", "name:zh", "absent"])
    assert got.index.tolist() == [10, 11, 12]
    assert got.loc[10].tolist() == ["1", 'x => "y", z', None, "西厢", None]
    assert got.loc[11].isna().all()
    assert got.loc[12, "a"] is None and got.loc[12, "c"] == "back\\slash"


@pytest.mark.parametrize(
    ("text", "metres"),
    [("7", 7.0), ("7.5 m", 7.5), ("3,5", 3.5), ("12 metres", 12.0), ("10'", 3.048),
     ("12'6\"", 3.81), ("wide", None), ("0", None), ("500", None)],
)  # fmt: skip
def test_width_tag_parsing(text, metres):
    width, bad = parse_width_m(pd.Series([text]))
    if metres is None:
        assert math.isnan(width.iloc[0]) and bad.iloc[0]
    else:
        assert width.iloc[0] == pytest.approx(metres) and not bad.iloc[0]


def test_a_user_mapping_overrides_one_entry(extract, builtup_file, tmp_path):
    _, ids, path = extract
    mine = tmp_path / "my_osm.toml"
    mine.write_text(
        '[roads.highway]\nresidential = { road_class = "lane", why = "our residential streets are lanes" }\n'
        '[green]\n"landuse=farmland" = { green_class = "EG", why = "counted as regional green here" }\n',
        encoding="utf-8",
    )
    town = read_osm(path, boundary="蒲州镇", builtup=builtup_file, mapping=mine)
    roads = town.roads.set_index("osm_ref")
    assert roads.loc[_ref("way", ids["residential"]), "road_class"] == "lane"
    assert roads.loc[_ref("way", ids["primary"]), "road_class"] == "arterial"  # untouched
    assert "our residential streets are lanes" in " ".join(
        _repairs(town, "roads", "osm_mapped")["detail"]
    )
    assert town.green.set_index("osm_ref").loc[_ref("way", ids["farmland"]), "green_class"] == "EG"
    assert str(mine) in town.metadata["osm_mapping"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            '[roads.highway]\nresidential = { road_class = "street", why = "x" }\n',
            "road_class = 'street' is not one of",
        ),
        ('[roads.highway]\nresidential = { road_class = "lane" }\n', "missing why"),
        ('[green]\nleisure = { green_class = "G1", why = "x" }\n', "'key=value'"),
        ("[roads.lane_widht_m]\ndefault = 3\n", "did you mean 'lane_width_m'"),
    ],
)
def test_a_bad_user_mapping_is_refused(extract, tmp_path, text, needle):
    mine = tmp_path / "bad.toml"
    mine.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match=None) as err:
        read_osm(extract[2], mapping=mine)
    assert needle in str(err.value) and str(mine) in str(err.value)


def test_not_an_osm_file_and_a_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        read_osm(tmp_path / "nothing.osm")
    bad = tmp_path / "bad.osm"
    bad.write_text("this is not xml", encoding="utf-8")
    with pytest.raises(DataFileError, match="cannot be read as OpenStreetMap data"):
        read_osm(bad)


def test_indicators_say_the_builtup_area_is_an_estimate(extract, town):
    estimated = tp.town_indicators(read_osm(extract[2], boundary="蒲州镇")).set_index("key")
    for key in ("built_up_area_km2", "road_network_density_km_per_km2", "green_coverage_pct"):
        assert "built-up area ESTIMATED" in estimated.loc[key, "note"], key
    assert "ESTIMATED" not in estimated.loc["population", "note"]
    surveyed = tp.town_indicators(town).set_index("key")  # builtup= given
    assert not surveyed["note"].str.contains("ESTIMATED").any()


def test_the_shipped_sample_extract(tmp_path):
    """layers/puzhou.osm (written by layers/build_puzhou_osm.py) reads as the sample town does."""
    town = read_osm(tp.sample_path("puzhou.osm"), boundary="蒲州镇")
    sample = tp.sample_town()
    assert town.name == "蒲州镇" and town.population == 12600
    # The 16 roads of the sample, plus the expressway and the tourism road's run to its exit.
    assert len(town.roads) == len(sample.roads) + 2
    assert (town.roads["road_class"] == "expressway").sum() == 1
    assert len(_repairs(town, "roads", "osm_clipped")) == 1  # both cut at the boundary
    assert len(town.streetlights) == len(sample.streetlights)
    assert sorted(town.residential["name"]) == sorted(sample.residential["name"])
    assert town.area_km2("builtup") == pytest.approx(sample.area_km2("builtup"), rel=0.01)
    assert town.metadata["builtup_estimated"] is True


def test_no_builtup_land_means_no_builtup_layer_never_the_boundary(tmp_path):
    b = OSMBuilder()
    b.way([(110.305, 34.81), (110.325, 34.81)], highway="primary")
    ring = b.way(rect(110.301, 34.801, 110.329, 34.819), closed=True)
    b.relation([("way", ring, "outer")], type="boundary", boundary="administrative",
               admin_level="8", name="某镇")  # fmt: skip
    town = read_osm(b.write(tmp_path / "bare.osm"), boundary="某镇")
    assert town.has("boundary") and not town.has("builtup")
    assert town.metadata["builtup_estimated"] is False
    note = _repairs(town, "builtup", "osm_builtup")["detail"].iloc[0]
    assert "no built-up land use" in note and "pass builtup=" in note
    density = tp.town_indicators(town).set_index("key").loc["road_network_density_km_per_km2"]
    assert math.isnan(density["value"]) and "no built-up area" in density["note"]


def test_boundary_from_a_file_and_a_missing_file(extract, tmp_path):
    _, _, path = extract
    mine = tmp_path / "镇界.geojson"
    gpd.GeoDataFrame({"名称": ["蒲州镇(规划)"]}, geometry=[shapely.box(110.305, 34.805, 110.325, 34.815)],
                     crs="EPSG:4326").to_file(mine)  # fmt: skip
    town = read_osm(path, boundary=mine)
    b = town.boundary.to_crs("EPSG:4326").total_bounds
    assert b == pytest.approx([110.305, 34.805, 110.325, 34.815], abs=1e-9)
    assert town.roads.to_crs("EPSG:4326").total_bounds[[0, 2]] == pytest.approx(
        [110.305, 110.325], abs=1e-9
    )
    with pytest.raises(DataFileError, match=r"boundary file .*nothing\.gpkg: not found"):
        read_osm(path, boundary=str(tmp_path / "nothing.gpkg"))
