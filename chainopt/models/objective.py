"""The objective: maximise the discounted net value of the chain over the horizon.

    max  sum_t w_t * [ revenue_t - supply_t - variable O&M_t - transport_t
                       - carbon_t - shortfall penalty_t - disposal_t ]
         - sum (capital annuities + fixed O&M of new capacity, discounted)
         - fixed O&M of existing capacity (a constant)

in MUSD of the base year; ``w_t`` is the sum of the discount factors of the years
of period t (see :mod:`chainopt.case.index`). Every family registers its terms with
a category (``LinearProgram.add_objective``); this module sums them into the cost
vector and keeps one vector per category so that results can split the objective
into its parts exactly, and one row per policy lever and period saying how much of
those parts is the lever's (:func:`lever_terms`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.index import ModelIndex
from chainopt.models import MUSD_PER_KUSD, conversion, market, tiers, transport
from chainopt.models.lp import CATEGORIES, LeverTerms, LinearProgram, Matrix


def vectors(lp: LinearProgram) -> tuple[np.ndarray, dict[str, Matrix]]:
    """The objective vector and its split by category (sparse, same length)."""
    cost = np.zeros(lp.num_cols)
    by: dict[str, Matrix] = {}
    for category in CATEGORIES:
        parts = [(c, v) for c, v, cat, _ in lp.objective_terms if cat == category]
        if not parts:
            continue
        cols = np.concatenate([c for c, _ in parts])
        vals = np.concatenate([v for _, v in parts])
        part = np.bincount(cols, weights=vals, minlength=lp.num_cols)
        cost += part
        by[category] = Matrix.from_row(part)
    return cost, by


#: where a lever's money is in the objective: a price in revenue, a feed excise in the
#: modes' variable cost, a freight premium in transport
LEVER_PART = {"markets": "revenue", "modes": "variable_om", "links": "transport"}


def lever_terms(effects: pd.DataFrame | None, ix: ModelIndex,
                lp: LinearProgram) -> LeverTerms | None:
    """What each policy lever moves, as a matrix ``L`` over the columns (None for a case
    without levers' effects, ``Case.lever_effects``). An effect is ``usd_per_unit`` on
    each unit of a row's quantity: a market's sales (site, commodity, tier, period), a
    mode's activity (mode, period; every unit running it), a link's flow (link, period;
    every commodity on it, or the one it names: a group's premium on listed
    commodities). Row ``r`` of ``L`` is one (lever, kind, part, period), with

        L[r, j] = sum of usd_per_unit / 1000 over the effects of r on column j

    so ``(L x)_r`` is the lever's MUSD a year at plan x and ``w_t (L x)_r`` its share of
    ``npv_<part>`` (the price, cost or premium the lever changed is already in the
    objective: these shares say how much of it is the lever's, not added again). An
    effect whose row has no column (a market not in the model) moves nothing: its row of
    ``L`` is empty, and reads 0."""
    if effects is None or effects.empty:
        return None
    sales = ix.sales[["site", "commodity", "tier", "period"]].assign(
        tier=ix.sales["tier"].astype(float),
        col=tiers.ids(lp, market.SALES.label, ix.sales))
    act, flow = lp.family(conversion.ACTIVITY.label), lp.family(transport.FLOW.label)
    flows = ix.flow[["link", "commodity", "period"]].assign(
        col=np.arange(flow.start, flow.stop))
    named = effects["commodity"].notna().to_numpy()  # a link effect on one commodity
    everything = np.ones(len(effects), dtype=bool)
    counted = [("markets", sales, ["site", "commodity", "tier", "period"], everything),
               ("modes", ix.activity[["mode", "period"]].assign(
                   col=np.arange(act.start, act.stop)), ["mode", "period"], everything),
               ("links", flows[["link", "period", "col"]], ["link", "period"], ~named),
               ("links", flows, ["link", "commodity", "period"], named)]
    keys = ["lever", "kind", "part", "period"]
    eff = effects.assign(part=effects["table"].map(LEVER_PART))
    row = eff.groupby(keys, sort=False).ngroup().to_numpy()
    rows, cols, vals = [], [], []
    for table, frame, on, which in counted:
        sel = eff["table"].eq(table).to_numpy() & which
        if not sel.any():
            continue
        e = eff.loc[sel, [*on, "usd_per_unit"]].assign(_row=row[sel])
        if "tier" in on:
            e = e.assign(tier=e["tier"].astype(float))
        m = e.merge(frame, on=on, how="inner")
        m = m[m["col"] >= 0]
        rows.append(m["_row"].to_numpy())
        cols.append(m["col"].to_numpy())
        vals.append(m["usd_per_unit"].to_numpy(float) * MUSD_PER_KUSD)
    first = eff.drop_duplicates(keys)[keys].reset_index(drop=True)  # ngroup's order
    cat = lambda xs, dt: np.concatenate(xs) if xs else np.empty(0, dtype=dt)  # noqa: E731
    matrix = Matrix.from_triplets(cat(rows, np.int64), cat(cols, np.int64), cat(vals, float),
                                  (len(first), lp.num_cols))
    return LeverTerms(keys=first, matrix=matrix, weight=ix.weight(first["period"]))
