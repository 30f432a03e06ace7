"""Warm sweeps: a variant's LP straight from a map of what its values change.

A sweep varies a few numbers (its ``--set`` targets or Monte Carlo variables), each
over a range known before the first variant runs (:class:`chainopt.sweep.Span`). A
worker builds the model cold (validation, index, matrix) at a few probe points of
those ranges, once, and keeps a **map**: the flat vector of the model's numbers (costs,
column and row bounds, matrix coefficients, the objective's split by category, its
constants and the policy levers' terms) at the low ends, and per target the positions
it moves and by how much over its range. A variant's model is then that vector moved
along the map: no validation of unchanged tables, no index, no matrix, no rebuild; the
worker's HiGHS instance gets only the changed numbers and re-solves from the previous basis
(:func:`chainopt.solve.resolve`). A process keeps its last maps by the content of the
case and the span, so sweeping the same inputs over the same span again (the case
loaded again, a copy of its folder) makes no new probes.

The map is made only when it is exact; otherwise every variant of the sweep takes the
cold path (validate, build, then the warm re-solve), as before:

* the target's column is one whose values flow into prices, costs, bounds or
  coefficients (:data:`WARM_COLUMNS`); anything else (years, lifetimes, minimum build
  sizes, fixed charges, curves, qualities, text) is structural or not affine;
* every probe is a valid case, and all probes have the same structure (sparsity
  pattern, integer columns, cost categories and constants);
* the model's numbers are affine in each target: checked at the midpoint of each range
  (or, for one target whose range holds its no-change value, at the worker's unchanged
  model) and, with several targets, at the corner where all are high (no interaction);
* no changed cell changes sign inside its range (thresholds such as "a floor > 0 adds a
  row" sit at zero).

Every variant's values are still validated: each cell it changes must be a finite
number in its column's range, and where one is not (or might not be) the tables the
sweep changes are checked with the validator's own cell checks (the same messages and
locations as a full validation). The rules across rows and tables on these columns (the
mass balance of a mode's yields, :data:`FULL_CHECK`) hold on a convex set of values, so
a variant inside a range whose ends (corners) are valid probes passes them; with three
or more targets varying, not every corner is probed and such a variant is validated
whole.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from chainopt.case import memo
from chainopt.case.scenario import Scenario, apply_changes
from chainopt.case.schema import MAX_MAGNITUDE, TABLES, RawCase
from chainopt.case.validate import _by_period, _Collector, _normalise, validate
from chainopt.errors import InputError
from chainopt.models.build import BuiltModel, build
from chainopt.models.lp import Matrix
from chainopt.solve import same_structure

# (table, column) whose values enter the LP as prices, costs, bounds or coefficients,
# affinely: the columns a warm map may move (every other target is built cold)
WARM_COLUMNS: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "commodities": {"disposal_cost_usd_per_unit"},
    "projects": {"capex_musd"},
    "modes": {"variable_cost_usd_per_unit", "capacity_use"},
    "mode_flows": {"amount_per_unit"},
    "units": {"capacity_k_per_yr", "availability", "fixed_om_usd_per_unit_yr",
              "capex_usd_per_unit_yr", "max_new_k_per_yr",
              "life_extension_capex_usd_per_unit_yr"},
    "supplies": {"cost_usd_per_unit", "max_k_per_yr"},
    "markets": {"price_usd_per_unit", "max_k_per_yr", "min_k_per_yr"},
    "demand": {"amount_k_per_yr"},
    "links": {"capacity_k_per_yr", "cost_usd_per_unit", "loss_fraction",
              "capex_usd_per_unit_yr", "max_new_k_per_yr", "emission_per_unit"},
    "blends": {"capacity_k_per_yr", "variable_cost_usd_per_unit"},
    "constraints": {"rhs"},
    "constraint_terms": {"coef"},
    "policies": {"carbon_price_usd_per_unit", "cap_k_per_yr"},
    "fx_rates": {"usd_per_unit"},
    "market_groups": {"price_discount", "freight_premium_usd_per_unit"},
    "levies": {"amount_usd_per_unit"},
}.items()}
# columns in a validation rule across rows or tables: the mass balance of a mode's yields
# ("outputs exceed inputs": net mass - tolerance x gross mass > 0, where net and gross are
# sums of amounts times fixed unit factors, so affine in the swept values). The variants
# that pass such a rule form a convex set, so a variant inside the box whose corners
# were all probed (valid cases) passes too; otherwise (3 or more targets varying) a
# variant changing them is validated whole. A rule added to the validator that is not
# convex in these columns must make this check whole always.
FULL_CHECK = frozenset({("mode_flows", "amount_per_unit")})
RTOL = 1e-10  # affinity check: relative to the size of the numbers compared


def apply(raw: RawCase, changes) -> RawCase:
    """``raw`` with sweep changes applied (the scenario overlay engine)."""
    return apply_changes(raw, Scenario(name="sweep", description="", base="",
                                       changes=tuple(changes), path=Path("--set")),
                         check_values=False)  # as sweep.apply_variant


def _with_values(changes, targets, values) -> list[dict]:
    """``changes`` applying ``values`` instead of their own."""
    return [{**ch, t[3]: {t[4]: float(v)}}
            for ch, t, v in zip(changes, targets, values, strict=True)]


# ---------------------------------------------------------------------------------------
# The flat vector of a model's numbers

@dataclass(frozen=True)
class _Layout:
    sizes: tuple[int, ...]
    categories: tuple[str, ...]
    offsets: tuple[str, ...]


def _flat(built: BuiltModel) -> tuple[np.ndarray, _Layout]:
    a = built.arrays
    cats = tuple(sorted(a.cost_by_category))
    offs = tuple(sorted(a.offset))
    parts = [a.cost, a.col_lb, a.col_ub, a.row_lb, a.row_ub, a.matrix.data,
             *(a.cost_by_category[c].toarray().ravel() for c in cats),
             np.array([a.offset[k] for k in offs], dtype=float),
             a.levers.matrix.data if a.levers is not None else np.empty(0)]
    return (np.concatenate([np.asarray(p, dtype=float) for p in parts]),
            _Layout(tuple(len(p) for p in parts), cats, offs))


def _same_levers(a: BuiltModel, b: BuiltModel) -> bool:
    """The same levers' terms (keys and sparsity of ``LeverTerms.matrix``), or none."""
    x, y = a.arrays.levers, b.arrays.levers
    if x is None or y is None:
        return x is y
    return (x.keys.equals(y.keys) and np.array_equal(x.weight, y.weight)
            and np.array_equal(x.matrix.indptr, y.matrix.indptr)
            and np.array_equal(x.matrix.indices, y.matrix.indices))


