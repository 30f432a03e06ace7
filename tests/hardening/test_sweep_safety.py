"""Item 7 of issue 13: a sweep writes nothing before its inputs are valid, and a setting
that fails every variant is exit 1 with the real message."""

from __future__ import annotations

import pandas as pd
import pytest

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
        "variables:\n  - {target: 'foo bar', dist: {type: uniform, low: 0, high: 1}}\n")
    _code, text = cli("sweep", "small_chain", "--samples", "2", "--distributions",
                      tmp_path / "d.yaml", "--out", tmp_path / "out", code=1)
    assert "d.yaml: variables[0].target: cannot read the target 'foo bar'" in text
    assert not (tmp_path / "out").exists()
