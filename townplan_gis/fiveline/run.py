"""Running the chunks of a review: in this thread or in a pool of threads, holding the rows in
memory within a budget or streaming them to a GeoPackage.

Projects are cut into consecutive chunks; each is reviewed by :func:`~townplan_gis.fiveline.chunk.review_work`
(in a worker thread: shapely 2 and Arrow release the GIL in their vectorised calls, so both cores
of a small office machine work). At most two chunks per thread are in flight, so that the pair
arrays of only a few chunks exist at a time whatever the number of projects, and a slow consumer
(the GeoPackage writer) holds back the workers instead of letting finished chunks pile up. Chunks
are consecutive runs of project positions and each chunk's rows are in project order, so the rows
come out in the projects' input order whatever the chunk size or the number of threads.

Where the rows go is a :class:`Sink`: :class:`InMemory` keeps them (and stops the review with
:class:`~townplan_gis.fiveline.memory.ReviewTooLarge` as soon as they pass the memory budget),
:class:`GeoPackage` writes each chunk's rows to the ``conflicts`` layer of a file and keeps none.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from townplan_gis.core.progress import progress as progress_bar
from townplan_gis.core.progress import progress_enabled
from townplan_gis.core.schema import LINE_TYPES
from townplan_gis.fiveline.assemble import summary_counts
from townplan_gis.fiveline.chunk import Work, review_work
from townplan_gis.fiveline.conflicts import conflicts_frame, empty_conflicts
from townplan_gis.fiveline.lines import PreparedLines
from townplan_gis.fiveline.memory import (
    BYTES_PER_ROW,
    ReviewEstimate,
    release_freed_memory,
    too_large,
)
from townplan_gis.fiveline.overlap import Reference
from townplan_gis.fiveline.result import CONFLICTS_LAYER
from townplan_gis.fiveline.rows import Rows
from townplan_gis.fiveline.rules import Rules
from townplan_gis.fiveline.totals import TOTAL_COLUMNS

__all__ = [
    "Collected",
    "GeoPackage",
    "InMemory",
    "Progress",
    "Sink",
    "auto_chunk_size",
    "collect",
    "run",
]

Progress = Callable[[int, int], Any]


def auto_chunk_size(n: int, n_jobs: int, *, largest: int = 20_000, smallest: int = 2_000) -> int:
    """Projects per chunk when the caller names none.

    At least four chunks per thread, so that threads finish together although chunks differ in
    cost; at most ``largest`` projects (bounded memory: pair arrays exist for a few chunks at a
    time); at least ``smallest`` (the fixed cost of a chunk stays small).
    """
    k = max(4 * n_jobs, math.ceil(n / largest))
    k = math.ceil(k / n_jobs) * n_jobs
    return max(1, min(largest, max(smallest, math.ceil(n / k))))


def progress_report(
    progress: bool | Progress | None, total: int
) -> tuple[Progress | None, Callable[[], None]]:
    """(report, close): ``report(done, total)`` for a bar or the caller's callable, or None."""
    if progress is True or (progress is None and progress_enabled()):
        bar = progress_bar(total=total, unit="projects", desc="review", progress=True)
        return (lambda done, _total: bar.update(done - bar.n)), bar.close
    return (progress or None), lambda: None


class Sink(Protocol):
    """Where the rows of each finished chunk go."""

    def add(self, rows: Rows, done: int, total: int) -> None:
        """Take one chunk's rows (``done`` of ``total`` projects reviewed with it)."""

    def result(self) -> tuple[gpd.GeoDataFrame | None, Path | None, int]:
        """(conflicts frame or None, GeoPackage or None, number of rows)."""


