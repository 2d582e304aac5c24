"""``townplan programme | progress | acceptance | compare``: files written, exit 0 when the checks find
nothing, 3 when they find a problem, 2 (one line, no traceback) on bad input; and the before/after
map in a browser: two maps, moving together, nothing fetched from the network."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_bad_input import assert_exit2, run_cli

import townplan_gis as tp
from townplan_gis.cli import main

LAYERS = Path(__file__).resolve().parents[1] / "layers"
PUZHOU, PUZHOU_2016 = LAYERS / "puzhou.gpkg", LAYERS / "puzhou_2016.gpkg"
WEICHENG = LAYERS / "weicheng"


def test_programme_exit_3_on_the_commercial_street_gap(tmp_path, capsys):
    code = main(["programme", str(PUZHOU), "--as-of", "2017-11-06", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 3
    assert "商业街改造工程: declared 2,700.00, works 2,118.00, gap 582.00 万元" in out
    assert (tmp_path / "programme.html").exists() and (tmp_path / "programme.xlsx").exists()


def test_programme_exit_0_when_nothing_is_wrong(tmp_path, capsys):
    # 渭城镇's works add up, are funded and done by the inspection.
    code = main(
        [
            "programme",
            str(WEICHENG / "weicheng.gpkg"),
            "--as-of",
            "2017-12-15",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0, capsys.readouterr().out
    assert "findings: 0 error(s)" in capsys.readouterr().out


def test_progress_dates_from_the_files_or_given(tmp_path, capsys):
    town = tp.sample_town()
    earlier = town.projects.copy()
    earlier["completion_pct"] = (earlier["completion_pct"] - 10).clip(lower=0)
    week1 = town.with_layer("projects", earlier)
    week1.metadata["progress_reported"] = "2017-10-13"
    tp.write_town(week1, tmp_path / "week1.gpkg")
    code = main(
        ["progress", str(tmp_path / "week1.gpkg"), str(PUZHOU), "--out", str(tmp_path / "out")]
    )
    out = capsys.readouterr().out
    assert code == 3  # projects behind their schedule on 2017-10-20
    assert "2 report(s), latest 2017-10-20" in out
    assert "moved since the previous report: 26" in out
    assert (tmp_path / "out" / "weekly.html").exists()
    code = main(
        [
            "progress",
            str(PUZHOU),
            str(PUZHOU),
            "--dates",
            "2017-10-13,2017-10-20",
            "--out",
            str(tmp_path / "out2"),
        ]
    )
    assert code == 3 and "moved since the previous report: 0" in capsys.readouterr().out


def test_acceptance_exit_3_when_a_town_is_not_accepted(tmp_path, capsys):
    towns = sorted(str(p) for p in WEICHENG.glob("*.gpkg"))
    code = main(
        [
            "acceptance",
            *towns,
            "--standard",
            "weicheng-2017",
            "--fund-wan-yuan",
            "1200",
            "--as-of",
            "2017-12-15",
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 3
    assert "3 of 6 towns accepted" in out and "allocated 1,188.00 (score_share)" in out
    assert len(list((tmp_path / "records").glob("*.docx"))) == 6


def test_acceptance_exit_0_when_every_town_passes_and_matches(tmp_path, capsys):
    code = main(
        [
            "acceptance",
            str(WEICHENG / "weicheng.gpkg"),
            "--standard",
            "weicheng-2017",
            "--fund-wan-yuan",
            "1000",
            "--allocation",
            "equal",
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1. 渭城镇 score 100.0, subsidy 990.00 万元; matching met; accepted" in out


def test_compare_exit_3_when_the_growth_target_is_missed(tmp_path, capsys):
    code = main(
        [
            "compare",
            str(PUZHOU_2016),
            str(PUZHOU),
            "--standard",
            "weicheng-2017",
            "--no-atlas",
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 3
    assert "growth population_growth_pct: 3.10 % against 4.0: fail" in out
    assert "roads: +1 −0 ~2" in out
    assert {p.name for p in tmp_path.iterdir()} == {
        "compare_map.html",
        "compare.html",
        "compare.xlsx",
    }
    code = main(["compare", str(PUZHOU_2016), str(PUZHOU), "--no-atlas", "--out", str(tmp_path)])
    assert code == 0  # without a standard there is no target to miss


def test_help_names_the_exit_codes(capsys):
    for command in ("programme", "progress", "acceptance", "compare"):
        with pytest.raises(SystemExit) as exc:
            main([command, "--help"])
        assert exc.value.code == 0
        text = " ".join(capsys.readouterr().out.split())
        assert "Exit codes: 0" in text and "; 3 " in text and "2 bad input" in text, command


# --- bad input: exit 2, one line ------------------------------------------------------------------


def test_programme_bad_date_is_bad_input(tmp_path):
    proc = run_cli("programme", PUZHOU, "--as-of", "2017-13-45", "--out", tmp_path)
    assert_exit2(proc, "as_of '2017-13-45' is not a date")


def test_progress_snapshot_without_a_date_is_bad_input(tmp_path):
    proc = run_cli("progress", PUZHOU_2016, PUZHOU, "--out", tmp_path)
    assert_exit2(proc, "puzhou_2016.gpkg", "progress_reported", "--dates")
    proc = run_cli("progress", PUZHOU, PUZHOU, "--dates", "2017-10-13", "--out", tmp_path)
    assert_exit2(proc, "--dates gives 1 date(s) for 2 snapshot(s)")


def test_acceptance_unknown_allocation_is_bad_input(tmp_path):
    proc = run_cli(
        "acceptance",
        WEICHENG / "beidu.gpkg",
        "--standard",
        "weicheng-2017",
        "--fund-wan-yuan",
        "100",
        "--allocation",
        "scor_share",
        "--out",
        tmp_path,
    )
    assert_exit2(proc, "scor_share", "score_share")


def test_compare_swapped_vintages_is_bad_input(tmp_path):
    proc = run_cli("compare", PUZHOU, PUZHOU_2016, "--out", tmp_path)
    assert_exit2(proc, "swapped", "compare(older, newer)")


# --- the before/after map in a browser ------------------------------------------------------------


def test_compare_map_two_maps_move_together_offline(tmp_path):
    from browser_helpers import CHROMIUM, needs_chromium, playwright

    if needs_chromium.args[0]:
        pytest.skip("Debian chromium not installed")
    cmp = tp.compare(tp.sample_town("puzhou_2016.gpkg"), tp.sample_town())
    path = tp.write_comparison(cmp, tmp_path, atlas=False)["map"]
    requests, errors = [], []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        page = browser.new_page(viewport={"width": 1200, "height": 700})
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_function("window.townplanCompare !== undefined")
        assert page.locator(".leaflet-container").count() == 2
        assert page.locator("canvas").count() >= 2  # both maps drew their layers
        z = page.evaluate("townplanCompare.before.getZoom()")
        page.evaluate(
            "() => { townplanCompare.before.setZoom(townplanCompare.before.getZoom() + 1); }"
        )
        page.wait_for_timeout(300)
        assert page.evaluate("townplanCompare.after.getZoom()") == z + 1
        page.evaluate("() => { townplanCompare.after.panBy([200, 0], {animate: false}); }")
        centres = page.evaluate(
            "[townplanCompare.before.getCenter(), townplanCompare.after.getCenter()]"
            ".map(c => [c.lat, c.lng])"
        )
        assert centres[0] == pytest.approx(centres[1])
        browser.close()
    assert not errors
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
