"""chainopt's LP of a generated case, rebuilt without chainopt: by linopy and by raw numpy.

``benchmarks/pair.py`` compares chainopt's load + build with these two. Both start
from the same CSV files chainopt reads (``benchmarks/generate.py`` writes them) and
share one pandas/numpy preparation (:func:`prepare`: read the CSVs, cross the tables
with the periods, discount, number the rows); they differ only in how the LP is then
made and handed to HiGHS:

* :func:`build_linopy`: a linopy model (one variable per family over a flat index,
  rows as ``groupby(...).sum()`` of linopy expressions), handed over with
  ``Model.to_highspy()``;
* :func:`build_numpy`: COO triplets -> ``scipy.sparse`` CSR -> ``highspy.HighsLp``
  -> ``Highs.passModel`` (the floor: no modelling layer at all).

The LP (chainopt's families, as far as a generated case uses them; see
``chainopt/models/``), maximised, money in MUSD discounted to the base year
(``w_t`` = sum of the discount factors of period t's years, cash flows at the start
of each year), quantities in k units/yr:

    variables  activity[u,m,t] >= 0   (every unit u, every mode m of its process)
               flow[l,c,t] >= 0       (every link l, every commodity c it carries)
               purchase[s,c,t] in [0, max]    sales[s,c,t] in [0, max]
               shortfall[s,c,t] >= 0  (markets with a positive demand floor)
               unit_new[u,t] in [0, max_new]  link_new[l,t] in [0, max_new]
    balance[s,c,t]   purchases + mode outputs - mode inputs + (1 - loss) inflows
                     - outflows - sales = 0        (non-emission commodities)
    unit_cap[u,t]    sum_m use_m activity - avail_u sum_{builds alive in t} share unit_new
                     <= avail_u cap_ut
    link_cap[l,t]    sum_c flow - sum_{builds alive in t} share link_new <= cap_lt
                     (links with a capacity or an expansion option)
    demand_min[s,c,t]  sales + shortfall >= min_sct
    objective  w_t/1000 (price sales - cost purchase - variable cost activity
               - carbon price * co2 per unit * activity - cost flow - penalty shortfall)
               - annuities and fixed O&M of new capacity over its alive years in the
               horizon (annuity A = d(first year) / sum of d over the build's life)
               - fixed O&M of existing capacity (a constant, ``offset``)

Anything a generated case does not use (projects, tiers, retire years, lead times,
ramp-ups, blending, hard demand, emission caps, site carbon prices...) is refused
by :func:`prepare` (``NotImplementedError``), so that it never silently builds
another LP than chainopt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

MUSD_PER_KUSD = 1e-3
SHIFT = {"start": 0.0, "mid": 0.5, "end": 1.0}
# columns (and files) a generated case never has; prepare() refuses them
UNSUPPORTED_COLUMNS = {
    "units": ("retire_year", "lead_time_yr", "ramp_up", "min_new_k_per_yr", "build_fixed_musd",
              "life_extension_yr", "project", "stated_currency"),
    "links": ("lead_time_yr", "ramp_up", "project", "emission_commodity", "stated_unit",
              "stated_currency"),
    "supplies": ("tier", "stated_unit", "stated_currency"),
    "markets": ("tier", "stated_unit", "stated_currency"),
    "mode_flows": ("stated_unit",),
    "policies": ("cap_k_per_yr",),
    "commodities": ("disposal",),
}
UNSUPPORTED_FILES = ("projects", "blends", "specs", "qualities", "demand", "constraints",
                     "constraint_terms", "capex_segments", "capex_curve", "fx_rates",
                     "modes_by_period", "supplies_by_period", "links_by_period")


@dataclass
class Family:
    """Columns of one variable family: bounds and objective coefficients."""

    n: int
    ub: np.ndarray
    cost: np.ndarray


@dataclass
class Prepared:
    """The LP of a case as index arrays (every id is a position in its family)."""

    cols: dict[str, Family]
    n_balance: int
    n_unit_cap: int
    n_link_cap: int
    unit_cap_ub: np.ndarray
    link_cap_ub: np.ndarray
    demand_min: np.ndarray  # floor of each shortfall column's row
    # balance terms, by family: (column ids, balance row ids, coefficients)
    balance: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    act_unit_cap: np.ndarray  # unit_cap row of each activity column
    act_use: np.ndarray  # capacity use of each activity column
    flow_link_cap: np.ndarray  # link_cap row of each flow column (-1: none)
    unew_pairs: tuple[np.ndarray, np.ndarray, np.ndarray]  # (unit_new col, unit_cap row, coef)
    lnew_pairs: tuple[np.ndarray, np.ndarray, np.ndarray]  # (link_new col, link_cap row, coef)
    short_sales: np.ndarray  # the sales column of each shortfall column
    offset: float
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def num_cols(self) -> int:
        return sum(f.n for f in self.cols.values())

    @property
    def num_rows(self) -> int:
        return self.n_balance + self.n_unit_cap + self.n_link_cap + len(self.demand_min)


def _read(folder: Path, name: str, required: bool = True) -> pd.DataFrame | None:
    path = folder / f"{name}.csv"
    if not path.is_file():
        if required:
            raise FileNotFoundError(path)
        return None
    return pd.read_csv(path)


def _override(base: pd.DataFrame, by_period: pd.DataFrame | None, key: list[str],
              periods: list[str], columns: list[str]) -> pd.DataFrame:
    """``base`` crossed with the periods (row-major: each row's periods together); each
    of ``columns`` overridden by ``by_period`` where it gives a value."""
    n, T = len(base), len(periods)
    out = base.loc[base.index.repeat(T)].reset_index(drop=True)
    out["period"] = np.tile(np.asarray(periods, dtype=object), n)
    out["pos"] = np.tile(np.arange(T), n)
    if by_period is not None and len(by_period):
        cols = [c for c in columns if c in by_period.columns]
        ov = by_period[[*key, "period", *cols]]
        out = out.merge(ov, on=[*key, "period"], how="left", suffixes=("", "_ov"), sort=False)
        for c in cols:
            out[c] = out[c + "_ov"].where(out[c + "_ov"].notna(), out[c])
        out = out.drop(columns=[c + "_ov" for c in cols])
    return out


def prepare(folder: str | Path) -> Prepared:
    """Read a generated case folder and number its LP (see the module docstring)."""
    t0 = time.perf_counter()
    folder = Path(folder)
    meta = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    for name in UNSUPPORTED_FILES:
        if (folder / f"{name}.csv").is_file():
            raise NotImplementedError(f"{name}.csv is not mirrored")
    if meta.get("demand_floors", "soft") != "soft" or meta.get("objective", "value") != "value":
        raise NotImplementedError("only soft demand floors and a value objective are mirrored")
    if any(p.get("weight") is not None for p in meta["periods"]):
        raise NotImplementedError("explicit period weights are not mirrored")
    periods = [str(p["period"]) for p in meta["periods"]]
    starts = np.array([p["start_year"] for p in meta["periods"]], dtype=float)
    lengths = np.array([p["length_yr"] for p in meta["periods"]], dtype=float)
    T = len(periods)
    g = 1.0 + float(meta["discount_rate"])
    shift = SHIFT[meta.get("cash_flow_timing", "start")]
    base_year = float(meta["base_year"])

    def d(y):  # discount factor of year y
        return g ** -(np.asarray(y, dtype=float) - base_year + shift)

    def pv(lo, hi):  # sum of d(y) over lo <= y < hi
        n = np.maximum(np.asarray(hi, float) - np.asarray(lo, float), 0.0)
        v = 1.0 / g
        return d(lo) * (1.0 - v**n) / (1.0 - v) if g != 1.0 else n * d(lo)

    w = pv(starts, starts + lengths)
    penalty = float(meta.get("shortfall_penalty_usd_per_unit", 10_000.0))

    t = {n: _read(folder, n) for n in ("commodities", "modes", "mode_flows", "units",
                                       "supplies", "markets", "links", "policies")}
    t_bp = {n: _read(folder, f"{n}_by_period", required=False)
            for n in ("units", "markets", "policies")}
    for name, cols in UNSUPPORTED_COLUMNS.items():
        bad = [c for c in cols if c in t[name].columns and t[name][c].notna().any()]
        if bad:
            raise NotImplementedError(f"{name}.csv columns {bad} are not mirrored")

    emission = set(t["commodities"].loc[t["commodities"]["kind"] == "emission", "commodity"])
    sites = pd.Index(sorted(set(t["units"]["site"]) | set(t["supplies"]["site"])
                            | set(t["markets"]["site"]) | set(t["links"]["from_site"])
                            | set(t["links"]["to_site"])))
    coms = pd.Index(sorted(t["commodities"]["commodity"]))
    C = len(coms)

    def bkey(site, com, pos) -> np.ndarray:  # one int64 per (site, commodity, period)
        s = sites.get_indexer(pd.Series(site, dtype=object)).astype(np.int64)
        c = coms.get_indexer(pd.Series(com, dtype=object)).astype(np.int64)
        return (s * C + c) * T + np.asarray(pos, dtype=np.int64)

    # ---- purchases
    sup = _override(t["supplies"], None, ["site", "commodity"], periods, [])
    sup_ub = sup["max_k_per_yr"].to_numpy(float)
    purchase = Family(len(sup), np.where(np.isnan(sup_ub), np.inf, sup_ub),
                      -MUSD_PER_KUSD * sup["cost_usd_per_unit"].to_numpy(float)
                      * w[sup["pos"].to_numpy()])
    k_pur = bkey(sup["site"], sup["commodity"], sup["pos"])

    # ---- activity (unit x mode of its process x period)
    units = t["units"]
    ucap = _override(units, t_bp["units"], ["unit"], periods, ["capacity_k_per_yr"])
    modes = t["modes"]
    act = units[["unit", "site", "process"]].reset_index(names="_u").merge(
        modes[["mode", "process", "variable_cost_usd_per_unit", "capacity_use"]], on="process",
        sort=False)
    act = act.sort_values(["_u", "mode"], kind="stable").reset_index(drop=True)
    na = len(act)
    a_u = np.repeat(act["_u"].to_numpy(), T)
    a_pos = np.tile(np.arange(T), na)
    a_mode = np.repeat(np.arange(na), T)  # row of ``act`` of each column
    mf = t["mode_flows"]
    coef = np.where(mf["direction"] == "out", 1.0, -1.0) * mf["amount_per_unit"].to_numpy(float)
    mf = mf.assign(coef=coef)
    em = mf[mf["commodity"].isin(emission)]
    mf = mf[~mf["commodity"].isin(emission)]
    # carbon price by period (chain-wide policies only)
    pol = t["policies"]
    if pol["site"].notna().any() and (pol["site"].astype(str) != "").any():
        raise NotImplementedError("site carbon prices are not mirrored")
    pol_t = _override(pol.assign(site=""), None if t_bp["policies"] is None else
                      t_bp["policies"].assign(site=""), ["commodity", "site"], periods,
                      ["carbon_price_usd_per_unit"])
    price = pol_t.pivot_table(index="commodity", columns="pos",
                              values="carbon_price_usd_per_unit", aggfunc="sum")
    em_mode = em.merge(price.reset_index(), on="commodity")
    carbon = np.zeros((len(modes), T))  # per mode and period: USD per activity unit
    mode_pos = pd.Index(modes["mode"]).get_indexer(em_mode["mode"])
    for p in range(T):
        np.add.at(carbon[:, p], mode_pos, em_mode["coef"].to_numpy(float)
                  * em_mode[p].to_numpy(float))
    act_mode = pd.Index(modes["mode"]).get_indexer(act["mode"])
    var_cost = act["variable_cost_usd_per_unit"].to_numpy(float)[a_mode]
    activity = Family(na * T, np.full(na * T, np.inf), -MUSD_PER_KUSD * w[a_pos] * (
        var_cost + carbon[act_mode[a_mode], a_pos]))
    # balance terms: every non-emission flow of the column's mode
    fl = act[["mode", "site"]].reset_index(names="_a").merge(mf[["mode", "commodity", "coef"]],
                                                             on="mode", sort=False)
    f_a = fl["_a"].to_numpy()
    col_act = (f_a[:, None] * T + np.arange(T)).ravel()
    pos_act = np.tile(np.arange(T), len(fl))
    k_act = bkey(np.repeat(fl["site"].to_numpy(), T), np.repeat(fl["commodity"].to_numpy(), T),
                 pos_act)
    c_act = np.repeat(fl["coef"].to_numpy(float), T)
    # capacity rows: one per (unit, period), unit-major like ucap
    act_unit_cap = a_u * T + a_pos
    act_use = act["capacity_use"].to_numpy(float)[a_mode]
    avail = ucap["availability"].to_numpy(float)
    unit_cap_ub = avail * ucap["capacity_k_per_yr"].to_numpy(float)

    # ---- flows (link x commodity carried x period)
    links = t["links"]
    carried = links["commodities"].astype(str).str.split(";").explode().str.strip()
    carried = carried[carried != ""]
    li = carried.index.to_numpy()
    nf = len(li)
    f_l = np.repeat(li, T)
    f_pos = np.tile(np.arange(T), nf)
    f_com = np.repeat(carried.to_numpy(), T)
    loss = links["loss_fraction"].fillna(0.0).to_numpy(float)[f_l]
    flow = Family(nf * T, np.full(nf * T, np.inf), -MUSD_PER_KUSD * w[f_pos]
                  * links["cost_usd_per_unit"].to_numpy(float)[f_l])
    k_from = bkey(links["from_site"].to_numpy()[f_l], f_com, f_pos)
    k_to = bkey(links["to_site"].to_numpy()[f_l], f_com, f_pos)
    lcap = links["capacity_k_per_yr"].to_numpy(float)
    lmax = links["max_new_k_per_yr"].fillna(0.0).to_numpy(float)
    has_row = ~np.isnan(lcap) | (lmax > 0)
    row_of_link = np.full(len(links), -1, dtype=np.int64)
    row_of_link[has_row] = np.arange(int(has_row.sum()))
    n_link_cap = int(has_row.sum()) * T
    link_cap_ub = np.repeat(np.nan_to_num(lcap[has_row], nan=0.0), T)
    flow_link_cap = np.where(row_of_link[f_l] >= 0, row_of_link[f_l] * T + f_pos, -1)

    # ---- sales and shortfalls
    mk = _override(t["markets"], t_bp["markets"], ["site", "commodity"], periods,
                   ["min_k_per_yr"])
    mk_ub = mk["max_k_per_yr"].to_numpy(float)
    s_pos = mk["pos"].to_numpy()
    sales = Family(len(mk), np.where(np.isnan(mk_ub), np.inf, mk_ub),
                   MUSD_PER_KUSD * mk["price_usd_per_unit"].to_numpy(float) * w[s_pos])
    k_sal = bkey(mk["site"], mk["commodity"], s_pos)
    floor = mk["min_k_per_yr"].fillna(0.0).to_numpy(float)
    short_sales = np.flatnonzero(floor > 0)
    shortfall = Family(len(short_sales), np.full(len(short_sales), np.inf),
                       -MUSD_PER_KUSD * penalty * w[s_pos[short_sales]])

    # ---- new capacity (the vintage rule of chainopt.case.vintage, lead 0, no ramp-up)
    def vintages(first: np.ndarray, life: np.ndarray):
        """Per build: annuity per unit overnight cost; per (build, period) alive pair:
        build, period, usable share and pv."""
        annuity = d(first) / pv(first, first + life)
        b = np.repeat(np.arange(len(first)), T)
        p = np.tile(np.arange(T), len(first))
        lo = np.maximum(first[b], starts[p])
        hi = np.minimum((first + life)[b], starts[p] + lengths[p])
        alive = np.maximum(hi - lo, 0.0)
        keep = alive > 0
        return annuity, b[keep], p[keep], (alive / lengths[p])[keep], pv(lo[keep], hi[keep])

    umax = ucap["max_new_k_per_yr"].fillna(0.0).to_numpy(float)
    un = np.flatnonzero(umax > 0)  # rows of ucap (unit-major, period-minor)
    u_first = starts[ucap["pos"].to_numpy()[un]]
    u_life = ucap["lifetime_yr"].to_numpy(float)[un]
    ann, b, p, share, pvs = vintages(u_first, u_life)
    capex = MUSD_PER_KUSD * ucap["capex_usd_per_unit_yr"].fillna(0.0).to_numpy(float)[un]
    fom = MUSD_PER_KUSD * ucap["fixed_om_usd_per_unit_yr"].fillna(0.0).to_numpy(float)[un]
    u_cost = -np.bincount(b, weights=(capex[b] * ann[b] + fom[b]) * pvs, minlength=len(un))
    unit_new = Family(len(un), umax[un], u_cost)
    u_of = un // T
    unew_pairs = (b, u_of[b] * T + p, -avail[un][b] * share)

    lk = np.flatnonzero(lmax > 0)
    ln_l = np.repeat(lk, T)
    ln_pos = np.tile(np.arange(T), len(lk))
    l_first = starts[ln_pos]
    l_life = links["lifetime_yr"].to_numpy(float)[ln_l]
    ann, b, p, share, pvs = vintages(l_first, l_life)
    lcapex = MUSD_PER_KUSD * links["capex_usd_per_unit_yr"].fillna(0.0).to_numpy(float)[ln_l]
    l_cost = -np.bincount(b, weights=lcapex[b] * ann[b] * pvs, minlength=len(ln_l))
    link_new = Family(len(ln_l), lmax[ln_l], l_cost)
    lnew_pairs = (b, row_of_link[ln_l][b] * T + p, -share)

    # ---- fixed O&M of existing capacity (a constant)
    offset = -MUSD_PER_KUSD * float(np.sum(
        ucap["fixed_om_usd_per_unit_yr"].fillna(0.0).to_numpy(float)
        * ucap["capacity_k_per_yr"].to_numpy(float) * w[ucap["pos"].to_numpy()]))

    # ---- balance rows: every (site, commodity, period) with a term
    keys = {"purchase": k_pur, "activity": k_act, "flow_from": k_from, "flow_to": k_to,
            "sales": k_sal}
    allk = np.concatenate(list(keys.values()))
    uniq, inv = np.unique(allk, return_inverse=True)
    cut = np.cumsum([0, *(len(k) for k in keys.values())])
    rid = {name: inv[cut[i]:cut[i + 1]] for i, name in enumerate(keys)}
    balance = {
        "purchase": (np.arange(purchase.n), rid["purchase"], np.ones(purchase.n)),
        "activity": (col_act, rid["activity"], c_act),
        "flow_from": (np.arange(flow.n), rid["flow_from"], -np.ones(flow.n)),
        "flow_to": (np.arange(flow.n), rid["flow_to"], 1.0 - loss),
        "sales": (np.arange(sales.n), rid["sales"], -np.ones(sales.n)),
    }
    prep = Prepared(
        cols={"purchase": purchase, "activity": activity, "flow": flow, "sales": sales,
              "shortfall": shortfall, "unit_new": unit_new, "link_new": link_new},
        n_balance=len(uniq), n_unit_cap=len(ucap), n_link_cap=n_link_cap,
        unit_cap_ub=unit_cap_ub, link_cap_ub=link_cap_ub, demand_min=floor[short_sales],
        balance=balance, act_unit_cap=act_unit_cap, act_use=act_use,
        flow_link_cap=flow_link_cap, unew_pairs=unew_pairs, lnew_pairs=lnew_pairs,
        short_sales=short_sales, offset=offset)
    prep.timings["prepare_s"] = time.perf_counter() - t0
    return prep


# --------------------------------------------------------------------------- raw numpy


def build_numpy(prep: Prepared):
    """COO triplets -> CSR -> ``highspy.HighsLp`` -> ``Highs.passModel``; the Highs."""
    import highspy
    import scipy.sparse as sp

    start = {}
    n = 0
    for name, fam in prep.cols.items():
        start[name] = n
        n += fam.n
    r0_ucap = prep.n_balance
    r0_lcap = r0_ucap + prep.n_unit_cap
    r0_dmin = r0_lcap + prep.n_link_cap
    rows, cols, vals = [], [], []

    def add(r, c, v):
        rows.append(np.asarray(r, dtype=np.int64))
        cols.append(np.asarray(c, dtype=np.int64))
        vals.append(np.broadcast_to(np.asarray(v, dtype=float), np.shape(r)))

    for name, (c, r, v) in prep.balance.items():
        fam = "flow" if name.startswith("flow") else name
        add(r, start[fam] + c, v)
    na = prep.cols["activity"].n
    add(r0_ucap + prep.act_unit_cap, start["activity"] + np.arange(na), prep.act_use)
    b, r, v = prep.unew_pairs
    add(r0_ucap + r, start["unit_new"] + b, v)
    has = np.flatnonzero(prep.flow_link_cap >= 0)
    add(r0_lcap + prep.flow_link_cap[has], start["flow"] + has, 1.0)
    b, r, v = prep.lnew_pairs
    add(r0_lcap + r, start["link_new"] + b, v)
    ns = len(prep.short_sales)
    add(r0_dmin + np.arange(ns), start["sales"] + prep.short_sales, 1.0)
    add(r0_dmin + np.arange(ns), start["shortfall"] + np.arange(ns), 1.0)
    m = prep.num_rows
    a = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(m, n))
    a.sum_duplicates()
    inf = highspy.kHighsInf
    row_lb = np.concatenate([np.zeros(prep.n_balance), np.full(prep.n_unit_cap, -inf),
                             np.full(prep.n_link_cap, -inf), prep.demand_min])
    row_ub = np.concatenate([np.zeros(prep.n_balance), prep.unit_cap_ub, prep.link_cap_ub,
                             np.full(ns, inf)])
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = np.concatenate([f.cost for f in prep.cols.values()])
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.minimum(np.concatenate([f.ub for f in prep.cols.values()]), inf)
    lp.row_lower_, lp.row_upper_ = row_lb, row_ub
    lp.offset_ = prep.offset
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, m
    h = _quiet_highs()
    h.passModel(lp)
    return h


def _quiet_highs():
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


# --------------------------------------------------------------------------- linopy


def build_linopy(prep: Prepared):
    """The same LP as a linopy model (maximised; the constant ``prep.offset`` is left out
    of linopy's objective and added by whoever reads its value)."""
    import linopy
    import xarray as xr

    linopy.options["semantics"] = "v1"  # coordinate mismatches raise instead of aligning
    m = linopy.Model()

    def dim(name: str, n: int) -> pd.RangeIndex:
        return pd.RangeIndex(n, name=name)

    x = {name: m.add_variables(lower=0.0, upper=xr.DataArray(f.ub, coords=[dim(name, f.n)]),
                               coords=[dim(name, f.n)], name=name)
         for name, f in prep.cols.items()}

    def terms(var_name: str, col: np.ndarray, row: np.ndarray, coef, row_dim: str):
        """sum over terms of coef * x[col], grouped into rows ``row`` (dimension row_dim)."""
        k = f"_{row_dim}_{var_name}"
        v = x[var_name].isel({var_name: xr.DataArray(np.asarray(col), dims=k)})
        e = v * xr.DataArray(np.broadcast_to(np.asarray(coef, dtype=float), np.shape(col)),
                             dims=k)
        return e.groupby(xr.DataArray(np.asarray(row), dims=k, name=row_dim)).sum()

    def rows(parts, name: str, n: int):
        e = linopy.merge(parts, join="outer")
        return e.reindex({name: np.arange(n)})

    bal = rows([terms("flow" if k.startswith("flow") else k, c, r, v, "balance")
                for k, (c, r, v) in prep.balance.items()], "balance", prep.n_balance)
    m.add_constraints(bal == 0.0, name="balance")

    na = prep.cols["activity"].n
    ucap = rows([terms("activity", np.arange(na), prep.act_unit_cap, prep.act_use, "unit_cap"),
                 terms("unit_new", *prep.unew_pairs, "unit_cap")], "unit_cap", prep.n_unit_cap)
    m.add_constraints(ucap <= xr.DataArray(prep.unit_cap_ub, coords=[dim("unit_cap",
                                                                         prep.n_unit_cap)]),
                      name="unit_cap")

    has = np.flatnonzero(prep.flow_link_cap >= 0)
    lcap = rows([terms("flow", has, prep.flow_link_cap[has], 1.0, "link_cap"),
                 terms("link_new", *prep.lnew_pairs, "link_cap")], "link_cap", prep.n_link_cap)
    m.add_constraints(lcap <= xr.DataArray(prep.link_cap_ub, coords=[dim("link_cap",
                                                                         prep.n_link_cap)]),
                      name="link_cap")

    ns = len(prep.short_sales)
    dmin = rows([terms("sales", prep.short_sales, np.arange(ns), 1.0, "demand_min"),
                 terms("shortfall", np.arange(ns), np.arange(ns), 1.0, "demand_min")],
                "demand_min", ns)
    m.add_constraints(dmin >= xr.DataArray(prep.demand_min, coords=[dim("demand_min", ns)]),
                      name="demand_min")

    m.add_objective(sum((x[name] * xr.DataArray(f.cost, coords=[dim(name, f.n)])).sum()
                        for name, f in prep.cols.items()), sense="max")
    return m
