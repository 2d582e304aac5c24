"""Tiny towns and a fake Review (per the Review contract) for the map tests."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box

import townplan_gis as tp

CRS = "EPSG:4546"  # CGCS2000 3-degree GK CM 111E, Puzhou's zone
X0, Y0 = 438_000.0, 3_856_000.0  # about 110.32 E, 34.83 N


def sq(x, y, size=100.0) -> Polygon:
    return box(X0 + x, Y0 + y, X0 + x + size, Y0 + y + size)


def tiny_town(name_extra: str = "") -> tp.Town:
    """A town with one or two features of most kinds; names can carry hostile strings."""
    g = lambda rows, geoms: gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)  # noqa: E731
    layers = {
        "boundary": g({"name": ["镇域"]}, [sq(-500, -500, 2000)]),
        "builtup": g({"name": ["建成区"]}, [sq(0, 0, 1000)]),
        "roads": g(
            {
                "road_class": ["arterial", "lane"],
                "name": ["西厢大街" + name_extra, "小巷"],
                "redline_width_m": [24.0, None],
            },
            [
                LineString([(X0, Y0 + 500), (X0 + 1000, Y0 + 500)]),
                LineString([(X0 + 500, Y0), (X0 + 500, Y0 + 1000)]),
            ],
        ),
        "green": g({"green_class": ["G1"], "name": ["游园"]}, [sq(100, 100)]),
        "water": g({"name": ["涑水河"]}, [sq(800, 800, 150)]),
        "facilities": g(
            {"facility_type": ["market", "public_toilet"], "name": ["集市" + name_extra, "公厕"]},
            [Point(X0 + 300, Y0 + 300), Point(X0 + 320, Y0 + 600)],
        ),
        "streetlights": g(
            {"kind": ["solar"] * 3}, [Point(X0 + 100 * i, Y0 + 510) for i in (1, 2, 3)]
        ),
        "control_lines": g(
            {
                "line_type": ["red", "green", "purple", "purple", "blue", "yellow"],
                "zone": [None, None, "core", "control", None, None],
                "name": ["红线" + name_extra, "绿线", "普救寺核心", "普救寺控制", "蓝线", "黄线"],
            },
            [
                sq(0, 488, 1000).intersection(box(X0, Y0 + 488, X0 + 1000, Y0 + 512)),
                sq(100, 100),
                sq(600, 100),
                sq(570, 70, 160).difference(sq(600, 100)),
                sq(800, 800, 150),
                sq(900, 100, 50),
            ],
        ),
        "projects": g(
            {
                "project_id": ["P1", "P2", "P3"],
                "name": ["游客中心" + name_extra, "路灯工程", "空项目"],
                "project_type": ["building", "lighting", "building"],
            },
            [
                sq(590, 90, 30),
                MultiPoint([(X0 + 150, Y0 + 505), (X0 + 250, Y0 + 505)]),
                Polygon(),
            ],
        ),
    }
    return tp.Town("测试镇" + name_extra, layers=layers, population=1000, allow_empty=True)


def fake_review(town: tp.Town, *, name_extra: str = "") -> SimpleNamespace:
    """A Review-shaped object: one forbidden overlap of P1 with the purple core zone."""
    projects = town.projects
    lines = town.control_lines
    overlap = shapely.intersection(projects.geometry.iloc[0], lines.geometry.iloc[2])
    conflicts = gpd.GeoDataFrame(
        {
            "project_id": ["P1"],
            "project_name": ["游客中心" + name_extra],
            "project_type": ["building"],
            "line_type": ["purple"],
            "line_id": ["2"],
            "line_name": ["普救寺核心"],
            "zone": ["core"],
            "overlap_area_m2": [overlap.area],
            "overlap_area_mu": [overlap.area * 15 / 10000],
            "overlap_length_m": [np.nan],
            "pct_of_project": [100 * overlap.area / projects.geometry.iloc[0].area],
            "pct_of_line": [100 * overlap.area / lines.geometry.iloc[2].area],
            "distance_m": [0.0],
            "grade": ["forbidden"],
            "clause": ["城市紫线管理办法 第十三条" + name_extra],
            "procedure": ["不予许可"],
            "ignored": [False],
            "reason": [None],
        },
        geometry=[overlap],
        crs=town.crs,
    )
    verdicts = gpd.GeoDataFrame(
        {
            "project_id": ["P1", "P2", "P3"],
            "project_name": list(projects["name"]),
            "project_type": list(projects["project_type"]),
            "verdict": ["reject", "pass", "invalid"],
            "worst_grade": ["forbidden", None, None],
            "n_conflicts": [1, 0, 0],
            "reason": [None, None, "empty geometry"],
            **{f"{t}_overlap_m2": [0.0, 0.0, 0.0] for t in ("red", "green", "blue", "yellow")},
            "purple_overlap_m2": [overlap.area, 0.0, 0.0],
        },
        geometry=projects.geometry.values,
        index=projects.index,
        crs=town.crs,
    )
    return SimpleNamespace(conflicts=conflicts, projects=verdicts, summary=None, settings={})


def expected_paths(*frames: gpd.GeoDataFrame) -> int:
    """Leaflet paths drawn: one per non-empty feature, one per point of a MultiPoint."""
    total = 0
    for gdf in frames:
        geoms = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
        multi = geoms.geom_type == "MultiPoint"
        total += int((~multi).sum()) + int(shapely.get_num_geometries(geoms[multi].array).sum())
    return total
