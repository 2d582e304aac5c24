"""Reading and writing towns: GeoPackage, folders of files, shapefiles in GBK, DXF (via pyogrio).

A town on disk is either

* a GeoPackage whose layers are named by kind (``roads``, ``green`` … or their Chinese aliases such as
  ``道路``), plus a ``townplan_town`` attribute table holding name, population, statistics and metadata; or
* a folder of files named by kind (``roads.geojson``, ``green.shp``, ``control_lines.gpkg`` …) with an
  optional ``town.toml`` (``name``, ``population``, ``crs``, ``assume_crs``,
  ``absent_line_types``, ``[statistics]``, ``[metadata]``).

Shapefiles from Chinese CAD/GIS desktops are often GBK without a ``.cpg``; GDAL then decodes them as
ISO-8859-1 *silently* (tech notes, "File formats"). :func:`read_layer` reads the raw bytes and decodes
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

from townplan_gis._progress import progress as progress_bar
from townplan_gis._toml import load_toml
from townplan_gis.errors import DataFileError, EncodingError, TownPlanError
from townplan_gis.repairs import Repair
from townplan_gis.schema import LAYERS, layer_kind
from townplan_gis.town import Town

__all__ = ["detect_encoding", "read_layer", "read_town", "write_town"]

log = logging.getLogger(__name__)

META_TABLE = "townplan_town"
INDEX_COLUMN = "townplan_index"
VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".kml", ".dxf", ".gml", ".csv")

# .cpg spellings → Python codecs. GB2312 and GBK files are decoded with GB18030, their superset.
_CPG = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "65001": "utf-8",
    "gbk": "gb18030",
    "936": "gb18030",
    "cp936": "gb18030",
    "ansi 936": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "54936": "gb18030",
    "big5": "big5",
    "950": "big5",
    "iso-8859-1": "latin-1",
    "latin1": "latin-1",
    "1252": "cp1252",
    "ansi 1252": "cp1252",
}


def detect_encoding(raw: list[bytes], *, declared: str | None = None) -> str:
    """The first encoding that decodes every byte string strictly.

    Tries the declared one (from a ``.cpg``), then UTF-8, then GB18030 (which covers GBK and GB2312).
    Strict UTF-8 rarely accepts GBK text by accident: Chinese GBK byte pairs are not valid UTF-8
    sequences.
    """
    candidates = [c for c in (declared, "utf-8", "gb18030") if c]
    for enc in dict.fromkeys(candidates):
        try:
            for b in raw:
                b.decode(enc, errors="strict")
        except UnicodeDecodeError:
            continue
        return enc
    raise EncodingError(
        f"text is neither {' nor '.join(dict.fromkeys(candidates))}. Fix: pass encoding= explicitly."
    )


def _read_shapefile(
    path: Path, *, encoding: str | None, **kwargs: Any
) -> tuple[gpd.GeoDataFrame, dict]:
    cpg_path = path.with_suffix(".cpg")
    cpg = cpg_path.read_text(errors="replace").strip() if cpg_path.exists() else None
    if encoding is not None:
        gdf = pyogrio.read_dataframe(path, encoding=encoding, **kwargs)
        return gdf, {"encoding": encoding, "declared": cpg, "detected": False}
    # Latin-1 maps every byte to one code point, so the raw bytes can be recovered exactly.
    gdf = pyogrio.read_dataframe(path, encoding="ISO-8859-1", **kwargs)
    text_cols = [
        c
        for c in gdf.columns
        if c != gdf.geometry.name
        and (gdf[c].dtype.kind in "OSU" or str(gdf[c].dtype) in ("string", "str"))
    ]
    raw = [str(c).encode("latin-1") for c in gdf.columns]
    for c in text_cols:
        raw += [v.encode("latin-1") for v in gdf[c].dropna().unique() if isinstance(v, str)]
    declared = _CPG.get(cpg.casefold()) if cpg else None
    try:
        enc = detect_encoding(raw, declared=declared)
    except EncodingError as exc:
        raise EncodingError(f"{path}: {exc}") from exc
    out = gdf.copy()
    for c in text_cols:
        out[c] = gdf[c].map(
            lambda v, e=enc: v.encode("latin-1").decode(e) if isinstance(v, str) else v
        )
    out.columns = [
        c if c == gdf.geometry.name else str(c).encode("latin-1").decode(enc) for c in gdf.columns
    ]
    out = out.set_geometry(gdf.geometry.name)
    note = None
    if any(any(b > 127 for b in r) for r in raw):
        note = f"text decoded as {enc} (.cpg: {cpg or 'none'})"
        if cpg and declared != enc:
            note += f"; the .cpg is wrong: the text is not {cpg}"
    return out, {"encoding": enc, "declared": cpg, "detected": True, "note": note}


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
    """
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"{path}: file not found.")
    if layer is not None:
        kwargs["layer"] = layer
    if path.suffix.casefold() == ".shp":
        gdf, info = _read_shapefile(path, encoding=encoding, **kwargs)
    else:
        try:
            gdf = pyogrio.read_dataframe(path, encoding=encoding, **kwargs)
        except pyogrio.errors.DataSourceError as exc:
            raise DataFileError(f"{path}: cannot be read as a vector layer ({exc}).") from exc
        info = {"encoding": encoding or "utf-8", "declared": None, "detected": False, "note": None}
    if INDEX_COLUMN in gdf.columns:
        gdf = gdf.set_index(INDEX_COLUMN)
        gdf.index.name = None
    info.update(
        path=str(path),
        layer=layer,
        driver=pyogrio.detect_write_driver(str(path)) if path.suffix else None,
    )
    return gdf, info


