"""Self-contained HTML export: every script and stylesheet inlined from packaged files, no CDN.

folium pages load Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from public CDNs, and
plugins add their own links at render time; opened on an office intranet without internet such a page is
blank (``L is not defined``). :func:`save_map` renders the page, replaces each external ``<script src>``
and stylesheet ``<link>`` it recognises with the packaged file's text (Leaflet from ``xstatic-leaflet``,
jQuery from ``xstatic-jquery``, leaflet.fullscreen and leaflet-measure vendored under
``townplan_gis/maps/static/`` with their licences), turns the images those stylesheets reference into
``data:`` URIs, drops the assets only ``folium.Icon`` markers need (Bootstrap, Font Awesome,
awesome-markers), and refuses any external URL it does not recognise. Tile URLs stay: offline the
basemap is simply missing while every overlay still renders. Measured facts: ``docs/engineering.md#offline-maps``.

The page is reproducible: folium and branca name every element with a random 32-hex id (``map_3f9a…``),
so two renders of one map differed; :func:`render_html` replaces each with a counter in order of
appearance, and renders the same map twice to the same text (folium would add each layer's ``addTo``
line again on every render). The same map therefore gives the same bytes, run after run.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path

import folium
from branca.element import Element

from townplan_gis.core.errors import TownPlanError

__all__ = ["OfflineAssetError", "render_html", "save_map"]

log = logging.getLogger(__name__)


class OfflineAssetError(TownPlanError):
    """A page needs an external script or stylesheet that townplan_gis cannot inline."""


def _xstatic_dir(module: str) -> Path:
    try:
        mod = __import__(f"xstatic.pkg.{module}", fromlist=["BASE_DIR"])
    except ImportError as exc:
        raise OfflineAssetError(
            f"the Python package xstatic-{module} is needed to inline {module} offline. Fix: "
            f"pip install xstatic-{module}, or save with offline=False."
        ) from exc
    return Path(mod.BASE_DIR)


def _static_dir() -> Path:
    return Path(str(resources.files("townplan_gis.maps").joinpath("static")))


# (pattern on the URL, source) — source is ("xstatic", module, file) or ("static", relative path),
# or None for assets dropped because only folium.Icon markers use them.
_KNOWN: list[tuple[re.Pattern, tuple | None]] = [
    (re.compile(r"/leaflet(@[\d.]+)?/dist/leaflet\.js$"), ("xstatic", "leaflet", "leaflet.js")),
    (re.compile(r"/leaflet(@[\d.]+)?/dist/leaflet\.css$"), ("xstatic", "leaflet", "leaflet.css")),
    (re.compile(r"/jquery-3\.\d+\.\d+(\.min)?\.js$"), ("xstatic", "jquery", "jquery.min.js")),
    (
        re.compile(r"leaflet\.fullscreen@[\d.]+/Control\.FullScreen(\.min)?\.js$"),
        ("static", "leaflet.fullscreen/Control.FullScreen.js"),
    ),
    (
        re.compile(r"leaflet\.fullscreen@[\d.]+/Control\.FullScreen(\.min)?\.css$"),
        ("static", "leaflet.fullscreen/Control.FullScreen.css"),
    ),
    (
        re.compile(r"leaflet-measure@[\d.]+/dist/leaflet-measure(\.min)?\.js$"),
        ("static", "leaflet-measure/leaflet-measure.min.js"),
    ),
    (
        re.compile(r"leaflet-measure@[\d.]+/dist/leaflet-measure(\.min)?\.css$"),
        ("static", "leaflet-measure/leaflet-measure.css"),
    ),
    (re.compile(r"/bootstrap(@[\d.]+)?/dist/(js|css)/bootstrap(\.bundle)?\.min\.(js|css)$"), None),
    (re.compile(r"/bootstrap/3\.0\.0/css/bootstrap-glyphicons\.css$"), None),
    (re.compile(r"/fontawesome-free@[\d.]+/css/all\.min\.css$"), None),
    (re.compile(r"/Leaflet\.awesome-markers/[\d.]+/leaflet\.awesome-markers\.(js|css)$"), None),
    (re.compile(r"/folium/templates/leaflet\.awesome\.rotate\.min\.css$"), None),
]

_SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=[\"']([^\"']+)[\"'][^>]*>\s*</script>", re.I)
_LINK_HREF = re.compile(r"<link\b[^>]*\bhref=[\"']([^\"']+)[\"'][^>]*?/?>", re.I)
_CSS_URL = re.compile(r"url\(\s*['\"]?(?!data:|#)([^'\")]+?)['\"]?\s*\)")
_EXTERNAL = re.compile(r"^(https?:)?//", re.I)


def _source_path(source: tuple) -> Path:
    if source[0] == "xstatic":
        return _xstatic_dir(source[1]) / source[2]
    return _static_dir() / source[1]


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".svg":
        mime = "image/svg+xml"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@cache
def _inline_css(path: Path) -> str:
    css = path.read_text("utf-8")

    def repl(match: re.Match) -> str:
        ref = match.group(1).split("?")[0].split("#")[0]
        image = (path.parent / ref).resolve()
        if not image.is_file():
            raise OfflineAssetError(f"{path.name} references {ref!r}, not found beside it.")
        return f'url("{_data_uri(image)}")'

    return _CSS_URL.sub(repl, css)


@cache
def _inline_js(path: Path) -> str:
    # A literal "</script" inside inlined code would end the script element early.
    return path.read_text("utf-8").replace("</script", "<\\/script")


@cache
def _marker_fix() -> str:
    """Point Leaflet's default marker icon at data URIs (it otherwise derives a path from the CSS)."""
    images = _xstatic_dir("leaflet") / "images"
    uris = {
        n: _data_uri(images / f"{n}.png")
        for n in ("marker-icon", "marker-icon-2x", "marker-shadow")
    }
    return (
        "L.Icon.Default.imagePath = '';"
        f"L.Icon.Default.mergeOptions({{iconUrl: '{uris['marker-icon']}', "
        f"iconRetinaUrl: '{uris['marker-icon-2x']}', shadowUrl: '{uris['marker-shadow']}'}});"
    )


