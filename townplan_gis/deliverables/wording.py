"""The Chinese wording of the deliverables: full-width punctuation, dates, coordinate systems, and the
Chinese of what the data carry in English (indicator definitions and notes, target sources, the
repairs log, geometry types), all from ``townplan_gis/data/vocab.toml``.

A Chinese report or workbook is read and filed by a planning office: a sentence uses ``，；：（）``, a
date reads ``2026年12月7日 14:05`` in local time, and no English word or internal reference
(``docs/sources.md#…``) is left in it. English outputs pass through these functions unchanged.
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import cache
from typing import Any

import pandas as pd

from townplan_gis.core.reprs import comparator_symbol, fmt_number, unit_label
from townplan_gis.core.vocab import label, load_vocab

__all__ = [
    "coverage_text",
    "crs_text",
    "date_text",
    "definition_text",
    "geometry_text",
    "note_text",
    "reason_text",
    "repair_text",
    "rules_text",
    "setbacks_text",
    "target_text",
    "time_text",
    "tolerance_text",
    "zh_punct",
]

_CJK = r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”]"
_HALF = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）"}
# A reference into the package's own documentation: for the developers, not the office reading it.
_DOCS = re.compile(r"\s*[(（]?\s*docs/[\w./-]+(#[\w.-]+)?\s*[)）]?")


def zh_punct(text: Any) -> str:
    """Full-width ``，；：（）`` wherever a half-width one touches a Chinese character (``审查范围:``
    → ``审查范围：``, ``旅游公路(东段)`` → ``旅游公路（东段）``); references to ``docs/`` removed.
    Numbers, units and codes keep their ASCII (``EPSG:4546``, ``1,000``, ``(m²)`` after Latin)."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    s = _DOCS.sub("", str(text))
    # , ; : after or before a CJK character (spaces around it go: full-width marks carry their space).
    s = re.sub(rf"(?<={_CJK})\s*([,;:])\s*", lambda m: _HALF[m.group(1)], s)
    s = re.sub(rf"\s*([,;:])\s*(?={_CJK})", lambda m: _HALF[m.group(1)], s)

    # A bracket pair with a CJK character inside or right outside it.
    def bracket(m: re.Match) -> str:
        before, after = s[: m.start()], s[m.end() :]
        chinese = (
            re.search(_CJK, m.group(1))
            or re.search(rf"{_CJK}\s?$", before)
            or re.match(rf"\s?{_CJK}", after)
        )
        return f"（{m.group(1)}）" if chinese else m.group(0)

    s = re.sub(r"\s?\(([^()]*)\)", bracket, s)
    return s


def reason_text(text: Any) -> str:
    """A review's reason as a Chinese sentence: full-width punctuation, ``max(a, b)`` said in words."""
    s = zh_punct(text)
    return re.sub(r"max[（(]([^，,（）()]+)[，,]\s*([^（）()]+)[）)]", r"\1 与 \2 中的较大值", s)


def date_text(when: _dt.datetime, lang: str, *, time: bool = True) -> str:
    """The generation time in local time: ``2026年12月7日 14:05`` (zh) or ``2026-12-07 14:05`` (en)."""
    local = when.astimezone() if when.tzinfo is not None else when
    clock = f" {local:%H:%M}" if time else ""
    if lang == "zh":
        return f"{local.year}年{local.month}月{local.day}日{clock}"
    return f"{local:%Y-%m-%d}{clock}"


def crs_text(crs: Any, lang: str) -> str:
    """``EPSG:4546 CGCS2000 / 3-degree Gauss-Kruger CM 111E`` → ``EPSG:4546（CGCS2000 3度带高斯-克吕格投影，
    中央经线 111°E）`` in Chinese; a name without a Chinese wording keeps its EPSG code only."""
    if crs is None:
        return "—"
    code = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else ""
    name = str(getattr(crs, "name", "") or "")
    if lang != "zh":
        return f"{code} {name}".strip()
    m = re.match(
        r"(CGCS2000|WGS 84|Xian 1980|Beijing 1954) / (\d)-degree Gauss-Kruger (?:CM|zone) (\d+)(E?)",
        name,
    )
    if m:
        datum = {"Xian 1980": "西安80", "Beijing 1954": "北京54"}.get(m.group(1), m.group(1))
        band = f"{m.group(2)}度带高斯-克吕格投影"
        where = f"中央经线 {m.group(3)}°E" if m.group(4) else f"第 {m.group(3)} 带"
        return f"{code}（{datum} {band}，{where}）"
    if name in ("China Geodetic Coordinate System 2000", "CGCS2000"):
        return f"{code}（CGCS2000 地理坐标）"
    return code or "—"


@cache
def _notes() -> list[tuple[re.Pattern, str]]:
    return [(re.compile(e["en"]), e["zh"]) for e in load_vocab().get("notes_zh", [])]


def _facility(word: str) -> str:
    # "public_toilet" in a note → 公厕; an unknown word stays as it is.
    return label("facility_type", word, "zh")


