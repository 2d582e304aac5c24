"""Conflict rows as a typed structure, and the conflicts frame built from them.

Every engine reviews chunks of projects; what a chunk hands on is a :class:`Rows`: one array per
column, in the projects' input order (overlaps of a project before its setback findings). Texts
repeated over many rows (project and line ids and names, grades, clauses) are not stored per row:
the rows carry positions and codes, and :func:`~townplan_gis.fiveline.conflicts.conflicts_frame`
looks the texts up once, for all rows of a review.

Schema of :class:`Rows`:

================  ============  =============================================================
column            dtype         meaning
================  ============  =============================================================
``pos``           int64         position of the project in the review's input (0 … n−1)
``line``          int64         position of the control line (:class:`PreparedLines` order)
``setback``       bool          a setback finding (``check = "setback"``), else an overlap
``dim``           int8          dimension of the project part measured: 0 point, 1 line, 2 area
``area_m2``       float64       overlap area (setback: the project's part in the setback band)
``length_m``      float64       overlap length (line projects)
``distance_m``    float64       distance to the line (0 for overlaps)
``pct_of_project`` float64      the overlap as % of the project part's area or length (100 for
                                points)
``pct_of_line``   float64       the overlap as % of the line's area (NaN for setbacks, lines,
                                points)
``rank``          int8          grade rank: 1 notice, 2 review, 3 forbidden (``GRADE_RANK``)
``ignored``       bool          a sliver below the tolerance, kept but not counted
``text``          int32         row of ``texts`` holding the clause and procedure
``texts``         object (m, 4) clause (zh), procedure (zh), clause_en, procedure_en
``reason``        Arrow string  why the row was found (English); an array or a chunked array
``reason_zh``     Arrow string  the same in Chinese
``geometry``      object        the overlap (setback: the project's part inside the band)
================  ============  =============================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pyarrow as pa
import shapely

__all__ = ["Measured", "Rows"]


@dataclass
class Measured:
    """What an engine measures in one chunk: one entry per (project part, control line) overlap.

    Attributes
    ----------
    row : numpy.ndarray of int64
        Row of the project in the chunk.
    line : numpy.ndarray of int64
        Position of the control line.
    dim : numpy.ndarray of int8
        Dimension of the project part measured (a collection is measured part by part).
    area_m2, length_m : numpy.ndarray of float64
        The overlap's area (polygon parts) or length (line parts); 0 for points.
    geometry : numpy.ndarray of object
        The overlap.
    """

    row: np.ndarray
    line: np.ndarray
    dim: np.ndarray
    area_m2: np.ndarray
    length_m: np.ndarray
    geometry: np.ndarray

    def __len__(self) -> int:
        return len(self.row)

    @staticmethod
    def concat(parts: Sequence[Measured]) -> Measured:
        return Measured(
            *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Measured))
        )


@dataclass
class Rows:
    """Graded conflict rows, one array per column (schema in the module docstring)."""

    pos: np.ndarray
    line: np.ndarray
    setback: np.ndarray
    dim: np.ndarray
    area_m2: np.ndarray
    length_m: np.ndarray
    distance_m: np.ndarray
    pct_of_project: np.ndarray
    pct_of_line: np.ndarray
    rank: np.ndarray
    ignored: np.ndarray
    text: np.ndarray
    texts: np.ndarray
    reason: pa.Array | pa.ChunkedArray
    reason_zh: pa.Array | pa.ChunkedArray
    geometry: np.ndarray

    def __len__(self) -> int:
        return len(self.pos)

    def take(self, idx: np.ndarray) -> Rows:
        """The rows at positions ``idx``."""
        pick = pa.array(np.asarray(idx, dtype=np.int64))
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "texts":
                out[f.name] = v
            elif isinstance(v, pa.Array | pa.ChunkedArray):
                out[f.name] = v.take(pick)
            else:
                out[f.name] = v[idx]
        return Rows(**out)

    @staticmethod
    def concat(parts: Sequence[Rows], *, consume: bool = False) -> Rows:
        """The rows of ``parts`` one after the other (their text tables joined).

        With ``consume``, each column of the parts is released as soon as it is joined, so that
        joining a county's rows holds one column twice at most, not all of them.
        """
        parts = [p for p in parts if len(p)]
        if not parts:
            return Rows.empty()
        if len(parts) == 1:
            return parts[0]
        sizes = np.array([len(p.texts) for p in parts])
        offset = np.cumsum(sizes) - sizes
        out: dict[str, Any] = {}
        for f in fields(Rows):
            vals = [getattr(p, f.name) for p in parts]
            if consume and f.name != "texts":
                for p in parts:
                    setattr(p, f.name, None)
            if f.name == "texts":
                out[f.name] = np.concatenate(vals)
            elif f.name == "text":
                out[f.name] = np.concatenate([v + o for v, o in zip(vals, offset, strict=True)])
            elif isinstance(vals[0], pa.Array | pa.ChunkedArray):
                # Chained, not copied: a county's reasons are hundreds of MB.
                out[f.name] = pa.chunked_array(
                    [
                        c
                        for v in vals
                        for c in (v.chunks if isinstance(v, pa.ChunkedArray) else [v])
                    ],
                    type=pa.string(),
                )
            else:
                out[f.name] = np.concatenate(vals)
        return Rows(**out)

    @staticmethod
    def empty() -> Rows:
        i8, f8 = np.zeros(0, np.int64), np.zeros(0)
        return Rows(
            pos=i8,
            line=i8,
            setback=np.zeros(0, bool),
            dim=np.zeros(0, np.int8),
            area_m2=f8,
            length_m=f8,
            distance_m=f8,
            pct_of_project=f8,
            pct_of_line=f8,
            rank=np.zeros(0, np.int8),
            ignored=np.zeros(0, bool),
            text=np.zeros(0, np.int32),
            texts=np.empty((0, 4), dtype=object),
            reason=pa.array([], pa.string()),
            reason_zh=pa.array([], pa.string()),
            geometry=np.empty(0, dtype=object),
        )

    def __getstate__(self) -> dict[str, Any]:
        # Pickled for dask workers: the geometries as one WKB batch (8× faster than one by one).
        state = self.__dict__.copy()
        state["geometry"] = shapely.to_wkb(self.geometry)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["geometry"] = np.asarray(shapely.from_wkb(state["geometry"]), dtype=object)
        self.__dict__.update(state)
