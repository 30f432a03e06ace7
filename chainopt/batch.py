"""Running several cases or scenarios, serially or in parallel processes.

Each run is independent: one failing run is reported with its error and exit code
and does not stop or lose the others. With ``reuse``, a run whose results folder
already holds what running it now would give is loaded instead of solved
(:func:`stale`: the same inputs, chainopt and HiGHS versions and solver options).

Runs of one batch write to ``<out>/<name>/``, named after their scenario or case, so
two sources of the same name would fight over one folder: :func:`run_many` refuses such
a batch before anything is solved (:func:`check_sources`), as it does one given
something that is no source (a flag's value, a results folder).

What one run does is passed in (``run``: :func:`chainopt.api.run`), so that this
module sits below the API and the two do not import each other.
"""

from __future__ import annotations

import contextlib
import os
import traceback
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path

from chainopt.atomic import note_written
from chainopt.case.digest import case_hash, same_inputs
from chainopt.case.excel import is_workbook
from chainopt.case.load import resolve_case_path
from chainopt.case.scenario import (
    is_scenario_path,
    load_source,
    not_a_source,
    read_scenario,
    scenario_name,
)
from chainopt.case.schema import IN_MEMORY, Case
from chainopt.errors import (
    ChainoptError,
    InputError,
    Problem,
    ask_from_command_line,
    asked_from_command_line,
)
from chainopt.interrupt import end_with_parent
from chainopt.names import is_name
from chainopt.results import MANIFEST, Results, extension_summary
from chainopt.safe_yaml import read_mapping


@dataclass
class RunOutcome:
    """What became of one run: its results or its error."""

    source: str
    name: str
    results: object = None  # Results
    error: str = ""
    exit_code: int = 0
    status: str = ""  # solved | reused | failed | unvalued (compare: solved, a project of
    #   it cannot be valued, as the run without it is infeasible: left out)
    note: str = ""
    case: object = None  # the Case run or whose results were reused, asked with keep_case

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def run_name(source: str) -> str | None:
    """The name a source's results folder gets (its scenario's or case's name), read
    without solving or validating; None if it cannot be read (the run itself then fails
    with the reason, and writes nothing)."""
    try:
        if is_scenario_path(source):
            return read_scenario(source).name  # the name: key, or the file name
        if is_workbook(source):
            case = load_source(source)
            return scenario_name(case) or case.name
        folder = resolve_case_path(source)
        yml = folder / "case.yaml"
        name = read_mapping(yml, str(yml), what="case.yaml").get("name")
    except (ChainoptError, OSError, ValueError):
        return None
    return name if is_name(name) else None  # an invalid name fails the run: no folder


def check_sources(sources: list[str], out: str | Path) -> None:
    """An InputError (exit 1) before anything of a batch is solved if one of its sources
    is no source at all (:func:`~chainopt.case.scenario.not_a_source`: ``chainopt run
    small_chain --overwrite true`` solved and overwrote small_chain before failing on a
    case named ``true``; a results folder given to ``compare`` was first refused for the
    comparison folder in the way) or two runs have the same name
    (:func:`check_distinct_names`)."""
    problems = [p for p in map(not_a_source, sources) if p is not None]
    if problems:
        raise InputError(problems)
    check_distinct_names(sources, out)


def check_distinct_names(sources: list[str], out: str | Path) -> None:
    """An InputError (exit 1) naming both sources if two runs of a batch have the same
    name: their results would go to the same folder ``<out>/<name>/``, one lost."""
    seen: dict[str, str] = {}
    problems = []
    for src in sources:
        name = run_name(src)
        if name is None:
            continue
        if name in seen:
            twice = seen[name] == src
            problems.append(Problem(
                str(src), ("is given twice" if twice else f"is named {name!r}, as "
                           f"{seen[name]} is") + ": both runs would write the results "
                f"folder {Path(out) / name} and one would be lost",
                "give it once" if twice else "give each run of a batch its own name: "
                "change the name: of one scenario (or of its case.yaml), or run it on its "
                "own with --name (--name names a single run, not the runs of a batch)"))
        else:
            seen[name] = src
    if problems:
        raise InputError(problems)


