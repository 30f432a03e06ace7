"""Validation messages: every kind of bad input says where, what was found and what to do.

Each test copies the embedded small_chain case, breaks one thing in its CSV or YAML
text and checks the exact place (file, spreadsheet row with the header as row 1,
column or YAML key), the finding and the hint of the reported problem.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from chainopt import api
from chainopt.case.load import load_case
from chainopt.errors import InputError, Problem
from tests.conftest import SMALL_CHAIN, edit_csv
from tests.toycase import TWO_PERIODS, solve_case, write_case


def problems_of(case_dir: Path) -> list[Problem]:
    """The problems of the InputError that loading ``case_dir`` must raise."""
    with pytest.raises(InputError) as info:
        load_case(case_dir)
    assert info.value.problems, "an InputError must list at least one problem"
    # The exception text lists every problem, so the CLI can print it as it is.
    for p in info.value.problems:
        assert str(p) in str(info.value)
    return info.value.problems


def only_problem(case_dir: Path) -> Problem:
    """The single problem reported for ``case_dir`` (one break, one message, no echoes)."""
    found = problems_of(case_dir)
    assert len(found) == 1, "expected one problem, got:\n" + "\n".join(map(str, found))
    return found[0]


def test_unbroken_copy_is_valid(small_case_dir: Path) -> None:
    assert load_case(small_case_dir).name == "small_chain"


# -- references ---------------------------------------------------------------------------

def test_unknown_commodity_names_file_row_column_value_and_hint(small_case_dir: Path) -> None:
    # Row 18 of mode_flows.csv (header = row 1) is the naphtha input of crack_naphtha.
    edit_csv(small_case_dir / "mode_flows.csv", "crack_naphtha,naphtha,in",
             "crack_naphtha,naptha,in")
    p = only_problem(small_case_dir)
    assert p.where == "mode_flows.csv row 18, column commodity"
    assert p.message == "unknown commodity name (found 'naptha')"
    assert p.hint == "did you mean 'naphtha'?"
    assert str(p) == ("mode_flows.csv row 18, column commodity: unknown commodity name "
                      "(found 'naptha'); did you mean 'naphtha'?")


def test_unknown_name_in_a_list_column(small_case_dir: Path) -> None:
    # links.csv row 4 is rail_dom, which carries diesel;fuel_oil;lpg;hdpe;pp.
    edit_csv(small_case_dir / "links.csv", "diesel;fuel_oil;lpg", "diesel;fuel_oi;lpg")
    p = only_problem(small_case_dir)
    assert p.where == "links.csv row 4, column commodities"
    assert "unknown commodity name in list" in p.message
    assert "diesel;fuel_oi;lpg" in p.message
    assert p.hint == "did you mean 'fuel_oil'?"


@pytest.mark.parametrize(
    ("file", "old", "new", "where", "message", "hint"),
    [
        ("mode_flows.csv", "crack_naphtha,naphtha,in", "crack_naphtha,nitrogen,in",
         "mode_flows.csv row 18, column commodity",
         "unknown commodity name (found 'nitrogen')", "declare it in commodities.csv"),
        ("links.csv", "diesel;fuel_oil;lpg", "diesel;nitrogen;lpg",
         "links.csv row 4, column commodities",
         "unknown commodity name in list (found 'diesel;nitrogen;lpg;hdpe;pp')",
         "declare it in commodities.csv"),
        ("units.csv", "tob_cdu,tobolsk,cdu,", "tob_cdu,tobolsk,xyzzy,",
         "units.csv row 2, column process", "unknown process name (found 'xyzzy')",
         "declare it in modes.csv (column process)"),
        ("projects.csv", ",25,p2026,", ",25,first,",
         "projects.csv row 2, column earliest_period", "unknown period name (found 'first')",
         "the periods of case.yaml: p2026, p2031, p2036"),
    ],
    ids=["commodity", "commodity_in_list", "process", "period"],
)
def test_unknown_name_with_no_close_one_says_where_to_declare_it(
        small_case_dir: Path, file: str, old: str, new: str, where: str, message: str,
        hint: str) -> None:
    """An unknown name close to none (nitrogen: no commodity of small_chain is near it)
    had no hint at all; it now names the table to declare it in: a commodity in
    commodities.csv, a process in modes.csv's process column (processes have no table of
    their own), and a period lists case.yaml's three periods (p2026, p2031, p2036)."""
    edit_csv(small_case_dir / file, old, new)
    p = only_problem(small_case_dir)
    assert (p.where, p.message, p.hint) == (where, message, hint)


def test_a_name_repeated_in_a_list(small_case_dir: Path) -> None:
    """rail_dom carrying lpg twice made two flow variables of lpg on it (duplicate rows in
    flows.csv, an LP export without its names). Refused, naming the repeated one."""
    edit_csv(small_case_dir / "links.csv", "diesel;fuel_oil;lpg;hdpe;pp",
             "diesel;fuel_oil;lpg;hdpe; lpg;pp")
    p = only_problem(small_case_dir)
    assert p.where == "links.csv row 4, column commodities"
    assert p.message == ("a commodity is named twice in this list "
                         "(found 'diesel;fuel_oil;lpg;hdpe;lpg;pp')")
    assert p.hint == "list 'lpg' once"


def test_unknown_process_of_a_unit(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "units.csv", "tob_cracker,tobolsk,cracker",
             "tob_cracker,tobolsk,craker")
    p = only_problem(small_case_dir)
    assert p.where == "units.csv row 4, column process"
    assert p.message == "unknown process name (found 'craker')"
    assert p.hint == "did you mean 'cracker'?"


def test_unknown_site_without_a_close_name_is_told_where_to_declare_it(
        small_case_dir: Path) -> None:
    """No 'did you mean' (no site is close to yamal): the table that declares sites."""
    edit_csv(small_case_dir / "supplies.csv", "wsib,raw_gas", "yamal,raw_gas")
    p = only_problem(small_case_dir)
    assert p.where == "supplies.csv row 3, column site"
    assert p.message == "unknown site name (found 'yamal')"
    assert p.hint == "declare it in sites.csv"


# -- keys ---------------------------------------------------------------------------------

def test_duplicate_key_names_the_key_column(small_case_dir: Path) -> None:
    # A second 'chn' row is inserted at row 6; the original moves to row 7 and is the repeat.
    edit_csv(small_case_dir / "sites.csv", "chn,31.2", "chn,30.0,120.0,copy\nchn,31.2")
    p = only_problem(small_case_dir)
    assert p.where == "sites.csv row 7, column site"
    assert p.message == "duplicate key (site) (found 'chn')"
    assert "each key may appear once" in p.hint


def test_duplicate_two_column_key(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "supplies.csv", "wsib,raw_gas,20,12000",
             "wsib,raw_gas,20,12000\nwsib,crude,300,100")
    p = only_problem(small_case_dir)
    assert p.where == "supplies.csv row 4, columns site, commodity"
    assert p.message == "duplicate key (site, commodity) (found 'wsib/crude')"


# -- numbers ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("file", "old", "new", "where", "message"),
    [
        ("supplies.csv", "wsib,crude,340,8000", "wsib,crude,340,-5",
         "supplies.csv row 2, column max_k_per_yr", "must be at least 0 (found '-5')"),
        ("units.csv", "tob_pp,tobolsk,pp_plant,250", "tob_pp,tobolsk,pp_plant,-250",
         "units.csv row 6, column capacity_k_per_yr", "must be at least 0 (found '-250')"),
        ("mode_flows.csv", "pp_run,pp,out,1", "pp_run,pp,out,0",
         "mode_flows.csv row 26, column amount_per_unit", "must be greater than 0 (found '0')"),
        ("links.csv", "crude_pipe,wsib,tobolsk,pipeline,crude,8000,5,0.002",
         "crude_pipe,wsib,tobolsk,pipeline,crude,8000,5,-0.1",
         "links.csv row 2, column loss_fraction", "must be at least 0 (found '-0.1')"),
        ("units.csv", "tob_cdu,tobolsk,cdu,8000,0.95", "tob_cdu,tobolsk,cdu,8000,1.5",
         "units.csv row 2, column availability", "must be at most 1 (found '1.5')"),
    ],
    ids=["negative_supply_cap", "negative_capacity", "zero_yield", "negative_loss",
         "availability_above_1"],
)
def test_out_of_range_numbers(small_case_dir: Path, file: str, old: str, new: str,
                              where: str, message: str) -> None:
    edit_csv(small_case_dir / file, old, new)
    p = only_problem(small_case_dir)
    assert (p.where, p.message) == (where, message)


@pytest.mark.parametrize(
    ("file", "old", "new", "where", "message", "hint"),
    [
        ("links.csv", "crude_pipe,wsib,tobolsk,pipeline,crude,8000,5,0.002",
         "crude_pipe,wsib,tobolsk,pipeline,crude,8000,5,1",
         "links.csv row 2, column loss_fraction", "must be at most 0.999 (found '1')",
         "a fraction: 1 % is 0.01"),
        ("units.csv", "tob_cdu,tobolsk,cdu,8000,0.95", "tob_cdu,tobolsk,cdu,8000,95",
         "units.csv row 2, column availability", "must be at most 1 (found '95')",
         "a fraction: 95 % is 0.95"),
        ("links.csv", "crude_pipe,wsib,tobolsk,pipeline,crude,8000,5,0.002",
         "crude_pipe,wsib,tobolsk,pipeline,crude,8000,5,0.9995",
         "links.csv row 2, column loss_fraction", "must be at most 0.999 (found '0.9995')",
         ""),
    ],
    ids=["loss_1", "availability_95", "loss_0.9995"],
)
def test_a_fraction_given_as_a_percentage_is_told_so(small_case_dir: Path, file: str,
                                                     old: str, new: str, where: str,
                                                     message: str, hint: str) -> None:
    """A loss_fraction of 1 (meant 1 %) got only 'must be at most 0.999'; a fraction
    column (0 to at most 1) given 1 or more now says it is a fraction, the value read as
    a percentage: 1 % = 1/100 = 0.01, 95 % = 95/100 = 0.95. A value above the bound but
    below 1 (0.9995) is no percentage: no hint."""
    edit_csv(small_case_dir / file, old, new)
    p = only_problem(small_case_dir)
    assert (p.where, p.message, p.hint) == (where, message, hint)


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "NaN", "1e999"])
def test_non_finite_number_is_reported_once(small_case_dir: Path, text: str) -> None:
    """Not also as 'must be at least 0' or 'not a number': one cell, one message."""
    edit_csv(small_case_dir / "units.csv", "tob_pp,tobolsk,pp_plant,250",
             f"tob_pp,tobolsk,pp_plant,{text}")
    p = only_problem(small_case_dir)
    assert p.where == "units.csv row 6, column capacity_k_per_yr"
    assert p.message == f"must be a finite number (found '{text}')"


