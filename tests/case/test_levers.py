"""Policy levers and currencies as data (issue 14 items 3-5): each resolved at load into
the prices, costs and caps the model reads, and switched by a scenario in one change."""

from __future__ import annotations

from pathlib import Path
from unicodedata import name as unicodedata_name

import pytest
import yaml

from chainopt import api
from chainopt.case.index import by_period
from chainopt.case.load import load_case
from chainopt.case.scenario import apply_scenario
from chainopt.errors import InputError
from tests.toycase import TWO_PERIODS, solve_case, write_case

TABLES = {
    "commodities": """
        commodity,unit,kind
        feed,t,raw
        prod,t,product
    """,
    "sites": """
        site
        plant
        home
        abroad
    """,
    "supplies": """
        site,commodity,cost_usd_per_unit,max_k_per_yr,stated_currency
        plant,feed,8000,100,RUB
    """,
    "modes": """
        mode,process,variable_cost_usd_per_unit
        make,crack
    """,
    "mode_flows": """
        mode,commodity,direction,amount_per_unit
        make,feed,in,2
        make,prod,out,1
    """,
    "units": """
        unit,site,process,capacity_k_per_yr
        u1,plant,crack,50
    """,
    "links": """
        link,from_site,to_site,commodities,cost_usd_per_unit
        to_home,plant,home,prod,10
        to_abroad,plant,abroad,prod,30
    """,
    "markets": """
        site,commodity,price_usd_per_unit,max_k_per_yr
        home,prod,500,20
        abroad,prod,600,
    """,
    "fx_rates": """
        currency,usd_per_unit
        RUB,0.0125
    """,
    "levies": """
        levy,kind,commodity,sites,amount_usd_per_unit,active
        reverse_excise,feed_excise,feed,,-50,true
        duty,export_duty,prod,abroad,20,true
        home_price,regulated_price,prod,home,400,false
    """,
    "market_groups": """
        group,sites,access,price_discount,freight_premium_usd_per_unit
        west,abroad,open,0.1,5
    """,
}


def _case(tmp_path, **changes):
    tables = {**TABLES, **changes}
    return write_case(tmp_path / "toy", tables)


def _in_two_periods(folder):
    """``folder`` with its case.yaml made two periods (``TWO_PERIODS``), rate 0."""
    meta = {"format_version": 1, "name": "toy", "base_year": 2026, "discount_rate": 0.0,
            "periods": TWO_PERIODS}
    (folder / "case.yaml").write_text(yaml.safe_dump(meta))
    return folder


def _price(case, site):
    mk = by_period(case, "markets", ["price_usd_per_unit"])
    return float(mk.loc[mk["site"] == site, "price_usd_per_unit"].iloc[0])


def test_levers_resolved_by_hand(tmp_path):
    """feed 8000 RUB/t at 0.0125 USD/RUB = 100 USD/t; the reverse excise -50 USD per t of
    feed, 2 t per t of product: mode cost 0 - 100 = -100 USD/t; abroad price
    600 x (1 - 0.1) - 20 = 520; link into 'abroad' 30 + 5 = 35. Plan: 50 kt of product
    (capacity), 20 kt home at 500 - 10, 30 kt abroad at 520 - 35. Per year (MUSD):
    sales 20 x 490 + 30 x 485 = 24.35; feed 100 kt x 100 = 10; mode -100 x 50 = -5
    -> objective 24.35 - 10 + 5 = 19.35 (one year, rate 0)."""
    case = load_case(_case(tmp_path))
    sup = by_period(case, "supplies", ["cost_usd_per_unit"])
    assert float(sup["cost_usd_per_unit"].iloc[0]) == pytest.approx(100.0)
    mo = by_period(case, "modes", ["variable_cost_usd_per_unit"])
    assert float(mo["variable_cost_usd_per_unit"].iloc[0]) == pytest.approx(-100.0)
    assert _price(case, "abroad") == pytest.approx(520.0)
    assert _price(case, "home") == pytest.approx(500.0)  # regulated price inactive
    lk = by_period(case, "links", ["cost_usd_per_unit"]).set_index("link")
    assert lk.loc["to_abroad", "cost_usd_per_unit"] == pytest.approx(35.0)
    r = solve_case(tmp_path / "toy")
    assert r.objective == pytest.approx(20 * 490e-3 + 30 * 485e-3 - 10 + 5, rel=1e-9)


def test_the_overrides_levers_write_keep_the_stated_ones(tmp_path):
    """The levers' per-period values are written into the case's overrides once, after
    all levers: abroad's price 600 x (1 - 0.1) - 20 = 520 in p1 and p2, rows of their
    own (no caps, no source); home's stated p2 price (550, row 2 of
    markets_by_period.csv, 'survey') as stated, no lever touching it; rows in key and
    period order. The link into abroad costs 30 + 5 = 35 in each period."""
    folder = _case(tmp_path, markets_by_period="site,commodity,period,price_usd_per_unit,"
                   "source\nhome,prod,p2,550,survey")
    case = load_case(_in_two_periods(folder))
    mk = case.by_period["markets"]
    assert list(zip(mk["site"], mk["period"], mk["price_usd_per_unit"], mk["source"],
                    mk["_row"], strict=True)) == [("abroad", "p1", 520.0, "", 0),
                                                  ("abroad", "p2", 520.0, "", 0),
                                                  ("home", "p2", 550.0, "survey", 2)]
    assert mk[["max_k_per_yr", "min_k_per_yr"]].isna().all().all()
    lk = case.by_period["links"]
    assert list(zip(lk["link"], lk["period"], lk["cost_usd_per_unit"], strict=True)) == [
        ("to_abroad", "p1", 35.0), ("to_abroad", "p2", 35.0)]
    assert _price(case, "home") == 500.0  # p1: no override, the row's own price


def test_overrides_written_where_the_case_states_none_are_in_key_order(tmp_path):
    """Where the case has no override table a lever writes (links, modes), the rows are
    the lever's alone, in key and period order whatever the table's: a link ``by_sea``
    into abroad listed after ``to_abroad`` costs 40 + 5 = 45 and comes first; each row
    without source (''), row 0, the columns no lever writes blank. The reverse excise
    makes the mode's cost 0 - 50 x 2 = -100 in each period."""
    folder = _case(tmp_path, links=TABLES["links"] + "        by_sea,plant,abroad,prod,40\n")
    case = load_case(_in_two_periods(folder))
    lk = case.by_period["links"]
    assert list(zip(lk["link"], lk["period"], lk["cost_usd_per_unit"], lk["source"],
                    lk["_row"], strict=True)) == [
        ("by_sea", "p1", 45.0, "", 0), ("by_sea", "p2", 45.0, "", 0),
        ("to_abroad", "p1", 35.0, "", 0), ("to_abroad", "p2", 35.0, "", 0)]
    assert lk[["capacity_k_per_yr", "max_new_k_per_yr"]].isna().all().all()
    mo = case.by_period["modes"]
    assert list(zip(mo["mode"], mo["period"], mo["variable_cost_usd_per_unit"],
                    strict=True)) == [("make", "p1", -100.0), ("make", "p2", -100.0)]


def test_one_line_switches(tmp_path):
    """A scenario switches each lever with one change: the reverse excise off (mode cost
    back to 0), the regulated home price on (400), the 'west' group closed (abroad caps 0)."""
    _case(tmp_path)
    for change, check in (
            ({"table": "levies", "where": {"levy": "reverse_excise"}, "set": {"active": False}},
             lambda c: float(by_period(c, "modes", ["variable_cost_usd_per_unit"])[
                 "variable_cost_usd_per_unit"].iloc[0]) == 0.0),
            ({"table": "levies", "where": {"levy": "home_price"}, "set": {"active": True}},
             lambda c: _price(c, "home") == pytest.approx(400.0)),
            ({"table": "market_groups", "where": {"group": "west"}, "set": {"access": "closed"}},
             lambda c: float(by_period(c, "markets", ["max_k_per_yr"]).set_index("site").loc[
                 "abroad", "max_k_per_yr"]) == 0.0)):
        f = tmp_path / "s.yaml"
        f.write_text(yaml.safe_dump({"base": str(tmp_path / "toy"), "changes": [change]}))
        assert check(apply_scenario(f))


def test_lever_errors_are_located(tmp_path):
    """A currency without a rate, a feed excise with sites, shares over 1: located errors."""
    bad = _case(tmp_path, fx_rates="currency,usd_per_unit\nJPY,0.0067",
                levies="levy,kind,commodity,sites,amount_usd_per_unit\n"
                       "x,feed_excise,feed,plant,-50")
    with pytest.raises(InputError) as e:
        load_case(bad)
    msg = str(e.value)
    assert "supplies.csv" in msg and "stated_currency" in msg
    assert "levies.csv" in msg and "sites" in msg


def test_a_levy_that_changes_nothing_is_an_error(tmp_path):
    """An active regulated price for a market that does not exist would silently do
    nothing: it is reported with its row."""
    bad = _case(tmp_path, levies="levy,kind,commodity,sites,amount_usd_per_unit\n"
                                 "p,regulated_price,prod,plant,400")
    with pytest.raises(InputError) as e:
        load_case(bad)
    assert "levies.csv row 2" in str(e.value) and "would change nothing" in str(e.value)


def test_debt_without_a_lender_is_an_error(tmp_path):
    """Half of the project's capex borrowed (debt_share 0.5) from no one: the drawdowns,
    interest and principal would belong to no party, so the parties' flows and the tax
    would no longer add up to the project's flow (the equity gets +0.5 x capex in the
    construction years, repays 0.5 x capex with interest later, and nobody lends it).
    Reported at project_finance.csv row 2 (the first data row), column lender; with
    debt_share 0 a blank lender is fine."""
    tables = dict(
        projects="project,capex_musd,lifetime_yr,lead_time_yr,state\npj,100,10,0,optional",
        units="unit,site,process,capacity_k_per_yr,project\nu1,plant,crack,50,\n"
              "u2,plant,crack,50,pj",
        parties="party,discount_rate,currency\na,0.10,USD\nbank,0.06,USD",
        project_shares="project,party,share\npj,a,1.0")
    fin = "project,debt_share,interest_rate,tenor_yr,grace_yr,lender\npj,{},0.08,5,1,"
    bad = _case(tmp_path, **tables, project_finance=fin.format(0.5))
    with pytest.raises(InputError) as e:
        load_case(bad)
    msg = str(e.value)
    assert "project_finance.csv row 2, column lender" in msg and "no lender" in msg
    ok = _case(tmp_path, **tables, project_finance=fin.format(0.0))
    assert len(load_case(ok).tables["project_finance"]) == 1


