"""Build the tutorial notebooks from the cell sources below, without outputs.

Run ``python notebooks/build_notebooks.py`` after editing; ``tests/test_notebooks.py`` checks the
committed ``.ipynb`` files equal what this script builds, and executes every one of them.
Each notebook writes its files under ``./outputs`` of the working directory.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    return new_code_cell(text.strip("\n"))


QUICKSTART = [
    md("""
# 01 · Quickstart: a town, its indicators, its scorecard, its map

The bundled sample town is **蒲州镇 (Puzhou)**, Yongji, Shanxi — illustrative geometry modelled on the
2017 small-town programme (not surveyed). This notebook loads it, computes the construction indicators,
scores them against the Ezhou 2017 standard, draws the plan map and writes the town report.
"""),
    code("""
from pathlib import Path

import townplan_gis as tp

out = Path("outputs")
out.mkdir(exist_ok=True)
tp.__version__
"""),
    md("A `Town` shows its layers, reported statistics and every repair made to the data:"),
    code("""
town = tp.sample_town()
town
"""),
    md("""
## Indicators
One row per indicator, with its unit and definition. A value that cannot be computed is `NaN` with the
reason in `note` — never a fake zero.
"""),
    code("""
ind = tp.town_indicators(town)
ind[["key", "name_zh", "value", "unit", "note"]].head(20)
"""),
    code("""
# Built-up area in km² and road network density in km/km²: read straight from the table.
values = ind.set_index("key")["value"]
assert 2.0 < values["built_up_area_km2"] < 3.0
print(f"built-up area {values['built_up_area_km2']:.2f} km², "
      f"road density {values['road_network_density_km_per_km2']:.2f} km/km²")
"""),
    md("""
## Scorecard against a standard
Standards are TOML files shipped with the package (`tp.list_standards()`), or your own file.
The scorecard is a DataFrame, shown coloured by status.
"""),
    code("""
tp.list_standards()
"""),
    code("""
card = tp.assess(town, "ezhou-2017")
card
"""),
    code("""
assert set(card["status"]) <= {"pass", "fail", "not_evaluable"}
card[card["status"] == "fail"][["name_zh", "value", "comparator", "target", "gap", "unit"]]
"""),
    md("""
## Plan map
`tp.show_html` shows the map inline with Leaflet embedded, so it works on an intranet without internet.
`tp.save_map` writes the same map as one offline HTML file.
"""),
    code("""
m = tp.plan_map(town, basemap="none", lang="zh")
tp.save_map(m, out / "puzhou_map.html")
tp.show_html(m, height=480)
"""),
    md("""
## The report
One self-contained HTML file: summary, scorecard, charts against targets, the five-line review, the
map and the method. It prints on A4. `tp.to_excel` writes the same tables as a workbook.
"""),
    code("""
path = tp.report(town, standard="ezhou-2017", review=True, path=out / "puzhou_report.html")
book = tp.to_excel(out / "puzhou.xlsx", scorecard=card, indicators=ind)
print(path, f"{path.stat().st_size / 1e6:.1f} MB")
print(book)
"""),
]

REVIEW = [
    md("""
# 02 · Five-control-line review (五线审查)

Every project of the 2017 Puzhou programme is checked against the red (roads), green, purple (heritage),
blue (water) and yellow (infrastructure) lines. Each overlap is graded **forbidden**, **review** or
**notice** by the rule file, and each project gets a verdict: reject, review, pass, not_checked
(未完成审查: the check is incomplete) or invalid.
"""),
    code("""
from pathlib import Path

import pandas as pd

import townplan_gis as tp

out = Path("outputs")
out.mkdir(exist_ok=True)
town = tp.sample_town()
result = tp.review(town)  # the one review path: town boundary as coverage, road classes from roads
result
"""),
    md("## Verdict per project"),
    code("""
result.projects[["project_id", "project_name", "project_type", "verdict", "worst_grade", "n_conflicts"]]
"""),
    code("""