@pytest.mark.parametrize("text", ["1e308", "-2e15", "1.5e15"])
def test_a_number_too_large_for_any_chain_is_refused_once(small_case_dir: Path,
                                                         text: str) -> None:
    """A price of 1e308 passed validation and HiGHS (which takes 1e20 as infinite) failed
    the solve, its message suggesting a longer time limit. Any number beyond 1e15 in size
    (no price, cost, quantity or rate comes near it) is now refused at its cell, once
    (not also as below a lower bound); 1e15 itself passes. Whole-number columns (a tier,
    a name more than an amount: 1e19 is a valid tier) are not held to it."""
    edit_csv(small_case_dir / "markets.csv", "chn,pp,930", f"chn,pp,{text}")
    p = only_problem(small_case_dir)
    assert p.where == "markets.csv row 11, column price_usd_per_unit"
    assert p.message == f"must be at most 1e+15 in size (found '{text}')"
    edit_csv(small_case_dir / "markets.csv", f"chn,pp,{text}", "chn,pp,1e15")
    load_case(small_case_dir)  # valid


def test_a_sweep_to_a_number_too_large_is_refused_before_solving(tmp_path) -> None:
    """A sweep adding 1e308 to the HDPE price (red-team: ``--set ...+=1e308,-1e308``)
    passed the warm map's own cell check (finite, at least 0) and HiGHS failed the solve
    (exit 4). The map checks the same size limit as validation, so every variant is
    refused as bad input naming the cell, and nothing is solved."""
    with pytest.raises(InputError, match=r"markets.csv row 6, column price_usd_per_unit: "
                                         r"must be at most 1e\+15 in size"):
        api.sweep("small_chain", sets=["markets.price_usd_per_unit[commodity=hdpe]"
                                       "+=1e308,-1e308"], out=tmp_path, jobs=1)


@pytest.mark.parametrize("text", ["lots", "12 kt", "n/a"])
def test_text_in_a_number_column(small_case_dir: Path, text: str) -> None:
    edit_csv(small_case_dir / "markets.csv", "chn,pp,930", f"chn,pp,{text}")
    p = only_problem(small_case_dir)
    assert p.where == "markets.csv row 11, column price_usd_per_unit"
    assert p.message == f"not a number (found '{text}')"


@pytest.mark.parametrize(("text", "hint"), [
    ("8,000", "thousands separator? write 8000 (no separator), not 8,000"),
    ("1,234,567.5", "thousands separator? write 1234567.5 (no separator), not 1,234,567.5"),
    ("0,95", "decimal comma? write the decimal point: 0.95, not 0,95"),
    ("0,950", "decimal comma? write the decimal point: 0.950, not 0,950"),
    ("12,5", "decimal comma? write the decimal point: 12.5, not 12,5"),
    ("8,0000", "decimal comma? write the decimal point: 8.0000, not 8,0000"),
    ("95%", "a percentage? write the fraction: 0.95, not 95%"),
    ("12.5 %", "a percentage? write the fraction: 0.125, not 12.5 %")])
def test_a_comma_in_a_number_gets_the_hint_for_what_it_likely_is(small_case_dir: Path,
                                                                 text: str, hint: str) -> None:
    """'8,000' (a leading 1-3 digits, then groups of exactly three) is a thousands
    separator: the decimal-comma hint made the user write 8.000 = 8, a thousandth of the
    8000 meant. Other comma forms ('0,95'; '0,950', as no thousands group starts with 0;
    '8,0000') keep the decimal-comma hint. Each hint writes the cell's own value as meant
    (it said "write 8000" for 1,000 and "0.1, not 10%" for 95%)."""
    edit_csv(small_case_dir / "markets.csv", "chn,pp,930", f'chn,pp,"{text}"')
    p = only_problem(small_case_dir)
    assert p.where == "markets.csv row 11, column price_usd_per_unit"
    assert p.message == f"not a number (found '{text}')"
    assert p.hint == hint


def test_blank_required_value(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "markets.csv", "chn,pp,930", "chn,pp,")
    p = only_problem(small_case_dir)
    assert p.where == "markets.csv row 11, column price_usd_per_unit"
    assert p.message.startswith("a value is required here")


# -- mass balance of modes ----------------------------------------------------------------

def test_yields_that_create_mass(small_case_dir: Path) -> None:
    """pe_run turns 1.015 t ethylene into 1.5 t HDPE: 0.485 t per activity unit from nothing."""
    edit_csv(small_case_dir / "mode_flows.csv", "pe_run,hdpe,out,1", "pe_run,hdpe,out,1.5")
    p = only_problem(small_case_dir)
    assert p.where == "mode_flows.csv rows [23, 24]"
    assert p.message == ("mode 'pe_run' creates mass: outputs exceed inputs by 0.485 t per "
                         "activity unit")
    assert "lower the output amounts or add the missing input" in p.hint


def test_emissions_do_not_count_as_created_mass(small_case_dir: Path) -> None:
    """crack_ethane emits 0.8 t CO2 per t ethane (fuel burnt inside): no mass problem."""
    case = load_case(small_case_dir)
    flows = case.tables["mode_flows"]
    assert ((flows["mode"] == "crack_ethane") & (flows["commodity"] == "co2")).any()


# -- emissions of links -------------------------------------------------------------------