def _same(a: BuiltModel, b: BuiltModel) -> bool:
    return same_structure(a, b) and _flat(a)[1] == _flat(b)[1] and _same_levers(a, b)


@dataclass
class WarmMap:
    """A sweep's model as an affine function of its values (see the module doc)."""

    # the model at the low ends: its structure, families and index are every variant's;
    # its case is the low ends' (the meta is the variant's, the tables are not)
    template: BuiltModel
    layout: _Layout
    lo: np.ndarray
    hi: np.ndarray
    width: np.ndarray  # hi - lo per target (0: one value)
    v0: np.ndarray  # the model's numbers at the low ends
    moves: list[tuple[np.ndarray, np.ndarray]]  # per target: positions, change lo -> hi
    tables: tuple[str, ...]  # raw tables the sweep changes (checked cell by cell)
    full_check: bool  # validate each variant whole (a rule across tables)
    probe_s: float = 0.0

    def covers(self, values: tuple[float, ...]) -> bool:
        v = np.asarray(values, dtype=float)
        return len(v) == len(self.lo) and bool(np.all((v >= self.lo) & (v <= self.hi)))

    def vector(self, values: tuple[float, ...]) -> np.ndarray:
        v = self.v0.copy()
        for j, (pos, delta) in enumerate(self.moves):
            if self.width[j] > 0 and len(pos):
                v[pos] += (values[j] - self.lo[j]) / self.width[j] * delta
        return v

    def model(self, values: tuple[float, ...]) -> BuiltModel:
        """The variant's model: the template with its numbers moved along the map. Its
        ``arrays`` are the variant's; ``lp``, ``index`` and ``case`` are the template's
        (read their structure only: the numbers they hold are the low ends'), so it is
        for solving and the sweep's KPIs, not for extraction."""
        t0 = time.perf_counter()
        v = self.vector(values)
        parts = np.split(v, np.cumsum(self.layout.sizes)[:-1])
        cost, col_lb, col_ub, row_lb, row_ub, data, *rest = parts
        by_cat, offs, lever_data = rest[:-2], rest[-2], rest[-1]
        a = self.template.arrays
        lt = a.levers
        arrays = replace(a, cost=cost, col_lb=col_lb, col_ub=col_ub, row_lb=row_lb,
                         row_ub=row_ub, matrix=replace(a.matrix, data=data),
                         cost_by_category={c: Matrix.from_row(x) for c, x in
                                           zip(self.layout.categories, by_cat, strict=True)},
                         offset={k: float(x) for k, x in zip(self.layout.offsets, offs,
                                                             strict=True)},
                         levers=None if lt is None else replace(
                             lt, matrix=replace(lt.matrix, data=lever_data)))
        return BuiltModel(case=self.template.case, index=self.template.index,
                          lp=self.template.lp, arrays=arrays,
                          timings={"index_s": 0.0, "matrix_s": time.perf_counter() - t0,
                                   "pyomo_s": 0.0, "mapped": 1.0})


