"""The per-line parts of the reasons (townplan_gis.fiveline.line_texts)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from townplan_gis.core.vocab import LINE_ZH, TEXT, ZONE_ZH
from townplan_gis.fiveline.line_texts import OUTSIDE_BOUNDARY, class_texts, where_texts


def _plain(line_type, zone, label) -> dict[str, list[str]]:
    """The texts one line at a time, with f-strings: the version ``where_texts`` replaced."""
    (in_zh, in_en), (out_zh, out_en) = TEXT["reason_inside"], TEXT["reason_outside_boundary"]
    en, zh, line_zh = [], [], []
    for t, z, lab in zip(line_type, zone, label, strict=True):
        t_zh = LINE_ZH.get(t, t)
        z = z if isinstance(z, str) else ""
        if t == OUTSIDE_BOUNDARY:
            name = lab.removesuffix("以外")
            b = "" if name in ("", "城镇开发边界") else name
            en.append(out_en.format(name=f" '{b}'" if b else ""))
            zh.append(out_zh.format(name=f"「{b}」" if b else ""))
        else:
            en.append(in_en.format(what=f"{t_zh}{f' ({z})' if z else ''} '{lab}'"))
            zh.append(in_zh.format(what=f"{t_zh}{ZONE_ZH.get(z, '')}「{lab}」"))
        line_zh.append(t_zh)
    return {"where_en": en, "where_zh": zh, "label": list(label), "line_zh": line_zh}


def test_where_texts_by_hand():
    got = where_texts(
        np.array(["green", "red", OUTSIDE_BOUNDARY, OUTSIDE_BOUNDARY], dtype=object),
        np.array(["core", None, None, None], dtype=object),
        np.array(["河滨公园", "L7", "蒲州镇城镇开发边界以外", "城镇开发边界以外"]),
    )
    assert got["where_en"].to_pylist() == [
        "inside 绿线 (core) '河滨公园'",
        "inside 红线 'L7'",
        "outside 城镇开发边界 '蒲州镇城镇开发边界'",
        "outside 城镇开发边界",
    ]
    assert got["where_zh"].to_pylist() == [
        "位于绿线（核心保护范围）「河滨公园」内",
        "位于红线「L7」内",
        "超出城镇开发边界「蒲州镇城镇开发边界」",
        "超出城镇开发边界",
    ]
    assert got["line_zh"].to_pylist() == ["绿线", "红线", "城镇开发边界外", "城镇开发边界外"]


def test_where_texts_of_no_lines():
    got = where_texts(np.empty(0, dtype=object), np.empty(0, dtype=object), np.empty(0, dtype=str))
    assert all(len(v) == 0 for v in got.values())


_TYPES = ["red", "green", "purple", "blue", "yellow", "eco_redline", "farmland", OUTSIDE_BOUNDARY]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_TYPES),
            st.one_of(st.none(), st.sampled_from(["core", "control", "harmony", "其他"])),
            st.text(max_size=12),  # braces, quotes, 以外 suffixes and empty names included
        ),
        max_size=30,
    )
)
def test_where_texts_equal_the_plain_f_strings(rows):
    line_type = np.array([r[0] for r in rows], dtype=object)
    zone = np.array([r[1] for r in rows], dtype=object)
    label = np.array([r[2] for r in rows], dtype=object)
    got = where_texts(line_type, zone, label)
    assert {k: v.to_pylist() for k, v in got.items()} == _plain(line_type, zone, label)


def test_class_texts_quote_red_road_classes_only():
    got = class_texts(
        np.array(["arterial", None, "branch"], dtype=object),
        np.array(["red", "red", "blue"], dtype=object),
    )
    assert got["class_en"].to_pylist() == [" (arterial)", "", ""]
    assert got["class_zh"].to_pylist() == ["（主干路）", "", ""]
