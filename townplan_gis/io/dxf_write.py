"""A five-line review written back as a DXF drawing for the designer: :func:`write_conflicts_dxf`.

AutoCAD 2010 DXF (R2010, UTF-8 text), drawing units metres, coordinates in the review's metric CRS
(named in the header variable ``$CRS`` of the drawing's custom properties). One layer per kind of
finding: ``冲突-<line>-<grade>`` for the overlaps (``冲突-红线-禁止``, ``冲突-蓝线-需审批`` …),
``退线-<line>-<grade>`` for the part of a building inside a setback band, ``…-提示(细碎)`` for slivers
kept as notices, and ``项目-<verdict>`` for the project outlines (``项目-不予通过`` …). Areas are solid
hatches with their outlines as closed polylines; each patch is labelled with its project, line and
area. Only the review's result is read (``review.conflicts``, ``review.projects``), so this module
does not import the review package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ezdxf
import numpy as np
import shapely

from townplan_gis.core.errors import OutputPathError
from townplan_gis.core.vocab import LABELS, LINE_ZH

__all__ = ["write_conflicts_dxf"]

# AutoCAD colour index per grade and per verdict: red, orange, yellow, grey; green for a pass.
_GRADE_ACI = {"forbidden": 1, "review": 30, "notice": 2}
_VERDICT_ACI = {"pass": 3, "review": 30, "reject": 1, "not_checked": 6, "invalid": 8}
_SLIVER_ACI = 8


def _layer_name(check: str, line_type: str, grade: str, ignored: bool) -> str:
    head = "退线" if check == "setback" else "冲突"
    grade_zh = LABELS["grade"].get(grade, (grade,))[0]
    return f"{head}-{LINE_ZH.get(line_type, line_type)}-{grade_zh}" + ("(细碎)" if ignored else "")


def _add_geometry(msp: Any, geom: shapely.Geometry, layer: str, *, hatch: bool) -> None:
    """Polygons as a solid hatch plus closed polylines of every ring; lines as polylines; points."""
    attribs = {"layer": layer}
    for part in shapely.get_parts(geom):
        kind = part.geom_type
        if kind == "Polygon" and not part.is_empty:
            rings = [part.exterior, *part.interiors]
            if hatch:
                h = msp.add_hatch(dxfattribs=attribs)
                for k, ring in enumerate(rings):
                    flags = ezdxf.const.BOUNDARY_PATH_EXTERNAL if k == 0 else 0
                    h.paths.add_polyline_path(list(ring.coords)[:-1], is_closed=True, flags=flags)
            for ring in rings:
                msp.add_lwpolyline(list(ring.coords)[:-1], close=True, dxfattribs=attribs)
        elif kind == "LineString" and not part.is_empty:
            msp.add_lwpolyline(list(part.coords), dxfattribs=attribs)
        elif kind == "Point" and not part.is_empty:
            msp.add_point((part.x, part.y), dxfattribs=attribs)
        elif kind in ("MultiPolygon", "MultiLineString", "MultiPoint", "GeometryCollection"):
            _add_geometry(msp, part, layer, hatch=hatch)


def _label(msp: Any, geom: shapely.Geometry, text: str, layer: str, height: float) -> None:
    if geom is None or geom.is_empty:
        return
    p = shapely.point_on_surface(geom)
    msp.add_text(text, height=height, dxfattribs={"layer": layer}).set_placement((p.x, p.y))


def _ensure_layer(doc: Any, name: str, colour: int) -> None:
    if name not in doc.layers:
        doc.layers.add(name, color=colour)


def write_conflicts_dxf(review: Any, path: str | Path, *, text_height_m: float = 2.0) -> Path:
    """Write a review's conflict patches and project outlines to a DXF drawing.

    Parameters
    ----------
    review : townplan_gis.Review
        A review (its ``conflicts`` and ``projects``).
    path : str or Path
        The ``.dxf`` file to write (replaced if it exists).
    text_height_m : float, default 2.0
        Height of the labels, in metres.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputPathError
        ``path`` is a folder, or its folder does not exist.
    """
    path = Path(path)
    if path.is_dir() or not path.parent.is_dir():
        raise OutputPathError(
            f"{path}: {'is a folder' if path.is_dir() else 'its folder does not exist'}. Fix: "
            f"name a .dxf file in an existing folder."
        )
    conflicts, projects = review.conflicts, review.projects
    crs = conflicts.crs if conflicts.crs is not None else projects.crs
    doc = ezdxf.new("R2010", setup=False)
    doc.header["$INSUNITS"] = 6
    doc.header["$MEASUREMENT"] = 1
    if crs is not None:
        epsg = crs.to_epsg()
        doc.header.custom_vars.append("CRS", f"EPSG:{epsg}" if epsg else crs.to_string())
    msp = doc.modelspace()
    for verdict, group in projects.groupby("verdict", sort=False):
        layer = f"项目-{LABELS['verdict'].get(verdict, (verdict,))[0]}"
        _ensure_layer(doc, layer, _VERDICT_ACI.get(verdict, 7))
        ids = group["project_id"].astype(str).to_numpy() if "project_id" in group else group.index
        for pid, geom in zip(ids, group.geometry.array, strict=True):
            if geom is None or geom.is_empty:
                continue
            _add_geometry(msp, geom, layer, hatch=False)
            _label(msp, geom, str(pid), layer, text_height_m)
    ignored = conflicts["ignored"].fillna(False).to_numpy(dtype=bool) if len(conflicts) else []
    for k, row in enumerate(conflicts.itertuples(index=False)):
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        layer = _layer_name(row.check, row.line_type, row.grade, bool(ignored[k]))
        _ensure_layer(doc, layer, _SLIVER_ACI if ignored[k] else _GRADE_ACI.get(row.grade, 7))
        _add_geometry(msp, geom, layer, hatch=True)
        area = getattr(row, "overlap_area_m2", np.nan)
        measure = f" {area:.1f}m²" if isinstance(area, float) and area > 0 else ""
        line = row.line_name if isinstance(row.line_name, str) and row.line_name else row.line_id
        _label(msp, geom, f"{row.project_id} {line}{measure}", layer, text_height_m)
    doc.saveas(path)
    return path