def _emitting_rail_dom(case_dir: Path, commodity: str, per_unit: str) -> None:
    """Give links.csv emission columns; rail_dom (row 4) emits ``per_unit`` of ``commodity``
    per unit shipped, the other links nothing."""
    path = case_dir / "links.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] += ",emission_commodity,emission_per_unit"
    lines[1:] = [line + (f",{commodity},{per_unit}" if line.startswith("rail_dom,") else ",,")
                 for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_link_emitting_no_named_commodity(small_case_dir: Path) -> None:
    """emission_per_unit 0.05 with a blank emission_commodity: the emissions vanished
    without a word (no emissions, no carbon price, no cap). Refused at the blank cell."""
    _emitting_rail_dom(small_case_dir, "", "0.05")
    p = only_problem(small_case_dir)
    assert p.where == "links.csv row 4, column emission_commodity"
    assert p.message == ("this link emits (emission_per_unit > 0) but names no emission "
                         "commodity (it is blank)")
    assert "set emission_per_unit to 0" in p.hint


def test_a_link_emitting_a_commodity_that_is_not_an_emission(small_case_dir: Path) -> None:
    """emission_commodity diesel (kind product) made a phantom 'emissions_diesel' outside
    every policy. Refused as policies.csv refuses it; co2 is fine."""
    _emitting_rail_dom(small_case_dir, "diesel", "0.05")
    p = only_problem(small_case_dir)
    assert p.where == "links.csv row 4, column emission_commodity"
    assert p.message == ("a link's emissions must be of an emission commodity "
                         "(found 'diesel')")
    assert p.hint == "set kind=emission in commodities.csv, or pick the emission commodity"
    (small_case_dir / "links.csv").write_text(
        (SMALL_CHAIN / "links.csv").read_text(encoding="utf-8"), encoding="utf-8")
    _emitting_rail_dom(small_case_dir, "co2", "0.05")
    assert load_case(small_case_dir).tables["links"]["emission_commodity"].eq("co2").sum() == 1


def test_a_hard_demand_for_an_emission_commodity(small_case_dir: Path) -> None:
    """demand.csv asking 1 kt/yr of co2 at ru_dom: co2 is released by the cracker, never
    balanced at a site, so no delivery can come from anywhere and the case came back
    'infeasible' from the solver, with no word of why. Refused at the row, as
    supplies.csv and markets.csv refuse an emission commodity; diesel is fine."""
    demand = small_case_dir / "demand.csv"
    demand.write_text("site,commodity,amount_k_per_yr\nru_dom,co2,1\n", encoding="utf-8")
    p = only_problem(small_case_dir)
    assert p.where == "demand.csv row 2, column commodity"
    assert p.message == ("an emission commodity is released to the atmosphere, never "
                         "delivered: no plan could meet a hard demand for it (found 'co2')")
    assert "cap_k_per_yr in policies.csv" in p.hint
    demand.write_text("site,commodity,amount_k_per_yr\nru_dom,diesel,1\n", encoding="utf-8")
    assert load_case(small_case_dir).tables["demand"]["commodity"].tolist() == ["diesel"]


# -- tables and columns -------------------------------------------------------------------

def test_missing_required_table(small_case_dir: Path) -> None:
    (small_case_dir / "sites.csv").unlink()
    found = problems_of(small_case_dir)
    assert str(found[0]) == "sites.csv: required table is missing; create sites.csv"


@pytest.mark.parametrize("how", ["header only", "missing"])
def test_mode_flows_without_rows_refuses_every_mode(small_case_dir: Path, how: str) -> None:
    """small_chain's modes.csv has 6 modes (rows 2-7): with mode_flows.csv holding only
    its header, or gone, each is refused as one mode without flows is (6 problems), not
    a chain that does nothing (it ran 'optimal' at -14,809.6 MUSD, building nothing)."""
    flows = small_case_dir / "mode_flows.csv"
    if how == "missing":
        flows.unlink()
    else:
        flows.write_text(flows.read_text(encoding="utf-8").splitlines()[0] + "\n",
                         encoding="utf-8")
    found = problems_of(small_case_dir)
    modes = ["cdu_run", "gpp_run", "crack_ethane", "crack_naphtha", "pe_run", "pp_run"]
    assert [str(p) for p in found] == [
        f"modes.csv row {row}, column mode: mode has no rows in mode_flows.csv "
        f"(found '{mode}'); give it inputs and outputs" for row, mode in enumerate(modes, 2)]


def test_units_csv_with_only_its_header_is_refused(small_case_dir: Path) -> None:
    """A header-only units.csv is refused as a missing one is: small_chain's modes.csv
    names the processes cdu, cracker, gpp, pe_plant, pp_plant (sorted), none run by a
    unit (it ran 'optimal' at -13,420.7 MUSD, building nothing)."""
    units = small_case_dir / "units.csv"
    units.write_text(units.read_text(encoding="utf-8").splitlines()[0] + "\n",
                     encoding="utf-8")
    assert str(only_problem(small_case_dir)) == (
        "units.csv: has no rows: modes.csv defines processes (cdu, cracker, gpp, pe_plant, "
        "pp_plant) but no unit runs them; fill in units.csv (unit, site, process, "
        "capacity_k_per_yr)")


@pytest.mark.parametrize(("file", "old", "new", "where", "what"), [
    ("markets.csv", "", "", "markets.csv row 2, column tier",
     "must be at most 1000 (found '1e20')"),
    ("links.csv", ",40,", ",1e308,", "links.csv row 2, column lifetime_yr",
     "must be at most 200 (found '1e308')"),
    ("links.csv", ",40,", ",201,", "links.csv row 2, column lifetime_yr",
     "must be at most 200 (found '201')"),
])
def test_whole_number_columns_have_an_upper_bound(small_case_dir: Path, file: str, old: str,
                                                  new: str, where: str, what: str) -> None:
    """A tier of 1e20 was accepted (sales.csv showed tier 1e+20, the key
    ru_dom/diesel/1e+20) and a lifetime_yr of 1e308: whole-number columns had no upper
    bound. A tier is at most 1000, a lifetime at most 200 years (small_chain's links live
    40; row 2 is its first link)."""
    path = small_case_dir / file
    if file == "markets.csv":  # a tier column: 1e20 in row 2, blank (tier 1) below
        rows = [r.split(",", 2) for r in path.read_text(encoding="utf-8").splitlines()]
        for i, r in enumerate(rows):
            r.insert(2, ["tier", "1e20"][i] if i < 2 else "")
        path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    else:
        edit_csv(path, old, new)
    p = only_problem(small_case_dir)
    assert (p.where, p.message) == (where, what)


@pytest.mark.parametrize(("value", "refused"), [
    ("1e-320", True), ("-5e-13", True), ("1e-12", False), ("5e-9", False), ("0", False)])
def test_a_non_zero_number_below_1e_12_is_refused_as_a_typo(small_case_dir: Path,
                                                            value: str, refused: bool) -> None:
    """A gas pipe of capacity 1e-320 (row 3 of links.csv, 12000 in small_chain) validated
    and cut NPV from 7,784.9 to -360.1 MUSD, the run warning only of "a ratio of inf".
    A non-zero number below 1e-12 in size is refused (the mirror of the 1e15 rule);
    1e-12 itself, 5e-9 (a tar yield the README shows) and 0 stay accepted. (-5e-13 is
    refused by this rule before the column's 'at least 0' would be checked: one
    problem.)"""
    edit_csv(small_case_dir / "links.csv", "gas_pipe,wsib,tobolsk,pipeline,raw_gas,12000,",
             f"gas_pipe,wsib,tobolsk,pipeline,raw_gas,{value},")
    if not refused:
        load_case(small_case_dir)
        return
    p = only_problem(small_case_dir)
    assert str(p) == (
        "links.csv row 3, column capacity_k_per_yr: must be 0 or at least 1e-12 in size "
        f"(found '{value}'); no yield, share, price or quantity is this small: a typo? "
        "(write 0 for none)")


def test_a_share_below_1e_12_is_refused_as_a_typo(small_case_dir: Path) -> None:
    """A ramp_up share of 1e-320 (first year of use of crude_pipe, row 2) is above 0, so
    it was a valid share; it is refused like a number below 1e-12."""
    edit_csv(small_case_dir / "links.csv", "lifetime_yr,project", "lifetime_yr,project,ramp_up")
    edit_csv(small_case_dir / "links.csv", "0,0,40,\n", "0,0,40,,1e-320;0.5\n")
    p = only_problem(small_case_dir)
    assert (p.where, p.message) == ("links.csv row 2, column ramp_up",
                                    "a share below 1e-12 (found '1e-320;0.5')")


@pytest.mark.parametrize("column,cell", [("ramp_up", "0.5;;0.8"), ("ramp_up", ";"),
                                         ("ramp_up", ";0.8"), ("commodities", "crude;")])
def test_an_empty_item_of_a_list_is_refused(small_case_dir: Path, column: str,
                                            cell: str) -> None:
    """An empty item of a ;-list was dropped: '0.5;;0.8' read as a ramp-up of two years
    (0.5, then 0.8 in the second year, not the third), ';' as none. crude_pipe is
    links.csv row 2."""
    if column == "ramp_up":
        edit_csv(small_case_dir / "links.csv", "lifetime_yr,project",
                 "lifetime_yr,project,ramp_up")
        edit_csv(small_case_dir / "links.csv", "0,0,40,\n", f"0,0,40,,{cell}\n")
    else:
        edit_csv(small_case_dir / "links.csv", "pipeline,crude,", f"pipeline,{cell},")
    p = only_problem(small_case_dir)
    assert (p.where, p.message) == (f"links.csv row 2, column {column}",
                                    "holds an empty item (';' twice in a row, or at an end) "
                                    f"(found '{cell}')")
    assert p.hint == ("separate the items by one ';' each (e.g. "
                      f"{'0.5;0.8' if column == 'ramp_up' else 'a;b'})")


def test_a_very_long_cell_is_cut_in_its_message(small_case_dir: Path) -> None:
    """units.csv row 3 (tob_gpp) with a site of 10,000 x's printed 10,094 bytes for one
    problem. The value is cut after 60 characters, with its length; a name of 60 (or
    fewer) is quoted whole."""
    long = "x" * 10_000
    edit_csv(small_case_dir / "units.csv", "tob_gpp,tobolsk,", f"tob_gpp,{long},")
    p = only_problem(small_case_dir)
    assert p.where == "units.csv row 3, column site"
    assert p.message == f"unknown site name (found '{'x' * 60}…' (10,000 characters))"
    edit_csv(small_case_dir / "units.csv", long, "x" * 60)
    assert only_problem(small_case_dir).message == f"unknown site name (found '{'x' * 60}')"


def test_missing_required_column_is_one_message(small_case_dir: Path) -> None:
    """Not one 'a value is required' per row on top of the missing column."""
    edit_csv(small_case_dir / "units.csv", "unit,site,process", "unit,location,process")
    found = problems_of(small_case_dir)
    assert [str(p) for p in found if "column site" in p.where] == [
        "units.csv, column site: required column is missing; add a 'site' column"]
    assert len(found) == 2  # and the unknown 'location' column
    unknown = next(p for p in found if "location" in p.where)
    assert unknown.message == "unknown column"
    assert unknown.hint.startswith("known columns: unit, site, process")


def test_unknown_column_with_closest_name(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "units.csv", "availability", "availabilty")
    p = only_problem(small_case_dir)
    assert str(p) == ("units.csv, column availabilty: unknown column; "
                      "did you mean 'availability'?")


def test_unknown_table_file(small_case_dir: Path) -> None:
    (small_case_dir / "suppliers.csv").write_text("site,commodity\n", encoding="utf-8")
    p = only_problem(small_case_dir)
    assert str(p) == "suppliers.csv: unknown table; did you mean 'supplies'?"


# -- choices and names --------------------------------------------------------------------

def test_wrong_enum_value_with_closest_choice(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "links.csv", "crude_pipe,wsib,tobolsk,pipeline",
             "crude_pipe,wsib,tobolsk,pipe_line")
    p = only_problem(small_case_dir)
    assert p.where == "links.csv row 2, column transport_mode"
    assert p.message == "not an allowed value (found 'pipe_line')"
    assert p.hint == "did you mean 'pipeline'?"


def test_wrong_enum_value_lists_the_choices(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "commodities.csv", "hdpe,t,product", "hdpe,litre,product")
    p = only_problem(small_case_dir)
    assert p.where == "commodities.csv row 13, column unit"
    assert p.message == "not an allowed value (found 'litre')"
    assert p.hint == "one of: kg, t, kt, bbl, m3, 1000m3, mcm, GJ, TJ, MWh, MMBtu, toe, boe"


@pytest.mark.parametrize(("written", "meant"), [
    ("tonne", "t"), ("Tonnes", "t"), ("barrels", "bbl"), ("mmbtu", "MMBtu"), ("gj", "GJ"),
    ("mwh", "MWh")])
def test_a_unit_spelt_out_is_named_not_a_unit_spelt_alike(small_case_dir: Path, written: str,
                                                          meant: str) -> None:
    """'tonne' is nearer in spelling to 'toe' (an energy unit, 41.868 GJ) than to 't':
    the hint named the wrong dimension; spelt-out and other-case units name the unit."""
    edit_csv(small_case_dir / "commodities.csv", "hdpe,t,product", f"hdpe,{written},product")
    assert only_problem(small_case_dir).hint == f"did you mean '{meant}'?"


def test_name_not_in_snake_case(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "units.csv", "tob_pp,", "Tob PP,")
    p = only_problem(small_case_dir)
    assert p.where == "units.csv row 6, column unit"
    assert p.message.startswith("names must be snake_case")
    assert p.message.endswith("(found 'Tob PP')")
    assert p.hint == "e.g. 'tob_pp'"


def test_each_name_not_in_snake_case_gets_its_own_suggestion(tmp_path: Path) -> None:
    """Three bad site names: each row's hint is that name made snake_case ('North Sea'
    -> 'north_sea', 'Port-2' -> 'port_2', 'Café' -> 'cafe': its accent dropped, after a
    note naming the é, which was 'caf'). Every row got the first one's hint: 'found
    'Port-2'; e.g. 'north_sea''."""
    folder = write_case(tmp_path, {
        "commodities": "commodity,unit,kind\ncrude,t,raw",
        "sites": "site\nNorth Sea\nPort-2\nCafé"})
    with pytest.raises(InputError) as exc:
        load_case(folder)
    got = {p.where: (p.message.rsplit("(found ", 1)[1], p.hint) for p in exc.value.problems
           if p.where.startswith("sites.csv")}
    assert got == {"sites.csv row 2, column site": ("'North Sea')", "e.g. 'north_sea'"),
                   "sites.csv row 3, column site": ("'Port-2')", "e.g. 'port_2'"),
                   "sites.csv row 4, column site": (
                       "'Café')", "'Café' holds U+00E9 LATIN SMALL LETTER E WITH ACUTE, outside "
                       "ASCII: type it in ASCII letters, e.g. 'cafe'")}


def test_bad_name_hint_is_the_one_suggestion_rule(tmp_path: Path) -> None:
    """A site '2nd Plant': the hint is ``names.suggest``'s answer, 'x_2nd_plant' (lower
    case, the space made _, and x_ put first as a name starts with a letter). There were
    two rules: validate's own gave this, the unused ``names.suggest`` gave 'nd_plant'
    (it stripped leading digits); now validate calls the one in names.py."""
    from chainopt.names import is_name, suggest

    folder = write_case(tmp_path, {
        "commodities": "commodity,unit,kind\ncrude,t,raw", "sites": "site\n2nd Plant"})
    with pytest.raises(InputError) as exc:
        load_case(folder)
    hint = {p.where: p.hint for p in exc.value.problems}["sites.csv row 2, column site"]
    assert hint == "e.g. 'x_2nd_plant'" == f"e.g. '{suggest('2nd Plant')}'"
    assert is_name(suggest("2nd Plant"))


# -- case.yaml ----------------------------------------------------------------------------

def test_case_yaml_unknown_key_with_hint(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "case.yaml", "discount_rate:", "discount_rat:")
    found = {p.where: p for p in problems_of(small_case_dir)}
    assert set(found) == {"case.yaml key discount_rat", "case.yaml key discount_rate"}
    typo = found["case.yaml key discount_rat"]
    assert typo.message == "unknown key (found 0.1)"
    assert typo.hint == "did you mean 'discount_rate'?"
    assert found["case.yaml key discount_rate"].message == "required key is missing"


def test_case_yaml_unknown_key_inside_solver_or_a_period(small_case_dir: Path) -> None:
    """A key misspelt inside ``solver:`` (or a period) is hinted among that mapping's
    keys: ``time_limt_s`` is one letter from ``time_limit_s``; ``zzz`` near none, so the
    hint lists the solver keys of SolverDefaults (time_limit_s, threads, method,
    mip_gap). Both hints were about case.yaml's top-level keys ("known keys:
    format_version, name, ...")."""
    yaml_file = small_case_dir / "case.yaml"
    edit_csv(yaml_file, "solver: {time_limit_s: 120,", "solver: {time_limt_s: 120,")
    p = only_problem(small_case_dir)
    assert (p.where, p.message) == ("case.yaml key solver.time_limt_s", "unknown key (found 120)")
    assert p.hint == "did you mean 'time_limit_s'?"
    edit_csv(yaml_file, "time_limt_s", "zzz")
    assert only_problem(small_case_dir).hint == \
        "known keys: time_limit_s, threads, method, mip_gap"
    edit_csv(yaml_file, "zzz", "time_limit_s")
    edit_csv(yaml_file, "length_yr: 5}", "length_yr: 5, wieght: 5}")  # the first period
    p = only_problem(small_case_dir)
    assert (p.where, p.hint) == ("case.yaml key periods.0.wieght", "did you mean 'weight'?")


@pytest.mark.parametrize(
    ("old", "new", "where", "message", "hint"),
    [
        ("discount_rate: 0.10", "discount_rate: 10%", "case.yaml key discount_rate",
         "must be a number, not a percentage (found '10%')", "a fraction: 10 % is 0.10"),
        ("discount_rate: 0.10", "discount_rate: 10", "case.yaml key discount_rate",
         "must be at most 1 (found 10)", "a fraction: 10 % is 0.10"),
        ("method: auto}", "method: auto, mip_gap: 1%}", "case.yaml key solver.mip_gap",
         "must be a number, not a percentage (found '1%')", "a fraction: 1 % is 0.01"),
        ("shortfall_penalty_usd_per_unit: 5000", "shortfall_penalty_usd_per_unit: 50%",
         "case.yaml key shortfall_penalty_usd_per_unit",
         "must be a number, not a percentage (found '50%')", "write the number without %"),
    ],
    ids=["rate_10_percent", "rate_10", "mip_gap_1_percent", "penalty_50_percent"],
)
def test_case_yaml_percentage_for_a_fraction(small_case_dir: Path, old: str, new: str,
                                             where: str, message: str, hint: str) -> None:
    """``discount_rate: 10%`` got pydantic's 'Input should be a valid number, unable to
    parse string as a number'; a percentage in a number of case.yaml is now named as
    such, and for a fraction (discount_rate, solver.mip_gap) read as one: 10 % = 10/100
    = 0.10, 1 % = 0.01. ``discount_rate: 10`` (above its bound 1) gets the same hint. A
    key that is no fraction (the shortfall penalty, USD per unit) is told to drop the %."""
    edit_csv(small_case_dir / "case.yaml", old, new)
    p = only_problem(small_case_dir)
    assert (p.where, p.message, p.hint) == (where, message, hint)


@pytest.mark.parametrize(("value", "refused"), [
    ("1.0e+308", True), ("1.0e+16", True), ("1.0e+15", False)])
def test_case_yaml_penalty_beyond_1e15_is_refused(small_case_dir: Path, value: str,
                                                   refused: bool) -> None:
    """A shortfall penalty of 1e308 USD/unit validated, then failed the run blaming
    markets.csv's coefficients (-4.17e305 MUSD per k units/yr); 1e16 ran with a warning
    pointing at links.csv. The tables' bound (1e15 in size) now holds in case.yaml too;
    1e15 itself is within it."""
    edit_csv(small_case_dir / "case.yaml", "shortfall_penalty_usd_per_unit: 5000",
             f"shortfall_penalty_usd_per_unit: {value}")
    if not refused:
        assert load_case(small_case_dir).meta.shortfall_penalty_usd_per_unit == 1e15
        return
    found = [str(p) for p in problems_of(small_case_dir)]
    assert ("case.yaml key shortfall_penalty_usd_per_unit: must be at most 1e+15: no price "
            f"or penalty comes near it, a typo? (found {float(value)!r})") in found


@pytest.mark.parametrize(
    ("old", "new", "where", "found", "hint"),
    [
        ("name: small_chain", "name: Gas Chain", "case.yaml key name", "'Gas Chain'",
         "e.g. 'gas_chain'"),
        ("{period: p2036,", "{period: P-2036,", "case.yaml key periods.2.period",
         "'P-2036'", "e.g. 'p_2036'"),
    ],
    ids=["case_name", "period_name"],
)
def test_case_yaml_name_not_snake_case_says_the_rule_in_words(
        small_case_dir: Path, old: str, new: str, where: str, found: str, hint: str) -> None:
    """``name: Gas Chain`` got pydantic's "String should match pattern
    '^[a-z][a-z0-9_]*$'"; case.yaml's names (the case's, each period's) now get the rule
    in words, as the tables' name columns do, and the name made snake_case (lower case,
    each run of other characters an _)."""
    edit_csv(small_case_dir / "case.yaml", old, new)
    p = {q.where: q for q in problems_of(small_case_dir)}[where]
    assert p.message == ("must be snake_case: lower-case letters, digits and _, starting "
                         f"with a letter (found {found})")
    assert p.hint == hint


def test_case_yaml_periods_not_contiguous(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "case.yaml", "start_year: 2031", "start_year: 2032")
    p = only_problem(small_case_dir)
    assert p.where == "case.yaml key periods"
    assert "p2026 ends in 2030 but p2031 starts in 2032" in p.message
    assert "contiguous" in p.message


def test_case_yaml_bad_period_length(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "case.yaml", "start_year: 2036, length_yr: 5",
             "start_year: 2036, length_yr: 0")
    p = only_problem(small_case_dir)
    assert p.where == "case.yaml key periods.2.length_yr"
    assert "(found 0)" in p.message


def test_one_rule_broken_by_many_periods_is_listed_20_times_and_counted(
        tmp_path: Path) -> None:
    """2,000 one-year periods from 2026 put 1,725 start years past 2300 (2301 to 4025):
    1,725 problems were listed, in pydantic's words ('Input should be less than or equal
    to 2300'). Now the first 20, as the tables' checks list, then a count of the other
    1,705, in the words the tables use."""
    tables = {"commodities": "commodity,unit,kind\nproduct,t,product", "sites": "site\nmkt",
              "markets": "site,commodity,price_usd_per_unit\nmkt,product,100"}
    with pytest.raises(InputError) as e:
        load_case(write_case(tmp_path, tables, periods=[
            {"period": f"p{2026 + i}", "start_year": 2026 + i, "length_yr": 1}
            for i in range(2000)]))
    probs = e.value.problems
    assert len(probs) == 21
    assert (probs[0].where, probs[0].message) == ("case.yaml key periods.275.start_year",
                                                  "must be at most 2300 (found 2301)")
    assert (probs[-1].where, probs[-1].message) == ("case.yaml key periods.*.start_year",
                                                    "and 1705 more like the 20 above")


@pytest.mark.parametrize(("key", "value", "where", "message", "hint"), [
    ("solver", 5, "solver", "must be a mapping of keys (found 5)",
     "e.g. solver: {method: auto, time_limit_s: 600}"),
    ("periods", {}, "periods", "must be a list",
     "one '- ' line per item, e.g. - {period: p2026, start_year: 2026, length_yr: 5}"),
    ("periods", [5], "periods.0", "must be a mapping of keys (found 5)",
     "e.g. {period: p2026, start_year: 2026, length_yr: 5}"),
    ("base_year", "2026-01-01", "base_year", "must be a whole number (found '2026-01-01')",
     ""),
    ("name", 5, "name", "must be text (found 5)", ""),
])
def test_a_case_yaml_value_of_the_wrong_kind_is_said_in_words(key, value, where, message,
                                                              hint) -> None:
    """Pydantic said "Input should be a valid dictionary or instance of SolverDefaults",
    "Input should be a valid tuple", "Input should be a valid integer, unable to parse
    string as an integer": the key, but not what to write. Now what the key must be,
    with an example where one helps (fuzz review F13)."""
    import yaml

    from chainopt.case.validate import check_meta

    meta = yaml.safe_load((SMALL_CHAIN / "case.yaml").read_text())
    [p] = check_meta({**meta, key: value})
    assert (p.where, p.message, p.hint or "") == (f"case.yaml key {where}", message, hint)


def test_a_one_period_case_with_a_bad_period_gets_one_message(tmp_path: Path) -> None:
    """A one-period case whose period has length_yr 0 was also told "periods: Tuple should
    have at least 1 item after validation, not 0" (pydantic counts the items that passed),
    as if the case had no period; the period's own problem says it all."""
    tables = {"commodities": "commodity,unit,kind\nproduct,t,product", "sites": "site\nmkt",
              "markets": "site,commodity,price_usd_per_unit\nmkt,product,100"}
    p = only_problem(write_case(tmp_path, tables, periods=[
        {"period": "p1", "start_year": 2026, "length_yr": 0}]))
    assert p.where == "case.yaml key periods.0.length_yr"
    assert p.message == "must be at least 1 (found 0)"


@pytest.mark.parametrize(("key", "value", "where"), [
    ("discount_rate", "yes", "discount_rate"), ("discount_rate", "off", "discount_rate"),
    ("periods", "[{period: p1, start_year: 2026, length_yr: on}]", "periods.0.length_yr"),
    ("periods", "[{period: p1, start_year: 2026, length_yr: 1, weight: yes}]",
     "periods.0.weight"),
    ("solver", "{mip_gap: true}", "solver.mip_gap"),
    ("shortfall_penalty_usd_per_unit", "on", "shortfall_penalty_usd_per_unit"),
    ("format_version", "true", "format_version")])
def test_case_yaml_numbers_given_as_true_or_false_are_refused(tmp_path: Path, key: str,
                                                              value: str, where: str) -> None:
    """YAML reads yes/no/on/off/true/false as booleans, and pydantic took them as 1 and 0:
    ``discount_rate: yes`` was a rate of 100 %, so a market selling 10 kt/yr at 100 USD/t
    (1 MUSD a year) over two 5-year periods 2026-2035 was worth sum_{k<10} 2^-k = 1.998 MUSD
    instead of 6.759 at 10 %; ``length_yr: on`` a one-year period; ``mip_gap: true`` a 100 %
    gap (any integer plan accepted); ``format_version: true`` was read as version 1.
    Refused at the key, naming what was read."""
    tables = {"commodities": "commodity,unit,kind\nproduct,t,product", "sites": "site\nmkt",
              "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nmkt,product,0,10",
              "markets": "site,commodity,price_usd_per_unit\nmkt,product,100"}
    folder = write_case(tmp_path, tables, discount_rate=0.1, periods=[
        {"period": "p1", "start_year": 2026, "length_yr": 5},
        {"period": "p2", "start_year": 2031, "length_yr": 5}])
    assert load_case(folder).meta.discount_rate == 0.1
    doc = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    doc.pop(key, None)
    (folder / "case.yaml").write_text(f"{yaml.safe_dump(doc)}{key}: {value}\n",
                                      encoding="utf-8")
    p = only_problem(folder)
    assert p.where == f"case.yaml key {where}"
    assert p.message.startswith("must be a number, not true/false")
    assert p.message.endswith(f"(found {value != 'off'})")


def test_case_yaml_missing_periods_is_not_echoed_by_every_period_reference(
        small_case_dir: Path) -> None:
    """projects.csv and markets_by_period.csv name periods; without periods in case.yaml
    those names cannot be checked, and must not be reported as unknown."""
    yaml_path = small_case_dir / "case.yaml"
    text = yaml_path.read_text(encoding="utf-8")
    start = text.index("periods:")
    end = text.index("demand_floors:")
    yaml_path.write_text(text[:start] + text[end:], encoding="utf-8")
    p = only_problem(small_case_dir)
    assert p.where == "case.yaml key periods"
    assert p.message == "required key is missing"
    assert "periods" in p.hint


# -- by-period overrides ------------------------------------------------------------------

def test_override_for_unknown_period(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "markets_by_period.csv", "ru_dom,hdpe,p2036", "ru_dom,hdpe,p2041")
    p = only_problem(small_case_dir)
    assert p.where == "markets_by_period.csv row 3, column period"
    assert p.message == "unknown period name (found 'p2041')"
    assert p.hint == "did you mean 'p2031'?"


def test_override_for_unknown_key(small_case_dir: Path) -> None:
    # chn,lpg are real names, but markets.csv has no such row to override.
    edit_csv(small_case_dir / "markets_by_period.csv", "ru_dom,hdpe,p2036", "chn,lpg,p2036")
    p = only_problem(small_case_dir)
    assert p.where == "markets_by_period.csv row 3, columns site, commodity"
    assert p.message == "no row with this key in markets.csv (found 'chn/lpg')"
    assert p.hint == "add the row to markets.csv first"


def test_override_of_a_column_that_does_not_vary_by_period(small_case_dir: Path) -> None:
    (small_case_dir / "units_by_period.csv").write_text(
        "unit,period,availability\ntob_cdu,p2031,0.9\n", encoding="utf-8")
    p = only_problem(small_case_dir)
    assert p.where == "units_by_period.csv, column availability"
    assert p.message == "unknown column"


def test_duplicate_override(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "markets_by_period.csv", "ru_dom,hdpe,p2036,600,360",
             "ru_dom,hdpe,p2031,600,360")
    p = only_problem(small_case_dir)
    assert p.where == "markets_by_period.csv row 3, columns site, commodity, period"
    assert p.message == "duplicate key (site, commodity, period) (found 'ru_dom/hdpe/p2031')"


@pytest.mark.parametrize(("tables", "where", "message"), [
    ({"markets": "site,commodity,tier,price_usd_per_unit,max_k_per_yr\n"
                 "plant,feed,1,100,5\nplant,feed,1,90,5"},
     "markets.csv row 3, columns site, commodity, tier",
     "duplicate key (site, commodity, tier) (found 'plant/feed/1')"),
    ({"markets": "site,commodity,tier,price_usd_per_unit,max_k_per_yr\nplant,feed,1,100,5",
      "markets_by_period": "site,commodity,tier,period,price_usd_per_unit\nplant,feed,3,p1,50"},
     "markets_by_period.csv row 2, columns site, commodity, tier",
     "no row with this key in markets.csv (found 'plant/feed/3')"),
    ({"modes": "mode,process\nrun,make",
      "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1",
      "units": "unit,site,process,capacity_k_per_yr\nu,plant,make,4",
      "constraints": "constraint,sense,rhs\nc,<=,5",
      "constraint_terms": "constraint,term,quantity,coef,unit\nc,1,activity,1,u\n"
                          "c,1,activity,2,u"},
     "constraint_terms.csv row 3, columns constraint, term",
     "duplicate key (constraint, term) (found 'c/1')")])
def test_a_whole_number_key_reads_as_the_file_writes_it(tmp_path, tables, where, message):
    """A tier, segment or term is a whole number: the file's ``1`` was echoed back as
    ``'plant/feed/1.0'`` (the column is read as floats), a key the user never wrote."""
    p = only_problem(write_case(tmp_path, {"commodities": "commodity,unit,kind\nfeed,t,raw",
                                           "sites": "site\nplant", **tables}))
    assert (p.where, p.message) == (where, message)


# -- lower bounds above upper bounds --------------------------------------------------------
# markets.csv row 6 is ru_dom,hdpe (price 900, cap 500, floor 300); markets_by_period.csv
# row 2 overrides it in p2031 (cap 550, floor 330), row 3 in p2036 (600, 360).
FLOOR = ("no sales can meet it: a soft floor would pay the shortfall penalty on the "
         "difference, a hard one make the case infeasible")


def test_demand_floor_above_its_sales_cap(small_case_dir: Path) -> None:
    # 520 > 500 in p2026 only: both later periods override cap and floor.
    edit_csv(small_case_dir / "markets.csv", "ru_dom,hdpe,900,500,300", "ru_dom,hdpe,900,500,520")
    p = only_problem(small_case_dir)
    assert p.where == "markets.csv row 6, column min_k_per_yr"
    assert p.message == ("the demand floor of hdpe at ru_dom is above its sales cap, 500, in "
                         f"p2026: {FLOOR} (found 520)")
    assert p.hint == "lower min_k_per_yr to max_k_per_yr or less, or raise max_k_per_yr"


def test_demand_floor_above_its_sales_cap_by_period(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "markets_by_period.csv", "ru_dom,hdpe,p2036,600,360",
             "ru_dom,hdpe,p2036,600,650")
    p = only_problem(small_case_dir)
    assert p.where == "markets_by_period.csv row 3, column min_k_per_yr"
    assert p.message == ("the demand floor of hdpe at ru_dom is above its sales cap, 600, in "
                         f"p2036: {FLOOR} (found 650)")


def test_sales_cap_lowered_below_the_floor_by_period(small_case_dir: Path) -> None:
    # p2031 lowers the cap to 250 and keeps markets.csv's floor, 300: the cap is named.
    edit_csv(small_case_dir / "markets_by_period.csv", "ru_dom,hdpe,p2031,550,330",
             "ru_dom,hdpe,p2031,250,")
    p = only_problem(small_case_dir)
    assert p.where == "markets_by_period.csv row 2, column max_k_per_yr"
    assert p.message == ("the sales cap of hdpe at ru_dom in p2031 is below its demand floor, "
                         f"300 (markets.csv row 6): {FLOOR} (found 250)")


TIERS = {"commodities": "commodity,unit,kind\nproduct,t,product",
         "sites": "site\nplant", "supplies": "site,commodity,cost_usd_per_unit\nplant,product,1"}


def test_a_tier_floor_is_bounded_by_its_own_cap_only(tmp_path: Path) -> None:
    """Each tier's cap and floor bound that tier's own sales: tier 2's floor 8 may exceed
    tier 1's cap 5 (it is met by tier 2's sales, up to 10), but not its own cap."""
    head = "site,commodity,tier,price_usd_per_unit,max_k_per_yr,min_k_per_yr\n"
    ok = head + "plant,product,1,300,5,0\nplant,product,2,200,10,8"
    assert load_case(write_case(tmp_path / "ok", {**TIERS, "markets": ok}))
    bad = head + "plant,product,1,300,5,0\nplant,product,2,200,10,12"
    p = only_problem(write_case(tmp_path / "bad", {**TIERS, "markets": bad}))
    assert p.where == "markets.csv row 3, column min_k_per_yr"
    assert p.message == ("the demand floor of tier 2 of product at plant is above its sales "
                         f"cap, 10, in p1: {FLOOR} (found 12)")


BLEND = {
    "commodities": "commodity,unit,kind,density_t_per_m3\nr,t,intermediate,0.75\n"
                   "h,t,intermediate,0.8\ng,m3,product,",
    "sites": "site\ns",
    "supplies": "site,commodity,cost_usd_per_unit\ns,r,500\ns,h,800",
    "markets": "site,commodity,price_usd_per_unit\ns,g,700",
    "blends": "blend,site,product,components,basis,capacity_k_per_yr\ngb,s,g,r;h,volume,100",
    "qualities": "commodity,property,value\nr,octane,90\nh,octane,100",
}
SPEC = "no blend can meet both, so none of the product can be blended"


def test_spec_minimum_above_its_maximum(tmp_path: Path) -> None:
    specs = "commodity,property,min_value,max_value\ng,octane,96,90"
    p = only_problem(write_case(tmp_path, {**BLEND, "specs": specs}, periods=TWO_PERIODS))
    assert p.where == "specs.csv row 2, column min_value"
    assert p.message == ("the minimum of the octane spec of g is above its maximum, 90, in p1 "
                         f"and p2: {SPEC} (found 96)")
    assert p.hint == "lower min_value to max_value or less, or raise max_value"


def test_spec_maximum_lowered_below_the_minimum_by_period(tmp_path: Path) -> None:
    p = only_problem(write_case(tmp_path, {
        **BLEND, "specs": "commodity,property,min_value,max_value\ng,octane,96,",
        "specs_by_period": "commodity,property,period,max_value\ng,octane,p2,95"},
        periods=TWO_PERIODS))
    assert p.where == "specs_by_period.csv row 2, column max_value"
    assert p.message == ("the maximum of the octane spec of g in p2 is below its minimum, 96 "
                         f"(specs.csv row 2): {SPEC} (found 95)")


def test_a_spec_no_component_reaches_is_refused(tmp_path: Path) -> None:
    """r (octane 90) and h (100): any mix has an octane between 90 and 100, so a minimum of
    101 can never be met. The run was optimal with the blend at 0 and no word (unless a
    demand floor needed it); now refused at the row stating the limit. So is a maximum
    lowered to 89 in p2 (specs_by_period.csv), below r's 90."""
    p = only_problem(write_case(tmp_path / "min", {
        **BLEND, "specs": "commodity,property,min_value\ng,octane,101"}, periods=TWO_PERIODS))
    assert p.where == "specs.csv row 2, column min_value"
    assert p.message == ("no mix of blend 'gb' meets the octane minimum of g, 101, in p1 and "
                         "p2: its highest component, h, has 100, below it, so the blend could "
                         "only make nothing")
    assert p.hint == ("lower min_value to 100 or less, or add a component whose octane is at "
                      "least 101 to blend 'gb' (blends.csv row 2)")
    p = only_problem(write_case(tmp_path / "max", {
        **BLEND, "specs": "commodity,property,max_value\ng,octane,95",
        "specs_by_period": "commodity,property,period,max_value\ng,octane,p2,89"},
        periods=TWO_PERIODS))
    assert p.where == "specs_by_period.csv row 2, column max_value"
    assert p.message.startswith("no mix of blend 'gb' meets the octane maximum of g, 89, in "
                                "p2: its lowest component, r, has 90, above it")


def test_a_spec_a_shut_blend_cannot_meet_is_not_refused(tmp_path: Path) -> None:
    """A blend of capacity 0 in a period makes nothing there by the case's own word, so a
    spec it cannot meet there is no reason to refuse the case. Diesel from b1 (hs alone,
    1000 ppm sulphur, capacity 5 kt, shut in p2) and b2 (hs or ls, 8 ppm, no capacity);
    sulphur at most 2000 ppm, 10 in p2 (specs_by_period). hs 10 kt at 100 USD/t, ls 10 kt
    at 300, diesel sold at 400, rate 0. p1: both specs hold for any mix, all 20 kt are
    blended, 10 x 300 + 10 x 100 = 4,000 kUSD. p2: b2 only, hs mass h with the 10 kt of ls:
    1000 h + 8 x 10 <= 10 (h + 10), h <= 20/990 = 0.0202 kt, 1,000 + 300 x 20/990 =
    1,006.06 kUSD. Objective 5.00606 MUSD. Refused before ('no mix of blend b1 meets the
    sulfur maximum of diesel, 10, in p2')."""
    case = load_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind\nhs,t,raw\nls,t,raw\ndiesel,t,product",
        "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,hs,100,10\n"
                    "a,ls,300,10",
        "markets": "site,commodity,price_usd_per_unit\na,diesel,400",
        "blends": "blend,site,product,components,basis,capacity_k_per_yr\n"
                  "b1,a,diesel,hs,mass,5\nb2,a,diesel,hs;ls,mass,",
        "blends_by_period": "blend,period,capacity_k_per_yr\nb1,p2,0",
        "qualities": "commodity,property,value\nhs,sulfur,1000\nls,sulfur,8",
        "specs": "commodity,property,max_value\ndiesel,sulfur,2000",
        "specs_by_period": "commodity,property,period,max_value\ndiesel,sulfur,p2,10",
    }, periods=TWO_PERIODS))
    assert api.solve(api.build_model(case)).objective == pytest.approx(4 + 1 + 0.3 * 20 / 990)


