"""The Pipeline: each product computed once (counted), nothing before it is asked for, the same numbers
as the plain functions, products given never recomputed, and no standard picked silently."""

from __future__ import annotations

import importlib
import sys

import openpyxl
import pandas as pd
import pytest
from report_helpers import EVIL, fake_review, tiny_town

import townplan_gis as tp
from townplan_gis.cli import main

# Where each product is made. Every review, whatever path it came by, is assembled by
# engine.build_review once; plan_map draws one map; town_indicators computes the indicator table;
# the park service coverage and the life circles (shown in the report, the map and the indicators)
# are measured by their two functions.
COUNTED = {
    "review": ("townplan_gis.fiveline.engine", "build_review"),
    "indicators": ("townplan_gis.indicators.table", "town_indicators"),
    "map": ("townplan_gis.maps.plan", "plan_map"),
    "park": ("townplan_gis.indicators.service", "park_service_coverage"),
    "circles": ("townplan_gis.indicators.service", "life_circles"),
}


@pytest.fixture
def calls(monkeypatch):
    """``{product: [kwargs of each call]}``, counted wherever the package holds the function."""
    seen: dict[str, list[dict]] = {name: [] for name in COUNTED}
    for name, (module, attr) in COUNTED.items():
        real = getattr(importlib.import_module(module), attr)

        def spy(*args, _real=real, _name=name, **kwargs):
            seen[_name].append(kwargs)
            return _real(*args, **kwargs)

        # Every module that imported the function holds its own binding, under any name: patch
        # each of them.
        for mod in list(sys.modules.values()):
            if getattr(mod, "__name__", "").startswith("townplan_gis"):
                for key, value in list(vars(mod).items()):
                    if value is real:
                        monkeypatch.setattr(mod, key, spy)
    return seen


def counts(calls) -> dict[str, int]:
    return {name: len(v) for name, v in calls.items()}


@pytest.fixture(scope="module")
def town():
    return tiny_town()


def test_the_counter_counts(calls, town):
    """The spies must see a plain call, or every count below would pass by seeing nothing."""
    tp.town_indicators(town)
    tp.plan_map(town, basemap="none")
    tp.review(town)
    sample = tp.sample_town()  # the tiny town has no residential quarters: nothing to cover
    tp.park_service_coverage(sample)
    tp.life_circles(sample)
    assert counts(calls) == {"review": 1, "indicators": 1, "map": 1, "park": 1, "circles": 1}


def test_nothing_is_computed_until_asked(calls, town):
    job = tp.Pipeline(town, standard="ezhou-2017")
    assert job.computed == [] and counts(calls) == {
        "review": 0,
        "indicators": 0,
        "map": 0,
        "park": 0,
        "circles": 0,
    }
    assert "not yet" in repr(job)
    _ = job.indicators
    assert job.computed == ["indicators"]
    assert counts(calls) == {"review": 0, "indicators": 1, "map": 0, "park": 0, "circles": 0}


def test_each_product_is_computed_once(calls, town, tmp_path):
    job = tp.Pipeline(town, standard="ezhou-2017", basemap="none")
    for _ in range(2):
        _ = job.scorecard, job.indicators, job.review
        job.write_report(tmp_path / "r.html")
        job.write_workbook(tmp_path / "w.xlsx")
        job.write_opinions(tmp_path / "op")
        job.write_map(tmp_path / "m.html")
    # The report's map (collapsed layer list) and the web map: two maps, each drawn once.
    assert counts(calls) == {"review": 1, "indicators": 1, "map": 2, "park": 0, "circles": 0}
    assert sorted(c.get("collapse_layer_control", False) for c in calls["map"]) == [False, True]
    assert job.map() is job.web_map is job.map(basemap="none", lang="zh")


def test_the_demo_reviews_once_computes_the_indicators_once_and_draws_each_map_once(
    calls, tmp_path, capsys
):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    assert counts(calls)["review"] == 1
    assert counts(calls)["indicators"] == 1
    # The sample town's park service coverage and life circles: in its indicators, its report
    # and its map, measured once each.
    assert counts(calls)["park"] == 1 and counts(calls)["circles"] == 1
    # map.html (OpenStreetMap, written by the map step and again with the deliverables) and the
    # report's embedded map (no basemap): each drawn once.
    drawn = sorted((c["basemap"], c.get("collapse_layer_control", False)) for c in calls["map"])
    assert drawn == [("none", True), ("osm", False)]
    out = capsys.readouterr().out
    assert "== plan map, with its review ==" in out and "review verdicts: " in out


def test_the_same_numbers_as_the_plain_functions(town):
    job = tp.Pipeline(town, standard="ezhou-2017")
    pd.testing.assert_frame_equal(job.indicators, tp.town_indicators(town))
    pd.testing.assert_frame_equal(job.scorecard, tp.assess(town, "ezhou-2017"))
    plain = tp.review(town)
    pd.testing.assert_frame_equal(job.review.projects, plain.projects)
    pd.testing.assert_frame_equal(job.review.conflicts, plain.conflicts)
    values = job.indicators.set_index("key")["value"]
    assert values["built_up_area_km2"] == pytest.approx(1.0)  # 1 km × 1 km
    # one 1 km road through a 1 km² built-up area: 1 km/km²
    assert values["road_network_density_km_per_km2"] == pytest.approx(1.0)
    # P1, 100 m × 100 m wholly inside the 200 m × 200 m blue line: rejected, 10,000 m²
    p1 = job.review.conflicts[job.review.conflicts["project_id"] == "P1"]
    assert job.review.projects.set_index("project_id").loc["P1", "verdict"] == "reject"
    assert p1["overlap_area_m2"].max() == pytest.approx(10_000.0)


