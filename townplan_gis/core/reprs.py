"""Rich HTML displays for Jupyter: a Town, a Review and a scorecard as readable, coloured summaries.

Low level on purpose: this module imports only the standard library, pandas and
:mod:`townplan_gis.core.vocab`, and reads its objects by duck typing (``town.layers``, ``review.projects``
…), so ``town.py``, the review result and the standards can delegate their ``_repr_html_`` here without
import cycles. Every user string is HTML-escaped. Every label, colour and order (statuses, verdicts,
grades, line types, headers) comes from the shared vocabulary, :mod:`townplan_gis.core.vocab`; its
display helpers are re-exported here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Set as AbstractSet
from typing import Any

import pandas as pd

from townplan_gis.core.vocab import (
    COLOURS,
    GRADE_RANK,
    GRADES,
    LABELS,
    VERDICTS,
    _lang,
    badge,
    col,
    comparator_symbol,
    display_width,
    fmt_number,
    label,
    localised,
    text,
    tint,
    unit_label,
    values,
)

__all__ = [
    "COLOURS",
    "LABELS",
    "Scorecard",
    "as_scorecard",
    "badge",
    "comparator_symbol",
    "display_width",
    "fmt_number",
    "label",
    "review_html",
    "scorecard_html",
    "town_html",
    "unit_label",
]

_CSS = (
    "<style>.tp-box{font-family:system-ui,'Noto Sans CJK SC',sans-serif;font-size:13px;line-height:1.4}"
    ".tp-box table{border-collapse:collapse;margin:4px 0 8px 0}"
    ".tp-box th,.tp-box td{border:1px solid #d0d7de;padding:2px 6px;text-align:left}"
    ".tp-box td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".tp-box th{background:#f6f8fa}.tp-box h4{margin:6px 0 2px 0}"
    ".tp-box .tp-muted{color:#6e7781}</style>"
)


def _esc(x: Any) -> str:
    """HTML-escaped text of a value; ``""`` for None and NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return html.escape(str(x))


