"""Compact plan maps opened from file:// in headless Chromium with every host unresolvable.

Counts are read from the page's decoded data (canvas layers have no DOM paths); visibility is read
from the layer canvases' pixels; clicks and hovers go through the real mouse.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from browser_helpers import needs_chromium
from shapely.geometry import LineString
from test_maps_compact import CRS, X0, Y0, county_map, payloads, small_county

import townplan_gis as tp
from townplan_gis.maps.compact import decode_payload
from townplan_gis.maps.layers import to_display

pytestmark = needs_chromium

MAP_JS = "window[Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map)]"
LAYER_JS = "townplan.compactLayers.find(l => l._o.id === {!r})"


class Page:
    """An opened map: console errors, non-local requests, and a wait until every layer painted."""

    def __init__(self, browser, path: Path, *, init_script: str | None = None):
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1200, "height": 800})
        if init_script:
            self.page.add_init_script(init_script)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on(
            "request",
            lambda r: None if r.url.startswith(("file:", "data:")) else self.requests.append(r.url),
        )
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("window.townplan && townplan.idle && townplan.idle()")

    def js(self, expr: str, arg=None):
        return self.page.evaluate(expr, arg)

    def container_points(self, lonlat: np.ndarray) -> list[list[float]]:
        return self.js(
            f"pts => pts.map(p => {{ const c = {MAP_JS}.latLngToContainerPoint([p[1], p[0]]);"
            " return [c.x, c.y]; })",
            lonlat.tolist(),
        )


def open_map(browser, m, path: Path, **kw) -> Page:
    tp.save_map(m, path)
    return Page(browser, path, **kw)


def rep_points(frame) -> np.ndarray:
    shown = to_display(frame)
    return shapely.get_coordinates(shapely.point_on_surface(shown.array))


def test_every_layer_draws_every_feature_of_its_data(browser, tmp_path):
    town, review, m = county_map(40)
    pg = open_map(browser, m, tmp_path / "county.html")
    expected = {
        "control_lines": len(to_display(town.control_lines)),
        "verdicts": len(to_display(review.projects)),
        "conflicts": len(to_display(review.conflicts)),
    }
    assert expected["verdicts"] == 1600 and expected["conflicts"] > 100
    layers = pg.js("townplan.layers")
    for kind, n in expected.items():
        assert layers[kind]["features"] == n, kind
        assert layers[kind]["drawn"] == n, kind  # the initial view holds the whole county
        assert layers[kind]["shapes"] + layers[kind]["markers"] == n
    assert pg.js("townplan.drawn") == sum(expected.values())
    # Legend and layer control as on a GeoJSON map.
    assert "图例" in pg.js("document.querySelector('.tp-legend').innerText")
    labels = pg.js(
        "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".map(l => l.innerText.trim())"
    )
    assert labels == ["五线", "项目审查结论", "冲突（项目×控制线）", "标注"]
    assert pg.errors == [] and pg.requests == []
    pg.page.close()


def test_every_conflict_is_painted_at_the_initial_zoom(browser, tmp_path):
    _town, review, m = county_map(40)
    pg = open_map(browser, m, tmp_path / "conflicts.html")
    points = rep_points(review.conflicts)
    # Alpha of the conflict canvas around each conflict's point on surface (3×3 device pixels).
    alphas = pg.js(
        f"""pts => {{
        const map = {MAP_JS}, lyr = {LAYER_JS.format("conflicts")}, cv = lyr._container;
        const ctx = cv.getContext('2d'), m = cv.width / cv.clientWidth, min = lyr._bounds.min;
        const img = ctx.getImageData(0, 0, cv.width, cv.height).data, size = map.getSize();
        return pts.map(p => {{
            const c = map.latLngToContainerPoint([p[1], p[0]]);
            if (c.x < 0 || c.y < 0 || c.x > size.x || c.y > size.y) {{ return -1; }}
            const l = map.latLngToLayerPoint([p[1], p[0]]);
            const x = Math.floor((l.x - min.x) * m), y = Math.floor((l.y - min.y) * m);
            let a = 0;
            for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++)
                a = Math.max(a, img[4 * ((y + dy) * cv.width + x + dx) + 3]);
            return a;
        }});
        }}""",
        points.tolist(),
    )
    assert len(alphas) == len(review.conflicts)
    assert min(alphas) > 0, f"{sum(a <= 0 for a in alphas)} conflicts not painted"
    # The 0.16 m² sliver with G-SLIVER is far below a pixel: it is there as a marker.
    sliver = int(np.flatnonzero(review.conflicts["line_name"].to_numpy() == "G-SLIVER")[0])
    assert review.conflicts["overlap_area_m2"].iloc[sliver] < 0.2
    where = pg.js(f"i => {LAYER_JS.format('conflicts')}.drawnAt(i)", sliver)
    assert where["as"] == "marker" and where["w"] < 1
    assert pg.errors == []
    pg.page.close()


def test_click_on_a_project_opens_its_popup_with_its_verdict(browser, tmp_path):
    _town, review, m = county_map(40)
    pg = open_map(browser, m, tmp_path / "click.html")
    verdicts = review.projects
    passing = verdicts.index[(verdicts["verdict"] == "pass") & (verdicts["n_conflicts"] == 0)]
    pid = verdicts.loc[passing[len(passing) // 2], "project_id"]
    row = verdicts.index.get_loc(passing[len(passing) // 2])
    (x, y) = pg.container_points(rep_points(verdicts.iloc[[row]]))[0]
    box = pg.js(f"{MAP_JS}.getContainer().getBoundingClientRect().toJSON()")
    pg.page.mouse.click(box["x"] + x, box["y"] + y)
    pg.page.wait_for_selector(".leaflet-popup-content", timeout=5000)
    text = pg.js("document.querySelector('.leaflet-popup-content').innerText")
    assert pid in text and "审查结论" in text and "通过" in text
    assert "项目审查结论" in text  # the layer title heads the popup, as on GeoJSON maps
    # Hovering the same parcel shows its tooltip (project id · name · verdict).
    pg.page.mouse.move(box["x"] + x + 1, box["y"] + y)
    pg.page.wait_for_selector(".leaflet-tooltip", timeout=5000)
    assert pid in pg.js("document.querySelector('.leaflet-tooltip').innerText")
    assert pg.errors == [] and pg.requests == []
    pg.page.close()


def test_popup_in_english_and_conflict_popup_on_top(browser, tmp_path):
    _town, review, m = county_map(20, lang="en")
    pg = open_map(browser, m, tmp_path / "en.html")
    conflicts = review.conflicts
    big = int(conflicts["overlap_area_m2"].to_numpy().argmax())
    (x, y) = pg.container_points(rep_points(conflicts.iloc[[big]]))[0]
    box = pg.js(f"{MAP_JS}.getContainer().getBoundingClientRect().toJSON()")
    pg.page.mouse.click(box["x"] + x, box["y"] + y)
    pg.page.wait_for_selector(".leaflet-popup-content", timeout=5000)
    text = pg.js("document.querySelector('.leaflet-popup-content').innerText")
    assert "Conflicts (project × control line)" in text
    assert conflicts["project_id"].iloc[big] in text and "Grade" in text
    pg.page.close()


def test_zoom_and_pan_redraw_and_hit_test_follow(browser, tmp_path):
    _town, review, m = county_map(40)
    pg = open_map(browser, m, tmp_path / "zoom.html")
    before = pg.js("JSON.parse(JSON.stringify(townplan.layers.verdicts))")
    pg.js(f"void {MAP_JS}.setZoom({MAP_JS}.getZoom() + 2, {{animate: false}})")
    pg.page.wait_for_function(f"townplan.layers.verdicts.draws > {before['draws']}")
    after = pg.js("JSON.parse(JSON.stringify(townplan.layers.verdicts))")
    assert after["zoom"] == before["zoom"] + 2
    assert 0 < after["drawn"] < before["drawn"]  # only what is in view
    pg.js(f"void {MAP_JS}.panBy([300, 0], {{animate: false}})")
    pg.page.wait_for_function(f"townplan.layers.verdicts.draws > {after['draws']}")
    # After the zoom and pan a click still lands on the parcel under the mouse.
    centre = pg.js(f"(() => {{ const c = {MAP_JS}.getCenter(); return [c.lng, c.lat]; }})()")
    hit = pg.js(
        f"c => {{ const h = townplan.hitCompact({MAP_JS}, L.latLng(c[1], c[0]), 0);"
        " return h && h.layer._o.id === 'verdicts' ? h.layer.values(h.index)[0] : null; }",
        centre,
    )
    shown = to_display(review.projects)
    inside = shapely.contains_xy(shown.array, *centre)
    assert (hit is None) == (not inside.any())
    if hit is not None:
        assert hit == review.projects["project_id"].to_numpy()[inside][0]
    pg.page.close()


def test_layer_control_hides_a_layer_and_its_popups(browser, tmp_path):
    _town, review, m = county_map(20)
    pg = open_map(browser, m, tmp_path / "toggle.html")
    conflicts = review.conflicts
    big = int(conflicts["overlap_area_m2"].to_numpy().argmax())
    ll = rep_points(conflicts.iloc[[big]])[0]
    probe = (
        f"c => {{ const h = townplan.hitCompact({MAP_JS}, L.latLng(c[1], c[0]));"
        " return h ? h.layer._o.id : null; }"
    )
    assert pg.js(probe, ll.tolist()) == "conflicts"
    n_canvas = pg.js("document.querySelectorAll('.leaflet-overlay-pane canvas').length")
    pg.page.locator(".leaflet-control-layers-overlays label", has_text="冲突").click()
    assert pg.js("document.querySelectorAll('.leaflet-overlay-pane canvas').length") == n_canvas - 1
    assert pg.js(probe, ll.tolist()) == "verdicts"
    pg.page.locator(".leaflet-control-layers-overlays label", has_text="冲突").click()
    pg.page.wait_for_function("townplan.idle()")
    assert pg.js(probe, ll.tolist()) == "conflicts"
    assert pg.errors == []
    pg.page.close()


def test_page_decoder_matches_the_python_decoder(browser, tmp_path):
    _town, _review, m = county_map(10)
    pg = open_map(browser, m, tmp_path / "decode.html")
    for _kind, text in payloads(m).items():
        py = decode_payload(text)
        js = pg.js(
            """t => { const d = townplan.decodeCompact(t);
            return {n: d.n, vertices: d.vertices, xy: Array.from(d.xy), cls: Array.from(d.cls),
                    col0: Array.from({length: d.n}, (_, i) => townplan.compactTable(d.cols[0])[d.cols[0].codes[i]])}; }""",
            text,
        )
        assert js["n"] == py["n"] and js["vertices"] == len(py["lonlat"])
        assert js["cls"] == py["cls"] and js["col0"] == py["columns"][0]
        # Web Mercator world pixels at zoom 0, as Leaflet's EPSG:3857 projects them.
        lon, lat = py["lonlat"][:, 0], py["lonlat"][:, 1]
        r, k = 6378137.0, 0.5 / (math.pi * 6378137.0)
        s = np.sin(np.radians(lat))
        wx = 256 * (k * r * np.radians(lon) + 0.5)
        wy = 256 * (-k * r * np.log((1 + s) / (1 - s)) / 2 + 0.5)
        np.testing.assert_allclose(np.array(js["xy"]).reshape(-1, 2), np.c_[wx, wy], atol=1e-9)
    pg.page.close()


def test_base64_fallback_without_uint8array_frombase64(browser, tmp_path):
    _town, _review, m = county_map(10)
    pg = open_map(
        browser, m, tmp_path / "fallback.html", init_script="delete Uint8Array.fromBase64"
    )
    assert pg.js("typeof Uint8Array.fromBase64") == "undefined"
    assert pg.js("townplan.layers.verdicts.drawn") == 100
    assert pg.errors == []
    pg.page.close()


def test_hostile_names_are_shown_not_executed(browser, tmp_path):
    layers = small_county(8)
    evil = '<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">'
    layers["projects"].loc[0, "name"] = evil
    town = tp.Town("县域", layers=layers)
    pg = open_map(
        browser, tp.plan_map(town, basemap="none", renderer="compact"), tmp_path / "e.html"
    )
    text = pg.js(
        f"""(() => {{ const lyr = {LAYER_JS.format("projects")}, map = {MAP_JS};
        townplan.openCompactPopup(map, lyr, 0, map.getCenter());
        return document.querySelector('.leaflet-popup-content').innerText; }})()"""
    )
    assert evil in text
    assert pg.js("window.__pwned") is None
    assert pg.js("document.querySelectorAll('.leaflet-popup-content img').length") == 0
    pg.page.close()


def test_sample_town_in_compact_mode_draws_what_the_geojson_map_draws(browser, tmp_path):
    town = tp.sample_town()
    review = tp.review(town)
    pg = open_map(
        browser,
        # every layer (street lights on) and the whole township in view, so all is drawn
        tp.plan_map(
            town,
            review=review,
            basemap="none",
            renderer="compact",
            layers=list(town.layers),
            view="town",
        ),
        tmp_path / "pz.html",
    )
    layers = pg.js("townplan.layers")
    frames = {k: f for k, f in town.layers.items() if k != "projects"}
    frames |= {"verdicts": review.projects, "conflicts": review.conflicts}
    for kind, frame in frames.items():
        assert layers[kind]["features"] == len(to_display(frame)), kind
        assert layers[kind]["drawn"] == layers[kind]["features"], kind
    assert json.loads(json.dumps(pg.errors)) == [] and pg.requests == []
    pg.page.close()


def test_click_among_crowded_markers_opens_the_one_under_the_pointer(browser, tmp_path):
    town, review, m = county_map(40)
    pg = open_map(browser, m, tmp_path / "crowded.html")
    pg.js(f"void {MAP_JS}.setZoom({MAP_JS}.getZoom() - 3, {{animate: false}})")
    pg.page.wait_for_function("townplan.idle()")
    zoom = pg.js(f"{MAP_JS}.getZoom()")
    assert pg.js("townplan.layers.verdicts.markers") == 1600  # every parcel is a marker now
    # Parcels whose nearest conflict or control line is more than 8 px away at this zoom.
    v = review.projects
    m_per_px = 156543.03 * math.cos(math.radians(34.83)) / 2**zoom
    others = np.concatenate([review.conflicts.geometry.array, town.control_lines.geometry.array])
    _i, dist = shapely.STRtree(others).query_nearest(
        v.geometry.array, return_distance=True, all_matches=False
    )
    far = np.flatnonzero(dist > 8 * m_per_px)
    assert len(far) > 50
    picks = far[:: max(1, len(far) // 40)]
    got = pg.js(
        f"""rows => rows.map(i => {{
        const map = {MAP_JS}, lyr = {LAYER_JS.format("verdicts")}, at = lyr.drawnAt(i);
        const h = townplan.hitCompact(map, map.containerPointToLatLng([at.x, at.y]));
        return h && h.layer._o.id === 'verdicts' ? h.index : -1; }})""",
        picks.tolist(),
    )
    assert got == picks.tolist()
    pg.page.close()


def test_vertices_are_skipped_only_below_half_a_pixel(browser, tmp_path):
    # 400 m with a vertex every 10 cm zigzagging by 10 cm (4,001 vertices), then 800 m north;
    # precision=7 keeps centimetres.
    x = np.linspace(0, 400, 4001)
    y = np.where(np.arange(4001) % 2 == 0, 0.0, 0.1)
    coords = np.c_[X0 + x, Y0 + y]
    coords = np.vstack([coords, [X0 + 400, Y0 + 800]])
    line = gpd.GeoDataFrame({"name": ["zigzag"]}, geometry=[LineString(coords)], crs=CRS)
    m = tp.explore(line, basemap="none", renderer="compact", precision=7)
    pg = open_map(browser, m, tmp_path / "line.html")
    result = pg.js(
        """() => {
        const lyr = townplan.compactLayers[0], map = lyr._map, d = lyr._d, out = [];
        const runs = [];
        for (const dz of [0, 4, 8]) {
            map.setZoom(map.getZoom() + (dz ? 4 : 0), {animate: false});
            const s = Math.pow(2, map.getZoom()), po = map.getPixelOrigin(), pts = [];
            const fake = {moveTo: (x, y) => pts.push([x, y]), lineTo: (x, y) => pts.push([x, y]),
                          closePath: () => {}};
            lyr._trace(fake, 1, 0, s, po);
            // Distance of every true vertex (screen px) to the drawn polyline.
            let worst = 0;
            for (let k = 0; k < d.vertices; k++) {
                const px = d.xy[2 * k] * s - po.x, py = d.xy[2 * k + 1] * s - po.y;
                let best = Infinity;
                for (let j = 0; j + 1 < pts.length; j++) {
                    const [ax, ay] = pts[j], [bx, by] = pts[j + 1];
                    const dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
                    const t = l2 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / l2)) : 0;
                    best = Math.min(best, Math.hypot(px - ax - t * dx, py - ay - t * dy));
                }
                worst = Math.max(worst, best);
            }
            runs.push({zoom: map.getZoom(), drawn: pts.length, worst: worst,
                       last: pts[pts.length - 1], end: [d.xy[2 * d.vertices - 2] * s - po.x, d.xy[2 * d.vertices - 1] * s - po.y]});
        }
        return runs; }"""
    )
    n = len(coords)
    for run in result:
        assert run["worst"] <= 0.75, run  # never off by more than a pixel's half-diagonal
        assert run["last"] == pytest.approx(run["end"])  # the end vertex is always drawn
    assert result[0]["drawn"] < n / 4  # far out, 10 cm steps are below a pixel: skipped
    assert result[-1]["drawn"] == n  # close in, every vertex is drawn
    pg.page.close()
