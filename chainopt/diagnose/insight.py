"""Insight from the solver: marginal values, reduced costs and ranging of a solved model.

The ``constraints``, ``reduced_costs``, ``ranging`` and ``coefficient_ranges``
tables that ``chainopt explain`` reads, in the case's names and units (see
:mod:`chainopt.diagnose.names`). Which families take part comes from their specs
(:mod:`chainopt.models.registry`): user-set costs (``Var.cost``) and bounds
(``Var.bound``, ``Row.ranging``) are ranged, ``Var.reduced_cost`` families are listed
when unused.

Signs (HiGHS, maximisation): a row dual is the objective change per unit increase of
the row's bound; a column dual the change per unit the column is forced up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainopt.case.codes import text
from chainopt.case.storage import of_case, text_storage
from chainopt.diagnose.export import coefficient_ranges
from chainopt.diagnose.forced import forced_to_zero
from chainopt.diagnose.names import clean, element_text, money, money_unit, row_scale, selected
from chainopt.models import MUSD_PER_KUSD, balance
from chainopt.models.build import BuiltModel
from chainopt.models.lp import Family
from chainopt.models.registry import ROWS, VARIABLES
from chainopt.solve import (
    INF,
    Highs,
    HighsBasis,
    SolveOutcome,
    basic_masks,
    highs_ranging,
    model_status,
    new_highs,
    pass_model,
    release_solver,
    run_highs,
)

TOL = 1e-7
COST_UNIT = "USD per unit"  # the value unit of cost ranging


CONSTRAINT_COLUMNS = ["family", "kind", "key", "period", "side", "activity", "bound", "slack",
                      "marginal_value", "value_unit", "quantity_unit"]


def constraints_table(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    """One row per constraint element that binds (rows, and user-set column bounds).

    ``marginal_value``: what one unit more room adds to the objective per year, in
    the money of its period — the bound moved one unit in the direction that loosens
    it (>= 0); for an equality, the right-hand side raised by one (either sign).
    Capacity rows of units are per unit of capacity (the dual times availability).
    A capacity row ``use - added <= existing`` is shown as it reads, ``use <= existing
    + added``: ``activity`` what the unit or link uses, ``bound`` the capacity there is
    (the ``capacity`` table's total), the new capacity moved to the right-hand side
    (:meth:`chainopt.models.lp.CapacityRows.use_and_added`).
    """
    a = built.arrays
    capacity = {h.family.label: h for h in (built.lp.unit_capacity, built.lp.link_capacity)
                if h is not None}
    frames = []
    for fam in built.lp.row_families:
        if fam.label == balance.COMMODITY.label or fam.stop == fam.start:
            continue
        sl = slice(fam.start, fam.stop)
        act, lo, hi, d = out.row_value[sl], a.row_lb[sl], a.row_ub[sl], out.row_dual[sl]
        if fam.label in capacity:
            act, added = capacity[fam.label].use_and_added(a.matrix, out.col_value)
            lo, hi = lo + added, hi + added
        div, unit = money(built, fam)
        s = row_scale(built, fam)
        eq = np.isfinite(lo) & (lo == hi)
        at_lo = np.isfinite(lo) & (np.abs(act - lo) <= TOL * (1 + np.abs(np.nan_to_num(lo))))
        at_hi = np.isfinite(hi) & (np.abs(act - hi) <= TOL * (1 + np.abs(np.nan_to_num(hi))))
        upper = np.where(d > 1e-12, True, np.where(d < -1e-12, False, at_hi))
        side = np.where(eq, 2, upper.astype(np.intp))  # 0 lower, 1 upper, 2 equal
        val = d / div * s
        marginal = np.where(side == 0, -val, val)
        bound = np.where(side == 0, lo, hi)
        slack = np.where(eq, 0.0, np.where(upper, hi - act, act - lo))
        keep = at_lo | at_hi | (np.abs(d) > 1e-12)
        if not keep.any():
            continue
        frames.append(pd.DataFrame({
            "family": fam.label, "kind": "row",
            **selected(element_text(built, fam, unit), keep),
            "side": text(("lower", "upper", "equal"), side[keep]),
            "activity": clean(act[keep] / s[keep]),
            "bound": bound[keep] / s[keep], "slack": clean(slack[keep] / s[keep]),
            "marginal_value": clean(marginal[keep])}))
    for fam in built.lp.var_families:
        if fam.stop == fam.start:
            continue
        sl = slice(fam.start, fam.stop)
        x, lo, hi, d = out.col_value[sl], a.col_lb[sl], a.col_ub[sl], out.col_dual[sl]
        ints = a.integer[sl]
        div, unit = money(built, fam)
        at_hi = np.isfinite(hi) & (hi > 0) & (np.abs(x - hi) <= TOL * (1 + np.abs(
            np.where(np.isfinite(hi), hi, 0.0)))) & ~ints & (lo < hi)
        at_lo = (lo > 0) & (np.abs(x - lo) <= TOL * (1 + lo)) & ~ints & (lo < hi)
        keep = at_hi | at_lo
        if not keep.any():
            continue
        up = at_hi[keep]
        frames.append(pd.DataFrame({
            "family": fam.label, "kind": "bound",
            **selected(element_text(built, fam, unit), keep),
            "side": text(("lower", "upper"), up), "activity": clean(x[keep]),
            "bound": np.where(up, hi[keep], lo[keep]), "slack": 0.0,
            "marginal_value": clean(np.where(up, 1.0, -1.0) * d[keep] / div[keep])}))
    if not frames:
        return pd.DataFrame(columns=CONSTRAINT_COLUMNS)
    return pd.concat(frames, ignore_index=True)[CONSTRAINT_COLUMNS]


def reduced_costs_table(built: BuiltModel, out: SolveOutcome) -> pd.DataFrame:
    """Unused supplies, modes, links, markets and expansions: how much better each must
    get before it is used (``improvement_needed``, >= 0; 0 = could be used at no loss)."""
    frames = []
    for fam in built.lp.var_families:
        if not VARIABLES[fam.label].reduced_cost or fam.stop == fam.start:
            continue
        sl = slice(fam.start, fam.stop)
        x, d = out.col_value[sl], out.col_dual[sl]
        unused = (np.abs(x) <= TOL) & (built.arrays.col_lb[sl] == 0)
        if not unused.any():
            continue
        div, unit = money(built, fam)
        t = selected(element_text(built, fam, unit), unused)
        frames.append(pd.DataFrame({
            "family": fam.label, "key": t["key"], "period": t["period"],
            "improvement_needed": clean(np.maximum(-d[unused] / div[unused], 0.0)),
            "value_unit": t["value_unit"], "quantity_unit": t["quantity_unit"]}))
    if not frames:
        return pd.DataFrame(columns=["family", "key", "period", "improvement_needed",
                                     "value_unit", "quantity_unit"])
    return pd.concat(frames, ignore_index=True)


def prepare_text(built: BuiltModel) -> None:
    """Make the text of every element the insight tables may show, ahead of them
    (:func:`chainopt.diagnose.names.element_text` keeps it): the binding rows of every
    family but the commodity balance, the bounds and reduced costs of every column
    family, and the cost ranging of the families with a user-set cost. The text needs
    only the model, not the solution: ``chainopt run`` makes it on the core that
    HiGHS, solving on one thread, leaves free. So is the carbon part of each column's
    cost (``BuiltModel.carbon_usd_per_unit``), which the flows and ranging tables read.
    The text is kept as the case's (:mod:`chainopt.case.storage`), as the tables'."""
    with text_storage(of_case(built.case)):
        _ = built.carbon_usd_per_unit
        for fam in built.lp.row_families:
            if fam.label != balance.COMMODITY.label and fam.stop > fam.start:
                element_text(built, fam, money_unit(fam))
        for fam in built.lp.var_families:
            if fam.stop > fam.start:
                element_text(built, fam, money_unit(fam))
                if VARIABLES[fam.label].cost is not None:
                    element_text(built, fam, COST_UNIT)


# -- ranging -----------------------------------------------------------------------------
RANGING_COLUMNS = ["kind", "family", "key", "period", "what", "level", "value", "lower", "upper",
                   "marginal_value", "value_unit", "quantity_unit", "room", "room_basis",
                   "carbon_usd_per_unit"]


def _optimal_lp(built: BuiltModel, out: SolveOutcome, lean: bool = False
                ) -> Highs | None:
    """A HiGHS instance holding the optimal LP basis: the model's own after an LP solve,
    else :func:`_fresh_lp` (``lean``: the model's own instance released first).

    After a MIP the fixed LP is solved here again from scratch, not from the basis the
    solve's own fixed LP ended at (which would only be factorised): at a degenerate
    optimum that basis may hold the other end of a dual interval, e.g. 400 rather than
    300 for a capacity of 0 whose next t/yr earns 300 (test_explain's capacity-of-zero
    test), where the fresh solve finds 300; either way every table reports one vertex."""
    h = built.solver
    ok = (h is not None and not built.is_mip
          and model_status(h) == "optimal"
          and np.allclose(np.asarray(h.getSolution().col_value), out.col_value, atol=1e-6))
    if ok:
        return h
    if lean:
        release_solver(built)
    return _fresh_lp(built, out)


def _fresh_lp(built: BuiltModel, out: SolveOutcome, basis: HighsBasis | None = None
              ) -> Highs | None:
    """The model's LP (with the integer decisions of a MIP fixed at their values) solved
    in a new HiGHS instance; None if it does not solve to optimality. From an optimal
    ``basis`` HiGHS only factorises it (dual simplex, no presolve: no iteration)."""
    h = new_highs()
    lo, hi = _lp_bounds(built, out)
    pass_model(h, built, relaxed=built.is_mip, col_lower=lo, col_upper=hi)
    if basis is not None:
        h.setBasis(basis)
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("presolve", "off")
    run_highs(h)
    return h if model_status(h) == "optimal" else None


def _lp_bounds(built: BuiltModel, out: SolveOutcome) -> tuple[np.ndarray, np.ndarray]:
    """The column bounds of the LP ranged: the model's, a MIP's integer decisions fixed
    at their values in ``out``."""
    lo = np.array(built.arrays.col_lb, dtype=float)
    hi = np.array(built.arrays.col_ub, dtype=float)
    if built.is_mip:
        ints = np.flatnonzero(built.arrays.integer)
        lo[ints] = hi[ints] = np.round(out.col_value[ints])
    return lo, hi


def _room(value: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """How far the input may move before the plan (or the marginal value) changes: the
    nearer end of the interval, relative to the value (``relative``: 0.1 = 10 %); for a
    value of 0, where a relative room means nothing, the absolute distance in the
    input's own unit (``absolute``)."""
    zero = np.abs(value) <= 1e-9
    with np.errstate(invalid="ignore", divide="ignore"):
        dist = np.minimum(value - lower, upper - value)
        room = np.where(zero, dist, dist / np.where(zero, 1.0, np.abs(value)))
    room = np.where(np.isnan(room), np.inf, np.maximum(room, 0.0))
    return room, text(("relative", "absolute"), zero)


@dataclass
class RangingParts:
    """HiGHS's ranging of a solved model as numbers, before any text is made: ``parts``
    holds ``(kind, family, unit, mask, what, numbers)`` per family, ``source`` where it
    came from (``lp``, ``fixed_lp`` for a MIP, or ``unavailable``). Made while the model's
    HiGHS instance is alive; the table's text needs only the model, so the instance can
    be freed in between (:func:`chainopt.solve.release_solver`)."""

    source: str
    parts: list[tuple]
    #: the solution of the LP ranged when it is not the solve's own (a MIP's LP with its
    #: integer decisions fixed, solved again): at a degenerate optimum its duals may be
    #: another vertex than the solve's, and the intervals above are those of its duals
    solution: SolveOutcome | None = None
    #: per commodity balance row, which ways its value holds (:func:`balance_holds`)
    balance_holds: np.ndarray | None = None
    #: what the cost intervals are (:func:`cost_intervals`): ``widened`` (ranged again
    #: without the columns forced to 0), else ``basis`` (the optimal basis's alone),
    #: with the reason after a colon where they could be wider
    costs: str = "basis"
    #: how many columns the constraints force to 0 (:mod:`chainopt.diagnose.forced`;
    #: None where not looked for)
    forced_columns: int | None = 0


#: :func:`balance_holds`' codes: the value holds for one unit more (``MORE``), one unit
#: less (``LESS``), both (``MORE | LESS``) or neither (0)
MORE, LESS = 1, 2


def balance_holds(built: BuiltModel, r) -> np.ndarray | None:
    """Which ways each commodity balance's value (its shadow price: one more unit of the
    commodity, free, at the site) holds, from HiGHS's ranging of the row's right-hand
    side b (the balance is inflows - outflows = b, b = 0; one more unit of the commodity
    is b lowered by one): :data:`MORE` where b may fall, :data:`LESS` where it may rise,
    before the basis, and with it the value, changes. At a degenerate optimum (a supply
    cap and a plant's capacity binding on the same flow) one of them is missing: the
    value is one end of an interval, what one unit more (or less) is worth at most (or
    costs at least), not a price."""
    try:
        fam = built.lp.family(balance.COMMODITY.label)
    except KeyError:
        return None
    sl = slice(fam.start, fam.stop)
    b = built.arrays.row_lb[sl]
    tol = 1e-9 * (1.0 + np.abs(b))
    down = b - r.row_bound_dn[sl] > tol
    up = r.row_bound_up[sl] - b > tol
    return np.where(down, MORE, 0) | np.where(up, LESS, 0)


#: ``lean`` ranging hands a model of this many columns or more to a fresh HiGHS
#: instance; a smaller one is ranged in the solve's own (see :func:`ranging_parts`)
LEAN_FROM_COLUMNS = 200_000


def ranging_parts(built: BuiltModel, out: SolveOutcome, lean: bool = False) -> RangingParts:
    """Cost and bound ranging of ``built``'s optimal basis, as numbers.

    ``lean`` (the model's HiGHS instance is dropped afterwards, as ``chainopt run``
    does), for a model of :data:`LEAN_FROM_COLUMNS` columns or more: the solve's
    instance is released first and a fresh one, holding only the model and the optimal
    basis, is ranged. The solve leaves presolve and simplex data behind (and
    interior-point and crossover data, with ``--method ipm``) that ranging does not
    need: at 300k columns, solved by dual simplex, the run peaks about 105 MiB lower
    (691-713 against 796-820 MiB, 13 %) for about 0.15 s of hand-over and factorisation
    (1 % of its 17 s). At 100k columns the same trade is 36 MiB for 0.1 s, 2 % of a
    run's time: a smaller model is ranged in the solve's instance."""
    h = _optimal_lp(built, out, lean)
    if h is None:
        return RangingParts("unavailable", [])
    own = h is built.solver  # the solve's own basis and solution (numpy arrays already)
    if lean and own and built.num_vars >= LEAN_FROM_COLUMNS:
        basis = h.getBasis()  # handed over as it is: its statuses are never listed here
        h = None  # the last reference but the model's: released with it
        release_solver(built)
        h = _fresh_lp(built, out, basis)
        del basis
        if h is None:
            return RangingParts("unavailable", [])
    row_basic, col_basic = basic_masks(h, built.num_rows, built.num_vars)
    sol = out if own else _solution(h)
    r = highs_ranging(h)
    if r is None:
        return RangingParts("unavailable", [])
    lower, upper, costs, forced = cost_intervals(built, out, h, sol, r)
    parts = [*_cost_ranging(built, out, lower, upper),
             *_row_bound_ranging(built, sol, row_basic, r),
             *_column_bound_ranging(built, sol, col_basic, r)]
    return RangingParts("fixed_lp" if built.is_mip else "lp", parts,
                        None if own else sol, balance_holds(built, r), costs, forced)


#: a model of fewer columns than this has its costs ranged a second time, without the
#: columns forced to 0 (:func:`cost_intervals`): it adds about 0.02 s to a run at 10k
#: columns, 0.13 s at 30k and 1.2 s at 100k (half its solve: the primal simplex's pivots
#: and HiGHS's ranging, which holds the interpreter, so nothing else runs beside it)
WIDEN_BELOW_COLUMNS = 50_000
#: HiGHS's ``simplex_strategy`` for the primal simplex
PRIMAL_SIMPLEX = 4


def cost_intervals(built: BuiltModel, out: SolveOutcome, h: Highs,
                   sol: SolveOutcome, r) -> tuple[np.ndarray, np.ndarray, str, int | None]:
    """Each column's cost interval in which the plan ``sol`` stays optimal, what it is
    (``widened``, or ``basis`` and after a colon why where it could be wider) and how
    many columns the constraints force to 0 (None: not looked for, a large model).

    HiGHS ranges the optimal basis ``h``: the interval of a cost is where that basis
    stays optimal, a part of where the plan does. At a degenerate optimum it can be a
    small part: a build option not built (``build <= max_new * y`` with ``y`` fixed at
    0, or a capacity of 0) binds at 0 with the value one unit built would earn, and an
    interval ends where that value reaches 0, the plan unchanged. So the LP is ranged a
    second time with the columns forced to 0 fixed and the rows then holding nothing
    freed (:func:`chainopt.diagnose.forced.forced_to_zero`): the same feasible set, so
    the same optimal plans. From ``h``'s basis, which holds the plan ``sol`` and stays
    primal feasible, the primal simplex only pivots where no step improves the
    objective (the plan is optimal), so it ends at an optimal basis of the same plan;
    the dual simplex could end at another optimal plan (it does on the default case).
    Where it ends at the plan ``sol`` itself, each cost's interval is the hull of the
    two bases' intervals: the costs at which a given plan is optimal form an interval
    (a convex cone's section), so the hull of two intervals in it that both hold the
    cost is in it too. A column forced to 0 is 0 in every feasible plan, whatever it
    costs: its interval is (-inf, +inf). If the second LP ends elsewhere (or the model
    has :data:`WIDEN_BELOW_COLUMNS` columns or more), the basis's intervals stay."""
    n = built.num_vars  # (HiGHS's arrays may be longer)
    lower = r.col_cost_dn[:n]
    upper = r.col_cost_up[:n]
    if n >= WIDEN_BELOW_COLUMNS:  # not looked for (0.1 s at 300k columns)
        return lower, upper, (f"basis: a model of {n:,} columns; one of fewer than "
                              f"{WIDEN_BELOW_COLUMNS:,} is ranged again without them"), None
    lo, hi = _lp_bounds(built, out)
    a = built.arrays
    forced, idle = forced_to_zero(a.matrix, lo, hi, a.row_lb, a.row_ub)
    count = int(forced.sum())
    if not count:
        return lower, upper, "basis", count
    lo[forced] = hi[forced] = 0.0
    g = new_highs()
    pass_model(g, built, relaxed=built.is_mip, col_lower=lo, col_upper=hi, free_rows=idle)
    g.setBasis(h.getBasis())
    g.setOptionValue("solver", "simplex")
    g.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)
    g.setOptionValue("presolve", "off")
    run_highs(g)
    if (model_status(g) != "optimal"
            or not np.allclose(np.asarray(g.getSolution().col_value), sol.col_value,
                               rtol=1e-9, atol=1e-7)):
        return lower, upper, ("basis: ranged again without them, the LP ended at another "
                              "optimal plan"), count
    r2 = highs_ranging(g)
    if r2 is None:
        return lower, upper, "basis: HiGHS gave no ranging without them", count
    lower = np.minimum(lower, r2.col_cost_dn[:n])
    upper = np.maximum(upper, r2.col_cost_up[:n])
    lower[forced], upper[forced] = -INF, INF
    return lower, upper, "widened", count


def _solution(h: Highs) -> SolveOutcome:
    """``h``'s solution as the arrays of an outcome."""
    sol = h.getSolution()
    return SolveOutcome(status="optimal", objective=float(h.getInfo().objective_function_value),
                        col_value=np.asarray(sol.col_value), col_dual=np.asarray(sol.col_dual),
                        row_value=np.asarray(sol.row_value), row_dual=np.asarray(sol.row_dual),
                        options={})


def ranging_table(built: BuiltModel, out: SolveOutcome,
                  ranging: RangingParts | None = None) -> tuple[pd.DataFrame, str]:
    """Cost and bound ranging in the case's units, and where it came from
    (``lp``, ``fixed_lp`` for a MIP, or ``unavailable``); from ``ranging`` if given."""
    r = ranging if ranging is not None else ranging_parts(built, out)
    if not r.parts:
        return pd.DataFrame(columns=RANGING_COLUMNS), r.source
    frames = [_ranging_frame(kind, fam, element_text(built, fam, unit), mask, what, **numbers)
              for kind, fam, unit, mask, what, numbers in r.parts]
    return _with_room(pd.concat(frames, ignore_index=True)), r.source


def _cost_ranging(built: BuiltModel, out: SolveOutcome, cdn: np.ndarray, cup: np.ndarray
                  ) -> list[tuple]:
    """Objective coefficients the user sets (``Var.cost``): the interval in which the
    plan stays optimal (each coefficient's ``[cdn, cup]``, :func:`cost_intervals`), in
    USD per unit of the period, as the input the user sets.

    A column's coefficient is ``sign x (input) x w_t / 1000`` less what the carbon
    price costs it (``carbon_usd_per_unit``, :func:`chainopt.models.emissions.
    carbon_per_unit`, from the case's policies): for a cost (``sign`` -1) the
    coefficient's value per unit is ``input + carbon``, so the input's value and
    interval are the coefficient's less ``carbon``."""
    a = built.arrays
    parts = []
    carbon = built.carbon_usd_per_unit
    for fam in built.lp.var_families:
        cost = VARIABLES[fam.label].cost
        if cost is None or fam.stop == fam.start:
            continue
        sl = slice(fam.start, fam.stop)
        div = MUSD_PER_KUSD * built.index.weight(fam.keys["period"])
        c, dn, up = a.cost[sl], cdn[sl], cup[sl]
        shift = -cost.sign * carbon[sl]  # the coefficient's value less the input's
        value = cost.sign * c / div - shift
        lo, hi = (dn / div, up / div) if cost.sign > 0 else (-up / div, -dn / div)
        parts.append(("cost", fam, COST_UNIT, slice(None), cost.what, dict(
            level=clean(out.col_value[sl]), value=clean(value), lower=lo - shift,
            upper=hi - shift, marginal_value=np.nan, carbon_usd_per_unit=clean(carbon[sl]))))
    return parts


def _ranging_frame(kind: str, fam: Family, text: dict, mask: np.ndarray | slice, what: str,
                   **numbers: object) -> pd.DataFrame:
    """Ranging rows of ``fam``'s elements where ``mask`` holds (a slice for all)."""
    t = selected(text, mask)
    return pd.DataFrame({"kind": kind, "family": fam.label, "key": t["key"],
                         "period": t["period"], "what": what, **numbers,
                         "value_unit": t["value_unit"], "quantity_unit": t["quantity_unit"]})


def _row_bound_ranging(built: BuiltModel, sol: SolveOutcome, basic: np.ndarray, r
                       ) -> list[tuple]:
    """Row bounds the user sets (``Row.ranging``) that hold the plan (nonbasic rows):
    the interval in which their marginal value holds."""
    a = built.arrays
    parts = []
    rdn, rup = r.row_bound_dn, r.row_bound_up
    rdual, row_value = sol.row_dual, sol.row_value
    for fam in built.lp.row_families:
        spec = ROWS[fam.label]
        if not spec.ranging or fam.stop == fam.start:
            continue
        sl = slice(fam.start, fam.stop)
        nb = ~basic[sl]
        if not nb.any():
            continue
        s = row_scale(built, fam)[nb]
        div, unit = money(built, fam)
        act = row_value[sl][nb]
        lo, hi = a.row_lb[sl][nb], a.row_ub[sl][nb]
        at_lo = np.isfinite(lo) & (np.abs(act - lo) <= np.abs(act - np.where(
            np.isfinite(hi), hi, np.inf)))
        value = np.where(at_lo, lo, hi)
        d = rdual[sl][nb] / div[nb] * s
        # one unit more room, as the constraints table: a floor lowered, a cap raised;
        # an equality (a hard demand) raised by one, either sign
        loosen = np.where(at_lo & (lo != hi), -d, d)
        parts.append(("bound", fam, unit, nb, spec.what, dict(
            level=clean(act / s), value=value / s, lower=rdn[sl][nb] / s,
            upper=rup[sl][nb] / s, marginal_value=clean(loosen))))
    return parts


def _column_bound_ranging(built: BuiltModel, sol: SolveOutcome, basic: np.ndarray, r
                          ) -> list[tuple]:
    """Column bounds the user sets (``Var.bound`` with ``ranging``) at which a column
    sits: the interval in which their marginal value holds."""
    a = built.arrays
    parts = []
    bdn, bup = r.col_bound_dn, r.col_bound_up
    cdual, col_value = sol.col_dual, sol.col_value
    for fam in built.lp.var_families:
        bound = VARIABLES[fam.label].bound
        if bound is None or not bound.ranging or fam.stop == fam.start:
            continue
        sl = slice(fam.start, fam.stop)
        x, hi = col_value[sl], a.col_ub[sl]
        sel = ~basic[sl] & np.isfinite(hi) & (np.abs(x - np.where(np.isfinite(hi), hi, 0))
                                                  <= TOL * (1 + np.abs(x)))
        if not sel.any():
            continue
        div, unit = money(built, fam)
        parts.append(("bound", fam, unit, sel, bound.what, dict(
            level=clean(x[sel]), value=hi[sel], lower=bdn[sl][sel], upper=bup[sl][sel],
            marginal_value=clean(cdual[sl][sel] / div[sel]))))
    return parts


def _with_room(df: pd.DataFrame) -> pd.DataFrame:
    """HiGHS's infinities as inf, noise rounded away, and each row's relative ``room``;
    a bound has no carbon part (``carbon_usd_per_unit`` blank)."""
    if "carbon_usd_per_unit" not in df:  # bounds only
        df["carbon_usd_per_unit"] = np.nan
    df["lower"] = df["lower"].where(df["lower"] > -INF / 2, -np.inf)
    df["upper"] = df["upper"].where(df["upper"] < INF / 2, np.inf)
    df["lower"], df["upper"] = clean(df["lower"].to_numpy(float)), clean(
        df["upper"].to_numpy(float))
    df["room"], df["room_basis"] = _room(df["value"].to_numpy(float),
                                         df["lower"].to_numpy(float),
                                         df["upper"].to_numpy(float))
    return df[RANGING_COLUMNS]


def insight_tables(built: BuiltModel, out: SolveOutcome, ranging: RangingParts | None = None
                   ) -> tuple[dict[str, pd.DataFrame], dict]:
    """The ``constraints``, ``reduced_costs``, ``ranging`` and ``coefficient_ranges``
    tables of a solved model, and a manifest entry saying how they were made; the
    ranging from ``ranging`` if given (else from the model's HiGHS instance)."""
    ranging = ranging if ranging is not None else ranging_parts(built, out)
    ranging_df, source = ranging_table(built, out, ranging)
    tables = {"constraints": constraints_table(built, out),
              "reduced_costs": reduced_costs_table(built, out),
              "ranging": ranging_df, "coefficient_ranges": coefficient_ranges(built)}
    worst = tables["coefficient_ranges"]["ratio"].max() if len(
        tables["coefficient_ranges"]) else 0.0
    return tables, {"ranging_source": source, "cost_ranging": ranging.costs,
                    "forced_zero_columns": ranging.forced_columns,
                    "binding_constraints": len(tables["constraints"]),
                    "max_coefficient_ratio": float(worst)}
