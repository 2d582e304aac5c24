"""Standards: packaged files, malformed files, scorecards, not_evaluable, ranking and ties."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from indicator_helpers import gdf, line, square_km

import townplan_gis as tp
from townplan_gis.errors import DataFileError
from townplan_gis.indicators import indicator_info
from townplan_gis.standards import SCORECARD_COLUMNS, Target

PACKAGED = ["ezhou-2017", "gb50188-2007", "national-2016", "weicheng-2017"]


def town(name: str = "甲镇", *, n_roads: int = 8, population: float | None = 10_000, **stats):
    """1 km² built-up with ``n_roads`` 1 km roads of 20 m (density = n_roads km/km²)."""
    ys = [1000 * (i + 0.5) / n_roads for i in range(n_roads)]
    roads = gdf(
        [line((0, y), (1000, y)) for y in ys],
        road_class=["branch"] * n_roads,
        redline_width_m=[20.0] * n_roads,
    )
    return tp.Town(
        name,
        layers={"builtup": square_km(), "roads": roads},
        population=population,
        statistics=stats or None,
    )


def write(tmp_path: Path, text: str, name: str = "std.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEAD = '[standard]\nname = "test"\n'
GOOD = """
[[targets]]
key = "road_network_density_km_per_km2"
comparator = ">="
threshold = 8.0
unit = "km/km2"
source = "test"
"""


# --- packaged standards ---------------------------------------------------------------------------------
def test_packaged_standards_load_and_match_the_registry():
    assert tp.list_standards() == PACKAGED
    for name in PACKAGED:
        std = tp.load_standard(name)
        assert std.name == name and std.targets
        for t in std.targets:
            assert t.source
            if not t.reported:
                assert t.unit == indicator_info(t.key).unit
    ezhou = tp.load_standard("ezhou-2017")
    paving = next(t for t in ezhou.targets if t.key == "paving_rate_pct")
    assert paving.threshold == 90.0 and "assumed" in paving.note
    weicheng = tp.load_standard("weicheng-2017")
    assert set(ezhou.keys) <= set(weicheng.keys)
    assert next(t for t in weicheng.targets if t.key == "paving_rate_pct").threshold == 100.0
    national = tp.load_standard("national-2016")
    assert {t.key: t.threshold for t in national.targets} == {
        "road_network_density_km_per_km2": 8.0,
        "road_area_ratio_pct": 15.0,
    }


def test_loading_is_cached():
    assert tp.load_standard("ezhou-2017") is tp.load_standard("ezhou-2017")


def test_unknown_standard_lists_the_packaged_ones():
    with pytest.raises(DataFileError, match="ezhou-2017"):
        tp.load_standard("shanghai-2049")
    with pytest.raises(DataFileError, match="not found"):
        tp.load_standard("/nowhere/std.toml")


# --- malformed files ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        (GOOD.replace('comparator = ">="', 'comparator = "=>"'), r"target #1 .*comparator '=>'"),
        (
            GOOD.replace('unit = "km/km2"', 'unit = "m/km2"'),
            r"target #1 .*unit 'm/km2' does not match",
        ),
        (GOOD.replace("road_network_density_km_per_km2", "road_density"), r"unknown indicator key"),
        (GOOD.replace("threshold = 8.0", 'threshold = "8"'), r"threshold must be a number"),
        (GOOD.replace('source = "test"\n', ""), r"required field 'source' is missing"),
        (GOOD.replace('source = "test"', 'source = "t"\ncolour = "red"'), r"unknown field"),
        (
            GOOD.replace('comparator = ">="', 'comparator = "between"'),
            r"needs threshold = \[low, high\]",
        ),
        (GOOD + GOOD, r"target #2 \(key 'road_network_density_km_per_km2'\): duplicate key"),
        (GOOD + "weight = -1\n", r"weight must be > 0"),
        ("", r"no \[\[targets\]\]"),
    ],
)
def test_malformed_standard_names_file_entry_and_problem(tmp_path, body, pattern):
    path = write(tmp_path, HEAD + body)
    with pytest.raises(DataFileError, match=pattern) as info:
        tp.load_standard(path)
    assert str(path.resolve()) in str(info.value)


def test_invalid_toml_and_missing_header(tmp_path):
    with pytest.raises(DataFileError, match="not valid TOML"):
        tp.load_standard(write(tmp_path, HEAD + "[[targets]\nkey = 1"))
    with pytest.raises(DataFileError, match=r"\[standard\]"):
        tp.load_standard(write(tmp_path, GOOD, "b.toml"))


# --- comparators ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("comparator", "threshold", "value", "status", "gap"),
    [
        (">=", 8.0, 8.0, "pass", 0.0),
        (">=", 8.0, 7.5, "fail", -0.5),
        (">", 8.0, 8.0, "fail", 0.0),
        ("<=", 0.0, 0.0, "pass", 0.0),
        ("<", 5.0, 6.0, "fail", -1.0),
        ("==", 2.0, 3.0, "fail", -1.0),
        ("between", (80.0, 100.0), 80.0, "pass", 0.0),
        ("between_left_open", (80.0, 100.0), 80.0, "fail", 0.0),
        ("between_left_open", (80.0, 100.0), 100.0, "pass", 0.0),
        ("between", (80.0, 100.0), 110.0, "fail", -10.0),
        (">=", 100.0, 100.0 - 1e-12, "pass", -1e-12),
        (">=", 8.0, math.nan, "not_evaluable", math.nan),
    ],
)
def test_target_evaluation(comparator, threshold, value, status, gap):
    t = Target("k", comparator, threshold, "%", "s")
    got_status, got_gap = t.evaluate(value)
    assert got_status == status
    assert (math.isnan(gap) and math.isnan(got_gap)) or got_gap == pytest.approx(gap)


# --- scorecards -------------------------------------------------------------------------------------------
def test_assess_scorecard_columns_status_and_gap():
    card = tp.assess(town(n_roads=10), "national-2016")
    assert list(card.columns) == SCORECARD_COLUMNS
    row = card.set_index("key")
    # 10 km in 1 km² → 10 km/km² ≥ 8: pass by 2.
    assert row.loc["road_network_density_km_per_km2", "status"] == "pass"
    assert row.loc["road_network_density_km_per_km2", "gap"] == pytest.approx(2.0)
    # Road area 10 × 20 × 1000 = 200 000 m² of 1 km² = 20 % ≥ 15 %.
    assert row.loc["road_area_ratio_pct", "value"] == pytest.approx(20.0)
    assert row.loc["road_area_ratio_pct", "name_zh"] == "道路面积率"
    assert "若干意见" in row.loc["road_area_ratio_pct", "source"]


def test_missing_data_is_not_evaluable_never_pass():
    card = tp.assess(town(population=None), "ezhou-2017").set_index("key")
    assert card.loc["population", "status"] == "not_evaluable"
    assert card.loc["road_area_per_capita_m2", "status"] == "not_evaluable"
    assert card.loc["green_coverage_pct", "status"] == "not_evaluable"
    assert card.loc["water_supply_coverage_pct", "status"] == "not_evaluable"
    assert "not reported" in card.loc["water_supply_coverage_pct", "note"]
    assert math.isnan(card.loc["population", "gap"])
    assert (card.loc[card["value"].isna(), "status"] == "not_evaluable").all()
    assert "assumed" in card.loc["paving_rate_pct", "note"]


def test_assess_accepts_a_precomputed_indicator_table():
    t = town(n_roads=6)
    table = t.indicators()
    assert tp.assess(table, "national-2016").equals(tp.assess(t, "national-2016"))
    # Options cannot change a table computed beforehand: refused, not silently ignored.
    with pytest.raises(tp.TownPlanError, match="coverage_distance_m"):
        tp.assess(table, "national-2016", coverage_distance_m=200)


def test_user_written_standard_with_a_reported_statistic(tmp_path):
    path = write(
        tmp_path,
        """
