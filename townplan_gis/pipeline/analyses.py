"""The planning analyses of a :class:`~townplan_gis.pipeline.Pipeline`, each computed once: the
control-line self-check (:func:`townplan_gis.check_lines`) and the park service coverage with the
life circles (:func:`townplan_gis.park_service_coverage`, :func:`townplan_gis.life_circles`).

The report and the workbook take them from here, so each is computed once per job.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

import pandas as pd

from townplan_gis.analyses import LineCheck, ServiceCoverage, check_lines
from townplan_gis.analyses import life_circles as run_life_circles
from townplan_gis.analyses import park_service_coverage as run_coverage
from townplan_gis.core.town import Town

__all__ = ["AnalysisProducts"]

log = logging.getLogger(__name__)


class AnalysisProducts:
    """Cached analyses of ``self.town`` (mixed into the Pipeline)."""

    town: Town

    @property
    def has_line_check(self) -> bool:
        """The town has control lines to check against each other."""
        return self.town.has("control_lines")

    @property
    def has_coverage(self) -> bool:
        """The town has residential quarters and roads to measure service coverage on."""
        return self.town.has("residential") and self.town.has("roads")

    @cached_property
    def line_check(self) -> LineCheck | None:
        """The control-line self-check of the town (None without control lines), computed once."""
        if not self.has_line_check:
            return None
        log.info("pipeline: line self-check of %s", self.town.name)
        return check_lines(self.town)

    @cached_property
    def coverage(self) -> ServiceCoverage | None:
        """Park service radius coverage (None without residential quarters and roads)."""
        if not self.has_coverage:
            return None
        log.info("pipeline: park service coverage of %s", self.town.name)
        return run_coverage(self.town)

    @cached_property
    def life_circles(self) -> pd.DataFrame | None:
        """Life-circle coverage by category (None without residential quarters and roads)."""
        if not self.has_coverage:
            return None
        log.info("pipeline: life circles of %s", self.town.name)
        return run_life_circles(self.town)

    def map_analyses(self) -> dict[str, Any]:
        """The analyses as options of :func:`townplan_gis.plan_map`: their layers are drawn
        switched off (on from the layer list)."""
        return {"line_check": self.line_check, "coverage": self.coverage}

    def analysis_products(self) -> dict[str, Any]:
        """The analyses as keyword arguments of the report and the workbook."""
        return {
            "line_check": self.line_check,
            "coverage": self.coverage,
            "life_circles": self.life_circles,
        }
