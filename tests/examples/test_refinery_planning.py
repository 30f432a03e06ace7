"""The refinery planning example against an independent Pyomo formulation.

The second formulation is written directly in ``pyomo.environ`` with the textbook
algebra (balances per intermediate, capacities, specs as property x volume, fuel oil
in the fixed proportions of its recipe, the premium/regular ratio, lube bounds) from
the example's CSV files read with pandas,
and solved with HiGHS through Pyomo's own interface. Both must agree to 1e-6.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyomo.environ as pyo
import pytest

from chainopt import api

CASE = Path(__file__).resolve().parents[2] / "examples" / "refinery_planning"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(CASE / f"{name}.csv", keep_default_na=False, na_values=[""])


def independent_objective() -> float:
    com = _read("commodities").set_index("commodity")
    modes = _read("modes").set_index("mode")
    flows = _read("mode_flows")
    units = _read("units").set_index("process")
    sup = _read("supplies").set_index("commodity")
    mk = _read("markets").set_index("commodity")
    blends = _read("blends").set_index("blend")
    qual = _read("qualities").set_index(["commodity", "property"])["value"]
    specs = _read("specs")

    m = pyo.ConcreteModel()
    m.x = pyo.Var(list(modes.index), within=pyo.NonNegativeReals)
    m.buy = pyo.Var(list(sup.index), within=pyo.NonNegativeReals)
    m.sell = pyo.Var(list(mk.index), within=pyo.NonNegativeReals)
    comp = {b: r["components"].split(";") for b, r in blends.iterrows()}
    m.mix = pyo.Var([(b, c) for b in comp for c in comp[b]], within=pyo.NonNegativeReals)

    def made(c):
        f = flows[flows["commodity"] == c]
        prod = sum(r.amount_per_unit * m.x[r.mode] * (1 if r.direction == "out" else -1)
                   for r in f.itertuples())
        prod += sum(m.mix[b, c2] for b in comp for c2 in comp[b]
                    if blends.at[b, "product"] == c)
        prod -= sum(m.mix[b, c] for b in comp if c in comp[b])
        return prod

    m.balance = pyo.ConstraintList()
    for c in com.index:
        lhs = made(c) + (m.buy[c] if c in sup.index else 0) - (m.sell[c] if c in mk.index else 0)
        if not isinstance(lhs, int | float):
            m.balance.add(lhs == 0)
    m.cap = pyo.ConstraintList()
    for proc, grp in modes.groupby("process"):
        m.cap.add(sum(m.x[md] for md in grp.index) <= units.at[proc, "capacity_k_per_yr"])
    for c, r in sup.iterrows():
        m.buy[c].setub(r["max_k_per_yr"])
    for c, r in mk.iterrows():
        if pd.notna(r["max_k_per_yr"]):
            m.sell[c].setub(r["max_k_per_yr"])
        if pd.notna(r["min_k_per_yr"]):
            m.sell[c].setlb(r["min_k_per_yr"])
    m.spec = pyo.ConstraintList()
    for s in specs.itertuples():
        for b in [b for b in comp if blends.at[b, "product"] == s.commodity]:
            vol = {c: m.mix[b, c] / com.at[c, "density_t_per_m3"] for c in comp[b]}
            q = sum(qual[c, s.property] * vol[c] for c in comp[b])
            total = sum(vol.values())
            if pd.notna(s.min_value):
                m.spec.add(q >= s.min_value * total)
            if pd.notna(s.max_value):
                m.spec.add(q <= s.max_value * total)
    # a recipe: each stream is its share of the whole (10:4:3:1 -> 10/18, 4/18, ...)
    m.recipe = pyo.ConstraintList()
    for b in comp:
        if blends.at[b, "basis"] == "recipe":
            parts = [float(x) for x in str(blends.at[b, "shares"]).split(";")]
            whole = sum(m.mix[b, c] for c in comp[b])
            for c, part in zip(comp[b], parts, strict=True):
                m.recipe.add(m.mix[b, c] * sum(parts) == part * whole)
    m.ratio = pyo.Constraint(expr=made("premium_petrol") >= 0.4 * made("regular_petrol"))
    m.obj = pyo.Objective(sense=pyo.maximize, expr=(
        sum(mk.at[c, "price_usd_per_unit"] * m.sell[c] for c in mk.index)
        - sum(sup.at[c, "cost_usd_per_unit"] * m.buy[c] for c in sup.index)
        - sum(modes.at[md, "variable_cost_usd_per_unit"] * m.x[md] for md in modes.index)
        - sum(blends.at[b, "variable_cost_usd_per_unit"] * m.mix[b, c] for b, c in m.mix)
    ) / 1000.0)
    res = pyo.SolverFactory("appsi_highs").solve(m)
    assert str(res.solver.termination_condition) == "optimal"
    return pyo.value(m.obj)


def test_refinery_planning_matches_independent_formulation():
    res = api.run(CASE, save=False)
    assert res.manifest["status"] == "optimal"
    assert res.objective == pytest.approx(independent_objective(), rel=1e-6)


def test_refinery_planning_specs_and_ratio_hold():
    """Read back from the results: octane of each petrol blend (volume basis) meets
    its spec, jet vapour pressure stays under 1, premium >= 0.4 regular, lube within
    [50, 100]. ``blend_qualities`` states each of these volume averages (t / density),
    made here from the components blended and the densities of ``commodities.csv``
    (jet: 490 t of heavy oil at 0.88, 570.6 of cracked oil at 0.86, 455 of residuum at
    0.95: 1,353.27 / 1,699.25 m3 = 0.7964)."""
    res = api.run(CASE, save=False)
    com = _read("commodities").set_index("commodity")
    qual = _read("qualities").set_index(["commodity", "property"])["value"]
    bl = res["blending"]
    for blend, prop, lo, hi in (("premium_blend", "octane", 94, None),
                                ("regular_blend", "octane", 84, None),
                                ("jet_blend", "vapour_pressure", None, 1.0)):
        b = bl[(bl["blend"] == blend) & (bl["blend_k_per_yr"] > 0)]
        vol = b["blend_k_per_yr"] / b["component"].map(com["density_t_per_m3"])
        q = (vol * [qual[c, prop] for c in b["component"]]).sum() / vol.sum()
        stated = res["blend_qualities"].set_index(["blend", "property"]).loc[(blend, prop)]
        assert stated["value"] == pytest.approx(q, rel=1e-9)
        assert stated[["min_value", "max_value"]].tolist() == pytest.approx(
            [float("nan") if v is None else v for v in (lo, hi)], nan_ok=True)
        if lo is not None:
            assert q >= lo - 1e-6
        if hi is not None:
            assert q <= hi + 1e-6
    prod = res["production"].set_index("commodity")["produced_k_per_yr"]
    assert prod["premium_petrol"] >= 0.4 * prod["regular_petrol"] - 1e-6
    lube = res["sales"].set_index("commodity").at["lube_oil", "sales_k_per_yr"]
    assert 50 - 1e-6 <= lube <= 100 + 1e-6