PROJECT_TABLES = dict(
    projects="project,capex_musd,lifetime_yr,lead_time_yr,state\npj,100,10,0,optional",
    units="unit,site,process,capacity_k_per_yr,project\nu1,plant,crack,50,\n"
          "u2,plant,crack,50,pj",
    parties="party,discount_rate,currency\na,0.10,USD\nb,0.10,USD\nbank,0.06,USD")


def test_equipment_shares_over_1_are_refused(tmp_path):
    """Review fin F3: a supplies 0.8 and b 0.9 of pj's equipment, 1.7 x 100 = 170 MUSD
    of equipment for a 100 MUSD project (party_economics read 80 and 90). Refused at the
    second row of the project (both rows are reported, as for equity shares over 1):
    project_shares.csv rows 2 and 3, column equipment_share. 0.8 + 0.2 = 1 is fine; so
    is the same 0.8 + 0.9 set by a scenario's table change, refused the same way."""
    shares = "project,party,share,equipment_share\npj,a,0.5,0.8\npj,b,0.5,{}"
    bad = _case(tmp_path, **PROJECT_TABLES, project_shares=shares.format(0.9))
    with pytest.raises(InputError) as e:
        load_case(bad)
    wheres = [p.where for p in e.value.problems]
    assert wheres == ["project_shares.csv row 2, column equipment_share",
                      "project_shares.csv row 3, column equipment_share"]
    p = e.value.problems[1]
    assert "equipment shares of this project sum to more than 1" in p.message
    assert p.message.endswith("(found '0.9')")
    assert p.hint.startswith("they sum to 1.7; lower them to at most 1 in all")
    ok = _case(tmp_path, **PROJECT_TABLES, project_shares=shares.format(0.2))
    assert load_case(ok).tables["project_shares"]["equipment_share"].sum() == 1.0
    f = tmp_path / "v.yaml"
    f.write_text(yaml.safe_dump({"base": str(ok), "changes": [
        {"table": "project_shares", "where": {"project": "pj", "party": "b"},
         "set": {"equipment_share": 0.9}}]}))
    with pytest.raises(InputError) as e:
        apply_scenario(f)
    assert "equipment shares of this project sum to more than 1" in str(e.value)


def test_a_grace_period_of_0_is_refused(tmp_path):
    """Review fin F6: grace_yr is documented as at least 1 (the first repayment falls
    grace_yr years after the first drawdown), but 0 ran and gave grace 1's schedule.
    Refused at project_finance.csv row 2, column grace_yr, in the file and when a
    scenario sets it; a blank grace is read as 1 (and 1 loads)."""
    fin = "project,debt_share,interest_rate,tenor_yr,grace_yr,lender\npj,0.5,0.08,5,{},bank"
    tables = {**PROJECT_TABLES, "project_shares": "project,party,share\npj,a,1.0"}
    bad = _case(tmp_path, **tables, project_finance=fin.format(0))
    with pytest.raises(InputError) as e:
        load_case(bad)
    (p,) = e.value.problems
    assert p.where == "project_finance.csv row 2, column grace_yr"
    assert p.message.startswith("the grace period must be at least 1 year")
    assert p.message.endswith("never in its year (found '0')")
    assert p.hint.startswith("set grace_yr to 1")
    ok = _case(tmp_path, **tables, project_finance=fin.format(""))
    assert load_case(ok).tables["project_finance"]["grace_yr"].tolist() == [1.0]
    f = tmp_path / "g.yaml"
    f.write_text(yaml.safe_dump({"base": str(ok), "changes": [
        {"table": "project_finance", "where": {"project": "pj"}, "set": {"grace_yr": 0}}]}))
    with pytest.raises(InputError) as e:
        apply_scenario(f)
    assert "grace period must be at least 1 year" in str(e.value)


def test_a_loan_inflation_outside_0_to_1_is_refused(tmp_path):
    """Review s25 F3: project_finance.csv's inflation (the loan currency's expected yearly
    inflation, a fraction) indexes the loan's nominal flows by (1 + i)^(y - y0). 1 (100 %
    a year) is refused at row 2, column inflation, as 'must be less than 1'; 4 (a
    percentage) the same way (review s26 F2: it said 'must be at most 1', though 1 itself
    is refused), with the fraction as hint (4 / 100 = 0.04; 1 / 100 = 0.01), once;
    -0.01 as 'must be at least 0'; a blank is 0 (today's loan), 0.04
    loads, and a scenario setting 1 is refused the same way. Without debt the column is
    ignored, as interest_rate is: debt_share 0 with inflation 0.04 loads."""
    fin = "project,debt_share,interest_rate,tenor_yr,grace_yr,lender,inflation\n" \
          "pj,{},0.14,5,1,bank,{}"
    tables = {**PROJECT_TABLES, "project_shares": "project,party,share\npj,a,1.0"}
    for value, message, hint in (
            ("1", "must be less than 1 (found '1')", "a fraction: 1 % is 0.01"),
            ("4", "must be less than 1 (found '4')", "a fraction: 4 % is 0.04"),
            ("-0.01", "must be at least 0 (found '-0.01')", None)):
        with pytest.raises(InputError) as e:
            load_case(_case(tmp_path, **tables, project_finance=fin.format(0.5, value)))
        (p,) = e.value.problems
        assert p.where == "project_finance.csv row 2, column inflation"
        assert p.message == message
        if hint:
            assert p.hint == hint
    blank = load_case(_case(tmp_path, **tables, project_finance=fin.format(0.5, "")))
    assert blank.tables["project_finance"]["inflation"].tolist() == [0.0]
    no_debt = load_case(_case(tmp_path, **tables, project_finance=fin.format(0.0, 0.04)))
    assert no_debt.tables["project_finance"]["inflation"].tolist() == [0.04]
    ok = _case(tmp_path, **tables, project_finance=fin.format(0.5, 0.04))
    assert load_case(ok).tables["project_finance"]["inflation"].tolist() == [0.04]
    f = tmp_path / "i.yaml"
    f.write_text(yaml.safe_dump({"base": str(ok), "changes": [
        {"table": "project_finance", "where": {"project": "pj"}, "set": {"inflation": 1}}]}))
    with pytest.raises(InputError) as e:
        apply_scenario(f)
    assert "must be less than 1 (found '1')" in str(e.value)


def test_a_tax_regime_inflation_of_1_or_more_is_refused(tmp_path):
    """tax_regimes.csv's inflation (the yearly inflation of the money the tax books are
    kept in, a fraction): 1 and 1.5 are each refused at row 2, column inflation, with one
    message, 'must be less than 1' (review s26 F2: 1.5 said 'must be at most 1', though
    1 itself is refused), and the fraction as hint (1.5 / 100 = 0.015); a blank is 0 (the
    books in the case's money); 0.04 loads."""
    reg = "regime,profit_tax_rate,inflation\nstd,0.2,{}"
    tables = {**PROJECT_TABLES, "project_shares": "project,party,share\npj,a,1.0"}
    for value, hint in (("1", "a fraction: 1 % is 0.01"), ("1.5", "a fraction: 1.5 % is 0.015")):
        with pytest.raises(InputError) as e:
            load_case(_case(tmp_path, **tables, tax_regimes=reg.format(value)))
        (p,) = e.value.problems
        assert p.where == "tax_regimes.csv row 2, column inflation"
        assert p.message == f"must be less than 1 (found '{value}')"
        assert p.hint == hint
    for value, read in (("", 0.0), ("0.04", 0.04)):
        case = load_case(_case(tmp_path, **tables, tax_regimes=reg.format(value)))
        assert case.tables["tax_regimes"]["inflation"].tolist() == [read]


def test_a_case_without_loan_inflation_hashes_as_before_the_column(tmp_path):
    """Review s25 F3 added project_finance.csv's inflation column (default 0). Every case
    with a project_finance table read it as 0 and hashed differently from before (the
    hash covers every column), so the 30 shipped ru_eastwest snapshots, and every results
    folder, read 'inputs changed'. A column at its default in every row is left out of
    the hash: the case hashes as the same case read without the column, and 0.04 in one
    row is another input."""
    from chainopt.case.digest import case_hash

    fin = "project,debt_share,interest_rate,tenor_yr,grace_yr,lender{}\npj,0.5,0.14,5,1,bank{}"
    tables = {**PROJECT_TABLES, "project_shares": "project,party,share\npj,a,1.0"}
    case = load_case(_case(tmp_path, **tables, project_finance=fin.format("", "")))
    assert case.tables["project_finance"]["inflation"].tolist() == [0.0]
    old = {**case.tables,
           "project_finance": case.tables["project_finance"].drop(columns="inflation")}
    before = case_hash(case.model_copy(update={"tables": old}))
    assert case_hash(case) == before
    zero = load_case(_case(tmp_path, **tables, project_finance=fin.format(",inflation", ",0")))
    assert case_hash(zero) == before
    four = load_case(_case(tmp_path, **tables, project_finance=fin.format(",inflation",
                                                                            ",0.04")))
    assert case_hash(four) != before


