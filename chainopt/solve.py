"""Solving with HiGHS: hand-over, options, status -> outcome or error.

The model's arrays (the same sparse matrix the Pyomo model is built from) are passed
to HiGHS in one call (``Highs.passModel``); per-constraint hand-over through a Pyomo
writer is the known slow path and is avoided. After the solve the primal values
are loaded into the Pyomo variables.

Method: ``auto`` uses dual simplex below ``IPM_THRESHOLD`` columns and interior
point with crossover above (measured: simplex needs minutes at 100k+ columns where
IPM needs seconds); crossover keeps a basis so duals and ranging stay available.
Runs are deterministic: one thread by default, a fixed random seed.

Mixed-integer models are solved as MIPs; their marginal values come from the LP
with the integer decisions fixed at their optimal values (``fixed_lp``).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Literal

import highspy
import numpy as np

from chainopt.errors import InfeasibleError, SolverError, UnboundedError
from chainopt.models.build import BuiltModel

IPM_THRESHOLD = 100_000
INF = highspy.kHighsInf
Status = Literal["optimal", "feasible"]


@dataclass(frozen=True)
class SolveOptions:
    """What the user may set; ``None`` takes the case's ``solver`` defaults."""

    time_limit_s: float | None = None
    threads: int | None = None
    method: Literal["auto", "simplex", "ipm"] | None = None
    mip_gap: float | None = None
    random_seed: int = 0

    def resolved(self, built: BuiltModel) -> dict:
        d = built.case.meta.solver
        method = self.method or d.method
        if method == "auto":
            method = "ipm" if built.num_vars >= IPM_THRESHOLD and not built.is_mip else "simplex"
        return {
            "time_limit_s": self.time_limit_s if self.time_limit_s is not None else d.time_limit_s,
            "threads": self.threads or d.threads,
            "method": method,
            "mip_gap": self.mip_gap if self.mip_gap is not None else d.mip_gap,
            "random_seed": self.random_seed,
        }


@dataclass
class SolveOutcome:
    """A solved model: status, objective (MUSD) and the solution arrays."""

    status: Status
    objective: float
    col_value: np.ndarray
    col_dual: np.ndarray
    row_value: np.ndarray
    row_dual: np.ndarray
    options: dict
    mip_gap: float | None = None
    timings: dict[str, float] = field(default_factory=dict)
    info: dict = field(default_factory=dict)


def new_highs() -> highspy.Highs:
    """A HiGHS instance without the licence banner its constructor prints to stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    h.setOptionValue("output_flag", False)
    return h


def _new_highs(options: dict) -> highspy.Highs:
    h = new_highs()
    _set_options(h, options)
    return h


def _set_options(h: highspy.Highs, options: dict) -> None:
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", int(options["random_seed"]))
    h.setOptionValue("threads", int(options["threads"]))
    h.setOptionValue("time_limit", float(options["time_limit_s"]))
    h.setOptionValue("mip_rel_gap", float(options["mip_gap"]))
    if options["method"] == "ipm":
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "on")
    else:
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("simplex_strategy", 1)  # dual simplex
    if int(options["threads"]) == 1:
        h.setOptionValue("parallel", "off")


def to_highs_lp(built: BuiltModel) -> highspy.HighsLp:
    """The model's arrays as a HiGHS LP (row-wise matrix, maximisation)."""
    a = built.arrays
    lp = highspy.HighsLp()
    lp.num_col_ = built.num_vars
    lp.num_row_ = built.num_rows
    lp.col_cost_ = a.cost
    lp.col_lower_ = a.col_lb
    lp.col_upper_ = np.where(np.isinf(a.col_ub), INF, a.col_ub)
    lp.row_lower_ = np.where(np.isinf(a.row_lb), -INF, a.row_lb)
    lp.row_upper_ = np.where(np.isinf(a.row_ub), INF, a.row_ub)
    lp.offset_ = a.total_offset
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a.matrix.indptr
    lp.a_matrix_.index_ = a.matrix.indices
    lp.a_matrix_.value_ = a.matrix.data
    lp.a_matrix_.num_col_ = built.num_vars
    lp.a_matrix_.num_row_ = built.num_rows
    if a.is_mip:
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in a.integer.tolist()]
    return lp


