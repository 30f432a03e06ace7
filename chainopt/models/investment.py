"""Investment: capacity expansion of units and links, life extensions and model projects.

Every build follows the one vintage rule of :mod:`chainopt.case.vintage`: built from
the start of its period t (construction start) with a lead time of ``lead`` years, it
is usable from year ``f = y_t + lead`` for ``life`` years (with its ramp-up), and it
pays an annuity ``A`` per unit of overnight cost K in exactly those years, with
``A * sum_{alive} d(y) = PV of spending K over the construction years``. Per period t
the build has ``usable_share_t`` (capacity), ``alive_share_t`` (retirements) and
``pv_t = sum of d(y) over its alive years in t`` (annuity and fixed O&M). Only the
years inside the horizon are charged; the rest is the build's residual value, which
results report (``investments`` table) and project cash flows count.

* ``investment.unit_new[u,t] in [0, max_new_ut]`` (k units/yr): adds
  ``-avail_ut * usable_share_t'`` to ``conversion.capacity_max[u,t']`` and costs
  ``(K_u * A + fom_u) * pv_t' / 1000`` MUSD in every period t' it is alive in.
  Capex segments and breakpoint curves replace the linear capex; lumpy builds
  (minimum size, fixed charge, a curve whose unit cost falls) add one binary build
  decision, a falling curve also ordering binaries; a convex curve adds none. See
  :func:`_lumpy`.
* ``investment.link_new[l,t]`` likewise for ``transport.capacity_max`` (no fixed O&M).
* A period split in parts (``part_of``) keeps its build limit on the parts together:
  ``investment.unit_new_split_max[u,T]`` / ``link_new_split_max[l,T]`` (:func:`_split_limit`).
* ``investment.life_extension[u] in [0, c_u,t(f)]``: an existing unit with
  ``retire_year`` f and ``life_extension_yr`` may keep running that many more years
  from f, at ``life_extension_capex`` per unit of the size x (annualised over the
  extension). x is counted in the unit's capacity of the period holding f, which
  bounds it; in each period t the extension keeps ``x * c_ut / c_u,t(f)`` of the unit
  (all of it: the unit's capacity of each period) and pays fixed O&M on what it
  keeps. A build of a project that retires the unit and comes into use before the
  extension would end excludes it (``investment.extension_max[u]``); one used later
  does not. See :func:`_extension_exclusion`.
* ``investment.project_build[j,t] in [0, 1]`` (binary when all-or-nothing; else
  ``project_share``): construction of project j starts in period t. Its units and
  links bring ``capacity_ut * usable_share_t'``; it pays ``capex_musd_j * A * pv_t'``
  plus the fixed O&M of its units; units it retires lose their capacity and stop
  paying fixed O&M from its first year of use, and a unit is retired once
  (``investment.retire_once[u]``, see :func:`_retire_once`).
  ``investment.build_once[j]: sum_t project_build[j,t] <= 1``;
  ``investment.requires[j,k,t]: sum_{t'<=t} b[j,t'] - sum_{t'<=t} b[k,t'] <= 0``
  (j may start only once k has started); ``investment.excludes[j,k]:
  sum_t b[j,t] + sum_t b[k,t] <= 1``.
* Fixed O&M of existing capacity (up to its ``retire_year``) is a constant.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from chainopt.case.index import ModelIndex, retires_in_horizon
from chainopt.models import MUSD_PER_KUSD
from chainopt.models.lp import LinearProgram
from chainopt.models.spec import Bound, FamilySpec, Row, Var


def add(lp: LinearProgram, ix: ModelIndex) -> None:
    _existing(lp, ix)
    _unit_expansion(lp, ix)
    _link_expansion(lp, ix)
    _life_extensions(lp, ix)
    _projects(lp, ix)


def _existing(lp: LinearProgram, ix: ModelIndex) -> None:
    """Fixed O&M of existing capacity in the years before its retire year."""
    uc = ix.unit_cap[ix.unit_cap["project"] == ""]
    money = (MUSD_PER_KUSD * uc["fixed_om"].to_numpy(float) * uc["capacity"].to_numpy(float)
             * uc["alive_pv"].to_numpy(float))
    lp.add_offset(-np.bincount(ix.pos(uc["period"]), weights=money,
                               minlength=len(ix.periods)), "fixed_om")


def _pairs(ix: ModelIndex, builds: pd.DataFrame, cols: np.ndarray) -> tuple[pd.DataFrame,
                                                                            np.ndarray]:
    """(build, use period) pairs of the vintage rule, with the build's column; annuities."""
    v = ix.vintages(builds)
    pairs = v.by_period(ix.disc)
    pairs["col"] = np.asarray(cols)[pairs["build"].to_numpy()]
    pairs["use_period"] = ix.periods["period"].to_numpy()[pairs["pos"].to_numpy()]
    return pairs, v.annuity(ix.disc)


