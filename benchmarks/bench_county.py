"""County-scale benchmark: tp.review() against the engines a user would pick instead.

One run, one synthetic county (``benchmarks/county.py``, deterministic; ``--layout county`` the
default county, ``peers`` the county of issue #14, ``peers-dense`` its memory-bound variant), every
engine on the same data, each in its own subprocess so that its peak memory is its own:

``review``        ``tp.review(projects, control_lines)``, the default in-memory engine (2 threads);
``review-overlap``  the same with ``setbacks=False``;
``review-reference``  ``tp.review(..., engine="reference")``, the plain reference engine of issue #14
                  (GEOS for every pair, no accelerator), on 2 threads;
``review-dask``   ``tp.review(..., engine="dask")`` on a local 2-worker ``distributed`` cluster;
``review-stream``  ``tp.review(..., out=<GeoPackage>)``: every row written chunk by chunk, none held
                  (the pairs are counted from the file afterwards, untimed);
``review-town``   the full review with a town's boundary as its coverage (:func:`town_boundary`:
                  13 % of the projects inside at 10⁵), so that most projects lie outside it: a county's
                  projects reviewed against one town's lines; each outside project is measured for
                  its part outside;
``overlay``       ``geopandas.overlay(how="intersection")`` then area and ``groupby`` per project ×
                  line type: what an analyst writes by hand;
``postgis``       the same data COPYed into PostGIS with GiST indexes and ANALYZEd (load time reported
                  apart), then ``ST_Intersects`` join + ``ST_Area(ST_Intersection(…))``, fetched and
                  grouped per project × line type; ``postgis-subdivide`` cuts the lines with
                  ``ST_Subdivide(geom, 256)`` first (timed);
``duckdb``        DuckDB with its spatial extension loaded from the ``duckdb-extension-spatial`` wheel
                  (nothing downloaded), ``SET threads=2``; geometries in as WKB through Arrow (load
                  reported apart), then ``ST_Intersects`` join + ``ST_Area(ST_Intersection(…))``
                  grouped per project × line;
``sedonadb``      SedonaDB (``sedonadb.connect()``, GeoDataFrames as views; load reported apart), the
                  same SQL;
``shapely-plain`` the plain shapely 2 kernel a user could write in 40 lines (:func:`plain_overlaps`:
                  lines of > 256 vertices cut into 500 m cells, one STRtree bulk query,
                  ``contains_properly`` shortcut, vectorised intersection and area; one thread);
``floor-1t`` / ``floor-2t``  the GEOS floor: the pairs whose geometries truly intersect are found
                  beforehand (not timed); timed is only ``shapely.intersection`` + ``area`` of exactly
                  those pairs, on 1 thread and split over 2 threads;
``floor-cut-1t`` / ``floor-cut-2t``  the floor of any plain engine (GEOS for every pair, like the
                  reference engine): the lines subdivided as the review does (pieces of ≤ 256
                  vertices) and the (parcel, piece) pairs that meet found beforehand, less those whose
                  parcel lies properly inside the piece (its overlap is the parcel: no intersection);
                  timed is ``shapely.intersection`` + ``area`` of the pairs left and the pieces summed
                  per (parcel, line), on 1 and 2 threads.

Wall time is measured around the engine call only (data generation and loading excluded; the
review's compiled kernels are loaded before it, ``Fast.load``, ≈ 0.45 s once per process, and
reported as its load like the peers'). Memory is
the peak resident set size sampled every 20 ms by a thread (psutil) during the call, minus the RSS
just before it ("Δ peak"); for PostGIS the server processes' RSS is sampled too. Every engine reports
the number of (project, line) pairs with overlap area > 0.01 m² and their total area, so the table
shows that all engines computed the same thing.

Usage::

    python benchmarks/bench_county.py --sizes 10000 100000 --repeat 3 --out benchmarks/results.json
    python benchmarks/bench_county.py --sizes 100000 --engines review floor-2t   # a subset
    python benchmarks/bench_county.py --layout peers --sizes 100000 --repeat 3   # issue #14's table

PostGIS comes from ``TOWNPLAN_BENCH_PG`` or ``TOWNPLAN_TEST_PG`` (``.ci/run`` starts one); without
it the postgis engines are skipped. DuckDB and SedonaDB come from the ``bench`` extra
(``pip install -e ".[bench]"``); without them those engines are reported as not available. A run
whose resident memory passes ``--mem-limit-gb`` stops itself and is reported as such, rather than
being killed by the system.
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
    "review-reference",
    "review-dask",
    "review-stream",
    "review-town",
    "overlay",
    "postgis",
    "postgis-subdivide",
    "duckdb",
    "sedonadb",
    "shapely-plain",
    "floor-1t",
    "floor-2t",
    "floor-cut-1t",
    "floor-cut-2t",
    "indicators",
)
LAYOUTS = ("county", "peers", "peers-dense")  # county.LAYOUTS, without importing geopandas here
NOISE_M2 = 0.01
MEM_LIMIT_EXIT = 3  # exit status of a run that stopped itself at --mem-limit-gb


class NotAvailable(Exception):
    """An engine that cannot run here (package not installed, engine not in this version)."""


class PeakRSS:
    """Peak RSS (bytes) of this process — and of extra pids, e.g. PostgreSQL servers — while active."""

    #: Resident bytes above which the process stops itself (``--mem-limit-gb``), so that a run too
    #: big for the machine is reported as such instead of swapping or meeting the system's killer.
    limit: float | None = None

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
            if self.limit is not None and self.peak > self.limit:
                sys.stderr.write(
                    f"memory limit: resident {self.peak / 2**30:.1f} GB passed "
                    f"{self.limit / 2**30:.1f} GB; run stopped\n"
                )
                sys.stderr.flush()
                os._exit(MEM_LIMIT_EXIT)
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


def release_freed_memory() -> None:
    """Give the memory the county's generator freed back to the system (glibc ``malloc_trim``),
    so that an engine's peak RSS is the data plus the engine, not the generator's leftovers."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc: nothing to give back this way
        pass


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


