"""The embedded sample data: 蒲州镇 (Puzhou) and, later, a multi-town county set.

The geometry is illustrative, modelled on the 2017 Puzhou programme (``docs/sources.md#puzhou-2017``); it is not
surveyed. The files live in the repository's ``layers/`` folder, built by ``layers/build_puzhou.py``;
wheels carry them as ``townplan_gis/_layers``.
"""

from __future__ import annotations

from pathlib import Path

from townplan_gis.core.errors import DataFileError

__all__ = ["sample_path", "sample_town", "sample_towns"]

# The package folder: wheels carry the samples as townplan_gis/_layers, a checkout has ../layers.
_HERE = Path(__file__).resolve().parents[1]


def sample_path(name: str = "puzhou.gpkg") -> Path:
    """Path of a bundled sample file or folder (``puzhou.gpkg``, ``weicheng`` …)."""
    for base in (_HERE / "_layers", _HERE.parent / "layers"):
        if (base / name).exists():
            return base / name
    raise DataFileError(
        f"sample '{name}' not found in {_HERE / '_layers'} or {_HERE.parent / 'layers'}. "
        f"Fix: reinstall townplan-gis, or run layers/build_puzhou.py in a source checkout."
    )


def sample_town(name: str = "puzhou.gpkg"):
    """The bundled sample town (default 蒲州镇, Puzhou), read with :func:`townplan_gis.read_town`."""
    from townplan_gis.io.files import read_town

    return read_town(sample_path(name))


# The six Weicheng towns (illustrative, layers/build_weicheng.py), in the district's own order.
_SETS = {
    "weicheng": (
        "weicheng.gpkg",
        "yaodian.gpkg",
        "zhengyang.gpkg",
        "dizhang.gpkg",
        "zhouling.gpkg",
        "beidu.gpkg",
    ),
}


def sample_towns(name: str = "weicheng") -> list:
    """A bundled multi-town set (``"weicheng"``: 渭城, 窑店, 正阳, 底张, 周陵, 北杜; illustrative geometry)."""
    if name not in _SETS:
        raise DataFileError(f"unknown sample set '{name}'. Known sets: {sorted(_SETS)}.")
    from townplan_gis.io.files import read_town

    folder = sample_path(name)
    return [read_town(folder / f) for f in _SETS[name]]
