"""Planning indicators of a town, one module per family (momepy style: functions over GeoDataFrames).

* :mod:`.land` — built-up area, construction land per capita and its GB 50188 grade, residential quarters;
* :mod:`.roads` — network density, road area (red-line and carriageway), paving, coverage;
* :mod:`.lighting` — main-road lighting rate (lit flag or street lights within reach);
* :mod:`.green` — green coverage, green land ratio, park green per capita (kept separate);
* :mod:`.facilities` — counts per facility type, household service coverage;
* :mod:`.registry` — every key with its Chinese and English name, unit and definition.

:func:`town_indicators` (also ``tp.town_indicators(town)``) assembles them into one table.
"""

from townplan_gis.indicators.facilities import (
    DEFAULT_SERVICE_RADIUS_M,
    facility_counts,
    household_service_coverage_pct,
    households_served,
)
from townplan_gis.indicators.green import (
    GREEN_LAND_CLASSES,
    canopy_geometries,
    green_coverage_pct,
    green_land_ratio_pct,
    park_count,
    park_green_area_m2,
    park_green_per_capita_m2,
)
from townplan_gis.indicators.land import (
    GB50188_GRADES,
    built_up_area_km2,
    construction_land_grade,
    construction_land_per_capita_m2,
    residential_quarters,
)
from townplan_gis.indicators.lighting import main_road_lighting_pct
from townplan_gis.indicators.registry import INDICATORS, Indicator, indicator_info, is_known
from townplan_gis.indicators.roads import (
    DEFAULT_CARRIAGEWAY_WIDTH_M,
    DEFAULT_REDLINE_WIDTH_M,
    TRUNK_CLASSES,
    internal_road_mask,
    paving_rate_pct,
    road_area_m2,
    road_area_ratio_pct,
    road_coverage_pct,
    road_length_km,
    road_network_density_km_per_km2,
    road_surfaces,
)
from townplan_gis.indicators.table import INDICATOR_COLUMNS, IndicatorOptions, town_indicators

__all__ = [
    "DEFAULT_CARRIAGEWAY_WIDTH_M",
    "DEFAULT_REDLINE_WIDTH_M",
    "DEFAULT_SERVICE_RADIUS_M",
    "GB50188_GRADES",
    "GREEN_LAND_CLASSES",
    "INDICATORS",
    "INDICATOR_COLUMNS",
    "TRUNK_CLASSES",
    "Indicator",
    "IndicatorOptions",
    "built_up_area_km2",
    "canopy_geometries",
    "construction_land_grade",
    "construction_land_per_capita_m2",
    "facility_counts",
    "green_coverage_pct",
    "green_land_ratio_pct",
    "household_service_coverage_pct",
    "households_served",
    "indicator_info",
    "internal_road_mask",
    "is_known",
    "main_road_lighting_pct",
    "park_count",
    "park_green_area_m2",
    "park_green_per_capita_m2",
    "paving_rate_pct",
    "residential_quarters",
    "road_area_m2",
    "road_area_ratio_pct",
    "road_coverage_pct",
    "road_length_km",
    "road_network_density_km_per_km2",
    "road_surfaces",
    "town_indicators",
]
