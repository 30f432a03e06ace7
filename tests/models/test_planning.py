"""Planning depth on toy cases: blending, user constraints, carbon price, lumpy builds, units.

Conventions as in test_families: one one-year period at a zero discount rate unless
stated (period weight 1), kt/yr and USD/t, so MUSD = kt x USD/t / 1000.
"""

from __future__ import annotations

import pytest

from chainopt.case.load import load_case
from chainopt.errors import InputError
from tests.toycase import solve_case, value, write_case

COMMODITIES = """
commodity,unit,kind,density_t_per_m3
comp_a,t,raw,0.7
comp_b,t,raw,0.8
gasoline,t,product,
crude,t,raw,0.85
feed,t,raw,
regular,t,product,
premium,t,product,
light,t,product,
co2,t,emission,
"""


def _blend_case(tmp_path, basis: str):
    return write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\nplant",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,comp_a,300\nplant,comp_b,400",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,gasoline,500,100",
        "blends": f"blend,site,product,components,basis\nmix,plant,gasoline,comp_a;comp_b,{basis}",
        "qualities": "commodity,property,value\ncomp_a,octane,90\ncomp_b,octane,100",
        "specs": "commodity,property,min_value\ngasoline,octane,95",
    })


def test_two_component_blend_at_binding_spec_mass_basis(tmp_path):
    """A (octane 90, 300 USD/t) and B (100, 400 USD/t) blend into 100 kt/yr of
    gasoline (500 USD/t) with octane >= 95 on a mass basis. The cheap A is used as
    much as the spec allows: 90 a + 100 b = 95 (a + b), a + b = 100 -> a = b = 50.
    objective = (100*500 - 50*300 - 50*400)/1000 = 15 MUSD.
    """
    res = solve_case(_blend_case(tmp_path, "mass"))
    bl = res["blending"]
    assert value(bl, component="comp_a")["blend_k_per_yr"] == pytest.approx(50)
    assert value(bl, component="comp_b")["blend_k_per_yr"] == pytest.approx(50)
    assert res.objective == pytest.approx(15.0, rel=1e-9)


def test_two_component_blend_volume_basis(tmp_path):
    """The same spec on a volume basis (densities 0.7 and 0.8 t/m3):
    (90 - 95) a / 0.7 + (100 - 95) b / 0.8 >= 0 -> b = a * (5/0.7)/(5/0.8) = 8/7 a;
    a + b = 100 -> a = 46.667, b = 53.333;
    objective = (50000 - 46.667*300 - 53.333*400)/1000 = 14.6667 MUSD.
    """
    res = solve_case(_blend_case(tmp_path, "volume"))
    a = value(res["blending"], component="comp_a")["blend_k_per_yr"]
    assert a == pytest.approx(700 / 15)
    assert res.objective == pytest.approx((50000 - 700 / 15 * 300 - 800 / 15 * 400) / 1000)



def test_blend_fed_by_transport_over_two_periods_and_its_spec_values(tmp_path):
    """Fuel (t, 500 USD/t, at most 100 kt/yr) blended on a mass basis at plant from a
    (sulphur 0.1 %, 400 USD/t, bought there) and b (1.0 %, 300 USD/t at port, shipped at
    20 USD/t on a link losing 5 %: 320 / 0.95 = 336.84 USD per t landed). Sulphur <= 0.5 %
    in p1, 0.3 % in p2 (specs_by_period.csv); two 1-year periods, rate 10 %.

    By hand: b is cheaper, so the spec binds: b's mass share is (L - 0.1) / 0.9, 4/9 in p1
    (a 55.56, b 44.44 kt, 46.78 kt shipped), 2/9 in p2 (a 77.78, b 22.22). A t of fuel
    costs 400 - 63.16 x (L - 0.1)/0.9 with 63.16 = 400 - 336.84 = 60 / 0.95, so a point of
    sulphur is worth 60 / 0.95 / 0.9 = 70.18 USD per t of fuel per % in each period (a
    year's value, undiscounted). Objective: 100 x (500 - 371.93) / 1000 = 12.807 in p1
    plus 100 x (500 - 385.96) / 1000 / 1.1 = 10.367 in p2 = 23.174 MUSD."""
    landed = 320 / 0.95
    res = solve_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind\na,t,raw\nb,t,raw\nfuel,t,product",
        "sites": "site\nplant\nport",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,a,400\nport,b,300",
        "links": "link,from_site,to_site,commodities,cost_usd_per_unit,loss_fraction\n"
                 "ship,port,plant,b,20,0.05",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,fuel,500,100",
        "blends": "blend,site,product,components,basis\nmix,plant,fuel,a;b,mass",
        "qualities": "commodity,property,value\na,sulphur,0.1\nb,sulphur,1.0",
        "specs": "commodity,property,max_value\nfuel,sulphur,0.5",
        "specs_by_period": "commodity,property,period,max_value\nfuel,sulphur,p2,0.3",
    }, discount_rate=0.1, periods=[{"period": "p1", "start_year": 2026, "length_yr": 1},
                                   {"period": "p2", "start_year": 2027, "length_yr": 1}]))
    bl = res["blending"].set_index(["component", "period"])["blend_k_per_yr"]
    assert bl["b", "p1"] == pytest.approx(400 / 9) and bl["a", "p1"] == pytest.approx(500 / 9)
    assert bl["b", "p2"] == pytest.approx(200 / 9) and bl["a", "p2"] == pytest.approx(700 / 9)
    flows = res["flows"].set_index("period")["flow_k_per_yr"]
    assert flows["p1"] == pytest.approx(400 / 9 / 0.95)
    margin = [500 - (400 * (1 - x) + landed * x) for x in (4 / 9, 2 / 9)]
    assert res.objective == pytest.approx(0.1 * margin[0] + 0.1 * margin[1] / 1.1, rel=1e-9)
    spec = res["constraints"][res["constraints"]["family"] == "blending.spec_max"]
    assert spec["marginal_value"].to_numpy() == pytest.approx([60 / 0.95 / 0.9] * 2)
    assert (spec["value_unit"] == "USD per t per sulphur").all()


