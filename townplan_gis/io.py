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
:class:`~townplan_gis.errors.DataFileError` or :class:`~townplan_gis.errors.EncodingError` naming
the file and the fix, never a bare GDAL, GEOS or SQLite exception.

Shapefiles from Chinese CAD/GIS desktops are often GBK without a ``.cpg``; GDAL then decodes them as
ISO-8859-1 *silently* (tech notes, "File formats"). :func:`read_layer` reads the raw bytes and decodes
them itself (declared encoding, then strict UTF-8, then GB18030), and reports what it used.
"""

from __future__ import annotations

import codecs
import json
import logging
import shutil
import sqlite3
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj
import shapely

from townplan_gis._progress import progress as progress_bar
from townplan_gis._toml import check_keys, load_toml
from townplan_gis.errors import DataFileError, EncodingError, TownPlanError
from townplan_gis.repairs import Repair
from townplan_gis.schema import LAYERS, layer_kind
from townplan_gis.town import Town, _check_population, _check_statistics

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


def _codec(name: str) -> str | None:
    """The Python codec for an encoding name (.cpg spelling or codec name), or None if unknown.

    GBK and GB2312 map to GB18030, their superset, so a rare character outside GB2312 still decodes.
    """
    key = name.strip().casefold()
    if key in _CPG:
        return _CPG[key]
    try:
        codec = codecs.lookup(key).name
    except LookupError:
        return None
    return "gb18030" if codec in ("gbk", "gb2312") else codec


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
        f"text is neither {' nor '.join(dict.fromkeys(candidates))}. Fix: pass the file's "
        f"encoding with encoding='big5' (CLI --encoding big5) or the one the data was saved in, or "
        f"save the file as UTF-8."
    )


# A DBF field name holds at most 10 bytes: GDAL and ArcGIS cut a UTF-8 Chinese name inside a
# character (道路等级 → 9 bytes of 道路等 plus one byte of 级). Such a name is read without its cut
# character instead of failing the whole file.
def _decode_name(raw: bytes, enc: str) -> tuple[str, bool]:
    """A field name decoded strictly; ``(name, True)`` when a cut UTF-8 character was dropped."""
    try:
        return raw.decode(enc), False
    except UnicodeDecodeError as exc:
        if enc == "utf-8" and exc.reason == "unexpected end of data" and exc.start > 0:
            return raw[: exc.start].decode(enc), True
        raise


def _decodes(names: list[bytes], values: list[bytes], enc: str) -> bool:
    try:
        for b in names:
            _decode_name(b, enc)
        for b in values:
            b.decode(enc)
    except UnicodeDecodeError:
        return False
    return True


def _is_han(ch: str) -> bool:
    """CJK ideographs, CJK punctuation and full-width forms: what Chinese planning text is made of."""
    return (
        ("\u3000" <= ch <= "\u303f") or ("\u3400" <= ch <= "\u9fff") or ("\uff00" <= ch <= "\uffef")
    )


def _looks_utf8_chinese(names: list[bytes], values: list[bytes]) -> tuple[bool, int]:
    """Whether the bytes are valid UTF-8 and read as Chinese text; and its count of CJK characters.

    GBK bytes are seldom valid UTF-8, and when a few are (路 in GBK is the UTF-8 of '·'), the
    UTF-8 reading is Latin punctuation, not Chinese: so a UTF-8 reading made of CJK characters is
    evidence the bytes are UTF-8, whatever the .cpg says.
    """
    try:
        text = "".join(_decode_name(b, "utf-8")[0] for b in names)
        text += "".join(b.decode("utf-8") for b in values)
    except UnicodeDecodeError:
        return False, 0
    wide = [ch for ch in text if ord(ch) > 127]
    han = sum(_is_han(ch) for ch in wide)
    return bool(wide) and han >= 0.5 * len(wide), han


# Fewer CJK characters than this in a file whose .cpg names a GB encoding but whose bytes also read
# as UTF-8 Chinese cannot be told apart: the file is refused with both readings shown.
_UTF8_EVIDENCE_CHARS = 3


def _choose_encoding(
    path: Path, names: list[bytes], values: list[bytes], cpg: str | None
) -> tuple[str, str | None]:
    """The encoding of a shapefile's text, and a note when the .cpg is wrong or was ignored."""
    declared = _codec(cpg) if cpg else None
    unknown_cpg = f"the .cpg '{cpg}' names no known encoding and was ignored" if cpg else None
    if declared is None:
        return _detect(path, names, values, None), unknown_cpg
    if declared != "utf-8":
        plausible, han = _looks_utf8_chinese(names, values)
        if plausible:
            if han < _UTF8_EVIDENCE_CHARS:
                sample = next(b for b in names + values if any(x > 127 for x in b))
                raise EncodingError(
                    f"{path}: the .cpg says {cpg} but the text is also valid UTF-8, and there is "
                    f"too little of it to tell which is right: {sample!r} reads as "
                    f"'{sample.decode(declared, errors='replace')}' in {cpg} and "
                    f"'{sample.decode('utf-8', errors='replace')}' in UTF-8. Fix: pass the right "
                    f"one with encoding='gbk' or encoding='utf-8' (CLI --encoding), or correct the "
                    f".cpg file."
                )
            return "utf-8", (
                f"the .cpg is wrong: it says {cpg}, but the text is UTF-8 (every string is valid "
                f"UTF-8 and reads as Chinese; read as {cpg} it would be mojibake); read as UTF-8"
            )
    if _decodes(names, values, declared):
        return declared, None
    enc = _detect(path, names, values, None)
    return enc, f"the .cpg is wrong: the text is not {cpg}; read as {enc}"


