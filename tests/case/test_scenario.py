"""Scenario overlays: set/scale/add, rows, chains, cycles, errors, project states."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from chainopt import api
from chainopt.case.scenario import apply_changes, read_scenario, resolve_chain
from chainopt.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SCEN = ROOT / "scenarios"


def _write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(textwrap.dedent(text))
    return p


def _overlay(tmp_path: Path, changes: str):
    p = _write(tmp_path, "s.yaml", "base: small_chain\nchanges:\n" + textwrap.indent(
        textwrap.dedent(changes), "  "))
    return resolve_chain(p)


def _cell(raw, table, col, **key):
    df = raw.tables[table]
    for k, v in key.items():
        df = df[df[k] == v]
    assert len(df) == 1, (table, key, len(df))
    return df.iloc[0][col]


def test_set_scale_add_and_period_overrides(tmp_path):
    """Crude cost 340 x 1.2 = 408; PP prices 880 + 20 = 900 and 930 + 20 = 950;
    HDPE at chn in p2036 = 1150 written as an override; the ru_dom hdpe floor set to
    100 everywhere clears its overrides (330, 360) so that 100 holds in every period."""
    base, eff, chain = _overlay(tmp_path, """
        - table: supplies
          where: {commodity: crude}
          scale: {cost_usd_per_unit: 1.2}
        - table: markets
          where: {commodity: pp}
          add: {price_usd_per_unit: 20}
        - table: markets
          where: {site: chn, commodity: hdpe}
          period: p2036
          set: {price_usd_per_unit: 1150}
        - table: markets
          where: {site: ru_dom, commodity: hdpe}
          set: {min_k_per_yr: 100}
        - table: policies
          where: {commodity: co2}
          set: {carbon_price_usd_per_unit: {p2031: 25, p2036: 50}}
    """)
    assert _cell(eff, "supplies", "cost_usd_per_unit", commodity="crude") == "408"
    assert _cell(base, "supplies", "cost_usd_per_unit", commodity="crude") == "340"  # untouched
    assert _cell(eff, "markets", "price_usd_per_unit", site="ru_dom", commodity="pp") == "900"
    assert _cell(eff, "markets", "price_usd_per_unit", site="chn", commodity="pp") == "950"
    assert _cell(eff, "markets_by_period", "price_usd_per_unit", site="chn", commodity="hdpe",
                 period="p2036") == "1150"
    assert _cell(eff, "markets", "min_k_per_yr", site="ru_dom", commodity="hdpe") == "100"
    assert _cell(eff, "markets_by_period", "min_k_per_yr", site="ru_dom", commodity="hdpe",
                 period="p2031") == ""
    assert _cell(eff, "policies_by_period", "carbon_price_usd_per_unit",
                 period="p2036") == "50"
    assert [e["kind"] for e in chain] == ["case", "scenario"]
    # the effective case validates and the model sees the overrides
    case = api.apply_scenario(tmp_path / "s.yaml")
    bp = case.by_period["markets"]
    assert float(bp.loc[(bp["site"] == "chn") & (bp["period"] == "p2036"),
                        "price_usd_per_unit"].iloc[0]) == 1150.0


def test_scale_applies_to_existing_overrides(tmp_path):
    """The ru_dom hdpe sales cap 500 (550, 600 by period) x 2 -> 1000 (1100, 1200)."""
    _, eff, _ = _overlay(tmp_path, """
        - table: markets
          where: {site: ru_dom, commodity: hdpe}
          scale: {max_k_per_yr: 2}
    """)
    assert _cell(eff, "markets", "max_k_per_yr", site="ru_dom", commodity="hdpe") == "1000"
    assert _cell(eff, "markets_by_period", "max_k_per_yr", site="ru_dom", commodity="hdpe",
                 period="p2036") == "1200"


def test_a_sweeps_changes_reach_the_overrides_without_their_checks():
    """A sweep applies its variant's changes without checking each value against its
    column (``check_values=False``: the map or the validation checks them): the ru_dom
    hdpe sales cap 500 (550, 600 by period) x 2 is still 1000 (1100, 1200), the
    overrides scaled with their row, as a scenario's change scales them; a column
    without overrides (the hdpe price at ru_dom, 900 x 0.5 = 450) is scaled alike."""
    from chainopt.case.load import read_raw
    from chainopt.case.scenario import Scenario

    raw = read_raw("small_chain")
    sc = Scenario(name="sweep", description="", base="", path=Path("--set"), changes=(
        {"table": "markets", "where": {"site": "ru_dom", "commodity": "hdpe"},
         "scale": {"max_k_per_yr": 2}},
        {"table": "markets", "where": {"site": "ru_dom", "commodity": "hdpe"},
         "scale": {"price_usd_per_unit": 0.5}}))
    eff = apply_changes(raw, sc, check_values=False)
    assert _cell(eff, "markets", "max_k_per_yr", site="ru_dom", commodity="hdpe") == "1000"
    assert _cell(eff, "markets_by_period", "max_k_per_yr", site="ru_dom", commodity="hdpe",
                 period="p2036") == "1200"
    assert _cell(eff, "markets", "price_usd_per_unit", site="ru_dom",
                 commodity="hdpe") == "450"


def test_add_and_remove_rows(tmp_path):
    _, eff, _ = _overlay(tmp_path, """
        - table: markets
          add_rows:
            - {site: chn, commodity: lpg, price_usd_per_unit: 420, max_k_per_yr: 300}
        - table: markets
          remove_rows: {site: ru_dom, commodity: hdpe}
    """)
    mk = eff.tables["markets"]
    assert ((mk["site"] == "chn") & (mk["commodity"] == "lpg")).sum() == 1
    assert not ((mk["site"] == "ru_dom") & (mk["commodity"] == "hdpe")).any()
    bp = eff.tables["markets_by_period"]  # its overrides went with it
    assert not ((bp["site"] == "ru_dom") & (bp["commodity"] == "hdpe")).any()


@pytest.mark.parametrize(("rows", "message"), [
    (["{site: chn, commodity: lpg, price_usd_per_unit: 420}",
     "{site: chn, commodity: lpg, tier: 1, price_usd_per_unit: 400}"],
     r"changes\[0\]: row chn/lpg/1 is added twice \(key site, commodity, tier\); merge "
     r"the two rows, or give each its own tier"),
    (["{site: ru_dom, commodity: hdpe, price_usd_per_unit: 1000}",
      "{site: chn, commodity: lpg, tier: 2, price_usd_per_unit: 400}"],
     r"changes\[0\]: row ru_dom/hdpe/1 already exists in markets.csv")])
def test_added_rows_that_clash_name_the_change(tmp_path, rows, message):
    """Two added rows of one key (the tier left out of one), or a row of an existing
    key next to a row that gives a tier (the other's blank tier read 'nan'), were
    reported at the effective case's 'markets.csv row 13', a row the user has no
    file for."""
    with pytest.raises(InputError, match=message):
        _overlay(tmp_path, "- table: markets\n  add_rows:\n"
                 + "".join(f"    - {r}\n" for r in rows))


def test_chained_bases_apply_in_order():
    """small_chained builds on small_high_prices: HDPE at chn 950 x 1.2 = 1140 from the
    parent, plus its own project switch."""
    _, eff, chain = resolve_chain(SCEN / "small_chained.yaml")
    assert [e["name"] for e in chain] == ["small_chain", "small_high_prices", "small_chained"]
    assert _cell(eff, "markets", "price_usd_per_unit", site="chn", commodity="hdpe") == "1140"
    assert _cell(eff, "projects", "state", project="far_east_port") == "forced"
    assert _cell(eff, "projects", "forced_period", project="far_east_port") == "p2031"


def test_cycle_is_rejected(tmp_path):
    _write(tmp_path, "a.yaml", "base: b.yaml\nchanges: []\n")
    _write(tmp_path, "b.yaml", "base: a.yaml\nchanges: []\n")
    with pytest.raises(InputError, match="cycle"):
        api.load_case(tmp_path / "a.yaml")


def test_selector_matching_nothing_is_an_error(tmp_path):
    p = _write(tmp_path, "x.yaml", """\
        base: small_chain
        changes:
          - table: supplies
            where: {commodity: crude}
            scale: {cost_usd_per_unit: 1.1}
          - project: far_east_port
            state: optional
          - table: markets
            where: {commodity: hdpx}
            set: {price_usd_per_unit: 1}
        """)
    with pytest.raises(InputError) as e:
        api.load_case(p)
    (problem,) = e.value.problems
    assert str(problem).endswith("x.yaml changes[2]: selector {commodity: hdpx} matches no row "
                                 "of markets.csv; did you mean 'hdpe'?")


def test_unknown_column_and_table_are_errors_all_collected(tmp_path):
    p = _write(tmp_path, "x.yaml", """\
        base: small_chain
        changes:
          - table: markets
            where: {commodity: hdpe}
            set: {prise_usd_per_unit: 1}
          - table: market
            where: {commodity: hdpe}
            set: {price_usd_per_unit: 1}
          - project: far_east_prt
            state: optional
        """)
    with pytest.raises(InputError) as e:
        api.load_case(p)
    text = [str(x) for x in e.value.problems]
    assert len(text) == 3
    assert "changes[0]: column 'prise_usd_per_unit' does not exist in markets.csv; did you " \
           "mean 'price_usd_per_unit'?" in text[0]
    assert "changes[1]: unknown table 'market'; did you mean 'markets'?" in text[1]
    assert "changes[2]: no project 'far_east_prt'" in text[2]


def test_invalid_effective_case_names_the_scenario(tmp_path):
    p = _write(tmp_path, "x.yaml", """\
        base: small_chain
        changes:
          - table: markets
            where: {commodity: hdpe, site: chn}
            set: {price_usd_per_unit: abc}
        """)
    with pytest.raises(InputError, match=r"not a number|needs a number"):
        api.load_case(p)


def test_scenario_name_and_default_results_name(tmp_path):
    sc = read_scenario(SCEN / "small_port_expansion.yaml")
    assert sc.name == "small_port_expansion"
    res = api.run(SCEN / "small_port_expansion.yaml", out=tmp_path)
    assert (tmp_path / "small_port_expansion" / "manifest.json").is_file()
    chain = res.manifest["scenario_chain"]
    assert [e["name"] for e in chain] == ["small_chain", "small_port_expansion"]


def test_apply_changes_leaves_base_untouched():
    base, _, _ = resolve_chain(SCEN / "small_high_prices.yaml")
    before = base.tables["markets"].copy()
    apply_changes(base, read_scenario(SCEN / "small_high_prices.yaml"))
    assert base.tables["markets"].equals(before)


# -- project states -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def base_run():
    return api.run("small_chain", save=False)


def _project(tmp_path, state: str, period: str = "") -> object:
    extra = f"\n    period: {period}" if period else ""
    p = _write(tmp_path, f"{state}.yaml", f"base: small_chain\nchanges:\n  - project: "
               f"far_east_port\n    state: {state}{extra}\n")
    return api.run(p, save=False)


def test_optional_project_that_pays_is_chosen(tmp_path, base_run):
    """far_east_port (25 MUSD, 30 yr) saves 74 USD/t on the route to China: chosen in
    p2026 and the objective rises (7784.94 -> 7797.22 MUSD)."""
    r = _project(tmp_path, "optional")
    pj = r["projects"].set_index("period")["built_share"]
    assert pj["p2026"] == pytest.approx(1.0)
    assert pj.sum() == pytest.approx(1.0)
    assert r.objective > base_run.objective + 1.0
    print(f"optional: {base_run.objective:.2f} -> {r.objective:.2f} MUSD")


def test_forced_and_off_projects(tmp_path, base_run):
    forced = _project(tmp_path, "forced", "p2031")
    pj = forced["projects"]
    assert list(pj["period"]) == ["p2031"] and pj["built_share"].iloc[0] == pytest.approx(1.0)
    cap = forced["capacity"]
    fe = cap[cap["name"] == "fe_port_sea"].set_index("period")["total_k_per_yr"]
    assert fe["p2026"] == pytest.approx(0.0) and fe["p2031"] == pytest.approx(800.0)
    off = _project(tmp_path, "off")
    assert off["projects"].empty
    assert off.objective == pytest.approx(base_run.objective, rel=1e-12)
    assert not (off["flows"]["link"] == "fe_port_sea").any()


def _tier_case(tmp_path: Path) -> Path:
    """markets.csv writes tier 1; markets_by_period.csv leaves the tier out (allowed:
    docs/case_format.md): price 100, 110 in p2 by override."""
    from tests.toycase import write_case

    return write_case(tmp_path / "tiers", {
        "sites": "site\na\n", "commodities": "commodity,unit,kind\nfuel,t,product\n",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,fuel,10,5\n",
        "markets": "site,commodity,tier,price_usd_per_unit\na,fuel,1,100\n",
        "markets_by_period": "site,commodity,period,price_usd_per_unit\na,fuel,p2,110\n"},
        periods=[{"period": "p1", "start_year": 2026, "length_yr": 5},
                 {"period": "p2", "start_year": 2031, "length_yr": 5}])


@pytest.mark.parametrize(("change", "p1", "p2"), [
    ("{table: markets, where: {site: a}, scale: {price_usd_per_unit: 2}}", 200, 220),
    ("{table: markets, where: {site: a}, set: {price_usd_per_unit: 50}}", 50, 50),
    ("{table: markets, where: {site: a}, period: p2, set: {price_usd_per_unit: 50}}", 100, 50),
    ("{table: markets, where: {site: a, tier: 1}, add: {price_usd_per_unit: 1}}", 101, 111),
])
def test_overrides_match_their_row_whether_or_not_the_tier_is_written(tmp_path, change,
                                                                       p1, p2):
    """By hand from the scenario's words. The tier was matched as raw text ("1" against
    a blank), so scale left p2 at 110, set left it at 110, a change by period added a
    second override (a duplicate-key error) and where {tier: 1} matched nothing."""
    from chainopt.case.index import by_period
    from chainopt.case.scenario import load_source

    folder = _tier_case(tmp_path)
    sc = _write(tmp_path, "s.yaml", f"base: {folder}\nchanges:\n  - {change}\n")
    m = by_period(load_source(sc), "markets", ["price_usd_per_unit"])
    assert m.set_index("period")["price_usd_per_unit"].to_dict() == {"p1": p1, "p2": p2}


def test_remove_rows_removes_overrides_written_without_the_tier(tmp_path):
    folder = _tier_case(tmp_path)
    sc = _write(tmp_path, "s.yaml", f"base: {folder}\nchanges:\n"
                "  - {table: markets, remove_rows: {site: a}}\n")
    _, raw, _ = resolve_chain(sc)
    assert raw.tables["markets"].empty and raw.tables["markets_by_period"].empty


def test_a_blank_for_one_period_is_refused_and_new_periods_are_known(tmp_path):
    """A blank override means "the table's value" there, so set: null with a period
    could not make that period blank (it silently kept 80): refused. A case change of
    the periods is seen by the changes after it."""
    with pytest.raises(InputError, match="a blank value for one period would mean"):
        _overlay(tmp_path, "- {table: markets, where: {site: chn, commodity: hdpe}, "
                           "period: p2036, set: {max_k_per_yr: null}}\n")
    _, raw, _ = _overlay(tmp_path, """\
        - case: {periods: [{period: q1, start_year: 2026, length_yr: 15}]}
        - {table: markets, where: {site: chn, commodity: hdpe}, period: q1,
           set: {price_usd_per_unit: 1}}
        """)
    bp = raw.tables["markets_by_period"]
    assert "q1" in set(bp["period"])


# -- every change checked where it is written -------------------------------------------

def _two_markets(tmp_path: Path, changes: str) -> Path:
    """Sites a, b; fuel bought at a (10 USD/t, 100 kt/yr), sold at a (50 USD/t, cap 30;
    in p2 60 and 40 by override) and at b (80, no cap; 90 in p3), link ab (50 kt/yr);
    project pj (its link ab2) written ``all_or_nothing: yes``. Returns the scenario."""
    from tests.toycase import write_case

    folder = write_case(tmp_path / "two", {
        "sites": "site\na\nb\n", "commodities": "commodity,unit,kind\nfuel,t,product\n",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,fuel,10,100\n",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\na,fuel,50,30\n"
                   "b,fuel,80,\n",
        "markets_by_period": "site,commodity,period,price_usd_per_unit,max_k_per_yr\n"
                             "a,fuel,p2,60,40\nb,fuel,p3,90,\n",
        "projects": "project,capex_musd,lifetime_yr,state,all_or_nothing\npj,3,10,off,yes\n",
        "links": "link,from_site,to_site,commodities,capacity_k_per_yr,cost_usd_per_unit,"
                 "project\nab,a,b,fuel,50,5,\nab2,a,b,fuel,30,5,pj\n"},
        periods=[{"period": f"p{i}", "start_year": 2025 + i, "length_yr": 1}
                 for i in (1, 2, 3)])
    return _write(tmp_path, "s.yaml", f"base: {folder}\nchanges:\n"
                  + textwrap.indent(textwrap.dedent(changes), "  "))


def _problems(scenario: Path) -> list[str]:
    with pytest.raises(InputError) as e:
        api.load_case(scenario)
    return [str(p) for p in e.value.problems]


def test_values_a_change_writes_are_checked_at_the_change(tmp_path):
    """A value a change writes that its file would refuse is refused at the scenario
    file and change, the row named by its key. They were reported at "(effective case)
    markets.csv row 2" with no change named, the row counted in the effective table:
    after the remove_rows below, b's row is row 2 there but row 3 of markets.csv, and an
    added row is in no file at all.

    By hand: a's cap 30 (40 in p2) plus -100 is -70 (-60 in p2), below 0; b's price set
    blank leaves a required value blank; the new row names a site 'c' that sites.csv
    lacks; 'teleport' is no transport mode and 2.5 no whole number of years; a discount
    rate of 2 is above 1. Adding -30 instead gives 0 and 10: allowed (bounds inclusive)."""
    text = _problems(_two_markets(tmp_path, """\
        - {table: markets, where: {site: a}, add: {max_k_per_yr: -100}}
        - {table: markets, remove_rows: {site: a}}
        - {table: markets, where: {site: b}, set: {price_usd_per_unit: null}}
        - {table: markets, add_rows: [{site: c, commodity: fuel, price_usd_per_unit: 1}]}
        - {table: links, where: {link: ab}, set: {transport_mode: teleport, lifetime_yr: 2.5}}
        - case: {discount_rate: 2}
        """))
    assert [t.split("s.yaml ", 1)[1] for t in text] == [
        "changes[0]: markets.csv row a/fuel/1, column max_k_per_yr: must be at least 0 "
        "(found '-70')",
        "changes[0]: markets_by_period.csv row a/fuel/1/p2, column max_k_per_yr: must be at "
        "least 0 (found '-60')",
        "changes[2]: markets.csv row b/fuel/1, column price_usd_per_unit: a value is "
        "required here (it is blank)",
        "changes[3]: markets.csv row c/fuel/1, column site: unknown site name (found 'c'); "
        "declare it in sites.csv",
        "changes[4]: links.csv row ab, column transport_mode: not an allowed value (found "
        "'teleport'); one of: pipeline, rail, sea, road, terminal, other",
        "changes[4]: links.csv row ab, column lifetime_yr: must be a whole number (found "
        "'2.5')",
        "changes[5]: case.yaml key discount_rate: must be at most 1 (found 2); a fraction: "
        "2 % is 0.02"]
    from chainopt.case.index import by_period

    ok = api.load_case(_two_markets(tmp_path, "- {table: markets, where: {site: a}, "
                                              "add: {max_k_per_yr: -30}}\n"))
    cap = by_period(ok, "markets", ["max_k_per_yr"])
    assert cap[cap["site"] == "a"].set_index("period")["max_k_per_yr"].to_dict() == {
        "p1": 0.0, "p2": 10.0, "p3": 0.0}


def test_a_list_a_change_writes_with_an_empty_item_is_refused(tmp_path):
    """A link's commodities set to 'fuel;' ran as 'fuel' (the empty item dropped), as a
    file's cell did; both are refused now."""
    text = _problems(_two_markets(tmp_path, "- {table: links, where: {link: ab}, "
                                            "set: {commodities: 'fuel;'}}\n"))
    assert [t.split("s.yaml ", 1)[1] for t in text] == [
        "changes[0]: links.csv row ab, column commodities: holds an empty item (';' twice "
        "in a row, or at an end) (found 'fuel;'); separate the items by one ';' each "
        "(e.g. a;b)"]


