"""``townplan acceptance TOWN1 TOWN2 …``: the December acceptance (验收) and the subsidies (以奖代补)."""

from __future__ import annotations

import argparse
from typing import Any

from townplan_gis.cli.common import EXIT_OK, add_input_options, load_town, number, out_folder
from townplan_gis.cli.programme import EXIT_FINDINGS, illustrative, print_files
from townplan_gis.construction import acceptance, load_programme_rules
from townplan_gis.deliverables.programme import write_acceptance


def cmd_acceptance(args: argparse.Namespace) -> int:
    out = out_folder(args.out, *args.towns)
    towns = [load_town(p, args) for p in args.towns]
    acc = acceptance(
        towns,
        args.standard,
        fund_wan_yuan=args.fund_wan_yuan,
        allocation=args.allocation,
        as_of=args.as_of,
        rules=args.rules,
    )
    c = acc.county
    print(
        f"{acc.standard}: {int(c['accepted'].sum())} of {len(c)} towns accepted; fund "
        f"{acc.fund['fund_wan_yuan']:,.2f} 万元, office {acc.fund['office_wan_yuan']:,.2f}, "
        f"allocated {acc.fund['allocated_wan_yuan']:,.2f} ({acc.allocation.name})"
    )
    for r in c.itertuples(index=False):
        state = "accepted" if r.accepted else f"NOT accepted: {r.reason}"
        met = (
            ""
            if r.subsidy_wan_yuan <= 0
            else ("; matching met" if r.matching_met else "; matching NOT met")
        )
        print(
            f"  {r.rank}. {r.town} score {r.score:.1f}, subsidy {r.subsidy_wan_yuan:,.2f} 万元{met}; {state}"
        )
    print_files(
        write_acceptance(
            acc,
            out,
            county=args.county or "",
            lang=args.lang,
            illustrative=any(illustrative(t) for t in towns),
        )
    )
    problems = (~c["accepted"]).any() or (c["matching_met"].fillna(True) == False).any()  # noqa: E712
    return EXIT_FINDINGS if problems else EXIT_OK


def register(sub: Any) -> None:
    rules = load_programme_rules()
    names = list(rules.allocations)
    p = sub.add_parser(
        "acceptance",
        help="accept (验收) the towns' works and share the subsidy fund (以奖代补)",
        description="Per town: projects completed and conforming to the plan (the five-line "
        "review), targets of --standard met, the acceptance result; the fund less the office's "
        "share shared by --allocation among accepted towns, the matching each must put up. Writes "
        "acceptance.html, acceptance.xlsx and records/<town>.html and .docx (验收记录) into --out.",
        epilog="Exit codes: 0 every town accepted and every subsidy matched; 3 a town not accepted "
        "or a subsidy not matched by the town's own funds; 2 bad input (files, standard, fund, "
        "allocation rule); 1 internal error.",
    )
    p.add_argument("towns", nargs="+", help="the towns: .gpkg files or folders")
    p.add_argument("--standard", required=True, help="standard name or TOML file (weicheng-2017)")
    p.add_argument(
        "--fund-wan-yuan",
        required=True,
        type=number(positive=False),
        help="the subsidy fund, 万元 (e.g. 2000)",
    )
    p.add_argument(
        "--allocation",
        help=f"allocation rule of the rule file: {', '.join(names)} "
        f"(default {rules.default_allocation})",
    )
    p.add_argument("--as-of", help="the inspection date, e.g. 2017-12-15")
    p.add_argument("--rules", help="a programme rule file (TOML) instead of the packaged one")
    p.add_argument("--county", help="the county's name for the titles")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language (default zh)")
    p.add_argument(
        "--out", default="townplan_acceptance", help="output folder (default ./townplan_acceptance)"
    )
    add_input_options(p)
    p.set_defaults(func=cmd_acceptance)
