"""A font with Chinese glyphs for matplotlib figures (charts, opinion maps, the print plan).

matplotlib keeps its font list in a cache file; when that cache was built before ``fonts-noto-cjk``
was installed, matplotlib does not know the font although it is on disk, and Chinese text turns into
boxes or, worse, a caller falls back to English (docs/engineering.md#fonts-documents). So the search
looks for the families by name in matplotlib's list, and when none is there it registers the font files
that fontconfig (``fc-list :lang=zh``) or matplotlib's own directory scan finds, then looks again. When
no such font exists at all, :func:`cjk_font` raises :class:`FontMissingError` naming the fix: a
Chinese document never silently comes out in English.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from functools import cache
from typing import Any

from townplan_gis.core.errors import TownPlanError

__all__ = ["CJK_FAMILIES", "FontMissingError", "cjk_font", "find_cjk_font", "font_family"]

log = logging.getLogger(__name__)

#: Families with Chinese glyphs, best first (simplified-Chinese faces before the other regions').
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "Noto Sans CJK",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "WenQuanYi",
    "Sarasa Gothic SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Noto Serif CJK SC",
    "Source Han Serif",
    "AR PL UMing",
    "AR PL UKai",
)

# File names of those families, for a directory scan when fontconfig is missing (Windows, macOS).
_FILE_HINT = re.compile(
    r"notosanscjk|notoserifcjk|notosanssc|sourcehan|wqy|wenquanyi|sarasa|msyh|simhei|pingfang|"
    r"hiragino|uming|ukai",
    re.IGNORECASE,
)

FIX = (
    "Fix: install a CJK font (Debian/Ubuntu: apt-get install fonts-noto-cjk; other systems: "
    "Noto Sans CJK SC or Source Han Sans from https://github.com/notofonts/noto-cjk), then run again."
)


class FontMissingError(TownPlanError):
    """No font with Chinese glyphs is installed, so a Chinese figure cannot be drawn."""


def _pick(names: set[str]) -> str | None:
    for family in CJK_FAMILIES:
        if family in names:
            return family
    for family in CJK_FAMILIES:
        for name in sorted(names):
            if name.startswith(family):
                return name
    return None


def _candidate_files() -> list[str]:
    """Font files with Chinese glyphs that the system knows, whatever matplotlib's cache says."""
    paths: list[str] = []
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            out = subprocess.run(
                [fc_list, ":lang=zh", "file"],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            ).stdout
            paths = [line.split(":")[0].strip() for line in out.splitlines() if line.strip()]
        except (OSError, subprocess.SubprocessError):
            paths = []
    if not paths:
        from matplotlib import font_manager

        paths = [p for p in font_manager.findSystemFonts() if _FILE_HINT.search(p)]
    # Sans faces first: they register the families the search prefers.
    return sorted(set(paths), key=lambda p: ("serif" in p.lower(), p))


def find_cjk_font(manager: Any = None) -> str | None:
    """Family name of an installed font with Chinese glyphs, registering it with matplotlib if needed.

    Parameters
    ----------
    manager : matplotlib.font_manager.FontManager, optional
        The font list to search and extend (default: matplotlib's global ``fontManager``, the one
        figures draw with).

    Returns
    -------
    str or None
        The first of :data:`CJK_FAMILIES` the font list has, after adding the font files fontconfig
        or a directory scan finds when the cached list has none; None when the system has none.
    """
    if manager is None:
        from matplotlib import font_manager

        manager = font_manager.fontManager
    found = _pick({f.name for f in manager.ttflist})
    if found:
        return found
    added = 0
    for path in _candidate_files():
        try:
            manager.addfont(path)
            added += 1
        except (OSError, RuntimeError, ValueError) as exc:
            log.debug("font %s not readable by matplotlib: %s", path, exc)
    found = _pick({f.name for f in manager.ttflist})
    if found:
        log.info("matplotlib's font cache predates %s; registered %d font file(s)", found, added)
    return found


@cache
def _global_font() -> str | None:
    return find_cjk_font()


def cjk_font(*, required: bool = True) -> str | None:
    """The font family to draw Chinese text with.

    Parameters
    ----------
    required : bool, default True
        Raise :class:`FontMissingError` when no CJK font exists (for a Chinese document); with
        ``False`` return None instead (an English figure that may still carry a Chinese name).

    Returns
    -------
    str or None
        A family name matplotlib knows, e.g. ``"Noto Sans CJK SC"``.
    """
    found = _global_font()
    if found is None:
        _global_font.cache_clear()  # installing the font later in the session then works
        if required:
            raise FontMissingError(
                "no font with Chinese glyphs is installed (looked for "
                f"{', '.join(CJK_FAMILIES[:7])} …, in matplotlib's font list and through "
                f"fontconfig), so Chinese text cannot be drawn. {FIX}"
            )
    return found


def font_family(lang: str = "zh") -> list[str]:
    """A matplotlib ``fontfamily`` list: the CJK font first (required for ``zh``), then DejaVu Sans
    for Latin text and symbols the CJK font lacks."""
    font = cjk_font(required=lang == "zh")
    return [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