def _cut_pairs(projects, lines):
    """The pairs a plain engine must intersect (``floor-cut-*``; found untimed): every (parcel,
    piece) pair that meets, the lines subdivided as the review does, less the pairs whose parcel
    lies properly inside the piece. Returns the two geometry arrays, the (parcel, line) key of each
    pair and the keys and areas (the parcel's own) of the pairs left out."""
    import shapely

    from townplan_gis.fiveline.pieces import subdivide

    a = np.asarray(projects.geometry.array, dtype=object)
    pieces, owner = subdivide(np.asarray(lines.geometry.array, dtype=object), max_vertices=256)
    right, left = shapely.STRtree(a).query(pieces, predicate="intersects")
    shapely.prepare(pieces)
    inside = shapely.contains_properly(pieces[right], a[left])
    n = len(lines)
    kept = (left[inside] * n + owner[right[inside]], shapely.area(a[left[inside]]))
    left, right = left[~inside], right[~inside]
    order = np.lexsort((right, left))
    left, right = left[order], right[order]
    return a[left], pieces[right], (left * n + owner[right], *kept)


def run_floor(projects, lines, *, threads: int, prepared=None) -> dict:
    """``floor-*``: intersection + area of the pairs found beforehand (``_true_pairs``); with
    ``floor-cut-*`` (``_cut_pairs``) the pieces are then summed per (parcel, line) together with
    the pairs left out, as any engine that cuts its lines must."""
    import shapely

    ga, gb = prepared[0], prepared[1]

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
    if len(prepared) == 3:  # floor-cut: (parcels, pieces, (keys, keys left out, their areas))
        key, key_in, area_in = prepared[2]
        keys, at = np.unique(np.concatenate([key, key_in]), return_inverse=True)
        area = np.bincount(at, weights=np.concatenate([area, area_in]), minlength=len(keys))
    return _pairs_summary(None, None, area)


