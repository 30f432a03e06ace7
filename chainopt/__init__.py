"""chainopt: petrochemical value-chain optimisation (Pyomo + HiGHS).

The public verbs live in :mod:`chainopt.api`.
"""

import os as _os

__version__ = "0.1.0"

# openpyxl reads and writes workbooks through lxml when it is installed (python-pptx, for
# the deck, brings it) and through the standard library otherwise; the two differ in
# details chainopt relies on (a formula's saved value, carriage returns in text cells).
# Use the standard-library path always, so a workbook reads and writes the same with or
# without lxml. Set before openpyxl is first imported; a user's own setting wins.
_os.environ.setdefault("OPENPYXL_LXML", "False")

# Arrow (pandas' string columns, Parquet) allocates from its own pool, mimalloc by
# default, which keeps freed memory instead of handing it back; chainopt frees the
# model's memory before the result tables are made (chainopt.solve.trim_memory, through
# the C library's allocator). With Arrow on that same allocator, a 300k-variable run
# peaks at about 610 instead of 700 MiB and makes its tables sooner (benchmarks/HISTORY.md).
# Set before pyarrow is first imported; a user's own setting wins.
_os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

# numpy's OpenBLAS splits a dot product of more than 10,000 values (the objective at a
# plan, chainopt.solve's checks) over one thread per core, and its worker threads then
# spin for a while: at 100k variables they burnt the second core through HiGHS's ranging
# and the writing of the tables, about 0.25 s of CPU a run, the core the table writers
# and a second test worker use. One thread also makes such a sum the same on every
# machine, whatever its number of cores. Set before numpy is first imported; a user's
# own setting wins.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
