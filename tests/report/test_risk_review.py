"""Risk and sensitivity outputs as the README says they are (review sens3 F2-F6): the
README's exit codes and draw ids, degenerate Monte Carlo input, repeated grid values,
the tornado's colours and title and the Monte Carlo chart's labels and axis. Hand-made
inputs; charts measured with :func:`chainopt.report.charts.drawn_inside` and text
extents, as tests/report/test_chart_edges.py does."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chainopt.cli import app
from chainopt.errors import InputError
from chainopt.report.sweep_stats import one_draw, summarise
from chainopt.sweep import draw_samples, parse_set
from tests.toycase import FEED_TO_PRODUCT, write_case

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
UNIFORM = {"variables": [{"target": "markets.price_usd_per_unit[commodity=hdpe]",
                          "op": "scale", "dist": {"type": "uniform", "low": 0.9,
                                                  "high": 1.1}}]}


def _readme() -> str:
    return " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())


def test_the_readme_gives_the_exit_code_and_the_draw_ids_chainopt_gives():
    """F2. A --swing the command line alone shows wrong is a usage error, exit 2 (the
    DESIGN's code, and the README's CLI section): checked before the scenario is read,
    so a file that is not there is not reached. The Sensitivity section said exit 1.
    Monte Carlo draws are named s00000, s00001, ... (grid points v00000, ...): the
    README's example of a failure warning named draws v00004, v00011, v00017."""
    done = runner.invoke(app, ["sensitivity", "nothere.yaml", "--project", "p", "--swing",
                               "0"])
    assert done.exit_code == 2, done.output
    text = _readme()
    said = re.findall(r"`--drivers` names known drivers, each once: both are checked "
                      r"before anything is solved \(exit (\d)", text)
    assert said == ["2"]
    ids = [v.id for v in draw_samples(UNIFORM, 3, 0)]
    assert ids == ["s00000", "s00001", "s00002"]
    warned = re.findall(r"draws failed \(\w+ \d+: ([^)]*)\)", text)
    assert warned, "the README gives an example of the warning"
    for names in warned:
        for name in re.findall(r"[a-z]\d{5}", names):
            assert name.startswith("s"), (name, names)


def test_a_uniform_of_no_spread_is_refused_as_the_other_types_are():
    """F3. A triangular with low = high and a normal with sd 0 are refused (their draws
    would all be one value); a uniform with low = high was accepted and drew 1.1 every
    time without a word. Now it is refused alike: the same form of message, naming the
    file, the variable and what was found."""
    bad = {"variables": [{**UNIFORM["variables"][0],
                          "dist": {"type": "uniform", "low": 1.1, "high": 1.1}}]}
    with pytest.raises(InputError) as exc:
        draw_samples(bad, 3, 0, origin="dz.yaml")
    assert str(exc.value).splitlines()[-1].strip() == (
        "- dz.yaml: variables[0].dist: needs low < high (found low 1.1, high 1.1); give "
        "low below high")
    tri = {"variables": [{**UNIFORM["variables"][0], "dist": {
        "type": "triangular", "low": 1.1, "mode": 1.1, "high": 1.1}}]}
    with pytest.raises(InputError) as exc:
        draw_samples(tri, 3, 0, origin="dz.yaml")
    assert "dz.yaml: variables[0].dist: needs low <= mode <= high and low < high (found " \
           "low 1.1, mode 1.1, high 1.1)" in str(exc.value)
    # a uniform of some spread still draws within it: 0.9 + u x 0.2
    x = [v.values["markets.price_usd_per_unit[commodity=hdpe] scale"]
         for v in draw_samples(UNIFORM, 50, 0)]
    assert 0.9 <= min(x) < max(x) <= 1.1


def test_one_draw_has_no_std_and_is_said_to_measure_no_spread():
    """F3. The sample std (n - 1 in the denominator) of one draw is 0 / 0, undefined:
    summary.csv wrote 0 beside p05 = p50 = p95 = the one value, which reads as "no risk".
    Now it is blank (NaN), the percentiles stay the value, and a warning says one draw
    measures no spread. Two draws 1 and 3 by hand: mean 2, deviations -1 and 1, std
    sqrt((1 + 1) / (2 - 1)) = sqrt(2); no warning."""
    one = pd.DataFrame({"variant": ["s00000", "s00001"], "status": ["optimal",
                                                                    "InfeasibleError"],
                        "objective_musd": [5.0, math.nan]})
    s = summarise(one).set_index(["measure", "statistic"])["value"]
    assert math.isnan(s["objective_musd", "std"])
    assert (s["objective_musd", "count"], s["objective_musd", "mean"],
            s["objective_musd", "p05"], s["objective_musd", "p95"]) == (1.0, 5.0, 5.0, 5.0)
    assert one_draw(one, "X") == ("one draw has a plan (s00000): one draw measures no "
                                  "spread, so X; give --samples 2 or more")
    two = pd.DataFrame({"variant": ["s00000", "s00001"], "status": "optimal",
                        "objective_musd": [1.0, 3.0]})
    s = summarise(two).set_index(["measure", "statistic"])["value"]
    assert s["objective_musd", "std"] == pytest.approx(math.sqrt(2), abs=1e-12)
    assert one_draw(two, "X") == ""


