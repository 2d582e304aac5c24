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