def _match(url: str) -> tuple[bool, tuple | None]:
    for pattern, source in _KNOWN:
        if pattern.search(url):
            return True, source
    return False, None


def _elements(root: Element) -> Iterator[Element]:
    """Every element reachable from ``root``: its children, and the elements held as attributes (a
    Figure's header, html and script parts, a Popup's html)."""
    stack, seen = [root], set()
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        stack.extend(getattr(e, "_children", {}).values())
        stack.extend(v for v in vars(e).values() if isinstance(v, Element))


# Element names are "<camelCase kind>_<32 hex>" (branca ``Element.get_name``).
_NAME_ID = re.compile(r"_([0-9a-f]{32})(?![0-9a-f])")


def _render(m: folium.Map | folium.Figure) -> str:
    """The page of ``m`` with stable element ids, leaving the map as it was.

    Rendering adds each layer's ``addTo`` script (and plugins their assets) to the figure's parts;
    they are restored afterwards, so a second render gives the same page. The random element ids are
    replaced by ``00…01``, ``00…02`` … in order of first appearance in the page, which is the same
    for the same map.
    """
    root = m.get_root()
    parts = [p for p in (getattr(root, n, None) for n in ("header", "html", "script")) if p]
    saved = [(p, dict(p._children)) for p in parts if isinstance(p, Element)]
    try:
        html = root.render()
        ids = {e._id for e in _elements(root) if isinstance(getattr(e, "_id", None), str)}
    finally:
        for part, children in saved:
            part._children.clear()
            part._children.update(children)
    stable: dict[str, str] = {}

    def rename(match: re.Match) -> str:
        old = match.group(1)
        if old not in ids:  # a 32-hex text in the data, not an element id
            return match.group(0)
        new = stable.setdefault(old, f"{len(stable) + 1:032x}")
        return "_" + new

    return _NAME_ID.sub(rename, html)


def render_html(m: folium.Map | folium.Figure, *, offline: bool = True) -> str:
    """The map's full HTML page; with ``offline`` every asset is inlined (see module docstring).

    The same map gives the same text, render after render (element ids are stable).
    """
    html = _render(m)
    if not offline:
        return html
    if "L.AwesomeMarkers" in html:
        raise OfflineAssetError(
            "the map uses folium.Icon markers, which need Font Awesome and awesome-markers; those are "
            "not packaged for offline use. Fix: use folium.CircleMarker or folium.DivIcon, or save "
            "with offline=False."
        )
    unknown: list[str] = []

    def inline(render):
        """A re.sub callback: keep local URLs, record unknown ones, else ``render(url, source)``."""

        def replace(match: re.Match) -> str:
            url = match.group(1)
            if not _EXTERNAL.search(url):
                return match.group(0)
            known, source = _match(url)
            if not known:
                unknown.append(url)
                return match.group(0)
            return render(url, source)

        return replace

    def script(url: str, source) -> str:
        if source is None or (source[1] == "jquery" and not uses_jquery):
            log.debug("offline export: dropped %s", url)
            return ""
        text = _inline_js(_source_path(source))
        fix = f"\n{_marker_fix()}" if source[2:] == ("leaflet.js",) else ""
        return f"<script>/* inlined from {url.rsplit('/', 1)[-1]} */\n{text}{fix}</script>"

    def link(url: str, source) -> str:
        if source is None:
            return ""
        return f"<style>/* inlined from {url.rsplit('/', 1)[-1]} */\n{_inline_css(_source_path(source))}</style>"

    # jQuery stays only when the page's own code calls it (folium.Popup, keep_in_front …).
    own_code = _SCRIPT_SRC.sub("", html)
    uses_jquery = bool(re.search(r"(\$\(|\bjQuery\b)", own_code))
    html = _SCRIPT_SRC.sub(inline(script), html)
    html = _LINK_HREF.sub(inline(link), html)
    leftover = [
        u for u in re.findall(r"@import\s+url\(['\"]?([^'\")]+)", html) if _EXTERNAL.search(u)
    ]
    unknown += leftover
    if unknown:
        raise OfflineAssetError(
            f"cannot make the map self-contained: it loads {sorted(set(unknown))}, which "
            f"townplan_gis does not package. Fix: remove the plugin or element that adds it, or save "
            f"with offline=False (the page then needs internet)."
        )
    return html


def save_map(m: folium.Map | folium.Figure, path: str | Path, *, offline: bool = True) -> Path:
    """Write a map as one HTML file.

    Parameters
    ----------
    m : folium.Map or folium.Figure
        The map, e.g. from :func:`townplan_gis.plan_map`.
    path : str or Path
        Output ``.html`` file; parent folders are created.
    offline : bool, default True
        Inline Leaflet, the plugins and their images so the file works from ``file://`` with no
        network (only basemap tiles are then missing). ``False`` keeps folium's CDN links.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OfflineAssetError
        With ``offline=True``, when the page loads an external asset that is not packaged.
    """
    path = Path(path)
    page = render_html(m, offline=offline)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    log.info("map written to %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path