def _table(
    header: list[str],
    rows: list[list[str]],
    numeric: AbstractSet[int] = frozenset(),
    *,
    row_styles: list[str] | None = None,
) -> str:
    """An HTML table from already-escaped cells.

    Parameters
    ----------
    header : list of str
        Header cells (HTML, already escaped).
    rows : list of list of str
        Body cells (HTML, already escaped), one list per row.
    numeric : set of int, optional
        Positions of the columns to right-align (``td.num``).
    row_styles : list of str, optional
        Inline CSS of each row (``""`` for none), aligned to ``rows``.

    Returns
    -------
    str
        The ``<table>`` element.
    """
    head = "".join(f"<th>{h}</th>" for h in header)
    styles = row_styles or [""] * len(rows)
    body = "".join(
        (f'<tr style="{style}">' if style else "<tr>")
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r, style in zip(rows, styles, strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# --- Town -------------------------------------------------------------------------------------------------
def town_html(town: Any, *, lang: str | None = None, max_repairs: int = 12) -> str:
    """Town summary: name, population, CRS, areas, layers with feature counts, statistics and repairs.

    Parameters
    ----------
    town : Town
        Read by duck typing: ``name``, ``population``, ``crs``, ``layers``, ``metadata``,
        ``statistics``, ``summary()`` and ``repairs``.
    lang : {"zh", "en"}, optional
        Language of the labels (default ``townplan_gis.options.lang``).
    max_repairs : int, default 12
        Repairs listed; the rest are counted in a note pointing to ``town.repairs``.

    Returns
    -------
    str
        An HTML fragment (inline CSS, every user string escaped).
    """
    crs = getattr(town, "crs", None)
    epsg = crs.to_epsg() if crs is not None else None
    pop = town.population
    facts = [
        (text("population", lang), "—" if pop is None else f"{pop:,.0f}"),
        (
            text("analysis_crs", lang),
            f"EPSG:{epsg} {crs.name}" if crs is not None else "—",
        ),
    ]
    for kind, key in (("boundary", "town_area"), ("builtup", "builtup_area")):
        km2 = town.area_km2(kind)
        if not math.isnan(km2):
            facts.append((text(key, lang), f"{km2:,.2f} {unit_label('km2', lang)}"))
    meta = getattr(town, "metadata", {}) or {}
    for key in ("source", "note"):
        if meta.get(key):
            facts.append((text(f"data_{key}", lang), meta[key]))
    parts = [_CSS, '<div class="tp-box">', f"<h4>{_esc(town.name)}</h4>"]
    parts.append(
        _table(
            [col("item", lang), col("value", lang)],
            [[_esc(a), _esc(b)] for a, b in facts],
        )
    )
    summary = town.summary()
    rows = [
        [
            _esc(r["layer"]),
            _esc(r["label_zh"] if _lang(lang) == "zh" else r["label_en"]),
            f"{int(r['features']):,}",
            _esc(r["geometry"]),
        ]
        for _, r in summary.iterrows()
    ]
    parts.append(
        f"<h4>{text('layers', lang)}</h4>"
        + _table(
            [
                col("kind", lang),
                col("label", lang),
                col("features", lang),
                col("geometry", lang),
            ],
            rows,
            {2},
        )
    )
    if getattr(town, "statistics", None):
        rows = [
            [_esc(k), fmt_number(v, "%" if k.endswith("_pct") else None)]
            for k, v in town.statistics.items()
        ]
        parts.append(
            f"<h4>{text('reported_statistics', lang)}</h4>"
            + _table([col("statistic", lang), col("value", lang)], rows, {1})
        )
    rep = town.repairs
    if len(rep):
        shown = rep.head(max_repairs)
        rows = [
            [_esc(r["layer"]), _esc(r["action"]), f"{int(r['count']):,}", _esc(r["detail"])]
            for _, r in shown.iterrows()
        ]
        more = (
            f'<div class="tp-muted">… {len(rep) - max_repairs} {text("more_repairs", lang)}</div>'
            if len(rep) > max_repairs
            else ""
        )
        parts.append(
            f"<h4>{text('repairs', lang)} ({len(rep)})</h4>"
            + _table(
                [
                    text("layers", lang),
                    col("action", lang),
                    col("count", lang),
                    col("detail", lang),
                ],
                rows,
                {2},
            )
            + more
        )
    else:
        parts.append(f'<div class="tp-muted">{text("no_repairs", lang)}</div>')
    parts.append("</div>")
    return "".join(parts)


# --- Review -----------------------------------------------------------------------------------------------
def worst_conflicts(conflicts: pd.DataFrame, n: int | None = None) -> pd.DataFrame:
    """Non-ignored conflicts, worst grade first, then largest overlap area (then longest overlap).

    Parameters
    ----------
    conflicts : pandas.DataFrame
        ``review.conflicts`` (``grade``, optional ``ignored``, ``overlap_area_m2``,
        ``overlap_length_m``).
    n : int, optional
        Keep the first ``n`` rows only.

    Returns
    -------
    pandas.DataFrame
        The rows in that order, with their original index.
    """
    if conflicts is None or not len(conflicts):
        return pd.DataFrame(conflicts)
    real = conflicts
    if "ignored" in conflicts:
        real = conflicts[~conflicts["ignored"].fillna(False).astype(bool)]
    key = pd.DataFrame(
        {
            "r": real["grade"].map(GRADE_RANK).fillna(0),
            "a": pd.to_numeric(real.get("overlap_area_m2"), errors="coerce").fillna(0),
            "l": pd.to_numeric(real.get("overlap_length_m"), errors="coerce").fillna(0),
        },
        index=real.index,
    )
    order = key.sort_values(["r", "a", "l"], ascending=False, kind="stable").index
    out = real.loc[order]
    return out if n is None else out.head(n)


def review_html(review: Any, *, lang: str | None = None, max_conflicts: int = 10) -> str:
    """Review summary: verdict counts coloured, conflicts per line type × grade, the worst conflicts.

    Parameters
    ----------
    review : Review
        Read by duck typing: ``projects`` (``verdict``), ``conflicts`` and ``settings``.
    lang : {"zh", "en"}, optional
        Language of the labels (default ``townplan_gis.options.lang``).
    max_conflicts : int, default 10
        Worst conflicts listed.

    Returns
    -------
    str
        An HTML fragment (inline CSS, every user string escaped).
    """
    projects = review.projects
    counts = projects["verdict"].value_counts()
    parts = [_CSS, '<div class="tp-box">']
    parts.append(
        f"<h4>{text('five_line_review', lang)}: {len(projects)} "
        f"{text('n_projects', lang)}</h4><div>"
        + " ".join(f"{badge('verdict', v, lang)} {int(counts.get(v, 0))}" for v in VERDICTS)
        + "</div>"
    )
    conflicts = review.conflicts
    if len(conflicts):
        real = worst_conflicts(conflicts)  # non-ignored, worst first
        tab = pd.crosstab(real["line_type"], real["grade"]) if len(real) else pd.DataFrame()
        grades = GRADES
        rows = []
        for lt in values("line_type"):
            if lt in tab.index:
                rows.append(
                    [
                        f'<span style="color:{COLOURS["line_type"][lt]}">■</span> {_esc(label("line_type", lt, lang))}'
                    ]
                    + [str(int(tab.loc[lt].get(g, 0))) for g in grades]
                )
        if rows:
            parts.append(
                f"<h4>{text('conflicts_by_line', lang)}</h4>"
                + _table(
                    [text("line", lang)] + [badge("grade", g, lang) for g in grades],
                    rows,
                    {1, 2, 3},
                )
            )
        worst = localised(real.head(max_conflicts), lang)
        rows = [
            [
                _esc(r.get("project_id")),
                _esc(r.get("project_name")),
                _esc(label("line_type", r.get("line_type"), lang)) + " " + _esc(r.get("line_name")),
                badge("grade", r.get("grade"), lang),
                fmt_number(r.get("overlap_area_m2")),
                fmt_number(r.get("overlap_area_mu")),
                _esc(r.get("procedure")),
            ]
            for _, r in worst.iterrows()
        ]
        n_ign = len(conflicts) - len(real)
        parts.append(
            f"<h4>{text('worst_conflicts', lang)} ({len(worst)} / {len(real)}"
            f"{text('ignored_slivers', lang)}{n_ign})</h4>"
            + _table(
                [
                    text("project", lang),
                    text("project_name", lang),
                    text("line", lang),
                    text("grade", lang),
                    text("overlap_m2", lang),
                    text("overlap_mu", lang),
                    text("procedure", lang),
                ],
                rows,
                {4, 5},
            )
        )
    else:
        parts.append(f'<div class="tp-muted">{text("no_conflicts_short", lang)}</div>')
    settings = getattr(review, "settings", {}) or {}
    if settings:
        parts.append(
            '<div class="tp-muted">'
            + _esc(
                f"{settings.get('crs', '')} · rules {settings.get('rules', '')} "
                f"{settings.get('rules_version', '')} · townplan_gis {settings.get('townplan_gis_version', '')}"
            )
            + "</div>"
        )
    parts.append("</div>")
    return "".join(parts)


# --- Scorecard --------------------------------------------------------------------------------------------


def scorecard_html(scorecard: pd.DataFrame, *, lang: str | None = None) -> str:
    """Scorecard table, each row coloured by status, with pass / fail / not-evaluable counts on top.

    Parameters
    ----------
    scorecard : pandas.DataFrame
        From :func:`townplan_gis.assess` (``key``, ``name_zh``, ``name_en``, ``value``, ``target``,
        ``comparator``, ``status``, ``gap``, optional ``unit``); ``attrs["standard"]`` titles it.
    lang : {"zh", "en"}, optional
        Language of the labels (default ``townplan_gis.options.lang``).

    Returns
    -------
    str
        An HTML fragment (inline CSS, every user string escaped).
    """
    sc = scorecard
    counts = sc["status"].value_counts()
    parts = [_CSS, '<div class="tp-box">']
    title = sc.attrs.get("standard")
    parts.append(
        f"<h4>{text('scorecard_title', lang)}{(' · ' + _esc(title)) if title else ''}</h4><div>"
        + " ".join(f"{badge('status', s, lang)} {int(counts.get(s, 0))}" for s in values("status"))
        + "</div>"
    )
    rows, styles = [], []
    for _, r in sc.iterrows():
        unit = r.get("unit") if "unit" in sc else None
        name = r.get("name_zh") if _lang(lang) == "zh" else r.get("name_en")
        rows.append(
            [
                _esc(name)
                + f'<div class="tp-muted" style="font-size:11px">{_esc(r.get("key"))}</div>',
                fmt_number(r.get("value"), unit),
                _esc(comparator_symbol(r.get("comparator")))
                + " "
                + fmt_number(r.get("target"), unit),
                _esc(unit_label(unit, lang)),
                badge("status", r.get("status"), lang),
                fmt_number(r.get("gap"), unit),
            ]
        )
        styles.append(f"background:{tint('status', r.get('status'))}")
    header = [
        text("indicator", lang),
        text("value", lang),
        text("target", lang),
        text("unit", lang),
        text("status", lang),
        text("gap", lang),
    ]
    parts.append(_table(header, rows, {1, 2, 5}, row_styles=styles) + "</div>")
    return "".join(parts)


class Scorecard(pd.DataFrame):
    """A scorecard: a plain DataFrame in every respect, shown as a coloured table in Jupyter."""

    @property
    def _constructor(self):
        return Scorecard

    def _repr_html_(self) -> str | None:
        """The coloured table (:func:`scorecard_html`) when the frame is a scorecard of at most 500
        rows, else pandas' own HTML."""
        if {"status", "value", "target"}.issubset(self.columns) and len(self) <= 500:
            return scorecard_html(self)
        return super()._repr_html_()


def as_scorecard(frame: pd.DataFrame, standard: Any = None) -> Scorecard:
    """Wrap a scorecard frame as :class:`Scorecard`, recording the standard in ``attrs``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The scorecard.
    standard : Standard, optional
        Its ``name``, ``title_zh``, ``title_en``, ``path`` and ``source`` go to ``attrs`` as
        ``standard``, ``title_zh``, ``title_en``, ``file`` and ``source``, for displays and reports.

    Returns
    -------
    Scorecard
    """
    out = Scorecard(frame)
    if standard is not None:
        for attr, key in (("name", "standard"), ("title_zh", "title_zh"), ("title_en", "title_en"),
                          ("path", "file"), ("source", "source")):  # fmt: skip
            value = getattr(standard, attr, None)
            if value:
                out.attrs[key] = str(value)
    return out


class InlinePage:
    """A full HTML page (an offline map, a report, an opinion) shown inside a notebook cell.

    The page goes into an ``<iframe srcdoc>``: its scripts and styles stay isolated from the notebook,
    and an offline page keeps working with no network (``docs/engineering.md#offline-maps``).

    Parameters
    ----------
    page : str
        The complete HTML page.
    height : int, default 520
        Height of the frame in pixels.
    """

    def __init__(self, page: str, *, height: int = 520):
        self.page = page
        self.height = int(height)

    def _repr_html_(self) -> str:
        """The page in an ``<iframe srcdoc>`` (escaped attribute), full width, ``height`` pixels."""
        return (
            f'<iframe srcdoc="{html.escape(self.page, quote=True)}" '
            f'style="width:100%;height:{self.height}px;border:1px solid #d0d7de"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<InlinePage: {len(self.page):,} characters of HTML>"
