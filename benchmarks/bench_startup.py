"""Benchmark: start-up of the everyday commands, each in a fresh process, interleaved.

Times `chainopt --help`, `chainopt validate small_chain` and `chainopt run small_chain`
(to a temporary folder) from process start to exit: the wall time and the CPU time
(user + system, less sensitive to other load on the machine). Prints medians over
--repeat rounds; each round runs every command once, in turn, so that a change in the
machine's load hits all of them alike. Targets (issue 17): run <= 1.0 s, --help <= 0.3 s.

Usage: python benchmarks/bench_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from bench_build import cache_bytecode  # same folder

TARGETS = {"--help": 0.3, "run small_chain": 1.0}


def commands(out: str) -> dict[str, list[str]]:
    cli = [sys.executable, "-m", "chainopt.cli"]
    return {
        "--help": [*cli, "--help"],
        "validate small_chain": [*cli, "validate", "small_chain"],
        "run small_chain": [*cli, "run", "small_chain", "--out", out, "--overwrite"],
    }


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``cmd`` (CPU of the child process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    cache_bytecode()
    with tempfile.TemporaryDirectory(prefix="bench_startup_") as out:  # removed after
        walls, cpus = measure(commands(out), args.repeat)
    print_table(walls, cpus, args.repeat)


def measure(cmds: dict[str, list[str]], repeat: int) -> tuple[dict, dict]:
    """Wall and CPU seconds of every command, ``repeat`` interleaved rounds after one
    untimed round that warms the file cache and the byte-code."""
    for cmd in cmds.values():
        timed(cmd)
    walls: dict[str, list[float]] = {k: [] for k in cmds}
    cpus: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(repeat):
        for name, cmd in cmds.items():
            wall, cpu = timed(cmd)
            walls[name].append(wall)
            cpus[name].append(cpu)
    return walls, cpus


def print_table(walls: dict, cpus: dict, repeat: int) -> None:
    cmds = walls
    print(f"load average {os.getloadavg()[0]:.2f}; medians of {repeat} fresh processes\n")
    print("| command | wall s | CPU s | target |\n|---|---|---|---|")
    for name in cmds:
        target = TARGETS.get(name)
        wall = statistics.median(walls[name])
        ok = "OK" if target is not None and wall <= target else "MISSED"
        verdict = "" if target is None else f"<= {target} s ({ok})"
        print(f"| chainopt {name} | {wall:.2f} | {statistics.median(cpus[name]):.2f} | "
              f"{verdict} |")


if __name__ == "__main__":
    main()