def test_a_spec_of_a_product_no_blend_makes_is_refused(tmp_path: Path) -> None:
    """Only a blend enforces a spec: an octane minimum of a product no blend makes (here
    r, bought) held nowhere and the run went on without a word."""
    p = only_problem(write_case(tmp_path, {
        **BLEND, "specs": "commodity,property,min_value\ng,octane,92\nr,octane,95"}))
    assert p.where == "specs.csv row 3, column commodity"
    assert p.message.startswith("no blend makes this product, so its spec would hold nowhere")
    assert "(found 'r')" in p.message

def test_a_recipe_missing_a_spec_is_refused_on_the_specs_basis(tmp_path: Path) -> None:
    """A recipe of 1 t of r (octane 90, 0.75 t/m3) to 1 t of h (100, 0.8 t/m3) is fixed:
    by mass its octane is 95, by volume (90 x 1/0.75 + 100 x 1/0.8) / (1/0.75 + 1/0.8) =
    245 / (31/12) = 94.8387. A minimum of 95 is met by mass (the recipe's basis) and
    missed by volume (the spec's own basis), which is refused: the blend could never run."""
    recipe = {**BLEND, "blends": "blend,site,product,components,basis,shares\n"
                                 "gb,s,g,r;h,recipe,1;1"}
    ok = "commodity,property,min_value\ng,octane,95"
    assert load_case(write_case(tmp_path / "mass", {**recipe, "specs": ok}))
    p = only_problem(write_case(tmp_path / "volume", {
        **recipe, "specs": "commodity,property,min_value,basis\ng,octane,95,volume"}))
    assert p.where == "specs.csv row 2, column min_value"
    assert p.message == ("no mix of blend 'gb' meets the octane minimum of g, 95, in p1: its "
                         "recipe (1;1, r;h) averages 94.8387 by volume, below it, so the blend "
                         "could only make nothing")
    assert p.hint == ("lower min_value to 94.8387 or less, or change the recipe's shares "
                      "(blends.csv row 2)")


