"""Standards: packaged files, malformed files, scorecards, not_evaluable, ranking and ties."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from indicator_helpers import gdf, line, square_km

import townplan_gis as tp
from townplan_gis.core.errors import DataFileError
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
        (GOOD.replace("threshold = 8.0", 'threshold = "8"'), r"threshold must be a finite number"),
        (GOOD.replace('source = "test"\n', ""), r"required field 'source' is missing"),
        (
            GOOD.replace('source = "test"', 'source = "t"\ncolour = "red"'),
            r"unknown key 'colour' in target #1 \(key 'road_network_density_km_per_km2'\)",
        ),
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
    table = tp.town_indicators(t)
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
RANK_COLUMNS = [
    "town",
    "rank",
    "score",
    "relative_gap_sum",
    "tie_break",
    "n_pass",
    "n_fail",
    "n_not_evaluable",
    "n_targets",
]


def test_assess_many_equal_scores_and_gaps_are_ordered_by_name():
    # Densities 10, 4, 10, 9 km/km² and road area ratios 20, 8, 20, 18 % (n × 20 m × 1 km in 1 km²):
    # three towns pass both targets (score 100, gap sum 0): equal on both, so the name decides
    # (丁 U+4E01 < 丙 U+4E19 < 甲 U+7532). The fourth scores 0: (8 − 4)/8 + (15 − 8)/15 = 0.9667.
    towns = [
        town("甲", n_roads=10),
        town("乙", n_roads=4),
        town("丙", n_roads=10),
        town("丁", n_roads=9),
    ]
    ranked = tp.assess_many(towns, "national-2016", progress=False)
    assert list(ranked.columns[:9]) == RANK_COLUMNS
    assert ranked["town"].tolist() == ["丁", "丙", "甲", "乙"]
    assert ranked["rank"].tolist() == [1, 2, 3, 4]
    assert ranked["tie_break"].tolist() == ["name", "name", "name", ""]
    assert ranked["score"].tolist() == pytest.approx([100, 100, 100, 0])
    assert ranked["relative_gap_sum"].tolist() == pytest.approx([0, 0, 0, 0.5 + 7 / 15])
    assert ranked["n_pass"].tolist() == [2, 2, 2, 0]
    assert ranked.loc[3, "road_network_density_km_per_km2"] == "fail"
    assert ranked.attrs["rank_rule"] == tp.standards.RANK_RULE


def test_assess_many_all_failing_towns_ranked_by_relative_gap_then_name():
    # national-2016: density ≥ 8 km/km², road area ratio ≥ 15 %. With n roads: density n, ratio 2n %.
    # Every town fails both targets (score 0); relative gap sum (8 − n)/8 + (15 − 2n)/15:
    #   n = 7: 1/8 + 1/15 = 0.191667   n = 5: 3/8 + 5/15 = 0.708333   n = 3: 5/8 + 9/15 = 1.225
    # The names run against the gaps, so the gap decides; C and D are equal on both: name.
    towns = [
        town("A", n_roads=3),
        town("B", n_roads=5),
        town("D", n_roads=7),
        town("C", n_roads=7),
    ]
    ranked = tp.assess_many(towns, "national-2016", progress=False)
    assert ranked["score"].tolist() == [0, 0, 0, 0]
    assert ranked["town"].tolist() == ["C", "D", "B", "A"]
    assert ranked["rank"].tolist() == [1, 2, 3, 4]
    assert ranked["relative_gap_sum"].tolist() == pytest.approx(
        [1 / 8 + 1 / 15, 1 / 8 + 1 / 15, 3 / 8 + 5 / 15, 5 / 8 + 9 / 15]
    )
    assert ranked["tie_break"].tolist() == ["name", "name", "relative_gap_sum", "relative_gap_sum"]


def test_not_evaluable_never_ranks_above_a_measured_shortfall():
    # E has no roads: both targets not evaluable. Each adds max(1, worst measured relative gap):
    # density: worst 5/8 → 1; ratio: worst 9/15 → 1; E's sum 2.0 > A's 1.225, so E is last.
    # F fails density by 7/8 (n = 1) and ratio by 13/15: sum 1.7333 — still ahead of E.
    empty = tp.Town("E", layers={"builtup": square_km()})
    towns = [empty, town("A", n_roads=3), town("F", n_roads=1)]
    ranked = tp.assess_many(towns, "national-2016", progress=False)
    assert ranked["town"].tolist() == ["A", "F", "E"]
    assert ranked["relative_gap_sum"].tolist() == pytest.approx(
        [5 / 8 + 9 / 15, 7 / 8 + 13 / 15, 2.0]
    )
    assert ranked.loc[2, "n_not_evaluable"] == 2 and ranked.loc[2, "score"] == 0


def test_not_evaluable_adds_the_worst_measured_gap_when_above_one(tmp_path):
    # road_area_ratio_pct <= 5 %: n = 10 gives 20 %, relative gap (20 − 5)/5 = 3. A town without
    # roads cannot be evaluated and adds max(1, 3) = 3: equal to the measured town, so the name
    # decides ("A" before "Z").
    path = write(
        tmp_path,
        HEAD + '[[targets]]\nkey = "road_area_ratio_pct"\ncomparator = "<="\nthreshold = 5\n'
        'unit = "%"\nsource = "t"\n',
    )
    empty = tp.Town("A", layers={"builtup": square_km()})
    ranked = tp.assess_many([town("Z", n_roads=10), empty], path, progress=False)
    assert ranked["relative_gap_sum"].tolist() == pytest.approx([3.0, 3.0])
    assert ranked["town"].tolist() == ["A", "Z"] and ranked["tie_break"].tolist() == ["name"] * 2


@pytest.mark.parametrize(
    ("comparator", "threshold", "value", "expected"),
    [
        (">=", 8.0, 6.0, 0.25),
        (">=", 8.0, 9.0, 0.0),
        (">", 8.0, 8.0, 0.0),  # fails, but by nothing
        ("<=", 0.0, 3.0, 3.0),  # threshold 0: the absolute gap
        ("<", -4.0, 0.0, 1.0),
        ("==", 2.0, 3.0, 0.5),
        ("between", (80.0, 100.0), 110.0, 0.1),  # the missed bound: 10 / 100
        ("between", (80.0, 100.0), 70.0, 0.125),  # 10 / 80
        ("between_left_open", (0.0, 10.0), -2.0, 2.0),  # missed bound 0: absolute
        (">=", 8.0, math.nan, math.nan),
    ],
)
def test_relative_shortfall(comparator, threshold, value, expected):
    got = Target("k", comparator, threshold, "%", "s").relative_shortfall(value)
    assert (math.isnan(expected) and math.isnan(got)) or got == pytest.approx(expected)


def test_assess_many_partial_ties_and_not_evaluable_counts():
    # 8 roads pass both targets (8 km/km², 16 %); 7 roads fail both (7 km/km², 14 %) by the same
    # relative gaps: A, D and B, C are equal pairs, ordered by name: 1, 2, 3, 4.
    towns = [town("A", n_roads=8), town("B", n_roads=7), town("C", n_roads=7), town("D", n_roads=8)]
    ranked = tp.assess_many(towns, "national-2016", progress=False)
    assert ranked["town"].tolist() == ["A", "D", "B", "C"]
    assert ranked["rank"].tolist() == [1, 2, 3, 4]
    assert ranked["tie_break"].tolist() == ["name"] * 4
    empty = tp.Town("E", layers={"builtup": square_km()})
    ranked = tp.assess_many([empty], "national-2016", progress=False)
    assert ranked.loc[0, "n_not_evaluable"] == 2 and ranked.loc[0, "score"] == 0
    assert ranked.loc[0, "relative_gap_sum"] == 2.0 and ranked.loc[0, "tie_break"] == ""


def test_assess_many_reads_paths_and_handles_no_towns(tmp_path):
    p = tp.write_town(town("路径镇", n_roads=9), tmp_path / "t.gpkg")
    ranked = tp.assess_many([p], "national-2016", progress=False)
    assert ranked.loc[0, "town"] == "路径镇"
    none = tp.assess_many([], "national-2016", progress=False)
    assert none.empty and list(none.columns[:9]) == RANK_COLUMNS
    assert none.attrs["rank_rule"] == tp.standards.RANK_RULE


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
    statuses = ranked.iloc[:, len(RANK_COLUMNS) :]
    assert set(statuses.stack()) <= {"pass", "fail", "not_evaluable"}
    # Every target has weight 1: score = 100 · passes / targets, counted from the status columns.
    n_targets = len(tp.load_standard("weicheng-2017").targets)
    passes = (statuses == "pass").sum(axis=1)
    assert (ranked["n_targets"] == n_targets).all() and (ranked["n_pass"] == passes).all()
    assert ranked["score"].tolist() == pytest.approx((100 * passes / n_targets).tolist())
    # Every town has its own rank; among equal scores the relative gap sum never decreases.
    assert ranked["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    for _, same in ranked.groupby("score"):
        assert same["relative_gap_sum"].is_monotonic_increasing


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
    tables = {t.name: tp.town_indicators(t) for t in towns}
    from_tables = tp.assess_many(tables, "national-2016", progress=False)
    from_towns = tp.assess_many(towns, "national-2016", progress=False)
    pd.testing.assert_frame_equal(from_tables, from_towns)
    pairs = tp.assess_many(list(tables.items()), "national-2016", progress=False)
    pd.testing.assert_frame_equal(pairs, from_towns)
    with pytest.raises(tp.TownPlanError, match="cannot assess"):
        tp.assess_many([42], "national-2016", progress=False)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0.0, 4.0, 7.0, 8.0, 12.0, math.nan]),
            st.sampled_from([0.0, 10.0, 14.0, 15.0, 30.0, math.nan]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_ranking_is_a_total_order_by_score_gap_and_name(values):
    # Indicator tables only (no geometry): density and road area ratio against national-2016.
    tables = {
        f"town{i}": pd.DataFrame(
            {"key": ["road_network_density_km_per_km2", "road_area_ratio_pct"], "value": list(v)}
        )
        for i, v in enumerate(values)
    }
    ranked = tp.assess_many(tables, "national-2016", progress=False)
    assert ranked["rank"].tolist() == list(range(1, len(values) + 1))
    keys = list(
        zip(
            -ranked["score"].round(9),
            ranked["relative_gap_sum"].round(9),
            ranked["town"],
            strict=True,
        )
    )
    assert keys == sorted(keys)
    assert (ranked["relative_gap_sum"] >= 0).all()
    # A town that passes everything has gap 0; a town with a not-evaluable target at least 1.
    assert (ranked.loc[ranked["n_pass"] == 2, "relative_gap_sum"] == 0).all()
    assert (ranked.loc[ranked["n_not_evaluable"] > 0, "relative_gap_sum"] >= 1).all()
    for _, row in ranked.iterrows():
        same_score = (ranked["score"].round(9) == round(row["score"], 9)).sum()
        if same_score == 1:
            assert row["tie_break"] == ""
        else:
            assert row["tie_break"] in ("relative_gap_sum", "name")


# --- what planners type: symbols, printed units, Chinese names, extending a standard -----------------
def table(**values: float) -> pd.DataFrame:
    """A precomputed indicator table (assess takes one instead of a Town)."""
    return pd.DataFrame({"key": list(values), "value": list(values.values())})


PLANNERS = """
[standard]
name = "写法"

