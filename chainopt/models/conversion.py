"""Conversion: units running modes, sharing the unit's capacity.

Variables ``conversion.activity[u,m,t] >= 0`` (k activity units/yr) for every unit u
and every mode m of u's process. Each adds ``a_mc`` (out) or ``-a_mc`` (in) to the
balance of (site(u), c, t) for every flow of m, and costs
``variable_cost_mt * w_t / 1000`` MUSD.

    conversion.capacity_max[u,t]:
        sum_m use_m * activity[u,m,t] - avail_u * (new capacity terms)
            <= avail_u * cap_ut * alive_ut

(``alive_ut``: the share of period t before the unit's ``retire_year``, 1 if none).
The new-capacity terms (continuous expansion and projects) are added by
:mod:`chainopt.models.investment`. Emission commodities are not balanced; see
:mod:`chainopt.models.emissions`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.codes import inner_join
from chainopt.case.index import ModelIndex
from chainopt.models import MUSD_PER_KUSD
from chainopt.models.lp import CapacityRows, LinearProgram
from chainopt.models.spec import Cost, FamilySpec, Row, Var

ACTIVITY = Var(
    "conversion", "activity", dims=("unit", "mode", "period"),
    noun="mode {mode} of unit {unit}",
    categories=("variable_om", "carbon"), results="activity",
    cost=Cost("variable cost", -1.0, "variable cost of mode {mode} of unit {unit}"),
    reduced_cost=True,
    missing_bound="unit {unit} can grow without limit (no capacity or max_new_k_per_yr)")
CAPACITY_MAX = Row(
    "conversion", "capacity_max", dims=("unit", "period"),
    sense="<=",
    noun="capacity of unit {unit}", results="capacity",
    what="capacity", ranging=True, elastic=True, scale=("unit_cap", "availability"),
    stated=("unit_cap", "alive"), source=("units", "capacity_k_per_yr"))
SPEC = FamilySpec(
    "conversion",
    inputs="mode_flows.csv amount_per_unit, modes.csv, units.csv capacity_k_per_yr",
    variables=(ACTIVITY,), rows=(CAPACITY_MAX,))


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    a = ix.activity
    cols = lp.add_vars("conversion", "activity", a[["unit", "mode", "period"]])
    w = ix.weight(a["period"])
    lp.add_objective(cols, -MUSD_PER_KUSD * a["variable_cost"].to_numpy() * w, "variable_om",
                     ix.pos(a["period"]))

    flows = ix.mode_flows[~ix.mode_flows["commodity"].isin(ix.emission_commodities)]
    i, j = inner_join(a["mode"], flows["mode"])  # activity row i x flow j of its mode
    lp.add_balance(pd.Categorical(a["site"]).take(i), pd.Categorical(flows["commodity"]).take(j),
                   pd.Categorical(a["period"]).take(i), cols[i], flows["coef"].to_numpy()[j])

    uc = ix.unit_cap
    lp.add_rows("conversion", "capacity_max", uc[["unit", "period"]],
                ub=(uc["availability"] * np.where(uc["project"] == "",
                                                  uc["capacity"] * uc["alive"], 0.0)).to_numpy())
    lp.unit_capacity = CapacityRows("unit", lp.family(CAPACITY_MAX.label),
                                    lp.family(ACTIVITY.label))
    lp.add_terms(lp.unit_capacity.rows(a), cols, a["capacity_use"].to_numpy())