# -- everything at once -------------------------------------------------------------------

def test_problems_in_several_files_are_reported_together(small_case_dir: Path) -> None:
    edit_csv(small_case_dir / "mode_flows.csv", "crack_naphtha,naphtha,in",
             "crack_naphtha,naptha,in")
    edit_csv(small_case_dir / "markets.csv", "chn,pp,930", "chn,pp,lots")
    edit_csv(small_case_dir / "units.csv", "availability", "availabilty")
    edit_csv(small_case_dir / "case.yaml", "base_year: 2026", "base_yaer: 2026")
    with pytest.raises(InputError) as info:
        load_case(small_case_dir)
    exc = info.value
    assert len(exc.problems) >= 3
    text = str(exc)
    assert text.startswith(f"{len(exc.problems)} problems in the input:")
    for expected in (
        "mode_flows.csv row 18, column commodity: unknown commodity name (found 'naptha'); "
        "did you mean 'naphtha'?",
        "markets.csv row 11, column price_usd_per_unit: not a number (found 'lots')",
        "units.csv, column availabilty: unknown column; did you mean 'availability'?",
        "case.yaml key base_yaer: unknown key (found 2026); did you mean 'base_year'?",
    ):
        assert expected in text


def test_lists_are_written_back_in_one_canonical_form():
    """Items stripped, empty items dropped, joined by ';'; a cell without items takes the
    column's default."""
    from chainopt.case.schema import split_list
    from chainopt.case.validate import _rejoin

    cells = pd.Series([" a ; b;", "", "c", ";;", " x;y ;z "], dtype="str")
    assert _rejoin(split_list(cells), cells.index, "D").tolist() == [
        "a;b", "D", "c", "D", "x;y;z"]


