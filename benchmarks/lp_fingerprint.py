"""The fingerprint of a built LP: a hash of its matrix, bounds and costs, and one of its
row and column keys. Two builds of the same case that print the same two hashes are the
same LP (same rows and columns in the same order, same coefficients).

Use it to check that a speed change leaves the model alone: run it on a generated case
before and after the change (e.g. with `git stash`) and compare.

Usage: python benchmarks/lp_fingerprint.py CASE [CASE ...]
"""

from __future__ import annotations

import hashlib
import sys

import numpy as np

from chainopt import api


def fingerprint(source: str) -> tuple[str, str]:
    """(hash of matrix, bounds and costs; hash of the row and column keys)."""
    built = api.build_model(api.load_case(source))
    a = built.arrays
    m = a.matrix  # rows compressed, columns ascending within each row
    numbers = hashlib.sha1()
    for x in (m.indptr, m.indices, m.data, a.cost, a.col_lb, a.col_ub, a.row_lb, a.row_ub):
        numbers.update(np.ascontiguousarray(x).tobytes())
    keys = hashlib.sha1()
    for fam in (*built.lp.row_families, *built.lp.var_families):
        keys.update(fam.label.encode())
        keys.update(fam.keys.to_csv(index=False).encode())
    return numbers.hexdigest(), keys.hexdigest()


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for source in sys.argv[1:]:
        numbers, keys = fingerprint(source)
        print(f"{source}: matrix/bounds/costs {numbers}  keys {keys}")


if __name__ == "__main__":
    main()