def _petrol_case(tmp_path, sulphur_basis: str):
    return write_case(tmp_path, {
        "commodities": "commodity,unit,kind,density_t_per_m3\na,t,raw,0.7\nb,t,raw,0.8\n"
                       "petrol,m3,product,",
        "sites": "site\nplant",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,a,400\nplant,b,300",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,petrol,700,10",
        "blends": "blend,site,product,components,basis\nmix,plant,petrol,a;b,volume",
        "qualities": "commodity,property,value\na,octane,95\nb,octane,91\n"
                     "a,sulphur_ppm,10\nb,sulphur_ppm,50",
        "specs": "commodity,property,min_value,max_value,basis\npetrol,octane,92,,\n"
                 f"petrol,sulphur_ppm,,30,{sulphur_basis}",
    })


def test_each_spec_is_averaged_on_its_own_basis(tmp_path):
    """Petrol (m3) blended on a volume basis (its octane) from a (0.7 t/m3, octane 95,
    sulphur 10 wt ppm, 400 USD/t) and b (0.8 t/m3, octane 91, 50 ppm, 300 USD/t); sulphur
    is a mass fraction, so its spec states ``basis: mass``. 10 k m3 sell at 700 USD/m3.

    By hand, in t (Ma, Mb): sulphur by mass 10 Ma + 50 Mb <= 30 (Ma + Mb) -> Mb <= Ma; a
    t of a earns 700/0.7 - 400 = 600 and a t of b 700/0.8 - 300 = 575, and b takes less
    of the 10 k m3, so Mb = Ma: Ma/0.7 + Ma/0.8 = 10 -> Ma = Mb = 56/15 = 3.7333 kt
    (octane by volume (95 x 5.333 + 91 x 4.667)/10 = 93.1 >= 92, slack). Objective
    7 - 3.7333 x 0.7 = 4.386667 MUSD. The spec's value y (per t of the basis, the product
    being in m3, per ppm), with u the value of a m3 of the sales cap:
    600 = u/0.7 - 20 y and 575 = u/0.8 + 20 y -> y = 50/37.5 = 1.3333 USD per t per ppm.

    Averaged by volume, as the blend's basis made every spec before, sulphur allowed
    Vb = Va = 5 k m3 (3.5 kt of a, 4 kt of b, objective 4.4) at 235/7.5 = 31.33 ppm by
    mass: petrol over its 30 ppm sold as on spec; a spec could not state its basis."""
    res = solve_case(_petrol_case(tmp_path / "mass", "mass"))
    bl = res["blending"].set_index("component")["blend_k_per_yr"]
    assert bl["a"] == pytest.approx(56 / 15) and bl["b"] == pytest.approx(56 / 15)
    assert res.objective == pytest.approx(7 - 56 / 15 * 0.7, rel=1e-9)
    spec = value(res["constraints"], family="blending.spec_max")
    assert spec["marginal_value"] == pytest.approx(4 / 3, rel=1e-9)
    assert spec["value_unit"] == "USD per t per sulphur_ppm"
    # a blank basis is the blend's: volume, the old average (and the spec is per m3)
    res = solve_case(_petrol_case(tmp_path / "blank", ""))
    assert res["blending"].set_index("component")["blend_k_per_yr"]["b"] == pytest.approx(4)
    assert res.objective == pytest.approx(4.4, rel=1e-9)
    assert value(res["constraints"], family="blending.spec_max")["value_unit"] == (
        "USD per m3 per sulphur_ppm")


def test_a_spec_basis_needing_a_missing_density_is_refused(tmp_path):
    """A mass blend whose product's octane spec says ``basis: volume``: a component in t
    without a density has no volume, so the spec's coefficient would be NaN. Refused at
    the blend's row, column components, naming the spec that needs it."""
    folder = _converted_blend(tmp_path, "comp_a,t,raw,\ngasoline,t,product,", "mass", True)
    (folder / "specs.csv").write_text("commodity,property,min_value,basis\n"
                                      "gasoline,octane,90,volume\n")
    with pytest.raises(InputError) as e:
        load_case(folder)
    (p,) = e.value.problems
    assert p.where == "blends.csv row 2, column components"
    assert ("measured in t and cannot be converted to m3, the volume basis of the octane "
            "spec of gasoline (specs.csv)") in p.message
    assert "give density_t_per_m3 for 'comp_a'" in p.hint


def _converted_blend(tmp_path, commodities: str, basis: str = "mass", spec: bool = False):
    tables = {
        "commodities": "commodity,unit,kind,density_t_per_m3\n" + commodities,
        "sites": "site\nplant",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,comp_a,20,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,gasoline,500",
        "blends": f"blend,site,product,components,basis\nmix,plant,gasoline,comp_a,{basis}"}
    if spec:
        tables["qualities"] = "commodity,property,value\ncomp_a,octane,95"
        tables["specs"] = "commodity,property,min_value\ngasoline,octane,90"
    return write_case(tmp_path, tables)