def _pay(lp: LinearProgram, pairs: pd.DataFrame, annuity: np.ndarray, overnight: np.ndarray,
         fixed_om: np.ndarray | None = None) -> None:
    """Charge each (build b, period t) pair ``K_b * A_b * pv_bt`` (capex; ``overnight``
    K per build) and ``fom_bt * pv_bt`` (``fixed_om``: MUSD per unit of column per year,
    one per pair), both per unit of the build's column."""
    b = pairs["build"].to_numpy()
    pv = pairs["pv"].to_numpy()
    lp.add_objective(pairs["col"], -np.asarray(overnight)[b] * annuity[b] * pv, "capex",
                     pairs["pos"])
    if fixed_om is not None:
        lp.add_objective(pairs["col"], -np.asarray(fixed_om) * pv, "fixed_om", pairs["pos"])


def _register(lp: LinearProgram, cols: np.ndarray, builds: pd.DataFrame, kind: str,
              name_col: str, overnight: np.ndarray, part: str) -> None:
    lp.add_builds(cols, pd.DataFrame({
        "kind": kind, "name": builds[name_col].to_numpy(), "period": builds["period"].to_numpy()
        if "period" in builds else "", "part": part,
        "overnight_musd": np.asarray(overnight, dtype=float),
        "first_use": builds["first_use"].to_numpy(float),
        "lifetime": builds["lifetime"].to_numpy(float), "lead": builds["lead"].to_numpy(float),
        "ramp": builds["ramp"].to_numpy()}))


def _capacity(lp: LinearProgram, ix: ModelIndex, kind: str, pairs: pd.DataFrame,
              per_unit: np.ndarray) -> None:
    """Add ``-per_unit * usable_share`` of each pair to its capacity row."""
    handle = lp.unit_capacity if kind == "unit" else lp.link_capacity
    assert handle is not None, "conversion and transport create the capacity rows first"
    rows = handle.rows(pairs, period="use_period")
    lp.add_terms(rows, pairs["col"].to_numpy(),
                 -np.asarray(per_unit, dtype=float) * pairs["usable_share"].to_numpy())


def _unit_in_use_period(ix: ModelIndex, pairs: pd.DataFrame, column: str) -> np.ndarray:
    """``column`` of ``ix.unit_cap`` (availability, capacity) for each pair's unit in its
    use period."""
    values = ix.unit_cap.set_index(["unit", "period"])[column]
    return values.reindex(pd.MultiIndex.from_arrays([pairs["unit"], pairs["use_period"]])
                          ).to_numpy(float)


def _kept(ix: ModelIndex, pairs: pd.DataFrame) -> np.ndarray:
    """Capacity a life extension keeps per k unit/yr of its size, in each pair's use
    period t: ``c_ut / c_u,t(f)``, the unit's capacity in t over its capacity in the
    period of the extension's first year f (in which the size is counted: ``life_ext``'s
    ``capacity``); 0 where that is 0 (nothing to keep). Extending all of a unit keeps
    its capacity of each period, as ``units_by_period.csv`` states it."""
    first = ix.life_ext["capacity"].to_numpy(float)[pairs["build"].to_numpy()]
    return np.divide(_unit_in_use_period(ix, pairs, "capacity"), first,
                     out=np.zeros(len(pairs)), where=first > 0)


def _unit_expansion(lp: LinearProgram, ix: ModelIndex) -> None:
    """A unit's expansion columns, bounded by ``max_new``; a lumpy one's by its build
    decision's row alone (``new <= max_new * y``, :func:`_lumpy`): with both, the
    decision fixed at yes left two limits binding on one input, the bound with the
    value and the row with 0, and the bound's ranging ended where the row blocks it
    ("one t/yr more is worth less", while raising ``max_new`` raises both)."""
    un = ix.unit_new
    ub = np.where(lumpy_builds(ix, un)["binary"].to_numpy(), np.inf,
                  un["max_new"].to_numpy(float))
    cols = lp.add_vars("investment", "unit_new", un[["unit", "period"]], ub=ub)
    segmented = un["unit"].isin(set(ix.segments["unit"])).to_numpy()
    overnight = np.where(segmented, 0.0, MUSD_PER_KUSD * un["capex"].to_numpy(float))
    pairs, annuity = _pairs(ix, un, cols)
    pairs["unit"] = un["unit"].to_numpy()[pairs["build"].to_numpy()]
    _pay(lp, pairs, annuity, overnight,
         MUSD_PER_KUSD * un["fixed_om"].to_numpy(float)[pairs["build"].to_numpy()])
    _capacity(lp, ix, "unit", pairs, _unit_in_use_period(ix, pairs, "availability"))
    _register(lp, cols, un, "unit", "unit", overnight, "capacity")
    _lumpy(lp, ix, un, cols, pairs, annuity)
    _split_limit(lp, ix, un, cols, "unit")


