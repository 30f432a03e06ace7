"""Names to integer codes (chainopt.case.codes), checked against hand-written answers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainopt.case.codes import lookup, positions


def test_positions_of_names_with_an_unknown_and_a_missing_one():
    values = pd.Series(["p2", "p1", "p2", "px", None, "p3"], dtype="str")
    assert positions(values, ["p1", "p2", "p3"]).tolist() == [1, 0, 1, -1, -1, 2]


def test_positions_of_nothing():
    assert positions(pd.Series([], dtype="str"), ["a"]).tolist() == []


def test_lookup_spreads_each_names_value_to_its_rows():
    values = pd.Series(["b", "a", "b", "zz", None], dtype="str")
    got = lookup(values, {"a": 2026, "b": 2031})
    assert got[:3].tolist() == [2031.0, 2026.0, 2031.0]
    assert np.isnan(got[3]) and np.isnan(got[4])
    assert lookup(values, {"a": 1.5}, default=0.0).tolist() == [0.0, 1.5, 0.0, 0.0, 0.0]


def test_lookup_takes_a_series_as_mapping():
    mapping = pd.Series([10.0, 20.0], index=["u1", "u2"])
    assert lookup(np.array(["u2", "u1"], dtype=object), mapping).tolist() == [20.0, 10.0]
