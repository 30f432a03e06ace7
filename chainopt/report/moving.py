"""Where a commodity moves: the commodity values that are an effect of the plan.

A commodity's value at a site (the balance shadow price, ``balances.csv``) is an effect
of the plan only where the commodity moves there in the period: where it is bought,
sold, delivered to a demand, made or used by a unit, blended, disposed of, or shipped
in or out. Where nothing moves, the balance row holds only zeros and its dual can sit
anywhere in an interval (a degenerate optimum: LDPE at a site with no LDPE market,
plant or link read -174 USD/t in one run and 1,061 in the next); such a value is a
bound, not a price. Where it moves, the value may still hold one way only
(``balances.value_holds_for``, from HiGHS's ranging: a supply cap and a plant's capacity
binding on the same gas at Amur read 301.9 USD per 1000 m3 for one unit less and 96.0
for one more): one end of an interval again. The run report's commodity values and the
comparison's largest changes in them show only the values that are prices
(:func:`priced`): where the commodity moves and its value holds both ways.

pandas only: reads the saved result tables; a table absent (an older folder) moves
nothing.
"""

from __future__ import annotations

import pandas as pd

TOL = 1e-6  # k units/yr: less is solver noise

KEYS = ["site", "commodity", "period"]

#: (table, its site column, its commodity column, its amount columns): each term of the
#: commodity balance (supply, sales, demand, units, blends, disposal, links) as saved
MOVES = (
    ("purchases", "site", "commodity", ("purchase_k_per_yr",)),
    ("sales", "site", "commodity", ("sales_k_per_yr",)),
    ("demand", "site", "commodity", ("delivered_k_per_yr",)),
    ("unit_flows", "site", "commodity", ("amount_k_per_yr",)),
    ("production", "site", "commodity", ("produced_k_per_yr", "consumed_k_per_yr")),
    ("blending", "site", "component", ("blend_k_per_yr",)),
    ("blending", "site", "product", ("blend_k_per_yr",)),
    ("disposal", "site", "commodity", ("disposed_k_per_yr",)),
    ("flows", "from_site", "commodity", ("flow_k_per_yr",)),
    ("flows", "to_site", "commodity", ("delivered_k_per_yr",)),
)


def where_moves(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The (site, commodity, period) where the commodity moves (more than
    :data:`TOL` k units/yr in any term of its balance), once each, as text."""
    parts = []
    for name, site, commodity, amounts in MOVES:
        t = tables.get(name)
        if t is None or t.empty or not {site, commodity, "period", *amounts} <= set(t.columns):
            continue
        moved = pd.concat([pd.to_numeric(t[a], errors="coerce").abs() > TOL
                           for a in amounts], axis=1).any(axis=1)
        parts.append(pd.DataFrame({k: t.loc[moved, col].astype(str).to_numpy()
                                   for k, col in zip(KEYS, (site, commodity, "period"),
                                                     strict=True)}))
    if not parts:
        return pd.DataFrame({k: pd.Series(dtype=object) for k in KEYS})
    return pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)


def moves(frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.Series:
    """For each row of ``frame`` (with columns site, commodity, period): whether the
    commodity moves there in the run of ``tables`` (:func:`where_moves`)."""
    if frame.empty:
        return pd.Series(False, index=frame.index, dtype=bool)
    there = pd.MultiIndex.from_frame(where_moves(tables))
    rows = pd.MultiIndex.from_frame(frame[KEYS].astype(str))
    return pd.Series(rows.isin(there), index=frame.index, dtype=bool)


def holds_both_ways(frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.Series:
    """For each row of ``frame`` (site, commodity, period): whether the run's commodity
    value there holds for one unit more and one unit less (``balances.value_holds_for``
    is ``both``); True where that is not known (no ranging: a blank, or a folder written
    before the column) or the run has no such balance."""
    b = tables.get("balances")
    if frame.empty or b is None or "value_holds_for" not in b.columns:
        return pd.Series(True, index=frame.index, dtype=bool)
    holds = b["value_holds_for"].fillna("").astype(str)
    one_way = b.loc[~holds.isin(("both", "")), KEYS].astype(str)
    rows = pd.MultiIndex.from_frame(frame[KEYS].astype(str))
    return pd.Series(~rows.isin(pd.MultiIndex.from_frame(one_way)), index=frame.index,
                     dtype=bool)


def priced(frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.Series:
    """For each row of ``frame``: whether the run's commodity value there is a price, an
    effect of the plan that holds both ways (:func:`moves` and :func:`holds_both_ways`)."""
    return moves(frame, tables) & holds_both_ways(frame, tables)