def test_a_listed_selector_value_that_matches_no_row_is_an_error(tmp_path):
    """``where: {site: [a, bb]}`` scaled a's prices and said nothing of 'bb' (a typo for
    b): the change did less than it says. Each listed value must match a row."""
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets, where: {site: [a, bb]}, "
                                               "scale: {price_usd_per_unit: 2}}\n"))
    assert text.endswith("s.yaml changes[0]: selector {site: [a, bb]}: no row of "
                         "markets.csv has site 'bb'; did you mean 'b'?")


def test_an_unquoted_yaml_no_in_a_name_selector_says_to_quote_it(tmp_path):
    """YAML reads ``site: no`` as false, so a site named no was looked for as 'false'
    with no hint why; the hint now says to quote the name."""
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets, where: {site: no}, "
                                               "scale: {price_usd_per_unit: 2}}\n"))
    assert "matches no row of markets.csv; YAML reads an unquoted yes, no, on, off, true " \
           "or false as false: quote the name, e.g. site: 'no'" in text, text


def test_a_bool_selector_matches_the_ways_a_file_writes_true(tmp_path):
    """projects.csv writes all_or_nothing as 'yes' (validation reads it as true), so
    ``where: {all_or_nothing: true}`` selects pj: its capex 3 -> 4 MUSD. It matched no
    row ('yes' against 'true'), and the message showed the value as Python's 'True'."""
    case = api.load_case(_two_markets(tmp_path, "- {table: projects, where: "
                                                "{all_or_nothing: true}, set: {capex_musd: 4}}\n"))
    assert case.tables["projects"].set_index("project").at["pj", "capex_musd"] == 4.0
    (text,) = _problems(_two_markets(tmp_path, "- {table: projects, where: "
                                               "{all_or_nothing: false}, set: {capex_musd: 4}}\n"))
    assert text.endswith("changes[0]: selector {all_or_nothing: false} matches no row of "
                         "projects.csv; all_or_nothing in projects.csv holds: true")


