"""The sample town's full ``townplan report`` end to end, and where its time goes.

    python benchmarks/bench_report.py                 # 3 runs of the command, then the stages
    python benchmarks/bench_report.py --repeat 5 --pdf

* command — ``python -m townplan_gis.cli report layers/puzhou.gpkg --out TMP`` in a fresh interpreter
  (imports included, as a planner runs it): wall time and the CPU time of the child process. The
  target of issue #16 is under 10 s. ``--pdf`` adds ``--pdf`` (the report printed by headless Chromium).
* stages — the same work in one process, step by step: read the town, indicators, scorecard, review,
  the report's embedded map page, the report page (charts and template), the workbook, the web map.

The machine is shared: the 1-minute load average before and after each run is printed with it (a
load above the number of cores makes the wall time longer than the CPU time).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "layers" / "puzhou.gpkg"


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_command(repeat: int, pdf: bool) -> list[dict]:
    env = {**os.environ, "TOWNPLAN_PROGRESS": "0", "PYTHONPATH": str(ROOT)}
    runs = []
    for i in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            args = [sys.executable, "-m", "townplan_gis.cli", "report", str(SAMPLE), "--out", out]
            args += ["--pdf"] if pdf else []
            load0, cpu0, t0 = os.getloadavg()[0], _children_cpu(), time.perf_counter()
            done = subprocess.run(args, env=env, capture_output=True, text=True)
            wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
            if done.returncode != 0:
                raise SystemExit(f"townplan report failed:\n{done.stderr[-2000:]}")
            sizes = {p.name: p.stat().st_size for p in Path(out).iterdir() if p.is_file()}
        runs.append({"run": i + 1, "wall_s": wall, "cpu_s": cpu, "load_before": load0,
                     "load_after": os.getloadavg()[0], "files": sizes})  # fmt: skip
    return runs


def run_stages() -> list[tuple[str, float]]:
    t0 = time.perf_counter()
    import townplan_gis as tp
    from townplan_gis.pipeline import Pipeline

    stages = [("import townplan_gis", time.perf_counter() - t0)]

    def step(name, fn):
        t = time.perf_counter()
        value = fn()
        stages.append((name, time.perf_counter() - t))
        return value

    town = step("read_town", lambda: tp.read_town(SAMPLE))
    job = Pipeline(town, standard="ezhou-2017", lang="zh", progress=False)
    step("indicators", lambda: job.indicators)
    step("scorecard", lambda: job.scorecard)
    step("review", lambda: job.review)
    step("report map page", lambda: job.map_page(basemap="none", collapse_layer_control=True))
    with tempfile.TemporaryDirectory() as out:
        step("report page + write", lambda: job.write_report(Path(out) / "report.html"))
        step("workbook", lambda: job.write_workbook(Path(out) / "workbook.xlsx"))
        step("web map", lambda: job.write_map(Path(out) / "map.html"))
    return stages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pdf", action="store_true", help="time `townplan report --pdf`")
    ap.add_argument("--no-stages", action="store_true")
    a = ap.parse_args()
    print(f"cores: {os.cpu_count()}; load average now: {os.getloadavg()[0]:.2f}")
    runs = run_command(a.repeat, a.pdf)
    label = "townplan report --pdf" if a.pdf else "townplan report"
    print(f"\n{label} {SAMPLE.relative_to(ROOT)}")
    print(f"{'run':>4} {'wall s':>8} {'cpu s':>8} {'load before':>12} {'load after':>11}")
    for r in runs:
        print(f"{r['run']:>4} {r['wall_s']:>8.2f} {r['cpu_s']:>8.2f} {r['load_before']:>12.2f} {r['load_after']:>11.2f}")  # fmt: skip
    best = min(r["wall_s"] for r in runs)
    print(f"best wall {best:.2f} s (target < 10 s: {'met' if best < 10 else 'NOT met'})")
    print(
        "files: " + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sorted(runs[-1]["files"].items()))
    )
    if not a.no_stages:
        print("\nstages in one process")
        for name, s in run_stages():
            print(f"  {name:<22} {s:>6.2f} s")


if __name__ == "__main__":
    main()
