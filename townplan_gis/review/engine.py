"""``review()``: prepare the inputs once, run the kernel over project chunks, assemble the Review.

Engines
-------
``"threads"`` (default)
    Projects are cut into chunks of ``chunk_size`` and reviewed by ``n_jobs`` threads; shapely 2
    releases the GIL in its vectorised calls, so both cores of a small office machine work (tech notes:
    intersection 16–18 s on one thread, 8.8 s on two). Intermediate pair arrays exist for one chunk per
    thread at a time, so memory stays bounded at 10⁶ projects.
``"serial"``
    The same chunks, one after the other in this thread (debugging, profiling).
``"dask"``
    Dispatched to ``townplan_gis.review.dask_engine.run(projects, lines, rules, settings, *,
    chunk_size, n_jobs, progress, findings=True)``, which returns the joined output of
    :func:`~townplan_gis.review.kernel.review_rows` over all partitions with their per-type totals
    and per-project findings, computed on the workers. Pays only on a real cluster (tech notes).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from townplan_gis.crs import check_coordinates
from townplan_gis.errors import TownPlanError
from townplan_gis.repairs import repairs_frame
from townplan_gis.review.kernel import (
    _empty_conflicts,
    join_rows,
    prepare_lines,
    review_rows,
    setback_distances,
    setback_zones,
    with_setback_bands,
)
from townplan_gis.review.projects import choose_crs, prepare_lines_frame, prepare_projects
from townplan_gis.review.result import Review, build_review, project_findings
from townplan_gis.review.rules import Rules, load_rules
from townplan_gis.review.totals import type_totals

__all__ = ["review", "review_town"]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], Any]


@contextlib.contextmanager
def _no_gc():
    """Pause the cyclic garbage collector while a review allocates 10⁵–10⁶ short-lived objects.

    Each review chunk creates hundreds of thousands of geometries and strings; the collector's full
    passes over them cost up to a second at 10⁵ projects and find nothing (no cycles are made).
    Reference counting still frees everything; the previous state is restored afterwards.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _progress(progress: bool | Progress | None, total: int) -> tuple[Progress | None, Callable]:
    """(report, close): ``report(done, total)`` for a bar or the caller's callable, or None."""
    from townplan_gis._progress import progress as progress_bar
    from townplan_gis._progress import progress_enabled

    if progress is True or (progress is None and progress_enabled()):
        bar = progress_bar(total=total, unit="projects", desc="review", progress=True)
        return (lambda done, _total: bar.update(done - bar.n)), bar.close
    return (progress or None), lambda: None


def auto_chunk_size(n: int, n_jobs: int, *, largest: int = 20_000, smallest: int = 2_000) -> int:
    """Projects per chunk when the caller names none.

    At least four chunks per thread, so that threads finish together although chunks differ in
    cost; at most ``largest`` projects (bounded memory: pair arrays exist for one chunk per thread);
    at least ``smallest`` (the fixed cost of a chunk stays small).
    """
    k = max(4 * n_jobs, math.ceil(n / largest))
    k = math.ceil(k / n_jobs) * n_jobs
    return max(1, min(largest, max(smallest, math.ceil(n / k))))


