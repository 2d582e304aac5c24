"""Build the tutorial notebooks from the cell sources below, without outputs.

The cells of each notebook live in ``notebooks/cells/nbNN_name.py`` (a list ``CELLS``); adding a
notebook is adding such a file. Run ``python notebooks/build_notebooks.py`` after editing; ``tests/test_notebooks.py`` checks the
committed ``.ipynb`` files equal what this script builds, and executes every one of them.
Each notebook writes its files under ``./outputs`` of the working directory.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_notebook

HERE = Path(__file__).resolve().parent


CELLS_DIR = HERE / "cells"


def _sources() -> dict[str, list]:
    """``{notebook file name: cells}`` from ``cells/nbNN_name.py``, one module per notebook (each
    defines ``CELLS``), in file-name order."""
    sys.path.insert(0, str(CELLS_DIR))
    try:
        out = {}
        for path in sorted(CELLS_DIR.glob("nb[0-9][0-9]_*.py")):
            module = importlib.import_module(path.stem)
            out[path.stem[2:] + ".ipynb"] = module.CELLS
        return out
    finally:
        sys.path.remove(str(CELLS_DIR))



NOTEBOOKS = _sources()


def build(name: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=NOTEBOOKS[name])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    # Stable cell ids keep the committed files byte-identical between builds.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{Path(name).stem[:2]}-{i:02d}"
    return nb


def text(name: str) -> str:
    return nbformat.writes(build(name)) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name in NOTEBOOKS:
        path = HERE / name
        new = text(name)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != new:
                stale.append(name)
        else:
            path.write_text(new, encoding="utf-8")
    if stale:
        print("out of date (run notebooks/build_notebooks.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