def _encoding_repair(kind: str, info: dict) -> list[Repair]:
    if info.get("detected") and info.get("note"):
        return [Repair(kind, "encoding", [], f"{Path(info['path']).name}: {info['note']}")]
    return []


def _meta_from_table(path: Path) -> dict[str, Any]:
    table = pyogrio.read_dataframe(path, layer=META_TABLE, read_geometry=False)
    return {k: json.loads(v) for k, v in zip(table["key"], table["value"], strict=True)}


# Repairs that describe the data as it is rather than a change made to it: Town re-derives them
# from the stored layers on every read (a road still without a class, a geometry still empty), so
# the fresh record is the true one. The saved copy would be a duplicate, or stale once a planner has
# filled the class or drawn the geometry in the file. Changes that cannot be re-derived (renames,
# reprojection, make_valid, collapsed, extracted parts, encoding) are kept from the saved history.
_RECOMPUTED_ON_READ = frozenset({"filled_unknown", "empty_geometry"})


def _town_from_parts(
    default_name: str, layers: dict, meta: dict, repairs: list[Repair], **kwargs: Any
) -> Town:
    history = [
        Repair(r["layer"], r["action"], r["rows"], r["detail"])
        for r in meta.get("repairs", [])
        if r["action"] not in _RECOMPUTED_ON_READ
    ]
    repairs = history + repairs
    return Town(
        kwargs.pop("name", None) or meta.get("name") or default_name,
        layers=layers,
        population=kwargs.pop("population", meta.get("population")),
        statistics=kwargs.pop("statistics", meta.get("statistics")),
        crs=kwargs.pop("crs", None) or meta.get("crs"),
        assume_crs=kwargs.pop("assume_crs", None) or meta.get("assume_crs"),
        metadata={**meta.get("metadata", {}), **kwargs.pop("metadata", {})},
        absent_line_types=kwargs.pop("absent_line_types", meta.get("absent_line_types")),
        _repairs=repairs,
        **kwargs,
    )


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
        Metric analysis CRS (default: chosen from the data, see :func:`townplan_gis.crs.analysis_crs`).
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
    ):  # postgresql://… : a PostGIS schema (schema=, tables=), see townplan_gis.postgis
        from townplan_gis import postgis

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
    names = [str(n) for n, _ in pyogrio.list_layers(path)]
    meta = _meta_from_table(path) if META_TABLE in names else {}
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
    return _town_from_parts(path.stem, layers, meta, repairs, **opts)


def _read_folder(
    path: Path, *, encoding: str | None, progress: bool | None = None, **opts: Any
) -> Town:
    meta = load_toml(path / "town.toml") if (path / "town.toml").exists() else {}
    unknown = set(meta) - {
        "name",
        "population",
        "statistics",
        "metadata",
        "crs",
        "assume_crs",
        "repairs",
        "absent_line_types",
    }
    if unknown:
        raise DataFileError(
            f"{path / 'town.toml'}: unknown keys {sorted(unknown)}; accepted: name, population, crs, "
            f"assume_crs, absent_line_types, [statistics], [metadata]."
        )
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
    return _town_from_parts(path.name, layers, meta, repairs, **opts)


def _meta(town: Town) -> dict[str, Any]:
    return {
        "name": town.name,
        "population": town.population,
        "statistics": town.statistics,
        "metadata": town.metadata,
        "absent_line_types": list(getattr(town, "absent_line_types", [])),
        "crs": f"EPSG:{town.crs.to_epsg()}"
        if town.crs is not None and town.crs.to_epsg()
        else None,
        "repairs": [
            {
                **r.as_dict(),
                "rows": [x if isinstance(x, (int, float, str)) else str(x) for x in r.rows],
            }
            for r in town._repairs
        ],
    }


def _prepare_for_write(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf
    if not (isinstance(gdf.index, pd.RangeIndex) and gdf.index.start == 0 and gdf.index.step == 1):
        out = gdf.copy()
        out[INDEX_COLUMN] = gdf.index
        out = out.reset_index(drop=True)
    return out


def _write_layer(gdf: gpd.GeoDataFrame, path: Path, layer: str | None) -> None:
    out = _prepare_for_write(gdf)
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
    """A PostgreSQL URL, or a SQLAlchemy URL/Engine/Connection (handled by townplan_gis.postgis)."""
    from townplan_gis.postgis import is_postgis_url

    return is_postgis_url(path)


def write_town(
    town: Town, path: str | Path, *, crs: Any = None, overwrite: bool = True, **kwargs: Any
) -> Path | str:
    """Write a town to a GeoPackage (``*.gpkg``) or a folder of GeoPackages with ``town.toml``.

    GeoPackage is the default container: shapefiles cut UTF-8 Chinese field names at 10 bytes and cannot
    be read back (tech notes). Reading the result back gives an equal town (layers, CRS, index, name,
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
        ``schema=`` for a PostGIS URL (see :func:`townplan_gis.postgis.write_town`).

    Returns
    -------
    pathlib.Path or str
        The file or folder written (for PostGIS, the schema name).
    """
    import tomli_w

    if _is_db(path):  # postgresql://… : a PostGIS schema (schema=), see townplan_gis.postgis
        from townplan_gis import postgis

        return postgis.write_town(town, path, crs=crs, overwrite=overwrite, **kwargs)
    if kwargs:
        raise TypeError(f"write_town: {sorted(kwargs)} apply to PostGIS URLs only.")
    path = Path(path)
    if path.exists() and not overwrite:
        raise DataFileError(f"{path} exists. Pass overwrite=True or choose another path.")
    meta = _meta(town)
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
