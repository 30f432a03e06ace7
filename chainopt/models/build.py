"""Assembling the model: index -> families -> balance -> objective -> arrays (-> Pyomo).

The families and their order come from :mod:`chainopt.models.registry`; balance
comes last and collects every family's balance terms. A family that adds columns or
rows its ``SPEC`` does not declare stops the build (a programming error, caught by
every test that builds a model).

The Pyomo model (:mod:`chainopt.models.pyomo_model`) is made from the finished
arrays only when something asks for it (``BuiltModel.pyomo``): the matrix hand-over
to HiGHS does not need it, and importing and building it costs about a second.

A model is a pure function of its validated case, so a process builds the same case
content once (:data:`KEPT`): building ``small_chain`` takes 0.2 s, a copy of the
kept model 5 ms. ``chainopt sensitivity`` builds its scenario four times over, a
notebook re-runs a case, a sweep's base is the run's case.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from chainopt.case import levers, memo, reach
from chainopt.case.index import ModelIndex, build_index
from chainopt.case.schema import Case
from chainopt.case.storage import of_case, text_storage
from chainopt.models import balance, blending, emissions, objective
from chainopt.models.lp import LinearProgram, LPArrays
from chainopt.models.registry import FAMILIES, unlisted_families, unregistered

_SERIALS = itertools.count(1)
_NONE = object()  # (nothing derived yet under a key)


@dataclass
class BuiltModel:
    """A case's model: its index, the LP in matrix form and (on demand) the Pyomo model."""

    case: Case
    index: ModelIndex
    lp: LinearProgram
    arrays: LPArrays
    timings: dict[str, float] = field(default_factory=dict)
    solver: Any = None  # the solver's copy of the model, set by chainopt.solve.handover
    extension: list[str] | None = None  # components added by extend(), None: not extended
    relaxed: int = 0  # integer decisions made continuous by relax() (chainopt run --relax)
    _pyomo: object = field(default=None, repr=False)
    #: what is derived from the model alone and read after its solve (:meth:`derive`)
    derived: dict[str, Any] = field(default_factory=dict, repr=False)
    #: the :attr:`derived` of the kept model (:data:`KEPT`) this one has the content of,
    #: shared by every model of that content until it is changed in place (:meth:`changed`)
    _shared: dict[str, Any] | None = field(default=None, repr=False)
    #: which model of this process this is, so that a solve's outcome names its model
    #: (``api.extract_results`` refuses another model's)
    serial: int = field(default_factory=lambda: next(_SERIALS), repr=False)

    def __repr__(self) -> str:
        """One line (the dataclass's own printed every table of the case)."""
        mip = f", {int(self.arrays.integer.sum()):,} integer" if self.is_mip else ""
        return (f"BuiltModel({self.case.name}: {self.num_vars:,} columns{mip}, "
                f"{self.num_rows:,} rows, {self.nnz:,} nonzeros)")

    @property
    def pyomo(self):
        """The Pyomo model (``pyomo.environ.ConcreteModel``), built on first access from
        ``lp`` and ``arrays`` (see :mod:`chainopt.models.pyomo_model`)."""
        if self._pyomo is None:
            # Deliberately lazy: Pyomo is imported only when the Pyomo model is asked for.
            from chainopt.models.pyomo_model import to_pyomo

            t0 = time.perf_counter()
            self._pyomo = to_pyomo(self.lp, self.arrays)
            self.timings["pyomo_s"] = time.perf_counter() - t0
        return self._pyomo

    @property
    def carbon_usd_per_unit(self) -> np.ndarray:
        """The carbon part of every column's cost, USD per unit
        (:func:`chainopt.models.emissions.carbon_per_unit`), made once: the flows table
        and the cost ranging both read it."""
        return self.derive("carbon_usd_per_unit",
                           lambda b: emissions.carbon_per_unit(b.lp, b.index))

    def derive(self, key: str, make: Callable[[BuiltModel], Any]) -> Any:
        """``make(self)``, made once and kept under ``key`` (:attr:`derived`): what the
        result tables take from the model alone, not from its solution (the extraction's
        joins, groupings and orders, :func:`chainopt.extract.prepare`; the coefficient
        ranges; the insight tables' text; the warnings), which ``chainopt run`` makes
        while HiGHS solves. ``make`` may read the model and its case's content (what
        :func:`chainopt.case.memo.case_key` hashes), never the case's origin or raw
        inputs: a model of kept content shares what is made with every other model of
        that content (:data:`KEPT`), so a case run again makes it once. Whatever
        changes the model's numbers in place calls :meth:`changed` (a sweep's variant is
        a new model; a sensitivity's plan held fixed changes column bounds)."""
        if key not in self.derived:
            shared = self._shared
            value = shared.get(key, _NONE) if shared is not None else _NONE
            if value is _NONE:
                value = make(self)
                if shared is not None and self._shared is shared:  # (not changed since)
                    shared[key] = value
            self.derived[key] = value
        return self.derived[key]

    def changed(self) -> None:
        """Say that the model's numbers were changed in place: what was derived from them
        is made again when next asked for, for this model only (it no longer shares with
        the other models of its former content)."""
        self._shared = None
        self.derived.clear()

    @property
    def reach(self) -> reach.Reach:
        """What can ever flow (:func:`chainopt.case.reach.reach`), made once: the warnings
        and the manifest's ``blocked_modes`` (read by ``chainopt explain``) both read it."""
        return self.derive("reach", lambda b: reach.reach(b.case))

    def input_warnings(self) -> list[str]:
        """What the case states that the model cannot honour as stated, said by `chainopt
        run`, `compare` and `sweep` and kept in the manifest: a mode that can never run, a
        market or supply nothing can reach (:func:`chainopt.case.reach.warnings`), a
        policies row where nothing emits (:func:`chainopt.models.emissions.idle_policies`),
        a capture unit where nothing emits what it captures
        (:func:`chainopt.models.emissions.idle_captures`), a product held to specs that
        also comes unblended (:func:`chainopt.models.blending.unheld_specs`), a lever
        row naming sites where it changes nothing (:func:`chainopt.case.levers.idle_sites`)
        and an export duty above a market's price
        (:func:`chainopt.case.levers.prohibitive_duties`), after what reading a case
        workbook warns of (``RawCase.read_warnings``). A scenario's rows are named by
        their keys, a workbook's by sheet and row
        (:func:`chainopt.case.scenario.located_warnings`)."""
        from chainopt.case.scenario import located_warnings  # lazy: start-up

        return [*self.case.raw.read_warnings, *located_warnings(self.case, self.derive(
            "input_warnings", lambda b: [
                *reach.warnings(b.case, b.reach), *emissions.idle_policies(b.index, b.lp),
                *emissions.idle_captures(b.index, b.lp), *blending.unheld_specs(b.index),
                *levers.idle_sites(b.case), *levers.prohibitive_duties(b.case)]))]

    def relax(self) -> int:
        """Make every integer decision continuous (within its bounds): the LP relaxation
        of a MIP. Returns how many were relaxed; the manifest records it (``relaxed``).
        A Pyomo model already built (an extended one) is relaxed in place, a user's
        integer variables with chainopt's (:func:`~chainopt.models.pyomo_model.relax_integers`),
        so relax after :meth:`extend`."""
        n = int(self.arrays.integer.sum())
        if n:
            self.arrays = replace(self.arrays, integer=np.zeros_like(self.arrays.integer))
            self.changed()
        if self._pyomo is not None:
            from chainopt.models.pyomo_model import relax_integers  # lazy: see ``pyomo``

            n = relax_integers(self._pyomo)
        self.relaxed += n
        return n

    @property
    def has_pyomo(self) -> bool:
        """True once the Pyomo model has been built."""
        return self._pyomo is not None

    def extend(self, fn: Callable[[object, BuiltModel], object]) -> list[str]:
        """Let ``fn(model, built)`` add Pyomo components to (or change) the Pyomo model;
        record and return the names of the components added since it was built."""
        from chainopt.models.pyomo_model import added_components  # lazy: see ``pyomo``

        self.changed()  # (whatever ``fn`` changes)
        fn(self.pyomo, self)
        self.extension = added_components(self.pyomo)
        return self.extension

    @property
    def num_vars(self) -> int:
        return self.lp.num_cols

    @property
    def num_rows(self) -> int:
        return self.lp.num_rows

    @property
    def nnz(self) -> int:
        return int(self.arrays.matrix.nnz)

    @property
    def is_mip(self) -> bool:
        return self.arrays.is_mip


