"""Acceptance (验收), subsidies (以奖代补) and the competition: allocations and tie-breaks hand-computed."""

from __future__ import annotations

import math
from fractions import Fraction
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, box

import townplan_gis as tp
from townplan_gis.construction import acceptance, allocate, competition
from townplan_gis.core.errors import DataFileError, TownPlanError

CRS = "EPSG:4546"
X, Y = 437_000.0, 3_855_000.0

STANDARD = """
[standard]
name = "test-weighted"
title_zh = "测试标准"
source = "test"

[[targets]]
key = "built_up_area_km2"
comparator = ">="
threshold = 1.0
unit = "km2"
source = "test"
weight = 3

[[targets]]
key = "population"
comparator = ">="
threshold = 1000
unit = "persons"
source = "test"
weight = 1
"""


@pytest.fixture(scope="module")
def standard(tmp_path_factory):
    path = tmp_path_factory.mktemp("std") / "weighted.toml"
    path.write_text(STANDARD, encoding="utf-8")
    return tp.load_standard(path)


def tiny(
    name: str,
    *,
    area_km2: float = 2.0,
    population: float = 2000,
    pct: tuple[float, float] = (100, 100),
    invest: tuple[float, float] = (60, 40),
    funds: tuple[tuple, tuple] = ((10, 30, 20), (0, 20, 20)),
    on_road: bool = False,
) -> tp.Town:
    """A square town with one road (its red line) and two projects: a building off the road
    (pass; on it with ``on_road``: reject) and the road's paving (review, inside the red line)."""
    side = math.sqrt(area_km2) * 1000
    builtup = box(X, Y, X + side, Y + side)
    road = LineString([(X, Y + side / 2), (X + side, Y + side / 2)])
    red = road.buffer(10, cap_style="flat")
    site = (
        box(X + 50, Y + side / 2 - 10, X + 80, Y + side / 2 + 10)
        if on_road
        else box(X + 50, Y + 50, X + 80, Y + 80)
    )
    projects = gpd.GeoDataFrame(
        {
            "project_id": ["P1", "P2"],
            "project_type": ["building", "road"],
            "investment_wan_yuan": list(invest),
            "funding_self_raised_wan_yuan": [funds[0][0], funds[1][0]],
            "funding_subsidy_wan_yuan": [funds[0][1], funds[1][1]],
            "funding_town_gov_wan_yuan": [funds[0][2], funds[1][2]],
            "completion_pct": list(pct),
            "deadline": ["2017-10-31", "2017-10-31"],
        },
        geometry=[site, road],
        crs=CRS,
    )
    layers = {
        "builtup": gpd.GeoDataFrame(geometry=[builtup], crs=CRS),
        "boundary": gpd.GeoDataFrame(geometry=[builtup.buffer(500)], crs=CRS),
        "roads": gpd.GeoDataFrame(
            {"road_class": ["branch"], "redline_width_m": [20.0]}, geometry=[road], crs=CRS
        ),
        "control_lines": gpd.GeoDataFrame(
            {"line_type": ["red"], "road_class": ["branch"]}, geometry=[red], crs=CRS
        ),
        "projects": projects,
    }
    return tp.Town(
        name,
        layers=layers,
        population=population,
        absent_line_types=["green", "purple", "blue", "yellow"],
    )


@pytest.fixture(scope="module")
def county():
    return [
        tiny("A镇"),
        tiny("B镇", area_km2=0.5),  # score 25
        tiny("C镇", pct=(80, 100)),  # score 100, P1 not completed
        tiny("D镇", on_road=True),  # score 100, P1 on road land: rejected by the review
        tiny("E镇", population=500, invest=(150, 50), funds=((50, 50, 50), (10, 30, 10))),  # 75
    ]


@pytest.fixture(scope="module")
def accepted(county, standard):
    return acceptance(county, standard, fund_wan_yuan=100, as_of="2017-12-15")


# --- allocate ---------------------------------------------------------------------------------------
def test_allocate_by_weight_after_the_office_share():
    a = allocate([90, 60, 50], [True, True, False], fund_wan_yuan=1000, office_share_pct=1)
    assert a.office_wan_yuan == 10.0 and a.distributable_wan_yuan == 990.0
    assert a.subsidies_wan_yuan.tolist() == [594.0, 396.0, 0.0]  # 990 · 90/150, 990 · 60/150
    assert a.unallocated_wan_yuan == 0.0