@pytest.mark.parametrize(("change", "word"), [
    ("{table: markets, period: p2, remove_rows: {site: a}}", "'period' does not go with "
     "remove_rows"),
    ("{table: markets, where: {site: b}, add_rows: [{site: a, commodity: fuel, tier: 2, "
     "price_usd_per_unit: 1}]}", "'where' does not go with add_rows")])
def test_period_or_where_with_whole_rows_is_refused(tmp_path, change, word):
    """``period: p2`` next to remove_rows {site: a} removed a's market in p1 and p3 too
    (its p1-p3 sales of 30, 40, 30 kt gone, not only p2's 40); a ``where`` or
    ``period`` next to add_rows was ignored."""
    (text,) = _problems(_two_markets(tmp_path, f"- {change}\n"))
    assert f"changes[0]: {word}: it adds or removes whole rows, in every period" in text


def test_a_name_of_a_table_the_case_lacks_is_refused_at_the_change(tmp_path):
    """The tier case has no projects.csv, so no project 'ghost' can exist: an added link
    naming it is refused at the change, as a link naming an absent site is."""
    sc = _write(tmp_path, "s.yaml", f"base: {_tier_case(tmp_path)}\nchanges:\n"
                "  - {table: links, add_rows: [{link: l, from_site: a, to_site: a, "
                "commodities: fuel, project: ghost}]}\n")
    (text,) = _problems(sc)
    assert text.endswith("s.yaml changes[0]: links.csv row l, column project: unknown "
                         "project name (found 'ghost'); declare it in projects.csv")


