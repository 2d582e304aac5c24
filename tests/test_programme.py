"""The programme table and its finance checks (townplan_gis.construction): every sum and check hand-computed."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

import townplan_gis as tp
from townplan_gis.construction import (
    load_programme_rules,
    parse_date,
    programme,
    project_table,
)
from townplan_gis.construction.rules import VERDICTS
from townplan_gis.core.errors import DataFileError, TownPlanError
from townplan_gis.fiveline.result import VERDICTS as REVIEW_VERDICTS

FUNDS = ["funding_self_raised_wan_yuan", "funding_subsidy_wan_yuan", "funding_town_gov_wan_yuan"]


def projects(**columns) -> gpd.GeoDataFrame:
    """A projects layer near Puzhou (EPSG:4546), one point per row; ids A, B, C …"""
    n = len(next(iter(columns.values())))
    columns.setdefault("project_id", [chr(ord("A") + i) for i in range(n)])
    columns.setdefault("project_type", ["road"] * n)
    geoms = [Point(437_000 + 10 * i, 3_855_000) for i in range(n)]
    return gpd.GeoDataFrame(columns, geometry=geoms, crs="EPSG:4546")


def findings(p, issue: str) -> pd.DataFrame:
    return p.findings[p.findings["issue"] == issue]


# --- rules -------------------------------------------------------------------------------------------
def test_packaged_rules_name_their_stages_sources_and_numbers():
    rules = load_programme_rules()
    assert rules.stage_codes == ["selected", "implementation", "showcase", "acceptance"]
    assert [s.complete for s in rules.stages] == [False, False, False, True]
    assert rules.funding_columns == FUNDS
    assert [f.matching for f in rules.funding] == [True, False, True]
    assert (rules.office_share_pct, rules.matching_ratio, rules.min_score) == (1.0, 1.0, 60.0)
    assert rules.conforming_verdicts == ("pass", "review")
    assert rules.default_allocation == "score_share"
    assert rules.allocation(None).only_accepted is True
    assert dict(rules.growth) == {"population_growth_pct": "population"}
    assert all(s.source.startswith("docs/sources.md#") for s in rules.stages)
    with pytest.raises(DataFileError, match="unknown allocation rule 'score_shares'"):
        rules.allocation("score_shares")


def test_the_verdicts_are_the_reviews():
    assert VERDICTS == REVIEW_VERDICTS


def test_stage_values_are_the_schema_domain():
    from townplan_gis.core.schema import aliases

    assert list(aliases()["values"]["stage"]) == load_programme_rules().stage_codes


# --- dates ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "2017-10-31",
        "2017/10/31",
        "2017.10.31",
        "2017年10月31日",
        "20171031",
        "2017-10-31 00:00:00",
        " 2017-10-31T08:30 ",
    ],
)
def test_accepted_date_forms(text):
    assert parse_date(text) == pd.Timestamp("2017-10-31")


@pytest.mark.parametrize("bad", ["10月底", "2017-02-30", "31/10/2017", "", None, 20171031])
def test_unreadable_dates_are_refused(bad):
    with pytest.raises(TownPlanError, match="is not a date"):
        parse_date(bad)


# --- funding ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def funded():
    layer = projects(
        investment_wan_yuan=[100.0, 80.0, 60.0, 40.0, None],
        funding_self_raised_wan_yuan=[20.0, None, None, 30.0, None],
        funding_subsidy_wan_yuan=[50.0, 50.0, None, 20.0, 10.0],
        funding_town_gov_wan_yuan=[30.0, None, None, None, None],
    )
    return programme(layer)


def test_funding_totals_and_gaps(funded):
    t = funded.projects
    total = t["funding_total_wan_yuan"]
    assert total.tolist()[:2] == [100.0, 50.0] and math.isnan(total[2]) and total[3] == 50.0
    assert total[4] == 10.0
    gap = t["funding_gap_wan_yuan"]
    assert gap[0] == 0.0 and gap[1] == 30.0 and math.isnan(gap[2]) and gap[3] == -10.0
    assert math.isnan(gap[4])  # no investment: no gap


def test_funding_findings(funded):
    short = findings(funded, "funding_short")
    assert short[["project_id", "amount_wan_yuan"]].values.tolist() == [["B", 30.0]]
    assert short["detail"].iloc[0] == (
        "B: sources add up to 50 万元 of its 80 万元: 30 万元 without a source."
    )
    assert short["detail_zh"].iloc[0] == "B:资金来源合计50万元,投资80万元,缺口30万元。"
    over = findings(funded, "funding_exceeds")
    assert over[["project_id", "amount_wan_yuan"]].values.tolist() == [["D", -10.0]]
    none = findings(funded, "no_funding")
    assert none[["project_id", "amount_wan_yuan"]].values.tolist() == [["C", 60.0]]
    assert findings(funded, "no_investment")["project_id"].tolist() == ["E"]


def test_totals_and_sources(funded):
    t = funded.totals
    assert t["investment_wan_yuan"] == 280.0  # A–D; E has none
    assert [t[c] for c in FUNDS] == [50.0, 130.0, 30.0]
    assert t["funding_total_wan_yuan"] == 210.0
    # Positive gaps (B: 30) and the investment of projects with no source (C: 60).
    assert t["unfunded_wan_yuan"] == 90.0
    src = funded.by_source.set_index("source")
    assert src["amount_wan_yuan"].tolist() == [50.0, 130.0, 30.0]
    assert src["share_pct"].tolist() == pytest.approx(
        [100 * 50 / 210, 100 * 130 / 210, 100 * 30 / 210]
    )
    assert src["n_projects"].tolist() == [2, 4, 1]
    assert src["label_zh"].tolist() == ["镇村户自筹", "上级补助", "镇政府自筹"]


def test_within_tolerance_is_equal():
    p = programme(projects(investment_wan_yuan=[100.0], funding_subsidy_wan_yuan=[99.995]))
    assert p.findings.empty or "funding_short" not in set(p.findings["issue"])
    p = programme(projects(investment_wan_yuan=[100.0], funding_subsidy_wan_yuan=[99.98]))
    assert findings(p, "funding_short")["amount_wan_yuan"].round(6).tolist() == [0.02]


# --- item totals ------------------------------------------------------------------------------------
def test_item_totals_reported_never_fixed():
    street = ("商业街改造工程", 2700.0, [860.0, 600.0, 238.0, 240.0, 180.0])
    rows = [(street[0], street[1], v) for v in street[2]]
    rows += [("Y", 100.0, 60.0), ("Y", 100.0, 50.0)]  # works exceed the declared total by 10
    rows += [("Z", 50.0, 20.0), ("Z", 50.0, 29.995)]  # equal within 0.01 万元
    rows += [("W", 10.0, 5.0), ("W", 20.0, 5.0)]  # two declared totals
    rows += [("V", None, 7.0)]  # no declared total
    rows += [("U", 30.0, 10.0), ("U", 30.0, None)]  # a work without investment
    rows += [(None, None, 380.0)]  # no item
    item, total, inv = zip(*rows, strict=True)
    layer = projects(
        programme_item=list(item), item_total_wan_yuan=list(total), investment_wan_yuan=list(inv)
    )
    p = programme(layer)
    by = p.by_item.set_index(p.by_item["programme_item"].fillna("(none)"))
    assert by.loc[
        "商业街改造工程", ["declared_total_wan_yuan", "works_total_wan_yuan", "gap_wan_yuan"]
    ].tolist() == [2700.0, 2118.0, 582.0]
    assert by["status"].to_dict() == {
        "商业街改造工程": "declared_exceeds_works",
        "Y": "works_exceed_declared",
        "Z": "balanced",
        "W": "conflicting_totals",
        "V": "no_declared_total",
        "U": "incomplete",
        "(none)": "no_item",
    }
    assert by.loc["Y", "gap_wan_yuan"] == pytest.approx(-10.0)
    assert by.loc["U", "works_total_wan_yuan"] == 10.0 and math.isnan(by.loc["U", "gap_wan_yuan"])
    assert math.isnan(by.loc["W", "declared_total_wan_yuan"])
    items = p.findings[p.findings["check"] == "item_totals"]
    assert items["issue"].tolist() == [
        "declared_exceeds_works",
        "works_exceed_declared",
        "conflicting_totals",
        "no_declared_total",
        "incomplete",
    ]
    assert items["amount_wan_yuan"].tolist()[:2] == pytest.approx([582.0, -10.0])
    assert items["detail"].iloc[0] == (
        "'商业街改造工程': declared 2,700 万元, its 5 works add up to 2,118 万元: 582 万元 more "
        "declared than listed."
    )
    assert (
        items["detail_zh"].iloc[0]
        == "「商业街改造工程」总投资2,700万元,5项分项合计2,118万元,多582万元。"
    )
    assert "(10, 20 万元)" in items["detail"].iloc[2]
    # Nothing changed: the projects keep their figures.
    assert p.projects["investment_wan_yuan"].sum() == pytest.approx(sum(v for v in inv if v))
    check = p.checks.set_index("check").loc["item_totals"]
    assert (check["status"], check["n_checked"], check["n_findings"]) == ("checked", 6, 5)


# --- deadlines and schedule -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dated():
    return projects(
        deadline=["2017-10-31", "2017-11-06", "2017-10-31", None, "2017-12-31", "2017-12-31"],
        start_date=[None, None, None, None, "2017-09-01", "2017-09-01"],
        completion_pct=[90.0, 50.0, 100.0, 50.0, 20.0, 40.0],
        investment_wan_yuan=[10.0] * 6,
        funding_subsidy_wan_yuan=[10.0] * 6,
    )


def test_overdue_against_the_date_given(dated):
    p = programme(dated, as_of="2017-11-06")
    t = p.projects
    assert t["overdue"].tolist() == [True, False, False, pd.NA, False, False]
    assert t["days_overdue"].tolist() == [6, 0, 0, pd.NA, 0, 0]
    # E: 66 of 121 days from start to deadline have passed: 54.5 % expected, 20 % done.
    assert t["expected_pct"][4] == pytest.approx(100 * 66 / 121)
    assert t["behind_points"][4] == pytest.approx(100 * 66 / 121 - 20)
    assert t["behind_schedule"].tolist()[4:] == [True, False]  # F: 14.5 points behind, < 20
    assert findings(p, "overdue")[["project_id", "days"]].values.tolist() == [["A", 6]]
    assert findings(p, "overdue")["detail"].iloc[0] == (
        "A: deadline 2017-10-31 passed 6 days before 2017-11-06; 90 % complete."
    )
    assert findings(p, "no_deadline")["project_id"].tolist() == ["D"]
    assert findings(p, "behind_schedule")["project_id"].tolist() == ["E"]
    check = p.checks.set_index("check").loc["deadlines"]
    assert (check["status"], check["n_checked"]) == ("checked", 5)
    assert "1 projects without a deadline" in check["note"]


def test_no_as_of_no_deadline_check_and_it_says_so(dated):
    p = programme(dated)
    assert p.projects["overdue"].isna().all() and p.projects["days_overdue"].isna().all()
    assert not (p.findings["check"] == "deadlines").any()
    check = p.checks.set_index("check").loc["deadlines"]
    assert check["status"] == "not_checked" and "no as_of date given" in check["note"]


def test_the_clock_is_never_read(dated, monkeypatch):
    import datetime as dt

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            raise AssertionError("the wall clock was read")

    monkeypatch.setattr(dt, "datetime", Frozen)
    assert programme(dated, as_of="2017-11-06").as_of == pd.Timestamp("2017-11-06")


# --- completion, stages, status ---------------------------------------------------------------------
def test_completion_stage_and_status():
    layer = projects(
        investment_wan_yuan=[100.0, 100.0, 100.0, 100.0, 100.0],
        completion_pct=[80.0, 80.0, 30.0, None, None],
        stage=["验收", "实施", "实施", "实施", "观摩"],
        status=["在建", "完工", "计划", "计划", "完工"],
    )
    p = programme(layer)
    t = p.projects
    assert t["stage"].tolist() == [
        "acceptance",
        "implementation",
        "implementation",
        "implementation",
        "showcase",
    ]
    assert t["stage_zh"].tolist() == ["验收", "实施", "实施", "实施", "观摩"]
    # Completed at 100 %, or by status when no % is given (E).
    assert t["completed"].tolist() == [False, False, False, False, True]
    assert t["completed_investment_wan_yuan"].tolist()[:3] == [80.0, 80.0, 30.0]
    assert math.isnan(t["completed_investment_wan_yuan"][3])
    assert t["completed_investment_wan_yuan"][4] == 100.0
    assert findings(p, "stage_incomplete")["project_id"].tolist() == ["A"]
    assert findings(p, "status_conflict")["project_id"].tolist() == ["B", "C"]
    assert findings(p, "no_completion")["project_id"].tolist() == ["D"]
    stages = p.by_stage
    assert stages["stage"].tolist() == ["selected", "implementation", "showcase", "acceptance"]
    assert stages["n_projects"].tolist() == [0, 3, 1, 1]
    assert stages["investment_wan_yuan"].tolist() == [0.0, 300.0, 100.0, 100.0]
    assert stages["completed_investment_wan_yuan"].tolist() == [0.0, 110.0, 100.0, 80.0]
    assert p.totals["n_completed"] == 1 and p.totals["completed_investment_wan_yuan"] == 290.0


def test_projects_without_stage_are_a_row_of_their_own():
    p = programme(projects(investment_wan_yuan=[5.0, 7.0], stage=["实施", None]))
    stages = p.by_stage["stage"].tolist()
    assert stages[:4] == ["selected", "implementation", "showcase", "acceptance"]
    assert pd.isna(stages[4])
    assert p.by_stage["label_zh"].iloc[-1] == "(未填)"
    assert p.by_stage["investment_wan_yuan"].tolist() == [0.0, 5.0, 0.0, 0.0, 7.0]


def test_chinese_table_read_through_the_aliases():
    week = pd.DataFrame(
        {
            "项目编号": ["P1", "P2"],
            "项目类型": ["道路", "绿化"],
            "投资": ["860万元", 600],
            "所属工程": ["商业街改造工程", "商业街改造工程"],
            "工程总投资": [2700, 2700],
            "上级补助": [500, 400],
            "镇政府自筹": [360, 200],
            "建设阶段": ["观摩", "实施"],
            "开工时间": ["2017年3月1日", "2017/03/01"],
            "完工期限": ["2017.10.31", "20171031"],
            "完成进度": ["100%", " 85 % "],
        }
    )
    t = project_table(week, as_of="2017-11-01")
    assert t["investment_wan_yuan"].tolist() == [860.0, 600.0]
    assert t["completion_pct"].tolist() == [100.0, 85.0]
    assert t["deadline"].tolist() == [pd.Timestamp("2017-10-31")] * 2
    assert t["start_date"].tolist() == [pd.Timestamp("2017-03-01")] * 2
    assert t["days_overdue"].tolist() == [0, 1]
    assert "完成进度→completion_pct" in t.attrs["repairs"]["detail"].iloc[0]
    assert t.index.equals(week.index)  # aligned to the input


def test_caller_frame_not_modified():
    layer = projects(investment_wan_yuan=[1.0], completion_pct=[50.0], deadline=["2017-10-31"])
    before = layer.copy()
    programme(layer, as_of="2017-11-06")
    pd.testing.assert_frame_equal(layer, before)


def test_index_labels_are_kept():
    layer = projects(investment_wan_yuan=[1.0, 2.0]).set_index(pd.Index([10, 20]))
    p = programme(layer)
    assert p.projects.index.tolist() == [10, 20]
    assert findings(p, "no_funding")["row"].tolist() == [10, 20]


def test_a_town_without_projects_is_refused():
    town = tp.Town(
        "空镇",
        layers={
            "builtup": gpd.GeoDataFrame(
                geometry=[Point(437_000, 3_855_000).buffer(100)], crs="EPSG:4546"
            )
        },
    )
    with pytest.raises(TownPlanError, match="town '空镇' has no projects layer"):
        programme(town)


# --- the sample town --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def puzhou():
    return programme(tp.sample_town(), as_of="2017-11-06")


def test_puzhou_commercial_street_and_tourism_items(puzhou):
    by = puzhou.by_item.set_index("programme_item")
    street = by.loc["商业街改造工程"]
    assert (street["declared_total_wan_yuan"], street["works_total_wan_yuan"]) == (2700.0, 2118.0)
    assert (street["n_projects"], street["gap_wan_yuan"]) == (5, 582.0)
    assert by.loc["旅游景区提升工程", "declared_total_wan_yuan"] == 8800.0
    assert puzhou.town == "蒲州镇"


def test_puzhou_checks_find_what_the_sample_plants(puzhou):
    assert findings(puzhou, "no_funding")["project_id"].tolist() == ["P07-8"]
    assert findings(puzhou, "funding_short")[["project_id", "amount_wan_yuan"]].values.tolist() == [
        ["P06-6", 20.0]
    ]
    late = findings(puzhou, "overdue")
    assert (late["days"] == 6).all() and "P01" not in set(late["project_id"])  # P01: end of year
    assert set(puzhou.checks["status"]) == {"checked"}
