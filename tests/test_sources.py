"""Sources live in the repository: code and data cite ``docs/sources.md#…`` and ``docs/engineering.md#…``,
never a document a user of the repository cannot read, and every cited anchor exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import townplan_gis as tp

ROOT = Path(tp.__file__).parent.parent
SUFFIXES = {".py", ".toml", ".md", ".j2", ".css", ".js"}
# Phrases that point outside the repository: the design notes the package was written from.
OUTSIDE = re.compile(
    r"domain brief|tech[- ]notes|brief §|/work/shared|shared/(?:domain|tech-notes|style)\.md",
    re.IGNORECASE,
)
CITATION = re.compile(r"docs/(sources|engineering)\.md#([A-Za-z0-9_-]+)")


def _files() -> list[Path]:
    roots = [
        ROOT / "townplan_gis",
        ROOT / "layers",
        ROOT / "benchmarks",
        ROOT / "notebooks" / "cells",
    ]
    return sorted(
        p
        for root in roots
        if root.exists()
        for p in root.rglob("*")
        if p.is_file() and p.suffix in SUFFIXES and "__pycache__" not in p.parts
    )


def _anchors(doc: str) -> set[str]:
    """GitHub's anchors of a Markdown file's headings."""
    text = (ROOT / "docs" / f"{doc}.md").read_text(encoding="utf-8")
    out = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        out.add(slug)
    return out


def test_no_citation_of_a_document_outside_the_repository():
    found = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()[:90]}"
        for p in _files()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if OUTSIDE.search(line)
    ]
    assert not found, "\n".join(found)


def test_every_cited_anchor_exists():
    anchors = {doc: _anchors(doc) for doc in ("sources", "engineering")}
    missing = [
        f"{p.relative_to(ROOT)}: docs/{doc}.md#{anchor}"
        for p in _files()
        for doc, anchor in CITATION.findall(p.read_text(encoding="utf-8"))
        if anchor not in anchors[doc]
    ]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        ("Source: domain brief §3 [S].", True),
        ("(tech notes, 'Large maps')", True),
        ("Measured facts: shared/tech-notes.md.", True),
        ("Source: ``docs/sources.md#gb-50188-2007``.", False),
    ],
)
def test_the_outside_citation_check_can_fail(line, flagged):
    assert bool(OUTSIDE.search(line)) is flagged
