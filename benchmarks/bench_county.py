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

ENGINES = (
    "review",
    "review-overlap",
    "review-dask",
    "overlay",
    "postgis",
    "postgis-subdivide",
    "floor-1t",
    "floor-2t",
    "indicators",
)
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
    # Tree on the parcels, lines as the (prepared) query geometries: a 10,000-vertex river is
    # prepared once instead of being walked for every parcel near it.
    tree = shapely.STRtree(a)
    right, left = tree.query(b, predicate="intersects")
    order = np.lexsort((right, left))
    left, right = left[order], right[order]
    a, b = a.copy(), b.copy()  # fresh, unprepared geometries for the timed part
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


def run_postgis(schema: str, *, subdivide: bool = False) -> tuple[dict, PeakRSS]:
    """The plain GiST join, or the expert's variant: lines cut by ST_Subdivide (timed too)."""
    import sqlalchemy as sa

    from townplan_gis import postgis

    eng = postgis._engine(_pg_url())
    # The schema name is ours (bench_<size>_<seed>), not user input.
    plain = f"""SELECT p.project_id, l.code, l.line_type,
               ST_Area(ST_Intersection(p.geometry, l.geometry)) AS area
          FROM "{schema}".projects p
          JOIN "{schema}".control_lines l ON ST_Intersects(p.geometry, l.geometry)"""
    pieces = f"""SELECT p.project_id, l.code, l.line_type,
               sum(ST_Area(ST_Intersection(p.geometry, l.geom))) AS area
          FROM "{schema}".projects p
          JOIN lsub l ON ST_Intersects(p.geometry, l.geom)
          GROUP BY 1, 2, 3"""
    prep = [
        "DROP TABLE IF EXISTS lsub",
        f"""CREATE TEMP TABLE lsub AS SELECT code, line_type, ST_Subdivide(geometry, 256) AS geom
            FROM "{schema}".control_lines""",
        "CREATE INDEX ON lsub USING gist (geom)",
        "ANALYZE lsub",
    ]
    with eng.connect() as conn:
        conn.execute(sa.text("SET max_parallel_workers_per_gather = 2"))
        conn.execute(sa.text("SELECT 1")).fetchall()  # warm connection
        mem = PeakRSS(extra=_postgres_pids)
        t0 = time.perf_counter()
        with mem:
            if subdivide:
                for stmt in prep:
                    conn.execute(sa.text(stmt))
            rows = conn.execute(sa.text(pieces if subdivide else plain)).fetchall()
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


