"""Columns and rows in the user's names and units.

Every column and row maps back to user names through the key frames of the
``LinearProgram``'s families (``var_families`` / ``row_families``). Money is turned
back into the case's units like :func:`chainopt.extract._per_unit`: a dual in
discounted MUSD per k units/yr divided by ``w_t / 1000`` is USD per unit in the money
of period t. Which unit a family's marginal values take (``value_unit``) and how its
rows scale (``scale``) is declared in its spec (:mod:`chainopt.models.registry`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from chainopt.case import terms
from chainopt.models import MUSD_PER_KUSD, tiers
from chainopt.models.build import BuiltModel
from chainopt.models.lp import Family, LinearProgram
from chainopt.models.registry import BLOCKS, ROWS, spec
from chainopt.models.spec import Row
from chainopt.results import commodity_units

_SAFE = re.compile(r"[^A-Za-z0-9_.,()\-]")


def as_text(values: pd.Series) -> pd.Series:
    """A key column as text: whole numbers without a decimal point (a segment or tier
    read as 1.0 prints ``1``, one of 1e19 ``10000000000000000000``: the digits of the
    number, never a 64-bit integer that wraps around beyond 2**63), everything else as
    ``str``."""
    if values.dtype.kind != "f":
        return values.astype(str)
    v = values.to_numpy(dtype=float)
    whole = np.isfinite(v) & (np.mod(v, 1) == 0)
    ints = pd.Series(np.char.mod("%.0f", np.where(whole, v, 0.0)), index=values.index)
    return ints.where(whole, values.astype(str))


def key_text(keys: pd.DataFrame) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """``"unit=tob_pe, period=p2026"`` for every row of a key frame, as an array (the
    strings as pandas made them, not copied into Python objects: a column of a table)."""
    if keys.shape[1] == 0:
        return np.full(len(keys), "", dtype=object)
    c0 = keys.columns[0]
    out = c0 + "=" + as_text(keys[c0])
    for c in keys.columns[1:]:
        out = out + f", {c}=" + as_text(keys[c])  # (one Series addition per part)
    return out.array if isinstance(out.dtype, pd.StringDtype) else out.to_numpy(dtype=object)


def element_keys(lp: LinearProgram, fam: Family, at: np.ndarray | slice = slice(None)
                 ) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """:func:`key_text` of ``fam``'s elements at positions ``at``: a tier 1 of a site and
    commodity with further tiers (:func:`chainopt.models.tiers.further`) is keyed with
    ``tier=1`` (``site=a, commodity=crude, tier=1, period=p1``), as its further tiers are
    with theirs, so that its words say which tier it is."""
    k = fam.keys.iloc[at]
    out = key_text(k)
    one = tiers.further(lp, fam)
    sel = one[at] if one is not None else None
    if sel is None or not sel.any():
        return out
    out = np.asarray(out, dtype=object)
    out[sel] = key_text(k[sel].assign(tier=1.0)[tiers.TIERED])
    return out


def names(families: list[Family]) -> list[str]:
    """``label(key,key,...)`` for every column or row of ``families``, made safe for MPS/LP
    (:data:`_SAFE`: each character a name cannot hold as ``_``, one for one, so the
    label and each key are made safe apart, each distinct key once: the 300k-variable
    case's 484,872 names 0.38 -> 0.15 s)."""
    out: list[str] = []
    for f in families:
        if f.stop == f.start:
            continue
        label = _SAFE.sub("_", f.label)
        if f.keys.shape[1] == 0:
            out.extend(f"{label}({i})" for i in range(f.stop - f.start))
            continue
        vals = label + "(" + _safe(as_text(f.keys[f.keys.columns[0]]))
        for c in f.keys.columns[1:]:
            vals = vals + "," + _safe(as_text(f.keys[c]))
        out.extend((vals + ")").tolist())
    return out


def _safe(values: pd.Series) -> pd.Series:
    """``values`` (text) with each character a name cannot hold as ``_`` (:data:`_SAFE`),
    each distinct value worked out once."""
    code, distinct = pd.factorize(values, use_na_sentinel=False)
    made = np.array([_SAFE.sub("_", str(v)) for v in distinct], dtype=object)
    return pd.Series(made[code], index=values.index, dtype="str")


def name_of(families: list[Family], i: int) -> str:
    """The readable name of column or row ``i`` alone (no full name list needed)."""
    for f in families:
        if f.start <= i < f.stop:
            k = f.keys.iloc[[i - f.start]]
            inner = (",".join(as_text(k[c]).iloc[0] for c in k.columns) if k.shape[1]
                     else str(i - f.start))
            return _SAFE.sub("_", f"{f.label}({inner})")
    return str(i)


def matrix_entry(built: BuiltModel, k: int) -> str:
    """``row x column`` of the matrix's ``k``-th stored coefficient (row-wise)."""
    m = built.arrays.matrix
    row = int(np.searchsorted(m.indptr, k, "right")) - 1
    return (f"{name_of(built.lp.row_families, row)} x "
            f"{name_of(built.lp.var_families, int(m.indices[k]))}")


def input_behind(name: str) -> str:
    """The input behind a coefficient named ``row x column`` (or a column or row alone):
    that of the row's family when the row sets its own coefficients (``Row.own_coefficients``:
    user constraints, blends, emission caps), else that of the column's family."""
    labels = [p.split("(")[0] for p in str(name).split(" x ")]
    label = labels[-1]
    if labels[0] in ROWS and ROWS[labels[0]].own_coefficients:
        label = labels[0]
    block = label.split(".")[0]
    return BLOCKS[block].inputs if block in BLOCKS else ""


def column_names(built: BuiltModel) -> list[str]:
    """``conversion.activity(tob_cdu,cdu_run,p2026)`` for every column (HiGHS rejects ``[]``)."""
    return names(built.lp.var_families)


def row_names(built: BuiltModel) -> list[str]:
    """``conversion.capacity_max(tob_cdu,p2026)`` for every row."""
    return names(built.lp.row_families)


def locate(lp: LinearProgram, families: list[Family], idx: np.ndarray) -> pd.DataFrame:
    """family, key (:func:`element_keys`), period of the columns or rows ``idx`` of
    ``families`` (``lp``'s columns or rows)."""
    rows = []
    for f in families:
        sel = idx[(idx >= f.start) & (idx < f.stop)]
        if not len(sel):
            continue
        k = f.keys.iloc[sel - f.start].reset_index(drop=True)
        rows.append(pd.DataFrame({
            "index": sel, "family": f.label, "key": element_keys(lp, f, sel - f.start),
            "period": k["period"].astype(str).to_numpy() if "period" in k else "",
            **{c: k[c].astype(str).to_numpy() for c in ("site", "commodity", "unit", "link")
               if c in k}}))
    if not rows:
        return pd.DataFrame(columns=["index", "family", "key", "period"])
    out = pd.concat(rows, ignore_index=True)
    return out.set_index("index").loc[idx].reset_index()


def money(built: BuiltModel, fam: Family) -> tuple[np.ndarray, str]:
    """Divisor turning a dual of ``fam`` into the case's money, and its unit
    (:func:`money_unit`)."""
    n = fam.stop - fam.start
    unit = money_unit(fam)
    if unit == "MUSD (NPV)":
        return np.ones(n), unit
    if unit == "USD per unit (NPV)":
        return np.full(n, MUSD_PER_KUSD), unit
    return MUSD_PER_KUSD * built.index.weight(fam.keys["period"]), unit


def money_unit(fam: Family) -> str:
    """The unit :func:`money` gives ``fam``'s duals: the family's ``value_unit`` (period
    money, or NPV per unit, or NPV of a project), NPV per unit for a family without
    periods."""
    unit = spec(fam.label).value_unit
    if unit != "MUSD (NPV)" and "period" not in fam.keys:
        return "USD per unit (NPV)"
    return unit


def row_scale(built: BuiltModel, fam: Family, stated: bool = False) -> np.ndarray:
    """Row units per user unit: the spec's ``scale`` column (a unit's capacity row counts
    capacity x availability), else 1; with ``stated``, also times the share of the input
    value the row holds (``Row.stated``: an existing unit alive for part of the period),
    so that a diagnosis speaks of the number in the input table."""
    part = spec(fam.label)
    out = np.ones(fam.stop - fam.start)
    if not isinstance(part, Row):
        return out
    for ref in (part.scale, part.stated if stated else None):
        if ref is not None:
            s = _joined(built, fam, ref)
            out = out * np.where(s > 0, s, 1.0)
    return out


def in_service(built: BuiltModel, fam: Family) -> np.ndarray:
    """The share of the period each row of ``fam`` holds of the input value (its spec's
    ``stated``: an existing unit in service for part of it), as it is: 0 for a unit out
    of service all the period (:func:`row_scale` takes 1 there, where it divides), 1
    where the family has none."""
    part = spec(fam.label)
    ref = part.stated if isinstance(part, Row) else None
    return np.ones(fam.stop - fam.start) if ref is None else _joined(built, fam, ref)


def _joined(built: BuiltModel, fam: Family, ref: tuple[str, str]) -> np.ndarray:
    """The column ``ref`` (ModelIndex frame, column) for each row of ``fam``, joined on
    the family's key columns; 1 where the frame has no row."""
    frame, column = ref
    on = list(fam.keys.columns)
    m = fam.keys.merge(getattr(built.index, frame)[[*on, column]], on=on, how="left")
    return m[column].fillna(1.0).to_numpy(dtype=float)


def stated_in(built: BuiltModel, source: tuple[str, str] | None, keys: pd.DataFrame
              ) -> np.ndarray:
    """Where each element's bound is stated, its family's ``source`` (input table,
    column): ``markets_by_period.csv row 2`` where the table by period has a row of the
    element's key and period giving the column, else the table's first row of the key
    (``markets.csv row 3``; tier 1's for a family without tiers), as the case was read (a
    scenario's and a workbook's are said where the user finds them:
    :func:`chainopt.case.scenario.located_warnings`); "" where there is none (a row the
    model adds)."""
    out = np.full(len(keys), "", dtype=object)
    base = built.case.tables.get(source[0]) if source else None
    if source is None or base is None or not len(keys):
        return out
    table, column = source
    on = [c for c in keys.columns if c != "period" and c in base.columns]
    if not on:
        return out
    want = pd.DataFrame({c: as_text(keys[c].reset_index(drop=True)) for c in on})
    want["_at"] = np.arange(len(keys))
    # a family without tiers keys a tiered table's tier 1 (review diag2 F1: the first
    # row of the site and commodity was cited, tier 2's where it came first)
    first_tier = "tier" in base.columns and "tier" not in keys.columns

    def first_rows(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        if first_tier and "tier" in df.columns:
            t = pd.to_numeric(df["tier"], errors="coerce")
            df = df[t.isna() | (t == 1)]
        have = pd.DataFrame({c: as_text(df[c]) for c in by}).assign(_row=df["_row"].to_numpy())
        return have.drop_duplicates(by)  # (in file order: the first row of each key)

    hit = want.merge(first_rows(base, on), on=on, how="inner")
    out[hit["_at"].to_numpy()] = [f"{table}.csv row {r}" for r in hit["_row"]]
    by = built.case.by_period.get(table)
    if by is not None and "period" in keys and column in by and set(on) <= set(by.columns):
        given = by[pd.to_numeric(by[column], errors="coerce").notna()]
        want["period"] = as_text(keys["period"].reset_index(drop=True))
        hit = want.merge(first_rows(given, [*on, "period"]), on=[*on, "period"], how="inner")
        out[hit["_at"].to_numpy()] = [f"{table}_by_period.csv row {r}" for r in hit["_row"]]
    return out


def quantity_unit(built: BuiltModel, keys: pd.DataFrame) -> Coded:
    """The unit one element's quantity is counted in, for every row of a key frame, never
    blank: the commodity's unit (keys with a commodity or a blend component), a blend's
    product unit, a link's commodity unit (``unit`` if it carries several of different
    units), ``activity unit`` for units and modes (a mode's where the key names one),
    ``project share`` for projects and
    the unit a user constraint's terms share; a unit whose modes use other than one
    unit of capacity per unit of activity (``capacity_use``) counts its capacity in
    ``capacity unit``. Looked up once per distinct name
    (:func:`_per_name`)."""
    n = len(keys)
    if not n:  # (a family of no element: a case without links has no link capacity)
        return Coded(np.array([], dtype=object))
    com = _commodity_units(built)
    if "commodity" in keys:
        return _per_name(keys["commodity"], com, "unit")
    if "component" in keys:
        return _per_name(keys["component"], com, "unit")
    if "blend" in keys and "property" in keys:  # a spec: per unit of the blend it counts
        st = built.index.spec_terms.drop_duplicates(["blend", "property"])
        su = pd.Series(st["spec_unit"].to_numpy(), index=st["blend"] + " " + st["property"])
        return _per_name(keys["blend"] + " " + keys["property"], su, "unit")
    if "blend" in keys:
        bl = built.case.tables["blends"].set_index("blend")["product"].map(com)
        return _per_name(keys["blend"], bl, "unit")
    if "link" in keys:
        return _per_name(keys["link"], _link_units(built), "unit")
    if "unit" in keys or "mode" in keys:
        # a mode's own quantity (its activity, its variable cost's per unit) is in its
        # activity unit, a unit's in the unit's capacity unit: they differ where a mode
        # uses other than one unit of capacity per unit of activity (``capacity_use``)
        act = _activity_units(built)
        col = "mode" if "mode" in keys else "unit"
        return _per_name(keys[col], act[col], "activity unit")
    if "project" in keys:
        return Coded(np.array(["project share"], dtype=object), np.zeros(n, dtype=np.intp))
    if "constraint" in keys:  # the unit all its terms share: that of the commodities
        # each term selects (one unit per term, terms.select sees to it; a term naming
        # no commodity counts in theirs: sales at a site selling only products in t is
        # in t), ``activity unit`` for activity terms
        picked = terms.select(built.index)[0]  # activity alone selects no commodity
        unit = (picked["commodity"].map(com) if "commodity" in picked
                else pd.Series(np.nan, index=picked.index, dtype=object))
        unit = unit.fillna("activity unit")
        return _per_name(keys["constraint"], _agreed(picked["constraint"], unit), "unit")
    return Coded(np.array(["unit"], dtype=object), np.zeros(n, dtype=np.intp))


def _per_name(names: pd.Series, mapping: pd.Series | dict, blank: str) -> Coded:
    """``mapping[name]`` as text for every row (``blank`` where there is none or it is
    missing), looked up once per distinct name (a dictionary's lookup: a family has a few
    distinct names, each a pandas call would cost more than all of them) and kept as
    codes."""
    codes, uniques = pd.factorize(names)
    known = mapping if isinstance(mapping, dict) else dict(zip(
        mapping.index, mapping.to_numpy(dtype=object), strict=True))
    return Coded(np.array([blank if (u := known.get(name)) is None or pd.isna(u) else str(u)
                           for name in uniques], dtype=object), codes)


def _commodity_units(built: BuiltModel) -> dict[str, str]:
    """Each commodity's unit (``commodities.csv``: :func:`chainopt.results.commodity_units`
    of the case's tables), made once per model."""
    return built.derive("commodity_units", lambda b: commodity_units(b.case.tables))


def _link_units(built: BuiltModel) -> pd.Series:
    """The unit each link carries its commodities in, by link, where they all share one
    (:func:`_agreed`), made once per model (the flow and the capacity families ask)."""
    def make(b: BuiltModel) -> pd.Series:
        f = b.index.flow[["link", "commodity"]].drop_duplicates()
        return _agreed(f["link"], f["commodity"].map(_commodity_units(b)))

    return built.derive("link_units", make)


class Coded:
    """A text column stored as integer codes into its few distinct values; indexing it
    with a mask (or slice) gives the selected values as a pandas string array. A family
    of 300k elements repeats a handful of periods and units: 300k codes instead of
    300k strings. ``Coded(values)`` holds ``values``; ``Coded(values, codes)`` holds
    ``values[codes]`` (a value per code, not necessarily distinct)."""

    def __init__(self, values: np.ndarray | pd.Series | pd.api.extensions.ExtensionArray,
                 codes: np.ndarray | None = None) -> None:
        vcodes, uniques = pd.factorize(values)
        self.codes = (vcodes if codes is None else vcodes[codes]).astype(np.int32)
        self.values = pd.array(np.asarray(uniques, dtype=object), dtype="str")

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, mask: np.ndarray | slice) -> pd.api.extensions.ExtensionArray:
        return self.values.take(self.codes[mask])


def element_text(built: BuiltModel, fam: Family, unit: str) -> dict[str, object]:
    """The text columns of every element of ``fam``: ``key``, ``period``, ``value_unit``
    (marginal values in ``unit``) and ``quantity_unit``, as columns a boolean mask
    selects from (:func:`selected`). Made once per family (the value unit once per
    family and unit) and model (``BuiltModel.derive``: {family: columns, (family,
    unit): value units}): the insight tables select from the same family several times
    (binding rows, reduced costs, ranging), and ``chainopt run`` makes them all while
    HiGHS solves (:func:`chainopt.diagnose.insight.prepare_text`). Periods and units
    are :class:`Coded`; a value unit is made once per distinct quantity unit."""
    memo = built.derive("element_text", lambda _: {})
    k = fam.keys
    if fam.label not in memo:
        memo[fam.label] = {
            "key": element_keys(built.lp, fam),
            "period": Coded(k["period"].astype(str) if "period" in k
                            else np.full(len(k), "", dtype=object)),
            "quantity_unit": quantity_unit(built, k)}
    text = memo[fam.label]
    if (fam.label, unit) not in memo:
        q = text["quantity_unit"]
        memo[(fam.label, unit)] = (
            Coded(value_unit(unit, np.asarray(q[slice(None)]), k)) if "property" in k
            else Coded(value_unit(unit, np.asarray(q.values, dtype=object)), q.codes))
    return {"key": text["key"], "period": text["period"],
            "value_unit": memo[(fam.label, unit)], "quantity_unit": text["quantity_unit"]}


def selected(columns: dict[str, object], mask: np.ndarray | slice) -> dict[str, object]:
    """``columns`` (from :func:`element_text`) where ``mask`` holds."""
    return {name: values[mask] for name, values in columns.items()}  # type: ignore[index]


def _activity_units(built: BuiltModel) -> dict[str, pd.Series]:
    """The unit one activity unit is counted in, by unit and by mode: the unit of the
    commodities its modes take in or put out exactly 1 of (1 t of crude per t of
    activity), when they agree; else none (``activity unit``). Made once per model
    (``BuiltModel.derive``; the insight tables ask once per family)."""
    return built.derive("activity_units", _compute_activity_units)


def _compute_activity_units(built: BuiltModel) -> dict[str, pd.Series]:
    com = _commodity_units(built)
    mf = built.index.mode_flows
    one = mf[np.isclose(mf["coef"].abs(), 1.0)]
    by_mode = _agreed(one["mode"], one["commodity"].map(com))
    act = built.index.activity[["unit", "mode", "capacity_use"]].drop_duplicates(
        ["unit", "mode"])
    by_unit = _agreed(act["unit"], act["mode"].map(by_mode))
    # a unit's own quantities (capacity, new capacity) are in capacity units: one
    # activity unit of a mode uses capacity_use of them, so only where that is 1 do they
    # share the activity's unit
    other = set(act.loc[~np.isclose(act["capacity_use"].to_numpy(float), 1.0), "unit"])
    by_unit = by_unit.where(~by_unit.index.isin(other), "capacity unit")
    by_unit = pd.concat([by_unit, pd.Series("capacity unit", index=sorted(
        other - set(by_unit.index)), dtype=object)])
    return {"unit": by_unit, "mode": by_mode}


def _agreed(groups: pd.Series, values: pd.Series) -> pd.Series:
    """Per group, the one value all its rows share, indexed by group in the order the
    groups first appear; a group whose rows disagree or miss a value is left out (a row
    of no group too). On integer codes: a group agrees where the smallest and largest
    code of its values are one code, not a missing one (no Python call per group, no
    pandas grouping: a handful of groups cost what a grouping's set-up does)."""
    g, names = pd.factorize(groups.to_numpy(dtype=object))
    v, distinct = pd.factorize(values.to_numpy(dtype=object))  # (a missing value: -1)
    g, v = g[g >= 0], v[g >= 0]
    lo = np.full(len(names), np.iinfo(np.int64).max)
    hi = np.full(len(names), -1)
    np.minimum.at(lo, g, v)
    np.maximum.at(hi, g, v)
    ok = (lo == hi) & (lo >= 0)
    return pd.Series(np.asarray(distinct, dtype=object)[lo[ok]],
                     index=np.asarray(names, dtype=object)[ok], dtype=object)


def value_unit(base: str, qunit: np.ndarray, keys: pd.DataFrame | None = None
               ) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """A marginal value's unit in the user's units, for each element: ``USD per unit``
    (money of the period, per unit of a yearly quantity, each year) becomes ``USD per
    bbl``; ``USD per unit (NPV)`` (a one-off value per unit of yearly capacity) becomes
    ``USD per t/yr (NPV)``; a blend spec's ``per bbl per octane``."""
    q = pd.Series(qunit, dtype=object).astype(str)
    if base == "MUSD (NPV)":
        return np.full(len(q), base, dtype=object)
    out = "USD per " + q + "/yr (NPV)" if base == "USD per unit (NPV)" else "USD per " + q
    if keys is not None and "property" in keys:
        out = out + " per " + keys["property"].astype(str).reset_index(drop=True)
    return out.array if isinstance(out.dtype, pd.StringDtype) else out.to_numpy(dtype=object)


def clean(x: np.ndarray) -> np.ndarray:
    """Round away solver noise (|x| < 1e-9 -> 0, no negative zeros)."""
    x = np.where(np.abs(x) < 1e-9, 0.0, x)
    return x + 0.0
