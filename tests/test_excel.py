"""The Excel workbook read back with openpyxl and pandas: sheets, headers with units, numbers stored as
numbers, empty cells for NaN, frozen header rows, widths fitting CJK text."""

from __future__ import annotations

import datetime
import logging
import math
import re
import time
import zipfile
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_helpers import fake_review, scorecard, tiny_town

import townplan_gis as tp
from townplan_gis.deliverables import display_width
from townplan_gis.deliverables.wording import date_text


@pytest.fixture(scope="module")
def review():
    return fake_review(tiny_town())


@pytest.fixture(scope="module")
def indicators():
    return pd.DataFrame(
        {
            "key": ["built_up_area_km2", "park_count", "population"],
            "name_zh": ["建成区面积", "公园数量", "人口"],
            "name_en": ["Built-up area", "Parks", "Population"],
            "value": [1.0, 3.0, float("nan")],
            "unit": ["km2", "count", "persons"],
            "definition": ["dissolved built-up polygons", "G1 parks", "residents"],
            "note": ["", "", "population unknown"],
        }
    )


@pytest.fixture(scope="module")
def book_zh(tmp_path_factory, review, indicators):
    path = tmp_path_factory.mktemp("xl") / "out" / "workbook.xlsx"
    tp.to_excel(path, scorecard=scorecard(), indicators=indicators, review=review, lang="zh")
    return path


def test_sheets_and_headers_zh(book_zh):
    wb = openpyxl.load_workbook(book_zh)
    assert wb.sheetnames == ["总表", "整改清单", "达标评分", "指标", "冲突明细", "项目审查", "说明"]
    head = [c.value for c in wb["冲突明细"][1]]
    assert head[:4] == ["项目编号", "项目名称", "项目类型", "控制线"]
    assert "重叠面积 (m²)" in head and "重叠面积（亩）" in head and "占项目比例 (%)" in head
    assert [c.value for c in wb["达标评分"][1]] == [
        "指标代码", "指标", "数值", "单位", "比较", "目标值", "评价", "差距", "依据", "备注",
    ]  # fmt: skip
    assert [c.value for c in wb["项目审查"][1]] == [
        "项目编号", "项目名称", "项目类型", "审查结论", "最高等级", "冲突数（个）", "忽略碎片数（个）",
        "占红线面积 (m²)", "占绿线面积 (m²)", "占紫线面积 (m²)", "占蓝线面积 (m²)", "占黄线面积 (m²)",
        "说明",
    ]  # fmt: skip
    for ws in wb.worksheets[1:]:  # the summary sheet is a page of text, not a table
        assert ws.freeze_panes == "A2", ws.title


def test_numbers_are_numbers(book_zh):
    wb = openpyxl.load_workbook(book_zh)
    ws = wb["达标评分"]
    head = [c.value for c in ws[1]]
    vcol, tcol, scol = head.index("数值") + 1, head.index("目标值") + 1, head.index("评价") + 1
    values = [ws.cell(row=r, column=vcol).value for r in range(2, ws.max_row + 1)]
    assert values[:3] == [1.0, 15.123, 3]
    assert values[3] is None  # NaN → empty cell, never the text "nan"
    assert all(ws.cell(row=r, column=tcol).data_type == "n" for r in range(2, ws.max_row + 1))
    assert [ws.cell(row=r, column=scol).value for r in range(2, 6)] == [
        "未达标",
        "未达标",
        "达标",
        "无法评价",
    ]
    # counts formatted as integers, percentages with one decimal
    assert ws.cell(row=4, column=vcol).number_format == "#,##0"
    assert ws.cell(row=3, column=vcol).number_format == "0.0"


def test_conflicts_and_projects_read_back_with_pandas(book_zh, review):
    cf = pd.read_excel(book_zh, sheet_name="冲突明细")
    # worst first (forbidden), the ignored sliver last
    assert list(cf["项目编号"]) == ["P1", "P3", "P2"]
    assert list(cf["等级"]) == ["禁止", "需审批", "需审批"]
    assert cf["重叠面积 (m²)"].dtype.kind == "f"
    assert cf["重叠面积 (m²)"].tolist() == [10_000.0, 100.0, 0.5]
    assert cf["重叠面积（亩）"].iloc[0] == 15.0  # 10,000 m² × 15/10,000
    assert cf["忽略（碎片）"].tolist() == ["否", "否", "是"]  # said in Chinese, not TRUE/FALSE
    pj = pd.read_excel(book_zh, sheet_name="项目审查")
    assert list(pj["项目编号"]) == ["P1", "P3", "P2"]  # rejected first
    assert list(pj["审查结论"]) == ["不予通过", "需审批", "通过"]
    assert pj["冲突数（个）"].dtype.kind == "i"
    meta = pd.read_excel(book_zh, sheet_name="说明")
    assert "审查规则文件" in set(meta["项目"])