def plain_overlaps(
    parcels, lines, *, max_vertices: int = 256, cell_m: float = 500.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlap area of every intersecting (parcel, line) pair: the plain shapely 2 kernel.

    What a user who knows shapely 2 writes in about 40 lines, on one thread: lines of more than
    ``max_vertices`` vertices are cut into the cells of a ``cell_m`` grid (a river is then walked a
    cell at a time, not whole for every parcel); one ``STRtree`` bulk query of the parcels against
    the pieces; parcels properly inside a (prepared) piece take their own area
    (``contains_properly``), the others a vectorised ``intersection`` and ``area``; pieces summed
    back per line.

    Parameters
    ----------
    parcels, lines : array-like of shapely polygons
        In a metric CRS.
    max_vertices : int, default 256
    cell_m : float, default 500

    Returns
    -------
    parcel, line, area_m2 : numpy arrays
        Positions into ``parcels`` and ``lines`` and the overlap area in m² of every pair with a
        positive overlap (pairs touching along an edge or at a point are left out), sorted by
        parcel then line.
    """
    import shapely

    parcels = np.asarray(parcels, dtype=object)
    lines = np.asarray(lines, dtype=object)
    big = shapely.get_num_coordinates(lines) > max_vertices
    pieces, owner = [lines[~big]], [np.flatnonzero(~big)]
    for i in np.flatnonzero(big):
        x0, y0, x1, y1 = shapely.bounds(lines[i])
        gx = np.arange(np.floor(x0 / cell_m), np.ceil(x1 / cell_m))[:, None] * cell_m
        gy = np.arange(np.floor(y0 / cell_m), np.ceil(y1 / cell_m))[None, :] * cell_m
        cells = shapely.box(gx, gy, gx + cell_m, gy + cell_m).ravel()
        shapely.prepare(lines[i])
        cells = cells[shapely.intersects(lines[i], cells)]
        cut = shapely.get_parts(shapely.intersection(lines[i], cells))
        cut = cut[(shapely.get_type_id(cut) == 3) & (shapely.area(cut) > 0)]  # polygons only
        pieces.append(cut)
        owner.append(np.full(len(cut), i))
    pieces, owner = np.concatenate(pieces), np.concatenate(owner)
    parcel, piece = shapely.STRtree(pieces).query(parcels, predicate="intersects")
    shapely.prepare(pieces)  # each piece is tested against all the parcels it meets
    area = np.empty(len(piece))
    inside = shapely.contains_properly(pieces[piece], parcels[parcel])
    area[inside] = shapely.area(parcels[parcel[inside]])
    cross = ~inside
    area[cross] = shapely.area(shapely.intersection(parcels[parcel[cross]], pieces[piece[cross]]))
    key = parcel.astype(np.int64) * len(lines) + owner[piece]
    keys, at = np.unique(key, return_inverse=True)
    total = np.bincount(at, weights=area, minlength=len(keys))
    keep = total > 0
    return keys[keep] // len(lines), keys[keep] % len(lines), total[keep]


def run_plain(projects, lines) -> dict:
    parcel, line, area = plain_overlaps(projects.geometry.array, lines.geometry.array)
    return _pairs_summary(parcel, line, area)


def spatial_extension_path() -> Path:
    """The DuckDB spatial extension binary shipped by the ``duckdb-extension-spatial`` wheel for
    the installed duckdb version (they must match exactly)."""
    import importlib.resources

    try:
        import duckdb
        import duckdb_extension_spatial
    except ImportError as e:
        raise NotAvailable(f"{e.name} not installed (pip install -e '.[bench]')") from e
    root = importlib.resources.files(duckdb_extension_spatial) / "extensions"
    path = Path(str(root / f"v{duckdb.__version__}" / "spatial.duckdb_extension"))
    if not path.is_file():
        shipped = sorted(p.name for p in Path(str(root)).iterdir()) if root.is_dir() else []
        raise NotAvailable(
            f"duckdb {duckdb.__version__}: the duckdb-extension-spatial wheel has no "
            f"spatial.duckdb_extension for it (ships {', '.join(shipped) or 'none'}); pin both to "
            "the same version"
        )
    return path


_PEER_SQL = """SELECT p.project_id, l.code, l.line_type,
       sum(ST_Area(ST_Intersection(p.{g}, l.{g}))) AS area
  FROM projects p JOIN control_lines l ON ST_Intersects(p.{g}, l.{g})
 GROUP BY p.project_id, l.code, l.line_type"""


def _peer_result(df: pd.DataFrame) -> dict:
    per_type = df.groupby(["project_id", "line_type"])["area"].sum()
    res = _pairs_summary(None, None, df["area"].to_numpy(dtype=float))
    res["project_type_rows"] = len(per_type)
    return res


def load_duckdb(projects, lines):
    """An in-memory DuckDB with the spatial extension and both layers as GEOMETRY tables."""
    import pyarrow as pa
    import shapely

    path = spatial_extension_path()
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads=2")
    con.execute(f"LOAD '{path}'")
    p_in = pa.table(
        {
            "project_id": pa.array(projects["project_id"].astype(str).to_numpy(), pa.string()),
            "wkb": pa.array(shapely.to_wkb(projects.geometry.array), pa.binary()),
        }
    )
    l_in = pa.table(
        {
            "code": pa.array(lines["code"].astype(str).to_numpy(), pa.string()),
            "line_type": pa.array(lines["line_type"].astype(str).to_numpy(), pa.string()),
            "wkb": pa.array(shapely.to_wkb(lines.geometry.array), pa.binary()),
        }
    )
    con.register("p_in", p_in)
    con.register("l_in", l_in)
    con.execute("CREATE TABLE projects AS SELECT project_id, ST_GeomFromWKB(wkb) AS geom FROM p_in")
    con.execute(
        "CREATE TABLE control_lines AS SELECT code, line_type, ST_GeomFromWKB(wkb) AS geom FROM l_in"
    )
    con.unregister("p_in")
    con.unregister("l_in")
    return con


def run_duckdb(con) -> dict:
    df = con.execute(_PEER_SQL.format(g="geom")).df()
    return _peer_result(df)


def load_sedonadb(projects, lines):
    """A SedonaDB context with both GeoDataFrames as views, on two partitions (two cores)."""
    try:
        import sedonadb
    except ImportError as e:
        raise NotAvailable(f"{e.name} not installed (pip install -e '.[bench]')") from e
    sd = sedonadb.connect()
    sd.sql("SET datafusion.execution.target_partitions = 2").execute()
    sd.create_data_frame(projects[["project_id", "geometry"]]).to_view("projects")
    sd.create_data_frame(lines[["code", "line_type", "geometry"]]).to_view("control_lines")
    return sd


def run_sedonadb(sd) -> dict:
    df = sd.sql(_PEER_SQL.format(g="geometry")).to_pandas()
    return _peer_result(df)


def _pg_url() -> str | None:
    return os.environ.get("TOWNPLAN_BENCH_PG") or os.environ.get("TOWNPLAN_TEST_PG")


def load_postgis(projects, lines, schema: str) -> float:
    import sqlalchemy as sa

    from townplan_gis.io import postgis

    t0 = time.perf_counter()
    eng = postgis.engine(_pg_url())
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

    from townplan_gis.io import postgis

    eng = postgis.engine(_pg_url())
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
    ind = [tp.town_indicators(t) for t in towns]
    t_ind = time.perf_counter() - t0
    ranked = tp.assess_many(towns, "ezhou-2017", progress=False)
    return {
        "indicators_s": t_ind,
        "indicator_rows": int(sum(len(x) for x in ind)),
        "ranked_towns": len(ranked),
    }


def town_boundary(lines):
    """A town's boundary inside the county (``review-town``): a circle of 400 vertices, its radius
    0.18 of the lines' extent, centred at 0.3 / 0.4 of it (10 % of that extent; 13 % of the
    projects of the 10⁵ peers' county lie inside)."""
    import shapely

    x0, y0, x1, y1 = lines.total_bounds
    centre = shapely.Point(x0 + 0.3 * (x1 - x0), y0 + 0.4 * (y1 - y0))
    return centre.buffer(0.18 * (x1 - x0), quad_segs=100)


def run_review(projects, lines, *, engine: str, setbacks: bool = True, coverage=None) -> dict:
    import townplan_gis as tp

    kwargs = {"setbacks": setbacks, "coverage": coverage}
    if engine == "stream":
        return run_streamed(projects, lines)
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
    elif engine == "reference":
        kwargs["engine"] = "reference"
    try:
        t0 = time.perf_counter()
        rv = tp.review(projects, lines, progress=False, **kwargs)
        wall = time.perf_counter() - t0
    finally:
        if client is not None:
            client.close()
            cluster.close()
    # The overlap rows' areas alone: filtering the frame would copy its 10⁶–10⁷ rows inside the
    # memory measurement (it added 0.7 GB to the review's peak at 10⁶ parcels).
    area = rv.conflicts["overlap_area_m2"].to_numpy()
    if "check" in rv.conflicts:
        area = area[rv.conflicts["check"].to_numpy() == "overlap"]
    res = _pairs_summary(None, None, area)
    res["verdicts"] = rv.projects["verdict"].value_counts().to_dict()
    res["engine_wall_s"] = wall
    return {**res, **extra}


def run_streamed(projects, lines) -> dict:
    """``tp.review(..., out=<GeoPackage>)``: the rows written chunk by chunk, none held. The pairs
    are counted from the file afterwards (SQLite, outside the timed call)."""
    import sqlite3
    import tempfile

    import townplan_gis as tp

    with tempfile.TemporaryDirectory(prefix="townplan-bench-") as tmp:
        path = Path(tmp) / "conflicts.gpkg"
        t0 = time.perf_counter()
        rv = tp.review(projects, lines, progress=False, out=path)
        wall = time.perf_counter() - t0
        with sqlite3.connect(path) as con:
            n, area = con.execute(
                'SELECT count(*), sum(overlap_area_m2) FROM conflicts WHERE "check" = ? '
                "AND overlap_area_m2 > ?",
                ("overlap", NOISE_M2),
            ).fetchone()
        size = path.stat().st_size
    return {
        "pairs": int(n),
        "area_m2": float(area or 0.0),
        "verdicts": rv.projects["verdict"].value_counts().to_dict(),
        "engine_wall_s": wall,
        "rows_streamed": int(rv.n_conflicts),
        "gpkg_mb": size / 2**20,
    }


def reference_available() -> str | None:
    """None when ``tp.review`` has ``engine="reference"``, else why not (probed on one parcel)."""
    import geopandas as gpd
    import shapely

    import townplan_gis as tp
    from townplan_gis.core.errors import TownPlanError

    sq = [shapely.box(500_000, 3_850_000, 500_010, 3_850_010)]  # metres in EPSG:4546
    try:
        tp.review(
            gpd.GeoDataFrame({"project_type": ["building"]}, geometry=sq, crs="EPSG:4546"),
            gpd.GeoDataFrame({"line_type": ["green"]}, geometry=sq, crs="EPSG:4546"),
            engine="reference",
            progress=False,
        )
    except TownPlanError as e:
        if "engine" in str(e):
            return f"not available: {e}"
        raise
    return None


def one(engine: str, size: int, seed: int, layout: str = "county") -> dict:
    """Run one engine on one county in this process; returns its measurements."""
    from county import make_layout

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
    county = make_layout(layout, size, seed=seed)
    projects, lines = county["projects"], county["control_lines"]
    release_freed_memory()
    out = {"engine": engine, "layout": layout, "parcels": size, "lines": len(lines), "seed": seed}
    if engine.startswith("postgis"):
        if not _pg_url():
            return {**out, "skipped": "no TOWNPLAN_BENCH_PG / TOWNPLAN_TEST_PG"}
        schema = f"bench_{layout.replace('-', '_')}_{size}_{seed}_{engine.replace('-', '_')}"
        out["load_s"] = load_postgis(projects, lines, schema)
        res, mem = run_postgis(schema, subdivide=engine == "postgis-subdivide")
        out.update(res)
        out["peak_rss_mb"] = mem.peak / 2**20
        out["delta_rss_mb"] = (mem.peak - mem.base) / 2**20
        out["server_delta_rss_mb"] = (mem.peak_extra - mem.base_extra) / 2**20
        return out
    if engine == "review-reference":
        why = reference_available()
        if why:
            return {**out, "skipped": why}
    loaders = {"duckdb": load_duckdb, "sedonadb": load_sedonadb}
    db = None
    if engine in loaders:
        try:
            t0 = time.perf_counter()
            db = loaders[engine](projects, lines)
            out["load_s"] = time.perf_counter() - t0
        except NotAvailable as e:
            return {**out, "skipped": f"not available: {e}"}
    if engine in ("review", "review-overlap", "review-stream", "review-town"):
        # The accelerator's compiled kernels, loaded once per process (numba's set-up and the
        # kernels from their cache): reported apart, as the peers' loading is.
        from townplan_gis.fiveline.fast import Fast

        out["load_s"] = Fast.load()
    prepared = None
    town = town_boundary(lines) if engine == "review-town" else None
    if engine.startswith("floor-cut"):
        prepared = _cut_pairs(projects, lines)
    elif engine.startswith("floor"):
        prepared = _true_pairs(projects, lines)
    mem = PeakRSS()
    t0 = time.perf_counter()
    with mem:
        if engine == "overlay":
            res = run_overlay(projects, lines)
        elif engine == "shapely-plain":
            res = run_plain(projects, lines)
        elif engine == "duckdb":
            res = run_duckdb(db)
        elif engine == "sedonadb":
            res = run_sedonadb(db)
        elif engine == "review-reference":
            res = run_review(projects, lines, engine="reference")
        elif engine.startswith("floor"):
            res = run_floor(projects, lines, threads=int(engine[-2]), prepared=prepared)
        elif engine == "review":
            res = run_review(projects, lines, engine="memory")
        elif engine == "review-overlap":
            res = run_review(projects, lines, engine="memory", setbacks=False)
        elif engine == "review-dask":
            res = run_review(projects, lines, engine="dask")
        elif engine == "review-stream":
            res = run_review(projects, lines, engine="stream")
        elif engine == "review-town":
            res = run_review(projects, lines, engine="memory", coverage=town)
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
    for mod in ("duckdb", "sedonadb", "pyarrow"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            info[mod] = None
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


PEERS = (("overlay", "× overlay"), ("postgis", "× PostGIS"), ("sedonadb", "× SedonaDB"))
AGREE_REL = 1e-6  # total overlap areas of two engines agree when this close (relative)


def _fmt_ratio(x: float) -> str:
    return f"{x:.2f}" if np.isfinite(x) else ""


def _agreement(block: pd.DataFrame) -> str:
    """One line: do all engines of a (layout, size) block report the same pairs and total area?"""
    ok = block[np.isfinite(block.pairs)]
    if ok.empty:
        return ""
    ref = ok[ok.engine == "review"].iloc[0] if (ok.engine == "review").any() else ok.iloc[0]
    rel = (ok.area_m2 - ref.area_m2).abs() / ref.area_m2
    bad = ok[(ok.pairs != ref.pairs) | (rel > AGREE_REL)]
    head = (
        f"{len(ok)} engines, against {ref.engine} ({ref.pairs:,.0f} pairs, {ref.area_m2:,.3f} m²)"
    )
    if bad.empty:
        return f"agree: {head}: same pairs, total area within {rel.max():.1e} relative"
    diffs = "; ".join(
        f"{r.engine} {r.pairs:,.0f} pairs, {r.area_m2:,.3f} m² ({(r.area_m2 - ref.area_m2) / ref.area_m2:+.1e})"
        for r in bad.itertuples()
    )
    return f"DISAGREE: {head}: {diffs}"


NAMES = {
    "review": "full review",
    "review-reference": "reference engine",
    "overlay": "overlay",
    "postgis": "PostGIS",
    "sedonadb": "SedonaDB",
}


def _targets(layout: str, parcels: int, w: dict, peak: dict, missing: dict) -> list[str]:
    """Issue #14's targets for one (layout, size) block, as table rows (target, measured, met)."""
    rows = []

    def speedup(engine: str, peer: str, target: float) -> None:
        label = f"{NAMES[engine]} ≥ {target:g}× {NAMES[peer]}"
        if engine in missing:
            rows.append(f"| {label} | {engine}: {missing[engine]} | n/a |")
        elif engine in w and peer in w:
            x = w[peer] / w[engine]
            rows.append(
                f"| {label} | {peer} {w[peer]:.2f} s ÷ {engine} {w[engine]:.2f} s = {x:.2f} "
                f"| {'yes' if x >= target else 'no'} |"
            )

    if layout != "peers-dense":
        speedup("review", "overlay", 10)
        speedup("review", "postgis", 10)
        speedup("review", "sedonadb", 3)
        speedup("review-reference", "overlay", 4)
        if "floor-cut-2t" in w and "overlay" in w:
            # What a plain engine (GEOS for every pair) cannot go below, against that target.
            f, budget = w["floor-cut-2t"], w["overlay"] / 4
            rows.append(
                f"| (the floor of a plain engine: the intersections it cannot skip, 2 threads) "
                f"| floor-cut-2t {f:.2f} s; 4× overlay = {budget:.2f} s leaves "
                f"{budget - f:.2f} s for the preparation, tree query, grades, setbacks and verdicts "
                f"| — |"
            )
        if parcels >= 1_000_000 and "review" in w:
            gb = peak["review"] / 1024
            rows.append(
                f"| full review < 15 s | {w['review']:.2f} s | {'yes' if w['review'] < 15 else 'no'} |"
            )
            rows.append(
                f"| full review peak memory < 4 GB | peak RSS {gb:.2f} GB "
                f"| {'yes' if gb < 4 else 'no'} |"
            )
    elif "review" in w:
        rows.append(
            f"| full review never killed: finishes or stops early with a clear error "
            f"| finished in {w['review']:.2f} s, peak RSS {peak['review'] / 1024:.2f} GB | yes |"
        )
    elif "review" in missing:
        why = missing["review"]
        # An early, explained stop by townplan_gis is what the issue allows; anything else is not.
        ok = why.startswith("failed: townplan_gis.")
        rows.append(
            f"| full review never killed: finishes or stops early with a clear error | {why} "
            f"| {'yes' if ok else 'no'} |"
        )
    return [f"| {layout} | {parcels:,} " + r for r in rows]


def table(results: list[dict]) -> str:
    """Markdown: median wall time over repeats with min–max, memory, speed-ups over the peers, the
    agreement of the engines' overlaps, and issue #14's targets."""
    results = [{"layout": "county", **r} for r in results if r.get("engine") != "indicators"] + [
        r for r in results if r.get("engine") == "indicators"
    ]
    df = pd.DataFrame([r for r in results if "wall_s" in r and r.get("engine") != "indicators"])
    out = []
    agg = None
    if not df.empty:
        for col in ("load_s", "server_delta_rss_mb", "pairs", "area_m2"):
            if col not in df:
                df[col] = np.nan
        agg = (
            df.groupby(["layout", "parcels", "engine"], sort=False)
            .agg(
                lines=("lines", "first"),
                runs=("wall_s", "size"),
                wall_s=("wall_s", "median"),
                wall_min=("wall_s", "min"),
                wall_max=("wall_s", "max"),
                delta_rss_mb=("delta_rss_mb", "median"),
                peak_rss_mb=("peak_rss_mb", "median"),
                server_mb=("server_delta_rss_mb", "median"),
                load_s=("load_s", "median"),
                pairs=("pairs", "first"),
                area_m2=("area_m2", "first"),
            )
            .reset_index()
        )
        out += [
            "| layout | parcels × lines | engine | wall s (median) | min–max | runs | Δ peak RSS MB "
            "| peak RSS MB | pairs > 0.01 m² | total overlap m² | "
            + " | ".join(label for _, label in PEERS)
            + " |",
            "|---|---|---|---|---|---|---|---|---|---|" + "---|" * len(PEERS),
        ]
        for (layout, parcels), block in agg.groupby(["layout", "parcels"], sort=False):
            w = dict(zip(block.engine, block.wall_s, strict=True))
            for r in block.itertuples():
                mem = f"{r.delta_rss_mb:,.0f}"
                if np.isfinite(r.server_mb):
                    mem += f" (+ server {r.server_mb:,.0f})"
                if np.isfinite(r.load_s):
                    mem += f" (load {r.load_s:.1f} s)"
                ratios = [_fmt_ratio(w.get(peer, np.nan) / r.wall_s) for peer, _ in PEERS]
                out.append(
                    f"| {layout} | {parcels:,} × {r.lines:,} | {r.engine} | {r.wall_s:.2f} "
                    f"| {r.wall_min:.2f}–{r.wall_max:.2f} | {r.runs} | {mem} "
                    f"| {r.peak_rss_mb:,.0f} | {r.pairs:,.0f} | {r.area_m2:,.1f} | "
                    + " | ".join(ratios)
                    + " |"
                )
    missing: dict[tuple, dict] = {}
    blank = " |" * (6 + len(PEERS))
    seen = set()
    for r in results:
        if r.get("engine") == "indicators" or "wall_s" in r:
            continue
        key = (r.get("layout", "county"), r["parcels"], r["engine"])
        if key in seen:
            continue
        seen.add(key)
        err = str(r.get("error", ""))
        if err.startswith(("timeout", "memory limit")):
            what = (
                f"> {err.split()[1]} s (stopped)"
                if err.startswith("timeout")
                else f"stopped: {err}"
            )
        elif "skipped" in r:
            what = r["skipped"]
        else:
            what = "failed: " + err.strip().splitlines()[-1][:300] if err else "failed"
        missing.setdefault(key[:2], {})[key[2]] = what
        lines = r.get("lines", r["parcels"] // 10)
        out.append(f"| {key[0]} | {key[1]:,} × {lines:,} | {key[2]} | {what} |" + blank)
    if agg is not None:
        out.append("")
        for (layout, parcels), block in agg.groupby(["layout", "parcels"], sort=False):
            out.append(f"- {layout}, {parcels:,} parcels: {_agreement(block)}")
    blocks = (
        {k: b for k, b in agg.groupby(["layout", "parcels"], sort=False)} if agg is not None else {}
    )
    target_rows = []
    for key in dict.fromkeys([*blocks, *missing]):
        block = blocks.get(key)
        w = dict(zip(block.engine, block.wall_s, strict=True)) if block is not None else {}
        peak = dict(zip(block.engine, block.peak_rss_mb, strict=True)) if block is not None else {}
        target_rows += _targets(key[0], key[1], w, peak, missing.get(key, {}))
    if target_rows:
        out += [
            "",
            "| layout | parcels | target (issue #14) | measured | met? |",
            "|---|---|---|---|---|",
            *target_rows,
        ]
    ind = [r for r in results if r.get("engine") == "indicators" and "wall_s" in r]
    if ind:
        t = [r["indicators_s"] for r in ind]
        w = [r["wall_s"] for r in ind]
        out.append(
            f"- indicators for {ind[0]['towns']} towns (Puzhou-sized): tp.town_indicators(town) "
            f"{np.median(t):.2f} s (min–max {min(t):.2f}–{max(t):.2f}, target < 10 s); with "
            f"assess_many ranking {np.median(w):.2f} s"
        )
    return "\n".join(out) if out else "(no results)"


def _spawn(
    engine: str,
    size: int,
    seed: int,
    timeout: float,
    *,
    layout: str = "county",
    mem_limit_gb: float | None = None,
) -> dict:
    """One engine in a fresh interpreter, so its peak memory and imports are its own."""
    cmd = [sys.executable, __file__, "--one", engine, str(size), str(seed), "--layout", layout]
    if mem_limit_gb:
        cmd += ["--mem-limit-gb", str(mem_limit_gb)]
    fail = {"engine": engine, "layout": layout, "parcels": size}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {**fail, "error": f"timeout {timeout:.0f} s"}
    if proc.returncode == MEM_LIMIT_EXIT:
        return {**fail, "error": f"memory limit {mem_limit_gb:g} GB", "stderr": proc.stderr[-2000:]}
    if proc.returncode != 0:
        return {**fail, "error": proc.stderr.strip()[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="County-scale review benchmark")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    ap.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="county",
        help="county: the default county; peers: issue #14's county (round zones, four rivers); "
        "peers-dense: ten times its parcels and lines per km²",
    )
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--towns", type=int, default=200, help="towns for the indicators engine")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per engine run")
    ap.add_argument(
        "--mem-limit-gb",
        type=float,
        default=16.0,
        help="a run whose resident memory passes this stops itself and is reported (default 16)",
    )
    ap.add_argument("--out", type=Path, default=HERE / "results.json")
    ap.add_argument("--one", nargs=3, metavar=("ENGINE", "SIZE", "SEED"), help=argparse.SUPPRESS)
    ap.add_argument("--table", type=Path, nargs="+", help="print the table of earlier JSON results")
    args = ap.parse_args(argv)
    if args.table:
        print(table([r for f in args.table for r in json.loads(f.read_text())["results"]]))
        return
    if args.one:
        PeakRSS.limit = args.mem_limit_gb * 2**30 if args.mem_limit_gb else None
        res = one(args.one[0], int(args.one[1]), int(args.one[2]), layout=args.layout)
        print(json.dumps(res))
        return
    results = []
    host = machine()  # load average before the run: the machine may be shared
    host["layout"] = args.layout
    jobs = [(e, size) for size in args.sizes for e in args.engines if e != "indicators"]
    if "indicators" in args.engines:
        jobs.append(("indicators", args.towns))
    for rep in range(args.repeat):
        for engine, size in jobs:
            res = _spawn(
                engine,
                size,
                args.seed,
                args.timeout,
                layout=args.layout,
                mem_limit_gb=args.mem_limit_gb,
            )
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
