"""``townplan compare BEFORE AFTER``: a town before and after (实施前后对比): map, tables, atlas."""

from __future__ import annotations

import argparse
from typing import Any

from townplan_gis.cli.common import EXIT_OK, add_input_options, load_town, out_folder
from townplan_gis.cli.programme import EXIT_FINDINGS, illustrative, print_files
from townplan_gis.construction import compare
from townplan_gis.deliverables.programme import write_comparison


def cmd_compare(args: argparse.Namespace) -> int:
    out = out_folder(args.out, args.before, args.after)
    before, after = load_town(args.before, args), load_town(args.after, args)
    cmp = compare(before, after, standard=args.standard)
    print(f"{cmp.before} → {cmp.after}")
    for r in cmp.layers.itertuples(index=False):
        if r.added or r.removed or r.changed:
            print(
                f"  {r.layer}: +{r.added} −{r.removed} ~{r.changed}; {r.measure} "
                f"{r.total_before:,.1f} → {r.total_after:,.1f} (added {r.added_measure:,.1f})"
            )
    for r in cmp.growth.itertuples(index=False):
        print(f"  growth {r.key}: {r.growth_pct:.2f} % against {r.target}: {r.status}")
    for note in cmp.notes:
        print(f"  note: {note}")
    files = write_comparison(
        cmp,
        out,
        lang=args.lang,
        atlas=not args.no_atlas,
        town=after.name,
        illustrative=illustrative(before) or illustrative(after),
    )
    print_files(files)
    missed = cmp.growth["status"].isin(["fail", "not_evaluable"]).any()
    return EXIT_FINDINGS if missed else EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "compare",
        help="a town before and after: features added/removed/changed, indicators, growth targets",
        description="Compare two vintages of a town (older first): the features added, removed "
        "and changed per layer, the indicator deltas and, with --standard, its growth targets "
        "(Weicheng: built-up population +4 %%). Writes compare_map.html (two synchronised offline "
        "maps), compare.html, compare.xlsx and atlas.html (one page per project) into --out.",
        epilog="Exit codes: 0 every growth target of --standard met (or no --standard); 3 a growth "
        "target missed or not measurable; 2 bad input (files, swapped vintages, different towns); "
        "1 internal error.",
    )
    p.add_argument("before", help="the older vintage: a .gpkg or a folder")
    p.add_argument("after", help="the newer vintage: a .gpkg or a folder")
    p.add_argument("--standard", help="standard whose growth targets are checked (weicheng-2017)")
    p.add_argument("--no-atlas", action="store_true", help="leave out the per-project atlas")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language (default zh)")
    p.add_argument(
        "--out", default="townplan_compare", help="output folder (default ./townplan_compare)"
    )
    add_input_options(p)
    p.set_defaults(func=cmd_compare)
