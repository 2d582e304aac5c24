"""Reading an OpenStreetMap extract (``.osm`` XML or ``.osm.pbf``) into tag tables, and its bounds.

GDAL's OSM driver (through pyogrio) reads both formats into five layers: ``points`` (tagged nodes),
``lines`` (ways that are not areas), ``multipolygons`` (closed ways tagged as areas, and
multipolygon/boundary relations), ``multilinestrings`` and ``other_relations``. Which tags become
columns and which closed ways are areas is set by a configuration file; townplan_gis passes its own,
``townplan_gis/data/osmconf.ini``, so that the result does not depend on a user's ``OSM_CONFIG_FILE``
or on GDAL's default: only ``name`` is a column, every other tag goes into the ``other_tags`` column
as hstore text (``"highway"=>"residential","width"=>"7 m"``), which :func:`parse_other_tags` reads.

The extract's ``<bounds>`` (XML) or header bounding box (PBF) is where the data is complete: ways
that cross it are cut off in the file. GDAL does not report it, so :func:`read_bounds` reads it from
the file itself. Measured driver behaviour: ``docs/engineering.md#osm-dxf-import``.
"""

from __future__ import annotations

import re
import struct
import warnings
import zlib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from townplan_gis.core.errors import DataFileError

__all__ = ["OSM_LAYERS", "parse_other_tags", "read_bounds", "read_osm_layers"]

# GDAL's OSM layers townplan_gis reads (other_relations: route and site relations, not used).
OSM_LAYERS = ("points", "lines", "multipolygons")
_KIND = {"points": "node", "lines": "way"}

# One hstore pair: "key"=>"value" (backslash escapes inside quotes), or "key"=>NULL.
_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=>\s*(?:"((?:[^"\\]|\\.)*)"|(NULL))')
_ESCAPE = re.compile(r"\\(.)")


def _config() -> str:
    return str(resources.files("townplan_gis.data").joinpath("osmconf.ini"))


def parse_other_tags(other_tags: pd.Series, keys: Iterable[str] | None = None) -> pd.DataFrame:
    """The tags of GDAL's ``other_tags`` hstore text as a frame: one column per key.

    Vectorised: one regular-expression pass over the whole column (``Series.str.extractall``),
    then a pivot. Quotes and backslashes escaped inside values (``\\"``, ``\\\\``) are unescaped;
    ``NULL`` values and missing keys are None.

    Parameters
    ----------
    other_tags : pandas.Series of str
        GDAL's ``other_tags`` column (None where a feature has no other tags).
    keys : iterable of str, optional
        Keep only these keys (a town extract has hundreds of distinct keys; the importer needs a
        few dozen). Default: every key found.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``other_tags.index``, one object column per key (in ``keys`` order when given,
        absent keys as all-None columns).

    Examples
    --------
    >>> s = pd.Series(['"highway"=>"residential","name:zh"=>"西厢大街"', None, '"a"=>"x \\\\"y\\\\""'])
    >>> parse_other_tags(s, ["highway", "name:zh", "a"]).to_dict("list")
    {'highway': ['residential', None, None], 'name:zh': ['西厢大街', None, None], 'a': [None, None, 'x "y"']}
    """
    text = other_tags.dropna()
    text = text[text.astype(str).str.len() > 0].astype(str)
    wanted = list(dict.fromkeys(keys)) if keys is not None else None
    if len(text):
        pairs = text.str.extractall(_PAIR)
        pairs.columns = ["key", "value", "null"]
        pairs["key"] = pairs["key"].str.replace(_ESCAPE, r"\1", regex=True)
        pairs["value"] = pairs["value"].str.replace(_ESCAPE, r"\1", regex=True)
        if wanted is not None:
            pairs = pairs[pairs["key"].isin(wanted)]
        pairs = pairs.droplevel("match")
        # A key repeated inside one feature's text cannot come from OSM (keys are unique per
        # element); keep the first, as GDAL would.
        values = pairs.set_index("key", append=True)["value"]
        wide = values[~values.index.duplicated()].unstack("key")
    else:
        wide = pd.DataFrame(index=other_tags.index[:0])
    wide = wide.reindex(other_tags.index)
    if wanted is not None:
        wide = wide.reindex(columns=wanted)
    wide.columns.name = None
    return wide.astype(object).where(wide.notna(), None)


def _refs(layer: str, frame: pd.DataFrame) -> np.ndarray:
    """``node/ID``, ``way/ID`` or ``relation/ID`` per feature: where a planner finds it in OSM."""
    if layer in _KIND:
        return (_KIND[layer] + "/" + frame["osm_id"].astype(str)).to_numpy(dtype=object)
    way = frame.get("osm_way_id")
    rel = frame.get("osm_id")
    out = np.empty(len(frame), dtype=object)
    is_way = way.notna().to_numpy() if way is not None else np.zeros(len(frame), dtype=bool)
    if way is not None:
        out[is_way] = "way/" + way[is_way].astype(str)
    if rel is not None:
        out[~is_way] = "relation/" + rel[~is_way].astype(str)
    return out


