"""Chinese reasons (reason_zh) next to the English ones, and their use in Chinese outputs."""

import geopandas as gpd
from shapely.geometry import box

import townplan_gis as tp
from townplan_gis.deliverables.tables import conflicts_table, projects_table

CRS = "EPSG:4546"
X, Y = 500_000, 3_850_000


def small_review():
    lines = gpd.GeoDataFrame(
        {
            "line_type": ["purple", "blue", "green"],
            "zone": ["control", None, None],
            "name": ["古城建设控制地带", "涑水渠蓝线", "滨河绿线"],
        },
        geometry=[
            box(X, Y, X + 100, Y + 100),
            box(X + 200, Y, X + 220, Y + 100),
            box(X + 400, Y, X + 500, Y + 100),
        ],
        crs=CRS,
    )
    projects = gpd.GeoDataFrame(
        {"project_id": ["A", "B", "C"], "project_type": ["building"] * 3},
        # A: 10 m × 10 m inside the control zone; B: 6 m east of the blue line (setback 10 m);
        # C: overlaps the green line by 0.02 m × 30 m = 0.6 m² (a sliver)
        geometry=[
            box(X + 10, Y + 10, X + 20, Y + 20),
            box(X + 226, Y + 10, X + 236, Y + 20),
            box(X + 370, Y, X + 400.02, Y + 30),
        ],
        crs=CRS,
    )
    # The town has no red or yellow lines (declared), and these are all its projects' surroundings.
    return tp.review(
        projects,
        lines,
        progress=False,
        absent=["red", "yellow"],
        coverage=box(X - 100, Y - 100, X + 600, Y + 200),
    )


def test_conflict_and_project_reasons_in_chinese():
    r = small_review()
    c = r.conflicts.set_index("project_id")
    assert (
        c.loc["A", "reason_zh"]
        == "位于紫线（建设控制地带）「古城建设控制地带」内：100.0 m²（占项目 100.0 %）"
    )
    assert c.loc["B", "reason_zh"] == "建筑距蓝线「涑水渠蓝线」 6.00 m，应退让 10 m"
    assert c.loc["C", "reason_zh"].startswith("碎片：0.60 m² 小于容差 1.00 m²")
    assert c.loc["C", "reason_zh"].endswith("已忽略")
    p = r.projects.set_index("project_id")
    assert p.loc["A", "reason_zh"].startswith("需审批：位于紫线")
    # A setback shortfall needs review; a sliver is named, never "无冲突".
    assert p.loc["B", "reason_zh"].startswith("需审批：建筑距蓝线")
    assert p.loc["C", "reason_zh"] == "仅碎片重叠（已忽略）"
    # the English text is unchanged
    assert p.loc["A", "reason"].startswith("review: inside 紫线 (control)")


def test_chinese_tables_show_chinese_reasons_english_tables_english():
    r = small_review()
    assert projects_table(r, "zh").set_index("project_id").loc["A", "reason"].startswith("需审批")
    assert projects_table(r, "en").set_index("project_id").loc["A", "reason"].startswith("review:")
    assert conflicts_table(r, "zh")["reason"].str.startswith(("位于", "建筑距", "碎片")).all()


def test_chinese_map_popups_carry_chinese_reasons():
    r = small_review()
    town = tp.Town("t", layers={"projects": r.projects.drop(columns=["reason", "reason_zh"])})
    html = tp.maps.render_html(tp.plan_map(town, review=r, basemap="none", lang="zh"))
    assert "应退让 10 m" in html
    html_en = tp.maps.render_html(tp.plan_map(town, review=r, basemap="none", lang="en"))
    assert "setback 10 m required" in html_en and "应退让" not in html_en
