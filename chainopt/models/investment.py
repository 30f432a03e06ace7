"""Investment: continuous capacity expansion of units and links, and model projects.

Capital cost is **annualised**: capacity costing ``K`` overnight pays
``K * CRF(r, life)`` every year from the start of its build period until the end of
its life or of the horizon, whichever comes first, so capacity built late is not
charged for years beyond the horizon (no salvage value needed).

* ``investment.unit_new[u,t] in [0, max_new_ut]`` (k units/yr) adds
  ``-avail_u`` to ``conversion.capacity_max[u,t']`` for every period t' in which it
  stands; costs ``(capex_u * CRF + fixed_om_u) * W(t, life_u) / 1000`` MUSD, where
  ``W`` is the discounted number of years it stands within the horizon.
* ``investment.link_new[l,t]`` likewise for ``transport.capacity_max``.
* ``investment.project_build[j,t] in [0, 1]`` (binary when the project is
  all-or-nothing): project j is built in period t. Its units and links bring their
  ``capacity_k_per_yr`` in every period it stands; units it retires lose their
  capacity from then on. ``investment.build_once[j]: sum_t project_build[j,t] <= 1``.
  A forced project has a single candidate period with ``project_build = 1``. Costs
  ``capex_musd_j * CRF * W`` plus the fixed O&M of its units.
* Fixed O&M of existing capacity is a constant in the objective (reported, not
  decided).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.index import ModelIndex, crf
from chainopt.models import MUSD_PER_KUSD
from chainopt.models.lp import LinearProgram


def _rows(lp: LinearProgram, label: str, keys: pd.DataFrame, on: list[str]) -> np.ndarray:
    fam = lp.family(label)
    ids = fam.keys.assign(_row=np.arange(fam.start, fam.stop))
    m = keys[on].merge(ids, on=on, how="left")
    return m["_row"].to_numpy()


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    w = ix.periods.set_index("period")["weight"]
    uc = ix.unit_cap
    existing = uc["project"] == ""
    lp.add_offset(-MUSD_PER_KUSD * float((uc["fixed_om"] * uc["capacity"] * existing
                                          * uc["period"].map(w)).sum()), "fixed_om")

    # continuous unit expansion
    un = ix.unit_new
    cols = lp.add_vars("investment", "unit_new", un[["unit", "period"]], ub=un["max_new"])
    life_w = ix.years_alive_weight(un["period"], un["lifetime"])
    lp.add_objective(cols, -MUSD_PER_KUSD * un["capex"].to_numpy() * crf(ix.rate, un["lifetime"])
                     * life_w, "capex")
    lp.add_objective(cols, -MUSD_PER_KUSD * un["fixed_om"].to_numpy() * life_w, "fixed_om")
    pairs = ix.alive(un.assign(col=cols))
    rows = _rows(lp, "conversion.capacity_max",
                 pairs.rename(columns={"period": "build", "use_period": "period"}),
                 ["unit", "period"])
    avail = pairs[["unit", "use_period"]].rename(columns={"use_period": "period"}).merge(
        uc[["unit", "period", "availability"]], on=["unit", "period"], how="left")
    lp.add_terms(rows, pairs["col"].to_numpy(), -avail["availability"].to_numpy())

    # continuous link expansion
    ln = ix.link_new
    cols = lp.add_vars("investment", "link_new", ln[["link", "period"]], ub=ln["max_new"])
    life_w = ix.years_alive_weight(ln["period"], ln["lifetime"])
    lp.add_objective(cols, -MUSD_PER_KUSD * ln["capex"].to_numpy() * crf(ix.rate, ln["lifetime"])
                     * life_w, "capex")
    pairs = ix.alive(ln.assign(col=cols))
    rows = _rows(lp, "transport.capacity_max",
                 pairs.drop(columns="period").rename(columns={"use_period": "period"}),
                 ["link", "period"])
    lp.add_terms(rows, pairs["col"].to_numpy(), -1.0)

    _projects(lp, ix, w)


def _projects(lp: LinearProgram, ix: ModelIndex, w: pd.Series) -> None:
    pb = ix.project_build
    if pb.empty:
        return
    pj = ix.projects.set_index("project")
    forced = pb["project"].map(pj["state"]).eq("forced").to_numpy()
    integer = bool(pj["all_or_nothing"].any())
    if integer:
        aon = pb["project"].map(pj["all_or_nothing"]).to_numpy(dtype=bool)
        cols = np.empty(len(pb), dtype=np.int64)
        if (~aon).any():
            cols[~aon] = lp.add_vars("investment", "project_share", pb[~aon], lb=forced[~aon],
                                     ub=1.0)
        cols[aon] = lp.add_vars("investment", "project_build", pb[aon], lb=forced[aon], ub=1.0,
                                integer=True)
    else:
        cols = lp.add_vars("investment", "project_share", pb, lb=forced, ub=1.0)
    life = pb["project"].map(pj["lifetime"])
    lp.add_objective(cols, -pb["project"].map(pj["capex_musd"]).to_numpy()
                     * crf(ix.rate, life.to_numpy()) * ix.years_alive_weight(pb["period"], life),
                     "capex")
    counts = pb.groupby("project").size()
    multi = counts[counts > 1].index
    if len(multi):
        keys = pd.DataFrame({"project": multi})
        rows = lp.add_rows("investment", "build_once", keys, ub=1.0)
        row_of = dict(zip(multi, rows, strict=True))
        sel = pb["project"].isin(multi).to_numpy()
        lp.add_terms(pb["project"][sel].map(row_of).to_numpy(), cols[sel], 1.0)

    built = ix.alive(pb.assign(col=cols, lifetime=life.to_numpy()))
    uc = ix.unit_cap[ix.unit_cap["project"] != ""]
    brings = built.merge(uc.rename(columns={"period": "use_period"}), on=["project", "use_period"])
    if len(brings):
        rows = _rows(lp, "conversion.capacity_max",
                     brings.drop(columns="period").rename(columns={"use_period": "period"}),
                     ["unit", "period"])
        lp.add_terms(rows, brings["col"].to_numpy(),
                     -(brings["availability"] * brings["capacity"]).to_numpy())
        lp.add_objective(brings["col"].to_numpy(), -MUSD_PER_KUSD * (
            brings["fixed_om"] * brings["capacity"] * brings["use_period"].map(w)).to_numpy(),
            "fixed_om")
    lk = ix.link_cap[ix.link_cap["project"] != ""]
    links = built.merge(lk.rename(columns={"period": "use_period"}), on=["project", "use_period"])
    if len(links):
        rows = _rows(lp, "transport.capacity_max",
                     links.drop(columns="period").rename(columns={"use_period": "period"}),
                     ["link", "period"])
        lp.add_terms(rows, links["col"].to_numpy(), -links["capacity"].fillna(0.0).to_numpy())
    if len(ix.retire):
        after = pb.assign(col=cols).merge(ix.periods[["period", "pos"]], on="period").merge(
            ix.periods[["period", "pos"]].rename(columns={"period": "use_period", "pos": "_p"}),
            how="cross")
        after = after[after["_p"] >= after["pos"]].merge(ix.retire, on="project")
        old = ix.unit_cap.rename(columns={"period": "use_period"})[
            ["unit", "use_period", "capacity", "availability"]]
        after = after.merge(old, on=["unit", "use_period"])
        rows = _rows(lp, "conversion.capacity_max",
                     after.drop(columns="period").rename(columns={"use_period": "period"}),
                     ["unit", "period"])
        lp.add_terms(rows, after["col"].to_numpy(),
                     (after["availability"] * after["capacity"]).to_numpy())
