"""Reading a DXF drawing with ezdxf: the layer table of ``data/dxf_layers.toml``, the text encoding
of old drawings, the drawing units, and the modelspace as rings, open lines and texts in metres.

Used by :mod:`townplan_gis.io.dxf` (:func:`~townplan_gis.io.dxf.read_dxf_lines`,
:func:`~townplan_gis.io.dxf.read_dxf_projects`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import ezdxf
import numpy as np
from ezdxf import path as dxfpath
from ezdxf.lldxf.encoding import decode_dxf_unicode

from townplan_gis.core.datafiles import check_keys, load_toml, load_toml_text
from townplan_gis.core.errors import DataFileError, EncodingError
from townplan_gis.core.repairs import Repair
from townplan_gis.core.schema import LINE_TYPES, ZONES

__all__ = ["LAYER_SOURCE", "Drawing", "layer_key", "load_layer_mapping", "read_drawing"]

LAYER_SOURCE = "townplan_gis/data/dxf_layers.toml"
# $INSUNITS → metres per drawing unit (AutoCAD DXF reference, header variable $INSUNITS).
_UNITS = {
    1: ("inches", 0.0254), 2: ("feet", 0.3048), 3: ("miles", 1609.344), 4: ("millimetres", 0.001),
    5: ("centimetres", 0.01), 6: ("metres", 1.0), 7: ("kilometres", 1000.0),
    8: ("microinches", 2.54e-8), 9: ("mils", 2.54e-5), 10: ("yards", 0.9144),
    13: ("microns", 1e-6), 14: ("decimetres", 0.1), 15: ("decametres", 10.0),
    16: ("hectometres", 100.0), 21: ("US survey feet", 1200 / 3937),
}  # fmt: skip
_CJK_CODEPAGES = ("ANSI_936", "ANSI_950", "ANSI_949", "ANSI_932")
_SEPARATORS = re.compile(r"[\s\-_.]+")
_CURVES = ("LINE", "LWPOLYLINE", "POLYLINE", "CIRCLE", "ARC", "ELLIPSE", "SPLINE")


@cache
def _packaged() -> dict[str, Any]:
    text = resources.files("townplan_gis.data").joinpath("dxf_layers.toml").read_text("utf-8")
    return load_toml_text(text, source=LAYER_SOURCE)


def layer_key(name: str) -> str:
    return _SEPARATORS.sub("", str(name)).casefold()


def load_layer_mapping(mapping: str | Path | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The layer table and geometry settings, a user's file or dict merged over the packaged one
    (the user's layer entries tried first)."""
    base = _packaged()
    if mapping is None:
        user: Mapping[str, Any] = {}
        source = LAYER_SOURCE
    else:
        user = mapping if isinstance(mapping, Mapping) else load_toml(mapping)
        source = "mapping={...}" if isinstance(mapping, Mapping) else str(mapping)
    check_keys(user, list(base), where="the top level", source=source)
    geometry = dict(base["geometry"])
    check_keys(user.get("geometry", {}), list(geometry), where="[geometry]", source=source)
    geometry.update(user.get("geometry", {}))
    for key, value in geometry.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise DataFileError(f"{source}: [geometry] {key} = {value!r} must be a number ≥ 0.")
    mine = user.get("layers", {})
    if not isinstance(mine, Mapping):
        raise DataFileError(f"{source}: [layers] must be a table of layer names.")
    # The user's entries first: an entry of theirs for a name decides over the packaged one.
    entries = [*mine.items(), *base["layers"].items()]
    table: dict[str, dict] = {}
    for name, entry in entries:
        where = f"{source}: [layers] {name!r}"
        if not isinstance(entry, Mapping):
            raise DataFileError(f'{where} must be a table such as {{ line_type = "red" }}.')
        if "ambiguous" in entry:
            check_keys(entry, ("ambiguous",), where=f"[layers] {name!r}", source=source)
        else:
            check_keys(
                entry, ("line_type", "zone", "source"), where=f"[layers] {name!r}", source=source
            )
            if entry.get("line_type") not in LINE_TYPES:
                raise DataFileError(
                    f"{where}: line_type {entry.get('line_type')!r} is not one of {list(LINE_TYPES)}."
                )
            if entry.get("zone") not in (None, *ZONES):
                raise DataFileError(
                    f"{where}: zone {entry.get('zone')!r} is not one of {list(ZONES)}."
                )
        table.setdefault(layer_key(name), dict(entry, name=name))
    return {"layers": table, "geometry": geometry, "source": source}


# --- reading the drawing ----------------------------------------------------------------------------
@dataclass
class Drawing:
    """What a DXF file holds, in metres: per entity its layer, rings or open lines, and texts."""

    path: Path
    repairs: list[Repair] = field(default_factory=list)
    rings: list[tuple[str, np.ndarray]] = field(default_factory=list)
    lines: list[tuple[str, np.ndarray]] = field(default_factory=list)
    texts: list[tuple[str, str, tuple[float, float]]] = field(default_factory=list)
    other: Counter = field(default_factory=Counter)
    layer_counts: Counter = field(default_factory=Counter)


def _declared_codec(raw: bytes) -> str | None:
    match = re.search(rb"\$DWGCODEPAGE\s*\r?\n\s*3\s*\r?\n\s*([^\r\n]+)", raw)
    return match.group(1).strip().decode("ascii", "replace").upper() if match else None


def _version(raw: bytes) -> str:
    match = re.search(rb"\$ACADVER\s*\r?\n\s*1\s*\r?\n\s*(AC\d+)", raw)
    return match.group(1).decode() if match else "AC1009"