class InMemory:
    """Keeps the rows; raises :class:`~townplan_gis.fiveline.memory.ReviewTooLarge` when they pass
    ``budget`` bytes (at :data:`~townplan_gis.fiveline.memory.BYTES_PER_ROW` a row). With
    ``sort``, the rows are put in the projects' input order at the end (chunks that arrive out of
    order, from dask)."""

    def __init__(
        self, prepared: pd.DataFrame, lines: PreparedLines, budget: int, *, sort: bool = False
    ) -> None:
        self.prepared, self.lines, self.budget, self.sort = prepared, lines, budget, sort
        self.parts: list[Rows] = []
        self.n = 0

    def add(self, rows: Rows, done: int, total: int) -> None:
        self.parts.append(rows)
        self.n += len(rows)
        if self.n * BYTES_PER_ROW > self.budget:
            rows_all = math.ceil(self.n * total / max(done, 1))
            estimate = ReviewEstimate(
                total, len(self.lines), rows_all, rows_all * BYTES_PER_ROW, done
            )
            raise too_large(
                estimate,
                self.budget,
                measured=f"{self.n:,} rows found in the first {done:,} projects",
            )

    def result(self) -> tuple[gpd.GeoDataFrame | None, Path | None, int]:
        parts, self.parts = self.parts, []
        rows = Rows.concat(parts, consume=True)
        del parts
        if self.sort:
            # Stable: each project's rows keep the kernel's order.
            rows = rows.take(np.argsort(rows.pos, kind="stable"))
        return conflicts_frame(rows, self.prepared, self.lines), None, len(rows)


class GeoPackage:
    """Writes each chunk's rows to the ``conflicts`` layer of ``path`` (replaced) and keeps none."""

    def __init__(self, path: Path, prepared: pd.DataFrame, lines: PreparedLines) -> None:
        self.path, self.prepared, self.lines = path, prepared, lines
        self.n = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()

    def add(self, rows: Rows, done: int, total: int) -> None:
        if not len(rows):
            return
        frame = conflicts_frame(rows, self.prepared, self.lines)
        pyogrio.write_dataframe(
            frame,
            self.path,
            layer=CONFLICTS_LAYER,
            driver="GPKG",
            geometry_type="Unknown",
            append=self.n > 0,
        )
        self.n += len(rows)

    def result(self) -> tuple[gpd.GeoDataFrame | None, Path | None, int]:
        if not self.n:  # the layer exists, with its columns, even without a row
            empty = empty_conflicts(self.lines.crs)
            pyogrio.write_dataframe(
                empty, self.path, layer=CONFLICTS_LAYER, driver="GPKG", geometry_type="Unknown"
            )
        return None, self.path, self.n


@dataclass
class Collected:
    """What :func:`run` gathered: the rows (in memory or in a file), the per-type totals of every
    project (an array of ``TOTAL_COLUMNS`` × projects, by ``_pos``; zero where none), the findings
    of every project (by ``_pos``), and the summary counts."""

    conflicts: gpd.GeoDataFrame | None
    conflicts_file: Path | None
    n_conflicts: int
    totals: np.ndarray
    findings: pd.DataFrame
    counts: np.ndarray


def _windowed(
    fn: Callable[[int], Work], starts: list[int], pool: ThreadPoolExecutor | None, window: int
) -> Iterator[Work]:
    """``map(fn, starts)`` in order, with at most ``window`` calls in flight in ``pool``."""
    if pool is None:
        yield from map(fn, starts)
        return
    pending: deque[Future[Work]] = deque()
    remaining = iter(starts)
    for s in remaining:
        pending.append(pool.submit(fn, s))
        if len(pending) >= window:
            break
    while pending:
        yield pending.popleft().result()
        nxt = next(remaining, None)
        if nxt is not None:
            pending.append(pool.submit(fn, nxt))