def _run_chunks(prepared, lines, rules, settings, *, chunk_size, n_jobs, engine, progress, rings):
    n = len(prepared)
    starts = list(range(0, n, chunk_size)) or [0]
    report, close = _progress(progress, n)

    threaded = not (engine == "serial" or n_jobs <= 1 or len(starts) == 1)
    local = threading.local()

    def thread_lines():
        # Prepared GEOS geometries are not thread-safe: each worker thread uses its own copies.
        if not threaded:
            return lines
        if not hasattr(local, "lines"):
            local.lines = lines.for_thread()
        return local.lines

    def work(start: int):
        chunk = prepared.iloc[start : start + chunk_size]
        own = thread_lines()
        part = rings.take(slice(start, start + chunk_size))
        rows = review_rows(chunk, own, rules, settings, rings=part)
        found = _empty_conflicts(lines.crs) if rows is None else rows
        return rows, (type_totals(found, own), project_findings(found, chunk)), len(chunk)

    results, done, pool, finished = [], 0, None, False
    try:
        if not threaded:
            mapped = map(work, starts)
        else:
            pool = ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="townplan-review")
            mapped = pool.map(work, starts)
        for rows, totals, k in mapped:
            results.append((rows, totals))
            done += k
            if report:
                report(done, n)
        finished = True
    finally:
        if pool is not None:
            # On an error, chunks not yet started are dropped instead of run for nothing, and the
            # running ones are waited for. After success every chunk is done: the threads only
            # free their copies of the prepared pieces, which need not be waited for.
            pool.shutdown(wait=not finished, cancel_futures=True)
        close()
    # Chunks are consecutive runs of project positions and each chunk's rows are in project order,
    # so the concatenation is in projects' input order: the same rows in the same order whatever
    # the chunk size or engine (the dask engine orders its rows the same way).
    conflicts = join_rows([r for r, _ in results], lines.crs)
    tot = [t for _, (t, _) in results if len(t)]
    totals = pd.concat(tot) if tot else type_totals(conflicts)
    findings = pd.concat([f for _, (_, f) in results])
    return conflicts, totals, findings


def _run_dask(prepared, lines, rules, settings, *, chunk_size, n_jobs, progress, **dask_kw):
    try:
        mod = importlib.import_module("townplan_gis.review.dask_engine")
    except ImportError as exc:
        raise TownPlanError(
            f"engine='dask' is not available ({exc}). Fix: install dask-geopandas and a townplan_gis "
            f"with townplan_gis/review/dask_engine.py, or use engine='threads'."
        ) from exc
    return mod.run(
        prepared,
        lines,
        rules,
        settings,
        chunk_size=chunk_size,
        n_jobs=n_jobs,
        progress=progress,
        findings=True,
        **dask_kw,
    )


