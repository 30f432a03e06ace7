"""Benchmark: chainopt's MIP settings for HiGHS against HiGHS's own.

For each source that builds to a MIP, the same model (chainopt's hand-over and options)
is solved with chainopt's MIP settings (:data:`chainopt.solve.MIP_SETTINGS`: RINS, RENS
and restarts off; the root reduced-cost heuristic off below
:data:`chainopt.solve.ROOT_REDUCED_COST_FROM` integer columns) and with HiGHS's defaults
for those four. It prints the median solve time over ``--repeat``
alternating rounds, the LP iterations, the nodes and whether the objectives agree
(relative difference, and whether it lies within the case's MIP gap). An LP is skipped.

``--lumpy CASE`` first makes a MIP of a generated case (``benchmarks/generate.py``; its
units with expansion room get a fixed charge of 1-20 MUSD per build, and 30 % of those
with more than 40 k of room a minimum build of a quarter of it, seeded), written beside
it as ``CASE_lumpy``, and adds it to the sources. README, *Big cases and the solver
method*, quotes this benchmark's figures.

Usage: python benchmarks/bench_mip.py [SOURCE ...] [--lumpy CASE] [--repeat 3]
       (no SOURCE: every scenario in scenarios/)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from chainopt import api, solve

ROOT = Path(__file__).resolve().parents[1]


def lumpy(case: Path, seed: int = 1) -> Path:
    """A copy of generated ``case`` whose expansion candidates are lumpy (see above)."""
    out = case.with_name(case.name + "_lumpy")
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(case, out)
    units = pd.read_csv(out / "units.csv", dtype=str, keep_default_na=False)
    room = pd.to_numeric(units["max_new_k_per_yr"], errors="coerce")
    rng = np.random.default_rng(seed)
    grows = room.notna().to_numpy()
    units["build_fixed_musd"] = np.where(grows, rng.uniform(1, 20, len(units)).round(1)
                                         .astype(str), "")
    minimum = grows & (rng.uniform(size=len(units)) < 0.3) & (room > 40).to_numpy()
    units["min_new_k_per_yr"] = np.where(minimum, (room * 0.25).round(1).astype(str), "")
    units.to_csv(out / "units.csv", index=False)
    return out


def solve_once(built, settings: bool) -> tuple[float, int, int, float]:
    """Seconds, LP iterations, nodes and objective of one solve of ``built``: chainopt's
    MIP settings, or (``settings=False``) HiGHS's defaults for them."""
    h = solve.handover(built)
    if not settings:
        for key in [*solve.MIP_SETTINGS, "mip_heuristic_run_root_reduced_cost"]:
            h.setOptionValue(key, True)
    t0 = time.perf_counter()
    solve.run_highs(h)
    took = time.perf_counter() - t0
    info = h.getInfo()
    built.solver = None
    return took, int(info.simplex_iteration_count), int(info.mip_node_count), float(
        info.objective_function_value)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sources", nargs="*")
    ap.add_argument("--lumpy", action="append", default=[], metavar="CASE")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    sources = [*(args.sources or sorted(map(str, (ROOT / "scenarios").glob("*.yaml")))),
               *(str(lumpy(Path(c))) for c in args.lumpy)]
    print("| source | binaries | HiGHS defaults s | chainopt s | ratio | LP iterations "
          "| nodes | objectives |")
    print("|---|---|---|---|---|---|---|---|")
    for src in sources:
        built = api.build_model(api.load_case(src))
        if not built.is_mip:
            continue
        runs: dict[bool, list] = {False: [], True: []}
        for _ in range(args.repeat):
            for settings in (False, True):  # alternating: the machine's load hits both
                runs[settings].append(solve_once(built, settings))
        theirs, ours = (statistics.median(r[0] for r in runs[s]) for s in (False, True))
        (_, it0, n0, f0), (_, it1, n1, f1) = runs[False][-1], runs[True][-1]
        diff = abs(f1 - f0) / max(1.0, abs(f0))
        gap = built.case.meta.solver.mip_gap
        said = ("same" if diff <= 1e-9 else
                f"{diff:.1e} apart (within the gap {gap:g})" if diff <= gap else
                f"{diff:.1e} apart: MORE than the gap {gap:g}")
        print(f"| {Path(src).name} | {int(built.arrays.integer.sum()):,} | {theirs:.3f} | "
              f"{ours:.3f} | {ours / theirs:.2f} | {it0:,} -> {it1:,} | {n0} -> {n1} | "
              f"{said} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