def run(
    prepared: gpd.GeoDataFrame,
    lines: PreparedLines,
    rules: Rules,
    settings: Mapping[str, Any],
    engine: Reference,
    sink: Sink,
    *,
    chunk_size: int,
    n_jobs: int,
    progress: bool | Progress | None = None,
) -> Collected:
    """Review ``prepared`` projects chunk by chunk (module docstring).

    Parameters
    ----------
    prepared : geopandas.GeoDataFrame
        All prepared projects (``_pos`` = 0 … n−1).
    lines : PreparedLines
        The review's own lines: once every chunk is done they drop what only the chunks read
        (:meth:`PreparedLines.release_chunk_state`), in place.
    rules : Rules
    settings : mapping
        ``{"setbacks": bool}``.
    engine : Reference
        The engine measuring overlaps (shared by the threads: it holds no per-chunk state); the
        review's own, released (:meth:`~townplan_gis.fiveline.overlap.Reference.release`) once
        every chunk is done.
    sink : Sink
    chunk_size, n_jobs : int
        Projects per chunk; worker threads (1: every chunk in this thread).
    progress : bool or callable, optional
    """
    n = len(prepared)
    starts = list(range(0, n, chunk_size)) or [0]
    threaded = n_jobs > 1 and len(starts) > 1
    local = threading.local()

    def thread_lines() -> PreparedLines:
        # Prepared GEOS geometries are not thread-safe: a thread prepares its own copies, if the
        # engine wants prepared pieces at all.
        if not threaded and not engine.prepared_pieces:
            return lines
        if not hasattr(local, "lines"):
            local.lines = lines.for_thread(prepared=engine.prepared_pieces)
        return local.lines

    def work(start: int) -> Work:
        chunk = prepared.iloc[start : start + chunk_size]
        return review_work(chunk, thread_lines(), rules, settings, engine)

    pool, finished = None, False

    def release() -> None:
        # Every chunk is done: the threads end (with their copies of the lines), and the engine
        # and the lines drop what only the chunks read, before the result is assembled.
        if pool is not None:
            pool.shutdown(wait=True)
        engine.release()
        lines.release_chunk_state()

    try:
        if threaded:
            pool = ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="townplan-review")
        out = collect(
            _windowed(work, starts, pool, 2 * n_jobs),
            sink,
            lines,
            n,
            progress,
            release=release,
        )
        finished = True
    finally:
        if pool is not None:
            # On an error the chunks not yet started are dropped and the running ones waited for.
            # After success every chunk is done: the threads only free their copies of the pieces.
            pool.shutdown(wait=not finished, cancel_futures=True)
    return out


def collect(
    works: Iterator[Work],
    sink: Sink,
    lines: PreparedLines,
    n: int,
    progress: bool | Progress | None = None,
    *,
    release: Callable[[], None] | None = None,
) -> Collected:
    """Feed each chunk's rows to ``sink`` and gather its totals, findings and summary counts.

    ``release`` is called once every chunk is done, before the sink assembles its result (the
    threads end, :meth:`Reference.release <townplan_gis.fiveline.overlap.Reference.release>`,
    :meth:`PreparedLines.release_chunk_state`); then the memory freed is
    given back to the system (:func:`~townplan_gis.fiveline.memory.release_freed_memory`), so
    that the result is not assembled on top of the chunks' leftovers."""
    report, close = progress_report(progress, n)
    findings = []
    # Filled chunk by chunk: one row per total, contiguous, so that the projects table takes its
    # columns without a copy (a county's chunk tables, joined and then copied, held 0.2 GB more).
    totals = np.zeros((len(TOTAL_COLUMNS), n))
    counts = np.zeros((3, 4 * len(LINE_TYPES)))
    done = 0
    try:
        for got in works:
            done += got.n_projects
            sink.add(got.rows, done, n)
            counts += summary_counts(got.rows, lines)
            if len(got.totals):
                at = got.totals.index.to_numpy(dtype=np.int64)
                for k, col in enumerate(TOTAL_COLUMNS):
                    if col in got.totals:
                        totals[k, at] = got.totals[col].to_numpy(dtype=float)
            findings.append(got.findings)
            if report:
                report(done, n)
    finally:
        close()
    if release is not None:
        release()
    release_freed_memory()
    conflicts, path, n_rows = sink.result()
    release_freed_memory()  # the chunks' rows, freed as they were joined
    return Collected(
        conflicts,
        path,
        n_rows,
        totals,
        pd.concat(findings) if findings else pd.DataFrame(),
        counts,
    )
