"""Where a case's text lives in pandas: Python strings for a small case, Arrow for a large one.

pandas 3 keeps text in Arrow arrays by default (``mode.string_storage``). An operation
on an Arrow text column costs a fixed few tens of microseconds more than on a column of
Python strings, and a small case's run is some thousands of such operations on short
columns: with Python strings ``small_chain`` runs in about 0.37 s instead of 0.50 s in
process, the default case in about 0.65 s instead of 0.85 s (benchmarks/HISTORY.md,
twenty-second session). A large case's run is the other way round: its results' text is joined into
CSV rows in Arrow (:mod:`chainopt.csvtext`), which takes an Arrow column as it is but
must convert Python strings (about 10 ms per 100,000), and factorising 100,000 Arrow
strings is four times quicker: a 100k-variable case runs 0.3 s slower with Python
strings.

So a case whose tables hold fewer than :data:`ARROW_FROM_ROWS` rows in all is
validated, built (whoever builds it: a sweep, a sensitivity), hashed, solved and written
with Python strings, a larger one with Arrow strings; what is made from a run's saved
tables (its report, ``explain``, a comparison) keeps the storage the run recorded
(:func:`chainopt.results.recorded_storage`). Only the speed differs: the values, the text
and every byte written are the same either way.

``mode.string_storage`` is one setting for the whole process: :func:`text_storage`
sets it for a block and restores it after, so a caller's own pandas work is left as it
was. Only the main thread sets it (threads started inside the block see it): two runs
in threads of their own would each restore what the other set. A run in a thread of
its own keeps pandas' setting for the text it makes, and its tables may then hold both
storages; that costs speed, never a value.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Literal

import numpy as np
import pandas as pd

from chainopt.case.schema import Case

Storage = Literal["python", "pyarrow"]

ARROW_FROM_ROWS = 10_000  # rows in all a case's tables (a 30k-variable case has ~5,000)


def storage_for(tables: Mapping[str, pd.DataFrame]) -> Storage:
    """The storage for a case of these tables."""
    return storage_for_rows(sum(len(df) for df in tables.values()))


def storage_for_rows(rows: int) -> Storage:
    """Arrow from :data:`ARROW_FROM_ROWS` rows, Python strings below."""
    return "pyarrow" if rows >= ARROW_FROM_ROWS else "python"


def of_case(case: Case) -> Storage:
    """The storage a case's run keeps its text in (as its validation did)."""
    return storage_for(case.raw.tables)


@contextmanager
def text_storage(storage: Storage | None) -> Iterator[None]:
    """Within the block, text that pandas makes (``dtype="str"``, ``read_csv``) is kept
    in ``storage`` (None, or off the main thread: as pandas' setting says)."""
    if storage is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    with pd.option_context("mode.string_storage", storage):
        yield


def stored_in(df: pd.DataFrame, storage: Storage) -> pd.DataFrame:
    """``df`` with its text (columns, column names, row labels) kept in ``storage``; the
    frame itself when all of it is."""
    dtype = pd.StringDtype(storage, na_value=np.nan)
    text = [c for c, t in df.dtypes.items()
            if isinstance(t, pd.StringDtype) and t != dtype]
    out = df.astype(dict.fromkeys(text, dtype)) if text else df
    for axis, labels in ((0, out.index), (1, out.columns)):
        if isinstance(labels.dtype, pd.StringDtype) and labels.dtype != dtype:
            out = out.set_axis(labels.astype(dtype), axis=axis)
    return out
