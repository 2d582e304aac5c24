"""Cells of notebooks/03_county_ranking.ipynb (built by notebooks/build_notebooks.py)."""

from __future__ import annotations

from _cells import code, md

CELLS = [
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
for town in towns:  # indicators computed once per town, for the scorecard and the sheet
    tp.Pipeline(town, standard="weicheng-2017", review=False).write_workbook(out / f"{town.name}.xlsx")
best = next(t for t in towns if t.name == ranking.iloc[0]["town"])
path = tp.report(best, standard="weicheng-2017", path=out / "leader_report.html")
sorted(p.name for p in out.glob("*.xlsx")), path.name
"""),
]
