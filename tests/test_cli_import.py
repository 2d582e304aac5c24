"""The imports from the command line (issue #15): ``townplan import-osm`` and ``townplan review`` of
CAD drawings, end to end through a subprocess as a user runs them.

The OSM extract is tests/osm_helpers.py's test town; the drawing is tests/test_io_dxf.py's (see its
``draw`` docstring for every area). Expected numbers are computed independently here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import ezdxf
import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from ezdxf import path as dxfpath
from osm_helpers import BOUNDS, rect, town_extract
from test_io_dxf import COVERAGE, CRS, draw

import townplan_gis as tp

REGION = shapely.intersection(shapely.box(110.301, 34.8005, 110.332, 34.8195), shapely.box(*BOUNDS))
BUILTUP_LONLAT = shapely.Polygon(rect(110.303, 34.803, 110.3265, 34.8175))


def cli(*args: str | Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TOWNPLAN_PROGRESS": "0"}
    return subprocess.run(
        [sys.executable, "-m", "townplan_gis.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_the_top_level_api_exports_the_imports():
    for name in ("read_osm", "read_dxf_lines", "read_dxf_projects", "write_conflicts_dxf"):
        assert callable(getattr(tp, name)) and name in tp.__all__


def test_import_osm_gives_a_town_whose_road_density_is_the_independent_one(tmp_path):
    b, _ = town_extract()
    osm = b.write(tmp_path / "town.osm")
    builtup = tmp_path / "builtup.geojson"
    gpd.GeoDataFrame(geometry=[BUILTUP_LONLAT], crs="EPSG:4326").to_file(builtup)
    out = tmp_path / "town.gpkg"
    proc = cli("import-osm", osm, "--boundary", "蒲州镇", "--builtup", builtup, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "written:" in proc.stdout and "osm_mapped" in proc.stdout
    town = tp.read_town(out)
    # Independent: the highways the mapping keeps, straight from the XML; union, clip, divide.
    root = ET.parse(osm).getroot()
    nodes = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    kept = {"primary", "secondary", "tertiary", "residential", "unclassified", "living_street",
            "service", "trunk_link", "motorway"}  # fmt: skip
    lines = []
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if tags.get("highway") in kept and tags.get("service") != "parking_aisle":
            lines.append(shapely.LineString([nodes[nd.get("ref")] for nd in way.iter("nd")]))
    to_m = pyproj.Transformer.from_crs("EPSG:4326", town.crs, always_xy=True)

    def metric(g):
        return shapely.transform(g, lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1])))

    clipped = metric(shapely.intersection(np.array(lines, dtype=object), REGION))
    bu = metric(BUILTUP_LONLAT)
    expected = (shapely.intersection(shapely.union_all(clipped), bu).length / 1000) / (
        bu.area / 1e6
    )
    got = tp.town_indicators(town).set_index("key").loc["road_network_density_km_per_km2", "value"]
    assert got == pytest.approx(expected, rel=1e-9) and 1 < expected < 30
    # Every kept road's mapping is recorded in the town written, each row once.
    rep = town.repairs
    mapped = rep[(rep["layer"] == "roads") & (rep["action"] == "osm_mapped")]
    assert sorted(r for rows in mapped["rows"] for r in rows) == list(town.roads.index)
    assert {"osm_source", "osm_counts"} <= set(rep["action"])


@pytest.fixture()
def cad_town(tmp_path):
    """A town that is only its boundary (the review's coverage), with the three line types the
    drawing does not have declared absent; the drawing brings the red and blue lines and projects."""
    town = tp.Town(
        "图纸镇",
        layers={"boundary": gpd.GeoDataFrame({"name": ["镇域"]}, geometry=[COVERAGE], crs=CRS)},
        absent_line_types=["green", "purple", "yellow"],
    )
    path = tmp_path / "town.gpkg"
    tp.write_town(town, path)
    return path


def test_a_drawing_reviews_end_to_end_and_the_conflicts_go_back_to_dxf(tmp_path, cad_town):
    plan = draw(tmp_path / "plan.dxf")
    out_dxf = tmp_path / "conflicts.dxf"
    proc = cli(
        "review", cad_town, "--projects", plan, "--project-type", "住宅", "--lines", plan,
        "--crs", "EPSG:4546", "--dxf", out_dxf, "--out", tmp_path / "out", "--format", "json",
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr  # P-01 is rejected
    payload = json.loads(proc.stdout)
    verdicts = {p["project_id"]: p["verdict"] for p in payload["projects"]}
    assert verdicts == {"P-01": "reject", "P-02": "pass"}
    assert payload["evidence"]["families"]["selected"] == ["five"]
    assert payload["evidence"]["line_types"]["farmland"]["status"] == "not_selected"
    # P-01 (x 20…80, y 10…110) on the road (y 0…24): 60 × 14 = 840 m²; in the river rectangle
    # (y 100…160, its island x 40…60, y 120…140 clear of the project): 60 × 10 = 600 m².
    doc = ezdxf.readfile(out_dxf)
    assert doc.dxfversion >= "AC1024"
    layers = {layer.dxf.name for layer in doc.layers}
    assert {"冲突-红线-禁止", "冲突-蓝线-禁止", "项目-不予通过", "项目-通过"} <= layers
    hatch = {}
    for h in doc.modelspace().query("HATCH"):
        rings = [
            shapely.Polygon([(v.x, v.y) for v in p.flattening(0.01)]) for p in dxfpath.from_hatch(h)
        ]
        area = rings[0].area - sum(r.area for r in rings[1:])
        hatch[h.dxf.layer] = hatch.get(h.dxf.layer, 0.0) + area
    assert hatch == pytest.approx({"冲突-红线-禁止": 840.0, "冲突-蓝线-禁止": 600.0})
    outlines = {
        e.dxf.layer: shapely.Polygon(list(e.get_points("xy"))).area
        for e in doc.modelspace().query("LWPOLYLINE")
        if e.dxf.layer.startswith("项目")
    }
    assert outlines == pytest.approx({"项目-不予通过": 6000.0, "项目-通过": 400.0})


def test_families_from_the_command_line(tmp_path, cad_town):
    plan = draw(tmp_path / "plan.dxf")
    proc = cli(
        "review", cad_town, "--projects", plan, "--project-type", "住宅", "--lines", plan,
        "--crs", "EPSG:4546", "--families", "five,three", "--out", tmp_path / "out",
    )  # fmt: skip
    # The three lines were asked for and the drawing has none: nothing can pass, and it says so.
    assert proc.returncode == 3, proc.stderr
    assert "families: checked five, three" in proc.stdout
    assert "eco_redline, farmland, dev_boundary" in proc.stdout
