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
