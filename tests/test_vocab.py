"""The one vocabulary (``data/vocab.toml`` read by ``core/vocab.py``): complete, single, and used.

Every value any domain of the package can hold has a Chinese and an English label; a line type,
verdict or grade has one colour on the map, in the report and in Jupyter; grade and verdict order
are written once; the default road widths are written once.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import townplan_gis as tp
from townplan_gis.core import reprs, schema, vocab
from townplan_gis.core.errors import DataFileError
from townplan_gis.deliverables import charts
from townplan_gis.fiveline import checks, grade, result, rules
from townplan_gis.indicators import registry, roads
from townplan_gis.maps import styles

PACKAGE = Path(tp.__file__).parent


def _domains() -> dict[str, tuple[str, ...]]:
    """Vocabulary name → every value the package's own domains can hold, from where each is defined."""
    aliases = schema.aliases()["values"]
    return {
        "road_class": (*schema.ROAD_CLASSES, *aliases["road_class"]),
        "green_class": (*schema.GREEN_CLASSES, *aliases["green_class"]),
        "line_type": (*schema.LINE_TYPES, *aliases["line_type"]),
        "zone": (*schema.ZONES, *aliases["zone"]),
        "surface": (*schema.SURFACES, *aliases["surface"]),
        "facility_type": tuple(aliases["facility_type"]),
        "project_type": tuple(aliases["project_type"]),
        "project_status": tuple(aliases["status"]),
        "grade": rules.GRADES,
        "verdict": result.VERDICTS,
        "check": tuple(grade.CHECK_TEXT),
        "check_status": checks.STATUSES,
        "status": ("pass", "fail", "not_evaluable"),
        "layer": tuple(schema.LAYERS),
        "bool": ("true", "false"),
    }


@pytest.mark.parametrize("kind", sorted(_domains()))
def test_every_value_of_every_domain_has_zh_and_en_labels(kind):
    missing = [v for v in _domains()[kind] if v not in vocab.LABELS.get(kind, {})]
    assert not missing, f"data/vocab.toml [values.{kind}] lacks {missing}"
    for value in _domains()[kind]:
        zh, en = vocab.label(kind, value, "zh"), vocab.label(kind, value, "en")
        assert (zh.strip() and en.strip() and zh != value) or kind == "green_class"


def test_every_unit_and_column_the_outputs_show_has_its_labels():
    units = {i.unit for i in registry.INDICATORS.values()} - {""}
    assert not [u for u in units if u not in vocab._V["units"]]
    # Every column of the review's tables has a header in both languages.
    for name in [*result.PROJECT_COLUMNS, *checks.CHECK_COLUMNS]:
        if name != "geometry":
            assert vocab.col(name, "zh") != name and vocab.col(name, "en"), name


def test_grade_and_verdict_order_are_written_once():
    assert vocab.GRADES == ("forbidden", "review", "notice")
    assert vocab.GRADE_RANK == {"forbidden": 3, "review": 2, "notice": 1}
    assert list(vocab.GRADE_TEXT) == [None, "notice", "review", "forbidden"]
    # The review's grading uses these very objects: nothing restates the order.
    assert rules.GRADES is vocab.GRADES and rules.GRADE_RANK is vocab.GRADE_RANK
    assert grade.GRADE_TEXT is vocab.GRADE_TEXT
    assert vocab.VERDICTS[0] == "reject" and vocab.VERDICTS[-1] == "pass"
    # Jupyter counts verdicts in that order.
    review = type("R", (), {})()
    review.projects = pd.DataFrame({"verdict": list(vocab.VERDICTS)})
    review.conflicts = pd.DataFrame(columns=["grade"])
    html = reprs.review_html(review, lang="en")
    positions = [html.index(f"tp-verdict-{v}") for v in vocab.VERDICTS]
    assert positions == sorted(positions)


def test_one_colour_per_line_type_verdict_and_grade_on_map_report_and_jupyter():
    lines = gpd.GeoDataFrame(
        {"line_type": list(vocab.values("line_type"))},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(len(vocab.values("line_type")))],
        crs=4546,
    )
    _, classes = styles.classify("control_lines", lines)
    on_map = {c.key: c.style["color"] for c in classes}
    assert on_map == vocab.COLOURS["line_type"]
    for kind, column in (("verdicts", "verdict"), ("conflicts", "grade")):
        frame = pd.DataFrame({column: list(vocab.values(column))})
        _, classes = styles.classify(kind, frame)
        assert {c.key: c.style["color"] for c in classes} == vocab.COLOURS[column]
    # The report's charts and the Jupyter displays read the same table.
    assert charts.COLOURS is vocab.COLOURS and reprs.COLOURS is vocab.COLOURS
    review = type("R", (), {})()
    review.projects = pd.DataFrame({"verdict": ["reject"]})
    review.conflicts = pd.DataFrame(
        {"line_type": list(vocab.values("line_type")), "grade": "forbidden", "project_id": "P",
         "overlap_area_m2": 1.0, "overlap_length_m": 0.0}
    )  # fmt: skip
    html = reprs.review_html(review)
    for lt, shade in vocab.COLOURS["line_type"].items():
        assert f"color:{shade}" in html, lt


