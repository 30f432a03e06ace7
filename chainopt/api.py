"""The verbs of chainopt: load, build, solve, extract, run.

Each step takes the previous step's type and returns the next:
case folder -> :class:`Case` -> :class:`BuiltModel` -> :class:`SolveOutcome` ->
:class:`Results`. ``run`` chains them and saves the results atomically.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import platform
import re
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from chainopt import __version__, batch, forks
from chainopt.atomic import (
    check_not_held,
    check_replaceable,
    check_writable,
    elsewhere,
    held,
    others_in,
    own_file,
    refuse_others,
    write_files,
    write_folder,
)
from chainopt.case import levers as _levers
from chainopt.case import reach as _reach
from chainopt.case import scenario as sc
from chainopt.case.convert import convert as _convert
from chainopt.case.digest import (
    case_digests,
    case_hash,
    changed_files,
    changed_parts,
    same_inputs,
    table_digests,
)
from chainopt.case.discount import years_text
from chainopt.case.load import embedded_cases, read_raw
from chainopt.case.scenario import apply_scenario, load_source, scenario_name, without_projects
from chainopt.case.schema import TABLES, Case
from chainopt.case.storage import of_case, text_storage
from chainopt.case.validate import closest, join_keys, validate
from chainopt.errors import (
    ChainoptError,
    DamagedResultsError,
    InfeasibleError,
    InputError,
    InputsChangedError,
    Problem,
    ResultsDifferError,
    ResultsExistError,
    SolverError,
    SweepInterrupted,
    UnboundedError,
    said,
    shell_word,
)
from chainopt.lazy import lazy_module
from chainopt.names import check_folder_name, check_name, child, cut, suggest
from chainopt.report.average_year import uneven_periods
from chainopt.report.plan_warnings import solve_warnings
from chainopt.results import (
    FLOAT_FORMAT,
    MANIFEST,
    READ_FAULTS,
    RERUN,
    TABLE_FILES,
    Results,
    check_against_kpis,
    check_only_results_files,
    edited_tables,
    extension_summary,
    read_manifest,
    recorded_storage,
    saving,
    shared_storage,
    stable_floats,
    table_files,
)
from chainopt.safe_yaml import read_mapping

if TYPE_CHECKING:
    from chainopt.models.build import BuiltModel
    from chainopt.solve import SolveOptions, SolveOutcome
    from chainopt.sweep import SweepFolder

# Deliberately lazy: the model side (the families, highspy) loads on the
# first build, so that `chainopt validate` and `chainopt show` do not pay for it.
_build = lazy_module("chainopt.models.build")
_extract = lazy_module("chainopt.extract")
_solver = lazy_module("chainopt.solve")
_investment = lazy_module("chainopt.models.investment")
# Deliberately lazy: the report side (comparisons, HTML, sweeps, sensitivity, drift), so
# that `chainopt validate` and `chainopt run` do not load what only other commands use.
sens = lazy_module("chainopt.sensitivity")
sw = lazy_module("chainopt.sweep")
cmp = lazy_module("chainopt.report.compare")
economics = lazy_module("chainopt.report.economics")
parties = lazy_module("chainopt.report.parties")
risk = lazy_module("chainopt.report.risk")
_static = lazy_module("chainopt.report.static")
_drift = lazy_module("chainopt.report.drift")
_excel = lazy_module("chainopt.report.excel")
_html = lazy_module("chainopt.report.html")
_sweep_stats = lazy_module("chainopt.report.sweep_stats")

__all__ = ["apply_scenario", "build_model", "change_case", "compare", "extract_results",
           "load_case", "run", "run_many", "solve"]

DEFAULT_RESULTS = Path("results")


def _expect(value: object, types: type | tuple[type, ...], what: str, want: str,
            hint: str = "") -> None:
    """An InputError naming argument ``what`` unless ``value`` is one of ``types``: a
    library call with a value of the wrong type ended in a bare TypeError or
    AttributeError from deep inside."""
    if not isinstance(value, types):
        raise InputError([Problem(what, f"must be {want} (found {type(value).__name__}"
                                  + (f" {value!r}" if isinstance(value, int | float) else "")
                                  + ")", hint)])


_SOURCE = "a case folder, embedded case name or scenario .yaml, as a str or Path"


def load_case(source: str | Path | None = None) -> Case:
    """Load and validate a case folder, embedded case or scenario YAML (None: default case).

    A path ending in ``.yaml``/``.yml`` that is not ``case.yaml`` is a scenario file
    (see :mod:`chainopt.case.scenario`).
    """
    _expect(source, (str, Path, type(None)), "source", _SOURCE)
    return load_source(source)


def change_case(case: Case, changes: list[dict], name: str = "changed") -> Case:
    """``case`` with ``changes`` applied and validated, as if they were the ``changes`` of
    a scenario file based on it (the same syntax: ``{"table": ..., "where": ...,
    "scale": ...}``, ``{"project": ..., "state": ...}``, ``{"case": {...}}``, ...),
    checked as a file's are. ``name`` names the scenario (results folder, messages). The
    case is not changed; a run of the new one records the changes in its manifest, so
    ``verify`` can re-run it."""
    _expect(case, Case, "case", "a Case", "load it with api.load_case(source)")
    _expect(name, str, "name", "a scenario name (snake_case)")
    return sc.change_case(case, changes, name)


def case_warnings(case: Case) -> list[str]:
    """The warnings of ``case`` that need no model (``chainopt validate`` prints them;
    ``run`` gives them among :meth:`~chainopt.models.build.BuiltModel.input_warnings`): a
    mode that can never run, a market, supply or hard demand that nothing can serve
    (:func:`chainopt.case.reach.warnings`) and a lever row naming sites where it changes
    nothing (:func:`chainopt.case.levers.idle_sites`) or an export duty above a market's
    price (:func:`chainopt.case.levers.prohibitive_duties`); first what reading a case
    workbook warns of (``RawCase.read_warnings``: hidden sheets and rows read, formulas
    referring to another workbook). Rows are said where the user finds them: a
    scenario's by key, a workbook's by sheet and row
    (:func:`chainopt.case.scenario.located_warnings`)."""
    return [*case.raw.read_warnings, *sc.located_warnings(case, [
        *_reach.warnings(case), *_levers.idle_sites(case), *_levers.prohibitive_duties(case)])]


def build_model(case: Case, options: SolveOptions | None = None,
                extend: Callable[[object, BuiltModel], object] | None = None) -> BuiltModel:
    """Build the model of ``case``; ``extend(model, built)`` may add Pyomo components to
    ``built.pyomo`` (built on first access). The matrix is handed to HiGHS now unless
    the model will be solved through Pyomo (a solver named, or extended)."""
    _expect(case, Case, "case", "a Case", "load it with api.load_case(source)")
    check_options(options)
    if extend is not None and not callable(extend):
        raise InputError([Problem("extend", "must be a function extend(model, built) (found "
                                  f"{type(extend).__name__} {extend!r:.60})")])
    built = _build.build(case)
    if extend is not None:
        built.extend(extend)
    if options is not None and options.relax:
        built.relax()  # after extend: a user's integer variables are relaxed too
    if not _solver.takes_pyomo_path(built, options):
        _solver.handover(built, options)
    return built


def solve(built: BuiltModel, options: SolveOptions | None = None) -> SolveOutcome:
    """Solve a built model: the matrix straight to HiGHS, or the Pyomo model with
    ``options.solver`` when one is named or the model was extended (raises
    InfeasibleError, UnboundedError, SolverError; InputError for an unknown solver or
    options no solver takes). The outcome names its model: ``extract_results`` refuses
    it with another."""
    _expect(built, _build.BuiltModel, "built", "a BuiltModel",
            "build it with api.build_model(case)")
    check_options(options)
    outcome = _solver.solve(built, options)
    outcome.info["model_serial"] = built.serial
    return outcome


def extract_results(built: BuiltModel, outcome: SolveOutcome,
                    release_solver: bool = False, input_hash: str | None = None,
                    notes: dict | None = None, input_digests: dict | None = None
                    ) -> Results:
    """Tidy result tables and the manifest of a solved model.

    ``release_solver``: drop the model's HiGHS instance before the ranging (a fresh
    instance holding only the model and the optimal basis is ranged, see
    :func:`chainopt.diagnose.ranging_parts`) and free what HiGHS held before any table is
    made: the memory peak of a run is then the larger of the solve's and the tables',
    not their sum (``run`` does; a caller that re-solves the same model, as sweeps do,
    keeps it). ``input_hash``: the case's hash if already made (``case_hash``), with
    ``input_digests`` its parts' digests if made too (``case_digests``; both are made
    when no hash is given);
    ``notes``: the model's own notes if already made (:func:`model_notes`). The tables'
    text is kept as the case's was (manifest ``text_storage``, :mod:`chainopt.case.storage`),
    and :meth:`Results.load` reads it back so."""
    with text_storage(of_case(built.case)):
        return _extract_results(built, outcome, release_solver, input_hash, notes,
                                input_digests)


def _extract_results(built: BuiltModel, outcome: SolveOutcome, release_solver: bool,
                     input_hash: str | None, notes: dict | None,
                     input_digests: dict | None = None,
                     made: Callable[[str, pd.DataFrame], object] | None = None) -> Results:
    """:func:`extract_results`; ``made(name, table)`` is told each table as soon as it is
    final (``run`` starts writing it: :class:`chainopt.results.TableWriter`)."""
    # lazy: the model side (the families, highspy) loads only when a model is built or
    # explained, so that `import chainopt.api` (chainopt validate) stays light
    from chainopt.diagnose import insight_tables, ranging_parts

    _check_pair(built, outcome)
    notes = model_notes(built) if notes is None else notes

    t0 = time.perf_counter()
    ranging = ranging_parts(built, outcome, lean=release_solver)  # the last use of HiGHS
    if release_solver:
        _solver.release_solver(built)  # (if ranging did not) and the pages HiGHS freed
    other = str(outcome.info.get("solver") or "highs")
    if ranging.solution is not None and built.extension is None and other == "highs":
        # the LP ranged was solved again (a MIP's fixed LP): at a degenerate optimum its
        # duals may be another optimal vertex than the solve's; every table takes them, so
        # that a marginal value and the interval ranging gives it are one (both are
        # optimal duals of the same LP, each complementary to the plan reported)
        outcome = outcome.with_duals_of(ranging.solution)
    insight, insight_info = insight_tables(built, outcome, ranging)
    holds = ranging.balance_holds
    del ranging
    if built.extension is not None:  # ranging re-solves chainopt's own LP, not the extension
        insight["ranging"] = insight["ranging"].iloc[0:0]
        insight_info["ranging_source"] = "unavailable: model extended through Pyomo"
        insight_info["cost_ranging"] = insight_info["forced_zero_columns"] = None
        holds = None
    elif other != "highs":  # HiGHS's basis may be another vertex than the solver's duals
        insight["ranging"] = insight["ranging"].iloc[0:0]
        insight_info["ranging_source"] = (f"unavailable: solved by {other}, whose duals the "
                                          "tables hold; ranging needs HiGHS's own basis")
        insight_info["cost_ranging"] = insight_info["forced_zero_columns"] = None
        holds = None
    def final(name: str, table: pd.DataFrame, *overriding: dict) -> None:
        if made is not None and not any(name in o for o in overriding):
            made(name, table)

    for name, table in insight.items():
        final(name, table, outcome.tables)
    t1 = time.perf_counter()
    tables = {**_extract.extract_tables(
        built, outcome, holds,
        made=lambda name, table: final(name, table, insight, outcome.tables)),
        **insight, **outcome.tables}
    for name, table in outcome.tables.items():
        final(name, table)
    # extract_s: the solution tables; insight_s: marginal-value, ranging and numerics
    # tables (chainopt explain), which need extra solver calls
    timings = {**built.timings, **outcome.timings, "extract_s": time.perf_counter() - t1,
               "insight_s": t1 - t0}
    # the plan read year by year where capacity varies inside a period: what it breaks
    # (the mid-period warnings below)
    t2 = time.perf_counter()
    # lazy: the model side (diagnose/ loads the solver), as _extract
    from chainopt.diagnose.year_check import year_breaks

    breaks = year_breaks(built, *_extract.plan_values(built, outcome))
    if input_hash is None:
        input_hash, input_digests = _digests(built)
    timings["year_check_s"] = time.perf_counter() - t2
    manifest = {
        "case": built.case.name,
        "case_origin": built.case.origin,
        "input_hash": input_hash,
        # each table's and scenario file's own digest: verify and snapshot check name
        # what changed (chainopt.case.digest.changed_parts)
        **({"input_digests": input_digests} if input_digests else {}),
        "status": outcome.status,
        # a cost case (objective: cost) reports its total cost, a positive number
        "objective": (-outcome.objective if built.case.meta.objective == "cost"
                      else outcome.objective),
        "objective_sense": built.case.meta.objective,
        "objective_unit": _extract.objective_unit(built.case),
        "relaxed": built.relaxed,
        "capex_curves": _capex_curves(built),
        "mip_gap": outcome.mip_gap,
        # the model solved: an extension's integer variables make it a MIP too
        "is_mip": outcome.info.get("is_mip", built.is_mip),
        "num_vars": built.num_vars,
        "num_rows": built.num_rows,
        "nnz": built.nnz,
        "solver": outcome.info.get("solver"),
        "solve_path": outcome.info.get("path"),
        "solver_options": outcome.options,
        "solver_info": outcome.info,
        # what made these numbers: Pyomo only when the solve went through it (looking a
        # package's version up costs a scan of the installed packages)
        "versions": {"chainopt": __version__,
                     "pyomo": (package_version("pyomo") if outcome.info.get("path") == "pyomo"
                               else None),
                     "highs": outcome.info.get("highs_version"), "pandas": pd.__version__,
                     "python": sys.version.split()[0]},
        "platform": platform.platform(),
        "text_storage": of_case(built.case),
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "periods": built.case.meta.period_names,
        "period_table": [p.model_dump(exclude={"part_of"} if p.part_of is None else None)
                         for p in built.case.meta.periods],
        "discount_rate": built.case.meta.discount_rate,
        "cash_flow_timing": built.case.meta.cash_flow_timing,
        "base_year": built.case.meta.base_year,
        "scenario": scenario_name(built.case),
        "scenario_chain": list(built.case.raw.scenario_chain),
        "insight": insight_info,
        # what the case states that the model cannot honour as stated, said by `chainopt
        # run` (a policies row where nothing emits, specs a product evades unblended,
        # modes that can never run, a build used from inside a period while its yearly
        # limits bind, one ramping up inside one, capacity retiring inside one)
        "warnings": solve_warnings(built, outcome, tables, breaks, notes["warnings"]),
        # the modes that can never run and why, as `chainopt explain` says it
        "blocked_modes": notes["blocked_modes"],
        # the periods whose years differ (a build coming into use, ramping up or retiring
        # inside one): compare reads a period's average year as each of its years only
        # where they do not
        "uneven_periods": uneven_periods(built.case, tables),
    }
    return Results(tables=tables, manifest=manifest)


#: at most this many modes that can never run are kept in the manifest (``blocked_modes``),
#: those with a root cause first: `chainopt explain` lists five
BLOCKED_IN_MANIFEST = 100


def _check_pair(built: BuiltModel, outcome: SolveOutcome) -> None:
    """``outcome`` is a solve of ``built``: another model's plan was extracted as this
    case's, labelled optimal, when its arrays were longer, and failed in numpy when
    shorter."""
    _expect(built, _build.BuiltModel, "built", "a BuiltModel",
            "build it with api.build_model(case)")
    _expect(outcome, _solver.SolveOutcome, "outcome", "a SolveOutcome",
            "solve with api.solve(built)")
    serial = outcome.info.get("model_serial")
    if (serial is not None and serial != built.serial) or len(outcome.col_value) != \
            built.num_vars or len(outcome.row_value) != built.num_rows:
        raise InputError([Problem("outcome", f"is the solve of another model than this one "
                                  f"({built.case.name}: {built.num_vars:,} variables, "
                                  f"{built.num_rows:,} constraints; the outcome has "
                                  f"{len(outcome.col_value):,} and {len(outcome.row_value):,})",
                                  "extract the outcome of api.solve(built) with that built")])


def model_notes(built: BuiltModel) -> dict:
    """What the manifest says of the model before its solution: ``warnings`` (what the
    case states that the model cannot honour as stated, :meth:`BuiltModel.input_warnings`)
    and ``blocked_modes`` (:func:`_blocked_modes`). ``run`` makes them while HiGHS
    solves."""
    return {"warnings": built.input_warnings(), "blocked_modes": _blocked_modes(built)}


def _blocked_modes(built: BuiltModel) -> list[dict[str, str]]:
    """The modes of units that can never run, each with the reason
    (:func:`chainopt.case.reach.blocked_reasons`): ``unit``, ``mode``, ``reason``; the
    first :data:`BLOCKED_IN_MANIFEST`."""
    r = _reach.blocked_reasons(built.reach, BLOCKED_IN_MANIFEST)
    return r[["unit", "mode", "reason"]].astype(str).to_dict("records")


def _capex_curves(built: BuiltModel) -> dict[str, str]:
    """How each unit's capex curve is modelled (stated in the manifest): the curve's
    shape from ``index.segments`` and the binaries its builds get by the model's own
    rule, :func:`chainopt.models.investment.lumpy_builds`."""
    ix = built.index
    seg = ix.segments
    if seg.empty:
        return {}
    why = _investment.lumpy_builds(ix, ix.unit_new).groupby("unit").agg(
        fixed=("fixed", "max"), min_new=("min_new", "max"), binary=("binary", "any"))
    texts = {}
    for u, convex in seg.groupby("unit", sort=True)["convex"].first().items():
        shape = ("convex (unit cost never falls): segments filled in order by the LP" if convex
                 else "unit cost falls (economies of scale)")
        if u not in why.index:
            texts[u] = f"{shape}; no build in the horizon (max_new_k_per_yr), no variables"
            continue
        w = why.loc[u]
        reasons = []
        if w["fixed"] > 0:
            reasons.append(f"fixed charge {w['fixed']:g} MUSD")
        if w["min_new"] > 0:
            reasons.append(f"minimum size {w['min_new']:g} k units/yr")
        for_what = f" ({', '.join(reasons)})" if reasons else ""
        if not convex:
            texts[u] = (f"{shape}: one binary build decision per build{for_what} and "
                        "ordering binaries per segment")
        elif w["binary"]:
            texts[u] = (f"{shape}, no ordering binaries; one binary build decision per "
                        f"build{for_what}")
        else:
            texts[u] = f"{shape}, no binaries"
    return texts


def _results_name(case: Case) -> tuple[str, str]:
    """The name a run of ``case`` gives its results folder without ``--name`` (the
    scenario's, else the case's) and where it is given, for messages."""
    scenario = scenario_name(case)
    if scenario:  # (the case's origin is its base's folder)
        entry = case.raw.scenario_chain[-1]
        return scenario, sc.name_where(entry["path"], entry.get("named", True))
    if case.raw.locations:  # a workbook: its case sheet's cell (case!B3 (name))
        from chainopt.case.excel import locate  # lazy: openpyxl only for workbooks

        return case.name, locate("case.yaml key name", case.raw.locations)
    return case.name, f"{case.origin or case.name}: name"


def check_results_name(case: Case) -> None:
    """Refuse (InputError) a case or scenario whose name ``run`` would refuse as its
    results folder's (a Windows device name such as ``con``): ``validate`` asks this."""
    check_folder_name(*_results_name(case))


