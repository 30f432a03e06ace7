"""Extraction: the only reader of solution values and duals -> tidy pandas tables.

Every table is built with whole-array operations over a family's slice of the
solution, keyed by the family's index frame. Quantities are thousand commodity (or
activity) units per year (``_k_per_yr``), values in USD per unit of the period
(undiscounted), money totals in MUSD.

Marginal values. A row's dual is in discounted MUSD per thousand units per year.
Dividing by ``w_t / 1000`` (the period's discounted years, see
:mod:`chainopt.case.index`) gives USD per unit in the money of period t:

* ``balances.shadow_price_usd_per_unit``: what one more unit of the commodity at
  that site and period is worth to the chain (the price at which buying one more
  unit there breaks even); ``value_holds_for`` says whether that holds for one unit
  more and one less (``both``), one way only or ``neither`` (a degenerate optimum).
* ``capacity.shadow_price_usd_per_unit_yr``: what one more unit of annual capacity
  is worth in that period (0 when the capacity does not bind).
* ``sales.floor_cost_usd_per_unit``: what raising the demand floor by one unit
  costs the chain (0 when the floor does not bind).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from chainopt.case.codes import inner_join, positions, ranks, text
from chainopt.diagnose.names import quantity_unit
from chainopt.models import (
    MUSD_PER_KUSD,
    balance,
    blending,
    conversion,
    demand,
    disposal,
    market,
    supply,
    tiers,
    transport,
)
from chainopt.models.build import BuiltModel
from chainopt.models.investment import PROJECT_BUILD, PROJECT_SHARE
from chainopt.models.lp import Family
from chainopt.solve import SolveOutcome

TOL = 1e-7


def _clean(x: np.ndarray) -> np.ndarray:
    """Round away solver noise (|x| < 1e-9 -> 0) so tables are stable and readable."""
    x = np.where(np.abs(x) < 1e-9, 0.0, x)
    return x + 0.0  # no negative zeros


def _col(built: BuiltModel, out: SolveOutcome, label: str) -> tuple[pd.DataFrame, np.ndarray,
                                                                    np.ndarray]:
    f = built.lp.family(label)
    return f.keys, out.col_value[f.start:f.stop], out.col_dual[f.start:f.stop]


#: the variable families whose values tables place on the rows of a table of the model
#: index (:func:`_aligned`): (family, index table) -> its key columns, in the family's order
ALIGNED = {("investment.unit_new", "unit_cap"): ["unit", "period"],
           ("investment.link_new", "link_cap"): ["link", "period"],
           (demand.DELIVERY.label, "demand"): ["site", "commodity", "period"]}
#: the tiered families whose columns (or rows) tables read for each row of a table of
#: the model index (:func:`_tier_ids`): family, index table, whether rows
TIERED = ((supply.PURCHASE.label, "purchase", False), (market.SALES.label, "sales", False),
          (market.SHORTFALL.label, "sales", False), (market.DEMAND_MIN.label, "sales", True))


def _aligned(built: BuiltModel, out: SolveOutcome, label: str, table: str) -> np.ndarray:
    """Values of variable family ``label`` for each row of the model index's ``table``
    (:data:`ALIGNED`; 0 where the family has none, or there is no such family). Which
    column each row takes depends on the model alone: found once (``BuiltModel.derive``,
    during the solve in ``chainopt run``)."""
    ids = _aligned_ids(built, label, table)
    values = np.zeros(len(ids))
    has = ids >= 0
    values[has] = _clean(out.col_value[ids[has]])
    return values


def _aligned_ids(built: BuiltModel, label: str, table: str) -> np.ndarray:
    """The column of family ``label`` for each row of the model index's ``table`` (-1:
    none), matched on the family's key columns (:data:`ALIGNED`)."""
    def make(built: BuiltModel) -> np.ndarray:
        frame = getattr(built.index, table)
        try:
            fam = built.lp.family(label)
        except KeyError:
            return np.full(len(frame), -1, dtype=np.int64)
        return _small(fam.ids(frame, ALIGNED[(label, table)]))

    return built.derive(f"aligned:{label}:{table}", make)


def _tier_ids(built: BuiltModel, label: str, table: str, rows: bool = False) -> np.ndarray:
    """:func:`chainopt.models.tiers.ids` of family ``label`` for the model index's
    ``table`` (:data:`TIERED`), found once (``BuiltModel.derive``)."""
    return built.derive(f"tier_ids:{label}:{table}:{rows}", lambda b: _small(
        tiers.ids(b.lp, label, getattr(b.index, table), rows=rows)))


def _row(built: BuiltModel, out: SolveOutcome, label: str):
    try:
        f = built.lp.family(label)
    except KeyError:
        return None
    return f.keys, out.row_value[f.start:f.stop], out.row_dual[f.start:f.stop]


def _per_unit(built: BuiltModel, period: pd.Series, dual: np.ndarray) -> np.ndarray:
    """Discounted MUSD per k units/yr -> USD per unit in period money (sign: value of +1)."""
    w = built.index.weight(period)
    return _clean(-dual / (MUSD_PER_KUSD * w))


def _reduced(built: BuiltModel, period: pd.Series, dual: np.ndarray) -> np.ndarray:
    """A column's reduced cost in USD per unit of period money, in the one sign convention
    of marginal values: what one more unit of it (forced in) adds to the objective —
    negative for an unused activity that would lose money, positive for one held at an
    upper bound (its limit is worth that much, as in constraints.csv)."""
    w = built.index.weight(period)
    return _clean(dual / (MUSD_PER_KUSD * w))


