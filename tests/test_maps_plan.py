"""plan_map / explore: layers, styles, popups, review overlays, size controls (no browser)."""

from __future__ import annotations

import html
import json
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from maps_helpers import CRS, X0, Y0, fake_review, sq, tiny_town

import townplan_gis as tp
from townplan_gis.core.errors import MissingLayerError, TownPlanError
from townplan_gis.core.vocab import COLOURS
from townplan_gis.maps.layers import display_frame, js_literal, to_display
from townplan_gis.maps.legend import LegendGroup, legend_html
from townplan_gis.maps.offline import render_html
from townplan_gis.maps.styles import classify, layer_label


def layer_data(html: str, layer_id: str) -> tuple[dict, dict]:
    end = html.index(', {"id":"' + layer_id + '"')
    start = html.rindex("townplan.layer(", 0, end) + len("townplan.layer(")
    opts_end = html.index(");", end)
    return json.loads(html[start:end]), json.loads(html[end + 2 : opts_end])


def test_one_layer_per_kind_in_style_order():
    html = render_html(tp.plan_map(tiny_town(), basemap="none"))
    ids = re.findall(r'townplan\.layer\(.*?, \{"id":"(\w+)"', html)
    assert ids == [
        "boundary",
        "builtup",
        "water",
        "green",
        "roads",
        "control_lines",
        "facilities",
        "streetlights",
        "projects",
    ]
    # Every layer is in the layer control (escaped names), with a legend and the controls.
    for kind in ids:
        assert json.dumps(layer_label(kind, "zh"), ensure_ascii=False) in html
    assert "L.control.layers" in html and "L.Control.Measure" in html
    assert "L.control.fullscreen(" in html and "L.control.scale(" in html
    assert "tp-legend" in html and "townplan.ready = true" in html


def test_control_line_styles_five_colours_and_purple_tiers():
    town = tiny_town()
    codes, classes = classify("control_lines", town.control_lines)
    keys = [classes[c].key for c in codes]
    assert keys == ["red", "green", "purple_core", "purple_control", "blue", "yellow"]
    colours = {c.key: c.style["color"] for c in classes}
    assert colours["red"] == "#e60000" and colours["blue"] == "#1565c0"
    core = next(c for c in classes if c.key == "purple_core").style
    control = next(c for c in classes if c.key == "purple_control").style
    assert "dashArray" not in core and control["dashArray"] == "10 5"
    assert core["fillOpacity"] > control["fillOpacity"]


def test_roads_weighted_by_class_and_unknown_values_get_default_style():
    roads = tiny_town().roads
    codes, classes = classify("roads", roads)
    weights = [classes[c].style["weight"] for c in codes]
    assert weights == [7, 1.5]  # arterial, lane (styles.toml)
    fac = pd.DataFrame({"facility_type": ["market", "窑洞", None]})
    codes, classes = classify("facilities", fac, lang="en")
    assert [classes[c].label for c in codes] == ["Market", "窑洞", "Facilities"]


def test_popup_display_values_hand_computed():
    df = pd.DataFrame(
        {
            "overlap_area_m2": [10000 / 15, np.nan],  # exactly 1 亩
            "pct_of_project": [12.345, 50.0],
            "ignored": [False, True],
            "grade": ["forbidden", "x"],
        }
    )
    fields = [
        ("overlap_area_m2", "重叠面积", "area"),
        ("pct_of_project", "占项目", "pct"),
        ("ignored", "已忽略", "bool"),
        ("grade", "等级", {"forbidden": "禁止"}),
    ]
    out = display_frame(df, fields, lang="zh")
    assert out.iloc[0].tolist() == ["666.7 m² (1.00 亩)", "12.3 %", "否", "禁止"]
    assert out.iloc[1].tolist() == [None, "50.0 %", "是", "x"]


def test_review_overlays_verdicts_and_conflicts_with_popup_fields():
    town = tiny_town()
    html = render_html(tp.plan_map(town, review=fake_review(town), basemap="none"))
    data, opts = layer_data(html, "conflicts")
    assert len(data["features"]) == 1
    values = dict(zip(opts["fields"], data["features"][0]["properties"]["p"], strict=True))
    # 20 m × 20 m overlap = 400 m² = 0.60 亩; P1 is 30 × 30 = 900 m² → 44.4 %.
    assert values["重叠面积"] == "400.0 m² (0.60 亩)"
    assert values["占项目(%)"] == "44.4 %"
    assert values["冲突等级"] == "禁止"  # the grade's vocabulary label
    assert values["条款"] == "城市紫线管理办法 第十三条"
    assert values["管控分区"] == "核心保护范围"
    assert opts["styles"][data["features"][0]["properties"]["s"]]["fillColor"] == "#ff1744"
    vdata, vopts = layer_data(html, "verdicts")
    # P3 has an empty geometry: kept in the review, not drawn.
    assert len(vdata["features"]) == 2
    verdicts = [vopts["styles"][f["properties"]["s"]]["color"] for f in vdata["features"]]
    # Outlined in the verdicts' vocabulary colours, as the report and Jupyter show them.
    assert verdicts == [COLOURS["verdict"]["reject"], COLOURS["verdict"]["pass"]]
    assert "项目审查结论" in html and "冲突（项目×控制线）" in html


