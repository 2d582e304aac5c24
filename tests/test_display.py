"""Rich notebook displays: Town, Review and Scorecard as coloured, escaped HTML; the shared formatter."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from report_helpers import EVIL, fake_review, scorecard, tiny_town

import townplan_gis as tp
from townplan_gis.core.reprs import (
    COLOURS,
    Scorecard,
    as_scorecard,
    badge,
    fmt_number,
    label,
    localised,
    review_html,
    scorecard_html,
    town_html,
    worst_conflicts,
)


@pytest.fixture(scope="module")
def town():
    return tiny_town()


def test_fmt_number():
    assert fmt_number(12600.0, "persons") == "12,600"
    assert fmt_number(3.0, "count") == "3"
    assert fmt_number(15.126, "%") == "15.1"
    assert fmt_number(2.3175, "km2") == "2.32"
    assert fmt_number(1234.5) == "1,234.50"
    assert fmt_number(float("nan")) == "—"
    assert fmt_number(None) == "—"
    assert fmt_number(pd.NA) == "—"
    assert fmt_number("[60, 80]") == "[60, 80]"  # a range target stays text


def test_badge_escapes_and_colours():
    html = badge("verdict", "reject", "zh")
    assert "不予通过" in html and COLOURS["verdict"]["reject"] in html
    assert "&lt;b&gt;" in badge("status", "<b>", "en")


def test_town_html(town):
    html = town._repr_html_()
    assert html == town_html(town)
    assert EVIL not in html and "测试镇&lt;script&gt;" in html
    assert "4.00 km²" in html and "1.00 km²" in html  # 2 km × 2 km boundary, 1 km × 1 km built-up
    assert "10,000" in html and "EPSG:4546" in html
    for kind in ("boundary", "roads", "control_lines", "projects"):
        assert f"<td>{kind}</td>" in html
    assert "数据修复与变更" in html  # the alias renames and reprojection are listed
    en = town_html(town, lang="en")
    assert "Layers" in en and "Population" in en


def count_unions(monkeypatch) -> list:
    """Record each dissolve of a layer (GeoSeries.union_all) made from now on."""
    calls: list = []
    real = gpd.GeoSeries.union_all

    def counting(self, *args, **kwargs):
        calls.append(len(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(gpd.GeoSeries, "union_all", counting)
    return calls


def test_town_html_measures_each_area_once(monkeypatch):
    town = tiny_town()
    calls = count_unions(monkeypatch)
    first = town_html(town)
    assert len(calls) == 2  # boundary and built-up, once each
    assert town_html(town) == first and town_html(town, lang="en").count("km²") == 2
    assert len(calls) == 2  # redisplaying the town dissolves nothing again
    assert "4.00 km²" in first and "1.00 km²" in first


def test_town_html_reuses_the_built_up_area_of_the_indicators(monkeypatch):
    town = tiny_town()
    value = tp.town_indicators(town).set_index("key").loc["built_up_area_km2", "value"]
    assert value == pytest.approx(1.0)
    calls = count_unions(monkeypatch)
    html = town_html(town)
    assert len(calls) == 1  # the boundary only: the built-up area came from the indicators
    assert "1.00 km²" in html and "4.00 km²" in html


def test_town_html_many_repairs_truncated(town):
    n = len(town.repairs)
    html = town_html(town, max_repairs=0)
    assert f"… {n} 条未显示(见 town.repairs)" in html


def test_review_html():
    rv = fake_review()
    html = review_html(rv)
    # verdict counts, each with its colour: 1 pass, 1 review, 1 reject, 0 invalid
    for v in ("pass", "review", "reject", "invalid"):
        assert COLOURS["verdict"][v] in html
    assert "</span> 1" in html and "</span> 0" in html
    assert EVIL not in html
    # worst first: the forbidden blue-line conflict heads the table; the sliver is not listed
    worst = worst_conflicts(rv.conflicts)
    assert list(worst["project_id"]) == ["P1", "P3"]
    assert html.index("P1") < html.index("P3")
    assert "忽略的碎片 1" in html
    assert "EPSG:4546" in html


def test_review_repr_html_on_real_review():
    town = tp.sample_town()
    rv = tp.review(town.projects, town.control_lines, progress=False)
    html = rv._repr_html_()
    counts = rv.verdict_counts()
    assert f"{len(rv.projects)} 个项目" in html
    assert f"</span> {counts['reject']}" in html


def test_scorecard_html_colours_rows():
    html = scorecard_html(scorecard())
    assert html.count("#fdecec") == 2  # two fail rows tinted red
    assert html.count("#e9f7ee") == 1  # one pass row tinted green
    assert "≥ 30.0" in html and "15.1" in html
    assert EVIL not in html


def test_scorecard_is_a_dataframe():
    sc = as_scorecard(scorecard())
    assert isinstance(sc, pd.DataFrame) and isinstance(sc, Scorecard)
    pd.testing.assert_frame_equal(pd.DataFrame(sc), scorecard())
    assert "未达标" in sc._repr_html_()
    # slicing keeps the type; frames without the scorecard columns fall back to pandas' table
    assert isinstance(sc[sc["status"] == "pass"], Scorecard)
    assert "<table" in sc[["key"]]._repr_html_() and "未达标" not in sc[["key"]]._repr_html_()
    assert sc["value"].sum() == pytest.approx(19.123)
    assert math.isnan(sc.loc[3, "value"])


def test_assess_returns_scorecard_with_standard():
    card = tp.assess(tp.sample_town(), "ezhou-2017")
    assert isinstance(card, Scorecard)
    assert card.attrs["standard"] == "ezhou-2017"
    html = card._repr_html_()
    assert "ezhou-2017" in html
    n_fail = int((card["status"] == "fail").sum())
    assert html.count('style="background:#fdecec"') == n_fail


def test_display_language_option(town):
    try:
        tp.options.lang = "en"
        assert "Layers" in town._repr_html_()
    finally:
        tp.options.lang = "zh"
    with pytest.raises(tp.TownPlanError, match="'zh' or 'en', got 'fr'"):
        tp.options.lang = "fr"
    with pytest.raises(AttributeError):
        tp.options.colour = "red"


def test_empty_review():
    rv = fake_review()
    rv.conflicts = rv.conflicts.iloc[0:0]
    html = review_html(rv)
    assert "没有冲突" in html


def test_worst_conflicts_orders_by_grade_then_area():
    cf = pd.DataFrame(
        {
            "grade": ["notice", "review", "forbidden", "review"],
            "overlap_area_m2": [500.0, 10.0, 1.0, 20.0],
            "overlap_length_m": [0.0, 0.0, 0.0, 0.0],
            "ignored": [False, False, False, np.False_],
        }
    )
    assert list(worst_conflicts(cf).index) == [2, 3, 1, 0]


def test_label_and_localised_texts():
    assert label("grade", "forbidden", "zh") == "禁止"
    assert label("grade", float("nan"), "zh") == ""  # a project without conflicts has no grade
    assert label("grade", "unheard-of", "en") == "unheard-of"
    frame = pd.DataFrame(
        {
            "clause": ["第十三条", "第十条", "第五条"],
            "clause_en": ["Art. 13", "", None],
            "reason": ["inside", "near", "far"],
            "reason_zh": ["区内", None, ""],
        }
    )
    before = frame.copy()
    en = localised(frame, "en")
    assert en["clause"].tolist() == [
        "Art. 13",
        "第十条",
        "第五条",
    ]  # missing/empty: keep the original
    assert en["reason"].tolist() == ["inside", "near", "far"]
    zh = localised(frame, "zh")
    assert zh["reason"].tolist() == ["区内", "near", "far"]
    assert zh["clause"].tolist() == ["第十三条", "第十条", "第五条"]
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is untouched


def test_review_html_english_procedure_falls_back_to_chinese():
    rv = fake_review()
    # P1 has an English procedure; P3's is missing (NaN): its Chinese procedure is shown, not a blank.
    rv.conflicts = rv.conflicts.assign(procedure_en=["No occupation of water", np.nan, np.nan])
    html = review_html(rv, lang="en")
    assert "No occupation of water" in html and "不得占用水域" not in html
    assert "报市政工程行政主管部门审批" in html
    assert "(2 / 2; ignored slivers: 1)" in html
