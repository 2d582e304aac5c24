"""Control lines and projects from CAD drawings (DXF), through ezdxf.

:func:`read_dxf_lines` reads control lines by layer name (``townplan_gis/data/dxf_layers.toml``,
user-overridable), :func:`read_dxf_projects` reads project outlines with the text inside each as its
id; :func:`townplan_gis.io.dxf_write.write_conflicts_dxf` writes a review back for the designer.

A DXF file carries no coordinate reference system: the caller names one (``crs=``), and the
coordinates are checked against it (:func:`townplan_gis.core.crs.check_coordinates`). Drawing units
(``$INSUNITS``) other than metres are converted, and recorded; a drawing without units is read as
metres, and recorded. Text of drawings older than R2007 is decoded by their ``$DWGCODEPAGE``
(GBK for ``ANSI_936``); a drawing whose code page says Western (ANSI_1252) but whose text is GBK
or UTF-8 Chinese is read as what its bytes are, and recorded; ``\\U+XXXX`` escapes are decoded.
What was read, converted, paired, repaired or left out is in ``gdf.attrs["repairs"]`` (a list of
:class:`~townplan_gis.core.repairs.Repair`, as in ``town.repairs``). Layer names and the pairing rule:
``docs/sources.md#dxf-layers``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from townplan_gis.core.crs import check_coordinates
from townplan_gis.core.errors import CRSError, DataFileError, SchemaError
from townplan_gis.core.repairs import Repair
from townplan_gis.core.schema import normalize_layer
from townplan_gis.io.dxf_geometry import (
    assign_texts,
    close_linework,
    pair_edges,
    rings_to_polygons,
    split_label,
)
from townplan_gis.io.dxf_read import (
    LAYER_SOURCE,
    Drawing,
    layer_key,
    load_layer_mapping,
    read_drawing,
)

__all__ = ["read_dxf_lines", "read_dxf_projects"]


def _crs(crs: Any, path: Path) -> pyproj.CRS:
    if crs is None:
        raise CRSError(
            f"{path}: a DXF drawing carries no coordinate reference system. Fix: name the one its "
            f"coordinates are in, e.g. crs='EPSG:4546' (CGCS2000 3-degree Gauss-Krüger CM 111E; "
            f"CLI --crs EPSG:4546)."
        )
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(
            f"{path}: crs {crs!r} is not a coordinate reference system ({exc})."
        ) from exc


def _frame(
    rows: dict[str, list],
    geoms: list,
    crs: pyproj.CRS,
    kind: str,
    drawing: Drawing,
    repairs: list[Repair],
) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
    source = f"file {drawing.path}"
    gdf.attrs["source"] = source
    if len(gdf):
        gdf, rep = check_coordinates(gdf, layer=kind, source=source)
        repairs = [*repairs, *rep]
    gdf.attrs["repairs"] = [*drawing.repairs, *repairs]
    return gdf


def _labels(texts: list[list[str]]) -> tuple[list[str | None], list[str | None], list[int]]:
    codes, names, several = [], [], []
    for k, found in enumerate(texts):
        parts = [split_label(t) for t in found]
        code = [c for c, _ in parts if c]
        name = [n for _, n in parts if n]
        codes.append(code[0] if code else None)
        names.append(" ".join(name) or None)
        if len(code) > 1:
            several.append(k)
    return codes, names, several


def _with_holes(polys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outlines drawn inside others on the same layer are holes (an island in a lake, the middle of
    a roundabout): an outline inside an odd number of others is cut out of the one around it.
    Returns the polygons left (outer ones, with their holes) and their positions."""
    n = len(polys)
    if n < 2:
        return polys, np.arange(n)
    outer, inner = shapely.STRtree(polys).query(polys, predicate="contains_properly")
    depth = np.bincount(inner, minlength=n)
    direct = depth[inner] == depth[outer] + 1
    keep = depth % 2 == 0
    out = polys.copy()
    hole_parent = outer[direct & keep[outer]]
    hole = inner[direct & keep[outer]]
    for k in np.unique(hole_parent):
        out[k] = shapely.difference(out[k], shapely.union_all(polys[hole[hole_parent == k]]))
    return out[keep], np.flatnonzero(keep)