def read_osm_layers(path: Path, keys: Iterable[str]) -> dict[str, gpd.GeoDataFrame]:
    """The extract's ``points``, ``lines`` and ``multipolygons`` with their tags as columns.

    Parameters
    ----------
    path : Path
        An ``.osm`` or ``.osm.pbf`` file.
    keys : iterable of str
        Tag keys to keep as columns (``name`` always, from GDAL's own column).

    Returns
    -------
    dict of str to GeoDataFrame
        Per layer: ``osm_ref`` (``way/123`` …), one column per key, geometry in EPSG:4326; the
        index is the feature's position in the layer.

    Raises
    ------
    DataFileError
        The file is missing or GDAL cannot read it as OpenStreetMap data.
    """
    if not path.is_file():
        raise DataFileError(
            f"{path}: no such file. Fix: give the path of an OpenStreetMap extract (.osm or "
            f".osm.pbf), e.g. one cut with osmium extract or downloaded from an extract service."
        )
    keys = [k for k in dict.fromkeys(keys) if k != "name"]
    out: dict[str, gpd.GeoDataFrame] = {}
    for layer in OSM_LAYERS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "Non closed ring" for broken relations
                gdf = pyogrio.read_dataframe(path, layer=layer, CONFIG_FILE=_config())
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise DataFileError(
                f"{path}: cannot be read as OpenStreetMap data, layer '{layer}' ({exc}). Fix: "
                f"check that the file is an .osm (XML) or .osm.pbf extract and not truncated "
                f"(osmium fileinfo FILE tells)."
            ) from exc
        tags = parse_other_tags(gdf["other_tags"], keys)
        tags.insert(0, "name", gdf["name"].astype(object).where(gdf["name"].notna(), None))
        tags.insert(0, "osm_ref", _refs(layer, gdf))
        frame = gpd.GeoDataFrame(tags, geometry=gdf.geometry.array, crs=gdf.crs or "EPSG:4326")
        out[layer] = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    return out


# --- bounds -------------------------------------------------------------------------------------
_XML_BOUNDS = re.compile(rb"<bounds?\s([^>]*)/?>")
_ATTR = re.compile(rb'(\w+)\s*=\s*["\']([^"\']*)["\']')


def _xml_bounds(path: Path) -> list[tuple[float, float, float, float]]:
    """``<bounds minlat minlon maxlat maxlon/>`` (or osmosis' ``<bound box="s,w,n,e"/>``) elements
    before the first node: (west, south, east, north) each."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    head = head.split(b"<node", 1)[0]
    boxes = []
    for match in _XML_BOUNDS.finditer(head):
        attrs = {k.decode(): v.decode() for k, v in _ATTR.findall(match.group(1))}
        try:
            if "box" in attrs:
                s, w, n, e = (float(v) for v in attrs["box"].split(","))
            else:
                s, w = float(attrs["minlat"]), float(attrs["minlon"])
                n, e = float(attrs["maxlat"]), float(attrs["maxlon"])
        except (KeyError, ValueError) as exc:
            raise DataFileError(
                f"{path}: its <bounds> element cannot be read ({match.group(0)[:120]!r}: {exc}). "
                f"Fix: correct or remove it (then pass boundary= to say where the data ends)."
            ) from exc
        boxes.append((w, s, e, n))
    return boxes


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> dict[int, list]:
    """The fields of one protocol-buffer message: number → values (varints as int, else bytes)."""
    out: dict[int, list] = {}
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        out.setdefault(number, []).append(value)
    return out


def _pbf_bounds(path: Path) -> list[tuple[float, float, float, float]]:
    """The ``HeaderBBox`` of a PBF file's ``OSMHeader`` block (nanodegrees, zigzag-encoded)."""
    with open(path, "rb") as f:
        (size,) = struct.unpack(">I", f.read(4))
        header = _fields(f.read(size))
        if header.get(1, [b""])[0] != b"OSMHeader":
            raise ValueError("the first block is not an OSMHeader")
        blob = _fields(f.read(header[3][0]))
    if 1 in blob:
        data = blob[1][0]
    elif 3 in blob:
        data = zlib.decompress(blob[3][0])
    else:
        raise ValueError("the header block is compressed with a codec other than zlib")
    bbox = _fields(data).get(1)
    if not bbox:
        return []
    box = _fields(bbox[0])

    def deg(n: int) -> float:
        value = box[n][0]
        return ((value >> 1) ^ -(value & 1)) / 1e9

    return [(deg(1), deg(4), deg(2), deg(3))]


def read_bounds(path: Path) -> shapely.Geometry | None:
    """The area an extract declares complete, in EPSG:4326 lon/lat; None when it declares none.

    XML: the ``<bounds>`` elements before the first node (several are united). PBF: the bounding
    box of the ``OSMHeader`` block (zlib-compressed or raw, as osmium and osmosis write it).

    Raises
    ------
    DataFileError
        A bounds element or PBF header that cannot be read, or a box that is empty or not in
        lon/lat degrees.
    """
    try:
        if path.name.casefold().endswith(".pbf"):
            boxes = _pbf_bounds(path)
        else:
            boxes = _xml_bounds(path)
    except (ValueError, struct.error, zlib.error, IndexError, KeyError) as exc:
        raise DataFileError(
            f"{path}: the PBF header cannot be read ({exc}). Fix: check the file is a complete "
            f".osm.pbf (osmium fileinfo FILE), or pass boundary= to say where the data ends."
        ) from exc
    if not boxes:
        return None
    for w, s, e, n in boxes:
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise DataFileError(
                f"{path}: its bounds ({w}, {s}, {e}, {n}) (west, south, east, north) are not a "
                f"box in lon/lat degrees. Fix: correct the bounds, or pass boundary=."
            )
    return shapely.union_all([shapely.box(*b) for b in boxes])
