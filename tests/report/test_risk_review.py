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

import matplotlib

matplotlib.use("Agg", force=True)
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from typer.testing import CliRunner

from chainopt import sensitivity as sens
from chainopt.cli import app
from chainopt.errors import InputError
from chainopt.report import charts, risk
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


def _tornado_row(driver: str, low: float, high: float, npv_low: float, npv_high: float,
                 base: float = 12.28) -> dict:
    return {"driver": driver, "meaning": sens.DRIVER_INFO[driver][0],
            "base_value": 0.0 if driver == "carbon" else 1.0, "low_value": low,
            "high_value": high, "npv_base_musd": base, "npv_low_musd": npv_low,
            "npv_high_musd": npv_high, "swing_musd": abs(npv_high - npv_low),
            "npv_base_from_musd": base, "npv_base_to_musd": base,
            "npv_low_from_musd": npv_low, "npv_low_to_musd": npv_low,
            "npv_high_from_musd": npv_high, "npv_high_to_musd": npv_high, "note": ""}


#: the review's far_east_port tornado (small_port_expansion, MUSD): capex x0.8 16.32,
#: x1.2 8.25; discount 8 % 15.20, 12 % 9.74; and an extra carbon price of 0 and 20 USD/t
FAR_EAST = pd.DataFrame([_tornado_row("capex", 0.8, 1.2, 16.32, 8.25),
                         _tornado_row("discount", 0.08, 0.12, 15.20, 9.74),
                         _tornado_row("carbon", 0.0, 20.0, 12.28, 11.0)])


def _hue(colour) -> float:
    """A colour's hue in degrees (0 red, 120 green, 240 blue)."""
    import colorsys

    from matplotlib.colors import to_rgb

    return 360 * colorsys.rgb_to_hsv(*to_rgb(colour))[0]


def test_the_tornado_s_colours_say_low_and_high_not_bad_and_good():
    """F5. A driver's low end was red and its high end green, whatever the NPV did: a
    capex x0.8 (NPV 16.32, up from 12.28) was red, a capex x1.2 (8.25, down) green. Now
    two blues, light for low and dark for high (hues about 201 and 208 degrees, far from
    red at 0 and green at 120), and the axis says which is which."""
    import matplotlib.pyplot as plt

    fig = risk.tornado_figure(FAR_EAST, "t", plt, objective=7797.0)
    try:
        ax = fig.axes[0]
        bars = {round(p.get_x() + p.get_width(), 2): p.get_facecolor() for p in ax.patches}
        low, high = (to_hex(risk.TORNADO_COLOURS[at][0]) for at in ("low", "high"))
        assert to_hex(bars[16.32]) == low and to_hex(bars[8.25]) == high  # capex
        assert to_hex(bars[15.2]) == low and to_hex(bars[9.74]) == high  # discount
        assert low != high
        for colour in bars.values():
            assert 180 <= _hue(colour) <= 260, to_hex(colour)  # a blue: no red, no green
        assert ax.get_xlabel() == ("incremental NPV (MUSD)\nlight blue: driver low, dark "
                                   "blue: driver high")
        assert charts.drawn_inside(fig)
    finally:
        plt.close(fig)


def test_the_tornado_s_title_says_what_each_driver_is_moved_to():
    """F5. The title said "±20% on each driver", but the carbon driver's ends are an
    extra carbon price of 0 and 100 x 0.2 = 20 USD/t (its base is 0: ±20 % of it is
    nothing). The title and the terminal now say what each driver shown is moved to,
    the factors and the discount rate in the order of sensitivity.DRIVERS."""
    assert sens.swing_text(FAR_EAST, 0.2) == (
        "±20% on capex and discount; an extra carbon price of 0 and 20 USD/t")
    assert sens.swing_text(FAR_EAST[FAR_EAST["driver"] != "carbon"], 0.125) == (
        "±12.5% on capex and discount")
    every = pd.DataFrame([_tornado_row(d, 0.8, 1.2, 1.0, 2.0)
                          for d in ("discount", "price", "capex", "feed")])
    assert sens.swing_text(every, 0.2) == "±20% on price, feed, capex and discount"
    carbon = FAR_EAST[FAR_EAST["driver"] == "carbon"].assign(high_value=10.0)
    assert sens.swing_text(carbon, 0.1) == "an extra carbon price of 0 and 10 USD/t"
    assert sens.swing_text(FAR_EAST.iloc[:0], 0.2) == ""


