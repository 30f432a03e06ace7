"""Family.ids: the id of the element with each key tuple, looked up on integer codes."""

from __future__ import annotations

import pandas as pd

from chainopt.models.lp import Family


def test_ids_of_key_tuples_by_hand():
    """Elements (u1,p1) (u1,p2) (u2,p1) have ids 10, 11, 12; a tuple the family lacks,
    or one with a name it never uses, gets -1."""
    fam = Family("conversion", "capacity_max",
                 pd.DataFrame({"unit": ["u1", "u1", "u2"], "period": ["p1", "p2", "p1"]},
                              dtype="str"), 10, 13)
    want = pd.DataFrame({"asset": ["u2", "u1", "u2", "u3", "u1"],
                         "when": ["p1", "p2", "p2", "p1", "p9"]}, dtype="str")
    assert fam.ids(want, ["asset", "when"]).tolist() == [12, 11, -1, -1, -1]


def test_ids_when_the_combined_codes_would_overflow():
    """Four key columns of 2^16 distinct names each: (2^16 + 1)^4 > 2^62 combinations,
    so the lookup takes the MultiIndex path; element i keeps id start + i."""
    n = 2 ** 16
    keys = pd.DataFrame({c: [f"{c}{i}" for i in range(n)] for c in "abcd"}, dtype="str")
    fam = Family("x", "y", keys, 5, 5 + n)
    want = keys.iloc[[7, 0, n - 1]].reset_index(drop=True)
    want.loc[3] = ["a1", "b2", "c3", "d4"]  # names it has, a tuple it has not
    assert fam.ids(want).tolist() == [12, 5, 5 + n - 1, -1]
