"""The evidence of a review: per project and line type, what was searched and what was found.

A permit reviewer must show that every line was checked, not only the conflicts found: "red line:
checked, 0 features found, nearest 35.2 m" is a result, like a negative search result. The table
:attr:`Review.checks <townplan_gis.fiveline.result.Review.checks>` holds one row per project × line
type (all five, in ``schema.LINE_TYPES`` order) with

* ``status`` — ``checked`` (the type is in the line data), ``declared_absent`` (declared: the town
  has none, and the data has none), ``not_in_data`` (neither: the project cannot pass) or
  ``project_invalid`` (the project itself could not be reviewed);
* ``features_found`` — the features of the type that overlap the project (slivers included) or lie
  within its setback distance, each counted once;
* ``nearest_distance_m`` — the distance to the nearest feature of the type: 0 when one overlaps or
  touches, the measured distance of a setback finding, else the nearest within the search distance
  ``d_s`` (rule file ``[checks] nearest_search_m``), NaN when the type has no features or none lies
  within ``d_s``:

  .. math:: d = \\min_{L \\in \\text{type},\\ \\operatorname{dist}(P, L) \\le d_s}
            \\operatorname{dist}(P, L)

The counts, and the distances of the features found, are computed per chunk of projects in the
engines' worker threads (or dask workers) from the chunk's conflict rows. The search for the
nearest feature that was not found (:func:`search_nearest`: one bulk query per line type of a tree
of the subdivided pieces, then the exact distance of each candidate pair in two threads; no Python
loop per pair) runs when :attr:`Review.checks` is first read, not inside :func:`review`: it costs
one GEOS distance per candidate pair within ``d_s``, about as much again as the whole review of a
county of parcels and road strips (an unbounded nearest search costs ≈ 25 µs per project and type
in GEOS, ten times the review), and a review that is only counted or mapped does not need it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.schema import LINE_TYPES
from townplan_gis.fiveline.lines import PreparedLines
from townplan_gis.fiveline.pieces import split_map
from townplan_gis.fiveline.rows import Rows

__all__ = [
    "CHECK_COLUMNS",
    "STATUSES",
    "checks_frame",
    "chunk_checks",
    "fill_nearest",
    "search_nearest",
]

#: The values of ``status``.
STATUSES = ("checked", "declared_absent", "not_in_data", "project_invalid")
#: The columns of :attr:`Review.checks` (besides its index: project, line_type).
CHECK_COLUMNS = ["project_id", "status", "features_found", "nearest_distance_m"]
_T = len(LINE_TYPES)
#: Per-chunk columns: features found and nearest distance per line type code.
FOUND = [f"_found_{k}" for k in range(_T)]
NEAREST = [f"_nearest_{k}" for k in range(_T)]


def chunk_checks(rows: Rows, projects: pd.DataFrame, lines: PreparedLines) -> pd.DataFrame:
    """Features found and the nearest distance among them, per line type, for one chunk.

    Parameters
    ----------
    rows : Rows
        The chunk's conflict rows.
    projects : pandas.DataFrame
        The chunk's prepared projects (``_pos`` ascending).
    lines : PreparedLines
        The lines the rows refer to.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``_pos``: ``_found_<k>`` (int) and ``_nearest_<k>`` (m: 0 for an overlap, the
        distance of a setback finding; NaN where nothing was found) per line-type code ``k``
        (position in ``LINE_TYPES``).
    """
    at = projects["_pos"].to_numpy(dtype=np.int64)
    m = len(at)
    found = np.zeros((m, _T), dtype=np.int64)
    nearest = np.full((m, _T), np.inf)
    if len(rows):
        inv = np.searchsorted(at, rows.pos)
        line = rows.line
        lt = lines.arrays["line_type_code"][line].astype(np.int64)
        # A (project, line) pair counts once: an ignored sliver and a setback finding of one line
        # are one feature found.
        _, first = np.unique(inv * max(len(lines), 1) + line, return_index=True)
        np.add.at(found, (inv[first], lt[first]), 1)
        np.minimum.at(nearest, (inv, lt), rows.distance_m)
    nearest[np.isinf(nearest)] = np.nan
    index = pd.Index(at, name="_pos")
    return pd.DataFrame(
        {
            **{c: found[:, k] for k, c in enumerate(FOUND)},
            **{c: nearest[:, k] for k, c in enumerate(NEAREST)},
        },
        index=index,
    )


def search_nearest(
    geoms: np.ndarray, need: np.ndarray, lines: PreparedLines, search_m: float, *, n_jobs: int = 2
) -> np.ndarray:
    """Distance to the nearest feature of each line type within ``search_m``, where ``need``.

    One bulk query per line type of the tree of its subdivided pieces, with the projects' boxes
    grown by ``search_m``, then the exact distance of each candidate pair (GEOS, in ``n_jobs``
    threads) and the minimum per project: no Python loop per pair.

    Parameters
    ----------
    geoms : numpy.ndarray
        The projects' geometries in the analysis CRS.
    need : numpy.ndarray of bool, shape (n, 5)
        Which (project, line type) to search.
    lines : PreparedLines
    search_m : float
        Search distance, m.

    Returns
    -------
    numpy.ndarray, shape (n, 5)
        Distances in m; NaN where not searched or nothing lies within ``search_m``.
    """
    out = np.full(need.shape, np.nan)
    if search_m <= 0 or not lines.type_trees:
        return out
    for k, (tree, piece) in lines.type_trees.items():
        rows = np.flatnonzero(need[:, k])
        if not len(rows):
            continue
        x0, y0, x1, y1 = shapely.bounds(geoms[rows]).T
        grow = search_m
        left, right = tree.query(shapely.box(x0 - grow, y0 - grow, x1 + grow, y1 + grow))
        if not len(left):
            continue
        d = np.concatenate(
            split_map(shapely.distance, n_jobs, geoms[rows[left]], lines.pieces[piece[right]])
        )
        near = d <= search_m
        best = np.full(len(rows), np.inf)
        np.minimum.at(best, left[near], d[near])
        out[rows, k] = np.where(np.isfinite(best), best, np.nan)
    return out


def checks_frame(
    prepared: pd.DataFrame,
    table: pd.DataFrame,
    status_by_type: dict[str, str],
) -> pd.DataFrame:
    """:attr:`Review.checks` from the per-chunk columns of every project (:func:`chunk_checks`).

    Parameters
    ----------
    prepared : pandas.DataFrame
        The prepared projects (``project_id``, ``_parts``), index = the input's index.
    table : pandas.DataFrame
        :func:`chunk_checks` of all chunks, one row per project position 0..n-1.
    status_by_type : dict
        Line type → ``checked`` / ``declared_absent`` / ``not_in_data``.

    Returns
    -------
    pandas.DataFrame
        Indexed by (project index label, ``line_type``), columns :data:`CHECK_COLUMNS`.
    """
    n = len(prepared)
    valid = prepared["_parts"].to_numpy() > 0
    type_status = np.array([status_by_type[t] for t in LINE_TYPES], dtype=object)
    type_code = np.array([STATUSES.index(s) for s in type_status], dtype=np.int8)
    status = np.where(valid[:, None], type_code[None, :], STATUSES.index("project_invalid"))
    found = table[FOUND].to_numpy(dtype=np.int64) if n else np.zeros((0, _T), dtype=np.int64)
    near = table[NEAREST].to_numpy(dtype=float) if n else np.zeros((0, _T))
    present = type_status == "checked"
    near = np.where(present[None, :] & valid[:, None], near, np.nan)
    found_col = pd.array(found.ravel(), dtype="Int64")
    found_col[~np.repeat(valid, _T)] = pd.NA
    name = prepared.index.name or "project"
    # Codes into the distinct labels: an index with repeated labels stays valid.
    codes, labels = pd.factorize(prepared.index)
    index = pd.MultiIndex(
        levels=[labels, pd.Index(list(LINE_TYPES))],
        codes=[np.repeat(codes, _T), np.tile(np.arange(_T), n)],
        names=[name if name != "line_type" else "project", "line_type"],
        verify_integrity=False,
    )
    return pd.DataFrame(
        {
            "project_id": np.repeat(prepared["project_id"].to_numpy(dtype=object), _T),
            "status": pd.Categorical.from_codes(status.ravel(), categories=list(STATUSES)),
            "features_found": found_col,
            "nearest_distance_m": near.ravel(),
        },
        index=index,
    )


def fill_nearest(
    checks: pd.DataFrame, geoms: np.ndarray, lines: PreparedLines, search_m: float
) -> pd.DataFrame:
    """``checks`` with ``nearest_distance_m`` searched where a checked type found no feature.

    Parameters
    ----------
    checks : pandas.DataFrame
        From :func:`checks_frame` (project-major rows, five per project).
    geoms : numpy.ndarray
        The projects' geometries in the analysis CRS, in the order of ``checks``' projects.
    lines : PreparedLines
    search_m : float

    Returns
    -------
    pandas.DataFrame
        A copy of ``checks``.
    """
    n = len(geoms)
    status = checks["status"].to_numpy(dtype=object).reshape(n, _T)
    found = checks["features_found"].to_numpy(dtype="float64", na_value=np.nan).reshape(n, _T)
    need = (status == "checked") & (found == 0)
    near = search_nearest(geoms, need, lines, search_m)
    out = checks.copy()
    current = out["nearest_distance_m"].to_numpy(dtype=float).reshape(n, _T)
    out["nearest_distance_m"] = np.where(need, near, current).ravel()
    return out
