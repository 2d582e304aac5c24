"""One vector layer read through pyogrio with every GDAL failure turned into a DataFileError that
names the file, the layer and the fix (a missing layer, unreadable geometry such as an unclosed ring,
a file GDAL cannot open), never a bare GDAL exception.
"""

from __future__ import annotations

import sqlite3
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import shapely

from townplan_gis.core.errors import DataFileError, EncodingError

__all__ = ["check_gpkg", "layer_names", "read_vector", "unreadable_geometries"]


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


def check_gpkg(path: Path) -> None:
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


def layer_names(path: Path) -> list[str]:
    try:
        return [str(n) for n, _ in pyogrio.list_layers(path)]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise DataFileError(f"{path}: cannot be read as a vector data source ({exc}).") from exc


def unreadable_geometries(path: Path, **kwargs: Any) -> list[int]:
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


def read_vector(path: Path, **kwargs: Any) -> gpd.GeoDataFrame:
    """``pyogrio.read_dataframe`` with its errors turned into errors that name the file and fix."""
    if path.suffix.casefold() == ".gpkg":
        check_gpkg(path)
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
        if layer is not None and str(layer) not in layer_names(path):
            raise DataFileError(
                f"{path}: has no layer '{layer}'. Layers in the file: {layer_names(path)}. Fix: "
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
        rows = unreadable_geometries(path, **kwargs)
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