def run(source: str | Path | Case | None = None, out: str | Path | None = None,
        name: str | None = None, overwrite: bool = False, options: SolveOptions | None = None,
        save: bool = True, progress: Callable[[str], object] | None = None,
        excel: bool = False,
        extend: Callable[[object, BuiltModel], object] | None = None) -> Results:
    """Load (or take) a case, solve it and save the results under ``out/name``.

    ``name`` (default: the scenario or case name) must be a snake_case name, never a path
    (:mod:`chainopt.names`). The options and the output location are checked before
    solving. Nothing is written unless the run succeeds; an existing results folder is
    replaced only with ``overwrite`` and only if chainopt wrote it (:mod:`chainopt.atomic`).
    ``excel`` also writes ``results.xlsx`` (KPI sheet first).
    A ``.xlsx`` source is a case workbook (see :mod:`chainopt.case.excel`).
    ``extend(model, built)`` adds Pyomo variables and constraints (or changes the
    objective) before the solve; the extended model is solved through Pyomo with
    ``options.solver`` (default ``highs``); the results tables hold chainopt's own
    columns and rows, the ``extension`` table the values of the added components.
    """
    step = progress or (lambda _msg: None)
    _expect(source, (str, Path, Case, type(None)), "source", _SOURCE + ", or a Case")
    _expect(out, (str, Path, type(None)), "out", "a folder, as a str or Path")
    check_options(options)
    if name is not None:
        check_name(name, "--name")
    if options is not None and options.solver:
        _solver.pyomo_solver(options.solver)  # an unknown or missing solver: fail first
    t0 = time.perf_counter()
    step("loading case")
    case = source if isinstance(source, Case) else load_case(source)
    load_s = time.perf_counter() - t0
    with text_storage(of_case(case)):  # the hash, the notes and the saving too
        folder = child(Path(out or DEFAULT_RESULTS), *((name, "--name") if name else
                                                       _results_name(case)))
        if save:
            _check_target(folder, overwrite)
        step("building model")
        built = build_model(case, options, extend=extend)
        built.timings["load_s"] = load_s
        step("solving")
        from chainopt.diagnose.insight import prepare_text  # lazy, as in extract_results

        with ThreadPoolExecutor(max_workers=1) as pool:
            # the input hash needs only the case, the insight tables' text and the model's
            # notes only the model: they are made on the core a solve leaves free while
            # HiGHS runs (it lets go of the interpreter lock)
            hashing = pool.submit(_digests, built)
            naming = pool.submit(prepare_text, built)
            noting = pool.submit(model_notes, built)
            loading = pool.submit(_load_for_saving) if save else None
            # the tables' joins, groupings and orders: only the solution's numbers are
            # then left to place after the solve
            preparing = pool.submit(_prepare_tables, built)
            # then the pages those jobs freed go back to the system while HiGHS still
            # runs, not after it, when its own memory is at its largest (the 300k run's
            # peak 711 -> 676 MiB)
            trimming = pool.submit(_solver.trim_memory)
            try:
                outcome = solve(built, options)
            except BaseException:
                for job in (naming, noting, loading, preparing, trimming):
                    if job is not None:
                        job.cancel()  # not needed now; the pool waits for what already runs
                raise
            digest, digests = hashing.result()
            naming.result()
            notes = noting.result()
            if loading is not None:
                loading.result()
            preparing.result()
        step("extracting results")
        with saving(folder, overwrite) if save else contextlib.nullcontext() as writer:
            # each table is written (on two other threads) as soon as it is made, while
            # the run makes the next: the folder is put in place once all are written
            results = _extract_results(built, outcome, True, digest, notes, digests,
                                       writer.write if writer is not None else None)
            results.manifest["source"] = batch.rerun_source(source, case)
            del built, outcome, case  # the tables are made: the model's memory goes now
            _solver.trim_memory()
            if writer is not None:
                step("saving")
                results.manifest["results_dir"] = str(folder)
                extra = None
                if excel:  # results.xlsx is written inside the temporary folder
                    def extra(tmp: Path) -> None:
                        _excel.write_results_workbook(results.tables, results.manifest,
                                                      tmp / _excel.RESULTS_WORKBOOK)
                writer.finish(results, extra)
        return results


def _digests(built: BuiltModel) -> tuple[str, dict]:
    """:func:`case_digests` of the model's case, the tables' part made once per content
    (``BuiltModel.derive``: a case run again is not hashed again)."""
    return case_digests(built.case, built.derive("table_digests",
                                                 lambda b: table_digests(b.case)))


def _prepare_tables(built: BuiltModel) -> None:
    """What the result tables take from the model alone (:func:`chainopt.extract.prepare`,
    the coefficient ranges), chainopt.extract loaded on the thread that calls it (the core
    a solve leaves free), not before the solve."""
    from chainopt.diagnose import coefficient_ranges  # lazy: the model side, as extract

    _extract.prepare(built)
    coefficient_ranges(built)


def _load_for_saving() -> None:
    """Import Parquet's writer (:meth:`Results.save`, 30 ms), the one module only saving
    loads, on the core a solve leaves free rather than after it."""
    import pyarrow.parquet  # noqa: F401  (lazy: by design, in the solve's free time)


def check_options(options: SolveOptions | None, keys: bool = False) -> None:
    """Reject solver options no solver could take (the CLI already checks its own).
    ``keys``: each is named by its key in a recorded ``solver_options``
    (``solver_options.time_limit_s``), not as the command line says it (time limit)."""
    if options is None:
        return
    o = options

    def name(key: str, said: str) -> str:
        return f"solver_options.{key}" if keys else said

    if not isinstance(options, _solver.SolveOptions):
        raise InputError([Problem("options", f"must be a SolveOptions (found "
                                  f"{type(options).__name__})",
                                  "make them with api.solve_options(time_limit_s=..., ...)")])
    bad = _option_types(o, name)
    if bad:
        raise InputError(bad)
    if o.time_limit_s is not None and not (math.isfinite(o.time_limit_s) and o.time_limit_s > 0):
        bad.append(Problem(name("time_limit_s", "time limit"), f"must be a finite number of "
                           f"seconds > 0 (found {o.time_limit_s!r})"))
    if o.threads is not None and not (isinstance(o.threads, int) and 1 <= o.threads <= 256):
        bad.append(Problem(name("threads", "threads"), f"must be a whole number from 1 to 256 "
                           f"(found {o.threads!r})"))
    if o.mip_gap is not None and not (math.isfinite(o.mip_gap) and 0 <= o.mip_gap <= 1):
        bad.append(Problem(name("mip_gap", "MIP gap"), f"must be from 0 to 1 (found "
                           f"{o.mip_gap!r})"))
    if not (isinstance(o.random_seed, int) and 0 <= o.random_seed <= _solver.MAX_SEED):
        bad.append(Problem(name("random_seed", "random seed"), f"must be a whole number from 0 "
                           f"to {_solver.MAX_SEED:,} (found {o.random_seed!r})"))
    if bad:
        raise InputError(bad)


def _option_types(o: SolveOptions, name: Callable[[str, str], str]) -> list[Problem]:
    """Each option of a type no solver takes (a number given as text, true/false as a
    number, a method HiGHS does not know): set, it was ignored and recorded, and
    ``verify`` then called the folder damaged."""
    def number(v: object) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    bad = [Problem(name(k, said), f"must be a number (found {v!r})")
           for k, said in (("time_limit_s", "time limit"), ("mip_gap", "MIP gap"))
           if (v := getattr(o, k)) is not None and not number(v)]
    bad += [Problem(name(k, said), f"must be a whole number (found {v!r})")
            for k, said in (("threads", "threads"), ("random_seed", "random seed"))
            if (v := getattr(o, k)) is not None and not (isinstance(v, int)
                                                          and not isinstance(v, bool))]
    if o.method not in (None, "auto", "simplex", "ipm"):
        bad.append(Problem(name("method", "method"), f"must be auto, simplex or ipm (found "
                           f"{o.method!r})"))
    if o.solver is not None and not isinstance(o.solver, str):
        bad.append(Problem(name("solver", "solver"), f"must be a solver's name (found "
                           f"{o.solver!r})"))
    if not isinstance(o.relax, bool):
        bad.append(Problem(name("relax", "relax"), f"must be true or false (found "
                           f"{o.relax!r})"))
    return bad


def _check_target(folder: Path, overwrite: bool) -> None:
    """Before solving: ``folder`` may be written (free, or chainopt's with ``overwrite``
    and holding nothing chainopt did not write: :func:`check_only_results_files`). A
    folder ``overwrite`` would not replace is named as such also without it, so that the
    message never suggests an overwrite that would then be refused."""
    if folder.exists() or folder.is_symlink():
        check_replaceable(folder, "results", check_only_results_files)
        if not overwrite:
            raise ResultsExistError(f"results folder {folder} exists; pass "
                                    f"{said('--overwrite', 'overwrite=True')} to replace it, "
                                    f"or {elsewhere('results')}")
    check_writable(folder.parent)


def run_many(sources: list[str], out: str | Path | None = None, jobs: int | None = None,
             overwrite: bool = False, options: SolveOptions | None = None, reuse: bool = False,
             save: bool = True, on_done: Callable[[object], object] | None = None,
             keep_case: bool = False) -> list:
    """Run several cases or scenarios in ``jobs`` processes (default: one per core).

    Returns one :class:`chainopt.batch.RunOutcome` per source, in order; a failing run
    carries its error and exit code and does not stop the others. ``reuse`` loads
    results that hold what a run now would give (:func:`chainopt.batch.stale`: same input
    hash, chainopt and HiGHS versions and solver options) instead of solving again.
    ``keep_case``: each outcome also holds its case (``RunOutcome.case``).
    """
    return batch.run_many(run, [str(s) for s in sources], out or DEFAULT_RESULTS, jobs=jobs,
                          overwrite=overwrite, options=options, reuse=reuse, save=save,
                          on_done=on_done, keep_case=keep_case)