def test_a_project_change_naming_several_projects_is_refused_as_such(tmp_path):
    """Review fin F7: ``{project: [a, b], state: optional}`` read "no project '['a', 'b']'
    in projects.csv" (a Python list's text), as if a project of that name were missing.
    A table change's where: takes a list; a project change sets one project: say so."""
    sc = _write(tmp_path, "s.yaml", "base: small_chain\nchanges:\n"
                "  - {project: [far_east_port, other], state: optional}\n")
    (text,) = _problems(sc)
    assert text.endswith("s.yaml changes[0]: a project change takes one project (found "
                         "several: far_east_port, other); write one change per project, "
                         "e.g. - {project: a, state: optional} and - {project: b, state: "
                         "optional}")


def test_a_period_listed_twice_is_refused(tmp_path):
    """``period: [p2, p2]`` with ``add: {price_usd_per_unit: 5}`` applied the change once
    per listed period: a's p2 price 60 became 70, not 65. Refused at the change."""
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets, where: {site: a}, period: "
                                               "[p2, p2], add: {price_usd_per_unit: 5}}\n"))
    assert text.endswith("s.yaml changes[0]: period 'p2' is listed twice; list each period "
                         "once")


def test_one_column_changed_by_two_operations_of_one_change_is_refused(tmp_path):
    """``{scale: {price_usd_per_unit: 2}, set: {price_usd_per_unit: 10}}`` applied set
    then scale whatever the order written: a's price became 10 x 2 = 20 where the file
    reads as 50 x 2, then 10 = 10. Ambiguous, so refused; two changes apply in order."""
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets, where: {site: a}, scale: "
                                               "{price_usd_per_unit: 2}, set: "
                                               "{price_usd_per_unit: 10}}\n"))
    assert text.endswith("s.yaml changes[0]: column 'price_usd_per_unit' is changed by both "
                         "set and scale in one change; give each in a change of its own: "
                         "changes apply in order")


def test_effective_case_problems_name_rows_by_key(tmp_path):
    """A problem only the whole effective case shows (a floor above its cap) named
    "markets.csv row 2" after a's row was removed: b is row 3 of markets.csv. It is now
    named by its key. By hand: b's floor 10 above its cap 5 in p1-p3."""
    (text,) = _problems(_two_markets(tmp_path, """\
        - {table: markets, remove_rows: {site: a}}
        - {table: markets, where: {site: b}, set: {min_k_per_yr: 10, max_k_per_yr: 5}}
        """))
    assert "s.yaml (effective case) markets.csv row b/fuel/1, column min_k_per_yr: the " \
           "demand floor of fuel at b is above its sales cap, 5, in p1, p2 and p3" in text


# -- overlays as planners write them: every change does what it says, or is refused ------

def test_an_empty_remove_rows_or_a_blank_where_is_refused(tmp_path):
    """``remove_rows: {}`` removed every market (objective 14.65 -> 0 MUSD: nothing sold)
    and ``where:`` left blank changed every row (both prices set to 1), each silently: an
    unfinished line. Both are refused at the change, saying what to write."""
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets, remove_rows: {}}\n"))
    assert text.endswith("changes[0]: 'remove_rows' is empty: it would remove every row of "
                         "markets.csv; name the rows to remove, column: value or [values]")
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets, where: , "
                                               "set: {price_usd_per_unit: 1}}\n"))
    assert text.endswith("changes[0]: 'where' is blank; name the rows (column: value or "
                         "[values]), or leave 'where' out to change every row")


