"""``townplan programme TOWN``: the programme summary and the finance office's checks (投资汇总与核查)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from townplan_gis.cli.common import EXIT_OK, EXIT_REJECTED, add_input_options, load_town, out_folder
from townplan_gis.construction import programme
from townplan_gis.deliverables.programme import write_programme

#: A run whose checks found problems (a finding of level error, a town not accepted, a late
#: project, a growth target missed): 3, the code ``review`` gives a rejected project, so that 1
#: keeps meaning an internal error for every command.
EXIT_FINDINGS = EXIT_REJECTED


def print_files(files: dict[str, Path]) -> None:
    for key, path in files.items():
        print(f"  {key}: {path}")


def illustrative(town: Any) -> bool:
    return bool(getattr(town, "metadata", {}).get("illustrative", False))


def cmd_programme(args: argparse.Namespace) -> int:
    out = out_folder(args.out, args.path)
    town = load_town(args.path, args)
    p = programme(town, as_of=args.as_of)
    t = p.totals
    when = (
        f"as of {p.as_of:%Y-%m-%d}" if p.as_of is not None else "no --as-of: deadlines not checked"
    )
    print(
        f"{town.name}: {int(t['n_projects'])} projects, {t['investment_wan_yuan']:,.2f} 万元, "
        f"{int(t['n_completed'])} completed; {when}"
    )
    for r in p.by_item.itertuples(index=False):
        if isinstance(r.programme_item, str):
            print(
                f"  {r.programme_item}: declared {r.declared_total_wan_yuan:,.2f}, works "
                f"{r.works_total_wan_yuan:,.2f}, gap {r.gap_wan_yuan:,.2f} 万元 ({r.status})"
            )
    errors = p.findings[p.findings["level"] == "error"]
    for r in p.findings.itertuples(index=False):
        print(f"  {r.level}: {r.detail}")
    print(f"findings: {len(errors)} error(s), {len(p.findings) - len(errors)} warning(s)")
    print_files(write_programme(p, out, illustrative=illustrative(town), lang=args.lang))
    return EXIT_FINDINGS if len(errors) else EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "programme",
        help="the construction programme: investment by item, type, source, stage; finance checks",
        description="Sum a town's programme (its projects layer's investment, funding sources, "
        "stages, deadlines, completion) by programme item, project type, funding source and stage, "
        "and check it as a finance office does: items whose works do not add up to the declared "
        "total, projects without funding or short of it, projects past their deadline (as of "
        "--as-of, never today's date). Writes programme.html and programme.xlsx into --out.",
        epilog="Exit codes: 0 no finding of level error (warnings are listed); 3 the checks found "
        "an error (an item's gap, missing funding, a project overdue …); 2 bad input (file, "
        "date, programme columns); 1 internal error.",
    )
    p.add_argument("path", help="the town: a .gpkg or a folder of layer files, with projects")
    p.add_argument("--as-of", help="the date deadlines are checked against, e.g. 2017-11-06")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language (default zh)")
    p.add_argument(
        "--out", default="townplan_programme", help="output folder (default ./townplan_programme)"
    )
    add_input_options(p)
    p.set_defaults(func=cmd_programme)