def test_line_colours_are_written_only_in_the_vocabulary():
    shades = {s.lower() for s in vocab.COLOURS["line_type"].values()}
    found = []
    for path in PACKAGE.rglob("*.py"):
        for hit in re.findall(r"#[0-9a-fA-F]{6}\b", path.read_text(encoding="utf-8")):
            if hit.lower() in shades:
                found.append(f"{path.relative_to(PACKAGE)}: {hit}")
    assert not found, found
    # The map styles leave the outline of vocabulary classes to the vocabulary.
    table = styles.load_styles()
    for kind in ("control_lines", "verdicts", "conflicts"):
        assert not [k for k, v in table[kind].items() if k != "default" and "color" in v], kind


def test_default_road_widths_are_written_once():
    assert roads.DEFAULT_REDLINE_WIDTH_M is vocab.RED_WIDTH_M
    assert vocab.RED_WIDTH_M == {
        "expressway": 35.0,
        "arterial": 24.0,
        "secondary": 16.0,
        "branch": 10.0,
        "lane": 3.5,
    }
    assert roads.DEFAULT_CARRIAGEWAY_WIDTH_M == {"lane": 3.5}
    assert rules.load_rules().derive["red_width_m"] == vocab.RED_WIDTH_M
    text = (PACKAGE / "data" / "rules" / "default.toml").read_text(encoding="utf-8")
    assert not re.search(r"^\[derive\.red_width_m\]", text, flags=re.M)


def test_derived_red_lines_take_the_vocabulary_width():
    roads_gdf = gpd.GeoDataFrame(
        {"road_class": ["branch"]}, geometry=[shapely.LineString([(0, 0), (100, 0)])], crs=4546
    )
    red = tp.derive_control_lines(roads=roads_gdf)
    # A 100 m branch road with round caps, 10 m wide: 100·10 + π·5².
    assert red.geometry.area.iloc[0] == pytest.approx(1000 + 3.141592653589793 * 25, rel=1e-3)


def test_labels_short_names_and_units():
    assert vocab.LINE_ZH == {"red": "红线", "green": "绿线", "purple": "紫线", "blue": "蓝线",
                             "yellow": "黄线", "eco_redline": "生态保护红线",
                             "farmland": "永久基本农田", "dev_boundary": "城镇开发边界外"}  # fmt: skip
    assert vocab.ZONE_ZH["core"] == "（核心保护范围）"
    assert grade.LINE_ZH is vocab.LINE_ZH and grade.ZONE_ZH is vocab.ZONE_ZH
    assert vocab.label("verdict", "not_checked", "zh") == "未完成审查"
    assert vocab.label("ignored", True, "en") == "ignored (sliver)"
    assert vocab.label("bool", False, "zh") == "否"
    assert vocab.unit_label("m2/person", "zh") == "m²/人"
    assert vocab.unit_label("m2/person", "en") == "m²/person"
    assert vocab.unit_label("furlong", "zh") == "furlong"
    assert vocab.col("overlap_area_m2", "zh") == "重叠面积 (m²)"
    assert vocab.text("report_title", "en", town="X") == "Small-town construction assessment: X"
    assert vocab.check_status("not_in_data", "zh") == "数据中没有，未核对"
    assert vocab.layer_label("control_lines", "en") == "Control lines"
    assert styles.layer_label("legend", "zh") == "图例"
    assert styles.value_labels("control_lines", "zh")["purple_core"] == "紫线 核心保护范围"
    assert vocab.tint("status", "fail") == "#fdecec"
    # The facility indicators name their type with the vocabulary's label.
    assert registry.indicator_info("facility_count_market").name_zh == "集贸市场数量"


@pytest.mark.parametrize(
    ("typed", "code"),
    [("m²/人", "m2/person"), ("㎡/人", "m2/person"), ("M2/Person", "m2/person"), ("％", "%"),
     ("km/km²", "km/km2"), ("平方公里", "km2"), ("个", "count"), ("m2", "m2"), ("亩", "mu")],
)  # fmt: skip
def test_unit_spellings_planners_type(typed, code):
    assert vocab.unit_code(typed) == code


def test_a_broken_vocabulary_is_refused_naming_the_entry(monkeypatch):
    bad = '[values.grade]\nforbidden = { zh = "禁止" }\n'
    for section in ("units", "comparators", "columns", "fields", "sheets", "text"):
        bad += f"[{section}]\n"
    monkeypatch.setattr(
        vocab.resources, "files", lambda _pkg: type("F", (), {"joinpath": lambda s, _n: P()})()
    )

    class P:
        def read_text(self, _enc):
            return bad

    vocab.load_vocab.cache_clear()
    try:
        with pytest.raises(DataFileError, match=r"\[values.grade\] forbidden: 'en' must be"):
            vocab.load_vocab()
    finally:
        monkeypatch.undo()
        vocab.load_vocab.cache_clear()
        vocab.load_vocab()


def test_layer_and_column_labels_of_the_schema_are_the_vocabulary_s():
    for kind, spec in schema.LAYERS.items():
        assert (spec.label_zh, spec.label_en) == (
            vocab.layer_label(kind, "zh"),
            vocab.layer_label(kind, "en"),
        )
        for col in spec.columns:
            assert col.label_zh == vocab.field_label(col.name, "zh") != col.name, col.name
            assert col.label_en == vocab.field_label(col.name, "en"), col.name
