"""Supply: purchases or extraction of a commodity at a site.

Variables ``supply.purchase[s,c,t] in [0, max_sct]`` (k units/yr; no upper bound
when ``max`` is blank). Each adds +1 to the balance of (s, c, t) and costs
``cost_sct * w_t / 1000`` MUSD in the objective.
"""

from __future__ import annotations

from chainopt.case.index import ModelIndex
from chainopt.models import MUSD_PER_KUSD
from chainopt.models.lp import LinearProgram
from chainopt.models.spec import Bound, Cost, FamilySpec, Var

PURCHASE = Var(
    "supply", "purchase", dims=("site", "commodity", "period"),
    unit="k units/yr of the commodity", noun="supply of {commodity} at {site}",
    categories=("supply",), vintage="period", results="purchases",
    cost=Cost("supply cost", -1.0, "supply cost of {commodity} at {site}"),
    bound=Bound("upper", "supply limit", "supply limit of {commodity} at {site}",
                ranging=True, elastic=True),
    reduced_cost=True,
    missing_bound="supplies.csv gives no max_k_per_yr for {commodity} at {site}")
SPEC = FamilySpec("supply", inputs="supplies.csv (cost_usd_per_unit, max_k_per_yr)",
                  variables=(PURCHASE,))


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    p = ix.purchase
    cols = lp.add_vars("supply", "purchase", p[["site", "commodity", "period"]], ub=p["max"])
    lp.add_balance(p["site"], p["commodity"], p["period"], cols, 1.0)
    w = ix.weight(p["period"])
    lp.add_objective(cols, -MUSD_PER_KUSD * p["cost"].to_numpy() * w, "supply",
                     ix.pos(p["period"]))
