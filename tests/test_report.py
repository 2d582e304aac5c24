"""The HTML town report and the per-project opinion: sections, numbers equal to the scorecard's, no
external URL, escaping, embedded charts and map, both languages."""

from __future__ import annotations

import base64
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_helpers import EVIL, Page, fake_review, scorecard, tiny_town, unescape

import townplan_gis as tp
from townplan_gis.core.reprs import comparator_symbol, fmt_number
from townplan_gis.core.town import Town
from townplan_gis.deliverables import (
    build_report,
    opinion_filenames,
    project_opinion,
    write_opinions,
)

SECTIONS = [
    "cover",
    "conclusion",
    "problems",
    "summary",
    "scorecard",
    "charts",
    "review",
    "map",
    "method",
    "appendix",
]


@pytest.fixture(scope="module")
def town():
    return tiny_town()


@pytest.fixture(scope="module")
def page(town):
    return tp.report(town, scorecard=scorecard(), review=fake_review(town), lang="zh")


def external_urls(text: str) -> list[str]:
    """Every src/href (and stylesheet link) pointing off the page."""
    p = Page(text)
    out = []
    for tag, a in p.tags:
        for attr in ("src", "href"):
            v = a.get(attr)
            if v and re.match(r"^\s*(https?:)?//", v):
                out.append(f"{tag} {attr}={v}")
    return out


def test_sections_in_order(page):
    p = Page(page)
    ids = [a["id"] for t, a in p.tags if t == "section"]
    # The planning analyses follow the review when the town has their layers
    # (tests/test_analysis_outputs.py).
    analyses = [i for i in ids if i in ("line-check", "service")]
    assert ids == SECTIONS[:7] + analyses + SECTIONS[7:]
    for heading in (
        "一、城镇概况",
        "二、达标评分",
        "三、指标与目标对比",
        "四、五线审查",
        "五、规划图",
        "六、方法与依据",
    ):
        assert heading in page


def test_scorecard_numbers_equal_the_scorecard(page):
    sc = scorecard()
    rows = {r["key"]: r["cells"] for r in Page(page).table("scorecard")}
    assert list(rows) == list(sc["key"])
    for _, r in sc.iterrows():
        cells = rows[r["key"]]
        for field in ("value", "target", "gap"):
            shown, raw = cells[field]
            expected = fmt_number(r[field], r["unit"])
            if field == "target":  # shown with its comparator: "≥ 30.0"
                expected = f"{comparator_symbol(r['comparator'])} {expected}"
            assert shown == expected
            if isinstance(r[field], float) and math.isnan(r[field]):
                assert raw == "" and shown == "—"
            else:
                assert float(raw) == r[field]  # the exact float, not a rounded copy


def test_scorecard_status_marked(page):
    # one row of each status, coloured by class and labelled
    assert page.count('class="status-pass"') == 1
    assert page.count('class="status-fail"') == 2
    assert page.count('class="status-not_evaluable"') == 1
    assert "未达标" in page and "无法评价" in page


def test_no_external_urls(page):
    assert external_urls(page) == []
    p = Page(page)
    assert not [a for a in p.attrs("link") if a.get("rel") == "stylesheet"]
    assert not [a for a in p.attrs("script") if a.get("src")]
    # the embedded map is the offline page: no external script or stylesheet inside it either
    srcdoc = p.attrs("iframe")[0]["srcdoc"]
    assert "L.map(" in srcdoc
    assert external_urls(srcdoc) == []


def test_user_strings_escaped(page):
    assert EVIL not in page
    assert "<script>alert" not in page.split("<iframe")[0]
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in page
        or "&lt;script&gt;alert(&quot;x&quot;)" in page
    )


