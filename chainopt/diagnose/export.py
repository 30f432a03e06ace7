"""The model as a file and its numerics: MPS/LP export with readable names, and the
smallest and largest coefficients with the inputs behind them.

Which input file a family's coefficients come from is its spec's ``inputs``
(:mod:`chainopt.models.registry`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from chainopt.diagnose.names import column_names, input_behind, matrix_entry, name_of, row_names
from chainopt.models.build import BuiltModel
from chainopt.solve import Highs, highs_with_names, write_model

#: the name of the column, fixed at 1, whose cost is the objective's constant in an
#: exported file (:func:`named_highs`)
CONSTANT_COLUMN = "objective_constant"


def named_highs(built: BuiltModel) -> Highs:
    """A HiGHS copy of the model whose rows and columns carry readable names, stated so
    that every MPS/LP reader takes it the same way: a **minimisation** of minus chainopt's
    objective (CBC 2.10 ignores an MPS ``OBJSENSE MAX`` section and minimised it, GLPK
    5.0 cannot read one), its constant (fixed O&M of existing capacity ...) the cost of a
    column :data:`CONSTANT_COLUMN` fixed at 1 (readers took an objective RHS with either
    sign, and GLPK cannot read an LP objective's bare constant). Its optimum is minus the
    run's objective; :func:`export_header` says so."""
    return highs_with_names(built, column_names(built), row_names(built), CONSTANT_COLUMN)


def export_note(built: BuiltModel) -> str:
    """What an exported file states of its objective, in one sentence."""
    constant = float(built.arrays.total_offset)
    held = (f"; its constant C = {constant:.10g} MUSD (fixed O&M of existing capacity and "
            f"other terms no decision changes) is the cost -C = {-constant:.10g} of the "
            f"column {CONSTANT_COLUMN}, fixed at 1" if constant else "; it has no constant")
    reported = ("the total cost chainopt reports is the file's optimum"
                if built.case.meta.objective == "cost" else
                "the NPV chainopt reports is minus the file's optimum")
    return (f"the file minimises minus the objective chainopt maximises for "
            f"{model_of(built)} ({reported}{held}); read it as a minimisation, as CBC, "
            "GLPK (glpsol --freemps or --lp) and HiGHS do by default")


def model_of(built: BuiltModel) -> str:
    """Whose model ``built`` is, as an exported file names it: ``case 'small_chain'``, or
    ``scenario 'small_port_expansion' on case 'small_chain'`` (a scenario's model is not
    its base case's: its optimum differs)."""
    chain = built.case.raw.scenario_chain
    case = f"case '{built.case.name}'"
    if chain and chain[-1].get("kind") == "scenario":
        return f"scenario '{chain[-1].get('name')}' on {case}"
    return case


def export_header(built: BuiltModel, comment: str) -> str:
    """:func:`export_note` as comment lines (``comment``: ``*`` for MPS, ``\\`` for LP)."""
    words, lines, line = export_note(built).split(), [], ""
    for w in ["chainopt:", *words]:
        if line and len(line) + 1 + len(w) > 76:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    lines.append(line)
    return "".join(f"{comment} {x}\n" for x in lines)


def export_model(built: BuiltModel, path: str) -> None:
    """Write the model as MPS or LP (by the file's extension) with readable names, as
    :func:`named_highs` states it, a comment at the top saying so."""
    write_model(named_highs(built), path)
    target = Path(path)
    body = target.read_bytes()
    lp = target.suffix.lower() == ".lp"
    if lp:
        body = _portable_sections(body)
    target.write_bytes(export_header(built, "\\" if lp else "*").encode() + body)


#: HiGHS's LP section keywords for integer and semi-continuous columns, and the long
#: forms every LP reader knows (CBC 2.10's reads neither "bin" nor "gen" and solved a
#: MIP's LP file as its relaxation: 3.0 for a cost of 3.4)
_LONG_SECTIONS = {b"bin": b"binaries", b"gen": b"generals", b"semi": b"semi-continuous"}


def _portable_sections(body: bytes) -> bytes:
    """An LP file's integer sections under their long names, and without the empty ones
    HiGHS writes (a keyword followed at once by another or by ``end``)."""
    lines = body.split(b"\n")
    out = []
    for i, line in enumerate(lines):
        key = line.strip()
        if key in _LONG_SECTIONS:
            following = lines[i + 1].strip() if i + 1 < len(lines) else b"end"
            if following in _LONG_SECTIONS or following == b"end":
                continue  # an empty section
            line = _LONG_SECTIONS[key]
        out.append(line)
    return b"\n".join(out)


def coefficient_ranges(built: BuiltModel) -> pd.DataFrame:
    """Smallest and largest |coefficient| of the matrix, costs, column bounds and row
    bounds, with the row/column they come from and the input behind them; made once per
    model (``BuiltModel.derive``: ``chainopt run`` makes it while HiGHS solves)."""
    return built.derive("coefficient_ranges", _coefficient_ranges)


def _coefficient_ranges(built: BuiltModel) -> pd.DataFrame:
    a = built.arrays
    vf, rf = built.lp.var_families, built.lp.row_families

    def cols(k: int) -> str:
        return name_of(vf, int(k))

    def rows(k: int) -> str:
        return name_of(rf, int(k))

    out = []

    def add(what: str, vals: np.ndarray, where) -> None:
        vals = np.abs(vals)
        keep = np.flatnonzero(np.isfinite(vals) & (vals > 0))
        if not len(keep):
            return
        v = vals[keep]
        i, j = int(keep[np.argmin(v)]), int(keep[np.argmax(v)])
        wi, wj = where(i), where(j)
        out.append({"what": what, "min_abs": float(vals[i]), "min_at": wi,
                    "min_input": input_behind(wi), "max_abs": float(vals[j]), "max_at": wj,
                    "max_input": input_behind(wj),
                    "ratio": float(vals[j]) / float(vals[i])})  # inf past 1.8e308, no warning

    m = a.matrix
    if m.nnz:
        add("matrix", m.data, lambda k: matrix_entry(built, k))
    add("cost", a.cost, cols)
    nc, nr = built.num_vars, built.num_rows
    add("column bound", np.r_[a.col_lb, a.col_ub], lambda k: cols(k % nc))
    add("row bound", np.r_[a.row_lb, a.row_ub], lambda k: rows(k % nr))
    return pd.DataFrame(out, columns=["what", "min_abs", "min_at", "min_input", "max_abs",
                                      "max_at", "max_input", "ratio"])