# ---------------------------------------------------------------------------------------
# Making the map: probes

class _NotWarm(Exception):
    """The sweep cannot be mapped exactly (the reason is the message)."""


def _probe(raw: RawCase, changes, targets, values) -> tuple[RawCase, BuiltModel]:
    return _probed(raw, _with_values(changes, targets, values), values)


def _probed(raw: RawCase, changes, values) -> tuple[RawCase, BuiltModel]:
    """``raw`` with ``changes`` (putting the targets at ``values``) and its model."""
    r = apply(raw, changes)
    try:
        return r, build(validate(r, keep=False), keep=False)
    except InputError:
        raise _NotWarm(f"the probe at {values} is not a valid case") from None


def _changed_tables(raw: RawCase, other: RawCase) -> set[str]:
    return {n for n, df in other.tables.items()
            if n not in raw.tables or not df.equals(raw.tables[n])}


def _no_sign_change(a: RawCase, b: RawCase) -> None:
    """Every cell that differs between probes ``a`` and ``b`` keeps its sign (or is 0)."""
    for name in _changed_tables(a, b):
        x, y = a.tables.get(name), b.tables[name]
        if x is None or x.shape != y.shape or list(x.columns) != list(y.columns):
            raise _NotWarm(f"{name}: rows differ between probes")
        diff = x.ne(y)
        for col in diff.columns[diff.any().to_numpy()]:
            m = diff[col].to_numpy()
            try:
                u = x[col][m].astype(float).to_numpy()
                w = y[col][m].astype(float).to_numpy()
            except ValueError:
                raise _NotWarm(f"{name}.{col}: not numbers") from None
            if not (np.isfinite(u).all() and np.isfinite(w).all() and (u * w >= 0).all()):
                raise _NotWarm(f"{name}.{col}: a value changes sign inside the range")


def _close(pred: np.ndarray, got: np.ndarray, *scale: np.ndarray) -> bool:
    size = np.abs(got)
    for s in scale:
        size = np.maximum(size, np.abs(s))
    return bool(np.all(np.abs(pred - got) <= RTOL * size + 1e-300))


def _on_line(unchanged, identity, j, lo, hi, b0, v0, vj, finite) -> bool:
    """True when the single target ``j``'s no-change value ``identity[j]`` (scale 1, add
    0) lies inside its range and the unchanged model sits on the line from the low to the
    high probe: the affinity check without a midpoint probe."""
    x = identity[j]
    if unchanged is None or len(identity) != 1 or x is None \
            or not lo[j] < x < hi[j] or not _same(b0, unchanged):
        return False
    t = (x - lo[j]) / (hi[j] - lo[j])
    vu = _flat(unchanged)[0]
    return (np.array_equal(vu[~finite], v0[~finite])
            and _close(v0[finite] + t * (vj[finite] - v0[finite]), vu[finite], v0[finite],
                       vj[finite]))


def make_map(raw: RawCase, changes, targets, lo, hi,
             unchanged: BuiltModel | None = None) -> WarmMap:
    """Probe the model at the low ends, at each target's high end and midpoint (and the
    all-high corner); raise :class:`_NotWarm` unless the map is exact. ``targets``:
    (table, where, period, op, column) of each change (:class:`chainopt.sweep.Span`).
    ``unchanged`` (the model of ``raw``) replaces the midpoint probe of a single target
    whose range holds its no-change value inside (scale 1, add 0), when it is on the
    line (one cold build fewer)."""
    for table, _where, _period, _op, column in targets:
        if column not in WARM_COLUMNS.get(table, ()):
            raise _NotWarm(f"{table}.{column} is not a price, cost, bound or coefficient")
    wm = _fit(raw, lambda v: _probe(raw, changes, targets, v),
              [f"{t[0]}.{t[4]}" for t in targets], lo, hi,
              [{"scale": 1.0, "add": 0.0}.get(t[3]) for t in targets], unchanged)
    # every corner of the box is a probe with 1 or 2 targets varying
    wm.full_check = (int(sum(w > 0 for w in wm.width)) > 2
                     and any((t[0], t[4]) in FULL_CHECK for t in targets))
    return wm


