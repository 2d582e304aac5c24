"""The weekly progress report (周报) over dated snapshots: what moved, what is late, investment done."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

import townplan_gis as tp
from townplan_gis.construction import progress
from townplan_gis.core.errors import TownPlanError


def week(rows: dict[str, tuple]) -> pd.DataFrame:
    """A weekly report table: project id → (investment 万元, completion %, stage, deadline)."""
    ids = list(rows)
    inv, pct, stage, deadline = zip(*rows.values(), strict=True)
    return pd.DataFrame(
        {
            "项目编号": ids,
            "项目类型": "道路",
            "投资": inv,
            "完成进度": pct,
            "建设阶段": stage,
            "完工期限": deadline,
        }
    )


D = "2017-10-31"
FIRST = week(
    {
        "A": (100.0, 80.0, "实施", D),
        "B": (300.0, 50.0, "实施", D),
        "D": (20.0, 0.0, "确定项目", D),
        "E": (10.0, 60.0, "实施", D),
        "F": (40.0, 100.0, "实施", D),
    }
)
SECOND = week(
    {
        "A": (100.0, 100.0, "实施", D),  # completed
        "B": (300.0, 60.0, "实施", D),  # advanced 10 points
        "C": (50.0, 10.0, "实施", D),  # added
        "E": (10.0, 50.0, "实施", D),  # regressed
        "F": (40.0, 100.0, "观摩", D),  # stage only
    }
)  # D removed


@pytest.fixture(scope="module")
def report():
    # Given newest first: the report sorts by date; the dates in two of the accepted forms.
    return progress({"2017年11月3日": SECOND, "2017-10-27": FIRST})


def test_dates_sorted_and_investment_completed(report):
    assert report.dates == [pd.Timestamp("2017-10-27"), pd.Timestamp("2017-11-03")]
    w = report.weekly
    # 27 Oct: 100·0.8 + 300·0.5 + 0 + 10·0.6 + 40 = 276; 3 Nov: 100 + 180 + 5 + 5 + 40 = 330.
    assert w["completed_investment_wan_yuan"].tolist() == [276.0, 330.0]
    assert w["investment_wan_yuan"].tolist() == [470.0, 500.0]
    assert w["completed_investment_pct"].tolist() == pytest.approx([100 * 276 / 470, 66.0])
    assert pd.isna(w["completed_investment_added_wan_yuan"][0])
    assert w["completed_investment_added_wan_yuan"][1] == 54.0
    assert w["n_completed"].tolist() == [1, 2]
    # 3 Nov is past the 31 Oct deadline: B, C and E are overdue (A and F are complete).
    assert w["n_overdue"].tolist() == [0, 3]
    assert pd.isna(w["n_moved"][0])  # nothing to compare the first snapshot with
    assert w.loc[1, ["n_moved", "n_added", "n_removed", "n_regressed"]].tolist() == [6, 1, 1, 1]


def test_what_moved(report):
    m = report.moved.set_index("project_id")
    assert m["change"].to_dict() == {
        "A": "completed",
        "B": "advanced",
        "C": "added",
        "D": "removed",
        "E": "regressed",
        "F": "stage",
    }
    assert m.loc["B", ["completion_from", "completion_to", "delta_points"]].tolist() == [50, 60, 10]
    assert m.loc["F", ["stage_from", "stage_to"]].tolist() == ["implementation", "showcase"]
    assert m["completed_investment_added_wan_yuan"].to_dict() == {
        "A": 20.0,
        "B": 30.0,
        "C": 5.0,
        "D": 0.0,
        "E": -1.0,
        "F": 0.0,
    }
    # The moves add up to the change in investment completed.
    assert m["completed_investment_added_wan_yuan"].sum() == 54.0


def test_what_is_late_and_the_week_report(report):
    late = report.late
    assert late["date"].unique().tolist() == [pd.Timestamp("2017-11-03")]
    assert late[["project_id", "why", "days_overdue"]].values.tolist() == [
        ["B", "overdue", 3],
        ["C", "overdue", 3],
        ["E", "overdue", 3],
    ]
    week_report = report.report()  # the latest
    assert list(week_report) == ["summary", "moved", "late"]
    assert len(week_report["summary"]) == 1 and len(week_report["moved"]) == 6
    assert report.report("2017-10-27")["moved"].empty
    with pytest.raises(TownPlanError, match="no snapshot on 2017-10-20"):
        report.report("2017-10-20")


def test_list_of_pairs_is_the_same_as_a_mapping(report):
    again = progress([("2017-10-27", FIRST), ("2017-11-03", SECOND)])
    pd.testing.assert_frame_equal(again.weekly, report.weekly)
    pd.testing.assert_frame_equal(again.moved, report.moved)


def test_one_snapshot_is_a_report_with_nothing_moved():
    one = progress({"2017-10-27": FIRST})
    assert one.moved.empty and one.weekly["n_moved"].isna().all()


def test_behind_schedule_on_the_straight_line():
    table = week({"A": (100.0, 10.0, "实施", "2017-12-31")}).assign(开工时间="2017-09-01")
    p = progress({"2017-11-06": table})
    # 66 of 121 days gone: 54.5 % expected, 10 % done (44.5 points behind > 20).
    assert p.late[["project_id", "why"]].values.tolist() == [["A", "behind_schedule"]]
    assert p.late["expected_pct"].iloc[0] == pytest.approx(100 * 66 / 121)


def town(name: str, pct: float) -> tp.Town:
    layer = gpd.GeoDataFrame(
        {"project_id": ["A"], "project_type": ["road"], "completion_pct": [pct]},
        geometry=[Point(437_000, 3_855_000)],
        crs="EPSG:4546",
    )
    builtup = gpd.GeoDataFrame(
        geometry=[box(436_900, 3_854_900, 437_100, 3_855_100)], crs="EPSG:4546"
    )
    return tp.Town(name, layers={"projects": layer, "builtup": builtup})


def test_towns_as_snapshots_name_the_town():
    p = progress({"2017-10-27": town("蒲州镇", 40), "2017-11-03": town("蒲州镇", 60)})
    assert p.town == "蒲州镇"
    assert p.moved["delta_points"].tolist() == [20.0]


def test_sample_town_two_snapshots():
    now = tp.sample_town()
    earlier = now.projects.copy()
    earlier["completion_pct"] = (earlier["completion_pct"] - 10).clip(lower=0)
    p = progress({"2017-10-13": now.with_layer("projects", earlier), "2017-10-20": now})
    assert p.town == "蒲州镇"
    moved = p.moved
    # Every project below 10 % did not move (P07-8 at 0 %); the others advanced 10 points.
    assert set(moved["change"]) <= {"advanced", "completed"}
    assert (moved["delta_points"] == 10).all()
    assert len(moved) == int((now.projects["completion_pct"] >= 10).sum())