def test_a_blend_component_in_another_dimension_is_converted_by_its_density(tmp_path):
    """comp_a bought at 20 USD/bbl, at most 100 kbbl/yr, density 0.8 t/m3, blended into
    gasoline sold at 500 USD/t: 1 bbl = 0.158987294928 m3 = 0.1271898 t, so 100 kbbl
    make 12.71898 kt of gasoline; objective = 12.71898 x 500 / 1000 - 100 x 20 / 1000
    = 6.359492 - 2 = 4.359492 MUSD."""
    res = solve_case(_converted_blend(tmp_path, "comp_a,bbl,raw,0.8\ngasoline,t,product,"))
    t_per_bbl = 42 * 3.785411784e-3 * 0.8
    assert res.objective == pytest.approx(100 * t_per_bbl * 0.5 - 2.0, rel=1e-9)


@pytest.mark.parametrize(("commodities", "basis", "spec", "message", "hint"), [
    ("comp_a,bbl,raw,\ngasoline,t,product,", "mass", False,
     "measured in bbl and cannot be converted to t, the product's unit", "density_t_per_m3"),
    ("comp_a,GJ,raw,\ngasoline,GJ,product,", "mass", True,
     "measured in GJ and cannot be converted to t, its mass basis", "energy_gj_per_t"),
    ("comp_a,t,raw,\ngasoline,t,product,", "volume", True,
     "measured in t and cannot be converted to m3, its volume basis", "density_t_per_m3"),
])
def test_a_blend_component_that_cannot_be_converted_is_refused(tmp_path, commodities, basis,
                                                               spec, message, hint):
    """A component in bbl without a density blended into a product in t: how many t one
    bbl makes is unknown, so the blend's coefficient was NaN and the run 'optimal' with
    an objective of NaN. So was a spec averaged by mass over components in GJ without an
    energy content (GJ -> t needs GJ/t). Each is refused at the blend's row, column
    components, naming what to give. A basis is needed only by a spec: a volume basis
    without densities is refused when the product has one (it was refused always)."""
    with pytest.raises(InputError) as e:
        load_case(_converted_blend(tmp_path, commodities, basis, spec))
    (p,) = e.value.problems
    assert p.where == "blends.csv row 2, column components"
    assert message in p.message and f"give {hint} for 'comp_a'" in p.hint


def _ratio_case(tmp_path, with_constraint: bool):
    tables = {
        "commodities": COMMODITIES, "sites": "site\nplant",
        "modes": "mode,process\nmake_regular,reg\nmake_premium,prem",
        "mode_flows": """mode,commodity,direction,amount_per_unit
                         make_regular,feed,in,1
                         make_regular,regular,out,1
                         make_premium,feed,in,1
                         make_premium,premium,out,1""",
        "units": "unit,site,process,capacity_k_per_yr\nu_reg,plant,reg,100\nu_prem,plant,prem,100",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,feed,100,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,regular,200\nplant,premium,150",
    }
    if with_constraint:
        tables["constraints"] = "constraint,sense,rhs\npremium_share,>=,0"
        tables["constraint_terms"] = """constraint,term,quantity,coef,commodity
                                        premium_share,1,production,1,premium
                                        premium_share,2,production,-0.4,regular"""
    return write_case(tmp_path, tables)


def test_ratio_constraint_binds(tmp_path):
    """Feed (100 kt/yr at 100 USD/t) makes regular (margin 100) or premium (margin 50).
    Free choice: all regular, objective 10 MUSD. With premium >= 0.4 x regular:
    p = 0.4 r, p + r = 100 -> r = 71.43, p = 28.57;
    objective = (71.43*100 + 28.57*50)/1000 = 8.5714 MUSD.
    """
    assert solve_case(_ratio_case(tmp_path / "free", False)).objective == pytest.approx(10.0)
    res = solve_case(_ratio_case(tmp_path / "ratio", True))
    assert value(res["activity"], mode="make_premium")["activity_k_per_yr"] == \
        pytest.approx(100 / 3.5)
    assert res.objective == pytest.approx((100 / 1.4 * 100 + 40 / 1.4 * 50) / 1000)


def test_constraint_term_selecting_nothing_is_an_error(tmp_path):
    folder = _ratio_case(tmp_path, True)
    text = (folder / "constraint_terms.csv").read_text().replace("2,production,-0.4,regular",
                                                                 "2,sales,-0.4,regular")
    text = text.replace("premium_share,2,sales,-0.4,regular",
                        "premium_share,2,flow,-0.4,regular")
    (folder / "constraint_terms.csv").write_text(text)
    with pytest.raises(InputError, match=r"constraint_terms.csv row 3.*selects no flow"):
        solve_case(folder)


def _shipped_ratio_case(tmp_path, term: str):
    """The ratio case with a link plant -> mkt carrying regular, and ``term`` (the CSV
    line after ``premium_share,2,``) as the constraint's second term, at row 3."""
    folder = _ratio_case(tmp_path, True)
    (folder / "sites.csv").write_text("site\nplant\nmkt\n")
    (folder / "links.csv").write_text("link,from_site,to_site,commodities\n"
                                      "pm,plant,mkt,regular\n")
    (folder / "constraint_terms.csv").write_text(
        "constraint,term,quantity,coef,site,commodity,unit\n"
        f"premium_share,1,production,1,,premium,\npremium_share,2,{term}\n")
    return folder


