"""Supply: purchases or extraction of a commodity at a site.

Variables ``supply.purchase[s,c,r,t] in [0, max_scrt]`` (k units/yr; no upper bound
when ``max`` is blank), one per price tier r (tier 1 when supplies.csv has no tier
column): several tiers of one site and commodity are the steps of a supply curve
(tier 1 is ``supply.purchase[s,c,t]``, the others ``supply.purchase_tier[s,c,r,t]``).
Each adds +1 to the balance of (s, c, t) and costs ``cost_scrt * w_t / 1000`` MUSD in
the objective.
"""

from __future__ import annotations

from typing import Any

from chainopt.case.index import ModelIndex
from chainopt.models import MUSD_PER_KUSD, tiers
from chainopt.models.lp import LinearProgram
from chainopt.models.spec import Bound, Cost, FamilySpec, Var

_PURCHASE: dict[str, Any] = dict(
    categories=("supply",),
    results="purchases", reduced_cost=True,
    missing_bound="supplies.csv gives no max_k_per_yr for {commodity} at {site}")
PURCHASE = Var(
    "supply", "purchase", dims=("site", "commodity", "period"),
    noun="supply of {commodity} at {site}",
    cost=Cost("supply cost", -1.0, "supply cost of {commodity} at {site}"),
    bound=Bound("upper", "supply limit", "supply limit of {commodity} at {site}",
                ranging=True, elastic=True, source=("supplies", "max_k_per_yr")), **_PURCHASE)
PURCHASE_TIER = Var(
    "supply", "purchase_tier", dims=("site", "commodity", "tier", "period"),
    noun="supply of {commodity} at {site} (tier {tier})",
    cost=Cost("supply cost", -1.0, "supply cost of {commodity} at {site} (tier {tier})"),
    bound=Bound("upper", "supply limit",
                "supply limit of {commodity} at {site} (tier {tier})",
                ranging=True, elastic=True, source=("supplies", "max_k_per_yr")),
    **(_PURCHASE | {"missing_bound": "supplies.csv gives no max_k_per_yr for {commodity} at "
                                     "{site} (tier {tier})"}))
SPEC = FamilySpec("supply", inputs="supplies.csv (cost_usd_per_unit, max_k_per_yr)",
                  variables=(PURCHASE, PURCHASE_TIER))


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    p = ix.purchase
    cols = tiers.add_vars(lp, "supply", "purchase", p, ub=p["max"].to_numpy(float))
    lp.add_balance(p["site"], p["commodity"], p["period"], cols, 1.0)
    w = ix.weight(p["period"])
    lp.add_objective(cols, -MUSD_PER_KUSD * p["cost"].to_numpy() * w, "supply",
                     ix.pos(p["period"]))