def note_text(note: Any, lang: str) -> str:
    """A note of an indicator or a target in ``lang``: in Chinese each ``; ``-separated part is worded
    from ``[[notes_zh]]`` (parts said twice are said once); a part without a wording stays as it is."""
    if note is None or (isinstance(note, float) and note != note) or str(note) == "":
        return ""
    if lang != "zh":
        return str(note)
    out: list[str] = []
    for part in str(note).split("; "):
        part = part.strip()
        said = part
        for pattern, zh in _notes():
            m = pattern.fullmatch(part)
            if m:
                said = zh
                for i, g in enumerate(m.groups(), start=1):
                    said = said.replace(f"{{{i}}}", g or "")
                fac = _facility(m.groups()[-1]) if m.groups() else ""
                said = said.replace("{facility}", fac)
                break
        if said and said not in out:
            out.append(zh_punct(said))
    return "；".join(out)


def definition_text(key: str, definition: Any, lang: str) -> str:
    """An indicator's definition in ``lang``: in Chinese from ``[definitions_zh]``, a family wording
    (facility counts, household coverage, reported statistics), or the Chinese sentence the registry's
    definition already carries."""
    text = "" if definition is None or pd.isna(definition) else str(definition)
    if lang != "zh":
        return text
    vocab = load_vocab()
    own = vocab.get("definitions_zh", {}).get(key)
    if own:
        return str(own)
    # The registry writes some definitions as "English. 中文。": keep the Chinese sentence.
    m = re.search(rf"{_CJK}[^A-Za-z]*$", text)
    if m and len(m.group()) > 8 and not re.search(r"[A-Za-z]{3,}", m.group()):
        start = text.rfind(". ", 0, m.start())
        return zh_punct(text[start + 2 :] if start >= 0 else m.group())
    families = vocab.get("definition_families", {})
    for prefix, family in (
        ("facility_count_", "facility_count"),
        ("household_coverage_", "household_coverage"),
    ):
        if key.startswith(prefix):
            word = key.removeprefix(prefix).removesuffix("_pct")
            return str(families.get(family, "")).replace("{facility}", _facility(word))
    if text.startswith("Reported statistic"):
        return str(families.get("reported", ""))
    return zh_punct(text)


def target_text(row: Any, standard_title: str, lang: str) -> str:
    """The source (依据) of a target: in Chinese the standard's short name and the requirement worded
    from the scorecard (``鄂州 2017：建成区面积 ≥ 2.00 km²``); in English the target's own source."""
    source = "" if pd.isna(row.get("source")) else str(row.get("source"))
    if lang != "zh":
        return source
    if source and not re.search(r"[A-Za-z]{2,}", _DOCS.sub("", source)):
        return zh_punct(source)
    # "鄂州 2017 §1 B: …": the Chinese name before the section mark (sections of a summary, not the
    # standard's own numbering, are left out).
    short = re.split(r"\s*[§:：]", source)[0].strip() if source else ""
    if not short or re.search(r"[A-Za-z]{2,}", short):
        short = standard_title
    unit = row.get("unit")
    target = row.get("target")
    shown = fmt_number(target, unit) if not isinstance(target, (list, tuple)) else str(target)
    if unit == "flag":
        yes = fmt_number(target) != "0.00" if str(row.get("comparator")) in (">=", "==") else False
        need = f"{row.get('name', '')}：{'是' if yes else '否'}"
    elif str(row.get("comparator", "")).startswith("between"):
        shown = (
            "–".join(fmt_number(t, unit) for t in target)
            if isinstance(target, (list, tuple))
            else shown
        )
        need = f"{row.get('name', '')} {shown} {unit_label(unit, 'zh')}"
    else:
        need = f"{row.get('name', '')} {comparator_symbol(row.get('comparator'))} {shown} {unit_label(unit, 'zh')}"
    need = zh_punct(need.strip())
    return f"{short}：{need}" if short else need


def repair_text(action: str, detail: Any, lang: str) -> tuple[str, str]:
    """(action, detail) of a repair in ``lang``: the action from ``[repair_actions]``; in Chinese a
    detail with English words is worded from its action (columns renamed list the Chinese names read,
    a repaired geometry its count), else kept (``EPSG:4490 → EPSG:4546``)."""
    pair = load_vocab().get("repair_actions", {}).get(action)
    shown = str(pair[0 if lang == "zh" else 1]) if pair else action
    text = "" if detail is None or pd.isna(detail) else str(detail)
    if lang != "zh" or not re.search(r"[A-Za-z]{2,}", re.sub(r"EPSG:\d+", "", text)):
        return shown, zh_punct(text) if lang == "zh" else text
    if action == "renamed_columns":
        read = [p.split("→")[0].strip() for p in text.split(",") if "→" in p]
        return shown, "、".join(read)
    if action == "make_valid":
        kinds = sorted(set(re.findall(r"\b([A-Z][a-z]+(?:[- ][a-z]+)*)\[", text)))
        words = {
            "Self-intersection": "自相交",
            "Ring Self-intersection": "环自相交",
            "Too few points": "点数过少",
        }
        said = "、".join(words.get(k, "几何无效") for k in kinds) or "几何无效"
        return shown, f"已修复（{said}）"
    return shown, "详见数据修复记录（town.repairs）"


