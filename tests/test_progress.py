"""The progress helper: per-call switch, package-wide option, environment variable, and its use in the
long operations (read_town, assess_many, review)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import townplan_gis as tp
from townplan_gis.core.progress import progress, progress_enabled


@pytest.fixture
def option_on():
    old = tp.options.progress
    tp.options.progress = True
    yield
    tp.options.progress = old


def test_switches(option_on):
    assert progress(range(3)).disable is False
    assert progress(range(3), progress=False).disable is True
    tp.options.progress = False
    assert progress(range(3)).disable is True
    assert progress(range(3), progress=True).disable is False
    assert progress_enabled(None) is False and progress_enabled(True) is True


def test_iterates_and_updates(option_on):
    assert list(progress(range(4), desc="x")) == [0, 1, 2, 3]
    with progress(total=5, desc="manual", progress=True) as bar:
        bar.update(5)
    assert bar.n == 5


def test_bar_is_written_to_stderr_only(capfd, option_on):
    for _ in progress(range(3), desc="visible-bar", delay=0, leave=True):
        pass
    out, err = capfd.readouterr()
    assert out == "" and "visible-bar" in err


def test_option_off_silences_long_operations(capfd, option_on):
    tp.options.progress = False
    town = tp.read_town(tp.sample_path())
    tp.review(town.projects, town.control_lines)
    tp.assess_many([town], "ezhou-2017")
    assert capfd.readouterr().err == ""


def test_long_operations_show_bars_when_forced(capfd, option_on, monkeypatch):
    monkeypatch.setattr(tp.options, "progress_delay_s", 0.0)
    town = tp.read_town(tp.sample_path(), progress=True)
    tp.review(town.projects, town.control_lines, progress=True)
    tp.assess_many([town], "ezhou-2017", progress=True)
    err = capfd.readouterr().err
    assert "read puzhou.gpkg" in err and "review" in err and "assess ezhou-2017" in err


def test_environment_variable():
    env = {**os.environ, "TOWNPLAN_PROGRESS": "0"}
    code = "import townplan_gis as tp; print(tp.options.progress)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "False"
