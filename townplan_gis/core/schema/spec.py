"""The layer schema: layer kinds, their geometry types and canonical columns, the value domains, and
the Chinese/English alias table (``data/aliases.toml``) that maps a planner's names onto them.

Labels of layers and columns are the shared vocabulary's (:mod:`townplan_gis.core.vocab`). How a layer
is brought to this schema is in :mod:`townplan_gis.core.schema.normalize`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import geopandas as gpd

from townplan_gis.core import vocab
from townplan_gis.core.datafiles import load_toml_text
from townplan_gis.core.errors import SchemaError, TownPlanError, _rows

__all__ = [
    "GREEN_CLASSES",
    "LAYERS",
    "LINE",
    "LINE_FAMILIES",
    "LINE_TYPES",
    "MAX_ROAD_WIDTH_M",
    "POINT",
    "POLYGON",
    "ROAD_CLASSES",
    "STATISTICS",
    "SURFACES",
    "ZONES",
    "Column",
    "LayerSpec",
    "absent_types",
    "aliases",
    "canonical_columns",
    "check_declared",
    "describe",
    "keep_other_families",
    "layer_kind",
    "value_key",
    "value_lookup",
]

POLYGON = ("Polygon", "MultiPolygon")
LINE = ("LineString", "MultiLineString")
POINT = ("Point", "MultiPoint")


@dataclass(frozen=True)
class Column:
    """A canonical column: its name, type, whether it is required, and its value domain.

    ``required_unless`` names another column that stands in for this one: a row may leave a required
    column empty where the other column holds a positive number, and the column may be absent when
    every row has one. The rows concerned are recorded as a ``filled_unknown`` repair.

    A number column (``dtype="float"``) is always finite where given (empty cells are missing values,
    ``inf`` is refused); ``minimum`` (exclusive when ``positive``) and ``maximum`` bound it further,
    and ``unit`` names its unit in the error message. ``label_zh``/``label_en`` default to the
    vocabulary's field labels (``data/vocab.toml [fields]``).
    """

    name: str
    dtype: str  # "str", "float", "int", "bool"
    required: bool = False
    domain: tuple[str, ...] | None = None
    label_zh: str = ""
    label_en: str = ""
    required_unless: str | None = None
    minimum: float | None = None
    positive: bool = False
    maximum: float | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        for lang in ("zh", "en"):
            if not getattr(self, f"label_{lang}"):
                object.__setattr__(self, f"label_{lang}", vocab.field_label(self.name, lang))


@dataclass(frozen=True)
class LayerSpec:
    """A layer kind: allowed geometry types and canonical columns; its labels default to the
    vocabulary's (``data/vocab.toml [values.layer]``)."""

    kind: str
    geometry: tuple[str, ...]
    label_zh: str = ""
    label_en: str = ""
    columns: tuple[Column, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for lang in ("zh", "en"):
            if not getattr(self, f"label_{lang}"):
                object.__setattr__(self, f"label_{lang}", vocab.layer_label(self.kind, lang))

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# A road wider than this is a unit error (centimetres or millimetres typed as metres) or a typo, not
# a road: GB 50188-2007 §10 gives town main roads red lines of 24–36 m, and the widest urban avenues
# in China (Chang'an Avenue, Beijing) have red lines of about 100–120 m. The bound refuses the
# typo (a 1e6 m road would cover the town in the road-area figures and the derived red lines)
# while leaving room for any real road.
MAX_ROAD_WIDTH_M = 200.0

ROAD_CLASSES = ("expressway", "arterial", "secondary", "branch", "lane")
GREEN_CLASSES = ("G1", "G2", "G3", "XG", "EG")
#: The five control lines (五线) of town planning, then the three control lines of territorial
#: spatial planning (三区三线: 生态保护红线, 永久基本农田, 城镇开发边界; docs/sources.md#three-lines-2019).
LINE_TYPES = (
    "red",
    "green",
    "purple",
    "blue",
    "yellow",
    "eco_redline",
    "farmland",
    "dev_boundary",
)
#: The families of line types a review can select (``review(..., families=("five", "three"))``).
LINE_FAMILIES: dict[str, tuple[str, ...]] = {
    "five": ("red", "green", "purple", "blue", "yellow"),
    "three": ("eco_redline", "farmland", "dev_boundary"),
}
ZONES = ("core", "control", "harmony")
SURFACES = ("paved", "unpaved")


@lru_cache(maxsize=1)
def aliases() -> dict[str, Any]:
    """The packaged alias table (``townplan_gis/data/aliases.toml``) as a dict."""
    text = resources.files("townplan_gis.data").joinpath("aliases.toml").read_text("utf-8")
    return load_toml_text(text, source="townplan_gis/data/aliases.toml")


_NAME = Column("name", "str")

LAYERS: dict[str, LayerSpec] = {
    spec.kind: spec
    for spec in (
        LayerSpec("boundary", POLYGON, columns=(_NAME,)),
        LayerSpec("builtup", POLYGON, columns=(_NAME,)),
        LayerSpec(
            "roads",
            LINE,
            columns=(
                # A road with its red-line width is measurable without its class (road area, the
                # derived red line); only class-based figures (trunk-road lighting, class default
                # widths) need the class, so such a road keeps an unknown class instead of failing.
                Column("road_class", "str", True, ROAD_CLASSES, required_unless="redline_width_m"),
                Column(
                    "redline_width_m", "float", positive=True, maximum=MAX_ROAD_WIDTH_M, unit="m"
                ),
                Column(
                    "carriageway_width_m",
                    "float",
                    positive=True,
                    maximum=MAX_ROAD_WIDTH_M,
                    unit="m",
                ),
                Column("surface", "str", False, SURFACES),
                Column("lit", "bool"),
                _NAME,
            ),
        ),
        LayerSpec(
            "green",
            POLYGON,
            columns=(Column("green_class", "str", True, GREEN_CLASSES), _NAME),
        ),
        LayerSpec(
            "canopy",
            POLYGON + POINT,
            columns=(Column("crown_diameter_m", "float", positive=True, unit="m"), _NAME),
        ),
        LayerSpec("water", POLYGON, columns=(_NAME,)),
        LayerSpec("heritage", POLYGON + POINT, columns=(_NAME, Column("grade", "str"))),
        LayerSpec(
            "facilities",
            POINT + POLYGON,
            columns=(Column("facility_type", "str", True), _NAME),
        ),
        LayerSpec("streetlights", POINT, columns=(Column("kind", "str"),)),
        LayerSpec(
            "residential",
            POLYGON,
            columns=(Column("households", "float", True, minimum=0.0), _NAME),
        ),
        LayerSpec(
            "control_lines",
            POLYGON,
            columns=(
                Column("line_type", "str", True, LINE_TYPES),
                Column("zone", "str", False, ZONES),
                _NAME,
                Column("code", "str"),
                Column("source", "str"),
                # Red lines only: the road class sets the building setback (8 m main roads, 5 m others).
                Column("road_class", "str", False, ROAD_CLASSES),
            ),
        ),
        LayerSpec(
            "projects",
            POLYGON + LINE + POINT,
            columns=(
                Column("project_id", "str"),
                _NAME,
                Column("project_type", "str", True),
                Column("investment_wan_yuan", "float", minimum=0.0, unit="万元"),
                Column("status", "str"),
                # The construction programme (townplan_gis.construction; docs/sources.md#programme-data),
                # all optional; dates are text (2017-10-31, 2017年10月31日) the programme parses.
                Column("programme_item", "str"),
                *(
                    Column(n, "float", minimum=0.0, unit="万元")
                    for n in (
                        "item_total_wan_yuan",
                        "funding_self_raised_wan_yuan",
                        "funding_subsidy_wan_yuan",
                        "funding_town_gov_wan_yuan",
                    )
                ),
                Column("stage", "str"),
                Column("start_date", "str"),
                Column("deadline", "str"),
                Column("completion_pct", "float", minimum=0.0, maximum=100.0, unit="%"),
            ),
        ),
    )
}

# Reported (non-spatial) statistics a town may carry, with their Chinese labels.
STATISTICS: dict[str, tuple[str, str]] = {
    "water_supply_coverage_pct": ("供水普及率", "Water supply coverage"),
    "tap_water_coverage_pct": ("自来水普及率", "Tap-water coverage"),
    "safe_drinking_water_pct": ("安全饮水率", "Safe drinking water"),
    "gas_coverage_pct": ("燃气普及率", "Gas coverage"),
    "garbage_treatment_pct": ("垃圾处理率", "Garbage treatment rate"),
    "sewage_treatment_pct": ("污水处理率", "Sewage treatment rate"),
    "permit_rate_pct": ("一书两证办理率", "Planning permit rate"),
    "flush_toilet_pct": ("水冲式公厕比例", "Flush-type public toilets"),
    "population_growth_pct": ("建成区人口增长率", "Built-up population growth"),
    "well_equipped_streets_count": ("设施完善街道数量", "Well-equipped streets"),
    "greening_plan_adopted": ("绿地系统规划编制", "Greening system plan adopted (1 = yes)"),
    "scattered_homestead_approvals": ("零散宅基地审批数", "Scattered homestead approvals"),
}


def value_key(value: object) -> str:
    """A name or value as the alias table matches it: trimmed, inner white space single, casefolded."""
    return re.sub(r"\s+", " ", str(value).strip()).casefold()


@cache
def value_lookup(column: str) -> dict[str, str]:
    """Every alias (and canonical value) of a column's values, keyed by :func:`value_key` → canonical."""
    table = aliases()["values"].get(column, {})
    lookup: dict[str, str] = {}
    for canonical, names in table.items():
        lookup[value_key(canonical)] = canonical
        for n in names:
            lookup[value_key(n)] = canonical
    return lookup


def layer_kind(name: str) -> str | None:
    """The canonical layer kind for a file or layer name (``"道路"`` → ``"roads"``), or None."""
    key = value_key(name)
    for kind, names in aliases()["layers"].items():
        if key == kind or key in {value_key(n) for n in names}:
            return kind
    return None


def canonical_columns(kind: str) -> list[str]:
    """Names of the canonical columns of a layer kind, in schema order."""
    return [c.name for c in LAYERS[kind].columns]


def describe(kind: str) -> Mapping[str, str]:
    """Chinese and English labels of a layer kind."""
    spec = LAYERS[kind]
    return {"kind": kind, "label_zh": spec.label_zh, "label_en": spec.label_en}


def absent_types(
    absent: str | Iterable[str] | None,
    *,
    where: str = "absent",
    error: type[TownPlanError] = SchemaError,
) -> list[str]:
    """Canonical line types declared absent (Chinese aliases accepted), in ``LINE_TYPES`` order.

    Raises
    ------
    SchemaError (or ``error``)
        A value that is not one of the line types (or an alias), or not a list of texts.
    """
    if absent is None:
        return []
    values = [absent] if isinstance(absent, str) else absent
    try:
        values = list(values)
    except TypeError as exc:
        raise error(
            f"{where} must be a list of line types such as ['purple'], got {absent!r}."
        ) from exc
    lookup = value_lookup("line_type")
    out, unknown = set(), []
    for v in values:
        canon = lookup.get(value_key(v)) if isinstance(v, str) else None
        if canon is None:
            unknown.append(v)
        else:
            out.add(canon)
    if unknown:
        raise error(
            f"{where}: unknown line type(s) {unknown}. Accepted: {list(LINE_TYPES)} (or their "
            f"Chinese names, e.g. 紫线). Fix: name the types the town really has none of."
        )
    return [t for t in LINE_TYPES if t in out]


def keep_other_families(base: Any, given: Any) -> Any:
    """A rule list ``given`` followed by the entries of ``base`` whose line family
    (:data:`LINE_FAMILIES`) has no line type in ``given`` (``given`` itself when not a list).

    A user rule file written for the five lines thus keeps the packaged rules of 三区三线.
    """
    if not isinstance(given, list) or not isinstance(base, list):
        return given
    named = {e.get("line_type") for e in given if isinstance(e, dict)}
    others = {t for ts in LINE_FAMILIES.values() if not named & set(ts) for t in ts}
    return given + [e for e in base if isinstance(e, dict) and e.get("line_type") in others]


def check_declared(lines: gpd.GeoDataFrame, absent: list[str]) -> None:
    """Refuse a line type that is both in the line data and declared absent."""
    both = [t for t in absent if (lines["line_type"] == t).any()]
    if both:
        rows = lines.index[lines["line_type"].isin(both)]
        raise SchemaError(
            f"line type(s) {both} are declared absent (the town has none) but the control lines "
            f"have {len(rows)} feature(s) of them, rows {_rows(rows)}. Fix: remove them from "
            f"absent / absent_line_types, or remove those lines."
        )
