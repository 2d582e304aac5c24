"""``townplan progress SNAP1 SNAP2 …``: the weekly progress report (周报) from dated snapshots."""

from __future__ import annotations

import argparse
from typing import Any

from townplan_gis.cli.common import EXIT_OK, add_input_options, load_town, out_folder
from townplan_gis.cli.programme import EXIT_FINDINGS, illustrative, print_files
from townplan_gis.construction import parse_date, progress
from townplan_gis.core.errors import TownPlanError
from townplan_gis.deliverables.programme import write_progress

#: The town metadata key (town.toml ``[metadata]``) that dates a snapshot.
DATE_KEY = "progress_reported"


def _dates(args: argparse.Namespace, towns: list[Any]) -> list[Any]:
    if args.dates:
        given = [d.strip() for d in args.dates.split(",") if d.strip()]
        if len(given) != len(towns):
            raise TownPlanError(
                f"--dates gives {len(given)} date(s) for {len(towns)} snapshot(s). Fix: one date "
                f"per snapshot, in the order of the files, e.g. --dates 2017-10-13,2017-10-20."
            )
        return [parse_date(d, what="--dates entry") for d in given]
    out = []
    for path, town in zip(args.snapshots, towns, strict=True):
        value = town.metadata.get(DATE_KEY)
        if value is None:
            raise TownPlanError(
                f"{path}: no report date: the town's metadata has no '{DATE_KEY}'. Fix: add "
                f'{DATE_KEY} = "2017-10-20" to its [metadata], or pass --dates D1,D2,…'
            )
        out.append(parse_date(value, what=f"{path}: metadata {DATE_KEY}"))
    return out


def cmd_progress(args: argparse.Namespace) -> int:
    out = out_folder(args.out, *args.snapshots)
    towns = [load_town(p, args) for p in args.snapshots]
    dates = _dates(args, towns)
    pr = progress(list(zip(dates, towns, strict=True)))
    rep = pr.report(args.date)
    s = rep["summary"].iloc[0]
    print(
        f"{pr.town}: {len(pr.dates)} report(s), latest {pr.dates[-1]:%Y-%m-%d}; "
        f"{int(s['n_completed'])}/{int(s['n_projects'])} completed, investment completed "
        f"{s['completed_investment_wan_yuan']:,.2f} of {s['investment_wan_yuan']:,.2f} 万元"
    )
    print(f"moved since the previous report: {len(rep['moved'])}; late: {len(rep['late'])}")
    for r in rep["late"].itertuples(index=False):
        print(f"  {r.why}: {r.project_id} {r.name}")
    print_files(
        write_progress(
            pr,
            out,
            date=args.date,
            lang=args.lang,
            illustrative=any(illustrative(t) for t in towns),
        )
    )
    return EXIT_FINDINGS if len(rep["late"]) else EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "progress",
        help="the weekly progress report (周报) from dated snapshots of a town's projects",
        description="Follow a town's projects (by 项目编号) over snapshots reported on different "
        f"dates: what moved, what is late, investment completed. Each snapshot's date is its "
        f"town metadata's {DATE_KEY}, or --dates. Writes weekly.html and weekly.xlsx into --out.",
        epilog="Exit codes: 0 no project late on the report date; 3 a project is overdue or behind "
        "its schedule; 2 bad input (a snapshot without a date, snapshots of different towns, "
        "projects without ids); 1 internal error.",
    )
    p.add_argument("snapshots", nargs="+", help="the snapshots: .gpkg files or folders")
    p.add_argument("--dates", help="the snapshots' dates in order, comma-separated")
    p.add_argument("--date", help="the report's date (default the latest snapshot)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language (default zh)")
    p.add_argument(
        "--out", default="townplan_progress", help="output folder (default ./townplan_progress)"
    )
    add_input_options(p)
    p.set_defaults(func=cmd_progress)
