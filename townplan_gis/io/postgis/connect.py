"""Connections to PostgreSQL/PostGIS: URLs, engines (psycopg 3), transactions, and the checks that the
database is reachable and has PostGIS, and what a schema holds (its tables, its town record); messages
never show the password."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from townplan_gis.core.errors import DataFileError, TownPlanError
from townplan_gis.io.record import META_TABLE

__all__ = [
    "check_postgis",
    "connect",
    "engine",
    "geometry_oids",
    "geometry_tables",
    "is_postgis_url",
    "require",
    "safe_url",
    "stored_record",
    "table_columns",
]

# Any SQLAlchemy PostgreSQL URL (postgresql+psycopg://, postgresql+psycopg2:// …); _engine picks psycopg 3
# for the bare scheme.
_SCHEMES = ("postgresql://", "postgres://", "postgresql+")


def is_postgis_url(obj: Any) -> bool:
    """Whether ``obj`` names a PostgreSQL database (URL string, SQLAlchemy URL, Engine or Connection)."""
    if isinstance(obj, str):
        return obj.startswith(_SCHEMES)
    mod = type(obj).__module__
    return mod.startswith("sqlalchemy") and type(obj).__name__ in ("URL", "Engine", "Connection")


def safe_url(con: Any) -> str:
    """The URL without its password, for error messages and logs."""
    import sqlalchemy as sa

    try:
        if isinstance(con, str):
            return sa.make_url(con).render_as_string(hide_password=True)
        url = con.url if hasattr(con, "url") else con.engine.url
        return url.render_as_string(hide_password=True)
    except Exception:  # a malformed URL must not hide the real error
        return "<database>"


def require() -> None:
    try:
        import geoalchemy2  # noqa: F401
        import psycopg  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError as exc:
        raise TownPlanError(
            f"PostGIS support needs sqlalchemy, psycopg 3 and geoalchemy2 ({exc}). "
            f"Fix: pip install 'townplan-gis[county]'."
        ) from exc


def engine(con: Any):
    require()
    import sqlalchemy as sa

    if isinstance(con, sa.engine.Engine | sa.engine.Connection):
        return con
    url = sa.make_url(con)
    if url.drivername in ("postgresql", "postgres"):
        # psycopg 3 is the driver we declare; SQLAlchemy's bare "postgresql" means psycopg2.
        url = url.set(drivername="postgresql+psycopg")
    if not url.drivername.startswith("postgresql"):
        raise DataFileError(f"{safe_url(con)}: not a PostgreSQL URL (postgresql://user@host/db).")
    return sa.create_engine(url)


@contextmanager
def connect(con: Any, *, write: bool = False) -> Iterator[Any]:
    """A connection in a transaction; a passed Connection is used as is (the caller owns it)."""
    import sqlalchemy as sa

    eng = engine(con)
    if isinstance(eng, sa.engine.Connection):
        yield eng
        return
    try:
        ctx = eng.begin() if write else eng.connect()
        with ctx as conn:
            yield conn
    except sa.exc.OperationalError as exc:
        raise DataFileError(
            f"{safe_url(con)}: cannot reach the database ({str(exc.orig).strip()}). Fix: check host, "
            f"port, user and password, and that the server accepts connections."
        ) from exc
    finally:
        if eng is not con:
            eng.dispose()


def check_postgis(conn: Any, con: Any) -> None:
    import sqlalchemy as sa

    ok = conn.execute(
        sa.text("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'")
    ).scalar()
    if not ok:
        raise DataFileError(
            f"{safe_url(con)}: the PostGIS extension is not installed in this database. "
            f"Fix: CREATE EXTENSION postgis; (as a superuser)."
        )


def geometry_oids(conn: Any) -> set[int]:
    import sqlalchemy as sa

    rows = conn.execute(
        sa.text("SELECT oid FROM pg_type WHERE typname IN ('geometry', 'geography')")
    ).fetchall()
    return {int(r[0]) for r in rows}


def table_columns(conn: Any, name: str, schema: str) -> list[str]:
    import sqlalchemy as sa

    rows = conn.execute(
        sa.text(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = :s AND table_name = :t ORDER BY ordinal_position"
        ),
        {"s": schema, "t": name},
    ).fetchall()
    return [r[0] for r in rows]


def stored_record(conn: Any, schema: str) -> dict[str, Any]:
    """The town record kept in a schema's ``townplan_town`` table (``{}`` when there is none)."""
    import sqlalchemy as sa

    if not table_columns(conn, META_TABLE, schema):
        return {}
    t = sa.table(META_TABLE, sa.column("key"), sa.column("value"), schema=schema)
    return {k: json.loads(v) for k, v in conn.execute(sa.select(t.c.key, t.c.value))}


def geometry_tables(conn: Any, schema: str) -> list[str]:
    """The tables of a schema that have a geometry column, by name."""
    import sqlalchemy as sa

    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT f_table_name FROM geometry_columns WHERE f_table_schema = :s "
            "ORDER BY f_table_name"
        ),
        {"s": schema},
    ).fetchall()
    return [r[0] for r in rows]
