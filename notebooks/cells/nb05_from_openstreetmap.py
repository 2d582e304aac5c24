"""Cells of notebooks/05_from_openstreetmap.ipynb (built by notebooks/build_notebooks.py)."""

from __future__ import annotations

from _cells import code, md

CELLS = [
    md("""
# 05 · From an OpenStreetMap extract to a reviewed, mapped town

`read_osm` builds a Town from an `.osm` or `.osm.pbf` extract: roads with their town road classes
(CJJ 37-2012 / GB 50188-2007), green land (CJJ/T 85-2017 classes), water, heritage, facilities, street
lights, residential quarters, the township boundary and the population of its place node. Every
mapping, default and skipped feature is recorded in `town.repairs`.

The extract used here, `layers/puzhou.osm`, is the illustrative sample town 蒲州镇 written as an OSM
mapper would tag it (it is **not** OpenStreetMap data), so the notebook runs offline. With a real extract
(cut with `osmium extract`, or from an extract service) the steps are the same; OpenStreetMap data is
© OpenStreetMap contributors under the ODbL, and `town.metadata["osm_attribution"]` says so.
"""),
    code("""
from pathlib import Path

import ezdxf
import pandas as pd

import townplan_gis as tp
from townplan_gis.io import read_osm, write_conflicts_dxf

pd.set_option("display.max_colwidth", 140)
out = Path("outputs")
out.mkdir(exist_ok=True)
extract = tp.sample_path("puzhou.osm")
"""),
    md("""
## 1 · Read the extract

`boundary=` chooses the administrative area by name (any of its name tags) or by `admin_level`; the data
is cut to it and to the extract's `<bounds>`. Without `builtup=`, the built-up area is **estimated** from
built-up land use and buildings, and labelled so.
"""),
    code("""
town = read_osm(extract, boundary="蒲州镇")
town
"""),
    code("""
town.summary()
"""),
    md("""
## 2 · What was read, mapped and skipped

Per layer, `osm_counts` says how many OSM features were read and how many were kept or skipped, by
reason; `osm_mapped` gives each mapping with its reason (the tables are `townplan_gis/data/osm.toml`;
pass `mapping="my_osm.toml"` to override one entry).
"""),
    code("""
rep = town.repairs
rep[rep["action"] == "osm_counts"][["layer", "detail"]]
"""),
    code("""
rep[(rep["layer"] == "roads") & (rep["action"] == "osm_mapped")][["count", "detail"]]
"""),
    code("""
rep[rep["action"].isin(["osm_skipped", "osm_clipped", "osm_width", "osm_redline"])][["layer", "action", "count", "detail"]]
"""),
    code("""
# Every road row was mapped once, with its reason; features read = kept + skipped in every layer.
mapped = rep[(rep["layer"] == "roads") & (rep["action"] == "osm_mapped")]
assert sorted(r for rows in mapped["rows"] for r in rows) == list(town.roads.index)
assert town.roads["road_class"].isin(["expressway", "arterial", "secondary", "branch", "lane"]).all()
town.roads[["name", "highway", "road_class", "carriageway_width_m", "surface", "lit"]].head(8)
"""),
    md("""
## 3 · The built-up area: an estimate, said so

OpenStreetMap has no 建成区. The estimate is the union of built-up land use and buildings, closed by 50 m;
`town.metadata` and the repairs say it is an estimate, and so does every indicator computed over it.
For figures to report, give the surveyed built-up area (`builtup=` a file or a frame).
"""),
    code("""
print(town.metadata["builtup_source"])
surveyed = tp.sample_town()
print(f"estimated {town.area_km2('builtup'):.3f} km², surveyed {surveyed.area_km2('builtup'):.3f} km²")
assert town.metadata["builtup_estimated"] is True
"""),
    md("## 4 · Indicators"),
    code("""
keys = ["built_up_area_km2", "road_network_density_km_per_km2", "road_area_ratio_pct", "paving_rate_pct",
        "main_road_lighting_pct", "green_coverage_pct", "park_green_per_capita_m2"]
ind = tp.town_indicators(town).set_index("key")
assert ind.loc["road_network_density_km_per_km2", "note"].count("ESTIMATED") == 1
ind.loc[keys, ["name_zh", "value", "unit", "note"]]
"""),
    code("""
# The same extract with the surveyed built-up area: the figures a report can use.
town = read_osm(extract, boundary="蒲州镇", builtup=surveyed.builtup)
ind = tp.town_indicators(town).set_index("key")
assert "ESTIMATED" not in str(ind.loc["road_network_density_km_per_km2", "note"])
ind.loc[keys, ["name_zh", "value", "unit", "note"]]
"""),
    md("""
## 5 · A derived red-line review

OpenStreetMap carries no planning control lines. `tp.review(town, derive=["red"])` derives red lines from
the road centrelines (class default widths, since OSM has no red-line widths) and reviews the
programme's projects against them. The other four lines are neither in the data nor declared absent,
so no project can pass: the review says **not checked** rather than pass.
"""),
    code("""
town = town.with_layer("projects", surveyed.projects)
result = tp.review(town, derive=["red"])
result.verdict_counts()
"""),
    code("""
assert result.verdict_counts()["pass"] == 0  # four line types unchecked: nothing passes
red = result.conflicts[(result.conflicts["line_type"] == "red") & ~result.conflicts["ignored"]]
red[["project_id", "project_type", "line_name", "overlap_area_m2", "overlap_length_m", "grade"]].head(10)
"""),
    md("""
Deriving all five lines from the extract (`derive=True`: green lines from parks, purple from heritage,
blue from water, yellow from utility facilities) completes the check — but only with what OSM knows:
the 110 kV corridor of the real plan is not in OSM, so the warehouse P13 (typed `11`, 仓储用地) that the
town's own control lines reject passes here. Derived lines are a first look, not the plan.
"""),
    code("""
full = tp.review(town, derive=True)
both = pd.DataFrame({"derived from OSM": full.projects.set_index("project_id")["verdict"],
                     "the town's control lines": tp.review(surveyed).projects.set_index("project_id")["verdict"]})
both.loc[["P11", "P12", "P13", "P14"]]
"""),
    md("## 6 · The map, and the conflicts for the designer (DXF)"),
    code("""
m = tp.plan_map(town, review=result, basemap="none")
tp.save_map(m, out / "puzhou_osm_map.html")
tp.show_html(m, height=480)
"""),
    code("""
dxf = write_conflicts_dxf(result, out / "puzhou_osm_conflicts.dxf")
doc = ezdxf.readfile(dxf)
sorted(layer.dxf.name for layer in doc.layers if layer.dxf.name not in ("0", "Defpoints"))
"""),
]
