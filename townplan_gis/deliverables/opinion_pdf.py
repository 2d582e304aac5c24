"""Review opinions as PDF: the HTML opinions printed by headless Chromium, offline.

Chromium takes about 2 s to start, so the opinions of a batch are printed together: up to
``CHUNK`` opinions go into one HTML document, each starting on a new page, Chromium prints it once
(``--print-to-pdf``), and Poppler's ``pdftotext`` / ``pdfseparate`` / ``pdfunite`` (Debian
``poppler-utils``) cut the result back into one PDF per opinion at the pages where each opinion's
document number (文号) stands. Without Poppler, or when two opinions of a chunk share a document
number, each opinion is printed on its own.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from townplan_gis.core.errors import TownPlanError

__all__ = ["CHUNK", "chromium", "html_to_pdf"]

CHUNK = 60
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S)
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def chromium() -> str:
    """The Chromium (or Chrome) executable: ``$TOWNPLAN_CHROMIUM``, else the first on ``PATH``."""
    given = os.environ.get("TOWNPLAN_CHROMIUM")
    found = given if given and Path(given).exists() else None
    found = found or next((p for p in map(shutil.which, _CANDIDATES) if p), None)
    if not found:
        raise TownPlanError(
            "PDF opinions need headless Chromium, and none was found (looked for "
            f"{', '.join(_CANDIDATES)} on PATH and $TOWNPLAN_CHROMIUM). Fix: install it (Debian: "
            "apt-get install chromium), set TOWNPLAN_CHROMIUM to its path, or write format='html' "
            "or 'docx'."
        )
    return found


def _print(html_file: Path, pdf_file: Path) -> None:
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
           "--disable-extensions", "--no-first-run", "--allow-file-access-from-files",
           f"--print-to-pdf={pdf_file}", html_file.as_uri()]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired as exc:
        raise TownPlanError(f"Chromium did not print {html_file.name} within 600 s.") from exc
    if not pdf_file.exists() or pdf_file.stat().st_size == 0:
        raise TownPlanError(
            f"Chromium did not print {html_file.name} (exit {proc.returncode}): "
            f"{(proc.stderr or '').strip()[-300:]}"
        )


def _combined(pages: Sequence[str]) -> str:
    """One HTML document of several opinion pages, each starting on a new page."""
    style = _STYLE.search(pages[0])
    bodies = []
    for i, page in enumerate(pages):
        body = _BODY.search(page)
        brk = ' style="break-before:page"' if i else ""
        bodies.append(f"<article{brk}>{body.group(1) if body else page}</article>")
    head = f"<style>{style.group(1)}</style>" if style else ""
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">{head}</head>'
            f'<body class="opinion">{"".join(bodies)}</body></html>')  # fmt: skip


def _split(pdf: Path, markers: Sequence[str], work: Path) -> list[bytes] | None:
    """Cut a printed chunk into one PDF per opinion at the page holding each marker (in order)."""
    found = [shutil.which(t) for t in ("pdftotext", "pdfseparate", "pdfunite")]
    if len(set(markers)) != len(markers):
        return None
    tools = [t for t in found if t]
    if len(tools) < 3:
        return None
    text = subprocess.run([tools[0], str(pdf), "-"], capture_output=True, check=True).stdout
    pages = text.decode("utf-8", "replace").split("\f")
    squash = [re.sub(r"\s+", "", p) for p in pages]
    starts, at = [], 0
    for m in markers:
        key = re.sub(r"\s+", "", m)
        while at < len(squash) and key not in squash[at]:
            at += 1
        if at == len(squash):
            return None
        starts.append(at)
        at += 1
    n_pages = len([p for p in pages if p.strip()]) or len(pages)
    subprocess.run([tools[1], str(pdf), str(work / "p-%d.pdf")], check=True, capture_output=True)
    out = []
    for i, first in enumerate(starts):
        last = (starts[i + 1] if i + 1 < len(starts) else n_pages) - 1
        files = [str(work / f"p-{k + 1}.pdf") for k in range(first, last + 1)]
        if len(files) == 1:
            out.append(Path(files[0]).read_bytes())
            continue
        one = work / f"op-{i}.pdf"
        subprocess.run([tools[2], *files, str(one)], check=True, capture_output=True)
        out.append(one.read_bytes())
    return out


def html_to_pdf(pages: Sequence[str], *, markers: Sequence[str] | None = None) -> list[bytes]:
    """Print HTML opinion pages to PDF, one PDF (bytes) per page, in order.

    Parameters
    ----------
    pages : sequence of str
        Self-contained HTML pages (images as ``data:`` URIs).
    markers : sequence of str, optional
        A text printed on the first page of each opinion and of no other (its document number):
        with it the pages are printed in chunks of ``CHUNK`` and cut apart; without it each page is
        printed alone.

    Raises
    ------
    TownPlanError
        No Chromium, or Chromium failed (its message quoted).
    """
    out: list[bytes] = []
    with tempfile.TemporaryDirectory(prefix="townplan_pdf_") as tmp:
        work = Path(tmp)
        if markers is None or len(pages) == 1:
            for i, page in enumerate(pages):
                src, dst = work / f"o{i}.html", work / f"o{i}.pdf"
                src.write_text(page, encoding="utf-8")
                _print(src, dst)
                out.append(dst.read_bytes())
            return out
        for start in range(0, len(pages), CHUNK):
            part, keys = pages[start : start + CHUNK], markers[start : start + CHUNK]
            sub = work / f"c{start}"
            sub.mkdir()
            src, dst = sub / "all.html", sub / "all.pdf"
            src.write_text(_combined(part), encoding="utf-8")
            _print(src, dst)
            split = _split(dst, keys, sub)
            out.extend(split if split is not None else html_to_pdf(part))
    return out