def test_an_unknown_idc_treatment_is_refused(tmp_path):
    """project_finance.csv's idc (interest during construction) is paid or capitalised,
    validated as repayment is: 'accrued' is refused at row 2, column idc, with the
    allowed values as hint; 'capitalized' with 'did you mean'; the same in a workbook
    (at its cell, G2) and when a scenario sets it (the change names the row and
    column). A blank is paid (today's loan), and capitalised loads. A case whose rows
    are all paid hashes as the same case read without the column (its snapshots and
    results still verify)."""
    from chainopt.case.digest import case_hash
    from chainopt.case.excel import write_workbook
    from chainopt.case.load import read_raw

    fin = "project,debt_share,interest_rate,tenor_yr,grace_yr,lender,idc\npj,0.5,0.08,5,2,bank,{}"
    tables = {**PROJECT_TABLES, "project_shares": "project,party,share\npj,a,1.0"}
    for value, hint in (("accrued", "one of: paid, capitalised"),
                        ("capitalized", "did you mean 'capitalised'?")):
        bad = _case(tmp_path, **tables, project_finance=fin.format(value))
        with pytest.raises(InputError) as e:
            load_case(bad)
        (p,) = e.value.problems
        assert p.where == "project_finance.csv row 2, column idc"
        assert p.message == f"not an allowed value (found '{value}')"
        assert p.hint == hint
    book = write_workbook(read_raw(_case(tmp_path, **tables,
                                         project_finance=fin.format("accrued"))),
                          tmp_path / "b.xlsx")
    with pytest.raises(InputError) as e:
        load_case(book)
    (p,) = e.value.problems
    assert p.where == "project_finance!G2"
    assert p.hint == "one of: paid, capitalised"
    blank = load_case(_case(tmp_path, **tables, project_finance=fin.format("")))
    assert blank.tables["project_finance"]["idc"].tolist() == ["paid"]
    old = {**blank.tables,
           "project_finance": blank.tables["project_finance"].drop(columns="idc")}
    assert case_hash(blank) == case_hash(blank.model_copy(update={"tables": old}))
    ok = _case(tmp_path, **tables, project_finance=fin.format("capitalised"))
    case = load_case(ok)
    assert case.tables["project_finance"]["idc"].tolist() == ["capitalised"]
    assert case_hash(case) != case_hash(blank)
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump({"base": str(ok), "changes": [
        {"table": "project_finance", "where": {"project": "pj"}, "set": {"idc": "accrued"}}]}))
    with pytest.raises(InputError) as e:
        apply_scenario(f)
    (p,) = e.value.problems
    assert p.where.endswith("c.yaml changes[0]")
    assert p.message == ("project_finance.csv row pj, column idc: not an allowed value "
                         "(found 'accrued')")
    assert p.hint == "one of: paid, capitalised"


def _edited_book(folder, path, sheet: str, cell: str, value: object):
    """The case ``folder`` as a workbook at ``path`` (``write_workbook``: one sheet per
    table, its columns in the CSV's order, header in row 1), then ``value`` written into
    ``sheet!cell`` by openpyxl (a Python bool is a Boolean TRUE/FALSE cell)."""
    from openpyxl import load_workbook

    from chainopt.case.excel import write_workbook
    from chainopt.case.load import read_raw

    write_workbook(read_raw(folder), path)
    wb = load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)
    return path


def _problem(book):
    with pytest.raises(InputError) as e:
        load_case(book)
    (p,) = e.value.problems
    return p


def test_a_fullwidth_or_true_false_cell_is_told_what_it_is(tmp_path):
    """Review xlsx2 F3, two hints that misled. project_finance's columns are project,
    debt_share, interest_rate, tenor_yr, grace_yr, lender, idc: idc is column G, pj's
    row 2. Fullwidth 'ｃａｐｉｔａｌｉｓｅｄ' there got "did you mean 'capitalised'?",
    the same word to the eye; now the hint first names its characters outside ASCII
    (U+FF43 is the fullwidth c), as a list's fullwidth name always did. market_groups'
    columns are group, sites, commodities, ...: a Boolean TRUE in C2 (asia's list) read
    'true' and got "did you mean 'crude'?" (the nearest commodity name); now it says it
    is a TRUE/FALSE value, as a number column does, and so does the idc cell holding
    FALSE (where it said "one of: paid, capitalised")."""
    fin = "project,debt_share,interest_rate,tenor_yr,grace_yr,lender,idc\npj,0.5,0.08,5,2,bank,"
    folder = _case(tmp_path, **PROJECT_TABLES, project_finance=fin,
                   project_shares="project,party,share\npj,a,1.0")
    wide = "\uff43\uff41\uff50\uff49\uff54\uff41\uff4c\uff49\uff53\uff45\uff44"
    assert unicodedata_name(wide[0]) == "FULLWIDTH LATIN SMALL LETTER C"
    p = _problem(_edited_book(folder, tmp_path / "wide.xlsx", "project_finance", "G2", wide))
    assert (p.where, p.message) == ("project_finance!G2",
                                    f"not an allowed value (found '{wide}')")
    assert p.hint.startswith(f"'{wide}' holds U+FF43 FULLWIDTH LATIN SMALL LETTER C, "), p.hint
    assert p.hint.endswith(", outside ASCII; did you mean 'capitalised'?"), p.hint
    p = _problem(_edited_book(folder, tmp_path / "false.xlsx", "project_finance", "G2", False))
    assert (p.where, p.message, p.hint) == (
        "project_finance!G2", "not an allowed value (found 'false')",
        "a TRUE/FALSE value where one of paid, capitalised belongs: enter one of them (in a "
        "workbook, a cell holding TRUE or FALSE)")
    groups = write_case(tmp_path / "groups", _groups("asia,asia,hdpe,open,0.1,5"))
    p = _problem(_edited_book(groups, tmp_path / "true.xlsx", "market_groups", "C2", True))
    assert (p.where, p.message, p.hint) == (
        "market_groups!C2", "unknown commodity name in list (found 'true')",
        "a TRUE/FALSE value where a list of commodity names belongs: enter the names, "
        "separated by ';' (in a workbook, a cell holding TRUE or FALSE)")


def test_an_unknown_lender_is_called_a_party(tmp_path):
    """Review fin F7: a lender naming no row of parties.csv read "unknown partie name"
    (the table's name less its s); it reads "unknown party name"."""
    fin = "project,debt_share,interest_rate,tenor_yr,grace_yr,lender\npj,0.5,0.08,5,1,nobody"
    bad = _case(tmp_path, **PROJECT_TABLES, project_finance=fin)
    with pytest.raises(InputError) as e:
        load_case(bad)
    (p,) = e.value.problems
    assert p.where == "project_finance.csv row 2, column lender"
    assert p.message == "unknown party name (found 'nobody')"


def test_a_site_in_two_market_groups_is_refused(tmp_path):
    """'abroad' in group west (discount 0.1, premium 5) and in group asia (discount 0.2):
    both discounts were applied, 600 x 0.9 x 0.8 - 20 = 412, where either group alone
    gives 520 or 460. A market belongs to one group, as a site to one tax regime: the
    second group's row, listing no commodities (every one), is refused."""
    bad = _case(tmp_path, market_groups="group,sites,access,price_discount\n"
                                        "west,abroad,open,0.1\nasia,home;abroad,open,0.2")
    with pytest.raises(InputError) as e:
        load_case(bad)
    (p,) = e.value.problems
    assert p.where == "market_groups.csv row 3, column sites"
    assert p.message == ("site 'abroad' is already in market group 'west' (row 2) for "
                         "every commodity")
    assert "discounts and freight premiums would add up" in p.hint
    # the same rule for tax regimes (a site taxed by one regime)
    bad = _case(tmp_path, tax_regimes="regime,profit_tax_rate,sites\n"
                                      "ru,0.2,plant;home\nfez,0.0,plant")
    with pytest.raises(InputError) as e:
        load_case(bad)
    (p,) = e.value.problems
    assert (p.where, p.message) == ("tax_regimes.csv row 3, column sites",
                                    "site 'plant' is already in another tax regime")


@pytest.mark.parametrize(("row", "where", "says"), [
    ("fez,0.2,plant,5,,3", "row 2, column reduced_rate", "reduced rate is blank"),
    ("fez,0.2,plant,5,0.1,0", "row 2, column reduced_years", "reduced rate is given for no"),
    ("fez,0.2,plant,-1,,0", "row 2, column holiday_years", ""),
    ("fez,0.2,plant,2.5,,0", "row 2, column holiday_years", ""),
    ("fez,0.2,plant,0,1.5,2", "row 2, column reduced_rate", ""),
])
def test_a_tax_holiday_is_stated_whole(tmp_path, row, where, says):
    """A regime's holiday and reduced years: whole numbers of years from 0, a reduced rate
    from 0 to 1 given exactly when reduced years are (a rate for no years, or years
    without a rate, would be silently dropped or read as 0 %)."""
    bad = _case(tmp_path, tax_regimes="regime,profit_tax_rate,sites,holiday_years,"
                                      "reduced_rate,reduced_years\n" + row)
    with pytest.raises(InputError) as e:
        load_case(bad)
    (p,) = e.value.problems
    assert p.where == f"tax_regimes.csv {where}" and says in p.message
    ok = _case(tmp_path / "ok", tax_regimes="regime,profit_tax_rate,sites,holiday_years,"
                                            "reduced_rate,reduced_years\nfez,0.2,plant,5,0.12,5")
    r = load_case(ok).tables["tax_regimes"].iloc[0]
    assert (r["holiday_years"], r["reduced_rate"], r["reduced_years"]) == (5, 0.12, 5)


@pytest.mark.parametrize(("fx", "override", "where"), [
    ("RUB,0.0125\nUSD,2", None, "fx_rates.csv row 3, column usd_per_unit"),
    ("RUB,0.0125\nUSD,1", "USD,p1,1.1", "fx_rates_by_period.csv row 2, column usd_per_unit"),
])
def test_a_usd_rate_other_than_1_is_refused(tmp_path, fx, override, where):
    """USD is the case's currency: 1 USD is 1 USD. A USD row of 2 was accepted and did
    nothing to a value stated in USD (a supply at 100 USD/t stayed 100, since only
    foreign rows are converted), while a party counting in USD had its flows shown at
    the rate's inverse (100 USD shown as 50 'USD'): one row, two meanings. Refused at
    the row and column stating it; a USD row of 1 (harmless) still loads."""
    extra = {"fx_rates": "currency,usd_per_unit\n" + fx}
    if override:
        extra["fx_rates_by_period"] = "currency,period,usd_per_unit\n" + override
    with pytest.raises(InputError) as e:
        load_case(_case(tmp_path, **extra))
    assert [p.where for p in e.value.problems] == [where]
    assert "1 USD per USD" in e.value.problems[0].message
    ok = load_case(_case(tmp_path / "ok", fx_rates="currency,usd_per_unit\nRUB,0.0125\nUSD,1"))
    sup = by_period(ok, "supplies", ["cost_usd_per_unit"])
    assert float(sup["cost_usd_per_unit"].iloc[0]) == pytest.approx(8000 * 0.0125)