def stale(manifest: dict, case: Case, options=None) -> str:
    r"""Why the results a ``manifest`` records are not what running ``case`` with
    ``options`` now would give; "" when they are, so that they may be reused.

    They are when the run's model was the case's own (not extended through Pyomo:
    :func:`~chainopt.results.extension_of`), the case hashes to the recorded
    ``input_hash``, the run was made by
    this chainopt and this HiGHS (another formulation or solver release may give other
    numbers, or another optimal vertex), and with the solver options a run now resolves
    to (:meth:`chainopt.solve.SolveOptions.resolved_for`):
    a ``--relax``\ ed run holds the LP relaxation, not the plan; a run stopped by a
    shorter ``--time-limit`` or a looser MIP gap may hold a worse one; another method,
    thread count or solver may hold another optimal vertex."""
    from chainopt.solve import SolveOptions, made_by  # lazy: highspy

    extended = extension_summary(manifest)
    if extended is not None:
        return f"holds a run of the case extended through Pyomo ({extended}), not of the case"
    if manifest.get("input_hash") != case_hash(case):
        return ("was written by an older chainopt, whose input hash sorted the rows"
                if same_inputs(case, manifest.get("input_hash"))
                else "holds results of other inputs")
    versions = manifest.get("versions")
    versions = versions if isinstance(versions, dict) else {}
    now = made_by()
    if versions.get("chainopt") != now["chainopt"]:
        return f"was written by chainopt {versions.get('chainopt')} (this is {now['chainopt']})"
    if versions.get("highs") is not None and versions["highs"] != now["highs"]:
        return f"was solved by HiGHS {versions['highs']} (this is {now['highs']})"
    want = (options or SolveOptions()).resolved_for(case.meta.solver)
    have = manifest.get("solver_options")
    have = have if isinstance(have, dict) else {}
    other = [f"{k} {have.get(k)!r} (now {v!r})" for k, v in want.items() if have.get(k) != v]
    if other:
        return f"was solved with other solver options: {', '.join(other)}"
    return ""


def rerun_source(source: object, case: Case) -> str:
    """What ``verify`` loads to re-run: the scenario file, the case folder (absolute
    paths, also for a case given loaded, as ``compare`` and ``run A B`` give it) or an
    embedded case's folder. A case changed in memory (``api.change_case``) records the
    source of what it changed: ``verify`` applies the changes its manifest records again."""
    chain = list(case.raw.scenario_chain)
    while chain and chain[-1].get(IN_MEMORY):
        chain.pop()
    if chain and chain[-1].get("kind") == "scenario":
        return str(Path(chain[-1]["path"]).resolve())
    for path in (source, case.origin):
        if isinstance(path, str | Path) and str(path) and Path(str(path)).exists():
            return str(Path(str(path)).resolve())
    return case.origin or str(source)


def run_one(run: Callable[..., Results], source: str, out: str | Path, overwrite: bool = False,
            options=None, reuse: bool = False, save: bool = True,
            keep_case: bool = False) -> RunOutcome:
    """Run (with ``run``, or with ``reuse`` load up-to-date results of) one case or
    scenario; ``keep_case``: its outcome holds the case (``compare`` values its projects
    against it, without loading it again)."""
    name = str(source)
    try:
        case = load_source(source)
        name = scenario_name(case) or case.name
        folder = Path(out) / name
        note = ""
        do_save, do_over = save, overwrite
        if reuse and (folder / MANIFEST).is_file():
            damaged = ""
            try:
                old = Results.load(folder)
            except ChainoptError as exc:  # damaged: solve again (replaced only with --overwrite)
                old = Results(tables={}, manifest={})
                damaged = (f"{exc.problems[0].where}: {exc.problems[0].message}"
                           if isinstance(exc, InputError) and exc.problems else str(exc))
            why = "" if damaged else stale(old.manifest, case, options)
            if not damaged and not why:
                # the results hold this source's inputs: re-run (and valued, compare's
                # counterfactuals) from it, not from a path recorded then (since moved)
                old.manifest["source"] = rerun_source(source, case)
                return RunOutcome(str(source), name, old, status="reused",
                                  note=f"reused {folder}", case=case if keep_case else None)
            if not overwrite:
                do_save = False
                note = f"{folder} is damaged ({damaged})" if damaged else f"{folder} {why}"
                note += "; solved again but not replaced (pass --overwrite to replace)"
            else:
                do_over = True
        res = run(case, out=out, name=name, overwrite=do_over, options=options, save=do_save)
        return RunOutcome(str(source), name, res, status="solved",
                          note=note or (f"written to {folder}" if do_save else ""),
                          case=case if keep_case else None)
    except ChainoptError as exc:
        return RunOutcome(str(source), name, error=str(exc), exit_code=exc.exit_code,
                          status="failed")
    except Exception as exc:
        return RunOutcome(str(source), name, error=f"{type(exc).__name__}: {exc}\n"
                          + traceback.format_exc(limit=3), exit_code=4, status="failed")


def _start_worker(parent: int, from_command_line: bool) -> None:
    """A pool process: ends with its ``parent`` (:func:`end_with_parent`) and words its
    messages as the parent would (``--overwrite`` for the command line)."""
    end_with_parent(parent)
    ask_from_command_line(from_command_line)


