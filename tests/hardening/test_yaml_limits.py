"""Item 4 of issue 13: every YAML goes through one bounded loader.

A "billion laughs" document (9 levels of 9 aliases: 9**9 = 387,420,489 values once
expanded) is refused while it is composed, in every YAML chainopt reads, with exit 1
naming the file; a scenario chain deeper than 32 bases is an error, not a RecursionError.
"""

from __future__ import annotations

import time

import pytest
import yaml
from openpyxl import load_workbook

from chainopt import api
from chainopt.errors import InputError
from chainopt.safe_yaml import MAX_ALIASES, parse_yaml
from tests.hardening.conftest import cli

LAUGHS = "lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 9))


def test_billion_laughs_is_refused_fast():
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="expands to more than"):
        parse_yaml(LAUGHS, "laughs.yaml")
    print(f"billion laughs refused in {time.perf_counter() - t0:.4f} s")


def test_alias_count_and_nesting_are_bounded():
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(InputError, match="aliases"):
        parse_yaml(many, "x")
    with pytest.raises(InputError, match="nested deeper"):
        parse_yaml("[" * 10_000 + "]" * 10_000, "x")
    assert parse_yaml("a: &a 1\nb: *a\n", "x") == {"a": 1, "b": 1}  # a few aliases are fine


def test_case_yaml(small_copy):
    (small_copy / "case.yaml").write_text(LAUGHS)
    _code, text = cli("validate", small_copy, code=1)
    assert "case.yaml" in text and "YAML refused" in text


def test_scenario(tmp_path):
    sc = tmp_path / "laughs.yaml"
    sc.write_text("base: small_chain\n" + LAUGHS)
    _code, text = cli("run", sc, "--out", tmp_path / "out", code=1)
    assert "laughs.yaml" in text and "YAML refused" in text


def test_distributions(tmp_path):
    dist = tmp_path / "dist.yaml"
    dist.write_text(LAUGHS)
    _code, text = cli("sweep", "small_chain", "--samples", "3", "--distributions", dist,
                     "--out", tmp_path / "out", code=1)
    assert "dist.yaml" in text and "YAML refused" in text
    assert not (tmp_path / "out").exists()


def test_snapshot(tmp_path):
    (tmp_path / "snap.yaml").write_text(LAUGHS)
    _code, text = cli("snapshot", "check", "--dir", tmp_path, code=1)
    assert "snap.yaml" in text and "YAML refused" in text


def test_workbook_case_sheet(tmp_path):
    wb_path = tmp_path / "case.xlsx"
    api.convert("small_chain", wb_path)
    wb = load_workbook(wb_path)
    ws = wb["case"]
    ws.append(["description", LAUGHS])
    wb.save(wb_path)
    _code, text = cli("validate", wb_path, code=1)
    assert "case!B" in text and "YAML refused" in text


def test_scenario_chain_depth_is_bounded(tmp_path):
    """s0 is based on small_chain, s<i> on s<i-1>: 40 levels is refused (limit 32)."""
    (tmp_path / "s0.yaml").write_text(yaml.safe_dump({"base": "small_chain"}))
    for i in range(1, 40):
        (tmp_path / f"s{i}.yaml").write_text(yaml.safe_dump({"base": f"s{i - 1}.yaml"}))
    _code, text = cli("validate", tmp_path / "s39.yaml", code=1)
    assert "deeper than 32" in text
    cli("validate", tmp_path / "s5.yaml", code=0)  # a short chain is fine
