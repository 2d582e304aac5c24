"""Planner deliverables: the town report (HTML), the Excel workbook and the per-project review opinion.

>>> import townplan_gis as tp
>>> town = tp.sample_town()
>>> tp.report(town, standard="ezhou-2017", review=True, path="report.html")  # doctest: +SKIP
>>> tp.to_excel("workbook.xlsx", indicators=tp.town_indicators(town))  # doctest: +SKIP

Modules: :mod:`.html` (:func:`report`), :mod:`.excel` (:func:`to_excel`), :mod:`.opinion`
(:func:`project_opinion`, :func:`write_opinions`), :mod:`.charts` (matplotlib figures as PNG), :mod:`.tables` (the rows every
deliverable shares), ``templates/`` (Jinja2 pages and the print stylesheet).
"""

from townplan_gis.deliverables.opinion import opinion_filenames, project_opinion, write_opinions
from townplan_gis.deliverables.report import build_report, report
from townplan_gis.deliverables.workbook import display_width, to_excel

__all__ = [
    "build_report",
    "display_width",
    "opinion_filenames",
    "project_opinion",
    "report",
    "to_excel",
    "write_opinions",
]
