"""Solving: the matrix straight to HiGHS, or the Pyomo model to any Pyomo solver;
options; status -> outcome or error.

Two hand-overs of one model (:func:`takes_pyomo_path` decides which, in one place):

* **matrix** (the default, fast): the model's arrays are passed to HiGHS in one call
  (``Highs.passModel``); no Pyomo object is made or imported.
* **pyomo**: the Pyomo model (``BuiltModel.pyomo``, made from the same arrays) is
  solved with a Pyomo solver: when a solver is named (``SolveOptions.solver``,
  ``chainopt run --solver``) or the model was extended (``BuiltModel.extend``, or
  components added to ``built.pyomo`` by hand). ``highs`` goes through Pyomo's own
  HiGHS interface (appsi, fed the variables in column order so that HiGHS sees the
  very LP of the matrix path and returns the same vertex and duals); ``cbc``,
  ``glpk``, ``gurobi``, ``cplex`` ... through their Pyomo plugins. Primal values,
  duals and reduced costs (Pyomo ``dual``/``rc`` suffixes, where the solver gives
  them) are mapped back into the column/row arrays of :class:`SolveOutcome`
  (:func:`chainopt.models.pyomo_model.solution_arrays`), so extraction is the same.
  Statuses map to the same errors as on the matrix path. An extension's nonlinear
  term is refused (InputError, naming it) before a solver that takes linear terms only
  (:data:`LINEAR_SOLVERS`; :func:`chainopt.models.pyomo_model.nonlinear`).

After a matrix solve the primal values are also loaded into the Pyomo variables if
the Pyomo model has been built.

Method: ``auto`` is dual simplex, for an LP of any size and a MIP's LPs. On ten
generated chains of 100k to 1M columns (seeds 0 to 4, 2 to 12 periods, 8 to 16 units
a site, 30 to 60 commodities) it reached the same optimum 2.1 to 4.7 times faster
than interior point with crossover, for 2 to 12 % more memory (README, *Big cases and
the solver method*). ``ipm`` is interior point with crossover: crossover ends at a
basis, so marginal values and ranging stay available either way.
Runs are deterministic: one thread by default, a fixed random seed.

Mixed-integer models are solved as MIPs; their marginal values come from the LP
with the integer decisions fixed at their optimal values (``fixed_lp``), on both
paths (on the Pyomo path every integer variable, a user's too, is fixed by its
bounds and made continuous for that LP, then restored). A warm re-solve of a MIP whose
integer columns are all fixed at whole numbers (a project held built or held off: a
sensitivity's, a sweep's project values) is solved as the LP it equals, from the last
basis (:func:`whole_fixed`, :func:`as_lp`).

Options on the Pyomo path: time limit, threads, MIP gap and seed are passed under
each solver's own option names where chainopt knows them (:data:`OPTION_NAMES`; another
option asked is refused, one at its default recorded as not passed:
:func:`check_passed_options`);
``method`` applies to HiGHS only.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import io
import math
import os
import re
import select
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import highspy
import numpy as np
import pyarrow as pa

from chainopt import __version__
from chainopt.case.load import case_argument
from chainopt.case.schema import IN_MEMORY, SolverDefaults
from chainopt.errors import (
    InfeasibleError,
    InputError,
    Problem,
    SolverError,
    UnboundedError,
    shell_word,
)
from chainopt.models.build import BuiltModel
from chainopt.results import best_bound

#: HiGHS's MIP settings chainopt changes. chainopt's integer decisions are build
#: decisions (projects all or nothing, minimum sizes, fixed charges, falling capex
#: curves) over a tight LP: HiGHS closes the gap at its root or in a few nodes. Its
#: sub-MIP heuristics (RINS and RENS, each a smaller MIP solved with its own presolve,
#: 42 of them on the default case's all-projects scenario) and its restarts after
#: fixing columns at the root took most of such a solve: 1.7 s of which 1.4 s in
#: sub-MIPs, 0.2-0.3 s without them, the same optimum (measured on every MIP scenario of
#: scenarios/, four of them with four seeds each, and on generated cases with 464 and
#: 4,000 binaries: 19.3 -> 3.3 s and 52 -> 46 s; README, *Big cases and the solver
#: method*).
MIP_SETTINGS: dict[str, Any] = {"mip_heuristic_run_rins": False,
                                "mip_heuristic_run_rens": False, "mip_allow_restart": False}
#: HiGHS's root reduced-cost heuristic (another sub-MIP, on the columns whose reduced
#: costs are small) runs for a MIP of this many integer columns or more. With fewer it
#: costs most of what is left of the solve: off, the project scenarios of scenarios/
#: solve 2-3.5 times faster (ru_all_projects 0.20 -> 0.06 s, 28 binaries; its annual
#: form 1.60 -> 0.43 s, 117), a generated MIP of 296 binaries 2.0 -> 0.9 s, the same
#: optima. From some hundreds on it pays for itself: a generated case of 464 binaries
#: took 3.7 s without it, 3.3 s with it, one of 4,000 60 s against 46 s
#: (benchmarks/bench_mip.py).
ROOT_REDUCED_COST_FROM = 300
INF = highspy.kHighsInf
#: a HiGHS instance and a HiGHS basis, by names that modules outside the solver side
#: (:mod:`chainopt.diagnose`), which never import highspy, annotate with
Highs = highspy.Highs
HighsBasis = highspy.HighsBasis
MAX_SEED = 2**31 - 1  # the largest random_seed HiGHS takes (its option's range: 0 to it)
Status = Literal["optimal", "feasible"]


@dataclass(frozen=True)
class SolveOptions:
    """What the user may set; ``None`` takes the case's ``solver`` defaults."""

    time_limit_s: float | None = None
    threads: int | None = None
    method: Literal["auto", "simplex", "ipm"] | None = None
    mip_gap: float | None = None
    random_seed: int = 0  # 0 to MAX_SEED, HiGHS's range
    solver: str | None = None  # None: the matrix straight to HiGHS; a name: through Pyomo
    relax: bool = False  # solve the LP relaxation of a MIP (integer decisions made continuous)

    def resolved(self, built: BuiltModel) -> dict:
        """The options ``built`` is solved with (recorded as ``solver_options``); ``relax``
        is true also for a model relaxed before (``BuiltModel.relaxed``): what was solved."""
        opts = self.resolved_for(built.case.meta.solver)
        return {**opts, "relax": opts["relax"] or built.relaxed > 0}

    def resolved_for(self, d: SolverDefaults) -> dict:
        """The options a model of a case whose solver defaults are ``d`` is solved with:
        each option given here, else ``d``'s; ``auto`` is dual simplex."""
        method = self.method or d.method
        if method == "auto":
            method = "simplex"
        return {
            "time_limit_s": self.time_limit_s if self.time_limit_s is not None else d.time_limit_s,
            "threads": self.threads or d.threads,
            "method": method,
            "mip_gap": self.mip_gap if self.mip_gap is not None else d.mip_gap,
            "random_seed": self.random_seed,
            "solver": self.solver,
            "relax": self.relax,
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
    tables: dict = field(default_factory=dict)  # extra result tables (a user's extension)
    # an extended model's own objective terms at the plan (MUSD, maximised): the active
    # objective's value there minus chainopt's terms, cost x + offset (``npv_extension``)
    extension_value: float | None = None

    def with_duals_of(self, other: SolveOutcome) -> SolveOutcome:
        """This plan with the duals of ``other``, a solve of the same LP (at a degenerate
        optimum another optimal vertex's duals, each complementary to this plan)."""
        return replace(self, row_dual=other.row_dual, col_dual=other.col_dual)

    def __repr__(self) -> str:
        """One line (the dataclass's own printed every value of the solution)."""
        gap = f", MIP gap {self.mip_gap:.3g}" if self.mip_gap is not None else ""
        return (f"SolveOutcome({self.status}, objective {self.objective:,.10g} MUSD"
                f"{gap}, {len(self.col_value):,} columns, {len(self.row_value):,} rows)")


@functools.cache
def highs_version() -> str:
    """The version of the HiGHS library chainopt solves with (as results record it)."""
    return new_highs().version()


def made_by() -> dict[str, str]:
    """What makes a solve's numbers besides its inputs and options: chainopt's and
    HiGHS's versions (another formulation or solver release may give other numbers, or
    another optimal vertex)."""
    return {"chainopt": __version__, "highs": highs_version()}


#: held while the process's standard output is on the null device (:func:`new_highs`)
_BANNER_MUTED = threading.Lock()


def new_highs() -> highspy.Highs:
    """A HiGHS instance without the licence banner its constructor prints to stdout: the
    process's standard output (file descriptor 1) is put on the null device meanwhile,
    one instance at a time (two threads making one at once each kept the other's null
    device as "the" standard output to put back, and everything printed after went
    nowhere)."""
    with _BANNER_MUTED:
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


def run_highs(h: highspy.Highs) -> None:
    """``h.run()``, the one way chainopt runs HiGHS. HiGHS's thread pool belongs to the
    process and its first run fixes its size; an instance asking for another number of
    threads (after, say, a ranging or diagnosis LP solved with HiGHS's default) is
    refused without a status: then the pool is reset and the run repeated."""
    if (h.run() == highspy.HighsStatus.kError
            and h.getModelStatus() == highspy.HighsModelStatus.kNotset):
        highspy.Highs.resetGlobalScheduler(True)
        h.run()


def run_interruptible(h: highspy.Highs) -> None:
    """``run_highs(h)``, stopped at once by Ctrl-C or SIGTERM (:func:`_stoppable`)."""
    with _stoppable(lambda: h):
        run_highs(h)


@contextlib.contextmanager
def _stoppable(instance: Callable[[], highspy.Highs | None]):
    """Ctrl-C, and SIGTERM where a Python handler takes it (the CLI's), stop at once the
    HiGHS solve run in the block: ``instance()``, the highspy instance (appsi makes its
    own when the solve starts: asked for again until it exists).

    Python runs signal handlers only between its own steps, so a solve would hold the
    signal until HiGHS ends (minutes on a large case). Here HiGHS still runs on this
    thread (its memory comes from this thread's C heap), but the signal also wakes a
    watcher through ``signal.set_wakeup_fd``: the watcher switches on HiGHS's
    interrupt check and asks it to stop. While HiGHS runs, the signal is only recorded
    (HiGHS's check runs Python, where an exception would cross HiGHS's C++ frames: appsi
    HiGHS, whose check is on, ended a Ctrl-C as a solve error, exit 4); once the block
    has ended, SIGTERM's own handler is called (the CLI's raises KeyboardInterrupt) and
    Ctrl-C raises KeyboardInterrupt. SIGTERM with Python's default handler ends the
    process at once anyway. Yields the list of signals received. Off the main thread,
    where signals cannot be handled, this only yields."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    kinds = [signal.SIGINT] + ([signal.SIGTERM] if callable(signal.getsignal(signal.SIGTERM))
                               else [])
    wake, hear = socket.socketpair()
    wake.setblocking(False)
    finished = threading.Event()

    def watch() -> None:
        pending = False
        while not finished.is_set():
            if select.select([hear], [], [], 0.05 if pending else None)[0]:
                got = hear.recv(64)  # the numbers of the signals received
                pending = pending or any(k in got for k in kinds)
            h = instance() if pending and not finished.is_set() else None
            if h is not None and hasattr(h, "cancelSolve"):  # highspy >= 1.8
                h.HandleUserInterrupt = True
                h.cancelSolve()
                return

    old = {k: signal.signal(k, lambda signum, _frame: caught.append(signum)) for k in kinds}
    old_fd = signal.set_wakeup_fd(wake.fileno(), warn_on_full_buffer=False)
    watcher = threading.Thread(target=watch, name="chainopt-ctrl-c", daemon=True)
    watcher.start()
    try:
        yield caught
    finally:
        finished.set()
        with contextlib.suppress(OSError):
            wake.send(b"\0")  # wakes the watcher (not a signal number)
        watcher.join()
        signal.set_wakeup_fd(old_fd)
        for k, handler in old.items():
            # (None: a handler not set from Python, which Python cannot put back)
            signal.signal(k, handler if handler is not None else signal.default_int_handler)
        wake.close()
        hear.close()
        h = instance()
        if h is not None and getattr(h, "HandleUserInterrupt", False):
            h.HandleUserInterrupt = False  # the instance solves normally again
        term = old.get(signal.SIGTERM)
        if signal.SIGTERM in caught and callable(term):
            term(signal.SIGTERM, None)
        if caught:
            raise KeyboardInterrupt


def highs_options(options: dict, integers: int = 0) -> dict[str, Any]:
    """HiGHS option values for resolved options (the same on both hand-overs), for a
    model of ``integers`` integer columns.

    A MIP is solved without HiGHS's sub-MIP heuristics RINS and RENS and without its
    restarts (:data:`MIP_SETTINGS`), and with its root reduced-cost heuristic only from
    :data:`ROOT_REDUCED_COST_FROM` integer columns on (an LP ignores all four)."""
    o: dict[str, Any] = {
        "output_flag": False, "random_seed": int(options["random_seed"]),
        "threads": int(options["threads"]), "time_limit": float(options["time_limit_s"]),
        "mip_rel_gap": float(options["mip_gap"]), **MIP_SETTINGS,
        "mip_heuristic_run_root_reduced_cost": integers >= ROOT_REDUCED_COST_FROM}
    if options["method"] == "ipm":
        o.update(solver="ipm", run_crossover="on")
    else:
        o.update(solver="simplex", simplex_strategy=1)  # dual simplex
    if int(options["threads"]) == 1:
        o["parallel"] = "off"
    return o


def _set_options(h: highspy.Highs, options: dict, built: BuiltModel) -> None:
    """Set each of :func:`highs_options` for ``built`` on ``h``; a value HiGHS refuses (it
    would keep its default while the manifest records the value) is a SolverError."""
    for key, value in highs_options(options, int(built.arrays.integer.sum())).items():
        if h.setOptionValue(key, value) == highspy.HighsStatus.kError:
            raise SolverError(f"HiGHS refused its option {key} = {value!r}")


def model_arrays(built: BuiltModel, relaxed: bool = False,
                  col_lower: np.ndarray | None = None, col_upper: np.ndarray | None = None,
                  free_rows: np.ndarray | None = None) -> dict:
    """The model's arrays as HiGHS takes them (row-wise matrix, maximisation, HiGHS's
    infinity for unbounded sides), ``col_lower``/``col_upper`` in place of the model's
    column bounds where given; ``relaxed``: every column continuous; ``free_rows``: the
    rows (a bool mask) given no bounds."""
    a = built.arrays
    ub = a.col_ub if col_upper is None else col_upper
    free = False if free_rows is None else free_rows
    return {
        "cost": np.ascontiguousarray(a.cost, dtype=np.float64),
        "col_lower": np.ascontiguousarray(a.col_lb if col_lower is None else col_lower,
                                          dtype=np.float64),
        "col_upper": np.where(np.isinf(ub), INF, ub).astype(np.float64),
        "row_lower": np.where(np.isinf(a.row_lb) | free, -INF, a.row_lb).astype(np.float64),
        "row_upper": np.where(np.isinf(a.row_ub) | free, INF, a.row_ub).astype(np.float64),
        "start": np.asarray(a.matrix.indptr, dtype=np.int32),  # (HiGHS copies them)
        "index": np.asarray(a.matrix.indices, dtype=np.int32),
        "value": np.asarray(a.matrix.data, dtype=np.float64),
        # HighsVarType: 0 continuous, 1 integer
        "integrality": (np.zeros(built.num_vars, dtype=np.int32) if relaxed or not a.is_mip
                        else a.integer.astype(np.int32)),
    }


def pass_model(h: highspy.Highs, built: BuiltModel, relaxed: bool = False,
               col_lower: np.ndarray | None = None, col_upper: np.ndarray | None = None,
               free_rows: np.ndarray | None = None) -> highspy.HighsStatus:
    """Hand the model to ``h`` as numpy arrays in one call (HiGHS copies the buffers;
    setting a ``HighsLp``'s fields instead converts every number one by one, about 0.15 s
    at 300k columns). Arguments as for :func:`model_arrays`."""
    m = model_arrays(built, relaxed, col_lower, col_upper, free_rows)
    return h.passModel(
        built.num_vars, built.num_rows, len(m["value"]), int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMaximize), float(built.arrays.total_offset), m["cost"],
        m["col_lower"], m["col_upper"], m["row_lower"], m["row_upper"], m["start"],
        m["index"], m["value"], m["integrality"])


def pass_rowwise(h: highspy.Highs, col_lower: np.ndarray, col_upper: np.ndarray,
                 row_lower: np.ndarray, row_upper: np.ndarray, start: np.ndarray,
                 index: np.ndarray, value: np.ndarray) -> highspy.HighsStatus:
    """Hand ``h`` an LP of continuous columns and no cost (a feasibility question), its
    matrix row-wise (``start`` of each row and one past the last, column ``index`` and
    ``value`` of each entry), as numpy arrays in one call."""
    n = len(col_lower)
    return h.passModel(
        n, len(row_lower), len(value), int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize), 0.0, np.zeros(n), np.asarray(col_lower, np.float64),
        np.asarray(col_upper, np.float64), np.asarray(row_lower, np.float64),
        np.asarray(row_upper, np.float64), np.asarray(start, np.int32),
        np.asarray(index, np.int32), np.asarray(value, np.float64), np.zeros(n, np.int32))


def dual_ray(h: highspy.Highs) -> np.ndarray | None:
    """HiGHS's dual ray (one entry per row: a proof of infeasibility) of the infeasible
    LP ``h`` holds (run); None when HiGHS has none (presolve found the infeasibility)."""
    status, has, ray = h.getDualRay()  # type: ignore[attr-defined]
    return np.asarray(ray, dtype=float) if status == highspy.HighsStatus.kOk and has else None


def highs_with_names(built: BuiltModel, col_names: list[str], row_names: list[str],
                     constant_column: str) -> Highs:
    """A new HiGHS instance holding the model as a file states it (through a ``HighsLp``,
    which carries names; slower than :func:`pass_model`'s arrays: for files, never for a
    solve): columns and rows named ``col_names`` and ``row_names``; the minimisation of
    minus the model's objective (every cost and the constant negated: the same feasible
    set and optimal plans, its optimum minus the model's); the objective's constant
    (``total_offset``, negated) not an offset but the cost of one more continuous column
    named ``constant_column``, fixed at 1 (none is added for a constant of 0)."""
    m = model_arrays(built)
    cost, offset = -m["cost"], -float(built.arrays.total_offset)
    lower, upper, integrality = m["col_lower"], m["col_upper"], m["integrality"]
    if offset:
        cost, lower, upper = np.r_[cost, offset], np.r_[lower, 1.0], np.r_[upper, 1.0]
        integrality = np.r_[integrality, 0]  # continuous
        col_names = [*col_names, constant_column]
    lp = highspy.HighsLp()
    lp.num_col_ = lp.a_matrix_.num_col_ = len(cost)
    lp.num_row_ = lp.a_matrix_.num_row_ = built.num_rows
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_, lp.row_upper_ = m["row_lower"], m["row_upper"]
    lp.sense_ = highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = (
        m["start"], m["index"], m["value"])
    if built.arrays.is_mip:
        lp.integrality_ = [highspy.HighsVarType(int(i)) for i in integrality.tolist()]
    lp.col_names_ = col_names
    lp.row_names_ = row_names
    h = new_highs()
    h.passModel(lp)
    return h


def write_model(h: Highs, path: str) -> None:
    """Write the model ``h`` holds as MPS or LP, by the file's extension (HiGHS's
    ``writeModel``); a SolverError if HiGHS cannot."""
    if h.writeModel(str(path)) == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS could not write the model to {path}")


#: chainopt's names of HiGHS's model statuses (:func:`model_status`)
_STATUS_NAMES = {highspy.HighsModelStatus.kOptimal: "optimal",
                 highspy.HighsModelStatus.kInfeasible: "infeasible",
                 highspy.HighsModelStatus.kUnbounded: "unbounded",
                 highspy.HighsModelStatus.kUnboundedOrInfeasible: "unbounded_or_infeasible"}


def model_status(h: Highs) -> str:
    """What HiGHS says of the model ``h`` holds after its last run: ``optimal``,
    ``infeasible``, ``unbounded``, ``unbounded_or_infeasible`` (presolve could not tell
    which: run it again without presolve), else ``other`` (a limit, an error, not run)."""
    return _STATUS_NAMES.get(h.getModelStatus(), "other")


def irreducible_iis(h: Highs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """An irreducible infeasible subset of the LP ``h`` holds (run, and infeasible), as
    HiGHS finds it from the LP (``getIis``, strategy from the LP, irreducible): its row
    indices and their bound codes, its column indices and theirs (HiGHS's
    ``IisBoundStatus``: 0 dropped, 1 null, 2 lower, 3 upper, 4 boxed, 5 free); None when
    HiGHS gives none."""
    h.setOptionValue("iis_strategy", int(highspy.IisStrategy.kIisStrategyFromLp.value)
                     | int(highspy.IisStrategy.kIisStrategyIrreducible.value))
    try:
        status, iis = h.getIis()
    except Exception:  # pragma: no cover - older highspy
        return None
    if status != highspy.HighsStatus.kOk or iis is None or not iis.valid_ or not (
            len(iis.row_index_) or len(iis.col_index_)):
        return None
    return (np.asarray(iis.row_index_, dtype=np.int64), np.asarray(iis.row_bound_, dtype=np.int64),
            np.asarray(iis.col_index_, dtype=np.int64), np.asarray(iis.col_bound_, dtype=np.int64))


class Ranging:
    """HiGHS's cost and bound ranging of an optimal basis (``getRanging``), the ends of
    each interval as numpy arrays: ``col_cost_dn``/``_up``, ``col_bound_dn``/``_up``,
    ``row_bound_dn``/``_up``. highspy hands each over as a new Python list of floats on
    every access (about 10 ms for 160k values); each is converted once, when first read."""

    def __init__(self, ranging: highspy.HighsRanging) -> None:
        self._ranging = ranging

    def _values(self, name: str) -> np.ndarray:
        return np.array(getattr(self._ranging, name).value_, dtype=np.float64)

    col_cost_dn = functools.cached_property(lambda self: self._values("col_cost_dn"))
    col_cost_up = functools.cached_property(lambda self: self._values("col_cost_up"))
    col_bound_dn = functools.cached_property(lambda self: self._values("col_bound_dn"))
    col_bound_up = functools.cached_property(lambda self: self._values("col_bound_up"))
    row_bound_dn = functools.cached_property(lambda self: self._values("row_bound_dn"))
    row_bound_up = functools.cached_property(lambda self: self._values("row_bound_up"))


def highs_ranging(h: Highs) -> Ranging | None:
    """HiGHS's cost and bound ranging of the optimal basis ``h`` holds (:class:`Ranging`);
    None when HiGHS gives none."""
    status, r = h.getRanging()
    return Ranging(r) if status == highspy.HighsStatus.kOk and r.valid else None


def basic_masks(h: Highs, num_rows: int, num_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Which rows and which columns are basic in ``h``'s optimal basis (two bool arrays).

    From HiGHS's list of basic variables, one per row and a numpy array already:
    entry ``k >= 0`` is column ``k``, ``k < 0`` is row ``-1 - k``. The basis statuses
    themselves come to Python as one enum object per row and column (about a
    microsecond each); they are read only if HiGHS has no factored basis to list."""
    listed = getattr(h, "getBasicVariables", None)  # (not in every highspy's stubs)
    status, basic = listed() if listed else (highspy.HighsStatus.kError, [])
    if status == highspy.HighsStatus.kOk and len(basic) == num_rows:
        k = np.asarray(basic, dtype=np.int64)
        rows, cols = np.zeros(num_rows, dtype=bool), np.zeros(num_cols, dtype=bool)
        cols[k[k >= 0]] = True
        rows[-1 - k[k < 0]] = True
        return rows, cols
    b = h.getBasis()
    kb = int(highspy.HighsBasisStatus.kBasic)
    return (np.fromiter(map(int, b.row_status), dtype=np.int64, count=num_rows) == kb,
            np.fromiter(map(int, b.col_status), dtype=np.int64, count=num_cols) == kb)


