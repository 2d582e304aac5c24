"""``townplan demo``: the main job on the bundled sample town (蒲州镇), every product computed once.

One :class:`~townplan_gis.Pipeline` serves every step, so the town is reviewed once, its indicators
are computed once and each map is drawn once (tests/test_pipeline.py counts them). A capability adds
its step to :data:`DEMO_STEPS`: a function ``(job, out_dir) -> None`` that prints and writes.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from townplan_gis.cli import indicators, info, maps, report, review
from townplan_gis.cli.common import EXIT_OK, out_folder
from townplan_gis.io.sample import sample_town
from townplan_gis.pipeline import Pipeline

# The standard the demo scores the sample town against, named in its output.
DEMO_STANDARD = "ezhou-2017"

DEMO_STEPS: list[Callable[[Pipeline, Path], None]] = [
    info.demo_step,
    indicators.demo_step,
    maps.demo_step,
    review.demo_step,
    report.demo_step,
]


def demo_job() -> Pipeline:
    """The demo's job: the sample town, the demo standard, Chinese, OpenStreetMap basemap."""
    return Pipeline(sample_town(), standard=DEMO_STANDARD, lang="zh", basemap="osm")


def cmd_demo(args: argparse.Namespace) -> int:
    out = out_folder(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    job = demo_job()
    for step in DEMO_STEPS:
        step(job, out)
        print()
    print(f"outputs in {out}")
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="run the main job on the bundled sample town (蒲州镇)")
    p.add_argument(
        "--out", default="townplan_output", help="output folder (default: ./townplan_output)"
    )
    p.set_defaults(func=cmd_demo)