def _encoding(path: Path, raw: bytes, forced: str | None) -> tuple[str | None, str]:
    """The codec to read an old (pre-R2007) DXF with, and a note on how it was chosen."""
    if forced:
        return forced, f"text decoded as {forced} (given)"
    if _version(raw) >= "AC1021" or not re.search(rb"[\x80-\xff]", raw):
        return None, ""
    declared = _declared_codec(raw) or "(none)"
    if declared in _CJK_CODEPAGES:
        return None, f"text decoded by its code page {declared}"
    # A Western code page over bytes that are Chinese: read them as what they are.
    for codec, what in (("utf-8", "UTF-8"), ("gb18030", "GBK/GB18030")):
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        wide = [c for c in text if ord(c) > 127]
        han = sum("\u3400" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" for c in wide)
        if wide and han >= 0.5 * len(wide):
            return codec, (
                f"$DWGCODEPAGE says {declared} but the text is {what} Chinese: decoded as {what}"
            )
    return None, f"text decoded by its code page {declared}"


def _units(doc: Any, path: Path) -> tuple[float, Repair | None]:
    code = int(doc.header.get("$INSUNITS", 0) or 0)
    if code == 6:
        return 1.0, None
    if code == 0:
        return 1.0, Repair(
            "dxf", "assumed_units", [],
            f"{path.name}: $INSUNITS = 0 (unitless): read as metres, the unit of planning "
            f"coordinates (CGCS2000 Gauss-Krüger); the coordinate check against the CRS would "
            f"refuse millimetres",
        )  # fmt: skip
    if code not in _UNITS:
        raise DataFileError(
            f"{path}: drawing units $INSUNITS = {code} cannot be converted to metres. Fix: set the "
            f"drawing's units (UNITS command) to metres or millimetres and save again."
        )
    name, factor = _UNITS[code]
    return factor, Repair(
        "dxf", "converted_units", [],
        f"{path.name}: drawing units {name} ($INSUNITS = {code}) converted to metres (× {factor:g})",
    )  # fmt: skip


def _text_point(e: Any) -> tuple[float, float]:
    if e.dxftype() in ("TEXT", "ATTRIB") and (e.dxf.get("halign", 0) or e.dxf.get("valign", 0)):
        p = e.dxf.get("align_point", e.dxf.insert)
    else:
        p = e.dxf.insert
    return float(p[0]), float(p[1])


def _plain(e: Any) -> str:
    text = e.plain_text()
    return " ".join(decode_dxf_unicode(str(text)).split())


def _entities(entities: Any, owner: str | None) -> Any:
    """Entities with block references expanded (nested ones too), each with the layer it inherits:
    an entity of a block drawn on layer 0 takes the layer of the block reference (AutoCAD's rule).
    Attributes (ATTRIB) of a reference keep their own layer."""
    for e in entities:
        layer = str(e.dxf.get("layer", "0"))
        inherited = owner if owner is not None and layer == "0" else None
        if e.dxftype() == "INSERT":
            yield from _entities(e.virtual_entities(), inherited or layer)
            for attrib in getattr(e, "attribs", []):
                yield attrib, None
        else:
            yield e, inherited


def read_drawing(
    path: str | Path, *, encoding: str | None = None, flatten_m: float = 0.01
) -> Drawing:
    """The modelspace of a DXF file (block references expanded), in metres.

    Raises
    ------
    DataFileError, EncodingError
        A missing file, a file ezdxf cannot read, units that cannot be converted, a forced
        encoding that does not decode the text.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(
            f"{path}: no such file. Fix: give the path of a .dxf drawing (DWG: save it as DXF in CAD)."
        )
    raw = path.read_bytes()
    codec, note = _encoding(path, raw, encoding)
    try:
        doc = (
            ezdxf.readfile(path, encoding=codec, errors="strict") if codec else ezdxf.readfile(path)
        )
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"{path}: text cannot be decoded as {codec} ({exc}). Fix: pass the drawing's encoding (encoding='gbk')."
        ) from exc
    except (ezdxf.DXFError, OSError) as exc:
        raise DataFileError(
            f"{path}: cannot be read as a DXF drawing ({exc}). Fix: open it in CAD and save it "
            f"again as DXF (AutoCAD 2010 DXF or later); DWG files must be saved as DXF first."
        ) from exc
    drawing = Drawing(path)
    if note:
        drawing.repairs.append(Repair("dxf", "encoding", [], f"{path.name}: {note}"))
    factor, rep = _units(doc, path)
    if rep is not None:
        drawing.repairs.append(rep)
    flatten = flatten_m / factor
    for e, owner in _entities(doc.modelspace(), None):
        kind = e.dxftype()
        layer = decode_dxf_unicode(owner or str(e.dxf.get("layer", "0")))
        drawing.layer_counts[layer] += 1
        if kind in ("TEXT", "MTEXT", "ATTRIB"):
            x, y = _text_point(e)
            drawing.texts.append((layer, _plain(e), (x * factor, y * factor)))
        elif kind in _CURVES or kind == "HATCH":
            paths = list(dxfpath.from_hatch(e)) if kind == "HATCH" else [dxfpath.make_path(e)]  # type: ignore[arg-type]
            for p in paths:
                pts = np.array([(v.x, v.y) for v in p.flattening(flatten)], dtype=float) * factor
                if len(pts) < 2:
                    continue
                closed = (
                    kind in ("CIRCLE", "HATCH")
                    or bool(p.is_closed)
                    or (len(pts) > 3 and np.allclose(pts[0], pts[-1]))
                )
                (drawing.rings if closed else drawing.lines).append((layer, pts))
        else:
            drawing.other[kind] += 1
    if drawing.other:
        shown = ", ".join(f"{k} {n}" for k, n in drawing.other.most_common())
        drawing.repairs.append(
            Repair(
                "dxf",
                "not_read",
                [],
                f"{path.name}: entity types not read (no outline or label): {shown}",
            )
        )
    return drawing
