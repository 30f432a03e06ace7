"""The multi-period investment MIP example against an independent Pyomo formulation.

The second formulation is written in ``pyomo.environ`` from the example's CSV files
(read with pandas), following the conventions stated in the README: period weight
w_t = sum of discount factors of its years (cash flows at the start of each year);
capex paid as the annuity A that repays the overnight cost K over the life with
payments at the start of each year, K = A * sum_{k<life} (1+r)^-k, in every year from
the build period to the end of life or horizon (the rest is residual value, not
charged); capacity built in t' usable in t when t' <= t and start_t < start_t' + life
(every life here outlasts the horizon);
fixed charge and capex segments (given as segments or as breakpoints of a cost curve)
with ordering binaries whatever the curve's shape; soft demand floors. Both
formulations must agree on the optimal objective to 1e-6.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
import yaml

from chainopt import api

CASE = Path(__file__).resolve().parents[2] / "examples" / "petchem_investment"


def _read(name: str) -> pd.DataFrame:
    path = CASE / f"{name}.csv"
    if not path.exists():
        return pd.DataFrame()
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _by_period(base: pd.DataFrame, name: str, key: list[str], col: str, periods):
    """{(key..., period): value} with overrides from <name>_by_period.csv."""
    ov = _read(f"{name}_by_period")
    out = {}
    for _, r in base.iterrows():
        for t in periods:
            v = r[col]
            if len(ov) and col in ov.columns:
                hit = ov[(ov[key] == r[key]).all(axis=1) & (ov["period"] == t)]
                if len(hit) and pd.notna(hit[col].iloc[0]):
                    v = hit[col].iloc[0]
            out[(*r[key], t)] = v
    return out


def independent_objective() -> float:
    meta = yaml.safe_load((CASE / "case.yaml").read_text())
    r, y0 = meta["discount_rate"], meta["base_year"]
    P = [p["period"] for p in meta["periods"]]
    start = {p["period"]: p["start_year"] for p in meta["periods"]}
    length = {p["period"]: p["length_yr"] for p in meta["periods"]}
    end = max(start[t] + length[t] for t in P)

    def disc(first, n):
        return sum((1 + r) ** -(first + k - y0) for k in range(int(np.floor(n))))

    w = {t: disc(start[t], length[t]) for t in P}

    def annuity_per_k(life):
        """A per unit of K: K at the start of year 0 = A at the start of years 0..life-1."""
        return 1 / sum((1 + r) ** -k for k in range(int(life)))

    def annuity(t, life):
        return annuity_per_k(life) * disc(start[t], min(life, end - start[t]))

    def alive(tb, t, life):
        return P.index(t) >= P.index(tb) and start[t] < start[tb] + life

    com = _read("commodities").set_index("commodity")
    emis = set(com.index[com["kind"] == "emission"])
    modes = _read("modes").set_index("mode")
    flows = _read("mode_flows")
    units = _read("units").fillna({"min_new_k_per_yr": 0, "build_fixed_musd": 0,
                                   "capex_usd_per_unit_yr": 0, "max_new_k_per_yr": 0})
    units = units.set_index("unit")
    segs = _read("capex_segments")
    # a cost curve given as breakpoints (cumulative size, total overnight MUSD, from 0):
    # segment k spans the sizes between points k-1 and k at their average cost per unit
    curve = _read("capex_curve")
    for u, pts in (curve.groupby("unit") if len(curve) else []):
        pts = pts.sort_values("point")
        size = np.diff(np.r_[0.0, pts["size_k_per_yr"].to_numpy(float)])
        musd = np.diff(np.r_[0.0, pts["capex_musd"].to_numpy(float)])
        segs = pd.concat([segs, pd.DataFrame({
            "unit": u, "segment": np.arange(1, len(size) + 1), "size_k_per_yr": size,
            "capex_usd_per_unit_yr": musd / size * 1000.0})], ignore_index=True)
    sup, mk, links = _read("supplies"), _read("markets"), _read("links")
    blends, qual = _read("blends"), _read("qualities").set_index(["commodity", "property"])
    specs, cons, terms = _read("specs"), _read("constraints"), _read("constraint_terms")
    pol = _read("policies")
    cost = _by_period(sup, "supplies", ["site", "commodity"], "cost_usd_per_unit", P)
    smax = _by_period(sup, "supplies", ["site", "commodity"], "max_k_per_yr", P)
    price = _by_period(mk, "markets", ["site", "commodity"], "price_usd_per_unit", P)
    mmax = _by_period(mk, "markets", ["site", "commodity"], "max_k_per_yr", P)
    mmin = _by_period(mk, "markets", ["site", "commodity"], "min_k_per_yr", P)
    smaxv = _by_period(specs, "specs", ["commodity", "property"], "max_value", P)
    cprice = _by_period(pol, "policies", ["commodity"], "carbon_price_usd_per_unit", P)
    penalty = meta["shortfall_penalty_usd_per_unit"]

    m = pyo.ConcreteModel()
    UM = [(u, md) for u in units.index for md in modes.index
          if modes.at[md, "process"] == units.at[u, "process"]]
    LC = [(lk.link, c) for lk in links.itertuples() for c in lk.commodities.split(";")]
    SC = list(zip(sup["site"], sup["commodity"], strict=True))
    MC = list(zip(mk["site"], mk["commodity"], strict=True))
    BC = [(b.blend, c) for b in blends.itertuples() for c in b.components.split(";")]
    EXP = [u for u in units.index if units.at[u, "max_new_k_per_yr"] > 0]
    LEXP = [lk.link for lk in links.itertuples() if lk.max_new_k_per_yr > 0]
    LUMPY = [u for u in EXP if units.at[u, "min_new_k_per_yr"] > 0
             or units.at[u, "build_fixed_musd"] > 0 or u in set(segs["unit"])]
    m.x = pyo.Var(UM, P, within=pyo.NonNegativeReals)
    m.f = pyo.Var(LC, P, within=pyo.NonNegativeReals)
    m.buy = pyo.Var(SC, P, within=pyo.NonNegativeReals)
    m.sell = pyo.Var(MC, P, within=pyo.NonNegativeReals)
    m.short = pyo.Var(MC, P, within=pyo.NonNegativeReals)
    m.mix = pyo.Var(BC, P, within=pyo.NonNegativeReals)
    m.new = pyo.Var(EXP, P, within=pyo.NonNegativeReals)
    m.lnew = pyo.Var(LEXP, P, within=pyo.NonNegativeReals)
    m.y = pyo.Var(LUMPY, P, within=pyo.Binary)
    SEG = [(s.unit, s.segment) for s in segs.itertuples()]
    m.z = pyo.Var(SEG, P, within=pyo.NonNegativeReals)
    m.ys = pyo.Var(SEG, P, within=pyo.Binary)
    m.c = pyo.ConstraintList()
    for s, c, t in m.buy:
        if pd.notna(smax[s, c, t]):
            m.c.add(m.buy[s, c, t] <= smax[s, c, t])
    for s, c, t in m.sell:
        if pd.notna(mmax[s, c, t]):
            m.c.add(m.sell[s, c, t] <= mmax[s, c, t])
        if pd.notna(mmin[s, c, t]) and mmin[s, c, t] > 0:
            m.c.add(m.sell[s, c, t] + m.short[s, c, t] >= mmin[s, c, t])
        else:
            m.short[s, c, t].fix(0)
    # balances
    sites = set(_read("sites")["site"])
    for s in sites:
        for c in com.index:
            if c in emis:
                continue
            for t in P:
                e = 0
                for u, md in UM:
                    if units.at[u, "site"] != s:
                        continue
                    f = flows[(flows["mode"] == md) & (flows["commodity"] == c)]
                    for row in f.itertuples():
                        e += (1 if row.direction == "out" else -1) * row.amount_per_unit \
                            * m.x[u, md, t]
                for lk in links.itertuples():
                    if c in lk.commodities.split(";"):
                        if lk.from_site == s:
                            e -= m.f[lk.link, c, t]
                        if lk.to_site == s:
                            e += (1 - lk.loss_fraction) * m.f[lk.link, c, t]
                if (s, c) in SC:
                    e += m.buy[s, c, t]
                if (s, c) in MC:
                    e -= m.sell[s, c, t]
                for b in blends.itertuples():
                    if b.site == s and c in b.components.split(";"):
                        e -= m.mix[b.blend, c, t]
                    if b.site == s and b.product == c:
                        e += sum(m.mix[b.blend, k, t] for k in b.components.split(";"))
                if not isinstance(e, int):
                    m.c.add(e == 0)
    # capacities
    for u in units.index:
        for t in P:
            cap = units.at[u, "capacity_k_per_yr"]
            if u in EXP:
                cap += sum(m.new[u, tb] for tb in P if alive(tb, t, units.at[u, "lifetime_yr"]))
            used = sum(m.x[u, md, t] for (uu, md) in UM if uu == u)
            m.c.add(used <= units.at[u, "availability"] * cap)
    for lk in links.itertuples():
        if pd.isna(lk.capacity_k_per_yr) and lk.link not in LEXP:
            continue
        for t in P:
            cap = lk.capacity_k_per_yr
            if lk.link in LEXP:
                cap += sum(m.lnew[lk.link, tb] for tb in P if alive(tb, t, lk.lifetime_yr))
            m.c.add(sum(m.f[lk.link, c, t] for c in lk.commodities.split(";")) <= cap)
    # lumpy builds
    for u in EXP:
        for t in P:
            if u in LUMPY:
                m.c.add(m.new[u, t] <= units.at[u, "max_new_k_per_yr"] * m.y[u, t])
                m.c.add(m.new[u, t] >= units.at[u, "min_new_k_per_yr"] * m.y[u, t])
            else:
                m.c.add(m.new[u, t] <= units.at[u, "max_new_k_per_yr"])
    for u in set(segs["unit"]):
        us = segs[segs["unit"] == u].sort_values("segment")
        for t in P:
            m.c.add(m.new[u, t] == sum(m.z[u, k, t] for k in us["segment"]))
            prev = None
            for s in us.itertuples():
                flag = m.y[u, t] if prev is None else m.ys[u, s.segment, t]
                m.c.add(m.z[u, s.segment, t] <= s.size_k_per_yr * flag)
                if prev is not None:
                    m.c.add(m.z[u, prev.segment, t] >= prev.size_k_per_yr * flag)
                prev = s
    for lk in LEXP:
        row = links.set_index("link").loc[lk]
        for t in P:
            m.c.add(m.lnew[lk, t] <= row["max_new_k_per_yr"])
    # specs (mass basis, max only in this example)
    for b in blends.itertuples():
        comps = b.components.split(";")
        for sp in specs.itertuples():
            if sp.commodity != b.product:
                continue
            for t in P:
                m.c.add(sum((qual.loc[(c, sp.property), "value"] - smaxv[sp.commodity,
                                                                         sp.property, t])
                            * m.mix[b.blend, c, t] for c in comps) <= 0)
    # user constraint: export cap on sales at a site
    for con in cons.itertuples():
        for t in P:
            tm = terms[terms["constraint"] == con.constraint]
            lhs = sum(tr.coef * m.sell[s, c, t] for tr in tm.itertuples()
                      for (s, c) in MC if s == tr.site)
            m.c.add(lhs <= con.rhs)
    # objective, MUSD
    obj = 0
    for t in P:
        yearly = sum(price[s, c, t] * m.sell[s, c, t] - penalty * m.short[s, c, t]
                     for s, c in MC)
        yearly -= sum(cost[s, c, t] * m.buy[s, c, t] for s, c in SC)
        yearly -= sum(modes.at[md, "variable_cost_usd_per_unit"] * m.x[u, md, t]
                      for u, md in UM)
        yearly -= sum(lk.cost_usd_per_unit * m.f[lk.link, c, t] for lk in links.itertuples()
                      for c in lk.commodities.split(";"))
        cp = cprice["co2", t]
        for u, md in UM:
            f = flows[(flows["mode"] == md) & (flows["commodity"].isin(emis))]
            yearly -= cp * f["amount_per_unit"].sum() * m.x[u, md, t]
        for lk in links.itertuples():
            if lk.emission_commodity in emis:
                yearly -= cp * lk.emission_per_unit * sum(
                    m.f[lk.link, c, t] for c in lk.commodities.split(";"))
        yearly -= sum(units.at[u, "fixed_om_usd_per_unit_yr"] * units.at[u, "capacity_k_per_yr"]
                      for u in units.index)
        obj += w[t] * yearly / 1000
        for u in EXP:
            life = units.at[u, "lifetime_yr"]
            ann = annuity(t, life)
            fom = units.at[u, "fixed_om_usd_per_unit_yr"]
            capex = units.at[u, "capex_usd_per_unit_yr"]
            if u in set(segs["unit"]):
                us = segs[segs["unit"] == u]
                obj -= sum(s.capex_usd_per_unit_yr * ann * m.z[u, s.segment, t]
                           for s in us.itertuples()) / 1000
            else:
                obj -= capex * ann * m.new[u, t] / 1000
            obj -= fom * disc(start[t], min(life, end - start[t])) * m.new[u, t] / 1000
            if u in LUMPY:
                obj -= units.at[u, "build_fixed_musd"] * ann * m.y[u, t]
        for lk in LEXP:
            row = links.set_index("link").loc[lk]
            obj -= row["capex_usd_per_unit_yr"] * annuity(t, row["lifetime_yr"]) \
                * m.lnew[lk, t] / 1000
    m.obj = pyo.Objective(expr=obj, sense=pyo.maximize)
    solver = pyo.SolverFactory("appsi_highs")
    solver.config.mip_gap = 0.0
    res = solver.solve(m)
    assert str(res.solver.termination_condition) == "optimal"
    return pyo.value(m.obj)


def test_petchem_investment_matches_independent_formulation():
    res = api.run(CASE, save=False)
    assert res.manifest["is_mip"]
    assert res.manifest["mip_gap"] == pytest.approx(0.0, abs=1e-9)
    assert res.objective == pytest.approx(independent_objective(), rel=1e-6)


def test_sulfur_limit_tightens_and_holds():
    """Diesel sulfur from the blend table stays within 2000 / 350 / 10 ppm by period."""
    res = api.run(CASE, save=False)
    bl = res["blending"]
    limit = {"p2026": 2000, "p2031": 350, "p2036": 10}
    q = {"gasoil_hs": 4000, "gasoil_ls": 8}
    for (blend, period), g in bl.groupby(["blend", "period"]):
        total = g["blend_k_per_yr"].sum()
        if total > 1e-6:
            sulfur = (g["blend_k_per_yr"] * g["component"].map(q)).sum() / total
            assert sulfur <= limit[period] + 1e-6, (blend, period, sulfur)
