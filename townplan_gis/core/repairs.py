"""The record of what townplan_gis changed in a planner's data (renames, repairs, reprojections)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["REPAIR_COLUMNS", "Repair", "repairs_frame"]

REPAIR_COLUMNS = ["layer", "action", "count", "rows", "detail"]


@dataclass(frozen=True)
class Repair:
    """One recorded change: which layer, what was done, to which rows (index labels), and why."""

    layer: str
    action: str
    rows: list = field(default_factory=list)
    detail: str = ""

    def as_dict(self) -> dict:
        return {
            "layer": self.layer,
            "action": self.action,
            "count": len(self.rows),
            "rows": list(self.rows),
            "detail": self.detail,
        }


def repairs_frame(repairs: Iterable[Repair]) -> pd.DataFrame:
    """Repairs as a DataFrame with columns ``layer, action, count, rows, detail``."""
    return pd.DataFrame([r.as_dict() for r in repairs], columns=REPAIR_COLUMNS)
