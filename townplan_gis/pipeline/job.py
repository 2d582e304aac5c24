"""The :class:`Pipeline`: a town and a job's choices, each product computed once, on first use.

Products (cached): :attr:`Pipeline.indicators`, :attr:`Pipeline.scorecard` (from those indicators),
:attr:`Pipeline.review`, :meth:`Pipeline.map` (one map per set of options, rendered once). Deliverables
(``write_report``, ``write_workbook``, ``write_opinions``, ``write_map``, ``write_tables``,
``write_deliverables``) take them from there and compute nothing themselves.
"""

from __future__ import annotations

import hashlib
import html
import logging
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import folium
import pandas as pd

from townplan_gis.core.errors import MissingLayerError, TownPlanError
from townplan_gis.core.progress import progress as progress_bar
from townplan_gis.core.safe import safe_frame
from townplan_gis.core.town import Town
from townplan_gis.deliverables import build_report, project_opinion, to_excel, write_opinions
from townplan_gis.deliverables.pages import write_page
from townplan_gis.fiveline import Review, Rules
from townplan_gis.fiveline import review as run_review
from townplan_gis.fiveline.result import VERDICTS
from townplan_gis.indicators import IndicatorOptions, town_indicators
from townplan_gis.maps import plan_map, render_html, save_map
from townplan_gis.pipeline.analyses import AnalysisProducts
from townplan_gis.standards import Standard, assess, list_standards, load_standard

__all__ = ["OPINION_SETS", "Pipeline", "write_csv"]

log = logging.getLogger(__name__)

# Which projects get a review opinion (审查意见) in write_deliverables(opinions=...): None is all.
OPINION_SETS: dict[str, list[str] | None] = {
    "rejected": ["reject"],
    "flagged": ["reject", "not_checked", "review", "invalid"],
    "all": None,
}
_PRODUCTS = ("indicators", "scorecard", "review")


