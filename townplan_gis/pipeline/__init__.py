"""One town, each product computed once: indicators, scorecard, review, maps, and every deliverable.

A :class:`Pipeline` holds a Town and the choices a job needs (standard, rule file, options, language,
basemap). Its products are computed on first use and kept: ``job.indicators``, ``job.scorecard``
(from those indicators), ``job.review``, ``job.map()``; the report, the workbook, the opinions, the
command line and the demo take them from there, so nothing is computed twice.

>>> import townplan_gis as tp
>>> job = tp.Pipeline(tp.sample_town(), standard="ezhou-2017")
>>> job.computed
[]
>>> int((job.scorecard["status"] == "pass").sum())  # computes the indicators, then scores them
19
>>> job.computed
['indicators', 'scorecard']
>>> job.write_report("puzhou.html")  # reviews the town and draws the map, once  # doctest: +SKIP

:func:`report` is the one-call form of ``Pipeline(...).write_report(...)``.

Modules: :mod:`.job` (the :class:`Pipeline`), :mod:`.oneshot` (:func:`report`).
"""

from townplan_gis.pipeline.job import OPINION_SETS, Pipeline, write_csv
from townplan_gis.pipeline.oneshot import report

__all__ = ["OPINION_SETS", "Pipeline", "report", "write_csv"]
