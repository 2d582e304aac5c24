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
