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
from chainopt.models.spec import Bound, FamilySpec, Row, Var


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    w = ix.periods.set_index("period")["weight"]
    uc = ix.unit_cap
    existing = uc["project"] == ""
    lp.add_offset(-MUSD_PER_KUSD * float((uc["fixed_om"] * uc["capacity"] * existing
                                          * ix.weight(uc["period"])).sum()), "fixed_om")

    # unit expansion: continuous, or lumpy (see _lumpy)
    un = ix.unit_new
    cols = lp.add_vars("investment", "unit_new", un[["unit", "period"]], ub=un["max_new"])
    life_w = ix.years_alive_weight(un["period"], un["lifetime"])
    annuity = crf(ix.rate, un["lifetime"]) * life_w
    segmented = un["unit"].isin(set(ix.segments["unit"])).to_numpy()
    lp.add_objective(cols[~segmented], -MUSD_PER_KUSD * (un["capex"].to_numpy() * annuity
                                                         )[~segmented], "capex")
    _lumpy(lp, ix, un, cols, annuity)
    lp.add_objective(cols, -MUSD_PER_KUSD * un["fixed_om"].to_numpy() * life_w, "fixed_om")
    pairs = ix.alive(un.assign(col=cols))
    rows = lp.unit_capacity.rows(pairs, period="use_period")
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
    rows = lp.link_capacity.rows(pairs, period="use_period")
    lp.add_terms(rows, pairs["col"].to_numpy(), -1.0)

    _projects(lp, ix, w)


def _lumpy(lp: LinearProgram, ix: ModelIndex, un: pd.DataFrame, cols: np.ndarray,
           annuity: np.ndarray) -> None:
    """Build decisions that are lumpy: minimum sizes, fixed charges, economies of scale.

    For unit u and period t with a minimum size, a fixed charge or capex segments,
    a binary ``investment.unit_build[u,t]`` (y) is added:

        unit_new_max[u,t]: new - max_new * y <= 0       unit_new_min[u,t]: new - min_new * y >= 0

    and the fixed charge ``build_fixed_musd * CRF * W`` is paid on y. With segments
    s = 1..S (sizes d_s, capex c_s per unit, normally falling: economies of scale),
    ``investment.segment[u,t,s] in [0, d_s]`` (z_s) carry the capex and

        segment_sum[u,t]: new - sum_s z_s = 0
        segment_open[u,t,s]: z_s - d_s * y_s <= 0   (y_1 = y; y_s binary for s >= 2)
        segment_full[u,t,s]: z_(s-1) - d_(s-1) * y_s >= 0   (s >= 2: fill in order)

    (the incremental formulation of a piecewise-linear concave cost).
    """
    seg_units = set(ix.segments["unit"])
    lumpy = ((un["min_new"] > 0) | (un["build_fixed"] > 0) | un["unit"].isin(seg_units)
             ).to_numpy()
    if not lumpy.any():
        return
    lk = un[lumpy].reset_index(drop=True)
    new = cols[lumpy]
    keys = lk[["unit", "period"]]
    y = lp.add_vars("investment", "unit_build", keys, ub=1.0, integer=True)
    rows = lp.add_rows("investment", "unit_new_max", keys, ub=0.0)
    lp.add_terms(np.r_[rows, rows], np.r_[new, y], np.r_[np.ones(len(y)), -lk["max_new"]])
    has_min = (lk["min_new"] > 0).to_numpy()
    rows = lp.add_rows("investment", "unit_new_min", keys[has_min], lb=0.0)
    lp.add_terms(np.r_[rows, rows], np.r_[new[has_min], y[has_min]],
                 np.r_[np.ones(len(rows)), -lk["min_new"].to_numpy()[has_min]])
    lp.add_objective(y, -lk["build_fixed"].to_numpy() * annuity[lumpy], "capex")

    seg = keys.assign(_new=new, _y=y, _ann=annuity[lumpy]).merge(ix.segments, on="unit")
    if seg.empty:
        return
    z = lp.add_vars("investment", "segment", seg[["unit", "period", "segment"]],
                    ub=seg["size"].to_numpy())
    lp.add_objective(z, -MUSD_PER_KUSD * (seg["capex"] * seg["_ann"]).to_numpy(), "capex")
    pairs = seg[["unit", "period"]].drop_duplicates()
    sums = lp.add_rows("investment", "segment_sum", pairs, lb=0.0, ub=0.0)
    sum_of = pairs.assign(_row=sums)
    m = seg.merge(sum_of, on=["unit", "period"])
    lp.add_terms(sums, pairs.merge(seg.drop_duplicates(["unit", "period"]),
                                   on=["unit", "period"])["_new"].to_numpy(), 1.0)
    lp.add_terms(m["_row"].to_numpy(), z, -1.0)
    first = (seg.groupby(["unit", "period"]).cumcount() == 0).to_numpy()
    ys = seg["_y"].to_numpy().copy()
    later = ~first
    if later.any():
        ys[later] = lp.add_vars("investment", "segment_open_flag",
                                seg.loc[later, ["unit", "period", "segment"]], ub=1.0,
                                integer=True)
    rows = lp.add_rows("investment", "segment_open", seg[["unit", "period", "segment"]], ub=0.0)
    lp.add_terms(np.r_[rows, rows], np.r_[z, ys], np.r_[np.ones(len(z)), -seg["size"]])
    if later.any():
        idx = np.flatnonzero(later)
        rows = lp.add_rows("investment", "segment_full",
                           seg.loc[later, ["unit", "period", "segment"]], lb=0.0)
        lp.add_terms(np.r_[rows, rows], np.r_[z[idx - 1], ys[idx]],
                     np.r_[np.ones(len(idx)), -seg["size"].to_numpy()[idx - 1]])


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
        rows = lp.unit_capacity.rows(brings, period="use_period")
        lp.add_terms(rows, brings["col"].to_numpy(),
                     -(brings["availability"] * brings["capacity"]).to_numpy())
        lp.add_objective(brings["col"].to_numpy(), -MUSD_PER_KUSD * (
            brings["fixed_om"].to_numpy(float) * brings["capacity"].to_numpy(float)
            * ix.weight(brings["use_period"])),
            "fixed_om")
    lk = ix.link_cap[ix.link_cap["project"] != ""]
    links = built.merge(lk.rename(columns={"period": "use_period"}), on=["project", "use_period"])
    if len(links):
        rows = lp.link_capacity.rows(links, period="use_period")
        lp.add_terms(rows, links["col"].to_numpy(), -links["capacity"].fillna(0.0).to_numpy())
    if len(ix.retire):
        after = pb.assign(col=cols).merge(ix.periods[["period", "pos"]], on="period").merge(
            ix.periods[["period", "pos"]].rename(columns={"period": "use_period", "pos": "_p"}),
            how="cross")
        after = after[after["_p"] >= after["pos"]].merge(ix.retire, on="project")
        old = ix.unit_cap.rename(columns={"period": "use_period"})[
            ["unit", "use_period", "capacity", "availability"]]
        after = after.merge(old, on=["unit", "use_period"])
        rows = lp.unit_capacity.rows(after, period="use_period")
        lp.add_terms(rows, after["col"].to_numpy(),
                     (after["availability"] * after["capacity"]).to_numpy())


