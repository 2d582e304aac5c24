"""The bad-input battery: every way a planner's messy data could make townplan_gis lie, and its outcome.

Each case asserts its exact outcome: the exception class and what its message names (file, layer,
column, rows, the fix), or the repair recorded in ``town.repairs`` with feature counts in = out.
The CLI cases run ``townplan`` in a subprocess and assert exit code 2, a one-line message on stderr
and no traceback.

Sections, one per area: coordinates and CRS; review completeness and geometry; indicators and
ranking; files, schemas, rules, standards and ``town.toml``; outputs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import townplan_gis as tp


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m townplan_gis.cli`` with ``args`` in a subprocess, as a user would."""
    env = {**os.environ, "TOWNPLAN_PROGRESS": "0"}
    return subprocess.run(
        [sys.executable, "-m", "townplan_gis.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def assert_exit2(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit code 2, one line on stderr, no traceback, and every needle in that line; returns it."""
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], err[-2000:])
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def test_battery_helpers_see_a_missing_file(tmp_path):
    line = assert_exit2(run_cli("info", tmp_path / "missing.gpkg"), "missing.gpkg", "not found")
    assert line.startswith("townplan: error:")
    assert tp.TownPlanError  # the public base class every case below raises


# --- coordinates and CRS --------------------------------------------------------------------------


# --- review completeness and geometry -------------------------------------------------------------


# --- indicators and ranking -----------------------------------------------------------------------


# --- files, schemas, rules, standards and town.toml -----------------------------------------------


# --- outputs ----------------------------------------------------------------------------------------
# Hostile project ids and names (tests/output_helpers.py): formula-like texts, a control character,
# ids that clash once file-safe, a 300-character Chinese id, one id used twice. Each is written safely:
# nothing evaluated, nothing lost, every change recorded.


_OUTPUTS: dict = {}


def _outputs_review():
    """The hostile town and its review, built once (no test changes them)."""
    if not _OUTPUTS:
        from output_helpers import hostile_town

        town = hostile_town()
        _OUTPUTS["town"] = (town, town.review())
    return _OUTPUTS["town"]


def _sheet(path, title):
    import openpyxl

    ws = openpyxl.load_workbook(path)[title]
    return {
        (ws.cell(row=r, column=1).value, ws.cell(row=r, column=2).value): r
        for r in range(2, ws.max_row + 1)
    }, ws


def test_outputs_formula_id_is_a_string_cell_in_the_workbook(tmp_path):
    _, rv = _outputs_review()
    path = tp.to_excel(tmp_path / "w.xlsx", review=rv, lang="en")
    rows, ws = _sheet(path, "Projects")
    cell = ws.cell(row=next(r for (i, _), r in rows.items() if i == "=1+1"), column=1)
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+1", "s", True)


def test_outputs_hyperlink_name_is_a_string_cell_with_no_formula_in_the_file(tmp_path):
    import zipfile

    from output_helpers import HYPERLINK

    _, rv = _outputs_review()
    path = tp.to_excel(tmp_path / "w.xlsx", review=rv, lang="en")
    rows, ws = _sheet(path, "Projects")
    cell = ws.cell(row=next(r for (_, n), r in rows.items() if n == HYPERLINK), column=2)
    assert (cell.value, cell.data_type) == (HYPERLINK, "s")
    with zipfile.ZipFile(path) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not [x for x in sheets if "<f>" in x or "<f " in x]


def test_outputs_csv_cells_starting_a_formula_get_a_quote(tmp_path):
    import csv

    _, rv = _outputs_review()
    paths = rv.to_files(tmp_path / "r")
    with open(paths["projects.csv"], encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["project_id"] for r in rows][:2] == ["'=1+1", "'-5"]
    assert rows[0]["project_name"] == '\'=HYPERLINK("http://x","y")'
    assert rows[2]["project_id"] == "A/1" and rows[3]["project_id"] == "A_1"  # others as they are
    with open(paths["conflicts.csv"], encoding="utf-8-sig", newline="") as f:
        assert {r["project_id"] for r in csv.DictReader(f)} >= {"'=1+1"}
    assert rv.projects["project_id"].iloc[0] == "=1+1"  # the review itself is unchanged


def test_outputs_text_minus_5_is_escaped_the_number_minus_5_is_not(tmp_path):
    import csv

    import pandas as pd

    from townplan_gis.cli import _write_csv_bom

    df = pd.DataFrame({"key": ["-5", "gap"], "value": [-5, -5.5]})
    with open(_write_csv_bom(df, tmp_path / "x.csv"), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["key", "value"], ["'-5", "-5.0"], ["gap", "-5.5"]]
    assert df.loc[0, "key"] == "-5"