def test_an_empty_where_mapping_is_refused_as_a_blank_one(tmp_path):
    """``where: {}`` (a template's selector deleted) set both markets' prices to 1, as a
    blank ``where:`` would have: refused with the blank one's message."""
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets, where: {}, "
                                               "set: {price_usd_per_unit: 1}}\n"))
    assert text.endswith("changes[0]: 'where' is blank; name the rows (column: value or "
                         "[values]), or leave 'where' out to change every row")


def test_a_blank_or_empty_period_is_refused_as_a_blank_where(tmp_path):
    """Outside review scen F2/F3. ``period:`` left blank read as no period: ``set:
    {max_k_per_yr: 45}`` on a then held in p1-p3 and cleared a's p2 override of 40 (a
    scale by 0.9 turned 30/40 into 27/36); ``period: []`` and a value by period ``{}``
    changed nothing (a's cap stayed 30, validate said ok, show said no effective
    changes). Each is refused at the change, saying what to write."""
    blank = ("changes[0]: 'period' is blank; name the period(s), or leave 'period' out "
             "to change every period")
    empty = ("changes[0]: 'period' is an empty list: the change would do nothing; name at "
             "least one period, or leave 'period' out to change every period")
    for change, said in (
            ("- table: markets\n  where: {site: a}\n  period:\n  set: {max_k_per_yr: 45}\n",
             blank),
            ("- {table: markets, where: {site: a}, period: , scale: {max_k_per_yr: 0.9}}\n",
             blank),
            ("- {table: markets, where: {site: a}, period: [], set: {max_k_per_yr: 45}}\n",
             empty),
            ("- {table: markets, where: {site: a}, set: {max_k_per_yr: {}}}\n",
             "changes[0]: 'max_k_per_yr': the value by period is empty ({}): the change "
             "would do nothing; give {period: value} for at least one period (periods: p1, "
             "p2, p3), or one value for every period")):
        (text,) = _problems(_two_markets(tmp_path, change))
        assert text.endswith(said), text
    with pytest.raises(InputError, match=re.escape("'period' is an empty list")):
        api.change_case(api.load_case(str(tmp_path / "two")), [
            {"table": "markets", "where": {"site": "a"}, "period": [],
             "set": {"max_k_per_yr": 45}}], "mem")


def test_scaling_or_adding_to_only_blank_cells_is_refused(tmp_path):
    """Market b has no cap (blank: unlimited, in the row and in its p3 override). A blank
    stays blank under scale or add, so ``scale: {max_k_per_yr: 2}`` on b changed nothing
    (objective 14.65 either way) and ``show`` said "no effective changes": refused, with
    a hint to set a number. Where some selected cells hold a number (every market: a's 30
    and its p2 40), the change applies to those (60, 80) and b stays unlimited."""
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets, where: {site: b}, "
                                               "scale: {max_k_per_yr: 2}}\n"))
    assert text.endswith("changes[0]: 'max_k_per_yr': every selected cell is blank (no value; "
                         "for a capacity: unlimited), and scale leaves a blank blank: this "
                         "change does nothing; set a number instead (set: {max_k_per_yr: "
                         "...}), or select rows that hold one")
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets, where: {site: b}, "
                                               "period: p3, add: {max_k_per_yr: 5}}\n"))
    assert "every selected cell is blank in p3" in text
    shown = api.show_changes(_two_markets(tmp_path, "- {table: markets, "
                                                    "scale: {max_k_per_yr: 2}}\n"))["changes"]
    assert shown[["table", "key", "old", "new"]].values.tolist() == [
        ["markets", "a/fuel/1", "30", "60"], ["markets_by_period", "a/fuel/1/p2", "40", "80"]]


def test_removing_a_row_others_name_is_refused_at_its_change(tmp_path):
    """Removing site b left markets.csv row b/fuel/1 and links ab, ab2 naming it; the
    message came from the effective case ("markets.csv row b/fuel/1, column site: unknown
    site name (found 'b')"), naming neither the change nor what to do. It is now refused
    at the change, listing the rows; removing those rows in later changes too is fine
    (the check runs once every change applied): then market a alone, 30 kt/yr at a
    margin of 50 - 10 = 40 in p1 and p3 and 40 kt/yr at 60 - 10 = 50 in p2, is
    (1200 + 2000 + 1200) / 1000 = 4.4 MUSD."""
    (text,) = _problems(_two_markets(tmp_path, "- {table: sites, remove_rows: {site: b}}\n"))
    assert text.endswith(
        "changes[0]: removes sites.csv row(s) b, which 3 row(s) still name: markets.csv row "
        "b/fuel/1 (site b); links.csv row ab (to_site b); links.csv row ab2 (to_site b); "
        "remove those rows too (remove_rows), or point them elsewhere with set")
    (text,) = _problems(_two_markets(tmp_path, "- {table: projects, remove_rows: "
                                               "{project: pj}}\n"))
    assert "changes[0]: removes projects.csv row(s) pj, which 1 row(s) still name: " \
           "links.csv row ab2 (project pj)" in text
    scenario = _two_markets(tmp_path, """\
        - {table: sites, remove_rows: {site: b}}
        - {table: markets, remove_rows: {site: b}}
        - {table: links, remove_rows: {to_site: b}}
        - {table: projects, remove_rows: {project: pj}}
        """)
    assert api.run(scenario, out=tmp_path / "r").objective == pytest.approx(4.4)


def test_a_selector_value_no_row_holds_lists_the_values_and_odd_characters(tmp_path):
    """``where: {site: 'а'}`` with a Cyrillic а (U+0430), which prints as the Latin a,
    said only "matches no row" (no close name: one letter). It now says which character
    is odd and what the column holds."""
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets, where: {site: 'а'}, "
                                               "set: {price_usd_per_unit: 70}}\n"))
    assert text.endswith("changes[0]: selector {site: а} matches no row of markets.csv; 'а' "
                         "holds U+0430 CYRILLIC SMALL LETTER A, outside ASCII; site in "
                         "markets.csv holds: a, b")


def test_a_project_or_selector_value_with_odd_characters_is_told_which(tmp_path):
    """A project change naming Cyrillic 'рj' (U+0440, printed as the Latin p) said only
    "no project 'рj' in projects.csv; projects: pj"; a zero-width space in a selector
    value (``fuel\u200b``) was printed raw, so the message showed 'fuel' beside its
    'did you mean 'fuel'?'. Each now names the character, the value written visibly."""
    (text,) = _problems(_two_markets(tmp_path, "- {project: 'рj', state: optional}\n"))
    assert text.endswith("changes[0]: no project 'рj' in projects.csv; 'рj' holds U+0440 "
                         "CYRILLIC SMALL LETTER ER, outside ASCII; projects: pj"), text
    (text,) = _problems(_two_markets(tmp_path, '- {table: markets, where: {commodity: '
                                               '"fuel\\u200b"}, set: {price_usd_per_unit: '
                                               '70}}\n'))
    assert text.endswith("changes[0]: selector {commodity: fuel\\u200b} matches no row of "
                         "markets.csv; 'fuel\\u200b' holds U+200B ZERO WIDTH SPACE, outside "
                         "ASCII; did you mean 'fuel'?"), text