def test_largest_remainder_ties_in_the_order_given():
    a = allocate([1, 1, 1], [True] * 3, fund_wan_yuan=1.0, office_share_pct=0)
    assert a.units.tolist() == [34, 33, 33]  # 100 units of 0.01 万元; the first in order gets 1
    assert a.subsidies_wan_yuan.tolist() == [0.34, 0.33, 0.33]
    b = allocate([1, 2], [True, True], fund_wan_yuan=1.0, office_share_pct=0)
    assert b.units.tolist() == [33, 67]  # 33.33 and 66.67: the larger remainder gets the unit


def test_office_share_rounds_half_up_to_a_unit():
    a = allocate([1], [True], fund_wan_yuan=0.5, office_share_pct=1)
    assert a.office_wan_yuan == 0.01 and a.subsidies_wan_yuan.tolist() == [0.49]


def test_nobody_eligible_leaves_the_fund_unallocated():
    a = allocate([100, 80], [False, False], fund_wan_yuan=2000, office_share_pct=1)
    assert a.subsidies_wan_yuan.tolist() == [0.0, 0.0]
    assert (a.office_wan_yuan, a.unallocated_wan_yuan) == (20.0, 1980.0)


@pytest.mark.parametrize(
    ("fund", "message"),
    [
        (-1, "finite amount ≥ 0"),
        (math.inf, "finite amount ≥ 0"),
        (1000.005, "not a whole number of payment units of 0.01 万元"),
        ("2000", "must be a number of 万元"),
        (True, "must be a number of 万元"),
    ],
)
def test_allocate_refuses_a_bad_fund(fund, message):
    with pytest.raises(TownPlanError, match=message):
        allocate([1], [True], fund_wan_yuan=fund, office_share_pct=1)


def test_allocate_refuses_a_missing_weight_of_an_eligible_town():
    with pytest.raises(TownPlanError, match="乙镇 shares the fund but its weight is nan"):
        allocate(
            [1, math.nan],
            [True, True],
            fund_wan_yuan=10,
            office_share_pct=1,
            names=["甲镇", "乙镇"],
        )
    # A town that does not share may have no weight.
    assert (
        allocate([1, math.nan], [True, False], fund_wan_yuan=10, office_share_pct=0).units[1] == 0
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 100, allow_nan=False), st.booleans()), min_size=1, max_size=12),
    st.integers(0, 10_000_000),
    st.floats(0, 100, allow_nan=False),
)
def test_subsidies_add_up_to_the_fund(towns, fund_units, office_pct):
    weights, eligible = zip(*towns, strict=True)
    a = allocate(
        list(weights), list(eligible), fund_wan_yuan=fund_units / 100, office_share_pct=office_pct
    )
    office = round(a.office_wan_yuan * 100)
    unallocated = round(a.unallocated_wan_yuan * 100)
    assert int(a.units.sum()) + office + unallocated == fund_units
    assert all(u == 0 for u, ok in zip(a.units, eligible, strict=True) if not ok)
    total = sum(Fraction(w) for w, ok in towns if ok)
    if total > 0:
        assert unallocated == 0
        distributable = fund_units - office
        for u, (w, ok) in zip(a.units, towns, strict=True):
            if ok:  # within one unit of the exact share
                assert abs(Fraction(int(u)) - distributable * Fraction(w) / total) < 1


# --- acceptance -------------------------------------------------------------------------------------
def test_county_table(accepted):
    c = accepted.county.set_index("town")
    # Scores: area (weight 3) and population (weight 1); A, C, D tie at 100 and go by name.
    assert c.index.tolist() == ["A镇", "C镇", "D镇", "E镇", "B镇"]
    assert c["rank"].tolist() == [1, 2, 3, 4, 5]
    assert c["score"].tolist() == [100.0, 100.0, 100.0, 75.0, 25.0]
    assert c["accepted"].to_dict() == {
        "A镇": True,
        "C镇": False,
        "D镇": False,
        "E镇": True,
        "B镇": False,
    }
    assert c.loc["C镇", "reason"] == "1 of 2 projects not completed (P1)"
    assert c.loc["D镇", "reason"] == "1 project(s) do not conform to the plan: P1 (reject)"
    assert c.loc["B镇", "reason"] == "score 25.0 below 60"
    assert c.loc["B镇", "reason_zh"] == "考核得分25.0低于60分"
    assert c["n_conforming"].tolist() == [2, 2, 1, 2, 2]
    assert c["n_targets_met"].tolist() == [2, 2, 2, 1, 1]


