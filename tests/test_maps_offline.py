"""Offline, self-contained HTML export (townplan_gis.maps.offline)."""

from __future__ import annotations

import re

import folium
import pytest
from folium.plugins import Fullscreen, MeasureControl
from maps_helpers import tiny_town

import townplan_gis as tp
from townplan_gis.maps import OfflineAssetError, render_html, save_map

EXTERNAL_TAG = re.compile(r"<(script|link)\b[^>]*\b(src|href)=[\"'](https?:)?//", re.I)


def test_plan_map_export_has_no_external_script_or_stylesheet(tmp_path):
    path = save_map(tp.plan_map(tiny_town(), basemap="osm"), tmp_path / "a" / "map.html")
    html = path.read_text("utf-8")
    assert not EXTERNAL_TAG.search(html)
    assert "@import" not in html
    # Leaflet, fullscreen and measure are inlined; their CSS images are data URIs.
    assert "inlined from leaflet.js" in html and "inlined from leaflet.css" in html
    assert "inlined from Control.FullScreen.min.js" in html
    assert "inlined from leaflet-measure.min.js" in html
    assert 'url("data:image/png;base64,' in html and 'url("data:image/svg+xml;base64,' in html
    assert not re.search(r"url\((?!\"?data:)['\"]?images/", html)
    # The default marker icon points at data URIs, not at a path guessed from the CSS.
    assert "L.Icon.Default.mergeOptions({iconUrl: 'data:image/png;base64," in html
    # Tile URLs stay (only the basemap is missing offline); Bootstrap/Font Awesome are dropped.
    assert "tile.openstreetmap.org" in html
    assert "bootstrap.min" not in html and "bootstrap.bundle" not in html
    assert "fontawesome" not in html


def test_online_keeps_folium_cdn_links(tmp_path):
    html = save_map(tp.plan_map(tiny_town()), tmp_path / "m.html", offline=False).read_text()
    assert (
        '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>' in html
    )


def test_unrecognised_external_url_raises():
    m = folium.Map(tiles=None)
    m.get_root().header.add_child(
        folium.Element('<script src="https://example.org/evil.js"></script>')
    )
    with pytest.raises(OfflineAssetError, match=r"https://example.org/evil.js"):
        render_html(m)
    m2 = folium.Map(tiles=None)
    m2.get_root().header.add_child(folium.Element('<link rel="stylesheet" href="//x.cn/a.css"/>'))
    with pytest.raises(OfflineAssetError, match=r"x\.cn/a\.css"):
        render_html(m2)


def test_folium_icon_markers_are_refused_offline():
    m = folium.Map(tiles=None)
    folium.Marker([34.8, 110.3], icon=folium.Icon(icon="info-sign")).add_to(m)
    with pytest.raises(OfflineAssetError, match="CircleMarker"):
        render_html(m)
    # The plain default marker works: its icon is inlined.
    m = folium.Map(tiles=None)
    folium.Marker([34.8, 110.3]).add_to(m)
    assert not EXTERNAL_TAG.search(render_html(m))


def test_jquery_inlined_only_when_the_page_uses_it():
    m = folium.Map(tiles=None)
    Fullscreen().add_to(m)
    MeasureControl().add_to(m)
    assert "jQuery v3" not in render_html(m)
    m.get_root().script.add_child(folium.Element("$(document).ready(function(){});"))
    html = render_html(m)
    assert "inlined from jquery-3.7.1.min.js" in html
    assert not EXTERNAL_TAG.search(html)


def test_save_map_of_a_plain_folium_map_and_repeated_maps_do_not_leak(tmp_path):
    # Rendering twice must not duplicate or lose assets (folium's class-level JS lists are shared).
    for i in range(2):
        html = save_map(
            tp.plan_map(tiny_town(), basemap="none"), tmp_path / f"{i}.html"
        ).read_text()
        assert html.count("inlined from leaflet.js") == 1
        assert html.count("inlined from leaflet-measure.min.js") == 1


# --- the same map gives the same bytes ------------------------------------------------------------
RANDOM_ID = re.compile(r"_([0-9a-f]{32})(?![0-9a-f])")


def _folium_map(feature_name: str) -> folium.Map:
    """A plain folium map with the usual elements: group, layer control, popup, tooltip, marker."""
    m = folium.Map(location=[34.83, 110.32], zoom_start=14, tiles=None)
    group = folium.FeatureGroup(name="组").add_to(m)
    folium.CircleMarker(
        [34.83, 110.32], radius=5, popup=folium.Popup(feature_name), tooltip="提示"
    ).add_to(group)
    folium.Marker([34.84, 110.33]).add_to(m)
    folium.LayerControl().add_to(m)
    return m


def test_two_builds_of_a_map_give_the_same_bytes(tmp_path):
    pages = [
        save_map(tp.plan_map(tiny_town(), basemap="osm"), tmp_path / f"{i}.html").read_bytes()
        for i in range(2)
    ]
    assert pages[0] == pages[1]
    ids = RANDOM_ID.findall(pages[0].decode())
    assert ids and all(re.fullmatch(r"0+[0-9a-f]{1,4}", i) for i in ids), ids[:5]
    assert render_html(_folium_map("x")) == render_html(_folium_map("x"))


def test_rendering_a_map_again_gives_the_same_page():
    m = tp.plan_map(tiny_town(), basemap="none")
    first = render_html(m)
    assert render_html(m) == first  # folium alone appends each layer's addTo line again
    assert first.count(".addTo(map_") == render_html(m).count(".addTo(map_")
    m2 = _folium_map("x")
    assert render_html(m2) == render_html(m2)


def test_a_32_hex_text_in_the_data_is_not_taken_for_an_element_id():
    data = "sha_" + "ab" * 16  # a feature named after a hash: data, not an element id
    html = render_html(_folium_map(data))
    assert data in html  # kept as it was
    ids = {i for i in RANDOM_ID.findall(html) if i != "ab" * 16}
    assert ids and all(re.fullmatch(r"0+[0-9a-f]{1,4}", i) for i in ids)
