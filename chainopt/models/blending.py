"""Quality blending: components mixed into a product at a site, meeting its specs.

Variables ``blending.blend[b,c,t] >= 0``: k units/yr of component c entering blend b
(at site s, making product p). Each takes -1 from the balance of (s, c, t) and adds
``k_cp`` (component units -> product units, 1 when both share a unit) to (s, p, t);
costs ``variable_cost_bt * k_cp * w_t / 1000`` MUSD: the blend's variable cost is per
unit of product made, like its capacity.

Specs are linear in property x quantity. With ``v_c`` the basis quantity of one unit
of c (its mass in t on a mass or recipe basis, its volume in m3 on a volume basis,
converted from c's own unit), ``v_p`` that of one unit of the product and ``q_ck`` the
value of property k of c:

    blending.spec_min[b,k,t]:  sum_c (q_ck - min_kt) * v_c / v_p * blend[b,c,t] >= 0
    blending.spec_max[b,k,t]:  sum_c (q_ck - max_kt) * v_c / v_p * blend[b,c,t] <= 0
    blending.capacity_max[b,t]: sum_c k_cp * blend[b,c,t] <= capacity_bt

(the capacity is in the product's unit, like everything the blend makes; dividing by
``v_p`` states a spec row in product units x property units, so that its marginal value
is in USD per product unit per property unit: per bbl and octane point for a blend of
a product measured in bbl, whatever the basis).

A **recipe** (``basis: recipe``, ``shares`` s_c, e.g. ``10;4;3;1``) fixes the
proportions of the components (in their own units), with ``f_c = s_c / sum s``:

    blending.recipe[b,c,t]:  blend[b,c,t] - f_c * sum_c' blend[b,c',t] = 0

Which components may enter which product is the ``components`` list of the blend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.index import ModelIndex
from chainopt.models import MUSD_PER_KUSD
from chainopt.models.lp import LinearProgram
from chainopt.models.spec import Cost, FamilySpec, Row, Var

BLEND = Var(
    "blending", "blend", dims=("blend", "component", "period"),
    noun="{component} into blend {blend}",
    categories=("variable_om",), results="blending",
    # blends.csv's variable cost (per unit of product) as it falls on one unit of a
    # component (x k_cp): the input ranging moves, named as the case states it
    cost=Cost("blend variable cost", -1.0,
              "variable cost of blend {blend} (blends.csv) per unit of {component} blended"),
    reduced_cost=True, missing_bound="blend {blend} has no capacity")
SPEC_MIN = Row(
    "blending", "spec_min", dims=("blend", "property", "period"),
    sense=">=",
    noun="{property} minimum of blend {blend}", results="constraints",
    own_coefficients=True)
SPEC_MAX = Row(
    "blending", "spec_max", dims=("blend", "property", "period"),
    sense="<=",
    noun="{property} maximum of blend {blend}", results="constraints",
    own_coefficients=True)
CAPACITY_MAX = Row(
    "blending", "capacity_max", dims=("blend", "period"),
    sense="<=",
    noun="capacity of blend {blend}", results="constraints",
    what="capacity", ranging=True, elastic=True, own_coefficients=True,
    source=("blends", "capacity_k_per_yr"))
RECIPE = Row(
    "blending", "recipe", dims=("blend", "component", "period"),
    sense="=",
    noun="recipe share of {component} in blend {blend}",
    results="constraints", own_coefficients=True, technical=True)
SPEC = FamilySpec("blending", inputs="qualities.csv / specs.csv / blends.csv",
                  variables=(BLEND,), rows=(SPEC_MIN, SPEC_MAX, CAPACITY_MAX, RECIPE))


def unheld_specs(ix: ModelIndex) -> list[str]:
    """A warning for each product a blend holds to specs that also comes another way: an
    output of a mode some unit runs (``mode_flows.csv``) or bought (``supplies.csv``).
    A spec binds what the blend makes (its components' qualities averaged on its basis),
    so those quantities reach the product's balance, and its markets, unchecked: the
    product sold may not meet the spec the case states for it."""
    specced = ix.blend_in.loc[ix.blend_in["blend"].isin(ix.spec_terms["blend"].unique()),
                              "product"].unique()
    if not len(specced):
        return []
    mf = ix.mode_flows
    made = mf[(mf["coef"] > 0) & mf["commodity"].isin(specced)]
    if not made.empty:  # (pandas' isin on Arrow strings walks its values in Python: the
        # activity table's modes, one per unit, mode and period, are made unique first)
        act = ix.activity
        runs = act.loc[act["unit"].isin(_runnable(ix).unique()), "mode"].unique()
        made = made[made["mode"].isin(runs)]
    made = made[["commodity", "mode"]]
    buy = ix.purchase
    bought = buy[buy["commodity"].isin(specced) & ~(buy["max"] <= 0)][["commodity", "site"]]
    ways = pd.concat([made.assign(how="made by mode " + made["mode"].astype(str)),
                      bought.assign(how="bought at " + bought["site"].astype(str))])
    if ways.empty:
        return []
    listed = ways.drop_duplicates(["commodity", "how"]).groupby("commodity", sort=True)["how"]
    return [f"specs.csv holds {product} to its specs only where a blend makes it, but it is "
            f"also {', '.join(hows.head(3))}{' and more' if len(hows) > 3 else ''}: that "
            f"{product} reaches its markets unchecked; make it a component (its own "
            f"commodity) of a blend of {product}, so the specs hold for all of it"
            for product, hows in listed]  # one per such product


def _runnable(ix: ModelIndex) -> pd.Series:
    """The units that can run in some period: capacity times availability above 0 in
    one, or capacity that may be built (an expansion, a capex curve, a life extension).
    A unit at capacity 0 with nothing to build makes nothing, so it is no way round a
    spec."""
    cap = ix.unit_cap
    return pd.concat([cap.loc[cap["capacity"] * cap["availability"] > 0, "unit"],
                      ix.unit_new["unit"], ix.segments["unit"], ix.life_ext["unit"]])


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    b = ix.blend_in
    cols = lp.add_vars("blending", "blend", b[["blend", "component", "period"]])
    if b.empty:
        return
    lp.add_balance(b["site"], b["component"], b["period"], cols, -1.0)
    lp.add_balance(b["site"], b["product"], b["period"], cols, b["to_product"].to_numpy())
    w = ix.weight(b["period"])
    lp.add_objective(cols, -MUSD_PER_KUSD * b["variable_cost"].to_numpy()
                     * b["to_product"].to_numpy() * w, "variable_om", ix.pos(b["period"]))

    col_of = b[["blend", "component", "period", "to_product"]].assign(col=cols)
    for bound, name in (("min", "spec_min"), ("max", "spec_max")):
        terms = ix.spec_terms[ix.spec_terms["bound"] == bound]
        keys = terms[["blend", "property", "period"]].drop_duplicates().reset_index(drop=True)
        lo, hi = (0.0, np.inf) if bound == "min" else (-np.inf, 0.0)
        rows = lp.add_rows("blending", name, keys, lb=lo, ub=hi)
        t = terms.merge(keys[["blend", "property", "period"]].assign(_row=rows),
                        on=["blend", "property", "period"]).merge(
            col_of, on=["blend", "component", "period"])
        lp.add_terms(t["_row"].to_numpy(), t["col"].to_numpy(), t["coef"].to_numpy())

    cap = ix.blend_cap
    rows = lp.add_rows("blending", "capacity_max", cap[["blend", "period"]],
                       ub=cap["capacity"].to_numpy())
    t = col_of.merge(cap[["blend", "period"]].assign(_row=rows), on=["blend", "period"])
    lp.add_terms(t["_row"].to_numpy(), t["col"].to_numpy(), t["to_product"].to_numpy())

    rec = b[b["basis"] == "recipe"].assign(col=cols[(b["basis"] == "recipe").to_numpy()])
    if rec.empty:
        return
    rows = lp.add_rows("blending", "recipe", rec[["blend", "component", "period"]],
                       lb=0.0, ub=0.0)
    lp.add_terms(rows, rec["col"].to_numpy(), 1.0)
    # -f_c on every component column of the same blend and period
    pairs = rec[["blend", "period", "share"]].assign(_row=rows).merge(
        rec[["blend", "period", "col"]], on=["blend", "period"])
    lp.add_terms(pairs["_row"].to_numpy(), pairs["col"].to_numpy(),
                 -pairs["share"].to_numpy(float))
