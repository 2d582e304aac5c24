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

The package, by seam: :mod:`~townplan_gis.io.postgis.connect` (URLs, engines, transactions),
:mod:`~townplan_gis.io.postgis.read` (tables, queries, projects, towns, PostGIS overlaps) and
:mod:`~townplan_gis.io.postgis.write` (layers and towns, with COPY).
"""

from townplan_gis.io.postgis.connect import engine, is_postgis_url
from townplan_gis.io.postgis.read import pair_overlaps, read_projects, read_table, read_town
from townplan_gis.io.postgis.write import write_layer, write_town
from townplan_gis.io.record import META_TABLE

__all__ = [
    "META_TABLE",
    "engine",
    "is_postgis_url",
    "pair_overlaps",
    "read_projects",
    "read_table",
    "read_town",
    "write_layer",
    "write_town",
]
