"""The web plan map's fixes of #16 (no browser): metric scale only, street lights off by default and
neutral, no 'nan' in popup data, first view on the built-up area, labels escaped and ordered."""

from __future__ import annotations

import re

import numpy as np
import pytest
from folium.map import FitBounds
from maps_helpers import fake_review, tiny_town

import townplan_gis as tp
from townplan_gis.maps.layers import LeafletGeoJson, to_display
from townplan_gis.maps.offline import render_html
from townplan_gis.maps.styles import classify
from townplan_gis.maps.web_labels import LabelLayer, label_items


@pytest.fixture(scope="module")
def puzhou():
    town = tp.sample_town()
    review = tp.review(town)
    return town, review, tp.plan_map(town, review=review, basemap="none")


def _children(m, cls):
    return [c for c in m._children.values() if isinstance(c, cls)]


def _layer(m, kind):
    return next(c for c in _children(m, LeafletGeoJson) if f'"id":"{kind}"' in c.options_js)


def test_scale_is_metric_only(puzhou):
    html = render_html(puzhou[2])
    assert "L.control.scale({metric: true, imperial: false" in html
    assert "L.control.scale()" not in html  # folium's own, with feet and miles


def test_street_lights_are_off_by_default_and_neutral(puzhou):
    town, _review, m = puzhou
    lamps = _layer(m, "streetlights")
    assert lamps.show is False and lamps.n_features == 305
    assert all(c.show for c in _children(m, LeafletGeoJson) if c is not lamps)
    _codes, classes = classify("streetlights", town.layers["streetlights"])
    style = classes[0].style
    assert style["radius"] <= 2.5
    r, g, b = (int(style["fillColor"][i : i + 2], 16) for i in (1, 3, 5))
    assert max(r, g, b) - min(r, g, b) < 16  # grey: no yellow that reads as a 黄线
    # Naming the layer switches it on.
    m2 = tp.plan_map(town, basemap="none", layers=["roads", "streetlights"])
    assert _layer(m2, "streetlights").show is True


def test_no_nan_in_any_popup_data(puzhou):
    _town, _review, m = puzhou
    for layer in _children(m, LeafletGeoJson):
        assert not re.search(r"\bnan\b|\bNaN\b|\bNone\b", layer.data), layer.layer_name
    # pass projects have no worst grade: the field is left out, not shown as "nan"
    verdicts = _layer(m, "verdicts").data
    assert '"p":["P01"' in verdicts and "null" in verdicts


def test_first_view_is_the_builtup_area(puzhou):
    town, _review, m = puzhou
    fit = _children(m, FitBounds)[-1]
    w, s, e, n = to_display(town.layers["builtup"]).total_bounds
    np.testing.assert_allclose(fit.bounds, [[s, w], [n, e]])
    m2 = tp.plan_map(town, basemap="none", view="town", labels=False)
    w, s, e, n = to_display(town.layers["boundary"]).total_bounds
    np.testing.assert_allclose(_children(m2, FitBounds)[-1].bounds, [[s, w], [n, e]])
    with pytest.raises(tp.TownPlanError, match="view must be"):
        tp.plan_map(town, basemap="none", view="county")


def test_groups_of_points_and_lines_have_small_sizes():
    for kind in ("verdicts", "conflicts", "projects"):
        _codes, classes = classify(kind, tiny_town().layers["roads"].iloc[:0])
        style = classes[0].style
        assert style["groupRadius"] <= 3.5 < style["radius"], kind
        assert style["lineWeight"] <= 4, kind


def test_labels_projects_first_then_roads_by_class(puzhou):
    town, review, m = puzhou
    items = label_items(town.layers["roads"], review.projects)
    kinds = [it[6] for it in items]
    assert kinds == sorted(kinds)  # project ids (0) before road names (1)
    texts = [it[0] for it in items]
    # reject (P06-1) before review (P09-3) before pass (P04-1)
    assert texts.index("P06-1") < texts.index("P09-3") < texts.index("P04-1")
    roads = [it[0] for it in items if it[6] == 1]
    assert roads.index("西厢大街") < roads.index("北街") < roads.index("后巷")  # by class
    assert len(set(roads)) == len(roads) == town.layers["roads"]["name"].nunique()
    lat, lon = items[0][1], items[0][2]
    assert 34 < lat < 35.5 and 110 < lon < 111
    assert _children(m, LabelLayer)[0].items == label_items(town.layers["roads"], review.projects)


def test_label_text_is_escaped():
    evil = "<img src=x onerror=alert(1)>"
    town = tiny_town(name_extra=evil)
    html = render_html(tp.plan_map(town, review=fake_review(town), basemap="none"))
    assert evil not in html
    assert (
        "西厢大街\\u003cimg" in html
    )  # in the label data, as a JSON escape; shown via textContent


def test_labels_can_be_left_out():
    m = tp.plan_map(tiny_town(), basemap="none", labels=False)
    assert not _children(m, LabelLayer)


def test_labels_of_one_straight_road():
    # a roads layer whose box has zero height (one east-west road): GEOS refuses to clip by it
    town = tiny_town()
    roads = town.layers["roads"].iloc[:1]
    projects = town.layers["projects"].iloc[:0]
    items = label_items(roads, projects)
    assert [it[0] for it in items] == [roads["name"].iloc[0]]
    assert items[0][3] == 0.0  # along the east-west road
