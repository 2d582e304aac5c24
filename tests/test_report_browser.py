"""The report and the opinion in a real browser: headless Chromium from file://, DNS blocked, no console
error, the embedded map drawn, nothing fetched from a network, A4 print without overflow.

Screenshots go to ``$TOWNPLAN_SCREENSHOTS`` when set (to look at them), else to the test's temp dir.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from browser_helpers import needs_chromium

import townplan_gis as tp

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser")
    town = tp.sample_town()
    review = tp.review(town.projects, town.control_lines, progress=False)
    report = tp.report(
        town, standard="ezhou-2017", review=review, path=out / "report.html", progress=False
    )
    tp.report(
        town,
        standard="weicheng-2017",
        review=review,
        path=out / "report_en.html",
        lang="en",
        progress=False,
    )
    pid = review.projects.loc[review.projects["verdict"] == "reject", "project_id"].iloc[0]
    opinion = tp.project_opinion(review, pid, town=town, path=out / "opinion.html")
    return {"report": report, "opinion": opinion, "dir": out}


def _open(browser, path: Path, *, width=1000, height=1400):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors, remote = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: remote.append(r.url) if not re.match(r"^(file|data|about):", r.url) else None,
    )
    page.goto(path.resolve().as_uri())
    return page, errors, remote


def _shot_dir(default: Path) -> Path:
    target = os.environ.get("TOWNPLAN_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        return Path(target)
    return default


def test_report_renders_offline_with_map(browser, files):
    page, errors, remote = _open(browser, files["report"])
    frame = page.frame_locator("iframe.map")
    # Leaflet drew the overlays inside the embedded offline map
    frame.locator(".leaflet-container").wait_for(timeout=15_000)
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=15_000)
    assert frame.locator("path.leaflet-interactive").count() > 50
    # the charts decoded and have a real size
    sizes = page.eval_on_selector_all(
        "img.chart", "els => els.map(e => [e.naturalWidth, e.naturalHeight])"
    )
    assert sizes and all(w > 300 and h > 100 for w, h in sizes)
    page.wait_for_timeout(500)
    shot = _shot_dir(files["dir"]) / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    page.locator("#map").screenshot(path=str(shot.with_name("report_map.png")))
    page.locator("#scorecard").screenshot(path=str(shot.with_name("report_scorecard.png")))
    assert shot.stat().st_size > 50_000
    assert errors == []
    assert remote == []
    page.close()


@pytest.mark.parametrize("name", ["report.html", "report_en.html"])
def test_report_prints_on_a4(browser, files, name):
    page, errors, _ = _open(
        browser, files["dir"] / name, width=718
    )  # A4 minus 12 mm margins at 96 dpi
    page.emulate_media(media="print")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"content {overflow}px wider than the printable A4 width"
    assert page.locator("nav.toc").is_hidden()
    pdf = page.pdf(format="A4", print_background=True)
    n_pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert n_pages >= 5  # summary, scorecard, charts/review, map, method on their own pages
    assert b"/MediaBox [0 0 594.95996 841.91998]" in pdf or b"595" in pdf
    (_shot_dir(files["dir"]) / name.replace(".html", ".pdf")).write_bytes(pdf)
    assert errors == []
    page.close()


def test_opinion_renders(browser, files):
    page, errors, remote = _open(browser, files["opinion"], width=900, height=1200)
    assert page.locator("#verdict").inner_text().startswith("审查结论")
    w = page.eval_on_selector("#map img", "e => e.naturalWidth")
    assert w > 200
    page.screenshot(path=str(_shot_dir(files["dir"]) / "opinion.png"), full_page=True)
    assert errors == [] and remote == []
    page.close()


def test_screenshots_can_be_kept(tmp_path, files):
    # the screenshots of this run are plain PNG files next to the report
    pngs = list(_shot_dir(files["dir"]).glob("*.png"))
    if not pngs:
        pytest.skip("browser tests did not run")
    shutil.copy(pngs[0], tmp_path / pngs[0].name)
    assert (tmp_path / pngs[0].name).read_bytes()[:4] == b"\x89PNG"
