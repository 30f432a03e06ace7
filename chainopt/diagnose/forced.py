"""Columns the constraints force to zero, and the rows left with nothing to hold.

A row ``lo <= sum_j a_j x_j <= hi`` forces its free columns to 0 when every free column
has a lower bound of 0 and

* every ``a_j > 0`` and ``hi - c <= 0`` (``c``: the fixed columns' part of the sum):
  ``sum a_j x_j <= 0`` with ``a_j x_j >= 0`` leaves only ``x_j = 0``; or
* every ``a_j < 0`` and ``lo - c >= 0``, the mirror case.

A column forced to 0 is fixed at 0 and the rows are looked at again, until no row forces
another column: a unit of capacity 0 forces its modes' activity to 0; a build option
whose yes/no decision is fixed at "no" (``build <= max_new * y``, ``y = 0``) forces its
build, and with it the use of the capacity it would add. A row all of whose columns are
then fixed holds nothing: every solution meets it.

Fixing the forced columns and dropping those rows leaves the feasible set as it is, so
an LP's optimal plans stay the same. Its optimal basis may not: such a row binds at 0
with a value of its own (what one unit built would earn), and a cost's ranging interval
ends where that value reaches 0 while the plan holds on
(:func:`chainopt.diagnose.insight.ranging_parts` ranges the costs again without them).
"""

from __future__ import annotations

import numpy as np

from chainopt.models.lp import Matrix

#: a right-hand side within this (relative) distance of the fixed part counts as equal
TOL = 1e-9


def forced_to_zero(a: Matrix, col_lb: np.ndarray, col_ub: np.ndarray, row_lb: np.ndarray,
                   row_ub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(forced, idle)``: the columns forced to 0 (not fixed by their bounds already)
    and the rows all of whose columns are then fixed, as bool arrays. Each pass is
    vectorised over the matrix's entries; passes repeat while a row forces a new column
    (as many as the longest chain of forcing rows, a handful in practice)."""
    m, n = a.shape
    rows, cols, vals = a.row_of_entries(), a.indices.astype(np.int64), a.data
    lo, hi = np.array(col_lb, dtype=float), np.array(col_ub, dtype=float)
    forced = np.zeros(n, dtype=bool)
    rlo, rhi = np.asarray(row_lb, dtype=float), np.asarray(row_ub, dtype=float)
    while True:
        fixed = (lo == hi)[cols]
        part = np.bincount(rows, weights=vals * np.where(fixed, lo[cols], 0.0), minlength=m)
        free = ~fixed
        at_zero = free & (lo[cols] == 0)
        n_free = np.bincount(rows, weights=free, minlength=m)
        n_pos = np.bincount(rows, weights=at_zero & (vals > 0), minlength=m)
        n_neg = np.bincount(rows, weights=at_zero & (vals < 0), minlength=m)
        tol = TOL * (1 + np.abs(part))
        with np.errstate(invalid="ignore"):  # inf - part
            forcing = (n_free > 0) & (((n_pos == n_free) & (rhi - part <= tol))
                                      | ((n_neg == n_free) & (rlo - part >= -tol)))
        new = np.zeros(n, dtype=bool)
        new[cols[free & forcing[rows]]] = True
        if not new.any():
            break
        lo[new] = hi[new] = 0.0
        forced |= new
    fixed = (lo == hi)[cols]
    idle = np.bincount(rows, weights=~fixed, minlength=m) == 0
    return forced, idle & (np.diff(a.indptr) > 0)
