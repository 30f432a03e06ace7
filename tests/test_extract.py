"""Extraction (:mod:`chainopt.extract`): the tables' rows and sums checked by hand, and
the same tables whether the model's own part of them (joins, groupings, orders) was made
before the solve, on another thread, as ``chainopt run`` does, or after it."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from chainopt import api, extract
from chainopt.case.load import load_case
from chainopt.models.build import KEPT
from tests.toycase import write_case

TWO_UNITS_ONE_LINK = {
    "commodities": "commodity,unit,kind\nfeed,t,raw\nprod,t,product\nco2,t,emission",
    "sites": "site\na\nb",
    "supplies": "site,commodity,cost_usd_per_unit\na,feed,100",
    "markets": "site,commodity,price_usd_per_unit\na,prod,200\nb,prod,300",
    "modes": "mode,process,variable_cost_usd_per_unit\nm1,one,0\nm2,two,0",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nm1,feed,in,1\nm1,prod,out,1\n"
                  "m1,co2,out,0.5\nm2,feed,in,1\nm2,prod,out,0.8\nm2,co2,out,0.3",
    "units": "unit,site,process,capacity_k_per_yr\nu1,a,one,10\nu2,a,two,5",
    "links": "link,from_site,to_site,commodities,cost_usd_per_unit,emission_commodity,"
             "emission_per_unit\nab,a,b,prod,10,co2,0.2",
}
PERIODS = [{"period": "p1", "start_year": 2026, "length_yr": 1},
           {"period": "p2", "start_year": 2027, "length_yr": 1}]


def _solved(tmp_path):
    built = api.build_model(load_case(write_case(tmp_path, TWO_UNITS_ONE_LINK,
                                                 periods=PERIODS)))
    return built, api.solve(built)


def test_production_and_emissions_sum_by_site_source_and_period(tmp_path):
    """u1 (mode m1) and u2 (m2) at a turn feed (100 USD/t) into prod, shipped on ab to b
    (300 - 10 = 290 USD/t, better than 200 at a): m1 earns 290 - 100 = 190 a t of feed,
    m2 0.8 x 290 - 100 = 132, so both run full, 10 and 5 kt/yr, in each period. Production
    at a: feed consumed 10 + 5 = 15 (two units, one row), prod made 10 + 0.8 x 5 = 14.
    Emissions, at the link's origin a: ab 14 x 0.2 = 2.8, u1 10 x 0.5 = 5, u2 5 x 0.3 =
    1.5 kt/yr; rows by site, source kind (link before unit), source, commodity, then
    period in the case's order. The unit flows (emissions apart): u1 takes 10 feed and
    puts out 10 prod, u2 takes 5 and puts out 4."""
    built, out = _solved(tmp_path)
    t = extract.extract_tables(built, out)
    prod = t["production"]
    assert prod[["site", "commodity", "period"]].values.tolist() == [
        ["a", "feed", "p1"], ["a", "feed", "p2"], ["a", "prod", "p1"], ["a", "prod", "p2"]]
    assert prod["produced_k_per_yr"].tolist() == pytest.approx([0, 0, 14, 14])
    assert prod["consumed_k_per_yr"].tolist() == pytest.approx([15, 15, 0, 0])
    em = t["emissions"]
    assert em[["site", "source_kind", "source", "commodity", "period"]].values.tolist() == [
        ["a", "link", "ab", "co2", p] for p in ("p1", "p2")] + [
        ["a", "unit", u, "co2", p] for u in ("u1", "u2") for p in ("p1", "p2")]
    assert em["emission_k_per_yr"].tolist() == pytest.approx([2.8, 2.8, 5, 5, 1.5, 1.5])
    flows = t["unit_flows"]  # (emissions apart), by unit, mode, commodity, period
    assert flows[["unit", "commodity", "period", "direction"]].values.tolist() == [
        [u, c, p, d] for u in ("u1", "u2") for c, d in (("feed", "in"), ("prod", "out"))
        for p in ("p1", "p2")]
    assert flows["amount_k_per_yr"].tolist() == pytest.approx([10, 10, 10, 10, 5, 5, 4, 4])


@pytest.mark.parametrize("source", ["small_chain", "ru_eastwest", "refinery_planning"])
def test_tables_made_with_the_model_part_prepared_during_the_solve_are_the_same(
        tmp_path, source):
    """The model's part of the tables made on another thread while HiGHS solves
    (:func:`chainopt.extract.prepare`, as ``chainopt run`` does) gives the tables made
    without it, value for value and type for type: on the embedded cases (link emissions,
    projects) and the refinery example (blends and specs)."""
    from pathlib import Path

    if source == "refinery_planning":
        source = str(Path(__file__).resolve().parents[1] / "examples" / source)
    case = api.load_case(source)
    models = []
    for _ in range(2):  # two models of their own, sharing nothing derived
        KEPT.clear()
        models.append(api.build_model(case))
    prepared, plain = models
    worker = threading.Thread(target=extract.prepare, args=(prepared,))
    worker.start()
    out = api.solve(prepared)
    worker.join()
    assert set(prepared.derived) == {
        "unit_flow_rows", "production_groups", "emission_groups", "capacity_units",
        "activity_units", "commodity_units",
        *(["link_units"] if len(prepared.index.link_cap) else []),  # (a link's capacity unit)
        *(f"aligned:{label}:{table}" for label, table in extract.ALIGNED),
        *(f"tier_ids:{label}:{table}:{rows}" for label, table, rows in extract.TIERED)}
    first, second = extract.extract_tables(prepared, out), extract.extract_tables(
        plain, api.solve(plain))
    assert not plain.derived.keys() - prepared.derived.keys()
    for name, table in first.items():
        pd.testing.assert_frame_equal(table, second[name], check_exact=True, obj=name)