@pytest.mark.parametrize(("term", "where", "message", "hint"), [
    ("flow,-0.4,mkt,regular,", "constraint_terms.csv row 3, columns site, commodity",
     "this term of constraint 'premium_share' selects no flow (none with site 'mkt', "
     "commodity 'regular')", "(a flow's site is where its link starts, from_site; to select "
     "flows into a site, name it in to_site)"),
    ("sales,-0.4,,regular,u_reg", "constraint_terms.csv row 3, column unit",
     "a 'sales' term cannot be selected by unit", "sales is selected by site, commodity"),
])
def test_validation_finds_a_term_the_model_would_refuse(tmp_path, term, where, message,
                                                        hint):
    """A flow term naming the link's destination (mkt) as its site selects nothing: a
    flow's site is where it starts. ``chainopt run`` refused it while building the model
    ('term 2.0 of constraint ...': the term number printed as a float, no column named),
    but ``chainopt validate`` said ok. Now validation refuses it, at the selectors'
    columns of the term's row, by the same rule as the model; likewise a selector the
    quantity does not have. Selecting the origin (plant) is fine."""
    with pytest.raises(InputError) as info:
        load_case(_shipped_ratio_case(tmp_path, term))
    (p,) = info.value.problems
    assert (p.where, p.message) == (where, message)
    assert hint in p.hint
    ok = _shipped_ratio_case(tmp_path / "ok", "flow,-0.4,plant,regular,")
    assert len(load_case(ok).tables["constraint_terms"]) == 2


def test_a_constraint_without_terms_is_an_error(tmp_path):
    """'cap' (<= 12) has no term: its row read 0 <= 12 and was dropped without a word (a
    '>= 3' made the case infeasible with nothing named). Refused, naming the row."""
    folder = _ratio_case(tmp_path, True)
    (folder / "constraints.csv").write_text("constraint,sense,rhs\npremium_share,>=,0\n"
                                            "cap,<=,12\n")
    with pytest.raises(InputError, match=r"constraints.csv row 3, column constraint: this "
                                         r"constraint has no terms"):
        load_case(folder)


def test_a_term_with_coefficient_0_is_refused_at_its_row(tmp_path):
    """premium >= 0.4 x regular written with the regular term's coefficient 0: the row
    reads 1 x premium + 0 x regular >= 0, which every plan meets (production is >= 0),
    so it states nothing and the run returned the free optimum, 10 MUSD (100 kt/yr of
    regular at a margin of 100 USD/t; see test_ratio_constraint_binds), as if the
    user's 0.4 had been applied. Refused at its row and column, as a term that selects
    nothing is."""
    folder = _ratio_case(tmp_path, True)
    text = (folder / "constraint_terms.csv").read_text()
    (folder / "constraint_terms.csv").write_text(text.replace("-0.4,regular", "0,regular"))
    with pytest.raises(InputError) as info:
        load_case(folder)
    (p,) = info.value.problems
    assert p.where == "constraint_terms.csv row 3, column coef"
    assert p.message == ("this term of constraint 'premium_share' has coefficient 0, so it "
                         "adds nothing to the constraint (found 0)")
    assert p.hint == "give the coefficient the quantity enters with, or remove the row"


def test_a_flow_term_selected_by_link_counts_in_the_links_commodity(tmp_path):
    """Feed shipped from plant to mkt (t) on link pm, capped by a user constraint on the
    link's flow (8 kt/yr), sold at mkt for 120 against 100 + 0 transport: the cap is worth
    20 USD per t. It said 'USD per unit' (the term names the link, not a commodity)."""
    res = solve_case(write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\nplant\nmkt",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,feed,100",
        "links": "link,from_site,to_site,commodities\npm,plant,mkt,feed",
        "markets": "site,commodity,price_usd_per_unit\nmkt,feed,120",
        "constraints": "constraint,sense,rhs\ncap,<=,8",
        "constraint_terms": "constraint,term,quantity,coef,link\ncap,1,flow,1,pm"}))
    assert res.objective == pytest.approx(8 * 20 / 1000)
    cap = value(res["constraints"], family="user.relation")
    assert cap["marginal_value"] == pytest.approx(20.0)
    assert (cap["value_unit"], cap["quantity_unit"]) == ("USD per t", "t")


def _carbon_case(tmp_path, price: float):
    return write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\nplant",
        "modes": "mode,process\ndirty,cracker\nclean,cracker",
        "mode_flows": """mode,commodity,direction,amount_per_unit
                         dirty,feed,in,1
                         dirty,light,out,1
                         dirty,co2,out,2
                         clean,feed,in,1.4
                         clean,light,out,1
                         clean,co2,out,0.5""",
        "units": "unit,site,process,capacity_k_per_yr\nsc,plant,cracker,100",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,feed,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,light,300",
        "policies": f"commodity,site,carbon_price_usd_per_unit\nco2,,{price}",
    })


@pytest.mark.parametrize(("price", "runs"), [(20.0, "dirty"), (30.0, "clean")])
def test_carbon_price_switches_dirty_mode_off(tmp_path, price, runs):
    """Dirty: margin 300 - 100 = 200 per t, 2 t CO2. Clean: 300 - 140 = 160, 0.5 t CO2.
    Dirty wins while 200 - 2p > 160 - 0.5p, i.e. below p* = 40/1.5 = 26.67 USD/t CO2.
    """
    res = solve_case(_carbon_case(tmp_path, price))
    act = res["activity"].set_index("mode")["activity_k_per_yr"]
    assert act[runs] == pytest.approx(100)
    assert act.drop(runs).sum() == pytest.approx(0)


