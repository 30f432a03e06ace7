"""The layout rules of DESIGN.md, read from the source of every ``.py`` file under
``chainopt/``: every ``import`` statement (at module top, inside a function or under
``if TYPE_CHECKING:`` alike) and every module loaded by its name (``lazy_module("x")``,
``importlib.import_module("x")``, ``__import__("x")``).

* **Imports point one way**: ``cli -> api -> batch/sweep/sensitivity/warm -> report ->
  extract/solve/diagnose/results -> models -> case -> errors/atomic`` and the other base
  modules (:data:`LAYERS`); a module imports only its own layer or lower ones, and no
  two modules import each other, directly or through others.
* **Only the solver side imports Pyomo or highspy**: ``chainopt/models/``,
  ``chainopt/solve.py`` and ``chainopt/extract.py`` (the HiGHS calls ``diagnose/`` makes
  are functions of ``solve.py``). Two run-time tests also import the input and report
  sides and look at ``sys.modules``, which sees what comes in through another library.
* **extract.py reads the solution**: besides it only the solver side (``solve.py``), the
  model side (``models/``) and the diagnosis (``diagnose/``, which re-solves and ranges)
  touch a :class:`~chainopt.solve.SolveOutcome`'s arrays (``col_value``, ``row_value``,
  ``col_dual``, ``row_dual``; their length aside). The sweep, sensitivity, the reports
  and the api ask extract for plain numbers and tables.
* **An import inside a function is deliberately lazy**, and says so in a comment.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "chainopt"

# layer of each module (by longest matching prefix); a module imports only its own
# layer or lower ones
LAYERS = {
    "chainopt.start": 8,  # the console script: catches an interrupt while cli is imported
    "chainopt.__main__": 8,  # python -m chainopt
    "chainopt.cli": 7,
    "chainopt.api": 6,
    "chainopt.batch": 5,  # several runs, given the run function by the api
    "chainopt.sweep": 5,  # sweep variants and workers, called by the api
    "chainopt.sensitivity": 5,  # break-even and tornado re-solves, called by the api
    "chainopt.warm": 5,  # a sweep's model as a map of its values, used by sweep workers
    "chainopt.report": 4,
    "chainopt.extract": 3,
    "chainopt.diagnose": 3,
    "chainopt.solve": 3,
    "chainopt.results": 3,
    "chainopt.models": 2,
    "chainopt.case": 1,
    "chainopt.errors": 0,
    "chainopt.atomic": 0,
    "chainopt.names": 0,  # snake_case names, never paths
    "chainopt.controls": 0,  # control characters written out: ESC as \x1b
    "chainopt.safe_yaml": 0,  # the one bounded YAML reader
    "chainopt.textfile": 0,  # UTF-8 text files, one error per way they can be wrong
    "chainopt.xlsx_text": 0,  # workbook rows whose formula-like text stays text
    "chainopt.xlsx_write": 0,  # the workbooks of tables written as SpreadsheetML
    "chainopt.ooxml": 0,  # xlsx and pptx files the same bytes for the same content
    "chainopt.termtable": 0,  # the terminal's tables: numbers whole, text folded
    "chainopt.interrupt": 0,  # Ctrl-C and SIGTERM: exit 130 and one line
    "chainopt.forks": 0,  # a loop's items shared out over forks of this process
    "chainopt": 0,  # the package itself: __version__
}

#: the libraries only the solver side imports, and the solver side (paths under chainopt/)
SOLVER_LIBRARIES = ("pyomo", "highspy")
SOLVER_SIDE = ("models/", "solve.py", "extract.py")
#: the arrays of a solve's outcome, and who may read them (paths under chainopt/)
SOLUTION = {"col_value", "row_value", "col_dual", "row_dual"}
READERS = ("extract.py", "solve.py", "models/", "diagnose/")

#: calls that load a module named by their first argument
_LOADERS = {"lazy_module", "import_module", "__import__"}


def imported(source: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """``(line, module, names)`` of every module ``source`` imports or loads by name:
    ``from a.b import c, d`` gives ``a.b`` with ``(c, d)`` (each may be a module), any
    other import its module with ``()``."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, ()) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.append((node.lineno, node.module, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) \
                else ""
            if name in _LOADERS:
                out.append((node.lineno, node.args[0].value, ()))
    return out


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources(skip: tuple[str, ...] = ()) -> list[tuple[str, Path]]:
    """``(path under chainopt/, path)`` of every module, but those under ``skip``."""
    return [(p.relative_to(PACKAGE).as_posix(), p) for p in sorted(PACKAGE.rglob("*.py"))
            if not p.relative_to(PACKAGE).as_posix().startswith(skip)]


# -- imports point one way ----------------------------------------------------------------
def _graph() -> dict[str, set[str]]:
    """Each chainopt module -> the chainopt modules it imports (``from chainopt.x import
    y`` is chainopt.x.y when that is a module, else chainopt.x)."""
    files = {_module_name(p): p for _, p in _sources()}
    known = set(files)
    graph = {}
    for name, path in files.items():
        deps = set()
        for _, module, names in imported(path.read_text(encoding="utf-8")):
            subs = [f"{module}.{n}" for n in names]
            deps.update(s for s in subs if s in known)
            if not subs or any(s not in known for s in subs):
                deps.add(module)
        # importing chainopt.x.y runs chainopt.x/__init__ too, but a package's own
        # __init__ is not a dependency of its modules
        graph[name] = {d for d in deps if d in known and d != name and
                       not name.startswith(d + ".")}
    return graph