def compare(sources: list[str], out: str | Path | None = None, name: str | None = None,
            jobs: int | None = None, overwrite: bool = False,
            options: SolveOptions | None = None, save: bool = True,
            on_done: Callable[[object], object] | None = None) -> tuple[dict, list, Path | None]:
    """Run (or reuse) several scenarios and compare them against the first.

    Returns (sections, outcomes, folder): the comparison tables of
    :func:`chainopt.report.compare.compare` (empty if fewer than two runs succeeded),
    the run outcomes, and ``<out>/compare-<name>/`` where CSV and Markdown were written;
    the runs that failed are recorded there (comparison.md first says which and why,
    ``text_columns.json`` ``failed``: :func:`chainopt.report.compare.compared_failures`).
    ``overwrite`` replaces run folders holding results of other inputs and an existing
    comparison folder (named or default; the default named after every run asked for,
    a failed one too); without it an existing comparison folder is an error (exit 1),
    found before solving. A scenario whose project cannot be valued (the scenario
    without it is infeasible) is left out as a failed run is (its outcome's status
    ``unvalued``, exit code 3, the error), the others still compared.
    A source that is none (a results folder, a flag's value: :func:`chainopt.batch.check_sources`)
    and two sources of the same name are an InputError before anything is solved (and
    before the comparison folder is looked at), and so is
    ``options.relax``: projects are valued on the plans the case states (a relaxation
    builds fractions of them), as in a sweep or a sensitivity.
    """
    _expect(sources, (list, tuple), "sources", "a list of sources (" + _SOURCE + ")",
            "put one source in a list: api.compare([base, scenario])")
    for i, one in enumerate(sources):
        _expect(one, (str, Path), f"sources[{i}]", _SOURCE)
    _as_stated(options, "compare values every run and each project against its "
               "counterfactual")
    if name is not None:
        child(Path(out or DEFAULT_RESULTS), name, "--name", prefix="compare-")
    batch.check_sources(sources, out or DEFAULT_RESULTS)  # before the comparison folder
    names = [batch.run_name(s) for s in sources]
    # the default folder is named after the runs asked for, a failing one too (one that
    # cannot be read by its file name): a comparison lacking a failed run never takes the
    # folder of the complete one of the other runs, and a folder in the way is found
    # before solving (a bad name too)
    asked = [n if n is not None else (suggest(Path(str(s)).stem) or "unreadable")
             for s, n in zip(sources, names, strict=True)]
    if save:
        compare_folder(out, name, asked, overwrite)
    outcomes = run_many(sources, out=out, jobs=jobs, overwrite=overwrite, options=options,
                        reuse=True, save=save, on_done=on_done, keep_case=True)
    good = {o.name: o.results for o in outcomes if o.ok}
    if len(good) < 2 or not outcomes[0].ok:
        return {}, outcomes, None
    # a scenario whose project cannot be valued (the scenario without it is infeasible)
    # drops out as a failed run does, the others still compared
    lost: dict[str, ChainoptError] = {}
    against = counterfactuals(good, options, failed=lost,
                              cases={o.name: o.case for o in outcomes if o.ok}, jobs=jobs)
    if lost:
        outcomes = [dataclasses.replace(o, results=None, error=str(lost[o.name]),
                                        exit_code=lost[o.name].exit_code, status="unvalued")
                    if o.ok and o.name in lost else o for o in outcomes]
        good = {n: r for n, r in good.items() if n not in lost}
        if len(good) < 2:
            return {}, outcomes, None
    # the comparison's own text kept as the runs kept theirs (chainopt.case.storage):
    # Python strings for small runs, where pandas' Arrow default made its sections about
    # a quarter slower (the same tables and bytes either way)
    with text_storage(shared_storage(r.manifest for r in good.values())):
        sections = cmp.compare(good, against)
        folder = None
        if save:
            try:  # checked before solving; here a folder made meanwhile
                target = compare_folder(out, name, asked, overwrite)
            except ChainoptError as exc:
                # the failed runs' worst code is not hidden behind this error's 1
                exc.exit_code = max(exc.exit_code, *(o.exit_code for o in outcomes))
                raise
            folder = cmp.save(sections, list(good), target,
                              overwrite=overwrite,
                              inputs={n: str(r.manifest.get("input_hash", ""))
                                      for n, r in good.items()},
                              # each run's periods, for the charts' labels ('p2026 (2026-28)')
                              periods={n: list(r.manifest.get("period_table") or [])
                                       for n, r in good.items()},
                              # its scenario's or case's name where it reads (a run that
                              # fails to load is named by its source)
                              failed=[{"name": n or o.name, "source": o.source,
                                       "exit_code": o.exit_code,
                                       # a crash's traceback is for the terminal, not the record
                                       "error": o.error.split("\nTraceback (most recent")[0]}
                                      for o, n in zip(outcomes, names, strict=True) if not o.ok])
    return sections, outcomes, folder


#: The longest default comparison name (``compare-`` not counted): the run names joined
#: by ``-vs-``, cut with a hash beyond this
MAX_COMPARE_NAME = 120


def compare_folder(out: str | Path | None, name: str | None, runs: list[str],
                   overwrite: bool = False) -> Path:
    """``<out>/compare-<name>``; the default name joins the run names by ``-vs-``, and one
    longer than :data:`MAX_COMPARE_NAME` characters is cut with a hash of the whole
    (:func:`chainopt.names.cut`), so comparisons of other runs never share a folder. An
    existing folder is an error unless ``overwrite`` and chainopt wrote it."""
    root = Path(out or DEFAULT_RESULTS)
    if name is not None:
        folder = child(root, name, "--name", prefix="compare-")
    else:
        for run_name in runs:  # names of cases and scenarios: checked when they were read
            check_name(run_name, "run name")
        folder = root / ("compare-" + cut("-vs-".join(runs), MAX_COMPARE_NAME))
    if folder.exists() or folder.is_symlink():
        # not chainopt's: --overwrite would not help; files of the user's in it: named
        check_replaceable(folder, "comparison", cmp.check_only_comparison_files
                          if overwrite else None)
        if not overwrite:
            raise ResultsExistError(f"comparison folder {folder} exists; pass --overwrite "
                                    "to replace it" + ("" if name else " or --name to "
                                                       "write elsewhere"))
    return folder


def counterfactuals(results: dict, options: SolveOptions | None = None,
                    failed: dict | None = None, cases: dict | None = None,
                    jobs: int | None = 1) -> dict:
    """The runs each scenario's effects are valued against (first run = the base).

    For each other run: the projects it may build that the base may not; for each one
    it builds, the same scenario with only that project off (and the projects that
    require it); and, when the scenario also changes other inputs, the scenario with all
    those projects off (its input effect against the base). Solved in memory, not saved.
    Returns ``{name: {"projects": {project: Results}, "not_built": [...], "inputs":
    Results | None, "terms": its parties' terms, "case": its case}}`` for
    :func:`chainopt.report.compare.compare`.

    ``failed`` (a dict): a scenario none of whose counterfactuals can be solved (one is
    infeasible: its project is what makes the scenario feasible) is left out and
    ``failed[name]`` holds its error, so the other scenarios are still compared; without
    it the error is raised. ``cases``: the case of a run by its name, where the caller
    has it (``compare``: the case each run was made or reused from); a run without one is
    valued against the case its manifest records as its source, loaded again.
    ``jobs``: the counterfactuals of every scenario are solved in that many processes
    (None: one per core; 1: in this process, one after another).
    """
    names = list(results)
    base = results[names[0]]
    theirs = set(economics.considered_projects(base))
    base_plan: str | None = None  # the base's inputs the plan reads (_plan_hash_of)
    # each scenario's counterfactual cases made in several processes (chainopt.forks;
    # each process reads the base's plan once, if a scenario of its needs it)
    with forks.Shares(forks.processes()) as shares:
        for n in names[1:]:
            r = results[n]
            mine = [j for j in economics.considered_projects(r) if j not in theirs]
            i = shares.take() if mine else None
            if i is None:
                continue
            case = (cases or {}).get(n)
            case = case if case is not None else _source_case(r, n)
            cf, solve_these, base_plan = _scenario_counterfactuals(r, n, mine, case, base,
                                                                   names[0], base_plan)
            shares.done(i, (n, cf, solve_these))
    todo: dict[str, tuple[dict, dict]] = {n: (cf, these) for n, cf, these in shares.results()}
    calls = [(c, n, off, options) for n, (_, these) in todo.items() for c, off in
             these.values()]
    solved = iter(batch.call_many(_counterfactual, calls, jobs))
    out = {}
    for n, (cf, these) in todo.items():
        got = {key: next(solved) for key in these}
        error = next((g for g in got.values() if isinstance(g, ChainoptError)), None)
        if isinstance(error, InfeasibleError | UnboundedError) and failed is not None:
            failed[n] = error
        elif error is not None:
            raise error
        else:
            out[n] = {**cf, "projects": {j: got[k] for j, k in cf["projects"].items()},
                      "inputs": got[cf["inputs"]] if cf["inputs"] else None}
    return out


def _source_case(r: Results, n: str) -> Case:
    """The case run ``n``'s results ``r`` were made from, loaded from the source its
    manifest records (:func:`_recorded_case`); an error if it records none or that
    source now holds other inputs (moved, or edited since)."""
    if not r.manifest.get("source"):
        raise InputError([Problem(str(r.manifest.get("results_dir") or n),
                                  "manifest.json records no source to value the projects "
                                  "against", "run it again (--overwrite)")])
    case = _recorded_case(r.manifest, r.manifest["source"], r.manifest.get("results_dir") or n)
    if not same_inputs(case, r.manifest.get("input_hash")):  # moved, or edited since
        raise InputsChangedError(
            f"inputs changed: {r.manifest['source']}, the source the results of {n} "
            "record, no longer holds the inputs they were solved from, so its projects "
            "cannot be valued against them: run it again (--overwrite)")
    return case


def _scenario_counterfactuals(r: Results, n: str, mine: list[str], case: Case,
                              base: Results, base_name: str, base_plan: str | None
                              ) -> tuple[dict, dict[str, tuple[Case, list[str]]], str | None]:
    """:func:`counterfactuals` of the one scenario ``n`` (its run ``r``, its ``case``,
    the projects ``mine`` the base may not build), its runs still to solve: the entry
    names each by its input hash, the cases to solve by hash (each with the projects it
    has off, for a message), so that a case is solved once; and the base's plan hash as
    read."""
    built = set(economics.built_projects(r)["project"])
    against: dict[str, str] = {}
    cf: dict[str, Any] = {"projects": against,
                          "not_built": [j for j in mine if j not in built], "inputs": None,
                          "terms": parties.Terms.from_case(case), "case": case}
    solve: dict[str, tuple[Case, list[str]]] = {}

    def once(c: Case, off: list[str]) -> str:
        key = case_hash(c)
        solve.setdefault(key, (c, off))
        return key

    alone = {j: without_projects(case, [j]) for j in mine if j in built}
    for j, c in alone.items():
        against[j] = once(c, [j])
    # one project: the scenario without it is the scenario without all its projects (a
    # scenario switching on mp2 and splitting a period solved that case twice)
    rest = alone[mine[0]] if len(mine) == 1 and mine[0] in alone else \
        without_projects(case, mine)
    if case_hash(rest) != base.manifest.get("input_hash"):
        if base_plan is None:  # read once, for the first scenario that needs it
            base_plan = _plan_hash_of(base, base_name)
        if _plan_hash(rest) != base_plan:
            cf["inputs"] = once(rest, mine)
    return cf, solve, base_plan


#: the tables the plan never reads: who owns, finances and is taxed on a project,
#: worked out on the plan afterwards (:mod:`chainopt.report.parties`)
PARTY_TABLES = ("parties", "project_shares", "project_finance", "tax_regimes")


def never_read(labels: list[str]) -> str:
    """How a message says that the plan never reads the :data:`PARTY_TABLES` ``labels``."""
    return (f"the plan never reads {'these tables' if len(labels) > 1 else 'this table'} "
            "(who owns, finances and is taxed on a project: compare's cooperation economics)")


def _plan_hash(case: Case) -> str:
    """:func:`case_hash` of ``case`` without its :data:`PARTY_TABLES` and without the rows
    of its projects that are ``off`` (in every table with a ``project`` column: the
    project's own row, its units and links): nothing of a project that cannot be built
    reaches the plan, so a scenario that only edits the row of a project it switches on
    (``ramp_up`` of pb) gives, with its projects off, the base's plan: no inputs line of
    zeros, and no solve for it."""
    pj = case.tables.get("projects")
    off = (set(pj.loc[pj["state"] == "off", "project"].astype(str))
           if pj is not None and "state" in pj.columns else set())

    def live(df):
        if not off or "project" not in df.columns:
            return df
        return df[~df["project"].astype(str).isin(off)]

    return case_hash(case.model_copy(update={"tables": {
        k: live(v) for k, v in case.tables.items() if k not in PARTY_TABLES}}))


def _plan_hash_of(base: Results, name: str) -> str:
    """:func:`_plan_hash` of the case the ``base`` run was solved from: a scenario whose
    projects off give it differs from the base only in the :data:`PARTY_TABLES`, and an
    effect of its inputs would be a line of zeros (a scenario that forces a project and
    changes its loan). '' when that case cannot be read as it was solved (no recorded
    source, or edited since): every scenario then gets its inputs line."""
    src = base.manifest.get("source")
    if not src:
        return ""
    try:
        known = _recorded_case(base.manifest, src, base.manifest.get("results_dir") or name)
    except (InputError, InputsChangedError, OSError):
        return ""
    return _plan_hash(known) if same_inputs(known, base.manifest.get("input_hash")) else ""


def _counterfactual(case: Case, name: str, off: list[str], options: SolveOptions | None
                    ) -> Results:
    """``case``, the run ``name`` with the projects ``off`` switched off, solved in
    memory. When that is infeasible (or unbounded), the error says so: the run itself
    solved, so naming it would send the user to `chainopt explain` on a case that solves;
    the projects are what makes it feasible, and a value against no plan means nothing."""
    try:
        return run(case, save=False, options=options)
    except InfeasibleError:
        projects = ", ".join(off)
        raise InfeasibleError(
            f"valuing {projects} in {name}: {name} without {projects} is infeasible (no plan "
            f"meets every constraint), so {'it is' if len(off) == 1 else 'they are'} needed "
            "for a plan at all and no value against a plan without "
            f"{'it' if len(off) == 1 else 'them'} exists. Compare against a base in which "
            f"the rest of {name}'s changes are feasible, or see what conflicts with "
            "`chainopt explain` on a scenario of those changes with the projects' state "
            "set to off") from None
    except UnboundedError as exc:
        raise UnboundedError(f"valuing {', '.join(off)} in {name}, the run without "
                             f"{'it' if len(off) == 1 else 'them'}: {exc}") from None


