"""A standard's target: an indicator key, a comparator, a threshold and its unit; how a value meets it.

A comparison tolerates relative rounding noise of 1e-9, so 99.99999999999 % meets a 100 % target;
a missing value is ``not_evaluable``, never a pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["COMPARATORS", "RANGE_COMPARATORS", "Target"]

COMPARATORS = (">=", ">", "<=", "<", "==", "between", "between_left_open")
RANGE_COMPARATORS = ("between", "between_left_open")
# Relative tolerance of comparisons, so 99.99999999999 % of rounding noise meets a 100 % target.
_RTOL = 1e-9


@dataclass(frozen=True)
class Target:
    """One target of a standard."""

    key: str
    comparator: str
    threshold: float | tuple[float, float]
    unit: str
    source: str
    note: str = ""
    weight: float = 1.0
    reported: bool = False

    def _range(self) -> tuple[float, float]:
        """``(low, high)`` of a range target; one threshold is the range [t, t]."""
        t = self.threshold
        return (t[0], t[1]) if isinstance(t, tuple) else (t, t)

    def _single(self) -> float:
        """The threshold of a one-number target (a range's low bound otherwise)."""
        return self._range()[0]

    @property
    def target_text(self) -> Any:
        lo, hi = self._range()
        if self.comparator == "between":
            return f"[{lo:g}, {hi:g}]"
        if self.comparator == "between_left_open":
            return f"({lo:g}, {hi:g}]"
        return self.threshold

    def evaluate(self, value: float) -> tuple[str, float]:
        """``(status, gap)``; gap ≥ 0 is the margin by which the target is met, < 0 the shortfall."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "not_evaluable", math.nan
        v, c = float(value), self.comparator
        if c in RANGE_COMPARATORS:
            lo, hi = self._range()
            gap = min(v - lo, hi - v)
            eps = _RTOL * max(1.0, abs(lo), abs(hi))
            ok = lo - eps <= v <= hi + eps if c == "between" else lo + eps < v <= hi + eps
            return ("pass" if ok else "fail"), gap
        t = self._single()
        eps = _RTOL * max(1.0, abs(t))
        if c in (">=", ">"):
            gap = v - t
            ok = gap >= -eps if c == ">=" else gap > eps
        elif c in ("<=", "<"):
            gap = t - v
            ok = gap >= -eps if c == "<=" else gap > eps
        else:
            gap = -abs(v - t)
            ok = gap >= -eps
        return ("pass" if ok else "fail"), gap

    def relative_shortfall(self, value: float) -> float:
        """How far ``value`` is from this target, relative to the threshold it misses.

        .. math:: r = \\frac{|\\text{gap}|}{|t|}\\ \\text{(failed)},\\quad r = 0\\ \\text{(passed)}

        ``t`` is the threshold, or for a range the bound that is missed; when that bound is 0 the
        relative gap is undefined and ``r`` is the absolute gap in the target's unit.

        Returns
        -------
        float
            0 for a pass, ``r`` ≥ 0 for a fail, NaN when the value is missing (not evaluable).
        """
        status, gap = self.evaluate(value)
        if status == "not_evaluable":
            return math.nan
        if status == "pass":
            return 0.0
        bound = self._single()
        if self.comparator in RANGE_COMPARATORS:
            lo, hi = self._range()
            bound = lo if float(value) - lo <= hi - float(value) else hi
        bound = abs(bound)
        return abs(gap) / bound if bound > 0 else abs(gap)