def basis_statuses(h: highspy.Highs) -> tuple[list[int], list[int]] | None:
    """The basis ``h`` holds as whole numbers (HiGHS's ``HighsBasisStatus`` values,
    columns then rows), which pickle, unlike HiGHS's basis object; None when it holds
    no valid basis. :func:`set_basis_statuses` gives it to another instance."""
    b = h.getBasis()
    if not b.valid:
        return None
    return [int(v) for v in b.col_status], [int(v) for v in b.row_status]


def set_basis_statuses(h: highspy.Highs, statuses: tuple[list[int], list[int]]) -> None:
    """Start ``h``'s next solve from the basis :func:`basis_statuses` gave."""
    b = HighsBasis()
    b.col_status = [highspy.HighsBasisStatus(v) for v in statuses[0]]
    b.row_status = [highspy.HighsBasisStatus(v) for v in statuses[1]]
    b.valid = True
    if h.setBasis(b) == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected a basis of its own (setBasis failed); this is a "
                          "chainopt bug, please report it with the case")


#: HiGHS's ``small_matrix_value`` and ``large_matrix_value`` (chainopt keeps its defaults):
#: a matrix coefficient of magnitude at most 1e-9 is dropped as 0, silently with its
#: output off, and one of 1e15 or more makes ``passModel`` fail.
MATRIX_RANGE = (1e-9, 1e15)
#: HiGHS's ``infinite_cost``: a cost of this magnitude or more is taken as infinite (the
#: solve ends with status 'Unknown').
INFINITE_COST = 1e20
#: HiGHS's primal and dual feasibility tolerances (both 1e-7, chainopt keeps them)
FEASIBILITY_TOLERANCE = 1e-7
_SMALLER = ("state the commodity (or the activity) in a smaller unit (kg for t, m3 for "
            "1000m3) so that it becomes larger, or leave out a flow too small to matter")