def test_no_standard_is_picked_silently(town, tmp_path):
    job = tp.Pipeline(town)
    with pytest.raises(tp.TownPlanError, match="no standard chosen") as exc:
        _ = job.scorecard
    assert "ezhou-2017" in str(exc.value) and "does not pick" in str(exc.value)
    # Without a standard the deliverables say so and carry no scorecard.
    page = job.write_report(map=False)
    assert "未指定评价标准" in page
    book = openpyxl.load_workbook(job.write_workbook(tmp_path / "w.xlsx"))
    assert "达标评分" not in book.sheetnames and "指标" in book.sheetnames
    assert "no standard chosen" in repr(job)


def test_products_given_are_never_recomputed(calls, town):
    indicators = tp.town_indicators(town)
    rv = fake_review(town)
    card = tp.assess(indicators, "ezhou-2017")
    calls["indicators"].clear()
    page = tp.report(town, indicators=indicators, scorecard=card, review=rv, map=False)
    assert counts(calls) == {"review": 0, "indicators": 0, "map": 0, "park": 0, "circles": 0}
    # the standard is scored from the indicators given, not from a second indicator run
    tp.report(town, standard="ezhou-2017", indicators=indicators, map=False)
    assert counts(calls)["indicators"] == 0
    job = tp.Pipeline(town, review=rv, indicators=indicators)
    assert job.review is rv and job.indicators is indicators
    assert job.given == ["indicators", "review"] and "given" in job._repr_html_()
    # the fake review's P1 verdict is on the page: the review given, not a new one
    assert page.count('class="verdict-reject"') >= 1


def test_report_keeps_its_review_choices(calls, town, caplog):
    tp.report(town, map=False)  # review=None: no review section, as before the pipeline
    assert counts(calls)["review"] == 0
    tp.report(town, review=True, map=False)
    assert counts(calls)["review"] == 1
    bare = tp.Town("无项目镇", layers={"boundary": town.boundary}, crs=town.crs)
    with caplog.at_level("WARNING"):
        page = tp.report(bare, review=True, map=False)
    assert "no review section" in caplog.text and "未进行五线审查" in page


def test_review_left_out_or_missing_is_said(town, tmp_path):
    job = tp.Pipeline(town, review=False)
    assert not job.includes_review and "left out" in repr(job)
    with pytest.raises(tp.TownPlanError, match="review=False"):
        job.write_opinions(tmp_path / "op")
    bare = tp.Town("无项目镇", layers={"boundary": town.boundary}, crs=town.crs)
    job = tp.Pipeline(bare)
    assert not job.includes_review
    with pytest.raises(tp.MissingLayerError, match="'projects' layer"):
        _ = job.review


def test_bad_arguments_fail_at_once(town):
    with pytest.raises(tp.TownPlanError, match="needs a Town"):
        tp.Pipeline(town.projects)
    with pytest.raises(tp.TownPlanError, match="unknown indicator option"):
        tp.Pipeline(town, indicator_options={"coverage_distance": 200})
    with pytest.raises(tp.TownPlanError, match="cannot change the indicators"):
        tp.Pipeline(town, indicators=pd.DataFrame(), indicator_options={"coverage_distance_m": 200})
    with pytest.raises(tp.DataFileError, match="nope-1999"):
        tp.Pipeline(town, standard="nope-1999")
    with pytest.raises(tp.TownPlanError, match="lang"):
        tp.Pipeline(town, lang="fr")
    with pytest.raises(tp.TownPlanError, match="Pipeline arguments"):
        tp.Pipeline(town, review_options={"rules": "x.toml"})


def test_indicator_options_reach_the_indicators(town):
    def coverage(job):
        return job.indicators.set_index("key").loc["road_coverage_pct", "value"]

    # The 1 km road across the 1 km² built-up area covers a band 2d wide: 2 × 20 m × 1 km = 4 %,
    # 2 × 150 m × 1 km = 30 % (the default d).
    assert coverage(tp.Pipeline(town, indicator_options={"coverage_distance_m": 20})) == (
        pytest.approx(4.0)
    )
    assert coverage(tp.Pipeline(town)) == pytest.approx(30.0)


def test_the_notebook_display_escapes_and_tells_what_is_computed(town):
    job = tp.Pipeline(town, standard="ezhou-2017")
    _ = job.scorecard
    shown = job._repr_html_()
    assert EVIL not in shown and "&lt;script&gt;" in shown
    assert "computed" in shown and "not yet" in shown and "ezhou-2017: pass" in shown


def test_a_map_key_never_shows_and_maps_do_not_take_another_review(town):
    job = tp.Pipeline(town, basemap="none", review=False)
    job.map(tianditu_key="secret-key-123")
    assert "secret-key-123" not in repr(job) + job._repr_html_()
    assert job.map(tianditu_key="secret-key-123") is job.map(tianditu_key="secret-key-123")
    assert job.map(tianditu_key="other") is not job.map(tianditu_key="secret-key-123")
    with pytest.raises(tp.TownPlanError, match=r"tp\.plan_map"):
        job.map(review=fake_review(town))