@pytest.mark.parametrize("curve", [
    {"capex_segments": "unit,segment,size_k_per_yr,capex_usd_per_unit_yr\nu2,1,10,50000"},
    {"capex_curve": "unit,point,size_k_per_yr,capex_musd\nu2,1,10,500"}])
def test_a_units_capex_curve_is_in_the_units_currency(tmp_path, curve):
    """Unit u2 states its money in RUB (0.01 USD/RUB) and prices its builds by a curve
    that replaces its capex: 50,000 RUB per t/yr up to 10 kt/yr (as segments), or 500
    million RUB for 10 kt/yr (as a breakpoint), i.e. 5 MUSD for the build. One 1-year
    period at rate 0, lifetime 10: the build's charge in the horizon is 5 / 10 = 0.5
    MUSD; it makes 10 kt of prod at 100 USD/t from free feed = 1 MUSD, so it is built
    and the objective is 1 - 0.5 = 0.5. The curve was read as USD (500 MUSD, a charge of
    50 a year) while the unit's own capex column was converted: nothing was built, 0."""
    folder = write_case(tmp_path / "toy", {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nprod,t,product",
        "sites": "site\nplant",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,feed,0,10",
        "markets": "site,commodity,price_usd_per_unit\nplant,prod,100",
        "modes": "mode,process\nmake,crack",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nmake,feed,in,1\n"
                      "make,prod,out,1",
        "units": "unit,site,process,capacity_k_per_yr,max_new_k_per_yr,lifetime_yr,"
                 "stated_currency\nu2,plant,crack,0,10,10,RUB",
        "fx_rates": "currency,usd_per_unit\nRUB,0.01", **curve})
    r = solve_case(folder)
    assert r.objective == pytest.approx(0.5, rel=1e-9)


def test_rub_path_by_period_and_capex_at_the_first_rate_by_hand(tmp_path):
    """Two 1-year periods (2026, 2027), 10 %, start-of-year flows: weights 1 and 1/1.1.
    RUB at 0.01 USD in p1 and 0.005 in p2 (fx_rates_by_period). Feed 1000 RUB/t: 10 then
    5 USD/t (at most 10 kt); the mode's 500 RUB/t: 5 then 2.5 USD/t; fixed O&M 200 RUB
    per t/yr and capex 10,000 RUB per t/yr at the first period's rate in both periods:
    2 and 100 USD. Prod sells at 100 USD/t. u1 has 5 kt/yr; u2 may add 5 in p1 (life 30):
    K = 5 x 100 / 1000 = 0.5 MUSD, annuity a = 0.5 / sum_{k<30} 1.1^-k = 0.5 / 10.369605
    = 0.0482178, paid in the horizon a (1 + 1/1.1) = 0.0920522 (the rest is residual).
    p1: 10 x (100 - 10 - 5) / 1000 - 10 x 2 / 1000 = 0.83; p2: 10 x (100 - 5 - 2.5) / 1000
    - 0.02 = 0.905. NPV = 0.83 + 0.905 / 1.1 - 0.0920522 = 1.560675 (without u2: 0.826,
    so u2 is built). Capex at p2's rate would give 50 USD, fixed O&M 1 USD in p2."""
    folder = write_case(tmp_path / "toy", {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nprod,t,product",
        "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr,stated_currency\n"
                    "a,feed,1000,10,RUB",
        "markets": "site,commodity,price_usd_per_unit\na,prod,100",
        "modes": "mode,process,variable_cost_usd_per_unit,stated_currency\nm1,p,500,RUB",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nm1,feed,in,1\nm1,prod,out,1",
        "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,"
                 "capex_usd_per_unit_yr,max_new_k_per_yr,lifetime_yr,stated_currency\n"
                 "u1,a,p,5,200,,,,RUB\nu2,a,p,0,200,10000,5,30,RUB",
        "units_by_period": "unit,period,max_new_k_per_yr\nu2,p2,0",
        "fx_rates": "currency,usd_per_unit\nRUB,0.01",
        "fx_rates_by_period": "currency,period,usd_per_unit\nRUB,p2,0.005",
    }, discount_rate=0.1, periods=[{"period": "p1", "start_year": 2026, "length_yr": 1},
                                   {"period": "p2", "start_year": 2027, "length_yr": 1}])
    annuity = 0.5 / sum(1.1 ** -k for k in range(30))
    r = solve_case(folder)
    assert r.objective == pytest.approx(0.83 + 0.905 / 1.1 - annuity * (1 + 1 / 1.1),
                                        rel=1e-9)
    assert r.objective == pytest.approx(1.560675, abs=1e-6)


def test_freight_premium_is_per_unit_entering_each_link_in_its_commoditys_unit(tmp_path):
    """Group 'west' (the site abroad) has a freight premium of 5 USD per unit. prod (t,
    100 USD/t) goes abroad on a link costing 30 USD/t losing 10 %; oil (bbl, 20 USD/bbl)
    on a link costing 2 USD/bbl. abroad buys 9 kt of prod at 200 and 10 kbbl of oil at 40.

    The premium is part of each link's cost: per unit entering the link (before its
    loss), in the unit of the commodity carried. prod: 9 kt arrive, 10 kt enter, each
    at 30 + 5: 9 x 200 - 10 x 100 - 10 x 35 = 450 kUSD (per unit arriving it would be
    9 x 5 = 45, not 50: 455). oil: 10 x 40 - 10 x 20 - 10 x (2 + 5) = 130 kUSD (5 per
    bbl, not per t). Objective 0.58 MUSD (one year, rate 0)."""
    r = solve_case(write_case(tmp_path, {
        "commodities": "commodity,unit,kind\nprod,t,product\noil,bbl,product",
        "sites": "site\nplant\nabroad",
        "supplies": "site,commodity,cost_usd_per_unit\nplant,prod,100\nplant,oil,20",
        "links": "link,from_site,to_site,commodities,cost_usd_per_unit,loss_fraction\n"
                 "ship,plant,abroad,prod,30,0.1\npipe,plant,abroad,oil,2,0",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\n"
                   "abroad,prod,200,9\nabroad,oil,40,10",
        "market_groups": "group,sites,access,price_discount,freight_premium_usd_per_unit\n"
                         "west,abroad,open,0,5"}))
    assert r.objective == pytest.approx(0.58, rel=1e-9)
    flows = r["flows"].set_index("link")
    assert flows.loc["ship", "flow_k_per_yr"] == pytest.approx(10.0)


def test_levies_in_roubles_follow_the_fx_path_by_hand(tmp_path):
    """levies.csv may state its amounts in a currency (``stated_currency``), converted per
    period at the fx_rates path as a market's price is: the default case's reverse excise
    is 9,000 RUB/t of ethane (s87), 100 USD/t at 90 RUB/USD but 69 at 130.

    Two 1-year periods, rate 0 (weights 1 and 1). RUB at 0.01 USD in p1, 0.005 in p2.
    Feed 100 USD/t (at most 100 kt), 2 t per t of prod, a unit of 50 kt/yr. Levies in RUB:
    reverse excise -5000 RUB per t of feed: -50 then -25 USD/t feed, so the mode's cost is
    2 x -50 = -100 then -50 USD per t of prod; a duty on prod abroad 2000 RUB/t: 20 then
    10 USD/t; a regulated home price 49,000 RUB/t: 490 then 245 USD/t. Group 'west'
    (abroad): discount 0.1 and a freight premium 5 USD/t on the link into it (30 + 5).
    Abroad price 600 x 0.9 - 20 = 520 in p1, 600 x 0.9 - 10 = 530 in p2.
    Plan: 50 kt of prod each period, 30 abroad (its cap), 20 home (netback 480 in p1,
    235 in p2, above the 200 - 100 = 100 and 200 - 50 = 150 USD/t it costs).
    p1: 30 x (520 - 35) + 20 x (490 - 10) = 24,150 kUSD; feed 10,000; mode -5,000 -> 19.15
    p2: 30 x (530 - 35) + 20 x (245 - 10) = 19,550 kUSD; feed 10,000; mode -2,500 -> 12.05
    objective 31.2 MUSD. (Held at p1's USD amounts, p2 would be 24,150 - 5,000 = 19.15.)
    The levers have no objective part of their own: the duty and discount are inside
    npv_revenue (sales at the net price: 30 x 520 + 20 x 490 + 30 x 530 + 20 x 245 =
    46,200 kUSD), the excise inside npv_variable_om (+5,000 + 2,500: a credit), the
    premium inside npv_transport (-(30 x 35 + 20 x 10) x 2 = -2,500); npv_supply -20,000."""
    folder = _case(tmp_path,
                   supplies="site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,feed,100,100",
                   markets="site,commodity,price_usd_per_unit,max_k_per_yr\n"
                           "home,prod,500,20\nabroad,prod,600,30",
                   fx_rates="currency,usd_per_unit\nRUB,0.01",
                   fx_rates_by_period="currency,period,usd_per_unit\nRUB,p2,0.005",
                   levies="levy,kind,commodity,sites,amount_usd_per_unit,active,stated_currency\n"
                          "reverse_excise,feed_excise,feed,,-5000,true,RUB\n"
                          "duty,export_duty,prod,abroad,2000,true,RUB\n"
                          "home_price,regulated_price,prod,home,49000,true,RUB")
    meta = {"format_version": 1, "name": "toy", "base_year": 2026, "discount_rate": 0.0,
            "periods": [{"period": "p1", "start_year": 2026, "length_yr": 1},
                        {"period": "p2", "start_year": 2027, "length_yr": 1}]}
    (folder / "case.yaml").write_text(yaml.safe_dump(meta))
    case = load_case(folder)
    mo = by_period(case, "modes", ["variable_cost_usd_per_unit"]).set_index("period")
    assert mo["variable_cost_usd_per_unit"].to_dict() == pytest.approx({"p1": -100.0,
                                                                        "p2": -50.0})
    mk = by_period(case, "markets", ["price_usd_per_unit"]).set_index(["site", "period"])
    assert mk["price_usd_per_unit"].to_dict() == pytest.approx({
        ("home", "p1"): 490.0, ("home", "p2"): 245.0,
        ("abroad", "p1"): 520.0, ("abroad", "p2"): 530.0})
    lk = by_period(case, "links", ["cost_usd_per_unit"]).set_index(["link", "period"])
    assert lk.loc[("to_abroad", "p2"), "cost_usd_per_unit"] == pytest.approx(35.0)
    r = solve_case(folder)
    assert r.objective == pytest.approx(31.2, rel=1e-9)
    sales = r["sales"].set_index(["site", "period"])["sales_k_per_yr"]
    assert sales.to_dict() == pytest.approx({("home", "p1"): 20.0, ("home", "p2"): 20.0,
                                             ("abroad", "p1"): 30.0, ("abroad", "p2"): 30.0})
    kpis = r["kpis"].set_index("kpi")["value"]
    assert [kpis[k] for k in ("npv_revenue", "npv_variable_om", "npv_transport",
                              "npv_supply")] == pytest.approx([46.2, 7.5, -2.5, -20.0])


