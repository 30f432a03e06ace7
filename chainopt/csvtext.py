"""CSV text of a table, byte for byte what ``DataFrame.to_csv`` writes, only faster.

``to_csv(index=False, float_format=..., lineterminator="\\n")`` formats every float
through a Python call per value with a per-value missing check, then feeds the rows
to :mod:`csv` — several seconds for the results of a large case. :func:`csv_text`
makes the same bytes column by column: each distinct float (by bit pattern, so
``-0.0`` and ``0.0`` stay apart) is formatted once with the same ``%`` format, missing
values are empty, integers and booleans are printed as :mod:`csv` prints them, and
text is quoted exactly as the :mod:`csv` module quotes it (QUOTE_MINIMAL: a field
holding a comma, a double quote or a line break is enclosed in double quotes, quotes
doubled). Tables it does not know how to print identically (fewer than two columns,
non-text labels, a column of dates, categories, nullable integers or mixed objects)
go through ``to_csv`` itself, so the output is always the same as pandas'.

:func:`round_significant` rounds to 10 significant digits with numpy, giving exactly
the values of ``float(f"{x:.10g}")``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

CHUNK_ROWS = 100_000
SMALL = 20_000  # cells: below this to_csv itself is quicker (no per-column set-up)
_POW10 = np.array([float(f"1e{i}") for i in range(23)])  # exact powers of ten
_QUOTE_PATTERN = r'[,"\r\n]'


def _line(fields: list[str]) -> str:
    """One CSV line as the :mod:`csv` module (and so pandas) writes it."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    return buf.getvalue()


def _quoted(v: str) -> str:
    """A field holding a quote or a line break, quoted by the csv module itself (a second
    field keeps it from writing a lone empty field as "")."""
    return _line([v, ""])[:-2]


def _floats(a: np.ndarray, float_format: str) -> np.ndarray:
    """``float_format % x`` for each value, '' for NaN; each distinct bit pattern once."""
    a = np.ascontiguousarray(a, dtype=np.float64)  # float32 -> float64 is exact
    codes, uniq = pd.factorize(a.view(np.int64), sort=False)
    vals = uniq.view(np.float64).tolist()
    return np.array([float_format % x if x == x else "" for x in vals], dtype=object)[codes]


def _text(s: pd.Series) -> np.ndarray | None:
    """Text as csv writes it: missing values empty, quoted where needed; None if the
    column holds anything but text."""
    if not isinstance(s.dtype, pd.StringDtype) and (
            s.dtype != object
            or pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty")):
        return None
    na = s.isna().to_numpy(dtype=bool)
    vals = s.to_numpy(dtype=object, copy=True)
    if na.any():
        vals[na] = ""
    if len(s) and not na.all():
        need = s.str.contains(_QUOTE_PATTERN, regex=True, na=False).to_numpy(dtype=bool)
        if need.any():
            idx = np.flatnonzero(need)
            sub = s.iloc[idx]
            quoted = ('"' + sub + '"').to_numpy(dtype=object, copy=True)  # a comma: enclose
            hard = sub.str.contains(r'["\r\n]', regex=True, na=False).to_numpy(dtype=bool)
            if hard.any():
                quoted[hard] = [_quoted(v) for v in vals[idx[hard]]]
            vals[idx] = quoted
    return vals


def _column(s: pd.Series, float_format: str) -> np.ndarray | None:
    dt = s.dtype
    if isinstance(dt, np.dtype):
        if dt.kind == "f":
            return _floats(s.to_numpy(), float_format)
        if dt.kind in "iu":
            return s.to_numpy().astype(str).astype(object)
        if dt.kind == "b":
            return np.where(s.to_numpy(), "True", "False").astype(object)
    return _text(s)


def _columns(df: pd.DataFrame, float_format: str) -> list[np.ndarray] | None:
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
    buf = io.StringIO()
    _write_rows(df, cols, buf)
    return buf.getvalue()


def write_csv(df: pd.DataFrame, path: str | Path, float_format: str = "%.10g",
              fast: bool | None = None) -> None:
    """Write ``df`` to ``path`` (UTF-8) with exactly the bytes of ``df.to_csv(path,
    index=False, float_format=float_format, lineterminator="\\n")``."""
    cols = _columns(df, float_format) if _fast(df, fast) else None
    if cols is None:
        df.to_csv(path, index=False, float_format=float_format, lineterminator="\n")
        return
    with open(path, "w", encoding="utf-8", newline="") as fh:
        _write_rows(df, cols, fh)


def _fast(df: pd.DataFrame, fast: bool | None) -> bool:
    return df.size >= SMALL if fast is None else fast


def _write_rows(df: pd.DataFrame, cols: list[np.ndarray], fh) -> None:
    fh.write(_line(list(df.columns)))
    for start in range(0, len(df), CHUNK_ROWS):
        part = [c[start:start + CHUNK_ROWS] for c in cols]
        fh.write("\n".join(map(",".join, zip(*part, strict=True))))
        fh.write("\n")


def round_significant(a: np.ndarray, digits: int = 10) -> np.ndarray:
    """``float(f"{x:.{digits}g}")`` for every value, with numpy.

    ``x * 10**k`` (``k`` chosen so that it has ``digits`` digits before the point) is
    rounded to an integer ``n`` and ``n / 10**k`` is the answer: with exact powers of
    ten (|k| <= 22) each step is one correctly rounded operation, so the result is the
    double nearest to the decimal, as Python's ``float`` gives. Values whose scaled
    fraction lies within 1e-4 of one half (where the first product's rounding could
    matter), and values out of that range, go through Python's formatting.
    """
    a = np.asarray(a, dtype=np.float64)
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