def extract_tables(built: BuiltModel, out: SolveOutcome,
                   balance_holds: np.ndarray | None = None,
                   made: Callable[[str, pd.DataFrame], object] | None = None
                   ) -> dict[str, pd.DataFrame]:
    """All result tables of a solved model, one named step per table (or group);
    ``balance_holds``: which ways each commodity value holds, from the ranging
    (:func:`chainopt.diagnose.insight.balance_holds`; None: not known, blank);
    ``made(name, table)`` is told each table once it is final (later steps only read it)."""
    tables: dict[str, pd.DataFrame] = {}

    def put(name: str, table: pd.DataFrame) -> pd.DataFrame:
        tables[name] = table = table.reset_index(drop=True)
        if made is not None:
            made(name, table)
        return table

    act = put("activity", _activity(built, out))
    flows, unit_made = _unit_flows(built, act)
    put("unit_flows", flows)
    bl = put("blending", _blending(built, out))
    put("blend_qualities", _blend_qualities(built, bl))
    put("production", _production(built, unit_made, bl))
    put("flows", _flows(built, out))
    put("purchases", _purchases(built, out))
    put("sales", _sales(built, out))
    put("capacity", _capacity(built, out, tables))
    put("balances", _balances(built, out, balance_holds))
    put("demand", _demand(built, out))
    put("disposal", _disposal(built, out))
    put("emissions", _emissions(built, act, tables["flows"]))
    put("projects", _projects(built, out))
    put("investments", _investments(built, out))
    put("levers", _levers(built, out))
    put("kpis", _kpis(built, out, tables))
    # the case's coordinates and units, for the report's map and Sankey measures, so a
    # folder sent without its case still has them
    for name, cols in (("sites", ("site", "lat_deg", "lon_deg")),
                       ("commodities", ("commodity", "unit", "density_t_per_m3",
                                        "energy_gj_per_t"))):
        case_table = built.case.tables[name]
        put(name, case_table[[c for c in cols if c in case_table.columns]])
    return tables


def _activity(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    """Activity of every unit and mode by period, with its reduced cost and the unit
    capacity one unit of it uses (``modes.csv`` ``capacity_use``)."""
    _, x, rc = _col(built, out, conversion.ACTIVITY.label)
    act = built.index.activity.assign(activity_k_per_yr=_clean(x))
    return act[["unit", "mode", "period", "site", "process", "activity_k_per_yr"]].assign(
        reduced_cost_usd_per_unit=_reduced(built, act["period"], rc),
        capacity_use=act["capacity_use"].to_numpy(float))


def prepare(built: BuiltModel) -> None:
    """Make what the tables take from the model alone (``BuiltModel.derive``): the joins,
    groupings and orders of the unit flows, production and emissions tables, the
    capacity table's units and the columns (and rows) each table's rows read. ``chainopt
    run`` calls it on the core a solve leaves free, so that only the solution's own
    numbers are left to place after the solve."""
    _unit_flow_rows(built)
    _production_groups(built)
    _emission_groups(built)
    _capacity_units(built)
    for label, table in ALIGNED:
        _aligned_ids(built, label, table)
    for label, table, rows in TIERED:
        _tier_ids(built, label, table, rows)


def _unit_flow_rows(built: BuiltModel) -> dict:
    """The rows of the unit flows: each activity's flows (emissions apart) as row pairs
    ``(i, j)`` of the activity and mode flow frames, in the order of ``merge``, and
    ``order``, the pairs in the table's order (unit, mode, commodity, period), on integer
    ranks of the frames' own columns. Kept as 32-bit integers: they live through the
    solve and the ranging, where a run's memory peaks."""
    def make(built: BuiltModel) -> dict:
        ix = built.index
        act, mf = ix.activity, ix.mode_flows
        i, j = inner_join(act["mode"], mf["mode"])
        keep = ~mf["commodity"].isin(ix.emission_commodities).to_numpy()[j]
        i, j = i[keep], j[keep]
        order = np.lexsort((_period_rank(built, act["period"])[i], ranks(mf["commodity"])[j],
                            ranks(act["mode"])[i], ranks(act["unit"])[i]))  # as _sorted
        return {"i": _small(i), "j": _small(j), "order": _small(order)}

    return built.derive("unit_flow_rows", make)


def _small(rows: np.ndarray) -> np.ndarray:
    """Row numbers as 32-bit integers where they fit (always, short of 2**31 rows)."""
    return rows.astype(np.int32) if not len(rows) or rows.max() < 2**31 else rows


def _take(frame: pd.DataFrame, col: str, rows: np.ndarray):
    return frame[col].array.take(rows)


def _unit_flows(built: BuiltModel, act: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """What each running unit takes in and puts out (emissions apart), and the signed
    amount of each row of :func:`_unit_flow_rows` for the production table: those rows
    of a running activity kept in the table's order (a stable sort of all rows, then the
    running ones: the order of sorting those)."""
    rows = _unit_flow_rows(built)
    i, j = rows["i"], rows["j"]
    mf = built.index.mode_flows
    x = act["activity_k_per_yr"].to_numpy()
    amount = mf["coef"].to_numpy()[j] * x[i]
    order = rows["order"]
    order = order[np.abs(x[i[order]]) > 0]
    ir, jr, ar = i[order], j[order], amount[order]
    table = pd.DataFrame({
        "unit": _take(act, "unit", ir), "mode": _take(act, "mode", ir),
        "commodity": _take(mf, "commodity", jr), "period": _take(act, "period", ir),
        "site": _take(act, "site", ir), "direction": text(("out", "in"), ar < 0),
        "amount_k_per_yr": _clean(np.abs(ar))})
    return table, amount


def _blending(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    """Component quantities entering each blend."""
    _, bx, _ = _col(built, out, blending.BLEND.label)
    bl = built.index.blend_in.assign(blend_k_per_yr=_clean(bx))
    return bl[["blend", "component", "period", "site", "product", "blend_k_per_yr"]]


def _blend_qualities(built: BuiltModel, blend: pd.DataFrame) -> pd.DataFrame:
    """Each property a spec holds a blend to, by period: the quality of what the plan
    blends, averaged on the spec's basis,

        value[b,k,t] = sum_c q_ck v_c x_bct / sum_c v_c x_bct

    (x the component blended, k units/yr; v_c the basis quantity of one unit of it, t on a
    mass basis, m3 on a volume basis; q_ck its quality), beside the spec's
    ``min_value`` and ``max_value``; ``blended_k_per_yr`` the product made (sum_c x_bct
    times the component's units per product unit); ``value`` blank where the blend makes
    nothing. A refinery planner's blend report: a limit met exactly binds, the distance
    from one not reached is the quality given away."""
    st = built.index.spec_terms
    cols = ["blend", "property", "period", "site", "product", "basis", "blended_k_per_yr",
            "value", "min_value", "max_value"]
    if st.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c in cols[6:] else object)
                             for c in cols})
    key = ["blend", "property", "period"]
    made = blend.assign(made=blend["blend_k_per_yr"].to_numpy()
                        * built.index.blend_in["to_product"].to_numpy()).groupby(
        ["blend", "period"], sort=False).agg(site=("site", "first"),
                                             product=("product", "first"),
                                             blended_k_per_yr=("made", "sum"))
    # the min and max rows of a spec share their components' qualities and basis
    one = st.drop_duplicates([*key, "component"]).merge(
        blend[["blend", "component", "period", "blend_k_per_yr"]],
        on=["blend", "component", "period"], how="left")
    v = one["basis_per_unit"].to_numpy() * one["blend_k_per_yr"].fillna(0.0).to_numpy()
    sums = one.assign(num=one["value"].to_numpy() * v, den=v).groupby(key, sort=False).agg(
        basis=("basis", "first"), num=("num", "sum"), den=("den", "sum"))
    limits = st.drop_duplicates([*key, "bound"]).pivot(index=key, columns="bound",
                                                       values="limit")
    out = sums.join(limits.reindex(columns=["min", "max"])).reset_index().merge(
        made.reset_index(), on=["blend", "period"], how="left")
    den = out["den"].to_numpy()
    value = np.divide(out["num"].to_numpy(), den, out=np.full(len(out), np.nan),
                      where=den > TOL)
    out = out.assign(value=value, blended_k_per_yr=_clean(out["blended_k_per_yr"].to_numpy()))
    return out.rename(columns={"min": "min_value", "max": "max_value"})[cols]


