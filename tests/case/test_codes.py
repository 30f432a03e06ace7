"""Names to integer codes (chainopt.case.codes), checked against hand-written answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from chainopt.case.codes import (
    inner_join,
    lookup,
    per_distinct,
    positions,
    ranks,
    row_positions,
    text,
)


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


def test_inner_join_pairs_rows_in_merge_order():
    """left  = [m2, m1, zz, m2]; right = [m1, m2, m1, m3, m2]
    m2 (left 0) -> right 1, 4; m1 (left 1) -> right 0, 2; zz -> none; m2 (left 3) -> 1, 4."""
    left = pd.Series(["m2", "m1", "zz", "m2"], dtype="str")
    right = pd.Series(["m1", "m2", "m1", "m3", "m2"], dtype="str")
    i, j = inner_join(left, right)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [
        (0, 1), (0, 4), (1, 0), (1, 2), (3, 1), (3, 4)]
    merged = pd.DataFrame({"k": left, "a": range(4)}).merge(
        pd.DataFrame({"k": right, "b": range(5)}), on="k")
    assert merged["a"].tolist() == i.tolist() and merged["b"].tolist() == j.tolist()


def test_inner_join_with_nothing_in_common_or_empty_sides():
    for left, right in ((["a"], ["b"]), ([], ["b"]), (["a"], []), ([], [])):
        i, j = inner_join(pd.Series(left, dtype="str"), pd.Series(right, dtype="str"))
        assert i.tolist() == [] and j.tolist() == []


def test_ranks_order_rows_like_their_names():
    """b, a, c, a -> ranks 1, 0, 2, 0 (a < b < c)."""
    assert ranks(pd.Series(["b", "a", "c", "a"], dtype="str")).tolist() == [1, 0, 2, 0]
    # a missing value after all names, where sort_values puts it
    assert ranks(pd.Series(["b", None, "a"], dtype="str")).tolist() == [1, 2, 0]


def test_per_distinct_calls_once_per_combination():
    calls = []

    def f(a, b):
        calls.append((a, b))
        return len(a) * 10 + len(b)

    got = per_distinct(f, pd.Series(["x", "yy", "x", "x"]), pd.Series(["p", "q", "p", "qq"]))
    assert got.tolist() == [11.0, 21.0, 11.0, 12.0]
    assert sorted(calls) == [("x", "p"), ("x", "qq"), ("yy", "q")]
    assert per_distinct(f, pd.Series([], dtype=object), pd.Series([], dtype=object)).size == 0


def test_text_takes_each_row_s_name_from_the_few_names():
    got = text(("lower", "upper", "equal"), np.array([2, 0, 0, 1]))
    assert list(got) == ["equal", "lower", "lower", "upper"]
    assert str(got.dtype) == "str"  # the string dtype a column of names has
    assert list(text(("out", "in"), np.array([True, False]))) == ["in", "out"]


def test_row_positions_finds_each_key_row_by_hand():
    """rows (site, commodity): 0 (a, x), 1 (a, y), 2 (b, x). Keys: (b, x) is row 2,
    (a, y) row 1, (b, y) is no row though both names are known, (c, x) has an unknown
    site, (a, x) row 0."""
    rows = pd.DataFrame({"site": ["a", "a", "b"], "commodity": ["x", "y", "x"]}, dtype="str")
    keys = [pd.Series(["b", "a", "b", "c", "a"], dtype="str"),
            pd.Series(["x", "y", "y", "x", "x"], dtype="str")]
    assert row_positions(rows, keys).tolist() == [2, 1, -1, -1, 0]
    assert row_positions(rows, [pd.Series([], dtype="str")] * 2).tolist() == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from(["x", "y", "z"]),
                          st.integers(0, 2)), unique=True, max_size=20),
       st.lists(st.tuples(st.sampled_from("abcde"), st.sampled_from(["x", "y", "w"]),
                          st.integers(0, 3)), max_size=20))
def test_row_positions_agree_with_a_multiindex(rows, keys):
    """The same positions as pandas' MultiIndex lookup, on random distinct rows."""
    frame = pd.DataFrame(rows, columns=["s", "c", "t"]).astype({"s": "str", "c": "str"})
    want = pd.DataFrame(keys, columns=["s", "c", "t"]).astype({"s": "str", "c": "str"})
    expected = pd.MultiIndex.from_frame(frame).get_indexer(pd.MultiIndex.from_frame(want))
    got = row_positions(frame, [want[c] for c in frame.columns])
    assert got.tolist() == expected.tolist()