# -- the family's declaration (see chainopt.models.spec) -------------------------------------
_NEW = dict(value_unit="USD per unit (NPV)", vintage="build", results="capacity")
_LUMPY = dict(value_unit="USD per unit (NPV)", vintage="build", results="kpis", technical=True)
# a project's build decision: a share (divisible projects) or binary (all or nothing)
PROJECT_SHARE, PROJECT_BUILD = (
    Var("investment", name, dims=("project", "period"),
        unit="share of project j built in period t (0-1)", noun="project {project}",
        categories=("capex", "fixed_om"), value_unit="MUSD (NPV)", vintage="build",
        results="projects", reduced_cost=True,
        bound=Bound("lower", "forced project", "forced project {project}"))
    for name in ("project_share", "project_build"))
SPEC = FamilySpec(
    "investment", inputs="units.csv / links.csv / projects.csv (capex, sizes)",
    variables=(
        Var("investment", "unit_new", dims=("unit", "period"),
            unit="k units/yr of new unit capacity", noun="new capacity of unit {unit}",
            categories=("capex", "fixed_om"), reduced_cost=True,
            bound=Bound("upper", "expansion limit", "expansion limit of unit {unit}"),
            missing_bound="units.csv gives no max_new_k_per_yr for unit {unit}", **_NEW),
        Var("investment", "link_new", dims=("link", "period"),
            unit="k units/yr of new link capacity", noun="new capacity of link {link}",
            categories=("capex",), reduced_cost=True,
            bound=Bound("upper", "expansion limit", "expansion limit of link {link}"),
            missing_bound="links.csv gives no max_new_k_per_yr for link {link}", **_NEW),
        Var("investment", "unit_build", dims=("unit", "period"),
            unit="binary: unit u expands in period t", noun="build decision of unit {unit}",
            categories=("capex",), **_LUMPY),
        Var("investment", "segment", dims=("unit", "period", "segment"),
            unit="k units/yr of new capacity in the capex segment",
            noun="capex segment {segment} of unit {unit}", categories=("capex",), **_LUMPY),
        Var("investment", "segment_open_flag", dims=("unit", "period", "segment"),
            unit="binary: the capex segment is used",
            noun="capex segment {segment} of unit {unit} in use", categories=(), **_LUMPY),
        PROJECT_SHARE, PROJECT_BUILD,
    ),
    rows=(
        Row("investment", "build_once", dims=("project",), unit="share of the project",
            sense="<=", noun="project {project} can be built once", vintage="horizon",
            results="projects", value_unit="MUSD (NPV)"),
        Row("investment", "unit_new_max", dims=("unit", "period"),
            unit="k units/yr of new unit capacity", sense="<=",
            noun="expansion limit of unit {unit}", vintage="build", results="capacity",
            value_unit="USD per unit (NPV)"),
        Row("investment", "unit_new_min", dims=("unit", "period"),
            unit="k units/yr of new unit capacity", sense=">=",
            noun="minimum build size of unit {unit}", vintage="build", results="capacity",
            value_unit="USD per unit (NPV)"),
        Row("investment", "segment_sum", dims=("unit", "period"),
            unit="k units/yr of new unit capacity", sense="=",
            noun="capex segments of unit {unit}", **_LUMPY),
        Row("investment", "segment_open", dims=("unit", "period", "segment"),
            unit="k units/yr of new unit capacity", sense="<=",
            noun="capex segment {segment} of unit {unit} is open", **_LUMPY),
        Row("investment", "segment_full", dims=("unit", "period", "segment"),
            unit="k units/yr of new unit capacity", sense=">=",
            noun="capex segments of unit {unit} fill in order", **_LUMPY),
    ),
)
