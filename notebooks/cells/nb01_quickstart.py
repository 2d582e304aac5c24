"""Cells of notebooks/01_quickstart.ipynb (built by notebooks/build_notebooks.py)."""

from __future__ import annotations

from _cells import code, md

CELLS = [
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
## One job, each product computed once
A `Pipeline` holds the town and the choices of the job: here the Ezhou 2017 standard, Chinese labels
and no basemap tiles (the notebook stays offline). Its products — indicators, scorecard, review, maps —
are computed the first time you ask for one, and kept: the report, the workbook and the opinions take
them from there. Nothing is computed yet:
"""),
    code("""
job = tp.Pipeline(town, standard="ezhou-2017", basemap="none")
job
"""),
    md("""
## Indicators
One row per indicator, with its unit and definition. A value that cannot be computed is `NaN` with the
reason in `note` — never a fake zero. (`job.indicators` is `tp.town_indicators(town)`, computed once.)
"""),
    code("""
ind = job.indicators
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
Standards are TOML files shipped with the package (`tp.list_standards()`), or your own file; none is
picked for you. `job.scorecard` scores the indicators above (`tp.assess(ind, "ezhou-2017")`), shown
coloured by status.
"""),
    code("""
tp.list_standards()
"""),
    code("""
card = job.scorecard
card
"""),
    code("""
assert set(card["status"]) <= {"pass", "fail", "not_evaluable"}
card[card["status"] == "fail"][["name_zh", "value", "comparator", "target", "gap", "unit"]]
"""),
    md("""
## Plan map
The town has projects and control lines, so the map shows the five-line review too (reviewed once,
here). The map shows itself inline with Leaflet embedded, so it works on an intranet without internet;
`job.write_map` writes the same map as one offline HTML file.
"""),
    code("""
job.write_map(out / "puzhou_map.html")
tp.show_html(job.web_map, height=480)
"""),
    md("""
## The report and the workbook
One self-contained HTML file: summary, scorecard, charts against targets, the five-line review, the
map and the method. It prints on A4. The workbook holds the same tables. Both reuse what the job has
computed: the display below shows each product once (and the report's own map, drawn without the
layer list open).
"""),
    code("""
path = job.write_report(out / "puzhou_report.html")
book = job.write_workbook(out / "puzhou.xlsx")
print(path, f"{path.stat().st_size / 1e6:.1f} MB")
print(book)
job
"""),
]
