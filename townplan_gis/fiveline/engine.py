"""``review()``: prepare the inputs once, run the kernel over project chunks, assemble the Review.

Engines
-------
``"threads"`` (default)
    Projects are cut into chunks of ``chunk_size`` and reviewed by ``n_jobs`` threads; shapely 2
    releases the GIL in its vectorised calls, so both cores of a small office machine work
    (``docs/engineering.md#overlaps-two-cores``: intersection 16–18 s on one thread, 8.8 s on two). Intermediate pair arrays exist for one chunk per
    thread at a time, so memory stays bounded at 10⁶ projects.
``"serial"``
    The same chunks, one after the other in this thread (debugging, profiling).
``"dask"``
    Dispatched to ``townplan_gis.fiveline.dask.run(projects, lines, rules, settings, *,
    chunk_size, n_jobs, progress, findings=True)``, which returns the joined output of
    :func:`~townplan_gis.fiveline.kernel.review_rows` over all partitions with their per-type totals
    and per-project findings, computed on the workers. Pays only on a real cluster (``docs/engineering.md#overlaps-two-cores``).
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
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from townplan_gis.core.crs import check_coordinates
from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.repairs import repairs_frame
from townplan_gis.core.schema import LINE_TYPES, absent_types, check_declared
from townplan_gis.core.town import Town
from townplan_gis.fiveline.coverage import (
    coverage_gaps,
    missing_reason,
    resolve_coverage,
)
from townplan_gis.fiveline.derive import attach_road_class, derive_control_lines
from townplan_gis.fiveline.evidence import layer_sha256, now_iso, rules_file_record
from townplan_gis.fiveline.kernel import _empty_conflicts, join_rows, review_rows
from townplan_gis.fiveline.lines import (
    prepare_lines,
    setback_distances,
    setback_zones,
    with_setback_bands,
)
from townplan_gis.fiveline.prepare import choose_crs, prepare_lines_frame, prepare_projects
from townplan_gis.fiveline.result import Review, build_review, chunk_findings
from townplan_gis.fiveline.rules import Rules, load_rules
from townplan_gis.fiveline.text import join
from townplan_gis.fiveline.totals import type_totals

__all__ = ["review", "town_inputs"]

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
    from townplan_gis.core.progress import progress as progress_bar
    from townplan_gis.core.progress import progress_enabled

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
        return rows, (type_totals(found, own), chunk_findings(found, chunk, own)), len(chunk)

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
        mod = importlib.import_module("townplan_gis.fiveline.dask")
    except ImportError as exc:
        raise TownPlanError(
            f"engine='dask' is not available ({exc}). Fix: install dask-geopandas and a townplan_gis "
            f"with townplan_gis/fiveline/dask.py, or use engine='threads'."
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
    projects: gpd.GeoDataFrame | Town,
    control_lines: gpd.GeoDataFrame | None = None,
    *,
    coverage: Any = None,
    absent: Sequence[str] | None = None,
    derive: bool | Sequence[str] = False,
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
    length for line projects, inside-or-not for points; each part of a GeometryCollection by its
    own measure — and graded ``forbidden`` / ``review`` / ``notice`` by the most specific rule for
    (line type, zone tier, project type). Buildings closer than the setback distance to a red or
    blue line get a setback finding with the measured distance, graded ``review`` by default.
    Overlaps below the sliver tolerance are kept, marked ``ignored``, graded notice:

    .. math:: A < \\max(A_{min},\\ p_{min} \\cdot A_{project}) \\ \\lor\\ \\operatorname{buffer}(O, -r) = \\emptyset

    (defaults :math:`A_{min}` = 1 m², :math:`p_{min}` = 0.1 %, r = 0.5 m; never in purple core zones
    or blue lines). Edge-only contact is no overlap. Sources: ``docs/sources.md#tolerance-practice``; the regulations cited
    in ``townplan_gis/data/rules/default.toml``.

    **What a pass means.** ``pass`` is given only when the project lies wholly inside the review's
    coverage (the area its line data covers), every one of the five line types is either in the
    line data or declared absent, and nothing is graded above notice. Otherwise the verdict is
    ``reject`` (a forbidden conflict is real even when the check is incomplete), ``not_checked``
    (未完成审查: outside the coverage, or a line type neither present nor declared absent; the
    reason says which, with the part outside in m² and %) or ``review``; unusable input
    (no geometry, NaN/Inf vertices, unknown type) is ``invalid``. :attr:`Review.checks` shows, per
    project and line type, whether it was checked, the features found and the nearest distance;
    :attr:`Review.evidence` the inputs' feature counts and content hashes, the rule file's hash,
    tolerance, CRS, version and time.

    Parameters
    ----------
    projects : geopandas.GeoDataFrame or Town
        Construction projects with ``project_type`` (Chinese aliases accepted: 项目类型 = 道路 …),
        optional ``project_id`` and ``name``; polygons, lines, points or collections of them.
        Not modified. A :class:`~townplan_gis.Town` is reviewed whole (``review(town)``, the one
        review path of the package): its projects against its control lines, within its
        boundary, with its declared-absent line types and in its CRS (:func:`town_inputs`).
    control_lines : geopandas.GeoDataFrame, optional
        Required with a projects frame, not with a Town. Control-line polygons with ``line_type`` (red/green/purple/blue/yellow or 红线 …), optional
        ``zone`` (core/control/harmony), ``name``, ``code``, ``road_class`` and ``setback_m``.
        Not modified. See :func:`derive_control_lines` to build them from town layers. May be
        empty (then no project can pass unless all five types are declared absent and a
        ``coverage`` is given).
    coverage : shapely polygon, GeoSeries or GeoDataFrame, optional
        The area the line data covers, e.g. the town boundary (``review(town)`` uses the town's
        ``boundary`` layer). A bare geometry, or a layer without CRS, is taken to be in the
        control lines' CRS. Default: the convex hull of the control lines, with a logged warning
        and a note in ``settings["coverage"]`` (the hull rather than the bounding box: the smaller
        guess, so that no project far from every line passes on it).
    absent : sequence of str, optional
        Line types the town has none of (``["purple"]``; Chinese names accepted), recorded as
        "declared absent". A type both declared absent and in the line data is an error.
    derive : bool or sequence of line types, default False
        With a Town only: add control lines derived from its roads, water, heritage, green land and
        facilities (:func:`derive_control_lines`) for the line types its ``control_lines`` layer
        lacks and it does not declare absent (``True``: all five), flagged ``derived=True``.
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
        ``.conflicts``, ``.projects`` (aligned to ``projects.index``), ``.checks``, ``.evidence``,
        ``.summary``, ``.settings``, ``.repairs``.

    Raises
    ------
    SchemaError, MissingColumnError, UnknownValueError, GeometryTypeError
        A control-line layer that does not follow its schema (NaN/Inf vertices or no geometry in a
        line: the message names the rows), projects without ``project_type``, a bad coverage.
    CRSError
        A layer without CRS, or coordinates that do not fit it (see
        :func:`townplan_gis.check_coordinates`).
    DataFileError
        A malformed rule file, or an unknown override key.
    TownPlanError
        An unknown line type in ``absent``, or one that is also in the line data.

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
    >>> town = at(-500, -500, 500, 500)
    >>> others = ["red", "purple", "blue", "yellow", "eco_redline", "farmland", "dev_boundary"]
    >>> r = review(sites, lines, coverage=town, absent=others)
    >>> r.projects["verdict"].tolist()
    ['reject', 'review']
    >>> float(r.conflicts["overlap_area_m2"].iloc[0])
    100.0
    >>> review(sites, lines, coverage=town).projects["verdict"].tolist()  # seven types unchecked
    ['reject', 'not_checked']
    """
    if isinstance(projects, Town):
        if control_lines is not None:
            raise TownPlanError(
                "review(town) takes the town's own projects and control lines; to review other "
                "lines, pass review(projects, control_lines, coverage=town.boundary)."
            )
        projects, control_lines, coverage, absent, crs = town_inputs(
            projects, derive=derive, coverage=coverage, absent=absent, crs=crs, rules=rules
        )
    elif derive:
        raise TownPlanError("derive= needs a Town (the lines are derived from its layers).")
    if control_lines is None:
        raise TownPlanError("review(projects, control_lines): the control lines are missing.")
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
    declared = absent_types(absent)
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
        check_declared(lines_frame, declared)
        zones = None
        if setbacks:
            zones = pool.submit(
                setback_zones,
                np.asarray(lines_frame.geometry.array, dtype=object),
                setback_distances(lines_frame, active),
                max_vertices=max_vertices,
            )
        # The coverage, then the content hashes of the inputs (evidence), in the workers freed by
        # the projects and the zones while this thread indexes the lines (a GIL-bound task of its
        # own beside the chunk threads would slow them more than it costs).
        covered = pool.submit(resolve_coverage, coverage, lines_frame, analysis, control_lines.crs)
        hashes = pool.submit(lambda: (layer_sha256(projects), layer_sha256(control_lines)))
        lines = prepare_lines(
            lines_frame, active, max_vertices=max_vertices, setbacks=False, n_jobs=int(n_jobs)
        )
        prepared, rep_projects, rings = pending.result()
        cover, cover_info = covered.result()
        need_sb = setbacks and prepared["project_type"].isin(active.setbacks["project_types"]).any()
        if zones is not None and not need_sb:
            zones.cancel()  # nothing subject to setbacks: drop the zones if not started yet
        present = [t for t in LINE_TYPES if (lines_frame["line_type"] == t).any()]
        missing = [t for t in LINE_TYPES if t not in present and t not in declared]
        prepared = _mark_incomplete(prepared, cover, missing, active)
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
    from townplan_gis._version import __version__

    sources = hashes.result()
    epsg = analysis.to_epsg()
    crs_text = f"EPSG:{epsg}" if epsg else analysis.to_string()
    status = {
        t: "checked" if t in present else "declared_absent" if t in declared else "not_in_data"
        for t in LINE_TYPES
    }
    record = {
        "crs": crs_text,
        "tolerance": dict(active.tolerance),
        "setbacks": {
            "enabled": bool(setbacks),
            "project_types": list(active.setbacks["project_types"]),
            "distance_m": dict(active.setbacks["distance_m"]),
        },
        "coverage": cover_info["source"],
        "line_types": {
            "present": present,
            "declared_absent": declared,
            "not_in_data": missing,
        },
        "nearest_search_m": float(active.checks["nearest_search_m"]),
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
    counts = lines_frame["line_type"].value_counts()
    evidence = {
        "generated": now_iso(),
        "townplan_gis_version": __version__,
        "analysis_crs": crs_text,
        "tolerance": dict(active.tolerance),
        "nearest_search_m": float(active.checks["nearest_search_m"]),
        "sources": [
            {"layer": "projects", "features": len(projects), "sha256": sources[0]},
            {"layer": "control_lines", "features": len(control_lines), "sha256": sources[1]},
        ],
        "coverage": cover_info,
        "files": [rules_file_record(active.source, active.version)],
        "line_types": {
            t: {"status": status[t], "features": int(counts.get(t, 0))} for t in LINE_TYPES
        },
    }
    if missing:
        log.warning(
            "review: line types %s are neither in the control lines nor declared absent: no "
            "project can pass (verdict not_checked). Pass absent=%s if the town has none.",
            missing,
            missing,
        )
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
        status=status,
        evidence=evidence,
        lines=lines,
        search_m=float(active.checks["nearest_search_m"]),
    )


