"""``townplan indicators PATH`` and ``townplan assess PATH... --standard NAME``: the indicators of a
town, its scorecard against a standard, several towns ranked."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from townplan_gis.cli.common import (
    EXIT_OK,
    add_input_options,
    load_town,
    number,
    print_frame,
    status_text,
)
from townplan_gis.pipeline import Pipeline
from townplan_gis.standards import assess_many, load_standard


def cmd_indicators(args: argparse.Namespace) -> int:
    job = Pipeline(
        load_town(args.path, args),
        indicator_options={"coverage_distance_m": args.coverage_distance},
    )
    df = job.indicators
    if args.format == "table":
        print(f"{job.town.name}: {len(df)} indicators")
        df = df[["key", "name_zh", "value", "unit", "note"]]
    print_frame(df, args.format)
    return EXIT_OK


def cmd_assess(args: argparse.Namespace) -> int:
    std = load_standard(args.standard)  # a bad standard is named before any town is read
    if len(args.paths) == 1:
        card = Pipeline(load_town(args.paths[0], args), standard=std).scorecard
        if args.format == "table":
            print(f"{std.name} ({std.title_zh}): {status_text(card)}")
            card = card[
                ["key", "name_zh", "value", "target", "comparator", "status", "gap", "unit"]
            ]
        print_frame(pd.DataFrame(card), args.format)
        return EXIT_OK
    towns = (load_town(p, args) for p in args.paths)
    ranked = assess_many(towns, std, progress=not args.no_progress)
    if args.format == "table":
        print(f"{std.name} ({std.title_zh}): {len(ranked)} towns ranked")
        print(ranked.attrs["rank_rule"])
    print_frame(ranked, args.format)
    return EXIT_OK


def demo_step(job: Pipeline, out: Path) -> None:
    """The demo's indicators and scorecard, printed and written as CSV for Excel."""
    card = job.scorecard
    name = card.attrs.get("standard", "")
    print(f"== indicators and the {name} scorecard (指标与考核) ==")
    print_frame(card[["key", "name_zh", "value", "target", "comparator", "status", "gap"]])
    print(f"scorecard {name}: {status_text(card)}")
    paths = job.write_tables(out)
    print("written: " + ", ".join(str(p) for p in paths))


def register(sub: Any) -> None:
    p = sub.add_parser("indicators", help="planning indicators of a town (路网密度, 绿化覆盖率 …)")
    p.add_argument("path", help="a .gpkg or a folder of layer files")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument(
        "--coverage-distance",
        type=number(positive=True),
        default=150.0,
        help="distance d of the tool-defined road coverage, m (default 150)",
    )
    add_input_options(p)
    p.set_defaults(func=cmd_indicators)

    p = sub.add_parser(
        "assess",
        help="scorecard of a town against a standard; several towns are ranked",
        epilog="Packaged standards: ezhou-2017, weicheng-2017, national-2016, gb50188-2007.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="one town, or several to rank")
    p.add_argument("--standard", required=True, help="packaged name or a .toml file")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--no-progress", action="store_true", help="no progress bar when ranking")
    add_input_options(p)
    p.set_defaults(func=cmd_assess)
