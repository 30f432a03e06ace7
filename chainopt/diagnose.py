"""Insight from the solver: marginal-value tables, ranging, infeasibility and
unboundedness diagnosis, readable model export and coefficient ranges.

Every column and row maps back to user names through the key frames of the
``LinearProgram``'s families (``var_families`` / ``row_families``). Money is turned
back into the case's units like :func:`chainopt.extract._per_unit`: a dual in
discounted MUSD per k units/yr divided by ``w_t / 1000`` is USD per unit in the money
of period t. Investment columns and rows have no single period's money: they are
reported in USD per unit (NPV) and projects in MUSD (NPV).

Signs (HiGHS, maximisation): a row dual is the objective change per unit increase of
the row's bound; a column dual the change per unit the column is forced up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd

from chainopt.models import MUSD_PER_KUSD
from chainopt.models.build import BuiltModel
from chainopt.models.lp import Family
from chainopt.solve import INF, SolveOutcome, new_highs, to_highs_lp

TOL = 1e-7
BIG = 1e9  # artificial bound (k units/yr) used to find the columns of an unbounded case

# objective coefficients the user sets: family -> (what, sign of the coefficient)
COST_FAMILIES = {
    "supply.purchase": ("supply cost", -1.0),
    "market.sales": ("price", 1.0),
    "conversion.activity": ("variable cost", -1.0),
    "transport.flow": ("transport cost", -1.0),
    "blending.blend": ("blending cost", -1.0),
}
# row bounds the user sets (ranged, relaxed by --elastic)
BOUND_ROWS = {
    "conversion.capacity_max": "capacity",
    "transport.capacity_max": "capacity",
    "blending.capacity_max": "capacity",
    "market.demand_min": "demand floor",
    "emissions.cap_max": "emission cap",
    "user.relation": "right-hand side",
}
# column upper bounds the user sets
BOUND_COLS = {"supply.purchase": "supply limit", "market.sales": "sales cap"}
ELASTIC_ROWS = ("conversion.capacity_max", "transport.capacity_max", "blending.capacity_max",
                "market.demand_min", "emissions.cap_max")
REDUCED = ("supply.purchase", "conversion.activity", "transport.flow", "market.sales",
           "blending.blend", "investment.unit_new", "investment.link_new",
           "investment.project_share", "investment.project_build")
# where the coefficients of a family come from (for the coefficient-range report)
INPUTS = {
    "supply": "supplies.csv (cost_usd_per_unit, max_k_per_yr)",
    "market": "markets.csv (price_usd_per_unit, min/max_k_per_yr)",
    "conversion": "mode_flows.csv amount_per_unit, modes.csv, units.csv capacity_k_per_yr",
    "transport": "links.csv (capacity_k_per_yr, cost_usd_per_unit, loss_fraction)",
    "blending": "qualities.csv / specs.csv / blends.csv",
    "investment": "units.csv / links.csv / projects.csv (capex, sizes)",
    "emissions": "policies.csv and the emission amounts in mode_flows.csv",
    "user": "constraints.csv rhs / constraint_terms.csv coef",
    "balance": "mode_flows.csv amount_per_unit and links.csv loss_fraction",
}
_SAFE = re.compile(r"[^A-Za-z0-9_.,()\-]")


# -- names ------------------------------------------------------------------------------
def key_text(keys: pd.DataFrame) -> np.ndarray:
    """``"unit=tob_pe, period=p2026"`` for every row of a key frame."""
    if keys.shape[1] == 0:
        return np.full(len(keys), "", dtype=object)
    out = None
    for c in keys.columns:
        part = c + "=" + keys[c].astype(str)
        out = part if out is None else out + ", " + part
    return out.to_numpy(dtype=object)


def _names(families: list[Family]) -> list[str]:
    names: list[str] = []
    for f in families:
        if f.stop == f.start:
            continue
        if f.keys.shape[1] == 0:
            names.extend(f"{f.label}({i})" for i in range(f.stop - f.start))
            continue
        vals = None
        for c in f.keys.columns:
            v = f.keys[c].astype(str)
            vals = v if vals is None else vals + "," + v
        names.extend(_SAFE.sub("_", f"{f.label}({v})") for v in vals)
    return names


def _name_of(families: list[Family], i: int) -> str:
    """The readable name of column or row ``i`` alone (no full name list needed)."""
    for f in families:
        if f.start <= i < f.stop:
            k = f.keys.iloc[i - f.start]
            inner = ",".join(str(v) for v in k.to_numpy()) if len(k) else str(i - f.start)
            return _SAFE.sub("_", f"{f.label}({inner})")
    return str(i)


def column_names(built: BuiltModel) -> list[str]:
    """``conversion.activity(tob_cdu,cdu_run,p2026)`` for every column (HiGHS rejects ``[]``)."""
    return _names(built.lp.var_families)


def row_names(built: BuiltModel) -> list[str]:
    return _names(built.lp.row_families)


def _locate(families: list[Family], idx: np.ndarray) -> pd.DataFrame:
    """family, key, period of the columns or rows ``idx``."""
    rows = []
    for f in families:
        sel = idx[(idx >= f.start) & (idx < f.stop)]
        if not len(sel):
            continue
        k = f.keys.iloc[sel - f.start].reset_index(drop=True)
        rows.append(pd.DataFrame({
            "index": sel, "family": f.label, "key": key_text(k),
            "period": k["period"].astype(str).to_numpy() if "period" in k else "",
            **{c: k[c].astype(str).to_numpy() for c in ("site", "commodity", "unit", "link")
               if c in k}}))
    if not rows:
        return pd.DataFrame(columns=["index", "family", "key", "period"])
    out = pd.concat(rows, ignore_index=True)
    return out.set_index("index").loc[idx].reset_index()


# -- units of money and quantity ----------------------------------------------------------
def _money(built: BuiltModel, fam: Family) -> tuple[np.ndarray, str]:
    """Divisor turning a dual of ``fam`` into the case's money, and its unit."""
    n = fam.stop - fam.start
    if fam.label in ("investment.project_share", "investment.project_build",
                     "investment.build_once"):
        return np.ones(n), "MUSD (NPV)"
    if fam.block == "investment" or "period" not in fam.keys:
        return np.full(n, MUSD_PER_KUSD), "USD per unit (NPV)"
    return MUSD_PER_KUSD * built.index.weight(fam.keys["period"]), "USD per unit"


