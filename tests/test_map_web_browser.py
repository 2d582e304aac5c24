"""The web plan map in headless Chromium (#16): the legend never overlaps a control at any window
size, street lights are off until switched on, the scale is metric, no popup says 'nan', labels
appear by zoom and never overlap, the first view is the built-up area."""

from __future__ import annotations

import re

import pytest
from browser_helpers import needs_chromium
from test_maps_browser import MAP_JS, Page

import townplan_gis as tp
from townplan_gis.maps.layers import to_display

pytestmark = needs_chromium

OVERLAPS = """() => {
  const legend = document.querySelector('.tp-legend'), a = legend.getBoundingClientRect();
  const hit = [];
  document.querySelectorAll('.leaflet-control').forEach(c => {
    if (c === legend) { return; }
    const b = c.getBoundingClientRect();
    if (b.width && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
      hit.push(c.className);
    }
  });
  return hit;
}"""

LABEL_RECTS = """() => Array.from(document.querySelectorAll('.tp-label'))
  .filter(s => s.parentElement.style.display !== 'none')
  .map(s => { const r = s.getBoundingClientRect(); return [s.textContent, r.left, r.top, r.right, r.bottom]; })"""


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    town = tp.sample_town()
    review = tp.review(town)
    path = tmp_path_factory.mktemp("web") / "puzhou.html"
    tp.save_map(tp.plan_map(town, review=review, basemap="none"), path)
    return town, path


# Calls that return the L.Map are wrapped in `void`: Playwright would serialise the whole map object
# graph back to Python (30 s per call).
def _open(browser, path, w, h) -> Page:
    pg = Page.__new__(Page)
    pg.errors, pg.requests = [], []
    pg.page = browser.new_page(viewport={"width": w, "height": h})
    pg.page.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.page.goto(path.resolve().as_uri())
    pg.page.wait_for_function("window.townplan && townplan.ready === true", timeout=20000)
    pg.page.wait_for_timeout(300)
    return pg


@pytest.mark.parametrize("size", [(1200, 800), (600, 400), (420, 700), (360, 300)])
def test_legend_never_overlaps_a_control(browser, page_file, size):
    _town, path = page_file
    pg = _open(browser, path, *size)
    assert pg.js(OVERLAPS) == []
    # Switch the street lights on (their legend group appears) and open the legend: still clear.
    pg.js(f"void {MAP_JS}.addLayer(townplan.objs.streetlights)")
    pg.js("void (document.querySelector('.tp-legend details').open = true)")
    pg.page.wait_for_timeout(100)
    assert pg.js(OVERLAPS) == []
    assert pg.errors == []
    pg.page.close()


def test_legend_folds_when_there_is_no_room(browser, page_file):
    _town, path = page_file
    pg = _open(browser, path, 360, 300)
    assert pg.js("document.querySelector('.tp-legend details').open") is False
    pg.page.close()
    pg = _open(browser, path, 1200, 800)
    assert pg.js("document.querySelector('.tp-legend details').open") is True
    pg.page.close()


def test_street_lights_off_until_switched_on(browser, page_file):
    town, path = page_file
    pg = _open(browser, path, 1200, 800)
    assert pg.js(f"{MAP_JS}.hasLayer(townplan.objs.streetlights)") is False
    group = "document.querySelector('.tp-lg[data-layer=streetlights]')"
    assert pg.js(f"{group}.style.display") == "none"
    before = pg.js("document.querySelectorAll('.leaflet-overlay-pane path').length")
    box = pg.page.get_by_label("路灯")
    assert box.is_checked() is False
    box.check()
    after = pg.js("document.querySelectorAll('.leaflet-overlay-pane path').length")
    assert after - before == len(town.layers["streetlights"]) == 305
    assert pg.js(f"{group}.style.display") == ""
    radius = pg.js("townplan.objs.streetlights.getLayers()[0].getRadius()")
    assert radius <= 2.5
    pg.page.close()


def test_scale_is_metric_only(browser, page_file):
    _town, path = page_file
    pg = _open(browser, path, 1200, 800)
    lines = pg.js(
        "Array.from(document.querySelectorAll('.leaflet-control-scale-line')).map(l => l.innerText)"
    )
    assert len(lines) == 1 and re.fullmatch(r"\d+ k?m", lines[0])
    pg.page.close()


def test_no_popup_says_nan(browser, page_file):
    _town, path = page_file
    pg = _open(browser, path, 1200, 800)
    texts = pg.js(
        """() => { const out = [];
        Object.entries(townplan.objs).forEach(([id, lyr]) => {
          if (id === 'labels') { return; }
          lyr.eachLayer(function walk(l) {
            if (l.eachLayer) { l.eachLayer(walk); return; }
            const p = l.getPopup();
            if (p) { const c = p._content; out.push(typeof c === 'function' ? c(l) : c); }
          });
        });
        return out; }"""
    )
    assert len(texts) > 2000
    bad = [t for t in texts if re.search(r"\bnan\b|undefined|null", t, re.I)]
    assert bad == []
    assert any("最高等级" in t for t in texts)  # the field is shown where a project has a grade
    pg.page.close()


def test_first_view_is_the_builtup_area(browser, page_file):
    town, path = page_file
    pg = _open(browser, path, 1200, 800)
    w, s, e, n = to_display(town.layers["builtup"]).total_bounds
    view = pg.js(
        f"(() => {{ const b = {MAP_JS}.getBounds(); return [b.getWest(), b.getSouth(), "
        "b.getEast(), b.getNorth()]; })()"
    )
    assert view[0] <= w and view[1] <= s and view[2] >= e and view[3] >= n
    # and not the township: the built-up area fills a good part of the window
    assert (e - w) / (view[2] - view[0]) > 0.45
    pg.page.close()


def test_labels_by_zoom_without_overlaps(browser, page_file):
    _town, path = page_file
    pg = _open(browser, path, 1200, 800)

    def shown():
        rects = pg.js(LABEL_RECTS)
        for i, a in enumerate(rects):
            for b in rects[i + 1 :]:
                assert not (a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]), (a, b)
        return [r[0] for r in rects]

    first = shown()
    assert {"P03", "P14", "中山路", "南环路"} <= set(first)
    assert first == pg.js("townplan.labelsShown")
    pg.js(f"void {MAP_JS}.setZoom(13, {{animate: false}})")
    pg.page.wait_for_timeout(200)
    assert shown() == []  # the whole township: no labels under zoom 14
    pg.js(f"void {MAP_JS}.setZoom(18, {{animate: false}})")
    pg.page.wait_for_timeout(200)
    near = shown()
    assert near and all(
        t in first or t.startswith("P") or "路" in t or "街" in t or "巷" in t for t in near
    )
    pg.js(f"void {MAP_JS}.removeLayer(townplan.objs.labels)")
    assert pg.js("document.querySelectorAll('.tp-label').length") == 0
    pg.page.close()
