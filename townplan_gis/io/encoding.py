"""Text encodings of shapefiles from Chinese CAD/GIS desktops: GBK without a ``.cpg``, a ``.cpg`` that
contradicts the bytes, field names cut mid-character. GDAL decodes such files as ISO-8859-1
*silently* (docs/engineering.md#file-formats); :func:`detect_encoding` and :func:`read_shapefile`
read the raw bytes and decode them strictly instead, and say what they used.
"""

from __future__ import annotations

import codecs
import logging
from pathlib import Path
from typing import Any

import geopandas as gpd

from townplan_gis.core.errors import EncodingError
from townplan_gis.io.vector import read_vector

__all__ = ["detect_encoding", "read_shapefile"]

log = logging.getLogger(__name__)

# .cpg spellings → Python codecs. GB2312 and GBK files are decoded with GB18030, their superset.
_CPG = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "65001": "utf-8",
    "gbk": "gb18030",
    "936": "gb18030",
    "cp936": "gb18030",
    "ansi 936": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "54936": "gb18030",
    "big5": "big5",
    "950": "big5",
    "iso-8859-1": "latin-1",
    "latin1": "latin-1",
    "1252": "cp1252",
    "ansi 1252": "cp1252",
}


def _codec(name: str) -> str | None:
    """The Python codec for an encoding name (.cpg spelling or codec name), or None if unknown.

    GBK and GB2312 map to GB18030, their superset, so a rare character outside GB2312 still decodes.
    """
    key = name.strip().casefold()
    if key in _CPG:
        return _CPG[key]
    try:
        codec = codecs.lookup(key).name
    except LookupError:
        return None
    return "gb18030" if codec in ("gbk", "gb2312") else codec


def detect_encoding(raw: list[bytes], *, declared: str | None = None) -> str:
    """The first encoding that decodes every byte string strictly.

    Tries the declared one (from a ``.cpg``), then UTF-8, then GB18030 (which covers GBK and GB2312).
    Strict UTF-8 rarely accepts GBK text by accident: Chinese GBK byte pairs are not valid UTF-8
    sequences.
    """
    candidates = [c for c in (declared, "utf-8", "gb18030") if c]
    for enc in dict.fromkeys(candidates):
        try:
            for b in raw:
                b.decode(enc, errors="strict")
        except UnicodeDecodeError:
            continue
        return enc
    raise EncodingError(
        f"text is neither {' nor '.join(dict.fromkeys(candidates))}. Fix: pass the file's "
        f"encoding with encoding='big5' (CLI --encoding big5) or the one the data was saved in, or "
        f"save the file as UTF-8."
    )


# A DBF field name holds at most 10 bytes: GDAL and ArcGIS cut a UTF-8 Chinese name inside a
# character (道路等级 → 9 bytes of 道路等 plus one byte of 级). Such a name is read without its cut
# character instead of failing the whole file.
def _decode_name(raw: bytes, enc: str) -> tuple[str, bool]:
    """A field name decoded strictly; ``(name, True)`` when a cut UTF-8 character was dropped."""
    try:
        return raw.decode(enc), False
    except UnicodeDecodeError as exc:
        if enc == "utf-8" and exc.reason == "unexpected end of data" and exc.start > 0:
            return raw[: exc.start].decode(enc), True
        raise


def _decodes(names: list[bytes], values: list[bytes], enc: str) -> bool:
    try:
        for b in names:
            _decode_name(b, enc)
        for b in values:
            b.decode(enc)
    except UnicodeDecodeError:
        return False
    return True


def _is_han(ch: str) -> bool:
    """CJK ideographs, CJK punctuation and full-width forms: what Chinese planning text is made of."""
    return (
        ("\u3000" <= ch <= "\u303f") or ("\u3400" <= ch <= "\u9fff") or ("\uff00" <= ch <= "\uffef")
    )