def test_a_market_group_that_changes_nothing_is_refused(tmp_path):
    """'west' names only the plant, which has no market and no link into it: its
    discount of 0.1 lowers no price and its 5 USD/t premium raises no link's cost, so it
    was loaded and ignored. Now refused at its row, once for each lever (row 2 holds
    west); a group closing nothing ('shut', access closed) too; a group stating neither
    ('label', open, 0, 0) is a label and passes."""
    bad = _case(tmp_path, market_groups="""
        group,sites,access,price_discount,freight_premium_usd_per_unit
        west,plant,open,0.1,5
        shut,home;abroad,open,0,0
    """)
    with pytest.raises(InputError) as e:
        load_case(bad)
    msg = str(e.value)
    assert msg.count("market_groups.csv row 2, column sites") == 2
    assert "none of them has a market" in msg and "no link enters them" in msg
    assert "row 3" not in msg
    closed = _case(tmp_path, market_groups="""
        group,sites,access,price_discount,freight_premium_usd_per_unit
        shut,plant,closed,0,0
        label,abroad,open,0,0
    """)
    with pytest.raises(InputError) as e:
        load_case(closed)
    assert "market_groups.csv row 2, column sites" in str(e.value)
    assert "row 3" not in str(e.value)


def test_lever_sites_where_nothing_happens_are_warned(tmp_path):
    """The duty names abroad (which sells prod) and plant (which sells nothing): it is
    applied at abroad only; 'west' names abroad and plant (no market, no link into it):
    its levers act at abroad only. Neither row changes nothing, so neither is refused;
    each is warned of, naming the idle site. The plan and objective are those of
    test_levers_resolved_by_hand: 19.35 MUSD."""
    folder = _case(tmp_path, levies="""
        levy,kind,commodity,sites,amount_usd_per_unit,active
        reverse_excise,feed_excise,feed,,-50,true
        duty,export_duty,prod,abroad;plant,20,true
    """, market_groups="""
        group,sites,access,price_discount,freight_premium_usd_per_unit
        west,abroad;plant,open,0.1,5
    """)
    built = api.build_model(load_case(folder))
    warnings = built.input_warnings()
    assert warnings == [
        "levies.csv row 3 (duty): its export duty on prod applies at none of plant, as no "
        "market there sells prod; check the row's sites and commodity, or take those sites "
        "out of its list",
        "market_groups.csv row 2 (west): its access, discount and freight premium change "
        "nothing at plant, as no market is there and no link enters it; check the group's "
        "sites, or take those sites out of it"]
    assert solve_case(folder).objective == pytest.approx(19.35, rel=1e-9)


def test_an_export_duty_above_the_price_is_warned(tmp_path):
    """Review F4: the duty on prod at abroad is 590 USD/t in p1 and 20 in p2 (two 1-year
    periods, rate 0). abroad's price is 600 x (1 - 0.1) - 590 = -50 in p1, a negative
    price nothing said; in p2 520, as in test_levers_resolved_by_hand. At -50 nothing is
    sold abroad in p1: 20 kt home at 490 (40 kt of feed, 4 MUSD; the mode's -100 USD/t,
    -2): 9.8 - 4 + 2 = 7.8; p2 as there, 19.35: 27.15. Now `chainopt validate` and
    `run` warn, naming the row, the market and p1 only, and the discount that took the
    price the duty is taken from to 540 (review s25 F6: it said "a duty of 590 on 540",
    the 600 of markets.csv nowhere)."""
    folder = write_case(tmp_path / "toy", {**TABLES, "levies_by_period": """
        levy,period,amount_usd_per_unit
        duty,p2,20
    """, "levies": """
        levy,kind,commodity,sites,amount_usd_per_unit,active
        reverse_excise,feed_excise,feed,,-50,true
        duty,export_duty,prod,abroad,590,true
    """}, periods=[{"period": "p1", "start_year": 2026, "length_yr": 1},
                   {"period": "p2", "start_year": 2027, "length_yr": 1}])
    said = ("levies.csv row 3 (duty): its export duty on prod is larger than the market "
            "price it is taken from, which it makes negative, at abroad in p1 (a duty of 590 "
            "on 540 USD per t: -50; 540 is 600 less market group west's discount of 60): "
            "the model sells there only where a floor makes it, "
            "paying to. To stop sales there, close the market in a market group instead "
            "(market_groups.csv, access: closed); to tax them, give a duty below the price")
    case = load_case(folder)
    assert api.case_warnings(case) == [said]
    res = api.run(case, save=False)
    assert res.objective == pytest.approx(7.8 + 19.35, rel=1e-9)
    assert res.manifest["warnings"] == [said]


def test_a_closed_group_with_a_hard_demand_is_warned(tmp_path):
    """'west' (abroad) is closed: its sales cap becomes 0, so abroad buys nothing; but
    demand.csv requires 5 kt/yr of prod at abroad, a delivery, not a sale, which the
    closure does not touch. Each t of prod costs 2 t of feed at 100 less the 50 USD/t
    feed credit, 100 USD: 20 kt go home (cap) at 500 - 10, 5 kt are delivered abroad at
    30 + 5 (premium) on the link: 20 x 490 - 25 x 100 - 5 x 35 = 7,125 kUSD = 7.125 MUSD.
    Said as a warning naming the group and the site."""
    folder = _case(tmp_path, demand="site,commodity,amount_k_per_yr\nabroad,prod,5",
                   market_groups="group,sites,access,price_discount,"
                                 "freight_premium_usd_per_unit\nwest,abroad,closed,0,5")
    warnings = api.build_model(load_case(folder)).input_warnings()
    assert warnings == [
        "market_groups.csv row 2 (west): it is closed, but demand.csv requires deliveries "
        "at abroad, which closing a group does not stop (it closes sales only); remove "
        "those demand rows in the scenario that closes the group, or open it"]
    assert solve_case(folder).objective == pytest.approx(7.125, rel=1e-9)


def test_what_each_lever_moves_at_the_plan(tmp_path):
    """levers.csv and the ``lever_*`` KPIs, by hand on the case of
    :func:`test_levers_resolved_by_hand` over two 1-year periods at 10 % (weights 1 and
    1/1.1), the rouble at 0.0125 then 0.01 USD (feed 100 then 80 USD/t) and the reverse
    excise stated as -4,000 RUB per t of feed (-50 then -40 USD/t). The plan is the same
    in both years (50 kt made from 100 kt of feed, 20 kt sold home, 30 kt abroad):

    * reverse_excise: 2 t of feed per t made, so -100 then -80 USD per t of activity in
      the mode's cost; the chain receives 100 x 50 / 1000 = 5.0 then 80 x 50 / 1000 = 4.0
      MUSD a year, NPV 5 + 4 / 1.1 = 8.636364, inside npv_variable_om;
    * duty: 20 USD/t on the 30 kt sold abroad, -0.6 a year, NPV -0.6 x 2.1 / 1.1 =
      -1.145455 (revenue);
    * west's discount: 10 % of 600 = 60 USD/t on 30 kt, -1.8 a year, NPV -3.436364
      (revenue); west's freight premium: 5 USD/t on the 30 kt shipped to abroad, -0.15 a
      year, NPV -0.286364 (transport);
    * home_price (inactive) moves nothing and has no row.

    Objective: p1 24.35 - 10 + 5 = 19.35; p2 24.35 - 8 + 4 = 20.35, / 1.1 = 18.5;
    37.85 in all, the levers' money inside it, not added to it."""
    folder = _case(tmp_path, levies="""
        levy,kind,commodity,sites,amount_usd_per_unit,active,stated_currency
        reverse_excise,feed_excise,feed,,-4000,true,RUB
        duty,export_duty,prod,abroad,20,true,
        home_price,regulated_price,prod,home,400,false,
    """, fx_rates_by_period="currency,period,usd_per_unit\nRUB,p2,0.01")
    write_case(folder, {}, discount_rate=0.1,
               periods=[{"period": "p1", "start_year": 2026, "length_yr": 1},
                        {"period": "p2", "start_year": 2027, "length_yr": 1}])
    r = solve_case(folder)
    assert r.objective == pytest.approx(19.35 + 20.35 / 1.1, rel=1e-9)
    lv = r.tables["levers"]
    got = {(x.lever, x.kind, x.part, x.period): x.value_musd_per_yr for x in lv.itertuples()}
    assert got == pytest.approx({
        ("duty", "export_duty", "revenue", "p1"): -0.6,
        ("duty", "export_duty", "revenue", "p2"): -0.6,
        ("reverse_excise", "feed_excise", "variable_om", "p1"): 5.0,
        ("reverse_excise", "feed_excise", "variable_om", "p2"): 4.0,
        ("west", "freight_premium", "transport", "p1"): -0.15,
        ("west", "freight_premium", "transport", "p2"): -0.15,
        ("west", "price_discount", "revenue", "p1"): -1.8,
        ("west", "price_discount", "revenue", "p2"): -1.8}, rel=1e-9)
    k = r.tables["kpis"].set_index("kpi")
    for name, npv in (("reverse_excise_feed_excise", 5 + 4 / 1.1),
                      ("duty_export_duty", -0.6 * 2.1 / 1.1),
                      ("west_price_discount", -1.8 * 2.1 / 1.1),
                      ("west_freight_premium", -0.15 * 2.1 / 1.1)):
        assert k.loc[f"lever_{name}", "value"] == pytest.approx(npv, rel=1e-9), name
    assert k.loc["lever_west_freight_premium", "unit"] == (
        "MUSD discounted, part of npv_transport (not added again)")


