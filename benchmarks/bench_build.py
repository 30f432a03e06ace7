"""Time load, build, solve and extraction of synthetic cases of growing size.

For each size (``--sizes 10k,100k,300k,1M``) the case is generated once into
``benchmarks/out/case_<size>/`` (reused while the generator settings match), then
each repetition runs in a fresh Python process so that imports, caches and memory
start cold-equal::

    load     chainopt.api.load_case(path)          read + validate
    build    chainopt.api.build_model(case)        index + matrix + hand-over to HiGHS
    pyomo    built.pyomo                           with --pyomo: the Pyomo model (import apart)
    solve    chainopt.api.solve(built, options)    skipped above 100k unless --solve
    extract  chainopt.api.extract_results(built, outcome)
    peak     resource.getrusage(RUSAGE_SELF).ru_maxrss of that process

``--solver NAME`` solves through Pyomo with that solver (implies ``--pyomo``).

Medians over the repetitions are printed as a Markdown table and written to
``benchmarks/out/build_times.md``.

    python benchmarks/bench_build.py                       # 10k,100k,300k,1M, 3 reps
    python benchmarks/bench_build.py --sizes 10k,100k --solve --repeat 5
    python benchmarks/bench_build.py --sizes 10k,100k --pyomo --no-solve
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from peak import peak_mib  # (same folder)

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
MARK = "BENCH_RESULT "
SOLVE_BY_DEFAULT_UP_TO = 100_000

# Targets (see README): build of the 100k case < 3 s, of the 1M case < 25 s and 6 GiB;
# extraction < 25 % of build time.
TARGETS = {100_000: {"build_s": 3.0}, 1_000_000: {"build_s": 25.0, "peak_mib": 6 * 1024}}
EXTRACT_RATIO_TARGET = 0.25


def cache_bytecode() -> None:
    """Let the child processes cache their byte-code, as on an installed machine (pip
    compiles it when it installs; an editable install writes it on first import). A
    ``PYTHONDONTWRITEBYTECODE`` in this environment, which some sandboxes set, would make
    every child compile chainopt's sources again: about 80 ms per process, which no
    user pays. The warm-up runs of each benchmark write the cache."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def parse_size(text: str) -> int:
    t = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    num = t[:-1] if t[-1:] in ("k", "m") else t
    return int(float(num) * mult)


def size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def _peak_mib() -> float:
    """Peak resident memory of this process, MiB (:func:`peak.peak_mib`)."""
    return peak_mib()


# --------------------------------------------------------------------------- worker


