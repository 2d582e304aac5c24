"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright.

No browser download: Playwright's ``executable_path`` points at the system Chromium that `.ci/run`
installs (with ``fonts-noto-cjk``). ``--host-resolver-rules=MAP * ~NOTFOUND`` makes every DNS lookup
fail, so whatever renders came from the file itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--headless", "--host-resolver-rules=MAP * ~NOTFOUND"]
playwright = pytest.importorskip("playwright.sync_api")
#: ``pytestmark = needs_chromium`` in a browser test module.
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian chromium not installed"
)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module, DNS blocked."""
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
