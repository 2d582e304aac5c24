"""Grading, numbering and tabulating the findings of the line self-check.

The matrix is resolved once per combination of line classes (type, or type:tier where the matrix
distinguishes tiers), never per pair; texts are assembled per finding.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.analyses._geom import M2_PER_MU, to_mu, where_obj
from townplan_gis.analyses.matrix import SEVERITY_ZH, LineMatrix

__all__ = ["KIND_ZH", "checked_pairs", "lines_status", "number_patches", "resolutions"]

KIND_ZH = {
    "overlap": "重叠",
    "contained": "压占",
    "crossing": "交叉",
    "duplicate": "重复",
    "near_duplicate": "近似重复",
    "sliver": "碎片",
    "gap": "缝隙",
    "invalid": "几何无效",
    "empty": "空几何",
}
# Digitising findings: what to do, in both languages (docs/sources.md#line-matrix).
_FIX = {
    "duplicate": (
        "同一图斑重复录入：删除重复的一个（保留编号较小者）。",
        "The same patch entered twice: delete one copy (keep the one with the smaller code).",
    ),
    "near_duplicate": (
        "两图斑几乎相同：核实以哪一个为准，删除另一个。",
        "Two nearly identical patches: decide which one is right and delete the other.",
    ),
    "sliver": (
        "重叠部分窄于容差，多为数字化误差：捕捉对齐公共边界。",
        "An overlap narrower than the tolerance, usually a digitising error: snap the shared "
        "boundary.",
    ),
    "gap": (
        "相邻图斑之间的缝隙窄于容差，多为数字化误差：捕捉对齐公共边界，消除缝隙。",
        "A gap narrower than the tolerance between adjacent patches, usually a digitising error: "
        "snap the shared boundary to close it.",
    ),
    "invalid": (
        "几何无效（自相交等），已按 make_valid 修复后参与检查：请在源数据中修正。",
        "Invalid geometry (self-intersection …), repaired with make_valid to be checked: correct "
        "it in the source data.",
    ),
    "empty": (
        "空几何：该控制线没有范围，无法检查，请补充或删除。",
        "Empty geometry: the line has no extent and cannot be checked; supply it or delete the row.",
    ),
}
_FIX_SOURCE = "docs/sources.md#line-matrix"
_COLUMNS = [
    "a",
    "b",
    "check",
    "kind",
    "severity",
    "area_m2",
    "width_m",
    "inner",
    "keeps",
    "resolution_zh",
    "resolution_en",
    "source",
]
SEVERITY_ORDER = {"conflict": 0, "check": 1, "notice": 2}
_CHECK_ORDER = {"between_types": 0, "within_type": 1, "geometry": 2}


def line_classes(m: LineMatrix, line_type: np.ndarray, zone: np.ndarray) -> np.ndarray:
    """Per feature, its class for the matrix: ``type:tier`` where an entry names that type's tiers."""
    tiered = {s.partition(":")[0] for r in m.pairs for s in r.sides if ":" in s}
    lt = pd.Series(line_type, dtype=object)
    # A tiered line without a tier is graded as the matrix's default tier (the strictest).
    zn = pd.Series(zone, dtype=object).fillna(m.default_tier)
    with_zone = lt.isin(tiered).to_numpy()
    joined = (lt.astype(str) + ":" + zn.fillna("").astype(str)).to_numpy(dtype=object)
    return np.where(with_zone, joined, lt.to_numpy(dtype=object)).astype(object)


def _split(cls: str) -> tuple[str, str | None]:
    t, _, z = cls.partition(":")
    return t, (z or None)


def _rule_table(m: LineMatrix, ca, cb) -> pd.DataFrame:
    """The matrix entry of each distinct (class a, class b): one resolve per combination."""
    combos = pd.DataFrame({"ca": ca, "cb": cb}, dtype=object).drop_duplicates()
    rows = []
    for a, b in combos.itertuples(index=False):
        rule, _ = m.resolve(_split(a), _split(b))
        entry = "[defaults]" if rule.index < 0 else f"#{rule.index + 1} {' × '.join(rule.sides)}"
        rows.append(
            (
                a,
                b,
                entry,
                rule.overlap,
                rule.contained,
                rule.crossing,
                rule.keeps,
                rule.resolution_zh,
                rule.resolution_en,
                rule.source,
            )
        )
    cols = ["ca", "cb", "entry", "overlap", "contained", "crossing", "keeps"]
    return pd.DataFrame(rows, columns=[*cols, "resolution_zh", "resolution_en", "source"])