def test_outputs_control_character_removed_from_the_workbook_and_recorded(tmp_path, caplog):
    import logging

    _, rv = _outputs_review()
    with caplog.at_level(logging.WARNING):
        path = tp.to_excel(tmp_path / "w.xlsx", review=rv, lang="en")  # openpyxl raised before
    rows, _ = _sheet(path, "Projects")
    (ref,) = [f"B{r}" for (_, n), r in rows.items() if n == "泵站一号"]
    method = {r[0]: r[1] for r in _sheet(path, "Method")[1].iter_rows(values_only=True)}
    assert (
        f"removed U+0007 (Excel cannot store control characters): {ref}"
        in method["written copy: Projects · Project"]
    )
    assert any("U+0007" in r.getMessage() and ref in r.getMessage() for r in caplog.records)


def _outputs_opinions(tmp_path_factory):
    """The hostile review's opinions, written once (English)."""
    if "opinions" not in _OUTPUTS:
        from townplan_gis.report import write_opinions

        town, rv = _outputs_review()
        out = tmp_path_factory.mktemp("opinions")
        _OUTPUTS["opinions"] = (out, write_opinions(rv, out, town=town, lang="en"))
    return _OUTPUTS["opinions"]


def test_outputs_ids_that_clash_when_file_safe_get_three_files(tmp_path_factory):
    out, index = _outputs_opinions(tmp_path_factory)
    files = dict(zip(index["project_id"], index["file"], strict=False))
    trio = [files["A/1"], files["A_1"], files["A:1"]]
    assert len(set(trio)) == 3 and files["A_1"] == "A_1.html"
    for pid, name in zip(["A/1", "A_1", "A:1"], trio, strict=True):
        assert f"<td>{pid}</td>" in (out / name).read_text("utf-8")


def test_outputs_300_character_chinese_id_gets_a_short_file_name(tmp_path_factory):
    from output_helpers import LONG_ID

    out, index = _outputs_opinions(tmp_path_factory)
    assert len(LONG_ID) == 300 and len(LONG_ID.encode()) == 900
    (name,) = index.loc[index["project_id"] == LONG_ID, "file"]
    assert len(name.encode("utf-8")) <= 255 and (out / name).is_file()
    assert name.startswith(LONG_ID[:50])


def test_outputs_repeated_id_two_files_and_a_warning(tmp_path, caplog):
    import logging

    import pytest

    from townplan_gis.report import write_opinions

    town, rv = _outputs_review()
    with caplog.at_level(logging.WARNING):
        index = write_opinions(rv, tmp_path / "op", town=town, verdicts=["pass"])
    p7 = index[index["project_id"] == "P7"]
    assert len(p7) == 2 and p7["file"].nunique() == 2 and p7["n_same_id"].tolist() == [2, 2]
    assert all((tmp_path / "op" / f).is_file() for f in p7["file"])
    (msg,) = [r.getMessage() for r in caplog.records if "'P7'" in r.getMessage()]
    assert "used by 2 projects (rows [6, 7])" in msg and "own id" in msg
    with pytest.raises(tp.TownPlanError, match="position="):
        tp.project_opinion(rv, "P7")


def test_outputs_two_renders_give_identical_bytes(tmp_path):
    from output_helpers import hostile_town

    pages = [
        tp.save_map(
            tp.plan_map(hostile_town(), basemap="none"), tmp_path / f"{i}.html"
        ).read_bytes()
        for i in range(2)
    ]
    assert pages[0] == pages[1]


def test_outputs_cli_report_and_review_on_hostile_ids(tmp_path):
    import csv

    import openpyxl
    from output_helpers import PROJECTS, hostile_town

    town_path = tp.write_town(hostile_town(), tmp_path / "hostile.gpkg")
    out = tmp_path / "out"
    proc = run_cli(
        "report", town_path, "--out", out, "--standard", "none", "--basemap", "none",
        "--opinions", "all", "--lang", "en",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert "project_id 'P7' is used by 2 projects" in proc.stderr  # the warning reaches the user
    assert "U+0007" in proc.stderr
    opinions = sorted(p.name for p in (out / "opinions").iterdir())
    assert len(opinions) == len(PROJECTS) + 1 and "index.csv" in opinions
    assert max(len(n.encode()) for n in opinions) <= 255
    ws = openpyxl.load_workbook(out / "workbook.xlsx")["Projects"]
    ids = {
        ws.cell(row=r, column=1).value: ws.cell(row=r, column=1) for r in range(2, ws.max_row + 1)
    }
    assert ids["=1+1"].data_type == "s"
    # townplan review: exit 3 (a project is rejected), the CSV safe
    proc = run_cli("review", town_path, "--out", tmp_path / "rv")
    assert proc.returncode == 3 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    with open(tmp_path / "rv" / "projects.csv", encoding="utf-8-sig", newline="") as f:
        assert next(csv.DictReader(f))["project_id"] == "'=1+1"
