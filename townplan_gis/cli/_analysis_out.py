"""What the analysis commands (``check-lines``, ``buildable``, ``find-sites``) share: the ``--out``
file (a GeoPackage, a workbook or a CSV, chosen by its suffix) and reading a layer or a town.

Not a command (no ``register``): a helper of :mod:`.check_lines`, :mod:`.buildable`,
:mod:`.find_sites`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.errors import OutputPathError
from townplan_gis.core.safe import safe_frame, strip_illegal
from townplan_gis.io.files import read_layer

__all__ = ["OUT_SUFFIXES", "out_file", "read_geo", "write_out"]

OUT_SUFFIXES = (".gpkg", ".xlsx", ".csv")


def out_file(out: str | None, *inputs: str | None) -> Path | None:
    """``--out`` as a path ending in .gpkg, .xlsx or .csv that is not one of the inputs."""
    if out is None:
        return None
    path = Path(out)
    suffix = path.suffix.casefold()
    if suffix not in OUT_SUFFIXES:
        raise OutputPathError(
            f"--out {out}: writes a GeoPackage (.gpkg, with the geometry), a workbook (.xlsx) or a "
            f"CSV (.csv, the main table); '{path.suffix or 'no suffix'}' is none of them. Fix: name "
            f"a file such as --out {path.with_suffix('.gpkg').name}."
        )
    if path.is_dir():
        raise OutputPathError(f"--out {out}: is a folder. Fix: name a file inside it.")
    for given in inputs:
        if given and Path(given).exists() and path.exists():
            if path.resolve() == Path(given).resolve():
                raise OutputPathError(
                    f"--out {out}: is the input {given}; writing there would destroy it. Fix: name "
                    f"another file, e.g. --out {path.stem}_out{path.suffix}."
                )
    return path


def read_geo(path: str, args: argparse.Namespace, what: str) -> gpd.GeoDataFrame:
    """One layer file (``--layer`` for a multi-layer source), ``--assume-crs`` applied when it has
    no CRS (and only then: a declared CRS is never overridden)."""
    frame, _ = read_layer(path, layer=getattr(args, "layer", None), encoding=args.encoding)
    frame.attrs["source"] = f"{what} {path}"
    if frame.crs is None and args.assume_crs:
        frame = frame.set_crs(args.assume_crs)
    return frame


def _cell(value: object) -> object:
    """A list, tuple, set or dict cell as text (``a, b``): files hold scalars only."""
    if isinstance(value, list | tuple | set | np.ndarray):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return value


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` without geometry columns, every object cell a scalar (a copy)."""
    geo = [c for c in df.columns if isinstance(df[c].dtype, gpd.array.GeometryDtype)]
    out = pd.DataFrame(df.drop(columns=geo))
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(_cell)
    return out


def _workbook_text(df: pd.DataFrame) -> pd.DataFrame:
    out = safe_frame(df)
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(lambda v: strip_illegal(v)[0] if isinstance(v, str) else v)
    return out


def write_out(
    path: Path,
    main: pd.DataFrame,
    *,
    layers: dict[str, gpd.GeoDataFrame],
    sheets: dict[str, pd.DataFrame],
) -> str:
    """Write the results to ``path`` by its suffix and say what was written.

    ``.gpkg``: each of ``layers`` by its active geometry (other geometry columns dropped: pass them
    as layers of their own), list cells as text. ``.xlsx``: every table of ``sheets``, one sheet
    each, formula-like texts escaped. ``.csv``: ``main`` only, UTF-8 with BOM
    (opens in Excel), formula-like texts escaped.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.casefold()
    if suffix == ".gpkg":
        if path.exists():
            path.unlink()  # a stale layer of an earlier run must not survive beside the new ones
        for name, frame in layers.items():
            attrs = _plain(frame)
            geoms = frame.geometry.array
            out = gpd.GeoDataFrame(attrs, geometry=np.asarray(geoms, dtype=object), crs=frame.crs)
            # GeoPackage layers hold one geometry type family: polygons as multipolygons.
            out.geometry = shapely.force_2d(out.geometry.array)
            out.to_file(path, layer=name, driver="GPKG", promote_to_multi=True)
        return f"{path} (layers {', '.join(layers)})"
    if suffix == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as xl:
            for name, table in sheets.items():
                _workbook_text(_plain(table)).to_excel(xl, sheet_name=name[:31], index=False)
        return f"{path} (sheets {', '.join(sheets)})"
    safe_frame(_plain(main)).to_csv(path, index=False, encoding="utf-8-sig")
    return f"{path} ({len(main)} rows)"