def geometry_text(types: Any, lang: str) -> str:
    """``Point, Polygon`` → ``点、面`` in Chinese (from ``[geometry_types]``)."""
    text = "" if types is None else str(types)
    if lang != "zh":
        return text
    table = load_vocab().get("geometry_types", {})
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return "、".join(str(table[p][0]) if p in table else p for p in parts)


_TOLERANCE_ZH = {
    "min_length_m": ("线状重叠短于", "m 视为碎片"),
    "inward_buffer_m": ("面状控制线内缩", "m 后判断"),
}


def tolerance_text(tol: Any, lang: str) -> str:
    """The review's sliver tolerance as a sentence (Chinese), or ``key = value; …`` (English)."""
    from townplan_gis.deliverables.tables import setting_text

    if lang != "zh" or not isinstance(tol, dict):
        return setting_text(tol)
    parts = []
    if "min_area_m2" in tol and "min_pct_of_project" in tol:
        # The review ignores an overlap below max(min_area_m2, min_pct_of_project % × project area).
        parts.append(
            f"面状重叠小于 {fmt_number(tol['min_area_m2'])} m² 与项目面积的 "
            f"{fmt_number(tol['min_pct_of_project'], '%')}% 两者中的较大值时视为碎片"
        )
    elif "min_area_m2" in tol:
        parts.append(f"重叠面积小于 {fmt_number(tol['min_area_m2'])} m² 视为碎片")
    parts += [f"{a} {fmt_number(tol[k])} {b}" for k, (a, b) in _TOLERANCE_ZH.items() if k in tol]
    if "noise_m2" in tol:
        noise = f"{float(tol['noise_m2']):.6f}".rstrip("0").rstrip(".")
        parts.append(f"小于 {noise} m² 的重叠视为计算误差")
    never = tol.get("never_ignore") or []
    if never:
        shown = []
        for item in never:
            line, _, zone = str(item).partition(":")
            word = label("line_type", line, "zh")
            shown.append(f"{word}（{label('zone', zone, 'zh')}）" if zone else word)
        parts.append(f"{'、'.join(shown)}的重叠一律不忽略")
    return "；".join(parts)


def setbacks_text(sb: Any, lang: str) -> str:
    """The setbacks checked, as a sentence: ``建筑类项目：主干路 8 m，干路 8 m，…，蓝线 10 m``."""
    from townplan_gis.deliverables.tables import setting_text

    if lang != "zh" or not isinstance(sb, dict):
        return setting_text(sb)
    if not sb.get("enabled", True):
        return "未检查退线"
    types = "、".join(label("project_type", t, "zh") for t in sb.get("project_types") or [])
    names = {
        "red_default": "其他道路红线",
        "blue": "蓝线",
        "green": "绿线",
        "purple": "紫线",
        "yellow": "黄线",
    }
    dist = sb.get("distance_m") or {}
    said = "，".join(
        f"{names.get(k) or label('road_class', k, 'zh')} {fmt_number(v)} m" for k, v in dist.items()
    )
    return f"{types}类项目退让距离：{said}" if types else f"退让距离：{said}"


def coverage_text(source: Any, lang: str) -> str:
    """The review coverage: ``town boundary (layer 'boundary' of 蒲州镇)`` → ``蒲州镇镇域边界（图层
    boundary）``; other wordings as they are (punctuation made full-width)."""
    text = "" if source is None else str(source)
    if lang != "zh":
        return text
    m = re.fullmatch(r"town boundary \(layer '(\w+)' of (.+)\)", text)
    if m:
        return f"{m.group(2)}镇域边界"
    m = re.fullmatch(r"(?:the )?built-up area \(layer '(\w+)' of (.+)\)", text)
    if m:
        return f"{m.group(2)}建成区"
    return zh_punct(text)


def rules_text(rules: Any, lang: str) -> str:
    """The rule file: ``default (townplan_gis/data/rules/default.toml)`` → ``内置默认规则（default.toml）``."""
    text = "" if rules is None else str(rules)
    if lang != "zh":
        return text
    m = re.fullmatch(r"(\S+) \((?:.*/)?([^/]+\.toml)\)", text)
    name, file = (m.group(1), m.group(2)) if m else (text, "")
    shown = "内置默认规则" if name == "default" else f"规则 {name}"
    return f"{shown}（{file}）" if file else shown


def time_text(value: Any, lang: str) -> str:
    """An ISO time (``2026-12-07T06:23:20+00:00``) in local time and the language's date format."""
    try:
        when = _dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return date_text(when, lang)