def _lumpy_case(tmp_path, max_new: float, extra: dict | None = None, unit_cols: str = ""):
    cols = "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,max_new_k_per_yr," \
           "lifetime_yr,build_fixed_musd"
    tables = {
        "commodities": COMMODITIES, "sites": "site\nplant",
        "modes": "mode,process,variable_cost_usd_per_unit\nrun,cdu,10",
        "mode_flows": """mode,commodity,direction,amount_per_unit
                         run,crude,in,1
                         run,light,out,0.9""",
        "units": unit_cols if unit_cols else f"{cols}\nu1,plant,cdu,0,1000,{max_new},10,8",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,light,267",
    }
    tables.update(extra or {})
    return write_case(tmp_path, tables,
                      periods=[{"period": "p1", "start_year": 2026, "length_yr": 10}])


@pytest.mark.parametrize(("max_new", "built", "objective"), [(20, 0.0, 0.0), (50, 50.0, 7.15)])
def test_fixed_charge_small_build_unattractive_large_attractive(tmp_path, max_new, built,
                                                                objective):
    """Margin per t crude 0.9*267 - 100 - 10 = 130.3 USD, over the 10-year period 1303
    USD per t/yr of capacity, against capex 1000 (rate 0, life 10: paid in full): 303
    per t/yr. A fixed charge of 8 MUSD kills a 20 kt/yr build (20*303/1000 = 6.06 < 8)
    but not a 50 kt/yr one: 50*303/1000 - 8 = 7.15 MUSD.
    """
    res = solve_case(_lumpy_case(tmp_path, max_new))
    assert value(res["capacity"], name="u1")["new_k_per_yr"] == pytest.approx(built)
    assert res.objective == pytest.approx(objective, abs=1e-7)


def test_capex_segments_fill_in_order(tmp_path):
    """Economies of scale: the first 10 kt/yr cost 1500 per t/yr, the next 40 cost 800.
    Value of capacity over 10 years: 1303 per t/yr. Building all 50 gives
    50*1303 - 10*1500 - 40*800 = 18150 kUSD = 18.15 MUSD. The LP relaxation would take
    the cheap segment alone (40*(1303 - 800) = 20.12 MUSD); the ordering binaries
    forbid that.
    """
    cols = "unit,site,process,capacity_k_per_yr,max_new_k_per_yr,lifetime_yr"
    folder = _lumpy_case(tmp_path, 50, extra={
        "capex_segments": "unit,segment,size_k_per_yr,capex_usd_per_unit_yr\n"
                          "u1,1,10,1500\nu1,2,40,800"},
        unit_cols=f"{cols}\nu1,plant,cdu,0,50,10")
    res = solve_case(folder)
    margin = 10 * (0.9 * 267 - 110)
    assert value(res["capacity"], name="u1")["new_k_per_yr"] == pytest.approx(50)
    assert res.objective == pytest.approx((50 * margin - 15000 - 32000) / 1000, rel=1e-7)
    assert res.manifest["is_mip"]


def test_minimum_build_size(tmp_path):
    """Crude is limited to 15 kt/yr, so only 15 kt/yr of capacity is useful; with a
    minimum build of 30 kt/yr the build is 30 (15 idle) if that still pays:
    15*1303 - 30*1000 < 0, so nothing is built and the objective is 0."""
    cols = "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,max_new_k_per_yr," \
           "min_new_k_per_yr,lifetime_yr"
    folder = _lumpy_case(tmp_path, 50, extra={
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,crude,100,15"},
        unit_cols=f"{cols}\nu1,plant,cdu,0,1000,50,30,10")
    res = solve_case(folder)
    assert value(res["capacity"], name="u1")["new_k_per_yr"] == pytest.approx(0)
    assert res.objective == pytest.approx(0, abs=1e-9)


def test_prices_and_quantities_in_other_units_are_converted(tmp_path):
    """Crude supplied at 70 USD/bbl, at most 1000 kbbl/yr, density 0.85 t/m3:
    1 bbl = 42 US gallons = 0.158987294928 m3 = 0.135139 t, so 518.0 USD/t and
    135.139 kt/yr."""
    folder = write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\nplant",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr,stated_unit\n"
                    "plant,crude,70,1000,bbl",
        "markets": "site,commodity,price_usd_per_unit\nplant,crude,600",
    })
    sup = load_case(folder).tables["supplies"].iloc[0]
    t_per_bbl = 42 * 3.785411784e-3 * 0.85
    assert sup["cost_usd_per_unit"] == pytest.approx(70 / t_per_bbl)
    assert sup["max_k_per_yr"] == pytest.approx(1000 * t_per_bbl)


def test_energy_units_of_oil_and_gas_trade_are_converted(tmp_path):
    """LNG in t at 54 GJ/t bought at 300 USD/t and sold at 10 USD/MMBtu (1 MMBtu =
    1.05505585262 GJ, so 54 / 1.05505585262 = 51.1821 MMBtu per t: 511.821 USD/t), at
    most 1 kt/yr: (511.821 - 300) x 1 kt / 1000 = 0.211821 MUSD. Crude at 42 GJ/t with
    at most 1000 k boe/yr (1 boe = 5.8 MMBtu = 6.119324 GJ: 145.698 kt/yr) at 60 USD/boe
    (60 x 42 / 6.119324 = 411.810 USD/t), fuel oil at 41.868 GJ/t priced 400 USD/toe
    (1 toe = 41.868 GJ: 400 USD/t)."""
    folder = write_case(tmp_path, {
        "commodities": "commodity,unit,kind,energy_gj_per_t\nlng,t,raw,54\ncrude,t,raw,42\n"
                       "fuel,t,product,41.868",
        "sites": "site\nplant",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr,stated_unit\n"
                    "plant,lng,300,1,\nplant,crude,60,1000,boe",
        "markets": "site,commodity,price_usd_per_unit,stated_unit\nplant,lng,10,MMBtu\n"
                   "plant,fuel,400,toe",
    })
    case = load_case(folder)
    sup = case.tables["supplies"].set_index("commodity")
    mkt = case.tables["markets"].set_index("commodity")
    assert mkt.at["lng", "price_usd_per_unit"] == pytest.approx(511.8212, rel=1e-6)
    assert sup.at["crude", "max_k_per_yr"] == pytest.approx(145.6982, rel=1e-6)
    assert sup.at["crude", "cost_usd_per_unit"] == pytest.approx(411.8102, rel=1e-6)
    assert mkt.at["fuel", "price_usd_per_unit"] == pytest.approx(400.0)
    assert solve_case(folder).objective == pytest.approx(0.2118212, rel=1e-6)


