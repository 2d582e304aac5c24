"""What every HTML deliverable shares: the Jinja2 templates, the print stylesheet, the version stamp
and writing a page to a file, as HTML or, printed by headless Chromium, as an A4 PDF."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from townplan_gis._version import __version__
from townplan_gis.core.errors import TownPlanError

__all__ = ["chromium", "css", "template", "version", "write_page", "write_pdf"]

# Browsers that print a page to PDF headless; TOWNPLAN_CHROMIUM names another.
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "msedge")


@cache
def _env() -> Any:
    import jinja2

    # Autoescape: every user string (a project name, a line name) is HTML-escaped in the pages.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("townplan_gis.deliverables", "templates"),
        autoescape=True,
        trim_blocks=False,
        undefined=jinja2.StrictUndefined,
    )


def template(name: str) -> Any:
    """The Jinja2 template ``templates/<name>`` (autoescaped; an undefined name is an error)."""
    return _env().get_template(name)


@cache
def css() -> str:
    """The print stylesheet shared by the report and the opinion (``templates/style.css``)."""
    return (
        resources.files("townplan_gis.deliverables")
        .joinpath("templates/style.css")
        .read_text("utf-8")
    )


def version() -> str:
    """The package version stamped on every page."""
    return __version__


def write_page(page: str, path: str | Path) -> Path:
    """Write an HTML page as UTF-8, creating parent folders; a path ending in ``.pdf`` gets the page
    printed on A4 (:func:`write_pdf`). Returns the path."""
    path = Path(path)
    if path.suffix.lower() == ".pdf":
        return write_pdf(page, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def chromium() -> str:
    """The browser that prints PDFs: ``TOWNPLAN_CHROMIUM``, else the first of chromium, Chrome, Edge
    on the PATH.

    Raises
    ------
    TownPlanError
        None found, with the fix.
    """
    given = os.environ.get("TOWNPLAN_CHROMIUM")
    if given:
        if not (shutil.which(given) or Path(given).is_file()):
            raise TownPlanError(
                f"TOWNPLAN_CHROMIUM is {given!r}, which is not a program. Fix: set it to the path "
                f"of chromium or Chrome, or unset it."
            )
        return shutil.which(given) or given
    for name in _BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise TownPlanError(
        "a PDF is printed by headless Chromium, and none was found (looked for "
        f"{', '.join(_BROWSERS)} on the PATH). Fix: install chromium (apt install chromium) or set "
        "TOWNPLAN_CHROMIUM to the browser's path; the HTML page prints to PDF from any browser too."
    )


def write_pdf(page: str, path: str | Path, *, timeout_s: float = 120.0) -> Path:
    """Print an HTML page to an A4 PDF with headless Chromium (the page's own print stylesheet:
    page breaks, repeated table headers, colours kept); no network is touched, the page is
    self-contained. Returns the path.

    Raises
    ------
    TownPlanError
        No browser (:func:`chromium`), or the browser failed or wrote no PDF (its message quoted).
    """
    browser = chromium()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="townplan_pdf_") as tmp:
        html = Path(tmp) / "page.html"
        html.write_text(page, encoding="utf-8")
        out = Path(tmp) / "page.pdf"
        args = [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-extensions",
            "--no-first-run", "--hide-scrollbars", "--no-pdf-header-footer",
            # the embedded map draws with script: give it time before printing
            "--run-all-compositor-stages-before-draw", "--virtual-time-budget=3000",
            f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={out}", html.as_uri(),
        ]  # fmt: skip
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise TownPlanError(
                f"{browser} took over {timeout_s:.0f} s printing {path.name}; the page may be too "
                f"large. Fix: fewer rows (max_rows=) or print the HTML from a browser."
            ) from None
        if not out.exists() or out.stat().st_size == 0:
            tail = (done.stderr or "").strip().splitlines()[-3:]
            raise TownPlanError(
                f"{browser} wrote no PDF for {path.name} (exit {done.returncode}: "
                f"{' / '.join(tail) or 'no message'}). Fix: check that it runs headless here, or "
                f"print the HTML page from a browser."
            )
        shutil.move(str(out), path)
    return path
