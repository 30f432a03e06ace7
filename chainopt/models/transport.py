"""Transport: flows on links with losses, costs and shared capacity.

Variables ``transport.flow[l,c,t] >= 0`` (k units/yr entering link l). A flow takes
-1 from the balance of (from(l), c, t), adds ``1 - loss_l`` to (to(l), c, t) and
costs ``cost_lt * w_t / 1000`` MUSD. All commodities of a link share its capacity:

    transport.capacity_max[l,t]:  sum_c flow[l,c,t] - (new capacity terms) <= cap_lt

for links with a finite capacity, an expansion option or a project (links with a
blank capacity and no expansion are unlimited and get no row).
"""

from __future__ import annotations

import numpy as np

from chainopt.case.codes import isin
from chainopt.case.index import ModelIndex
from chainopt.models import MUSD_PER_KUSD
from chainopt.models.lp import CapacityRows, LinearProgram
from chainopt.models.spec import Cost, FamilySpec, Row, Var

FLOW = Var(
    "transport", "flow", dims=("link", "commodity", "period"),
    noun="flow of {commodity} on link {link}",
    categories=("transport", "carbon"), results="flows",
    cost=Cost("transport cost", -1.0, "transport cost of {commodity} on link {link}"),
    reduced_cost=True, missing_bound="link {link} has no capacity_k_per_yr")
CAPACITY_MAX = Row(
    "transport", "capacity_max", dims=("link", "period"),
    sense="<=",
    noun="capacity of link {link}", results="capacity",
    what="capacity", ranging=True, elastic=True, source=("links", "capacity_k_per_yr"))
SPEC = FamilySpec("transport",
                  inputs="links.csv (capacity_k_per_yr, cost_usd_per_unit, loss_fraction)",
                  variables=(FLOW,), rows=(CAPACITY_MAX,))


def capacity_rows(ix: ModelIndex):
    """The (link, period) rows that need a capacity constraint, with their limit."""
    lc = ix.link_cap
    need = lc["capacity"].notna() | isin(lc["link"], ix.link_new["link"]) | (lc["project"] != "")
    lc = lc[need].reset_index(drop=True)
    limit = np.where(lc["project"] != "", 0.0, lc["capacity"].fillna(0.0).to_numpy())
    return lc, limit


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    f = ix.flow
    cols = lp.add_vars("transport", "flow", f[["link", "commodity", "period"]])
    lp.add_balance(f["from_site"], f["commodity"], f["period"], cols, -1.0)
    lp.add_balance(f["to_site"], f["commodity"], f["period"], cols, 1.0 - f["loss"].to_numpy())
    w = ix.weight(f["period"])
    lp.add_objective(cols, -MUSD_PER_KUSD * f["cost"].to_numpy() * w, "transport",
                     ix.pos(f["period"]))

    lc, limit = capacity_rows(ix)
    lp.add_rows("transport", "capacity_max", lc[["link", "period"]], ub=limit)
    lp.link_capacity = CapacityRows("link", lp.family(CAPACITY_MAX.label),
                                    lp.family(FLOW.label))
    r = lp.link_capacity.rows(f)
    keep = r >= 0
    lp.add_terms(r[keep], cols[keep], 1.0)
