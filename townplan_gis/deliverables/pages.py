"""What every HTML deliverable shares: the Jinja2 templates, the print stylesheet, the version stamp
and writing a page to a file."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from townplan_gis._version import __version__

__all__ = ["css", "template", "version", "write_page"]


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
    """Write an HTML page as UTF-8, creating parent folders; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
