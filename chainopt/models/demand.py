"""Hard demand: a quantity of a commodity that must be delivered at a site.

``demand.csv`` (site, commodity, ``amount_k_per_yr`` by period) states what a cost case
must supply. Variables ``demand.delivery[s,c,t] >= 0`` take -1 from the balance of
(s, c, t) and earn nothing; the row

    demand.required[s,c,t]:  delivery[s,c,t] = amount_sct

makes the delivery exact (no shortfall, no penalty: a demand that cannot be met makes
the case infeasible, and ``chainopt explain --elastic`` says by how much to lower it).
The row's marginal value is what one more unit of demand costs the chain, in USD per
unit of the commodity in the money of its period (negative: it lowers the objective);
the ``demand`` results table states it as a positive ``marginal_cost_usd_per_unit``.
"""

from __future__ import annotations

from chainopt.case.index import ModelIndex
from chainopt.models.lp import LinearProgram
from chainopt.models.spec import FamilySpec, Row, Var

DELIVERY = Var(
    "demand", "delivery", dims=("site", "commodity", "period"),
    noun="delivery of {commodity} to demand at {site}",
    categories=(), results="demand")
REQUIRED = Row(
    "demand", "required", dims=("site", "commodity", "period"),
    sense="=",
    noun="demand for {commodity} at {site}", results="demand",
    what="demand", ranging=True, elastic=True, source=("demand", "amount_k_per_yr"))
SPEC = FamilySpec("demand", inputs="demand.csv (amount_k_per_yr)",
                  variables=(DELIVERY,), rows=(REQUIRED,))


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    d = ix.demand
    keys = d[["site", "commodity", "period"]]
    cols = lp.add_vars("demand", "delivery", keys)
    if d.empty:
        return
    lp.add_balance(d["site"], d["commodity"], d["period"], cols, -1.0)
    amount = d["amount"].to_numpy(float)
    rows = lp.add_rows("demand", "required", keys, lb=amount, ub=amount)
    lp.add_terms(rows, cols, 1.0)