def test_subsidy_by_score_share_of_accepted_towns(accepted):
    c = accepted.county.set_index("town")
    # 100 万元 less 1 % = 99: A 99 · 100/175 = 56.5714…, E 99 · 75/175 = 42.4285…: in units of
    # 0.01 万元 5657 + 4242 = 9899, the last unit to the larger remainder (E).
    assert c["subsidy_wan_yuan"].to_dict() == {
        "A镇": 56.57,
        "C镇": 0.0,
        "D镇": 0.0,
        "E镇": 42.43,
        "B镇": 0.0,
    }
    f = accepted.fund
    assert (f["office_wan_yuan"], f["distributable_wan_yuan"]) == (1.0, 99.0)
    assert (f["allocated_wan_yuan"], f["unallocated_wan_yuan"], f["n_accepted"]) == (99.0, 0.0, 2)
    assert accepted.allocation.name == "score_share"


def test_matching_one_to_one(accepted):
    c = accepted.county.set_index("town")
    # A's own funds: 镇村户自筹 10 + 0, 镇政府自筹 20 + 20 = 50 < 56.57 required; E: 50+50+10+10 = 120.
    assert c.loc["A镇", ["matching_funds_wan_yuan", "matching_required_wan_yuan"]].tolist() == [
        50.0,
        56.57,
    ]
    assert c["matching_met"].iloc[[0, 3]].tolist() == [False, True]
    assert c["matching_met"].iloc[[1, 2, 4]].isna().all()  # no subsidy: nothing to match


def test_other_allocation_rules(county, standard):
    equal = acceptance(county, standard, fund_wan_yuan=100, allocation="equal").county
    assert equal.set_index("town")["subsidy_wan_yuan"].loc[["A镇", "E镇"]].tolist() == [49.5, 49.5]
    by_inv = acceptance(county, standard, fund_wan_yuan=100, allocation="investment_share").county
    # Investment completed: A 100, E 200 万元 → 99 · 1/3, 99 · 2/3.
    assert by_inv.set_index("town")["subsidy_wan_yuan"].loc[["A镇", "E镇"]].tolist() == [33.0, 66.0]
    with pytest.raises(DataFileError, match="unknown allocation rule 'by_score'"):
        acceptance(county, standard, fund_wan_yuan=100, allocation="by_score")


def test_no_town_accepted_nothing_paid(county, standard):
    a = acceptance([county[1], county[2]], standard, fund_wan_yuan=100)
    assert not a.county["accepted"].any()
    assert a.county["subsidy_wan_yuan"].tolist() == [0.0, 0.0]
    assert (a.fund["allocated_wan_yuan"], a.fund["unallocated_wan_yuan"]) == (0.0, 99.0)


def test_projects_and_targets_tables(accepted):
    p = accepted.projects
    d = p[p["town"] == "D镇"].set_index("project_id")
    assert d["verdict"].to_dict() == {"P1": "reject", "P2": "review"}
    assert d["conforms"].to_dict() == {"P1": False, "P2": True}
    t = accepted.targets
    assert t[t["town"] == "E镇"].set_index("key")["status"].to_dict() == {
        "built_up_area_km2": "pass",
        "population": "fail",
    }