counts = result.verdict_counts()
assert counts.sum() == len(town.projects)  # no project dropped
counts
"""),
    md("""
## Inspect the conflicts
One row per project × control-line feature: the overlap in m² and 亩, the shares of the project and of
the line, the clause and the procedure it requires. Slivers are kept but flagged `ignored`.
"""),
    code("""
cols = ["project_id", "project_name", "line_type", "line_name", "zone", "grade",
        "overlap_area_m2", "overlap_area_mu", "pct_of_project", "procedure"]
worst = result.conflicts[~result.conflicts["ignored"]].sort_values(
    ["grade", "overlap_area_m2"], key=lambda s: s.map({"forbidden": 0, "review": 1, "notice": 2})
    if s.name == "grade" else -s
)
worst[cols].head(10)
"""),
    md("""
## What a pass means: the evidence of the check
`pass` means the project lies wholly inside the review's coverage (here the town boundary), every one of
the five line types was checked (in the data, or declared absent with `absent_line_types`), and nothing
is above notice. `result.checks` shows it project by project: per line type, whether it was checked, the
features found (0 is a result too) and the distance to the nearest one.
"""),
    code("""
passed = result.projects.loc[result.projects["verdict"] == "pass", "project_id"].iloc[0]
result.checks[result.checks["project_id"] == passed]
"""),
    md(
        "`result.evidence`: the inputs with their feature counts and content hashes, the rule file and its hash, CRS, version and time."
    ),
    code("""
ev = result.evidence
print(ev["generated"], ev["analysis_crs"], "townplan_gis", ev["townplan_gis_version"])
print("coverage:", ev["coverage"]["source"])
pd.DataFrame(ev["sources"] + [{"layer": "rules", **ev["files"][0]}])
"""),
    md("""