def test_charts_are_embedded_png(page):
    imgs = [a["src"] for a in Page(page).attrs("img")]
    assert imgs, "no chart"
    for src in imgs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_review_section(page):
    p = Page(page)
    projects = [a["data-project"] for t, a in p.tags if t == "tr" and "data-project" in a]
    # projects table: rejected first, then review, then pass; then conflict rows (worst first)
    assert projects[:3] == ["P1", "P3", "P2"]
    assert projects[3:] == ["P1", "P3", "P2"]
    assert "10,000.00" in page and "15.00" in page  # 10,000 m² = 15 亩 exactly
    assert "条碎片（已忽略）" in page  # the 0.5 m² sliver is listed, not counted
    assert "《城市蓝线管理办法》第十条" in page and "报市政工程行政主管部门审批" in page
    # the clause is printed once in the basis list though two rows cite it (the map's popups aside)
    assert (
        re.sub(r"<iframe.*?</iframe>", "", page, flags=re.S).count("《城市道路管理条例》第二十九条")
        == 1
    )


def test_summary_and_method(page, town):
    assert "4.00 km²" in page  # boundary 2 km × 2 km
    assert "1.00 km²" in page  # built-up 1 km × 1 km
    assert "10,000 人" in page
    assert "EPSG:4546" in page
    assert "示意数据" in page  # the illustrative flag is shown
    method = page.split('id="method"')[1].split("</section>")[0]
    # the rule file and the sliver tolerance in words (内置默认规则 test: the rules "default", version "test")
    for needle in (
        "EPSG:4546",
        "内置默认规则 test",
        "重叠面积小于 1.00 m²",
        f"townplan_gis {tp.__version__}",
    ):
        assert needle in method


def test_summary_takes_the_built_up_area_from_the_indicators(monkeypatch):
    town = tiny_town()
    measured = []
    real = Town.area_km2
    monkeypatch.setattr(Town, "area_km2", lambda t, kind: measured.append(kind) or real(t, kind))
    # a hand-set value proves the indicators' figure is shown, not a second union of the layer
    indicators = tp.town_indicators(town).assign(value=lambda f: f["value"].where(
        f["key"] != "built_up_area_km2", 1.2345
    ))  # fmt: skip
    page = build_report(town, indicators=indicators, lang="en")
    facts = page.split('id="summary"')[1].split("</table>")[0]
    assert "1.23 km² (123.45 hm²)" in facts and "4.00 km² (400.00 hm²)" in facts
    assert measured == ["boundary"]
    # without indicators the summary measures the layer itself
    page = build_report(town, lang="en")
    assert "1.00 km² (100.00 hm²)" in page and measured == ["boundary", "boundary", "builtup"]


def test_print_css(page):
    assert "@page" in page and "size: A4" in page and "@media print" in page
    assert "break-before: page" in page


def test_english(town):
    page = tp.report(town, scorecard=scorecard(), review=fake_review(town), lang="en", map=False)
    for heading in ("1. Town summary", "2. Scorecard", "4. Five-control-line review", "6. Method"):
        assert heading in page
    assert "二、达标评分" not in page and "not evaluable" in page
    assert 'lang="en"' in page


def test_without_standard_review_or_map(town):
    page = build_report(town, lang="zh")
    assert "未指定评价标准" in page
    assert "未进行五线审查" in page
    assert "未生成规划图" in page
    assert external_urls(page) == []


def test_review_without_conflicts(town):
    rv = fake_review(town)
    rv.conflicts = rv.conflicts.iloc[0:0]
    rv.projects = rv.projects.assign(verdict="pass", n_conflicts=0)
    page = build_report(town, review=rv, lang="en")
    assert "No conflicts." in page and page.count('class="verdict-pass"') == 3


def test_bad_lang(town):
    with pytest.raises(tp.TownPlanError, match="lang"):
        build_report(town, lang="fr")


def test_writes_file(tmp_path, town):
    out = tp.report(town, review=fake_review(town), path=tmp_path / "a" / "report.html", map=False)
    assert out.exists() and out.read_text("utf-8").startswith("<!DOCTYPE html>")


