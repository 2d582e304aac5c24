"""Exported maps opened from file:// in headless Chromium with every host unresolvable.

Drives Debian's /usr/bin/chromium through Playwright's ``executable_path`` (no browser download);
``--host-resolver-rules=MAP * ~NOTFOUND`` makes every DNS lookup fail, so anything that renders came
from the file itself. `.ci/run` installs the ``chromium`` and ``fonts-noto-cjk`` packages.
"""

from __future__ import annotations

from pathlib import Path

from browser_helpers import needs_chromium
from maps_helpers import expected_paths, fake_review, tiny_town

import townplan_gis as tp

pytestmark = needs_chromium

MAP_JS = "window[Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map)]"


class Page:
    """A page with its console errors and the non-local requests it tried."""

    def __init__(self, browser, path: Path):
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1200, "height": 800})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on(
            "request",
            lambda r: None if r.url.startswith(("file:", "data:")) else self.requests.append(r.url),
        )
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("window.townplan && townplan.ready === true", timeout=20000)

    def js(self, expr: str):
        return self.page.evaluate(expr)


def open_map(browser, m, path: Path) -> Page:
    tp.save_map(m, path)
    return Page(browser, path)


def test_tiny_town_renders_every_feature_offline(browser, tmp_path):
    town = tiny_town()
    # Naming every layer switches the street lights on (they are off by default).
    m = tp.plan_map(town, basemap="none", layers=list(town.layers))
    pg = open_map(browser, m, tmp_path / "tiny.html")
    assert pg.js(f"{MAP_JS}._loaded") is True
    n = expected_paths(*town.layers.values())
    assert n == 20  # 1+1+2+1+1+2+3+6 features + P1 + P2's two points (P3 is empty)
    assert pg.js("document.querySelectorAll('.leaflet-overlay-pane path').length") == n
    assert pg.js("townplan.drawn") == n
    assert pg.js("document.querySelector('.tp-legend').getBoundingClientRect().height") > 50
    assert "图例" in pg.js("document.querySelector('.tp-legend').innerText")
    # nine layers and the labels
    assert pg.js("document.querySelectorAll('.leaflet-control-layers-overlays label').length") == 10
    assert pg.js("!!document.querySelector('.leaflet-control-scale')")
    assert pg.js("!!document.querySelector('.leaflet-control-zoom-fullscreen')")
    assert pg.js("!!document.querySelector('.leaflet-control-measure')")
    assert pg.errors == [] and pg.requests == []
    pg.page.close()


def test_sample_town_with_review_renders(browser, tmp_path):
    town = tp.sample_town()
    review = tp.review(town.projects, town.control_lines) if hasattr(tp, "review") else None
    pg = open_map(browser, tp.plan_map(town, review=review, basemap="none"), tmp_path / "pz.html")
    # The street lights are drawn switched off: not in the overlay pane until switched on.
    frames = [f for k, f in town.layers.items() if k != "streetlights"]
    if review is not None:
        frames = [f for k, f in town.layers.items() if k not in ("projects", "streetlights")]
        frames += [review.projects, review.conflicts]
    n = expected_paths(*frames)
    assert pg.js("document.querySelectorAll('.leaflet-overlay-pane path').length") == n
    # built, but not on the map until switched on
    assert pg.js("townplan.drawn") == n + len(town.layers["streetlights"])
    assert pg.errors == [] and pg.requests == []
    pg.page.close()


def test_review_conflict_drawn_by_grade(browser, tmp_path):
    town = tiny_town()
    m = tp.plan_map(town, review=fake_review(town), basemap="none", lang="en")
    pg = open_map(browser, m, tmp_path / "review.html")
    fills = pg.js(
        "Array.from(document.querySelectorAll('.leaflet-overlay-pane path')).map(p => p.getAttribute('fill'))"
    )
    assert fills.count("#ff1744") == 1  # the one forbidden overlap
    assert fills.count("#e57373") == 1  # P1, rejected
    assert pg.js("JSON.stringify(townplan.layers.conflicts)") == '{"features":1,"paths":1}'
    legend = pg.js("document.querySelector('.tp-legend').innerText")
    assert "Forbidden" in legend and "Reject" in legend and "Pass" in legend
    assert pg.errors == []
    pg.page.close()


def test_hostile_names_are_shown_not_executed(browser, tmp_path):
    evil = '<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">'
    town = tiny_town(evil)
    m = tp.plan_map(town, review=fake_review(town, name_extra=evil), basemap="none")
    pg = open_map(browser, m, tmp_path / "evil.html")
    texts = pg.js(
        f"""(() => {{
        const out = [];
        {MAP_JS}.eachLayer(l => {{
            if (l.feature && l.getPopup()) {{
                l.openPopup(l.getBounds ? l.getBounds().getCenter() : l.getLatLng());
                out.push(l.getPopup().getElement().innerText);
                l.closePopup();
                l.openTooltip(l.getBounds ? l.getBounds().getCenter() : l.getLatLng());
                out.push(l.getTooltip().getElement().innerText);
                l.closeTooltip();
            }}
        }});
        return out;
        }})()"""
    )
    assert pg.js("window.__pwned") is None
    hits = [t for t in texts if evil in t]
    # Road, facility, control line, project (verdict) and conflict show the text verbatim.
    assert len(hits) == 10  # popup + tooltip of each of those five features
    assert (
        pg.js(
            "document.querySelectorAll('.leaflet-popup-content img, .leaflet-tooltip img').length"
        )
        == 0
    )
    assert pg.errors == [] and pg.requests == []
    pg.page.close()


def test_canvas_layers_and_tiles_missing_offline(browser, tmp_path):
    town = tiny_town()
    m = tp.plan_map(town, basemap="osm", canvas_threshold=1)
    pg = open_map(browser, m, tmp_path / "canvas.html")
    n = expected_paths(*town.layers.values())
    assert pg.js("document.querySelectorAll('.leaflet-overlay-pane canvas').length") >= 1
    assert pg.js("townplan.drawn") == n
    # Only tiles were requested from the network, and only their failures are logged.
    assert pg.requests and all("tile.openstreetmap.org" in u for u in pg.requests)
    assert all("ERR_NAME_NOT_RESOLVED" in e or "Failed to load resource" in e for e in pg.errors)
    pg.page.close()