## A project outside the town is not checked
A project entered 30 km east of the town (a typo in the coordinates, or another town's file) overlaps no
control line, only because there are no lines there. It does not pass: its verdict is `not_checked`,
and the reason says how much of it lies outside the coverage.
"""),
    code("""
far = town.projects.iloc[[0]].copy()
far["project_id"], far["name"] = "FAR-1", "镇外项目(坐标有误)"
far["geometry"] = far.translate(xoff=30_000)
outside = tp.review(town.with_layer("projects", pd.concat([town.projects, far], ignore_index=True)))
row = outside.projects.set_index("project_id").loc["FAR-1"]
print(row["verdict"], "|", row["reason_zh"])
assert row["verdict"] == "not_checked" and row["outside_coverage_pct"] == 100.0
outside.checks[outside.checks["project_id"] == "FAR-1"]
"""),
    md("## The review opinion (审查意见) of a rejected project"),
    code("""
rejected = result.projects.loc[result.projects["verdict"] == "reject", "project_id"].tolist()
print("rejected:", rejected)
pid = rejected[0]
opinion = tp.project_opinion(result, pid, town=town, path=out / f"opinion_{pid}.html")
tp.show_html(opinion, height=600)
"""),
    md("""
## What if the project moves?
Shift the rejected project 400 m east, out of the water body, and review again: the verdict changes.
The town's own layer is never modified.
"""),
    code("""
moved = town.projects.copy()
sel = moved["project_id"] == pid
moved.loc[sel, "geometry"] = moved.loc[sel].translate(xoff=400)
again = tp.review(town.with_layer("projects", moved))
before = result.projects.set_index("project_id").loc[pid, "verdict"]
after = again.projects.set_index("project_id").loc[pid, "verdict"]
print(f"{pid}: {before} → {after}")
assert before == "reject" and after != "reject"
"""),
    md("## Map and export"),
    code("""
m = tp.plan_map(town, review=result, basemap="none")
tp.show_html(m, height=480)
"""),
    code("""
files = result.to_files(out / "review")  # conflicts, projects, checks.csv and evidence.json
book = tp.to_excel(out / "review.xlsx", review=result, lang="zh")
print(list(files), book)
"""),
]

COUNTY = [
    md("""
# 03 · County ranking: the six Weicheng towns

The 2017 Weicheng district plan ranks its six towns (渭城, 窑店, 正阳, 底张, 周陵, 北杜) in a
construction competition. The bundled towns have illustrative geometry with deliberately different
performance, so the ranking means something.
"""),
    code("""
from pathlib import Path

import pandas as pd

import townplan_gis as tp

out = Path("outputs")
out.mkdir(exist_ok=True)
towns = tp.sample_towns("weicheng")
[t.name for t in towns]
"""),
    md("`assess_many` shows a progress bar while it works (switch it off with `progress=False`):"),
    code("""
ranking = tp.assess_many(towns, "weicheng-2017")
ranking[["town", "rank", "score", "relative_gap_sum", "tie_break", "n_pass", "n_fail", "n_not_evaluable"]]
"""),
    md("Equal scores are told apart by how far each town is from its targets, then by name:"),
    code("""
print(ranking.attrs["rank_rule"])
"""),
    code("""
assert list(ranking["rank"]) == sorted(ranking["rank"])
assert ranking["score"].between(0, 100).all()
"""),
    md("## Which targets does each town miss?"),
    code("""
keys = [c for c in ranking.columns if c not in
        ("town", "rank", "score", "relative_gap_sum", "tie_break", "n_pass", "n_fail",
         "n_not_evaluable", "n_targets")]
status = ranking.set_index("town")[keys]
status.T.head(25)
"""),
    md("## Chart: score per town and status per target"),
    code("""
import matplotlib.pyplot as plt
from matplotlib import font_manager

# Chinese labels need a CJK font (Debian: fonts-noto-cjk); fall back to the default font otherwise.
cjk = [f.name for f in font_manager.fontManager.ttflist if "CJK SC" in f.name]
if cjk:
    plt.rcParams["font.family"] = [cjk[0], "DejaVu Sans"]

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1, 2]})
ax1.barh(ranking["town"][::-1], ranking["score"][::-1], color="#1a7f37")
ax1.set_xlabel("score (% of weighted targets met)")
codes = status.replace({"pass": 2, "fail": 0, "not_evaluable": 1}).astype(float)
ax2.imshow(codes.to_numpy(), cmap="RdYlGn", vmin=0, vmax=2, aspect="auto")
ax2.set_yticks(range(len(codes)), codes.index)
ax2.set_xticks(range(len(keys)), keys, rotation=90, fontsize=6)
ax2.set_title("green pass · yellow not evaluable · red fail")
fig.tight_layout()
fig.savefig(out / "weicheng_ranking.png", dpi=120)
"""),
    md("## One workbook per town, and the leader's report"),
    code("""
for town in towns:
    card = tp.assess(town, "weicheng-2017")
    tp.to_excel(out / f"{town.name}.xlsx", scorecard=card, indicators=tp.town_indicators(town))
best = next(t for t in towns if t.name == ranking.iloc[0]["town"])
path = tp.report(best, standard="weicheng-2017", path=out / "leader_report.html")
sorted(p.name for p in out.glob("*.xlsx")), path.name
"""),
]

BYOD = [
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

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_control_line_review.ipynb": REVIEW,
    "03_county_ranking.ipynb": COUNTY,
    "04_bring_your_own_data.ipynb": BYOD,
}


def build(name: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=NOTEBOOKS[name])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    # Stable cell ids keep the committed files byte-identical between builds.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{Path(name).stem[:2]}-{i:02d}"
    return nb


def text(name: str) -> str:
    return nbformat.writes(build(name)) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name in NOTEBOOKS:
        path = HERE / name
        new = text(name)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != new:
                stale.append(name)
        else:
            path.write_text(new, encoding="utf-8")
    if stale:
        print("out of date (run notebooks/build_notebooks.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
