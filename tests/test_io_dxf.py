"""CAD drawings (DXF): control lines by layer, projects with their id text, review end to end, and the
conflicts written back as DXF. Every drawing is drawn here with ezdxf, in EPSG:4546 metres around a
plausible Gauss-Krüger origin; every expected area is worked out by hand in the comments.
"""

from __future__ import annotations

import math

import ezdxf
import numpy as np
import pandas as pd
import pytest
import shapely
from ezdxf import path as dxfpath
from shapely.geometry import box

import townplan_gis as tp
from townplan_gis.core.errors import CRSError, DataFileError, SchemaError, UnknownValueError
from townplan_gis.io import read_dxf_lines, read_dxf_projects, write_conflicts_dxf

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 3_850_000.0
COVERAGE = box(X0 - 500, Y0 - 500, X0 + 1500, Y0 + 1000)


def P(x, y, scale=1.0):
    return ((X0 + x) * scale, (Y0 + y) * scale)


def rect(x0, y0, x1, y1, scale=1.0):
    return [P(x0, y0, scale), P(x1, y0, scale), P(x1, y1, scale), P(x0, y1, scale)]


def draw(path, *, version="R2010", units=6, scale=1.0, red_layer="道路红线"):
    """The test drawing.

    道路红线: two open edges y = 0 and y = 24, x −100…300 (a road 400 m × 24 m = 9,600 m²), its
    label "HX-01 西厢大街" inside; one lone edge far away (x 1000…1100, y 500): unpaired.
    蓝线: a closed rectangle x 0…100, y 100…160 (6,000 m²) with an island x 40…60, y 120…140
    (400 m²) drawn inside it: 5,600 m²; a circle r = 10 m (314.16 m²); a half disc closed by an arc
    and a line (157.08 m²); label "LX-01 西河" inside the rectangle.
    项目: P-01 x 20…80, y 10…110 (6,000 m²), text "P-01 住宅楼"; P-02 x 150…170, y 40…60
    (400 m²), MTEXT "P-02".
    """
    doc = ezdxf.new(version, setup=False)
    doc.header["$INSUNITS"] = units
    for name in (red_layer, "蓝线", "项目", "道路中线"):
        doc.layers.add(name)
    msp = doc.modelspace()
    red, blue, prj = {"layer": red_layer}, {"layer": "蓝线"}, {"layer": "项目"}
    msp.add_lwpolyline([P(-100, 0, scale), P(300, 0, scale)], dxfattribs=red)
    msp.add_lwpolyline([P(300, 24, scale), P(-100, 24, scale)], dxfattribs=red)  # drawn backwards
    msp.add_lwpolyline([P(1000, 500, scale), P(1100, 500, scale)], dxfattribs=red)
    msp.add_text("HX-01 西厢大街", height=3 * scale, dxfattribs=red).set_placement(P(50, 12, scale))
    msp.add_lwpolyline(rect(0, 100, 100, 160, scale), close=True, dxfattribs=blue)
    msp.add_lwpolyline(rect(40, 120, 60, 140, scale), close=True, dxfattribs=blue)
    msp.add_circle(P(200, 130, scale), 10 * scale, dxfattribs=blue)
    msp.add_arc(P(250, 130, scale), 10 * scale, 0, 180, dxfattribs=blue)
    msp.add_line(P(240, 130, scale), P(260, 130, scale), dxfattribs=blue)
    msp.add_text("LX-01 西河", height=3 * scale, dxfattribs=blue).set_placement(P(10, 150, scale))
    msp.add_lwpolyline(rect(20, 10, 80, 110, scale), close=True, dxfattribs=prj)
    msp.add_text("P-01 住宅楼", height=3 * scale, dxfattribs=prj).set_placement(P(30, 50, scale))
    msp.add_lwpolyline(rect(150, 40, 170, 60, scale), close=True, dxfattribs=prj)
    msp.add_mtext("P-02", dxfattribs={**prj, "insert": P(155, 55, scale)})
    msp.add_line(P(-100, 12, scale), P(300, 12, scale), dxfattribs={"layer": "道路中线"})
    doc.saveas(path)
    return path


@pytest.fixture()
def drawing(tmp_path):
    return draw(tmp_path / "plan.dxf")


