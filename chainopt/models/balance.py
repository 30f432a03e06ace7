"""The commodity balance: one equality per (site, commodity, period) that has terms.

    balance.commodity[s,c,t]:
        sum purchases + sum mode and blend outputs - sum mode and blend inputs
        + sum (1 - loss) inflows - sum outflows - sales - deliveries - disposal = 0

(emission commodities have no balance: see :mod:`chainopt.models.emissions`).

Every family registers its terms with ``LinearProgram.add_balance``; this module
turns them into rows. Its dual, scaled to USD per unit in period-t money, is the
commodity's value at s in t (see :mod:`chainopt.extract`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.codes import ranks
from chainopt.models.lp import LinearProgram
from chainopt.models.spec import FamilySpec, Row

COMMODITY = Row(
    "balance", "commodity", dims=("site", "commodity", "period"),
    sense="=",
    noun="balance of {commodity} at {site}", results="balances")
SPEC = FamilySpec("balance", inputs="mode_flows.csv amount_per_unit and links.csv loss_fraction",
                  rows=(COMMODITY,))


def add(lp: LinearProgram, period_order: dict[str, int]) -> None:
    """One row per (site, commodity, period) with terms, in (site, commodity, period
    position) order; terms are grouped on integer codes, never on the names."""
    codes, names, cols, coefs = lp.balance_codes()
    sites, coms = names["site"], names["commodity"]
    site_rank, com_rank = ranks(sites), ranks(coms)
    pos_of = np.array([period_order[p] for p in names["period"]], dtype=np.int64)
    n_com, n_per = max(len(coms), 1), max(len(period_order), 1)
    key = (site_rank[codes["site"]] * n_com + com_rank[codes["commodity"]]) * n_per \
        + pos_of[codes["period"]] if len(cols) else np.empty(0, dtype=np.int64)
    inverse, uniq = pd.factorize(key)
    order = np.argsort(uniq, kind="stable")
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[order] = np.arange(len(uniq))
    uniq = uniq[order]
    periods = sorted(period_order, key=period_order.__getitem__)

    def text(distinct: object, at: np.ndarray) -> pd.Series:  # strings copied by Arrow
        return pd.Series(distinct, dtype="str").take(at).reset_index(drop=True)

    keys = pd.DataFrame({"site": text(np.sort(sites), uniq // (n_com * n_per)),
                         "commodity": text(np.sort(coms), (uniq // n_per) % n_com),
                         "period": text(periods, uniq % n_per)})
    rows = lp.add_rows("balance", "commodity", keys, lb=0.0, ub=0.0)
    lp.add_terms(rows[rank[inverse]], cols, coefs)

