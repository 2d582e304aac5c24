"""The bad-input battery: every way a planner's messy data could make townplan_gis lie, and its outcome.

Each case asserts its exact outcome: the exception class and what its message names (file, layer,
column, rows, the fix), or the repair recorded in ``town.repairs`` with feature counts in = out.
The CLI cases run ``townplan`` in a subprocess and assert exit code 2, a one-line message on stderr
and no traceback.

Sections, one per area: coordinates and CRS; review completeness and geometry; indicators and
ranking; files, schemas, rules, standards and ``town.toml``; outputs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import townplan_gis as tp
from townplan_gis.errors import DataFileError
from townplan_gis.review.rules import load_rules


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m townplan_gis.cli`` with ``args`` in a subprocess, as a user would."""
    env = {**os.environ, "TOWNPLAN_PROGRESS": "0"}
    return subprocess.run(
        [sys.executable, "-m", "townplan_gis.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def assert_exit2(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit code 2, one line on stderr, no traceback, and every needle in that line; returns it."""
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], err[-2000:])
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def test_battery_helpers_see_a_missing_file(tmp_path):
    line = assert_exit2(run_cli("info", tmp_path / "missing.gpkg"), "missing.gpkg", "not found")
    assert line.startswith("townplan: error:")
    assert tp.TownPlanError  # the public base class every case below raises


# --- coordinates and CRS --------------------------------------------------------------------------


# --- review completeness and geometry -------------------------------------------------------------


# --- indicators and ranking -----------------------------------------------------------------------
# Standard and rule files are validated against their schema: each bad file below raises exactly
# DataFileError, whose one-line message starts with the file and names the section/key, the value and
# the fix or the closest accepted spelling. Counts follow the built-up area; rankings break ties.
_STD_HEAD = '[standard]\nname = "bad"\n'
_TARGET = (
    '[[targets]]\nkey = "park_count"\ncomparator = ">="\nthreshold = 1\nunit = "count"\n'
    'source = "鄂州 2017"\n'
)
_STANDARD_CASES = {
    "misspelt section": (
        '[standrad]\nname = "bad"\n' + _TARGET,
        "unknown key 'standrad' (did you mean 'standard'?) in the top level",
    ),
    "misspelt target field": (
        _STD_HEAD + _TARGET.replace("threshold =", "thresold ="),
        "unknown key 'thresold' (did you mean 'threshold'?) in target #1 (key 'park_count')",
    ),
    "misspelt indicator key": (
        _STD_HEAD + _TARGET.replace('"park_count"', '"park_cout"'),
        "target #1 (key 'park_cout'): unknown indicator key 'park_cout' (did you mean 'park_count'?)",
    ),
    "weight inf": (
        _STD_HEAD + _TARGET + "weight = inf\n",
        "target #1 (key 'park_count'): weight must be a finite number, got inf",
    ),
    "threshold inf with >=": (
        _STD_HEAD + _TARGET.replace("threshold = 1", "threshold = inf"),
        "target #1 (key 'park_count'): threshold must be a finite number, got inf",
    ),
    "threshold text": (
        _STD_HEAD + _TARGET.replace("threshold = 1", 'threshold = "x"'),
        "target #1 (key 'park_count'): threshold must be a finite number, got 'x'",
    ),
    "between reversed": (
        _STD_HEAD
        + _TARGET.replace('">="', '"between"').replace("threshold = 1", "threshold = [5, 1]"),
        "threshold [5, 1] is reversed (low > high) for 'between'. Fix: write [1, 5]",
    ),
    "unknown comparator": (
        _STD_HEAD + _TARGET.replace('">="', '"=>"'),
        "comparator '=>' is not one of ['>=', '>', '<=', '<', '==', 'between', "
        "'between_left_open'] (did you mean '>='?)",
    ),
    "weight zero": (
        _STD_HEAD + _TARGET + "weight = 0\n",
        "target #1 (key 'park_count'): weight must be > 0, got 0",
    ),
}


@pytest.mark.parametrize("case", list(_STANDARD_CASES))
def test_bad_standard_file(tmp_path, case):
    text, message = _STANDARD_CASES[case]
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(tp.TownPlanError) as info:
        tp.load_standard(path)
    assert type(info.value) is DataFileError
    assert str(info.value).startswith(f"{path.resolve()}: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


_RULE_CASES = {
    "misspelt section [tolerence]": (
        "[tolerence]\nmin_area_m2 = 5\n",
        "unknown key 'tolerence' (did you mean 'tolerance'?) in the top level ([section] names)",
    ),
    "min_area in [tolerance]": (
        "[tolerance]\nmin_area = 5\n",
        "unknown key 'min_area' (did you mean 'min_area_m2'?) in [tolerance]",
    ),
    "misspelt road class of a setback": (
        "[setbacks.distance_m]\narterail = 10\n",
        "unknown key 'arterail' (did you mean 'arterial'?) in [setbacks.distance_m]",
    ),
    "infinite tolerance": (
        "[tolerance]\nmin_area_m2 = inf\n",
        "[tolerance] min_area_m2 = inf must be a finite number ≥ 0",
    ),
    "setback as text": (
        '[setbacks.distance_m]\nblue = "10 m"\n',
        "[setbacks.distance_m] blue = '10 m' must be a number, like the default 10.0",
    ),
}


@pytest.mark.parametrize("case", list(_RULE_CASES))
def test_bad_rule_file(tmp_path, case):
    text, message = _RULE_CASES[case]
    path = tmp_path / "bad_rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(tp.TownPlanError) as info:
        load_rules(path)
    assert type(info.value) is DataFileError
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)


