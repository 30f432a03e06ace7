"""Item 6 of issue 13: numeric options reject zero, negative and non-finite values with
exit 2 and the valid range; nothing invalid reaches a manifest."""

from __future__ import annotations

import json

import pytest
import yaml

from chainopt import api
from chainopt.errors import InputError
from chainopt.solve import SolveOptions
from tests.hardening.conftest import cli

HDPE = "markets.price_usd_per_unit[commodity=hdpe]*=1,2"

CASES = [
    (["run", "small_chain", "--time-limit"], ["0", "-1", "inf", "nan"], "finite number > 0"),
    (["run", "small_chain", "--threads"], ["0", "-2", "257"], "from 1 to 256"),
    (["run", "small_chain", "small_chain", "--jobs"], ["0", "-1"], "from 1 to"),
    (["sweep", "small_chain", "--set", HDPE, "--jobs"], ["0", "-4"], "from 1 to"),
    (["sweep", "small_chain", "--set", HDPE, "--time-limit"], ["0", "-inf"],
     "finite number > 0"),
    (["sweep", "small_chain", "--samples"], ["-1", "100001"], "from 0 to 100000"),
    (["sweep", "small_chain", "--set", HDPE, "--seed"], ["-1"], "from 0 to"),
    (["verify", "results/x", "--rtol"], ["0", "-1e-6", "inf", "nan"], "finite number > 0"),
    (["verify", "results/x", "--atol"], ["0", "-1", "inf"], "finite number > 0"),
    (["snapshot", "check", "--rtol"], ["0", "nan"], "finite number > 0"),
    (["snapshot", "check", "--atol"], ["-1"], "finite number > 0"),
    (["snapshot", "check", "--jobs"], ["0", "-2"], "from 1 to"),
    (["explain", "small_chain", "--top"], ["0", "-3"], ">= 1"),
    (["compare", "a", "b", "--rows"], ["0"], ">= 1"),
    (["compare", "a", "b", "--jobs"], ["0"], "from 1 to"),
]


@pytest.mark.parametrize(("argv", "value", "words"),
                         [(a, v, w) for a, vs, w in CASES for v in vs],
                         ids=[f"{a[0]} {a[-1]} {v}" for a, vs, _ in CASES for v in vs])
def test_bad_option_is_a_usage_error_with_the_range(tmp_path, argv, value, words):
    out = ["--out", tmp_path / "out"] if argv[0] in ("run", "sweep") else []
    _code, text = cli(*argv, value, *out, code=2)
    assert words in text
    assert not (tmp_path / "out").exists()


def test_api_rejects_what_the_cli_would(tmp_path):
    for opts in (SolveOptions(time_limit_s=float("inf")), SolveOptions(threads=0),
                 SolveOptions(time_limit_s=-1.0), SolveOptions(mip_gap=float("nan"))):
        with pytest.raises(InputError):
            api.run("small_chain", out=tmp_path, options=opts)
    assert list(tmp_path.iterdir()) == []


def test_case_yaml_solver_limits_must_be_finite(small_copy):
    meta = yaml.safe_load((small_copy / "case.yaml").read_text())
    meta["solver"]["time_limit_s"] = float("inf")
    (small_copy / "case.yaml").write_text(yaml.safe_dump(meta))
    _code, text = cli("validate", small_copy, code=1)
    assert "time_limit_s" in text


def test_manifest_holds_only_valid_options(tmp_path):
    cli("run", "small_chain", "--out", tmp_path, "--time-limit", "60", "--threads", "1",
        code=0)

    def refuse(token):  # NaN, Infinity, -Infinity are not JSON
        raise AssertionError(f"{token} in manifest.json")

    m = json.loads((tmp_path / "small_chain" / "manifest.json").read_text(),
                   parse_constant=refuse)
    assert m["solver_options"]["time_limit_s"] == 60
    assert m["solver_options"]["threads"] == 1
