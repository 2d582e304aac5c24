"""The construction programme: investment, progress, acceptance, subsidies, and the town before and after.

The 2017 small-town programmes (docs/sources.md §1) run projects as much as they plan them: each project
has an investment and its funding sources, a stage and a deadline; towns report progress weekly; in
December the city inspects and accepts the works, pays the subsidies and ranks the towns; each town
shows itself before and after. The rules (stages, funding sources, checks, acceptance, allocation,
comparison) are in ``townplan_gis/data/programme.toml``.

>>> import townplan_gis as tp
>>> from townplan_gis import construction as pg
>>> p = pg.programme(tp.sample_town(), as_of="2017-11-06")
>>> street = p.by_item.set_index("programme_item").loc["商业街改造工程"]
>>> float(street["declared_total_wan_yuan"]), float(street["works_total_wan_yuan"])
(2700.0, 2118.0)

Modules: :mod:`~townplan_gis.construction.table` (one row per project), :mod:`~townplan_gis.construction.summary`
(:func:`programme`), :mod:`~townplan_gis.construction.progress` (:func:`progress`, the 周报),
:mod:`~townplan_gis.construction.acceptance` (:func:`acceptance`, with :mod:`~townplan_gis.construction.subsidy`
and :mod:`~townplan_gis.construction.record`), :mod:`~townplan_gis.construction.competition`
(:func:`competition`), :mod:`~townplan_gis.construction.compare` (:func:`compare`, with
:mod:`~townplan_gis.construction.diff`), :mod:`~townplan_gis.construction.rules`.
"""

from townplan_gis.construction.acceptance import Acceptance, acceptance
from townplan_gis.construction.compare import Comparison, compare
from townplan_gis.construction.competition import League, competition
from townplan_gis.construction.diff import diff_layer
from townplan_gis.construction.progress import Progress, progress
from townplan_gis.construction.rules import ProgrammeRules, load_programme_rules
from townplan_gis.construction.subsidy import Allocated, allocate
from townplan_gis.construction.summary import Programme, programme
from townplan_gis.construction.table import parse_date, project_table

__all__ = [
    "Acceptance",
    "Allocated",
    "Comparison",
    "League",
    "Programme",
    "ProgrammeRules",
    "Progress",
    "acceptance",
    "allocate",
    "compare",
    "competition",
    "diff_layer",
    "load_programme_rules",
    "parse_date",
    "programme",
    "progress",
    "project_table",
]
