"""Drift between two runs and between a golden snapshot and a fresh one (pandas only).

The comparison logic lives in ``chainopt.report.drift`` (used by ``chainopt verify``
and ``chainopt snapshot check``). Hand-made tables, no solve.
"""

from __future__ import annotations

import pandas as pd
import pytest

from chainopt.report.drift import compare_figures, compare_results, describe
from chainopt.results import Results


def _run(objective=100.0, flow=(10.0, 20.0), price=(0.0, 5.0), links=("a", "b")):
    flows = pd.DataFrame({"link": list(links), "period": "p1", "flow_k_per_yr": list(flow)})
    cap = pd.DataFrame({"kind": "unit", "name": ["u1", "u2"], "period": "p1",
                        "shadow_price_usd_per_unit_yr": list(price)})
    return Results({"flows": flows, "capacity": cap}, {"objective": objective})


def test_identical_runs_have_no_drift():
    assert compare_results(_run(), _run()).empty


def test_row_order_and_column_order_do_not_matter():
    new = _run()
    new.tables["flows"] = new.tables["flows"].iloc[::-1][["flow_k_per_yr", "period", "link"]]
    assert compare_results(_run(), new).empty


def test_changes_are_ranked_by_relative_size_and_within_tolerance_ignored():
    """flow a: 10 -> 10.5 (rel 5e-2); objective 100 -> 100.1 (rel 1e-3)."""
    report = compare_results(_run(), _run(objective=100.1, flow=(10.5, 20.0)), rtol=1e-6)
    assert list(report["column"]) == ["flow_k_per_yr", "objective"]
    assert report["rel_diff"].iloc[0] == pytest.approx(0.05)
    assert compare_results(_run(), _run(objective=100.1, flow=(10.5, 20.0)), rtol=0.06).empty


def test_rows_added_and_removed_are_named():
    report = compare_results(_run(), _run(links=("a", "c")))
    whats = dict(zip(report["what"], report["key"], strict=True))
    assert whats == {"row removed": "link=b, period=p1", "row added": "link=c, period=p1"}


def test_capacity_whose_shadow_price_switches_is_binding_changed():
    """u1: 0 -> 3 USD/unit/yr (starts binding); u2: 5 -> 6 only changed."""
    report = compare_results(_run(), _run(price=(3.0, 6.0)))
    got = dict(zip(report["key"], report["what"], strict=True))
    assert got == {"kind=unit, name=u1, period=p1": "binding changed",
                   "kind=unit, name=u2, period=p1": "changed"}
    text = describe(report, rtol=1e-6, atol=1e-6)
    assert "2 differences" in text and "(binding changed)" in text and "name=u1" in text


def test_golden_figures_name_each_changed_figure():
    golden = {"objective_musd": 7780.43, "production_k_per_yr": {"hdpe@p2026": 500.0,
                                                                  "pp@p2026": 300.0}}
    current = {"objective_musd": 7780.43, "production_k_per_yr": {"hdpe@p2026": 500.5,
                                                                   "lpg@p2026": 1.0}}
    lines = compare_figures(golden, current, rtol=1e-5, atol=1e-3)
    assert lines == ["~ production_k_per_yr.hdpe@p2026: 500.0 -> 500.5 (rel 1.00e-03)",
                     "+ production_k_per_yr.lpg@p2026: 1.0 (new)",
                     "- production_k_per_yr.pp@p2026: 300.0 (gone)"]
    current["production_k_per_yr"] = {"hdpe@p2026": 500.5, "pp@p2026": 300.0}
    assert compare_figures(golden, current, rtol=1.1e-3, atol=0) == []


def test_changed_cells_are_listed_by_size_then_by_key_whatever_the_row_order():
    """Three rows, two with the same keys (site b, told apart by their order): x changes
    by 50 % in all three (1 -> 1.5, 2 -> 3, 3 -> 4.5), y by 10 % in one (30 -> 33).
    Ranked by relative change, the ties in key order: site=a, then the first and second
    site=b rows; the same report whether the new table keeps the rows in place (compared
    in place) or lists site a first (lined up by their keys; rows of the same keys are
    paired in their order)."""
    old = pd.DataFrame({"site": ["b", "a", "b"], "period": "p1", "x": [1.0, 2.0, 3.0],
                        "y": [10.0, 20.0, 30.0]})
    new = old.assign(x=[1.5, 3.0, 4.5], y=[10.0, 20.0, 33.0])
    got = compare_results(Results({"t": old}, {"objective": 1.0}),
                          Results({"t": new}, {"objective": 1.0}))
    assert list(zip(got["key"], got["column"], got["old"], got["new"], strict=True)) == [
        ("site=a, period=p1", "x", 2.0, 3.0), ("site=b, period=p1", "x", 1.0, 1.5),
        ("site=b, period=p1", "x", 3.0, 4.5), ("site=b, period=p1", "y", 30.0, 33.0)]
    assert got["rel_diff"].tolist() == pytest.approx([0.5, 0.5, 0.5, 0.1])
    moved = compare_results(Results({"t": old}, {"objective": 1.0}),
                            Results({"t": new.iloc[[1, 0, 2]]}, {"objective": 1.0}))
    pd.testing.assert_frame_equal(moved, got)


def test_a_run_compared_in_place_reports_as_when_its_rows_are_lined_up_by_key():
    """small_chain's results against a copy with cells changed in several tables (a
    shadow price from 0, a flow, an activity): the report of the copy as made (rows in
    place) is the report of the copy with every table's rows shuffled (lined up by key
    through the merge), row for row."""
    import numpy as np

    from chainopt import api

    base = api.run("small_chain", save=False)
    tables = {name: t.copy() for name, t in base.tables.items()}
    rng = np.random.default_rng(7)
    for name in ("capacity", "flows", "activity", "balances"):
        t = tables[name]
        for c in [c for c in t.columns if t[c].dtype.kind == "f"][:3]:
            i = int(rng.integers(len(t)))
            t.iloc[i, t.columns.get_loc(c)] = t[c].iloc[i] * 1.5 + 2.0
    changed = Results(tables, base.manifest)
    shuffled = Results({n: t.sample(frac=1.0, random_state=3) for n, t in tables.items()},
                       base.manifest)
    in_place = compare_results(base, changed)
    assert len(in_place) >= 8 and set(in_place["table"]) == {"capacity", "flows",
                                                                "activity", "balances"}
    pd.testing.assert_frame_equal(compare_results(base, shuffled), in_place)
