"""The review opinion (审查意见书, issue #16): read back from the .docx with python-docx and from the
HTML, every block is there, the numbers are the review's (and hand-computed), the Chinese is clean,
the placeholder office is flagged, and 符合 is said only when all five line types were checked.

The test town: five control lines, one of each type, on a 6 km square boundary (EPSG:4546), and
three projects whose numbers are worked out by hand below.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from docx import Document
from pyproj import Transformer
from shapely.geometry import box
from zh_scan import visible_text, zh_problems

import townplan_gis as tp
from townplan_gis.deliverables import project_opinion, write_opinions
from townplan_gis.deliverables.opinion_office import load_office

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 3_860_000.0
OFFICE = {
    "placeholder": False,
    "authority": "永济市自然资源局",
    "abbreviation": "永自然规审",
    "number_pattern": "{abbreviation}〔{year}〕{seq:03d}号",
    "start_number": 41,
    "department": "国土空间规划股",
    "contact": "王工",
    "phone": "0359-8021234",
    "address": "永济市舜都大道",
}


def b(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def make_town(*, yellow: bool = True, absent: list[str] | None = None) -> tp.Town:
    lines = [
        ("red", "中山路道路红线", b(0, 0, 1000, 20)),
        ("green", "滨河公园绿线", b(0, 100, 100, 200)),
        ("purple", "古塔紫线", b(500, 500, 600, 600)),
        ("blue", "涑水河蓝线", b(800, 0, 900, 1000)),
        ("yellow", "变电站黄线", b(300, 300, 350, 350)),
    ]
    lines = [r for r in lines if yellow or r[0] != "yellow"]
    g = lambda rows, geoms: gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)  # noqa: E731
    return tp.Town(
        "测试镇",
        layers={
            "boundary": g({"name": ["镇域"]}, [b(-3000, -3000, 3000, 3000)]),
            "control_lines": g(
                {"line_type": [r[0] for r in lines], "name": [r[1] for r in lines]},
                [r[2] for r in lines],
            ),
            "projects": g(
                {
                    "project_id": ["P1", "P2", "P3"],
                    "name": ["公园服务中心", "村民活动室", "河畔民宿"],
                    "project_type": ["building", "building", "building"],
                    "applicant": ["测试镇人民政府", None, "某某文旅公司"],
                },
                # P1 100 m × 50 m = 5,000 m² = 7.5 亩, half of it (50 m × 50 m = 2,500 m² = 3.75 亩)
                # inside the green line; P2 40 m × 25 m = 1,000 m² = 1.5 亩, 1 km from any line;
                # P3 15 m × 20 m = 300 m² = 0.45 亩, 5 m west of the blue line (setback 10 m).
                [b(50, 120, 150, 170), b(2000, 2000, 2040, 2025), b(780, 500, 795, 520)],
            ),
        },
        crs=CRS,
        absent_line_types=absent,
    )


@pytest.fixture(scope="module")
def world():
    town = make_town()
    return town, tp.review(town)


@pytest.fixture
def pinned(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796630400")  # 2026-12-07 08:00 UTC


def docx_lines(path_or_bytes) -> list[str]:
    """Every paragraph of a .docx, tables included, in document order."""
    import io

    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else str(path_or_bytes)
    doc = Document(src)
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    return ["".join(t.text or "" for t in p.iter(f"{w}t")) for p in doc.element.body.iter(f"{w}p")]


def docx_tables(path_or_bytes) -> list[list[list[str]]]:
    import io

    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else str(path_or_bytes)
    return [[[c.text for c in row.cells] for row in t.rows] for t in Document(src).tables]


def number(text: str) -> float:
    return float(text.replace(",", ""))


# --- the .docx, read back -----------------------------------------------------------------------------
def test_docx_has_every_block_and_the_reviews_numbers(tmp_path, world, pinned):
    town, rv = world
    path = project_opinion(
        rv, "P1", town=town, office=OFFICE, format="docx", path=tmp_path / "a.docx"
    )
    lines = docx_lines(path)
    text = "\n".join(lines)
    facts = {row[0]: row[1] for row in docx_tables(path)[0]}
    # the title block: authority, title, document number (start 41 + position 0), no placeholder
    assert lines[:3] == [
        "永济市自然资源局",
        "建设项目五线审查意见书",
        "文号：永自然规审〔2026〕041号",
    ]
    assert "占位" not in text
    # the project
    assert facts["申请单位"] == "测试镇人民政府" and facts["项目名称"] == "公园服务中心"
    assert (
        facts["项目编号"] == "P1" and facts["所在城镇"] == "测试镇" and facts["项目类型"] == "建筑"
    )
    assert facts["用地面积"] == "5,000.00 m²（7.50 亩）"  # 100 m × 50 m; 5,000 × 15 / 10,000 亩
    site = rv.projects.geometry.iloc[0]
    assert number(re.match(r"([\d,.]+) m²", facts["用地面积"]).group(1)) == round(site.area, 2)
    lon, lat = Transformer.from_crs(CRS, "EPSG:4490", always_xy=True).transform(
        site.centroid.x, site.centroid.y
    )
    assert (
        facts["中心点坐标"] == f"东经 {lon:.6f}°，北纬 {lat:.6f}°（2000国家大地坐标系，项目中心点）"
    )
    assert 110 < lon < 112 and 34 < lat < 36  # EPSG:4546 is the 111°E zone
    # the conclusion: building inside a green line is forbidden → 不符合
    assert "审查结论：不符合" in lines and "不予核发规划许可" in text
    # the findings: the table row and its clause and procedure, numbers equal the review's
    cf = rv.conflicts[rv.conflicts["project_id"] == "P1"]
    assert len(cf) == 1
    findings = docx_tables(path)[1]
    assert findings[0][:5] == ["序号", "控制线", "保护层级", "等级", "重叠规模"]
    assert findings[1][1] == "绿线「滨河公园绿线」" and findings[1][3] == "禁止"
    assert findings[1][4] == "2,500.00 m²（3.75 亩）"  # 50 m × 50 m
    area, mu = re.match(r"([\d,.]+) m²（([\d,.]+) 亩）", findings[1][4]).groups()
    assert number(area) == round(cf["overlap_area_m2"].iloc[0], 2) == 2500.0
    assert number(mu) == round(cf["overlap_area_mu"].iloc[0], 2) == 3.75
    assert number(findings[1][5]) == round(cf["pct_of_project"].iloc[0], 1) == 50.0
    assert f"（1）依据条款：{cf['clause'].iloc[0]}" in lines
    assert f"所需程序：{cf['procedure'].iloc[0]}" in lines
    # what was checked: all five line types, and the evidence (rule file, coverage, data hashes)
    checks = docx_tables(path)[2]
    assert [r[0] for r in checks[1:]] == ["道路红线", "绿线", "紫线", "蓝线", "黄线"]
    assert all(r[1] == "已核对" for r in checks[1:])
    evidence = {row[0]: row[1] for row in docx_tables(path)[3]}
    assert evidence["审查规则"].startswith("软件自带默认规则（default.toml），版本 ")
    assert evidence["审查范围"].startswith("测试镇的镇域边界（边界图层），36.00 km²")  # 6 km × 6 km
    assert rv.evidence["sources"][0]["sha256"] in evidence["审查数据：建设项目"]
    assert "道路红线 1 条（已核对）" in evidence["核对的控制线"]
    # the map, the sign-off, the seal and the contact
    assert len(Document(str(path)).inline_shapes) == 1
    assert "五、位置示意图" in lines and any(line.startswith("黑框为项目范围") for line in lines)
    assert ["经办人：____________", "审核人：____________", "日期：____________"] == [
        c for c in docx_tables(path)[-1][0]
    ]
    assert lines[-4:] == [
        "（盖章）",
        "永济市自然资源局",
        "2026年12月7日",
        "联系方式：经办科室：国土空间规划股；联系人：王工；电话：0359-8021234；地址：永济市舜都大道",
    ]


def test_docx_setback_distance_and_missing_applicant(tmp_path, world):
    town, rv = world
    path = project_opinion(
        rv, "P3", town=town, office=OFFICE, format="docx", path=tmp_path / "c.docx"
    )
    cf = rv.conflicts[rv.conflicts["project_id"] == "P3"]
    (row,) = [r for r in docx_tables(path)[1][1:] if r[1].startswith("蓝线")]
    assert number(row[6]) == round(cf["distance_m"].iloc[0], 2) == 5.0  # 800 − 795 m
    facts = {r[0]: r[1] for r in docx_tables(path)[0]}
    assert facts["用地面积"] == "300.00 m²（0.45 亩）"
    p2 = docx_tables(project_opinion(rv, "P2", town=town, format="docx", path=tmp_path / "b.docx"))
    # P2 has no applicant in the data: said, never invented
    assert {r[0]: r[1] for r in p2[0]}["申请单位"] == "（未提供，请填写）"


def test_no_finding_and_every_line_checked_says_complies(tmp_path, world):
    town, rv = world
    assert rv.projects.set_index("project_id").loc["P2", "verdict"] == "pass"
    lines = docx_lines(project_opinion(rv, "P2", town=town, format="docx"))
    assert (
        "审查结论：符合" in lines
        and "该项目与所审查的各类控制线均无冲突，符合控制线管理要求。" in lines
    )
    assert "未发现与控制线的冲突。" in lines


def test_no_finding_but_a_line_type_unchecked_is_not_complies(world):
    town, _ = world
    # the same review, but yellow was not checked for P2: a pass the record does not support
    hacked = tp.review(town)
    checks = hacked.checks.copy()
    checks.loc[(1, "yellow"), "status"] = "not_in_data"
    hacked.checks = checks
    lines = docx_lines(project_opinion(hacked, "P2", town=town, format="docx"))
    assert "审查结论：需补充审查" in lines and "审查结论：符合" not in lines
    assert any("不能出具“符合”结论" in line for line in lines)
    # a review without any per-type record cannot comply either
    hacked.checks = None
    page = project_opinion(hacked, "P2", town=town)
    assert "需补充审查" in page and "审查结果未附各类控制线的核对记录" in page
    assert 'id="conclusion-word">符合<' not in page


def test_a_town_without_yellow_lines_complies_only_when_it_says_so(world):
    town = make_town(yellow=False)
    rv = tp.review(town)
    assert rv.projects.set_index("project_id").loc["P2", "verdict"] == "not_checked"
    lines = docx_lines(project_opinion(rv, "P2", town=town, format="docx"))
    assert "审查结论：需补充审查" in lines
    assert "审查未完成，未发现冲突不代表没有冲突（见审查结论）。" in lines
    declared = make_town(yellow=False, absent=["yellow"])
    rv = tp.review(declared)
    lines = docx_lines(project_opinion(rv, "P2", town=declared, format="docx"))
    assert "审查结论：符合" in lines
    assert "声明本镇无此类控制线" in "\n".join(lines)


# --- the placeholder office ----------------------------------------------------------------------------
def test_placeholder_office_is_flagged_in_every_format(tmp_path, world):
    town, rv = world
    warning = "签发机关信息为软件自带的占位示例，不是真实机关，本意见书不得作为正式文件使用。"
    lines = docx_lines(project_opinion(rv, "P1", town=town, format="docx"))
    assert lines[0] == "××县自然资源和规划局（占位示例）" and any(warning in x for x in lines)
    page = project_opinion(rv, "P1", town=town)
    assert 'id="placeholder"' in page and warning in page
    index = write_opinions(rv, tmp_path / "op", town=town, format="docx")
    assert index["note"].str.contains("签发机关为占位示例").all()
    assert load_office().placeholder and not load_office(OFFICE).placeholder


def test_office_from_town_metadata_and_from_a_file_beside_the_town(tmp_path, world):
    town, _ = world
    named = tp.Town("测试镇", layers=dict(town.layers), crs=CRS, metadata={"office": OFFICE})
    assert load_office(town=named).authority == "永济市自然资源局"
    (tmp_path / "office.toml").write_text(
        '[office]\nauthority = "某县规划局"\nnumber_pattern = "某规〔{year}〕{project_id}号"\n',
        encoding="utf-8",
    )
    office = load_office(near=tmp_path / "town.gpkg")
    assert office.authority == "某县规划局" and not office.placeholder
    assert office.number(3, year=2026, project_id="P9") == "某规〔2026〕P9号"


# --- Chinese throughout ---------------------------------------------------------------------------------
def test_zh_scan_passes_on_docx_and_html(world):
    town, rv = world
    allow = ("P1", "P2", "P3")
    for pid in allow:
        lines = docx_lines(project_opinion(rv, pid, town=town, office=OFFICE, format="docx"))
        assert zh_problems("\n".join(lines), allow=allow, adjacent=True) == [], pid
        page = visible_text(project_opinion(rv, pid, town=town, office=OFFICE))
        assert zh_problems(page, allow=allow, adjacent=True) == [], pid
        assert "nan" not in page.lower().split()


def test_zh_scan_passes_on_the_sample_towns_opinions(tmp_path):
    town = tp.sample_town()
    rv = tp.review(town)
    index = write_opinions(rv, tmp_path / "op", town=town)
    # the data's own ids and names are the user's words ("商业街道路铺装(1.8km)", "110kV高压走廊黄线")
    allow = (*rv.projects["project_id"].astype(str), *rv.projects["project_name"].astype(str),
             *town.control_lines["name"].dropna().astype(str))  # fmt: skip
    for path in index["path"]:
        page = visible_text(Path(path).read_text("utf-8"))
        assert zh_problems(page, allow=allow, adjacent=True) == [], path.name
    assert set(index["conclusion"]) <= {"符合", "需补充审查", "不符合"}
    # one conclusion per verdict: forbidden → 不符合, procedures → 需补充审查, pass → 符合
    by = dict(zip(index["verdict"], index["conclusion"], strict=False))
    assert by == {"review": "需补充审查", "pass": "符合", "reject": "不符合"}


def test_zh_scan_catches_what_it_should():
    assert zh_problems("审查结论,不符合") and zh_problems("项目: building")
    assert zh_problems("最高等级 nan") and zh_problems("说明: 见下表", adjacent=True)
    assert zh_problems("文号：永规审〔2026〕001号，EPSG:4546，SHA-256 " + "ab" * 16) == []
    assert zh_problems("项目 P01-A", allow=("P01-A",)) == []


# --- formats, the batch and the command line ------------------------------------------------------------
def test_write_opinions_selects_ids_and_keeps_numbers(tmp_path, world):
    town, rv = world
    index = write_opinions(rv, tmp_path / "op", town=town, office=OFFICE, projects=["P3"])
    assert index["file"].tolist() == ["P3.html"]
    assert index["number"].tolist() == [
        "永自然规审〔2026〕043号"
    ]  # position 2: a project's own number
    with pytest.raises(tp.TownPlanError, match=r"no project \['P9'\].*P1"):
        write_opinions(rv, tmp_path / "op2", projects=["P9"])


def test_forked_writers_write_the_same_files(tmp_path, world, pinned):
    town, rv = world
    one = write_opinions(rv, tmp_path / "one", town=town, format="docx", workers=1)
    two = write_opinions(rv, tmp_path / "two", town=town, format="docx", workers=2)
    assert one.drop(columns="path").equals(two.drop(columns="path"))
    for name in one["file"]:
        assert docx_lines((tmp_path / "one" / name).read_bytes()) == docx_lines(
            (tmp_path / "two" / name).read_bytes()
        )


def test_a_user_template_keeps_its_letterhead(tmp_path, world):
    from townplan_gis.deliverables.opinion_docx import make_template

    town, rv = world
    doc = make_template()
    doc.sections[0].header.paragraphs[0].text = "永济市自然资源局公文用纸"
    doc.add_paragraph("（红头）")
    doc.save(str(tmp_path / "mine.docx"))
    out = write_opinions(
        rv, tmp_path / "op", town=town, format="docx", template=tmp_path / "mine.docx"
    )
    back = Document(str(out["path"].iloc[0]))
    assert back.sections[0].header.paragraphs[0].text == "永济市自然资源局公文用纸"
    assert back.paragraphs[0].text == "（红头）" and back.paragraphs[1].style.name == "OpAuthority"


def test_cli_report_opinions_by_id_as_docx(tmp_path):
    from townplan_gis.cli import main

    town = make_town()
    tp.write_town(town, tmp_path / "t.gpkg")
    (tmp_path / "office.toml").write_text(
        "\n".join(f"{k} = {v!r}".replace("'", '"') if not isinstance(v, bool) else f"{k} = {str(v).lower()}"
                  for k, v in OFFICE.items()),
        encoding="utf-8",
    )  # fmt: skip
    out = tmp_path / "out"
    code = main(["report", str(tmp_path / "t.gpkg"), "--out", str(out), "--standard", "none",
                 "--opinions", "P1,P3", "--format", "docx"])  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in (out / "opinions").iterdir()) == [
        "P1.docx",
        "P3.docx",
        "index.csv",
    ]
    lines = docx_lines(out / "opinions" / "P1.docx")
    assert lines[0] == "永济市自然资源局"  # the office.toml beside the town


@pytest.mark.skipif(not shutil.which("chromium"), reason="headless Chromium not installed")
def test_pdf_opinions_one_file_each_with_their_text(tmp_path, world):
    import subprocess

    town, rv = world
    index = write_opinions(rv, tmp_path / "pdf", town=town, office=OFFICE, format="pdf")
    assert index["file"].tolist() == ["P1.pdf", "P2.pdf", "P3.pdf"]
    for path, number_ in zip(index["path"], index["number"], strict=True):
        data = Path(path).read_bytes()
        assert data.startswith(b"%PDF")
        if shutil.which("pdftotext"):
            words = subprocess.run(
                ["pdftotext", str(path), "-"], capture_output=True, text=True
            ).stdout
            squashed = re.sub(r"\s+", "", words)
            assert number_ in squashed and "审查结论" in squashed and "盖章" in squashed
            others = set(index["number"]) - {number_}
            assert not any(o in squashed for o in others)  # cut at the right pages


def test_map_png_is_square_and_drawn(world):
    from io import BytesIO

    from PIL import Image

    from townplan_gis.deliverables.opinion_map import SIZE_PX, site_map_png

    town, rv = world
    png = site_map_png(rv.projects.geometry.iloc[0], lines=town.control_lines.geometry.values,
                       line_types=town.control_lines["line_type"].values)  # fmt: skip
    im = np.asarray(Image.open(BytesIO(png)).convert("RGB"))
    assert im.shape == (SIZE_PX, SIZE_PX, 3)
    # the green line's tint and the black site outline are both on the map
    assert (np.abs(im.astype(int) - [0xB2, 0xE3, 0xC9]).sum(axis=2) < 60).any()
    assert (im.sum(axis=2) < 80).sum() > 200


def test_projects_labelled_from_100_and_a_review_without_conflicts(world):
    town, _ = world
    labelled = tp.Town(
        "测试镇",
        layers={
            k: v.set_index(v.index + 100) if k == "projects" else v for k, v in town.layers.items()
        },
        crs=CRS,
    )
    rv = tp.review(labelled)
    assert rv.checks.index[0] == (100, "red")  # the checks follow the projects' labels
    lines = docx_lines(project_opinion(rv, "P2", town=labelled, format="docx"))
    assert "审查结论：符合" in lines  # its five checks found by position, not by label
    rv.conflicts = rv.conflicts.iloc[0:0]
    page = project_opinion(rv, "P1", town=labelled)
    assert "未发现与控制线的冲突。" in page


# --- how a finding names its control line ------------------------------------------------------------
def test_the_area_outside_the_development_boundary_is_named_by_its_boundary(world):
    town, _ = world
    lines = town.control_lines
    # P2 (2000–2040, 2000–2025) lies outside this boundary; P1 and P3 inside it.
    bound = gpd.GeoDataFrame(
        {"line_type": ["dev_boundary"], "name": ["测试镇城镇开发边界"]},
        geometry=[b(-1000, -1000, 1900, 1900)],
        crs=CRS,
    )
    town = tp.Town(
        "测试镇",
        layers={**town.layers, "control_lines": gpd.GeoDataFrame(
            pd.concat([lines, bound], ignore_index=True), crs=CRS)},
        crs=CRS,
    )  # fmt: skip
    rv = tp.review(town)
    row = rv.conflicts[rv.conflicts["line_type"] == "dev_boundary"]
    assert row["project_id"].tolist() == ["P2"] and row["line_name"].tolist() == [
        "测试镇城镇开发边界以外"
    ]
    page = visible_text(project_opinion(rv, "P2", town=town))
    assert "城镇开发边界「测试镇城镇开发边界」以外" in page
    assert "「测试镇城镇开发边界以外」" not in page
    cells = [c for t in docx_tables(project_opinion(rv, "P2", town=town, format="docx"))
             for row in t for c in row]  # fmt: skip
    assert "城镇开发边界「测试镇城镇开发边界」以外" in cells
    en = visible_text(project_opinion(rv, "P2", town=town, lang="en"))
    assert "outside the urban development boundary '测试镇城镇开发边界'" in en


def test_line_text_names_lines_and_the_outside_area():
    from townplan_gis.deliverables.tables import line_text

    assert line_text("green", "滨河公园绿线", "zh") == "绿线「滨河公园绿线」"
    assert line_text("green", float("nan"), "zh") == line_text("green", None, "zh") == "绿线"
    assert line_text("dev_boundary", "城镇开发边界以外", "zh") == "城镇开发边界以外"  # no own name
    assert line_text("dev_boundary", "城镇开发边界以外", "en") == (
        "outside the urban development boundary"
    )
    # several boundaries, named together (sanqu.outside_boundary joins them with 、)
    assert line_text("dev_boundary", "甲镇城镇开发边界、乙镇城镇开发边界以外", "zh") == (
        "城镇开发边界「甲镇城镇开发边界、乙镇城镇开发边界」以外"
    )