def _link_expansion(lp: LinearProgram, ix: ModelIndex) -> None:
    ln = ix.link_new
    cols = lp.add_vars("investment", "link_new", ln[["link", "period"]], ub=ln["max_new"])
    overnight = MUSD_PER_KUSD * ln["capex"].to_numpy(float)
    pairs, annuity = _pairs(ix, ln, cols)
    pairs["link"] = ln["link"].to_numpy()[pairs["build"].to_numpy()]
    _pay(lp, pairs, annuity, overnight)
    _capacity(lp, ix, "link", pairs, np.ones(len(pairs)))
    _register(lp, cols, ln, "link", "link", overnight, "capacity")
    _split_limit(lp, ix, ln, cols, "link")


def _split_limit(lp: LinearProgram, ix: ModelIndex, builds: pd.DataFrame, cols: np.ndarray,
                 kind: str) -> None:
    """A build limit per period (``max_new``) of a period split in parts (a scenario's
    ``split``: ``part_of``) holds on the parts together, as on the period unsplit:

        <kind>_new_split_max[x,T]: sum_{t part of T} new[x,t] <= max_t max_new[x,t]

    (T the period split; the larger of the parts' limits where a later change made them
    differ). Each part keeps its own limit too; a part alone needs no row."""
    if ix.periods["part_of"].isna().all():  # no period split: nothing to add
        return
    group = builds["period"].map(ix.periods.set_index("period")["part_of"])
    b = builds[[kind]].assign(T=group.to_numpy(), col=cols,
                              max_new=builds["max_new"].to_numpy(float)).dropna(subset=["T"])
    b = b[b.groupby([kind, "T"])["col"].transform("size") > 1]
    if b.empty:
        return
    lim = b.groupby([kind, "T"], sort=False)["max_new"].max().reset_index()
    rows = lp.add_rows("investment", f"{kind}_new_split_max",
                       lim[[kind, "T"]].rename(columns={"T": "period"}),
                       ub=lim["max_new"].to_numpy(float))
    at = b.merge(lim[[kind, "T"]].assign(_row=rows), on=[kind, "T"])
    lp.add_terms(at["_row"].to_numpy(), at["col"].to_numpy(), 1.0)


def _life_extensions(lp: LinearProgram, ix: ModelIndex) -> None:
    """``life_extension[u] in [0, c_u,t(f)]`` (x): the unit kept for its extension years
    from its retire year f. Per use period t it adds ``avail_u * x * k_t *
    usable_share_t`` to the unit's capacity row and costs ``fom_u * x * k_t * pv_t``
    (fixed O&M of what stands) and ``K * A * pv_t`` with ``K = capex * x``, k_t from
    :func:`_kept`."""
    le = ix.life_ext
    if le.empty:
        return
    cols = lp.add_vars("investment", "life_extension", le[["unit"]], ub=le["capacity"])
    overnight = MUSD_PER_KUSD * le["capex"].to_numpy(float)
    pairs, annuity = _pairs(ix, le, cols)
    b = pairs["build"].to_numpy()
    pairs["unit"] = le["unit"].to_numpy()[b]
    kept = _kept(ix, pairs)
    _pay(lp, pairs, annuity, overnight,
         MUSD_PER_KUSD * le["fixed_om"].to_numpy(float)[b] * kept)
    _capacity(lp, ix, "unit", pairs, _unit_in_use_period(ix, pairs, "availability") * kept)
    _register(lp, cols, le.assign(period=""), "extension", "unit", overnight, "capacity")


