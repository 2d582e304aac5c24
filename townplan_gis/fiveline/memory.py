"""How big a review's result will be, and whether it fits in memory.

A review holds one conflict row per (project, line) overlap and per setback finding. In a town that
is a few thousand rows; a county of 10⁶ parcels under 10⁵ control lines gives 10⁶–10⁷ rows, and
at ≈ 1 KB a row (the overlap polygon, two reasons, the row's numbers) that is 1–20 GB. Before a
review starts, :func:`estimate_review` counts the candidate pairs of a sample of the projects
against the control lines and extrapolates; during the review the rows held are counted chunk by
chunk. A result that would not fit in the memory budget is either streamed to a GeoPackage chunk by
chunk (``review(..., out="conflicts.gpkg")``: memory then stays bounded by a chunk) or refused with
a :class:`ReviewTooLarge` error that says how big it would be and what to do — never left to run
until the operating system kills the process.
"""

from __future__ import annotations

import ctypes
import functools
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from townplan_gis.core.errors import TownPlanError

__all__ = [
    "BYTES_PER_ROW",
    "STREAM_FROM",
    "ReviewEstimate",
    "ReviewTooLarge",
    "available_bytes",
    "default_budget",
    "estimate_pairs",
    "estimate_review",
    "release_freed_memory",
]

#: Resident bytes per conflict row held in memory: the overlap polygon (a shapely object of ≈ 6
#: vertices), the English and Chinese reasons, the numbers and codes, and the conflicts frame built
#: from them (measured: 10⁵-parcel counties, 1,000–1,300 bytes a row with the frame; 2,000 during
#: the review, when rows and frame coexist).
BYTES_PER_ROW = 2_000
#: Resident bytes per project of a review's own tables (prepared projects, findings with reasons,
#: totals, evidence columns), besides the caller's frame.
BYTES_PER_PROJECT = 1_500
_SAMPLE = 5_000
#: From this many projects, ``townplan review`` streams the conflict rows to its conflicts.gpkg
#: (a county's review of 10⁵–10⁶ projects at ≈ 2 conflict rows each is 0.4–4 GB in memory).
STREAM_FROM = 100_000


class ReviewTooLarge(TownPlanError):
    """The review's result would not fit in its memory budget (and no ``out=`` file was given)."""


@dataclass(frozen=True)
class ReviewEstimate:
    """The expected size of a review's result.

    Attributes
    ----------
    projects, lines : int
        Input sizes.
    rows : int
        Expected conflict rows (overlaps and setback findings), extrapolated from a sample.
    bytes : int
        Expected resident memory of the result held in memory (rows and per-project tables).
    sampled : int
        Projects in the sample.
    """

    projects: int
    lines: int
    rows: int
    bytes: int
    sampled: int

    @property
    def gb(self) -> float:
        return self.bytes / 2**30

    def describe(self) -> str:
        return (
            f"{self.projects:,} projects × {self.lines:,} control lines → about {self.rows:,} "
            f"conflict rows, ≈ {self.gb:.1f} GB in memory"
        )


