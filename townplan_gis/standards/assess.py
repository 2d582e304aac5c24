"""The scorecard: one town's indicators against one standard, one row per target."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.reprs import as_scorecard
from townplan_gis.indicators.registry import indicator_info, reported_info
from townplan_gis.indicators.table import town_indicators
from townplan_gis.standards.load import Standard, load_standard

__all__ = ["SCORECARD_COLUMNS", "assess"]

SCORECARD_COLUMNS = [
    "key",
    "name_zh",
    "name_en",
    "value",
    "target",
    "comparator",
    "status",
    "gap",
    "unit",
    "source",
    "note",
]


def _indicator_table(town: Any, options: Mapping[str, Any]) -> pd.DataFrame:
    if isinstance(town, pd.DataFrame):
        if not {"key", "value"} <= set(town.columns):
            raise TownPlanError("an indicator table needs the columns 'key' and 'value'.")
        if options:
            raise TownPlanError(
                f"indicator options {sorted(options)} cannot change a precomputed indicator table. "
                f"Fix: pass them to tp.town_indicators(town, ...) when computing the table, or pass the Town."
            )
        return town
    return town_indicators(town, **options)


def assess(town: Any, standard: str | Path | Standard, **indicator_options: Any) -> pd.DataFrame:
    """Scorecard of a town against a standard, one row per target.

    Parameters
    ----------
    town : Town or DataFrame
        A town, or its indicator table (``tp.town_indicators(town)``) computed beforehand.
    standard : str, Path or Standard
        Packaged name (``ezhou-2017``, ``weicheng-2017``, ``national-2016``, ``gb50188-2007``) or a
        TOML file.
    **indicator_options
        Passed to ``tp.town_indicators(town)`` (e.g. ``coverage_distance_m=200``).

    Returns
    -------
    pandas.DataFrame
        Columns ``key, name_zh, name_en, value, target, comparator, status, gap, unit, source, note``.
        ``status`` is ``pass``, ``fail`` or ``not_evaluable`` (value missing — never a pass); ``gap``
        is the signed margin (≥ 0 met, < 0 short), NaN when not evaluable.

    Raises
    ------
    DataFileError
        The standard cannot be loaded (see :func:`load_standard`).
    TownPlanError
        ``town`` is a table without ``key``/``value`` columns, or a precomputed table is given
        together with indicator options (they could not be applied).

    Examples
    --------
    >>> import townplan_gis as tp
    >>> card = tp.assess(tp.sample_town(), "ezhou-2017")
    >>> row = card.set_index("key").loc["paving_rate_pct"]
    >>> row["status"], round(float(row["gap"]), 1)  # 77.3 % paved against 90 %
    ('fail', -12.7)
    """
    std = load_standard(standard)
    table = _indicator_table(town, indicator_options)
    rows = {k: i for i, k in enumerate(table["key"])}
    values = table["value"].to_numpy()
    notes = table["note"].to_numpy() if "note" in table.columns else None
    records = []
    for t in std.targets:
        info = reported_info(t.key) if t.reported else indicator_info(t.key)
        i = rows.get(t.key)
        value = float(values[i]) if i is not None else math.nan
        status, gap = t.evaluate(value)
        value_note = (notes[i] if notes is not None and i is not None else "") or ""
        if i is None:
            value_note = "indicator not computed for this town"
        note = "; ".join(n for n in (t.note, value_note) if n)
        records.append(
            (
                t.key,
                info.name_zh,
                info.name_en,
                value,
                t.target_text,
                t.comparator,
                status,
                gap,
                t.unit,
                t.source,
                note,
            )
        )
    return as_scorecard(pd.DataFrame.from_records(records, columns=SCORECARD_COLUMNS), std)