def _suggestion(m: LineMatrix, keeps, other_name, area) -> tuple[list[str], list[str]]:
    zh, en = [], []
    for kp, name, x in zip(keeps, other_name, area, strict=True):
        if kp is None:
            zh.append("")
            en.append("")
            continue
        zh.append(
            f"建议：保留{m.label(kp, 'zh')}，调整「{name}」约 {x:,.1f} m²（{x / M2_PER_MU:,.2f} 亩）。"
        )
        en.append(
            f" Suggested: keep the {m.label(kp, 'en')}; adjust '{name}' by about {x:,.1f} m²."
        )
    return zh, en


def _names(frame: gpd.GeoDataFrame) -> np.ndarray:
    """A name for each feature: its name, else its code, else its row label."""
    label = pd.Series(frame.index.astype(str), index=frame.index, dtype=object)
    return frame["name"].astype(object).fillna(frame["code"]).fillna(label).to_numpy(dtype=object)


def resolutions(
    m: LineMatrix,
    frame: gpd.GeoDataFrame,
    parts: pd.DataFrame,
    part_geoms: np.ndarray,
    gap_rows: pd.DataFrame,
    gap_geoms: np.ndarray,
    geom_rows: pd.DataFrame,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Every finding graded, with its resolution; the patch geometries; contacts per class pair.

    Returns
    -------
    (findings, geometries, contacts)
        ``findings``: ``a, b`` (positions; −1 for none) and :data:`_COLUMNS`; ``contacts``: one
        row per contact part between classes ``ca ≤ cb`` with its ``area`` and ``entry``.
    """
    line_type = frame["line_type"].to_numpy(dtype=object)
    cls = line_classes(m, line_type, frame["zone"].to_numpy(dtype=object))
    names = _names(frame)
    out: list[pd.DataFrame] = []
    geo: list[np.ndarray] = []
    a, b = parts["a"].to_numpy(dtype=np.int64), parts["b"].to_numpy(dtype=np.int64)
    ca, cb = cls[a], cls[b]
    # One orientation per unordered class pair: blue × yellow and yellow × blue count together.
    flip = ca > cb
    sa, sb = np.where(flip, cb, ca), np.where(flip, ca, cb)
    rules = _rule_table(m, sa, sb)
    p = parts.assign(ca=sa, cb=sb).merge(rules, on=["ca", "cb"], how="left", validate="m:1")
    contacts = p[["ca", "cb", "a", "b", "area_m2", "entry"]]
    if len(p):
        kind = p["kind"].to_numpy(dtype=object)
        graded = np.select(
            [kind == "overlap", kind == "contained", kind == "crossing"],
            [p["overlap"].to_numpy(), p["contained"].to_numpy(), p["crossing"].to_numpy()],
            "check",
        ).astype(object)
        digit = np.isin(kind, ["duplicate", "near_duplicate", "sliver"])
        # A sliver between lines that may share land is no error; a duplicate always is.
        allowed = (p["overlap"] == "allowed").to_numpy()
        drop = np.where(kind == "sliver", allowed, (graded == "allowed") & ~digit)
        q = p[~drop].reset_index(drop=True)
        k = q["kind"].to_numpy(dtype=object)
        fixed = np.isin(k, list(_FIX))
        q["severity"] = graded[~drop]
        q["check"] = np.where(
            line_type[q["a"]] == line_type[q["b"]], "within_type", "between_types"
        )
        keeps = q["keeps"].astype(object).where(q["keeps"].notna(), None).to_numpy(dtype=object)
        keeps = where_obj(~fixed, keeps)
        other = np.where(line_type[q["a"]] == keeps, q["b"], q["a"])
        # A notice (a bridge) needs nothing adjusted: the suggestion is for conflicts and checks.
        act = where_obj(q["severity"].isin(["conflict", "check"]).to_numpy(), keeps)
        zh, en = _suggestion(m, act, names[other], q["area_m2"].to_numpy())
        fix_zh = np.array([_FIX.get(x, ("", ""))[0] for x in k], dtype=object)
        fix_en = np.array([_FIX.get(x, ("", ""))[1] for x in k], dtype=object)
        q["resolution_zh"] = np.where(
            fixed, fix_zh, q["resolution_zh"].to_numpy(dtype=object) + np.array(zh, dtype=object)
        )
        q["resolution_en"] = np.where(
            fixed, fix_en, q["resolution_en"].to_numpy(dtype=object) + np.array(en, dtype=object)
        )
        q["source"] = np.where(fixed, _FIX_SOURCE, q["source"].to_numpy(dtype=object))
        q["keeps"] = keeps
        out.append(q[_COLUMNS])
        geo.append(part_geoms[~drop])
    if len(gap_rows):
        g = gap_rows.assign(
            kind="gap",
            check="within_type",
            severity="check",
            inner=None,
            keeps=None,
            resolution_zh=_FIX["gap"][0],
            resolution_en=_FIX["gap"][1],
            source=_FIX_SOURCE,
        )
        out.append(g[_COLUMNS])
        geo.append(gap_geoms)
    if len(geom_rows):
        geoms = np.asarray(frame.geometry.array, dtype=object)[geom_rows["a"].to_numpy()]
        kinds = geom_rows["kind"].tolist()
        r = geom_rows.assign(
            b=-1,
            check="geometry",
            severity="check",
            area_m2=np.nan,
            width_m=np.nan,
            inner=None,
            keeps=None,
            resolution_zh=[_FIX[x][0] for x in kinds],
            resolution_en=[
                f"{_FIX[x][1]} ({d})" if x == "invalid" else _FIX[x][1]
                for x, d in zip(kinds, geom_rows["detail"], strict=True)
            ],
            source=_FIX_SOURCE,
        )
        out.append(r[_COLUMNS])
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        geo.append(where_obj(~missing, geoms))
    findings = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=_COLUMNS)
    geometries = np.concatenate(geo) if geo else np.empty(0, dtype=object)
    return findings, geometries, contacts


def number_patches(
    findings: pd.DataFrame, geoms: np.ndarray, frame: gpd.GeoDataFrame, *, crs
) -> gpd.GeoDataFrame:
    """The findings as numbered patches (图斑编号 ``TB-0001`` …) with the features' attributes.

    Numbered worst first (severity, then the kind of check), then by the features' positions in
    the input and the patch's position: the same input always gives the same numbers. The
    ``patch_key`` hashes the kind, the two features' codes (row labels without a code) and the
    patch's centre (1 m) and area (1 m²), so it survives other patches coming and going.
    """
    f = findings.reset_index(drop=True)
    g = np.asarray(geoms, dtype=object)
    cx, cy = np.zeros(len(g)), np.zeros(len(g))
    real = np.flatnonzero(~(shapely.is_missing(g) | shapely.is_empty(g)))
    if len(real):
        centre = shapely.centroid(g[real])
        cx[real], cy[real] = shapely.get_x(centre), shapely.get_y(centre)
    order = np.lexsort(
        (
            np.round(cy, 3),
            np.round(cx, 3),
            f["kind"].map(list(KIND_ZH).index).to_numpy(),
            f["b"].to_numpy(),
            f["a"].to_numpy(),
            f["check"].map(_CHECK_ORDER).to_numpy(),
            f["severity"].map(SEVERITY_ORDER).to_numpy(),
        )
    )
    f, g, cx, cy = f.iloc[order].reset_index(drop=True), g[order], cx[order], cy[order]
    idx = frame.index
    a, b = f["a"].to_numpy(dtype=np.int64), f["b"].to_numpy(dtype=np.int64)
    has_b = b >= 0
    bb = np.where(has_b, b, 0)

    def col(name: str, pos: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        values = (
            frame[name].to_numpy(dtype=object)[pos] if len(frame) else np.array([], dtype=object)
        )
        return values if mask is None else where_obj(mask, values)

    areas = shapely.area(np.asarray(frame.geometry.array, dtype=object))
    area = f["area_m2"].to_numpy(dtype=float)
    code = frame["code"].astype(object).fillna(pd.Series(idx.astype(str), index=idx))
    code = code.to_numpy(dtype=object)
    out = pd.DataFrame(
        {
            "patch_id": [f"TB-{i + 1:04d}" for i in range(len(f))],
            "check": f["check"].to_numpy(dtype=object),
            "kind": f["kind"].to_numpy(dtype=object),
            "kind_zh": f["kind"].map(KIND_ZH).to_numpy(dtype=object),
            "severity": f["severity"].to_numpy(dtype=object),
            "severity_zh": f["severity"].map(SEVERITY_ZH).to_numpy(dtype=object),
            "row_a": idx.to_numpy(dtype=object)[a] if len(f) else [],
            "type_a": col("line_type", a),
            "zone_a": col("zone", a),
            "code_a": col("code", a),
            "name_a": col("name", a),
            "row_b": where_obj(has_b, idx.to_numpy(dtype=object)[bb]) if len(f) else [],
            "type_b": col("line_type", bb, has_b),
            "zone_b": col("zone", bb, has_b),
            "code_b": col("code", bb, has_b),
            "name_b": col("name", bb, has_b),
            "area_m2": area,
            "area_mu": to_mu(area),
            "pct_of_a": 100 * area / np.where(areas[a] > 0, areas[a], np.nan) if len(f) else [],
            "pct_of_b": np.where(
                has_b, 100 * area / np.where(areas[bb] > 0, areas[bb], np.nan), np.nan
            )
            if len(f)
            else [],
            "width_m": f["width_m"].to_numpy(dtype=float),
            "keeps": f["keeps"].to_numpy(dtype=object),
            "resolution_zh": f["resolution_zh"].to_numpy(dtype=object),
            "resolution_en": f["resolution_en"].to_numpy(dtype=object),
            "source": f["source"].to_numpy(dtype=object),
        }
    )
    # The two codes in sorted order: the key does not depend on the input's row order.
    ka = code[a].astype(str) if len(f) else np.array([], dtype=str)
    kb = np.where(has_b, code[bb], "").astype(str) if len(f) else np.array([], dtype=str)
    first = ka <= kb
    key_frame = pd.DataFrame(
        {
            "kind": out["kind"],
            "a": np.where(first, ka, kb),
            "b": np.where(first, kb, ka),
            "x": np.round(cx),
            "y": np.round(cy),
            "area": np.round(np.nan_to_num(area)),
        }
    )
    hashed = pd.util.hash_pandas_object(key_frame, index=False).to_numpy(dtype=np.uint64)
    out.insert(1, "patch_key", [f"{h:016x}"[:10] for h in hashed])
    geometry = gpd.GeoSeries(g, crs=crs) if len(g) else gpd.GeoSeries([], crs=crs)
    return gpd.GeoDataFrame(out, geometry=geometry, crs=crs)


def checked_pairs(
    m: LineMatrix, classes: np.ndarray, contacts: pd.DataFrame, patches: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Every unordered pair of line classes present (self-pairs included), what grades it and what
    was found: ``clear`` (checked, nothing), ``found``, ``allowed`` (they may share land)."""
    present = sorted(set(classes.tolist()))
    combos = [(x, y) for i, x in enumerate(present) for y in present[i:]]
    rules = _rule_table(m, [c[0] for c in combos], [c[1] for c in combos])
    n_contact = (
        contacts.drop_duplicates(["a", "b"]).groupby(["ca", "cb"]).size()
        if len(contacts)
        else pd.Series(dtype=int)
    )
    if len(patches):
        pc = line_classes(
            m, patches["type_a"].to_numpy(dtype=object), patches["zone_a"].to_numpy(dtype=object)
        )
        has_b = patches["type_b"].notna().to_numpy()
        pb = np.where(
            has_b,
            line_classes(
                m,
                patches["type_b"].fillna("").to_numpy(dtype=object),
                patches["zone_b"].to_numpy(dtype=object),
            ),
            pc,
        )
        lo, hi = np.where(pc <= pb, pc, pb), np.where(pc <= pb, pb, pc)
        stats = (
            pd.DataFrame({"ca": lo, "cb": hi, "area": patches["area_m2"].fillna(0.0).to_numpy()})
            .groupby(["ca", "cb"])
            .agg(findings=("area", "size"), area_m2=("area", "sum"))
        )
    else:
        stats = pd.DataFrame(columns=["findings", "area_m2"])
    keys = pd.MultiIndex.from_frame(rules[["ca", "cb"]])
    rules["contacts"] = n_contact.reindex(keys).fillna(0).astype(int).to_numpy()
    rules["findings"] = stats["findings"].reindex(keys).fillna(0).astype(int).to_numpy()
    rules["area_m2"] = stats["area_m2"].reindex(keys).fillna(0.0).astype(float).to_numpy()
    rules["status"] = np.where(
        rules["findings"] > 0, "found", np.where(rules["overlap"] == "allowed", "allowed", "clear")
    )
    rules = rules.rename(columns={"ca": "side_a", "cb": "side_b"})
    cols = ["side_a", "side_b", "entry", "overlap", "contained", "crossing", "contacts"]
    return rules[[*cols, "findings", "area_m2", "status"]].reset_index(drop=True)


def lines_status(index: pd.Index, patches: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per input line (aligned to its index): findings, the worst severity, the patch numbers."""
    long = pd.concat(
        [
            patches[["row_a", "patch_id", "severity"]].rename(columns={"row_a": "row"}),
            patches.loc[patches["row_b"].notna(), ["row_b", "patch_id", "severity"]].rename(
                columns={"row_b": "row"}
            ),
        ],
        ignore_index=True,
    )
    long["rank"] = long["severity"].map(SEVERITY_ORDER)
    grouped = long.groupby("row", sort=False)
    n = grouped.size()
    worst = grouped["rank"].min().map({v: k for k, v in SEVERITY_ORDER.items()})
    ids = grouped["patch_id"].agg(", ".join)
    out = pd.DataFrame(index=index)
    out["n_findings"] = n.reindex(index).fillna(0).astype(int).to_numpy()
    for name, values in (("worst_severity", worst), ("patch_ids", ids)):
        col = values.reindex(index).astype(object)
        out[name] = col.where(col.notna(), "").to_numpy(dtype=object)
    return out
