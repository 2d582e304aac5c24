"""Five-control-line review: every project checked against the red, green, purple, blue and yellow lines.

>>> import townplan_gis as tp
>>> town = tp.sample_town()
>>> result = tp.review(town.projects, town.control_lines)  # doctest: +SKIP
>>> result.projects[["project_id", "verdict", "reason"]]  # doctest: +SKIP

The review in layers (see :mod:`~townplan_gis.fiveline.engine` for the whole map):
:mod:`~townplan_gis.fiveline.prepare` and :mod:`~townplan_gis.fiveline.lines` (preparation),
:mod:`~townplan_gis.fiveline.rules` (the declarative rule file), :mod:`~townplan_gis.fiveline.overlap`
(the plain reference engine) and :mod:`townplan_gis.fiveline.fast` (its accelerator),
:mod:`~townplan_gis.fiveline.grade` and :mod:`~townplan_gis.fiveline.setbacks` (grading),
:mod:`~townplan_gis.fiveline.chunk` (:func:`review_chunk`, the unit of work of every execution
engine), :mod:`~townplan_gis.fiveline.result` (the :class:`Review`), :mod:`~townplan_gis.fiveline.derive`
(control lines derived from roads, water, heritage, green land and facilities),
:mod:`~townplan_gis.fiveline.engine` (the review itself) and
:mod:`~townplan_gis.fiveline.sanqu` (:func:`review`: the three control lines 三区三线 and the choice
of line families, around the engine).
"""

from townplan_gis.fiveline.chunk import review_chunk
from townplan_gis.fiveline.derive import derive_control_lines, derive_red_lines
from townplan_gis.fiveline.engine import town_inputs
from townplan_gis.fiveline.lines import prepare_lines
from townplan_gis.fiveline.memory import ReviewEstimate, ReviewTooLarge, estimate_review
from townplan_gis.fiveline.result import Review
from townplan_gis.fiveline.rules import Rules, load_rules
from townplan_gis.fiveline.sanqu import review
from townplan_gis.fiveline.totals import type_totals

__all__ = [
    "Review",
    "ReviewEstimate",
    "ReviewTooLarge",
    "Rules",
    "derive_control_lines",
    "derive_red_lines",
    "estimate_review",
    "load_rules",
    "prepare_lines",
    "review",
    "review_chunk",
    "town_inputs",
    "type_totals",
]
