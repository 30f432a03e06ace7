"""A case changed in memory (``api.change_case``): a scenario file's changes without the
file, checked as a file's are, and verifiable once saved (the API review, F6)."""

from __future__ import annotations

import json

import pytest

from chainopt import api
from chainopt.errors import InputError, InputsChangedError
from tests.toycase import FEED_TO_PRODUCT, write_case

PRICE_UP = [{"table": "markets", "where": {"commodity": "product"},
             "scale": {"price_usd_per_unit": 1.5}}]


@pytest.fixture
def toy(tmp_path):
    """FEED_TO_PRODUCT with a 10 kt/yr unit, one year at rate 0: 10 x (400 - 100) / 1000
    = 3.0 MUSD; the price x 1.5: 10 x (600 - 100) / 1000 = 5.0 MUSD."""
    return api.load_case(write_case(tmp_path / "toy", {
        **FEED_TO_PRODUCT, "units": "unit,site,process,capacity_k_per_yr\nu,plant,make,10"}))


def test_changes_in_memory_give_the_scenario_s_case_and_verify(toy, tmp_path):
    """The changed case solves to 5.0 MUSD and the case given still to 3.0; saved, the run
    is named by the scenario, records the changes and verifies (the changes applied again
    to the recorded source); a second change on top (capacity + 2: 12 x 500 / 1000 = 6.0)
    too. The same changes in a scenario file give the same inputs (hash)."""
    hi = api.change_case(toy, PRICE_UP, name="price_up")
    assert api.run(hi, save=False).objective == pytest.approx(5.0)
    assert api.run(toy, save=False).objective == pytest.approx(3.0)
    res = api.run(hi, out=tmp_path / "out")
    folder = tmp_path / "out" / "price_up"
    chain = json.loads((folder / "manifest.json").read_text())["scenario_chain"]
    assert chain[-1]["changes"] == PRICE_UP and chain[-1]["in_memory"] is True
    assert res.manifest["scenario"] == "price_up"
    assert api.verify(folder).empty
    more = api.change_case(hi, [{"table": "units", "where": {"unit": "u"},
                                 "add": {"capacity_k_per_yr": 2}}], name="bigger")
    api.run(more, out=tmp_path / "out")
    assert api.Results.load(tmp_path / "out" / "bigger").objective == pytest.approx(6.0)
    assert api.verify(tmp_path / "out" / "bigger").empty
    scen = tmp_path / "price_up.yaml"
    scen.write_text(json.dumps({"base": str(tmp_path / "toy"), "changes": PRICE_UP}))
    assert api.run(str(scen), save=False).manifest["input_hash"] == res.manifest["input_hash"]


def test_a_recorded_change_edited_is_other_inputs(toy, tmp_path):
    """A manifest whose recorded changes were edited (1.5 -> 2.0) re-runs other inputs:
    verify says the inputs changed, not that the plan drifted, and names the recorded
    changes (it said the case's data were edited, which they were not)."""
    api.run(api.change_case(toy, PRICE_UP, name="price_up"), out=tmp_path)
    mf = tmp_path / "price_up" / "manifest.json"
    m = json.loads(mf.read_text())
    m["scenario_chain"][-1]["changes"][0]["scale"]["price_usd_per_unit"] = 2.0
    mf.write_text(json.dumps(m))
    with pytest.raises(InputsChangedError, match=r"with the changes made in memory that "
                                                 r"manifest.json records \(price_up\) now "
                                                 r"hashes to .*; the data or those recorded "
                                                 r"changes were edited"):
        api.verify(tmp_path / "price_up")


@pytest.mark.parametrize(("changes", "name", "said"), [
    ([{"table": "markets", "where": {"commodity": "prodcut"}, "scale": {"price_usd_per_unit": 2}}],
     "changed", "changed (in memory) changes[0]: selector {commodity: prodcut} matches no row "
                "of markets.csv; did you mean 'product'?"),
    ([{"table": "units", "where": {"unit": "u"}, "add": {"capacity_k_per_yr": -20}}],
     "changed", "changed (in memory) changes[0]: units.csv row u, column capacity_k_per_yr: "
                "must be at least 0 (found '-10')"),
    ({"table": "markets"}, "changed", "changed (in memory): changes: must be a list of changes"),
    ([{"case": {"discount_rate": float("nan")}}], "changed",
     "changed (in memory): changes: not plain data (Out of range float values are not JSON "
     "compliant"),
    (PRICE_UP, "../up", "../up (in memory): name: '../up' is not a valid scenario name"),
    ([{"table": "markets", "where": {"commodity": "product"},
       "scale": {"price_usd_per_unit": 10**400}}], "changed",
     "changed (in memory) changes[0]: 'price_usd_per_unit': scale needs a finite number"),
])
def test_bad_changes_are_refused_as_a_file_s_are(toy, changes, name, said):
    with pytest.raises(InputError) as e:
        api.change_case(toy, changes, name=name)
    assert said in str(e.value)


def test_changes_in_memory_go_at_most_as_deep_as_a_chain_of_files(toy, tmp_path):
    """32 changes one on another are as deep as a chain of scenario files may be: a 33rd
    is refused, and so is a manifest recording 33 (verify would apply them all)."""
    from chainopt.case.scenario import MAX_CHAIN

    up = [{"table": "markets", "where": {"commodity": "product"},
           "scale": {"price_usd_per_unit": 1.0}}]
    case = toy
    for i in range(MAX_CHAIN):
        case = api.change_case(case, up, name=f"c{i}")
    with pytest.raises(InputError, match=r"already changed in memory 32 times"):
        api.change_case(case, up, name="one_more")
    api.run(case, out=tmp_path)
    mf = tmp_path / "c31" / "manifest.json"
    m = json.loads(mf.read_text())
    m["scenario_chain"].append({**m["scenario_chain"][-1], "name": "c32"})
    mf.write_text(json.dumps(m))
    with pytest.raises(InputError, match=r"33 changes made in memory one on another, at "
                                         r"most 32"):
        api.verify(tmp_path / "c31")
