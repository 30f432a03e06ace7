"""Item 7 of issue 13: a sweep writes nothing before its inputs are valid, and a setting
that fails every variant is exit 1 with the real message."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from chainopt import sweep as sw
from tests.hardening.conftest import cli

BAD_SETS = [
    ("markets.price_usd_per_unitt*=1,2", "column 'price_usd_per_unitt' does not exist"),
    ("markets.price_usd_per_unit[commodity=hdpee]*=1,2", "matches no row"),
    ("marketz.price_usd_per_unit*=1,2", "unknown table 'marketz'"),
    ("markets.price_usd_per_unit[commodity]*=1,2", "has no '='"),
    ("not a setting", "cannot read this sweep setting"),
]


@pytest.mark.parametrize(("setting", "words"), BAD_SETS)
def test_bad_setting_leaves_no_folder(tmp_path, setting, words):
    _code, text = cli("sweep", "small_chain", "--set", setting, "--out", tmp_path / "out",
                     "--jobs", "1", code=1)
    assert words in text
    assert not (tmp_path / "out").exists()


def test_bad_source_leaves_no_folder(tmp_path):
    cli("sweep", tmp_path / "nope", "--set", "markets.price_usd_per_unit*=1,2",
        "--out", tmp_path / "out", code=1)
    assert not (tmp_path / "out").exists()


def test_unknown_full_variant_leaves_no_folder(tmp_path):
    _code, text = cli("sweep", "small_chain", "--set", "markets.price_usd_per_unit*=1,2",
                     "--full", "v00009", "--out", tmp_path / "out", "--jobs", "1", code=1)
    assert "no variant with this id" in text
    assert not (tmp_path / "out").exists()


def test_setting_failing_every_variant_is_an_error_with_the_real_message(tmp_path):
    """Capacities of -1 and -2 are invalid in every variant (capacity must be >= 0): the
    sweep exits 1 quoting the validation message, and keeps no folder."""
    _code, text = cli("sweep", "small_chain", "--set", "units.capacity_k_per_yr=-1,-2",
                     "--out", tmp_path / "out", "--jobs", "1", code=1)
    assert "every variant has bad input" in text
    assert "must be at least 0" in text and "capacity_k_per_yr" in text
    assert not (tmp_path / "out" / "sweep-small_chain").exists()


def test_some_failing_variants_are_recorded_with_their_message(tmp_path):
    """tob_cdu's capacity set to -1 fails validation, set to 8000 (its value) solves: the
    sweep succeeds and the failed row carries the whole message, not only its head."""
    cli("sweep", "small_chain", "--set", "units.capacity_k_per_yr[unit=tob_cdu]=-1,8000",
        "--out", tmp_path / "out", "--jobs", "1", code=0)
    kpis = pd.read_csv(tmp_path / "out" / "sweep-small_chain" / "kpis.csv")
    bad = kpis[kpis["status"] == "InputError"]
    assert len(bad) == 1 and "must be at least 0" in bad["message"].iloc[0]
    assert (kpis["status"] == "optimal").sum() == 1


def test_resume_solves_a_damaged_part_again(tmp_path):
    """A part file overwritten with bytes is not a finished variant: --resume solves it
    again and the kpis hold both variants, as a clean sweep would."""
    cli("sweep", "small_chain", "--set", "markets.price_usd_per_unit*=1,1.1", "--out",
        tmp_path, "--jobs", "1", code=0)
    folder = tmp_path / "sweep-small_chain"
    clean = pd.read_csv(folder / "kpis.csv")
    (folder / "parts" / "v00000.csv").write_bytes(b"\x00garbage")
    (folder / "kpis.csv").unlink()
    cli("sweep", "--resume", folder, "--jobs", "1", code=0)
    again = pd.read_csv(folder / "kpis.csv")
    assert list(again["variant"]) == ["v00000", "v00001"]
    assert again["objective_musd"].tolist() == pytest.approx(clean["objective_musd"].tolist())


def test_distribution_target_is_located(tmp_path):
    (tmp_path / "d.yaml").write_text(
        "variables:\n  - {target: 'foo bar', op: scale, dist: {type: uniform, low: 0, high: 1}}\n")
    _code, text = cli("sweep", "small_chain", "--samples", "2", "--distributions",
                      tmp_path / "d.yaml", "--out", tmp_path / "out", code=1)
    assert "d.yaml: variables[0].target: cannot read the target 'foo bar'" in text
    assert not (tmp_path / "out").exists()


# --- a sweep folder someone sent: what its sweep.json and parts/ may hold ---------------

HDPE2 = "markets.price_usd_per_unit[commodity=hdpe]*=1,1.1"
SCALE = "markets.price_usd_per_unit[commodity=hdpe] scale"


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished two-variant sweep of small_chain: v00000 at the HDPE price x1,
    v00001 at x1.1."""
    out = tmp_path_factory.mktemp("sweeps")
    cli("sweep", "small_chain", "--set", HDPE2, "--out", out, "--jobs", "1", code=0)
    return out / "sweep-small_chain"


