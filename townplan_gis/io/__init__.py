"""Reading and writing towns: files (GeoPackage, folders, shapefiles in GBK, DXF via pyogrio), PostGIS,
OpenStreetMap extracts, CAD drawings, and the bundled sample towns.

:mod:`.files` (:func:`read_layer`, :func:`read_town`, :func:`write_town`), :mod:`.postgis`
(:func:`read_projects` and PostGIS towns), :mod:`.osm` (:func:`read_osm`), :mod:`.dxf`
(:func:`read_dxf_lines`, :func:`read_dxf_projects`), :mod:`.dxf_write` (:func:`write_conflicts_dxf`),
:mod:`.sample` (:func:`sample_town`, :func:`sample_towns`).
"""

from townplan_gis.io.dxf import read_dxf_lines, read_dxf_projects
from townplan_gis.io.dxf_write import write_conflicts_dxf
from townplan_gis.io.files import detect_encoding, read_layer, read_town, write_town
from townplan_gis.io.osm import read_osm
from townplan_gis.io.postgis import read_projects
from townplan_gis.io.sample import sample_path, sample_town, sample_towns

__all__ = [
    "detect_encoding",
    "read_dxf_lines",
    "read_dxf_projects",
    "read_layer",
    "read_osm",
    "read_projects",
    "read_town",
    "sample_path",
    "sample_town",
    "sample_towns",
    "write_conflicts_dxf",
    "write_town",
]
