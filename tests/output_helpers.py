"""A town whose projects carry every hostile id and name the output writers must survive: formula-like
texts, a control character, ids that clash once made file-safe, a 300-character Chinese id and a
repeated id."""

from __future__ import annotations

import geopandas as gpd
from report_helpers import CRS, sq, tiny_town

import townplan_gis as tp

LONG_ID = "蒲州镇黄河湿地公园游客服务中心" * 20  # 300 characters, 900 UTF-8 bytes
HYPERLINK = '=HYPERLINK("http://x","y")'

# (project_id, name, project_type, square (x, y, size) in metres from the tiny town's origin)
PROJECTS = [
    ("=1+1", HYPERLINK, "building", (650, 650, 100)),  # inside the blue line: reject
    ("-5", "-5", "greening", (0, 300, 50)),
    ("A/1", "泵站\x07一号", "building", (300, 480, 10)),  # inside the red line: review
    ("A_1", "泵站二号", "greening", (100, 100, 20)),
    ("A:1", "泵站三号", "greening", (140, 100, 20)),
    (LONG_ID, "长编号项目", "greening", (180, 100, 20)),
    ("P7", "同号甲", "building", (310, 482, 5)),  # same id twice, both in the red line
    ("P7", "同号乙", "greening", (900, 100, 20)),  # and the other one clear
]


def hostile_town() -> tp.Town:
    town = tiny_town()
    projects = gpd.GeoDataFrame(
        {
            "project_id": [p[0] for p in PROJECTS],
            "name": [p[1] for p in PROJECTS],
            "project_type": [p[2] for p in PROJECTS],
            "investment_wan_yuan": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
            # A column outside the schema: its -5 must stay a number in the outputs.
            "balance_wan_yuan": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        },
        geometry=[sq(*p[3]) for p in PROJECTS],
        crs=CRS,
    )
    return town.with_layer("projects", projects)
