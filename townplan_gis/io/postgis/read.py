"""Reading from PostGIS: a table or a SQL query as a layer, projects, a whole town (one schema), and
the overlap of two tables as PostGIS computes it. Identifiers are quoted by SQLAlchemy, values bound."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from townplan_gis.core.errors import DataFileError, TownPlanError
from townplan_gis.core.repairs import Repair
from townplan_gis.core.schema import layer_kind, normalize_layer
from townplan_gis.io.postgis.connect import (
    check_postgis,
    connect,
    geometry_oids,
    geometry_tables,
    safe_url,
    stored_record,
    table_columns,
)
from townplan_gis.io.record import INDEX_COLUMN, town_from_parts

__all__ = ["pair_overlaps", "read_projects", "read_table", "read_town"]

log = logging.getLogger(__name__)


def _frame(
    conn: Any,
    statement: Any,
    params: Mapping[str, Any] | None,
    *,
    geom_col: str | None,
    source: str,
) -> gpd.GeoDataFrame:
    """Run a statement and build a GeoDataFrame, finding the geometry column by its type OID."""
    import sqlalchemy as sa

    try:
        result = conn.execute(statement, dict(params or {}))
    except sa.exc.SQLAlchemyError as exc:
        raise DataFileError(
            f"{source}: query failed ({str(getattr(exc, 'orig', exc)).strip()})."
        ) from exc
    names = list(result.keys())
    oids = geometry_oids(conn)
    described = result.cursor.description if result.cursor is not None else None
    geo_cols = [d.name for d in described or [] if d.type_code in oids]
    if geom_col is None:
        if not geo_cols:
            raise DataFileError(
                f"{source}: the result has no geometry column (columns: {names}). Fix: select the "
                f"geometry column, or pass geom_col=."
            )
        geom_col = geo_cols[0]
    elif geom_col not in names:
        raise DataFileError(f"{source}: no column '{geom_col}' in the result (columns: {names}).")
    rows = result.fetchall()
    df = pd.DataFrame.from_records(rows, columns=names)
    raw = df.pop(geom_col).to_numpy(dtype=object)
    is_null = pd.isna(raw)
    # PostGIS sends geometry as hex EWKB text; the SRID travels inside it.
    geoms = shapely.from_wkb(
        [
            None if n else (bytes.fromhex(v) if isinstance(v, str) else bytes(v))
            for v, n in zip(raw, is_null, strict=True)
        ]
    )
    srids = set(shapely.get_srid(geoms[~shapely.is_missing(geoms)]).tolist())
    srids.discard(0)
    if len(srids) > 1:
        raise DataFileError(
            f"{source}: geometries in several SRIDs {sorted(srids)}. Fix: ST_Transform them to one."
        )
    crs = f"EPSG:{srids.pop()}" if srids else None
    name = "geometry" if "geometry" not in df.columns else geom_col
    gdf = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, index=df.index, crs=crs, name=name))
    if INDEX_COLUMN in gdf.columns:
        gdf = gdf.set_index(INDEX_COLUMN)
        gdf.index.name = None
    return gdf


def _select_table(conn: Any, name: str, schema: str, source: str):
    import sqlalchemy as sa

    cols = table_columns(conn, name, schema)
    if not cols:
        raise DataFileError(f"{source}: no table '{schema}.{name}'.")
    return sa.select(*[sa.column(c) for c in cols]).select_from(sa.table(name, schema=schema))


def _read_table(
    conn: Any, name: str, schema: str, *, geom_col: str | None, source: str
) -> gpd.GeoDataFrame:
    """One whole table as a GeoDataFrame (every column, selected by name)."""
    stmt = _select_table(conn, name, schema, source)
    return _frame(conn, stmt, None, geom_col=geom_col, source=source)


def read_table(
    con: Any,
    table: str,
    *,
    schema: str = "public",
    geom_col: str | None = None,
) -> gpd.GeoDataFrame:
    """Read one PostGIS table into a GeoDataFrame (CRS from the SRID; ``townplan_index`` restored).

    Parameters
    ----------
    con : str, sqlalchemy URL, Engine or Connection
        ``postgresql://user:password@host:port/database``.
    table : str
        Table name (quoted by SQLAlchemy, so Chinese names and mixed case are fine).
    schema : str, default "public"
    geom_col : str, optional
        Geometry column; default the first column of type geometry.
    """
    source = f"{safe_url(con)} {schema}.{table}"
    with connect(con) as conn:
        return _read_table(conn, table, schema, geom_col=geom_col, source=source)


def read_projects(
    con: Any,
    *,
    table: str | None = None,
    sql: str | None = None,
    params: Mapping[str, Any] | None = None,
    schema: str = "public",
    geom_col: str | None = None,
    crs: Any = None,
    assume_crs: Any = None,
    index_col: str | None = None,
) -> gpd.GeoDataFrame:
    """Read construction projects from a PostGIS table or a parameterised SQL query.

    Parameters
    ----------
    con : str, sqlalchemy URL, Engine or Connection
        ``postgresql://user:password@host:port/database``.
    table : str, optional
        Table to read whole (exactly one of ``table`` and ``sql``).
    sql : str, optional
        A ``SELECT`` with named bind parameters (``:status``), e.g.
        ``"SELECT * FROM plan.projects WHERE status = :status AND ST_Intersects(geom, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4546))"``.
        Values go in ``params``; never format them into the text.
    params : mapping, optional
        Values of the bind parameters.
    schema : str, default "public"
        Schema of ``table``.
    geom_col : str, optional
        Geometry column; default the first column of type geometry in the result.
    crs : CRS-like, optional
        Reproject to this CRS (e.g. the town's analysis CRS).
    assume_crs : CRS-like, optional
        CRS of geometries stored without an SRID (SRID 0).
    index_col : str, optional
        Column to use as the index, by canonical name (e.g. ``project_id``, also when the table calls
        it ``项目编号``); default a ``townplan_index`` column if any, else 0..n-1.

    Returns
    -------
    geopandas.GeoDataFrame
        The projects in the canonical schema (``project_id, name, project_type, investment_wan_yuan,
        status``; Chinese column names and values mapped through the alias table).
    """
    if (table is None) == (sql is None):
        raise TownPlanError("read_projects: pass exactly one of table= and sql=.")
    import sqlalchemy as sa

    if table is not None:
        if params:
            raise TownPlanError("read_projects: params= applies to sql=, not to table=.")
        source = f"{safe_url(con)} {schema}.{table}"
    else:
        source = f"{safe_url(con)} query"
    with connect(con) as conn:
        check_postgis(conn, con)
        if sql is None:
            gdf = _read_table(conn, str(table), schema, geom_col=geom_col, source=source)
        else:
            gdf = _frame(conn, sa.text(sql), params, geom_col=geom_col, source=source)
    if gdf.crs is None:
        if gdf.geometry.notna().any():
            if assume_crs is None:
                raise DataFileError(
                    f"{source}: geometries carry no SRID. Fix: pass assume_crs='EPSG:4546' (the CRS "
                    f"the data is really in), or UpdateGeometrySRID in the database."
                )
            gdf = gdf.set_crs(assume_crs)
        elif crs is not None or assume_crs is not None:
            # No geometry, so no SRID to read: the CRS asked for.
            gdf = gdf.set_crs(crs if crs is not None else assume_crs)
    out, _ = normalize_layer(gdf, "projects", allow_empty=True)
    if index_col is not None:
        if index_col not in out.columns:
            raise DataFileError(
                f"{source}: no column '{index_col}' for index_col (columns after alias mapping: "
                f"{[c for c in out.columns if c != out.geometry.name]})."
            )
        out = out.set_index(pd.Index(out[index_col].to_numpy(), name=None))
    return out.to_crs(crs) if crs is not None and out.crs is not None else out


# -- towns ------------------------------------------------------------------------------------------


def read_town(
    con: Any,
    *,
    schema: str = "public",
    tables: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> Any:
    """Read a town from a PostGIS schema.

    Parameters
    ----------
    con : str, sqlalchemy URL, Engine or Connection
        ``postgresql://user:password@host:port/database``.
    schema : str, default "public"
        Schema holding the layer tables and (optionally) the ``townplan_town`` table.
    tables : mapping of kind to table name, optional
        Tables to read as which layer, e.g. ``{"roads": "dlzx_2024", "control_lines": "wuxian"}``.
        Default: the tables recorded by :func:`write_town`, else every geometry table whose name is a
        layer kind or one of its aliases (``道路`` → roads).
    **kwargs
        Passed to :class:`~townplan_gis.Town` (``name``, ``crs``, ``assume_crs``, ``population`` …).

    Returns
    -------
    Town
    """
    label = f"{safe_url(con)} schema {schema}"
    with connect(con) as conn:
        check_postgis(conn, con)
        meta = stored_record(conn, schema)
        chosen = dict(tables or meta.get("tables") or {})
        repairs: list[Repair] = []
        if not chosen:
            for n in geometry_tables(conn, schema):
                kind = layer_kind(n)
                if kind is None:
                    log.warning("%s: table '%s' is not a town layer kind; ignored", label, n)
                    continue
                if kind in chosen:
                    raise DataFileError(
                        f"{label}: tables '{chosen[kind]}' and '{n}' both map to '{kind}'. Fix: pass "
                        f"tables={{'{kind}': '<one of them>'}}."
                    )
                chosen[kind] = n
                if n != kind:
                    repairs.append(
                        Repair(kind, "renamed_layer", [], f"table '{n}' read as '{kind}'")
                    )
        if not chosen:
            raise DataFileError(
                f"{label}: no layer tables found. Name tables by layer kind (roads, control_lines …) "
                f"or pass tables={{kind: table}}."
            )
        layers = {
            kind: _read_table(conn, name, schema, geom_col=None, source=f"{label} table {name}")
            for kind, name in chosen.items()
        }
    kwargs.setdefault("allow_empty", True)
    return town_from_parts(schema, layers, meta, repairs, **kwargs)


def pair_overlaps(
    con: Any,
    left: str,
    right: str,
    *,
    left_id: str,
    right_id: str,
    schema: str = "public",
    left_geom: str = "geometry",
    right_geom: str = "geometry",
) -> pd.DataFrame:
    """Overlap area of every intersecting pair of two tables, computed by PostGIS.

    The GiST-indexed ``ST_Intersects`` join followed by ``ST_Area(ST_Intersection(a, b))``: how an
    office would compute overlaps in the database, and the reference :func:`review` is checked
    against.

    Parameters
    ----------
    con : str, sqlalchemy URL, Engine or Connection
        ``postgresql://user:password@host:port/database``.
    left, right : str
        The two tables (e.g. projects and control lines), in ``schema``.
    left_id, right_id : str
        Their identifier columns, returned as ``left_id`` and ``right_id``.
    schema : str, default "public"
    left_geom, right_geom : str, default "geometry"
        Their geometry columns; both in one projected SRID, so areas are in its square units.

    Returns
    -------
    pandas.DataFrame
        Columns ``left_id, right_id, area_m2`` (square units of the tables' SRID), one row per pair
        whose geometries intersect (touching pairs included, with area 0).
    """
    import sqlalchemy as sa

    a = sa.table(left, sa.column(left_id), sa.column(left_geom), schema=schema).alias("a")
    b = sa.table(right, sa.column(right_id), sa.column(right_geom), schema=schema).alias("b")
    ga, gb = a.c[left_geom], b.c[right_geom]
    stmt = sa.select(
        a.c[left_id].label("left_id"),
        b.c[right_id].label("right_id"),
        sa.func.ST_Area(sa.func.ST_Intersection(ga, gb)).label("area_m2"),
    ).select_from(a.join(b, sa.func.ST_Intersects(ga, gb)))
    with connect(con) as conn:
        rows = conn.execute(stmt).fetchall()
    return pd.DataFrame.from_records(rows, columns=["left_id", "right_id", "area_m2"])