def test_review_texts_in_the_map_language_with_fallback():
    town = tiny_town()
    rv = fake_review(town)
    rv.conflicts = rv.conflicts.assign(
        clause_en=["Purple line rules, art. 13"], procedure_en=[""], reason_zh=["紫线核心区内"]
    )
    before = rv.conflicts.copy()
    data, opts = layer_data(
        render_html(tp.plan_map(town, review=rv, basemap="none", lang="en")), "conflicts"
    )
    values = dict(zip(opts["fields"], data["features"][0]["properties"]["p"], strict=True))
    assert values["Clause"] == "Purple line rules, art. 13"
    assert values["Procedure"] == "不予许可"  # an empty English text keeps the Chinese one
    data, opts = layer_data(
        render_html(tp.plan_map(town, review=rv, basemap="none", lang="zh")), "conflicts"
    )
    values = dict(zip(opts["fields"], data["features"][0]["properties"]["p"], strict=True))
    assert values["条款"] == "城市紫线管理办法 第十三条"
    assert "紫线核心区内" in values.values()  # the Chinese reason replaces the (missing) reason
    pd.testing.assert_frame_equal(rv.conflicts, before)


def test_review_must_look_like_a_review():
    with pytest.raises(TownPlanError, match="review= must be a Review"):
        tp.plan_map(tiny_town(), review=object())


def test_missing_layer_named():
    with pytest.raises(MissingLayerError, match="'canopy'"):
        tp.plan_map(tiny_town(), layers=["roads", "canopy"])


def test_rounding_and_simplification():
    # A 200 m wiggle of 0.3 m amplitude disappears at simplify_m=1 but not at 0.1.
    xs = np.linspace(0, 200, 201)
    line = shapely.LineString(np.column_stack([X0 + xs, Y0 + 0.3 * np.sin(xs)]))
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[line], crs=CRS)
    coarse = to_display(gdf, simplify_m=1.0)
    fine = to_display(gdf, simplify_m=0.1)
    assert shapely.get_num_coordinates(coarse.iloc[0]) == 2
    assert shapely.get_num_coordinates(fine.iloc[0]) > 100
    coords = shapely.get_coordinates(to_display(gdf, precision=6).array)
    assert np.all(np.round(coords, 6) == coords)
    text = shapely.to_geojson(to_display(gdf, precision=3).iloc[0])
    assert re.search(r"\d\.\d{4,}", text) is None


def test_empty_and_missing_geometries_are_skipped():
    gdf = gpd.GeoDataFrame(
        {"name": ["a", "b", "c"]}, geometry=[sq(0, 0), shapely.Polygon(), None], crs=CRS
    )
    assert list(to_display(gdf).index) == [0]
    html = render_html(tp.explore(gdf, basemap="none"))
    data, _ = layer_data(html, "generic")
    assert len(data["features"]) == 1


def test_user_strings_never_reach_the_page_as_markup():
    evil = '<script>window.__pwned=1</script>"><img src=x onerror=window.__pwned=2>'
    town = tiny_town(evil)
    html = render_html(tp.plan_map(town, review=fake_review(town, name_extra=evil), basemap="none"))
    assert "<script>window.__pwned" not in html
    assert "<img src=x" not in html
    assert "\\u003cscript\\u003ewindow.__pwned=1" in html  # kept as data, escaped for <script>
    # Legend labels are HTML-escaped in Python (an unknown class value is shown as it is).
    group = LegendGroup(
        evil, "polygon", classify("facilities", pd.DataFrame({"facility_type": [evil]}))[1]
    )
    out = legend_html([group], title="图例")
    assert "<script>" not in out and "&lt;script&gt;" in out and "&quot;" in out
    assert "<" not in js_literal(out)