[[targets]]
key = "人均道路面积"
comparator = "≥"
threshold = 8
unit = "m²/人"
source = "t"

[[targets]]
key = "道路面积率"
comparator = "＜"
threshold = 20
unit = "％"
source = "t"

[[targets]]
key = "路网密度"
comparator = "≤"
threshold = 12
unit = "km/km²"
source = "t"

[[targets]]
key = "Green coverage"
comparator = ">"
threshold = 30
unit = "%"
source = "t"
"""


def test_symbols_printed_units_and_chinese_names_read_as_their_codes(tmp_path):
    std = tp.load_standard(write(tmp_path, PLANNERS))
    assert [(t.key, t.comparator, t.unit) for t in std.targets] == [
        ("road_area_per_capita_m2", ">=", "m2/person"),
        ("road_area_ratio_pct", "<", "%"),
        ("road_network_density_km_per_km2", "<=", "km/km2"),
        ("green_coverage_pct", ">", "%"),
    ]
    # By hand: 9 ≥ 8 passes by 1; 25 < 20 fails by 5; 12 ≤ 12 passes by 0; 30 > 30 fails by 0.
    card = tp.assess(
        table(
            road_area_per_capita_m2=9.0,
            road_area_ratio_pct=25.0,
            road_network_density_km_per_km2=12.0,
            green_coverage_pct=30.0,
        ),
        std,
    ).set_index("key")
    assert card["status"].tolist() == ["pass", "fail", "pass", "fail"]
    assert card["gap"].tolist() == [1.0, -5.0, 0.0, 0.0]
    assert card.loc["road_area_per_capita_m2", "name_zh"] == "人均道路面积"


def test_the_planners_file_and_the_coded_file_are_the_same_standard(tmp_path):
    coded = (
        PLANNERS.replace('"人均道路面积"', '"road_area_per_capita_m2"')
        .replace('"道路面积率"', '"road_area_ratio_pct"')
        .replace('"路网密度"', '"road_network_density_km_per_km2"')
        .replace('"Green coverage"', '"green_coverage_pct"')
        .replace('"≥"', '">="').replace('"＜"', '"<"').replace('"≤"', '"<="')
        .replace('"m²/人"', '"m2/person"').replace('"％"', '"%"').replace('"km/km²"', '"km/km2"')
    )  # fmt: skip
    a = tp.load_standard(write(tmp_path, PLANNERS, "a.toml"))
    b = tp.load_standard(write(tmp_path, coded, "b.toml"))
    assert a.targets == b.targets


EXTENDS = """extends = "ezhou-2017"