def _layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def test_imports_point_one_way():
    bad = [f"{m} (layer {_layer(m)}) imports {d} (layer {_layer(d)})"
           for m, deps in sorted(_graph().items()) for d in sorted(deps)
           if _layer(d) > _layer(m)]
    assert bad == [], "\n".join(bad)


def test_no_import_circles():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def strongconnect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    assert circles == [], f"modules that import each other: {circles}"


def test_the_graph_sees_lazy_imports():
    """A self-check: a lazily loaded module is an edge (api loads report.html so)."""
    assert "chainopt.report.html" in _graph()["chainopt.api"]
    assert "chainopt.models.build" in _graph()["chainopt.api"]


def _says_lazy(lines: list[str], i: int) -> bool:
    """Line ``i`` or the block of imports, comments and blank lines right above it
    mentions "lazy"."""
    while i >= 0:
        line = lines[i].strip()
        if "lazy" in line:
            return True
        if line and not line.startswith(("#", "import ", "from ")):
            return False
        i -= 1
    return False


def test_imports_inside_functions_are_deliberately_lazy():
    """An import inside a function carries a comment saying why it is lazy (on its line or
    above it, in the same block of imports); every other import is at the top of its
    module."""
    bad = []
    for _, path in _sources():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import | ast.ImportFrom):
                        here = lines[inner.lineno - 1]
                        if not _says_lazy(lines, inner.lineno - 1):
                            bad.append(f"{path.relative_to(PACKAGE.parent)}:{inner.lineno}: "
                                       f"{here.strip()}")
    assert bad == [], "imports inside functions without a 'lazy' comment:\n" + "\n".join(bad)


# -- only the solver side imports Pyomo or highspy ----------------------------------------
def _solver_imports(where: str = "", skip: tuple[str, ...] = ()) -> list[str]:
    """``file:line: module`` for each import of Pyomo or highspy in the files under
    ``chainopt/where`` but those under ``skip``."""
    bad = []
    for rel, path in _sources(skip):
        if not rel.startswith(where):
            continue
        for line, module, names in imported(path.read_text(encoding="utf-8")):
            # (a name taken from another module counts by itself too: `from
            # chainopt.solve import highspy` is highspy all the same)
            bad += [f"chainopt/{rel}:{line}: {m}" for m in (module, *names)
                    if _under(m if m == module else f"{module}.{m}", SOLVER_LIBRARIES)
                    or (m != module and m in SOLVER_LIBRARIES)]
    return bad


def test_only_the_solver_side_imports_pyomo_or_highspy():
    bad = _solver_imports(skip=SOLVER_SIDE)
    assert bad == [], ("Pyomo or highspy imported outside chainopt/models/, solve.py and "
                       "extract.py (put the call in chainopt/solve.py):\n" + "\n".join(bad))


def test_the_scan_sees_each_form_of_import():
    """A self-check: the scan sees the imports that are there (solve.py's highspy, the
    Pyomo model's pyomo) and each form of import, lazy, for type checking and by name."""
    assert _solver_imports("solve.py") and _solver_imports("models/")
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import highspy\n"
              "def f():\n    from pyomo.environ import Var  # lazy\n"
              "h = lazy_module('highspy')\nimportlib.import_module('pyomo.environ')\n"
              "from chainopt import api\n")
    assert [(line, m) for line, m, _ in imported(source)
            if _under(m, SOLVER_LIBRARIES)] == [(3, "highspy"), (5, "pyomo.environ"),
                                                (6, "highspy"), (7, "pyomo.environ")]
    assert (8, "chainopt", ("api",)) in imported(source)
    assert not _under("chainopt.apix", ("chainopt.api",))


def test_no_relative_imports():
    """Every import names its module from ``chainopt`` down: the scans above read a
    relative one (``from ..api import run``) as no module at all, so none may be written."""
    bad = [f"chainopt/{rel}:{node.lineno}" for rel, path in _sources()
           for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
           if isinstance(node, ast.ImportFrom) and node.level]
    assert bad == [], "relative imports (write from chainopt.x import y):\n" + "\n".join(bad)


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


# -- extract.py reads the solution --------------------------------------------------------
def solution_reads(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, attribute) of every read of a solution array in ``tree`` but its length."""
    sized = {id(node.args[0]) for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
             and node.func.id == "len" and len(node.args) == 1}
    return [(node.lineno, node.attr) for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in SOLUTION
            and isinstance(node.ctx, ast.Load) and id(node) not in sized]


def test_solution_reads_find_values_not_sizes():
    """The check itself: ``outcome.col_value[3]`` and ``a @ o.row_dual`` are reads (2),
    ``len(o.row_value)`` and ``o.col_dual = d`` (a write) are not."""
    code = ("x = outcome.col_value[3]\ny = a @ o.row_dual\nn = len(o.row_value)\n"
            "o.col_dual = d\n")
    assert solution_reads(ast.parse(code)) == [(1, "col_value"), (2, "row_dual")]


def test_only_extract_solve_models_and_diagnose_read_the_solution():
    found = [f"chainopt/{rel}:{line}: .{attr}" for rel, path in _sources(skip=READERS)
             for line, attr in solution_reads(ast.parse(path.read_text("utf-8")))]
    assert not found, ("solution values read outside chainopt/extract.py (ask extract for "
                       "them):\n" + "\n".join(found))
