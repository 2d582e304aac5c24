"""Cells of notebooks/07_programme_and_acceptance.ipynb (built by notebooks/build_notebooks.py)."""

from __future__ import annotations

from _cells import code, md

CELLS = [
    md("""
# 07 · The year of a programme: investment, progress, acceptance, subsidies, before and after

The 2017 small-town programmes run projects as much as they plan them: every project has an
investment and its funding sources (镇村户自筹, 上级补助, 镇政府自筹), a stage (确定项目 → 实施 → 观摩 → 验收)
and a deadline; the towns report progress every week; in December the city inspects and accepts the
works (验收: 听汇报、查资料、看项目), pays the subsidies (以奖代补) and ranks the towns; and each town shows
itself before and after.

This notebook runs that year on the bundled samples: 蒲州镇's programme and two weekly reports, the
acceptance of the six Weicheng towns with their subsidies and ranking, and 蒲州镇 in 2016 and 2017.
**All sample figures are illustrative** (invented investments, funding, progress and geometry); the
rules (stages, funding sources, checks, acceptance, allocation) are in
`townplan_gis/data/programme.toml`, each with its source.
"""),
    code("""
import pandas as pd

import townplan_gis as tp
from townplan_gis import construction as pg

pd.set_option("display.max_colwidth", 90)
town = tp.sample_town()
town.metadata["year"], town.metadata["progress_reported"]
"""),
    md("""
## 1. The programme and what a finance office checks

`programme(town, as_of=…)` sums the investment by programme item, project type, funding source and
stage, and checks what a finance office checks. It reports, never repairs: the commercial street
declares 2,700 万元 while its five works add up to 2,118 万元. Deadlines are checked against the date
given (`as_of`), never the computer's clock.
"""),
    code("""
p = pg.programme(town, as_of="2017-11-06")
p
"""),
    code("""
p.by_item
"""),
    code("""
street = p.by_item.set_index("programme_item").loc["商业街改造工程"]
assert (street["declared_total_wan_yuan"], street["works_total_wan_yuan"]) == (2700.0, 2118.0)
assert street["gap_wan_yuan"] == 582.0
p.by_source[["label_zh", "amount_wan_yuan", "share_pct", "matching"]]
"""),
    code("""
p.by_stage
"""),
    md("Every check is listed with what it looked at, including those that found nothing:"),
    code("""
p.checks[["label_zh", "status", "n_checked", "n_findings", "note"]]
"""),
    code("""
p.findings[["check", "issue", "project_id", "amount_wan_yuan", "days", "detail_zh"]]
"""),
    md("""
## 2. Two weekly reports (周报)

The sample's projects are as reported on 20 October. For a second snapshot we take the week before as
10 points less on every project (illustrative), and let `progress` say what moved, what is late and how
much investment was completed.
"""),
    code("""
earlier = town.projects.copy()
earlier["completion_pct"] = (earlier["completion_pct"] - 10).clip(lower=0)
weeks = pg.progress({"2017-10-13": town.with_layer("projects", earlier), "2017-10-20": town})
weeks.weekly
"""),
    code("""
this_week = weeks.report("2017-10-20")
assert len(this_week["moved"]) > 0
this_week["moved"].head(8)
"""),
    md("A week after the October deadline most unfinished works are late:"),
    code("""
late = pg.progress({"2017-11-06": town}).report()["late"]
late[["project_id", "name", "why", "days_overdue", "completion_pct"]]
"""),
    md("""
## 3. Acceptance of the six Weicheng towns, and the subsidies

A town is accepted when every project is completed, every project conforms to the plan (its five-line
review is pass, or review with the named procedure to be shown in the documents) and its score against
the standard is at least 60. The fund (here 1,200 万元, illustrative) less the office's 1 % is shared by
score among accepted towns; each town must match its subsidy 1:1 from its own funds.
"""),
    code("""
towns = tp.sample_towns("weicheng")
acc = pg.acceptance(towns, "weicheng-2017", fund_wan_yuan=1200, as_of="2017-12-15")
acc
"""),
    code("""
acc.county[["town", "rank", "score", "accepted", "reason_zh", "subsidy_wan_yuan",
            "matching_required_wan_yuan", "matching_funds_wan_yuan", "matching_met"]]
"""),
    code("""
assert acc.county["subsidy_wan_yuan"].sum() + acc.fund["office_wan_yuan"] == 1200
assert (acc.county.loc[~acc.county["accepted"], "subsidy_wan_yuan"] == 0).all()
acc.fund
"""),
    md("The acceptance record of one town, step by step (听汇报、看项目、查资料、考核、结论、奖补):"),
    code("""
acc.records["底张镇"][["section_zh", "item", "result", "detail_zh"]]
"""),
    md("The same fund under the other allocation rules of the rule file:"),
    code("""
rules = {name: pg.acceptance(towns, "weicheng-2017", fund_wan_yuan=1200, allocation=name)
         for name in ("score_share", "equal", "investment_share")}
pd.DataFrame({name: a.county.set_index("town")["subsidy_wan_yuan"] for name, a in rules.items()})
"""),
    md("""
## 4. The construction competition over two years

Each year's ranking is `tp.assess_many`'s (weighted score; ties by relative gap sum, then name). For a
2016 round we take the same towns with lower reported figures (illustrative).
"""),
    code("""
def in_2016(t):
    s = dict(t.statistics)
    for key, less in (("gas_coverage_pct", 8), ("garbage_treatment_pct", 10), ("flush_toilet_pct", 15)):
        if key in s:
            s[key] = max(0.0, s[key] - less)
    return tp.Town(t.name, layers=t.layers, population=t.population, statistics=s, crs=t.crs)


league = pg.competition({2016: [in_2016(t) for t in towns], 2017: towns}, "weicheng-2017")
league.league
"""),
    code("""
print(league.rank_rule)
print(league.league_rule)
"""),
    md("""
## 5. 蒲州镇 before and after

`compare(before, after)` gives the indicator deltas, the standard's growth targets measured between the
two vintages (Weicheng asks the built-up population to grow 4 % or more), and per layer the features
added, removed and changed, with their geometry (the data of a before/after map).
"""),
    code("""
before = tp.sample_town("puzhou_2016.gpkg")
cmp = pg.compare(before, town, standard="weicheng-2017")
cmp.growth[["key", "before", "after", "growth_pct", "target", "status", "gap", "reported_pct"]]
"""),
    code("""
cmp.layers[["layer", "label_zh", "measure", "added", "removed", "changed", "delta", "added_measure"]]
"""),
    code("""
keys = ["road_length_km", "paving_rate_pct", "green_coverage_pct", "park_green_per_capita_m2", "population"]
cmp.indicators.set_index("key").loc[keys, ["name_zh", "before", "after", "delta", "unit"]]
"""),
    code("""
import matplotlib.pyplot as plt
from matplotlib import font_manager

cjk = [f.name for f in font_manager.fontManager.ttflist if "CJK SC" in f.name]
if cjk:
    plt.rcParams["font.family"] = [cjk[0], "DejaVu Sans"]

layers = cmp.map_layers()
fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharex=True, sharey=True)
for ax, (title, vintage) in zip(axes, (("2016", "before"), ("2017", "after"))):
    layers[vintage]["builtup"].boundary.plot(ax=ax, color="#999", linewidth=0.8)
    layers[vintage]["green"].plot(ax=ax, color="#9fd59f")
    layers[vintage]["roads"].plot(ax=ax, color="#555", linewidth=0.8)
    ax.set_title(f"蒲州镇 {title} (illustrative)")
    ax.set_axis_off()
new = layers["pieces"][layers["pieces"]["change"] == "added"]
new[new["layer"] == "roads"].plot(ax=axes[1], color="#d62728", linewidth=2.5)
new[new["layer"] == "green"].plot(ax=axes[1], color="#1a7f37")
x0, y0, x1, y1 = layers["after"]["builtup"].total_bounds
axes[0].set_xlim(x0 - 100, x1 + 100)
axes[0].set_ylim(y0 - 100, y1 + 100)
fig.suptitle("new roads (red) and new green (dark green) 2016 → 2017")
plt.show()
"""),
    md("""
## 6. The deliverables: 周报, programme summary, acceptance records, before and after

Each result has its outputs, in Chinese by default: a self-contained page (prints on A4) and a
workbook; the acceptance record of each town also as a Word document (验收记录); the comparison as two
synchronised offline maps and a per-project atlas. Every figure in them is the computation's. The same
from the command line: `townplan programme`, `townplan progress`, `townplan acceptance`,
`townplan compare` (exit 3 when the checks find a problem).
"""),
    code("""
from pathlib import Path

out = Path("outputs/07")
written = {
    "programme": tp.write_programme(p, out / "programme", illustrative=True),
    "weekly": tp.write_progress(weeks, out / "weekly", illustrative=True),
    "acceptance": tp.write_acceptance(acc, out / "acceptance", county="渭城区", illustrative=True),
    "compare": tp.write_comparison(cmp, out / "compare", town="蒲州镇", atlas=False, illustrative=True),
}
assert (out / "acceptance" / "records" / "底张镇.docx").exists()
files = {f"{what}/{k}": v for what, fs in written.items() for k, v in fs.items()}
{k: str(v) for k, v in files.items() if not k.startswith(("record:", "docx:"))}
"""),
    md("The acceptance record of 底张镇, as the inspectors sign it:"),
    code("""
from townplan_gis.deliverables.programme import record_html

tp.show_html(record_html(acc, "底张镇", illustrative=True))
"""),
    md("蒲州镇 in 2016 and 2017, the two maps moving together (offline: no basemap):"),
    code("""
tp.show_html(written["compare"]["map"], height=560)
"""),
]
