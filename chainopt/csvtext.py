"""CSV text of a table, byte for byte what ``DataFrame.to_csv`` writes, only faster.

``to_csv(index=False, float_format=..., lineterminator="\\n")`` formats every float
through a Python call per value with a per-value missing check, then feeds the rows
to :mod:`csv` — several seconds for the results of a large case. :func:`csv_text`
makes the same bytes column by column: each distinct float (by bit pattern, so
``-0.0`` and ``0.0`` stay apart) is formatted once with the same ``%`` format, missing
values are empty, integers and booleans are printed as :mod:`csv` prints them, and
text is quoted exactly as the :mod:`csv` module quotes it (QUOTE_MINIMAL: a field
holding a comma, a double quote or a line break is enclosed in double quotes, quotes
doubled). The fields are Arrow strings and Arrow's ``binary_join_element_wise`` joins
them into rows: no Python string is made per row. Tables it does not know how to
print identically (fewer than two columns, non-text labels, a column of dates,
categories, nullable integers or mixed objects) go through ``to_csv`` itself, so the
output is always the same as pandas'.

:func:`round_significant` rounds to 10 significant digits with numpy, giving exactly
the values of ``float(f"{x:.10g}")``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

SMALL = 20_000  # cells: below this to_csv itself is quicker (no per-column set-up)
_POW10 = np.array([float(f"1e{i}") for i in range(23)])  # exact powers of ten
_HARD_PATTERN = r'["\r\n]'  # fields the csv module quotes and escapes (a comma: quoted)
_TEXT = pa.large_string()  # 64-bit offsets: a table's text may pass 2 GiB
_COMMA, _EMPTY, _NEWLINE, _QUOTE = (pa.scalar(t, type=_TEXT) for t in (",", "", "\n", '"'))


def _line(fields: list[str]) -> str:
    """One CSV line as the :mod:`csv` module (and so pandas) writes it."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    return buf.getvalue()


def _quoted(v: str) -> str:
    """A field holding a quote or a line break, quoted by the csv module itself (a second
    field keeps it from writing a lone empty field as "")."""
    return _line([v, ""])[:-2]


def _floats(a: np.ndarray, float_format: str) -> pa.Array:
    """``float_format % x`` for each value, '' for NaN; each distinct bit pattern once.

    With ``%.10g``, a value already of 10 significant digits (``round_significant``'s, as
    every table chainopt writes holds) with 1e-4 <= |x| < 1e10, or 0, is written by
    Arrow: its shortest text that reads back as the value is then the same digits in the
    same fixed notation (2.1 million random such values compared: no difference); the
    others through Python's ``%``."""
    a = np.ascontiguousarray(a, dtype=np.float64)  # float32 -> float64 is exact
    codes, uniq = pd.factorize(a.view(np.int64), sort=False)
    vals = uniq.view(np.float64)
    if float_format == "%.10g" and len(vals):
        mag = np.abs(vals)
        with np.errstate(invalid="ignore"):
            easy = (((mag >= 1e-4) & (mag < 1e10)) | (vals == 0)) \
                & (round_significant(vals) == vals)
        text = pc.cast(pa.array(vals), _TEXT)
        hard = ~easy
        if hard.any():
            text = pc.replace_with_mask(text, pa.array(hard), pa.array(
                [float_format % x if x == x else "" for x in vals[hard].tolist()],
                type=_TEXT))
    else:
        text = pa.array([float_format % x if x == x else "" for x in vals.tolist()],
                        type=_TEXT)
    return text.take(pa.array(codes))


def _may_quote(text: pa.Array) -> bool:
    """Whether any byte of the text's data holds a comma, a double quote or a line break
    (the fields the csv module quotes): one scan of the bytes, where the field-by-field
    search costs about 10 ms per 170k fields; the data around a slice is scanned too (a
    false alarm only takes the field-by-field way)."""
    data = text.buffers()[2]
    if data is None:
        return False
    raw = data.to_pybytes()
    return any(c in raw for c in (b",", b'"', b"\r", b"\n"))


