"""Plan maps: styled folium maps of a Town and its Review, exported as self-contained offline HTML,
and the print-ready plan sheet (PDF/PNG/SVG)."""

from townplan_gis.maps.basemaps import BASEMAPS, BasemapError, basemap_datum, tianditu_tile_url
from townplan_gis.maps.offline import OfflineAssetError, render_html, save_map
from townplan_gis.maps.plan import PlanMap, explore, plan_map
from townplan_gis.maps.print_plan import PRINT_FORMATS, plan_figure, save_plan_figure

__all__ = [
    "BASEMAPS",
    "PRINT_FORMATS",
    "BasemapError",
    "OfflineAssetError",
    "PlanMap",
    "basemap_datum",
    "explore",
    "plan_figure",
    "plan_map",
    "render_html",
    "save_map",
    "save_plan_figure",
    "tianditu_tile_url",
]