def _meminfo_available() -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` in bytes; None where there is no such file (not
    Linux) or no such line (kernels before 3.14)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def available_bytes() -> int:
    """Memory the system can give this process now (``MemAvailable``), in bytes; elsewhere the
    free physical pages, else 8 GB."""
    found = _meminfo_available()
    if found is not None:
        return found
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30  # unknown: assume a modest machine


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, …): it has no malloc_trim
        return None


def release_freed_memory() -> bool:
    """Give the memory this process has freed back to the system now (glibc's ``malloc_trim``);
    False where the C library has no such call (the memory is then kept for reuse, as usual).

    A review calls it when its chunks are done, and again once the conflicts frame is built:
    glibc keeps what the worker threads allocated and freed (their scratch, then the chunks' rows
    once joined) in those threads' arenas, where the assembly in this thread does not reuse it.
    At 10⁶ projects the two calls lowered the peak by 0.3 GB. Only pages that hold nothing are
    returned; no setting of the allocator changes.
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def default_budget() -> int:
    """The memory a review may fill with its result by default: 60 % of what is available now."""
    return int(0.6 * available_bytes())


def estimate_review(
    projects: gpd.GeoDataFrame,
    control_lines: gpd.GeoDataFrame,
    *,
    sample: int = _SAMPLE,
    seed: int = 0,
) -> ReviewEstimate:
    """Estimate the conflict rows and memory of ``review(projects, control_lines)``, quickly.

    A random sample of the projects is queried against the control lines' bounding boxes (one
    STRtree bulk query; the lines are not subdivided or prepared): the candidate pairs per project
    are extrapolated to all projects, then the share that truly intersect (measured on the sample)
    and the setback findings (one in ten candidates near red or blue lines, as in the benchmark
    counties) are added. Good to within a factor of about 1.5; meant to decide between holding
    the result in memory and streaming it (``review(..., out=...)``).

    Parameters
    ----------
    projects, control_lines : geopandas.GeoDataFrame
        As for :func:`~townplan_gis.fiveline.engine.review`; both in the same CRS.
    sample : int, default 5,000
        Projects sampled.
    seed : int, default 0

    Returns
    -------
    ReviewEstimate
    """
    n, m = len(projects), len(control_lines)
    if not n or not m:
        return ReviewEstimate(n, m, 0, n * BYTES_PER_PROJECT, 0)
    lines = control_lines
    if projects.crs is not None and lines.crs is not None and not lines.crs.equals(projects.crs):
        lines = lines.to_crs(projects.crs)
    line_geoms = np.asarray(lines.geometry.array, dtype=object)
    geoms = np.asarray(projects.geometry.array, dtype=object)
    return estimate_pairs(
        geoms, line_geoms, shapely.STRtree(line_geoms), m, sample=sample, seed=seed
    )


def estimate_pairs(
    geoms: np.ndarray,
    lines: np.ndarray,
    tree: shapely.STRtree,
    n_lines: int,
    *,
    sample: int = _SAMPLE,
    seed: int = 0,
    fits: int | None = None,
) -> ReviewEstimate:
    """:func:`estimate_review` from the projects' geometries and a tree of the line polygons (or
    of their pieces, ``lines``), in one CRS.

    With ``fits`` (bytes), the candidate pairs by bounding box are counted first: when even that
    upper bound fits, it is returned as the estimate without testing which pairs truly intersect.
    """
    n = len(geoms)
    pick = np.sort(np.random.default_rng(seed).choice(n, size=min(sample, n), replace=False))
    geoms = geoms[pick]
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    left, right = tree.query(geoms)

    def estimate(pairs: int) -> ReviewEstimate:
        # Setback findings and the pieces of one line counted once come to about a tenth more.
        rows = math.ceil(1.1 * pairs / max(len(geoms), 1) * n)
        return ReviewEstimate(
            n, n_lines, rows, int(rows * BYTES_PER_ROW + n * BYTES_PER_PROJECT), len(geoms)
        )

    bound = estimate(len(left))
    if fits is not None and bound.bytes <= fits:
        return bound
    hit = shapely.intersects(geoms[left], lines[right]) if len(left) else np.zeros(0, bool)
    return estimate(int(hit.sum()))


def too_large(estimate: ReviewEstimate, budget: int, *, measured: str = "") -> ReviewTooLarge:
    """The error for a result that does not fit ``budget`` bytes: its size, and what to do."""
    seen = f" ({measured})" if measured else ""
    return ReviewTooLarge(
        f"review: {estimate.describe()}{seen}, more than the memory budget of "
        f"{budget / 2**30:.1f} GB. Fix: stream the conflict rows to a GeoPackage chunk by chunk "
        f"with review(..., out='conflicts.gpkg') (on the command line: townplan review --stream, "
        f"the default from {STREAM_FROM:,} projects; memory then stays bounded by one chunk), "
        f"review the county district by district, or raise memory_budget_gb= on a machine with "
        f"more memory."
    )


def check_out(out: str | Path) -> Path:
    """The GeoPackage path of ``out=``: refused unless it ends in ``.gpkg``."""
    path = Path(out)
    if path.suffix.lower() != ".gpkg":
        raise TownPlanError(
            f"out={str(out)!r}: the conflict rows are streamed to a GeoPackage. Fix: give a path "
            f"ending in .gpkg."
        )
    return path