def test_a_sensitivity_run_titles_its_tornado_with_what_each_driver_is_moved_to(
        tmp_path, monkeypatch):
    """F5 through the CLI, on the toy of tests/report/test_sensitivity_review.py (p
    forced in p1, an emission co2 at a carbon price of 0): --drivers capex,carbon at
    --swing 0.2 moves capex to x0.8 and x1.2 and the extra carbon price to 0 and 20
    USD/t; the terminal's header and the chart's title say so."""
    from tests.report.test_sensitivity_review import toy

    titles = []
    made = risk.tornado_figure

    def keep(df, title, plt, objective=0.0):
        titles.append(title)
        return made(df, title, plt, objective)

    monkeypatch.setattr(risk, "tornado_figure", keep)
    done = runner.invoke(app, ["sensitivity", str(toy(tmp_path / "toy")), "--project", "p",
                               "--drivers", "capex,carbon", "--out", str(tmp_path)],
                         env={"COLUMNS": "2000"})
    assert done.exit_code == 0, done.output
    moved = "±20% on capex; an extra carbon price of 0 and 20 USD/t"
    assert f"Tornado: incremental NPV (MUSD) for {moved}" in " ".join(done.output.split())
    assert len(titles) == 1 and titles[0].startswith(f"p: incremental NPV for {moved} (base ")
    # the sensitivity folder given as a source (it was "no case.yaml in this folder"):
    # named as such, with the source whose project it tests (sensitivity.json, source)
    folder = next(tmp_path.glob("sensitivity-*"))
    done = runner.invoke(app, ["run", str(folder)], env={"COLUMNS": "2000"})
    assert done.exit_code == 1, done.output
    assert (f"{folder}: a sensitivity folder (written by chainopt sensitivity), not a case "
            f"or scenario; give the source whose project it tests, {tmp_path / 'toy'} (its "
            "sensitivity.json, key source)") in " ".join(done.output.split()), done.output


#: the review's Monte Carlo of ru_all_projects (20 draws, seed 7): MP2 P10/P50/P90
#: 0 / 47.3 / 417.4 MUSD, built in 50 %; MP3 0 / 0 / 0.472, 10 %; MP4 24.6 / 30.5 /
#: 30.5, 100 %; and a project never built
RU_ALL = pd.DataFrame({"project": ["mp2", "mp3", "mp4", "mp5"],
                       "p10_musd": [0.0, 0.0, 24.6, 0.0], "p50_musd": [47.3, 0.0, 30.5, 0.0],
                       "p90_musd": [417.4, 0.472, 30.5, 0.0], "p_built": [0.5, 0.1, 1.0, 0.0]})


def test_the_monte_carlo_chart_keeps_each_label_inside_its_panel():
    """F6. MP2's label "P10 0 / P50 47.3 / P90 417.4", drawn from its P90 at 417.4, ran
    from about x = 812 px to 1,000 px while the NPV panel's frame ended at 847 (the axis
    ended at 438, 5 % past the largest P90): into the gap between the panels. The
    probability axis ran to 1.25 to leave room for "100%" beside a full bar. Now every
    label ends inside its panel's frame (the NPV axis is widened until the longest
    fits), the probability axis runs 0 to 1 (0% to 100%, in % as its labels are), and
    a share above one half is written inside its bar."""
    import matplotlib.pyplot as plt

    fig = risk.monte_carlo_figure(RU_ALL, "t", plt)
    try:
        assert charts.drawn_inside(fig)
        renderer = fig.canvas.get_renderer()
        ax, ax2 = fig.axes
        assert ax2.get_xlim() == (0.0, 1.0)
        assert ax.get_xlim()[0] < 0.0 < 417.4 < ax.get_xlim()[1]
        for a in (ax, ax2):
            frame = a.get_window_extent(renderer)
            for t in a.texts:
                box = t.get_window_extent(renderer)
                assert frame.x0 - 0.5 <= box.x0 and box.x1 <= frame.x1 + 0.5, t.get_text()
        said = [t.get_text().strip() for t in ax.texts]
        assert said[0] == "P10 0 / P50 47.3 / P90 417.4"
        assert [t.get_text().strip() for t in ax2.texts] == ["50.0%", "10.0%", "100%", "0%"]
        # its axis in % as those labels are (review out32 F7: it read 0.0 ... 1.0)
        fig.canvas.draw()
        ticks = [t.get_text() for t in ax2.get_xticklabels()]
        assert ticks[0] == "0%" and ticks[-1] == "100%", ticks
    finally:
        plt.close(fig)