def rising_curve_builds(ix: ModelIndex, investments: pd.DataFrame | None,
                        limit: int = 3) -> list[str]:
    """One warning per unit whose capex curve rises somewhere (a segment dearer per unit
    than one before it) and which the plan builds in more than one period: each
    period's build starts the curve from 0 (``segment[u,t,s]``), so each buys the
    cheaper segments again; a curve meant as the unit's cumulative cost (a cheap
    debottleneck, then a new train) then prices the later builds too low. The first
    ``limit`` named, then how many more."""
    seg = ix.segments
    if seg.empty or investments is None or investments.empty:
        return []
    cheapest = seg.groupby("unit", sort=False)["capex"].cummin()
    rises = seg.assign(rise=seg["capex"].to_numpy() > cheapest.to_numpy() + 1e-9)
    rising = set(rises.loc[rises["rise"], "unit"])
    built = investments[(investments["kind"] == "unit") & investments["name"].isin(rising)
                        & (investments["amount"].astype(float) > 1e-6)]
    many = built.groupby("name", sort=True)["period"].nunique()
    many = many[many > 1].index
    found = []
    for u in many[:limit]:
        b = built[built["name"] == u]
        s = seg[seg["unit"] == u]
        first = s.iloc[0]
        periods = list(dict.fromkeys(b["period"].astype(str)))
        told = ", ".join(periods[:-1]) + f" and {periods[-1]}"
        cheap = (f"its first {first['size']:g} k units/yr at {first['capex']:g} USD per "
                 f"unit/yr, up to {s['capex'].max():g} after")
        sizes = ", ".join(f"{a:g}{' k units/yr' if i == 0 else ''} in {p}"
                          for i, (a, p) in enumerate(zip(b["amount"].astype(float),
                                                         b["period"], strict=True)))
        found.append(
            f"unit {u} is built in {told} on a capex curve that rises ({cheap}): each "
            "period's build starts the curve from 0, so each buys its cheaper segments "
            f"again ({sizes}); if the curve is the "
            "unit's cumulative cost (a debottleneck, then a new train), the later builds "
            "are priced too low (README, Cost curves and lumpy investment). To price them "
            "on the rest of the curve, let the unit be built in one period "
            "(units_by_period.csv, max_new_k_per_yr 0 in the others) or make the new "
            "train a unit of its own, and compare")
    if len(many) > limit:
        found.append(f"and {len(many) - limit} more units built in several periods on a "
                     "rising capex curve")
    return found


def lumpy_builds(ix: ModelIndex, un: pd.DataFrame) -> pd.DataFrame:
    """What makes each expansion candidate (rows of ``un``, a slice of ``ix.unit_new``)
    lumpy, row for row: unit, ``fixed`` (MUSD per build: ``build_fixed_musd`` plus its
    capex curve's cost at size 0), ``min_new`` (its minimum size; 0: none), ``falls``
    (its capex curve's unit cost falls somewhere: economies of scale) and ``binary``
    (fixed > 0 or min_new > 0 or falls): the build needs the binary build decision
    ``unit_build``; only ``falls`` adds ordering binaries per segment (:func:`_lumpy`).
    """
    segs = ix.segments
    falling = set(segs.loc[~segs["convex"].to_numpy(bool), "unit"])
    fixed_of = ix.curve_fixed.groupby("unit")["fixed"].sum()
    fixed = (un["build_fixed"].to_numpy(float)
             + un["unit"].map(fixed_of).fillna(0.0).to_numpy(float))
    min_new = un["min_new"].to_numpy(float)
    falls = un["unit"].isin(falling).to_numpy()
    return pd.DataFrame({"unit": un["unit"].to_numpy(), "fixed": fixed, "min_new": min_new,
                         "falls": falls, "binary": (fixed > 0) | (min_new > 0) | falls})