def test_a_freight_premium_in_roubles_follows_the_fx_path_by_hand(tmp_path):
    """market_groups.csv takes ``stated_currency`` as levies.csv does: a group's freight
    premium in roubles is converted at each period's rate. It was read as USD whatever
    the case's other money said, so 500 RUB/t stood for 500 USD/t.

    Two 1-year periods, rate 0. RUB at 0.01 USD in p1, 0.005 in p2: the premium of 500
    RUB/t on the link into 'abroad' is 5 then 2.5 USD/t, the link's cost 30 + 5 = 35 then
    32.5. Feed 100 USD/t (at most 100 kt), 2 t per t of prod, reverse excise -50 USD/t of
    feed: prod costs 2 x 100 - 100 = 100 USD/t, at most 50 kt (the feed). Home: 500 - 10
    = 490 netback, at most 20; abroad 600 x 0.9 - 20 = 520, netback 485 in p1 and 487.5
    in p2. Plan: 20 home, 30 abroad each period.
    p1: 20 x 490 + 30 x 485 - 50 x 100 = 19,350 kUSD; p2: 9,800 + 14,625 - 5,000 = 19,425;
    objective 38.775 MUSD. (Read as 500 USD/t, abroad nets -10: 20 home only, 7.8 MUSD a
    period, 15.6.)"""
    folder = _case(tmp_path,
                   supplies="site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,feed,100,100",
                   fx_rates="currency,usd_per_unit\nRUB,0.01",
                   fx_rates_by_period="currency,period,usd_per_unit\nRUB,p2,0.005",
                   market_groups="group,sites,access,price_discount,"
                                 "freight_premium_usd_per_unit,stated_currency\n"
                                 "west,abroad,open,0.1,500,RUB")
    meta = {"format_version": 1, "name": "toy", "base_year": 2026, "discount_rate": 0.0,
            "periods": [{"period": "p1", "start_year": 2026, "length_yr": 1},
                        {"period": "p2", "start_year": 2027, "length_yr": 1}]}
    (folder / "case.yaml").write_text(yaml.safe_dump(meta))
    case = load_case(folder)
    lk = by_period(case, "links", ["cost_usd_per_unit"]).set_index(["link", "period"])
    assert lk["cost_usd_per_unit"].to_dict() == pytest.approx({
        ("to_home", "p1"): 10.0, ("to_home", "p2"): 10.0,
        ("to_abroad", "p1"): 35.0, ("to_abroad", "p2"): 32.5})
    r = solve_case(folder)
    assert r.objective == pytest.approx(38.775, rel=1e-9)
    sales = r["sales"].set_index(["site", "period"])["sales_k_per_yr"]
    assert sales.to_dict() == pytest.approx({("home", "p1"): 20.0, ("home", "p2"): 20.0,
                                             ("abroad", "p1"): 30.0, ("abroad", "p2"): 30.0})


def test_a_closed_group_stops_sales_not_imports_nor_supplies_at_its_sites(tmp_path):
    """``access: closed`` zeroes the sales caps and floors of the group's markets (README:
    it closes sales only), so links into its sites still carry and a supply there still
    sells elsewhere: a closed port passes goods on. Stopping imports too takes a user
    constraint, one ``flow`` term with ``to_site``.

    prod bought at a (100 USD/t, at most 50) and at m (150, at most 20); links a->m and
    m->x at 10 USD/t; markets m (300, at most 50) and x (200, at most 70); group g = {m},
    closed. Open, m takes the 50 from a: 50 x (300 - 110) = 9.5 MUSD, and m's own 20 go
    to x: 20 x 40 = 0.8; 10.3 MUSD. Closed: nothing sold at m; the 50 from a pass through
    m to x (200 - 120 = 80 a t: 4.0) and m's 20 go to x (0.8): 4.8 MUSD. With imports into
    m capped at 0 as well: only m's own 20 reach x, 0.8 MUSD."""
    tables = {
        "commodities": "commodity,unit,kind\nprod,t,product", "sites": "site\na\nm\nx",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,prod,100,50\n"
                    "m,prod,150,20",
        "links": "link,from_site,to_site,commodities,cost_usd_per_unit\nam,a,m,prod,10\n"
                 "mx,m,x,prod,10",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nm,prod,300,50\n"
                   "x,prod,200,70",
        "market_groups": "group,sites,access\ng,m,open"}
    assert solve_case(write_case(tmp_path / "open", tables)).objective == pytest.approx(10.3)
    closed = {**tables, "market_groups": "group,sites,access\ng,m,closed"}
    r = solve_case(write_case(tmp_path / "closed", closed))
    assert r.objective == pytest.approx(4.8, rel=1e-9)
    flows = r["flows"].set_index("link")["flow_k_per_yr"]
    assert flows.to_dict() == pytest.approx({"am": 50.0, "mx": 70.0})
    sales = r["sales"].set_index("site")["sales_k_per_yr"]
    assert sales.to_dict() == pytest.approx({"m": 0.0, "x": 70.0}, abs=1e-9)
    no_imports = {**closed, "constraints": "constraint,sense,rhs\nno_imports_m,<=,0",
                  "constraint_terms": "constraint,term,quantity,coef,to_site\n"
                                      "no_imports_m,1,flow,1,m"}
    r = solve_case(write_case(tmp_path / "no_imports", no_imports))
    assert r.objective == pytest.approx(0.8, rel=1e-9)


def test_a_sweep_reports_what_each_lever_moves_in_each_variant(tmp_path):
    """A sweep's kpis.csv has ``chainopt run``'s ``lever_*`` KPIs (``lever_*_musd``, so
    that summary.csv has their statistics, as of every ``_musd`` measure), by hand on
    the one-year, rate-0 case of :func:`test_levers_resolved_by_hand`:

    * the reverse excise set to -50, -40, -30 USD per t of feed (2 t per t made, 50 kt
      made): the chain receives 50 x 2 x 50 / 1000 = 5.0, then 4.0, 3.0 MUSD;
    * the home market's cap scaled by 0.5, 1, 1.5 (10, 20, 30 kt; home nets 490 USD/t,
      abroad 485, so home takes its cap and abroad the rest of the 50 kt): abroad 40, 30,
      20 kt, so the duty (20 USD/t) moves -0.8, -0.6, -0.4, west's discount (60 USD/t)
      -2.4, -1.8, -1.2 and its freight premium (5 USD/t) -0.2, -0.15, -0.1.

    Both sweeps are mapped (the warm path: the levers' terms move with the model's
    numbers), and each variant's lever KPIs equal a cold run's of the same variant."""
    folder = _case(tmp_path)
    excise, _, _ = api.sweep(
        str(folder), sets=["levies.amount_usd_per_unit[levy=reverse_excise]=-50:-30:3"],
        out=tmp_path / "a", jobs=1)
    assert excise["mapped"].all()
    assert excise["lever_reverse_excise_feed_excise_musd"].tolist() == pytest.approx(
        [5.0, 4.0, 3.0], rel=1e-9)
    assert excise["lever_duty_export_duty_musd"].tolist() == pytest.approx([-0.6] * 3, rel=1e-9)
    home, summary, _ = api.sweep(
        str(folder), sets=["markets.max_k_per_yr[site=home]*=0.5:1.5:3"],
        out=tmp_path / "b", jobs=1)
    assert home["mapped"].all()
    for kpi, per_t in (("duty_export_duty", 20), ("west_price_discount", 60),
                       ("west_freight_premium", 5)):
        assert home[f"lever_{kpi}_musd"].tolist() == pytest.approx(
            [-per_t * abroad / 1000 for abroad in (40, 30, 20)], rel=1e-9), kpi
    assert home["lever_reverse_excise_feed_excise_musd"].tolist() == pytest.approx([5.0] * 3)
    duty = summary[summary["measure"].eq("lever_duty_export_duty_musd")].set_index(
        "statistic")["value"]
    assert (duty["min"], duty["max"]) == pytest.approx((-0.8, -0.4), rel=1e-9)
    cold = solve_case(_case(tmp_path / "cold", levies="""
        levy,kind,commodity,sites,amount_usd_per_unit,active
        reverse_excise,feed_excise,feed,,-40,true
        duty,export_duty,prod,abroad,20,true
        home_price,regulated_price,prod,home,400,false
    """)).tables["kpis"].set_index("kpi")["value"]
    mid = excise.iloc[1]
    levers = [c for c in excise.columns if c.startswith("lever_")]
    assert len(levers) == 4
    for kpi in levers:
        assert mid[kpi] == pytest.approx(cold[kpi.removesuffix("_musd")], rel=1e-12), kpi


def test_carbon_prices_disposal_and_blend_costs_in_another_currency_by_hand(tmp_path):
    """policies, commodities and blends take ``stated_currency`` as every other table
    with money does (they were USD only): at EUR 1.10 then 1.20 USD per EUR (p1, p2),

    * a carbon price of 100 EUR/t (a period column) is 110 then 120 USD/t;
    * a disposal cost of 10 EUR/t (not by period) is 11 USD/t, at the first period's
      rate, as a capex is;
    * a blend's variable cost of 5 EUR per unit made (by period) is 5.5 then 6 USD;
    * a blank currency is USD: another policy's 7 stays 7."""
    folder = _case(tmp_path, commodities="""
        commodity,unit,kind,disposal,disposal_cost_usd_per_unit,stated_currency
        feed,t,raw,,,
        prod,t,product,true,10,EUR
        grade,t,product,,,
        co2,t,emission,,,
    """, fx_rates="currency,usd_per_unit\nRUB,0.0125\nEUR,1.1",
        fx_rates_by_period="currency,period,usd_per_unit\nEUR,p2,1.2",
        policies="""
        commodity,site,carbon_price_usd_per_unit,stated_currency
        co2,plant,100,EUR
        co2,home,7,
    """, blends="""
        blend,site,product,components,basis,variable_cost_usd_per_unit,stated_currency
        mix,plant,grade,prod,mass,5,EUR
    """)
    write_case(folder, {}, periods=[{"period": "p1", "start_year": 2026, "length_yr": 1},
                                    {"period": "p2", "start_year": 2027, "length_yr": 1}])
    case = load_case(folder)
    pol = by_period(case, "policies", ["carbon_price_usd_per_unit"])
    got = {(r.site, r.period): r.carbon_price_usd_per_unit for r in pol.itertuples()}
    assert got == pytest.approx({("plant", "p1"): 110.0, ("plant", "p2"): 120.0,
                                 ("home", "p1"): 7.0, ("home", "p2"): 7.0})
    com = case.tables["commodities"].set_index("commodity")
    assert com.loc["prod", "disposal_cost_usd_per_unit"] == pytest.approx(11.0)
    bl = by_period(case, "blends", ["variable_cost_usd_per_unit"])
    assert bl.set_index("period")["variable_cost_usd_per_unit"].to_dict() == pytest.approx(
        {"p1": 5.5, "p2": 6.0})


