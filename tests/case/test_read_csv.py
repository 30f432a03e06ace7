"""A table file's cells are read stripped of surrounding whitespace, whether or not the
text has any (chainopt.case.load.read_csv strips only when a cell can need it), and a
text read before in the process is not parsed again."""

from __future__ import annotations

import io
import random
import warnings

import pandas as pd
import pytest

from chainopt.case import load
from chainopt.case.load import read_csv
from chainopt.errors import InputError
from tests.conftest import count_calls


def _stripped_by_pandas(text: str) -> pd.DataFrame:
    """The reference: every cell stripped, as read_csv always did before."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)  # refused, as read_csv does
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                         skipinitialspace=True, comment=None, index_col=False)
    df.columns = [str(c).strip() for c in df.columns]
    return df.apply(lambda s: s.str.strip()) if len(df) else df


@pytest.fixture(autouse=True)
def parsed_anew():
    """Every text parsed, not taken from an earlier test's (load.PARSED)."""
    load.PARSED.clear()
    yield
    load.PARSED.clear()


def _read(tmp_path, text: str) -> pd.DataFrame:
    path = tmp_path / "units.csv"
    path.write_bytes(text.encode("utf-8"))
    return read_csv(path)


@pytest.mark.parametrize("text,cells", [
    ("a,b\nx,y\n", ["x", "y"]),
    ("a,b\r\nx,y\r\n", ["x", "y"]),  # a CR LF line end is no padding
    ("a,b\nx ,y\n", ["x", "y"]),
    ("a,b\nx,y \n", ["x", "y"]),
    ("a,b\nx,y \r\n", ["x", "y"]),
    ("a,b\nx,y\t", ["x", "y"]),  # at the very end, no line end
    ("a,b\n\tx,y\n", ["x", "y"]),
    ('a,b\n" x",y\n', ["x", "y"]),  # inside quotes
    ('a,b\n"x ",y\n', ["x", "y"]),
    ("a,b\nx,\u00a0y\n", ["x", "y"]),  # a no-break space (pasted from a web page)
    ("a,b\nx,y\x0b\n", ["x", "y"]),
    ('a,b\n"x, y",z\n', ["x, y", "z"]),  # inner spaces stay
    ("a,b\nx y,z\n", ["x y", "z"]),
    ('a,b\n"x\n",y\n', ["x", "y"]),  # a line break ending a quoted cell (Alt+Enter)
    ('a,b\n"\nx",y\n', ["x", "y"]),
    ('a,b\r\n"x\r\n",y\r\n', ["x", "y"]),
    ('a,b\r\n"\r\nx",y\r\n', ["x", "y"]),
    ('a,b\n"\n",y\n', ["", "y"]),
])
def test_cells_are_stripped(tmp_path, text, cells):
    assert _read(tmp_path, text).iloc[0].tolist() == cells


def test_same_as_stripping_every_cell(tmp_path):
    """2,000 random small files over commas, quotes, line ends and kinds of whitespace
    read the same as the reference (or both refuse them)."""
    rng = random.Random(17)
    alphabet = ["a", "b", " ", "\t", "\u00a0", "\x0b", ",", '"', "\n", "\r\n", "\r"]
    compared = 0
    for _ in range(2000):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14)))
        text = "c1,c2,c3\n" + body
        try:
            expected = _stripped_by_pandas(text)
        except Exception:  # a file pandas cannot read: skipped
            continue
        try:
            got = _read(tmp_path, text)
        except InputError:  # refused before pandas (e.g. a long row): nothing to compare
            continue
        pd.testing.assert_frame_equal(got.astype(object), expected.astype(object))
        compared += 1
    assert compared > 700


def test_a_large_table_is_stripped_without_the_scan(tmp_path, monkeypatch):
    """Above PADDED_SCAN characters every column is stripped (no scan of the text)."""
    monkeypatch.setattr(load, "PADDED_SCAN", 0)
    monkeypatch.setattr(load, "_PADDED", None)  # not used: it would fail if it were
    assert _read(tmp_path, 'a,b\n" x",y \n').iloc[0].tolist() == ["x", "y"]
    assert _read(tmp_path, "a,b\nx,y\n").iloc[0].tolist() == ["x", "y"]


def test_a_text_read_again_is_parsed_once_and_each_caller_gets_its_own(tmp_path, monkeypatch):
    """The same text in two files is parsed once; each reader gets its own copy (an
    edit to one frame is not in the next), an edited text is parsed anew, and a text
    that fails says which file it is each time."""
    parsed = count_calls(monkeypatch, load, "_parsed")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("unit,site\n cracker ,tob\n", encoding="utf-8")
    b.write_text("unit,site\n cracker ,tob\n", encoding="utf-8")
    first = read_csv(a)
    first.loc[0, "unit"] = "changed"
    second = read_csv(b)
    assert parsed[0] == 1
    assert second.to_dict("list") == {"unit": ["cracker"], "site": ["tob"]}
    b.write_text("unit,site\ncracker,nak\n", encoding="utf-8")
    assert read_csv(b)["site"].tolist() == ["nak"] and parsed[0] == 2
    for name in ("x.csv", "y.csv"):
        bad = tmp_path / name
        bad.write_text("unit;site\ncracker;tob\n", encoding="utf-8")
        with pytest.raises(InputError) as exc:
            read_csv(bad)
        assert exc.value.problems[0].where == name
    assert parsed[0] == 4 and len(load.PARSED) == 2


def test_a_text_longer_than_the_kept_size_is_not_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "KEPT_BYTES", 10)
    path = tmp_path / "t.csv"
    path.write_text("unit,site\ncracker,tob\n", encoding="utf-8")
    assert read_csv(path)["unit"].tolist() == ["cracker"]
    assert len(load.PARSED) == 0