def _detect(path: Path, names: list[bytes], values: list[bytes], declared: str | None) -> str:
    for enc in dict.fromkeys(c for c in (declared, "utf-8", "gb18030") if c):
        if _decodes(names, values, enc):
            return enc
    raise EncodingError(
        f"{path}: the text is neither UTF-8 nor GBK/GB18030. Fix: pass the file's encoding with "
        f"encoding='big5' (CLI --encoding big5) or the one it was saved in, or save it as UTF-8."
    )


def _text_columns(gdf: gpd.GeoDataFrame) -> list:
    return [
        c
        for c in gdf.columns
        if c != gdf.geometry.name
        and (gdf[c].dtype.kind in "OSU" or str(gdf[c].dtype) in ("string", "str"))
    ]


def _first_undecodable(
    gdf: gpd.GeoDataFrame, text_cols: list, enc: str, shown: str
) -> tuple[str, bytes]:
    """Where the text first fails to decode with ``enc``: ("field name …" / "column …, row …", bytes).

    Names are shown decoded with ``shown`` (the encoding the text really is in, when known).
    """
    for c in gdf.columns:
        if c == gdf.geometry.name:
            continue
        raw = str(c).encode("latin-1")
        try:
            _decode_name(raw, enc)
        except UnicodeDecodeError:
            return f"field name '{raw.decode(shown, errors='replace')}'", raw
    for c in text_cols:
        for row, v in gdf[c].items():
            if isinstance(v, str):
                raw = v.encode("latin-1")
                try:
                    raw.decode(enc)
                except UnicodeDecodeError:
                    name = str(c).encode("latin-1").decode(shown, errors="replace")
                    return f"column '{name}', row {row}", raw
    return "the text", b""