def test_acceptance_record(accepted):
    rec = accepted.records["A镇"]
    assert rec["section_zh"].unique().tolist() == [
        "听汇报",
        "看项目",
        "查资料",
        "考核",
        "结论",
        "奖补",
    ]
    r = rec.set_index("item")
    assert r.loc["programme", "result"] == "2 projects, 100 万元"
    assert r.loc["completed", "result"] == "2/2" and r.loc["conforming", "result"] == "2/2"
    assert r.loc["approvals", "result"] == "1 to check"
    assert r.loc["approvals", "detail"].startswith("P2: review: inside 红线")
    assert r.loc["deadlines", "result"] == "0 overdue on 2017-12-15"
    assert r.loc["acceptance", "result"] == "accepted"
    assert r.loc["subsidy", "result"] == "56.57 万元"
    assert "requires 56.57 万元, own funds 50 万元: NOT met" in r.loc["subsidy", "detail"]
    c = accepted.records["C镇"].set_index("item")
    assert c.loc["completed", "detail"] == "not completed: P1 (80 %)"
    assert c.loc["acceptance", "detail_zh"] == "验收不合格:2个项目中1个未完工(P1)"


def test_reviews_given_are_used_and_checked(county, standard):
    reviews = {t.name: tp.review(t) for t in county}
    again = acceptance(county, standard, fund_wan_yuan=100, reviews=reviews)
    assert again.county["accepted"].sum() == 2
    with pytest.raises(TownPlanError, match="reviews given for towns not in the list: \\['X镇'\\]"):
        acceptance(county, standard, fund_wan_yuan=100, reviews={"X镇": reviews["A镇"]})
    wrong = tp.review(tp.sample_town())
    with pytest.raises(
        TownPlanError, match="the review given for 'A镇' does not cover its projects"
    ):
        acceptance(county, standard, fund_wan_yuan=100, reviews={"A镇": wrong})


def test_a_town_twice_is_refused(county, standard):
    with pytest.raises(TownPlanError, match=r"town name\(s\) \['A镇'\] given more than once"):
        acceptance([county[0], county[0]], standard, fund_wan_yuan=100)


def test_stricter_rules_from_a_file(county, standard, tmp_path):
    text = resources.files("townplan_gis.data").joinpath("programme.toml").read_text("utf-8")
    strict = tmp_path / "strict.toml"
    strict.write_text(
        text.replace('conforming_verdicts = ["pass", "review"]', 'conforming_verdicts = ["pass"]'),
        encoding="utf-8",
    )
    a = acceptance(county, standard, fund_wan_yuan=100, rules=strict)
    assert not a.county["accepted"].any()  # every town's road paving is graded review
    assert "P2 (review)" in a.county.set_index("town").loc["A镇", "reason"]


# --- the Weicheng sample ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def weicheng():
    return acceptance(tp.sample_towns("weicheng"), "weicheng-2017", fund_wan_yuan=1200)


def test_weicheng_acceptance_and_subsidies(weicheng):
    c = weicheng.county.set_index("town")
    assert c.index.tolist() == ["渭城镇", "窑店镇", "底张镇", "正阳镇", "周陵镇", "北杜镇"]
    assert c["accepted"].tolist() == [True, True, True, False, False, False]
    # 26, 22 and 18 of 26 targets: 1,188 万元 · 26/66, 22/66, 18/66.
    assert c["subsidy_wan_yuan"].tolist() == [468.0, 396.0, 324.0, 0.0, 0.0, 0.0]
    assert c["subsidy_wan_yuan"].sum() + weicheng.fund["office_wan_yuan"] == 1200.0
    # 底张 leans on subsidies: 5 % + 10 % of 1,720 万元 = 258 < 324.
    assert c.loc["底张镇", "matching_funds_wan_yuan"] == pytest.approx(258.0)
    assert c.loc["底张镇", "matching_met"] == False  # noqa: E712 (a pandas boolean)
    assert "ZY-04" in c.loc["正阳镇", "reason"]
    assert "BD-05 (reject)" in c.loc["北杜镇", "reason"]


def test_not_accepted_towns_get_nothing_under_the_default_rule(weicheng):
    c = weicheng.county
    assert (c.loc[~c["accepted"], "subsidy_wan_yuan"] == 0).all()
    assert (c.loc[c["accepted"], "subsidy_wan_yuan"] > 0).all()


# --- the competition --------------------------------------------------------------------------------
def ranks(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=["town", "rank", "score", "relative_gap_sum", "tie_break", "n_pass", "n_targets"],
    )


