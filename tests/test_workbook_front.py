"""The workbook read back with openpyxl: the summary sheet (总表) first with the score and verdicts the
scorecard and review give, the problem list (整改清单) with blank department cells, Chinese units and
definitions, a readable 说明 sheet, and every sheet set up to print on A4 landscape."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from report_helpers import fake_review, scorecard, tiny_town

import townplan_gis as tp


@pytest.fixture(scope="module")
def town():
    return tiny_town()


@pytest.fixture(scope="module")
def review(town):
    return fake_review(town)


@pytest.fixture(scope="module")
def indicators():
    return pd.DataFrame(
        {
            "key": ["construction_land_per_capita_m2", "road_network_density_km_per_km2",
                    "facility_count_public_toilet", "gas_coverage_pct", "area_mu_test"],
            "name_zh": ["人均建设用地", "路网密度", "公厕数量", "燃气普及率", "面积"],
            "name_en": ["Land per capita", "Road density", "Toilets", "Gas", "Area"],
            "value": [120.5, 5.67, 3.0, 42.0, 12.5],
            "unit": ["m2/person", "km/km2", "count", "%", "mu"],
            "definition": ["Construction land ÷ population.", "Σ length ÷ area.",
                           "Number of facilities of type public_toilet …", "Reported statistic from the town metadata.",
                           "an area"],
            "note": ["construction land taken as the built-up area (no land-use layer)", "",
                     "1 public_toilet outside the built-up area not counted", "reported", ""],
        }
    )  # fmt: skip


@pytest.fixture(scope="module")
def book(tmp_path_factory, town, review, indicators):
    card = scorecard()
    card.attrs.update(standard="test-2026", title_zh="测试镇建设标准")
    path = tmp_path_factory.mktemp("wb") / "workbook.xlsx"
    tp.to_excel(path, scorecard=card, indicators=indicators, review=review, town=town)
    return openpyxl.load_workbook(path), card


def _pairs(ws) -> dict:
    return {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0] is not None}


def test_summary_sheet_first_with_the_score_and_verdicts(book, review):
    wb, card = book
    assert wb.sheetnames[:2] == ["总表", "整改清单"]
    facts = _pairs(wb["总表"])
    met = int((card["status"] == "pass").sum())
    assert facts["达标率（%）"] == pytest.approx(round(100 * met / len(card), 1))
    assert facts["达标 / 指标数"] == f"{met} / {len(card)}"
    assert facts["未达标"] == int((card["status"] == "fail").sum())
    counts = review.projects["verdict"].value_counts()
    assert facts["五线审查：不予通过"] == counts["reject"]
    assert facts["评价标准"] == "《测试镇建设标准》（test-2026）"
    assert "年" in facts["生成时间"] and "月" in facts["生成时间"]
    # the index of sheets names every further sheet
    for name in wb.sheetnames[1:]:
        assert name in facts


def test_problem_sheet_has_blank_departments(book, review):
    wb, card = book
    rows = list(wb["整改清单"].iter_rows(values_only=True))
    assert rows[0] == ("序号", "类别", "问题", "现状", "要求", "差距", "责任部门", "整改期限")
    body = rows[1:]
    n_fail = int((card["status"] == "fail").sum())
    n_bad = int(review.projects["verdict"].isin(["reject", "not_checked", "invalid"]).sum())
    assert len(body) == n_fail + n_bad
    assert [r[0] for r in body] == list(range(1, len(body) + 1))  # numbers, not text
    assert all(r[6] is None and r[7] is None for r in body)


def test_units_definitions_and_notes_in_chinese(book):
    wb, _ = book
    ws = wb["指标"]
    head = [c.value for c in ws[1]]
    rows = [dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert [r["单位"] for r in rows] == ["m²/人", "km/km²", "个", "%", "亩"]
    assert (
        rows[0]["定义"].startswith("建设用地面积")
        and rows[0]["备注"] == "建设用地按建成区面积计（无用地图层）"
    )
    assert rows[2]["定义"].startswith("部分位于建成区内的公厕个数")
    assert rows[2]["备注"] == "1 处公厕位于建成区外，未计入"
    assert rows[3]["定义"].startswith("城镇上报的统计数据") and rows[3]["备注"] == "上报统计数据"
    assert rows[0]["数值"] == 120.5  # still a number


def test_method_sheet_reads_as_sentences(book):
    wb, _ = book
    facts = _pairs(wb["说明"])
    assert facts["面积与长度"].startswith("在米制分析坐标系中计算")
    assert "内置默认规则" in facts["审查规则文件"]
    assert facts["容差（碎片）"].startswith("重叠面积小于 1.00 m²")
    assert not any("." in str(k) and str(k).isascii() for k in facts)  # no review.tolerance.x rows


def test_every_sheet_prints_on_a4_landscape(book):
    wb, _ = book
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert str(ws.page_setup.paperSize) == "9", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        if ws.title != "总表":
            assert ws.print_title_rows == "$1:$1", ws.title


def test_english_summary(tmp_path, review):
    path = tp.to_excel(tmp_path / "en.xlsx", scorecard=scorecard(), review=review, lang="en")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["Summary", "Problems"]
    assert _pairs(wb["Summary"])["Not met"] == int((scorecard()["status"] == "fail").sum())
