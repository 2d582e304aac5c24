"""Basemaps for plan maps: OSM, CartoDB, Esri imagery, Tianditu (天地图), Gaode/AMap (高德), or none.

Which datum each basemap is drawn in decides how overlays are placed (``docs/sources.md#gcj-02``,
``docs/engineering.md#basemaps-china``):

- OSM, CartoDB, Esri and Tianditu tiles are WGS 84 / CGCS2000 web-mercator: overlays go unshifted.
- Gaode/AMap tiles are GCJ-02, offset 100–700 m in China: every overlay vertex is shifted
  WGS84→GCJ-02 (:func:`townplan_gis.core.crs.shift_to_gcj02`), and so are the map centre and bounds. A map is
  either all shifted or all unshifted, never mixed.

Tianditu is not in xyzservices; it is defined here from its public WMTS pattern. It needs a free key
(``tk``) from the Tianditu console: pass ``tianditu_key=`` or set ``TIANDITU_KEY``. Government intranets
run their own Tianditu nodes: pass ``tianditu_url=`` (or set ``TIANDITU_URL``) to the node's base URL.
A URL template containing ``{z}``, ``{x}`` and ``{y}`` (e.g. ``"tiles/{z}/{x}/{y}.png"``, a tile folder
beside the HTML) is accepted as a basemap too.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

import folium
import xyzservices.providers as xyz

from townplan_gis.core.errors import TownPlanError

__all__ = [
    "BASEMAPS",
    "BasemapError",
    "add_basemap",
    "basemap_datum",
    "resolve_basemap",
    "tianditu_tile_url",
]


class BasemapError(TownPlanError):
    """A basemap name is unknown or its key is missing."""


@dataclass(frozen=True)
class Basemap:
    """A named basemap: its tile layers and the datum its tiles are drawn in."""

    name: str
    label_zh: str
    label_en: str
    datum: str  # "wgs84" or "gcj02"; "none" for no tiles
    xyz: tuple[str, ...] = ()  # xyzservices provider names, bottom first
    tianditu: tuple[str, ...] = ()  # Tianditu layer codes, bottom first


BASEMAPS: dict[str, Basemap] = {
    b.name: b
    for b in (
        Basemap("osm", "OpenStreetMap", "OpenStreetMap", "wgs84", ("OpenStreetMap.Mapnik",)),
        Basemap("cartodb", "CartoDB 浅色", "CartoDB Positron", "wgs84", ("CartoDB.Positron",)),
        Basemap("esri-imagery", "Esri 影像", "Esri imagery", "wgs84", ("Esri.WorldImagery",)),
        Basemap("tianditu-vec", "天地图 矢量", "Tianditu vector", "wgs84", tianditu=("vec", "cva")),
        Basemap(
            "tianditu-img", "天地图 影像", "Tianditu imagery", "wgs84", tianditu=("img", "cia")
        ),
        Basemap("gaode", "高德地图", "Gaode (AMap)", "gcj02", ("Gaode.Normal",)),
        Basemap("gaode-satellite", "高德影像", "Gaode satellite", "gcj02", ("Gaode.Satellite",)),
        Basemap("none", "无底图", "No basemap", "none"),
    )
}

_ALIASES = {
    "openstreetmap": "osm",
    "carto": "cartodb",
    "esri": "esri-imagery",
    "imagery": "esri-imagery",
    "tianditu": "tianditu-vec",
    "天地图": "tianditu-vec",
    "amap": "gaode",
    "高德": "gaode",
    "amap-satellite": "gaode-satellite",
    "": "none",
}

_TIANDITU_DEFAULT = "https://t{s}.tianditu.gov.cn"
_TIANDITU_PATH = (
    "/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}&STYLE=default"
    "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)


def _is_template(name: str) -> bool:
    return all(part in name for part in ("{z}", "{x}", "{y}"))


def resolve_basemap(name: str | None) -> str:
    """Canonical basemap name (aliases such as ``amap`` → ``gaode``), or the URL template itself."""
    key = "none" if name is None else str(name).strip()
    if _is_template(key):
        return key
    key = _ALIASES.get(key.lower(), key.lower())
    if key not in BASEMAPS:
        raise BasemapError(
            f"unknown basemap {name!r}. Accepted: {list(BASEMAPS)} (aliases {sorted(_ALIASES)}), "
            f"or a tile URL template with {{z}}/{{x}}/{{y}}."
        )
    return key


def basemap_datum(name: str | None) -> str:
    """``"gcj02"`` for Gaode/AMap tiles, ``"wgs84"`` for the others and tile templates, ``"none"``."""
    key = resolve_basemap(name)
    return "wgs84" if _is_template(key) else BASEMAPS[key].datum


def tianditu_tile_url(layer: str, *, key: str | None = None, base_url: str | None = None) -> str:
    """Leaflet URL template of one Tianditu web-mercator WMTS layer (``vec``, ``cva``, ``img``, ``cia``).

    Parameters
    ----------
    layer : str
        Tianditu layer code: ``vec`` vector, ``cva`` vector labels, ``img`` imagery, ``cia`` imagery labels.
    key : str, optional
        The ``tk`` key; default the ``TIANDITU_KEY`` environment variable.
    base_url : str, optional
        Node base URL, default ``https://t{s}.tianditu.gov.cn`` (``{s}`` = subdomain 0–7); else the
        ``TIANDITU_URL`` environment variable. Intranet nodes keep the same path after the base.
    """
    key = key or os.environ.get("TIANDITU_KEY")
    if not key:
        raise BasemapError(
            "Tianditu (天地图) tiles need a key (tk). Fix: pass tianditu_key='…' or set the "
            "TIANDITU_KEY environment variable (free key from the Tianditu developer console); or "
            "choose basemap='osm' or 'none'."
        )
    base = (base_url or os.environ.get("TIANDITU_URL") or _TIANDITU_DEFAULT).rstrip("/")
    return base + _TIANDITU_PATH.format(layer=layer, key=key)


def add_basemap(
    m: folium.Map,
    name: str | None,
    *,
    lang: str = "zh",
    tianditu_key: str | None = None,
    tianditu_url: str | None = None,
    attribution: str | None = None,
) -> str:
    """Add a basemap's tile layers to a map; return the datum (``wgs84``, ``gcj02`` or ``none``)."""
    key = resolve_basemap(name)
    if _is_template(key):
        folium.TileLayer(
            key, attr=attribution or "local tiles", name=attribution or "tiles", overlay=False
        ).add_to(m)
        return "wgs84"
    spec = BASEMAPS[key]
    label = spec.label_zh if lang == "zh" else spec.label_en
    for provider in spec.xyz:
        with warnings.catch_warnings():
            # xyzservices warns that CartoDB wants a key; its public tiles still serve without one.
            warnings.simplefilter("ignore", UserWarning)
            tp = xyz.query_name(provider)
            url = tp.build_url()
        folium.TileLayer(
            url,
            attr=tp.get("html_attribution", tp.get("attribution", provider)),
            name=label,
            max_zoom=tp.get("max_zoom", 19),
            overlay=False,
        ).add_to(m)
    if spec.tianditu:
        base, labels = spec.tianditu
        common: dict[str, Any] = {
            "attr": '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a>',
            "subdomains": "01234567",
            "max_zoom": 18,
        }
        folium.TileLayer(
            tianditu_tile_url(base, key=tianditu_key, base_url=tianditu_url),
            name=label,
            overlay=False,
            **common,
        ).add_to(m)
        folium.TileLayer(
            tianditu_tile_url(labels, key=tianditu_key, base_url=tianditu_url),
            name=label + (" 注记" if lang == "zh" else " labels"),
            overlay=True,
            control=False,
            **common,
        ).add_to(m)
    return spec.datum
