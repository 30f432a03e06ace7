"""Imports point one way: the input side (chainopt.case) never imports Pyomo or a solver."""

from __future__ import annotations

import subprocess
import sys


def test_case_side_imports_no_pyomo_or_solver():
    code = ("import sys, chainopt.case.load, chainopt.case.index, chainopt.case.digest; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('pyomo', 'highspy')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_report_side_imports_no_pyomo_api_or_cli():
    code = ("import sys, chainopt.report.compare, chainopt.report.economics, "
            "chainopt.case.scenario; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('pyomo', 'highspy') "
            "or m in ('chainopt.api', 'chainopt.cli')]; print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