# --- per-project opinion --------------------------------------------------------------------------------
def test_opinion_reject(town):
    page = project_opinion(fake_review(town), "P1", town=town)
    assert "建设项目五线审查意见" in page
    assert "不予通过" in page and "不予核发规划许可" in page
    assert "《城市蓝线管理办法》第十条" in page and "不得占用水域" in page
    assert "10,000.00" in page and "15.00" in page
    # site area of the 100 m × 100 m project: 10,000 m² = 10,000 × 15 / 10,000 = 15 亩
    assert "10,000.00 m²（15.00 亩）" in page
    assert "850.00" in page  # investment from the town's projects layer
    assert EVIL not in page
    imgs = [a["src"] for a in Page(page).attrs("img")]
    assert len(imgs) == 1 and imgs[0].startswith("data:image/png;base64,")
    assert external_urls(page) == []


def test_opinion_pass_lists_ignored_sliver(town):
    # A pass with an ignored sliver says so; "no conflict" is kept for projects with no finding.
    page = project_opinion(fake_review(town), "P2", town=town, lang="en")
    assert "only in slivers below the tolerance" in page and "sliver, ignored" in page
    assert "does not conflict" not in page


def test_opinion_invalid_project_gives_the_reason(town):
    rv = fake_review(town)
    rv.projects.loc[2, ["verdict", "reason"]] = ["invalid", "empty geometry"]
    rv.conflicts = rv.conflicts[rv.conflicts["project_id"] != "P3"]
    page = project_opinion(rv, "P3", town=town)
    assert "数据无效" in page and "empty geometry" in page


def test_opinion_unknown_project(town):
    with pytest.raises(tp.TownPlanError, match="P9"):
        project_opinion(fake_review(town), "P9")


def test_opinion_without_town_writes_file(tmp_path, town):
    out = project_opinion(fake_review(town), "P3", path=tmp_path / "op.html")
    text = out.read_text("utf-8")
    assert "需审批" in text and "按下表所列程序" in text


# --- the real thing ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def puzhou():
    return tp.sample_town()


def test_puzhou_report_matches_assess(puzhou):
    card = tp.assess(puzhou, "ezhou-2017")
    page = tp.report(puzhou, standard="ezhou-2017", review=True, progress=False)
    rows = {r["key"]: r["cells"] for r in Page(page).table("scorecard")}
    assert list(rows) == list(card["key"])
    for _, r in card.iterrows():
        shown, raw = rows[r["key"]]["value"]
        assert shown == fmt_number(r["value"], r["unit"])
        assert (raw == "") if math.isnan(r["value"]) else math.isclose(float(raw), r["value"])
    review = tp.review(puzhou.projects, puzhou.control_lines, progress=False)
    n_reject = int((review.projects["verdict"] == "reject").sum())
    assert page.count('class="verdict-reject"') == n_reject
    assert "ezhou-2017" in page and "鄂州" in page
    assert external_urls(page) == []
    assert external_urls(unescape(Page(page).attrs("iframe")[0]["srcdoc"])) == []


def test_long_tables_are_cut_worst_first(town):
    rv = fake_review(town)
    page = build_report(town, review=rv, lang="en", max_rows=1)
    rows = [a["data-project"] for t, a in Page(page).tags if t == "tr" and "data-project" in a]
    assert rows == ["P1", "P1"]  # the rejected project and its forbidden conflict
    assert page.count("2 more rows, all in the Excel workbook") == 2


def test_tables_translate_labels_and_texts(town):
    from townplan_gis.deliverables.tables import conflicts_table, projects_table

    rv = fake_review(town)
    rv.conflicts = rv.conflicts.assign(clause_en=["Blue line rules, art. 10", "", None])
    rv.projects = rv.projects.assign(worst_grade=["forbidden", None, "review"])
    before = rv.conflicts.copy()
    cf = conflicts_table(rv, "en")
    assert cf["clause"].tolist() == [
        "Blue line rules, art. 10",
        "《城市道路管理条例》第二十九条",  # empty or missing English: the Chinese clause stays
        "《城市道路管理条例》第二十九条",
    ]
    assert cf["grade_label"].tolist() == ["forbidden", "review", "review"]
    assert cf["line_type_label"].tolist() == [
        "blue line (water)",
        "red line (roads)",
        "red line (roads)",
    ]
    assert rv.conflicts.equals(before)  # the caller's review is untouched
    pj = projects_table(rv, "zh")
    assert pj["verdict_label"].tolist() == ["不予通过", "需审批", "通过"]
    assert pj["worst_grade_label"].tolist() == ["禁止", "需审批", ""]  # no grade: blank, not "None"