_LARGER = ("state the commodity (or the activity) in a larger unit (t for kg, 1000m3 for m3) "
           "so that it becomes smaller")


def _range_problems(built: BuiltModel, entries: np.ndarray, costs: np.ndarray,
                    what: str) -> list[Problem]:
    """One problem per matrix entry (positions in the row-wise data) and cost column,
    the first ten of each named (row x column, value, the input behind it), saying
    ``what`` HiGHS does with it."""
    from chainopt.diagnose.names import input_behind, matrix_entry, name_of  # lazy: to name them

    data, cost = built.arrays.matrix.data, built.arrays.cost
    problems = []
    for k in entries[:10].tolist():
        name, v = matrix_entry(built, k), float(data[k])
        tiny = abs(v) <= MATRIX_RANGE[0]
        problems.append(Problem(input_behind(name) or "the case",
                                f"coefficient {v:.6g} of {name} {what}",
                                _SMALLER if tiny else _LARGER))
    for k in costs[:10].tolist():
        name = name_of(built.lp.var_families, k)
        problems.append(Problem(input_behind(name) or "the case", (
            f"the objective coefficient of {name} is {float(cost[k]):.6g} MUSD per k units/yr, "
            f"{INFINITE_COST:g} or more in magnitude, which HiGHS takes as infinite"), _LARGER))
    more = max(len(entries) - 10, 0) + max(len(costs) - 10, 0)
    if more:
        problems.append(Problem("the case", f"{more} more coefficients like these",
                                "rescale them as those above"))
    return problems


def check_matrix_range(built: BuiltModel) -> None:
    """Before HiGHS gets the model: raise InputError naming every matrix coefficient of
    magnitude 1e15 or more (HiGHS refuses the model, which read as a chainopt bug) and
    every cost of 1e20 or more (HiGHS takes it as infinite and stops with status
    'Unknown'). Coefficients HiGHS drops as 0 are judged after the solve
    (:func:`check_dropped`)."""
    data, cost = built.arrays.matrix.data, built.arrays.cost
    large = np.flatnonzero(np.abs(data) >= MATRIX_RANGE[1])
    costly = np.flatnonzero(np.abs(cost) >= INFINITE_COST)
    if len(large) or len(costly):
        raise InputError(_range_problems(
            built, large, costly, f"is {MATRIX_RANGE[1]:g} or more in magnitude, beyond what "
            "HiGHS accepts"))


def check_dropped(built: BuiltModel, out: SolveOutcome) -> None:
    """After HiGHS solved: raise InputError when a matrix coefficient a_ij it dropped as 0
    (0 < |a_ij| <= 1e-9) matters to the plan, i.e. when restoring it would move row i's
    activity by |a_ij x_j| or column j's reduced cost by |a_ij y_i| by more than HiGHS's
    feasibility tolerance (1e-7): the plan is then neither known feasible nor optimal
    for the case as stated. (A tar yield of 1e-10 t/t at 1e9 USD/t: the tar balance's
    dual is at least 1e6 MUSD per kt, so running the unit gains 1e-4 MUSD per kt that
    HiGHS never saw.) A tiny coefficient that does not matter — the share of a period in
    which a build started 39 years earlier is usable at r = 99.9 %, 9e-13 — passes."""
    m = built.arrays.matrix
    data = m.data
    tiny = np.flatnonzero((data != 0) & (np.abs(data) <= MATRIX_RANGE[0]))
    if not len(tiny):
        return
    rows = np.searchsorted(m.indptr, tiny, "right") - 1
    cols = m.indices[tiny]
    a = np.abs(data[tiny])
    effect = np.maximum(a * np.abs(out.col_value[cols]), a * np.abs(out.row_dual[rows]))
    bad = tiny[effect > FEASIBILITY_TOLERANCE]
    if len(bad):
        raise InputError(_range_problems(
            built, bad, np.zeros(0, dtype=int),
            f"is at most {MATRIX_RANGE[0]:g} in magnitude, which HiGHS drops as 0, and it "
            "matters to the plan (the solve ignored it)"))


#: the largest scaled violation a returned plan may have (:func:`check_plan`): ten times
#: HiGHS's feasibility tolerance, measured relative to the size of the terms
PLAN_TOLERANCE = 1e-6


@dataclass(frozen=True)
class _Sums:
    """The sums over the matrix that the checks of a solve read, made in one pass over
    its nonzeros: ``act`` = A x and ``size`` = |A| |x| by row, ``aty`` = A'y and
    ``ysize`` = |A|'|y| by column."""

    act: np.ndarray
    size: np.ndarray
    aty: np.ndarray
    ysize: np.ndarray

    @classmethod
    def of(cls, built: BuiltModel, out: SolveOutcome) -> _Sums:
        m = built.arrays.matrix
        rows = m.row_of_entries()
        nr, nc = built.num_rows, built.num_vars
        # one array of terms, a_ij x_j then a_ij y_i, each made and made absolute in
        # place: an array of nonzeros is 7 MB at 300k variables, made as the solve ends
        t = out.col_value[m.indices]
        t *= m.data
        act = np.bincount(rows, weights=t, minlength=nr)
        size = np.bincount(rows, weights=np.abs(t, out=t), minlength=nr)
        np.take(out.row_dual, rows, out=t)
        t *= m.data
        aty = np.bincount(m.indices, weights=t, minlength=nc)
        return cls(act, size, aty, np.bincount(m.indices, weights=np.abs(t, out=t),
                                               minlength=nc))