def _map_key(options: Mapping[str, Any]) -> str:
    """A map's cache key and name: its options in name order (``basemap='none', lang='zh'``); a
    Tianditu key by a digest only, so a displayed job never shows it."""

    def shown(name: str, value: Any) -> str:
        if name == "tianditu_key" and value:
            return f"sha1:{hashlib.sha1(str(value).encode()).hexdigest()[:10]}"
        return repr(tuple(value) if isinstance(value, list) else value)

    return ", ".join(f"{k}={shown(k, v)}" for k, v in sorted(options.items()))


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as CSV for Excel: UTF-8 with BOM (so Excel on Chinese Windows shows 路网密度, not
    mojibake), formula-like texts escaped so a spreadsheet never evaluates them (``'=1+1``); the
    table itself is not changed."""
    path = Path(path)
    safe_frame(pd.DataFrame(df)).to_csv(path, index=False, encoding="utf-8-sig")
    return path


class Pipeline(AnalysisProducts):
    """A town's products, each computed once and only when asked for.

    Parameters
    ----------
    town : Town
        The town; never modified. Its products are kept, so a job is for one state of the town: for
        other layers (``town.with_layer(...)``) make a new job.
    standard : str, Path or Standard, optional
        The standard of the scorecard (``"ezhou-2017"``, a TOML file …; :func:`townplan_gis.list_standards`).
        None of them is picked for you: without it ``scorecard`` raises and the report and workbook
        list the indicators only.
    rules : str, Path or Rules, optional
        The review's rule file (default: the packaged rules).
    derive : bool or sequence of line types, default False
        Derive the control lines the town lacks from its layers (see :func:`townplan_gis.review`).
    review : Review or bool, optional
        A review already made (used as is, never redone); ``False`` leaves the review out of the
        report, workbook and maps; ``True`` or None (default): in them when the town has projects and
        control lines (or ``derive``).
    indicators, scorecard : DataFrame, optional
        Products already computed, used as they are (never recomputed).
    indicator_options : mapping, optional
        Options of :func:`townplan_gis.town_indicators` (``{"coverage_distance_m": 200}`` …).
    review_options : mapping, optional
        Further options of :func:`townplan_gis.review` (``tolerance``, ``setback_m``, ``engine`` …).
    lang : {"zh", "en"}, default "zh"
        Language of the maps and deliverables.
    basemap : str, default "osm"
        Basemap of the web map (:attr:`web_map`, ``map.html``); the report's embedded map has none.
    progress : bool, optional
        Progress bars (default ``townplan_gis.options.progress``).

    Examples
    --------
    >>> import townplan_gis as tp
    >>> job = tp.Pipeline(tp.sample_town(), standard="ezhou-2017")
    >>> job.review.verdict_counts()["reject"]  # doctest: +SKIP
    1
    >>> job.write_workbook("puzhou.xlsx")  # the same indicators, scorecard and review  # doctest: +SKIP
    """

    def __init__(
        self,
        town: Town,
        *,
        standard: str | Path | Standard | None = None,
        rules: str | Path | Rules | None = None,
        derive: bool | Sequence[str] = False,
        review: Review | bool | None = None,
        indicators: pd.DataFrame | None = None,
        scorecard: pd.DataFrame | None = None,
        indicator_options: Mapping[str, Any] | None = None,
        review_options: Mapping[str, Any] | None = None,
        lang: str = "zh",
        basemap: str | None = "osm",
        progress: bool | None = None,
    ) -> None:
        if not isinstance(town, Town):
            raise TownPlanError(
                f"Pipeline needs a Town (tp.read_town(path), tp.sample_town()), got "
                f"{type(town).__name__}."
            )
        if lang not in ("zh", "en"):
            raise TownPlanError(f"Pipeline: lang must be 'zh' or 'en', got {lang!r}.")
        given_review = review is not None and not isinstance(review, bool)
        if given_review and not hasattr(review, "projects"):
            raise TownPlanError(
                f"Pipeline: review= takes a Review (from tp.review) or True/False, got "
                f"{type(review).__name__}."
            )
        self.town = town
        self.standard: Standard | None = None if standard is None else load_standard(standard)
        self.rules = rules
        self.derive = derive
        self.lang = lang
        self.basemap = basemap
        self.progress = progress
        self.indicator_options = dict(indicator_options or {})
        if self.indicator_options:
            if indicators is not None:
                raise TownPlanError(
                    f"Pipeline: indicator_options {sorted(self.indicator_options)} cannot change the "
                    f"indicators= table given. Pass one or the other."
                )
            IndicatorOptions.from_kwargs(self.indicator_options)  # a typo fails here, not later
        self.review_options = dict(review_options or {})
        clash = sorted({"rules", "derive"} & set(self.review_options))
        if clash:
            raise TownPlanError(
                f"Pipeline: pass {clash} as Pipeline arguments, not inside review_options."
            )
        named = getattr(scorecard, "attrs", {}).get("standard") if scorecard is not None else None
        if self.standard is not None and named and named != self.standard.name:
            # The report and workbook would name one standard over the scores of another.
            raise TownPlanError(
                f"Pipeline: the scorecard given is against '{named}', the standard given is "
                f"'{self.standard.name}'. Fix: pass the matching pair, or only one of them."
            )
        self._with_review = review is not False
        self.given: list[str] = []
        for name, value in (("indicators", indicators), ("scorecard", scorecard)):
            if value is not None:
                self.__dict__[name] = value
                self.given.append(name)
        if given_review:
            self.__dict__["review"] = review
            self.given.append("review")
        self._maps: dict[str, folium.Map] = {}
        self._pages: dict[str, str] = {}

    # --- products ------------------------------------------------------------------------------------
    @cached_property
    def indicators(self) -> pd.DataFrame:
        """Every indicator of the town (:func:`townplan_gis.town_indicators`), computed once."""
        log.info("pipeline: indicators of %s", self.town.name)
        # The park service coverage and life circles are the job's own (computed once, for the
        # report's map and tables too); without roads the indicators measure straight lines.
        return town_indicators(
            self.town, park=self.coverage, circles=self.life_circles, **self.indicator_options
        )

    @cached_property
    def scorecard(self) -> pd.DataFrame:
        """The scorecard of :attr:`indicators` against the standard (:func:`townplan_gis.assess`)."""
        if self.standard is None:
            raise TownPlanError(
                f"no standard chosen, so there is no scorecard for {self.town.name}. Fix: "
                f"Pipeline(town, standard=...) with one of {list_standards()} or a TOML file of your "
                f"own; townplan_gis does not pick a province's standard for you."
            )
        return assess(self.indicators, self.standard)

    @cached_property
    def review(self) -> Review:
        """The five-line review of the town (:func:`townplan_gis.review`, the one review path)."""
        if not self.can_review:
            raise MissingLayerError(self._why_no_review())
        log.info("pipeline: review of %s", self.town.name)
        options = {"progress": self.progress, **self.review_options}
        return run_review(self.town, rules=self.rules, derive=self.derive, **options)

    @property
    def can_review(self) -> bool:
        """The town has projects, and control lines or ``derive``."""
        return self.town.has("projects") and (self.town.has("control_lines") or bool(self.derive))

    def _why_no_review(self) -> str:
        return (
            f"town '{self.town.name}' cannot be reviewed: it needs a 'projects' layer and a "
            f"'control_lines' layer (or derive=True); it has {list(self.town.layers)}."
        )

    @property
    def includes_review(self) -> bool:
        """Whether the report, workbook and maps show the review."""
        return "review" in self.given or (self._with_review and self.can_review)

    @property
    def scorecard_or_none(self) -> pd.DataFrame | None:
        """The scorecard when a standard was chosen or a scorecard given, else None."""
        return self.scorecard if self.standard is not None or "scorecard" in self.given else None

    @property
    def review_or_none(self) -> Review | None:
        """The review when :attr:`includes_review`, else None."""
        return self.review if self.includes_review else None

    @property
    def computed(self) -> list[str]:
        """The products held so far (given or computed), and the maps drawn."""
        held = [p for p in _PRODUCTS if p in self.__dict__]
        return held + [f"map({key})" for key in self._maps]

    # --- maps ----------------------------------------------------------------------------------------
    def _map_options(self, options: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """The options of a map with the job's defaults, and its cache key."""
        merged = {"basemap": self.basemap, "lang": self.lang, **options}
        return _map_key(merged), merged

    def map(self, **options: Any) -> folium.Map:
        """The plan map (:func:`townplan_gis.plan_map`) with the job's review, drawn once per options.

        Parameters
        ----------
        **options
            Options of :func:`townplan_gis.plan_map` (``basemap``, ``lang``, ``renderer``,
            ``findings_only`` …); default the job's basemap and language.
        """
        if "review" in options:
            raise TownPlanError(
                "Pipeline.map draws the job's own review (Pipeline(review=False) for none); for "
                "another review call tp.plan_map(town, review=...)."
            )
        key, options = self._map_options(options)
        if key not in self._maps:
            log.info("pipeline: map %s", key)
            options = {**self.map_analyses(), **options}
            self._maps[key] = plan_map(self.town, review=self.review_or_none, **options)
        return self._maps[key]

    @property
    def web_map(self) -> folium.Map:
        """The plan map with the job's basemap and language: what ``map.html`` holds."""
        return self.map()

    def map_page(self, **options: Any) -> str:
        """The offline HTML page of :meth:`map` with these options, rendered once."""
        m = self.map(**options)
        key, _ = self._map_options(options)
        if key not in self._pages:
            self._pages[key] = render_html(m, offline=True)
        return self._pages[key]

    # --- deliverables --------------------------------------------------------------------------------
    def report_page(
        self,
        *,
        map: bool | folium.Map = True,
        basemap: str | None = "none",
        title: str | None = None,
        max_rows: int = 500,
    ) -> str:
        """The town report as HTML text (see :meth:`write_report`)."""
        steps = progress_bar(total=4, desc="report", unit="step", progress=self.progress)
        with steps:
            indicators = self.indicators
            steps.update()
            scorecard = self.scorecard_or_none
            steps.update()
            review = self.review_or_none
            steps.update()
            map_html = None
            if isinstance(map, folium.Map):
                map_html = render_html(map, offline=True)
            elif map:
                map_html = self.map_page(basemap=basemap, collapse_layer_control=True)
            steps.update()
        return build_report(
            self.town,
            scorecard=scorecard,
            indicators=indicators,
            review=review,
            map_html=map_html,
            standard=self.standard,
            lang=self.lang,
            title=title,
            max_rows=max_rows,
            **self.analysis_products(),
        )

    def write_report(self, path: str | Path | None = None, **options: Any) -> Path | str:
        """The town report: one self-contained HTML page (summary, scorecard, charts, review, map,
        method, indicators) that opens offline and prints on A4.

        Parameters
        ----------
        path : str or Path, optional
            Write the page here and return the path; without it the HTML text is returned.
        **options
            ``map`` (True, False or a folium map to embed), ``basemap`` of the embedded map
            (default "none": the report never touches a network), ``title``, ``max_rows``.
        """
        page = self.report_page(**options)
        if path is None:
            return page
        out = write_page(page, path)
        log.info("report written to %s (%.1f MB)", out, out.stat().st_size / 1e6)
        return out

    def write_workbook(
        self, path: str | Path, *, settings: Mapping[str, Any] | None = None
    ) -> Path:
        """The Excel workbook (:func:`townplan_gis.to_excel`): scorecard, indicators, review sheets."""
        facts = {
            "town": self.town.name,
            "standard": self.standard.name if self.standard is not None else "none",
            **(settings or {}),
        }
        return to_excel(
            path,
            scorecard=self.scorecard_or_none,
            indicators=self.indicators,
            review=self.review_or_none,
            lang=self.lang,
            settings=facts,
            town=self.town,
            standard=self.standard,
            **self.analysis_products(),
        )

    def _opinion_review(self) -> Review:
        if not self.includes_review:
            raise TownPlanError(
                f"review opinions need the review, and this job leaves it out: "
                f"{self._why_no_review() if not self.can_review else 'made with review=False.'}"
            )
        return self.review

    def write_opinion(self, project_id: str, path: str | Path | None = None, **options: Any):
        """The review opinion (审查意见) of one project (:func:`townplan_gis.project_opinion`)."""
        return project_opinion(
            self._opinion_review(), project_id, town=self.town, lang=self.lang, path=path, **options
        )

    def write_opinions(
        self, out_dir: str | Path, *, verdicts: Sequence[str] | None = None, **options: Any
    ) -> pd.DataFrame:
        """One review opinion per project in ``out_dir`` and its ``index.csv``
        (:func:`townplan_gis.write_opinions`); ``verdicts`` selects projects (default all), options
        (``projects``, ``format``, ``office``, ``template``) go to it."""
        return write_opinions(
            self._opinion_review(), out_dir, town=self.town, lang=self.lang, verdicts=verdicts,
            **options,
        )  # fmt: skip

    def write_map(self, path: str | Path, *, offline: bool = True, **options: Any) -> Path:
        """The plan map as one HTML file (the web map by default; options as :meth:`map`).

        ``offline=False`` keeps folium's CDN links (a smaller file that needs the internet), as
        :func:`townplan_gis.save_map` does.
        """
        if not offline:
            return save_map(self.map(**options), path, offline=False)
        path = write_page(self.map_page(**options), path)
        log.info("map written to %s (%.1f MB)", path, path.stat().st_size / 1e6)
        return path

    def write_tables(self, out_dir: str | Path) -> list[Path]:
        """``indicators.csv`` and, with a standard, ``scorecard.csv``: UTF-8 with BOM (Excel reads
        路网密度, not mojibake), formula-like texts escaped so a spreadsheet never evaluates them."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        tables = {"indicators": self.indicators, "scorecard": self.scorecard_or_none}
        return [write_csv(t, out / f"{name}.csv") for name, t in tables.items() if t is not None]

    def write_deliverables(
        self, out_dir: str | Path, *, opinions: str = "none", **opinion_options: Any
    ) -> dict[str, Path]:
        """``report.html``, ``workbook.xlsx`` and ``map.html`` in ``out_dir``, and with ``opinions``
        (``"rejected"``, ``"flagged"`` or ``"all"``) one opinion per project in ``opinions/``
        (``opinion_options``: ``format``, ``office``, ``template`` of :meth:`write_opinions`).

        Returns
        -------
        dict
            Label → file written (``report``, ``workbook``, ``map``, ``opinion <id>`` …).
        """
        if opinions != "none" and opinions not in OPINION_SETS:
            raise TownPlanError(
                f"opinions must be 'none' or one of {list(OPINION_SETS)}, got {opinions!r}."
            )
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        files: dict[str, Path] = {
            "report": Path(self.write_report(out / "report.html")),
            "workbook": self.write_workbook(out / "workbook.xlsx"),
            "map": self.write_map(out / "map.html"),
        }
        if opinions != "none" and not self.includes_review:
            log.warning(
                "opinions=%r: no opinion written, the deliverables have no review (%s)",
                opinions,
                self._why_no_review() if not self.can_review else "review=False",
            )
        elif opinions != "none":
            # One file per project, also for repeated or clashing ids (logged), listed in index.csv.
            index = self.write_opinions(
                out / "opinions", verdicts=OPINION_SETS[opinions], **opinion_options
            )
            for pid, path in zip(index["project_id"], index["path"], strict=True):
                key = f"opinion {pid}"
                files[key if key not in files else f"opinion {path.name}"] = path
            files["opinions index"] = out / "opinions" / "index.csv"
        return files

    # --- display -------------------------------------------------------------------------------------
    def _status(self) -> list[tuple[str, str, str]]:
        """(product, state, summary) rows for the displays."""
        held = self.__dict__
        summaries = {
            "indicators": lambda v: f"{len(v)} indicators",
            "scorecard": lambda v: (
                f"{v.attrs.get('standard', '')}: "
                + ", ".join(
                    f"{s} {int((v['status'] == s).sum())}"
                    for s in ("pass", "fail", "not_evaluable")
                )
            ),
            "review": lambda v: (
                f"{len(v.projects)} projects: "
                + ", ".join(f"{k} {int((v.projects['verdict'] == k).sum())}" for k in VERDICTS)
            ),
        }
        waiting = {
            "indicators": "",
            "scorecard": self.standard.name if self.standard is not None else "no standard chosen",
            "review": "in the products" if self.includes_review else "left out",
        }
        rows = [
            (name, "given" if name in self.given else "computed", summaries[name](held[name]))
            if name in held
            else (name, "not yet", waiting[name])
            for name in _PRODUCTS
        ]
        rows += [("map", "drawn", key) for key in self._maps] or [("maps", "not yet", "")]
        return rows

    def __repr__(self) -> str:
        lines = [f"Pipeline({self.town.name!r}, lang={self.lang!r}, basemap={self.basemap!r})"]
        lines += [f"  {name:<10} {state:<9} {summary}" for name, state, summary in self._status()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cell = "border:1px solid #d0d7de;padding:2px 8px;text-align:left"
        rows = "".join(
            f'<tr><td style="{cell}">{html.escape(n)}</td><td style="{cell}">{html.escape(s)}</td>'
            f'<td style="{cell}">{html.escape(t)}</td></tr>'
            for n, s, t in self._status()
        )
        head = "".join(
            f'<th style="{cell};background:#f6f8fa">{h}</th>' for h in ("product", "state", "")
        )
        return (
            f"<div style=\"font-family:system-ui,'Noto Sans CJK SC',sans-serif;font-size:13px\">"
            f"<b>Pipeline · {html.escape(self.town.name)}</b> (lang {html.escape(self.lang)}, "
            f"basemap {html.escape(str(self.basemap))})"
            f'<table style="border-collapse:collapse;margin-top:4px"><tr>{head}</tr>{rows}</table>'
            f"</div>"
        )
