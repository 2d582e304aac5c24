"""The `townplan` command: info, demo from any directory, exit codes."""

import subprocess
import sys

import pytest

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


def test_internal_error_is_one_line_exit_1_and_debug_prints_the_traceback(monkeypatch, capsys):
    import townplan_gis.cli as cli
    from townplan_gis.cli import info

    def broken(args):
        raise KeyError("boom")

    monkeypatch.setattr(info, "cmd_info", broken)
    assert main(["info", "x.gpkg"]) == cli.EXIT_INTERNAL == 1
    err = capsys.readouterr().err
    assert err == (
        "townplan: internal error: KeyError: 'boom' (please report; run with --debug for the "
        "traceback)\n"
    )
    assert main(["--debug", "info", "x.gpkg"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "in broken" in err
    assert err.rstrip().splitlines()[-1].startswith("townplan: internal error: KeyError")


def test_usage_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["indicators", str(tp.sample_path()), "--coverage-distance", "-150"])
    assert exc.value.code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err == (
        "townplan indicators: error: argument --coverage-distance: '-150' must be a finite "
        "number > 0 (see townplan indicators --help)\n"
    )


def test_unwritable_out_is_bad_input_not_a_traceback(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    out = blocker / "sub"  # a folder inside a file cannot be made
    assert main(["review", str(tp.sample_path()), "--out", str(out)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert err == (
        f"townplan: error: --out {out}: {blocker} is a file, so no folder can be made inside it. "
        f"Fix: name a folder outside it."
    )


def test_os_errors_are_bad_input_on_one_line(monkeypatch, capsys):
    from townplan_gis.cli import info

    def locked(args):
        raise PermissionError(13, "Permission denied", "town.gpkg")

    monkeypatch.setattr(info, "cmd_info", locked)
    assert main(["info", "town.gpkg"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == "townplan: error: Permission denied: town.gpkg\n"


def _folder_with_an_ignored_file(tmp_path):
    import geopandas as gpd
    from shapely.geometry import LineString

    roads = gpd.GeoDataFrame(
        {"road_class": ["lane"]}, geometry=[LineString([(110.3, 34.8), (110.31, 34.8)])], crs=4490
    )
    roads.to_file(tmp_path / "roads.geojson")
    roads.to_file(tmp_path / "buildings.geojson")  # not a layer kind: a warning, and a repair
    return tmp_path


def test_warnings_shown_after_success_and_held_back_on_error(tmp_path, capsys):
    folder = _folder_with_an_ignored_file(tmp_path)
    assert main(["info", str(folder)]) == 0
    err = capsys.readouterr().err
    assert "WARNING" in err and "buildings.geojson" in err
    (folder / "town.toml").write_text("population = -1\n", encoding="utf-8")
    assert main(["info", str(folder)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("townplan: error: ")
    assert "population must be a finite number ≥ 0, got -1" in err


def test_help_lists_the_commands_in_order(capsys):
    from townplan_gis.cli import build_parser

    text = build_parser().format_help()
    assert (
        "{info,import-osm,map,review,report,indicators,assess,check-lines,buildable,find-sites,"
        "programme,progress,acceptance,compare,demo}" in text
    )


def test_a_new_command_is_a_module_with_register(monkeypatch, capsys):
    """What cli/__init__.py tells a contributor: a module with register(sub), listed in COMMANDS."""
    import types

    import townplan_gis.cli as cli

    def register(sub):
        p = sub.add_parser("hello", help="greet a town")
        p.add_argument("name")
        p.set_defaults(func=lambda args: print(f"hello {args.name}") or cli.EXIT_OK)

    hello = types.ModuleType("hello")
    hello.register = register
    monkeypatch.setattr(cli, "COMMANDS", [*cli.COMMANDS, hello])
    assert main(["hello", "蒲州镇"]) == 0
    assert capsys.readouterr().out == "hello 蒲州镇\n"
    with pytest.raises(SystemExit) as exc:  # its usage errors are one line, exit 2, like all
        main(["hello"])
    assert exc.value.code == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith("townplan hello: error: the following arguments")


def test_module_and_script_entry_points():
    proc = subprocess.run(
        [sys.executable, "-m", "townplan_gis.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("usage: townplan")
    from importlib.metadata import entry_points

    scripts = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert scripts.get("townplan") == "townplan_gis.cli:main"
