"""The commodity balance: one equality per (site, commodity, period) that has terms.

    balance.commodity[s,c,t]:
        sum purchases + sum mode outputs - sum mode inputs
        + sum (1 - loss) inflows - sum outflows - sales = 0

Every family registers its terms with ``LinearProgram.add_balance``; this module
turns them into rows. Its dual, scaled to USD per unit in period-t money, is the
commodity's value at s in t (see :mod:`chainopt.extract`).
"""

from __future__ import annotations

from chainopt.models.lp import LinearProgram
from chainopt.models.spec import FamilySpec, Row

COMMODITY = Row(
    "balance", "commodity", dims=("site", "commodity", "period"),
    unit="k units/yr of the commodity", sense="=",
    noun="balance of {commodity} at {site}", vintage="period", results="balances")
SPEC = FamilySpec("balance", inputs="mode_flows.csv amount_per_unit and links.csv loss_fraction",
                  rows=(COMMODITY,))


def add(lp: LinearProgram, period_order: dict[str, int]) -> None:
    terms = lp.balance_terms()
    terms["_p"] = terms["period"].map(period_order)
    grp = terms.groupby(["site", "commodity", "_p"], sort=True)
    local = grp.ngroup().to_numpy()
    keys = grp[["site", "commodity", "period"]].first().reset_index(drop=True)
    rows = lp.add_rows("balance", "commodity", keys, lb=0.0, ub=0.0)
    lp.add_terms(rows[local], terms["col"].to_numpy(), terms["coef"].to_numpy())
