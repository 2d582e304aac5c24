"""`townplan map` and the demo's map step."""

from __future__ import annotations

import re

from maps_helpers import tiny_town

import townplan_gis as tp
from townplan_gis.cli import main

EXTERNAL_TAG = re.compile(r"<(script|link)\b[^>]*\b(src|href)=[\"'](https?:)?//", re.I)


def test_townplan_map_writes_offline_html(tmp_path, capsys):
    src = tp.write_town(tiny_town(), tmp_path / "t.gpkg")
    out = tmp_path / "out" / "m.html"
    assert main(["map", str(src), "--basemap", "gaode", "--lang", "en", "--out", str(out)]) == 0
    html = out.read_text("utf-8")
    assert not EXTERNAL_TAG.search(html) and "autonavi.com" in html and "Legend" in html
    assert "offline, self-contained" in capsys.readouterr().out


def test_townplan_map_online_and_bad_basemap(tmp_path, capsys, monkeypatch):
    src = tp.write_town(tiny_town(), tmp_path / "t.gpkg")
    out = tmp_path / "m.html"
    assert main(["map", str(src), "--online", "--basemap", "none", "--out", str(out)]) == 0
    assert EXTERNAL_TAG.search(out.read_text("utf-8"))
    assert main(["map", str(src), "--basemap", "google", "--out", str(out)]) == 2
    assert "unknown basemap 'google'" in capsys.readouterr().err
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    assert main(["map", str(src), "--basemap", "tianditu", "--out", str(out)]) == 2
    assert "TIANDITU_KEY" in capsys.readouterr().err
    args = ["map", str(src), "--basemap", "tianditu", "--tianditu-key", "k9", "--out", str(out)]
    assert main(args) == 0
    assert "tk=k9" in out.read_text("utf-8")