# free disposal (commodities.csv): a value the model would ignore is refused at its cell
SPLIT = {
    "sites": "site\nplant",
    "modes": "mode,process\nsplit,cdu",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nsplit,crude,in,1\n"
                  "split,light,out,0.5\nsplit,heavy,out,0.5\nsplit,co2,out,0.1",
    "units": "unit,site,process,capacity_k_per_yr\ncdu1,plant,cdu,10",
    "supplies": "site,commodity,cost_usd_per_unit\nplant,crude,100",
    "markets": "site,commodity,price_usd_per_unit\nplant,light,300",
}
DISPOSAL = "commodity,unit,kind,disposal,disposal_cost_usd_per_unit\ncrude,t,raw,,\n" \
           "light,t,product,,\nheavy,t,intermediate,{heavy}\nco2,t,emission,{co2}"


def test_a_disposal_cost_without_disposal_is_refused(tmp_path):
    """heavy (row 4) costs 20 USD/t to dispose of but has no ``disposal: true``: it gets no
    disposal variable, its balance stays made = used, and with no market for it the unit
    stays shut (objective 0), the 20 USD/t priced nothing. It was accepted and ignored."""
    p = only_problem(write_case(tmp_path, {**SPLIT, "commodities": DISPOSAL.format(
        heavy="false,20", co2=",")}))
    assert p.where == "commodities.csv row 4, column disposal_cost_usd_per_unit"
    assert p.message == ("a disposal cost applies only to a commodity with disposal: true, "
                         "which this one has not: this value would be ignored (found '20')")
    assert p.hint == ("set disposal to true to let the excess be discarded at this cost, or "
                      "leave disposal_cost_usd_per_unit blank")


