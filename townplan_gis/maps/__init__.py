"""Plan maps: styled folium maps of a Town and its Review, exported as self-contained offline HTML."""

from townplan_gis.maps.basemaps import BASEMAPS, BasemapError, basemap_datum, tianditu_tile_url
from townplan_gis.maps.offline import OfflineAssetError, render_html, save_map
from townplan_gis.maps.plan import PlanMap, explore, plan_map

__all__ = [
    "BASEMAPS",
    "BasemapError",
    "OfflineAssetError",
    "PlanMap",
    "basemap_datum",
    "explore",
    "plan_map",
    "render_html",
    "save_map",
    "tianditu_tile_url",
]
