"""The planning analyses in the deliverables: the workbook's 控制线自检 and 公园服务与生活圈 sheets, the
report's sections and the plan map's layers hold exactly what tp.check_lines,
tp.park_service_coverage and tp.life_circles return on the sample town, computed once per job."""

from __future__ import annotations

import math
import re

import pytest
from openpyxl import load_workbook
from zh_check import html_text, scan

import townplan_gis as tp
import townplan_gis.pipeline.analyses as pipeline_analyses


@pytest.fixture(scope="module")
def town():
    return tp.sample_town()


@pytest.fixture(scope="module")
def results(town):
    return tp.check_lines(town), tp.park_service_coverage(town), tp.life_circles(town)


@pytest.fixture(scope="module")
def job(town):
    return tp.Pipeline(town, standard="ezhou-2017", lang="zh", progress=False)


@pytest.fixture(scope="module")
def book(job, tmp_path_factory):
    path = job.write_workbook(tmp_path_factory.mktemp("wb") / "workbook.xlsx")
    wb = load_workbook(path, read_only=True)
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    wb.close()
    return sheets


def _close(a, b):
    if a is None or b is None:
        return a is None and (b is None or (isinstance(b, float) and math.isnan(b)))
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


# --- workbook -------------------------------------------------------------------------------------------
def test_line_check_sheet_holds_every_patch_with_its_numbers(book, results):
    check = results[0]
    rows = book["控制线自检"]
    head, body = rows[0], rows[1:]
    assert head == [
        "图斑编号",
        "冲突类型",
        "控制线甲",
        "控制线乙",
        "图斑面积 (m²)",
        "图斑面积（亩）",
        "严重程度",
        "处置建议",
    ]
    patches = check.table()
    assert len(body) == len(patches) > 0
    assert [r[0] for r in body] == patches["patch_id"].tolist()
    assert [r[1] for r in body] == patches["kind_zh"].tolist()
    assert [r[6] for r in body] == patches["severity_zh"].tolist()
    assert all(_close(r[4], a) for r, a in zip(body, patches["area_m2"], strict=True))
    assert all(_close(r[5], a) for r, a in zip(body, patches["area_mu"], strict=True))
    # The sample's planted conflicts: a red line into the temple's purple core, first.
    first = body[0]
    assert first[1] in {"重叠", "压占", "交叉"} and first[6] == "冲突"
    assert "道路红线" in first[2] and "紫线" in first[3] and first[7]
    assert {r[1] for r in body} <= {"重叠", "压占", "交叉", "重复", "近似重复", "碎片", "缝隙"}


def test_service_sheet_holds_coverage_and_life_circles(book, results):
    _, coverage, circles = results
    rows = book["公园服务与生活圈"]
    head, body = rows[0], rows[1:]
    assert head[0] == "服务类别" and "用地覆盖率 (%)" in head and "户数覆盖率 (%)" in head
    pct, hh = head.index("用地覆盖率 (%)"), head.index("户数覆盖率 (%)")
    assert len(body) == 1 + len(circles)
    park = body[0]
    assert park[0] == "公园绿地服务半径"
    assert _close(park[pct], coverage.summary["coverage_pct"])
    assert _close(park[hh], coverage.summary["households_pct"])
    assert _close(park[head.index("居住用地 (m²)")], coverage.summary["residential_m2"])
    for row, (_, c) in zip(body[1:], circles.iterrows(), strict=True):
        assert row[0] == c["label_zh"]
        assert _close(row[pct], c["covered_pct"]) and _close(row[hh], c["households_pct"])
        assert row[head.index("设施数（个）")] == c["facilities"]


def test_workbook_sheets_absent_without_their_layers(tmp_path, town):
    layers = {k: v for k, v in town.layers.items() if k not in ("control_lines", "residential")}
    bare = tp.Town(town.name, layers=layers, crs=town.crs)
    job = tp.Pipeline(bare, progress=False)
    assert job.line_check is None and job.coverage is None and job.life_circles is None
    wb = load_workbook(job.write_workbook(tmp_path / "w.xlsx"), read_only=True)
    assert "控制线自检" not in wb.sheetnames and "公园服务与生活圈" not in wb.sheetnames
    wb.close()


def test_pipeline_computes_each_analysis_once(monkeypatch, town, tmp_path):
    calls = {"check": 0, "coverage": 0, "circles": 0}

    def counting(name, fn):
        def wrapped(*a, **k):
            calls[name] += 1
            return fn(*a, **k)

        return wrapped

    monkeypatch.setattr(
        pipeline_analyses, "check_lines", counting("check", pipeline_analyses.check_lines)
    )
    monkeypatch.setattr(
        pipeline_analyses, "run_coverage", counting("coverage", pipeline_analyses.run_coverage)
    )
    monkeypatch.setattr(
        pipeline_analyses,
        "run_life_circles",
        counting("circles", pipeline_analyses.run_life_circles),
    )
    job = tp.Pipeline(town, progress=False)
    job.write_workbook(tmp_path / "a.xlsx")
    job.write_workbook(tmp_path / "b.xlsx")
    job.write_report(tmp_path / "r.html")  # its embedded map too
    m = job.map(basemap="none")
    assert calls == {"check": 1, "coverage": 1, "circles": 1}
    # The job's map carries the analyses' layers, switched off.
    layers = _overlays(m)
    assert layers["控制线自检图斑"].show is False and layers["公园服务盲区"].show is False