#: the models of the last cases built in this process, by content (:func:`build`):
#: small cases only (text kept in Python strings, :mod:`chainopt.case.storage`), each a
#: few MB at most
KEPT: memo.Kept[BuiltModel] = memo.Kept(8)


def build(case: Case, pyomo: bool = False, keep: bool = True) -> BuiltModel:
    """Build the model of ``case``; ``pyomo=True`` also builds the Pyomo model now
    (otherwise it is built on first access of ``BuiltModel.pyomo``).

    The text it makes (the index's, the families' keys) is kept as the case's
    validation kept its (:func:`chainopt.case.storage.of_case`: Python strings for a
    small case), whoever builds it: a sweep's and a sensitivity's builds too, which
    made it in pandas' Arrow default (the default case's model in 83 ms there, 56 ms
    in Python strings).

    ``keep``: a small case's model is kept (:data:`KEPT`, by
    :func:`chainopt.case.memo.case_key` and the text storage, which the
    index's text is made in: :mod:`chainopt.case.storage`), and a case of the same
    content is given a copy of it (:func:`_copy`; ``timings['kept']`` 1) rather than
    built again. Callers that build one-off variants (a sweep's probes and cold
    variants, a sensitivity's driver values) pass ``keep=False``: they would only push
    the case they vary out."""
    t0 = time.perf_counter()
    storage = of_case(case)
    with text_storage(storage):
        k = memo.case_key(case) if keep and storage == "python" else None
        if k is not None:  # the text the build makes is in that storage
            k = memo.in_storage(k)
        kept = None if k is None else KEPT.get(k)
        if kept is not None:
            built = _copy(kept, case)
            built.timings.update(matrix_s=time.perf_counter() - t0, kept=1.0)
        else:
            built = _build(case, t0)
            if k is not None:
                kept = _copy(built, case)  # a copy: the caller may change its own
                KEPT.put(k, kept)
    if kept is not None:
        built._shared = kept.derived  # what is derived from the content (:meth:`derive`)
    if pyomo:
        _ = built.pyomo
    return built


