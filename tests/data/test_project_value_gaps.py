"""The default case's model projects valued from loose and tight MIP solves, and from
fresh and reused runs: the numbers a planner defends must not depend on either."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chainopt import api
from chainopt.case.load import resolve_case_path
from chainopt.cli import app

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def tight(tmp_path_factory):
    """ru_all_projects against ru_eastwest at the default case's gap (1e-7), solved and
    then compared again from the saved folders (reused)."""
    out = tmp_path_factory.mktemp("tight")
    args = (["ru_eastwest", str(SCENARIOS / "ru_all_projects.yaml")],)
    fresh, _, _ = api.compare(*args, out=out, jobs=1)
    reused, outcomes, _ = api.compare(*args, out=out, jobs=1, overwrite=True)
    assert [o.status for o in outcomes] == ["reused", "reused"]
    return fresh, reused


def test_a_reused_comparison_gives_the_fresh_one_s_party_figures(tight):
    """MP4 renews the Tatarstan crackers, built 2031-2032: nothing in the chain changes
    before 2031, so each party's flows in 2026-2030 are 0 and its payback counts from
    its first equity spend in 2031. A reused folder keeps 10 significant digits of each
    cash flow (~16,000 MUSD/yr: a last digit of 1e-5), and against the counterfactual
    solved in memory its 2026-2030 flows came out at -2.7e-6 MUSD/yr: read as spend
    years, ru_sponsor's payback counted from 2026, 15.1 years where the fresh comparison
    said 10.1. The paybacks count in each party's currency; at the case's flat real
    exchange rates (85 RUB, 150 JPY per USD) both equity parties' flows are the same
    dollars: ru_sponsor's roubles are back during 2036 for good (-6,179.0 M RUB by the
    end of 2035, +9,074.7 in 2036, the avoided life extension less the tax on the
    deductions it takes with it): 5 + 6,179.0/9,074.7 = 5.681 years from 2031, and
    jp_consortium's yen likewise (-2,712.5 M JPY, +3,983.6: 5.681; 5.669 while the
    extension's depreciation stayed the project's, review fin3 F4); the profit tax in
    them keeps rouble books at 4 % inflation (tax_regimes.csv), so the depreciation of
    the 2031-2032 spend is worth less each year (5.675 before that).
    (JBIC's loan is 8 % nominal at 2 % inflation, review s25 F3: 84 MUSD drawn in
    2031 and 2032 in 2026 money, 92.742 and 94.597 nominal, 187.340 owed from 2033, a
    nominal annuity of 187.340 x 0.08 / (1 - 1.08^-8) = 32.600, 28.38 MUSD in 2026 money
    in 2033, 27.82 in 2034, 27.28 in 2035, where the indexed loan at 5.9 % paid a flat
    26.95: the sponsor's 80 % of the difference deepens its 2033-2035 outflow, 5.664
    years before.)"""
    fresh, reused = tight
    for sections in (fresh, reused):
        flows = sections["party_cashflows"]
        flows = flows[flows["project"] == "mp4"]
        assert (flows.loc[flows["year"] < 2031, "flow_musd"] == 0.0).all()
        assert (flows.loc[flows["year"] == 2031, "flow_musd"] < 0).all()
    cols = ["party", "NPV (MUSD)", "IRR", "payback (yr)"]

    def mp4(sections):
        pe = sections["party_economics"]
        return pe[pe["project"] == "mp4"][cols].set_index("party")

    a, b = mp4(fresh), mp4(reused)
    pd.testing.assert_frame_equal(a, b, rtol=1e-6)
    assert a.loc["ru_sponsor", "payback (yr)"] == pytest.approx(5 + 6179.0 / 9074.7, abs=0.005)
    assert a.loc["jp_consortium", "payback (yr)"] == pytest.approx(5 + 2712.5 / 3983.6,
                                                                   abs=0.005)


def test_loose_gaps_give_a_range_that_holds_the_tight_value(tight, tmp_path):
    """The same comparison on a copy of ru_eastwest solved to the schema's default gap,
    1e-4: each solve's bound B is within 1e-4 |F| of its plan F (~15.8 MUSD at 158,391),
    so mp4's range [F_s - B_c, B_s - F_c] is at most 1e-4 (|F_s| + |F_c|) ~ 31.6 MUSD
    wide and must hold mp4's value from the tight solves (30.5 MUSD; the tight range is
    within 2 x 1e-7 x 158,391 = 0.03 of it); a project neither run builds is worth 0 to
    at most B_s - F_s; and compare warns, naming the gap to set. A sweep's draw of the
    same scenario carries the same kind of range."""
    fresh, _ = tight
    t = fresh["economics"].set_index("effect")
    assert t.loc["mp4", "NPV high (MUSD)"] - t.loc["mp4", "NPV low (MUSD)"] <= 0.04
    truth = float(t.loc["mp4", "incremental NPV (MUSD)"])

    case = tmp_path / "ru_loose"
    shutil.copytree(resolve_case_path("ru_eastwest"), case)
    meta = case / "case.yaml"
    meta.write_text(meta.read_text().replace("mip_gap: 0.0000001", "mip_gap: 0.0001"))
    assert "mip_gap: 0.0001" in meta.read_text()
    scen = tmp_path / "all_loose.yaml"
    scen.write_text((SCENARIOS / "ru_all_projects.yaml").read_text().replace(
        "base: ru_eastwest", f"base: {case}"))
    res = CliRunner().invoke(app, ["compare", str(case), str(scen), "--out",
                                   str(tmp_path / "out"), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    folder = next((tmp_path / "out").glob("compare-*"))
    eco = pd.read_csv(folder / "economics.csv").set_index("effect")
    low, high = eco.loc["mp4", "NPV low (MUSD)"], eco.loc["mp4", "NPV high (MUSD)"]
    assert low <= eco.loc["mp4", "incremental NPV (MUSD)"] <= high
    assert low <= truth <= high
    assert high - low <= 1e-4 * 2 * 158_000
    idle = eco[eco["built"] == "not built"]
    assert (idle["NPV low (MUSD)"] == 0.0).all()
    assert (idle["NPV high (MUSD)"].between(0.0, 1e-4 * 158_000)).all()
    # a sweep's draw carries the same range (its counterfactual is the draw with the
    # project's build decisions fixed at 0, solved to the same gap)
    kpis, _, _ = api.sweep(str(scen), sets=["markets.price_usd_per_unit[commodity=hdpe]*=1"],
                           out=tmp_path / "sweep", name="s", jobs=1)
    row = kpis.iloc[0]
    assert row["npv_mp4_low_musd"] <= truth <= row["npv_mp4_high_musd"]
    assert row["npv_mp4_high_musd"] - row["npv_mp4_low_musd"] <= 1e-4 * 2 * 158_000
    assert row["npv_mp2_low_musd"] == 0.0
    assert 0.0 <= row["npv_mp2_high_musd"] <= 1e-4 * 158_000
    if high - low > 0.01 * abs(truth):  # the solves stopped short: the user is told
        assert "leave these values open" in res.output
        assert "mip_gap" in res.output
        assert "**Warning:** the solves' MIP gaps" in (
            folder / "comparison.md").read_text()
