"""Sharing the subsidy fund (以奖代补): the office's share, then the rest by weight, in whole units.

The allocation works in whole payment units (``unit_wan_yuan``, 0.01 万元 = 100 元 by default) with
exact fractions: each eligible town gets the whole units of its exact share, and the units left over
go one each to the largest remainders (ties: the order given, i.e. the ranking). So the subsidies, the
office's share and what is left unallocated add up to the fund exactly. Sources:
docs/sources.md#programme-subsidy (office share 1 %, matching 1:1), docs/sources.md#programme-rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from townplan_gis.core.errors import TownPlanError

__all__ = ["Allocated", "allocate"]


@dataclass(frozen=True)
class Allocated:
    """The fund shared out: per-town subsidies (万元, and in whole units), office share, rest."""

    subsidies_wan_yuan: np.ndarray
    units: np.ndarray
    office_wan_yuan: float
    unallocated_wan_yuan: float
    distributable_wan_yuan: float
    unit_wan_yuan: float


def _units(amount: float, unit: float, what: str) -> int:
    if isinstance(amount, bool) or not isinstance(amount, (int, float, np.number)):
        raise TownPlanError(f"{what} must be a number of 万元, got {amount!r}.")
    if not math.isfinite(amount) or amount < 0:
        raise TownPlanError(f"{what} must be a finite amount ≥ 0 万元, got {amount!r}.")
    n = amount / unit
    if abs(n - round(n)) > 1e-6:
        raise TownPlanError(
            f"{what} {amount!r} 万元 is not a whole number of payment units of {unit:g} 万元. "
            f"Fix: round it to {unit:g} 万元."
        )
    return round(n)


def allocate(
    weights: Sequence[float],
    eligible: Sequence[bool],
    *,
    fund_wan_yuan: float,
    office_share_pct: float,
    unit_wan_yuan: float = 0.01,
    names: Sequence[str] | None = None,
) -> Allocated:
    """Share a fund among towns in proportion to their weights, eligible towns only.

    .. math::

        O = \\operatorname{round}(F \\cdot o / 100),\\quad D = F - O,\\quad
        s_i = D \\cdot \\frac{w_i}{\\sum_{j\\ \\text{eligible}} w_j}\\ (i\\ \\text{eligible}),
        \\quad s_i = 0\\ \\text{otherwise}

    in whole units of ``unit_wan_yuan`` (floors of the exact shares, the remaining units to the largest
    remainders, ties in the given order). With no eligible town, or all eligible weights 0, nothing is
    shared and D is left unallocated.

    Parameters
    ----------
    weights : sequence of float
        One weight per town (score, 1, investment completed …), finite and ≥ 0 for eligible towns.
    eligible : sequence of bool
        Whether each town shares (e.g. accepted).
    fund_wan_yuan : float
        The fund F, 万元, a whole number of units.
    office_share_pct : float
        The office's share o, % of the fund (rounded half up to a whole unit).
    unit_wan_yuan : float, default 0.01
        The payment unit (0.01 万元 = 100 元).
    names : sequence of str, optional
        Town names, for error messages.

    Returns
    -------
    Allocated

    Raises
    ------
    TownPlanError
        A negative, infinite or fractional-unit fund; an office share outside 0–100 %; a weight
        of an eligible town that is negative, infinite or missing; lengths that differ.

    Examples
    --------
    >>> a = allocate([90, 60, 50], [True, True, False], fund_wan_yuan=1000, office_share_pct=1)
    >>> a.office_wan_yuan, a.subsidies_wan_yuan.tolist(), a.unallocated_wan_yuan
    (10.0, [594.0, 396.0, 0.0], 0.0)
    """
    n = len(weights)
    if len(eligible) != n or (names is not None and len(names) != n):
        raise TownPlanError("allocate: weights, eligible and names must have one entry per town.")
    if not 0 <= office_share_pct <= 100:
        raise TownPlanError(f"office share {office_share_pct!r} % must lie between 0 and 100.")
    fund = _units(fund_wan_yuan, unit_wan_yuan, "the fund")
    office = math.floor(Fraction(fund) * Fraction(office_share_pct) / 100 + Fraction(1, 2))
    distributable = fund - office
    who = list(names) if names is not None else [f"town #{i + 1}" for i in range(n)]
    w: list[Fraction] = []
    for i, (x, ok) in enumerate(zip(weights, eligible, strict=True)):
        if not ok:
            w.append(Fraction(0))
            continue
        if x is None or not math.isfinite(float(x)) or float(x) < 0:
            raise TownPlanError(
                f"allocate: {who[i]} shares the fund but its weight is {x!r}; a weight must be a "
                f"finite number ≥ 0 (a missing figure cannot earn a share)."
            )
        w.append(Fraction(float(x)))
    total = sum(w, Fraction(0))
    units = np.zeros(n, dtype=np.int64)
    if total > 0:
        exact = [distributable * wi / total for wi in w]
        base = [math.floor(e) for e in exact]
        left = distributable - sum(base)
        # Largest remainder first; equal remainders in the order given (the ranking).
        order = sorted((i for i in range(n) if w[i] > 0), key=lambda i: (-(exact[i] - base[i]), i))
        for i in order[:left]:
            base[i] += 1
        units[:] = base
    allocated = int(units.sum())
    return Allocated(
        subsidies_wan_yuan=np.round(units * unit_wan_yuan, 10),
        units=units,
        office_wan_yuan=round(office * unit_wan_yuan, 10),
        unallocated_wan_yuan=round((distributable - allocated) * unit_wan_yuan, 10),
        distributable_wan_yuan=round(distributable * unit_wan_yuan, 10),
        unit_wan_yuan=unit_wan_yuan,
    )