def handover(built: BuiltModel, options: SolveOptions | None = None) -> highspy.Highs:
    """Pass the model to a new HiGHS instance in one call; keep it on ``built.solver``."""
    t0 = time.perf_counter()
    opts = (options or SolveOptions()).resolved(built)
    h = _new_highs(opts)
    status = h.passModel(to_highs_lp(built))
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model (passModel failed); this is a chainopt bug, "
                          "please report it with the case")
    built.solver = h
    built.timings["handover_s"] = time.perf_counter() - t0
    return h


def solve(built: BuiltModel, options: SolveOptions | None = None) -> SolveOutcome:
    """Solve ``built`` with HiGHS; return the outcome or raise the matching error."""
    opts = (options or SolveOptions()).resolved(built)
    h = built.solver if built.solver is not None else handover(built, options)
    _set_options(h, opts)
    t0 = time.perf_counter()
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
        h.setOptionValue("presolve", "off")
        h.run()
        status = h.getModelStatus()
        h.setOptionValue("presolve", "choose")
    t_solve = time.perf_counter() - t0
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    S = highspy.HighsModelStatus
    if status == S.kInfeasible:
        raise InfeasibleError(f"case '{built.case.name}' is infeasible: no plan meets every "
                              "constraint. Run `chainopt explain` on the case to see which "
                              "constraints conflict.")
    if status in (S.kUnbounded, S.kUnboundedOrInfeasible):
        raise UnboundedError(f"case '{built.case.name}' is unbounded: some quantity can grow "
                             "without limit while adding value (a missing capacity, sales cap or "
                             "supply limit). Run `chainopt explain` on the case.")
    if status == S.kOptimal:
        result_status: Status = "optimal"
    elif built.is_mip and has_sol and status in (S.kTimeLimit, S.kIterationLimit,
                                                 S.kSolutionLimit, S.kInterrupt):
        result_status = "feasible"
    else:
        raise SolverError(f"HiGHS stopped with status '{h.modelStatusToString(status)}' "
                          f"after {t_solve:.1f} s without a usable plan; raise --time-limit "
                          "or try --method ipm")
    gap = float(info.mip_gap) if built.is_mip else None
    objective = float(info.objective_function_value)
    extra = {}
    if built.is_mip:
        # the plan reported is the LP with the integer decisions fixed (its duals are the
        # marginal values); its objective, which the parts add up to, is the objective
        sol = _fixed_lp(h, built)
        extra["mip_objective"] = objective
        objective = float(built.arrays.cost @ np.asarray(sol.col_value)
                          + built.arrays.total_offset)
    else:
        sol = h.getSolution()
    col_value = np.asarray(sol.col_value)
    outcome = SolveOutcome(
        status=result_status, objective=objective, col_value=col_value,
        col_dual=np.asarray(sol.col_dual), row_value=np.asarray(sol.row_value),
        row_dual=np.asarray(sol.row_dual), options=opts, mip_gap=gap,
        timings={"solve_s": t_solve},
        info={"highs_version": h.version(), "simplex_iterations": int(info.simplex_iteration_count),
              "ipm_iterations": int(info.ipm_iteration_count),
              "model_status": h.modelStatusToString(status), **extra},
    )
    if built.pyomo is not None:
        for var, value in zip(built.pyomo._chainopt_vars, col_value.tolist(), strict=True):
            var.value = value
    return outcome


def _fixed_lp(h: highspy.Highs, built: BuiltModel):
    """Fix the integer columns at their MIP values and re-solve the LP for duals."""
    x = np.asarray(h.getSolution().col_value)
    ints = np.flatnonzero(built.arrays.integer)
    fixed = np.round(x[ints])
    h.changeColsIntegrality(len(ints), ints, np.full(len(ints), highspy.HighsVarType.kContinuous))
    h.changeColsBounds(len(ints), ints, fixed, fixed)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise SolverError("the LP with the integer decisions fixed did not solve to optimality; "
                          "marginal values are unavailable")
    sol = h.getSolution()
    # restore the MIP so the model can be solved again
    lo = built.arrays.col_lb[ints]
    hi = np.where(np.isinf(built.arrays.col_ub[ints]), INF, built.arrays.col_ub[ints])
    h.changeColsBounds(len(ints), ints, lo, hi)
    h.changeColsIntegrality(len(ints), ints, np.full(len(ints), highspy.HighsVarType.kInteger))
    return sol


