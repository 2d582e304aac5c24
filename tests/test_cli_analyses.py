"""CLI of the planning analyses through a subprocess, as a user runs them: ``townplan check-lines``,
``townplan buildable``, ``townplan find-sites`` (exit codes, printed findings, --out files)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, box
from test_bad_input import assert_exit2, run_cli

import townplan_gis as tp

PUZHOU = tp.sample_path("puzhou.gpkg")
CRS = "EPSG:4546"
X0, Y0 = 437_000, 3_855_000


def at(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _lines_file(tmp_path: Path, name: str, types: list[str], geoms: list) -> Path:
    path = tmp_path / name
    frame = gpd.GeoDataFrame(
        {"line_type": types, "code": [f"L{i}" for i in range(len(types))]},
        geometry=geoms,
        crs=CRS,
    )
    frame.to_file(path)
    return path


# --- check-lines --------------------------------------------------------------------------------


def test_check_lines_on_the_sample_town_shows_its_three_planted_conflicts(tmp_path):
    out = tmp_path / "patches.gpkg"
    proc = run_cli("check-lines", PUZHOU, "--out", out)
    assert proc.returncode == 3, proc.stderr  # a conflict is a finding, not a crash (1)
    assert "patches: conflict 3, check 5, notice" in proc.stdout
    for code in ("HX-11", "ZX-1-1", "HUX-04", "LAN-02", "HUX-02"):
        assert code in proc.stdout
    patches = gpd.read_file(out, layer="patches")
    assert (patches["severity"] == "conflict").sum() == 3
    assert patches["patch_id"].iloc[0] == "TB-0001" and patches.crs == CRS
    # TB-0003: the sewage station's yellow line in the canal's blue line, by the same area as the API
    api = tp.check_lines(tp.sample_town()).patches.set_index("patch_id")
    mine = patches.set_index("patch_id")
    assert mine.loc["TB-0003", "area_m2"] == pytest.approx(api.loc["TB-0003", "area_m2"])
    assert mine.geometry.area.sum() == pytest.approx(api.geometry.area.sum(), rel=1e-9)


def test_check_lines_of_a_lines_file_clean_and_conflicting(tmp_path):
    clean = _lines_file(
        tmp_path, "clean.geojson", ["blue", "yellow"], [at(0, 0, 100, 50), at(200, 0, 250, 50)]
    )
    proc = run_cli("check-lines", clean)
    assert proc.returncode == 0, proc.stderr
    assert (
        "2 line features checked" in proc.stdout and "conflict 0, check 0, notice 0" in proc.stdout
    )
    # blue ∩ yellow is a conflict: 20 m × 50 m = 1,000 m² = 1.5 亩
    bad = _lines_file(
        tmp_path, "bad.geojson", ["blue", "yellow"], [at(0, 0, 100, 50), at(80, 0, 130, 50)]
    )
    out = tmp_path / "patches.csv"
    proc = run_cli("check-lines", bad, "--out", out)
    assert proc.returncode == 3, proc.stderr
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table[["kind", "severity", "code_a", "code_b"]].values.tolist() == [
        ["overlap", "conflict", "L0", "L1"]
    ]
    assert table["area_m2"].iloc[0] == pytest.approx(1000.0)
    assert table["area_mu"].iloc[0] == pytest.approx(1.5)
    xlsx = tmp_path / "patches.xlsx"
    assert run_cli("check-lines", bad, "--out", xlsx).returncode == 3
    book = openpyxl.load_workbook(xlsx, read_only=True)
    assert book.sheetnames == ["patches", "summary", "pairs", "lines"]


def test_check_lines_bad_input_is_one_line_exit_2(tmp_path):
    no_type = tmp_path / "no_type.geojson"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[at(0, 0, 10, 10)], crs=CRS).to_file(no_type)
    assert_exit2(run_cli("check-lines", no_type), "line_type")
    lines = _lines_file(tmp_path, "l.geojson", ["blue"], [at(0, 0, 10, 10)])
    assert_exit2(run_cli("check-lines", lines, "--out", tmp_path / "x.txt"), "--out", ".gpkg")
    assert_exit2(run_cli("check-lines", lines, "--out", lines), "--out")
    empty = tmp_path / "empty.gpkg"
    gpd.read_file(lines).iloc[:0].to_file(empty, layer="lines")
    assert_exit2(run_cli("check-lines", empty), "no control-line features", "no pass")


# --- buildable ----------------------------------------------------------------------------------


def test_buildable_hand_computed_parcels(tmp_path):
    """A town with one main road (red line 30 m, y -20 … 10) and one parcel beside it (100 × 50 m):
    the road takes 1,000 m², the relaxed 8 m band 800 m², the strict 12 m band 1,200 m²."""
    town = tp.Town(
        "t",
        layers={
            "control_lines": gpd.GeoDataFrame(
                {"line_type": ["red"], "road_class": ["arterial"]},
                geometry=[at(0, -20, 100, 10)],
                crs=CRS,
            )
        },
    )
    tp.write_town(town, tmp_path / "t.gpkg")
    parcels = tmp_path / "parcels.geojson"
    gpd.GeoDataFrame(
        {"地块编号": ["A", "B"]}, geometry=[at(0, 0, 100, 50), at(0, 100, 5, 200)], crs=CRS
    ).to_file(parcels)
    out = tmp_path / "b.gpkg"
    proc = run_cli("buildable", parcels, "--town", tmp_path / "t.gpkg", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "parcels with usable land 1, without 1" in proc.stdout
    relaxed = gpd.read_file(out, layer="buildable").set_index("地块编号")
    assert relaxed.loc["A", "taken_red_m2"] == pytest.approx(1000.0)
    assert relaxed.loc["A", "buildable_m2"] == pytest.approx(3200.0)
    assert relaxed.loc["A", "geometry"].area == pytest.approx(3200.0)
    assert not relaxed.loc["B", "buildable"]  # 5 m wide: buildable land, but no 10 m square fits
    assert relaxed.loc["B", "buildable_m2"] == pytest.approx(500.0)
    strict = gpd.read_file(out, layer="buildable_strict").set_index("地块编号")
    assert strict.loc["A", "geometry"].area == pytest.approx(2800.0)


def test_buildable_bad_input_is_one_line_exit_2(tmp_path):
    town = tp.sample_town()
    lines = tmp_path / "lines.geojson"
    gpd.GeoDataFrame(geometry=[LineString([(X0, Y0), (X0 + 10, Y0)])], crs=CRS).to_file(lines)
    assert_exit2(run_cli("buildable", lines, "--town", PUZHOU), "not polygons")
    bare = tp.Town("bare", layers={"boundary": town.boundary})
    tp.write_town(bare, tmp_path / "bare.gpkg")
    parcels = tmp_path / "p.geojson"
    gpd.GeoDataFrame(geometry=[at(0, 0, 10, 10)], crs=CRS).to_file(parcels)
    assert_exit2(run_cli("buildable", parcels, "--town", tmp_path / "bare.gpkg"), "control_lines")


# --- find-sites ---------------------------------------------------------------------------------


def test_find_sites_on_the_sample_town(tmp_path):
    out = tmp_path / "sites.gpkg"
    proc = run_cli(
        "find-sites", PUZHOU, "--area-m2", "20000", "--project-type", "building", "--n", "3",
        "--near", "school", "--out", out,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "3 site(s) chosen" in proc.stdout and "选址 summary" in proc.stdout
    sites = gpd.read_file(out, layer="sites")
    assert len(sites) == 3 and sites["rank"].tolist() == [1, 2, 3]
    assert sites.area.to_numpy() == pytest.approx([20_000.0] * 3)
    lines = tp.sample_town().control_lines
    forbidden = lines[lines["line_type"].isin(["red", "blue", "yellow", "green"])]
    assert not sites.intersects(forbidden.union_all()).any()
    assert (sites["verdict"] == "pass").all()


def test_find_sites_without_a_fit_exits_3_and_lists_constraints():
    proc = run_cli("find-sites", PUZHOU, "--area-m2", "5000000", "--project-type", "building")
    assert proc.returncode == 3, proc.stderr
    assert "no site of that size fits" in proc.stdout and "purple_core" in proc.stdout


def test_find_sites_bad_input_is_one_line_exit_2():
    assert_exit2(
        run_cli("find-sites", PUZHOU, "--area-m2", "-5", "--project-type", "building"), "area_m2"
    )
    assert_exit2(
        run_cli("find-sites", PUZHOU, "--area-m2", "5000", "--project-type", "bulding"),
        "project_type",
        "building",
    )
    assert_exit2(run_cli("find-sites", PUZHOU, "--area-m2", "5000"), "--project-type")


def test_help_documents_the_exit_codes():
    for command, needle in (
        ("check-lines", "3 at least one patch graded conflict"),
        ("buildable", "0 computed"),
        ("find-sites", "3 no site of that size fits"),
    ):
        proc = run_cli(command, "--help")
        assert proc.returncode == 0
        text = " ".join(proc.stdout.split())
        assert "Exit codes:" in text and needle in text and "2 bad input" in text


def test_gpkg_layer_written_is_readable_by_gdal(tmp_path):
    out = tmp_path / "p.gpkg"
    run_cli("check-lines", PUZHOU, "--out", out)
    assert pyogrio.list_layers(out)[:, 0].tolist() == ["patches"]