def test_review_overrides_with_a_misspelt_key_are_refused():
    lines = gpd.GeoDataFrame(
        {"line_type": ["green"]}, geometry=[shapely.box(0, 0, 10, 10)], crs="EPSG:4546"
    )
    projects = lines.assign(project_type="park")
    with pytest.raises(
        DataFileError, match=r"unknown key 'min_aera_m2' \(did you mean 'min_area_m2'\?\)"
    ):
        tp.review(projects, lines, tolerance={"min_aera_m2": 5})
    with pytest.raises(
        DataFileError, match=r"unknown key 'arterail' \(did you mean 'arterial'\?\)"
    ):
        tp.review(projects, lines, setback_m={"arterail": 10})


def test_park_far_outside_the_built_up_area_is_not_counted_and_fails():
    # 1 km² built-up area; the only park 5 km east of it. Before: park_count 1 → "pass".
    X0, Y0 = 500_000.0, 3_800_000.0
    builtup = gpd.GeoDataFrame(
        geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)], crs="EPSG:4545"
    )
    far = shapely.box(X0 + 6000, Y0, X0 + 6100, Y0 + 100)
    edge = shapely.box(X0 + 950, Y0, X0 + 1050, Y0 + 100)
    for parks, count, status in (([far], 0, "fail"), ([far, edge], 1, "pass")):
        green = gpd.GeoDataFrame(
            {"green_class": ["G1"] * len(parks)}, geometry=parks, crs="EPSG:4545"
        )
        town = tp.Town("远园镇", layers={"builtup": builtup, "green": green})
        table = town.indicators().set_index("key")
        assert table.loc["park_count", "value"] == count
        assert (
            "1 G1 feature(s) outside the built-up area not counted"
            in table.loc["park_count", "note"]
        )
        card = tp.assess(town, "ezhou-2017").set_index("key")
        assert card.loc["park_count", "status"] == status


def test_all_failing_towns_do_not_all_rank_first():
    # national-2016 (density ≥ 8 km/km², road area ratio ≥ 15 %): three towns, every target failed.
    # Each has n roads of 1 km × 20 m in 1 km²: relative gaps (8 − n)/8 + (15 − 2n)/15.
    def town(name, n):
        X0, Y0 = 500_000.0, 3_800_000.0
        roads = gpd.GeoDataFrame(
            {"road_class": ["branch"] * n, "redline_width_m": [20.0] * n},
            geometry=[
                shapely.LineString([(X0, Y0 + 100 * (i + 1)), (X0 + 1000, Y0 + 100 * (i + 1))])
                for i in range(n)
            ],
            crs="EPSG:4545",
        )
        bu = gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)], crs="EPSG:4545")
        return tp.Town(name, layers={"builtup": bu, "roads": roads})

    ranked = tp.assess_many(
        [town("甲", 2), town("乙", 6), town("丙", 4)], "national-2016", progress=False
    )
    assert ranked["score"].tolist() == [0, 0, 0]
    assert ranked["town"].tolist() == ["乙", "丙", "甲"]
    assert ranked["rank"].tolist() == [1, 2, 3]
    assert ranked["relative_gap_sum"].tolist() == pytest.approx(
        [2 / 8 + 3 / 15, 4 / 8 + 7 / 15, 6 / 8 + 11 / 15]
    )
    assert set(ranked["tie_break"]) == {"relative_gap_sum"}


def test_cli_assess_with_a_bad_standard_exits_2(tmp_path):
    town = tp.sample_path("weicheng") / "weicheng.gpkg"
    bad = tmp_path / "bad.toml"
    bad.write_text(_STD_HEAD + _TARGET.replace("threshold =", "thresold ="), encoding="utf-8")
    assert_exit2(
        run_cli("assess", town, "--standard", bad),
        str(bad.resolve()),
        "unknown key 'thresold' (did you mean 'threshold'?)",
    )
    inf = tmp_path / "inf.toml"
    inf.write_text(_STD_HEAD + _TARGET + "weight = inf\n", encoding="utf-8")
    assert_exit2(
        run_cli("assess", town, town, "--standard", inf, "--no-progress"),
        str(inf.resolve()),
        "weight must be a finite number, got inf",
    )


def test_cli_review_with_a_bad_rule_file_exits_2(tmp_path):
    bad = tmp_path / "bad_rules.toml"
    bad.write_text("[tolerence]\nmin_area_m2 = 5\n", encoding="utf-8")
    assert_exit2(
        run_cli("review", tp.sample_path(), "--rules", bad, "--out", tmp_path / "out"),
        str(bad),
        "unknown key 'tolerence' (did you mean 'tolerance'?)",
    )


# --- files, schemas, rules, standards and town.toml -----------------------------------------------


# --- outputs ----------------------------------------------------------------------------------------
