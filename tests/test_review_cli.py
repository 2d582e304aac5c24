"""``townplan review``: outputs, exit codes 0 / 3 / 4 / 2, and the Puzhou sample's verdict coverage."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from review_helpers import grid_county
from shapely.geometry import box

import townplan_gis as tp
from townplan_gis.cli import main
from townplan_gis.cli import review as review_cli
from townplan_gis.fiveline import engine as engine_module

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 3_850_000.0


def _town(tmp_path, project_types):
    lines = gpd.GeoDataFrame(
        {"line_type": ["绿线"], "name": ["滨河公园"]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100)],
        crs=CRS,
    )
    projects = gpd.GeoDataFrame(
        {
            "project_id": [f"P{i}" for i in range(len(project_types))],
            "name": "项目",
            "project_type": project_types,
        },
        geometry=[box(X0 + 10 * i, Y0, X0 + 10 * i + 5, Y0 + 5) for i in range(len(project_types))],
        crs=CRS,
    )
    path = tmp_path / "town.gpkg"
    # Green lines only: the other four types declared absent, so the projects can be checked.
    tp.write_town(
        tp.Town(
            "测试镇",
            layers={"control_lines": lines, "projects": projects},
            absent_line_types=["red", "purple", "blue", "yellow"],
        ),
        path,
    )
    return path


def test_review_writes_outputs_and_exits_3_on_reject(tmp_path, capsys):
    path = _town(tmp_path, ["park", "building"])
    out = tmp_path / "out"
    assert main(["review", str(path), "--out", str(out)]) == 3
    text = capsys.readouterr().out
    assert "reject" in text and "P1" in text
    for name in ("conflicts.gpkg", "conflicts.csv", "projects.csv"):
        assert (out / name).exists()
    assert (out / "projects.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    projects = pd.read_csv(out / "projects.csv", encoding="utf-8-sig")
    assert projects["verdict"].tolist() == ["review", "reject"]
    conflicts = pd.read_csv(out / "conflicts.csv", encoding="utf-8-sig")
    assert set(conflicts["line_name"]) == {"滨河公园"}


def test_review_exit_0_when_nothing_is_rejected_and_json(tmp_path, capsys):
    path = _town(tmp_path, ["park", "greening"])
    assert main(["review", str(path), "--out", str(tmp_path / "o"), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdicts"] == {
        "pass": 0,
        "review": 2,
        "reject": 0,
        "not_checked": 0,
        "invalid": 0,
    }
    assert payload["settings"]["rules"] == "default"
    assert {p["project_id"] for p in payload["projects"]} == {"P0", "P1"}


def test_review_projects_file_and_rules_file(tmp_path):
    path = _town(tmp_path, ["park"])
    other = gpd.GeoDataFrame(
        {"项目编号": ["X9"], "项目类型": ["建筑"]},
        geometry=[box(X0 + 50, Y0 + 50, X0 + 60, Y0 + 60)],
        crs=CRS,
    )
    other.to_file(tmp_path / "new.gpkg", layer="projects")
    out = tmp_path / "o"
    assert (
        main(["review", str(path), "--projects", str(tmp_path / "new.gpkg"), "--out", str(out)])
        == 3
    )
    assert pd.read_csv(out / "projects.csv", encoding="utf-8-sig")["project_id"].tolist() == ["X9"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rule]]\nline_type = 'pink'\n", encoding="utf-8")
    assert main(["review", str(path), "--rules", str(bad), "--out", str(out)]) == 2


def test_review_bad_input_exit_2(tmp_path, capsys):
    assert main(["review", str(tmp_path / "missing.gpkg")]) == 2
    lines_only = tmp_path / "t.gpkg"
    lines = gpd.GeoDataFrame(
        {"line_type": ["red"]}, geometry=[box(X0, Y0, X0 + 1, Y0 + 1)], crs=CRS
    )
    tp.write_town(tp.Town("t", layers={"control_lines": lines}), lines_only)
    assert main(["review", str(lines_only)]) == 2
    assert "no projects" in capsys.readouterr().err


def test_help_documents_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["review", "--help"])
    text = capsys.readouterr().out
    assert "3 at least one project rejected" in text.replace("\n", " ").replace("  ", " ")


def _grid_town(tmp_path, n=400):
    """A town of ``n`` parcels under discs of all five line types (:func:`grid_county`)."""
    projects, lines = grid_county(n, seed=3)
    path = tmp_path / "grid.gpkg"
    tp.write_town(tp.Town("网格镇", layers={"control_lines": lines, "projects": projects}), path)
    return path


def _run_json(capsys, *args):
    code = main(["review", *map(str, args), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_review_engine_reference_and_stream_write_the_same_files(tmp_path, capsys, monkeypatch):
    path = _grid_town(tmp_path)
    files = {}
    for name, extra in {
        "threads": [],
        "reference": ["--engine", "reference"],
        "stream": ["--stream"],
    }.items():
        out = tmp_path / name
        code, payload = _run_json(capsys, path, "--out", out, *extra)
        assert code == 3
        assert payload["settings"]["engine"] == ("reference" if name == "reference" else "threads")
        # Streamed rows go straight into the folder's conflicts.gpkg, nowhere else.
        assert payload["settings"].get("out") == (
            str(out / "conflicts.gpkg") if name == "stream" else None
        )
        files[name] = [
            pd.read_csv(out / f, encoding="utf-8-sig") for f in ("projects.csv", "conflicts.csv")
        ]
    projects, conflicts = files["threads"]
    assert len(conflicts) > 200  # not trivially equal
    for name in ("reference", "stream"):
        pd.testing.assert_frame_equal(files[name][0], projects)
        pd.testing.assert_frame_equal(
            files[name][1], conflicts, check_exact=False, rtol=1e-9, atol=1e-9
        )
    # From STREAM_FROM projects streaming is the default.
    monkeypatch.setattr(review_cli, "STREAM_FROM", 100)
    code, payload = _run_json(capsys, path, "--out", tmp_path / "big")
    assert payload["settings"]["out"] == str(tmp_path / "big" / "conflicts.gpkg")
    assert pyogrio.read_info(tmp_path / "big" / "conflicts.gpkg", layer="conflicts")[
        "features"
    ] == len(conflicts)


def test_review_too_large_for_memory_exits_2_naming_the_size_and_stream(
    tmp_path, capsys, monkeypatch
):
    path = _grid_town(tmp_path)
    monkeypatch.setattr(engine_module, "_ESTIMATE_FROM", 100)
    monkeypatch.setattr(engine_module, "default_budget", lambda: 10_000)
    assert main(["review", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "400 projects" in err and "conflict rows" in err and "--stream" in err
    assert "Traceback" not in err
    # The fix the message gives works: the same review streamed.
    assert main(["review", str(path), "--out", str(tmp_path / "o"), "--stream"]) == 3


# --- the Puzhou sample -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def puzhou():
    return tp.review(tp.sample_town())


def test_puzhou_yields_every_verdict_and_grade(puzhou):
    verdicts = set(puzhou.projects["verdict"])
    assert {"pass", "review", "reject"} <= verdicts
    real = puzhou.conflicts[~puzhou.conflicts["ignored"]]
    assert {"forbidden", "review", "notice"} <= set(real["grade"])
    assert (puzhou.conflicts["check"] == "setback").any()
    assert puzhou.conflicts["ignored"].any()  # a sliver
    assert set(puzhou.conflicts["line_type"]) == {
        "red",
        "green",
        "purple",
        "blue",
        "yellow",
        "eco_redline",
        "farmland",
        "dev_boundary",
    }  # the five lines and 三区三线
    assert len(puzhou.projects) == len(tp.sample_town().projects)


def test_puzhou_compatibility_first(puzhou):
    # Road works in red lines, parks in green lines, the sewage works in its yellow line: review.
    c = puzhou.conflicts[puzhou.conflicts["check"] == "overlap"]
    compatible = c[
        (
            (c["line_type"] == "red")
            & c["project_type"].isin(["road", "utility", "lighting", "greening"])
        )
        | ((c["line_type"] == "green") & c["project_type"].isin(["park", "greening"]))
        | ((c["line_type"] == "yellow") & (c["project_type"] == "infrastructure"))
    ]
    assert len(compatible) > 0 and (compatible["grade"] == "review").all()


def test_review_exit_4_when_a_project_could_not_be_fully_checked(tmp_path, capsys):
    """No reject, but yellow is neither in the lines nor declared absent: every project is
    not_checked, and the exit code says so (a script must not read the run as clean)."""
    path = _town(tmp_path, ["park", "greening"])
    town = tp.read_town(path)
    partial = tp.Town(
        "测试镇",
        layers=dict(town.layers),
        absent_line_types=["red", "purple", "blue"],  # yellow left undeclared
    )
    tp.write_town(partial, path)
    assert main(["review", str(path), "--out", str(tmp_path / "out")]) == 4
    out = capsys.readouterr().out
    assert "not_checked 2" in out
    # A reject still wins: exit 3 even though the review is incomplete.
    lines = town.layers["control_lines"]
    with_building = tp.Town(
        "测试镇",
        layers={
            "control_lines": lines,
            "projects": town.projects.assign(project_type=["park", "building"]),
        },
        absent_line_types=["red", "purple", "blue"],
    )
    tp.write_town(with_building, path)
    assert main(["review", str(path), "--out", str(tmp_path / "out2")]) == 3
