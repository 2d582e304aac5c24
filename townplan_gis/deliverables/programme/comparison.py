"""The before/after tables: features added, removed and changed per layer, the indicator deltas and
the growth targets of a standard, as page sections and sheets. Every figure is
:func:`townplan_gis.construction.compare`'s.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from townplan_gis.core.vocab import layer_label, unit_label
from townplan_gis.deliverables.programme.render import Tab
from townplan_gis.deliverables.programme.words import heading, sheet, value_label, zh

__all__ = ["comparison_sections", "comparison_sheets", "comparison_tabs"]

_FILL = {"pass": "pass", "fail": "fail", "not_evaluable": "not_evaluable"}


def comparison_tabs(cmp: Any, lang: str = "zh") -> dict[str, Tab]:
    """``layers, indicators, growth, changes``."""
    lay = cmp.layers.assign(
        layer=cmp.layers["layer"].map(lambda k: layer_label(k, lang)),
        measure=cmp.layers["measure"].map(lambda m: value_label("measure", m, lang)),
    )
    ind = cmp.indicators.assign(
        indicator=cmp.indicators["name_zh" if lang == "zh" else "name_en"],
        unit=cmp.indicators["unit"].map(lambda u: unit_label(u, lang)),
    )
    g = cmp.growth
    growth = g.assign(
        indicator=g["name_zh"] if lang == "zh" else g["key"],
        status=g["status"].map(lambda s: value_label("growth_status", s, lang)),
        target=[
            ("≥ " if c == ">=" else f"{c} " if c else "") + (str(t) if t is not None else "—")
            for c, t in zip(g["comparator"].fillna(""), g["target"], strict=True)
        ],
        detail=g["note"].map(zh) if lang == "zh" else g["note"],
    )
    ch = cmp.changes
    changes = pd.DataFrame(ch.drop(columns="geometry")).assign(
        layer=ch["layer"].map(lambda k: layer_label(k, lang)),
        change=ch["change"].map(lambda c: value_label("feature_change", c, lang)),
        measure=ch["measure"].map(lambda m: value_label("measure", m, lang)),
        name=ch["name"].fillna("—"),
        columns=ch["columns"].map(lambda c: _columns(c, lang)),
    )
    return {
        "layers": Tab(
            lay,
            [
                ("layer", "tag"),
                ("measure", "tag"),
                ("n_before", "int"),
                ("n_after", "int"),
                ("added", "int"),
                ("removed", "int"),
                ("changed", "int"),
                ("total_before", "num"),
                ("total_after", "num"),
                ("delta", "num"),
                ("added_measure", "num"),
            ],
        ),
        "indicators": Tab(
            ind,
            [
                ("indicator", "text"),
                ("before", "num"),
                ("after", "num"),
                ("delta", "num"),
                ("delta_pct", "pct"),
                ("unit", "tag"),
            ],
        ),
        "growth": Tab(
            growth,
            [
                ("indicator", "text"),
                ("before", "num"),
                ("after", "num"),
                ("growth_pct", "pct"),
                ("target", "tag"),
                ("status", "tag"),
                ("reported_pct", "pct"),
                ("detail", "text"),
            ],
            fill=[_FILL.get(s) for s in g["status"]],
        ),
        "changes": Tab(
            changes,
            [
                ("layer", "tag"),
                ("change", "tag"),
                ("name", "text"),
                ("measure", "tag"),
                ("before", "num"),
                ("after", "num"),
                ("delta", "num"),
                ("columns", "text"),
            ],
            headers={"name": "名称" if lang == "zh" else "Name"},
        ),
    }


def _columns(text: str, lang: str) -> str:
    """``"geometry, surface"`` → ``"几何、路面"``: the changed columns by their labels."""
    from townplan_gis.core.vocab import col, field_label

    names = [n.strip() for n in str(text or "").split(",") if n.strip()]
    shown = [field_label(n, lang) if field_label(n, lang) != n else col(n, lang) for n in names]
    return ("、" if lang == "zh" else ", ").join(shown)


def comparison_sections(cmp: Any, lang: str = "zh") -> list[dict[str, Any]]:
    tabs = comparison_tabs(cmp, lang)
    return [
        {"heading": heading("compare_layers", lang), "tables": [tabs["layers"].html(lang)]},
        {"heading": heading("compare_indicators", lang), "tables": [tabs["indicators"].html(lang)]},
        {"heading": heading("compare_growth", lang), "tables": [tabs["growth"].html(lang)]},
    ]


def comparison_sheets(cmp: Any, lang: str = "zh") -> list[tuple[str, Tab]]:
    tabs = comparison_tabs(cmp, lang)
    return [(sheet(k, lang), tabs[k]) for k in ("layers", "indicators", "growth", "changes")]