def _sent(finished, tmp_path, **meta):
    """A copy of ``finished`` whose sweep.json has ``meta`` set (``solver_options`` merged
    into the recorded ones) and whose v00001 part is gone: a resume has one variant left."""
    folder = tmp_path / "sent"
    shutil.copytree(finished, folder)
    m = json.loads((folder / "sweep.json").read_text())
    m["solver_options"].update(meta.pop("solver_options", {}))
    m.update(meta)
    (folder / "sweep.json").write_text(json.dumps(m))
    (folder / "parts" / "v00001.csv").unlink()
    return folder


@pytest.mark.parametrize(("options", "words"), [
    ({"relax": True}, "solver_options.relax: a sweep solves every variant as the case "
                      "states it"),
    ({"time_limit_s": -1}, "solver_options.time_limit_s: must be a finite number of "
                           "seconds > 0 (found -1)"),
    ({"method": "foo"}, "solver_options.method is 'foo'"),
    ({"threads": "abc"}, "solver_options.threads is 'abc'"),
    ({"threads": 1e9}, "solver_options.threads is 1000000000.0"),
    ({"threads": 10**9}, "solver_options.threads: must be a whole number from 1 to 256"),
    ({"solver": "asl:./x"}, "solver_options.solver is 'asl:./x', not a solver name"),
    ({"gap": 0.1}, "solver_options has the unknown key 'gap'"),
    ({"random_seed": -1}, "solver_options.random_seed: must be a whole number from 0 to "
                          "2,147,483,647 (found -1)"),
    ({"random_seed": 2**31}, "solver_options.random_seed: must be a whole number from 0 to "
                             "2,147,483,647 (found 2147483648)"),
])
def test_resume_checks_the_recorded_solver_options(finished, tmp_path, options, words):
    """The solver options sweep.json records pass the checks of options given on the
    command line: relax true solved every variant's LP relaxation (a sweep refuses relax),
    a time limit of -1 and method foo were passed on, threads 'abc' and 1e9 ended in a
    traceback; a random seed outside HiGHS's 0 to 2**31 - 1 was recorded as used while
    HiGHS kept its own. Each is a damaged sweep.json, exit 1, naming the key, before
    anything is solved (the missing v00001 part stays missing)."""
    folder = _sent(finished, tmp_path, solver_options=options)
    _, text = cli("sweep", "--resume", folder, "--jobs", "1", code=1)
    assert f"sweep.json: damaged sweep.json: {words}" in text, text
    assert not (folder / "parts" / "v00001.csv").exists()


@pytest.mark.parametrize(("meta", "words"), [
    ({"source": 123}, "'source' is 123,"),
    ({"source": ["a"]}, "'source' is ['a'],"),
    ({"source": True}, "'source' is True,"),
    ({"source": None}, "'source' is None,"),
    ({"source": ""}, "'source' is '',"),
    ({"source_abs": 5}, "'source_abs' is 5, not a path or null"),
])
def test_resume_needs_a_source_that_is_text(finished, tmp_path, meta, words):
    """sweep.json's source names the case swept: a number, list or true crashed with a
    TypeError traceback, and null resumed on the default case. Each is a damaged
    sweep.json, exit 1, and nothing is solved."""
    folder = _sent(finished, tmp_path, **meta)
    _, text = cli("sweep", "--resume", folder, "--jobs", "1", code=1)
    assert f"sweep.json: damaged: {words}" in text, text
    assert not (folder / "parts" / "v00001.csv").exists()


@pytest.mark.parametrize(("kind", "said"), [("[uniform]", "['uniform']"),
                                            ("{uniform: 1}", "{'uniform': 1}")])
def test_distribution_type_that_is_a_list_is_unknown(tmp_path, kind, said):
    """A list or mapping as the distribution's type is no name of one: the same message as
    an unknown name (it was a TypeError traceback: a list is no dict key), no folder."""
    (tmp_path / "d.yaml").write_text(
        "variables:\n  - target: markets.price_usd_per_unit[commodity=hdpe]\n    op: scale\n"
        f"    dist: {{type: {kind}, low: 0.9, high: 1.1}}\n")
    _, text = cli("sweep", "small_chain", "--samples", "2", "--distributions",
                  tmp_path / "d.yaml", "--out", tmp_path / "out", code=1)
    assert f"d.yaml: variables[0].dist.type: unknown distribution {said}" in text, text
    assert not (tmp_path / "out").exists()


