"""Imports point one way (DESIGN.md, *Layout*): ``cli -> api -> report -> extract/solve ->
models -> case``. Only ``chainopt/models/``, ``chainopt/solve.py`` and
``chainopt/extract.py`` import Pyomo or highspy; ``chainopt.case`` never imports the model
side, the solver or anything above it; ``chainopt.report`` never imports the api or the
CLI.

The static tests read every ``.py`` file under ``chainopt/``: every ``import`` statement,
at module top, inside a function or under ``if TYPE_CHECKING:`` alike, and every module
loaded by its name (``lazy_module("x")``, ``importlib.import_module("x")``). The run-time
tests import the input and report sides and look at ``sys.modules``, which also sees
what comes in through another library. (:mod:`tests.test_imports` checks the whole
layering of chainopt's own modules and that no two import each other.)
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "chainopt"

#: the libraries only the solver side imports, and the solver side (paths under chainopt/)
SOLVER_LIBRARIES = ("pyomo", "highspy")
SOLVER_SIDE = ("models/", "solve.py", "extract.py")

#: what each side never imports (a module and everything under it)
NEVER = {
    "case/": ("chainopt.models", "chainopt.solve", "chainopt.extract", "chainopt.report",
              "chainopt.api", "chainopt.cli"),
    "report/": ("chainopt.api", "chainopt.cli"),
}

#: calls that load a module named by their first argument
_LOADERS = {"lazy_module", "import_module", "__import__"}


def imported(source: str) -> list[tuple[int, str]]:
    """``(line, module)`` of every module ``source`` imports or loads by name; ``from a.b
    import c`` gives ``a.b`` and ``a.b.c`` (``c`` may be a module)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out += [(node.lineno, node.module)]
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) \
                else ""
            if name in _LOADERS:
                out.append((node.lineno, node.args[0].value))
    return out


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _breaches(where: str, forbidden: tuple[str, ...], skip: tuple[str, ...] = ()) -> list[str]:
    """``file:line: module`` for each import of ``forbidden`` in the files under
    ``PACKAGE/where`` ('' for all), but those under ``skip``."""
    base = PACKAGE / where
    bad = []
    for path in [base] if base.is_file() else sorted(base.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(skip):
            continue
        bad += [f"chainopt/{rel}:{line}: {module}"
                for line, module in imported(path.read_text(encoding="utf-8"))
                if _under(module, forbidden)]
    return bad


def test_only_the_solver_side_imports_pyomo_or_highspy():
    bad = _breaches("", SOLVER_LIBRARIES, skip=SOLVER_SIDE)
    assert bad == [], ("Pyomo or highspy imported outside chainopt/models/, solve.py and "
                       "extract.py (put the call in chainopt/solve.py):\n" + "\n".join(bad))


def test_the_solver_side_is_what_imports_them():
    """A self-check: the scan sees the imports that are there (solve.py's highspy, the
    Pyomo model's pyomo) and each form of import, lazy and by name."""
    assert _breaches("solve.py", ("highspy",))
    assert _breaches("models/", ("pyomo",))
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import highspy\n"
              "def f():\n    from pyomo.environ import Var  # lazy\n"
              "h = lazy_module('highspy')\nimportlib.import_module('pyomo.environ')\n"
              "from chainopt import api\n")
    got = [m for _, m in imported(source)]
    assert [m for m in got if _under(m, SOLVER_LIBRARIES)] == [
        "highspy", "pyomo.environ", "pyomo.environ.Var", "highspy", "pyomo.environ"]
    assert _under("chainopt.api", ("chainopt.api",)) and "chainopt.api" in got
    assert not _under("chainopt.apix", ("chainopt.api",))


def test_case_and_report_import_nothing_above_them():
    bad = [b for where, forbidden in NEVER.items() for b in _breaches(where, forbidden)]
    assert bad == [], "imports against the one way cli -> api -> report -> extract/solve -> " \
                      "models -> case:\n" + "\n".join(bad)


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
