"""Tiny hand-made inputs for the deliverable tests: a town, a scorecard and a Review per the contracts,
with hostile strings in user fields to prove escaping, and a small HTML parser (no lxml needed)."""

from __future__ import annotations

import html as _html
from html.parser import HTMLParser
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, box

import townplan_gis as tp

CRS = "EPSG:4546"
X0, Y0 = 438_000.0, 3_856_000.0
EVIL = '<script>alert("x")</script>&'


def sq(x, y, size=100.0):
    return box(X0 + x, Y0 + y, X0 + x + size, Y0 + y + size)


def tiny_town() -> tp.Town:
    g = lambda rows, geoms: gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)  # noqa: E731
    return tp.Town(
        "测试镇" + EVIL,
        layers={
            # boundary 2 km × 2 km = 4 km²; built-up 1 km × 1 km = 1 km²
            "boundary": g({"name": ["镇域"]}, [sq(-500, -500, 2000)]),
            "builtup": g({"name": ["建成区"]}, [sq(0, 0, 1000)]),
            "roads": g(
                # Chinese column names: read through the alias table, recorded as a repair
                {"道路等级": ["arterial"], "名称": ["西厢大街"], "红线宽度": [24.0]},
                [LineString([(X0, Y0 + 500), (X0 + 1000, Y0 + 500)])],
            ),
            "control_lines": g(
                {"line_type": ["red", "blue"], "name": ["西厢大街红线", "河道蓝线" + EVIL]},
                [sq(0, 488, 1000), sq(600, 600, 200)],
            ),
            "projects": g(
                {
                    "project_id": ["P1", "P2", "P3"],
                    "name": ["游客中心" + EVIL, "绿化", "路灯"],
                    "project_type": ["building", "greening", "lighting"],
                    "investment_wan_yuan": [850.0, 120.0, 238.0],
                },
                [sq(650, 650, 100), sq(0, 300, 50), sq(300, 480, 10)],
            ),
        },
        population=10_000,
        statistics={"water_supply_coverage_pct": 96.5},
        crs=CRS,
        metadata={"source": "hand-made test town " + EVIL, "illustrative": True},
    )


def scorecard() -> pd.DataFrame:
    """A scorecard per the issue-3 contract, values chosen by hand (one of each status)."""
    return pd.DataFrame(
        {
            "key": ["built_up_area_km2", "green_coverage_pct", "park_count", "gas_coverage_pct"],
            "name_zh": ["建成区面积", "绿化覆盖率", "公园数量" + EVIL, "燃气普及率"],
            "name_en": ["Built-up area", "Green coverage", "Parks", "Gas coverage"],
            "value": [1.0, 15.123, 3.0, np.nan],
            "target": [2.0, 30.0, 1.0, 60.0],
            "comparator": [">=", ">=", ">=", ">="],
            "status": ["fail", "fail", "pass", "not_evaluable"],
            "gap": [-1.0, -14.877, 2.0, np.nan],
            "unit": ["km2", "%", "count", "%"],
            "source": ["鄂州 2017", "鄂州 2017", "鄂州 2017", "渭城 2017"],
            "note": ["", "", "", "not reported"],
        }
    )


def fake_review(town: tp.Town | None = None):
    """A Review per the contract for tiny_town's projects: P1 rejected (inside the blue line: the
    100 m × 100 m project lies wholly in the 200 m × 200 m blue polygon → 10,000 m² = 15 亩, 100 %
    of the project, 25 % of the line), P3 needs review (10 m × 10 m inside the red line → 100 m²),
    P2 passes with an ignored 0.5 m² sliver."""
    town = town or tiny_town()
    p = town.projects
    conflicts = gpd.GeoDataFrame(
        {
            "project_id": ["P1", "P3", "P2"],
            "project_name": [p.loc[0, "name"], "路灯", "绿化"],
            "project_type": ["building", "lighting", "greening"],
            "line_type": ["blue", "red", "red"],
            "line_id": ["1", "0", "0"],
            "line_name": ["河道蓝线" + EVIL, "西厢大街红线", "西厢大街红线"],
            "zone": [None, None, None],
            "overlap_area_m2": [10_000.0, 100.0, 0.5],
            "overlap_area_mu": [15.0, 0.15, 0.00075],
            "overlap_length_m": [0.0, 0.0, 0.0],
            "pct_of_project": [100.0, 100.0, 0.02],
            "pct_of_line": [25.0, 0.42, 0.002],
            "distance_m": [0.0, 0.0, 0.0],
            "grade": ["forbidden", "review", "review"],
            "clause": [
                "《城市蓝线管理办法》第十条",
                "《城市道路管理条例》第二十九条",
                "《城市道路管理条例》第二十九条",
            ],
            "procedure": [
                "不得占用水域",
                "报市政工程行政主管部门审批",
                "报市政工程行政主管部门审批",
            ],
            "check": ["overlap", "overlap", "overlap"],
            "ignored": [False, False, True],
            "reason": ["inside blue", "inside red", "sliver < 1 m²"],
        },
        geometry=[sq(650, 650, 100), sq(300, 480, 10), sq(0, 300, 0.7)],
        crs=CRS,
    )
    projects = gpd.GeoDataFrame(
        {
            "project_id": ["P1", "P2", "P3"],
            "project_name": list(p["name"]),
            "project_type": list(p["project_type"]),
            "verdict": ["reject", "pass", "review"],
            "worst_grade": ["forbidden", "review", "review"],
            "n_conflicts": [1, 0, 1],
            "n_ignored": [0, 1, 0],
            "reason": [
                "forbidden: inside blue",
                "no conflict (slivers ignored)",
                "review: inside red",
            ],
            "red_overlap_m2": [0.0, 0.0, 100.0],
            "green_overlap_m2": [0.0, 0.0, 0.0],
            "purple_overlap_m2": [0.0, 0.0, 0.0],
            "blue_overlap_m2": [10_000.0, 0.0, 0.0],
            "yellow_overlap_m2": [0.0, 0.0, 0.0],
        },
        geometry=list(p.geometry),
        crs=CRS,
    )
    settings = {
        "crs": CRS,
        "tolerance": {"min_area_m2": 1.0},
        "rules": "default",
        "rules_version": "test",
        "townplan_gis_version": tp.__version__,
    }

    def for_project(pid):
        return conflicts[conflicts["project_id"] == str(pid)]

    return SimpleNamespace(
        conflicts=conflicts,
        projects=projects,
        summary=pd.DataFrame(),
        settings=settings,
        for_project=for_project,
    )


class Page(HTMLParser):
    """Collects every tag with its attributes, and the text of each element with an id."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.rows: list[
            dict
        ] = []  # <tr> with data-key: {"key", cells: {field: (text, data-value)}}
        self._cell = None
        self._row = None
        self._table = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table":
            self._table = a.get("class")
        if tag == "tr" and "data-key" in a:
            self._row = {"key": a["data-key"], "table": self._table, "cells": {}}
            self.rows.append(self._row)
        if tag == "td" and self._row is not None and "data-field" in a:
            self._cell = [a["data-field"], "", a.get("data-value", "")]

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            field, text, raw = self._cell
            self._row["cells"][field] = (text.strip(), raw)
            self._cell = None
        if tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data

    def table(self, cls: str) -> list[dict]:
        return [r for r in self.rows if r["table"] == cls]

    def attrs(self, tag: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag]


def unescape(s: str) -> str:
    return _html.unescape(s)
