"""``review()``: prepare the inputs once, run the chunks with an engine, assemble the Review.

The layers of a review, each in its own module:

1. **preparation** — :mod:`~townplan_gis.fiveline.prepare` (projects: aliases, CRS, repairs, parts;
   control lines: schema, CRS, repairs), :mod:`~townplan_gis.fiveline.lines` (pieces, indexes,
   setback zones), :mod:`~townplan_gis.fiveline.rules` (the rule file),
   :mod:`~townplan_gis.fiveline.coverage` (what the line data covers);
2. **measuring** — the plain reference engine :mod:`~townplan_gis.fiveline.overlap`, or its
   accelerator :mod:`townplan_gis.fiveline.fast` (compiled clipping where tested equal);
3. **grading** — :mod:`~townplan_gis.fiveline.grade` (rules, slivers, reasons),
   :mod:`~townplan_gis.fiveline.setbacks`, :mod:`~townplan_gis.fiveline.totals`,
   :mod:`~townplan_gis.fiveline.findings` (verdicts), :mod:`~townplan_gis.fiveline.checks`
   (evidence), per chunk in :mod:`~townplan_gis.fiveline.chunk`;
4. **result** — :mod:`~townplan_gis.fiveline.rows` and :mod:`~townplan_gis.fiveline.conflicts`
   (the rows and their frame), :mod:`~townplan_gis.fiveline.assemble`,
   :mod:`~townplan_gis.fiveline.result` (the :class:`Review`), :mod:`~townplan_gis.fiveline.evidence`.

Engines
-------
``"threads"`` (default)
    Projects are cut into chunks of ``chunk_size`` and reviewed by ``n_jobs`` threads with the
    accelerated engine (:mod:`~townplan_gis.fiveline.run`); shapely 2 and Arrow release the GIL in
    their vectorised calls, so both cores of a small office machine work.
``"serial"``
    The same chunks, one after the other in this thread (debugging, profiling).
``"dask"``
    The same chunks as partitions of a dask cluster (:mod:`~townplan_gis.fiveline.dask`). Pays only
    on a real cluster.
``"reference"``
    The plain reference engine (:mod:`~townplan_gis.fiveline.overlap`, GEOS for every pair) on
    ``n_jobs`` threads like ``"threads"`` (``n_jobs=1``: in this thread): the path to read, to
    debug against and to compare with.

``"threads"``, ``"serial"`` and ``"dask"`` measure with the accelerator where it pays
(:func:`accelerates`): for :data:`ACCELERATE_FROM` projects or more, or once this process has loaded
its compiled kernels; a smaller review in a fresh process is measured by the reference engine, as
loading the kernels (≈ 0.45 s; ≈ 10 s the first time after installing) would cost more than they save
(≈ 12 µs a project). ``Review.settings["accelerated"]`` records which.

Every engine gives the same conflict rows, in the projects' input order, and the same verdicts.
Memory: the rows are held within a budget, or streamed to a GeoPackage with ``out=``
(:mod:`~townplan_gis.fiveline.memory`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np

from townplan_gis._version import __version__
from townplan_gis.core.crs import check_coordinates
from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.repairs import repairs_frame
from townplan_gis.core.schema import LINE_TYPES, absent_types, check_declared
from townplan_gis.core.town import Town
from townplan_gis.fiveline import dask as dask_engine
from townplan_gis.fiveline.assemble import build_review
from townplan_gis.fiveline.coverage import mark_incomplete, resolve_coverage
from townplan_gis.fiveline.evidence import hash_layers, review_evidence
from townplan_gis.fiveline.fast import Fast
from townplan_gis.fiveline.inputs import town_inputs
from townplan_gis.fiveline.lines import (
    prepare_lines,
    setback_distances,
    setback_zones,
    with_setback_bands,
)
from townplan_gis.fiveline.memory import check_out, default_budget, estimate_pairs, too_large
from townplan_gis.fiveline.overlap import Reference
from townplan_gis.fiveline.prepare import choose_crs, prepare_lines_frame, prepare_projects
from townplan_gis.fiveline.result import Review
from townplan_gis.fiveline.rules import Rules, load_rules
from townplan_gis.fiveline.run import (
    Collected,
    GeoPackage,
    InMemory,
    Progress,
    Sink,
    auto_chunk_size,
    collect,
    run,
)

__all__ = ["ACCELERATE_FROM", "ENGINES", "accelerates", "review", "town_inputs"]

log = logging.getLogger(__name__)

ENGINES = ("threads", "serial", "dask", "reference")
#: Reviews of fewer projects are not estimated beforehand: their rows fit any machine.
_ESTIMATE_FROM = 20_000
#: Projects from which a review loads the accelerator's compiled kernels if this process has not yet
#: (:func:`accelerates`): the accelerator saves ≈ 12 µs a project on the full review (10⁵ parcels:
#: 1.38 against 2.57 s), loading costs ≈ 0.45 s (benchmarks/README.md, 2026-12-07).
ACCELERATE_FROM = 50_000


def accelerates(engine: str, n_projects: int) -> bool:
    """Whether a review with ``engine`` of ``n_projects`` projects measures with the accelerator
    (:class:`~townplan_gis.fiveline.fast.Fast`): never with ``"reference"``; otherwise when its
    compiled kernels are loaded in this process already (:meth:`Fast.load`, or an earlier review)
    or the review is large enough for loading them to pay (:data:`ACCELERATE_FROM`)."""
    return engine != "reference" and (Fast.loaded() or n_projects >= ACCELERATE_FROM)


def _zones_and_rings(
    geoms: np.ndarray, distance_m: np.ndarray, max_vertices: int, *, rings: bool
) -> tuple[tuple | None, Any]:
    """:func:`setback_zones` and, for the accelerator, the zone pieces' vertex arrays."""
    zones = setback_zones(geoms, distance_m, max_vertices=max_vertices)
    return zones, (Fast.rings(zones[0]) if rings and zones is not None else None)