#: review s25 F6: feed at 100 USD/t at site a, unit u (10 kt/yr) makes prod 1:1 there;
#: a sells at most 5 kt/yr at 300, b (link ab, 10 USD/t) without limit at 600 in p1 and
#: 500 in p2; two 1-year periods, rate 0
DUTY_CHAIN = {
    "commodities": "commodity,unit,kind\nfeed,t,raw\nprod,t,product",
    "sites": "site\na\nb", "modes": "mode,process\nrun,make",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\nrun,prod,out,1",
    "units": "unit,site,process,capacity_k_per_yr\nu,a,make,10",
    "supplies": "site,commodity,cost_usd_per_unit\na,feed,100",
    "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\na,prod,300,5\nb,prod,600,",
    "markets_by_period": "site,commodity,period,price_usd_per_unit\nb,prod,p2,500",
    "links": "link,from_site,to_site,commodities,cost_usd_per_unit\nab,a,b,prod,10",
}
TAIL = ("the model sells there only where a floor makes it, paying to. To stop sales "
        "there, close the market in a market group instead (market_groups.csv, access: "
        "closed); to tax them, give ")


def test_stacked_duties_are_warned_once_with_their_sum(tmp_path):
    """Two duties on prod at b, d_a 300 and d_b 350 USD/t: neither alone reaches b's
    price, together 650 take it to 600 - 650 = -50 in p1 and 500 - 650 = -150 in p2. It
    was two warnings, "a duty of 300 on 600 USD per t: -50" and "a duty of 350 on 600
    ...: -50", sums that do not add up. Now one, naming both rows and 300 + 350 = 650.
    Nothing goes to b: a sells its 5 kt at 300 - 100, 1.0 MUSD a year, 2.0 in all."""
    folder = write_case(tmp_path / "d2", {**DUTY_CHAIN, "levies": (
        "levy,kind,commodity,sites,amount_usd_per_unit,active\n"
        "d_a,export_duty,prod,b,300,true\nd_b,export_duty,prod,b,350,true")},
        periods=TWO_PERIODS)
    case = load_case(folder)
    assert api.case_warnings(case) == [
        "levies.csv rows 2 (d_a) and 3 (d_b): their export duties on prod together are "
        "larger than the market price they are taken from, which they make negative, at b "
        "in p1 (duties of 300 + 350 = 650 on 600 USD per t: -50); b in p2 (duties of 300 "
        "+ 350 = 650 on 500 USD per t: -150): " + TAIL + "duties below the price"]
    assert api.run(case, save=False).objective == pytest.approx(2.0, rel=1e-9)


def test_a_duty_on_a_closed_market_is_not_warned_and_a_rouble_duty_reads_in_cents(tmp_path):
    """(a) A duty of 700 USD/t on b, whose market group g is closed: b sells nothing
    whatever its price, yet the run warned "a duty of 700 on 600 ...: -100" and advised
    closing the market. No warning now; a sells its 5 kt: 2.0 MUSD as above. (b) A
    duty of 51,850 RUB/t at 0.0117647 USD per rouble is 609.99969 USD/t: the warning said
    "a duty of 609.99969 on 600 USD per t: -9.99969"; now to the cent, 610 and -10."""
    closed = write_case(tmp_path / "d4", {**DUTY_CHAIN, "levies": (
        "levy,kind,commodity,sites,amount_usd_per_unit,active\n"
        "duty,export_duty,prod,b,700,true"), "market_groups": "group,sites,access\ng,b,closed"},
        periods=TWO_PERIODS)
    case = load_case(closed)
    assert api.case_warnings(case) == []
    assert api.run(case, save=False).objective == pytest.approx(2.0, rel=1e-9)
    rouble = write_case(tmp_path / "d3", {**DUTY_CHAIN, "levies": (
        "levy,kind,commodity,sites,amount_usd_per_unit,active,stated_currency\n"
        "duty,export_duty,prod,b,51850,true,RUB"),
        "fx_rates": "currency,usd_per_unit\nRUB,0.0117647"}, periods=TWO_PERIODS)
    assert api.case_warnings(load_case(rouble)) == [
        "levies.csv row 2 (duty): its export duty on prod is larger than the market price "
        "it is taken from, which it makes negative, at b in p1 (a duty of 610 on 600 USD "
        "per t: -10); b in p2 (a duty of 610 on 500 USD per t: -110): " + TAIL
        + "a duty below the price"]


#: crude, gas and a polymer (hdpe) sold at 'asia'; crude and hdpe share one ship (the
#: link's cost is one number for all it carries), gas goes by pipe
CARGOES = {
    "commodities": "commodity,unit,kind\ncrude,t,raw\ngas,1000m3,raw\nhdpe,t,product",
    "sites": "site\nhome\nasia",
    "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nhome,crude,400,10\n"
                "home,gas,50,20\nhome,hdpe,600,4",
    "links": "link,from_site,to_site,commodities,cost_usd_per_unit\n"
             "ship,home,asia,crude;hdpe,10\npipe,home,asia,gas,3",
    "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nasia,crude,500,10\n"
               "asia,gas,80,20\nasia,hdpe,1000,4",
}


def _groups(row: str) -> dict[str, str]:
    return {**CARGOES, "market_groups": "group,sites,commodities,access,price_discount,"
                                        f"freight_premium_usd_per_unit\n{row}"}


def test_a_group_listing_commodities_discounts_and_charges_those_alone(tmp_path):
    """A market group that lists ``commodities`` acts on those alone (the question of a
    petrochemical-only discount): group 'asia' lists hdpe, with a 10 % discount and a
    freight premium of 5 per unit. One 1-year period, rate 0; every margin is positive, so
    all supplies are sold at their caps in every case.

    Hand balance, kUSD a year (margin = price - supply - link cost):

    * no lever: crude 10 x (500 - 400 - 10) = 900; gas 20 x (80 - 50 - 3) = 540; hdpe
      4 x (1000 - 600 - 10) = 1,560; 3,000 in all;
    * hdpe listed: crude and gas untouched, 900 and 540, though crude shares the ship
      with hdpe (its cost stays 10); hdpe 4 x (900 - 600 - 10 - 5) = 1,140: 2,580, a
      change of -420 = -4 x (100 + 5): the discount -400, the premium -20;
    * no list (every commodity, as before): crude 10 x (450 - 400 - 15) = 350, gas
      20 x (72 - 50 - 8) = 280, hdpe 1,140: 1,770, a change of -1,230.

    Without the column the table was refused (no column commodities), and a group's
    levers could only act on every sale and link into its sites."""
    plain = solve_case(write_case(tmp_path / "none", CARGOES))
    assert plain.objective == pytest.approx(3.0, rel=1e-9)
    r = solve_case(write_case(tmp_path / "hdpe", _groups("asia,asia,hdpe,open,0.1,5")))
    assert r.objective == pytest.approx(2.58, rel=1e-9)
    assert r.objective - plain.objective == pytest.approx(-4 * (100 + 5) / 1000, rel=1e-9)
    sales = r["sales"].set_index("commodity")
    assert sales["price_usd_per_unit"].to_dict() == pytest.approx(
        {"crude": 500.0, "gas": 80.0, "hdpe": 900.0})
    assert sales["sales_k_per_yr"].to_dict() == pytest.approx(
        {"crude": 10.0, "gas": 20.0, "hdpe": 4.0})
    flows = r["flows"].set_index(["link", "commodity"])["cost_usd_per_unit"]
    assert flows.to_dict() == pytest.approx({("ship", "crude"): 10.0, ("ship", "hdpe"): 15.0,
                                             ("pipe", "gas"): 3.0})
    lv = r.tables["levers"]
    got = {(x.lever, x.kind, x.part): x.value_musd_per_yr for x in lv.itertuples()}
    assert got == pytest.approx({("asia", "price_discount", "revenue"): -0.4,
                                 ("asia", "freight_premium", "transport"): -0.02}, rel=1e-9)
    blanket = solve_case(write_case(tmp_path / "all", _groups("asia,asia,,open,0.1,5")))
    assert blanket.objective == pytest.approx(1.77, rel=1e-9)


