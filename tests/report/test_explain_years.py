"""explain names periods with their years, and the parts of a period split together.

The run: small_chain (p2026, p2031 and p2036 of five years each, 2026-2040) with the
scenario ``split: p2026, at: 2029``. By the split's rule (the first part keeps the
name and start and ends the year before ``at``; the second starts in ``at`` and is
named for it) p2026 is 2026, 2027, 2028 (3 years) and p2029 is 2029, 2030 (2 years);
both are parts of the original p2026 of 2026-2030. A span of periods "p2026-p2029"
covers p2026's first year to p2029's last: 2026-2030, not the 2026-2029 its names read
as. The split alone leaves the plan as it was (the objective is small_chain's).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chainopt import api
from chainopt.errors import InputError
from chainopt.report import explain as ex

PERIODS = ("periods: p2026 (2026-2028), p2029 (2029-2030), p2031 (2031-2035), "
           "p2036 (2036-2040); p2026 and p2029 are the parts of the original p2026 "
           "(2026-2030)")


@pytest.fixture(scope="module")
def split(tmp_path_factory) -> Path:
    """small_chain with p2026 split at 2029, solved once."""
    out = tmp_path_factory.mktemp("split")
    scenario = out / "small_split.yaml"
    scenario.write_text("name: small_split\nbase: small_chain\nchanges:\n"
                        "  - {split: p2026, at: 2029}\n")
    api.run(scenario, out=out)
    return out / "small_split"


def test_explain_says_each_period_s_years_once_and_a_span_s_years(split):
    """The periods line, once under the run's line (years by hand above); a span of
    several periods with the years it covers: the sales cap on hdpe at ru_dom binds in
    p2026, p2029 and p2031, 2026 (p2026's first) to 2035 (p2031's 2031 + 5 - 1). Its
    value, 138 USD per t a year, by hand (the review's): hdpe sold at ru_dom nets 900 - 71
    rail = 829 at tobolsk, sold in chn 950 - 39 sea - 220 rail = 691; the cap's rent is
    the difference, 829 - 691 = 138. A single period keeps its bare name (its years are
    on the periods line)."""
    lines = api.explain(split)
    assert lines[0] == ("small_split (scenario on small_chain): optimal, objective 7,784.9 "
                        "MUSD (NPV)")
    assert lines[1] == PERIODS
    assert sum(line.startswith("periods: ") for line in lines) == 1
    assert ("  sales cap for hdpe at ru_dom binds in p2026-p2031 (2026-2035): each extra "
            "t/yr is worth 138 USD per t a year") in lines
    assert any(line.startswith("  capacity of unit tob_pe binds in p2026-p2029 (2026-2030): ")
               for line in lines), lines
    assert not any("p2026-p2029:" in line for line in lines)  # never without its years
    assert any(line.startswith("netbacks in p2026 (") for line in lines)


@pytest.mark.parametrize(("period", "part"), [
    ("p2026", "period p2026 is 2026-2028 only, a part of the original p2026 (2026-2030); "
              "its other part: p2029 (2029-2030)"),
    ("p2029", "period p2029 is 2029-2030 only, a part of the original p2026 (2026-2030); "
              "its other part: p2026 (2026-2028)"),
])
def test_a_part_asked_for_says_which_parts_belong_together(split, period, part):
    """``--period`` of a part (p2029) or of the original's first part (p2026): its own
    years, the original's (2026-2030) and the other part, in the answer and in its
    ranging (which lists that part's rows alone)."""
    assert api.explain(split, period=period)[1:3] == [PERIODS, part]
    assert api.explain(split, period=period, ranging=True)[1:3] == [PERIODS, part]


def test_a_period_not_split_has_no_part_line(split):
    lines = api.explain(split, period="p2031", ranging=True)
    assert lines[1] == PERIODS and lines[2].startswith("Ranging (")


@pytest.mark.parametrize(("asked", "hint"), [
    ("p2027", "the year 2027 is in the period p2026 (2026-2028): give --period p2026 "),
    ("2030", "the year 2030 is in the period p2029 (2029-2030): give --period p2029 "),
    ("p2031x", "give one of p2026, p2029, p2031, p2036"),
    ("p2041", "the year 2041 is outside the run's years (2026-2040): give one of p2026, "),
])
def test_an_unknown_period_like_a_year_names_the_period_holding_it(split, asked, hint):
    """p2027 names no period (the split run's are p2026, p2029, p2031, p2036); the year
    2027 is in p2026 (2026 <= 2027 < 2029), 2030 in p2029 (2029 <= 2030 < 2031), 2041
    after the horizon's last year 2040; a name that is no year gets the names alone."""
    with pytest.raises(InputError) as exc:
        api.explain(split, period=asked)
    assert exc.value.problems[0].message == f"no period '{asked}' in {split}"
    assert exc.value.problems[0].hint.startswith(hint), exc.value.problems[0].hint


def test_a_folder_written_before_period_table_is_explained_without_years(split, tmp_path):
    """Results saved before the manifest recorded ``period_table``: explained as before,
    bare names, no periods line, the names alone for a period not there (the manifest
    is not checksummed; its ``periods`` are still the run's)."""
    old = Path(shutil.copytree(split, tmp_path / "old"))
    mf = old / "manifest.json"
    m = json.loads(mf.read_text())
    del m["period_table"]
    mf.write_text(json.dumps(m))
    lines = api.explain(old, period="p2029")
    assert not any(line.startswith("periods: ") or line.startswith("period p2029")
                   for line in lines)
    assert any(line.startswith("  capacity of unit tob_pe binds in p2026-p2029: ")
               for line in lines)
    with pytest.raises(InputError) as exc:
        api.explain(old, period="p2027")
    assert exc.value.problems[0].hint == "give one of p2026, p2029, p2031, p2036"


def test_years_of_a_period_split_in_three():
    """The double split of MP2's scenario (p2026 at 2029, then at 2030): p2026 2026-2028,
    p2029 and p2030 one year each; both later parts record ``part_of: p2026``."""
    years = ex.Years.of({"period_table": [
        {"period": "p2026", "start_year": 2026, "length_yr": 3},
        {"period": "p2029", "start_year": 2029, "length_yr": 1, "part_of": "p2026"},
        {"period": "p2030", "start_year": 2030, "length_yr": 1, "part_of": "p2026"},
        {"period": "p2031", "start_year": 2031, "length_yr": 5}]})
    order = ["p2026", "p2029", "p2030", "p2031"]
    assert years.line() == ("periods: p2026 (2026-2028), p2029 (2029), p2030 (2030), "
                            "p2031 (2031-2035); p2026, p2029 and p2030 are the parts of "
                            "the original p2026 (2026-2030)")
    assert years.part_line("p2030") == (
        "period p2030 is 2030 only, a part of the original p2026 (2026-2030); its other "
        "parts: p2026 (2026-2028) and p2029 (2029)")
    assert years.span("p2029-p2030", order) == "p2029-p2030 (2029-2030)"
    assert years.span("p2030", order) == "p2030"
    assert years.part_line("p2031") is None