def _looks_utf8_chinese(names: list[bytes], values: list[bytes]) -> tuple[bool, int]:
    """Whether the bytes are valid UTF-8 and read as Chinese text; and its count of CJK characters.

    GBK bytes are seldom valid UTF-8, and when a few are (路 in GBK is the UTF-8 of '·'), the
    UTF-8 reading is Latin punctuation, not Chinese: so a UTF-8 reading made of CJK characters is
    evidence the bytes are UTF-8, whatever the .cpg says.
    """
    try:
        text = "".join(_decode_name(b, "utf-8")[0] for b in names)
        text += "".join(b.decode("utf-8") for b in values)
    except UnicodeDecodeError:
        return False, 0
    wide = [ch for ch in text if ord(ch) > 127]
    han = sum(_is_han(ch) for ch in wide)
    return bool(wide) and han >= 0.5 * len(wide), han


# Fewer CJK characters than this in a file whose .cpg names a GB encoding but whose bytes also read
# as UTF-8 Chinese cannot be told apart: the file is refused with both readings shown.
_UTF8_EVIDENCE_CHARS = 3


def _choose_encoding(
    path: Path, names: list[bytes], values: list[bytes], cpg: str | None
) -> tuple[str, str | None]:
    """The encoding of a shapefile's text, and a note when the .cpg is wrong or was ignored."""
    declared = _codec(cpg) if cpg else None
    unknown_cpg = f"the .cpg '{cpg}' names no known encoding and was ignored" if cpg else None
    if declared is None:
        return _detect(path, names, values, None), unknown_cpg
    if declared != "utf-8":
        plausible, han = _looks_utf8_chinese(names, values)
        if plausible:
            if han < _UTF8_EVIDENCE_CHARS:
                sample = next(b for b in names + values if any(x > 127 for x in b))
                raise EncodingError(
                    f"{path}: the .cpg says {cpg} but the text is also valid UTF-8, and there is "
                    f"too little of it to tell which is right: {sample!r} reads as "
                    f"'{sample.decode(declared, errors='replace')}' in {cpg} and "
                    f"'{sample.decode('utf-8', errors='replace')}' in UTF-8. Fix: pass the right "
                    f"one with encoding='gbk' or encoding='utf-8' (CLI --encoding), or correct the "
                    f".cpg file."
                )
            return "utf-8", (
                f"the .cpg is wrong: it says {cpg}, but the text is UTF-8 (every string is valid "
                f"UTF-8 and reads as Chinese; read as {cpg} it would be mojibake); read as UTF-8"
            )
    if _decodes(names, values, declared):
        return declared, None
    enc = _detect(path, names, values, None)
    return enc, f"the .cpg is wrong: the text is not {cpg}; read as {enc}"


def _detect(path: Path, names: list[bytes], values: list[bytes], declared: str | None) -> str:
    for enc in dict.fromkeys(c for c in (declared, "utf-8", "gb18030") if c):
        if _decodes(names, values, enc):
            return enc
    raise EncodingError(
        f"{path}: the text is neither UTF-8 nor GBK/GB18030. Fix: pass the file's encoding with "
        f"encoding='big5' (CLI --encoding big5) or the one it was saved in, or save it as UTF-8."
    )


def _text_columns(gdf: gpd.GeoDataFrame) -> list:
    return [
        c
        for c in gdf.columns
        if c != gdf.geometry.name
        and (gdf[c].dtype.kind in "OSU" or str(gdf[c].dtype) in ("string", "str"))
    ]


def _first_undecodable(
    gdf: gpd.GeoDataFrame, text_cols: list, enc: str, shown: str
) -> tuple[str, bytes]:
    """Where the text first fails to decode with ``enc``: ("field name …" / "column …, row …", bytes).

    Names are shown decoded with ``shown`` (the encoding the text really is in, when known).
    """
    for c in gdf.columns:
        if c == gdf.geometry.name:
            continue
        raw = str(c).encode("latin-1")
        try:
            _decode_name(raw, enc)
        except UnicodeDecodeError:
            return f"field name '{raw.decode(shown, errors='replace')}'", raw
    for c in text_cols:
        for row, v in gdf[c].items():
            if isinstance(v, str):
                raw = v.encode("latin-1")
                try:
                    raw.decode(enc)
                except UnicodeDecodeError:
                    name = str(c).encode("latin-1").decode(shown, errors="replace")
                    return f"column '{name}', row {row}", raw
    return "the text", b""