def test_a_group_commodity_list_is_checked_where_it_is_written(tmp_path):
    """The list is checked as every list of names is: a misspelt name is refused at its
    row and column with the name meant; a cell naming no commodity (``;``) is refused
    as every list's empty item is (blank means every commodity); a list whose
    commodities no market at the group's sites sells and no link into them carries
    makes the discount and premium change nothing, refused at the row: at the list's
    cell (column commodities) when the list alone makes it so (asia sells crude, gas and
    hdpe and two links enter it, so listing none the group would act; it was refused at
    its sites, review xlsx2 F5), at its sites when they have no market nor link at all
    (home: nothing is sold there and no link enters it); a commodity of the list idle at
    the group while another is not is warned of; a scenario setting a misspelt list is
    refused at its change."""
    with pytest.raises(InputError) as e:
        load_case(write_case(tmp_path / "typo", _groups("asia,asia,hdep,open,0.1,5")))
    p = e.value.problems[0]
    assert p.where == "market_groups.csv row 2, column commodities"
    assert "unknown commodity name in list" in p.message and "hdpe" in p.hint
    with pytest.raises(InputError) as e:
        load_case(write_case(tmp_path / "empty", _groups("asia,asia,;,open,0.1,5")))
    p = e.value.problems[0]
    assert (p.where, p.message) == ("market_groups.csv row 2, column commodities",
                                    "holds an empty item (';' twice in a row, or at an end) "
                                    "(found ';')")
    idle = {**_groups("asia,asia,pp,open,0.1,5"),
            "commodities": CARGOES["commodities"] + "\npp,t,product"}
    with pytest.raises(InputError) as e:
        load_case(write_case(tmp_path / "idle", idle))
    said = [(p.where, p.message, p.hint) for p in e.value.problems]
    assert said == [
        ("market_groups.csv row 2, column commodities", "this market group would change "
         "nothing: it closes or discounts the markets at its sites, but none of them has a "
         "market of the commodities it lists (found 'pp')", "check the commodities it lists "
         "(the markets at its sites sell others), or remove the group"),
        ("market_groups.csv row 2, column commodities", "this market group would change "
         "nothing: it charges a freight premium on the links into its sites, but no link "
         "carrying one of the commodities it lists enters them (found 'pp')", "check the "
         "commodities it lists (the links into its sites carry others), or set the premium "
         "to 0")]
    with pytest.raises(InputError) as e:
        load_case(write_case(tmp_path / "home", _groups("asia,home,hdpe,open,0.1,5")))
    assert [(p.where, p.hint) for p in e.value.problems] == [
        ("market_groups.csv row 2, column sites", "check the group's sites (the market sites "
         "meant) and the commodities it lists, or remove the group"),
        ("market_groups.csv row 2, column sites", "check the group's sites and the "
         "commodities it lists, or set the premium to 0")]
    some = {**_groups("asia,asia,hdpe;pp,open,0.1,5"),
            "commodities": CARGOES["commodities"] + "\npp,t,product"}
    assert api.case_warnings(load_case(write_case(tmp_path / "some", some))) == [
        "market_groups.csv row 2 (asia): its commodities pp are sold at none of its sites "
        "and carried by no link into them, so its levers change nothing for them; check the "
        "group's commodities, or take those out of its list"]
    write_case(tmp_path / "base", _groups("asia,asia,,open,0,0"))
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump({"base": str(tmp_path / "base"), "changes": [
        {"table": "market_groups", "where": {"group": "asia"},
         "set": {"commodities": "hdep", "price_discount": 0.1}}]}))
    with pytest.raises(InputError) as e:
        apply_scenario(f)
    p = e.value.problems[0]
    assert p.where.endswith("s.yaml changes[0]")
    assert "market_groups.csv row asia, column commodities" in p.message and "hdpe" in p.hint


def test_a_workbook_cases_warnings_and_hints_name_its_sheet_and_row(tmp_path):
    """Review xlsx2 F1, F2 and F5 on a workbook. CARGOES with group asia listing hdpe
    and pp (pp sold nowhere), written as a workbook and three blank rows inserted under
    market_groups' header: asia's row, CSV row 2, is the sheet's row 5. The warning that
    pp is idle said 'market_groups.csv row 2 (asia)', a file the workbook has not and a
    row that is blank in it; now 'market_groups!5:5 (asia)' in what ``case_warnings``
    (validate) gives, what ``chainopt run`` prints and its manifest.json ``warnings``
    keeps, as an error in that row is located. F2: asia listing 'zzz' (no name is
    close) was told 'declare it in commodities.csv'; now 'the sheet commodities'. F5:
    listing pp alone (asia sells crude, gas and hdpe) is refused at the list's cell,
    market_groups!C5 (columns group, sites, commodities, ...), not at B5."""
    import json

    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from chainopt.case.excel import write_workbook
    from chainopt.case.load import read_raw
    from chainopt.cli import app

    pp = CARGOES["commodities"] + "\npp,t,product"

    def book(name: str, listed: str) -> Path:
        folder = write_case(tmp_path / name, {**_groups(f"asia,asia,{listed},open,0.1,5"),
                                              "commodities": pp})
        path = write_workbook(read_raw(folder), tmp_path / f"{name}.xlsx")
        wb = load_workbook(path)
        wb["market_groups"].insert_rows(2, amount=3)
        wb.save(path)
        return path

    idle = book("idle", "hdpe;pp")
    said = ("market_groups!5:5 (asia): its commodities pp are sold at none of its sites and "
            "carried by no link into them, so its levers change nothing for them; check the "
            "group's commodities, or take those out of its list")
    assert api.case_warnings(load_case(idle)) == [said]
    r = CliRunner().invoke(app, ["run", str(idle), "--out", str(tmp_path / "res"),
                                 "--name", "idle"])
    assert r.exit_code == 0, r.output
    assert said in " ".join(r.output.split())
    assert "market_groups.csv" not in r.output
    manifest = json.loads((tmp_path / "res" / "idle" / "manifest.json").read_text())
    assert said in manifest["warnings"]
    p = _problem(book("zzz", "hdpe;zzz"))
    assert (p.where, p.hint) == ("market_groups!C5", "declare it in the sheet commodities")
    with pytest.raises(InputError) as e:
        load_case(book("only_pp", "pp"))
    assert [p.where for p in e.value.problems] == ["market_groups!C5", "market_groups!C5"]


def test_groups_listing_commodities_apart_may_share_a_site(tmp_path):
    """Polymers at one discount and energy at another in one country: group 'poly' lists
    hdpe at asia (10 %, 5 per unit), group 'energy' lists crude and gas there (20 %, 2).
    Each market takes one group's levers. A site was refused in a second group whatever
    the lists (review mgc F2). Hand balance (CARGOES, kUSD a year):

    * crude: 500 x 0.8 = 400, less supply 400, ship 10 and premium 2: -12 a t, so none is
      bought or sold: 0;
    * gas: 80 x 0.8 = 64, less 50, pipe 3, premium 2: 9 x 20 = 180;
    * hdpe: 900 - 600 - 10 - 5 = 285 x 4 = 1,140;

    1,320 in all. Lists that overlap (crude in both) are refused at the later row,
    naming the earlier group and the commodity; a group listing none (every commodity)
    overlaps any other at the site, on the other's list (review s29 F4: it named
    'every commodity')."""
    both = _groups("poly,asia,hdpe,open,0.1,5\nenergy,asia,crude;gas,open,0.2,2")
    r = solve_case(write_case(tmp_path / "both", both))
    assert r.objective == pytest.approx(1.32, rel=1e-9)
    sales = r["sales"].set_index("commodity")["sales_k_per_yr"].to_dict()
    assert sales.get("crude", 0.0) == pytest.approx(0.0, abs=1e-9)
    assert (sales["gas"], sales["hdpe"]) == pytest.approx((20.0, 4.0))
    flows = r["flows"].set_index(["link", "commodity"])["cost_usd_per_unit"].to_dict()
    assert flows == pytest.approx({("ship", "crude"): 12.0, ("ship", "hdpe"): 15.0,
                                   ("pipe", "gas"): 5.0})
    for rows, what in (("poly,asia,hdpe;crude,open,0.1,5\nenergy,asia,crude;gas,open,0.2,2",
                        "crude"),
                       # energy lists none (every commodity): the overlap is poly's hdpe
                       ("poly,asia,hdpe,open,0.1,5\nenergy,asia,,open,0.2,2", "hdpe")):
        with pytest.raises(InputError) as e:
            load_case(write_case(tmp_path / what, _groups(rows)))
        (p,) = e.value.problems
        assert (p.where, p.message) == (
            "market_groups.csv row 3, column sites",
            f"site 'asia' is already in market group 'poly' (row 2) for {what}")
        assert "list commodities that do not overlap" in p.hint


def test_a_closed_group_listing_commodities_warns_of_demand_it_closes_alone(tmp_path):
    """A group closing hdpe at asia, where demand.csv requires 5 k 1000m3 of gas: closing
    hdpe does not touch that delivery, so there is nothing to warn of (it warned that the
    group's closing does not stop it, review mgc F3); closing gas too, it warns."""
    def case(listed: str) -> dict[str, str]:
        return {**_groups(f"g1,asia,{listed},closed,0,0"),
                "demand": "site,commodity,amount_k_per_yr\nasia,gas,5"}

    said = api.case_warnings(load_case(write_case(tmp_path / "hdpe", case("hdpe"))))
    assert not [w for w in said if "demand.csv requires" in w], said
    said = api.case_warnings(load_case(write_case(tmp_path / "gas", case("hdpe;gas"))))
    assert [w for w in said if "demand.csv requires deliveries at asia" in w], said


@pytest.mark.parametrize(("cell", "hint"), [
    ('"hdpe,crude"', "a list is one text with its names separated by ';' (e.g. 'hdpe;crude'), "
                     "not by commas, spaces or YAML brackets"),
    ("hdpe crude", "a list is one text with its names separated by ';' (e.g. 'hdpe;crude'), "
                   "not by commas, spaces or YAML brackets"),
    ("ｈｄｐｅ", "did you mean 'hdpe'?"),
])
def test_a_list_cell_that_is_no_list_of_names_says_how_to_write_one(tmp_path, cell, hint):
    """Names separated by commas or spaces, and a name in fullwidth letters, were refused
    with 'did you mean 'crude'?' (the nearest of the whole cell) or with no suggestion
    (review mgc F6); now the hint says what to write. A YAML list set in a scenario
    reads as the text "['hdpe', 'crude']" and gets the same note."""
    with pytest.raises(InputError) as e:
        load_case(write_case(tmp_path / "c", _groups(f"asia,asia,{cell},open,0.1,5")))
    p = e.value.problems[0]
    assert p.where == "market_groups.csv row 2, column commodities"
    assert hint in p.hint, p.hint
    if "did you mean" not in hint:  # not the nearest name of the whole cell (s29 F5)
        assert p.hint == hint, p.hint
    if "," in cell:
        write_case(tmp_path / "base", _groups("asia,asia,,open,0,0"))
        f = tmp_path / "s.yaml"
        f.write_text(yaml.safe_dump({"base": str(tmp_path / "base"), "changes": [
            {"table": "market_groups", "where": {"group": "asia"},
             "set": {"commodities": ["hdpe", "crude"]}}]}))
        with pytest.raises(InputError) as e:
            apply_scenario(f)
        assert hint in e.value.problems[0].hint, e.value.problems[0]
