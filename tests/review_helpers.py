"""A grid county for review tests: parcels on a grid under overlapping discs of every line type."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 3_850_000.0


def grid_county(n: int = 600, seed: int = 5):
    """``n`` 20 m parcels (building, road, park) on a 30 m grid under ``n // 5`` overlapping discs
    15–60 m across of the five line types, each with a code."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i, j = np.divmod(np.arange(n), side)
    x, y = X0 + j * 30.0, Y0 + i * 30.0
    projects = gpd.GeoDataFrame(
        {
            "project_id": [f"P{k}" for k in range(n)],
            "project_type": rng.choice(["building", "road", "park"], n),
        },
        geometry=shapely.box(x, y, x + 20, y + 20),
        crs=CRS,
    )
    m = n // 5
    cx, cy = X0 + rng.uniform(0, side * 30, m), Y0 + rng.uniform(0, side * 30, m)
    discs = shapely.buffer(shapely.points(cx, cy), rng.uniform(15, 60, m), quad_segs=5)
    lines = gpd.GeoDataFrame(
        {
            "line_type": rng.choice(["red", "green", "purple", "blue", "yellow"], m),
            "code": [f"L{k}" for k in range(m)],
        },
        geometry=discs,
        crs=CRS,
    )
    return projects, lines
