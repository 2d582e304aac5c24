"""townplan_gis: small-town planning indicators, standard scorecards and five-control-line review.

>>> import townplan_gis as tp
>>> town = tp.sample_town()
>>> town.name
'蒲州镇'

The package is built in floors; each imports only from those below it (tests/test_architecture.py):
``core`` (errors, repairs, CRS, geometry, schema, vocabulary, the Town as data) → ``io`` (files,
PostGIS, the sample towns) → ``indicators``, ``standards``, ``fiveline`` (the review) → ``maps``,
``deliverables``, ``display`` → ``pipeline`` → ``cli``. This module is the public API.
"""

from townplan_gis import indicators
from townplan_gis._version import __version__
from townplan_gis.analyses import (
    buildable_land,
    check_lines,
    find_sites,
    life_circles,
    park_service_coverage,
)
from townplan_gis.construction import acceptance, compare, competition, programme, progress
from townplan_gis.core.crs import (
    analysis_crs,
    check_coordinates,
    gcj02_to_wgs84,
    gk3_epsg,
    utm_epsg,
    wgs84_to_gcj02,
)
from townplan_gis.core.errors import (
    CRSError,
    DataFileError,
    EmptyLayerError,
    EncodingError,
    GeometryError,
    GeometryTypeError,
    MissingColumnError,
    MissingLayerError,
    MissingValueError,
    OutputPathError,
    SchemaError,
    TownPlanError,
    UnknownValueError,
    ValueRangeError,
)
from townplan_gis.core.options import options
from townplan_gis.core.schema import LAYERS, normalize_layer
from townplan_gis.core.town import Town
from townplan_gis.deliverables import project_opinion, to_excel, write_opinions
from townplan_gis.deliverables.programme import (
    write_acceptance,
    write_comparison,
    write_programme,
    write_progress,
)
from townplan_gis.display import show_html
from townplan_gis.fiveline import (
    Review,
    Rules,
    derive_control_lines,
    derive_red_lines,
    load_rules,
    review,
)
from townplan_gis.indicators import town_indicators
from townplan_gis.io.dxf import read_dxf_lines, read_dxf_projects
from townplan_gis.io.dxf_write import write_conflicts_dxf
from townplan_gis.io.files import read_layer, read_town, write_town
from townplan_gis.io.osm import read_osm
from townplan_gis.io.postgis import read_projects
from townplan_gis.io.sample import sample_path, sample_town, sample_towns
from townplan_gis.maps import BASEMAPS, explore, plan_figure, plan_map, save_map
from townplan_gis.pipeline import Pipeline, report
from townplan_gis.standards import Standard, assess, assess_many, list_standards, load_standard

__all__ = [
    "BASEMAPS",
    "LAYERS",
    "CRSError",
    "DataFileError",
    "EmptyLayerError",
    "EncodingError",
    "GeometryError",
    "GeometryTypeError",
    "MissingColumnError",
    "MissingLayerError",
    "MissingValueError",
    "OutputPathError",
    "Pipeline",
    "Review",
    "Rules",
    "SchemaError",
    "Standard",
    "Town",
    "TownPlanError",
    "UnknownValueError",
    "ValueRangeError",
    "__version__",
    "acceptance",
    "analysis_crs",
    "assess",
    "assess_many",
    "buildable_land",
    "check_coordinates",
    "check_lines",
    "compare",
    "competition",
    "derive_control_lines",
    "derive_red_lines",
    "explore",
    "find_sites",
    "gcj02_to_wgs84",
    "gk3_epsg",
    "indicators",
    "life_circles",
    "list_standards",
    "load_rules",
    "load_standard",
    "normalize_layer",
    "options",
    "park_service_coverage",
    "plan_figure",
    "plan_map",
    "programme",
    "progress",
    "project_opinion",
    "read_dxf_lines",
    "read_dxf_projects",
    "read_layer",
    "read_osm",
    "read_projects",
    "read_town",
    "report",
    "review",
    "sample_path",
    "sample_town",
    "sample_towns",
    "save_map",
    "show_html",
    "to_excel",
    "town_indicators",
    "utm_epsg",
    "wgs84_to_gcj02",
    "write_acceptance",
    "write_comparison",
    "write_conflicts_dxf",
    "write_opinions",
    "write_programme",
    "write_progress",
    "write_town",
]
