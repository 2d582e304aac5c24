"""Deliverables: workbook and report time against plain baselines, side by side in one process.

    python benchmarks/bench_deliverables.py --rows 3000 21000

* workbook — ``tp.to_excel(review=...)`` (translated labels, units, per-row fills, number formats, frozen
  and filtered headers, CJK widths) vs ``DataFrame.to_excel`` of the same two frames with openpyxl and no
  styling: the ratio is the price of a planner-ready sheet.
* report — ``tp.report`` of the sample town (indicators, scorecard, review, charts, embedded map) vs
  the same computations without the page (``indicators`` + ``assess`` + ``review`` + ``plan_map``
  rendered offline): the ratio is the cost of charts and templating.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from report_helpers import fake_review

import townplan_gis as tp


def _review(rows: int):
    rv = fake_review()
    k = max(1, rows // 3)
    rv.conflicts = gpd.GeoDataFrame(
        pd.concat([rv.conflicts] * k, ignore_index=True), geometry="geometry", crs=rv.conflicts.crs
    )
    rv.projects = gpd.GeoDataFrame(
        pd.concat([rv.projects] * k, ignore_index=True), geometry="geometry", crs=rv.projects.crs
    )
    return rv


def _time(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_workbook(rows: int, repeat: int, out: Path) -> None:
    rv = _review(rows)

    def plain():
        with pd.ExcelWriter(out / "plain.xlsx", engine="openpyxl") as xw:
            pd.DataFrame(rv.conflicts.drop(columns="geometry")).to_excel(
                xw, sheet_name="c", index=False
            )
            pd.DataFrame(rv.projects.drop(columns="geometry")).to_excel(
                xw, sheet_name="p", index=False
            )

    def ours():
        tp.to_excel(out / "ours.xlsx", review=rv)

    a, b = _time(plain, repeat), _time(ours, repeat)
    n = len(rv.conflicts) + len(rv.projects)
    print(
        f"workbook {n:>7,} rows: pandas.to_excel {a:6.2f} s | tp.to_excel {b:6.2f} s | ratio {b / a:4.2f}"
    )


def bench_report(repeat: int, out: Path) -> None:
    town = tp.sample_town()

    def parts():
        ind = tp.town_indicators(town)
        tp.assess(ind, "ezhou-2017")
        rv = tp.review(town.projects, town.control_lines, progress=False)
        tp.maps.render_html(tp.plan_map(town, review=rv, basemap="none"))

    def ours():
        tp.report(town, standard="ezhou-2017", review=True, path=out / "r.html", progress=False)

    a, b = _time(parts, repeat), _time(ours, repeat)
    print(f"report (Puzhou): computations {a:6.2f} s | tp.report {b:6.2f} s | ratio {b / a:4.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[3000, 21000])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for rows in args.rows:
            bench_workbook(rows, args.repeat, out)
        bench_report(args.repeat, out)


if __name__ == "__main__":
    main()
