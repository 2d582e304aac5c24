"""Reading and writing towns: GeoPackage, folders of files, shapefiles in GBK, DXF (via pyogrio).

A town on disk is either

* a GeoPackage whose layers are named by kind (``roads``, ``green`` … or their Chinese aliases such as
  ``道路``), plus a ``townplan_town`` attribute table holding name, population, statistics and metadata; or
* a folder of files named by kind (``roads.geojson``, ``green.shp``, ``control_lines.gpkg`` …) with an
  optional ``town.toml`` (``name``, ``population``, ``crs``, ``assume_crs``, ``absent_line_types``,
  ``[statistics]``, ``[metadata]``; an unknown key is refused with a did-you-mean, and every value
  is checked: ``population = true`` is an error, not one resident).

Every way a file can fail to read (missing, a folder, corrupt or truncated GeoPackage, no layers, a
layer name that is not there, an unclosed polygon ring, text not in the forced encoding) is a
:class:`~townplan_gis.core.errors.DataFileError` or :class:`~townplan_gis.core.errors.EncodingError` naming
the file and the fix, never a bare GDAL, GEOS or SQLite exception.

Shapefiles from Chinese CAD/GIS desktops are often GBK without a ``.cpg``; GDAL then decodes them as
ISO-8859-1 *silently* (``docs/engineering.md#file-formats``). :func:`read_layer` reads the raw bytes and decodes
them itself (declared encoding, then strict UTF-8, then GB18030), and reports what it used.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from townplan_gis.core.datafiles import check_keys, load_toml
from townplan_gis.core.errors import DataFileError, TownPlanError
from townplan_gis.core.progress import progress as progress_bar
from townplan_gis.core.repairs import Repair
from townplan_gis.core.schema import LAYERS, layer_kind
from townplan_gis.core.town import Town
from townplan_gis.io.encoding import _forced_codec, detect_encoding, read_shapefile
from townplan_gis.io.record import (
    INDEX_COLUMN,
    META_TABLE,
    TOWN_KEYS,
    prepare_for_write,
    town_from_parts,
    town_record,
)
from townplan_gis.io.vector import check_gpkg, layer_names, read_vector

__all__ = ["detect_encoding", "read_layer", "read_town", "write_town"]

log = logging.getLogger(__name__)

VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".kml", ".dxf", ".gml", ".csv")


def read_layer(
    path: str | Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    **kwargs: Any,
) -> tuple[gpd.GeoDataFrame, dict]:
    """Read one vector layer; shapefile text encodings are detected rather than guessed.

    Parameters
    ----------
    path : str or Path
        Any format pyogrio reads (GeoPackage, Shapefile, GeoJSON, FlatGeobuf, KML, DXF …).
    layer : str, optional
        Layer name inside a multi-layer source.
    encoding : str, optional
        Force a text encoding (e.g. ``"gbk"``) instead of detecting it.

    Returns
    -------
    (geopandas.GeoDataFrame, dict)
        The layer, and a dict ``{"path", "layer", "driver", "encoding", "declared", "detected",
        "note"}`` (``detected``: the encoding was found from the bytes, not forced or assumed).

    Raises
    ------
    DataFileError
        The file is missing, is a folder, is corrupt or truncated (a GeoPackage is checked with
        SQLite's ``quick_check``), has no layers or no layer named ``layer``, or holds a geometry
        that cannot be built (an unclosed polygon ring), named by feature position.
    EncodingError
        The text is not in the forced encoding, an unknown encoding name, a ``.cpg`` that
        contradicts too little text to tell, or text in no supported encoding.
    """
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"{path}: file not found.")
    if path.is_dir():
        raise DataFileError(
            f"{path}: is a folder, not a layer file. Fix: name a file (a .gpkg, .shp, .geojson …); "
            f"read a folder of layers with read_town()."
        )
    if layer is not None:
        kwargs["layer"] = layer
    if path.suffix.casefold() == ".shp":
        gdf, info = read_shapefile(path, encoding=encoding, **kwargs)
    else:
        if encoding is not None:
            _forced_codec(encoding)
        gdf = read_vector(path, encoding=encoding, **kwargs)
        info = {"encoding": encoding or "utf-8", "declared": None, "detected": False, "note": None}
    if INDEX_COLUMN in gdf.columns:
        gdf = gdf.set_index(INDEX_COLUMN)
        gdf.index.name = None
    # Named by later checks (e.g. check_coordinates) that only see the frame.
    gdf.attrs["source"] = f"file {path}" + (f", layer '{layer}'" if layer is not None else "")
    try:
        driver = pyogrio.detect_write_driver(str(path)) if path.suffix else None
    except ValueError:  # a suffix GDAL reads but cannot write (.txt read as CSV …)
        driver = None
    info.update(path=str(path), layer=layer, driver=driver)
    return gdf, info


def _encoding_repair(kind: str, info: dict) -> list[Repair]:
    """The record of how a file's text was decoded: detected encodings, a wrong .cpg, cut names."""
    if info.get("note"):
        return [Repair(kind, "encoding", [], f"{Path(info['path']).name}: {info['note']}")]
    return []


def _meta_from_table(path: Path) -> dict[str, Any]:
    table = read_vector(path, layer=META_TABLE, read_geometry=False)
    if not {"key", "value"} <= set(table.columns):
        raise DataFileError(
            f"{path}: the '{META_TABLE}' table has no key/value columns (columns: "
            f"{list(table.columns)}). Fix: rename or drop that table; townplan_gis writes it."
        )
    meta: dict[str, Any] = {}
    for k, v in zip(table["key"], table["value"], strict=True):
        try:
            meta[str(k)] = json.loads(v)
        except (TypeError, json.JSONDecodeError) as exc:
            raise DataFileError(
                f"{path}: table '{META_TABLE}', key '{k}': the value {v!r} is not JSON ({exc}). "
                f"Fix: correct it, or drop the row to leave the setting out."
            ) from exc
    return meta


def read_town(
    path: str | Path,
    *,
    name: str | None = None,
    crs: Any = None,
    assume_crs: Any = None,
    encoding: str | None = None,
    allow_empty: bool = False,
    progress: bool | None = None,
    **kwargs: Any,
) -> Town:
    """Read a town from a GeoPackage or a folder of layer files.

    Parameters
    ----------
    path : str or Path
        A ``.gpkg`` file, or a folder holding files named by layer kind and an optional ``town.toml``.
    name : str, optional
        Town name; default from the metadata, else the file or folder name.
    crs : CRS-like, optional
        Metric analysis CRS (default: chosen from the data, see :func:`townplan_gis.core.crs.analysis_crs`).
    assume_crs : CRS-like, optional
        CRS to assume for layers without one (shapefiles without ``.prj``, DXF).
    encoding : str, optional
        Force the text encoding of shapefiles instead of detecting it.
    allow_empty : bool, default False
        Keep layers with no features.
    progress : bool, optional
        Progress bar over the layers read (default ``townplan_gis.options.progress``).

    Returns
    -------
    Town
    """
    opts = {"name": name, "crs": crs, "assume_crs": assume_crs, "allow_empty": allow_empty}
    opts = {k: v for k, v in {**opts, **kwargs}.items() if v is not None}
    if _is_db(
        path
    ):  # postgresql://… : a PostGIS schema (schema=, tables=), see townplan_gis.io.postgis
        from townplan_gis.io import postgis

        return postgis.read_town(path, **opts)
    path = Path(path)
    if path.is_dir():
        return _read_folder(path, encoding=encoding, progress=progress, **opts)
    if path.suffix.casefold() == ".gpkg":
        return _read_gpkg(path, progress=progress, **opts)
    if not path.exists():
        raise DataFileError(f"{path}: no such file or folder.")
    raise DataFileError(
        f"{path}: a town is a GeoPackage (.gpkg) or a folder of layer files; got a '{path.suffix}' file. "
        f"Fix: read single layers with read_layer() and build Town(name, layers={{...}})."
    )


def _not_a_kind(what: str) -> str:
    return (
        f"{what} is not a town layer kind and was not read; rename it to one of {list(LAYERS)} "
        f"(or a Chinese alias such as 道路) to use it"
    )


def _read_gpkg(path: Path, *, progress: bool | None = None, **opts: Any) -> Town:
    if not path.exists():
        raise DataFileError(f"{path}: file not found.")
    if path.is_dir():
        raise DataFileError(
            f"{path}: is a folder named like a GeoPackage. Fix: rename it without '.gpkg' to read "
            f"it as a folder of layer files."
        )
    check_gpkg(path)
    names = layer_names(path)
    meta = _meta_from_table(path) if META_TABLE in names else {}
    if not any(layer_kind(n) for n in names) and META_TABLE not in names:
        raise DataFileError(
            f"{path}: no town layers: its layers {names} are not named by layer kind. Fix: name the "
            f"layers by kind ({', '.join(LAYERS)}) or a Chinese alias such as 道路."
        )
    layers: dict[str, gpd.GeoDataFrame] = {}
    repairs: list[Repair] = []
    for n in progress_bar(names, desc=f"read {path.name}", unit="layer", progress=progress):
        kind = layer_kind(n)
        if kind is None:
            if n != META_TABLE:
                log.warning("%s: layer '%s' is not a town layer kind; ignored", path, n)
                repairs.append(Repair(n, "ignored_layer", [], _not_a_kind(f"layer '{n}'")))
            continue
        if kind in layers:
            raise DataFileError(f"{path}: two layers map to '{kind}' (one is '{n}'). Rename one.")
        layers[kind], _ = read_layer(path, layer=n)
        if n != kind:
            repairs.append(Repair(kind, "renamed_layer", [], f"layer '{n}' read as '{kind}'"))
    return town_from_parts(path.stem, layers, meta, repairs, source=str(path), **opts)


def _read_folder(
    path: Path, *, encoding: str | None, progress: bool | None = None, **opts: Any
) -> Town:
    toml = path / "town.toml"
    meta = load_toml(toml) if toml.exists() else {}
    check_keys(meta, TOWN_KEYS, where="the top level", source=str(toml))
    layers: dict[str, gpd.GeoDataFrame] = {}
    repairs: list[Repair] = []
    files = sorted(path.iterdir())
    for f in progress_bar(files, desc=f"read {path.name}", unit="file", progress=progress):
        if f.suffix.casefold() not in VECTOR_SUFFIXES or f.name.startswith("."):
            continue
        kind = layer_kind(f.stem)
        if kind is None:
            log.warning("%s: file name is not a town layer kind; ignored", f)
            repairs.append(Repair(f.stem, "ignored_layer", [], _not_a_kind(f"file '{f.name}'")))
            continue
        if kind in layers:
            raise DataFileError(
                f"{path}: two files map to layer '{kind}' (one is '{f.name}'). Keep one."
            )
        layers[kind], info = read_layer(f, encoding=encoding)
        repairs += _encoding_repair(kind, info)
        if f.stem != kind:
            repairs.append(Repair(kind, "renamed_layer", [], f"file '{f.name}' read as '{kind}'"))
    if not layers:
        raise DataFileError(
            f"{path}: no layer files found. Name files by layer kind, e.g. roads.geojson, green.shp; "
            f"kinds: {list(LAYERS)}."
        )
    return town_from_parts(path.name, layers, meta, repairs, source=str(toml), **opts)


def _write_layer(gdf: gpd.GeoDataFrame, path: Path, layer: str | None) -> None:
    out = prepare_for_write(gdf)
    kwargs: dict[str, Any] = {"layer": layer} if layer else {}
    if len(out) == 0:
        kwargs["geometry_type"] = "Unknown"
    try:
        pyogrio.write_dataframe(out, path, **kwargs)
    except Exception as exc:  # pyogrio raises several unrelated types
        raise TownPlanError(
            f"{path}: writing layer '{layer or path.stem}' failed ({exc})."
        ) from exc


def _is_db(path: Any) -> bool:
    """A PostgreSQL URL, or a SQLAlchemy URL/Engine/Connection (handled by townplan_gis.io.postgis)."""
    from townplan_gis.io.postgis import is_postgis_url

    return is_postgis_url(path)


def write_town(
    town: Town, path: str | Path, *, crs: Any = None, overwrite: bool = True, **kwargs: Any
) -> Path | str:
    """Write a town to a GeoPackage (``*.gpkg``) or a folder of GeoPackages with ``town.toml``.

    GeoPackage is the default container: shapefiles cut UTF-8 Chinese field names at 10 bytes and cannot
    be read back (``docs/engineering.md#file-formats``). Reading the result back gives an equal town (layers, CRS, index, name,
    population, statistics, metadata).

    Parameters
    ----------
    town : Town
    path : str or Path
        ``*.gpkg`` for one GeoPackage, a ``postgresql://`` URL for PostGIS, any other path a folder.
    crs : CRS-like, optional
        Store the layers in this CRS (e.g. ``"EPSG:4490"``, CGCS2000 geographic, as data is exchanged in
        China) instead of the analysis CRS. The analysis CRS is kept in the metadata, so reading back
        measures in the same zone; coordinates then round-trip to floating-point precision only.
    overwrite : bool, default True
        Replace an existing file or folder at ``path``; with False an existing one is an error.
    **kwargs
        ``schema=`` for a PostGIS URL (see :func:`townplan_gis.io.postgis.write_town`).

    Returns
    -------
    pathlib.Path or str
        The file or folder written (for PostGIS, the schema name).
    """
    import tomli_w

    if _is_db(path):  # postgresql://… : a PostGIS schema (schema=), see townplan_gis.io.postgis
        from townplan_gis.io import postgis

        return postgis.write_town(town, path, crs=crs, overwrite=overwrite, **kwargs)
    if kwargs:
        raise TypeError(f"write_town: {sorted(kwargs)} apply to PostGIS URLs only.")
    path = Path(path)
    if path.exists() and not overwrite:
        raise DataFileError(f"{path} exists. Pass overwrite=True or choose another path.")
    meta = town_record(town)
    if path.suffix.casefold() == ".gpkg":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        for kind, gdf in town.layers.items():
            _write_layer(gdf if crs is None else gdf.to_crs(crs), path, kind)
        table = pd.DataFrame(
            {"key": list(meta), "value": [json.dumps(v, ensure_ascii=False) for v in meta.values()]}
        )
        pyogrio.write_dataframe(table, path, layer=META_TABLE)
        return path
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    for kind, gdf in town.layers.items():
        _write_layer(gdf if crs is None else gdf.to_crs(crs), path / f"{kind}.gpkg", kind)
    toml_meta = {k: v for k, v in meta.items() if v not in (None, {}, [])}
    (path / "town.toml").write_text(tomli_w.dumps(toml_meta), encoding="utf-8")
    return path