def test_method_sheet_expands_dicts_and_lists(tmp_path, review):
    rv = SimpleNamespace(**vars(review))
    rv.settings = {
        **review.settings,
        "setbacks": {
            "enabled": True,
            "project_types": ["building", "road"],
            "distance_m": {"arterial": 8, "branch": 5.5},
        },
        "engine": "threads",
        "empty": {},
    }
    path = tp.to_excel(
        tmp_path / "m.xlsx",
        review=rv,
        lang="en",
        settings={"standard": "ezhou-2017", "ids": (3, 4)},
    )
    ws = openpyxl.load_workbook(path)["Method"]
    rows = {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["review.tolerance.min_area_m2"] == 1.0  # a number, not the text "1.0"
    assert rows["review.setbacks.distance_m.arterial"] == 8
    assert rows["review.setbacks.distance_m.branch"] == 5.5
    assert rows["review.setbacks.project_types"] == "building, road"
    assert rows["review.setbacks.enabled"] is True
    assert rows["review.engine"] == "threads" and rows["standard"] == "ezhou-2017"
    assert rows["ids"] == "3, 4"
    assert rows["review.empty"] is None
    assert "review.setbacks" not in rows and "review.tolerance" not in rows
    # no Python repr anywhere: no braces, brackets or quotes
    assert not [v for v in rows.values() if isinstance(v, str) and any(c in v for c in "{}[]'")]
    assert list(rows)[:2] == ["standard", "ids"]  # the caller's facts first, then the review's


def test_english(tmp_path, review, indicators):
    path = tp.to_excel(tmp_path / "en.xlsx", scorecard=scorecard(), review=review, lang="en")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Problems", "Scorecard", "Conflicts", "Projects", "Method"]
    head = [c.value for c in wb["Conflicts"][1]]
    assert "Overlap area (m²)" in head and "Overlap area (mu)" in head
    pj = pd.read_excel(path, sheet_name="Projects")
    assert list(pj["Verdict"]) == ["reject", "review", "pass"]


def test_cjk_widths(book_zh):
    wb = openpyxl.load_workbook(book_zh)
    ws = wb["指标"]
    head = [c.value for c in ws[1]]
    name_col = openpyxl.utils.get_column_letter(head.index("指标") + 1)
    # longest cell 建成区面积: 5 wide characters → 10 columns, + 2 padding
    assert ws.column_dimensions[name_col].width == 12
    assert display_width("中文ab") == 6
    assert display_width("ＡＢ") == 4  # full-width Latin counts 2
    assert display_width(None) == 0


def test_nothing_to_write(tmp_path):
    with pytest.raises(tp.TownPlanError, match="nothing to write"):
        tp.to_excel(tmp_path / "x.xlsx")


def test_bad_scorecard(tmp_path):
    with pytest.raises(tp.TownPlanError, match="status"):
        tp.to_excel(tmp_path / "x.xlsx", scorecard=pd.DataFrame({"key": ["a"], "value": [1]}))


def test_puzhou_workbook_equals_assess(tmp_path):
    town = tp.sample_town()
    card = tp.assess(town, "ezhou-2017")
    path = tp.to_excel(
        tmp_path / "p.xlsx", scorecard=card, indicators=tp.town_indicators(town), lang="en"
    )
    back = pd.read_excel(path, sheet_name="Scorecard")
    assert list(back["Key"]) == list(card["key"])
    for a, b in zip(back["Value"], card["value"], strict=True):
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(
        # Excel's own range ends near 1e308; planning figures are far inside it
        st.one_of(
            st.floats(min_value=-1e300, max_value=1e300),
            st.just(float("nan")),
            st.integers(-(10**9), 10**9),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_number_round_trips_as_a_number(tmp_path_factory, values):
    n = len(values)
    card = pd.DataFrame(
        {
            "key": [f"k{i}" for i in range(n)],
            "name_zh": ["指标"] * n,
            "name_en": ["x"] * n,
            "value": [float(v) for v in values],
            "target": [1.0] * n,
            "comparator": [">="] * n,
            "status": ["pass"] * n,
            "gap": [0.0] * n,
            "unit": ["m2"] * n,
        }
    )
    path = tp.to_excel(tmp_path_factory.mktemp("h") / "h.xlsx", scorecard=card, lang="en")
    ws = openpyxl.load_workbook(path)["Scorecard"]
    back = [ws.cell(row=r, column=3).value for r in range(2, n + 2)]
    for a, b in zip(back, card["value"], strict=True):
        if math.isnan(b):
            assert a is None
        else:
            # openpyxl writes 16 significant digits (Excel itself keeps 15): equal to 1e-15
            assert isinstance(a, (int, float)) and a == pytest.approx(b, rel=1e-15, abs=0)


# --- safe to open, same bytes ----------------------------------------------------------------------
def _sheet_xml(path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {
            n: z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/")
        }


@pytest.fixture(scope="module")
def hostile_review():
    from output_helpers import hostile_town

    return tp.review(hostile_town())


@pytest.fixture(scope="module")
def hostile_book(tmp_path_factory, hostile_review):
    path = tmp_path_factory.mktemp("hx") / "hostile.xlsx"
    tp.to_excel(path, review=hostile_review, lang="en")
    return path


def _cells(ws, column: int) -> dict:
    return {
        ws.cell(row=r, column=column).value: ws.cell(row=r, column=column)
        for r in range(2, ws.max_row + 1)
    }


def test_formula_like_texts_are_stored_as_strings(hostile_book):
    from output_helpers import HYPERLINK

    wb = openpyxl.load_workbook(hostile_book)
    ws = wb["Projects"]
    ids, names = _cells(ws, 1), _cells(ws, 2)
    for cell in (ids["=1+1"], names[HYPERLINK], ids["-5"], names["-5"]):
        assert cell.data_type == "s", cell.coordinate
        assert cell.quotePrefix  # Excel keeps it text when the cell is edited
    assert not ids["P7"].quotePrefix  # ordinary texts are plain
    cf = _cells(wb["Conflicts"], 1)
    assert cf["=1+1"].data_type == "s"
    # no formula anywhere in the file: no <f> element in any sheet
    assert not [n for n, xml in _sheet_xml(hostile_book).items() if "<f>" in xml or "<f " in xml]


def test_numbers_stay_numbers_next_to_escaped_texts(tmp_path):
    ind = pd.DataFrame(
        {
            "key": ["-5", "delta"],
            "name_zh": ["=1+1", "变化"],
            "name_en": ["=1+1", "change"],
            "value": [-5.0, -5],
            "unit": ["m2", "count"],
            "definition": ["+x", "@y"],
            "note": ["", ""],
        }
    )
    path = tp.to_excel(tmp_path / "n.xlsx", indicators=ind, lang="en")
    ws = openpyxl.load_workbook(path)["Indicators"]
    rows = list(ws.iter_rows(min_row=2))
    assert [(c.value, c.data_type) for c in rows[0][:3]] == [("-5", "s"), ("=1+1", "s"), (-5, "n")]
    assert (rows[1][2].value, rows[1][2].data_type) == (-5, "n")
    assert [rows[0][4].value, rows[1][4].value] == ["+x", "@y"]
    assert rows[0][4].quotePrefix and rows[1][4].quotePrefix


def test_control_character_removed_from_the_copy_and_recorded(tmp_path, hostile_review, caplog):
    with caplog.at_level(logging.WARNING, logger="townplan_gis.deliverables.workbook"):
        path = tp.to_excel(tmp_path / "c.xlsx", review=hostile_review, lang="en")
    wb = openpyxl.load_workbook(path)
    names = _cells(wb["Projects"], 2)
    assert "泵站一号" in names and not [n for n in names if n and "\x07" in n]
    ref = names["泵站一号"].coordinate
    meta = {r[0]: r[1] for r in wb["Method"].iter_rows(min_row=2, values_only=True)}
    note = meta["written copy: Projects · Project"]
    assert "U+0007" in note and ref in note and "unchanged" in note
    assert "U+0007" in meta["written copy: Conflicts · Project"]
    assert [r for r in caplog.records if "U+0007" in r.getMessage() and ref in r.getMessage()]
    # the review itself keeps the character: only the written copy changed
    assert "泵站\x07一号" in hostile_review.projects["project_name"].tolist()


def test_overlong_text_cut_to_the_cell_limit_and_recorded(tmp_path, review):
    rv = SimpleNamespace(**vars(review))
    rv.settings = {**review.settings, "note": "规" * 40_000}
    path = tp.to_excel(tmp_path / "long.xlsx", review=rv, lang="en")
    meta = {r[0]: r[1] for r in openpyxl.load_workbook(path)["Method"].iter_rows(values_only=True)}
    assert len(meta["review.note"]) == 32_767
    assert "cut to Excel's 32,767-character limit" in meta["written copy: Method · Value"]


def test_identical_bytes_for_the_same_inputs_and_time(tmp_path, monkeypatch, hostile_review):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01 00:00:00 UTC
    a = tp.to_excel(tmp_path / "a.xlsx", review=hostile_review, indicators=None, lang="zh")
    time.sleep(2.1)  # zip timestamps have a 2 s resolution
    b = tp.to_excel(tmp_path / "b.xlsx", review=hostile_review, lang="zh")
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert "2026-01-01T00:00:00Z" in core
    meta = {r[0]: r[1] for r in openpyxl.load_workbook(a)["说明"].iter_rows(values_only=True)}
    when = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    assert meta["生成时间"] == date_text(when, "zh")  # local time, 2026年1月1日 00:00 in UTC


def test_sheets_identical_across_runs_apart_from_the_time(tmp_path, monkeypatch, review):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    a = _sheet_xml(tp.to_excel(tmp_path / "a.xlsx", scorecard=scorecard(), review=review))
    time.sleep(1.1)
    b = _sheet_xml(tp.to_excel(tmp_path / "b.xlsx", scorecard=scorecard(), review=review))
    assert a.keys() == b.keys()
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
    assert {n: stamp.sub("T", x) for n, x in a.items()} == {
        n: stamp.sub("T", x) for n, x in b.items()
    }


def test_bad_source_date_epoch(tmp_path, monkeypatch, review):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(tp.TownPlanError, match=r"SOURCE_DATE_EPOCH.*'yesterday'.*whole number"):
        tp.to_excel(tmp_path / "x.xlsx", review=review)
