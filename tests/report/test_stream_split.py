"""A project that retires a unit: when its yearly stream is an approximation, the run
says so (time review F1), and splitting the period as it says makes the stream exact."""

from __future__ import annotations

import pytest
import yaml

from chainopt import api
from chainopt.case.scenario import without_projects
from chainopt.report import economics
from tests.toycase import FEED_TO_PRODUCT, write_case

FIVE_FIVE = [{"period": "p1", "start_year": 2026, "length_yr": 5},
             {"period": "p2", "start_year": 2031, "length_yr": 5}]
STREAM = "project pj retires unit e"


def _case(tmp_path, retire: str, life: int = 25):
    """FEED_TO_PRODUCT (margin 300 USD/t, no cap) at rate 10 %: unit e (10 kt/yr, fixed
    O&M 20 USD/t/yr, closing at the start of ``retire``) and project pj (unit up, 15
    kt/yr, fixed O&M 10; capex 10 MUSD, 2 years' lead time, forced in p1: in use from
    2028), which retires e. pj's unit earns 15 x (300 - 10) / 1000 = 4.35 MUSD/yr, e
    would have earned 10 x (300 - 20) / 1000 = 2.8: pj's gain is 1.55 a year while e
    would still run, 4.35 after."""
    return api.load_case(write_case(tmp_path, {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,retire_year,"
                 f"project\ne,plant,make,10,20,{retire},\nup,plant,make,15,10,,pj",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state,forced_period,retires_units\n"
                    f"pj,10,p1,{life},2,true,forced,p1,e"},
        periods=FIVE_FIVE, discount_rate=0.1))


def _operating(case) -> dict[int, float]:
    """pj's yearly operating gain, against the same case without it."""
    _, flows = economics.project_economics(api.run(without_projects(case, ["pj"]),
                                                   save=False), api.run(case, save=False))
    return dict(zip(flows["year"], flows["operating_musd"].round(9), strict=True))


def _warned(case) -> list[str]:
    """The run's warnings of pj's stream."""
    return [w for w in api.run(case, save=False).manifest["warnings"] if STREAM in w]


def _split_stream(case) -> list[float]:
    """pj's operating gain in 2028-2035 with p2 split at 2033, not warned of."""
    split = api.change_case(case, [{"split": "p2", "at": 2033}], name="split")
    assert not _warned(split)
    got = _operating(split)
    return [got[y] for y in range(2028, 2036)]


def test_a_unit_closing_inside_a_period_is_warned_and_the_split_is_exact(tmp_path):
    """e closes in 2033, inside p2 (2031-2035): by hand pj gains 1.55 in 2028-2032 and
    4.35 in 2033-2035. The stream spread p2's gain evenly over 2031-2035 (the same in
    each year), and the run said nothing. Now it warns; split at 2033 as it says, the
    stream is the hand one and the warning is gone."""
    case = _case(tmp_path / "a", "2033")
    assert _warned(case) == [
        "project pj retires unit e, which would have run until 2032, inside period p2 "
        "(2031-2035): its yearly cash flows spread that period's gain over all its years, "
        "so its IRR, payback, tax and debt cover are approximate (its NPV is exact); split "
        "p2 at 2033 (scenario change split) to make them exact"]
    flat = _operating(case)
    assert len({flat[y] for y in range(2031, 2036)}) == 1  # the approximation
    assert _split_stream(case) == pytest.approx([1.55] * 5 + [4.35] * 3, abs=1e-6)


def test_a_unit_closing_at_a_period_start_or_never_is_not_warned(tmp_path):
    """e closing at the start of p2 (2031), or never, with pj in use to the horizon's
    end: the stream is exact (1.55 in 2028-2030, then 4.35; or 1.55 throughout)."""
    for i, retire in enumerate(("2031", "")):
        case = _case(tmp_path / str(i), retire)
        assert not _warned(case)
        got = _operating(case)
        hand = [1.55] * 3 + [4.35 if retire else 1.55] * 5
        assert [got[y] for y in range(2028, 2036)] == pytest.approx(hand, abs=1e-6)