def _copy(built: BuiltModel, case: Case) -> BuiltModel:
    """A model of ``case`` (the same content as ``built.case``) that shares nothing
    changeable with ``built``: its index, LP and arrays deep-copied (together, so that
    what they share stays shared), before any solve, Pyomo model or extension."""
    ix, lp, arrays = copy.deepcopy((replace(built.index, case=None), built.lp,
                                    built.arrays))
    return BuiltModel(case=case, index=replace(ix, case=case), lp=lp, arrays=arrays,
                      timings={"index_s": 0.0, "matrix_s": 0.0, "pyomo_s": 0.0})


def _build(case: Case, t0: float) -> BuiltModel:
    """The model of ``case`` built: index, families, balance, objective, arrays."""
    ix = build_index(case)
    t1 = time.perf_counter()
    lp = LinearProgram()
    for family in FAMILIES:
        family.add(lp, ix)
    balance.add(lp, {p: i for i, p in enumerate(case.meta.period_names)})
    bad = unregistered(lp)
    if bad:
        raise RuntimeError("model families not registered: " + "; ".join(bad))
    if forgotten := unlisted_families():
        raise RuntimeError(
            "family modules not in FAMILIES of chainopt/models/registry.py (their tables "
            "would be validated and then ignored): " + ", ".join(
                f"chainopt/models/{m}.py" for m in forgotten)
            + "; add each to FAMILIES (one line; the tuple is the build order)")
    arrays = lp.arrays(*objective.vectors(lp))
    arrays.levers = objective.lever_terms(case.lever_effects, ix, lp)
    t2 = time.perf_counter()
    return BuiltModel(case=case, index=ix, lp=lp, arrays=arrays,
                      timings={"index_s": t1 - t0, "matrix_s": t2 - t1, "pyomo_s": 0.0})