def _lumpy(lp: LinearProgram, ix: ModelIndex, un: pd.DataFrame, cols: np.ndarray,
           pairs: pd.DataFrame, annuity: np.ndarray) -> None:
    """Build decisions with a cost curve or that are lumpy: capex segments, minimum
    sizes, fixed charges.

    With segments s = 1..S of unit u (sizes d_s, capex c_s per unit: from
    ``capex_segments.csv``, or from the breakpoints of ``capex_curve.csv``),
    ``investment.segment[u,t,s] in [0, d_s]`` (z_s) carry the capex instead of the
    unit's linear capex:

        segment_sum[u,t]: new - sum_s z_s = 0

    If c_s never falls (a **convex** curve: marginal cost non-decreasing), the LP fills
    the cheapest segments first by itself and nothing more is needed: no binary.

    A minimum size, a fixed charge (``build_fixed_musd`` plus a curve's cost at size 0)
    or a curve whose unit cost falls (economies of scale) needs the binary build
    decision ``investment.unit_build[u,t]`` (y), one per build:

        unit_new_max[u,t]: new - max_new * y <= 0       unit_new_min[u,t]: new - min_new * y >= 0

    and the fixed charge is paid on y like any overnight cost (its annuities in the
    years the build is alive). With a convex curve that is all (y = 0 forces every z_s
    to 0 through ``new``). Only a curve whose unit cost falls adds, per segment s >= 2,
    the incremental formulation of a concave cost:

        segment_open[u,t,s]: z_s - d_s * y_s <= 0   (y_1 = y; y_s binary for s >= 2)
        segment_full[u,t,s]: z_(s-1) - d_(s-1) * y_s >= 0   (fill in order)

    Every segment registers its overnight cost (``lp.add_builds``) and pays its
    annuities by the one vintage rule, like the unit's linear capex.
    """
    if un.empty:  # (no expansion candidate: nothing to decide)
        return
    segs = ix.segments
    why = lumpy_builds(ix, un)
    fixed_all = why["fixed"].to_numpy()
    lumpy = why["binary"].to_numpy()
    y_of = np.full(len(un), -1, dtype=np.int64)
    if lumpy.any():
        where = np.flatnonzero(lumpy)
        lk = un[lumpy].reset_index(drop=True)
        new = cols[lumpy]
        keys = lk[["unit", "period"]]
        y = lp.add_vars("investment", "unit_build", keys, ub=1.0, integer=True)
        y_of[where] = y
        rows = lp.add_rows("investment", "unit_new_max", keys, ub=0.0)
        lp.add_terms(np.r_[rows, rows], np.r_[new, y], np.r_[np.ones(len(y)), -lk["max_new"]])
        has_min = (lk["min_new"] > 0).to_numpy()
        rows = lp.add_rows("investment", "unit_new_min", keys[has_min], lb=0.0)
        lp.add_terms(np.r_[rows, rows], np.r_[new[has_min], y[has_min]],
                     np.r_[np.ones(len(rows)), -lk["min_new"].to_numpy()[has_min]])
        # the same vintage pairs as the unit's expansion column, on the binary's column
        col_of = dict(zip(new.tolist(), y.tolist(), strict=True))
        py = pairs[pairs["col"].isin(col_of)].copy()
        py["col"] = py["col"].map(col_of)
        fixed = np.where(lumpy, fixed_all, 0.0)
        _pay(lp, py, annuity, fixed)
        _register(lp, y, lk, "unit", "unit", fixed_all[where], "fixed_charge")
    if segs.empty:  # no cost curve
        return
    seg = un[["unit", "period"]].assign(_new=cols, _y=y_of, _b=np.arange(len(un))).merge(
        segs, on="unit")
    if seg.empty:
        return
    z = lp.add_vars("investment", "segment", seg[["unit", "period", "segment"]],
                    ub=seg["size"].to_numpy())
    # segment z of build b pays K_s * A_b * pv over b's pairs
    ps = seg[["_b"]].assign(col=z, _k=MUSD_PER_KUSD * seg["capex"].to_numpy(float)).merge(
        pairs.drop(columns="col"), left_on="_b", right_on="build")
    lp.add_objective(ps["col"], -ps["_k"].to_numpy() * annuity[ps["build"].to_numpy()]
                     * ps["pv"].to_numpy(), "capex", ps["pos"])
    sb = un.iloc[seg["_b"].to_numpy()]
    _register(lp, z, sb, "unit", "unit", MUSD_PER_KUSD * seg["capex"].to_numpy(float),
              "segment")
    pairs_ut = seg[["unit", "period", "_new"]].drop_duplicates(["unit", "period"])
    sums = lp.add_rows("investment", "segment_sum", pairs_ut[["unit", "period"]], lb=0.0,
                       ub=0.0)
    m = seg[["unit", "period"]].merge(pairs_ut[["unit", "period"]].assign(_row=sums),
                                      on=["unit", "period"])
    lp.add_terms(sums, pairs_ut["_new"].to_numpy(), 1.0)
    lp.add_terms(m["_row"].to_numpy(), z, -1.0)

    # ordering binaries only where the unit cost falls somewhere along the curve
    cc = ~seg["convex"].to_numpy(bool)
    if not cc.any():
        return
    sc = seg[cc].reset_index(drop=True)
    zc = z[cc]
    first = (sc.groupby(["unit", "period"]).cumcount() == 0).to_numpy()
    ys = sc["_y"].to_numpy().copy()
    later = ~first
    if later.any():
        ys[later] = lp.add_vars("investment", "segment_open_flag",
                                sc.loc[later, ["unit", "period", "segment"]], ub=1.0,
                                integer=True)
    rows = lp.add_rows("investment", "segment_open", sc[["unit", "period", "segment"]], ub=0.0)
    lp.add_terms(np.r_[rows, rows], np.r_[zc, ys], np.r_[np.ones(len(zc)), -sc["size"]])
    if later.any():
        idx = np.flatnonzero(later)
        rows = lp.add_rows("investment", "segment_full",
                           sc.loc[later, ["unit", "period", "segment"]], lb=0.0)
        lp.add_terms(np.r_[rows, rows], np.r_[zc[idx - 1], ys[idx]],
                     np.r_[np.ones(len(idx)), -sc["size"].to_numpy()[idx - 1]])


