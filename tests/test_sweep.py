"""Sweeps: same answers as separate runs, reproducible draws, resumable, failures recorded."""

from __future__ import annotations

import pandas as pd
import pytest

from chainopt import api
from chainopt import sweep as sw
from chainopt.case.validate import validate
from tests.toycase import write_case

HDPE = "markets.price_usd_per_unit[commodity=hdpe]*=0.7:1.3:3"
DISTS = {"variables": [
    {"target": "markets.price_usd_per_unit[commodity=hdpe]", "op": "scale",
     "dist": {"type": "triangular", "low": 0.7, "mode": 1.0, "high": 1.3}},
    {"target": "supplies.cost_usd_per_unit[commodity=crude]", "op": "scale",
     "dist": {"type": "normal", "mean": 1.0, "sd": 0.1, "low": 0.8, "high": 1.2}},
], "correlation": [[1.0, 0.5], [0.5, 1.0]]}


def test_parse_set_and_grid():
    target, values = sw.parse_set(HDPE)
    assert target.table == "markets" and target.column == "price_usd_per_unit"
    assert target.where == (("commodity", "hdpe"),) and target.op == "scale"
    assert values == pytest.approx([0.7, 1.0, 1.3])
    variants = sw.grid([sw.parse_set(HDPE), sw.parse_set("supplies.cost_usd_per_unit=300,340")])
    assert len(variants) == 6
    assert variants[1].changes[1] == {"table": "supplies", "where": {}, "set":
                                      {"cost_usd_per_unit": 340.0}}


def test_sweep_matches_separate_runs(tmp_path):
    kpis, _, _ = api.sweep("small_chain", sets=[HDPE], out=tmp_path, jobs=1)
    raw = api.load_case("small_chain").raw
    for factor, obj in zip([0.7, 1.0, 1.3], kpis["objective_musd"], strict=True):
        change = {"table": "markets", "where": {"commodity": "hdpe"},
                  "scale": {"price_usd_per_unit": factor}}
        case = validate(sw.apply_variant(raw, [change]))
        assert obj == pytest.approx(api.run(case, save=False).objective, rel=1e-9)
    assert kpis["mapped"].all()  # each variant's model from the sweep's map (chainopt.warm)


def test_monte_carlo_reproducible_across_jobs_and_dask(tmp_path):
    dist = tmp_path / "dists.yaml"
    import yaml

    dist.write_text(yaml.safe_dump(DISTS))
    one, s1, _ = api.sweep("small_chain", samples=6, seed=3, distributions=dist,
                           out=tmp_path, name="j1", jobs=1)
    two, _, _ = api.sweep("small_chain", samples=6, seed=3, distributions=dist,
                          out=tmp_path, name="j2", jobs=2)
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        dk, _, _ = api.sweep("small_chain", samples=6, seed=3, distributions=dist,
                             out=tmp_path, name="dk", dask=cluster.scheduler_address)
    cols = [c for c in one.columns if c not in ("seconds", "warm_start")]
    for other in (two, dk):
        pd.testing.assert_frame_equal(one[cols].reset_index(drop=True),
                                      other[cols].reset_index(drop=True), rtol=1e-7)
    assert set(s1["statistic"]) >= {"mean", "p05", "p50", "p95"}


def test_interrupted_sweep_resumes_to_the_same_table(tmp_path, monkeypatch):
    full, _, _ = api.sweep("small_chain", sets=[HDPE.replace(":3", ":5")], out=tmp_path,
                           name="full", jobs=1)
    real = sw.solve_variant
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(sw, "solve_variant", dying)
    with pytest.raises(KeyboardInterrupt):
        api.sweep("small_chain", sets=[HDPE.replace(":3", ":5")], out=tmp_path, name="cut",
                  jobs=1)
    folder = tmp_path / "sweep-cut"
    assert len(list((folder / "parts").glob("*.csv"))) == 2
    assert not (folder / "kpis.csv").exists()
    monkeypatch.setattr(sw, "solve_variant", real)
    resumed, _, _ = api.sweep(None, resume=folder, jobs=1)
    cols = ["variant", "objective_musd", "status"]
    pd.testing.assert_frame_equal(full[cols].reset_index(drop=True),
                                  resumed[cols].reset_index(drop=True), rtol=1e-9)


def test_failing_variant_is_recorded_and_the_rest_complete(tmp_path):
    """A hard demand floor of 20/40/60 with 50 available: the 60 variant is infeasible."""
    folder = write_case(tmp_path / "case", {
        "commodities": "commodity,unit,kind\ncrude,t,raw",
        "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,50",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr,max_k_per_yr\n"
                   "a,crude,200,20,100",
    }, demand_floors="hard")
    kpis, _, _ = api.sweep(str(folder), sets=["markets.min_k_per_yr=20,40,60"],
                           out=tmp_path, jobs=1)
    assert list(kpis["status"]) == ["optimal", "optimal", "InfeasibleError"]
    assert kpis["objective_musd"].iloc[0] == pytest.approx(5.0)
    assert "infeasible" in kpis["message"].iloc[2]
