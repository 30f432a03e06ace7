"""Where a project's true value lies when its solves stopped within their MIP gaps.

A solve finds a plan of net value F and proves that no plan beats its bound B (an LP:
B = F). The optimum lies in [F, B], so the value of a project, the difference of two
optima opt_s - opt_c, lies in [F_s - B_c, B_s - F_c]: the reported F_s - F_c is one point
of it, and with the schema's default gap of 1e-4 of a 158,391 MUSD chain the interval is
about 30 MUSD wide.
"""

from __future__ import annotations

import math

import pandas as pd

from chainopt.report import compare, economics
from chainopt.results import Results


def _run(objective: float, bound: float | None = None, mip: bool = True,
         sense: str = "value") -> Results:
    info = {} if bound is None else {"mip_bound": bound}
    return Results(tables={}, manifest={"objective": objective, "objective_sense": sense,
                                        "is_mip": mip, "solver_info": info})


def test_value_range_by_hand():
    """With a project: found 1,000, bound 1,003; without: found 960, bound 961.
    opt_s in [1000, 1003], opt_c in [960, 961]: the value 40 lies in
    [1000 - 961, 1003 - 960] = [39, 43]. Two LPs: exactly [40, 40]."""
    assert economics.value_range(_run(960.0, 961.0), _run(1000.0, 1003.0)) == (39.0, 43.0)
    assert economics.value_range(_run(960.0, mip=False), _run(1000.0, mip=False)) == (
        40.0, 40.0)
    # one side a MIP without a bound (a solver that reports none): unknown
    assert economics.value_range(_run(960.0, None), _run(1000.0, 1003.0)) == (None, None)


def test_net_value_bound_in_a_cost_case_and_from_hostile_manifests():
    """A cost case reports its cost, 500, and maximises -cost: the solver's bound -498
    says no plan costs less than 498, so the best net value is -498. A bound a
    tolerance short of the plan (HiGHS's fixed-LP objective may pass the MIP's bound by
    1e-9) reads as the net value itself; a bound that is no finite number is none."""
    assert _run(500.0, -498.0, sense="cost").net_value_bound == -498.0
    assert _run(100.0, 100.0 - 1e-9).net_value_bound == 100.0
    for bad in ("1e9", float("inf"), float("nan"), True, [1]):
        assert _run(100.0, bad).net_value_bound is None  # type: ignore[arg-type]
    assert _run(100.0, None).net_value_bound is None  # a folder from before the bound
    assert _run(100.0, None, mip=False).net_value_bound == 100.0


def _eco(rows: list[tuple]) -> dict[str, pd.DataFrame]:
    cols = ["scenario", "effect", "incremental NPV (MUSD)", "NPV low (MUSD)",
            "NPV high (MUSD)"]
    eco = pd.DataFrame(rows, columns=cols).reindex(columns=compare.ECONOMICS_COLUMNS)
    return {"economics": eco,
            "objective": pd.DataFrame({"item": ["objective"], "s": [100_000.0]})}


def test_unsettled_rows_are_those_the_gaps_leave_open():
    """On a 100,000 MUSD chain the solvers' tolerance is 1e-6 of it, 0.1 MUSD: a range
    of 0.05 around 40 is settled; 39 to 43 (4 wide, over 1 % of 40) is open; 0 to 0.5
    around an unbuilt project's 0 is open (over 0.1 and over 1 % of 0); no bound is
    open."""
    sections = _eco([("s", "a", 40.0, 39.97, 40.02), ("s", "b", 40.0, 39.0, 43.0),
                     ("s", "c", 0.0, 0.0, 0.5), ("s", "d", 12.0, math.nan, math.nan),
                     ("s", "e", 0.0, 0.0, 0.05)])
    open_ = compare.unsettled(sections)
    assert open_["effect"].tolist() == ["b", "c", "d"]
    text = compare.unsettled_text(open_)
    assert "b in s 40.0 (anywhere from 39.0 to 43.0)" in text
    assert "c in s 0 (anywhere from 0 to 0.500)" in text
    assert "d in s 12.0 (no MIP bound: unknown)" in text
    assert "mip_gap" in text
    assert compare.unsettled(_eco([("s", "a", 40.0, 40.0, 40.0)])).empty


def test_the_warning_names_the_time_limit_too():
    """A solve stopped at its time limit leaves a range as a loose gap does (ru_eastwest
    with time_limit_s 0.1 and mip_gap 1e-7: mp4 26.2 anywhere from -74.2 to 165.7); the
    warning said the solves "stopped within their MIP gaps" and to set mip_gap 1e-7,
    the gap they already had. It now says where they stopped and asks for time as well."""
    text = compare.unsettled_text(compare.unsettled(_eco([("s", "mp4", 26.2, -74.2,
                                                            165.7)])))
    assert "stopped within their MIP gaps" not in text
    assert "at their time limit" in text and "time_limit_s" in text and "mip_gap" in text


def test_an_open_range_stands_beside_the_npv_on_cards_one_pagers_and_deck():
    """Review deck F2: the range the MIP gaps leave open was in the tables and the warning
    only; the cards, one-pagers and deck gave the point value. Of a (40, settled: 39.97 to
    40.02 is within 1 % of 40) and b (40, open: 39 to 43, over 1 % of 40 and over 1e-6 of
    the 100,000 MUSD objective), b alone reads '40.0 ... (anywhere from 39.0 to 43.0)',
    as the terminal writes it."""
    from chainopt.report import deck, onepager
    from chainopt.report.html import _economics_cards

    tables = _eco([("s", "a", 40.0, 39.97, 40.02), ("s", "b", 40.0, 39.0, 43.0)])
    tables["economics"] = tables["economics"].assign(
        built="p1", **{"first use": "2026", "IRR": 0.1, "payback (yr)": 3.0,
                       "overnight capex (MUSD)": 5.0, "Δ capex (MUSD)": 5.0,
                       "IRR note": "", "payback note": "", "against": "s without it",
                       "includes": ""})
    tables["project_waterfall"] = pd.DataFrame(
        {"scenario": ["s", "s"], "effect": ["a", "b"], "category": ["revenue"] * 2,
         "npv_musd": [40.0, 40.0]})
    span = "anywhere from 39.0 to 43.0"
    assert compare.open_ranges(tables) == {("s", "b"): span}
    cards = _economics_cards(economics.with_notes(tables["economics"]), {},
                             compare.open_ranges(tables))
    assert cards.count(f"40.0 ({span})") == 1 and cards.count("anywhere") == 1
    assert deck.project_table(tables)["NPV open"].tolist() == ["", span]
    a, b = onepager.pages(tables)
    assert onepager.key_figures(a)[0] == ("incremental NPV", "40.0 MUSD")
    assert onepager.key_figures(b)[0] == ("incremental NPV", f"40.0 MUSD ({span})")
    # a folder written before the ranges has no NPV low/high: no range, no error
    old = {**tables, "economics": tables["economics"].drop(
        columns=["NPV low (MUSD)", "NPV high (MUSD)"])}
    assert compare.open_ranges(old) == {}