def test_explore_generic_and_by_kind():
    town = tiny_town()
    html = render_html(tp.explore(town, "control_lines", basemap="none", lang="en"))
    data, opts = layer_data(html, "control_lines")
    assert len(data["features"]) == 6 and "Control line" in opts["fields"]
    gdf = gpd.GeoDataFrame({"名称": ["x"], "面积": [1.5]}, geometry=[sq(0, 0)], crs=CRS)
    html = render_html(tp.explore(gdf, name="地块", basemap="none"))
    data, opts = layer_data(html, "generic")
    assert opts["fields"] == ["名称", "面积"] and data["features"][0]["properties"]["p"] == [
        "x",
        "1.50",
    ]


def test_canvas_above_threshold():
    town = tiny_town()
    html = render_html(tp.plan_map(town, basemap="none", canvas_threshold=2))
    _, opts = layer_data(html, "streetlights")
    assert opts["canvas"] is True
    _, opts = layer_data(html, "roads")
    assert opts["canvas"] is False


def test_caller_data_not_modified():
    town = tiny_town()
    before = {k: v.copy() for k, v in town.layers.items()}
    tp.plan_map(town, review=fake_review(town), basemap="gaode", simplify_m=1)
    for k, v in town.layers.items():
        pd.testing.assert_frame_equal(v, before[k])


def test_integer_coordinates_decode_to_the_rounded_degrees():
    town = tiny_town()
    html = render_html(tp.plan_map(town, basemap="none", precision=6))
    data, opts = layer_data(html, "roads")
    assert opts["scale"] == 10**6
    first = np.array(data["features"][0]["geometry"]["coordinates"][0])
    decoded = (first + np.array([opts["ox"], opts["oy"]])) / opts["scale"]
    expect = shapely.get_coordinates(to_display(town.roads).iloc[0])[0]
    np.testing.assert_allclose(decoded, expect, atol=1e-12)
    assert ".0," not in html[html.index('"coordinates"') : html.index('"coordinates"') + 200]


def test_real_review_of_the_sample_town():
    town = tp.sample_town()
    review = tp.review(town.projects, town.control_lines)
    html = render_html(tp.plan_map(town, review=review, basemap="none", lang="en"))
    data, opts = layer_data(html, "conflicts")
    drawn = review.conflicts[~review.conflicts.geometry.is_empty]
    assert len(data["features"]) == len(drawn) > 0
    values = [
        dict(zip(opts["fields"], f["properties"]["p"], strict=True)) for f in data["features"]
    ]
    # English clause texts replace the Chinese ones when the review carries them.
    assert {v["Clause"] for v in values} <= set(review.conflicts["clause_en"].fillna(""))
    vdata, _ = layer_data(html, "verdicts")
    assert len(vdata["features"]) == int((~review.projects.geometry.is_empty).sum())
    # The legend lists the review first.
    legend = html[html.index("div.innerHTML = ") :]
    assert legend.index("Conflicts") < legend.index("Town boundary")


def test_notebook_display_is_the_offline_page_in_an_iframe():
    m = tp.plan_map(tiny_town(), basemap="none")
    assert isinstance(m, folium.Map)
    out = m._repr_html_()
    assert out.startswith('<iframe srcdoc="') and "allowfullscreen" in out
    page = html.unescape(out[len('<iframe srcdoc="') : out.index('" style=')])
    assert "inlined from leaflet.js" in page and not re.search(r"<script[^>]*src=\"http", page)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_js_literal_round_trips_and_cannot_close_a_script(text):
    out = js_literal(text)
    assert json.loads(out) == text
    assert "<" not in out and ">" not in out


def test_unknown_language_refused():
    with pytest.raises(TownPlanError, match="lang must be 'zh'"):
        tp.plan_map(tiny_town(), lang="fr")


def test_plus_formats_hide_zero_overlaps_and_project_types_in_chinese():
    df = pd.DataFrame({"a": [0.0, 1500.0], "b": [0, 12.25]})
    out = display_frame(df, [("a", "A", "area+"), ("b", "B", "num1+")], lang="en")
    # 1500 m² × 15 / 10000 = 2.25 mu.
    assert out["a"].tolist() == [None, "1,500.0 m² (2.25 mu)"]
    assert out["b"].tolist() == [None, "12.2"]
    html = render_html(tp.plan_map(tiny_town(), basemap="none"))
    data, opts = layer_data(html, "projects")
    values = dict(zip(opts["fields"], data["features"][0]["properties"]["p"], strict=True))
    assert values["项目类型"] == "建筑"  # first alias of "building" in aliases.toml


def test_layer_control_can_be_collapsed_for_reports():
    import townplan_gis as tp

    town = tp.sample_town()
    folded = tp.maps.render_html(tp.plan_map(town, basemap="none", collapse_layer_control=True))
    opened = tp.maps.render_html(tp.plan_map(town, basemap="none"))
    assert '"collapsed": true' in folded and '"collapsed": false' in opened
