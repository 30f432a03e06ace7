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

from chainopt.case.index import ModelIndex
from chainopt.models import MUSD_PER_KUSD
from chainopt.models.lp import LinearProgram


def capacity_rows(ix: ModelIndex):
    """The (link, period) rows that need a capacity constraint, with their limit."""
    lc = ix.link_cap
    expandable = set(ix.link_new["link"])
    need = lc["capacity"].notna() | lc["link"].isin(expandable) | (lc["project"] != "")
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
    r = lp.row_ids("transport.capacity_max", f, ["link", "period"])
    keep = r >= 0
    lp.add_terms(r[keep], cols[keep], 1.0)