def _production_groups(built: BuiltModel) -> dict:
    """The production table's rows (``keys``: site, commodity, period, in the table's
    order) and, for each signed amount (the unit flows' rows, then each blend's component
    rows, then its product rows), the row it adds to (``group``)."""
    def make(built: BuiltModel) -> dict:
        rows = _unit_flow_rows(built)
        act, mf, bl = built.index.activity, built.index.mode_flows, built.index.blend_in
        cols = ["site", "commodity", "period"]
        made = pd.DataFrame({"site": _take(act, "site", rows["i"]),
                             "commodity": _take(mf, "commodity", rows["j"]),
                             "period": _take(act, "period", rows["i"])})
        keys = pd.concat([made, bl.assign(commodity=bl["component"])[cols],
                          bl.assign(commodity=bl["product"])[cols]], ignore_index=True)
        return _groups(built, keys, ["site", "commodity"])

    return built.derive("production_groups", make)


def _groups(built: BuiltModel, keys: pd.DataFrame, by: list[str]) -> dict:
    """The distinct rows of ``keys`` in the order of :func:`_sorted` over ``by`` (then
    period) as ``keys``, and each row's position among them as ``group``."""
    if keys.empty:
        return {"keys": keys, "group": np.zeros(0, dtype=np.int32)}
    group = keys.groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    first = np.unique(group, return_index=True)[1]  # (groups numbered as first seen)
    distinct = keys.take(first).reset_index(drop=True)
    order = _sort_order(built, distinct, by)
    at = np.empty(len(order), dtype=np.int64)
    at[order] = np.arange(len(order))
    return {"keys": distinct.take(order).reset_index(drop=True), "group": _small(at[group])}


def _production(built: BuiltModel, made: np.ndarray, bl: pd.DataFrame) -> pd.DataFrame:
    """Produced and consumed by site, commodity and period (units and blends): each
    signed amount (``made``: the unit flows', :func:`_unit_flows`) positive part
    produced, negative part consumed, summed into its row of :func:`_production_groups`
    in the amounts' order."""
    g = _production_groups(built)
    to_product = built.index.blend_in["to_product"].to_numpy()  # row for row as ``bl``
    amount = pd.Series(np.concatenate([
        made, -bl["blend_k_per_yr"].to_numpy(float),
        (bl["blend_k_per_yr"] * to_product).to_numpy(float)]))
    sums = pd.DataFrame({"produced_k_per_yr": amount.clip(lower=0),
                         "consumed_k_per_yr": (-amount).clip(lower=0)}).groupby(
        g["group"], sort=True).sum()
    return g["keys"].assign(produced_k_per_yr=sums["produced_k_per_yr"].to_numpy(),
                            consumed_k_per_yr=sums["consumed_k_per_yr"].to_numpy())


