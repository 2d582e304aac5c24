"""PostGIS as a data source: read and write whole towns, read projects from a table or a SQL query.

County and city planning offices keep their layers in PostgreSQL/PostGIS. A town in a database is a
schema holding one table per layer kind (named by kind, e.g. ``roads``, or by a Chinese alias such as
``道路``) plus a ``townplan_town`` key/value table with the town's name, population, statistics,
metadata, repair history and the table of each layer (the same record a GeoPackage carries).

Every statement is built with SQLAlchemy constructs: identifiers (schema, table, column names) are
quoted by SQLAlchemy's identifier preparer and user values travel as bound parameters, never as text
pasted into SQL. Rows are written with ``COPY … FROM STDIN`` (psycopg 3), which loads 10⁵ parcels in a
few seconds where row-by-row ``INSERT`` takes minutes, and every write runs in one transaction: a failed
write leaves the previous town in place.

>>> town = tp.read_town("postgresql://user:pw@host/db", schema="puzhou")  # doctest: +SKIP
>>> tp.write_town(town, "postgresql://user:pw@host/db", schema="puzhou_copy")  # doctest: +SKIP
>>> tp.read_projects(url, sql="SELECT * FROM plan.projects WHERE status = :s", params={"s": "规划"})
... # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from townplan_gis.core.errors import DataFileError, TownPlanError
from townplan_gis.core.repairs import Repair
from townplan_gis.core.schema import layer_kind, normalize_layer
from townplan_gis.io.record import (
    INDEX_COLUMN,
    META_TABLE,
    prepare_for_write,
    town_from_parts,
    town_record,
)

__all__ = [
    "META_TABLE",
    "is_postgis_url",
    "pair_overlaps",
    "read_projects",
    "read_table",
    "read_town",
    "write_town",
]

log = logging.getLogger(__name__)

# Any SQLAlchemy PostgreSQL URL (postgresql+psycopg://, postgresql+psycopg2:// …); _engine picks psycopg 3
# for the bare scheme.
_SCHEMES = ("postgresql://", "postgres://", "postgresql+")


def is_postgis_url(obj: Any) -> bool:
    """Whether ``obj`` names a PostgreSQL database (URL string, SQLAlchemy URL, Engine or Connection)."""
    if isinstance(obj, str):
        return obj.startswith(_SCHEMES)
    mod = type(obj).__module__
    return mod.startswith("sqlalchemy") and type(obj).__name__ in ("URL", "Engine", "Connection")


def _safe_url(con: Any) -> str:
    """The URL without its password, for error messages and logs."""
    import sqlalchemy as sa

    try:
        if isinstance(con, str):
            return sa.make_url(con).render_as_string(hide_password=True)
        url = con.url if hasattr(con, "url") else con.engine.url
        return url.render_as_string(hide_password=True)
    except Exception:  # a malformed URL must not hide the real error
        return "<database>"


def _require() -> None:
    try:
        import geoalchemy2  # noqa: F401
        import psycopg  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError as exc:
        raise TownPlanError(
            f"PostGIS support needs sqlalchemy, psycopg 3 and geoalchemy2 ({exc}). "
            f"Fix: pip install 'townplan-gis[county]'."
        ) from exc


def _engine(con: Any):
    _require()
    import sqlalchemy as sa

    if isinstance(con, sa.engine.Engine | sa.engine.Connection):
        return con
    url = sa.make_url(con)
    if url.drivername in ("postgresql", "postgres"):
        # psycopg 3 is the driver we declare; SQLAlchemy's bare "postgresql" means psycopg2.
        url = url.set(drivername="postgresql+psycopg")
    if not url.drivername.startswith("postgresql"):
        raise DataFileError(f"{_safe_url(con)}: not a PostgreSQL URL (postgresql://user@host/db).")
    return sa.create_engine(url)


@contextmanager
def _connect(con: Any, *, write: bool = False) -> Iterator[Any]:
    """A connection in a transaction; a passed Connection is used as is (the caller owns it)."""
    import sqlalchemy as sa

    eng = _engine(con)
    if isinstance(eng, sa.engine.Connection):
        yield eng
        return
    try:
        ctx = eng.begin() if write else eng.connect()
        with ctx as conn:
            yield conn
    except sa.exc.OperationalError as exc:
        raise DataFileError(
            f"{_safe_url(con)}: cannot reach the database ({str(exc.orig).strip()}). Fix: check host, "
            f"port, user and password, and that the server accepts connections."
        ) from exc
    finally:
        if eng is not con:
            eng.dispose()


def _check_postgis(conn: Any, con: Any) -> None:
    import sqlalchemy as sa

    ok = conn.execute(
        sa.text("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'")
    ).scalar()
    if not ok:
        raise DataFileError(
            f"{_safe_url(con)}: the PostGIS extension is not installed in this database. "
            f"Fix: CREATE EXTENSION postgis; (as a superuser)."
        )


def _geometry_oids(conn: Any) -> set[int]:
    import sqlalchemy as sa

    rows = conn.execute(
        sa.text("SELECT oid FROM pg_type WHERE typname IN ('geometry', 'geography')")
    ).fetchall()
    return {int(r[0]) for r in rows}


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
    oids = _geometry_oids(conn)
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


def _columns(conn: Any, name: str, schema: str) -> list[str]:
    import sqlalchemy as sa

    rows = conn.execute(
        sa.text(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = :s AND table_name = :t ORDER BY ordinal_position"
        ),
        {"s": schema, "t": name},
    ).fetchall()
    return [r[0] for r in rows]


def _select_table(conn: Any, name: str, schema: str, source: str):
    import sqlalchemy as sa

    cols = _columns(conn, name, schema)
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
    source = f"{_safe_url(con)} {schema}.{table}"
    with _connect(con) as conn:
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
        source = f"{_safe_url(con)} {schema}.{table}"
    else:
        source = f"{_safe_url(con)} query"
    with _connect(con) as conn:
        _check_postgis(conn, con)
        if table is not None:
            gdf = _read_table(conn, table, schema, geom_col=geom_col, source=source)
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


def _readtown_record(conn: Any, schema: str) -> dict[str, Any]:
    import sqlalchemy as sa

    if not _columns(conn, META_TABLE, schema):
        return {}
    t = sa.table(META_TABLE, sa.column("key"), sa.column("value"), schema=schema)
    return {k: json.loads(v) for k, v in conn.execute(sa.select(t.c.key, t.c.value))}


def _geometry_tables(conn: Any, schema: str) -> list[str]:
    import sqlalchemy as sa

    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT f_table_name FROM geometry_columns WHERE f_table_schema = :s "
            "ORDER BY f_table_name"
        ),
        {"s": schema},
    ).fetchall()
    return [r[0] for r in rows]


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
    label = f"{_safe_url(con)} schema {schema}"
    with _connect(con) as conn:
        _check_postgis(conn, con)
        meta = _readtown_record(conn, schema)
        chosen = dict(tables or meta.get("tables") or {})
        repairs: list[Repair] = []
        if not chosen:
            for n in _geometry_tables(conn, schema):
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

    with _connect(con, write=True) as conn:
        _check_postgis(conn, con)
        conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
        old = _readtown_record(conn, schema)
        existing = set(_geometry_tables(conn, schema))
        if old and not overwrite:
            raise DataFileError(
                f"{_safe_url(con)} schema {schema} already holds town '{old.get('name')}'. Pass "
                f"overwrite=True or choose another schema."
            )
        clash = (existing & set(town.layers)) - set((old.get("tables") or {}).values())
        if clash and not overwrite:
            raise DataFileError(f"{_safe_url(con)} schema {schema}: tables {sorted(clash)} exist.")
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
    log.info("wrote town '%s' to %s schema %s", town.name, _safe_url(con), schema)
    return schema


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
    with _connect(con) as conn:
        rows = conn.execute(stmt).fetchall()
    return pd.DataFrame.from_records(rows, columns=["left_id", "right_id", "area_m2"])
