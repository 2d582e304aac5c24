"""``townplan info PATH``: layers, feature counts, CRS and repairs of a town."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from townplan_gis.cli.common import EXIT_OK, add_input_options, load_town, print_frame
from townplan_gis.pipeline import Pipeline


def cmd_info(args: argparse.Namespace) -> int:
    town = load_town(args.path, args)
    epsg = town.crs.to_epsg() if town.crs is not None else None
    pop = "unknown" if town.population is None else f"{town.population:,.0f}"
    print(
        f"{town.name}  population {pop}  analysis CRS EPSG:{epsg} ({town.crs.name if town.crs else '-'})"
    )
    print_frame(town.summary())
    if town.statistics:
        print("\nreported statistics:")
        for k, v in town.statistics.items():
            print(f"  {k} = {v:g}")
    rep = town.repairs
    print(f"\nrepairs and changes ({len(rep)}):" if len(rep) else "\nno repairs")
    if len(rep):
        print_frame(rep[["layer", "action", "count", "detail"]])
    return EXIT_OK


def demo_step(job: Pipeline, out: Path) -> None:
    """The demo's first step: the sample town itself."""
    town = job.town
    print(f"== {town.name} (sample, illustrative geometry) ==")
    print(town)
    print_frame(town.summary()[["layer", "label_zh", "features", "geometry"]])


def register(sub: Any) -> None:
    p = sub.add_parser("info", help="layers, feature counts, CRS and repairs of a town")
    p.add_argument("path", help="a .gpkg or a folder of layer files")
    add_input_options(p)
    p.set_defaults(func=cmd_info)