def worker(case_dir: str, solve: bool, options: dict) -> dict:
    """One repetition, in its own process: returns timings and model sizes."""
    res: dict = {"case": case_dir}
    t0 = time.perf_counter()
    import chainopt.api as api

    res["import_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    case = api.load_case(case_dir)
    res["load_s"] = time.perf_counter() - t0

    from chainopt.solve import SolveOptions

    want_pyomo = bool(options.get("pyomo") or options.get("solver"))
    opts = SolveOptions(**{k: v for k, v in options.items() if v is not None and k != "pyomo"})
    t0 = time.perf_counter()
    built = api.build_model(case, opts)
    res["build_s"] = time.perf_counter() - t0
    res["build_peak_mib"] = _peak_mib()
    res["vars"] = int(built.num_vars)
    res["rows"] = int(built.num_rows)
    res["nnz"] = int(built.nnz)
    if want_pyomo:
        t0 = time.perf_counter()
        importlib.import_module("pyomo.environ")  # its import timed apart from the model

        res["pyomo_import_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        _ = built.pyomo
        res["pyomo_s"] = time.perf_counter() - t0
        res["pyomo_peak_mib"] = _peak_mib()

    if solve:
        t0 = time.perf_counter()
        outcome = api.solve(built, opts)
        res["solve_s"] = time.perf_counter() - t0
        res["status"] = str(outcome.status)
        res["objective"] = float(outcome.objective)

        results = api.extract_results(built, outcome)
        # extract_s: the solution tables (the target); insight_s: the marginal-value,
        # ranging and numerics tables of `chainopt explain` (extra solver calls)
        res["extract_s"] = results.manifest["timings_s"]["extract_s"]
        res["insight_s"] = results.manifest["timings_s"]["insight_s"]
    res["peak_mib"] = _peak_mib()
    return res


# --------------------------------------------------------------------------- driver


def ensure_case(size: int, seed: int, regenerate: bool) -> tuple[Path, dict]:
    """Generate the case for ``size`` target variables unless an identical one exists: the
    same sizes and seed from the same ``generate.py`` (its SHA-256 is in the stamp, so a
    changed generator makes the case again: a kept 1M case stayed one validation had
    come to refuse)."""
    sys.path.insert(0, str(HERE))
    import generate

    sizes = generate.sizes_for_target(size, seed)
    folder = OUT / f"case_{size_label(size)}"
    stamp = folder / "generated_with.json"
    made_by = hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()
    want = {**sizes.as_kwargs(), "seed": seed, "target_vars": size, "generator": made_by}
    if not regenerate and stamp.is_file() and (folder / "case.yaml").is_file():
        try:
            have = json.loads(stamp.read_text())
        except json.JSONDecodeError:
            have = {}
        if {k: have.get(k) for k in want} == want:
            return folder, have
    t0 = time.perf_counter()
    meta, tables = generate.build_tables(**sizes.as_kwargs(), seed=seed)
    generate.write_case(folder, meta, tables)
    want["expected_vars"] = generate.count_vars_tables(tables, sizes.periods)
    stamp.write_text(json.dumps(want, indent=1))
    print(f"generated {folder.relative_to(HERE.parent)}: {sizes.sites} sites x "
          f"{sizes.units_per_site} units, {sizes.commodities} commodities, {sizes.periods} "
          f"periods, ~{want['expected_vars']:,} vars ({time.perf_counter() - t0:.1f} s)",
          flush=True)
    return folder, want


def run_rep(folder: Path, solve: bool, options: dict, timeout: float | None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(folder),
           "--options", json.dumps(options)]
    if solve:
        cmd.append("--solve")
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           cwd=str(HERE.parent))
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    for line in p.stdout.splitlines():
        if line.startswith(MARK):
            res = json.loads(line[len(MARK):])
            res["wall_s"] = wall
            return res
    tail = (p.stderr or p.stdout).strip().splitlines()[-15:]
    return {"error": f"exit {p.returncode}: " + " | ".join(tail)}


def _median(reps: list[dict], key: str) -> float | None:
    vals = [r[key] for r in reps if isinstance(r.get(key), int | float)]
    return statistics.median(vals) if vals else None


def _fmt(x: float | None, nd: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:,.{nd}f}"


def summarise(size: int, info: dict, reps: list[dict], solved: bool) -> dict:
    ok = [r for r in reps if "error" not in r]
    row = {"size": size_label(size), "target": size, "expected_vars": info.get("expected_vars"),
           "reps": len(ok), "errors": [r["error"] for r in reps if "error" in r]}
    for k in ("vars", "rows", "nnz", "import_s", "load_s", "build_s", "solve_s", "extract_s",
              "insight_s", "build_peak_mib", "peak_mib", "objective", "pyomo_import_s",
              "pyomo_s", "pyomo_peak_mib"):
        row[k] = _median(ok, k)
    row["status"] = ",".join(sorted({r.get("status", "") for r in ok} - {""})) or (
        "not solved" if ok and not solved else "")
    if row["extract_s"] is not None and row["build_s"]:
        row["extract_ratio"] = row["extract_s"] / row["build_s"]
    else:
        row["extract_ratio"] = None
    return row


def table(rows: list[dict]) -> str:
    if any(r.get("pyomo_s") is not None for r in rows):
        return pyomo_table(rows)
    head = ("| size | vars | rows | nnz | load s | build s | solve s | extract s | "
            "extract/build | insight s | peak MiB | build peak MiB | status |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        def n(k: str, r: dict = r) -> str:
            return f"{int(r[k]):,}" if r.get(k) is not None else "—"

        lines.append(
            f"| {r['size']} | {n('vars')} | {n('rows')} | {n('nnz')} | {_fmt(r['load_s'])} | "
            f"{_fmt(r['build_s'])} | {_fmt(r['solve_s'])} | {_fmt(r['extract_s'])} | "
            f"{_fmt(r['extract_ratio'])} | {_fmt(r.get('insight_s'))} | "
            f"{_fmt(r['peak_mib'], 0)} | "
            f"{_fmt(r['build_peak_mib'], 0)} | {r['status'] or ('error' if r['errors'] else '')} |")
    return "\n".join(lines)


def pyomo_table(rows: list[dict]) -> str:
    head = ("| size | vars | rows | nnz | build s (matrix) | import pyomo s | Pyomo model s | "
            "Pyomo model peak MiB | solve s | status |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        def n(k: str, r: dict = r) -> str:
            return f"{int(r[k]):,}" if r.get(k) is not None else "—"

        lines.append(
            f"| {r['size']} | {n('vars')} | {n('rows')} | {n('nnz')} | {_fmt(r['build_s'])} | "
            f"{_fmt(r.get('pyomo_import_s'))} | {_fmt(r.get('pyomo_s'))} | "
            f"{_fmt(r.get('pyomo_peak_mib'), 0)} | {_fmt(r['solve_s'])} | "
            f"{r['status'] or ('error' if r['errors'] else '')} |")
    return "\n".join(lines)


def verdicts(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        tgt = TARGETS.get(r["target"], {})
        if "build_s" in tgt and r["build_s"] is not None:
            lb = (r["load_s"] or 0) + r["build_s"]
            ok = lb < tgt["build_s"]
            out.append(f"- {r['size']}: load + build {lb:.2f} s (target < {tgt['build_s']:g} s)"
                       f" {'OK' if ok else 'MISSED'}")
        if "peak_mib" in tgt and r["build_peak_mib"] is not None:
            ok = r["build_peak_mib"] < tgt["peak_mib"]
            out.append(f"- {r['size']}: peak memory after build {r['build_peak_mib']:,.0f} MiB "
                       f"(target < {tgt['peak_mib']:,} MiB) {'OK' if ok else 'MISSED'}")
        if r["extract_ratio"] is not None:
            ok = r["extract_ratio"] < EXTRACT_RATIO_TARGET
            out.append(f"- {r['size']}: extract/build {r['extract_ratio']:.2f} (target < "
                       f"{EXTRACT_RATIO_TARGET:g}) {'OK' if ok else 'MISSED'}")
        if r["vars"] is not None and r["expected_vars"]:
            dev = r["vars"] / r["expected_vars"] - 1
            if abs(dev) > 0.01:
                out.append(f"- {r['size']}: model has {int(r['vars']):,} vars, generator "
                           f"expected {r['expected_vars']:,} ({dev:+.1%})")
        for e in r["errors"]:
            out.append(f"- {r['size']}: repetition failed: {e}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10k,100k,300k,1M",
                    help="comma-separated target variable counts (10k, 100k, 300k, 1M, ...)")
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per size")
    ap.add_argument("--solve", action="store_true",
                    help=f"also solve and extract cases above {SOLVE_BY_DEFAULT_UP_TO:,} vars")
    ap.add_argument("--no-solve", action="store_true", help="never solve (load + build only)")
    ap.add_argument("--time-limit", type=float, default=600.0, help="solver time limit, s")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--method", choices=["auto", "simplex", "ipm"], default=None)
    ap.add_argument("--pyomo", action="store_true",
                    help="also time the Pyomo model (built.pyomo), its import apart")
    ap.add_argument("--solver", default=None,
                    help="solve through Pyomo with this solver (implies --pyomo)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--regenerate", action="store_true", help="regenerate cases even if present")
    ap.add_argument("--timeout", type=float, default=3600.0, help="per repetition, s")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    cache_bytecode()

    if args.worker:
        res = worker(args.worker, args.solve, json.loads(args.options))
        print(MARK + json.dumps(res), flush=True)
        return 0

    OUT.mkdir(parents=True, exist_ok=True)
    options = {"time_limit_s": args.time_limit, "threads": args.threads, "method": args.method,
               "pyomo": args.pyomo, "solver": args.solver}
    rows = []
    for text in args.sizes.split(","):
        size = parse_size(text)
        folder, info = ensure_case(size, args.seed, args.regenerate)
        solve = not args.no_solve and (args.solve or size <= SOLVE_BY_DEFAULT_UP_TO)
        reps = []
        for i in range(args.repeat):
            r = run_rep(folder, solve, options, args.timeout)
            reps.append(r)
            if "error" in r:
                print(f"  {size_label(size)} rep {i + 1}: FAILED {r['error']}", flush=True)
            else:
                print(f"  {size_label(size)} rep {i + 1}: load {r['load_s']:.2f} s, build "
                      f"{r['build_s']:.2f} s"
                      + (f", pyomo {r['pyomo_s']:.2f} s (import {r['pyomo_import_s']:.2f} s)"
                         if "pyomo_s" in r else "")
                      + f", solve {_fmt(r.get('solve_s'))} s, extract "
                      f"{_fmt(r.get('extract_s'))} s, peak {r['peak_mib']:,.0f} MiB"
                      + (f", {r['status']} {r['objective']:.6g}" if "status" in r else ""),
                      flush=True)
        rows.append(summarise(size, info, reps, solve))

    md = table(rows)
    notes = verdicts(rows)
    env = (f"{platform.python_implementation()} {platform.python_version()}, "
           f"{platform.machine()}, {os.cpu_count()} CPUs, medians of {args.repeat} fresh "
           f"processes, seed {args.seed}")
    doc = ("# chainopt build benchmark\n\n" + env + "\n\n" + md + "\n\n"
           "load = read + validate; build = index + matrix + hand-over to HiGHS; "
           "peak = max RSS of the process (build peak: right after build).\n\n"
           + ("\n".join(notes) + "\n" if notes else ""))
    (OUT / "build_times.md").write_text(doc, encoding="utf-8")
    (OUT / "build_times.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print()
    print(md)
    if notes:
        print()
        print("\n".join(notes))
    print(f"\nwritten to {(OUT / 'build_times.md').relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