[standard]
name = "my-county-2024"
title_zh = "某县小城镇考核"

[[targets]]
key = "road_network_density_km_per_km2"
comparator = ">="
threshold = 6
unit = "km/km2"
source = "county notice 2024-3"
weight = 2

[[targets]]
key = "street_cleaning_pct"
comparator = ">="
threshold = 90
unit = "%"
source = "county notice 2024-3"
reported = true
note = "from the sanitation office"
""",
    )
    card = tp.assess(town(n_roads=7, street_cleaning_pct=95), path).set_index("key")
    assert card.loc["road_network_density_km_per_km2", "status"] == "pass"
    assert card.loc["street_cleaning_pct", "status"] == "pass"
    assert card.loc["street_cleaning_pct", "value"] == 95
    assert "sanitation office" in card.loc["street_cleaning_pct", "note"]
    # The reported statistic missing → not evaluable; weights make the score 2/3.
    ranked = tp.assess_many([town("乙镇", n_roads=7)], path, progress=False)
    assert ranked.loc[0, "street_cleaning_pct"] == "not_evaluable"
    assert ranked.loc[0, "score"] == pytest.approx(100 * 2 / 3)


# --- ranking ----------------------------------------------------------------------------------------------
def test_assess_many_ranks_with_ties():
    # Densities 10, 4, 10, 9 km/km² and road area ratios 20, 8, 20, 18 % (n × 20 m × 1 km in 1 km²):
    # three towns pass both targets and share rank 1; the fourth scores 0 and ranks 4 (1, 1, 1, 4).
    towns = [
        town("甲", n_roads=10),
        town("乙", n_roads=4),
        town("丙", n_roads=10),
        town("丁", n_roads=9),
    ]
    ranked = tp.assess_many(towns, "national-2016", progress=False)
    assert ranked["town"].tolist() == ["甲", "丙", "丁", "乙"]
    assert ranked["rank"].tolist() == [1, 1, 1, 4]
    assert ranked["score"].tolist() == pytest.approx([100, 100, 100, 0])
    assert ranked["n_pass"].tolist() == [2, 2, 2, 0]
    assert list(ranked.columns[:7]) == [
        "town",
        "rank",
        "score",
        "n_pass",
        "n_fail",
        "n_not_evaluable",
        "n_targets",
    ]
    assert ranked.loc[3, "road_network_density_km_per_km2"] == "fail"


def test_assess_many_partial_ties_and_not_evaluable_counts():
    # 8 roads pass both targets (8 km/km², 16 %); 7 roads fail both (7 km/km², 14 %): ranks 1, 1, 3, 3.
    # A town without roads cannot be evaluated: both targets not_evaluable, score 0.
    towns = [town("A", n_roads=8), town("B", n_roads=7), town("C", n_roads=7), town("D", n_roads=8)]
    ranked = tp.assess_many(towns, "national-2016", progress=False)
    assert ranked["rank"].tolist() == [1, 1, 3, 3]
    empty = tp.Town("E", layers={"builtup": square_km()})
    ranked = tp.assess_many([empty], "national-2016", progress=False)
    assert ranked.loc[0, "n_not_evaluable"] == 2 and ranked.loc[0, "score"] == 0


def test_assess_many_reads_paths_and_handles_no_towns(tmp_path):
    p = tp.write_town(town("路径镇", n_roads=9), tmp_path / "t.gpkg")
    ranked = tp.assess_many([p], "national-2016", progress=False)
    assert ranked.loc[0, "town"] == "路径镇"
    assert tp.assess_many([], "national-2016", progress=False).empty


def test_assess_many_progress_bar_is_switchable_and_on_stderr(capsys, monkeypatch):
    monkeypatch.setattr(tp.options, "progress_delay_s", 0)
    tp.assess_many([town()], "national-2016", progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "assess national-2016" in captured.err
    tp.assess_many([town()], "national-2016", progress=False)
    assert capsys.readouterr().err == ""


def test_weicheng_competition_ranks_the_six_towns():
    ranked = tp.assess_many(tp.sample_towns("weicheng"), "weicheng-2017", progress=False)
    assert len(ranked) == 6
    assert ranked["score"].is_monotonic_decreasing
    assert ranked["score"].nunique() >= 4  # the towns differ
    statuses = ranked.iloc[:, 7:]
    assert set(statuses.stack()) <= {"pass", "fail", "not_evaluable"}
    # Every target has weight 1: score = 100 · passes / targets, counted from the status columns.
    n_targets = len(tp.load_standard("weicheng-2017").targets)
    passes = (statuses == "pass").sum(axis=1)
    assert (ranked["n_targets"] == n_targets).all() and (ranked["n_pass"] == passes).all()
    assert ranked["score"].tolist() == pytest.approx((100 * passes / n_targets).tolist())
    # Competition ranking: a town's rank is 1 + the number of towns with a higher score.
    scores = ranked["score"].tolist()
    assert ranked["rank"].tolist() == [1 + sum(o > s for o in scores) for s in scores]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([">=", ">", "<=", "<", "=="]),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(math.nan)),
)
def test_evaluation_invariants(comparator, threshold, value):
    # Missing never passes; otherwise a clear margin decides, and the gap's sign agrees with it.
    status, gap = Target("k", comparator, threshold, "%", "s").evaluate(value)
    if math.isnan(value):
        assert status == "not_evaluable" and math.isnan(gap)
        return
    assert status in ("pass", "fail")
    eps = 1e-9 * max(1.0, abs(threshold))
    if gap > eps:
        assert status == "pass"
    if gap < -eps:
        assert status == "fail"


def test_assess_many_takes_precomputed_indicator_tables():
    towns = [town("甲", n_roads=10), town("乙", n_roads=4)]
    tables = {t.name: t.indicators() for t in towns}
    from_tables = tp.assess_many(tables, "national-2016", progress=False)
    from_towns = tp.assess_many(towns, "national-2016", progress=False)
    pd.testing.assert_frame_equal(from_tables, from_towns)
    pairs = tp.assess_many(list(tables.items()), "national-2016", progress=False)
    pd.testing.assert_frame_equal(pairs, from_towns)
    with pytest.raises(tp.TownPlanError, match="cannot assess"):
        tp.assess_many([42], "national-2016", progress=False)
