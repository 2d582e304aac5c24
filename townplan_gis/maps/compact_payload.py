"""The payload of a compact layer: the encoded geometry, each popup column as a dictionary of its
distinct display strings plus one small integer per feature, raw-deflated and base64-coded; and its
decoder (for tests and tools). See :mod:`townplan_gis.maps.compact`."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from townplan_gis.core.errors import TownPlanError
from townplan_gis.maps.compact_geometry import encode_geometry, varints
from townplan_gis.maps.layers import FieldSpec, display_frame

__all__ = ["Payload", "decode_payload", "display_columns", "encode_layer"]

_MAGIC = b"TPC1"


def _codes(n_values: int, codes: np.ndarray) -> tuple[bytes, int]:
    width = 1 if n_values <= 0xFF else 2 if n_values <= 0xFFFF else 4
    dtype = {1: "<u1", 2: "<u2", 4: "<u4"}[width]
    return np.asarray(codes).astype(dtype).tobytes(), width


def display_columns(
    rows: pd.DataFrame, fields: Sequence[FieldSpec], *, lang: str
) -> list[tuple[list[str | None], np.ndarray]]:
    """Dictionary-coded popup columns: ``display_frame`` applied to each column's distinct values.

    Formatting each distinct value once gives exactly the strings of
    :func:`townplan_gis.maps.layers.display_frame` (the same function formats them) at the cost of
    the distinct values only: a county's verdicts, grades, clauses and project types have a handful.

    Returns
    -------
    list of (table, codes)
        Per field: ``table[0]`` is ``None`` (missing), ``codes`` index ``table``, aligned to ``rows``.
    """
    out: list[tuple[list[str | None], np.ndarray]] = []
    for field in fields:
        column = field[0]
        if column not in rows:
            out.append(([None], np.zeros(len(rows), dtype=np.int64)))
            continue
        idx, uniques = pd.factorize(rows[column], use_na_sentinel=True)
        shown = display_frame(pd.DataFrame({column: uniques}), [field], lang=lang)[column]
        # Distinct raw values can show the same text (1.04 and 1.0 at one decimal): merge them.
        k2, table = pd.factorize(
            pd.Series(shown.to_numpy(object), dtype=object), use_na_sentinel=True
        )
        codes = np.where(idx < 0, 0, k2[np.maximum(idx, 0)] + 1 if len(k2) else 0)
        strings: list[str | None] = [None, *(str(t) for t in table)]
        out.append((strings, codes))
    return out


def _utf16_lengths(table: Sequence[str | None]) -> np.ndarray:
    """Length + 1 of each string in UTF-16 code units (0 for ``None``), vectorised.

    A code point above U+FFFF (rare CJK extension characters such as 𠀋) takes two units.
    """
    strings = [t for t in table if t is not None]
    n_chars = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    points = np.frombuffer("".join(strings).encode("utf-32-le"), dtype=np.uint32)
    wide = (points > 0xFFFF).astype(np.int64)
    starts = np.cumsum(n_chars) - n_chars
    extra = np.zeros(len(strings), dtype=np.int64)
    nonempty = n_chars > 0
    if wide.any() and nonempty.any():
        extra[nonempty] = np.add.reduceat(wide, starts[nonempty])
    out = np.zeros(len(table), dtype=np.uint64)
    present = np.array([t is not None for t in table], dtype=bool)
    out[present] = (n_chars + extra + 1).astype(np.uint64)
    return out


def encode_layer(
    geoms: gpd.GeoSeries,
    codes: np.ndarray,
    values: pd.DataFrame | list[tuple[list[str | None], np.ndarray]],
    *,
    precision: int = 6,
    gcj02: bool = False,
    layer: str = "layer",
    level: int = 4,
) -> Payload:
    """One compact layer payload: geometry, style classes and display columns, deflated, base64.

    Parameters
    ----------
    geoms : GeoSeries
        Non-empty geometries with a CRS (from :func:`display_geometries`).
    codes : numpy.ndarray of int
        Style class of each feature (from :func:`townplan_gis.maps.styles.classify`), aligned.
    values : DataFrame or list
        Display strings of the popup fields (from ``display_frame``), aligned, ``None`` where
        missing; or the same already dictionary-coded by :func:`display_columns`.
    precision : int, default 6
        Decimals of a degree kept.
    gcj02 : bool, default False
        Shift every vertex WGS84→GCJ-02 (Gaode/AMap basemaps).
    layer : str
        Layer name for error messages.
    level : int, default 4
        zlib compression level (4: within 1 % of level 9's size at an eighth of its time).

    Returns
    -------
    Payload
        ``text``: base64 of ``TPC1``, the header length (uint32 LE), the JSON header, then the sections,
        each aligned to 4 bytes; the whole raw-deflate compressed. Per popup column three
        sections: the codes (1, 2 or 4 bytes each), the varint lengths of its distinct strings in
        UTF-16 code units + 1 (0: missing), and their UTF-8 text, itself raw-deflated. ``bounds``: west, south, east,
        north of the display coordinates (``None`` without vertices); ``n``: features.
    """
    n_rows = (
        len(values)
        if isinstance(values, pd.DataFrame)
        else min((len(c) for _t, c in values), default=len(geoms))
    )
    if len(codes) != len(geoms) or n_rows != len(geoms):
        raise TownPlanError(
            f"map layer '{layer}': {len(geoms)} geometries but {len(codes)} style codes and "
            f"{n_rows} popup rows; they must be aligned."
        )
    header, sections = encode_geometry(geoms, precision=precision, gcj02=gcj02, layer=layer)
    names = ["npaths", "paths", "coords"]
    n_classes = int(np.max(codes)) + 1 if len(codes) else 1
    cls, width = _codes(n_classes, codes)
    sections.append(cls)
    if isinstance(values, pd.DataFrame):
        coded = []
        for column in values.columns:
            idx, uniques = pd.factorize(values[column].astype(object), use_na_sentinel=True)
            coded.append(([None, *(str(u) for u in uniques)], idx + 1))
    else:
        coded = values
    cols: list[dict[str, Any]] = []
    for table, column_codes in coded:
        # The distinct strings stay UTF-8 bytes in the page until a popup needs one: their lengths
        # in UTF-16 code units (JavaScript string units) + 1, 0 for missing, cut the decoded text.
        lengths = _utf16_lengths(table)
        # Deflated on its own: the page inflates a column's text only when a popup first needs it
        # (a county's reasons are megabytes that most sessions never read).
        z = zlib.compressobj(level, zlib.DEFLATED, -15)
        text = "".join(t for t in table if t is not None).encode("utf-8")
        text = z.compress(text) + z.flush()
        data, w = _codes(len(table), column_codes)
        cols.append({"n": len(table), "w": w})
        sections += [data, varints(lengths), text]
    offsets, blob, at = [], [], 0
    for sec in sections:
        offsets.append((at, len(sec)))
        blob.append(sec + b"\0" * (-len(sec) % 4))
        at += len(sec) + (-len(sec) % 4)
    header["sections"] = {name: list(offsets[i]) for i, name in enumerate(names)}
    header["sections"]["cls"] = [*offsets[3], width]
    for i, c in enumerate(cols):
        c["codes"], c["lens"], c["text"] = (list(offsets[4 + 3 * i + k]) for k in range(3))
    header["cols"] = cols
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    head += b" " * (-(8 + len(head)) % 4)  # sections start 4-byte aligned
    raw = _MAGIC + struct.pack("<I", len(head)) + head + b"".join(blob)
    z = zlib.compressobj(level, zlib.DEFLATED, -15)
    packed = z.compress(raw) + z.flush()
    return Payload(base64.b64encode(packed).decode("ascii"), header["bounds"], header["n"])


@dataclass(frozen=True)
class Payload:
    """A compact layer payload (base64 text), the bounds of its display coordinates, its size."""

    text: str
    bounds: list[float] | None
    n: int


def decode_payload(text: str | Payload) -> dict:
    """Decode a payload in Python (what the page does; for tests and inspection).

    Returns
    -------
    dict
        ``n``, ``npaths``, ``path_types``, ``path_vertices``, ``lonlat`` (float, degrees), ``cls``
        and ``columns`` (lists of display values, ``None`` where missing).
    """
    if isinstance(text, Payload):
        text = text.text
    raw = zlib.decompress(base64.b64decode(text), -15)
    if raw[:4] != _MAGIC:
        raise TownPlanError("not a townplan compact layer payload (TPC1).")
    (hlen,) = struct.unpack("<I", raw[4:8])
    h: dict[str, Any] = json.loads(raw[8 : 8 + hlen].decode("utf-8"))
    base = 8 + hlen

    def varints(name: str) -> list[int]:
        return varints_at(*h["sections"][name])

    def varints_at(off: int, ln: int) -> list[int]:
        out, v, shift = [], 0, 0
        for b in raw[base + off : base + off + ln]:
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                out.append(v)
                v, shift = 0, 0
        return out

    npaths = varints("npaths")
    heads = varints("paths")
    zz = varints("coords")
    deltas = [(v >> 1) ^ -(v & 1) for v in zz]
    lonlat, at, fx, fy = [], 0, 0, 0
    for hv in heads:
        n = hv // 4
        for k in range(n):
            dx, dy = deltas[at], deltas[at + 1]
            at += 2
            if k == 0:
                fx, fy = fx + dx, fy + dy
                x, y = fx, fy
            else:
                x, y = x + dx, y + dy
            lonlat.append(((h["ox"] + x) / h["scale"], (h["oy"] + y) / h["scale"]))
    off, ln, w = h["sections"]["cls"]
    dt = {1: "<u1", 2: "<u2", 4: "<u4"}
    cls = np.frombuffer(raw[base + off : base + off + ln], dtype=dt[w]).tolist()
    columns = []
    for c in h["cols"]:
        off, ln = c["codes"]
        codes = np.frombuffer(raw[base + off : base + off + ln], dtype=dt[c["w"]])
        off, ln = c["lens"]
        lengths = varints_at(off, ln)
        off, ln = c["text"]
        utf16 = zlib.decompress(raw[base + off : base + off + ln], -15).decode().encode("utf-16-le")
        table: list[str | None] = []
        at16 = 0
        for n16 in lengths:
            if n16 == 0:
                table.append(None)
                continue
            table.append(utf16[2 * at16 : 2 * (at16 + n16 - 1)].decode("utf-16-le"))
            at16 += n16 - 1
        columns.append([table[i] for i in codes])
    return {
        "n": h["n"],
        "npaths": npaths,
        "path_types": [hv % 4 for hv in heads],
        "path_vertices": [hv // 4 for hv in heads],
        "lonlat": np.array(lonlat, dtype=float).reshape(-1, 2),
        "cls": cls,
        "columns": columns,
    }
