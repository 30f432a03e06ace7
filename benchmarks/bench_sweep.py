"""Benchmark: a 50-variant price sweep against 50 separate runs.

Usage: python benchmarks/bench_sweep.py [SOURCE] [--variants 50] [--set TARGET] [--repeat 3]

Measures (wall-clock seconds, this machine):
  separate_cli   50 x `chainopt run SOURCE` as separate processes (what a user
                 would otherwise do), each with its own price written as a scenario;
  separate_api   50 x api.run(case) in one process (no start-up cost: the fairer
                 lower bound for "separate runs");
  sweep_jobs1    `api.sweep` with one worker (the model mapped over the swept values
                 once, each variant from the map, solved on the re-used instance);
  sweep_jobsN    the same with N worker processes;
  mapped         the share of variants whose model came from the map;
and checks that every variant's objective equals the separate run's (max relative
difference; kpis.csv keeps 10 significant digits). With ``--repeat N`` each time is the
median of N runs; the load average (1 min) before and after is printed, since the
machine may be shared.
Targets: sweep <= 0.25 x separate CLI runs (issue 13); one worker <= 0.3 x separate
in-process runs (issue 17).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_build  # same folder
import yaml

from chainopt import api
from chainopt import sweep as sw
from chainopt.case.validate import validate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", nargs="?", default=None)
    ap.add_argument("--variants", type=int, default=50)
    ap.add_argument("--set", dest="target",
                    default="markets.price_usd_per_unit[commodity=hdpe]*=0.7:1.3")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--skip-cli", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="median of this many runs")
    args = ap.parse_args()
    bench_build.cache_bytecode()
    load_before = os.getloadavg()[0]
    setting = f"{args.target}:{args.variants}"
    target, values = sw.parse_set(setting)
    src = args.source or "default"
    out = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    raw = api.load_case(args.source).raw
    t = {}

    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        separate = [api.run(validate(sw.apply_variant(raw, [target.change(v)])),
                            save=False).objective for v in values]
        times.append(time.perf_counter() - t0)
    t["separate_api"] = statistics.median(times)

    if not args.skip_cli:
        scen_dir = out / "scenarios"
        scen_dir.mkdir()
        base = str(Path(args.source).resolve()) if args.source and Path(args.source).exists() \
            else (args.source or "ru_eastwest")
        t0 = time.perf_counter()
        for i, v in enumerate(values):
            path = scen_dir / f"v{i}.yaml"
            path.write_text(yaml.safe_dump({"base": base, "changes": [target.change(v)]}))
            subprocess.run([sys.executable, "-m", "chainopt.cli", "run", str(path), "--out",
                            str(out / "cli"), "--threads", "1"], check=True,
                           capture_output=True)
        t["separate_cli"] = time.perf_counter() - t0

    for jobs in sorted({1, args.jobs}):
        times = []
        for r in range(args.repeat):
            sw._BASE.clear()  # each run from a cold worker, as a new sweep process
            t0 = time.perf_counter()
            kpis, _, _ = api.sweep(args.source, sets=[setting], out=out, name=f"j{jobs}r{r}",
                                   jobs=jobs, project_npv=False)
            times.append(time.perf_counter() - t0)
        t[f"sweep_jobs{jobs}"] = statistics.median(times)
        t[f"mapped_jobs{jobs}"] = float(kpis["mapped"].mean()) if "mapped" in kpis else 0.0
        worst = max(abs(a - b) / max(1.0, abs(b))
                    for a, b in zip(kpis["objective_musd"], separate, strict=True))
        t[f"max_rel_diff_jobs{jobs}"] = worst

    ref = t.get("separate_cli", t["separate_api"])
    print(f"# sweep benchmark: {src}, {args.variants} variants of {args.target}, "
          f"median of {args.repeat}; load average {load_before:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after\n")
    print("| measure | value |\n|---|---|")
    for k, v in t.items():
        print(f"| {k} | {v:.3g} |")
    for jobs in sorted({1, args.jobs}):
        print(f"| ratio sweep_jobs{jobs} / separate_cli | {t[f'sweep_jobs{jobs}'] / ref:.3f} |"
              if "separate_cli" in t else "")
        print(f"| ratio sweep_jobs{jobs} / separate_api | "
              f"{t[f'sweep_jobs{jobs}'] / t['separate_api']:.3f} |")


if __name__ == "__main__":
    main()
