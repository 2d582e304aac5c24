"""``progress(snapshots)``: the weekly progress report (周报) from dated snapshots of the projects layer.

The 2017 Weicheng plan asks the towns for weekly progress reports (docs/sources.md#weicheng-2017). Each
snapshot is the projects layer (or its table) as reported on a date; projects are followed by their
``project_id``. The report says what moved since the previous snapshot, what is late on each date
(past its deadline, or behind its straight-line schedule) and the investment completed
(Σ investment × completion %). Snapshots of different towns, or without project ids to follow, are
refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from townplan_gis.construction.rules import load_programme_rules
from townplan_gis.construction.table import parse_date, project_table
from townplan_gis.core.errors import TownPlanError, _rows
from townplan_gis.core.town import Town

__all__ = ["Progress", "progress"]

_KEEP = [
    "project_id",
    "name",
    "project_type",
    "programme_item",
    "stage",
    "completion_pct",
    "completed",
    "investment_wan_yuan",
    "completed_investment_wan_yuan",
    "start_date",
    "deadline",
    "expected_pct",
    "behind_schedule",
    "overdue",
    "days_overdue",
]


@dataclass(frozen=True)
class Progress:
    """Progress over dated snapshots (:func:`progress`).

    Attributes
    ----------
    town : str or None
        The town's name when the snapshots are Towns.
    dates : list of pandas.Timestamp
        The snapshot dates, oldest first.
    snapshots : pandas.DataFrame
        One row per date × project: ``date`` and the programme table's columns (completion %,
        completed, investment and investment completed in 万元, deadline, overdue …), each project's
        deadline status as of its snapshot's date.
    weekly : pandas.DataFrame
        One row per date: ``n_projects, n_completed, n_overdue, n_behind_schedule,
        investment_wan_yuan, completed_investment_wan_yuan, completed_investment_pct`` (Σ completed
        ÷ Σ investment × 100), ``completed_investment_added_wan_yuan`` (since the previous
        snapshot), ``n_moved, n_added, n_removed, n_regressed``.
    moved : pandas.DataFrame
        What changed between consecutive snapshots: ``date_from, date_to, project_id, name,
        change`` (completed / advanced / regressed / stage / added / removed),
        ``completion_from, completion_to, delta_points, stage_from, stage_to,
        completed_investment_added_wan_yuan``.
    late : pandas.DataFrame
        Per date, the projects past their deadline and not completed (``why = "overdue"``) or
        behind schedule: ``date, project_id, name, why, deadline, days_overdue, completion_pct,
        expected_pct``.
    """

    town: str | None
    dates: list[pd.Timestamp]
    snapshots: pd.DataFrame
    weekly: pd.DataFrame
    moved: pd.DataFrame
    late: pd.DataFrame

    def report(self, date: Any = None) -> dict[str, pd.DataFrame]:
        """The 周报 of one snapshot date (default the latest): ``summary`` (its row of
        :attr:`weekly`), ``moved`` (since the previous snapshot), ``late`` (on that date).

        Raises
        ------
        TownPlanError
            ``date`` is not one of the snapshot dates.
        """
        when = self.dates[-1] if date is None else parse_date(date, what="report date")
        if when not in self.dates:
            shown = [f"{d:%Y-%m-%d}" for d in self.dates]
            raise TownPlanError(f"no snapshot on {when:%Y-%m-%d}; snapshot dates: {shown}.")
        return {
            "summary": self.weekly[self.weekly["date"] == when].reset_index(drop=True),
            "moved": self.moved[self.moved["date_to"] == when].reset_index(drop=True),
            "late": self.late[self.late["date"] == when].reset_index(drop=True),
        }

    def __repr__(self) -> str:
        span = f"{self.dates[0]:%Y-%m-%d} … {self.dates[-1]:%Y-%m-%d}"
        return f"<Progress {self.town or '(projects)'}: {len(self.dates)} snapshots {span}>"


def _items(snapshots: Any) -> list[tuple[pd.Timestamp, Any]]:
    if isinstance(snapshots, Mapping):
        pairs = list(snapshots.items())
    else:
        try:
            pairs = list(snapshots)
        except TypeError:
            pairs = None
        if pairs is None or not all(isinstance(p, tuple) and len(p) == 2 for p in pairs):
            raise TownPlanError(
                "progress(snapshots): give a mapping {date: town or projects table} or a list of "
                "(date, town or projects table) pairs."
            )
    if not pairs:
        raise TownPlanError("progress(snapshots): no snapshots given.")
    dated = [(parse_date(d, what="snapshot date"), x) for d, x in pairs]
    seen: dict[pd.Timestamp, int] = {}
    for d, _ in dated:
        seen[d] = seen.get(d, 0) + 1
    twice = [f"{d:%Y-%m-%d}" for d, k in seen.items() if k > 1]
    if twice:
        raise TownPlanError(
            f"progress(snapshots): more than one snapshot dated {twice}. Fix: one snapshot per "
            f"date (keep the latest report of that day)."
        )
    return sorted(dated, key=lambda p: p[0])


def _one_town(dated: list[tuple[pd.Timestamp, Any]]) -> str | None:
    names = {d: x.name for d, x in dated if isinstance(x, Town)}
    distinct = list(dict.fromkeys(names.values()))
    if len(distinct) > 1:
        first = distinct[0]
        other = {f"{d:%Y-%m-%d}": n for d, n in names.items() if n != first}
        raise TownPlanError(
            f"progress(snapshots): the snapshots are of different towns: {other} besides "
            f"'{first}'. A progress report follows one town; report each town on its own."
        )
    return distinct[0] if distinct else None


def _check_ids(table: pd.DataFrame, when: pd.Timestamp) -> None:
    pid = table["project_id"]
    missing = pid.isna()
    if missing.any():
        raise TownPlanError(
            f"snapshot {when:%Y-%m-%d}: projects without project_id in rows "
            f"{_rows(table.index[missing])}; progress follows each project by its id. Fix: give "
            f"every project its 项目编号."
        )
    dup = pid.duplicated(keep=False)
    if dup.any():
        raise TownPlanError(
            f"snapshot {when:%Y-%m-%d}: project_id {sorted(set(pid[dup]))[:10]} used by more than "
            f"one project (rows {_rows(table.index[dup])}); progress cannot tell them apart. "
            f"Fix: give each project its own 项目编号."
        )


def _moved(a: pd.DataFrame, b: pd.DataFrame, d0: pd.Timestamp, d1: pd.Timestamp) -> pd.DataFrame:
    m = a.merge(b, on="project_id", how="outer", suffixes=("_from", "_to"), indicator=True)
    c0, c1 = m["completion_pct_from"], m["completion_pct_to"]
    delta = c1 - c0
    stage_changed = m["stage_from"].fillna("") != m["stage_to"].fillna("")
    became_done = ~m["completed_from"].astype("boolean").fillna(False) & m["completed_to"].astype(
        "boolean"
    ).fillna(False)
    change = np.select(
        [
            (m["_merge"] == "right_only").to_numpy(),
            (m["_merge"] == "left_only").to_numpy(),
            became_done.to_numpy(dtype=bool),
            (delta > 0).to_numpy(),
            (delta < 0).to_numpy(),
            stage_changed.to_numpy(),
        ],
        ["added", "removed", "completed", "advanced", "regressed", "stage"],
        default="",
    )
    done0 = m["completed_investment_wan_yuan_from"]
    done1 = m["completed_investment_wan_yuan_to"]
    out = pd.DataFrame(
        {
            "date_from": d0,
            "date_to": d1,
            "project_id": m["project_id"],
            "name": m["name_to"].where(m["name_to"].notna(), m["name_from"]),
            "change": change,
            "completion_from": c0,
            "completion_to": c1,
            "delta_points": delta,
            "stage_from": m["stage_from"],
            "stage_to": m["stage_to"],
            "completed_investment_added_wan_yuan": done1.fillna(0) - done0.fillna(0),
        }
    )
    return out[out["change"] != ""].reset_index(drop=True)


def _late(snap: pd.DataFrame) -> pd.DataFrame:
    overdue = snap["overdue"].fillna(False).astype(bool)
    behind = snap["behind_schedule"].fillna(False).astype(bool)
    rows = snap[overdue | behind]
    out = rows[["date", "project_id", "name"]].copy()
    out["why"] = np.where(overdue[overdue | behind], "overdue", "behind_schedule")
    for col in ("deadline", "days_overdue", "completion_pct", "expected_pct"):
        out[col] = rows[col]
    return out.reset_index(drop=True)


def progress(snapshots: Any, *, rules: Any = None) -> Progress:
    """The weekly progress report over dated snapshots of one town's projects.

    .. math:: I_\\text{done}(t) = \\sum_p I_p \\cdot c_p(t) / 100

    (investment completed on date t, 万元; c the completion %); the added investment between two
    snapshots is the difference. Each snapshot's deadlines are checked as of its own date. Sources:
    docs/sources.md#weicheng-2017 (weekly reports), docs/sources.md#programme-rules.

    Parameters
    ----------
    snapshots : mapping of date to Town/GeoDataFrame/DataFrame, or list of (date, …) pairs
        The projects as reported on each date (``{"2017-10-13": town_a, "2017-10-20": town_b}``);
        dates in any accepted form (``2017-10-20``, ``2017年10月20日``). Not modified.
    rules : path or ProgrammeRules, optional
        Default ``townplan_gis/data/programme.toml``.

    Returns
    -------
    Progress

    Raises
    ------
    TownPlanError
        No snapshot, two on one date, snapshots of different towns (Towns with different names,
        or tables sharing no project_id with the previous snapshot), projects without a
        project_id or with one used twice in a snapshot, an unreadable date.

    Examples
    --------
    >>> import pandas as pd
    >>> def week(pcts):
    ...     return pd.DataFrame({"project_id": ["A", "B"], "project_type": "road",
    ...                          "investment_wan_yuan": [100.0, 300.0],
    ...                          "deadline": "2017-10-31", "completion_pct": pcts})
    >>> p = progress({"2017-10-27": week([80, 50]), "2017-11-03": week([100, 60])})
    >>> p.weekly[["completed_investment_wan_yuan", "completed_investment_added_wan_yuan",
    ...           "n_overdue"]].values.tolist()
    [[230.0, nan, 0], [280.0, 50.0, 1]]
    >>> p.moved[["project_id", "change", "delta_points"]].values.tolist()
    [['A', 'completed', 20.0], ['B', 'advanced', 10.0]]
    """
    rules = load_programme_rules(rules)
    dated = _items(snapshots)
    town = _one_town(dated)
    tables = []
    for when, x in dated:
        t = project_table(x, as_of=when, rules=rules)
        _check_ids(t, when)
        tables.append((when, pd.DataFrame(t[_KEEP]).reset_index(drop=True)))
    for (d0, a), (d1, b) in pairwise(tables):
        if len(a) and len(b) and not set(a["project_id"]) & set(b["project_id"]):
            raise TownPlanError(
                f"snapshot {d1:%Y-%m-%d} shares no project_id with the snapshot of {d0:%Y-%m-%d}: "
                f"a snapshot of another town? Fix: give the snapshots of one town; if its projects "
                f"were renumbered, use the same 项目编号 in every snapshot."
            )
    snaps = pd.concat([t.assign(date=d) for d, t in tables], ignore_index=True)
    snaps = snaps[["date", *_KEEP]]
    moved = [_moved(a, b, d0, d1) for (d0, a), (d1, b) in pairwise(tables)]
    moved_all = (
        pd.concat(moved, ignore_index=True)
        if moved
        else _moved(tables[0][1].iloc[:0], tables[0][1].iloc[:0], dated[0][0], dated[0][0])
    )
    return Progress(
        town=town,
        dates=[d for d, _ in tables],
        snapshots=snaps,
        weekly=_weekly(snaps, moved_all),
        moved=moved_all,
        late=_late(snaps),
    )


def _weekly(snaps: pd.DataFrame, moved: pd.DataFrame) -> pd.DataFrame:
    g = snaps.groupby("date", sort=True)
    out = pd.DataFrame(
        {
            "n_projects": g.size(),
            "n_completed": g["completed"].sum(),
            "n_overdue": g["overdue"].sum(),
            "n_behind_schedule": g["behind_schedule"].sum(),
        }
    ).astype("Int64")
    for col in ("investment_wan_yuan", "completed_investment_wan_yuan"):
        out[col] = g[col].sum().astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["completed_investment_pct"] = (
            100.0 * out["completed_investment_wan_yuan"] / out["investment_wan_yuan"]
        )
    out["completed_investment_added_wan_yuan"] = out["completed_investment_wan_yuan"].diff()
    counts = moved.groupby(["date_to", "change"]).size().unstack(fill_value=0)
    counts["moved"] = counts.sum(axis=1)
    for change in ("moved", "added", "removed", "regressed"):
        col = counts[change] if change in counts else pd.Series(dtype="int64")
        values = col.reindex(out.index, fill_value=0).astype("Int64")
        values.iloc[0] = pd.NA  # nothing to compare the first snapshot with
        out[f"n_{change}"] = values
    return out.rename_axis("date").reset_index()