def test_a_selector_key_given_twice_is_refused(tmp_path):
    """[commodity=hdpe,commodity=pp] selected by the last value only (pp), while kpis.csv's
    column named both: the --set and the same target in a distributions file are refused,
    exit 1, saying to give one value per key, and no folder is written."""
    twice = "markets.price_usd_per_unit[commodity=hdpe,commodity=pp]"
    _, text = cli("sweep", "small_chain", "--set", f"{twice}*=1,2", "--out",
                  tmp_path / "out", "--jobs", "1", code=1)
    assert (f"--set {twice}: selects commodity twice (commodity=hdpe, commodity=pp)"
            in text), text
    assert "give each key one value" in text
    (tmp_path / "d.yaml").write_text(
        f"variables:\n  - target: {twice}\n    op: scale\n"
        "    dist: {type: uniform, low: 0.9, high: 1.1}\n")
    _, text = cli("sweep", "small_chain", "--samples", "2", "--distributions",
                  tmp_path / "d.yaml", "--out", tmp_path / "out", code=1)
    assert "d.yaml: variables[0].target: selects commodity twice" in text, text
    assert not (tmp_path / "out").exists()


def test_resume_leaves_out_parts_of_another_sweep(finished, tmp_path):
    """Two parts with valid check values that are not this sweep's: v00007 (the grid has
    v00000 and v00001 only) and a v00001 at the HDPE price x1.3 (this sweep's v00001 is
    x1.1), both with objective 99,999. The resume leaves both out with a warning naming
    each file: v00001 is solved again (its part rewritten at x1.1, its objective the one
    the finished sweep found), v00007 is not counted: 2 variants, and 99,999 is in
    neither kpis.csv nor summary.csv."""
    folder = tmp_path / "sent"
    shutil.copytree(finished, folder)
    clean = pd.read_csv(finished / "kpis.csv")
    row = pd.read_csv(folder / "parts" / "v00001.csv").drop(columns="part_check")
    row = row.iloc[0].to_dict()
    for vid, scale in (("v00007", 5.0), ("v00001", 1.3)):
        (folder / "parts" / f"{vid}.csv").write_text(
            sw.part_text({**row, "variant": vid, SCALE: scale, "objective_musd": 99999.0}))
    (folder / "kpis.csv").unlink()
    _, text = cli("sweep", "--resume", folder, "--jobs", "1", code=0)
    assert "2 variants, 2 solved" in text
    assert (f"{folder / 'parts' / 'v00007.csv'}: not one of this sweep's variants"
            in text), text
    assert (f"{folder / 'parts' / 'v00001.csv'}: its {SCALE} is 1.3, not 1.1 as in this "
            "sweep's variant v00001" in text), text
    kpis = pd.read_csv(folder / "kpis.csv")
    assert list(kpis["variant"]) == ["v00000", "v00001"]
    assert kpis[SCALE].tolist() == [1.0, 1.1]
    assert kpis["objective_musd"].tolist() == pytest.approx(clean["objective_musd"].tolist())
    assert "99999" not in (folder / "summary.csv").read_text()
    assert pd.read_csv(folder / "parts" / "v00001.csv")[SCALE].tolist() == [1.1]


def test_a_full_variants_recorded_settings_are_checked_as_sweep_settings(tmp_path):
    """`chainopt verify` re-runs a --full variant from the settings its manifest.json
    records (``variant.settings``); the folder may come from someone else, so they get
    the checks a sweep's --set gets, each an exit 1 naming manifest.json and the key:
    two values for one setting (a variant has one), a selector selecting no row of the
    two-site toy (site zz), two settings changing a's price (the same cells), text that
    is no setting, a record that is not a mapping. Never a traceback, never a re-run."""
    from chainopt import api
    from tests.toycase import two_sites_case

    case = two_sites_case(tmp_path / "toy")
    api.sweep(str(case), sets=["markets.price_usd_per_unit[site=a]*=0.5,1.5"], out=tmp_path,
              name="grid", jobs=1, full=["v00001"])
    path = tmp_path / "sweep-grid" / "variants" / "v00001" / "manifest.json"
    manifest = json.loads(path.read_text())
    price = "markets.price_usd_per_unit"
    for settings, where, words in [
            ([f"{price}[site=a]*=1.5,2"], "variant.settings[0]", "gives 2 values"),
            ([f"{price}[site=zz]*=1.5"], f"variant.settings: {price}[site=zz]",
             "matches no row"),
            ([f"{price}[site=a]*=1.5", f"{price}*=2"], "variant.settings[0] "
             f"'{price}[site=a]*=1.5' and settings[1] '{price}*=2'", "both change"),
            (["bogus"], "variant.settings[0] 'bogus'", "cannot read this sweep setting"),
            ("x", "variant", "damaged: not the record of a sweep variant")]:
        path.write_text(json.dumps({**manifest, "variant": {**manifest["variant"],
                                                            "settings": settings}}))
        _code, text = cli("verify", path.parent, code=1)
        assert f"{path}: {where}" in text and words in text, text