[standard]
name = "某镇-2024"

[[targets]]
key = "道路硬化率"
threshold = 95
source = "某镇 2024 年考核办法 第三条"

[[targets]]
key = "路网密度"
comparator = "≥"
threshold = 8
unit = "km/km²"
source = "某镇 2024 年考核办法 第四条"

[[targets]]
key = "road_area_per_capita_m2"
weight = 2
"""


def test_extends_overrides_by_key_and_adds(tmp_path):
    ezhou = tp.load_standard("ezhou-2017")
    std = tp.load_standard(write(tmp_path, EXTENDS))
    assert std.base == "ezhou-2017" and std.name == "某镇-2024"
    # The base's targets in their order, the new one last.
    assert std.keys == [*ezhou.keys, "road_network_density_km_per_km2"]
    base = {t.key: t for t in ezhou.targets}
    got = {t.key: t for t in std.targets}
    paving = got["paving_rate_pct"]
    assert (paving.comparator, paving.threshold, paving.unit) == (">=", 95.0, "%")
    assert paving.source == "某镇 2024 年考核办法 第三条"
    # The base's note was about its assumed 90 %: the override says what it replaces instead.
    assert paving.note == "replaces ezhou-2017's ≥ 90.0 %"
    # A weight-only override keeps the base's figure, source and note.
    road = got["road_area_per_capita_m2"]
    assert road.weight == 2.0 and road.threshold == base["road_area_per_capita_m2"].threshold
    assert road.source == base["road_area_per_capita_m2"].source
    for key in set(base) - {"paving_rate_pct", "road_area_per_capita_m2"}:
        assert got[key] == base[key]
    # By hand: paving 92 % meets Ezhou's 90 % (gap 2) and misses this town's 95 % (gap −3).
    values = table(paving_rate_pct=92.0, road_network_density_km_per_km2=7.5)
    e = tp.assess(values, ezhou).set_index("key")
    t = tp.assess(values, std).set_index("key")
    assert (e.loc["paving_rate_pct", "status"], e.loc["paving_rate_pct", "gap"]) == ("pass", 2.0)
    assert (t.loc["paving_rate_pct", "status"], t.loc["paving_rate_pct", "gap"]) == ("fail", -3.0)
    assert t.loc["road_network_density_km_per_km2", "gap"] == -0.5
    assert len(t) == len(ezhou.targets) + 1


def test_extends_a_file_by_relative_path_and_reads_an_edited_base_again(tmp_path):
    (tmp_path / "base").mkdir()
    base = write(tmp_path / "base", HEAD + GOOD, "county.toml")
    child = write(
        tmp_path,
        'extends = "base/county.toml"\n[standard]\nname = "town"\n'
        '[[targets]]\nkey = "路网密度"\nthreshold = 10\nsource = "town rule"\n',
    )
    assert [t.threshold for t in tp.load_standard(child).targets] == [10.0]
    std = tp.load_standard(child)
    assert std.base == "test" and std.title_zh == "town（基于 test）"
    # The base gains a target: the child sees it (the cache follows every file of the chain).
    ratio = GOOD.replace("road_network_density_km_per_km2", "road_area_ratio_pct")
    base.write_text(HEAD + GOOD + ratio.replace("km/km2", "%"), encoding="utf-8")
    os.utime(base, ns=(base.stat().st_atime_ns, base.stat().st_mtime_ns + 10**9))
    assert tp.load_standard(child).keys == [
        "road_network_density_km_per_km2",
        "road_area_ratio_pct",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'extends = "ezhou-2071"\n[standard]\nname = "x"\n',
            "extends = 'ezhou-2071' names no standard (did you mean 'ezhou-2017'?)",
        ),
        (
            '[standard]\nname = "x"\nextends = "ezhou-2017"\n',
            "'extends' belongs at the top of the file, before [standard]",
        ),
        (
            'extends = "ezhou-2017"\n[standard]\nname = "x"\n'
            '[[targets]]\nkey = "paving_rate_pct"\nthreshold = 95\n',
            "target #1 (key 'paving_rate_pct') changes the threshold of 'paving_rate_pct' in "
            "ezhou-2017 but gives no source",
        ),
        (
            'extends = "ezhou-2017"\n[standard]\nname = "x"\n'
            '[[targets]]\nkey = "新指标"\ncomparator = ">="\nthreshold = 1\nunit = "%"\n'
            'source = "s"\n',
            "target #1: no indicator is called '新指标'",
        ),
        (
            HEAD + GOOD.replace('"road_network_density_km_per_km2"', '"人均道路面级"'),
            "no indicator is called '人均道路面级' (did you mean '人均道路面积'?)",
        ),
        (
            HEAD + GOOD.replace('unit = "km/km2"', 'unit = "km/km²/人"'),
            "unit 'km/km²/人' does not match the indicator's unit 'km/km2' (written km/km² or km/km²)",
        ),
        (
            HEAD + GOOD.replace('comparator = ">="', 'comparator = "=>"'),
            "comparator '=>' is not one of ['>=', '>', '<=', '<', '==', 'between', "
            "'between_left_open'] (did you mean '>='?); ≥ ≤ > < are accepted as written",
        ),
        (
            'extends = "ezhou-2017"\n[standard]\nname = "x"\n'
            '[[targets]]\nkey = "道路硬化率"\nweight = 2\n[[targets]]\nkey = "paving_rate_pct"\n'
            "weight = 3\n",
            "target #2 (key 'paving_rate_pct'): duplicate key",
        ),
    ],
)
def test_planners_files_refused_with_the_fix(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(DataFileError) as info:
        tp.load_standard(path)
    assert str(info.value).startswith(f"{path.resolve()}: ")
    assert message in str(info.value)


def test_an_extends_loop_is_refused_naming_the_chain(tmp_path):
    a = write(tmp_path, 'extends = "b.toml"\n[standard]\nname = "a"\n', "a.toml")
    write(tmp_path, 'extends = "a.toml"\n[standard]\nname = "b"\n', "b.toml")
    with pytest.raises(
        DataFileError, match=r"the extends chain loops: .*a\.toml → .*b\.toml → .*a\.toml"
    ):
        tp.load_standard(a)