def test_disposal_of_an_emission_commodity_is_refused(tmp_path):
    """co2 (row 5) is released by the mode, never balanced: ``disposal: true`` there made no
    disposal variable and its 5 USD/t cost nothing (0.1 t co2 per t crude, 10 kt/yr crude:
    1 kt/yr co2 would have cost 5 kUSD/yr; it cost 0). Accepted and ignored before; one
    problem now, at the disposal column (the cost goes with it)."""
    p = only_problem(write_case(tmp_path, {**SPLIT, "commodities": DISPOSAL.format(
        heavy="true,0", co2="true,5")}))
    assert p.where == "commodities.csv row 5, column disposal"
    assert p.message.startswith("an emission commodity is released to the atmosphere, never "
                                "balanced")
    assert p.message.endswith("this value would be ignored (found 'true')")
    assert p.hint == ("leave disposal blank (or false); to price or cap emissions use "
                      "policies.csv")
    assert load_case(write_case(tmp_path / "ok", {**SPLIT, "commodities": DISPOSAL.format(
        heavy="true,20", co2=",")}))


def test_an_emission_commodity_cannot_be_blended(tmp_path):
    """co2 (emission) is released by the mode, never balanced. As a blend component it got
    a balance row of its own, -blend[b1,co2] = 0 (the 0.1 t co2 per t crude the mode emits
    never enters it), so the blend took none: crude alone went in (the unit stays shut, its
    heavy having nowhere to go), objective 5 x (300 - 100) / 1000 = 1.0 MUSD, the co2
    silently dropped, and balances.csv gave co2 a value of 100 USD/t at plant. As a
    blend's product the blend made co2 that nothing could take. Both were accepted; now
    refused (as a link may not ship one)."""
    tables = {**SPLIT, "commodities": DISPOSAL.format(heavy=",", co2=",")}
    p = only_problem(write_case(tmp_path / "a", {**tables, "blends": (
        "blend,site,product,components,basis,capacity_k_per_yr\n"
        "b1,plant,light,co2;crude,mass,5")}))
    assert p.where == "blends.csv row 2, column components"
    assert p.message == ("an emission commodity is released to the atmosphere, never "
                         "balanced: it cannot go into a blend (found 'co2;crude')")
    p = only_problem(write_case(tmp_path / "b", {**tables, "blends": (
        "blend,site,product,components,basis\nb1,plant,co2,crude,mass")}))
    assert p.where == "blends.csv row 2, column product"
    assert p.message.endswith("no blend can make it (found 'co2')")


def _two_commodity_link(unit_b: str, price_b: float, capacity: str = "10",
                        supply_max: str = "") -> dict[str, str]:
    """a (t) and b (``unit_b``) bought free at x, shipped on one link xy to y and sold
    there (a at 50 USD/t, b at ``price_b`` per its unit)."""
    return {"commodities": f"commodity,unit,kind\na,t,raw\nb,{unit_b},raw",
            "sites": "site\nx\ny",
            "supplies": f"site,commodity,cost_usd_per_unit,max_k_per_yr\n"
                        f"x,a,0,{supply_max}\nx,b,0,{supply_max}",
            "links": f"link,from_site,to_site,commodities,capacity_k_per_yr\n"
                     f"xy,x,y,a;b,{capacity}",
            "markets": f"site,commodity,price_usd_per_unit\ny,a,50\ny,b,{price_b}"}


def test_a_capped_link_carrying_commodities_in_different_units_is_refused(tmp_path):
    """The link's commodities share its 10 k units/yr. With b in t (100 USD/t) the link
    carries 10 kt of b: 10 x 100 / 1000 = 1.0 MUSD. The same case with b stated in kg
    (0.1 USD/kg, the same 100 USD/t) summed k kg and kt in one capacity: 10 k kg of b
    (10 t) filled it as 10 kt of a did, so the plan shipped a: 10 x 50 / 1000 = 0.5 MUSD,
    half the value, for a change of unit alone. Now refused at the link's commodities;
    with a blank (unlimited) capacity there is no sum and mixed units stay allowed
    (5 kt of a and 5 k kg of b: 5 x 50 / 1000 + 5 x 1000 x 0.1 / 1e6 = 0.2505 MUSD)."""

    assert solve_case(write_case(tmp_path / "t", _two_commodity_link("t", 100))
                      ).objective == pytest.approx(1.0, rel=1e-9)
    p = only_problem(write_case(tmp_path / "kg", _two_commodity_link("kg", 0.1)))
    assert p.where == "links.csv row 2, column commodities"
    assert p.message == ("the link's commodities share its capacity but are in different "
                         "units, which add up to no quantity (found 'a;b')")
    assert p.hint == ("its commodities by unit are t: a; kg: b; give each unit its own "
                      "link, or state them in one unit (commodities.csv, column unit)")
    # a capacity given only by period is a capacity too
    by_period = write_case(tmp_path / "bp", {**_two_commodity_link("kg", 0.1, capacity=""),
                           "links_by_period": "link,period,capacity_k_per_yr\nxy,p1,10"})
    assert only_problem(by_period).where == "links.csv row 2, column commodities"
    unlimited = write_case(tmp_path / "blank", _two_commodity_link("kg", 0.1, capacity="",
                                                                    supply_max="5"))
    assert solve_case(unlimited).objective == pytest.approx(0.2505, rel=1e-9)


def test_a_ramp_up_longer_than_the_life_is_refused(tmp_path):
    """ramp_up gives the usable share of each of a build's first years of use: a unit of
    lifetime_yr 2 with '0.5;0.8;0.9' has a third share no year reads (it was accepted
    and ignored). Refused at units.csv row 2 (the file's line), column ramp_up, saying 3
    shares for a life of 2; '0.5;0.8' (two shares) passes."""
    def case(ramp: str):
        return write_case(tmp_path / ramp.replace(";", "_"), {
            "commodities": "commodity,unit,kind\na,t,raw\nb,t,product",
            "sites": "site\ns", "modes": "mode,process\nm,p",
            "mode_flows": "mode,commodity,direction,amount_per_unit\nm,a,in,1\nm,b,out,1",
            "units": "unit,site,process,capacity_k_per_yr,capex_usd_per_unit_yr,"
                     f"max_new_k_per_yr,lifetime_yr,ramp_up\nu,s,p,0,100,10,2,{ramp}",
            "supplies": "site,commodity,cost_usd_per_unit\ns,a,100",
            "markets": "site,commodity,price_usd_per_unit\ns,b,300"})

    with pytest.raises(InputError) as exc:
        load_case(case("0.5;0.8;0.9"))
    (p,) = exc.value.problems
    assert p.where == "units.csv row 2, column ramp_up", p.where
    assert "more yearly shares than the unit has years of life" in p.message
    assert "it lists 3 shares for a lifetime_yr of 2" in p.hint
    load_case(case("0.5;0.8"))


def test_an_unreachable_specs_hint_rounds_towards_what_the_blend_reaches(tmp_path: Path):
    """h's octane 94.83876 is the most a mix of r (90) and h reaches: a minimum of 95 is
    refused with the hint to lower it; to 6 digits by nearest rounding that read "to
    94.8388 or less", still above 94.83876 (a user following it is refused again); now
    94.8387, rounded down. A maximum of 89 with r's octane at 90.00004 read "raise
    max_value to 90 or more", below 90.00004; now 90.0001, rounded up."""
    low = {**BLEND, "qualities": "commodity,property,value\nr,octane,90\nh,octane,94.83876",
           "specs": "commodity,property,min_value\ng,octane,95"}
    p = only_problem(write_case(tmp_path / "min", low))
    assert p.hint.startswith("lower min_value to 94.8387 or less"), p.hint
    high = {**BLEND, "qualities": "commodity,property,value\nr,octane,90.00004\nh,octane,100",
            "specs": "commodity,property,max_value\ng,octane,89"}
    p = only_problem(write_case(tmp_path / "max", high))
    assert p.hint.startswith("raise max_value to 90.0001 or more"), p.hint


# money pumps: an unlimited supply that earns by itself makes the case unbounded
PUMP_YAML = {"periods": [{"period": "p1", "start_year": 2026, "length_yr": 1},
                         {"period": "p2", "start_year": 2027, "length_yr": 1}]}