def line_map(raw: RawCase, changes_at, lo: float, hi: float, identity: float | None = None,
             unchanged: BuiltModel | None = None) -> WarmMap | str:
    """The map of a model along one value x in [``lo``, ``hi``] whose scenario changes of
    ``raw`` are ``changes_at(x)`` (a sensitivity driver: a factor on prices, an extra
    carbon price), made as :func:`make_map` makes a sweep's: probes at lo, hi and the
    midpoint, exact or not made. The map, or why not (a probe invalid, the structure or
    an infinite bound changing, a number not affine in x, a cell changing sign).
    ``identity``: the x at which the changes leave ``raw`` as it is (a factor's 1), and
    ``unchanged`` the model of ``raw``: when lo < identity < hi, that model checks the
    map in place of the midpoint probe (:func:`_on_line`; one validation and build
    fewer).

    No variant inside [lo, hi] needs validating: each changed cell moves on a line
    between its valid values at the two ends, every cell range is an interval, and the
    rules across rows and tables on these cells are convex (the module doc)."""
    try:
        return _fit(raw, lambda v: _probed(raw, changes_at(float(v[0])), v), ["x"],
                    [lo], [hi], [identity], unchanged)
    except _NotWarm as why:
        return str(why)


def _fit(raw: RawCase, probe, names: list[str], lo, hi, identity,
         unchanged: BuiltModel | None) -> WarmMap:
    """The map from probes (``probe(values)`` -> (raw case, model)) of targets ``names``
    over [``lo``, ``hi``]; ``identity``: each target's no-change value or None (see
    :func:`_on_line`). Raises :class:`_NotWarm` unless exact."""
    t0 = time.perf_counter()
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    r0, b0 = probe(lo)
    v0, layout = _flat(b0)
    finite = np.isfinite(v0)
    tables = _changed_tables(raw, r0)
    moves = []
    for j, name in enumerate(names):
        if hi[j] == lo[j]:
            moves.append((np.empty(0, dtype=np.int64), np.empty(0)))
            continue
        top = lo.copy()
        top[j] = hi[j]
        rj, bj = probe(top)
        if not _same(b0, bj):
            raise _NotWarm(f"{name}: the structure changes")
        vj = _flat(bj)[0]
        if not np.array_equal(v0[~finite], vj[~finite]) or not np.isfinite(vj[finite]).all():
            raise _NotWarm("an infinite bound becomes finite")
        _no_sign_change(r0, rj)
        tables |= _changed_tables(raw, rj)
        pos = np.flatnonzero(finite & (vj != v0))
        moves.append((pos, vj[pos] - v0[pos]))
        if not _on_line(unchanged, identity, j, lo, hi, b0, v0, vj, finite):
            mid = lo.copy()
            mid[j] = (lo[j] + hi[j]) / 2
            _rm, bm = probe(mid)
            if not _same(b0, bm):
                raise _NotWarm(f"{name}: the structure changes")
            vm = _flat(bm)[0]
            if not _close(v0[finite] + 0.5 * (vj[finite] - v0[finite]), vm[finite],
                          v0[finite], vj[finite]):
                raise _NotWarm(f"{name}: not affine")
    wm = WarmMap(template=b0, layout=layout, lo=lo, hi=hi, width=hi - lo, v0=v0, moves=moves,
                 tables=tuple(sorted(tables)), full_check=False)
    if int(sum(w > 0 for w in hi - lo)) > 1:  # several targets: no interaction
        rc, bc = probe(hi)
        if not _same(b0, bc):
            raise _NotWarm("the structure changes when every value is high")
        vc = _flat(bc)[0]
        if not _close(wm.vector(tuple(hi))[finite], vc[finite], v0[finite]):
            raise _NotWarm("the targets interact (the model is not their sum)")
        _no_sign_change(r0, rc)
    wm.probe_s = time.perf_counter() - t0
    return wm


# ---------------------------------------------------------------------------------------
# A variant through the map

