"""Cells of notebooks/04_bring_your_own_data.ipynb (built by notebooks/build_notebooks.py)."""

from __future__ import annotations

from _cells import code, md

CELLS = [
    md("""
# 04 · Bring your own data

Planners' files are rarely clean. This notebook writes, into a temporary folder, the kind of data a
county planning bureau sends — shapefiles with **Chinese column names in GBK without a `.cpg`**, a layer
**without a `.prj`**, a **self-intersecting polygon**, a **value the toolkit does not know** — and shows
how townplan_gis reports each one. Nothing is guessed silently: every change is in `town.repairs`.
"""),
    code("""
import tempfile
from pathlib import Path

import geopandas as gpd
import pyogrio
from shapely.geometry import LineString, Polygon, box

import townplan_gis as tp

folder = Path(tempfile.mkdtemp(prefix="byod_"))
x0, y0 = 110.30, 34.82  # Puzhou, in CGCS2000 longitude/latitude (EPSG:4490)
d = 0.01                # about 1 km
"""),
    md("## 1 · Shapefiles with Chinese columns, GBK-encoded, no `.cpg`"),
    code("""
roads = gpd.GeoDataFrame(
    {
        "名称": ["西厢大街", "中山路", "滨河巷"],
        "道路等级": ["主干路", "支路", "巷路"],
        "红线宽度": [24.0, 12.0, None],
        "路面": ["沥青", "水泥", "土路"],
    },
    geometry=[LineString([(x0, y0 + d / 2), (x0 + d, y0 + d / 2)]),
              LineString([(x0 + d / 2, y0), (x0 + d / 2, y0 + d)]),
              LineString([(x0, y0 + d / 4), (x0 + d / 2, y0 + d / 4)])],
    crs="EPSG:4490",
)
pyogrio.write_dataframe(roads, folder / "道路.shp", encoding="GBK")
(folder / "道路.cpg").unlink(missing_ok=True)  # the common case: no code page file
sorted(p.name for p in folder.iterdir())
"""),
    code("""
# GDAL alone would decode these bytes as Latin-1 mojibake; read_layer detects GBK and says so.
layer, info = tp.read_layer(folder / "道路.shp")
print(info["encoding"], "|", info["note"])
assert "西厢大街" in set(layer["名称"])
layer
"""),
    md("## 2 · A layer without a `.prj`"),
    code("""
builtup = gpd.GeoDataFrame({"名称": ["建成区"]}, geometry=[box(x0, y0, x0 + d, y0 + d)], crs="EPSG:4490")
pyogrio.write_dataframe(builtup, folder / "建成区.shp", encoding="GBK")
(folder / "建成区.prj").unlink()
# town.toml carries what the files cannot: the town's name, population, reported statistics.
(folder / "town.toml").write_text(
    'name = "示例镇"\\npopulation = 8000\\n[statistics]\\nwater_supply_coverage_pct = 93.0\\n',
    encoding="utf-8",
)
try:
    tp.read_town(folder)
except tp.CRSError as exc:
    print(type(exc).__name__, ":", exc)
else:
    raise AssertionError("a layer without CRS must be refused, never guessed")
"""),
    md("The message names the layer and the fix. Say what the data really is:"),
    code("""
town = tp.read_town(folder, assume_crs="EPSG:4490")
town
"""),
    md("## 3 · A self-intersecting polygon"),
    code("""
bowtie = Polygon([(x0, y0), (x0 + d / 4, y0 + d / 4), (x0 + d / 4, y0), (x0, y0 + d / 4)])
green = gpd.GeoDataFrame({"名称": ["街头游园"], "绿地类型": ["G1"]}, geometry=[bowtie], crs="EPSG:4490")
print("valid before:", bool(green.is_valid.all()))
town = town.with_layer("green", green)
rep = town.repairs
rep[rep["layer"] == "green"][["layer", "action", "count", "detail"]]
"""),
    code("""
assert town.green.is_valid.all()
assert (town.repairs["action"] == "make_valid").any()
"""),
    md("## 4 · A value the toolkit does not know"),
    code("""
odd = roads.assign(道路等级=["主干路", "快速路", "巷路"])
try:
    town.with_layer("roads", odd)
except tp.TownPlanError as exc:
    print(type(exc).__name__, ":", exc)
else:
    print("accepted; see repairs")
"""),
    md("## 5 · Everything that was changed, and the indicators"),
    code("""
town.repairs[["layer", "action", "count", "detail"]]
"""),
    code("""
ind = tp.town_indicators(town)
ind[ind["key"].isin(["built_up_area_km2", "road_network_density_km_per_km2", "paving_rate_pct",
                     "green_coverage_pct"])][["key", "value", "unit", "note"]]
"""),
]
