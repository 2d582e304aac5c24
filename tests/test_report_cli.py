"""``townplan report`` and the demo's deliverables step."""

from __future__ import annotations

import openpyxl
import pytest

import townplan_gis as tp
from townplan_gis.cli import main


@pytest.fixture(scope="module")
def puzhou_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    code = main(["report", str(tp.sample_path()), "--out", str(out), "--opinions", "rejected"])
    return code, out


def test_report_command_writes_three_files(puzhou_files, capsys):
    code, out = puzhou_files
    assert code == 0
    for name in ("report.html", "workbook.xlsx", "map.html"):
        assert (out / name).stat().st_size > 1000, name
    page = (out / "report.html").read_text("utf-8")
    assert "ezhou-2017" in page and "蒲州镇" in page
    wb = openpyxl.load_workbook(out / "workbook.xlsx")
    assert wb.sheetnames == [
        "总表",
        "整改清单",
        "达标评分",
        "指标",
        "冲突明细",
        "项目审查",
        "审查核对",
        "审查证据",
        "控制线自检",
        "公园服务与生活圈",
        "说明",
    ]
    # the rejected Puzhou projects: P06-1, a farm-stay inside the Yellow River blue line, P13,
    # a warehouse (仓储用地 11) on the 110 kV corridor yellow line, and P15, a workshop (工业用地
    # 1001) 30 % on permanent basic farmland
    assert sorted(p.name for p in (out / "opinions").iterdir()) == [
        "P06-1.html",
        "P13.html",
        "P15.html",
        "index.csv",
    ]


def test_report_english_without_standard(tmp_path, capsys):
    code = main(
        [
            "report",
            str(tp.sample_path()),
            "--out",
            str(tmp_path),
            "--lang",
            "en",
            "--standard",
            "none",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "report:" in text and "workbook:" in text and "scorecard" not in text
    page = (tmp_path / "report.html").read_text("utf-8")
    assert "No standard was chosen" in page
    assert openpyxl.load_workbook(tmp_path / "workbook.xlsx").sheetnames == [
        "Summary",
        "Problems",
        "Indicators",
        "Conflicts",
        "Projects",
        "Checks",
        "Evidence",
        "Line self-check",
        "Park service coverage",
        "Method",
    ]


def test_report_bad_standard_is_bad_input(tmp_path, capsys):
    code = main(
        ["report", str(tp.sample_path()), "--out", str(tmp_path), "--standard", "nope-1999"]
    )
    assert code == 2
    assert "nope-1999" in capsys.readouterr().err


def test_demo_ends_with_deliverables(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "deliverables" in text and "scorecard ezhou-2017: pass" in text
    town = tp.sample_town()
    counts = tp.review(town.projects, town.control_lines, progress=False).verdict_counts()
    assert "review verdicts: " + ", ".join(f"{k} {v}" for k, v in counts.items()) in text
    for name in ("report.html", "workbook.xlsx", "map.html", "opinions/P06-1.html"):
        assert (tmp_path / name).exists(), name
        assert str(tmp_path / name) in text


def test_report_says_which_standard_it_used_by_default(tmp_path, capsys):
    assert main(["report", str(tp.sample_path()), "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    # Puzhou lies in Shanxi; no packaged standard is its own: Ezhou's (Hubei) is used, and said so
    assert "standard ezhou-2017: 未指定 --standard，且没有适用于山西省永济市的内置标准" in text
    assert "--standard NAME|FILE chooses another" in text
    assert "注意：本标准为湖北省鄂州市的地方标准，本镇位于山西省永济市" in text
    assert "scorecard ezhou-2017: pass" in text
    cover = (
        (tmp_path / "report.html").read_text("utf-8").split('id="cover"')[1].split("</section>")[0]
    )
    assert (
        "ezhou-2017" in cover and "适用于湖北省鄂州市" in cover and "本镇位于山西省永济市" in cover
    )
    assert main(["report", str(tp.sample_path()), "--out", str(tmp_path / "b"), "--standard",
                 "weicheng-2017"]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "未指定" not in text and "scorecard weicheng-2017: pass" in text
    # named, but still of another place: the note stays
    assert "本标准为陕西省咸阳市渭城区的地方标准" in text


def test_report_picks_the_towns_own_standard(tmp_path, capsys):
    # A Weicheng town scored without --standard gets Weicheng's standard, and the reason.
    town = tp.read_town(tp.sample_path())
    town = tp.Town(town.name, layers=dict(town.layers), population=town.population,
                   statistics=town.statistics, crs=town.crs,
                   metadata={**town.metadata, "province": "陕西省", "county": "渭城区"})  # fmt: skip
    from townplan_gis.cli.report import DEFAULT_STANDARD
    from townplan_gis.deliverables.cover import choose_standard

    name, reason = choose_standard(town, DEFAULT_STANDARD)
    assert name == "weicheng-2017" and "采用本地标准 weicheng-2017" in reason
    no_place = tp.Town(town.name, layers=dict(town.layers), crs=town.crs, metadata={})
    name, reason = choose_standard(no_place, DEFAULT_STANDARD)
    assert name == DEFAULT_STANDARD and "数据未注明所在地" in reason