def _flows(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    """Flows entering and delivered by every link, with cost, the carbon price their
    emissions pay per unit entering (``BuiltModel.carbon_usd_per_unit``) and reduced
    cost."""
    fam = built.lp.family(transport.FLOW.label)
    _, x, rc = _col(built, out, transport.FLOW.label)
    f = built.index.flow.assign(flow_k_per_yr=_clean(x))
    f["delivered_k_per_yr"] = _clean(f["flow_k_per_yr"] * (1 - f["loss"]))
    f["carbon_usd_per_unit"] = _clean(
        built.carbon_usd_per_unit[fam.start:fam.stop])
    f["reduced_cost_usd_per_unit"] = _reduced(built, f["period"], rc)
    return f[["link", "commodity", "period", "from_site", "to_site", "transport_mode",
              "flow_k_per_yr", "delivered_k_per_yr", "cost", "carbon_usd_per_unit",
              "reduced_cost_usd_per_unit"]].rename(columns={"cost": "cost_usd_per_unit"})


def _purchases(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    """Purchases by site, commodity and period, with cost, limit and reduced cost."""
    p = built.index.purchase
    ids = _tier_ids(built, supply.PURCHASE.label, "purchase")
    x, rc = out.col_value[ids], out.col_dual[ids]
    return p.rename(columns={"cost": "cost_usd_per_unit", "max": "max_k_per_yr"}).assign(
        purchase_k_per_yr=_clean(x), reduced_cost_usd_per_unit=_reduced(built, p["period"], rc))


def _sales(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    """Sales, shortfalls against demand floors, the floors' cost and revenue."""
    x = out.col_value[_tier_ids(built, market.SALES.label, "sales")]
    sales = built.index.sales.rename(columns={"price": "price_usd_per_unit",
                                              "max": "max_k_per_yr", "min": "min_k_per_yr"}
                                     ).assign(sales_k_per_yr=_clean(x))
    sales["floor_cost_usd_per_unit"] = 0.0
    short = _tier_ids(built, market.SHORTFALL.label, "sales")
    sales["shortfall_k_per_yr"] = np.where(short >= 0, _clean(out.col_value[short]), 0.0)
    floor = _tier_ids(built, market.DEMAND_MIN.label, "sales", rows=True)
    has = floor >= 0
    if has.any():
        v = _per_unit(built, sales["period"][has], out.row_dual[floor[has]])
        sales.loc[has, "floor_cost_usd_per_unit"] = _clean(v)
    sales["revenue_musd_per_yr"] = _clean(sales["sales_k_per_yr"] * sales["price_usd_per_unit"]
                                          * MUSD_PER_KUSD)
    return sales


#: ``balances.value_holds_for``: the ways a commodity value holds, by
#: :func:`chainopt.diagnose.insight.balance_holds`' code (blank: no ranging)
HOLDS_FOR = np.array(["neither", "one more", "one less", "both"], dtype=object)


def _balances(built: BuiltModel, out: SolveOutcome, holds: np.ndarray | None = None
              ) -> pd.DataFrame:
    """The value of each commodity at each site and period (balance shadow prices) and
    the ways it holds (``value_holds_for``: :data:`HOLDS_FOR`)."""
    bkeys, _, bd = _row(built, out, balance.COMMODITY.label)
    return bkeys.assign(shadow_price_usd_per_unit=_per_unit(built, bkeys["period"], bd),
                        value_holds_for=HOLDS_FOR[holds] if holds is not None else "")


def _demand(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    """Hard demand (demand.csv): what is delivered and what one more unit of demand costs
    (``marginal_cost_usd_per_unit``, USD per unit in period money, >= 0 when demand
    costs the chain money to serve)."""
    d = built.index.demand
    table = d.rename(columns={"amount": "demand_k_per_yr"}).assign(
        delivered_k_per_yr=_aligned(built, out, demand.DELIVERY.label, "demand"),
        marginal_cost_usd_per_unit=0.0)
    rows = _row(built, out, demand.REQUIRED.label)
    if rows is not None and len(d):
        keys, _, dual = rows
        m = d[["site", "commodity", "period"]].merge(
            keys.assign(_v=_per_unit(built, keys["period"], dual)), how="left",
            on=["site", "commodity", "period"])
        table["marginal_cost_usd_per_unit"] = _clean(m["_v"].fillna(0.0).to_numpy())
    return table[["site", "commodity", "period", "demand_k_per_yr", "delivered_k_per_yr",
                  "marginal_cost_usd_per_unit"]]


def _disposal(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    """What free disposal discards, by site, commodity and period, and its cost."""
    cols = ["site", "commodity", "period", "disposed_k_per_yr", "cost_usd_per_unit",
            "cost_musd_per_yr"]
    try:
        keys, x, _ = _col(built, out, disposal.DISPOSE.label)
    except KeyError:
        return pd.DataFrame(columns=cols)
    cost = keys["commodity"].map(built.index.disposal.set_index("commodity")["cost"])
    t = keys.assign(disposed_k_per_yr=_clean(x), cost_usd_per_unit=cost.to_numpy(float))
    t["cost_musd_per_yr"] = _clean(t["disposed_k_per_yr"].to_numpy() * t["cost_usd_per_unit"]
                                   .to_numpy() * MUSD_PER_KUSD)
    return t[cols]


def _period_rank(built: BuiltModel, period: pd.Series) -> np.ndarray:
    """Each period's position in the case (an unknown period after all of them)."""
    names = built.case.meta.period_names
    pos = positions(period, names)
    return np.where(pos < 0, len(names), pos)


def _sorted(built: BuiltModel, df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``df`` sorted by the text of ``keys``, then by period in the case's order
    (stable), on integer ranks (:func:`codes.ranks`)."""
    return df.take(_sort_order(built, df, keys))


def _sort_order(built: BuiltModel, df: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """The row order of :func:`_sorted`: by the text of ``keys``, then period (stable)."""
    ranked = [ranks(df[k]) for k in keys]
    return np.lexsort((_period_rank(built, df["period"]), *reversed(ranked)))


def _capacity_units(built: BuiltModel) -> dict:
    """The unit each capacity row is counted in (``unit``: the unit capacity rows,
    ``link``: the link capacity rows; :func:`chainopt.diagnose.names.quantity_unit`) and
    ``mixed``: the link rows of a link carrying commodities in different units."""
    def make(built: BuiltModel) -> dict:
        ix = built.index
        unit = ix.flow["commodity"].map(built.case.tables["commodities"]
                                        .set_index("commodity")["unit"])
        mixed = unit.groupby(ix.flow["link"]).nunique() > 1
        return {"unit": quantity_unit(built, ix.unit_cap[["unit"]])[:],
                "link": quantity_unit(built, ix.link_cap[["link"]])[:],
                "mixed": ix.link_cap["link"].map(mixed).fillna(False).to_numpy(bool)}

    return built.derive("capacity_units", make)


def _capacity(built: BuiltModel, out: SolveOutcome, t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    ix = built.index
    uc = ix.unit_cap.copy()  # row for row the unit capacity rows
    _, _, dual = _row(built, out, "conversion.capacity_max")
    # row = used capacity - availability x capacity added by investment/projects
    assert built.lp.unit_capacity is not None and built.lp.link_capacity is not None
    used, built_cap, retired = built.lp.unit_capacity.parts(built.arrays.matrix, out.col_value)
    uc["used_k_per_yr"] = _clean(used)
    avail = uc["availability"].to_numpy()
    # the capacity there is: existing (less what projects retire) plus what was built
    added, retired = (np.divide(v, avail, out=np.zeros(len(uc)), where=avail > 0)
                      for v in (built_cap, retired))
    existing = np.where(uc["project"] == "", uc["capacity"] * uc["alive"], 0.0) - retired
    uc["existing_k_per_yr"] = _clean(existing)
    uc["total_k_per_yr"] = _clean(existing + added)
    builds = _project_builds(built, out)  # once, for units and links
    uc["new_k_per_yr"] = (_aligned(built, out, "investment.unit_new", "unit_cap")
                          + _projects_new(builds, uc, "unit"))
    uc["utilisation"] = _clean(np.divide(uc["used_k_per_yr"], uc["total_k_per_yr"],
                                         out=np.zeros(len(uc)),
                                         where=uc["total_k_per_yr"].to_numpy() > TOL))
    uc["shadow_price_usd_per_unit_yr"] = _clean(-_per_unit(built, uc["period"], dual) * avail)
    units = uc.rename(columns={"unit": "name"}).assign(kind="unit")

    lc_rows = _row(built, out, "transport.capacity_max")
    # what enters each link, summed over its commodities: blank for a link (with no
    # capacity, as validation requires) carrying commodities in different units, whose
    # k t and k bbl add up to no quantity
    fl = t["flows"].groupby(["link", "period"])["flow_k_per_yr"].sum()
    units_of = _capacity_units(built)
    lc = ix.link_cap.copy()
    lc["used_k_per_yr"] = np.where(
        units_of["mixed"], np.nan,
        _clean(fl.reindex(pd.MultiIndex.from_frame(lc[["link", "period"]])).fillna(0.0)
               .to_numpy()))
    lc["existing_k_per_yr"] = np.where(lc["project"] == "", lc["capacity"], 0.0)
    lc["total_k_per_yr"] = lc["existing_k_per_yr"]
    lc["new_k_per_yr"] = 0.0
    lc["shadow_price_usd_per_unit_yr"] = 0.0
    if lc_rows is not None:
        lkeys, _, ldual = lc_rows
        fam = built.lp.family("transport.capacity_max")
        rhs = built.arrays.row_ub[fam.start:fam.stop]
        _, ladded = built.lp.link_capacity.use_and_added(built.arrays.matrix, out.col_value)
        info = lkeys.assign(_added=_clean(ladded),
                            _sp=_clean(-_per_unit(built, lkeys["period"], ldual)), _rhs=rhs)
        m = lc[["link", "period"]].merge(info, how="left", on=["link", "period"])
        has = m["_added"].notna().to_numpy()
        lc["total_k_per_yr"] = np.where(has, m["_rhs"].to_numpy() + m["_added"].to_numpy(),
                                        lc["total_k_per_yr"].to_numpy())
        lc["shadow_price_usd_per_unit_yr"] = np.where(has, m["_sp"].to_numpy(), 0.0)
    lc["new_k_per_yr"] = (_aligned(built, out, "investment.link_new", "link_cap")
                          + _projects_new(builds, lc, "link"))
    # used / total; 0 where the capacity is 0 (a project's link not built yet), as for
    # units; blank only without a capacity limit (the map's "no capacity limit")
    total = lc["total_k_per_yr"].to_numpy(float)
    lc["utilisation"] = np.where(np.isnan(total), np.nan, np.divide(
        lc["used_k_per_yr"].to_numpy(float), total, out=np.zeros(len(lc)),
        where=total > TOL))
    # a link's capacity is all usable: no availability
    links = lc.rename(columns={"link": "name"}).assign(kind="link", site="", availability=np.nan)
    # the unit each capacity is counted in, as constraints.csv's quantity_unit: a unit's
    # activity unit (t of crude for a crude unit), a link's commodity unit
    units["quantity_unit"] = units_of["unit"]
    links["quantity_unit"] = units_of["link"]
    cols = ["kind", "name", "site", "period", "existing_k_per_yr", "new_k_per_yr",
            "total_k_per_yr", "used_k_per_yr", "utilisation", "shadow_price_usd_per_unit_yr",
            "availability", "quantity_unit"]
    return pd.concat([units[cols], links[cols]], ignore_index=True)


_EMISSION_KEYS = ["site", "source_kind", "source", "commodity", "period"]


def _emission_groups(built: BuiltModel) -> dict:
    """The emissions table's rows (``keys``, in its order) and its sources: each unit
    activity's emission flows (``act``/``em`` row pairs of the activity and mode flow
    frames, their ``coef``) and each link flow's emissions (``flow``/``link`` row pairs
    of the flow and link emission frames, their ``per_unit``), in the order of ``merge``,
    with the row each adds to (``group``)."""
    def make(built: BuiltModel) -> dict:
        ix = built.index
        act, flow, le = ix.activity, ix.flow, ix.link_emissions
        em = ix.mode_flows[ix.mode_flows["commodity"].isin(ix.emission_commodities)]
        a, e = inner_join(act["mode"], em["mode"])
        f, k = inner_join(flow["link"], le["link"])
        units = pd.DataFrame({"site": _take(act, "site", a), "source_kind": "unit",
                              "source": _take(act, "unit", a),
                              "commodity": _take(em, "commodity", e),
                              "period": _take(act, "period", a)})
        links = pd.DataFrame({"site": _take(flow, "from_site", f), "source_kind": "link",
                              "source": _take(flow, "link", f),
                              "commodity": _take(le, "commodity", k),
                              "period": _take(flow, "period", f)})
        keys = pd.concat([units, links], ignore_index=True)
        return {"act": _small(a), "coef": em["coef"].to_numpy()[e], "flow": _small(f),
                "per_unit": le["per_unit"].to_numpy()[k],
                **_groups(built, keys, _EMISSION_KEYS[:-1])}

    return built.derive("emission_groups", make)


def _emissions(built: BuiltModel, act: pd.DataFrame, flows: pd.DataFrame) -> pd.DataFrame:
    """Emissions by site, source (unit or link) and period: each source's emission
    (factor x activity or flow), summed into its row of :func:`_emission_groups` in the
    sources' order."""
    g = _emission_groups(built)
    if g["keys"].empty:
        return pd.DataFrame(columns=[*_EMISSION_KEYS, "emission_k_per_yr"])
    amount = np.concatenate([
        g["coef"] * act["activity_k_per_yr"].to_numpy()[g["act"]],
        g["per_unit"] * flows["flow_k_per_yr"].to_numpy()[g["flow"]]])
    sums = pd.Series(amount).groupby(g["group"], sort=True).sum().to_numpy()
    return g["keys"].assign(emission_k_per_yr=_clean(sums))


def project_families(built: BuiltModel) -> list[Family]:
    """The column families of project build decisions in ``built`` (binary ones first,
    then shares; see the investment family's spec); a project's columns lie in one."""
    out = []
    for spec in (PROJECT_BUILD, PROJECT_SHARE):
        try:
            out.append(built.lp.family(spec.label))
        except KeyError:
            continue
    return out


def project_build_shares(built: BuiltModel, out: SolveOutcome) -> dict[str, float]:
    """Each candidate project's share built over the horizon, sum_t b_t of its build
    decisions (1: all of it, in one period or in tranches; 0: not built), as solved (not
    rounded): a sweep's ``built_<project>``."""
    shares: dict[str, float] = {}
    for fam in project_families(built):
        by = pd.Series(out.col_value[fam.start:fam.stop]).groupby(
            fam.keys["project"].to_numpy()).sum()
        shares.update({p: float(v) for p, v in by.items()})
    return shares


def project_columns(built: BuiltModel) -> dict[str, dict[str, int]]:
    """Each candidate project's build-decision column in each period its construction
    may start in: ``{project: {period: column}}``."""
    cols: dict[str, dict[str, int]] = {}
    for fam in project_families(built):
        for i, (p, t) in enumerate(zip(fam.keys["project"], fam.keys["period"], strict=True)):
            cols.setdefault(str(p), {})[str(t)] = fam.start + i
    return cols


def project_build_share(built: BuiltModel, out: SolveOutcome, project: str) -> dict[str, float]:
    """b_t of ``project`` for each period t its construction may start in (the columns
    of :func:`project_columns`): the share of it whose construction starts in t, as
    solved (not rounded or clipped)."""
    return {t: float(out.col_value[col])
            for t, col in project_columns(built).get(project, {}).items()}


def _project_builds(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    """project, period (construction start), built_share: every candidate build."""
    frames = []
    for fam in project_families(built):
        x = out.col_value[fam.start:fam.stop]
        frames.append(fam.keys[["project", "period"]].assign(built_share=_clean(x)))
    if not frames:
        return pd.DataFrame({"project": pd.Series(dtype=str), "period": pd.Series(dtype=str),
                             "built_share": pd.Series(dtype=float)})
    return pd.concat(frames, ignore_index=True)


def _projects_new(builds: pd.DataFrame, frame: pd.DataFrame, name: str) -> np.ndarray:
    """Capacity that construction starting in each row's period adds to a project's unit
    or link (``frame``: name, period, project, capacity): its capacity x the share of the
    project built in that period (``builds``: :func:`_project_builds`); 0 outside
    projects."""
    if builds.empty:  # no candidate build of a project: 0 everywhere
        return np.zeros(len(frame))
    m = frame[[name, "period", "project"]].merge(builds, how="left",
                                                 on=["project", "period"])
    share = m["built_share"].fillna(0.0).to_numpy()
    return _clean(np.where(frame["project"].to_numpy() != "",
                           frame["capacity"].fillna(0.0).to_numpy() * share, 0.0))


def _projects(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    cols = ["project", "period", "built_share", "capex_musd", "lead_time_yr",
            "first_use_year", "lifetime_yr", "ramp_up"]
    df = _project_builds(built, out)
    if df.empty:
        return pd.DataFrame(columns=cols)
    pj = built.index.projects.set_index("project")
    df["capex_musd"] = df["project"].map(pj["capex_musd"]).astype(float)
    df["lead_time_yr"] = df["project"].map(pj["lead"]).astype(float)
    start = df["period"].map(built.index.periods.set_index("period")["start_year"])
    df["first_use_year"] = start.astype(float) + df["lead_time_yr"]
    df["lifetime_yr"] = df["project"].map(pj["lifetime"]).astype(float)
    df["ramp_up"] = df["project"].map(pj["ramp"]).fillna("").astype(str)
    return _sorted(built, df[cols], ["project"])


def _kpis(built: BuiltModel, out: SolveOutcome, t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    a = built.arrays
    cost_case = built.case.meta.objective == "cost"
    rows = [("objective", "", -out.objective if cost_case else out.objective,
             objective_unit(built.case))]
    parts = [(category, _clean(np.array([value]))[0] if category in a.cost_by_category
              else value) for category, value in npv_parts(built, out).items()]
    if built.extension is not None:
        # the extension's terms (a user's costed variable, a replaced objective): the
        # active objective minus chainopt's own parts at the plan, so that the parts add
        # up to it (to the solver's own objective within its rounding: CBC's 8 digits)
        parts.append(("extension", _clean(np.array([
            out.extension_value if out.extension_value is not None
            else out.objective - sum(v for _, v in parts)]))[0] + 0.0))
    rows.extend((f"npv_{c}", "", v, "MUSD discounted") for c, v in parts)
    if cost_case:  # the parts of the total cost, costs positive (revenue a credit)
        rows.extend((f"cost_{c}", "", _clean(np.array([-v]))[0] + 0.0,
                     "MUSD discounted, part of the total cost") for c, v in parts)
    com = built.case.tables["commodities"].set_index("commodity")
    prod = t["production"]
    prod = prod[prod["commodity"].map(com["kind"]).eq("product")]
    by = prod.groupby(["commodity", "period"], sort=False)["produced_k_per_yr"].sum()
    for (c, p), v in by.items():
        if v > TOL:
            rows.append((f"production_{c}", p, float(v), f"k {com.loc[c, 'unit']}/yr"))
    sales = t["sales"].groupby("period", sort=False)["revenue_musd_per_yr"].sum()
    for p, v in sales.items():
        rows.append(("revenue_per_yr", p, float(v), "MUSD/yr"))
    em = t["emissions"].groupby(["commodity", "period"], sort=False)["emission_k_per_yr"].sum()
    for (c, p), v in em.items():
        rows.append((f"emissions_{c}", p, float(v), f"k {com.loc[c, 'unit']}/yr"))
    if built.relaxed:
        rows.append(("lp_relaxation", "", float(built.relaxed),
                     "integer decisions made continuous (run --relax): a bound, not a plan "
                     "of the MIP"))
    rows.append(_shortfall_total(t["sales"], com["unit"],
                                 {p.period: p.length_yr for p in built.case.meta.periods}))
    lv = t["levers"].groupby(["lever", "kind", "part"], sort=False)["npv_musd"].sum()
    rows.extend((f"lever_{lever}_{kind}", "", float(v),
                 f"MUSD discounted, part of npv_{part} (not added again)")
                for (lever, kind, part), v in lv.items())
    rows.extend(_cashflows(built, out))
    return pd.DataFrame(rows, columns=["kpi", "period", "value", "unit"])


def npv_parts(built: BuiltModel, out: SolveOutcome) -> dict[str, float]:
    """The objective's parts at the plan x, MUSD discounted, by cost category:
    ``cost_k . x + offset_k`` (``cost_k``: the category's objective coefficients, revenue
    positive and costs negative; ``offset_k``: its constant, money no decision changes,
    such as existing units' fixed O&M), the categories with columns first, then those
    with a constant only. Their sum is chainopt's objective (an extension's terms are not
    in it). As solved, not rounded."""
    a = built.arrays
    parts = {category: float((vec @ out.col_value).sum()) + a.offset.get(category, 0.0)
             for category, vec in a.cost_by_category.items()}
    for category, value in a.offset.items():
        parts.setdefault(category, value)
    return parts


def lever_values(built: BuiltModel, out: SolveOutcome) -> np.ndarray:
    """What each policy lever term moves at the plan x, MUSD per year undiscounted, one
    value per row of ``built.arrays.levers.keys`` (lever, kind, part, period): the lever
    terms' matrix times x (see :func:`_levers`); empty when the case has no levers. As
    solved, not rounded."""
    lt = built.arrays.levers
    return np.empty(0) if lt is None else lt.matrix @ out.col_value


def sweep_kpis(built: BuiltModel, out: SolveOutcome) -> dict[str, float]:
    """A sweep variant's KPIs straight from the solution, without the result tables (a
    sweep reads them once per variant): ``npv_<category>_musd`` (:func:`npv_parts`),
    ``lever_<lever>_<kind>_musd`` (:func:`lever_values` x the period's weight w_t, summed
    over periods: ``chainopt run``'s KPI ``lever_<lever>_<kind>``, MUSD discounted, part
    of an NPV part) and ``built_<project>`` (:func:`project_build_shares`). As solved:
    the sweep rounds its rows itself (:func:`chainopt.sweep.without_rounding`)."""
    parts = npv_parts(built, out)
    # by name: a variant solved on the base's model (mapped) and one built anew (fallback)
    # hold their categories in different orders, and kpis.csv takes the first row's
    kpis = {f"npv_{category}_musd": parts[category] for category in sorted(parts)}
    lt = built.arrays.levers
    if lt is not None:
        npv = pd.Series(lever_values(built, out) * lt.weight)
        by = npv.groupby([lt.keys["lever"], lt.keys["kind"]], sort=False).sum()
        kpis.update({f"lever_{lever}_{kind}_musd": float(x) for (lever, kind), x in by.items()})
    kpis.update({f"built_{p}": share for p, share in project_build_shares(built, out).items()})
    return kpis


def plan_values(built: BuiltModel, out: SolveOutcome) -> tuple[np.ndarray, np.ndarray]:
    """The plan of ``out`` as plain arrays for checks that read it against the model's
    matrix (:func:`chainopt.diagnose.year_check.year_breaks`): x, each column's value, and
    A x, each row's value as the solver reported it, both as solved (not rounded)."""
    return (np.asarray(out.col_value, dtype=float), np.asarray(out.row_value, dtype=float))


def _levers(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    """What each policy lever moves between the chain and others at the plan, by period
    (:func:`chainopt.models.objective.lever_terms`, from ``Case.lever_effects``: per unit
    of a market's sales, a mode's activity, a link's flow): ``value_musd_per_yr`` = sum
    of usd_per_unit x quantity / 1000, + for the chain (a reverse excise received), -
    against it (a duty or discount given up, a premium paid), undiscounted; ``npv_musd``
    = w_t x that, the part of ``npv_<part>`` (revenue, variable_om, transport) that is
    the lever's. The plan is the one the levers made: what they cost in decisions
    changed is a comparison with a scenario without them (``chainopt compare``)."""
    cols = ["lever", "kind", "part", "period", "value_musd_per_yr", "npv_musd"]
    lt = built.arrays.levers
    if lt is None:
        return pd.DataFrame(columns=cols)
    v = lever_values(built, out)
    g = lt.keys.assign(value_musd_per_yr=_clean(v), npv_musd=_clean(v * lt.weight))
    return _sorted(built, g[cols], ["lever", "kind"])


def _shortfall_total(sales: pd.DataFrame, unit: pd.Series, years: dict[str, int]) -> tuple:
    """The ``shortfall_total`` KPI: the demand left unmet under the floors over the
    horizon, sum over floors and periods t of ``shortfall_k_per_yr`` x the years of t
    (``years``), in thousands of the unit of the commodities short (``k t``): 20 kt/yr
    short in a 2-year and a 3-year period is 100 kt (a sum of the yearly rates, 40
    "k t/yr summed over periods", was no quantity at all). Shortfalls of commodities in
    different units (t and bbl) do not add up: the value is then NaN and the unit names
    the units (sales.csv has each shortfall)."""
    short = sales[sales["shortfall_k_per_yr"] > TOL]
    units = list(dict.fromkeys(short["commodity"].map(unit).astype(str)))
    if len(units) > 1:
        return ("shortfall_total", "", float("nan"),
                f"not summed: shortfalls in {', '.join(f'k {u}/yr' for u in units)} "
                "(sales.csv, shortfall_k_per_yr)")
    if not units:
        return ("shortfall_total", "", 0.0, "no demand floor is short")
    length = short["period"].astype(str).map(years).to_numpy(float)
    return ("shortfall_total", "", float((short["shortfall_k_per_yr"].to_numpy(float)
                                          * length).sum()),
            f"k {units[0]} over the horizon (each period's k {units[0]}/yr x its years)")


def objective_unit(case) -> str:
    """What the objective is and its unit: the chain's NPV (profit cases) or the NPV of
    its total cost, a positive number (``objective: cost``)."""
    if case.meta.objective == "cost":
        return "MUSD (NPV, base-year money): total cost, minimised"
    return "MUSD (NPV, base-year money): net value, maximised"


#: the unit of the ``cashflow_*`` KPIs: MUSD per year of the period's discount-weighted
#: average year (times w_t, the period's present value), not an undiscounted average
CASHFLOW_UNIT = "MUSD/yr, discount-weighted average year"


def _cashflows(built: BuiltModel, out: SolveOutcome) -> list[tuple]:
    """Cash flow per year of each objective category, by period: the period's
    discount-weighted average year (:data:`CASHFLOW_UNIT`).

    ``cashflow_<category>`` (MUSD/yr, signed like the objective: revenue +, costs -) is
    the category's discounted money attributed to period t (every objective term says
    which period's cash flow it is: operating terms their own period, a build's
    annuities and fixed O&M the periods of the years it is alive in) divided by w_t,
    so that ``sum_t w_t * cashflow_<category>_t = npv_<category>`` exactly. Not the
    plain (undiscounted) average of the period's years: a unit running 3 of a 5-year
    period's years earns more than 3/5 of a full year's revenue on this average, the
    early years weighing more.
    """
    per = built.index.periods
    n = len(per)
    w = per["weight"].to_numpy(float)
    money = built.lp.money_by_period(out.col_value, n)
    rows: list[tuple] = []
    net = np.zeros(n)
    for category, m in money.items():
        by_period = _clean(np.asarray(m, dtype=float) / w)
        net += by_period
        rows.extend((f"cashflow_{category}", per["period"].iloc[j], float(by_period[j]),
                     CASHFLOW_UNIT) for j in range(n))
    net = _clean(net)
    rows.extend(("cashflow_net", per["period"].iloc[j], float(net[j]), CASHFLOW_UNIT)
                for j in range(n))
    return rows


def _investments(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    """What was built: one row per build (kind, name, construction period).

    ``amount`` is the capacity built (k units/yr; for a project its built share);
    ``overnight_musd`` its overnight cost (undiscounted), spent evenly over the
    ``lead_time_yr`` construction years before ``first_use_year`` (in that year when the
    lead time is 0); ``annuity_musd_per_yr`` what it pays in each alive year;
    ``capex_npv_musd`` the annuities inside the horizon (discounted, what the objective
    charges); ``residual_musd`` its residual value at the horizon end (money of that
    year). See :mod:`chainopt.case.vintage`.
    """
    cols = ["kind", "name", "period", "amount", "overnight_musd", "lead_time_yr",
            "first_use_year", "lifetime_yr", "annuity_musd_per_yr", "capex_npv_musd",
            "residual_musd"]
    if not built.lp.builds:
        return pd.DataFrame(columns=cols)
    b = pd.concat(built.lp.builds, ignore_index=True)
    x = _clean(out.col_value[b["col"].to_numpy()])
    b = b.assign(_x=x)
    b = b[np.abs(x) > TOL].reset_index(drop=True)
    if b.empty:
        return pd.DataFrame(columns=cols)
    ix = built.index
    v = ix.vintages(b)
    spend = b["overnight_musd"].to_numpy(float) * b["_x"].to_numpy()
    b = b.assign(
        amount=np.where(b["part"] == "capacity", b["_x"], 0.0), overnight_musd=spend,
        lead_time_yr=b["lead"], first_use_year=b["first_use"], lifetime_yr=b["lifetime"],
        annuity_musd_per_yr=spend * v.annuity(ix.disc),
        capex_npv_musd=spend * v.annuity(ix.disc) * v.horizon_pv(ix.disc),
        residual_musd=spend * v.residual(ix.disc))
    keys = ["kind", "name", "period", "lead_time_yr", "first_use_year", "lifetime_yr"]
    g = b.groupby(keys, sort=False, as_index=False)[
        ["amount", "overnight_musd", "annuity_musd_per_yr", "capex_npv_musd",
         "residual_musd"]].sum()
    g = g[(g["amount"] > TOL) | (g["overnight_musd"] > TOL)]
    for c in ("amount", "overnight_musd", "annuity_musd_per_yr", "capex_npv_musd",
              "residual_musd"):
        g[c] = _clean(g[c].to_numpy(float))
    return g[cols].reset_index(drop=True)
