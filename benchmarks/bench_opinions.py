"""Review opinions (审查意见书) of a county at once: 1,000 projects under 60 s (issue #16).

    python benchmarks/bench_opinions.py --projects 1000 --formats html docx [--workers 2] [--pdf 100]

A synthetic county (``county.make_county``: parcels and the five control lines in EPSG:4546, a
boundary around them) is reviewed once; then ``write_opinions`` writes one opinion per project in each
format, each with its location map. The review itself is not timed (``benchmarks/bench_review.py``).
Before issue #16 an opinion drew its map on a new matplotlib figure with GeoPandas and a tight bounding
box, and rebuilt its conflict table from the whole review: 26 opinions took 17 s (0.65 s each).
``--pdf N`` also prints the first N as PDF through headless Chromium (chunks of 60 per Chromium run).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))

from county import make_county

import townplan_gis as tp
from townplan_gis.deliverables import write_opinions


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the forked writers): the work done,
    whatever else the machine's cores are busy with."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def county_town(n: int) -> tp.Town:
    layers = make_county(n, seed=16)
    box = shapely.box(*layers["projects"].total_bounds).buffer(500)
    boundary = gpd.GeoDataFrame(geometry=[box], crs=layers["projects"].crs)
    return tp.Town("测试县", layers={**layers, "boundary": boundary})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--formats", nargs="+", default=["html", "docx"], choices=["html", "docx"])
    ap.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    ap.add_argument("--pdf", type=int, default=0, help="also print this many as PDF")
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args()
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    town = county_town(args.projects)
    review = tp.review(town, progress=False)
    _ = review.checks  # the nearest-feature search of the evidence table, not an opinion's cost
    verdicts = review.verdict_counts().to_dict()
    results = {"projects": len(review.projects), "conflicts": len(review.conflicts),
               "verdicts": verdicts, "cores": os.cpu_count(), "uptime_before": load, "runs": {}}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats:
            c0 = _cpu()
            t0 = time.perf_counter()
            index = write_opinions(review, Path(tmp) / fmt, town=town, format=fmt,
                                   workers=args.workers)  # fmt: skip
            dt, cpu = time.perf_counter() - t0, _cpu() - c0
            results["runs"][fmt] = {"opinions": len(index), "seconds": round(dt, 2),
                                    "ms_per_opinion": round(1000 * dt / len(index), 1),
                                    "cpu_seconds": round(cpu, 2),
                                    "workers": args.workers or "auto"}  # fmt: skip
            print(f"{fmt:>5}: {len(index)} opinions in {dt:.1f} s "
                  f"({1000 * dt / len(index):.0f} ms each; {cpu:.1f} s of CPU in all processes)")  # fmt: skip
        if args.pdf:
            ids = review.projects["project_id"].astype(str).tolist()[: args.pdf]
            t0 = time.perf_counter()
            index = write_opinions(review, Path(tmp) / "pdf", town=town, format="pdf", projects=ids)
            dt = time.perf_counter() - t0
            results["runs"]["pdf"] = {"opinions": len(index), "seconds": round(dt, 2),
                                      "ms_per_opinion": round(1000 * dt / len(index), 1)}  # fmt: skip
            print(
                f"  pdf: {len(index)} opinions in {dt:.1f} s ({1000 * dt / len(index):.0f} ms each)"
            )
    results["uptime_after"] = subprocess.run(
        ["uptime"], capture_output=True, text=True
    ).stdout.strip()
    print(f"load: before {load}; after {results['uptime_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