def _read_shapefile(
    path: Path, *, encoding: str | None, **kwargs: Any
) -> tuple[gpd.GeoDataFrame, dict]:
    cpg_path = path.with_suffix(".cpg")
    cpg = cpg_path.read_text(errors="replace").strip() if cpg_path.exists() else None
    # Latin-1 maps every byte to one code point, so the raw bytes can be recovered exactly and
    # decoded here: strictly, with an error naming the column and row, never as silent mojibake.
    gdf = _read_vector(path, encoding="ISO-8859-1", **kwargs)
    text_cols = _text_columns(gdf)
    names = [str(c).encode("latin-1") for c in gdf.columns if c != gdf.geometry.name]
    values: list[bytes] = []
    for c in text_cols:
        values += [v.encode("latin-1") for v in gdf[c].dropna().unique() if isinstance(v, str)]
    note = None
    if encoding is not None:
        enc = _forced_codec(encoding)
        if not _decodes(names, values, enc):
            try:
                guess = _detect(path, names, values, None)
                better = (
                    f" The text reads as {'GBK/GB18030' if guess == 'gb18030' else guess}: leave "
                    f"out the encoding to detect it, or pass encoding="
                    f"'{'gbk' if guess == 'gb18030' else guess}'."
                )
            except EncodingError:
                guess, better = (
                    enc,
                    " Pass the encoding the file was saved in, or save it as UTF-8.",
                )
            where, raw = _first_undecodable(gdf, text_cols, enc, guess)
            raise EncodingError(
                f"{path}: the text is not {encoding} (forced with encoding='{encoding}', CLI "
                f"--encoding): {where} holds bytes {raw[:24]!r} that are not valid {encoding}."
                f"{better}"
            )
        plausible, han = _looks_utf8_chinese(names, values)
        if enc != "utf-8" and plausible and han >= _UTF8_EVIDENCE_CHARS:
            raise EncodingError(
                f"{path}: the text is UTF-8 Chinese, not {encoding} as forced (encoding="
                f"'{encoding}', CLI --encoding): read as {encoding} it would be mojibake. Fix: "
                f"leave out the encoding to detect it, or pass encoding='utf-8'."
            )
        detected = False
    else:
        enc, note = _choose_encoding(path, names, values, cpg)
        detected = True
    out = gdf.copy()
    for c in text_cols:
        out[c] = gdf[c].map(
            lambda v, e=enc: v.encode("latin-1").decode(e) if isinstance(v, str) else v
        )
    columns, cut = [], []
    for c in gdf.columns:
        if c == gdf.geometry.name:
            columns.append(c)
            continue
        name, was_cut = _decode_name(str(c).encode("latin-1"), enc)
        columns.append(name)
        if was_cut:
            cut.append(name)
    out.columns = columns
    out = out.set_geometry(gdf.geometry.name)
    if detected and any(any(b > 127 for b in r) for r in names + values):
        prefix = f"text decoded as {enc} (.cpg: {cpg or 'none'})"
        note = f"{prefix}; {note}" if note else prefix
    if cut:
        note = (f"{note}; " if note else "") + (
            f"field names {cut} were cut inside a character by the shapefile's 10-byte limit and "
            f"are read without the cut character"
        )
    return out, {"encoding": enc, "declared": cpg, "detected": detected, "note": note}


def _forced_codec(encoding: str) -> str:
    codec = _codec(encoding) if isinstance(encoding, str) else None
    if codec is None:
        raise EncodingError(
            f"unknown text encoding {encoding!r}. Fix: pass utf-8, gbk (covers GB2312 and "
            f"GB18030), big5 or latin-1, or leave the encoding out to detect it."
        )
    return codec