def _repairs(gdf, action):
    return [r for r in gdf.attrs["repairs"] if r.action == action]


def test_control_lines_by_layer_with_paired_red_edges_holes_and_labels(drawing):
    lines = read_dxf_lines(drawing, crs=CRS)
    assert lines.crs.to_epsg() == 4546
    red = lines[lines["line_type"] == "red"]
    assert len(red) == 1
    assert red.area.iloc[0] == pytest.approx(400 * 24)
    assert (red["code"].iloc[0], red["name"].iloc[0]) == ("HX-01", "西厢大街")
    blue = lines[lines["line_type"] == "blue"]
    blue = blue.iloc[np.argsort(-blue.area.to_numpy())]
    areas = blue.area.to_numpy()
    assert areas[0] == pytest.approx(6000 - 400)  # the island is a hole
    assert areas[1] == pytest.approx(math.pi * 100, rel=3e-4)  # circle, flattened within 1 cm
    assert areas[2] == pytest.approx(math.pi * 100 / 2, rel=3e-4)  # arc closed by a line
    assert blue["code"].tolist()[0] == "LX-01" and blue["name"].tolist()[0] == "西河"
    # The lone red edge is reported, never silently dropped; the centre-line layer is listed.
    unpaired = lines.attrs["unpaired"]
    assert len(unpaired) == 1 and unpaired["length_m"].iloc[0] == pytest.approx(100)
    assert "1 open line(s), 100.0 m" in _repairs(lines, "dxf_unpaired")[0].detail
    assert "道路中线 (1)" in _repairs(lines, "dxf_layers_not_read")[0].detail
    paired = _repairs(lines, "dxf_paired_edges")[0].detail
    assert "1 road polygon(s)" in paired and "24.0–24.0 m apart" in paired


def test_projects_with_their_id_text(drawing):
    prj = read_dxf_projects(drawing, crs=CRS, project_type="住宅")
    assert prj["project_id"].tolist() == ["P-01", "P-02"]
    assert prj["name"].iloc[0] == "住宅楼" and pd.isna(prj["name"].iloc[1])
    assert prj["project_type"].tolist() == ["住宅", "住宅"]
    assert prj.area.tolist() == pytest.approx([6000, 400])
    assert prj["cad_layer"].tolist() == ["项目", "项目"]


def test_dxf_reviews_end_to_end_and_writes_the_conflicts_back(drawing, tmp_path):
    lines = read_dxf_lines(drawing, crs=CRS)
    prj = read_dxf_projects(drawing, crs=CRS, project_type="住宅")
    r = tp.review(prj, lines, coverage=COVERAGE, absent=["green", "purple", "yellow"])
    verdict = dict(zip(r.projects["project_id"], r.projects["verdict"], strict=True))
    assert verdict == {"P-01": "reject", "P-02": "pass"}
    c = r.conflicts[r.conflicts["check"] == "overlap"].set_index("line_type")
    # P-01 (x 20…80, y 10…110) on the road (y 0…24): 60 × 14 = 840 m²; on the river rectangle
    # (y 100…160): 60 × 10 = 600 m² (the island, y 120…140, lies outside the project).
    assert c.loc["red", "overlap_area_m2"] == pytest.approx(840)
    assert c.loc["blue", "overlap_area_m2"] == pytest.approx(600)
    assert set(c["grade"]) == {"forbidden"}
    out = write_conflicts_dxf(r, tmp_path / "conflicts.dxf")
    doc = ezdxf.readfile(out)
    # R2010 (AC1024): text is UTF-8 by the format, whatever the code page variable says.
    assert doc.dxfversion >= "AC1024" and "冲突-红线-禁止".encode() in out.read_bytes()
    layers = {layer.dxf.name for layer in doc.layers}
    assert {"冲突-红线-禁止", "冲突-蓝线-禁止", "项目-不予通过", "项目-通过"} <= layers
    hatch_area = {}
    for h in doc.modelspace().query("HATCH"):
        rings = [
            shapely.Polygon([(v.x, v.y) for v in p.flattening(0.01)]) for p in dxfpath.from_hatch(h)
        ]
        hatch_area[h.dxf.layer] = (
            hatch_area.get(h.dxf.layer, 0.0) + rings[0].area - sum(x.area for x in rings[1:])
        )
    assert hatch_area == pytest.approx({"冲突-红线-禁止": 840.0, "冲突-蓝线-禁止": 600.0})
    outlines = {
        e.dxf.layer: shapely.Polygon(list(e.get_points("xy"))).area
        for e in doc.modelspace().query("LWPOLYLINE")
        if e.dxf.layer.startswith("项目")
    }
    assert outlines == pytest.approx({"项目-不予通过": 6000.0, "项目-通过": 400.0})
    labels = [t.dxf.text for t in doc.modelspace().query("TEXT")]
    assert {"P-01 西厢大街 840.0m²", "P-01 西河 600.0m²"} <= set(labels)
    assert doc.header.custom_vars.get("CRS") == "EPSG:4546"