def test_english_workbook_names_the_sheets_in_english(job, town, tmp_path, results):
    en = tp.Pipeline(town, lang="en", progress=False, indicators=job.indicators)
    en.__dict__.update(line_check=results[0], coverage=results[1], life_circles=results[2])
    wb = load_workbook(en.write_workbook(tmp_path / "en.xlsx"), read_only=True)
    assert "Line self-check" in wb.sheetnames and "Park service coverage" in wb.sheetnames
    rows = list(wb["Line self-check"].iter_rows(values_only=True))
    assert rows[0][0] == "Patch" and rows[1][6] in {"Conflict", "To check", "Notice"}
    wb.close()


# --- report ---------------------------------------------------------------------------------------------
def _section(page: str, section_id: str) -> str:
    start = page.index(f'<section id="{section_id}"')
    return page[start : page.index("</section>", start)]


@pytest.fixture(scope="module")
def page(job, tmp_path_factory):
    out = job.write_report(tmp_path_factory.mktemp("rp") / "report.html", map=False)
    return out.read_text("utf-8")


def test_report_line_check_section_equals_the_check(page, results):
    check = results[0]
    sec = _section(page, "line-check")
    assert "<h2>控制线自检</h2>" in sec
    counts = check.patches["severity"].value_counts()
    for severity in ("conflict", "check", "notice"):
        shown = re.search(rf'data-severity="{severity}">(\d+)<', sec)
        assert shown and int(shown.group(1)) == int(counts.get(severity, 0))
    ids = re.findall(r'<td data-field="patch_id"[^>]*>([^<]+)</td>', sec)
    assert ids == check.patches["patch_id"].tolist()
    areas = [float(v) for v in re.findall(r'data-field="patch_area_m2" data-value="([^"]+)"', sec)]
    assert all(_close(a, b) for a, b in zip(areas, check.patches["area_m2"], strict=True))


def test_report_service_section_equals_the_coverage(page, results):
    _, coverage, circles = results
    sec = _section(page, "service")
    assert "<h2>公园服务与生活圈</h2>" in sec
    pct = [float(v) for v in re.findall(r'data-field="covered_pct" data-value="([^"]+)"', sec)]
    expected = [coverage.summary["coverage_pct"], *circles["covered_pct"]]
    assert len(pct) == len(expected) and all(
        _close(a, b) for a, b in zip(pct, expected, strict=True)
    )
    hh = [float(v) for v in re.findall(r'data-field="households_pct" data-value="([^"]+)"', sec)]
    assert _close(hh[0], coverage.summary["households_pct"])


def test_report_sections_read_as_chinese(page):
    texts = html_text(_section(page, "line-check") + "</section>")
    texts += html_text(_section(page, "service") + "</section>")
    # Line names quoted in a sentence (「旅游公路（东段）道路红线」) are data, as typed.
    assert len(texts) > 50
    assert scan([re.sub(r"「[^」]*」", "「」", t) for t in texts]) == []


def test_report_without_analyses_has_no_such_sections(town):
    html_page = tp.Pipeline(
        tp.Town(town.name, layers={"boundary": town.layers["boundary"]}, crs=town.crs),
        progress=False,
    ).report_page(map=False)
    assert 'id="line-check"' not in html_page and 'id="service"' not in html_page


# --- web map --------------------------------------------------------------------------------------------
def _overlays(m):
    from townplan_gis.maps.layers import LeafletGeoJson

    return {c.layer_name: c for c in m._children.values() if isinstance(c, LeafletGeoJson)}


@pytest.fixture(scope="module")
def analysis_map(town, results):
    check, coverage, _ = results
    return tp.plan_map(
        town,
        basemap="none",
        layers=[*town.layers, "line_conflicts", "blind_spots"],
        line_check=check,
        coverage=coverage,
    )


def test_map_layers_are_switchable_and_off_by_default(analysis_map, results):
    import json

    check, coverage, _ = results
    layers = _overlays(analysis_map)
    patches, blind = layers["控制线自检图斑"], layers["公园服务盲区"]
    assert patches.show is False and blind.show is False
    assert layers["道路"].show is True
    assert len(json.loads(patches.data)["features"]) == len(check.patches)
    assert len(json.loads(blind.data)["features"]) == len(coverage.blind_spots)


def test_map_without_the_layers_named_has_none_of_them(town):
    names = set(_overlays(tp.plan_map(town, basemap="none", labels=False)))
    assert "控制线自检图斑" not in names and "公园服务盲区" not in names


def test_map_computes_a_named_layer_when_not_given(town, results):
    import json

    m = tp.plan_map(town, basemap="none", layers=["roads", "line_conflicts"], labels=False)
    patches = _overlays(m)["控制线自检图斑"]
    assert patches.show is False
    assert len(json.loads(patches.data)["features"]) == len(results[0].patches)


def test_map_popups_of_the_analyses_are_chinese(analysis_map):
    import json

    texts: list[str] = []
    for name in ("控制线自检图斑", "公园服务盲区"):
        layer = _overlays(analysis_map)[name]
        options = json.loads(layer.options_js)
        texts += [layer.layer_name, *options["fields"]]
        for feature in json.loads(layer.data)["features"]:
            for f, v in zip(options["fields"], feature["properties"].get("p", []), strict=False):
                if isinstance(v, str) and f not in {"名称", "图斑编号"}:
                    # Names quoted in a sentence are data, kept as typed.
                    texts.append(re.sub(r"「[^」]*」", "「」", v))
    assert "严重程度" in texts and "处置建议" in texts
    assert any(t in ("冲突", "待核实", "提示") for t in texts)
    assert scan(texts) == []
