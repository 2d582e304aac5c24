"""Planner deliverables: the town report (HTML), the Excel workbook and the per-project review opinion.

Every function here takes products already computed (indicators, scorecard, review, the map's page) and
computes none of them: :class:`townplan_gis.Pipeline` computes each once and hands it to each
deliverable (``job.write_report``, ``job.write_workbook``, ``job.write_opinions``).

>>> import townplan_gis as tp
>>> town = tp.sample_town()
>>> tp.to_excel("workbook.xlsx", indicators=tp.town_indicators(town))  # doctest: +SKIP

Modules: :mod:`.report` (:func:`build_report`, the page from its parts), :mod:`.sections` (the report's
sections as template context), :mod:`.workbook` (:func:`to_excel`) over :mod:`.sheets` (typed, styled,
formula-safe sheets), :mod:`.opinion` (:func:`project_opinion`), :mod:`.opinion_files`
(:func:`write_opinions`, one page per project and an index), :mod:`.charts` (matplotlib figures as PNG),
:mod:`.tables` (the rows every deliverable shares), :mod:`.labels` (headers and texts, zh/en),
:mod:`.pages` (templates, stylesheet, writing a page), ``templates/`` (Jinja2 pages and the print
stylesheet).
"""

from townplan_gis.deliverables.opinion import project_opinion
from townplan_gis.deliverables.opinion_files import opinion_filenames, write_opinions
from townplan_gis.deliverables.report import build_report
from townplan_gis.deliverables.workbook import display_width, to_excel

__all__ = [
    "build_report",
    "display_width",
    "opinion_filenames",
    "project_opinion",
    "to_excel",
    "write_opinions",
]