@_no_gc()
def review(
    projects: gpd.GeoDataFrame,
    control_lines: gpd.GeoDataFrame,
    *,
    rules: str | Path | Rules | None = None,
    crs: Any = None,
    tolerance: Mapping[str, Any] | None = None,
    setback_m: Mapping[str, float] | None = None,
    setback_types: Sequence[str] | None = None,
    setbacks: bool = True,
    max_vertices: int = 256,
    engine: Literal["threads", "serial", "dask"] = "threads",
    chunk_size: int | None = None,
    n_jobs: int = 2,
    progress: bool | Progress | None = None,
    client: Any = None,
    npartitions: int | None = None,
) -> Review:
    """Check every project against the five control lines and grade it by the rule file.

    For each project × control-line feature the overlap is measured — area for polygon projects,
    length for line projects, inside-or-not for points — and graded ``forbidden`` / ``review`` /
    ``notice`` by the most specific rule for (line type, zone tier, project type). Buildings closer
    than the setback distance to a red or blue line get a setback finding with the measured distance.
    Overlaps below the sliver tolerance are kept, marked ``ignored``, graded notice:

    .. math:: A < \\max(A_{min},\\ p_{min} \\cdot A_{project}) \\ \\lor\\ \\operatorname{buffer}(O, -r) = \\emptyset

    (defaults :math:`A_{min}` = 1 m², :math:`p_{min}` = 0.1 %, r = 0.5 m; never in purple core zones
    or blue lines). Edge-only contact is no overlap. Sources: domain brief §4; the regulations cited
    in ``townplan_gis/data/rules/default.toml``.

    Parameters
    ----------
    projects : geopandas.GeoDataFrame
        Construction projects with ``project_type`` (Chinese aliases accepted: 项目类型 = 道路 …),
        optional ``project_id`` and ``name``; polygons, lines or points. Not modified.
    control_lines : geopandas.GeoDataFrame
        Control-line polygons with ``line_type`` (red/green/purple/blue/yellow or 红线 …), optional
        ``zone`` (core/control/harmony), ``name``, ``code``, ``road_class`` and ``setback_m``.
        Not modified. See :func:`derive_control_lines` to build them from town layers.
    rules : path or Rules, optional
        A user rule file overriding the packaged default (``townplan_gis/data/rules/default.toml``).
    crs : CRS-like, optional
        Metric analysis CRS; default the control lines' CRS if metric, else CGCS2000 3° GK / UTM.
    tolerance : mapping, optional
        Overrides of ``[tolerance]``: ``min_area_m2``, ``min_pct_of_project``, ``inward_buffer_m``,
        ``min_length_m``, ``noise_m2``, ``never_ignore``.
    setback_m : mapping, optional
        Overrides of ``[setbacks.distance_m]`` in metres: ``arterial``, ``secondary``, ``branch``,
        ``lane``, ``red_default``, ``blue``.
    setback_types : sequence of str, optional
        Project types subject to setbacks (default ``["building"]``).
    setbacks : bool, default True
        Report setback findings.
    max_vertices : int, default 256
        Control polygons with more vertices are subdivided for speed (results are identical).
    engine : {"threads", "serial", "dask"}, default "threads"
    chunk_size : int, optional
        Projects per chunk; default at least four chunks per thread, 2,000–20,000 projects each.
    n_jobs : int, default 2
        Threads (or dask workers).
    progress : bool or callable, optional
        ``True`` for a tqdm bar, or a function ``(done, total)`` called after each chunk; ``None``
        follows ``townplan_gis.options.progress`` (bars appear only for reviews lasting > 0.5 s).
    client : distributed.Client or str, optional
        ``engine="dask"`` only: the cluster to run on (a Client or a scheduler address such as
        ``"tcp://scheduler:8786"``); default the Client in effect, else dask's local threads.
    npartitions : int, optional
        ``engine="dask"`` only: number of spatially sorted project partitions.

    Returns
    -------
    Review
        ``.conflicts``, ``.projects`` (aligned to ``projects.index``), ``.summary``, ``.settings``,
        ``.repairs``.

    Raises
    ------
    SchemaError, MissingColumnError, UnknownValueError, GeometryTypeError
        A control-line layer that does not follow its schema, projects without ``project_type``.
    CRSError
        A layer without CRS, or coordinates that do not fit it (see
        :func:`townplan_gis.check_coordinates`).
    DataFileError
        A malformed rule file, or an unknown override key.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> def at(x0, y0, x1, y1):  # metres from a point near Puzhou in EPSG:4546 (GK CM 111E)
    ...     return shapely.box(437_000 + x0, 3_855_000 + y0, 437_000 + x1, 3_855_000 + y1)
    >>> lines = gpd.GeoDataFrame({"line_type": ["green"], "name": ["河滨公园"]},
    ...                          geometry=[at(0, 0, 100, 100)], crs="EPSG:4546")
    >>> sites = gpd.GeoDataFrame({"project_type": ["building", "park"]},
    ...                          geometry=[at(90, 0, 110, 10), at(10, 10, 20, 20)],
    ...                          crs="EPSG:4546")
    >>> r = review(sites, lines)
    >>> r.projects["verdict"].tolist()
    ['reject', 'review']
    >>> float(r.conflicts["overlap_area_m2"].iloc[0])
    100.0
    """
    if engine not in ("threads", "serial", "dask"):
        raise TownPlanError(f"unknown engine {engine!r}; use 'threads', 'serial' or 'dask'.")
    if (chunk_size is not None and int(chunk_size) < 1) or int(n_jobs) < 1:
        raise TownPlanError("chunk_size and n_jobs must be positive integers.")
    base = load_rules(rules)
    active = base.with_overrides(
        tolerance=tolerance,
        setback_m=setback_m,
        setback_types=list(setback_types) if setback_types is not None else None,
    )
    # Numbers that do not fit their declared CRS would be reviewed elsewhere on Earth: refuse them
    # (a zone prefix naming the declared zone is removed and recorded) before anything is measured.
    projects, rep_crs = check_coordinates(projects, layer="projects")
    control_lines, rep = check_coordinates(control_lines, layer="control_lines")
    rep_crs += rep
    analysis = choose_crs(projects, control_lines, crs)
    with ThreadPoolExecutor(max_workers=2) as pool:
        # The projects are prepared while the lines are checked and indexed, and the setback
        # zones (buffers of red and blue lines) are built meanwhile: three tasks that wait on the
        # GIL at different times keep two cores busier than two tasks do.
        pending = pool.submit(prepare_projects, projects, analysis, rings=True)
        lines_frame, rep_lines = prepare_lines_frame(control_lines, analysis)
        zones = None
        if setbacks:
            zones = pool.submit(
                setback_zones,
                np.asarray(lines_frame.geometry.array, dtype=object),
                setback_distances(lines_frame, active),
                max_vertices=max_vertices,
            )
        lines = prepare_lines(
            lines_frame, active, max_vertices=max_vertices, setbacks=False, n_jobs=int(n_jobs)
        )
        prepared, rep_projects, rings = pending.result()
        need_sb = setbacks and prepared["project_type"].isin(active.setbacks["project_types"]).any()
        if zones is not None and not need_sb:
            zones.cancel()  # nothing subject to setbacks: drop the zones if not started yet
    if need_sb:
        lines = with_setback_bands(lines, max_vertices=max_vertices, zones=zones.result())
    settings = {"setbacks": bool(need_sb)}
    if chunk_size is None:
        chunk_size = auto_chunk_size(len(prepared), int(n_jobs))
    kw = {"chunk_size": int(chunk_size), "n_jobs": int(n_jobs), "progress": progress}
    if engine == "dask":
        conflicts, totals, findings = _run_dask(
            prepared, lines, active, settings, client=client, npartitions=npartitions, **kw
        )
    else:
        conflicts, totals, findings = _run_chunks(
            prepared, lines, active, settings, engine=engine, rings=rings, **kw
        )
    from townplan_gis import __version__

    epsg = analysis.to_epsg()
    record = {
        "crs": f"EPSG:{epsg}" if epsg else analysis.to_string(),
        "tolerance": dict(active.tolerance),
        "setbacks": {
            "enabled": bool(setbacks),
            "project_types": list(active.setbacks["project_types"]),
            "distance_m": dict(active.setbacks["distance_m"]),
        },
        "rules": active.source,
        "rules_version": active.version,
        "engine": engine,
        "chunk_size": int(chunk_size),
        "n_jobs": int(n_jobs),
        "max_vertices": int(max_vertices),
        "n_projects": len(prepared),
        "n_control_lines": len(lines),
        "townplan_gis_version": __version__,
    }
    log.info(
        "review: %d projects × %d control lines, %d conflict rows",
        len(prepared),
        len(lines),
        len(conflicts),
    )
    return build_review(
        prepared,
        conflicts,
        totals,
        findings,
        record,
        repairs_frame(rep_crs + rep_lines + rep_projects),
    )