def test_a_retirement_that_outlasts_the_project_is_warned_when_its_end_is_mid_period(
        tmp_path):
    """pj lives 5 years (2028-2032) and retires e, which never closes: from 2033 the chain
    misses e (-2.8 a year by hand) and has no pj, so pj's gain is 1.55 in 2028-2032 and
    -2.8 in 2033-2035; 2033 falls inside p2, which the stream spreads evenly. Warned,
    with the split; split at 2033, the stream is the hand one and the warning is gone.
    A 3-year life ends at p2's start (2031): exact as it is (1.55 in 2028-2030, then
    -2.8), not warned (the review's d2, which the first version warned of)."""
    case = _case(tmp_path / "a", "", life=5)
    assert _warned(case) == [
        "project pj retires unit e, which would have run on, but its own use ends in 2032, "
        "inside period p2 (2031-2035): its yearly cash flows spread the unit's loss from "
        "2033 over all that period's years, so its IRR, payback, tax and debt cover are "
        "approximate (its NPV is exact); split p2 at 2033 (scenario change split) to make "
        "them exact"]
    assert _split_stream(case) == pytest.approx([1.55] * 5 + [-2.8] * 3, abs=1e-6)
    short = _case(tmp_path / "b", "", life=3)
    assert not _warned(short)
    got = _operating(short)
    assert [got[y] for y in range(2028, 2036)] == pytest.approx([1.55] * 3 + [-2.8] * 5,
                                                                abs=1e-6)


def _extendable(tmp_path, capex: float) -> tuple[str, str]:
    """The case of :func:`_case` with e closing in 2033 (inside p2) but extendable by 5
    years at ``capex`` USD per t/yr, and pj off; and a scenario forcing pj in p1. The
    sources of a comparison (base, scenario)."""
    folder = write_case(tmp_path / "base", {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,retire_year,"
                 "life_extension_yr,life_extension_capex_usd_per_unit_yr,project\n"
                 f"e,plant,make,10,20,2033,5,{capex},\nup,plant,make,15,10,,,,pj",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state,retires_units\npj,10,p1,25,2,true,off,e"},
        periods=FIVE_FIVE, discount_rate=0.1)
    scenario = tmp_path / "forced.yaml"
    scenario.write_text(yaml.safe_dump({"name": "forced", "base": str(folder), "changes": [
        {"project": "pj", "state": "forced", "period": "p1"}]}))
    return str(folder), str(scenario)


def test_a_unit_the_counterfactual_extends_through_the_period_is_not_warned(tmp_path):
    """The review's F3. e closes in 2033, inside p2, but may run 5 more years (to 2037) at
    100 USD per t/yr: an annuity of 100 / sum_{k<5} 1.1^-k = 100 / 4.169865 = 23.98 USD
    a year against e's 280 USD/t margin, so without pj the chain extends it and e runs
    through p2. pj's operating gain is then 4.35 - 2.8 = 1.55 in every year 2028-2035,
    exact as the stream has it; the run warned that e 'would have run until 2032, inside
    period p2', which it would not. At 10,000 USD per t/yr (an annuity of 2,398 a year,
    above the margin) the chain without pj lets e close in 2033 and the warning stays,
    said once the counterfactual is known (the comparison; the run alone cannot tell)."""
    sections, outcomes, _ = api.compare(list(_extendable(tmp_path / "cheap", 100)),
                                        out=tmp_path / "out", jobs=1, save=False)
    assert all(STREAM not in w for o in outcomes for w in o.results.manifest["warnings"])
    # the comparison's warnings hold the runs' own (e retiring inside p2 under a binding
    # limit, say) beside the stream ones: no stream one here
    said = sections["warnings"]["warning"] if "warnings" in sections else []
    assert not [w for w in said if w.startswith(STREAM)]
    flows = sections["project_cashflows"].set_index("year")["operating_musd"]
    assert [flows[y] for y in range(2028, 2036)] == pytest.approx([1.55] * 8, abs=1e-6)
    sections, outcomes, _ = api.compare(list(_extendable(tmp_path / "dear", 10000)),
                                        out=tmp_path / "out2", jobs=1, save=False)
    assert all(STREAM not in w for o in outcomes for w in o.results.manifest["warnings"])
    assert [w for w in sections["warnings"]["warning"] if w.startswith(STREAM)] == [
        "project pj retires unit e, which would have run until 2032 (not life-extended "
        "without the project), inside period p2 (2031-2035): its yearly cash flows spread "
        "that period's gain over all its years, so its IRR, payback, tax and debt cover are "
        "approximate (its NPV is exact); split p2 at 2033 (scenario change split) to make "
        "them exact"]
