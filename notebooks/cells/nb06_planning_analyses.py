"""Cells of notebooks/06_planning_analyses.ipynb (built by notebooks/build_notebooks.py)."""

from __future__ import annotations

from _cells import code, md

CELLS = [
    md("""
# 06 · Planning analyses: line self-check, buildable land, site search, service coverage

The review answers "may this project be built here?". Four questions come before and after it:

1. **Do the control lines agree with each other?** (控制线自检: 不交叉、不重叠、不冲突)
2. **How much of a parcel can be built on**, once the lines and their setbacks are taken? (可建设用地)
3. **Where could a project of a given size go?** (选址)
4. **Which homes are within walking distance of a park, a school, a clinic?** (公园绿地服务半径覆盖率, 生活圈)

All four work on the sample town 蒲州镇 (illustrative geometry), its lines and the review's rules.
"""),
    code("""
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import shapely

import townplan_gis as tp
from townplan_gis import analyses

out = Path("outputs")
out.mkdir(exist_ok=True)
town = tp.sample_town()
town
"""),
    md("""
## 1 · Control-line self-check
Every pair of line features that share land is classified — 重叠 overlap, 压占 one inside the other,
交叉 one crossing the other — and graded by the compatibility matrix
(`townplan_gis/data/line_matrix.toml`): **conflict** (must be resolved), **check**, **notice** (normal,
e.g. a bridge). Within one type it also finds duplicates, slivers and gaps narrower than 0.5 m. Each
finding is a numbered patch (图斑编号) with the resolution the priority rule suggests.
"""),
    code("""
check = tp.check_lines(town)
print(check)
check.summary
"""),
    code("""
cols = ["patch_id", "kind_zh", "severity_zh", "code_a", "name_a", "code_b", "name_b", "area_m2", "area_mu", "resolution_zh"]
check.table().query("severity == 'conflict'")[cols]
"""),
    md("""
The sample's lines show three conflicts: 普救寺路's red line and the 110 kV corridor's yellow line
reach into 普救寺's core protection zone, and the sewage station's yellow line touches the canal's blue
line. Every combination of line types present is listed with what was found — `clear` is a result too:
"""),
    code("""
check.pairs[["side_a", "side_b", "entry", "overlap", "crossing", "contacts", "findings", "status"]]
"""),
    md("""
## 2 · Buildable land of parcels
Three parcels along the tourism road. The lines graded forbidden or review for a building are taken,
with the setback bands of red and blue lines: **relaxed** (the review's 8 m / 5 m / 10 m) and
**strict** (12 m from main roads for large public buildings, 8 m from branch roads). Only where a
10 m × 10 m square fits is the land usable.
"""),
    code("""
road = town.control_lines.set_index("code").loc["HX-02"].geometry  # the tourism road, 30 m
centre = road.centroid
parcels = gpd.GeoDataFrame(
    {"name": ["A", "B", "C"]},
    geometry=[
        shapely.box(centre.x - 200, centre.y - 10, centre.x - 120, centre.y + 60),
        shapely.box(centre.x - 60, centre.y + 5, centre.x + 20, centre.y + 40),
        shapely.box(centre.x + 60, centre.y + 16, centre.x + 140, centre.y + 30),
    ],
    crs=town.crs,
).set_index("name")
land = tp.buildable_land(parcels, town, widest=True)
land[["gross_m2", "taken_red_m2", "setback_red_m2", "setback_red_strict_m2", "buildable_m2",
      "buildable_strict_m2", "widest_m", "usable_m2", "buildable", "note"]].round(1)
"""),
    code("""
assert (land["buildable_m2"] <= land["gross_m2"] + 1e-6).all()
assert (land["buildable_strict_m2"] <= land["buildable_m2"] + 1e-6).all()
analyses.buildable_items(land).query("parcel == 'A'")
"""),
    md("""
## 3 · Site search (选址)
A 30 亩 (20,000 m²) site for a building near the school, in the built-up area, clear of every line
graded forbidden or review, of the setback bands and of land already taken (roads, quarters, green,
water, heritage, facilities, listed projects). Each site is reviewed with `tp.review` and the score is
stated term by term.
"""),
    code("""
search = tp.find_sites(town, area_m2=20_000, near="school", n=5)
print(search)
search.table()[["rank", "site_id", "area_mu", "width_m", "length_m", "score", "verdict", "reason_zh"]]
"""),
    code("""
# The 选址 summary: every constraint checked against the sites, and found clear.
assert (search.constraints.query("status != 'not a constraint'")["status"] == "clear").all()
assert search.sites["passes_review"].all()
search.constraints
"""),
    md("""
## 4 · Service coverage along the street network
公园绿地服务半径覆盖率 as the city check-up defines it (parks ≥ 5,000 m² serve 500 m, 2,000–5,000 m²
serve 300 m), walked along the roads: each 20 m cell of residential land joins the network at the
nearest point of a road edge. The straight-line figure is shown beside it: it is always the larger.
"""),
    code("""
park = tp.park_service_coverage(town)
straight = tp.park_service_coverage(town, network=False)
pd.DataFrame({
    "network": [park.summary["coverage_pct"], park.summary["households_pct"]],
    "straight line": [straight.summary["coverage_pct"], straight.summary["households_pct"]],
}, index=["residential land %", "households %"]).round(1)
"""),
    md("""
The gap is the point of walking distances: the sample's quarters are blocks of about 300 m reached by
few streets, and its parks are set back from the roads, so most homes that are 500 m from a park as
the crow flies walk much further. Per quarter, the walk from its nearest cell (`inf`: no park within
its radius):
"""),
    code("""
park.quarters.join(town.residential["name"]).round(1)
"""),
    code("""
fig, ax = plt.subplots(figsize=(8, 6))
town.builtup.boundary.plot(ax=ax, color="black", linewidth=1)
town.roads.plot(ax=ax, color="grey", linewidth=1)
park.cells.plot(ax=ax, color=park.cells["covered"].map({True: "#f4a261", False: "#a8dadc"}))
park.parks.plot(ax=ax, color="#2a9d8f")
park.blind_spots.boundary.plot(ax=ax, color="#1d3557", linewidth=0.8)
search.sites.plot(ax=ax, facecolor="none", edgecolor="#e63946", linewidth=2)
x0, y0, x1, y1 = town.builtup.total_bounds
ax.set_xlim(x0 - 50, x1 + 50)
ax.set_ylim(y0 - 50, y1 + 50)
ax.set_title("Park service (orange: within the radius, blue: blind spots); candidate sites in red")
ax.set_axis_off()
fig.savefig(out / "planning_analyses.png", dpi=100, bbox_inches="tight")
"""),
    md("""
Life circles of GB 50180-2018: the share of residential land and of households within a 5-, 10- or
15-minute walk (300, 500, 1,000 m) of each kind of facility. A kind the town lacks is 0 %, and says so.
"""),
    code("""
tp.life_circles(town)[["label_zh", "circle", "radius_m", "facilities", "covered_pct", "households_pct", "note"]].round(1)
"""),
    md("""
The same figures are indicator keys, so a standard file can set targets on them
(`park_service_coverage_pct`, `life_circle_<category>_pct` …):
"""),
    code("""
table = tp.town_indicators(town)
table[table["key"].str.startswith(("park_service", "life_circle"))][["key", "name_zh", "value", "unit", "note"]].round(1)
"""),
    md("""
## The same from the command line
Each analysis is a `townplan` command; `--out` writes a GeoPackage (with the patch, remainder or site
geometry), a workbook or a CSV. The exit code tells a script what was found: `check-lines` exits 3
when a patch is graded conflict (as `review` does when it rejects a project), `find-sites` 3 when no
site fits, every command 2 on bad input with one line saying what to fix.
"""),
    code("""
def townplan(*args):
    run = subprocess.run([sys.executable, "-m", "townplan_gis.cli", *map(str, args)],
                         capture_output=True, text=True)
    print(run.stdout[-1500:] + run.stderr[-500:])
    print(f"exit code {run.returncode}")
    return run.returncode

puzhou = tp.sample_path("puzhou.gpkg")
assert townplan("check-lines", puzhou, "--out", out / "line_patches.gpkg") == 3
assert townplan("find-sites", puzhou, "--area-m2", 20_000, "--project-type", "bulding") == 2
gpd.read_file(out / "line_patches.gpkg", layer="patches").query("severity == 'conflict'")[["patch_id", "code_a", "code_b", "area_m2"]]
"""),
]
