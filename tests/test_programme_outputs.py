"""The programme's outputs (周报, programme summary, acceptance table and records, before/after map and
atlas): their numbers are the computation's, read back from the HTML, the workbook and the .docx; the
Chinese outputs are Chinese throughout; the before/after page works offline."""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest
from programme_output_helpers import docx_text, page_text, workbook_text, zh_problems

import townplan_gis as tp
from townplan_gis.construction.findings import wan
from townplan_gis.deliverables.programme import atlas_html, record_docx
from townplan_gis.deliverables.programme.words import cdate, money, zh


@pytest.fixture(scope="module")
def puzhou():
    return tp.sample_town()


@pytest.fixture(scope="module")
def prog(puzhou):
    return tp.programme(puzhou, as_of="2017-11-06")


@pytest.fixture(scope="module")
def weeks(puzhou):
    earlier = puzhou.projects.copy()
    earlier["completion_pct"] = (earlier["completion_pct"] - 10).clip(lower=0)
    return tp.progress({"2017-10-13": puzhou.with_layer("projects", earlier), "2017-10-20": puzhou})


@pytest.fixture(scope="module")
def acc():
    towns = tp.sample_towns("weicheng")
    return tp.acceptance(towns, "weicheng-2017", fund_wan_yuan=1200, as_of="2017-12-15")


@pytest.fixture(scope="module")
def cmp(puzhou):
    return tp.compare(tp.sample_town("puzhou_2016.gpkg"), puzhou, standard="weicheng-2017")


@pytest.fixture(scope="module")
def out(tmp_path_factory, prog, weeks, acc, cmp):
    root = tmp_path_factory.mktemp("programme_outputs")
    return {
        "programme": tp.write_programme(prog, root / "programme", illustrative=True),
        "progress": tp.write_progress(weeks, root / "progress"),
        "acceptance": tp.write_acceptance(acc, root / "acceptance", county="渭城区"),
        "compare": tp.write_comparison(cmp, root / "compare", town="蒲州镇", atlas=False),
    }


