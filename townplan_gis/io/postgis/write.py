"""Writing to PostGIS: one layer or a whole town, rows loaded with ``COPY … FROM STDIN`` (psycopg 3),
every write in one transaction, so a failed write leaves the previous town in place."""

from __future__ import annotations

import json
import logging
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from townplan_gis.core.errors import DataFileError
from townplan_gis.io.postgis.connect import (
    check_postgis,
    connect,
    geometry_tables,
    safe_url,
    stored_record,
)
from townplan_gis.io.record import META_TABLE, prepare_for_write, town_record

__all__ = ["write_layer", "write_town"]

log = logging.getLogger(__name__)


def _geometry_type(geoms: gpd.GeoSeries) -> str:
    types = set(geoms[~(geoms.is_empty | geoms.isna())].geom_type)
    kind = types.pop().upper() if len(types) == 1 else "GEOMETRY"
    return kind + ("Z" if bool(geoms.has_z.any()) else "")


def _copy_method(table: Any, conn: Any, keys: list[str], data_iter: Any) -> int:
    """pandas ``to_sql`` insertion by COPY; table and column names quoted by SQLAlchemy."""
    prep = conn.dialect.identifier_preparer
    target = prep.format_table(table.table)
    cols = ", ".join(prep.quote(k) for k in keys)
    n = 0
    with conn.connection.cursor() as cur, cur.copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
        for row in data_iter:
            copy.write_row(row)
            n += 1
    return n


def write_layer(
    gdf: gpd.GeoDataFrame,
    conn: Any,
    name: str,
    *,
    schema: str = "public",
    if_exists: str = "replace",
) -> None:
    """Write a GeoDataFrame as a PostGIS table with a GiST index (inside the caller's transaction)."""
    from geoalchemy2 import Geometry

    out = prepare_for_write(gdf)
    geom = out.geometry.name
    epsg = out.crs.to_epsg() if out.crs is not None else None
    if out.crs is not None and epsg is None:
        raise DataFileError(
            f"layer '{name}': its CRS has no EPSG code, so PostGIS cannot store it as an SRID. "
            f"Fix: reproject to an EPSG CRS (e.g. the CGCS2000 GK zone) first."
        )
    srid = epsg or 0
    geoms = shapely.set_srid(out.geometry.to_numpy(), srid)
    wkb = shapely.to_wkb(geoms, hex=True, include_srid=True)
    frame = pd.DataFrame(out.drop(columns=geom))
    frame[geom] = pd.Series(wkb, index=frame.index, dtype=object)
    frame.to_sql(
        name,
        conn,
        schema=schema,
        if_exists=if_exists,
        index=False,
        method=_copy_method,
        dtype={geom: Geometry(_geometry_type(out.geometry), srid=srid, spatial_index=True)},
    )


def write_town(
    town: Any, con: Any, *, schema: str = "public", crs: Any = None, overwrite: bool = True
) -> str:
    """Write a town to a PostGIS schema, one table per layer plus ``townplan_town``, in one transaction.

    Parameters
    ----------
    town : Town
    con : str, sqlalchemy URL, Engine or Connection
        ``postgresql://user:password@host:port/database``.
    schema : str, default "public"
        Created if missing. A town written before in this schema is replaced (its recorded tables
        dropped) when ``overwrite`` is True; tables the town does not own are left alone.
    crs : CRS-like, optional
        Store the layers in this CRS (e.g. ``"EPSG:4490"``); the analysis CRS stays in the metadata,
        so reading back measures in the same zone.
    overwrite : bool, default True

    Returns
    -------
    str
        The schema written.
    """
    import sqlalchemy as sa

    with connect(con, write=True) as conn:
        check_postgis(conn, con)
        conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
        old = stored_record(conn, schema)
        existing = set(geometry_tables(conn, schema))
        if old and not overwrite:
            raise DataFileError(
                f"{safe_url(con)} schema {schema} already holds town '{old.get('name')}'. Pass "
                f"overwrite=True or choose another schema."
            )
        clash = (existing & set(town.layers)) - set((old.get("tables") or {}).values())
        if clash and not overwrite:
            raise DataFileError(f"{safe_url(con)} schema {schema}: tables {sorted(clash)} exist.")
        for name in set((old.get("tables") or {}).values()) | (existing & set(town.layers)):
            conn.execute(
                sa.schema.DropTable(sa.Table(name, sa.MetaData(), schema=schema), if_exists=True)
            )
        for kind, gdf in town.layers.items():
            write_layer(gdf if crs is None else gdf.to_crs(crs), conn, kind, schema=schema)
        meta = {**town_record(town), "tables": {k: k for k in town.layers}}
        table = pd.DataFrame(
            {"key": list(meta), "value": [json.dumps(v, ensure_ascii=False) for v in meta.values()]}
        )
        table.to_sql(META_TABLE, conn, schema=schema, if_exists="replace", index=False)
    log.info("wrote town '%s' to %s schema %s", town.name, safe_url(con), schema)
    return schema
