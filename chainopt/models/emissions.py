"""Emissions: what modes release, its carbon price and caps.

Commodities of kind ``emission`` are not balanced. A mode with an ``out`` flow of
emission commodity e releases ``a_me * activity[u,m,t]`` (an ``in`` flow counts as
captured, negative). With policies for e (chain-wide when ``site`` is blank, else for
that site; a site price adds to the chain-wide one):

* carbon price: ``-price_et * a_me * w_t / 1000`` MUSD on each activity column;
* ``emissions.cap_max[e,site,t]: sum a_me * activity[u,m,t] <= cap_et`` over the
  activities in scope (all sites, or the policy's site).
"""

from __future__ import annotations

import numpy as np

from chainopt.case.index import ModelIndex
from chainopt.models import MUSD_PER_KUSD
from chainopt.models.lp import LinearProgram


def emitting_activity(ix: ModelIndex, lp: LinearProgram):
    """Activity columns that emit: unit, mode, period, site, commodity, coef, col."""
    fam = lp.family("conversion.activity")
    a = ix.activity.assign(col=np.arange(fam.start, fam.stop))
    flows = ix.mode_flows[ix.mode_flows["commodity"].isin(ix.emission_commodities)]
    return a.merge(flows, on="mode")


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    pol = ix.policies
    if pol.empty or not ix.emission_commodities:
        return
    em = emitting_activity(ix, lp)
    w = ix.periods.set_index("period")["weight"]
    chain = pol[pol["site"] == ""]
    local = pol[pol["site"] != ""]
    for scope, on in ((chain, ["commodity", "period"]), (local, ["commodity", "site", "period"])):
        if scope.empty:
            continue
        priced = em.merge(scope[[*on, "carbon_price"]], on=on)
        priced = priced[priced["carbon_price"] > 0]
        lp.add_objective(priced["col"].to_numpy(), -MUSD_PER_KUSD * (
            priced["carbon_price"] * priced["coef"] * priced["period"].map(w)).to_numpy(),
            "carbon")
        capped = scope[scope["cap"].notna()].reset_index(drop=True)
        if capped.empty:
            continue
        rows = lp.add_rows("emissions", "cap_max", capped[["commodity", "site", "period"]],
                           ub=capped["cap"].to_numpy())
        terms = em.merge(capped[on].assign(_row=rows), on=on)
        lp.add_terms(terms["_row"].to_numpy(), terms["col"].to_numpy(), terms["coef"].to_numpy())