def _mark_when_ready(
    pending: Future, covered: Future, missing: list[str], noise_m2: float
) -> gpd.GeoDataFrame:
    """:func:`mark_incomplete` of the prepared projects (``pending``) against the coverage
    (``covered``), once both are ready: a worker task that waits on two submitted before it."""
    return mark_incomplete(pending.result()[0], covered.result()[0], missing, noise_m2)


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
    engine: Literal["threads", "serial", "dask", "reference"] = "threads",
    chunk_size: int | None = None,
    n_jobs: int = 2,
    progress: bool | Progress | None = None,
    client: Any = None,
    npartitions: int | None = None,
    out: str | Path | None = None,
    memory_budget_gb: float | None = None,
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
    engine : {"threads", "serial", "dask", "reference"}, default "threads"
        How the work is run (module docstring): chunks on ``n_jobs`` threads with the accelerated
        engine where it pays (``"threads"``; :func:`accelerates`), the same in this thread
        (``"serial"``), on a dask cluster (``"dask"``), or the plain reference engine on ``n_jobs``
        threads (``"reference"``; with ``n_jobs=1``, in this thread). All give the same conflict
        rows and verdicts.
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
    out : path, optional
        A GeoPackage (``.gpkg``, replaced) to stream the conflict rows to, chunk by chunk, instead
        of holding them in memory: memory then stays bounded by a few chunks whatever the number
        of rows (a county of 10⁶ parcels may have 10⁷). :attr:`Review.conflicts_file` names it;
        :meth:`Review.iter_conflicts` reads the rows back in batches.
    memory_budget_gb : float, optional
        Without ``out``: the memory the conflict rows may fill (default 60 % of the memory
        available when the review starts). A review whose rows are estimated, before the work, or
        counted, during it, to pass the budget stops with :class:`~townplan_gis.fiveline.memory.ReviewTooLarge`
        (a :class:`TownPlanError`) that gives the estimate and what to do
        (:func:`~townplan_gis.fiveline.memory.estimate_review` estimates it beforehand).

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
        An unknown line type in ``absent``, or one that is also in the line data; an unknown
        engine; a result too large for the memory budget (:class:`ReviewTooLarge`).

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
    if engine not in ENGINES:
        raise TownPlanError(
            f"unknown engine {engine!r}; use one of {', '.join(map(repr, ENGINES))}."
        )
    if (chunk_size is not None and int(chunk_size) < 1) or int(n_jobs) < 1:
        raise TownPlanError("chunk_size and n_jobs must be positive integers.")
    out_path = check_out(out) if out is not None else None
    if memory_budget_gb is not None and not memory_budget_gb > 0:
        raise TownPlanError(f"memory_budget_gb={memory_budget_gb!r}: give a positive number of GB.")
    budget = default_budget() if memory_budget_gb is None else int(memory_budget_gb * 2**30)
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
    with ThreadPoolExecutor(max_workers=3) as pool:
        # While this thread checks and indexes the lines, workers prepare the projects and build
        # the setback zones (three tasks waiting on the GIL at different times keep two cores
        # busier than two do); the third resolves the coverage, then marks what lies outside it.
        pending = pool.submit(prepare_projects, projects, analysis)
        lines_frame, rep_lines = prepare_lines_frame(control_lines, analysis)
        check_declared(lines_frame, declared)
        fast = accelerates(engine, len(projects))
        zones = None
        if setbacks:
            geoms = np.asarray(lines_frame.geometry.array, dtype=object)
            distance_m = setback_distances(lines_frame, active)
            zones = pool.submit(_zones_and_rings, geoms, distance_m, max_vertices, rings=fast)
        present = [t for t in LINE_TYPES if (lines_frame["line_type"] == t).any()]
        missing = [t for t in LINE_TYPES if t not in present and t not in declared]
        covered = pool.submit(resolve_coverage, coverage, lines_frame, analysis, control_lines.crs)
        # Submitted after the two tasks it waits on, so they are never queued behind it.
        marked = pool.submit(
            _mark_when_ready, pending, covered, missing, active.tolerance["noise_m2"]
        )
        lines = prepare_lines(
            lines_frame, active, max_vertices=max_vertices, setbacks=False, n_jobs=int(n_jobs)
        )
        # The accelerator's vertex arrays of the pieces, read in a worker meanwhile (reading
        # coordinates does not touch the prepared indexes this thread uses below).
        piece_rings = pool.submit(Fast.rings, lines.pieces) if fast else None
        # And the whole lines', which the per-type totals read where lines of a type overlap.
        shared = fast and lines.arrays["overlaps_same_type"].any()
        line_rings = pool.submit(Fast.rings, lines.geoms) if shared else None
        prepared, rep_projects = pending.result()
        cover_info = covered.result()[1]
        need_sb = setbacks and prepared["project_type"].isin(active.setbacks["project_types"]).any()
        if zones is not None and not need_sb:
            zones.cancel()  # nothing subject to setbacks: drop the zones if not started yet
        zone_rings = None
        if need_sb and zones is not None:
            lines = with_setback_bands(lines, max_vertices=max_vertices, zones=zones.result()[0])
            zone_rings = zones.result()[1]
        if out_path is None and len(prepared) >= _ESTIMATE_FROM and len(lines.pieces):
            # Before any work: a result that cannot fit stops here, not when memory runs out.
            guess = estimate_pairs(
                np.asarray(prepared.geometry.array, dtype=object),
                lines.pieces,
                lines.piece_tree,
                len(lines),
                fits=budget,
            )
            if guess.bytes > budget:
                raise too_large(guess, budget)
        prepared = marked.result()
        kernel = (
            Fast(
                lines,
                pieces=piece_rings.result(),
                zones=zone_rings if len(lines.zones) else None,
                line_rings=line_rings.result() if line_rings is not None else None,
            )
            if piece_rings is not None
            else Reference()
        )
        # From here the kernel and the lines alone hold the vertex arrays and the zones, so that
        # they go when the chunks are done (Fast.release, PreparedLines.release_chunk_state).
        del zones, zone_rings, piece_rings, line_rings
    # The inputs' content hashes are needed only by the result: taken beside the chunks, where
    # they fill the cores' idle moments, not before them.
    hashes = hash_layers({"projects": projects, "control_lines": control_lines})
    settings = {"setbacks": bool(need_sb)}
    if chunk_size is None:
        chunk_size = auto_chunk_size(len(prepared), int(n_jobs))
    sink: Sink = (
        GeoPackage(out_path, prepared, lines)
        if out_path is not None
        else InMemory(prepared, lines, budget, sort=engine == "dask")
    )
    if engine == "dask":
        works = dask_engine.run(
            prepared,
            lines,
            active,
            settings,
            kernel,
            client=client,
            npartitions=npartitions,
            chunk_size=int(chunk_size),
            n_jobs=int(n_jobs),
        )
        got: Collected = collect(
            works, sink, lines, len(prepared), progress, release=lines.release_chunk_state
        )
    else:
        threads = 1 if engine == "serial" else int(n_jobs)
        got = run(
            prepared,
            lines,
            active,
            settings,
            kernel,
            sink,
            chunk_size=int(chunk_size),
            n_jobs=threads,
            progress=progress,
        )
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
        "line_types": {"present": present, "declared_absent": declared, "not_in_data": missing},
        "nearest_search_m": float(active.checks["nearest_search_m"]),
        "rules": active.source,
        "rules_version": active.version,
        "engine": engine,
        "accelerated": bool(fast),
        "chunk_size": int(chunk_size),
        "n_jobs": int(n_jobs),
        "max_vertices": int(max_vertices),
        "n_projects": len(prepared),
        "n_control_lines": len(lines),
        "townplan_gis_version": __version__,
    }
    if out_path is not None:
        record["out"] = str(out_path)
    evidence = review_evidence(
        hashes.result(),
        rules=active,
        crs=crs_text,
        coverage=cover_info,
        status=status,
        counts=lines_frame["line_type"].value_counts(),
    )
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
        got.n_conflicts,
    )
    return build_review(
        prepared,
        got.conflicts,
        got.totals,
        got.findings,
        got.counts,
        record,
        repairs_frame(rep_crs + rep_lines + rep_projects),
        status=status,
        evidence=evidence,
        lines=lines,
        search_m=float(active.checks["nearest_search_m"]),
        conflicts_file=got.conflicts_file,
        n_conflicts=got.n_conflicts,
    )