def read_shapefile(
    path: Path, *, encoding: str | None, **kwargs: Any
) -> tuple[gpd.GeoDataFrame, dict]:
    cpg_path = path.with_suffix(".cpg")
    cpg = cpg_path.read_text(errors="replace").strip() if cpg_path.exists() else None
    # Latin-1 maps every byte to one code point, so the raw bytes can be recovered exactly and
    # decoded here: strictly, with an error naming the column and row, never as silent mojibake.
    gdf = read_vector(path, encoding="ISO-8859-1", **kwargs)
    text_cols = _text_columns(gdf)
    names = [str(c).encode("latin-1") for c in gdf.columns if c != gdf.geometry.name]
    values: list[bytes] = []
    for c in text_cols:
        values += [v.encode("latin-1") for v in gdf[c].dropna().unique() if isinstance(v, str)]
    note = None
    if encoding is not None:
        enc = _forced_codec(encoding)
        if not _decodes(names, values, enc):
            try:
                guess = _detect(path, names, values, None)
                better = (
                    f" The text reads as {'GBK/GB18030' if guess == 'gb18030' else guess}: leave "
                    f"out the encoding to detect it, or pass encoding="
                    f"'{'gbk' if guess == 'gb18030' else guess}'."
                )
            except EncodingError:
                guess, better = (
                    enc,
                    " Pass the encoding the file was saved in, or save it as UTF-8.",
                )
            where, raw = _first_undecodable(gdf, text_cols, enc, guess)
            raise EncodingError(
                f"{path}: the text is not {encoding} (forced with encoding='{encoding}', CLI "
                f"--encoding): {where} holds bytes {raw[:24]!r} that are not valid {encoding}."
                f"{better}"
            )
        plausible, han = _looks_utf8_chinese(names, values)
        if enc != "utf-8" and plausible and han >= _UTF8_EVIDENCE_CHARS:
            raise EncodingError(
                f"{path}: the text is UTF-8 Chinese, not {encoding} as forced (encoding="
                f"'{encoding}', CLI --encoding): read as {encoding} it would be mojibake. Fix: "
                f"leave out the encoding to detect it, or pass encoding='utf-8'."
            )
        detected = False
    else:
        enc, note = _choose_encoding(path, names, values, cpg)
        detected = True
    out = gdf.copy()
    for c in text_cols:
        out[c] = gdf[c].map(
            lambda v, e=enc: v.encode("latin-1").decode(e) if isinstance(v, str) else v
        )
    columns, cut = [], []
    for c in gdf.columns:
        if c == gdf.geometry.name:
            columns.append(c)
            continue
        name, was_cut = _decode_name(str(c).encode("latin-1"), enc)
        columns.append(name)
        if was_cut:
            cut.append(name)
    out.columns = columns
    out = out.set_geometry(gdf.geometry.name)
    if detected and any(any(b > 127 for b in r) for r in names + values):
        prefix = f"text decoded as {enc} (.cpg: {cpg or 'none'})"
        note = f"{prefix}; {note}" if note else prefix
    if cut:
        note = (f"{note}; " if note else "") + (
            f"field names {cut} were cut inside a character by the shapefile's 10-byte limit and "
            f"are read without the cut character"
        )
    return out, {"encoding": enc, "declared": cpg, "detected": detected, "note": note}


def _forced_codec(encoding: str) -> str:
    codec = _codec(encoding) if isinstance(encoding, str) else None
    if codec is None:
        raise EncodingError(
            f"unknown text encoding {encoding!r}. Fix: pass utf-8, gbk (covers GB2312 and "
            f"GB18030), big5 or latin-1, or leave the encoding out to detect it."
        )
    return codec
