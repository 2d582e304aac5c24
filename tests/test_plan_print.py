"""plan_figure: the print-ready plan sheet — title block, legend, scale bar, north arrow in the PDF's
text layer, labels without overlaps, extent = built-up area + margin at a round scale."""

from __future__ import annotations

import math
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from maps_helpers import CRS, X0, Y0, tiny_town
from matplotlib.text import Text
from shapely.geometry import Point

import townplan_gis as tp
from townplan_gis.cli import main
from townplan_gis.maps.print_block import wrap
from townplan_gis.maps.print_parts import (
    NICE_SCALES,
    crs_text,
    grid_convergence_deg,
    nice_scale,
    scale_bar_length,
)
from townplan_gis.maps.print_plan import map_extent

PDFTOTEXT = shutil.which("pdftotext")


@pytest.fixture(scope="module")
def puzhou():
    town = tp.sample_town()
    return town, tp.review(town)


@pytest.fixture(scope="module")
def sheet(puzhou, tmp_path_factory):
    town, review = puzhou
    out = tmp_path_factory.mktemp("plan") / "plan.pdf"
    fig = tp.plan_figure(town, review=review, paper="A3", out=out)
    return fig, out


def _axes(fig, label):
    return next(a for a in fig.axes if a.get_label() == label)


def _box(t, renderer):
    """A label's own box (no leader), at the figure's current dpi."""
    t.update_positions(renderer)
    return Text.get_window_extent(t, renderer)


def _pdf_text(path) -> str:
    if PDFTOTEXT is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    return subprocess.run(
        [PDFTOTEXT, "-raw", str(path), "-"], capture_output=True, text=True
    ).stdout


def test_pdf_text_layer_has_title_block_legend_scale_bar_and_north_arrow(sheet):
    fig, out = sheet
    assert out.read_bytes()[:5] == b"%PDF-"
    text = _pdf_text(out)
    flat = text.replace("\n", "")
    # title block
    assert "蒲州镇建设项目五线审查图" in text
    for key in ("镇（乡）", "比例尺", "坐标系", "数据来源", "审查结论", "编制日期"):
        assert key in text, key
    assert "山西省永济市蒲州镇" in text
    assert "1:7,500" in text and "EPSG:4546" in flat and "2000国家大地坐标系" in flat
    assert "示意数据，非测绘成果" in flat  # the sample is illustrative and the sheet says so
    assert "年" in text and "月" in text and "日" in text
    # legend: its title, layer names and classes
    for word in ("图例", "五线", "道路红线", "紫线 环境协调区", "项目审查结论", "需审批"):
        assert word in text, word
    # scale bar (0, middle, end with unit) and north arrow (raw order: the content stream)
    length, _n = scale_bar_length(fig.townplan["extent"][2] - fig.townplan["extent"][0])
    assert f"{length:g} m" in text and f"{length / 2:g}" in text
    assert "\nN\n" in text
    # labels: road names and project ids
    assert "西厢大街" in text and "P03" in text
    assert "位置索引图" in text