# --- one opinion file per project, and the same bytes for the same inputs ---------------------------------
def test_opinion_filenames_are_distinct_safe_and_stable():
    from output_helpers import LONG_ID

    ids = ["P1", "A/1", "A_1", "A:1", LONG_ID, "P7", "P7", "a1", "A1", "CON", "", "-5"]
    names = opinion_filenames(ids)
    assert names == opinion_filenames(ids)  # stable
    assert len({n.casefold() for n in names}) == len(ids)  # distinct, also case-insensitively
    assert names[0] == "P1.html" and names[2] == "A_1.html"  # safe unique ids kept as they are
    assert re.fullmatch(r"A_1_[0-9a-f]{8}\.html", names[1])
    assert re.fullmatch(r"A_1_[0-9a-f]{8}\.html", names[3]) and names[1] != names[3]
    assert max(len(n.encode("utf-8")) for n in names) <= 200  # ext4 allows 255 bytes
    assert names[4].startswith(LONG_ID[:50]) and len(names[4].encode()) <= 164
    assert names[5] != names[6] and names[5].startswith("P7_")
    assert names[7].startswith("a1_") and names[8].startswith("A1_")
    assert names[9].startswith("CON_") and re.fullmatch(r"__[0-9a-f]{8}\.html", names[10])
    assert re.fullmatch(r"_5_[0-9a-f]{8}\.html", names[11])  # never read as an option
    # the name of "A_1" does not depend on whether "A/1" is in the set
    assert opinion_filenames(["A/1"])[0] == names[1] and opinion_filenames(["A_1"]) == ["A_1.html"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=120), min_size=1, max_size=12))
def test_opinion_filenames_property(ids):
    names = opinion_filenames(ids)
    assert len(names) == len(ids) and len({n.casefold() for n in names}) == len(ids)
    for n in names:
        assert len(n.encode("utf-8", "surrogatepass")) <= 200
        assert n.endswith(".html") and all(c.isalnum() or c in "-_." for c in n)
        assert not n.startswith("-")


@pytest.fixture(scope="module")
def hostile():
    from output_helpers import hostile_town

    town = hostile_town()
    return town, tp.review(town)


def test_write_opinions_one_file_per_project(tmp_path, hostile, caplog):
    import logging

    from output_helpers import LONG_ID, PROJECTS

    town, rv = hostile
    with caplog.at_level(logging.WARNING, logger="townplan_gis.deliverables.opinion"):
        index = write_opinions(rv, tmp_path / "op", town=town)
    files = sorted(p.name for p in (tmp_path / "op").iterdir())
    assert len(files) == len(PROJECTS) + 1 and "index.csv" in files  # 8 pages, none overwritten
    assert index["file"].is_unique and len(index) == len(PROJECTS)
    assert all(p.exists() for p in index["path"])
    long_file = index.loc[index["project_id"] == LONG_ID, "file"].item()
    assert len(long_file.encode()) <= 255
    assert LONG_ID in (tmp_path / "op" / long_file).read_text("utf-8")
    warned = [r.getMessage() for r in caplog.records]
    assert any("'P7' is used by 2 projects" in m and "[6, 7]" in m for m in warned), warned
    back = pd.read_csv(tmp_path / "op" / "index.csv", encoding="utf-8-sig", dtype=str)
    assert back["project_id"].tolist()[:2] == ["'=1+1", "'-5"]  # formula-like ids escaped
    assert back.loc[back["project_id"] == "P7", "n_same_id"].tolist() == ["2", "2"]
    assert back.loc[back["project_id"] == "P7", "note"].str.contains("项目编号重复").all()


