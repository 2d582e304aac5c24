"""The report's front matter: the cover states the standard and where it applies, the conclusion counts
what the scorecard and the review say, the problem list (整改清单) has each failure with its gap in
units and a blank department column; dates in Chinese; the PDF is printed."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pandas as pd
import pytest
from report_helpers import Page, fake_review, scorecard, tiny_town

import townplan_gis as tp
from townplan_gis.deliverables.cover import conclusion, problem_list, region_note
from townplan_gis.deliverables.wording import date_text, note_text, target_text, zh_punct


@pytest.fixture(scope="module")
def town():
    return tiny_town()


@pytest.fixture(scope="module")
def review(town):
    return fake_review(town)


def named_card() -> pd.DataFrame:
    card = scorecard()
    card.attrs.update(standard="test-2026", title_zh="测试镇建设标准")
    return card


@pytest.fixture(scope="module")
def page(town, review):
    return tp.report(town, scorecard=named_card(), review=review, map=False)


def _section(page: str, sid: str) -> str:
    return page.split(f'id="{sid}"')[1].split("</section>")[0]


def test_cover_names_town_standard_and_date(page):
    cover = _section(page, "cover")
    assert "《测试镇建设标准》（test-2026）" in cover
    assert "评价标准" in cover and "编制日期" in cover
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", cover)
    assert "T" not in re.sub(r"<[^>]+>", "", cover).replace("townplan", "")  # no ISO time


def test_conclusion_counts_equal_the_scorecard_and_review(page, review):
    card = scorecard()
    met = int((card["status"] == "pass").sum())
    p = Page(page)
    score = next(a for t, a in p.tags if t == "span" and a.get("class") == "score")
    assert int(score["data-met"]) == met and int(score["data-targets"]) == len(card)
    text = _section(page, "conclusion")
    assert f"达标 {met} 项" in text and f"{len(card)} 项指标" in text
    n = review.projects["verdict"].value_counts()
    assert f"不予通过 {n['reject']} 个" in text


def test_problem_list_has_each_failure_with_its_gap_in_units(review):
    card = pd.DataFrame(
        {
            "key": ["green_coverage_pct", "park_count", "built_up_area_km2"],
            "name_zh": ["绿化覆盖率", "公园数量", "建成区面积"],
            "name_en": ["Green coverage", "Parks", "Built-up area"],
            "value": [15.12, 1.0, 2.5],
            "target": [30.0, 2.0, 2.0],
            "comparator": [">=", ">=", ">="],
            "status": ["fail", "fail", "pass"],
            "gap": [-14.88, -1.0, 0.5],
            "unit": ["%", "count", "km2"],
        }
    )
    rows = problem_list(card, review, "zh")
    targets = [r for r in rows if r["kind"] == "指标未达标"]
    assert [r["item"] for r in targets] == ["绿化覆盖率", "公园数量"]
    assert targets[0]["gap"] == "差 14.9 个百分点" and targets[0]["need"] == "≥ 30.0 %"
    assert targets[1]["gap"] == "差 1 个" and targets[1]["now"] == "1 个"
    projects = [r for r in rows if r["kind"].startswith("项目")]
    rejected = review.projects.loc[review.projects["verdict"] == "reject", "project_id"].tolist()
    assert [r["item"].split()[0] for r in projects] == rejected
    assert "10,000.00 m²（15.00 亩）" in projects[0]["gap"]
    assert [r["n"] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]


def test_problem_table_leaves_department_blank(page):
    text = _section(page, "problems")
    heads = re.findall(r"<th>(.*?)</th>", text)
    assert heads == ["序号", "类别", "问题", "现状", "要求", "差距", "责任部门", "整改期限"]
    rows = re.findall(r"<tr><td>\d+</td>.*?</tr>", text, flags=re.S)
    assert rows and all(r.count('<td class="fill"></td>') == 2 for r in rows)


def test_projects_needing_approval_are_counted_under_the_list(page, review):
    n = int((review.projects["verdict"] == "review").sum())
    assert n and f"另有 {n} 个项目需按所列程序报批" in _section(page, "problems")


def test_nothing_to_fix_is_said(town):
    card = scorecard().assign(status="pass")
    html = tp.report(town, scorecard=card, map=False)
    assert "没有未达标的指标或未通过审查的项目" in _section(html, "problems")
    assert conclusion(card, None, {"name": "x"}, "zh")["score"] == "100.0"


def test_office_on_the_cover(town):
    html = tp.report(town, map=False, title="测试")
    assert "编制单位" not in _section(html, "cover")
    from townplan_gis.deliverables import build_report

    html = build_report(town, lang="zh", office="某县自然资源和规划局")
    assert "某县自然资源和规划局" in _section(html, "cover")


def test_standard_of_another_place_is_said():
    puzhou = tp.sample_town()
    assert "本镇位于山西省永济市" in region_note(puzhou, "ezhou-2017", "zh")
    assert region_note(puzhou, "national-2016", "zh") == ""  # a national standard applies anywhere
    weicheng = tp.Town(
        "渭城镇", metadata={"province": "陕西省", "county": "渭城区"}, allow_empty=True
    )
    assert region_note(weicheng, "weicheng-2017", "zh") == ""


def test_wording():
    assert zh_punct("示意数据:几何为示意,并非测绘成果") == "示意数据：几何为示意，并非测绘成果"
    assert zh_punct("旅游公路(东段)") == "旅游公路（东段）"
    assert zh_punct("EPSG:4546, 1,000 m") == "EPSG:4546, 1,000 m"  # ASCII stays ASCII
    assert zh_punct("方案, 2017 (docs/sources.md#ezhou-2017)") == "方案，2017"
    when = dt.datetime(2026, 12, 7, 14, 5, tzinfo=dt.timezone.utc)
    assert date_text(when.astimezone(), "zh") == date_text(when, "zh")
    assert re.fullmatch(r"2026年12月\d{1,2}日 \d\d:05", date_text(when, "zh"))
    assert note_text("reported statistic; reported", "zh") == "上报统计数据"
    assert note_text("3 garbage_point outside the built-up area not counted", "zh") == (
        "3 处垃圾收集点位于建成区外，未计入"
    )
    assert note_text("something new", "zh") == "something new"  # never dropped
    row = {"name": "路网覆盖率", "comparator": ">=", "target": 90.0, "unit": "%",
           "source": "鄂州 2017 §1 B: built-up road-network coverage ≥ X %"}  # fmt: skip
    assert target_text(row, "鄂州标准", "zh") == "鄂州 2017：路网覆盖率 ≥ 90.0 %"
    assert target_text(row, "鄂州标准", "en") == row["source"]


@pytest.mark.skipif(not shutil.which("chromium"), reason="no chromium to print the PDF")
def test_report_pdf(tmp_path, town, review):
    path = tp.report(town, scorecard=scorecard(), review=review, map=False, path=tmp_path / "r.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        for needle in ("整改清单", "总体结论", "评价标准", "二、达标评分"):
            assert needle in text