def _row_scale(built: BuiltModel, fam: Family) -> np.ndarray:
    """Row units per user unit (availability for a unit's capacity row, else 1)."""
    if fam.label == "conversion.capacity_max":
        uc = built.index.unit_cap[["unit", "period", "availability"]]
        m = fam.keys.merge(uc, on=["unit", "period"], how="left")
        s = m["availability"].fillna(1.0).to_numpy(dtype=float)
        return np.where(s > 0, s, 1.0)
    return np.ones(fam.stop - fam.start)


def _quantity_unit(built: BuiltModel, keys: pd.DataFrame) -> np.ndarray:
    if "commodity" not in keys:
        return np.full(len(keys), "", dtype=object)
    units = built.case.tables["commodities"].set_index("commodity")["unit"]
    return keys["commodity"].map(units).fillna("").astype(str).to_numpy(dtype=object)


def _clean(x: np.ndarray) -> np.ndarray:
    x = np.where(np.abs(x) < 1e-9, 0.0, x)
    return x + 0.0


# -- marginal values ---------------------------------------------------------------------
CONSTRAINT_COLUMNS = ["family", "kind", "key", "period", "side", "activity", "bound", "slack",
                      "marginal_value", "value_unit", "quantity_unit"]


def constraints_table(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    """One row per constraint element that binds (rows, and user-set column bounds).

    ``marginal_value``: what one unit more room adds to the objective per year, in
    the money of its period — the bound moved one unit in the direction that loosens
    it (>= 0); for an equality, the right-hand side raised by one (either sign).
    Capacity rows of units are per unit of capacity (the dual times availability).
    """
    a = built.arrays
    frames = []
    for fam in built.lp.row_families:
        if fam.label == "balance.commodity" or fam.stop == fam.start:
            continue
        sl = slice(fam.start, fam.stop)
        act, lo, hi, d = out.row_value[sl], a.row_lb[sl], a.row_ub[sl], out.row_dual[sl]
        div, unit = _money(built, fam)
        s = _row_scale(built, fam)
        eq = np.isfinite(lo) & (lo == hi)
        at_lo = np.isfinite(lo) & (np.abs(act - lo) <= TOL * (1 + np.abs(np.nan_to_num(lo))))
        at_hi = np.isfinite(hi) & (np.abs(act - hi) <= TOL * (1 + np.abs(np.nan_to_num(hi))))
        upper = np.where(d > 1e-12, True, np.where(d < -1e-12, False, at_hi))
        side = np.where(eq, "equal", np.where(upper, "upper", "lower"))
        val = d / div * s
        marginal = np.where(side == "lower", -val, val)
        bound = np.where(side == "lower", lo, hi)
        slack = np.where(eq, 0.0, np.where(upper, hi - act, act - lo))
        keep = at_lo | at_hi | (np.abs(d) > 1e-12)
        if not keep.any():
            continue
        k = fam.keys[keep].reset_index(drop=True)
        frames.append(pd.DataFrame({
            "family": fam.label, "kind": "row", "key": key_text(k),
            "period": k["period"].astype(str).to_numpy() if "period" in k else "",
            "side": side[keep], "activity": _clean(act[keep] / s[keep]),
            "bound": bound[keep] / s[keep], "slack": _clean(slack[keep] / s[keep]),
            "marginal_value": _clean(marginal[keep]), "value_unit": unit,
            "quantity_unit": _quantity_unit(built, k)}))
    for fam in built.lp.var_families:
        if fam.stop == fam.start:
            continue
        sl = slice(fam.start, fam.stop)
        x, lo, hi, d = out.col_value[sl], a.col_lb[sl], a.col_ub[sl], out.col_dual[sl]
        ints = a.integer[sl]
        div, unit = _money(built, fam)
        at_hi = np.isfinite(hi) & (hi > 0) & (np.abs(x - hi) <= TOL * (1 + np.abs(
            np.where(np.isfinite(hi), hi, 0.0)))) & ~ints & (lo < hi)
        at_lo = (lo > 0) & (np.abs(x - lo) <= TOL * (1 + lo)) & ~ints & (lo < hi)
        keep = at_hi | at_lo
        if not keep.any():
            continue
        k = fam.keys[keep].reset_index(drop=True)
        up = at_hi[keep]
        frames.append(pd.DataFrame({
            "family": fam.label, "kind": "bound", "key": key_text(k),
            "period": k["period"].astype(str).to_numpy() if "period" in k else "",
            "side": np.where(up, "upper", "lower"), "activity": _clean(x[keep]),
            "bound": np.where(up, hi[keep], lo[keep]), "slack": 0.0,
            "marginal_value": _clean(np.where(up, 1.0, -1.0) * d[keep] / div[keep]),
            "value_unit": unit, "quantity_unit": _quantity_unit(built, k)}))
    if not frames:
        return pd.DataFrame(columns=CONSTRAINT_COLUMNS)
    return pd.concat(frames, ignore_index=True)[CONSTRAINT_COLUMNS]


def reduced_costs_table(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    """Unused supplies, modes, links, markets and expansions: how much better each must
    get before it is used (``improvement_needed``, >= 0; 0 = could be used at no loss)."""
    frames = []
    for fam in built.lp.var_families:
        if fam.label not in REDUCED or fam.stop == fam.start:
            continue
        sl = slice(fam.start, fam.stop)
        x, d = out.col_value[sl], out.col_dual[sl]
        unused = (np.abs(x) <= TOL) & (built.arrays.col_lb[sl] == 0)
        if not unused.any():
            continue
        div, unit = _money(built, fam)
        k = fam.keys[unused].reset_index(drop=True)
        frames.append(pd.DataFrame({
            "family": fam.label, "key": key_text(k),
            "period": k["period"].astype(str).to_numpy() if "period" in k else "",
            "improvement_needed": _clean(np.maximum(-d[unused] / div[unused], 0.0)),
            "value_unit": unit}))
    if not frames:
        return pd.DataFrame(columns=["family", "key", "period", "improvement_needed",
                                     "value_unit"])
    return pd.concat(frames, ignore_index=True)


# -- ranging -----------------------------------------------------------------------------
RANGING_COLUMNS = ["kind", "family", "key", "period", "what", "level", "value", "lower", "upper",
                   "marginal_value", "value_unit", "room"]


def _optimal_lp(built: BuiltModel, out: SolveOutcome) -> highspy.Highs | None:
    """A HiGHS instance holding the optimal LP basis: the model's own after an LP solve,
    else the LP with the integer decisions fixed at their values (solved afresh)."""
    h = built.solver
    ok = (h is not None and not built.is_mip
          and h.getModelStatus() == highspy.HighsModelStatus.kOptimal
          and np.allclose(np.asarray(h.getSolution().col_value), out.col_value, atol=1e-6))
    if ok:
        return h
    lp = to_highs_lp(built)
    if built.is_mip:
        ints = np.flatnonzero(built.arrays.integer)
        lo = np.asarray(built.arrays.col_lb, dtype=float).copy()
        hi = np.where(np.isinf(built.arrays.col_ub), INF, built.arrays.col_ub).astype(float)
        lo[ints] = hi[ints] = np.round(out.col_value[ints])
        lp.col_lower_, lp.col_upper_ = lo, hi
        lp.integrality_ = []
    h = new_highs()
    h.passModel(lp)
    h.run()
    return h if h.getModelStatus() == highspy.HighsModelStatus.kOptimal else None


def _room(value: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        room = np.minimum(value - lower, upper - value) / np.maximum(np.abs(value), 1e-9)
    return np.where(np.isnan(room), np.inf, np.maximum(room, 0.0))


def ranging_table(built: BuiltModel, out: SolveOutcome) -> tuple[pd.DataFrame, str]:
    """Cost and bound ranging in the case's units, and where it came from
    (``lp``, ``fixed_lp`` for a MIP, or ``unavailable``)."""
    empty = pd.DataFrame(columns=RANGING_COLUMNS)
    h = _optimal_lp(built, out)
    if h is None:
        return empty, "unavailable"
    status, r = h.getRanging()
    if status != highspy.HighsStatus.kOk or not r.valid:
        return empty, "unavailable"
    a = built.arrays
    frames = []
    cdn, cup = np.asarray(r.col_cost_dn.value_), np.asarray(r.col_cost_up.value_)
    for fam in built.lp.var_families:
        if fam.label not in COST_FAMILIES or fam.stop == fam.start:
            continue
        what, sign = COST_FAMILIES[fam.label]
        sl = slice(fam.start, fam.stop)
        div = MUSD_PER_KUSD * built.index.weight(fam.keys["period"])
        c, dn, up = a.cost[sl], cdn[sl], cup[sl]
        value = sign * c / div
        lo, hi = (dn / div, up / div) if sign > 0 else (-up / div, -dn / div)
        frames.append(pd.DataFrame({
            "kind": "cost", "family": fam.label, "key": key_text(fam.keys),
            "period": fam.keys["period"].astype(str).to_numpy(), "what": what,
            "level": _clean(out.col_value[sl]), "value": _clean(value), "lower": lo,
            "upper": hi, "marginal_value": np.nan, "value_unit": "USD per unit"}))
    basis = h.getBasis()
    row_status = np.array([s == highspy.HighsBasisStatus.kBasic for s in basis.row_status])
    col_basic = np.array([s == highspy.HighsBasisStatus.kBasic for s in basis.col_status])
    rdn, rup = np.asarray(r.row_bound_dn.value_), np.asarray(r.row_bound_up.value_)
    sol = h.getSolution()
    rdual = np.asarray(sol.row_dual)
    for fam in built.lp.row_families:
        if fam.label not in BOUND_ROWS or fam.stop == fam.start:
            continue
        sl = slice(fam.start, fam.stop)
        nb = ~row_status[sl]
        if not nb.any():
            continue
        s = _row_scale(built, fam)[nb]
        div, unit = _money(built, fam)
        act = np.asarray(sol.row_value)[sl][nb]
        lo, hi = a.row_lb[sl][nb], a.row_ub[sl][nb]
        at_lo = np.isfinite(lo) & (np.abs(act - lo) <= np.abs(act - np.where(
            np.isfinite(hi), hi, np.inf)))
        value = np.where(at_lo, lo, hi)
        d = rdual[sl][nb] / div[nb] * s
        k = fam.keys[nb].reset_index(drop=True)
        frames.append(pd.DataFrame({
            "kind": "bound", "family": fam.label, "key": key_text(k),
            "period": k["period"].astype(str).to_numpy() if "period" in k else "",
            "what": BOUND_ROWS[fam.label], "level": _clean(act / s), "value": value / s,
            "lower": rdn[sl][nb] / s, "upper": rup[sl][nb] / s,
            "marginal_value": _clean(np.where(at_lo, -d, d)), "value_unit": unit}))
    bdn, bup = np.asarray(r.col_bound_dn.value_), np.asarray(r.col_bound_up.value_)
    cdual = np.asarray(sol.col_dual)
    for fam in built.lp.var_families:
        if fam.label not in BOUND_COLS or fam.stop == fam.start:
            continue
        sl = slice(fam.start, fam.stop)
        x, hi = np.asarray(sol.col_value)[sl], a.col_ub[sl]
        sel = ~col_basic[sl] & np.isfinite(hi) & (np.abs(x - np.where(np.isfinite(hi), hi, 0))
                                                  <= TOL * (1 + np.abs(x)))
        if not sel.any():
            continue
        div, unit = _money(built, fam)
        k = fam.keys[sel].reset_index(drop=True)
        frames.append(pd.DataFrame({
            "kind": "bound", "family": fam.label, "key": key_text(k),
            "period": k["period"].astype(str).to_numpy(), "what": BOUND_COLS[fam.label],
            "level": _clean(x[sel]), "value": hi[sel], "lower": bdn[sl][sel],
            "upper": bup[sl][sel], "marginal_value": _clean(cdual[sl][sel] / div[sel]),
            "value_unit": unit}))
    if not frames:
        return empty, "fixed_lp" if built.is_mip else "lp"
    df = pd.concat(frames, ignore_index=True)
    df["lower"] = df["lower"].where(df["lower"] > -INF / 2, -np.inf)
    df["upper"] = df["upper"].where(df["upper"] < INF / 2, np.inf)
    df["lower"], df["upper"] = _clean(df["lower"].to_numpy(float)), _clean(
        df["upper"].to_numpy(float))
    df["room"] = _room(df["value"].to_numpy(float), df["lower"].to_numpy(float),
                       df["upper"].to_numpy(float))
    return df[RANGING_COLUMNS], "fixed_lp" if built.is_mip else "lp"


def insight_tables(built: BuiltModel, out: SolveOutcome) -> tuple[dict[str, pd.DataFrame], dict]:
    """The ``constraints``, ``reduced_costs``, ``ranging`` and ``coefficient_ranges``
    tables of a solved model, and a manifest entry saying how they were made."""
    ranging, source = ranging_table(built, out)
    tables = {"constraints": constraints_table(built, out),
              "reduced_costs": reduced_costs_table(built, out),
              "ranging": ranging, "coefficient_ranges": coefficient_ranges(built)}
    worst = tables["coefficient_ranges"]["ratio"].max() if len(
        tables["coefficient_ranges"]) else 0.0
    return tables, {"ranging_source": source, "binding_constraints": len(tables["constraints"]),
                    "max_coefficient_ratio": float(worst)}


# -- infeasibility ----------------------------------------------------------------------
@dataclass
class Diagnosis:
    """What is wrong with a case that does not solve (or that it solves)."""

    case: str
    status: str  # optimal, infeasible, unbounded, other
    members: pd.DataFrame = field(default_factory=pd.DataFrame)  # IIS members
    method: str = ""  # how the members were found
    relaxations: pd.DataFrame | None = None  # elastic mode
    runaway: pd.DataFrame | None = None  # unbounded columns


def _relaxed_lp(built: BuiltModel) -> highspy.HighsLp:
    lp = to_highs_lp(built)
    lp.integrality_ = []
    return lp


def _status(h: highspy.Highs) -> str:
    st = h.getModelStatus()
    S = highspy.HighsModelStatus
    if st == S.kUnboundedOrInfeasible:
        h.setOptionValue("presolve", "off")
        h.run()
        st = h.getModelStatus()
    return {S.kOptimal: "optimal", S.kInfeasible: "infeasible",
            S.kUnbounded: "unbounded"}.get(st, "other")


def _member_rows(built: BuiltModel, idx: np.ndarray, bound: np.ndarray, is_row: bool
                 ) -> pd.DataFrame:
    a = built.arrays
    loc = _locate(built.lp.row_families if is_row else built.lp.var_families, idx)
    lo = (a.row_lb if is_row else a.col_lb)[idx]
    hi = (a.row_ub if is_row else a.col_ub)[idx]
    scale = np.ones(len(idx))
    if is_row:
        for fam in built.lp.row_families:
            sel = (idx >= fam.start) & (idx < fam.stop)
            if sel.any():
                scale[sel] = _row_scale(built, fam)[idx[sel] - fam.start]
    side = np.select([lo == hi, bound == 2, bound == 3], ["equal", "lower", "upper"], "both")
    value = np.where(side == "upper", hi, np.where(side == "lower", lo, np.where(
        side == "equal", lo, np.nan))) / scale
    loc["kind"] = "row" if is_row else "bound"
    loc["_scale"] = scale
    loc["side"] = side
    loc["bound"] = value
    loc["lower"], loc["upper"] = lo / scale, hi / scale
    units = built.case.tables["commodities"].set_index("commodity")["unit"]
    loc["quantity_unit"] = (loc["commodity"].map(units).fillna("") if "commodity" in loc
                            else "")
    return loc


def infeasible_subset(built: BuiltModel) -> tuple[pd.DataFrame, str]:
    """An irreducible infeasible subset of the (LP relaxation of the) model.

    HiGHS's ``getIis`` (strategy: from the LP, irreducible); if it fails, a deletion
    filter over whole row families. Returns (members, method).
    """
    h = new_highs()
    h.passModel(_relaxed_lp(built))
    h.setOptionValue("iis_strategy", int(highspy.IisStrategy.kIisStrategyFromLp.value)
                     | int(highspy.IisStrategy.kIisStrategyIrreducible.value))
    h.run()
    try:
        status, iis = h.getIis()
    except Exception:  # pragma: no cover - older highspy
        status, iis = highspy.HighsStatus.kError, None
    if status == highspy.HighsStatus.kOk and iis is not None and iis.valid_ and (
            len(iis.row_index_) or len(iis.col_index_)):
        rows = np.asarray(iis.row_index_, dtype=np.int64)
        rb = np.asarray(iis.row_bound_, dtype=np.int64)
        cols = np.asarray(iis.col_index_, dtype=np.int64)
        cb = np.asarray(iis.col_bound_, dtype=np.int64)
        keep = (cb >= 2)  # a column whose bounds matter (lower, upper, boxed)
        members = pd.concat([_member_rows(built, rows, rb, True),
                             _member_rows(built, cols[keep], cb[keep], False)],
                            ignore_index=True)
        return members.drop(columns=["index", "_scale"]), "HiGHS IIS (irreducible)"
    return _family_filter(built), "deletion filter over constraint families"


def _family_filter(built: BuiltModel) -> pd.DataFrame:
    """Drop whole row families while the model stays infeasible; what remains conflicts."""
    a = built.arrays
    h = new_highs()
    h.passModel(_relaxed_lp(built))
    needed = []
    for fam in built.lp.var_families:  # user-set upper bounds first
        n = fam.stop - fam.start
        idx = np.arange(fam.start, fam.stop, dtype=np.int32)
        if not n or not np.isfinite(a.col_ub[idx]).any() or a.integer[idx].any():
            continue
        h.changeColsBounds(n, idx, a.col_lb[idx], np.full(n, INF))
        h.run()
        if _status(h) != "infeasible":
            h.changeColsBounds(n, idx, a.col_lb[idx],
                               np.where(np.isinf(a.col_ub[idx]), INF, a.col_ub[idx]))
            needed.append((fam.label, "bound", "upper"))
    for fam in built.lp.row_families:
        n = fam.stop - fam.start
        if not n:
            continue
        idx = np.arange(fam.start, fam.stop, dtype=np.int32)
        h.changeRowsBounds(n, idx, np.full(n, -INF), np.full(n, INF))
        h.run()
        if _status(h) != "infeasible":
            h.changeRowsBounds(n, idx, np.where(np.isinf(a.row_lb[idx]), -INF, a.row_lb[idx]),
                               np.where(np.isinf(a.row_ub[idx]), INF, a.row_ub[idx]))
            needed.append((fam.label, "row", ""))
    return pd.DataFrame({"family": [f for f, _, _ in needed], "key": "", "period": "",
                         "kind": [k for _, k, _ in needed], "side": [s for _, _, s in needed],
                         "bound": np.nan})


def elastic(built: BuiltModel) -> pd.DataFrame:
    """The smallest relaxations (sum of k units/yr over every relaxed bound) of demand
    floors, capacities, emission caps, supply limits and sales caps that make the case
    feasible; empty with ``relaxed_to`` NaN if relaxing these cannot help."""
    a = built.arrays
    h = new_highs()
    h.passModel(_relaxed_lp(built))
    rp = np.full(built.num_rows, -1.0)
    for fam in built.lp.row_families:
        if fam.label in ELASTIC_ROWS:
            rp[fam.start:fam.stop] = 1.0 / _row_scale(built, fam)
    up = np.full(built.num_vars, -1.0)
    for fam in built.lp.var_families:
        if fam.label in BOUND_COLS:
            up[fam.start:fam.stop] = np.where(np.isfinite(a.col_ub[fam.start:fam.stop]), 1.0,
                                              -1.0)
    h.feasibilityRelaxation(-1.0, -1.0, -1.0, np.full(built.num_vars, -1.0), up, rp)
    sol = h.getSolution()
    if not sol.value_valid:
        return pd.DataFrame(columns=["family", "key", "period", "kind", "side", "bound",
                                     "relaxed_to", "relaxation"])
    frames = []
    for values, lo, hi, is_row in ((np.asarray(sol.row_value), a.row_lb, a.row_ub, True),
                                   (np.asarray(sol.col_value), a.col_lb, a.col_ub, False)):
        over = np.maximum(values - hi, 0.0)
        under = np.maximum(lo - values, 0.0)
        viol = np.where(over > under, over, under)
        idx = np.flatnonzero(viol > 1e-6 * (1 + np.abs(values)))
        if not len(idx):
            continue
        bound = np.where(over[idx] > under[idx], 3, 2)
        m = _member_rows(built, idx, bound, is_row)
        m["relaxed_to"] = values[idx] / m["_scale"].to_numpy()
        m["relaxation"] = np.abs(m["relaxed_to"] - m["bound"])
        frames.append(m)
    if not frames:
        return pd.DataFrame(columns=["family", "key", "period", "kind", "side", "bound",
                                     "relaxed_to", "relaxation"])
    return pd.concat(frames, ignore_index=True).drop(columns=["index", "_scale"])


def runaway_columns(built: BuiltModel, big: float = BIG) -> pd.DataFrame:
    """Solve with every unbounded column capped at ``big``; the columns that reach it
    (or come within a factor 1000 of it) are the ones that run away."""
    lp = _relaxed_lp(built)
    ub = np.where(np.isinf(built.arrays.col_ub), big, built.arrays.col_ub)
    lp.col_upper_ = ub
    h = new_highs()
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return pd.DataFrame(columns=["family", "key", "period", "value", "at_bound"])
    x = np.asarray(h.getSolution().col_value)
    idx = np.flatnonzero((x >= big * 1e-3) & np.isinf(built.arrays.col_ub))
    loc = _locate(built.lp.var_families, idx)
    loc["value"] = x[idx]
    loc["at_bound"] = x[idx] >= big * (1 - 1e-9)
    return loc.drop(columns="index").sort_values("value", ascending=False, kind="stable"
                                                 ).reset_index(drop=True)


def diagnose(built: BuiltModel, relax: bool = False) -> Diagnosis:
    """Solve the LP relaxation; if infeasible find an IIS (and elastic relaxations), if
    unbounded the runaway columns."""
    h = new_highs()
    h.passModel(_relaxed_lp(built))
    h.run()
    status = _status(h)
    d = Diagnosis(case=built.case.name, status=status)
    if status == "infeasible":
        d.members, d.method = infeasible_subset(built)
        if relax:
            d.relaxations = elastic(built)
    elif status == "unbounded":
        d.runaway = runaway_columns(built)
    elif status == "optimal" and built.is_mip:
        h = new_highs()
        h.passModel(to_highs_lp(built))
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
            d.status = "integer_infeasible"
    return d


# -- export and numerics ------------------------------------------------------------------
def named_highs(built: BuiltModel) -> highspy.Highs:
    """A HiGHS copy of the model whose rows and columns carry readable names."""
    lp = to_highs_lp(built)
    lp.col_names_ = column_names(built)
    lp.row_names_ = row_names(built)
    h = new_highs()
    h.passModel(lp)
    return h


def export_model(built: BuiltModel, path: str) -> None:
    """Write the model as MPS or LP (by the file's extension) with readable names."""
    from chainopt.errors import SolverError

    status = named_highs(built).writeModel(str(path))
    if status == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS could not write the model to {path}")


def coefficient_ranges(built: BuiltModel) -> pd.DataFrame:
    """Smallest and largest |coefficient| of the matrix, costs, column bounds and row
    bounds, with the row/column they come from and the input behind them."""
    a = built.arrays
    vf, rf = built.lp.var_families, built.lp.row_families

    def cols(k: int) -> str:
        return _name_of(vf, int(k))

    def rows(k: int) -> str:
        return _name_of(rf, int(k))

    out = []

    def add(what: str, vals: np.ndarray, where) -> None:
        vals = np.abs(vals)
        keep = np.flatnonzero(np.isfinite(vals) & (vals > 0))
        if not len(keep):
            return
        v = vals[keep]
        i, j = int(keep[np.argmin(v)]), int(keep[np.argmax(v)])
        wi, wj = where(i), where(j)
        out.append({"what": what, "min_abs": float(vals[i]), "min_at": wi,
                    "min_input": _input(wi), "max_abs": float(vals[j]), "max_at": wj,
                    "max_input": _input(wj), "ratio": float(vals[j] / vals[i])})

    m = a.matrix.tocoo()
    if m.nnz:
        add("matrix", m.data, lambda k: f"{rows(m.row[k])} x {cols(m.col[k])}")
    add("cost", a.cost, cols)
    nc, nr = built.num_vars, built.num_rows
    add("column bound", np.r_[a.col_lb, a.col_ub], lambda k: cols(k % nc))
    add("row bound", np.r_[a.row_lb, a.row_ub], lambda k: rows(k % nr))
    return pd.DataFrame(out, columns=["what", "min_abs", "min_at", "min_input", "max_abs",
                                      "max_at", "max_input", "ratio"])


def _input(name: str) -> str:
    parts = [p.split("(")[0] for p in str(name).split(" x ")]
    block = parts[-1].split(".")[0] if parts else ""
    if parts and parts[0].split(".")[0] in ("user", "blending", "emissions"):
        block = parts[0].split(".")[0]
    return INPUTS.get(block, "")
