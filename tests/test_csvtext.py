"""The fast CSV writer gives the bytes of ``DataFrame.to_csv`` (the format ``verify``, the
snapshots and every saved results folder rely on), and vectorised rounding gives the
values of ``float(f"{x:.10g}")``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chainopt.csvtext import csv_text, round_significant, write_csv
from chainopt.results import stable_floats


def _pandas(df: pd.DataFrame, float_format: str = "%.10g") -> str:
    return df.to_csv(index=False, float_format=float_format, lineterminator="\n")


def _awkward() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["plain", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "", None, "ünïcode",
                 " spaced ", "x"],
        "key": pd.array(["site=s1, period=p1", "q", None, "t", '"', ",", "", "e", "f", "g"],
                        dtype="string"),
        "value": [1.5, np.nan, -0.0, 0.0, 1e-320, 1.7976931348623157e308, np.inf, -np.inf,
                  123456789012.0, 0.1 + 0.2],
        "small": [1e-5, 1.23456789012e-7, -4.5e-11, 5e-324, 99999.999995, 1e16, 2.0, 1e10,
                  -1e-4, 0.30000000000000004],
        "f32": np.array([0.1, 1 / 3, np.nan, -0.0, 2.5, 1e30, 7, 8, 9, 10], dtype=np.float32),
        "count": np.arange(-5, 5, dtype=np.int64),
        "big": np.array([2**63 - 1, 0, 1, 2, 3, 4, 5, 6, 7, 8], dtype=np.uint64),
        "flag": [True, False] * 5,
    })


def test_the_writer_is_byte_identical_to_pandas_on_awkward_values():
    df = _awkward()
    for ff in ("%.10g", "%.17g"):
        assert csv_text(df, ff, fast=True) == _pandas(df, ff)
    assert csv_text(stable_floats(df), fast=True) == _pandas(stable_floats(df))
    # the same with a column of text in pandas' default string dtype and object dtype
    both = df.assign(name_obj=df["name"].astype(object), key_str=df["key"].astype("str"))
    assert csv_text(both, fast=True) == _pandas(both)


def test_the_writer_is_byte_identical_on_many_random_values():
    rng = np.random.default_rng(7)
    n = 5000
    df = pd.DataFrame({
        "site": rng.choice(["a", "b,c", 'd"e', "", "f\ng"], size=n),
        "x": rng.normal(size=n) * 10.0 ** rng.integers(-15, 15, size=n),
        "y": np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 1000, size=n) / 8),
        "z": np.where(rng.random(n) < 0.5, 0.0, -0.0),
    })
    assert csv_text(df, fast=True) == _pandas(df)
    assert csv_text(stable_floats(df), fast=True) == _pandas(stable_floats(df))


def test_a_small_table_by_hand(tmp_path):
    """Hand check: ints and bools as Python prints them, floats with 10 significant
    digits (1/3 -> 0.3333333333, 1e16 in exponent form), NaN and missing text empty,
    a comma or a quote quoted (quote doubled), -0 kept (rounding is stable_floats's job)."""
    df = pd.DataFrame({"name": ["a,b", 'q"', None], "v": [1 / 3, 1e16, np.nan],
                       "n": [1, -2, 3], "ok": [True, False, True], "z": [-0.0, 0.0, 2.5]})
    expected = ('name,v,n,ok,z\n"a,b",0.3333333333,1,True,-0\n"q""",1e+16,-2,False,0\n'
                ',,3,True,2.5\n')
    assert csv_text(df, fast=True) == expected == _pandas(df)
    write_csv(df, tmp_path / "t.csv", fast=True)
    df.to_csv(tmp_path / "p.csv", index=False, float_format="%.10g", lineterminator="\n")
    assert (tmp_path / "t.csv").read_bytes() == (tmp_path / "p.csv").read_bytes()


@pytest.mark.parametrize("df", [
    pd.DataFrame({"only": ["", "x", None]}),                       # one column: pandas
    pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=str)}),
    pd.DataFrame({"a": [1.0, 2.0], "when": pd.to_datetime(["2026-01-01", "2027-01-01"])}),
    pd.DataFrame({"a": [1.0, 2.0], "mixed": ["x", 1.5]}),
    pd.DataFrame({"a": [1.0, 2.0], "cat": pd.Categorical(["x", "y"])}),
    pd.DataFrame({"a": [1.0, np.nan], "n": pd.array([1, None], dtype="Int64")}),
    pd.DataFrame({"a": [1.0, 2.0], "all_missing": [None, np.nan]}),
])
def test_unusual_tables_give_the_pandas_bytes(df):
    assert csv_text(df, fast=True) == _pandas(df)


