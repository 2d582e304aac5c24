"""CLI: ``townplan indicators`` and ``townplan assess``, and the demo's scorecard step."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import townplan_gis as tp
from townplan_gis.cli import EXIT_BAD_INPUT, EXIT_OK, main
from townplan_gis.cli.demo import DEMO_STEPS, demo_job
from townplan_gis.cli.indicators import demo_step as demo_indicators


@pytest.fixture(scope="module")
def weicheng_paths():
    folder = tp.sample_path("weicheng")
    return [str(folder / f) for f in ("weicheng.gpkg", "beidu.gpkg", "zhouling.gpkg")]


def test_indicators_formats(capsys, weicheng_paths):
    assert main(["indicators", weicheng_paths[0]]) == EXIT_OK
    out = capsys.readouterr().out
    assert "渭城镇" in out and "road_network_density_km_per_km2" in out and "路网密度" in out
    assert main(["indicators", weicheng_paths[0], "--format", "json"]) == EXIT_OK
    records = json.loads(capsys.readouterr().out)
    keys = {r["key"]: r for r in records}
    assert set(keys["road_coverage_pct"]) == {
        "key",
        "name_zh",
        "name_en",
        "value",
        "unit",
        "definition",
        "note",
    }
    assert main(["indicators", weicheng_paths[0], "--format", "csv"]) == EXIT_OK
    assert capsys.readouterr().out.startswith("key,name_zh,name_en,value,unit,definition,note")


def test_indicators_coverage_distance_option(capsys, weicheng_paths):
    main(["indicators", weicheng_paths[1], "--format", "json", "--coverage-distance", "20"])
    near = {r["key"]: r["value"] for r in json.loads(capsys.readouterr().out)}
    main(["indicators", weicheng_paths[1], "--format", "json"])
    far = {r["key"]: r["value"] for r in json.loads(capsys.readouterr().out)}
    assert near["road_coverage_pct"] < far["road_coverage_pct"]


def test_assess_one_town_and_ranking(capsys, weicheng_paths):
    assert main(["assess", weicheng_paths[0], "--standard", "weicheng-2017"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "weicheng-2017" in out and "pass" in out
    code = main(
        [
            "assess",
            *weicheng_paths,
            "--standard",
            "weicheng-2017",
            "--format",
            "csv",
            "--no-progress",
        ]
    )
    assert code == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("town,rank,score,relative_gap_sum,tie_break,n_pass")
    # The table states the ranking rule under its title.
    assert main(["assess", *weicheng_paths, "--standard", "weicheng-2017", "--no-progress"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[1].startswith("rank: higher score first; equal scores: smaller relative_gap_sum")
    assert "relative_gap_sum" in table[2] and "tie_break" in table[2]
    assert [line.split(",")[0] for line in lines[1:]] == ["渭城镇", "周陵镇", "北杜镇"]


def test_assess_user_file_and_bad_standard(capsys, tmp_path, weicheng_paths):
    std = tmp_path / "mine.toml"
    std.write_text(
        '[standard]\nname = "mine"\n[[targets]]\nkey = "park_count"\ncomparator = ">="\n'
        'threshold = 1\nunit = "count"\nsource = "me"\n',
        encoding="utf-8",
    )
    assert main(["assess", weicheng_paths[0], "--standard", str(std), "--format", "json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card[0]["key"] == "park_count" and card[0]["status"] == "pass"
    assert main(["assess", weicheng_paths[0], "--standard", "nowhere-2017"]) == EXIT_BAD_INPUT
    assert "unknown standard" in capsys.readouterr().err
    std.write_text('[standard]\nname = "bad"\n[[targets]]\nkey = "park_count"\n', encoding="utf-8")
    assert main(["assess", weicheng_paths[0], "--standard", str(std)]) == EXIT_BAD_INPUT
    assert "target #1 (key 'park_count')" in capsys.readouterr().err


def test_demo_step_prints_scorecard_and_writes_bom_csv(capsys, tmp_path):
    assert demo_indicators in DEMO_STEPS
    demo_indicators(demo_job(), tmp_path)
    out = capsys.readouterr().out
    assert "scorecard ezhou-2017" in out
    for name in ("indicators.csv", "scorecard.csv"):
        raw = (tmp_path / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name
    card = pd.read_csv(tmp_path / "scorecard.csv", encoding="utf-8-sig")
    assert {"key", "status", "target", "gap", "source"} <= set(card.columns)
    assert set(card["status"]) <= {"pass", "fail", "not_evaluable"}
    assert "路网密度" in (tmp_path / "indicators.csv").read_text(encoding="utf-8-sig")