def _mark_incomplete(prepared, cover, missing: list[str], rules: Rules) -> gpd.GeoDataFrame:
    """The prepared projects with ``_incomplete`` / ``_incomplete_zh`` (why the check of each is
    incomplete, "" when complete) and ``_outside_pct`` (% outside the coverage)."""
    pct, en, zh = coverage_gaps(prepared, cover, rules.tolerance["noise_m2"])
    miss_en, miss_zh = missing_reason(missing)
    valid = prepared["_parts"].to_numpy() > 0
    if miss_en:
        mask = pa.array(valid)
        en = pc.if_else(mask, pc.coalesce(join(en, "; ", miss_en), miss_en), en)
        zh = pc.if_else(mask, pc.coalesce(join(zh, "；", miss_zh), miss_zh), zh)
    out = prepared.copy(deep=False)
    for col, text in (("_incomplete", en), ("_incomplete_zh", zh)):
        values = np.full(len(prepared), "", dtype=object)
        some = np.flatnonzero(text.is_valid().to_numpy(zero_copy_only=False))
        if len(some):  # usually none: a complete check of projects inside the town
            values[some] = text.take(pa.array(some)).to_numpy(zero_copy_only=False)
        out[col] = pd.Series(values, index=prepared.index, dtype=object, copy=False)
    out["_outside_pct"] = pct
    return out


