"""The programme table: one row per project with its funding, dates, progress and deadline status.

Every other programme function starts here. The projects come from a Town, a projects GeoDataFrame or
a plain table (a weekly report without geometry); the programme columns (``programme_item``,
``item_total_wan_yuan``, the funding columns, ``stage``, ``start_date``, ``deadline``,
``completion_pct``) are optional columns of the projects layer (``townplan_gis.core.schema``), read
through the Chinese aliases (所属工程, 镇村户自筹, 建设阶段, 完工期限, 完成进度 …). Sources:
docs/sources.md#programme-data.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from townplan_gis.construction.rules import ProgrammeRules, load_programme_rules
from townplan_gis.core.errors import SchemaError, TownPlanError, ValueRangeError, _rows
from townplan_gis.core.repairs import Repair, repairs_frame
from townplan_gis.core.schema import normalize_layer
from townplan_gis.core.town import Town

__all__ = ["DATE_FORMATS", "parse_date", "project_table", "projects_of"]

#: The date forms accepted in ``start_date``, ``deadline`` and ``as_of``.
DATE_FORMATS = ("2017-10-31", "2017/10/31", "2017.10.31", "2017年10月31日", "20171031")
_DATE = re.compile(
    r"^\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{2})(\d{2}))"
    r"\s*(?:[T ]\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*$"
)


def _date_or_none(text: str) -> dt.date | None:
    m = _DATE.match(text)
    if m is None:
        return None
    year, month, day = m.group(1), m.group(2) or m.group(4), m.group(3) or m.group(5)
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:  # 2017-02-30
        return None


def parse_date(value: Any, *, what: str = "as_of") -> pd.Timestamp:
    """One date (``as_of``, a snapshot's date) as a pandas Timestamp at midnight.

    Parameters
    ----------
    value : str, datetime.date, datetime.datetime or pandas.Timestamp
        ``"2017-10-31"``, ``"2017年10月31日"`` … (see :data:`DATE_FORMATS`); a time of day is dropped.
    what : str
        What the date is, for the message.

    Raises
    ------
    TownPlanError
        Not a date.

    Examples
    --------
    >>> parse_date("2017年10月31日")
    Timestamp('2017-10-31 00:00:00')
    """
    if isinstance(value, (dt.date, pd.Timestamp)) and not pd.isna(value):
        return pd.Timestamp(value).normalize()
    if isinstance(value, str):
        day = _date_or_none(value)
        if day is not None:
            return pd.Timestamp(day)
    raise TownPlanError(
        f"{what} {value!r} is not a date. Accepted forms: {', '.join(DATE_FORMATS)}, or a "
        f"datetime.date."
    )


def _dates(series: pd.Series, column: str) -> pd.Series:
    """A text column of dates as datetime64 (NaT where empty); unreadable dates are an error."""
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    given = series.notna() & (series.astype("string").str.strip() != "").fillna(False)
    if not given.any():
        return out
    table = {v: _date_or_none(str(v)) for v in pd.unique(series[given])}
    bad = given & series.map(lambda v: table.get(v) is None if pd.notna(v) else False).astype(bool)
    if bad.any():
        raise SchemaError(
            f"layer 'projects', column '{column}': value(s) "
            f"{list(dict.fromkeys(series[bad].astype(str)))[:10]} in rows "
            f"{_rows(series.index[bad])} are not dates. Accepted forms: "
            f"{', '.join(DATE_FORMATS)}. Fix: write the dates in one of these forms."
        )
    out[given] = pd.to_datetime(series[given].map(table))
    return out


def projects_of(projects: Any) -> tuple[gpd.GeoDataFrame, list[Repair], str | None]:
    """``(projects in the canonical schema, repairs, town name or None)`` from a Town or a table.

    A Town's projects are already canonical. A GeoDataFrame is normalised
    (:func:`~townplan_gis.core.schema.normalize_layer`, aliases applied and recorded); a plain
    DataFrame (a weekly report without geometry) is normalised with empty geometries.
    """
    if isinstance(projects, Town):
        if "projects" not in projects.layers:
            raise TownPlanError(
                f"town '{projects.name}' has no projects layer. Fix: add it with "
                f"town.with_layer('projects', gdf)."
            )
        return projects.projects, [], projects.name
    if isinstance(projects, pd.DataFrame) and not isinstance(projects, gpd.GeoDataFrame):
        projects = gpd.GeoDataFrame(projects.copy(), geometry=[None] * len(projects))
    if not isinstance(projects, gpd.GeoDataFrame):
        raise TownPlanError(
            f"expected a Town or a projects table (GeoDataFrame or DataFrame), got "
            f"{type(projects).__name__}."
        )
    norm, repairs = normalize_layer(projects, "projects", allow_empty=True)
    return norm, repairs, None


def _check_order(start: pd.Series, deadline: pd.Series, raw: gpd.GeoDataFrame) -> None:
    bad = (deadline < start).fillna(False).to_numpy(dtype=bool)
    if bad.any():
        rows = raw.index[bad]
        pairs = [
            f"{s:%Y-%m-%d} → {d:%Y-%m-%d}" for s, d in zip(start[bad], deadline[bad], strict=True)
        ]
        raise ValueRangeError(
            "projects",
            "deadline",
            values=raw.loc[rows, "deadline"].tolist(),
            rows=rows.tolist(),
            accepted=f"a deadline on or after the project's start_date (start → deadline: "
            f"{', '.join(pairs[:5])})",
            fix="correct the dates; a deadline before the start is a typo (often the year).",
        )


def project_table(
    projects: Any,
    *,
    as_of: Any = None,
    rules: Any = None,
) -> gpd.GeoDataFrame:
    """One row per project: funding, dates, completion and deadline status, aligned to the input.

    .. math::

        F = \\sum_s f_s,\\quad \\text{gap} = I - F,\\quad
        I_\\text{done} = I \\cdot c / 100,\\quad
        c_\\text{expected} = 100 \\cdot \\operatorname{clip}\\left(
            \\frac{t - t_\\text{start}}{t_\\text{deadline} - t_\\text{start}}, 0, 1\\right)

    with I the investment, f_s the funding from source s (万元), c the completion %, t the ``as_of``
    date. A project is *completed* at c = 100 %, or with status ``completed`` when no % is given
    (a project with neither is not counted as completed). It is *overdue* when ``as_of`` is past its
    deadline and it is not completed; *behind schedule* when c trails the straight line from start to
    deadline by more than ``behind_schedule_points`` (rule file, 20 points [I]). Sources:
    docs/sources.md#programme-data, docs/sources.md#programme-rules.

    Parameters
    ----------
    projects : Town, GeoDataFrame or DataFrame
        The projects (see :func:`projects_of`). Not modified.
    as_of : date-like, optional
        The date the deadlines are checked against (``"2017-11-06"``); never the clock. Without it
        ``overdue``, ``days_overdue``, ``expected_pct`` and ``behind_schedule`` are missing (<NA>).
    rules : path or ProgrammeRules, optional
        Default ``townplan_gis/data/programme.toml``.

    Returns
    -------
    geopandas.GeoDataFrame
        Aligned to the projects' index: ``project_id, name, project_type, status, programme_item,
        item_total_wan_yuan, investment_wan_yuan``, the funding columns, ``funding_total_wan_yuan``
        (NaN when no source is given), ``funding_gap_wan_yuan`` (investment − funding),
        ``stage, stage_zh, start_date, deadline`` (datetime64), ``completion_pct, completed,
        completed_investment_wan_yuan, expected_pct, behind_points, behind_schedule, overdue,
        days_overdue``, geometry. ``attrs["repairs"]``: what normalising the input changed.

    Raises
    ------
    SchemaError
        An unreadable date; ValueRangeError for a deadline before the start, a negative amount or a
        completion outside 0–100 %; UnknownValueError for an unknown stage.
    TownPlanError
        A town without projects, an unreadable ``as_of``.

    Examples
    --------
    >>> import pandas as pd
    >>> week = pd.DataFrame({"项目编号": ["A", "B"], "项目类型": ["道路", "绿化"],
    ...                      "投资": [100, 50], "上级补助": [60, None], "镇政府自筹": [40, None],
    ...                      "完工期限": ["2017-10-31", "2017-10-31"], "完成进度": [100, 40]})
    >>> t = project_table(week, as_of="2017-11-06")
    >>> t[["project_id", "funding_gap_wan_yuan", "completed", "overdue", "days_overdue"]]
      project_id  funding_gap_wan_yuan  completed  overdue  days_overdue
    0          A                   0.0       True    False             0
    1          B                   NaN      False     True             6
    """
    rules = load_programme_rules(rules)
    raw, repairs, _ = projects_of(projects)
    when = None if as_of is None else parse_date(as_of)
    out = pd.DataFrame(index=raw.index)
    for col in ("project_id", "name", "project_type", "status", "programme_item"):
        out[col] = raw[col]
    money = ["item_total_wan_yuan", "investment_wan_yuan", *rules.funding_columns]
    for col in money:
        out[col] = raw[col].astype("float64")
    investment = out["investment_wan_yuan"]
    out["funding_total_wan_yuan"] = out[rules.funding_columns].sum(axis=1, min_count=1)
    out["funding_gap_wan_yuan"] = investment - out["funding_total_wan_yuan"]
    out["stage"] = raw["stage"]
    labels = {s.code: s.label_zh for s in rules.stages}
    out["stage_zh"] = raw["stage"].map(lambda s: labels.get(s) if isinstance(s, str) else None)
    out["start_date"] = _dates(raw["start_date"], "start_date")
    out["deadline"] = _dates(raw["deadline"], "deadline")
    _check_order(out["start_date"], out["deadline"], raw)
    pct = raw["completion_pct"].astype("float64")
    out["completion_pct"] = pct
    said_done = (raw["status"] == "completed").to_numpy(dtype=bool)
    done = (pct >= 100.0).to_numpy(dtype=bool) | (pct.isna().to_numpy() & said_done)
    out["completed"] = done
    share = np.where(pct.notna(), pct / 100.0, np.where(said_done, 1.0, np.nan))
    out["completed_investment_wan_yuan"] = investment * share
    _schedule(out, when, rules)
    out["geometry"] = raw.geometry
    table = gpd.GeoDataFrame(out, geometry="geometry", crs=raw.crs)
    table.attrs["repairs"] = repairs_frame(repairs)
    table.attrs["as_of"] = when
    return table


def _schedule(out: pd.DataFrame, when: pd.Timestamp | None, rules: ProgrammeRules) -> None:
    """Add the deadline and schedule columns for the date ``when`` (all <NA> without one)."""
    n = len(out)
    if when is None:
        out["expected_pct"] = np.full(n, np.nan)
        out["behind_points"] = np.full(n, np.nan)
        for col in ("behind_schedule", "overdue"):
            out[col] = pd.array([pd.NA] * n, dtype="boolean")
        out["days_overdue"] = pd.array([pd.NA] * n, dtype="Int64")
        return
    start, deadline = out["start_date"], out["deadline"]
    done = out["completed"].to_numpy(dtype=bool)
    span = (deadline - start).dt.days.astype("float64")
    elapsed = (when - start).dt.days.astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(span > 0, elapsed / span, np.where(when >= deadline, 1.0, 0.0))
    known = start.notna() & deadline.notna()
    expected = pd.Series(np.where(known, 100.0 * np.clip(frac, 0.0, 1.0), np.nan), index=out.index)
    out["expected_pct"] = expected
    out["behind_points"] = expected - out["completion_pct"]
    has_deadline = deadline.notna().to_numpy()
    late = has_deadline & ~done & (deadline < when).to_numpy(dtype=bool)
    overdue = pd.array(np.where(has_deadline, late, False), dtype="boolean")
    overdue[~has_deadline] = pd.NA
    out["overdue"] = overdue
    days = pd.array(np.where(late, (when - deadline).dt.days.fillna(0), 0), dtype="Int64")
    days[~has_deadline] = pd.NA
    out["days_overdue"] = days
    behind = out["behind_points"].to_numpy() > rules.behind_schedule_points
    flag = pd.array(behind & ~done & ~late, dtype="boolean")
    flag[out["behind_points"].isna().to_numpy() & ~done] = pd.NA
    out["behind_schedule"] = flag
