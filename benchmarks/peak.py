"""This process's peak resident memory, for the benchmark workers (imports only what
Python starts with, so that a worker measured from its first line pays nothing for it).

On Linux ``VmHWM`` of ``/proc/self/status``: ``ru_maxrss`` of a process started by another
one never falls below the RSS its parent had when it started it (Linux carries the old
high-water mark across ``exec``), so it would count the driver's own memory into every
worker. Elsewhere (no ``/proc``) ``ru_maxrss``: bytes on macOS, KiB on other systems.
"""

import sys


def peak_mib() -> float:
    """Peak resident memory of this process, MiB."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    import resource  # not Linux: no /proc

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024
