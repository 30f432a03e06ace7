"""Risk and sensitivity outputs as the README says they are (review sens3 F2-F6): the
README's exit codes and draw ids, degenerate Monte Carlo input, repeated grid values,
the tornado's colours and title and the Monte Carlo chart's labels and axis. Hand-made
inputs; charts measured with :func:`chainopt.report.charts.drawn_inside` and text
extents, as tests/report/test_chart_edges.py does."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from chainopt.cli import app
from chainopt.sweep import draw_samples

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
UNIFORM = {"variables": [{"target": "markets.price_usd_per_unit[commodity=hdpe]",
                          "op": "scale", "dist": {"type": "uniform", "low": 0.9,
                                                  "high": 1.1}}]}


def _readme() -> str:
    return " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())


def test_the_readme_gives_the_exit_code_and_the_draw_ids_chainopt_gives():
    """F2. A --swing the command line alone shows wrong is a usage error, exit 2 (the
    DESIGN's code, and the README's CLI section): checked before the scenario is read,
    so a file that is not there is not reached. The Sensitivity section said exit 1.
    Monte Carlo draws are named s00000, s00001, ... (grid points v00000, ...): the
    README's example of a failure warning named draws v00004, v00011, v00017."""
    done = runner.invoke(app, ["sensitivity", "nothere.yaml", "--project", "p", "--swing",
                               "0"])
    assert done.exit_code == 2, done.output
    text = _readme()
    said = re.findall(r"`--drivers` names known drivers, each once: both are checked "
                      r"before anything is solved \(exit (\d)", text)
    assert said == ["2"]
    ids = [v.id for v in draw_samples(UNIFORM, 3, 0)]
    assert ids == ["s00000", "s00001", "s00002"]
    warned = re.findall(r"draws failed \(\w+ \d+: ([^)]*)\)", text)
    assert warned, "the README gives an example of the warning"
    for names in warned:
        for name in re.findall(r"[a-z]\d{5}", names):
            assert name.startswith("s"), (name, names)
