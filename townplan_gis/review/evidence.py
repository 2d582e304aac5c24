"""The record a review rests on: content hashes of its inputs and of its rule file.

A review opinion is only worth the data behind it. :attr:`Review.evidence
<townplan_gis.review.result.Review.evidence>` names every input with its feature count and a
SHA-256 content hash, so an archived opinion can be tied to the exact layers and rules it was made
with, and a rerun on the same inputs can be shown to have used the same data.

The hash of a layer covers, in order: its column names and dtypes, each row's index label and
attributes (pandas' fixed-key row hash, :func:`pandas.util.hash_pandas_object`), and each
geometry's WKB (ISO, little-endian, with Z where present; null as an empty record). It is stable
across runs and machines for the same data; any change of a coordinate, attribute or row order
changes it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["file_sha256", "layer_sha256", "now_iso", "rules_file_record"]


def now_iso() -> str:
    """The local time as ISO 8601 with its UTC offset, to the second."""
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


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
    attrs = pd.DataFrame(gdf.drop(columns=geom))
    h.update(repr([(str(c), str(t)) for c, t in attrs.dtypes.items()]).encode())
    try:
        rows = pd.util.hash_pandas_object(attrs, index=True)
    except TypeError:  # lists or dicts in cells: hashed by their text
        text = {c: attrs[c].map(repr) for c in attrs.columns if attrs[c].dtype == object}
        rows = pd.util.hash_pandas_object(attrs.assign(**text), index=True)
    h.update(np.ascontiguousarray(rows.to_numpy(dtype=np.uint64)).tobytes())
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    wkb = shapely.to_wkb(geoms, byte_order=1, flavor="iso", include_srid=False)
    wkb = np.where(shapely.is_missing(geoms), b"", wkb)
    # Length-prefixed, so that no two different lists of records give the same byte stream.
    sizes = np.array([len(w) for w in wkb], dtype="<u8")
    h.update(sizes.tobytes())
    h.update(b"".join(wkb.tolist()))
    return h.hexdigest()


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
