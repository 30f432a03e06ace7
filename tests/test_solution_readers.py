"""Who reads the solution (DESIGN.md, *Data flow*): ``chainopt/extract.py`` is the only
reader of solution values and duals; besides it only the solver side (``solve.py``),
the model side (``models/``) and the diagnosis (``diagnose/``, which re-solves and
ranges) touch a :class:`~chainopt.solve.SolveOutcome`'s arrays. Everyone else (the
sweep, sensitivity, the reports, the api) asks extract for plain numbers and tables.

Read from the source: every attribute ``col_value``, ``row_value``, ``col_dual`` or
``row_dual`` read anywhere else fails, but for its size (``len(outcome.col_value)``:
checking that an outcome belongs to a model reads no value of it).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "chainopt"
SOLUTION = {"col_value", "row_value", "col_dual", "row_dual"}
READERS = ("extract.py", "solve.py", "models/", "diagnose/")


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
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(READERS):
            continue
        found += [f"chainopt/{rel}:{line}: .{attr}"
                  for line, attr in solution_reads(ast.parse(path.read_text("utf-8")))]
    assert not found, ("solution values read outside chainopt/extract.py (ask extract for "
                       "them):\n" + "\n".join(found))
