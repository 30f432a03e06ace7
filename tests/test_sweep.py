"""Sweeps: same answers as separate runs, reproducible draws, resumable, failures recorded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainopt import api
from chainopt import sweep as sw
from chainopt.case.validate import validate
from chainopt.errors import InputError
from tests.toycase import two_sites_case, write_case

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
    assert variants[1].changes[1] == {"table": "supplies", "set":
                                      {"cost_usd_per_unit": 340.0}}



def test_a_range_of_one_point_between_two_values_is_refused():
    """start:stop:count is numpy's linspace, both ends included: 0.7:1.3:2 is [0.7, 1.3]
    and 0.7:1.3:1 is [0.7] alone, so the sweep ran the price at x0.7 and never at x1.3
    with no word. A count of 1 is refused when start != stop (naming the --set and what
    to give instead); 1.1:1.1:1 is the one value 1.1, as 1.1 is."""
    text = "markets.price_usd_per_unit[commodity=hdpe]*=0.7:1.3:1"
    with pytest.raises(InputError) as exc:
        sw.parse_set(text)
    (problem,) = exc.value.problems
    assert problem.where == f"--set {text!r}"
    assert "'0.7:1.3:1' has one point" in problem.message and "never reach 1.3" in (
        problem.message)
    assert "count of 2 or more (e.g. 0.7:1.3:2), or a single value (0.7)" in problem.hint
    assert sw.parse_set(text.replace(":1.3:1", ":1.3:2"))[1] == [0.7, 1.3]
    assert sw.parse_set("markets.price_usd_per_unit*=1.1:1.1:1")[1] == [1.1]

def test_sweep_matches_separate_runs(hdpe_sweep):
    kpis, _folder = hdpe_sweep  # api.sweep("small_chain", sets=[HDPE], ...)
    raw = api.load_case("small_chain").raw
    for factor, obj in zip([0.7, 1.0, 1.3], kpis["objective_musd"], strict=True):
        change = {"table": "markets", "where": {"commodity": "hdpe"},
                  "scale": {"price_usd_per_unit": factor}}
        case = validate(sw.apply_variant(raw, [change]))
        assert obj == pytest.approx(api.run(case, save=False).objective, rel=1e-9)
    assert kpis["mapped"].all()  # each variant's model from the sweep's map (chainopt.warm)


def test_monte_carlo_reproducible_across_jobs_and_dask(tmp_path):
    """Six draws, seed 3: kpis.csv and summary.csv are the same bytes with --jobs 1, with
    --jobs 2, on a local Dask cluster and finished by --resume after four parts were lost.
    kpis.csv had a column ``seconds`` (the wall time of each variant), so no two runs of a
    sweep wrote the same file; the columns of how a variant was solved (mapped,
    warm_start, seconds) are now in solves.csv. Seed 4 draws other values."""
    import shutil

    import yaml
    from distributed import Client, LocalCluster

    dist = tmp_path / "dists.yaml"
    dist.write_text(yaml.safe_dump(DISTS))

    def swept(name: str, seed: int = 3, **how) -> dict[str, bytes]:
        api.sweep("small_chain", samples=6, seed=seed, distributions=dist, out=tmp_path,
                  name=name, **how)
        return {t: (tmp_path / f"sweep-{name}" / f"{t}.csv").read_bytes()
                for t in ("kpis", "summary")}

    one = swept("j1", jobs=1)
    assert swept("j2", jobs=2) == one
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        assert swept("dk", dask=cluster.scheduler_address) == one
    cut = tmp_path / "sweep-cut"
    shutil.copytree(tmp_path / "sweep-j1", cut)
    for f in ("kpis.csv", "summary.csv", *(f"parts/s0000{i}.csv" for i in (0, 2, 3, 5))):
        (cut / f).unlink()
    api.sweep(None, resume=cut, jobs=1)
    assert {t: (cut / f"{t}.csv").read_bytes() for t in ("kpis", "summary")} == one
    kpis = pd.read_csv(tmp_path / "sweep-j1" / "kpis.csv")
    assert not set(sw.HOW_SOLVED) & set(kpis.columns)
    solves = pd.read_csv(tmp_path / "sweep-j1" / "solves.csv")
    assert list(solves.columns) == ["variant", *sw.HOW_SOLVED]
    assert list(solves["variant"]) == list(kpis["variant"])
    summary = pd.read_csv(tmp_path / "sweep-j1" / "summary.csv")
    assert set(summary["statistic"]) >= {"mean", "p05", "p50", "p95"}
    draws = [[v.values for v in sw.draw_samples(DISTS, 6, seed)] for seed in (3, 4)]
    assert draws[0] != draws[1]  # seed 4 draws other values


def _stopped_at(n: int, solve):
    """``solve`` (a sweep's ``solve_variant``) as Ctrl-C stops it at its ``n``-th call."""
    calls = {"n": 0}

    def stopped(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt
        return solve(*args, **kwargs)

    return stopped


def test_interrupted_sweep_resumes_to_the_same_table(tmp_path, monkeypatch):
    full, _, _ = api.sweep("small_chain", sets=[HDPE.replace(":3", ":5")], out=tmp_path,
                           name="full", jobs=1)
    real = sw.solve_variant
    monkeypatch.setattr(sw, "solve_variant", _stopped_at(3, real))
    with pytest.raises(KeyboardInterrupt) as stop:
        api.sweep("small_chain", sets=[HDPE.replace(":3", ":5")], out=tmp_path, name="cut",
                  jobs=1)
    folder = tmp_path / "sweep-cut"
    # says what is kept and how to go on (Ctrl-C printed nothing)
    assert (stop.value.saved, stop.value.total) == (2, 5)
    assert str(stop.value) == (f"interrupted: 2 of 5 variants saved in {folder}; finish "
                               f"with chainopt sweep --resume {folder}")
    assert len(list((folder / "parts").glob("*.csv"))) == 2
    assert not (folder / "kpis.csv").exists()
    monkeypatch.setattr(sw, "solve_variant", real)
    reads = {"n": 0}
    read_parts = sw.SweepFolder._parts

    def counted(self, *args, **kwargs):
        reads["n"] += 1
        return read_parts(self, *args, **kwargs)

    monkeypatch.setattr(sw.SweepFolder, "_parts", counted)
    # what to run comes from sweep.json: a request given again (ignored before) is refused
    # --out too (review sweep F8: --out OTHER was ignored, the sweep finished in its
    # folder while OTHER was never made)
    for asked in ({"sets": [HDPE]}, {"samples": 5}, {"seed": 3}, {"name": "other"},
                  {"out": tmp_path / "elsewhere"}):
        with pytest.raises(InputError, match=r"takes what to run from the sweep's sweep\.json"):
            api.sweep(None, resume=folder, jobs=1, **asked)
    assert not (tmp_path / "elsewhere").exists()
    resumed, _, _ = api.sweep(None, resume=folder, jobs=1)
    # the parts are read once to find what is left, not once per variant (a resume of
    # 3,000 variants with 455 done read 1.4 million part files and never finished),
    # and once to collect the table
    assert reads["n"] <= 2
    cols = ["variant", "objective_musd", "status"]
    pd.testing.assert_frame_equal(full[cols].reset_index(drop=True),
                                  resumed[cols].reset_index(drop=True), rtol=1e-9)


def test_a_resume_finishes_with_the_solver_and_options_the_sweep_started_with(
        tmp_path, monkeypatch):
    """A sweep started with a 100 s time limit per variant and interrupted after its
    first variant: a resume with --time-limit 5 mixed variants solved under two limits
    (a variant stopped by its limit may hold a worse plan), as would a resume by another
    chainopt or HiGHS. The options and versions are now in sweep.json: a resume without
    options finishes with the 100 s, other options or another version are refused."""
    import json

    from chainopt.solve import SolveOptions

    folder = tmp_path / "sweep-s"
    api.sweep("small_chain", sets=[HDPE.replace(":3", ":2")], out=tmp_path, name="s",
              jobs=1, options=SolveOptions(time_limit_s=100.0))
    meta = json.loads((folder / "sweep.json").read_text())
    assert meta["solver_options"]["time_limit_s"] == 100.0
    first = sorted((folder / "parts").glob("*.csv"))[0]
    first.unlink()  # as if interrupted before it was written
    with pytest.raises(InputError, match=r"started with time_limit_s=100\.0, not "
                                         r"time_limit_s=5\.0"):
        api.sweep(None, resume=folder, jobs=1, options=SolveOptions(time_limit_s=5.0))
    seen = []
    real = sw.run_variants
    monkeypatch.setattr(sw, "run_variants",
                        lambda *a, **k: seen.append(k["options"]) or real(*a, **k))
    kpis, _, _ = api.sweep(None, resume=folder, jobs=1, options=SolveOptions())
    assert seen == [SolveOptions(time_limit_s=100.0)] and first.exists()
    assert (kpis["status"] == "optimal").all() and len(kpis) == 2
    meta["made_by"]["chainopt"] = "0.0.1"
    (folder / "sweep.json").write_text(json.dumps(meta))
    first.unlink()
    with pytest.raises(InputError, match=r"started by chainopt 0\.0\.1 with HiGHS"):
        api.sweep(None, resume=folder, jobs=1)


def _hard_floor(folder):
    """Crude bought at 100 (at most 50 k t/yr) and sold at 200 with a hard floor of 20 k
    t/yr (one year, no discounting): 50 x 100 / 1000 = 5 MUSD; a floor above 50 is
    infeasible."""
    return write_case(folder, {
        "commodities": "commodity,unit,kind\ncrude,t,raw",
        "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,50",
        "markets": "site,commodity,price_usd_per_unit,min_k_per_yr,max_k_per_yr\n"
                   "a,crude,200,20,100",
    }, demand_floors="hard")


def test_failing_variant_is_recorded_and_the_rest_complete(tmp_path):
    """A hard demand floor of 20/40/60 with 50 available: the 60 variant is infeasible."""
    folder = _hard_floor(tmp_path / "case")
    kpis, _, _ = api.sweep(str(folder), sets=["markets.min_k_per_yr=20,40,60"],
                           out=tmp_path, jobs=1)
    assert list(kpis["status"]) == ["optimal", "optimal", "InfeasibleError"]
    assert kpis["objective_musd"].iloc[0] == pytest.approx(5.0)
    assert "infeasible" in kpis["message"].iloc[2]


def test_a_full_variant_that_fails_is_recorded_and_the_sweep_goes_on(tmp_path):
    """The hard floor case swept over floors 20, 40, 60 with 50 available, --full v00002
    v00000: the sweep solved all three (v00002 infeasible, recorded), then saving v00002
    in full raised its InfeasibleError: exit 3, v00000 never saved (and a replacing sweep,
    --overwrite, dropped whole). A failed variant stops no sweep: v00002 is recorded in
    kpis.csv, not saved (no folder), said in a warning; v00000 is saved (objective 50 x
    (200 - 100) / 1000 = 5 MUSD); exit 0, with --overwrite too."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    folder = _hard_floor(tmp_path / "case")
    args = ["sweep", str(folder), "--set", "markets.min_k_per_yr=20,40,60", "--out",
            str(tmp_path), "--jobs", "1", "--full", "v00002", "--full", "v00000"]
    for extra in ([], ["--overwrite"]):
        res = CliRunner().invoke(app, args + extra, env={"COLUMNS": "2000"})
        assert res.exit_code == 0, res.output
        text = " ".join(res.output.split())
        assert "3 variants, 2 solved, 1 failed" in text
        assert "warning: --full v00002: not saved, the variant failed (InfeasibleError: " \
               "sweep variant v00002 (markets.min_k_per_yr set 60)" in text
        sweep = tmp_path / "sweep-toy"
        kpis = pd.read_csv(sweep / "kpis.csv")
        assert list(kpis["status"]) == ["optimal", "optimal", "InfeasibleError"]
        assert sorted(p.name for p in (sweep / "variants").iterdir()) == ["v00000"]
        manifest = json.loads((sweep / "variants" / "v00000" / "manifest.json").read_text())
        assert manifest["objective"] == pytest.approx(5.0)


def test_an_infeasible_variant_is_named_as_the_variant_not_its_base(tmp_path):
    """The hard floor case with the scenario ``tight`` (at most 45 k t/yr of crude) swept
    over floors 20 and 60: floor 20 sells all 45, 45 x (200 - 100) / 1000 = 4.5 MUSD;
    floor 60 > 45 is infeasible. Its message named the base ("scenario 'tight' (on case
    'toy') is infeasible ... Run `chainopt explain tight.yaml`"), which solves; a plain
    case's run named it by its name alone ("case 'toy'", any text of case.yaml), not its
    folder. Now the variant is named by id and value on its source, with the scenario
    that `chainopt explain` takes to find the conflict (floor 60 against the supply limit),
    also for a --full variant (not saved, as it failed)."""
    import re

    import yaml

    from chainopt.errors import InfeasibleError

    folder = _hard_floor(tmp_path / "case")
    tight = tmp_path / "tight.yaml"
    tight.write_text(f"name: tight\nbase: {folder}\nchanges:\n  - table: supplies\n"
                     "    where: {commodity: crude}\n    set: {max_k_per_yr: 45}\n")
    kpis, _, _ = api.sweep(str(tight), sets=["markets.min_k_per_yr=20,60"], out=tmp_path,
                           jobs=1)
    assert list(kpis["status"]) == ["optimal", "InfeasibleError"]
    assert kpis["objective_musd"].iloc[0] == pytest.approx(4.5)
    msg = kpis["message"].iloc[1]
    assert msg.startswith(f"sweep variant v00001 (markets.min_k_per_yr set 60) of {tight} is "
                          "infeasible"), msg
    assert "scenario 'tight'" not in msg
    changes = msg.split(" and changes: ")[1].split(" and run `chainopt explain`")[0]
    (tmp_path / "v1.yaml").write_text(yaml.safe_dump(
        {"name": "v1", "base": str(tight), "changes": yaml.safe_load(changes)}))
    why = " ".join(api.explain(str(tmp_path / "v1.yaml")))
    assert "demand floor for crude at a in p1 (>= 60" in why
    # the limit the scenario sets, said by the row's key (review infeas F4, F6)
    assert "supply limit of crude at a in p1 (<= 45 k t/yr, supplies.csv row a/crude/1)" \
        in why, why
    kpis, _, folder_full = api.sweep(str(tight), sets=["markets.min_k_per_yr=20,60"],
                                     out=tmp_path, jobs=1, name="full", full=["v00001"])
    assert kpis["message"].iloc[1] == msg  # as --full: not saved, its row says why
    assert not (folder_full / "variants" / "v00001").exists()
    bad = write_case(tmp_path / "bad", {**{n: (folder / f"{n}.csv").read_text()
                                           for n in ("commodities", "sites", "supplies")},
                                        "markets": "site,commodity,price_usd_per_unit,"
                                                   "min_k_per_yr\na,crude,200,60"},
                     demand_floors="hard")
    with pytest.raises(InfeasibleError, match=rf"^case 'toy' \({re.escape(str(bad))}\) is "
                                              rf"infeasible.*explain {re.escape(str(bad))}`"):
        api.run(str(bad), save=False)


def test_a_sweep_in_which_no_variant_solved_fails(tmp_path):
    """The same hard floor at 60 and 70 with 50 available: both variants infeasible, so
    the sweep has nothing to summarise and exits 3, as a run of either would (it
    exited 0, "0 solved, 2 failed"); with one variant solved it exits 0, the failure a
    row of kpis.csv."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    folder = _hard_floor(tmp_path / "case")
    res = CliRunner().invoke(app, ["sweep", str(folder), "--set", "markets.min_k_per_yr=60,70",
                                   "--out", str(tmp_path), "--name", "none", "--jobs", "1"])
    assert res.exit_code == 3, res.output
    assert "no variant solved" in res.output and "infeasible" in res.output
    res = CliRunner().invoke(app, ["sweep", str(folder), "--set", "markets.min_k_per_yr=40,60",
                                   "--out", str(tmp_path), "--name", "one", "--jobs", "1"])
    assert res.exit_code == 0, res.output


def test_a_projects_re_solve_is_checked_as_a_run_is(tmp_path):
    """A project's value in a sweep or sensitivity is the run's objective less that of a
    re-solve without it, and the re-solve's plan was trusted unchecked (a run's plan is
    checked against chainopt's own matrix, :func:`chainopt.solve.check_plan`). Crude at
    100 (at most 10 kt) made 1:1 into prod at 250 by the project's unit: with it 10 x 150
    / 1000 - 1 = 0.5 MUSD, without it 0 (nothing bought), which passes. Then chainopt's
    copy of the model is made to disagree with the solver's (crude bought at least 5,
    which HiGHS is not told): the re-solve's purchase of 0 breaks that bound by 5 / (1 +
    0) = 5, and the re-solve stops, named, instead of giving 0.5 as the project's value."""
    from chainopt.errors import SolverError
    from chainopt.models.build import build
    from chainopt.solve import handover, solve, solve_with_fixed

    folder = _one_project_case(tmp_path / "case")
    built = build(validate(api.load_case(str(folder)).raw))
    handover(built)
    assert solve(built).objective == pytest.approx(0.5)
    cols = sw._project_columns(built)["good"]
    assert solve_with_fixed(built, cols, 0.0)[0] == pytest.approx(0.0, abs=1e-9)
    from chainopt.diagnose.names import column_names

    buy = column_names(built).index("supply.purchase(a,crude,p1)")
    built.arrays.col_lb[buy] = 5.0
    with pytest.raises(SolverError, match=r"highs's re-solve with 1 column fixed at 0 "
                       r"returned a plan that breaks the model by 5 .*supply\.purchase"
                       r"\(a,crude,p1\) is 0 against bounds \[5, 10\]"):
        solve_with_fixed(built, cols, 0.0)


def test_a_projects_re_solve_stopped_with_a_plan_gives_its_range(tmp_path):
    """A sweep values a project by re-solving the variant without it; a MIP re-solve
    stopped at the time limit with a plan is taken with its range (its plan F_c and its
    bound B_c lie apart), one stopped without a plan names the project. Here the re-solve
    of a two-binary toy (pj held off, pj2 free: a MIP still) is made to report 'time limit
    reached' after solving: taken with stopped=True (F_c = B_c = the true 0: nothing
    earns without the plant, pj2's earning 1.5 - 2 = -0.5), refused without it. With
    pj2 off too every binary is fixed and the re-solve is the LP it equals
    (solve.as_lp), whose stop at a time limit leaves no plan: refused either way."""
    import highspy

    from chainopt.errors import SolverError
    from chainopt.models.build import build
    from chainopt.solve import handover, solve, solve_with_fixed

    folder = write_case(tmp_path / "case", {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nprod,t,product",
        "sites": "site\na",
        "modes": "mode,process\nrun,p", "mode_flows":
            "mode,commodity,direction,amount_per_unit\nrun,crude,in,1\nrun,prod,out,1",
        "units": "unit,site,process,capacity_k_per_yr,lifetime_yr,project\nu,a,p,10,1,pj\n"
                 "u2,a,p,10,1,pj2",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,all_or_nothing,state\n"
                    "pj,1,p1,1,true,optional\npj2,2,p1,1,true,optional",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,10",
        "markets": "site,commodity,price_usd_per_unit\na,prod,250"})
    built = build(validate(api.load_case(str(folder)).raw))
    handover(built)
    assert solve(built).objective == pytest.approx(0.5)  # 10 x 150 / 1000 - 1
    cols = sw._project_columns(built)["pj"]

    class Stopped:  # the real instance, reporting a stop at the time limit
        def __init__(self, h):
            self._h = h

        def __getattr__(self, name):
            return getattr(self._h, name)

        def getModelStatus(self):
            return highspy.HighsModelStatus.kTimeLimit

    built.solver = Stopped(built.solver)
    assert solve_with_fixed(built, cols, 0.0, stopped=True) == pytest.approx((0.0, 0.0))
    with pytest.raises(SolverError, match=r"Time limit reached.*raise --time-limit"):
        solve_with_fixed(built, cols, 0.0)
    both = np.concatenate([cols, sw._project_columns(built)["pj2"]])
    with pytest.raises(SolverError, match=r"Time limit reached"):
        solve_with_fixed(built, both, 0.0, stopped=True)


def _trade(folder, supply_cost: int):
    """Buy up to 50 k t of crude at ``supply_cost``, sell it at 200 (one year, no
    discounting): the objective is 50,000 t x (price - cost) = 0.05 (price - cost) MUSD."""
    return write_case(folder, {
        "commodities": "commodity,unit,kind\ncrude,t,raw",
        "sites": "site\na",
        "supplies": f"site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,{supply_cost},50",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\na,crude,200,100",
    })


PRICES = ["markets.price_usd_per_unit=200,300"]


def test_a_sweep_after_editing_the_case_solves_the_edited_case(tmp_path):
    """Two sweeps in one process, the supply cost edited from 100 to 150 in between:
    0.05 x (200 - 100, 300 - 100) = 5, 10 MUSD, then 0.05 x (50, 150) = 2.5, 7.5. Pool
    workers forked from this process used to inherit the first sweep's model and answer
    5, 10 again."""
    case = _trade(tmp_path / "case", 100)
    first, _, _ = api.sweep(str(case), sets=PRICES, out=tmp_path, name="one", jobs=1,
                            project_npv=False)
    assert first["objective_musd"].tolist() == pytest.approx([5.0, 10.0])
    _trade(case, 150)
    for jobs in (2, 1):
        again, _, _ = api.sweep(str(case), sets=PRICES, out=tmp_path, name=f"j{jobs}",
                                jobs=jobs, project_npv=False)
        assert again["objective_musd"].tolist() == pytest.approx([2.5, 7.5]), jobs


def test_a_long_lived_worker_rebuilds_for_a_new_input_hash(tmp_path):
    """A Dask worker runs variant after variant in one process: given the sweep's input
    hash, it drops a base of the same file made from other data (5 -> 2.5 MUSD at price
    200, as above); and a worker that finds the file changed under a running sweep
    records the variant as InputsChangedError instead of solving other data."""
    from chainopt.case.digest import case_hash

    case = _trade(tmp_path / "case", 100)
    variant = sw.grid([sw.parse_set(PRICES[0])])[0]  # price 200
    sw._fresh_worker()
    old = case_hash(api.load_case(str(case)))
    assert sw.solve_variant(str(case), variant, digest=old)["objective_musd"] == \
        pytest.approx(5.0)
    _trade(case, 150)
    new = case_hash(api.load_case(str(case)))
    assert sw.solve_variant(str(case), variant, digest=new)["objective_musd"] == \
        pytest.approx(2.5)
    row = sw.solve_variant(str(case), variant, digest=old)  # the file moved on meanwhile
    assert row["status"] == "InputsChangedError" and "edited while the sweep ran" in \
        row["message"]
    sw._fresh_worker()


def test_resuming_a_sweep_of_an_edited_case_is_refused(tmp_path):
    """The finished variants were solved on the data before the edit: mixing them with
    new ones would make a table of two cases. The sweep says so (exit 6) and adds
    nothing."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    case = _trade(tmp_path / "case", 100)
    api.sweep(str(case), sets=PRICES, out=tmp_path, name="s", jobs=1, project_npv=False)
    folder = tmp_path / "sweep-s"
    parts = sorted((folder / "parts").glob("*.csv"))
    parts[-1].unlink()  # as if interrupted before the last variant
    _trade(case, 150)
    done = CliRunner().invoke(app, ["sweep", "--resume", str(folder)])
    assert done.exit_code == 6, done.output
    assert "start a new sweep" in done.output
    assert sorted((folder / "parts").glob("*.csv")) == parts[:-1]


def test_a_relaxed_sweep_is_refused(tmp_path):
    """api.sweep(relax=True) used to solve the MIP and report it as relaxed."""
    with pytest.raises(InputError, match="relax"):
        api.sweep("small_chain", sets=[HDPE], out=tmp_path, jobs=1,
                  options=api.solve_options(relax=True))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("ask, says", [
    ({"sets": [HDPE], "samples": 4}, "--set with --samples: a sweep is a grid"),
    ({"sets": [HDPE]}, "--distributions: is read only for Monte Carlo draws"),
])
def test_a_grid_with_draws_or_distributions_is_refused(tmp_path, ask, says):
    """--set with --samples ran the draws only (sweep.json still recorded the grid), and
    --distributions without --samples was ignored: both refused, nothing written."""
    import yaml

    dist = tmp_path / "dists.yaml"
    dist.write_text(yaml.safe_dump(DISTS))
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        api.sweep("small_chain", distributions=dist, out=out, jobs=1, **ask)
    assert says in str(info.value)
    assert not out.exists()


def test_a_seed_without_draws_is_refused(tmp_path):
    """--seed seeds the Monte Carlo draws: on a grid it was silently ignored. Refused,
    --seed 0 too: it was the default, so an explicit --seed 0 with a grid ran while
    --seed 3 was refused; now the default is "not given" (None)."""
    from tests.hardening.conftest import cli

    for seed in (7, 0):
        with pytest.raises(InputError, match="--seed: seeds the Monte Carlo draws"):
            api.sweep("small_chain", sets=[HDPE], seed=seed, out=tmp_path / "out", jobs=1)
        _code, text = cli("sweep", "small_chain", "--set", HDPE, "--seed", seed, "--out",
                          tmp_path / "out", "--jobs", "1", code=1)
        assert "--seed: seeds the Monte Carlo draws; a grid sweep has none" in text
        _code, text = cli("sweep", "--resume", tmp_path / "out", "--seed", seed, code=1)
        assert "takes what to run from the sweep's sweep.json, not from --seed" in text
    assert not (tmp_path / "out").exists()


def test_a_project_not_built_is_worth_exactly_zero_without_a_re_solve(tmp_path,
                                                                      monkeypatch):
    """One year at rate 0; 10 k t/yr of crude at 100 USD/t. Project ``good`` (capex 1
    MUSD, a one-year life, so its annuity is the 1 MUSD) turns it into prod sold at 250:
    10 x 150 = 1.5 MUSD, NPV 1.5 - 1 = 0.5. Project ``bad`` (also 1 MUSD) would sell it
    at 120: 10 x 20 = 0.2 < 1, never built, and the crude goes to ``good``. ``bad``'s
    incremental NPV is 0 by definition: fixing its build at 0 leaves the plan feasible.

    The counterfactual re-solve is replaced by one that, like a MIP stopping within its
    gap, finds a plan 2.94 MUSD worse: an unbuilt project of the default case was
    reported at +2.94 MUSD so (P(built) 0, mean NPV 0.15). Not re-solved, it is 0;
    ``good`` still is (0.5 + the fake's 2.94)."""
    import chainopt.solve as solve_mod

    folder = write_case(tmp_path / "case", {
        "commodities": "commodity,unit,kind\ncrude,t,raw\nprod,t,product\nprod2,t,product",
        "sites": "site\na",
        "modes": "mode,process\ng_run,pg\nb_run,pb",
        "mode_flows": "mode,commodity,direction,amount_per_unit\ng_run,crude,in,1\n"
                      "g_run,prod,out,1\nb_run,crude,in,1\nb_run,prod2,out,1",
        "units": "unit,site,process,capacity_k_per_yr,lifetime_yr,project\n"
                 "ug,a,pg,10,1,good\nub,a,pb,10,1,bad",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,all_or_nothing,state\n"
                    "good,1,p1,1,false,optional\nbad,1,p1,1,false,optional",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,10",
        "markets": "site,commodity,price_usd_per_unit\na,prod,250\na,prod2,120"})
    real = solve_mod.solve_with_fixed
    monkeypatch.setattr(solve_mod, "solve_with_fixed",
                        lambda *a, **k: (real(*a, **k)[0] - 2.94, real(*a, **k)[1]))
    sw._BASE.clear()
    kpis, _, _ = api.sweep(str(folder), sets=["markets.price_usd_per_unit[commodity=prod]"
                                              "*=1"], out=tmp_path, name="s", jobs=1)
    row = kpis.iloc[0]
    assert row["objective_musd"] == pytest.approx(0.5)
    assert (row["built_good"], row["built_bad"]) == pytest.approx((1.0, 0.0))
    assert row["npv_bad_incremental_musd"] == 0.0
    assert row["npv_good_incremental_musd"] == pytest.approx(0.5 + 2.94)
    # the range the solves leave (economics.value_range): without good the fake finds
    # F_c = 0 - 2.94 against its bound B_c = 0 (nothing earns without good), so good
    # lies in [F_s - B_c, B_s - F_c] = [0.5 - 0, 0.5 + 2.94] = [0.5, 3.44]; bad, not
    # built, in [0, B_s - F_s] = [0, 0] (an LP: B_s = F_s)
    assert row["npv_good_low_musd"] == pytest.approx(0.5)
    assert row["npv_good_high_musd"] == pytest.approx(3.44)
    assert (row["npv_bad_low_musd"], row["npv_bad_high_musd"]) == (0.0, 0.0)


def test_sensitivity_of_a_grid_sweep_is_refused_and_failed_draws_are_said(tmp_path):
    """The six draws of tests/report/test_sweep_stats.py (one infeasible; the project's
    NPV 0, 0, 4, 10, 30 in the five solved, built in three) in a sweep folder written by
    hand. Recorded as a grid (--set, samples 0), `sensitivity --sweep` gave P10/P50/P90
    0 / 4 / 22 and P(built) 60 %, shares of chosen points, as probabilities: now exit 1,
    saying what to run instead, nothing written. Recorded as Monte Carlo draws, it gives
    them and says that 1 of 6 draws failed and is left out (terminal and
    projects_mc.csv, column failed)."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    kpis = pd.DataFrame({
        "variant": [f"s{i:05d}" for i in range(6)],
        "status": ["optimal", "optimal", "InfeasibleError", "optimal", "feasible", "optimal"],
        "message": ["", "", "sweep variant s00002 ... is infeasible", "", "", ""],
        "objective_musd": [100.0, 101.0, float("nan"), 104.0, 110.0, 130.0],
        "built_pj": [0.0, 0.0, float("nan"), 1.0, 1.0, 1.0],
        "npv_pj_incremental_musd": [0.0, 0.0, float("nan"), 4.0, 10.0, 30.0]})
    meta = {"source": "small_chain", "sets": ["markets.price_usd_per_unit*=1:2:6"],
            "samples": 0, "seed": 0}
    for kind in ("grid", "draws"):
        folder = tmp_path / kind
        folder.mkdir()
        kpis.to_csv(folder / "kpis.csv", index=False)
        (folder / "sweep.json").write_text(json.dumps(
            meta if kind == "grid" else {**meta, "sets": [], "samples": 6,
                                         "distributions": {}}))
    res = CliRunner().invoke(app, ["sensitivity", "--sweep", str(tmp_path / "grid")],
                             env={"COLUMNS": "2000"})
    assert res.exit_code == 1, res.output
    text = " ".join(res.output.split())
    assert f"--sweep {tmp_path / 'grid'}: is a grid sweep (--set)" in text
    assert "no probabilities; run a Monte Carlo sweep (chainopt sweep SOURCE --samples N " \
           "--distributions FILE)" in text
    assert sorted(p.name for p in (tmp_path / "grid").iterdir()) == ["kpis.csv", "sweep.json"]
    res = CliRunner().invoke(app, ["sensitivity", "--sweep", str(tmp_path / "draws")],
                             env={"COLUMNS": "2000"})
    assert res.exit_code == 0, res.output
    assert "warning: 1 of 6 draws failed (InfeasibleError 1: s00002) and are left out" in " ".join(
        res.output.split())
    mc = pd.read_csv(tmp_path / "draws" / "projects_mc.csv").set_index("project").loc["pj"]
    assert (mc["samples"], mc["failed"], mc["p50_musd"], mc["p_built"]) == (5, 1, 4.0, 0.6)
    # draws of a case without an optional project: an empty table, chart and deck slide
    # were written without a word; now exit 1 saying so, nothing written
    none = tmp_path / "none"
    none.mkdir()
    kpis.drop(columns=["built_pj", "npv_pj_incremental_musd"]).to_csv(none / "kpis.csv",
                                                                      index=False)
    (none / "sweep.json").write_text(json.dumps({**meta, "sets": [], "samples": 6,
                                                 "distributions": {}}))
    res = CliRunner().invoke(app, ["sensitivity", "--sweep", str(none)],
                             env={"COLUMNS": "2000"})
    assert res.exit_code == 1 and "the sweep has no optional project" in res.output
    assert sorted(p.name for p in none.iterdir()) == ["kpis.csv", "sweep.json"]


def test_sensitivity_of_a_sweep_refuses_out_and_replaces_its_files_only_with_overwrite(
        tmp_path):
    """Review cli F5: `sensitivity --sweep DIR --out X` wrote DIR/projects_mc.* and never
    X, without a word, and a second call replaced projects_mc.* without --overwrite.
    Now --out with --sweep alone is a usage error (exit 2, nothing written, X not made)
    and existing projects_mc files are replaced only with --overwrite (exit 1 naming
    it, checked before anything is read). The sweep: five draws of a project pj whose
    NPV is 0, 0, 4, 10, 30, built in three: P50 4, P(built) 3/5 = 0.6 by hand."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    folder = tmp_path / "draws"
    folder.mkdir()
    pd.DataFrame({"variant": [f"s{i:05d}" for i in range(5)], "status": ["optimal"] * 5,
                  "message": [""] * 5, "objective_musd": [100.0, 101.0, 104.0, 110.0, 130.0],
                  "built_pj": [0.0, 0.0, 1.0, 1.0, 1.0],
                  "npv_pj_incremental_musd": [0.0, 0.0, 4.0, 10.0, 30.0]}).to_csv(
        folder / "kpis.csv", index=False)
    (folder / "sweep.json").write_text(json.dumps({
        "source": "small_chain", "sets": [], "samples": 5, "seed": 0, "distributions": {}}))
    runner = CliRunner(env={"COLUMNS": "2000"})
    res = runner.invoke(app, ["sensitivity", "--sweep", str(folder), "--out",
                              str(tmp_path / "elsewhere")])
    assert res.exit_code == 2, res.output
    assert "--sweep writes projects_mc.csv and projects_mc.png into the sweep folder" in \
        " ".join(res.output.split())
    assert not (tmp_path / "elsewhere").exists() and not (folder / "projects_mc.csv").exists()
    res = runner.invoke(app, ["sensitivity", "--sweep", str(folder)])
    assert res.exit_code == 0, res.output
    mc = folder / "projects_mc.csv"
    row = pd.read_csv(mc).set_index("project").loc["pj"]
    assert (row["p50_musd"], row["p_built"]) == (4.0, 0.6)
    mc.write_text("mine\n")  # stands for the earlier file: left as it is
    res = runner.invoke(app, ["sensitivity", "--sweep", str(folder)])
    assert res.exit_code == 1, res.output
    assert f"{mc} exists" in res.output and "pass --overwrite to replace it" in res.output
    assert mc.read_text() == "mine\n"
    res = runner.invoke(app, ["sensitivity", "--sweep", str(folder), "--overwrite"])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(mc).set_index("project").loc["pj", "p50_musd"] == 4.0


def test_sweep_tables_write_numbers_as_the_results_tables_do(tmp_path):
    """kpis.csv and summary.csv were written with a bare %.10g: a build share of -0.0
    read "-0" and one of 3e-11 (a MIP's binary a hair off 0) "3e-11", where every results
    and comparison table (results.stable_floats) writes 0. Now the same rule: 10
    significant digits (7784.939871000001 -> 7784.939871, 0.7999999999999999 -> 0.8),
    below 1e-10 -> 0, no -0."""
    from chainopt.api import _write_sweep_tables

    kpis = pd.DataFrame({"variant": ["v00000"], "x scale": [0.7999999999999999],
                         "objective_musd": [7784.939871000001], "built_p": [-0.0],
                         "built_q": [3e-11]})
    _write_sweep_tables(sw.SweepFolder(tmp_path), {"kpis": kpis})
    assert (tmp_path / "kpis.csv").read_text().splitlines() == [
        "variant,x scale,objective_musd,built_p,built_q", "v00000,0.8,7784.939871,0,0"]


def _one_project_case(path, **meta):
    """One year at rate 0; 10 k t/yr of crude at 100 USD/t; optional divisible project
    ``good`` (capex 1 MUSD, a one-year life) turns it into prod, sold at 250 USD/t: NPV
    10 x (P - 100) / 1000 - 1 at a price P of prod, built when P is above 200."""
    return write_case(path, **meta, tables={
        "commodities": "commodity,unit,kind\ncrude,t,raw\nprod,t,product",
        "sites": "site\na", "modes": "mode,process\ng_run,pg",
        "mode_flows": "mode,commodity,direction,amount_per_unit\ng_run,crude,in,1\n"
                      "g_run,prod,out,1",
        "units": "unit,site,process,capacity_k_per_yr,lifetime_yr,project\nug,a,pg,10,1,good",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,all_or_nothing,state\n"
                    "good,1,p1,1,false,optional",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,10",
        "markets": "site,commodity,price_usd_per_unit\na,prod,250"})


def _price_grid(tmp_path):
    """``chainopt sweep`` of :func:`_one_project_case` at P = 150, 180, 250, 300, 400 into
    ``tmp_path/sweep-grid``; the CLI's result."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    folder = _one_project_case(tmp_path / "case")
    return CliRunner().invoke(app, ["sweep", str(folder), "--set",
                                    "markets.price_usd_per_unit=150,180,250,300,400", "--out",
                                    str(tmp_path), "--name", "grid", "--jobs", "1"],
                              env={"COLUMNS": "2000"})


def test_a_warm_basis_sweep_gives_the_hand_values(tmp_path):
    """``chainopt sweep --warm-basis`` of :func:`_one_project_case` at P = 150, 180, 250,
    300, 400, each variant solved from the basis of the one before it. By hand the
    objective is max(0, 10 x (P - 100) / 1000 - 1) MUSD: 0, 0, 0.5, 1.0, 2.0 (the
    project is built from P = 200 on), so between the second and the third variant the
    plan flips from nothing built to all of it, and the warm start must leave the basis
    it starts from."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    folder = _one_project_case(tmp_path / "case")
    sw._BASE.clear()  # a fresh worker, as a new sweep process would have
    res = CliRunner().invoke(app, ["sweep", str(folder), "--set",
                                   "markets.price_usd_per_unit=150,180,250,300,400", "--out",
                                   str(tmp_path), "--name", "warm", "--jobs", "1",
                                   "--warm-basis"])
    assert res.exit_code == 0, res.output
    kpis = pd.read_csv(tmp_path / "sweep-warm" / "kpis.csv")
    assert list(kpis["objective_musd"]) == pytest.approx([0.0, 0.0, 0.5, 1.0, 2.0],
                                                         abs=1e-9)
    assert list(kpis["built_good"]) == pytest.approx([0.0, 0.0, 1.0, 1.0, 1.0], abs=1e-9)
    assert pd.read_csv(tmp_path / "sweep-warm" / "solves.csv")["warm_start"].all()


def test_a_grids_summary_is_its_range_not_percentiles_of_its_points(tmp_path):
    """The one-project case (:func:`_one_project_case`) at P = 150, 180, 250, 300, 400:
    not built at 150 and 180 (objective 0), built at 250, 300, 400 with objectives
    10 x 150 / 1000 - 1 = 0.5, 10 x 200 / 1000 - 1 = 1.0 and 10 x 300 / 1000 - 1 = 2.0.
    summary.csv gave mean 0.7, p05 0, p50 0.5, p95 1.8 of these five numbers: statistics
    of the points chosen (add 500 and 600 and p50 becomes 1.0 with no change to the
    chain). A grid's summary is now its range: count 5, min 0, max 2.0 and no mean, std
    or pNN; the terminal's table gives min and max. Monte Carlo draws keep their
    percentiles (test_monte_carlo_reproducible_across_jobs_and_dask)."""
    res = _price_grid(tmp_path)
    assert res.exit_code == 0, res.output
    summary = pd.read_csv(tmp_path / "sweep-grid" / "summary.csv")
    obj = summary[summary["measure"] == "objective_musd"].set_index("statistic")["value"]
    assert obj.to_dict() == pytest.approx({"count": 5.0, "min": 0.0, "max": 2.0})
    assert not summary["statistic"].str.fullmatch(r"mean|std|p\d\d").any()
    assert "objective_musd │ 0 │ 2.000" in " ".join(res.output.split())
    assert "p50" not in res.output


def test_a_sweeps_terminal_names_its_failed_variants(tmp_path):
    """The one-project case (:func:`_one_project_case`), floors hard, with a demand floor
    on prod of 0, 20, 30, 40, 50 k t/yr: 10 k t/yr of crude makes at most 10 of prod, so
    v00000 (0) solves and v00001 to v00004 are infeasible. The terminal said "5 variants, 1
    solved, 4 failed" and nothing of which; it now names the first three failed with
    their status and the first sentence of their message, and the fourth as "and 1
    more", pointing to kpis.csv for the whole messages."""
    from typer.testing import CliRunner

    from chainopt import cli

    folder = _one_project_case(tmp_path / "case", demand_floors="hard")
    res = CliRunner().invoke(cli.app, ["sweep", str(folder), "--set",
                                       "markets.min_k_per_yr=0,20,30,40,50", "--out",
                                       str(tmp_path), "--name", "floor", "--jobs", "1"],
                                 env={"COLUMNS": "2000"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "5 variants, 1 solved, 4 failed" in text
    for vid, floor in (("v00001", 20), ("v00002", 30), ("v00003", 40)):
        assert (f"failed {vid}: InfeasibleError: sweep variant {vid} (markets.min_k_per_yr "
                f"set {floor}) of ") in text
    assert text.count("is infeasible: no plan meets every constraint") == 3
    assert "failed v00000" not in text and "failed v00004" not in text
    assert "and 1 more; whole messages in kpis.csv, column message" in text
    # a long first sentence keeps its start to 200 characters and its last 60, each cut
    # between words (review sweep F7: cut in the middle, 'tier 2 of prod at a pa ... es,
    # or make' had lost what was wrong): 'InfeasibleError: ' (17) + 36 words 'wwww ' (180)
    # is 197 characters, the 37th word would end at 201, so the start ends after 36
    # words; the last 60 characters are 'w ' + 9 words 'wwww ' (45) + 'is infeasible'
    # (13), cut to its 9 words and the end
    words = "wwww " * 80
    (line, _) = cli.failure_lines({"v1": f"InfeasibleError: {words}is infeasible. More"})
    assert line == (f"  failed v1: InfeasibleError: {'wwww ' * 35}wwww ... {'wwww ' * 9}"
                    "is infeasible")


def test_a_grids_share_of_points_built_is_not_called_a_probability(tmp_path):
    """The one-project case (:func:`_one_project_case`). A grid of P = 150, 180, 250,
    300, 400 builds it at 3 of its 5 points: summary.csv said probability_built 0.6 and
    the terminal "built in 60% of variants", a share of the points chosen (move them
    and it moves), named as a probability. Now share_of_points_built 0.6, "built at 60.0%
    of the grid's points (a share of the points chosen, not a probability)". Monte Carlo
    keeps its words: P drawn uniform from 249 to 251 (the grid builds it from 250 on, not
    at 180; a zero-width draw is refused) builds it in every draw, probability_built 1.0,
    "built in 100% of variants"."""
    res = _price_grid(tmp_path)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("project good: built at 60.0% of the grid's points (a share of the points chosen, "
            "not a probability)") in text
    assert "of variants" not in text
    summary = pd.read_csv(tmp_path / "sweep-grid" / "summary.csv")
    rows = summary[summary["measure"] == "good"].set_index("statistic")["value"]
    assert rows.to_dict() == pytest.approx({"share_of_points_built": 0.6,
                                            "mean_built_share": 0.6})
    dists = tmp_path / "dists.yaml"
    dists.write_text(json.dumps({"variables": [{
        "target": "markets.price_usd_per_unit", "op": "set",
        "dist": {"type": "uniform", "low": 249, "high": 251}}]}))
    from typer.testing import CliRunner

    from chainopt.cli import app

    res = CliRunner().invoke(app, ["sweep", str(tmp_path / "case"), "--samples", "2",
                                   "--distributions", str(dists), "--out", str(tmp_path),
                                   "--name", "draws", "--jobs", "1"], env={"COLUMNS": "2000"})
    assert res.exit_code == 0, res.output
    assert "project good: built in 100% of variants" in " ".join(res.output.split())
    summary = pd.read_csv(tmp_path / "sweep-draws" / "summary.csv")
    rows = summary[summary["measure"] == "good"].set_index("statistic")["value"]
    assert rows.to_dict() == pytest.approx({"probability_built": 1.0,
                                            "mean_built_share": 1.0})


def test_resuming_a_sweep_of_two_settings_changing_the_same_cells_is_refused(tmp_path):
    """5 kt/yr of crude bought at 100 USD/t and sold at 290 (objective 0.95 MUSD), swept
    by a chainopt that did not yet refuse two settings changing the same cells: every
    price x1 or x2 and crude's price x1 or x3. Its variant v00003 (values 2 and 3) sells
    at 290 x 2 x 3 = 1,740, objective 5 x (1,740 - 100) / 1000 = 8.2 MUSD, where kpis.csv
    says x2 and x3 (alone, x3 gives 5 x 770 / 1000 = 3.85). Resuming such a folder (one
    part done) solved the other three without a word; now it is refused (exit 1) like a
    new sweep of those settings, saying that the finished variants have it too and to
    start a new sweep; the finished part stays, nothing else is written."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    case = write_case(tmp_path / "case", {
        "commodities": "commodity,unit,kind\ncrude,t,raw", "sites": "site\na",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\na,crude,100,5",
        "markets": "site,commodity,price_usd_per_unit\na,crude,290"})
    sets = ["markets.price_usd_per_unit*=1,2",
            "markets.price_usd_per_unit[commodity=crude]*=1,3"]
    raw = api.load_case(str(case)).raw
    both = sw.grid([sw.parse_set(s) for s in sets])[3]
    assert both.values == {"markets.price_usd_per_unit scale": 2.0,
                           "markets.price_usd_per_unit[commodity=crude] scale": 3.0}
    sold = validate(sw.apply_variant(raw, list(both.changes)))
    assert api.run(sold, save=False).objective == pytest.approx(8.2)
    folder = tmp_path / "sweep-old"
    (folder / "parts").mkdir(parents=True)
    (folder / "sweep.json").write_text(json.dumps({"source": str(case), "sets": sets,
                                                   "samples": 0, "seed": 0}))
    part = sw.part_text({"variant": "v00000", "status": "optimal", "message": "",
                         "objective_musd": 0.95})
    (folder / "parts" / "v00000.csv").write_text(part)
    res = CliRunner().invoke(app, ["sweep", "--resume", str(folder), "--jobs", "1"],
                             env={"COLUMNS": "2000"})
    assert res.exit_code == 1, res.output
    text = " ".join(res.output.split())
    assert (f"--resume: {folder / 'sweep.json'}: --set {sets[0]!r} and --set {sets[1]!r}: "
            "both change markets.price_usd_per_unit of the same 1 row of markets.csv") in text
    assert ("a resume runs the settings its sweep.json records, and the variants it "
            "finished have this too") in text and "start a new sweep" in text
    assert sorted(p.name for p in folder.rglob("*")) == ["parts", "sweep.json", "v00000.csv"]
    assert (folder / "parts" / "v00000.csv").read_text() == part


@pytest.mark.parametrize(("setting", "objectives"), [
    ("markets.price_usd_per_unit*=0.7,1.3", [0.0, 1.25]),
    ("units.capacity_k_per_yr[unit=ug]=0,8", [0.0, 0.2]),
    ("markets.min_k_per_yr=5,10", [0.5, 0.5]),
])
def test_a_sweeps_variants_equal_cold_runs_of_their_scenarios(tmp_path, setting, objectives):
    """The one-project case (:func:`_one_project_case`, NPV 10 x (P - 100) / 1000 - 1
    when built at a price P of 250, capacity 10 kt/yr) swept, each variant's objective,
    NPV parts and build share against ``chainopt run`` of a scenario file with the
    variant's changes (a cold run: validated, built and solved afresh), to 1e-9, and
    against the hand values: P x 0.7 = 175 is below the 200 at which the project pays
    (not built, 0), x 1.3 = 325 gives 10 x 225 / 1000 - 1 = 1.25; its unit at capacity 0
    makes nothing (not built, 0), at 8 makes 8 x 150 / 1000 - 1 = 0.2; a floor of 5 or
    10 kt/yr is met by the base plan of 10 (10 x 150 / 1000 - 1 = 0.5 either way)."""
    import yaml
    from typer.testing import CliRunner

    from chainopt.cli import app
    from chainopt.results import Results

    folder = _one_project_case(tmp_path / "case")
    kpis, _, _ = api.sweep(str(folder), sets=[setting], out=tmp_path, jobs=1)
    assert list(kpis["objective_musd"]) == pytest.approx(objectives, abs=1e-12)
    for variant, row in zip(sw.grid([sw.parse_set(setting)]), kpis.to_dict("records"),
                            strict=True):
        scenario = tmp_path / f"{variant.id}.yaml"
        scenario.write_text(yaml.safe_dump({"name": f"cold_{variant.id}", "base": str(folder),
                                            "changes": list(variant.changes)}))
        done = CliRunner().invoke(app, ["run", str(scenario), "--out", str(tmp_path / "cold")])
        assert done.exit_code == 0, done.output
        cold = Results.load(tmp_path / "cold" / f"cold_{variant.id}")
        k = cold["kpis"][cold["kpis"]["period"] == ""]
        want = {f"{r.kpi}_musd": r.value for r in k.itertuples() if r.kpi.startswith("npv_")}
        want["objective_musd"] = cold.objective
        want["built_good"] = float(cold["projects"]["built_share"].sum())
        for key, value in want.items():
            assert row[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key


def test_a_variant_that_needs_its_project_for_a_plan_keeps_its_plan(tmp_path):
    """The one-project case (:func:`_one_project_case`) at P = 250, floors hard, with a
    demand floor on prod of 0 and 5 k t/yr. Both build good (10 x 150 / 1000 - 1 = 0.5
    MUSD, as P > 200); with floor 0 good is worth 0.5 against the plan without it (0),
    with floor 5 there is no plan without it (prod comes only from good). That variant
    was recorded as failed (SolverError: "valuing project good ... ended with status
    'Infeasible'", objective lost, exit 4 when all fail); now it solves with objective
    0.5, good's npv_ columns blank and the message saying why."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    folder = _one_project_case(tmp_path / "case", demand_floors="hard")
    res = CliRunner().invoke(app, ["sweep", str(folder), "--set", "markets.min_k_per_yr=0,5",
                                   "--out", str(tmp_path), "--name", "need", "--jobs", "1"],
                             env={"COLUMNS": "2000"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("2 variants, 2 solved, 0 failed" in text
            and "note: 1 solved variant with a note in kpis.csv, column message (v00001: good "
            "needed for a plan" in text), res.output
    k = pd.read_csv(tmp_path / "sweep-need" / "kpis.csv").set_index("variant")
    assert k["status"].tolist() == ["optimal", "optimal"]
    assert k["objective_musd"].tolist() == pytest.approx([0.5, 0.5])
    assert k.at["v00000", "npv_good_incremental_musd"] == pytest.approx(0.5)
    assert np.isnan(k.at["v00001", "npv_good_incremental_musd"])
    assert np.isnan(k.at["v00001", "npv_good_low_musd"])
    assert k.at["v00001", "message"] == (
        "good needed for a plan: the variant without it is infeasible, so its npv_ columns "
        "are blank (no plan without it to value it against)")


def test_a_sweep_starts_no_more_workers_than_variants(tmp_path, monkeypatch):
    """``--jobs 64`` over a grid of 2 variants: on Linux the pool forks every worker at
    once, so it started 64 processes for 2 solves (``--jobs 1024``, the CLI's most,
    1,024). By hand: 2 variants keep at most 2 workers busy, so the pool gets 2."""
    import concurrent.futures

    asked = []
    real = concurrent.futures.ProcessPoolExecutor

    def pool(*args, max_workers=None, **kwargs):
        asked.append(max_workers)
        return real(*args, max_workers=max_workers, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", pool)
    kpis, _summary, _folder = api.sweep("small_chain", sets=["markets.price_usd_per_unit*=1,1.1"],
                                        out=tmp_path, jobs=64)
    assert asked == [2]
    assert list(kpis["status"]) == ["optimal", "optimal"]


@pytest.mark.parametrize("jobs", [0, -2, 1.5, None])
def test_a_sweep_or_batch_with_no_worker_is_refused(tmp_path, jobs):
    """api.sweep(jobs=0) (or -2, 1.5) ran the variants in this process unasked, and
    run_many(jobs=-2) quietly did the same: refused before anything is written (None is
    run_many's default, one process per core)."""
    with pytest.raises(InputError, match="jobs: must be a whole number of processes >= 1"):
        api.sweep("small_chain", sets=[HDPE], out=tmp_path / "out", jobs=jobs)
    if jobs is not None:
        with pytest.raises(InputError, match=r"jobs: .* \(or None: one per core\); found"):
            api.run_many(["small_chain"], out=tmp_path / "out", jobs=jobs)
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def hdpe_sweep(tmp_path_factory) -> tuple[pd.DataFrame, Path]:
    """``api.sweep("small_chain", sets=[HDPE], name="s")`` solved once: its kpis and its
    folder sweep-s, which the tests that damage or resume it copy (:func:`_hdpe_sweep`)."""
    out = tmp_path_factory.mktemp("hdpe")
    kpis, _, _ = api.sweep("small_chain", sets=[HDPE], out=out, name="s", jobs=1)
    return kpis, out / "sweep-s"


def _hdpe_sweep(tmp_path: Path, hdpe_sweep) -> pd.DataFrame:
    """``tmp_path`` as ``api.sweep("small_chain", sets=[HDPE], out=tmp_path, name="s")``
    leaves it; the sweep's kpis."""
    kpis, folder = hdpe_sweep
    shutil.copytree(folder, tmp_path / "sweep-s")
    return kpis


def test_resume_solves_again_a_part_that_is_a_fifo_or_too_large(tmp_path, hdpe_sweep):
    """A sweep folder someone sent, with a FIFO in one part's place (reading it waited
    for a writer for ever) and a part padded past MAX_PART_BYTES (read whole into
    memory): both are left out like any damaged part, so resume solves those variants
    again and replaces them with parts chainopt wrote."""
    import os

    folder = tmp_path / "sweep-s"
    kpis = _hdpe_sweep(tmp_path, hdpe_sweep)
    parts = sorted((folder / "parts").glob("*.csv"))
    assert len(parts) == 3
    parts[0].unlink()
    os.mkfifo(parts[0])
    with parts[1].open("a") as fh:
        fh.write(" " * (sw.MAX_PART_BYTES + 1))
    variants = sw.grid([sw.parse_set(HDPE)])
    assert sw.SweepFolder(folder).done(variants) == {parts[2].stem}
    again, _, _ = api.sweep(None, resume=folder, jobs=1)
    assert again["objective_musd"].tolist() == pytest.approx(kpis["objective_musd"].tolist())
    assert all(p.is_file() and p.stat().st_size < 100_000 for p in parts)
    assert sw.SweepFolder(folder).done(variants) == {p.stem for p in parts}


def test_resume_says_which_parts_it_solves_again(tmp_path, hdpe_sweep):
    """Review sweep F9: a part renamed to another variant's id (v00000.csv copied over
    v00001.csv: its row is v00000's, its check value intact) and a damaged part (cut
    short) were left out and solved again without a word. Each is now named with why;
    the resumed sweep's objectives are the first run's (3 variants, 2 solved again)."""
    folder = tmp_path / "sweep-s"
    kpis = _hdpe_sweep(tmp_path, hdpe_sweep)
    p0, p1, p2 = sorted((folder / "parts").glob("*.csv"))
    p1.write_bytes(p0.read_bytes())
    p2.write_text(p2.read_text()[:-20])
    notes: list[str] = []
    again, _, _ = api.sweep(None, resume=folder, jobs=1, warn=notes.append)
    assert again["objective_musd"].tolist() == pytest.approx(kpis["objective_musd"].tolist())
    said = [n for n in notes if str(folder / "parts") in n]
    assert any(str(p1) in n and f"holds the row of variant '{p0.stem}'" in n for n in said)
    assert any(str(p2) in n and "damaged" in n for n in said)
    assert len(said) == 2


def test_an_interrupted_sweep_counts_its_parts_by_name(tmp_path, hdpe_sweep):
    """Review sweep F5: the interrupt message's "N of M saved" read every part (about 90
    s for 17,604): now the part files named like a variant of the sweep are counted,
    none opened. 3 variants, their 3 parts and one stray file: 3 saved; a part removed:
    2; parts/ gone: 0."""
    folder = tmp_path / "sweep-s"
    _hdpe_sweep(tmp_path, hdpe_sweep)
    variants = sw.grid([sw.parse_set(HDPE)])
    sf = sw.SweepFolder(folder)
    (folder / "parts" / "notes.csv").write_text("mine")
    assert sf.saved(variants) == 3
    sorted((folder / "parts").glob("v*.csv"))[0].unlink()
    assert sf.saved(variants) == 2
    shutil.rmtree(folder / "parts")
    assert sf.saved(variants) == 0


def test_a_levy_swept_from_0_moves_0_at_0(tmp_path):
    """Review sweep F6: a levy at 0 is no term of the model, so its lever column was
    blank at that point and summary.csv counted 1 of 2 solved points. By hand: 10 kt/yr
    of product sold at plant (cap 10; unit u makes up to 50) at 400 USD/t from feed at
    100, one year at rate 0:
    3.0 MUSD; an export duty of 10 USD/t there takes 10 x 10 / 1000 = 0.1 MUSD: 2.9, its
    lever -0.1; at 0 it moves 0."""
    from tests.toycase import FEED_TO_PRODUCT, write_case

    case = write_case(tmp_path / "toy", {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr\nu,plant,make,50",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,400,10",
        "levies": "levy,kind,commodity,sites,amount_usd_per_unit,active\n"
                  "duty,export_duty,product,plant,10,true"})
    kpis, summary, _ = api.sweep(str(case), sets=["levies.amount_usd_per_unit=0,10"],
                                 out=tmp_path, jobs=1)
    assert kpis["objective_musd"].tolist() == pytest.approx([3.0, 2.9])
    assert kpis["lever_duty_export_duty_musd"].tolist() == pytest.approx([0.0, -0.1])
    s = summary.set_index(["measure", "statistic"])["value"]
    assert s[("lever_duty_export_duty_musd", "count")] == 2


def test_resuming_a_sweep_without_an_input_hash_says_it_cannot_check(tmp_path, hdpe_sweep):
    """A sweep started before sweep.json recorded the input hash was resumed on whatever
    the case now is, silently: its finished variants may be of other data. It still
    resumes (the folder is the user's), with a warning naming sweep.json and the case."""
    folder = tmp_path / "sweep-s"
    kpis = _hdpe_sweep(tmp_path, hdpe_sweep)
    meta = json.loads((folder / "sweep.json").read_text())
    del meta["input_hash"]
    (folder / "sweep.json").write_text(json.dumps(meta))
    sorted((folder / "parts").glob("*.csv"))[-1].unlink()
    notes: list[str] = []
    again, _, _ = api.sweep(None, resume=folder, jobs=1, warn=notes.append)
    assert again["objective_musd"].tolist() == pytest.approx(kpis["objective_musd"].tolist())
    said = [n for n in notes if "records no input hash" in n]
    assert len(said) == 1 and "sweep.json" in said[0] and "start a new sweep" in said[0]
    notes.clear()  # a sweep that records it says nothing of the kind
    api.sweep("small_chain", sets=[HDPE], out=tmp_path, name="t", jobs=1)
    sorted((tmp_path / "sweep-t" / "parts").glob("*.csv"))[-1].unlink()
    api.sweep(None, resume=tmp_path / "sweep-t", jobs=1, warn=notes.append)
    assert not [n for n in notes if "records no input hash" in n]


def test_a_full_variant_says_what_it_is_and_verifies_as_itself(tmp_path):
    """tests.toycase.two_sites_case (objective 25.4 MUSD) swept over a's price x0.5 and
    x1.5, ``--full v00001``. v00001 sells a's 50 k t/yr at 600: 50 x (600 - 100) / 1000
    = 25, b 40 x 260 / 1000 = 10.4, objective 35.4. Its manifest named only the base
    (source = the case, no scenario, no changes), so `chainopt verify` re-ran the base
    (25.4) and exited 6, "the data were edited", with nothing edited. Now the manifest
    records the variant (sweep "grid", id v00001, the setting x1.5, the base's hash),
    explain and the report call it "toy, variant v00001 of sweep grid", and verify
    re-runs the base with x1.5: exit 0. The record edited (x1.6 for x1.5) with the base
    unchanged is a damaged manifest: exit 1 naming it (it was exit 6, "the data were
    edited"). Editing the base (a's price 400 -> 410) is a real edit: exit 6, naming the
    base."""
    from tests.hardening.conftest import cli

    case = two_sites_case(tmp_path / "toy")
    cli("sweep", case, "--set", "markets.price_usd_per_unit[site=a]*=0.5,1.5", "--full",
        "v00001", "--out", tmp_path, "--name", "grid", "--jobs", "1", code=0)
    folder = tmp_path / "sweep-grid" / "variants" / "v00001"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["objective"] == pytest.approx(35.4)
    record = manifest["variant"]
    assert (record["sweep"], record["id"], record["settings"]) == (
        "grid", "v00001", ["markets.price_usd_per_unit[site=a]*=1.5"])
    assert api.explain(str(folder))[0].startswith("toy, variant v00001 of sweep grid: "
                                                  "optimal, objective 35.4 MUSD")
    _code, text = cli("verify", folder, code=0)
    assert "reproduces" in text
    cli("report", folder, code=0)
    html = (folder / "report.html").read_text()
    assert "<title>chainopt report: toy, variant v00001 of sweep grid</title>" in html
    assert "variant v00001 of sweep grid (markets.price_usd_per_unit[site=a]*=1.5)" in html
    saved = (folder / "manifest.json").read_text()
    (folder / "manifest.json").write_text(saved.replace("*=1.5", "*=1.6"))
    _code, text = cli("verify", folder, code=1)  # the record edited, not the data
    assert "manifest.json: variant: damaged: the base is unchanged but the variant's" in text
    (folder / "manifest.json").write_text(saved)
    markets = case / "markets.csv"
    markets.write_text(markets.read_text().replace("a,product,400", "a,product,410"))
    _code, text = cli("verify", folder, code=6)
    assert f"inputs changed: {case}, the base of sweep variant v00001, now hashes to" in text


def _project_case(folder):
    """Site a sells product (feed 100, price 400 USD/t: 300 a t) up to its market cap c
    from unit ua (50 k t/yr) and, if built, project exp's unit ux (30 k t/yr, capex 6
    MUSD, one year, all or nothing); one 1-year period, rate 0. exp adds (min(c, 80) -
    50) x 0.3 MUSD of margin for 6 of capex: built iff c > 70."""
    return write_case(folder, {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nproduct,t,product",
        "sites": "site\na", "modes": "mode,process\nrun,make",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nrun,feed,in,1\n"
                      "run,product,out,1",
        "units": "unit,site,process,capacity_k_per_yr,lifetime_yr,project\n"
                 "ua,a,make,50,,\nux,a,make,30,1,exp",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state\nexp,6,p1,1,0,true,optional",
        "supplies": "site,commodity,cost_usd_per_unit\na,feed,100",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\na,product,400,100",
    })


def test_built_shares_are_of_the_solved_variants_and_failed_draws_are_said(tmp_path):
    """_project_case (exp built iff the market cap c > 70; a cap below 0 is bad input).

    Grid c = -10, 60, 75, 90: -10 fails; exp is built at 75 and 90, 2 of the 3 solved
    points = 66.67 %: "built at 67% of the grid's points" did not say the share is of 3
    of 4. Now "built at 66.7% of the grid's 3 solved points".

    20 draws, seed 6, c uniform on [-100, 100]: by the README's rule (standard normals of
    numpy's default_rng(6), through the normal CDF, low + u (high - low)), worked in the
    test with numpy and the standard library, the caps are 70.8, 92.4, -98.9, -11.0, 68.9,
    82.4, 48.7, 86.6, 22.8, 41.9, 14.2, -71.7, -60.3, 29.6, -43.8, 79.6, 80.4, 92.8,
    -2.1, 83.4: 6 fail (s00002, s00003, s00011, s00012, s00014, s00018), 8 of the 14
    solved above 70 (70.8: (70.8 - 50) x 0.3 = 6.24 > 6). P(built) = 8/14 = 57.14 %:
    printed "built in 57% of variants", of 14, not 20, and the Summary was of the 14
    with no word. Now "built in 57.1% of 14 solved draws" and a warning, the one
    `sensitivity --sweep` gives, pointing at summary.csv's count (14)."""
    from statistics import NormalDist

    from tests.hardening.conftest import cli

    case = _project_case(tmp_path / "case")
    _code, text = cli("sweep", case, "--set", "markets.max_k_per_yr=-10,60,75,90", "--out",
                      tmp_path, "--name", "g", "--jobs", "1", code=0)
    assert "project exp: built at 66.7% of the grid's 3 solved points" in text
    z = np.random.default_rng(6).standard_normal((20, 1))[:, 0]
    caps = [-100 + 200 * NormalDist().cdf(float(v)) for v in z]
    assert (sum(c < 0 for c in caps), sum(c > 70 for c in caps)) == (6, 8)
    dist = tmp_path / "d.yaml"
    dist.write_text("variables:\n  - target: markets.max_k_per_yr\n    op: set\n"
                    "    dist: {type: uniform, low: -100, high: 100}\n")
    _code, text = cli("sweep", case, "--samples", "20", "--seed", "6", "--distributions",
                      dist, "--out", tmp_path, "--name", "mc", "--jobs", "1", code=0)
    assert "project exp: built in 57.1% of 14 solved draws" in text
    assert "warning: 6 of 20 draws failed (InputError 6: s00002, s00003, s00011, s00012, " \
           "s00014 and 1 more) and are left out: the statistics and P(built) are of the " \
           "14 draws that have a plan (summary.csv, statistic count; why: kpis.csv, " \
           "columns status and message)" in text
    summary = pd.read_csv(tmp_path / "sweep-mc" / "summary.csv")
    count = summary[(summary["measure"] == "objective_musd")
                    & (summary["statistic"] == "count")]["value"]
    assert count.tolist() == [14.0]


def test_kpis_columns_keep_one_order_however_the_variants_were_solved(tmp_path):
    """A price grid is solved on the base's model (mapped), a project-lifetime grid on a
    model built anew per variant (fallback): kpis.csv wrote the NPV parts in a different
    order for each (and one failed point first reordered a whole grid). The parts now
    come by name in both."""
    folder = _one_project_case(tmp_path / "case")
    mapped, _, _ = api.sweep(str(folder), sets=["markets.price_usd_per_unit*=1,1.2"],
                             out=tmp_path, name="mapped", jobs=1)
    anew, _, _ = api.sweep(str(folder), sets=["projects.lifetime_yr[project=good]=1,2"],
                           out=tmp_path, name="anew", jobs=1)
    assert mapped["mapped"].all() and not anew["mapped"].any()
    parts = [[c for c in pd.read_csv(tmp_path / f"sweep-{n}" / "kpis.csv", nrows=0).columns
              if c.startswith("npv_")] for n in ("mapped", "anew")]
    assert parts[0] == parts[1] and len(parts[0]) > 3
    assert parts[0][:-3] == sorted(parts[0][:-3])  # then the project's own three columns


def test_ctrl_c_on_a_sweep_says_how_to_resume(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from chainopt.cli import app

    monkeypatch.setattr(sw, "solve_variant", _stopped_at(2, sw.solve_variant))
    done = CliRunner().invoke(app, ["sweep", "small_chain", "--set", HDPE, "--name", "cut",
                                    "--out", str(tmp_path), "--jobs", "1"],
                              env={"COLUMNS": "2000"})
    assert done.exit_code == 130
    folder = tmp_path / "sweep-cut"
    assert (f"interrupted: 1 of 3 variants saved in {folder}; finish with chainopt sweep "
            f"--resume {folder}") in " ".join(done.output.split())


def test_ctrl_c_on_a_sweep_replacing_another_says_the_old_one_stays(tmp_path, monkeypatch):
    """--overwrite replaces a sweep only when the new one finishes: stopped, nothing of
    the new one is kept and the old folder is as it was; the terminal said nothing."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    argv = ["sweep", "small_chain", "--set", HDPE, "--name", "again", "--out", str(tmp_path),
            "--jobs", "1"]
    assert CliRunner().invoke(app, argv).exit_code == 0
    folder = tmp_path / "sweep-again"
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    monkeypatch.setattr(sw, "solve_variant", _stopped_at(1, sw.solve_variant))
    done = CliRunner().invoke(app, [*argv, "--overwrite"], env={"COLUMNS": "2000"})
    assert done.exit_code == 130
    assert (f"interrupted: nothing saved; the sweep in {folder} is as it was (--overwrite "
            "replaces it only when the new sweep finishes)") in " ".join(done.output.split())
    assert {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_a_variant_stopped_at_its_time_limit_with_a_plan_is_said_with_its_gap(
        tmp_path, monkeypatch):
    """The one-project case (:func:`_one_project_case`) at P = 250 and 300: objectives
    10 x 150 / 1000 - 1 = 0.5 and 10 x 200 / 1000 - 1 = 1.0. The solve of the second is
    made to report what HiGHS reports when a MIP stops at its time limit (5 s) with a
    plan: status feasible, MIP gap 2e-4. The sweep said "2 variants, 2 solved, 0 failed"
    and nothing else (kpis.csv: status feasible, message blank, no gap), while ``run``
    warns of such a plan. Now its row says where the solver stopped and the gap (0.02%,
    column mip_gap 0.0002), and the sweep warns, naming the variant, that it is counted
    as solved though not proven optimal; the optimal one has no gap and no message."""
    import dataclasses

    from typer.testing import CliRunner

    from chainopt import cli
    from chainopt import solve as solve_mod

    real = solve_mod.resolve

    def stopped(base, variant, options=None, basis=True):
        outcome = real(base, variant, options, basis)
        if abs(outcome.objective - 1.0) > 1e-9:
            return outcome
        return dataclasses.replace(outcome, status="feasible", mip_gap=2e-4,
                                   options={**outcome.options, "time_limit_s": 5.0},
                                   info={**outcome.info, "model_status": "Time limit reached"})

    monkeypatch.setattr(solve_mod, "resolve", stopped)
    folder = _one_project_case(tmp_path / "case")
    res = CliRunner().invoke(cli.app, ["sweep", str(folder), "--set",
                                       "markets.price_usd_per_unit=250,300", "--out",
                                       str(tmp_path), "--name", "tl", "--jobs", "1"],
                             env={"COLUMNS": "2000"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "2 variants, 2 solved, 0 failed" in text
    assert ("warning: 1 of 2 variants stopped at the time limit with a plan (MIP gaps up to "
            "0.02%: v00001): not proven optimal, yet counted as solved") in text
    kpis = pd.read_csv(tmp_path / "sweep-tl" / "kpis.csv").set_index("variant")
    assert list(kpis["status"]) == ["optimal", "feasible"]
    assert list(kpis["objective_musd"]) == pytest.approx([0.5, 1.0])
    assert kpis.loc["v00001", "mip_gap"] == pytest.approx(2e-4)
    assert kpis.loc["v00001", "message"].startswith(
        "the solver stopped at its time limit (5 s) with a plan within 0.02% of the best "
        "possible (MIP gap): not proven optimal")
    assert np.isnan(kpis.loc["v00000", "mip_gap"]) and pd.isna(kpis.loc["v00000", "message"])
    assert "note:" not in text  # said once, as the warning


def test_a_variants_bad_value_is_said_to_be_the_variants_not_the_files(tmp_path):
    """Unit u1 (100 kt/yr) turns feed at 50 USD/t into prod at 10 USD/t, sold in two
    tiers: 60 kt at 100 USD/t, then 100 kt at 90. Tier 2 set to 80 and 95 solves: 60 x
    (100 - 60) / 1000 + 40 x (p - 60) / 1000 = 2.4 + 0.8 = 3.2 and 2.4 + 1.4 = 3.8 MUSD.
    At 105 tier 2 pays more than tier 1, which the case refuses. The message was the
    validator's alone, "markets.csv row 3, column price_usd_per_unit: tier 2 of prod at
    a pays 105 ...; renumber the tiers ...", while row 3 of the file says 90: nothing said
    105 was the sweep's. Now it starts with the variant by its id and value and ends
    saying the value is the variant's and what to change (the --set values)."""
    case = write_case(tmp_path / "toy5", {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nprod,t,product",
        "sites": "site\na", "modes": "mode,process,variable_cost_usd_per_unit\nm1,p,10",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nm1,feed,in,1\nm1,prod,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nu1,a,p,100",
        "supplies": "site,commodity,cost_usd_per_unit\na,feed,50",
        "markets": "site,commodity,tier,price_usd_per_unit,max_k_per_yr\n"
                   "a,prod,1,100,60\na,prod,2,90,100"})
    kpis, _, _ = api.sweep(case, sets=["markets.price_usd_per_unit[tier=2]=80,95,105"],
                           out=tmp_path, name="t5t", jobs=1)
    assert list(kpis["objective_musd"].iloc[:2]) == pytest.approx([3.2, 3.8])
    bad = kpis.set_index("variant").loc["v00002"]
    assert bad["status"] == "InputError"
    assert bad["message"].startswith(
        "sweep variant v00002 (markets.price_usd_per_unit[tier=2] set 105) of ")
    assert "markets.csv row 3, column price_usd_per_unit: tier 2 of prod at a pays 105" in (
        bad["message"])
    assert bad["message"].endswith(
        "The value named is the variant's (the file's cell with the sweep's setting "
        "applied), not the file's: keep the --set values within what the case accepts")


@pytest.mark.parametrize(("setting", "table"), [
    ("project_finance.inflation=0,0.05,0.2", "project_finance"),
    ("parties.discount_rate=0.05,0.1", "parties"),
    ("project_shares.share=0.5,1", "project_shares"),
])
def test_a_sweep_of_a_table_the_plan_never_reads_is_refused(tmp_path, setting, table):
    """The one-project case (:func:`_one_project_case`: objective 10 x (250 - 100) / 1000 -
    1 = 0.5 MUSD with the project built) owned by a party and half financed by a loan.
    The parties, shares and finance tables are read only by compare's cooperation
    economics, after the plan: a sweep of the loan's inflation at 0, 0.05 and 0.2 solved
    three variants to 0.5, 0.5 and 0.5 MUSD with no word (kpis.csv has no party
    figures), a table reading "no effect". Now it is refused before anything is written,
    naming the setting and the table, and pointing to compare."""
    case = _one_project_case(tmp_path / "case")
    (case / "parties.csv").write_text("party,discount_rate,currency\nowner,0.1,USD\n"
                                      "bank,0.05,USD\n")
    (case / "project_shares.csv").write_text("project,party,share\ngood,owner,1\n")
    (case / "project_finance.csv").write_text(
        "project,debt_share,interest_rate,tenor_yr,grace_yr,repayment,lender,inflation\n"
        "good,0.5,0.08,2,1,annuity,bank,0.03\n")
    assert api.run(api.load_case(str(case)), save=False).objective == pytest.approx(0.5)
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        api.sweep(case, sets=[setting], out=out, jobs=1)
    (problem,) = info.value.problems
    assert problem.where == f"--set {setting!r}"
    assert problem.message.startswith(f"{table}.csv is read only by compare's cooperation "
                                      "economics")
    assert "every variant would be the same" in problem.message
    assert "chainopt compare" in problem.hint
    assert not out.exists()


def test_a_scale_of_cells_that_are_all_0_is_refused(tmp_path):
    """The one-project case (:func:`_one_project_case`) has no markets.min_k_per_yr
    column (default 0): ``markets.min_k_per_yr*=1,2`` scales 0 to 0 and 0, so its two
    variants were solved to the same 0.5 MUSD with no word (a scale of blank cells is
    refused, one of cells that are all 0 was not). Now refused naming the setting and
    both values; ``markets.min_k_per_yr=1,2`` (a set) runs."""
    case = _one_project_case(tmp_path / "case")
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        api.sweep(case, sets=["markets.min_k_per_yr*=1,2"], out=out, jobs=1)
    (problem,) = info.value.problems
    assert problem.where == "--set markets.min_k_per_yr"
    assert problem.message.startswith("gives the same case at 1 and 2: the cells it changes "
                                      "are all 0")
    assert not out.exists()
    kpis, _, _ = api.sweep(case, sets=["markets.min_k_per_yr=1,2"], out=out, jobs=1)
    assert list(kpis["status"]) == ["optimal", "optimal"]


def test_a_resume_names_what_was_edited_and_goes_on_after_a_party_table_edit(tmp_path):
    """Review s26 F7. tests.toycase.two_sites_case with a tax regime (25 %, books
    inflating 10 % a year), swept over a's price x0.5, x1, x1.5: a sells its 50 kt/yr at
    200, 400, 600 for feed at 100, b 40 x 260 / 1000 = 10.4, so 50 x 100 / 1000 + 10.4 =
    15.4, 25.4 and 35.4 MUSD. Two parts lost, then tax_regimes.csv's inflation edited
    (0.10 -> 0.05): the resume refused, exit 6, "no longer hashes", naming no file,
    though the plan never reads that table and no finished variant could differ. Now
    sweep.json records the per-file digests: the resume goes on (with --jobs 2, whose
    workers load the case again and check its hash) with a warning naming
    tax_regimes.csv, and kpis.csv is byte-identical to the first run's. A part lost
    again and supplies.csv edited (a's feed 100 -> 110): exit 6 naming supplies.csv. A
    sweep.json without the digests (written before them) with the tax edit alone is
    refused as before, naming nothing."""
    from typer.testing import CliRunner

    from chainopt.cli import app
    from chainopt.errors import InputsChangedError

    case = two_sites_case(tmp_path / "toy")
    tax = case / "tax_regimes.csv"
    tax.write_text("regime,profit_tax_rate,inflation\nstd,0.25,0.10\n")
    folder = tmp_path / "sweep-s"
    kpis, _, _ = api.sweep(str(case), sets=["markets.price_usd_per_unit[site=a]*=0.5,1,1.5"],
                           out=tmp_path, name="s", jobs=1)
    assert kpis["objective_musd"].tolist() == pytest.approx([15.4, 25.4, 35.4])
    first = (folder / "kpis.csv").read_bytes()
    meta = json.loads((folder / "sweep.json").read_text())
    assert set(meta["input_digests"]["tables"]) >= {"supplies.csv", "tax_regimes.csv"}
    parts = sorted((folder / "parts").glob("*.csv"))
    for p in (parts[0], parts[2]):
        p.unlink()
    tax.write_text("regime,profit_tax_rate,inflation\nstd,0.25,0.05\n")
    notes: list[str] = []
    again, _, _ = api.sweep(None, resume=folder, jobs=2, warn=notes.append)
    assert again["status"].tolist() == ["optimal"] * 3
    assert (folder / "kpis.csv").read_bytes() == first
    said = [n for n in notes if "changed since the sweep" in n]
    assert len(said) == 1, notes
    assert f"was started: tax_regimes.csv of {case}. The plan never reads this table" in (
        said[0])
    assert "the finished variants stand and the sweep goes on" in said[0]
    parts[1].unlink()
    (case / "supplies.csv").write_text("site,commodity,cost_usd_per_unit\na,feed,110\n"
                                       "b,feed,120\n")
    res = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["sweep", "--resume", str(folder)])
    out = " ".join(res.output.split())
    assert res.exit_code == 6, out
    assert (f"the data were edited: supplies.csv, tax_regimes.csv of {case}; its finished "
            "variants were solved on the data before the edit: start a new sweep") in out
    (case / "supplies.csv").write_text("site,commodity,cost_usd_per_unit\na,feed,100\n"
                                       "b,feed,120\n")
    del meta["input_digests"]
    (folder / "sweep.json").write_text(json.dumps(meta))
    with pytest.raises(InputsChangedError) as exc:
        api.sweep(None, resume=folder, jobs=1)
    assert "no longer hashes to" in str(exc.value)
    assert "tax_regimes.csv" not in str(exc.value)


def test_resuming_a_finished_sweep_says_nothing_was_left(tmp_path):
    """Review cli F11: `sweep --resume` of a finished sweep printed "2 variants, 2 solved,
    0 failed; written to ..." as if it had run them. A grid of two HDPE price points
    (x1 and x1.1), both solved; resumed, nothing is solved again: "nothing to resume:
    all 2 variants were done (2 solved, 0 failed)"."""
    from typer.testing import CliRunner

    from chainopt.cli import app

    runner = CliRunner(env={"COLUMNS": "300"})
    first = runner.invoke(app, ["sweep", "small_chain", "--set",
                                "markets.price_usd_per_unit[commodity=hdpe]*=1,1.1", "--out",
                                str(tmp_path), "--jobs", "1"])
    assert first.exit_code == 0, first.output
    assert "2 variants, 2 solved, 0 failed; written to" in first.output
    again = runner.invoke(app, ["sweep", "--resume", str(tmp_path / "sweep-small_chain")])
    assert again.exit_code == 0, again.output
    assert ("nothing to resume: all 2 variants were done (2 solved, 0 failed); tables "
            f"written again from their parts to {tmp_path / 'sweep-small_chain'}") in again.output
    assert "2 variants, 2 solved" not in again.output


def test_a_variants_kpis_come_from_extract(tmp_path):
    """A sweep's KPI row (:func:`chainopt.extract.sweep_kpis`) on :func:`_one_project_case`
    at P = 250, by hand: the project is worth 10 x (250 - 100) / 1000 - 1 = 0.5 MUSD > 0, so
    all of it is built in p1 (built_good = 1, b_p1 = 1) and runs full: revenue 10 kt x 250
    USD/t = 2.5 MUSD, supply 10 x 100 = 1 MUSD, capex 1 MUSD (one year of use at rate 0:
    its annuity is the overnight cost), nothing else; the parts add up to the objective,
    2.5 - 1 - 1 = 0.5."""
    from chainopt.extract import project_build_share, sweep_kpis
    from chainopt.models.build import build
    from chainopt.solve import solve

    folder = _one_project_case(tmp_path / "case")
    built = build(validate(api.load_case(str(folder)).raw), pyomo=False)
    outcome = solve(built)
    kpis = sweep_kpis(built, outcome)
    expected = {"npv_revenue_musd": 2.5, "npv_supply_musd": -1.0, "npv_capex_musd": -1.0,
                "npv_fixed_om_musd": 0.0, "npv_transport_musd": 0.0,
                "npv_variable_om_musd": 0.0, "built_good": 1.0}
    assert kpis == pytest.approx(expected, abs=1e-9)
    assert sum(v for k, v in kpis.items() if k.startswith("npv_")) == pytest.approx(
        outcome.objective, abs=1e-9) == pytest.approx(0.5)
    assert project_build_share(built, outcome, "good") == pytest.approx({"p1": 1.0})


def test_a_period_setting_on_a_split_period_is_said_to_reach_its_first_part_alone(tmp_path):
    """small_chain's p2026 is 2026-2030; a scenario splits it at 2029, so p2026 is
    2026-2028 and p2029 (2029-2030) records part_of p2026. A sweep setting on
    period=p2026 scaled hdpe's price in 2026-2028 only, while its label reads as the
    whole period (review split F4): hdpe at Nakhodka x1.5 in p2026, as before in p2029.
    The sweep now says so once, naming the part and its years; a setting on p2031,
    which was not split, and one on every period (no period=) are not noted."""
    scenario = tmp_path / "split.yaml"
    scenario.write_text("base: small_chain\nchanges:\n  - {split: p2026, at: 2029}\n")
    from chainopt.case.scenario import apply_scenario

    base = apply_scenario(scenario)
    setting = "markets.price_usd_per_unit[commodity=hdpe,period=p2026]*=1,1.5"
    variants = sw.grid([sw.parse_set(setting),
                        sw.parse_set("markets.price_usd_per_unit[commodity=pp,period=p2031]*=1,2"),
                        sw.parse_set("supplies.cost_usd_per_unit*=1,1.1")])  # every period
    (note,) = sw.split_notes(base, variants)
    assert note == (
        "markets.price_usd_per_unit[commodity=hdpe,period=p2026]: period=p2026 changes "
        "2026-2028 alone: the case split p2029 (2029-2030) off p2026, and those parts keep "
        "their values; give a setting for each part to vary it too, or make the change in "
        "a scenario before its split (a change made before a split holds in every part)")
    high = next(v for v in variants if v.values[
        "markets.price_usd_per_unit[commodity=hdpe,period=p2026] scale"] == 1.5
        and v.values["markets.price_usd_per_unit[commodity=pp,period=p2031] scale"] == 1
        and v.values["supplies.cost_usd_per_unit scale"] == 1)
    t = sw.apply_variant(base.raw, list(high.changes)).tables

    def price(site: str, period: str) -> float:
        """The cell by period if the change wrote one, else the table's own."""
        bp = t["markets_by_period"]
        row = bp[(bp["site"] == site) & (bp["commodity"] == "hdpe") & (bp["period"] == period)]
        if len(row) and "price_usd_per_unit" in bp and pd.notna(
                pd.to_numeric(row["price_usd_per_unit"], errors="coerce").iloc[0]):
            return float(row["price_usd_per_unit"].iloc[0])
        mk = t["markets"]
        return float(mk.loc[(mk["site"] == site) & (mk["commodity"] == "hdpe"),
                            "price_usd_per_unit"].iloc[0])

    mk = t["markets"]
    for site in mk.loc[mk["commodity"] == "hdpe", "site"]:
        own = price(site, "never")  # the markets.csv price
        assert price(site, "p2026") == pytest.approx(1.5 * own)
        assert price(site, "p2029") == own
    warned: list[str] = []
    api.sweep(str(scenario), sets=[setting], out=tmp_path, jobs=1, warn=warned.append)
    assert note in warned, warned


def test_a_period_setting_on_a_part_split_again_is_said_to_reach_that_part_alone(tmp_path):
    """small_chain's p2026 is 2026-2030. Split at 2029 (p2026 2026-2028, p2029
    2029-2030), then p2029 split at 2030: p2029 is 2029 alone and p2030 (2030) records
    part_of p2026, the original, not p2029 (review s29 F3). A setting on period=p2029
    now scales 2029's price alone, not the 2029-2030 p2029 was after the first split,
    and the sweep says so, naming p2030 and its year. p2030, the last part, reaches what
    it always did (2030) and is not noted; p2026 is noted with both later parts."""
    scenario = tmp_path / "split2.yaml"
    scenario.write_text("base: small_chain\nchanges:\n  - {split: p2026, at: 2029}\n"
                        "  - {split: p2029, at: 2030}\n")
    from chainopt.case.scenario import apply_scenario

    base = apply_scenario(scenario)
    variants = sw.grid([
        sw.parse_set("markets.price_usd_per_unit[commodity=hdpe,period=p2029]*=1,1.5"),
        sw.parse_set("markets.price_usd_per_unit[commodity=hdpe,period=p2030]*=1,1.5"),
        sw.parse_set("markets.price_usd_per_unit[commodity=pp,period=p2026]*=1,2")])
    tail = (", or make the change in a scenario before its split (a change made before a "
            "split holds in every part)")
    assert sw.split_notes(base, variants) == [
        "markets.price_usd_per_unit[commodity=hdpe,period=p2029]: period=p2029 changes 2029 "
        "alone: p2029 is a part of p2026, which the case split, and the parts after it, "
        "p2030 (2030), keep their values; if p2029 held their years before a later split, "
        "give a setting for each part to vary them too" + tail,
        "markets.price_usd_per_unit[commodity=pp,period=p2026]: period=p2026 changes "
        "2026-2028 alone: the case split p2029 (2029), p2030 (2030) off p2026, and those "
        "parts keep their values; give a setting for each part to vary it too" + tail]
    high = next(v for v in variants if v.values[
        "markets.price_usd_per_unit[commodity=hdpe,period=p2029] scale"] == 1.5
        and v.values["markets.price_usd_per_unit[commodity=hdpe,period=p2030] scale"] == 1
        and v.values["markets.price_usd_per_unit[commodity=pp,period=p2026] scale"] == 1)
    bp = sw.apply_variant(base.raw, list(high.changes)).tables["markets_by_period"]
    hdpe = bp[bp["commodity"] == "hdpe"]
    mk = base.raw.tables["markets"]
    own = dict(zip(mk.loc[mk["commodity"] == "hdpe", "site"],
                   mk.loc[mk["commodity"] == "hdpe", "price_usd_per_unit"].astype(float),
                   strict=True))
    at = hdpe[hdpe["period"] == "p2029"]
    assert len(at) == len(own)
    for row in at.itertuples():
        assert float(row.price_usd_per_unit) == pytest.approx(1.5 * own[row.site])
    later = hdpe[hdpe["period"] == "p2030"]  # the split copied p2029's cells, unscaled
    assert len(later) == len(own)
    for row in later.itertuples():
        assert float(row.price_usd_per_unit) == pytest.approx(own[row.site])