def test_a_sweep_and_sensitivity_of_one_draw_warn_and_leave_std_blank(tmp_path):
    """F3 through the CLI. The toy sells product made 1:1 from feed (100 USD/t) at 400
    USD/t x a price factor drawn from a uniform on [0.9, 1.1]. One draw: summary.csv's
    std of the objective is blank (read back as NaN) and its p05 = p95 = mean, and the
    sweep warns. `sensitivity --sweep` of a hand-written folder of one draw of an
    optional project pj (NPV 7, built) gives P10 = P50 = P90 = 7, P(built) 1, and warns
    alike; of two draws (NPV 7 and 9) it does not."""
    case = write_case(tmp_path / "toy", {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr\nu,plant,make,10",
        "markets": "site,commodity,price_usd_per_unit\nplant,product,400"})
    dist = tmp_path / "d.yaml"
    dist.write_text("variables:\n  - {target: 'markets.price_usd_per_unit[commodity=product]',"
                    " op: scale, dist: {type: uniform, low: 0.9, high: 1.1}}\n")
    done = runner.invoke(app, ["sweep", str(case), "--samples", "1", "--distributions",
                               str(dist), "--out", str(tmp_path), "--name", "one",
                               "--jobs", "1"], env={"COLUMNS": "2000"})
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert ("warning: one draw has a plan (s00000): one draw measures no spread, so its "
            "percentiles are that one value and its std is blank (undefined for one draw; "
            "summary.csv); give --samples 2 or more") in text, text
    s = pd.read_csv(tmp_path / "sweep-one" / "summary.csv").set_index(
        ["measure", "statistic"])["value"]
    assert math.isnan(s["objective_musd", "std"])
    assert s["objective_musd", "p05"] == s["objective_musd", "p95"] == \
        s["objective_musd", "mean"]
    for n, npv, warned in ((1, [7.0], True), (2, [7.0, 9.0], False)):
        folder = tmp_path / f"mc{n}"
        folder.mkdir()
        pd.DataFrame({"variant": [f"s{i:05d}" for i in range(n)], "status": "optimal",
                      "message": "", "objective_musd": [100.0 + v for v in npv],
                      "built_pj": 1.0, "npv_pj_incremental_musd": npv}).to_csv(
            folder / "kpis.csv", index=False)
        (folder / "sweep.json").write_text(json.dumps(
            {"source": str(case), "sets": [], "samples": n, "seed": 0,
             "distributions": {}}))
        done = runner.invoke(app, ["sensitivity", "--sweep", str(folder)],
                             env={"COLUMNS": "2000"})
        assert done.exit_code == 0, done.output
        said = ("warning: one draw has a plan (s00000): one draw measures no spread, so "
                "P10 = P50 = P90 = its NPV and P(built) is 0 or 1 (projects_mc.csv); give "
                "--samples 2 or more") in " ".join(done.output.split())
        assert said == warned, done.output
    mc = pd.read_csv(tmp_path / "mc1" / "projects_mc.csv").set_index("project").loc["pj"]
    assert (mc["p10_musd"], mc["p50_musd"], mc["p90_musd"], mc["p_built"]) == (7, 7, 7, 1)


@pytest.mark.parametrize("values, twice", [("1.1,1.1", "1.1"), ("0.9,1.1,0.9", "0.9"),
                                           ("1:1:3", "1")])
def test_a_grid_value_given_twice_is_refused(values, twice):
    """F4. `--set ...*=1.1,1.1` ran two identical variants (v00000 and v00001, both
    8,226.915471 on small_chain) and share_of_points_built counted that one point twice:
    of the points 1.1, 1.1, 0.5 with the project built at 1.1 alone it would say 2/3
    where the distinct points give 1/2. The sweep refuses a target set twice; a value
    given twice in one setting is refused alike, naming the setting and the value.
    0.9,1.1 (distinct) and 1:1:1 (one point) still read."""
    setting = f"markets.price_usd_per_unit[commodity=hdpe]*={values}"
    with pytest.raises(InputError) as exc:
        parse_set(setting)
    assert str(exc.value).splitlines()[-1].strip() == (
        f"- --set {setting!r}: the value {twice} is given twice: the same case would be "
        "solved twice and counted twice in the grid's statistics; give each value once")
    assert parse_set("markets.price_usd_per_unit[commodity=hdpe]*=0.9,1.1")[1] == [0.9, 1.1]
    assert parse_set("markets.price_usd_per_unit[commodity=hdpe]*=1:1:1")[1] == [1.0]


def test_the_cli_refuses_a_repeated_grid_value_before_solving(tmp_path):
    """F4 through the CLI: exit 1, the setting and the value named, no sweep folder."""
    done = runner.invoke(app, ["sweep", "small_chain", "--set",
                               "markets.price_usd_per_unit[commodity=hdpe]*=1.1,1.1",
                               "--out", str(tmp_path), "--name", "d3", "--jobs", "1"],
                         env={"COLUMNS": "2000"})
    assert done.exit_code == 1, done.output
    assert "the value 1.1 is given twice" in " ".join(done.output.split())
    assert not (tmp_path / "sweep-d3").exists()
