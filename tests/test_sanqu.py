"""三区三线 in the review: ecological red line, permanent basic farmland, development boundary.

Every number is hand-computed on boxes in metres (EPSG:4546, near Puzhou).
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

import townplan_gis as tp
from townplan_gis.core.errors import TownPlanError
from townplan_gis.fiveline.sanqu import outside_boundary, resolve_families

X0, Y0 = 437_000, 3_855_000
CRS = "EPSG:4546"


def B(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


TOWN = B(-500, -500, 500, 500)


def lines(*rows):
    return gpd.GeoDataFrame(
        {"line_type": [r[0] for r in rows], "name": [f"L{i}" for i in range(len(rows))]},
        geometry=[r[1] for r in rows],
        crs=CRS,
    )


def projects(*rows):
    return gpd.GeoDataFrame(
        {"project_id": [f"P{i}" for i in range(len(rows))], "project_type": [r[0] for r in rows]},
        geometry=[r[1] for r in rows],
        crs=CRS,
    )


def test_a_project_30_pct_inside_farmland_is_forbidden_with_its_area():
    # 100 × 100 m project, x 70..170; farmland x 0..100: 30 × 100 = 3000 m² inside, 30 %, 4.5 亩.
    r = tp.review(
        projects(("住宅", B(70, 0, 170, 100))),
        lines(("永久基本农田", B(0, 0, 100, 100))),
        coverage=TOWN,
        absent=["eco_redline", "dev_boundary"],
    )
    row = r.projects.iloc[0]
    assert row["verdict"] == "reject" and row["worst_grade"] == "forbidden"
    c = r.conflicts.iloc[0]
    assert c["line_type"] == "farmland" and c["grade"] == "forbidden"
    assert c["overlap_area_m2"] == pytest.approx(3000.0)
    assert c["pct_of_project"] == pytest.approx(30.0)
    assert c["overlap_area_mu"] == pytest.approx(4.5)
    assert "第三十五条" in c["clause"]
    assert row["farmland_overlap_m2"] == pytest.approx(3000.0)
    assert r.evidence["families"]["selected"] == ["three"]


def test_allowed_limited_activity_inside_the_eco_red_line_is_review_others_forbidden():
    eco = lines(("生态保护红线", B(0, 0, 100, 100)))
    prj = projects(
        ("生态修复", B(10, 10, 30, 30)),  # ecological restoration: a limited activity
        ("科研监测", B(40, 40, 45, 45)),  # a monitoring station
        ("commercial", B(60, 60, 80, 80)),
    )
    r = tp.review(prj, eco, coverage=TOWN, absent=["farmland", "dev_boundary"])
    assert r.projects["verdict"].tolist() == ["review", "review", "reject"]
    assert r.conflicts["grade"].tolist() == ["review", "review", "forbidden"]
    assert r.conflicts["overlap_area_m2"].tolist() == pytest.approx([400.0, 25.0, 400.0])
    assert "有限人为活动" in r.conflicts["clause"].iloc[0]


def test_an_urban_project_half_outside_the_development_boundary_is_review_with_the_outside_area():
    # Boundary x 0..100; project x 50..150, y 0..100: 50 × 100 = 5000 m² outside, 50 %.
    r = tp.review(
        projects(("residential", B(50, 0, 150, 100))),
        lines(("城镇开发边界", B(0, 0, 100, 100))),
        coverage=TOWN,
        absent=["eco_redline", "farmland"],
    )
    assert r.projects["verdict"].tolist() == ["review"]
    c = r.conflicts.iloc[0]
    assert c["line_type"] == "dev_boundary" and c["grade"] == "review"
    assert c["overlap_area_m2"] == pytest.approx(5000.0)
    assert c["pct_of_project"] == pytest.approx(50.0)
    # The conflict is the part outside: its geometry is x 100..150, and the texts say it exceeds
    # the boundary (not "inside" the area outside it).
    assert c.geometry.equals_exact(B(100, 0, 150, 100), 1e-6) or c.geometry.normalize().equals(
        B(100, 0, 150, 100).normalize()
    )
    assert c["line_name"] == "L0以外"
    assert c["reason_zh"] == "超出城镇开发边界「L0」：5000.0 m²（占项目 50.0 %）"
    assert c["reason"] == "outside 城镇开发边界 'L0': 5000.0 m² (50.0 % of project)"
    assert r.projects["dev_boundary_overlap_m2"].iloc[0] == pytest.approx(5000.0)
    assert "dev_boundary" in r.evidence["sanqu"]


def test_a_rural_house_outside_the_boundary_has_no_review_finding_and_passes():
    r = tp.review(
        projects(("农房", B(150, 0, 200, 50)), ("商业", B(150, 60, 200, 110))),
        lines(("城镇开发边界", B(0, 0, 100, 100))),
        coverage=TOWN,
        absent=["eco_redline", "farmland"],
    )
    assert r.projects["verdict"].tolist() == ["pass", "review"]
    rural = r.conflicts[r.conflicts["project_id"] == "P0"]
    # Village construction follows the village plan: a notice saying so, never review/forbidden.
    assert set(rural["grade"]) <= {"notice"}
    assert all("村庄规划" in t for t in rural["clause"])


def test_a_project_outside_the_extent_of_the_three_line_data_is_not_checked_never_pass():
    # The town is 1 km square; the 三区三线 data covers x, y -200..200 only.
    sanqu = lines(("生态保护红线", B(0, 0, 50, 50)), ("城镇开发边界", B(-200, -200, 200, 200)))
    prj = projects(("住宅", B(100, 100, 120, 120)), ("住宅", B(300, 300, 320, 320)))
    r = tp.review(
        prj, sanqu, coverage=TOWN, absent=["farmland"], sanqu_extent=B(-200, -200, 200, 200)
    )
    assert r.projects["verdict"].tolist() == ["pass", "not_checked"]
    assert r.projects["outside_coverage_pct"].tolist() == pytest.approx([0.0, 100.0])
    assert "三区三线" in r.evidence["coverage"]["source"]
    # Without sanqu_extent the town boundary is the extent: outside the boundary is checked.
    r2 = tp.review(prj, sanqu, coverage=TOWN, absent=["farmland"])
    assert r2.projects["verdict"].tolist() == ["pass", "review"]
    assert r2.conflicts["overlap_area_m2"].tolist() == pytest.approx([400.0])


def test_families_are_chosen_and_stated():
    both = lines(("green", B(0, 0, 100, 100)), ("eco_redline", B(200, 0, 300, 100)))
    prj = projects(("building", B(90, 0, 110, 10)), ("building", B(290, 0, 310, 10)))
    five_absent = ["red", "purple", "blue", "yellow"]
    # Default: both families have lines → one review of both (two more three-line types absent).
    r = tp.review(prj, both, coverage=TOWN, absent=[*five_absent, "farmland", "dev_boundary"])
    assert r.projects["verdict"].tolist() == ["reject", "reject"]
    assert sorted(r.conflicts["line_type"]) == ["eco_redline", "green"]
    assert r.evidence["families"]["selected"] == ["five", "three"]
    assert len(r.checks) == 2 * 8
    # Only the five lines: the eco red line is left out, and the evidence says so.
    r5 = tp.review(prj, both, coverage=TOWN, absent=five_absent, families="five")
    assert r5.projects["verdict"].tolist() == ["reject", "pass"]
    assert r5.conflicts["line_type"].tolist() == ["green"]
    assert r5.evidence["families"] == {
        "selected": ["five"],
        "not_selected": ["three"],
        "chosen": "families=['five']",
        "line_types": {
            "five": ["red", "green", "purple", "blue", "yellow"],
            "three": ["eco_redline", "farmland", "dev_boundary"],
        },
    }
    assert r5.evidence["line_types"]["eco_redline"]["status"] == "not_selected"
    assert r5.evidence["sanqu"]["left_out"] == {"eco_redline": 1}
    assert len(r5.checks) == 2 * 5
    # The three lines selected without farmland data: nobody can pass (not in data).
    r3 = tp.review(prj, both, coverage=TOWN, families=["三区三线"], absent=["dev_boundary"])
    assert r3.projects["verdict"].tolist() == ["not_checked", "reject"]
    assert r3.evidence["line_types"]["farmland"]["status"] == "not_in_data"
    assert r3.evidence["line_types"]["green"]["status"] == "not_selected"


def test_a_town_without_three_line_data_reviews_the_five_lines_and_says_so():
    town = tp.sample_town()
    r = tp.review(town)
    assert r.evidence["families"]["selected"] in (["five"], ["five", "three"])
    if "three" not in r.evidence["families"]["selected"]:
        assert all(
            r.evidence["line_types"][t]["status"] == "not_selected"
            for t in ("eco_redline", "farmland", "dev_boundary")
        )


def test_a_boundary_covering_the_whole_extent_leaves_nothing_outside():
    r = tp.review(
        projects(("住宅", B(0, 0, 10, 10))),
        lines(("城镇开发边界", B(-600, -600, 600, 600))),
        coverage=TOWN,
        absent=["eco_redline", "farmland"],
    )
    assert r.projects["verdict"].tolist() == ["pass"]
    assert r.evidence["line_types"]["dev_boundary"]["status"] == "checked"
    assert "covers the whole extent" in r.evidence["sanqu"]["dev_boundary"]["outside"]


def test_outside_boundary_is_the_extent_minus_the_boundaries():
    dev = gpd.GeoDataFrame(
        {"line_type": ["dev_boundary"] * 2, "name": ["北片", "南片"]},
        geometry=[B(0, 0, 10, 10), B(5, 5, 20, 10)],
        crs=CRS,
    )
    out = outside_boundary(dev, B(0, 0, 20, 20))
    # 400 − (100 + 75 overlapping 25) = 400 − 150 = 250 m².
    assert out.geometry.area.iloc[0] == pytest.approx(250.0)
    assert out["name"].iloc[0] == "北片、南片以外"


def test_unknown_family_is_refused_with_the_accepted_ones():
    assert resolve_families("five,三区三线") == ("five", "three")
    with pytest.raises(TownPlanError, match="Accepted: 'five'"):
        resolve_families(["five", "six"])


def test_a_five_line_user_rule_file_keeps_the_default_three_line_rules(tmp_path):
    rule = (
        '[[rule]]\nline_type = "{lt}"\nproject_types = ["*"]\ngrade = "review"\n'
        'clause_zh = "x"\nclause_en = "x"\nprocedure_zh = "x"\nprocedure_en = "x"\n'
    )
    f = tmp_path / "five.toml"
    f.write_text(
        "".join(rule.format(lt=t) for t in ("red", "green", "purple", "blue", "yellow")), "utf-8"
    )
    rules = tp.load_rules(f)
    assert rules.resolve("green", None, "building").grade == "review"
    assert rules.resolve("farmland", None, "building").grade == "forbidden"
    assert rules.resolve("dev_boundary", None, "rural_housing").grade == "notice"


def test_the_sample_town_conflicts_with_each_of_the_three_lines_for_a_reason_checked_by_hand():
    # layers/build_puzhou.py: P06-1 (40 × 30 m) wholly in the Yellow River eco red line; P15
    # (100 × 100 m) with x 1700..1730 on the farmland; P13 (60 × 40 m) with y -1500..-1480 outside
    # the development boundary's notch.
    r = tp.review(tp.sample_town())
    assert r.evidence["families"]["selected"] == ["five", "three"]
    c = r.conflicts[r.conflicts["line_type"].isin(["eco_redline", "farmland", "dev_boundary"])]
    got = {
        (p, t): (g, round(a, 3), round(pct, 3))
        for p, t, g, a, pct in c[
            ["project_id", "line_type", "grade", "overlap_area_m2", "pct_of_project"]
        ].itertuples(index=False)
    }
    assert got[("P06-1", "eco_redline")] == ("forbidden", 1200.0, 100.0)
    assert got[("P15", "farmland")] == ("forbidden", 3000.0, 30.0)
    assert got[("P13", "dev_boundary")] == ("review", 1200.0, 50.0)
    verdicts = r.projects.set_index("project_id")["verdict"]
    assert verdicts[["P06-1", "P13", "P15"]].tolist() == ["reject", "reject", "reject"]