def _projects(lp: LinearProgram, ix: ModelIndex) -> None:
    pb = ix.project_build
    if pb.empty:
        return
    pj = ix.projects.set_index("project")
    builds = pb.merge(ix.projects[["project", "lifetime", "lead", "ramp", "capex_musd"]],
                      on="project")
    forced = pb["project"].map(pj["state"]).eq("forced").to_numpy()
    aon = pb["project"].map(pj["all_or_nothing"]).to_numpy(dtype=bool)
    cols = np.empty(len(pb), dtype=np.int64)
    if (~aon).any():
        cols[~aon] = lp.add_vars("investment", "project_share", pb.loc[~aon, ["project",
                                                                             "period"]],
                                 lb=forced[~aon], ub=1.0)
    if aon.any():
        cols[aon] = lp.add_vars("investment", "project_build", pb.loc[aon, ["project",
                                                                           "period"]],
                                lb=forced[aon], ub=1.0, integer=True)
    overnight = builds["capex_musd"].to_numpy(float)
    pairs, annuity = _pairs(ix, builds, cols)
    pairs["project"] = pb["project"].to_numpy()[pairs["build"].to_numpy()]
    _pay(lp, pairs, annuity, overnight)
    _register(lp, cols, builds, "project", "project", overnight, "capacity")
    _project_units(lp, ix, pairs)
    _project_links(lp, ix, pairs)
    _retirements(lp, ix, pb.assign(col=cols))
    _extension_exclusion(lp, ix, pb.assign(col=cols))
    _once_and_precedence(lp, ix, pb.assign(col=cols))


def _project_units(lp: LinearProgram, ix: ModelIndex, pairs: pd.DataFrame) -> None:
    """Capacity a project's units bring (with its ramp-up) and their fixed O&M."""
    uc = ix.unit_cap[ix.unit_cap["project"] != ""]
    brings = pairs.merge(uc.rename(columns={"period": "use_period"}),
                         on=["project", "use_period"])
    if brings.empty:
        return
    _capacity(lp, ix, "unit", brings, (brings["availability"] * brings["capacity"]).to_numpy())
    lp.add_objective(brings["col"], -MUSD_PER_KUSD * brings["fixed_om"].to_numpy(float)
                     * brings["capacity"].to_numpy(float) * brings["pv"].to_numpy(),
                     "fixed_om", brings["pos"])


def _project_links(lp: LinearProgram, ix: ModelIndex, pairs: pd.DataFrame) -> None:
    lk = ix.link_cap[ix.link_cap["project"] != ""]
    links = pairs.merge(lk.rename(columns={"period": "use_period"}),
                        on=["project", "use_period"])
    if len(links):
        _capacity(lp, ix, "link", links, links["capacity"].to_numpy(float))


def _retirements(lp: LinearProgram, ix: ModelIndex, pb: pd.DataFrame) -> None:
    """Units a project retires lose capacity and fixed O&M from the project's first use.

    The retired span of unit u by a build of project j runs from f_j to u's own retire
    year (or the horizon end); by the vintage rule it has, in each period t, a share
    ``s_t`` and discounted years ``pv_t``: the capacity row gets ``+avail * cap * s_t``
    on the project's column and the objective ``+fom * cap * pv_t`` (fixed O&M saved).
    """
    if ix.retire.empty:
        return
    r = pb.merge(ix.retire, on="project")
    units = ix.unit_cap.drop_duplicates("unit").set_index("unit")
    retire_year = r["unit"].map(units["retire_year"]).astype(float)
    _retire_once(lp, ix, r, retire_year)
    stop = retire_year.fillna(ix.disc.end_year)
    span = r.assign(lifetime=np.maximum(stop.to_numpy() - r["first_use"].to_numpy(float), 0.0),
                    lead=0.0, ramp="")
    pairs, _ = _pairs(ix, span, r["col"].to_numpy())
    pairs["unit"] = r["unit"].to_numpy()[pairs["build"].to_numpy()]
    old = ix.unit_cap.rename(columns={"period": "use_period"})[
        ["unit", "use_period", "capacity", "availability", "fixed_om"]]
    pairs = pairs.merge(old, on=["unit", "use_period"])
    if pairs.empty:
        return
    cap = pairs["capacity"].to_numpy(float)
    _capacity(lp, ix, "unit", pairs, -pairs["availability"].to_numpy(float) * cap)
    lp.add_objective(pairs["col"], MUSD_PER_KUSD * pairs["fixed_om"].to_numpy(float) * cap
                     * pairs["pv"].to_numpy(), "fixed_om", pairs["pos"])


def _retire_once(lp: LinearProgram, ix: ModelIndex, r: pd.DataFrame,
                 retire_year: pd.Series) -> None:
    """A unit is retired at most once: its retired share never exceeds 1.

        retire_once[u]:  sum_{(j,t) in R_u} b[j,t] <= 1

    with R_u the builds of projects retiring u that retire some of it in the horizon
    (:func:`chainopt.case.index.retires_in_horizon`). Their retired spans all run to the
    same end (u's retire year or the horizon's), so in its last year the retired share is
    the sum over R_u: without the row two projects retiring u took its capacity (and
    saved its fixed O&M) twice, and the unit's own expansion could pay for the phantom.
    Only units retired by two or more projects need the row (``build_once`` bounds one
    project's builds).
    """
    live = r[retires_in_horizon(r["first_use"], retire_year, ix.disc.end_year)]
    many = live.groupby("unit")["project"].nunique()
    many = many[many > 1].index
    if not len(many):
        return
    rows = lp.add_rows("investment", "retire_once", pd.DataFrame({"unit": many}), ub=1.0)
    row_of = dict(zip(many, rows, strict=True))
    sel = live[live["unit"].isin(many)]
    lp.add_terms(sel["unit"].map(row_of).to_numpy(), sel["col"].to_numpy(), 1.0)