def test_millimetre_drawing_is_converted_and_recorded(tmp_path):
    path = draw(tmp_path / "mm.dxf", units=4, scale=1000.0)
    lines = read_dxf_lines(path, crs=CRS)
    assert lines[lines["line_type"] == "red"].area.iloc[0] == pytest.approx(9600)
    note = _repairs(lines, "converted_units")[0].detail
    assert "millimetres" in note and "× 0.001" in note


def test_unitless_drawing_is_read_as_metres_and_recorded(tmp_path):
    lines = read_dxf_lines(draw(tmp_path / "u.dxf", units=0), crs=CRS)
    assert lines[lines["line_type"] == "red"].area.iloc[0] == pytest.approx(9600)
    assert "read as metres" in _repairs(lines, "assumed_units")[0].detail


def _gbk_r2000(tmp_path, codepage: bytes):
    """An R2000 drawing whose text bytes are GBK, with the given $DWGCODEPAGE."""
    path = tmp_path / f"gbk-{codepage.decode()}.dxf"
    doc = ezdxf.new("R2000", setup=False)
    doc.encoding = "cp936"
    doc.layers.add("蓝线")
    doc.modelspace().add_lwpolyline(
        rect(0, 100, 100, 160), close=True, dxfattribs={"layer": "蓝线"}
    )
    doc.modelspace().add_text("LX-01 西河", dxfattribs={"layer": "蓝线"}).set_placement(P(10, 150))
    doc.saveas(path)
    raw = path.read_bytes().replace(b"ANSI_1252", codepage)
    path.write_bytes(raw)
    assert "西河".encode("gbk") in raw
    return path


def test_gbk_text_of_an_old_drawing_is_decoded(tmp_path):
    lines = read_dxf_lines(_gbk_r2000(tmp_path, b"ANSI_936"), crs=CRS)
    assert lines["cad_layer"].tolist() == ["蓝线"] and lines["name"].tolist() == ["西河"]


def test_gbk_text_under_a_western_code_page_is_read_as_gbk_and_recorded(tmp_path):
    lines = read_dxf_lines(_gbk_r2000(tmp_path, b"ANSI_1252"), crs=CRS)
    assert lines["name"].tolist() == ["西河"]
    assert "says ANSI_1252 but the text is GBK" in _repairs(lines, "encoding")[0].detail


def test_unicode_escapes_of_an_old_drawing_are_decoded(tmp_path):
    # ezdxf writes Chinese into an ANSI_1252 R2000 file as \U+XXXX escapes.
    path = draw(tmp_path / "r2000.dxf", version="R2000")
    assert b"\\U+" in path.read_bytes()
    lines = read_dxf_lines(path, crs=CRS)
    assert set(lines["cad_layer"]) == {"道路红线", "蓝线"}
    assert "西厢大街" in lines["name"].tolist()


def test_dxf_needs_a_crs_and_coordinates_that_fit_it(drawing, tmp_path):
    with pytest.raises(CRSError, match=r"carries no coordinate reference system.*crs='EPSG:4546'"):
        read_dxf_lines(drawing, crs=None)
    # The same drawing said to be in lon/lat: 500,000 "degrees" is refused.
    with pytest.raises(CRSError):
        read_dxf_lines(drawing, crs="EPSG:4490")