# GDAL reads a GeoPackage page by page and returns what it finds: a corrupt page in a geometry
# blob or an index is read back silently in some cases (a copy interrupted, a file from a failing
# disk). SQLite's quick_check reads every page once, far less work than reading the features, and
# turns "some layers look odd" into a clear error naming the file.
@lru_cache(maxsize=64)
def _gpkg_problem(path: str, mtime_ns: int, size: int) -> str | None:
    """What is wrong with a GeoPackage file, or None when SQLite finds it sound."""
    if size == 0:
        return "is empty (0 bytes)"
    with open(path, "rb") as f:
        head = f.read(16)
    if head != b"SQLite format 3\x00":
        return "is not a GeoPackage: it is not an SQLite database (another format renamed .gpkg?)"
    try:
        con = sqlite3.connect(f"file:{Path(path).as_posix()}?mode=ro", uri=True)
    except sqlite3.Error as exc:  # pragma: no cover - a file SQLite cannot even open
        return f"cannot be opened as an SQLite database ({exc})"
    try:
        try:
            check = [r[0] for r in con.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError as exc:
            return f"is corrupt or truncated (SQLite: {exc})"
        if check != ["ok"]:
            return f"is corrupt (SQLite integrity check: {'; '.join(check[:3])})"
        try:
            n = con.execute("SELECT COUNT(*) FROM gpkg_contents").fetchone()[0]
        except sqlite3.DatabaseError:
            return "is an SQLite database but not a GeoPackage (it has no gpkg_contents table)"
        if n == 0:
            return "is a GeoPackage with no layers"
    finally:
        con.close()
    return None


def _check_gpkg(path: Path) -> None:
    stat = path.stat()
    problem = _gpkg_problem(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if problem is not None:
        if problem.endswith("no layers"):
            fix = "write at least one layer into it (roads, control_lines …)"
        elif "not a GeoPackage" in problem:
            fix = "export the data as a GeoPackage (QGIS: Export → Save Features As → GeoPackage)"
        else:
            fix = (
                "copy the file again from its source (an interrupted copy or download truncates "
                "it), or re-export it from the GIS"
            )
        raise DataFileError(f"{path}: the file {problem}. Fix: {fix}.")


def _layer_names(path: Path) -> list[str]:
    try:
        return [str(n) for n, _ in pyogrio.list_layers(path)]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise DataFileError(f"{path}: cannot be read as a vector data source ({exc}).") from exc


def _unreadable_geometries(path: Path, **kwargs: Any) -> list[int]:
    """Positions of the features whose geometry GEOS refuses (an unclosed ring, too few points)."""
    from pyogrio.raw import read as raw_read

    kwargs = {k: v for k, v in kwargs.items() if k in ("layer", "encoding")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the caller's error says what GDAL warns about
        _, _, wkb, _ = raw_read(path, columns=[], **kwargs)
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    return [
        i for i, (b, g) in enumerate(zip(wkb, geoms, strict=True)) if b is not None and g is None
    ]


def _read_vector(path: Path, **kwargs: Any) -> gpd.GeoDataFrame:
    """``pyogrio.read_dataframe`` with its errors turned into errors that name the file and fix."""
    if path.suffix.casefold() == ".gpkg":
        _check_gpkg(path)
    layer = kwargs.get("layer")
    try:
        # GDAL's warnings ("Non closed ring detected") are passed on after a successful read only:
        # after a failure the error below says what they say, with the file and the fix.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gdf = pyogrio.read_dataframe(path, **kwargs)
        for w in caught:
            warnings.warn(w.message, w.category, stacklevel=3)
        return gdf
    except pyogrio.errors.DataLayerError as exc:
        if layer is not None and str(layer) not in _layer_names(path):
            raise DataFileError(
                f"{path}: has no layer '{layer}'. Layers in the file: {_layer_names(path)}. Fix: "
                f"pass one of them (layer=, CLI --projects-layer)."
            ) from exc
        raise DataFileError(
            f"{path}: layer '{layer or path.stem}' cannot be read ({exc})."
        ) from exc
    except pyogrio.errors.DataSourceError as exc:
        raise DataFileError(
            f"{path}: cannot be read as a vector layer ({exc}). Fix: check the file opens in QGIS; "
            f"re-export it as GeoPackage, Shapefile or GeoJSON."
        ) from exc
    except shapely.errors.GEOSException as exc:
        rows = _unreadable_geometries(path, **kwargs)
        where = f"features {rows[:10]}" + (" …" if len(rows) > 10 else "") if rows else "a feature"
        raise DataFileError(
            f"{path}{f', layer {layer!r}' if layer else ''}: {where} (0-based, in file order) "
            f"have a geometry GEOS cannot build ({exc}); a polygon ring whose first and last "
            f"points differ is not closed. Fix: close the rings (repeat the first point at the "
            f"end) or repair the geometries in the GIS (QGIS: Fix geometries)."
        ) from exc
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"{path}: text cannot be decoded as {kwargs.get('encoding') or 'UTF-8'} ({exc}). "
            f"Fix: save the file as UTF-8 (GeoPackage and GeoJSON are UTF-8 by definition), or "
            f"pass its encoding with encoding= (CLI --encoding)."
        ) from exc


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
        gdf, info = _read_shapefile(path, encoding=encoding, **kwargs)
    else:
        if encoding is not None:
            _forced_codec(encoding)
        gdf = _read_vector(path, encoding=encoding, **kwargs)
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
    table = _read_vector(path, layer=META_TABLE, read_geometry=False)
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


# Keys of town.toml (and of the GeoPackage's townplan_town table). absent_line_types declares the
# control-line types a town does not have (the review counts them as checked).
TOWN_KEYS = (
    "name",
    "population",
    "statistics",
    "metadata",
    "crs",
    "assume_crs",
    "absent_line_types",
    "repairs",
)


def _check_meta(meta: dict[str, Any], source: str) -> None:
    """Refuse town settings of the wrong type or value, naming the file and the key.

    Unknown keys are refused by the caller for town.toml (:data:`TOWN_KEYS`); the GeoPackage
    table and PostGIS carry keys of their own (``tables``).
    """

    def refuse(key: str, wanted: str, example: str) -> None:
        raise DataFileError(
            f"{source}: '{key}' must be {wanted}, got {meta[key]!r} "
            f"({type(meta[key]).__name__}). Fix: write it as {example}."
        )

    if "name" in meta and not (isinstance(meta["name"], str) and meta["name"].strip()):
        refuse("name", "non-empty text", 'name = "蒲州镇"')
    for key in ("statistics", "metadata"):
        if key in meta and not isinstance(meta[key], dict):
            refuse(key, "a table", f"a [{key}] section with one 'key = value' per line")
    for key in ("crs", "assume_crs"):
        value = meta.get(key)
        if value is None or isinstance(value, bool) or not isinstance(value, (str, int)):
            if value is not None:
                refuse(key, "an EPSG code as text", f'{key} = "EPSG:4546"')
            continue
        try:
            pyproj.CRS.from_user_input(value)
        except pyproj.exceptions.CRSError as exc:
            raise DataFileError(
                f"{source}: {key} = {value!r} is not a coordinate reference system ({exc}). Fix: "
                f'write an EPSG code as text, e.g. {key} = "EPSG:4546" (CGCS2000 GK CM 111E).'
            ) from exc
    if "population" in meta:
        try:
            _check_population(meta["population"])
        except DataFileError as exc:
            raise DataFileError(f"{source}: {exc}") from exc
    if "statistics" in meta:
        try:
            _check_statistics(meta["statistics"])
        except DataFileError as exc:
            raise DataFileError(f"{source}: {exc}") from exc
    absent = meta.get("absent_line_types")
    if absent is not None and not (
        isinstance(absent, list) and all(isinstance(t, str) for t in absent)
    ):
        refuse("absent_line_types", "a list of line types", 'absent_line_types = ["purple"]')
    history = meta.get("repairs")
    fields = {"layer", "action", "rows", "detail"}
    if history is not None and not (
        isinstance(history, list) and all(isinstance(r, dict) and fields <= set(r) for r in history)
    ):
        raise DataFileError(
            f"{source}: 'repairs' is the record townplan_gis writes of the changes it made, a list "
            f"of tables with {sorted(fields)}; got {history!r:.80}. Fix: remove the key (the "
            f"record is then lost) or restore it from the file townplan_gis wrote."
        )


# Repairs that describe the data as it is rather than a change made to it: Town re-derives them
# from the stored layers on every read (a road still without a class, a geometry still empty), so
# the fresh record is the true one. The saved copy would be a duplicate, or stale once a planner has
# filled the class or drawn the geometry in the file. Changes that cannot be re-derived (renames,
# reprojection, make_valid, collapsed, extracted parts, encoding) are kept from the saved history.
_RECOMPUTED_ON_READ = frozenset(
    {"filled_unknown", "empty_geometry", "nonfinite_vertices", "duplicate_ids"}
)


def _town_from_parts(
    default_name: str,
    layers: dict,
    meta: dict,
    repairs: list[Repair],
    *,
    source: str | None = None,
    **kwargs: Any,
) -> Town:
    _check_meta(meta, source or default_name)
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
        metadata={**(meta.get("metadata") or {}), **kwargs.pop("metadata", {})},
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
    if path.is_dir():
        raise DataFileError(
            f"{path}: is a folder named like a GeoPackage. Fix: rename it without '.gpkg' to read "
            f"it as a folder of layer files."
        )
    _check_gpkg(path)
    names = _layer_names(path)
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
    return _town_from_parts(path.stem, layers, meta, repairs, source=str(path), **opts)


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
    return _town_from_parts(path.name, layers, meta, repairs, source=str(toml), **opts)


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
