"""Fixtures shared by several test modules."""

from __future__ import annotations

import pytest
from browser_helpers import ARGS, CHROMIUM


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module, DNS blocked (see ``browser_helpers``)."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session", autouse=True)
def _compiled_kernels():
    """The accelerator's compiled kernels, loaded once for the session: every review in these
    tests measures with the accelerator whatever its size (a fresh process measures small reviews
    with the reference engine, townplan_gis.fiveline.engine.accelerates; tested in a subprocess)."""
    from townplan_gis.fiveline.fast import Fast

    Fast.load()
