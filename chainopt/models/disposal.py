"""Free disposal: commodities whose excess may be discarded.

A commodity with ``disposal: true`` in ``commodities.csv`` gets a variable
``disposal.dispose[s,c,t] >= 0`` in every balance of it (every site and period where
anything makes, buys, ships, uses or sells it). It takes -1 from the balance, so the
balance reads ``made + bought + arriving >= used + sold + leaving`` (an inequality: the
excess is discarded), and costs ``disposal_cost_usd_per_unit * w_t / 1000`` MUSD
(category ``disposal``; a negative cost is a salvage value). With free disposal a
commodity's value at a site is never negative when its disposal is free.

This family runs after every other family that contributes to balances (it reads the
balance terms collected so far).
"""

from __future__ import annotations

from chainopt.case.index import ModelIndex
from chainopt.models import MUSD_PER_KUSD
from chainopt.models.lp import LinearProgram
from chainopt.models.spec import Cost, FamilySpec, Var

DISPOSE = Var(
    "disposal", "dispose", dims=("site", "commodity", "period"),
    noun="disposal of {commodity} at {site}",
    categories=("disposal",), results="disposal",
    cost=Cost("disposal cost", -1.0, "disposal cost of {commodity} at {site}"))
SPEC = FamilySpec("disposal", inputs="commodities.csv (disposal, disposal_cost_usd_per_unit)",
                  variables=(DISPOSE,))


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    if ix.disposal.empty:
        return
    terms = lp.balance_terms()
    keys = terms.loc[terms["commodity"].isin(set(ix.disposal["commodity"])),
                     ["site", "commodity", "period"]].drop_duplicates()
    order = {p: i for i, p in enumerate(ix.periods["period"])}
    keys = (keys.assign(_p=keys["period"].map(order))
            .sort_values(["site", "commodity", "_p"], kind="stable")
            .drop(columns="_p").reset_index(drop=True))
    keys = keys.merge(ix.disposal, on="commodity", how="left")
    cols = lp.add_vars("disposal", "dispose", keys[["site", "commodity", "period"]])
    lp.add_balance(keys["site"], keys["commodity"], keys["period"], cols, -1.0)
    w = ix.weight(keys["period"])
    lp.add_objective(cols, -MUSD_PER_KUSD * keys["cost"].to_numpy(float) * w, "disposal",
                     ix.pos(keys["period"]))
