"""The model as a file and its numerics: MPS/LP export with readable names, and the
smallest and largest coefficients with the inputs behind them.

Which input file a family's coefficients come from is its spec's ``inputs``
(:mod:`chainopt.models.registry`).
"""

from __future__ import annotations

import highspy
import numpy as np
import pandas as pd

from chainopt.diagnose.names import column_names, input_behind, matrix_entry, name_of, row_names
from chainopt.errors import SolverError
from chainopt.models.build import BuiltModel
from chainopt.solve import new_highs, to_highs_lp


def named_highs(built: BuiltModel) -> highspy.Highs:
    """A HiGHS copy of the model whose rows and columns carry readable names."""
    lp = to_highs_lp(built)
    lp.col_names_ = column_names(built)
    lp.row_names_ = row_names(built)
    h = new_highs()
    h.passModel(lp)
    return h


def export_model(built: BuiltModel, path: str) -> None:
    """Write the model as MPS or LP (by the file's extension) with readable names."""
    status = named_highs(built).writeModel(str(path))
    if status == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS could not write the model to {path}")


def coefficient_ranges(built: BuiltModel) -> pd.DataFrame:
    """Smallest and largest |coefficient| of the matrix, costs, column bounds and row
    bounds, with the row/column they come from and the input behind them."""
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
