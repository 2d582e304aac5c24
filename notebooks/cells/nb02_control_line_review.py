"""Cells of notebooks/02_control_line_review.ipynb (built by notebooks/build_notebooks.py)."""

from __future__ import annotations

from _cells import code, md

CELLS = [
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