def test_a_period_a_listed_value_or_a_reference_with_odd_characters_is_told_which(tmp_path):
    """Three more places printed an invisible character raw and said nothing of it: a
    change's ``period: "p1\u200b"`` ("unknown period 'p1'; did you mean 'p1'?"), a listed
    selector value no row holds (its main message), and a link's ``project`` set to a
    Cyrillic look-alike ('pј', U+0458: "unknown project name", no note)."""
    (text,) = _problems(_two_markets(tmp_path, '- {table: markets, where: {site: a}, '
                                               'period: "p1\\u200b", set: '
                                               '{price_usd_per_unit: 70}}\n'))
    assert text.endswith("changes[0]: unknown period 'p1\\u200b'; 'p1\\u200b' holds U+200B "
                         "ZERO WIDTH SPACE, outside ASCII; did you mean 'p1'?"), text
    (text,) = _problems(_two_markets(tmp_path, '- {table: markets, where: {site: [a, '
                                               '"b\\u200b"]}, set: {price_usd_per_unit: '
                                               '70}}\n'))
    assert "no row of markets.csv has site 'b\\u200b'; 'b\\u200b' holds U+200B" in text, text
    problems = _problems(_two_markets(tmp_path, "- {table: links, where: {link: ab2}, set: "
                                                "{project: 'pј'}}\n"))
    assert any("unknown project name" in t and "'pј' holds U+0458 CYRILLIC SMALL LETTER "
               "JE, outside ASCII; " in t for t in problems), problems


@pytest.mark.parametrize(("name", "said"), [
    ("ѕmall", "'ѕmall' holds U+0455 CYRILLIC SMALL LETTER DZE, outside ASCII: type it in "
              "ASCII letters; use"),
    ("Café", "'Café' holds U+00E9 LATIN SMALL LETTER E WITH ACUTE, outside ASCII: type it "
             "in ASCII letters, e.g. 'cafe'; use"),
    ("Big Plan", "e.g. 'big_plan'; use")])
def test_a_scenario_name_that_is_no_name_is_told_why_with_an_example(tmp_path, name, said):
    """A scenario's ``name: ѕmall`` (Cyrillic ѕ) was refused with no word on why: it
    reads as snake_case. The hint now names the character and gives an ASCII example
    where there is one, as a case's name does (validate's name_hint)."""
    base = _two_markets(tmp_path, "- {table: markets, where: {site: a}, set: "
                                  "{price_usd_per_unit: 70}}\n").read_text()
    sc = _write(tmp_path, "n.yaml", f"name: {name}\n{base}")
    (text,) = _problems(sc)
    assert f"n.yaml key name: '{name}' is not a valid scenario name; {said}" in text, text


def test_a_by_period_table_named_as_the_table_says_to_use_period(tmp_path):
    """``table: markets_by_period`` was "unknown table; did you mean 'market_groups'?"."""
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets_by_period, where: "
                                               "{site: a}, set: {price_usd_per_unit: 70}}\n"))
    assert text.endswith("changes[0]: table 'markets_by_period' is not changed directly; "
                         "write table: markets with 'period' (or a value by period): the "
                         "change writes its by-period overrides")


