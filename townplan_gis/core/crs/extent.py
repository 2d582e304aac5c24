"""Extents and how the CRS messages write them: boxes of longitude/latitude, numbers, CRS names."""

from __future__ import annotations

import numpy as np
import pyproj

__all__ = ["CHINA_BOX", "WORLD", "crs_label", "inside", "num_text", "span_text"]

# Mainland China's extent, generous; used to pick Gauss-Krüger over UTM.
CHINA_BOX = (73.0, 18.0, 135.5, 54.0)
WORLD = (-180.0, -90.0, 180.0, 90.0)


def inside(b, box) -> np.ndarray:
    """Whether bounds ``b`` (xmin, ymin, xmax, ymax; one row or many) lie within ``box``."""
    b = np.asarray(b, dtype=float)
    return (
        (b[..., 0] >= box[0])
        & (b[..., 1] >= box[1])
        & (b[..., 2] <= box[2])
        & (b[..., 3] <= box[3])
    )


def num_text(v: float) -> str:
    v = float(v)
    if abs(v) >= 1e9:
        return f"{v:.3g}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.6g}"


def span_text(lo: float, hi: float) -> str:
    return num_text(lo) if num_text(lo) == num_text(hi) else f"{num_text(lo)} to {num_text(hi)}"


def crs_label(crs: pyproj.CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else f"'{crs.name}'"
