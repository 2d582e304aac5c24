"""Planner deliverables: the town report (HTML), the Excel workbook and the per-project review opinion.

>>> import townplan_gis as tp
>>> town = tp.sample_town()
>>> tp.report(town, standard="ezhou-2017", review=True, path="report.html")  # doctest: +SKIP
>>> tp.to_excel("workbook.xlsx", indicators=town.indicators())  # doctest: +SKIP

Modules: :mod:`.html` (:func:`report`), :mod:`.excel` (:func:`to_excel`), :mod:`.opinion`
(:func:`project_opinion`, :func:`write_opinions`), :mod:`.charts` (matplotlib figures as PNG), :mod:`.tables` (the rows every
deliverable shares), ``templates/`` (Jinja2 pages and the print stylesheet).
"""

from townplan_gis.report.excel import display_width, to_excel
from townplan_gis.report.html import build_report, report
from townplan_gis.report.notebook import show_html
from townplan_gis.report.opinion import opinion_filenames, project_opinion, write_opinions

__all__ = [
    "build_report",
    "display_width",
    "opinion_filenames",
    "project_opinion",
    "report",
    "show_html",
    "to_excel",
    "write_opinions",
]
