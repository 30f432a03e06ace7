"""Plausibility of the embedded default case (ru_eastwest) and its model projects."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chainopt import api
from chainopt import sweep as sw
from chainopt.case.schema import UNITS
from chainopt.case.validate import validate

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def base():
    return api.run(None, save=False)


@pytest.fixture(scope="module")
def case():
    return api.load_case(None)


def test_default_case_is_ru_eastwest_and_solves_to_optimality(base):
    assert base.manifest["case"] == "ru_eastwest"
    assert base.manifest["status"] == "optimal"


def _utilisation(base, case) -> pd.DataFrame:
    cap = base["capacity"]
    units = case.tables["units"].set_index("unit")
    u = cap[(cap["kind"] == "unit") & cap["name"].map(units["project"]).eq("")
            & (cap["total_k_per_yr"] > 0)]
    return u.assign(process=u["name"].map(units["process"]))


def test_existing_plants_run_within_plausible_utilisation(base, case):
    """Fact sheet 2f: Russian crackers run above 85 % [s90e]; availability 0.88-0.90.

    Bounds checked, by plant type, over all periods: steam crackers 0.80-0.90, polymer
    plants 0.80-0.90, gas processing and fractionation 0.90-1.0. One documented
    exception: the Amur PP line is propylene-short without MP5 (ethane cracking makes
    little propylene and Amur propane is worth more exported; see the case README).
    """
    u = _utilisation(base, case)
    bounds = {"sc_": (0.80, 0.90), "pe_": (0.80, 0.90), "ldpe": (0.80, 0.90),
              "pp": (0.80, 0.90), "gpp": (0.90, 1.0), "ngl": (0.90, 1.0)}
    checked = 0
    for prefix, (lo, hi) in bounds.items():
        sel = u[u["process"].str.startswith(prefix) & (u["name"] != "amur_pp")]
        checked += len(sel)
        bad = sel[(sel["utilisation"] < lo - 1e-6) | (sel["utilisation"] > hi + 1e-6)]
        assert bad.empty, bad[["name", "period", "utilisation"]]
    assert checked >= 50
    amur_pp = u[u["name"] == "amur_pp"]["utilisation"]
    assert amur_pp.between(0.1, 0.5).all()


# Largest mass loss the fact sheet states per process family (share of input mass):
# topping 2-4 % fuel and loss (2c); crackers burn part of their own fuel gas (2a: fuel
# gas 0.08-0.30 t per t feed, "burnt in furnaces"); PDH 1.18 t propane per t propylene
# with ~0.04 t H2 (2d); MTO 2.6-3.0 t methanol per t olefins, the rest water of
# reaction (2d); fractionation and BTX extraction split without loss.
STATED_LOSS = {"cdu": 0.04, "sc_": 0.21, "pdh": 0.15, "mto": 0.65, "ngl": 0.0, "btx": 0.0}


def test_process_yields_close_within_stated_losses(case):
    """Every mode whose flows are all in mass units loses between 0 and its process's
    stated loss (CO2 vents, pure emission accounting, are left out); none creates mass
    (the loader rejects that)."""
    com = case.tables["commodities"].set_index("commodity")
    mf = case.tables["mode_flows"]
    mf = mf[~mf["commodity"].map(com["kind"]).eq("emission") & ~mf["mode"].str.contains("vent")]
    mass = mf["commodity"].map(com["unit"]).map(lambda u: UNITS[u][0] == "mass")
    mass_modes = mass.groupby(mf["mode"]).all()
    mf = mf[mf["mode"].isin(mass_modes[mass_modes].index)]
    signed = mf["amount_per_unit"].where(mf["direction"] == "out", -mf["amount_per_unit"])
    net = signed.groupby(mf["mode"]).sum()
    fed = mf["amount_per_unit"].where(mf["direction"] == "in", 0).groupby(mf["mode"]).sum()
    loss = -net / fed
    assert len(loss) >= 15
    for mode, value in loss.items():
        limit = next(v for k, v in STATED_LOSS.items() if mode.startswith(k))
        assert -1e-9 <= value <= limit + 1e-9, (mode, value, limit)


def _project_gain(path: str, base) -> tuple[float, pd.DataFrame]:
    r = api.run(SCENARIOS / path, save=False)
    assert r.manifest["status"] == "optimal"
    pr = r["projects"]
    return r.objective - base.objective, pr[pr["built_share"] > 1e-6]


def test_mto_not_chosen_at_central_prices(base):
    """Fact sheet 5.8: MTO pays only if methanol is worth < ~170 USD/t at Nakhodka;
    at central prices (methanol ~300 CFR China) it is not built, even with MP2 making
    methanol next door."""
    _, built = _project_gain("ru_mp6_mto.yaml", base)
    assert "mp6" not in set(built["project"])
    assert "mp2" in set(built["project"])


@pytest.mark.parametrize(("path", "project", "sign"), [
    ("ru_mp1_amur_gcc_phase2.yaml", "mp1", ">=0"),   # 5.8: marginal (+41 USD/t)
    ("ru_mp2_nakhodka_methanol_urea.yaml", "mp2", ">0"),  # 5.8: +14 / +91 USD/t
    ("ru_mp3_far_east_terminals.yaml", "mp3", "=0"),  # relaxes ports only with MP1
    ("ru_mp4_equipment_renewal.yaml", "mp4", "=0"),   # needs a carbon price
    ("ru_mp5_far_east_pdh_pp.yaml", "mp5", "=0"),     # propane at export parity: -224
    ("ru_mp6_mto.yaml", "mp6", "not built"),
    ("ru_mp7_baltic_phase2.yaml", "mp7", ">0"),       # README: full model disagrees
])
def test_project_scenarios_have_the_expected_sign(base, path, project, sign):
    gain, built = _project_gain(path, base)
    chosen = project in set(built["project"])
    if sign == ">0":
        assert chosen and gain > 1.0
    elif sign == ">=0":
        assert gain >= -1e-6
    elif sign == "=0":
        assert not chosen and gain == pytest.approx(0.0, abs=1e-6)
    else:
        assert not chosen


def _mp4_built_at(carbon_price: float) -> bool:
    raw = api.load_case(SCENARIOS / "ru_mp4_equipment_renewal.yaml").raw
    change = {"table": "policies", "where": {"commodity": "co2"},
              "set": {"carbon_price_usd_per_unit": carbon_price}}
    res = api.run(validate(sw.apply_variant(raw, [change])), save=False)
    pr = res["projects"]
    return bool(pr.loc[pr["project"] == "mp4", "built_share"].sum() > 0.5)


@pytest.mark.parametrize(("price", "built"), [(0.0, False), (50.0, False), (80.0, True)])
def test_equipment_renewal_pays_above_a_computable_carbon_price(price, built):
    """MP4 replaces the legacy Tatarstan crackers (1200 kt/yr ethylene) with renewed ones.

    At the base plan's activity (naphtha 535, propane 353, butane 168 kt/yr of
    ethylene) and the base plan's values at Tatarstan in p2036 (naphtha 473,
    propane/butane 433.6, propylene 700, butadiene 900, C4 raffinate 450, benzene 750,
    pygas 569.5, PFO 300, fuel gas 78, H2 600, sales gas 56 USD/t or /1000 m3), the
    renewed yields save 22.2 MUSD/yr of feed net of lost by-products, less 2.3 MUSD/yr
    of reverse excise (renewed LPG modes use less subsidised feed): +19.9 MUSD/yr; and
    they emit 257 kt/yr less CO2. The cost is the annuity of 240 MUSD at 10 % over 25
    years, 240 x 0.11017 = 26.4 MUSD/yr, plus fixed O&M 8 USD/t/yr x 1200 kt = 9.6
    MUSD/yr: 36.0 MUSD/yr. Break-even: 19.9 + 0.257 c = 36.0, so c* = 63 USD/t CO2
    (the fact sheet's rougher 5.8 estimate says ~30). The full model, which also
    re-optimises feeds and availability, switches at ~67; the test brackets c* by
    -20 % / +27 %.
    """
    assert _mp4_built_at(price) is built