@pytest.mark.parametrize(("commodities", "supplies", "hints"), [
    ("crude,t,raw,\nlpg,t,raw,", "a,crude,70,bbl\na,lpg,5,bbl",
     ["give density_t_per_m3 for 'crude'", "give density_t_per_m3 for 'lpg'"]),
    ("gas,1000m3,raw,0.0007", "a,gas,5,GJ", ["give energy_gj_per_t for 'gas'"]),
    ("gas,1000m3,raw,", "a,gas,5,GJ", ["give density_t_per_m3 and energy_gj_per_t for 'gas'"]),
])
def test_unconvertible_units_say_what_each_row_lacks(tmp_path, commodities, supplies, hints):
    """Each row's hint names its own commodity (the last row's was given for all of one
    stated unit: 'for lpg' at crude's row) and the input it lacks (density was asked
    for a gas priced per GJ that had one; energy_gj_per_t was missing)."""
    folder = write_case(tmp_path, {
        "commodities": "commodity,unit,kind,density_t_per_m3\n" + commodities,
        "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,stated_unit\n" + supplies})
    with pytest.raises(InputError) as e:
        load_case(folder)
    assert [p.hint.split(" in commodities.csv")[0] for p in e.value.problems] == hints
    assert [p.where for p in e.value.problems] == [
        f"supplies.csv row {i + 2}, column stated_unit" for i in range(len(hints))]


def test_unconvertible_unit_names_the_row(tmp_path):
    folder = write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\nplant",
        "supplies": "site,commodity,cost_usd_per_unit,stated_unit\nplant,feed,70,bbl",
    })
    with pytest.raises(InputError, match=r"supplies.csv row 2, column stated_unit.*"
                                         r"density_t_per_m3"):
        load_case(folder)


def test_messages_on_rows_in_another_unit_say_the_numbers_of_the_row(tmp_path):
    """Crude in t (0.85 t/m3) sold in bbl: tier 1 at 70 USD/bbl, cap 100 kbbl, floor 200
    kbbl; tier 2 at 80 USD/bbl. 1 bbl = 0.158987294928 x 0.85 = 0.1351392 t, so as
    loaded tier 1 pays 70 / 0.1351392 = 517.984 USD/t and tier 2 591.982 USD/t. The
    floor message said 'above its sales cap, 13.5139 (found 27.0278)', numbers the file
    does not hold (it says 100 and 200): now the row's own 100 and 200. The tier message
    compares as loaded, so it names the unit when the row states it per bbl."""
    folder = write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\nplant",
        "markets": "site,commodity,tier,price_usd_per_unit,max_k_per_yr,min_k_per_yr,"
                   "stated_unit\nplant,crude,1,70,100,200,bbl\nplant,crude,2,80,100,0,bbl"})
    with pytest.raises(InputError) as e:
        load_case(folder)
    by_where = {p.where: p.message for p in e.value.problems}
    floor = by_where["markets.csv row 2, column min_k_per_yr"]
    assert "above its sales cap, 100, in p1" in floor and "(found 200)" in floor
    tier = by_where["markets.csv row 3, column price_usd_per_unit"]
    assert "pays 591.982 USD per t (this row's price per bbl in USD" in tier
    assert "than tier 1's 517.984" in tier


def _cap_by_period_case(tmp_path, periods: str, overrides: str):
    """Feed bought at 10 and sold at 30 USD/t (up to 100 kt/yr) at one site over p1
    (2026, 1 yr) and p2 (2027, 1 yr), undiscounted; a user cap on its sales, 50 kt/yr,
    holding in ``periods``, with ``overrides`` as constraints_by_period.csv."""
    return write_case(tmp_path, {
        "commodities": COMMODITIES, "sites": "site\nplant",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,feed,10,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,feed,30",
        "constraints": f"constraint,sense,rhs,periods\ncap,<=,50,{periods}",
        "constraints_by_period": overrides,
        "constraint_terms": "constraint,term,quantity,coef,commodity\ncap,1,sales,1,feed"},
        periods=[{"period": "p1", "start_year": 2026, "length_yr": 1},
                 {"period": "p2", "start_year": 2027, "length_yr": 1}])


