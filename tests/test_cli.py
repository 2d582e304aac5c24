"""The `townplan` command: info, demo from any directory, exit codes."""

import subprocess
import sys

import townplan_gis as tp
from townplan_gis.cli import EXIT_BAD_INPUT, main


def test_info_prints_layers_crs_and_repairs(capsys):
    assert main(["info", str(tp.sample_path())]) == 0
    out = capsys.readouterr().out
    assert "蒲州镇" in out and "EPSG:4546" in out
    assert "control_lines" in out and "make_valid" in out


def test_bad_input_exit_code_2(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing.gpkg")]) == EXIT_BAD_INPUT
    assert "file not found" in capsys.readouterr().err


def test_demo_runs_from_another_working_directory(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "townplan_gis.cli", "demo", "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "蒲州镇" in proc.stdout
    assert out.is_dir()


def test_assess_table_lists_every_status_with_zeros(capsys):
    card = tp.assess(tp.sample_town(), "ezhou-2017")
    assert main(["assess", str(tp.sample_path()), "--standard", "ezhou-2017"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    n = card["status"].value_counts()
    assert first.endswith(
        f": pass {n.get('pass', 0)}, fail {n.get('fail', 0)}, not_evaluable {n.get('not_evaluable', 0)}"
    )
    # the sample has every indicator of the Ezhou standard, so the zero count must still be shown
    assert first.endswith("not_evaluable 0")