#: set in a pool process once a call in it was interrupted (Ctrl-C reaches every process
#: of the command)
_interrupted = False


def _guarded(fn: Callable[..., object], *args: object) -> object:
    """``fn(*args)`` in a pool process (:func:`_pool`), unless a call before it in this
    process was interrupted: each worker already holds the next call (the pool hands
    them out ahead), and after Ctrl-C that call would have been made in full."""
    global _interrupted
    if _interrupted:
        raise KeyboardInterrupt
    try:
        return fn(*args)
    except KeyboardInterrupt:
        _interrupted = True
        raise


def check_jobs(jobs: object, default: str) -> None:
    """``jobs`` is a whole number of processes >= 1 (or None where the caller has a
    ``default``, which the message names): 0 or -2 had run in this process unasked."""
    if jobs is None and default:
        return
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InputError([Problem("jobs", f"must be a whole number of processes >= 1"
                                          f"{f' (or {default})' if default else ''}; found "
                                          f"{jobs!r}")])


def call_many(fn: Callable[..., object], calls: list[tuple], jobs: int | None = None,
              on_done: Callable[[int], object] | None = None) -> list:
    """``fn(*args)`` for each ``args`` of ``calls`` (``fn`` a module-level function, so
    that worker processes can receive it), in ``jobs`` processes (default: one per core;
    1: in this process, one after another). Returns each call's result, or the
    ChainoptError it raised, in the order of ``calls``; any other exception is raised.
    ``on_done(i)`` is called as call i finishes (for a progress line)."""
    check_jobs(jobs, default="None: one per core")
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(calls)))
    done: dict[int, object] = {}
    if jobs == 1:
        for i, args in enumerate(calls):
            try:
                done[i] = fn(*args)
            except ChainoptError as exc:
                done[i] = exc
            if on_done:
                on_done(i)
        return [done[i] for i in range(len(calls))]
    with _pool(jobs) as pool:
        futs = {pool.submit(_guarded, fn, *args): i for i, args in enumerate(calls)}
        for fut in as_completed(futs):
            try:
                done[futs[fut]] = fut.result()
            except ChainoptError as exc:
                done[futs[fut]] = exc
            if on_done:
                on_done(futs[fut])
        return [done[i] for i in range(len(calls))]


@contextlib.contextmanager
def _pool(jobs: int):
    """A pool of ``jobs`` worker processes (:func:`_start_worker`; submit each call
    through :func:`_guarded`). When the block is left by an exception (Ctrl-C:
    KeyboardInterrupt) the calls not yet handed to a worker are cancelled: leaving the
    pool waited for every call submitted to be made first."""
    from concurrent.futures import ProcessPoolExecutor  # lazy: multiprocessing, here only

    with ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker,
                             initargs=(os.getpid(), asked_from_command_line())) as pool:
        try:
            yield pool
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def run_many(run: Callable[..., Results], sources: list[str], out: str | Path = "results",
             jobs: int | None = None, overwrite: bool = False, options=None, reuse: bool = False,
             save: bool = True, on_done: Callable[[RunOutcome], object] | None = None,
             keep_case: bool = False) -> list[RunOutcome]:
    """Run every source with ``run`` (a module-level function, so that worker processes
    can receive it); ``jobs`` processes (default: cores; 1: in this process).

    Returns the outcomes in the order of ``sources``; ``on_done`` is called as each
    finishes. A source that is none (a flag's value, a results folder) and two sources
    of the same name are an InputError before anything is solved (:func:`check_sources`).
    """
    check_jobs(jobs, default="None: one per core")
    check_sources(sources, out)
    jobs = jobs or os.cpu_count() or 1
    jobs = max(1, min(jobs, len(sources)))
    done: dict[int, RunOutcome] = {}
    if jobs == 1:
        for i, src in enumerate(sources):
            done[i] = run_one(run, src, out, overwrite, options, reuse, save, keep_case)
            if on_done:
                on_done(done[i])
    else:
        with _pool(jobs) as pool:
            futs = {pool.submit(_guarded, run_one, run, src, out, overwrite, options, reuse,
                                save, keep_case): i
                    for i, src in enumerate(sources)}
            for fut in as_completed(futs):
                i = futs[fut]
                try:
                    done[i] = fut.result()
                except Exception as exc:
                    done[i] = RunOutcome(sources[i], sources[i], error=str(exc), exit_code=4,
                                         status="failed")
                written = (getattr(done[i].results, "manifest", None) or {}).get("results_dir")
                if done[i].status == "solved" and written:
                    note_written(written)  # by the worker: what an interrupt says was written
                if on_done:
                    on_done(done[i])
    return [done[i] for i in range(len(sources))]
