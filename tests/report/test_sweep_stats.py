"""A sweep's summary.csv and projects_mc.csv against statistics worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from chainopt import sensitivity as sens
from chainopt.report.sweep_stats import failed_draws, summarise


def _stat(summary: pd.DataFrame, measure: str, statistic: str) -> float:
    row = summary[(summary["measure"] == measure) & (summary["statistic"] == statistic)]
    return float(row["value"].iloc[0])


def test_a_measure_that_does_not_vary_has_sd_zero_and_its_own_mean():
    """Twenty variants with the same objective, 39,743.25355 MUSD, and the same capex
    NPV, -45.10329469: their sd is 0 and their mean that value. summary.csv said sd
    7.464975e-12 and 7.29e-15 (the rounding of pandas' mean of the twenty values).
    A varying measure keeps its sd: 1, 2, 3, 4 have mean 2.5 and sd
    sqrt((2.25 + 0.25 + 0.25 + 2.25) / 3) = sqrt(5/3) = 1.290994."""
    kpis = pd.DataFrame({"variant": [f"v{i:05d}" for i in range(20)], "status": "optimal",
                         "objective_musd": [39_743.25355] * 20,
                         "npv_capex_musd": [-45.10329469] * 20})
    s = summarise(kpis)
    assert _stat(s, "objective_musd", "std") == 0.0
    assert _stat(s, "objective_musd", "mean") == 39_743.25355
    assert _stat(s, "npv_capex_musd", "std") == 0.0
    assert _stat(s, "npv_capex_musd", "mean") == -45.10329469
    four = summarise(pd.DataFrame({"variant": list("abcd"), "status": "optimal",
                                   "objective_musd": [1.0, 2.0, 3.0, 4.0]}))
    assert _stat(four, "objective_musd", "mean") == pytest.approx(2.5, abs=1e-12)
    assert _stat(four, "objective_musd", "std") == pytest.approx(math.sqrt(5 / 3), abs=1e-12)


def test_projects_mc_percentiles_and_p_built_by_hand():
    """Six draws, one infeasible (left out, as README says) and five solved with the
    project's incremental NPVs 0 (not built), 0 (not built), 4, 10, 30 (built).
    Sorted x = 0, 0, 4, 10, 30, n = 5; the README's percentile is linear interpolation
    between order statistics at h = (n - 1) q: P10 h = 0.4 -> 0; P50 h = 2 -> 4;
    P90 h = 3.6 -> 10 + 0.6 x 20 = 22. Mean 44/5 = 8.8. Built in 3 of the 5 solved
    draws: p_built 0.6 (the infeasible draw is not a draw without the project). The
    infeasible draw is counted (failed 1) and said: the percentiles were of 5 draws with
    no word of the sixth; now it is named too (s00002)."""
    kpis = pd.DataFrame({
        "variant": [f"s{i:05d}" for i in range(6)],
        "status": ["optimal", "optimal", "InfeasibleError", "optimal", "feasible", "optimal"],
        "objective_musd": [100.0, 101.0, math.nan, 104.0, 110.0, 130.0],
        "built_pj": [0.0, 0.0, math.nan, 1.0, 1.0, 1.0],
        "npv_pj_incremental_musd": [0.0, 0.0, math.nan, 4.0, 10.0, 30.0]})
    mc = sens.monte_carlo(kpis).set_index("project").loc["pj"]
    assert mc["samples"] == 5
    assert (mc["p10_musd"], mc["p50_musd"], mc["p90_musd"]) == pytest.approx((0.0, 4.0, 22.0))
    assert mc["mean_musd"] == pytest.approx(8.8)
    assert mc["p_built"] == pytest.approx(0.6)
    assert mc["failed"] == 1
    assert failed_draws(kpis, "projects_mc.csv, column failed") == (
        "1 of 6 draws failed (InfeasibleError 1: s00002) and are left out: the statistics and "
        "P(built) are of the 5 draws that have a plan (projects_mc.csv, column failed; why: "
        "kpis.csv, columns status and message)")
    assert failed_draws(kpis[kpis["status"] != "InfeasibleError"], "x") == ""


def test_projects_mc_counts_and_names_the_draws_a_project_is_needed_in():
    """The six draws above and a seventh, s00006, solved (optimal) with pj built but no
    plan without it (a sweep leaves its npv_ blank: "pj needed for a plan"). Its NPV is
    no number, so the percentiles stay those of the five draws with one (P10 0, P50 4,
    P90 22, mean 8.8: linear interpolation, as numpy's default gives) and P(built) is
    of the six draws solved: built in s00003, s00004, s00005, s00006, 4/6. The seventh
    was dropped without a word (samples 5, failed 1, nothing said of it); now it is
    counted (needed 1) and named. Quantiles checked against numpy on the hand list, and
    the failed draw named (s00002). Eight draws needing it would name five and "3
    more"."""
    import numpy as np

    kpis = pd.DataFrame({
        "variant": [f"s{i:05d}" for i in range(7)],
        "status": ["optimal", "optimal", "InfeasibleError", "optimal", "feasible", "optimal",
                   "optimal"],
        "objective_musd": [100.0, 101.0, math.nan, 104.0, 110.0, 130.0, 90.0],
        "built_pj": [0.0, 0.0, math.nan, 1.0, 1.0, 1.0, 1.0],
        "npv_pj_incremental_musd": [0.0, 0.0, math.nan, 4.0, 10.0, 30.0, math.nan]})
    mc = sens.monte_carlo(kpis)
    row = mc.set_index("project").loc["pj"]
    assert (row["samples"], row["failed"], row["needed"]) == (5, 1, 1)
    hand = (0.0, 4.0, 22.0)
    assert (row["p10_musd"], row["p50_musd"], row["p90_musd"]) == pytest.approx(hand)
    assert tuple(np.percentile([0.0, 0.0, 4.0, 10.0, 30.0], [10, 50, 90])) == \
        pytest.approx(hand)
    assert row["mean_musd"] == pytest.approx(8.8)
    assert row["p_built"] == pytest.approx(4 / 6)
    assert sens.needed_draws(mc, kpis) == (
        "needed for any plan, no NPV (the draw has no plan without the project; kpis.csv, "
        "column message): pj in 1 of 6 (s00006). Their P10/P50/P90 and mean are of the "
        "draws with an NPV (projects_mc.csv, columns samples and needed), P(built) of every "
        "draw solved")
    assert "(InfeasibleError 1: s00002)" in failed_draws(kpis, "projects_mc.csv")
    many = pd.DataFrame({"variant": [f"s{i:05d}" for i in range(8)], "status": "optimal",
                         "built_pj": 1.0, "npv_pj_incremental_musd": math.nan})
    assert "pj in 8 of 8 (s00000, s00001, s00002, s00003, s00004 and 3 more)" in \
        sens.needed_draws(sens.monte_carlo(many), many)
    assert sens.needed_draws(sens.monte_carlo(kpis.iloc[:6]), kpis.iloc[:6]) == ""