def plan_violations(built: BuiltModel, out: SolveOutcome, sums: _Sums | None = None
                    ) -> dict[str, np.ndarray]:
    """The scaled violations of ``out``'s plan x against the model as chainopt built it
    (its own matrix A, bounds and objective; not the solver's copy of them):

    * ``row`` i: max(l_i - a_i x, a_i x - u_i, 0) / (1 + sum_j |a_ij x_j|);
    * ``column`` j: max(l_j - x_j, x_j - u_j, 0) / (1 + |x_j|);
    * ``integer`` j (an integer column): |x_j - round(x_j)|;
    * ``objective`` (one value): |c x + c_0 - z| / (1 + sum_j |c_j x_j|), z the objective
      reported.

    Scaled by the size of the terms, each is the relative error of a sum: a plan written
    to 8 significant digits (CBC's) stays near 1e-8. ``sums``: :class:`_Sums` of
    ``out``, if made already."""
    a, x = built.arrays, out.col_value
    sm = sums or _Sums.of(built, out)
    return {
        "row": np.maximum(np.maximum(a.row_lb - sm.act, sm.act - a.row_ub), 0) / (1 + sm.size),
        "column": np.maximum(np.maximum(a.col_lb - x, x - a.col_ub), 0) / (1 + np.abs(x)),
        "integer": np.where(a.integer.astype(bool), np.abs(x - np.round(x)), 0.0),
        "objective": np.array([abs(float(a.cost @ x) + a.total_offset - out.objective)
                               / (1 + float(np.abs(a.cost) @ np.abs(x)))]),
    }


def dual_violations(built: BuiltModel, out: SolveOutcome, sums: _Sums | None = None
                    ) -> dict[str, np.ndarray]:
    """The scaled violations of ``out``'s marginal values (row duals y, reduced costs d)
    against the model chainopt built, maximising c x + c_0 over l <= A x <= u,
    lb <= x <= ub; a dual is the objective's gain per unit of the bound it names:

    * ``reduced cost`` j: |d_j - (c_j - sum_i a_ij y_i)| / (1 + |c_j| + sum_i |a_ij y_i|);
    * ``row dual`` i: y_i > 0 names u_i, y_i < 0 names l_i: where that bound is infinite
      (no such bound to gain from), what y_i adds to the reduced costs of the row's
      columns, measured as they are, max_j |a_ij y_i| / (1 + |c_j| + sum_k |a_kj y_k|)
      (a row without terms: |y_i| / (1 + |y_i|)); else complementary slackness,
      |y_i| |a_i x - bound| / (1 + sum_j |c_j x_j|) (a bound the plan does not reach
      gains nothing);
    * ``column dual`` j: the same of d_j with x_j, lb_j, ub_j, but a d_j naming an
      infinite bound measured as the reduced cost is, |d_j| / (1 + |c_j| + sum_i |a_ij
      y_i|): d_j is that difference, so duals right to 9 digits of terms of 1e5 leave
      it at 1e-4 of either sign (an integer column of a MIP is exempt: its marginal
      values come from the LP with it fixed).

    A plan with these at 0 and within :func:`plan_violations`' tolerance is optimal for
    the model as chainopt built it (the LP's optimality conditions). ``sums``:
    :class:`_Sums` of ``out``, if made already."""
    a, x, y, d = built.arrays, out.col_value, out.row_dual, out.col_dual
    sm = sums or _Sums.of(built, out)
    scale = 1 + float(np.abs(a.cost) @ np.abs(x))
    terms = 1 + np.abs(a.cost) + sm.ysize
    return {
        "reduced cost": np.abs(d - (a.cost - sm.aty)) / terms,
        "row dual": _dual_side(sm.act, a.row_lb, a.row_ub, y, scale,
                               _row_dual_sizes(built, y, terms)),
        "column dual": np.where(a.integer.astype(bool), 0.0,
                                _dual_side(x, a.col_lb, a.col_ub, d, scale, terms)),
    }


def _row_dual_sizes(built: BuiltModel, y: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """Per row i, the size a dual naming a missing bound is measured against in
    :func:`dual_violations`: 1 / max_j (|a_ij| / terms_j), so that |y_i| / size is the
    largest share of a column's reduced-cost terms it moves (1 + |y_i| for a row without
    terms). Made only for the rows whose dual names a missing bound (few or none)."""
    a = built.arrays
    size = 1 + np.abs(y)
    named = np.where(y > 0, a.row_ub, np.where(y < 0, a.row_lb, 0.0))
    flagged = np.isinf(named)
    if not flagged.any():
        return size
    m = a.matrix
    rows = m.row_of_entries()
    at = np.flatnonzero(flagged[rows])
    share = np.zeros(len(y))
    np.maximum.at(share, rows[at], np.abs(m.data[at]) / terms[m.indices[at]])
    has = flagged & (share > 0)
    size[has] = 1 / share[has]
    return size


def _dual_side(v: np.ndarray, lo: np.ndarray, hi: np.ndarray, dual: np.ndarray,
               scale: float, size: np.ndarray) -> np.ndarray:
    """Per element of :func:`dual_violations`' ``row dual`` or ``column dual``: the
    bound a dual's sign names missing, |dual| / ``size``; else |dual| x the distance
    of ``v`` from it / ``scale``."""
    bound = np.where(dual > 0, hi, np.where(dual < 0, lo, v))
    missing = np.isinf(bound)
    off = np.abs(dual) * np.abs(v - np.where(missing, v, bound)) / scale
    return np.where(missing, np.abs(dual) / size, off)


def check_plan(built: BuiltModel, out: SolveOutcome, duals: bool = True) -> None:
    """After a solve: raise SolverError when the plan or its marginal values break the
    model chainopt built by more than :data:`PLAN_TOLERANCE` (:func:`plan_violations`,
    :func:`dual_violations`), naming the worst row or column, its value, bounds and
    marginal value. A solver that says 'optimal' of a plan it unscaled badly, a dual sign
    convention read the wrong way round, or a defect between chainopt's matrix and the
    solution arrays then stops the run instead of reporting a wrong plan or wrong values.
    A model extended through Pyomo, whose extension may change chainopt's own rows,
    bounds or objective, is checked against the Pyomo model as it stands
    (:func:`check_extended_plan`; the plan only). ``duals=False``: the plan only (a
    MIP's plan read without the marginal values of its fixed LP)."""
    if built.extension is not None:
        check_extended_plan(built, out)
        return
    sums = _Sums.of(built, out)
    found = plan_violations(built, out, sums)
    if duals:
        found |= dual_violations(built, out, sums)
    kind, worst = max(found.items(), key=lambda kv: kv[1].max(initial=0))
    value = float(worst.max(initial=0))
    if value <= PLAN_TOLERANCE:
        return
    from chainopt.diagnose.names import name_of  # lazy: to name the culprit

    a, x, k = built.arrays, out.col_value, int(np.argmax(worst))
    if kind == "objective":
        where = (f"the objective reported, {out.objective:.10g} MUSD, is not the plan's, "
                 f"{float(a.cost @ x) + a.total_offset:.10g} MUSD")
    elif kind in ("row", "row dual"):
        where = (f"{name_of(built.lp.row_families, k)} is {sums.act[k] + 0.0:.10g} against "
                 f"bounds [{a.row_lb[k]:.10g}, {a.row_ub[k]:.10g}]"
                 + (f" with marginal value {out.row_dual[k]:.10g}" if kind == "row dual"
                    else ""))
    else:
        where = (f"{name_of(built.lp.var_families, k)} is {x[k] + 0.0:.10g} against bounds "
                 f"[{a.col_lb[k]:.10g}, {a.col_ub[k]:.10g}]")
        if kind == "integer":
            where += " and must be a whole number"
        elif kind == "column dual":
            where += f" with reduced cost {out.col_dual[k]:.10g}"
        elif kind == "reduced cost":
            where += (f" with reduced cost {out.col_dual[k]:.10g}, where its cost less the "
                      f"rows' marginal values give {a.cost[k] - sums.aty[k]:.10g}")
    what = ("a plan that breaks" if kind in ("row", "column", "integer", "objective")
            else "marginal values that break")
    raise SolverError(
        f"{out.info.get('solver', 'the solver')} returned {what} the model by "
        f"{value:.3g} (relative; at most {PLAN_TOLERANCE:g} is accepted): {where}. The "
        "results cannot be trusted and nothing was written; try another --method (simplex "
        "or ipm) or --solver, or state the case in units that keep its numbers nearer 1")


def check_extended_plan(built: BuiltModel, out: SolveOutcome) -> None:
    """:func:`check_plan` of a model extended through Pyomo: the plan loaded into the
    Pyomo model against every active constraint, variable bound and integer domain the
    model holds (:func:`chainopt.models.pyomo_model.plan_violations`), a SolverError
    naming the worst beyond :data:`PLAN_TOLERANCE`."""
    from chainopt.models.pyomo_model import plan_violations as extended  # lazy: Pyomo path

    found = extended(built.pyomo)
    if found and found[0][0] > PLAN_TOLERANCE:
        value, where = found[0]
        raise SolverError(
            f"{out.info.get('solver', 'the solver')} returned a plan that breaks the extended "
            f"model by {value:.3g} (relative; at most {PLAN_TOLERANCE:g} is accepted): "
            f"{where}. The results cannot be trusted and nothing was written; try another "
            "--solver, or check the extension's constraints")


def handover(built: BuiltModel, options: SolveOptions | None = None) -> highspy.Highs:
    """Pass the model to a new HiGHS instance in one call (after
    :func:`check_matrix_range`); keep it on ``built.solver``."""
    check_matrix_range(built)
    t0 = time.perf_counter()
    opts = (options or SolveOptions()).resolved(built)
    h = new_highs()
    _set_options(h, opts, built)
    status = pass_model(h, built)
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model (passModel failed); this is a chainopt bug, "
                          "please report it with the case")
    built.solver = h
    built.timings["handover_s"] = time.perf_counter() - t0
    return h


def release_solver(built: BuiltModel) -> None:
    """Drop ``built``'s HiGHS instance and hand the memory it held back to the system
    (:func:`trim_memory`)."""
    built.solver = None
    trim_memory()