def sweep(source: str | Path | None, sets: list[str] | tuple[str, ...] = (), samples: int = 0,
          seed: int | None = None, distributions: str | Path | None = None,
          out: str | Path | None = None,
          name: str | None = None, jobs: int = 1, dask: str | None = None,
          resume: str | Path | None = None, overwrite: bool = False,
          options: SolveOptions | None = None, project_npv: bool = True,
          full: list[str] | tuple[str, ...] = (), progress=None, warm_basis: bool = False,
          warn: Callable[[str], object] | None = None):
    """Run a grid (``sets``) or Monte Carlo (``samples``) sweep over a case or scenario.

    ``seed`` seeds the draws (None: 0); any seed given with a grid is an InputError, 0
    too (it would be silently unused).

    Writes ``<out>/sweep-<name>/``: ``sweep.json`` (what was asked, enough to resume),
    ``parts/`` (one file per finished variant), then ``kpis.csv`` and ``summary.csv``
    (the answer: byte-identical for the same request, however it was run) and
    ``solves.csv`` (how each variant was solved: :data:`chainopt.sweep.HOW_SOLVED`);
    ``variants/<id>/`` holds the full results of the variants named in ``full``. Returns
    ``(kpis, summary, folder)``, ``kpis`` with solves.csv's columns beside. With
    ``resume`` only missing (or damaged) variants run. Nothing is written before the
    inputs are valid (source, settings, distributions, ``full`` ids, ``name``); if every
    variant has bad input the sweep is an InputError quoting the first variant's message
    and its new folder is removed. An existing sweep (``overwrite``) is replaced only
    when the new one is complete: the new sweep is made in a temporary sibling
    (:func:`chainopt.atomic.write_folder`), and a failure or interrupt drops it and
    leaves the old sweep as it was. Each variant is solved from scratch on the worker's
    re-used model (the plan a cold run finds); ``warm_basis`` starts it from the
    previous variant's basis instead (faster on big models; where the LP has several
    optimal plans, the split of the same objective may then depend on the order of the
    variants). It is recorded in ``sweep.json`` (``"warm_basis": true``), and a resume
    goes on as the sweep was started. ``warn`` is called, once the sweep is done, with
    each warning ``chainopt run`` gives of the base, as ``the base: ...``
    (:func:`chainopt.sweep.base_warnings`: a policies row where nothing emits), and on a
    resume with what it could not check and each part in ``parts/`` left out as not one
    of the sweep's variants (:meth:`chainopt.sweep.SweepFolder._parts`).
    """
    _expect(source, (str, Path, type(None)), "source", _SOURCE)
    check_options(options)
    batch.check_jobs(jobs, default="")
    _as_stated(options, SWEEP_AS_STATED)
    with contextlib.ExitStack() as hold:
        if resume is not None:
            _resume_takes_no_request(source, sets, samples, seed, distributions, name,
                                     overwrite, out, warm_basis)
            _resumed_sweep(resume)  # a sweep folder? (said before trying to hold it)
            # held while it is read and written: a racing resume or replace is refused
            hold.enter_context(held(Path(resume)))
            folder, meta = _resumed_sweep(resume)  # read again, now that it is held
            src = meta.get("source_abs") or meta["source"]
            warm_basis = meta.get("warm_basis") is True  # as the sweep was started
            try:
                variants = _sweep_variants(meta, f"{folder.path / 'sweep.json'}: "
                                           "distributions", recorded=True)
            except InputError as exc:  # no --set typed: what sweep.json records
                raise _not_resumable(exc, folder.path, meta) from None
            base = load_case(src)  # fail early, once, on a bad base
            started = meta.get("input_hash")  # (sweeps started before it was recorded: none)
            if not isinstance(started, str) and warn is not None:
                warn(f"{folder.path / 'sweep.json'} records no input hash (the sweep was "
                     "started by a chainopt that did not record one): its finished variants "
                     f"could not be checked against {src} as it is now; if it changed since, "
                     "start a new sweep")
            if isinstance(started, str) and not same_inputs(base, started):
                _resume_on_edited(base, src, folder.path, meta, warn)
            # the base as loaded now (its hash passed the check): the hash every worker's
            # base must have (sweep._base), which sweep.json may record in an older form
            # (rows sorted by key) or of party tables edited since
            meta = {**meta, "input_hash": case_hash(base)}
            _check_settings(base, variants, meta, str(folder.path / "sweep.json") + (
                ": distributions" if meta.get("samples") else ""), resumed=True)
            _check_full(variants, full)
            options = _resumed_options(meta, options, folder.path)
        else:
            folder, meta, variants, base = _new_sweep(source, sets, samples, seed,
                                                      distributions, out, name, overwrite,
                                                      project_npv, full)
            meta.update(_made_by(options))
            if warm_basis:  # (recorded only when asked: a resume goes on alike)
                meta["warm_basis"] = True
            src = meta.get("source_abs") or meta["source"]
            replacing = folder.path.exists()
            # a new folder is made and held at once; an old one is held until replaced
            hold.enter_context(held(folder.path, create=not replacing))
        dask = dask or os.environ.get("DASK_SCHEDULER_ADDRESS") or None

        def solve(into: SweepFolder, drop_if_all_bad: bool = False
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
            return _solve_sweep(into, src, meta, variants, base, full, jobs, dask, options,
                                progress, warm_basis, drop_if_all_bad, warn)

        if resume is None and replacing:
            # --overwrite: the new sweep is made in a temporary sibling and replaces the
            # old one only when complete (chainopt.atomic.write_folder); a failure or
            # interrupt drops the new one and leaves the old sweep as it was
            done: dict[str, pd.DataFrame] = {}

            def fill(tmp: Path) -> None:
                new = sw.SweepFolder(tmp)
                sw.save_meta(new, meta)
                done["kpis"], done["summary"] = solve(new)

            try:
                write_folder(folder.path, fill, kind="sweep", overwrite=True,
                             check=sw.check_only_sweep_files)
            except KeyboardInterrupt as exc:
                if isinstance(exc, SweepInterrupted):
                    raise
                raise SweepInterrupted(folder.path, 0, len(variants), replacing=True) from None
            return done["kpis"], done["summary"], folder.path
        if resume is None:
            sw.save_meta(folder, meta)
        try:
            kpis, summary = solve(folder, drop_if_all_bad=resume is None)
        except KeyboardInterrupt as exc:  # the parts written stay: say how to go on
            if isinstance(exc, SweepInterrupted):
                raise
            raise SweepInterrupted(folder.path, folder.saved(variants),
                                   len(variants)) from None
        return kpis, summary, folder.path


def _solve_sweep(folder: SweepFolder, src: str, meta: dict, variants: list, base: Case,
                 full: list[str] | tuple[str, ...], jobs: int, dask: str | None,
                 options: SolveOptions | None, progress, warm_basis: bool,
                 drop_if_all_bad: bool = False, warn: Callable[[str], object] | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Solve the variants not yet in ``folder``, then write its tables and the full
    results of ``full``, but of a variant that failed (its row in kpis.csv says why; it
    would only fail again): like any failed variant it does not stop the sweep. An
    InputError if every variant has bad input (``folder`` removed first with
    ``drop_if_all_bad``). Then ``warn`` of the base (see :func:`sweep`)."""
    kpis = sw.run_variants(src, variants, folder, jobs=jobs, dask=dask, options=options,
                           project_npv=meta.get("project_npv", True), progress=progress,
                           warm_basis=warm_basis, case=base, digest=meta.get("input_hash"),
                           warn=warn)
    failed = kpis[kpis["status"] == "InputError"] if "status" in kpis else kpis
    if len(kpis) and len(failed) == len(kpis):
        if drop_if_all_bad:
            shutil.rmtree(folder.path, ignore_errors=True)
        raise InputError([Problem("sweep", f"every variant has bad input; the first "
                                  f"({failed['variant'].iloc[0]}): {failed['message'].iloc[0]}",
                                  "check the --set values or distributions against the case")])
    summary = _sweep_stats.summarise(kpis, grid=not meta.get("samples"))
    how = [c for c in sw.HOW_SOLVED if c in kpis]  # not the answer: solves.csv
    _write_sweep_tables(folder, {"kpis": kpis.drop(columns=how), "summary": summary,
                                 "solves": kpis[["variant", *how]] if len(kpis) else kpis})
    _run_full_variants(src, variants, [v for v in full if v not in failed_variants(kpis)],
                       folder, options)
    if warn is not None:
        early = stopped_variants(kpis)
        if early:
            warn(early)
        for note in sw.split_notes(base, variants):
            warn(note)
        for note in sw.base_warnings(src, base):
            warn(f"the base: {note}")
    return kpis, summary


def stopped_variants(kpis: pd.DataFrame) -> str:
    """'' or the warning of a sweep some of whose variants stopped with a plan not proven
    optimal (status ``feasible``: a MIP at its time limit), as ``run`` warns of one: how
    many, which, their largest MIP gap, that the statistics count them, what to do."""
    if "status" not in kpis:
        return ""
    early = kpis[kpis["status"] == "feasible"]
    if early.empty:
        return ""
    gaps = pd.to_numeric(early["mip_gap"], errors="coerce").dropna() if "mip_gap" in early \
        else pd.Series(dtype=float)
    worst = (f"MIP gaps up to {gaps.max():.2%}" if len(gaps) == len(early) else
             f"MIP gaps up to {gaps.max():.2%}, some unknown" if len(gaps) else
             "MIP gaps unknown")
    n, total = len(early), len(kpis)
    return (f"{n} of {total} variant{'s' if total > 1 else ''} stopped at the time limit with "
            f"a plan ({worst}: {_sweep_stats.named(early['variant'])}): not proven optimal, "
            "yet counted as solved in summary.csv and the statistics (kpis.csv, columns "
            "status, mip_gap and message); raise --time-limit to solve "
            f"{'them' if n > 1 else 'it'} to optimality")


def failed_variants(kpis: pd.DataFrame) -> dict[str, str]:
    """The variants of a sweep's ``kpis`` that did not solve: id -> status and message."""
    if "status" not in kpis:
        return {}
    bad = kpis[~kpis["status"].isin(_sweep_stats.SOLVED)]
    messages = bad["message"].fillna("") if "message" in bad else pd.Series("", bad.index)
    return {str(v): f"{s}: {m}" for v, s, m in zip(bad["variant"], bad["status"], messages,
                                                   strict=True)}


#: why a sweep refuses ``relax`` (:func:`_as_stated`), given or recorded in its sweep.json
SWEEP_AS_STATED = "a sweep solves every variant"


def _as_stated(options: SolveOptions | None, what: str, where: str = "relax") -> None:
    """Refuse ``relax`` where every model is solved as the case states it (a sweep, a
    sensitivity): its MIPs were solved anyway and their numbers returned as asked.
    ``where``: the option as the message names it."""
    if options is not None and options.relax:
        raise InputError([Problem(where, f"{what} as the case states it, integer "
                                  "decisions included",
                                  "relax one run with chainopt run --relax")])


def _resumed_sweep(resume: str | Path) -> tuple[SweepFolder, dict]:
    """The folder and recorded request of a sweep to finish."""
    folder = sw.SweepFolder(Path(resume))
    meta_path = folder.path / "sweep.json"
    if not meta_path.is_file():
        raise InputError([Problem(str(resume), "not a sweep folder (no sweep.json)",
                                  "give a folder written by chainopt sweep")])
    for sub in ("parts", "variants"):  # chainopt makes them as real folders: a link in
        p = folder.path / sub  # their place would send the writes outside the sweep folder
        if p.is_symlink() or (p.exists() and not p.is_dir()):
            raise InputError([Problem(str(p), "is a link or a file, not the folder chainopt "
                                      "wrote, so the sweep will not write into it",
                                      "move it away, or start a new sweep")])
    return folder, sw.read_meta(meta_path)


def _not_resumable(exc: InputError, folder: Path, meta: dict) -> InputError:
    """The InputError of a resumed sweep whose recorded request (sweep.json: ``sets``,
    ``distributions``) this chainopt refuses: a grid value given twice or a uniform of
    low = high, which older ones took. Each problem is placed in sweep.json (a ``--set``
    the user never typed was blamed) and says the way forward: the sweep cannot be
    finished, a new one of its source is started with the request corrected (the
    problem's own hint, "give each value once"), not sweep.json edited."""
    meta_path = folder / "sweep.json"
    what = "distributions" if meta.get("samples") else "settings"
    source = meta.get("source") or "the default case"
    problems = []
    for p in exc.problems:
        where = p.where if p.where.startswith(str(meta_path)) else \
            f"{meta_path}: sets {p.where.removeprefix('--set').strip()}".rstrip()
        problems.append(Problem(where, p.message, f"the sweep in {folder} was started with "
                                "this (by an older chainopt, which took it), so it cannot be "
                                f"resumed: start a new sweep of {source} with its {what} "
                                "corrected" + (f" ({p.hint})" if p.hint else "")))
    return InputError(problems)


def _made_by(options: SolveOptions | None) -> dict:
    """What a sweep's variants are solved by and with, recorded in ``sweep.json`` for a
    resume to finish them alike: chainopt's and HiGHS's versions and the solver options
    given (a variant stopped by a time limit may hold a worse plan)."""
    from chainopt.solve import SolveOptions, made_by  # lazy: highspy

    return {"made_by": made_by(), "solver_options": dataclasses.asdict(options or SolveOptions())}


def _resumed_options(meta: dict, options: SolveOptions | None, folder: Path
                     ) -> SolveOptions:
    """The solver options a resumed sweep finishes with: those it was started with, by the
    same chainopt and HiGHS, so that its variants are not a mix of two solves. Another
    version, or options given again that differ, are an InputError; a sweep started before
    they were recorded takes the options given. The recorded options pass the checks of
    options given (:func:`_options_of`, :func:`check_options`, no ``relax``): sweep.json
    may come from someone else, and ``relax`` would solve every variant relaxed."""
    from chainopt.solve import SolveOptions, made_by  # lazy: highspy

    given = options or SolveOptions()
    made, recorded = meta.get("made_by"), meta.get("solver_options")
    if made is None and recorded is None:
        return given
    now = made_by()
    if made != now:
        raise InputError([Problem(
            "--resume", f"the sweep in {folder} was started by chainopt "
            f"{(made or {}).get('chainopt')} with HiGHS {(made or {}).get('highs')}; this is "
            f"chainopt {now['chainopt']} with HiGHS {now['highs']}, whose variants could "
            "differ from those finished", "start a new sweep (--overwrite replaces it)")])
    try:
        started = _options_of(recorded, known_only=True)
        check_options(started, keys=True)
        _as_stated(started, SWEEP_AS_STATED, "solver_options.relax")
    except (ValueError, InputError) as exc:
        said = str(exc) if isinstance(exc, ValueError) else "; ".join(
            f"{p.where}: {p.message}" for p in exc.problems)
        raise InputError([Problem(str(folder / "sweep.json"), f"damaged sweep.json: {said}",
                                  "start a new sweep (--overwrite replaces it)")]) from None
    if given not in (SolveOptions(), started):
        raise InputError([Problem("--resume", f"the sweep was started with "
                                  f"{_options_text(started)}, not {_options_text(given)}",
                                  "leave the solver options out: a resume finishes the "
                                  "sweep with those it was started with")])
    return started


def _options_text(o: SolveOptions) -> str:
    """The options set in ``o`` as text (``time_limit_s=5``), or ``the defaults``."""
    from chainopt.solve import SolveOptions  # lazy: highspy

    set_ = [f"{k}={v}" for k, v in dataclasses.asdict(o).items()
            if v != getattr(SolveOptions(), k)]
    return ", ".join(set_) or "the defaults"


def _resume_takes_no_request(source, sets, samples: int, seed: int | None, distributions,
                             name: str | None, overwrite: bool, out=None,
                             warm_basis: bool = False) -> None:
    """A resumed sweep runs what its sweep.json asks: what to vary, from which case and
    under which name given again would be ignored, so any of it is an InputError (a
    seed given, 0 too). So is ``out``: the sweep is finished in its folder, and
    ``--out OTHER`` was ignored while the user looked for it in OTHER; and
    ``--warm-basis``: a sweep goes on from bases as it was started (its sweep.json)."""
    given = [opt for opt, v in (("SOURCE", source), ("--set", sets), ("--samples", samples),
                                ("--seed", seed is not None), ("--distributions", distributions),
                                ("--name", name), ("--overwrite", overwrite),
                                ("--out", out is not None), ("--warm-basis", warm_basis))
             if v]
    if given:
        raise InputError([Problem("--resume", f"takes what to run from the sweep's "
                                  f"sweep.json, not from {', '.join(given)}",
                                  "leave them out to finish the sweep, or start a new one "
                                  "without --resume")])


def _new_sweep(source: str | Path | None, sets, samples: int, seed: int | None,
               distributions: str | Path | None, out: str | Path | None, name: str | None,
               overwrite: bool, project_npv: bool, full: list[str] | tuple[str, ...] = ()
               ) -> tuple[SweepFolder, dict, list, Case]:
    """The new sweep's folder (not written yet: an existing one, with ``overwrite``, is
    replaced only when the new sweep is complete), what is asked (``sweep.json``, enough
    to resume), its variants and the loaded base. Everything is checked before anything
    is written: the name, the settings or distributions (bounded YAML), the base and each
    setting against it."""
    if name is not None:
        check_name(name, "--name")
    if not sets and not samples:
        raise InputError([Problem("sweep", "nothing to vary",
                                  "give --set TARGET OP VALUES or --samples N")])
    if samples and not distributions:
        raise InputError([Problem("--samples", "Monte Carlo needs --distributions FILE",
                                  "declare the distributions in a YAML file")])
    if sets and samples:
        raise InputError([Problem("--set with --samples", "a sweep is a grid (--set) or "
                                  "Monte Carlo draws (--samples), not both",
                                  "run two sweeps, or declare the varied value as one more "
                                  "distribution")])
    if seed is not None and not samples:  # 0 too: given, it would go unused
        raise InputError([Problem("--seed", "seeds the Monte Carlo draws; a grid sweep has "
                                  "none", "add --samples N and --distributions FILE, or leave "
                                  "--seed out")])
    if distributions and not samples:
        raise InputError([Problem("--distributions", "is read only for Monte Carlo draws",
                                  "add --samples N, or leave --distributions out of a "
                                  "grid sweep")])
    # numbers=True: sd: 5e-2 is a number (YAML 1.1 read it as text), as in --set
    dist = read_mapping(distributions, str(distributions), what="distributions file",
                        numbers=True) if distributions else None
    meta: dict[str, Any] = {
        "source": str(source) if source is not None else None,
        "source_abs": str(Path(source).resolve()) if source and Path(str(source)).exists()
        else None,
        "sets": list(sets), "samples": samples, "seed": seed or 0, "distributions": dist,
        "project_npv": project_npv}
    variants = _sweep_variants(meta, str(distributions) if distributions else None)
    base = load_case(meta["source_abs"] or meta["source"])  # fail early, once, on a bad base
    _check_settings(base, variants, meta, str(distributions) if samples else "")
    _check_full(variants, full)
    # what every variant is made from (resume checks), with its parts' digests, so that a
    # resume names what was edited and goes on after an edit of party tables alone
    meta["input_hash"], meta["input_digests"] = case_digests(base)
    folder = sw.SweepFolder(child(Path(out or DEFAULT_RESULTS),
                                  name or scenario_name(base) or base.name, "--name",
                                  prefix="sweep-"))
    if folder.path.exists() or folder.path.is_symlink():
        check_not_held(folder.path)  # another run is writing it: say so, not "exists"
        if not overwrite:
            raise ResultsExistError(f"sweep folder {folder.path} exists; pass --resume "
                                    f"{folder.path} to finish it, or --overwrite")
        check_replaceable(folder.path, "sweep", sw.check_only_sweep_files)
    check_writable(folder.path.parent)
    return folder, meta, variants, base


def _resume_on_edited(base: Case, src: str, folder: Path, meta: dict,
                      warn: Callable[[str], object] | None) -> None:
    """A sweep's base ``src`` (loaded: ``base``) no longer hashes to the input hash its
    ``sweep.json`` records: InputsChangedError naming what changed (the digests sweep.json
    records, :func:`chainopt.case.digest.changed_parts`), unless only
    :data:`PARTY_TABLES` changed: the plan never reads them and kpis.csv holds no party
    figure, so no finished variant can differ, and the resume goes on with a warning
    naming them. A sweep.json written before the digests were recorded is refused as it
    was, naming nothing (it cannot tell what changed)."""
    recorded = meta.get("input_digests")
    now = case_digests(base)[1]
    parts = changed_parts(recorded, now, base.raw.scenario_chain, src, by="the sweep")
    labels = changed_files(recorded, now)
    if parts and labels and plan_never_reads(labels):
        if warn is not None:
            warn(f"{src} changed since the sweep in {folder} was started: {parts}. "
                 f"{never_read(labels).capitalize()} and kpis.csv holds no party figures, so "
                 "the finished variants stand and the sweep goes on")
        return
    raise InputsChangedError(
        f"inputs changed: {src} no longer hashes to {str(meta.get('input_hash'))[:12]}..., "
        f"the input hash the sweep in {folder} was started from"
        + (f"; the data were edited: {parts}" if parts else "")
        + "; its finished variants were solved on the data before the edit: start a new "
        "sweep instead of resuming")


def plan_never_reads(labels: list[str]) -> bool:
    """Every part of ``labels`` (as :func:`chainopt.case.digest.changed_files` gives
    them: ``tax_regimes.csv``) is one of the :data:`PARTY_TABLES`, which the plan never
    reads: an edit of them alone cannot change a plan, its objective or a sweep's kpis."""
    return bool(labels) and all(f.removesuffix(".csv") in PARTY_TABLES
                                and f.endswith(".csv") for f in labels)


def _check_settings(base: Case, variants: list, meta: dict, origin: str,
                    resumed: bool = False) -> None:
    """Each setting of a sweep request applies to ``base`` and changes no cell another one
    changes (:func:`chainopt.sweep.check_variants`); ``origin``: the file they were read
    from (the distributions file; a resumed sweep's sweep.json), named in messages.

    A resumed sweep is checked too: one started before two settings changing the same
    cells were refused has applied both, one after the other, to every finished variant,
    whose values in kpis.csv then misdescribe it; finishing it would only add more such
    variants, so it is refused with that said (its parts stay, for reading)."""
    samples = meta.get("samples")
    names = ([f"variables[{j}] ({label})" for j, label in enumerate(variants[0].values)]
             if samples and variants else [f"--set {text!r}" for text in meta["sets"]])
    if not resumed:
        _plan_reads(variants, names, f"{origin}: " if origin else "")
    try:
        sw.check_variants(base.raw, variants, f"{origin}: target" if samples else "--set",
                          names, f"{origin}: " if origin else "")
    except InputError as exc:
        if not resumed:
            raise
        raise InputError([Problem(
            f"--resume: {p.where}", p.message, "a resume runs the settings its sweep.json "
            "records, and the variants it finished have this too (the chainopt that started "
            "it did not check it): start a new sweep with the settings fixed (--overwrite "
            "replaces this one)" + (f"; {p.hint}" if p.hint else ""))
            for p in exc.problems]) from None


def _plan_reads(variants: list, names: list[str], within: str = "") -> None:
    """An InputError when a setting changes one of the :data:`PARTY_TABLES`: the plan
    never reads them and a sweep's kpis.csv has no party figures, so every variant would
    be solved to the same answer (three loan inflations on a toy gave 4.5, 4.5, 4.5 MUSD
    with no word, a table that reads "no effect"); ``names``: each setting as given."""
    for name, change in zip(names, variants[0].changes if variants else (), strict=False):
        table = change.get("table")
        if table in PARTY_TABLES:
            raise InputError([Problem(
                f"{within}{name}", f"{table}.csv is read only by compare's cooperation "
                "economics (who owns, finances and is taxed on a project, worked out on the "
                "plan afterwards): the plan never reads it and kpis.csv has no party "
                "figures, so every variant would be the same",
                "write a scenario for each value and compare them (chainopt compare BASE "
                "SCENARIO ...): compare splits each project's cash flows among the parties")])


def _check_full(variants: list, full: list[str] | tuple[str, ...]) -> None:
    """Every id in ``full`` names a variant of the sweep."""
    ids = {v.id for v in variants}
    for vid in full:
        if vid not in ids:
            raise InputError([Problem(f"--full {vid}", "no variant with this id",
                                      f"ids run from {variants[0].id} to {variants[-1].id}")])


def _sweep_variants(meta: dict, origin: str | None = None, recorded: bool = False) -> list:
    """The variants a sweep request asks for: Monte Carlo draws or the grid (``origin``:
    where the distributions were read, named in their messages; ``recorded``: read
    from a sweep's sweep.json, where a variable without ``op`` is the ``scale`` the
    chainopt that started it took it for, :func:`chainopt.sweep.draw_samples`)."""
    if meta.get("samples"):
        return sw.draw_samples(meta.get("distributions"), meta["samples"], meta.get("seed", 0),
                               origin or "distributions", recorded=recorded)
    return sw.grid([sw.parse_set(s) for s in meta.get("sets") or []])


def _write_sweep_tables(folder: SweepFolder, tables: dict[str, pd.DataFrame]) -> None:
    """``<table>.csv`` in the sweep folder, each written to a new temporary file and all
    renamed together (:func:`chainopt.atomic.write_files`): a link planted in a resumed
    folder is replaced, never written through, and a table that cannot be written
    leaves the others as they were."""
    write_files([(folder.path / f"{table}.csv", _csv(df)) for table, df in tables.items()])


def _csv(df: pd.DataFrame) -> Callable[[Path], object]:
    """A writer of ``df`` as CSV with its numbers as the results tables have them
    (:func:`chainopt.results.stable_floats`: 10 significant digits, below 1e-10 written
    0, no -0), for the tables of a sweep and a sensitivity."""
    return lambda tmp: stable_floats(df).to_csv(tmp, index=False, float_format=FLOAT_FORMAT,
                                                lineterminator="\n")


def _run_full_variants(src: str, variants: list, full: list[str] | tuple[str, ...],
                       folder: SweepFolder, options: SolveOptions | None) -> None:
    """Full results of the variants named in ``full``, under ``variants/<id>/``, each
    manifest saying which variant of which sweep it holds (``variant``:
    :func:`chainopt.sweep.variant_record`), so that ``verify`` re-runs the variant, not
    its base (:func:`_recorded_case`)."""
    by_id = {v.id: v for v in variants}
    if not full:
        return
    base = load_case(src)
    base_hash = case_hash(base)
    for vid in full:
        case = validate(sw.apply_variant(base.raw, list(by_id[vid].changes)))
        target = folder.path / "variants" / vid
        _check_target(target, overwrite=True)  # as run does, before solving
        try:
            res = run(case, save=False, options=options)
        except (InfeasibleError, UnboundedError) as exc:  # named as the variant, not the base
            raise type(exc)(sw.variant_failure(exc, src, by_id[vid])) from None
        res.manifest["variant"] = sw.variant_record(folder.path.name.removeprefix("sweep-"),
                                                    by_id[vid], base_hash)
        res.manifest["results_dir"] = str(target)
        res.save(target, overwrite=True)


#: what a sensitivity folder was made from (source, scenario, project, input hash,
#: drivers, swing, chainopt version): a comparison's deck shows its tornado only beside
#: a run of the same inputs
SENSITIVITY_RECORD = "sensitivity.json"

#: every file chainopt writes into a sensitivity folder
SENSITIVITY_FILES = frozenset({"breakeven.csv", "tornado.csv", "tornado.png",
                               SENSITIVITY_RECORD})


def check_only_sensitivity_files(folder: Path) -> None:
    """An OutputError if the sensitivity folder ``folder`` holds anything but
    :data:`SENSITIVITY_FILES` (a memo saved beside the tornado: ``--overwrite`` deleted it
    without a word)."""
    refuse_others(folder, others_in(folder, lambda e: own_file(e, SENSITIVITY_FILES)),
                  "sensitivity")


def sensitivity(source: str | Path | None, project: str | None = None,
                drivers: list[str] | tuple[str, ...] | None = None, swing: float = 0.2,
                sweep_folder: str | Path | None = None, out: str | Path | None = None,
                options: SolveOptions | None = None, progress=None,
                overwrite: bool = False, jobs: int | None = None) -> dict:
    """Break-even values and a tornado of ``project``'s incremental NPV in a scenario
    (see :mod:`chainopt.sensitivity`), and/or the Monte Carlo spread of every project's
    incremental NPV from a sweep folder. Writes ``breakeven.csv``, ``tornado.csv``,
    ``tornado.png`` to ``<out>/sensitivity-<scenario>-<project>/`` (atomically; an
    existing folder is replaced only with ``overwrite`` and only if chainopt wrote it,
    checked before solving) and ``projects_mc.csv``, ``projects_mc.png`` to the sweep
    folder (:data:`MC_FILES`; each file replaced atomically, existing ones only with
    ``overwrite``, checked before solving: they were replaced without it).
    Returns the tables, the files written, ``warning``: the values the MIP gaps
    leave open (:func:`chainopt.sensitivity.open_values`, "" when none is), and
    ``warnings``: what ``run`` would warn of in the base solves with the project held
    built and without it (:func:`chainopt.sensitivity.base_warnings`; also in
    ``sensitivity.json``, key ``warnings``), ``moved``: what the tornado moves each driver
    it shows to (:func:`chainopt.sensitivity.swing_text`), and of a sweep
    ``monte_carlo_one``: a warning when one draw alone has a plan.
    ``drivers``: default all of :data:`chainopt.sensitivity.DRIVERS`. ``jobs``: the
    drivers are solved in that many processes (None: one per core; 1: in this one),
    the same numbers either way (:func:`chainopt.sensitivity.analyse`)."""
    step = progress or (lambda _msg: None)
    drivers = sens.DRIVERS if drivers is None else drivers
    out_tables: dict = {"files": []}
    plt = None
    if sweep_folder is not None and not overwrite:  # before any solve
        there = [f for f in MC_FILES if (Path(sweep_folder) / f).exists()
                 or (Path(sweep_folder) / f).is_symlink()]
        if there:
            raise ResultsExistError(f"{Path(sweep_folder) / there[0]} exists (written by an "
                                    "earlier chainopt sensitivity --sweep); pass --overwrite "
                                    "to replace it")
    if source is not None and project:
        _as_stated(options, "sensitivity solves the scenario and every re-solve")
        sens.check_request(drivers, swing)
        batch.check_jobs(jobs, default="None: one per core")
        case = load_case(source)  # the folder's name, to check it before solving
        sens.check_project(case, project)  # before the "solving" line; MP2: "did you mean"
        check_name(project, "--project")
        scen = scenario_name(case) or case.name
        folder = child(Path(out or DEFAULT_RESULTS), project, "--project",
                       prefix=f"sensitivity-{check_name(scen, f'{source}: name')}-")
        if folder.exists() or folder.is_symlink():
            check_replaceable(folder, "sensitivity",  # not chainopt's: say so at once
                              check_only_sensitivity_files if overwrite else None)
            if not overwrite:
                raise ResultsExistError(f"sensitivity folder {folder} exists; pass "
                                        f"{said('--overwrite', 'overwrite=True')} to "
                                        f"replace it, or {elsewhere('sensitivity')}")
        check_writable(folder.parent)
        record = {"source": str(source), "scenario": scen, "project": project,
                  "input_hash": case_hash(case), "drivers": list(drivers), "swing": swing,
                  "chainopt_version": __version__}
        del case
        st = sens.setup(str(source), project, options, progress=step)
        record["warnings"] = st.warnings  # what run would warn of in the base plans
        be, tor = sens.analyse(st, list(drivers), swing, options, jobs=jobs, progress=step)
        plt = _pyplot()
        npv0 = float(tor["npv_base_musd"].iloc[0]) if len(tor) else 0.0
        base = sens.NEEDED if math.isnan(npv0) else f"{risk.numbers.number(npv0)} MUSD"
        moved = sens.swing_text(tor, swing)  # true of each driver shown (carbon: USD/t)
        fig = risk.tornado_figure(tor, f"{project}: incremental NPV"
                                       + (f" for {moved}" if moved else "") + f" (base {base})",
                                  plt, objective=st.objective)

        def fill(tmp: Path) -> None:
            _csv(be)(tmp / "breakeven.csv")
            _csv(tor)(tmp / "tornado.csv")
            fig.savefig(tmp / "tornado.png", dpi=risk.DPI, **_static.PNG)
            (tmp / SENSITIVITY_RECORD).write_text(json.dumps(record, indent=1,
                                                             sort_keys=True) + "\n")

        try:
            write_folder(folder, fill, kind="sensitivity", overwrite=overwrite,
                         check=check_only_sensitivity_files)
        finally:
            plt.close(fig)
        out_tables.update(breakeven=be, tornado=tor, moved=moved, folder=folder,
                          solves=st.solves,
                          warm=st.warm, held=st.held, warning=sens.open_values(st, be, tor),
                          warnings=st.warnings)
        out_tables["files"] += [folder / "breakeven.csv", folder / "tornado.csv",
                                folder / "tornado.png", folder / SENSITIVITY_RECORD]
    if sweep_folder is not None:
        _sweep_risk(Path(sweep_folder), out_tables, plt)
    return out_tables


#: what ``sensitivity --sweep DIR`` writes into the sweep folder
MC_FILES = ("projects_mc.csv", "projects_mc.png")


def _sweep_risk(sweep_folder: Path, out_tables: dict, plt) -> None:
    """``projects_mc.csv`` and ``projects_mc.png`` of a finished Monte Carlo sweep, written
    into it while it is held (a sweep still writing it, or another writer, is refused). A
    grid sweep is refused: its variants are points chosen, not draws."""
    kp, meta_path = sweep_folder / "kpis.csv", sweep_folder / "sweep.json"
    missing = [p.name for p in (meta_path, kp) if not p.is_file()]
    if missing:
        raise InputError([Problem(str(sweep_folder), f"no {missing[0]}: not a finished sweep",
                                  "give a folder written by chainopt sweep")])
    with held(sweep_folder):
        if not sw.read_meta(meta_path).get("samples"):
            # a grid's points are chosen, not drawn: their shares are no probabilities
            raise InputError([Problem(
                f"--sweep {sweep_folder}", "is a grid sweep (--set): its variants are the "
                "grid's points, not random draws, so percentiles and the share of them "
                "that builds a project are no probabilities",
                "run a Monte Carlo sweep (chainopt sweep SOURCE --samples N "
                "--distributions FILE) and give its folder; a grid's values are in its "
                "kpis.csv")])
        kpis = sw.read_kpis(sweep_folder)
        mc = sens.monte_carlo(kpis)
        if mc.empty:  # an empty table, chart and deck slide said nothing
            raise InputError([Problem(
                f"--sweep {sweep_folder}", "the sweep has no optional project: no "
                "incremental NPV to spread (kpis.csv has no npv_<project>_incremental_musd)",
                "sweep a case or scenario with a project whose state is optional; its "
                "summary.csv holds the spread of the objective and its parts")])
        # new temporary files renamed into place: a link planted in the folder is
        # replaced, never written through
        plt = plt or _pyplot()
        fig = risk.monte_carlo_figure(mc, f"Incremental NPV spread and probability built "
                                          f"({sweep_folder.name})", plt)
        try:  # both or neither, as they are one answer
            write_files([(sweep_folder / "projects_mc.csv", _csv(mc)),
                         (sweep_folder / "projects_mc.png",
                          lambda tmp: fig.savefig(tmp, dpi=risk.DPI, format="png",
                                                  **_static.PNG))])
        finally:
            plt.close(fig)
    out_tables["monte_carlo"] = mc
    out_tables["monte_carlo_warning"] = sens.open_medians(mc, kpis)
    out_tables["monte_carlo_failed"] = _sweep_stats.failed_draws(
        kpis, "projects_mc.csv, column failed")
    out_tables["monte_carlo_one"] = _sweep_stats.one_draw(
        kpis, "P10 = P50 = P90 = its NPV and P(built) is 0 or 1 (projects_mc.csv)")
    out_tables["monte_carlo_needed"] = sens.needed_draws(mc, kpis)
    out_tables["files"] += [sweep_folder / "projects_mc.csv", sweep_folder / "projects_mc.png"]


def _pyplot():
    # lazy: matplotlib is slow to import; only charts need it
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt  # lazy, after choosing the file-only backend

    return plt


def solve_options(**settings: Any) -> SolveOptions:
    """Solver options (``time_limit_s``, ``threads``, ``method``, ``solver``, ``relax``,
    ...; None keeps the case's default) for :func:`run`, :func:`sweep` and the others."""
    return _solver.SolveOptions(**settings)


def show_changes(scenario: str | Path, root: bool = False) -> dict[str, Any]:
    """What a scenario changes: ``chain`` (its files and cases, root first),
    ``description``, ``changes`` (table, key, column, old, new, action) against its base
    (or, with ``root``, the root case of the chain) and ``projects`` (project, base,
    scenario states; a project's ``state`` and ``forced_period`` are said there, not again
    among the changes). The effective case must validate (else InputError)."""
    sc.refuse_flag_value(scenario, "a scenario file")
    if not sc.is_scenario_path(scenario):
        raise ChainoptError(f"{scenario}: not a scenario file (expected a .yaml/.yml file "
                            "other than case.yaml); a case's tables are shown with --source "
                            f"TABLE (chainopt show {shell_word(scenario)} --source units)")
    base, eff, chain = sc.resolve_chain(scenario)
    if root:
        first = chain[0]
        base = read_raw(first["name"] if first.get("embedded") else first["path"])
    apply_scenario(scenario)
    a, b = sc.project_states(base), sc.project_states(eff)
    old = a.set_index("project") if len(a) else None
    rows = []
    for r in b.itertuples(index=False):
        was = ""
        if old is not None and r.project in old.index:
            o = old.loc[r.project]
            was = o["state"] + (f" {o['forced_period']}" if o["forced_period"] else "")
        rows.append({"project": r.project, "base": was,
                     "scenario": r.state + (f" {r.forced_period}" if r.forced_period else "")})
    diff = sc.diff_raw(base, eff)
    said = (diff["table"] == "projects") & diff["column"].isin(["state", "forced_period"])
    return {"chain": chain, "description": chain[-1].get("description", ""),
            "changes": diff[~said].reset_index(drop=True),
            "projects": pd.DataFrame(rows, columns=["project", "base", "scenario"])}


def show_sources(source: str | Path | None, table: str, key: str | None = None
                 ) -> pd.DataFrame:
    """The rows of ``table`` of a case or scenario (key containing ``key``, if given):
    ``key``, ``values`` (its numbers) and ``source`` (its provenance column)."""
    if table not in TABLES:
        raise ChainoptError(f"--source {table}: no such table; "
                            f"{closest(table, TABLES) or 'tables: ' + ', '.join(TABLES)}")
    df = load_case(source).tables[table]
    key_cols = list(TABLES[table].key)
    label = join_keys(df, key_cols)  # a tier as written: chn/hdpe/1
    if key:
        hit = label.str.contains(key, regex=False)
        if not hit.any():
            raise InputError([Problem(f"--key {key}", f"no row of {table}.csv has a key "
                                      f"containing '{key}'", closest(key, label) or
                                      f"its keys: {', '.join(label.head(8))}"
                                      + (", ..." if len(label) > 8 else ""))])
        df, label = df[hit], label[hit]
    numbers = [c.name for c in TABLES[table].columns
               if c.kind in ("float", "int") and c.name in df.columns]
    return pd.DataFrame({
        "key": label.to_numpy(),
        "values": [", ".join(f"{c}={r[c]:g}" for c in numbers if r[c] == r[c])
                   for _, r in df.iterrows()],
        "source": [str(r.get("source", "")) or "-" for _, r in df.iterrows()]})


def input_hash(case: Case) -> str:
    """The canonical hash of a case's effective inputs (see :mod:`chainopt.case.digest`)."""
    return case_hash(case)


def convert(src: str | Path, dst: str | Path, overwrite: bool = False,
            warn: Callable[[str], object] | None = None) -> Path:
    """Case folder (or embedded case) -> one ``.xlsx`` workbook, or workbook -> case folder.

    Both give the same input hash (see :mod:`chainopt.case.excel`). ``warn`` is called
    with a warning naming the text cells of a written folder that would run as formulas
    in a spreadsheet program.
    """
    return _convert(src, dst, overwrite=overwrite, warn=warn)


def report(folder: str | Path, out: str | Path | None = None,
           static: list[str] | tuple[str, ...] = (), pptx: bool = False,
           measure: str = "mass", warn: Callable[[str], object] | None = None,
           overwrite: bool = False) -> list[Path]:
    """Write ``report.html`` (plus static charts in ``static`` formats: 'png', 'svg', and
    with ``pptx`` a PowerPoint deck) for a results folder or a comparison folder; returns
    the paths written, the HTML first. ``measure``: the Sankey's band widths (mass,
    energy or value). ``warn`` is called with each picture left out of a comparison's
    deck (a damaged ``tornado.png`` or ``projects_mc.png`` in a folder beside it).
    ``out`` elsewhere than the folder's own report must be in an existing folder, and
    replaces a file there only with ``overwrite``."""
    sc.refuse_flag_value(folder, "a results or comparison folder")
    try:
        return _html.write_report(folder, out=out, static=static, pptx=pptx, measure=measure,
                                  warn=warn, overwrite=overwrite)
    except READ_FAULTS as exc:
        raise _unreadable(folder, exc) from None


def explain(target: str | Path | None = None, ranging: bool = False, elastic: bool = False,
            top: int | None = None, period: str | None = None) -> list[str]:
    """Explain a results folder (why this plan; ``ranging``: how robust it is) or diagnose
    a case that does not solve (an irreducible infeasible subset, ``elastic``
    relaxations, or the quantities that run away). Returns lines of text. ``top`` items
    per list (default 10; 15 for the ranging list)."""
    # lazy: the model side (the families, highspy) loads only when a model is built or
    # explained, so that `import chainopt.api` (chainopt validate) stays light
    from chainopt import diagnose
    from chainopt.report import explain as ex

    if target is not None and (Path(target) / MANIFEST).exists():
        if elastic:
            raise InputError([Problem("--elastic", f"{target} is a results folder: its case "
                                      "solved, there is nothing to relax",
                                      "give --elastic with a case that does not solve")])
        res = (Results.load(target, only=("ranging", "capacity")) if ranging  # the tables
               else Results.load(target, require=("kpis", "constraints")))  # it reads
        # the explanation's own text kept as the run kept its (chainopt.case.storage:
        # Python strings for a small run, where pandas' Arrow default is slower)
        with text_storage(recorded_storage(res.manifest)):
            try:
                periods = [str(p) for p in res.manifest.get("periods") or []]
                if period is not None and periods and period not in periods:
                    raise InputError([Problem("--period", f"no period '{period}' in {target}",
                                              _period_hint(res.manifest, period, periods))])
                if ranging:
                    r = res.tables.get("ranging")
                    if period is not None and r is not None and "period" in r:
                        r = r[r["period"].astype(str) == period]
                    return [*ex.header_lines(res.manifest, period),
                            *ex.ranging_lines(r, top=15 if top is None else top,
                                              notes=ex.ranging_notes(res.manifest),
                                              capacity=res.tables.get("capacity"))]
                return ex.why_lines(res.tables, res.manifest, top=10 if top is None else top,
                                    period=period)
            except READ_FAULTS as exc:
                raise _unreadable(target, exc) from None
    sc.refuse_flag_value(target, "a results folder or case")
    wrong = _neither_run_nor_case(target, ranging)
    if wrong is not None:
        raise wrong
    # what solves the case, named: `chainopt run` alone solves the default case
    run_it = " ".join(["chainopt run", *([shell_word(str(target))] if target else [])])
    if ranging:
        what = target or "the default case"
        try:
            load_case(target)
        except ChainoptError:  # a typo, an empty folder, a comparison or sweep folder
            raise InputError([Problem("--ranging", f"{what} is not a results folder (no "
                                      "manifest.json)", "give a folder chainopt run wrote "
                                      "(results/<name>); a comparison's or sweep's runs "
                                      "are folders of their own")]) from None
        raise InputError([Problem("--ranging", f"{what} is a case, not a results folder: "
                                  "ranging is of a solved plan", f"run it ({run_it}) and "
                                  "give --ranging with the results folder it writes")])
    case = load_case(target)
    d = diagnose.diagnose(_build.build(case), relax=elastic)
    if d.status == "infeasible":
        command = " ".join(["chainopt explain", *([str(target)] if target else []),
                            "--elastic"])
        # each "markets.csv row 2" where the user finds the row: by its key for a
        # scenario, at its sheet and row for a workbook
        scen = scenario_name(case)  # a scenario named as run names it (it read "The case")
        what = f"Scenario '{scen}' (on case '{case.name}')" if scen else "The case"
        return sc.located_warnings(case, [*ex.infeasible_lines(d.members, d.method, d.complete,
                                                            None if elastic else command,
                                                            what),
                                       *ex.elastic_lines(d.relaxations)])
    if d.status == "unbounded":
        return ex.unbounded_lines(d.runaway)
    if d.status == "integer_infeasible":
        return ex.integer_infeasible_lines(case.name, d.fractional)
    if d.status == "optimal":
        scen = scenario_name(case)
        what = f"scenario '{scen}'" if scen else f"case '{case.name}'"
        return [f"{what} solves (its LP is feasible and bounded): run `{run_it}` "
                "and explain the results folder it writes."]
    return [f"case '{case.name}': HiGHS could not decide feasibility (status {d.status})."]


def _period_hint(manifest: dict, period: str, periods: list[str]) -> str:
    """What to give for ``--period`` when ``period`` is none of a run's ``periods``: where
    it looks like a year (``p2027``, ``2027``) and the run records its periods' years,
    the period holding that year (a split run's p2026 is 2026-2028, so 2027 is in it
    and p2027 names no period), then the run's periods."""
    from chainopt.report.holding import holding_year, period_spans  # lazy: explain's own

    names = f"one of {', '.join(periods)}"
    year = re.fullmatch(r"[pP]?(\d{4})", period.strip())
    spans = period_spans(manifest) if year else {}
    if not spans:
        return f"give {names}"
    y = int(year.group(1))  # type: ignore[union-attr]
    held = holding_year(manifest, y)
    if held is None:
        first, end = min(a for a, _ in spans.values()), max(b for _, b in spans.values())
        return (f"the year {y} is outside the run's years ({years_text(first, end)}): "
                f"give {names}")
    return (f"the year {y} is in the period {held} ({years_text(*spans[held])}): give "
            f"--period {held} ({names})")


#: what explain tells to give for a folder that is neither a results folder nor a case
EXPLAIN_TARGETS = ("give a folder chainopt run wrote (results/<name>), or a case folder "
                   "(case.yaml and its CSV tables)")


def _neither_run_nor_case(target: str | Path | None, ranging: bool) -> InputError | None:
    """explain's error for ``target`` (no manifest.json in it) when it is a folder that is
    no case folder either, or a path not there beside results folders (a mistyped run
    folder): what the folder is (a comparison, sweep or sensitivity folder, the folder
    holding results folders) and the run folders to give
    (:func:`chainopt.report.folders.not_a_run`); it had said "no case.yaml in this
    folder" of them all. None for anything else (read as a case)."""
    from chainopt.report import folders  # lazy: explain's own

    if target is None:
        return None
    path = Path(target)
    if path.is_dir() and not (path / "case.yaml").exists():
        if ranging:  # ranging reads a results folder alone
            return folders.not_a_run(path, "explain", give="give a folder chainopt run "
                                     "wrote (results/<name>)")
        return folders.not_a_run(path, "explain", nor="a case folder (no case.yaml)",
                                 give=EXPLAIN_TARGETS)
    # a path, not a bare name: a bare one may be a mistyped embedded case
    if len(path.parts) > 1 and path.suffix.lower() not in (".yaml", ".yml", ".xlsx"):
        return folders.missing_run(path)
    return None


def _not_a_run_of(command: str, folder: str | Path) -> None:
    """Raise for ``folder`` given to ``chainopt COMMAND`` where a results folder is read
    when it is a folder without manifest.json (which other folder it is, and the run
    folders to give: :func:`chainopt.report.folders.not_a_run`) or a path not there beside
    results folders (:func:`chainopt.report.folders.missing_run`: did you mean), or a
    flag's value (:func:`chainopt.case.scenario.flag_value`)."""
    from chainopt.report import folders  # lazy

    sc.refuse_flag_value(folder, "a results folder")
    path = Path(folder)
    if path.is_dir() and not (path / MANIFEST).exists():
        raise folders.not_a_run(path, command, give="give a folder written by chainopt run")
    wrong = folders.a_file(path, command) or folders.missing_run(path)
    if wrong is not None:
        raise wrong


def _unreadable(folder: str | Path, exc: Exception) -> InputError:
    """The InputError for a results folder that ``explain`` or ``report`` failed on with
    ``exc``: :func:`_damaged`, unless every table it records is the file chainopt wrote
    (their SHA-256 match ``manifest.json``'s record), when the failure is more likely
    chainopt's own than the folder's and the message says so (it had said "damaged" and
    "run again", which writes the same tables and fails the same way)."""
    try:
        manifest = read_manifest(Path(folder) / MANIFEST)
        files = table_files(manifest, Path(folder) / MANIFEST) or {}
        intact = bool(files) and all((Path(folder) / e["file"]).is_file()
                                     for e in files.values()) and not edited_tables(
            folder, manifest)
    except (InputError, OSError, KeyError, TypeError):
        intact = False
    if not intact:
        return _damaged(folder, exc)
    return InputError([Problem(str(folder), (
        f"chainopt {__version__} failed on these results ({type(exc).__name__}: "
        f"{' '.join(str(exc).split())[:200]}), though every table is the file chainopt "
        "wrote (its SHA-256 matches manifest.json)"), (
        "this is likely a fault in chainopt, not in the folder: please report it with the "
        "folder and the command; a folder whose manifest.json was edited by hand is "
        "written anew by running its case again"))])


def _damaged(folder: str | Path, exc: Exception) -> InputError:
    """The InputError for a results folder whose tables are not what chainopt wrote."""
    return DamagedResultsError([Problem(str(folder), f"damaged results ({type(exc).__name__}: "
                               f"{' '.join(str(exc).split())[:200]})", RERUN)])


def export(source: str | Path | None = None, mps: str | Path | None = None,
           lp: str | Path | None = None, overwrite: bool = False
           ) -> tuple[list[Path], list[str]]:
    """Write the model of a case as MPS and/or LP with readable row and column names, as
    a minimisation of minus its objective with the constant in a fixed column
    (:func:`chainopt.diagnose.export.named_highs`: every reader takes it alike); return
    the files written and the report: a ``note:`` line saying so when files were written,
    then the coefficient ranges. The folder of each file
    must exist and be writable, and an existing file is replaced only with ``overwrite``
    (both checked before the model is built). Both files are written to temporary files
    and renamed into place together (:func:`chainopt.atomic.write_files`): a failed or
    interrupted export writes neither (no partial file, and none of the pair without the
    other) and leaves existing ones as they were."""
    # lazy: the model side (the families, highspy) loads only when a model is built or
    # explained, so that `import chainopt.api` (chainopt validate) stays light
    from chainopt import diagnose
    from chainopt.report import explain as ex

    for path in (mps, lp):
        if path is None:
            continue
        path = Path(path)
        if path.is_dir():
            raise InputError([Problem(str(path), "is a folder", "give a file name")])
        if not path.parent.is_dir():
            raise InputError([Problem(str(path), f"the folder {path.parent} does not exist",
                                      "create it first or write elsewhere")])
        check_writable(path.parent)
        if (path.exists() or path.is_symlink()) and not overwrite:
            raise ResultsExistError(f"{path} exists; pass --overwrite to replace it or "
                                    "give another file name")
    built = _build.build(load_case(source))
    written = write_files([(path, lambda tmp: diagnose.export_model(built, str(tmp)))
                           for path in (mps, lp) if path is not None])
    note = [f"note: {diagnose.export_note(built)}"] if written else []
    return written, [*note, *ex.numerics_lines(diagnose.coefficient_ranges(built))]


def verify(results_dir: str | Path, rtol: float = 1e-6, atol: float = 1e-6,
           time_limit: float | None = None):
    """Re-run a saved run from its recorded inputs and compare every table.

    Raises :class:`~chainopt.errors.InputsChangedError` (exit 6) when the inputs no
    longer hash to the recorded ``input_hash``, and
    :class:`~chainopt.errors.ResultsDifferError` (exit 5) when the answer differs: the
    status, objective sense or MIP-ness, the objective or any table cell beyond
    ``rtol``/``atol``, a row added or removed (:func:`chainopt.report.drift.compare_results`,
    which says what is not compared), its message naming the versions or platform that
    changed. A table edited since it was written (its checksum differs) is an InputError
    (exit 1) naming each cell that differs from the re-run (table, row's keys, column).
    Returns the drift report: empty, or only notes of tables and columns the saved folder
    lacks (written by an older chainopt; the columns both have are compared).
    ``time_limit``: seconds for the re-run instead of the recorded time limit (a slower
    machine). A recorded source at its recorded path that holds other inputs gives way to
    its path's tail below the working directory when that holds the inputs the run
    recorded (a stale copy left where the run was made, the right one in the checkout).
    """
    _expect(results_dir, (str, Path), "results_dir", "a results folder, as a str or Path")
    if time_limit is not None:
        check_options(_solver.SolveOptions(time_limit_s=time_limit))
    _not_a_run_of("verify", results_dir)
    edited: list[str] = []
    edited_manifest: list[Problem] = []
    damaged: InputError | None = None
    try:
        saved = Results.load(results_dir)
    except InputError as exc:  # a table edited by hand? read it to name the cells
        try:
            saved = Results.load(results_dir, checksums=False)
        except ChainoptError:
            raise exc from None
        edited, damaged = edited_tables(results_dir, saved.manifest), exc
        if not edited:  # no table edited: the manifest is (its objective not kpis.csv's)
            raise exc from None
        if "kpis" not in edited:  # kpis.csv as written: the manifest may be edited too
            try:
                check_against_kpis(saved.manifest, saved.tables.get("kpis"),
                                   Path(results_dir) / MANIFEST)
            except InputError as also:
                edited_manifest = also.problems
    m = saved.manifest
    if not isinstance(m.get("objective"), int | float) or not isinstance(m.get("input_hash"), str):
        raise _damaged(results_dir, ValueError("manifest.json lacks objective or input_hash"))
    extended = extension_summary(m)
    if extended is not None:
        raise InputError([Problem(str(results_dir), "was made by a run whose model was "
                                  f"extended through Pyomo ({extended})"
                                  ": verify re-runs the case from its source and cannot "
                                  "re-run the extension, so it has nothing to compare with",
                                  "re-run it with api.run(..., extend=...) and compare the "
                                  "two with chainopt.report.drift.compare_results")])
    if m.get("status") == "feasible":  # a MIP stopped at its time limit
        gap = m.get("mip_gap")
        raise InputError([Problem(
            str(results_dir), "the run stopped at its time limit with a plan not proven "
            "optimal (status 'feasible', MIP gap "
            + (f"{gap:.2%})" if isinstance(gap, int | float) else "unknown)")
            + ": a re-run stops wherever its clock lets it, so there is nothing to verify "
            "against", "solve it to optimality (chainopt run with a larger --time-limit) "
            "and verify that run")])
    src = sc.recorded_source(m)
    if not src:
        raise InputError([Problem(str(results_dir), "manifest.json records no source to re-run",
                                  "results written by chainopt 0.1 or later record it")])
    if sc.found_here(src) is None:  # not as recorded, not embedded, no tail here
        tails = Path(src).parts[1:][-2:]
        raise InputError([Problem(
            f"{Path(results_dir) / MANIFEST}: source", f"the recorded source {src} is not "
            "on this machine: not at that path, not an embedded case, and no tail of the "
            f"path (such as {Path(*tails) if tails else src}) below the working directory "
            f"{Path.cwd()}", "run chainopt verify from the root of the checkout holding it "
            "(where the recorded path's tail resolves)")])
    try:
        case = _recorded_case(m, src, results_dir)
    except InputsChangedError:
        if damaged is not None:  # a re-run of other inputs tells nothing of the edit
            raise damaged from None
        raise
    same = same_inputs(case, m.get("input_hash"))
    if not same:  # (hashed again only when the copy found by its tail replaced it)
        tail = _tail_case(m, src, results_dir)
        if tail is not None:
            (src, case), same = tail, same_inputs(tail[1], m.get("input_hash"))
    if not same:
        if damaged is not None:  # a re-run of other inputs tells nothing of the edit
            raise damaged
        now, digests = case_digests(case)
        if "variant" in m:  # its base is unchanged (_recorded_case): the record is not
            # the one the run wrote, or the hash beside it
            raise InputError([Problem(
                f"{Path(results_dir) / MANIFEST}: variant", "damaged: the base is unchanged "
                f"but the variant's settings give inputs hashing to {now[:12]}..., not the "
                f"{str(m.get('input_hash'))[:12]}... the run was made from (its settings or "
                "input_hash were edited)", "save the variant again (chainopt sweep ... "
                "--full ID)")])
        memory = [n for n, _ in sc.recorded_changes(m.get("scenario_chain"))]
        what = (f"{src} with the changes made in memory that manifest.json records "
                f"({', '.join(memory)})" if memory else src)
        parts = changed_parts(m.get("input_digests"), digests, case.raw.scenario_chain, src)
        if parts == "":  # every part as recorded: the hash beside them is not the run's
            raise InputError([Problem(
                f"{Path(results_dir) / MANIFEST}: input_hash", "damaged: it says the run "
                f"was made from inputs hashing to {str(m.get('input_hash'))[:12]}..., but "
                f"they hash to {now[:12]}... and every table and scenario file of them "
                "matches the digest manifest.json records for it (input_digests): the "
                "manifest was edited, not the data", RERUN)])
        edited_what = ("the data or those recorded changes were edited" if memory
                       else "the data were edited") + (f": {parts}" if parts else "")
        labels = changed_files(m.get("input_digests"), digests)
        # still exit 6: the folder no longer records the inputs it would be re-run from;
        # but an edit of the party tables alone cannot change what the run found
        so = (f"; {never_read(labels)}, so the run's answer cannot change: re-run it to "
              "record the new inputs" if labels and plan_never_reads(labels) else
              ", so the answer is expected to change (re-run and review the new results)")
        raise InputsChangedError(
            f"inputs changed: {what} now hashes to {now[:12]}..., the run in {results_dir} "
            f"was made from {str(m.get('input_hash'))[:12]}...; {edited_what}{so}")
    options = _recorded_options(m, results_dir)
    if time_limit is not None:
        options = dataclasses.replace(options, time_limit_s=time_limit)
    limit = ("none" if options.time_limit_s is None else f"{options.time_limit_s:g} s"
             + (", given by --time-limit" if time_limit is not None
                else ", as the run recorded"))
    try:
        fresh = run(case, save=False, options=options)
    except SolverError as exc:  # its hint names run's options: verify has --time-limit only
        said = str(exc).split("; raise --time-limit")[0]
        raise SolverError(
            f"the re-run of {results_dir} with the solver options it records "
            f"(manifest.json solver_options, time limit {limit}) ended without a usable "
            f"plan: {said}. A slower machine? give the re-run more time (chainopt verify "
            f"{results_dir} --time-limit S, S above the {limit.split(',')[0]})") from None
    try:
        report = _drift.compare_results(saved, fresh, rtol=rtol, atol=atol)
    except READ_FAULTS as exc:
        raise _damaged(results_dir, exc) from None
    if damaged is not None:
        raise InputError([*_edited(results_dir, saved, report, edited, rtol, atol).problems,
                          *edited_manifest])
    if len(_drift.differences(report)):
        stopped = ("\n  the re-run stopped at its time limit "
                   f"({limit}) with a plan not proven optimal: a slower machine? give the "
                   f"re-run more time (chainopt verify {shell_word(results_dir)} --time-limit S)"
                   if fresh.manifest.get("status") == "feasible" and m.get("status")
                   == "optimal" and options.time_limit_s is not None else "")
        raise ResultsDifferError(_drift.describe(report, rtol=rtol, atol=atol) + stopped
                                 + "".join("\n" + ln for ln in _drift.made_by_lines(
                                     m, fresh.manifest)) + f"\n  re-ran {src}")
    # what was re-run, for the ok line: in a second checkout or a copy the recorded
    # absolute path may be the other copy's (review walk3 F2: an ok said nothing of it)
    report.attrs["source"] = src
    return report


def _tail_case(manifest: dict, src: str, folder: str | Path) -> tuple[str, Case] | None:
    """The tail of the recorded source ``src`` below the working directory and its case
    (:func:`_recorded_case`), if that tail exists and holds the inputs the run recorded
    (its ``input_hash``); else None. verify re-ran a stale, edited copy left at the
    recorded path and said "inputs changed" while the checkout held the right one."""
    tail = sc.tail_here(src)
    if tail is None:
        return None
    try:
        case = _recorded_case(manifest, tail, folder)
    except ChainoptError:
        return None
    return (tail, case) if same_inputs(case, manifest.get("input_hash")) else None


def _recorded_case(manifest: dict, src: str, folder: str | Path) -> Case:
    """The case a saved run was made from, to run again: its recorded source ``src``,
    with the changes made in memory its chain records applied again (``api.change_case``,
    checked as when they were made: the folder may come from someone else), and, for a
    sweep's ``--full`` variant (``variant`` in its manifest), that source with
    the variant's recorded settings applied (:func:`chainopt.sweep.recorded_variant`:
    checked, as the folder may come from someone else; InputsChangedError if the base
    was edited since)."""
    case = load_case(src)
    for name, changes in sc.recorded_changes(manifest.get("scenario_chain")):
        case = sc.change_case(case, changes, name)
    if "variant" not in manifest:
        return case
    return sw.recorded_variant(manifest["variant"], case, str(Path(folder) / MANIFEST))


def _edited(folder: str | Path, saved: Results, report: pd.DataFrame, edited: list[str],
            rtol: float, atol: float, limit: int = 10) -> InputError:
    """The InputError of a results folder whose ``edited`` tables are not the files
    chainopt wrote (their SHA-256 differs from the one recorded), naming each cell of
    them that differs from a re-run of the same inputs (``report``: the drift of the
    saved tables against it), up to ``limit`` of them."""
    files = saved.manifest[TABLE_FILES]
    diff = _drift.differences(report)
    problems = []
    for name in edited:
        cells = diff[diff["table"] == name]
        said = [f"row {r.key}, column {r.column}: the file says {r.old:.10g}, a re-run "
                f"gives {r.new:.10g}" if r.what in ("changed", "binding changed") else
                f"row {r.key}: {r.what} (against a re-run)" if r.key else
                f"column {r.column}: {r.what} (against a re-run)"
                for r in cells.head(limit).itertuples(index=False)]
        more = f"; and {len(cells) - limit} more" if len(cells) > limit else ""
        problems.append(Problem(
            str(Path(folder) / files[name]["file"]), "damaged results table: edited since "
            "chainopt wrote it (its SHA-256 differs from the one manifest.json records); "
            + ("; ".join(said) + more if said else "no cell differs from a re-run of the "
               f"same inputs beyond rtol={rtol:g}, atol={atol:g} (a change of spelling or "
               "within the tolerance)"),
            "restore the folder as it was written, or run the case again "
            "(chainopt run ... --overwrite) and verify that run"))
    return InputError(problems)


def _recorded_options(manifest: dict, folder: str | Path) -> SolveOptions:
    """The solver options a results folder records (:func:`_options_of`: the folder may
    come from someone else), else the InputError of a damaged folder."""
    try:
        return _options_of(manifest.get("solver_options") or {})
    except ValueError as exc:
        raise _damaged(folder, exc) from None


def _options_of(opts: object, known_only: bool = False) -> SolveOptions:
    """Solver options as recorded (a results folder's manifest, a sweep's sweep.json),
    each of the type chainopt writes, else a ValueError naming each key that is not: a
    text where a number belongs, a method HiGHS does not have, or a solver that is not a
    plain name is never passed on (the record may come from someone else).
    ``known_only``: a key SolveOptions does not have is refused too."""
    kinds: dict[str, tuple[type, ...]] = {
        "time_limit_s": (int, float), "threads": (int,), "mip_gap": (int, float),
        "random_seed": (int,), "method": (str,), "solver": (str,), "relax": (bool,)}
    if not isinstance(opts, dict):
        raise ValueError("solver_options is not a mapping")
    bad = [f"solver_options has the unknown key {k!r}" for k in opts
           if known_only and k not in kinds]
    for key, kind in kinds.items():
        v = opts.get(key)
        if v is not None and (not isinstance(v, kind) or (isinstance(v, bool)
                                                          and bool not in kind)):
            bad.append(f"solver_options.{key} is {v!r}")
    if not bad and opts.get("method") not in (None, "auto", "simplex", "ipm"):
        bad.append(f"solver_options.method is {opts['method']!r}")
    if not bad and opts.get("solver") is not None and not _solver.SOLVER_NAME.fullmatch(
            opts["solver"]):
        bad.append(f"solver_options.solver is {opts['solver']!r}, not a solver name")
    if bad:
        raise ValueError("; ".join(bad))
    return _solver.SolveOptions(
        time_limit_s=opts.get("time_limit_s"), threads=opts.get("threads"),
        method=opts.get("method"), mip_gap=opts.get("mip_gap"),
        random_seed=opts.get("random_seed", 0), solver=opts.get("solver"),
        relax=bool(opts.get("relax", False)))


#: the key of a snapshot file recording the input hash of the run it was written from
SNAPSHOT_HASH = "input_hash"
#: the key of a snapshot file recording the digests of its inputs' parts (tables and
#: scenario files: chainopt.case.digest.case_digests), to name what changed
SNAPSHOT_DIGESTS = "input_digests"


def default_snapshot_sources() -> list[str]:
    """Every embedded case and every ``scenarios/*.yaml`` below the working directory."""
    return [*embedded_cases(), *sorted(str(p) for p in Path("scenarios").glob("*.yaml"))]


def snapshot_write(sources: list[str] | None = None, directory: str | Path = "snapshots"
                   ) -> list[Path]:
    """Write one small, reviewable YAML file of key figures per source.

    All or nothing: every source is solved first and the files are written only when all
    have solved (a failing source or Ctrl-C leaves the folder as it was), then together
    (:func:`chainopt.atomic.write_files`: a file that cannot be written, such as a name
    taken by a folder, leaves every snapshot as it was); two sources of one name are an
    InputError (one file would overwrite the other), and so is a source whose run
    stopped at its time limit with a plan not proven optimal (status ``feasible``): its
    figures are wherever the clock stopped, nothing to check against. Each file records
    the run's ``input_hash`` beside its figures, and the digests of its tables and
    scenario files (:func:`snapshot_check` says when the inputs changed, and which)."""
    folder = check_writable(directory)
    texts: dict[Path, str] = {}
    for src in sources or default_snapshot_sources():
        res = run(src, save=False)
        if res.manifest.get("status") == "feasible":
            raise InputError([Problem(str(src), "its run stopped at its time limit with a "
                                      "plan not proven optimal (status 'feasible'): a "
                                      "re-run stops wherever its clock lets it, so its "
                                      "figures are nothing to check against",
                                      "give it more time (time_limit_s in its case.yaml) "
                                      "or leave it out")])
        figures = {"rerun": str(src), SNAPSHOT_HASH: res.manifest["input_hash"],
                   SNAPSHOT_DIGESTS: res.manifest["input_digests"],
                   **_drift.key_figures(res)}
        name = res.manifest.get("scenario") or res.manifest["case"]
        path = child(folder, name, f"{src}: name").with_suffix(".yaml")
        if path in texts:
            raise InputError([Problem(str(src), f"a second source named '{name}' (its "
                                      "snapshot would overwrite the first one's)",
                                      "give the scenarios distinct names")])
        texts[path] = yaml.safe_dump(figures, sort_keys=True, allow_unicode=True)
    folder.mkdir(parents=True, exist_ok=True)
    return write_files([(path, _utf8(text)) for path, text in texts.items()])


def _utf8(text: str) -> Callable[[Path], object]:
    """A writer of ``text`` as UTF-8, for :func:`chainopt.atomic.write_files`."""
    return lambda tmp: tmp.write_text(text, encoding="utf-8")


#: where a snapshot's relative ``rerun:`` path is looked for, for its error's hint
SNAPSHOT_WHERE = ("a relative rerun: path resolves against the working directory (now "
                  "{cwd}), an absolute one moved with its checkout is looked for by its "
                  "tail below it: run chainopt snapshot check from the folder the snapshots "
                  "were written from (the checkout root); a case or scenario removed on "
                  "purpose: delete its snapshot file")


def snapshots_missing(reruns: list[str]) -> list[str]:
    """The scenarios of a snapshot folder's set that have none: every scenario file (a
    YAML mapping with a ``base`` key) in a folder holding a scenario file one of its
    snapshots re-runs (``reruns``: their ``rerun:`` paths), named as the folder's own
    ``rerun:`` paths are (``scenarios/new.yaml``). ``snapshot write`` without sources
    writes such a set (``scenarios/*.yaml``, with the embedded cases: those are part of
    chainopt, not files a user adds or deletes, and are not asked for)."""
    embedded = embedded_cases()
    found = [sc.found_here(r) or r for r in reruns]
    have = {str(Path(p).resolve()) for p in found if p not in embedded}
    folders: dict[Path, Path] = {}
    for p in found:
        if p not in embedded and sc.is_scenario_path(p) and Path(p).parent.is_dir():
            folders.setdefault(Path(p).parent.resolve(), Path(p).parent)
    missing = []
    for folder in folders.values():
        for f in sorted(folder.iterdir()):
            if not (f.is_file() and sc.is_scenario_path(f)) or str(f.resolve()) in have:
                continue
            try:
                if "base" not in read_mapping(f):
                    continue  # not a scenario (a sweep's distributions, say)
            except InputError:
                continue
            missing.append(str(folder / f.name))
    return missing


def _snapshotted_beside(scenario: str, reruns: list[str]) -> str:
    """The first of ``reruns`` (snapshots' ``rerun:`` paths) in the folder of
    ``scenario``, which :func:`snapshots_missing` found it beside."""
    here = Path(scenario).parent.resolve()
    for r in reruns:
        p = sc.found_here(r) or r
        if Path(p).parent.resolve() == here and sc.is_scenario_path(p):
            return str(r)
    return "a snapshotted scenario"


def _snapshots_failed(failed: list[tuple[Path, ChainoptError]], total: int,
                      drifted: list[str]) -> ChainoptError:
    """The error of a ``snapshot check`` whose re-runs of ``failed`` snapshots (file,
    error) failed: every one, each named by its snapshot file, with the exit code of the
    worst (an input error 1, infeasible 3, solver 4); the snapshots that drifted besides
    are named too."""
    problems = []
    for f, exc in failed:
        said = exc.problems if isinstance(exc, InputError) else [Problem("", str(exc))]
        for p in said:
            missing = "no such" in p.message or "no case folder" in p.message
            problems.append(Problem(
                f"{f}: rerun" + (f" {p.where}" if p.where else ""), p.message,
                SNAPSHOT_WHERE.format(cwd=Path.cwd()) if missing else p.hint))
    also = (f"; besides, {len(drifted)} snapshot{'s' if len(drifted) > 1 else ''} drifted "
            f"({', '.join(drifted)})" if drifted else "")
    worst = max(failed, key=lambda fe: fe[1].exit_code)[1]
    head = (f"{len(failed)} of {total} snapshot{'s' if total != 1 else ''} in "
            f"{failed[0][0].parent} could not be re-run{also}")
    if isinstance(worst, InputError):  # the count, said once, is none of the problems
        return InputError(problems, summary=head)
    return type(worst)(head + ":\n" + "\n".join(f"  - {p}" for p in problems))


def _rerun_figures(rerun: str) -> tuple[dict, dict]:
    """A snapshot's source re-run (the recorded path, else an embedded case or its tail
    here, as verify finds it): its key figures and its manifest."""
    fresh = run(sc.found_here(rerun) or rerun, save=False)
    return _drift.key_figures(fresh), fresh.manifest


def snapshot_check(directory: str | Path = "snapshots", rtol: float = 1e-5,
                   atol: float = 1e-3, partial: bool = False,
                   jobs: int | None = 1) -> dict[str, list[str]]:
    """Re-run every snapshot's source and compare its key figures with the file.

    Returns ``{snapshot name: diff lines}`` for every snapshot that drifted and raises
    :class:`~chainopt.errors.ResultsDifferError` (exit 5) if any did, or
    :class:`~chainopt.errors.InputsChangedError` (exit 6) if the inputs of any snapshot
    that records them (:data:`SNAPSHOT_HASH`) no longer hash the same, whether or not its
    figures drifted: it holds the answer of other inputs (files written before they were
    recorded are compared by their figures alone). A scenario of the folder's set
    without a snapshot (:func:`snapshots_missing`) is reported among the drift
    (exit 5: the figures the folder holds are not those of the set), unless ``partial``
    (a CI split into shards, each checking some of the files); a snapshot whose
    case or scenario is gone is one that cannot be re-run (exit 1, naming it).
    ``jobs``: the sources are re-run in that many processes (None: one per core; 1: in
    this process, one after another).
    """
    if not Path(directory).is_dir():
        raise InputError([Problem(str(directory), "no such snapshot folder",
                                  "write snapshots first with chainopt snapshot write")])
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise InputError([Problem(str(directory), "no snapshot files here",
                                  "write them first with chainopt snapshot write")])
    drift, changed = {}, []
    failed: list[tuple[Path, ChainoptError]] = []
    goldens = {}
    for f in files:
        golden = read_mapping(f, str(f), what="snapshot file")
        if not isinstance(golden.get("rerun"), str) or not golden["rerun"]:
            raise InputError([Problem(f"{f} key rerun", "missing: the case or scenario to "
                                      "re-run", "write the snapshot again with chainopt "
                                      "snapshot write")])
        bad = _drift.non_finite_figures(golden)
        if bad:  # nan passed any tolerance and inf matched itself: the figure went unchecked
            raise InputError([Problem(
                f"{f} key {k}", f"damaged snapshot: the figure is not a finite number "
                f"(found {v}); no run writes one", "restore the file from version control "
                "or write it again with chainopt snapshot write") for k, v in bad.items()])
        goldens[f] = golden
    missing = [] if partial else snapshots_missing([g["rerun"] for g in goldens.values()])
    reruns = batch.call_many(_rerun_figures, [(g["rerun"],) for g in goldens.values()], jobs)
    for (f, golden), got in zip(goldens.items(), reruns, strict=True):
        recorded = golden.pop(SNAPSHOT_HASH, None)
        parts_then = golden.pop(SNAPSHOT_DIGESTS, None)
        if isinstance(got, ChainoptError):  # every snapshot is checked, each failure named
            failed.append((f, got))
            continue
        figures, manifest = got
        current = {"rerun": golden["rerun"], **figures}
        try:
            lines = _drift.compare_figures(golden, current, rtol=rtol, atol=atol)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise InputError([Problem(str(f), f"damaged snapshot ({type(exc).__name__}: "
                                      f"{exc})", "write it again with chainopt snapshot "
                                      "write")]) from None
        if recorded is not None and recorded != manifest["input_hash"]:
            parts = changed_parts(parts_then, manifest["input_digests"],
                                  manifest.get("scenario_chain"), golden["rerun"])
            if parts == "":  # every part as recorded: the hash beside them was edited
                raise InputError([Problem(f"{f} key {SNAPSHOT_HASH}", "damaged snapshot: "
                                          f"it says {str(recorded)[:12]}..., but the inputs "
                                          f"hash to {manifest['input_hash'][:12]}... "
                                          "and every table and scenario file of them "
                                          "matches the digest the file records for it "
                                          f"({SNAPSHOT_DIGESTS}): the snapshot file was "
                                          "edited, not the data", "restore it from version "
                                          "control, or write it again with chainopt "
                                          "snapshot write")])
            changed.append(f.stem)
            lines.insert(0, f"inputs changed: {golden['rerun']} now hashes to "
                         f"{manifest['input_hash'][:12]}..., the snapshot was written "
                         f"from {str(recorded)[:12]}..."
                         + (f"; changed: {parts}" if parts else "")
                         + ("" if lines else " (its figures are the same)"))
        if lines:
            drift[f.stem] = lines
    drifted = len(drift)
    for w in missing:  # (of any base: the set is the folder's scenario files)
        drift[f"{w} (no snapshot)"] = [
            f"+ no snapshot in {directory}, though it is a scenario file beside "
            f"{_snapshotted_beside(w, [g['rerun'] for g in goldens.values()])}, which a "
            f"snapshot in {directory} re-runs (snapshot check asks for every scenario file "
            f"in such a folder): write it (chainopt snapshot write {w} --dir {directory}) "
            "and review it, or check with --partial if it is left out on purpose"]
    if failed:
        raise _snapshots_failed(failed, len(files), list(drift))
    if drift:
        text = "\n".join(f"{name}:\n" + "\n".join(f"  {ln}" for ln in lines)
                         for name, lines in drift.items())
        none = (f"{len(missing)} scenario{'s' if len(missing) > 1 else ''} without a "
                "snapshot beside snapshotted ones" if missing else "")
        if changed:
            raise InputsChangedError(
                f"inputs changed: {len(changed)} of {len(files)} snapshots were written "
                f"from other inputs ({', '.join(changed)}){'; ' + none if none else ''}; "
                f"review the figures and write them again with chainopt snapshot "
                f"write:\n{text}")
        head = ", and ".join(x for x in (
            f"{drifted} of {len(files)} snapshots drifted beyond rtol={rtol:g}, "
            f"atol={atol:g}" if drifted else "", none) if x)
        raise ResultsDifferError(f"{head}:\n{text}")
    return drift
