"""A comparison keeps what its runs warned of (review deck F1): a project coming into use
inside a period under a binding cap is valued on the period's average year, and
comparison.md, warnings.csv, the HTML report, the one-pager and the deck say so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from pptx import Presentation

from chainopt import api
from chainopt.report import compare as cmp
from chainopt.report import deck, onepager
from chainopt.report.html import write_report
from tests.toycase import FEED_TO_PRODUCT, write_case

#: plant u (feed 1:1 to product at 0 and 100 USD/t, sales capped at 5 kt/yr), 20 kt/yr,
#: the unit of project pj (capex 2 MUSD, lead time 3 years, life 2); one period
#: 2026-2030, rate 0; pj off in the base
LATE_PROJECT = {
    **FEED_TO_PRODUCT,
    "units": "unit,site,process,capacity_k_per_yr,project\nu,plant,make,20,pj",
    "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                "all_or_nothing,state\npj,2,p1,2,3,true,off",
    "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,100,5",
    "supplies": "site,commodity,cost_usd_per_unit\nplant,feed,0"}

WARNED = "project pj comes into use in 2029, inside period p1 (2026-2030)"


def _texts(path) -> list[str]:
    """Every text of a deck: titles, text boxes and table cells."""
    out = []
    for slide in Presentation(str(path)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                out.append(shape.text_frame.text)
            if shape.has_table:
                out += [c.text for row in shape.table.rows for c in row.cells]
    return out


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """The base (pj off) against a scenario forcing pj in p1. By hand: pj's unit comes
    into use in 2029 (2026 + lead time 3); on p1's average year it sells the cap's 5 kt/yr
    in all 5 years, 5 x 5 x 100 / 1000 = 2.5 MUSD for 2.0 of capex: +0.5 MUSD against 0
    without it, though year by year it sells in 2029-2030 only (1.0 MUSD). The run warns
    of it; the comparison must keep the warning."""
    return _forced_against_off(tmp_path_factory.mktemp("warned"), LATE_PROJECT, "pj", 5,
                               "late")


def _forced_against_off(tmp: Path, tables: dict[str, str], project: str, years: int,
                        name: str):
    """``tables`` in one period p1 of ``years`` from 2026, compared with scenario
    ``name`` forcing ``project`` in p1: (sections, folder) of the comparison."""
    base = write_case(tmp / "base", tables,
                      periods=[{"period": "p1", "start_year": 2026, "length_yr": years}])
    scenario = tmp / f"{name}.yaml"
    scenario.write_text(yaml.safe_dump({"name": name, "base": str(base), "changes": [
        {"project": project, "state": "forced", "period": "p1"}]}))
    sections, _, folder = api.compare([str(base), str(scenario)], out=tmp / "res",
                                      name="w", jobs=1)
    return sections, folder


def test_the_runs_warning_is_in_the_comparison(compared):
    sections, folder = compared
    eco = sections["economics"].set_index("effect")
    assert eco.loc["pj", "incremental NPV (MUSD)"] == pytest.approx(0.5, abs=1e-6)
    (row,) = sections["warnings"].to_dict("records")
    assert row["scenario"] == "late" and row["warning"].startswith(WARNED)
    saved = pd.read_csv(folder / "warnings.csv")
    assert list(saved["scenario"]) == ["late"] and saved["warning"][0].startswith(WARNED)
    assert f"**Warning:** late: {WARNED}" in (folder / "comparison.md").read_text()
    assert cmp.project_warnings(sections) == {("late", "pj"): [row["warning"]]}


def test_the_report_marks_the_project(compared):
    _, folder = compared
    html = (write_report(folder, pptx=True)[0]).read_text()
    # near the top: the warnings section before the objective and economics
    assert html.index(WARNED) < html.index('id="objective"') < html.index('id="economics"')
    # on pj's economics card and its one-pager's key figures
    assert html.count("value of a period&#39;s average year: see warnings") == 2
    (page,) = onepager.pages(cmp.read_tables(folder))
    assert [w[:len(WARNED)] for w in page.warnings] == [WARNED]
    assert ("warning", "value of a period's average year: see warnings") in \
        onepager.key_figures(page)
    texts = _texts(folder / "report.pptx")
    assert any(t.startswith(f"late: {WARNED}") for t in texts)  # the Warnings slide
    assert "pj in late (value of a period's average year: see warnings)" in texts
    assert deck.project_table(cmp.read_tables(folder))["warning"].tolist() == [
        "value of a period's average year: see warnings"]


def test_the_run_deck_carries_the_runs_warnings(compared, tmp_path):
    _, folder = compared
    run = folder.parent / "late"
    write_report(run, out=tmp_path / "report.html", pptx=True)
    assert any(t.startswith(WARNED) for t in _texts(tmp_path / "report.pptx"))


def test_an_older_folders_stream_warnings_are_read_and_name_their_project():
    """A folder written before ``warnings.csv`` has ``stream_warnings.csv``: its warnings
    are shown, and 'project pj retires unit e' marks pj (not e, a unit)."""
    old = {"stream_warnings": pd.DataFrame({
        "scenario": ["s"], "warning": ["project pj retires unit e, which would have run "
                                       "until 2032 ..."]})}
    assert cmp.warning_lines(old) == ["s: project pj retires unit e, which would have run "
                                      "until 2032 ..."]
    assert list(cmp.project_warnings(old)) == [("s", "pj")]
    assert cmp.warning_mark(cmp.project_warnings(old)[("s", "pj")]) == "see warnings"


def test_a_projects_ramp_up_inside_a_period_is_kept_and_marks_it(tmp_path):
    """Review F1: project pr brings u (10 kt/yr, ramp_up 0.5;0.8: 5, 8, 10 kt/yr usable in
    2026-2028), 1.5 MUSD, life 3; free feed to product at 100 USD/t, sales capped at 7
    kt/yr; one period 2026-2028, rate 0; pr off in the base. On the average year u counts
    10 x (0.5 + 0.8 + 1) / 3 = 7.666667 >= 7, so it sells the cap's 7 in all three years:
    2.1 - 1.5 = +0.6 MUSD against 0; year by year it sells 5, 7, 7: 1.9 - 1.5 = 0.4. The
    run warns of the ramp-up, and the comparison keeps it and marks pr as the others."""
    tables = {**LATE_PROJECT,
              "units": "unit,site,process,capacity_k_per_yr,project\nu,plant,make,10,pr",
              "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                          "ramp_up,all_or_nothing,state\npr,1.5,p1,3,0,0.5;0.8,true,off",
              "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,100,7"}
    sections, folder = _forced_against_off(tmp_path, tables, "pr", 3, "ramp")
    eco = sections["economics"].set_index("effect")
    assert eco.loc["pr", "incremental NPV (MUSD)"] == pytest.approx(0.6, abs=1e-6)
    said = ("project pr ramps up inside period p1 (2026-2028): usable at 50 % of its "
            "capacity in 2026, 80 % in 2027 and 100 % in 2028 (projects.csv, ramp_up "
            "0.5;0.8)")
    saved = pd.read_csv(folder / "warnings.csv")
    assert list(saved["scenario"]) == ["ramp"] and saved["warning"][0].startswith(said)
    (marks,) = cmp.project_warnings(sections).items()
    assert marks[0] == ("ramp", "pr")
    assert cmp.warning_mark(marks[1]) == "value of a period's average year: see warnings"