def review_town(town, *, derive: bool | Sequence[str] = False, **kwargs: Any) -> Review:
    """Review a Town's ``projects`` against its ``control_lines``.

    Parameters
    ----------
    town : Town
    derive : bool or sequence of line types, default False
        Add control lines derived from the town's layers (:func:`derive_control_lines`) for the line
        types the ``control_lines`` layer lacks (``True``: all five), flagged ``derived=True``.
        Red lines without ``road_class`` take it from the roads they contain
        (:func:`~townplan_gis.review.derive.attach_road_class`), for the setbacks.
    **kwargs
        Passed to :func:`review`.

    Returns
    -------
    Review
        As :func:`review`; the town's layers are not modified.
    """
    from townplan_gis.review.derive import attach_road_class, derive_control_lines
    from townplan_gis.schema import LINE_TYPES

    lines = town.layer("control_lines", empty_ok=True)
    if lines.crs is None:
        lines = lines.set_crs(town.crs)
    if town.has("roads") and len(lines):
        # Setbacks depend on the road class, which surveyed red lines rarely carry.
        lines = attach_road_class(lines, town.roads)
    if derive:
        want = set(LINE_TYPES) if derive is True else set(derive)
        missing = want - set(lines["line_type"].dropna())
        if missing:
            extra = derive_control_lines(
                town, line_types=sorted(missing), rules=kwargs.get("rules")
            )
            lines = gpd.GeoDataFrame(pd.concat([lines, extra], ignore_index=True), crs=town.crs)
    return review(town.projects, lines, **{"crs": town.crs, **kwargs})
