"""The ``townplan`` command: a thin shell over :class:`townplan_gis.Pipeline`.

Exit codes: 0 success (for ``review``: no project rejected, and every project was fully checked); 2
bad input (a TownPlanError, a path that cannot be read or written, or a bad option: one line on
stderr, never a traceback); 3 ``review`` found at least one rejected project, ``check-lines`` a
patch graded conflict, ``find-sites`` no site; 4 ``review`` could not
check every project (a ``not_checked`` or ``invalid`` verdict and no reject: a script must not read
the run as clean); 1 an internal error (a bug: one line asking for a report; ``--debug`` prints the
traceback).

One module per command family: :mod:`.info`, :mod:`.maps` (``map``), :mod:`.review`, :mod:`.report`,
:mod:`.indicators` (``indicators``, ``assess``), :mod:`.programme`, :mod:`.progress`,
:mod:`.acceptance`, :mod:`.compare` (the construction programme: 3 when their checks find a
problem), :mod:`.demo`; :mod:`.common` holds what they share
(exit codes, printing tables, reading the town, checking ``--out``).

Adding a command
----------------
1. Write ``townplan_gis/cli/<name>.py`` with a function ``register(sub)`` that adds its parser(s) to
   the ``argparse`` subparsers ``sub`` and sets ``func`` to a function ``(args) -> exit code``::

       def cmd_check_lines(args): ...          # read with common.load_town, compute through a
                                               # Pipeline (or the package API), print, return EXIT_OK

       def register(sub):
           p = sub.add_parser("check-lines", help="...")
           p.add_argument("path", help="a .gpkg or a folder of layer files")
           common.add_input_options(p)         # --assume-crs, --encoding
           p.set_defaults(func=cmd_check_lines)

2. Add the module to the import and to :data:`COMMANDS` below (one line each); ``--help`` lists
   the commands in that order.
3. Raise a :class:`~townplan_gis.TownPlanError` for bad input (exit 2, one line); an ``OSError`` on a
   path the user named is bad input too; anything else is an internal error (exit 1). Warnings are
   held until the command ends and shown after a success only.
4. A step for ``townplan demo``: a function ``(job, out_dir) -> None`` in :data:`.demo.DEMO_STEPS`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
import warnings
from collections.abc import Sequence

from townplan_gis.cli import (
    acceptance,
    buildable,
    check_lines,
    compare,
    demo,
    find_sites,
    import_osm,
    indicators,
    info,
    maps,
    programme,
    progress,
    report,
    review,
)
from townplan_gis.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_INCOMPLETE,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_REJECTED,
)
from townplan_gis.core.errors import TownPlanError

__all__ = [
    "COMMANDS",
    "EXIT_BAD_INPUT",
    "EXIT_INCOMPLETE",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_REJECTED",
    "build_parser",
    "main",
]

# The command modules, in the order `townplan --help` lists their commands.
COMMANDS = [
    info,
    import_osm,
    maps,
    review,
    report,
    indicators,
    check_lines,
    buildable,
    find_sites,
    programme,
    progress,
    acceptance,
    compare,
    demo,
]


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors on one line (exit 2), like every other bad input."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="townplan",
        description="Small-town planning: indicators, scorecards, five-control-line review, offline maps.",
        epilog="Exit codes: 0 ok; 2 bad input; 3 review rejected a project, check-lines found a "
        "conflict, find-sites found no site, or the checks of programme, progress, acceptance or "
        "compare found a problem; 4 review could not check every project; 1 internal error.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log repairs and progress")
    parser.add_argument(
        "--debug", action="store_true", help="print the traceback of an error (for bug reports)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return parser


class _HeldWarnings(logging.Handler):
    """Holds warnings until the command ends: shown after a success, dropped after an error.

    A failing command prints one line (the error, which says what matters); GDAL's and the
    reader's warnings printed before it would bury that line.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def show(self) -> None:
        for record in self.records:
            print(self.format(record), file=sys.stderr)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    root = logging.getLogger()
    saved_level = root.level
    held = None
    if args.verbose or args.debug:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    else:
        held = _HeldWarnings()
        root.addHandler(held)
        root.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    try:
        with warnings.catch_warnings():
            # NaN/Inf coordinates make shapely warn while reading and repairing; the review refuses
            # them with its own one-line error naming the rows, so the warnings are only noise.
            warnings.filterwarnings(
                "ignore", message="invalid value encountered", category=RuntimeWarning
            )
            code = int(args.func(args) or 0)
    except TownPlanError as exc:
        return _fail(args, f"townplan: error: {_one_line(exc)}", EXIT_BAD_INPUT)
    except OSError as exc:  # a path the user named cannot be read or written
        where = f": {exc.filename}" if exc.filename else ""
        text = f"townplan: error: {_one_line(exc.strerror or exc)}{where}"
        return _fail(args, text, EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        print("townplan: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line by default, the traceback with --debug
        text = (
            f"townplan: internal error: {type(exc).__name__}: {_one_line(exc)} (please report; "
            f"run with --debug for the traceback)"
        )
        return _fail(args, text, EXIT_INTERNAL)
    finally:
        logging.captureWarnings(False)
        if held is not None:
            root.removeHandler(held)
            root.setLevel(saved_level)
    if held is not None:
        held.show()
    return code


def _fail(args: argparse.Namespace, text: str, code: int) -> int:
    if args.debug:
        traceback.print_exc()
    print(text, file=sys.stderr)
    return code
