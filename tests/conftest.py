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
