"""What a process keeps by content: its parsed tables, validated cases and built models.

Validation is a pure function of a raw case's ``case.yaml`` mapping and tables
(:func:`chainopt.case.validate.validate` reads nothing else), and for a small case it is
a good share of a run: about 0.14 s for ``small_chain`` and 0.32 s for the default
case, against 0.37 s and 0.5 s for the rest of an in-process run. One process often
validates the same inputs again: a notebook running a case again after changing
something outside it (an option, its own code), a test suite loading the shipped cases
hundreds of times. So the last :data:`SIZE` cases of fewer than
``ARROW_FROM_ROWS`` rows (:mod:`chainopt.case.storage`; a larger case's validation is a
small share of its run and its frames are not small) are kept, by :func:`key`, and
validating the same content again returns the kept case at once.

The key is a hash of everything validation reads: the mapping, and each table's name,
column names, dtypes, row labels and cells (pickled: a blank cell and the text "nan"
differ). Anything else about the raw case (where it came from, its scenario chain, a
workbook's cell locations) is the caller's: the case returned carries the caller's raw
case and origin. Its frames are copies, so a caller that changed one (a Case is never
changed in place, but a user's script may) cannot change what a later call gets.
Inputs that fail validation are never kept: they raise again, with the same messages.

A model is, in the same way, a pure function of its validated case
(:func:`chainopt.models.build.build` reads the case's mapping and frames alone), and
building it is the larger part of what is left of a small run (0.2 s of
``small_chain``'s). :func:`case_key` hashes that content, and the build keeps its last
models in a :class:`Kept` of its own (:data:`chainopt.models.build.KEPT`); what is
derived from such a model (``BuiltModel.derive``) is shared by its copies.

A table, in turn, is a pure function of its file's text: :func:`text_key` hashes it, and
reading keeps its last tables (:data:`chainopt.case.load.PARSED`).
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

import pandas as pd

from chainopt.case.schema import Case, RawCase

SIZE = 16  # cases kept per process (each under 10,000 rows: a few MB at most)

T = TypeVar("T")
#: what pickle may raise on a value it cannot write (such content is never kept)
UNPICKLABLE = (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError)

_ALL: list[Kept] = []  # every Kept of the process (:func:`clear`)


class Kept(Generic[T]):
    """The last ``size`` values put, by key (the least recently used dropped first),
    behind a lock: runs in threads share it. What is kept is never handed out itself:
    each user hands out copies (:func:`get`, ``chainopt.models.build``)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()
        _ALL.append(self)

    def get(self, k: str) -> T | None:
        """The value kept under ``k`` (now the most recently used), or None."""
        with self._lock:
            value = self._kept.get(k)
            if value is not None:
                self._kept.move_to_end(k)
            return value

    def put(self, k: str, value: T) -> None:
        """Keep ``value`` under ``k``."""
        with self._lock:
            self._kept[k] = value
            self._kept.move_to_end(k)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def values(self) -> list[T]:
        """What is kept, the least recently used first."""
        with self._lock:
            return list(self._kept.values())

    def __len__(self) -> int:
        return len(self._kept)


_cases: Kept[Case] = Kept(SIZE)


def key(raw: RawCase, tables: dict[str, str | None] | None = None) -> str | None:
    """A hash of the content validation reads: the mapping and each table's
    :func:`table_key` (``tables``: made already, as validation types each table by it;
    1.8 ms for ``small_chain``, 3.8 ms for the default case); None when some of it
    cannot be pickled (such a case is validated every time)."""
    if tables is None:
        tables = {name: table_key(name, df) for name, df in raw.tables.items()}
    if None in tables.values():
        return None
    return _digest((raw.meta, sorted(tables.items())))


def get(k: str, raw: RawCase) -> Case | None:
    """The case kept under ``k``, as :func:`_handed_out` to the caller of ``raw``; None
    when none is."""
    case = _cases.get(k)
    return None if case is None else _handed_out(case, raw)


def put(k: str, case: Case) -> Case:
    """Keep ``case`` under ``k`` (the least recently used beyond :data:`SIZE` dropped)
    and return a copy to hand out."""
    _cases.put(k, case)
    return _handed_out(case, case.raw)


def clear() -> None:
    """Forget everything kept by content: tables parsed and typed, cases validated,
    models built (each :class:`Kept` of the process)."""
    for kept in _ALL:
        kept.clear()


def copied(kept: Kept[pd.DataFrame], k: str | None, make: Callable[[], pd.DataFrame],
           ok: Callable[[], bool] = lambda: True) -> pd.DataFrame:
    """A copy of the frame ``kept`` holds under ``k``; else ``make()``, a copy of it kept
    under ``k`` when ``ok()`` says so once it is made (``k`` None: nothing looked up or
    kept). What reading a table file (:data:`chainopt.case.load.PARSED`) and typing a
    table (:data:`chainopt.case.validate.TYPED`) keep by content."""
    hit = None if k is None else kept.get(k)
    if hit is not None:
        return hit.copy()
    df = make()
    if k is not None and ok():
        kept.put(k, df.copy())  # a copy: the caller may change its own
    return df


def case_key(case: Case) -> str | None:
    """A hash of the content a model is built from: the validated case's mapping, its
    frames (``tables``, ``by_period``) and the levers' resolved frames, pickled whole
    (about 4 ms for the default case); None when some of it cannot be pickled. Two
    cases with the same values pickle alike, whichever copies they are."""
    return _digest((case.meta, case.tables, case.by_period, case.lever_effects,
                    case.flow_premiums))


def table_key(name: str, df: pd.DataFrame) -> str | None:
    """A hash of one raw table as validation types it (:func:`_digest`: its name, column
    names, dtypes, row labels and cells; :data:`chainopt.case.validate.TYPED`)."""
    return _digest((name, df))


def in_storage(k: str) -> str:
    """``k`` for what is made in pandas' text storage of the moment (``mode.string_storage``:
    a table read, typed or built there holds its text so): the same content kept once per
    storage."""
    return f"{k}:{pd.get_option('mode.string_storage')}"


def text_key(text: str) -> str:
    """A hash of ``text`` (a table file's, :func:`chainopt.case.load.read_csv`)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def _digest(content: object) -> str | None:
    """blake2b of ``content`` pickled whole: frames with their column names, dtypes, row
    labels and cells (a blank cell and the text "nan" differ); None when pickle cannot
    write it. Equal content laid out otherwise in memory may pickle otherwise: that is
    a miss, never a wrong hit."""
    try:
        data = pickle.dumps(content, protocol=5)
    except UNPICKLABLE:
        return None
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def _handed_out(case: Case, raw: RawCase) -> Case:
    """``case`` with ``raw`` as its raw case and origin, and copies of its frames."""
    def copied(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        return {name: df.copy() for name, df in frames.items()}

    return case.model_copy(update={
        "tables": copied(case.tables), "by_period": copied(case.by_period),
        "lever_effects": None if case.lever_effects is None else case.lever_effects.copy(),
        "flow_premiums": None if case.flow_premiums is None else case.flow_premiums.copy(),
        "raw": raw, "origin": raw.origin})
