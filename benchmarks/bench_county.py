"""County-scale benchmark: tp.review() in memory and on dask versus geopandas.overlay and PostGIS.

One run, one synthetic county (``benchmarks/county.py``, deterministic), every engine on the same data,
each in its own subprocess so that its peak memory is its own:

``review``        ``tp.review(projects, control_lines)``, the default in-memory engine (2 threads);
``review-dask``   ``tp.review(..., engine="dask")`` on a local 2-worker ``distributed`` cluster;
``overlay``       ``geopandas.overlay(how="intersection")`` then area and ``groupby`` per project ×
                  line type: what an analyst writes by hand;
``postgis``       the same data COPYed into PostGIS with GiST indexes and ANALYZEd (load time reported
                  apart), then ``ST_Intersects`` join + ``ST_Area(ST_Intersection(…))``, fetched and
                  grouped per project × line type;
``floor-1t`` / ``floor-2t``  the GEOS floor: the pairs whose geometries truly intersect are found
                  beforehand (not timed); timed is only ``shapely.intersection`` + ``area`` of exactly
                  those pairs, on 1 thread and split over 2 threads.

Wall time is measured around the engine call only (data generation and loading excluded). Memory is
the peak resident set size sampled every 20 ms by a thread (psutil) during the call, minus the RSS
just before it ("Δ peak"); for PostGIS the server processes' RSS is sampled too. Every engine reports
the number of (project, line) pairs with overlap area > 0.01 m² and their total area, so the table
shows that all engines computed the same thing.

Usage::

    python benchmarks/bench_county.py --sizes 10000 100000 --repeat 3 --out benchmarks/results.json
    python benchmarks/bench_county.py --sizes 100000 --engines review floor-2t   # a subset

PostGIS comes from ``TOWNPLAN_BENCH_PG`` or ``TOWNPLAN_TEST_PG`` (``.ci/run`` starts one); without
it the postgis engine is skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

ENGINES = ("review", "review-dask", "overlay", "postgis", "floor-1t", "floor-2t")
NOISE_M2 = 0.01


class PeakRSS:
    """Peak RSS (bytes) of this process — and of extra pids, e.g. PostgreSQL servers — while active."""

    def __init__(self, extra=None, interval: float = 0.02):
        import psutil

        self._psutil = psutil
        self._me = psutil.Process()
        self._extra = extra or (lambda: [])
        self.interval = interval
        self.base = self._me.memory_info().rss
        self.base_extra = self._extra_rss()
        self.peak = self.base
        self.peak_extra = self.base_extra
        self._stop = threading.Event()

    def _extra_rss(self) -> int:
        total = 0
        for pid in self._extra():
            try:
                total += self._psutil.Process(pid).memory_info().rss
            except self._psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._me.memory_info().rss)
            self.peak_extra = max(self.peak_extra, self._extra_rss())
            self._stop.wait(self.interval)

    def __enter__(self):
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self._me.memory_info().rss)


def _pairs_summary(project_id, line_id, area) -> dict:
    area = np.asarray(area, dtype=float)
    keep = area > NOISE_M2
    return {"pairs": int(keep.sum()), "area_m2": float(area[keep].sum())}


# -- engines ----------------------------------------------------------------------------------------


def run_overlay(projects, lines) -> dict:
    import geopandas as gpd

    out = gpd.overlay(
        projects[["project_id", "geometry"]],
        lines[["code", "line_type", "geometry"]],
        how="intersection",
        keep_geom_type=True,
    )
    out["area"] = out.area
    per_type = out.groupby(["project_id", "line_type"])["area"].sum()
    pairs = out.groupby(["project_id", "code"])["area"].sum()
    res = _pairs_summary(None, None, pairs.to_numpy())
    res["project_type_rows"] = len(per_type)
    return res


def _true_pairs(projects, lines):
    import shapely

    a = np.asarray(projects.geometry.array, dtype=object)
    b = np.asarray(lines.geometry.array, dtype=object)
    tree = shapely.STRtree(b)
    left, right = tree.query(a, predicate="intersects")
    return a[left], b[right], left, right


def run_floor(projects, lines, *, threads: int, prepared=None) -> dict:
    import shapely

    ga, gb, left, right = prepared

    def work(sl):
        return shapely.area(shapely.intersection(ga[sl], gb[sl]))

    n = len(ga)
    if threads == 1:
        area = work(slice(0, n))
    else:
        # Interleaved blocks balance the expensive river pairs between the threads.
        bounds = np.linspace(0, n, 64 * threads + 1).astype(int)
        blocks = [slice(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
        with ThreadPoolExecutor(threads) as ex:
            area = np.concatenate(list(ex.map(work, blocks)))
    return _pairs_summary(left, right, area)


def _pg_url() -> str | None:
    return os.environ.get("TOWNPLAN_BENCH_PG") or os.environ.get("TOWNPLAN_TEST_PG")


def load_postgis(projects, lines, schema: str) -> float:
    import sqlalchemy as sa

    from townplan_gis import postgis

    t0 = time.perf_counter()
    eng = postgis._engine(_pg_url())
    with eng.begin() as conn:
        conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))
        conn.execute(sa.schema.CreateSchema(schema))
        postgis.write_layer(projects[["project_id", "geometry"]], conn, "projects", schema=schema)
        postgis.write_layer(
            lines[["code", "line_type", "geometry"]], conn, "control_lines", schema=schema
        )
    with eng.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(sa.text(f'ANALYZE "{schema}".projects'))
        conn.execute(sa.text(f'ANALYZE "{schema}".control_lines'))
    eng.dispose()
    return time.perf_counter() - t0


def _postgres_pids() -> list[int]:
    import psutil

    return [
        p.pid
        for p in psutil.process_iter(["name"])
        if (p.info["name"] or "").startswith("postgres")
    ]


def run_postgis(schema: str) -> tuple[dict, PeakRSS]:
    import sqlalchemy as sa

    from townplan_gis import postgis

    eng = postgis._engine(_pg_url())
    sql = sa.text(
        f"""SELECT p.project_id, l.code, l.line_type,
               ST_Area(ST_Intersection(p.geometry, l.geometry)) AS area
          FROM "{schema}".projects p
          JOIN "{schema}".control_lines l ON ST_Intersects(p.geometry, l.geometry)"""
    )
    with eng.connect() as conn:
        conn.execute(sa.text("SET max_parallel_workers_per_gather = 2"))
        conn.execute(sa.text("SELECT 1")).fetchall()  # warm connection
        mem = PeakRSS(extra=_postgres_pids)
        t0 = time.perf_counter()
        with mem:
            rows = conn.execute(sql).fetchall()
            df = pd.DataFrame.from_records(
                rows, columns=["project_id", "code", "line_type", "area"]
            )
            per_type = df.groupby(["project_id", "line_type"])["area"].sum()
        wall = time.perf_counter() - t0
    eng.dispose()
    res = _pairs_summary(None, None, df["area"].to_numpy())
    res["project_type_rows"] = len(per_type)
    res["wall_s"] = wall
    return res, mem


def run_review(projects, lines, *, engine: str) -> dict:
    import townplan_gis as tp

    kwargs = {}
    cluster = client = None
    if engine == "dask":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        kwargs = {"engine": "dask", "client": client}
    try:
        t0 = time.perf_counter()
        rv = tp.review(projects, lines, progress=False, **kwargs)
        wall = time.perf_counter() - t0
    finally:
        if client is not None:
            client.close()
            cluster.close()
    ov = (
        rv.conflicts[rv.conflicts.get("check", "overlap") == "overlap"]
        if "check" in rv.conflicts
        else rv.conflicts
    )
    res = _pairs_summary(None, None, ov["overlap_area_m2"].to_numpy())
    res["verdicts"] = rv.projects["verdict"].value_counts().to_dict()
    res["engine_wall_s"] = wall
    return res


def one(engine: str, size: int, seed: int) -> dict:
    """Run one engine on one county in this process; returns its measurements."""
    from county import make_county

    import townplan_gis  # noqa: F401  (import cost outside the timing)

    county = make_county(size, seed=seed)
    projects, lines = county["projects"], county["control_lines"]
    out = {"engine": engine, "parcels": size, "lines": len(lines), "seed": seed}
    if engine == "postgis":
        if not _pg_url():
            return {**out, "skipped": "no TOWNPLAN_BENCH_PG / TOWNPLAN_TEST_PG"}
        schema = f"bench_{size}_{seed}"
        out["load_s"] = load_postgis(projects, lines, schema)
        res, mem = run_postgis(schema)
        out.update(res)
        out["peak_rss_mb"] = mem.peak / 2**20
        out["delta_rss_mb"] = (mem.peak - mem.base) / 2**20
        out["server_delta_rss_mb"] = (mem.peak_extra - mem.base_extra) / 2**20
        return out
    prepared = _true_pairs(projects, lines) if engine.startswith("floor") else None
    mem = PeakRSS()
    t0 = time.perf_counter()
    with mem:
        if engine == "overlay":
            res = run_overlay(projects, lines)
        elif engine.startswith("floor"):
            res = run_floor(projects, lines, threads=int(engine[-2]), prepared=prepared)
        elif engine == "review":
            res = run_review(projects, lines, engine="memory")
        elif engine == "review-dask":
            res = run_review(projects, lines, engine="dask")
        else:
            raise SystemExit(f"unknown engine {engine}")
    out["wall_s"] = time.perf_counter() - t0
    out.update(res)
    out["peak_rss_mb"] = mem.peak / 2**20
    out["delta_rss_mb"] = (mem.peak - mem.base) / 2**20
    return out


def machine() -> dict:
    import geopandas
    import shapely

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "geopandas": geopandas.__version__,
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
    }
    try:
        import psutil

        info["ram_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
        info["load_avg_at_start"] = os.getloadavg()
    except ImportError:
        pass
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(
                line.split(":", 1)[1].strip() for line in f if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return info


def table(results: list[dict]) -> str:
    """The markdown table: median wall time over repeats, spread, memory, ratios to review."""
    df = pd.DataFrame([r for r in results if "wall_s" in r])
    if df.empty:
        return "(no results)"
    g = df.groupby(["parcels", "engine"], sort=False)
    agg = g.agg(
        lines=("lines", "first"),
        runs=("wall_s", "size"),
        wall_s=("wall_s", "median"),
        wall_min=("wall_s", "min"),
        wall_max=("wall_s", "max"),
        delta_rss_mb=("delta_rss_mb", "median"),
        pairs=("pairs", "first"),
        area_m2=("area_m2", "first"),
    ).reset_index()
    lines = [
        "| parcels × lines | engine | wall s (median) | min–max | runs | Δ peak RSS MB | pairs | total overlap m² | review ÷ engine |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for parcels, block in agg.groupby("parcels", sort=False):
        base = block.loc[block.engine == "review", "wall_s"]
        base = float(base.iloc[0]) if len(base) else np.nan
        for r in block.itertuples():
            ratio = base / r.wall_s if np.isfinite(base) else np.nan
            lines.append(
                f"| {parcels:,} × {r.lines:,} | {r.engine} | {r.wall_s:.2f} | {r.wall_min:.2f}–{r.wall_max:.2f} "
                f"| {r.runs} | {r.delta_rss_mb:,.0f} | {r.pairs:,} | {r.area_m2:,.1f} | {ratio:.2f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="County-scale review benchmark")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per engine run")
    ap.add_argument("--out", type=Path, default=HERE / "results.json")
    ap.add_argument("--one", nargs=3, metavar=("ENGINE", "SIZE", "SEED"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), int(args.one[2]))))
        return
    results = []
    for size in args.sizes:
        for rep in range(args.repeat):
            for engine in args.engines:
                cmd = [sys.executable, __file__, "--one", engine, str(size), str(args.seed)]
                try:
                    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
                except subprocess.TimeoutExpired:
                    res = {
                        "engine": engine,
                        "parcels": size,
                        "error": f"timeout {args.timeout:.0f} s",
                    }
                else:
                    if proc.returncode != 0:
                        res = {
                            "engine": engine,
                            "parcels": size,
                            "error": proc.stderr.strip()[-2000:],
                        }
                    else:
                        res = json.loads(proc.stdout.strip().splitlines()[-1])
                res["repeat"] = rep
                results.append(res)
                shown = {k: v for k, v in res.items() if k not in ("error",)}
                print(json.dumps(shown), flush=True)
                if "error" in res:
                    print(f"  error: {res['error'][-500:]}", file=sys.stderr, flush=True)
    doc = {"machine": machine(), "results": results, "table": table(results)}
    args.out.write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=str))
    print(doc["table"])


if __name__ == "__main__":
    main()
