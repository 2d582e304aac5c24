"""The record a review rests on: content hashes of its inputs and of its rule file.

A review opinion is only worth the data behind it. :attr:`Review.evidence
<townplan_gis.fiveline.result.Review.evidence>` names every input with its feature count and a
SHA-256 content hash, so an archived opinion can be tied to the exact layers and rules it was made
with, and a rerun on the same inputs can be shown to have used the same data.

The hash of a layer covers, in order: the index labels, then per attribute column its name, type,
null cells and values (texts as UTF-8, numbers as little-endian binary), then each geometry's WKB
(ISO, little-endian, with Z where present; null as an empty record). It is stable across runs and
machines for the same data; any change of a coordinate, attribute or row order changes it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from townplan_gis._version import __version__
from townplan_gis.core.schema import LINE_TYPES
from townplan_gis.fiveline.rules import Rules

__all__ = [
    "file_sha256",
    "hash_layers",
    "layer_sha256",
    "now_iso",
    "review_evidence",
    "rules_file_record",
    "wkb_plain",
    "wkb_stream",
]


def now_iso() -> str:
    """The local time as ISO 8601 with its UTC offset, to the second."""
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


_BATCH = 65_536  # geometries hashed per update


def layer_sha256(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> str:
    """SHA-256 (hex) of a layer's content: columns, index, attributes and geometry WKB.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or GeoSeries
        Not modified.

    Returns
    -------
    str
        64 hex digits; equal for equal content, whatever the run.
    """
    h = hashlib.sha256()
    if isinstance(gdf, gpd.GeoSeries):
        gdf = gpd.GeoDataFrame(geometry=gdf)
    geom = gdf.geometry.name
    _update_column(h, "index", pd.Series(gdf.index, copy=False))
    for name in gdf.columns:
        if name != geom:
            _update_column(h, str(name), gdf[name])
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    lengths, batches = wkb_stream(geoms)
    # Length-prefixed, so that no two different lists of records give the same byte stream.
    h.update(lengths.astype("<u8").tobytes())
    for data in batches:  # in batches: no second copy of a county's WKB
        h.update(data)
    return h.hexdigest()


# The first 9 bytes of a 2-D polygon of one ring as ISO WKB, little-endian (wkb_stream).
_POLYGON_HEAD = np.array([1, 3, 0, 0, 0, 1, 0, 0, 0], dtype=np.uint8)


def wkb_plain(geoms: np.ndarray) -> tuple[np.ndarray, Iterator[bytes]]:
    """Each geometry's ISO WKB (little-endian; null: an empty record) by ``shapely.to_wkb``: the
    records' lengths, and their bytes one after the other, in batches of :data:`_BATCH`
    geometries. What :func:`wkb_stream` gives, one GEOS writer call per geometry."""
    wkb = shapely.to_wkb(geoms, byte_order=1, flavor="iso", include_srid=False)
    wkb = np.where(shapely.is_missing(geoms), b"", wkb)
    lengths = np.fromiter(map(len, wkb), dtype=np.int64, count=len(wkb))
    batches = (b"".join(wkb[at : at + _BATCH].tolist()) for at in range(0, len(wkb), _BATCH))
    return lengths, batches


def wkb_stream(geoms: np.ndarray) -> tuple[np.ndarray, Iterator[bytes]]:
    """:func:`wkb_plain`, byte for byte, for a layer of 2-D polygons without holes (parcels,
    footprints: most of a county's projects) written from their coordinates in numpy.

    ``shapely.to_wkb`` makes a Python bytes object per geometry under the GIL (0.5 s for 10⁶
    parcels, beside the review's threads); reading the coordinates takes a sixth of that. Record
    of a polygon: byte order 1, type 3, one ring, its vertex count n (uint32), then x, y of each
    vertex (float64): 13 + 16·n bytes. A layer holding anything else (empty polygons, Z or M,
    holes, multi-part geometries, lines, points) is written by :func:`wkb_plain`; null geometries
    are empty records either way.
    """
    geoms = np.asarray(geoms, dtype=object)
    kind = shapely.get_type_id(geoms)
    count = shapely.get_num_coordinates(geoms).astype(np.int64)
    simple = (kind == 3) & (count > 0)  # an empty polygon has no ring
    simple &= ~shapely.has_z(geoms) & (shapely.get_num_interior_rings(geoms) == 0)
    if hasattr(shapely, "has_m"):  # shapely ≥ 2.1
        simple &= ~shapely.has_m(geoms)
    if not (simple | (kind < 0)).all():
        return wkb_plain(geoms)
    lengths = np.where(simple, 13 + 16 * count, 0)

    def batch(a: int, b: int) -> bytes:
        sel = simple[a:b]
        coords = shapely.get_coordinates(geoms[a:b][sel]).astype("<f8", copy=False)
        heads = np.zeros((int(sel.sum()), 13), dtype=np.uint8)
        heads[:, :9] = _POLYGON_HEAD
        heads[:, 9:] = count[a:b][sel].astype("<u4").view(np.uint8).reshape(-1, 4)
        # Each record's 13 header bytes go to its start; the coordinates fill the rest in order.
        size = lengths[a:b][sel]
        place = np.repeat(np.cumsum(size) - size, 13) + np.tile(np.arange(13), len(size))
        out = np.empty(int(size.sum()), dtype=np.uint8)
        out[place] = heads.ravel()
        rest = np.ones(len(out), dtype=bool)
        rest[place] = False
        out[rest] = coords.view(np.uint8).ravel()
        return out.tobytes()

    return lengths, (batch(a, min(a + _BATCH, len(geoms))) for a in range(0, len(geoms), _BATCH))


def _update_column(h, name: str, values: pd.Series) -> None:
    """Feed one attribute column to the hash: its name, Arrow type, nulls and values.

    Columns become Arrow arrays (texts without a Python call per cell: 10⁵ rows in a few ms, where
    pandas' row hash of object columns takes a quarter of a second); cells Arrow cannot type
    (lists, mixed objects) are hashed by their ``repr``.
    """
    arr = _arrow(values)
    h.update(f"{name}\x00{arr.type}\x00{len(arr)}".encode())
    h.update(np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool).tobytes())
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
        offsets = np.frombuffer(arr.buffers()[1], dtype=width)[
            arr.offset : arr.offset + len(arr) + 1
        ]
        data = arr.buffers()[2]
        h.update(np.diff(offsets).astype("<i8").tobytes())
        if data is not None and len(offsets):
            h.update(memoryview(data)[int(offsets[0]) : int(offsets[-1])])
    elif not pa.types.is_null(arr.type):
        filled = arr.fill_null(False if pa.types.is_boolean(arr.type) else 0)
        h.update(np.ascontiguousarray(filled.to_numpy(zero_copy_only=False)).tobytes())


_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError)


def _arrow(values: pd.Series) -> pa.Array:
    """The column as an Arrow array of texts, numbers, booleans or nulls."""
    try:
        arr = pa.array(values, from_pandas=True)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        t = arr.type
        if not any(
            f(t)
            for f in (
                pa.types.is_string,
                pa.types.is_large_string,
                pa.types.is_integer,
                pa.types.is_floating,
                pa.types.is_boolean,
                pa.types.is_null,
            )
        ):
            arr = arr.cast(pa.string())  # dates, times, decimals: their text
        return arr
    except _ERRORS:
        return pa.array(values.map(repr).astype(object), type=pa.string())


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def rules_file_record(source: str, version: str) -> dict[str, Any]:
    """The rule file a review used: its source, version and SHA-256 (of the packaged default, or
    of the user's file as it is now on disk)."""
    if source == "default":
        data = resources.files("townplan_gis.data").joinpath("rules/default.toml").read_bytes()
        return {
            "rules": "default (townplan_gis/data/rules/default.toml)",
            "version": version,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    path = Path(source)
    return {
        "rules": str(path),
        "version": version,
        "sha256": file_sha256(path) if path.is_file() else None,
    }


def hash_layers(layers: Mapping[str, gpd.GeoDataFrame]) -> Future[list[dict[str, Any]]]:
    """The :func:`layer_sha256` of each layer, taken in a thread of its own.

    Returns
    -------
    concurrent.futures.Future
        Of a list of ``{"layer", "features", "sha256"}`` records, in the order of ``layers``.
        The thread ends with the work; nothing waits for it until its result is asked for.
    """
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(
            lambda: [
                {"layer": name, "features": len(gdf), "sha256": layer_sha256(gdf)}
                for name, gdf in layers.items()
            ]
        )
    finally:
        pool.shutdown(wait=False)


def review_evidence(
    sources: list[dict[str, Any]],
    *,
    rules: Rules,
    crs: str,
    coverage: dict[str, Any],
    status: Mapping[str, str],
    counts: pd.Series,
) -> dict[str, Any]:
    """:attr:`Review.evidence <townplan_gis.fiveline.result.Review.evidence>`: what a review rests
    on.

    Parameters
    ----------
    sources : list of dict
        The inputs' records (:func:`hash_layers`).
    rules : Rules
        The rules in force (tolerance, search distance, rule file).
    crs : str
        The analysis CRS as text (``EPSG:4546``).
    coverage : dict
        What the line data covers (:func:`~townplan_gis.fiveline.coverage.resolve_coverage`).
    status : mapping
        Per line type: ``checked``, ``declared_absent`` or ``not_in_data``.
    counts : pandas.Series
        Control-line features per line type.
    """
    return {
        "generated": now_iso(),
        "townplan_gis_version": __version__,
        "analysis_crs": crs,
        "tolerance": dict(rules.tolerance),
        "nearest_search_m": float(rules.checks["nearest_search_m"]),
        "sources": sources,
        "coverage": coverage,
        "files": [rules_file_record(rules.source, rules.version)],
        "line_types": {
            t: {"status": status[t], "features": int(counts.get(t, 0))} for t in LINE_TYPES
        },
    }
