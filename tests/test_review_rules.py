"""The declarative rule file: the packaged default, user overrides, and malformed files."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

import townplan_gis as tp
from townplan_gis.core.errors import DataFileError
from townplan_gis.fiveline.rules import GRADES, load_rules, project_types


def test_default_rules_are_complete_and_bilingual():
    rules = load_rules()
    assert rules.source == "default" and rules.version
    for r in rules.rules:
        assert r.grade in GRADES
        assert r.clause_zh and r.clause_en and r.procedure_zh and r.procedure_en
    # Every (line, zone, project type) resolves to some rule.
    for lt in ("red", "green", "blue", "yellow"):
        for pt in project_types():
            assert rules.resolve(lt, None, pt).grade in GRADES
    for zone in ("core", "control", "harmony", None):
        for pt in project_types():
            assert rules.resolve("purple", zone, pt).grade in GRADES
    assert rules.tolerance == {
        "min_area_m2": 1.0,
        "min_pct_of_project": 0.1,
        "inward_buffer_m": 0.5,
        "min_length_m": 0.5,
        "noise_m2": 1e-6,
        "never_ignore": ["purple:core", "blue"],
    }
    d = rules.setbacks["distance_m"]
    assert (d["arterial"], d["secondary"], d["branch"], d["lane"], d["blue"]) == (8, 8, 5, 5, 10)


def test_most_specific_rule_wins():
    rules = load_rules()
    assert rules.resolve("purple", "core", "heritage").grade == "review"  # zone + type
    assert rules.resolve("purple", "core", "building").grade == "forbidden"  # zone only
    assert rules.resolve("red", None, "road").grade == "review"  # type only
    assert rules.resolve("red", None, "building").grade == "forbidden"  # fallback
    assert rules.sliver_exempt("blue", None) and rules.sliver_exempt("purple", "core")
    assert rules.sliver_exempt("purple", None)  # no tier → core
    assert not rules.sliver_exempt("purple", "control") and not rules.sliver_exempt("green", None)


def _write(tmp_path, text):
    f = tmp_path / "my_rules.toml"
    f.write_text(text, encoding="utf-8")
    return f


def test_user_file_overrides_tables_and_keeps_default_rules(tmp_path):
    f = _write(
        tmp_path,
        '[meta]\nversion = "x1"\n[tolerance]\nmin_area_m2 = 5\n[setbacks.distance_m]\nblue = 30\n',
    )
    rules = load_rules(f)
    assert rules.source == str(f) and rules.version == "x1"
    assert rules.tolerance["min_area_m2"] == 5.0 and rules.tolerance["inward_buffer_m"] == 0.5
    assert rules.setbacks["distance_m"]["blue"] == 30.0
    assert rules.resolve("green", None, "park").grade == "review"


def test_user_rules_replace_the_rule_list(tmp_path):
    # A strict office: parks inside green lines are forbidden too.
    text = """