def _extension_exclusion(lp: LinearProgram, ix: ModelIndex, pb: pd.DataFrame) -> None:
    """A project build that retires unit u while u's life extension would still run
    excludes the extension (an extension is not cut short):

        extension_max[u]: life_extension[u] + c_u * sum_{(j,t) in B_u} b[j,t] <= c_u

    with c_u the extension's size limit and B_u the builds of projects retiring u whose
    first year of use f_jt comes before the extension's end, ``f_jt < f_u + n_u`` (first
    year f_u = u's retire year, n_u extension years). A build used from the extension's
    end on retires nothing that is left and leaves the extension open.
    """
    ext = ix.life_ext
    if ext.empty or ix.retire.empty:
        return
    ends = dict(zip(ext["unit"], ext["first_use"] + ext["lifetime"], strict=True))
    ret = pb.merge(ix.retire, on="project")
    ret = ret[ret["unit"].isin(ends)]
    ret = ret[ret["first_use"].to_numpy(float) < ret["unit"].map(ends).to_numpy(float)]
    if ret.empty:
        return
    fam = lp.family("investment.life_extension")
    units = ext[ext["unit"].isin(set(ret["unit"]))].reset_index()
    rows = lp.add_rows("investment", "extension_max", units[["unit"]],
                       ub=units["capacity"].to_numpy(float))
    row_of = dict(zip(units["unit"], rows, strict=True))
    lp.add_terms(rows, fam.start + units["index"].to_numpy(), 1.0)
    cap_of = dict(zip(units["unit"], units["capacity"], strict=True))
    lp.add_terms(ret["unit"].map(row_of).to_numpy(), ret["col"].to_numpy(),
                 ret["unit"].map(cap_of).to_numpy(float))


def _once_and_precedence(lp: LinearProgram, ix: ModelIndex, pb: pd.DataFrame) -> None:
    counts = pb.groupby("project").size()
    multi = counts[counts > 1].index
    if len(multi):
        rows = lp.add_rows("investment", "build_once", pd.DataFrame({"project": multi}),
                           ub=1.0)
        row_of = dict(zip(multi, rows, strict=True))
        sel = pb["project"].isin(multi).to_numpy()
        lp.add_terms(pb["project"][sel].map(row_of).to_numpy(), pb["col"].to_numpy()[sel], 1.0)
    prec = ix.precedence
    if prec.empty:
        return
    pos = dict(zip(ix.periods["period"], ix.periods["pos"], strict=True))
    cand = pb.assign(pos=pb["period"].map(pos))
    req = prec[prec["kind"] == "requires"]
    if len(req):
        # one row per (j, k, t) over the periods in which j may start
        keys = req[["project", "other"]].merge(cand[["project", "period", "pos"]],
                                               on="project").reset_index(drop=True)
        rows = lp.add_rows("investment", "requires", keys[["project", "other", "period"]],
                           ub=0.0)
        keys = keys.assign(_row=rows)
        mine = keys.merge(cand[["project", "pos", "col"]].rename(columns={"pos": "_p"}),
                          on="project")
        mine = mine[mine["_p"] <= mine["pos"]]
        lp.add_terms(mine["_row"].to_numpy(), mine["col"].to_numpy(), 1.0)
        theirs = keys.merge(cand[["project", "pos", "col"]].rename(
            columns={"project": "other", "pos": "_p"}), on="other")
        theirs = theirs[theirs["_p"] <= theirs["pos"]]
        lp.add_terms(theirs["_row"].to_numpy(), theirs["col"].to_numpy(), -1.0)
    exc = prec[prec["kind"] == "excludes"]
    if len(exc):
        a = np.minimum(exc["project"].to_numpy(dtype=object), exc["other"].to_numpy(dtype=object))
        b = np.maximum(exc["project"].to_numpy(dtype=object), exc["other"].to_numpy(dtype=object))
        keys = pd.DataFrame({"project": a, "other": b}).drop_duplicates().reset_index(drop=True)
        rows = lp.add_rows("investment", "excludes", keys, ub=1.0)
        for side in ("project", "other"):
            t = keys.assign(_row=rows).merge(cand[["project", "col"]].rename(
                columns={"project": side}), on=side)
            lp.add_terms(t["_row"].to_numpy(), t["col"].to_numpy(), 1.0)