def test_rows_are_joined_on_sliced_and_chunked_text():
    """The rows are joined in Arrow: a text column that pandas holds as a slice of a
    larger Arrow array, or in several chunks, gives the same bytes."""
    df = pd.concat([_awkward()] * 3, ignore_index=True).iloc[7:23]
    assert csv_text(df, fast=True) == _pandas(df)
    chunked = pd.concat([_awkward().iloc[:4], _awkward().iloc[4:]])  # two Arrow chunks
    chunked["key"] = chunked["key"].astype("str")
    assert csv_text(chunked, fast=True) == _pandas(chunked)


def test_vectorised_rounding_gives_the_values_of_python_formatting():
    rng = np.random.default_rng(3)
    ties = [0.12345678905, 1.0000000005, 12345678905.0, 999999999.95, 9999999999.5,
            2.5e-7, 1e22, 1e23, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, 123.0, -0.0,
            np.nan, np.inf, -np.inf]
    vals = np.concatenate([
        rng.normal(size=20000) * 10.0 ** rng.integers(-30, 30, size=20000),
        [round(x, int(d)) for x, d in zip(rng.normal(size=20000) * 1000,
                                          rng.integers(0, 12, size=20000), strict=True)],
        ties, -np.array(ties)])
    expected = np.array([float(f"{x:.10g}") for x in vals])
    got = round_significant(vals)
    assert np.array_equal(got, expected, equal_nan=True)
    num = ~np.isnan(expected)
    assert np.array_equal(np.signbit(got[num]), np.signbit(expected[num]))


def test_a_long_array_is_rounded_by_blocks_each_value_as_alone():
    """Two blocks and five values more (:data:`ROUND_BLOCK`): 1/3 rounds to 0.3333333333
    everywhere but at the blocks' edges, where 2/3 (the last of the first block) gives
    0.6666666667, 123456.789012345 (the first of the second) 123456.789, -0.5 (the first
    of the last) stays -0.5 and a missing value (the very last) stays missing."""
    from chainopt.csvtext import ROUND_BLOCK

    n = 2 * ROUND_BLOCK + 5
    a = np.full(n, 1 / 3)
    a[[ROUND_BLOCK - 1, ROUND_BLOCK, 2 * ROUND_BLOCK, n - 1]] = [2 / 3, 123456.789012345,
                                                                -0.5, np.nan]
    got = round_significant(a)
    want = np.full(n, 0.3333333333)
    want[[ROUND_BLOCK - 1, ROUND_BLOCK, 2 * ROUND_BLOCK, n - 1]] = [0.6666666667, 123456.789,
                                                                   -0.5, np.nan]
    assert got.shape == (n,) and np.array_equal(got, want, equal_nan=True)
    assert a[0] == 1 / 3  # the caller's array unchanged


def test_rounding_refuses_more_digits_than_a_double_holds_exactly():
    """With 16 digits the scaled integer can pass 2**53, where doubles are 2 apart:
    -921.7253762584195 would come out as -921.7253762584194 (found without this check).
    Refused; 1 and 15 digits still give Python's values."""
    with pytest.raises(ValueError, match="1 to 15"):
        round_significant(np.array([0.1 + 0.2]), digits=16)
    with pytest.raises(ValueError, match="1 to 15"):
        round_significant(np.array([1.0]), digits=0)
    vals = np.array([0.1 + 0.2, 123456.789, 9.5, 2.5e-7])
    for d in (1, 15):
        assert round_significant(vals, d).tolist() == [float(f"{x:.{d}g}") for x in vals]


def test_stable_floats_rounds_noise_and_negative_zero():
    df = pd.DataFrame({"a": [4e-11, -4e-11, -0.0, 1.23456789049, np.nan], "b": list("vwxyz")})
    out = stable_floats(df)
    assert out["a"].tolist()[:4] == [0.0, 0.0, 0.0, 1.23456789]
    assert not np.signbit(out["a"].to_numpy()[:3]).any() and np.isnan(out["a"].iloc[4])


