"""A Monte Carlo sweep's distributions file: draws that follow each distribution's own
formulas, and a file that says something else refused (naming the file and key) before
anything is solved or written."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from chainopt import api
from chainopt import sweep as sw
from chainopt.errors import InputError

SCEN = Path(__file__).resolve().parents[1] / "scenarios"
HDPE = "markets.price_usd_per_unit[commodity=hdpe]"


def _draws(dist: dict, n: int = 40_000, seed: int = 3) -> np.ndarray:
    spec = {"variables": [{"target": HDPE, "op": "scale", "dist": dist}]}
    return np.array([next(iter(v.values.values())) for v in sw.draw_samples(spec, n, seed)])


def test_draws_follow_each_distributions_formulas():
    """By hand, 40,000 draws (standard errors below 0.002 here):

    * uniform(0.7, 1.3): mean 1.0, 10th percentile 0.7 + 0.1 x 0.6 = 0.76, all in
      [0.7, 1.3];
    * triangular(0.5, 0.8, 1.4): mean (0.5 + 0.8 + 1.4)/3 = 0.9; F(mode) = 0.3/0.9 = 1/3,
      so the median is 1.4 - sqrt(0.5 x 0.9 x 0.6) = 0.88038 and the 10th percentile
      0.5 + sqrt(0.1 x 0.9 x 0.3) = 0.66432;
    * normal(1, 0.1) truncated to [0.95, 1.3], i.e. z in [-0.5, 3]: mean
      1 + 0.1 (phi(-0.5) - phi(3)) / (Phi(3) - Phi(-0.5))
      = 1 + 0.1 (0.352065 - 0.004432) / (0.998650 - 0.308538) = 1.050374, all in
      [0.95, 1.3].

    The same seed gives the same draws."""
    x = _draws({"type": "uniform", "low": 0.7, "high": 1.3})
    assert x.min() >= 0.7 and x.max() <= 1.3
    assert x.mean() == pytest.approx(1.0, abs=0.004)
    assert np.quantile(x, 0.1) == pytest.approx(0.76, abs=0.004)
    x = _draws({"type": "triangular", "low": 0.5, "mode": 0.8, "high": 1.4})
    assert x.min() >= 0.5 and x.max() <= 1.4
    assert x.mean() == pytest.approx(0.9, abs=0.004)
    assert np.median(x) == pytest.approx(1.4 - math.sqrt(0.5 * 0.9 * 0.6), abs=0.005)
    assert np.quantile(x, 0.1) == pytest.approx(0.5 + math.sqrt(0.1 * 0.9 * 0.3), abs=0.005)
    x = _draws({"type": "normal", "mean": 1.0, "sd": 0.1, "low": 0.95, "high": 1.3})
    assert x.min() >= 0.95 and x.max() <= 1.3
    assert x.mean() == pytest.approx(1.050374, abs=0.002)
    assert (x == _draws({"type": "normal", "mean": 1.0, "sd": 0.1, "low": 0.95,
                         "high": 1.3})).all()


def test_triangular_draws_are_scipys_to_the_last_bit_without_scipy_stats():
    """``sweep.triangular_ppf`` is scipy.stats.triang.ppf's arithmetic (so a sweep's
    draws are the ones it made when it called scipy.stats, and a sweep started then
    resumes alike): equal bit for bit on 10,000 uniforms and at 0, 1 and the mode's own
    probability, with the mode inside, at low and at high. By hand: on [0.5, 1.4] with
    mode 0.8 (c = 1/3), u = 0.1 gives 0.5 + sqrt(0.1 x 0.9 x 0.3) = 0.66432, u = 1/3 the
    mode, 0 and 1 the ends. A Monte Carlo sweep without a truncated normal does not
    import scipy.stats (0.38 s)."""
    import subprocess
    import sys

    from scipy import stats

    u = np.concatenate([np.random.default_rng(3).random(10_000), [0.0, 1.0, 1 / 3, 0.5]])
    for lo, mo, hi in ((0.5, 0.8, 1.4), (0.7, 0.7, 1.3), (0.7, 1.3, 1.3), (-2e3, 5.0, 1e4)):
        ours = sw.triangular_ppf(u, lo, mo, hi)
        theirs = stats.triang.ppf(u, (mo - lo) / (hi - lo), loc=lo, scale=hi - lo)
        assert np.array_equal(ours, theirs), (lo, mo, hi)
    assert sw.triangular_ppf(np.array([0.1, 1 / 3, 0.0, 1.0]), 0.5, 0.8, 1.4) == \
        pytest.approx([0.5 + math.sqrt(0.1 * 0.9 * 0.3), 0.8, 0.5, 1.4], abs=1e-12)
    code = ("import sys; from chainopt import sweep as sw; sw.draw_samples({'variables': "
            "[{'target': 'markets.price_usd_per_unit[commodity=hdpe]', 'op': 'scale', "
            "'dist': {'type': 'triangular', 'low': 0.7, 'mode': 1, 'high': 1.3}}]}, 5, 0); "
            "print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("spec, says", [
    # a truncation bound misspelt: the draws were of the untruncated normal
    ({"variables": [{"target": HDPE, "op": "scale",
                     "dist": {"type": "normal", "mean": 1, "sd": 0.1, "min": 0.9}}]},
     "variables[0].dist.min: unknown key 'min'"),
    # the correlation misspelt: the draws were independent
    ({"variables": [{"target": HDPE, "op": "scale",
                     "dist": {"type": "uniform", "low": 0.7, "high": 1.3}}],
      "correlations": [[1.0]]}, "correlations: unknown key 'correlations'"),
    # the op misspelt: the value scaled the price instead of adding to it
    ({"variables": [{"target": HDPE, "opp": "add",
                     "dist": {"type": "uniform", "low": 0.7, "high": 1.3}}]},
     "variables[0].opp: unknown key 'opp'"),
    # a correlation given as text was read as the number
    ({"variables": [{"target": HDPE, "op": "scale",
                     "dist": {"type": "uniform", "low": 0.7, "high": 1.3}}],
      "correlation": [["1"]]}, "correlation: must be a 1x1 matrix of finite numbers"),
    ({"variables": [{"target": HDPE, "op": "scale",
                     "dist": {"type": "uniform", "low": 1.3, "high": 0.7}}]},
     "variables[0].dist: needs low < high (found low 1.3, high 0.7); give low below high"),
    ({"variables": [{"target": "markets.price_usd_per_unit[commodity=nope]", "op": "scale",
                     "dist": {"type": "uniform", "low": 0.7, "high": 1.3}}]},
     "target markets.price_usd_per_unit[commodity=nope]: selector {commodity: nope} "
     "matches no row"),
    # high - low overflows to inf: every draw was inf, refused only after solving the
    # base, as 'markets.csv row 6 ... must be a finite number (found 'inf')'
    ({"variables": [{"target": HDPE, "op": "scale",
                     "dist": {"type": "uniform", "low": -1e308, "high": 1e308}}]},
     "variables[0].dist: its draws are not finite numbers (found inf)"),
])
def test_a_distributions_file_that_says_something_else_is_refused(tmp_path, spec, says):
    """Unknown keys were ignored, so a typo silently changed the draws (a sweep of 3 draws
    ran on each of the first four files); messages named no file ("distributions: ...",
    and a target matching no row was "--set ..."); draws that overflow were found out only
    by the case's validation, after the base was solved. Now each is refused naming the file
    and key, and nothing is written."""
    dist = tmp_path / "dists.yaml"
    dist.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        api.sweep("small_chain", samples=3, seed=1, distributions=dist, out=out, jobs=1)
    assert f"{dist}: {says}" in str(info.value)
    assert not out.exists()


UNIFORM = {"variables": [{"target": HDPE, "op": "scale",
                          "dist": {"type": "uniform", "low": 0.7, "high": 1.3}}]}


@pytest.mark.parametrize("edit, says", [
    ({"seed": "x"}, "damaged: 'seed' is 'x', not a whole number >= 0"),
    ({"seed": -1}, "damaged: 'seed' is -1, not a whole number >= 0"),
    ({"samples": True}, "damaged: 'samples' is True, not a whole number from 0 to 100,000"),
    ({"samples": 0, "sets": [5]}, "damaged: 'sets' is not a list of settings"),
    # nothing to vary: the grid of no setting was one variant, the base, solved and
    # added to the draws already in parts/
    ({"samples": 0, "sets": []}, "damaged: it asks for no setting and no draws"),
])
def test_resuming_a_damaged_sweep_json_says_so(tmp_path, edit, says):
    """A sweep.json whose seed or samples is not a whole number, or whose sets are not
    settings, made --resume fail with a traceback (TypeError, ValueError from numpy,
    AttributeError); one asking for nothing ran the base as a variant. Now each is the
    damaged-sweep.json error, naming the file and the key, and nothing runs."""
    folder = tmp_path / "sweep-small_chain"
    folder.mkdir()
    meta = {"source": "small_chain", "sets": [], "samples": 2, "seed": 1,
            "distributions": UNIFORM, "project_npv": True, **edit}
    (folder / "sweep.json").write_text(json.dumps(meta))
    with pytest.raises(InputError) as info:
        api.sweep(None, resume=folder, jobs=1)
    assert f"{folder / 'sweep.json'}: {says}" in str(info.value)
    assert sorted(p.name for p in folder.iterdir()) == ["sweep.json"]


@pytest.mark.parametrize("seed", [-1, 1.5])
def test_a_seed_that_is_not_a_whole_number_from_0_is_refused(tmp_path, seed):
    """api.sweep(seed=-1) failed with numpy's ValueError 'expected non-negative integer'
    (1.5: a TypeError); the CLI refused it, the API did not."""
    dist = tmp_path / "dists.yaml"
    dist.write_text(yaml.safe_dump(UNIFORM))
    with pytest.raises(InputError, match=r"--seed: must be a whole number from 0"):
        api.sweep("small_chain", samples=2, seed=seed, distributions=dist,
                  out=tmp_path / "out", jobs=1)
    assert not (tmp_path / "out").exists()


def test_a_gap_of_rounding_is_written_as_0(tmp_path, monkeypatch):
    """A MIP solved to optimality whose bound HiGHS reports a few doubles above its plan
    (ru_all_projects: 1.455e-10 MUSD on 154,966, 5 steps of 2.9e-11) gave an unbuilt
    project's high end B_s - F_s as that noise, not 0, and summary.csv percentiles of
    7e-11. Here the port at 3 x its capex is not built (its value at 1 x is 12.28 MUSD
    and it falls by 20.17 MUSD per 1 x of capex, so it breaks even at 1.61 x) and the bound
    is put 5 doubles above the plan: the high end is 0, not 5 x 9.1e-13 = 4.5e-12."""
    real = sw.best_bound

    def bound_a_little_above(value, bound, is_mip):
        b = real(value, bound, is_mip)
        return None if b is None else b + 5 * math.ulp(b)

    monkeypatch.setattr(sw, "best_bound", bound_a_little_above)
    kpis, summary, _ = api.sweep(SCEN / "small_port_expansion.yaml", out=tmp_path, jobs=1,
                                 sets=["projects.capex_musd[project=far_east_port]*=3"])
    row = kpis.iloc[0]
    assert row["status"] == "optimal" and row["built_far_east_port"] == 0.0
    assert row["npv_far_east_port_high_musd"] == 0.0
    high = summary[(summary["measure"] == "npv_far_east_port_high_musd")
                   & (summary["statistic"] == "max")]["value"]  # a grid: its range
    assert float(high.iloc[0]) == 0.0


def test_two_settings_that_change_the_same_cells_are_refused(tmp_path):
    """small_chain's markets.csv has 10 rows, two of them HDPE (ru_dom at 900, chn at 950
    USD/t). Drawing a factor a for every price and b for the HDPE prices applied both, one
    after the other: with a = 2, b = 3 the HDPE price at ru_dom is 900 x 2 x 3 = 5,400,
    while kpis.csv showed 2 and 3 as if each alone defined the draw (and a set after a
    scale keeps the last value alone). Now both entries are named, and the 2 rows they
    share, and nothing is written. In a grid too; a period both take is named (one
    without period= takes every period); disjoint rows or periods stay allowed."""
    raw = api.load_case("small_chain").raw
    both = [{"table": "markets", "scale": {"price_usd_per_unit": 2.0}},
            {"table": "markets", "where": {"commodity": "hdpe"},
             "scale": {"price_usd_per_unit": 3.0}}]
    m = sw.apply_variant(raw, both).tables["markets"]
    assert list(m.loc[m["commodity"] == "hdpe", "price_usd_per_unit"]) == ["5400", "5700"]
    dist = tmp_path / "dists.yaml"
    dist.write_text(yaml.safe_dump({"variables": [
        {"target": "markets.price_usd_per_unit", "op": "scale",
         "dist": {"type": "uniform", "low": 0.9, "high": 1.1}},
        {"target": HDPE, "op": "scale", "dist": {"type": "uniform", "low": 0.9, "high": 1.1}},
    ]}))
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        api.sweep("small_chain", samples=3, seed=1, distributions=dist, out=out, jobs=1)
    (problem,) = info.value.problems
    assert problem.where == (f"{dist}: variables[0] (markets.price_usd_per_unit scale) and "
                             f"variables[1] ({HDPE} scale)")
    assert problem.message.startswith("both change markets.price_usd_per_unit of the same 2 "
                                      "rows of markets.csv: they would apply one after the "
                                      "other")
    assert not out.exists()

    def check(*sets: str) -> None:
        sw.check_variants(raw, sw.grid([sw.parse_set(s) for s in sets]), "--set",
                          [f"--set {s!r}" for s in sets])

    one, two = (f"{HDPE[:-1]},period={p}]" for p in ("p2031", "p2036"))
    with pytest.raises(InputError, match=r"^1 problem.*\n  - --set '.*hdpe\]\*=1,2' and "
                                         r"--set '.*hdpe,period=p2031\]=900': both change "
                                         r"markets.price_usd_per_unit of the same 2 rows of "
                                         r"markets.csv in p2031: "):
        check(f"{HDPE}*=1,2", f"{one}=900")
    check(f"{one}*=1,2", f"{two}*=1,2")  # the same rows in two periods: no cell twice
    check(f"{HDPE}*=1,2", "markets.price_usd_per_unit[commodity=pp]*=1,2")  # other rows


ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("source", "file"), [
    ("scenarios/small_port_expansion.yaml", "hdpe_crude.yaml"),
    ("scenarios/ru_all_projects.yaml", "ru_prices.yaml")])
def test_the_shipped_distributions_pass_every_check_of_a_sweep(tmp_path, source, file):
    """The README's Monte Carlo commands name these files: each passes every check a sweep
    makes before it solves (the file, its draws, each target against its base case, no two
    settings on the same cells), and nothing is written. hdpe_crude.yaml is the README's
    example, word for word."""
    path = ROOT / "scenarios" / "distributions" / file
    folder, meta, variants, _base = api._new_sweep(
        str(ROOT / source), (), 4, 7, path, out=tmp_path, name=None, overwrite=False,
        project_npv=True)
    assert len(variants) == 4 and not folder.path.exists()
    assert len(variants[0].changes) == len(meta["distributions"]["variables"])
    if file == "hdpe_crude.yaml":
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        assert f"```yaml\n{path.read_text(encoding='utf-8')}```" in readme


def _toy(folder: Path) -> Path:
    """One year at rate 0: unit u1 (100 kt/yr) turns feed bought at 50 USD/t into prod
    at a variable cost of 10 USD/t, sold at 100 USD/t (at most 200 kt/yr): a margin of
    p - 60 USD/t at a price p, so the objective is 100 kt x (p - 60) / 1000 MUSD, 4.0 at
    the case's 100 USD/t."""
    from tests.toycase import write_case

    return write_case(folder, {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nprod,t,product",
        "sites": "site\na", "modes": "mode,process,variable_cost_usd_per_unit\nm1,p,10",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nm1,feed,in,1\nm1,prod,out,1",
        "units": "unit,site,process,capacity_k_per_yr\nu1,a,p,100",
        "supplies": "site,commodity,cost_usd_per_unit\na,feed,50",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\na,prod,100,200"})


def test_a_variable_without_its_op_is_refused_and_an_old_sweep_resumes_as_scale(tmp_path):
    """A planner gave the price as a range in USD/t (uniform 80 to 120) and left out
    ``op``: chainopt took it for a scale, so a draw of 102 made the price 100 x 102 =
    10,200 USD/t and the objective 100 x (10,200 - 60) / 1000 = 1,014 MUSD, where the
    102 USD/t meant gives 100 x (102 - 60) / 1000 = 4.2 (:func:`_toy`), with no word.
    Now a variable without ``op`` is refused, naming the file, the variable and the
    three choices, and nothing is written; with ``op: set`` each draw p gives
    100 x (p - 60) / 1000. A sweep started by a chainopt that defaulted the op recorded
    the variable without it in sweep.json: its resume takes it as the scale its
    finished draws were made with (a draw s of uniform(0.9, 1.1) gives
    100 x (100 s - 60) / 1000), and finishes without solving them again."""
    case = _toy(tmp_path / "toy")
    var = {"target": "markets.price_usd_per_unit",
           "dist": {"type": "uniform", "low": 80, "high": 120}}
    dist = tmp_path / "dd3.yaml"
    dist.write_text(yaml.safe_dump({"variables": [var]}))
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        api.sweep(case, samples=3, distributions=dist, out=out, jobs=1)
    (problem,) = info.value.problems
    assert problem.where == f"{dist}: variables[0].op"
    assert problem.message.startswith("missing")
    assert "op: set for a value in the column's unit" in problem.hint
    assert "scale for a multiplier" in problem.hint and "add for an amount" in problem.hint
    assert not out.exists()
    dist.write_text(yaml.safe_dump({"variables": [{**var, "op": "set"}]}))
    kpis, _, _ = api.sweep(case, samples=3, distributions=dist, out=out, jobs=1)
    price = kpis["markets.price_usd_per_unit set"]
    assert ((price >= 80) & (price <= 120)).all()
    assert list(kpis["objective_musd"]) == pytest.approx(list(100 * (price - 60) / 1000))
    # an old sweep's sweep.json without op: resumed as a scale
    dist.write_text(yaml.safe_dump({"variables": [{**var, "op": "scale", "dist": {
        "type": "uniform", "low": 0.9, "high": 1.1}}]}))
    _, _, folder = api.sweep(case, samples=3, distributions=dist, out=out, name="old",
                             jobs=1)
    meta = json.loads((folder / "sweep.json").read_text())
    del meta["distributions"]["variables"][0]["op"]
    (folder / "sweep.json").write_text(json.dumps(meta))
    kept = (folder / "parts" / "s00000.csv").read_bytes()
    (folder / "parts" / "s00001.csv").unlink()
    said: list[str] = []
    kpis, _, _ = api.sweep(None, resume=folder, jobs=1, warn=said.append)
    assert (folder / "parts" / "s00000.csv").read_bytes() == kept
    assert not [w for w in said if "parts" in w]  # no part taken for another sweep's
    s = kpis["markets.price_usd_per_unit scale"]
    assert ((s >= 0.9) & (s <= 1.1)).all() and len(kpis) == 3
    assert list(kpis["objective_musd"]) == pytest.approx(list(100 * (100 * s - 60) / 1000))


def test_a_parameter_in_scientific_notation_is_a_number(tmp_path):
    """``sd: 5e-2`` was refused, "must be a finite number (found '5e-2'); write a plain
    number such as 0.8": YAML 1.1 reads a number in scientific notation without a dot as
    text, while ``--set ...=1e2`` and a scenario's values take it. It is now 0.05: three
    draws of normal(1, 5e-2) with seed 0 are those of normal(1, 0.05), and each gives
    the toy (:func:`_toy`) 100 kt x (100 s - 60) / 1000 MUSD at a scale s. A quoted
    '5e-2' is text and still refused."""
    case = _toy(tmp_path / "toy")
    dist = tmp_path / "dd.yaml"
    dist.write_text("variables:\n  - {target: markets.price_usd_per_unit, op: scale, "
                    "dist: {type: normal, mean: 1, sd: 5e-2}}\n")
    kpis, _, _ = api.sweep(case, samples=3, distributions=dist, out=tmp_path, jobs=1)
    s = kpis["markets.price_usd_per_unit scale"]
    same = sw.draw_samples({"variables": [{"target": "markets.price_usd_per_unit",
                                           "op": "scale", "dist": {
                                               "type": "normal", "mean": 1, "sd": 0.05}}]},
                           3, 0)
    assert list(s) == pytest.approx([next(iter(v.values.values())) for v in same], rel=1e-9)
    assert list(kpis["objective_musd"]) == pytest.approx(list(100 * (100 * s - 60) / 1000))
    dist.write_text(dist.read_text().replace("5e-2", "'5e-2'"))
    with pytest.raises(InputError, match=r"variables\[0\]\.dist\.sd: must be a finite number "
                                          r"\(found '5e-2'\); write a plain number without "
                                          r"quotes"):
        api.sweep(case, samples=3, distributions=dist, out=tmp_path, name="q", jobs=1)
