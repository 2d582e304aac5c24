"""Benchmark: the planning analyses of issue #18 at county scale.

* ``check_lines`` — the control-line self-check of the 10⁴ control-line polygons of
  ``county.make_county(100_000)`` (55 % road corridors crossing each other, parks, meandering rivers
  and green belts of thousands of vertices, heritage cores and rings, utility corridors);
* ``buildable_land`` — the buildable land of its 10⁵ parcels (rotated rectangles 25–55 m) against the
  same lines, with the setback bands (relaxed and strict), the widest point and the usable part;
* ``park_service_coverage`` + ``life_circles`` — the service coverage of ``bench_indicators``'
  synthetic town (10⁴ road segments, 5,000 green polygons, 100 residential quarters), on the street
  network.

Goal (issue #18): the first two "in seconds". Each is timed ``--repeat`` times; the best wall time and
the process CPU time (summed over threads) are printed, with the load average before and after,
because other jobs share the machine's 2 cores.

Run: ``python benchmarks/bench_analyses.py [--parcels 100000] [--repeat 3]``.

Measured (2026-12, this 2-core machine shared with other jobs, load average 4–5 during the run; best
of 2; CPU = process time summed over both threads):

==========================  =========  ========  ==============================================
step                         wall (s)   CPU (s)   result
==========================  =========  ========  ==============================================
check_lines, 10⁴ lines          12.1       6.1    24,371 patches (1,108 conflict, 4,604 check)
buildable_land, 10⁵ parcels     48.6      21.1    79,119 parcels buildable, 59.0 % of the land
park coverage, 10⁴ roads         0.65      0.41   77.5 % of residential land (2,480 cells)
life circles, 7 categories       0.22      0.17
==========================  =========  ========  ==============================================

The wall times are those of a loaded machine (other jobs had the cores about half the time); the CPU
time is the steadier figure. On an idle machine the two threads would bring the wall time towards
half the CPU time (about 3 s and 11 s; not measured: the machine was never idle). Most of the latter is GEOS overlays, about three per
parcel and line nearby (the line's own land, the relaxed and the strict setback zone): a parcel
wholly inside a zone skips them, and the strict variant is redone only where its zones reach
further.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_indicators import synthetic_town  # noqa: E402
from county import make_county  # noqa: E402

from townplan_gis.analyses import (  # noqa: E402
    buildable_land,
    check_lines,
    life_circles,
    park_service_coverage,
)


def _time(fn, repeat: int):
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus), out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(
        f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} cores"
    )
    county = make_county(args.parcels)
    lines, parcels = county["control_lines"], county["projects"][["geometry"]]
    print(f"county: {len(parcels):,} parcels, {len(lines):,} control-line polygons")

    wall, cpu, result = _time(lambda: check_lines(lines), args.repeat)
    counts = result.patches["severity"].value_counts().to_dict()
    print(
        f"check_lines     {wall:7.2f} s wall  {cpu:7.2f} s CPU   {len(result.patches):,} patches {counts}"
    )

    wall, cpu, result = _time(lambda: buildable_land(parcels, lines), args.repeat)
    ok = int(result["buildable"].sum())
    print(
        f"buildable_land  {wall:7.2f} s wall  {cpu:7.2f} s CPU   {ok:,} of {len(result):,} parcels "
        f"buildable; {result['buildable_m2'].sum() / result['gross_m2'].sum():.1%} of the land"
    )

    town = synthetic_town()
    wall, cpu, cov = _time(lambda: park_service_coverage(town), args.repeat)
    print(
        f"park coverage   {wall:7.2f} s wall  {cpu:7.2f} s CPU   "
        f"{cov.summary['coverage_pct']:.1f} % ({len(town.roads):,} road segments, {len(cov.cells):,} cells)"
    )
    wall, cpu, lc = _time(lambda: life_circles(town), args.repeat)
    print(f"life circles    {wall:7.2f} s wall  {cpu:7.2f} s CPU   {len(lc)} categories")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