def test_shared_id_pages_show_their_own_project_and_conflicts(tmp_path, hostile):
    town, rv = hostile
    index = write_opinions(rv, tmp_path / "op", town=town, lang="en")
    p7 = index[index["project_id"] == "P7"]
    first, second = (Path(p).read_text("utf-8") for p in p7["path"])
    # row 6 (同号甲) lies in the red setback band: one notice; row 7 (同号乙) is clear
    assert "同号甲" in first and "同号乙" not in first
    assert "同号乙" in second and "同号甲" not in second
    assert "Conflicts with control lines (1)" in first
    assert "Conflicts with control lines (0)" in second
    assert "is used by 2 projects (rows 6, 7)" in first and "the one of row 6" in first
    assert "the one of row 7" in second
    assert "check them" not in first + second  # attribution matched the review's counts
    assert "7.00" in second  # investment of row 7, not of row 6 (6.00)


def test_shared_id_needs_a_position(hostile):
    _, rv = hostile
    with pytest.raises(tp.TownPlanError, match=r"'P7' is used by 2 projects.*position="):
        project_opinion(rv, "P7")
    with pytest.raises(tp.TownPlanError, match=r"position 0 .* is not project 'P7'"):
        project_opinion(rv, "P7", position=0)
    assert "同号乙" in project_opinion(rv, "P7", position=7)


def test_write_opinions_by_verdict(tmp_path, hostile):
    _, rv = hostile
    index = write_opinions(rv, tmp_path / "rej", verdicts=["reject"])
    assert index["verdict"].tolist() == ["reject", "reject"]
    # a project's file name does not depend on the selection
    assert set(index["file"]) <= set(opinion_filenames(rv.projects["project_id"]))


# The generation time: ISO (machine-readable) and as a Chinese date (2026年1月1日 08:00) on the page.
_STAMP = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d|\d{4}年\d{1,2}月\d{1,2}日(?: \d\d:\d\d)?"
)

_RENDER = """
import sys
sys.path.insert(0, {tests!r})
from report_helpers import fake_review, scorecard, tiny_town
import townplan_gis as tp
town = tiny_town()
rv = fake_review(town)
tp.report(town, scorecard=scorecard(), review=rv, path={out!r} + "/report.html")
tp.project_opinion(rv, "P1", town=town, path={out!r} + "/opinion.html")
tp.save_map(tp.plan_map(town, review=rv, basemap="osm"), {out!r} + "/map.html")
"""


def _render(out: Path, *, process: bool) -> dict[str, bytes]:
    """Report, opinion and map of the tiny town, rendered here or in a new Python process."""
    out.mkdir()
    code = _RENDER.format(tests=str(Path(__file__).parent), out=str(out))
    if process:
        env = {**os.environ, "TOWNPLAN_PROGRESS": "0"}
        subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=300)
    else:
        exec(code, {})
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_same_bytes_in_two_processes(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    here = _render(tmp_path / "here", process=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01 00:00:00 UTC
    pinned = _render(tmp_path / "pinned", process=False)
    other = _render(tmp_path / "other", process=True)
    assert list(here) == ["map.html", "opinion.html", "report.html"]
    # with the generation time pinned, another process writes the very same files
    assert other == pinned
    assert "2026-01-01T00:00:00+00:00" in pinned["report.html"].decode()
    # without, only the generation time differs
    assert here["map.html"] == other["map.html"]
    for name in ("report.html", "opinion.html"):
        a, b = here[name].decode(), other[name].decode()
        assert _STAMP.search(a) and _STAMP.sub("T", a) == _STAMP.sub("T", b), name


def test_same_report_twice_in_one_process(town):
    rv = fake_review(town)
    one = tp.report(town, scorecard=scorecard(), review=rv)
    two = tp.report(town, scorecard=scorecard(), review=rv)
    assert _STAMP.sub("T", one) == _STAMP.sub("T", two)
    # the same map object embedded twice (folium would add its addTo lines again on each render)
    m = tp.plan_map(town, review=rv, basemap="none")
    one, two = (tp.report(town, review=rv, map=m) for _ in range(2))
    assert _STAMP.sub("T", one) == _STAMP.sub("T", two)