_NEW: dict[str, Any] = dict(value_unit="USD per unit (NPV)", results="capacity")
_LUMPY: dict[str, Any] = dict(value_unit="USD per unit (NPV)", results="kpis",
                              technical=True)
# a project's build decision: a share (divisible projects) or binary (all or nothing)
PROJECT_SHARE, PROJECT_BUILD = (
    Var("investment", name, dims=("project", "period"),
        noun="project {project}",
        categories=("capex", "fixed_om"), value_unit="MUSD (NPV)",
        results="projects", reduced_cost=True,
        bound=Bound("lower", "forced project", "forced project {project}",
                    source=("projects", "state")))
    for name in ("project_share", "project_build"))
# a unit's expansion limit: new capacity <= max_new x its build decision (a MIP's row)
UNIT_NEW_MAX = Row("investment", "unit_new_max", dims=("unit", "period"), sense="<=",
                   noun="expansion limit of unit {unit}", results="capacity",
                   value_unit="USD per unit (NPV)")
SPEC = FamilySpec(
    "investment", inputs="units.csv / links.csv / projects.csv (capex, sizes)",
    variables=(
        Var("investment", "unit_new", dims=("unit", "period"),
            noun="new capacity of unit {unit}",
            categories=("capex", "fixed_om"), reduced_cost=True,
            bound=Bound("upper", "expansion limit", "expansion limit of unit {unit}",
                        ranging=True, source=("units", "max_new_k_per_yr")),
            missing_bound="units.csv gives no max_new_k_per_yr for unit {unit}", **_NEW),
        Var("investment", "link_new", dims=("link", "period"),
            noun="new capacity of link {link}",
            categories=("capex",), reduced_cost=True,
            bound=Bound("upper", "expansion limit", "expansion limit of link {link}",
                        ranging=True, source=("links", "max_new_k_per_yr")),
            missing_bound="links.csv gives no max_new_k_per_yr for link {link}", **_NEW),
        Var("investment", "unit_build", dims=("unit", "period"),
            noun="build decision of unit {unit}",
            categories=("capex",), **_LUMPY),
        Var("investment", "segment", dims=("unit", "period", "segment"),
            noun="capex segment {segment} of unit {unit}", categories=("capex",), **_LUMPY),
        Var("investment", "segment_open_flag", dims=("unit", "period", "segment"),
            noun="capex segment {segment} of unit {unit} in use", categories=(), **_LUMPY),
        PROJECT_SHARE, PROJECT_BUILD,
        Var("investment", "life_extension", dims=("unit",),
            noun="life extension of unit {unit}", categories=("capex", "fixed_om"),
            value_unit="USD per unit (NPV)", results="investments",
            reduced_cost=True,
            bound=Bound("upper", "extension limit", "life extension limit of unit {unit}")),
    ),
    rows=(
        Row("investment", "build_once", dims=("project",),
            sense="<=", noun="project {project} can be built once",
            results="projects", value_unit="MUSD (NPV)"),
        Row("investment", "requires", dims=("project", "other", "period"),
            sense="<=",
            noun="project {project} requires project {other}",
            results="projects", value_unit="MUSD (NPV)"),
        Row("investment", "excludes", dims=("project", "other"),
            sense="<=", noun="projects {project} and {other} exclude each other",
            results="projects", value_unit="MUSD (NPV)"),
        Row("investment", "extension_max", dims=("unit",),
            sense="<=",
            noun="life extension of unit {unit} or a project that retires it",
            results="investments", value_unit="USD per unit (NPV)"),
        Row("investment", "retire_once", dims=("unit",),
            sense="<=", noun="unit {unit} can be retired once",
            results="projects", value_unit="MUSD (NPV)"),
        UNIT_NEW_MAX,
        *(Row("investment", f"{kind}_new_split_max", dims=(kind, "period"),
              sense="<=",
              noun=f"expansion limit of {kind} {{{kind}}} in period {{period}}, split: its "
                   "parts together", results="capacity",
              value_unit="USD per unit (NPV)") for kind in ("unit", "link")),
        Row("investment", "unit_new_min", dims=("unit", "period"),
            sense=">=",
            noun="minimum build size of unit {unit}", results="capacity",
            value_unit="USD per unit (NPV)"),
        Row("investment", "segment_sum", dims=("unit", "period"),
            sense="=",
            noun="capex segments of unit {unit}", **_LUMPY),
        Row("investment", "segment_open", dims=("unit", "period", "segment"),
            sense="<=",
            noun="capex segment {segment} of unit {unit} is open", **_LUMPY),
        Row("investment", "segment_full", dims=("unit", "period", "segment"),
            sense=">=",
            noun="capex segments of unit {unit} fill in order", **_LUMPY),
    ),
)