def test_an_unlimited_supply_discarded_at_a_salvage_value_is_refused(tmp_path):
    """scrap may be discarded at disposal_cost_usd_per_unit -50 (a salvage value: 50 USD/t
    paid for each t discarded) and bought at a without limit for 20 USD/t in p1 (60 in p2,
    supplies_by_period.csv). Buying a t to discard it earns 50 - 20 = 30 USD in p1, for
    every t: the LP is unbounded, and the run said only "unbounded ... Run chainopt
    explain", whose hint named the supply limit but not the salvage. Now refused at the
    supply's blank cap, naming p1 only (in p2 a t costs 10 more than it fetches), the
    commodity's row and both ways out: cap the supply, or raise the cost to -20 or more.

    With the supply capped at 10 kt/yr the case solves: 10 x 30 kUSD in p1, nothing bought
    in p2; rate 0, one-year periods: objective 0.3 MUSD."""
    tables = {"commodities": "commodity,unit,kind,disposal,disposal_cost_usd_per_unit\n"
                             "scrap,t,raw,true,-50",
              "sites": "site\na",
              "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,scrap,20,",
              "supplies_by_period": "site,commodity,period,cost_usd_per_unit\na,scrap,p2,60"}
    p = only_problem(write_case(tmp_path / "pump", tables, **PUMP_YAML))
    assert p.where == "supplies.csv row 2, column max_k_per_yr"
    assert p.message == (
        "the supply of scrap at a has no max_k_per_yr (unlimited) and costs 20 USD per t in "
        "p1, less than the 50 USD per t discarding it pays (commodities.csv row 2, "
        "disposal_cost_usd_per_unit -50: a salvage value): buying scrap to discard it earns "
        "30 USD per t without limit, so the case is unbounded")
    assert p.hint == ("give this supply a max_k_per_yr, or raise scrap's "
                      "disposal_cost_usd_per_unit to -20 or more (0 for free disposal)")
    capped = {**tables, "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\n"
                                    "a,scrap,20,10"}
    r = solve_case(write_case(tmp_path / "capped", capped, **PUMP_YAML))
    assert r.objective == pytest.approx(0.3, rel=1e-9)
    # paid 5 USD/t to take it in p1 (a negative cost; 60 in p2 as before) and free to
    # discard: the same pump
    paid = {**tables, "commodities": "commodity,unit,kind,disposal\nscrap,t,raw,true",
            "supplies": "site,commodity,cost_usd_per_unit\na,scrap,-5"}
    p = only_problem(write_case(tmp_path / "paid", paid, **PUMP_YAML))
    assert p.message == (
        "the supply of scrap at a has no max_k_per_yr (unlimited) and costs -5 USD per t in "
        "p1, and discarding it costs only 0 (commodities.csv row 2, "
        "disposal_cost_usd_per_unit 0): buying scrap to discard it earns 5 USD per t without "
        "limit, so the case is unbounded")
    assert p.hint == ("give this supply a max_k_per_yr, or raise scrap's "
                      "disposal_cost_usd_per_unit to 5 or more")


def test_an_unlimited_supply_resold_at_its_own_site_is_refused(tmp_path):
    """Tier 2 of the supply of scrap at a has no cap and costs 20 USD/t; the market of
    scrap at a pays 25 USD/t and has no cap either: each t bought and sold earns 5 USD,
    without limit (unbounded). Refused at tier 2's blank cap (supplies.csv row 3), naming
    the market's row. With the market capped at 8 kt/yr the case solves: 5 kt of tier 1
    at 10 and 3 of tier 2 at 20, all sold at 25: 5 x 15 + 3 x 5 = 90 kUSD in each of two
    one-year periods at rate 0: 0.18 MUSD."""
    tables = {"commodities": "commodity,unit,kind\nscrap,t,raw", "sites": "site\na",
              "supplies": "site,commodity,tier,cost_usd_per_unit,max_k_per_yr\n"
                          "a,scrap,1,10,5\na,scrap,2,20,",
              "markets": "site,commodity,price_usd_per_unit\na,scrap,25"}
    p = only_problem(write_case(tmp_path / "pump", tables, **PUMP_YAML))
    assert p.where == "supplies.csv row 3, column max_k_per_yr"
    assert p.message == (
        "tier 2 of the supply of scrap at a has no max_k_per_yr (unlimited) and costs 20 USD "
        "per t in p1 and p2, less than the 25 USD per t its market at the same site pays "
        "(markets.csv row 2, no max_k_per_yr either): buying scrap to sell it there earns 5 "
        "USD per t without limit, so the case is unbounded")
    assert p.hint == "give this supply or that market a max_k_per_yr"
    capped = {**tables, "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\n"
                                   "a,scrap,25,8"}
    r = solve_case(write_case(tmp_path / "capped", capped, **PUMP_YAML))
    assert r.objective == pytest.approx(0.18, rel=1e-9)


def _project_link(folder: Path, link_life: str, project_life: int = 25,
                  unit_life: str = "") -> Path:
    """x bought at a for 100 USD/t, sold at b for 400 USD/t (a margin of 300 USD/t);
    link l (a -> b, 10 kt/yr, links.csv row 3) and unit u (0 kt/yr of p at a, units.csv
    row 2) come with project pj (projects.csv row 3, after project other, off, which
    brings link k, b -> a, of 0 kt/yr), forced in p1 (lead 0, capex 1 MUSD); three
    1-year periods from 2026, rate 0.
    ``link_life``/``unit_life``: the lifetime_yr cells of l and u as the file writes them."""
    return write_case(folder, {
        "commodities": "commodity,unit,kind\nx,t,product",
        "sites": "site\na\nb",
        "modes": "mode,process\nm,p",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nm,x,out,1",
        "units": f"unit,site,process,capacity_k_per_yr,lifetime_yr,project\n"
                 f"u,a,p,0,{unit_life},pj",
        "supplies": "site,commodity,cost_usd_per_unit\na,x,100",
        "markets": "site,commodity,price_usd_per_unit\nb,x,400",
        "links": "link,from_site,to_site,commodities,capacity_k_per_yr,lifetime_yr,project\n"
                 f"k,b,a,x,0,,other\nl,a,b,x,10,{link_life},pj",
        "projects": "project,capex_musd,lifetime_yr,state,forced_period\n"
                    f"other,1,30,off,\npj,1,{project_life},forced,p1",
    }, periods=[{"period": f"p{i}", "start_year": 2025 + i, "length_yr": 1}
                for i in (1, 2, 3)])


def test_a_projects_link_with_a_lifetime_of_its_own_is_refused(tmp_path: Path) -> None:
    """What a project brings lasts the project's lifetime_yr (25 here): the model never
    read the link's own 40, so the link ran 25 years without a word. Refused at the
    link's row and column, naming both values and the project's row; the unit alike
    (30 against 25)."""
    p = only_problem(_project_link(tmp_path / "link", "40"))
    assert p.where == "links.csv row 3, column lifetime_yr"
    assert p.message == ("this link comes with a project and lasts the project's "
                         "lifetime_yr, not one of its own (found '40')")
    assert p.hint == ("clear lifetime_yr: what project 'pj' brings lasts the project's "
                      "lifetime_yr (25, projects.csv row 3), or set the two equal")
    p = only_problem(_project_link(tmp_path / "unit", "", unit_life="30"))
    assert p.where == "units.csv row 2, column lifetime_yr"
    assert p.message == ("this unit comes with a project and lasts the project's "
                         "lifetime_yr, not one of its own (found '30')")
    assert "(25, projects.csv row 3)" in p.hint


def test_a_projects_link_lasts_the_projects_lifetime(tmp_path: Path) -> None:
    """Blank (the column's default, 40 for a link) or the project's own value loads. The
    project (lifetime_yr 2) is first used in 2026, so what it brings is alive in
    2026-2027 and gone in 2028: link l carries its 10 kt/yr in p1 and p2, nothing in p3,
    whatever links.csv would have said. Objective: 10 kt x 300 USD/t = 3 MUSD a year for
    two years at rate 0, less the 1 MUSD capex: 5 MUSD."""
    for cell in ("", "2"):
        r = solve_case(_project_link(tmp_path / f"life{cell}", cell, project_life=2))
        cap = r["capacity"]
        link = cap[cap["name"] == "l"].sort_values("period")
        assert link["total_k_per_yr"].tolist() == pytest.approx([10.0, 10.0, 0.0])
        assert r.objective == pytest.approx(5.0, rel=1e-9)
    assert load_case(_project_link(tmp_path / "equal", "25", unit_life="25"))


def test_a_scenario_giving_a_projects_link_a_lifetime_is_refused(tmp_path: Path) -> None:
    """A scenario edits the raw rows and the effective case is validated from scratch: a
    set lifetime_yr of 40 on the project's link is refused as the file's would be, at
    the link's key; set to the project's 25, or cleared (null), it runs."""
    _project_link(tmp_path / "case", "40")
    for name, value in (("bad", 40), ("equal", 25), ("clear", None)):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump({
            "base": "case", "changes": [{"table": "links", "where": {"link": "l"},
                                          "set": {"lifetime_yr": value}}]}))
    with pytest.raises(InputError) as info:
        api.apply_scenario(tmp_path / "bad.yaml")
    (p,) = info.value.problems
    assert p.where.endswith("bad.yaml (effective case) links.csv row l, column lifetime_yr")
    assert "(found '40')" in p.message
    assert "(25, projects.csv row pj)" in p.hint
    assert api.apply_scenario(tmp_path / "equal.yaml")
    assert api.apply_scenario(tmp_path / "clear.yaml")


def test_a_workbook_giving_a_projects_link_a_lifetime_is_refused(tmp_path: Path) -> None:
    """A workbook's sheets are read as the CSV files' text (a blank cell is blank), so the
    rule holds there, located at the cell: links sheet row 3, column F (lifetime_yr); the
    hint names the project's row of the projects sheet (row 3)."""
    from chainopt.case.excel import write_workbook
    from chainopt.case.load import read_raw

    bad = write_workbook(read_raw(_project_link(tmp_path / "bad", "40")), tmp_path / "b.xlsx")
    with pytest.raises(InputError) as info:
        load_case(bad)
    (p,) = info.value.problems
    assert p.where == "links!F3"
    assert "(found '40')" in p.message
    # the project's row is the workbook's too (it said projects.csv row 3: no such file)
    assert "(25, projects!3:3)" in p.hint, p.hint
    ok = write_workbook(read_raw(_project_link(tmp_path / "ok", "")), tmp_path / "ok.xlsx")
    assert load_case(ok)