def test_stable_floats_rounds_each_float_column_of_a_table_in_its_own_place():
    """A table's float columns are rounded in one call and each comes back in its own
    column, by hand: 1/3 -> 0.3333333333, 2/3 -> 0.6666666667, 1e-11 and -0 -> 0,
    123456.789012345 -> 123456.789; the text and integer columns between them as they
    were, in their order and types."""
    df = pd.DataFrame({"x": [1 / 3, 1e-11, 123456.789012345], "k": ["a", "b", "c"],
                       "n": [1, 2, 3], "y": [2 / 3, -0.0, np.nan]})
    out = stable_floats(df)
    assert list(out.columns) == ["x", "k", "n", "y"]
    assert out["x"].tolist() == [0.3333333333, 0.0, 123456.789]
    assert out["y"].tolist()[:2] == [0.6666666667, 0.0] and np.isnan(out["y"].iloc[2])
    assert not np.signbit(out["y"].to_numpy()[:2]).any()
    assert out["k"].tolist() == ["a", "b", "c"] and out["n"].tolist() == [1, 2, 3]
    assert out.dtypes.tolist() == df.dtypes.tolist()
    assert df["x"].iloc[0] == 1 / 3  # (the caller's frame is not changed)


def test_ten_digit_values_written_by_arrow_read_as_python_writes_them():
    """Values already of 10 significant digits with 1e-4 <= |x| < 1e10 (and 0, -0) are
    written by Arrow's shortest text, the rest by Python's %: at and around both ends
    (0.0001 and 0.00009999999999, 9999999999 and 1e10), whole numbers, halves, and
    random values of every magnitude, rounded, give pandas' bytes."""
    rng = np.random.default_rng(3)
    edges = [1e-4, -1e-4, 9.999999999e-5, 0.0001000000001, 9999999999.0, -9999999999.0,
             1e10, 1.000000001e10, 0.0, -0.0, 1.0, 0.5, 123456.789, 2.5e-4, 7e9]
    x = np.concatenate([edges, rng.normal(size=3000) * 10.0 ** rng.uniform(-8, 14, 3000),
                        rng.integers(-10**9, 10**9, size=500).astype(float)])
    df = stable_floats(pd.DataFrame({"a": ["k"] * len(x), "x": x}))
    assert csv_text(df, fast=True) == _pandas(df)


def test_text_without_a_comma_quote_or_line_break_is_taken_as_it_is():
    """A text column none of whose bytes is a comma, a double quote or a line break needs
    no quoting: one scan of its bytes says so (the common case: names); any such byte,
    also one outside the rows of a slice, takes the field-by-field way. Either way the
    bytes are pandas'."""
    import pyarrow as pa

    from chainopt.csvtext import _may_quote

    assert not _may_quote(pa.array(["s00001_u02", "make_int_003_m0", "p2026", ""]))
    for special in ("a,b", 'say "hi"', "two\nlines", "cr\rhere"):
        assert _may_quote(pa.array(["plain", special]))
    assert _may_quote(pa.array(["a,b", "plain"]).slice(1))  # (a false alarm: still right)
    df = pd.DataFrame({"name": ["s1", "s2", "", None], "v": [1.0, 2.5, np.nan, 3.0]})
    assert csv_text(df, fast=True) == _pandas(df) == "name,v\ns1,1\ns2,2.5\n,\n,3\n"
    sliced = pd.DataFrame({"name": pd.array(["a,b", "x", "y"], dtype="str"),
                           "v": [1.0, 2.0, 3.0]}).iloc[1:]
    assert csv_text(sliced, fast=True) == _pandas(sliced) == "name,v\nx,2\ny,3\n"


def test_a_table_written_a_block_of_rows_at_a_time_has_the_bytes_of_the_whole(
        tmp_path, monkeypatch):
    """``write_csv`` makes and writes a large table's text a block of rows at a time (its
    memory is one block's): blocks of 7 rows give pandas' bytes, with quoted fields,
    missing values and -0 falling on either side of a block's end, an object column whose
    last block holds only missing text, and a table with a column csv_text does not
    print (then ``to_csv`` writes it whole)."""
    import hashlib

    from chainopt import csvtext

    monkeypatch.setattr(csvtext, "CHUNK_ROWS", 7)
    df = pd.concat([_awkward()] * 3, ignore_index=True)
    df["obj"] = pd.Series(["a", "b,c", None] * 8 + [None] * 6, dtype=object)
    mixed = df.assign(mixed=[1.5, "x"] * 15)
    for table in (df, stable_floats(df), mixed, df.iloc[:0]):
        digest = write_csv(table, tmp_path / "t.csv", fast=True)
        data = (tmp_path / "t.csv").read_bytes()
        assert data == _pandas(table).encode("utf-8")
        assert digest == hashlib.sha256(data).hexdigest()