def test_show_states_each_change_once_with_defaults_and_cleared_overrides(tmp_path):
    """``chainopt show`` of a scenario that sets market a's price to 70 (its p2 override
    of 60 cleared: 70 in every period, objective 16.25 = (30 x 60 + 50 x 65) + (40 x 60 +
    3250) + (30 x 60 + 50 x 75), /1000), forces pj in p1, sets cash_flow_timing (absent
    from the base: its default start) to end and writes discount_rate 0.0 again. It
    said the cleared override as "60 -> (blank)" (a blank override is the row's value),
    the timing as "None -> end", the project twice (as projects.csv state and
    forced_period rows and in the project table); now one line each, and the rate
    unchanged is not listed."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    scenario = _two_markets(tmp_path, """\
        - {table: markets, where: {site: a}, set: {price_usd_per_unit: 70}}
        - {project: pj, state: forced, period: p1}
        - {case: {cash_flow_timing: end, discount_rate: 0.0}}
        """)
    diff = api.show_changes(scenario)["changes"]
    assert diff[["table", "key", "column", "old", "new"]].values.tolist() == [
        ["case.yaml", "cash_flow_timing", "", "start (default)", "end"],
        ["markets", "a/fuel/1", "price_usd_per_unit", "50", "70"],
        ["markets_by_period", "a/fuel/1/p2", "price_usd_per_unit", "60", ""]]
    out = CliRunner().invoke(app, ["show", str(scenario)]).output  # cells fold at 80
    assert "(row's" in out and "(blank)" not in out and "None" not in out
    assert "forced p1  (changed)" in out and "forced_" not in out
    no_project = _two_markets(tmp_path, "- {table: markets, where: {site: a}, "
                                        "set: {price_usd_per_unit: 70}}\n")
    assert api.run(no_project, out=tmp_path / "r").objective == pytest.approx(16.25)


def test_messages_on_a_change_say_what_to_write(tmp_path):
    """Messages that said only what was wrong now say what to write: scale of a text
    column (use set), a word where scale needs a number, a selector on an absent
    table (add_rows first), a change naming a table and a project at once."""
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets, where: {site: a}, "
                                               "scale: {stated_unit: 2}}\n"))
    assert text.endswith("it is not a number column; give its new value with set: "
                         "{stated_unit: ...}")
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets, where: {site: a}, "
                                               "scale: {price_usd_per_unit: high}}\n"))
    assert text.endswith("scale needs a number (found 'high'); write a number, e.g. scale: "
                         "{price_usd_per_unit: 1.1}")
    (text,) = _problems(_two_markets(tmp_path, "- {table: demand, where: {site: a}, "
                                               "set: {amount_k_per_yr: 1}}\n"))
    assert text.endswith("add its rows first, in a change with table: demand and add_rows")
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets, project: pj, "
                                               "state: forced}\n"))
    assert text.endswith("; write one change (a '- ' item) for each table, project, "
                         "case.yaml change or split")
    (text,) = _problems(_two_markets(tmp_path, "- {tablе: markets, where: {site: a}, "
                                               "set: {price_usd_per_unit: 1}}\n"))
    assert text.endswith("(found ['tablе', 'where', 'set']); did you mean 'table'?")


def _split_case(folder: Path, weight: bool = False) -> Path:
    """FEED_TO_PRODUCT with unit u (10 kt/yr) over p1 = 2026-2030 and p2 = 2031, rate 0;
    in p1 product sells at 300 (markets_by_period; 400 otherwise) and a user constraint
    caps sales at 4 kt/yr (periods: p1)."""
    from tests.toycase import FEED_TO_PRODUCT, write_case

    periods = [{"period": "p1", "start_year": 2026, "length_yr": 5},
               {"period": "p2", "start_year": 2031, "length_yr": 1}]
    if weight:
        periods = [{**p, "weight": float(p["length_yr"])} for p in periods]
    return write_case(folder, {
        **FEED_TO_PRODUCT, "units": "unit,site,process,capacity_k_per_yr\nu,plant,make,10",
        "markets_by_period": "site,commodity,period,price_usd_per_unit\nplant,product,p1,300",
        "constraints": "constraint,sense,rhs,periods\ncap,<=,4,p1",
        "constraint_terms": "constraint,term,quantity,coef,commodity\ncap,1,sales,1,product"},
        periods=periods)


def test_a_split_period_keeps_its_values_in_both_parts(tmp_path):
    """_split_case by hand: p1 sells the cap's 4 kt/yr at 300 - 100 = 200 for 5 years,
    4.0 MUSD; p2 sells 10 kt/yr at 300 for 1 year, 3.0: 7.0 MUSD. Split at 2028 (``split:
    p1, at: 2028``): p1 = 2026-2027 and p2028 = 2028-2030, each with p1's price of 300
    and its cap of 4 (the override copied, the constraint's periods extended): 4 x 200 x
    (2 + 3) + 3.0 = 7.0 again. Had p2028 taken the default price of 400 it would give
    8.2; had the cap not applied there, 10.6. The periods, and refusals: an unknown
    period, a year outside it, a name taken, explicit weights."""
    case = _split_case(tmp_path / "toy")
    base = api.run(str(case), save=False)
    assert base.objective == pytest.approx(7.0, abs=1e-9)
    split = _write(tmp_path, "split.yaml", f"""\
        base: {case}
        changes:
          - split: p1
            at: 2028
        """)
    res = api.run(str(split), save=False)
    assert res.objective == pytest.approx(7.0, abs=1e-9)
    assert [(p["period"], p["start_year"], p["length_yr"]) for p in res.manifest[
        "period_table"]] == [("p1", 2026, 2), ("p2028", 2028, 3), ("p2", 2031, 1)]
    sales = res["sales"].set_index("period")["sales_k_per_yr"]
    assert sales.to_dict() == pytest.approx({"p1": 4.0, "p2028": 4.0, "p2": 10.0})
    for change, said in (
            ("split: p3\n    at: 2028", "split: unknown period 'p3'"),
            # a list said "unknown period '['p1', 'p2']'", Python's repr (review scen F9)
            ("split: [p1, p2]\n    at: 2028", "split takes one period (found a list)"),
            ("split: p1\n    at: 2031", "split p1: 'at' must be a year after its first and "
                                        "within it, 2027 to 2030 (found 2031)"),
            ("split: p1\n    at: 2026", "2027 to 2030 (found 2026)"),
            ("split: p1\n    at: 2028\n    name: p2", "the new period's name 'p2' is taken")):
        bad = _write(tmp_path, "bad.yaml", f"base: {case}\nchanges:\n  - {change}\n")
        with pytest.raises(InputError, match=re.escape(said)):
            api.load_case(str(bad))
    weighted = _split_case(tmp_path / "weighted", weight=True)
    bad = _write(tmp_path, "bad.yaml", f"base: {weighted}\nchanges:\n  - split: p1\n"
                                       "    at: 2028\n")
    with pytest.raises(InputError, match="the periods have explicit weights"):
        api.load_case(str(bad))


def test_a_whole_number_beyond_a_float_in_a_change_is_refused(tmp_path):
    """scale, set or add of 10**400 (a YAML integer of 401 digits) ended in an
    OverflowError traceback; now an InputError at the change (outside review new21 F2)."""
    big = "1" + "0" * 400
    for op in ("scale", "set", "add"):
        text = _problems(_two_markets(tmp_path, f"- {{table: markets, where: {{site: a}}, "
                                                f"{op}: {{price_usd_per_unit: {big}}}}}\n"))
        assert len(text) == 1 and text[0].split("s.yaml ", 1)[1].startswith(
            f"changes[0]: 'price_usd_per_unit': {op} needs a finite number (found '1000"), text


def test_a_split_records_the_period_each_part_came_from(tmp_path):
    """p1 (2026-2030) split at 2028, the new part p2028 split at 2029, p1 split at 2027:
    p1 2026, p2027 2027, p2028 2028, p2029 2029-2030, each part recording p1 (the period
    the build limit per period belongs to: the parts share it), p1 itself none; p2 stays a
    period of its own. A case.yaml may say so itself; a part_of naming a later period, a
    part, or a period with another period between is refused."""
    case = _split_case(tmp_path / "toy")
    split = _write(tmp_path, "split.yaml", f"""\
        base: {case}
        changes:
          - {{split: p1, at: 2028}}
          - {{split: p2028, at: 2029}}
          - {{split: p1, at: 2027}}
        """)
    got = api.load_case(str(split)).meta.periods
    assert [(p.period, p.start_year, p.length_yr, p.part_of) for p in got] == [
        ("p1", 2026, 1, None), ("p2027", 2027, 1, "p1"), ("p2028", 2028, 1, "p1"),
        ("p2029", 2029, 2, "p1"), ("p2", 2031, 1, None)]
    from chainopt.case.schema import CaseMeta
    spans = [{"period": "a", "start_year": 2026, "length_yr": 1},
             {"period": "b", "start_year": 2027, "length_yr": 1},
             {"period": "c", "start_year": 2028, "length_yr": 1}]
    meta = {"name": "t", "base_year": 2026, "discount_rate": 0}
    assert CaseMeta.model_validate({**meta, "periods": [
        spans[0], {**spans[1], "part_of": "a"}, {**spans[2], "part_of": "a"}]})
    for bad in ([spans[0], {**spans[1], "part_of": "c"}, spans[2]],
                [spans[0], {**spans[1], "part_of": "a"}, {**spans[2], "part_of": "b"}],
                [spans[0], spans[1], {**spans[2], "part_of": "a"}]):
        with pytest.raises(ValueError, match="is not the period it was split from"):
            CaseMeta.model_validate({**meta, "periods": bad})


def test_warnings_of_a_scenario_name_rows_by_key(tmp_path):
    """Outside review scen F4. small_chain's markets.csv holds ru_dom/diesel (row 2),
    ru_dom/lpg (row 4), tobolsk/naphtha (row 9), chn/hdpe (10), chn/pp (11). Without its
    diesel and lpg markets the CDU can never run (nothing takes its lpg and diesel), so
    nothing reaches the naphtha market: the warning named "markets.csv row 7", its row in
    the effective table (two rows removed above it), which in the file is ru_dom/pp. It
    names the row by its key, as errors about the effective case do, in validate
    (case_warnings) and run (input_warnings) alike; so does one about a row a scenario
    added (chn/lpg, "row 12" of an 11-line file)."""
    removed = api.load_case(str(_write(tmp_path, "r.yaml", """\
        base: small_chain
        changes:
          - {table: markets, remove_rows: {commodity: [diesel, lpg]}}
        """)))
    for said in (api.case_warnings(removed), api.build_model(removed).input_warnings()):
        naphtha = [w for w in said if "naphtha can reach tobolsk" in w]
        assert [w.split(":")[0] for w in naphtha] == ["markets.csv row tobolsk/naphtha/1"]
        assert not any(re.search(r"\.csv rows? \d", w) for w in said), said
    added = api.load_case(str(_write(tmp_path, "a.yaml", """\
        base: small_chain
        changes:
          - {table: markets, add_rows: [{site: chn, commodity: lpg, price_usd_per_unit: 300}]}
        """)))
    (lpg,) = [w for w in api.case_warnings(added) if "lpg to chn" in w]
    assert lpg.startswith("markets.csv row chn/lpg/1: nothing can ever bring lpg to chn")


def test_the_chain_line_says_which_base_ran(tmp_path, monkeypatch):
    """Outside review scen F7. A base is looked for beside the scenario, then in the
    working directory, then among the embedded cases: ``sub/amb.yaml``'s ``base:
    small_chain`` run from a folder holding an edited copy ``small_chain/`` (chn/hdpe at
    999, the embedded 950) runs on the copy, and ``show`` said ``small_chain (case)``
    either way. It now says
    ``small_chain/ (case folder)`` for the copy and ``small_chain (embedded case)``."""
    import shutil
    from importlib import resources

    from typer.testing import CliRunner

    from chainopt.cli import app

    copy = tmp_path / "work" / "small_chain"
    shutil.copytree(str(resources.files("chainopt.data") / "small_chain"), copy)
    mk = copy / "markets.csv"
    mk.write_text(mk.read_text().replace("chn,hdpe,950,", "chn,hdpe,999,"))
    (tmp_path / "work" / "sub").mkdir()
    scen = _write(tmp_path / "work" / "sub", "amb.yaml", """\
        base: small_chain
        changes:
          - {table: markets, where: {site: chn, commodity: pp}, add: {price_usd_per_unit: 1}}
        """)
    (tmp_path / "elsewhere").mkdir()
    for cwd, price, said in ((tmp_path / "work", 999, "chain: small_chain/ (case folder) -> "
                              "sub/amb.yaml"),
                             (tmp_path / "elsewhere", 950, "chain: small_chain (embedded "
                              "case) -> ")):
        monkeypatch.chdir(cwd)
        mk = api.load_case(str(scen)).tables["markets"].set_index(["site", "commodity"])
        assert mk.loc[("chn", "hdpe"), "price_usd_per_unit"] == price
        out = CliRunner().invoke(app, ["show", str(scen)], terminal_width=2000)
        assert out.exit_code == 0, out.output
        assert said in out.output, out.output


def test_an_effective_case_problem_is_said_at_the_base_scenario_that_made_it(tmp_path):
    """Outside review scen F5. v3.yaml sets a's demand floor to 35: above its cap of 30
    (p1, p3; 40 in p2 by override). v4.yaml, based on v3.yaml, sets b's floor 10 above a
    cap of 5. Both problems were said at "v4.yaml (effective case)", though v4 only
    changed b: a's is said at v3.yaml, the base whose effective case has it, b's at
    v4.yaml."""
    _two_markets(tmp_path, "[]\n")
    _write(tmp_path, "v3.yaml", f"""\
        base: {tmp_path / 'two'}
        changes:
          - {{table: markets, where: {{site: a}}, set: {{min_k_per_yr: 35}}}}
        """)
    v4 = _write(tmp_path, "v4.yaml", """\
        base: v3.yaml
        changes:
          - {table: markets, where: {site: b}, set: {min_k_per_yr: 10, max_k_per_yr: 5}}
        """)
    texts = _problems(v4)
    a = [t for t in texts if "fuel at a" in t]
    b = [t for t in texts if "fuel at b" in t]
    assert len(a) == 1 and len(b) == 1, texts
    assert re.search(r"v3\.yaml \(effective case, base of \S*v4\.yaml\) markets\.csv row "
                     r"a/fuel/1, column min_k_per_yr: the demand floor of fuel at a is above "
                     r"its sales cap, 30, in p1 and p3", a[0]), a[0]
    assert re.search(r"v4\.yaml \(effective case\) markets\.csv row b/fuel/1", b[0]), b[0]


def test_a_null_selector_value_is_written_as_yaml_says_it(tmp_path):
    """``where: {site: null}`` matches no row (no site is blank); the message showed the
    value as Python's None (review scen F9), now as the YAML that was written: null."""
    (text,) = _problems(_two_markets(tmp_path, "- {table: markets, where: {site: null}, "
                                               "scale: {price_usd_per_unit: 2}}\n"))
    assert "selector {site: null} matches no row of markets.csv" in text, text
    assert "None" not in text


@pytest.mark.parametrize("op, value", [
    ("scale", ".nan"), ("scale", "'nan'"), ("scale", ".NaN"), ("add", ".nan"),
    ("scale", ".inf"), ("add", "-.inf"), ("add", "'inf'"), ("scale", "'1e400'")])
def test_a_scale_or_add_by_a_non_finite_number_is_refused(tmp_path, op, value):
    """A scale or add by NaN wrote a blank: market a's cap of 30 kt/yr (40 in p2) became
    no cap at all, the change accepted without a word (outside review s26 safety F1:
    small_chain's objective 7,784.9 -> 7,845.5 MUSD, ru_dom's HDPE sold at 584 kt/yr over
    its cap of 500). By hand: NaN x 30 and NaN + 30 are NaN, and inf x 30 is inf, none a
    cap; each is now one problem at the change, naming the column and the value found."""
    text = _problems(_two_markets(tmp_path, f"""\
        - {{table: markets, where: {{site: a}}, {op}: {{max_k_per_yr: {value}}}}}
        """))
    assert len(text) == 1, text
    assert text[0].split("s.yaml ", 1)[1].startswith(
        f"changes[0]: 'max_k_per_yr': {op} needs a finite number (found "), text


def test_a_set_of_a_non_finite_number_is_one_problem(tmp_path):
    """set: {max_k_per_yr: .nan} was refused row by row by validation; now once at the
    change, as scale and add are. A set by period of .inf likewise. By hand: scale by 2
    of the same cap is accepted and doubles it, 30 -> 60 and p2's 40 -> 80."""
    for change in ("set: {max_k_per_yr: .nan}", "set: {max_k_per_yr: {p2: .inf}}"):
        text = _problems(_two_markets(tmp_path, f"""\
            - {{table: markets, where: {{site: a}}, {change}}}
            """))
        assert len(text) == 1 and "set needs a finite number" in text[0], text
    from chainopt.case.index import by_period

    ok = api.load_case(_two_markets(tmp_path, "- {table: markets, where: {site: a}, "
                                              "scale: {max_k_per_yr: 2}}\n"))
    cap = by_period(ok, "markets", ["max_k_per_yr"])
    assert cap[cap["site"] == "a"].set_index("period")["max_k_per_yr"].to_dict() == {
        "p1": 60.0, "p2": 80.0, "p3": 60.0}