[[rule]]
line_type = "green"
project_types = ["*"]
grade = "forbidden"
clause_zh = "甲"
clause_en = "a"
procedure_zh = "乙"
procedure_en = "b"
""" + "".join(
        f'[[rule]]\nline_type = "{lt}"\nproject_types = ["*"]\ngrade = "review"\n'
        'clause_zh = "x"\nclause_en = "x"\nprocedure_zh = "x"\nprocedure_en = "x"\n'
        for lt in ("red", "purple", "blue", "yellow")
    )
    f = _write(tmp_path, text)
    x, y = 437_000, 3_855_000  # metres in EPSG:4546 near Puzhou: coordinates must fit the CRS
    lines = gpd.GeoDataFrame(
        {"line_type": ["green"]}, geometry=[shapely.box(x, y, x + 100, y + 100)], crs="EPSG:4546"
    )
    prj = gpd.GeoDataFrame(
        {"project_type": ["park"]},
        geometry=[shapely.box(x + 10, y + 10, x + 20, y + 20)],
        crs="EPSG:4546",
    )
    r = tp.review(prj, lines, rules=f)
    assert r.conflicts["grade"].tolist() == ["forbidden"]
    assert r.conflicts["clause"].tolist() == ["甲"]
    assert r.settings["rules"] == str(f)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[[rule]]\nline_type = 'pink'\n", r"\[\[rule\]\] #1: line_type 'pink'"),
        (
            "[[rule]]\nline_type = 'red'\ngrade = 'maybe'\n",
            r"#1 \(red\): grade 'maybe'",
        ),
        (
            "[[rule]]\nline_type = 'red'\nproject_types = ['castle']\ngrade = 'review'\n",
            r"project_types \['castle'\]",
        ),
        (
            "[[rule]]\nline_type = 'red'\nzone = 'outer'\ngrade = 'review'\n",
            r"zone 'outer'",
        ),
        (
            "[[rule]]\nline_type = 'red'\ngrade = 'review'\nclause_zh = 'x'\n",
            r"missing text \['clause_en', 'procedure_zh', 'procedure_en'\]",
        ),
        ("[tolerance]\nmin_area_m2 = -1\n", r"\[tolerance\] min_area_m2 = -1"),
        ("[tolerance]\nnever_ignore = ['teal']\n", r"never_ignore entry 'teal'"),
        ("[setbacks.red]\ngrade = 'severe'\n", r"\[setbacks.red\] grade 'severe'"),
        ("this is = = not toml", r"not valid TOML"),
    ],
)
def test_malformed_files_name_file_entry_and_problem(tmp_path, text, match):
    f = _write(tmp_path, text)
    with pytest.raises(DataFileError, match=match) as info:
        load_rules(f)
    assert "my_rules.toml" in str(info.value)


def test_ambiguous_and_incomplete_rule_lists(tmp_path):
    rule = (
        '[[rule]]\nline_type = "{lt}"\nproject_types = ["*"]\ngrade = "review"\n'
        'clause_zh = "x"\nclause_en = "x"\nprocedure_zh = "x"\nprocedure_en = "x"\n'
    )
    twice = rule.format(lt="red") * 2
    with pytest.raises(DataFileError, match=r"#2 and #1 both grade line_type 'red'"):
        load_rules(_write(tmp_path, twice))
    only_red = rule.format(lt="red")
    with pytest.raises(DataFileError, match="no fallback rule for line_type 'green'"):
        load_rules(_write(tmp_path, only_red))


def test_missing_file_and_unknown_override():
    with pytest.raises(DataFileError, match="not found"):
        load_rules("/nonexistent/rules.toml")
    lines = gpd.GeoDataFrame(
        {"line_type": ["green"]}, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4546"
    )
    with pytest.raises(
        DataFileError,
        match=r"review\(tolerance=\{\.\.\.\}\): unknown key 'min_areaa' \(did you mean "
        r"'min_area_m2'\?\) in the tolerance overrides \(rules default\)",
    ):
        tp.review(lines.assign(project_type="park"), lines, tolerance={"min_areaa": 1})
    with pytest.raises(
        DataFileError,
        match=r"unknown key 'motorway' in the setback overrides.*Accepted keys: expressway, arterial",
    ):
        tp.review(lines.assign(project_type="park"), lines, setback_m={"motorway": 1})
    with pytest.raises(
        DataFileError, match=r"unknown key 'arterail' \(did you mean 'arterial'\?\)"
    ):
        tp.review(lines.assign(project_type="park"), lines, setback_m={"arterail": 10})


def test_overrides_do_not_leak_into_the_default():
    base = load_rules()
    changed = base.with_overrides(tolerance={"min_area_m2": 9})
    assert changed.tolerance["min_area_m2"] == 9.0
    assert load_rules().tolerance["min_area_m2"] == 1.0 and base.tolerance["min_area_m2"] == 1.0


# --- schema: unknown sections and keys, value shapes ----------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[tolerence]\nmin_area_m2 = 5\n",
            "unknown key 'tolerence' (did you mean 'tolerance'?) in the top level ([section] names)",
        ),
        (
            "[tolerance]\nmin_area = 5\n",
            "unknown key 'min_area' (did you mean 'min_area_m2'?) in [tolerance]",
        ),
        (
            "[setbacks.distance_m]\narterail = 10\n",
            "unknown key 'arterail' (did you mean 'arterial'?) in [setbacks.distance_m]",
        ),
        (
            "[setbacks.red]\ngrdae = 'review'\n",
            "unknown key 'grdae' (did you mean 'grade'?) in [setbacks.red]",
        ),
        (
            "[derive.red_width_m]\nmain = 30\n",
            "unknown key 'main' in [derive.red_width_m]. Accepted keys: expressway, arterial, secondary",
        ),
        (
            "[[rules]]\nline_type = 'red'\n",
            "unknown key 'rules' (did you mean 'rule'?) in the top level ([section] names)",
        ),
        (
            "[[rule]]\nline_type = 'red'\nproject_type = ['road']\ngrade = 'review'\n",
            "unknown key 'project_type' (did you mean 'project_types'?) in [[rule]] #1",
        ),
        ("[meta]\nverison = '2'\n", "unknown key 'verison' (did you mean 'version'?) in [meta]"),
        (
            "[tolerance]\nmin_area_m2 = inf\n",
            "[tolerance] min_area_m2 = inf must be a finite number ≥ 0",
        ),
        ("[tolerance]\nnoise_m2 = nan\n", "[tolerance] noise_m2 = nan must be a finite number ≥ 0"),
        (
            "[tolerance]\nmin_area_m2 = '5'\n",
            "[tolerance] min_area_m2 = '5' must be a number, like the default 1.0",
        ),
        (
            "[setbacks.distance_m]\nblue = -10\n",
            "[setbacks.distance_m] blue = -10 must be a finite number ≥ 0",
        ),
        (
            "[tolerance]\nnever_ignore = 'blue'\n",
            "[tolerance] never_ignore = 'blue' must be a list, like the default",
        ),
        ("tolerance = 5\n", "[tolerance] must be a table, got 5"),
        (
            "[derive.yellow]\npoint_radius_m = 0\n",
            "[derive.yellow] point_radius_m = 0 must be a finite number > 0",
        ),
        (
            "[derive.yellow]\nfacility_types = ['landfil']\n",
            "[derive.yellow] facility_types ['landfil'] unknown (did you mean 'landfill'?)",
        ),
        (
            "[setbacks]\nproject_types = ['buildings']\n",
            "[setbacks] project_types ['buildings'] unknown (did you mean 'building'?)",
        ),
    ],
)
def test_rule_file_schema_refuses_unknown_keys_and_bad_values(tmp_path, text, message):
    f = _write(tmp_path, text)
    with pytest.raises(DataFileError) as info:
        load_rules(f)
    assert str(info.value).startswith(f"{f}: ")
    assert message in str(info.value)


def test_rule_file_accepts_optional_meta_and_what_the_default_declares(tmp_path, monkeypatch):
    from townplan_gis.fiveline import rules as rules_module

    f = _write(tmp_path, "[meta]\nauthor = 'planning office'\ndate = '2026-03-01'\n")
    assert load_rules(f).meta["author"] == "planning office"
    # A key added to the packaged default is accepted in a user file at once, shaped like it.
    data = rules_module._default_data()
    extended = {**data, "setbacks": {**data["setbacks"], "red": {**data["setbacks"]["red"]}}}
    extended["setbacks"]["red"]["shortfall_grade"] = "review"
    monkeypatch.setattr(rules_module, "_default_data", lambda: extended)
    g = _write(tmp_path, "[setbacks.red]\nshortfall_grade = 'forbidden'\n")
    assert load_rules(g).setbacks["red"]["shortfall_grade"] == "forbidden"
    h = _write(tmp_path, "[setbacks.red]\nshortfall_grade = 3\n")
    with pytest.raises(DataFileError, match=r"shortfall_grade = 3 must be a string"):
        load_rules(h)


def test_override_values_are_validated_like_the_file():
    base = load_rules()
    with pytest.raises(DataFileError, match=r"min_area_m2 = 'x' must be a finite number ≥ 0"):
        base.with_overrides(tolerance={"min_area_m2": "x"})
    with pytest.raises(DataFileError, match=r"min_area_m2 = inf must be a finite number ≥ 0"):
        base.with_overrides(tolerance={"min_area_m2": float("inf")})
    with pytest.raises(DataFileError, match=r"never_ignore = 'blue' must be a list"):
        base.with_overrides(tolerance={"never_ignore": "blue"})
    with pytest.raises(DataFileError, match=r"\[setback_m\] blue = nan must be a finite number"):
        base.with_overrides(setback_m={"blue": float("nan")})
    assert base.with_overrides(setback_types="road").setbacks["project_types"] == ["road"]