def check_cells(raw: RawCase, tables, periods: list[str]) -> None:
    """The validator's cell checks on ``tables`` of ``raw`` (the ones a sweep changes):
    raise the InputError a full validation would (same problems, same order)."""
    out = _Collector()
    norm = {}
    for name, spec in TABLES.items():
        if name in tables and name in raw.tables:
            norm[name] = _normalise(spec, raw.tables[name], f"{name}.csv", out)
    for name in raw.tables:
        if name in tables and name.endswith("_by_period"):
            parent = TABLES[name.removesuffix("_by_period")]
            if parent.name not in norm:  # unchanged parent: its typed table, no messages
                norm[parent.name] = _normalise(parent, raw.tables[parent.name],
                                               f"{parent.name}.csv", _Collector())
            _by_period(parent, raw.tables[name], norm[parent.name],
                       np.asarray(list(periods), dtype=object), out)
    if out.problems:
        raise InputError(out.problems)


def cells_pass(raw: RawCase, variant: RawCase, tables) -> bool:
    """True when every cell of ``tables`` that ``variant`` changes from ``raw`` (a valid
    case) is a finite number within its column's range, so that the validator's cell
    checks (:func:`check_cells`) cannot fail; False when one might (then run them)."""
    for name in tables:
        x, b = variant.tables.get(name), raw.tables.get(name)
        if x is None or b is None or x.shape != b.shape or list(x.columns) != list(b.columns):
            return False
        spec = TABLES[name.removesuffix("_by_period")].column_map
        diff = x.ne(b)
        for col in diff.columns[diff.any().to_numpy()]:
            c = spec.get(col)
            if c is None or c.kind not in ("float", "int"):
                return False
            v = pd.to_numeric(x[col][diff[col].to_numpy()], errors="coerce").to_numpy(float)
            ok = np.isfinite(v) & ((np.abs(v) <= MAX_MAGNITUDE) | (c.kind != "float"))
            if c.lo is not None:
                ok &= (v > c.lo) if c.lo_open else (v >= c.lo)
            if c.hi is not None:
                ok &= (v < c.hi) if c.hi_open else (v <= c.hi)
            if c.kind == "int":
                ok &= v % 1 == 0
            if not ok.all():
                return False
    return True


# per process: the last maps made (or why a sweep cannot be mapped), by the content of
# the raw case each was made from and the sweep's span (:func:`_map_key`), so that a
# sweep of the same inputs over the same span again (the source loaded again, another
# copy of its folder, a notebook sweeping once more) re-uses its map
_MAPS: memo.Kept[WarmMap | str] = memo.Kept(8)
_LAST: tuple[RawCase, str] | None = None  # the raw case last looked up, and its key
_ONE_OFF = itertools.count()


def _map_key(raw: RawCase, span) -> str:
    """The key of the map of ``span`` over ``raw``: a hash of ``raw``'s content
    (:func:`chainopt.case.memo.key`: its mapping and tables; made once per raw case
    object, as a sweep asks once per variant) and the span. A raw case whose content
    cannot be hashed gets a key of its own, as long as it is the last one looked up."""
    global _LAST
    last = _LAST
    if last is None or last[0] is not raw:
        content = memo.key(raw)
        last = (raw, content if content is not None else f"object {next(_ONE_OFF)}")
        _LAST = last
    return f"{last[1]} {span!r}"


def mapped_model(raw: RawCase, changes, values, span,
                 unchanged: BuiltModel | None = None) -> BuiltModel | None:
    """The model of the variant applying ``values`` through ``changes`` (which vary
    ``span.targets``), from the map of this sweep (made on first use, kept by content:
    :func:`_map_key`); None when the sweep cannot be mapped or the values are outside
    the span (then the caller builds it cold). A variant with bad values raises the
    validator's InputError. ``unchanged``: the model of ``raw`` itself, if the worker
    has it (a probe point)."""
    key = _map_key(raw, span)
    wm = _MAPS.get(key)
    if wm is None:
        try:
            wm = make_map(raw, changes, span.targets, span.lo, span.hi, unchanged)
        except _NotWarm as why:
            wm = str(why)
        _MAPS.put(key, wm)
    if isinstance(wm, str) or not wm.covers(values):
        return None
    variant = apply(raw, changes)
    if not cells_pass(raw, variant, wm.tables):
        check_cells(variant, wm.tables, wm.template.case.meta.period_names)
    if wm.full_check:
        validate(variant, keep=False)
    return wm.model(values)


def forget() -> None:
    """Drop this process's maps (a process that starts afresh: see ``sweep._fresh_worker``)."""
    global _LAST
    _MAPS.clear()
    _LAST = None