def test_a_right_hand_side_for_a_period_the_constraint_skips_is_an_error(tmp_path):
    """'cap' holds in p2 only (periods p2), and constraints_by_period.csv gives it 20 in p1.
    The p1 row was dropped without a word: p1 sold 100 kt (20 USD/t margin: 2 MUSD) where
    the user asked for at most 20 (0.4 MUSD); objective 2 + 50 x 20 / 1000 = 3 MUSD, not
    0.4 + 1 = 1.4. Refused at the override's row, column period. An override in p2, a
    period it holds in, applies: 2 + 30 x 20 / 1000 = 2.6 MUSD."""
    with pytest.raises(InputError) as info:
        load_case(_cap_by_period_case(tmp_path / "p1", "p2", "constraint,period,rhs\ncap,p1,20"))
    (p,) = info.value.problems
    assert p.where == "constraints_by_period.csv row 2, column period"
    assert "this constraint does not hold in this period" in p.message and "'p1'" in p.message
    assert "its periods: p2; add this period there, or remove this row" in p.hint
    ok = _cap_by_period_case(tmp_path / "p2", "p2", "constraint,period,rhs\ncap,p2,30")
    assert solve_case(ok).objective == pytest.approx(2 + 30 * 20 / 1000)


def test_a_term_summing_commodities_in_different_units_is_an_error(tmp_path):
    """A cap 'sales at plant <= 50' over feed (t, margin 20 USD/t) and oil (bbl, margin
    1 USD/bbl, up to 100 k each): the term summed kt and kbbl as one number, so the LP
    sold 50 kt of feed and no oil (1 MUSD) under a bound that means nothing (50 kt of
    feed is 50 'thousand units' only because t and bbl were added). Refused at the term's
    row and its selector's column, listing the commodities by unit. With one commodity
    selected it is a cap on feed: 50 x 20 + 100 x 1 = 1100 kUSD = 1.1 MUSD."""
    def case(folder, selectors: str):
        return write_case(folder, {
            "commodities": "commodity,unit,kind\nfeed,t,raw\noil,bbl,raw",
            "sites": "site\nplant",
            "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\n"
                        "plant,feed,10,100\nplant,oil,50,100",
            "markets": "site,commodity,price_usd_per_unit\nplant,feed,30\nplant,oil,51",
            "constraints": "constraint,sense,rhs\ncap,<=,50",
            "constraint_terms": f"constraint,term,quantity,coef,site,commodity\n"
                                f"cap,1,sales,1,{selectors}"})
    with pytest.raises(InputError) as info:
        load_case(case(tmp_path / "mixed", "plant,"))
    (p,) = info.value.problems
    assert p.where == "constraint_terms.csv row 2, column site"
    assert p.message == ("this term of constraint 'cap' sums sales of commodities in "
                         "different units (t: feed; bbl: oil), which add up to no quantity")
    assert "select one commodity (column commodity)" in p.hint
    assert solve_case(case(tmp_path / "feed", "plant,feed")).objective == pytest.approx(1.1)


def test_a_user_constraints_value_is_per_unit_of_what_its_terms_select(tmp_path):
    """'sales at plant <= 50' (no commodity named) over feed and x, both in t: feed earns
    30 - 10 = 20 USD/t, x loses 10, so 50 kt of feed are sold (1 MUSD) and one more t of
    room is worth 20 USD per t. It said 'USD per unit': only a term's commodity (or its
    link's) gave the unit. An activity cap on u_reg at 50 in the ratio case (regular
    earns 100 per activity unit, premium, which takes the rest of the 100 kt of feed, 50):
    7.5 MUSD, worth 100 - 50 = 50 USD per activity unit (it said 'per unit')."""
    res = solve_case(write_case(tmp_path / "sales", {
        "commodities": COMMODITIES, "sites": "site\nplant",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\n"
                    "plant,feed,10,100\nplant,light,50,100",
        "markets": "site,commodity,price_usd_per_unit\nplant,feed,30\nplant,light,40",
        "constraints": "constraint,sense,rhs\ncap,<=,50",
        "constraint_terms": "constraint,term,quantity,coef,site\ncap,1,sales,1,plant"}))
    assert res.objective == pytest.approx(1.0)
    cap = value(res["constraints"], family="user.relation")
    assert (cap["marginal_value"], cap["value_unit"]) == (pytest.approx(20.0), "USD per t")
    folder = _ratio_case(tmp_path / "activity", True)
    (folder / "constraints.csv").write_text("constraint,sense,rhs\nreg_cap,<=,50\n")
    (folder / "constraint_terms.csv").write_text(
        "constraint,term,quantity,coef,unit\nreg_cap,1,activity,1,u_reg\n")
    res = solve_case(folder)
    assert res.objective == pytest.approx(7.5)
    cap = value(res["constraints"], family="user.relation")
    assert (cap["marginal_value"], cap["value_unit"]) == (pytest.approx(50.0),
                                                          "USD per activity unit")


