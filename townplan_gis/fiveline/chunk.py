"""One chunk of projects, reviewed: the unit of work of every execution engine.

:func:`review_rows` measures the chunk's overlaps with an engine (the reference engine of
:mod:`townplan_gis.fiveline.overlap`, or its accelerator :class:`~townplan_gis.fiveline.fast.Fast`),
grades them (:mod:`townplan_gis.fiveline.grade`), adds the setback findings
(:mod:`townplan_gis.fiveline.setbacks`) and returns :class:`~townplan_gis.fiveline.rows.Rows` in the
projects' input order. :func:`review_work` adds what is computed per chunk in the worker (thread
or dask worker) besides the rows: per-type totals, verdicts and reasons, and the evidence columns.
Projects never span chunks, so all of it can be computed per chunk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from townplan_gis.fiveline.checks import chunk_checks
from townplan_gis.fiveline.conflicts import conflicts_frame
from townplan_gis.fiveline.fast import Fast
from townplan_gis.fiveline.findings import project_findings
from townplan_gis.fiveline.grade import grade_overlaps
from townplan_gis.fiveline.lines import PreparedLines
from townplan_gis.fiveline.overlap import Reference, measure
from townplan_gis.fiveline.rows import Rows
from townplan_gis.fiveline.rules import Rules
from townplan_gis.fiveline.setbacks import setback_rows
from townplan_gis.fiveline.totals import type_totals

__all__ = ["Work", "review_chunk", "review_rows", "review_work"]


def review_rows(
    projects: pd.DataFrame,
    lines: PreparedLines,
    rules: Rules,
    settings: Mapping[str, Any] | None = None,
    engine: Reference | None = None,
) -> Rows:
    """The conflict rows of one chunk of prepared projects.

    Parameters
    ----------
    projects : pandas.DataFrame
        Output of :func:`townplan_gis.fiveline.prepare.prepare_projects`, or a slice of it
        (``_pos`` ascending).
    lines : PreparedLines
        From :func:`~townplan_gis.fiveline.lines.prepare_lines`; a thread uses its own copy
        (:meth:`PreparedLines.for_thread`).
    rules : Rules
    settings : mapping, optional
        ``{"setbacks": bool}`` (default True).
    engine : Reference, optional
        The engine measuring overlaps; default the accelerated one for ``lines``.

    Returns
    -------
    Rows
        Overlaps (``setback`` False) and setback findings, in the projects' input order, a
        project's overlaps before its setback findings.
    """
    engine = Fast(lines) if engine is None else engine
    chunk = projects.reset_index(drop=True)
    found = measure(chunk, lines, engine, noise_m2=rules.tolerance["noise_m2"])
    rows = grade_overlaps(found, chunk, lines, rules)
    if (settings or {}).get("setbacks", True) and len(lines.zones):
        # A (project, line) pair with a real (non-ignored) overlap gets no setback finding: it is
        # left out before any distance or band geometry is computed for it.
        real = ~rows.ignored
        covered = found.row[real].astype(np.int64) * len(lines) + found.line[real]
        sb = setback_rows(chunk, lines, rules, engine, covered=covered)
        if sb is not None:
            rows = Rows.concat([rows, sb])
    order = np.argsort(rows.pos, kind="stable")
    if len(order) and not np.all(order[1:] > order[:-1]):
        rows = rows.take(order)
    return rows


@dataclass
class Work:
    """What a worker returns for one chunk: its rows, its projects' per-type totals and their
    findings (verdict, reasons, evidence columns), both indexed by ``_pos``."""

    rows: Rows
    totals: pd.DataFrame
    findings: pd.DataFrame
    n_projects: int


def review_work(
    projects: pd.DataFrame,
    lines: PreparedLines,
    rules: Rules,
    settings: Mapping[str, Any] | None = None,
    engine: Reference | None = None,
) -> Work:
    """:func:`review_rows` of a chunk with its per-type totals and per-project findings."""
    engine = Fast(lines) if engine is None else engine
    rows = review_rows(projects, lines, rules, settings, engine)
    findings = pd.concat(
        [project_findings(rows, projects), chunk_checks(rows, projects, lines)], axis=1
    )
    return Work(rows, type_totals(rows, lines, engine), findings, len(projects))


def review_chunk(
    projects: pd.DataFrame,
    lines: PreparedLines,
    rules: Rules,
    settings: Mapping[str, Any] | None = None,
    engine: Reference | None = None,
) -> gpd.GeoDataFrame:
    """Review one chunk of prepared projects against prepared control lines, as a frame.

    The columns of :attr:`Review.conflicts <townplan_gis.fiveline.result.Review.conflicts>` plus
    ``_pos`` and ``_line`` (positions of the project and the line); geometry = the overlap, or the
    part of the project inside the setback band. See :func:`review_rows`.
    """
    rows = review_rows(projects, lines, rules, settings, engine)
    frame = conflicts_frame(rows, projects, lines)
    frame["_pos"] = rows.pos
    frame["_line"] = rows.line
    return frame