def test_ambiguous_and_unknown_layers(tmp_path):
    hx = draw(tmp_path / "hx.dxf", red_layer="HX")
    with pytest.raises(DataFileError, match=r"layer 'HX' is ambiguous .*红线.*黄线"):
        read_dxf_lines(hx, crs=CRS)
    mine = tmp_path / "layers.toml"
    mine.write_text(
        '[layers]\nHX = { line_type = "red", source = "our drawing standard" }\n', encoding="utf-8"
    )
    lines = read_dxf_lines(hx, crs=CRS, mapping=mine)
    assert lines[lines["line_type"] == "red"].area.iloc[0] == pytest.approx(9600)
    doc = ezdxf.new("R2010")
    doc.modelspace().add_lwpolyline(rect(0, 0, 10, 10), close=True, dxfattribs={"layer": "地块"})
    doc.saveas(tmp_path / "none.dxf")
    with pytest.raises(
        DataFileError, match=r"no layer of the drawing is a control-line layer.*地块 \(1\)"
    ):
        read_dxf_lines(tmp_path / "none.dxf", crs=CRS)


def test_projects_need_a_type_and_one_outline_layer(drawing, tmp_path):
    with pytest.raises(SchemaError, match=r"need a project type.*project_type='building'"):
        read_dxf_projects(drawing, crs=CRS)
    with pytest.raises(UnknownValueError, match="火星基地"):
        read_dxf_projects(drawing, crs=CRS, project_type="火星基地")
    doc = ezdxf.readfile(drawing)
    doc.layers.add("地块")
    doc.modelspace().add_lwpolyline(
        rect(500, 500, 510, 510), close=True, dxfattribs={"layer": "地块"}
    )
    doc.saveas(tmp_path / "two.dxf")
    with pytest.raises(DataFileError, match=r"several layers with outlines.*项目 \(2\).*layer="):
        read_dxf_projects(tmp_path / "two.dxf", crs=CRS, project_type="building")
    prj = read_dxf_projects(tmp_path / "two.dxf", crs=CRS, project_type="building", layer="地块")
    assert len(prj) == 1 and prj["project_id"].isna().all()
    assert _repairs(prj, "dxf_no_id")[0].rows == [0]


def test_not_a_dxf_and_a_missing_file(tmp_path):
    bad = tmp_path / "bad.dxf"
    bad.write_text("not a drawing", encoding="utf-8")
    with pytest.raises(DataFileError, match="cannot be read as a DXF drawing"):
        read_dxf_lines(bad, crs=CRS)
    with pytest.raises(DataFileError, match="no such file"):
        read_dxf_projects(tmp_path / "nothing.dxf", crs=CRS, project_type="building")


def test_write_refuses_a_missing_folder(drawing, tmp_path):
    r = tp.review(
        read_dxf_projects(drawing, crs=CRS, project_type="building"),
        read_dxf_lines(drawing, crs=CRS),
        coverage=COVERAGE,
        absent=["green", "purple", "yellow"],
    )
    with pytest.raises(tp.OutputPathError, match="folder does not exist"):
        write_conflicts_dxf(r, tmp_path / "no" / "such" / "c.dxf")
    assert np.isfinite(r.conflicts["overlap_area_m2"]).all()


def test_block_references_are_expanded_and_layer_0_inherits(tmp_path):
    # A pond block (a 20 m × 10 m outline on layer 0) inserted twice on layer 蓝线, once scaled × 2:
    # 200 m² and 800 m², both blue lines (AutoCAD: block entities on layer 0 take the insert's layer).
    doc = ezdxf.new("R2010")
    doc.layers.add("蓝线")
    pond = doc.blocks.new("POND")
    pond.add_lwpolyline([(0, 0), (20, 0), (20, 10), (0, 10)], close=True)
    doc.modelspace().add_blockref("POND", P(0, 0), dxfattribs={"layer": "蓝线"})
    doc.modelspace().add_blockref(
        "POND", P(100, 0), dxfattribs={"layer": "蓝线", "xscale": 2, "yscale": 2}
    )
    doc.saveas(tmp_path / "blocks.dxf")
    lines = read_dxf_lines(tmp_path / "blocks.dxf", crs=CRS)
    assert lines["line_type"].tolist() == ["blue", "blue"]
    assert sorted(lines.area.round(6)) == [200.0, 800.0]