def test_league_over_years():
    lg = competition(
        {
            2015: ranks(("甲", 1, 90.0, 0.0, "", 9, 10), ("丙", 2, 50.0, 0.9, "", 5, 10)),
            2016: ranks(("甲", 1, 80.0, 0.1, "", 8, 10), ("乙", 2, 70.0, 0.3, "", 7, 10)),
            2017: ranks(("乙", 1, 90.0, 0.0, "", 9, 10), ("甲", 2, 80.0, 0.2, "", 8, 10)),
        },
        "weicheng-2017",
    )
    t = lg.league.set_index("town")
    # Latest rank first; 丙 did not take part in 2017 and comes after.
    assert t.index.tolist() == ["乙", "甲", "丙"]
    assert t["rank_2017"].tolist()[:2] == [1, 2] and pd.isna(t["rank_2017"]["丙"])
    assert t["rank_change"].tolist()[:2] == [1, -1] and pd.isna(t["rank_change"]["丙"])
    assert t["best_rank"].tolist() == [1, 1, 2]
    assert t["mean_score"].tolist() == pytest.approx([80.0, 250 / 3, 50.0])
    assert t["years"].tolist() == [2, 3, 1]
    assert lg.years == [2015, 2016, 2017]
    assert len(lg.rankings) == 6 and "relative_gap_sum" in lg.rank_rule


def test_competition_from_towns_uses_the_standard_weights_and_tie_breaks(standard):
    lg = competition(
        {
            2016: [tiny("甲镇", population=500), tiny("乙镇", area_km2=0.5)],
            2017: [tiny("甲镇"), tiny("乙镇", population=900)],
        },
        standard,
    )
    r = lg.rankings.set_index(["year", "town"])
    assert r.loc[(2016, "甲镇"), "score"] == 75.0 and r.loc[(2016, "乙镇"), "score"] == 25.0
    assert r.loc[(2017, "甲镇"), "score"] == 100.0 and r.loc[(2017, "乙镇"), "score"] == 75.0
    t = lg.league.set_index("town")
    assert t["rank_2016"].tolist() == [1, 2] and t["rank_change"].tolist() == [0, 0]
    # Equal scores are told apart by the relative gap sum: 乙 (population 900: 0.1) before
    # 丙 (population 500: 0.5), then by name.
    tied = competition(
        {2017: [tiny("丙镇", population=500), tiny("乙镇", population=900)]}, standard
    )
    assert tied.rankings[["town", "rank", "tie_break"]].values.tolist() == [
        ["乙镇", 1, "relative_gap_sum"],
        ["丙镇", 2, "relative_gap_sum"],
    ]


def test_competition_refuses_an_empty_year_and_a_bad_table(standard):
    with pytest.raises(TownPlanError, match="no years given"):
        competition({}, standard)
    with pytest.raises(TownPlanError, match="lacks columns \\['relative_gap_sum', 'tie_break'\\]"):
        competition({2017: pd.DataFrame({"town": ["甲"], "rank": [1], "score": [1.0]})}, standard)
    with pytest.raises(TownPlanError, match="no towns ranked in 2017"):
        competition({2017: []}, standard)


def test_allocation_is_exact_in_numpy_terms():
    a = allocate([1, 1, 1], [True] * 3, fund_wan_yuan=2000, office_share_pct=1)
    assert np.isclose(a.subsidies_wan_yuan.sum() + a.office_wan_yuan, 2000.0, atol=1e-9)
    assert a.units.tolist() == [66000, 66000, 66000]


def test_a_town_without_projects_is_not_accepted(standard):
    full = tiny("B镇")
    bare = tp.Town(
        "B镇",
        layers={k: v for k, v in full.layers.items() if k != "projects"},
        population=2000,
        absent_line_types=full.absent_line_types,
    )
    a = acceptance([tiny("A镇"), bare], standard, fund_wan_yuan=100)
    c = a.county.set_index("town")
    assert c.loc["B镇", "reason"] == "no projects layer: nothing to inspect"
    assert (c.loc["B镇", "subsidy_wan_yuan"], c.loc["A镇", "subsidy_wan_yuan"]) == (0.0, 99.0)
    assert a.records["B镇"].set_index("item").loc["acceptance", "detail_zh"] == (
        "验收不合格:无项目图层,无可验收项目"
    )