def test_a_specced_product_that_also_comes_unblended_is_warned(tmp_path):
    """Diesel blended from ls (8 ppm, 400 USD/t, at most 10 kt/yr) and hs (1000 ppm, 300
    USD/t, at most 20 kt/yr) to at most 10 ppm; a unit also runs mode direct, 1 t hs ->
    1 t diesel (capacity 5 kt/yr); diesel sells at 500 USD/t. The blend takes hs up to
    1000 x + 8 (1 - x) <= 10, x <= 2/992: with all 10 kt of ls, 10 x 2/990 = 0.0202 kt of
    hs; the mode makes 5 kt of diesel at 1000 ppm, sold as diesel (its specs bind only
    what the blend makes): objective 10 x 0.1 + 0.0202 x 0.2 + 5 x 0.2 = 2.00404 MUSD,
    and nothing said so. Now the run warns of it, naming the mode; a purchase of diesel
    likewise; without either, no warning. A mode whose only unit has capacity 0 and
    nothing to build makes no diesel, nor does a supply of at most 0: they are not named
    (the purchase case named mode direct of d1 at capacity 0); d1 at 0 that may grow by
    5 kt/yr is named."""
    tables = {
        "commodities": "commodity,unit,kind\nls,t,raw\nhs,t,raw\ndiesel,t,product",
        "sites": "site\nplant",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,ls,400,10\n"
                    "plant,hs,300,20",
        "markets": "site,commodity,price_usd_per_unit\nplant,diesel,500",
        "blends": "blend,site,product,components,basis\nmix,plant,diesel,ls;hs,mass",
        "qualities": "commodity,property,value\nls,sulphur_ppm,8\nhs,sulphur_ppm,1000",
        "specs": "commodity,property,max_value\ndiesel,sulphur_ppm,10",
        "modes": "mode,process\ndirect,dhp",
        "mode_flows": "mode,commodity,direction,amount_per_unit\ndirect,hs,in,1\n"
                      "direct,diesel,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nd1,plant,dhp,5",
    }
    res = solve_case(write_case(tmp_path / "made", tables))
    assert res.objective == pytest.approx(1 + 10 * 2 / 990 * 0.2 + 1, rel=1e-9)
    assert res.manifest["warnings"] == [
        "specs.csv holds diesel to its specs only where a blend makes it, but it is also "
        "made by mode direct: that diesel reaches its markets unchecked; make it a "
        "component (its own commodity) of a blend of diesel, so the specs hold for all of it"]
    bought = {**tables, "supplies": tables["supplies"] + "\nplant,diesel,450,1"}
    bought["units"] = "unit,site,process,capacity_k_per_yr\nd1,plant,dhp,0"
    res = solve_case(write_case(tmp_path / "bought", bought))
    assert res.manifest["warnings"] == [
        "specs.csv holds diesel to its specs only where a blend makes it, but it is also "
        "bought at plant: that diesel reaches its markets unchecked; make it a component "
        "(its own commodity) of a blend of diesel, so the specs hold for all of it"]
    shut = {**bought, "supplies": tables["supplies"] + "\nplant,diesel,450,0"}
    assert solve_case(write_case(tmp_path / "shut", shut)).manifest["warnings"] == []
    grows = {**shut, "units": "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,"
                              "max_new_k_per_yr\nd1,plant,dhp,0,1000,5"}
    assert solve_case(write_case(tmp_path / "grows", grows)).manifest["warnings"] == [
        "specs.csv holds diesel to its specs only where a blend makes it, but it is also "
        "made by mode direct: that diesel reaches its markets unchecked; make it a "
        "component (its own commodity) of a blend of diesel, so the specs hold for all of it"]
    clean = {k: v for k, v in tables.items() if k not in ("modes", "mode_flows", "units")}
    assert solve_case(write_case(tmp_path / "clean", clean)).manifest["warnings"] == []


def test_blend_qualities_state_what_the_plan_blends_against_its_specs(tmp_path):
    """Petrol blended by mass from a (octane 95, sulphur 5 ppm, 500 USD/t, at most 10
    kt/yr) and b (octane 85, sulphur 50 ppm, 300 USD/t, at most 20), sold at 600 USD/t,
    held to octane >= 90 and sulphur <= 40. b earns 300 a t, a 100: the octane spec
    95 a + 85 b >= 90 (a + b) gives b <= a, sulphur 5 a + 50 b <= 40 (a + b) gives b <=
    3.5 a (slack): a = b = 10, objective 10 x 0.1 + 10 x 0.3 = 4 MUSD. The blend's
    qualities: octane (95 x 10 + 85 x 10) / 20 = 90, its minimum met exactly (binding);
    sulphur (5 x 10 + 50 x 10) / 20 = 27.5 ppm against at most 40 (12.5 ppm given
    away); 20 kt/yr blended. Nothing stated them: blending.csv has the components only,
    constraints.csv the spec rows' algebra (activity 0, bound 0). At blend capacity 0
    the blend makes nothing and its qualities are blank."""
    tables = {
        "commodities": "commodity,unit,kind\na,t,raw\nb,t,raw\npetrol,t,product",
        "sites": "site\nplant",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,a,500,10\n"
                    "plant,b,300,20",
        "markets": "site,commodity,price_usd_per_unit\nplant,petrol,600",
        "blends": "blend,site,product,components,basis\nmix,plant,petrol,a;b,mass",
        "qualities": "commodity,property,value\na,octane,95\nb,octane,85\n"
                     "a,sulphur_ppm,5\nb,sulphur_ppm,50",
        "specs": "commodity,property,min_value,max_value\npetrol,octane,90,\n"
                 "petrol,sulphur_ppm,,40",
    }
    res = solve_case(write_case(tmp_path / "run", tables))
    assert res.objective == pytest.approx(4.0, rel=1e-9)
    q = res["blend_qualities"].set_index("property")
    assert list(q.index) == ["octane", "sulphur_ppm"]
    assert q.loc["octane", ["value", "min_value"]].tolist() == pytest.approx([90, 90])
    assert q.loc["sulphur_ppm", ["value", "max_value"]].tolist() == pytest.approx([27.5, 40])
    assert q["blended_k_per_yr"].tolist() == pytest.approx([20, 20])
    assert (q["blend"] + "/" + q["period"] + "/" + q["product"] + "/" + q["basis"]).tolist(
        ) == ["mix/p1/petrol/mass"] * 2
    shut = {**tables, "blends": "blend,site,product,components,basis,capacity_k_per_yr\n"
                                "mix,plant,petrol,a;b,mass,0"}
    q = solve_case(write_case(tmp_path / "shut", shut))["blend_qualities"]
    assert q["value"].isna().all() and q["blended_k_per_yr"].tolist() == [0, 0]
