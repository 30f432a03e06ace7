"""Paired, interleaved benchmark of chainopt against linopy, raw numpy and raw HiGHS.

For each size (``--sizes 100k,300k,1M``) the case is generated once into
``benchmarks/out/case_<size>/`` (``benchmarks/bench_build.py`` does it; reused while
the generator settings match) and exported once as MPS by chainopt
(``chainopt.diagnose.export_model``, what ``chainopt export --mps`` writes) together
with the HiGHS options chainopt would solve it with. Then, ``--rounds`` times, every
contender runs once, each in a fresh Python process, in an order rotated from round to
round:

    chainopt  load + validate + build to a HiGHS-ready model
              (chainopt.api.load_case + build_model, timed by bench_build.worker)
    linopy    the same LP from the same CSVs with linopy, handed to HiGHS
              (benchmarks/lp_mirror.py: prepare + build_linopy + Model.to_highspy)
    numpy     the same LP as COO/CSR arrays -> highspy passModel (the floor for build)
    raw       HiGHS alone on the exported MPS (readModel, chainopt's options, run)
    lean      HiGHS alone on raw numpy's arrays of the same LP (passModel, no names),
              from benchmarks/raw_lean.py, which imports only numpy and highspy: the
              memory ratio's reference
    run       `chainopt run CASE --time-limit T` end to end, as the console script runs it

Each process's wall time and its own peak resident memory (``VmHWM`` of
``/proc/self/status``, reported by the process itself; ``os.wait4``'s ``ru_maxrss`` is
kept only as an upper bound, as it never falls below the parent's RSS) are recorded;
medians and paired ratios (the median over rounds of each round's ratio) go to the
terminal, ``benchmarks/RESULTS.md`` and ``benchmarks/out/pair.json``. Before timing,
the linopy and numpy LPs are checked to be chainopt's (``--verify-size``, default 10k
and the first timed size: same numbers of rows, columns and nonzeros; objectives equal
to 1e-6 relative), and every round checks the counts each contender reports against
the exported model's. A failed or mismatched check stops the run with exit code 3
before anything is judged: the report then says only why.

    python benchmarks/pair.py                              # 100k,300k,1M + 2M check
    python benchmarks/pair.py --sizes 1M --rounds 1 --time-limit 1800
    python benchmarks/pair.py --only build --sizes 100k,300k,1M
    python benchmarks/pair.py --sizes 100k --skip linopy --limit-check 2M --limit-time 20
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
RESULTS = HERE / "RESULTS.md"
MARK = "PAIR_RESULT "
sys.path.insert(0, str(HERE))

import bench_build as bb  # noqa: E402  (same folder; its case generation and worker)

BUILD = ("chainopt", "linopy", "numpy")
# the parts of a chainopt run its manifest times (timings_s)
RUN_PARTS = ("load_s", "index_s", "matrix_s", "handover_s", "solve_s", "extract_s",
             "insight_s", "save_s")
RUN = ("raw", "lean", "run")
# the default run: every size and check of issue 17's table, so that one run writes
# all of RESULTS.md (a run given --sizes writes only what it measured)
FULL_SIZES = "100k,300k,1M"
FULL_LIMIT_CHECK = "2M"
CONTENDERS = BUILD + RUN
# issue 17's targets: (what, size or None for every size, limit, the measure's key)
TARGETS = {
    "overhead": {100_000: 0.5, 300_000: 0.10},  # (chainopt run - raw solve) / raw solve
    "vs_linopy": 1.5,  # load + build, chainopt / linopy
    "vs_numpy": 6.0,  # load + build, chainopt / raw numpy
    # peak memory, full chainopt run / raw HiGHS solve: judged against the lean raw
    # reference (numpy's arrays, no names, minimal imports), the stricter of the two
    "run_vs_lean_peak": {300_000: 1.5},
    "build_peak_mib": {1_000_000: 1024.0},  # chainopt build peak memory
}


# --------------------------------------------------------------------------- workers


def _peak_mib() -> float:
    """This process's peak resident memory, MiB (VmHWM on Linux: see bench_build)."""
    return bb._peak_mib()


# What each builder imports, made before its timer: its own imports and the ones its
# library makes on first use, inside the build (linopy's first xarray.DataArray imports
# dask, about 195 modules; lp_mirror.build_numpy imports scipy.sparse; chainopt reads its
# packaged data). The timed windows then hold no import: every worker reports the
# modules that appeared inside its window (``window_imports``), which should be none.
_PANDAS_LAZY = ("pandas.core.reshape.reshape", "pyarrow.pandas_compat",
                "pyarrow.vendored.version")
WARM_IMPORTS = {
    "chainopt": ("highspy", "chainopt.api", "chainopt.solve", "chainopt.data",
                 "chainopt.models.registry", "chainopt.models.objective",
                 "numpy.strings", "encodings.ascii",
                 "encodings.utf_8_sig", "importlib.readers", "importlib.resources.readers"),
    "linopy": ("highspy", "lp_mirror", "linopy", "xarray", "xarray.computation.nanops",
               *_PANDAS_LAZY),
    "numpy": ("highspy", "lp_mirror", "scipy.sparse", *_PANDAS_LAZY),
}


def warm_imports(who: str) -> float:
    """Import what ``who``'s timed window would import (WARM_IMPORTS); the seconds it took."""
    import importlib

    t0 = time.perf_counter()
    for name in WARM_IMPORTS[who]:
        with contextlib.suppress(ImportError):  # an optional one (e.g. no numpy.strings)
            importlib.import_module(name)
    if who == "linopy":
        import xarray as xr

        xr.DataArray([])  # xarray looks for dask on its first array: the import it makes
    return time.perf_counter() - t0


def _new_modules(before: set[str]) -> list[str]:
    return sorted(set(sys.modules) - before)


def worker_chainopt(case: str, opts: dict) -> dict:
    """chainopt load + build (handed to HiGHS): bench_build's own worker, its imports
    made first."""
    import_s = warm_imports("chainopt")
    before = set(sys.modules)
    r = bb.worker(case, False, {})
    r["window_imports"] = _new_modules(before)
    r["import_s"] = import_s + r["import_s"]
    r["load_build_s"] = r["load_s"] + r["build_s"]
    return r


