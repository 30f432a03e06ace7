"""The Pyomo model of a finished programme, and its solution read back into arrays.

Made from the same arrays that are handed to HiGHS directly (``LPArrays``), with
the names of the families (``LinearProgram.var_families`` / ``row_families``):

* one ``Block`` per family block: ``m.supply``, ``m.conversion``, ...;
* per variable family an indexed ``Var`` ``m.<block>.<name>`` over the Set
  ``m.<block>.<NAME>_KEYS`` of the family's key tuples (one key column: plain
  values), e.g. ``m.conversion.activity['tob_cdu', 'cdu_run', 'p2026']``; bounds
  ``col_lb <= x <= col_ub`` (infinite bounds: none), domain ``Integers`` where
  ``integer`` is set, else ``Reals``;
* per row family an indexed ``Constraint`` ``m.<block>.<name>`` over
  ``m.<block>.<NAME>_KEYS``: row i is ``row_lb[i] <= sum_j A[i, j] x_j <= row_ub[i]``
  (an equality where the bounds are equal, one-sided where one is infinite; a row
  without coefficients is skipped);
* ``m.objective``: maximise ``sum_j cost[j] x_j + offset`` (the constant offset
  included, so its value is the case's objective, MUSD).

A family whose keys are not unique (none today) is indexed by position ``0..n-1``.
Column j of the matrix is ``columns(m)[j]`` and row i is ``rows(m)[i]``; the
variables are declared in column order, block by block (the families of a block are
contiguous), so a solver interface that takes the model's variables in declaration
order sees the same column order as the matrix hand-over.

Reading back (:func:`solution_arrays`): ``col_value[j]`` is the value of column j
(a variable no solver saw, being in no constraint and not in the objective, is put
at the bound nearest 0, which is optimal for it); ``row_value = A @ col_value``;
``row_dual[i]`` / ``col_dual[j]`` are the ``dual`` / ``rc`` suffix values where the
solver gave them (else 0), times :func:`sense`. Pyomo's dual is the change of the
active objective per unit increase of the row's bound, in that objective's own sense;
chainopt's (HiGHS's on the matrix path) is the change of the value maximised. So for
a maximisation the suffixes are taken as they are and for a minimisation (an
extension minimising, say, ``-profit``) negated: ``d(-f)/db = -df/db``. The model
minimising ``-f`` then gives the arrays of the one maximising ``f``. Components a
user adds to the model are not in those arrays: :func:`extension_table` lists their
values.

Pyomo builds one Python object per variable, term and constraint, so this is a
loop over the matrix's CSR rows; everything else is done on whole arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr import polynomial_degree
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.repn import generate_standard_repn

from chainopt.errors import InfeasibleError
from chainopt.models.lp import Family, LinearProgram, LPArrays

COLUMNS = "_chainopt_columns"  # model attribute: the VarData of each matrix column, in order
ROWS = "_chainopt_rows"  # model attribute: the ConstraintData of each matrix row (None: skipped)
BUILT_WITH = "_chainopt_components"  # model attribute: name -> component, as built
#: model attribute: what :func:`changed_components` compares with: the expression of each
#: matrix row (None: skipped) and of the objective, and the number of elements of each of
#: chainopt's indexed variables and constraints, as built
AS_BUILT = "_chainopt_as_built"
SUFFIXES = ("dual", "rc")  # what Pyomo's solver plugins import duals / reduced costs into


def _block(m: pyo.ConcreteModel, name: str) -> pyo.Block:
    blk = m.component(name)
    if blk is None:
        blk = pyo.Block()
        m.add_component(name, blk)
    return blk


def _key_set(blk: pyo.Block, fam: Family) -> tuple[pyo.Set, list]:
    """Add the Set ``<NAME>_KEYS`` of the family's keys to ``blk``; return it and its
    elements in row order: tuples, plain values for one key column, positions
    ``0..n-1`` when there are no key columns or the keys are not unique."""
    k = fam.keys
    index: list
    if k.shape[1] == 0 or k.duplicated().any():
        index, dimen = list(range(fam.stop - fam.start)), 1
    else:
        cols = [k[c].tolist() for c in k.columns]  # Python scalars, not numpy ones
        index = cols[0] if len(cols) == 1 else list(zip(*cols, strict=True))
        dimen = len(cols)
    keys = pyo.Set(initialize=index, ordered=True, dimen=dimen)
    blk.add_component(f"{fam.name.upper()}_KEYS", keys)
    return keys, index


def _bounds(x: np.ndarray) -> list:
    """Bounds as Python numbers, None where infinite (no bound)."""
    return [None if np.isinf(v) else v for v in x.tolist()]


def to_pyomo(lp: LinearProgram, arrays: LPArrays) -> pyo.ConcreteModel:
    """The programme as a ``pyomo.environ`` model (see the module docstring)."""
    with PauseGC():  # hundreds of thousands of new objects, no cycles to collect
        return _to_pyomo(lp, arrays)


def _to_pyomo(lp: LinearProgram, arrays: LPArrays) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel(name="chainopt")
    cols: list = []
    for fam in lp.var_families:
        blk = _block(m, fam.block)
        keys, index = _key_set(blk, fam)
        sl = slice(fam.start, fam.stop)
        bounds = dict(zip(index, zip(_bounds(arrays.col_lb[sl]), _bounds(arrays.col_ub[sl]),
                                     strict=True), strict=True))
        ints = arrays.integer[sl]
        if ints.any() and not ints.all():
            domain = dict(zip(index, (pyo.Integers if i else pyo.Reals for i in ints.tolist()),
                              strict=True))
        else:
            domain = pyo.Integers if ints.any() else pyo.Reals
        var = pyo.Var(keys, domain=domain, bounds=bounds, dense=True)
        blk.add_component(fam.name, var)
        cols.extend(var.values())
    a = arrays.matrix
    indptr, indices, data = a.indptr.tolist(), a.indices.tolist(), a.data.tolist()
    by_row: list = [None] * lp.num_rows
    for fam in lp.row_families:
        blk = _block(m, fam.block)
        keys, index = _key_set(blk, fam)
        body = {}
        lo, hi = arrays.row_lb[fam.start:fam.stop], arrays.row_ub[fam.start:fam.stop]
        for key, i, eq, lb, ub in zip(index, range(fam.start, fam.stop), (lo == hi).tolist(),
                                      _bounds(lo), _bounds(hi), strict=True):
            s, e = indptr[i], indptr[i + 1]
            if s == e:  # no terms (they cancelled): 0 must lie within the bounds
                if (lb is not None and lb > 1e-9) or (ub is not None and ub < -1e-9):
                    raise InfeasibleError(
                        f"{fam.label}[{key}] has no terms left (its terms cancel out) but "
                        f"must lie within [{lb}, {ub}]: no plan meets it. Run `chainopt "
                        "explain` on the case to see the conflict")
                continue
            expr = LinearExpression(linear_coefs=data[s:e],
                                    linear_vars=[cols[j] for j in indices[s:e]])
            body[key] = (expr == lb) if eq else (lb, expr, ub)
        con = pyo.Constraint(keys, rule=lambda _b, *k, _body=body: _body.get(
            k[0] if len(k) == 1 else k, pyo.Constraint.Skip))
        blk.add_component(fam.name, con)
        for key, i in zip(index, range(fam.start, fam.stop), strict=True):
            if key in con:
                by_row[i] = con[key]
    nz = np.flatnonzero(arrays.cost)
    m.objective = pyo.Objective(expr=LinearExpression(
        constant=arrays.total_offset, linear_coefs=arrays.cost[nz].tolist(),
        linear_vars=[cols[j] for j in nz.tolist()]), sense=pyo.maximize)
    setattr(m, COLUMNS, cols)
    setattr(m, ROWS, by_row)
    setattr(m, BUILT_WITH, {c.name: c for c in m.component_objects(descend_into=True)})
    setattr(m, AS_BUILT, ([None if c is None else c.expr for c in by_row], m.objective.expr,
                          {c.name: len(c) for c in m.component_objects(
                              (pyo.Var, pyo.Constraint), descend_into=True)}))
    return m


def relax_integers(m: pyo.ConcreteModel) -> int:
    """Make every integer variable of ``m`` continuous within its bounds (a user's
    ``Binary`` keeps [0, 1], its domain's bounds, as explicit bounds): the LP relaxation
    of the model as it stands, extensions included. Returns how many were relaxed."""
    ints = [v for v in m.component_data_objects(pyo.Var, descend_into=True)
            if not v.is_continuous()]
    for v in ints:
        lower, upper = v.bounds  # the tighter of the domain's bounds and the variable's
        v.domain = pyo.Reals
        v.setlb(lower)
        v.setub(upper)
    return len(ints)


def columns(m: pyo.ConcreteModel) -> list:
    """The model's variables in matrix column order."""
    return getattr(m, COLUMNS)


def rows(m: pyo.ConcreteModel) -> list:
    """The model's constraints in matrix row order (None for a skipped empty row)."""
    return getattr(m, ROWS)


def component_names(m: pyo.ConcreteModel) -> set[str]:
    """Full names of every component of the model (variables, constraints, blocks...)."""
    return {c.name for c in m.component_objects(descend_into=True)}


def added_components(m: pyo.ConcreteModel) -> list[str]:
    """Names of the components added to the model since :func:`to_pyomo` built it (not
    the ``dual``/``rc`` suffixes a solve adds: :data:`SUFFIXES`)."""
    return sorted(name for name in component_names(m) - getattr(m, BUILT_WITH).keys()
                  if not (name in SUFFIXES and isinstance(m.component(name), pyo.Suffix)))


def changed_components(m: pyo.ConcreteModel, arrays: LPArrays) -> list[str]:
    """Full names of chainopt's own components that no longer state the LP of ``arrays``
    (changed by hand or by an extension), sorted; none: the model is still chainopt's LP
    (plus whatever was added):

    * a variable whose bounds (its domain's included: ``NonNegativeReals`` with a lower
      bound 0 is no change) or integrality differ from the matrix's column, or that is
      fixed (``.fix(20)``);
    * a constraint element deactivated (or in a deactivated block or component) or given
      another expression (``.set_value(...)``: a new bound or body), or a constraint or
      variable with elements added or deleted;
    * the objective deactivated, given another expression or sense.

    Such a model is solved and checked as an extended one (:func:`chainopt.solve.solve`):
    chainopt's matrix is then no yardstick for its plan or marginal values."""
    cols = columns(m)
    n = len(cols)
    lb = np.fromiter((-np.inf if v.lb is None else v.lb for v in cols), dtype=float, count=n)
    ub = np.fromiter((np.inf if v.ub is None else v.ub for v in cols), dtype=float, count=n)
    fixed = np.fromiter((v.fixed for v in cols), dtype=bool, count=n)
    integer = np.fromiter((not v.is_continuous() for v in cols), dtype=bool, count=n)
    bad = ((lb != arrays.col_lb) | (ub != arrays.col_ub) | fixed
           | (integer != arrays.integer.astype(bool)))
    found = {cols[j].parent_component().name for j in np.flatnonzero(bad).tolist()}
    exprs, objective, sizes = getattr(m, AS_BUILT)
    for c, expr in zip(rows(m), exprs, strict=True):
        if c is not None and (not c.active or c.expr is not expr):
            found.add(c.parent_component().name)
    built = getattr(m, BUILT_WITH)
    for name, comp in built.items():
        if m.find_component(name) is not comp:
            continue  # replaced or removed: clashes() refuses it
        if (name in sizes and len(comp) != sizes[name]) or (
                isinstance(comp, pyo.Block | pyo.Constraint) and not comp.active):
            found.add(name)
    obj = m.component("objective")
    if obj is built.get("objective") and (not obj.active or obj.expr is not objective
                                          or obj.sense != pyo.maximize):
        found.add("objective")
    return sorted(found)


def clashes(m: pyo.ConcreteModel) -> list[str]:
    """What a user's changes broke by name, one text each; none: the model may be solved.

    * A component of chainopt's replaced or removed (``m.market = ...``, Pyomo only
      warns): the tables read chainopt's variables and rows, which the solver would no
      longer see (only the outermost one is named).
    * A component named ``dual`` or ``rc`` that is no ``Suffix``: a solve replaces it by
      the suffix its duals / reduced costs are imported into (:data:`SUFFIXES`, the names
      Pyomo's solver plugins use), so a constraint of that name would be dropped."""
    built = getattr(m, BUILT_WITH)
    gone: list[str] = []
    for name in sorted(built):
        if m.find_component(name) is not built[name] and not any(
                name.startswith(g + ".") for g in gone):
            gone.append(name)
    found = [f"chainopt's component '{name}' was replaced or removed" for name in gone]
    for name in SUFFIXES:
        comp = m.component(name)
        if comp is not None and not isinstance(comp, pyo.Suffix):
            found.append(f"'{name}' ({comp.ctype.__name__}) has the name of the suffix the "
                         "solver's " + ("duals" if name == "dual" else "reduced costs")
                         + " are read into")
    return found


def nonlinear(m: pyo.ConcreteModel, as_written: bool = False) -> list[str]:
    """What in ``m`` is not linear, one text per component: the active objective (an
    extension may change its expression) and the active constraints a user added
    (:func:`added_components`; chainopt's own rows are linear), each named with its
    first element whose polynomial degree is above 1 (``x * y``: 2) or unknown (``exp(x)``:
    no polynomial). Fixed variables and parameters count at their values (``x * y`` with
    y fixed is linear, and so is ``q * x * x`` with q = 0), as Pyomo's LP writer (CBC,
    GLPK) reads them; ``as_written``: at no value, as appsi's HiGHS reads them, which
    refuses ``q * x * x`` whatever q is (a product of two variables left in the
    expression)."""
    found = []

    def degree(expr) -> str | None:
        d = polynomial_degree(expr)
        if d is not None and d <= 1:
            if not as_written or type(expr) is LinearExpression or generate_standard_repn(
                    expr, quadratic=False, compute_values=False).nonlinear_expr is None:
                return None
            return ("nonlinear as written (a product of variables, though a parameter or "
                    "fixed variable of value 0 may make it vanish)")
        return ("nonlinear (no polynomial: exp, log, a division by a variable ...)"
                if d is None else "quadratic (degree 2)" if d == 2 else f"of degree {d}")

    for obj in m.component_data_objects(pyo.Objective, active=True, descend_into=True):
        if (how := degree(obj.expr)) is not None:
            found.append(f"objective '{obj.name}' is {how}")
    for name in added_components(m):
        comp = m.find_component(name)
        if not isinstance(comp, pyo.Constraint):
            continue
        for c in comp.values():
            if c.active and (how := degree(c.body)) is not None:
                found.append(f"constraint '{c.name}' is {how}"
                             + (" (and maybe more of its elements)" if comp.is_indexed()
                                else ""))
                break
    return found


def sense(m: pyo.ConcreteModel) -> float:
    """+1 when the model's active objective maximises, -1 when it minimises: the factor
    that turns its value, duals and reduced costs into chainopt's sense (maximised)."""
    obj = next(m.component_data_objects(pyo.Objective, active=True))
    return 1.0 if obj.sense == pyo.maximize else -1.0


def solution_arrays(m: pyo.ConcreteModel, arrays: LPArrays
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``col_value, col_dual, row_value, row_dual`` of the loaded solution, in matrix
    order (see the module docstring)."""
    cols = columns(m)
    x = np.fromiter((np.nan if v.value is None else v.value for v in cols), dtype=float,
                    count=len(cols))
    unseen = np.isnan(x)
    x[unseen] = np.clip(0.0, arrays.col_lb[unseen], arrays.col_ub[unseen])
    rc, dual = m.component("rc"), m.component("dual")
    sign = sense(m)
    col_dual = (sign * np.fromiter((rc.get(v, 0.0) for v in cols), dtype=float,
                                   count=len(cols))
                if isinstance(rc, pyo.Suffix) else np.zeros(len(cols)))
    rws = rows(m)
    row_dual = (sign * np.fromiter((0.0 if c is None else dual.get(c, 0.0) for c in rws),
                                   dtype=float, count=len(rws))
                if isinstance(dual, pyo.Suffix) else np.zeros(len(rws)))
    return x, col_dual, arrays.matrix @ x, row_dual


def _term_size(body) -> float:
    """sum_j |a_j x_j| (plus a constant's size) of a constraint's body at the loaded plan:
    chainopt's rows and any linear body term by term, a nonlinear one by its value."""
    if type(body) is not LinearExpression:
        repn = generate_standard_repn(body, compute_values=True, quadratic=False)
        if not repn.is_linear():
            return abs(float(pyo.value(body)))
        body = repn
    return abs(pyo.value(body.constant)) + sum(
        abs(pyo.value(a) * (v.value or 0.0)) for a, v in zip(body.linear_coefs, body.linear_vars,
                                                            strict=True))


def plan_violations(m: pyo.ConcreteModel) -> list[tuple[float, str]]:
    """The scaled violations of the plan loaded into ``m``, as ``m`` stands after a
    user's extension (whose components may replace chainopt's rows, bounds or
    objective, so chainopt's own matrix is no yardstick), worst first:

    * each active constraint: max(l - g(x), g(x) - u, 0) / (1 + sum_j |a_j x_j|);
    * each variable of a constraint or objective: max(l - x, x - u, 0) / (1 + |x|), and
      |x - round(x)| where its domain is whole numbers (a variable in none keeps no value);

    with the text naming it. The scales are those of
    :func:`chainopt.solve.plan_violations` on the matrix path."""
    found: list[tuple[float, str]] = []
    for c in m.component_data_objects(pyo.Constraint, active=True):
        g = pyo.value(c.body, exception=False)
        if g is None:
            found.append((np.inf, f"{c.name} has no value at the plan"))
            continue
        lo, hi = pyo.value(c.lower), pyo.value(c.upper)
        off = max((lo - g) if lo is not None else 0.0, (g - hi) if hi is not None else 0.0)
        if off > 0:
            found.append((off / (1 + _term_size(c.body)),
                          f"{c.name} is {g:.10g} against bounds [{lo}, {hi}]"))
    for v in m.component_data_objects(pyo.Var):
        x = v.value
        if x is None:
            continue
        lo, hi = v.lb, v.ub
        off = max((lo - x) if lo is not None else 0.0, (x - hi) if hi is not None else 0.0)
        if off > 0:
            found.append((off / (1 + abs(x)), f"{v.name} is {x:.10g} against bounds "
                          f"[{lo}, {hi}]"))
        if not v.is_continuous() and abs(x - round(x)) > 0:
            found.append((abs(x - round(x)), f"{v.name} is {x:.10g} and must be a whole "
                          "number"))
    return sorted(found, key=lambda f: -f[0])


def extension_table(m: pyo.ConcreteModel) -> pd.DataFrame:
    """The variables and constraints a user added (``added_components``): one row per
    element with its value (a constraint's body), bounds and, where the solver gave
    it, its dual (constraints) or reduced cost (variables), in the model's units and
    chainopt's sense (:func:`sense`: the change of the value maximised)."""
    dual, rc = m.component("dual"), m.component("rc")
    sign = sense(m)
    found = []
    for name in added_components(m):
        comp = m.find_component(name)
        if isinstance(comp, pyo.Var):
            for v in comp.values():
                found.append(("variable", v.name, v.value, v.lb, v.ub,
                              _signed(sign, rc.get(v)) if isinstance(rc, pyo.Suffix)
                              else None))
        elif isinstance(comp, pyo.Constraint):
            for c in comp.values():
                found.append(("constraint", c.name, pyo.value(c.body, exception=False),
                              pyo.value(c.lower), pyo.value(c.upper),
                              _signed(sign, dual.get(c)) if isinstance(dual, pyo.Suffix)
                              else None))
        elif isinstance(comp, pyo.Objective):
            for o in comp.values():
                found.append(("objective", o.name, pyo.value(o, exception=False), None, None,
                              None))
    return pd.DataFrame(found, columns=["kind", "name", "value", "lower", "upper",
                                        "marginal"]).astype({"value": float, "lower": float,
                                                             "upper": float, "marginal": float})


def _signed(sign: float, x: float | None) -> float | None:
    return None if x is None else sign * x