def _layer_entry(cfg: Mapping[str, Any], layer: str, path: Path) -> dict | None:
    entry = cfg["layers"].get(layer_key(layer))
    if entry is not None and "ambiguous" in entry:
        raise DataFileError(
            f"{path}: layer '{layer}' is ambiguous as a control line ({entry['ambiguous']}). "
            f"Fix: rename the layer in CAD (道路红线, 黄线 …), or map it in your own layer file: "
            f'[layers] "{layer}" = {{ line_type = "red", source = "our drawing standard" }} '
            f"(mapping=, CLI --dxf-layers)."
        )
    return entry


def _outlines(
    drawing: Drawing, layer: str, cfg: Mapping[str, Any], *, close_open: bool
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The polygons of one layer (closed outlines, then loops closed by open linework), the open
    pieces left, and how many of each kind were read."""
    rings = [r for lyr, r in drawing.rings if lyr == layer]
    opened = np.array(
        [shapely.LineString(p) for lyr, p in drawing.lines if lyr == layer], dtype=object
    )
    polys = rings_to_polygons(rings)
    loops = np.empty(0, dtype=object)
    left = opened
    if close_open and len(opened):
        loops, left = close_linework(opened, cfg["geometry"]["snap_m"])
    allpolys = np.concatenate([polys, loops]) if len(loops) else polys
    allpolys = allpolys[~shapely.is_empty(allpolys)] if len(allpolys) else allpolys
    kept, _ = _with_holes(allpolys)
    return kept, left, len(rings), len(loops)


def read_dxf_lines(
    path: str | Path,
    *,
    crs: Any,
    mapping: str | Path | Mapping[str, Any] | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Control lines from a DXF drawing, by layer name.

    Layers are matched to line types through ``townplan_gis/data/dxf_layers.toml`` (道路红线, 红线,
    DLHX → red; 绿线 → green; 紫线 and its tiers → purple; 蓝线 → blue; 黄线 → yellow …; a user file
    overrides and extends it). On each matched layer:

    * closed polylines, circles, ellipses, splines and hatches are outlines (curves flattened to
      within ``[geometry] flatten_m``); an outline inside another of the same layer is a hole;
    * open lines and arcs that close loops are polygonised (ends snapped within ``snap_m``);
    * open **red** edges are paired into road polygons: two roughly parallel edges (directions
      within 15°) facing each other along at least half the shorter one, 2–60 m apart, give the
      area between them (``[geometry]`` thresholds); a red edge that pairs with none, and open
      linework on other layers that closes no area, are reported (``attrs["unpaired"]`` and a
      repair), never dropped silently; red loops are not polygonised (a loop of red edges is a
      block, not road land);
    * TEXT and MTEXT inside an outline, on its layer or a layer named like it (道路红线标注),
      name it: tokens like ``HX-01`` are its ``code``, the rest its ``name``.

    Parameters
    ----------
    path : str or Path
        A ``.dxf`` file (any version ezdxf reads; DWG must be saved as DXF).
    crs : CRS-like
        The CRS of the drawing's coordinates (required: DXF carries none), e.g. ``"EPSG:4546"``.
    mapping : path or mapping, optional
        A layer file (or dict) overriding ``data/dxf_layers.toml``.
    encoding : str, optional
        Force the text encoding of a pre-R2007 drawing (``"gbk"``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``line_type, zone, name, code, source, cad_layer``, polygons in ``crs``;
        ``attrs["repairs"]`` (what was read, converted, paired, left out) and
        ``attrs["unpaired"]`` (the open edges that became no polygon, with their layer).

    Raises
    ------
    CRSError
        No ``crs``, or coordinates that do not fit it.
    DataFileError
        An unreadable file, an ambiguous layer name (HX, LX), or no control-line layer in the
        drawing (the message lists its layers).
    """
    path = Path(path)
    crs = _crs(crs, path)
    cfg = load_layer_mapping(mapping)
    drawing = read_drawing(path, encoding=encoding, flatten_m=cfg["geometry"]["flatten_m"])
    drawn = list(
        dict.fromkeys([lyr for lyr, _ in drawing.rings] + [lyr for lyr, _ in drawing.lines])
    )
    matched = {lyr: e for lyr in drawn if (e := _layer_entry(cfg, lyr, path)) is not None}
    if not matched:
        listing = ", ".join(f"{k} ({n})" for k, n in drawing.layer_counts.most_common(20)) or "none"
        raise DataFileError(
            f"{path}: no layer of the drawing is a control-line layer; its layers (entities): "
            f"{listing}. Fix: name the layers 道路红线, 绿线, 紫线, 蓝线, 黄线 in CAD, or map yours "
            f"in a layer file (mapping=, CLI --dxf-layers), see {LAYER_SOURCE}."
        )
    repairs = []
    unmatched = [f"{lyr} ({drawing.layer_counts[lyr]})" for lyr in drawn if lyr not in matched]
    if unmatched:
        repairs.append(
            Repair(
                "control_lines",
                "dxf_layers_not_read",
                [],
                f"layers with linework that are no control-line layer (not read): {', '.join(unmatched)}",
            )
        )
    rows: dict[str, list] = {
        k: [] for k in ("line_type", "zone", "name", "code", "source", "cad_layer")
    }
    geoms: list = []
    loose: list[tuple[str, Any]] = []
    for layer, entry in matched.items():
        red = entry["line_type"] == "red"
        polys, left, n_rings, n_loops = _outlines(drawing, layer, cfg, close_open=not red)
        paired = np.empty(0, dtype=object)
        if red and len(left):
            pairs, paired, widths = pair_edges(left, cfg["geometry"])
            used = np.zeros(len(left), dtype=bool)
            used[pairs.ravel()] = True
            if len(pairs):
                repairs.append(
                    Repair(
                        "control_lines",
                        "dxf_paired_edges",
                        [],
                        f"layer {layer}: {len(pairs)} road polygon(s) from pairs of open red-line edges, {np.min(widths):.1f}–{np.max(widths):.1f} m apart",
                    )
                )
            left = left[~used]
        start = len(geoms)
        for g in [*polys, *paired]:
            geoms.append(g)
            rows["line_type"].append(entry["line_type"])
            rows["zone"].append(entry.get("zone"))
            rows["source"].append(f"DXF {path.name}, layer {layer} ({entry.get('source', '')})")
            rows["cad_layer"].append(layer)
        repairs.append(
            Repair(
                "control_lines",
                "dxf_read",
                list(range(start, len(geoms))),
                f"layer {layer} → {entry['line_type']}{' ' + entry['zone'] if entry.get('zone') else ''}: {n_rings} closed outline(s), {n_loops} area(s) closed by lines and arcs, {len(paired)} road polygon(s) from paired edges",
            )
        )
        loose += [(layer, g) for g in left]
    texts = _texts(drawing, geoms, rows["cad_layer"])
    codes, names, several = _labels(texts)
    rows["code"], rows["name"] = codes, names
    if several:
        repairs.append(
            Repair(
                "control_lines",
                "dxf_several_codes",
                several,
                "several code-like texts inside one outline: the first taken as its code, the others kept in the repairs",
            )
        )
    if loose:
        length = sum(g.length for _, g in loose)
        by_layer = Counter(lyr for lyr, _ in loose)
        repairs.append(
            Repair(
                "control_lines",
                "dxf_unpaired",
                [],
                f"{len(loose)} open line(s), {length:.1f} m, became no control-line polygon (a red edge with no parallel partner within {cfg['geometry']['max_width_m']:g} m, or linework that closes no area): {dict(by_layer)}; see attrs['unpaired']. Fix: close the outlines in CAD, or draw both edges of each road",
            )
        )
    gdf = _frame(rows, geoms, crs, "control_lines", drawing, repairs)
    gdf.attrs["unpaired"] = gpd.GeoDataFrame(
        {"cad_layer": [lyr for lyr, _ in loose], "length_m": [g.length for _, g in loose]},
        geometry=gpd.GeoSeries([g for _, g in loose], crs=crs),
        crs=crs,
    )
    return gdf


def _texts(drawing: Drawing, geoms: list, layers: list[str]) -> list[list[str]]:
    if not drawing.texts:
        return [[] for _ in geoms]
    pts = shapely.points(np.array([p for _, _, p in drawing.texts], dtype=float))
    return assign_texts(
        np.array(geoms, dtype=object), np.array(layers, dtype=object), pts,
        np.array([t for _, t, _ in drawing.texts], dtype=object),
        np.array([lyr for lyr, _, _ in drawing.texts], dtype=object),
    )  # fmt: skip


def _outline_counts(drawing: Drawing, cfg: Mapping[str, Any]) -> Counter:
    """Per layer, its outlines: closed ones and the loops its open linework closes."""
    counts = Counter(lyr for lyr, _ in drawing.rings)
    for layer in dict.fromkeys(lyr for lyr, _ in drawing.lines):
        opened = np.array([shapely.LineString(p) for lyr, p in drawing.lines if lyr == layer])
        loops, _ = close_linework(opened, cfg["geometry"]["snap_m"])
        counts[layer] += len(loops)
    return +counts


def read_dxf_projects(
    path: str | Path,
    *,
    crs: Any,
    project_type: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Project outlines from a DXF drawing, the text inside each as its ``project_id``.

    Outlines are read as in :func:`read_dxf_lines` (closed polylines, circles, loops of lines and
    arcs; an outline inside another is a hole). In each, TEXT/MTEXT on the outline's layer (or a
    layer named like it) gives the id (tokens like ``P-01``) and the name (the rest).

    Parameters
    ----------
    path : str or Path
        A ``.dxf`` file.
    crs : CRS-like
        The CRS of the drawing's coordinates (required: DXF carries none).
    project_type : str
        The type of every project (``"building"``, ``"住宅"``, ``"0701"`` …; the accepted names are
        those of ``data/aliases.toml``). Required: a drawing has no type column.
    layer : str, optional
        The layer holding the outlines; default the one layer with outlines that is not a
        control-line layer (refused when there are several).
    encoding : str, optional
        Force the text encoding of a pre-R2007 drawing.

    Returns
    -------
    geopandas.GeoDataFrame
        ``project_id, name, project_type, cad_layer``, polygons in ``crs``, ``attrs["repairs"]``.

    Raises
    ------
    SchemaError
        No ``project_type`` (UnknownValueError: one the vocabulary does not know).
    DataFileError, CRSError
        As :func:`read_dxf_lines`; a ``layer`` not in the drawing, or no single outline layer.
    """
    path = Path(path)
    crs = _crs(crs, path)
    if project_type is None or not str(project_type).strip():
        raise SchemaError(
            f"{path}: projects from a DXF drawing need a project type, and a drawing has no type "
            f"column. Fix: pass project_type='building' (or 住宅, 0701, 道路 …; CLI "
            f"--project-type), the type the five-line rules grade these projects by."
        )
    cfg = load_layer_mapping()
    drawing = read_drawing(path, encoding=encoding, flatten_m=cfg["geometry"]["flatten_m"])
    outline_layers = _outline_counts(drawing, cfg)
    if layer is None:
        candidates = [lyr for lyr in outline_layers if cfg["layers"].get(layer_key(lyr)) is None]
        if len(candidates) != 1:
            listing = ", ".join(f"{k} ({outline_layers[k]})" for k in candidates) or "none"
            raise DataFileError(
                f"{path}: {'several layers' if candidates else 'no layer'} with outlines that are not control lines: {listing}. Fix: pass layer= (CLI --projects-layer) naming the layer of the project outlines."
            )
        layer = candidates[0]
    elif layer not in outline_layers:
        listing = ", ".join(f"{k} ({n})" for k, n in outline_layers.most_common(20)) or "none"
        raise DataFileError(
            f"{path}: no outlines on layer '{layer}'; layers with linework: {listing}. Fix: pass one of them as layer=."
        )
    polys, left, n_rings, n_loops = _outlines(drawing, layer, cfg, close_open=True)
    repairs = [
        Repair(
            "projects",
            "dxf_read",
            list(range(len(polys))),
            f"layer {layer}: {n_rings} closed outline(s), {n_loops} area(s) closed by lines and arcs; project_type = {project_type!r} for all (given)",
        )
    ]
    if len(left):
        repairs.append(
            Repair(
                "projects",
                "dxf_unpaired",
                [],
                f"layer {layer}: {len(left)} open line(s), {sum(g.length for g in left):.1f} m, close no outline (not read as projects). Fix: close the outlines in CAD",
            )
        )
    texts = _texts(drawing, list(polys), [layer] * len(polys))
    codes, names, several = _labels(texts)
    missing = [k for k, c in enumerate(codes) if c is None]
    if missing:
        repairs.append(
            Repair(
                "projects",
                "dxf_no_id",
                missing,
                "no id text (like P-01) inside the outline: project_id left empty, the review names these projects by row",
            )
        )
    if several:
        repairs.append(
            Repair(
                "projects",
                "dxf_several_codes",
                several,
                "several id-like texts inside one outline: the first taken as project_id",
            )
        )
    rows: dict[str, list] = {
        "project_id": codes,
        "name": names,
        "project_type": [project_type] * len(polys),
        "cad_layer": [layer] * len(polys),
    }
    gdf = _frame(rows, list(polys), crs, "projects", drawing, repairs)
    # An unknown type is refused here, with the accepted list, not later in the review.
    normalize_layer(gdf, "projects", allow_empty=True)
    return gdf