def trim_memory() -> None:
    """Return the C heap's free pages to the system.

    Freed memory stays mapped in the C heap for later use, but large blocks (HiGHS's
    solver data, numpy arrays) are mapped afresh rather than placed in those holes: the
    next step would add to the last one's peak instead of re-using its memory. glibc's
    ``malloc_trim(0)`` returns every free page (where the C library has none: macOS,
    Windows, musl, only Arrow's pool is asked)."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)
    pa.default_memory_pool().release_unused()  # Arrow's own pool (text columns) likewise


@functools.cache
def _libc() -> object:
    try:
        return ctypes.CDLL(None)  # the C library the process already uses
    except OSError:  # pragma: no cover - Windows has no process-wide handle
        return None


def _failed_run(built: BuiltModel) -> tuple[str, str]:
    """What a failed solve names, and what to give `chainopt explain`: a scenario by its
    name and file (its base case alone may solve), else the case by its name and folder
    (an embedded case by its name). A model extended through Pyomo is named so, with its
    components: `chainopt explain` sees the case alone, which may solve (the conflict is
    then with the extension)."""
    chain = built.case.raw.scenario_chain
    if chain and chain[-1].get("kind") == "scenario":
        what = f"scenario '{chain[-1]['name']}' (on case '{built.case.name}')"
        explain = ("Save the changes as a scenario file and run `chainopt explain` on it"
                   if chain[-1].get(IN_MEMORY) else
                   f"Run `chainopt explain "
                   f"{shell_word(chain[-1].get('path') or chain[-1]['name'])}`")
    elif built.case.origin:  # by its folder too: the name is any text in case.yaml
        where = case_argument(built.case.origin)
        what = f"case '{built.case.name}'" + ("" if where == built.case.name else f" ({where})")
        explain = f"Run `chainopt explain {shell_word(where)}`"
    else:
        what, explain = f"case '{built.case.name}'", "Run `chainopt explain` on the case"
    if built.extension is not None:
        from chainopt.results import extension_text  # lazy: only a failed extended run

        what += f" extended through Pyomo ({extension_text(built.extension, _changed(built))})"
    return what, explain


def _changed(built: BuiltModel) -> list[str] | None:
    if not built.has_pyomo:
        return None
    from chainopt.models.pyomo_model import changed_components  # lazy: Pyomo path only

    return changed_components(built.pyomo, built.arrays)


def _extension_note(built: BuiltModel) -> str:
    """For a model extended through Pyomo: what `chainopt explain` cannot see."""
    return ("" if built.extension is None else " `chainopt explain` sees no extension: if "
            "the case alone solves, the extension is the cause.")


def _infeasible(built: BuiltModel, how: str = "") -> InfeasibleError:
    what, explain = _failed_run(built)
    return InfeasibleError(f"{what} is infeasible{how}: no plan meets every constraint. "
                           f"{explain} to see which constraints conflict."
                           + _extension_note(built))


def _unbounded(built: BuiltModel) -> UnboundedError:
    what, explain = _failed_run(built)
    return UnboundedError(f"{what} is unbounded: some quantity can grow without limit while "
                          "adding value (a missing capacity, sales cap or supply limit, or a "
                          "negative disposal_cost_usd_per_unit: a salvage value). "
                          f"{explain}." + _extension_note(built))


def takes_pyomo_path(built: BuiltModel, options: SolveOptions | None = None) -> bool:
    """True when ``built`` is solved through Pyomo: a solver is named, or the Pyomo
    model holds components added since it was built or has chainopt's own changed
    (``extend`` or by hand: a bound, a fixed variable, a deactivated constraint). Otherwise
    the matrix goes straight to HiGHS."""
    if (options is not None and options.solver) or built.extension is not None:
        return True
    if built.has_pyomo:
        from chainopt.models.pyomo_model import (  # lazy: Pyomo path only
            added_components,
            changed_components,
        )

        return bool(added_components(built.pyomo)
                    or changed_components(built.pyomo, built.arrays))
    return False


def solve(built: BuiltModel, options: SolveOptions | None = None, *,
          fixed_as_lp: bool = False) -> SolveOutcome:
    """Solve ``built`` (matrix to HiGHS, or through Pyomo: :func:`takes_pyomo_path`);
    return the outcome or raise the matching error. Ctrl-C stops HiGHS at once
    (:func:`run_interruptible`). ``options.relax`` relaxes a model built without it
    (:meth:`BuiltModel.relax`; a HiGHS instance it was handed to is dropped and the LP
    handed over again): the manifest's ``relax`` and ``relaxed`` say what was solved.
    ``fixed_as_lp`` (a warm re-solve, :func:`resolve`): a MIP whose integer columns are
    all fixed at whole numbers is solved as the LP it equals (:func:`as_lp`), from the
    instance's basis; its bound is its objective and its gap 0. A cold solve leaves it a
    MIP: the same optimum, but where there are several optimal plans the LP may end at
    another than HiGHS's MIP solver (``proposal_nakhodka_methanol_urea``, whose one
    integer decision is forced, routes butane and propane by other rail links), and a
    run reports the plan it always has, the Pyomo path's too."""
    if options is not None and options.relax and built.relax():
        built.solver = None
    if takes_pyomo_path(built, options):
        return solve_pyomo(built, options)
    opts = (options or SolveOptions()).resolved(built)
    h = built.solver if built.solver is not None else handover(built, options)
    _set_options(h, opts, built)
    a = built.arrays
    fixed = whole_fixed(a.integer, a.col_lb, a.col_ub) if fixed_as_lp else None
    mip = built.is_mip and fixed is None
    t0 = time.perf_counter()
    with as_lp(h, fixed):
        run_interruptible(h)
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            h.setOptionValue("presolve", "off")
            run_highs(h)
            status = h.getModelStatus()
            h.setOptionValue("presolve", "choose")
        t_solve = time.perf_counter() - t0
        info = h.getInfo()
        has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
        S = highspy.HighsModelStatus
        if status == S.kInfeasible:
            raise _infeasible(built)
        if status in (S.kUnbounded, S.kUnboundedOrInfeasible):
            raise _unbounded(built)
        if status == S.kOptimal:
            result_status: Status = "optimal"
        elif mip and has_sol and status in (S.kTimeLimit, S.kIterationLimit,
                                            S.kSolutionLimit, S.kInterrupt):
            result_status = "feasible"
        elif mip:  # HiGHS solves a MIP's LPs by simplex whatever --method says
            raise SolverError(f"HiGHS stopped with status '{h.modelStatusToString(status)}' "
                              f"after {t_solve:.1f} s (MIP) before finding a plan; raise "
                              "--time-limit (--method does not change how a MIP is solved)")
        else:
            other = "simplex" if opts["method"] == "ipm" else "ipm"
            raise SolverError(f"HiGHS stopped with status '{h.modelStatusToString(status)}' "
                              f"after {t_solve:.1f} s ({opts['method']}) without a usable "
                              f"plan; raise --time-limit or try method {other} (chainopt "
                              f"run --method {other}; for every command, method: {other} "
                              "under solver: in case.yaml)")
        gap = None
        objective = float(info.objective_function_value)
        extra: dict[str, float | None] = {}
        if mip:
            # mip_bound: the best objective any plan could reach (HiGHS maximises: an
            # upper bound), which project values' ranges read (Results.net_value_bound);
            # none (HiGHS's infinity) when it stopped before bounding the MIP
            bound = _finite(info.mip_dual_bound)
            extra["mip_objective"] = objective
            extra["mip_bound"] = bound
            # the plan reported is the LP with the integer decisions fixed (its duals are
            # the marginal values); its objective, which the parts add up to, is the
            # objective, and the gap is measured from it (HiGHS's is from its incumbent,
            # which a MIP stopped early may hold with a worse continuous part)
            sol = _fixed_lp(h, built)
            objective = float(a.cost @ np.asarray(sol.col_value) + a.total_offset)
            gap = mip_gap(bound, objective)
            result_status = mip_status(result_status, gap, opts["mip_gap"])
        else:
            sol = h.getSolution()
            if built.is_mip:  # every integer decision fixed: its LP's optimum is the MIP's
                extra["mip_objective"] = extra["mip_bound"] = objective
                gap = 0.0
        col_value = np.asarray(sol.col_value)
        outcome = SolveOutcome(
            status=result_status, objective=objective, col_value=col_value,
            col_dual=np.asarray(sol.col_dual), row_value=np.asarray(sol.row_value),
            row_dual=np.asarray(sol.row_dual), options=opts, mip_gap=gap,
            timings={"solve_s": t_solve},
            info={"path": "matrix", "solver": "highs", "highs_version": h.version(),
                  "simplex_iterations": int(info.simplex_iteration_count),
                  "ipm_iterations": int(info.ipm_iteration_count),
                  "crossover_iterations": int(info.crossover_iteration_count),
                  "model_status": h.modelStatusToString(status), **extra},
        )
    check_dropped(built, outcome)
    check_plan(built, outcome)
    if built.has_pyomo:
        from chainopt.models.pyomo_model import columns  # lazy: Pyomo path only

        for var, value in zip(columns(built.pyomo), col_value.tolist(), strict=True):
            var.set_value(value, skip_validation=True)
    return outcome


def mip_gap(bound: float | None, objective: float) -> float | None:
    """The gap of a MIP's reported plan: |B - F| / |F| (|F| at least 1e-10), F the
    objective of the plan reported (the LP with the integer decisions fixed: at least the
    solver's incumbent), B the solver's best bound in the same sense; None without a
    bound. The optimum lies between F and B."""
    if bound is None:
        return None
    return abs(bound - objective) / max(abs(objective), 1e-10)


def mip_status(status: Status, gap: float | None, asked: float) -> Status:
    """A MIP stopped with a plan (``feasible``) is ``optimal`` once its gap
    (:func:`mip_gap`) is within the one asked for, as HiGHS says when it stops there;
    without a bound it stays ``feasible``."""
    return "optimal" if status == "optimal" or (gap is not None and gap <= asked) else status