def _text(s: pd.Series) -> pa.Array | None:
    """Text as csv writes it: missing values empty, quoted where needed; None if the
    column holds anything but text."""
    if not isinstance(s.dtype, pd.StringDtype) and (
            s.dtype != object
            or pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty")):
        return None
    arr = pa.array(s.to_numpy(dtype=object) if s.dtype == object else s.array,
                   from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):  # pandas' Arrow strings may be in chunks
        arr = arr.combine_chunks()
    raw = pc.fill_null(arr.cast(_TEXT), "")
    if not _may_quote(raw):
        return raw
    hard = pc.match_substring_regex(raw, _HARD_PATTERN)
    comma = pc.and_not(pc.match_substring(raw, ","), hard)
    out = raw
    if pc.any(comma).as_py():  # a comma only: enclosed in double quotes
        out = pc.if_else(comma, pc.binary_join_element_wise(_QUOTE, raw, _QUOTE, _EMPTY), out)
    if pc.any(hard).as_py():  # a quote or a line break: quoted by the csv module itself
        quoted = [_quoted(v) for v in pc.filter(raw, hard).to_pylist()]
        out = pc.replace_with_mask(out, hard, pa.array(quoted, type=_TEXT))
    return out


def _column(s: pd.Series, float_format: str) -> pa.Array | None:
    dt = s.dtype
    if isinstance(dt, np.dtype):
        if dt.kind == "f":
            return _floats(s.to_numpy(), float_format)
        if dt.kind in "iu":
            return pa.array(s.to_numpy()).cast(_TEXT)
        if dt.kind == "b":
            return pa.array(np.where(s.to_numpy(), "True", "False"), type=_TEXT)
    return _text(s)


def _columns(df: pd.DataFrame, float_format: str) -> list[pa.Array] | None:
    if df.shape[1] < 2 or isinstance(df.columns, pd.MultiIndex) or \
            not all(isinstance(c, str) for c in df.columns) or not df.columns.is_unique:
        return None
    cols = []
    for i in range(df.shape[1]):
        col = _column(df.iloc[:, i], float_format)
        if col is None:
            return None
        cols.append(col)
    return cols


def csv_text(df: pd.DataFrame, float_format: str = "%.10g", fast: bool | None = None) -> str:
    """The text of ``df.to_csv(index=False, float_format=float_format, lineterminator="\\n")``.

    ``fast``: True always builds it column by column, False always calls ``to_csv``;
    None (default) the quicker of the two for the table's size (the bytes are the same)."""
    cols = _columns(df, float_format) if _fast(df, fast) else None
    if cols is None:
        return df.to_csv(index=False, float_format=float_format, lineterminator="\n")
    header = _line(list(df.columns))
    return header + str(_text_of(_rows(cols)), "utf-8") if len(df) else header


#: rows a large table is written by: its text is made and written a block of rows at a
#: time, so that writing it holds the text of one block, not of the whole table (a 1M
#: variable run writes tables of 600k rows, 40 MB of text, two at a time)
CHUNK_ROWS = 100_000


def write_csv(df: pd.DataFrame, path: str | Path, float_format: str = "%.10g",
              fast: bool | None = None) -> str:
    """Write ``df`` to ``path`` (UTF-8) with exactly the bytes of ``df.to_csv(path,
    index=False, float_format=float_format, lineterminator="\\n")``; return the SHA-256
    (hex) of those bytes, hashed as they are written (the file is not read back). A table
    whose every column :func:`csv_text` prints is written :data:`CHUNK_ROWS` rows at a
    time (each block's text is that of its rows in the whole table's)."""
    digest = hashlib.sha256()
    with open(path, "wb") as fh:
        if not (_fast(df, fast) and _printable(df)):
            df.to_csv(_HashingWriter(fh, digest), index=False, float_format=float_format,
                      lineterminator="\n")
            return digest.hexdigest()
        header = _line(list(df.columns)).encode("utf-8")
        digest.update(header)
        fh.write(header)
        for start in range(0, len(df), CHUNK_ROWS):
            cols = _columns(df.iloc[start:start + CHUNK_ROWS], float_format)
            if cols is None:  # (_printable said otherwise: a slip, not a table's)
                raise RuntimeError("a printable table's rows could not be printed")
            data = _text_of(_rows(cols))
            digest.update(data)
            fh.write(data)
    return digest.hexdigest()


def _printable(df: pd.DataFrame) -> bool:
    """Whether :func:`_columns` prints every column of ``df`` (numbers, booleans, text),
    whatever rows of it are taken: said once for the whole table."""
    if df.shape[1] < 2 or isinstance(df.columns, pd.MultiIndex) or \
            not all(isinstance(c, str) for c in df.columns) or not df.columns.is_unique:
        return False
    for i in range(df.shape[1]):
        s = df.iloc[:, i]
        if isinstance(s.dtype, np.dtype) and s.dtype.kind in "fiub":
            continue
        if isinstance(s.dtype, pd.StringDtype):
            continue
        if s.dtype != object or pd.api.types.infer_dtype(s, skipna=True) not in (
                "string", "empty"):
            return False
    return True


class _HashingWriter:
    """A text sink for ``to_csv``: each piece is encoded as UTF-8, hashed and written."""

    def __init__(self, fh: BinaryIO, digest: hashlib._Hash) -> None:
        self.fh, self.digest = fh, digest

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        self.digest.update(data)
        self.fh.write(data)
        return len(text)


def _fast(df: pd.DataFrame, fast: bool | None) -> bool:
    return df.size >= SMALL if fast is None else fast


def _rows(cols: list[pa.Array]) -> pa.Array:
    """Each row's fields joined by commas and ended by a line break, in Arrow (no Python
    string per row). Empties ``cols``: the fields are in the rows then, and freeing them
    early keeps a large table's memory to about twice its text."""
    cols[-1] = pc.binary_join_element_wise(cols[-1], _EMPTY, _NEWLINE)
    rows = pc.binary_join_element_wise(*cols, _COMMA)
    cols.clear()
    return rows


def _text_of(rows: pa.Array) -> memoryview:
    """The text of all rows: the data buffer of the joined array, not copied."""
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
    start, stop = offsets[rows.offset], offsets[rows.offset + len(rows)]
    return memoryview(rows.buffers()[2])[start:stop]


#: values :func:`round_significant` rounds at a time: a block's dozen temporaries (512 KB
#: each) stay in the processor's cache and in memory the process already holds. Rounded
#: in one pass, the 2.5 million values of a 300k-variable run's ranging table made
#: temporaries of 20 MB each, memory new to the process each time, whose pages the
#: system had to hand over and clear (the first rounding of that table 302 ms, by blocks
#: 80 ms; benchmarks/HISTORY.md, forty-fifth session)
ROUND_BLOCK = 65_536


def round_significant(a: np.ndarray, digits: int = 10) -> np.ndarray:
    """``float(f"{x:.{digits}g}")`` for every value, with numpy.

    ``x * 10**k`` (``k`` chosen so that it has ``digits`` digits before the point) is
    rounded to an integer ``n`` and ``n / 10**k`` is the answer: with exact powers of
    ten (|k| <= 22) each step is one correctly rounded operation, so the result is the
    double nearest to the decimal, as Python's ``float`` gives. Values whose scaled
    fraction lies within 1e-4 of one half (where the first product's rounding could
    matter), and values out of that range, go through Python's formatting. ``digits``
    is 1 to 15: the integer ``n`` must be exact in a double (below 2**53). A long array
    is rounded :data:`ROUND_BLOCK` values at a time (the same values).
    """
    if not 1 <= digits <= 15:
        raise ValueError(f"round_significant: digits must be 1 to 15 (found {digits})")
    a = np.asarray(a, dtype=np.float64)
    if len(a) <= ROUND_BLOCK:
        return _rounded(a, digits)
    out = np.empty_like(a)
    for start in range(0, len(a), ROUND_BLOCK):
        out[start:start + ROUND_BLOCK] = _rounded(a[start:start + ROUND_BLOCK], digits)
    return out


def _rounded(a: np.ndarray, digits: int) -> np.ndarray:
    """:func:`round_significant` of one block ``a`` (a float64 array)."""
    out = a.copy()
    fin = np.isfinite(a) & (a != 0)
    idx = np.flatnonzero(fin)
    if not len(idx):
        return out
    x = np.abs(a[idx])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        e = np.floor(np.log10(x)).astype(np.int64)
        k = digits - 1 - e
        scaled = _scale(x, k)
        lo, hi = 10.0 ** (digits - 1), 10.0 ** digits
        k = np.where(scaled >= hi, k - 1, np.where(scaled < lo, k + 1, k))
        scaled = _scale(x, k)
        n = np.rint(scaled)
        frac = scaled - np.floor(scaled)
        res = np.where(k >= 0, n / _POW10[np.clip(k, 0, 22)], n * _POW10[np.clip(-k, 0, 22)])
    bad = (np.abs(k) > 22) | (np.abs(frac - 0.5) < 1e-4) | (scaled < lo) | (scaled >= hi) | \
        ~np.isfinite(res)
    res = np.copysign(res, a[idx])
    for j in np.flatnonzero(bad):
        res[j] = float(f"{a[idx[j]]:.{digits}g}")
    out[idx] = res
    return out


def _scale(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``x * 10**k`` with one rounding (nan where |k| > 22)."""
    kk = np.clip(np.abs(k), 0, 22)
    r = np.where(k >= 0, x * _POW10[kk], x / _POW10[kk])
    return np.where(np.abs(k) > 22, np.nan, r)
