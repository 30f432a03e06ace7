"""The verbs of chainopt: load, build, solve, extract, run.

Each step takes the previous step's type and returns the next:
case folder -> :class:`Case` -> :class:`BuiltModel` -> :class:`SolveOutcome` ->
:class:`Results`. ``run`` chains them and saves the results atomically.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from chainopt import __version__
from chainopt.case.digest import case_hash
from chainopt.case.load import load_case
from chainopt.case.schema import Case
from chainopt.extract import extract_tables
from chainopt.models.build import BuiltModel, build
from chainopt.results import Results
from chainopt.solve import SolveOptions, SolveOutcome, handover
from chainopt.solve import solve as _solve

__all__ = ["build_model", "extract_results", "load_case", "run", "solve"]

DEFAULT_RESULTS = Path("results")


def build_model(case: Case, options: SolveOptions | None = None) -> BuiltModel:
    """Build the Pyomo model of ``case`` and hand it to HiGHS."""
    built = build(case)
    handover(built, options)
    return built


def solve(built: BuiltModel, options: SolveOptions | None = None) -> SolveOutcome:
    """Solve a built model with HiGHS (raises InfeasibleError, UnboundedError, SolverError)."""
    return _solve(built, options)


def extract_results(built: BuiltModel, outcome: SolveOutcome) -> Results:
    """Tidy result tables and the manifest of a solved model."""
    t0 = time.perf_counter()
    tables = extract_tables(built, outcome)
    timings = {**built.timings, **outcome.timings,
               "extract_s": time.perf_counter() - t0}
    import pyomo

    manifest = {
        "case": built.case.name,
        "case_origin": built.case.origin,
        "input_hash": case_hash(built.case),
        "status": outcome.status,
        "objective": outcome.objective,
        "mip_gap": outcome.mip_gap,
        "is_mip": built.is_mip,
        "num_vars": built.num_vars,
        "num_rows": built.num_rows,
        "nnz": built.nnz,
        "solver_options": outcome.options,
        "solver_info": outcome.info,
        "versions": {"chainopt": __version__, "pyomo": pyomo.version.version,
                     "highs": outcome.info.get("highs_version"),
                     "python": sys.version.split()[0]},
        "platform": platform.platform(),
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "periods": built.case.meta.period_names,
    }
    return Results(tables=tables, manifest=manifest)


def run(source: str | Path | Case | None = None, out: str | Path | None = None,
        name: str | None = None, overwrite: bool = False, options: SolveOptions | None = None,
        save: bool = True, progress: Callable[[str], object] | None = None) -> Results:
    """Load (or take) a case, solve it and save the results under ``out/name``.

    Nothing is written unless the run succeeds; an existing results folder is
    replaced only with ``overwrite``.
    """
    step = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    step("loading case")
    case = source if isinstance(source, Case) else load_case(source)
    load_s = time.perf_counter() - t0
    folder = Path(out or DEFAULT_RESULTS) / (name or case.name)
    if save and folder.exists() and not overwrite:
        from chainopt.errors import ResultsExistError

        raise ResultsExistError(f"results folder {folder} exists; pass --overwrite to replace it "
                                "or --name to write elsewhere")
    step("building model")
    built = build_model(case, options)
    built.timings["load_s"] = load_s
    step("solving")
    outcome = solve(built, options)
    step("extracting results")
    results = extract_results(built, outcome)
    if save:
        step("saving")
        results.manifest["results_dir"] = str(folder)
        results.save(folder, overwrite=overwrite)
    return results
