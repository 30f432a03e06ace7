"""pair.py's ``run`` contender: `chainopt run` as its console script runs it
(``chainopt.start.main``), from this script's first line.

    python benchmarks/run_cli.py ARGV_JSON

Before chainopt it imports only what Python starts with (json, atexit, time, and
:mod:`peak`): pair.py's own start (argparse, subprocess, importlib.metadata and its
other modules, about 0.06 s) is no part of a user's run, so it is no part of this one.
When the command ends (whatever its exit code) it prints one line,
``PAIR_RESULT {"peak_mib": ..., "inproc_s": ...}``: the process's peak resident memory
and the seconds from this script's first line.
"""

import time

T0 = time.perf_counter()

import atexit  # noqa: E402  (after the clock: everything from here on is the run's)
import json  # noqa: E402
import sys  # noqa: E402

from peak import peak_mib  # noqa: E402  (same folder)

MARK = "PAIR_RESULT "


def report() -> None:
    print(MARK + json.dumps({"peak_mib": peak_mib(), "inproc_s": time.perf_counter() - T0}),
          flush=True)


if __name__ == "__main__":
    atexit.register(report)
    sys.argv = ["chainopt", *json.loads(sys.argv[1])]
    from chainopt.start import main

    main()
