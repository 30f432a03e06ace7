"""A Monte Carlo sweep's distributions file: draws that follow each distribution's own
formulas, and a file that says something else refused (naming the file and key) before
anything is solved or written."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from chainopt import api
from chainopt import sweep as sw
from chainopt.errors import InputError

HDPE = "markets.price_usd_per_unit[commodity=hdpe]"


def _draws(dist: dict, n: int = 40_000, seed: int = 3) -> np.ndarray:
    spec = {"variables": [{"target": HDPE, "op": "scale", "dist": dist}]}
    return np.array([next(iter(v.values.values())) for v in sw.draw_samples(spec, n, seed)])


def test_draws_follow_each_distributions_formulas():
    """By hand, 40,000 draws (standard errors below 0.002 here):

    * uniform(0.7, 1.3): mean 1.0, 10th percentile 0.7 + 0.1 x 0.6 = 0.76, all in
      [0.7, 1.3];
    * triangular(0.5, 0.8, 1.4): mean (0.5 + 0.8 + 1.4)/3 = 0.9; F(mode) = 0.3/0.9 = 1/3,
      so the median is 1.4 - sqrt(0.5 x 0.9 x 0.6) = 0.88038 and the 10th percentile
      0.5 + sqrt(0.1 x 0.9 x 0.3) = 0.66432;
    * normal(1, 0.1) truncated to [0.95, 1.3], i.e. z in [-0.5, 3]: mean
      1 + 0.1 (phi(-0.5) - phi(3)) / (Phi(3) - Phi(-0.5))
      = 1 + 0.1 (0.352065 - 0.004432) / (0.998650 - 0.308538) = 1.050374, all in
      [0.95, 1.3].

    The same seed gives the same draws."""
    x = _draws({"type": "uniform", "low": 0.7, "high": 1.3})
    assert x.min() >= 0.7 and x.max() <= 1.3
    assert x.mean() == pytest.approx(1.0, abs=0.004)
    assert np.quantile(x, 0.1) == pytest.approx(0.76, abs=0.004)
    x = _draws({"type": "triangular", "low": 0.5, "mode": 0.8, "high": 1.4})
    assert x.min() >= 0.5 and x.max() <= 1.4
    assert x.mean() == pytest.approx(0.9, abs=0.004)
    assert np.median(x) == pytest.approx(1.4 - math.sqrt(0.5 * 0.9 * 0.6), abs=0.005)
    assert np.quantile(x, 0.1) == pytest.approx(0.5 + math.sqrt(0.1 * 0.9 * 0.3), abs=0.005)
    x = _draws({"type": "normal", "mean": 1.0, "sd": 0.1, "low": 0.95, "high": 1.3})
    assert x.min() >= 0.95 and x.max() <= 1.3
    assert x.mean() == pytest.approx(1.050374, abs=0.002)
    assert (x == _draws({"type": "normal", "mean": 1.0, "sd": 0.1, "low": 0.95,
                         "high": 1.3})).all()


@pytest.mark.parametrize("spec, says", [
    # a truncation bound misspelt: the draws were of the untruncated normal
    ({"variables": [{"target": HDPE, "dist": {"type": "normal", "mean": 1, "sd": 0.1,
                                              "min": 0.9}}]},
     "variables[0].dist.min: unknown key 'min'"),
    # the correlation misspelt: the draws were independent
    ({"variables": [{"target": HDPE, "dist": {"type": "uniform", "low": 0.7, "high": 1.3}}],
      "correlations": [[1.0]]}, "correlations: unknown key 'correlations'"),
    # the op misspelt: the value scaled the price instead of adding to it
    ({"variables": [{"target": HDPE, "opp": "add",
                     "dist": {"type": "uniform", "low": 0.7, "high": 1.3}}]},
     "variables[0].opp: unknown key 'opp'"),
    # a correlation given as text was read as the number
    ({"variables": [{"target": HDPE, "dist": {"type": "uniform", "low": 0.7, "high": 1.3}}],
      "correlation": [["1"]]}, "correlation: must be a 1x1 matrix of finite numbers"),
    ({"variables": [{"target": HDPE, "dist": {"type": "uniform", "low": 1.3, "high": 0.7}}]},
     "variables[0].dist: needs low <= high (found low 1.3, high 0.7); swap low and high"),
    ({"variables": [{"target": "markets.price_usd_per_unit[commodity=nope]",
                     "dist": {"type": "uniform", "low": 0.7, "high": 1.3}}]},
     "target markets.price_usd_per_unit[commodity=nope]: selector {commodity: nope} "
     "matches no row"),
])
def test_a_distributions_file_that_says_something_else_is_refused(tmp_path, spec, says):
    """Unknown keys were ignored, so a typo silently changed the draws (a sweep of 3 draws
    ran on each of the first four files); messages named no file ("distributions: ...",
    and a target matching no row was "--set ..."). Now each is refused naming the file
    and key, and nothing is written."""
    dist = tmp_path / "dists.yaml"
    dist.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        api.sweep("small_chain", samples=3, seed=1, distributions=dist, out=out, jobs=1)
    assert f"{dist}: {says}" in str(info.value)
    assert not out.exists()
