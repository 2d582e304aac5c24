"""Chinese outputs read as Chinese: the sample town's report and workbook carry no English word and no
half-width punctuation between Chinese characters (tests/zh_check.py says what is allowed: units,
CRS codes, standard codes, ids, numbers, file names)."""

from __future__ import annotations

import pytest
from zh_check import ALLOWED, ascii_words, half_width, html_text, scan, workbook_texts

import townplan_gis as tp


# --- the scanner itself ---------------------------------------------------------------------------------
def test_scanner_finds_english_words_and_half_width_punctuation():
    assert ascii_words("项目类型 building，状态 planned") == ["building", "planned"]
    assert ascii_words("最高等级 nan") == ["nan"]
    assert ascii_words("≥ X %") == ["X"]
    assert half_width("示意数据:几何为示意,并非测绘成果") == ["据:几", "意,并"]
    assert half_width("旅游公路(东段)") == ["路(东"]
    assert scan(["镇,县"]) and scan([("总表", "A1", "building")])


def test_scanner_allows_units_codes_ids_and_numbers():
    fine = [
        "EPSG:4546（CGCS2000 3度带高斯-克吕格投影，中央经线 111°E）",
        "人均道路面积 17.98 m²/人；路网密度 5.67 km/km²；88.20 km²（8,820.00 hm²）",
        "GB 50188-2007 表 5.2.1；CJJ/T 85-2017；公园绿地 G1",
        "P09-5 商业街绿化；SHA-256 c8df1711d5657dc5；townplan_gis 0.1.0；default.toml",
        "重叠面积 (m²)",  # a unit in brackets after a header: not between two Chinese characters
    ]
    assert scan(fine) == []
    assert "m²" in ALLOWED and "EPSG" in ALLOWED


# --- the outputs ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("zh")
    job = tp.Pipeline(tp.sample_town(), standard="ezhou-2017", lang="zh", progress=False)
    report = job.write_report(out / "report.html", map=False)
    book = job.write_workbook(out / "workbook.xlsx")
    return report.read_text("utf-8"), book


def test_report_is_chinese_throughout(outputs):
    page, _ = outputs
    texts = html_text(page)
    assert len(texts) > 500  # the whole report was read, not an empty page
    assert scan(texts) == []


def test_workbook_is_chinese_throughout(outputs):
    _, book = outputs
    cells = workbook_texts(book)
    assert len(cells) > 500
    # Names as entered by the user (project and line names) are data, kept as typed; every other
    # cell, the generated sentences included, is scanned.
    data_columns = {"项目名称", "控制线名称", "控制线编号", "项目编号", "指标代码"}
    headers = {}
    from openpyxl import load_workbook

    wb = load_workbook(book, read_only=True)
    for ws in wb.worksheets:
        first = next(ws.iter_rows(min_row=1, max_row=1), ())
        headers[ws.title] = {c.column_letter: c.value for c in first if c.value is not None}
    wb.close()
    kept = [
        (s, ref, t)
        for s, ref, t in cells
        if not ref or headers.get(s, {}).get(ref.rstrip("0123456789")) not in data_columns
    ]
    assert scan(kept) == []


def test_map_popups_are_chinese_throughout():
    """Every popup field label and every value a popup shows, on the sample's zh plan map with its
    review; names and codes as the user typed them are data and kept as typed."""
    import json
    import re

    from townplan_gis.maps.layers import LeafletGeoJson

    town = tp.sample_town()
    m = tp.plan_map(town, review=tp.review(town), basemap="none", lang="zh")
    data_fields = {"名称", "项目名称", "编号", "项目编号", "控制线名称", "控制线编号", "代码"}
    texts: list[str] = []
    layers = [c for c in m._children.values() if isinstance(c, LeafletGeoJson)]
    assert len(layers) >= 8
    for layer in layers:
        options = json.loads(layer.options_js)
        fields = options["fields"]
        texts += [layer.layer_name, options["title"], *fields]
        for feature in json.loads(layer.data)["features"]:
            values = feature["properties"].get("p", [])
            # A name quoted in a sentence (「旅游公路(东段)道路红线」) is data too.
            texts += [
                re.sub(r"「[^」]*」", "「」", v)
                for f, v in zip(fields, values, strict=False)
                if isinstance(v, str) and f not in data_fields
            ]
    assert len(texts) > 500
    assert scan(texts) == []
