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
        "达标评分",
        "指标",
        "冲突明细",
        "项目审查",
        "审查核对",
        "审查证据",
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
        "Indicators",
        "Conflicts",
        "Projects",
        "Checks",
        "Evidence",
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
    assert "standard ezhou-2017 (the default; --standard NAME|FILE chooses another" in text
    assert "scorecard ezhou-2017: pass" in text
    assert main(["report", str(tp.sample_path()), "--out", str(tmp_path / "b"), "--standard",
                 "weicheng-2017"]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "the default" not in text and "scorecard weicheng-2017: pass" in text
