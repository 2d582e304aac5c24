"""townplan_gis: small-town planning indicators, standard scorecards and five-control-line review.

>>> import townplan_gis as tp
>>> town = tp.sample_town()
>>> town.name
'蒲州镇'
"""

from townplan_gis import indicators
from townplan_gis._options import options
from townplan_gis.crs import (
    analysis_crs,
    check_coordinates,
    gcj02_to_wgs84,
    gk3_epsg,
    utm_epsg,
    wgs84_to_gcj02,
)
from townplan_gis.errors import (
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
from townplan_gis.io import read_layer, read_town, write_town
from townplan_gis.maps import BASEMAPS, explore, plan_map, save_map
from townplan_gis.postgis import read_projects
from townplan_gis.report import project_opinion, report, show_html, to_excel
from townplan_gis.review import (
    Review,
    Rules,
    derive_control_lines,
    derive_red_lines,
    load_rules,
    review,
)
from townplan_gis.sample import sample_path, sample_town, sample_towns
from townplan_gis.schema import LAYERS, normalize_layer
from townplan_gis.standards import Standard, assess, assess_many, list_standards, load_standard
from townplan_gis.town import Town

__version__ = "0.1.0"

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
    "Review",
    "Rules",
    "SchemaError",
    "Standard",
    "Town",
    "TownPlanError",
    "UnknownValueError",
    "ValueRangeError",
    "__version__",
    "analysis_crs",
    "assess",
    "assess_many",
    "check_coordinates",
    "derive_control_lines",
    "derive_red_lines",
    "explore",
    "gcj02_to_wgs84",
    "gk3_epsg",
    "indicators",
    "list_standards",
    "load_rules",
    "load_standard",
    "normalize_layer",
    "options",
    "plan_map",
    "project_opinion",
    "read_layer",
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
    "utm_epsg",
    "wgs84_to_gcj02",
    "write_town",
]