def town_inputs(
    town: Town,
    *,
    derive: bool | Sequence[str] = False,
    coverage: Any = None,
    absent: Sequence[str] | None = None,
    crs: Any = None,
    rules: str | Path | Rules | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, Any, list[str], Any]:
    """What :func:`review` checks for a Town: ``(projects, control_lines, coverage, absent, crs)``.

    ``review(town)`` is the one review path: the API, ``tp.report``, the pipeline and the command
    line (``townplan review``, ``map --review``, ``report``, ``demo``) all pass the town itself, so
    the same town gives the same conflicts and verdicts everywhere. From the town come:

    * the control lines, red lines without ``road_class`` taking it from the roads they contain
      (:func:`~townplan_gis.fiveline.derive.attach_road_class`), for the setbacks; with
      ``derive``, lines derived from the town's layers (:func:`derive_control_lines`) for the
      line types the ``control_lines`` layer lacks and the town does not declare absent
      (``True``: all five), flagged ``derived=True``;
    * ``coverage`` = the town's ``boundary`` layer (when it has one and none is given);
    * ``absent`` = ``town.absent_line_types`` (when none is given);
    * ``crs`` = the town's analysis CRS (when none is given).

    The town's layers are not modified.
    """
    lines = town.layer("control_lines", empty_ok=True)
    if lines.crs is None:
        lines = lines.set_crs(town.crs)
    if town.has("roads") and len(lines):
        # Setbacks depend on the road class, which surveyed red lines rarely carry.
        lines = attach_road_class(lines, town.roads)
    declared = list(town.absent_line_types) if absent is None else list(absent)
    if derive:
        want = set(LINE_TYPES) if derive is True else set(derive)
        missing = want - set(lines["line_type"].dropna()) - set(absent_types(declared))
        if missing:
            extra = derive_control_lines(town, line_types=sorted(missing), rules=rules)
            geoms = np.asarray(extra.geometry.array, dtype=object)
            empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
            if empty.any():
                # A source feature without geometry (recorded in town.repairs) derives no line.
                log.warning(
                    "review: %d derived control lines have no geometry (their source features "
                    "have none; see town.repairs) and are left out: %s",
                    int(empty.sum()),
                    extra.loc[empty, "code"].tolist()[:10],
                )
                extra = extra[~empty]
            lines = gpd.GeoDataFrame(pd.concat([lines, extra], ignore_index=True), crs=town.crs)
    if coverage is None and town.has("boundary"):
        coverage = town.boundary.copy(deep=False)
        coverage.attrs["source"] = f"town boundary (layer 'boundary' of {town.name})"
    return town.projects, lines, coverage, declared, town.crs if crs is None else crs
