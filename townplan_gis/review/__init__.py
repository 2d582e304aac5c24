"""Five-control-line review: every project checked against the red, green, purple, blue and yellow lines.

>>> import townplan_gis as tp
>>> town = tp.sample_town()
>>> result = tp.review(town.projects, town.control_lines)  # doctest: +SKIP
>>> result.projects[["project_id", "verdict", "reason"]]  # doctest: +SKIP

Modules: :mod:`~townplan_gis.review.rules` (the declarative rule file), :mod:`~townplan_gis.review.kernel`
(the vectorised overlap kernel and :func:`~townplan_gis.review.kernel.review_chunk`, the unit of work of
every engine), :mod:`~townplan_gis.review.setbacks`, :mod:`~townplan_gis.review.derive` (control lines
derived from roads, water, heritage, green land and facilities), :mod:`~townplan_gis.review.result`
(the :class:`Review`), :mod:`~townplan_gis.review.engine` (:func:`review` itself).
"""

from townplan_gis.review.derive import derive_control_lines, derive_red_lines
from townplan_gis.review.engine import review, review_town
from townplan_gis.review.kernel import prepare_lines, review_chunk
from townplan_gis.review.result import Review
from townplan_gis.review.rules import Rules, load_rules
from townplan_gis.review.totals import type_totals

__all__ = [
    "Review",
    "Rules",
    "derive_control_lines",
    "derive_red_lines",
    "load_rules",
    "prepare_lines",
    "review",
    "review_chunk",
    "review_town",
    "type_totals",
]
