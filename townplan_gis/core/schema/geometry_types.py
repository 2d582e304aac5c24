"""Geometries brought to a layer's allowed types: Z dropped, closed CAD polylines polygonised,
GeometryCollections reduced to the allowed family; each change recorded as a Repair."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from townplan_gis.core.errors import GeometryTypeError
from townplan_gis.core.geometry import reduce_collections
from townplan_gis.core.repairs import Repair
from townplan_gis.core.schema.spec import LayerSpec

__all__ = ["fix_geometry_types"]


def _replace_geometry(
    gdf: gpd.GeoDataFrame,
    geoms: np.ndarray,
    changed: np.ndarray,
    *,
    kind: str,
    action: str,
    detail: str,
) -> Repair:
    """Set ``gdf``'s geometry in place (a copy normalize_layer owns); the Repair of the changed rows."""
    gdf[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    return Repair(kind, action, gdf.index[changed].tolist(), detail)


_DIMENSION = {
    "Point": 0,
    "MultiPoint": 0,
    "LineString": 1,
    "MultiLineString": 1,
    "Polygon": 2,
    "MultiPolygon": 2,
}
_FAMILY = {0: "Point", 1: "LineString", 2: "Polygon"}


def _reduce_collections(gdf: gpd.GeoDataFrame, spec: LayerSpec, repairs: list[Repair]) -> None:
    """Reduce GeometryCollections (CAD and overlay output) to the layer's allowed geometry family.

    A collection keeps its parts of the highest dimension the layer allows (see
    :func:`townplan_gis.core.geometry.reduce_collections`); the repair names each row and what it lost.
    """
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    dims = sorted({_DIMENSION[t] for t in spec.geometry})
    reduced, collections, dropped = reduce_collections(geoms, dims)
    if not collections.any():
        return
    rows = gdf.index[collections].tolist()
    kept = shapely.get_dimensions(reduced[collections])
    empty = shapely.is_empty(reduced[collections])
    notes = []
    for row, lost, dim, nothing in zip(rows, dropped, kept, empty, strict=True):
        what = ", ".join(f"{n} {t}" for t, n in lost.items()) or "nothing"
        kept_text = "no allowed part, kept as empty" if nothing else f"kept {_FAMILY[dim]}s"
        notes.append(f"row {row}: {kept_text}, dropped {what}")
    more = f"; … and {len(notes) - 5} more rows" if len(notes) > 5 else ""
    families = "/".join(_FAMILY[d] for d in reversed(dims))
    repairs.append(
        _replace_geometry(
            gdf,
            reduced,
            collections,
            kind=spec.kind,
            action="extracted_parts",
            detail=(
                f"geometry collections reduced to their {families} parts (the highest allowed "
                f"dimension present): {'; '.join(notes[:5])}{more}"
            ),
        )
    )


def fix_geometry_types(gdf: gpd.GeoDataFrame, spec: LayerSpec, repairs: list[Repair]) -> None:
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    has_z = shapely.has_z(geoms)
    if has_z.any():
        repairs.append(
            _replace_geometry(
                gdf,
                shapely.force_2d(geoms),
                has_z,
                kind=spec.kind,
                action="dropped_z",
                detail="Z coordinates dropped (analysis is 2-D)",
            )
        )
    if spec.geometry[0] == "Polygon":
        # CAD exports carry closed polylines where a polygon is meant (docs/engineering.md#file-formats).
        geoms = np.asarray(gdf.geometry.array)
        closed_line = (
            np.isin(shapely.get_type_id(geoms), [1, 2])
            & shapely.is_closed(geoms)
            & (shapely.get_num_coordinates(geoms) >= 4)
        )
        if closed_line.any():
            coords, idx = shapely.get_coordinates(geoms[closed_line], return_index=True)
            fixed = geoms.copy()
            fixed[closed_line] = shapely.polygons(shapely.linearrings(coords, indices=idx))
            repairs.append(
                _replace_geometry(
                    gdf,
                    fixed,
                    closed_line,
                    kind=spec.kind,
                    action="polygonized",
                    detail="closed lines turned into polygons (CAD export)",
                )
            )
    allowed = spec.geometry
    if spec.kind == "projects":
        # A project may be a site plus its road: the five-line review checks every part.
        allowed = (*allowed, "GeometryCollection")
    else:
        _reduce_collections(gdf, spec, repairs)
    types = gdf.geometry.geom_type
    bad = types.notna() & ~types.isin(allowed)
    if bad.any():
        raise GeometryTypeError(
            f"layer '{spec.kind}': geometry types {sorted(set(types[bad]))} in rows "
            f"{gdf.index[bad].tolist()[:10]} are not allowed; accepted: {list(spec.geometry)}. "
            f"Fix: convert the geometries, or load them as the right layer kind."
        )
