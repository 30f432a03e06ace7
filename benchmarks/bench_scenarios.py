"""Benchmark: end-to-end `chainopt run` (process start to saved results) of the default
case and every shipped scenario; medians of --repeat runs.

Usage: python benchmarks/bench_scenarios.py [--repeat 3] [--pattern 'scenarios/*.yaml']
"""

from __future__ import annotations

import argparse
import glob
import statistics
import subprocess
import sys
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pattern", default="scenarios/ru_*.yaml")
    args = ap.parse_args()
    sources = ["(default case)", *sorted(glob.glob(args.pattern))]
    out = tempfile.mkdtemp(prefix="bench_scen_")
    print("| source | median s | min s | max s |\n|---|---|---|---|")
    medians = []
    for src in sources:
        times = []
        for _ in range(args.repeat):
            cmd = [sys.executable, "-m", "chainopt.cli", "run", "--out", out, "--overwrite"]
            if not src.startswith("("):
                cmd.insert(4, src)
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        medians.append(med)
        print(f"| {src} | {med:.2f} | {min(times):.2f} | {max(times):.2f} |")
    print(f"\nmedian over all sources: {statistics.median(medians):.2f} s; "
          f"slowest: {max(medians):.2f} s")


if __name__ == "__main__":
    main()
