"""core/fonts: a CJK font is found even when matplotlib's cache predates it; without one, Chinese
output stops with the fix instead of switching to English."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from matplotlib import font_manager

import townplan_gis as tp
from townplan_gis.core import fonts
from townplan_gis.deliverables import charts


def _stale_manager():
    """matplotlib's font list as a cache built before fonts-noto-cjk was installed: no CJK face."""
    m = copy.copy(font_manager.fontManager)
    m.ttflist = [f for f in font_manager.fontManager.ttflist if fonts._pick({f.name}) is None]
    return m


@pytest.fixture
def no_cjk_font(monkeypatch):
    """A system with no CJK font at all: a stale list and nothing on disk to add."""
    monkeypatch.setattr(font_manager, "fontManager", _stale_manager())
    monkeypatch.setattr(fonts, "_candidate_files", lambda: [])
    fonts._global_font.cache_clear()
    yield
    fonts._global_font.cache_clear()


def test_stale_cache_still_finds_the_installed_font():
    if not fonts._candidate_files():
        pytest.skip("no CJK font installed on this machine")
    stale = _stale_manager()
    assert fonts._pick({f.name for f in stale.ttflist}) is None  # the simulated cache is stale
    found = fonts.find_cjk_font(stale)
    assert found in fonts.CJK_FAMILIES[:3] or found.startswith(fonts.CJK_FAMILIES)
    # registered in that list, so figures drawn with it get the glyphs
    assert found in {f.name for f in stale.ttflist}


def test_global_font_is_a_cjk_family():
    assert fonts.cjk_font().startswith(fonts.CJK_FAMILIES)
    assert fonts.font_family("zh")[0] == fonts.cjk_font()


def test_charts_reexports_the_font_finder():
    assert charts.cjk_font is fonts.cjk_font


def test_no_cjk_font_raises_with_the_fix(no_cjk_font):
    with pytest.raises(fonts.FontMissingError, match=r"apt-get install fonts-noto-cjk") as e:
        fonts.cjk_font()
    assert "no font with Chinese glyphs" in str(e.value)
    assert isinstance(e.value, tp.TownPlanError)  # the CLI turns it into exit 2 and one line


def test_no_cjk_font_english_output_still_works(no_cjk_font):
    assert fonts.cjk_font(required=False) is None
    assert fonts.font_family("en") == ["DejaVu Sans"]


def test_chinese_chart_without_font_refuses_instead_of_english(no_cjk_font):
    table = pd.DataFrame(
        {
            "name_zh": ["人均道路面积"],
            "name_en": ["Road area per person"],
            "value": [9.0],
            "target": [12.0],
            "comparator": [">="],
            "status": ["fail"],
            "unit": ["m2_per_person"],
        }
    )
    with pytest.raises(fonts.FontMissingError):
        charts.indicator_charts(table, lang="zh")
    assert len(charts.indicator_charts(table, lang="en")) == 1


def test_chinese_print_plan_without_font_refuses(no_cjk_font):
    with pytest.raises(fonts.FontMissingError, match="fonts-noto-cjk"):
        tp.plan_figure(tp.sample_town())