def test_labels_never_overlap_and_stay_in_the_frame(sheet):
    fig, _out = sheet
    renderer = fig.canvas.get_renderer()
    labels = fig.townplan["labels"]
    assert len(labels) >= 15
    texts = {t.get_text() for t in labels}
    assert {"西厢大街", "中山路", "P03", "P14"} <= texts
    boxes = [_box(t, renderer) for t in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    frame = _axes(fig, "map").get_window_extent(renderer)
    for b in boxes:
        assert frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1


def test_extent_is_builtup_plus_margin_at_the_smallest_round_scale(puzhou, sheet):
    town, _ = puzhou
    fig, _out = sheet
    info = fig.townplan
    builtup = town.layers["builtup"].total_bounds
    np.testing.assert_allclose(info["target"], builtup)
    w, h = builtup[2] - builtup[0], builtup[3] - builtup[1]
    margin = max(0.06 * max(w, h), 50.0)
    assert info["margin_m"] == pytest.approx(margin)
    ext = info["extent"]
    assert ext[0] <= builtup[0] - margin and ext[2] >= builtup[2] + margin
    assert ext[1] <= builtup[1] - margin and ext[3] >= builtup[3] + margin
    # centred on the built-up area
    assert (ext[0] + ext[2]) / 2 == pytest.approx((builtup[0] + builtup[2]) / 2)
    # the next larger round scale would not hold it: the frame is as tight as a round scale allows
    ax = _axes(fig, "map")
    frame_mm = ax.get_position().width * fig.get_figwidth() * 25.4
    assert (ext[2] - ext[0]) == pytest.approx(frame_mm * info["scale"] / 1000, rel=1e-6)
    smaller = NICE_SCALES[NICE_SCALES.index(info["scale"]) - 1]
    assert frame_mm * smaller / 1000 < w + 2 * margin
    assert ax.get_xlim() == pytest.approx((ext[0], ext[2]))


def test_map_extent_hand_computed():
    # 1,000 m square, frame 193 × 190 mm: margin 60 m, 1,120 m / 190 mm = 1:5,895 → 1:6,000.
    box, scale, margin = map_extent(np.array([0.0, 0.0, 1000.0, 1000.0]), (193.0, 190.0))
    assert margin == 60.0 and scale == 6000
    np.testing.assert_allclose(box, [500 - 579, 500 - 570, 500 + 579, 500 + 570])
    assert nice_scale((100.0, 100.0), (200.0, 200.0)) == 500
    assert scale_bar_length(1158.0) == (200.0, 4)
    assert scale_bar_length(2600.0) == (500.0, 5)


def test_projects_outside_the_frame_are_named_not_dropped(sheet):
    fig, out = sheet
    outside = fig.townplan["outside"]
    assert "P07-1" in outside and "P03" not in outside
    text = _pdf_text(out).replace("\n", "")
    assert "图外项目" in text and "P07-1" in text and "见索引图" in text


def test_crowded_labels_are_left_out_and_listed():
    town = tiny_town()
    pts = [Point(X0 + 400 + 3 * (i % 6), Y0 + 300 + 3 * (i // 6)) for i in range(30)]
    town.layers["projects"] = gpd.GeoDataFrame(
        {"project_id": [f"X{i:02d}" for i in range(30)], "name": ["p"] * 30}, geometry=pts, crs=CRS
    )
    fig = tp.plan_figure(town, paper="A4")
    info = fig.townplan
    dropped = [d for d in info["dropped"] if d.startswith("X")]
    placed = [t.get_text() for t in info["labels"] if t.get_text().startswith("X")]
    assert dropped and placed and len(dropped) + len(placed) == 30
    renderer = fig.canvas.get_renderer()
    boxes = [_box(t, renderer) for t in info["labels"]]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    block = " ".join(t.get_text() for t in _axes(fig, "title").texts)
    assert "未标注" in block and dropped[0] in block


def test_lamp_group_is_drawn_small(puzhou):
    town, review = puzhou
    fig = tp.plan_figure(town, review=review, labels=False, inset=False)
    ax = _axes(fig, "map")
    lamps = review.projects.loc[review.projects.project_id == "P09-3"].geometry.iloc[0]
    first = np.array([lamps.geoms[0].x, lamps.geoms[0].y])
    sizes = [
        c.get_sizes()[0]
        for c in ax.collections
        if hasattr(c, "get_sizes") and np.isclose(c.get_offsets(), first).all(axis=1).any()
    ]
    # pt²: dots of 3–4 pt (groupRadius of the lamp project and of its conflict overlaps, tree
    # crowns under them), not the 8.4 pt disc (70 pt²) of a single point project
    assert sizes and max(sizes) < 20


def test_north_arrow_follows_grid_convergence():
    crs = pyproj.CRS(CRS)  # CM 111°E
    on_cm = pyproj.Transformer.from_crs(4490, crs, always_xy=True).transform(111.0, 34.8)
    assert grid_convergence_deg(crs, *on_cm) == pytest.approx(0.0, abs=1e-3)
    west = pyproj.Transformer.from_crs(4490, crs, always_xy=True).transform(110.3, 34.8)
    # West of the central meridian true north lies east of grid north by (λ0 − λ)·sin φ.
    assert grid_convergence_deg(crs, *west) == pytest.approx(
        0.7 * math.sin(math.radians(34.8)), abs=0.01
    )


def test_english_sheet_portrait_png_and_svg(tmp_path):
    town = tiny_town()
    fig = tp.plan_figure(
        town, paper="A4", orientation="portrait", lang="en", out=tmp_path / "p.png"
    )
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    block = " ".join(t.get_text() for t in _axes(fig, "title").texts)
    assert "Scale" in block and "CRS" in block and "1:" in block
    tp.maps.save_plan_figure(fig, tmp_path / "p.svg")
    assert b"<svg" in (tmp_path / "p.svg").read_bytes()[:400]
    w, h = fig.get_size_inches() * 25.4
    assert (round(w), round(h)) == (210, 297)


def test_whole_township_extent_has_no_key_map():
    town = tiny_town()
    fig = tp.plan_figure(town, paper="A4", extent="town")
    assert "key" not in {a.get_label() for a in fig.axes}
    np.testing.assert_allclose(fig.townplan["target"], town.layers["boundary"].total_bounds)


def test_bad_options_are_refused(tmp_path):
    town = tiny_town()
    with pytest.raises(tp.TownPlanError, match="paper must be one of"):
        tp.plan_figure(town, paper="B5")
    with pytest.raises(tp.TownPlanError, match="orientation"):
        tp.plan_figure(town, orientation="sideways")
    del town.layers["builtup"]
    with pytest.raises(tp.MissingLayerError, match="extent='town'"):
        tp.plan_figure(town)
    fig = tp.plan_figure(town, extent="town", paper="A4")
    with pytest.raises(tp.TownPlanError, match=r"\.pdf, \.png, \.svg"):
        tp.maps.save_plan_figure(fig, tmp_path / "plan.docx")


def test_wrap_keeps_closing_punctuation_off_line_starts():
    lines = wrap("P01、P02、P06-1、P06-2", 10)
    assert all(not line.startswith("、") for line in lines)
    assert "".join(lines) == "P01、P02、P06-1、P06-2"
    # an id is never cut in two
    ids = [f"P07-{i}" for i in range(1, 9)]
    for width in range(12, 40):
        lines = wrap("、".join(ids), width)
        assert [p for line in lines for p in line.split("、") if p] == ids, width


def test_crs_text_in_chinese():
    assert crs_text(pyproj.CRS(4546)) == (
        "2000国家大地坐标系（CGCS2000），3度带高斯-克吕格投影，中央经线111°E（EPSG:4546）"
    )
    assert "zone" not in crs_text(pyproj.CRS(4525))


def test_cli_map_print(tmp_path, capsys):
    src = tmp_path / "tiny.gpkg"
    tp.write_town(tiny_town(), src)
    out = tmp_path / "plan.pdf"
    assert main(["map", str(src), "--print", "a4", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert out.read_bytes()[:5] == b"%PDF-" and "A4 landscape" in said and "1:" in said
    assert main(["map", str(src), "--print", "A4", "--out", str(tmp_path / "plan.docx")]) == 2
    assert ".pdf, .png, .svg" in capsys.readouterr().err
    assert main(["map", str(src), "--orientation", "portrait"]) == 2
    assert "--print" in capsys.readouterr().err