def _mirror_worker(case: str, how: str) -> dict:
    res: dict = {"import_s": warm_imports(how)}
    import lp_mirror as lm

    before = set(sys.modules)
    t0 = time.perf_counter()
    prep = lm.prepare(case)
    res["load_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    h = lm.build_linopy(prep).to_highspy() if how == "linopy" else lm.build_numpy(prep)
    res["build_s"] = time.perf_counter() - t1
    res["load_build_s"] = time.perf_counter() - t0
    res["window_imports"] = _new_modules(before)
    res["build_peak_mib"] = _peak_mib()
    res.update(vars=int(h.getNumCol()), rows=int(h.getNumRow()), nnz=int(h.getNumNz()))
    res["peak_mib"] = _peak_mib()
    return res


def worker_linopy(case: str, opts: dict) -> dict:
    return _mirror_worker(case, "linopy")


def worker_numpy(case: str, opts: dict) -> dict:
    return _mirror_worker(case, "numpy")


def _highs_stats(h, t_solve: float) -> dict:
    info = h.getInfo()
    return {"solve_s": t_solve, "status": h.modelStatusToString(h.getModelStatus()),
            "objective": float(info.objective_function_value),
            "simplex_iterations": int(info.simplex_iteration_count),
            "ipm_iterations": int(info.ipm_iteration_count),
            "crossover_iterations": int(info.crossover_iteration_count)}


def worker_raw(case: str, opts: dict) -> dict:
    """HiGHS alone: read the MPS chainopt exported, set chainopt's options, run."""
    t0 = time.perf_counter()
    import highspy

    res: dict = {"import_s": time.perf_counter() - t0}
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    t0 = time.perf_counter()
    h.readModel(opts["mps"])
    res["read_s"] = time.perf_counter() - t0
    for k, v in opts["highs_options"].items():
        h.setOptionValue(k, v)
    t0 = time.perf_counter()
    h.run()
    res.update(_highs_stats(h, time.perf_counter() - t0))
    # the exported file minimises minus chainopt's objective (chainopt.diagnose.export,
    # for every reader alike): its optimum in chainopt's sign
    res["objective"] *= opts.get("objective_sign", 1.0)
    res["peak_mib"] = _peak_mib()
    return res


def save_lp(h, path: str | Path) -> None:
    """The LP held by Highs ``h`` as arrays (no names), for benchmarks/raw_lean.py."""
    import highspy
    import numpy as np

    lp = h.getLp()
    a = lp.a_matrix_
    np.savez(path, num_col=lp.num_col_, num_row=lp.num_row_, col_cost=lp.col_cost_,
             col_lower=lp.col_lower_, col_upper=lp.col_upper_, row_lower=lp.row_lower_,
             row_upper=lp.row_upper_, offset=lp.offset_,
             sense=-1 if lp.sense_ == highspy.ObjSense.kMaximize else 1,
             rowwise=a.format_ == highspy.MatrixFormat.kRowwise,
             start=np.asarray(a.start_), index=np.asarray(a.index_),
             value=np.asarray(a.value_))


def worker_export(case: str, opts: dict) -> dict:
    """Build with chainopt, write the MPS and the HiGHS options chainopt solves it with;
    with ``opts["npz"]``, also raw numpy's arrays of the same LP (the lean reference)."""
    import chainopt.api as api
    from chainopt.diagnose import export_model
    from chainopt.solve import SolveOptions, highs_options

    t0 = time.perf_counter()
    built = api.build_model(api.load_case(case))
    export_model(built, opts["mps"])
    o = SolveOptions(time_limit_s=opts.get("time_limit_s"))
    ho = highs_options(o.resolved(built), int(built.arrays.integer.sum()))
    res = {"export_s": time.perf_counter() - t0, "highs_options": ho,
           "vars": built.num_vars, "rows": built.num_rows, "nnz": built.nnz,
           # chainopt reports an NPV as minus the file's optimum, a total cost as it
           "objective_sign": 1.0 if built.case.meta.objective == "cost" else -1.0}
    if opts.get("npz"):
        import lp_mirror as lm

        save_lp(lm.build_numpy(lm.prepare(case)), opts["npz"])
    return res


def worker_verify(case: str, opts: dict) -> dict:
    """Solve chainopt's, numpy's and (if wanted) linopy's LP of one case; compare."""
    import lp_mirror as lm

    import chainopt.api as api
    from chainopt.solve import SolveOptions, highs_options

    built = api.build_model(api.load_case(case))
    out = api.solve(built)
    ho = highs_options(SolveOptions().resolved(built), int(built.arrays.integer.sum()))
    res = {"chainopt": {"vars": built.num_vars, "rows": built.num_rows, "nnz": built.nnz,
                        "objective": out.objective}}
    prep = lm.prepare(case)
    hs = {"numpy": lambda: lm.build_numpy(prep)}
    if opts.get("linopy", True):
        hs["linopy"] = lambda: lm.build_linopy(prep).to_highspy()
    for name, make in hs.items():
        h = make()
        for k, v in ho.items():
            h.setOptionValue(k, v)
        h.run()
        # linopy leaves the constant fixed O&M out of its objective
        obj = float(h.getInfo().objective_function_value)
        if name == "linopy":
            obj += prep.offset
        res[name] = {"vars": int(h.getNumCol()), "rows": int(h.getNumRow()),
                     "nnz": int(h.getNumNz()), "objective": obj,
                     "status": h.modelStatusToString(h.getModelStatus())}
    return res


WORKERS = {"chainopt": worker_chainopt, "linopy": worker_linopy, "numpy": worker_numpy,
           "raw": worker_raw, "export": worker_export, "verify": worker_verify}


# --------------------------------------------------------------------------- processes


def run_process(cmd: list[str], timeout: float | None, cwd: Path = ROOT) -> dict:
    """Run ``cmd`` in a fresh process group; wall time, exit code, output, and the
    child's ``ru_maxrss`` from ``os.wait4`` (an upper bound of its peak memory). On
    timeout the whole process group is killed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=str(cwd), start_new_session=True)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            if timer:
                timer.cancel()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    # ru_maxrss of a child includes its parent's RSS at spawn (see bench_build._peak_mib):
    # only an upper bound; the workers report their own peak (VmHWM)
    rss = ru.ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru.ru_maxrss / 1024
    return {"wall_s": wall, "rc": p.returncode, "proc_peak_mib": rss, "timed_out":
            killed.is_set(), "stdout": stdout, "stderr": stderr}


def run_lean(opts: dict, timeout: float | None) -> dict:
    """The lean raw reference: benchmarks/raw_lean.py in a fresh process (its own small
    imports, not pair.py's) on raw numpy's arrays of the LP, chainopt's options."""
    cmd = [sys.executable, str(HERE / "raw_lean.py"), opts["npz"],
           json.dumps(opts["highs_options"])]
    return _marked_result(run_process(cmd, timeout), timeout)


def run_worker(kind: str, case: Path, opts: dict, timeout: float | None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--case", str(case),
           "--opts", json.dumps(opts)]
    return _marked_result(run_process(cmd, timeout), timeout)


def _marked_result(p: dict, timeout: float | None) -> dict:
    """The result a worker process printed on its ``PAIR_RESULT`` line, with its wall
    time and peak; else why it gave none."""
    for line in p["stdout"].splitlines():
        if line.startswith(MARK):
            res = json.loads(line[len(MARK):])
            res.update(wall_s=p["wall_s"], proc_peak_mib=p["proc_peak_mib"])
            return res
    return {"error": _failure(p, timeout), "wall_s": p["wall_s"]}


def _failure(p: dict, timeout: float | None) -> str:
    if p["timed_out"]:
        return f"timed out after {timeout:.0f} s"
    tail = (p["stderr"] or p["stdout"]).strip().splitlines()[-6:]
    return f"exit {p['rc']}: " + " | ".join(tail)


def run_chainopt(case: Path, size: int, time_limit: float, timeout: float | None,
                 name: str) -> dict:
    """`chainopt run` end to end (``chainopt.start.main``, as the console script and
    ``python -m chainopt`` run it, in a fresh process of benchmarks/run_cli.py, which
    imports nothing of pair.py's) into benchmarks/out/runs/."""
    runs = OUT / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    argv = ["run", str(case), "--out", str(runs), "--name", name, "--overwrite",
            "--time-limit", f"{time_limit:g}"]
    cmd = [sys.executable, str(HERE / "run_cli.py"), json.dumps(argv)]
    p = run_process(cmd, timeout)
    mine: dict = {}
    for line in p["stdout"].splitlines():
        if line.startswith(MARK):
            mine = json.loads(line[len(MARK):])
    res = {"wall_s": p["wall_s"], "rc": p["rc"], "peak_mib": mine.get("peak_mib"),
           "proc_peak_mib": p["proc_peak_mib"], "inproc_s": mine.get("inproc_s")}
    if p["rc"] != 0:
        res["error"] = _failure(p, timeout)
        res["message"] = " ".join(p["stderr"].replace("│", " ").split())[-300:]
        return res
    m = json.loads((runs / name / "manifest.json").read_text(encoding="utf-8"))
    info = m.get("solver_info", {})
    res.update(objective=m.get("objective"), status=m.get("status"),
               timings_s=m.get("timings_s", {}),
               solve_s=m.get("timings_s", {}).get("solve_s"),
               simplex_iterations=info.get("simplex_iterations"),
               ipm_iterations=info.get("ipm_iterations"),
               crossover_iterations=info.get("crossover_iterations"),
               method=m.get("solver_options", {}).get("method"), vars=m.get("num_vars"),
               rows=m.get("num_rows"))
    return res


def unix_ok() -> bool:
    """Whether this system has what pair.py uses: os.wait4, os.killpg, os.getloadavg
    (Unix only; Windows has none of them)."""
    return all(hasattr(os, f) for f in ("wait4", "killpg", "getloadavg"))


def run_name(prefix: str, label: str) -> str:
    """A results folder name chainopt accepts (snake_case: ``pair_1m``)."""
    return f"{prefix}_{label}".lower()


def rounds_per_size(text: str, n_sizes: int) -> list[int]:
    """``--rounds``: one number for every size, or one per size."""
    vals = [int(x) for x in str(text).split(",") if x.strip()]
    if len(vals) == 1:
        return vals * n_sizes
    if len(vals) != n_sizes or min(vals) < 1:
        raise ValueError(f"--rounds {text}: give one number, or one per size ({n_sizes})")
    return vals


def rotate(items: list[str] | tuple[str, ...], i: int) -> list[str]:
    """The order of round ``i``: ``items`` rotated left by ``i``."""
    items = list(items)
    if not items:
        return items
    k = i % len(items)
    return items[k:] + items[:k]


# --------------------------------------------------------------------------- statistics


def _num(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _ok(r: dict, who: str) -> dict:
    """What ``who`` measured in round ``r`` ({} if it did not run or failed)."""
    got = r.get(who) or {}
    return {} if "error" in got else got


def median_of(rounds: list[dict], who: str, key: str) -> float | None:
    vals = [_ok(r, who)[key] for r in rounds if _num(_ok(r, who).get(key))]
    return statistics.median(vals) if vals else None


def paired_ratio(rounds: list[dict], num: tuple[str, str], den: tuple[str, str],
                 minus: tuple[str, str] | None = None) -> float | None:
    """Median over rounds of ``(num - minus) / den`` within each round (rounds missing a
    value are left out)."""
    vals = []
    for r in rounds:
        a = _ok(r, num[0]).get(num[1])
        b = _ok(r, den[0]).get(den[1])
        c = 0.0 if minus is None else _ok(r, minus[0]).get(minus[1])
        if _num(a) and _num(b) and _num(c) and b > 0:
            vals.append((a - c) / b)
    return statistics.median(vals) if vals else None


def summarise(size: int, rounds: list[dict]) -> dict:
    """Medians and paired ratios of one size's rounds."""
    s: dict = {"size": bb.size_label(size), "target": size, "rounds": len(rounds)}
    for who, keys in (("chainopt", ("load_build_s", "load_s", "build_s", "import_s",
                                    "build_peak_mib", "wall_s", "vars", "rows", "nnz")),
                      ("linopy", ("load_build_s", "load_s", "build_s", "import_s",
                                  "build_peak_mib", "wall_s", "vars", "rows", "nnz")),
                      ("numpy", ("load_build_s", "load_s", "build_s", "import_s",
                                 "build_peak_mib", "wall_s")),
                      ("raw", ("solve_s", "read_s", "peak_mib", "wall_s", "objective",
                               "simplex_iterations", "ipm_iterations",
                               "crossover_iterations")),
                      ("lean", ("solve_s", "read_s", "peak_mib", "wall_s", "objective",
                                "simplex_iterations", "ipm_iterations",
                                "crossover_iterations")),
                      ("run", ("wall_s", "solve_s", "peak_mib", "objective",
                               "simplex_iterations", "ipm_iterations",
                               "crossover_iterations"))):
        for k in keys:
            s[f"{who}.{k}"] = median_of(rounds, who, k)
    for who in BUILD:  # the most modules any round imported inside its timed window
        got = [len(_ok(r, who)["window_imports"]) for r in rounds
               if isinstance(_ok(r, who).get("window_imports"), list)]
        s[f"{who}.window_imports"] = max(got) if got else None
    for k in ("vars", "rows"):  # from the run's manifest when chainopt's build was skipped
        if s[f"chainopt.{k}"] is None:
            s[f"chainopt.{k}"] = median_of(rounds, "run", k)
    for k in RUN_PARTS:
        vals = [_ok(r, "run")["timings_s"].get(k) for r in rounds
                if isinstance(_ok(r, "run").get("timings_s"), dict)]
        vals = [v for v in vals if _num(v)]
        s[f"run.{k}"] = statistics.median(vals) if vals else None
    s["run.inproc_s"] = median_of(rounds, "run", "inproc_s")
    s["vs_linopy"] = paired_ratio(rounds, ("chainopt", "load_build_s"),
                                  ("linopy", "load_build_s"))
    s["vs_numpy"] = paired_ratio(rounds, ("chainopt", "load_build_s"),
                                 ("numpy", "load_build_s"))
    s["solve_vs_raw"] = paired_ratio(rounds, ("run", "solve_s"), ("raw", "solve_s"))
    s["overhead"] = paired_ratio(rounds, ("run", "wall_s"), ("raw", "solve_s"),
                                 minus=("raw", "solve_s"))
    # what chainopt adds around its own solve, per raw solve: the two solves do the same
    # iterations, so their difference is the machine's noise, which this leaves out
    s["own_overhead"] = paired_ratio(rounds, ("run", "wall_s"), ("raw", "solve_s"),
                                     minus=("run", "solve_s"))
    s["run_vs_raw_peak"] = paired_ratio(rounds, ("run", "peak_mib"), ("raw", "peak_mib"))
    s["run_vs_lean_peak"] = paired_ratio(rounds, ("run", "peak_mib"), ("lean", "peak_mib"))
    s["solver_share"] = paired_ratio(rounds, ("run", "solve_s"), ("run", "wall_s"))
    objs = [(r["run"]["objective"], r["raw"]["objective"]) for r in rounds
            if _num(_ok(r, "run").get("objective")) and _num(_ok(r, "raw").get("objective"))]
    s["objective_rel_diff"] = (max(abs(a - b) / max(1.0, abs(b)) for a, b in objs)
                               if objs else None)
    # simplex, interior-point and crossover iterations, each the same in both
    keys = ("simplex_iterations", "ipm_iterations", "crossover_iterations")
    its = [([r["run"].get(k) for k in keys], [r["raw"].get(k) for k in keys])
           for r in rounds if _ok(r, "run") and _ok(r, "raw")]
    s["same_iterations"] = (all(a == b for a, b in its) if its else None)
    s["errors"] = [f"round {i + 1} {who}: {r[who]['error']}" for i, r in enumerate(rounds)
                   for who in CONTENDERS if "error" in r.get(who, {})]
    return s


def target_for(key: str, size: int) -> float | None:
    t = TARGETS.get(key)
    if isinstance(t, dict):
        return t.get(size)
    return t


def verdict(value: float | None, limit: float | None) -> str:
    if value is None or limit is None:
        return ""
    return "OK" if value <= limit else "MISSED"


# chainopt.diagnose.insight.WIDEN_BELOW_COLUMNS (not imported: this process stays
# small; a test keeps the two equal)
WIDEN_BELOW_COLUMNS = 50_000


def ranging_note(rows: list[dict]) -> str:
    """Which sizes' runs skip the widened cost ranging (a model of WIDEN_BELOW_COLUMNS
    columns or more keeps the basis's narrower intervals in ``ranging``)."""
    big = [r["size"] for r in rows if r.get("run.wall_s") is not None
           and _num(r.get("chainopt.vars")) and r["chainopt.vars"] >= WIDEN_BELOW_COLUMNS]
    if not big:
        return ""
    return (f"The runs at {', '.join(big)} write every table, but their `ranging` cost "
            f"intervals are the optimal basis's only: a model of {WIDEN_BELOW_COLUMNS:,} "
            "columns or more skips the second, widened ranging that smaller cases get "
            "(about 1.2 s at 100k, half its solve), as the manifest's ranging basis says.")


SAME_OBJECTIVE = 1e-9  # relative: the solve inside chainopt "equals" raw HiGHS's


def solve_verdict(row: dict) -> str:
    """The 'equal' row: OK when the run's solve and raw HiGHS's made the same simplex,
    interior-point and crossover iterations in every round and their objectives agree
    to SAME_OBJECTIVE (relative); MISSED otherwise. Its time ratio is for reading."""
    same, rel = row.get("same_iterations"), row.get("objective_rel_diff")
    if same is None or rel is None:
        return ""
    return "OK" if same and rel <= SAME_OBJECTIVE else "MISSED"


def overhead_verdict(row: dict) -> str:
    """Item 1 on both readings of the overhead: (run − raw solve) / raw solve, the
    issue's, and (run − the run's own solve) / raw solve, which leaves out the difference
    between the two solves of the same LP (the same iterations). OK or MISSED when
    both agree; AT THE EDGE when they fall on different sides of the target (at 300k
    raw HiGHS from the MPS was 1-4 % slower than the same solve inside chainopt in
    every session since the seventh, which lowers the issue's reading)."""
    limit = target_for("overhead", row["target"])
    a, b = verdict(row.get("overhead"), limit), verdict(row.get("own_overhead"), limit)
    if not a or not b:
        return a or b
    if a == b:
        return a
    return f"AT THE EDGE (issue's reading {a}, own-solve reading {b})"


# --------------------------------------------------------------------------- report


def _f(x: object, nd: int = 2, unit: str = "") -> str:
    if not _num(x):
        return "—"
    return f"{x:,.{nd}f}{unit}"


def _int(x: object) -> str:
    return f"{int(x):,}" if _num(x) else "—"


def _cell(value: float | None, limit: float | None, nd: int = 2, unit: str = "") -> str:
    """``value`` with its verdict against ``limit``; a value that rounds to its limit is
    shown with the digits that tell which side it is on (0.1004 MISSED, not 0.10)."""
    v = verdict(value, limit)
    if v and value is not None and limit is not None and value != limit:
        while nd < 6 and round(value, nd) == round(limit, nd):
            nd += 1
    return _f(value, nd, unit) + (f" {v}" if v else "")


def issue_table(rows: list[dict], limit_check: dict | None) -> str:
    """Issue 17's table: one column per size."""
    head = "| measure | target | " + " | ".join(r["size"] for r in rows) + " |"
    lines = [head, "|" + "---|" * (len(rows) + 2)]

    def line(what: str, target: str, cells: list[str]) -> None:
        lines.append(f"| {what} | {target} | " + " | ".join(cells) + " |")

    def solve_cell(r: dict) -> str:
        if r.get("run.solve_s") is None or r.get("raw.solve_s") is None:
            return "—"
        it = {True: "same iterations", False: "iterations DIFFER", None: ""}[
            r["same_iterations"]]
        rel = r["objective_rel_diff"]
        v = solve_verdict(r)
        return (f"{_f(r['run.solve_s'])} s vs {_f(r['raw.solve_s'])} s "
                f"(x{_f(r['solve_vs_raw'])}); {it}; objective rel. diff "
                + ("—" if rel is None else f"{rel:.1e}") + (f" {v}" if v else ""))

    line("solve inside chainopt vs raw HiGHS on the exported MPS", "equal: the same "
         "simplex, interior-point and crossover iterations, objectives within 1e-9",
         [solve_cell(r) for r in rows])
    line("(chainopt run − raw HiGHS solve) / raw HiGHS solve (the issue's reading)",
         "≤ 0.5 at 100k, ≤ 0.10 at 300k",
         [_cell(r["overhead"], target_for("overhead", r["target"])) for r in rows])
    line("(chainopt run − its own solve) / raw HiGHS solve (the same without the "
         "difference between the two solves)", "the same",
         [_cell(r.get("own_overhead"), target_for("overhead", r["target"])) for r in rows])
    line("overhead verdict, both readings", "both ≤ target",
         [overhead_verdict(r) or "—" for r in rows])
    line("load + build, chainopt / linopy", "≤ 1.5",
         [_cell(r["vs_linopy"], target_for("vs_linopy", r["target"])) for r in rows])
    line("load + build, chainopt / raw numpy", "≤ 6",
         [_cell(r["vs_numpy"], target_for("vs_numpy", r["target"])) for r in rows])
    line("peak memory, chainopt run / raw HiGHS solve from the MPS (names held, pair.py's "
         "imports)", "(for reading: the verdict is on the lean row below)",
         [_f(r.get("run_vs_raw_peak")) for r in rows])
    line("peak memory, chainopt run / lean raw HiGHS solve (numpy's arrays by passModel, "
         "no names, only numpy and highspy imported)", "≤ 1.5 at 300k",
         [_cell(r.get("run_vs_lean_peak"), target_for("run_vs_lean_peak", r["target"]))
          for r in rows])
    line("chainopt build peak memory (MiB)", "≤ 1024 at 1M",
         [_cell(r["chainopt.build_peak_mib"], target_for("build_peak_mib", r["target"]), 0)
          for r in rows])
    line("`chainopt run` end to end: wall s, solver share, peak MiB", "",
         [f"{_f(r['run.wall_s'])} s, {_f(r['solver_share'])}, {_f(r['run.peak_mib'], 0)}"
          if r.get("run.wall_s") is not None else "—" for r in rows])
    if limit_check:
        lc = limit_check
        ok = lc.get("clean")
        lines.append("")
        lines.append(f"{lc['size']} case ({_int(lc.get('vars'))} vars"
                     + (f", at chainopt {lc['commit']}" if lc.get("commit") else "")
                     + ") with `chainopt run "
                     f"--time-limit {lc['time_limit']:g}`: exit code {lc.get('rc')} after "
                     f"{_f(lc.get('wall_s'), 1)} s wall, peak {_f(lc.get('peak_mib'), 0)} MiB, "
                     f"results folder written: {'no' if not lc.get('written') else 'YES'} — "
                     f"{'stops cleanly (OK)' if ok else 'NOT clean (MISSED)'}"
                     + (f"; message: {lc['message']}" if lc.get("message") else ""))
    return "\n".join(lines)


def medians_table(rows: list[dict]) -> str:
    head = ("| size | vars | rows | nnz | load+build s chainopt / linopy / numpy | "
            "build peak MiB chainopt / linopy / numpy | raw HiGHS solve s | raw peak MiB | "
            "iterations raw (simplex+ipm+crossover) | lean raw solve s | lean raw peak MiB | "
            "run wall s | run solve s | run peak MiB |")
    lines = [head, "|" + "---|" * 14]
    for r in rows:
        it = (f"{_int(r['raw.simplex_iterations'])} + {_int(r['raw.ipm_iterations'])} + "
              f"{_int(r['raw.crossover_iterations'])}"
              if r.get("raw.solve_s") is not None else "—")
        lines.append(
            f"| {r['size']} | {_int(r['chainopt.vars'])} | {_int(r['chainopt.rows'])} | "
            f"{_int(r['chainopt.nnz'])} | {_f(r['chainopt.load_build_s'])} / "
            f"{_f(r['linopy.load_build_s'])} / {_f(r['numpy.load_build_s'])} | "
            f"{_f(r['chainopt.build_peak_mib'], 0)} / {_f(r['linopy.build_peak_mib'], 0)} / "
            f"{_f(r['numpy.build_peak_mib'], 0)} | {_f(r['raw.solve_s'])} | "
            f"{_f(r['raw.peak_mib'], 0)} | {it} | {_f(r.get('lean.solve_s'))} | "
            f"{_f(r.get('lean.peak_mib'), 0)} | {_f(r['run.wall_s'])} | "
            f"{_f(r['run.solve_s'])} | {_f(r['run.peak_mib'], 0)} |")
    return "\n".join(lines)


def window_imports_line(rows: list[dict]) -> str:
    """How many modules were imported inside each builder's timed window (the most in
    any round): none is expected, every import is made before the timer."""
    cells = []
    for r in rows:
        got = {who: r.get(f"{who}.window_imports") for who in BUILD}
        if all(v is None for v in got.values()):
            continue
        cells.append(f"{r['size']}: " + ", ".join(
            f"{who} {v}" for who, v in got.items() if v is not None))
    if not cells:
        return ""
    bad = any(r.get(f"{who}.window_imports") for r in rows for who in BUILD)
    return ("Modules imported inside the timed load + build windows (most in any round): "
            + "; ".join(cells) + (" — NOT import-free: those imports are in the ratios "
                                  "(see the rounds in the --json file)" if bad else
                                  " — none, as intended."))


def run_parts_table(rows: list[dict]) -> str:
    """Where a `chainopt run`'s time goes (medians): the parts its manifest times
    (timings_s; ``save_s`` the wait for the tables after the extraction, which writes
    them as it makes them), the interpreter's start (process wall - time inside Python)
    and the rest (imports, checks, the printed summary)."""
    head = ("| size | run wall s | " + " | ".join(k.removesuffix("_s") + " s" for k in RUN_PARTS)
            + " | interpreter start s | rest (imports, summary) s |")
    lines = [head, "|" + "---|" * (len(RUN_PARTS) + 4)]
    for r in rows:
        if r.get("run.wall_s") is None:
            continue
        parts = [r.get(f"run.{k}") for k in RUN_PARTS]
        known = sum(p for p in parts if _num(p))
        inproc = r.get("run.inproc_s")
        start = r["run.wall_s"] - inproc if _num(inproc) else None
        rest = (inproc - known) if _num(inproc) else (r["run.wall_s"] - known)
        lines.append(f"| {r['size']} | {_f(r['run.wall_s'])} | "
                     + " | ".join(_f(p) for p in parts)
                     + f" | {_f(start)} | {_f(rest)} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def rounds_table(per_size: dict[str, list[dict]]) -> str:
    head = ("| size | round | order | chainopt l+b s | linopy l+b s | numpy l+b s | "
            "raw solve s | run wall s | run solve s | run peak MiB | raw peak MiB | "
            "lean raw peak MiB |")
    lines = [head, "|" + "---|" * 12]
    for size, rounds in per_size.items():
        for i, r in enumerate(rounds):
            def g(who: str, key: str, nd: int = 2, r: dict = r) -> str:
                if "error" in r.get(who, {}):
                    return "failed"
                return _f(r.get(who, {}).get(key), nd)

            lines.append(f"| {size} | {i + 1} | {', '.join(r.get('order', []))} | "
                         f"{g('chainopt', 'load_build_s')} | {g('linopy', 'load_build_s')} | "
                         f"{g('numpy', 'load_build_s')} | {g('raw', 'solve_s')} | "
                         f"{g('run', 'wall_s')} | {g('run', 'solve_s')} | "
                         f"{g('run', 'peak_mib', 0)} | {g('raw', 'peak_mib', 0)} | "
                         f"{g('lean', 'peak_mib', 0)} |")
    return "\n".join(lines)


def verify_sizes(text: str, timed: list[int]) -> list[int]:
    """``--verify-size``: sizes (``10k``) and ``first`` (the first timed size), in order,
    each once; ``0`` or nothing: none."""
    out: list[int] = []
    for tok in (t.strip().lower() for t in str(text).split(",")):
        if tok in ("", "0"):
            continue
        n = (timed[0] if timed else 0) if tok == "first" else bb.parse_size(tok)
        if n and n not in out:
            out.append(n)
    return out


def _same_lp(c: dict, o: dict) -> tuple[bool, float]:
    rel = abs(o["objective"] - c["objective"]) / max(1.0, abs(c["objective"]))
    same = (o["vars"], o["rows"], o["nnz"]) == (c["vars"], c["rows"], c["nnz"])
    return same and rel <= 1e-6, rel


def lp_check_problems(ver: dict | None) -> list[str]:
    """Why the LP check forbids timing: it failed to run, or a mirror's LP is not
    chainopt's (another count of columns, rows or nonzeros, or another optimum)."""
    out = []
    for one in ([ver, *ver.get("more", [])] if ver else []):
        size = one.get("size")
        if "error" in one:
            out.append(f"the LP check at {size} FAILED to run: {one['error']}")
            continue
        for name in ("numpy", "linopy"):
            if name in one and not _same_lp(one["chainopt"], one[name])[0]:
                o, c = one[name], one["chainopt"]
                out.append(f"at {size}, {name}'s LP is NOT chainopt's: {o['vars']:,} / "
                           f"{o['rows']:,} / {o['nnz']:,} columns / rows / nonzeros and "
                           f"objective {o['objective']:.6f}, against {c['vars']:,} / "
                           f"{c['rows']:,} / {c['nnz']:,} and {c['objective']:.6f}")
    return out


def count_problems(label: str, i: int, r: dict, export: list[int] | None) -> list[str]:
    """Round ``i`` of size ``label``: every contender that reports the LP's counts
    (columns, rows, nonzeros; the run's manifest: columns and rows) must report
    chainopt's (the exported model's, else chainopt's build's)."""
    ref = list(export) if export else None
    if ref is None and "nnz" in _ok(r, "chainopt"):
        ref = [_ok(r, "chainopt")[k] for k in ("vars", "rows", "nnz")]
    if ref is None:
        return []
    out = []
    for who in CONTENDERS:
        got = _ok(r, who)
        keys = [k for k in ("vars", "rows", "nnz") if _num(got.get(k))]
        have = [got[k] for k in keys]
        want = [ref[("vars", "rows", "nnz").index(k)] for k in keys]
        if have != want:
            out.append(f"{label} {'warm-up' if i < 0 else f'round {i + 1}'}: {who}'s LP has "
                       + ", ".join(f"{k} {h:,}" for k, h in zip(keys, have, strict=True))
                       + " against chainopt's "
                       + ", ".join(f"{w:,}" for w in want) + ": NOT the same LP")
    return out


def stop_text(reasons: list[str], command: str, commit: str) -> str:
    """The report of a run stopped before timing anything that could be judged."""
    return "\n".join([
        "# chainopt paired benchmark (issue 17)", "",
        f"STOPPED, nothing judged: `{command}` at chainopt {commit or 'unknown commit'} "
        "stopped because the LPs it compares are not the same LP (or could not be "
        "checked), so no ratio of this run would compare like with like:", "",
        *(f"- {x}" for x in reasons), ""])


def stop(args: argparse.Namespace, reasons: list[str]) -> int:
    """Rewrite the report as a stop notice (no verdict), say why, exit code 3."""
    command = "python benchmarks/pair.py " + " ".join(getattr(args, "argv", []))
    write_results(args.results, stop_text(reasons, command, getattr(args, "commit", "")))
    for x in reasons:
        print(f"STOPPED: {x}", file=sys.stderr, flush=True)
    print(f"no timing judged; {args.results} says why", file=sys.stderr, flush=True)
    return 3


def verify_lines(ver: dict | None) -> list[str]:
    if not ver:
        return ["LP check: not run (--verify-size 0)."]
    lines = _verify_lines_one(ver)
    for more in ver.get("more", []):
        lines += _verify_lines_one(more)
    return lines


def _verify_lines_one(ver: dict) -> list[str]:
    if "error" in ver:
        return [f"LP check at {ver.get('size')}: FAILED to run: {ver['error']}"]
    c = ver["chainopt"]
    out = [f"LP check at {ver['size']} (each LP solved with chainopt's HiGHS options): "
           f"chainopt {c['vars']:,} columns, {c['rows']:,} rows, {c['nnz']:,} nonzeros, "
           f"objective {c['objective']:.6f}."]
    for name in ("numpy", "linopy"):
        if name not in ver:
            continue
        o = ver[name]
        ok, rel = _same_lp(c, o)
        out.append(f"- {name}: {o['vars']:,} / {o['rows']:,} / {o['nnz']:,}, objective "
                   f"{o['objective']:.6f} (rel. diff {rel:.1e}) — "
                   f"{'the same LP (OK)' if ok else 'NOT the same LP (MISMATCH)'}")
    return out


def code_version() -> str:
    """The commit chainopt's code (``chainopt/``) is at: the last commit that changed
    it, HEAD, and whether it has uncommitted changes."""
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()

    with contextlib.suppress(OSError, subprocess.SubprocessError):
        last = git("log", "-1", "--format=%h", "--", "chainopt")
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "chainopt")
        return (f"{last} (HEAD {head})" if last != head else head) + (
            " with uncommitted changes in chainopt/" if dirty else "")
    return ""


def environment(load_before: tuple[float, float, float], load_after: tuple[float, float, float],
                argv: list[str], commit: str = "") -> dict:
    def version(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "not installed"

    cpu = ""
    with contextlib.suppress(OSError):
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 1024**2:.0f} GiB RAM"
    commit = commit or code_version()
    return {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu or platform.processor() or platform.machine(), "cores": os.cpu_count(),
        "memory": mem, "python": f"{platform.python_implementation()} "
        f"{platform.python_version()}", "highs": version("highspy"),
        "linopy": version("linopy"), "xarray": version("xarray"), "chainopt_commit": commit,
        "load_before": list(load_before), "load_after": list(load_after),
        "command": "python benchmarks/pair.py " + " ".join(argv),
    }


def _env_lines(env: dict) -> list[str]:
    lb = env["load_before"]
    la = env["load_after"]
    what = ", ".join(env.get("sizes") or [])
    extra = [w for w, k in (("the LP check", "verified"), ("the limit check", "limit_checked"))
             if env.get(k)]
    what = " and ".join(x for x in (what, " and ".join(extra)) if x) or "nothing"
    busy = max(lb[0], la[0], lb[1], la[1]) > 0.5 * (env["cores"] or 1)
    return [
        f"{what[0].upper() + what[1:]}: measured "
        + (f"{env['started_utc']} to " if env.get("started_utc") else "until ")
        + f"{env['date_utc']} with `{env['command']}` on "
        f"{env['cpu']}, {env['cores']} cores{', ' + env['memory'] if env['memory'] else ''}; "
        f"{env['python']}, HiGHS (highspy) {env['highs']}, linopy {env['linopy']} "
        f"(xarray {env['xarray']}); chainopt at {env['chainopt_commit'] or 'unknown commit'}. "
        f"Load average (1, 5, 15 min): {lb[0]:.2f}, {lb[1]:.2f}, {lb[2]:.2f} before; "
        f"{la[0]:.2f}, {la[1]:.2f}, {la[2]:.2f} after"
        + (" — the machine was shared with other work: absolute times are inflated and "
           "noisy; the ratios, paired within each round, suffer less." if busy else "."),
        "",
    ]


def commits_of(envs: list[dict]) -> dict[str, str]:
    """The chainopt commit each part of the report was measured at: sizes by label,
    and "verify" and "limit" for the two checks."""
    out: dict[str, str] = {}
    for e in envs:
        c = e.get("chainopt_commit") or "unknown commit"
        out.update({k: c for k in e.get("sizes") or []})
        if e.get("verified"):
            out["verify"] = c
        if e.get("limit_checked"):
            out["limit"] = c
    return out


def mixed_line(envs: list[dict]) -> str:
    """A warning when the report's parts come from more than one commit (--merge)."""
    commits = commits_of(envs)
    if len(set(commits.values())) <= 1:
        return (f"Every part of this report was measured at chainopt "
                f"{next(iter(commits.values()), 'unknown commit')}, in one run; each run "
                "of pair.py rewrites this file whole.")
    parts = "; ".join(f"{k if k not in ('verify', 'limit') else k + ' check'} at {c}"
                      for k, c in commits.items())
    return ("MIXED COMMITS: this report merges runs of different code (" + parts + "); "
            "each column and check names its commit, and its verdicts are that commit's, "
            "not the current code's.")


def render(envs: list[dict], rows: list[dict], per_size: dict[str, list[dict]],
           ver: dict | None, limit_check: dict | None) -> str:
    """The Markdown report; ``envs``: where and how each part was measured."""
    commits = commits_of(envs)
    rows = [dict(r, size=f"{r['size']} (at {commits[r['size']]})")
            if r["size"] in commits else r for r in rows]
    errors = [e for r in rows for e in r["errors"]]
    rounds = ", ".join(f"{k}: {len(v)}" for k, v in per_size.items()) or "none"
    parts = [
        "# chainopt paired benchmark (issue 17)",
        "",
        mixed_line(envs),
        "",
        *(ln for env in envs for ln in _env_lines(env)),
        f"Rounds per size: {rounds}. Every round runs each contender once, in a fresh "
        "process, in an order rotated from round to round (the same cycle shifted: each "
        "contender keeps its neighbours, and with 3 rounds of 6 contenders none takes "
        "every position); unless --no-warmup, one untimed round of every contender at "
        "the smallest size runs first and is not kept; each cell is the median over "
        "rounds, a ratio is the median of the per-round ratios. load + build: from the "
        "first read of the case files to a model held by HiGHS; every import of each "
        "builder, including the ones its library makes on first use (dask through "
        "xarray's first array for linopy, scipy.sparse for numpy, chainopt's model "
        "families and packaged data), is made before its timer and timed apart; peak: "
        "the process's own maximum resident memory (VmHWM). Raw HiGHS: "
        "`Highs.readModel` of the MPS chainopt exports, chainopt's own HiGHS options, "
        "`run()` timed alone. Lean raw HiGHS: raw numpy's arrays of the same LP passed "
        "by `passModel` (no names) in a process that imports only numpy and highspy "
        "(`benchmarks/raw_lean.py`), the same options: its peak is the memory ratio's "
        "reference, the stricter one (the MPS's names stay resident in HiGHS and the "
        "raw worker starts from pair.py's imports).",
        "",
        "## Issue 17 table",
        "",
        issue_table(rows, dict(limit_check, commit=commits.get("limit"))
                    if limit_check else None),
        "",
        "## Medians",
        "",
        medians_table(rows),
        "",
        window_imports_line(rows),
        "",
        ranging_note(rows),
        "",
        run_parts_table(rows),
        "",
        "## The LPs are the same",
        "",
        *([f"Measured at chainopt {commits['verify']}."] if ver and "verify" in commits
          else []),
        *verify_lines(ver),
        "",
        "## Every round",
        "",
        rounds_table(per_size),
        "",
    ]
    if errors:
        parts += ["## Failures", "", *(f"- {e}" for e in errors), ""]
    return "\n".join(parts)


def write_results(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------- driver


def limit_check(size: int, seed: int, time_limit: float, timeout: float | None) -> dict:
    """Generate the case and `chainopt run` it with a time limit the solve cannot meet:
    it must exit 4 (solver limit) and write no results folder."""
    folder, info = bb.ensure_case(size, seed, False)
    name = run_name("limit", bb.size_label(size))
    target = OUT / "runs" / name
    if target.exists():
        shutil.rmtree(target)
    r = run_chainopt(folder, size, time_limit, timeout, name)
    msg = r.get("message", "")
    written = target.exists()
    return {"size": bb.size_label(size), "vars": info.get("expected_vars"),
            "time_limit": time_limit, "rc": r["rc"], "wall_s": r["wall_s"],
            "peak_mib": r["peak_mib"], "written": written, "message": msg,
            "clean": r["rc"] == 4 and not written}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=None,
                    help=f"comma-separated (10k, 100k, 1M, ...); default {FULL_SIZES}, with "
                         f"the limit check at {FULL_LIMIT_CHECK}: the whole issue 17 table")
    ap.add_argument("--rounds", default=None,
                    help="rounds per size: one number, or one per size (3,3,1); default 3, "
                         "1 from 1M")
    ap.add_argument("--skip", default="", help=f"contenders to leave out: {','.join(CONTENDERS)}")
    ap.add_argument("--only", choices=["build", "run"], default=None,
                    help="build: chainopt, linopy, numpy; run: raw HiGHS and chainopt run")
    ap.add_argument("--time-limit", type=float, default=3600.0, help="solver time limit, s")
    ap.add_argument("--timeout", type=float, default=3600.0, help="per subprocess, s")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--warmup", action=argparse.BooleanOptionalAction, default=True,
                    help="one untimed round of every contender at the smallest size "
                         "before the timed rounds (default: on)")
    ap.add_argument("--verify-size", default="10k,first",
                    help="sizes at which the LPs are checked to be the same by solving "
                         "them (first: the first timed size; 0: skip); a failed or "
                         "mismatched check stops the run, exit code 3")
    ap.add_argument("--limit-check", default=None, metavar="SIZE",
                    help="also run a case of SIZE (e.g. 2M) with --limit-time: it must stop "
                         f"cleanly (exit 4, nothing written); default {FULL_LIMIT_CHECK} "
                         "without --sizes, none with it; 0: none")
    ap.add_argument("--limit-time", type=float, default=20.0)
    ap.add_argument("--results", type=Path, default=RESULTS, help="the Markdown report")
    ap.add_argument("--json", type=Path, default=OUT / "pair.json",
                    help="every number, for --merge (default benchmarks/out/pair.json)")
    ap.add_argument("--merge", type=Path, nargs="+", default=[], metavar="JSON",
                    help="also report the sizes and checks of these earlier --json files "
                         "(what this run measures replaces them)")
    ap.add_argument("--report-only", action="store_true",
                    help="measure nothing: rewrite the report from the --merge files")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--opts", default="{}", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.argv = argv
    if not unix_ok():
        print("pair.py needs Linux or macOS (it uses os.wait4, process groups, "
              "os.getloadavg and /proc); on Windows run it under WSL", file=sys.stderr)
        return 2
    bb.cache_bytecode()

    if args.worker:
        res = WORKERS[args.worker](args.case, json.loads(args.opts))
        print(MARK + json.dumps(res), flush=True)
        return 0

    earlier = load_earlier(args.merge)
    load_before = os.getloadavg()
    args.commit = code_version()  # at the start: the code the measurement ran
    args.started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    OUT.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        rows = save(args, argv, load_before, earlier, {}, None, None)
        print(issue_table(rows, earlier["limit_check"]))
        print(f"\nwritten to {args.results}")
        return 0
    full = args.sizes is None
    args.sizes = args.sizes or FULL_SIZES
    if args.limit_check is None and full:
        args.limit_check = FULL_LIMIT_CHECK
    if args.limit_check in ("0", ""):
        args.limit_check = None
    sizes = [bb.parse_size(t) for t in args.sizes.split(",")]
    try:
        n_rounds = (rounds_per_size(args.rounds, len(sizes)) if args.rounds
                    else [1 if n >= 1_000_000 else 3 for n in sizes])
    except ValueError as exc:
        ap.error(str(exc))
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = skip - set(CONTENDERS)
    if unknown:
        ap.error(f"--skip: unknown {sorted(unknown)}; choose from {', '.join(CONTENDERS)}")
    if args.only == "build":
        skip |= set(RUN)
    elif args.only == "run":
        skip |= set(BUILD)
    # find_spec, not import: this process stays small (its children start from its size)
    if "linopy" not in skip and importlib.util.find_spec("linopy") is None:
        print("linopy is not installed (pip install -e \".[bench]\"): skipping it", flush=True)
        skip.add("linopy")
    contenders = [c for c in CONTENDERS if c not in skip]

    ver = None
    vsizes = verify_sizes(args.verify_size, sizes)
    if vsizes and ({"linopy", "numpy"} & set(contenders)):
        checks = []
        for vsize in vsizes:
            folder, _ = bb.ensure_case(vsize, args.seed, False)
            one = run_worker("verify", folder, {"linopy": "linopy" in contenders},
                             args.timeout)
            one["size"] = bb.size_label(vsize)
            checks.append(one)
        ver = dict(checks[0], more=checks[1:])
        for ln in verify_lines(ver):
            print(ln, flush=True)
        bad = lp_check_problems(ver)
        if bad:
            return stop(args, bad)

    measured: dict[str, dict] = {}
    for size, n_round in zip(sizes, n_rounds, strict=True):
        if not contenders:  # e.g. the limit check alone: no case of this size needed
            break
        label = bb.size_label(size)
        folder, _ = bb.ensure_case(size, args.seed, False)
        opts: dict = {}
        if {"raw", "lean"} & set(contenders):
            mps = folder.parent / f"model_{label}.mps"
            npz = folder.parent / f"model_{label}.npz"
            ex = run_worker("export", folder, {"mps": str(mps), "time_limit_s": args.time_limit,
                                               "npz": str(npz) if "lean" in contenders
                                               else None}, args.timeout)
            if "error" in ex:
                print(f"  {label}: export FAILED {ex['error']}; skipping raw HiGHS", flush=True)
            else:
                print(f"  {label}: exported {mps.relative_to(ROOT)} ({ex['export_s']:.1f} s; "
                      f"HiGHS options {ex['highs_options']})", flush=True)
                opts = {"mps": str(mps), "npz": str(npz), "highs_options": ex["highs_options"],
                        "counts": [ex["vars"], ex["rows"], ex["nnz"]],
                        "objective_sign": ex["objective_sign"]}
        rounds = []
        # one untimed round of every contender at the smallest size first: the file
        # cache, the byte-code and the libraries' first imports are then warm for all
        warm = args.warmup and size == min(sizes)
        for i in range(-1 if warm else 0, n_round):
            r: dict = {"order": rotate(contenders, max(i, 0))}
            for who in r["order"]:
                if who == "run":
                    res = run_chainopt(folder, size, args.time_limit, args.timeout,
                                       run_name("pair", label))
                elif who in ("raw", "lean") and not opts:
                    continue
                elif who == "lean":
                    res = run_lean(opts, args.timeout)
                else:
                    res = run_worker(who, folder, opts, args.timeout)
                r[who] = res
                print(f"  {label} {'warm-up' if i < 0 else f'round {i + 1}'} {who}: "
                      + _brief(who, res), flush=True)
            bad = count_problems(label, i, r, opts.get("counts"))
            if bad:
                return stop(args, bad)
            if i >= 0:  # the warm-up round is not kept
                rounds.append(r)
        measured[label] = {"target": size, "rounds": rounds}
        # written after every size, so that a later size failing or stopped keeps these
        save(args, argv, load_before, earlier, measured, ver, None)

    lc = None
    if args.limit_check:
        lc = limit_check(bb.parse_size(args.limit_check), args.seed, args.limit_time,
                         args.timeout)
        print(f"  limit check {lc['size']}: exit {lc['rc']} after {lc['wall_s']:.1f} s, "
              f"written: {lc['written']} -> {'clean' if lc['clean'] else 'NOT clean'}",
              flush=True)

    rows = save(args, argv, load_before, earlier, measured, ver, lc)
    print()
    print(issue_table(rows, lc or earlier["limit_check"]))
    print()
    print(medians_table(rows))
    try:
        shown = args.results.resolve().relative_to(ROOT)
    except ValueError:
        shown = args.results
    print(f"\nwritten to {shown} and {args.json}")
    return 0


def _measured(rounds: list[dict]) -> bool:
    """Whether any contender ran in these rounds (not so when all were skipped, as in a
    limit check alone): only then do they replace an earlier run's figures."""
    return any(set(r) - {"order"} for r in rounds)


def load_earlier(paths: list[Path]) -> dict:
    """Sizes, LP check and limit check of earlier runs' ``pair.json`` files (a later file
    replaces an earlier one's size, if it measured anything of it)."""
    got: dict = {"envs": [], "sizes": {}, "verify": None, "limit_check": None}
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        rounds_of = data.get("rounds", {})
        targets = {r["size"]: r["target"] for r in data.get("summary", [])
                   if _measured(rounds_of.get(r["size"], []))}
        envs = [dict(e, sizes=[k for k in e.get("sizes", []) if k in targets])
                for e in data.get("environments") or [
                    dict(data["environment"], sizes=list(targets),
                         verified=bool(data.get("verify")),
                         limit_checked=bool(data.get("limit_check")))]]
        for label in targets:
            got["sizes"][label] = {"target": targets[label], "rounds": rounds_of[label]}
        # what this file measured is no longer an earlier file's
        for e in got["envs"]:
            e["sizes"] = [k for k in e.get("sizes", []) if k not in targets]
            e["verified"] = e.get("verified") and not data.get("verify")
            e["limit_checked"] = e.get("limit_checked") and not data.get("limit_check")
        got["envs"] = [e for e in got["envs"]
                       if e["sizes"] or e["verified"] or e["limit_checked"]] + envs
        got["verify"] = data.get("verify") or got["verify"]
        got["limit_check"] = data.get("limit_check") or got["limit_check"]
    return got


def combine(earlier: dict, env: dict, measured: dict[str, dict], ver: dict | None,
            lc: dict | None) -> tuple[list[dict], list[dict], dict, dict | None, dict | None]:
    """(environments, summary rows, rounds per size, LP check, limit check): this run's
    sizes and checks replace the earlier runs' ones. A size this run measured nothing of
    (every contender skipped, as in a limit check alone) replaces nothing."""
    measured = {k: v for k, v in measured.items() if _measured(v["rounds"])}
    sizes = {**earlier["sizes"], **measured}
    order = sorted(sizes, key=lambda k: sizes[k]["target"])
    rows = [summarise(sizes[k]["target"], sizes[k]["rounds"]) for k in order]
    per_size = {k: sizes[k]["rounds"] for k in order}
    envs = []
    for e in earlier["envs"]:
        e = dict(e, sizes=[k for k in e.get("sizes", []) if k not in measured],
                 verified=e.get("verified") and ver is None,
                 limit_checked=e.get("limit_checked") and lc is None)
        if e["sizes"] or e["verified"] or e["limit_checked"]:
            envs.append(e)
    env = dict(env, sizes=list(measured), verified=ver is not None, limit_checked=lc is not None)
    if env["sizes"] or env["verified"] or env["limit_checked"]:
        envs.append(env)
    return envs, rows, per_size, ver or earlier["verify"], lc or earlier["limit_check"]


def save(args: argparse.Namespace, argv: list[str], load_before: tuple[float, float, float],
         earlier: dict, measured: dict[str, dict], ver: dict | None,
         lc: dict | None) -> list[dict]:
    """Write the report (``--results``) and the numbers (``--json``); the rows."""
    env = environment(load_before, os.getloadavg(), argv, getattr(args, "commit", ""))
    env["started_utc"] = getattr(args, "started", None)
    envs, rows, per_size, ver, lc = combine(earlier, env, measured, ver, lc)
    write_results(args.results, render(envs, rows, per_size, ver, lc))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(
        {"environments": envs, "summary": rows, "rounds": per_size, "verify": ver,
         "limit_check": lc}, indent=1, default=str), encoding="utf-8")
    return rows


def _brief(who: str, r: dict) -> str:
    if "error" in r:
        return f"FAILED {r['error']}"
    if who in BUILD:
        return (f"load+build {r['load_build_s']:.2f} s (load {r['load_s']:.2f}, build "
                f"{r['build_s']:.2f}, import {r['import_s']:.2f}), build peak "
                f"{r['build_peak_mib']:,.0f} MiB")
    if who in ("raw", "lean"):
        return (f"solve {r['solve_s']:.2f} s, {r['status']}, objective {r['objective']:.6f}, "
                f"iterations {r['simplex_iterations']}+{r['ipm_iterations']}, peak "
                f"{r['peak_mib']:,.0f} MiB")
    return (f"wall {r['wall_s']:.2f} s, solve {_f(r.get('solve_s'))} s, objective "
            f"{r.get('objective')}, iterations {r.get('simplex_iterations')}+"
            f"{r.get('ipm_iterations')}, peak {r['peak_mib']:,.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