def county_towns(n: int) -> list:
    """``n`` towns of a county: the Puzhou sample moved onto a 6 km grid, populations varied."""
    import townplan_gis as tp

    base = tp.sample_town()
    towns = []
    for i in range(n):
        dx, dy = (i % 20) * 6000.0, (i // 20) * 6000.0
        layers = {k: g.set_geometry(g.geometry.translate(dx, dy)) for k, g in base.layers.items()}
        pop = base.population * (0.5 + i / n)
        towns.append(
            tp.Town(
                f"镇{i:03d}",
                layers=layers,
                population=pop,
                statistics=base.statistics,
                crs=base.crs,
            )
        )
    return towns


def run_indicators(towns) -> dict:
    import townplan_gis as tp

    t0 = time.perf_counter()
    ind = [t.indicators() for t in towns]
    t_ind = time.perf_counter() - t0
    ranked = tp.assess_many(towns, "ezhou-2017", progress=False)
    return {
        "indicators_s": t_ind,
        "indicator_rows": int(sum(len(x) for x in ind)),
        "ranked_towns": len(ranked),
    }


def run_review(projects, lines, *, engine: str, setbacks: bool = True) -> dict:
    import townplan_gis as tp

    kwargs = {"setbacks": setbacks}
    cluster = client = None
    extra = {}
    if engine == "dask":
        from distributed import Client, LocalCluster

        t0 = time.perf_counter()
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        extra["cluster_start_s"] = time.perf_counter() - t0
        kwargs["engine"] = "dask"  # review() uses the Client in effect (dask idiom)
        # Cold workers import geopandas/shapely/townplan_gis on their first task: measured apart.
        t0 = time.perf_counter()
        tp.review(projects.iloc[:200], lines, progress=False, **kwargs)
        extra["warmup_s"] = time.perf_counter() - t0
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
    return {**res, **extra}


def one(engine: str, size: int, seed: int) -> dict:
    """Run one engine on one county in this process; returns its measurements."""
    from county import make_county

    import townplan_gis  # noqa: F401  (import cost outside the timing)

    if engine == "indicators":
        towns = county_towns(size)
        mem = PeakRSS()
        t0 = time.perf_counter()
        with mem:
            res = run_indicators(towns)
        return {
            "engine": engine,
            "towns": size,
            "wall_s": time.perf_counter() - t0,
            **res,
            "peak_rss_mb": mem.peak / 2**20,
            "delta_rss_mb": (mem.peak - mem.base) / 2**20,
        }
    county = make_county(size, seed=seed)
    projects, lines = county["projects"], county["control_lines"]
    out = {"engine": engine, "parcels": size, "lines": len(lines), "seed": seed}
    if engine.startswith("postgis"):
        if not _pg_url():
            return {**out, "skipped": "no TOWNPLAN_BENCH_PG / TOWNPLAN_TEST_PG"}
        schema = f"bench_{size}_{seed}_{engine.replace('-', '_')}"
        out["load_s"] = load_postgis(projects, lines, schema)
        res, mem = run_postgis(schema, subdivide=engine == "postgis-subdivide")
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
        elif engine == "review-overlap":
            res = run_review(projects, lines, engine="memory", setbacks=False)
        elif engine == "review-dask":
            res = run_review(projects, lines, engine="dask")
        else:
            raise SystemExit(f"unknown engine {engine}")
    out["wall_s"] = time.perf_counter() - t0
    out.update(res)
    if "engine_wall_s" in res:  # the review() call alone (a dask cluster's start is reported apart)
        out["total_s"], out["wall_s"] = out["wall_s"], res["engine_wall_s"]
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
    """Markdown: median wall time over repeats with min–max, memory, ratios, and the targets."""
    df = pd.DataFrame([r for r in results if "wall_s" in r and r.get("engine") != "indicators"])
    out = []
    if not df.empty:
        for col in ("load_s", "server_delta_rss_mb", "pairs", "area_m2"):
            if col not in df:
                df[col] = np.nan
        agg = (
            df.groupby(["parcels", "engine"], sort=False)
            .agg(
                lines=("lines", "first"),
                runs=("wall_s", "size"),
                wall_s=("wall_s", "median"),
                wall_min=("wall_s", "min"),
                wall_max=("wall_s", "max"),
                delta_rss_mb=("delta_rss_mb", "median"),
                server_mb=("server_delta_rss_mb", "median"),
                load_s=("load_s", "median"),
                pairs=("pairs", "first"),
                area_m2=("area_m2", "first"),
            )
            .reset_index()
        )
        out += [
            "| parcels × lines | engine | wall s (median) | min–max | runs | Δ peak RSS MB "
            "| pairs > 0.01 m² | total overlap m² | time ÷ review | time ÷ review-overlap |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for parcels, block in agg.groupby("parcels", sort=False):
            ref = {e: block.loc[block.engine == e, "wall_s"] for e in ("review", "review-overlap")}
            ref = {e: float(v.iloc[0]) if len(v) else np.nan for e, v in ref.items()}
            for r in block.itertuples():
                mem = f"{r.delta_rss_mb:,.0f}"
                if np.isfinite(r.server_mb):
                    mem += f" (+ server {r.server_mb:,.0f}; load {r.load_s:.1f} s)"
                out.append(
                    f"| {parcels:,} × {r.lines:,} | {r.engine} | {r.wall_s:.2f} "
                    f"| {r.wall_min:.2f}–{r.wall_max:.2f} | {r.runs} | {mem} | {r.pairs:,.0f} "
                    f"| {r.area_m2:,.1f} | {r.wall_s / ref['review']:.2f} "
                    f"| {r.wall_s / ref['review-overlap']:.2f} |"
                )
    for r in results:
        if str(r.get("error", "")).startswith("timeout"):
            out.append(
                f"| {r['parcels']:,} × {r.get('lines', r['parcels'] // 10):,} | {r['engine']} "
                f"| > {r['error'].split()[1]} (stopped) | | 1 | | | | | |"
            )
    if not df.empty:
        out.append("")
        for parcels, block in agg.groupby("parcels", sort=False):
            w = dict(zip(block.engine, block.wall_s, strict=True))
            bits = []
            for eng in ("review", "review-overlap"):
                if eng not in w:
                    continue
                t = w[eng]
                if "overlay" in w:
                    bits.append(f"{eng}: overlay ÷ it = {w['overlay'] / t:.2f} (target ≥ 5)")
                for pg in ("postgis", "postgis-subdivide"):
                    if pg in w:
                        bits.append(f"{eng}: {pg} ÷ it = {w[pg] / t:.2f} (target ≥ 1)")
                if "floor-2t" in w:
                    bits.append(f"{eng}: it ÷ floor-2t = {t / w['floor-2t']:.2f} (target ≤ 1.5)")
            if bits:
                out.append(f"- {parcels:,} parcels: " + "; ".join(bits))
    ind = [r for r in results if r.get("engine") == "indicators" and "wall_s" in r]
    if ind:
        t = [r["indicators_s"] for r in ind]
        w = [r["wall_s"] for r in ind]
        out.append(
            f"- indicators for {ind[0]['towns']} towns (Puzhou-sized): town.indicators() "
            f"{np.median(t):.2f} s (min–max {min(t):.2f}–{max(t):.2f}, target < 10 s); with "
            f"assess_many ranking {np.median(w):.2f} s"
        )
    return "\n".join(out) if out else "(no results)"


def _no_convex() -> None:
    """Switch off the numpy clipping of convex polygons (every pair goes to GEOS), to measure what
    it contributes on this county, whose parcels and road strips are all convex quadrilaterals."""
    from functools import partial

    from townplan_gis.review import kernel, projects
    from townplan_gis.review.convex import convex_rings

    kernel.convex_rings = projects.convex_rings = partial(convex_rings, max_vertices=0)


def _spawn(engine: str, size: int, seed: int, timeout: float, *, no_convex: bool = False) -> dict:
    """One engine in a fresh interpreter, so its peak memory and imports are its own."""
    cmd = [sys.executable, __file__, "--one", engine, str(size), str(seed)]
    if no_convex:
        cmd.append("--no-convex")
    fail = {"engine": engine, "parcels": size}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {**fail, "error": f"timeout {timeout:.0f} s"}
    if proc.returncode != 0:
        return {**fail, "error": proc.stderr.strip()[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="County-scale review benchmark")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--towns", type=int, default=200, help="towns for the indicators engine")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per engine run")
    ap.add_argument("--out", type=Path, default=HERE / "results.json")
    ap.add_argument("--one", nargs=3, metavar=("ENGINE", "SIZE", "SEED"), help=argparse.SUPPRESS)
    ap.add_argument("--table", type=Path, nargs="+", help="print the table of earlier JSON results")
    ap.add_argument(
        "--no-convex",
        action="store_true",
        help="review engines without the numpy clipping of convex polygons (GEOS for every pair), "
        "to measure what that fast path contributes on this county of quadrilaterals",
    )
    args = ap.parse_args(argv)
    if args.no_convex:
        _no_convex()
    if args.table:
        print(table([r for f in args.table for r in json.loads(f.read_text())["results"]]))
        return
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), int(args.one[2]))))
        return
    results = []
    host = machine()  # load average before the run: the machine may be shared
    jobs = [(e, size) for size in args.sizes for e in args.engines if e != "indicators"]
    if "indicators" in args.engines:
        jobs.append(("indicators", args.towns))
    for rep in range(args.repeat):
        for engine, size in jobs:
            res = _spawn(engine, size, args.seed, args.timeout, no_convex=args.no_convex)
            if args.no_convex and engine.startswith("review"):
                res["engine"] = f"{engine} (no convex)"
            res["repeat"] = rep
            results.append(res)
            print(json.dumps({k: v for k, v in res.items() if k != "error"}), flush=True)
            if "error" in res:
                print(f"  error: {res['error'][-500:]}", file=sys.stderr, flush=True)
    host["load_avg_at_end"] = os.getloadavg()
    doc = {"machine": host, "results": results, "table": table(results)}
    args.out.write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=str))
    print(doc["table"])


if __name__ == "__main__":
    main()