def same_structure(a: BuiltModel, b: BuiltModel) -> bool:
    """True when two models differ at most in coefficients, costs and bounds."""
    ma, mb = a.arrays.matrix, b.arrays.matrix
    return (ma.shape == mb.shape and np.array_equal(ma.indptr, mb.indptr)
            and np.array_equal(ma.indices, mb.indices)
            and np.array_equal(a.arrays.integer, b.arrays.integer))


def resolve(base: BuiltModel, variant: BuiltModel, options: SolveOptions | None = None
            ) -> SolveOutcome:
    """Solve ``variant`` re-using ``base``'s HiGHS instance and basis when possible.

    If the two models have the same structure (same sparsity pattern and integer
    columns), only the changed costs, bounds, row bounds and coefficients are passed
    to the solver, which then starts from the previous optimal basis (warm start);
    ``base`` hands its solver over to ``variant``. Otherwise the variant is handed
    over and solved from scratch. ``variant.timings['warm_start']`` says which.
    """
    if base.solver is None or not same_structure(base, variant):
        handover(variant, options)
        variant.timings["warm_start"] = 0.0
        return solve(variant, options)
    t0 = time.perf_counter()
    h, a, b = base.solver, base.arrays, variant.arrays
    idx = np.flatnonzero(a.cost != b.cost)
    if len(idx):
        h.changeColsCost(len(idx), idx, b.cost[idx])
    idx = np.flatnonzero((a.col_lb != b.col_lb) | (a.col_ub != b.col_ub))
    if len(idx):
        h.changeColsBounds(len(idx), idx, b.col_lb[idx],
                           np.where(np.isinf(b.col_ub[idx]), INF, b.col_ub[idx]))
    idx = np.flatnonzero((a.row_lb != b.row_lb) | (a.row_ub != b.row_ub))
    if len(idx):
        h.changeRowsBounds(len(idx), idx, np.where(np.isinf(b.row_lb[idx]), -INF, b.row_lb[idx]),
                           np.where(np.isinf(b.row_ub[idx]), INF, b.row_ub[idx]))
    diff = np.flatnonzero(a.matrix.data != b.matrix.data)
    if len(diff):
        rows = np.repeat(np.arange(b.matrix.shape[0]), np.diff(b.matrix.indptr))
        for k in diff.tolist():
            h.changeCoeff(int(rows[k]), int(b.matrix.indices[k]), float(b.matrix.data[k]))
    if a.total_offset != b.total_offset:
        h.changeObjectiveOffset(b.total_offset)
    base.solver, variant.solver = None, h
    variant.timings["handover_s"] = time.perf_counter() - t0
    variant.timings["warm_start"] = 1.0
    return solve(variant, options)


def objective_with_fixed(built: BuiltModel, cols: np.ndarray, value: float = 0.0,
                         options: SolveOptions | None = None) -> float:
    """The optimal objective with columns ``cols`` fixed at ``value`` (e.g. a project
    switched off by fixing its build decisions at 0), on the model's own HiGHS
    instance; the columns' bounds are restored afterwards."""
    h = built.solver if built.solver is not None else handover(built, options)
    _set_options(h, (options or SolveOptions()).resolved(built))
    cols = np.asarray(cols, dtype=np.int32)
    fixed = np.full(len(cols), float(value))
    h.changeColsBounds(len(cols), cols, fixed, fixed)
    try:
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"re-solve with {len(cols)} columns fixed ended with status "
                              f"'{h.modelStatusToString(h.getModelStatus())}'")
        return float(h.getInfo().objective_function_value)
    finally:
        a = built.arrays
        h.changeColsBounds(len(cols), cols, a.col_lb[cols],
                           np.where(np.isinf(a.col_ub[cols]), INF, a.col_ub[cols]))
