"""Assembling the model: index -> families -> balance -> objective -> Pyomo + arrays.

The families and their order come from :mod:`chainopt.models.registry`; balance
comes last and collects every family's balance terms. A family that adds columns or
rows its ``SPEC`` does not declare stops the build (a programming error, caught by
every test that builds a model).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from chainopt.case.index import ModelIndex, build_index
from chainopt.case.schema import Case
from chainopt.models import balance, objective
from chainopt.models.lp import LinearProgram, LPArrays, to_pyomo
from chainopt.models.registry import FAMILIES, unregistered


@dataclass
class BuiltModel:
    """A case's model: its index, the LP in matrix form and the Pyomo model."""

    case: Case
    index: ModelIndex
    lp: LinearProgram
    arrays: LPArrays
    pyomo: object
    timings: dict[str, float] = field(default_factory=dict)
    solver: object = None  # the solver's copy of the model, set by chainopt.solve.handover

    @property
    def num_vars(self) -> int:
        return self.lp.num_cols

    @property
    def num_rows(self) -> int:
        return self.lp.num_rows

    @property
    def nnz(self) -> int:
        return int(self.arrays.matrix.nnz)

    @property
    def is_mip(self) -> bool:
        return self.arrays.is_mip


def build(case: Case, pyomo: bool = True) -> BuiltModel:
    """Build the model of ``case`` (``pyomo=False`` skips the Pyomo objects)."""
    t0 = time.perf_counter()
    ix = build_index(case)
    t1 = time.perf_counter()
    lp = LinearProgram()
    for family in FAMILIES:
        family.add(lp, ix)
    balance.add(lp, {p: i for i, p in enumerate(case.meta.period_names)})
    bad = unregistered(lp)
    if bad:
        raise RuntimeError("model families not registered: " + "; ".join(bad))
    arrays = lp.arrays(*objective.vectors(lp))
    t2 = time.perf_counter()
    model = to_pyomo(lp, arrays) if pyomo else None
    t3 = time.perf_counter()
    return BuiltModel(case=case, index=ix, lp=lp, arrays=arrays, pyomo=model,
                      timings={"index_s": t1 - t0, "matrix_s": t2 - t1, "pyomo_s": t3 - t2})