def whole_fixed(integer: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> np.ndarray | None:
    """The integer columns when every one is fixed at a whole number (lower bound =
    upper bound = an integer: a project held built or held off, a build forced), else
    None (no integer column, or one free or fixed off a whole number, which no integer
    meets). Such a MIP has the plans and the optimum of its LP with those columns
    continuous, and is solved as that LP (:func:`as_lp`)."""
    ints = np.flatnonzero(integer)
    at = lb[ints]
    if len(ints) and np.array_equal(at, ub[ints]) and np.all(np.isfinite(at)) \
            and np.array_equal(at, np.round(at)):
        return ints
    return None


@contextlib.contextmanager
def as_lp(h: highspy.Highs, fixed: np.ndarray | None):
    """In the block, HiGHS sees the integer columns ``fixed`` (fixed by their bounds:
    :func:`whole_fixed`, or :func:`_fixed_lp` at a MIP's values) as continuous: the MIP is
    the LP it equals, which a run solves by simplex from the instance's last basis (a
    warm re-solve: a sensitivity's or a sweep's), its marginal values its own, where
    HiGHS's MIP solver starts every run afresh and a second LP gives them: the default
    case's sensitivity of mp2 re-solves in about 1 ms each instead of 18 + 4 ms. The
    instance is a MIP again after the block (HiGHS keeps the basis across the change).
    ``fixed`` None: nothing changes."""
    if fixed is None:
        yield
        return
    n = len(fixed)
    h.changeColsIntegrality(n, fixed, np.full(n, highspy.HighsVarType.kContinuous))
    try:
        yield
    finally:
        h.changeColsIntegrality(n, fixed, np.full(n, highspy.HighsVarType.kInteger))


def _fixed_lp(h: highspy.Highs, built: BuiltModel):
    """Fix the integer columns at their MIP values and re-solve the LP for duals.

    The LP has no time limit: it is one LP, solved from the MIP's values, and its duals
    are the marginal values of any plan reported, a MIP stopped at its limit too (HiGHS
    1.16 gives each run its own limit, three runs of 0.3 s in a row taking 0.3 s each,
    while ``getRunTime`` adds them up). Every solve sets its own limit again
    (:func:`_set_options`)."""
    x = np.asarray(h.getSolution().col_value)
    ints = np.flatnonzero(built.arrays.integer)
    fixed = np.round(x[ints])
    h.changeColsBounds(len(ints), ints, fixed, fixed)
    h.setOptionValue("time_limit", INF)
    try:
        with as_lp(h, ints):  # a MIP again after it, so the model can be solved again
            run_highs(h)
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                raise SolverError("the LP with the integer decisions fixed did not solve to "
                                  "optimality; marginal values are unavailable")
            return h.getSolution()
    finally:  # the MIP's own bounds back
        lo = built.arrays.col_lb[ints]
        hi = np.where(np.isinf(built.arrays.col_ub[ints]), INF, built.arrays.col_ub[ints])
        h.changeColsBounds(len(ints), ints, lo, hi)


def same_structure(a: BuiltModel, b: BuiltModel) -> bool:
    """True when two models differ at most in coefficients, costs and bounds."""
    ma, mb = a.arrays.matrix, b.arrays.matrix
    return (ma.shape == mb.shape and np.array_equal(ma.indptr, mb.indptr)
            and np.array_equal(ma.indices, mb.indices)
            and np.array_equal(a.arrays.integer, b.arrays.integer))


def resolve(base: BuiltModel, variant: BuiltModel, options: SolveOptions | None = None,
            basis: bool = True) -> SolveOutcome:
    """Solve ``variant`` re-using ``base``'s HiGHS instance and basis when possible.

    If the two models have the same structure (same sparsity pattern and integer
    columns), only the changed costs, bounds, row bounds and coefficients are passed
    to the solver, which then starts from the previous optimal basis (warm start; a MIP
    whose integer columns are all fixed as the LP it equals: :func:`as_lp`);
    ``base`` hands its solver over to ``variant``. Otherwise the variant is handed
    over and solved from scratch. ``variant.timings['warm_start']`` says which.
    With ``basis=False`` the instance is re-used (no hand-over) but the previous basis
    is dropped: the variant is solved from scratch, so that where the LP has several
    optimal plans it gets the one a fresh solve finds (``warm_start`` 0).
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
        rows = b.matrix.row_of_entries()
        for k in diff.tolist():
            h.changeCoeff(int(rows[k]), int(b.matrix.indices[k]), float(b.matrix.data[k]))
    if a.total_offset != b.total_offset:
        h.changeObjectiveOffset(b.total_offset)
    if not basis:
        h.clearSolver()
    base.solver, variant.solver = None, h
    variant.timings["handover_s"] = time.perf_counter() - t0
    variant.timings["warm_start"] = 1.0 if basis else 0.0
    return solve(variant, options, fixed_as_lp=basis)


def _check_fixed(built: BuiltModel, h: Any, cols: np.ndarray, bounds: tuple[np.ndarray, np.ndarray],
                 mip: bool, value: float, objective: float) -> None:
    """:func:`check_plan` of a re-solve's plan, against the model chainopt built with
    the column bounds ``bounds`` (``cols`` fixed at ``value``): a project's
    value in a sweep or sensitivity is the difference of two objectives, so the
    re-solve's is checked as a run's is (its plan and objective; an LP's marginal
    values too, which prove it optimal: ``mip`` False, a MIP solved as its LP too)."""
    a, (lb, ub) = built.arrays, bounds
    sol = h.getSolution()
    duals = not mip and bool(sol.dual_valid)
    n = len(cols)
    out = SolveOutcome(
        status="optimal", objective=objective, col_value=np.asarray(sol.col_value),
        col_dual=np.asarray(sol.col_dual), row_value=np.asarray(sol.row_value),
        row_dual=np.asarray(sol.row_dual), options={},
        info={"solver": f"highs's re-solve with {n} column{'s' * (n != 1)} fixed at "
                        f"{value:g}"})
    check_plan(replace(built, arrays=replace(a, col_lb=lb, col_ub=ub)), out, duals)


def solve_with_fixed(built: BuiltModel, cols: np.ndarray, value: float = 0.0,
                     options: SolveOptions | None = None, stopped: bool = False
                     ) -> tuple[float, float | None]:
    """The optimal objective with columns ``cols`` fixed at ``value`` (e.g. a project
    switched off by fixing its build decisions at 0), on the model's own HiGHS instance
    (the columns' bounds are restored afterwards), and the best objective the solve
    proved no plan beats (:func:`chainopt.results.best_bound`: a MIP's bound, an LP's objective).
    A MIP whose integer columns are then all fixed at whole numbers is solved as the LP
    it equals, from the instance's basis (:func:`as_lp`: only its objective is read).
    ``stopped``: a MIP stopped at a limit with a plan is taken too (its plan's objective
    and its bound, which then lie apart: a caller that reports the range the two leave,
    as sweeps do); otherwise anything but optimal is a SolverError, and an
    infeasible re-solve an InfeasibleError (the columns fixed are needed for a plan)."""
    h = built.solver if built.solver is not None else handover(built, options)
    _set_options(h, (options or SolveOptions()).resolved(built), built)
    cols = np.asarray(cols, dtype=np.int32)
    fixed = np.full(len(cols), float(value))
    a = built.arrays
    lb, ub = a.col_lb.copy(), a.col_ub.copy()
    lb[cols] = ub[cols] = value
    whole = whole_fixed(a.integer, lb, ub)
    mip = built.is_mip and whole is None
    h.changeColsBounds(len(cols), cols, fixed, fixed)
    try:
        with as_lp(h, whole):
            run_highs(h)
            status, info = h.getModelStatus(), h.getInfo()
            S = highspy.HighsModelStatus
            limit = status in (S.kTimeLimit, S.kIterationLimit, S.kSolutionLimit)
            if status == S.kInfeasible:
                raise InfeasibleError(f"the re-solve with {len(cols)} columns fixed at "
                                      f"{value:g} is infeasible: no plan meets every "
                                      "constraint")
            if status != S.kOptimal and not (stopped and limit and mip
                                             and info.primal_solution_status == 2):
                raise SolverError(f"the re-solve with {len(cols)} columns fixed ended with "
                                  f"status '{h.modelStatusToString(status)}'"
                                  + ("; raise --time-limit" if limit else ""))
            objective = float(info.objective_function_value)
            _check_fixed(built, h, cols, (lb, ub), mip, value, objective)
        return objective, best_bound(objective, float(info.mip_dual_bound), mip)
    finally:
        h.changeColsBounds(len(cols), cols, a.col_lb[cols],
                           np.where(np.isinf(a.col_ub[cols]), INF, a.col_ub[cols]))


# -- the Pyomo hand-over -------------------------------------------------------------------
# chainopt's solver name -> the Pyomo plugins tried in order (the first available wins);
# any other name is passed to Pyomo's SolverFactory as it is.
PYOMO_SOLVERS = {
    "highs": ("appsi_highs", "highs"),
    "cbc": ("cbc",),
    "glpk": ("glpk",),
    "gurobi": ("gurobi_direct", "gurobi"),
    "cplex": ("cplex_direct", "cplex"),
    "scip": ("scip",),
    "xpress": ("xpress",),
}
# the names under which HiGHS is solved through Pyomo's appsi interface: given every
# option (highs_options), as on the matrix path
HIGHS_NAMES = {"highs", "appsi_highs"}
# chainopt option -> the solver's own option name (HiGHS: highs_options). A solver
# without an option here gets none: an option asked at other than chainopt's default
# is refused, one at its default is recorded as not passed (unpassed_options)
OPTION_NAMES = {
    "cbc": {"time_limit_s": "sec", "threads": "threads", "mip_gap": "ratioGap"},
    "glpk": {"time_limit_s": "tmlim", "mip_gap": "mipgap"},
    "gurobi": {"time_limit_s": "TimeLimit", "threads": "Threads", "mip_gap": "MIPGap",
               "random_seed": "Seed"},
    "cplex": {"time_limit_s": "timelimit", "threads": "threads",
              "mip_gap": "mip_tolerances_mipgap", "random_seed": "randomseed"},
    # SCIP's own parameter names, which Pyomo's plugin writes into its scip.set (its
    # own time limit goes there as limits/time); SCIP solves on one thread
    "scip": {"time_limit_s": "limits/time", "mip_gap": "limits/gap",
             "random_seed": "randomization/randomseedshift"},
}
OPTION_NOUN = {"time_limit_s": "time limit", "threads": "number of threads",
               "mip_gap": "MIP gap", "random_seed": "random seed"}
# chainopt's options as the user may state them, for messages
OPTION_SAID = {"time_limit_s": "--time-limit (or the case's solver.time_limit_s)",
               "threads": "--threads (or the case's solver.threads)",
               "mip_gap": "the MIP gap (the case's solver.mip_gap, or SolveOptions(mip_gap=...))",
               "random_seed": "the seed (SolveOptions(random_seed=...))"}
# the solvers that take linear terms only (a nonlinear extension is refused before them)
LINEAR_SOLVERS = {"highs", "appsi_highs", "cbc", "glpk"}
_OPTIMAL = {"optimal", "locallyOptimal", "globallyOptimal"}
# stopped with a plan not proven optimal: at a limit, or (GLPK: "feasible", whatever
# stopped it) at the MIP gap
_LIMITS = {"maxTimeLimit", "maxIterations", "maxEvaluations", "interrupted", "userInterrupt",
           "resourceInterrupt", "objectiveLimit", "feasible"}
# what a solver says when no plan exists: believed only from a solve that ended before
# its time limit (see solve_pyomo)
_VERDICTS = {"infeasible", "unbounded", "infeasibleOrUnbounded"}
# Pyomo's plugins read no bound, or a bound of the root LP only, for these: it is read
# from the solver's own log, the last match of the pattern (group 1), in the model's
# sense where the solver says so (GLPK's "mip = 3.481818e+03 <= 3.486385e+03 0.1%"),
# in either sense for CBC (its "Upper bound:"/"Lower bound:", and Pyomo's "best
# possible", follow how it stopped: see _mip_bound)
_LOG_BOUND = {
    "glpk": re.compile(r"^\+\s*\d+: mip =\s*\S+\s*[<>]=\s*(\S+)", re.M),
    "cbc": re.compile(r"^(?:Lower|Upper) bound:\s*(\S+)\s*$", re.M),
}
# solvers whose bound may come in the opposite sense (see _mip_bound)
_BOUND_EITHER_SENSE = {"cbc"}


@dataclass
class _Run:
    """What one Pyomo solve said: its status (the termination condition's name) and
    whether a solution was loaded into the model."""

    status: str
    loaded: bool
    bound: float | None = None  # the best bound of a MIP, where the solver reports it
    objective: float | None = None  # the objective's value as the solver reports it


def _plugin(name: str):
    """The first available Pyomo solver for ``name``, as (plugin name, solver), or None."""
    # Deliberately lazy: Pyomo is imported only on the Pyomo path. pyomo.environ
    # registers the solver plugins (cbc, glpk, ...) with the SolverFactory.
    import pyomo.environ  # noqa: F401
    from pyomo.common.log import LoggingIntercept
    from pyomo.opt import SolverFactory

    for plugin in PYOMO_SOLVERS.get(name, (name,)):
        # Pyomo logs a traceback for a name it does not know: keep it off the terminal
        with LoggingIntercept(io.StringIO(), "pyomo"):
            try:
                if plugin == "appsi_highs":  # appsi's own API, the model's variables in order
                    from pyomo.contrib.appsi.solvers import Highs  # lazy: Pyomo path only

                    opt = Highs(only_child_vars=True)
                    if opt.available():
                        return plugin, opt
                elif (opt := SolverFactory(plugin)).available(exception_flag=False):
                    return plugin, opt
            except Exception:  # an unknown name or a broken installation: not available
                continue
    return None


def available_solvers() -> list[str]:
    """The solvers of :data:`PYOMO_SOLVERS` that are installed here."""
    return [name for name in PYOMO_SOLVERS if _plugin(name) is not None]


SOLVER_NAME = re.compile(r"[a-z][a-z0-9_]*")  # a name, never a path ("asl:./x" runs x)


def pyomo_solver(name: str):
    """``(plugin name, Pyomo solver)`` for ``name``; InputError (exit 1) listing the
    solvers found when it is unknown or not installed. ``name`` must be a plain name
    (:data:`SOLVER_NAME`): Pyomo's SolverFactory reads ``asl:PATH`` or a path as a
    program to run, and a name can come from a results folder someone sent
    (``chainopt verify`` replays the recorded solver)."""
    if not isinstance(name, str) or not SOLVER_NAME.fullmatch(name):
        raise InputError([Problem("--solver", f"{name!r} is not a solver name",
                                  "give a name such as highs, cbc, glpk, gurobi or cplex "
                                  "(lower case letters, digits and _), never a path")])
    found = _plugin(name)
    if found is None:
        have = available_solvers()
        raise InputError([Problem("--solver", f"solver '{name}' is not available here",
                                  "solvers found: " + (", ".join(have) or "none")
                                  + "; or leave --solver out to use HiGHS directly")])
    return found


#: glpsol's largest ``--tmlim`` (a C int of seconds); a larger one makes it fail
GLPK_MAX_TMLIM = 2**31 - 1


def solver_time_limit(name: str, limit: float) -> float:
    """The time limit (s) the solver ``name`` is given for ``limit``: GLPK takes whole
    seconds (``--tmlim``), so ``limit`` is rounded up (0.5 s -> 1 s: never 0, which
    glpsol would take as no time at all), and a limit beyond ``GLPK_MAX_TMLIM`` (68 years),
    which glpsol refuses ("Invalid time limit"), is no limit (inf); other solvers take it
    as it is."""
    if name != "glpk" or math.isinf(limit):
        return limit
    return math.inf if limit > GLPK_MAX_TMLIM else float(math.ceil(limit))


def unpassed_options(name: str, opts: dict) -> dict[str, Any]:
    """chainopt's options (time limit, threads, MIP gap, seed) of the resolved ``opts``
    that the solver ``name`` is given no option for (:data:`OPTION_NAMES`), with their
    values: the solver runs with its own defaults for them. HiGHS takes every one."""
    if name in HIGHS_NAMES:
        return {}
    names = OPTION_NAMES.get(name, {})
    return {key: opts[key] for key in OPTION_SAID if key not in names}


def check_passed_options(name: str, opts: dict) -> dict[str, Any]:
    """:func:`unpassed_options`, after an InputError (exit 1) for each of them asked at
    another value than chainopt's default (a time limit of 600 s, one thread, a MIP gap
    of 1e-4, seed 0): the run would record a value the solver never saw."""
    defaults = {**SolverDefaults().model_dump(), "random_seed": 0}
    missing = unpassed_options(name, opts)
    bad = []
    for key, value in missing.items():
        if value == defaults[key]:
            continue
        takes = sorted({n for n, o in OPTION_NAMES.items() if key in o} | {"highs"})
        bad.append(Problem(OPTION_SAID[key], f"{value!r} is not passed to solver '{name}': "
                           f"chainopt knows no option of {name} for its {OPTION_NOUN[key]}",
                           f"leave it at chainopt's default ({defaults[key]!r}: then {name} "
                           "runs with its own default, which the manifest records as not "
                           "passed), or use a solver that takes it: " + ", ".join(takes)))
    if bad:
        raise InputError(bad)
    return missing


def unpassed_warnings(info: dict, is_mip: bool) -> list[str]:
    """The run's warnings of options its solver was not given (``solver_info``'s
    ``options_not_passed``, at chainopt's defaults): the time limit (the solver may run
    on past it) and, for a MIP, the MIP gap (it stops at its own); threads and seed at
    their defaults are only recorded."""
    missing = info.get("options_not_passed") or {}
    name = info.get("solver")
    found = []
    if "time_limit_s" in missing:
        found.append(f"solver '{name}' was given no time limit (chainopt knows no option of "
                     f"it for one): the {missing['time_limit_s']:g} s of solver_options did "
                     "not reach it, and it may run on past them; use highs, cbc, glpk, "
                     "gurobi, cplex or scip for a run that must stop in time")
    if is_mip and "mip_gap" in missing:
        found.append(f"solver '{name}' was given no MIP gap: it stopped at its own, and the "
                     f"run is 'optimal' only if the gap it reached is within the "
                     f"{missing['mip_gap']:g} of solver_options")
    return found


def _solver_options(name: str, opts: dict, integers: int) -> dict:
    """The solver's own option values for resolved options, for a model of ``integers``
    integer variables; an infinite time limit is no option (HiGHS: ``time_limit`` inf),
    GLPK's in whole seconds (:func:`solver_time_limit`)."""
    if name in HIGHS_NAMES:
        return highs_options(opts, integers)
    out = {}
    for key, option in OPTION_NAMES.get(name, {}).items():
        value = solver_time_limit(name, opts[key]) if key == "time_limit_s" else opts[key]
        if key == "time_limit_s" and math.isinf(value):
            continue
        out[option] = int(value) if option == "tmlim" else value
    return out


def _import_suffixes(m, on: bool = True) -> None:
    """Ask the solver for duals and reduced costs (``m.dual``, ``m.rc``), or (``on=False``,
    for a MIP, which has none) do not."""
    import pyomo.environ as pyo  # lazy: Pyomo path only

    for name in ("dual", "rc"):
        if m.component(name) is not None:
            m.del_component(name)
        if on:
            m.add_component(name, pyo.Suffix(direction=pyo.Suffix.IMPORT))


def _run(plugin: str, opt, m, options: dict, maximize: bool = True) -> _Run:
    """One solve of ``m``; load the solution (values and suffixes) where there is one."""
    if plugin == "appsi_highs":  # appsi's own API: statuses, and duals keyed by component
        opt.config.load_solution = False
        opt.highs_options = dict(options)
        from pyomo.common.log import LoggingIntercept  # lazy: Pyomo path only

        # (appsi warns of HiGHS's status after a Ctrl-C, "unhandled kInterrupt": we say it)
        with (_stoppable(lambda: getattr(opt, "_solver_model", None)) as caught,
              LoggingIntercept(io.StringIO(), "pyomo.contrib.appsi.solvers.highs")):
            res = opt.solve(m)
            if res.termination_condition.name == "unknown" and not caught:
                highspy.Highs.resetGlobalScheduler(True)  # refused: see run_highs
                res = opt.solve(m)
        status = res.termination_condition.name
        loaded = res.best_feasible_objective is not None
        if loaded:
            res.solution_loader.load_vars()
            for suffix, get in (("dual", "get_duals"), ("rc", "get_reduced_costs")):
                target = m.component(suffix)
                if target is not None and status == "optimal":
                    for k, v in getattr(res.solution_loader, get)().items():
                        target[k] = v
        return _Run(status, loaded, _finite(res.best_objective_bound),
                    _finite(res.best_feasible_objective))
    pattern = _LOG_BOUND.get(plugin)
    with tempfile.TemporaryDirectory(prefix="chainopt-") as tmp:
        log = os.path.join(tmp, "solver.log")
        res = opt.solve(m, load_solutions=False, options=dict(options),
                        **({"logfile": log} if pattern else {}))
        text = (Path(log).read_text(errors="replace") if pattern and os.path.isfile(log)
                else "")
    status = str(res.solver.termination_condition.name)
    loaded = len(res.solution) > 0 and (status in _OPTIMAL or status in _LIMITS)
    reported = None
    if loaded:
        from pyomo.common.log import LoggingIntercept  # lazy: Pyomo path only

        with LoggingIntercept(io.StringIO(), "pyomo"):  # its warning at a limit: we say it
            m.solutions.load_from(res)
        first: dict[str, Any] = next(iter(res.solution(0).objective.values()), {})
        reported = _finite(first.get("Value"))
    bound = _finite(res.problem.upper_bound if maximize else res.problem.lower_bound)
    found = pattern.findall(text) if pattern else []
    if found and _finite(found[-1]) is not None:
        bound = _finite(found[-1])
    return _Run(status, loaded, bound, reported)


def _mip_bound(name: str, bound: float | None, value: float, maximize: bool,
               within: float | None = None) -> tuple[float | None, str]:
    """The MIP's best bound in the objective's sense and what was done with it.

    A bound lies beyond the incumbent ``value`` z: ``b >= z`` when maximising, ``b <= z``
    when minimising (to 1e-6 |z| and the 1e-3 CBC prints). CBC minimises internally and
    reports its bound for a maximisation in either sense depending on how it stopped
    (at a time limit Pyomo reads "best possible -3757.64" for a maximum of 3757.64).
    So, maximising, a bound on the wrong side whose negation lies on the right side was
    reported in the opposite sense and is negated; if both ``b`` and ``-b`` lie beyond
    z (possible only for a loss, ``z <= -|b|``, as in a cost case), CBC's sense cannot
    be told from the values alone and no bound is given, unless CBC proved its plan
    optimal within the gap asked (``within``): then the bound is the reading within
    that gap of z (a cost case's optimum -3.4 with "best possible" -3.4: -3.4, not 3.4,
    which lies 6.8 away). A minimisation is CBC's own sense, and other solvers
    report their bound in the objective's sense: taken at their word. A bound on the
    wrong side either way is no bound."""
    if bound is None:
        return None, "not reported by the solver"
    tol = 1e-6 * max(1.0, abs(value)) + 1e-3

    def beyond(b: float) -> bool:
        return b >= value - tol if maximize else b <= value + tol

    either = name in _BOUND_EITHER_SENSE and maximize
    if beyond(bound):
        if either and abs(bound) > tol and beyond(-bound):
            near = [b for b in (bound, -bound) if within is not None
                    and abs(b - value) <= within * max(abs(value), abs(b)) + tol]
            if len(near) == 1:
                return near[0], (f"the solver's, in the sense within the gap asked of its "
                                 f"optimal plan's {value:g} ({name} reported {bound:g})")
            return None, (f"unavailable: {name} reported {bound:g}, which lies beyond the "
                          f"plan's {value:g} in either sense")
        return bound, "the solver's"
    if either and beyond(-bound):
        return -bound, (f"the solver's, negated: {name} reported {bound:g}, in its own "
                        "(minimising) sense")
    return None, f"unavailable: {name} reported {bound:g}, short of the plan's {value:g}"


def _finite(x: Any) -> float | None:
    try:
        return float(x) if math.isfinite(float(x)) else None
    except (TypeError, ValueError):
        return None


def solve_pyomo(built: BuiltModel, options: SolveOptions | None = None) -> SolveOutcome:
    """Solve ``built.pyomo`` with the solver named in ``options`` (default ``highs``)."""
    import pyomo.environ as pyo  # lazy: Pyomo path only

    from chainopt.models.pyomo_model import (
        added_components,
        changed_components,
        clashes,
        extension_table,
        nonlinear,
        sense,
        solution_arrays,
    )

    opts = (options or SolveOptions()).resolved(built)
    name = opts["solver"] or "highs"
    plugin, opt = pyomo_solver(name)
    unpassed = check_passed_options(name, opts)
    if "highs" in name:  # HiGHS through Pyomo drops and refuses as on the matrix path
        check_matrix_range(built)
    m = built.pyomo
    broken = clashes(m)
    if broken:
        raise InputError([Problem("extend", text, "give your own components other names "
                                  "(to replace the objective, deactivate m.objective and "
                                  "add yours)") for text in broken])
    # chainopt's own components changed (by hand or by extend): the model is no longer the
    # matrix, so it is checked and reported as an extended one (check_plan), and the
    # manifest names them
    changed = changed_components(m, built.arrays)
    if built.extension is None and ((added := added_components(m)) or changed):
        built.extension = added  # by hand: an extension as if extend had made it
    objectives = list(m.component_data_objects(pyo.Objective, active=True))
    if len(objectives) != 1:
        raise InputError([Problem("extend", f"the Pyomo model has {len(objectives)} active "
                                  "objectives", "keep exactly one active (deactivate "
                                  "m.objective before adding your own)")])
    if name in LINEAR_SOLVERS and (curved := nonlinear(m, as_written=plugin == "appsi_highs")):
        others = [s for s in available_solvers() if s not in LINEAR_SOLVERS]
        raise InputError([Problem("extend", text, (
            f"highs, cbc and glpk (here: {name}) take linear terms only: keep the term "
            "linear (a piecewise-linear approximation, pyo.Piecewise, or a linearisation "
            "with variables of your own), or name a solver for nonlinear terms with "
            "SolveOptions(solver=...) (ipopt or scip; gurobi or cplex for quadratic "
            "terms) where one is installed (found here besides: "
            + (", ".join(others) or "none") + ")")) for text in curved])
    integers = [v for v in m.component_data_objects(pyo.Var, active=True)
                if not v.is_continuous()]
    solver_opts = _solver_options(name, opts, len(integers))
    maximize = objectives[0].sense == pyo.maximize
    _import_suffixes(m, on=not integers)
    t0 = time.perf_counter()
    run = _run(plugin, opt, m, solver_opts, maximize)
    if run.status == "infeasibleOrUnbounded" and name in HIGHS_NAMES:  # as on the matrix path
        run = _run(plugin, opt, m, {**solver_opts, "presolve": "off"}, maximize)
    spent = time.perf_counter() - t0
    # what the solver was given (none: its own default, taken as no limit)
    limit = (math.inf if "time_limit_s" in unpassed
             else solver_time_limit(name, opts["time_limit_s"]))
    if run.status in _VERDICTS and spent >= limit:
        # no proof: CBC 2.10's preprocessing, stopped by the time limit, says
        # "infeasible" of a feasible MIP (ru_all_projects at 0.01 s)
        raise SolverError(f"{name} (through Pyomo) said '{run.status}' after {spent:.2f} s, "
                          f"its time limit of {limit:g} s spent: a solver "
                          "stopped by its limit proves nothing (CBC's preprocessing then "
                          "says 'infeasible' of feasible cases); raise --time-limit")
    if run.status == "infeasible":
        raise _infeasible(built)
    if run.status == "unbounded":
        raise _unbounded(built)
    if run.status == "infeasibleOrUnbounded":
        raise _infeasible(built, f" or unbounded ({name} cannot tell which)")
    if run.status in _OPTIMAL and run.loaded:
        result_status: Status = "optimal"
    elif integers and run.loaded and run.status in _LIMITS:
        result_status = "feasible"  # or optimal within the gap (below)
    else:
        raise SolverError(f"{name} (through Pyomo) stopped with status '{run.status}' after "
                          f"{time.perf_counter() - t0:.1f} s without a usable plan; raise "
                          "--time-limit or try another --solver")
    # in chainopt's sense (maximised): a minimised objective (extend) is negated, as
    # are its duals (solution_arrays), so minimising -f reports what maximising f does
    value = _value(objectives[0], run)  # in the objective's own sense, as the bound
    gap = None
    bound_info = {}
    if integers:
        bound, how = _mip_bound(name, run.bound, value, maximize,
                                opts["mip_gap"] if run.status in _OPTIMAL else None)
        bound_info = {"mip_objective": sense(m) * value,
                      "mip_bound": None if bound is None else sense(m) * bound,
                      "mip_bound_source": how}
        # the plan reported is the LP with the integer decisions fixed, and its objective
        # the objective (as on the matrix path): at least the incumbent's, more where a
        # MIP stopped early holds a worse continuous part. The LP has no time limit (see
        # _fixed_lp)
        value = _fixed_lp_pyomo(plugin, opt, m, integers, objectives[0],
                                _solver_options(name, {**opts, "time_limit_s": math.inf},
                                                len(integers)))
        gap = mip_gap(bound, value)
        result_status = mip_status(result_status, gap, opts["mip_gap"])
    objective = sense(m) * value
    t_solve = time.perf_counter() - t0
    col_value, col_dual, row_value, row_dual = solution_arrays(m, built.arrays)
    # both at the plan read back, so 0 for an extension that leaves the objective alone
    # even where the plan is rounded (CBC) and ``objective`` is the solver's own value
    extension_value = None if built.extension is None else (
        sense(m) * float(pyo.value(objectives[0]))
        - float(built.arrays.cost @ col_value + built.arrays.total_offset))
    outcome = SolveOutcome(
        status=result_status, objective=objective, col_value=col_value, col_dual=col_dual,
        row_value=row_value, row_dual=row_dual, options=opts, mip_gap=gap,
        timings={"solve_s": t_solve},
        info={"path": "pyomo", "solver": name, "pyomo_solver": plugin,
              "solver_version": ".".join(map(str, opt.version() or ())) or None,
              "highs_version": new_highs().version() if name in HIGHS_NAMES else None,
              # the solver's own options as given, and chainopt's that it was not given
              # (at their defaults: check_passed_options refuses others)
              "options_passed": solver_opts, "options_not_passed": unpassed or None,
              "model_status": run.status, "extension": built.extension,
              "changed": changed if built.extension is not None else None,
              "is_mip": bool(integers), **bound_info},
        tables={"extension": extension_table(m)} if built.extension else {},
        extension_value=extension_value,
    )
    if "highs" in name:
        check_dropped(built, outcome)
    check_plan(built, outcome)
    return outcome


def _value(objective, run: _Run) -> float:
    """The value of ``objective`` (in its own sense) at the plan loaded by ``run``: the
    solver's own value where it agrees to 1e-6, closer where the solver writes the plan
    rounded (CBC: 8 significant digits, its objective to 8 decimals)."""
    import pyomo.environ as pyo  # lazy: Pyomo path only

    value = float(pyo.value(objective))
    if run.objective is not None and abs(run.objective - value) <= 1e-6 * max(1.0, abs(value)):
        return run.objective
    return value


def _fixed_lp_pyomo(plugin: str, opt, m, integers: list, objective, options: dict) -> float:
    """The Pyomo twin of :func:`_fixed_lp`: every integer variable fixed by its bounds at
    its rounded MIP value and made continuous, the LP solved for duals (with
    ``options``: the caller's, without the MIP's time limit), then restored. Returns
    the LP's value of ``objective`` (:func:`_value`)."""
    import pyomo.environ as pyo  # lazy: Pyomo path only

    saved = [(v, v.domain, v.lower, v.upper) for v in integers]
    for v in integers:
        # a variable no solver saw (in no constraint, not in the objective): its lower
        # bound, or 0
        x = round(v.value) if v.value is not None else (v.lb if v.lb is not None else 0)
        v.domain = pyo.Reals
        v.setlb(x)
        v.setub(x)
    _import_suffixes(m)
    try:
        run = _run(plugin, opt, m, options)
        if run.status not in _OPTIMAL or not run.loaded:
            raise SolverError("the LP with the integer decisions fixed did not solve to "
                              "optimality; marginal values are unavailable")
        return _value(objective, run)
    finally:
        for v, domain, lower, upper in saved:
            v.domain = domain
            v.lower, v.upper = lower, upper
