"""The registry of indicator keys: Chinese and English names, unit and definition of every key.

Standards (``data/standards/*.toml``) refer to indicators by these keys, and the unit a standard writes must
match the unit here, so a threshold in m² is never compared with a value in km². Facility counts and
household service coverage exist for every facility type, as the pattern keys
``facility_count_<type>`` and ``household_coverage_<type>_pct``.

Sources of the definitions (``docs/sources.md``): the 鄂州/渭城 2017 implementation plans (``#ezhou-2017``,
``#weicheng-2017``); GB 50220 and GB 50188-2007 via secondary copies (``#gb-50220-95``,
``#gb-50188-2007``); CJJ/T 85-2017 green-land classes (``#cjj-t-85-2017``); the 2016 若干意见 §16
(``#opinions-2016``); tool-defined indicators (``#tool-defined``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from townplan_gis.core.datafiles import did_you_mean
from townplan_gis.core.errors import DataFileError
from townplan_gis.core.schema import STATISTICS, aliases
from townplan_gis.core.vocab import label
from townplan_gis.indicators._service_keys import service_specs

# Utility plants that serve the town wherever they are sited: a sanitary landfill and sewage treatment
# (the Ezhou/Weicheng 2017 targets) are kept away from dwellings by their siting rules (e.g. GB 16889-2008
# for landfills) and usually lie outside the built-up area, as do water works, substations and gas
# stations. Counted township-wide; every other type only inside the built-up area.
TOWNSHIP_WIDE_FACILITY_TYPES: tuple[str, ...] = (
    "landfill",
    "sewage_plant",
    "water_plant",
    "substation",
    "gas_station",
)

__all__ = [
    "INDICATORS",
    "Indicator",
    "indicator_info",
    "indicator_key",
    "indicator_names",
    "is_known",
]


@dataclass(frozen=True)
class Indicator:
    """One indicator key with its names, unit and definition."""

    key: str
    name_zh: str
    name_en: str
    unit: str
    definition: str
    family: str


def _i(key: str, zh: str, en: str, unit: str, definition: str, family: str) -> Indicator:
    return Indicator(key, zh, en, unit, definition, family)


_FIXED = [
    _i(
        "built_up_area_km2",
        "建成区面积",
        "Built-up area",
        "km2",
        "Area of the dissolved built-up (建成区) polygons in the metric analysis CRS.",
        "land",
    ),
    _i("population", "人口", "Population", "persons", "Resident population of the town.", "land"),
    _i(
        "construction_land_per_capita_m2",
        "人均建设用地",
        "Construction land per capita",
        "m2/person",
        "Construction land (the built-up area when no land-use layer exists) ÷ population "
        "(GB 50188-2007 Table 5.2.1).",
        "land",
    ),
    _i(
        "construction_land_grade",
        "人均建设用地级别",
        "Construction land per capita grade",
        "grade",
        "GB 50188-2007 Table 5.2.1 grade: I >60–80, II >80–100, III >100–120, IV >120–140 m²/person; "
        "NaN outside the table.",
        "land",
    ),
    _i(
        "road_length_km",
        "道路长度",
        "Road centreline length",
        "km",
        "Centreline length inside the built-up area, each road once (coincident duplicates merged), "
        "roads internal to residential quarters excluded by option.",
        "roads",
    ),
    _i(
        "road_network_density_km_per_km2",
        "路网密度",
        "Road network density",
        "km/km2",
        "Σ centreline length inside the built-up area (each road once, residential-internal roads "
        "excluded by option) ÷ built-up area (GB 50220).",
        "roads",
    ),
    _i(
        "road_area_m2",
        "道路用地面积",
        "Road land area",
        "m2",
        "Union of red-line road surfaces (centreline buffered by half the red-line width, flat ends; "
        "crossings counted once) inside the built-up area.",
        "roads",
    ),
    _i(
        "road_area_per_capita_m2",
        "人均道路面积",
        "Road area per capita (red-line land)",
        "m2/person",
        "Road land area (red-line variant) ÷ population.",
        "roads",
    ),
    _i(
        "carriageway_area_m2",
        "铺装车行道面积",
        "Paved carriageway area",
        "m2",
        "Union of paved carriageways (centreline buffered by half the carriageway width, flat ends) "
        "inside the built-up area.",
        "roads",
    ),
    _i(
        "road_area_per_capita_carriageway_m2",
        "人均道路面积(车行道)",
        "Road area per capita (paved carriageway)",
        "m2/person",
        "Paved carriageway area ÷ population (yearbook convention).",
        "roads",
    ),
    _i(
        "road_area_ratio_pct",
        "道路面积率",
        "Road area ratio",
        "%",
        "Road land area (red-line variant) ÷ built-up area × 100.",
        "roads",
    ),
    _i(
        "paving_rate_pct",
        "道路硬化率",
        "Paving rate (length)",
        "%",
        "Paved centreline length ÷ centreline length of roads with a known surface, inside the "
        "built-up area, × 100.",
        "roads",
    ),
    _i(
        "paving_rate_area_pct",
        "道路硬化率(面积)",
        "Paving rate (area)",
        "%",
        "Union of paved red-line surfaces ÷ union of all red-line surfaces (known surface), × 100.",
        "roads",
    ),
    _i(
        "road_coverage_pct",
        "路网覆盖率",
        "Road network coverage (tool-defined)",
        "%",
        "Tool-defined (no standard definition exists): share of the built-up area within d m "
        "(default 150) of a public road centreline, × 100.",
        "roads",
    ),
    _i(
        "main_road_lighting_pct",
        "主要道路路灯覆盖率",
        "Main-road lighting rate",
        "%",
        "Trunk-road length lit (flag lit, or within the reach of a street light) ÷ trunk-road length "
        "inside the built-up area, × 100.",
        "roads",
    ),
    _i(
        "green_coverage_pct",
        "绿化覆盖率",
        "Green coverage",
        "%",
        "Union of green land and tree canopy (points buffered by crown radius), overlaps counted once, "
        "inside the built-up area ÷ built-up area × 100.",
        "green",
    ),
    _i(
        "green_land_ratio_pct",
        "绿地率",
        "Green land ratio",
        "%",
        "Union of green land G1+G2+G3+XG (CJJ/T 85-2017) inside the built-up area ÷ built-up area × 100.",
        "green",
    ),
    _i(
        "park_green_area_m2",
        "公园绿地面积",
        "Park green area",
        "m2",
        "Union of G1 park green inside the built-up area.",
        "green",
    ),
    _i(
        "park_green_per_capita_m2",
        "人均公园绿地面积",
        "Park green per capita",
        "m2/person",
        "G1 park green area inside the built-up area ÷ population (formerly 人均公共绿地).",
        "green",
    ),
    _i(
        "park_count",
        "公园绿地(游园)数量",
        "Public green leisure places",
        "count",
        "Number of G1 park green features (public green leisure places) with a part inside the "
        "built-up area: a park straddling the edge counts, one that only touches it from outside "
        "does not (the scope of the park green area); without a built-up layer every G1 feature "
        "counts and the note says so. 与建成区相交（部分位于建成区内）的G1公园绿地个数，跨越边界的计入，"
        "仅在区外与边界相接的不计；无建成区图层时计全部并在备注中注明。",
        "green",
    ),
    _i(
        "market_or_commercial_street_count",
        "集贸市场或专业街数量",
        "Markets or specialised streets",
        "count",
        "facility_count_market + facility_count_commercial_street: markets and commercial streets "
        "with a part inside the built-up area (a point on the edge counts); without a built-up "
        "layer every one counts and the note says so. 部分位于建成区内的集贸市场与商业街个数之和；"
        "无建成区图层时计全部并在备注中注明。",
        "facilities",
    ),
    _i(
        "culture_fitness_venue_count",
        "文体健身场所数量",
        "Culture/sports/fitness venues",
        "count",
        "facility_count_culture + facility_count_fitness: culture stations and fitness venues "
        "with a part inside the built-up area (a point on the edge counts); without a built-up "
        "layer every one counts and the note says so. 部分位于建成区内的文化站与健身场所个数之和；"
        "无建成区图层时计全部并在备注中注明。",
        "facilities",
    ),
    _i(
        "residential_households",
        "居住小区户数",
        "Households in residential quarters",
        "households",
        "Σ households of every residential quarter of the layer, inside or outside the built-up "
        "area (quarters without a count left out). 住宅图层全部小区户数之和（含建成区外）。",
        "residential",
    ),
    _i(
        "qualifying_quarters_count",
        "达标居住小区数量",
        "Quarters with ≥100 households and green ≥30 %",
        "count",
        "Residential quarters with a part inside the built-up area, at least 100 households and "
        "green land (G1+G2+G3+XG, union) covering at least 30 % of the quarter; without a built-up "
        "layer every quarter is considered and the note says so. 部分位于建成区内、户数不少于100户且"
        "绿地率不低于30%的居住小区个数；无建成区图层时计全部并在备注中注明。",
        "residential",
    ),
    _i(
        "best_quarter_green_ratio_pct",
        "小区最高绿地率",
        "Highest quarter green land ratio",
        "%",
        "Highest green land ratio among residential quarters with a part inside the built-up area "
        "and at least 100 households (every quarter when there is no built-up layer).",
        "residential",
    ),
]

# Reported statistics beyond schema.STATISTICS that the Ezhou and Weicheng standards ask for.
_EXTRA_REPORTED = {
    "well_equipped_streets_count": ("设施完善街道数量", "Well-equipped streets", "count"),
    "greening_plan_adopted": ("绿地系统规划编制", "Greening system plan adopted (1 = yes)", "flag"),
    "scattered_homestead_approvals": ("零散宅基地审批数", "Scattered homestead approvals", "count"),
}

_UNITS_BY_SUFFIX = (("_pct", "%"), ("_count", "count"), ("_m2", "m2"), ("_km2", "km2"))


def _reported() -> list[Indicator]:
    out = []
    for key, (zh, en) in STATISTICS.items():
        out.append(_i(key, zh, en, "%", "Reported statistic from the town metadata.", "reported"))
    for key, (zh, en, unit) in _EXTRA_REPORTED.items():
        out.append(_i(key, zh, en, unit, "Reported statistic from the town metadata.", "reported"))
    return out


INDICATORS: dict[str, Indicator] = {
    i.key: i for i in (*_FIXED, *_reported(), *(_i(*spec) for spec in service_specs()))
}

_COUNT = re.compile(r"^facility_count_([a-z_]+)$")
_COVER = re.compile(r"^household_coverage_([a-z_]+)_pct$")


@cache
def facility_types() -> tuple[str, ...]:
    """Canonical facility types (from the alias table's value domain)."""
    return tuple(aliases()["values"]["facility_type"])


def _facility_type_of(pattern: re.Pattern[str], key: str) -> str | None:
    """The facility type a pattern key names, or None when it matches no known type."""
    m = pattern.match(key)
    return m.group(1) if m and m.group(1) in facility_types() else None


@cache
def indicator_info(key: str) -> Indicator:
    """The registry entry of an indicator key, including the facility pattern keys.

    Raises
    ------
    DataFileError
        When the key is unknown; the message lists the known keys.
    """
    if key in INDICATORS:
        return INDICATORS[key]
    if t := _facility_type_of(_COUNT, key):
        return facility_count_info(t, township_wide=t in TOWNSHIP_WIDE_FACILITY_TYPES)
    if t := _facility_type_of(_COVER, key):
        return _i(
            key,
            f"{label('facility_type', t, 'zh')}服务覆盖率",
            f"Households served: {t.replace('_', ' ')}",
            "%",
            f"Households of residential quarters whose representative point lies within the service "
            f"radius of a {t} ÷ all households, × 100 (radius configurable; tool-defined).",
            "facilities",
        )
    raise DataFileError(
        f"unknown indicator key '{key}'{did_you_mean(key, _all_keys())}. Known keys: "
        f"{sorted(INDICATORS)}, plus facility_count_<type> and household_coverage_<type>_pct for "
        f"types {list(facility_types())}."
    )


@cache
def _all_keys() -> tuple[str, ...]:
    """Every registered key, the facility pattern keys spelt out for each type."""
    types = facility_types()
    return (
        *INDICATORS,
        *(f"facility_count_{t}" for t in types),
        *(f"household_coverage_{t}_pct" for t in types),
    )


@cache
def facility_count_info(facility_type: str, *, township_wide: bool) -> Indicator:
    """The entry of ``facility_count_<type>``, its definition stating the scope of the count.

    Parameters
    ----------
    facility_type : str
        A canonical facility type.
    township_wide : bool
        Whether the type is counted over the whole facilities layer (utility plants serving the town
        from outside the built-up area) rather than inside the built-up area only.
    """
    t = facility_type
    zh = label("facility_type", t, "zh")
    if township_wide:
        definition = (
            f"Number of facilities of type {t} in the whole facilities layer, inside or outside the "
            f"built-up area: a utility plant serves the town from where its siting puts it, usually "
            f"outside the built-up area (township-wide scope, stated in the note). "
            f"设施图层中全部{zh}个数，含建成区外（服务全镇的市政设施，按全镇域统计，备注中注明）。"
        )
    else:
        definition = (
            f"Number of facilities of type {t} with a part inside the built-up area (a point on the "
            f"edge counts; a polygon only touching it from outside does not); without a built-up "
            f"layer every one counts and the note says so. "
            f"部分位于建成区内的{zh}个数；无建成区图层时计全部并在备注中注明。"
        )
    return _i(
        f"facility_count_{t}",
        f"{zh}数量",
        f"Facilities: {t.replace('_', ' ')}",
        "count",
        definition,
        "facilities",
    )


def is_known(key: str) -> bool:
    """Whether ``key`` names a registered indicator."""
    try:
        indicator_info(key)
    except DataFileError:
        return False
    return True


def reported_info(key: str) -> Indicator:
    """Registry entry for a reported statistic; unknown statistics get a generic entry."""
    if key in INDICATORS:
        return INDICATORS[key]
    unit = next((u for s, u in _UNITS_BY_SUFFIX if key.endswith(s)), "")
    return _i(
        key, key, key.replace("_", " "), unit, "Reported statistic (not registered).", "reported"
    )


def _name_form(text: str) -> str:
    # Full-width brackets and letters as planners type them (人均道路面积（车行道）), any case, no spaces.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


@cache
def _keys_by_name() -> dict[str, str]:
    out: dict[str, str] = {}
    for key in _all_keys():
        info = indicator_info(key)
        for name in (key, info.name_zh, info.name_en):
            out.setdefault(_name_form(name), key)
    return out


def indicator_key(name: str) -> str | None:
    """The key a standard means by ``name``: a registered key, or the Chinese or English name of a
    registered indicator (``人均道路面积`` → ``road_area_per_capita_m2``); None when it names none.

    Examples
    --------
    >>> indicator_key("人均道路面积"), indicator_key("路网密度"), indicator_key("Road area ratio")
    ('road_area_per_capita_m2', 'road_network_density_km_per_km2', 'road_area_ratio_pct')
    >>> indicator_key("人均道路面积（车行道）"), indicator_key("no such thing")
    ('road_area_per_capita_carriageway_m2', None)
    """
    return _keys_by_name().get(_name_form(str(name)))


def indicator_names() -> tuple[str, ...]:
    """The Chinese names of every registered indicator, for messages that suggest one."""
    return tuple(indicator_info(k).name_zh for k in _all_keys())