def _sheet(path, title):
    ws = openpyxl.load_workbook(path)[title]
    rows = list(ws.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def _row_text(page: str, needle: str) -> str:
    """The visible text of the table row of ``page`` that contains ``needle``."""
    for tr in re.findall(r"<tr\b.*?</tr>", page, flags=re.S):
        if needle in tr:
            return page_text(tr)
    raise AssertionError(f"no row with {needle!r}")


# --- the programme ------------------------------------------------------------------------------


def test_programme_workbook_has_the_items_gap_as_numbers(out, prog):
    items = _sheet(out["programme"]["workbook"], "工程投资核对").set_index("所属工程")
    street = items.loc["商业街改造工程"]
    assert street["工程总投资 (万元)"] == 2700
    assert street["分项合计 (万元)"] == 2118
    assert street["差额 (万元)"] == 582
    assert street["核对结果"] == "总投资大于分项合计"
    computed = prog.by_item.set_index("programme_item")
    assert (
        items.loc["旅游景区提升工程", "差额 (万元)"]
        == computed.loc["旅游景区提升工程", "gap_wan_yuan"]
    )
    projects = _sheet(out["programme"]["workbook"], "项目台账")
    assert projects["投资 (万元)"].sum() == pytest.approx(prog.totals["investment_wan_yuan"])
    assert len(projects) == len(prog.projects)
    sources = _sheet(out["programme"]["workbook"], "按资金来源").set_index("资金来源")
    for r in prog.by_source.itertuples():
        assert sources.loc[r.label_zh, "金额 (万元)"] == pytest.approx(r.amount_wan_yuan)


def test_programme_page_shows_the_computed_figures(out, prog):
    page = out["programme"]["html"].read_text("utf-8")
    row = _row_text(page, "商业街改造工程")
    assert all(x in row for x in ("2,700", "2,118", "582", "总投资大于分项合计")), row
    assert f"{wan(prog.totals['investment_wan_yuan'])} 万元" in page_text(page)
    assert "截至2017年11月6日" in page
    findings = _sheet(out["programme"]["workbook"], "核查发现")
    assert len(findings) == len(prog.findings)
    for detail in prog.findings["detail_zh"]:
        assert zh(detail) in page_text(page)


# --- the weekly report (周报) ----------------------------------------------------------------------


def test_weekly_report_numbers_are_the_progress(out, weeks):
    book = out["progress"]["workbook"]
    summary = _sheet(book, "周报汇总")
    assert summary["已完成投资 (万元)"].tolist() == pytest.approx(
        weeks.weekly["completed_investment_wan_yuan"].tolist()
    )
    assert summary["日期"].tolist() == ["2017年10月13日", "2017年10月20日"]
    assert pd.isna(summary["本期新增完成投资 (万元)"].iloc[0])  # an empty cell: no report before
    rep = weeks.report()
    moved = _sheet(book, "本周进展")
    assert moved["项目编号"].tolist() == rep["moved"]["project_id"].tolist()
    assert moved["本期新增完成投资 (万元)"].sum() == pytest.approx(
        float(rep["summary"]["completed_investment_added_wan_yuan"].iloc[0])
    )
    page = page_text(out["progress"]["html"].read_text("utf-8"))
    added = rep["summary"]["completed_investment_added_wan_yuan"].iloc[0]
    assert f"本期新增完成投资 {money(added)} 万元" in " ".join(page.split())
    assert "第2期，填报日期2017年10月20日（上期2017年10月13日）" in page


# --- acceptance and subsidies ---------------------------------------------------------------------


def test_acceptance_workbook_subsidies_add_up_to_the_fund(out, acc):
    county = _sheet(out["acceptance"]["workbook"], "验收汇总")
    assert county["镇"].tolist() == acc.county["town"].tolist()
    assert county["奖补资金 (万元)"].tolist() == pytest.approx(
        acc.county["subsidy_wan_yuan"].tolist()
    )
    fund = _sheet(out["acceptance"]["workbook"], "奖补资金").set_index("内容")["金额 (万元)"]
    assert fund["奖补资金总额"] == 1200 and fund["工作经费（1%）"] == 12
    assert county["奖补资金 (万元)"].sum() + fund["工作经费（1%）"] == pytest.approx(1200)
    rejected = county[county["验收结论"] == "不合格"]
    assert (rejected["奖补资金 (万元)"] == 0).all() and len(rejected) == 3
    wb = openpyxl.load_workbook(out["acceptance"]["workbook"], read_only=True)
    assert {f"验收记录-{t}" for t in acc.county["town"]} <= set(wb.sheetnames)


def test_acceptance_record_page_and_docx_say_what_was_computed(out, acc, tmp_path):
    row = acc.county.set_index("town").loc["底张镇"]
    page = page_text(out["acceptance"]["record:底张镇"].read_text("utf-8"))
    text = docx_text(out["acceptance"]["docx:底张镇"])
    subsidy = f"奖补资金{money(row['subsidy_wan_yuan'])}万元"
    for shown in (page, text):
        assert subsidy in shown
        # 底张镇's own funds do not cover its matching: said, not hidden.
        assert f"自筹配套{money(row['matching_funds_wan_yuan'])}万元，配套未落实" in shown
        assert "考核得分" in shown and f"{row['score']:.1f}分" in shown
        assert "DZ-01" in shown and "需查验" in shown
    from docx import Document

    doc = Document(str(out["acceptance"]["docx:底张镇"]))
    record, projects, targets = doc.tables
    assert [c.text for c in record.rows[0].cells] == ["环节", "内容", "结果", "说明"]
    assert len(record.rows) - 1 == len(acc.records["底张镇"])
    mine = acc.projects[acc.projects["town"] == "底张镇"]
    assert [r.cells[0].text for r in projects.rows[1:]] == mine["project_id"].tolist()
    card = acc.targets[acc.targets["town"] == "底张镇"]
    assert len(targets.rows) - 1 == len(card)
    with pytest.raises(KeyError):
        record_docx(acc, "不存在镇", tmp_path / "x.docx")


# --- before and after ------------------------------------------------------------------------------


def test_compare_workbook_deltas_are_the_comparison(out, cmp):
    layers = _sheet(out["compare"]["workbook"], "要素变化").set_index("图层")
    assert layers.loc["道路", "新增 (个)"] == 1
    assert layers.loc["道路", "新增量"] == pytest.approx(1596.0)
    assert layers.loc["绿地", "新增量"] == pytest.approx(37400.0)
    growth = _sheet(out["compare"]["workbook"], "增长目标")
    g = cmp.growth.iloc[0]
    assert growth.loc[0, "增长率 (%)"] == pytest.approx(g["growth_pct"])
    assert growth.loc[0, "评价"] == "未达标"
    changes = _sheet(out["compare"]["workbook"], "变化明细")
    assert len(changes) == len(cmp.changes)


def test_compare_map_has_both_maps_and_no_network_url(out):
    page = out["compare"]["map"].read_text("utf-8")
    assert 'id="map-before"' in page and 'id="map-after"' in page
    from pathlib import Path

    from xstatic.pkg import leaflet

    leaflet_js = (Path(leaflet.BASE_DIR) / "leaflet.js").read_text("utf-8")
    assert leaflet_js.replace("</script", "<\\/script") in page  # Leaflet inlined, unchanged
    # Every URL left is inside Leaflet's own code (its licence comment, the SVG namespace); the
    # page itself links nothing.
    rest = page.replace(leaflet_js.replace("</script", "<\\/script"), "")
    assert not re.findall(r"https?://", rest)
    assert not re.search(r"\b(src|href)\s*=", rest)


def test_atlas_page_per_project_with_two_figures_and_its_changes(cmp):
    page = atlas_html(cmp, town="蒲州镇", projects=["P03", "P08"])
    sections = re.findall(r'<section class="atlas">.*?</section>', page, flags=re.S)
    assert len(sections) == 2
    for s in sections:
        assert len(re.findall(r'<img src="data:image/png;base64,', s)) == 2
    street = page_text(sections[0])
    assert "东街" in street and "1,100" in street  # the new road beside 西厢大街
    assert "472" in street  # its new street trees, one row
    with pytest.raises(tp.TownPlanError, match="P99"):
        atlas_html(cmp, projects=["P99"])


# --- Chinese throughout ----------------------------------------------------------------------------


def _ids(*frames) -> set[str]:
    return {str(v) for f in frames for v in f["project_id"].dropna()}


def test_chinese_outputs_are_chinese_throughout(out, prog, acc, cmp):
    ids = _ids(prog.projects, acc.projects) | {"weicheng"}  # the standard's code
    texts = {
        "programme.html": page_text(out["programme"]["html"].read_text("utf-8")),
        "weekly.html": page_text(out["progress"]["html"].read_text("utf-8")),
        "acceptance.html": page_text(out["acceptance"]["html"].read_text("utf-8")),
        "compare.html": page_text(out["compare"]["html"].read_text("utf-8")),
        "compare_map.html": page_text(out["compare"]["map"].read_text("utf-8")),
        "record.docx": docx_text(out["acceptance"]["docx:北杜镇"]),
        "programme.xlsx": workbook_text(out["programme"]["workbook"]),
        "weekly.xlsx": workbook_text(out["progress"]["workbook"]),
        "acceptance.xlsx": workbook_text(out["acceptance"]["workbook"]),
        "compare.xlsx": workbook_text(out["compare"]["workbook"]),
    }
    found = {name: zh_problems(t, ids) for name, t in texts.items()}
    assert not {k: v for k, v in found.items() if v}


def test_the_zh_scan_can_fail():
    assert zh_problems("资金来源:镇村户自筹,nan") == sorted(
        [
            "half-width punctuation '源:'",
            "half-width punctuation '筹,'",
            "ASCII word 'nan'",
            "missing value shown as 'nan'",
        ]
    )
    assert zh_problems("项目P01完成90%") == []


def test_zh_punctuation_and_dates():
    assert zh("P02:完工期限2017-10-31,截至2017-11-06已逾期6天,完成90 %。") == (
        "P02：完工期限2017年10月31日，截至2017年11月6日已逾期6天，完成90%。"
    )
    assert zh("总投资1,720万元 (100.0 %)") == "总投资1,720万元（100.0%）"
    assert cdate(pd.Timestamp("2017-12-15")) == "2017年12月15日"
    assert money(2700.0) == "2,700" and money(float("nan")) == "—"
