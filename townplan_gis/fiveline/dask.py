"""The dask engine of :func:`townplan_gis.fiveline`: the same kernel, on a dask cluster.

``review(..., engine="dask")`` hands the prepared projects and the prepared control lines to
:func:`run`, which

1. sorts the projects along a Hilbert curve of their bounding-box centres and cuts them into
   contiguous partitions, so each partition covers a compact patch of the county and its tasks touch
   few control-line pieces (the ``spatial_shuffle(by="hilbert")`` of dask-geopandas, done here in
   numpy because the projects are already in the client's memory — ``docs/engineering.md#overlaps-two-cores``: the shuffle cost more
   than the join). Each row keeps its ``_pos`` (position in the input), so nothing depends on the
   index, which a shuffle would replace;
2. ships the :class:`~townplan_gis.fiveline.lines.PreparedLines` (subdivided pieces, setback bands,
   attributes) and the engine **once to every worker** (``Client.scatter(..., broadcast=True)``);
   each task reuses the worker's copy, re-preparing its geometries once (prepared GEOS state does not
   survive pickling);
3. runs :func:`~townplan_gis.fiveline.chunk.review_work` on each partition — rows, per-type totals,
   verdicts and evidence columns, computed on the workers — and hands the results back as they
   come; the review puts the rows in the projects' input order (stable by ``_pos``), or streams
   them to a GeoPackage partition by partition.

Results are identical to the in-memory engine: the same kernel computes every row, and no row depends
on which other projects share its partition.

Which cluster
-------------
``client`` may be a :class:`distributed.Client`, a scheduler address (``"tcp://10.0.0.5:8786"``), or
None. With None the Client currently in effect is used (``with Client(addr): tp.review(...,
engine="dask")`` — dask's usual idiom); without any, dask's local threaded scheduler runs the tasks
on ``n_jobs`` threads in this process.

On a 2-core machine this engine is not faster than ``engine="threads"`` (``docs/engineering.md#overlaps-two-cores`` and
``benchmarks/README.md``): its place is a multi-node cluster.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.errors import TownPlanError
from townplan_gis.fiveline.chunk import Work, review_work
from townplan_gis.fiveline.lines import PreparedLines
from townplan_gis.fiveline.overlap import Reference
from townplan_gis.fiveline.rules import Rules
from townplan_gis.fiveline.text import plain_texts

__all__ = ["hilbert_distance", "hilbert_order", "partition", "run"]

log = logging.getLogger(__name__)


def hilbert_distance(x: np.ndarray, y: np.ndarray, bounds, *, level: int = 16) -> np.ndarray:
    """Hilbert-curve index of points on a 2^level × 2^level grid over ``bounds`` (vectorised).

    The classic ``xy2d`` bit loop (Hilbert 1891; Skilling 2004), run on whole arrays: one pass per
    level, so 16 numpy passes for any number of points.
    """
    x0, y0, x1, y1 = bounds
    n = 1 << level
    w = max(x1 - x0, 1e-9)
    h = max(y1 - y0, 1e-9)
    xi = np.clip(((x - x0) / w * (n - 1)).astype(np.int64), 0, n - 1)
    yi = np.clip(((y - y0) / h * (n - 1)).astype(np.int64), 0, n - 1)
    d = np.zeros(len(xi), dtype=np.int64)
    s = n >> 1
    while s > 0:
        rx = (xi & s) > 0
        ry = (yi & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        # Rotate the quadrant so the curve stays continuous.
        flip = ~ry
        swap_x = np.where(flip & rx, n - 1 - xi, xi)
        swap_y = np.where(flip & rx, n - 1 - yi, yi)
        xi = np.where(flip, swap_y, swap_x)
        yi = np.where(flip, swap_x, swap_y)
        s >>= 1
    return d


def hilbert_order(geoms: np.ndarray) -> np.ndarray:
    """Positions that sort geometries along a Hilbert curve; missing/empty ones go last, in order."""
    bounds = shapely.bounds(geoms)
    ok = np.isfinite(bounds).all(axis=1)
    d = np.full(len(geoms), np.iinfo(np.int64).max, dtype=np.int64)
    if ok.any():
        b = bounds[ok]
        total = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
        d[ok] = hilbert_distance((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, total)
    return np.argsort(d, kind="stable")


def partition(projects: gpd.GeoDataFrame, npartitions: int) -> list[gpd.GeoDataFrame]:
    """Spatially compact partitions of the prepared projects (Hilbert order, near-equal sizes)."""
    order = hilbert_order(np.asarray(projects.geometry.array, dtype=object))
    npartitions = max(1, min(int(npartitions), len(projects)))
    cuts = np.linspace(0, len(order), npartitions + 1).astype(int)
    # Within a partition the rows keep their input order (the per-project findings need their
    # positions ascending); which rows form a partition is what the curve decides.
    return [
        plain_texts(projects.iloc[np.sort(order[a:b])])
        for a, b in itertools.pairwise(cuts)
        if b > a
    ]


_THREAD = threading.local()


def _thread_lines(lines: PreparedLines, prepared: bool) -> PreparedLines:
    """This thread's own prepared copy of the broadcast lines.

    A worker runs several tasks at once in threads over the *same* deserialised lines (and the local
    threaded scheduler shares them too); GEOS prepared geometries are not thread-safe, so each thread
    prepares its own copy, once per broadcast object (pickling drops prepared state anyway).
    """
    cached = getattr(_THREAD, "cached", None)
    if cached is None or cached[0] is not lines:
        _THREAD.cached = (lines, lines.for_thread(prepared=prepared))
    return _THREAD.cached[1]


def _review_partition(
    part: pd.DataFrame,
    lines: PreparedLines,
    rules: Rules,
    settings: Mapping[str, Any],
    engine: Reference,
) -> Work:
    # Rows, per-type totals and verdicts on the worker, like the threads engine does per chunk:
    # the client only joins them. Rows pickle their geometries as one WKB batch.
    return review_work(part, _thread_lines(lines, engine.prepared_pieces), rules, settings, engine)


def _distributed() -> Any:
    """The ``distributed`` package, imported on first use.

    dask and distributed are an optional extra (``county``) and take ≈ 1 s to import: only a
    review with ``engine="dask"`` imports them (third-party modules; the package's own imports are
    all at module level).
    """
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError as exc:
        raise TownPlanError(
            f"engine='dask' needs dask and distributed ({exc}). Fix: pip install "
            f"'townplan-gis[county]', or use engine='threads'."
        ) from exc
    return distributed


def _resolve_client(client: Any) -> tuple[Any, bool]:
    """(Client or None, whether we own it and must close it)."""
    distributed = _distributed()
    if client is None:
        try:
            return distributed.get_client(), False
        except ValueError:  # no Client in effect: the local threaded scheduler will do
            return None, False
    if isinstance(client, str):
        return distributed.Client(client), True
    return client, False


def run(
    projects: gpd.GeoDataFrame,
    lines: PreparedLines,
    rules: Rules,
    settings: Mapping[str, Any],
    engine: Reference,
    *,
    client: Any = None,
    npartitions: int | None = None,
    chunk_size: int = 20_000,
    n_jobs: int = 2,
) -> Iterator[Work]:
    """Review prepared projects against prepared control lines on dask, partition by partition.

    Parameters
    ----------
    projects : geopandas.GeoDataFrame
        Output of :func:`townplan_gis.fiveline.prepare.prepare_projects` (``_pos``, ``_dim``, …).
    lines : PreparedLines
        From :func:`townplan_gis.fiveline.lines.prepare_lines`; shipped once to every worker.
    rules : Rules
    settings : mapping
        Passed to :func:`~townplan_gis.fiveline.chunk.review_work`.
    engine : Reference
        The engine (shipped once to every worker with the lines).
    client : distributed.Client or str, optional
        A Client, or a scheduler address to connect to (closed afterwards). Default: the Client in
        effect, else dask's threaded scheduler with ``n_jobs`` threads.
    npartitions : int, optional
        Default ``ceil(n / chunk_size)``, at least two per worker so that stragglers balance.
    chunk_size, n_jobs : int
        As for the in-memory engine.

    Yields
    ------
    Work
        Each partition's rows, per-type totals and findings (by ``_pos``), as they finish.
    """
    settings = dict(settings)
    _distributed()  # refuse early without the extra
    n = len(projects)
    if n == 0:  # nothing to ship: the empty chunk, here
        yield review_work(projects, lines, rules, settings, engine)
        return
    client, owned = _resolve_client(client)
    n_workers = n_jobs
    if client is not None:
        n_workers = max(
            1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
        )
    if npartitions is None:
        npartitions = max(math.ceil(n / max(1, chunk_size)), 2 * n_workers)
    parts = partition(projects, npartitions)
    try:
        args = (parts, lines, rules, settings, engine)
        if client is None:
            yield from _run_local(*args, n_jobs)
        else:
            yield from _run_distributed(client, *args)
    finally:
        if owned:
            client.close()
    log.info("dask engine: %d projects in %d partitions on %s", n, len(parts), client or "threads")


def _run_local(parts, lines, rules, settings, engine, n_jobs) -> Iterator[Work]:
    import dask  # imported by _distributed() already: see there

    # traverse=False: the PreparedLines dataclass is one opaque value, not a collection to unpack.
    lines_d = dask.delayed(lines, traverse=False)
    engine_d = dask.delayed(engine, traverse=False)
    tasks = [dask.delayed(_review_partition)(p, lines_d, rules, settings, engine_d) for p in parts]
    yield from dask.compute(*tasks, scheduler="threads", num_workers=max(1, n_jobs))


def _run_distributed(client, parts, lines, rules, settings, engine) -> Iterator[Work]:
    # Control lines and engine once to every worker; each task gets a reference, not a copy.
    [lines_f] = client.scatter([lines], broadcast=True, hash=False)
    [rules_f] = client.scatter([rules], broadcast=True, hash=False)
    [engine_f] = client.scatter([engine], broadcast=True, hash=False)
    part_f = client.scatter(parts, hash=False)
    futures = [
        client.submit(_review_partition, p, lines_f, rules_f, settings, engine_f, pure=False)
        for p in part_f
    ]
    try:
        for fut in _distributed().as_completed(futures):
            yield fut.result()
    finally:
        client.cancel([*futures, lines_f, rules_f, engine_f, *part_f])
