"""Names to integer codes: look a column of names up once per distinct name.

A model frame repeats a few thousand names (sites, commodities, periods) over millions
of rows. Mapping or matching the rows one by one costs time per row in the string
storage; here each column is factorised once (``pandas.factorize``: codes 0..k-1 for
its k distinct names), the k names are looked up, and the answer is spread back to the
rows with one integer ``take``:

    lookup(v)[i] = mapping[v[i]] = answer[codes[i]],   answer[j] = mapping[uniques[j]]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd


def positions(values: pd.Series | np.ndarray, names: Sequence[str] | np.ndarray
              ) -> np.ndarray:
    """Position of each value in ``names`` (distinct; ``-1`` where it is not one of
    them)."""
    codes, uniques = pd.factorize(values)
    if not len(uniques):
        return np.full(len(codes), -1, dtype=np.int64)
    names = np.asarray(names, dtype=object)
    if len(names) <= 64:  # a handful of names (periods): a dict beats building an index
        where = {n: i for i, n in enumerate(names.tolist())}
        at = np.array([where.get(u, -1) for u in np.asarray(uniques, dtype=object).tolist()],
                      dtype=np.int64)
    else:
        at = pd.Index(names).get_indexer(pd.Index(np.asarray(uniques, dtype=object)))
    return np.where(codes >= 0, at[codes], -1).astype(np.int64)


def row_positions(rows: pd.DataFrame, keys: Sequence[pd.Series | np.ndarray]) -> np.ndarray:
    """Position of each key row among ``rows`` (distinct rows; ``-1`` where it is none of
    them); ``keys[c]`` holds the values of ``rows``' column c, in column order. Each
    column of ``rows`` is factorised (codes 0..n_c-1) and the keys' values are looked up
    among its names (:func:`positions`); a row's codes combine into one integer
    ``(..(k_1 n_2 + k_2) n_3 + ..)``, looked up in one hash index (a MultiIndex where that
    integer could overflow)."""
    coded = [pd.factorize(rows[c]) for c in rows.columns]
    if np.prod([float(len(names)) + 1 for _, names in coded]) > 2.0 ** 62:
        return pd.MultiIndex.from_frame(rows).get_indexer(pd.MultiIndex.from_arrays(list(keys)))
    n = len(keys[0]) if len(keys) else 0
    own = np.zeros(len(rows), dtype=np.int64)
    want = np.zeros(n, dtype=np.int64)
    found = np.ones(n, dtype=bool)
    for (codes, names), values in zip(coded, keys, strict=True):
        at = positions(values, names)
        found &= at >= 0
        own = own * max(len(names), 1) + codes
        want = want * max(len(names), 1) + np.maximum(at, 0)
    pos = pd.Index(own).get_indexer(want)
    return np.where(found & (pos >= 0), pos, -1)


def ranks(values: pd.Series | np.ndarray) -> np.ndarray:
    """Each value's rank among the distinct values sorted (equal values, equal ranks; a
    missing value after all of them, as ``sort_values`` puts it): sorting rows by it
    sorts them by the values, on integers."""
    codes, uniques = pd.factorize(values)
    rank = np.empty(len(uniques) + 1, dtype=np.int64)
    rank[np.argsort(np.asarray(uniques, dtype=object), kind="stable")] = np.arange(len(uniques))
    rank[-1] = len(uniques)  # code -1: a missing value
    return rank[codes]


def lookup(values: pd.Series | np.ndarray, mapping: Mapping | pd.Series,
           default: float = np.nan) -> np.ndarray:
    """``mapping[v]`` for each value as floats (``default`` where ``v`` is not a key)."""
    codes, uniques = pd.factorize(values)
    m = mapping if isinstance(mapping, pd.Series) else pd.Series(dict(mapping), dtype=float)
    answer = m.reindex(pd.Index(uniques, dtype=object)).to_numpy(dtype=float)
    answer = np.append(np.where(np.isnan(answer), default, answer), default)
    return answer[codes]  # code -1 (a missing value) takes the last entry: default


def inner_join(left: pd.Series | np.ndarray, right: pd.Series | np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs ``(i, j)`` with ``left[i] == right[j]``: an inner join on one key column,
    in the order of ``pandas.merge(how="inner")`` (left rows in order, each with its
    matches in right order), computed on integer codes.

    With ``k`` = the code of a key in ``right`` and ``n_k`` its number of rows, left row
    ``i`` yields ``n_k`` pairs; ``right`` sorted stably by code holds key ``k``'s rows at
    ``start_k .. start_k + n_k - 1``.
    """
    codes_r, uniques = pd.factorize(right)
    at = positions(left, list(uniques))
    counts = np.bincount(codes_r[codes_r >= 0], minlength=len(uniques))
    starts = np.cumsum(counts) - counts
    order_r = np.argsort(codes_r, kind="stable")[int((codes_r < 0).sum()):]
    n = np.where(at >= 0, counts[np.maximum(at, 0)] if len(counts) else 0, 0)
    i = np.repeat(np.arange(len(at)), n)
    offset = np.arange(len(i)) - np.repeat(np.cumsum(n) - n, n)
    j = order_r[np.repeat(starts[np.maximum(at, 0)] if len(starts) else at, n) + offset]
    return i, j


def isin(values: pd.Series | np.ndarray, options: Iterable[object]) -> np.ndarray:
    """Whether each value is one of ``options`` (a missing value never is); each distinct
    value is hashed once, whatever the string storage."""
    if isinstance(options, pd.Series | pd.Index | np.ndarray):
        distinct = pd.unique(np.asarray(options, dtype=object))
    else:
        distinct = np.array(list(dict.fromkeys(options)), dtype=object)
    return positions(values, distinct) >= 0


def per_distinct(fn: Callable[..., float], *columns: pd.Series | np.ndarray) -> np.ndarray:
    """``fn(a_i, b_i, ...)`` for every row ``i`` of the given columns (floats), calling
    ``fn`` once per distinct combination of values and spreading the answers back."""
    frame = pd.DataFrame({k: np.asarray(c, dtype=object) for k, c in enumerate(columns)})
    if frame.empty:
        return np.zeros(0)
    distinct = frame.drop_duplicates()
    answers = np.array([fn(*row) for row in distinct.itertuples(index=False)], dtype=float)
    if len(columns) == 1:
        return answers[positions(frame[0], distinct[0].to_numpy())]
    at = pd.MultiIndex.from_frame(distinct).get_indexer(pd.MultiIndex.from_frame(frame))
    return answers[at]


def text(names: Sequence[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``names[codes[i]]`` for every row, as a pandas string array: the few names are
    made once and taken by integer (``np.where(c, "in", "out")`` makes a Python string
    per row instead, then converts them)."""
    return pd.array(list(names), dtype="str").take(np.asarray(codes, dtype=np.intp))
